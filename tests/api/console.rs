//! The review console: its embedded page and assets, and its cookie session (the refresh token
//! in an HttpOnly, SameSite=Strict cookie the page cannot read). The browser tests of the page
//! itself are in tests/console/ (scripts/console-test.sh).

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::*;

const HEADER: &str = "X-Fangpin-Console";

fn refresh_cookie(res: &reqwest::Response) -> String {
    let set = res.headers().get(SET_COOKIE).expect("a Set-Cookie").to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console/session"] {
        assert!(set.contains(flag), "{flag} missing in {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

#[actix_web::test]
async fn the_console_page_and_its_assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/console/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    assert!(res.text().await.unwrap().contains("/console/main.js"));
    for (path, kind) in [("/console/main.js", "text/javascript"), ("/console/vendor/leaflet.js", "text/javascript"), ("/console/vendor/leaflet.css", "text/css")] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind), "{path}");
    }
    assert_eq!(app.client.get(app.url("/console/../Cargo.toml")).send().await.unwrap().status(), 404);
    assert_eq!(app.client.get(app.url("/console/nothing.js")).send().await.unwrap().status(), 404);
    let res = app.client.get(app.url("/console")).send().await.unwrap();
    assert_eq!(res.url().path(), "/console/", "redirected to the page");
}

#[actix_web::test]
async fn a_console_session_keeps_the_refresh_token_in_an_httponly_cookie_and_rotates_it() {
    let app = spawn_app().await;
    let login = json!({"username": "admin", "password": ADMIN_PASSWORD});
    // Without the console header (a cross-site form cannot add it): refused.
    let res = app.client.post(app.url("/console/session")).json(&login).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client.post(app.url("/console/session")).header(HEADER, "1").json(&json!({"username": "admin", "password": "wrong"})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get(SET_COOKIE).is_none());

    let res = app.client.post(app.url("/console/session")).header(HEADER, "1").json(&login).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let first = refresh_cookie(&res);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "the page never sees the refresh token");
    let me = app.client.get(app.url("/api/v1/me")).bearer_auth(body["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(me.status(), 200);

    let refresh = |cookie: String| app.client.post(app.url("/console/session/refresh")).header(HEADER, "1").header(COOKIE, cookie).send();
    let res = refresh(first.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let second = refresh_cookie(&res);
    assert_ne!(second, first, "rotated");
    // The spent cookie again (stolen?): refused, and the whole session with it.
    assert_eq!(refresh(first).await.unwrap().status(), 401);
    assert_eq!(refresh(second.clone()).await.unwrap().status(), 401);
    assert_eq!(app.client.post(app.url("/console/session/refresh")).header(HEADER, "1").send().await.unwrap().status(), 401);

    // Log out: the cookie is cleared and its session revoked.
    let res = app.client.post(app.url("/console/session")).header(HEADER, "1").json(&login).send().await.unwrap();
    let third = refresh_cookie(&res);
    let res = app.client.post(app.url("/console/session/logout")).header(HEADER, "1").header(COOKIE, third.clone()).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(refresh(third).await.unwrap().status(), 401);
}
