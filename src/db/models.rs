//! Rows as stored (`*Row`) and as inserted (`New*Row`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;

/// `Debug` leaves the password hash out (an argon2 hash can be attacked offline).
#[derive(Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub jurisdiction: String,
    pub phone_enc: Option<String>,
    pub work_unit: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Raised when the user's sessions end (logout, password change or reset, a reused refresh
    /// token): access tokens of an older generation are refused. Never written by a row
    /// update, so a concurrent edit cannot lower it.
    #[diesel(skip_update)]
    pub token_generation: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("jurisdiction", &self.jurisdiction)
            .field("phone_enc", &self.phone_enc)
            .field("work_unit", &self.work_unit)
            .field("disabled", &self.disabled)
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("token_generation", &self.token_generation)
            .finish()
    }
}

impl UserRow {
    /// A new enabled user at version 1.
    pub fn new(username: &str, password_hash: String, display_name: &str, role: &str, jurisdiction: &str) -> Self {
        let at = super::now();
        Self {
            id: super::new_id(),
            username: username.to_owned(),
            password_hash,
            display_name: display_name.to_owned(),
            role: role.to_owned(),
            jurisdiction: jurisdiction.to_owned(),
            phone_enc: None,
            work_unit: None,
            disabled: false,
            version: 1,
            created_at: at,
            updated_at: at,
            token_generation: 0,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = divisions)]
#[diesel(treat_none_as_default_value = false)]
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    /// For a village merged into another: the code it was merged into.
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = households)]
#[diesel(treat_none_as_null = true)]
// None is NULL in an insert too (not DEFAULT): one statement text, kept in the prepared-statement cache.
#[diesel(treat_none_as_default_value = false)]
pub struct HouseholdRow {
    pub id: String,
    pub client_id: Option<String>,
    pub number: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub address: Option<String>,
    pub category: String,
    pub head_name: String,
    pub has_location: bool,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub home_location_id: Option<String>,
    pub home_lat: Option<f64>,
    pub home_lon: Option<f64>,
    pub home_accuracy_m: Option<f64>,
    pub home_captured_at: Option<NaiveDateTime>,
    pub pending_move_id: Option<String>,
    pub last_capture_low_accuracy: bool,
    /// The village before a merger (合并前行政村), when the household was moved by one.
    pub former_village_code: Option<String>,
    /// 自然村/组 within the village.
    pub natural_village_id: Option<String>,
    /// Change sequence for phone sync; only `repo::sync::stamp` writes it.
    #[diesel(skip_update)]
    pub sync_seq: i64,
    /// 风险消除 status of a monitoring object: `not_eliminated` or `eliminated`.
    pub risk_status: Option<String>,
    /// JSON array of risk types.
    pub risk_types: Option<String>,
    /// The profile (JSON, `domain::household_profile::Profile`).
    pub profile: String,
}

impl HouseholdRow {
    /// A new household at version 1 with no home yet.
    pub fn new(village: &crate::domain::DivisionCode, number: String, category: &str, head_name: &str, created_by: &str) -> Self {
        use crate::domain::Level;
        let at = super::now();
        Self {
            id: super::new_id(),
            client_id: None,
            number,
            village_code: village.to_string(),
            township_code: village.ancestor(Level::Township).map(|d| d.to_string()).unwrap_or_default(),
            county_code: village.ancestor(Level::County).map(|d| d.to_string()).unwrap_or_default(),
            address: None,
            category: category.to_owned(),
            head_name: head_name.to_owned(),
            has_location: false,
            version: 1,
            created_by: created_by.to_owned(),
            created_at: at,
            updated_at: at,
            home_location_id: None,
            home_lat: None,
            home_lon: None,
            home_accuracy_m: None,
            home_captured_at: None,
            pending_move_id: None,
            last_capture_low_accuracy: false,
            former_village_code: None,
            natural_village_id: None,
            sync_seq: 0,
            risk_status: None,
            risk_types: None,
            profile: "{}".into(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = members)]
#[diesel(treat_none_as_null = true)]
// None is NULL in an insert too (not DEFAULT): one statement text, kept in the prepared-statement cache.
#[diesel(treat_none_as_default_value = false)]
pub struct MemberRow {
    pub id: String,
    pub household_id: String,
    pub name: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    /// Absent for a member recorded without an ID number (`no_id_reason`).
    pub id_number_enc: Option<String>,
    pub id_number_hmac: Option<String>,
    pub phone_enc: Option<String>,
    pub removed_at: Option<NaiveDateTime>,
    /// The leave reason 减少原因 (`RemovalReason`).
    pub removed_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Why no ID number is recorded (`NoIdReason`).
    pub no_id_reason: Option<String>,
    /// 增加原因 (`JoinReason`) and 增加时间, of a member who joined after the household was recorded.
    pub join_reason: Option<String>,
    pub joined_on: Option<NaiveDate>,
    /// 减少时间, with `removed_at`.
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
// None is NULL (not DEFAULT): one statement text, kept in the prepared-statement cache.
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub household_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = locations)]
#[diesel(treat_none_as_default_value = false)]
pub struct LocationRow {
    pub id: String,
    pub household_id: String,
    pub client_id: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub orig_lat: f64,
    pub orig_lon: f64,
    pub orig_crs: String,
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub captured_at: NaiveDateTime,
    pub source: String,
    pub mock_location: bool,
    /// JSON array of flag names.
    pub flags: String,
    pub moved_m: Option<f64>,
    pub status: String,
    pub captured_by: String,
    pub captured_by_name: String,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = photos)]
