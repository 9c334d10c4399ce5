//! Personal data at rest, as a property of every test: when a `TestApp` is dropped by a test
//! that passed, every table and column of its database (SQLite or its PostgreSQL schema), every
//! file of its data folder (the SQLite files, secrets, spooled uploads, a local object store) and
//! every object of a memory store is scanned for an ID number or a mobile phone number in clear
//! (`find_in_clear`). A new table, column, kept answer or file that stores them fails the test that
//! wrote it. The detector looks for the shapes, not for a list of the suite's values: an
//! 18-character ID number with a valid MOD 11-2 check character and a real birth date, and a
//! mainland mobile number `1[3-9]` + 9 digits, each a whole run of letters and digits (so hashes,
//! UUIDs, base64 and 12- or 16-digit division and household codes do not match).
//!
//! Also here: the files of the data folder are the owner's only, and kept idempotent answers are
//! sealed but still replay.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;
use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::helpers::*;

/// Each ID number or phone number in `text`, as it appears.
pub fn personal_numbers(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for run in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = run.as_bytes();
        let id = b.len() == 18
            && b[..17].iter().all(u8::is_ascii_digit)
            && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
            && fangpin::domain::id_number::check_char(&b[..17]) == (b[17] as char).to_ascii_uppercase()
            && chrono::NaiveDate::parse_from_str(&run[6..14], "%Y%m%d").is_ok_and(|d| (1890..=2100).contains(&chrono::Datelike::year(&d)));
        let phone = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit);
        if id || phone {
            found.push(run.to_owned());
        }
    }
    found
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    v: Option<String>,
}

/// Every (table, column) of the app's database with each value as text (blobs decoded lossily).
pub(crate) fn database_cells(app: &TestApp) -> Result<Vec<(String, String, String)>, String> {
    if let Some((url, schema)) = app.pg_schema() {
        // A connection of its own, not the app's pool: a test may have pointed the app at a
        // database that is down, or behind a proxy running on the runtime this drop blocks.
        let mut c = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
        diesel::sql_query(format!("SET search_path TO {schema}")).execute(&mut c).map_err(|e| e.to_string())?;
        let columns: Vec<Column> = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type \
             FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        )
        .load(&mut c)
        .map_err(|e| e.to_string())?;
        let mut cells = Vec::new();
        for col in columns {
            let (table, column) = (&col.table_name, &col.column_name);
            let blob = col.data_type == "bytea";
            let expr = if blob { format!("encode(\"{column}\", 'hex')") } else { format!("\"{column}\"::text") };
            let rows: Vec<Cell> = diesel::sql_query(format!("SELECT {expr} AS v FROM \"{table}\"")).load(&mut c).map_err(|e| format!("{table}.{column}: {e}"))?;
            for v in rows.into_iter().filter_map(|r| r.v) {
                let text = if blob { String::from_utf8_lossy(&hex::decode(&v).unwrap_or_default()).into_owned() } else { v };
                cells.push((table.clone(), column.clone(), text));
            }
        }
        return Ok(cells);
    }
    let mut c = app.state.db.conn().map_err(|e| format!("{e}"))?;
    let tables: Vec<Name> = diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(&mut *c).map_err(|e| e.to_string())?;
    let mut cells = Vec::new();
    for t in tables {
        let columns: Vec<Name> = diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name)).load(&mut *c).map_err(|e| e.to_string())?;
        for col in columns {
            // hex() of any SQLite value: the bytes of a blob, the text of anything else.
            let rows: Vec<Cell> = diesel::sql_query(format!("SELECT hex(\"{}\") AS v FROM \"{}\"", col.name, t.name)).load(&mut *c).map_err(|e| format!("{}.{}: {e}", t.name, col.name))?;
            for v in rows.into_iter().filter_map(|r| r.v) {
                cells.push((t.name.clone(), col.name.clone(), String::from_utf8_lossy(&hex::decode(&v).unwrap_or_default()).into_owned()));
            }
        }
    }
    Ok(cells)
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Where the app keeps an ID or phone number in clear: `place: value` for each, none if clean.
pub fn find_in_clear(app: &TestApp) -> Vec<String> {
    let mut hits = Vec::new();
    match database_cells(app) {
        Ok(cells) => {
            for (table, column, text) in cells {
                hits.extend(personal_numbers(&text).into_iter().map(|v| format!("table {table}, column {column}: {v}")));
            }
        }
        // A test of a dead database: nothing to read, its files are still scanned.
        Err(e) => eprintln!("at-rest scan: database not readable ({e})"),
    }
    let mut files = Vec::new();
    files_under(app.data_dir.path(), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        // What surrounds the number, so a failure shows what wrote it.
        let around = |v: &str| {
            let at = text.find(v).unwrap_or(0);
            let (from, to) = (text.floor_char_boundary(at.saturating_sub(60)), text.ceil_char_boundary((at + v.len() + 60).min(text.len())));
            format!("{:?}", &text[from..to])
        };
        hits.extend(personal_numbers(&text).into_iter().map(|v| format!("file {}: {v} in {}", f.display(), around(&v))));
    }
    // The memory store answers at once; a remote one (S3) is not scanned here.
    if app.state.storage.kind() == fangpin::storage::StorageKind::Memory {
        let keys = app.state.storage.list("").now_or_never().and_then(Result::ok).unwrap_or_default();
        for (key, _) in keys {
            let bytes = app.state.storage.get(&key).now_or_never().and_then(Result::ok).unwrap_or_default();
            hits.extend(personal_numbers(&String::from_utf8_lossy(&bytes)).into_iter().map(|v| format!("object {key}: {v}")));
        }
    }
    hits
}

