//! Village mergers 村庄合并: everything scoped by the old village's codes follows it to the new
//! village. Checked over every column of every table of the database (a table added later with
//! a division column that the merger forgets fails here), and through the API: the old
//! township's reviewer loses every moved record on every operation of the OpenAPI document, the
//! new township's reviewer gains them (the authorization matrix of `matrix.rs` on a merged village).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::matrix::{Expect, Inside, call, inside, table};

/// The village the records of `VILLAGE` (township `TOWNSHIP`) are merged into: another township.
const NEW_VILLAGE: &str = OTHER_TOWNSHIP_VILLAGE;
const NEW_TOWNSHIP: &str = "610831102000";
/// Another village of the new township.
const NEW_VILLAGE_2: &str = "610831102205";

/// Columns that keep the old codes on purpose (each a record of the past or not scoped by them):
const KEEP: &[(&str, &str)] = &[
    // The division list itself: the old village stays, saying `merged_into`.
    ("divisions", "*"),
    // 合并前行政村.
    ("households", "former_village_code"),
    // The national household number begins with the village where it was first registered.
    ("households", "number"),
    // History: before/after snapshots, and the tombstones that tell the old village's phones.
    ("audit_log", "*"),
    ("sync_tombstones", "*"),
    // The old village's own tables of past years (read-only once merged: 409).
    ("village_years", "place_id"),
    // The division a spot check was drawn from (its row and parameters) / a cleaning run was run
    // on: dated facts. The spot check's items follow their households.
    ("spot_checks", "*"),
    ("quality_runs", "division_code"),
    // Accounts: a merger never widens anyone's jurisdiction; the county admin reassigns them.
    ("users", "jurisdiction"),
    // Replays of answers already given.
    ("idempotency_keys", "*"),
    // The last household number the old village handed out (its numbers live on in
    // `households.number`; a merged village takes no new households).
    ("household_number_counters", "village_code"),
];

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every (table, column) of the database, read from the catalogue.
pub(crate) fn columns(app: &TestApp) -> Vec<(String, String)> {
    let sql = if backend_is_postgres() {
        "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_\\_diesel%' ORDER BY 1, 2"
    } else {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\' ORDER BY 1, 2"
    };
    let mut c = app.state.db.conn().unwrap();
    let cols: Vec<Column> = diesel::sql_query(sql).load(&mut *c).unwrap();
    cols.into_iter().map(|r| (r.t, r.c)).collect()
}

/// Every (table, column, rows) whose value mentions `code` anywhere (JSON and text included).
fn mentions(app: &TestApp, code: &str) -> Vec<(String, String, i64)> {
    let cols = columns(app);
    assert!(cols.iter().any(|(t, c)| t == "photos" && c == "village_code"), "the catalogue read no columns: {cols:?}");
    let mut c = app.state.db.conn().unwrap();
    let mut out = Vec::new();
    for (t, col) in cols {
        let sql = format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE CAST(\"{col}\" AS TEXT) LIKE '%{code}%'");
        let n = diesel::sql_query(sql).get_result::<Count>(&mut *c).unwrap().n;
        if n > 0 {
            out.push((t, col, n));
        }
    }
    out
}

