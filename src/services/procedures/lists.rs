//! The county's campaign schedule (what `?overdue=true` measures against) and the publicity and
//! announcement lists 公示名单 / 公告名单 of a village: the cases whose list was posted on one day.

use chrono::NaiveDate;

use super::Caller;
use crate::db::models::CampaignScheduleRow;
use crate::db::repo::procedures::{self as repo, Overdue};
use crate::db::{new_id, now};
use crate::domain::id_number::mask_id_number;
use crate::domain::procedure::schedule::{self, Schedule};
use crate::domain::procedure::{CaseKind, Step, period_end};
use crate::domain::{Category, DivisionCode, FieldErrors, Role};
use crate::error::ApiError;
use crate::services::Precondition;
use crate::state::AppState;

fn as_schedule(r: &CampaignScheduleRow) -> Schedule {
    Schedule { collection_by: r.collection_by, evaluation_by: r.evaluation_by, entry_by: r.entry_by, acceptance_by: r.acceptance_by }
}

/// The filter of `?overdue=true`: the configured days at one stage, and the county's schedule
/// of this year when it set one.
pub(super) fn overdue_filter(today: NaiveDate, days: i64, s: Option<&CampaignScheduleRow>) -> Overdue {
    let (all_open, stages) = s.map(|s| schedule::late(today, &as_schedule(s))).unwrap_or_default();
    Overdue { waiting_since_before: today - chrono::Duration::days(days), all_open, late_stages: stages.iter().map(|s| s.as_str().to_owned()).collect() }
}

fn county_of(caller: &Caller) -> String {
    format!("{}000000", &caller.jurisdiction.as_str()[..6])
}

/// The caller's county's schedule of `year` (404 when it set none).
#[tracing::instrument(skip_all, fields(year))]
pub async fn schedule(state: &AppState, caller: &Caller, year: i32) -> Result<CampaignScheduleRow, ApiError> {
    let county = county_of(caller);
    state.db.run(move |c| repo::schedule(c, &county, year)?.ok_or(ApiError::NotFound)).await
}

/// A schedule as sent: its dates, and the problems the body's own rules found.
pub struct ScheduleInput {
    pub dates: Option<Schedule>,
    pub errors: FieldErrors,
}

/// Sets the caller's county's schedule of `year` (county admin: 403 otherwise; then the dates,
/// 422; a change needs `If-Match`).
#[tracing::instrument(skip_all, fields(year))]
pub async fn put_schedule(state: &AppState, caller: &Caller, year: i32, precondition: Precondition, input: ScheduleInput) -> Result<CampaignScheduleRow, ApiError> {
    caller.require(caller.role == Role::CountyAdmin, "set the campaign schedule")?;
    let mut errs = input.errors;
    if let Some(d) = &input.dates {
        schedule::check(year, d, &mut errs);
    }
    let (Some(d), true) = (input.dates, errs.is_empty()) else { return Err(errs.into()) };
    let expected = precondition.optional()?;
    let row = CampaignScheduleRow {
        id: new_id(),
        county_code: county_of(caller),
        year,
        collection_by: d.collection_by,
        evaluation_by: d.evaluation_by,
        entry_by: d.entry_by,
        acceptance_by: d.acceptance_by,
        version: 1,
        updated_by: caller.username.clone(),
        updated_at: now(),
    };
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::put_schedule(c, &actor, &row, expected)?)).await
}

/// One household of a list.
pub struct ListRow {
    pub household_id: String,
    pub case_id: String,
    pub number: String,
    pub head_name: String,
    /// Masked (the list is posted in the village).
    pub head_id_number: Option<String>,
    pub kind: CaseKind,
    /// The category the household has after the case (its current one for a removal's list: the
    /// one it leaves).
    pub category: Category,
    pub reason: String,
}

/// A publicity or announcement list of a village: the households whose list was posted on
/// `posted_on`, the period's first and last day.
pub struct PostedList {
    pub village_code: String,
    /// The township's and the village's names (乡镇 村), for the list's title.
    pub place: String,
    pub step: Step,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub batch_ids: Vec<String>,
    pub rows: Vec<ListRow>,
}

/// The list of `step` (a publicity or the announcement) posted in `village` on `posted_on` (of
/// one batch, when given): 404 outside the jurisdiction, 422 for a step that posts no list.
#[tracing::instrument(skip_all, fields(village = %village))]
pub async fn posted_list(state: &AppState, caller: &Caller, village: DivisionCode, step: Step, posted_on: NaiveDate, batch: Option<String>) -> Result<PostedList, ApiError> {
    // A list: the current jurisdiction (a cadre's former pairings are for single reads).
    let scope = caller.scope();
    if !scope.covers(&village) {
        return Err(ApiError::NotFound);
    }
    let Some(last_day) = period_end(step, posted_on) else {
        return Err(ApiError::invalid("step", "invalid_value", "first_publicity, second_publicity, publicity or announcement"));
    };
    let crypto = state.crypto.clone();
    let code = village.as_str().to_owned();
    let township = format!("{}000", &code[..9]);
    let (found, heads, names) = state
        .db
        .run(move |c| {
            let mut found = repo::posted(c, &scope, &code, step.as_str(), posted_on)?;
            if let Some(b) = &batch {
                found.retain(|(_, _, of)| of.as_ref() == Some(b));
            }
            let ids: Vec<String> = found.iter().map(|(_, h, _)| h.id.clone()).collect();
            let names = crate::db::repo::divisions::names(c, &[township, code.clone()])?;
            Ok((found, repo::heads_of(c, &ids)?, names))
        })
        .await?;
    let place = [&format!("{}000", &village.as_str()[..9]), village.as_str()].iter().filter_map(|c| names.get(*c).cloned()).collect::<Vec<_>>().join("");
    let mut batch_ids: Vec<String> = found.iter().filter_map(|(_, _, b)| b.clone()).collect();
    batch_ids.sort();
    batch_ids.dedup();
    let rows = found
        .into_iter()
        .map(|(case, h, _)| {
            let head = heads.iter().find(|m| m.household_id == h.id);
            let kind = CaseKind::parse(&case.kind).unwrap_or(CaseKind::Inclusion);
            let current = Category::parse(&h.category).unwrap_or(Category::Ordinary);
            let category = match kind {
                CaseKind::Removal | CaseKind::PolicyEnd => current,
                _ => case.target_category.as_deref().and_then(|t| Category::parse(t).ok()).unwrap_or(current),
            };
            ListRow {
                household_id: h.id.clone(),
                case_id: case.id.clone(),
                number: h.number.clone(),
                head_name: head.map(|m| m.name.clone()).unwrap_or_else(|| h.head_name.clone()),
                head_id_number: head.and_then(|m| m.id_number_enc.as_deref()).and_then(|e| crypto.open(e).ok()).map(|n| mask_id_number(&n)),
                kind,
                category,
                reason: case.reason.clone(),
            }
        })
        .collect();
    Ok(PostedList { village_code: village.as_str().to_owned(), place, step, first_day: posted_on, last_day, batch_ids, rows })
}
