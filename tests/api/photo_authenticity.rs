//! Photo authenticity (issue 24), through the real upload: JPEGs written here with the traces
//! editing leaves — an editor's `Software`, `ProcessingSoftware` or XMP, an IFD1 preview of
//! another picture, a GPS clock against DateTimeOriginal, EXIF GPS away from the reported
//! position, a late ModifyDate, no camera at all — beside photos straight from a phone's camera
//! (firmware names, a matching preview, a letterboxed one) that must pass. Then the township's
//! queue, the coverage figure and the cleaning ledger.

use chrono::{DateTime, Duration, FixedOffset, Timelike, Utc};
use image::RgbImage;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jpeg::{Exif, encode, picture, preview_of, with_exif};
use crate::photos::{LAT, LON, located_household, meta, upload};

fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
}

fn exif_time(t: DateTime<FixedOffset>) -> String {
    t.format("%Y:%m:%d %H:%M:%S").to_string()
}

fn gps_clock(t: DateTime<Utc>) -> (String, u32, u32, u32) {
    (t.format("%Y:%m:%d").to_string(), t.hour(), t.minute(), t.second())
}

/// EXIF as a phone's camera writes it at `t`: maker, model, its firmware as `Software`,
/// DateTimeOriginal with its offset, ModifyDate the same, GPS at the home with its clock, and
/// a 160×120 preview of the same picture.
pub(crate) fn camera_exif(img: &RgbImage, t: DateTime<Utc>) -> Exif {
    Exif {
        datetime: Some(exif_time(beijing(t))),
        offset: Some("+08:00".into()),
        modify_date: Some(exif_time(beijing(t))),
        gps: Some((LAT, LON)),
        gps_time: Some(gps_clock(t)),
        make: Some("HUAWEI".into()),
        model: Some("ALN-AL00".into()),
        software: Some("ALN-AL00 4.0.0.130(C00E120R2P4)".into()),
        preview: Some(preview_of(img, 160, 120)),
        ..Default::default()
    }
}

/// A photo straight from a phone's camera, taken now.
pub(crate) fn camera_photo(seed: u32) -> Vec<u8> {
    let img = picture(640, 480, seed);
    with_exif(&encode(&img, 85), &camera_exif(&img, Utc::now()))
}

fn jpeg(img: &RgbImage, exif: &Exif) -> Vec<u8> {
    with_exif(&encode(img, 85), exif)
}

/// Uploads as the county admin with `meta`; the photo as answered (201).
async fn send_with(app: &TestApp, path: &str, meta: &Value, bytes: Vec<u8>) -> Value {
    let res = upload(&app.admin().await, path, meta, bytes).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn send(app: &TestApp, path: &str, bytes: Vec<u8>) -> Value {
    send_with(app, path, &meta("door_with_cadre"), bytes).await
}

fn reasons(p: &Value) -> Vec<String> {
    serde_json::from_value(p["checks"]["reasons"].clone()).unwrap()
}

#[actix_web::test]
async fn a_photo_straight_from_a_phone_passes_and_its_preview_is_served() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    // Firmware and camera-app names are not editors.
    for (seed, firmware) in [(1, "ALN-AL00 4.0.0.130(C00E120R2P4)"), (2, "HDR+ 1.0.199571065z"), (3, "17.1.2"), (4, "G991BXXU5CVLL"), (5, "MediaTek Camera Application")] {
        let img = picture(640, 480, seed);
        let p = send(&app, &path, jpeg(&img, &Exif { software: Some(firmware.into()), ..camera_exif(&img, Utc::now()) })).await;
        assert_eq!((p["status"].as_str(), reasons(&p)), (Some("ok"), vec![]), "{firmware}: {p}");
        assert_eq!(p["exif"]["software"], json!([firmware]));
        assert_eq!(p["checks"]["editor"], Value::Null);
        assert!(p["checks"]["thumbnail_distance"].as_u64().unwrap() <= 12, "{p}");
        assert!(p["checks"]["gps_time_offset_s"].as_i64().unwrap().abs() <= 1, "{p}");
        assert_eq!(p["checks"]["modified_after_min"], 0);
        assert_eq!(p["exif"]["has_preview"], true);
    }
    // A 16:9 photo whose 4:3 preview has black bars above and below.
    let wide = picture(640, 360, 6);
    let p = send(&app, &path, jpeg(&wide, &camera_exif(&wide, Utc::now()))).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("ok"), vec![]), "{p}");
    assert!(p["checks"]["thumbnail_distance"].as_u64().unwrap() <= 12, "{p}");
    // The preview is served upright beside the picture.
    let admin = app.admin().await;
    let url = p["preview_url"].as_str().unwrap().trim_start_matches("/api/v1").to_owned();
    let res = admin.get(&url).await;
    assert_eq!((res.status().as_u16(), res.headers()["content-type"].to_str().unwrap().to_owned()), (200, "image/jpeg".to_owned()));
    let shown = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((shown.width(), shown.height()), (160, 120));
    // A photo without a preview has none to serve.
    let bare = send(&app, &path, crate::photos::phone_photo(7, Some((LAT, LON)))).await;
    assert_eq!((bare["preview_url"].clone(), bare["exif"]["has_preview"].clone()), (Value::Null, json!(false)));
    assert_eq!(admin.get(&format!("/photos/{}/preview", bare["id"].as_str().unwrap())).await.status(), 404);
    // Nor does a stranger get one.
    let stranger = app.user("county_admin", "340323000000").await;
    assert_eq!(stranger.get(&url).await.status(), 404);
}

