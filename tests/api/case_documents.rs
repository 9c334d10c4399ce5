//! Documents attached to a case 程序材料: documents of the household's file linked to the case and
//! its recorded steps; a photo of the posted publicity list dated before the posting is flagged.

use serde_json::{Value, json};

use crate::documents::{pdf, upload};
use crate::helpers::*;
use crate::jpeg::{Exif, encode, picture, with_exif};

fn today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()
}

/// A photo of a posted list, its EXIF saying when (local time with the offset).
fn photo_taken(datetime: &str) -> Vec<u8> {
    let exif = Exif { datetime: Some(datetime.into()), offset: Some("+08:00".into()), make: Some("HUAWEI".into()), model: Some("ALN-AL00".into()), ..Default::default() };
    with_exif(&encode(&picture(320, 240, 9), 85), &exif)
}

/// A removal case of a household whose village evaluation, acknowledgement and publicity were
/// recorded today: (household path, case id).
async fn posted_case(app: &TestApp) -> (String, String) {
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let res = admin.post("/cases", json!({"household_id": h["id"], "kind": "removal", "reason": "识别不准"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let case = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for (step, outcome) in [("village_evaluation", "approved"), ("acknowledgement", "done"), ("publicity", "done")] {
        let res = admin.post(&format!("/cases/{case}/steps"), json!({"step": step, "outcome": outcome, "date": today(), "signatories": crate::procedures::signed()})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    (format!("/households/{}", h["id"].as_str().unwrap()), case)
}

async fn document(api: &Api, path: &str, kind: &str, file: Vec<u8>) -> String {
    let res = upload(api, path, json!({"kind": kind}), file, "f").await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn the_signed_list_and_a_photo_of_it_posted_are_attached_to_the_publicity() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, case) = posted_case(&app).await;
    let list = document(&admin, &path, "publicity_list", pdf(1)).await;
    let res = admin.post(&format!("/cases/{case}/documents"), json!({"document_id": list, "step": "publicity"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let linked: Value = res.json().await.unwrap();
    assert_eq!((linked["step"].as_str(), linked["step_date"].as_str(), linked["flag"].as_str()), (Some("publicity"), Some(today().as_str()), None));
    assert_eq!(linked["document"]["kind"], "publicity_list");

    // Photographed on the posting day: fine. A month before: it cannot show the list posted.
    let on_the_day = document(&admin, &path, "publicity_photo", photo_taken(&format!("{} 18:30:00", today().replace('-', ":")))).await;
    let res = admin.post(&format!("/cases/{case}/documents"), json!({"document_id": on_the_day, "step": "publicity"})).await;
    let linked: Value = res.json().await.unwrap();
    assert_eq!((linked["exif_taken_on"].as_str(), linked["flag"].as_str()), (Some(today().as_str()), None));
    let early = document(&admin, &path, "publicity_photo", photo_taken("2026:11:01 10:00:00")).await;
    let res = admin.post(&format!("/cases/{case}/documents"), json!({"document_id": early, "step": "publicity"})).await;
    assert_eq!(res.status(), 201);
    let linked: Value = res.json().await.unwrap();
    assert_eq!((linked["exif_taken_on"].as_str(), linked["flag"].as_str()), (Some("2026-11-01"), Some("taken_before_posting")));
    // Attached again: the first attachment.
    let res = admin.post(&format!("/cases/{case}/documents"), json!({"document_id": early})).await;
    assert_eq!(res.status(), 200);
    let all: Value = admin.get(&format!("/cases/{case}/documents")).await.json().await.unwrap();
    let flags: Vec<Option<&str>> = all["items"].as_array().unwrap().iter().map(|d| d["flag"].as_str()).collect();
    assert_eq!(flags, vec![None, None, Some("taken_before_posting")]);
}

#[actix_web::test]
async fn attaching_refuses_other_households_unrecorded_steps_and_roles_that_record_no_step() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, case) = posted_case(&app).await;
    let mine = document(&admin, &path, "meeting_minutes", pdf(1)).await;
    let other = format!("/households/{}", app.household_in(VILLAGE, 2).await["id"].as_str().unwrap());
    let theirs = document(&admin, &other, "meeting_minutes", pdf(2)).await;
    for (body, field) in [
        (json!({"document_id": theirs}), "other_household"),
        (json!({"document_id": mine, "step": "announcement"}), "not_recorded"),
        (json!({"document_id": mine, "step": "posted"}), "step"),
        (json!({"document_id": uuid::Uuid::now_v7().to_string()}), "document_id"),
        (json!({"document_id": "x"}), "document_id"),
        (json!({}), "document_id"),
    ] {
        let res = admin.post(&format!("/cases/{case}/documents"), body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        assert!(problem(res).await.to_string().contains(field), "{body}: {field}");
    }
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.post(&format!("/cases/{case}/documents"), json!({"document_id": mine})).await.status(), 403);
    assert_eq!(auditor.get(&format!("/cases/{case}/documents")).await.status(), 200);
    let outsider = app.user("county_admin", "340323000000").await;
    assert_eq!(outsider.post(&format!("/cases/{case}/documents"), json!({"document_id": mine})).await.status(), 404);
    assert_eq!(outsider.get(&format!("/cases/{case}/documents")).await.status(), 404);
    let listed: Value = admin.get(&format!("/cases/{case}/documents")).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty(), "nothing attached by the refusals");
}

#[actix_web::test]
async fn the_scan_of_the_application_attached_stands_for_the_note_on_where_it_is_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["category"] = "ordinary".into();
    let h: Value = admin.post("/households", body).await.json().await.unwrap();
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let res = admin.post("/cases", json!({"household_id": h["id"], "kind": "inclusion", "reason": "因病致贫", "risk_types": ["illness"], "target_category": "monitored_marginal"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let case = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let step = json!({"step": "application", "outcome": "done", "date": today()});
    let res = admin.post(&format!("/cases/{case}/steps"), step.clone()).await;
    assert_eq!(res.status(), 422, "neither the scan nor a note");
    assert!(problem(res).await.to_string().contains("note"));
    // Minutes are not the application.
    let minutes = document(&admin, &path, "meeting_minutes", pdf(1)).await;
    assert_eq!(admin.post(&format!("/cases/{case}/documents"), json!({"document_id": minutes})).await.status(), 201);
    assert_eq!(admin.post(&format!("/cases/{case}/steps"), step.clone()).await.status(), 422);
    let scan = document(&admin, &path, "application", pdf(2)).await;
    assert_eq!(admin.post(&format!("/cases/{case}/documents"), json!({"document_id": scan})).await.status(), 201);
    let res = admin.post(&format!("/cases/{case}/steps"), step).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}
