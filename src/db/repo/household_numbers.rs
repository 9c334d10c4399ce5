//! Server-assigned household numbers (户编号 = village code + 4 digits).

use diesel::prelude::*;

use crate::db::fixed::{Cached, fixed};
use crate::db::{DbConnection, DbError};
use crate::db::schema::households;
use crate::domain::DivisionCode;
use crate::domain::household::household_number;

/// The 13th to 16th characters of `households.number` are digits (the same SQL on both backends).
const FOUR_DIGITS: &str = "substr(households.number, 13, 1) BETWEEN '0' AND '9' AND substr(households.number, 14, 1) BETWEEN '0' AND '9' \
     AND substr(households.number, 15, 1) BETWEEN '0' AND '9' AND substr(households.number, 16, 1) BETWEEN '0' AND '9'";

/// The next server-assigned number of a village. The village's counter row is raised inside
/// the creating transaction (an upsert: its row lock serializes creates of one village only,
/// until commit), never below the highest number already in the village (imports and typed
/// numbers do not go through the counter), so it is free when read. A typed or imported number
/// committed between that read and the insert is caught by the unique index: the creating
/// transaction runs again (`households::create`), and the caller never sees it.
pub fn next(c: &mut DbConnection, village: &DivisionCode) -> Result<String, DbError> {
    use crate::db::schema::household_number_counters as counters;
    // The highest number with the village's prefix and four digits after it, wherever the
    // household is now (numbers are unique nationwide): a range of the unique index on numbers,
    // read from its top. A typed number with other characters there ("…9-00" sorts above
    // "…0020") is not a sequence: it neither counts nor hides the highest one below it.
    let highest: Option<String> = households::table
        .filter(households::number.between(household_number(village, 0), household_number(village, 9999)))
        .filter(households::number.like(format!("{}____", village.as_str())))
        .filter(fixed::<diesel::sql_types::Bool>(FOUR_DIGITS))
        .select(diesel::dsl::max(households::number))
        .first(c)?;
    let floor = highest.and_then(|n| n[12..].parse::<i64>().ok()).unwrap_or(0) + 1;
    // Upserts are backend-specific in diesel: the same statement on each concrete connection.
    macro_rules! raise {
        ($conn:expr) => {
            Cached(
                diesel::insert_into(counters::table)
                    .values((counters::village_code.eq(village.as_str()), counters::last_sequence.eq(floor)))
                    .on_conflict(counters::village_code)
                    .do_update()
                    .set(counters::last_sequence.eq(counters::last_sequence + 1))
                    .returning(counters::last_sequence),
            )
            .get_result::<i64>($conn)
        };
    }
    let counted = match c {
        DbConnection::Pg(pg) => raise!(pg)?,
        DbConnection::Sqlite(lite) => raise!(lite)?,
    };
    let seq = counted.max(floor);
    if seq != counted {
        diesel::update(counters::table.filter(counters::village_code.eq(village.as_str()))).set(counters::last_sequence.eq(seq)).execute(c)?;
    }
    if seq > 9999 {
        return Err(DbError::Conflict(format!("village {village} has used all 9999 household numbers: give the number explicitly")));
    }
    Ok(household_number(village, seq as u32))
}

/// Whether an error is the unique index of household numbers refusing a number (on a
/// server-assigned number: one typed or imported meanwhile).
pub fn is_number_taken(e: &diesel::result::Error) -> bool {
    crate::db::Unique::refusing(e) == Some(crate::db::Unique::HouseholdNumber)
}
