//! A cadre keeps reading the households they were paired with (their record, photos, file: the
//! work they did), but a list, a feed or an export is of the current jurisdiction only. Walks
//! every list-like read of the OpenAPI document (through the authorization matrix, so a new one is
//! walked too): after the pairing ended, none of them shows the household to the cadre.

use serde_json::json;

use crate::helpers::*;
use crate::matrix::{call, check_complete, inside, table};

/// A read of one record or of one household's records, named by its id in the path or the query
/// (`/pairings?household_id=`): where the former pairing still reads.
fn single_record(template: &str, path: &str) -> bool {
    template.contains("{id}") || template.contains("{household_id}") || template.contains("{member_id}") || path.contains("household_id=")
}

#[actix_web::test]
async fn no_list_feed_or_export_shows_a_formerly_paired_household_to_its_cadre() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let admin = app.admin().await;
    let cadre = i.cadre_api.clone();
    let table = table(&i);
    check_complete(&table);
    // Before: the cadre's lists show the household (so the walk below can fail).
    let (status, text) = call(&cadre, "GET", &format!("/households?division={}", i.village), &json!({})).await;
    assert!(status == 200 && text.contains(&i.household), "{status} {text}");

    let res = admin.patch(&format!("/pairings/{}", i.pairing), json!({"end_date": "2026-05-01", "end_reason": "工作调动"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (status, _) = call(&cadre, "GET", &format!("/households/{}", i.household), &json!({})).await;
    assert_eq!(status, 200, "the former pairing still reads the record");

    let mut shown = Vec::new();
    let mut walked = 0;
    for (method, template, path, body, ..) in &table {
        if *method != "GET" || single_record(template, path) {
            continue;
        }
        walked += 1;
        let (status, text) = call(&cadre, method, path, body).await;
        if (200..300).contains(&status) && text.contains(&i.household) {
            shown.push(format!("{template} ({path})"));
        }
    }
    assert!(walked >= 30, "the walk covers the lists of the document: {walked}");
    assert!(shown.is_empty(), "lists showing the formerly paired household: {shown:#?}");
}