#[test]
fn the_detector_finds_id_and_phone_numbers_and_nothing_else() {
    let id = id_number(7);
    let lower_x = (1..).map(id_number).find(|n| n.ends_with('X')).unwrap().to_lowercase();
    let lower_x = lower_x.as_str();
    for (text, expected) in [
        (format!("{{\"id_number\":\"{id}\"}}"), vec![id.clone()]),
        (format!("head {lower_x}; phone 13987654321."), vec![lower_x.to_owned(), "13987654321".to_owned()]),
        (format!("<c>{}</c>", &id), vec![id.clone()]),
    ] {
        assert_eq!(personal_numbers(&text), expected, "{text}");
    }
    let mut wrong_check = id.clone().into_bytes();
    wrong_check[17] = if wrong_check[17] == b'0' { b'1' } else { b'0' };
    for clean in [
        String::from_utf8(wrong_check).unwrap(),             // not a valid ID number
        format!("610831********{}", &id[14..]),              // masked
        "138****5678".to_owned(),
        "12345678901".to_owned(),                            // not a mobile prefix
        "610831101201".to_owned(),                           // a village code
        "6108311012010001".to_owned(),                       // a household code
        format!("a{id}"),                                    // part of a longer run (base64, hex)
        "019a4c3e-1b2d-7e4f-8a9b-13987654321f".to_owned(),   // inside a UUID
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned(),
        "2026-11-27 15:39:53.123456".to_owned(),
    ] {
        assert!(personal_numbers(&clean).is_empty(), "{clean} is not personal");
    }
}

#[actix_web::test]
async fn a_number_written_in_clear_anywhere_is_found() {
    // The scan itself, against a planted value in each kind of place it looks.
    let app = spawn_app().await;
    assert_eq!(find_in_clear(&app), Vec::<String>::new(), "a fresh app holds no personal number");
    let mut c = app.state.db.conn().unwrap();
    diesel::sql_query(format!("UPDATE divisions SET name = 'x {} x' WHERE code = '{VILLAGE}'", id_number(3))).execute(&mut *c).unwrap();
    drop(c);
    std::fs::write(app.data_dir.path().join("tmp").join("left-over"), b"tel:13512345678").unwrap();
    app.state.storage.put("photos/h/p/original.jpg", bytes::Bytes::from_static(b"\xff\xd8 13612345678 \xff\xd9")).await.unwrap();
    let hits = find_in_clear(&app).join("\n");
    assert!(hits.contains(&format!("table divisions, column name: {}", id_number(3))), "{hits}");
    assert!(hits.contains("left-over: 13512345678 in \"tel:13512345678\""), "a file's hit shows what surrounds it: {hits}");
    if !backend_is_postgres() {
        assert!(hits.contains(&format!("fangpin.db-wal: {}", id_number(3))) || hits.contains(&format!("fangpin.db: {}", id_number(3))), "{hits}");
    }
    if app.state.storage.kind() == fangpin::storage::StorageKind::Memory {
        assert!(hits.contains("object photos/h/p/original.jpg: 13612345678"), "{hits}");
    }
    // Cleaned up, so the scan when this app is dropped passes.
    let mut c = app.state.db.conn().unwrap();
    diesel::sql_query(format!("UPDATE divisions SET name = 'x' WHERE code = '{VILLAGE}'")).execute(&mut *c).unwrap();
    if !backend_is_postgres() {
        diesel::sql_query("VACUUM").execute(&mut *c).unwrap();
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *c).unwrap();
    }
    drop(c);
    std::fs::remove_file(app.data_dir.path().join("tmp").join("left-over")).unwrap();
    app.state.storage.delete("photos/h/p/original.jpg").await.unwrap();
}

