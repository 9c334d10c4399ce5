//! The fields of the yearly record 年度基础信息 by their Chinese names, for the 信息采集对照表 (a
//! field path such as `income.wages` is never printed): each field's path, its label and the
//! table of `labels` its values are read from. The one place these names are kept.

use serde_json::Value;

use super::labels::{Label, l, zh};
use super::yearly::Change;

type Field = (&'static str, Label, Option<&'static str>);

const RECORD_FIELDS: &[Field] = &[
    ("income.wages", l("工资性收入(元)", "Wages (yuan)"), None),
    ("income.production", l("生产经营性收入(元)", "Production income (yuan)"), None),
    ("income.production_costs", l("生产经营性支出(元)", "Production costs (yuan)"), None),
    ("income.property", l("财产性收入(元)", "Property income (yuan)"), None),
    ("income.transfers", l("转移性收入(元)", "Transfers (yuan)"), None),
    ("rigid_expenses.medical", l("医疗支出(报销后，元)", "Medical costs after reimbursement (yuan)"), None),
    ("rigid_expenses.education", l("教育支出(元)", "Education costs (yuan)"), None),
    ("rigid_expenses.disaster", l("灾害/意外损失(元)", "Disaster or accident losses (yuan)"), None),
    ("rigid_expenses.other", l("其他刚性支出(元)", "Other rigid expenses (yuan)"), None),
    ("guarantees.food_clothing.ok", l("不愁吃、不愁穿", "Enough food and clothing"), None),
    ("guarantees.food_clothing.reason", l("不愁吃、不愁穿：未保障原因", "Food and clothing: why not"), None),
    ("guarantees.drinking_water.ok", l("饮水安全有保障", "Safe drinking water"), None),
    ("guarantees.drinking_water.reason", l("饮水安全：未保障原因", "Drinking water: why not"), None),
    ("guarantees.compulsory_education.ok", l("义务教育有保障", "Compulsory education"), None),
    ("guarantees.compulsory_education.reason", l("义务教育：未保障原因", "Compulsory education: why not"), None),
    ("guarantees.basic_medical.ok", l("基本医疗有保障", "Basic medical care"), None),
    ("guarantees.basic_medical.reason", l("基本医疗：未保障原因", "Basic medical care: why not"), None),
    ("guarantees.housing_safety.ok", l("住房安全有保障", "Safe housing"), None),
    ("guarantees.housing_safety.reason", l("住房安全：未保障原因", "Safe housing: why not"), None),
    ("living.housing", l("住房", "Housing"), Some("housing")),
    ("living.water", l("饮水", "Drinking water source"), Some("water")),
    ("living.electricity", l("通生活用电", "Electricity"), None),
    ("living.paved_road", l("通硬化路", "Paved road"), None),
    ("living.broadband", l("通宽带", "Broadband"), None),
];

/// A member's fields of the year (`members[<id>].<field>`).
const MEMBER_FIELDS: &[Field] = &[
    ("education", l("文化程度", "Education"), Some("education")),
    ("health", l("健康状况", "Health"), Some("health")),
    ("disability_grade", l("残疾等级", "Disability grade"), None),
    ("in_school", l("在校生状况", "Schooling"), Some("in_school")),
    ("labour_skill", l("劳动技能", "Labour skill"), Some("labour_skill")),
    ("work_status", l("务工状况", "Work"), Some("work_status")),
    ("months_away", l("外出务工月数", "Months working away"), None),
    ("medical_insurance", l("参加城乡居民基本医疗保险", "Basic medical insurance"), None),
    ("pension_insurance", l("参加城乡居民基本养老保险", "Basic pension insurance"), None),
    ("work_province", l("务工地点（省）", "Place of work: province"), None),
    ("work_county", l("务工地点（县）", "Place of work: county"), None),
];

/// A field path of the record (`income.wages`, `members[<id>].education`): where it sorts (the
/// form's order), its label, its values' table and the member it belongs to.
pub fn record_field(path: &str) -> Option<(usize, Label, Option<&'static str>, Option<&str>)> {
    if let Some(i) = RECORD_FIELDS.iter().position(|(p, _, _)| *p == path) {
        let (_, label, values) = RECORD_FIELDS[i];
        return Some((i, label, values, None));
    }
    let (member, field) = path.strip_prefix("members[")?.split_once("].")?;
    let i = MEMBER_FIELDS.iter().position(|(p, _, _)| *p == field)?;
    let (_, label, values) = MEMBER_FIELDS[i];
    Some((RECORD_FIELDS.len() + i, label, values, Some(member)))
}

