//! Photo rows: scoped like households (each photo carries its household's division codes),
//! duplicate search by SHA-256 and perceptual-hash bands, the review queue, photo coverage.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::PhotoRow;
use crate::db::schema::photos;
use crate::db::{DbConnection, DbError, filters, now, write_tx};
use crate::domain::household::Counted;
use crate::domain::photo::EDIT_TRACES;
use crate::domain::{DivisionCode, Level, Scope};
use crate::photos::hash::{NEAR_COPY_BITS, bands, hamming};

pub fn find(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<PhotoRow, DbError> {
    photos::table
        .filter(filters::photos::in_scope(scope))
        .filter(photos::id.eq(id))
        .select(PhotoRow::as_select())
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// The photo first uploaded with `client_id`, if it belongs to this household.
pub fn by_client_id(c: &mut DbConnection, household_id: &str, client_id: &str) -> Result<Option<PhotoRow>, DbError> {
    let row: Option<PhotoRow> =
        photos::table.filter(photos::client_id.eq(client_id)).select(PhotoRow::as_select()).first(c).optional()?;
    match row {
        Some(r) if r.household_id == household_id => Ok(Some(r)),
        Some(_) => Err(DbError::Conflict("this client_id was used for another household's photo".into())),
        None => Ok(None),
    }
}

/// Photos of *other* households of the same county with the same bytes or a near-identical
/// picture (any status but rejected), searched through indexes only. Never across counties: the
/// answer names photo ids, which would tell one county of another's photos.
pub fn duplicates(c: &mut DbConnection, county: &str, household_id: &str, sha256: &str, phash: u64) -> QueryResult<Vec<String>> {
    let [b0, b1, b2, b3] = bands(phash);
    let candidates: Vec<(String, String, i64)> = photos::table
        .filter(photos::county_code.eq(county))
        .filter(photos::household_id.ne(household_id))
        .filter(photos::status.ne("rejected"))
        .filter(
            photos::sha256
                .eq(sha256)
                .or(photos::phash_b0.eq(b0))
                .or(photos::phash_b1.eq(b1))
                .or(photos::phash_b2.eq(b2))
                .or(photos::phash_b3.eq(b3)),
        )
        .select((photos::id, photos::sha256, photos::phash))
        .limit(200)
        .load(c)?;
    Ok(candidates
        .into_iter()
        .filter(|(_, sha, ph)| sha == sha256 || hamming(*ph as u64, phash) <= NEAR_COPY_BITS)
        .map(|(id, _, _)| id)
        .collect())
}

pub fn insert(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: &PhotoRow) -> Result<(), DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        diesel::insert_into(photos::table).values(row).execute(c)?;
        let after = json!({"photo_id": row.id, "kind": row.kind, "year": row.year, "sha256": row.sha256, "status": row.status, "reasons": serde_json::from_str::<serde_json::Value>(&row.reasons).ok()});
        audit::append(c, actor, Entry { action: "photo_upload", entity_type: "photo", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(after) })?;
        Ok(())
    })
}

pub fn for_household(c: &mut DbConnection, scope: &Scope, household_id: &str, year: Option<i32>) -> Result<Vec<PhotoRow>, DbError> {
    households::get(c, scope, household_id)?;
    let mut q = photos::table.filter(photos::household_id.eq(household_id)).into_boxed();
    if let Some(y) = year {
        q = q.filter(photos::year.eq(y));
    }
    Ok(q.order(photos::id.asc()).select(PhotoRow::as_select()).load(c)?)
}

/// The review queue of a division, oldest first.
pub fn queue(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, status: &str, after: Option<&str>, limit: i64) -> QueryResult<Vec<PhotoRow>> {
    let mut q = photos::table.filter(filters::photos::in_scope(scope)).filter(filters::photos::in_division(division)).filter(photos::status.eq(status.to_owned())).into_boxed();
    if let Some(a) = after {
        q = q.filter(photos::id.gt(a.to_owned()));
    }
    q.order(photos::id.asc()).limit(limit).select(PhotoRow::as_select()).load(c)
}

