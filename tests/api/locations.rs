//! Home locations: capture in three CRSs, the rules for becoming home, moves, coverage, GeoJSON.

use serde_json::{Value, json};

use crate::helpers::*;

const LAT: f64 = 37.6106;
const LON: f64 = 110.0351;

fn capture(lat: f64, lon: f64, crs: &str, accuracy: f64) -> Value {
    json!({
        "lat": lat, "lon": lon, "crs": crs, "accuracy_m": accuracy, "altitude_m": 1050.0,
        "captured_at": (chrono::Utc::now() - chrono::Duration::minutes(2)).to_rfc3339(),
        "source": "gps", "client_id": uuid::Uuid::now_v7().to_string(),
    })
}

async fn household(app: &TestApp, village: &str, n: u32) -> String {
    format!("/households/{}", app.household_in(village, n).await["id"].as_str().unwrap())
}

#[actix_web::test]
async fn a_gcj02_point_from_an_amap_phone_becomes_the_home_in_wgs84_and_counts_as_located() {
    let app = spawn_app().await;
    let path = household(&app, VILLAGE, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    household(&app, VILLAGE, 2).await;
    let gcj = fangpin::geo::crs::wgs84_to_gcj02(fangpin::geo::LatLon { lat: LAT, lon: LON });
    let res = cadre.post(&format!("{path}/locations"), capture(gcj.lat, gcj.lon, "gcj02", 8.0)).await;
    assert_eq!(res.status(), 201);
    let loc: Value = res.json().await.unwrap();
    assert_eq!(loc["became_home"], true);
    assert_eq!(loc["flags"], json!([]));
    assert!((loc["wgs84"]["lat"].as_f64().unwrap() - LAT).abs() < 1e-8);
    assert!((loc["wgs84"]["lon"].as_f64().unwrap() - LON).abs() < 1e-8);
    assert_eq!(loc["original"]["crs"], "gcj02");
    let h: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(h["has_location"], true);
    assert_eq!(h["home"]["location_id"], loc["id"]);
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let cov: Value = reviewer.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(cov["division"]["households"], 2);
    assert_eq!(cov["division"]["located"], 1);
    assert_eq!(cov["division"]["located_pct"], 50.0);
    let village = cov["children"].as_array().unwrap().iter().find(|v| v["code"] == VILLAGE).unwrap().clone();
    assert_eq!((village["households"].as_i64(), village["located"].as_i64()), (Some(2), Some(1)));
    assert_eq!(cov["division"]["photos_flagged"], 0);
}

#[actix_web::test]
async fn a_bd09_point_is_converted_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let bd = fangpin::geo::crs::wgs84_to_bd09(fangpin::geo::LatLon { lat: LAT, lon: LON });
    let loc: Value = admin.post(&format!("{path}/locations"), capture(bd.lat, bd.lon, "bd09", 5.0)).await.json().await.unwrap();
    assert!((loc["wgs84"]["lat"].as_f64().unwrap() - LAT).abs() < 1e-8);
    let history: Value = admin.get(&format!("{path}/locations?crs=gcj02")).await.json().await.unwrap();
    let p = &history["items"][0]["position"];
    assert_eq!(p["crs"], "gcj02");
    assert!((p["lat"].as_f64().unwrap() - LAT).abs() > 1e-4, "GCJ-02 is offset from WGS-84 in China");
}

#[actix_web::test]
async fn bad_coordinates_and_values_are_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let url = format!("{path}/locations");
    for (body, field) in [
        (capture(213.64, LON, "wgs84", 5.0), "lat"),
        (json!({"lat": "NaN", "lon": LON, "accuracy_m": 5.0, "captured_at": "2026-11-22T10:00:00+08:00", "source": "gps", "client_id": uuid::Uuid::now_v7().to_string()}), "lat"),
        (capture(LAT, 190.0, "wgs84", 5.0), "lon"),
        (capture(LAT, LON, "wgs-84", 5.0), "crs"),
        (capture(LAT, LON, "wgs84", -1.0), "accuracy_m"),
        ({ let mut b = capture(LAT, LON, "wgs84", 5.0); b["captured_at"] = json!("yesterday"); b }, "captured_at"),
        ({ let mut b = capture(LAT, LON, "wgs84", 5.0); b["source"] = json!("guess"); b }, "source"),
        ({ let mut b = capture(LAT, LON, "wgs84", 5.0); b["client_id"] = json!("1"); b }, "client_id"),
    ] {
        let res = admin.post(&url, body).await;
        assert_eq!(res.status(), 422, "{field}");
        let p = problem(res).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {p}");
    }
    let history: Value = admin.get(&url).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().is_empty(), "nothing was stored");
}

