//! Statutory procedures 程序 as table-driven state machines (pure: dates in, decisions out).
//!
//! - inclusion 两评议两公示一比对一公告一告知: application → village evaluation → first publicity
//!   (7 full days) → township review → second publicity (7 full days) → county cross-check
//!   (a suspicion sends the case to a second village evaluation, then on to the announcement)
//!   → announcement (5 full days) → notification → done;
//! - exit 一评议一公示一公告一告知: village evaluation → publicity (7) → announcement (5) →
//!   notification → done;
//! - risk_remark 风险再标注 / risk_rollback 风险消除回退: village evaluation → township review → done.
//!
//! An objection during a publicity or announcement stops the clock: the case returns to the
//! village evaluation. A rejecting outcome ends the case as rejected. A period posted on day D
//! runs the full days D+1 … D+n; the next step may be dated D+n+1 at the earliest.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validation::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 新识别监测对象 / 返贫: inclusion
    Inclusion,
    /// 风险消除 / 退出
    Exit,
    /// 风险再标注
    RiskRemark,
    /// 风险消除回退
    RiskRollback,
}
super::household::text_enum!(CaseKind { Inclusion => "inclusion", Exit => "exit", RiskRemark => "risk_remark", RiskRollback => "risk_rollback" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 农户申请 (the household's own written application)
    Application,
    /// 村民主评议
    VillageEvaluation,
    /// 第一次公示 (inclusion)
    FirstPublicity,
    /// 乡镇审核
    TownshipReview,
    /// 第二次公示 (inclusion)
    SecondPublicity,
    /// 县级部门信息比对
    CountyCrossCheck,
    /// 公示 (exit)
    Publicity,
    /// 公告
    Announcement,
    /// 告知农户
    Notification,
    /// 异议: during a publicity or announcement; the case returns to evaluation
    Objection,
}
super::household::text_enum!(Step {
    Application => "application",
    VillageEvaluation => "village_evaluation",
    FirstPublicity => "first_publicity",
    TownshipReview => "township_review",
    SecondPublicity => "second_publicity",
    CountyCrossCheck => "county_cross_check",
    Publicity => "publicity",
    Announcement => "announcement",
    Notification => "notification",
    Objection => "objection",
});

/// What a step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Application submitted, publicity / announcement posted, household notified.
    Done,
    /// Evaluation or review approves.
    Approved,
    /// Evaluation or review rejects: the case ends.
    Rejected,
    /// Cross-check found nothing.
    Clear,
    /// Cross-check found a suspicion 疑点: back to a second village evaluation.
    Suspicion,
    /// An objection was raised.
    Raised,
}
super::household::text_enum!(Outcome { Done => "done", Approved => "approved", Rejected => "rejected", Clear => "clear", Suspicion => "suspicion", Raised => "raised" });

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Start,
    Applied,
    Evaluated,
    FirstPublicity,
    Reviewed,
    SecondPublicity,
    /// Cross-check found a suspicion: a second evaluation is due.
    Suspected,
    CrossChecked,
    Publicity,
    Announced,
    /// Closed with the household changed.
    Done,
    /// Closed without effect.
    Rejected,
}
super::household::text_enum!(Stage {
    Start => "start",
    Applied => "applied",
    Evaluated => "evaluated",
    FirstPublicity => "first_publicity",
    Reviewed => "reviewed",
    SecondPublicity => "second_publicity",
    Suspected => "suspected",
    CrossChecked => "cross_checked",
    Publicity => "publicity",
    Announced => "announced",
    Done => "done",
    Rejected => "rejected",
});

impl Stage {
    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Done | Stage::Rejected)
    }

    /// Full days a posted period runs before the case may go on (objections are accepted
    /// during them).
    pub fn period_days(self) -> Option<i64> {
        match self {
            Stage::FirstPublicity | Stage::SecondPublicity | Stage::Publicity => Some(7),
            Stage::Announced => Some(5),
            _ => None,
        }
    }
}

use CaseKind as K;
use Outcome as O;
use Stage as S;
use Step as T;

