//! Yearly basic information 年度基础信息: the statistical period, the record's parts and rules,
//! where a household stands against the thresholds, and the comparison with last year.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::money::Money;
use super::validation::DomainError;

/// A campaign year from 2014 (the start of precise poverty registration) to this year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatYear(i32);

impl StatYear {
    pub fn parse(year: i32, today: NaiveDate) -> Result<Self, DomainError> {
        if year < 2014 {
            return Err(DomainError::new("out_of_range", "yearly records start in 2014"));
        }
        if year > today.year() {
            return Err(DomainError::new("out_of_range", "a yearly record cannot be for a future year"));
        }
        Ok(Self(year))
    }

    pub fn value(self) -> i32 {
        self.0
    }

    /// Statistical indicators (income, months away) cover 1 October of the previous year …
    pub fn period_start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 - 1, 10, 1).unwrap_or_default()
    }

    /// … to 30 September; state indicators (health, school) are taken on that day.
    pub fn period_end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 9, 30).unwrap_or_default()
    }
}

/// Income by part, yuan per year (exact to the fen 分; each part non-negative, as on the forms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Income {
    /// 工资性收入
    pub wages: Money,
    /// 生产经营性收入 (gross)
    pub production: Money,
    /// 生产经营性支出
    pub production_costs: Money,
    /// 财产性收入
    pub property: Money,
    /// 转移性收入
    pub transfers: Money,
}

impl Income {
    /// 家庭纯收入: the parts less production costs (may be negative).
    pub fn net(&self) -> Money {
        self.wages + self.production - self.production_costs + self.property + self.transfers
    }
}

/// Rigid expenses 刚性支出 of the year, yuan (non-negative): what "expense-driven poverty"
/// 支出型贫困 (因病、因残、因灾) is judged on. Absent in records entered before they were asked
/// for: zeros.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RigidExpenses {
    /// 医疗支出(报销后): medical costs after reimbursement
    pub medical: Money,
    /// 教育支出
    pub education: Money,
    /// 灾害/意外损失: disaster or accident losses
    pub disaster: Money,
    /// 其他刚性支出
    pub other: Money,
}

impl RigidExpenses {
    pub fn total(&self) -> Money {
        self.medical + self.education + self.disaster + self.other
    }
}

/// One of "two no-worries, three guarantees" 两不愁三保障: met, or not with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Guarantee {
    pub ok: bool,
    /// Required when `ok` is false.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Guarantees {
    /// 不愁吃、不愁穿
    pub food_clothing: Guarantee,
    /// 饮水安全
    pub drinking_water: Guarantee,
    /// 义务教育有保障
    pub compulsory_education: Guarantee,
    /// 基本医疗有保障
    pub basic_medical: Guarantee,
    /// 住房安全有保障
    pub housing_safety: Guarantee,
}

/// Living conditions 生产生活条件.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Living {
    /// 住房: `safe`, `renovated`, `relocated`, `dangerous`
    pub housing: String,
    /// 饮水: `tap`, `well`, `other`
    pub water: String,
    pub electricity: bool,
    /// 通硬化路
    pub paved_road: bool,
    pub broadband: bool,
}

