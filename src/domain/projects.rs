//! Assistance projects 项目管理, microcredit 小额信贷 and migrant work 外出务工: their kinds and
//! the rules of their figures and dates (investment parts summing to the total, a loan due after
//! it was issued, when a loan is overdue, a destination's level). Who may see them is the
//! repository's business.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;
use super::validation::DomainError;
use super::{DivisionCode, Level};

/// The category of an assistance project 项目类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectCategory {
    /// 产业
    Industry,
    /// 就业
    Employment,
    /// 基础设施
    Infrastructure,
    /// 教育
    Education,
    /// 健康
    Health,
    /// 住房
    Housing,
    /// 饮水
    DrinkingWater,
    /// 其他
    Other,
}
super::household::text_enum!(ProjectCategory {
    Industry => "industry",
    Employment => "employment",
    Infrastructure => "infrastructure",
    Education => "education",
    Health => "health",
    Housing => "housing",
    DrinkingWater => "drinking_water",
    Other => "other",
});

/// Where a project stands 项目状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// 计划 (not started)
    Planned,
    /// 实施中 (started: a start date)
    InProgress,
    /// 已完工 (finished: start and end dates)
    Completed,
    /// 已验收 (accepted: start and end dates)
    Accepted,
    /// 已取消
    Cancelled,
}
super::household::text_enum!(ProjectStatus {
    Planned => "planned",
    InProgress => "in_progress",
    Completed => "completed",
    Accepted => "accepted",
    Cancelled => "cancelled",
});

/// A project's total investment and its composition 资金构成, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Investment {
    pub total: Money,
    /// 中央财政资金
    pub central: Money,
    /// 省级财政资金
    pub provincial: Money,
    /// 县级财政资金 (市县)
    pub county: Money,
    /// 其他资金 (社会、群众自筹…)
    pub other: Money,
}

impl Investment {
    /// The parts must sum to the total exactly (to the fen): a 422 on `investment` otherwise.
    pub fn check(&self) -> Result<(), DomainError> {
        let sum = self.central.fen() + self.provincial.fen() + self.county.fen() + self.other.fen();
        if sum != self.total.fen() {
            return Err(DomainError::new("sum_mismatch", format!("the parts sum to {} yuan, the total is {} yuan", Money::from_fen(sum), self.total)));
        }
        Ok(())
    }
}

/// A project's dates against its status: the end not before the start; in progress needs a
/// start, completed and accepted both dates. The field named is the one to fix.
pub fn check_project_dates(status: ProjectStatus, start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<(), (&'static str, DomainError)> {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(("end_date", DomainError::new("before_start", format!("ends before it starts ({s})"))));
    }
    let needs_start = matches!(status, ProjectStatus::InProgress | ProjectStatus::Completed | ProjectStatus::Accepted);
    if needs_start && start.is_none() {
        return Err(("start_date", DomainError::new("required", format!("a project that is {} has a start date", status.as_str()))));
    }
    if matches!(status, ProjectStatus::Completed | ProjectStatus::Accepted) && end.is_none() {
        return Err(("end_date", DomainError::new("required", format!("a project that is {} has an end date", status.as_str()))));
    }
    Ok(())
}

/// A project's year: 2013 (precise poverty alleviation began) to next year.
pub fn check_project_year(year: i32, today: NaiveDate) -> Result<i32, DomainError> {
    use chrono::Datelike;
    if !(2013..=today.year() + 1).contains(&year) {
        return Err(DomainError::new("out_of_range", format!("a project's year lies between 2013 and {}", today.year() + 1)));
    }
    Ok(year)
}

/// The repayment status of a loan 还款状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoanStatus {
    /// 未到期 (being repaid)
    Outstanding,
    /// 已还清 (a repayment date)
    Repaid,
    /// 逾期 (recorded by the bank)
    Overdue,
    /// 展期 (a new due date, `extended_to`)
    Extended,
}
super::household::text_enum!(LoanStatus {
    Outstanding => "outstanding",
    Repaid => "repaid",
    Overdue => "overdue",
    Extended => "extended",
});

/// A loan's dates and status as entered (or as changed).
#[derive(Debug, Clone, Copy)]
pub struct LoanTerms {
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub status: LoanStatus,
    pub repaid_on: Option<NaiveDate>,
}

