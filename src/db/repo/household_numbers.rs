//! Server-assigned household numbers (户编号 = village code + 4 digits).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::fixed::Cached;
use crate::db::{DbConnection, DbError};
use crate::domain::DivisionCode;
use crate::domain::household::household_number;

/// The village's counter raised past its last number and past the village's highest number, in
/// one statement (`$1` the village, `$2`..`$3` the range of its numbers, `$4` its LIKE pattern):
/// the highest number with the village's prefix and four digits after it, wherever the
/// household is now (numbers are unique nationwide) — a range of the unique index on numbers,
/// read from its top. A typed number with other characters there ("…9-00" sorts above "…0020")
/// is not a sequence: it neither counts nor hides the highest one below it (an explicit
/// `ORDER BY … DESC LIMIT 1`: PostgreSQL plans `max()` under these filters as a scan of the
/// whole range). The same SQL on both backends but for the larger of two values (`GREATEST` /
/// SQLite's two-argument `max`).
macro_rules! raise_counter {
    ($greatest:literal) => {
        concat!(
            "INSERT INTO household_number_counters (village_code, last_sequence) VALUES ($1, COALESCE(CAST(substr((",
            "SELECT households.number FROM households WHERE households.number BETWEEN $2 AND $3 AND households.number LIKE $4 ",
            "AND substr(households.number, 13, 1) BETWEEN '0' AND '9' AND substr(households.number, 14, 1) BETWEEN '0' AND '9' ",
            "AND substr(households.number, 15, 1) BETWEEN '0' AND '9' AND substr(households.number, 16, 1) BETWEEN '0' AND '9' ",
            "ORDER BY households.number DESC LIMIT 1), 13, 4) AS BIGINT), 0) + 1) ON CONFLICT (village_code) DO UPDATE SET last_sequence = ",
            $greatest,
            "(household_number_counters.last_sequence + 1, excluded.last_sequence) RETURNING last_sequence"
        )
    };
}

#[derive(QueryableByName)]
struct Raised {
    #[diesel(sql_type = BigInt)]
    last_sequence: i64,
}

/// The next server-assigned number of a village. The village's counter row is raised inside
/// the creating transaction (an upsert: its row lock serializes creates of one village only,
/// until commit), never below the highest number already in the village (imports and typed
/// numbers do not go through the counter), so it is free when read. A typed or imported number
/// committed between that read and the insert is caught by the unique index: the creating
/// transaction runs again (`households::create`), and the caller never sees it. One round trip.
pub fn next(c: &mut DbConnection, village: &DivisionCode) -> Result<String, DbError> {
    macro_rules! raise {
        ($conn:expr, $greatest:literal) => {
            Cached(
                diesel::sql_query(raise_counter!($greatest))
                    .bind::<Text, _>(village.as_str())
                    .bind::<Text, _>(household_number(village, 0))
                    .bind::<Text, _>(household_number(village, 9999))
                    .bind::<Text, _>(format!("{}____", village.as_str())),
            )
            .get_result::<Raised>($conn)
        };
    }
    let seq = match c {
        DbConnection::Pg(pg) => raise!(pg, "GREATEST")?,
        DbConnection::Sqlite(lite) => raise!(lite, "max")?,
    }
    .last_sequence;
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