/// A member's state for the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberYear {
    pub member_id: String,
    /// 文化程度: `illiterate`, `primary`, `junior`, `senior`, `vocational`, `college`, `preschool`
    pub education: String,
    /// 健康状况: `healthy`, `chronic_illness`, `serious_illness`, `disabled`
    pub health: String,
    /// 残疾等级 1–4, with `disabled`
    pub disability_grade: Option<u8>,
    /// 在校生状况: `not_in_school`, `preschool`, `primary`, `junior`, `senior`, `vocational`, `college`
    pub in_school: String,
    /// 劳动技能: `skilled`, `ordinary`, `weak`, `none`
    pub labour_skill: String,
    /// 务工状况: `local`, `in_province`, `out_of_province`, `none`
    pub work_status: String,
    /// 外出务工月数 0–12 within the statistical period
    pub months_away: i64,
    /// 是否参加城乡居民基本医疗保险 (null: not recorded; the 基本医疗有保障 guarantee is judged from it)
    #[serde(default)]
    pub medical_insurance: Option<bool>,
    /// 是否参加城乡居民基本养老保险 (null: not recorded)
    #[serde(default)]
    pub pension_insurance: Option<bool>,
    /// 务工地点（省）: the province worked in when away from home (务工状况 in or out of the province), by its name
    #[serde(default)]
    pub work_province: Option<String>,
    /// 务工地点（县）: the county (区、县、市) worked in, by its name, with the province
    #[serde(default)]
    pub work_county: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct YearRecord {
    pub income: Income,
    /// 刚性支出: optional in a request (zeros), always answered.
    #[serde(default)]
    #[schema(required = true)]
    pub rigid_expenses: RigidExpenses,
    pub members: Vec<MemberYear>,
    pub guarantees: Guarantees,
    pub living: Living,
}

/// The choices of a member's year 文化程度, 健康状况, 在校生状况, 劳动技能, 务工状况 …
pub const EDUCATION: &[&str] = &["illiterate", "preschool", "primary", "junior", "senior", "vocational", "college"];
pub const HEALTH: &[&str] = &["healthy", "chronic_illness", "serious_illness", "disabled"];
pub const IN_SCHOOL: &[&str] = &["not_in_school", "preschool", "primary", "junior", "senior", "vocational", "college"];
pub const LABOUR_SKILL: &[&str] = &["skilled", "ordinary", "weak", "none"];
pub const WORK_STATUS: &[&str] = &["local", "in_province", "out_of_province", "none"];
/// … and of the living conditions 住房, 饮水.
pub const HOUSING: &[&str] = &["safe", "renovated", "relocated", "dangerous"];
pub const WATER: &[&str] = &["tap", "well", "other"];

/// One of a record's choices.
pub fn one_of(value: &str, allowed: &[&str]) -> Result<(), DomainError> {
    if allowed.contains(&value) { Ok(()) } else { Err(DomainError::new("invalid_value", format!("must be one of: {}", allowed.join(", ")))) }
}

/// The place of work 务工地点 (names, at most 40 characters each) goes with work away from home
/// (`in_province`, `out_of_province`), and a county with its province: the field refused, with why.
pub fn check_work_place(work_status: &str, province: Option<&str>, county: Option<&str>) -> Result<(), (&'static str, DomainError)> {
    let given = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
    for (field, v) in [("work_province", province), ("work_county", county)] {
        if v.is_some_and(|v| v.chars().count() > 40 || v.chars().any(|c| c.is_ascii_digit())) {
            return Err((field, DomainError::new("invalid_value", "a place name of at most 40 characters, no digits")));
        }
    }
    if (given(province) || given(county)) && !matches!(work_status, "in_province" | "out_of_province") {
        let field = if given(province) { "work_province" } else { "work_county" };
        return Err((field, DomainError::new("not_away", "a place of work only for a member working away (in_province, out_of_province)")));
    }
    if given(county) && !given(province) {
        return Err(("work_province", DomainError::new("required", "the province of the county worked in")));
    }
    Ok(())
}

/// A disability grade 1–4 goes with `disabled`, and only with it (the error is the grade's).
pub fn check_disability(health: &str, grade: Option<u8>) -> Result<(), DomainError> {
    match (health, grade) {
        ("disabled", Some(1..=4)) => Ok(()),
        ("disabled", _) => Err(DomainError::new("required", "a grade from 1 to 4 for a disabled member")),
        (_, Some(_)) => Err(DomainError::new("invalid_value", "only for a disabled member")),
        _ => Ok(()),
    }
}

/// A guarantee that is not met says why (the error is the reason's).
pub fn check_guarantee(ok: bool, reason: Option<&str>) -> Result<(), DomainError> {
    if !ok && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(DomainError::new("required", "say why it is not met"));
    }
    Ok(())
}

