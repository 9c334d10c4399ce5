//! Village tables 村表 with derived household counts beside the typed ones, natural villages.

use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) fn table(households: i64, lifted_out: i64) -> Value {
    json!({
        "poverty_village": true, "lifted_year": 2019,
        "households": households,
        "households_by_category": {"lifted_out": lifted_out},
        "registered_population": 1200, "resident_population": 800,
        "infrastructure": {"hardened_road": true, "safe_drinking_water": true, "tap_water_pct": 96.5, "grid_electricity": true, "broadband": true},
        "collective_income": 152000.0, "party_members": 31,
    })
}

async fn put(api: &Api, path: &str, body: Value, if_match: Option<&str>) -> reqwest::Response {
    api.request(reqwest::Method::PUT, path, Some(body), if_match).await
}

#[actix_web::test]
async fn the_village_table_shows_typed_figures_that_disagree_with_the_household_records() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    app.household_in(VILLAGE, 1).await;
    app.household_in(VILLAGE, 2).await;
    app.household_in(VILLAGE_2, 3).await;
    let url = format!("/villages/{VILLAGE}/years/2025");
    assert_eq!(officer.get(&url).await.status(), 404);
    // Typed: 3 households, 2 lifted out; the records say 2 and 2.
    let res = put(&officer, &url, table(3, 2), None).await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!((v["derived"]["total"].as_i64(), v["derived"]["lifted_out"].as_i64()), (Some(2), Some(2)));
    assert_eq!(v["discrepancies"], json!([{"field": "households", "typed": 3, "derived": 2}]));
    assert_eq!(put(&officer, &url, table(2, 2), None).await.status(), 428);
    let fixed: Value = put(&officer, &url, table(2, 2), Some("\"1\"")).await.json().await.unwrap();
    assert_eq!((fixed["discrepancies"].as_array().unwrap().len(), fixed["version"].as_i64()), (0, Some(2)));
    assert_eq!(put(&officer, &url, table(2, 2), Some("\"1\"")).await.status(), 412);
    // The village page carries the latest table and the derived counts.
    let village: Value = officer.get(&format!("/villages/{VILLAGE}")).await.json().await.unwrap();
    assert_eq!((village["current_year"]["year"].as_i64(), village["derived"]["total"].as_i64()), (Some(2025), Some(2)));

    let mut bad = table(-1, 2);
    bad["poverty_village"] = json!(false);
    bad["infrastructure"]["tap_water_pct"] = json!(120.0);
    let res = put(&officer, &format!("/villages/{VILLAGE}/years/2024"), bad, None).await;
    let fields: Vec<String> = problem(res).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["lifted_year", "households", "infrastructure.tap_water_pct"]);
    assert_eq!(put(&officer, &format!("/villages/{VILLAGE}/years/2013"), table(2, 2), None).await.status(), 422);
    assert_eq!(put(&officer, &format!("/villages/{VILLAGE}/years/2099"), table(2, 2), None).await.status(), 422);
    assert_eq!(put(&officer, &format!("/villages/{VILLAGE_2}/years/2025"), table(2, 2), None).await.status(), 404);
    let cadre = app.user("cadre", VILLAGE).await;
    assert_eq!(put(&cadre, &url, table(2, 2), Some("\"2\"")).await.status(), 403);
}

#[actix_web::test]
async fn natural_villages_group_households_and_keep_their_own_tables() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let h = app.household_in(VILLAGE, 1).await;
    let elsewhere = app.household_in(VILLAGE_2, 2).await;
    let url = format!("/villages/{VILLAGE}/natural-villages");
    let res = officer.post(&url, json!({"name": "三组", "group_leader": "王组长", "population": 86})).await;
    assert_eq!(res.status(), 201);
    let group: Value = res.json().await.unwrap();
    assert_eq!(officer.post(&url, json!({"name": "三组"})).await.status(), 409);
    assert_eq!(officer.post(&url, json!({"name": " "})).await.status(), 422);
    let gid = group["id"].as_str().unwrap();

    // A household of the village joins the group; one of another village cannot.
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let res = officer.patch(&path, json!({"natural_village_id": gid}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["natural_village_id"], gid);
    let admin = app.admin().await;
    let res = admin.patch(&format!("/households/{}", elsewhere["id"].as_str().unwrap()), json!({"natural_village_id": gid}), Some("\"1\"")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "unknown_natural_village");
    let list: Value = officer.get(&url).await.json().await.unwrap();
    assert_eq!((list[0]["name"].as_str(), list[0]["households"].as_i64()), (Some("三组"), Some(1)));

    let year = format!("/natural-villages/{gid}/years/2025");
    let body = json!({"group_leader": "王组长", "households": 1, "households_by_category": {"lifted_out": 0}, "population": 86,
        "infrastructure": {"hardened_road": true, "safe_drinking_water": true, "tap_water_pct": null, "grid_electricity": true, "broadband": false},
        "production_conditions": "玉米、谷子", "living_conditions": "砖混房"});
    let saved: Value = put(&officer, &year, body, None).await.json().await.unwrap();
    assert_eq!(saved["discrepancies"], json!([{"field": "households_by_category.lifted_out", "typed": 0, "derived": 1}]));
    assert_eq!(officer.get(&year).await.status(), 200);
    let stranger = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(stranger.get(&year).await.status(), 404);
}

