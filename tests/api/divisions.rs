//! Divisions: the real county, its townships and villages, visible along the caller's branch.

use serde_json::Value;

use crate::helpers::*;

#[actix_web::test]
async fn the_county_has_its_real_townships_and_villages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let county: Value = admin.get(&format!("/divisions/{COUNTY}")).await.json().await.unwrap();
    assert_eq!(county["name"], "子洲县");
    assert_eq!(county["level"], "county");
    let towns: Value = admin.get(&format!("/divisions/{COUNTY}/children")).await.json().await.unwrap();
    assert_eq!(towns.as_array().unwrap().len(), 13);
    assert!(towns.as_array().unwrap().iter().any(|t| t["name"] == "何家集镇" && t["code"] == TOWNSHIP));
    let villages: Value = admin.get(&format!("/divisions/{TOWNSHIP}/children")).await.json().await.unwrap();
    assert!(villages.as_array().unwrap().iter().all(|v| v["level"] == "village" && v["parent_code"] == TOWNSHIP));
}

#[actix_web::test]
async fn a_village_officer_sees_their_branch_only() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    assert_eq!(officer.get(&format!("/divisions/{COUNTY}")).await.status(), 200, "ancestors are named");
    assert_eq!(officer.get(&format!("/divisions/{VILLAGE}")).await.status(), 200);
    assert_eq!(officer.get(&format!("/divisions/{VILLAGE_2}")).await.status(), 404);
    assert_eq!(officer.get("/divisions/340323000000").await.status(), 404);
    assert_eq!(officer.get("/divisions/12345").await.status(), 404);
    let towns: Value = officer.get(&format!("/divisions/{COUNTY}/children")).await.json().await.unwrap();
    assert_eq!(towns.as_array().unwrap().len(), 1);
    assert_eq!(towns[0]["code"], TOWNSHIP);
}

#[actix_web::test]
async fn a_village_shows_its_township_and_derived_household_count() {
    let app = spawn_app().await;
    app.household_in(VILLAGE, 1).await;
    app.household_in(VILLAGE, 2).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let v: Value = reviewer.get(&format!("/villages/{VILLAGE}")).await.json().await.unwrap();
    assert_eq!(v["township_name"], "何家集镇");
    assert_eq!(v["households"], 2);
    assert_eq!(reviewer.get(&format!("/villages/{OTHER_TOWNSHIP_VILLAGE}")).await.status(), 404);
    assert_eq!(reviewer.get(&format!("/villages/{TOWNSHIP}")).await.status(), 404);
}
