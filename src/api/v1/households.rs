//! `/households`: households 户, scoped to the caller; lists masked, single reads unmasked and
//! audited, updates with `If-Match`. Members are in `members.rs`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, path_id, utc};
use crate::crypto::Crypto;
use crate::db::models::{AuditRow, HouseholdRow, MemberRow};
use crate::db::repo::cursor;
use crate::db::repo::households::{HouseholdChanges, ListFilter};
use crate::domain::household::{NewHousehold, NewMember, parse_household_number, parse_person_name};
use crate::domain::member::{Identity, JoinReason, Joined, NoIdReason};
use crate::domain::household_profile::{EliminationWay, HouseholdFlag, Profile, ProfileInput};
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::validation::optional_text;
use crate::domain::{Category, DivisionCode, FieldErrors, Phone, Relation, RemovalReason, Sex};
use crate::error::{ApiError, Problem};
use crate::services::households::{self as service, Listed, Record};
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(history);
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
    /// paired cadre (and in that cadre's sync), masked (`610831********123X`) otherwise; null for
    /// a member recorded without one (see `no_id_reason`).
    pub id_number: Option<String>,
    /// 无身份证号码原因: why a member has no ID number (无户籍人口), until one is entered.
    #[schema(value_type = Option<NoIdReason>)]
    pub no_id_reason: Option<String>,
    /// Full where the ID number is, masked (`138****5678`) otherwise.
    pub phone: Option<String>,
    /// 增加原因: why the member joined the recorded household (none for its first members).
    #[schema(value_type = Option<JoinReason>)]
    pub join_reason: Option<String>,
    /// 增加时间: the day the member joined, with `join_reason`.
    pub joined_on: Option<chrono::NaiveDate>,
    /// Set when the member left the household (the record is kept).
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// 减少原因: why the member left.
    #[schema(value_type = Option<RemovalReason>)]
    pub removed_reason: Option<String>,
    /// 减少时间: the day the member left, with `removed_reason`.
    pub left_on: Option<chrono::NaiveDate>,
}

impl MemberView {
    pub fn from_row(m: &MemberRow, crypto: &Crypto, full: bool) -> Self {
        let id = m.id_number_enc.as_deref().map(|e| crypto.open(e).unwrap_or_default());
        let phone = m.phone_enc.as_deref().and_then(|p| crypto.open(p).ok());
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            relation: Relation::parse(&m.relation).unwrap_or(Relation::Other),
            sex: Sex::parse(&m.sex).unwrap_or(Sex::Male),
            birth_date: m.birth_date,
            id_number: id.map(|id| if full { id } else { mask_id_number(&id) }),
            no_id_reason: m.no_id_reason.clone(),
            phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
            join_reason: m.join_reason.clone(),
            joined_on: m.joined_on,
            removed_at: m.removed_at.map(utc),
            removed_reason: m.removed_reason.clone(),
            left_on: m.left_on,
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
    /// 户基本情况: 识别年度, 纳入监测时间, 脱贫年度, 风险消除, 返贫原因, status flags.
    pub profile: Profile,
    /// The current pairing 帮扶责任人 (single reads and sync; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing: Option<super::pairings::PairingView>,
    /// Version for `If-Match` (also the `ETag`).
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page of `HouseholdView`s (`services::Page`).
pub type HouseholdPage = Page<HouseholdView>;

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
            profile: Profile::from_stored(&h.profile),
            pairing: None,
            version: h.version,
            created_at: utc(h.created_at),
            updated_at: utc(h.updated_at),
        }
    }
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
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List households 户
///
/// Households in the caller's jurisdiction; ID and phone numbers masked.
///
/// Filter by division, category, whether a home location exists, and `q` (part of the head's name
/// or the household number); paged by `cursor`, `limit` 1–500. A phone that works offline keeps its
/// households with `/sync` instead.
#[utoipa::path(operation_id = "list_households", tag = "households", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = HouseholdPage),
    (status = 400, description = "tampered cursor", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "division outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households")]
pub async fn list(state: Data<AppState>, user: Caller, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
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
        counted: None,
        has_location: q.has_location,
        q: q.q,
        after: cursor::decode(q.cursor.as_deref())?,
        limit: crate::api::page_limit(q.limit)?,
    };
    let listed = service::list(&state, scope, filter).await?;
    Ok(HttpResponse::Ok().json(masked_page(&state.crypto, listed)))
}

