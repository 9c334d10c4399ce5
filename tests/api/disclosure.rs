//! Who sees full ID and phone numbers (`domain::disclosure`), over every GET operation of the
//! OpenAPI document: each role (county admin, township reviewer, village officer, the paired
//! cadre, auditor) reads every record of the authorization matrix (`matrix.rs`, which fails on
//! an operation it does not list) and a few more (a household not paired with the cadre,
//! another cadre, the exports), and every answer (JSON, CSV, the text inside a workbook) is
//! searched for an ID or phone number in clear (`at_rest::personal_numbers`). Full numbers may
//! appear only where the policy allows them:
//!
//! - `GET /households/{id}`: county admin, township reviewer, the cadre currently paired with it;
//! - `GET /sync`: a cadre (their paired households);
//! - `GET /cadres/{id}`: county admin, township reviewer, the cadre whose record it is;
//! - `GET /users/{id}`: county admin, township reviewer;
//! - `GET /exports/households.xlsx?full_numbers=true`: county admin (every household read);
//! - `GET /households/{id}/archive.zip` (its summary workbook): as `GET /households/{id}`;
//!
//! and each of those reads leaves an entry in the read log.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::at_rest::personal_numbers;
use crate::helpers::*;
use crate::matrix::{check_complete, inside, table};

/// The text of an answer: a workbook's parts unpacked, a zip's files unpacked (and the workbooks
/// inside it), anything else as it is.
pub(crate) async fn answer_text(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = res.bytes().await.unwrap();
    if !(ct.contains("spreadsheetml") || ct == "application/zip") || status != 200 {
        return (status, String::from_utf8_lossy(&bytes).into_owned());
    }
    (status, unzipped_text(bytes.to_vec()))
}

fn unzipped_text(bytes: Vec<u8>) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip (a workbook is one)");
    let mut text = String::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut part = Vec::new();
        file.read_to_end(&mut part).unwrap();
        if part.starts_with(b"PK\x03\x04") {
            text.push_str(&unzipped_text(part));
        } else {
            text.push_str(&String::from_utf8_lossy(&part));
        }
    }
    text
}

async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Where full numbers are allowed: the record read, if the policy gives `role` its numbers.
fn allowed(role: char, template: &str, path: &str, paired_household: &str, own_cadre: &str) -> bool {
    let reviewer = matches!(role, 'A' | 'T');
    match template {
        "/api/v1/households/{id}" => reviewer || (role == 'C' && path.ends_with(paired_household)),
        "/api/v1/households/{id}/archive.zip" => reviewer || (role == 'C' && path.ends_with(&format!("{paired_household}/archive.zip"))),
        "/api/v1/sync" => role == 'C',
        "/api/v1/cadres/{id}" => reviewer || (role == 'C' && path.ends_with(own_cadre)),
        "/api/v1/users/{id}" => reviewer,
        // A county moving its data asks for them; each household so read is logged.
        "/api/v1/exports/households.xlsx" => role == 'A' && path.contains("full_numbers=true"),
        _ => false,
    }
}

