//! `/labels`: every coded value the document lists for the fields people read has a label in
//! both languages, and the table has no label for a value the document does not list.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

/// The values the document lists for a schema (an enumeration) or a schema's property.
fn listed(doc: &Value, schema: &str, property: Option<&str>) -> BTreeSet<String> {
    let mut s = &doc["components"]["schemas"][schema];
    if let Some(p) = property {
        s = &s["properties"][p];
    }
    let one_of = s["oneOf"].as_array().and_then(|o| o.iter().find(|x| x["enum"].is_array()));
    let values = one_of.map_or(&s["enum"], |o| &o["enum"]);
    values.as_array().unwrap_or_else(|| panic!("{schema}.{property:?} lists no values: {s}")).iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn every_coded_value_people_read_has_a_label_in_chinese_and_english() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let res = officer.get("/labels").await;
    assert_eq!(res.status(), 200);
    let labels: Value = res.json().await.unwrap();
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    for (field, schema, property) in [
        ("category", "Category", None),
        ("relation", "Relation", None),
        ("sex", "Sex", None),
        ("photo_kind", "PhotoKind", None),
        ("photo_status", "PhotoView", Some("status")),
        ("problem_status", "ProblemView", Some("status")),
        ("risk_status", "HouseholdView", Some("risk_status")),
        ("risk_type", "HouseholdProfile", Some("fallback_reason")),
        ("household_flag", "HouseholdFlag", None),
        ("elimination_way", "EliminationWay", None),
        ("join_reason", "JoinReason", None),
        ("removal_reason", "RemovalReason", None),
        ("no_id_reason", "NoIdReason", None),
    ] {
        let table = labels[field].as_object().unwrap_or_else(|| panic!("no labels for {field}: {labels}"));
        let labelled: BTreeSet<String> = table.keys().cloned().collect();
        assert_eq!(labelled, listed(&doc, schema, property), "{field}: the labels and the document's values");
        for (value, label) in table {
            assert!(label["zh"].as_str().is_some_and(|s| !s.is_empty()) && label["en"].as_str().is_some_and(|s| !s.is_empty()), "{field}.{value}: {label}");
        }
    }
    assert_eq!(labels["category"]["ordinary"]["zh"], "一般农户");
    assert_eq!(labels["relation"]["head"]["zh"], "户主");
    let anonymous = reqwest::Client::new().get(app.url("/api/v1/labels")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "behind login like every other path");
}
