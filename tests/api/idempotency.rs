//! `Idempotency-Key` on POSTs: a phone's retry after a lost response gets the first answer.

use serde_json::{Value, json};

use crate::helpers::*;

async fn post_with_key(api: &Api, path: &str, body: &Value, key: &str) -> reqwest::Response {
    api.client.post(format!("{}{path}", api.base)).bearer_auth(&api.token).header("Idempotency-Key", key).json(body).send().await.unwrap()
}

#[actix_web::test]
async fn a_retried_post_returns_the_first_answer_without_a_second_effect() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = household_body(VILLAGE, &[(1, "head")]);
    let key = uuid::Uuid::now_v7().to_string();
    let first = post_with_key(&admin, "/households", &body, &key).await;
    assert_eq!(first.status(), 201);
    let location = first.headers().get("location").cloned();
    let first: Value = first.json().await.unwrap();
    let again = post_with_key(&admin, "/households", &body, &key).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotency-replayed").unwrap(), "true");
    assert_eq!(again.headers().get("location").cloned(), location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let list: Value = admin.get("/households").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // A refused request is replayed as refused; the same key with another body or on another
    // path is a mistake, told as such.
    let bad_key = uuid::Uuid::now_v7().to_string();
    let dup = post_with_key(&admin, "/households", &body, &bad_key).await;
    assert_eq!(dup.status(), 409);
    let again = post_with_key(&admin, "/households", &body, &bad_key).await;
    assert_eq!((again.status().as_u16(), again.headers().get("idempotency-replayed").is_some()), (409, true));
    let res = post_with_key(&admin, "/households", &household_body(VILLAGE, &[(2, "head")]), &bad_key).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!(p["errors"][0]["code"], "idempotency_key_reused");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("another body of POST /api/v1/households"), "{p}");
    let res = post_with_key(&admin, "/cadres", &json!({"name": "刘", "work_unit": "x"}), &key).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["code"], "idempotency_key_reused");
    // A request refused before it started (422: invalid) is not kept: corrected, it goes through.
    let fix_key = uuid::Uuid::now_v7().to_string();
    let invalid = json!({"name": "", "work_unit": "县乡村振兴局"});
    assert_eq!(post_with_key(&admin, "/cadres", &invalid, &fix_key).await.status(), 422);
    let res = post_with_key(&admin, "/cadres", &json!({"name": "刘", "work_unit": "县乡村振兴局"}), &fix_key).await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("idempotency-replayed").is_none());
    // Keys belong to their user.
    let other = app.user("county_admin", COUNTY).await;
    let res = post_with_key(&other, "/households", &household_body(VILLAGE, &[(3, "head")]), &key).await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("idempotency-replayed").is_none());
    // A malformed key is a malformed request.
    let res = post_with_key(&admin, "/cadres", &json!({"name": "刘", "work_unit": "x"}), "a b").await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn concurrent_retries_with_one_key_create_one_pairing() {
    let app = spawn_app().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (_, cadre) = app.cadre("刘帮扶").await;
    let admin = app.admin().await;
    let body = json!({"cadre_id": cadre, "household_id": h["id"], "start_date": "2026-02-01"});
    let key = uuid::Uuid::now_v7().to_string();
    let (a, b) = futures_util::join!(post_with_key(&admin, "/pairings", &body, &key), post_with_key(&admin, "/pairings", &body, &key));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    // The second is either the replay (201) or told the first is still running (409).
    assert!(statuses == [201, 201] || statuses == [201, 409], "{statuses:?}");
    let later = post_with_key(&admin, "/pairings", &body, &key).await;
    assert_eq!(later.status(), 201);
    let list: Value = admin.get(&format!("/pairings?household_id={}", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// The key is claimed inside the request's own write transaction; a retry that is answered
/// before it writes anything (here: the record of its `client_id` found) still gets the first
/// answer, replayed.
#[actix_web::test]
async fn a_retry_answered_before_it_writes_replays_the_first_answer() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(11, "head")]);
    body["client_id"] = json!(uuid::Uuid::now_v7().to_string());
    let key = uuid::Uuid::now_v7().to_string();
    let first = post_with_key(&admin, "/households", &body, &key).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post_with_key(&admin, "/households", &body, &key).await;
    assert_eq!((again.status().as_u16(), again.headers().get("idempotency-replayed").is_some()), (201, true));
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // Without the key the same client_id answers 200 with the first record (not a replay).
    let plain = admin.post("/households", body).await;
    assert_eq!((plain.status().as_u16(), plain.headers().get("idempotency-replayed").is_some()), (200, false));
}