pub fn review(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, accepted: bool, reason: &str) -> Result<PhotoRow, DbError> {
    write_tx(c, |c| {
        let before = find(c, scope, id)?;
        let status = if accepted { "accepted" } else { "rejected" };
        let review = json!({"by": actor.name, "reason": reason, "at": now().and_utc()}).to_string();
        diesel::update(photos::table.find(id)).set((photos::status.eq(status), photos::review_json.eq(Some(review.clone())))).execute(c)?;
        let after = json!({"status": status, "reason": reason});
        audit::append(c, actor, Entry { action: "photo_review", entity_type: "photo", entity_id: id, household_id: Some(&before.household_id), before: Some(json!({"status": before.status})), after: Some(after) })?;
        let mut next = before;
        next.status = status.into();
        next.review_json = Some(review);
        Ok(next)
    })
}

/// Which of these photo ids have a row (object garbage collection).
pub fn existing(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(photos::table.filter(photos::id.eq_any(chunk)).select(photos::id).load::<String>(c)?);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoCounts {
    pub sets_complete: i64,
    pub far: i64,
    pub flagged: i64,
    /// Photos (not rejected) with a trace of editing: an editor, a preview of another picture,
    /// EXIF time against the GPS clock, EXIF GPS against the phone's position.
    pub edited: i64,
}

impl PhotoCounts {
    pub fn add(&mut self, o: &PhotoCounts) {
        self.sets_complete += o.sets_complete;
        self.far += o.far;
        self.flagged += o.flagged;
        self.edited += o.edited;
    }
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sets_complete: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    far: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    flagged: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    edited: i64,
}

/// Photo figures per child of `division` for `year`, counted in SQL. The values are inlined:
/// they are a validated 12-digit code, an integer and constants (bind syntax differs between
/// the two backends in raw SQL).
pub fn coverage(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, counted: Counted, year: i32) -> QueryResult<Vec<(String, PhotoCounts)>> {
    let group = match division.level() {
        Level::Township | Level::Village => "village_code",
        _ => "township_code",
    };
    let mut within = format!("{} AND {}", filters::division_sql(scope.division()), filters::division_sql(division));
    if let Some(categories) = counted.categories() {
        // Category names are the domain's constants.
        let list = categories.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
        within.push_str(&format!(" AND household_id IN (SELECT id FROM households WHERE category IN ({list}))"));
    }
    if let Some(user) = scope.cadre_user() {
        // A user id is a UUID (checked, so it can be inlined like the codes).
        let user = uuid::Uuid::parse_str(user).map_err(|_| diesel::result::Error::NotFound)?;
        within.push_str(&format!(
            " AND household_id IN (SELECT p.household_id FROM pairings p JOIN cadres c ON c.id = p.cadre_id \
               WHERE c.user_id = '{user}' AND p.end_date IS NULL)"
        ));
    }
    // The reasons are stored as a JSON array of the domain's names (constants, inlined).
    let edited = EDIT_TRACES.iter().map(|r| format!("reasons LIKE '%\"{}\"%'", r.as_str())).collect::<Vec<_>>().join(" OR ");
    let sql = format!(
        "SELECT code, CAST(SUM(sets_complete) AS BIGINT) AS sets_complete, CAST(SUM(far) AS BIGINT) AS far, \
           CAST(SUM(flagged) AS BIGINT) AS flagged, CAST(SUM(edited) AS BIGINT) AS edited FROM ( \
           SELECT {group} AS code, household_id, \
             CASE WHEN COUNT(DISTINCT CASE WHEN status <> 'rejected' THEN kind END) = 6 THEN 1 ELSE 0 END AS sets_complete, \
             SUM(CASE WHEN near_home = FALSE AND status <> 'rejected' THEN 1 ELSE 0 END) AS far, \
             SUM(CASE WHEN status = 'flagged' THEN 1 ELSE 0 END) AS flagged, \
             SUM(CASE WHEN status <> 'rejected' AND ({edited}) THEN 1 ELSE 0 END) AS edited \
           FROM photos WHERE {within} AND year = {year} GROUP BY {group}, household_id \
         ) per_household GROUP BY code"
    );
    let rows: Vec<CountRow> = diesel::sql_query(sql).load(c)?;
    Ok(rows.into_iter().map(|r| (r.code, PhotoCounts { sets_complete: r.sets_complete, far: r.far, flagged: r.flagged, edited: r.edited })).collect())
}
