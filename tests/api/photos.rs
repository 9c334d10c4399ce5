//! Photos: upload, EXIF, distance and time checks, duplicates across households, thumbnails,
//! bad uploads leaving nothing behind, the review queue, coverage and garbage collection.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jpeg::{Exif, encode, picture, with_exif};

pub(crate) const LAT: f64 = 37.6106;
pub(crate) const LON: f64 = 110.0351;

fn now_beijing() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
}

pub(crate) fn meta(kind: &str) -> Value {
    json!({"kind": kind, "taken_at": now_beijing().to_rfc3339(), "client_id": uuid::Uuid::now_v7().to_string()})
}

/// A phone photo taken now at (lat, lon), seen as Beijing time in EXIF.
pub(crate) fn phone_photo(seed: u32, gps: Option<(f64, f64)>) -> Vec<u8> {
    phone_photo_at(640, 480, seed, gps)
}

/// A `w`×`h` phone photo taken now at the household's home.
pub(crate) fn phone_photo_of(w: u32, h: u32, seed: u32) -> Vec<u8> {
    phone_photo_at(w, h, seed, Some((LAT, LON)))
}

fn phone_photo_at(w: u32, h: u32, seed: u32, gps: Option<(f64, f64)>) -> Vec<u8> {
    let exif = Exif {
        datetime: Some(now_beijing().format("%Y:%m:%d %H:%M:%S").to_string()),
        offset: Some("+08:00".into()),
        gps,
        make: Some("HUAWEI".into()),
        model: Some("ALN-AL00".into()),
        ..Default::default()
    };
    with_exif(&encode(&picture(w, h, seed), 85), &exif)
}

/// A multipart photo upload as raw bytes, for a client written by hand: (body, content type).
pub(crate) fn multipart(meta: &Value, photo: &[u8]) -> (Vec<u8>, String) {
    let boundary = uuid::Uuid::now_v7().simple().to_string();
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{meta}\r\n").into_bytes();
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    body.extend(photo);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

async fn upload_parts(api: &Api, path: &str, parts: Vec<(&str, Vec<u8>)>) -> reqwest::Response {
    let mut form = Form::new();
    for (name, bytes) in parts {
        let part = Part::bytes(bytes).file_name(if name == "file" { "photo.jpg" } else { "meta.json" });
        form = form.part(name.to_owned(), part);
    }
    api.client.post(format!("{}{path}/photos", api.base)).bearer_auth(&api.token).multipart(form).send().await.unwrap()
}

pub(crate) async fn upload(api: &Api, path: &str, meta: &Value, file: Vec<u8>) -> reqwest::Response {
    upload_parts(api, path, vec![("meta", meta.to_string().into_bytes()), ("file", file)]).await
}

/// A household in VILLAGE with its home captured at (LAT, LON); returns its path.
pub(crate) async fn located_household(app: &TestApp, n: u32) -> String {
    let admin = app.admin().await;
    let path = format!("/households/{}", app.household_in(VILLAGE, n).await["id"].as_str().unwrap());
    let capture = json!({"lat": LAT, "lon": LON, "accuracy_m": 5.0, "captured_at": chrono::Utc::now().to_rfc3339(), "source": "gps", "client_id": uuid::Uuid::now_v7().to_string()});
    assert_eq!(admin.post(&format!("{path}/locations"), capture).await.status(), 201);
    path
}

async fn photo_count(app: &TestApp, path: &str) -> usize {
    let admin = app.admin().await;
    let list: Value = admin.get(&format!("{path}/photos")).await.json().await.unwrap();
    list["items"].as_array().unwrap().len()
}

async fn object_count(app: &TestApp) -> usize {
    app.state.storage.list("photos").await.unwrap().len()
}

#[actix_web::test]
async fn a_photo_taken_at_home_passes_its_checks_and_is_served_back() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let bytes = phone_photo(1, Some((LAT + 0.0002, LON)));
    let res = upload(&cadre, &path, &meta("door_with_cadre"), bytes.clone()).await;
    assert_eq!(res.status(), 201);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["status"], "ok", "{p}");
    assert_eq!(p["checks"]["near_home"], true);
    assert!(p["checks"]["distance_m"].as_f64().unwrap() < 30.0);
    assert_eq!((p["checks"]["time_ok"].as_bool(), p["checks"]["has_exif_gps"].as_bool()), (Some(true), Some(true)));
    assert_eq!(p["checks"]["duplicate_of"], json!([]));
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(640), Some(480)));
    assert_eq!(p["exif"]["make"], "HUAWEI");
    assert!((p["exif"]["lat"].as_f64().unwrap() - (LAT + 0.0002)).abs() < 1e-5);
    let original = cadre.get(&format!("/photos/{}/content", p["id"].as_str().unwrap())).await;
    assert_eq!(original.headers()["content-type"], "image/jpeg");
    assert_eq!(original.bytes().await.unwrap().to_vec(), bytes, "the original keeps its bytes and EXIF");
    let thumb = cadre.get(&format!("/photos/{}/thumbnail", p["id"].as_str().unwrap())).await.bytes().await.unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (320, 240));
    assert!(!thumb.windows(4).any(|w| w == b"Exif"), "the thumbnail carries no EXIF");
    assert_eq!(object_count(&app).await, 2);
}

