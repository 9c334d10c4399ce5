//! Assistance: cadres per county, pairings (one current per household, history kept), what a
//! cadre then sees, work teams and measures.

use serde_json::{Value, json};

use crate::helpers::*;

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

#[actix_web::test]
async fn a_new_pairing_ends_the_current_one_that_day_and_the_old_cadre_keeps_read_only_history() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", id(&h));
    let (cadre_a, a) = app.cadre("刘帮扶").await;
    let (cadre_b, b) = app.cadre("陈帮扶").await;
    app.pair(&a, id(&h), "2026-01-15").await;
    assert_eq!(cadre_a.get("/households").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 1);

    let second = app.pair(&b, id(&h), "2026-06-01").await;
    assert_eq!(second["current"], true);
    let history: Value = admin.get(&format!("/pairings?household_id={}", id(&h))).await.json().await.unwrap();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let old = items.iter().find(|p| p["cadre_id"] == a.as_str()).unwrap();
    assert_eq!((old["end_date"].as_str(), old["end_reason"].as_str(), old["current"].as_bool()), (Some("2026-06-01"), Some("re_paired"), Some(false)));
    let current: Value = admin.get(&format!("/pairings?household_id={}&current=true", id(&h))).await.json().await.unwrap();
    assert_eq!(current["items"].as_array().unwrap().len(), 1);
    assert_eq!(current["items"][0]["cadre_id"], b.as_str());

    // The household record names its current cadre.
    let full: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(full["pairing"]["cadre_name"], "陈帮扶");

    // The new cadre works on it; the old one still reads it but lists and writes no longer reach it.
    assert_eq!(cadre_b.get("/households").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 1);
    assert_eq!(cadre_a.get("/households").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0);
    assert_eq!(cadre_a.get(&path).await.status(), 200);
    let capture = json!({"lat": 37.61, "lon": 110.03, "crs": "wgs84", "accuracy_m": 5.0, "captured_at": chrono::Utc::now().to_rfc3339(), "source": "gps", "client_id": uuid::Uuid::now_v7()});
    assert_eq!(cadre_a.post(&format!("{path}/locations"), capture.clone()).await.status(), 404);
    assert_eq!(cadre_b.post(&format!("{path}/locations"), capture).await.status(), 201);
    // A cadre's own pairing list includes the ended one.
    let mine: Value = cadre_a.get("/pairings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["current"], false);
}

#[actix_web::test]
async fn pairings_refuse_other_counties_bad_dates_repeats_and_the_wrong_roles() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (cadre, a) = app.cadre("刘帮扶").await;
    let far_admin = app.user("county_admin", "340323000000").await;
    let far: Value = far_admin.post("/cadres", json!({"name": "固镇干部", "work_unit": "固镇县民政局"})).await.json().await.unwrap();
    let pair = |cadre_id: &str, date: &str| json!({"cadre_id": cadre_id, "household_id": id(&h), "start_date": date});

    // A cadre of another county is answered like one that does not exist (no existence oracle).
    let res = admin.post("/pairings", pair(id(&far), "2026-01-01")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["code"], "unknown_cadre");
    let res = admin.post("/pairings", pair(&uuid::Uuid::now_v7().to_string(), "2026-01-01")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "unknown_cadre");
    let res = admin.post("/pairings", pair("not-an-id", "2026-01-01")).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "cadre_id");
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive().to_string();
    assert_eq!(admin.post("/pairings", pair(&a, &future)).await.status(), 422);

    let first: Value = admin.post("/pairings", pair(&a, "2026-03-01")).await.json().await.unwrap();
    assert_eq!(admin.post("/pairings", pair(&a, "2026-04-01")).await.status(), 409);
    let (_, b) = app.cadre("陈帮扶").await;
    let res = admin.post("/pairings", pair(&b, "2026-02-01")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "before_current_pairing");
    assert_eq!(cadre.post("/pairings", pair(&b, "2026-05-01")).await.status(), 403);
    let outsider = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(outsider.post("/pairings", pair(&b, "2026-05-01")).await.status(), 404);

    // Ending: If-Match, a date between start and today, once.
    let url = format!("/pairings/{}", id(&first));
    let end = json!({"end_date": "2026-05-01", "end_reason": "工作调动"});
    assert_eq!(admin.patch(&url, end.clone(), None).await.status(), 428);
    assert_eq!(admin.patch(&url, json!({"end_date": "2026-02-01", "end_reason": "x"}), Some("\"1\"")).await.status(), 422);
    assert_eq!(admin.patch(&url, end.clone(), Some("\"7\"")).await.status(), 412);
    let ended: Value = admin.patch(&url, end.clone(), Some("\"1\"")).await.json().await.unwrap();
    assert_eq!((ended["end_date"].as_str(), ended["current"].as_bool()), (Some("2026-05-01"), Some(false)));
    assert_eq!(admin.patch(&url, end.clone(), Some("\"2\"")).await.status(), 409);
    // Scope before role: the formerly paired cadre sees it but may not change it; outside the
    // county it is not found.
    assert_eq!(cadre.patch(&url, end.clone(), Some("\"2\"")).await.status(), 403);
    let far_admin = app.user("county_admin", "340323000000").await;
    assert_eq!(far_admin.patch(&url, end, Some("\"2\"")).await.status(), 404);
    assert_eq!(cadre.get("/households").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn cadres_are_kept_per_county_with_personal_numbers_sealed_and_masked_in_lists() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({"name": "刘帮扶", "work_unit": "子洲县财政局", "phone": "13912345678", "id_number": id_number(40).to_lowercase()});
    let res = admin.post("/cadres", body.clone()).await;
    assert_eq!(res.status(), 201);
    let cadre: Value = res.json().await.unwrap();
    assert_eq!(cadre["id_number"], id_number(40));
    let list: Value = admin.get("/cadres?q=财政").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0]["phone"].as_str().unwrap().contains('*'));
    assert!(list["items"][0]["id_number"].as_str().unwrap().contains("********"));
    // The same person twice is a conflict; a linked user must be a cadre of this county.
    assert_eq!(admin.post("/cadres", body).await.status(), 409);
    let officer = app.user("village_officer", VILLAGE).await;
    let res = admin.post("/cadres", json!({"name": "王", "work_unit": "x", "user_id": officer.user_id})).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "not_a_cadre_user");
    let res = admin.post("/cadres", json!({"work_unit": "x", "phone": "123"})).await;
    let fields: Vec<String> = problem(res).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["name", "phone"]);
    // Another county neither lists nor reads them.
    let far_admin = app.user("county_admin", "340323000000").await;
    assert_eq!(far_admin.get("/cadres").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0);
    assert_eq!(far_admin.get(&format!("/cadres/{}", id(&cadre))).await.status(), 404);
    // Changes need If-Match.
    let url = format!("/cadres/{}", id(&cadre));
    assert_eq!(admin.patch(&url, json!({"work_unit": "子洲县教育局"}), None).await.status(), 428);
    let changed: Value = admin.patch(&url, json!({"work_unit": "子洲县教育局", "phone": ""}), Some("\"1\"")).await.json().await.unwrap();
    assert_eq!((changed["work_unit"].as_str(), changed["phone"].is_null(), changed["version"].as_i64()), (Some("子洲县教育局"), true, Some(2)));
}