/// The records of `inside()`, then the merger of their village into a village of another
/// township; `i` then names the new places.
async fn merged(app: &TestApp) -> Inside {
    let mut i = inside(app).await;
    let admin = app.admin().await;
    // A spot check of the old township that surely drew the household (every village of it).
    let villages: Value = admin.get(&format!("/divisions/{TOWNSHIP}/children")).await.json().await.unwrap();
    let n = villages.as_array().unwrap().len();
    let res = admin.post("/spot-checks", json!({"division": TOWNSHIP, "townships": 1, "villages_per_township": n, "households_per_village": 1, "seed": 7})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let check: Value = res.json().await.unwrap();
    assert!(check.to_string().contains(&i.household), "{check}");
    i.spot_check = check["id"].as_str().unwrap().to_owned();
    // The new village has a table of its own for the year (the old one's stays with it).
    let res = admin.request(reqwest::Method::PUT, &format!("/villages/{NEW_VILLAGE}/years/2025"), Some(crate::villages::table(1, 1)), None).await;
    assert_eq!(res.status(), 201);
    let res = admin.post(&format!("/divisions/{VILLAGE}/merge"), json!({"into": NEW_VILLAGE})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    (i.village, i.township, i.village_2) = (NEW_VILLAGE.into(), NEW_TOWNSHIP.into(), NEW_VILLAGE_2.into());
    i
}

#[actix_web::test]
async fn after_a_merger_no_row_of_any_table_carries_the_old_village_or_its_township() {
    let app = spawn_app().await;
    let i = merged(&app).await;
    // The old township held nothing but the merged village's records.
    for old in [VILLAGE, TOWNSHIP] {
        let left: Vec<String> = mentions(&app, old)
            .into_iter()
            .filter(|(t, c, _)| !KEEP.iter().any(|(kt, kc)| kt == t && (*kc == "*" || kc == c)))
            .map(|(t, c, n)| format!("{t}.{c} ({n} rows)"))
            .collect();
        assert!(left.is_empty(), "rows still under {old} after the merger: {left:?}");
    }
    // And the moved rows are under the new codes, not dropped.
    let found = mentions(&app, NEW_VILLAGE);
    for table in ["households", "photos", "cases", "problems", "work_teams", "natural_villages", "spot_check_items"] {
        assert!(found.iter().any(|(t, c, _)| t == table && c == "village_code"), "{table} has no row under the new village: {found:?}");
    }
    // The photo, the case and the problem: the old township's reviewer neither reads nor changes
    // them; the new township's reviewer does.
    let old = app.user("township_reviewer", TOWNSHIP).await;
    let new = app.user("township_reviewer", NEW_TOWNSHIP).await;
    let reads = [format!("/photos/{}", i.photo), format!("/cases/{}", i.case), format!("/quality/problems?division={NEW_VILLAGE}")];
    for path in &reads[..2] {
        assert_eq!(old.get(path).await.status(), 404, "{path}");
        assert_eq!(new.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(old.get(&reads[2]).await.status(), 404);
    let listed: Value = new.get(&reads[2]).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().iter().any(|p| p["id"] == i.problem.as_str()), "{listed}");
    let old_ledger: Value = old.get(&format!("/quality/problems?division={TOWNSHIP}")).await.json().await.unwrap();
    assert!(!old_ledger.to_string().contains(&i.problem), "{old_ledger}");
    let review = json!({"decision": "accepted", "reason": "门前合影清楚"});
    let step = json!({"step": "village_evaluation", "outcome": "approved", "date": "2026-01-01"});
    let changes = [
        ("POST", format!("/photos/{}/review", i.photo), review),
        ("POST", format!("/cases/{}/steps", i.case), step),
        ("PATCH", format!("/quality/problems/{}", i.problem), json!({"status": "verified", "note": "核实"})),
    ];
    for (method, path, body) in &changes {
        let (status, text) = call(&old, method, path, body).await;
        assert_eq!(status, 404, "old township {method} {path}: {text}");
    }
    for (method, path, body) in &changes {
        let res = new.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), path, Some(body.clone()), None).await;
        let status = res.status().as_u16();
        assert!(status != 403 && status != 404 && status < 500, "new township {method} {path}: {status} {}", res.text().await.unwrap());
    }
}

#[actix_web::test]
async fn a_merged_village_takes_no_new_records() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await;
    assert_eq!(res.status(), 200);
    let res = admin.post("/households", household_body(VILLAGE_2, &[(1, "head")])).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("village_code"), Some("merged_village")), "{p}");
    let res = admin.post("/work-teams", json!({"village_code": VILLAGE_2, "name": "工作队", "term_start": "2026-01-01"})).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "merged_village");
    assert_eq!(admin.post(&format!("/villages/{VILLAGE_2}/natural-villages"), json!({"name": "三组"})).await.status(), 409);
    let res = admin.request(reqwest::Method::PUT, &format!("/villages/{VILLAGE_2}/years/2025"), Some(crate::villages::table(1, 1)), None).await;
    assert_eq!(res.status(), 409);
    // Nothing was written in the merged village; the village it became part of takes them.
    let list: Value = admin.get(&format!("/households?division={VILLAGE_2}")).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(admin.post("/households", household_body(VILLAGE, &[(1, "head")])).await.status(), 201);
}