#[actix_web::test]
async fn an_editor_named_in_exif_or_xmp_sends_the_photo_to_review() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let xmp_tool = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="美图秀秀 9.2.7.0"/></rdf:RDF></x:xmpmeta>"#;
    let xmp_history = r#"<x:xmpmeta><rdf:Description><xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" stEvt:softwareAgent="GIMP 2.10.34"/></rdf:Seq></xmpMM:History></rdf:Description></x:xmpmeta>"#;
    let cases: [(&str, fn(Exif) -> Exif); 4] = [
        ("Adobe Photoshop 25.0 (Windows)", |e| Exif { software: Some("Adobe Photoshop 25.0 (Windows)".into()), ..e }),
        ("Snapseed 2.0", |e| Exif { processing_software: Some("Snapseed 2.0".into()), ..e }),
        ("美图秀秀 9.2.7.0", |e| e),
        ("GIMP 2.10.34", |e| e),
    ];
    let mut ids = Vec::new();
    for (i, (editor, edit)) in cases.into_iter().enumerate() {
        let img = picture(640, 480, 20 + i as u32);
        let mut exif = edit(camera_exif(&img, Utc::now()));
        exif.xmp = match i {
            2 => Some(xmp_tool.into()),
            3 => Some(xmp_history.into()),
            _ => None,
        };
        let p = send(&app, &path, jpeg(&img, &exif)).await;
        assert_eq!((p["status"].as_str(), reasons(&p)), (Some("flagged"), vec!["edited_software".to_owned()]), "{editor}: {p}");
        assert_eq!(p["checks"]["editor"], editor);
        assert!(p["exif"]["software"].as_array().unwrap().contains(&json!(editor)), "{p}");
        ids.push(p["id"].clone());
    }
    // The township's queue holds them, each with the editor's name.
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let queue: Value = reviewer.get(&format!("/photo-checks?division={VILLAGE}")).await.json().await.unwrap();
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|p| p["id"].clone()).collect::<Vec<_>>(), ids);
    assert!(items.iter().all(|p| p["checks"]["editor"].is_string() && p["checks"]["reasons"] == json!(["edited_software"])));
}

#[actix_web::test]
async fn a_preview_of_another_picture_does_not_match() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let img = picture(640, 480, 1);
    let exif = Exif { preview: Some(preview_of(&picture(640, 480, 9), 160, 120)), ..camera_exif(&img, Utc::now()) };
    let p = send(&app, &path, jpeg(&img, &exif)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("flagged"), vec!["thumbnail_mismatch".to_owned()]), "{p}");
    assert!(p["checks"]["thumbnail_distance"].as_u64().unwrap() > 24, "{p}");
    // The old preview is kept for the reviewer to see.
    let shown = app.admin().await.get(p["preview_url"].as_str().unwrap().trim_start_matches("/api/v1")).await;
    assert_eq!(shown.status(), 200);
    // Turned sideways like its picture (orientation 6), a matching preview still matches.
    let raw = picture(640, 480, 3);
    let exif = Exif { orientation: Some(6), ..camera_exif(&raw, Utc::now()) };
    let p = send(&app, &path, jpeg(&raw, &exif)).await;
    assert_eq!(reasons(&p), Vec::<String>::new(), "{p}");
    let shown = app.admin().await.get(p["preview_url"].as_str().unwrap().trim_start_matches("/api/v1")).await.bytes().await.unwrap();
    let shown = image::load_from_memory(&shown).unwrap();
    assert_eq!((shown.width(), shown.height()), (120, 160), "the preview is served upright");
}