#[actix_web::test]
async fn full_id_and_phone_numbers_only_where_the_policy_allows_and_each_such_read_is_logged() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let admin = app.admin().await;
    // Personal numbers in every kind of record: a member with a phone in the paired household,
    // a household nobody is paired with, the cadre's own record and another cadre, a user.
    let h = format!("/households/{}", i.household);
    created(admin.post(&format!("{h}/members"), json!({"name": "李秀英", "id_number": id_number(201), "relation": "spouse", "phone": "13911110201"})).await).await;
    let mut other = household_body(VILLAGE, &[(202, "head")]);
    other["members"][0]["phone"] = json!("13911110202");
    let other = created(admin.post("/households", other).await).await["id"].as_str().unwrap().to_owned();
    let own: Value = admin.get(&format!("/cadres/{}", i.cadre)).await.json().await.unwrap();
    let res = admin.patch(&format!("/cadres/{}", i.cadre), json!({"id_number": id_number(203)}), Some(&format!("\"{}\"", own["version"]))).await;
    created(res).await;
    let other_cadre = created(admin.post("/cadres", json!({"name": "张干部", "work_unit": "子洲县教育局", "phone": "13911110204", "id_number": id_number(204)})).await).await["id"].as_str().unwrap().to_owned();
    let user: Value = admin.get(&format!("/users/{}", i.user)).await.json().await.unwrap();
    created(admin.patch(&format!("/users/{}", i.user), json!({"phone": "13911110205"}), Some(&format!("\"{}\"", user["version"]))).await).await;

    let mut rows: Vec<(&str, String)> = Vec::new();
    let t = table(&i);
    check_complete(&t);
    for (method, template, path, ..) in &t {
        if *method == "GET" {
            rows.push((template, if path.is_empty() { template.trim_start_matches("/api/v1").to_owned() } else { path.clone() }));
        }
    }
    rows.extend([
        ("/api/v1/households/{id}", format!("/households/{other}")),
        ("/api/v1/households/{id}/archive.zip", format!("/households/{other}/archive.zip")),
        ("/api/v1/cadres/{id}", format!("/cadres/{other_cadre}")),
        ("/api/v1/households", format!("/households?division={VILLAGE}&q=王")),
        ("/api/v1/households.geojson", format!("/households.geojson?division={VILLAGE}&crs=gcj02")),
        ("/api/v1/quality/problems", format!("/quality/problems?division={VILLAGE}&format=csv")),
        ("/api/v1/quality/problems", format!("/quality/problems?division={VILLAGE}&format=xlsx")),
        ("/api/v1/households/{id}/years/{year}/comparison", format!("{h}/years/2025/comparison?format=xlsx")),
        ("/api/v1/households/{id}/history", format!("{h}/history?include_reads=true")),
        ("/api/v1/exports/households.xlsx", "/exports/households.xlsx?full_numbers=true".to_owned()),
    ]);
    // The households a full county export reads (each must be in the read log).
    let listed: Value = admin.get("/households?limit=500").await.json().await.unwrap();
    let county_households: Vec<String> = listed["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
    let roles = [
        ('A', admin.clone()),
        ('T', app.user("township_reviewer", TOWNSHIP).await),
        ('V', app.user("village_officer", VILLAGE).await),
        ('C', i.cadre_api.clone()),
        ('U', app.user("auditor", COUNTY).await),
    ];
    let mut failures = Vec::new();
    // (actor, record) of every answer that gave full numbers.
    let mut must_be_logged: BTreeSet<(String, String)> = BTreeSet::new();
    let mut full_answers = BTreeSet::new();
    for (role, api) in &roles {
        for (template, path) in &rows {
            let (status, text) = answer_text(api.get(path).await).await;
            let found = personal_numbers(&text);
            if found.is_empty() {
                continue;
            }
            if !allowed(*role, template, path, &i.household, &i.cadre) {
                failures.push(format!("{role} GET {path} ({status}) shows {found:?}"));
                continue;
            }
            full_answers.insert(format!("{role} {template}"));
            let records: Vec<String> = if *template == "/api/v1/sync" {
                serde_json::from_str::<Value>(&text).unwrap()["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
            } else if *template == "/api/v1/exports/households.xlsx" {
                county_households.clone()
            } else if *template == "/api/v1/households/{id}/archive.zip" {
                vec![path.split('/').nth(2).unwrap().to_owned()]
            } else {
                vec![path.rsplit('/').next().unwrap().to_owned()]
            };
            must_be_logged.extend(records.into_iter().map(|r| (api.user_id.clone(), r)));
        }
    }
    assert!(failures.is_empty(), "full numbers where the policy masks them:\n{}", failures.join("\n"));
    // The allowed reads did give full numbers (the search is not blind).
    for expected in ["A /api/v1/households/{id}", "T /api/v1/households/{id}", "C /api/v1/households/{id}", "A /api/v1/households/{id}/archive.zip", "C /api/v1/households/{id}/archive.zip", "C /api/v1/sync", "A /api/v1/cadres/{id}", "T /api/v1/cadres/{id}", "C /api/v1/cadres/{id}", "A /api/v1/users/{id}", "T /api/v1/users/{id}", "A /api/v1/exports/households.xlsx"] {
        assert!(full_answers.contains(expected), "{expected} gave no full number: {full_answers:?}");
    }
    // Each full read is in the read log (written in the background within a moment).
    use fangpin::db::schema::audit_log as a;
    let mut missing = must_be_logged.clone();
    for _ in 0..50 {
        let mut c = app.state.db.conn().unwrap();
        let logged: Vec<(Option<String>, String)> = a::table.filter(a::action.eq("read")).select((a::actor_id, a::entity_id)).load(&mut *c).unwrap();
        let logged: BTreeSet<(String, String)> = logged.into_iter().filter_map(|(actor, e)| actor.map(|actor| (actor, e))).collect();
        missing = must_be_logged.difference(&logged).cloned().collect();
        if missing.is_empty() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(missing.is_empty(), "full reads not in the read log (actor, record): {missing:?}");
}

#[actix_web::test]
async fn a_village_officer_and_a_cadre_see_other_cadres_masked_and_their_own_record_in_full() {
    // The finding: `/cadres` gives every id, `/cadres/{id}` gave everyone's full numbers.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (cadre_api, own) = app.cadre("刘帮扶").await;
    let other = created(admin.post("/cadres", json!({"name": "张干部", "work_unit": "子洲县教育局", "phone": "13911110301", "id_number": id_number(301)})).await).await["id"].as_str().unwrap().to_owned();
    let officer = app.user("village_officer", VILLAGE).await;
    for api in [&officer, &cadre_api] {
        let list: Value = api.get("/cadres").await.json().await.unwrap();
        assert!(list["items"].as_array().unwrap().iter().any(|c| c["id"] == other.as_str()), "the ids are listed");
        let c: Value = api.get(&format!("/cadres/{other}")).await.json().await.unwrap();
        assert_eq!((c["phone"].as_str(), c["id_number"].as_str()), (Some("139****0301"), Some(format!("610831********{}", &id_number(301)[14..])).as_deref()));
    }
    let mine: Value = cadre_api.get(&format!("/cadres/{own}")).await.json().await.unwrap();
    assert_eq!(mine["phone"], "13800138000", "one's own record in full");
    let full: Value = admin.get(&format!("/cadres/{other}")).await.json().await.unwrap();
    assert_eq!(full["id_number"], id_number(301));
    // Writes answer by the same rule: a village officer registering a cadre gets it back masked.
    let res = officer.post("/cadres", json!({"name": "赵干部", "work_unit": "乡政府", "phone": "13911110302"})).await;
    assert_eq!(created(res).await["phone"], "139****0302");
}

#[actix_web::test]
async fn a_reviewers_sync_is_masked_like_a_list_and_a_cadres_is_full_and_logged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(311, "head"), (312, "spouse")]);
    body["members"][0]["phone"] = json!("13911110311");
    let h = created(admin.post("/households", body).await).await["id"].as_str().unwrap().to_owned();
    let cadre = app.cadre_of(&[&h]).await;
    for reviewer in [admin.clone(), app.user("township_reviewer", TOWNSHIP).await, app.user("village_officer", VILLAGE).await] {
        let page: Value = reviewer.get("/sync").await.json().await.unwrap();
        let item = page["items"].as_array().unwrap().iter().find(|x| x["id"] == h.as_str()).unwrap();
        assert_eq!(item["members"][0]["id_number"], format!("610831********{}", &id_number(311)[14..]));
        assert_eq!(item["members"][0]["phone"], "139****0311");
    }
    let page: Value = cadre.get("/sync").await.json().await.unwrap();
    assert_eq!(page["items"][0]["members"][0]["id_number"], id_number(311));
    // In the household's history, with who read it.
    let mut found = false;
    for _ in 0..50 {
        let history: Value = admin.get(&format!("/households/{h}/history?include_reads=true")).await.json().await.unwrap();
        found = history["items"].as_array().unwrap().iter().any(|e| e["action"] == "read" && e["actor"].as_str().is_some_and(|a| a.starts_with("cadre-")));
        if found {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the cadre's sync of the household is in its read log");
}