/// Operations whose records do not follow the merger, on purpose, with what the old and the new
/// township's reviewer get: the county's cadres carry no division; accounts are not moved (the
/// user of the fixture keeps the old village: a merger never widens a jurisdiction); the spot
/// check was drawn in the old township (a dated sample: the old township keeps it, without the
/// moved household's item).
const NOT_MOVED: &[(&str, &str, char, char)] = &[
    ("GET", "/api/v1/cadres/{id}", '+', '+'),
    ("PATCH", "/api/v1/cadres/{id}", '+', '+'),
    ("GET", "/api/v1/users/{id}", '+', '0'),
    ("PATCH", "/api/v1/users/{id}", '+', '0'),
    ("GET", "/api/v1/spot-checks/{id}", '+', '0'),
    ("PUT", "/api/v1/spot-checks/{id}", '+', '0'),
    // The county's campaign schedule: the same county on both sides; set by its admin only.
    ("GET", "/api/v1/campaign-schedules/{year}", '+', '+'),
    ("PUT", "/api/v1/campaign-schedules/{year}", '-', '-'),
];

#[actix_web::test]
async fn the_matrix_on_a_merged_village_the_old_township_loses_every_record_and_the_new_one_gains_them() {
    let mut failures = Vec::new();
    for old_side in [true, false] {
        // A fresh app per reviewer: the allowed writes of one do not disturb the other.
        let app = spawn_app().await;
        let i = merged(&app).await;
        let moved = [&i.household, &i.member, &i.location, &i.photo, &i.pairing, &i.team, &i.natural, &i.case, &i.exclusion, &i.problem];
        let api = app.user("township_reviewer", if old_side { TOWNSHIP } else { NEW_TOWNSHIP }).await;
        for (method, template, path, body, outsider, roles) in table(&i) {
            if roles.is_empty() {
                continue;
            }
            let inside_t = roles.split(' ').find(|r| r.starts_with('T')).and_then(|r| r.chars().nth(1)).unwrap();
            let as_outsider = match outsider {
                Expect::Hidden => '0',
                Expect::Refused => '-',
                Expect::Nothing | Expect::NotScoped => '+',
            };
            let expected = match NOT_MOVED.iter().find(|(m, t, ..)| *m == method && *t == template) {
                Some((.., old, new)) => if old_side { *old } else { *new },
                None => if old_side { as_outsider } else { inside_t },
            };
            let (status, text) = call(&api, method, &path, &body).await;
            let got = match status {
                403 => '-',
                404 => '0',
                401 => '?',
                _ => '+',
            };
            let side = if old_side { "old township" } else { "new township" };
            if got != expected {
                failures.push(format!("{side} {method} {template}: expected {expected}, got {status} {}", text.chars().take(160).collect::<String>()));
            }
            if old_side && (200..300).contains(&status) {
                if let Some(id) = moved.iter().find(|id| text.contains(id.as_str())) {
                    failures.push(format!("{side} {method} {template} shows the moved record {id}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn villages_with_groups_of_the_same_name_merge_and_both_groups_stay() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for v in [VILLAGE, VILLAGE_2] {
        assert_eq!(admin.post(&format!("/villages/{v}/natural-villages"), json!({"name": "一组"})).await.status(), 201);
    }
    let res = admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let groups: Value = admin.get(&format!("/villages/{VILLAGE}/natural-villages")).await.json().await.unwrap();
    let old_name = admin.get(&format!("/divisions/{VILLAGE_2}")).await.json::<Value>().await.unwrap()["name"].as_str().unwrap().to_owned();
    let mut names: Vec<&str> = groups.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, vec!["一组".to_owned(), format!("一组（原{old_name}）")], "{groups}");
}
