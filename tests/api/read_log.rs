//! Every answer that hands over a household's scans as a file (a document's content, a
//! household's or a village's archive) leaves an entry in the read log: scans of applications,
//! 明白卡 and collection forms show full ID and phone numbers on paper. Walks every GET of the
//! OpenAPI document (through the authorization matrix, so a new download is walked too) as the
//! county admin and as a village officer (who sees numbers masked, but not the paper); photos (`image/jpeg`: the home and the family, reviewed by the hundred in the
//! queue) are the one kind of file left out, as SECURITY.md says.

use std::time::Duration;

use diesel::prelude::*;
use crate::helpers::*;
use crate::matrix::{check_complete, inside, table};

/// Read-log entries of `actor` so far.
fn reads(app: &TestApp, actor: &str) -> i64 {
    use fangpin::db::schema::audit_log as a;
    let mut c = app.state.db.conn().unwrap();
    a::table.filter(a::action.eq("read")).filter(a::actor_id.eq(actor)).count().get_result(&mut *c).unwrap()
}

/// Files that may carry a scan: everything but JSON, CSV, workbooks of lists and photos.
fn a_file_of_scans(content_type: &str) -> bool {
    ["application/pdf", "image/png", "application/zip", "application/octet-stream"].iter().any(|t| content_type.starts_with(t))
}

#[actix_web::test]
async fn every_download_of_a_households_scans_is_in_the_read_log() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let table = table(&i);
    check_complete(&table);
    for reader in [app.admin().await, app.user("village_officer", VILLAGE).await] {
        walk(&app, &reader, &table).await;
    }
}

async fn walk(app: &TestApp, admin: &Api, table: &[crate::matrix::Row]) {
    let (mut files, mut unlogged) = (Vec::new(), Vec::new());
    for (method, template, path, ..) in table {
        if *method != "GET" {
            continue;
        }
        let before = reads(app, &admin.user_id);
        let res = admin.get(path).await;
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let ok = res.status().is_success();
        let _ = res.bytes().await;
        if !ok || !a_file_of_scans(&ct) {
            continue;
        }
        files.push(template.to_string());
        // Written in the background within a moment.
        let mut logged = false;
        for _ in 0..30 {
            if reads(app, &admin.user_id) > before {
                logged = true;
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        if !logged {
            unlogged.push(format!("{template} ({ct})"));
        }
    }
    for expected in ["/api/v1/documents/{id}/content", "/api/v1/households/{id}/archive.zip", "/api/v1/villages/{code}/archive.zip"] {
        assert!(files.iter().any(|f| f == expected), "the walk downloads {expected}: {files:?}");
    }
    assert!(unlogged.is_empty(), "downloads of scans not in the read log: {unlogged:?}");
}
