//! The household's profile 户基本情况 (识别年度, 纳入监测时间, 脱贫年度, 风险消除, 返贫原因,
//! status flags): given at registration or changed with If-Match, versioned, audited, synced,
//! and every value checked against its documented list.

use serde_json::{Value, json};

use crate::helpers::*;

fn full_profile() -> Value {
    json!({
        "identified_year": 2014, "monitoring_included_on": "2021-03-01", "lifted_out_year": 2019,
        "risk_eliminated_on": "2023-12-20", "risk_elimination_way": "assisted", "fallback_reason": "illness",
        "flags": ["dibao", "relocated", "military_family"], "resettlement_site": "城南安置小区",
    })
}

#[actix_web::test]
async fn a_profile_given_at_registration_is_kept_changed_with_if_match_audited_and_synced() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["profile"] = full_profile();
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["profile"], full_profile());
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    assert_eq!(admin.get(&path).await.json::<Value>().await.unwrap()["profile"], full_profile());

    // A change replaces the whole profile; a household without one reads as empty.
    let changed = json!({"identified_year": 2014, "flags": ["disability"]});
    let res = admin.patch(&path, json!({"profile": changed}), Some(&h["version"].to_string())).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["profile"]["flags"], json!(["disability"]));
    assert_eq!(after["profile"]["resettlement_site"], Value::Null);
    assert_eq!(after["profile"]["lifted_out_year"], Value::Null);
    assert_eq!(after["version"].as_i64(), h["version"].as_i64().map(|v| v + 1));
    let stale = admin.patch(&path, json!({"profile": full_profile()}), Some(&h["version"].to_string())).await;
    assert_eq!(stale.status(), 412);
    let plain: Value = app.household_in(VILLAGE, 2).await;
    assert_eq!(plain["profile"]["flags"], json!([]));
    assert_eq!(plain["profile"]["identified_year"], Value::Null);

    let history: Value = admin.get(&format!("{path}/history")).await.json().await.unwrap();
    let update = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "update").unwrap();
    assert_eq!(update["before"]["profile"]["flags"], json!(["dibao", "relocated", "military_family"]));
    assert_eq!(update["after"]["profile"]["flags"], json!(["disability"]));

    let cadre = app.cadre_of(&[&path]).await;
    let feed: Value = cadre.get("/sync").await.json().await.unwrap();
    let synced = feed["items"].as_array().unwrap().iter().find(|c| c["id"] == h["id"]).unwrap_or_else(|| panic!("{feed}"));
    assert_eq!(synced["profile"]["flags"], json!(["disability"]));
}

#[actix_web::test]
async fn a_value_outside_its_list_or_dates_out_of_order_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        (json!({"flags": ["dibao", "rich"]}), "profile.flags[1]", "invalid_value"),
        (json!({"flags": ["dibao", "dibao"]}), "profile.flags[1]", "duplicate"),
        (json!({"flags": ["relocated"]}), "profile.resettlement_site", "required"),
        (json!({"resettlement_site": "城南"}), "profile.resettlement_site", "not_relocated"),
        (json!({"risk_elimination_way": "magic", "risk_eliminated_on": "2024-01-01"}), "profile.risk_elimination_way", "invalid_value"),
        (json!({"risk_eliminated_on": "2024-01-01"}), "profile.risk_elimination_way", "required"),
        (json!({"fallback_reason": "bad_luck"}), "profile.fallback_reason", "invalid_value"),
        (json!({"identified_year": 2020, "lifted_out_year": 2016}), "profile.lifted_out_year", "before_identified"),
        (json!({"identified_year": 2999}), "profile.identified_year", "out_of_range"),
        (json!({"monitoring_included_on": "2099-01-01"}), "profile.monitoring_included_on", "out_of_range"),
        (json!({"monitoring_included_on": "2023-01-01", "risk_eliminated_on": "2022-01-01", "risk_elimination_way": "natural"}), "profile.risk_eliminated_on", "before_included"),
    ];
    for (n, (profile, field, code)) in cases.into_iter().enumerate() {
        let mut body = household_body(VILLAGE, &[(10 + n as u32, "head")]);
        body["profile"] = profile.clone();
        let res = admin.post("/households", body).await;
        assert_eq!(res.status(), 422, "{profile}");
        let p = problem(res).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code), "{profile}: {p}");
    }
    let listed: Value = admin.get(&format!("/households?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "nothing of a refused household is written");

    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let res = admin.patch(&path, json!({"profile": {"flags": ["relocated"]}}), Some(&h["version"].to_string())).await;
    assert_eq!(res.status(), 422);
    assert_eq!(admin.get(&path).await.json::<Value>().await.unwrap()["version"], h["version"], "a refused change changes nothing");
}