#[actix_web::test]
async fn a_village_has_a_work_team_and_households_have_measures() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, secretary) = app.cadre("第一书记").await;
    let (_, member) = app.cadre("队员").await;
    let team = json!({"village_code": VILLAGE, "name": "驻村工作队", "first_secretary_id": secretary, "member_ids": [member], "term_start": "2024-03-01", "term_end": "2026-02-28"});
    let res = admin.post("/work-teams", team.clone()).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["member_ids"], json!([member]));
    let mut bad = team.clone();
    bad["member_ids"] = json!([uuid::Uuid::now_v7().to_string()]);
    bad["term_end"] = json!("2020-01-01");
    let res = admin.post("/work-teams", bad).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "term_end");
    let mut unknown = team.clone();
    unknown["member_ids"] = json!([uuid::Uuid::now_v7().to_string()]);
    assert_eq!(problem(admin.post("/work-teams", unknown).await).await["errors"][0]["code"], "unknown_cadre");
    let officer = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(officer.post("/work-teams", team).await.status(), 404);
    let url = format!("/work-teams/{}", id(&created));
    let changed: Value = admin.patch(&url, json!({"member_ids": [member, secretary], "term_end": "2027-02-28"}), Some("\"1\"")).await.json().await.unwrap();
    assert_eq!((changed["member_ids"].as_array().unwrap().len(), changed["term_end"].as_str()), (2, Some("2027-02-28")));
    let list: Value = admin.get(&format!("/work-teams?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(officer.get("/work-teams").await.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 0);

    let h = app.household_in(VILLAGE, 1).await;
    let cadre = app.cadre_of(&[id(&h)]).await;
    let url = format!("/households/{}/measures", id(&h));
    let measure = json!({"kind": "micro_credit", "title": "扶贫小额信贷", "start_date": "2026-03-01", "end_date": "2029-03-01", "amount_yuan": 50000.0, "client_id": uuid::Uuid::now_v7()});
    let first = cadre.post(&url, measure.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = cadre.post(&url, measure.clone()).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let mut bad = measure.clone();
    bad["client_id"] = json!(null);
    bad["amount_yuan"] = json!(12.345);
    bad["kind"] = json!("gift");
    let fields: Vec<String> = problem(cadre.post(&url, bad).await).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["kind", "amount_yuan"]);
    let list: Value = admin.get(&url).await.json().await.unwrap();
    assert_eq!((list.as_array().unwrap().len(), list[0]["amount_yuan"].as_f64()), (1, Some(50000.0)));
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.post(&url, measure).await.status(), 403);
}