/// A claim commits with the request's effect. A claim without its answer (the server stopped
/// after the commit) is told apart from a request still running after a minute, and is never
/// applied again.
#[actix_web::test]
async fn a_key_applied_without_its_answer_is_never_applied_again() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 12).await;
    let path = format!("/households/{}/measures", h["id"].as_str().unwrap());
    let body = json!({"kind": "industry", "title": "养殖", "start_date": "2026-01-20"});
    let key = uuid::Uuid::now_v7().to_string();
    assert_eq!(post_with_key(&admin, &path, &body, &key).await.status(), 201);
    let unanswer = |age: &str| {
        let sql = format!("UPDATE idempotency_keys SET status = 0, body = NULL, headers_json = NULL, created_at = {age}");
        let mut c = app.state.db.conn().unwrap();
        assert_eq!(diesel::sql_query(sql).execute(&mut *c).unwrap(), 1);
    };
    let measures = || async { admin.get(&path).await.json::<Value>().await.unwrap().as_array().unwrap().len() };
    unanswer("created_at");
    let res = post_with_key(&admin, &path, &body, &key).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("still being answered"));
    let two_minutes_ago = (chrono::Utc::now().naive_utc() - chrono::Duration::minutes(2)).format("'%Y-%m-%d %H:%M:%S'").to_string();
    unanswer(&two_minutes_ago);
    let res = post_with_key(&admin, &path, &body, &key).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("was applied"));
    assert_eq!(measures().await, 1, "not applied a second time");
    // Expired (24 h): the key is free again.
    let two_days_ago = (chrono::Utc::now().naive_utc() - chrono::Duration::days(2)).format("'%Y-%m-%d %H:%M:%S'").to_string();
    unanswer(&two_days_ago);
    let res = post_with_key(&admin, &path, &body, &key).await;
    assert_eq!((res.status().as_u16(), res.headers().get("idempotency-replayed").is_some()), (201, false));
    assert_eq!(measures().await, 2);
    let res = post_with_key(&admin, &path, &body, &key).await;
    assert_eq!((res.status().as_u16(), res.headers().get("idempotency-replayed").is_some()), (201, true), "and kept");
}

/// What makes the authorization matrix (which sends every POST with a key) catch an endpoint
/// that writes before its key is claimed: a statement that writes, run for a request whose key
/// no write transaction has claimed, fails in debug builds (`repo::idempotency::guard`); the
/// same statement inside `write_tx` claims the key and goes through, and a read never trips it.
#[actix_web::test]
async fn a_write_outside_the_transaction_that_claims_the_key_is_caught() {
    use diesel::RunQueryDsl;
    use fangpin::db::repo::idempotency::{RequestClaim, scope};
    let app = spawn_app().await;
    let claim = || RequestClaim::new("guard-test".into(), uuid::Uuid::now_v7().to_string(), "POST /api/v1/test".into(), Box::new(|_| true));
    let write = |c: &mut fangpin::db::DbConnection| diesel::sql_query("UPDATE users SET display_name = display_name WHERE id = 'nobody'").execute(c);
    let read = scope(claim(), app.state.db.run(|c| Ok(diesel::sql_query("SELECT 1").execute(c)?))).await;
    assert!(read.is_ok(), "a read before the claim is allowed");
    let outside = scope(claim(), app.state.db.run(move |c| Ok(write(c)?))).await;
    assert_eq!(outside.is_err(), cfg!(debug_assertions), "a write before the claim is a bug (a panic in debug builds)");
    let inside = scope(claim(), app.state.db.run(move |c| fangpin::db::write_tx(c, |c| Ok(write(c)?)))).await;
    assert!(inside.is_ok(), "{:?}", inside.err());
    // Without a key to claim (no Idempotency-Key), writes are not watched.
    assert!(app.state.db.run(move |c| Ok(write(c)?)).await.is_ok());
}

/// A request that wrote (a write transaction took its key) and then answered what is not kept
/// — a login with a wrong password counts the attempt, then answers 401 — was applied: a retry
/// with the key is told so at once, and not run again (the attempt is not counted twice).
#[actix_web::test]
async fn a_request_that_wrote_and_answered_what_is_not_kept_is_told_applied_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let key = uuid::Uuid::now_v7().to_string();
    let body = json!({"username": "admin", "password": "not the password"});
    let first = post_with_key(&admin, "/auth/login", &body, &key).await;
    assert_eq!(first.status(), 401);
    let again = post_with_key(&admin, "/auth/login", &body, &key).await;
    assert_eq!(again.status(), 409);
    let detail = problem(again).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("was applied but its answer was not kept"), "{detail}");
    // A request answered 401 before any write keeps no claim: its retry runs again.
    let key = uuid::Uuid::now_v7().to_string();
    let stranger = json!({"village_code": VILLAGE});
    let mut anonymous = admin.clone();
    anonymous.token = "not-a-token".into();
    assert_eq!(post_with_key(&anonymous, "/households", &stranger, &key).await.status(), 401);
    assert_eq!(post_with_key(&anonymous, "/households", &stranger, &key).await.status(), 401);
}
