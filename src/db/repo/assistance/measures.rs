//! Assistance measures 帮扶措施 of a household.

use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::households;
use super::Created;
use crate::db::models::MeasureRow;
use crate::db::schema::measures;
use crate::db::{DbConnection, DbError, write_tx};
use crate::domain::Scope;

pub fn add_measure(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: MeasureRow) -> Result<Created<MeasureRow>, DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        if let Some(cid) = &row.client_id {
            let existing: Option<MeasureRow> = measures::table.filter(measures::client_id.eq(cid)).select(MeasureRow::as_select()).first(c).optional()?;
            match existing {
                Some(e) if e.household_id == row.household_id => return Ok(Created::Existing(e)),
                Some(_) => return Err(DbError::Conflict("this client_id was used for another measure".into())),
                None => {}
            }
        }
        diesel::insert_into(measures::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "measure_add", entity_type: "measure", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(json!({"kind": row.kind, "title": row.title, "start_date": row.start_date, "amount_cents": row.amount_cents})) })?;
        Ok(Created::New(row))
    })
}

pub fn measures_of(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<Vec<MeasureRow>, DbError> {
    households::get(c, scope, household_id)?;
    Ok(measures::table.filter(measures::household_id.eq(household_id)).order((measures::start_date.desc(), measures::id.desc())).select(MeasureRow::as_select()).load(c)?)
}
