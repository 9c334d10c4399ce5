//! Risk screening 集中摸排: who should be included in monitoring, whose eliminated risk should be
//! rolled back or marked again, and whose risk may be declared eliminated — found in the yearly
//! records already held (seed 002: "收入不稳定、刚性支出不可控的,在系统中进行'风险消除回退'").
//! One table of criteria like the cleaning rules: an id, what it proposes, a Chinese and an English
//! text, and a pure check that answers the figures it fired on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::household::text_enum;
use super::validation::DomainError;
use super::yearly::{Income, RigidExpenses};
use super::{Category, Money};

/// What a screening row proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proposal {
    /// 纳入监测: open an inclusion case.
    Inclusion,
    /// 风险消除回退 / 风险再标注: the eliminated risk is not stable.
    Rollback,
    /// 风险消除: the monitored household meets the exit criteria.
    Elimination,
}
text_enum!(Proposal { Inclusion => "inclusion", Rollback => "rollback", Elimination => "elimination" });

/// The thresholds of the screening (configuration `[screening]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScreeningRules {
    /// 监测线: the monitoring line as a multiple of the poverty line of the province and year.
    pub monitoring_line_factor: f64,
    /// Rigid expenses (medical, education, disaster, other) at or above this share of the net
    /// income are a risk.
    pub rigid_expense_share: f64,
    /// A per-capita net income fallen by more than this share against last year is unstable.
    pub income_drop_share: f64,
    /// Transfers (pensions, subsidies, 低保) at or above this share of the net income: the
    /// household relies on a single transfer.
    pub transfer_share: f64,
}

impl Default for ScreeningRules {
    /// The monitoring line at 1.5 × the poverty line (the campaigns' common practice), rigid
    /// expenses from half the income, an income fallen by 30 %, transfers over 80 %.
    fn default() -> Self {
        Self { monitoring_line_factor: 1.5, rigid_expense_share: 0.5, income_drop_share: 0.3, transfer_share: 0.8 }
    }
}

impl ScreeningRules {
    /// A threshold outside a sane range stops the start, naming the setting.
    pub fn validate(&self) -> Result<(), DomainError> {
        let check = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) { Ok(()) } else { Err(DomainError::new("out_of_range", format!("screening.{name} must lie between {lo} and {hi}, not {v}"))) }
        };
        check("monitoring_line_factor", self.monitoring_line_factor, 1.0, 3.0)?;
        check("rigid_expense_share", self.rigid_expense_share, 0.1, 1.0)?;
        check("income_drop_share", self.income_drop_share, 0.05, 0.9)?;
        check("transfer_share", self.transfer_share, 0.3, 1.0)
    }
}

/// One year of a household as the screening reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearFigures {
    pub per_capita: Money,
    pub net_income: Money,
    pub transfers: Money,
    pub rigid_expenses: Money,
    pub disaster_expenses: Money,
    /// 两不愁三保障 and safe drinking water all met.
    pub guarantees_met: bool,
    /// Members with a serious illness (患有大病) / disabled (残疾), by member id.
    pub seriously_ill: Vec<String>,
    pub disabled: Vec<String>,
}

impl YearFigures {
    /// The figures of a stored yearly record (its JSON), reading only what the screening needs:
    /// a county's screening reads every record of two years, and the members' other fields, the
    /// living conditions and the reasons are most of a record's bytes. Equal to
    /// figures of the whole record (tested).
    pub fn from_stored(record_json: &str, per_capita: Money) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Ok_ {
            ok: bool,
        }
        #[derive(Deserialize)]
        struct Guarantees {
            food_clothing: Ok_,
            drinking_water: Ok_,
            compulsory_education: Ok_,
            basic_medical: Ok_,
            housing_safety: Ok_,
        }
        #[derive(Deserialize)]
        struct Member {
            member_id: String,
            health: String,
        }
        #[derive(Deserialize)]
        struct Lean {
            income: Income,
            #[serde(default)]
            rigid_expenses: RigidExpenses,
            guarantees: Guarantees,
            members: Vec<Member>,
        }
        let r: Lean = serde_json::from_str(record_json)?;
        let g = &r.guarantees;
        let met = [&g.food_clothing, &g.drinking_water, &g.compulsory_education, &g.basic_medical, &g.housing_safety].iter().all(|x| x.ok);
        Ok(Self::of(per_capita, &r.income, &r.rigid_expenses, met, r.members.iter().map(|m| (m.member_id.as_str(), m.health.as_str()))))
    }

    /// The figures of a year's parts: `members` as (member id, health).
    pub fn of<'a>(per_capita: Money, income: &Income, rigid: &RigidExpenses, guarantees_met: bool, members: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let with = |health: &str| members.clone().filter(|m| m.1 == health).map(|m| m.0.to_owned()).collect();
        YearFigures {
            per_capita,
            net_income: income.net(),
            transfers: income.transfers,
            rigid_expenses: rigid.total(),
            disaster_expenses: rigid.disaster,
            guarantees_met,
            seriously_ill: with("serious_illness"),
            disabled: with("disabled"),
        }
    }
}

