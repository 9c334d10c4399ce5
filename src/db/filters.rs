//! The caller's scope and a division as SQL filters, written once for every table whose rows
//! carry the division codes of their household (county, township, village).
//!
//! A division selects the rows of its level's code column; a city or a province (above every
//! stored column) selects by the prefix of the county code. A scope selects its division's rows,
//! except a cadre's, which selects the households paired with them (`past`: ever paired).
//! `Scope::covers` answers the same question for one code in memory.

use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::db::Backend;
use crate::domain::{DivisionCode, Level, Scope};

/// A filter over the query source `QS` (a table, or a join that contains it).
pub type Filter<QS> = Box<dyn BoxableExpression<QS, Backend, SqlType = Bool>>;

/// `"$table"."$col" IN (ids of the households paired with cadre user $user)`: currently, or
/// (`past`) ever. Fixed SQL text with only the user id bound, valid on any query source that
/// holds the table — a join too, even one that names `pairings` or `cadres` itself (the subquery's
/// own names shadow them), where diesel refuses a typed subquery over a table of the outer join.
/// Unlike `diesel::dsl::sql`, the statement stays in the prepared-statement cache (its text does
/// not depend on the user).
#[derive(Debug, Clone)]
pub struct PairedWith {
    /// The quoted household id column: `"households"."id"`.
    column: &'static str,
    user_id: String,
    past: bool,
}

impl Expression for PairedWith {
    type SqlType = Bool;
}
impl<QS> AppearsOnTable<QS> for PairedWith {}
impl<QS> SelectableExpression<QS> for PairedWith {}
impl<GB> diesel::expression::ValidGrouping<GB> for PairedWith {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}
impl diesel::query_builder::QueryId for PairedWith {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
impl diesel::query_builder::QueryFragment<Backend> for PairedWith {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Backend>) -> QueryResult<()> {
        out.push_sql(self.column);
        out.push_sql(concat!(
            r#" IN (SELECT "pairings"."household_id" FROM "pairings" WHERE "pairings"."cadre_id" IN "#,
            r#"(SELECT "cadres"."id" FROM "cadres" WHERE "cadres"."user_id" = "#
        ));
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.user_id)?;
        out.push_sql(if self.past { "))" } else { r#") AND "pairings"."end_date" IS NULL)"# });
        Ok(())
    }
}

/// For a table with `county_code`, `township_code` and `village_code`: a module of the same
/// name with `in_division`, usable on the table and on any join that contains it; with
/// `household = column`, also `in_scope`, a cadre reaching rows by that household id column.
macro_rules! divided {
    ($table:ident $(, household = $household:ident)?) => {
        pub mod $table {
            use super::*;
            use crate::db::schema::$table as t;

            /// Rows in `division` or below it.
            pub fn in_division<QS>(division: &DivisionCode) -> Filter<QS>
            where
                t::village_code: SelectableExpression<QS>,
                t::township_code: SelectableExpression<QS>,
                t::county_code: SelectableExpression<QS>,
            {
                let code = division.as_str().to_owned();
                match division.level() {
                    Level::Village => Box::new(t::village_code.eq(code)),
                    Level::Township => Box::new(t::township_code.eq(code)),
                    Level::County => Box::new(t::county_code.eq(code)),
                    Level::City | Level::Province => Box::new(t::county_code.like(format!("{}%", division.prefix()))),
                }
            }
            $(
            /// Rows the scope covers, on the table or any join that contains it.
            pub fn in_scope<QS>(scope: &Scope) -> Filter<QS>
            where
                t::$household: SelectableExpression<QS>,
                t::village_code: SelectableExpression<QS>,
                t::township_code: SelectableExpression<QS>,
                t::county_code: SelectableExpression<QS>,
            {
                match scope {
                    Scope::Cadre { user_id, past, .. } => Box::new(PairedWith {
                        column: concat!("\"", stringify!($table), "\".\"", stringify!($household), "\""),
                        user_id: user_id.clone(),
                        past: *past,
                    }),
                    other => in_division(other.division()),
                }
            }
            )?
        }
    };
}

divided!(households, household = id);
divided!(photos, household = household_id);
divided!(documents, household = household_id);
divided!(cases, household = household_id);
divided!(problems);
divided!(work_teams);
divided!(project_villages);
divided!(sync_tombstones);

/// Households in `division` or below as one statement whatever the level:
/// `households.village_code LIKE '<prefix>%'` (a village's code begins with its township's and its
/// county's prefix, and a household's township and county codes are always its village's). The
/// rows of `households::in_division`, unboxed: a query built on it keeps a static statement id,
/// so diesel finds its prepared statement by type instead of writing its SQL anew on every call
/// (the full record's read selects a hundred columns; writing them out was a tenth of its CPU).
pub fn households_under(division: &DivisionCode) -> diesel::dsl::Like<crate::db::schema::households::village_code, String> {
    crate::db::schema::households::village_code.like(format!("{}%", division.prefix()))
}

/// The same rule as `in_division`, as SQL text for the few hand-written queries (photo coverage).
/// The code is inlined: a `DivisionCode` holds exactly 12 digits, so it cannot carry SQL.
pub fn division_sql(division: &DivisionCode) -> String {
    division_sql_of("", division)
}

/// [`division_sql`] on the columns of a table named in the query (`"d."` for `documents d`).
pub fn division_sql_of(prefix: &str, division: &DivisionCode) -> String {
    let code = division.as_str();
    match division.level() {
        Level::Village => format!("{prefix}village_code = '{code}'"),
        Level::Township => format!("{prefix}township_code = '{code}'"),
        Level::County => format!("{prefix}county_code = '{code}'"),
        Level::City | Level::Province => format!("{prefix}county_code LIKE '{}%'", division.prefix()),
    }
}

#[cfg(test)]
mod tests {
    use diesel::query_builder::QueryFragment;

