use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-12-31";

use CaseKind as K;

fn run(kind: CaseKind, steps: &[(Step, Outcome, &str)]) -> Result<Position, Refusal> {
    let steps: Vec<_> = steps.iter().map(|(s, o, t)| (*s, *o, d(t))).collect();
    replay(kind, d("2026-11-01"), &steps, d(TODAY))
}

/// Plan 004's calendar: evaluation 11-11, first publicity through 11-17, second through 11-24,
/// announcement through 11-29 — each step at its earliest date.
const INCLUSION: &[(Step, Outcome, &str)] = &[
    (T::Application, O::Done, "2026-11-05"),
    (T::HomeVisit, O::Done, "2026-11-08"),
    (T::VillageEvaluation, O::Approved, "2026-11-11"),
    (T::Acknowledgement, O::Done, "2026-11-11"),
    (T::FirstPublicity, O::Done, "2026-11-11"),
    (T::TownshipReview, O::Approved, "2026-11-18"),
    (T::SecondPublicity, O::Done, "2026-11-18"),
    (T::CountyCrossCheck, O::Clear, "2026-11-25"),
    (T::VillageEvaluation, O::Approved, "2026-11-25"),
    (T::Announcement, O::Done, "2026-11-25"),
    (T::Notification, O::Done, "2026-11-30"),
];

const EXIT: &[(Step, Outcome, &str)] = &[
    (T::VillageEvaluation, O::Approved, "2026-11-11"),
    (T::Acknowledgement, O::Done, "2026-11-11"),
    (T::Publicity, O::Done, "2026-11-11"),
    (T::TownshipSpotCheck, O::Approved, "2026-11-18"),
    (T::Announcement, O::Done, "2026-11-18"),
    (T::Notification, O::Done, "2026-11-23"),
];

#[test]
fn inclusion_and_reinclusion_run_the_documents_calendar_at_the_earliest_dates() {
    for kind in [K::Inclusion, K::Reinclusion] {
        assert_eq!(run(kind, INCLUSION).unwrap().stage, S::Done, "{kind:?}");
    }
    // Each step one day earlier than allowed is refused, saying when it may come.
    for (i, (step, _, date)) in INCLUSION.iter().enumerate() {
        let earlier = d(date) - Duration::days(1);
        let prev = if i == 0 { d("2026-11-01") } else { d(INCLUSION[i - 1].2) };
        if earlier < prev {
            continue;
        }
        let mut steps: Vec<_> = INCLUSION[..=i].iter().map(|(s, o, t)| (*s, *o, d(t))).collect();
        steps[i].2 = earlier;
        let refused = replay(K::Inclusion, d("2026-11-01"), &steps, d(TODAY));
        let gated = matches!(step, T::TownshipReview | T::CountyCrossCheck | T::Notification);
        assert_eq!(refused.is_err(), gated, "{step:?} on {earlier}");
    }
}

#[test]
fn exit_and_removal_need_the_acknowledgement_and_the_township_spot_check() {
    for kind in [K::Exit, K::Removal] {
        assert_eq!(run(kind, EXIT).unwrap().stage, S::Done);
    }
    // Without the township's spot check the announcement is refused.
    let skip = [EXIT[0], EXIT[1], EXIT[2], (T::Announcement, O::Done, "2026-11-18")];
    assert!(run(K::Exit, &skip).unwrap_err().message.contains("allowed: objection, township_spot_check"));
    // Without the household's acknowledgement the publicity is refused.
    let unacknowledged = [EXIT[0], (T::Publicity, O::Done, "2026-11-11")];
    assert!(run(K::Exit, &unacknowledged).unwrap_err().message.contains("allowed: acknowledgement"));
    // A spot check that rejects ends the case.
    let rejected = [EXIT[0], EXIT[1], EXIT[2], (T::TownshipSpotCheck, O::Rejected, "2026-11-18")];
    assert_eq!(run(K::Removal, &rejected).unwrap().stage, S::Rejected);
}

