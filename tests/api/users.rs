//! User management: nobody grants above their own role or jurisdiction; the password policy.

use serde_json::{Value, json};

use crate::helpers::*;

fn new_user(role: &str, jurisdiction: &str) -> Value {
    json!({
        "username": format!("u{}", &uuid::Uuid::now_v7().simple().to_string()[24..]),
        "password": "Strong-pass-9", "display_name": "张三", "role": role, "jurisdiction": jurisdiction,
        "phone": "138 1234 5678",
    })
}

#[actix_web::test]
async fn a_county_admin_creates_users_in_the_county_who_can_log_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = new_user("township_reviewer", TOWNSHIP);
    let res = admin.post("/users", body.clone()).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["role"], "township_reviewer");
    assert_eq!(created["phone"], "13812345678");
    assert_eq!(app.login(body["username"].as_str().unwrap(), "Strong-pass-9").await.status(), 200);
    let list: Value = admin.get("/users").await.json().await.unwrap();
    let listed = list["items"].as_array().unwrap().iter().find(|u| u["id"] == created["id"]).unwrap().clone();
    assert_eq!(listed["phone"], "138****5678", "lists mask phones");
    assert_eq!(admin.post("/users", body).await.status(), 409, "username taken");
}

#[actix_web::test]
async fn nobody_grants_a_role_or_jurisdiction_above_their_own() {
    let app = spawn_app().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    assert_eq!(reviewer.post("/users", new_user("cadre", VILLAGE)).await.status(), 201);
    assert_eq!(reviewer.post("/users", new_user("county_admin", COUNTY)).await.status(), 403);
    assert_eq!(reviewer.post("/users", new_user("auditor", TOWNSHIP)).await.status(), 403);
    assert_eq!(reviewer.post("/users", new_user("cadre", OTHER_TOWNSHIP_VILLAGE)).await.status(), 403);
    let officer = app.user("village_officer", VILLAGE).await;
    assert_eq!(officer.post("/users", new_user("cadre", VILLAGE)).await.status(), 403);
    assert_eq!(officer.get("/users").await.status(), 403);
    let admin = app.admin().await;
    assert_eq!(admin.post("/users", new_user("cadre", OTHER_COUNTY_VILLAGE)).await.status(), 403);
}

#[actix_web::test]
async fn a_reviewer_cannot_promote_or_move_users_out_of_reach() {
    let app = spawn_app().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let cadre = app.user("cadre", VILLAGE).await;
    let path = format!("/users/{}", cadre.user_id);
    assert_eq!(reviewer.patch(&path, json!({"role": "county_admin", "jurisdiction": COUNTY}), Some("1")).await.status(), 403);
    assert_eq!(reviewer.patch(&path, json!({"jurisdiction": OTHER_TOWNSHIP_VILLAGE}), Some("1")).await.status(), 403);
    let res = reviewer.patch(&path, json!({"role": "village_officer"}), Some("1")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "village_officer");
    // Users outside the jurisdiction do not exist for the reviewer.
    let far = app.user("cadre", OTHER_TOWNSHIP_VILLAGE).await;
    assert_eq!(reviewer.get(&format!("/users/{}", far.user_id)).await.status(), 404);
    // Nobody changes their own role.
    let admin = app.admin().await;
    assert_eq!(admin.patch(&format!("/users/{}", admin.user_id), json!({"role": "auditor"}), Some("1")).await.status(), 403);
}

#[actix_web::test]
async fn user_updates_need_a_current_if_match() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cadre = app.user("cadre", VILLAGE).await;
    let path = format!("/users/{}", cadre.user_id);
    assert_eq!(admin.patch(&path, json!({"display_name": "李四"}), None).await.status(), 428);
    assert_eq!(admin.patch(&path, json!({"display_name": "李四"}), Some("\"1\"")).await.status(), 200);
    assert_eq!(admin.patch(&path, json!({"display_name": "王五"}), Some("\"1\"")).await.status(), 412);
}

#[actix_web::test]
async fn the_password_policy_applies_to_new_users_and_lists_every_invalid_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for weak in ["short1A", "alllowercase", "ALLUPPER123", "12345678"] {
        let mut body = new_user("cadre", VILLAGE);
        body["password"] = json!(weak);
        let res = admin.post("/users", body).await;
        assert_eq!(res.status(), 422, "{weak}");
        assert_eq!(problem(res).await["errors"][0]["code"], "weak_password");
    }
    let res = admin
        .post("/users", json!({"username": "x y", "password": "weak", "display_name": "", "role": "king", "jurisdiction": "123"}))
        .await;
    let p = problem(res).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["username", "password", "display_name", "role", "jurisdiction"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[actix_web::test]
async fn a_role_needs_a_jurisdiction_of_its_level() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.post("/users", new_user("village_officer", TOWNSHIP)).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["code"], "wrong_level");
}
