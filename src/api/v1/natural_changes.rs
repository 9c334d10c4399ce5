//! `/natural-changes`: the natural increase and decrease ledger 自然增减台账 of a division and
//! statistical year, as JSON or as the workbook of the villages' forms 增加情况表 / 减少情况表.

use actix_web::{HttpResponse, get, web::{Data, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::crypto::Crypto;
use crate::db::models::MemberRow;
use crate::db::repo::members::ChangedHousehold;
use crate::domain::id_number::mask_id_number;
use crate::domain::member::{JoinReason, NoIdReason, statistical_year};
use crate::domain::{DivisionCode, FieldErrors, Relation, RemovalReason, Sex, labels};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::natural_changes::{self as service, Ledger};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(workbook);
}

#[derive(Deserialize, IntoParams)]
pub struct NaturalChangesQuery {
    /// A county, township or village inside your jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year 统计年度 (1 October of the year before – 30 September); default the one
    /// running today.
    pub year: Option<i32>,
    /// `json` (default) or `xlsx` (the workbook of `export_natural_changes_xlsx`).
    pub format: Option<String>,
}

/// The workbook's filters (those of `list_natural_changes`).
#[derive(Deserialize, IntoParams)]
pub struct NaturalChangesExportQuery {
    /// A county, township or village inside your jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year 统计年度; default the one running today.
    pub year: Option<i32>,
}

/// A member who joined or left, with their household.
#[derive(Serialize, ToSchema)]
pub struct ChangedMemberView {
    pub household_id: String,
    /// 户编号
    pub household_number: String,
    /// 户主姓名
    pub head_name: String,
    /// 乡(镇)
    pub township_code: String,
    pub township_name: Option<String>,
    /// 行政村
    pub village_code: String,
    pub village_name: Option<String>,
    pub member_id: String,
    /// 姓名
    pub name: String,
    /// 性别
    pub sex: Sex,
    /// 出生日期
    pub birth_date: NaiveDate,
    /// 证件号码, masked (`610831********123X`); null for a member without one.
    pub id_number: Option<String>,
    /// 无身份证号码原因, for a member without an ID number.
    #[schema(value_type = Option<NoIdReason>)]
    pub no_id_reason: Option<String>,
    /// 与户主关系
    pub relation: Relation,
}

/// A natural increase 自然增加.
#[derive(Serialize, ToSchema)]
pub struct IncreaseView {
    #[serde(flatten)]
    pub member: ChangedMemberView,
    /// 增加原因
    pub join_reason: JoinReason,
    /// 增加时间
    pub joined_on: NaiveDate,
}

/// A natural decrease 自然减少.
#[derive(Serialize, ToSchema)]
pub struct DecreaseView {
    #[serde(flatten)]
    pub member: ChangedMemberView,
    /// 减少原因
    pub leave_reason: RemovalReason,
    /// 减少时间
    pub left_on: NaiveDate,
}

/// The ledger of a division and statistical year.
#[derive(Serialize, ToSchema)]
pub struct NaturalChangesView {
    pub division: String,
    /// 统计年度
    pub year: i32,
    /// First day of the period (1 October of the year before).
    pub start: NaiveDate,
    /// Last day of the period (30 September).
    pub end: NaiveDate,
    /// 自然增加: members who joined in the period, by village, household and day.
    pub increases: Vec<IncreaseView>,
    /// 自然减少: members who left in the period, by village, household and day.
    pub decreases: Vec<DecreaseView>,
}

fn member_view(crypto: &Crypto, ledger: &Ledger, m: &MemberRow, h: &ChangedHousehold) -> ChangedMemberView {
    let name = |code: &str| ledger.names.get(code).cloned();
    ChangedMemberView {
        household_id: h.id.clone(),
        household_number: h.number.clone(),
        head_name: h.head_name.clone(),
        township_code: h.township_code.clone(),
        township_name: name(&h.township_code),
        village_code: h.village_code.clone(),
        village_name: name(&h.village_code),
        member_id: m.id.clone(),
        name: m.name.clone(),
        sex: Sex::parse(&m.sex).unwrap_or(Sex::Male),
        birth_date: m.birth_date,
        id_number: m.id_number_enc.as_deref().map(|e| crypto.open(e).map(|n| mask_id_number(&n)).unwrap_or_default()),
        no_id_reason: m.no_id_reason.clone(),
        relation: Relation::parse(&m.relation).unwrap_or(Relation::Other),
    }
}

fn view(crypto: &Crypto, year: i32, l: &Ledger) -> NaturalChangesView {
    NaturalChangesView {
        division: l.division.to_string(),
        year,
        start: l.from,
        end: l.to,
        increases: l
            .increases
            .iter()
            .map(|(m, h)| IncreaseView {
                member: member_view(crypto, l, m, h),
                join_reason: m.join_reason.as_deref().and_then(|r| JoinReason::parse(r).ok()).unwrap_or(JoinReason::Other),
                joined_on: m.joined_on.unwrap_or(l.from),
            })
            .collect(),
        decreases: l
            .decreases
            .iter()
            .map(|(m, h)| DecreaseView {
                member: member_view(crypto, l, m, h),
                leave_reason: m.removed_reason.as_deref().and_then(|r| RemovalReason::parse(r).ok()).unwrap_or(RemovalReason::Other),
                left_on: m.left_on.unwrap_or(l.to),
            })
            .collect(),
    }
}

/// The columns of the villages' forms 贫困户家庭成员自然增加情况表 / 自然减少情况表.
const INCREASE_HEADERS: [&str; 12] = ["序号", "乡(镇)", "行政村", "户编号", "户主姓名", "增加成员姓名", "性别", "出生日期", "证件号码", "与户主关系", "增加原因", "增加时间"];
const DECREASE_HEADERS: [&str; 12] = ["序号", "乡(镇)", "行政村", "户编号", "户主姓名", "减少成员姓名", "性别", "出生日期", "证件号码", "与户主关系", "减少原因", "减少时间"];

/// One row of a form: the member's columns in Chinese, then the reason's label and the day.
fn row(i: usize, m: &ChangedMemberView, reason: &str, on: NaiveDate) -> Vec<String> {
    let id = match (&m.id_number, m.no_id_reason.as_deref().and_then(|r| NoIdReason::parse(r).ok())) {
        (Some(n), _) => n.clone(),
        (None, Some(r)) => format!("无（{}）", labels::no_id_reason(r).zh),
        (None, None) => String::new(),
    };
    let place = |name: &Option<String>, code: &str| name.clone().unwrap_or_else(|| code.to_owned());
    vec![
        (i + 1).to_string(),
        place(&m.township_name, &m.township_code),
        place(&m.village_name, &m.village_code),
        m.household_number.clone(),
        m.head_name.clone(),
        m.name.clone(),
        labels::sex(m.sex).zh.to_owned(),
        m.birth_date.to_string(),
        id,
        labels::relation(m.relation).zh.to_owned(),
        reason.to_owned(),
        on.to_string(),
    ]
}

fn workbook_bytes(v: &NaturalChangesView) -> Result<Vec<u8>, ApiError> {
    let increases: Vec<Vec<String>> = v.increases.iter().enumerate().map(|(i, c)| row(i, &c.member, labels::join_reason(c.join_reason).zh, c.joined_on)).collect();
    let decreases: Vec<Vec<String>> = v.decreases.iter().enumerate().map(|(i, c)| row(i, &c.member, labels::removal_reason(c.leave_reason).zh, c.left_on)).collect();
    crate::xlsx::tables(&[("增加情况表", &INCREASE_HEADERS, &increases), ("减少情况表", &DECREASE_HEADERS, &decreases)]).map_err(|e| ApiError::Internal(e.into()))
}

async fn answer(state: Data<AppState>, user: Caller, division: Option<&str>, year: Option<i32>, format: Option<&str>) -> Result<HttpResponse, ApiError> {
    let mut errs = FieldErrors::new();
    let division = division.map(|d| errs.check("division", DivisionCode::parse(d))).flatten();
    let running = statistical_year(state.today());
    let year = year.unwrap_or(running);
    if !(2014..=running).contains(&year) {
        errs.add("year", "out_of_range", format!("a statistical year from 2014 to {running}"));
    }
    let format = errs.check("format", crate::api::media::format(format, crate::api::media::REPORT_FORMATS).map_err(|_| crate::domain::validation::DomainError::new("invalid_value", "one of: json, xlsx")));
    let Some(format) = format.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let (from, to) = (NaiveDate::from_ymd_opt(year - 1, 10, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(year, 9, 30).unwrap_or_default());
    let ledger = service::ledger(&state, &user, division, from, to).await?;
    let v = view(&state.crypto, year, &ledger);
    if format == "json" {
        return Ok(HttpResponse::Ok().json(v));
    }
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"natural-changes-{}-{year}.xlsx\"", v.division)))
        .body(workbook_bytes(&v)?))
}

