//! Offline sync: a snapshot first, then changes since the cursor, tombstones for households
//! that left the phone's scope, bounded pages, and no change skipped under concurrent writers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use crate::helpers::*;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn sync(api: &Api, cursor: Option<&str>, limit: u32) -> Value {
    let path = match cursor {
        Some(c) => format!("/sync?cursor={c}&limit={limit}"),
        None => format!("/sync?limit={limit}"),
    };
    let res = api.get(&path).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn ids(page: &Value, key: &str, field: &str) -> Vec<String> {
    page[key].as_array().unwrap().iter().map(|v| v[field].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn a_cadres_first_sync_is_a_snapshot_of_their_households_then_only_changes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mine = app.household_in(VILLAGE, 1).await;
    let also_mine = app.household_in(VILLAGE_2, 2).await;
    app.household_in(VILLAGE, 3).await;
    let cadre = app.cadre_of(&[&id(&mine), &id(&also_mine)]).await;

    let first = sync(&cadre, None, 100).await;
    let mut got = ids(&first, "items", "id");
    got.sort();
    let mut want = vec![id(&mine), id(&also_mine)];
    want.sort();
    assert_eq!(got, want);
    let item = &first["items"][0];
    assert_eq!(item["members"].as_array().unwrap().len(), 1);
    assert_eq!(item["pairing"]["cadre_name"], "刘帮扶");
    assert!(item["year_record"].is_null());
    assert_eq!(first["has_more"], false);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();

    // Nothing changed: nothing sent, the cursor stays usable.
    let idle = sync(&cadre, Some(&cursor), 100).await;
    assert_eq!(idle["items"].as_array().unwrap().len(), 0);
    let cursor = idle["next_cursor"].as_str().unwrap().to_owned();

    // The cadre enters this year's record offline and sends it; the next sync carries it.
    let member = mine["members"][0]["id"].as_str().unwrap();
    let ok = json!({"ok": true, "reason": null});
    let year = first["year"].as_i64().unwrap();
    let record = json!({
        "income": {"wages": 9000.0, "production": 3000.0, "production_costs": 1000.0, "property": 0.0, "transfers": 1200.0},
        "members": [{"member_id": member, "education": "junior", "health": "healthy", "disability_grade": null, "in_school": "not_in_school", "labour_skill": "ordinary", "work_status": "local", "months_away": 0}],
        "guarantees": {"food_clothing": ok, "drinking_water": ok, "compulsory_education": ok, "basic_medical": ok, "housing_safety": ok},
        "living": {"housing": "safe", "water": "tap", "electricity": true, "paved_road": true, "broadband": true},
    });
    let res = cadre.request(reqwest::Method::PUT, &format!("/households/{}/years/{year}", id(&mine)), Some(record), None).await;
    assert_eq!(res.status(), 201);
    // A change elsewhere in the county does not reach this phone.
    let other = app.household_in(VILLAGE, 4).await;
    admin.patch(&format!("/households/{}", id(&other)), json!({"address": "新址"}), Some("\"1\"")).await;
    let next = sync(&cadre, Some(&cursor), 100).await;
    assert_eq!(ids(&next, "items", "id"), [id(&mine)]);
    assert_eq!(next["items"][0]["year_record"]["record"]["income"]["wages"], 9000.0);
}

#[actix_web::test]
async fn re_pairing_moves_a_household_from_the_old_cadres_phone_to_the_new_ones() {
    let app = spawn_app().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (old, a) = app.cadre("刘帮扶").await;
    let (new, b) = app.cadre("陈帮扶").await;
    app.pair(&a, &id(&h), "2026-01-15").await;
    let old_cursor = sync(&old, None, 100).await["next_cursor"].as_str().unwrap().to_owned();
    let new_first = sync(&new, None, 100).await;
    assert_eq!(new_first["items"].as_array().unwrap().len(), 0);
    let new_cursor = new_first["next_cursor"].as_str().unwrap().to_owned();

    app.pair(&b, &id(&h), "2026-06-01").await;
    let gone = sync(&old, Some(&old_cursor), 100).await;
    assert_eq!(gone["items"].as_array().unwrap().len(), 0);
    assert_eq!(ids(&gone, "tombstones", "household_id"), [id(&h)]);
    assert_eq!(gone["tombstones"][0]["reason"], "re_paired");
    let arrived = sync(&new, Some(&new_cursor), 100).await;
    assert_eq!(ids(&arrived, "items", "id"), [id(&h)]);
    assert_eq!(arrived["items"][0]["pairing"]["cadre_id"], b.as_str());
    assert_eq!(arrived["tombstones"].as_array().unwrap().len(), 0);

    // Paired back: the tombstone is not sent to a phone that holds the household again.
    app.pair(&a, &id(&h), "2026-07-01").await;
    let back = sync(&old, Some(gone["next_cursor"].as_str().unwrap()), 100).await;
    assert_eq!(ids(&back, "items", "id"), [id(&h)]);
    assert_eq!(back["tombstones"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn relinking_a_cadre_to_another_phone_account_moves_their_households() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (old_phone, cadre) = app.cadre("刘帮扶").await;
    app.pair(&cadre, &id(&h), "2026-01-15").await;
    let cursor = sync(&old_phone, None, 100).await["next_cursor"].as_str().unwrap().to_owned();
    let new_phone = app.user("cadre", VILLAGE).await;
    let res = admin.patch(&format!("/cadres/{cadre}"), json!({"user_id": new_phone.user_id}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let gone = sync(&old_phone, Some(&cursor), 100).await;
    assert_eq!(ids(&gone, "tombstones", "household_id"), [id(&h)]);
    assert_eq!(gone["tombstones"][0]["reason"], "cadre_relinked");
    assert_eq!(ids(&sync(&new_phone, None, 100).await, "items", "id"), [id(&h)]);
    assert_eq!(old_phone.get(&format!("/households/{}", id(&h))).await.status(), 404);
}

#[actix_web::test]
async fn a_merged_village_leaves_its_officers_phone_and_joins_the_new_village() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let moved = app.household_in(VILLAGE_2, 1).await;
    let stays = app.household_in(VILLAGE, 2).await;
    let old_officer = app.user("village_officer", VILLAGE_2).await;
    let new_officer = app.user("village_officer", VILLAGE).await;
    let old_cursor = sync(&old_officer, None, 100).await["next_cursor"].as_str().unwrap().to_owned();
    let new_cursor = sync(&new_officer, None, 100).await["next_cursor"].as_str().unwrap().to_owned();

    let res = admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["households_moved"], 1);
    let division: Value = admin.get(&format!("/divisions/{VILLAGE_2}")).await.json().await.unwrap();
    assert_eq!(division["merged_into"], VILLAGE);
    let h: Value = admin.get(&format!("/households/{}", id(&moved))).await.json().await.unwrap();
    assert_eq!((h["village_code"].as_str(), h["former_village_code"].as_str()), (Some(VILLAGE), Some(VILLAGE_2)));

    let gone = sync(&old_officer, Some(&old_cursor), 100).await;
    assert_eq!(ids(&gone, "tombstones", "household_id"), [id(&moved)]);
    let arrived = sync(&new_officer, Some(&new_cursor), 100).await;
    assert_eq!(ids(&arrived, "items", "id"), [id(&moved)]);
    assert_ne!(id(&moved), id(&stays));
    // Merging twice, into itself or as a village officer is refused.
    assert_eq!(admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await.status(), 409);
    assert_eq!(admin.post(&format!("/divisions/{VILLAGE}/merge"), json!({"into": VILLAGE})).await.status(), 422);
    assert_eq!(new_officer.post(&format!("/divisions/{VILLAGE}/merge"), json!({"into": VILLAGE_2})).await.status(), 403);
}

#[actix_web::test]
async fn pages_are_bounded_and_a_tampered_cursor_is_refused() {
    let app = spawn_app().await;
    for n in 1..=5 {
        app.household_in(VILLAGE, n).await;
    }
    let officer = app.user("village_officer", VILLAGE).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = sync(&officer, cursor.as_deref(), 2).await;
        seen.extend(ids(&page, "items", "id"));
        pages.push(page["items"].as_array().unwrap().len());
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(pages, [2, 2, 1]);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    let good = cursor.unwrap();
    let mut bytes = good.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    for bad in [tampered.as_str(), "bm90LWEtY3Vyc29y", "%%%"] {
        let res = officer.get(&format!("/sync?cursor={bad}")).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(problem(res).await["code"], "bad_request");
    }
}

/// Two writers change households while a phone loops on its cursor with small pages; once the
/// writers stop and the phone catches up, it holds exactly what the database holds.
#[actix_web::test]
async fn sync_never_skips_a_change_committed_concurrently() {
    let app = spawn_app().await;
    let mut households = Vec::new();
    for n in 1..=6 {
        households.push(id(&app.household_in(VILLAGE, n).await));
    }
    let officer = app.user("village_officer", VILLAGE).await;
    let writers: Vec<Api> = vec![app.admin().await, app.user("township_reviewer", TOWNSHIP).await];
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (officer, done) = (officer.clone(), done.clone());
        tokio::spawn(async move {
            let mut phone: HashMap<String, (i64, String)> = HashMap::new();
            let mut cursor: Option<String> = None;
            loop {
                let finished = done.load(Ordering::SeqCst);
                // Drain everything visible now.
                loop {
                    let page = sync(&officer, cursor.as_deref(), 2).await;
                    for item in page["items"].as_array().unwrap() {
                        phone.insert(id(item), (item["version"].as_i64().unwrap(), item["address"].as_str().unwrap_or_default().to_owned()));
                    }
                    cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
                    if page["has_more"] == false {
                        break;
                    }
                }
                if finished {
                    return phone;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };

    let mut tasks = Vec::new();
    for (w, api) in writers.into_iter().enumerate() {
        let households = households.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..8 {
                let hid = &households[(round * 5 + w * 3) % households.len()];
                let path = format!("/households/{hid}");
                loop {
                    let current: Value = api.get(&path).await.json().await.unwrap();
                    let version = current["version"].as_i64().unwrap();
                    let res = api.patch(&path, json!({"address": format!("writer {w} round {round}")}), Some(&format!("\"{version}\""))).await;
                    match res.status().as_u16() {
                        200 => break,
                        412 => continue,
                        other => panic!("unexpected {other}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let phone = reader.await.unwrap();

    let admin = app.admin().await;
    let list: Value = admin.get(&format!("/households?division={VILLAGE}&limit=100")).await.json().await.unwrap();
    let truth: HashMap<String, (i64, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (id(h), (h["version"].as_i64().unwrap(), h["address"].as_str().unwrap_or_default().to_owned())))
        .collect();
    assert_eq!(phone, truth);
}

/// A change that commits after a later-numbered one is not skipped: while a writer holds its
/// transaction open (its number taken), a phone syncing past the other writer's change is not
/// handed a cursor beyond the held one, and gets it once it commits. On SQLite writers take
/// turns, so this is PostgreSQL's case (numbers are transaction ids, see `repo::sync`).
#[actix_web::test]
async fn a_change_committed_after_a_higher_numbered_one_still_reaches_the_phone() {
    if !backend_is_postgres() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin().await;
    let held = id(&app.household_in(VILLAGE, 1).await);
    let other = id(&app.household_in(VILLAGE, 2).await);
    let officer = app.user("village_officer", VILLAGE).await;
    let cursor = sync(&officer, None, 100).await["next_cursor"].as_str().unwrap().to_owned();

    // A writer stamps `held` and stays in its transaction until released.
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let db = app.state.db.clone();
    let h = held.clone();
    let writer = actix_web::rt::spawn(async move {
        db.run(move |c| {
            Ok(fangpin::db::write_tx(c, |c| {
                use diesel::prelude::*;
                diesel::sql_query("UPDATE households SET address = 'written while held', version = version + 1 WHERE id = $1")
                    .bind::<diesel::sql_types::Text, _>(&h)
                    .execute(c)
                    .map_err(fangpin::db::DbError::from)?;
                fangpin::db::repo::sync::stamp(c, std::slice::from_ref(&h), &[])?;
                let _ = started_tx.send(());
                let _ = wait.recv();
                Ok::<_, fangpin::db::DbError>(())
            })?)
        })
        .await
    });
    started.await.unwrap();
    // Another household changes and commits meanwhile, under a higher number.
    let path = format!("/households/{other}");
    let v: Value = admin.get(&path).await.json().await.unwrap();
    let res = admin.patch(&path, json!({"address": "written after"}), Some(&format!("\"{}\"", v["version"]))).await;
    assert_eq!(res.status(), 200);
    let during = sync(&officer, Some(&cursor), 100).await;
    release.send(()).unwrap();
    writer.await.unwrap().unwrap();

    let after = sync(&officer, during["next_cursor"].as_str(), 100).await;
    let mut seen: HashMap<String, String> = HashMap::new();
    for page in [&during, &after] {
        for item in page["items"].as_array().unwrap() {
            seen.insert(id(item), item["address"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(seen.get(&held).map(String::as_str), Some("written while held"), "{during}\n{after}");
    assert_eq!(seen.get(&other).map(String::as_str), Some("written after"));
}

#[actix_web::test]
async fn a_long_transaction_in_another_database_of_the_cluster_does_not_hold_the_feed_back() {
    if !backend_is_postgres() {
        return;
    }
    use diesel::prelude::*;
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let cursor = sync(&officer, None, 100).await["next_cursor"].as_str().map(str::to_owned);
    // Another database of the same PostgreSQL (another deployment, a bulk load) with a
    // transaction holding an id, open for the whole test: transaction ids are the cluster's.
    let url = std::env::var("FANGPIN_TEST_DATABASE_URL").unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let mut elsewhere = diesel::pg::PgConnection::establish(&format!("{base}/postgres")).unwrap();
    diesel::sql_query("BEGIN").execute(&mut elsewhere).unwrap();
    diesel::sql_query("SELECT pg_current_xact_id()").execute(&mut elsewhere).unwrap();

    let created = id(&app.household_in(VILLAGE, 1).await);
    // Other tests share this database (a schema each) and may hold its feed back for a moment
    // with transactions of their own; the other database's transaction stays open throughout.
    let mut page = Value::Null;
    for _ in 0..100 {
        page = sync(&officer, cursor.as_deref(), 100).await;
        if !page["items"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ids: Vec<&str> = page["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![created.as_str()], "the household created after the other database's transaction began: {page}");
    diesel::sql_query("ROLLBACK").execute(&mut elsewhere).unwrap();
}
