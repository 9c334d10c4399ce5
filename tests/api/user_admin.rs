//! Who may change a user account: every field of `PATCH /users/{id}` (read from the OpenAPI
//! document, so a new field is covered the day it is added), by a county admin and a township
//! reviewer, on a user of the same role, of a higher role, of a lower role, and on themselves.
//! Only a strictly higher role changes another user (one county admin cannot reset another's
//! password); anyone changes their own account except its role and jurisdiction. A refusal
//! changes nothing.

use serde_json::{Value, json};

use crate::helpers::*;

/// The fields of the request body of `PATCH /users/{id}`, from the document.
fn update_fields() -> Vec<String> {
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let schema = &doc["paths"]["/api/v1/users/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    let name = schema.as_str().expect("PATCH /users/{id} has a JSON body").rsplit('/').next().unwrap();
    let fields: Vec<String> = doc["components"]["schemas"][name]["properties"].as_object().unwrap().keys().cloned().collect();
    assert!(fields.len() >= 5, "{fields:?}");
    fields
}

/// A value for each field that the caller could give a user of a lower role.
fn value(field: &str, caller_role: &str, is_self: bool) -> Value {
    match (field, caller_role) {
        ("display_name", _) => json!("新名字"),
        ("role", "county_admin") => json!("auditor"),
        ("role", _) => json!("cadre"),
        ("jurisdiction", "county_admin") => json!("610831102000"),
        ("jurisdiction", _) => json!(VILLAGE_2),
        // Disabling oneself would end the test's session: the change is then re-enabling.
        ("disabled", _) => json!(!is_self),
        ("password", _) => json!("Fresh-pass-42"),
        ("phone", _) => json!("13912345678"),
        ("work_unit", _) => json!("子洲县民政局"),
        (other, _) => panic!("PATCH /users/{{id}} has a new field {other}: say here what to send in it"),
    }
}

/// The target as the bootstrap admin reads it (version and the changeable fields).
async fn snapshot(admin: &Api, id: &str) -> Value {
    let res = admin.get(&format!("/users/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[actix_web::test]
async fn only_a_strictly_higher_role_or_the_user_themselves_changes_an_account() {
    let app = spawn_app().await;
    let fields = update_fields();
    let admin = app.admin().await;
    let mut failures = Vec::new();
    // (caller role, caller jurisdiction, [(target kind, role, jurisdiction)])
    let cases = [
        ("county_admin", COUNTY, vec![("same role", "county_admin", COUNTY), ("lower role", "township_reviewer", TOWNSHIP)]),
        (
            "township_reviewer",
            TOWNSHIP,
            vec![("same role", "township_reviewer", TOWNSHIP), ("higher role", "county_admin", COUNTY), ("lower role", "village_officer", VILLAGE)],
        ),
    ];
    for (caller_role, caller_jur, targets) in &cases {
        let caller = app.user(caller_role, caller_jur).await;
        for field in &fields {
            for (kind, role, jur) in targets {
                let target = app.user(role, jur).await.user_id;
                let before = snapshot(&admin, &target).await;
                let body = json!({ field.as_str(): value(field, caller_role, false) });
                let res = caller.patch(&format!("/users/{target}"), body, Some(&format!("\"{}\"", before["version"]))).await;
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                let after = snapshot(&admin, &target).await;
                let allowed = *kind == "lower role";
                if allowed && (status != 200 || after["version"] == before["version"]) {
                    failures.push(format!("{caller_role} on a {kind}, {field}: {status} {text}"));
                }
                if !allowed && (!(status == 403 || status == 404) || after != before) {
                    failures.push(format!("{caller_role} on a {kind}, {field}: {status} {text} (changed: {})", after != before));
                }
            }
            // Themselves: a fresh account per field (a new password or re-enabling applies to it).
            let me = app.user(caller_role, caller_jur).await;
            let before = snapshot(&admin, &me.user_id).await;
            let body = json!({ field.as_str(): value(field, caller_role, true) });
            let res = me.patch(&format!("/users/{}", me.user_id), body, Some(&format!("\"{}\"", before["version"]))).await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            let after = snapshot(&admin, &me.user_id).await;
            let allowed = !matches!(field.as_str(), "role" | "jurisdiction");
            if allowed != (status == 200) || (!allowed && (status != 403 || after != before)) {
                failures.push(format!("{caller_role} on themselves, {field}: {status} {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong answers:\n{}", failures.len(), failures.join("\n"));
}

#[actix_web::test]
async fn a_county_admin_cannot_take_over_another_county_admins_account() {
    let app = spawn_app().await;
    let mallory = app.user("county_admin", COUNTY).await;
    let victim = app.admin().await;
    let res = mallory.patch(&format!("/users/{}", victim.user_id), json!({"password": "Taken-over-1"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.login("admin", "Taken-over-1").await.status(), 401);
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 200);
    // Still visible to a peer (reading is not managing).
    assert_eq!(mallory.get(&format!("/users/{}", victim.user_id)).await.status(), 200);
}