#[actix_web::test]
async fn southern_and_western_references_and_orientation_are_honoured() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    let exif = Exif { datetime: Some(now_beijing().format("%Y:%m:%d %H:%M:%S").to_string()), gps: Some((-33.8688, -70.6693)), orientation: Some(6), ..Default::default() };
    let p: Value = upload(&admin, &path, &meta("stove_with_cadre"), with_exif(&encode(&picture(640, 480, 2), 85), &exif)).await.json().await.unwrap();
    assert!((p["exif"]["lat"].as_f64().unwrap() + 33.8688).abs() < 1e-4);
    assert!((p["exif"]["lon"].as_f64().unwrap() + 70.6693).abs() < 1e-4);
    assert_eq!(p["status"], "flagged");
    assert_eq!(p["checks"]["reasons"], json!(["far_from_home"]));
    assert!(p["checks"]["distance_m"].as_f64().unwrap() > 10_000_000.0);
    let thumb = admin.get(&format!("/photos/{}/thumbnail", p["id"].as_str().unwrap())).await.bytes().await.unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (240, 320), "orientation 6 stands the picture up");
}

#[actix_web::test]
async fn absurd_exif_is_reported_not_trusted_and_the_app_position_is_used() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    let exif = Exif { datetime: Some("1999:12:31 10:00:00".into()), gps: Some((0.0, 0.0)), maker_note: 60_000, ..Default::default() };
    let mut m = meta("hall_with_cadre");
    m["lat"] = json!(LAT);
    m["lon"] = json!(LON);
    let res = upload(&admin, &path, &m, with_exif(&encode(&picture(640, 480, 3), 85), &exif)).await;
    assert_eq!(res.status(), 201);
    let p: Value = res.json().await.unwrap();
    let anomalies: Vec<String> = serde_json::from_value(p["exif"]["anomalies"].clone()).unwrap();
    assert!(anomalies.contains(&"gps_zero".to_owned()) && anomalies.contains(&"date_before_2000".to_owned()), "{anomalies:?}");
    assert_eq!(p["checks"]["position_source"], "app");
    assert_eq!(p["checks"]["near_home"], true);
    let reasons = p["checks"]["reasons"].as_array().unwrap();
    assert!(reasons.contains(&json!("exif_anomaly")) && reasons.contains(&json!("no_exif_time")));
}

#[actix_web::test]
async fn the_same_picture_for_another_household_is_flagged_as_a_duplicate() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first_home = located_household(&app, 1).await;
    let second_home = located_household(&app, 2).await;
    let stove = phone_photo(7, Some((LAT, LON)));
    let first: Value = upload(&admin, &first_home, &meta("stove_with_cadre"), stove.clone()).await.json().await.unwrap();
    assert_eq!(first["status"], "ok");
    // The same file, and the same stove re-encoded at another quality.
    let same: Value = upload(&admin, &second_home, &meta("stove_with_cadre"), stove).await.json().await.unwrap();
    assert_eq!(same["checks"]["duplicate_of"], json!([first["id"]]));
    assert_eq!(same["checks"]["reasons"], json!(["duplicate"]));
    let recompressed = with_exif(&encode(&picture(640, 480, 7), 60), &Exif { datetime: Some(now_beijing().format("%Y:%m:%d %H:%M:%S").to_string()), gps: Some((LAT, LON)), ..Default::default() });
    let near: Value = upload(&admin, &second_home, &meta("hall_with_cadre"), recompressed).await.json().await.unwrap();
    assert!(near["checks"]["duplicate_of"].as_array().unwrap().contains(&first["id"]), "{near}");
    // Another picture is not a duplicate, and a household's own photos are not duplicates of each other.
    let other: Value = upload(&admin, &second_home, &meta("bedroom_with_cadre"), phone_photo(3, Some((LAT, LON)))).await.json().await.unwrap();
    assert_eq!(other["checks"]["duplicate_of"], json!([]));
    let again: Value = upload(&admin, &first_home, &meta("hall_with_cadre"), phone_photo(7, Some((LAT, LON)))).await.json().await.unwrap();
    assert!(!again["checks"]["duplicate_of"].as_array().unwrap().contains(&first["id"]));
}

