//! `/households`: households 户 and members 家庭成员, scoped to the caller; lists masked,
//! single reads unmasked and audited, updates with `If-Match`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web::{Data, Json, Path, Query}};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{etag, if_match, parse_client_id, path_id, require_if_match, utc};
use crate::auth::AuthUser;
use crate::crypto::Crypto;
use crate::db::models::{AuditRow, HouseholdRow, MemberRow};
use crate::db::repo::households::{self as repo, Created, HouseholdChanges, ListFilter, MemberChanges};
use crate::db::repo::{audit, cursor};
use crate::domain::household::{NewHousehold, NewMember, member_birth_date, member_sex, parse_household_number, parse_person_name};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::validation::optional_text;
use crate::domain::{Category, DivisionCode, FieldErrors, IdNumber, Phone, Relation, RemovalReason, Sex};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(add_member)
        .service(update_member)
        .service(remove_member)
        .service(history);
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    /// 姓名
    pub name: String,
    /// 与户主关系
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: chrono::NaiveDate,
    /// 身份证号: full in a single-record read by a county admin, a township reviewer or the
    /// paired cadre (and in that cadre's sync), masked (`610831********123X`) otherwise.
    pub id_number: String,
    /// Full where the ID number is, masked (`138****5678`) otherwise.
    pub phone: Option<String>,
    /// Set when the member left the household (the record is kept).
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(value_type = Option<RemovalReason>)]
    pub removed_reason: Option<String>,
}

