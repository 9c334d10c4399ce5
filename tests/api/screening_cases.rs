//! Opening cases from the risk screening 集中摸排 (`POST /screening/cases`): a township takes the
//! households it chose from the list and opens their cases in one request, all or nothing, each
//! case keeping the screening row it came from.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::screening::household;

fn inclusion(household: &str) -> Value {
    json!({"household_id": household, "criterion": "income_below_monitoring_line", "kind": "inclusion", "risk_types": ["unstable_work"], "target_category": "monitored_marginal"})
}

async fn cases_of(app: &TestApp, village: &str) -> Vec<Value> {
    let page: Value = app.admin().await.get(&format!("/cases?division={village}")).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_township_opens_the_cases_it_chose_from_the_screening_in_one_request() {
    let app = spawn_app().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    // Below the monitoring line; risk eliminated then income fell 43 %; in monitoring and at the
    // exit minimum two years running; comfortable (no criterion fires).
    let poor = household(&app, VILLAGE, 1, "ordinary", None, &[(2025, 1000.0)]).await;
    let fell = household(&app, VILLAGE, 2, "monitored_unstable", Some("eliminated"), &[(2024, 20_000.0), (2025, 10_000.0)]).await;
    let ready = household(&app, VILLAGE, 3, "monitored_marginal", Some("not_eliminated"), &[(2024, 5000.0), (2025, 5000.0)]).await;
    let comfortable = household(&app, VILLAGE, 4, "lifted_out", None, &[(2025, 20_000.0)]).await;
    {
        // The elimination a rollback undoes, as its exit case recorded it.
        use diesel::prelude::*;
        use fangpin::db::schema::households as t;
        let profile = r#"{"monitoring_included_on":"2023-03-01","risk_eliminated_on":"2024-11-20","risk_elimination_way":"assisted"}"#;
        diesel::update(t::table.find(&fell)).set(t::profile.eq(profile)).execute(&mut *app.state.db.conn().unwrap()).unwrap();
    }

    // A household the criterion does not fire for, and a kind its row does not propose: both
    // listed, nothing opened (not even the good one before them).
    let res = reviewer
        .post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor), inclusion(&comfortable), {"household_id": ready, "criterion": "exit_criteria_met", "kind": "risk_rollback"}]}))
        .await;
    assert_eq!(res.status(), 409);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "batch_refused");
    let failures: Vec<(String, String)> = p["failures"].as_array().unwrap().iter().map(|f| (f["household_id"].as_str().unwrap().to_owned(), f["code"].as_str().unwrap().to_owned())).collect();
    assert_eq!(failures, [(comfortable.clone(), "not_screened".to_owned()), (ready.clone(), "kind_not_proposed".to_owned())]);
    assert!(cases_of(&app, VILLAGE).await.is_empty(), "all or nothing");

    // The three rows as the screening proposes them.
    let mut first = inclusion(&poor);
    first["client_id"] = json!(uuid::Uuid::now_v7().to_string());
    let body = json!({"year": 2025, "cases": [first.clone(), {"household_id": fell, "criterion": "income_fell", "kind": "risk_rollback", "reason": "务工收入下降"}, {"household_id": ready, "criterion": "exit_criteria_met", "kind": "exit"}]});
    let res = reviewer.post("/screening/cases", body).await;
    let status = res.status();
    let opened: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{opened}");
    let opened = opened["items"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = opened.iter().map(|c| (c["household_id"].as_str().unwrap(), c["kind"].as_str().unwrap(), c["screening"]["criterion"].as_str().unwrap())).collect();
    assert_eq!(seen, [(poor.as_str(), "inclusion", "income_below_monitoring_line"), (fell.as_str(), "risk_rollback", "income_fell"), (ready.as_str(), "exit", "exit_criteria_met")]);
    assert!(opened.iter().all(|c| c["screening"]["year"] == 2025 && c["state"] == "start"));
    assert_eq!(opened[0]["reason"], "集中摸排：人均纯收入低于监测线", "the criterion's text when no reason is given");
    assert_eq!(opened[1]["reason"], "务工收入下降");
    // The case remembers its row.
    let case: Value = reviewer.get(&format!("/cases/{}", opened[0]["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(case["screening"], json!({"year": 2025, "criterion": "income_below_monitoring_line"}));
    assert_eq!(cases_of(&app, VILLAGE).await.len(), 3);

    // The phone or console that retries with the same client_id gets the same case.
    let res = reviewer.post("/screening/cases", json!({"year": 2025, "cases": [first]})).await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["items"][0]["id"], opened[0]["id"]);
    // Without one, a household with an open case is refused.
    let res = reviewer.post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor)]})).await;
    assert_eq!(res.status(), 409);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["failures"][0]["code"], "conflict", "{p}");
    assert_eq!(cases_of(&app, VILLAGE).await.len(), 3);
}

#[actix_web::test]
async fn opening_from_the_screening_checks_the_body_the_jurisdiction_and_the_role() {
    let app = spawn_app().await;
    let poor = household(&app, VILLAGE, 1, "ordinary", None, &[(2025, 1000.0)]).await;
    let elsewhere = household(&app, VILLAGE_2, 2, "ordinary", None, &[(2025, 1000.0)]).await;
    let officer = app.user("village_officer", VILLAGE).await;

    // Every problem named, with its place in the list.
    let res = officer
        .post("/screening/cases", json!({"year": 2025, "cases": [{"household_id": poor, "criterion": "no_such_rule", "kind": "inclusion"}, {"household_id": poor, "criterion": "income_below_monitoring_line"}]}))
        .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["cases[0].criterion", "cases[0].risk_types", "cases[0].target_category", "cases[1].kind"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    for body in [json!({"cases": [inclusion(&poor)]}), json!({"year": 2025, "cases": []}), json!({"year": 1999, "cases": [inclusion(&poor)]})] {
        assert_eq!(officer.post("/screening/cases", body.clone()).await.status(), 422, "{body}");
    }
    // A household of another village is not the officer's: 404 (nothing says it exists).
    let res = officer.post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor), inclusion(&elsewhere)]})).await;
    assert_eq!(res.status(), 404);
    // An auditor reads the county but opens no case; a cadre does not even see households that
    // are not paired with them.
    assert_eq!(app.user("auditor", COUNTY).await.post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor)]})).await.status(), 403);
    assert_eq!(app.user("cadre", VILLAGE).await.post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor)]})).await.status(), 404);
    assert!(cases_of(&app, VILLAGE).await.is_empty());
    // The officer may.
    assert_eq!(officer.post("/screening/cases", json!({"year": 2025, "cases": [inclusion(&poor)]})).await.status(), 201);
}