#[test]
fn the_second_evaluation_is_always_held_and_a_single_one_is_refused() {
    // Clear cross-check: the announcement still needs the second evaluation.
    let mut single: Vec<_> = INCLUSION[..8].to_vec();
    single.push((T::Announcement, O::Done, "2026-11-25"));
    assert!(run(K::Inclusion, &single).unwrap_err().message.contains("allowed: village_evaluation"));
    // A suspicion: the second evaluation answers it.
    let mut suspected: Vec<_> = INCLUSION[..7].to_vec();
    suspected.push((T::CountyCrossCheck, O::Suspicion, "2026-11-25"));
    assert_eq!(run(K::Inclusion, &suspected).unwrap().stage, S::Suspected);
    suspected.push((T::VillageEvaluation, O::Rejected, "2026-11-26"));
    assert_eq!(run(K::Inclusion, &suspected).unwrap().stage, S::Rejected);
}

#[test]
fn an_inclusion_starts_with_the_application_and_the_home_visit() {
    assert!(run(K::Inclusion, &[(T::VillageEvaluation, O::Approved, "2026-11-11")]).unwrap_err().message.contains("allowed: application"));
    let no_visit = [(T::Application, O::Done, "2026-11-05"), (T::VillageEvaluation, O::Approved, "2026-11-11")];
    assert!(run(K::Inclusion, &no_visit).unwrap_err().message.contains("allowed: home_visit"));
}

#[test]
fn periods_count_the_posting_day_across_month_ends() {
    // Posted 25 September: 25 Sep … 1 Oct; the review may be dated 2 October.
    let pos = Position { stage: S::FirstPublicity, since: d("2026-09-25") };
    let next = next_steps(K::Inclusion, pos);
    let review = next.iter().find(|n| n.step == T::TownshipReview).unwrap();
    assert_eq!((review.earliest_date, review.outcomes.clone()), (d("2026-10-02"), vec![O::Approved, O::Rejected]));
    assert_eq!(next.iter().find(|n| n.step == T::Objection).unwrap().latest_date, Some(d("2026-10-01")));
    let early = apply(K::Inclusion, pos, T::TownshipReview, O::Approved, d("2026-10-01"), d(TODAY)).unwrap_err();
    assert!(early.message.contains("2026-10-02 at the earliest") && early.message.contains("runs 7 days, through 2026-10-01"), "{}", early.message);
    // Announcement posted 28 February (not a leap year) runs 28 Feb – 4 March.
    let feb = Position { stage: S::Announced, since: d("2027-02-28") };
    assert_eq!(next_steps(K::Exit, feb).iter().find(|n| n.step == T::Notification).unwrap().earliest_date, d("2027-03-05"));
    assert_eq!(period_end(T::Announcement, d("2027-02-28")), Some(d("2027-03-04")));
    assert_eq!(period_end(T::FirstPublicity, d("2026-11-11")), Some(d("2026-11-17")));
    assert_eq!(period_end(T::VillageEvaluation, d("2026-11-11")), None);
}

#[test]
fn an_objection_or_a_refused_acknowledgement_returns_the_case_to_evaluation() {
    let mut objected: Vec<_> = INCLUSION[..5].to_vec();
    objected.push((T::Objection, O::Raised, "2026-11-13"));
    assert_eq!(run(K::Inclusion, &objected).unwrap().stage, S::Visited);
    let late = [EXIT[0], EXIT[1], EXIT[2], (T::Objection, O::Raised, "2026-11-18")];
    assert!(run(K::Exit, &late).unwrap_err().message.contains("ended on 2026-11-17"));
    let refused = [EXIT[0], (T::Acknowledgement, O::Raised, "2026-11-12")];
    assert_eq!(run(K::Exit, &refused).unwrap().stage, S::Start);
    let policy = [(T::VillageEvaluation, O::Approved, "2026-11-11"), (T::Acknowledgement, O::Done, "2026-11-12")];
    assert_eq!(run(K::PolicyEnd, &policy).unwrap().stage, S::Done);
    assert!(run(K::PolicyEnd, &policy[..1].iter().chain([&(T::Publicity, O::Done, "2026-11-12")]).copied().collect::<Vec<_>>()).is_err());
}