#[actix_web::test]
async fn the_gps_clock_and_the_reported_position_must_agree_with_the_exif() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let now = Utc::now();
    // DateTimeOriginal (with its offset) three hours after the GPS clock.
    let img = picture(640, 480, 1);
    let exif = Exif { gps_time: Some(gps_clock(now - Duration::hours(3))), ..camera_exif(&img, now) };
    let p = send(&app, &path, jpeg(&img, &exif)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("flagged"), vec!["time_inconsistent".to_owned()]), "{p}");
    assert!((p["checks"]["gps_time_offset_s"].as_i64().unwrap() - 3 * 3600).abs() <= 1, "{p}");
    assert!(p["exif"]["gps_time"].is_string());
    // Written in UTC+5 with its offset: the same instant as the GPS clock.
    let img = picture(640, 480, 2);
    let local = now.with_timezone(&FixedOffset::east_opt(5 * 3600).unwrap());
    let exif = Exif { datetime: Some(exif_time(local)), modify_date: Some(exif_time(local)), offset: Some("+05:00".into()), ..camera_exif(&img, now) };
    let p = send(&app, &path, jpeg(&img, &exif)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("ok"), vec![]), "{p}");
    // EXIF GPS at the home, the phone reporting a position 300 m north of it.
    let img = picture(640, 480, 3);
    let mut m = meta("stove_with_cadre");
    m["lat"] = json!(LAT + 0.0027);
    m["lon"] = json!(LON);
    let p = send_with(&app, &path, &m, jpeg(&img, &camera_exif(&img, now))).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("flagged"), vec!["position_mismatch".to_owned()]), "{p}");
    let d = p["checks"]["app_distance_m"].as_f64().unwrap();
    assert!((290.0..310.0).contains(&d), "{d}");
    assert!((p["checks"]["app_position"]["lat"].as_f64().unwrap() - (LAT + 0.0027)).abs() < 1e-9);
    assert_eq!((p["checks"]["position_source"].as_str(), p["checks"]["near_home"].as_bool()), (Some("exif"), Some(true)));
    // 50 m apart: the same place.
    let img = picture(640, 480, 4);
    m["lat"] = json!(LAT + 0.00045);
    m["client_id"] = json!(uuid::Uuid::now_v7().to_string());
    let p = send_with(&app, &path, &m, jpeg(&img, &camera_exif(&img, now))).await;
    assert_eq!(reasons(&p), Vec::<String>::new(), "{p}");
}

#[actix_web::test]
async fn a_late_save_and_a_missing_camera_are_shown_without_flagging() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    // Taken three hours ago, saved again now.
    let taken = Utc::now() - Duration::hours(3);
    let img = picture(640, 480, 1);
    let exif = Exif { modify_date: Some(exif_time(beijing(Utc::now()))), ..camera_exif(&img, taken) };
    let mut m = meta("door_with_cadre");
    m["taken_at"] = json!(taken.to_rfc3339());
    let p = send_with(&app, &path, &m, jpeg(&img, &exif)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("ok"), vec!["modified_after_capture".to_owned()]), "{p}");
    assert!((179..=180).contains(&p["checks"]["modified_after_min"].as_i64().unwrap()), "{p}");
    assert!(p["exif"]["modified_local"].is_string());
    // No Make, Model nor DateTimeOriginal (a forwarded chat image keeps only a save time).
    let img = picture(640, 480, 2);
    let exif = Exif { modify_date: Some(exif_time(beijing(Utc::now()))), gps: Some((LAT, LON)), ..Default::default() };
    let p = send(&app, &path, jpeg(&img, &exif)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("ok"), vec!["no_camera_metadata".to_owned()]), "{p}");
    // Nothing at all (a screenshot): no time to check either, which does flag it.
    let mut m = meta("hall_with_cadre");
    m["lat"] = json!(LAT);
    m["lon"] = json!(LON);
    let p = send_with(&app, &path, &m, encode(&picture(640, 480, 3), 85)).await;
    assert_eq!((p["status"].as_str(), reasons(&p)), (Some("flagged"), vec!["no_exif_time".to_owned(), "no_camera_metadata".to_owned()]), "{p}");
    // Only that one waits in the queue.
    let queue: Value = app.admin().await.get(&format!("/photo-checks?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn edited_photos_are_counted_in_coverage_and_wait_in_the_cleaning_ledger() {
    let app = spawn_app().await;
    let path = located_household(&app, 1).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    send(&app, &path, camera_photo(1)).await;
    let img = picture(640, 480, 2);
    let edited = send(&app, &path, jpeg(&img, &Exif { software: Some("Adobe Photoshop Lightroom Classic 13.0".into()), ..camera_exif(&img, Utc::now()) })).await;
    let img = picture(640, 480, 3);
    let other = Exif { preview: Some(preview_of(&picture(640, 480, 11), 160, 120)), ..camera_exif(&img, Utc::now()) };
    send(&app, &path, jpeg(&img, &other)).await;
    let figures = |cov: &Value| (cov["division"]["photos_flagged"].as_i64(), cov["division"]["photos_edited"].as_i64());
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(figures(&cov), (Some(2), Some(2)), "{cov}");
    let village = cov["children"].as_array().unwrap().iter().find(|c| c["code"] == VILLAGE).unwrap();
    assert_eq!(village["photos_edited"], 2);
    // The cleaning run lists the household with why its photos wait.
    let res = reviewer.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let ledger: Value = reviewer.get(&format!("/quality/problems?division={VILLAGE}&status=open")).await.json().await.unwrap();
    let problem = ledger["items"].as_array().unwrap().iter().find(|p| p["rule"] == "photos_flagged_unreviewed").unwrap_or_else(|| panic!("{ledger}"));
    assert_eq!(problem["detail"], "2 flagged photo(s): edited_software, thumbnail_mismatch", "{problem}");
    // Rejected, the edited photo is no longer counted.
    let res = reviewer.post(&format!("/photos/{}/review", edited["id"].as_str().unwrap()), json!({"decision": "rejected", "reason": "经修图软件编辑"})).await;
    assert_eq!(res.status(), 200);
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(figures(&cov), (Some(1), Some(1)), "{cov}");
}
