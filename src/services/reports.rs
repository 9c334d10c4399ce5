//! The year's reports a township hands in: 问题台账 and 整改清单 (the problems found in a
//! statistical year with their rectification), and 自查评估汇总, the self-assessment summary,
//! whose figures are the sums of what the detail endpoints list.

use std::collections::{BTreeMap, HashMap};

use super::Caller;
use super::quality::People;
use crate::db::models::{ProblemRow, ProblemSignoffRow, SpotCheckRow};
use crate::db::repo::{divisions, problems, reports as repo};
use crate::domain::household::{Category, Counted};
use crate::domain::procedure::{Accuracy, accuracy};
use crate::domain::DivisionCode;
use crate::error::ApiError;
use crate::state::AppState;

/// The problems of a year with their households, sign-offs and the names of their divisions.
pub struct YearLedger {
    pub rows: Vec<ProblemRow>,
    pub people: People,
    pub signoffs: Vec<ProblemSignoffRow>,
    pub names: HashMap<String, String>,
}

/// The problems found in `year` in the division (问题台账, 整改清单).
#[tracing::instrument(skip_all, fields(division = %division, year))]
pub async fn year_ledger(state: &AppState, caller: &Caller, division: DivisionCode, year: i32) -> Result<YearLedger, ApiError> {
    let scope = caller.scope();
    let max = state.settings.report_max_rows;
    state
        .db
        .run(move |c| {
            let rows = repo::problems_of_year(c, &scope, &division, year, max)?;
            let people = People::load(c, &rows)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let signoffs = problems::signoffs_of(c, &ids)?;
            let mut codes: Vec<String> = rows.iter().flat_map(|r| [r.village_code.clone(), r.township_code.clone()]).collect();
            codes.push(division.to_string());
            codes.sort();
            codes.dedup();
            let names = divisions::names(c, &codes)?;
            Ok(YearLedger { rows, people, signoffs, names })
        })
        .await
}

/// Problems of one source: found in the year, rectified (rectified or closed) and overdue
/// (unsettled past their deadline).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCounts {
    pub found: i64,
    pub rectified: i64,
    pub closed: i64,
    pub overdue: i64,
}

/// The figures of 自查评估汇总.
pub struct SelfAssessment {
    pub division_name: String,
    /// category → (households, people).
    pub by_category: BTreeMap<String, (i64, i64)>,
    /// Monitoring objects whose risk is eliminated, and the rest.
    pub risks_eliminated: i64,
    pub risks_remaining: i64,
    /// Of 帮扶对象 (every household but 一般农户), as `GET /coverage` counts them.
    pub assisted: i64,
    pub located: i64,
    pub photo_sets_complete: i64,
    /// Households whose file 一户一档 of the year is complete (`GET /coverage`'s `files_complete`).
    pub files_complete: i64,
    pub problems: BTreeMap<String, SourceCounts>,
    pub spot_check: Option<(SpotCheckRow, Accuracy)>,
}

/// The self-assessment summary of a division for a year.
#[tracing::instrument(skip_all, fields(division = %division, year))]
pub async fn self_assessment(state: &AppState, caller: &Caller, division: DivisionCode, year: i32) -> Result<SelfAssessment, ApiError> {
    let coverage = super::locations::coverage(state, caller, division.clone(), Counted::Assisted, year).await?;
    let ledger = year_ledger(state, caller, division.clone(), year).await?;
    let scope = caller.scope();
    let today = state.today();
    let monitored: Vec<&'static str> = [Category::MonitoredUnstable, Category::MonitoredMarginal, Category::MonitoredHardship].iter().map(|c| c.as_str()).collect();
    let (by_category, risks, spot) = state
        .db
        .run(move |c| {
            let by_category = repo::by_category(c, &scope, &division)?;
            let risks = repo::risks(c, &scope, &division, &monitored)?;
            let spot = repo::latest_spot_check(c, &scope, &division)?;
            Ok((by_category, risks, spot))
        })
        .await?;
    let mut problems: BTreeMap<String, SourceCounts> = BTreeMap::new();
    for r in &ledger.rows {
        let e = problems.entry(r.source.clone()).or_default();
        e.found += 1;
        e.rectified += i64::from(r.status == "rectified" || r.status == "closed");
        e.closed += i64::from(r.status == "closed");
        e.overdue += i64::from(r.deadline < today && ["open", "verified", "rectified"].contains(&r.status.as_str()));
    }
    let eliminated = risks.iter().filter(|(s, _)| s.as_deref() == Some("eliminated")).map(|(_, n)| n).sum();
    let remaining = risks.iter().filter(|(s, _)| s.as_deref() != Some("eliminated")).map(|(_, n)| n).sum();
    let total = coverage.total;
    Ok(SelfAssessment {
        division_name: total.division.name.clone(),
        by_category: by_category.into_iter().map(|(c, n, p)| (c, (n, p))).collect(),
        risks_eliminated: eliminated,
        risks_remaining: remaining,
        assisted: total.counts.households,
        located: total.counts.located,
        photo_sets_complete: total.photos.sets_complete,
        files_complete: total.files_complete,
        problems,
        spot_check: spot.map(|(check, results)| {
            let a = accuracy(&results);
            (check, a)
        }),
    })
}
