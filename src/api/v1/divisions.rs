//! `/divisions` and `/villages`: the places of the caller's jurisdiction and its ancestors.

use actix_web::{HttpResponse, get, web::{Data, Path}};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::models::DivisionRow;
use crate::db::repo;
use crate::domain::{DivisionCode, Level};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_one).service(children).service(village);
}

#[derive(Serialize, ToSchema)]
pub struct DivisionView {
    /// 12-digit statistical code 统计用区划代码.
    pub code: String,
    /// 名称
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
}

impl From<DivisionRow> for DivisionView {
    fn from(r: DivisionRow) -> Self {
        let level = DivisionCode::parse(&r.code).map(|c| c.level()).unwrap_or(Level::Village);
        Self { code: r.code, name: r.name, level, parent_code: r.parent_code }
    }
}

/// A division code the caller may name, or 404.
fn viewable(user: &AuthUser, code: &str) -> Result<DivisionCode, ApiError> {
    let code = DivisionCode::parse(code).map_err(|_| ApiError::NotFound)?;
    if user.scope().may_view_division(&code) { Ok(code) } else { Err(ApiError::NotFound) }
}

/// A division inside the caller's jurisdiction, or one of its ancestors.
#[utoipa::path(tag = "divisions", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit division code")), responses((status = 200, body = DivisionView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/divisions/{code}")]
pub async fn get_one(state: Data<AppState>, user: AuthUser, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let code = viewable(&user, &code)?;
    let row = state.db.run(move |c| Ok(repo::divisions::get(c, code.as_str())?)).await?;
    Ok(HttpResponse::Ok().json(DivisionView::from(row.ok_or(ApiError::NotFound)?)))
}

/// Direct children of a division (of an ancestor: only the branch leading to the caller).
#[utoipa::path(tag = "divisions", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit division code")), responses((status = 200, body = Vec<DivisionView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/divisions/{code}/children")]
pub async fn children(state: Data<AppState>, user: AuthUser, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let code = viewable(&user, &code)?;
    let rows = state
        .db
        .run(move |c| {
            repo::divisions::get(c, code.as_str())?.ok_or(ApiError::NotFound)?;
            Ok(repo::divisions::children(c, code.as_str())?)
        })
        .await?;
    let scope = user.scope();
    let items: Vec<DivisionView> = rows
        .into_iter()
        .filter(|r| DivisionCode::parse(&r.code).is_ok_and(|c| scope.may_view_division(&c)))
        .map(DivisionView::from)
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Serialize, ToSchema)]
pub struct VillageView {
    /// 行政村 code.
    pub code: String,
    pub name: String,
    pub township_code: String,
    pub township_name: Option<String>,
    /// Households in the caller's scope in this village, derived from the household records.
    pub households: i64,
}

/// An administrative village 行政村 with figures derived from its households.
#[utoipa::path(tag = "divisions", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit village code")), responses((status = 200, body = VillageView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}")]
pub async fn village(state: Data<AppState>, user: AuthUser, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let code = DivisionCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let scope = user.scope();
    if code.level() != Level::Village || !scope.covers(&code) {
        return Err(ApiError::NotFound);
    }
    let view = state
        .db
        .run(move |c| {
            let v = repo::divisions::get(c, code.as_str())?.ok_or(ApiError::NotFound)?;
            let township_code = v.parent_code.clone().unwrap_or_default();
            let township = repo::divisions::get(c, &township_code)?;
            let households = repo::households::count(c, &scope, Some(&code))?;
            Ok(VillageView { code: v.code, name: v.name, township_code, township_name: township.map(|t| t.name), households })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
