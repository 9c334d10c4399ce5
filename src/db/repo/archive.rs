//! What a household's file (一户一档) holds, read in one go for its archive: the record with all
//! its members, every yearly record, the pairings with their cadres, the cases with their steps,
//! the problems, the documents and the photos (all but rejected ones), projects, loans and
//! migrant work.

use diesel::prelude::*;

use super::{households, procedures};
use crate::db::models::{CaseRow, CaseStepRow, DocumentRow, HouseholdRow, MemberRow, PhotoRow, ProblemRow, YearlyRow};
use crate::db::schema::{cadres, cases, documents, pairings, photos, problems, yearly_records};
use crate::db::{DbConnection, DbError};
use crate::domain::Scope;

/// A pairing as the file shows it: the cadre's name and unit (no numbers).
pub struct PairingLine {
    pub cadre_name: String,
    pub work_unit: String,
    /// The cadre's user account, if they have one (whether the caller is the paired cadre).
    pub cadre_user_id: Option<String>,
    pub start_date: chrono::NaiveDate,
    pub end_date: Option<chrono::NaiveDate>,
    pub end_reason: Option<String>,
}

pub struct HouseholdFile {
    pub household: HouseholdRow,
    /// Current members and those who left.
    pub members: Vec<MemberRow>,
    /// Every year, oldest first.
    pub years: Vec<YearlyRow>,
    pub pairings: Vec<PairingLine>,
    pub cases: Vec<(CaseRow, Vec<CaseStepRow>)>,
    pub problems: Vec<ProblemRow>,
    pub documents: Vec<DocumentRow>,
    pub photos: Vec<PhotoRow>,
    /// Projects it benefits from (with its benefit), its loans, its members' migrant work.
    pub projects: Vec<(String, super::assistance::projects::ProjectRow, Option<i64>)>,
    pub loans: Vec<super::assistance::loans::LoanRow>,
    pub migrant_work: Vec<super::assistance::migrant_work::MigrantWorkRow>,
}

/// The file of one household in the scope (404 outside it).
pub fn household_file(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<HouseholdFile, DbError> {
    let household = households::get(c, scope, id)?;
    let ids = [household.id.clone()];
    let members = households::members_of(c, &ids, true)?;
    let years = yearly_records::table.filter(yearly_records::household_id.eq(id)).order(yearly_records::year.asc()).select(YearlyRow::as_select()).load(c)?;
    let pairings = pairings::table
        .inner_join(cadres::table)
        .filter(pairings::household_id.eq(id))
        .order(pairings::start_date.asc())
        .select((cadres::name, cadres::work_unit, cadres::user_id, pairings::start_date, pairings::end_date, pairings::end_reason))
        .load::<(String, String, Option<String>, chrono::NaiveDate, Option<chrono::NaiveDate>, Option<String>)>(c)?
        .into_iter()
        .map(|(cadre_name, work_unit, cadre_user_id, start_date, end_date, end_reason)| PairingLine { cadre_name, work_unit, cadre_user_id, start_date, end_date, end_reason })
        .collect();
    let case_rows: Vec<CaseRow> = cases::table.filter(cases::household_id.eq(id)).order(cases::id.asc()).select(CaseRow::as_select()).load(c)?;
    let case_ids: Vec<String> = case_rows.iter().map(|r| r.id.clone()).collect();
    let mut steps = procedures::steps_of_cases(c, &case_ids)?;
    let cases = case_rows
        .into_iter()
        .map(|case| {
            let (mine, rest): (Vec<CaseStepRow>, Vec<CaseStepRow>) = std::mem::take(&mut steps).into_iter().partition(|s| s.case_id == case.id);
            steps = rest;
            (case, mine)
        })
        .collect();
    let problems = problems::table.filter(problems::household_id.eq(id)).order(problems::id.asc()).select(ProblemRow::as_select()).load(c)?;
    let documents = documents::table.filter(documents::household_id.eq(id)).order((documents::year.asc(), documents::id.asc())).select(DocumentRow::as_select()).load(c)?;
    let photos = photos::table.filter(photos::household_id.eq(id)).filter(photos::status.ne("rejected")).order((photos::year.asc(), photos::id.asc())).select(PhotoRow::as_select()).load(c)?;
    let projects = super::assistance::projects::of_households(c, &ids)?;
    let loans = super::assistance::loans::of_households(c, &ids)?;
    let migrant_work = super::assistance::migrant_work::of_households(c, &ids, None)?;
    Ok(HouseholdFile { household, members, years, pairings, cases, problems, documents, photos, projects, loans, migrant_work })
}
