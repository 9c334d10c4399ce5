//! Coverage of home locations, counted in SQL with one grouped query over households (each
//! household carries its current home, so no join is needed), and the homes for maps.

use chrono::NaiveDateTime;
use diesel::dsl::{case_when, count_star};
use diesel::IntoSql;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::households::{scoped, within};
use crate::db::{DbConnection, DbError, filters};
use crate::db::schema::households as h;
use crate::domain::household::{Category, Counted};
use crate::domain::{DivisionCode, Level, Scope};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub households: i64,
    pub located: i64,
    pub stale: i64,
    pub low_accuracy: i64,
    pub pending_moves: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.households += o.households;
        self.located += o.located;
        self.stale += o.stale;
        self.low_accuracy += o.low_accuracy;
        self.pending_moves += o.pending_moves;
    }
}

type Row = (String, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

macro_rules! grouped_by {
    ($q:expr, $col:expr, $stale:expr) => {
        $q.group_by($col).select((
            $col,
            count_star(),
            diesel::dsl::sum(case_when(h::home_location_id.is_not_null(), 1_i32.into_sql::<Integer>()).otherwise(0_i32.into_sql::<Integer>())),
            diesel::dsl::sum(case_when(h::home_captured_at.lt($stale), 1_i32.into_sql::<Integer>()).otherwise(0_i32.into_sql::<Integer>())),
            diesel::dsl::sum(case_when(h::last_capture_low_accuracy.eq(true), 1_i32.into_sql::<Integer>()).otherwise(0_i32.into_sql::<Integer>())),
            diesel::dsl::sum(case_when(h::pending_move_id.is_not_null(), 1_i32.into_sql::<Integer>()).otherwise(0_i32.into_sql::<Integer>())),
        ))
    };
}

/// Counts per child of `division` (townships of a county, villages of a township, the village
/// itself for a village), within the caller's scope.
pub fn by_child(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, counted: Counted, stale_before: NaiveDateTime) -> Result<Vec<(String, Counts)>, DbError> {
    // Every category when all are counted: one statement shape for both.
    let categories = counted.categories().unwrap_or_else(|| Category::ALL.iter().map(|c| c.as_str()).collect());
    let q = || {
        h::table
            .filter(filters::households::in_scope(scope))
            .filter(filters::households::in_division(division))
            .filter(h::category.eq_any(categories.clone()))
    };
    let rows: Vec<Row> = match division.level() {
        Level::Township | Level::Village => grouped_by!(q(), h::village_code, stale_before).load(c)?,
        _ => grouped_by!(q(), h::township_code, stale_before).load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|(code, n, located, stale, low, pending)| {
            let counts = Counts {
                households: n,
                located: located.unwrap_or(0),
                stale: stale.unwrap_or(0),
                low_accuracy: low.unwrap_or(0),
                pending_moves: pending.unwrap_or(0),
            };
            (code, counts)
        })
        .collect())
}

/// A household's home for maps.
pub struct Home {
    pub id: String,
    pub village_code: String,
    pub number: String,
    pub head_name: String,
    pub category: String,
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
    pub captured_at: Option<NaiveDateTime>,
    pub pending_move: bool,
}

/// Homes in `division` after the cursor id, by id.
pub fn homes(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, after: Option<&str>, limit: i64) -> QueryResult<Vec<Home>> {
    let mut q = within(scoped(scope), division).filter(h::home_lat.is_not_null());
    if let Some(a) = after {
        q = q.filter(h::id.gt(a.to_owned()));
    }
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, String, String, String, String, Option<f64>, Option<f64>, Option<f64>, Option<NaiveDateTime>, Option<String>)> = q
        .order(h::id.asc())
        .limit(limit)
        .select((h::id, h::village_code, h::number, h::head_name, h::category, h::home_lat, h::home_lon, h::home_accuracy_m, h::home_captured_at, h::pending_move_id))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, village_code, number, head_name, category, lat, lon, accuracy_m, captured_at, pending)| Home {
            id,
            village_code,
            number,
            head_name,
            category,
            lat: lat.unwrap_or_default(),
            lon: lon.unwrap_or_default(),
            accuracy_m,
            captured_at,
            pending_move: pending.is_some(),
        })
        .collect())
}