/// Every allowed transition: (kind, from, step, outcome, to). Anything else is refused.
const TRANSITIONS: &[(K, S, T, O, S)] = &[
    // inclusion
    (K::Inclusion, S::Start, T::Application, O::Done, S::Applied),
    (K::Inclusion, S::Applied, T::VillageEvaluation, O::Approved, S::Evaluated),
    (K::Inclusion, S::Applied, T::VillageEvaluation, O::Rejected, S::Rejected),
    (K::Inclusion, S::Evaluated, T::FirstPublicity, O::Done, S::FirstPublicity),
    (K::Inclusion, S::FirstPublicity, T::Objection, O::Raised, S::Applied),
    (K::Inclusion, S::FirstPublicity, T::TownshipReview, O::Approved, S::Reviewed),
    (K::Inclusion, S::FirstPublicity, T::TownshipReview, O::Rejected, S::Rejected),
    (K::Inclusion, S::Reviewed, T::SecondPublicity, O::Done, S::SecondPublicity),
    (K::Inclusion, S::SecondPublicity, T::Objection, O::Raised, S::Applied),
    (K::Inclusion, S::SecondPublicity, T::CountyCrossCheck, O::Clear, S::CrossChecked),
    (K::Inclusion, S::SecondPublicity, T::CountyCrossCheck, O::Suspicion, S::Suspected),
    (K::Inclusion, S::Suspected, T::VillageEvaluation, O::Approved, S::CrossChecked),
    (K::Inclusion, S::Suspected, T::VillageEvaluation, O::Rejected, S::Rejected),
    (K::Inclusion, S::CrossChecked, T::Announcement, O::Done, S::Announced),
    (K::Inclusion, S::Announced, T::Objection, O::Raised, S::Applied),
    (K::Inclusion, S::Announced, T::Notification, O::Done, S::Done),
    // exit
    (K::Exit, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (K::Exit, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (K::Exit, S::Evaluated, T::Publicity, O::Done, S::Publicity),
    (K::Exit, S::Publicity, T::Objection, O::Raised, S::Start),
    (K::Exit, S::Publicity, T::Announcement, O::Done, S::Announced),
    (K::Exit, S::Announced, T::Objection, O::Raised, S::Start),
    (K::Exit, S::Announced, T::Notification, O::Done, S::Done),
    // risk re-marking and elimination rollback
    (K::RiskRemark, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (K::RiskRemark, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (K::RiskRemark, S::Evaluated, T::TownshipReview, O::Approved, S::Done),
    (K::RiskRemark, S::Evaluated, T::TownshipReview, O::Rejected, S::Rejected),
    (K::RiskRollback, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (K::RiskRollback, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (K::RiskRollback, S::Evaluated, T::TownshipReview, O::Approved, S::Done),
    (K::RiskRollback, S::Evaluated, T::TownshipReview, O::Rejected, S::Rejected),
];

/// A case's position: its stage and the date of the step that put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub stage: Stage,
    pub since: NaiveDate,
}

/// A step the case may take next, and from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NextStep {
    pub step: Step,
    pub outcomes: Vec<Outcome>,
    pub earliest_date: NaiveDate,
    /// For an objection: the last day it can be raised.
    pub latest_date: Option<NaiveDate>,
}

/// The steps allowed from `pos` for a case of `kind`.
pub fn next_steps(kind: CaseKind, pos: Position) -> Vec<NextStep> {
    let mut out: Vec<NextStep> = Vec::new();
    for (k, from, step, outcome, _) in TRANSITIONS {
        if *k != kind || *from != pos.stage {
            continue;
        }
        let (earliest, latest) = window(pos, *step);
        match out.iter_mut().find(|n| n.step == *step) {
            Some(n) => n.outcomes.push(*outcome),
            None => out.push(NextStep { step: *step, outcomes: vec![*outcome], earliest_date: earliest, latest_date: latest }),
        }
    }
    out
}

/// Earliest (and for objections latest) date of `step` taken from `pos`.
fn window(pos: Position, step: Step) -> (NaiveDate, Option<NaiveDate>) {
    match (pos.stage.period_days(), step) {
        (Some(days), Step::Objection) => (pos.since, Some(pos.since + Duration::days(days))),
        (Some(days), _) => (pos.since + Duration::days(days + 1), None),
        (None, _) => (pos.since, None),
    }
}

/// Why a step was refused: the rule, and what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub allowed: Vec<NextStep>,
}

/// The stage after `step` with `outcome` on `date`, or why not. `today` is the service zone's date.
pub fn apply(kind: CaseKind, pos: Position, step: Step, outcome: Outcome, date: NaiveDate, today: NaiveDate) -> Result<Position, Refusal> {
    let allowed = next_steps(kind, pos);
    let refuse = |message: String| Err(Refusal { message, allowed: allowed.clone() });
    if pos.stage.is_closed() {
        return refuse(format!("the case is closed ({})", pos.stage.as_str()));
    }
    if date > today {
        return refuse(format!("a step cannot be dated in the future ({date} is after {today})"));
    }
    if date < pos.since {
        return refuse(format!("a step cannot be dated before the previous one ({})", pos.since));
    }
    let Some(next) = allowed.iter().find(|n| n.step == step) else {
        let names: Vec<&str> = allowed.iter().map(|n| n.step.as_str()).collect();
        return refuse(format!("{} is not allowed now (stage {}); allowed: {}", step.as_str(), pos.stage.as_str(), names.join(", ")));
    };
    if date < next.earliest_date {
        let days = pos.stage.period_days().unwrap_or(0);
        return refuse(format!(
            "{} may be dated {} at the earliest: the {} posted on {} runs {days} full days",
            step.as_str(),
            next.earliest_date,
            pos.stage.as_str(),
            pos.since
        ));
    }
    if let Some(latest) = next.latest_date.filter(|l| date > *l) {
        return refuse(format!("the period ended on {latest}: an objection after it is not one of this period"));
    }
    let Some((.., to)) = TRANSITIONS.iter().find(|(k, from, s, o, _)| *k == kind && *from == pos.stage && *s == step && *o == outcome) else {
        let outs: Vec<&str> = next.outcomes.iter().map(|o| o.as_str()).collect();
        return refuse(format!("{} takes the outcome {}", step.as_str(), outs.join(" or ")));
    };
    Ok(Position { stage: *to, since: date })
}

/// Replays a case's steps from its opening.
pub fn replay(kind: CaseKind, opened: NaiveDate, steps: &[(Step, Outcome, NaiveDate)], today: NaiveDate) -> Result<Position, Refusal> {
    let mut pos = Position { stage: Stage::Start, since: opened };
    for (step, outcome, date) in steps {
        pos = apply(kind, pos, *step, *outcome, *date, today)?;
    }
    Ok(pos)
}

/// Who signs a step 签字: the township cadre and the village secretary always, the first
/// secretary where the village has one (seed 000). The application is the household's own.
pub fn required_signatories(step: Step, village_has_first_secretary: bool) -> Vec<&'static str> {
    match step {
        Step::Application | Step::Objection => Vec::new(),
        _ if village_has_first_secretary => vec!["township_cadre", "village_secretary", "first_secretary"],
        _ => vec!["township_cadre", "village_secretary"],
    }
}

/// The nine exclusion conditions 九不评 (seed 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// 购买商品房或高档消费
    CommercialHousingOrLuxury,
    /// 拥有汽车、大型农机或工程机械
    VehicleOrMachinery,
    /// 家庭成员为现任村支书或村主任
    VillageLeaderInFamily,
    /// 成员或赡养人有财政供养工作或在大型国企工作十年以上
    StatePaidJob,
    /// 成员经营私营企业、承包工程或雇工
    RunsBusiness,
    /// 隐瞒收入或资产、自费留学、商业养老保险
    HiddenIncomeOrAssets,
    /// 长期无人居住且无法证明居住
    NobodyLivesThere,
    /// 因赌博、吸毒、打架斗殴、邪教受处罚未改正
    PunishedNotReformed,
    /// 举报核实且无法说明
    VerifiedReport,
}
super::household::text_enum!(Exclusion {
    CommercialHousingOrLuxury => "commercial_housing_or_luxury",
    VehicleOrMachinery => "vehicle_or_machinery",
    VillageLeaderInFamily => "village_leader_in_family",
    StatePaidJob => "state_paid_job",
    RunsBusiness => "runs_business",
    HiddenIncomeOrAssets => "hidden_income_or_assets",
    NobodyLivesThere => "nobody_lives_there",
    PunishedNotReformed => "punished_not_reformed",
    VerifiedReport => "verified_report",
});

/// Identification and data accuracy of a spot check against the targets (98 %, 95 %).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Accuracy {
    pub checked: usize,
    pub identification_correct: usize,
    pub data_correct: usize,
    pub identification_accuracy: Option<f64>,
    pub data_accuracy: Option<f64>,
    pub identification_target: f64,
    pub data_target: f64,
    pub identification_met: Option<bool>,
    pub data_met: Option<bool>,
}

