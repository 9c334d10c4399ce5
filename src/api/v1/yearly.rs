//! `/households/{id}/years/{year}`: the yearly basic information 年度基础信息 and the comparison
//! with last year 信息采集对照表.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, put};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::amount::Amount;
use crate::api::body::Checked;
use crate::api::{etag, if_match, path_id, utc};
use crate::db::models::YearlyRow;
use crate::db::repo::yearly::Saved;
use crate::domain::{FieldErrors, Money};
use crate::domain::yearly::{self as rules, Change, Guarantee, Guarantees, Income, Living, MemberYear, RigidExpenses, StatYear, YearRecord, threshold_for};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::yearly::{self as service, Comparison, YearDraft};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_year).service(put_year).service(comparison).service(comparison_xlsx);
}

#[derive(Serialize, ToSchema)]
pub struct Period {
    /// 1 October of the previous year.
    pub start: NaiveDate,
    /// 30 September.
    pub end: NaiveDate,
    /// The day state indicators (health, school) describe.
    pub state_date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct Standing {
    /// 人均纯收入, yuan: net income per member, exact to the fen (half a fen rounded away from zero).
    pub per_capita_net_income: Money,
    /// 扣除刚性支出后人均收入, yuan: net income less rigid expenses 刚性支出, per member,
    /// rounded the same way (what expense-driven poverty 支出型贫困 is judged on).
    pub per_capita_income_after_rigid_expenses: Money,
    /// The configured poverty line 贫困线 for the province and year.
    pub poverty_line: Option<Money>,
    /// The configured minimum for exiting 退出标准.
    pub exit_minimum: Option<Money>,
    pub below_poverty_line: Option<bool>,
    pub meets_exit_minimum: Option<bool>,
    /// 支出型贫困风险: income at or above the poverty line, below it once rigid expenses are paid.
    pub below_poverty_line_after_rigid_expenses: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct YearView {
    pub household_id: String,
    pub year: i32,
    pub period: Period,
    pub record: YearRecord,
    pub standing: Standing,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn period(y: StatYear) -> Period {
    Period { start: y.period_start(), end: y.period_end(), state_date: y.period_end() }
}

fn standing(state: &AppState, household_county: &str, year: i32, per_capita: Money, after_rigid: Money) -> Standing {
    let rule = threshold_for(&state.settings.thresholds, &household_county[..2.min(household_county.len())], year);
    Standing {
        per_capita_net_income: per_capita,
        per_capita_income_after_rigid_expenses: after_rigid,
        poverty_line: rule.map(|r| r.poverty_line),
        exit_minimum: rule.map(|r| r.exit_minimum),
        below_poverty_line: rule.map(|r| per_capita < r.poverty_line),
        meets_exit_minimum: rule.map(|r| per_capita >= r.exit_minimum),
        below_poverty_line_after_rigid_expenses: rule.map(|r| after_rigid < r.poverty_line),
    }
}

pub fn view(state: &AppState, county: &str, y: StatYear, row: &YearlyRow) -> Result<YearView, ApiError> {
    let record: YearRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(YearView {
        household_id: row.household_id.clone(),
        year: row.year,
        period: period(y),
        standing: standing(state, county, row.year, Money::from_fen(row.per_capita_net_income_fen), Money::from_fen(row.per_capita_after_rigid_expenses_fen)),
        record,
        version: row.version,
        updated_by: row.updated_by.clone(),
        updated_at: utc(row.updated_at),
    })
}

// ---- the request body: `YearRecord` with its required fields as `Option`s (see `api::body`) ----

/// Income by part, yuan per year: each not below 0, at most two decimals.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct IncomeBody {
    /// 工资性收入
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub wages: Option<Amount>,
    /// 生产经营性收入 (gross)
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub production: Option<Amount>,
    /// 生产经营性支出
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub production_costs: Option<Amount>,
    /// 财产性收入
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub property: Option<Amount>,
    /// 转移性收入
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub transfers: Option<Amount>,
}

/// Rigid expenses 刚性支出 of the year, yuan: each not below 0, at most two decimals; a part
/// left out is 0.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct RigidExpensesBody {
    /// 医疗支出(报销后): medical costs after reimbursement
    #[validate(custom(function = "crate::api::amount::check"))]
    pub medical: Option<Amount>,
    /// 教育支出: education
    #[validate(custom(function = "crate::api::amount::check"))]
    pub education: Option<Amount>,
    /// 灾害/意外损失: disaster or accident losses
    #[validate(custom(function = "crate::api::amount::check"))]
    pub disaster: Option<Amount>,
    /// 其他刚性支出: other rigid expenses
    #[validate(custom(function = "crate::api::amount::check"))]
    pub other: Option<Amount>,
}

/// A member's state for the year.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct MemberYearBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub member_id: Option<String>,
    /// 文化程度: `illiterate`, `primary`, `junior`, `senior`, `vocational`, `college`, `preschool`
    #[validate(required)]
    #[schema(value_type = String)]
    pub education: Option<String>,
    /// 健康状况: `healthy`, `chronic_illness`, `serious_illness`, `disabled`
    #[validate(required)]
    #[schema(value_type = String)]
    pub health: Option<String>,
    /// 残疾等级 1–4, with `disabled`
    pub disability_grade: Option<u8>,
    /// 在校生状况: `not_in_school`, `preschool`, `primary`, `junior`, `senior`, `vocational`, `college`
    #[validate(required)]
    #[schema(value_type = String)]
    pub in_school: Option<String>,
    /// 劳动技能: `skilled`, `ordinary`, `weak`, `none`
    #[validate(required)]
    #[schema(value_type = String)]
    pub labour_skill: Option<String>,
    /// 务工状况: `local`, `in_province`, `out_of_province`, `none`
    #[validate(required)]
    #[schema(value_type = String)]
    pub work_status: Option<String>,
    /// 外出务工月数 0–12 within the statistical period
    #[validate(required, range(min = 0, max = 12, message = "months worked away are 0 to 12"))]
    #[schema(value_type = i64)]
    pub months_away: Option<i64>,
    /// 是否参加城乡居民基本医疗保险 (optional; null: not recorded)
    pub medical_insurance: Option<bool>,
    /// 是否参加城乡居民基本养老保险 (optional; null: not recorded)
    pub pension_insurance: Option<bool>,
    /// 务工地点（省）: the province's name (e.g. 江苏省), only for a member working away from home
    /// (务工状况 in or out of the province); at most 40 characters
    pub work_province: Option<String>,
    /// 务工地点（县）: the county's name (e.g. 昆山市), with `work_province`; at most 40 characters
    pub work_county: Option<String>,
}

