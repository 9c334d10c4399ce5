//! Members: added and removed with a reason (kept), corrected, headship transferred.

use serde_json::{Value, json};

use crate::helpers::*;

async fn household(app: &TestApp) -> (Api, String) {
    let admin = app.admin().await;
    let res = admin.post("/households", household_body(VILLAGE, &[(1, "head"), (2, "spouse")])).await;
    let h: Value = res.json().await.unwrap();
    (admin, format!("/households/{}", h["id"].as_str().unwrap()))
}

fn member_id(h: &Value, relation: &str) -> String {
    h["members"].as_array().unwrap().iter().find(|m| m["relation"] == relation).unwrap()["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_birth_is_added_and_bumps_the_household_version() {
    let app = spawn_app().await;
    let (admin, path) = household(&app).await;
    let res = admin.post(&format!("{path}/members"), json!({"name": "王思雨", "id_number": id_number(3), "relation": "child"})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["members"].as_array().unwrap().len(), 3);
    let res = admin.post(&format!("{path}/members"), json!({"name": "王二", "id_number": id_number(4), "relation": "head"})).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "head_exists");
    let res = admin.post(&format!("{path}/members"), json!({"name": "王二", "id_number": id_number(2), "relation": "child"})).await;
    assert_eq!(res.status(), 409, "already a member");
    let res = admin.request(reqwest::Method::POST, &format!("{path}/members"), Some(json!({"name": "王三", "id_number": id_number(5), "relation": "child"})), Some("1")).await;
    assert_eq!(res.status(), 412, "a stale If-Match is refused when sent");
}

#[actix_web::test]
async fn a_removed_member_is_kept_with_the_reason_and_frees_the_id_number() {
    let app = spawn_app().await;
    let (admin, path) = household(&app).await;
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let spouse = member_id(&h, "spouse");
    let res = admin.delete(&format!("{path}/members/{spouse}?reason=emigrated"), None).await;
    assert_eq!(res.status(), 422);
    let res = admin.delete(&format!("{path}/members/{spouse}?reason=marriage_out"), Some("1")).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    let removed = h["members"].as_array().unwrap().iter().find(|m| m["id"] == spouse.as_str()).unwrap().clone();
    assert_eq!(removed["removed_reason"], "marriage_out");
    assert!(removed["removed_at"].is_string());
    let list: Value = admin.get(&format!("/households?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(list["items"][0]["members"].as_array().unwrap().len(), 1, "lists show current members");
    assert_eq!(admin.delete(&format!("{path}/members/{spouse}?reason=other"), None).await.status(), 404, "already removed");
    // The person may now join another household.
    let res = admin.post("/households", household_body(VILLAGE_2, &[(6, "head"), (2, "spouse")])).await;
    assert_eq!(res.status(), 201);
}

#[actix_web::test]
async fn the_head_is_not_removed_but_headship_can_be_transferred() {
    let app = spawn_app().await;
    let (admin, path) = household(&app).await;
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let (head, spouse) = (member_id(&h, "head"), member_id(&h, "spouse"));
    let res = admin.delete(&format!("{path}/members/{head}?reason=death"), None).await;
    assert_eq!(res.status(), 409);
    let res = admin.patch(&format!("{path}/members/{spouse}"), json!({"relation": "head"}), Some("1")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "head_change");
    let res = admin.patch(&path, json!({"head_member_id": spouse}), Some("1")).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "former_head_relation");
    let res = admin.patch(&path, json!({"head_member_id": spouse, "former_head_relation": "spouse"}), Some("1")).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["head_name"], "李秀英");
    assert_eq!(member_id(&h, "head"), spouse);
    let res = admin.delete(&format!("{path}/members/{head}?reason=death"), Some("2")).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn a_member_is_corrected_with_if_match() {
    let app = spawn_app().await;
    let (admin, path) = household(&app).await;
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let head = member_id(&h, "head");
    let mpath = format!("{path}/members/{head}");
    assert_eq!(admin.patch(&mpath, json!({"name": "王建军"}), None).await.status(), 428);
    let res = admin.patch(&mpath, json!({"name": "王建军", "phone": "0912-5551234"}), Some("1")).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["head_name"], "王建军");
    assert_eq!(admin.patch(&mpath, json!({"name": "Wang"}), Some("2")).await.status(), 422);
    let history: Value = admin.get(&format!("{path}/history")).await.json().await.unwrap();
    assert_eq!(history["items"][0]["action"], "member_update");
    assert_eq!(history["items"][0]["after"]["phone"], "091****1234");
}
