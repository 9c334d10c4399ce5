//! Whether a household may exit 脱贫/风险消除, checked at the exit's village evaluation against its
//! yearly record of the statistical year (seed 004): per-capita net income at or above the exit
//! threshold, 两不愁三保障 (including safe drinking water) all met, and none of the situations that
//! forbid exit 不得退出的情形 — a configurable table of rules, each with an id, a Chinese text and
//! the facts it looks at (like the cleaning rules of `domain::quality`).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::money::Money;
use crate::domain::yearly::{Guarantees, YearRecord};

/// The household's facts of one statistical year.
#[derive(Debug, Clone)]
pub struct ExitFacts<'a> {
    pub year: i32,
    pub record: Option<&'a YearRecord>,
    /// Current members (id, birth date): the record's members are looked up here.
    pub members: Vec<(String, NaiveDate)>,
    /// 退出标准 and 贫困线 of the province and year (none configured: not checked, said so).
    pub exit_minimum: Option<Money>,
    pub poverty_line: Option<Money>,
    /// Members the income is shared by when the record lists none.
    pub member_count: usize,
}

/// A condition the household fails, with its figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Failure {
    /// Which condition failed: the yearly record missing, the income under the exit threshold, one
    /// of the guarantees (its name after `guarantee_`), or a rule of the table of situations that
    /// forbid exit (its id).
    pub id: String,
    /// 中文 description of the condition.
    pub text: String,
    /// What was found, with the numbers.
    pub figure: String,
}

/// A situation that forbids exit: id, Chinese text, the facts it looks at, and the check
/// (answers the figure when the situation holds).
pub struct ForbiddingRule {
    pub id: &'static str,
    pub zh: &'static str,
    pub facts: &'static [&'static str],
    pub check: fn(&ExitFacts, &YearRecord) -> Option<String>,
}

/// Age in whole years on `on`.
fn age(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut a = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a
}

/// The table of situations that forbid exit (the county enables them by id; all by default).
pub const FORBIDDING_RULES: &[ForbiddingRule] = &[
    ForbiddingRule { id: "serious_illness_without_coverage", zh: "家庭成员患重病且无稳定医疗保障", facts: &["members.health", "members.medical_insurance"], check: |_, r| {
        let n = r.members.iter().filter(|m| m.health == "serious_illness" && m.medical_insurance != Some(true)).count();
        (n > 0).then(|| format!("{n} member(s) seriously ill without basic medical insurance"))
    } },
    ForbiddingRule { id: "housing_not_safe", zh: "住房不安全(危房)", facts: &["living.housing"], check: |_, r| {
        (r.living.housing == "dangerous").then(|| "the house is recorded as dangerous (危房)".to_owned())
    } },
    ForbiddingRule { id: "child_out_of_compulsory_schooling", zh: "有义务教育阶段适龄儿童失学辍学", facts: &["members.in_school", "members.birth_date"], check: |f, r| {
        let state_day = NaiveDate::from_ymd_opt(f.year, 9, 30)?;
        let ages: Vec<i32> = r
            .members
            .iter()
            .filter(|m| m.in_school == "not_in_school" && !matches!(m.health.as_str(), "disabled" | "serious_illness"))
            .filter_map(|m| f.members.iter().find(|(id, _)| *id == m.member_id).map(|(_, b)| age(*b, state_day)))
            .filter(|a| (6..=15).contains(a))
            .collect();
        (!ages.is_empty()).then(|| format!("{} child(ren) aged {ages:?} on {state_day} not in school", ages.len()))
    } },
    ForbiddingRule { id: "income_below_line_after_rigid_expenses", zh: "扣除刚性支出后人均收入低于贫困线", facts: &["income", "rigid_expenses", "thresholds.poverty_line"], check: |f, r| {
        let line = f.poverty_line?;
        let after = r.per_capita_after_rigid_expenses(f.member_count);
        (after < line).then(|| format!("{after} yuan per person after rigid expenses < poverty line {line}"))
    } },
];

/// A rule of the table by id.
pub fn rule(id: &str) -> Option<&'static ForbiddingRule> {
    FORBIDDING_RULES.iter().find(|r| r.id == id)
}

/// The statistical year an evaluation on `date` judges: the one whose period (1 October –
/// 30 September) ended last.
pub fn statistical_year(date: NaiveDate) -> i32 {
    if date.month() >= 10 { date.year() } else { date.year() - 1 }
}

fn guarantees(g: &Guarantees) -> [(&'static str, &'static str, &crate::domain::yearly::Guarantee); 5] {
    [
        ("food_clothing", "不愁吃、不愁穿", &g.food_clothing),
        ("drinking_water", "饮水安全有保障", &g.drinking_water),
        ("compulsory_education", "义务教育有保障", &g.compulsory_education),
        ("basic_medical", "基本医疗有保障", &g.basic_medical),
        ("housing_safety", "住房安全有保障", &g.housing_safety),
    ]
}

