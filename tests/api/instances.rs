//! Several servers over one PostgreSQL (a province behind a load balancer): a change to a user
//! account made through one server holds on every other at once — not after its cache of
//! authenticated users expires — and an `Idempotency-Key` means one record whichever server
//! answers. On SQLite there is one server by design: these run on PostgreSQL only.

use std::time::{Duration, Instant};

use fangpin::startup::Application;
use serde_json::{Value, json};

use crate::helpers::*;

/// Another server of the same deployment: the same database, secrets and settings.
async fn second_server(app: &TestApp) -> String {
    let mut settings = (*app.state.settings).clone();
    settings.bind = "127.0.0.1:0".into();
    let server = Application::build(settings).await.expect("the second server");
    let address = format!("http://127.0.0.1:{}/api/v1", server.port());
    actix_web::rt::spawn(server.run_until_stopped());
    address
}

/// Polls `path` on `api` until it answers `status`; how long that took.
async fn until(api: &Api, path: &str, status: u16, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if api.get(path).await.status() == status {
            return Some(start.elapsed());
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[actix_web::test]
async fn disabling_a_user_or_ending_their_sessions_on_one_server_holds_on_the_other_within_a_second() {
    if !backend_is_postgres() {
        return;
    }
    // A minute of cache: without the notice, the other server would keep the user that long.
    let app = spawn_with(|s| s.auth_cache_secs = 60).await;
    let other = second_server(&app).await;
    let admin = app.admin().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let there = Api { base: other.clone(), ..officer.clone() };
    assert_eq!(there.get("/me").await.status(), 200, "the other server knows the officer (and caches them)");

    let user: Value = admin.get(&format!("/users/{}", officer.user_id)).await.json().await.unwrap();
    let res = admin.patch(&format!("/users/{}", officer.user_id), json!({"disabled": true}), Some(&format!("\"{}\"", user["version"]))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let took = until(&there, "/me", 401, Duration::from_secs(3)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(1)), "the other server still served a disabled user: {took:?}");

    // A role changed on one server is the role on the other.
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let there = Api { base: other.clone(), ..reviewer.clone() };
    assert_eq!(there.get("/users?limit=1").await.status(), 200);
    let user: Value = admin.get(&format!("/users/{}", reviewer.user_id)).await.json().await.unwrap();
    let res = admin.patch(&format!("/users/{}", reviewer.user_id), json!({"role": "auditor", "jurisdiction": COUNTY}), Some(&format!("\"{}\"", user["version"]))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let me = async { there.get("/me").await.json::<Value>().await.unwrap()["role"].clone() };
    let start = Instant::now();
    let mut role = me.await;
    while role != "auditor" && start.elapsed() < Duration::from_secs(3) {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        role = there.get("/me").await.json::<Value>().await.unwrap()["role"].clone();
    }
    assert!(role == "auditor" && start.elapsed() < Duration::from_secs(1), "role {role} after {:?}", start.elapsed());

    // A password changed on one server ends the access tokens on the other.
    let cadre = app.user("cadre", VILLAGE).await;
    let there = Api { base: other, ..cadre.clone() };
    assert_eq!(there.get("/me").await.status(), 200);
    let res = cadre.request(reqwest::Method::PUT, "/me/password", Some(json!({"current_password": PASSWORD, "new_password": "Another-pass-7"})), None).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let took = until(&there, "/me", 401, Duration::from_secs(3)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(1)), "the old token still worked on the other server: {took:?}");
}

#[actix_web::test]
async fn one_idempotency_key_sent_to_two_servers_creates_one_household() {
    if !backend_is_postgres() {
        return;
    }
    let app = spawn_app().await;
    let other = second_server(&app).await;
    let admin = app.admin().await;
    let there = Api { base: other, ..admin.clone() };
    let key = uuid::Uuid::now_v7().to_string();
    let body = household_body(VILLAGE, &[(71, "head")]);
    let send = |api: Api| {
        let (key, body) = (key.clone(), body.clone());
        async move { api.client.post(format!("{}/households", api.base)).bearer_auth(&api.token).header("Idempotency-Key", key).json(&body).send().await.unwrap() }
    };
    let (a, b) = futures_util::join!(send(admin.clone()), send(there.clone()));
    let (sa, sb) = (a.status().as_u16(), b.status().as_u16());
    let (ja, jb): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert!([sa, sb].contains(&201), "{sa} {sb}: {ja} {jb}");
    assert!([200, 201, 409].contains(&sa) && [200, 201, 409].contains(&sb), "{sa} {sb}: {ja} {jb}");
    let list: Value = admin.get(&format!("/households?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "one household for one key");
    // Once answered, the key replays the same answer from either server.
    let replay: Value = send(there).await.json().await.unwrap();
    let created = if sa == 201 { &ja } else { &jb };
    assert_eq!(replay["id"], created["id"]);
}