/// A member of the household as a record of a year sees it: current, or the day they left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub removed: bool,
    pub left_on: Option<NaiveDate>,
    /// 增加时间 of a member who joined the recorded household.
    pub joined_on: Option<NaiveDate>,
}

/// The members a record of `year` describes, by index (`None` where no id was given): each a
/// member of the household (`members`), current or gone in that statistical year or later, not
/// joined after it, none twice. Each refused index with why.
pub fn check_members(ids: &[Option<&str>], members: &[Listed], year: i32) -> Vec<(usize, DomainError)> {
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id else { continue };
        let Some(m) = members.iter().find(|m| m.id == *id) else {
            out.push((i, DomainError::new("not_a_member", "not a member of this household")));
            continue;
        };
        if !super::member::may_appear_in_year(m.left_on, m.removed, year) {
            let when = m.left_on.map(|d| format!(" on {d}")).unwrap_or_default();
            out.push((i, DomainError::new("left_before_year", format!("the member left the household{when}, before the statistical year {year}"))));
        } else if let Some(j) = m.joined_on.filter(|j| super::member::statistical_year(*j) > year) {
            out.push((i, DomainError::new("joined_after_year", format!("the member joined the household on {j}, after the statistical year {year}"))));
        } else if ids[..i].contains(&Some(*id)) {
            out.push((i, DomainError::new("duplicate", "the member appears twice")));
        }
    }
    out
}

impl YearRecord {
    /// The members the income is shared by: those of the record, else the household's `members`.
    fn heads(&self, members: usize) -> usize {
        if self.members.is_empty() { members } else { self.members.len() }.max(1)
    }

    /// 人均纯收入: net income per member (counted from the record, else `members`), in whole
    /// fen, rounded half away from zero (0.5 fen up).
    pub fn per_capita_net_income(&self, members: usize) -> Money {
        self.income.net().per(self.heads(members))
    }

    /// 扣除刚性支出后人均收入: net income less rigid expenses, per member, rounded the same way.
    pub fn per_capita_after_rigid_expenses(&self, members: usize) -> Money {
        (self.income.net() - self.rigid_expenses.total()).per(self.heads(members))
    }
}

/// One threshold rule (configuration): for a province (or all), from a year on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRule {
    /// Two-digit province code; absent for the national rule.
    pub province: Option<String>,
    pub from_year: i32,
    /// Poverty line, yuan per person per year (at most two decimals).
    #[serde(deserialize_with = "super::money::from_config")]
    pub poverty_line: Money,
    /// Minimum per-capita net income for a household to exit.
    #[serde(deserialize_with = "super::money::from_config")]
    pub exit_minimum: Money,
}

/// Defaults from the seeds: national line 2 855, Shaanxi's 3 015 yuan (2016 prices, seed 000);
/// exit at 4 000 at least (seed 003).
pub fn default_thresholds() -> Vec<ThresholdRule> {
    vec![
        ThresholdRule { province: None, from_year: 2014, poverty_line: Money::yuan(2855), exit_minimum: Money::yuan(4000) },
        ThresholdRule { province: Some("61".into()), from_year: 2016, poverty_line: Money::yuan(3015), exit_minimum: Money::yuan(4000) },
    ]
}

/// The rule for a province and year: the province's own before the national one, latest first.
pub fn threshold_for<'a>(rules: &'a [ThresholdRule], province: &str, year: i32) -> Option<&'a ThresholdRule> {
    let applicable = |r: &&ThresholdRule| r.from_year <= year;
    rules
        .iter()
        .filter(applicable)
        .filter(|r| r.province.as_deref() == Some(province))
        .max_by_key(|r| r.from_year)
        .or_else(|| rules.iter().filter(applicable).filter(|r| r.province.is_none()).max_by_key(|r| r.from_year))
}

