//! Problems recorded by people and their rectification 整改 (`services::problems`): a new
//! problem with its evidence, the measure and responsible person, progress notes, sign-offs,
//! and what a rectification holds when it is marked rectified. Every write is audited.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::quality::{get, within};
use crate::db::models::{ProblemEvidenceRow, ProblemProgressRow, ProblemRow, ProblemSignoffRow};
use crate::db::schema::{cadres, documents, households as h, photos, problem_evidence as ev, problem_progress as pr, problem_signoffs as so, problems as p, users, work_teams};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::quality::people::{self, Rectification, SignoffRole};
use crate::domain::{DivisionCode, Scope};

/// A photo of the household's pipeline, or a document of its file 一户一档.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceRef {
    Photo(String),
    Document(String),
}

/// The divisions of a household in the caller's scope (404 otherwise).
pub fn household_divisions(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<(String, String, String), DbError> {
    h::table
        .filter(filters::households::in_scope(scope))
        .filter(h::id.eq(household_id))
        .select((h::village_code, h::township_code, h::county_code))
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// Each piece of evidence must belong to the problem's household, or to a household of its
/// village for a problem of the whole village (422 naming `field` otherwise).
fn check_evidence(c: &mut DbConnection, problem: &ProblemRow, refs: &[EvidenceRef], field: &str) -> Result<(), DbError> {
    for r in refs {
        let (household, village): (Option<String>, Option<String>) = match r {
            EvidenceRef::Photo(id) => photos::table
                .inner_join(h::table)
                .filter(photos::id.eq(id))
                .filter(photos::status.ne("rejected"))
                .select((photos::household_id.nullable(), h::village_code.nullable()))
                .first(c)
                .optional()?
                .unwrap_or((None, None)),
            EvidenceRef::Document(id) => documents::table.filter(documents::id.eq(id)).select((documents::household_id.nullable(), documents::village_code.nullable())).first(c).optional()?.unwrap_or((None, None)),
        };
        let fits = match &problem.household_id {
            Some(hh) => household.as_deref() == Some(hh.as_str()),
            None => village.as_deref() == Some(problem.village_code.as_str()),
        };
        if !fits {
            let (kind, id) = match r {
                EvidenceRef::Photo(id) => ("photo", id),
                EvidenceRef::Document(id) => ("document", id),
            };
            return Err(DbError::invalid(field, "unknown_evidence", format!("no {kind} {id} of the problem's household (or village)")));
        }
    }
    Ok(())
}

fn evidence_rows(problem_id: &str, refs: &[EvidenceRef], purpose: people::EvidencePurpose, progress_id: Option<&str>, by: &str, at: NaiveDateTime) -> Vec<ProblemEvidenceRow> {
    refs.iter()
        .map(|r| {
            let (kind, photo_id, document_id) = match r {
                EvidenceRef::Photo(id) => ("photo", Some(id.clone()), None),
                EvidenceRef::Document(id) => ("document", None, Some(id.clone())),
            };
            ProblemEvidenceRow { id: new_id(), problem_id: problem_id.to_owned(), kind: kind.into(), photo_id, document_id, purpose: purpose.as_str().into(), progress_id: progress_id.map(str::to_owned), created_at: at, created_by: by.to_owned() }
        })
        .collect()
}

/// Records a problem found by people with the evidence of what was found.
pub fn insert(c: &mut DbConnection, actor: &Actor, row: ProblemRow, evidence: &[EvidenceRef]) -> Result<ProblemRow, DbError> {
    write_tx(c, |c| {
        check_evidence(c, &row, evidence, "evidence")?;
        diesel::insert_into(p::table).values(&row).execute(c)?;
        let by = actor.name.clone().unwrap_or_default();
        for e in evidence_rows(&row.id, evidence, people::EvidencePurpose::Finding, None, &by, row.created_at) {
            diesel::insert_into(ev::table).values(&e).execute(c)?;
        }
        audit::append(c, actor, Entry { action: "problem_recorded", entity_type: "problem", entity_id: &row.id, household_id: row.household_id.as_deref(), before: None, after: Some(json!({"source": row.source, "category": row.category, "village": row.village_code, "evidence": evidence.len()})) })?;
        Ok(row)
    })
}

/// The rectification's measure, responsible person and deadline, as a user sets them.
pub struct RectificationPlan {
    pub measure: String,
    pub responsible_user_id: Option<String>,
    pub responsible_name: Option<String>,
    pub deadline: Option<NaiveDate>,
}

/// A user of the county that may be named responsible: their display name (422 otherwise).
pub fn responsible_user(c: &mut DbConnection, county: &str, user_id: &str) -> Result<String, DbError> {
    let found: Option<(String, String)> = users::table.filter(users::id.eq(user_id)).filter(users::disabled.eq(false)).select((users::display_name, users::jurisdiction)).first(c).optional()?;
    match found {
        Some((name, jurisdiction)) if jurisdiction.starts_with(&county[..6]) => Ok(name),
        _ => Err(DbError::invalid("responsible_user_id", "unknown_user", "no active user of this county")),
    }
}

/// Sets the rectification of a problem in scope (`If-Match`), audited.
pub fn set_rectification(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, actor: &Actor, id: &str, expected: i64, plan: RectificationPlan) -> Result<ProblemRow, DbError> {
    write_tx(c, |c| {
        let before = get(c, scope, division, id)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        if !["open", "verified"].contains(&before.status.as_str()) {
            return Err(DbError::Conflict(format!("a problem that is {} has its rectification settled", before.status)));
        }
        let found_on = before.found_on.unwrap_or_else(|| before.created_at.date());
        if let Some(d) = plan.deadline {
            people::check_deadline(d, found_on).map_err(|e| DbError::invalid("deadline", e.code, e.message))?;
        }
        let mut responsible_name = plan.responsible_name;
        if let Some(u) = &plan.responsible_user_id {
            responsible_name = Some(responsible_user(c, &before.county_code, u)?);
        }
        let mut next = before.clone();
        next.measure = Some(plan.measure);
        next.responsible_user_id = plan.responsible_user_id;
        next.responsible_name = responsible_name;
        next.deadline = plan.deadline.unwrap_or(before.deadline);
        next.version += 1;
        // The version is the guard, not only the read before: a concurrent change with the same
        // If-Match updates nothing here and is answered 412.
        if diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)? == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "problem_rectification", entity_type: "problem", entity_id: id, household_id: before.household_id.as_deref(), before: Some(json!({"measure": before.measure, "responsible": before.responsible_name, "deadline": before.deadline})), after: Some(json!({"measure": next.measure, "responsible": next.responsible_name, "deadline": next.deadline})) })?;
        Ok(next)
    })
}

