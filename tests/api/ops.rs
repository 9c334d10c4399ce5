//! Health, readiness, metrics, docs, the OpenAPI document and errors for unknown routes.

use serde_json::Value;

use crate::helpers::*;

#[actix_web::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    app.admin().await.get("/households").await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
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