/// Accuracy over the households checked so far (`None` results are not yet checked).
pub fn accuracy(results: &[(Option<bool>, Option<bool>)]) -> Accuracy {
    let ident: Vec<bool> = results.iter().filter_map(|r| r.0).collect();
    let data: Vec<bool> = results.iter().filter_map(|r| r.1).collect();
    let rate = |v: &[bool]| if v.is_empty() { None } else { Some(v.iter().filter(|b| **b).count() as f64 / v.len() as f64) };
    let (ia, da) = (rate(&ident), rate(&data));
    Accuracy {
        checked: results.iter().filter(|r| r.0.is_some() || r.1.is_some()).count(),
        identification_correct: ident.iter().filter(|b| **b).count(),
        data_correct: data.iter().filter(|b| **b).count(),
        identification_accuracy: ia,
        data_accuracy: da,
        identification_target: 0.98,
        data_target: 0.95,
        identification_met: ia.map(|a| a >= 0.98),
        data_met: da.map(|a| a >= 0.95),
    }
}

/// A reproducible sample of `n` of `items` (sorted first, so the order they came in does not
/// matter) from a seeded ChaCha generator.
pub fn sample<T: Clone + Ord>(items: &[T], n: usize, rng: &mut rand::rngs::StdRng) -> Vec<T> {
    let mut sorted = items.to_vec();
    sorted.sort();
    let mut picked: Vec<T> = rand::seq::index::sample(rng, sorted.len(), n.min(sorted.len())).into_iter().map(|i| sorted[i].clone()).collect();
    picked.sort();
    picked
}

