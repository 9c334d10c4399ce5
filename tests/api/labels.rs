//! `/labels`: every coded value the document lists — each enumeration of every schema, found by
//! walking the document — has a label in both languages, and the table has no label for a value
//! the document does not list. A new enumeration fails here until `domain/labels.rs` labels it
//! and a row below says which table it reads from.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::helpers::*;

/// Where each enumeration of the document takes its labels: (schema, property or "" for an
/// enumeration schema) → (labels table, whether the document lists every value of the table
/// or only some — a request accepting a subset, such as the statuses a problem may change to).
const TABLES: &[(&str, &str, &str, bool)] = &[
    ("Category", "", "category", true),
    ("Relation", "", "relation", true),
    ("Sex", "", "sex", true),
    ("PhotoKind", "", "photo_kind", true),
    ("DocumentKind", "", "document_kind", true),
    ("Proposal", "", "screening_proposal", true),
    ("ScreeningView", "criterion", "screening_criterion", true),
    ("ScreeningView", "risk_status", "risk_status", true),
    ("PhotoView", "status", "photo_status", true),
    ("ReviewBody", "decision", "photo_status", false),
    ("ChecksView", "status", "photo_status", false),
    ("ChecksView", "position_source", "position_source", true),
    ("Reason", "", "photo_reason", true),
    ("ProblemView", "status", "problem_status", true),
    ("ProblemChange", "status", "problem_status", false),
    ("HouseholdView", "risk_status", "risk_status", true),
    ("HouseholdProfile", "fallback_reason", "risk_type", true),
    ("ProfileBody", "fallback_reason", "risk_type", true),
    ("HouseholdFlag", "", "household_flag", true),
    ("EliminationWay", "", "elimination_way", true),
    ("MemberYear", "education", "education", true),
    ("MemberYear", "health", "health", true),
    ("MemberYear", "in_school", "in_school", true),
    ("MemberYear", "labour_skill", "labour_skill", true),
    ("MemberYear", "work_status", "work_status", true),
    ("MemberYearBody", "education", "education", true),
    ("MemberYearBody", "health", "health", true),
    ("MemberYearBody", "in_school", "in_school", true),
    ("MemberYearBody", "labour_skill", "labour_skill", true),
    ("MemberYearBody", "work_status", "work_status", true),
    ("Living", "housing", "housing", true),
    ("Living", "water", "water", true),
    ("LivingBody", "housing", "housing", true),
    ("LivingBody", "water", "water", true),
    ("Flag", "", "location_flag", true),
    ("CaptureStatus", "", "capture_status", true),
    ("CaptureBody", "source", "capture_source", true),
    ("Crs", "", "crs", true),
    ("Role", "", "role", true),
    ("Level", "", "level", true),
    ("Severity", "", "severity", true),
    ("CaseKind", "", "case_kind", true),
    ("Step", "", "step", true),
    ("Stage", "", "stage", true),
    ("Outcome", "", "outcome", true),
    ("DepartmentAnswer", "result", "outcome", false),
    ("DepartmentBody", "result", "outcome", false),
    ("Exclusion", "", "exclusion", true),
    ("MeasureKind", "", "measure_kind", true),
    ("ProjectCategory", "", "project_category", true),
    ("ProjectStatus", "", "project_status", true),
    ("LoanStatus", "", "loan_status", true),
    ("RemovalReason", "", "removal_reason", true),
    ("JoinReason", "", "join_reason", true),
    ("NoIdReason", "", "no_id_reason", true),
    ("Tombstone", "reason", "tombstone_reason", true),
    ("ProblemSource", "", "problem_source", true),
    ("ProblemView", "source", "problem_source", true),
    ("ProblemCategory", "", "problem_category", true),
    ("ProblemView", "category", "problem_category", true),
    ("Guarantee", "", "guarantee", true),
    ("ProblemView", "guarantee", "guarantee", true),
    ("SignoffRole", "", "signoff_role", true),
    ("EvidencePurpose", "", "evidence_purpose", true),
    ("EvidenceKind", "", "evidence_kind", true),
];

/// Enumerations no person reads: the keywords of GeoJSON.
const NOT_READ: &[(&str, &str)] = &[("HomeCollection", "type"), ("HomeFeature", "type"), ("PointGeometry", "type")];

