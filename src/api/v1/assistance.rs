//! Assistance 帮扶: `/cadres` 帮扶干部, `/pairings` 结对帮扶 (one current per household),
//! `/work-teams` 驻村工作队 and `/households/{id}/measures` 帮扶措施.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Json, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{etag, parse_client_id, parse_uuid, path_id, require_if_match, utc};
use crate::auth::AuthUser;
use crate::crypto::Crypto;
use crate::db::models::{CadreRow, MeasureRow, PairingRow, WorkTeamRow};
use crate::db::repo::assistance::{self as repo, CadreChanges, CadreInput, Created, PairingFilter, PairingInput, TeamInput, county_of};
use crate::db::repo::cursor;
use crate::db::{new_id, now};
use crate::domain::assistance::{MeasureKind, amount_cents, check_period};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DivisionCode, FieldErrors, IdNumber, Phone, Role};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_cadres)
        .service(create_cadre)
        .service(get_cadre)
        .service(update_cadre)
        .service(list_pairings)
        .service(create_pairing)
        .service(end_pairing)
        .service(list_teams)
        .service(create_team)
        .service(update_team)
        .service(list_measures)
        .service(add_measure);
}

fn created_status<T>(c: Created<T>) -> (StatusCode, T) {
    match c {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    }
}

// ---- cadres ----

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
}

/// Whether the caller gets this cadre's full numbers (`domain::disclosure`).
fn shows_full(user: &AuthUser, row: &CadreRow) -> bool {
    full_numbers(user.role, Subject::Cadre { own: row.user_id.as_deref() == Some(user.id.as_str()) })
}