pub fn parse_date_not_future(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if d > today { Err(DomainError::new("out_of_range", "a date cannot be in the future")) } else { Ok(d) }
}

/// What a department's cross-check 部门比对 found.
pub const CHECK_RESULTS: &[&str] = &["clear", "suspicion"];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-11-22";

    fn run(kind: CaseKind, steps: &[(Step, Outcome, &str)]) -> Result<Position, Refusal> {
        let steps: Vec<_> = steps.iter().map(|(s, o, t)| (*s, *o, d(t))).collect();
        replay(kind, d("2026-09-01"), &steps, d(TODAY))
    }

    #[test]
    fn a_full_inclusion_runs_every_step_in_order() {
        let pos = run(K::Inclusion, &[
            (T::Application, O::Done, "2026-09-01"),
            (T::VillageEvaluation, O::Approved, "2026-09-03"),
            (T::FirstPublicity, O::Done, "2026-09-04"),
            (T::TownshipReview, O::Approved, "2026-09-12"),
            (T::SecondPublicity, O::Done, "2026-09-13"),
            (T::CountyCrossCheck, O::Clear, "2026-09-21"),
            (T::Announcement, O::Done, "2026-09-22"),
            (T::Notification, O::Done, "2026-09-28"),
        ])
        .unwrap();
        assert_eq!(pos.stage, S::Done);
    }

    #[test]
    fn publicity_runs_seven_full_days_and_announcement_five_across_month_ends() {
        // Posted 25 September: full days 26 Sep … 2 Oct; the review may be dated 3 October.
        let base = [
            (T::Application, O::Done, "2026-09-01"),
            (T::VillageEvaluation, O::Approved, "2026-09-20"),
            (T::FirstPublicity, O::Done, "2026-09-25"),
        ];
        let mut six = base.to_vec();
        six.push((T::TownshipReview, O::Approved, "2026-10-02"));
        let refusal = run(K::Inclusion, &six).unwrap_err();
        assert!(refusal.message.contains("2026-10-03"), "{}", refusal.message);
        assert_eq!(refusal.allowed.iter().find(|n| n.step == T::TownshipReview).unwrap().earliest_date, d("2026-10-03"));
        let mut seven = base.to_vec();
        seven.push((T::TownshipReview, O::Approved, "2026-10-03"));
        assert_eq!(run(K::Inclusion, &seven).unwrap().stage, S::Reviewed);
        // Exit: announcement posted 28 February (not a leap year) runs 1–5 March.
        let exit = |notify: &'static str| {
            run(K::Exit, &[(T::VillageEvaluation, O::Approved, "2026-09-01"), (T::Publicity, O::Done, "2026-09-02"), (T::Announcement, O::Done, "2026-09-10"), (T::Notification, O::Done, notify)])
        };
        assert!(exit("2026-09-15").is_err());
        assert_eq!(exit("2026-09-16").unwrap().stage, S::Done);
        let feb = Position { stage: S::Announced, since: d("2027-02-28") };
        assert_eq!(next_steps(K::Exit, feb).iter().find(|n| n.step == T::Notification).unwrap().earliest_date, d("2027-03-06"));
    }

    #[test]
    fn an_objection_stops_the_clock_and_returns_the_case_to_evaluation() {
        let pos = run(K::Inclusion, &[
            (T::Application, O::Done, "2026-09-01"),
            (T::VillageEvaluation, O::Approved, "2026-09-03"),
            (T::FirstPublicity, O::Done, "2026-09-04"),
            (T::Objection, O::Raised, "2026-09-06"),
        ])
        .unwrap();
        assert_eq!(pos.stage, S::Applied);
        // An objection after the period is not one of it.
        let late = run(K::Exit, &[(T::VillageEvaluation, O::Approved, "2026-09-01"), (T::Publicity, O::Done, "2026-09-02"), (T::Objection, O::Raised, "2026-09-10")]);
        assert!(late.unwrap_err().message.contains("ended on 2026-09-09"));
        let exit = run(K::Exit, &[(T::VillageEvaluation, O::Approved, "2026-09-01"), (T::Publicity, O::Done, "2026-09-02"), (T::Objection, O::Raised, "2026-09-09")]);
        assert_eq!(exit.unwrap().stage, S::Start);
    }

    #[test]
    fn a_cross_check_suspicion_needs_a_second_evaluation_before_the_announcement() {
        let steps = [
            (T::Application, O::Done, "2026-09-01"),
            (T::VillageEvaluation, O::Approved, "2026-09-01"),
            (T::FirstPublicity, O::Done, "2026-09-01"),
            (T::TownshipReview, O::Approved, "2026-09-09"),
            (T::SecondPublicity, O::Done, "2026-09-09"),
            (T::CountyCrossCheck, O::Suspicion, "2026-09-17"),
        ];
        assert_eq!(run(K::Inclusion, &steps).unwrap().stage, S::Suspected);
        let mut skip = steps.to_vec();
        skip.push((T::Announcement, O::Done, "2026-09-18"));
        assert!(run(K::Inclusion, &skip).unwrap_err().message.contains("allowed: village_evaluation"));
        let mut again = steps.to_vec();
        again.push((T::VillageEvaluation, O::Approved, "2026-09-18"));
        again.push((T::Announcement, O::Done, "2026-09-18"));
        assert_eq!(run(K::Inclusion, &again).unwrap().stage, S::Announced);
    }

    #[test]
    fn every_shortcut_and_bad_date_is_refused() {
        // Out of order, future, before the previous step, wrong outcome, after closing.
        assert!(run(K::Inclusion, &[(T::VillageEvaluation, O::Approved, "2026-09-01")]).is_err());
        assert!(run(K::Inclusion, &[(T::Application, O::Done, "2026-11-23")]).unwrap_err().message.contains("future"));
        assert!(run(K::Inclusion, &[(T::Application, O::Done, "2026-09-05"), (T::VillageEvaluation, O::Approved, "2026-09-04")]).unwrap_err().message.contains("before the previous"));
        assert!(run(K::Inclusion, &[(T::Application, O::Approved, "2026-09-01")]).unwrap_err().message.contains("takes the outcome done"));
        let rejected = run(K::Exit, &[(T::VillageEvaluation, O::Rejected, "2026-09-01")]).unwrap();
        assert_eq!(rejected.stage, S::Rejected);
        assert!(run(K::Exit, &[(T::VillageEvaluation, O::Rejected, "2026-09-01"), (T::Publicity, O::Done, "2026-09-02")]).unwrap_err().message.contains("closed"));
        assert!(run(K::Exit, &[(T::Application, O::Done, "2026-09-01")]).is_err());
        // Risk changes: evaluation then township review.
        assert_eq!(run(K::RiskRemark, &[(T::VillageEvaluation, O::Approved, "2026-09-01"), (T::TownshipReview, O::Approved, "2026-09-01")]).unwrap().stage, S::Done);
        assert!(run(K::RiskRollback, &[(T::TownshipReview, O::Approved, "2026-09-01")]).is_err());
    }

    #[test]
    fn every_transition_of_the_table_is_reachable_and_steps_are_listed_with_their_outcomes() {
        let pos = Position { stage: S::FirstPublicity, since: d("2026-01-31") };
        let next = next_steps(K::Inclusion, pos);
        let review = next.iter().find(|n| n.step == T::TownshipReview).unwrap();
        assert_eq!((review.earliest_date, review.outcomes.clone()), (d("2026-02-08"), vec![O::Approved, O::Rejected]));
        let objection = next.iter().find(|n| n.step == T::Objection).unwrap();
        assert_eq!(objection.latest_date, Some(d("2026-02-07")));
        for (k, from, step, outcome, to) in TRANSITIONS {
            let pos = Position { stage: *from, since: d("2026-01-01") };
            let at = next_steps(*k, pos).iter().find(|n| n.step == *step).unwrap().earliest_date;
            assert_eq!(apply(*k, pos, *step, *outcome, at, d(TODAY)).unwrap().stage, *to);
        }
    }

    #[test]
    fn signatories_include_the_first_secretary_where_there_is_one() {
        assert_eq!(required_signatories(T::VillageEvaluation, false), ["township_cadre", "village_secretary"]);
        assert_eq!(required_signatories(T::Announcement, true).len(), 3);
        assert!(required_signatories(T::Application, true).is_empty());
    }

    #[test]
    fn accuracy_is_measured_against_the_targets() {
        let mut r = vec![(Some(true), Some(true)); 49];
        r.push((Some(false), Some(true)));
        r.push((None, None));
        let a = accuracy(&r);
        assert_eq!((a.checked, a.identification_correct), (50, 49));
        assert_eq!(a.identification_accuracy, Some(0.98));
        assert_eq!((a.identification_met, a.data_met), (Some(true), Some(true)));
        assert_eq!(accuracy(&[]).identification_accuracy, None);
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_whatever_the_input_order() {
        let items: Vec<u32> = (0..100).collect();
        let mut reversed = items.clone();
        reversed.reverse();
        let a = sample(&items, 5, &mut rand::rngs::StdRng::seed_from_u64(42));
        let b = sample(&reversed, 5, &mut rand::rngs::StdRng::seed_from_u64(42));
        assert_eq!(a, b);
        assert_ne!(a, sample(&items, 5, &mut rand::rngs::StdRng::seed_from_u64(43)));
        assert_eq!(sample(&items, 500, &mut rand::rngs::StdRng::seed_from_u64(1)).len(), 100);
    }
}
