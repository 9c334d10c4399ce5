//! Problems recorded by people 问题 from the daily self-check visits, audits, cross-inspections,
//! third-party evaluations and complaints, and the rules of their rectification 整改: the
//! deadline a problem gets by default (限时销号), what a rectification needs before it is
//! marked rectified (measure, responsible person, evidence of completion, the two sign-offs),
//! and who closes it (销号, the township).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::household::text_enum;

/// Where a problem comes from 问题来源.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSource {
    /// 数据清洗 found by the cleaning rules (written by runs, not by people)
    Cleaning,
    /// 自查 the daily self-check visits
    SelfCheck,
    /// 审计 an audit
    Audit,
    /// 交叉检查/督查 a cross-inspection or supervision
    Inspection,
    /// 第三方评估 a third-party evaluation
    ThirdParty,
    /// 信访/12317 a complaint
    Complaint,
}
text_enum!(ProblemSource {
    Cleaning => "cleaning",
    SelfCheck => "self_check",
    Audit => "audit",
    Inspection => "inspection",
    ThirdParty => "third_party",
    Complaint => "complaint",
});

impl ProblemSource {
    /// The sources a person may record a problem under (not `cleaning`).
    pub fn recorded_by_people(self) -> bool {
        self != ProblemSource::Cleaning
    }
}

/// What kind of problem it is 问题类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCategory {
    /// 收入不达标
    IncomeBelowLine,
    /// 两不愁三保障未保障 (with `guarantee` naming which)
    GuaranteeUnmet,
    /// 信息不准确
    InaccurateData,
    /// 帮扶措施不到位
    AssistanceLacking,
    /// 程序不规范
    ProcedureIrregular,
    /// 其他
    Other,
}
text_enum!(ProblemCategory {
    IncomeBelowLine => "income_below_line",
    GuaranteeUnmet => "guarantee_unmet",
    InaccurateData => "inaccurate_data",
    AssistanceLacking => "assistance_lacking",
    ProcedureIrregular => "procedure_irregular",
    Other => "other",
});

/// Which of 两不愁三保障 (and safe drinking water) is not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Guarantee {
    /// 不愁吃
    Food,
    /// 不愁穿
    Clothing,
    /// 义务教育有保障
    Education,
    /// 基本医疗有保障
    Medical,
    /// 住房安全有保障
    Housing,
    /// 饮水安全有保障
    DrinkingWater,
}
text_enum!(Guarantee {
    Food => "food",
    Clothing => "clothing",
    Education => "education",
    Medical => "medical",
    Housing => "housing",
    DrinkingWater => "drinking_water",
});

/// Who signs a rectification off 签字.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignoffRole {
    /// 村支书 (signs with the village's own account, a village officer of that village)
    VillageSecretary,
    /// 驻村工作队长 (the first secretary of the village's current work team; their own
    /// account when their cadre record is linked to one)
    TeamLeader,
}
text_enum!(SignoffRole {
    VillageSecretary => "village_secretary",
    TeamLeader => "team_leader",
});

/// What a piece of evidence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidencePurpose {
    /// 问题佐证 what was found
    Finding,
    /// 整改佐证 the rectification done
    Completion,
}
text_enum!(EvidencePurpose {
    Finding => "finding",
    Completion => "completion",
});

/// What a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// 照片 a photo of the household (the photo pipeline)
    Photo,
    /// 材料 a document of the household's file 一户一档
    Document,
}
text_enum!(EvidenceKind {
    Photo => "photo",
    Document => "document",
});

/// Days a problem has to be closed by default (限时销号), by source and severity: keys
/// `source.severity` (`complaint.error`), then `source`, then `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineDays(pub BTreeMap<String, i64>);