/// A household as the screening sees it.
#[derive(Debug, Clone)]
pub struct Facts {
    pub category: Category,
    /// `not_eliminated` / `eliminated` for a monitored household, none otherwise.
    pub risk_status: Option<String>,
    pub this_year: Option<YearFigures>,
    pub last_year: Option<YearFigures>,
    /// The poverty line and the exit minimum of the province and year.
    pub poverty_line: Money,
    pub exit_minimum: Money,
}

impl Facts {
    fn monitored(&self) -> bool {
        matches!(self.category, Category::MonitoredUnstable | Category::MonitoredMarginal | Category::MonitoredHardship)
    }

    /// In monitoring with the risk not yet eliminated.
    fn at_risk(&self) -> bool {
        self.monitored() && self.risk_status.as_deref() != Some("eliminated")
    }

    fn eliminated(&self) -> bool {
        self.monitored() && self.risk_status.as_deref() == Some("eliminated")
    }

    fn monitoring_line(&self, rules: &ScreeningRules) -> Money {
        Money::from_fen((self.poverty_line.fen() as f64 * rules.monitoring_line_factor).round() as i64)
    }
}

/// The figures a criterion fired on (name → value: yuan as text, shares as percentages).
pub type Figures = Vec<(&'static str, String)>;

/// Every figure name a criterion may answer (each has a label: `screening_figure`).
pub const FIGURES: &[&str] = &["per_capita", "monitoring_line", "rigid_expenses", "net_income", "share", "newly_ill", "newly_disabled", "disaster_expenses", "last_year", "drop", "transfers", "exit_minimum"];

pub struct Criterion {
    pub id: &'static str,
    pub proposal: Proposal,
    pub zh: &'static str,
    pub en: &'static str,
    pub check: fn(&Facts, &ScreeningRules) -> Option<Figures>,
}

fn yuan(m: Money) -> String {
    m.to_string()
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn share(part: Money, whole: Money) -> Option<f64> {
    (whole.fen() > 0).then(|| part.fen() as f64 / whole.fen() as f64)
}

/// Not in monitoring (or lifted out and not monitored): the households an inclusion could find.
fn outside(f: &Facts) -> bool {
    !f.monitored()
}

pub const CRITERIA: &[Criterion] = &[
    Criterion {
        id: "income_below_monitoring_line",
        proposal: Proposal::Inclusion,
        zh: "人均纯收入低于监测线",
        en: "Per-capita net income below the monitoring line",
        check: |f, r| {
            let y = f.this_year.as_ref().filter(|_| outside(f))?;
            let line = f.monitoring_line(r);
            (y.per_capita < line).then(|| vec![("per_capita", yuan(y.per_capita)), ("monitoring_line", yuan(line))])
        },
    },
    Criterion {
        id: "rigid_expenses_high",
        proposal: Proposal::Inclusion,
        zh: "刚性支出过大",
        en: "Rigid expenses take too large a share of the income",
        check: |f, r| {
            let y = f.this_year.as_ref().filter(|_| outside(f))?;
            let s = share(y.rigid_expenses, y.net_income).unwrap_or(if y.rigid_expenses.fen() > 0 { f64::INFINITY } else { 0.0 });
            (s >= r.rigid_expense_share && y.rigid_expenses.fen() > 0)
                .then(|| vec![("rigid_expenses", yuan(y.rigid_expenses)), ("net_income", yuan(y.net_income)), ("share", if s.is_finite() { pct(s) } else { "—".into() })])
        },
    },
    Criterion {
        id: "sudden_event",
        proposal: Proposal::Inclusion,
        zh: "发生重大疾病、残疾或灾害等突发事件",
        en: "A serious illness, disability or disaster in the year",
        check: |f, _| {
            let y = f.this_year.as_ref().filter(|_| outside(f))?;
            let before = f.last_year.clone().unwrap_or_default();
            let ill: Vec<&String> = y.seriously_ill.iter().filter(|m| !before.seriously_ill.contains(m)).collect();
            let disabled: Vec<&String> = y.disabled.iter().filter(|m| !before.disabled.contains(m)).collect();
            let disaster = y.disaster_expenses.fen() > 0;
            (!ill.is_empty() || !disabled.is_empty() || disaster)
                .then(|| vec![("newly_ill", ill.len().to_string()), ("newly_disabled", disabled.len().to_string()), ("disaster_expenses", yuan(y.disaster_expenses))])
        },
    },
    Criterion {
        id: "income_fell",
        proposal: Proposal::Rollback,
        zh: "风险消除户收入大幅下降",
        en: "The income of a household whose risk was eliminated fell sharply",
        check: |f, r| {
            let y = f.this_year.as_ref().filter(|_| f.eliminated())?;
            let last = f.last_year.as_ref()?;
            let drop = 1.0 - share(y.per_capita, last.per_capita)?;
            // Compared in whole fen: 7 000 after 10 000 is a fall of 30 %, not of 30.000000000000004 %.
            let floor = (last.per_capita.fen() as f64 * (1.0 - r.income_drop_share)).round() as i64;
            (y.per_capita.fen() < floor).then(|| vec![("per_capita", yuan(y.per_capita)), ("last_year", yuan(last.per_capita)), ("drop", pct(drop))])
        },
    },
    Criterion {
        id: "relies_on_transfers",
        proposal: Proposal::Rollback,
        zh: "风险消除户收入主要依靠转移性收入",
        en: "A household whose risk was eliminated lives mostly on transfers",
        check: |f, r| {
            let y = f.this_year.as_ref().filter(|_| f.eliminated())?;
            let s = share(y.transfers, y.net_income)?;
            (s >= r.transfer_share).then(|| vec![("transfers", yuan(y.transfers)), ("net_income", yuan(y.net_income)), ("share", pct(s))])
        },
    },
    Criterion {
        id: "rigid_expenses_uncontrolled",
        proposal: Proposal::Rollback,
        zh: "风险消除户刚性支出不可控",
        en: "A household whose risk was eliminated has rigid expenses it cannot carry",
        check: |f, r| {
            let y = f.this_year.as_ref().filter(|_| f.eliminated())?;
            let s = share(y.rigid_expenses, y.net_income).unwrap_or(if y.rigid_expenses.fen() > 0 { f64::INFINITY } else { 0.0 });
            (s >= r.rigid_expense_share && y.rigid_expenses.fen() > 0)
                .then(|| vec![("rigid_expenses", yuan(y.rigid_expenses)), ("net_income", yuan(y.net_income)), ("share", if s.is_finite() { pct(s) } else { "—".into() })])
        },
    },
    Criterion {
        id: "exit_criteria_met",
        proposal: Proposal::Elimination,
        zh: "监测户连续两年收入达标且“两不愁三保障”及饮水安全有保障",
        en: "A monitored household above the exit minimum two years running, every guarantee met",
        check: |f, _| {
            let y = f.this_year.as_ref().filter(|_| f.at_risk())?;
            let last = f.last_year.as_ref()?;
            (y.per_capita >= f.exit_minimum && last.per_capita >= f.exit_minimum && y.guarantees_met)
                .then(|| vec![("per_capita", yuan(y.per_capita)), ("last_year", yuan(last.per_capita)), ("exit_minimum", yuan(f.exit_minimum))])
        },
    },
];

/// The criteria's ids, in the table's order (the document's enumeration).
pub const CRITERION_IDS: &[&str] = &["income_below_monitoring_line", "rigid_expenses_high", "sudden_event", "income_fell", "relies_on_transfers", "rigid_expenses_uncontrolled", "exit_criteria_met"];

/// Every criterion that fires for a household.
pub fn screen(facts: &Facts, rules: &ScreeningRules) -> Vec<(&'static Criterion, Figures)> {
    CRITERIA.iter().filter_map(|c| (c.check)(facts, rules).map(|figures| (c, figures))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yearly::YearRecord;

    fn year(per_capita: i64) -> YearFigures {
        YearFigures { per_capita: Money::yuan(per_capita), net_income: Money::yuan(per_capita * 3), guarantees_met: true, ..Default::default() }
    }

    fn facts(category: Category, risk: Option<&str>, this: Option<YearFigures>, last: Option<YearFigures>) -> Facts {
        Facts { category, risk_status: risk.map(str::to_owned), this_year: this, last_year: last, poverty_line: Money::yuan(3015), exit_minimum: Money::yuan(4000) }
    }

    fn fired(f: &Facts) -> Vec<&'static str> {
        screen(f, &ScreeningRules::default()).into_iter().map(|(c, _)| c.id).collect()
    }

    /// The figures read off a whole yearly record.
    fn whole(r: &YearRecord, per_capita: Money) -> YearFigures {
        let g = &r.guarantees;
        let met = [&g.food_clothing, &g.drinking_water, &g.compulsory_education, &g.basic_medical, &g.housing_safety].iter().all(|x| x.ok);
        YearFigures::of(per_capita, &r.income, &r.rigid_expenses, met, r.members.iter().map(|m| (m.member_id.as_str(), m.health.as_str())))
    }

    #[test]
    fn the_lean_read_of_a_stored_record_gives_the_figures_of_the_whole_record() {
        use crate::domain::yearly::tests_support::record;
        let mut r = record("m1");
        r.rigid_expenses.medical = Money::yuan(800);
        r.rigid_expenses.disaster = Money::yuan(300);
        r.guarantees.housing_safety = crate::domain::yearly::Guarantee { ok: false, reason: Some("危房".into()) };
        let mut ill = r.members[0].clone();
        ill.member_id = "m2".into();
        ill.health = "serious_illness".into();
        let mut disabled = r.members[0].clone();
        disabled.member_id = "m3".into();
        disabled.health = "disabled".into();
        r.members.extend([ill, disabled]);
        let json = serde_json::to_string(&r).unwrap();
        let lean = YearFigures::from_stored(&json, Money::yuan(5000)).unwrap();
        assert_eq!(lean, whole(&r, Money::yuan(5000)));
        assert_eq!((lean.seriously_ill, lean.disabled, lean.guarantees_met), (vec!["m2".to_owned()], vec!["m3".to_owned()], false));
        assert_eq!(lean.rigid_expenses, Money::yuan(1100));
        // A record stored before rigid expenses were asked for reads as zeros, as the whole record does.
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v.as_object_mut().unwrap().remove("rigid_expenses");
        let old = serde_json::to_string(&v).unwrap();
        let before: YearRecord = serde_json::from_str(&old).unwrap();
        assert_eq!(YearFigures::from_stored(&old, Money::ZERO).unwrap(), whole(&before, Money::ZERO));
    }

    #[test]
    fn income_below_the_monitoring_line_proposes_inclusion_only_outside_monitoring() {
        // 1.5 × 3 015 = 4 522.50
        assert_eq!(fired(&facts(Category::Ordinary, None, Some(year(4522)), None)), vec!["income_below_monitoring_line"]);
        assert!(fired(&facts(Category::LiftedOut, None, Some(year(4523)), None)).is_empty());
        assert!(!fired(&facts(Category::MonitoredMarginal, Some("not_eliminated"), Some(year(1000)), None)).contains(&"income_below_monitoring_line"));
        let (_, figures) = screen(&facts(Category::Ordinary, None, Some(year(4000)), None), &ScreeningRules::default()).remove(0);
        assert_eq!(figures, vec![("per_capita", "4000".to_owned()), ("monitoring_line", "4522.5".to_owned())]);
        assert!(fired(&facts(Category::Ordinary, None, None, None)).is_empty(), "no record, nothing to judge");
    }

    #[test]
    fn rigid_expenses_from_half_the_income_propose_inclusion() {
        let mut y = year(9000);
        y.rigid_expenses = Money::yuan(13_500); // half of 27 000
        assert_eq!(fired(&facts(Category::Ordinary, None, Some(y.clone()), None)), vec!["rigid_expenses_high"]);
        y.rigid_expenses = Money::yuan(13_499);
        assert!(fired(&facts(Category::Ordinary, None, Some(y), None)).is_empty());
        let mut no_income = year(0);
        no_income.rigid_expenses = Money::yuan(100);
        assert!(fired(&facts(Category::Ordinary, None, Some(no_income), None)).contains(&"rigid_expenses_high"));
    }

    #[test]
    fn a_new_serious_illness_disability_or_disaster_is_a_sudden_event() {
        let mut y = year(9000);
        y.seriously_ill = vec!["m1".into()];
        let mut last = year(9000);
        assert_eq!(fired(&facts(Category::Ordinary, None, Some(y.clone()), Some(last.clone()))), vec!["sudden_event"]);
        last.seriously_ill = vec!["m1".into()];
        assert!(fired(&facts(Category::Ordinary, None, Some(y.clone()), Some(last))).is_empty(), "ill last year too: not sudden");
        let mut disaster = year(9000);
        disaster.disaster_expenses = Money::yuan(1);
        assert_eq!(fired(&facts(Category::LiftedOut, None, Some(disaster), None)), vec!["sudden_event"]);
    }

    #[test]
    fn an_eliminated_risk_whose_income_fell_by_more_than_30_percent_is_rolled_back() {
        let eliminated = |this, last| facts(Category::MonitoredUnstable, Some("eliminated"), Some(year(this)), Some(year(last)));
        assert_eq!(fired(&eliminated(6999, 10_000)), vec!["income_fell"]);
        assert!(fired(&eliminated(7000, 10_000)).is_empty());
        assert!(!fired(&facts(Category::MonitoredUnstable, Some("not_eliminated"), Some(year(3000)), Some(year(10_000)))).contains(&"income_fell"), "not eliminated: nothing to roll back");
    }

    #[test]
    fn an_eliminated_risk_living_on_transfers_or_crushed_by_rigid_expenses_is_rolled_back() {
        let mut y = year(6000);
        y.transfers = Money::yuan(14_400); // 80 % of 18 000
        assert_eq!(fired(&facts(Category::MonitoredMarginal, Some("eliminated"), Some(y.clone()), None)), vec!["relies_on_transfers"]);
        y.transfers = Money::yuan(0);
        y.rigid_expenses = Money::yuan(9000);
        assert_eq!(fired(&facts(Category::MonitoredMarginal, Some("eliminated"), Some(y), None)), vec!["rigid_expenses_uncontrolled"]);
    }

    #[test]
    fn a_monitored_household_above_the_exit_minimum_two_years_with_every_guarantee_may_be_eliminated() {
        let at_risk = |this: YearFigures, last| facts(Category::MonitoredHardship, Some("not_eliminated"), Some(this), last);
        assert_eq!(fired(&at_risk(year(4000), Some(year(4000)))), vec!["exit_criteria_met"]);
        assert!(fired(&at_risk(year(4000), Some(year(3999)))).is_empty(), "last year below");
        assert!(fired(&at_risk(year(4000), None)).is_empty(), "one year only");
        let mut unmet = year(5000);
        unmet.guarantees_met = false;
        assert!(fired(&at_risk(unmet, Some(year(5000)))).is_empty(), "a guarantee unmet");
    }

    #[test]
    fn thresholds_outside_a_sane_range_are_refused_by_name() {
        assert!(ScreeningRules::default().validate().is_ok());
        let e = ScreeningRules { monitoring_line_factor: 0.5, ..Default::default() }.validate().unwrap_err();
        assert!(e.message.contains("screening.monitoring_line_factor"), "{}", e.message);
        assert!(ScreeningRules { transfer_share: f64::NAN, ..Default::default() }.validate().is_err());
        assert!(ScreeningRules { income_drop_share: 1.5, ..Default::default() }.validate().is_err());
    }

    #[test]
    fn every_criterion_fires_on_some_household_with_named_figures_only() {
        let mut ill = year(100);
        ill.seriously_ill = vec!["m".into()];
        ill.rigid_expenses = Money::yuan(1000);
        ill.transfers = Money::yuan(300);
        let cases = [
            facts(Category::Ordinary, None, Some(ill.clone()), None),
            facts(Category::MonitoredUnstable, Some("eliminated"), Some(ill), Some(year(9000))),
            facts(Category::MonitoredUnstable, Some("not_eliminated"), Some(year(9000)), Some(year(9000))),
        ];
        let mut seen = std::collections::HashSet::new();
        for f in &cases {
            for (c, figures) in screen(f, &ScreeningRules::default()) {
                seen.insert(c.id);
                for (name, _) in figures {
                    assert!(FIGURES.contains(&name), "{}: {name} is not in FIGURES", c.id);
                }
            }
        }
        assert_eq!(seen.len(), CRITERIA.len(), "{seen:?}");
        let labelled: Vec<&str> = crate::domain::labels::all().iter().find(|(f, _)| *f == "screening_figure").unwrap().1.iter().map(|(v, _)| *v).collect();
        assert_eq!(labelled, FIGURES);
    }

    #[test]
    fn criterion_ids_are_unique_and_listed() {
        let ids: std::collections::HashSet<_> = CRITERIA.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CRITERIA.len());
        assert_eq!(CRITERIA.iter().map(|c| c.id).collect::<Vec<_>>(), CRITERION_IDS);
    }
}
