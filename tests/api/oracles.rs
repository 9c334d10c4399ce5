//! Existence oracles across counties: a county admin of 固镇县 tries, on every operation of the
//! OpenAPI document that takes an identifying value (ID and household numbers, usernames, and
//! the ids of cadres, users, households, members, natural villages), a value that exists in 子洲县
//! and one that exists nowhere. The two answers are the same (status, code, detail and errors,
//! modulo the value), or, where a value is unique nationwide and must be refused, the refusal
//! says "already registered" and names nothing of where. The list of probes is checked against
//! the document, so a new operation or field taking such a value fails here until it is probed.
//! The multipart paths (imports, photo duplicates) have a test each below.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

const OTHER_COUNTY: &str = "340323000000";

/// Field names (last segment of a body path, or a query parameter) that identify a record or a
/// person, and so could tell whether it exists.
const IDENTIFYING: &[&str] =
    &["id_number", "number", "username", "cadre_id", "user_id", "member_ids", "first_secretary_id", "household_id", "natural_village_id", "head_member_id", "member_id"];

/// Every (METHOD template field) of the document with an identifying body field or query parameter.
fn documented() -> BTreeSet<String> {
    documented_fields(&["query"]).into_iter().filter(|f| {
        let n = f.rsplit(' ').next().unwrap_or_default();
        IDENTIFYING.contains(&n)
    }).collect()
}

enum Kind {
    /// Indistinguishable from a value that exists nowhere.
    Same,
    /// Unique nationwide: refused with 409 saying "already registered", naming nothing.
    Registered,
}

struct Probe {
    method: &'static str,
    template: &'static str,
    field: &'static str,
    path: String,
    existing: (String, Value),
    nowhere: (String, Value),
    kind: Kind,
    /// Read the version for `If-Match` from this path (its `version`) before each call.
    version_from: Option<String>,
}

