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

/// A statement diesel would not cache — an UPDATE, an upsert, a multi-row insert — at a call
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

    #[test]
    fn fixed_text_and_cached_statements_stay_in_the_cache_where_diesel_would_drop_them() {
        for backend in [Backend::Pg(diesel::pg::Pg), Backend::Sqlite(diesel::sqlite::Sqlite)] {
            let kept = diesel::select(fixed::<BigInt>("1 + 1"));
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&kept, &backend).unwrap());
            let dropped = diesel::select(diesel::dsl::sql::<BigInt>("1 + 1"));
            assert!(!QueryFragment::<Backend>::is_safe_to_cache_prepared(&dropped, &backend).unwrap(), "the reference: dsl::sql is never cached");
            use crate::db::schema::households;
            use diesel::prelude::*;
            let update = diesel::update(households::table.filter(households::id.eq("h"))).set(households::version.eq(2_i64));
            assert!(!QueryFragment::<Backend>::is_safe_to_cache_prepared(&update, &backend).unwrap(), "the reference: diesel caches no UPDATE");
            let update = super::Cached(diesel::update(households::table.filter(households::id.eq("h"))).set(households::version.eq(2_i64)));
            assert!(QueryFragment::<Backend>::is_safe_to_cache_prepared(&update, &backend).unwrap());
        }
    }

    /// `diesel::dsl::sql` only in statements diesel never caches anyway (an UPDATE); anything
    /// else fixed at compile time is [`fixed`], with its values bound.
    #[test]
    fn no_query_of_the_source_leaves_the_cache_for_a_fragment_of_text() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (mut dirs, mut offending) = (vec![src], Vec::new());
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("db/fixed.rs") {
                    let code = std::fs::read_to_string(&path).unwrap();
                    for (i, line) in code.lines().enumerate() {
                        if (line.contains("dsl::sql::<") || line.contains("dsl::sql(")) && !line.contains("update(") {
                            offending.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(offending.is_empty(), "use db::fixed::fixed (or a typed expression):\n{}", offending.join("\n"));
    }
}