/// A progress note or a sign-off changes what the problem shows: its version (its ETag) moves
/// on, so a change prepared on what was seen before is refused (412), and the problem's row is
/// held until the transaction ends.
fn touch(c: &mut DbConnection, id: &str) -> Result<(), DbError> {
    match diesel::update(p::table.filter(p::id.eq(id))).set(p::version.eq(p::version + 1)).execute(c)? {
        1 => Ok(()),
        _ => Err(DbError::NotFound),
    }
}

/// Adds a dated progress note, with evidence of completion, to a problem in scope that is
/// being worked (open or verified).
pub fn add_progress(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, actor: &Actor, id: &str, noted_on: NaiveDate, note: String, evidence: &[EvidenceRef]) -> Result<ProblemProgressRow, DbError> {
    write_tx(c, |c| {
        // The row held before its status is read: a note never lands on a problem closed meanwhile
        // (outside the scope the read below is 404 and the transaction undoes the step).
        touch(c, id)?;
        let problem = get(c, scope, division, id)?;
        if !["open", "verified"].contains(&problem.status.as_str()) {
            return Err(DbError::Conflict(format!("a problem that is {} takes no more progress", problem.status)));
        }
        let found_on = problem.found_on.unwrap_or_else(|| problem.created_at.date());
        if noted_on < found_on {
            return Err(DbError::invalid("noted_on", "before_found", format!("before the day the problem was found ({found_on})")));
        }
        check_evidence(c, &problem, evidence, "evidence")?;
        let by = actor.name.clone().unwrap_or_default();
        let row = ProblemProgressRow { id: new_id(), problem_id: id.to_owned(), noted_on, note, created_at: now(), created_by: by.clone() };
        diesel::insert_into(pr::table).values(&row).execute(c)?;
        for e in evidence_rows(id, evidence, people::EvidencePurpose::Completion, Some(&row.id), &by, row.created_at) {
            diesel::insert_into(ev::table).values(&e).execute(c)?;
        }
        audit::append(c, actor, Entry { action: "problem_progress", entity_type: "problem", entity_id: id, household_id: problem.household_id.as_deref(), before: None, after: Some(json!({"noted_on": noted_on, "evidence": evidence.len()})) })?;
        Ok(row)
    })
}

/// The current first secretary 第一书记 of the village's work team, who leads it: their name
/// and the account their cadre record is linked to.
pub fn team_leader(c: &mut DbConnection, village: &str, on: NaiveDate) -> QueryResult<Option<(String, Option<String>)>> {
    work_teams::table
        .inner_join(cadres::table.on(work_teams::first_secretary_id.eq(cadres::id.nullable())))
        .filter(work_teams::village_code.eq(village))
        .filter(work_teams::term_start.le(on))
        .filter(work_teams::term_end.is_null().or(work_teams::term_end.ge(on)))
        .order(work_teams::term_start.desc())
        .select((cadres::name, cadres::user_id))
        .first(c)
        .optional()
}

/// A problem of the caller's county by id (a team leader's sign-off: their account is a
/// cadre's, which reaches no ledger).
pub fn in_county(c: &mut DbConnection, county: &DivisionCode, id: &str) -> Result<ProblemRow, DbError> {
    p::table.filter(p::id.eq(id)).filter(filters::problems::in_division(county)).select(ProblemRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)
}