#[test]
fn every_shortcut_and_bad_date_is_refused() {
    assert!(run(K::Inclusion, &[(T::Application, O::Done, "2027-01-01")]).unwrap_err().message.contains("future"));
    assert!(run(K::Inclusion, &[(T::Application, O::Done, "2026-11-05"), (T::HomeVisit, O::Done, "2026-11-04")]).unwrap_err().message.contains("before the previous"));
    assert!(run(K::Inclusion, &[(T::Application, O::Approved, "2026-11-01")]).unwrap_err().message.contains("takes the outcome done"));
    let rejected = run(K::Exit, &[(T::VillageEvaluation, O::Rejected, "2026-11-01")]).unwrap();
    assert_eq!(rejected.stage, S::Rejected);
    assert!(run(K::Exit, &[(T::VillageEvaluation, O::Rejected, "2026-11-01"), (T::Acknowledgement, O::Done, "2026-11-02")]).unwrap_err().message.contains("closed"));
    assert!(run(K::Exit, &[(T::Application, O::Done, "2026-11-01")]).is_err());
    assert_eq!(run(K::RiskRemark, &[(T::VillageEvaluation, O::Approved, "2026-11-01"), (T::TownshipReview, O::Approved, "2026-11-01")]).unwrap().stage, S::Done);
    assert!(run(K::RiskRollback, &[(T::TownshipReview, O::Approved, "2026-11-01")]).is_err());
}

#[test]
fn every_transition_of_the_table_is_reachable_by_every_kind_of_its_flow() {
    for kind in CaseKind::ALL {
        for (f, from, step, outcome, to) in TRANSITIONS.iter().filter(|t| t.0 == kind.flow()) {
            let pos = Position { stage: *from, since: d("2026-01-01") };
            let at = next_steps(*kind, pos).iter().find(|n| n.step == *step).unwrap().earliest_date;
            assert_eq!(apply(*kind, pos, *step, *outcome, at, d(TODAY)).unwrap().stage, *to, "{f:?} {from:?} {step:?}");
        }
    }
    // Stages kept from the earlier table (cases opened before) still lead somewhere.
    for stage in [S::Applied, S::Evaluated, S::FirstPublicity, S::Reviewed, S::SecondPublicity, S::Suspected, S::CrossChecked, S::Announced] {
        assert!(!next_steps(K::Inclusion, Position { stage, since: d("2026-01-01") }).is_empty(), "{stage:?}");
    }
    for stage in [S::Start, S::Evaluated, S::Publicity, S::Announced] {
        assert!(!next_steps(K::Exit, Position { stage, since: d("2026-01-01") }).is_empty(), "{stage:?}");
    }
}

#[test]
fn signatories_recorders_and_effects() {
    assert_eq!(required_signatories(T::VillageEvaluation, false), ["township_cadre", "village_secretary"]);
    assert_eq!(required_signatories(T::TownshipSpotCheck, true).len(), 3);
    for s in [T::Application, T::HomeVisit, T::Acknowledgement, T::Objection] {
        assert!(required_signatories(s, true).is_empty());
    }
    assert_eq!(recorder_level(T::TownshipSpotCheck), Recorder::Township);
    assert_eq!(recorder_level(T::CountyCrossCheck), Recorder::County);
    assert_eq!(recorder_level(T::Announcement), Recorder::Village);
    let removal = effect(K::Removal, None);
    assert_eq!((removal.category, removal.risk_status), (Some(crate::domain::Category::Ordinary), Some(None)));
    assert!(effect(K::Reinclusion, Some(crate::domain::Category::MonitoredUnstable)).fallback_reason);
    assert!(effect(K::Exit, None).risk_eliminated);
}
