//! Migrant work 外出务工信息 of a member per statistical year: entered from the phone or the
//! office, replaced with If-Match, delivered by /sync.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::projects::refusals;

/// 8 months in 昆山市 at a factory, 36 000 yuan, through 稳岗就业.
fn work() -> Value {
    json!({"destination_code": "320583000000", "employer": "昆山某电子厂", "sector": "制造业", "months_away": 8, "income_yuan": 36000, "programme": true})
}

async fn member(app: &TestApp, n: u32) -> (String, String) {
    let h = app.household_in(VILLAGE, n).await;
    (h["id"].as_str().unwrap().to_owned(), h["members"][0]["id"].as_str().unwrap().to_owned())
}

fn path(h: &str, m: &str, year: i32) -> String {
    format!("/households/{h}/members/{m}/migrant-work/{year}")
}

#[actix_web::test]
async fn a_members_year_is_entered_then_replaced_with_if_match() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (h, m) = member(&app, 1).await;
    let p = path(&h, &m, 2026);
    assert_eq!(admin.get(&p).await.status(), 404);
    let res = admin.request(Method::PUT, &p, Some(work()), None).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let w: Value = res.json().await.unwrap();
    assert_eq!((w["destination_code"].as_str(), w["months_away"].as_i64(), w["income_yuan"].as_f64(), w["programme"].as_bool()), (Some("320583000000"), Some(8), Some(36000.0), Some(true)));
    assert_eq!(admin.request(Method::PUT, &p, Some(work()), None).await.status(), 428);
    let mut next = work();
    next["months_away"] = json!(10);
    let res = admin.request(Method::PUT, &p, Some(next.clone()), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(admin.request(Method::PUT, &p, Some(work()), Some("\"1\"")).await.status(), 412);
    let read: Value = admin.get(&p).await.json().await.unwrap();
    assert_eq!((read["months_away"].as_i64(), read["version"].as_i64()), (Some(10), Some(2)));
    admin.request(Method::PUT, &path(&h, &m, 2025), Some(work()), None).await;
    let all: Value = admin.get(&format!("/households/{h}/migrant-work")).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().iter().map(|w| w["year"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2026, 2025]);
    let one: Value = admin.get(&format!("/households/{h}/migrant-work?year=2025")).await.json().await.unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    let history: Value = admin.get(&format!("/households/{h}/history")).await.json().await.unwrap();
    assert!(history.to_string().contains("migrant_work_update"));
}

#[actix_web::test]
async fn bad_destinations_months_years_and_amounts_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (h, m) = member(&app, 1).await;
    let p = path(&h, &m, 2026);
    let mut b = work();
    b["destination_code"] = json!("320583101000");
    b["months_away"] = json!(13);
    b["income_yuan"] = json!(100.001);
    let errs = refusals(admin.request(Method::PUT, &p, Some(b), None).await).await;
    for (field, code) in [("destination_code", "invalid_level"), ("months_away", "out_of_range"), ("income_yuan", "too_precise")] {
        assert!(errs.iter().any(|(f, c)| f == field && c == code), "{field} {code}: {errs:?}");
    }
    let errs = refusals(admin.request(Method::PUT, &p, Some(json!({})), None).await).await;
    assert!(errs.iter().any(|(f, c)| f == "destination_code" && c == "required") && errs.iter().any(|(f, c)| f == "months_away" && c == "required"), "{errs:?}");
    let errs = refusals(admin.request(Method::PUT, &path(&h, &m, 2013), Some(work()), None).await).await;
    assert_eq!(errs[0].0, "year");
    assert_eq!(refusals(admin.request(Method::PUT, &path(&h, &m, 2027), Some(work()), None).await).await[0].0, "year");
    let all: Value = admin.get(&format!("/households/{h}/migrant-work")).await.json().await.unwrap();
    assert_eq!(all, json!([]));
}

#[actix_web::test]
async fn the_paired_cadre_enters_it_from_the_phone_and_sync_delivers_it() {
    let app = spawn_app().await;
    let (h, m) = member(&app, 1).await;
    let cadre = app.cadre_of(&[&h]).await;
    let res = cadre.request(Method::PUT, &path(&h, &m, 2026), Some(work()), None).await;
    assert_eq!(res.status(), 201);
    let page: Value = cadre.get("/sync").await.json().await.unwrap();
    let item = page["items"].as_array().unwrap().iter().find(|i| i["id"] == h.as_str()).unwrap();
    assert_eq!(item["migrant_work"][0]["member_id"], m.as_str());
    assert_eq!(item["migrant_work"][0]["destination_code"], "320583000000");
    // A change later reaches the phone through the cursor.
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let mut next = work();
    next["income_yuan"] = json!(40000);
    assert_eq!(cadre.request(Method::PUT, &path(&h, &m, 2026), Some(next), Some("\"1\"")).await.status(), 200);
    let later: Value = cadre.get(&format!("/sync?cursor={cursor}")).await.json().await.unwrap();
    assert_eq!(later["items"][0]["migrant_work"][0]["income_yuan"].as_f64(), Some(40000.0), "{later}");
}

#[actix_web::test]
async fn outsiders_get_404_an_auditor_403_and_a_member_of_another_household_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (h, m) = member(&app, 1).await;
    let (h2, m2) = member(&app, 2).await;
    let p = path(&h, &m, 2026);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.request(Method::PUT, &p, Some(work()), None).await.status(), 403);
    let outsider = app.user("county_admin", "340323000000").await;
    assert_eq!(outsider.request(Method::PUT, &p, Some(work()), None).await.status(), 404);
    assert_eq!(outsider.get(&format!("/households/{h}/migrant-work")).await.status(), 404);
    let elsewhere = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(elsewhere.request(Method::PUT, &p, Some(work()), None).await.status(), 404);
    // The member of one household under the path of another names nothing.
    assert_eq!(admin.request(Method::PUT, &path(&h, &m2, 2026), Some(work()), None).await.status(), 404);
    assert_eq!(admin.request(Method::PUT, &path(&h2, &m2, 2026), Some(work()), None).await.status(), 201);
    let all: Value = admin.get(&format!("/households/{h}/migrant-work")).await.json().await.unwrap();
    assert_eq!(all, json!([]));
}