#[derive(Serialize, ToSchema)]
pub struct CadrePage {
    pub items: Vec<CadreView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct CadreQuery {
    /// Part of the name or work unit.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Cadres of the caller's county; phones and ID numbers masked.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(CadreQuery), responses((status = 200, body = CadrePage), (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/cadres")]
pub async fn list_cadres(state: Data<AppState>, user: AuthUser, q: Query<CadreQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let (county, after, limit) = (county_of(&user.scope()), cursor::decode(q.cursor.as_deref())?, cursor::limit(q.limit));
    let rows = state.db.run(move |c| Ok(repo::list_cadres(c, &county, q.q.as_deref(), after.as_deref(), limit)?)).await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.id);
    let items = rows.iter().map(|r| CadreView::build(r, &state.crypto, false)).collect();
    Ok(HttpResponse::Ok().json(CadrePage { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct CadreBody {
    /// 姓名
    pub name: Option<String>,
    /// 工作单位
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
fn clearable<T>(field: &str, value: Option<&str>, errs: &mut FieldErrors, parse: impl FnOnce(&str) -> Result<T, crate::domain::validation::DomainError>) -> Option<Option<T>> {
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

/// Register a cadre of the county (village officer and above).
#[utoipa::path(tag = "assistance", security(("bearer" = [])), request_body = CadreBody, responses(
    (status = 201, body = CadreView),
    (status = 200, description = "the same client_id was sent before", body = CadreView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "ID number or user already linked to another cadre", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cadres")]
pub async fn create_cadre(state: Data<AppState>, user: AuthUser, body: Json<CadreBody>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.edits_households(), "register cadres")?;
    let mut errs = FieldErrors::new();
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
    let (county, crypto, actor) = (county_of(&user.scope()), state.crypto.clone(), user.actor());
    let created = state.db.run(move |c| Ok(repo::create_cadre(c, &county, &crypto, &actor, &input)?)).await?;
    let (status, row) = created_status(created);
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(CadreView::build(&row, &state.crypto, shows_full(&user, &row))))
}

/// One cadre; phone and ID number unmasked for a county admin, a township reviewer and the cadre
/// themselves (the read is audited), masked for other roles.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "cadre id")), responses((status = 200, body = CadreView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/cadres/{id}")]
pub async fn get_cadre(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (id, county) = (path_id(&id)?, county_of(&user.scope()));
    let row = state.db.run(move |c| Ok(repo::cadre(c, &county, &id)?)).await?;
    let full = shows_full(&user, &row);
    if full {
        state.read_log.record_entity(&user.actor(), "cadre", &row.id, None);
    }
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(CadreView::build(&row, &state.crypto, full)))
}

/// Change a cadre (village officer and above) with `If-Match`; relinking `user_id` moves the
/// cadre's households from the old phone to the new one.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "cadre id"), ("If-Match" = String, Header, description = "ETag of the cadre")), request_body = CadreBody, responses(
    (status = 200, body = CadreView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/cadres/{id}")]
pub async fn update_cadre(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<CadreBody>) -> Result<HttpResponse, ApiError> {
    let (id, county) = (path_id(&id)?, county_of(&user.scope()));
    let probe = (county.clone(), id.clone());
    state.db.run(move |c| Ok(repo::cadre(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "change cadres")?;
    let expected = require_if_match(&req)?;
    let mut errs = FieldErrors::new();
    let ch = parse_cadre(&body, &mut errs, false, state.today());
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (crypto, actor) = (state.crypto.clone(), user.actor());
    let row = state.db.run(move |c| Ok(repo::update_cadre(c, &county, &crypto, &actor, &id, expected, &ch)?)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(CadreView::build(&row, &state.crypto, shows_full(&user, &row))))
}

// ---- pairings ----

#[derive(Serialize, ToSchema)]
pub struct PairingView {
    pub id: String,
    pub household_id: String,
    pub cadre_id: String,
    /// 帮扶责任人 name and work unit.
    pub cadre_name: String,
    pub cadre_work_unit: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// No end date yet.
    pub current: bool,
    pub version: i64,
}

impl PairingView {
    pub fn build(p: &PairingRow, c: &CadreRow) -> Self {
        Self {
            id: p.id.clone(),
            household_id: p.household_id.clone(),
            cadre_id: p.cadre_id.clone(),
            cadre_name: c.name.clone(),
            cadre_work_unit: c.work_unit.clone(),
            start_date: p.start_date,
            end_date: p.end_date,
            end_reason: p.end_reason.clone(),
            current: p.end_date.is_none(),
            version: p.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PairingPage {
    pub items: Vec<PairingView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct PairingQuery {
    pub household_id: Option<String>,
    pub cadre_id: Option<String>,
    /// Only current (true) or only ended (false) pairings.
    pub current: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Pairings of the households in the caller's scope (a cadre: their own, past ones included).
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(PairingQuery), responses((status = 200, body = PairingPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/pairings")]
pub async fn list_pairings(state: Data<AppState>, user: AuthUser, q: Query<PairingQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut errs = FieldErrors::new();
    let household_id = parse_uuid("household_id", q.household_id.as_deref(), &mut errs);
    let cadre_id = parse_uuid("cadre_id", q.cadre_id.as_deref(), &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let f = PairingFilter { household_id, cadre_id, current: q.current, after: cursor::decode(q.cursor.as_deref())?, limit: cursor::limit(q.limit) };
    let (scope, limit) = (user.scope(), f.limit);
    let rows = state.db.run(move |c| Ok(repo::list_pairings(c, &scope, &f)?)).await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.0.id);
    Ok(HttpResponse::Ok().json(PairingPage { items: rows.iter().map(|(p, c)| PairingView::build(p, c)).collect(), next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct PairingBody {
    pub cadre_id: String,
    pub household_id: String,
    /// 结对日期; a current pairing with another cadre ends on this date.
    pub start_date: NaiveDate,
    pub client_id: Option<String>,
}

/// Pair a cadre with a household (village officer and above). The household's current pairing,
/// if any, ends on `start_date` in the same transaction; the history is kept.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), request_body = PairingBody, responses(
    (status = 201, body = PairingView),
    (status = 200, description = "the same client_id was sent before", body = PairingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "household outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "already paired with this cadre", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "unknown cadre, cadre of another county, start date", body = Problem, content_type = "application/problem+json"),
))]
#[post("/pairings")]
pub async fn create_pairing(state: Data<AppState>, user: AuthUser, body: Json<PairingBody>) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let household_id = parse_uuid("household_id", Some(&b.household_id), &mut errs);
    let cadre_id = parse_uuid("cadre_id", Some(&b.cadre_id), &mut errs);
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(household_id), Some(cadre_id)) = (household_id, cadre_id).clone() else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let scope = user.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "pair cadres with households")?;
    let input = PairingInput { household_id, cadre_id, start_date: b.start_date, client_id };
    let (actor, today) = (user.actor(), state.today());
    let (status, row, cadre) = state
        .db
        .run(move |c| {
            let (status, row) = created_status(repo::create_pairing(c, &scope, &actor, &input, today)?);
            let cadre = repo::cadre_by_id(c, &row.cadre_id)?;
            Ok((status, row, cadre))
        })
        .await?;
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(PairingView::build(&row, &cadre)))
}

#[derive(Deserialize, ToSchema)]
pub struct EndPairingBody {
    pub end_date: NaiveDate,
    /// Why the pairing ended (e.g. 工作调动).
    pub end_reason: String,
}

/// End a pairing (village officer and above) with `If-Match`.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "pairing id"), ("If-Match" = String, Header, description = "ETag of the pairing")), request_body = EndPairingBody, responses(
    (status = 200, body = PairingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "ended already", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/pairings/{id}")]
pub async fn end_pairing(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<EndPairingBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    // Outside the jurisdiction is 404 before any role check.
    let (probe_scope, probe_id) = (user.scope(), id.clone());
    state.db.run(move |c| Ok(repo::pairing_in_scope(c, &probe_scope, &probe_id)?)).await?;
    user.require(user.role.edits_households(), "end pairings")?;
    let expected = require_if_match(&req)?;
    let b = body.into_inner();
    let reason = required_text(&b.end_reason, 200).map_err(|e| ApiError::invalid("end_reason", e.code, e.message))?;
    let (scope, actor, today) = (user.scope(), user.actor(), state.today());
    let (row, cadre) = state.db.run(move |c| Ok(repo::end_pairing(c, &scope, &actor, &id, expected, b.end_date, &reason, today)?)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(PairingView::build(&row, &cadre)))
}

// ---- work teams ----

#[derive(Serialize, ToSchema)]
pub struct WorkTeamView {
    pub id: String,
    pub village_code: String,
    /// 驻村工作队 name.
    pub name: String,
    /// 第一书记 (a cadre id).
    pub first_secretary_id: Option<String>,
    /// 队员 (cadre ids).
    pub member_ids: Vec<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub version: i64,
}

impl WorkTeamView {
    fn build(r: &WorkTeamRow) -> Self {
        Self {
            id: r.id.clone(),
            village_code: r.village_code.clone(),
            name: r.name.clone(),
            first_secretary_id: r.first_secretary_id.clone(),
            member_ids: serde_json::from_str(&r.member_ids).unwrap_or_default(),
            term_start: r.term_start,
            term_end: r.term_end,
            version: r.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WorkTeamPage {
    pub items: Vec<WorkTeamView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct TeamQuery {
    /// A division inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Resident work teams 驻村工作队 of the caller's jurisdiction.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(TeamQuery), responses((status = 200, body = WorkTeamPage), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/work-teams")]
pub async fn list_teams(state: Data<AppState>, user: AuthUser, q: Query<TeamQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let scope = user.scope();
    let division = q.division.as_deref().map(|d| DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))).transpose()?;
    if division.as_ref().is_some_and(|d| !scope.covers(d)) {
        return Err(ApiError::NotFound);
    }
    let (after, limit) = (cursor::decode(q.cursor.as_deref())?, cursor::limit(q.limit));
    let rows = state.db.run(move |c| Ok(repo::list_teams(c, &scope, division.as_ref(), after.as_deref(), limit)?)).await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.id);
    Ok(HttpResponse::Ok().json(WorkTeamPage { items: rows.iter().map(WorkTeamView::build).collect(), next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct WorkTeamBody {
    /// 行政村 code (on create).
    pub village_code: Option<String>,
    pub name: Option<String>,
    /// 第一书记: a cadre of the county; empty text clears it on PATCH.
    pub first_secretary_id: Option<String>,
    /// 队员: cadres of the county.
    pub member_ids: Option<Vec<String>>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub client_id: Option<String>,
}

fn parse_members(ids: &Option<Vec<String>>, errs: &mut FieldErrors) -> Option<Vec<String>> {
    let ids = ids.as_ref()?;
    let parsed: Vec<Option<String>> = ids.iter().enumerate().map(|(i, m)| parse_uuid(&format!("member_ids[{i}]"), Some(m), errs)).collect();
    let mut out: Vec<String> = parsed.into_iter().flatten().collect();
    out.dedup();
    Some(out)
}

/// Register a village's work team (village officer and above).
#[utoipa::path(tag = "assistance", security(("bearer" = [])), request_body = WorkTeamBody, responses(
    (status = 201, body = WorkTeamView),
    (status = 200, description = "the same client_id was sent before", body = WorkTeamView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/work-teams")]
pub async fn create_team(state: Data<AppState>, user: AuthUser, body: Json<WorkTeamBody>) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let village = match &b.village_code {
        Some(v) => errs.check("village_code", DivisionCode::parse(v)),
        None => {
            errs.add("village_code", "required", "must be given");
            None
        }
    };
    let name = errs.check("name", required_text(b.name.as_deref().unwrap_or_default(), 100));
    let first_secretary_id = b.first_secretary_id.as_deref().filter(|f| !f.trim().is_empty()).and_then(|f| parse_uuid("first_secretary_id", Some(f), &mut errs));
    let member_ids = parse_members(&b.member_ids, &mut errs).unwrap_or_default();
    if b.term_start.is_none() {
        errs.add("term_start", "required", "must be given");
    }
    if let Some(start) = b.term_start {
        errs.check("term_end", check_period(start, b.term_end));
    }
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(village), Some(name), Some(term_start)) = (village, name, b.term_start) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let scope = user.scope();
    if !scope.covers(&village) {
        return Err(ApiError::NotFound);
    }
    user.require(user.role.edits_households(), "register work teams")?;
    let input = TeamInput { village, name, first_secretary_id, member_ids, term_start, term_end: b.term_end, client_id };
    let actor = user.actor();
    let (status, row) = created_status(state.db.run(move |c| Ok(repo::create_team(c, &scope, &actor, &input)?)).await?);
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(WorkTeamView::build(&row)))
}

/// Change a work team (members, first secretary, term) with `If-Match`.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "work team id"), ("If-Match" = String, Header, description = "ETag of the team")), request_body = WorkTeamBody, responses(
    (status = 200, body = WorkTeamView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/work-teams/{id}")]
pub async fn update_team(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<WorkTeamBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let scope = user.scope();
    let probe = (scope.clone(), id.clone());
    state.db.run(move |c| Ok(repo::team(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "change work teams")?;
    let expected = require_if_match(&req)?;
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    if b.village_code.is_some() {
        errs.add("village_code", "read_only", "a work team stays with its village");
    }
    let name = b.name.as_deref().map(|n| errs.check("name", required_text(n, 100))).flatten();
    let first_secretary = clearable("first_secretary_id", b.first_secretary_id.as_deref(), &mut errs, |v| {
        uuid::Uuid::parse_str(v).map(|u| u.to_string()).map_err(|_| crate::domain::validation::DomainError::new("invalid_value", "must be an id (UUID)"))
    });
    let members = parse_members(&b.member_ids, &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let actor = user.actor();
    let row = state
        .db
        .run(move |c| {
            Ok(repo::update_team(c, &scope, &actor, &id, expected, |t| {
                if let Some(n) = name {
                    t.name = n;
                }
                if let Some(f) = first_secretary {
                    t.first_secretary_id = f;
                }
                if let Some(m) = members {
                    t.member_ids = serde_json::to_string(&m).unwrap_or_else(|_| "[]".into());
                }
                if let Some(s) = b.term_start {
                    t.term_start = s;
                }
                if b.term_end.is_some() {
                    t.term_end = b.term_end;
                }
            })?)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(WorkTeamView::build(&row)))
}

// ---- measures ----

#[derive(Serialize, ToSchema)]
pub struct MeasureView {
    pub id: String,
    pub household_id: String,
    pub kind: MeasureKind,
    /// 项目名称
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// 金额, yuan.
    pub amount_yuan: Option<f64>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl MeasureView {
    fn build(r: &MeasureRow) -> Self {
        Self {
            id: r.id.clone(),
            household_id: r.household_id.clone(),
            kind: MeasureKind::parse(&r.kind).unwrap_or(MeasureKind::Other),
            title: r.title.clone(),
            description: r.description.clone(),
            start_date: r.start_date,
            end_date: r.end_date,
            amount_yuan: r.amount_cents.map(|c| c as f64 / 100.0),
            created_by: r.created_by.clone(),
            created_at: utc(r.created_at),
        }
    }
}

/// Assistance measures of a household, newest first.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<MeasureView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/measures")]
pub async fn list_measures(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (path_id(&id)?, user.read_scope());
    let rows = state.db.run(move |c| Ok(repo::measures_of(c, &scope, &id)?)).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(MeasureView::build).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
pub struct MeasureBody {
    #[schema(value_type = MeasureKind)]
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Yuan, at most two decimals.
    pub amount_yuan: Option<f64>,
    pub client_id: Option<String>,
}

/// Record a measure for a household (the paired cadre, village officer and above).
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = MeasureBody, responses(
    (status = 201, body = MeasureView),
    (status = 200, description = "the same client_id was sent before", body = MeasureView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/measures")]
pub async fn add_measure(state: Data<AppState>, user: AuthUser, id: Path<String>, body: Json<MeasureBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let scope = user.scope();
    let probe = (scope.clone(), id.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role != Role::Auditor, "record measures")?;
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let kind = errs.check("kind", MeasureKind::parse(&b.kind));
    let title = errs.check("title", required_text(&b.title, 200));
    let description = errs.check("description", optional_text(b.description.as_deref(), 2000)).flatten();
    errs.check("end_date", check_period(b.start_date, b.end_date));
    let amount = b.amount_yuan.map(|a| errs.check("amount_yuan", amount_cents(a))).flatten();
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(kind), Some(title)) = (kind, title) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let row = MeasureRow {
        id: new_id(),
        client_id,
        household_id: id,
        kind: kind.as_str().to_owned(),
        title,
        description,
        start_date: b.start_date,
        end_date: b.end_date,
        amount_cents: amount,
        created_by: user.username.clone(),
        created_at: now(),
    };
    let actor = user.actor();
    let (status, row) = created_status(state.db.run(move |c| Ok(repo::add_measure(c, &scope, &actor, row)?)).await?);
    Ok(HttpResponse::build(status).json(MeasureView::build(&row)))
}