#[diesel(treat_none_as_default_value = false)]
pub struct PhotoRow {
    pub id: String,
    pub household_id: String,
    pub client_id: Option<String>,
    pub kind: String,
    pub year: i32,
    pub taken_at: NaiveDateTime,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    /// The EXIF fields read (JSON).
    pub exif_json: String,
    /// The checks' results (JSON: position, source, distance, time_ok, has_exif_gps).
    pub checks_json: String,
    pub near_home: Option<bool>,
    /// JSON array of photo ids of other households with the same or a near-identical picture.
    pub duplicate_of: String,
    /// The 64-bit perceptual hash, bits as stored in a signed integer.
    pub phash: i64,
    pub phash_b0: i32,
    pub phash_b1: i32,
    pub phash_b2: i32,
    pub phash_b3: i32,
    /// ok, flagged, accepted, rejected.
    pub status: String,
    /// JSON array of reasons.
    pub reasons: String,
    /// The reviewer's decision (JSON: by, reason, at).
    pub review_json: Option<String>,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = yearly_records)]
#[diesel(treat_none_as_default_value = false)]
pub struct YearlyRow {
    pub id: String,
    pub household_id: String,
    pub year: i32,
    /// The validated `domain::yearly::YearRecord` as JSON.
    pub record_json: String,
    /// 人均纯收入 in fen 分.
    pub per_capita_net_income_fen: i64,
    /// 扣除刚性支出后人均收入 in fen 分.
    pub per_capita_after_rigid_expenses_fen: i64,
    pub version: i64,
    pub updated_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cadres)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct CadreRow {
    pub id: String,
    pub client_id: Option<String>,
    pub county_code: String,
    pub name: String,
    pub work_unit: String,
    pub phone_enc: Option<String>,
    pub id_number_enc: Option<String>,
    pub id_number_hmac: Option<String>,
    pub user_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pairings)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct PairingRow {
    pub id: String,
    pub client_id: Option<String>,
    pub household_id: String,
    pub cadre_id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = work_teams)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct WorkTeamRow {
    pub id: String,
    pub client_id: Option<String>,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub name: String,
    pub first_secretary_id: Option<String>,
    /// JSON array of cadre ids.
    pub member_ids: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = measures)]
#[diesel(treat_none_as_default_value = false)]
pub struct MeasureRow {
    pub id: String,
    pub client_id: Option<String>,
    pub household_id: String,
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = natural_villages)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct NaturalVillageRow {
    pub id: String,
    pub client_id: Option<String>,
    pub village_code: String,
    pub name: String,
    pub group_leader: Option<String>,
    pub population: Option<i32>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The yearly table of a place: an administrative village (`place_id` = its code) or a natural
/// village (`place_id` = its id).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = village_years)]
#[diesel(treat_none_as_default_value = false)]
pub struct PlaceYearRow {
    pub id: String,
    pub place_id: String,
    pub year: i32,
    pub record_json: String,
    pub version: i64,
    pub updated_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cases)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct CaseRow {
    pub id: String,
    pub client_id: Option<String>,
    pub household_id: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub kind: String,
    pub reason: String,
    /// JSON array.
    pub risk_types: String,
    pub target_category: Option<String>,
    pub stage: String,
    pub stage_since: NaiveDate,
    pub opened_on: NaiveDate,
    pub is_open: bool,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// 返贫原因 of a re-inclusion (one of the risk types).
    pub return_reason: Option<String>,
    /// A case opened from the risk screening 集中摸排: its statistical year and the criterion.
    pub screening_year: Option<i32>,
    pub screening_criterion: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_steps)]
#[diesel(treat_none_as_default_value = false)]
pub struct CaseStepRow {
    pub id: String,
    pub case_id: String,
    pub step: String,
    pub outcome: String,
    pub step_date: NaiveDate,
    /// JSON array of `{role, name}`.
    pub signatories: String,
    /// JSON array of `{department, result, note}` (cross-checks).
    pub departments: Option<String>,
    pub note: Option<String>,
    pub entered_by: String,
    pub entered_at: NaiveDateTime,
    /// JSON object: what the step carries besides (home-visit collectors, spot-check
    /// inspectors, an exit's eligibility and its override).
    pub details: Option<String>,
    /// The village batch the step was applied in (`POST /cases/batch-steps`).
    pub batch_id: Option<String>,
}