    use super::*;
    use crate::db::schema::{households, pairings};

    /// Every scope's filter leaves a statement in the prepared-statement cache of both backends
    /// (a `diesel::dsl::sql` fragment would take it out: parsed and planned on every call), on
    /// the table and on a join that names `pairings` itself.
    #[test]
    fn every_scope_filter_keeps_its_statement_cacheable() {
        let code = |c: &str| DivisionCode::parse(c).unwrap();
        let scopes = [
            Scope::County(code("610831000000")),
            Scope::Township(code("610831101000")),
            Scope::Village(code("610831101201")),
            Scope::County(code("610800000000")),
            Scope::Cadre { jurisdiction: code("610831101201"), user_id: "u".into(), past: false },
            Scope::Cadre { jurisdiction: code("610831101201"), user_id: "u".into(), past: true },
        ];
        let backends = [Backend::Pg(diesel::pg::Pg), Backend::Sqlite(diesel::sqlite::Sqlite)];
        for scope in &scopes {
            let alone = households::table.into_boxed::<Backend>().filter(super::households::in_scope(scope)).select(households::id);
            let joined = households::table
                .left_join(pairings::table.on(pairings::household_id.eq(households::id)))
                .into_boxed::<Backend>()
                .filter(super::households::in_scope(scope))
                .select(households::id);
            for backend in &backends {
                assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&alone, backend).unwrap(), "{scope:?} alone");
                assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&joined, backend).unwrap(), "{scope:?} joined");
            }
        }
    }

    /// A division's scope on the full record's join keeps a static statement id (diesel then
    /// finds the prepared statement by type, writing no SQL), where the boxed filter has none;
    /// `households_under` selects by the prefix of the village code at every level.
    #[test]
    fn a_division_scope_unboxed_keeps_a_static_statement_id() {
        use diesel::query_builder::{QueryId, debug_query};
        use crate::db::schema::{cadres, members};
        fn static_id<Q: QueryId>(_: &Q) -> bool {
            Q::HAS_STATIC_QUERY_ID
        }
        for (code, like) in [("610831000000", "610831%"), ("610831100000", "610831100%"), ("610831100201", "610831100201%")] {
            let division = DivisionCode::parse(code).unwrap();
            let joined = households::table
                .left_join(members::table)
                .left_join(pairings::table.on(pairings::household_id.eq(households::id).and(pairings::end_date.is_null())))
                .left_join(cadres::table.on(cadres::id.eq(pairings::cadre_id)))
                .filter(households_under(&division))
                .filter(households::id.eq("h".to_owned()))
                .select((households::id, members::id.nullable()));
            assert!(static_id(&joined), "{code}");
            let sql = debug_query::<diesel::pg::Pg, _>(&households::table.filter(households_under(&division)).select(households::id)).to_string();
            assert!(sql.contains(r#""households"."village_code" LIKE $1"#) && sql.contains(&format!("\"{like}\"")), "{sql}");
        }
        let boxed = households::table.into_boxed::<Backend>().filter(super::households::in_scope(&Scope::County(DivisionCode::parse("610831000000").unwrap())));
        assert!(!static_id(&boxed), "the boxed filter has no static id: the reason for the unboxed one");
    }
}
