//! `/cadres`: cadres 帮扶干部 of the caller's county (their phones and ID numbers masked in
//! lists, full in a single read for those who may see them).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id, utc};
use crate::crypto::Crypto;
use crate::db::models::CadreRow;
use crate::db::repo::assistance::cadres::{CadreChanges, CadreInput};
use crate::db::repo::cursor;
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::validation::required_text;
use crate::domain::{FieldErrors, IdNumber, Phone};
use crate::error::{ApiError, Problem};
use crate::services::cadres::{self as service, Cadre};
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_cadres).service(create_cadre).service(get_cadre).service(update_cadre);
}

#[derive(Serialize, ToSchema)]
pub struct CadreView {
    pub id: String,
    /// 姓名
    pub name: String,
    /// 工作单位
    pub work_unit: String,
    /// 联系电话: full in a single read by a county admin, a township reviewer or the cadre
    /// themselves, masked otherwise (and in lists).
    pub phone: Option<String>,
    /// 身份证号: full where the phone is, masked otherwise.
    pub id_number: Option<String>,
    /// The user account of the cadre's phone, if linked.
    pub user_id: Option<String>,
    pub county_code: String,
    pub version: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page of `CadreView`s (`services::Page`).
pub type CadrePage = Page<CadreView>;

impl CadreView {
    fn build(r: &CadreRow, crypto: &Crypto, full: bool) -> Self {
        let phone = r.phone_enc.as_deref().and_then(|p| crypto.open(p).ok());
        let id = r.id_number_enc.as_deref().and_then(|p| crypto.open(p).ok());
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            work_unit: r.work_unit.clone(),
            phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
            id_number: id.map(|i| if full { i } else { mask_id_number(&i) }),
            user_id: r.user_id.clone(),
            county_code: r.county_code.clone(),
            version: r.version,
            updated_at: utc(r.updated_at),
        }
    }

    fn of(c: &Cadre, crypto: &Crypto) -> Self {
        Self::build(&c.row, crypto, c.full_numbers)
    }
}

#[derive(Deserialize, IntoParams)]
pub struct CadreQuery {
    /// Part of the name or work unit.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List cadres 帮扶干部
///
/// Cadres of the caller's county; phones and ID numbers masked.
///
/// Paged by `cursor` (`next_cursor` of the previous page); `limit` 1–500.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(CadreQuery), responses((status = 200, body = CadrePage), (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/cadres")]
pub async fn list_cadres(state: Data<AppState>, user: Caller, q: Query<CadreQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let (after, limit) = (cursor::decode(q.cursor.as_deref())?, crate::api::page_limit(q.limit)?);
    let page = service::list(&state, &user, q.q, after, limit).await?;
    Ok(HttpResponse::Ok().json(page.map(|r| CadreView::build(&r, &state.crypto, false))))
}

/// On POST `name` and `work_unit` are required; on PATCH each field is optional.
#[derive(Deserialize, Validate, ToSchema)]
pub struct CadreBody {
    /// 姓名
    #[validate(length(max = 100))]
    pub name: Option<String>,
    /// 工作单位
    #[validate(length(max = 100))]
    pub work_unit: Option<String>,
    /// 联系电话 (11-digit mobile); empty text clears it on PATCH.
    pub phone: Option<String>,
    /// 身份证号 (GB 11643); empty text clears it on PATCH.
    pub id_number: Option<String>,
    /// The user account (role `cadre`, same county) whose phone sees the cadre's households;
    /// empty text unlinks on PATCH.
    pub user_id: Option<String>,
    pub client_id: Option<String>,
}

/// `Some(None)` for an empty text (clear), `Some(Some(v))` for a value, `None` when absent.
pub(super) fn clearable<T>(field: &str, value: Option<&str>, errs: &mut FieldErrors, parse: impl FnOnce(&str) -> Result<T, crate::domain::validation::DomainError>) -> Option<Option<T>> {
    match value.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(v) => errs.check(field, parse(v)).map(Some),
    }
}

fn parse_cadre(b: &CadreBody, errs: &mut FieldErrors, creating: bool, today: NaiveDate) -> CadreChanges {
    let mut text = |field: &str, v: &Option<String>| match v {
        Some(v) => errs.check(field, required_text(v, 100)),
        None if creating => {
            errs.add(field, "required", "must be given");
            None
        }
        None => None,
    };
    let name = text("name", &b.name);
    let work_unit = text("work_unit", &b.work_unit);
    CadreChanges {
        name,
        work_unit,
        phone: clearable("phone", b.phone.as_deref(), errs, Phone::parse),
        id_number: clearable("id_number", b.id_number.as_deref(), errs, |v| IdNumber::parse(v, today)),
        user_id: b.user_id.as_deref().map(|u| if u.trim().is_empty() { None } else { parse_uuid("user_id", Some(u), errs) }),
    }
}

/// Register a cadre
///
/// Register a cadre of the county (village officer and above).
///
/// A cadre linked to a user account (`user_id`, role `cadre`) sees the households paired with them
/// on the phone.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), request_body = CadreBody, responses(
    (status = 201, body = CadreView),
    (status = 200, description = "the same client_id was sent before", body = CadreView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "ID number or user already linked to another cadre", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cadres")]
pub async fn create_cadre(state: Data<AppState>, user: Caller, body: Checked<CadreBody>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.edits_households(), "register cadres")?;
    let (body, mut errs) = body.into_parts();
    let ch = parse_cadre(&body, &mut errs, true, state.today());
    let client_id = parse_client_id(body.client_id.as_deref(), &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let input = CadreInput {
        name: ch.name.unwrap_or_default(),
        work_unit: ch.work_unit.unwrap_or_default(),
        phone: ch.phone.flatten(),
        id_number: ch.id_number.flatten(),
        user_id: ch.user_id.flatten(),
        client_id,
    };
    let (status, cadre) = match service::create(&state, &user, input).await? {
        Created::New(c) => (StatusCode::CREATED, c),
        Created::Existing(c) => (StatusCode::OK, c),
    };
    Ok(HttpResponse::build(status).insert_header(etag(cadre.row.version)).json(CadreView::of(&cadre, &state.crypto)))
}

/// Read a cadre
///
/// One cadre; phone and ID number unmasked for a county admin, a township reviewer and the cadre
/// themselves (the read is audited), masked for other roles.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "cadre id")), responses((status = 200, body = CadreView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/cadres/{id}")]
pub async fn get_cadre(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let cadre = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(cadre.row.version)).json(CadreView::of(&cadre, &state.crypto)))
}

/// Change a cadre
///
/// Change a cadre (village officer and above) with `If-Match`; relinking `user_id` moves the
/// cadre's households from the old phone to the new one.
///
/// A stale `If-Match` answers 412 and changes nothing: read the cadre again and retry.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "cadre id"), ("If-Match" = String, Header, description = "ETag of the cadre")), request_body = CadreBody, responses(
    (status = 200, body = CadreView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the ID number or the user is already linked to another cadre", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/cadres/{id}")]
pub async fn update_cadre(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<CadreBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, mut errs) = body.into_parts();
    let ch = parse_cadre(&body, &mut errs, false, state.today());
    let changes = if errs.is_empty() { Ok(ch) } else { Err(errs.into()) };
    let cadre = service::update(&state, &user, id, Precondition::new(if_match(&req)), changes).await?;
    Ok(HttpResponse::Ok().insert_header(etag(cadre.row.version)).json(CadreView::of(&cadre, &state.crypto)))
}