/// Records a sign-off of a verified problem (409 for another status or a role that signed).
pub fn sign(c: &mut DbConnection, actor: &Actor, problem: &ProblemRow, role: SignoffRole, signer_name: String, signer_user_id: Option<String>) -> Result<ProblemSignoffRow, DbError> {
    write_tx(c, |c| {
        // The problem's row first: two sign-offs of one problem wait for each other here.
        touch(c, &problem.id)?;
        let status: String = p::table.find(&problem.id).select(p::status).first(c)?;
        people::may_sign(&status).map_err(DbError::Conflict)?;
        let taken: i64 = so::table.filter(so::problem_id.eq(&problem.id)).filter(so::role.eq(role.as_str())).count().get_result(c)?;
        if taken > 0 {
            return Err(DbError::Conflict(format!("the {} has signed this rectification already", role.as_str())));
        }
        let row = ProblemSignoffRow { id: new_id(), problem_id: problem.id.clone(), role: role.as_str().into(), signer_name, signer_user_id, recorded_by: actor.name.clone().unwrap_or_default(), signed_at: now() };
        diesel::insert_into(so::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "problem_signoff", entity_type: "problem", entity_id: &problem.id, household_id: problem.household_id.as_deref(), before: None, after: Some(json!({"role": row.role, "signer": row.signer_name, "account": row.signer_user_id.is_some()})) })?;
        Ok(row)
    })
}

/// What the rectification of a problem holds now.
pub fn rectification(c: &mut DbConnection, problem: &ProblemRow) -> QueryResult<Rectification> {
    let completion: i64 = ev::table.filter(ev::problem_id.eq(&problem.id)).filter(ev::purpose.eq("completion")).count().get_result(c)?;
    let signed: Vec<String> = so::table.filter(so::problem_id.eq(&problem.id)).select(so::role).load(c)?;
    Ok(Rectification {
        has_measure: problem.measure.as_deref().is_some_and(|m| !m.trim().is_empty()),
        has_responsible: problem.responsible_user_id.is_some() || problem.responsible_name.as_deref().is_some_and(|m| !m.trim().is_empty()),
        completion_evidence: completion as usize,
        signed: signed.iter().filter_map(|r| SignoffRole::parse(r).ok()).collect(),
    })
}

/// A problem's evidence, progress notes and sign-offs, oldest first.
pub fn details(c: &mut DbConnection, problem_id: &str) -> QueryResult<(Vec<ProblemEvidenceRow>, Vec<ProblemProgressRow>, Vec<ProblemSignoffRow>)> {
    let evidence = ev::table.filter(ev::problem_id.eq(problem_id)).order((ev::created_at.asc(), ev::id.asc())).select(ProblemEvidenceRow::as_select()).load(c)?;
    let progress = pr::table.filter(pr::problem_id.eq(problem_id)).order((pr::noted_on.asc(), pr::id.asc())).select(ProblemProgressRow::as_select()).load(c)?;
    let signoffs = so::table.filter(so::problem_id.eq(problem_id)).order(so::signed_at.asc()).select(ProblemSignoffRow::as_select()).load(c)?;
    Ok((evidence, progress, signoffs))
}

/// The sign-offs of a set of problems (for the 整改清单), chunked.
pub fn signoffs_of(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<ProblemSignoffRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(so::table.filter(so::problem_id.eq_any(chunk)).select(ProblemSignoffRow::as_select()).load(c)?);
    }
    Ok(out)
}

/// The four buckets of a township's daily rectification list 问题整改清单, one indexed range
/// each: opened in [from, to) (`problems_township_created`), unsettled and due in
/// [today, due_until] or overdue before today (`problems_township_deadline`), closed in
/// [from, to) (`problems_township_changed`).
pub struct Daily {
    pub opened: Vec<ProblemRow>,
    pub due_soon: Vec<ProblemRow>,
    pub overdue: Vec<ProblemRow>,
    pub closed: Vec<ProblemRow>,
}

const UNSETTLED: [&str; 3] = ["open", "verified", "rectified"];

pub fn daily(c: &mut DbConnection, scope: &Scope, township: &DivisionCode, from: NaiveDateTime, to: NaiveDateTime, today: NaiveDate, due_until: NaiveDate) -> Result<Daily, DbError> {
    within(scope, township)?;
    let t = || filters::problems::in_division::<p::table>(township);
    let opened = p::table.filter(t()).filter(p::created_at.ge(from)).filter(p::created_at.lt(to)).order(p::created_at.asc()).select(ProblemRow::as_select()).load(c)?;
    let due_soon = p::table.filter(t()).filter(p::status.eq_any(UNSETTLED)).filter(p::deadline.ge(today)).filter(p::deadline.le(due_until)).order((p::deadline.asc(), p::id.asc())).select(ProblemRow::as_select()).load(c)?;
    let overdue = p::table.filter(t()).filter(p::status.eq_any(UNSETTLED)).filter(p::deadline.lt(today)).order((p::deadline.asc(), p::id.asc())).select(ProblemRow::as_select()).load(c)?;
    let closed = p::table.filter(t()).filter(p::status.eq("closed")).filter(p::status_changed_at.ge(from)).filter(p::status_changed_at.lt(to)).order(p::status_changed_at.asc()).select(ProblemRow::as_select()).load(c)?;
    Ok(Daily { opened, due_soon, overdue, closed })
}