#[actix_web::test]
async fn a_retried_upload_returns_the_first_photo() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let m = meta("family_at_door");
    let bytes = phone_photo(4, Some((LAT, LON)));
    let first = upload(&cadre, &path, &m, bytes.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = upload(&cadre, &path, &m, bytes).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_eq!(photo_count(&app, &path).await, 1);
    assert_eq!(object_count(&app).await, 2);
}

#[actix_web::test]
async fn bad_uploads_get_a_clear_4xx_and_leave_nothing_behind() {
    let app = spawn_with(|s| s.photo_max_bytes = 1024 * 1024).await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    let good = phone_photo(5, Some((LAT, LON)));
    let mut huge_header = encode(&picture(16, 16, 1), 85);
    let sof = huge_header.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    huge_header[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let png = [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], &[0u8; 64]].concat();
    let m = || meta("door_with_cadre").to_string().into_bytes();
    let cases: Vec<(&str, Vec<(&str, Vec<u8>)>, u16)> = vec![
        ("truncated JPEG", vec![("meta", m()), ("file", good[..good.len() / 2].to_vec())], 422),
        ("zero bytes", vec![("meta", m()), ("file", vec![])], 422),
        ("a text file named .jpg", vec![("meta", m()), ("file", b"just some text, not a photo".to_vec())], 415),
        ("a PNG", vec![("meta", m()), ("file", png)], 415),
        ("60000x60000", vec![("meta", m()), ("file", huge_header)], 413),
        ("3 MB body over a 1 MB cap", vec![("meta", m()), ("file", vec![0xFF; 3 * 1024 * 1024])], 413),
        ("no meta", vec![("file", good.clone())], 422),
        ("meta after file", vec![("file", good.clone()), ("meta", m())], 422),
        ("unknown kind", vec![("meta", json!({"kind": "kitchen", "taken_at": now_beijing().to_rfc3339(), "client_id": uuid::Uuid::now_v7().to_string()}).to_string().into_bytes()), ("file", good.clone())], 422),
        ("meta not JSON", vec![("meta", b"{kind:".to_vec()), ("file", good.clone())], 422),
    ];
    for (what, parts, status) in cases {
        let res = upload_parts(&admin, &path, parts).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        let p = problem(res).await;
        if what == "a PNG" {
            assert!(p["detail"].as_str().unwrap().contains("JPEG"), "{p}");
        }
    }
    let res = admin.client.post(format!("{}{path}/photos", admin.base)).bearer_auth(&admin.token).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 415, "not multipart");
    assert_eq!(photo_count(&app, &path).await, 0);
    assert_eq!(object_count(&app).await, 0);
    // The household outside the jurisdiction does not exist for the uploader.
    let officer = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(upload(&officer, &path, &meta("door_with_cadre"), good.clone()).await.status(), 404);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(upload(&auditor, &path, &meta("door_with_cadre"), good).await.status(), 403);
}

#[actix_web::test]
async fn six_kinds_make_a_complete_set_and_the_township_reviews_flagged_photos() {
    let app = spawn_app().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let path = located_household(&app, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let kinds = ["door_with_cadre", "stove_with_cadre", "hall_with_cadre", "bedroom_with_cadre", "family_at_door", "understanding_card"];
    let mut ids = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let gps = if i == 0 { (LAT + 0.01, LON) } else { (LAT, LON) };
        let p: Value = upload(&cadre, &path, &meta(kind), phone_photo(10 + i as u32, Some(gps))).await.json().await.unwrap();
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let set: Value = cadre.get(&format!("{path}/photos")).await.json().await.unwrap();
    assert_eq!(set["set_complete"], true);
    let figures = |cov: &Value| (cov["division"]["photo_sets_complete"].as_i64(), cov["division"]["photos_far"].as_i64(), cov["division"]["photos_flagged"].as_i64());
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(figures(&cov), (Some(1), Some(1), Some(1)));
    // The photo figures count 帮扶对象: the same household as 一般农户 counts only with ?households=all.
    {
        use diesel::prelude::*;
        use fangpin::db::schema::households;
        let mut c = app.state.db.conn().unwrap();
        let id = path.trim_start_matches("/households/").to_owned();
        diesel::update(households::table.find(id)).set(households::category.eq("ordinary")).execute(&mut *c).unwrap();
    }
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(figures(&cov), (Some(0), Some(0), Some(0)), "{cov}");
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}&households=all")).await.json().await.unwrap();
    assert_eq!(figures(&cov), (Some(1), Some(1), Some(1)), "{cov}");
    let q: Value = reviewer.get(&format!("/photo-checks?division={TOWNSHIP}&status=flagged")).await.json().await.unwrap();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(q["items"][0]["id"], ids[0].as_str());
    let review = format!("/photos/{}/review", ids[0]);
    assert_eq!(cadre.post(&review, json!({"decision": "accepted", "reason": "ok"})).await.status(), 403);
    assert_eq!(reviewer.post(&review, json!({"decision": "maybe", "reason": ""})).await.status(), 422);
    let res = reviewer.post(&review, json!({"decision": "rejected", "reason": "拍摄地点不在户内"})).await;
    assert_eq!(res.status(), 200);
    let reviewed: Value = res.json().await.unwrap();
    assert_eq!(reviewed["status"], "rejected");
    assert_eq!(reviewed["review"]["reason"], "拍摄地点不在户内");
    let q: Value = reviewer.get(&format!("/photo-checks?division={TOWNSHIP}")).await.json().await.unwrap();
    assert!(q["items"].as_array().unwrap().is_empty());
    let set: Value = cadre.get(&format!("{path}/photos")).await.json().await.unwrap();
    assert_eq!((set["set_complete"].as_bool(), set["missing_kinds"].clone()), (Some(false), json!(["door_with_cadre"])));
    let history: Value = reviewer.get(&format!("{path}/history")).await.json().await.unwrap();
    assert_eq!(history["items"][0]["action"], "photo_review");
    // Outside the township, the photo does not exist.
    let far = app.user("township_reviewer", "610831102000").await;
    assert_eq!(far.get(&format!("/photos/{}", ids[1])).await.status(), 404);
    assert_eq!(far.get(&format!("/photos/{}/content", ids[1])).await.status(), 404);
    assert_eq!(far.post(&review, json!({"decision": "accepted", "reason": "x"})).await.status(), 404);
}

