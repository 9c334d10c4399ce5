//! The household file 一户一档: documents known by their bytes, one row per distinct file,
//! completeness against the checklist, bad uploads leaving nothing behind, and the archive of a
//! household and of a village as a zip whose files are the stored bytes.

use std::io::Read;

use calamine::{Data, Reader, Xlsx};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) fn pdf(seed: u32) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% scan {seed}\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

fn png(seed: u8) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(std::iter::repeat_n(seed, 64));
    b
}

/// Uploads `file` as a document of `kind` for the household at `path` (`/households/{id}`).
pub(crate) async fn upload(api: &Api, path: &str, meta: Value, file: Vec<u8>, name: &str) -> reqwest::Response {
    let form = Form::new().part("meta", Part::bytes(meta.to_string().into_bytes()).file_name("meta.json")).part("file", Part::bytes(file).file_name(name.to_owned()));
    api.client.post(format!("{}{path}/documents", api.base)).bearer_auth(&api.token).multipart(form).send().await.unwrap()
}

async fn rows(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut c = app.state.db.conn().unwrap();
    fangpin::db::schema::documents::table.count().get_result(&mut *c).unwrap()
}

async fn objects(app: &TestApp) -> usize {
    app.state.storage.list("documents").await.unwrap().len()
}

async fn household(app: &TestApp, village: &str, n: u32) -> String {
    format!("/households/{}", app.household_in(village, n).await["id"].as_str().unwrap())
}

#[actix_web::test]
async fn a_lifted_out_households_file_is_complete_with_its_form_and_its_card() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let file: Value = admin.get(&format!("{path}/documents?year=2026")).await.json().await.unwrap();
    assert_eq!(file["complete"], false);
    assert_eq!(file["missing"], json!(["information_form", "pairing_card"]));

    let res = upload(&admin, &path, json!({"kind": "information_form", "year": 2026}), pdf(1), "采集表.pdf").await;
    assert_eq!(res.status(), 201);
    let form: Value = res.json().await.unwrap();
    assert_eq!((form["media_type"].as_str(), form["kind"].as_str(), form["year"].as_i64()), (Some("application/pdf"), Some("information_form"), Some(2026)));
    let res = upload(&admin, &path, json!({"kind": "pairing_card", "year": 2026}), png(7), "card.png").await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["media_type"], "image/png");
    // A document of another year does not count for this one.
    assert_eq!(upload(&admin, &path, json!({"kind": "commitment", "year": 2025}), pdf(2), "c.pdf").await.status(), 201);

    let file: Value = admin.get(&format!("{path}/documents?year=2026")).await.json().await.unwrap();
    assert_eq!((file["complete"].as_bool(), file["missing"].as_array().unwrap().len(), file["items"].as_array().unwrap().len()), (Some(true), 0, 2));
    let last: Value = admin.get(&format!("{path}/documents?year=2025")).await.json().await.unwrap();
    assert_eq!((last["complete"].as_bool(), last["items"].as_array().unwrap().len()), (Some(false), 1));

    // The bytes come back as stored, as an attachment that cannot run in the console's origin.
    let res = admin.client.get(format!("{}/documents/{}/content", admin.base, form["id"].as_str().unwrap())).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["content-security-policy"], "sandbox");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf(1));
}

#[actix_web::test]
async fn the_same_file_sent_again_is_the_same_document() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let first: Value = upload(&admin, &path, json!({"kind": "application"}), pdf(1), "a.pdf").await.json().await.unwrap();
    let res = upload(&admin, &path, json!({"kind": "application"}), pdf(1), "again.pdf").await;
    assert_eq!(res.status(), 200, "a retry is answered with the document filed");
    assert_eq!(res.json::<Value>().await.unwrap()["id"], first["id"]);
    // The same file as another kind or year is not silently the first: it says how it is filed.
    let year = first["year"].as_i64().unwrap();
    for meta in [json!({"kind": "other"}), json!({"kind": "application", "year": year - 1})] {
        let res = upload(&admin, &path, meta.clone(), pdf(1), "again.pdf").await;
        assert_eq!(res.status(), 409, "{meta}");
        let p = problem(res).await;
        assert_eq!(p["code"], "filed_already");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("application") && detail.contains(&year.to_string()) && detail.contains(first["id"].as_str().unwrap()), "{detail}");
    }
    assert_eq!((rows(&app).await, objects(&app).await), (1, 1));
    // Another household may file the same scan (a village's signed publicity list, say).
    let other = household(&app, VILLAGE, 2).await;
    assert_eq!(upload(&admin, &other, json!({"kind": "publicity_list"}), pdf(1), "a.pdf").await.status(), 201);
    assert_eq!((rows(&app).await, objects(&app).await), (2, 2));
}