#[actix_web::test]
async fn a_retry_with_the_same_client_id_returns_the_first_capture() {
    let app = spawn_app().await;
    let path = household(&app, VILLAGE, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let body = capture(LAT, LON, "wgs84", 5.0);
    let first = cadre.post(&format!("{path}/locations"), body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = cadre.post(&format!("{path}/locations"), body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let history: Value = cadre.get(&format!("{path}/locations")).await.json().await.unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn untrustworthy_captures_are_kept_with_flags_but_never_become_home() {
    let app = spawn_app().await;
    let path = household(&app, VILLAGE, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let mut next_year = capture(LAT, LON, "wgs84", 5.0);
    next_year["captured_at"] = json!((chrono::Utc::now() + chrono::Duration::days(365)).to_rfc3339());
    let mut mock = capture(LAT, LON, "wgs84", 5.0);
    mock["mock_location"] = json!(true);
    let mut old = capture(LAT, LON, "wgs84", 5.0);
    old["captured_at"] = json!((chrono::Utc::now() - chrono::Duration::days(60)).to_rfc3339());
    for (body, flag) in [(next_year, "future_time"), (mock, "mock_location"), (old, "too_old"), (capture(LAT, LON, "wgs84", 80.0), "low_accuracy")] {
        let res = cadre.post(&format!("{path}/locations"), body).await;
        assert_eq!(res.status(), 201);
        let loc: Value = res.json().await.unwrap();
        assert_eq!(loc["flags"], json!([flag]));
        assert_eq!((loc["became_home"].as_bool(), loc["status"].as_str()), (Some(false), Some("flagged")));
    }
    let h: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(h["has_location"], false);
    let cov: Value = cadre.get(&format!("/coverage?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(cov["division"]["low_accuracy"], 1, "the latest capture was imprecise");
    assert_eq!(cov["division"]["located"], 0);
    let history: Value = cadre.get(&format!("{path}/locations")).await.json().await.unwrap();
    assert_eq!(history["items"].as_array().unwrap().len(), 4);
    assert_eq!(history["items"][0]["flags"], json!(["low_accuracy"]), "newest first");
}

#[actix_web::test]
async fn a_cadres_phone_cannot_silently_move_a_home() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let path = household(&app, VILLAGE, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    cadre.post(&format!("{path}/locations"), capture(LAT, LON, "wgs84", 5.0)).await;
    // 100 m away: the same home, refreshed.
    let near: Value = cadre.post(&format!("{path}/locations"), capture(LAT + 0.0009, LON, "wgs84", 5.0)).await.json().await.unwrap();
    assert_eq!(near["became_home"], true);
    // 500 m away: a move, pending.
    let far: Value = cadre.post(&format!("{path}/locations"), capture(LAT + 0.0054, LON, "wgs84", 5.0)).await.json().await.unwrap();
    assert_eq!(far["status"], "pending_move");
    assert_eq!(far["flags"], json!(["moved"]));
    assert!((far["moved_m"].as_f64().unwrap() - 500.0).abs() < 15.0, "{}", far["moved_m"]);
    let h: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(h["home"]["location_id"], near["id"]);
    assert_eq!(h["pending_move_id"], far["id"]);
    let cov: Value = officer.get(&format!("/coverage?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(cov["division"]["pending_moves"], 1);
    let confirm = format!("{path}/locations/{}/confirm", far["id"].as_str().unwrap());
    assert_eq!(cadre.post(&confirm, json!({})).await.status(), 403);
    let res = officer.post(&confirm, json!({})).await;
    assert_eq!(res.status(), 200);
    let decided: Value = res.json().await.unwrap();
    assert_eq!((decided["status"].as_str(), decided["became_home"].as_bool()), (Some("confirmed"), Some(true)));
    assert_eq!(decided["confirmed_by"].as_str().unwrap(), officer_name(&officer).await);
    let h: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(h["home"]["location_id"], far["id"]);
    assert!(h["pending_move_id"].is_null());
    assert_eq!(officer.post(&confirm, json!({})).await.status(), 409, "decided once");
    // A rejected move leaves the home where it was.
    let again: Value = cadre.post(&format!("{path}/locations"), capture(LAT - 0.01, LON, "wgs84", 5.0)).await.json().await.unwrap();
    let res = officer.post(&format!("{path}/locations/{}/reject", again["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "rejected");
    let h: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(h["home"]["location_id"], far["id"]);
    let history: Value = officer.get(&format!("{path}/history")).await.json().await.unwrap();
    assert_eq!(history["items"][0]["action"], "move_reject");
}

async fn officer_name(api: &Api) -> String {
    api.get("/me").await.json::<Value>().await.unwrap()["username"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_capture_far_from_the_village_centre_is_flagged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for n in 1..=5 {
        let path = household(&app, VILLAGE, n).await;
        let res = admin.post(&format!("{path}/locations"), capture(LAT + f64::from(n) * 0.001, LON, "wgs84", 5.0)).await;
        assert_eq!(res.json::<Value>().await.unwrap()["flags"], json!([]));
    }
    let path = household(&app, VILLAGE, 6).await;
    let loc: Value = admin.post(&format!("{path}/locations"), capture(LAT + 0.2, LON, "wgs84", 5.0)).await.json().await.unwrap();
    assert_eq!(loc["flags"], json!(["far_from_village"]));
}

#[actix_web::test]
async fn scope_and_roles_apply_to_captures() {
    let app = spawn_app().await;
    let here = household(&app, VILLAGE, 1).await;
    let elsewhere = household(&app, VILLAGE_2, 2).await;
    let cadre = app.cadre_of(&[&here]).await;
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(cadre.post(&format!("{elsewhere}/locations"), capture(LAT, LON, "wgs84", 5.0)).await.status(), 404);
    assert_eq!(cadre.get(&format!("{elsewhere}/locations")).await.status(), 404);
    assert_eq!(auditor.post(&format!("{here}/locations"), capture(LAT, LON, "wgs84", 5.0)).await.status(), 403);
    assert_eq!(cadre.get(&format!("/coverage?division={TOWNSHIP}")).await.status(), 404);
    assert_eq!(cadre.get(&format!("/households.geojson?division={VILLAGE_2}")).await.status(), 404);
    assert_eq!(cadre.get("/coverage?division=12").await.status(), 422);
    assert_eq!(auditor.get(&format!("/coverage?division={COUNTY}")).await.status(), 200);
}

#[actix_web::test]
async fn county_coverage_lists_every_township_and_counts_stale_homes() {
    let app = spawn_with(|s| s.location_stale_after_days = 0).await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    household(&app, OTHER_TOWNSHIP_VILLAGE, 2).await;
    admin.post(&format!("{path}/locations"), capture(LAT, LON, "wgs84", 5.0)).await;
    let cov: Value = admin.get("/coverage").await.json().await.unwrap();
    assert_eq!(cov["division"]["code"], COUNTY);
    assert_eq!(cov["children"].as_array().unwrap().len(), 13);
    assert_eq!(cov["division"]["households"], 2);
    assert_eq!(cov["division"]["stale"], 1);
    let town = cov["children"].as_array().unwrap().iter().find(|t| t["code"] == TOWNSHIP).unwrap().clone();
    assert_eq!((town["households"].as_i64(), town["located"].as_i64(), town["stale"].as_i64()), (Some(1), Some(1), Some(1)));
    let missing: Value = admin.get(&format!("/coverage/missing?division={COUNTY}")).await.json().await.unwrap();
    let items = missing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["village_code"], OTHER_TOWNSHIP_VILLAGE);
    assert!(items[0]["members"][0]["id_number"].as_str().unwrap().contains('*'));
}

/// Coverage counts 帮扶对象 (every category but 一般农户) unless every household is asked for.
#[actix_web::test]
async fn coverage_and_the_missing_list_count_assisted_households_unless_all_are_asked_for() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let assisted = household(&app, VILLAGE, 1).await;
    let mut body = household_body(VILLAGE, &[(2, "head")]);
    body["category"] = json!("ordinary");
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let ordinary: Value = res.json().await.unwrap();
    let mut monitored = household_body(VILLAGE, &[(3, "head")]);
    monitored["category"] = json!("monitored_marginal");
    assert_eq!(admin.post("/households", monitored).await.status(), 201);
    admin.post(&format!("{assisted}/locations"), capture(LAT, LON, "wgs84", 5.0)).await;

    let count = |cov: &Value| (cov["division"]["households"].as_i64(), cov["division"]["located"].as_i64());
    let cov: Value = admin.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(count(&cov), (Some(2), Some(1)), "lifted_out and monitored_marginal, not ordinary");
    let village = cov["children"].as_array().unwrap().iter().find(|v| v["code"] == VILLAGE).unwrap().clone();
    assert_eq!(village["households"], 2);
    let all: Value = admin.get(&format!("/coverage?division={TOWNSHIP}&households=all")).await.json().await.unwrap();
    assert_eq!(count(&all), (Some(3), Some(1)));
    let explicit: Value = admin.get(&format!("/coverage?division={TOWNSHIP}&households=assisted")).await.json().await.unwrap();
    assert_eq!(count(&explicit), (Some(2), Some(1)));

    let missing: Value = admin.get(&format!("/coverage/missing?division={TOWNSHIP}")).await.json().await.unwrap();
    let listed: Vec<&str> = missing["items"].as_array().unwrap().iter().map(|h| h["category"].as_str().unwrap()).collect();
    assert_eq!(listed, ["monitored_marginal"]);
    let missing: Value = admin.get(&format!("/coverage/missing?division={TOWNSHIP}&households=all")).await.json().await.unwrap();
    let ids: Vec<&str> = missing["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&ordinary["id"].as_str().unwrap()));

    for path in ["/coverage", "/coverage/missing"] {
        let res = admin.get(&format!("{path}?division={TOWNSHIP}&households=everyone")).await;
        assert_eq!(res.status(), 422, "{path}");
        let p = problem(res).await;
        assert_eq!(p["errors"][0]["field"], "households", "{p}");
    }
}

#[actix_web::test]
async fn homes_are_served_as_geojson_in_wgs84_or_for_chinese_map_sdks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for n in 1..=3 {
        let path = household(&app, VILLAGE, n).await;
        admin.post(&format!("{path}/locations"), capture(LAT + f64::from(n) * 0.001, LON, "wgs84", 5.0)).await;
    }
    household(&app, VILLAGE, 4).await;
    let res = admin.get(&format!("/households.geojson?division={TOWNSHIP}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    let fc: Value = res.json().await.unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let f = &features[0];
    assert_eq!(f["geometry"]["type"], "Point");
    let [lon, lat] = [f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap()];
    assert!((lon - LON).abs() < 1e-6 && (lat - (LAT + 0.001)).abs() < 1e-6, "[lon, lat] order, WGS-84");
    assert_eq!(f["properties"]["head_name"], "王**");
    assert_eq!(f["properties"]["accuracy_m"], 5.0);
    assert_eq!(f["properties"]["village_code"].as_str().unwrap().len(), 12, "the village, for hulls per village");
    let gcj: Value = admin.get(&format!("/households.geojson?division={TOWNSHIP}&crs=gcj02")).await.json().await.unwrap();
    let glon = gcj["features"][0]["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((glon - lon).abs() > 1e-4, "shifted for GCJ-02 map SDKs");
    assert_eq!(admin.get(&format!("/households.geojson?division={TOWNSHIP}&crs=utm")).await.status(), 422);
    let empty: Value = admin.get(&format!("/households.geojson?division={VILLAGE_2}")).await.json().await.unwrap();
    assert_eq!(empty, json!({"type": "FeatureCollection", "features": []}));
}

/// Found by the fault-injection run (scripts/faults.sh): on PostgreSQL two captures of one
/// household at the same moment answered 412 (a capture has no If-Match to be stale) or 500
/// (deadlock between the location insert's key-share lock and the household update).
#[actix_web::test]
async fn simultaneous_captures_of_one_household_are_all_recorded() {
    let app = spawn_app().await;
    let path = household(&app, VILLAGE, 1).await;
    let cadre = app.cadre_of(&[&path]).await;
    let before: Value = cadre.get(&path).await.json().await.unwrap();
    let url = format!("{path}/locations");
    let sends = (0..8).map(|i| cadre.post(&url, capture(LAT + f64::from(i) * 1e-5, LON, "wgs84", 8.0)));
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, vec![201; 8]);
    let after: Value = cadre.get(&path).await.json().await.unwrap();
    assert_eq!(after["version"].as_i64().unwrap(), before["version"].as_i64().unwrap() + 8, "each capture bumped the version once");
    let list: Value = cadre.get(&format!("{url}?limit=50")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 8);
}
