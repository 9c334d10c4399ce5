//! EXIF as phones really write it, in JPEGs written here byte by byte: GPS degrees as SRATIONAL
//! (with references, or signed without), GPS tags out of order, `OffsetTimeOriginal` used
//! instead of the service's zone, sub-second times, the position only in XMP, and GPS 0/0 or
//! out of range reported as anomalies rather than trusted.

use chrono::{NaiveDate, NaiveDateTime};
use fangpin::photos::exif::read;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jpeg::{Exif, GpsForm, encode, picture, with_exif, with_xmp_only};
use crate::photos::{located_household, upload};

const LAT: f64 = 37.6106;
const LON: f64 = 110.0351;

fn jpeg(exif: Exif) -> Vec<u8> {
    with_exif(&encode(&picture(64, 48, 1), 80), &exif)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-4)
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

#[test]
fn gps_degrees_written_as_signed_rationals_are_read() {
    for (form, lat, lon) in [
        (GpsForm::SignedRational, LAT, LON),
        (GpsForm::SignedRational, -33.8688, -70.6693),
        (GpsForm::SignedNoReference, -33.8688, -70.6693),
        (GpsForm::SignedNoReference, LAT, LON),
        (GpsForm::Rational, -33.8688, 151.2093),
    ] {
        let info = read(&jpeg(Exif { gps: Some((lat, lon)), gps_form: form, ..Default::default() }));
        assert!(close(info.lat, lat) && close(info.lon, lon), "{:?} {lat},{lon}: read {:?},{:?}", form as u8, info.lat, info.lon);
        assert!(info.anomalies.is_empty(), "{:?}", info.anomalies);
    }
}

#[test]
fn gps_tags_out_of_order_are_read() {
    for form in [GpsForm::Rational, GpsForm::SignedRational] {
        let info = read(&jpeg(Exif { gps: Some((LAT, -LON)), gps_form: form, gps_out_of_order: true, ..Default::default() }));
        assert!(close(info.lat, LAT) && close(info.lon, -LON), "{:?},{:?}", info.lat, info.lon);
    }
}

#[test]
fn the_offset_the_phone_wrote_and_sub_seconds_are_kept() {
    let info = read(&jpeg(Exif {
        datetime: Some("2026:11:20 10:02:03".into()),
        offset: Some("+05:00".into()),
        subsec: Some("387".into()),
        ..Default::default()
    }));
    assert_eq!(info.taken_local, Some(local("2026-11-20 10:02:03.387")));
    assert_eq!(info.offset.map(|o| o.local_minus_utc()), Some(5 * 3600));
    // Without them: whole seconds, no offset (the service's zone is assumed later).
    let info = read(&jpeg(Exif { datetime: Some("2026:11:20 10:02:03".into()), subsec: Some("x".into()), ..Default::default() }));
    assert_eq!(info.taken_local, Some(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap().and_hms_opt(10, 2, 3).unwrap()));
    assert_eq!(info.offset, None);
}

const XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="37,36.636N" exif:GPSLongitude="110,2.106E"/></rdf:RDF></x:xmpmeta>"#;

#[test]
fn a_position_only_in_xmp_is_read() {
    // No EXIF at all.
    let info = read(&with_xmp_only(&encode(&picture(64, 48, 2), 80), XMP));
    assert!(close(info.lat, 37.6106) && close(info.lon, 110.0351), "{:?},{:?}", info.lat, info.lon);
    // EXIF without a GPS directory, XMP beside it.
    let info = read(&jpeg(Exif { datetime: Some("2026:11:20 10:02:03".into()), xmp: Some(XMP.into()), ..Default::default() }));
    assert!(close(info.lat, 37.6106) && close(info.lon, 110.0351));
    // EXIF GPS wins over XMP.
    let info = read(&jpeg(Exif { gps: Some((LAT + 1.0, LON)), xmp: Some(XMP.into()), ..Default::default() }));
    assert!(close(info.lat, LAT + 1.0));
    // Element form, southern and western.
    let xmp = "<x:xmpmeta><exif:GPSLatitude>33,52.128S</exif:GPSLatitude><exif:GPSLongitude>70,40,9.48W</exif:GPSLongitude></x:xmpmeta>";
    let info = read(&with_xmp_only(&encode(&picture(64, 48, 2), 80), xmp));
    assert!(close(info.lat, -33.8688) && close(info.lon, -70.6693), "{:?},{:?}", info.lat, info.lon);
}