impl LoanTerms {
    /// The rules across a loan's fields, each error naming its field: due after issued, issued not
    /// in the future, an extension after the due date and only for an extended loan, a repayment
    /// date (not before the issue, not in the future) exactly for a repaid loan.
    pub fn check(&self, today: NaiveDate) -> Vec<(&'static str, DomainError)> {
        let mut out = Vec::new();
        if self.issued_on > today {
            out.push(("issued_on", DomainError::new("out_of_range", "a loan cannot be issued in the future")));
        }
        if self.due_on <= self.issued_on {
            out.push(("due_on", DomainError::new("before_issue", format!("a loan falls due after it was issued ({})", self.issued_on))));
        }
        match (self.status, self.extended_to) {
            (LoanStatus::Extended, None) => out.push(("extended_to", DomainError::new("required", "an extended loan has its new due date"))),
            (LoanStatus::Extended, Some(x)) if x <= self.due_on => out.push(("extended_to", DomainError::new("before_due", format!("an extension runs past the due date ({})", self.due_on)))),
            _ => {}
        }
        match (self.status, self.repaid_on) {
            (LoanStatus::Repaid, None) => out.push(("repaid_on", DomainError::new("required", "a repaid loan has its repayment date"))),
            (LoanStatus::Repaid, Some(r)) if r < self.issued_on || r > today => out.push(("repaid_on", DomainError::new("out_of_range", "repaid between the issue and today"))),
            (s, Some(_)) if s != LoanStatus::Repaid => out.push(("repaid_on", DomainError::new("invalid_value", "only a repaid loan has a repayment date"))),
            _ => {}
        }
        out
    }

    /// The day the loan must be repaid by: the extension's, else the due date.
    pub fn effective_due(&self) -> NaiveDate {
        self.extended_to.unwrap_or(self.due_on)
    }

    /// Overdue 逾期: not repaid and its (extended) due date has passed, or marked overdue.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        match self.status {
            LoanStatus::Repaid => false,
            LoanStatus::Overdue => true,
            _ => self.effective_due() < today,
        }
    }
}

/// A migrant worker's destination 务工地点: a province, city or county code (a township or a
/// village is more than the forms ask).
pub fn check_destination(code: &str) -> Result<DivisionCode, DomainError> {
    let d = DivisionCode::parse(code)?;
    if matches!(d.level(), Level::Township | Level::Village) {
        return Err(DomainError::new("invalid_level", "the destination is a province, city or county code"));
    }
    Ok(d)
}

/// Months away from home in a statistical year: 0 to 12.
pub fn check_months_away(m: i32) -> Result<i32, DomainError> {
    if !(0..=12).contains(&m) {
        return Err(DomainError::new("out_of_range", "months away lie between 0 and 12"));
    }
    Ok(m)
}

/// A household's assistance as the comparison 信息采集对照表 shows it beside the yearly record:
/// for the statistical year before and this one, the projects of the year it benefits from and
/// their benefit, the loans it holds at the state date (issued by then and not repaid before it)
/// and their amount, and each member's migrant work (place, months, income, programme).
pub struct AssistanceYear<'a> {
    /// (project year, benefit in fen where known)
    pub projects: &'a [(i32, Option<i64>)],
    /// (amount in fen, terms)
    pub loans: &'a [(i64, LoanTerms)],
    pub work: &'a [WorkLine],
}

/// A member's migrant work as compared: (member name, year, destination code, months away,
/// income in fen, programme).
pub type WorkLine = (String, i32, String, i32, i64, bool);

/// One row of the comparison: its Chinese name, last year's value and this year's.
pub type ComparedRow = (String, serde_json::Value, serde_json::Value);

