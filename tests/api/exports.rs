//! Formula injection: every CSV and workbook the API answers is safe to open in a spreadsheet
//! program. A hostile value (beginning with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! put into every free-text field an export writes (division names, the household number,
//! members' names, the cadre's name, free text of a yearly record, the cells of an imported
//! sheet); every export the OpenAPI document lists (an operation answering `text/csv` or the xlsx
//! media type) is fetched, and every cell is checked: no workbook cell is a formula, no cell
//! begins with a formula character, and each hostile value arrives as `'` + the value (OWASP's
//! rule, `fangpin::xlsx::neutralise`). A new export fails the test until it is listed here.

use std::collections::BTreeSet;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use fangpin::db::schema::divisions;
use serde_json::{Value, json};

use crate::helpers::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What an export's cells are: (export, text of every cell).
type Cells = (String, Vec<String>);

fn begins_a_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn csv_cells(name: &str, bytes: &[u8]) -> Cells {
    let text = std::str::from_utf8(bytes).unwrap().trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let cells = r.records().flat_map(|rec| rec.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect();
    (name.to_owned(), cells)
}

/// Every cell of every sheet; fails on any formula.
fn xlsx_cells(name: &str, bytes: &[u8]) -> Cells {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut cells = Vec::new();
    for sheet in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&sheet).unwrap();
        let f: Vec<&String> = formulas.used_cells().map(|(_, _, f)| f).filter(|f| !f.is_empty()).collect();
        assert!(f.is_empty(), "{name}: sheet {sheet} has formulas {f:?}");
        for (_, _, v) in wb.worksheet_range(&sheet).unwrap().used_cells() {
            match v {
                Data::String(s) => cells.push(s.clone()),
                Data::Float(_) | Data::Int(_) | Data::Empty => {}
                other => panic!("{name}: a cell of sheet {sheet} is {other:?}, neither text nor a number"),
            }
        }
    }
    (name.to_owned(), cells)
}

