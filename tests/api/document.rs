//! What a generated client relies on in the API document (issue 16), checked on the document
//! the server serves. Each rule is a class: the next operation, field or answer that breaks it
//! fails here, before a phone developer's generator meets it. The generators themselves run in
//! `scripts/client-test.sh`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::*;

fn doc() -> Value {
    serde_json::to_value(fangpin::api::openapi()).unwrap()
}

/// (method, path, operation) of every operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// Every schema of the document with where it sits, nested ones included.
fn schemas(v: &Value, at: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("type") || m.contains_key("$ref") || m.contains_key("oneOf") {
                out.push((at.clone(), v.clone()));
            }
            for (k, x) in m {
                schemas(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| schemas(x, format!("{at}[{i}]"), out)),
        _ => {}
    }
}

fn types(s: &Value) -> Vec<&str> {
    match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

#[test]
fn every_operation_has_its_own_id_a_summary_and_a_description() {
    let doc = doc();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !id.is_empty(), "{method} {path}: operationId `{id}` is not snake_case");
        ids.entry(id).or_default().push(format!("{method} {path}"));
        assert!(op["summary"].as_str().is_some_and(|t| t.trim().len() > 3), "{method} {path} has no summary");
        assert!(op["description"].as_str().is_some_and(|t| t.trim().len() > 20), "{method} {path} has no description");
    }
    let shared: Vec<_> = ids.iter().filter(|(_, ops)| ops.len() > 1).collect();
    assert!(shared.is_empty(), "operationIds shared by several operations (a generated client keeps one): {shared:?}");
}

#[test]
fn the_document_names_its_servers_and_has_an_ascii_title_for_package_names() {
    let doc = doc();
    assert!(doc["info"]["title"].as_str().unwrap().is_ascii());
    assert!(doc["info"]["description"].as_str().unwrap().contains("防贫"));
    let servers = doc["servers"].as_array().unwrap();
    assert!(servers.iter().any(|s| s["url"] == "/"), "{servers:?}");
}

#[test]
fn login_refresh_and_logout_say_they_take_no_token_and_every_other_operation_needs_one() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} says nothing of security"));
        let public = path.starts_with("/api/v1/auth/");
        assert_eq!(security.is_empty(), public, "{method} {path}: security {security:?}");
        if !public {
            assert!(security.iter().all(|s| s.get("bearer").is_some()), "{method} {path}: {security:?}");
        }
    }
}

#[test]
fn every_object_says_what_it_holds() {
    let mut found = Vec::new();
    schemas(&doc(), String::new(), &mut found);
    let empty: Vec<_> = found
        .iter()
        .filter(|(_, s)| types(s).contains(&"object"))
        .filter(|(_, s)| s.get("properties").is_none() && s.get("additionalProperties").is_none())
        .map(|(at, _)| at.clone())
        .collect();
    assert!(empty.is_empty(), "objects with no fields (a generated client types them as empty): {empty:#?}");
}

/// A description that lists the values a text takes ("`gps`, `network` or `map_pick`") is a
/// field the server checks against a list: the list must be in the document too.
#[test]
fn every_text_that_takes_one_of_a_list_of_values_is_an_enumeration() {
    let mut d = fangpin::api::openapi();
    assert!(fangpin::api::enumerations::unmatched(&mut d).is_empty(), "{:?}", fangpin::api::enumerations::unmatched(&mut d));
    let doc = doc();
    let mut found = Vec::new();
    schemas(&doc, String::new(), &mut found);
    for (_, op) in operations(&doc).iter().map(|(m, p, o)| (format!("{m} {p}"), o)) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            found.push((format!("parameter {}", p["name"]), json_with(&p["schema"], &p["description"])));
        }
    }
    let loose: Vec<_> = found
        .iter()
        .filter(|(_, s)| types(s).contains(&"string") && s.get("enum").is_none())
        .filter(|(_, s)| s["description"].as_str().is_some_and(|d| lists_values(d) && !d.contains("e.g.")))
        .map(|(at, s)| format!("{at}: {}", s["description"]))
        .collect();
    assert!(loose.is_empty(), "texts that list their values without an enum: {loose:#?}");
}

/// "`a`, `b` or `c`", "`a` / `b`": two code words in a row joined by a comma, `or` or a slash.
fn lists_values(text: &str) -> bool {
    let pieces: Vec<&str> = text.split('`').collect();
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    // Odd pieces are inside backticks; the even piece between two of them is the separator.
    (1..pieces.len().saturating_sub(2)).step_by(2).any(|i| {
        let between = pieces[i + 1].trim();
        word(pieces[i]) && word(pieces[i + 2]) && matches!(between, "," | "or" | "/" | ", or" | ", or after review" | "or after review")
    })
}

