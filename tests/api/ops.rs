//! Health, readiness, metrics, docs, the OpenAPI document and errors for unknown routes.

use serde_json::Value;

use crate::helpers::*;

#[actix_web::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_with(|s| s.metrics_token = Some("scrape-token-0123456789".into())).await;
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    app.admin().await.get("/households").await;
    let metrics = app.client.get(app.url("/metrics")).bearer_auth("scrape-token-0123456789").send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("fangpin_http_requests_total"), "{metrics}");
    assert!(metrics.contains("/api/v1/households"));
}

#[actix_web::test]
async fn an_unreachable_database_gives_503_with_retry_after_not_a_hang() {
    let app = spawn_with(|s| {
        s.database_url = Some("postgres://fangpin@127.0.0.1:9/nowhere".into());
        s.db_timeout_secs = 1;
    })
    .await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let p = problem(res).await;
    assert_eq!(p["code"], "unavailable");
    assert!(!p["detail"].as_str().unwrap().contains("127.0.0.1"), "no internals in the answer");
}

#[actix_web::test]
async fn unknown_routes_and_missing_tokens_answer_with_problem_documents() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(problem(res).await["code"], "not_found");
    let res = app.client.get(app.url("/api/v1/households")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(problem(res).await["code"], "unauthorized");
}

#[actix_web::test]
async fn a_known_path_asked_with_another_method_answers_405_with_allow() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/api/v1/households")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers().get("allow").unwrap(), "GET, POST");
    assert_eq!(problem(res).await["code"], "method_not_allowed");
    let res = app.client.request(reqwest::Method::TRACE, app.url("/api/v1/households/0190a0a0-0000-7000-8000-000000000000/years/2026")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers().get("allow").unwrap(), "GET, PUT");
    // A path that only looks like one (an empty id segment) is not found.
    assert_eq!(app.client.delete(app.url("/api/v1/households//years/2026")).send().await.unwrap().status(), 404);
}

#[actix_web::test]
async fn if_match_must_be_an_etag_not_a_wildcard_or_garbage() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let body = serde_json::json!({"address": "新地址"});
    // `*` would skip the lost-update check: told to send the ETag.
    assert_eq!(admin.patch(&path, body.clone(), Some("*")).await.status(), 428);
    let res = admin.patch(&path, body.clone(), Some("not-an-etag")).await;
    assert_eq!(res.status(), 400);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("If-Match"));
    assert_eq!(admin.patch(&path, body.clone(), Some("\"999\"")).await.status(), 412);
    // None of these changed anything.
    let now: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(now["version"], h["version"]);
    assert_eq!(admin.patch(&path, body, Some(&format!("W/\"{}\"", h["version"]))).await.status(), 200);
}

#[actix_web::test]
async fn the_served_openapi_document_and_swagger_ui_are_available() {
    let app = spawn_app().await;
    let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/v1/households/{id}"]["patch"].is_object());
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui-bundle.js"));
    assert_eq!(app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap().status(), 200);
}

