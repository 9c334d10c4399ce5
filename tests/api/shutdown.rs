//! Graceful shutdown (what SIGTERM does; here through the server's handle): the server stops
//! accepting connections, the requests in flight finish — an upload whose body is still
//! arriving included — the reads they logged reach the audit log, and the server returns Ok
//! (the process exits 0). A rolling restart under load through nginx: `scripts/cluster.sh test`.

use std::time::Duration;

use fangpin::startup::Application;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::photos::{LAT, LON, located_household, meta, multipart, phone_photo};

#[actix_web::test]
async fn a_graceful_stop_refuses_new_connections_and_finishes_the_upload_in_flight() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    // Another server of the same deployment (same database and secrets): the one stopped.
    let mut settings = (*app.state.settings).clone();
    settings.bind = "127.0.0.1:0".into();
    settings.shutdown_grace_secs = 20;
    let server = Application::build(settings)
        .await
        .expect("the second server");
    let addr = format!("127.0.0.1:{}", server.port());
    let handle = server.handle();
    let served = actix_web::rt::spawn(server.run_until_stopped());
    let there = Api {
        base: format!("http://{addr}/api/v1"),
        ..admin.clone()
    };

    assert_eq!(there.get("/me").await.status(), 200);
    // An upload whose body has only half arrived when the stop begins.
    let (body, content_type) =
        multipart(&meta("door_with_cadre"), &phone_photo(7, Some((LAT, LON))));
    let mut upload = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1{path}/photos HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        admin.token,
        body.len()
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    // "100 Continue": the server is handling the request (a connection it has not taken up yet
    // would be dropped by the stop: a load balancer drains the server first, see the README).
    let mut interim = [0u8; 25];
    actix_web::rt::time::timeout(Duration::from_secs(10), upload.read_exact(&mut interim))
        .await
        .expect("no 100 Continue")
        .unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    let (first, rest) = body.split_at(body.len() / 2);
    upload.write_all(first).await.unwrap();
    let stopping = actix_web::rt::spawn(handle.stop(true));

    // New connections are refused soon after (the listener is closed)…
    let mut refused = false;
    for _ in 0..30 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        if TcpStream::connect(&addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the stopping server still accepted connections");
    assert!(
        !served.is_finished(),
        "the server stopped before its request in flight finished"
    );

    // …while the upload in flight completes and is stored.
    upload.write_all(rest).await.unwrap();
    let mut answer = String::new();
    actix_web::rt::time::timeout(Duration::from_secs(15), upload.read_to_string(&mut answer))
        .await
        .expect("no answer")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the upload in flight was not completed: {answer:?}"
    );
    let served = actix_web::rt::time::timeout(Duration::from_secs(15), served)
        .await
        .expect("the server did not stop")
        .unwrap();
    assert!(
        served.is_ok(),
        "the server stopped with an error: {served:?}"
    );
    stopping.await.unwrap();

    let photos: Value = admin
        .get(&format!("{path}/photos"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        photos["items"].as_array().unwrap().len(),
        1,
        "the photo uploaded during the stop is stored"
    );
}

/// What the server does once stopped: reads recorded a moment before are written at once, not
/// on the background thread's next round (a process exiting then would lose them).
#[actix_web::test]
async fn flushing_the_read_log_writes_the_reads_recorded_before() {
    let app = spawn_app().await;
    let household = app.household_in(VILLAGE, 1).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let actor = fangpin::db::repo::audit::Actor::system("shutdown-test");
    for _ in 0..3 {
        app.state.read_log.record(&actor, &household);
    }
    assert!(
        app.state.read_log.flush(Duration::from_secs(5)),
        "the flush did not complete"
    );
    let mut c = app.state.db.conn().unwrap();
    let history =
        fangpin::db::repo::audit::household_history(&mut c, &household, true, None, 100).unwrap();
    assert_eq!(
        history.iter().filter(|e| e.action == "read").count(),
        3,
        "reads recorded before the flush are written when it returns"
    );
}
