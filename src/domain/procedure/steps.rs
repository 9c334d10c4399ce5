//! What a step must carry besides its date and outcome (pure checks, each problem under its
//! field): the home-visit record's collectors and signature, the township spot check's
//! inspectors, the note an application or a second evaluation after a suspicion needs, and the
//! county's list of departments every cross-check answers for.

use serde_json::{Value, json};

use super::{Stage, Step};
use crate::domain::FieldErrors;

/// The departments a county cross-checks with when it configured none (seed 004).
pub const DEFAULT_DEPARTMENTS: &[&str] = &["公安", "住建", "财政", "人社", "市场监管", "农机", "银行", "证券", "保险"];

/// The parts of a step that only some steps take, as sent.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Home visit: who collected (at least two people, 2人以上入户采集).
    pub collectors: Vec<String>,
    /// Home visit: the household signed the record itself.
    pub household_signed: Option<bool>,
    /// Home visit: who signed for a household that cannot write (代签人).
    pub proxy_signer: Option<String>,
    /// Township spot check: who checked (抽查人).
    pub checked_by: Vec<String>,
    pub note: Option<String>,
    /// Application: the scan of the handwritten application is attached to the case (a document
    /// of kind `application`, `POST /cases/{id}/documents`); set by the service, not the body.
    pub application_attached: bool,
}

fn distinct(names: &[String]) -> usize {
    let mut v: Vec<&str> = names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Checks the extras of `step` taken from `from`; answers the details to keep with the step.
pub fn check(step: Step, from: Stage, x: &Extras, errs: &mut FieldErrors) -> Option<Value> {
    let not_here = |errs: &mut FieldErrors, field: &str, only: &str| errs.add(field, "invalid_value", format!("only for the {only}"));
    if step != Step::HomeVisit {
        if !x.collectors.is_empty() {
            not_here(errs, "collectors", "home visit");
        }
        if x.household_signed.is_some() {
            not_here(errs, "household_signed", "home visit");
        }
        if x.proxy_signer.is_some() {
            not_here(errs, "proxy_signer", "home visit");
        }
    }
    if step != Step::TownshipSpotCheck && !x.checked_by.is_empty() {
        not_here(errs, "checked_by", "township spot check");
    }
    let note_missing = x.note.as_deref().is_none_or(|n| n.trim().is_empty());
    match step {
        Step::HomeVisit => {
            if distinct(&x.collectors) < 2 {
                errs.add("collectors", "too_few", "a home visit is made by at least two people (2人以上入户采集): name each");
            }
            match (x.household_signed, x.proxy_signer.as_deref().map(str::trim).filter(|p| !p.is_empty())) {
                (None, _) => errs.add("household_signed", "required", "say whether the household signed the record"),
                (Some(false), None) => errs.add("proxy_signer", "required", "a household that cannot write has the record signed for it: name who signed (代签人)"),
                (Some(true), Some(_)) => errs.add("proxy_signer", "invalid_value", "the household signed itself: no 代签人"),
                _ => {}
            }
            Some(json!({"collectors": x.collectors, "household_signed": x.household_signed, "proxy_signer": x.proxy_signer}))
        }
        Step::TownshipSpotCheck => {
            if distinct(&x.checked_by) < 1 {
                errs.add("checked_by", "required", "name who checked (抽查审核人)");
            }
            Some(json!({"checked_by": x.checked_by}))
        }
        Step::Application if note_missing && !x.application_attached => {
            errs.add("note", "required", "the household's handwritten application: attach its scan to the case (POST /cases/{id}/documents), or say where it is kept or why there is none");
            None
        }
        Step::VillageEvaluation if from == Stage::Suspected && note_missing => {
            errs.add("note", "required", "the second evaluation answers the suspicions fed back by the cross-check: record its finding");
            None
        }
        _ => None,
    }
}

/// The configured departments a cross-check did not answer for (each must be recorded).
pub fn missing_departments<'a>(configured: &'a [String], answered: &[&str]) -> Vec<&'a str> {
    configured.iter().map(String::as_str).filter(|d| !answered.contains(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs_of(step: Step, from: Stage, x: Extras) -> Vec<(String, String)> {
        let mut e = FieldErrors::new();
        check(step, from, &x, &mut e);
        e.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_step_takes_what_the_documents_ask_of_it() {
        let ok_visit = Extras { collectors: names(&["张", "李"]), household_signed: Some(true), ..Default::default() };
        let proxy = Extras { collectors: names(&["张", "李"]), household_signed: Some(false), proxy_signer: Some("王邻居".into()), ..Default::default() };
        let f = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        // (step, from, extras, problems)
        type Row = (Step, Stage, Extras, Vec<(String, String)>);
        let table: Vec<Row> = vec![
            (Step::HomeVisit, Stage::Applied, ok_visit.clone(), vec![]),
            (Step::HomeVisit, Stage::Applied, proxy, vec![]),
            (Step::HomeVisit, Stage::Applied, Extras { collectors: names(&["张", "张 "]), household_signed: Some(true), ..Default::default() }, vec![f("collectors", "too_few")]),
            (Step::HomeVisit, Stage::Applied, Extras { collectors: names(&["张", "李"]), household_signed: Some(false), ..Default::default() }, vec![f("proxy_signer", "required")]),
            (Step::HomeVisit, Stage::Applied, Extras { collectors: names(&["张", "李"]), ..Default::default() }, vec![f("household_signed", "required")]),
            (Step::HomeVisit, Stage::Applied, Extras { collectors: names(&["张", "李"]), household_signed: Some(true), proxy_signer: Some("王".into()), ..Default::default() }, vec![f("proxy_signer", "invalid_value")]),
            (Step::TownshipSpotCheck, Stage::Publicity, Extras { checked_by: names(&["赵审核"]), ..Default::default() }, vec![]),
            (Step::TownshipSpotCheck, Stage::Publicity, Extras::default(), vec![f("checked_by", "required")]),
            (Step::Publicity, Stage::Acknowledged, Extras { checked_by: names(&["赵"]), ..Default::default() }, vec![f("checked_by", "invalid_value")]),
            (Step::VillageEvaluation, Stage::Visited, ok_visit, vec![f("collectors", "invalid_value"), f("household_signed", "invalid_value")]),
            (Step::Application, Stage::Start, Extras::default(), vec![f("note", "required")]),
            (Step::Application, Stage::Start, Extras { note: Some("手写申请书存村档案".into()), ..Default::default() }, vec![]),
            (Step::Application, Stage::Start, Extras { application_attached: true, ..Default::default() }, vec![]),
            (Step::VillageEvaluation, Stage::Suspected, Extras::default(), vec![f("note", "required")]),
            (Step::VillageEvaluation, Stage::CrossChecked, Extras::default(), vec![]),
        ];
        for (step, from, x, want) in table {
            assert_eq!(errs_of(step, from, x), want, "{step:?} from {from:?}");
        }
    }

    #[test]
    fn a_cross_check_answers_for_every_configured_department() {
        let configured: Vec<String> = DEFAULT_DEPARTMENTS.iter().map(|d| d.to_string()).collect();
        assert_eq!(missing_departments(&configured, DEFAULT_DEPARTMENTS), Vec::<&str>::new());
        assert_eq!(missing_departments(&configured, &["公安", "住建", "财政", "人社", "市场监管", "农机", "银行"]), ["证券", "保险"]);
    }
}