/// A changed value between two records.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    /// Path of the field, e.g. `income.wages` or `members[<member id>].months_away`.
    pub field: String,
    /// The value before: a number, a text, `true`/`false`, or `null` when there was none.
    pub before: Value,
    /// The value after, of the same kind.
    pub after: Value,
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
            }
        }
        Value::Array(items) if prefix == "members" => {
            for m in items {
                let id = m["member_id"].as_str().unwrap_or("?");
                flatten(&format!("members[{id}]"), m, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Every field of either record with both values (the printed table lists them all).
pub fn all_fields(before: Option<&YearRecord>, after: Option<&YearRecord>) -> Vec<Change> {
    compare(before, after, true)
}

/// The fields that differ between last year's and this year's record (members matched by id).
pub fn changes(before: Option<&YearRecord>, after: Option<&YearRecord>) -> Vec<Change> {
    compare(before, after, false)
}

fn compare(before: Option<&YearRecord>, after: Option<&YearRecord>, all: bool) -> Vec<Change> {
    let flat = |r: Option<&YearRecord>| {
        let mut out = Vec::new();
        if let Some(r) = r {
            flatten("", &serde_json::to_value(r).unwrap_or_default(), &mut out);
        }
        out
    };
    let (b, a) = (flat(before), flat(after));
    let mut fields: Vec<&String> = b.iter().chain(a.iter()).map(|(k, _)| k).collect();
    fields.sort();
    fields.dedup();
    let get = |list: &[(String, Value)], f: &str| list.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone()).unwrap_or(Value::Null);
    fields
        .into_iter()
        .filter(|f| !f.ends_with(".member_id"))
        .filter_map(|f| {
            let (x, y) = (get(&b, f), get(&a, f));
            (all || x != y).then(|| Change { field: f.clone(), before: x, after: y })
        })
        .collect()
}

#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// A valid record of one member (tests of other modules use it too).
    pub fn record(member: &str) -> YearRecord {
        let ok = Guarantee { ok: true, reason: None };
        YearRecord {
            income: Income { wages: Money::yuan(12000), production: Money::yuan(6000), production_costs: Money::yuan(2000), property: Money::ZERO, transfers: Money::yuan(1500) },
            rigid_expenses: RigidExpenses::default(),
            members: vec![MemberYear {
                member_id: member.into(),
                education: "junior".into(),
                health: "healthy".into(),
                disability_grade: None,
                in_school: "not_in_school".into(),
                labour_skill: "ordinary".into(),
                work_status: "out_of_province".into(),
                months_away: 8,
                medical_insurance: Some(true),
                pension_insurance: Some(true),
                work_province: Some("江苏省".into()),
                work_county: Some("昆山市".into()),
            }],
            guarantees: Guarantees { food_clothing: ok.clone(), drinking_water: ok.clone(), compulsory_education: ok.clone(), basic_medical: ok.clone(), housing_safety: ok },
            living: Living { housing: "safe".into(), water: "tap".into(), electricity: true, paved_road: true, broadband: false },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::record;
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn the_statistical_period_runs_from_october_to_september() {
        let y = StatYear::parse(2024, today()).unwrap();
        assert_eq!(y.period_start(), NaiveDate::from_ymd_opt(2023, 10, 1).unwrap());
        assert_eq!(y.period_end(), NaiveDate::from_ymd_opt(2024, 9, 30).unwrap());
        assert!(StatYear::parse(2013, today()).is_err());
        assert!(StatYear::parse(2027, today()).is_err());
        assert!(StatYear::parse(2026, today()).is_ok());
    }

    #[test]
    fn the_rules_across_fields_of_a_record() {
        assert!(one_of("junior", EDUCATION).is_ok());
        assert_eq!(one_of("rich", HOUSING).unwrap_err().message, "must be one of: safe, renovated, relocated, dangerous");
        assert!(check_disability("disabled", Some(2)).is_ok() && check_disability("healthy", None).is_ok());
        assert_eq!(check_disability("disabled", None).unwrap_err().code, "required");
        assert_eq!(check_disability("disabled", Some(5)).unwrap_err().code, "required");
        assert_eq!(check_disability("healthy", Some(1)).unwrap_err().code, "invalid_value");
        assert!(check_guarantee(true, None).is_ok() && check_guarantee(false, Some("危房")).is_ok());
        assert_eq!(check_guarantee(false, Some(" ")).unwrap_err().code, "required");
    }

    #[test]
    fn a_record_describes_members_of_its_year_once_each() {
        let m = |id: &str, left: Option<&str>| Listed { id: id.into(), removed: left.is_some(), left_on: left.map(|d| d.parse().unwrap()), joined_on: None };
        let mut members = vec![m("m1", None), m("m2", None), m("m4", Some("2025-10-15"))];
        members.push(Listed { joined_on: "2025-10-01".parse().ok(), ..m("m5", None) });
        assert!(check_members(&[Some("m5")], &members, 2026).is_empty());
        assert_eq!(check_members(&[Some("m5")], &members, 2025)[0].1.code, "joined_after_year");
        let refused = check_members(&[Some("m1"), None, Some("m3"), Some("m1"), Some("m2")], &members, 2026);
        let found: Vec<(usize, &str)> = refused.iter().map(|(i, e)| (*i, e.code)).collect();
        assert_eq!(found, [(2, "not_a_member"), (3, "duplicate")]);
        assert!(check_members(&[Some("m2"), Some("m1")], &members, 2026).is_empty());
        assert!(check_members(&[Some("m4")], &members, 2026).is_empty(), "left in the statistical year 2026");
        assert_eq!(check_members(&[Some("m4")], &members, 2027)[0].1.code, "left_before_year");
    }

    #[test]
    fn a_place_of_work_goes_with_work_away_and_a_county_with_its_province() {
        assert!(check_work_place("out_of_province", Some("江苏省"), Some("昆山市")).is_ok());
        assert!(check_work_place("none", None, None).is_ok());
        assert_eq!(check_work_place("local", Some("陕西省"), None).unwrap_err().0, "work_province");
        assert_eq!(check_work_place("in_province", None, Some("榆阳区")).unwrap_err().0, "work_province");
        assert_eq!(check_work_place("in_province", Some("陕西省"), Some("1区")).unwrap_err().1.code, "invalid_value");
    }

    #[test]
    fn income_and_thresholds() {
        let r = record("m1");
        assert_eq!(r.income.net(), Money::yuan(17500));
        assert_eq!(r.per_capita_net_income(1), Money::yuan(17500));
        let mut three = r.clone();
        three.members.clear();
        three.income = Income { wages: Money::from_fen(1_000_001), production: Money::ZERO, production_costs: Money::ZERO, property: Money::ZERO, transfers: Money::ZERO };
        assert_eq!(three.per_capita_net_income(3), Money::from_fen(333_334), "10000.01 / 3 = 3333.336… → 3333.34");
        three.rigid_expenses = RigidExpenses { medical: Money::yuan(4000), education: Money::from_fen(1), disaster: Money::ZERO, other: Money::ZERO };
        assert_eq!(three.rigid_expenses.total(), Money::from_fen(400_001));
        assert_eq!(three.per_capita_after_rigid_expenses(3), Money::yuan(2000));
        let rules = default_thresholds();
        assert_eq!(threshold_for(&rules, "61", 2020).unwrap().poverty_line, Money::yuan(3015));
        assert_eq!(threshold_for(&rules, "61", 2015).unwrap().poverty_line, Money::yuan(2855), "before Shaanxi's own line");
        assert_eq!(threshold_for(&rules, "34", 2020).unwrap().poverty_line, Money::yuan(2855));
    }

    #[test]
    fn changes_list_only_what_differs() {
        let a = record("m1");
        let mut b = record("m1");
        b.income.wages = Money::yuan(15000);
        b.members[0].months_away = 10;
        let c = changes(Some(&a), Some(&b));
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["income.wages", "members[m1].months_away"]);
        assert_eq!(c[0].before, serde_json::json!(12000.0));
        assert!(changes(Some(&a), Some(&a)).is_empty());
        assert!(!changes(None, Some(&a)).is_empty());
    }
}
