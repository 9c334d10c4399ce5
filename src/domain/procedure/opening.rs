//! Which case a household may start (item 6 of issue 19): a case that cannot start is refused
//! with the reason (409 `case_not_allowed`), and which case changes what a household edit may
//! not (422 naming the case kind to open).

use chrono::NaiveDate;

use super::CaseKind;
use crate::domain::Category;
use crate::domain::household_profile::Profile;

/// What the preconditions look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdState<'a> {
    pub category: Category,
    pub risk_status: Option<&'a str>,
    /// 风险消除时间 from the household's profile.
    pub risk_eliminated_on: Option<NaiveDate>,
}

fn monitored(c: Category) -> bool {
    matches!(c, Category::MonitoredUnstable | Category::MonitoredMarginal | Category::MonitoredHardship)
}

/// Whether a case of `kind` may start for a household in state `h`, or why not.
pub fn may_open(kind: CaseKind, h: HouseholdState) -> Result<(), String> {
    let eliminated = h.risk_status == Some("eliminated");
    let cat = h.category.as_str();
    match kind {
        CaseKind::Inclusion if monitored(h.category) && !eliminated => {
            Err(format!("the household is already a monitoring object ({cat}) with its risk not eliminated: re-mark its risk (risk_remark) instead"))
        }
        CaseKind::Inclusion => Ok(()),
        CaseKind::Reinclusion if h.category == Category::LiftedOut || (monitored(h.category) && eliminated) => Ok(()),
        CaseKind::Reinclusion => Err(format!("返贫 is for a household lifted out of poverty or whose risk was eliminated; this one is {cat}: open an inclusion")),
        CaseKind::Exit if monitored(h.category) && !eliminated => Ok(()),
        CaseKind::Exit if monitored(h.category) => Err("the household's risk is eliminated already".into()),
        CaseKind::Exit => Err(format!("an exit is for a monitoring object whose risk is not eliminated; this household is {cat}")),
        CaseKind::Removal if h.category == Category::Ordinary => Err("清退 removes a wrongly included household; this one is an ordinary household already".into()),
        CaseKind::Removal => Ok(()),
        CaseKind::PolicyEnd if h.category == Category::LiftedOut => Ok(()),
        CaseKind::PolicyEnd => Err(format!("已脱贫(不再享受政策) is marked on a household lifted out of poverty; this one is {cat}")),
        CaseKind::RiskRemark if monitored(h.category) => Ok(()),
        CaseKind::RiskRemark => Err(format!("re-marking a risk is for a household in monitoring; this one is {cat}: open an inclusion")),
        CaseKind::RiskRollback => match (eliminated, h.risk_eliminated_on) {
            (true, Some(_)) => Ok(()),
            (true, None) => Err("the household's risk elimination has no date (风险消除时间): a rollback needs the elimination it undoes".into()),
            (false, _) => Err("风险消除回退 is only for a household whose risk was eliminated; this one's was not".into()),
        },
    }
}

/// The case kind that changes a household's category, risk status or risk types (a household
/// edit that tries is refused naming it).
pub fn case_for(field: &str) -> &'static str {
    match field {
        "category" => "inclusion, reinclusion, exit, removal or policy_end",
        "risk_status" => "exit, risk_remark or risk_rollback",
        _ => "inclusion or risk_remark",
    }
}

/// The profile's fields a completed case sets (纳入监测时间, 风险消除时间 and 消除方式, 返贫原因) that
/// `after` changes: outside a county admin's data migration they change only through cases.
pub fn case_set_fields_changed(before: &Profile, after: &Profile) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.monitoring_included_on != after.monitoring_included_on {
        out.push("monitoring_included_on");
    }
    if before.risk_eliminated_on != after.risk_eliminated_on {
        out.push("risk_eliminated_on");
    }
    if before.risk_elimination_way != after.risk_elimination_way {
        out.push("risk_elimination_way");
    }
    if before.fallback_reason != after.fallback_reason {
        out.push("fallback_reason");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseKind as K;
    use Category as C;

    fn h(category: Category, risk: Option<&'static str>, on: Option<&str>) -> HouseholdState<'static> {
        HouseholdState { category, risk_status: risk, risk_eliminated_on: on.map(|d| d.parse().unwrap()) }
    }

    #[test]
    fn the_dates_a_case_sets_are_told_apart_from_the_rest_of_the_profile() {
        let before = Profile { monitoring_included_on: Some("2025-11-30".parse().unwrap()), fallback_reason: Some("illness".into()), identified_year: Some(2014), ..Default::default() };
        let flags_only = Profile { identified_year: Some(2015), ..before.clone() };
        assert!(case_set_fields_changed(&before, &flags_only).is_empty());
        assert_eq!(case_set_fields_changed(&before, &Profile::default()), ["monitoring_included_on", "fallback_reason"]);
        let eliminated = Profile { risk_eliminated_on: Some("2026-11-23".parse().unwrap()), ..before.clone() };
        assert_eq!(case_set_fields_changed(&before, &eliminated), ["risk_eliminated_on"]);
    }

    #[test]
    fn each_kind_starts_only_from_the_states_the_documents_allow() {
        let monitored = h(C::MonitoredMarginal, Some("not_eliminated"), None);
        let eliminated = h(C::MonitoredMarginal, Some("eliminated"), Some("2025-12-01"));
        let undated = h(C::MonitoredMarginal, Some("eliminated"), None);
        let lifted = h(C::LiftedOut, None, None);
        let ordinary = h(C::Ordinary, None, None);
        // (kind, household, allowed, words of the refusal)
        let table: &[(K, HouseholdState, bool, &str)] = &[
            (K::Inclusion, ordinary, true, ""),
            (K::Inclusion, lifted, true, ""),
            (K::Inclusion, eliminated, true, ""),
            (K::Inclusion, monitored, false, "risk_remark"),
            (K::Reinclusion, lifted, true, ""),
            (K::Reinclusion, eliminated, true, ""),
            (K::Reinclusion, ordinary, false, "open an inclusion"),
            (K::Reinclusion, monitored, false, "open an inclusion"),
            (K::Exit, monitored, true, ""),
            (K::Exit, eliminated, false, "eliminated already"),
            (K::Exit, lifted, false, "lifted_out"),
            (K::Exit, ordinary, false, "ordinary"),
            (K::Removal, monitored, true, ""),
            (K::Removal, lifted, true, ""),
            (K::Removal, ordinary, false, "ordinary household already"),
            (K::PolicyEnd, lifted, true, ""),
            (K::PolicyEnd, monitored, false, "monitored_marginal"),
            (K::RiskRemark, monitored, true, ""),
            (K::RiskRemark, eliminated, true, ""),
            (K::RiskRemark, lifted, false, "in monitoring"),
            (K::RiskRollback, eliminated, true, ""),
            (K::RiskRollback, undated, false, "no date"),
            (K::RiskRollback, monitored, false, "was not"),
            (K::RiskRollback, lifted, false, "was not"),
        ];
        for (kind, household, allowed, words) in table {
            match may_open(*kind, *household) {
                Ok(()) => assert!(allowed, "{kind:?} on {household:?} should be refused"),
                Err(why) => {
                    assert!(!allowed, "{kind:?} on {household:?}: {why}");
                    assert!(why.contains(words), "{kind:?}: {why}");
                }
            }
        }
    }
}