#[actix_web::test]
async fn bad_documents_are_refused_and_leave_nothing_behind() {
    let app = spawn_with(|s| s.document_max_bytes = 4096).await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let cases: Vec<(Value, Vec<u8>, &str, u16, &str)> = vec![
        // A Word file, a web page and a GIF named .pdf: the bytes decide, not the name.
        (json!({"kind": "application"}), b"PK\x03\x04\x14\0\x06\0 word/document.xml".to_vec(), "申请书.pdf", 415, "unsupported"),
        (json!({"kind": "application"}), b"<html><script>alert(1)</script>%PDF-1.4".to_vec(), "x.pdf", 415, "unsupported"),
        (json!({"kind": "application"}), b"GIF89a\x01\0\x01\0".to_vec(), "x.png", 415, "unsupported"),
        (json!({"kind": "application"}), { let mut b = pdf(1); b.resize(5000, b' '); b }, "big.pdf", 413, "too large"),
        (json!({"kind": "application"}), Vec::new(), "empty.pdf", 422, "file"),
        (json!({"kind": "passport"}), pdf(1), "a.pdf", 422, "meta.kind"),
        (json!({}), pdf(1), "a.pdf", 422, "meta.kind"),
        (json!({"kind": "application", "year": 1999}), pdf(1), "a.pdf", 422, "meta.year"),
        (json!({"kind": "application", "year": 2999}), pdf(1), "a.pdf", 422, "meta.year"),
    ];
    for (meta, file, name, status, says) in cases {
        let res = upload(&admin, &path, meta.clone(), file, name).await;
        assert_eq!(res.status(), status, "{meta} {name}");
        let text = res.text().await.unwrap();
        assert!(text.to_lowercase().contains(says), "{meta} {name}: {text}");
    }
    // JSON instead of multipart; the file before the meta.
    assert_eq!(admin.post(&format!("{path}/documents"), json!({"kind": "application"})).await.status(), 415);
    let form = Form::new().part("file", Part::bytes(pdf(1)).file_name("a.pdf")).part("meta", Part::bytes(b"{\"kind\":\"application\"}".to_vec()));
    let res = admin.client.post(format!("{}{path}/documents", admin.base)).bearer_auth(&admin.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!((rows(&app).await, objects(&app).await), (0, 0));
}

#[actix_web::test]
async fn documents_are_kept_within_the_jurisdiction_and_auditors_only_read() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    let doc: Value = upload(&admin, &path, json!({"kind": "application"}), pdf(1), "a.pdf").await.json().await.unwrap();
    let doc_path = format!("/documents/{}", doc["id"].as_str().unwrap());
    let outsider = app.user("county_admin", "340323000000").await;
    let neighbour = app.user("village_officer", VILLAGE_2).await;
    let unpaired = app.cadre_of(&[]).await;
    for api in [&outsider, &neighbour, &unpaired] {
        assert_eq!(api.get(&doc_path).await.status(), 404);
        assert_eq!(api.get(&format!("{doc_path}/content")).await.status(), 404);
        assert_eq!(api.get(&format!("{path}/documents")).await.status(), 404);
        assert_eq!(api.get(&format!("{path}/archive.zip")).await.status(), 404);
        assert_eq!(upload(api, &path, json!({"kind": "other"}), pdf(2), "b.pdf").await.status(), 404);
    }
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.get(&format!("{doc_path}/content")).await.status(), 200);
    // A scan shows full numbers: the auditor's read is in the read log (written within a moment).
    let logged = || {
        use diesel::prelude::*;
        use fangpin::db::schema::audit_log as a;
        let mut c = app.state.db.conn().unwrap();
        a::table.filter(a::action.eq("read")).filter(a::entity_type.eq("document")).filter(a::entity_id.eq(doc["id"].as_str().unwrap())).filter(a::actor_id.eq(&auditor.user_id)).count().get_result::<i64>(&mut *c).unwrap()
    };
    let mut found = 0;
    for _ in 0..50 {
        found = logged();
        if found > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found, 1, "the document's read is logged once");
    assert_eq!(upload(&auditor, &path, json!({"kind": "other"}), pdf(2), "b.pdf").await.status(), 403);
    let paired = app.cadre_of(&[&path]).await;
    assert_eq!(upload(&paired, &path, json!({"kind": "other"}), pdf(3), "c.pdf").await.status(), 201);
    assert_eq!(rows(&app).await, 2);
    // A village of another county, a township, a code that is no code: no archive.
    for code in [OTHER_COUNTY_VILLAGE, TOWNSHIP, "12345"] {
        assert_eq!(admin.get(&format!("/villages/{code}/archive.zip")).await.status(), 404, "{code}");
    }
}

