//! Data cleaning 数据清洗: a run of every rule over a division, batch by batch (bounded
//! memory), reconciled with the problem ledger 问题台账; the ledger's pages, summary and status
//! changes.

use crate::domain::projects::{LoanStatus, LoanTerms};
use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::{Caller, Precondition};
use crate::domain::Scope;
use crate::crypto::Crypto;
use crate::db::models::{HouseholdRow, MemberRow, ProblemRow, QualityRunRow};
use crate::db::repo::audit::{self, Actor, Entry};
use crate::db::repo::quality::{self as repo, ProblemFilter};
use crate::db::repo::assistance::pairings;
use crate::db::repo::{divisions, households, yearly};
use crate::db::{DbConnection, new_id, now, write_tx};
use crate::domain::quality::ledger::{self, Change, Found, Held};
use crate::domain::quality::{self, Context, HouseholdFacts, MemberFacts};
use crate::domain::photo::Reason;
use crate::domain::yearly::YearRecord;
use crate::domain::{Category, DivisionCode, Money, Relation, Sex};
use crate::error::ApiError;
use crate::state::AppState;

/// Households read, evaluated and reconciled at a time.
const BATCH: i64 = 1000;

/// Settings of a run.
pub struct RunSettings {
    pub year: i32,
    pub today: NaiveDate,
    pub poverty_line: Option<Money>,
    pub exit_minimum: Option<Money>,
    pub deadline_days: i64,
    pub phone_max_households: usize,
}

/// The settings of a run over a division and year (default: this year): thresholds of the
/// province, the ledger's deadline and the shared-phone limit.
pub fn settings(state: &AppState, division: &DivisionCode, year: Option<i32>) -> RunSettings {
    let today = state.today();
    let year = year.unwrap_or_else(|| today.year());
    let rule = crate::domain::yearly::threshold_for(&state.settings.thresholds, &division.as_str()[..2], year);
    RunSettings {
        year,
        today,
        poverty_line: rule.map(|r| r.poverty_line),
        exit_minimum: rule.map(|r| r.exit_minimum),
        deadline_days: state.settings.quality_deadline_days,
        phone_max_households: state.settings.quality_phone_max_households,
    }
}

/// Runs every rule over the division (inside the caller's jurisdiction) and reconciles the
/// ledger; the caller checked that the division is theirs to run.
#[tracing::instrument(skip_all, fields(division = %division))]
pub async fn run(state: &AppState, caller: &Caller, division: DivisionCode, year: Option<i32>) -> Result<QualityRunRow, ApiError> {
    let settings = settings(state, &division, year);
    let (crypto, actor, scope) = (state.crypto.clone(), caller.actor(), caller.scope());
    state.db.run(move |c| run_on(c, &scope, &crypto, &actor, &division, &settings)).await
}

