//! What people read for the values of coded fields (类别 `ordinary` is shown as 一般农户): one
//! table, in Chinese and English, served at `GET /labels` so the console (and any client) never
//! types a label a second time. Rust enums are matched exhaustively (a new variant does not
//! compile without its label); the lists of text values are checked by the tests below.

use super::household::{Category, Relation, Sex};
use super::household_profile::{EliminationWay, HouseholdFlag};
use super::photo::PhotoKind;

/// A value's label: Chinese (the console's default) and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub zh: &'static str,
    pub en: &'static str,
}

const fn l(zh: &'static str, en: &'static str) -> Label {
    Label { zh, en }
}

pub fn category(c: Category) -> Label {
    match c {
        Category::LiftedOut => l("脱贫户", "Lifted out of poverty"),
        Category::MonitoredUnstable => l("脱贫不稳定户", "Monitored: unstable lifted-out household"),
        Category::MonitoredMarginal => l("边缘易致贫户", "Monitored: marginal household at risk"),
        Category::MonitoredHardship => l("突发严重困难户", "Monitored: sudden serious hardship"),
        Category::Ordinary => l("一般农户", "Ordinary household"),
    }
}

pub fn relation(r: Relation) -> Label {
    match r {
        Relation::Head => l("户主", "Head of household"),
        Relation::Spouse => l("配偶", "Spouse"),
        Relation::Child => l("子女", "Child"),
        Relation::ChildInLaw => l("儿媳/女婿", "Child-in-law"),
        Relation::Grandchild => l("孙子女", "Grandchild"),
        Relation::Parent => l("父母", "Parent"),
        Relation::Grandparent => l("祖父母", "Grandparent"),
        Relation::Sibling => l("兄弟姐妹", "Sibling"),
        Relation::Other => l("其他", "Other"),
    }
}

pub fn sex(s: Sex) -> Label {
    match s {
        Sex::Male => l("男", "Male"),
        Sex::Female => l("女", "Female"),
    }
}

pub fn photo_kind(k: PhotoKind) -> Label {
    match k {
        PhotoKind::DoorWithCadre => l("户主与帮扶干部在门口", "Head and cadre at the door"),
        PhotoKind::StoveWithCadre => l("在灶台", "At the stove"),
        PhotoKind::HallWithCadre => l("在堂屋/客厅", "In the main room"),
        PhotoKind::BedroomWithCadre => l("在卧室", "In the bedroom"),
        PhotoKind::FamilyAtDoor => l("全家在门口", "The whole family at the door"),
        PhotoKind::UnderstandingCard => l("明白卡", "Understanding card"),
    }
}

pub fn household_flag(f: HouseholdFlag) -> Label {
    match f {
        HouseholdFlag::Dibao => l("低保户", "Minimum living allowance"),
        HouseholdFlag::ExtremePoverty => l("特困供养(五保)户", "Supported as extremely poor"),
        HouseholdFlag::Relocated => l("易地扶贫搬迁户", "Relocated for poverty alleviation"),
        HouseholdFlag::HouseRenovation => l("危房改造户", "Dilapidated house rebuilt"),
        HouseholdFlag::Disability => l("残疾人户", "Member with a disability"),
        HouseholdFlag::MilitaryFamily => l("军烈属户", "Family of a soldier or martyr"),
    }
}

pub fn elimination_way(w: EliminationWay) -> Label {
    match w {
        EliminationWay::Assisted => l("帮扶消除", "Eliminated by assistance"),
        EliminationWay::Natural => l("自然消除", "Eliminated by itself"),
    }
}

/// Risk types and reasons of falling back ([`super::household::RISK_TYPES`]).
const RISK_TYPES: &[(&str, Label)] = &[
    ("illness", l("因病", "Illness")),
    ("disability", l("因残", "Disability")),
    ("schooling", l("因学", "Schooling costs")),
    ("disaster", l("因灾", "Disaster")),
    ("accident", l("因意外事故", "Accident")),
    ("unstable_work", l("因务工就业不稳", "Unstable work")),
    ("high_expenses", l("因刚性支出过大", "High rigid expenses")),
    ("labour_shortage", l("因缺劳力", "Labour shortage")),
    ("other", l("其他", "Other")),
];

/// Photo statuses ([`super::photo::STATUSES`]).
const PHOTO_STATUSES: &[(&str, Label)] = &[
    ("ok", l("正常", "OK")),
    ("flagged", l("可疑", "Flagged")),
    ("accepted", l("审核通过", "Accepted")),
    ("rejected", l("审核不通过", "Rejected")),
];