async fn answer(api: &Api, p: &Probe, value: &str, body: &Value) -> (u16, Value) {
    let if_match = match &p.version_from {
        Some(path) => {
            let v: Value = api.get(path).await.json().await.unwrap();
            // A list (work teams have no single read): the item this probe changes.
            let v = match v["items"].as_array() {
                Some(items) => items.iter().find(|t| t["id"].as_str().is_some_and(|id| p.path.ends_with(id))).cloned().unwrap(),
                None => v,
            };
            Some(format!("\"{}\"", v["version"]))
        }
        None => None,
    };
    let method = reqwest::Method::from_bytes(p.method.as_bytes()).unwrap();
    let (path, body) = if method == reqwest::Method::GET { (p.path.replace("{v}", value), None) } else { (p.path.clone(), Some(body.clone())) };
    let res = api.request(method, &path, body, if_match.as_deref()).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap().replace(value, "<v>");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// What of an answer must not differ: status, code, detail, errors (or the whole body of a 2xx).
fn essence(status: u16, v: &Value) -> Value {
    if (200..300).contains(&status) {
        return json!([status, v]);
    }
    json!([status, v["code"], v["detail"], v["errors"]])
}

#[actix_web::test]
async fn another_county_cannot_tell_whether_a_value_exists_in_this_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // 子洲县: a household with a natural village, a cadre with an ID number and a phone account,
    // a user with a known name.
    let h = app.household_in(VILLAGE, 1).await;
    let (hid, number) = (h["id"].as_str().unwrap().to_owned(), h["number"].as_str().unwrap().to_owned());
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    let nv: Value = admin.post(&format!("/villages/{VILLAGE}/natural-villages"), json!({"name": "一组"})).await.json().await.unwrap();
    let cadre_user = app.user("cadre", VILLAGE).await.user_id;
    let res = admin.post("/cadres", json!({"name": "刘帮扶", "work_unit": "子洲县农业农村局", "id_number": id_number(500), "user_id": cadre_user})).await;
    assert_eq!(res.status(), 201);
    let cadre = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post("/users", json!({"username": "zz-known", "password": "Strong-pass-9", "display_name": "张三", "role": "cadre", "jurisdiction": VILLAGE})).await.status(), 201);

    // 固镇县: its admin, a household, a cadre, a work team and a spot check of its own.
    let out = app.user("county_admin", OTHER_COUNTY).await;
    let res = out.post("/households", household_body(OTHER_COUNTY_VILLAGE, &[(300, "head")])).await;
    assert_eq!(res.status(), 201);
    let g = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let kg = out.post("/cadres", json!({"name": "固镇干部", "work_unit": "固镇县民政局"})).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = out.post("/work-teams", json!({"village_code": OTHER_COUNTY_VILLAGE, "name": "工作队", "member_ids": [kg], "term_start": "2025-01-01"})).await;
    assert_eq!(res.status(), 201);
    let wg = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = out.post("/spot-checks", json!({"division": OTHER_COUNTY, "townships": 1, "villages_per_township": 1, "households_per_village": 1, "seed": 1})).await;
    assert_eq!(res.status(), 201);
    let sg = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let mut project = crate::projects::project();
    project["village_codes"] = json!([OTHER_COUNTY_VILLAGE]);
    let res = out.post("/projects", project).await;
    assert_eq!(res.status(), 201);
    let pg = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let uuid = || uuid::Uuid::now_v7().to_string();
    let gh = format!("/households/{g}");
    // A case of 固镇县 whose step names a signatory by a user account of 子洲县, or of nowhere.
    let res = out.post("/cases", json!({"household_id": g, "kind": "removal", "reason": "识别不准"})).await;
    assert_eq!(res.status(), 201);
    let gcase = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let signed_by = |v: &str, batch: Option<&str>| {
        let mut b = json!({"step": "village_evaluation", "outcome": "approved", "date": "2026-01-01", "signatories": [{"role": "township_cadre", "user_id": v}, {"role": "village_secretary", "name": "李书记"}]});
        if let Some(c) = batch {
            b["cases"] = json!([{"case_id": c}]);
        }
        b
    };
    // A newborn without an ID number 无户籍人口, whose number is entered later.
    let res = out.post(&format!("{gh}/members"), json!({"name": "王小宝", "relation": "child", "no_id_reason": "newborn_unregistered", "sex": "male", "birth_date": "2026-03-10"})).await;
    assert_eq!(res.status(), 201);
    let newborn = res.json::<Value>().await.unwrap()["members"].as_array().unwrap().iter().find(|m| m["name"] == "王小宝").unwrap()["id"].as_str().unwrap().to_owned();
    let body = |f: &dyn Fn(&str) -> Value, e: &str, n: &str| ((e.to_owned(), f(e)), (n.to_owned(), f(n)));
    let probe = |method, template, field, path: String, (existing, nowhere): ((String, Value), (String, Value)), kind, version_from: Option<String>| Probe { method, template, field, path, existing, nowhere, kind, version_from };
    use Kind::*;
    let with_number = |v: &str| {
        let mut b = household_body(OTHER_COUNTY_VILLAGE, &[(301, "head")]);
        b["number"] = json!(v);
        b
    };
    let probes = vec![
        probe("POST", "/api/v1/households", "id_number", "/households".into(), body(&|v| { let mut b = household_body(OTHER_COUNTY_VILLAGE, &[(302, "head")]); b["members"][0]["id_number"] = json!(v); b }, &id_number(1), &id_number(303)), Registered, None),
        probe("POST", "/api/v1/households", "number", "/households".into(), body(&with_number, &number, "GZ-0001"), Registered, None),
        probe("PATCH", "/api/v1/households/{id}", "number", gh.clone(), body(&|v| json!({"number": v}), &number, "GZ-0002"), Registered, Some(gh.clone())),
        probe("PATCH", "/api/v1/households/{id}", "natural_village_id", gh.clone(), body(&|v| json!({"natural_village_id": v}), nv["id"].as_str().unwrap(), &uuid()), Same, Some(gh.clone())),
        probe("PATCH", "/api/v1/households/{id}", "head_member_id", gh.clone(), body(&|v| json!({"head_member_id": v, "former_head_relation": "spouse"}), &member, &uuid()), Same, Some(gh.clone())),
        probe("POST", "/api/v1/households/{id}/members", "id_number", format!("{gh}/members"), body(&|v| json!({"name": "李秀英", "id_number": v, "relation": "spouse"}), &id_number(1), &id_number(304)), Registered, None),
        probe("PATCH", "/api/v1/households/{id}/members/{member_id}", "id_number", format!("{gh}/members/{newborn}"), body(&|v| json!({"id_number": v}), &id_number(1), &id_number(305)), Registered, Some(gh.clone())),
        probe("PUT", "/api/v1/households/{id}/years/{year}", "member_id", format!("{gh}/years/2025"), body(&|v| crate::yearly::record(v, 3000.0, 2), &member, &uuid()), Same, None),
        probe("POST", "/api/v1/users", "username", "/users".into(), body(&|v| json!({"username": v, "password": "Strong-pass-9", "display_name": "李四", "role": "cadre", "jurisdiction": OTHER_COUNTY_VILLAGE}), "zz-known", "gz-fresh"), Registered, None),
        probe("POST", "/api/v1/auth/login", "username", "/auth/login".into(), body(&|v| json!({"username": v, "password": "Wrong-pass-1"}), "zz-known", "gz-nobody"), Same, None),
        probe("POST", "/api/v1/cadres", "id_number", "/cadres".into(), body(&|v| json!({"name": "甲", "work_unit": "固镇县", "id_number": v}), &id_number(500), &id_number(501)), Registered, None),
        probe("POST", "/api/v1/cadres", "user_id", "/cadres".into(), body(&|v| json!({"name": "乙", "work_unit": "固镇县", "user_id": v}), &cadre_user, &uuid()), Same, None),
        probe("PATCH", "/api/v1/cadres/{id}", "id_number", format!("/cadres/{kg}"), body(&|v| json!({"id_number": v}), &id_number(500), &id_number(502)), Registered, Some(format!("/cadres/{kg}"))),
        probe("PATCH", "/api/v1/cadres/{id}", "user_id", format!("/cadres/{kg}"), body(&|v| json!({"user_id": v}), &cadre_user, &uuid()), Same, Some(format!("/cadres/{kg}"))),
        probe("POST", "/api/v1/pairings", "cadre_id", "/pairings".into(), body(&|v| json!({"cadre_id": v, "household_id": g, "start_date": "2026-01-15"}), &cadre, &uuid()), Same, None),
        probe("POST", "/api/v1/pairings", "household_id", "/pairings".into(), body(&|v| json!({"cadre_id": kg, "household_id": v, "start_date": "2026-01-15"}), &hid, &uuid()), Same, None),
        probe("GET", "/api/v1/pairings", "cadre_id", "/pairings?cadre_id={v}".into(), body(&|_| json!({}), &cadre, &uuid()), Same, None),
        probe("GET", "/api/v1/pairings", "household_id", "/pairings?household_id={v}".into(), body(&|_| json!({}), &hid, &uuid()), Same, None),
        probe("POST", "/api/v1/cases/{id}/steps", "user_id", format!("/cases/{gcase}/steps"), body(&|v| signed_by(v, None), &cadre_user, &uuid()), Same, None),
        probe("POST", "/api/v1/cases/batch-steps", "user_id", "/cases/batch-steps".into(), body(&|v| signed_by(v, Some(&gcase)), &cadre_user, &uuid()), Same, None),
        probe("POST", "/api/v1/quality/problems", "household_id", "/quality/problems".into(), body(&|v| json!({"household_id": v, "source": "audit", "category": "other", "description": "评议未公示", "found_on": "2026-01-05"}), &hid, &uuid()), Same, None),
        probe("POST", "/api/v1/screening/cases", "household_id", "/screening/cases".into(), body(&|v| json!({"year": 2025, "cases": [{"household_id": v, "criterion": "income_below_monitoring_line", "kind": "inclusion", "risk_types": ["illness"], "target_category": "monitored_marginal"}]}), &hid, &uuid()), Same, None),
        probe("POST", "/api/v1/cases", "household_id", "/cases".into(), body(&|v| json!({"household_id": v, "kind": "exit", "reason": "收入稳定"}), &hid, &uuid()), Same, None),
        probe("POST", "/api/v1/work-teams", "first_secretary_id", "/work-teams".into(), body(&|v| json!({"village_code": OTHER_COUNTY_VILLAGE, "name": "二队", "first_secretary_id": v, "term_start": "2025-01-01"}), &cadre, &uuid()), Same, None),
        probe("POST", "/api/v1/work-teams", "member_ids", "/work-teams".into(), body(&|v| json!({"village_code": OTHER_COUNTY_VILLAGE, "name": "三队", "member_ids": [v], "term_start": "2025-01-01"}), &cadre, &uuid()), Same, None),
        probe("PATCH", "/api/v1/work-teams/{id}", "first_secretary_id", format!("/work-teams/{wg}"), body(&|v| json!({"first_secretary_id": v}), &cadre, &uuid()), Same, Some(format!("/work-teams?division={OTHER_COUNTY_VILLAGE}"))),
        probe("PATCH", "/api/v1/work-teams/{id}", "member_ids", format!("/work-teams/{wg}"), body(&|v| json!({"member_ids": [v]}), &cadre, &uuid()), Same, Some(format!("/work-teams?division={OTHER_COUNTY_VILLAGE}"))),
        probe("POST", "/api/v1/projects/{id}/beneficiaries", "household_id", format!("/projects/{pg}/beneficiaries"), body(&|v| json!({"household_id": v}), &hid, &uuid()), Same, None),
        probe("PUT", "/api/v1/spot-checks/{id}", "household_id", format!("/spot-checks/{sg}"), body(&|v| json!({"results": [{"household_id": v, "identification_correct": true, "data_correct": true}]}), &hid, &uuid()), Same, None),
    ];

    // Every identifying field of the document is probed, and no probe names a field that is not there.
    let probed: BTreeSet<String> = probes.iter().map(|p| format!("{} {} {}", p.method, p.template, p.field)).collect();
    let documented = documented();
    let missing: Vec<_> = documented.difference(&probed).collect();
    assert!(missing.is_empty(), "identifying fields without a probe: {missing:?}");
    let extra: Vec<_> = probed.difference(&documented).collect();
    assert!(extra.is_empty(), "probes of fields the document does not have: {extra:?}");

    // Names of 子洲县 places and records, and words of place, that a refusal must not mention.
    let secrets = [hid.as_str(), number.as_str(), member.as_str(), cadre.as_str(), &cadre_user, VILLAGE, TOWNSHIP, COUNTY, "子洲", "outside", "jurisdiction", "other county", "other_county"];
    let mut failures = Vec::new();
    for p in &probes {
        let (es, ev) = answer(&out, p, &p.existing.0, &p.existing.1).await;
        let (ns, nv) = answer(&out, p, &p.nowhere.0, &p.nowhere.1).await;
        let name = format!("{} {} {}", p.method, p.template, p.field);
        match p.kind {
            Kind::Same => {
                if essence(es, &ev) != essence(ns, &nv) {
                    failures.push(format!("{name}: existing {} vs nowhere {}", essence(es, &ev), essence(ns, &nv)));
                }
            }
            Kind::Registered => {
                let detail = ev["detail"].as_str().unwrap_or_default();
                if es != 409 || ev["code"] != "conflict" || !detail.contains("already registered") {
                    failures.push(format!("{name}: a value held in 子洲县 answered {es} {ev}"));
                }
                if !(200..300).contains(&ns) {
                    failures.push(format!("{name}: a fresh value answered {ns} {nv}"));
                }
            }
        }
        // (A `Same` answer is the one a value existing nowhere gets: it cannot tell anything.)
        let text = ev.to_string();
        if let (Kind::Registered, Some(s)) = (&p.kind, secrets.iter().find(|s| text.contains(*s))) {
            failures.push(format!("{name}: the refusal mentions {s}: {text}"));
        }
    }
    assert!(failures.is_empty(), "{} answers that tell:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn an_import_reports_no_household_of_another_county_as_existing() {
    let app = spawn_app().await;
    let h = app.household_in(VILLAGE, 1).await;
    let number = h["number"].as_str().unwrap();
    let out = app.user("county_admin", OTHER_COUNTY).await;
    let rows = vec![
        crate::imports::row(number, OTHER_COUNTY_VILLAGE, "一般农户", "王一", &id_number(400), "户主"),
        crate::imports::row("GZ-1000", OTHER_COUNTY_VILLAGE, "一般农户", "王二", &id_number(1), "户主"),
        crate::imports::row("GZ-1001", OTHER_COUNTY_VILLAGE, "一般农户", "王三", &id_number(401), "户主"),
    ];
    let res = crate::imports::upload(&out, crate::imports::workbook(&rows), "").await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!((report["households_imported"].as_u64(), report["households_existing"].as_u64()), (Some(1), Some(0)), "{report}");
    let text = report.to_string();
    assert!(text.contains("already registered"), "{report}");
    for secret in [h["id"].as_str().unwrap(), VILLAGE, "子洲", "outside"] {
        assert!(!text.contains(secret), "the report mentions {secret}: {report}");
    }
    // Inside its own county the same file is reported as it always was: the number exists.
    let admin = app.admin().await;
    let rows = vec![crate::imports::row(number, VILLAGE, "一般农户", "王一", &id_number(402), "户主")];
    let report: Value = crate::imports::upload(&admin, crate::imports::workbook(&rows), "").await.json().await.unwrap();
    assert_eq!(report["households_existing"].as_u64(), Some(1), "{report}");
}

