//! Assistance projects 项目管理: a project of villages of one county, its investment and its
//! beneficiary households. A project is seen where one of its villages is (a cadre: the
//! villages of the households paired with them) and changed only by a caller whose
//! jurisdiction holds all of its villages.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::households;
use super::Created;
use crate::db::schema::{households as h, project_beneficiaries as pb, project_villages as pv, projects as p};
use crate::db::{DbConnection, DbError, filters, now, write_tx};
use crate::domain::{DivisionCode, Level, Scope};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = p)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProjectRow {
    pub id: String,
    pub client_id: Option<String>,
    pub county_code: String,
    pub category: String,
    pub name: String,
    pub year: i32,
    pub status: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub total_fen: i64,
    pub central_fen: i64,
    pub provincial_fen: i64,
    pub county_fen: i64,
    pub other_fen: i64,
    pub description: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pv)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProjectVillageRow {
    pub project_id: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pb)]
#[diesel(treat_none_as_default_value = false)]
pub struct BeneficiaryRow {
    pub project_id: String,
    pub household_id: String,
    pub benefit_fen: Option<i64>,
    pub added_by: String,
    pub added_at: NaiveDateTime,
}

/// A beneficiary as shown: the household's number and village (households in the caller's
/// scope only).
#[derive(Debug, Clone)]
pub struct Beneficiary {
    pub household_id: String,
    pub number: String,
    pub village_code: String,
    pub benefit_fen: Option<i64>,
}

/// A project with its villages and the beneficiaries the caller may see.
#[derive(Debug, Clone)]
pub struct Project {
    pub row: ProjectRow,
    pub villages: Vec<String>,
    pub beneficiaries: Vec<Beneficiary>,
}

/// What a create or a change sets (the service merged a change into the stored project).
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub row: ProjectRow,
    pub villages: Vec<DivisionCode>,
}

/// The villages a scope sees projects in: `None` for every village of its division, the
/// villages of the paired households for a cadre.
fn cadre_villages(c: &mut DbConnection, scope: &Scope) -> QueryResult<Option<Vec<String>>> {
    if scope.cadre_user().is_none() {
        return Ok(None);
    }
    let mut v: Vec<String> = h::table.filter(filters::households::in_scope(scope)).select(h::village_code).distinct().load(c)?;
    v.sort();
    Ok(Some(v))
}

fn visible(c: &mut DbConnection, scope: &Scope, villages: &[String]) -> QueryResult<bool> {
    Ok(match cadre_villages(c, scope)? {
        Some(mine) => villages.iter().any(|v| mine.contains(v)),
        None => villages.iter().any(|v| DivisionCode::parse(v).is_ok_and(|d| scope.covers(&d))),
    })
}

fn villages_of(c: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
    pv::table.filter(pv::project_id.eq(id)).order(pv::village_code).select(pv::village_code).load(c)
}

fn beneficiaries_of(c: &mut DbConnection, scope: &Scope, id: &str) -> QueryResult<Vec<Beneficiary>> {
    let rows: Vec<BeneficiaryRow> = pb::table.filter(pb::project_id.eq(id)).select(BeneficiaryRow::as_select()).load(c)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.household_id.as_str()).collect();
    let seen: Vec<(String, String, String)> = h::table.filter(filters::households::in_scope(scope)).filter(h::id.eq_any(ids)).select((h::id, h::number, h::village_code)).load(c)?;
    let mut out: Vec<Beneficiary> = rows
        .into_iter()
        .filter_map(|r| {
            let (_, number, village) = seen.iter().find(|s| s.0 == r.household_id)?;
            Some(Beneficiary { household_id: r.household_id, number: number.clone(), village_code: village.clone(), benefit_fen: r.benefit_fen })
        })
        .collect();
    out.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(out)
}

