//! `/households/{id}/loans`, `/loans/{id}`: microcredit 小额信贷 (扶贫小额信贷) of a household.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::amount::Amount;
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, path_id, utc};
use crate::db::repo::cursor;
use crate::db::repo::assistance::loans::{ListedLoan, LoanFilter, LoanRow};
use crate::db::{new_id, now};
use crate::domain::projects::{LoanStatus, LoanTerms};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DivisionCode, FieldErrors, Money};
use crate::error::{ApiError, Problem};
use crate::services::loans as service;
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_loans).service(list_division_loans).service(add_loan).service(update_loan);
}

#[derive(Serialize, ToSchema)]
pub struct LoanView {
    pub id: String,
    pub household_id: String,
    /// 贷款银行
    pub lender: String,
    /// 贷款金额, yuan.
    pub amount_yuan: Money,
    /// 放款日期
    pub issued_on: NaiveDate,
    /// 到期日期
    pub due_on: NaiveDate,
    /// 展期至 (an extended loan's new due date).
    pub extended_to: Option<NaiveDate>,
    /// 贷款用途
    pub purpose: Option<String>,
    /// 贴息金额, yuan.
    pub interest_subsidy_yuan: Money,
    pub status: LoanStatus,
    /// 还清日期
    pub repaid_on: Option<NaiveDate>,
    /// Overdue 逾期 today: not repaid and past its (extended) due date, or marked so.
    pub overdue: bool,
    pub version: i64,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn terms(r: &LoanRow) -> Option<LoanTerms> {
    Some(LoanTerms { issued_on: r.issued_on, due_on: r.due_on, extended_to: r.extended_to, status: LoanStatus::parse(&r.status).ok()?, repaid_on: r.repaid_on })
}

impl LoanView {
    fn build(r: LoanRow, today: NaiveDate) -> Self {
        let overdue = terms(&r).is_some_and(|t| t.is_overdue(today));
        Self {
            status: LoanStatus::parse(&r.status).unwrap_or(LoanStatus::Outstanding),
            amount_yuan: Money::from_fen(r.amount_fen),
            interest_subsidy_yuan: Money::from_fen(r.interest_subsidy_fen),
            overdue,
            id: r.id,
            household_id: r.household_id,
            lender: r.lender,
            issued_on: r.issued_on,
            due_on: r.due_on,
            extended_to: r.extended_to,
            purpose: r.purpose,
            repaid_on: r.repaid_on,
            version: r.version,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// List a household's loans 小额信贷
///
/// The household's loans, latest issued first, each saying whether it is overdue today.
#[utoipa::path(operation_id = "list_loans", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<LoanView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/loans")]
pub async fn list_loans(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = service::list(&state, &user, path_id(&id)?).await?;
    let today = state.today();
    Ok(HttpResponse::Ok().json(rows.into_iter().map(|r| LoanView::build(r, today)).collect::<Vec<_>>()))
}

/// A loan in a division's list, with its household.
#[derive(Serialize, ToSchema)]
pub struct LoanEntryView {
    /// 户编号
    pub household_number: String,
    pub village_code: String,
    /// 户主姓名
    pub head_name: String,
    pub loan: LoanView,
}

pub type LoanEntryPage = Page<LoanEntryView>;

#[derive(Deserialize, IntoParams)]
pub struct LoanQuery {
    /// A division inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    #[param(value_type = Option<LoanStatus>)]
    pub status: Option<String>,
    /// `true`: only the loans overdue today 逾期 (as `overdue` in each loan and the coverage's
    /// `loans_overdue`).
    pub overdue: Option<bool>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List the loans of a division 小额信贷台账
///
/// The loans of the households of a division (default: the caller's jurisdiction), by id, each
/// with its household's number, village and head; `status` filters by the recorded status,
/// `overdue=true` keeps the loans overdue today (the coverage counts them as `loans_overdue`).
#[utoipa::path(operation_id = "list_division_loans", tag = "assistance", security(("bearer" = [])), params(LoanQuery), responses((status = 200, body = LoanEntryPage), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/loans")]
pub async fn list_division_loans(state: Data<AppState>, user: Caller, q: Query<LoanQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let division = match q.division.as_deref() {
        Some(d) => DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))?,
        None => user.scope().division().clone(),
    };
    let mut errs = FieldErrors::new();
    let status = q.status.as_deref().and_then(|s| errs.check("status", LoanStatus::parse(s))).map(|s| s.as_str().to_owned());
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (after, limit) = (cursor::decode(q.cursor.as_deref())?, crate::api::page_limit(q.limit)?);
    let today = state.today();
    let filter = LoanFilter { division, status, overdue_on: q.overdue.unwrap_or(false).then_some(today), after, limit };
    let page = service::list_in(&state, &user, filter).await?;
    Ok(HttpResponse::Ok().json(page.map(|l: ListedLoan| LoanEntryView { household_number: l.number, village_code: l.village_code, head_name: l.head_name, loan: LoanView::build(l.row, today) })))
}

/// On POST `lender`, `amount_yuan`, `issued_on`, `due_on` are required (`status` defaults to
/// `outstanding`, the subsidy to 0); on PATCH every field is optional and the result is checked whole.
#[derive(Deserialize, Validate, ToSchema)]
pub struct LoanBody {
    #[validate(length(max = 100))]
    pub lender: Option<String>,
    /// 贷款金额, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub amount_yuan: Option<Amount>,
    /// Not in the future.
    pub issued_on: Option<NaiveDate>,
    /// After `issued_on` (422 `before_issue`).
    pub due_on: Option<NaiveDate>,
    /// Required for an `extended` loan, after `due_on`.
    pub extended_to: Option<NaiveDate>,
    #[validate(length(max = 500))]
    pub purpose: Option<String>,
    /// 贴息金额, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub interest_subsidy_yuan: Option<Amount>,
    #[schema(value_type = Option<LoanStatus>)]
    pub status: Option<String>,
    /// Required exactly when `status` is `repaid`.
    pub repaid_on: Option<NaiveDate>,
    pub client_id: Option<String>,
}

/// The loan a body makes of `current` (none on POST), every problem in one 422.
fn merge(current: Option<LoanRow>, b: LoanBody, mut errs: FieldErrors, today: NaiveDate, who: &str) -> Result<LoanRow, ApiError> {
    let creating = current.is_none();
    for (field, given) in [("lender", b.lender.is_some()), ("amount_yuan", b.amount_yuan.is_some()), ("issued_on", b.issued_on.is_some()), ("due_on", b.due_on.is_some())] {
        if creating && !given {
            errs.add(field, "required", "must be given");
        }
    }
    let lender = b.lender.as_deref().and_then(|l| errs.check("lender", required_text(l, 100)));
    let purpose = errs.check("purpose", optional_text(b.purpose.as_deref(), 500)).flatten();
    let status = b.status.as_deref().and_then(|s| errs.check("status", LoanStatus::parse(s)));
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let at = now();
    let mut row = current.unwrap_or_else(|| LoanRow {
        id: new_id(),
        client_id,
        household_id: String::new(),
        lender: String::new(),
        amount_fen: 0,
        issued_on: today,
        due_on: today,
        extended_to: None,
        purpose: None,
        interest_subsidy_fen: 0,
        status: LoanStatus::Outstanding.as_str().to_owned(),
        repaid_on: None,
        version: 1,
        created_by: who.to_owned(),
        created_at: at,
        updated_at: at,
    });
    if let Some(l) = lender {
        row.lender = l;
    }
    if let Some(a) = b.amount_yuan.as_ref().and_then(Amount::money) {
        row.amount_fen = a.fen();
    }
    if let Some(a) = b.interest_subsidy_yuan.as_ref().and_then(Amount::money) {
        row.interest_subsidy_fen = a.fen();
    }
    if b.purpose.is_some() {
        row.purpose = purpose;
    }
    row.issued_on = b.issued_on.unwrap_or(row.issued_on);
    row.due_on = b.due_on.unwrap_or(row.due_on);
    if let Some(s) = status {
        row.status = s.as_str().to_owned();
        // A loan leaving `repaid` or `extended` loses the date that went with it, unless given.
        if s != LoanStatus::Repaid {
            row.repaid_on = None;
        }
        if s != LoanStatus::Extended {
            row.extended_to = None;
        }
    }
    if b.extended_to.is_some() {
        row.extended_to = b.extended_to;
    }
    if b.repaid_on.is_some() {
        row.repaid_on = b.repaid_on;
    }
    if errs.is_empty()
        && let Some(t) = terms(&row)
    {
        for (field, e) in t.check(today) {
            errs.add(field, e.code, e.message);
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    row.updated_at = at;
    Ok(row)
}

/// Record a loan
///
/// Record a microcredit loan of a household (village officer and above): lender, amount,
/// issue and due dates (due before issued → 422 `before_issue` on `due_on`), purpose, interest
/// subsidy, repayment status.
#[utoipa::path(operation_id = "add_loan", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = LoanBody, responses(
    (status = 201, body = LoanView),
    (status = 200, description = "the same client_id was sent before", body = LoanView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/loans")]
pub async fn add_loan(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<LoanBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (b, errs) = body.into_parts();
    let today = state.today();
    let loan = merge(None, b, errs, today, &user.username);
    let (status, row) = match service::add(&state, &user, id, loan).await? {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(LoanView::build(row, today)))
}

/// Change a loan
///
/// Change a loan with `If-Match` (village officer and above): a repayment, an extension, a
/// correction; the result is checked whole.
#[utoipa::path(operation_id = "update_loan", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "loan id"), ("If-Match" = String, Header, description = "ETag of the loan")), request_body = LoanBody, responses(
    (status = 200, body = LoanView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/loans/{id}")]
pub async fn update_loan(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<LoanBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (mut b, mut errs) = body.into_parts();
    if b.client_id.take().is_some() {
        errs.add("client_id", "read_only", "a loan keeps the client_id it was created with");
    }
    let today = state.today();
    let who = user.username.clone();
    let row = service::update(&state, &user, id, Precondition::new(if_match(&req)), move |cur| merge(Some(cur), b, errs, today, &who)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(LoanView::build(row, today)))
}