/// The natural increase and decrease ledger 自然增减台账
///
/// Every member who joined (自然增加: 出生, 嫁入, 迁入, 其他) or left (自然减少: 死亡, 嫁出, 迁出,
/// 判刑收监, 其他) a household of the division in the statistical year, with reason and day, within
/// your jurisdiction (a cadre: the paired households). ID numbers are masked. `format=xlsx`
/// answers the workbook of `export_natural_changes_xlsx`.
#[utoipa::path(operation_id = "list_natural_changes", tag = "households", security(("bearer" = [])), params(NaturalChangesQuery), responses(
    (status = 200, description = "the ledger: JSON, or the workbook (?format=xlsx)", content(
        (NaturalChangesView = "application/json"),
        (inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 404, description = "division outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/natural-changes")]
pub async fn list(state: Data<AppState>, user: Caller, q: Query<NaturalChangesQuery>) -> Result<HttpResponse, ApiError> {
    answer(state, user, q.division.as_deref(), q.year, q.format.as_deref()).await
}

/// The natural-change ledger as a workbook
///
/// The ledger 自然增减台账 of `list_natural_changes` in the villages' forms: a sheet 增加情况表
/// (序号, 乡(镇), 行政村, 户编号, 户主姓名, 增加成员姓名, 性别, 出生日期, 证件号码, 与户主关系,
/// 增加原因, 增加时间) and a sheet 减少情况表 (the same with 减少成员姓名, 减少原因, 减少时间);
/// reasons, sex and relations in Chinese, ID numbers masked (无（新生儿未落户） for a member
/// without one).
#[utoipa::path(operation_id = "export_natural_changes_xlsx", tag = "households", security(("bearer" = [])), params(NaturalChangesExportQuery), responses(
    (status = 200, description = "the ledger as a workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 404, description = "division outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/natural-changes.xlsx")]
pub async fn workbook(state: Data<AppState>, user: Caller, q: Query<NaturalChangesExportQuery>) -> Result<HttpResponse, ApiError> {
    answer(state, user, q.division.as_deref(), q.year, Some("xlsx")).await
}