/// A page of households with their current members, numbers masked.
pub fn masked_page(crypto: &Crypto, Listed { page, members }: Listed) -> Page<HouseholdView> {
    page.map(|h| HouseholdView::build(&h, &members, crypto, false))
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct MemberBody {
    /// 姓名
    #[validate(required, length(max = 40))]
    #[schema(value_type = String)]
    pub name: Option<String>,
    /// 18-character ID number (GB 11643); a lower-case x and spaces are accepted. Required
    /// unless `no_id_reason` says why there is none.
    pub id_number: Option<String>,
    /// 无身份证号码原因, instead of `id_number` for a member without one (无户籍人口: a newborn not
    /// yet registered, …); then `sex` and `birth_date` are required.
    #[schema(value_type = Option<NoIdReason>)]
    pub no_id_reason: Option<String>,
    #[validate(required)]
    #[schema(value_type = Relation)]
    pub relation: Option<String>,
    /// Must agree with the ID number when given; required without one.
    #[schema(value_type = Option<Sex>)]
    pub sex: Option<String>,
    /// Must agree with the ID number when given; required without one (not in the future).
    pub birth_date: Option<chrono::NaiveDate>,
    pub phone: Option<String>,
    /// 增加原因 of a member joining a recorded household (natural increase 自然增加).
    #[schema(value_type = Option<JoinReason>)]
    pub join_reason: Option<String>,
    /// 增加时间, with `join_reason`: default the birth date for `birth`, else today; not before
    /// the birth, not in the future.
    pub joined_on: Option<chrono::NaiveDate>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateHouseholdBody {
    /// 行政村 code inside your jurisdiction.
    #[validate(required)]
    #[schema(value_type = String)]
    pub village_code: Option<String>,
    /// 户编号; generated (village code + 4 digits) when absent.
    pub number: Option<String>,
    #[validate(length(max = 200))]
    pub address: Option<String>,
    /// `ordinary` 一般农户: other categories come from cases (inclusion, exit …); only a county
    /// admin migrating existing data gives another, with `origin`.
    #[validate(required)]
    #[schema(value_type = Category)]
    pub category: Option<String>,
    /// Where the category comes from (a county admin's data migration: which register, which
    /// year); required with a category other than `ordinary`; audited.
    #[validate(length(max = 500))]
    pub origin: Option<String>,
    /// Exactly one member with `relation: "head"`.
    #[validate(required, nested)]
    #[schema(value_type = Vec<MemberBody>)]
    pub members: Option<Vec<MemberBody>>,
    /// UUID chosen by the device: repeating the request returns the first result.
    pub client_id: Option<String>,
    /// 户基本情况 (optional).
    #[validate(nested)]
    pub profile: Option<ProfileBody>,
}

/// A household's profile as sent (see `HouseholdProfile` for each field); on a change, the
/// whole profile: a field left out is cleared.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ProfileBody {
    /// 识别年度
    pub identified_year: Option<i32>,
    /// 纳入监测时间
    pub monitoring_included_on: Option<chrono::NaiveDate>,
    /// 脱贫年度
    pub lifted_out_year: Option<i32>,
    /// 风险消除时间
    pub risk_eliminated_on: Option<chrono::NaiveDate>,
    /// 消除方式
    #[schema(value_type = Option<EliminationWay>)]
    pub risk_elimination_way: Option<String>,
    /// 返贫原因
    pub fallback_reason: Option<String>,
    /// 户属性
    #[schema(value_type = Option<Vec<HouseholdFlag>>)]
    pub flags: Option<Vec<String>>,
    /// 安置点 (with the flag `relocated`)
    #[validate(length(max = 100))]
    pub resettlement_site: Option<String>,
}

fn parse_profile(p: Option<&ProfileBody>, today: chrono::NaiveDate, errs: &mut FieldErrors) -> Option<Profile> {
    let p = p?;
    let input = ProfileInput {
        identified_year: p.identified_year,
        monitoring_included_on: p.monitoring_included_on,
        lifted_out_year: p.lifted_out_year,
        risk_eliminated_on: p.risk_eliminated_on,
        risk_elimination_way: p.risk_elimination_way.clone(),
        fallback_reason: p.fallback_reason.clone(),
        flags: p.flags.clone().unwrap_or_default(),
        resettlement_site: p.resettlement_site.clone(),
    };
    crate::domain::household_profile::parse("profile", &input, today, errs)
}

pub(super) fn parse_member(prefix: &str, m: &MemberBody, today: chrono::NaiveDate, errs: &mut FieldErrors) -> Option<NewMember> {
    let name = m.name.as_deref().map(|n| errs.check(format!("{prefix}name"), parse_person_name(n))).flatten();
    let relation = m.relation.as_deref().map(|r| errs.check(format!("{prefix}relation"), Relation::parse(r))).flatten();
    let sex = m.sex.as_deref().map(|s| errs.check(format!("{prefix}sex"), Sex::parse(s))).flatten();
    let phone = m.phone.as_deref().filter(|p| !p.trim().is_empty()).map(|p| errs.check(format!("{prefix}phone"), Phone::parse(p))).flatten();
    let join_reason = m.join_reason.as_deref().map(|r| errs.check(format!("{prefix}join_reason"), JoinReason::parse(r))).flatten();
    if m.joined_on.is_some() && m.join_reason.is_none() {
        errs.add(format!("{prefix}join_reason"), "required", "a joining date goes with the reason of the joining (增加原因)");
    }
    let (identity, sex, birth_date) = member_identity(prefix, m, sex, today, errs)?;
    let joined = match join_reason {
        Some(r) => Some(errs.check(format!("{prefix}joined_on"), Joined::parse(r, m.joined_on, birth_date, today))?),
        None => None,
    };
    Some(NewMember { name: name?, identity, relation: relation?, sex, birth_date, phone, joined })
}

/// The member's identity (`domain::member::identity`), its problems under the member's fields.
fn member_identity(prefix: &str, m: &MemberBody, sex: Option<Sex>, today: chrono::NaiveDate, errs: &mut FieldErrors) -> Option<(Identity, Sex, chrono::NaiveDate)> {
    match crate::domain::member::identity(m.id_number.as_deref(), m.no_id_reason.as_deref(), sex, m.birth_date, today) {
        Ok(v) => Some(v),
        Err(problems) => {
            for (field, e) in problems {
                errs.add(format!("{prefix}{field}"), e.code, e.message);
            }
            None
        }
    }
}

fn parse_create(body: Checked<CreateHouseholdBody>, today: chrono::NaiveDate) -> Result<NewHousehold, ApiError> {
    let (b, mut errs) = body.into_parts();
    let village = b.village_code.as_deref().map(|v| errs.check("village_code", DivisionCode::parse(v))).flatten();
    if village.as_ref().is_some_and(|v| v.level() != crate::domain::Level::Village) {
        errs.add("village_code", "not_a_village", "households belong to an administrative village (12-digit village code)");
    }
    let number = b.number.as_deref().map(|n| errs.check("number", parse_household_number(n))).flatten();
    let address = errs.check("address", optional_text(b.address.as_deref(), 200)).flatten();
    let category = b.category.as_deref().map(|c| errs.check("category", Category::parse(c))).flatten();
    let origin = errs.check("origin", optional_text(b.origin.as_deref(), 500)).flatten();
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let profile = parse_profile(b.profile.as_ref(), today, &mut errs).unwrap_or_default();
    // Absent: refused as required by the declarative rules.
    let given = b.members.as_deref().unwrap_or_default();
    if b.members.as_ref().is_some_and(Vec::is_empty) {
        errs.add("members", "required", "a household has at least its head");
    }
    if given.len() > 30 {
        errs.add("members", "too_many", "at most 30 members");
    }
    let members: Vec<Option<NewMember>> =
        given.iter().enumerate().map(|(i, m)| parse_member(&format!("members[{i}]."), m, today, &mut errs)).collect();
    let relations: Vec<Relation> = given.iter().filter_map(|m| m.relation.as_deref().and_then(|r| Relation::parse(r).ok())).collect();
    if !given.is_empty() && relations.len() == given.len() {
        errs.check("members", crate::domain::household::check_single_head(&relations));
    }
    let parsed: Vec<NewMember> = members.into_iter().flatten().collect();
    for (i, m) in parsed.iter().enumerate() {
        if m.id_number().is_some() && parsed[..i].iter().any(|o| o.id_number() == m.id_number()) {
            errs.add(format!("members[{i}].id_number"), "duplicate", "the same ID number appears twice in this household");
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (Some(village), Some(category)) = (village, category) else { return Err(errs.into()) };
    Ok(NewHousehold { village, number, address, category, members: parsed, client_id, profile, origin })
}

/// The full record as the caller may see it (full numbers or masked), with its pairing.
pub fn record_view(crypto: &Crypto, r: Record) -> HouseholdView {
    let mut view = HouseholdView::build(&r.household, &r.members, crypto, r.full_numbers);
    view.pairing = r.pairing.map(|(p, cd)| super::pairings::PairingView::build(&p, &cd));
    view
}

/// The household as a write left it, with its version as `ETag`.
pub fn written(state: &AppState, status: StatusCode, r: Record) -> HttpResponse {
    let view = record_view(&state.crypto, r);
    HttpResponse::build(status).insert_header(etag(view.version)).json(view)
}

/// Register a household
///
/// Register a household with its members in one step (village officer and above).
///
/// A new household is `ordinary` 一般农户; its category then changes only through cases. A county
/// admin migrating existing data may give any category with `origin` (audited); otherwise 422.
///
/// Exactly one member is the head (户主). Without `number` the server gives the village's next 户编号.
/// ID numbers are checked (18 characters, the check digit; a lowercase x is read as X).
#[utoipa::path(operation_id = "create_household", tag = "households", security(("bearer" = [])), request_body = CreateHouseholdBody, responses(
    (status = 201, body = HouseholdView, headers(("Location" = String, description = "the household's path, `/api/v1/households/{id}`"))),
    (status = 200, description = "the same client_id was sent before: the first result", body = HouseholdView, headers(("Location" = String, description = "the household's path"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "village outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "an ID number or the number is already registered", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households")]
pub async fn create(state: Data<AppState>, user: Caller, body: Checked<CreateHouseholdBody>) -> Result<HttpResponse, ApiError> {
    let new = parse_create(body, state.today())?;
    let (status, record) = match service::create(&state, &user, new).await? {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    };
    let view = record_view(&state.crypto, record);
    Ok(HttpResponse::build(status)
        .insert_header(etag(view.version))
        .insert_header(("Location", format!("/api/v1/households/{}", view.id)))
        .json(view))
}

/// Read a household
///
/// The full record; ID and phone numbers unmasked for a county admin, a township reviewer and the
/// paired cadre, masked for other roles. A read with full numbers is audited.
///
/// The answer's `ETag` is the version to send back in `If-Match` when changing the household or its
/// members.
#[utoipa::path(operation_id = "get_household", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses(
    (status = 200, body = HouseholdView, headers(("ETag" = String, description = "the version"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}")]
pub async fn get_one(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let view = record_view(&state.crypto, service::get(&state, &user, path_id(&id)?).await?);
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateHouseholdBody {
    /// 户编号
    pub number: Option<String>,
    /// Empty text clears it.
    #[validate(length(max = 200))]
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
    /// 户基本情况: the whole profile, replacing the one kept (a field left out is cleared).
    #[validate(nested)]
    pub profile: Option<ProfileBody>,
    /// Not changeable here: 422 naming the case kind to open (categories change only through cases).
    #[schema(value_type = Option<Category>)]
    pub category: Option<serde_json::Value>,
    /// Not changeable here: 422 naming the case kind to open.
    #[schema(value_type = Option<String>)]
    pub risk_status: Option<serde_json::Value>,
    /// Not changeable here: 422 naming the case kind to open.
    #[schema(value_type = Option<Vec<String>>)]
    pub risk_types: Option<serde_json::Value>,
}

/// Change a household
///
/// Change a household (village officer and above); needs `If-Match`.
///
/// Send only the fields to change. A stale `If-Match` answers 412 and changes nothing; a missing
/// one answers 428. The category, risk status and risk types change only through cases (422
/// `changed_by_case` naming the kind to open).
#[utoipa::path(operation_id = "update_household", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("If-Match" = String, Header, description = "ETag of the household")), request_body = UpdateHouseholdBody, responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/households/{id}")]
pub async fn update(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<UpdateHouseholdBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (b, mut errs) = body.into_parts();
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
    let profile = parse_profile(b.profile.as_ref(), state.today(), &mut errs);
    for (field, sent) in [("category", &b.category), ("risk_status", &b.risk_status), ("risk_types", &b.risk_types)] {
        if sent.is_some() {
            let kinds = crate::domain::procedure::opening::case_for(field);
            errs.add(field, "changed_by_case", format!("{field} changes only through a case 程序: open one ({kinds}) with POST /cases"));
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let changes = HouseholdChanges { number, address, head, natural_village, former_village, profile };
    let record = service::update(&state, &user, id, Precondition::new(if_match(&req)), changes).await?;
    Ok(written(&state, StatusCode::OK, record))
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
    /// The fields of the record before (personal numbers masked); which fields depends on
    /// `entity_type` and `action`.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub before: Option<serde_json::Value>,
    /// The fields after, in the same form.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub after: Option<serde_json::Value>,
}

/// A page of `HistoryEntry`s (`services::Page`).
pub type HistoryEntryPage = Page<HistoryEntry>;

impl From<AuditRow> for HistoryEntry {
    fn from(a: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self { id: a.id, at: utc(a.at), actor: a.actor_name, action: a.action, entity_type: a.entity_type, entity_id: a.entity_id, before: parse(a.before_json), after: parse(a.after_json) }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Also list reads of the full record (who looked at the personal data).
    pub include_reads: Option<bool>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A household's history
///
/// The household's audit trail, newest first.
///
/// Who changed what and when: creates, updates, member changes and reads with full numbers. Paged
/// by `cursor`.
#[utoipa::path(operation_id = "household_history", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), HistoryQuery), responses(
    (status = 200, body = HistoryEntryPage),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/history")]
pub async fn history(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<HistoryQuery>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let before = cursor::decode(q.cursor.as_deref())?;
    let limit = crate::api::page_limit(q.limit)?;
    let page = service::history(&state, &user, id, q.include_reads.unwrap_or(false), before, limit).await?;
    Ok(HttpResponse::Ok().json(page.map(HistoryEntry::from)))
}
