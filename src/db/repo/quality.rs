//! Data-cleaning runs over a division in batches of households (bounded memory) and the problem
//! ledger 问题台账 they reconcile: a new hit opens a problem, a problem whose rule stopped firing
//! is `resolved_by_data`, a dismissed problem stays dismissed until the household's data changes.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use crate::crypto::Crypto;
use crate::db::models::{HouseholdRow, MemberRow, ProblemRow, QualityRunRow};
use crate::db::schema::{households as h, members as m, pairings, photos, problems as p, quality_runs};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::quality::{self, Context, Hit, HouseholdFacts, MemberFacts};
use crate::domain::yearly::YearRecord;
use crate::domain::{Category, DivisionCode, Relation, Scope, Sex};

const BATCH: i64 = 1000;
const ACTIVE: [&str; 3] = ["open", "verified", "rectified"];

/// ID numbers held by current members of several households, decrypted (usually none: the
/// unique index prevents them; imported legacy data may not).
fn shared_ids(c: &mut DbConnection, crypto: &Crypto) -> QueryResult<HashMap<String, usize>> {
    use diesel::dsl::count_star;
    let hmacs: Vec<(String, i64)> = m::table
        .filter(m::removed_at.is_null())
        .group_by(m::id_number_hmac)
        .having(count_star().gt(1))
        .select((m::id_number_hmac, count_star()))
        .load(c)?;
    let mut out = HashMap::new();
    for (hmac, n) in hmacs {
        let enc: Vec<String> = m::table.filter(m::id_number_hmac.eq(&hmac)).select(m::id_number_enc).limit(1).load(c)?;
        if let Some(id) = enc.first().and_then(|e| crypto.open(e).ok()) {
            out.insert(id, n as usize);
        }
    }
    Ok(out)
}

/// Heads' phones used by more than `max` households of the division.
fn shared_phones(c: &mut DbConnection, crypto: &Crypto, division: &DivisionCode, max: usize) -> QueryResult<HashMap<String, usize>> {
    let q = m::table.inner_join(h::table).into_boxed().filter(filters::households::in_division(division));
    let rows: Vec<Option<String>> = q
        .filter(m::removed_at.is_null())
        .filter(m::relation.eq(Relation::Head.as_str()))
        .filter(m::phone_enc.is_not_null())
        .select(m::phone_enc)
        .load(c)?;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for phone in rows.iter().flatten().filter_map(|e| crypto.open(e).ok()) {
        *counts.entry(phone).or_default() += 1;
    }
    counts.retain(|_, n| *n > max);
    Ok(counts)
}

