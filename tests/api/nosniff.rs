//! `X-Content-Type-Options: nosniff` on every answer of the server: every operation of the OpenAPI
//! document (each documented method with a token, and GET with and without one), the console, the
//! docs, the operations endpoints and unknown routes. A browser that sniffed a photo or a document
//! served by fangpin could run it as HTML or script; a route added later is walked here too.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn nosniff(res: &reqwest::Response) -> bool {
    res.headers().get_all("x-content-type-options").iter().any(|v| v.as_bytes().eq_ignore_ascii_case(b"nosniff"))
}

/// The document's template with real ids where there are some (so a photo's content is really
/// served), a fresh id elsewhere (a 404 must carry the header too).
fn concrete(template: &str, ids: &[(&str, &str)]) -> String {
    let path = template.trim_start_matches("/api/v1");
    let first = path.split('/').nth(1).unwrap_or_default();
    let segments: Vec<String> = path
        .split('/')
        .map(|s| match s {
            "{code}" => VILLAGE.to_owned(),
            "{year}" => "2025".to_owned(),
            "{id}" => ids.iter().find(|(k, _)| *k == first).map(|(_, v)| (*v).to_owned()).unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            s if s.starts_with('{') => ids.iter().find(|(k, _)| *k == s).map(|(_, v)| (*v).to_owned()).unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            s => s.to_owned(),
        })
        .collect();
    segments.join("/")
}

#[actix_web::test]
async fn every_answer_of_every_route_says_nosniff() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = crate::photos::located_household(&app, 1).await;
    let household = path.trim_start_matches("/households/").to_owned();
    let res = crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(1, Some((37.6106, 110.0357)))).await;
    assert_eq!(res.status(), 201);
    let photo: Value = res.json().await.unwrap();
    let photo = photo["id"].as_str().unwrap().to_owned();
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    let ids = [("households", household.as_str()), ("photos", photo.as_str()), ("{member_id}", member.as_str())];

    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut missing = Vec::new();
    let mut seen = 0;
    let mut served_photo = false;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path = concrete(template, &ids);
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = if m == Method::GET || m == Method::DELETE { None } else { Some(json!({})) };
            let res = admin.request(m.clone(), &path, body, None).await;
            seen += 1;
            served_photo |= template.ends_with("/content") && res.status() == 200 && res.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"image/"));
            if !nosniff(&res) {
                missing.push(format!("{method} {template} ({})", res.status()));
            }
        }
        if item.get("get").is_some() {
            let res = app.client.get(format!("{}/api/v1{path}", app.address)).send().await.unwrap();
            if !nosniff(&res) {
                missing.push(format!("get {template} without a token ({})", res.status()));
            }
        }
    }
    assert!(seen > 50, "the document lists only {seen} operations");
    assert!(served_photo, "a photo's content was not served, so its header was not checked");

    let others: [(Method, &str); 23] = [
        (Method::GET, "/healthz"),
        (Method::GET, "/readyz"),
        (Method::GET, "/metrics"),
        (Method::GET, "/docs"),
        (Method::GET, "/docs/"),
        (Method::GET, "/docs/swagger-ui.css"),
        (Method::GET, "/docs/swagger-ui-bundle.js"),
        (Method::GET, "/api/v1/openapi.json"),
        (Method::GET, "/console"),
        (Method::GET, "/console/"),
        (Method::GET, "/console/main.js"),
        (Method::GET, "/console/vendor/leaflet.css"),
        (Method::GET, "/console/no-such-file.js"),
        (Method::POST, "/console/session"),
        (Method::POST, "/console/session/refresh"),
        (Method::GET, "/app/"),
        (Method::GET, "/app/sw.js"),
        (Method::GET, "/app/main.js"),
        (Method::GET, "/app/no-such-file.js"),
        (Method::POST, "/app/session"),
        (Method::POST, "/app/session/refresh"),
        (Method::GET, "/no/such/route"),
        (Method::DELETE, "/api/v1/households"),
    ];
    for (method, route) in others {
        let res = app.client.request(method.clone(), app.url(route)).header("content-type", "application/json").body("{}").send().await.unwrap();
        if !nosniff(&res) {
            missing.push(format!("{method} {route} ({})", res.status()));
        }
    }
    // A body the server cannot read, and one too large for JSON.
    let res = admin.client.post(format!("{}/households", admin.base)).bearer_auth(&admin.token).header("content-type", "application/json").body("{").send().await.unwrap();
    if !nosniff(&res) {
        missing.push(format!("malformed JSON ({})", res.status()));
    }
    let res = admin.client.post(format!("{}/households", admin.base)).bearer_auth(&admin.token).header("content-type", "application/json").body(vec![b' '; 2 << 20]).send().await.unwrap();
    if !nosniff(&res) {
        missing.push(format!("oversized JSON ({})", res.status()));
    }
    assert!(missing.is_empty(), "answers without X-Content-Type-Options: nosniff:\n{}", missing.join("\n"));
}
