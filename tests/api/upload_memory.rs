//! Where an upload waits while it is received and checked: in memory while the upload memory
//! budget (`FANGPIN_UPLOAD_MEMORY_BYTES`) has room for its whole body, else in a file under
//! `<data dir>/tmp` — the budget bounds memory, never refuses an upload. Either way the stored
//! bytes are the bytes sent, and nothing stays behind in `tmp`.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::photos::{LAT, LON, located_household, meta, multipart, phone_photo, phone_photo_of};

/// An upload sent by hand: the head, then the body but its last bytes; the rest on `finish`.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl HalfSent {
    async fn begin(app: &TestApp, token: &str, path: &str, body: &[u8], content_type: &str) -> Self {
        let addr = app.address.trim_start_matches("http://").to_owned();
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /api/v1{path}/photos HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // All but the end: the meta part is whole (a multipart parser may need the bytes after a
        // part to see where it ends).
        let (first, rest) = body.split_at(body.len() - 256);
        stream.write_all(first).await.unwrap();
        Self { stream, rest: rest.to_vec() }
    }

    /// Sends the rest; the answer's status and JSON body.
    async fn finish(mut self) -> (u16, Value) {
        self.stream.write_all(&self.rest).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(30), self.stream.read_to_string(&mut answer)).await.expect("no answer").unwrap();
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

fn spooled_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("tmp")).map(|d| d.count()).unwrap_or(0)
}

/// Waits up to 10 s for `n` files in `tmp`; the count seen last.
async fn until_spooled(app: &TestApp, n: usize) -> usize {
    for _ in 0..200 {
        if spooled_files(app) == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    spooled_files(app)
}

async fn stored_bytes(admin: &Api, photo: &Value) -> Vec<u8> {
    admin.get(&format!("/photos/{}/content", photo["id"].as_str().unwrap())).await.bytes().await.unwrap().to_vec()
}

#[actix_web::test]
async fn an_upload_the_budget_has_room_for_waits_in_memory_the_next_on_disk_and_all_are_stored_whole() {
    let (a, b) = (phone_photo(1, Some((LAT, LON))), phone_photo(2, Some((LAT, LON))));
    let (body_a, type_a) = multipart(&meta("door_with_cadre"), &a);
    let (body_b, type_b) = multipart(&meta("stove_with_cadre"), &b);
    // Room for one body at a time.
    let app = spawn_with(|s| s.upload_memory_bytes = body_a.len().max(body_b.len()) + 4096).await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;

    let first = HalfSent::begin(&app, &admin.token, &path, &body_a, &type_a).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(spooled_files(&app), 0, "the upload fits the budget: nothing on disk");
    let second = HalfSent::begin(&app, &admin.token, &path, &body_b, &type_b).await;
    assert_eq!(until_spooled(&app, 1).await, 1, "the next finds the budget taken: it waits in a file");
    let ((status_a, photo_a), (status_b, photo_b)) = (first.finish().await, second.finish().await);
    assert_eq!((status_a, status_b), (201, 201), "{photo_a} {photo_b}");
    assert_eq!(stored_bytes(&admin, &photo_a).await, a);
    assert_eq!(stored_bytes(&admin, &photo_b).await, b);
    assert_eq!(until_spooled(&app, 0).await, 0, "the spooled file is removed once read");

    // The first upload's memory came back: the next fits again.
    let c = phone_photo(4, Some((LAT, LON)));
    let (body_c, type_c) = multipart(&meta("family_at_door"), &c);
    let third = HalfSent::begin(&app, &admin.token, &path, &body_c, &type_c).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(spooled_files(&app), 0, "the budget was given back");
    let (status, photo) = third.finish().await;
    assert_eq!(status, 201, "{photo}");
    assert_eq!(stored_bytes(&admin, &photo).await, c);

    // A body larger than the whole budget is received into a file, and stored whole.
    let large = phone_photo_of(640 * 3, 480 * 3, 3);
    let (body, content_type) = multipart(&meta("hall_with_cadre"), &large);
    assert!(body.len() > body_a.len() + 4096);
    let fourth = HalfSent::begin(&app, &admin.token, &path, &body, &content_type).await;
    assert_eq!(until_spooled(&app, 1).await, 1, "past the budget the upload waits in a file");
    let (status, photo) = fourth.finish().await;
    assert_eq!(status, 201, "{photo}");
    assert_eq!(stored_bytes(&admin, &photo).await, large);
    assert_eq!(until_spooled(&app, 0).await, 0, "the spooled file is removed once read");
}

#[actix_web::test]
async fn with_no_upload_memory_every_photo_and_document_goes_through_a_file_and_arrives_whole() {
    let app = spawn_with(|s| s.upload_memory_bytes = 0).await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    let photo = phone_photo(4, Some((LAT, LON)));
    let (body, content_type) = multipart(&meta("door_with_cadre"), &photo);
    let sent = HalfSent::begin(&app, &admin.token, &path, &body, &content_type).await;
    assert_eq!(until_spooled(&app, 1).await, 1);
    let (status, stored) = sent.finish().await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored_bytes(&admin, &stored).await, photo);

    let scan = crate::documents::pdf(9);
    let res = crate::documents::upload(&admin, &path, json!({"kind": "information_form", "year": 2026}), scan.clone(), "采集表.pdf").await;
    assert_eq!(res.status(), 201);
    let doc: Value = res.json().await.unwrap();
    let content = admin.get(&format!("/documents/{}/content", doc["id"].as_str().unwrap())).await.bytes().await.unwrap();
    assert_eq!(content.to_vec(), scan);
    assert_eq!(until_spooled(&app, 0).await, 0);
}