/// The values listed in `s` (directly, in a `oneOf` beside `null`, or for an array's items).
fn enum_of(s: &Value) -> Option<BTreeSet<String>> {
    let values = s["enum"].as_array().or_else(|| s["oneOf"].as_array()?.iter().find_map(|o| o["enum"].as_array())).or_else(|| s["items"]["enum"].as_array())?;
    Some(values.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
}

/// Every enumeration of the document's schemas: (schema, property or "") → values.
fn enumerations(doc: &Value) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(values) = enum_of(schema) {
            out.insert((name.clone(), String::new()), values);
        }
        for (property, s) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(values) = enum_of(s) {
                out.insert((name.clone(), property.clone()), values);
            }
        }
    }
    out
}

#[actix_web::test]
async fn every_coded_value_the_document_lists_has_a_label_in_chinese_and_english() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let res = officer.get("/labels").await;
    assert_eq!(res.status(), 200);
    let labels: Value = res.json().await.unwrap();
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut failures = Vec::new();
    for ((schema, property), listed) in enumerations(&doc) {
        if NOT_READ.contains(&(schema.as_str(), property.as_str())) {
            continue;
        }
        let Some((.., field, every)) = TABLES.iter().find(|(s, p, ..)| *s == schema && *p == property) else {
            failures.push(format!("{schema}.{property} {listed:?}: no labels table (add one to domain/labels.rs and a row to TABLES)"));
            continue;
        };
        let Some(table) = labels[*field].as_object() else {
            failures.push(format!("{schema}.{property}: /labels has no table {field}"));
            continue;
        };
        let labelled: BTreeSet<String> = table.keys().cloned().collect();
        let unlabelled: Vec<_> = listed.difference(&labelled).collect();
        if !unlabelled.is_empty() {
            failures.push(format!("{schema}.{property}: {unlabelled:?} without a label in {field}"));
        }
        if *every && labelled != listed {
            failures.push(format!("{schema}.{property}: {field} labels {:?}, which the document does not list", labelled.difference(&listed).collect::<Vec<_>>()));
        }
    }
    let walked = enumerations(&doc);
    for (schema, property, ..) in TABLES {
        if !walked.contains_key(&(schema.to_string(), property.to_string())) {
            failures.push(format!("{schema}.{property}: a row of TABLES the document no longer has"));
        }
    }
    for (field, table) in labels.as_object().unwrap() {
        for (value, label) in table.as_object().unwrap() {
            if !(label["zh"].as_str().is_some_and(|s| !s.is_empty()) && label["en"].as_str().is_some_and(|s| !s.is_empty())) {
                failures.push(format!("{field}.{value}: {label}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(labels["category"]["ordinary"]["zh"], "一般农户");
    assert_eq!(labels["relation"]["head"]["zh"], "户主");
    assert_eq!(labels["photo_kind"]["door_with_cadre"]["zh"], "户主与帮扶干部在门口");
    assert_eq!(labels["education"]["junior"]["zh"], "初中");
    assert_eq!(labels["photo_reason"]["far_from_home"]["zh"], "离住户过远");
    let rules: Value = officer.get("/quality/rules").await.json().await.unwrap();
    for r in rules.as_array().unwrap() {
        assert_eq!(labels["quality_rule"][r["id"].as_str().unwrap()]["zh"], r["description_zh"], "a rule reads as the rule list says");
    }
    let anonymous = reqwest::Client::new().get(app.url("/api/v1/labels")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "behind login like every other path");
}

#[test]
fn an_enumeration_without_a_labels_row_is_found() {
    let doc = serde_json::json!({"components": {"schemas": {
        "Colour": {"type": "string", "enum": ["red", "blue"]},
        "Paint": {"properties": {"finish": {"oneOf": [{"type": "null"}, {"type": "string", "enum": ["matt", "gloss"]}]}, "tags": {"type": "array", "items": {"enum": ["new"]}}}},
    }}});
    let found: Vec<(String, String)> = enumerations(&doc).into_keys().collect();
    assert_eq!(found, [("Colour".into(), "".into()), ("Paint".into(), "finish".into()), ("Paint".into(), "tags".into())]);
    assert!(!TABLES.iter().any(|(s, ..)| *s == "Colour" || *s == "Paint"));
}
