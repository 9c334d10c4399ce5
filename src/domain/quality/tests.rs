//! One test per rule: it fires on the broken household and stays silent on the correct one.

use super::*;
use crate::domain::yearly::tests_support::record;
use crate::domain::{IdNumber, Money, Sex};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn member(id: &str, name: &str, relation: Relation, birth: &str, seq: u16) -> MemberFacts {
    let number = IdNumber::compose("610831", d(birth), seq);
    MemberFacts {
        id: id.into(),
        name: name.into(),
        relation,
        sex: number.sex(),
        birth_date: d(birth),
        id_number: Some(number.as_str().into()),
        no_id_reason: None,
        phone: Some("13800138000".into()),
        removed: false,
        removed_reason: None,
        left_on: None,
    }
}

/// A lifted-out household with everything right.
fn good() -> HouseholdFacts {
    let mut rec = record("m1");
    rec.members.push(record("m2").members[0].clone());
    HouseholdFacts {
        id: "h1".into(),
        category: Category::LiftedOut,
        risk_status: None,
        has_home: true,
        has_pairing: true,
        members: vec![member("m1", "王建国", Relation::Head, "1965-03-02", 11), member("m2", "王小龙", Relation::Child, "1990-07-01", 13)],
        year: Some((rec, Money::yuan(9000))),
        photo_kinds: 6,
        photos_flagged: 0,
        photo_flag_reasons: vec![],
        loans: vec![],
    }
}

fn ctx() -> Context {
    Context {
        state_date: d("2026-09-30"),
        today: d("2026-11-22"),
        poverty_line: Some(Money::yuan(4000)),
        exit_minimum: Some(Money::yuan(4000)),
        shared_ids: HashMap::new(),
        shared_phones: HashMap::new(),
        phone_max_households: 3,
    }
}

fn fires(h: &HouseholdFacts, c: &Context) -> Vec<&'static str> {
    let mut ids: Vec<&str> = evaluate(h, c).into_iter().map(|h| h.rule).collect();
    ids.dedup();
    ids
}

fn only(rule: &str, h: HouseholdFacts, c: Context) {
    assert_eq!(fires(&h, &c), [rule], "expected only {rule}");
}

#[test]
fn a_correct_household_breaks_no_rule() {
    assert!(fires(&good(), &ctx()).is_empty(), "{:?}", evaluate(&good(), &ctx()));
    assert!(RULES.len() >= 19);
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
}

#[test]
fn id_invalid() {
    let mut h = good();
    h.members[1].id_number = Some("61083119900701001X".into());
    only("id_invalid", h, ctx());
}

#[test]
fn id_duplicate() {
    let h = good();
    let mut c = ctx();
    c.shared_ids.insert(h.members[1].id_number.clone().unwrap(), 2);
    only("id_duplicate", h, c);
}

#[test]
fn name_invalid() {
    let mut h = good();
    h.members[1].name = "王2".into();
    only("name_invalid", h, ctx());
}

#[test]
fn head_count() {
    let mut h = good();
    h.members[1].relation = Relation::Head;
    only("head_count", h, ctx());
}

#[test]
fn child_older_than_head() {
    let mut h = good();
    let number = IdNumber::compose("610831", d("1960-01-01"), 13);
    h.members[1].birth_date = d("1960-01-01");
    h.members[1].id_number = Some(number.as_str().into());
    only("child_older_than_head", h, ctx());
}

#[test]
fn birth_date_mismatch() {
    let mut h = good();
    h.members[1].birth_date = d("1990-07-02");
    only("birth_date_mismatch", h, ctx());
}

#[test]
fn sex_mismatch() {
    let mut h = good();
    h.members[1].sex = if h.members[1].sex == Sex::Male { Sex::Female } else { Sex::Male };
    only("sex_mismatch", h, ctx());
}

#[test]
fn over_100() {
    let mut h = good();
    let number = IdNumber::compose("610831", d("1920-05-05"), 15);
    h.members.push(MemberFacts { id: "m3".into(), name: "王老太".into(), relation: Relation::Parent, sex: number.sex(), birth_date: d("1920-05-05"), id_number: Some(number.as_str().into()), no_id_reason: None, phone: None, removed: false, removed_reason: None, left_on: None });
    only("over_100", h, ctx());
}

#[test]
fn deceased_in_year_record() {
    let mut h = good();
    h.members[1].removed = true;
    h.members[1].removed_reason = Some("death".into());
    h.members[1].left_on = Some(d("2025-09-30"));
    only("deceased_in_year_record", h.clone(), ctx());
    // Who left in the statistical year of the record (from 1 October 2025) belongs in it.
    h.members[1].left_on = Some(d("2025-10-01"));
    assert!(fires(&h, &ctx()).is_empty());
}

#[test]
fn member_without_id_number() {
    let mut h = good();
    h.members[1].id_number = None;
    h.members[1].no_id_reason = Some("newborn_unregistered".into());
    only("member_without_id_number", h.clone(), ctx());
    h.members[1].removed = true;
    h.members[1].left_on = Some(d("2025-10-02"));
    assert!(fires(&h, &ctx()).is_empty(), "only current members are listed");
}

#[test]
fn school_age_not_in_school() {
    let mut h = good();
    let number = IdNumber::compose("610831", d("2014-03-01"), 17);
    h.members[1].birth_date = d("2014-03-01");
    h.members[1].id_number = Some(number.as_str().into());
    h.members[1].sex = number.sex();
    if let Some((rec, _)) = &mut h.year {
        rec.members[1].member_id = "m2".into();
        rec.members[1].in_school = "not_in_school".into();
        rec.members[1].health = "healthy".into();
        rec.members[1].months_away = 0;
        rec.members[1].work_status = "none".into();
    }
    only("school_age_not_in_school", h.clone(), ctx());
    // A seriously ill child is excused.
    if let Some((rec, _)) = &mut h.year {
        rec.members[1].health = "serious_illness".into();
    }
    assert!(fires(&h, &ctx()).is_empty());
}

