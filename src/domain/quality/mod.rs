//! Data-cleaning rules 数据清洗规则: each a small pure function over one household's facts
//! (members, this year's record, home, pairing, photos) and a few county-wide facts (ID
//! numbers and phones shared between households), with a stable id, a severity, a Chinese and
//! an English description and the fields it points at.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

pub mod ledger;
pub mod people;

use super::yearly::YearRecord;
// `text_enum!` of `people` names `super::validation`.
use super::validation;
use super::{Category, IdNumber, Money, Relation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 错误: the record is wrong.
    Error,
    /// 疑点: to verify on a home visit.
    Warning,
}

/// A member as the rules see it (numbers decrypted by the caller).
#[derive(Debug, Clone)]
pub struct MemberFacts {
    pub id: String,
    pub name: String,
    pub relation: Relation,
    pub sex: super::Sex,
    pub birth_date: NaiveDate,
    /// None for a member recorded without one (无户籍人口).
    pub id_number: Option<String>,
    /// Why there is no ID number.
    pub no_id_reason: Option<String>,
    pub phone: Option<String>,
    pub removed: bool,
    pub removed_reason: Option<String>,
    /// 减少时间 of a member who left.
    pub left_on: Option<NaiveDate>,
}

/// One household and what the rules need to know about it.
#[derive(Debug, Clone)]
pub struct HouseholdFacts {
    pub id: String,
    pub category: Category,
    pub risk_status: Option<String>,
    pub has_home: bool,
    pub has_pairing: bool,
    pub members: Vec<MemberFacts>,
    /// This year's record and its per-capita net income.
    pub year: Option<(YearRecord, Money)>,
    /// Distinct photo kinds of the year that were not rejected.
    pub photo_kinds: usize,
    /// Photos flagged and not yet reviewed.
    pub photos_flagged: usize,
    /// Why they were flagged (each reason once, soft reasons left out).
    pub photo_flag_reasons: Vec<crate::domain::photo::Reason>,
    /// Microcredit loans 小额信贷: the lender and the terms.
    pub loans: Vec<(String, super::projects::LoanTerms)>,
}

/// County-wide facts and settings.
#[derive(Debug, Clone)]
pub struct Context {
    /// The state date of the year (30 September), for ages.
    pub state_date: NaiveDate,
    pub today: NaiveDate,
    pub poverty_line: Option<Money>,
    pub exit_minimum: Option<Money>,
    /// ID numbers held by current members of more than one household → how many.
    pub shared_ids: HashMap<String, usize>,
    /// Head phones shared by more than `phone_max_households` households → how many.
    pub shared_phones: HashMap<String, usize>,
    pub phone_max_households: usize,
}

/// A rule firing on a household (and a member, when the problem is one person's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    pub member_id: Option<String>,
    pub detail: String,
}

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub zh: &'static str,
    pub en: &'static str,
    pub fields: &'static [&'static str],
    check: fn(&HouseholdFacts, &Context, &mut Vec<(Option<String>, String)>),
}

fn age(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut a = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a
}

fn current(h: &HouseholdFacts) -> impl Iterator<Item = &MemberFacts> {
    h.members.iter().filter(|m| !m.removed)
}

fn helped(h: &HouseholdFacts) -> bool {
    h.category != Category::Ordinary
}

fn monitored(h: &HouseholdFacts) -> bool {
    matches!(h.category, Category::MonitoredUnstable | Category::MonitoredMarginal | Category::MonitoredHardship)
}

