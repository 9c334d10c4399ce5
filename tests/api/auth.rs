//! Login, throttling, token forgeries, refresh rotation and reuse, logout, password change.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::*;

#[actix_web::test]
async fn login_returns_an_access_and_a_refresh_token_for_the_user() {
    let app = spawn_app().await;
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["role"], "county_admin");
    assert_eq!(body["user"]["jurisdiction"], COUNTY);
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body["refresh_token"].as_str().unwrap().len() > 20);
}

#[actix_web::test]
async fn a_wrong_password_or_unknown_user_is_invalid_credentials() {
    let app = spawn_app().await;
    for (user, pw) in [("admin", "Wrong-pass-1"), ("nobody", "Wrong-pass-1")] {
        let res = app.login(user, pw).await;
        assert_eq!(res.status(), 401);
        assert_eq!(problem(res).await["code"], "invalid_credentials");
    }
}

#[actix_web::test]
async fn repeated_failures_for_a_username_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(app.login("admin", "Wrong-pass-1").await.status(), 401);
    }
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    assert_eq!(problem(res).await["code"], "too_many_requests");
}

#[actix_web::test]
async fn repeated_failures_from_one_address_are_throttled_across_usernames() {
    let app = spawn_with(|s| s.login_max_failures_per_address = 3).await;
    for name in ["a1", "a2", "a3"] {
        assert_eq!(app.login(name, "Wrong-pass-1").await.status(), 401);
    }
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 429);
}

fn secret(app: &TestApp) -> Vec<u8> {
    std::fs::read_to_string(app.data_dir.path().join("jwt.secret")).unwrap().trim().as_bytes().to_vec()
}

fn forge(claims: Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key)).unwrap()
}

async fn me_with(app: &TestApp, token: &str) -> u16 {
    app.client.get(app.url("/api/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let now = chrono::Utc::now().timestamp();
    let key = secret(&app);
    let claims = |iss: &str, aud: &str, nbf: i64, exp: i64| {
        json!({"sub": admin.user_id, "iss": iss, "aud": aud, "iat": now, "nbf": nbf, "exp": exp})
    };
    // The genuine shape is accepted, so the refusals below are about the one thing changed.
    assert_eq!(me_with(&app, &forge(claims("fangpin", "fangpin-api", now, now + 600), &key)).await, 200);
    let refused = [
        ("wrong key", forge(claims("fangpin", "fangpin-api", now, now + 600), b"another-secret-another-secret-xx")),
        ("expired", forge(claims("fangpin", "fangpin-api", now - 3600, now - 600), &key)),
        ("not yet valid", forge(claims("fangpin", "fangpin-api", now + 600, now + 1200), &key)),
        ("wrong issuer", forge(claims("evil", "fangpin-api", now, now + 600), &key)),
        ("wrong audience", forge(claims("fangpin", "other", now, now + 600), &key)),
        ("no token at all", String::new()),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, token) in refused {
        assert_eq!(me_with(&app, &token).await, 401, "{what}");
    }
    // alg "none": header and claims without a signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims("fangpin", "fangpin-api", now, now + 600).to_string())
    );
    assert_eq!(me_with(&app, &none).await, 401, "alg none");
    // HS512 with the right key: only HS256 is accepted.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims("fangpin", "fangpin-api", now, now + 600),
        &EncodingKey::from_secret(&key),
    )
    .unwrap();
    assert_eq!(me_with(&app, &hs512).await, 401, "HS512");
}

#[actix_web::test]
async fn a_disabled_users_token_stops_working_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cadre = app.user("cadre", VILLAGE).await;
    assert_eq!(cadre.get("/me").await.status(), 200);
    let res = admin.patch(&format!("/users/{}", cadre.user_id), json!({"disabled": true}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let res = cadre.get("/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(problem(res).await["code"], "unauthorized");
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.post(app.url("/api/v1/auth/refresh")).json(&json!({"refresh_token": token})).send().await.unwrap()
}

#[actix_web::test]
async fn refresh_rotates_and_reusing_a_spent_token_revokes_the_family() {
    let app = spawn_app().await;
    let first: Value = app.login("admin", ADMIN_PASSWORD).await.json().await.unwrap();
    let r1 = first["refresh_token"].as_str().unwrap();
    let res = refresh(&app, r1).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(me_with(&app, second["access_token"].as_str().unwrap()).await, 200);
    // The spent token is replayed: refused, and the whole family goes with it.
    assert_eq!(refresh(&app, r1).await.status(), 401);
    assert_eq!(refresh(&app, r2).await.status(), 401);
    // Another login is a new family and still works.
    let third: Value = app.login("admin", ADMIN_PASSWORD).await.json().await.unwrap();
    assert_eq!(refresh(&app, third["refresh_token"].as_str().unwrap()).await.status(), 200);
}

#[actix_web::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let body: Value = app.login("admin", ADMIN_PASSWORD).await.json().await.unwrap();
    let token = body["refresh_token"].as_str().unwrap();
    let res = app.client.post(app.url("/api/v1/auth/logout")).json(&json!({"refresh_token": token})).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(refresh(&app, token).await.status(), 401);
}

#[actix_web::test]
async fn changing_ones_password_checks_the_current_one_and_the_policy() {
    let app = spawn_app().await;
    let cadre = app.user("cadre", VILLAGE).await;
    let put = |body: Value| {
        let cadre = cadre.clone();
        async move { cadre.request(reqwest::Method::PUT, "/me/password", Some(body), None).await }
    };
    let res = put(json!({"current_password": PASSWORD, "new_password": "short1"})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["field"], "new_password");
    let res = put(json!({"current_password": "Not-it-123", "new_password": "Better-pass-2"})).await;
    assert_eq!(res.status(), 401);
    let me: Value = cadre.get("/me").await.json().await.unwrap();
    let username = me["username"].as_str().unwrap();
    let res = put(json!({"current_password": PASSWORD, "new_password": "Better-pass-2"})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.login(username, PASSWORD).await.status(), 401);
    assert_eq!(app.login(username, "Better-pass-2").await.status(), 200);
}
