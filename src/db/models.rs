//! Rows as stored (`*Row`) and as inserted (`New*Row`).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
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
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
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
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = households)]
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
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = members)]
#[diesel(treat_none_as_null = true)]
pub struct MemberRow {
    pub id: String,
    pub household_id: String,
    pub name: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub id_number_enc: String,
    pub id_number_hmac: String,
    pub phone_enc: Option<String>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
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
