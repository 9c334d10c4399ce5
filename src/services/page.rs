//! One page of a list: the one page type of every list of the API.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// One page of a list in id order; `next_cursor` continues it (absent after the last page).
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `rows` asked for with `limit`: a full page has a next cursor (the last id).
    pub fn of(rows: Vec<T>, limit: i64, id: impl Fn(&T) -> &str) -> Self {
        let next_cursor = crate::db::repo::cursor::next(&rows, limit, id);
        Self { items: rows, next_cursor }
    }

    /// The same page with each item turned into something else (a row into its view).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// In the document each page is a schema of its own, named after its items (`HouseholdView` →
/// `HouseholdPage`), whose items refer to the item's schema. (A derived generic schema would
/// copy the item's schema into every page under a `Page_…` name.) Handlers name a page with
/// an alias (`pub type HouseholdPage = Page<HouseholdView>`): utoipa takes a generic type
/// written out in an annotation for one to compose.
impl<T: ToSchema> PartialSchema for Page<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(Ref::from_schema_name(T::name())))
            .required("items")
            .property("next_cursor", ObjectBuilder::new().schema_type([Type::String, Type::Null].into_iter().collect::<utoipa::openapi::schema::SchemaType>()))
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> Cow<'static, str> {
        let item = T::name();
        Cow::Owned(match item.strip_suffix("View") {
            Some(stem) => format!("{stem}Page"),
            None => format!("{item}Page"),
        })
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, ToSchema)]
    struct ThingView {
        id: String,
    }

    #[test]
    fn a_page_is_named_after_its_items_and_refers_to_them() {
        assert_eq!(Page::<ThingView>::name(), "ThingPage");
        let schema = serde_json::to_value(Page::<ThingView>::schema()).unwrap();
        assert_eq!(schema["properties"]["items"]["items"]["$ref"], "#/components/schemas/ThingView");
        assert_eq!(schema["required"], serde_json::json!(["items"]));
        let mut schemas = Vec::new();
        Page::<ThingView>::schemas(&mut schemas);
        assert!(schemas.iter().any(|(n, _)| n == "ThingView"));
    }

    #[test]
    fn a_full_page_has_a_cursor_and_the_last_has_none() {
        let ids = |n: usize| (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect::<Vec<_>>();
        assert!(Page::of(ids(3), 3, |s| s).next_cursor.is_some());
        assert!(Page::of(ids(2), 3, |s| s).next_cursor.is_none());
        let page = Page::of(vec!["a".to_owned()], 5, |s| s).map(|s| s.len());
        assert_eq!(page.items, vec![1]);
    }
}