fn json_with(schema: &Value, description: &Value) -> Value {
    let mut s = schema.clone();
    if let (Some(m), Some(d)) = (s.as_object_mut(), description.as_str()) {
        m.insert("description".into(), d.into());
    }
    s
}

#[test]
fn times_are_date_times_and_days_are_dates() {
    let doc = doc();
    let mut found = Vec::new();
    schemas(&doc, String::new(), &mut found);
    let wrong: Vec<_> = found
        .iter()
        .filter(|(at, s)| types(s).contains(&"string") && at.contains("/properties/"))
        .filter_map(|(at, s)| {
            let name = at.rsplit('/').next().unwrap();
            let want = if name.ends_with("_at") { "date-time" } else if name.ends_with("_date") || name == "date" { "date" } else { return None };
            (s["format"] != want).then(|| format!("{at}: {} (want {want})", s["format"]))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn files_go_up_and_come_down_as_binary_with_every_part_described() {
    let doc = doc();
    let mut uploads = 0;
    for (method, path, op) in operations(&doc) {
        for (media, content) in op["requestBody"]["content"].as_object().into_iter().flatten() {
            if media == "multipart/form-data" {
                uploads += 1;
                let name = content["schema"]["$ref"].as_str().unwrap_or_else(|| panic!("{method} {path}: a multipart body without a schema")).rsplit('/').next().unwrap();
                let parts = doc["components"]["schemas"][name]["properties"].as_object().unwrap();
                assert_eq!(parts["file"]["format"], "binary", "{method} {path}");
                for (part, schema) in parts.iter().filter(|(_, s)| s.get("$ref").is_some()) {
                    assert_eq!(content["encoding"][part]["contentType"], "application/json", "{method} {path}: the JSON part `{part}` needs its encoding");
                    assert!(schema["$ref"].is_string());
                }
            }
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if media.ends_with("json") {
                    continue;
                }
                assert_eq!(content["schema"]["type"], "string", "{method} {path} {status} {media}: a file is a string");
                if media != "text/csv" {
                    assert_eq!(content["schema"]["format"], "binary", "{method} {path} {status} {media}");
                }
            }
        }
    }
    assert_eq!(uploads, 4, "the photo and document uploads and the spreadsheet imports");
}

/// A generated client reads an answer by its one media type (openapi-python-client parses the
/// first as JSON): a file comes from an operation of its own. The `?format=` of four operations
/// still answers a file, and says which operation a generated client should use.
#[test]
fn each_answer_has_one_media_type_or_names_the_operation_that_answers_the_file() {
    let doc = doc();
    let ids: Vec<String> = operations(&doc).iter().map(|(_, _, op)| op["operationId"].as_str().unwrap().to_owned()).collect();
    let mut mixed = 0;
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let media: Vec<&String> = response["content"].as_object().into_iter().flatten().map(|(m, _)| m).collect();
            if media.len() > 1 {
                mixed += 1;
                let text = op["description"].as_str().unwrap();
                let named: Vec<&String> = ids.iter().filter(|id| **id != op["operationId"] && text.contains(&format!("`{id}`"))).collect();
                assert!(!named.is_empty(), "{method} {path} {status} answers {media:?} and names no operation of its own for the file");
            }
        }
    }
    assert_eq!(mixed, 4, "list_problems, compare_years, import_households, list_natural_changes");
}

/// Every list documents its `limit` bounds, and the server refuses what lies outside them
/// instead of answering some other number of rows.
#[actix_web::test]
async fn every_list_documents_its_limit_and_refuses_one_outside_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let doc = doc();
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        let Some(limit) = op["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == "limit") else { continue };
        let (min, max) = (limit["schema"]["minimum"].as_i64().unwrap(), limit["schema"]["maximum"].as_i64().unwrap());
        assert!(min == 1 && max >= 500 && limit["schema"]["default"].is_i64(), "{method} {path}: {limit}");
        if path.contains('{') {
            continue;
        }
        let url = path.trim_start_matches("/api/v1");
        for bad in [min - 1, max + 1] {
            let res = admin.get(&format!("{url}?limit={bad}")).await;
            assert_eq!(res.status(), 422, "{method} {path}?limit={bad}");
            assert_eq!(problem(res).await["errors"][0]["field"], "limit");
        }
        assert_eq!(admin.get(&format!("{url}?limit={max}")).await.status(), 200, "{method} {path}?limit={max}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} lists checked");
}
