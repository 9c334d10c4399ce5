//! Statutory procedures 程序 as table-driven state machines (pure: dates in, decisions out), in
//! the order of the street office's plan (seed 004) and the county's plan (seed 000):
//!
//! - inclusion 新纳入 and re-inclusion 返贫 — 两评议两公示一比对一公告一告知: application →
//!   home-visit record 入户调查记录 → first village evaluation → household acknowledgement 户认可 →
//!   first publicity (7 days) → township review → second publicity (7 days) → county re-review
//!   and cross-check with the departments → second village evaluation (always; after a suspicion
//!   it answers the suspicions fed back) → announcement (5 days) → notification → done;
//! - exit 脱贫/风险消除 and removal 清退 — 一评议一公示一公告一告知: village evaluation →
//!   household acknowledgement → publicity (7 days) → township spot-check review 乡镇抽查审核 →
//!   announcement (5 days) → notification → done;
//! - policy_end 已脱贫(不再享受政策): village evaluation → household acknowledgement → done;
//! - risk_remark 风险再标注 / risk_rollback 风险消除回退: village evaluation → township review → done.
//!
//! An objection during a publicity or announcement (or the household's refusal to acknowledge)
//! stops the clock: the case returns to the village evaluation. A rejecting outcome ends the case.
//! A period posted on day D counts D as its first day, as the documents' own calendar does
//! (evaluated and posted 11-11, publicity through 11-17): it runs D … D+n−1 and the next step may
//! be dated D+n at the earliest.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validation;

pub mod checks;
pub mod eligibility;
pub mod opening;
pub mod schedule;
pub mod steps;
#[cfg(test)]
mod tests;

pub use checks::{Accuracy, CHECK_RESULTS, Exclusion, accuracy, parse_date_not_future, sample};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 新识别监测对象 / 新纳入: inclusion
    Inclusion,
    /// 返贫: a household lifted out (or whose risk was eliminated) included again, with its 返贫原因
    Reinclusion,
    /// 脱贫 / 风险消除
    Exit,
    /// 清退: removal of a wrongly included household (it becomes 一般农户, its history kept)
    Removal,
    /// 已脱贫(不再享受政策)
    PolicyEnd,
    /// 风险再标注
    RiskRemark,
    /// 风险消除回退
    RiskRollback,
}
super::household::text_enum!(CaseKind {
    Inclusion => "inclusion",
    Reinclusion => "reinclusion",
    Exit => "exit",
    Removal => "removal",
    PolicyEnd => "policy_end",
    RiskRemark => "risk_remark",
    RiskRollback => "risk_rollback",
});

/// The procedure a kind of case follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// 两评议两公示一比对一公告一告知
    TwoEvaluations,
    /// 一评议一公示一公告一告知 with the township's spot-check review
    OneEvaluation,
    /// Evaluation and the household's acknowledgement
    Acknowledged,
    /// Evaluation and the township's review
    RiskChange,
}