/// The zip's entries: name → bytes.
async fn unzip(res: reqwest::Response) -> Vec<(String, Vec<u8>)> {
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a whole zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

fn sheet(workbook: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(workbook.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    range.rows().map(|r| r.iter().map(|c| if let Data::Empty = c { String::new() } else { c.to_string() }).collect()).collect()
}

#[actix_web::test]
async fn a_households_archive_holds_its_record_documents_and_photos_as_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = crate::photos::located_household(&app, 1).await;
    let id = path.trim_start_matches("/households/");
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let number = h["number"].as_str().unwrap().to_owned();
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.request(reqwest::Method::PUT, &format!("{path}/years/2025"), Some(crate::yearly::record(&member, 3000.0, 1)), None).await.status(), 201);
    let photo = crate::photos::phone_photo(3, Some((crate::photos::LAT, crate::photos::LON)));
    assert_eq!(crate::photos::upload(&admin, &path, &crate::photos::meta("family_at_door"), photo.clone()).await.status(), 201);
    assert_eq!(upload(&admin, &path, json!({"kind": "application", "year": 2026}), pdf(1), "a.pdf").await.status(), 201);
    assert_eq!(upload(&admin, &path, json!({"kind": "application", "year": 2026}), pdf(2), "b.pdf").await.status(), 201);
    let (_, cadre) = app.cadre("刘帮扶").await;
    app.pair(&cadre, id, "2026-01-15").await;

    let entries = unzip(admin.get(&format!("{path}/archive.zip")).await).await;
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let year = chrono::Datelike::year(&chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai));
    assert_eq!(names, vec![
        format!("{number}/{number}-档案.xlsx"),
        format!("{number}/材料/2026-农户申请书-1.pdf"),
        format!("{number}/材料/2026-农户申请书-2.pdf"),
        format!("{number}/照片/{year}-全家在门口-1.jpg"),
    ]);
    assert_eq!(entries[1].1, pdf(1));
    assert_eq!(entries[2].1, pdf(2));
    assert_eq!(entries[3].1, photo, "the photo is the original with its EXIF");

    let book = &entries[0].1;
    let members = sheet(book, "家庭成员");
    let id_col = members[0].iter().position(|c| c == "证件号码").unwrap();
    assert_eq!(members[1][id_col], id_number(1), "the county admin's archive has the full number, as the record has");
    assert!(sheet(book, "年度信息").iter().any(|r| r.contains(&"2025".to_owned())));
    assert_eq!(sheet(book, "结对帮扶")[1][0], "刘帮扶");
    assert_eq!(sheet(book, "材料清单").len(), 3);
    assert_eq!(sheet(book, "照片清单")[1][1], "全家在门口");

    // A village officer reads the same file with masked numbers.
    let officer = app.user("village_officer", VILLAGE).await;
    let entries = unzip(officer.get(&format!("{path}/archive.zip")).await).await;
    let members = sheet(&entries[0].1, "家庭成员");
    assert_ne!(members[1][id_col], id_number(1));
    assert!(members[1][id_col].contains('*'));
}

#[actix_web::test]
async fn a_villages_archive_is_its_households_folders_and_nothing_of_another_village() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = household(&app, VILLAGE, 1).await;
    let b = household(&app, VILLAGE, 2).await;
    let elsewhere = household(&app, VILLAGE_2, 3).await;
    for (i, p) in [&a, &b, &elsewhere].into_iter().enumerate() {
        assert_eq!(upload(&admin, p, json!({"kind": "information_form", "year": 2026}), pdf(i as u32), "f.pdf").await.status(), 201);
    }
    let number = |p: &str| {
        let admin = admin.clone();
        let p = p.to_owned();
        async move { admin.get(&p).await.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned() }
    };
    let (na, nb, ne) = (number(&a).await, number(&b).await, number(&elsewhere).await);
    let entries = unzip(admin.get(&format!("/villages/{VILLAGE}/archive.zip")).await).await;
    let folders: std::collections::BTreeSet<&str> = entries.iter().map(|(n, _)| n.split('/').next().unwrap()).collect();
    assert_eq!(folders, [na.as_str(), nb.as_str()].into_iter().collect());
    assert!(!entries.iter().any(|(n, _)| n.starts_with(&ne)));
    assert_eq!(entries.iter().filter(|(n, _)| n.contains("/材料/")).count(), 2);
    // Numbers are masked in a village's archive, whoever asks.
    let members = sheet(&entries[0].1, "家庭成员");
    let id_col = members[0].iter().position(|c| c == "证件号码").unwrap();
    assert!(members[1][id_col].contains('*'));
}

