//! Two offices edit the same household and the same yearly record for 30 seconds: every write
//! the service accepted is in the audit trail, none is lost, and the final state is the last
//! accepted write.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

const SOAK: Duration = Duration::from_secs(30);

/// Loops GET → PATCH/PUT with If-Match until the time is up; returns the accepted writes as
/// (version after the write, the value written).
async fn editor(api: Api, url: String, year_url: String, member: String, who: usize) -> (Vec<(i64, String)>, Vec<(i64, f64)>) {
    let (mut households, mut years) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < SOAK {
        n += 1;
        let current: Value = api.get(&url).await.json().await.unwrap();
        let address = format!("editor {who} write {n}");
        let res = api.patch(&url, json!({"address": address}), Some(&format!("\"{}\"", current["version"]))).await;
        match res.status().as_u16() {
            200 => households.push((res.json::<Value>().await.unwrap()["version"].as_i64().unwrap(), address)),
            412 => {}
            other => panic!("household PATCH: {other} {}", res.text().await.unwrap()),
        }
        let year: Value = api.get(&year_url).await.json().await.unwrap();
        let wages = (who * 100_000 + n) as f64;
        let res = api.request(reqwest::Method::PUT, &year_url, Some(crate::yearly::record(&member, wages, 1)), Some(&format!("\"{}\"", year["version"]))).await;
        match res.status().as_u16() {
            200 => years.push((res.json::<Value>().await.unwrap()["version"].as_i64().unwrap(), wages)),
            412 => {}
            other => panic!("year PUT: {other} {}", res.text().await.unwrap()),
        }
    }
    (households, years)
}

#[actix_web::test]
async fn concurrent_editors_never_lose_an_accepted_write() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let url = format!("/households/{}", h["id"].as_str().unwrap());
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    let year_url = format!("{url}/years/2025");
    let res = admin.request(reqwest::Method::PUT, &year_url, Some(crate::yearly::record(&member, 1.0, 1)), None).await;
    assert_eq!(res.status(), 201);
    let editors = [admin.clone(), app.user("township_reviewer", TOWNSHIP).await];
    let tasks: Vec<_> = editors.into_iter().enumerate().map(|(who, api)| tokio::spawn(editor(api, url.clone(), year_url.clone(), member.clone(), who))).collect();
    let (mut households, mut years) = (Vec::new(), Vec::new());
    for t in tasks {
        let (hs, ys) = t.await.unwrap();
        households.extend(hs);
        years.extend(ys);
    }
    assert!(households.len() > 10 && years.len() > 10, "{} and {} writes", households.len(), years.len());

    // Versions of accepted writes are distinct and consecutive: no two writes took the same one.
    households.sort();
    let versions: Vec<i64> = households.iter().map(|w| w.0).collect();
    assert_eq!(versions, (2..2 + households.len() as i64).collect::<Vec<_>>());
    years.sort_by_key(|w| w.0);
    let year_versions: Vec<i64> = years.iter().map(|w| w.0).collect();
    assert_eq!(year_versions, (2..2 + years.len() as i64).collect::<Vec<_>>());

    // The final state is the last accepted write.
    let now: Value = admin.get(&url).await.json().await.unwrap();
    assert_eq!(now["address"].as_str(), Some(households.last().unwrap().1.as_str()));
    let year: Value = admin.get(&year_url).await.json().await.unwrap();
    assert_eq!(year["record"]["income"]["wages"].as_f64(), Some(years.last().unwrap().1));

    // Every accepted write is in the audit trail, once.
    let mut updates = 0;
    let mut year_updates = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page_url = match &cursor {
            Some(c) => format!("{url}/history?limit=500&cursor={c}"),
            None => format!("{url}/history?limit=500"),
        };
        let page: Value = admin.get(&page_url).await.json().await.unwrap();
        for e in page["items"].as_array().unwrap() {
            match e["action"].as_str() {
                Some("update") => updates += 1,
                Some("year_update") => year_updates += 1,
                _ => {}
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!((updates, year_updates), (households.len(), years.len()));
}