/// Operations of the document with a CSV or xlsx answer.
fn documented_exports() -> BTreeSet<String> {
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else { continue };
            let media: Vec<&String> = responses.values().filter_map(|r| r.get("content").and_then(Value::as_object)).flat_map(|c| c.keys()).collect();
            if media.iter().any(|m| m.starts_with("text/csv") || m.as_str() == XLSX) {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

async fn bytes(res: reqwest::Response, what: &str, media: &str) -> Vec<u8> {
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = res.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200, "{what}: {}", String::from_utf8_lossy(&body));
    assert!(ct.starts_with(media), "{what}: content-type {ct}");
    body
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

#[actix_web::test]
async fn no_cell_of_any_export_can_be_read_as_a_formula() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    // Division names come from the county's division file (`fangpin divisions import`).
    let (village_name, township_name) = ("=HYPERLINK(\"http://x\")", "\t=1");
    {
        let mut c = app.state.db.conn().unwrap();
        diesel::update(divisions::table.find(VILLAGE)).set(divisions::name.eq(village_name)).execute(&mut *c).unwrap();
        diesel::update(divisions::table.find(TOWNSHIP)).set(divisions::name.eq(township_name)).execute(&mut *c).unwrap();
    }
    // Names may hold no Latin letters or digits; a household number only digits, letters, dashes.
    let (number, head, children) = ("-2-3", "=王建国", ["+王小龙", "-王雅琪", "@王志强"]);
    let body = json!({
        "village_code": VILLAGE, "category": "lifted_out", "origin": "数据迁移", "number": number, "address": "某村三组",
        "members": [
            {"name": head, "id_number": id_number(400), "relation": "head"},
            // Older than the head: each is a problem of the ledger whose detail begins with the name.
            {"name": children[0], "id_number": id_number(10), "relation": "child"},
            {"name": children[1], "id_number": id_number(11), "relation": "child"},
            {"name": children[2], "id_number": id_number(12), "relation": "child"},
        ],
    });
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let h: Value = res.json().await.unwrap();
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    // A member who moved in today: a row of the natural-change ledger 自然增减台账.
    let newcomer = "-王新";
    let res = admin.post(&format!("{path}/members"), json!({"name": newcomer, "id_number": id_number(14), "relation": "other", "join_reason": "moved_in"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let cadre_name = "@SUM(A1)";
    let res = admin.post("/cadres", json!({"name": cadre_name, "work_unit": "-1+1"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let cadre: Value = res.json().await.unwrap();
    app.pair(cadre["id"].as_str().unwrap(), h["id"].as_str().unwrap(), "2026-01-15").await;
    // Free text of the yearly records: a guarantee's reason, last year and this year.
    let mut reasons = Vec::new();
    // This year's income falls below the monitoring line: a row of the screening list 摸排名单.
    for (year, reason, wages) in [(2025, "-2+3", 2000.0), (2026, "\r=1", 0.0)] {
        let mut record = crate::yearly::record(&member, wages, 2);
        record["guarantees"]["food_clothing"] = json!({"ok": false, "reason": reason});
        let res = admin.request(reqwest::Method::PUT, &format!("{path}/years/{year}"), Some(record), None).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        reasons.push(reason);
    }
    assert!(admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await.status().is_success());
    // A problem found by people, its rectification's free text: the ledger and the daily list.
    let (found, measure, responsible) = ("+1 群众反映", "=补齐帮扶措施", "@张三");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    let res = admin.post("/quality/problems", json!({"household_id": h["id"], "source": "complaint", "category": "other", "description": found, "found_by": "-12317", "found_on": today})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let p: Value = res.json().await.unwrap();
    let plan = json!({"measure": measure, "responsible_name": responsible});
    let res = admin.request(reqwest::Method::PUT, &format!("/quality/problems/{}/rectification", p["id"].as_str().unwrap()), Some(plan), Some("\"1\"")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Every export of the API, each with the hostile values it must carry at the start of a cell.
    let mut exports: Vec<(Cells, Vec<&str>)> = Vec::new();
    let mut fetched = BTreeSet::new();
    let ledger_values = vec![village_name, township_name, number, head, cadre_name, children[0], children[1], children[2], found, measure, responsible];
    let res = admin.get(&format!("/quality/problems?division={VILLAGE}&format=csv")).await;
    exports.push((csv_cells("ledger csv", &bytes(res, "ledger csv", "text/csv").await), ledger_values.clone()));
    let res = admin.get(&format!("/quality/problems?division={VILLAGE}&format=xlsx")).await;
    exports.push((xlsx_cells("ledger xlsx", &bytes(res, "ledger xlsx", XLSX).await), ledger_values.clone()));
    fetched.insert("GET /api/v1/quality/problems".to_owned());
    let res = admin.get(&format!("/quality/problems.csv?division={VILLAGE}")).await;
    exports.push((csv_cells("ledger.csv", &bytes(res, "ledger.csv", "text/csv").await), ledger_values.clone()));
    fetched.insert("GET /api/v1/quality/problems.csv".to_owned());
    let res = admin.get(&format!("/quality/problems.xlsx?division={VILLAGE}")).await;
    exports.push((xlsx_cells("ledger.xlsx", &bytes(res, "ledger.xlsx", XLSX).await), ledger_values));
    fetched.insert("GET /api/v1/quality/problems.xlsx".to_owned());
    let res = admin.get(&format!("/quality/daily.xlsx?division={TOWNSHIP}")).await;
    exports.push((xlsx_cells("daily.xlsx", &bytes(res, "daily.xlsx", XLSX).await), vec![village_name, township_name, number, head, found, measure, responsible]));
    fetched.insert("GET /api/v1/quality/daily.xlsx".to_owned());
    // The year's reports: the ledger and the rectification list carry the free text; the summary
    // the division's name in its title.
    let year = chrono::Datelike::year(&chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive());
    for (op, values) in [
        ("problems", vec![village_name, township_name, number, head, found, children[0]]),
        ("rectification", vec![village_name, number, head, found, measure, responsible]),
        ("self-assessment", vec![township_name]),
    ] {
        let res = admin.get(&format!("/reports/{op}.xlsx?division={TOWNSHIP}&year={year}")).await;
        exports.push((xlsx_cells(op, &bytes(res, op, XLSX).await), values));
        fetched.insert(format!("GET /api/v1/reports/{op}.xlsx"));
    }

    // The division export: the household's own cells and its yearly record's reason.
    let res = admin.get(&format!("/exports/households.xlsx?division={VILLAGE}&year=2025")).await;
    exports.push((xlsx_cells("households.xlsx", &bytes(res, "households.xlsx", XLSX).await), vec![village_name, township_name, number, head, children[0], children[1], children[2], reasons[0]]));
    fetched.insert("GET /api/v1/exports/households.xlsx".to_owned());
    let res = admin.get(&format!("{path}/years/2026/comparison?format=xlsx")).await;
    exports.push((xlsx_cells("comparison xlsx", &bytes(res, "comparison", XLSX).await), reasons.clone()));
    fetched.insert("GET /api/v1/households/{id}/years/{year}/comparison".to_owned());
    let res = admin.get(&format!("{path}/years/2026/comparison.xlsx")).await;
    exports.push((xlsx_cells("comparison.xlsx", &bytes(res, "comparison.xlsx", XLSX).await), reasons.clone()));
    fetched.insert("GET /api/v1/households/{id}/years/{year}/comparison.xlsx".to_owned());
    // The village's workbook: the number and the head in its contents, the head naming the
    // member's rows, the reasons in the household's sheet.
    let res = admin.get(&format!("/villages/{VILLAGE}/years/2026/comparison.xlsx")).await;
    let village_values = [number, head].into_iter().chain(reasons.iter().copied()).collect();
    exports.push((xlsx_cells("village comparison.xlsx", &bytes(res, "village comparison.xlsx", XLSX).await), village_values));
    fetched.insert("GET /api/v1/villages/{code}/years/{year}/comparison.xlsx".to_owned());

    let res = admin.get(&format!("/screening.xlsx?division={VILLAGE}&year=2026")).await;
    exports.push((xlsx_cells("screening.xlsx", &bytes(res, "screening.xlsx", XLSX).await), vec![number, head]));
    fetched.insert("GET /api/v1/screening.xlsx".to_owned());

    let changes = vec![village_name, township_name, number, head, newcomer];
    let res = admin.get(&format!("/natural-changes?division={VILLAGE}&format=xlsx")).await;
    exports.push((xlsx_cells("natural changes xlsx", &bytes(res, "natural changes", XLSX).await), changes.clone()));
    fetched.insert("GET /api/v1/natural-changes".to_owned());
    let res = admin.get(&format!("/natural-changes.xlsx?division={VILLAGE}")).await;
    exports.push((xlsx_cells("natural-changes.xlsx", &bytes(res, "natural-changes.xlsx", XLSX).await), changes));
    fetched.insert("GET /api/v1/natural-changes.xlsx".to_owned());

    // The import's error report echoes what it refuses: a sheet of hostile cells.
    let hostile = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"];
    let sheet = workbook(&[
        &["序号", "户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "性别", "出生日期", "联系电话", "=unknown"],
        &["1", "-9-9", VILLAGE, hostile[3], hostile[0], hostile[1], hostile[2], hostile[4], hostile[5], hostile[3], hostile[0]],
        &["2", "=1+1", hostile[0], "脱贫户", "-王", &id_number(13), "户主", "女", "-1", "+8613800138000", "x"],
    ]);
    for (path, name) in [("/imports?format=xlsx", "POST /api/v1/imports"), ("/imports.xlsx", "POST /api/v1/imports.xlsx")] {
        let part = reqwest::multipart::Part::bytes(sheet.clone()).file_name("households.xlsx");
        let res = admin.client.post(format!("{}{path}", admin.base)).bearer_auth(&admin.token).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
        let report = xlsx_cells("import report xlsx", &bytes(res, "import report", XLSX).await);
        assert!(report.1.len() > 6, "the report lists no errors: {:?}", report.1);
        exports.push((report, vec![]));
        fetched.insert(name.to_owned());
    }

    // The publicity list of a village: its title (the township's name first), the household's
    // number and head, the case's reason.
    let reason = "-识别不准，清退";
    let res = admin.post("/cases", json!({"household_id": h["id"], "kind": "removal", "reason": reason})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let case = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    for (step, outcome) in [("village_evaluation", "approved"), ("acknowledgement", "done"), ("publicity", "done")] {
        let res = admin.post(&format!("/cases/{case}/steps"), json!({"step": step, "outcome": outcome, "date": today, "signatories": crate::procedures::signed()})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let res = admin.get(&format!("/villages/{VILLAGE}/publicity-lists.xlsx?step=publicity&date={today}")).await;
    exports.push((xlsx_cells("publicity list", &bytes(res, "publicity list", XLSX).await), vec![township_name, number, head, reason]));
    fetched.insert("GET /api/v1/villages/{code}/publicity-lists.xlsx".to_owned());

    // The year's ledgers: the removal case of the publicity list above is in both, with its reason.
    for (path, name) in [("/ledgers/adjustments.xlsx", "GET /api/v1/ledgers/adjustments.xlsx"), ("/ledgers/removals.xlsx", "GET /api/v1/ledgers/removals.xlsx")] {
        let res = admin.get(&format!("{path}?division={VILLAGE}&year=2026")).await;
        exports.push((xlsx_cells(name, &bytes(res, name, XLSX).await), vec![number, head, reason]));
        fetched.insert(name.to_owned());
    }
    assert_eq!(documented_exports(), fetched, "an export of the document is not checked here (or one checked here is gone)");
    for ((name, cells), values) in &exports {
        let bad: Vec<&String> = cells.iter().filter(|c| begins_a_formula(c)).collect();
        assert!(bad.is_empty(), "{name}: cells a spreadsheet would evaluate: {bad:?}");
        for v in values {
            let neutral = format!("'{v}");
            assert!(cells.iter().any(|c| c.starts_with(&neutral)), "{name}: {v:?} does not arrive as {neutral:?}: {cells:?}");
        }
    }
}
