//! Every answer that hands over a household's scans as a file (a document's content, a
//! household's or a village's archive) leaves an entry in the read log naming the household:
//! scans of applications, 明白卡 and collection forms show full ID and phone numbers on paper.
//! Walks every GET of the OpenAPI document (through the authorization matrix, so a new download is
//! walked too) as the county admin and as a village officer (who sees numbers masked, but not the
//! paper). Any answer that is neither JSON, CSV nor a workbook counts as a file, whatever its type
//! (a scan may be a JPEG); only the photo routes (`/photos/…`: the home and the family, reviewed
//! by the hundred in the queue) are left out, as SECURITY.md says.

use std::collections::BTreeSet;
use std::time::Duration;

use diesel::prelude::*;

use crate::helpers::*;
use crate::matrix::{check_complete, inside, table};

/// The households named by `actor`'s read-log entries so far (after the background writer has
/// caught up).
fn logged(app: &TestApp, actor: &str) -> Vec<String> {
    use fangpin::db::schema::audit_log as a;
    assert!(app.state.read_log.flush(Duration::from_secs(5)), "the read log caught up");
    let mut c = app.state.db.conn().unwrap();
    a::table.filter(a::action.eq("read")).filter(a::actor_id.eq(actor)).select(a::household_id).load::<Option<String>>(&mut *c).unwrap().into_iter().flatten().collect()
}

/// An answer that is a file (not JSON of any kind — GeoJSON, problem+json —, CSV or a workbook of
/// a list).
fn a_file(content_type: &str) -> bool {
    let json = content_type.split(';').next().is_some_and(|t| t.trim() == "application/json" || t.trim().ends_with("+json"));
    !json && !["text/csv", "application/vnd.openxmlformats"].iter().any(|t| content_type.starts_with(t))
}

#[actix_web::test]
async fn every_download_of_a_households_scans_is_in_the_read_log_naming_the_household() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let table = table(&i);
    check_complete(&table);
    for reader in [app.admin().await, app.user("village_officer", VILLAGE).await] {
        let mut files = BTreeSet::new();
        let mut unlogged = Vec::new();
        for (method, template, path, ..) in &table {
            if *method != "GET" || template.starts_with("/api/v1/photos") || path.is_empty() {
                continue;
            }
            let before = logged(&app, &reader.user_id).iter().filter(|h| **h == i.household).count();
            let res = reader.get(path).await;
            let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let ok = res.status().is_success();
            let _ = res.bytes().await;
            if !ok || !a_file(&ct) {
                continue;
            }
            files.insert(template.to_string());
            let after = logged(&app, &reader.user_id).iter().filter(|h| **h == i.household).count();
            if after <= before {
                unlogged.push(format!("{template} ({ct})"));
            }
        }
        for expected in ["/api/v1/documents/{id}/content", "/api/v1/households/{id}/archive.zip", "/api/v1/villages/{code}/archive.zip"] {
            assert!(files.contains(expected), "the walk downloads {expected}: {files:?}");
        }
        assert!(unlogged.is_empty(), "downloads of scans without a read-log entry naming the household: {unlogged:?}");
    }
}