impl CaseKind {
    pub fn flow(self) -> Flow {
        match self {
            CaseKind::Inclusion | CaseKind::Reinclusion => Flow::TwoEvaluations,
            CaseKind::Exit | CaseKind::Removal => Flow::OneEvaluation,
            CaseKind::PolicyEnd => Flow::Acknowledged,
            CaseKind::RiskRemark | CaseKind::RiskRollback => Flow::RiskChange,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 农户申请 (the household's own handwritten application)
    Application,
    /// 入户调查 (home-visit record: at least two collectors, signed by the household or its 代签人)
    HomeVisit,
    /// 村民主评议 (the first, and for an inclusion the second after the cross-check)
    VillageEvaluation,
    /// 户认可 (the household acknowledges the evaluation's result)
    Acknowledgement,
    /// 第一次公示 (inclusion)
    FirstPublicity,
    /// 乡镇审核 (inclusion, risk changes)
    TownshipReview,
    /// 第二次公示 (inclusion)
    SecondPublicity,
    /// 县级复审与部门信息比对
    CountyCrossCheck,
    /// 公示 (exit, removal)
    Publicity,
    /// 乡镇抽查审核 (exit, removal: who checked, when, the result)
    TownshipSpotCheck,
    /// 公告
    Announcement,
    /// 告知农户
    Notification,
    /// 异议: during a publicity or announcement; the case returns to evaluation
    Objection,
}
super::household::text_enum!(Step {
    Application => "application",
    HomeVisit => "home_visit",
    VillageEvaluation => "village_evaluation",
    Acknowledgement => "acknowledgement",
    FirstPublicity => "first_publicity",
    TownshipReview => "township_review",
    SecondPublicity => "second_publicity",
    CountyCrossCheck => "county_cross_check",
    Publicity => "publicity",
    TownshipSpotCheck => "township_spot_check",
    Announcement => "announcement",
    Notification => "notification",
    Objection => "objection",
});

impl Step {
    /// Steps that post a list in the village (公示 / 公告).
    pub fn is_posting(self) -> bool {
        matches!(self, Step::FirstPublicity | Step::SecondPublicity | Step::Publicity | Step::Announcement)
    }

    /// Days a posted list stays up (publicity 7, announcement 5).
    pub fn posting_days(self) -> Option<i64> {
        match self {
            Step::FirstPublicity | Step::SecondPublicity | Step::Publicity => Some(7),
            Step::Announcement => Some(5),
            _ => None,
        }
    }
}

/// What a step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Application submitted, home visit recorded, household acknowledged, publicity /
    /// announcement posted, household notified.
    Done,
    /// Evaluation or review approves.
    Approved,
    /// Evaluation or review rejects: the case ends.
    Rejected,
    /// Cross-check found nothing.
    Clear,
    /// Cross-check found a suspicion 疑点: fed back to the village and the household.
    Suspicion,
    /// An objection was raised (or the household does not acknowledge).
    Raised,
}
super::household::text_enum!(Outcome { Done => "done", Approved => "approved", Rejected => "rejected", Clear => "clear", Suspicion => "suspicion", Raised => "raised" });

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Start,
    Applied,
    /// The home-visit record is in.
    Visited,
    Evaluated,
    /// The household acknowledged the evaluation.
    Acknowledged,
    FirstPublicity,
    Reviewed,
    SecondPublicity,
    /// Cross-check found a suspicion: the second evaluation answers it.
    Suspected,
    CrossChecked,
    /// The second village evaluation approved.
    Reevaluated,
    Publicity,
    /// The township's spot-check review approved.
    SpotChecked,
    Announced,
    /// Closed with the household changed.
    Done,
    /// Closed without effect.
    Rejected,
}
super::household::text_enum!(Stage {
    Start => "start",
    Applied => "applied",
    Visited => "visited",
    Evaluated => "evaluated",
    Acknowledged => "acknowledged",
    FirstPublicity => "first_publicity",
    Reviewed => "reviewed",
    SecondPublicity => "second_publicity",
    Suspected => "suspected",
    CrossChecked => "cross_checked",
    Reevaluated => "reevaluated",
    Publicity => "publicity",
    SpotChecked => "spot_checked",
    Announced => "announced",
    Done => "done",
    Rejected => "rejected",
});

impl Stage {
    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Done | Stage::Rejected)
    }

    /// Days a posted period runs, counting the day it was posted (objections are accepted
    /// during them).
    pub fn period_days(self) -> Option<i64> {
        match self {
            Stage::FirstPublicity | Stage::SecondPublicity | Stage::Publicity => Some(7),
            Stage::Announced => Some(5),
            _ => None,
        }
    }
}

use Flow as F;
use Outcome as O;
use Stage as S;
use Step as T;

