//! A village's yearly adjustment in batches: `POST /cases/batch-steps` (one step for many cases,
//! all or nothing), the county's campaign schedule `/campaign-schedules/{year}` (what
//! `?overdue=true` measures against), and the publicity and announcement lists 公示名单 / 公告名单
//! `/villages/{code}/publicity-lists` (JSON and A4 xlsx).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::procedures::{CaseView, StepBody, case_view, parse_step};
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_uuid};
use crate::db::models::CampaignScheduleRow;
use crate::domain::procedure::schedule::Schedule;
use crate::domain::procedure::{CaseKind, Outcome, Step};
use crate::domain::{Category, DivisionCode, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::services::procedures::{self as service, BatchStep, PostedList, ScheduleInput};
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(batch_steps).service(get_schedule).service(put_schedule).service(publicity_list).service(publicity_list_xlsx);
}

#[derive(Serialize, Deserialize, Validate, ToSchema)]
pub struct BatchCase {
    #[validate(required)]
    #[schema(value_type = String)]
    pub case_id: Option<String>,
    /// This household's outcome, when it differs from the batch's.
    #[schema(value_type = Option<Outcome>)]
    pub outcome: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct BatchBody {
    /// The cases of one village taking the step (at most 200).
    #[validate(required, length(min = 1, max = 200), nested)]
    #[schema(value_type = Vec<BatchCase>)]
    pub cases: Option<Vec<BatchCase>>,
    /// The step, its date, the batch's outcome and signatories, as for one case (its rules run
    /// as for one case's body, its problems named as there).
    #[serde(flatten)]
    pub step: StepBody,
}

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    /// The batch's id, on each of its steps (and on the lists it posted).
    pub batch_id: String,
    pub cases: Vec<CaseView>,
}

/// Record one step for a village's batch
///
/// One step with one date and one set of signatories for many cases of one village (a meeting's
/// 动态调整名单), each with the batch's outcome or its own, in one transaction.
///
/// All or nothing: when any case cannot take the step, nothing is recorded and 409
/// `batch_refused` lists each refused case in `failures` with its code (`step_not_allowed`,
/// `exit_not_allowed`, …) and reason.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = BatchBody, responses(
    (status = 201, body = BatchView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "a case outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "batch_refused", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases/batch-steps")]
pub async fn batch_steps(state: Data<AppState>, user: Caller, body: Checked<BatchBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    let mut cases = Vec::new();
    for (i, c) in b.cases.iter().flatten().enumerate() {
        let id = parse_uuid(&format!("cases[{i}].case_id"), c.case_id.as_deref(), &mut errs);
        let outcome = c.outcome.as_deref().and_then(|o| errs.check(format!("cases[{i}].outcome"), Outcome::parse(o)));
        if let Some(id) = id {
            if cases.iter().any(|(x, _)| *x == id) {
                errs.add(format!("cases[{i}].case_id"), "duplicate", "a case appears twice in the batch");
            }
            cases.push((id, outcome));
        }
    }
    let (step, step_errors) = Checked::new(b.step).into_parts();
    errs.0.extend(step_errors.0);
    let draft = parse_step(step, errs);
    if !draft.errors.is_empty() && cases.is_empty() {
        return Err(draft.errors.into());
    }
    let (batch_id, done) = service::batch_steps(&state, &user, BatchStep { cases, draft }).await?;
    Ok(HttpResponse::Created().json(BatchView { batch_id, cases: done.iter().map(|(r, s)| case_view(r, s)).collect() }))
}

#[derive(Serialize, ToSchema)]
pub struct ScheduleView {
    pub county_code: String,
    pub year: i32,
    /// 信息采集 (seed 004: 11-10)
    pub collection_by: NaiveDate,
    /// 评议审核和公示公告 (11-30)
    pub evaluation_by: NaiveDate,
    /// 信息录入 (12-15)
    pub entry_by: NaiveDate,
    /// 检查验收 (12-26)
    pub acceptance_by: NaiveDate,
    pub updated_by: String,
    pub version: i64,
}

fn schedule_view(r: CampaignScheduleRow) -> ScheduleView {
    ScheduleView { county_code: r.county_code, year: r.year, collection_by: r.collection_by, evaluation_by: r.evaluation_by, entry_by: r.entry_by, acceptance_by: r.acceptance_by, updated_by: r.updated_by, version: r.version }
}

fn year_of(y: &str) -> Result<i32, ApiError> {
    y.parse::<i32>().ok().filter(|y| (2014..=2100).contains(y)).ok_or_else(|| ApiError::invalid("year", "invalid_value", "a year from 2014"))
}