#[actix_web::test]
async fn the_village_table_takes_the_groups_figures_from_its_natural_villages_tables() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let url = format!("/villages/{VILLAGE}/natural-villages");
    let mut groups = Vec::new();
    for name in ["一组", "二组"] {
        let g: Value = officer.post(&url, json!({"name": name})).await.json().await.unwrap();
        groups.push(g["id"].as_str().unwrap().to_owned());
    }
    let group_table = |leader: &str, households: i64, lifted_out: i64, population: i64, road: bool| {
        json!({"group_leader": leader, "households": households, "households_by_category": {"lifted_out": lifted_out}, "population": population,
            "infrastructure": {"hardened_road": road, "safe_drinking_water": true, "tap_water_pct": null, "grid_electricity": true, "broadband": false},
            "production_conditions": "玉米、谷子", "living_conditions": "砖混房"})
    };
    assert_eq!(put(&officer, &format!("/natural-villages/{}/years/2025", groups[0]), group_table("王组长", 120, 30, 700, true), None).await.status(), 201);

    // One group has no table yet: nothing is summed, and the group is named.
    let v: Value = put(&officer, &format!("/villages/{VILLAGE}/years/2025"), table(200, 50), None).await.json().await.unwrap();
    let from = &v["from_natural_villages"];
    assert_eq!((from["natural_villages"].as_i64(), from["missing_tables"].clone(), from["households"].clone()), (Some(2), json!(["二组"]), Value::Null));
    assert!(!v["discrepancies"].as_array().unwrap().iter().any(|d| d["field"].as_str().unwrap().starts_with("natural_villages.")));

    // Both groups: 120 + 80 households (agrees with the 200 typed), 30 + 15 lifted out (the
    // village typed 50), 700 + 500 people (the village typed 1 200 registered: agrees).
    assert_eq!(put(&officer, &format!("/natural-villages/{}/years/2025", groups[1]), group_table("李组长", 80, 15, 500, false), None).await.status(), 201);
    let v: Value = officer.get(&format!("/villages/{VILLAGE}/years/2025")).await.json().await.unwrap();
    let from = &v["from_natural_villages"];
    assert_eq!((from["households"].as_i64(), from["households_by_category"]["lifted_out"].as_i64(), from["population"].as_i64()), (Some(200), Some(45), Some(1200)));
    let leaders: Vec<(&str, &str)> = from["group_leaders"].as_array().unwrap().iter().map(|g| (g["name"].as_str().unwrap(), g["text"].as_str().unwrap())).collect();
    assert_eq!(leaders, [("一组", "王组长"), ("二组", "李组长")]);
    assert_eq!((from["infrastructure"]["hardened_road"].as_i64(), from["living_conditions"].as_array().unwrap().len()), (Some(1), 2));
    let natural: Vec<&Value> = v["discrepancies"].as_array().unwrap().iter().filter(|d| d["field"].as_str().unwrap().starts_with("natural_villages.")).collect();
    assert_eq!(natural, [&json!({"field": "natural_villages.households_by_category.lifted_out", "typed": 50, "derived": 45})]);
    // The village page shows the same for its latest table.
    let page: Value = officer.get(&format!("/villages/{VILLAGE}")).await.json().await.unwrap();
    assert_eq!(page["current_year"]["from_natural_villages"]["households"].as_i64(), Some(200));
}
