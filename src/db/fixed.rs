//! Statements kept in the prepared-statement cache where diesel would leave them out. [`Fixed`]:
//! SQL text fixed at compile time as a diesel expression that keeps its statement in the
//! prepared-statement cache. `diesel::dsl::sql` takes any statement it is part of out of the
//! cache (its text may differ from one call to the next), so PostgreSQL parses and plans that
//! statement on every call; a `&'static str` cannot differ. [`Cached`]: a statement diesel never caches
//! (UPDATE, upsert, multi-row insert) at a call site where its text does not vary.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

/// A fragment of SQL text of type `ST`, fixed at compile time (no value in it: bind values).
#[derive(Debug, Clone, Copy)]
pub struct Fixed<ST> {
    sql: &'static str,
    _type: PhantomData<ST>,
}

/// `sql` as an expression of type `ST` (see the module comment).
pub const fn fixed<ST>(sql: &'static str) -> Fixed<ST> {
    Fixed { sql, _type: PhantomData }
}

impl<ST: TypedExpressionType> Expression for Fixed<ST> {
    type SqlType = ST;
}
impl<ST: TypedExpressionType, QS> AppearsOnTable<QS> for Fixed<ST> {}
impl<ST: TypedExpressionType, QS> SelectableExpression<QS> for Fixed<ST> {}
impl<ST, GB> ValidGrouping<GB> for Fixed<ST> {
    type IsAggregate = is_aggregate::Never;
}
impl<ST> QueryId for Fixed<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
impl<ST, DB: Backend> QueryFragment<DB> for Fixed<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

/// A statement diesel would not cache — an UPDATE, an upsert, a multi-row insert, a
/// `sql_query` of fixed text — at a call
/// site where its text is the same on every call (or one of a few: the rows of one household):
/// kept in the prepared-statement cache, keyed by that text. Not for a statement whose text
/// grows with its input (a list of ids on SQLite, a changeset of varying columns): the cache
/// would grow with it.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(pub Q);

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Cached<Q> {
    type SqlType = Q::SqlType;
}
impl<Q, Conn> diesel::RunQueryDsl<Conn> for Cached<Q> {}
impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Cached<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use diesel::query_builder::QueryFragment;
    use diesel::sql_types::BigInt;

    use super::fixed;
    use crate::db::Backend;
    use crate::db::models::{AuditRow, HouseholdRow};
    use crate::db::schema::{audit_log, households};

    /// Every Rust source file under `src/`, with its text.
    fn sources() -> Vec<(std::path::PathBuf, String)> {
        let (mut dirs, mut files) = (vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")], Vec::new());
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let code = std::fs::read_to_string(&path).unwrap();
                    files.push((path, code));
                }
            }
        }
        files
    }

    #[test]
    fn fixed_text_and_cached_statements_stay_in_the_cache_where_diesel_would_drop_them() {
        for backend in [Backend::Pg(diesel::pg::Pg), Backend::Sqlite(diesel::sqlite::Sqlite)] {
            let kept = diesel::select(fixed::<BigInt>("1 + 1"));
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&kept, &backend).unwrap());
            let dropped = diesel::select(diesel::dsl::sql::<BigInt>("1 + 1"));
            assert!(!QueryFragment::<Backend>::is_safe_to_cache_prepared(&dropped, &backend).unwrap(), "the reference: dsl::sql is never cached");
            use diesel::prelude::*;
            let update = diesel::update(households::table.filter(households::id.eq("h"))).set(households::version.eq(2_i64));
            assert!(!QueryFragment::<Backend>::is_safe_to_cache_prepared(&update, &backend).unwrap(), "the reference: diesel caches no UPDATE");
            let update = super::Cached(diesel::update(households::table.filter(households::id.eq("h"))).set(households::version.eq(2_i64)));
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&update, &backend).unwrap());
            // A statement of fixed text with its values bound (the village counter's upsert).
            let text = diesel::sql_query("SELECT $1 AS n").bind::<BigInt, _>(1_i64);
            assert!(!QueryFragment::<Backend>::is_safe_to_cache_prepared(&text, &backend).unwrap(), "the reference: diesel caches no sql_query");
            let text = super::Cached(diesel::sql_query("SELECT $1 AS n").bind::<BigInt, _>(1_i64));
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&text, &backend).unwrap());
        }
    }

    /// `diesel::dsl::sql` only in statements diesel never caches anyway (an UPDATE); anything
    /// else fixed at compile time is [`fixed`], with its values bound.
    #[test]
    fn no_query_of_the_source_leaves_the_cache_for_a_fragment_of_text() {
        let mut offending = Vec::new();
        for (path, code) in sources() {
            if path.ends_with("db/fixed.rs") {
                continue;
            }
            for (i, line) in code.lines().enumerate() {
                if (line.contains("dsl::sql::<") || line.contains("dsl::sql(")) && !line.contains("update(") {
                    offending.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
        assert!(offending.is_empty(), "use db::fixed::fixed (or a typed expression):\n{}", offending.join("\n"));
    }

    /// An insert that leaves a `None` to the column's DEFAULT has one statement text per mix of
    /// `None`s, and diesel keeps none of them in the prepared-statement cache: PostgreSQL parses
    /// and plans it on every write. Every `Insertable` row says None is NULL (a column with a
    /// DEFAULT is NOT NULL here, so its field is no `Option` and the compiler holds the rest).
    #[test]
    fn every_inserted_row_is_one_cacheable_statement() {
        let village = crate::domain::DivisionCode::parse("610831101201").unwrap();
        let household = HouseholdRow::new(&village, "6108311012010001".into(), "ordinary", "王建国", "u");
        let audit = AuditRow {
            id: "a".into(),
            at: crate::db::now(),
            actor_id: None,
            actor_name: None,
            action: "read".into(),
            entity_type: "household".into(),
            entity_id: "h".into(),
            household_id: None,
            before_json: None,
            after_json: None,
        };
        for backend in [Backend::Pg(diesel::pg::Pg), Backend::Sqlite(diesel::sqlite::Sqlite)] {
            let insert = diesel::insert_into(households::table).values(&household);
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&insert, &backend).unwrap(), "household");
            let insert = diesel::insert_into(audit_log::table).values(&audit);
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&insert, &backend).unwrap(), "audit row");
        }
        let (mut found, mut missing) = (0, Vec::new());
        for (path, code) in sources() {
            let lines: Vec<&str> = code.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.trim_start().starts_with("#[derive(") && line.contains("Insertable") {
                    found += 1;
                    let mut attrs = lines[i + 1..].iter().take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("//"));
                    if !attrs.any(|l| l.contains("treat_none_as_default_value = false")) {
                        missing.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
            }
        }
        assert!(found >= 30, "only {found} Insertable rows found: is the walk still reading src/?");
        assert!(missing.is_empty(), "rows whose None inserts DEFAULT (add #[diesel(treat_none_as_default_value = false)]): {missing:?}");
    }
}