/// One of "two no-worries, three guarantees" 两不愁三保障: met, or not with a reason.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct GuaranteeBody {
    #[validate(required)]
    #[schema(value_type = bool)]
    pub ok: Option<bool>,
    /// Required when `ok` is false.
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct GuaranteesBody {
    /// 不愁吃、不愁穿
    #[validate(required, nested)]
    #[schema(value_type = GuaranteeBody)]
    pub food_clothing: Option<GuaranteeBody>,
    /// 饮水安全
    #[validate(required, nested)]
    #[schema(value_type = GuaranteeBody)]
    pub drinking_water: Option<GuaranteeBody>,
    /// 义务教育有保障
    #[validate(required, nested)]
    #[schema(value_type = GuaranteeBody)]
    pub compulsory_education: Option<GuaranteeBody>,
    /// 基本医疗有保障
    #[validate(required, nested)]
    #[schema(value_type = GuaranteeBody)]
    pub basic_medical: Option<GuaranteeBody>,
    /// 住房安全有保障
    #[validate(required, nested)]
    #[schema(value_type = GuaranteeBody)]
    pub housing_safety: Option<GuaranteeBody>,
}

/// Living conditions 生产生活条件.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct LivingBody {
    /// 住房: `safe`, `renovated`, `relocated`, `dangerous`
    #[validate(required)]
    #[schema(value_type = String)]
    pub housing: Option<String>,
    /// 饮水: `tap`, `well`, `other`
    #[validate(required)]
    #[schema(value_type = String)]
    pub water: Option<String>,
    #[validate(required)]
    #[schema(value_type = bool)]
    pub electricity: Option<bool>,
    /// 通硬化路
    #[validate(required)]
    #[schema(value_type = bool)]
    pub paved_road: Option<bool>,
    #[validate(required)]
    #[schema(value_type = bool)]
    pub broadband: Option<bool>,
}