/// Read the campaign schedule
///
/// The caller's county's campaign schedule of a year (404 when none was set).
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("year" = i32, Path, description = "campaign year")), responses((status = 200, body = ScheduleView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/campaign-schedules/{year}")]
pub async fn get_schedule(state: Data<AppState>, user: Caller, year: Path<String>) -> Result<HttpResponse, ApiError> {
    let row = service::schedule(&state, &user, year_of(&year)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(schedule_view(row)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ScheduleBody {
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub collection_by: Option<NaiveDate>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub evaluation_by: Option<NaiveDate>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub entry_by: Option<NaiveDate>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub acceptance_by: Option<NaiveDate>,
}

/// Set the campaign schedule
///
/// The county admin sets the year's deadlines: information collection, evaluation and
/// publicity, data entry, acceptance (in this order).
///
/// `GET /cases?overdue=true` then lists every open case once the evaluation deadline has passed,
/// and the cases not yet evaluated once the collection deadline has. Changing a schedule needs
/// `If-Match`.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("year" = i32, Path, description = "campaign year"), ("If-Match" = Option<String>, Header, description = "ETag of the schedule replaced")), request_body = ScheduleBody, responses(
    (status = 200, body = ScheduleView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/campaign-schedules/{year}")]
pub async fn put_schedule(state: Data<AppState>, req: HttpRequest, user: Caller, year: Path<String>, body: Checked<ScheduleBody>) -> Result<HttpResponse, ApiError> {
    let year = year_of(&year)?;
    let (b, errors) = body.into_parts();
    let dates = match (b.collection_by, b.evaluation_by, b.entry_by, b.acceptance_by) {
        (Some(collection_by), Some(evaluation_by), Some(entry_by), Some(acceptance_by)) => Some(Schedule { collection_by, evaluation_by, entry_by, acceptance_by }),
        _ => None,
    };
    let row = service::put_schedule(&state, &user, year, Precondition::new(if_match(&req)), ScheduleInput { dates, errors }).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(schedule_view(row)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `first_publicity`, `second_publicity`, `publicity` or `announcement`.
    #[param(value_type = Step)]
    pub step: String,
    /// The day the list was posted (the period's first day).
    pub date: NaiveDate,
    /// Only the households of this village batch (`batch_id` of `POST /cases/batch-steps`).
    pub batch: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ListedHousehold {
    pub household_id: String,
    pub case_id: String,
    pub number: String,
    pub head_name: String,
    /// Masked (the list is posted in the village).
    pub head_id_number: Option<String>,
    pub kind: CaseKind,
    /// The category after the case (for a removal or a policy end: the one it leaves).
    pub category: Category,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PostedListView {
    pub village_code: String,
    pub title: String,
    pub step: Step,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// The village batches that posted it.
    pub batch_ids: Vec<String>,
    pub households: Vec<ListedHousehold>,
    /// The signature lines printed under the list.
    pub signature_lines: Vec<String>,
}

const SIGNATURE_LINES: [&str; 3] = ["包村干部", "村党支部书记", "驻村第一书记"];

fn title(l: &PostedList) -> String {
    let what = match l.step {
        Step::FirstPublicity => "扶贫对象动态调整第一次公示名单",
        Step::SecondPublicity => "扶贫对象动态调整第二次公示名单",
        Step::Publicity => "扶贫对象动态调整公示名单",
        _ => "扶贫对象动态调整公告名单",
    };
    format!("{}{}年{what}", l.place, chrono::Datelike::year(&l.first_day))
}

fn list_view(l: PostedList) -> PostedListView {
    PostedListView {
        title: title(&l),
        village_code: l.village_code,
        step: l.step,
        first_day: l.first_day,
        last_day: l.last_day,
        batch_ids: l.batch_ids,
        households: l
            .rows
            .into_iter()
            .map(|r| ListedHousehold { household_id: r.household_id, case_id: r.case_id, number: r.number, head_name: r.head_name, head_id_number: r.head_id_number, kind: r.kind, category: r.category, reason: r.reason })
            .collect(),
        signature_lines: SIGNATURE_LINES.iter().map(|s| s.to_string()).collect(),
    }
}

async fn load(state: &AppState, user: &Caller, code: &str, q: ListQuery) -> Result<PostedList, ApiError> {
    let mut errs = FieldErrors::new();
    let village = errs.check("code", DivisionCode::parse(code));
    let step = errs.check("step", Step::parse(&q.step));
    let batch = q.batch.as_deref().and_then(|b| parse_uuid("batch", Some(b), &mut errs));
    if village.as_ref().is_some_and(|v| v.level() != crate::domain::Level::Village) {
        errs.add("code", "not_a_village", "a village's code (12 digits)");
    }
    let (Some(village), Some(step), true) = (village, step, errs.is_empty()) else { return Err(errs.into()) };
    service::posted_list(state, user, village, step, q.date, batch).await
}

/// A publicity or announcement list
///
/// The households of a village whose publicity 公示 or announcement 公告 was posted on `date`:
/// heads (masked ID numbers), category, reason, the period's first and last day.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("code" = String, Path, description = "village code"), ListQuery), responses((status = 200, body = PostedListView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}/publicity-lists")]
pub async fn publicity_list(state: Data<AppState>, user: Caller, code: Path<String>, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let list = load(&state, &user, &code, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(list_view(list)))
}

/// A publicity or announcement list as a workbook
///
/// The same list laid out to print on A4, with signature lines for the township cadre, the
/// village secretary and the first secretary.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("code" = String, Path, description = "village code"), ListQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/villages/{code}/publicity-lists.xlsx")]
pub async fn publicity_list_xlsx(state: Data<AppState>, user: Caller, code: Path<String>, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let list = load(&state, &user, &code, q.into_inner()).await?;
    let label = crate::domain::labels::zh;
    let v = list_view(list);
    let headers = ["序号", "户编号", "户主姓名", "身份证号", "类别", "调整类型", "理由"];
    let rows: Vec<Vec<String>> = v
        .households
        .iter()
        .enumerate()
        .map(|(i, h)| vec![(i + 1).to_string(), h.number.clone(), h.head_name.clone(), h.head_id_number.clone().unwrap_or_default(), label("category", h.category.as_str()), label("case_kind", h.kind.as_str()), h.reason.clone()])
        .collect();
    let days = match v.step {
        Step::Announcement => "公告期",
        _ => "公示期",
    };
    let lines = [format!("{days}：{} 至 {}（共 {} 天），如有异议请在此期间向村委会或乡镇反映。", v.first_day, v.last_day, (v.last_day - v.first_day).num_days() + 1)];
    let bytes = crate::xlsx::posted_list(&v.title, &lines, &headers, &rows, &SIGNATURE_LINES).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{}-{}-{}.xlsx\"", v.village_code, v.step.as_str(), v.first_day)))
        .body(bytes))
}