#[actix_web::test]
async fn photo_duplicates_are_looked_for_within_the_county_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let home = crate::photos::located_household(&app, 1).await;
    let picture = crate::photos::phone_photo(7, None);
    let first: Value = crate::photos::upload(&admin, &home, &crate::photos::meta("stove_with_cadre"), picture.clone()).await.json().await.unwrap();
    let out = app.user("county_admin", OTHER_COUNTY).await;
    let res = out.post("/households", household_body(OTHER_COUNTY_VILLAGE, &[(300, "head")])).await;
    let g = format!("/households/{}", res.json::<Value>().await.unwrap()["id"].as_str().unwrap());
    let res = crate::photos::upload(&out, &g, &crate::photos::meta("stove_with_cadre"), picture.clone()).await;
    assert_eq!(res.status(), 201);
    let theirs: Value = res.json().await.unwrap();
    assert_eq!(theirs["checks"]["duplicate_of"], json!([]), "{theirs}");
    assert!(!theirs.to_string().contains(first["id"].as_str().unwrap()), "{theirs}");
    assert!(!theirs["checks"]["reasons"].as_array().unwrap().contains(&json!("duplicate")), "{theirs}");
    // Within 子洲县 the same picture for another household still is a duplicate.
    let other = app.household_in(VILLAGE, 2).await;
    let ours: Value = crate::photos::upload(&admin, &format!("/households/{}", other["id"].as_str().unwrap()), &crate::photos::meta("stove_with_cadre"), picture).await.json().await.unwrap();
    assert_eq!(ours["checks"]["duplicate_of"], json!([first["id"]]), "{ours}");
}