/// The yearly basic information of a household.
#[derive(Deserialize, Validate, ToSchema)]
pub struct YearRecordBody {
    #[validate(required, nested)]
    #[schema(value_type = IncomeBody)]
    pub income: Option<IncomeBody>,
    /// 刚性支出 (optional: zeros when left out).
    #[validate(nested)]
    pub rigid_expenses: Option<RigidExpensesBody>,
    #[validate(required, nested)]
    #[schema(value_type = Vec<MemberYearBody>)]
    pub members: Option<Vec<MemberYearBody>>,
    #[validate(required, nested)]
    #[schema(value_type = GuaranteesBody)]
    pub guarantees: Option<GuaranteesBody>,
    #[validate(required, nested)]
    #[schema(value_type = LivingBody)]
    pub living: Option<LivingBody>,
}

impl YearRecordBody {
    /// The record as far as the body tells: the choices, a disabled member's grade and the
    /// reason of an unmet guarantee checked, every error found kept with the declarative ones.
    /// Whether each member is a current member of the household, once, the service checks.
    fn parse(self, mut errs: FieldErrors) -> YearDraft {
        let members = self.members.unwrap_or_default();
        let member_ids: Vec<Option<String>> = members.iter().map(|m| m.member_id.clone()).collect();
        let members: Vec<Option<MemberYear>> = members.iter().enumerate().map(|(i, m)| member_year(&format!("members[{i}]."), m, &mut errs)).collect();
        let guarantees = self.guarantees.and_then(|g| {
            let mut one = |name: &str, b: Option<GuaranteeBody>| {
                let b = b?;
                errs.check(format!("guarantees.{name}.reason"), rules::check_guarantee(b.ok?, b.reason.as_deref()))?;
                Some(Guarantee { ok: b.ok?, reason: b.reason })
            };
            // Each checked before any is required: one refused does not hide the others.
            let parts = [
                one("food_clothing", g.food_clothing),
                one("drinking_water", g.drinking_water),
                one("compulsory_education", g.compulsory_education),
                one("basic_medical", g.basic_medical),
                one("housing_safety", g.housing_safety),
            ];
            let [Some(food_clothing), Some(drinking_water), Some(compulsory_education), Some(basic_medical), Some(housing_safety)] = parts else { return None };
            Some(Guarantees { food_clothing, drinking_water, compulsory_education, basic_medical, housing_safety })
        });
        let living = self.living.and_then(|l| {
            let housing = l.housing.filter(|h| errs.check("living.housing", rules::one_of(h, rules::HOUSING)).is_some());
            let water = l.water.filter(|w| errs.check("living.water", rules::one_of(w, rules::WATER)).is_some());
            Some(Living { housing: housing?, water: water?, electricity: l.electricity?, paved_road: l.paved_road?, broadband: l.broadband? })
        });
        let money = |a: Option<Amount>| a?.money();
        let income = self.income.and_then(|i| {
            Some(Income { wages: money(i.wages)?, production: money(i.production)?, production_costs: money(i.production_costs)?, property: money(i.property)?, transfers: money(i.transfers)? })
        });
        let part = |a: Option<Amount>| a.map_or(Some(Money::ZERO), |a| a.money());
        let rigid_expenses = match self.rigid_expenses {
            None => Some(RigidExpenses::default()),
            Some(r) => match (part(r.medical), part(r.education), part(r.disaster), part(r.other)) {
                (Some(medical), Some(education), Some(disaster), Some(other)) => Some(RigidExpenses { medical, education, disaster, other }),
                _ => None,
            },
        };
        let members: Option<Vec<MemberYear>> = members.into_iter().collect();
        let record = match (income, rigid_expenses, members, guarantees, living) {
            (Some(income), Some(rigid_expenses), Some(members), Some(guarantees), Some(living)) => Some(YearRecord { income, rigid_expenses, members, guarantees, living }),
            _ => None,
        };
        YearDraft { record, member_ids, errors: errs }
    }
}

