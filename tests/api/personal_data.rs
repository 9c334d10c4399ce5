//! Personal data at rest: a database dump alone reveals no ID or phone number. (Every test also
//! scans its whole database, data folder and memory store when its app is dropped: `at_rest.rs`.)

use serde_json::{Value, json};

use crate::helpers::*;

/// Every byte the database holds, as text: the SQLite files, or every column of every
/// PostgreSQL table as text (`at_rest::database_cells`).
fn database_text(app: &TestApp) -> String {
    if backend_is_postgres() {
        crate::at_rest::database_cells(app).unwrap().into_iter().map(|(_, _, text)| text).collect::<Vec<_>>().join("\n")
    } else {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(b) = std::fs::read(app.data_dir.path().join(format!("fangpin.db{suffix}"))) {
                bytes.extend(b);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[actix_web::test]
async fn id_and_phone_numbers_are_not_stored_in_plaintext() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head"), (2, "spouse")]);
    body["members"][0]["phone"] = json!("13987654321");
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    admin.patch(&format!("/households/{}", h["id"].as_str().unwrap()), json!({"address": "一组"}), Some("1")).await;
    let dump = database_text(&app);
    assert!(dump.contains("王建国"), "the dump is readable (names are not encrypted)");
    for secret in [id_number(1), id_number(2), "13987654321".to_owned(), id_number(1)[6..14].to_owned() + &id_number(1)[14..]] {
        assert!(!dump.contains(&secret), "{secret} found in the database");
    }
    // The audit log keeps the masked form.
    assert!(dump.contains(&format!("610831********{}", &id_number(1)[14..])));
}

#[actix_web::test]
async fn the_sm4_cipher_can_be_chosen_and_reads_back() {
    let app = spawn_with(|s| s.cipher = fangpin::config::CipherKind::Sm4Gcm).await;
    let h = app.household_in(VILLAGE, 1).await;
    let admin = app.admin().await;
    let full: Value = admin.get(&format!("/households/{}", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(full["members"][0]["id_number"], id_number(1));
    assert!(!database_text(&app).contains(&id_number(1)));
}
