//! A cadre keeps reading the households they were paired with (their record, photos, file: the
//! work they did), but a list, a feed or an export is of the current jurisdiction only. Walks
//! every list-like read of the OpenAPI document (through the authorization matrix, so a new one is
//! walked too) as the cadre while paired, then after the pairing ended: every read that showed the
//! household (by id, number or head's name, inside workbooks and zips too) shows it no more.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::disclosure::answer_text;
use crate::helpers::*;
use crate::matrix::{Row, check_complete, inside, table};

/// A read of the household's own records, named by an id in the path or the query: where the
/// former pairing still reads.
fn own_record(template: &str, path: &str) -> bool {
    ["/api/v1/households/{id}", "/api/v1/photos/{id}", "/api/v1/documents/{id}", "/api/v1/locations/{id}", "/api/v1/cases/{id}"].iter().any(|t| template.starts_with(t)) || path.contains("household_id=")
}

/// The list-like reads whose answer (unpacked) names the household.
async fn showing(cadre: &Api, table: &[Row], marks: &[String]) -> (BTreeSet<String>, usize) {
    let mut shown = BTreeSet::new();
    let mut walked = 0;
    for (method, template, path, ..) in table {
        if *method != "GET" || path.is_empty() || own_record(template, path) {
            continue;
        }
        walked += 1;
        let (status, text) = answer_text(cadre.get(path).await).await;
        if (200..300).contains(&status) && marks.iter().any(|m| text.contains(m.as_str())) {
            shown.insert(format!("{template} ({path})"));
        }
    }
    (shown, walked)
}

#[actix_web::test]
async fn no_list_feed_or_export_shows_a_formerly_paired_household_to_its_cadre() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let admin = app.admin().await;
    let cadre = i.cadre_api.clone();
    let table = table(&i);
    check_complete(&table);
    let h: Value = admin.get(&format!("/households/{}", i.household)).await.json().await.unwrap();
    let marks = vec![i.household.clone(), h["number"].as_str().unwrap().to_owned(), h["head_name"].as_str().unwrap().to_owned()];

    // While paired: the lists, feeds and exports that show the household (so the walk can fail).
    let (before, walked) = showing(&cadre, &table, &marks).await;
    assert!(walked >= 30, "the walk covers the lists of the document: {walked}");
    for expected in ["/api/v1/households (", "/api/v1/sync ("] {
        assert!(before.iter().any(|s| s.starts_with(expected)), "{expected} shows the paired household: {before:#?}");
    }

    let res = admin.patch(&format!("/pairings/{}", i.pairing), json!({"end_date": "2026-05-01", "end_reason": "工作调动"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(cadre.get(&format!("/households/{}", i.household)).await.status(), 200, "the former pairing still reads the record");

    let (after, _) = showing(&cadre, &table, &marks).await;
    assert!(after.is_empty(), "lists showing the formerly paired household (shown while paired: {} reads): {after:#?}", before.len());
}