impl Default for DeadlineDays {
    /// Complaints are answered within 15 days, serious findings of audits and inspections
    /// within 30, the rest within 30 (what `quality_deadline_days` gives the rules' problems).
    fn default() -> Self {
        Self([("complaint", 15), ("self_check.error", 15), ("default", 30)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

impl DeadlineDays {
    /// The days for a problem of `source` and `severity` (`error` or `warning`).
    pub fn days(&self, source: ProblemSource, severity: &str) -> i64 {
        let m = &self.0;
        m.get(&format!("{}.{severity}", source.as_str())).or_else(|| m.get(source.as_str())).or_else(|| m.get("default")).copied().unwrap_or(30)
    }
}

/// A problem's deadline may not lie before the day it was found.
pub fn check_deadline(deadline: NaiveDate, found_on: NaiveDate) -> Result<(), super::super::validation::DomainError> {
    if deadline < found_on {
        Err(super::super::validation::DomainError::new("before_found", format!("the deadline may not lie before the day the problem was found ({found_on})")))
    } else {
        Ok(())
    }
}

/// What a rectification holds when someone marks it rectified.
#[derive(Debug, Clone, Default)]
pub struct Rectification {
    pub has_measure: bool,
    pub has_responsible: bool,
    pub completion_evidence: usize,
    pub signed: Vec<SignoffRole>,
}

/// What is still missing before a problem recorded by people may be marked rectified, in the
/// order the township checks it; empty when nothing is.
pub fn missing(r: &Rectification) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !r.has_measure {
        out.push("measure (整改措施)");
    }
    if !r.has_responsible {
        out.push("responsible person (责任人)");
    }
    if r.completion_evidence == 0 {
        out.push("evidence of completion (整改佐证)");
    }
    if !r.signed.contains(&SignoffRole::VillageSecretary) {
        out.push("sign-off of the village secretary (村支书签字)");
    }
    if !r.signed.contains(&SignoffRole::TeamLeader) {
        out.push("sign-off of the work-team leader (驻村工作队长签字)");
    }
    out
}

/// Sign-offs attest a rectification being worked: a problem verified (核实), not yet rectified.
pub fn may_sign(status: &str) -> Result<(), String> {
    if status == "verified" { Ok(()) } else { Err(format!("a problem that is {status} cannot be signed off: sign-offs come after it is verified and before it is marked rectified")) }
}

/// The sources of `/quality/problems?source=` and of a problem's view (`ProblemSource`).
pub const SOURCES: &[&str] = &["cleaning", "self_check", "audit", "inspection", "third_party", "complaint"];
/// `ProblemCategory` as text.
pub const CATEGORIES: &[&str] = &["income_below_line", "guarantee_unmet", "inaccurate_data", "assistance_lacking", "procedure_irregular", "other"];
/// `Guarantee` as text.
pub const GUARANTEES: &[&str] = &["food", "clothing", "education", "medical", "housing", "drinking_water"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_fall_back_from_source_and_severity_to_source_to_default() {
        let d = DeadlineDays([("complaint", 10), ("audit.error", 20), ("default", 40)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        assert_eq!(d.days(ProblemSource::Audit, "error"), 20);
        assert_eq!(d.days(ProblemSource::Audit, "warning"), 40);
        assert_eq!(d.days(ProblemSource::Complaint, "warning"), 10);
        assert_eq!(DeadlineDays(BTreeMap::new()).days(ProblemSource::SelfCheck, "error"), 30);
        assert_eq!(DeadlineDays::default().days(ProblemSource::Complaint, "error"), 15);
    }

    #[test]
    fn a_deadline_before_the_finding_is_refused() {
        let found = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        assert!(check_deadline(found, found).is_ok());
        assert_eq!(check_deadline(found.pred_opt().unwrap(), found).unwrap_err().code, "before_found");
    }

    #[test]
    fn missing_names_each_part_in_order() {
        let none = missing(&Rectification::default());
        assert_eq!(none.len(), 5);
        assert!(none[0].starts_with("measure"));
        let all = Rectification { has_measure: true, has_responsible: true, completion_evidence: 1, signed: vec![SignoffRole::TeamLeader, SignoffRole::VillageSecretary] };
        assert!(missing(&all).is_empty());
        let one = Rectification { signed: vec![SignoffRole::VillageSecretary], ..all };
        assert_eq!(missing(&one), ["sign-off of the work-team leader (驻村工作队长签字)"]);
    }

    #[test]
    fn the_text_lists_are_the_enumerations() {
        let texts = |v: Vec<&'static str>| v;
        assert_eq!(texts(ProblemSource::ALL.iter().map(|s| s.as_str()).collect()), SOURCES);
        assert_eq!(texts(ProblemCategory::ALL.iter().map(|s| s.as_str()).collect()), CATEGORIES);
        assert_eq!(texts(Guarantee::ALL.iter().map(|s| s.as_str()).collect()), GUARANTEES);
    }

    #[test]
    fn only_a_verified_problem_is_signed() {
        assert!(may_sign("verified").is_ok());
        for s in ["open", "rectified", "closed", "dismissed"] {
            assert!(may_sign(s).is_err(), "{s}");
        }
    }
}