#[test]
fn months_away_inconsistent() {
    let mut h = good();
    if let Some((rec, _)) = &mut h.year {
        rec.members[0].months_away = 13;
    }
    only("months_away_inconsistent", h.clone(), ctx());
    if let Some((rec, _)) = &mut h.year {
        rec.members[0].months_away = 3;
        rec.members[0].work_status = "none".into();
    }
    only("months_away_inconsistent", h, ctx());
}

#[test]
fn exited_below_minimum() {
    let mut h = good();
    if let Some((_, pc)) = &mut h.year {
        *pc = Money::yuan(3500);
    }
    only("exited_below_minimum", h, ctx());
}

#[test]
fn monitored_above_minimum() {
    let mut h = good();
    h.category = Category::MonitoredMarginal;
    h.risk_status = Some("not_eliminated".into());
    only("monitored_above_minimum", h.clone(), ctx());
    h.risk_status = Some("eliminated".into());
    assert!(fires(&h, &ctx()).is_empty());
}

#[test]
fn income_parts_inconsistent() {
    let mut h = good();
    if let Some((rec, _)) = &mut h.year {
        rec.income.production_costs = rec.income.production + Money::yuan(1);
    }
    only("income_parts_inconsistent", h, ctx());
}

#[test]
fn expense_poverty_risk() {
    let mut h = good();
    h.category = Category::Ordinary;
    h.has_pairing = false;
    h.has_home = false;
    h.photo_kinds = 0;
    assert!(fires(&h, &ctx()).is_empty(), "an ordinary household above the line");
    // 17 500 net over 2 members is 8 750 each; less 12 000.02 of medical costs 2 749.99 each.
    if let Some((rec, _)) = &mut h.year {
        rec.rigid_expenses.medical = Money::from_fen(1_200_002);
    }
    only("expense_poverty_risk", h.clone(), ctx());
    // Exactly at the line after the expenses is not below it.
    if let Some((rec, _)) = &mut h.year {
        rec.rigid_expenses.medical = Money::yuan(9500);
    }
    assert!(fires(&h, &ctx()).is_empty(), "8 750 − 4 750 = 4 000 is the line itself");
    // A monitored household is followed already.
    h.category = Category::MonitoredUnstable;
    h.risk_status = Some("eliminated".into());
    h.has_pairing = true;
    h.has_home = true;
    h.photo_kinds = 6;
    if let Some((rec, _)) = &mut h.year {
        rec.rigid_expenses.medical = Money::yuan(17_000);
    }
    assert!(!fires(&h, &ctx()).contains(&"expense_poverty_risk"));
    // Below the line on income alone is another matter (not this rule).
    h.category = Category::Ordinary;
    h.year.as_mut().unwrap().1 = Money::yuan(3999);
    assert!(!fires(&h, &ctx()).contains(&"expense_poverty_risk"));
}

#[test]
fn no_pairing() {
    let mut h = good();
    h.has_pairing = false;
    only("no_pairing", h.clone(), ctx());
    h.category = Category::Ordinary;
    assert!(fires(&h, &ctx()).is_empty());
}

#[test]
fn loan_overdue() {
    use crate::domain::projects::{LoanStatus, LoanTerms};
    let mut h = good();
    let t = LoanTerms { issued_on: d("2023-11-01"), due_on: d("2026-11-01"), extended_to: None, status: LoanStatus::Outstanding, repaid_on: None };
    h.loans = vec![("农商银行".into(), t)];
    only("loan_overdue", h.clone(), ctx());
    // Repaid, or extended past today: not overdue.
    h.loans[0].1 = LoanTerms { status: LoanStatus::Repaid, repaid_on: Some(d("2026-10-30")), ..t };
    assert!(fires(&h, &ctx()).is_empty());
    h.loans[0].1 = LoanTerms { status: LoanStatus::Extended, extended_to: Some(d("2027-05-01")), ..t };
    assert!(fires(&h, &ctx()).is_empty());
}

#[test]
fn no_home_location() {
    let mut h = good();
    h.has_home = false;
    only("no_home_location", h, ctx());
}

#[test]
fn photo_set_incomplete() {
    let mut h = good();
    h.photo_kinds = 5;
    only("photo_set_incomplete", h, ctx());
}

#[test]
fn photos_flagged_unreviewed() {
    let mut h = good();
    h.photos_flagged = 2;
    h.photo_flag_reasons = vec![crate::domain::photo::Reason::EditedSoftware, crate::domain::photo::Reason::ThumbnailMismatch];
    only("photos_flagged_unreviewed", h.clone(), ctx());
    let hits = evaluate(&h, &ctx());
    let hit = hits.iter().find(|f| f.rule == "photos_flagged_unreviewed").unwrap();
    assert_eq!(hit.detail, "2 flagged photo(s): edited_software, thumbnail_mismatch");
}

#[test]
fn shared_phone() {
    let h = good();
    let mut c = ctx();
    c.shared_phones.insert("13800138000".into(), 5);
    only("shared_phone", h, c);
}

#[test]
fn the_ledger_never_skips_verification() {
    assert!(transition_allowed("open", "verified").is_ok());
    assert!(transition_allowed("verified", "rectified").is_ok());
    assert!(transition_allowed("rectified", "closed").is_ok());
    assert!(transition_allowed("open", "dismissed").is_ok());
    assert!(transition_allowed("open", "rectified").unwrap_err().contains("verified or dismissed"));
    assert!(transition_allowed("closed", "open").is_err());
    assert!(transition_allowed("resolved_by_data", "verified").is_err());
}