#[actix_web::test]
async fn a_villages_archive_keeps_every_file_in_order_while_reading_ahead_and_is_cut_short_when_an_object_is_lost() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Four households of three scans each: more files than the archive reads ahead.
    let mut expected: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for n in 1..=4u32 {
        let path = household(&app, VILLAGE, n).await;
        let scans: Vec<Vec<u8>> = (0..3).map(|k| pdf(100 * n + k)).collect();
        for scan in &scans {
            assert_eq!(upload(&admin, &path, json!({"kind": "home_visit_record", "year": 2026}), scan.clone(), "v.pdf").await.status(), 201);
        }
        let number = admin.get(&path).await.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
        expected.push((number, scans));
    }
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    // Files as large as allowed (by their rows): one at a time fits in the archive's memory
    // budget, and the pipeline still moves on in order.
    {
        use diesel::prelude::*;
        use fangpin::db::schema::documents as d;
        let mut c = app.state.db.conn().unwrap();
        diesel::update(d::table).set(d::size_bytes.eq(40 * 1024 * 1024)).execute(&mut *c).unwrap();
    }
    let entries = unzip(admin.get(&format!("/villages/{VILLAGE}/archive.zip")).await).await;
    assert_eq!(entries.len(), 16, "a workbook and three scans per household");
    for (i, (number, scans)) in expected.iter().enumerate() {
        let folder = &entries[4 * i..4 * i + 4];
        assert_eq!(folder[0].0, format!("{number}/{number}-档案.xlsx"), "households in the order of their numbers, the workbook first");
        for (k, scan) in scans.iter().enumerate() {
            assert_eq!(folder[k + 1].0, format!("{number}/材料/2026-入户调查记录-{}.pdf", k + 1));
            assert_eq!(&folder[k + 1].1, scan, "{number}: scan {k} is the stored bytes");
        }
    }

    // A scan is lost from the store: the zip is cut short, never a whole
    // zip without it.
    let (lost, _) = app.state.storage.list("documents").await.unwrap().pop().unwrap();
    app.state.storage.delete(&lost).await.unwrap();
    let res = admin.get(&format!("/villages/{VILLAGE}/archive.zip")).await;
    assert_eq!(res.status(), 200, "the answer began before the loss was met");
    match res.bytes().await {
        Err(_) => {}
        Ok(bytes) => assert!(zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).is_err(), "a zip missing a file must not look whole"),
    }
}

#[actix_web::test]
async fn storage_gc_removes_a_document_object_without_a_row_and_keeps_the_filed_ones() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = household(&app, VILLAGE, 1).await;
    assert_eq!(upload(&admin, &path, json!({"kind": "application"}), pdf(1), "a.pdf").await.status(), 201);
    let orphan = fangpin::storage::keys::document(path.trim_start_matches("/households/"), &uuid::Uuid::now_v7().to_string());
    app.state.storage.put(&orphan, bytes::Bytes::from_static(b"%PDF-1.4 left by a crash")).await.unwrap();
    let report = fangpin::maintenance::storage_gc(&app.state, chrono::Duration::zero(), false).await.unwrap();
    assert_eq!(report.removed, vec![orphan]);
    assert_eq!(objects(&app).await, 1);
}

#[actix_web::test]
async fn coverage_counts_the_households_whose_file_of_the_year_is_complete() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let complete = household(&app, VILLAGE, 1).await;
    let partial = household(&app, VILLAGE, 2).await;
    let elsewhere = household(&app, VILLAGE_2, 3).await;
    for (p, kind, year, seed) in [
        (&complete, "information_form", 2026, 1),
        (&complete, "pairing_card", 2026, 2),
        (&complete, "pairing_card", 2026, 3), // a second card counts once
        (&partial, "information_form", 2026, 4),
        (&partial, "pairing_card", 2025, 5), // last year's card
        (&partial, "application", 2026, 6), // not on a lifted-out household's list
        (&elsewhere, "information_form", 2026, 7),
        (&elsewhere, "pairing_card", 2026, 8),
    ] {
        assert_eq!(upload(&admin, p, json!({"kind": kind, "year": year}), pdf(seed), "f.pdf").await.status(), 201);
    }
    let village: Value = admin.get(&format!("/coverage?division={VILLAGE}&year=2026")).await.json().await.unwrap();
    assert_eq!(village["division"]["files_complete"], 1);
    let township: Value = admin.get(&format!("/coverage?division={TOWNSHIP}&year=2026")).await.json().await.unwrap();
    assert_eq!(township["division"]["files_complete"], 2);
    let child = |code: &str| township["children"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["files_complete"].clone();
    assert_eq!((child(VILLAGE), child(VILLAGE_2)), (json!(1), json!(1)));
    let last_year: Value = admin.get(&format!("/coverage?division={TOWNSHIP}&year=2025")).await.json().await.unwrap();
    assert_eq!(last_year["division"]["files_complete"], 0);
    // A cadre counts only the households paired with them.
    let cadre = app.cadre_of(&[&partial]).await;
    let theirs: Value = cadre.get(&format!("/coverage?division={VILLAGE}&year=2026")).await.json().await.unwrap();
    assert_eq!(theirs["division"]["files_complete"], 0);
}