/// Every allowed transition: (flow, from, step, outcome, to). Anything else is refused.
pub(crate) const TRANSITIONS: &[(F, S, T, O, S)] = &[
    // inclusion and re-inclusion: two evaluations, two publicities, one cross-check …
    (F::TwoEvaluations, S::Start, T::Application, O::Done, S::Applied),
    (F::TwoEvaluations, S::Applied, T::HomeVisit, O::Done, S::Visited),
    (F::TwoEvaluations, S::Visited, T::VillageEvaluation, O::Approved, S::Evaluated),
    (F::TwoEvaluations, S::Visited, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::TwoEvaluations, S::Evaluated, T::Acknowledgement, O::Done, S::Acknowledged),
    (F::TwoEvaluations, S::Evaluated, T::Acknowledgement, O::Raised, S::Visited),
    (F::TwoEvaluations, S::Acknowledged, T::FirstPublicity, O::Done, S::FirstPublicity),
    (F::TwoEvaluations, S::FirstPublicity, T::Objection, O::Raised, S::Visited),
    (F::TwoEvaluations, S::FirstPublicity, T::TownshipReview, O::Approved, S::Reviewed),
    (F::TwoEvaluations, S::FirstPublicity, T::TownshipReview, O::Rejected, S::Rejected),
    (F::TwoEvaluations, S::Reviewed, T::SecondPublicity, O::Done, S::SecondPublicity),
    (F::TwoEvaluations, S::SecondPublicity, T::Objection, O::Raised, S::Visited),
    (F::TwoEvaluations, S::SecondPublicity, T::CountyCrossCheck, O::Clear, S::CrossChecked),
    (F::TwoEvaluations, S::SecondPublicity, T::CountyCrossCheck, O::Suspicion, S::Suspected),
    (F::TwoEvaluations, S::CrossChecked, T::VillageEvaluation, O::Approved, S::Reevaluated),
    (F::TwoEvaluations, S::CrossChecked, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::TwoEvaluations, S::Suspected, T::VillageEvaluation, O::Approved, S::Reevaluated),
    (F::TwoEvaluations, S::Suspected, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::TwoEvaluations, S::Reevaluated, T::Announcement, O::Done, S::Announced),
    (F::TwoEvaluations, S::Announced, T::Objection, O::Raised, S::Visited),
    (F::TwoEvaluations, S::Announced, T::Notification, O::Done, S::Done),
    // exit and removal: one evaluation, one publicity, the township's spot check …
    (F::OneEvaluation, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (F::OneEvaluation, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::OneEvaluation, S::Evaluated, T::Acknowledgement, O::Done, S::Acknowledged),
    (F::OneEvaluation, S::Evaluated, T::Acknowledgement, O::Raised, S::Start),
    (F::OneEvaluation, S::Acknowledged, T::Publicity, O::Done, S::Publicity),
    (F::OneEvaluation, S::Publicity, T::Objection, O::Raised, S::Start),
    (F::OneEvaluation, S::Publicity, T::TownshipSpotCheck, O::Approved, S::SpotChecked),
    (F::OneEvaluation, S::Publicity, T::TownshipSpotCheck, O::Rejected, S::Rejected),
    (F::OneEvaluation, S::SpotChecked, T::Announcement, O::Done, S::Announced),
    (F::OneEvaluation, S::Announced, T::Objection, O::Raised, S::Start),
    (F::OneEvaluation, S::Announced, T::Notification, O::Done, S::Done),
    // 已脱贫(不再享受政策)
    (F::Acknowledged, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (F::Acknowledged, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::Acknowledged, S::Evaluated, T::Acknowledgement, O::Done, S::Done),
    (F::Acknowledged, S::Evaluated, T::Acknowledgement, O::Raised, S::Start),
    // risk re-marking and elimination rollback
    (F::RiskChange, S::Start, T::VillageEvaluation, O::Approved, S::Evaluated),
    (F::RiskChange, S::Start, T::VillageEvaluation, O::Rejected, S::Rejected),
    (F::RiskChange, S::Evaluated, T::TownshipReview, O::Approved, S::Done),
    (F::RiskChange, S::Evaluated, T::TownshipReview, O::Rejected, S::Rejected),
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
    for (f, from, step, outcome, _) in TRANSITIONS {
        if *f != kind.flow() || *from != pos.stage {
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
        (Some(days), Step::Objection) => (pos.since, Some(pos.since + Duration::days(days - 1))),
        (Some(days), _) => (pos.since + Duration::days(days), None),
        (None, _) => (pos.since, None),
    }
}

/// The last day of a period posted on `posted` by `step` (公示 / 公告), if it posts one.
pub fn period_end(step: Step, posted: NaiveDate) -> Option<NaiveDate> {
    step.posting_days().map(|d| posted + Duration::days(d - 1))
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
            "{} may be dated {} at the earliest: the {} posted on {} runs {days} days, through {}",
            step.as_str(),
            next.earliest_date,
            pos.stage.as_str(),
            pos.since,
            next.earliest_date - Duration::days(1)
        ));
    }
    if let Some(latest) = next.latest_date.filter(|l| date > *l) {
        return refuse(format!("the period ended on {latest}: an objection after it is not one of this period"));
    }
    let Some((.., to)) = TRANSITIONS.iter().find(|(f, from, s, o, _)| *f == kind.flow() && *from == pos.stage && *s == step && *o == outcome) else {
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
/// secretary where the village has one (seed 000). The application, the home-visit record, the
/// acknowledgement and an objection are the household's own (the home visit names its
/// collectors instead).
pub fn required_signatories(step: Step, village_has_first_secretary: bool) -> Vec<&'static str> {
    match step {
        Step::Application | Step::HomeVisit | Step::Acknowledgement | Step::Objection => Vec::new(),
        _ if village_has_first_secretary => vec!["township_cadre", "village_secretary", "first_secretary"],
        _ => vec!["township_cadre", "village_secretary"],
    }
}

/// Who may record a step: the township records its reviews, the county its cross-check; a
/// village officer cannot complete an exit alone (the spot check is the township's).
pub fn recorder_level(step: Step) -> Recorder {
    match step {
        Step::TownshipReview | Step::TownshipSpotCheck => Recorder::Township,
        Step::CountyCrossCheck => Recorder::County,
        _ => Recorder::Village,
    }
}

/// The level whose role may record a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    Village,
    Township,
    County,
}

