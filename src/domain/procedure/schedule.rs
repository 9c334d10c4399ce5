//! The county's campaign schedule of a year 动态调整工作进度安排 (seed 004: information collection
//! by 11-10, evaluation and publicity by 11-30, data entry by 12-15, acceptance by 12-26), and
//! which open cases it makes late.

use chrono::{Datelike, NaiveDate};

use super::Stage;
use crate::domain::FieldErrors;

/// The four deadlines of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub collection_by: NaiveDate,
    pub evaluation_by: NaiveDate,
    pub entry_by: NaiveDate,
    pub acceptance_by: NaiveDate,
}

/// Checks a schedule of `year`: the deadlines in their order, none before the year starts nor
/// after the next one ends (the acceptance may run into January).
pub fn check(year: i32, s: &Schedule, errs: &mut FieldErrors) {
    let fields = [("collection_by", s.collection_by), ("evaluation_by", s.evaluation_by), ("entry_by", s.entry_by), ("acceptance_by", s.acceptance_by)];
    for (name, d) in fields {
        if d.year() != year && d.year() != year + 1 {
            errs.add(name, "out_of_range", format!("a date of {year} (or early {})", year + 1));
        }
    }
    for pair in fields.windows(2) {
        if pair[1].1 < pair[0].1 {
            errs.add(pair[1].0, "out_of_order", format!("{} comes on or after {} ({})", pair[1].0, pair[0].0, pair[0].1));
        }
    }
}

/// Stages at which a case has not finished the information collection 信息采集 (no evaluation yet).
pub const BEFORE_EVALUATION: &[Stage] = &[Stage::Start, Stage::Applied, Stage::Visited];

/// Which open cases are late on `today`: every one once the evaluation-and-publicity deadline
/// has passed (`true`), else those still before their evaluation once the collection deadline
/// has passed (the stages listed).
pub fn late(today: NaiveDate, s: &Schedule) -> (bool, Vec<Stage>) {
    if today > s.evaluation_by {
        (true, Vec::new())
    } else if today > s.collection_by {
        (false, BEFORE_EVALUATION.to_vec())
    } else {
        (false, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plan() -> Schedule {
        Schedule { collection_by: d("2026-11-10"), evaluation_by: d("2026-11-30"), entry_by: d("2026-12-15"), acceptance_by: d("2026-12-26") }
    }

    #[test]
    fn the_documents_dates_are_valid_and_make_cases_late_in_two_stages() {
        let mut e = FieldErrors::new();
        check(2026, &plan(), &mut e);
        assert!(e.is_empty());
        assert_eq!(late(d("2026-11-10"), &plan()), (false, vec![]));
        assert_eq!(late(d("2026-11-11"), &plan()), (false, BEFORE_EVALUATION.to_vec()));
        assert_eq!(late(d("2026-12-01"), &plan()), (true, vec![]));
    }

    #[test]
    fn deadlines_out_of_order_or_of_another_year_are_refused() {
        let mut e = FieldErrors::new();
        check(2026, &Schedule { entry_by: d("2026-11-01"), acceptance_by: d("2028-01-01"), ..plan() }, &mut e);
        let got: Vec<(&str, &str)> = e.0.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(got, [("acceptance_by", "out_of_range"), ("entry_by", "out_of_order")]);
    }
}