/// [`run`] on a connection of its own (the `fangpin quality run` command).
pub fn run_on(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, division: &DivisionCode, s: &RunSettings) -> Result<QualityRunRow, ApiError> {
    repo::within(scope, division)?;
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
    // Its own write transaction: a request's `Idempotency-Key` is claimed with the run's row.
    write_tx(c, |c| repo::insert_run(c, &record).map_err(crate::db::DbError::from))?;
    let mut ctx = Context {
        state_date: NaiveDate::from_ymd_opt(s.year, 9, 30).unwrap_or(s.today),
        today: s.today,
        poverty_line: s.poverty_line,
        exit_minimum: s.exit_minimum,
        // Per batch, below: only the numbers of the batch's members can fire (and none where
        // the database keeps every number to one current member).
        shared_ids: HashMap::new(),
        shared_phones: shared_phones(c, crypto, division, s.phone_max_households)?,
        phone_max_households: s.phone_max_households,
    };
    let probe_ids = !repo::id_numbers_unique(c)?;
    let deadline = s.today + chrono::Duration::days(s.deadline_days);
    let mut after: Option<String> = None;
    let (mut t_load, mut t_eval, mut t_write) = (std::time::Duration::ZERO, std::time::Duration::ZERO, std::time::Duration::ZERO);
    loop {
        let started = std::time::Instant::now();
        let rows = repo::households_batch(c, division, after.as_deref(), BATCH)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let (batch, hmacs) = facts(c, crypto, &rows, s.year)?;
        if probe_ids {
            ctx.shared_ids = shared_ids(c, crypto, &hmacs)?;
        }
        t_load += started.elapsed();
        let started = std::time::Instant::now();
        let hits: Vec<Vec<quality::Hit>> = batch.iter().map(|(f, _)| quality::evaluate(f, &ctx)).collect();
        t_eval += started.elapsed();
        let started = std::time::Instant::now();
        record.households += rows.len() as i64;
        record.hits += hits.iter().map(|h| h.len() as i64).sum::<i64>();
        let found: Vec<Found<'_>> = rows.iter().zip(&hits).zip(&batch).map(|((r, h), (_, fp))| Found { household_id: &r.id, hits: h, fingerprint: fp }).collect();
        let (opened, reopened, resolved) = write_tx(c, |c| reconcile(c, &record.id, &rows, &found, deadline))?;
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
    repo::save_run(c, &record)?;
    audit::append(c, actor, Entry { action: "quality_run", entity_type: "quality_run", entity_id: &record.id, household_id: None, before: None, after: Some(json!({"division": record.division_code, "households": record.households, "hits": record.hits, "opened": record.opened, "reopened": record.reopened, "resolved": record.resolved})) })?;
    Ok(record)
}

/// Of the ID numbers whose HMACs are `hmacs`, those held by current members of several
/// households (anywhere in the database), decrypted.
fn shared_ids(c: &mut DbConnection, crypto: &Crypto, hmacs: &[String]) -> Result<HashMap<String, usize>, ApiError> {
    Ok(repo::shared_id_numbers(c, hmacs)?.into_iter().filter_map(|(enc, n)| crypto.open(&enc).ok().map(|id| (id, n as usize))).collect())
}

/// Heads' phones used by more than `max` households of the division.
fn shared_phones(c: &mut DbConnection, crypto: &Crypto, division: &DivisionCode, max: usize) -> Result<HashMap<String, usize>, ApiError> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for phone in repo::head_phones(c, division)?.iter().filter_map(|e| crypto.open(e).ok()) {
        *counts.entry(phone).or_default() += 1;
    }
    counts.retain(|_, n| *n > max);
    Ok(counts)
}

/// The facts of a batch of households for the rules, and each household's fingerprint (what a
/// dismissal is bound to: its data's sequence number and its photos of the year); and the HMACs
/// of the batch's current members' ID numbers.
fn facts(c: &mut DbConnection, crypto: &Crypto, rows: &[HouseholdRow], year: i32) -> Result<(Vec<(HouseholdFacts, String)>, Vec<String>), ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let members: Vec<MemberRow> = households::members_of(c, &ids, true)?;
    let hmacs: Vec<String> = members.iter().filter(|m| m.removed_at.is_none()).filter_map(|m| m.id_number_hmac.clone()).collect();
    let records = yearly::for_households(c, &ids, year)?;
    let paired = repo::paired(c, &ids)?;
    let shots = repo::photo_kinds(c, &ids, year)?;
    let mut loans_of: HashMap<String, Vec<(String, LoanTerms)>> = HashMap::new();
    for l in crate::db::repo::assistance::loans::of_households(c, &ids)? {
        if let Ok(status) = LoanStatus::parse(&l.status) {
            let t = LoanTerms { issued_on: l.issued_on, due_on: l.due_on, extended_to: l.extended_to, status, repaid_on: l.repaid_on };
            loans_of.entry(l.household_id).or_default().push((l.lender, t));
        }
    }
    let mut by_household: HashMap<&str, Vec<&MemberRow>> = HashMap::new();
    for mr in &members {
        by_household.entry(mr.household_id.as_str()).or_default().push(mr);
    }
    let records: HashMap<&str, &crate::db::models::YearlyRow> = records.iter().map(|y| (y.household_id.as_str(), y)).collect();
    let mut shots_of: HashMap<&str, Vec<(&str, &str, &str)>> = HashMap::new();
    for (household, kind, status, reasons) in &shots {
        shots_of.entry(household.as_str()).or_default().push((kind.as_str(), status.as_str(), reasons.as_str()));
    }
    let out: Vec<(HouseholdFacts, String)> = rows
        .iter()
        .map(|r| {
            let members = by_household.get(r.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let year = records.get(r.id.as_str()).and_then(|y| serde_json::from_str::<YearRecord>(&y.record_json).ok().map(|rec| (rec, Money::from_fen(y.per_capita_net_income_fen))));
            let mine = shots_of.get(r.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let kinds: HashSet<&str> = mine.iter().filter(|s| s.1 != "rejected").map(|s| s.0).collect();
            let flagged = mine.iter().filter(|s| s.1 == "flagged").count();
            // Why they wait: the reasons that flagged them (not the soft ones), each once.
            let mut flag_reasons: Vec<Reason> = mine.iter().filter(|s| s.1 == "flagged").flat_map(|s| serde_json::from_str::<Vec<Reason>>(s.2).unwrap_or_default()).filter(|r| !r.is_soft()).collect();
            flag_reasons.sort_by_key(|r| r.as_str());
            flag_reasons.dedup();
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
                        id_number: mr.id_number_enc.as_deref().map(|e| crypto.open(e).unwrap_or_default()),
                        no_id_reason: mr.no_id_reason.clone(),
                        phone: mr.phone_enc.as_deref().and_then(|p| crypto.open(p).ok()),
                        removed: mr.removed_at.is_some(),
                        removed_reason: mr.removed_reason.clone(),
                        left_on: mr.left_on,
                    })
                    .collect(),
                year,
                photo_kinds: kinds.len(),
                photos_flagged: flagged,
                photo_flag_reasons: flag_reasons,
                loans: loans_of.remove(&r.id).unwrap_or_default(),
            };
            // Loans change without the sync stamp, and fall overdue with the calendar.
            let loans: Vec<String> = f.loans.iter().map(|(_, t)| format!("{}{}", t.effective_due(), t.status.as_str())).collect();
            (f, format!("{}:{}:{}:{}", r.sync_seq, kinds.len(), flagged, loans.join(",")))
        })
        .collect();
    Ok((out, hmacs))
}