#[actix_web::test]
async fn garbage_collection_removes_only_unreferenced_objects() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    assert_eq!(upload(&admin, &path, &meta("door_with_cadre"), phone_photo(1, Some((LAT, LON)))).await.status(), 201);
    // What a crash between storing and committing leaves behind.
    let orphan = fangpin::storage::keys::original("h", &uuid::Uuid::now_v7().to_string());
    app.state.storage.put(&orphan, bytes::Bytes::from_static(b"orphan")).await.unwrap();
    let kept = fangpin::maintenance::storage_gc(&app.state, chrono::Duration::hours(1), false).await.unwrap();
    assert_eq!((kept.referenced, kept.too_young, kept.removed.len()), (2, 1, 0), "young objects are left alone");
    let dry = fangpin::maintenance::storage_gc(&app.state, chrono::Duration::zero(), true).await.unwrap();
    assert_eq!(dry.removed, vec![orphan.clone()]);
    assert_eq!(object_count(&app).await, 3);
    let report = fangpin::maintenance::storage_gc(&app.state, chrono::Duration::zero(), false).await.unwrap();
    assert_eq!(report.removed, vec![orphan]);
    assert_eq!(object_count(&app).await, 2);
}

#[actix_web::test]
async fn a_failing_store_gives_503_and_no_row() {
    if std::env::var("FANGPIN_TEST_S3_ENDPOINT").is_ok() {
        return; // this test breaks a local folder; the S3 store is exercised by the others
    }
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    let o2 = objects.clone();
    let app = spawn_with(move |s| {
        s.storage = fangpin::storage::StorageKind::Local;
        s.storage_dir = Some(o2);
    })
    .await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    std::fs::remove_dir_all(&objects).unwrap();
    std::fs::write(&objects, b"not a folder any more").unwrap();
    let res = upload(&admin, &path, &meta("door_with_cadre"), phone_photo(1, Some((LAT, LON)))).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(photo_count(&app, &path).await, 0);
}

#[actix_web::test]
async fn an_upload_finding_the_photo_pool_full_gets_503_with_retry_after_and_reads_go_on() {
    let app = spawn_with(|s| {
        s.photo_workers = 1;
        s.photo_queue_secs = 0;
    })
    .await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    // The only photo worker is busy (a long decode, say) until released.
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let pool = app.state.photos.clone();
    let busy = actix_web::rt::spawn(async move {
        pool.run(move || {
            let _ = started_tx.send(());
            let _ = wait.recv();
        })
        .await
    });
    started.await.unwrap();
    let res = upload(&admin, &path, &meta("door_with_cadre"), phone_photo(1, Some((LAT, LON)))).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(problem(res).await["code"], "unavailable");
    // Reads do not wait for the photo pool.
    assert_eq!(admin.get(&path).await.status(), 200);
    assert_eq!(photo_count(&app, &path).await, 0);
    assert_eq!(object_count(&app).await, 0);
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    let res = upload(&admin, &path, &meta("door_with_cadre"), phone_photo(1, Some((LAT, LON)))).await;
    assert_eq!(res.status(), 201);
    assert_eq!((photo_count(&app, &path).await, object_count(&app).await), (1, 2));
}