#[test]
fn zero_and_out_of_range_positions_are_anomalies_not_positions() {
    for (gps, anomaly) in [((0.0, 0.0), "gps_zero"), ((95.0, LON), "gps_out_of_range"), ((LAT, 181.5), "gps_out_of_range")] {
        for form in [GpsForm::Rational, GpsForm::SignedNoReference] {
            let info = read(&jpeg(Exif { gps: Some(gps), gps_form: form, ..Default::default() }));
            assert_eq!((info.lat, info.lon), (None, None), "{gps:?}");
            assert_eq!(info.anomalies, vec![anomaly.to_owned()], "{gps:?}");
        }
    }
    let xmp = r#"<rdf:Description exif:GPSLatitude="0,0N" exif:GPSLongitude="0,0E"/>"#;
    assert_eq!(read(&with_xmp_only(&encode(&picture(64, 48, 2), 80), xmp)).anomalies, vec!["gps_zero".to_owned()]);
}

#[actix_web::test]
async fn an_upload_uses_the_xmp_position_and_the_written_offset() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = located_household(&app, 1).await;
    let now = chrono::Utc::now();
    // Taken now, written in UTC+5 local time with its offset: the time check must pass.
    let local_time = now.with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap());
    let exif = Exif { datetime: Some(local_time.format("%Y:%m:%d %H:%M:%S").to_string()), offset: Some("+05:00".into()), xmp: Some(XMP.into()), ..Default::default() };
    let meta = json!({"kind": "door_with_cadre", "taken_at": now.to_rfc3339(), "client_id": uuid::Uuid::now_v7().to_string()});
    let res = upload(&admin, &path, &meta, with_exif(&encode(&picture(640, 480, 9), 85), &exif)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["checks"]["position_source"], "exif", "{p}");
    assert_eq!(p["checks"]["has_exif_gps"], true);
    assert_eq!(p["checks"]["near_home"], true);
    assert_eq!(p["checks"]["time_ok"], true, "{p}");
}

#[test]
fn software_modify_date_gps_clock_and_the_ifd1_preview_are_read() {
    let preview = crate::jpeg::preview_of(&picture(640, 480, 1), 160, 120);
    let info = read(&jpeg(Exif {
        datetime: Some("2026:11:20 10:02:03".into()),
        modify_date: Some("2026:11:21 08:00:00".into()),
        software: Some("Adobe Photoshop 25.0 (Windows)".into()),
        processing_software: Some("Snapseed 2.0".into()),
        gps: Some((LAT, LON)),
        gps_time: Some(("2026:11:20".into(), 2, 2, 1)),
        preview: Some(preview.clone()),
        xmp: Some(r#"<rdf:Description xmp:CreatorTool="GIMP 2.10" stEvt:softwareAgent="Adobe Photoshop 25.0 (Windows)"/>"#.into()),
        ..Default::default()
    }));
    // Each name once: Software, ProcessingSoftware, then XMP.
    assert_eq!(info.software, ["Adobe Photoshop 25.0 (Windows)", "Snapseed 2.0", "GIMP 2.10"]);
    assert_eq!(info.modified_local, Some(local("2026-11-21 08:00:00")));
    assert_eq!(info.gps_time.map(|t| t.to_rfc3339()), Some("2026-11-20T02:02:01+00:00".to_owned()));
    assert!(info.has_original_time);
    assert_eq!(info.thumbnail.as_deref(), Some(preview.as_slice()), "the preview's bytes as embedded");
    // ModifyDate alone stands in for the capture time but is not DateTimeOriginal.
    let info = read(&jpeg(Exif { modify_date: Some("2026:11:21 08:00:00".into()), ..Default::default() }));
    assert_eq!((info.taken_local, info.has_original_time), (Some(local("2026-11-21 08:00:00")), false));
    // A GPS clock without its date, and a preview whose length runs past the EXIF data, are not used.
    let mut bytes = jpeg(Exif { gps: Some((LAT, LON)), preview: Some(preview.clone()), ..Default::default() });
    let at = bytes.windows(4).position(|w| w == (preview.len() as u32).to_le_bytes()).unwrap();
    bytes[at..at + 4].copy_from_slice(&(preview.len() as u32 + 5000).to_le_bytes());
    let info = read(&bytes);
    assert_eq!((info.gps_time, info.thumbnail), (None, None));
    // A GPS date at the end of the calendar plus a day's seconds is no time (never a panic that
    // would take a photo worker down).
    let info = read(&jpeg(Exif { gps: Some((LAT, LON)), gps_time: Some(("+262142:12:31".into(), 23, 59, 60)), ..Default::default() }));
    assert_eq!(info.gps_time, None);
}