pub const RULES: &[Rule] = &[
    Rule { id: "id_invalid", severity: Severity::Error, zh: "身份证号码不符合国家标准（GB 11643）", en: "ID number is not a valid GB 11643 number", fields: &["members.id_number"], check: |h, c, out| {
        for m in current(h) {
            if let Some(Err(e)) = m.id_number.as_deref().map(|n| IdNumber::parse(n, c.today)) {
                out.push((Some(m.id.clone()), format!("{}: {}", m.name, e.message)));
            }
        }
    } },
    Rule { id: "member_without_id_number", severity: Severity::Warning, zh: "成员无身份证号码（无户籍人口），待登记后补录", en: "a member is recorded without an ID number (not registered yet): enter it once issued", fields: &["members.id_number", "members.no_id_reason"], check: |h, _, out| {
        for m in current(h).filter(|m| m.id_number.is_none()) {
            out.push((Some(m.id.clone()), format!("{}: {}", m.name, m.no_id_reason.as_deref().unwrap_or("no reason"))));
        }
    } },
    Rule { id: "id_duplicate", severity: Severity::Error, zh: "身份证号码在多户中重复", en: "the same ID number is a member of several households", fields: &["members.id_number"], check: |h, c, out| {
        for m in current(h) {
            if let Some(n) = m.id_number.as_ref().and_then(|id| c.shared_ids.get(id)) {
                out.push((Some(m.id.clone()), format!("{} is listed in {n} households", m.name)));
            }
        }
    } },
    Rule { id: "name_invalid", severity: Severity::Error, zh: "姓名缺失或含数字、字母", en: "name missing or containing digits or Latin letters", fields: &["members.name"], check: |h, _, out| {
        for m in current(h) {
            if m.name.trim().is_empty() || m.name.chars().any(|ch| ch.is_ascii_alphanumeric()) {
                out.push((Some(m.id.clone()), format!("name \"{}\"", m.name)));
            }
        }
    } },
    Rule { id: "head_count", severity: Severity::Error, zh: "无户主或多个户主", en: "no head of household, or several", fields: &["members.relation"], check: |h, _, out| {
        let n = current(h).filter(|m| m.relation == Relation::Head).count();
        if n != 1 {
            out.push((None, format!("{n} heads")));
        }
    } },
    Rule { id: "child_older_than_head", severity: Severity::Warning, zh: "子女年龄大于户主", en: "a child is older than the head", fields: &["members.relation", "members.birth_date"], check: |h, _, out| {
        let Some(head) = current(h).find(|m| m.relation == Relation::Head) else { return };
        for m in current(h).filter(|m| m.relation == Relation::Child && m.birth_date < head.birth_date) {
            out.push((Some(m.id.clone()), format!("{} born {} before the head {}", m.name, m.birth_date, head.birth_date)));
        }
    } },
    Rule { id: "birth_date_mismatch", severity: Severity::Error, zh: "出生日期与身份证号码不一致", en: "birth date differs from the one in the ID number", fields: &["members.birth_date"], check: |h, c, out| {
        for m in current(h) {
            if let Some(Ok(id)) = m.id_number.as_deref().map(|n| IdNumber::parse(n, c.today)) {
                if id.birth_date() != m.birth_date {
                    out.push((Some(m.id.clone()), format!("{}: recorded {}, ID says {}", m.name, m.birth_date, id.birth_date())));
                }
            }
        }
    } },
    Rule { id: "sex_mismatch", severity: Severity::Error, zh: "性别与身份证号码不一致", en: "sex differs from the one in the ID number", fields: &["members.sex"], check: |h, c, out| {
        for m in current(h) {
            if let Some(Ok(id)) = m.id_number.as_deref().map(|n| IdNumber::parse(n, c.today)) {
                if id.sex() != m.sex {
                    out.push((Some(m.id.clone()), format!("{}: recorded {}, ID says {}", m.name, m.sex.as_str(), id.sex().as_str())));
                }
            }
        }
    } },
    Rule { id: "over_100", severity: Severity::Warning, zh: "成员年龄超过100岁仍在册", en: "a member over 100 is still listed", fields: &["members.birth_date"], check: |h, c, out| {
        for m in current(h).filter(|m| age(m.birth_date, c.today) > 100) {
            out.push((Some(m.id.clone()), format!("{} is {}", m.name, age(m.birth_date, c.today))));
        }
    } },
    Rule { id: "deceased_in_year_record", severity: Severity::Error, zh: "已故成员仍列入年度信息", en: "a deceased or removed member is still in this year's record", fields: &["years.members"], check: |h, c, out| {
        let Some((rec, _)) = &h.year else { return };
        // A member belongs in the records up to the statistical year they left in.
        let year = super::member::statistical_year(c.state_date);
        for m in h.members.iter().filter(|m| !super::member::may_appear_in_year(m.left_on, m.removed, year)) {
            if rec.members.iter().any(|y| y.member_id == m.id) {
                out.push((Some(m.id.clone()), format!("{} left the household ({})", m.name, m.removed_reason.as_deref().unwrap_or("removed"))));
            }
        }
    } },
    Rule { id: "school_age_not_in_school", severity: Severity::Warning, zh: "义务教育阶段适龄人口未在校", en: "a child of compulsory-school age is not in school", fields: &["years.members.in_school"], check: |h, c, out| {
        let Some((rec, _)) = &h.year else { return };
        for y in &rec.members {
            let Some(m) = current(h).find(|m| m.id == y.member_id) else { continue };
            let a = age(m.birth_date, c.state_date);
            let excused = matches!(y.health.as_str(), "disabled" | "serious_illness");
            if (6..=15).contains(&a) && y.in_school == "not_in_school" && !excused {
                out.push((Some(m.id.clone()), format!("{} is {a} on {} and not in school", m.name, c.state_date)));
            }
        }
    } },
    Rule { id: "months_away_inconsistent", severity: Severity::Error, zh: "务工时间超过12个月或有务工时间无务工状况", en: "months away above 12, or months away without a work status", fields: &["years.members.months_away", "years.members.work_status"], check: |h, _, out| {
        let Some((rec, _)) = &h.year else { return };
        for y in &rec.members {
            if y.months_away > 12 || (y.months_away > 0 && y.work_status == "none") {
                out.push((Some(y.member_id.clone()), format!("{} months away, work status {}", y.months_away, y.work_status)));
            }
        }
    } },
    Rule { id: "exited_below_minimum", severity: Severity::Error, zh: "已脱贫或风险已消除户人均纯收入低于退出标准", en: "an exited household's per-capita income is below the exit minimum", fields: &["years.income"], check: |h, c, out| {
        let (Some((_, pc)), Some(min)) = (&h.year, c.exit_minimum) else { return };
        let exited = h.category == Category::LiftedOut || h.risk_status.as_deref() == Some("eliminated");
        if exited && *pc < min {
            out.push((None, format!("per-capita net income {pc} below {min}")));
        }
    } },
    Rule { id: "monitored_above_minimum", severity: Severity::Warning, zh: "监测对象风险未消除但人均纯收入已达退出标准", en: "a monitoring object at risk has an income above the exit minimum", fields: &["years.income", "category"], check: |h, c, out| {
        let (Some((_, pc)), Some(min)) = (&h.year, c.exit_minimum) else { return };
        if monitored(h) && h.risk_status.as_deref() != Some("eliminated") && *pc >= min {
            out.push((None, format!("per-capita net income {pc} at or above {min}")));
        }
    } },
    Rule { id: "income_parts_inconsistent", severity: Severity::Warning, zh: "收入构成不合理（生产经营支出大于收入或纯收入为负）", en: "income parts do not add up (costs above production income, or a negative net)", fields: &["years.income"], check: |h, _, out| {
        let Some((rec, _)) = &h.year else { return };
        let i = &rec.income;
        if i.production_costs > i.production || i.net() < Money::ZERO {
            out.push((None, format!("production {}, costs {}, net {}", i.production, i.production_costs, i.net())));
        }
    } },
    Rule { id: "expense_poverty_risk", severity: Severity::Warning, zh: "非监测户人均纯收入达到贫困线但扣除刚性支出后低于贫困线（支出型贫困风险，因病因残因灾）", en: "a household not monitored has an income at or above the poverty line that falls below it once rigid expenses are paid (expense-driven poverty risk)", fields: &["years.income", "years.rigid_expenses", "category"], check: |h, c, out| {
        let (Some((rec, pc)), Some(line)) = (&h.year, c.poverty_line) else { return };
        // Shared by the same members as the net income (the record's, else the current ones).
        let after = rec.per_capita_after_rigid_expenses(current(h).count());
        if !monitored(h) && *pc >= line && after < line {
            out.push((None, format!("per-capita net income {pc}, {after} after rigid expenses {}, poverty line {line}", rec.rigid_expenses.total())));
        }
    } },
    Rule { id: "no_pairing", severity: Severity::Error, zh: "监测对象或脱贫户无帮扶责任人", en: "a helped household has no current cadre", fields: &["pairing"], check: |h, _, out| {
        if helped(h) && !h.has_pairing {
            out.push((None, format!("{} without a current pairing", h.category.as_str())));
        }
    } },
    Rule { id: "no_home_location", severity: Severity::Warning, zh: "帮扶户未采集住户定位", en: "a helped household has no accepted home location", fields: &["home"], check: |h, _, out| {
        if helped(h) && !h.has_home {
            out.push((None, "no home location".into()));
        }
    } },
    Rule { id: "photo_set_incomplete", severity: Severity::Warning, zh: "本年度入户照片不全", en: "the year's photo set is incomplete", fields: &["photos"], check: |h, _, out| {
        if helped(h) && h.photo_kinds < 6 {
            out.push((None, format!("{} of 6 kinds", h.photo_kinds)));
        }
    } },
    Rule { id: "photos_flagged_unreviewed", severity: Severity::Warning, zh: "存在未审核的疑点照片", en: "flagged photos wait for review", fields: &["photos"], check: |h, _, out| {
        if h.photos_flagged > 0 {
            let why: Vec<&str> = h.photo_flag_reasons.iter().map(|r| r.as_str()).collect();
            out.push((None, format!("{} flagged photo(s): {}", h.photos_flagged, why.join(", "))));
        }
    } },
    Rule { id: "shared_phone", severity: Severity::Warning, zh: "同一联系电话用于多户户主", en: "one phone number for the heads of several households", fields: &["members.phone"], check: |h, c, out| {
        for m in current(h).filter(|m| m.relation == Relation::Head) {
            if let Some(n) = m.phone.as_ref().and_then(|p| c.shared_phones.get(p)) {
                out.push((Some(m.id.clone()), format!("the head's phone is used by {n} households (more than {})", c.phone_max_households)));
            }
        }
    } },
    Rule { id: "loan_overdue", severity: Severity::Warning, zh: "小额信贷逾期未还", en: "a microcredit loan is overdue (past its due date and not repaid)", fields: &["loans.due_on", "loans.status"], check: |h, c, out| {
        for (lender, t) in h.loans.iter().filter(|(_, t)| t.is_overdue(c.today)) {
            out.push((None, format!("{lender}: due {}, {}", t.effective_due(), t.status.as_str())));
        }
    } },
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Every rule over one household.
pub fn evaluate(h: &HouseholdFacts, c: &Context) -> Vec<Hit> {
    let mut hits = Vec::new();
    for r in RULES {
        let mut found = Vec::new();
        (r.check)(h, c, &mut found);
        hits.extend(found.into_iter().map(|(member_id, detail)| Hit { rule: r.id, member_id, detail }));
    }
    hits
}

/// The lifecycle of a problem 问题台账: open → verified → rectified → closed, or dismissed
/// (not a problem, with a reason) from open or verified. `resolved_by_data` is set by runs.
pub fn transition_allowed(from: &str, to: &str) -> Result<(), String> {
    let ok = matches!((from, to), ("open", "verified") | ("verified", "rectified") | ("rectified", "closed") | ("open" | "verified", "dismissed"));
    if ok {
        Ok(())
    } else {
        let next = match from {
            "open" => "verified or dismissed",
            "verified" => "rectified or dismissed",
            "rectified" => "closed",
            _ => "nothing (the problem is finished)",
        };
        Err(format!("a problem that is {from} can become {next}, not {to}"))
    }
}

/// Every status of a problem of the ledger.
pub const STATUSES: &[&str] = &["open", "verified", "rectified", "closed", "dismissed", "resolved_by_data"];
/// The statuses a person may move a problem to (`transition_allowed` says from where).
pub const SETTABLE_STATUSES: &[&str] = &["verified", "rectified", "closed", "dismissed"];

#[cfg(test)]
mod tests;
