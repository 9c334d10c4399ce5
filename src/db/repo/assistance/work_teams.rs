//! Resident work teams 驻村工作队 of villages: a first secretary 第一书记 and members, cadres of
//! the county.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::{Created, county_of};
use crate::db::models::WorkTeamRow;
use crate::db::schema::{cadres, work_teams};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::{DivisionCode, Level, Scope};

#[derive(Debug, Clone)]
pub struct TeamInput {
    pub village: DivisionCode,
    pub name: String,
    pub first_secretary_id: Option<String>,
    pub member_ids: Vec<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub client_id: Option<String>,
}

/// Every named cadre exists in the county (422 naming the first that does not).
fn check_cadres(c: &mut DbConnection, county: &DivisionCode, first_secretary: Option<&String>, members: &[String]) -> Result<(), DbError> {
    let mut wanted: Vec<&String> = members.iter().collect();
    wanted.extend(first_secretary);
    let found: Vec<String> = cadres::table
        .filter(cadres::id.eq_any(wanted.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
        .filter(cadres::county_code.eq(county.as_str()))
        .select(cadres::id)
        .load(c)?;
    if let Some(fs) = first_secretary.filter(|f| !found.contains(f)) {
        return Err(DbError::invalid("first_secretary_id", "unknown_cadre", format!("no cadre {fs} in this county")));
    }
    if let Some((i, m)) = members.iter().enumerate().find(|(_, m)| !found.contains(m)) {
        return Err(DbError::invalid(&format!("member_ids[{i}]"), "unknown_cadre", format!("no cadre {m} in this county")));
    }
    Ok(())
}

pub fn team(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<WorkTeamRow, DbError> {
    let row: WorkTeamRow = work_teams::table.find(id).select(WorkTeamRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    match DivisionCode::parse(&row.village_code) {
        Ok(v) if scope.covers(&v) || scope.cadre_user().is_some() && county_of(scope).contains(&v) => Ok(row),
        _ => Err(DbError::NotFound),
    }
}

pub fn create_team(c: &mut DbConnection, scope: &Scope, actor: &Actor, input: &TeamInput) -> Result<Created<WorkTeamRow>, DbError> {
    if !scope.covers(&input.village) {
        return Err(DbError::NotFound);
    }
    write_tx(c, |c| {
        if let Some(cid) = &input.client_id {
            let existing: Option<String> = work_teams::table.filter(work_teams::client_id.eq(cid)).select(work_teams::id).first(c).optional()?;
            if let Some(id) = existing {
                return team(c, scope, &id).map(Created::Existing).map_err(|_| DbError::Conflict("this client_id was used for another work team".into()));
            }
        }
        super::super::divisions::village_for(c, &input.village, scope.division(), "village_code", false)?;
        let county = input.village.ancestor(Level::County).unwrap_or_else(|| input.village.clone());
        check_cadres(c, &county, input.first_secretary_id.as_ref(), &input.member_ids)?;
        let at = now();
        let row = WorkTeamRow {
            id: new_id(),
            client_id: input.client_id.clone(),
            village_code: input.village.to_string(),
            township_code: input.village.ancestor(Level::Township).map(|d| d.to_string()).unwrap_or_default(),
            county_code: county.to_string(),
            name: input.name.clone(),
            first_secretary_id: input.first_secretary_id.clone(),
            member_ids: serde_json::to_string(&input.member_ids).unwrap_or_else(|_| "[]".into()),
            term_start: input.term_start,
            term_end: input.term_end,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(work_teams::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "work_team_create", entity_type: "work_team", entity_id: &row.id, household_id: None, before: None, after: Some(json!({"village_code": row.village_code, "name": row.name})) })?;
        Ok(Created::New(row))
    })
}

pub fn list_teams(c: &mut DbConnection, scope: &Scope, village: Option<&DivisionCode>, after: Option<&str>, limit: i64) -> QueryResult<Vec<WorkTeamRow>> {
    let d = village.unwrap_or(scope.division());
    let mut q = work_teams::table.filter(filters::work_teams::in_division(d)).into_boxed();
    if let Some(a) = after {
        q = q.filter(work_teams::id.gt(a.to_owned()));
    }
    q.order(work_teams::id.asc()).limit(limit).select(WorkTeamRow::as_select()).load(c)
}

/// Replaces a team's fields (the caller merged the changes into `next`).
pub fn update_team(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, expected: i64, change: impl FnOnce(&mut WorkTeamRow)) -> Result<WorkTeamRow, DbError> {
    write_tx(c, |c| {
        let before = team(c, scope, id)?;
        if !scope.covers(&DivisionCode::parse(&before.village_code).map_err(|_| DbError::NotFound)?) {
            return Err(DbError::NotFound);
        }
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        let mut next = before.clone();
        change(&mut next);
        crate::domain::assistance::check_period(next.term_start, next.term_end).map_err(|e| DbError::invalid("term_end", e.code, e.message))?;
        let members: Vec<String> = serde_json::from_str(&next.member_ids).unwrap_or_default();
        let county = DivisionCode::parse(&next.county_code).map_err(|e| DbError::corrupt("county", e))?;
        check_cadres(c, &county, next.first_secretary_id.as_ref(), &members)?;
        next.version += 1;
        next.updated_at = now();
        let n = diesel::update(work_teams::table.filter(work_teams::id.eq(id)).filter(work_teams::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "work_team_update", entity_type: "work_team", entity_id: id, household_id: None, before: None, after: Some(json!({"name": next.name, "member_ids": members, "first_secretary_id": next.first_secretary_id})) })?;
        Ok(next)
    })
}