/// A project in scope (404 otherwise), with its villages and visible beneficiaries.
pub fn get(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<Project, DbError> {
    let row: ProjectRow = p::table.find(id).select(ProjectRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    let villages = villages_of(c, id)?;
    if !visible(c, scope, &villages)? {
        return Err(DbError::NotFound);
    }
    let beneficiaries = beneficiaries_of(c, scope, id)?;
    Ok(Project { row, villages, beneficiaries })
}

/// Filters of a project list.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub division: Option<DivisionCode>,
    pub year: Option<i32>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

/// Projects with a village in the division (default: the scope's), by id.
pub fn list(c: &mut DbConnection, scope: &Scope, f: &ProjectFilter) -> Result<Vec<Project>, DbError> {
    let mut in_villages = pv::table.select(pv::project_id).into_boxed();
    if let Some(d) = &f.division {
        in_villages = in_villages.filter(filters::project_villages::in_division(d));
    }
    // A cadre's pairings may lie outside their account's division: the villages decide.
    match cadre_villages(c, scope)? {
        Some(mine) => in_villages = in_villages.filter(pv::village_code.eq_any(mine)),
        None => in_villages = in_villages.filter(filters::project_villages::in_division(scope.division())),
    }
    let ids: Vec<String> = in_villages.distinct().load(c)?;
    let mut q = p::table.filter(p::id.eq_any(ids)).into_boxed();
    if let Some(y) = f.year {
        q = q.filter(p::year.eq(y));
    }
    if let Some(cat) = &f.category {
        q = q.filter(p::category.eq(cat.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(p::status.eq(s.clone()));
    }
    if let Some(a) = &f.after {
        q = q.filter(p::id.gt(a.clone()));
    }
    let rows: Vec<ProjectRow> = q.order(p::id.asc()).limit(f.limit).select(ProjectRow::as_select()).load(c)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let villages = villages_of(c, &row.id)?;
        let beneficiaries = beneficiaries_of(c, scope, &row.id)?;
        out.push(Project { row, villages, beneficiaries });
    }
    Ok(out)
}

/// Each village exists, lies in the scope (404: the caller names a place they do not hold)
/// and all in one county; rows of them for `project_id`.
fn village_rows(c: &mut DbConnection, scope: &Scope, project_id: &str, villages: &[DivisionCode]) -> Result<Vec<ProjectVillageRow>, DbError> {
    if villages.iter().any(|v| !scope.covers(v)) {
        return Err(DbError::NotFound);
    }
    let mut rows: Vec<ProjectVillageRow> = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        super::super::divisions::village_for(c, v, scope.division(), &format!("village_codes[{i}]"), false)?;
        if rows.iter().any(|r| r.village_code == v.as_str()) {
            continue;
        }
        rows.push(ProjectVillageRow {
            project_id: project_id.to_owned(),
            village_code: v.to_string(),
            township_code: v.ancestor(Level::Township).map(|d| d.to_string()).unwrap_or_default(),
            county_code: v.ancestor(Level::County).map(|d| d.to_string()).unwrap_or_default(),
        });
    }
    if rows.windows(2).any(|w| w[0].county_code != w[1].county_code) {
        return Err(DbError::invalid("village_codes", "other_county", "a project's villages lie in one county"));
    }
    Ok(rows)
}

fn audit_after(r: &ProjectRow, villages: &[String]) -> serde_json::Value {
    json!({"name": r.name, "category": r.category, "year": r.year, "status": r.status, "villages": villages, "total_fen": r.total_fen,
        "central_fen": r.central_fen, "provincial_fen": r.provincial_fen, "county_fen": r.county_fen, "other_fen": r.other_fen, "version": r.version})
}

/// Registers a project (a retry with the same `client_id` gets the first).
pub fn create(c: &mut DbConnection, scope: &Scope, actor: &Actor, input: ProjectInput) -> Result<Created<Project>, DbError> {
    write_tx(c, |c| {
        if let Some(cid) = &input.row.client_id {
            let existing: Option<String> = p::table.filter(p::client_id.eq(cid)).select(p::id).first(c).optional()?;
            if let Some(id) = existing {
                return get(c, scope, &id).map(Created::Existing).map_err(|_| DbError::Conflict("this client_id was used for another project".into()));
            }
        }
        let mut row = input.row.clone();
        let villages = village_rows(c, scope, &row.id, &input.villages)?;
        row.county_code = villages.first().map(|v| v.county_code.clone()).unwrap_or_default();
        diesel::insert_into(p::table).values(&row).execute(c)?;
        for v in &villages {
            diesel::insert_into(pv::table).values(v).execute(c)?;
        }
        let codes: Vec<String> = villages.into_iter().map(|v| v.village_code).collect();
        audit::append(c, actor, Entry { action: "project_create", entity_type: "project", entity_id: &row.id, household_id: None, before: None, after: Some(audit_after(&row, &codes)) })?;
        Ok(Created::New(Project { row, villages: codes, beneficiaries: Vec::new() }))
    })
}

/// Whether the scope holds every village of a project (who may change it).
pub fn holds_all(scope: &Scope, villages: &[String]) -> bool {
    scope.cadre_user().is_none() && villages.iter().all(|v| DivisionCode::parse(v).is_ok_and(|d| scope.covers(&d)))
}

/// Replaces a project's fields and villages if `expected` is its version; a village that
/// still has beneficiaries cannot leave (422).
pub fn update(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, expected: i64, input: ProjectInput) -> Result<Project, DbError> {
    write_tx(c, |c| {
        let before = get(c, scope, id)?;
        if !holds_all(scope, &before.villages) {
            return Err(DbError::NotFound);
        }
        if before.row.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        let villages = village_rows(c, scope, id, &input.villages)?;
        let codes: Vec<String> = villages.iter().map(|v| v.village_code.clone()).collect();
        let left: Vec<&String> = before.villages.iter().filter(|v| !codes.contains(v)).collect();
        let stranded: Vec<String> = pb::table.inner_join(h::table).filter(pb::project_id.eq(id)).filter(h::village_code.eq_any(&left)).select(h::number).load(c)?;
        if !stranded.is_empty() {
            return Err(DbError::invalid("village_codes", "has_beneficiaries", format!("beneficiaries live in a village left out: {}", stranded.join(", "))));
        }
        let mut next = input.row;
        next.id = id.to_owned();
        next.client_id = before.row.client_id.clone();
        next.county_code = before.row.county_code.clone();
        next.created_by = before.row.created_by.clone();
        next.created_at = before.row.created_at;
        next.version = expected + 1;
        next.updated_at = now();
        let n = diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        diesel::delete(pv::table.filter(pv::project_id.eq(id))).execute(c)?;
        for v in &villages {
            diesel::insert_into(pv::table).values(v).execute(c)?;
        }
        audit::append(c, actor, Entry { action: "project_update", entity_type: "project", entity_id: id, household_id: None, before: Some(audit_after(&before.row, &before.villages)), after: Some(audit_after(&next, &codes)) })?;
        let beneficiaries = beneficiaries_of(c, scope, id)?;
        Ok(Project { row: next, villages: codes, beneficiaries })
    })
}

/// Adds a beneficiary household: one the caller sees (else 422, the household is not named),
/// living in one of the project's villages (422), not already listed (409).
pub fn add_beneficiary(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, household_id: &str, benefit_fen: Option<i64>) -> Result<Project, DbError> {
    write_tx(c, |c| {
        let project = get(c, scope, id)?;
        if !holds_all(scope, &project.villages) {
            return Err(DbError::NotFound);
        }
        let household = households::get(c, scope, household_id).map_err(|e| match e {
            DbError::NotFound => DbError::invalid("household_id", "unknown_household", "no such household in your jurisdiction"),
            other => other,
        })?;
        if !project.villages.contains(&household.village_code) {
            return Err(DbError::invalid("household_id", "outside_project_villages", format!("the household lives in {}, not in a village of the project ({})", household.village_code, project.villages.join(", "))));
        }
        let there: i64 = pb::table.filter(pb::project_id.eq(id)).filter(pb::household_id.eq(household_id)).count().get_result(c)?;
        if there > 0 {
            return Err(DbError::Conflict("the household is a beneficiary of the project already".into()));
        }
        let row = BeneficiaryRow { project_id: id.to_owned(), household_id: household_id.to_owned(), benefit_fen, added_by: actor.name.clone().unwrap_or_default(), added_at: now() };
        diesel::insert_into(pb::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "project_beneficiary_add", entity_type: "project", entity_id: id, household_id: Some(household_id), before: None, after: Some(json!({"project": project.row.name, "benefit_fen": benefit_fen})) })?;
        get(c, scope, id)
    })
}

/// Removes a beneficiary (404 when the household is not one the caller sees listed).
pub fn remove_beneficiary(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, household_id: &str) -> Result<Project, DbError> {
    write_tx(c, |c| {
        let project = get(c, scope, id)?;
        if !holds_all(scope, &project.villages) {
            return Err(DbError::NotFound);
        }
        if !project.beneficiaries.iter().any(|b| b.household_id == household_id) {
            return Err(DbError::NotFound);
        }
        diesel::delete(pb::table.filter(pb::project_id.eq(id)).filter(pb::household_id.eq(household_id))).execute(c)?;
        audit::append(c, actor, Entry { action: "project_beneficiary_remove", entity_type: "project", entity_id: id, household_id: Some(household_id), before: Some(json!({"project": project.row.name})), after: None })?;
        get(c, scope, id)
    })
}

/// The projects a household benefits from (the household in scope, else 404), with its benefit.
pub fn of_household(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<Vec<(ProjectRow, Option<i64>)>, DbError> {
    households::get(c, scope, household_id)?;
    of_households(c, &[household_id.to_owned()]).map(|v| v.into_iter().map(|(_, p, b)| (p, b)).collect())
}

/// The projects of several households (exports, archives; the caller scoped the households).
pub fn of_households(c: &mut DbConnection, ids: &[String]) -> Result<Vec<(String, ProjectRow, Option<i64>)>, DbError> {
    let rows: Vec<(String, ProjectRow, Option<i64>)> = pb::table
        .inner_join(p::table)
        .filter(pb::household_id.eq_any(ids))
        .order((pb::household_id, p::year.desc(), p::id))
        .select((pb::household_id, ProjectRow::as_select(), pb::benefit_fen))
        .load(c)?;
    Ok(rows)
}

/// Every beneficiary household of a project's villages moves with a village merger: the
/// village rows take the new code (dropped where the project holds the new village already).
pub fn merge_village(c: &mut DbConnection, old: &str, new: &str, township: &str) -> QueryResult<()> {
    let both: Vec<String> = pv::table.filter(pv::village_code.eq(new)).select(pv::project_id).load(c)?;
    diesel::delete(pv::table.filter(pv::village_code.eq(old)).filter(pv::project_id.eq_any(&both))).execute(c)?;
    diesel::update(pv::table.filter(pv::village_code.eq(old))).set((pv::village_code.eq(new), pv::township_code.eq(township))).execute(c)?;
    Ok(())
}
