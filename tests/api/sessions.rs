//! Sessions and the paths reachable before login: an access token dies with its session
//! (logout, password change, admin reset, a reused refresh token); login throttling is counted
//! before the password is checked, locks out addresses and never a username; the client
//! address comes from `X-Forwarded-For` only through a trusted proxy; `/metrics` needs its
//! token; a body that trickles in gets 408 on every operation that reads one.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.client.get(app.url("/api/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

async fn login_body(app: &TestApp, username: &str, password: &str) -> Value {
    let res = app.login(username, password).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut rb = app.client.post(app.url(path)).json(&body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    rb.send().await.unwrap()
}

#[actix_web::test]
async fn an_access_token_stops_working_when_its_session_ends() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cadre = app.user("cadre", VILLAGE).await;
    let me: Value = cadre.get("/me").await.json().await.unwrap();
    let username = me["username"].as_str().unwrap().to_owned();

    // Logout: the access token of the session ends with its refresh token.
    let s = login_body(&app, &username, PASSWORD).await;
    let access = s["access_token"].as_str().unwrap();
    assert_eq!(me_status(&app, access).await, 200);
    assert_eq!(post(&app, "/api/v1/auth/logout", None, json!({"refresh_token": s["refresh_token"]})).await.status(), 204);
    assert_eq!(me_status(&app, access).await, 401, "access token after logout");
    // Other sessions refresh into new tokens; a new login works.
    let s = login_body(&app, &username, PASSWORD).await;
    assert_eq!(me_status(&app, s["access_token"].as_str().unwrap()).await, 200);

    // A reused refresh token: the thief's and the owner's access tokens end.
    let first = s["refresh_token"].as_str().unwrap().to_owned();
    let rotated: Value = post(&app, "/api/v1/auth/refresh", None, json!({"refresh_token": first})).await.json().await.unwrap();
    let access = rotated["access_token"].as_str().unwrap();
    assert_eq!(me_status(&app, access).await, 200);
    assert_eq!(post(&app, "/api/v1/auth/refresh", None, json!({"refresh_token": first})).await.status(), 401);
    assert_eq!(me_status(&app, access).await, 401, "access token after refresh-token reuse");

    // A password change ends every session, the one that made it included.
    let s = login_body(&app, &username, PASSWORD).await;
    let access = s["access_token"].as_str().unwrap().to_owned();
    let other = login_body(&app, &username, PASSWORD).await;
    let res = app
        .client
        .put(app.url("/api/v1/me/password"))
        .bearer_auth(&access)
        .json(&json!({"current_password": PASSWORD, "new_password": "Fresh-pass-42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(me_status(&app, &access).await, 401, "access token after a password change");
    assert_eq!(me_status(&app, other["access_token"].as_str().unwrap()).await, 401, "another session's access token");
    assert_eq!(post(&app, "/api/v1/auth/refresh", None, json!({"refresh_token": other["refresh_token"]})).await.status(), 401);

    // An administrator's reset ends the user's sessions too.
    let s = login_body(&app, &username, "Fresh-pass-42").await;
    let access = s["access_token"].as_str().unwrap().to_owned();
    let user: Value = admin.get(&format!("/users/{}", cadre.user_id)).await.json().await.unwrap();
    let res = admin.patch(&format!("/users/{}", cadre.user_id), json!({"password": "Reset-pass-77"}), Some(&format!("\"{}\"", user["version"]))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(me_status(&app, &access).await, 401, "access token after an admin reset");
    assert_eq!(post(&app, "/api/v1/auth/refresh", None, json!({"refresh_token": s["refresh_token"]})).await.status(), 401);
    assert_eq!(app.login(&username, "Reset-pass-77").await.status(), 200);
}

/// Logins as seen from `address` (the test app trusts 127.0.0.1 as a proxy).
async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", address)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn parallel_guesses_are_counted_before_the_password_is_checked() {
    let app = spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move { login_from(app, "198.51.100.20", "admin", &format!("Guess-{i}-pass")).await.status().as_u16() }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 15), "{answers:?}");
    // Even the right password is refused from that address for that user now.
    assert_eq!(login_from(&app, "198.51.100.20", "admin", ADMIN_PASSWORD).await.status(), 429);
}

#[actix_web::test]
async fn an_attacker_cannot_lock_a_known_user_out() {
    let app = spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    // Any spelling that normalises to the name counts for it, from the attacker's address.
    for name in ["admin ", "ADMIN", " Admin", "admin", "admin\t"] {
        assert_eq!(login_from(&app, "198.51.100.66", name, "Wrong-pass-1").await.status(), 401);
    }
    assert_eq!(login_from(&app, "198.51.100.66", "admin", "Wrong-pass-2").await.status(), 429);
    assert_eq!(login_from(&app, "198.51.100.66", "admin", ADMIN_PASSWORD).await.status(), 429);
    // The administrator, elsewhere, still gets in: after a short delay, not a lock.
    let started = Instant::now();
    let res = login_from(&app, "203.0.113.5", "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(900), "a username that failed that often is slowed down");
    // A success from one address does not clear the attacker's count at theirs.
    assert_eq!(login_from(&app, "198.51.100.66", "admin", ADMIN_PASSWORD).await.status(), 429);
}

#[actix_web::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // No trusted proxy: every request comes from 127.0.0.1 whatever X-Forwarded-For says.
    let app = spawn_with(|s| s.login_max_failures_per_address = 4).await;
    for i in 0..4 {
        let res = login_from(&app, &format!("198.51.100.{i}"), &format!("nobody{i}"), "Wrong-pass-1").await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(login_from(&app, "198.51.100.99", "admin", ADMIN_PASSWORD).await.status(), 429);
    // Through a trusted proxy the forwarded address is the client's.
    let app = spawn_with(|s| {
        s.login_max_failures_per_address = 4;
        s.trusted_proxies = "127.0.0.0/8".into();
    })
    .await;
    for i in 0..4 {
        assert_eq!(login_from(&app, &format!("198.51.100.{i}"), &format!("nobody{i}"), "Wrong-pass-1").await.status(), 401);
    }
    assert_eq!(login_from(&app, "198.51.100.99", "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[actix_web::test]
async fn metrics_are_served_only_with_their_token() {
    let app = spawn_app().await;
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 404);
    let app = spawn_with(|s| s.metrics_token = Some("scrape-token-0123456789".into())).await;
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 401);
    let admin = app.admin().await;
    assert_eq!(app.client.get(app.url("/metrics")).bearer_auth(&admin.token).send().await.unwrap().status(), 401, "an API token is not the metrics token");
    let res = app.client.get(app.url("/metrics")).bearer_auth("scrape-token-0123456789").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("fangpin_http_requests_total"));
}

/// Sends the head of a request announcing a 64-byte body, then one byte a second; returns the
/// status line the server answered with and how long it took.
async fn trickle(address: &str, method: &str, path: &str, token: Option<&str>, content_type: &str) -> (String, Duration) {
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: {content_type}\r\nIf-Match: \"1\"\r\nIdempotency-Key: slow-{}\r\nContent-Length: 64\r\n\r\n",
        uuid::Uuid::now_v7().simple()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    for _ in 0..30 {
        let _ = stream.write_all(b"{").await;
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or("").to_owned(), started.elapsed())
}

#[actix_web::test]
async fn a_body_sent_too_slowly_gets_408_on_every_operation_that_reads_one() {
    let app = spawn_with(|s| s.body_grace_secs = 2).await;
    let admin = app.admin().await;
    let household = app.household_in(VILLAGE, 1).await;
    let household_id = household["id"].as_str().unwrap();
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut targets = vec![
        ("POST".to_owned(), "/api/v1/auth/login".to_owned(), None, "application/json".to_owned()),
        ("POST".to_owned(), "/console/session".to_owned(), None, "application/json".to_owned()),
        ("POST".to_owned(), "/app/session".to_owned(), None, "application/json".to_owned()),
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(content) = op["requestBody"]["content"].as_object() else { continue };
            let media = content.keys().next().unwrap().clone();
            // Real values where a handler checks them before it reads the body.
            let path = path.replace("{year}", "2025").replace("{code}", VILLAGE).replace("{id}", household_id).replace('{', "").replace('}', "");
            let token = (!op["security"].as_array().is_some_and(|s| s.is_empty())).then(|| admin.token.clone());
            let content_type = if media.starts_with("multipart") { "multipart/form-data; boundary=xyz".into() } else { media };
            targets.push((method.to_uppercase(), path, token, content_type));
        }
    }
    assert!(targets.len() > 30, "the document lists the operations with bodies");
    let runs = targets.iter().map(|(m, p, t, ct)| {
        let address = app.address.clone();
        async move { (format!("{m} {p}"), trickle(&address, m, p, t.as_deref(), ct).await) }
    });
    let results = futures_util::future::join_all(runs).await;
    let wrong: Vec<_> = results.iter().filter(|(_, (status, took))| !status.contains(" 408 ") || *took > Duration::from_secs(6)).collect();
    assert!(wrong.is_empty(), "not 408 within 6 s: {wrong:#?}");
}

#[actix_web::test]
async fn a_request_head_sent_too_slowly_is_cut_off() {
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let mut closed = false;
    for _ in 0..20 {
        if stream.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(_) => {
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    assert!(closed && started.elapsed() < Duration::from_secs(10), "the server waited {:?} for a header", started.elapsed());
}

#[actix_web::test]
async fn a_fast_body_is_not_affected_by_the_rate_limit() {
    let app = spawn_with(|s| s.body_grace_secs = 1).await;
    let admin = app.admin().await;
    let res = admin.request(Method::POST, "/households", Some(household_body(VILLAGE, &[(1, "head")])), None).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

#[actix_web::test]
async fn before_login_only_the_documented_public_paths_answer() {
    let app = spawn_app().await;
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut public = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let concrete = path.replace("{year}", "2025").replace("{code}", VILLAGE).replace('{', "").replace('}', "");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.client.request(method.clone(), app.url(&concrete)).json(&json!({})).send().await.unwrap();
            let status = res.status().as_u16();
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert_eq!(status, 401, "{method} {path} without a token");
                assert_eq!(problem(res).await["code"], "unauthorized", "{method} {path}");
            } else {
                assert_ne!(status, 401, "{method} {path} is documented as public");
                public.push(format!("{method} {path}"));
            }
        }
    }
    public.sort();
    // A new public operation is a decision: it must be added here, and to SECURITY.md.
    assert_eq!(public, ["POST /api/v1/auth/login", "POST /api/v1/auth/logout", "POST /api/v1/auth/refresh"]);
    // Outside the API: health, documentation and the console's static files are public;
    // metrics are not served without their token; the console session needs its password.
    for (path, status) in [("/healthz", 200), ("/readyz", 200), ("/docs/", 200), ("/console/", 200), ("/metrics", 404), ("/api/v1/openapi.json", 200)] {
        assert_eq!(app.client.get(app.url(path)).send().await.unwrap().status(), status, "GET {path}");
    }
    let res = app.client.post(app.url("/console/session/refresh")).header("X-Fangpin-Console", "1").send().await.unwrap();
    assert_eq!(res.status(), 401, "console refresh without its cookie");
}

#[actix_web::test]
async fn what_was_typed_at_login_is_not_kept_in_clear() {
    // A phone or ID number typed as the username (and the address) go into the throttle's
    // table; the database scan every passing test ends with finds them if they are in clear.
    let app = spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    for username in ["13912395555", id_number(7).as_str(), " 13912395555 "] {
        assert_eq!(login_from(&app, "198.51.100.7", username, "Wrong-pass-1").await.status(), 401);
    }
    // And a reused Idempotency-Key keeps no query string in clear either.
    let admin = app.admin().await;
    let first = app.client.post(app.url("/api/v1/quality/runs?note=13912395555")).bearer_auth(&admin.token).header("Idempotency-Key", "k-1").json(&json!({"division": COUNTY})).send().await.unwrap();
    assert_ne!(first.status(), 500);
}

#[actix_web::test]
async fn a_refusal_before_the_body_is_read_still_reaches_the_phone() {
    // A photo sent with an expired token is answered 401 — as an answer, not a reset connection
    // (the phone must learn to refresh its token, not retry the upload blindly).
    let app = spawn_app().await;
    let household = app.household_in(VILLAGE, 1).await;
    let url = app.url(&format!("/api/v1/households/{}/photos", household["id"].as_str().unwrap()));
    let uploads = (0..16).map(|i| {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            let form = reqwest::multipart::Form::new()
                .part("meta", reqwest::multipart::Part::bytes(br#"{"kind":"stove"}"#.to_vec()))
                .part("file", reqwest::multipart::Part::bytes(vec![i as u8; 600 * 1024]).file_name("p.jpg"));
            client.post(url).bearer_auth("expired.token.value").multipart(form).send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string())
        }
    });
    let answers = futures_util::future::join_all(uploads).await;
    assert!(answers.iter().all(|a| a == &Ok(401)), "{answers:?}");
}

#[actix_web::test]
async fn a_kept_answer_is_replayed_only_to_the_same_session_with_the_same_rights() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let me: Value = reviewer.get("/me").await.json().await.unwrap();
    let username = me["username"].as_str().unwrap().to_owned();
    let session = login_body(&app, &username, PASSWORD).await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    let create = |token: String, key: &'static str| {
        let app = &app;
        async move {
            let mut body = household_body(VILLAGE, &[(41, "head")]);
            body["category"] = json!("ordinary");
            app.client.post(app.url("/api/v1/households")).bearer_auth(token).header("Idempotency-Key", key).json(&body).send().await.unwrap()
        }
    };
    let first = create(token.clone(), "replay-1").await;
    assert_eq!(first.status(), 201);
    let again = create(token.clone(), "replay-1").await;
    assert_eq!((again.status().as_u16(), again.headers().contains_key("idempotency-replayed")), (201, true));
    // After logout the old token gets 401, not the kept answer with its full numbers.
    assert_eq!(post(&app, "/api/v1/auth/logout", None, json!({"refresh_token": session["refresh_token"]})).await.status(), 204);
    assert_eq!(create(token, "replay-1").await.status(), 401);
    // With other rights (now an auditor), the same key shows nothing of the first answer.
    let user: Value = admin.get(&format!("/users/{}", reviewer.user_id)).await.json().await.unwrap();
    let res = admin.patch(&format!("/users/{}", reviewer.user_id), json!({"role": "auditor", "jurisdiction": COUNTY}), Some(&format!("\"{}\"", user["version"]))).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let auditor = login_body(&app, &username, PASSWORD).await;
    let res = create(auditor["access_token"].as_str().unwrap().to_owned(), "replay-1").await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("idempotency_key_reused") && !body.contains(&id_number(41)), "{body}");
}