/// A member's year: the choices and the disability grade checked.
fn member_year(prefix: &str, m: &MemberYearBody, errs: &mut FieldErrors) -> Option<MemberYear> {
    let mut choice = |field: &str, v: &Option<String>, allowed: &[&str]| {
        let v = v.as_deref()?;
        errs.check(format!("{prefix}{field}"), rules::one_of(v, allowed))?;
        Some(v.to_owned())
    };
    let education = choice("education", &m.education, rules::EDUCATION);
    let health = choice("health", &m.health, rules::HEALTH);
    let in_school = choice("in_school", &m.in_school, rules::IN_SCHOOL);
    let labour_skill = choice("labour_skill", &m.labour_skill, rules::LABOUR_SKILL);
    let work_status = choice("work_status", &m.work_status, rules::WORK_STATUS);
    if let Some(h) = &health {
        errs.check(format!("{prefix}disability_grade"), rules::check_disability(h, m.disability_grade));
    }
    let place = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (work_province, work_county) = (place(&m.work_province), place(&m.work_county));
    if let Some(w) = &work_status {
        if let Err((field, e)) = rules::check_work_place(w, work_province.as_deref(), work_county.as_deref()) {
            errs.add(format!("{prefix}{field}"), e.code, e.message);
        }
    }
    Some(MemberYear {
        member_id: m.member_id.clone()?,
        education: education?,
        health: health?,
        disability_grade: m.disability_grade,
        in_school: in_school?,
        labour_skill: labour_skill?,
        work_status: work_status?,
        months_away: m.months_away?,
        medical_insurance: m.medical_insurance,
        pension_insurance: m.pension_insurance,
        work_province,
        work_county,
    })
}

fn year(state: &AppState, y: i32) -> Result<StatYear, ApiError> {
    StatYear::parse(y, state.today()).map_err(|e| ApiError::invalid("year", e.code, e.message))
}