/// Problem statuses ([`super::quality::STATUSES`]).
const PROBLEM_STATUSES: &[(&str, Label)] = &[
    ("open", l("待核实", "Open")),
    ("verified", l("已核实", "Verified")),
    ("rectified", l("已整改", "Rectified")),
    ("closed", l("已销号", "Closed")),
    ("dismissed", l("已驳回", "Dismissed")),
    ("resolved_by_data", l("数据已更正", "Resolved by the data")),
];

/// Risk statuses of monitoring objects ([`super::household::RISK_STATUSES`]).
const RISK_STATUSES: &[(&str, Label)] = &[("not_eliminated", l("风险未消除", "Risk not eliminated")), ("eliminated", l("风险已消除", "Risk eliminated"))];

/// The value of `field` a cell names: its code, or its label in Chinese or English (as the
/// forms and exports write it).
pub fn value_of(field: &str, text: &str) -> Option<&'static str> {
    let text = text.trim();
    all().iter().find(|(f, _)| *f == field)?.1.iter().find(|(v, l)| *v == text || l.zh == text || l.en.eq_ignore_ascii_case(text)).map(|(v, _)| *v)
}

/// The Chinese label of a field's value, where the table has one.
pub fn zh(field: &str, value: &str) -> Option<&'static str> {
    all().iter().find(|(f, _)| *f == field)?.1.iter().find(|(v, _)| *v == value).map(|(_, l)| l.zh)
}

/// A field's values with their labels.
pub type Table = Vec<(&'static str, Label)>;

/// Every labelled field: (field, [(value, label)]), in a fixed order; built once (an import
/// looks labels up cell by cell).
pub fn all() -> &'static [(&'static str, Table)] {
    static ALL: std::sync::LazyLock<Vec<(&'static str, Table)>> = std::sync::LazyLock::new(build);
    &ALL
}

fn build() -> Vec<(&'static str, Table)> {
    fn of<T: Copy>(values: &[T], text: fn(T) -> &'static str, label: fn(T) -> Label) -> Vec<(&'static str, Label)> {
        values.iter().map(|v| (text(*v), label(*v))).collect()
    }
    vec![
        ("category", of(Category::ALL, Category::as_str, category)),
        ("relation", of(Relation::ALL, Relation::as_str, relation)),
        ("sex", of(Sex::ALL, Sex::as_str, sex)),
        ("photo_kind", of(PhotoKind::ALL, PhotoKind::as_str, photo_kind)),
        ("photo_status", PHOTO_STATUSES.to_vec()),
        ("problem_status", PROBLEM_STATUSES.to_vec()),
        ("risk_status", RISK_STATUSES.to_vec()),
        ("risk_type", RISK_TYPES.to_vec()),
        ("household_flag", of(HouseholdFlag::ALL, HouseholdFlag::as_str, household_flag)),
        ("elimination_way", of(EliminationWay::ALL, EliminationWay::as_str, elimination_way)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{photo, quality};

    fn values(table: &[(&'static str, Label)]) -> Vec<&'static str> {
        table.iter().map(|(v, _)| *v).collect()
    }

    #[test]
    fn every_listed_value_has_a_label_and_no_label_names_a_value_that_does_not_exist() {
        assert_eq!(values(PHOTO_STATUSES), photo::STATUSES);
        assert_eq!(values(PROBLEM_STATUSES), quality::STATUSES);
        assert_eq!(values(RISK_STATUSES), super::super::household::RISK_STATUSES);
        assert_eq!(values(RISK_TYPES), super::super::household::RISK_TYPES);
    }

    #[test]
    fn a_cell_may_name_a_value_by_its_code_or_either_label() {
        assert_eq!(value_of("household_flag", "低保户"), Some("dibao"));
        assert_eq!(value_of("household_flag", " dibao "), Some("dibao"));
        assert_eq!(value_of("elimination_way", "eliminated by assistance"), Some("assisted"));
        assert_eq!(value_of("risk_type", "因病"), Some("illness"));
        assert_eq!(value_of("risk_type", "因穷"), None);
        assert_eq!(value_of("no_such_field", "x"), None);
    }

    #[test]
    fn labels_are_written_out_in_both_languages_and_tell_values_apart() {
        for (field, table) in all() {
            let mut seen = std::collections::HashSet::new();
            for (value, label) in table {
                assert!(!label.zh.is_empty() && !label.en.is_empty(), "{field}.{value}");
                assert!(label.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{field}.{value}: Chinese label");
                assert_ne!(label.en, *value, "{field}.{value}: the English label is not the code");
                assert!(seen.insert(label.zh), "{field}: two values read {}", label.zh);
            }
        }
    }
}