/// A value of the record as people read it: a code by its Chinese label, `true`/`false` as
/// 是/否; numbers and free text unchanged.
fn readable(values: Option<&str>, v: &Value) -> Value {
    match (values, v) {
        (Some(field), Value::String(code)) => Value::String(zh(field, code)),
        (_, Value::Bool(b)) => Value::String(if *b { "是" } else { "否" }.to_owned()),
        _ => v.clone(),
    }
}

/// The rows of a 信息采集对照表: each field of `changes` named in Chinese (a member's by the
/// member's name from `members`, in their order, after the household's fields), values as labels.
/// The `field` of each row is its label, not its path.
pub fn comparison_rows(changes: &[Change], members: &[(String, String)]) -> Vec<Change> {
    let mut rows: Vec<((usize, String, usize), Change)> = changes
        .iter()
        .map(|c| {
            let Some((order, label, values, member)) = record_field(&c.field) else {
                return ((usize::MAX, c.field.clone(), 0), c.clone());
            };
            let (who, name) = match member {
                None => (0, None),
                Some(id) => match members.iter().position(|(m, _)| m == id) {
                    Some(i) => (1 + i, Some(members[i].1.as_str())),
                    None => (usize::MAX - 1, None),
                },
            };
            let field = match (member, name) {
                (None, _) => label.zh.to_owned(),
                (Some(_), Some(name)) => format!("{name} · {}", label.zh),
                (Some(_), None) => format!("原成员 · {}", label.zh),
            };
            ((who, member.unwrap_or_default().to_owned(), order), Change { field, before: readable(values, &c.before), after: readable(values, &c.after) })
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| a.cmp(b));
    rows.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_a_yearly_record_has_a_chinese_name() {
        let record = crate::domain::yearly::tests_support::record("m1");
        let fields = crate::domain::yearly::all_fields(None, Some(&record));
        assert!(fields.len() > 20);
        for c in &fields {
            assert!(record_field(&c.field).is_some(), "{}: add it to RECORD_FIELDS or MEMBER_FIELDS", c.field);
        }
        for (path, _, values) in RECORD_FIELDS.iter().chain(MEMBER_FIELDS) {
            assert!(values.is_none_or(|v| crate::domain::labels::all().iter().any(|(f, _)| *f == v)), "{path}: no table {values:?}");
        }
    }

    #[test]
    fn a_comparison_reads_in_chinese_with_members_by_name() {
        let before = crate::domain::yearly::tests_support::record("m1");
        let mut after = before.clone();
        after.living.water = "well".into();
        after.members[0].education = "senior".into();
        let rows = comparison_rows(&crate::domain::yearly::all_fields(Some(&before), Some(&after)), &[("m1".into(), "王小明".into())]);
        let find = |f: &str| rows.iter().find(|r| r.field == f).unwrap_or_else(|| panic!("{f}: {rows:?}"));
        assert_eq!(rows[0].field, "工资性收入(元)", "the form's order: income first");
        assert_eq!(rows.last().unwrap().field, "王小明 · 务工地点（县）", "members last");
        let water = find("饮水");
        assert_eq!((water.before.as_str(), water.after.as_str()), (Some("自来水"), Some("井水")));
        let school = find("王小明 · 文化程度");
        assert_eq!((school.before.as_str(), school.after.as_str()), (Some("初中"), Some("高中")));
        assert_eq!(find("通宽带").before.as_str(), Some("否"));
        assert_eq!(find("工资性收入(元)").after, serde_json::json!(12000.0), "figures stay numbers");
        assert!(rows.iter().all(|r| !r.field.contains('.') && !r.field.contains("m1")), "no path, no id: {rows:?}");
        let gone = comparison_rows(&crate::domain::yearly::all_fields(Some(&before), None), &[]);
        assert!(gone.iter().any(|r| r.field == "原成员 · 文化程度"), "a member no longer listed");
    }
}