#[actix_web::test]
async fn a_body_sent_in_a_burst_then_stalled_is_cut_off_and_login_bodies_are_small() {
    let app = spawn_with(|s| s.body_grace_secs = 2).await;
    let admin = app.admin().await;
    // 60 kB at once, then silence: the burst earns no minutes of waiting.
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!("POST /api/v1/households HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n", admin.token);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b' '; 60_000]).await.unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await.expect("an answer within 10 s").unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"), "{}", String::from_utf8_lossy(&buf[..n]));
    assert!(started.elapsed() < Duration::from_secs(5), "cut after {:?}", started.elapsed());
    // Before login a body is a few hundred bytes: a large one is refused without being held.
    let big = json!({"username": "admin", "password": "x".repeat(20_000)});
    let res = app.client.post(app.url("/api/v1/auth/login")).json(&big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let res = app.client.post(app.url("/console/session")).header("X-Fangpin-Console", "1").json(&big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let res = app.client.post(app.url("/app/session")).header("X-Fangpin-App", "1").json(&big).send().await.unwrap();
    assert_eq!(res.status(), 413);
}

#[actix_web::test]
async fn a_username_may_not_be_a_phone_or_id_number() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for username in ["13912395555".to_owned(), id_number(12)] {
        let res = admin.post("/users", json!({"username": username, "display_name": "王五", "password": "Passw0rd!long", "role": "cadre", "jurisdiction": VILLAGE})).await;
        assert_eq!(res.status(), 422, "{username}");
        let p = problem(res).await;
        assert_eq!(p["errors"][0]["code"], "personal_number");
        assert!(!p.to_string().contains(&username));
    }
}