/// Brings the ledger of a batch in line with its hits (`domain::quality::ledger`); returns how
/// many problems were opened, reopened and resolved.
fn reconcile(c: &mut DbConnection, run_id: &str, rows: &[HouseholdRow], found: &[Found<'_>], deadline: NaiveDate) -> Result<(i64, i64, i64), ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let held: Vec<Held> = repo::held(c, &ids)?
        .into_iter()
        .map(|e| Held { id: e.id, household_id: e.household_id.unwrap_or_default(), rule: e.rule_id, subject: e.subject, status: e.status, detail: e.detail, fingerprint: e.fingerprint, version: e.version })
        .collect();
    let (mut opened, mut reopened, mut resolved) = (0, 0, 0);
    let at = now();
    let mut new_rows = Vec::new();
    for change in ledger::reconcile(held, found) {
        match change {
            Change::Reopen { held, detail, fingerprint } => {
                repo::reopen(c, &held.id, run_id, &detail, &fingerprint, deadline, at)?;
                reopened += 1;
            }
            Change::Refresh { id, detail, fingerprint } => repo::refresh(c, &id, run_id, &detail, &fingerprint)?,
            Change::Resolve { held } => {
                repo::resolve_by_data(c, &held.id, run_id, at)?;
                resolved += 1;
            }
            Change::Open { household, hit } => {
                let (hh, fingerprint) = (&rows[household], found[household].fingerprint);
                let rule = quality::rule(hit.rule);
                new_rows.push(ProblemRow {
                    id: new_id(),
                    household_id: Some(hh.id.clone()),
                    village_code: hh.village_code.clone(),
                    township_code: hh.township_code.clone(),
                    county_code: hh.county_code.clone(),
                    rule_id: hit.rule.to_owned(),
                    subject: hit.member_id.clone().unwrap_or_default(),
                    severity: rule.map(|r| if r.severity == quality::Severity::Error { "error" } else { "warning" }).unwrap_or("warning").to_owned(),
                    detail: hit.detail.clone(),
                    status: "open".into(),
                    fingerprint: fingerprint.to_owned(),
                    deadline,
                    note: None,
                    opened_run: run_id.to_owned(),
                    last_run: run_id.to_owned(),
                    resolved_run: None,
                    version: 1,
                    created_at: at,
                    status_changed_at: at,
                    status_changed_by: None,
                    source: "cleaning".into(),
                    category: None,
                    guarantee: None,
                    found_by: None,
                    found_on: None,
                    measure: None,
                    responsible_user_id: None,
                    responsible_name: None,
                });
                opened += 1;
            }
        }
    }
    repo::insert_problems(c, new_rows)?;
    Ok((opened, reopened, resolved))
}

/// The households and current cadres behind a set of problems (for their views).
pub struct People {
    numbers_heads: HashMap<String, (String, String)>,
    cadres: HashMap<String, String>,
}

impl People {
    /// Read in chunks, to keep each query's list of ids bounded.
    pub(crate) fn load(c: &mut DbConnection, rows: &[ProblemRow]) -> Result<Self, ApiError> {
        let mut ids: Vec<String> = rows.iter().filter_map(|r| r.household_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut numbers_heads = HashMap::new();
        let mut cadres = HashMap::new();
        for chunk in ids.chunks(1000) {
            for (id, number, head) in households::numbers_and_heads(c, chunk)? {
                numbers_heads.insert(id, (number, head));
            }
            for (p, cd) in pairings::current_pairings(c, chunk)? {
                cadres.insert(p.household_id, cd.name);
            }
        }
        Ok(Self { numbers_heads, cadres })
    }

    /// The household's number and head (empty when it is gone, or for a village's problem).
    pub fn number_and_head(&self, household_id: Option<&str>) -> (String, String) {
        household_id.and_then(|h| self.numbers_heads.get(h)).cloned().unwrap_or_default()
    }

    /// The name of the household's current cadre 帮扶责任人.
    pub fn cadre(&self, household_id: Option<&str>) -> Option<String> {
        household_id.and_then(|h| self.cadres.get(h)).cloned()
    }
}

/// A page (or, for an export, all) of a division's problems with their households and the
/// names of their divisions.
pub struct Ledger {
    pub rows: Vec<ProblemRow>,
    pub people: People,
    pub names: HashMap<String, String>,
}

/// The problems of a division inside the caller's jurisdiction.
#[tracing::instrument(skip_all, fields(division = %division))]
pub async fn ledger(state: &AppState, caller: &Caller, division: DivisionCode, filter: ProblemFilter) -> Result<Ledger, ApiError> {
    let scope = caller.scope();
    state
        .db
        .run(move |c| {
            let rows = repo::list(c, &scope, &division, &filter)?;
            let people = People::load(c, &rows)?;
            let mut codes: Vec<String> = rows.iter().flat_map(|r| [r.village_code.clone(), r.township_code.clone()]).collect();
            codes.sort();
            codes.dedup();
            let names = divisions::names(c, &codes)?;
            Ok(Ledger { rows, people, names })
        })
        .await
}

/// Problem counts of a division by (township, village, status), with the divisions' names.
#[tracing::instrument(skip_all, fields(division = %division))]
pub async fn summary(state: &AppState, caller: &Caller, division: DivisionCode, source: Option<String>) -> Result<(Vec<(String, String, String, i64)>, HashMap<String, String>), ApiError> {
    let scope = caller.scope();
    state
        .db
        .run(move |c| {
            let rows = repo::summary(c, &scope, &division, source.as_deref())?;
            let mut codes: Vec<String> = rows.iter().flat_map(|r| [r.0.clone(), r.1.clone()]).collect();
            codes.sort();
            codes.dedup();
            Ok((rows, divisions::names(c, &codes)?))
        })
        .await
}

/// A status change asked for: the new status and the note (required to dismiss).
pub struct StatusChange {
    pub status: String,
    pub note: Option<String>,
}

/// Moves a problem of the caller's ledger along its lifecycle: 404 outside the jurisdiction,
/// then 403 for a role that does not work the ledger, then `If-Match`, then the change itself.
#[tracing::instrument(skip_all, fields(problem = %id))]
pub async fn change_status(state: &AppState, caller: &Caller, division: DivisionCode, id: String, precondition: Precondition, change: Result<StatusChange, ApiError>) -> Result<(ProblemRow, People), ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), division.clone(), id.clone());
    let found = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1, &probe.2)?)).await?;
    caller.require(caller.role.edits_households(), "work the problem ledger")?;
    // The township closes (销号) what people found.
    if found.source != "cleaning" && change.as_ref().is_ok_and(|ch| ch.status == "closed") {
        caller.require(matches!(caller.role, crate::domain::Role::TownshipReviewer | crate::domain::Role::CountyAdmin), "close a rectified problem (销号 is the township's)")?;
    }
    let expected = precondition.required()?;
    let change = change?;
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            let row = repo::change_status(c, &scope, &division, &actor, &id, expected, &change.status, change.note)?;
            let people = People::load(c, std::slice::from_ref(&row))?;
            Ok((row, people))
        })
        .await
}