/// The rows of [`AssistanceYear`] for `year` against `year - 1` (state dates 30 September).
pub fn compared_rows(a: &AssistanceYear<'_>, year: i32) -> Vec<ComparedRow> {
    use serde_json::{Value, json};
    let yuan = |fen: i64| json!(Money::from_fen(fen));
    let of_year = |y: i32| {
        let p: Vec<&(i32, Option<i64>)> = a.projects.iter().filter(|p| p.0 == y).collect();
        (json!(p.len()), yuan(p.iter().filter_map(|p| p.1).sum()))
    };
    let held = |y: i32| {
        let Some(day) = NaiveDate::from_ymd_opt(y, 9, 30) else { return (json!(0), yuan(0)) };
        let l: Vec<&(i64, LoanTerms)> = a.loans.iter().filter(|(_, t)| t.issued_on <= day && t.repaid_on.is_none_or(|r| r > day)).collect();
        (json!(l.len()), yuan(l.iter().map(|l| l.0).sum()))
    };
    let (p0, p1) = (of_year(year - 1), of_year(year));
    let (l0, l1) = (held(year - 1), held(year));
    let mut rows = vec![
        ("受益项目数".to_owned(), p0.0, p1.0),
        ("项目受益金额(元)".to_owned(), p0.1, p1.1),
        ("小额信贷在贷笔数".to_owned(), l0.0, l1.0),
        ("小额信贷在贷金额(元)".to_owned(), l0.1, l1.1),
    ];
    let mut names: Vec<&String> = a.work.iter().filter(|w| w.1 == year || w.1 == year - 1).map(|w| &w.0).collect();
    names.sort();
    names.dedup();
    for name in names {
        let of = |y: i32| a.work.iter().find(|w| &w.0 == name && w.1 == y);
        let (before, after) = (of(year - 1), of(year));
        let pick = |w: Option<&WorkLine>, f: &dyn Fn(&WorkLine) -> Value| w.map_or(Value::Null, f);
        rows.push((format!("{name} · 务工地点代码"), pick(before, &|w| json!(w.2)), pick(after, &|w| json!(w.2))));
        rows.push((format!("{name} · 外出务工时间(月)"), pick(before, &|w| json!(w.3)), pick(after, &|w| json!(w.3))));
        rows.push((format!("{name} · 务工收入(元)"), pick(before, &|w| yuan(w.4)), pick(after, &|w| yuan(w.4))));
        rows.push((format!("{name} · 稳岗就业"), pick(before, &|w| json!(w.5)), pick(after, &|w| json!(w.5))));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_investment_parts_sum_to_the_total_to_the_fen() {
        let y = Money::yuan;
        let ok = Investment { total: y(100), central: y(50), provincial: y(30), county: y(15), other: y(5) };
        assert!(ok.check().is_ok());
        let off = Investment { other: Money::from_fen(499), ..ok };
        assert_eq!(off.check().unwrap_err().code, "sum_mismatch");
        assert!(Investment::default().check().is_ok());
    }

    #[test]
    fn a_project_has_the_dates_its_status_needs() {
        assert!(check_project_dates(ProjectStatus::Planned, None, None).is_ok());
        assert_eq!(check_project_dates(ProjectStatus::InProgress, None, None).unwrap_err().0, "start_date");
        assert_eq!(check_project_dates(ProjectStatus::Completed, Some(d("2026-01-01")), None).unwrap_err().0, "end_date");
        let (field, e) = check_project_dates(ProjectStatus::Planned, Some(d("2026-02-01")), Some(d("2026-01-01"))).unwrap_err();
        assert_eq!((field, e.code), ("end_date", "before_start"));
        assert!(check_project_dates(ProjectStatus::Accepted, Some(d("2026-01-01")), Some(d("2026-01-01"))).is_ok());
        assert!(check_project_year(2012, d("2026-12-07")).is_err() && check_project_year(2028, d("2026-12-07")).is_err());
        assert_eq!(check_project_year(2027, d("2026-12-07")).unwrap(), 2027);
    }

    fn loan(status: LoanStatus) -> LoanTerms {
        LoanTerms { issued_on: d("2024-03-01"), due_on: d("2027-03-01"), extended_to: None, status, repaid_on: None }
    }

    #[test]
    fn a_loan_falls_due_after_it_was_issued() {
        let today = d("2026-12-07");
        assert!(loan(LoanStatus::Outstanding).check(today).is_empty());
        let early = LoanTerms { due_on: d("2024-02-01"), ..loan(LoanStatus::Outstanding) };
        assert_eq!(early.check(today).iter().map(|(f, e)| (*f, e.code)).collect::<Vec<_>>(), vec![("due_on", "before_issue")]);
        let same = LoanTerms { due_on: d("2024-03-01"), ..loan(LoanStatus::Outstanding) };
        assert_eq!(same.check(today)[0].0, "due_on");
        let future = LoanTerms { issued_on: d("2026-12-08"), ..loan(LoanStatus::Outstanding) };
        assert_eq!(future.check(today)[0].0, "issued_on");
    }

    #[test]
    fn repayment_and_extension_dates_go_with_their_status() {
        let today = d("2026-12-07");
        assert_eq!(loan(LoanStatus::Repaid).check(today)[0], ("repaid_on", DomainError::new("required", "a repaid loan has its repayment date")));
        assert!(LoanTerms { repaid_on: Some(d("2026-01-01")), ..loan(LoanStatus::Repaid) }.check(today).is_empty());
        assert_eq!(LoanTerms { repaid_on: Some(d("2026-01-01")), ..loan(LoanStatus::Outstanding) }.check(today)[0].0, "repaid_on");
        assert_eq!(loan(LoanStatus::Extended).check(today)[0].0, "extended_to");
        assert_eq!(LoanTerms { extended_to: Some(d("2027-03-01")), ..loan(LoanStatus::Extended) }.check(today)[0].1.code, "before_due");
    }

    #[test]
    fn a_loan_is_overdue_once_its_due_date_passed_unrepaid() {
        let past = LoanTerms { due_on: d("2026-12-06"), ..loan(LoanStatus::Outstanding) };
        assert!(past.is_overdue(d("2026-12-07")));
        assert!(!past.is_overdue(d("2026-12-06")));
        assert!(!LoanTerms { status: LoanStatus::Repaid, repaid_on: Some(d("2026-12-01")), ..past }.is_overdue(d("2026-12-07")));
        assert!(!LoanTerms { status: LoanStatus::Extended, extended_to: Some(d("2027-06-01")), ..past }.is_overdue(d("2026-12-07")));
        assert!(loan(LoanStatus::Overdue).is_overdue(d("2026-12-07")));
    }

    #[test]
    fn the_comparison_counts_the_years_projects_the_loans_held_on_the_state_date_and_each_members_work() {
        use serde_json::json;
        let projects = [(2025, Some(80_000)), (2026, Some(50_000)), (2026, None)];
        let repaid = LoanTerms { repaid_on: Some(d("2025-12-01")), status: LoanStatus::Repaid, ..loan(LoanStatus::Outstanding) };
        let loans = [(5_000_000, repaid), (2_000_000, LoanTerms { issued_on: d("2026-01-10"), ..loan(LoanStatus::Outstanding) })];
        let work = [("王小龙".to_owned(), 2026, "320583000000".to_owned(), 8, 3_600_000, true)];
        let rows = compared_rows(&AssistanceYear { projects: &projects, loans: &loans, work: &work }, 2026);
        let row = |n: &str| rows.iter().find(|r| r.0 == n).map(|r| (r.1.clone(), r.2.clone())).unwrap();
        assert_eq!(row("受益项目数"), (json!(1), json!(2)));
        assert_eq!(row("项目受益金额(元)"), (json!(Money::yuan(800)), json!(Money::yuan(500))));
        // On 30 September 2025 the first loan was held; on 30 September 2026 only the second.
        assert_eq!(row("小额信贷在贷笔数"), (json!(1), json!(1)));
        assert_eq!(row("小额信贷在贷金额(元)"), (json!(Money::yuan(50_000)), json!(Money::yuan(20_000))));
        assert_eq!(row("王小龙 · 稳岗就业"), (serde_json::Value::Null, json!(true)));
        assert_eq!(rows.len(), 8);
    }

    #[test]
    fn a_destination_is_a_province_city_or_county() {
        assert!(check_destination("320000000000").is_ok());
        assert!(check_destination("320583000000").is_ok());
        assert_eq!(check_destination("320583101000").unwrap_err().code, "invalid_level");
        assert!(check_destination("32").is_err());
        assert!(check_months_away(12).is_ok() && check_months_away(13).is_err() && check_months_away(-1).is_err());
    }
}