/// Every condition the household fails (empty: it may exit). `enabled` names the forbidding
/// rules the county applies.
pub fn check(f: &ExitFacts, enabled: &[String]) -> Vec<Failure> {
    let fail = |id: &str, text: &str, figure: String| Failure { id: id.into(), text: text.into(), figure };
    let Some(r) = f.record else {
        return vec![fail("no_yearly_record", "无统计年度的年度信息", format!("no yearly record for {} (1 October {} – 30 September {})", f.year, f.year - 1, f.year))];
    };
    let mut out = Vec::new();
    let income = r.per_capita_net_income(f.member_count);
    match f.exit_minimum {
        Some(min) if income < min => out.push(fail("income_below_exit_minimum", "人均纯收入未达到退出标准", format!("{income} yuan per person < exit minimum {min} ({})", f.year))),
        Some(_) => {}
        None => out.push(fail("no_exit_threshold", "未配置退出标准", format!("no exit threshold is configured for {}", f.year))),
    }
    for (id, zh, g) in guarantees(&r.guarantees) {
        if !g.ok {
            out.push(fail(&format!("guarantee_{id}"), zh, format!("not met: {}", g.reason.as_deref().unwrap_or("no reason recorded"))));
        }
    }
    for rule in FORBIDDING_RULES.iter().filter(|r| enabled.iter().any(|e| e == r.id)) {
        if let Some(figure) = (rule.check)(f, r) {
            out.push(fail(rule.id, rule.zh, figure));
        }
    }
    out
}

/// Every rule id (the default of the configuration).
pub fn all_rule_ids() -> Vec<String> {
    FORBIDDING_RULES.iter().map(|r| r.id.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yearly::tests_support::record;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts(r: &YearRecord) -> ExitFacts<'_> {
        ExitFacts { year: 2026, record: Some(r), members: vec![("m1".into(), d("1970-01-01")), ("m2".into(), d("2015-03-01"))], exit_minimum: Some(Money::yuan(4000)), poverty_line: Some(Money::yuan(3015)), member_count: 1 }
    }

    fn ids(r: &YearRecord, enabled: &[String]) -> Vec<String> {
        check(&facts(r), enabled).into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn each_condition_and_forbidding_situation_fails_with_its_figure() {
        let all = all_rule_ids();
        let mut ok = record("m1");
        ok.income = crate::domain::yearly::Income { wages: Money::yuan(9000), production: Money::ZERO, production_costs: Money::ZERO, property: Money::ZERO, transfers: Money::ZERO };
        assert_eq!(ids(&ok, &all), Vec::<String>::new());
        // (change to an eligible record, the failures)
        type Case = (&'static str, fn(&mut YearRecord), Vec<&'static str>);
        let cases: Vec<Case> = vec![
            ("low income", |r| r.income.wages = Money::yuan(3500), vec!["income_below_exit_minimum"]),
            ("unsafe water", |r| r.guarantees.drinking_water = crate::domain::yearly::Guarantee { ok: false, reason: Some("季节性缺水".into()) }, vec!["guarantee_drinking_water"]),
            ("seriously ill, uninsured", |r| {
                r.members[0].health = "serious_illness".into();
                r.members[0].medical_insurance = Some(false);
            }, vec!["serious_illness_without_coverage"]),
            ("dangerous house", |r| r.living.housing = "dangerous".into(), vec!["housing_not_safe"]),
            ("a child out of school", |r| {
                let mut child = r.members[0].clone();
                child.member_id = "m2".into();
                child.in_school = "not_in_school".into();
                r.members.push(child);
            }, vec!["child_out_of_compulsory_schooling"]),
            ("rigid expenses", |r| r.rigid_expenses.medical = Money::yuan(7000), vec!["income_below_line_after_rigid_expenses"]),
        ];
        for (what, change, want) in cases {
            let mut r = ok.clone();
            change(&mut r);
            assert_eq!(ids(&r, &all), want, "{what}");
        }
        let mut low = ok.clone();
        low.income.wages = Money::yuan(3500);
        let f = check(&facts(&low), &all);
        assert_eq!(f[0].figure, "3500 yuan per person < exit minimum 4000 (2026)");
        assert_eq!(f[0].text, "人均纯收入未达到退出标准");
        // A rule the county does not apply is not checked.
        let mut house = ok.clone();
        house.living.housing = "dangerous".into();
        assert_eq!(ids(&house, &["serious_illness_without_coverage".to_owned()]), Vec::<String>::new());
        // No record of the year: one failure saying which year.
        let none = ExitFacts { record: None, ..facts(&ok) };
        assert_eq!(check(&none, &all)[0].id, "no_yearly_record");
    }

    #[test]
    fn the_year_judged_is_the_last_whose_period_ended() {
        assert_eq!(statistical_year(d("2026-11-11")), 2026);
        assert_eq!(statistical_year(d("2026-09-30")), 2025);
        assert_eq!(statistical_year(d("2027-03-01")), 2026);
        assert!(FORBIDDING_RULES.iter().all(|r| !r.facts.is_empty() && !r.zh.is_empty()));
        assert!(rule("housing_not_safe").is_some());
    }
}