#[test]
fn the_checked_in_openapi_document_matches_the_code() {
    let generated = serde_json::to_string_pretty(&fangpin::api::openapi()).unwrap();
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert!(
        generated.trim() == checked_in.trim(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

/// Forwards TCP connections from `listener` to `target` until the test ends.
async fn forward(listener: tokio::net::TcpListener, target: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else { return };
        let target = target.clone();
        actix_web::rt::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[actix_web::test]
async fn the_service_recovers_by_itself_when_postgresql_comes_up_after_it() {
    if !backend_is_postgres() {
        return; // a PostgreSQL behaviour: SQLite is a file that is always there
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut real = String::new();
    let app = spawn_with(|s| {
        let url = s.database_url.clone().unwrap();
        let (head, rest) = url.split_once('@').unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        real = host.to_owned();
        s.database_url = Some(format!("{head}@127.0.0.1:{port}/{path}"));
        s.db_timeout_secs = 1;
    })
    .await;
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 503);
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 503);
    // The database "comes up": nothing restarts, the service notices within a few seconds.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    actix_web::rt::spawn(forward(listener, real));
    let mut ready = false;
    for _ in 0..50 {
        if app.client.get(app.url("/readyz")).send().await.unwrap().status() == 200 {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(ready, "the service did not recover");
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn loading_the_demo_twice_changes_nothing() {
    let app = spawn_app().await;
    let (_, first) = fangpin::demo::load(&app.state.db, &app.state.crypto, 3).unwrap();
    assert!(first >= 40, "{first} households");
    let admin = app.admin().await;
    // Members joined and left in the demo county: its natural-change ledger 自然增减台账 has rows.
    let running = fangpin::domain::member::statistical_year(app.state.today());
    let ledger = |admin: Api| async move {
        let mut rows = 0;
        for year in [running - 1, running] {
            let l: Value = admin.get(&format!("/natural-changes?year={year}")).await.json().await.unwrap();
            rows += l["increases"].as_array().unwrap().len() + l["decreases"].as_array().unwrap().len();
        }
        rows
    };
    let changes = ledger(admin.clone()).await;
    assert!(changes >= 15, "{changes} natural changes");
    let (divisions, again) = fangpin::demo::load(&app.state.db, &app.state.crypto, 3).unwrap();
    assert_eq!((divisions, again), (0, 0));
    assert_eq!(ledger(admin.clone()).await, changes);
    let list: Value = admin.get("/households?limit=500").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), first);
    // Every helped household has its village's cadre, once.
    let helped = list["items"].as_array().unwrap().iter().filter(|h| h["category"] != "ordinary").count();
    let pairings: Value = admin.get("/pairings?current=true&limit=500").await.json().await.unwrap();
    assert_eq!(pairings["items"].as_array().unwrap().len(), helped);
    let cadres: Value = admin.get("/cadres?limit=500").await.json().await.unwrap();
    assert_eq!(cadres["items"].as_array().unwrap().len(), 15);
}

/// Closes, from outside, every connection the app's pool holds (as a PostgreSQL restart does);
/// returns how many there were.
fn terminate_pool_connections(app: &TestApp, at_least: usize) -> usize {
    use diesel::{Connection, RunQueryDsl};
    // Several connections open at once, so the pool keeps that many idle.
    let held: Vec<_> = (0..at_least).map(|_| app.state.db.conn().unwrap()).collect();
    drop(held);
    let (url, schema) = app.pg_schema().unwrap();
    let mut admin = diesel::PgConnection::establish(url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let killed: Count = diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = '{schema}'"
    ))
    .get_result(&mut admin)
    .unwrap();
    killed.n as usize
}

#[actix_web::test]
async fn after_a_postgresql_restart_no_request_draws_a_dead_pooled_connection() {
    if !backend_is_postgres() {
        return; // SQLite has no socket to lose
    }
    let app = spawn_with(|s| {
        s.db_idle_check_secs = 1;
        s.db_pool_size = 8;
    })
    .await;
    let admin = app.admin().await;
    let killed = terminate_pool_connections(&app, 6);
    assert!(killed >= 6, "{killed} connections closed");
    // The restart happened while the service was idle: every idle connection is checked first.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    for i in 0..12 {
        assert_eq!(admin.get("/households?limit=5").await.status(), 200, "request {i} after the restart");
    }
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn one_dead_connection_found_makes_the_pool_check_all_the_others() {
    if !backend_is_postgres() {
        return;
    }
    // Connections in recent use are not checked, so the first request may meet a dead one;
    // it is answered 503 (retry) and from then on no request does.
    let app = spawn_with(|s| {
        s.db_idle_check_secs = 3600;
        s.db_pool_size = 8;
    })
    .await;
    let admin = app.admin().await;
    let killed = terminate_pool_connections(&app, 6);
    assert!(killed >= 6, "{killed} connections closed");
    let first = admin.get("/households?limit=5").await;
    assert!([200, 503].contains(&first.status().as_u16()), "{}", first.status());
    let answers = futures_util::future::join_all((0..12).map(|_| admin.get("/households?limit=5"))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

/// Requests beyond the pool's connections wait their turn (first come, first served) as parked
/// futures, not as threads; a pool busy for longer than the checkout timeout is a 503 to retry,
/// never a request that hangs, and the next request after it is served.
#[actix_web::test]
async fn requests_beyond_the_pool_wait_their_turn_and_a_pool_busy_past_the_timeout_is_503() {
    let app = spawn_with(|s| {
        s.db_pool_size = 1;
        s.db_timeout_secs = 1;
    })
    .await;
    let admin = app.admin().await;
    let answers = futures_util::future::join_all((0..24).map(|_| admin.get("/households?limit=5"))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // The one connection held by other work for longer than the timeout.
    let db = app.state.db.clone();
    let held = actix_web::rt::spawn(async move {
        db.run(|_c| {
            std::thread::sleep(std::time::Duration::from_millis(2500));
            Ok(())
        })
        .await
    });
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let res = admin.get("/households?limit=5").await;
    assert_eq!(res.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_millis(2000), "answered after the timeout, not after the work: {:?}", started.elapsed());
    assert_eq!(problem(res).await["code"], "unavailable");
    held.await.unwrap().unwrap();
    assert_eq!(admin.get("/households?limit=5").await.status(), 200);
}