impl MemberView {
    fn from_row(m: &MemberRow, crypto: &Crypto, full: bool) -> Self {
        let id = crypto.open(&m.id_number_enc).unwrap_or_default();
        let phone = m.phone_enc.as_deref().and_then(|p| crypto.open(p).ok());
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            relation: Relation::parse(&m.relation).unwrap_or(Relation::Other),
            sex: Sex::parse(&m.sex).unwrap_or(Sex::Male),
            birth_date: m.birth_date,
            id_number: if full { id } else { mask_id_number(&id) },
            phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
            removed_at: m.removed_at.map(utc),
            removed_reason: m.removed_reason.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HomeView {
    pub location_id: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    /// 户编号
    pub number: String,
    /// 行政村 code.
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub address: Option<String>,
    /// 户类型
    pub category: Category,
    /// 户主 name.
    pub head_name: String,
    /// Whether an accepted home location exists.
    pub has_location: bool,
    /// The accepted home location (WGS-84), if any.
    pub home: Option<HomeView>,
    /// A captured move waiting for a village officer's confirmation.
    pub pending_move_id: Option<String>,
    /// Members; in a single read also the removed ones (with `removed_at`).
    pub members: Vec<MemberView>,
    /// The village before a merger 合并前行政村, if the household was moved by one.
    pub former_village_code: Option<String>,
    /// The natural village / group 自然村(组) within the village.
    pub natural_village_id: Option<String>,
    /// Of a monitoring object: `not_eliminated` or `eliminated` (风险消除), set by completed cases.
    pub risk_status: Option<String>,
    /// Risk types 风险类型 named by the last inclusion or re-marking.
    pub risk_types: Vec<String>,
    /// The current pairing 帮扶责任人 (single reads and sync; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing: Option<super::assistance::PairingView>,
    /// Version for `If-Match` (also the `ETag`).
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl HouseholdView {
    pub fn build(h: &HouseholdRow, members: &[MemberRow], crypto: &Crypto, full: bool) -> Self {
        Self {
            id: h.id.clone(),
            number: h.number.clone(),
            village_code: h.village_code.clone(),
            township_code: h.township_code.clone(),
            county_code: h.county_code.clone(),
            address: h.address.clone(),
            category: Category::parse(&h.category).unwrap_or(Category::Ordinary),
            head_name: h.head_name.clone(),
            has_location: h.has_location,
            home: match (&h.home_location_id, h.home_lat, h.home_lon) {
                (Some(id), Some(lat), Some(lon)) => Some(HomeView {
                    location_id: id.clone(),
                    lat,
                    lon,
                    accuracy_m: h.home_accuracy_m,
                    captured_at: h.home_captured_at.map(utc),
                }),
                _ => None,
            },
            pending_move_id: h.pending_move_id.clone(),
            members: members.iter().filter(|m| m.household_id == h.id).map(|m| MemberView::from_row(m, crypto, full)).collect(),
            former_village_code: h.former_village_code.clone(),
            natural_village_id: h.natural_village_id.clone(),
            risk_status: h.risk_status.clone(),
            risk_types: h.risk_types.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default(),
            pairing: None,
            version: h.version,
            created_at: utc(h.created_at),
            updated_at: utc(h.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdPage {
    pub items: Vec<HouseholdView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Division (county, township or village code) inside your jurisdiction.
    pub division: Option<String>,
    #[param(value_type = Option<Category>)]
    pub category: Option<String>,
    pub has_location: Option<bool>,
    /// Part of the head's name or the household number.
    pub q: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Households in the caller's jurisdiction; ID and phone numbers masked.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = HouseholdPage),
    (status = 400, description = "tampered cursor", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "division outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households")]
pub async fn list(state: Data<AppState>, user: AuthUser, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut errs = FieldErrors::new();
    let division = q.division.as_deref().map(|d| errs.check("division", DivisionCode::parse(d))).flatten();
    let category = q.category.as_deref().map(|c| errs.check("category", Category::parse(c))).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let scope = user.scope();
    if division.as_ref().is_some_and(|d| !scope.covers(d)) {
        return Err(ApiError::NotFound);
    }
    let filter = ListFilter {
        division,
        category,
        has_location: q.has_location,
        q: q.q,
        after: cursor::decode(q.cursor.as_deref())?,
        limit: cursor::limit(q.limit),
    };
    Ok(HttpResponse::Ok().json(page(&state, scope, filter).await?))
}

/// One page of households with their current members, masked.
pub async fn page(state: &AppState, scope: crate::auth::Scope, filter: ListFilter) -> Result<HouseholdPage, ApiError> {
    let limit = filter.limit;
    let (rows, members) = state
        .db
        .run(move |c| {
            let rows = repo::list(c, &scope, &filter)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let members = repo::members_of(c, &ids, false)?;
            Ok((rows, members))
        })
        .await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.id);
    let items = rows.iter().map(|h| HouseholdView::build(h, &members, &state.crypto, false)).collect();
    Ok(HouseholdPage { items, next_cursor })
}

#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    /// 姓名
    pub name: String,
    /// 18-character ID number (GB 11643); a lower-case x and spaces are accepted.
    pub id_number: String,
    #[schema(value_type = Relation)]
    pub relation: String,
    /// Must agree with the ID number when given.
    #[schema(value_type = Option<Sex>)]
    pub sex: Option<String>,
    /// Must agree with the ID number when given.
    pub birth_date: Option<chrono::NaiveDate>,
    pub phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateHouseholdBody {
    /// 行政村 code inside your jurisdiction.
    pub village_code: String,
    /// 户编号; generated (village code + 4 digits) when absent.
    pub number: Option<String>,
    pub address: Option<String>,
    #[schema(value_type = Category)]
    pub category: String,
    /// Exactly one member with `relation: "head"`.
    pub members: Vec<MemberBody>,
    /// UUID chosen by the device: repeating the request returns the first result.
    pub client_id: Option<String>,
}

fn parse_member(prefix: &str, m: &MemberBody, today: chrono::NaiveDate, errs: &mut FieldErrors) -> Option<NewMember> {
    let name = errs.check(format!("{prefix}name"), parse_person_name(&m.name));
    let id_number = errs.check(format!("{prefix}id_number"), IdNumber::parse(&m.id_number, today));
    let relation = errs.check(format!("{prefix}relation"), Relation::parse(&m.relation));
    let sex = m.sex.as_deref().map(|s| errs.check(format!("{prefix}sex"), Sex::parse(s))).flatten();
    let phone = m.phone.as_deref().filter(|p| !p.trim().is_empty()).map(|p| errs.check(format!("{prefix}phone"), Phone::parse(p))).flatten();
    let id_number = id_number?;
    let sex = errs.check(format!("{prefix}sex"), member_sex(&id_number, sex));
    let birth_date = errs.check(format!("{prefix}birth_date"), member_birth_date(&id_number, m.birth_date));
    Some(NewMember { name: name?, id_number, relation: relation?, sex: sex?, birth_date: birth_date?, phone })
}

fn parse_create(b: CreateHouseholdBody, today: chrono::NaiveDate) -> Result<NewHousehold, ApiError> {
    let mut errs = FieldErrors::new();
    let village = errs.check("village_code", DivisionCode::parse(&b.village_code));
    if village.as_ref().is_some_and(|v| v.level() != crate::domain::Level::Village) {
        errs.add("village_code", "not_a_village", "households belong to an administrative village (12-digit village code)");
    }
    let number = b.number.as_deref().map(|n| errs.check("number", parse_household_number(n))).flatten();
    let address = errs.check("address", optional_text(b.address.as_deref(), 200)).flatten();
    let category = errs.check("category", Category::parse(&b.category));
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    if b.members.is_empty() {
        errs.add("members", "required", "a household has at least its head");
    }
    if b.members.len() > 30 {
        errs.add("members", "too_many", "at most 30 members");
    }
    let members: Vec<Option<NewMember>> =
        b.members.iter().enumerate().map(|(i, m)| parse_member(&format!("members[{i}]."), m, today, &mut errs)).collect();
    let relations: Vec<Relation> = b.members.iter().filter_map(|m| Relation::parse(&m.relation).ok()).collect();
    if !b.members.is_empty() && relations.len() == b.members.len() {
        errs.check("members", crate::domain::household::check_single_head(&relations));
    }
    let parsed: Vec<NewMember> = members.into_iter().flatten().collect();
    for (i, m) in parsed.iter().enumerate() {
        if parsed[..i].iter().any(|o| o.id_number == m.id_number) {
            errs.add(format!("members[{i}].id_number"), "duplicate", "the same ID number appears twice in this household");
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (Some(village), Some(category)) = (village, category) else { return Err(errs.into()) };
    Ok(NewHousehold { village, number, address, category, members: parsed, client_id })
}

/// A household row with what its full record shows: every member (removed ones too) and the
/// current pairing.
type Full = (HouseholdRow, Vec<MemberRow>, Option<(crate::db::models::PairingRow, crate::db::models::CadreRow)>);

fn with_parts(c: &mut crate::db::DbConnection, h: HouseholdRow) -> Result<Full, ApiError> {
    let members = repo::members_of(c, std::slice::from_ref(&h.id), true)?;
    let pairing = crate::db::repo::assistance::current_pairings(c, std::slice::from_ref(&h.id))?.into_iter().next();
    Ok((h, members, pairing))
}

/// Whether the caller gets this household's full numbers (`domain::disclosure`).
fn shows_full(user: &AuthUser, (_, _, pairing): &Full) -> bool {
    let paired = pairing.as_ref().is_some_and(|(_, cd)| cd.user_id.as_deref() == Some(user.id.as_str()));
    full_numbers(user.role, Subject::Household { paired })
}

fn full_view(state: &AppState, user: &AuthUser, full: Full) -> HouseholdView {
    let show = shows_full(user, &full);
    let (h, members, pairing) = full;
    let mut view = HouseholdView::build(&h, &members, &state.crypto, show);
    view.pairing = pairing.map(|(p, cd)| super::assistance::PairingView::build(&p, &cd));
    view
}

async fn load_full(state: &AppState, user: &AuthUser, id: String, log_read: bool) -> Result<HouseholdView, ApiError> {
    let scope = user.read_scope();
    let full = state
        .db
        .run(move |c| {
            let h = repo::find(c, &scope, &id)?.ok_or(ApiError::NotFound)?;
            with_parts(c, h)
        })
        .await?;
    if log_read && shows_full(user, &full) {
        state.read_log.record(&user.actor(), &full.0.id);
    }
    Ok(full_view(state, user, full))
}

/// Register a household with its members in one step (village officer and above).
#[utoipa::path(tag = "households", security(("bearer" = [])), request_body = CreateHouseholdBody, responses(
    (status = 201, body = HouseholdView),
    (status = 200, description = "the same client_id was sent before: the first result", body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "village outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "an ID number or the number is already registered", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households")]
pub async fn create(state: Data<AppState>, user: AuthUser, body: Json<CreateHouseholdBody>) -> Result<HttpResponse, ApiError> {
    let new = parse_create(body.into_inner(), state.today())?;
    let scope = user.scope();
    if !scope.covers(&new.village) {
        return Err(ApiError::NotFound);
    }
    user.require(user.role.edits_households(), "register households")?;
    let actor = user.actor();
    let crypto = state.crypto.clone();
    let created = state.db.run(move |c| Ok(repo::create(c, &scope, &crypto, &actor, &new)?)).await?;
    let (status, id) = match created {
        Created::New(h) => (StatusCode::CREATED, h.id),
        Created::Existing(h) => (StatusCode::OK, h.id),
    };
    let view = load_full(&state, &user, id, false).await?;
    Ok(HttpResponse::build(status)
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/households/{}", view.id)))
        .json(view))
}

/// The full record; ID and phone numbers unmasked for a county admin, a township reviewer and the
/// paired cadre, masked for other roles. A read with full numbers is audited.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses(
    (status = 200, body = HouseholdView, headers(("ETag" = String, description = "the version"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}")]
pub async fn get_one(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let view = load_full(&state, &user, path_id(&id)?, true).await?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateHouseholdBody {
    /// 户编号
    pub number: Option<String>,
    /// Empty text clears it.
    pub address: Option<String>,
    /// Make this member the head 户主 (e.g. after the head died).
    pub head_member_id: Option<String>,
    /// The relation the former head takes; required with `head_member_id`.
    #[schema(value_type = Option<Relation>)]
    pub former_head_relation: Option<String>,
    /// The natural village 自然村(组) of the household, one of its village's; empty text clears it.
    pub natural_village_id: Option<String>,
    /// The village before a merger 合并前行政村 (12-digit code); empty text clears it.
    pub former_village_code: Option<String>,
}

/// Change a household (village officer and above); needs `If-Match`.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("If-Match" = String, Header, description = "ETag of the household")), request_body = UpdateHouseholdBody, responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/households/{id}")]
pub async fn update(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<UpdateHouseholdBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let number = b.number.as_deref().map(|n| errs.check("number", parse_household_number(n))).flatten();
    let address = b.address.as_deref().map(|a| errs.check("address", optional_text(Some(a), 200))).flatten();
    let natural_village = b.natural_village_id.as_deref().map(|n| match n.trim() {
        "" => Some(None),
        v => crate::api::parse_uuid("natural_village_id", Some(v), &mut errs).map(Some),
    }).flatten();
    let former_village = b.former_village_code.as_deref().map(|f| match f.trim() {
        "" => Some(None),
        v => errs.check("former_village_code", DivisionCode::parse(v)).map(Some),
    }).flatten();
    let head = match (&b.head_member_id, &b.former_head_relation) {
        (None, _) => None,
        (Some(_), None) => {
            errs.add("former_head_relation", "required", "say which relation the former head takes");
            None
        }
        (Some(m), Some(r)) => {
            let r = errs.check("former_head_relation", Relation::parse(r));
            if r == Some(Relation::Head) {
                errs.add("former_head_relation", "invalid_value", "the former head cannot stay head");
            }
            r.map(|r| (m.clone(), r))
        }
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    write_household(&state, &req, &user, id, IfMatchRule::Required, StatusCode::OK, move |c, scope, _, actor, expected, id| {
        let changes = HouseholdChanges { number, address, head, natural_village, former_village };
        Ok(repo::update(c, scope, actor, id, expected.unwrap_or_default(), &changes)?)
    })
    .await
}

/// Whether a write needs `If-Match` (PATCH) or only honours it when sent (POST, DELETE).
#[derive(Clone, Copy)]
enum IfMatchRule {
    Required,
    Optional,
}

/// Shared path of every household write: scope first (404), then role (403), then `If-Match`;
/// answers with the household as it now is.
async fn write_household<F>(
    state: &AppState,
    req: &HttpRequest,
    user: &AuthUser,
    id: String,
    rule: IfMatchRule,
    status: actix_web::http::StatusCode,
    f: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut crate::db::DbConnection, &crate::auth::Scope, &Crypto, &audit::Actor, Option<i64>, &str) -> Result<HouseholdRow, ApiError> + Send + 'static,
{
    let scope = user.scope();
    let (probe_scope, probe_id) = (scope.clone(), id.clone());
    state.db.run(move |c| repo::find(c, &probe_scope, &probe_id)?.ok_or(ApiError::NotFound)).await?;
    user.require(user.role.edits_households(), "change households")?;
    let expected = match rule {
        IfMatchRule::Required => Some(require_if_match(req)?),
        IfMatchRule::Optional => if_match(req)?,
    };
    let (actor, crypto) = (user.actor(), state.crypto.clone());
    // The answer is the household as this write left it (its version), not as it is by the
    // time a second read would run.
    let full = state.db.run(move |c| {
        let written = f(c, &scope, &crypto, &actor, expected, &id)?;
        with_parts(c, written)
    }).await?;
    let view = full_view(state, user, full);
    Ok(HttpResponse::build(status).insert_header(etag(view.version)).json(view))
}

/// Add a member (birth, marriage in, …); village officer and above.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("If-Match" = Option<String>, Header, description = "optional ETag of the household")), request_body = MemberBody, responses(
    (status = 201, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/members")]
pub async fn add_member(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<MemberBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let mut errs = FieldErrors::new();
    let member = parse_member("", &body, state.today(), &mut errs);
    let Some(member) = member.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    write_household(&state, &req, &user, id, IfMatchRule::Optional, StatusCode::CREATED, move |c, scope, crypto, actor, expected, id| {
        Ok(repo::add_member(c, scope, crypto, actor, id, expected, &member).map(|(h, _)| h)?)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMemberBody {
    pub name: Option<String>,
    /// Not `head`: transfer headship with PATCH /households/{id}.
    #[schema(value_type = Option<Relation>)]
    pub relation: Option<String>,
    /// Empty text clears it.
    pub phone: Option<String>,
}

/// Correct a member; needs `If-Match` with the household's ETag.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), ("If-Match" = String, Header, description = "ETag of the household")), request_body = UpdateMemberBody, responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/households/{id}/members/{member_id}")]
pub async fn update_member(state: Data<AppState>, req: HttpRequest, user: AuthUser, path: Path<(String, String)>, body: Json<UpdateMemberBody>) -> Result<HttpResponse, ApiError> {
    let (id, member_id) = path.into_inner();
    let (id, member_id) = (path_id(&id)?, path_id(&member_id)?);
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let name = b.name.as_deref().map(|n| errs.check("name", parse_person_name(n))).flatten();
    let relation = b.relation.as_deref().map(|r| errs.check("relation", Relation::parse(r))).flatten();
    let phone = b.phone.as_deref().map(|p| if p.trim().is_empty() { Some(None) } else { errs.check("phone", Phone::parse(p)).map(Some) }).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let changes = MemberChanges { name, relation, phone };
    write_household(&state, &req, &user, id, IfMatchRule::Required, StatusCode::OK, move |c, scope, crypto, actor, expected, id| {
        Ok(repo::update_member(c, scope, crypto, actor, id, &member_id, expected.unwrap_or_default(), &changes).map(|(h, _)| h)?)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
pub struct RemoveQuery {
    /// Why the member left: death, marriage_out, moved_out, other.
    #[param(value_type = RemovalReason)]
    pub reason: String,
}

/// Remove a member with a reason; the record is kept with `removed_at`.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), RemoveQuery, ("If-Match" = Option<String>, Header, description = "optional ETag of the household")), responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the head cannot be removed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/households/{id}/members/{member_id}")]
pub async fn remove_member(state: Data<AppState>, req: HttpRequest, user: AuthUser, path: Path<(String, String)>, q: Query<RemoveQuery>) -> Result<HttpResponse, ApiError> {
    let (id, member_id) = path.into_inner();
    let (id, member_id) = (path_id(&id)?, path_id(&member_id)?);
    let reason = RemovalReason::parse(&q.reason).map_err(|e| ApiError::invalid("reason", e.code, e.message))?;
    write_household(&state, &req, &user, id, IfMatchRule::Optional, StatusCode::OK, move |c, scope, crypto, actor, expected, id| {
        Ok(repo::remove_member(c, scope, crypto, actor, id, &member_id, expected, reason).map(|(h, _)| h)?)
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Username of who did it.
    pub actor: Option<String>,
    /// create, update, member_add, member_update, member_remove, read
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The state before (personal numbers masked).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditRow> for HistoryEntry {
    fn from(a: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self { id: a.id, at: utc(a.at), actor: a.actor_name, action: a.action, entity_type: a.entity_type, entity_id: a.entity_id, before: parse(a.before_json), after: parse(a.after_json) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<HistoryEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Also list reads of the full record (who looked at the personal data).
    pub include_reads: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The household's audit trail, newest first.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), HistoryQuery), responses(
    (status = 200, body = HistoryPage),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/history")]
pub async fn history(state: Data<AppState>, user: AuthUser, id: Path<String>, q: Query<HistoryQuery>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let before = cursor::decode(q.cursor.as_deref())?;
    let limit = cursor::limit(q.limit);
    let include_reads = q.include_reads.unwrap_or(false);
    let scope = user.read_scope();
    let rows = state
        .db
        .run(move |c| {
            repo::find(c, &scope, &id)?.ok_or(ApiError::NotFound)?;
            Ok(audit::household_history(c, &id, include_reads, before.as_deref(), limit)?)
        })
        .await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.id);
    Ok(HttpResponse::Ok().json(HistoryPage { items: rows.into_iter().map(HistoryEntry::from).collect(), next_cursor }))
}
