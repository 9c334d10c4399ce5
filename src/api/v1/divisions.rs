//! `/divisions` and `/villages`: the places of the caller's jurisdiction and its ancestors.

use actix_web::{HttpResponse, get, post, web::{Data, Path}};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::DivisionRow;
use crate::domain::{DivisionCode, Level, Role};
use crate::error::{ApiError, Problem};
use crate::services::{Caller, divisions as service, villages};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_one).service(children).service(merge);
}

#[derive(Serialize, ToSchema)]
pub struct DivisionView {
    /// 12-digit statistical code 统计用区划代码.
    pub code: String,
    /// 名称
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
    /// For a village merged into another (村庄合并): the code of the village it became part of.
    pub merged_into: Option<String>,
}

impl From<DivisionRow> for DivisionView {
    fn from(r: DivisionRow) -> Self {
        let level = DivisionCode::parse(&r.code).map(|c| c.level()).unwrap_or(Level::Village);
        Self { code: r.code, name: r.name, level, parent_code: r.parent_code, merged_into: r.merged_into }
    }
}

/// A division code the caller may name, or 404.
fn viewable(user: &Caller, code: &str) -> Result<DivisionCode, ApiError> {
    let code = DivisionCode::parse(code).map_err(|_| ApiError::NotFound)?;
    if user.scope().may_view_division(&code) { Ok(code) } else { Err(ApiError::NotFound) }
}

/// Read a division 区划
///
/// A division inside the caller's jurisdiction, or one of its ancestors.
#[utoipa::path(operation_id = "get_division", tag = "divisions", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit division code")), responses((status = 200, body = DivisionView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/divisions/{code}")]
pub async fn get_one(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let code = viewable(&user, &code)?;
    Ok(HttpResponse::Ok().json(DivisionView::from(service::get(&state, code).await?)))
}

/// List a division's children
///
/// Direct children of a division (of an ancestor: only the branch leading to the caller).
#[utoipa::path(operation_id = "list_division_children", tag = "divisions", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit division code")), responses((status = 200, body = Vec<DivisionView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/divisions/{code}/children")]
pub async fn children(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let code = viewable(&user, &code)?;
    let items: Vec<DivisionView> = service::children(&state, &user, code).await?.into_iter().map(DivisionView::from).collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Deserialize, validator::Validate, ToSchema)]
pub struct MergeBody {
    /// The administrative village this one becomes part of.
    #[validate(required)]
    #[schema(value_type = String)]
    pub into: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MergeResult {
    pub division: DivisionView,
    /// Households moved to the new village (each keeps this one as `former_village_code`).
    pub households_moved: usize,
}

/// Record a village merger
///
/// Record a village merger 村庄合并 (county admin): the village says what it was merged into; its
/// households, natural villages (a group name the new village has already keeps the old village's
/// name beside it), photos, cases, problems, work teams and spot-check items move to that village
/// and its township in one transaction, the households keeping their former village code; phones
/// holding the old village receive tombstones. The merged village then takes no new records.
#[utoipa::path(operation_id = "merge_village", tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "the village merged away")), request_body = MergeBody, responses(
    (status = 200, body = MergeResult),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "merged already", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/divisions/{code}/merge")]
pub async fn merge(state: Data<AppState>, user: Caller, code: Path<String>, body: crate::api::body::Checked<MergeBody>) -> Result<HttpResponse, ApiError> {
    let from = DivisionCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let scope = user.scope();
    if !scope.covers(&from) {
        return Err(ApiError::NotFound);
    }
    user.require(user.role == Role::CountyAdmin, "record village mergers")?;
    let (body, mut errs) = body.into_parts();
    let into = body.into.as_deref().map(|i| errs.check("into", DivisionCode::parse(i))).flatten();
    let Some(into) = into.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    if !scope.covers(&into) {
        return Err(ApiError::invalid("into", "unknown_division", "no such administrative village in your jurisdiction"));
    }
    let (row, moved) = villages::merge(&state, &user, from, into).await?;
    Ok(HttpResponse::Ok().json(MergeResult { division: DivisionView::from(row), households_moved: moved }))
}