/// What a completed case does to its household's category and risk status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub category: Option<super::Category>,
    /// `Some(None)` clears the risk status (and risk types).
    pub risk_status: Option<Option<&'static str>>,
    pub set_risk_types: bool,
    /// 纳入监测时间 / 风险消除时间 / 返贫原因 are set from the completing step's date.
    pub monitoring_included: bool,
    pub risk_eliminated: bool,
    pub fallback_reason: bool,
}

/// The effect of a completed case of `kind` (`target` is the case's category for inclusions and
/// optionally exits).
pub fn effect(kind: CaseKind, target: Option<super::Category>) -> Effect {
    let none = Effect { category: None, risk_status: None, set_risk_types: false, monitoring_included: false, risk_eliminated: false, fallback_reason: false };
    match kind {
        CaseKind::Inclusion => Effect { category: target, risk_status: Some(Some("not_eliminated")), set_risk_types: true, monitoring_included: true, ..none },
        CaseKind::Reinclusion => Effect { category: target, risk_status: Some(Some("not_eliminated")), set_risk_types: true, monitoring_included: true, fallback_reason: true, ..none },
        CaseKind::Exit => Effect { category: target, risk_status: Some(Some("eliminated")), risk_eliminated: true, ..none },
        CaseKind::Removal => Effect { category: Some(super::Category::Ordinary), risk_status: Some(None), ..none },
        CaseKind::PolicyEnd => Effect { category: Some(super::Category::Ordinary), ..none },
        CaseKind::RiskRemark | CaseKind::RiskRollback => Effect { risk_status: Some(Some("not_eliminated")), set_risk_types: true, ..none },
    }
}