/// A county's campaign schedule 动态调整工作进度安排 of one year.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = campaign_schedules)]
#[diesel(treat_none_as_default_value = false)]
pub struct CampaignScheduleRow {
    pub id: String,
    pub county_code: String,
    pub year: i32,
    pub collection_by: NaiveDate,
    pub evaluation_by: NaiveDate,
    pub entry_by: NaiveDate,
    pub acceptance_by: NaiveDate,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = exclusions)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct ExclusionRow {
    pub id: String,
    pub household_id: String,
    pub condition: String,
    pub evidence: String,
    pub recorded_on: NaiveDate,
    pub recorded_by: String,
    pub approved_by: Option<String>,
    pub approval_reason: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
    pub lifted_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spot_checks)]
#[diesel(treat_none_as_default_value = false)]
pub struct SpotCheckRow {
    pub id: String,
    pub division_code: String,
    pub params_json: String,
    pub seed: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spot_check_items)]
#[diesel(treat_none_as_default_value = false)]
pub struct SpotCheckItemRow {
    pub id: String,
    pub spot_check_id: String,
    pub household_id: String,
    pub village_code: String,
    pub township_code: String,
    pub fully_surveyed: bool,
    pub identification_correct: Option<bool>,
    pub data_correct: Option<bool>,
    pub note: Option<String>,
    pub checked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = quality_runs)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct QualityRunRow {
    pub id: String,
    pub division_code: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub households: i64,
    pub hits: i64,
    pub opened: i64,
    pub reopened: i64,
    pub resolved: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = problems)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProblemRow {
    pub id: String,
    /// None for a problem of a whole village (recorded by people).
    pub household_id: Option<String>,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub rule_id: String,
    /// The member concerned, or empty for the household.
    pub subject: String,
    pub severity: String,
    pub detail: String,
    pub status: String,
    /// What the data looked like when the problem was last judged (a dismissed problem reopens
    /// only when it changes).
    pub fingerprint: String,
    pub deadline: NaiveDate,
    pub note: Option<String>,
    pub opened_run: String,
    pub last_run: String,
    pub resolved_run: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub status_changed_at: NaiveDateTime,
    pub status_changed_by: Option<String>,
    /// `cleaning` for the rules' problems, else who found it (`quality::people::Source`).
    pub source: String,
    pub category: Option<String>,
    pub guarantee: Option<String>,
    /// Who found it (a team, an auditor, a complainant's channel).
    pub found_by: Option<String>,
    pub found_on: Option<NaiveDate>,
    /// 整改措施
    pub measure: Option<String>,
    /// 责任人: a user, or a name.
    pub responsible_user_id: Option<String>,
    pub responsible_name: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = problem_evidence)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProblemEvidenceRow {
    pub id: String,
    pub problem_id: String,
    /// `photo` or `document`.
    pub kind: String,
    pub photo_id: Option<String>,
    pub document_id: Option<String>,
    /// `finding` or `completion`.
    pub purpose: String,
    pub progress_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = problem_progress)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProblemProgressRow {
    pub id: String,
    pub problem_id: String,
    pub noted_on: NaiveDate,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = problem_signoffs)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProblemSignoffRow {
    pub id: String,
    pub problem_id: String,
    /// `village_secretary` or `team_leader`.
    pub role: String,
    pub signer_name: String,
    pub signer_user_id: Option<String>,
    pub recorded_by: String,
    pub signed_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_users_debug_output_leaves_the_password_hash_out() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
        let shown = format!("{:?}", super::UserRow::new("wang", hash.into(), "王", "cadre", "610831101201"));
        assert!(!shown.contains("argon2id") && shown.contains("wang") && shown.contains("[redacted]"), "{shown}");
    }
}

/// A document of a household's file 一户一档; its bytes are in the object store.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
#[diesel(treat_none_as_default_value = false)]
pub struct DocumentRow {
    pub id: String,
    pub household_id: String,
    /// `DocumentKind`.
    pub kind: String,
    pub year: i32,
    /// application/pdf, image/jpeg or image/png, as sniffed from the bytes.
    pub media_type: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub created_at: NaiveDateTime,
}

/// A document of the household's file attached to one of its cases (and step).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_documents)]
#[diesel(treat_none_as_default_value = false)]
pub struct CaseDocumentRow {
    pub id: String,
    pub case_id: String,
    pub document_id: String,
    /// The step it belongs to (`Step`), if any, and that step's date (a publicity's posting day).
    pub step: Option<String>,
    pub step_date: Option<NaiveDate>,
    /// A JPEG's EXIF date (in the service zone), when it has one.
    pub exif_taken_on: Option<NaiveDate>,
    /// Why it is suspect (`taken_before_posting`), if it is.
    pub flag: Option<String>,
    pub linked_by: String,
    pub created_at: NaiveDateTime,
}
