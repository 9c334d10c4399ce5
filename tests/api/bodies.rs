//! One 422 names every problem of a request body, a missing field included:
//! - for every operation of the OpenAPI document that takes a JSON body, an empty body is refused
//!   naming each field the document marks required, and so is each nested object or list item
//!   sent empty, under its path (`members[0].name`, `guarantees.food_clothing.ok`);
//! - a body missing a required field and carrying a choice that is none of its values names both;
//! - and the cases the rule was made for: the household of issue 15 (no `category`, a 3-digit
//!   village code), members refused with their indices, records with holes, the console's login,
//!   and no refusal repeating a value it was sent.
//!
//! A new body type that forgets the rule (a required field serde must find) fails here: serde's
//! "missing field" is one error on `body`, not one per required field.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::refusals::{Seg, kind, minimal, resolve, set};

/// The required fields of an object schema.
fn required(doc: &Value, s: &Value) -> Vec<String> {
    let s = resolve(doc, s);
    s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// `members[0].name`
fn name(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => out.push_str(&format!(".{k}")),
            Seg::First => out.push_str("[0]"),
        }
    }
    out
}

/// Every object below the body (properties and list items, at any depth) that has required
/// fields: where it is, and the fields.
fn nested_objects(doc: &Value, s: &Value, at: Vec<Seg>, out: &mut Vec<(Vec<Seg>, Vec<String>)>) {
    if at.len() > 6 {
        return;
    }
    let s = resolve(doc, s);
    match kind(s) {
        "object" => {
            if !at.is_empty() && !required(doc, s).is_empty() {
                out.push((at.clone(), required(doc, s)));
            }
            for (k, p) in s["properties"].as_object().into_iter().flatten() {
                let mut path = at.clone();
                path.push(Seg::Key(k.clone()));
                nested_objects(doc, p, path, out);
            }
        }
        "array" => {
            let mut path = at;
            path.push(Seg::First);
            nested_objects(doc, &s["items"], path, out);
        }
        _ => {}
    }
}