/// Read a household's yearly record
///
/// The household's record for a statistical year (404 when none was entered).
///
/// The answer's `ETag` is the version for `If-Match` on the next PUT.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year")), responses(
    (status = 200, body = YearView, headers(("ETag" = String, description = "the version"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/years/{year}")]
pub async fn get_year(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let (household, row) = service::get(&state, &user, id, y).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(view(&state, &household.county_code, y, &row)?))
}

/// Enter a household's yearly record 年度信息
///
/// Enter or update the record for a year (cadre and above); `If-Match` once it exists.
///
/// Income and rigid expenses 刚性支出 in yuan (at most two decimals: a third is `too_precise`;
/// none below 0), each member's year (education, health, schooling, skills, work), guarantees and
/// living conditions. The answer lists values that break the cleaning rules, so the cadre can
/// correct them before leaving the house.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year"), ("If-Match" = Option<String>, Header, description = "ETag of the record, required once it exists")), request_body = YearRecordBody, responses(
    (status = 201, description = "created", body = YearView),
    (status = 200, description = "updated", body = YearView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/households/{id}/years/{year}")]
pub async fn put_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Checked<YearRecordBody>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let (body, errs) = body.into_parts();
    let draft = body.parse(errs);
    let expected = if_match(&req)?;
    let (household, saved) = service::put(&state, &user, id, y, expected, draft).await?;
    let (status, row) = match saved {
        Saved::Created(r) => (StatusCode::CREATED, r),
        Saved::Updated(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(view(&state, &household.county_code, y, &row)?))
}

#[derive(Serialize, ToSchema)]
pub struct ComparisonView {
    pub household_id: String,
    pub year: i32,
    pub previous_year: i32,
    pub period: Period,
    /// Last year's record, if entered.
    pub previous: Option<YearRecord>,
    /// This year's record, if entered.
    pub current: Option<YearRecord>,
    /// Every field whose value differs (members matched by id).
    pub changed: Vec<Change>,
    /// Assistance beside the record, each row by its Chinese name with last year's and this
    /// year's value: 受益项目数 and 项目受益金额(元) (projects of the year), 小额信贷在贷笔数 and
    /// 在贷金额(元) (loans held on 30 September), and each member's migrant work (务工地点代码,
    /// 外出务工时间(月), 务工收入(元), 稳岗就业; `null` for a year without a record).
    pub assistance: Vec<Change>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `xlsx`: a one-sheet workbook to print.
    pub format: Option<String>,
}

/// Compare a year with the last
///
/// Last year's values beside this year's, with the changed fields: the 信息采集对照表.
///
/// `format=xlsx` answers a one-sheet workbook to print and sign; a generated client asks
/// `compare_years_xlsx` for it instead.
#[utoipa::path(operation_id = "compare_years", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year"), FormatQuery), responses(
    (status = 200, description = "the comparison: JSON, or a workbook with ?format=xlsx", content(
        (ComparisonView = "application/json"),
        (inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/years/{year}/comparison")]
pub async fn comparison(state: Data<AppState>, user: Caller, path: Path<(String, i32)>, q: actix_web::web::Query<FormatQuery>) -> Result<HttpResponse, ApiError> {
    let xlsx = crate::api::media::format(q.format.as_deref(), crate::api::media::REPORT_FORMATS)? == "xlsx";
    compare(state, user, path, xlsx).await
}

/// The comparison as a workbook
///
/// Last year's values beside this year's in a one-sheet workbook to print and sign: the
/// 信息采集对照表 (what `compare_years` answers with `format=xlsx`, as an operation of its own so
/// a generated client downloads it as a file).
#[utoipa::path(operation_id = "compare_years_xlsx", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year")), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/years/{year}/comparison.xlsx")]
pub async fn comparison_xlsx(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    compare(state, user, path, true).await
}

async fn compare(state: Data<AppState>, user: Caller, path: Path<(String, i32)>, xlsx: bool) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let cmp = service::comparison(&state, &user, id.clone(), y).await?;
    if xlsx {
        let bytes = crate::xlsx::comparison(y.value(), &comparison_sheet(&cmp, y)).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type(crate::api::media::XLSX)
            .insert_header(("Content-Disposition", format!("attachment; filename=\"comparison-{}-{}.xlsx\"", cmp.household.number, y.value())))
            .body(bytes));
    }
    let Comparison { previous, current, changed, assistance, .. } = cmp;
    let assistance = assistance.into_iter().map(|(field, before, after)| Change { field, before, after }).collect();
    Ok(HttpResponse::Ok().json(ComparisonView { household_id: id, year: y.value(), previous_year: y.value() - 1, period: period(y), previous, current, changed, assistance }))
}

/// A household's 信息采集对照表 as printed: its title, every field by its Chinese name, members
/// by name, values as labels.
pub(crate) fn comparison_sheet(cmp: &Comparison, y: StatYear) -> crate::xlsx::ComparisonSheet {
    let h = &cmp.household;
    let title = format!("信息采集对照表  户编号 {}  户主 {}  {} 年 (统计期 {} 至 {})", h.number, h.head_name, y.value(), y.period_start(), y.period_end());
    let rows = crate::domain::field_labels::comparison_rows(&rules::all_fields(cmp.previous.as_ref(), cmp.current.as_ref()), &cmp.members);
    let assistance = cmp.assistance.iter().map(|(field, before, after)| Change { field: field.clone(), before: before.clone(), after: after.clone() }).collect();
    crate::xlsx::ComparisonSheet { title, rows, assistance }
}