#[actix_web::test]
async fn kept_idempotent_answers_are_sealed_and_still_replay() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(41, "head"), (42, "spouse")]);
    body["members"][0]["phone"] = json!("13987654341");
    let send = || admin.client.post(format!("{}/households", admin.base)).bearer_auth(&admin.token).header("Idempotency-Key", "at-rest-1").json(&body).send();
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["members"][0]["id_number"], id_number(41), "the county admin's answer carries the full number");
    assert_eq!(find_in_clear(&app), Vec::<String>::new(), "the kept answer is sealed");
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    assert!(again.headers().get("location").is_some(), "kept headers replay too");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
}

#[actix_web::test]
async fn a_kept_answer_that_does_not_unseal_counts_as_absent() {
    // An answer kept before answers were sealed (or under another data key): the retry runs
    // the request again instead of replaying or failing.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 43).await;
    let send = || {
        admin.client.post(format!("{}/households/{}/measures", admin.base, h["id"].as_str().unwrap())).bearer_auth(&admin.token).header("Idempotency-Key", "at-rest-2").json(&json!({
            "kind": "industry", "title": "养殖", "start_date": "2026-01-20"
        })).send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201, "{}", first.text().await.unwrap());
    let mut c = app.state.db.conn().unwrap();
    let n = diesel::sql_query("UPDATE idempotency_keys SET body = NULL, headers_json = '[]'").execute(&mut *c).unwrap();
    assert_eq!(n, 1);
    drop(c);
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201, "run again: {}", again.text().await.unwrap());
    let list: Value = admin.get(&format!("/households/{}/measures", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "the unreadable answer was not replayed");
}

/// Every file and folder under `dir` that grants group or others anything.
#[cfg(unix)]
fn open_to_others(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode();
    if mode & 0o077 != 0 {
        out.push(format!("{} {:o}", dir.display(), mode & 0o777));
    }
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(open_to_others(&path));
        } else {
            let mode = entry.metadata().unwrap().permissions().mode();
            if mode & 0o077 != 0 {
                out.push(format!("{} {:o}", path.display(), mode & 0o777));
            }
        }
    }
    out
}

#[cfg(unix)]
#[actix_web::test]
async fn the_data_folder_is_the_owners_only_whatever_the_umask() {
    // A permissive umask (the one a careless service unit may set) while the app starts and
    // stores a photo: the modes must not follow it.
    let previous = unsafe { libc_umask(0o000) };
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let app = spawn_with(|s| {
        s.data_dir = data.clone();
        s.storage = fangpin::storage::StorageKind::Local;
        s.storage_dir = None;
    })
    .await;
    let admin = app.admin().await;
    let path = crate::photos::located_household(&app, 44).await;
    let res = crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(44, None)).await;
    unsafe { libc_umask(previous) };
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let mut files = Vec::new();
    files_under(&data, &mut files);
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["jwt.secret", "data.key", "original.jpg", "thumb.jpg"] {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    if !backend_is_postgres() {
        assert!(names.iter().any(|n| n == "fangpin.db") && names.iter().any(|n| n == "fangpin.db-wal"), "{names:?}");
    }
    assert_eq!(open_to_others(&data), Vec::<String>::new());
}

#[cfg(unix)]
#[actix_web::test]
async fn a_data_folder_left_open_by_an_older_install_is_closed_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    std::fs::create_dir_all(data.join("objects").join("photos")).unwrap();
    std::fs::write(data.join("jwt.secret"), crate::helpers::PASSWORD.repeat(4)).unwrap();
    for (path, mode) in [(data.clone(), 0o755), (data.join("objects"), 0o755), (data.join("jwt.secret"), 0o644)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let app = spawn_with(|s| {
        s.data_dir = data.clone();
        s.storage = fangpin::storage::StorageKind::Local;
    })
    .await;
    let open: Vec<String> = open_to_others(&data);
    // Objects written before stay as they were inside a folder nobody else can enter.
    assert_eq!(open, vec![format!("{} 755", data.join("objects").join("photos").display())]);
    drop(app);
}

/// The process umask (a test sets it around building an app; only this test changes it).
#[cfg(unix)]
unsafe fn libc_umask(mask: u32) -> u32 {
    unsafe extern "C" {
        fn umask(mask: u32) -> u32;
    }
    unsafe { umask(mask) }
}