/// The fields a 422 names, or why it is not one.
async fn refused_fields(api: &Api, method: &str, path: &str, body: &Value) -> Result<BTreeSet<String>, String> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    // An If-Match where one is needed: the answer must come from the body, before any version check.
    let res = api.request(m, path, Some(body.clone()), Some("\"1\"")).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    if status != 422 {
        return Err(format!("{status} {}", text.chars().take(200).collect::<String>()));
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    Ok(v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
}

/// What is missing from a refusal: each expected field it does not name.
fn unnamed(expected: &[String], got: &BTreeSet<String>) -> Vec<String> {
    expected.iter().filter(|f| !got.contains(*f)).cloned().collect()
}

#[actix_web::test]
async fn every_body_names_every_missing_field_at_every_depth_and_each_invalid_value_beside_it() {
    let app = spawn_app().await;
    // One of everything, so that each operation reaches its body (paths of records that exist).
    let inside = crate::matrix::inside(&app).await;
    let table = crate::matrix::table(&inside);
    let admin = app.admin().await;
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut failures = Vec::new();
    let (mut operations, mut probes) = (0, 0);
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else { continue };
            let method = method.to_uppercase();
            let path = table
                .iter()
                .find(|row| row.0 == method && row.1 == template)
                .map(|row| row.2.split('?').next().unwrap_or_default().to_owned())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| template.trim_start_matches("/api/v1").to_owned());
            assert!(!path.contains('{'), "{method} {template}: no concrete path in the matrix");
            operations += 1;
            let what = format!("{method} {template}");
            // Empty: every required field named.
            let top = required(&doc, schema);
            if !top.is_empty() {
                probes += 1;
                match refused_fields(&admin, &method, &path, &json!({})).await {
                    Ok(got) if unnamed(&top, &got).is_empty() => {}
                    Ok(got) => failures.push(format!("{what} {{}}: {:?} not named (named {got:?})", unnamed(&top, &got))),
                    Err(e) => failures.push(format!("{what} {{}}: {e}")),
                }
            }
            // Each nested object sent empty: its required fields named under its path.
            let mut nested = Vec::new();
            nested_objects(&doc, schema, vec![], &mut nested);
            for (at, fields) in nested {
                probes += 1;
                let mut body = json!({});
                set(&mut body, &at, json!({}));
                let expected: Vec<String> = fields.iter().map(|f| format!("{}.{f}", name(&at))).collect();
                match refused_fields(&admin, &method, &path, &body).await {
                    Ok(got) if unnamed(&expected, &got).is_empty() => {}
                    Ok(got) => failures.push(format!("{what} {body}: {:?} not named (named {got:?})", unnamed(&expected, &got))),
                    Err(e) => failures.push(format!("{what} {body}: {e}")),
                }
            }
            // A required field missing and a choice that is none of its values: both named.
            let base = minimal(&doc, schema);
            let props = resolve(&doc, schema)["properties"].as_object().cloned().unwrap_or_default();
            for (choice, p) in &props {
                if resolve(&doc, p).get("enum").is_none() {
                    continue;
                }
                let Some(missing) = top.iter().find(|r| *r != choice) else { continue };
                probes += 1;
                let mut body = base.clone();
                body.as_object_mut().unwrap().remove(missing);
                body[choice] = json!("no_such_choice");
                let expected = vec![missing.clone(), choice.clone()];
                match refused_fields(&admin, &method, &path, &body).await {
                    Ok(got) if unnamed(&expected, &got).is_empty() => {}
                    Ok(got) => failures.push(format!("{what} {body}: {:?} not named (named {got:?})", unnamed(&expected, &got))),
                    Err(e) => failures.push(format!("{what} {body}: {e}")),
                }
            }
        }
    }
    assert!(operations > 25 && probes > 45, "only {operations} operations with a JSON body, {probes} probes");
    assert!(failures.is_empty(), "{} bodies refused without naming every problem:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn a_household_without_category_and_with_a_short_village_code_is_refused_for_both() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body.as_object_mut().unwrap().remove("category");
    body["village_code"] = json!("610");
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!(p["code"], "validation_failed");
    let errors: Vec<(&str, &str)> = p["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
    // In the order of the body's fields, whichever rule found them.
    assert_eq!(errors, [("village_code", "invalid_division_code"), ("category", "required")], "{p}");
    assert_eq!(p["detail"], "2 invalid field(s)");
}

#[actix_web::test]
async fn members_are_refused_with_their_indices_beside_the_household_fields() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let phone = "1391239555";
    let id_typo = {
        let id = id_number(7);
        format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' })
    };
    let body = json!({
        "village_code": VILLAGE,
        "address": "长".repeat(201),
        "members": [
            {"name": "王建国", "id_number": id_number(1), "relation": "head"},
            {},
            {"name": "王2", "id_number": id_typo, "phone": phone},
        ],
    });
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(!text.contains(phone) && !text.contains(&id_typo) && !text.contains(&"长".repeat(201)), "a value was repeated: {text}");
    let p: Value = serde_json::from_str(&text).unwrap();
    let errors: BTreeSet<(String, String)> =
        p["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect();
    let expected: BTreeSet<(String, String)> = [
        ("address", "too_long"),
        ("category", "required"),
        ("members[1].name", "required"),
        ("members[1].id_number", "required"),
        ("members[1].relation", "required"),
        ("members[2].relation", "required"),
        ("members[2].name", "invalid_name"),
        ("members[2].id_number", "invalid_id_number"),
        ("members[2].phone", "invalid_phone"),
    ]
    .into_iter()
    .map(|(f, c)| (f.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(errors, expected, "{p}");
    // Each field once: the declarative rules and the parsers do not both refuse the address.
    assert_eq!(p["errors"].as_array().unwrap().len(), expected.len());
}

#[actix_web::test]
async fn a_yearly_record_with_holes_is_refused_listing_the_holes_and_the_bad_values() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (path, member) = (format!("/households/{}", h["id"].as_str().unwrap()), h["members"][0]["id"].as_str().unwrap().to_owned());
    let mut body = crate::yearly::record(&member, 1000.0, 13);
    body.as_object_mut().unwrap().remove("living");
    body["income"].as_object_mut().unwrap().remove("wages");
    body["members"][0]["education"] = json!("doctorate");
    body["members"][0]["health"] = json!("disabled");
    body["guarantees"]["housing_safety"] = json!({"ok": false});
    body["guarantees"]["basic_medical"] = json!({"reason": "x"});
    let res = admin.request(reqwest::Method::PUT, &format!("{path}/years/2025"), Some(body), None).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "income.wages",
            "members[0].months_away",
            "members[0].education",
            "members[0].disability_grade",
            "guarantees.basic_medical.ok",
            "guarantees.housing_safety.reason",
            "living",
        ],
        "{p}"
    );
    assert_eq!(admin.get(&format!("{path}/years/2025")).await.status(), 404, "nothing was stored");
}

#[actix_web::test]
async fn a_village_table_with_holes_is_refused_listing_the_holes_and_the_bad_values() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = crate::villages::table(1, 1);
    body.as_object_mut().unwrap().remove("party_members");
    body["infrastructure"].as_object_mut().unwrap().remove("broadband");
    body["infrastructure"]["tap_water_pct"] = json!(120.0);
    body["households_by_category"] = json!({"ordinary": -1});
    body["poverty_village"] = json!(false);
    body["lifted_year"] = json!(2019);
    let res = admin.request(reqwest::Method::PUT, &format!("/villages/{VILLAGE}/years/2025"), Some(body), None).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    let errors: Vec<(&str, &str)> = p["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
    assert_eq!(
        errors,
        [
            ("lifted_year", "not_a_poverty_village"),
            ("households_by_category.ordinary", "out_of_range"),
            ("infrastructure.broadband", "required"),
            ("infrastructure.tap_water_pct", "out_of_range"),
            ("party_members", "required"),
        ],
        "{p}"
    );
}

#[actix_web::test]
async fn a_body_for_post_only_fields_names_them_and_wrong_json_is_still_one_error() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // The cadre body serves PATCH too, so its document requires nothing; POST needs two fields.
    let p = problem(admin.post("/cadres", json!({"phone": "138"})).await).await;
    let fields: BTreeSet<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, BTreeSet::from(["name", "work_unit", "phone"]), "{p}");
    // A value of the wrong JSON type cannot be read as the body: one error on `body`, no value.
    let res = admin.post("/households", json!({"village_code": 610831101201u64, "members": []})).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    let p: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(p["errors"][0]["field"], "body");
    assert!(!text.contains("610831101201"), "{text}");
}

#[actix_web::test]
async fn the_console_login_names_what_is_missing() {
    let app = spawn_app().await;
    let res = app.client.post(app.url("/console/session")).header("X-Fangpin-Console", "1").json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["username", "password"]);
}