/// The facts of a batch of households for the rules, and each household's fingerprint.
fn facts(c: &mut DbConnection, crypto: &Crypto, rows: &[HouseholdRow], year: i32) -> QueryResult<Vec<(HouseholdFacts, String)>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let members: Vec<MemberRow> = super::households::members_of(c, &ids, true)?;
    let records = super::yearly::for_households(c, &ids, year)?;
    let paired: HashSet<String> = pairings::table.filter(pairings::household_id.eq_any(&ids)).filter(pairings::end_date.is_null()).select(pairings::household_id).load::<String>(c)?.into_iter().collect();
    let shots: Vec<(String, String, String)> = photos::table.filter(photos::household_id.eq_any(&ids)).filter(photos::year.eq(year)).select((photos::household_id, photos::kind, photos::status)).load(c)?;
    let mut by_household: HashMap<&str, Vec<&MemberRow>> = HashMap::new();
    for mr in &members {
        by_household.entry(mr.household_id.as_str()).or_default().push(mr);
    }
    let records: HashMap<&str, &crate::db::models::YearlyRow> = records.iter().map(|y| (y.household_id.as_str(), y)).collect();
    let mut shots_of: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for (household, kind, status) in &shots {
        shots_of.entry(household.as_str()).or_default().push((kind.as_str(), status.as_str()));
    }
    Ok(rows
        .iter()
        .map(|r| {
            let members = by_household.get(r.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let year = records.get(r.id.as_str()).and_then(|y| serde_json::from_str::<YearRecord>(&y.record_json).ok().map(|rec| (rec, y.per_capita_net_income)));
            let mine = shots_of.get(r.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let kinds: HashSet<&str> = mine.iter().filter(|s| s.1 != "rejected").map(|s| s.0).collect();
            let flagged = mine.iter().filter(|s| s.1 == "flagged").count();
            let f = HouseholdFacts {
                id: r.id.clone(),
                category: Category::parse(&r.category).unwrap_or(Category::Ordinary),
                risk_status: r.risk_status.clone(),
                has_home: r.home_location_id.is_some(),
                has_pairing: paired.contains(&r.id),
                members: members
                    .iter()
                    .map(|mr| MemberFacts {
                        id: mr.id.clone(),
                        name: mr.name.clone(),
                        relation: Relation::parse(&mr.relation).unwrap_or(Relation::Other),
                        sex: Sex::parse(&mr.sex).unwrap_or(Sex::Male),
                        birth_date: mr.birth_date,
                        id_number: crypto.open(&mr.id_number_enc).unwrap_or_default(),
                        phone: mr.phone_enc.as_deref().and_then(|p| crypto.open(p).ok()),
                        removed: mr.removed_at.is_some(),
                        removed_reason: mr.removed_reason.clone(),
                    })
                    .collect(),
                year,
                photo_kinds: kinds.len(),
                photos_flagged: flagged,
            };
            (f, format!("{}:{}:{}", r.sync_seq, kinds.len(), flagged))
        })
        .collect())
}

/// Settings of a run.
pub struct RunSettings {
    pub year: i32,
    pub today: NaiveDate,
    pub poverty_line: Option<f64>,
    pub exit_minimum: Option<f64>,
    pub deadline_days: i64,
    pub phone_max_households: usize,
}

/// Runs every rule over the households of `division` inside the scope and reconciles the
/// ledger batch by batch.
pub fn run(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, division: &DivisionCode, s: &RunSettings) -> Result<QualityRunRow, DbError> {
    within(scope, division)?;
    let mut record = QualityRunRow {
        id: new_id(),
        division_code: division.to_string(),
        started_at: now(),
        finished_at: None,
        households: 0,
        hits: 0,
        opened: 0,
        reopened: 0,
        resolved: 0,
        created_by: actor.name.clone().unwrap_or_default(),
    };
    diesel::insert_into(quality_runs::table).values(&record).execute(c)?;
    let ctx = Context {
        state_date: NaiveDate::from_ymd_opt(s.year, 9, 30).unwrap_or(s.today),
        today: s.today,
        poverty_line: s.poverty_line,
        exit_minimum: s.exit_minimum,
        shared_ids: shared_ids(c, crypto)?,
        shared_phones: shared_phones(c, crypto, division, s.phone_max_households)?,
        phone_max_households: s.phone_max_households,
    };
    let deadline = s.today + chrono::Duration::days(s.deadline_days);
    let mut after: Option<String> = None;
    let (mut t_load, mut t_eval, mut t_write) = (std::time::Duration::ZERO, std::time::Duration::ZERO, std::time::Duration::ZERO);
    loop {
        let started = std::time::Instant::now();
        let mut q = h::table.filter(filters::households::in_division(division)).into_boxed();
        if let Some(a) = &after {
            q = q.filter(h::id.gt(a.clone()));
        }
        let rows: Vec<HouseholdRow> = q.order(h::id.asc()).limit(BATCH).select(HouseholdRow::as_select()).load(c)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let batch = facts(c, crypto, &rows, s.year)?;
        t_load += started.elapsed();
        let started = std::time::Instant::now();
        let hits: Vec<(&HouseholdRow, Vec<Hit>, &String)> = rows.iter().zip(batch.iter()).map(|(r, (f, fp))| (r, quality::evaluate(f, &ctx), fp)).collect();
        t_eval += started.elapsed();
        let started = std::time::Instant::now();
        record.households += rows.len() as i64;
        record.hits += hits.iter().map(|h| h.1.len() as i64).sum::<i64>();
        let (opened, reopened, resolved) = write_tx(c, |c| reconcile(c, &record.id, &hits, deadline))?;
        t_write += started.elapsed();
        record.opened += opened;
        record.reopened += reopened;
        record.resolved += resolved;
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    tracing::info!(load_s = t_load.as_secs_f64(), evaluate_s = t_eval.as_secs_f64(), reconcile_s = t_write.as_secs_f64(), households = record.households, "quality run");
    record.finished_at = Some(now());
    diesel::update(quality_runs::table.find(&record.id)).set(&record).execute(c)?;
    audit::append(c, actor, Entry { action: "quality_run", entity_type: "quality_run", entity_id: &record.id, household_id: None, before: None, after: Some(json!({"division": record.division_code, "households": record.households, "hits": record.hits, "opened": record.opened, "reopened": record.reopened, "resolved": record.resolved})) })?;
    Ok(record)
}

fn reconcile(c: &mut DbConnection, run_id: &str, hits: &[(&HouseholdRow, Vec<Hit>, &String)], deadline: NaiveDate) -> Result<(i64, i64, i64), DbError> {
    let ids: Vec<String> = hits.iter().map(|h| h.0.id.clone()).collect();
    let existing: Vec<ProblemRow> = p::table
        .filter(p::household_id.eq_any(&ids))
        .filter(p::status.eq_any(["open", "verified", "rectified", "dismissed"]))
        .select(ProblemRow::as_select())
        .load(c)?;
    let mut known: HashMap<(String, String, String), &ProblemRow> = existing.iter().map(|e| ((e.household_id.clone(), e.rule_id.clone(), e.subject.clone()), e)).collect();
    let (mut opened, mut reopened, mut resolved) = (0, 0, 0);
    let at = now();
    let mut new_rows = Vec::new();
    for (hh, found, fingerprint) in hits {
        for hit in found {
            let key = (hh.id.clone(), hit.rule.to_owned(), hit.member_id.clone().unwrap_or_default());
            match known.remove(&key) {
                Some(e) if e.status == "dismissed" && e.fingerprint == **fingerprint => {}
                Some(e) if e.status == "dismissed" => {
                    diesel::update(p::table.find(&e.id))
                        .set((p::status.eq("open"), p::detail.eq(&hit.detail), p::fingerprint.eq(*fingerprint), p::last_run.eq(run_id), p::deadline.eq(deadline), p::note.eq(Some("reopened: the household's data changed since it was dismissed")), p::version.eq(e.version + 1), p::status_changed_at.eq(at), p::status_changed_by.eq(None::<String>)))
                        .execute(c)?;
                    reopened += 1;
                }
                // Still firing: touched only when what it says changed (a run over an unchanged
                // county writes nothing).
                Some(e) if e.detail != hit.detail || e.fingerprint != **fingerprint => {
                    diesel::update(p::table.find(&e.id)).set((p::detail.eq(&hit.detail), p::fingerprint.eq(*fingerprint), p::last_run.eq(run_id))).execute(c)?;
                }
                Some(_) => {}
                None => {
                    let rule = quality::rule(hit.rule);
                    new_rows.push(ProblemRow {
                        id: new_id(),
                        household_id: hh.id.clone(),
                        village_code: hh.village_code.clone(),
                        township_code: hh.township_code.clone(),
                        county_code: hh.county_code.clone(),
                        rule_id: hit.rule.to_owned(),
                        subject: key.2.clone(),
                        severity: rule.map(|r| if r.severity == quality::Severity::Error { "error" } else { "warning" }).unwrap_or("warning").to_owned(),
                        detail: hit.detail.clone(),
                        status: "open".into(),
                        fingerprint: (*fingerprint).clone(),
                        deadline,
                        note: None,
                        opened_run: run_id.to_owned(),
                        last_run: run_id.to_owned(),
                        resolved_run: None,
                        version: 1,
                        created_at: at,
                        status_changed_at: at,
                        status_changed_by: None,
                    });
                    opened += 1;
                }
            }
        }
    }
    // What no longer fires: open and verified problems are resolved by the data; a rectified
    // one waits for its closing, a dismissed one stays dismissed.
    for e in known.values().filter(|e| e.status == "open" || e.status == "verified") {
        diesel::update(p::table.find(&e.id))
            .set((p::status.eq("resolved_by_data"), p::resolved_run.eq(Some(run_id)), p::last_run.eq(run_id), p::version.eq(e.version + 1), p::status_changed_at.eq(at)))
            .execute(c)?;
        resolved += 1;
    }
    match c {
        // COPY: a first run over a county opens hundreds of thousands of problems.
        DbConnection::Pg(pg) if !new_rows.is_empty() => {
            diesel::copy_from(p::table).from_insertable(new_rows).execute(pg)?;
        }
        DbConnection::Pg(_) => {}
        DbConnection::Sqlite(lite) => {
            for r in &new_rows {
                diesel::insert_into(p::table).values(r).execute(lite)?;
            }
        }
    }
    Ok((opened, reopened, resolved))
}

#[derive(Debug, Default, Clone)]
pub struct ProblemFilter {
    pub rule: Option<String>,
    pub status: Option<String>,
    pub overdue_on: Option<NaiveDate>,
    pub after: Option<String>,
    pub limit: i64,
}

/// The division, if it lies inside the caller's scope (404 otherwise); cadres have no ledger.
fn within(scope: &Scope, division: &DivisionCode) -> Result<(), DbError> {
    if scope.cadre_user().is_none() && scope.covers(division) { Ok(()) } else { Err(DbError::NotFound) }
}

/// Problems of a division inside the caller's scope.
pub fn list(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, f: &ProblemFilter) -> Result<Vec<ProblemRow>, DbError> {
    within(scope, division)?;
    let mut q = p::table.filter(filters::problems::in_division(division)).into_boxed();
    if let Some(r) = &f.rule {
        q = q.filter(p::rule_id.eq(r.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(p::status.eq(s.clone()));
    }
    if let Some(day) = f.overdue_on {
        q = q.filter(p::deadline.lt(day)).filter(p::status.eq_any(ACTIVE));
    }
    if let Some(a) = &f.after {
        q = q.filter(p::id.gt(a.clone()));
    }
    Ok(q.order(p::id.asc()).limit(f.limit).select(ProblemRow::as_select()).load(c)?)
}

/// Counts by village and status.
pub fn summary(c: &mut DbConnection, scope: &Scope, division: &DivisionCode) -> Result<Vec<(String, String, String, i64)>, DbError> {
    within(scope, division)?;
    Ok(p::table
        .filter(filters::problems::in_division(division))
        .group_by((p::township_code, p::village_code, p::status))
        .select((p::township_code, p::village_code, p::status, diesel::dsl::count_star()))
        .order((p::township_code.asc(), p::village_code.asc()))
        .load(c)?)
}

pub fn get(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, id: &str) -> Result<ProblemRow, DbError> {
    within(scope, division)?;
    p::table.filter(p::id.eq(id)).filter(filters::problems::in_division(division)).select(ProblemRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)
}

/// Moves a problem along its lifecycle (409 for a skipped step), audited.
pub fn change_status(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, actor: &Actor, id: &str, expected: i64, status: &str, note: Option<String>) -> Result<ProblemRow, DbError> {
    write_tx(c, |c| {
        let before = get(c, scope, division, id)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        quality::transition_allowed(&before.status, status).map_err(DbError::Conflict)?;
        let mut next = before.clone();
        next.status = status.to_owned();
        next.note = note.or(before.note.clone());
        next.version += 1;
        next.status_changed_at = now();
        next.status_changed_by = actor.name.clone();
        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)?;
        audit::append(c, actor, Entry { action: "problem_status", entity_type: "problem", entity_id: id, household_id: Some(&before.household_id), before: Some(json!({"status": before.status})), after: Some(json!({"status": next.status, "note": next.note, "rule": next.rule_id})) })?;
        Ok(next)
    })
}

/// The current statistical year for runs: the year of today.
pub fn current_year(today: NaiveDate) -> i32 {
    today.year()
}
