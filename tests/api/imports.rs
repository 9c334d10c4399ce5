//! Spreadsheet import: every deliberate error reported at its cell, re-import changes nothing,
//! bad files refused before any write.

use std::io::Write;

use serde_json::{Value, json};

use crate::helpers::*;

const HEADERS: [&str; 10] = ["序号", "户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "性别", "出生日期", "备注"];

pub(crate) fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(1 + r as u32, c as u16, v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

pub(crate) fn row(number: &str, village: &str, category: &str, name: &str, id: &str, relation: &str) -> Vec<String> {
    ["1", number, village, category, name, id, relation, "", "", "x"].iter().map(|s| s.to_string()).collect()
}

pub(crate) async fn upload(api: &Api, bytes: Vec<u8>, query: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("households.xlsx");
    let form = reqwest::multipart::Form::new().part("file", part);
    api.client.post(format!("{}/imports{query}", api.base)).bearer_auth(&api.token).multipart(form).send().await.unwrap()
}

#[actix_web::test]
async fn an_import_reports_exactly_its_errors_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    // Someone already registered in another household.
    app.household_in(VILLAGE, 50).await;
    let bad_check = {
        let mut s = id_number(3);
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    };
    let rows = vec![
        row("A0001", VILLAGE, "脱贫户", "王建国", &id_number(1), "户主"),
        row("A0001", VILLAGE, "", "李秀英", &id_number(2).to_lowercase(), "配偶"),
        row("B0001", VILLAGE, "一般农户", "张三", &bad_check, "户主"),
        row("C0001", VILLAGE, "一般农户", "赵四", &id_number(4), "之子"),
        row("D0001", VILLAGE, "富裕户", "钱五", &id_number(5), "户主"),
        row("E0001", VILLAGE, "一般农户", "孙六", &id_number(50), "户主"),
        row("F0001", VILLAGE_2, "一般农户", "周七", &id_number(7), "户主"),
        row("G0001", VILLAGE, "边缘易致贫户", "吴八", &id_number(8), "户主"),
    ];
    let res = upload(&officer, workbook(&rows), "").await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!((report["rows"].as_u64(), report["households_imported"].as_u64(), report["households_refused"].as_u64()), (Some(8), Some(2), Some(5)));
    assert_eq!(report["unknown_columns"], serde_json::json!(["备注"]));
    assert_eq!(report["ignored_columns"], serde_json::json!(["序号"]));
    let errors: Vec<(u64, String)> = report["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap().to_owned())).collect();
    let expected: Vec<(u64, String)> = [(4, "证件号码"), (5, "与户主关系"), (6, "户类型"), (7, "证件号码"), (8, "行政村代码")].iter().map(|(r, c)| (*r, c.to_string())).collect();
    assert_eq!(errors, expected);

    let list: Value = officer.get("/households?limit=100").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let a = list["items"].as_array().unwrap().iter().find(|h| h["number"] == "A0001").unwrap();
    assert_eq!((a["members"].as_array().unwrap().len(), a["category"].as_str()), (2, Some("lifted_out")));
    // An import is a migration: it keeps the file's categories and records where they came from.
    let history: Value = officer.get(&format!("/households/{}/history", a["id"].as_str().unwrap())).await.json().await.unwrap();
    let imported = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "import").unwrap().clone();
    assert_eq!((imported["after"]["category"].as_str(), imported["after"]["category_origin"].as_str()), (Some("lifted_out"), Some("import")));

    // The same file again: nothing new, nothing changed.
    let again: Value = upload(&officer, workbook(&rows), "").await.json().await.unwrap();
    assert_eq!((again["households_imported"].as_u64(), again["households_existing"].as_u64()), (Some(0), Some(2)));
    let list: Value = officer.get("/households?limit=100").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    // The error report as a workbook.
    let res = upload(&officer, workbook(&rows), "?format=xlsx").await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let sheet = wb.worksheet_range("错误报告").unwrap();
    assert_eq!(sheet.rows().count(), 6);
}

#[actix_web::test]
async fn bad_files_are_refused_before_anything_is_written() {
    // A zip bomb: 64 MB of zeros in a few kilobytes. Built before the server is used: the test
    // shares its thread with the server, and seconds of compressing here would outlast the
    // server's 5 s keep-alive, closing the pooled connection as the next request reuses it.
    let mut bomb = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut bomb);
        z.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = bomb.into_inner();
    assert!(bytes.len() < 1 << 20);
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    // Required columns missing.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "户编号").unwrap();
    sheet.write_string(0, 1, "姓名").unwrap();
    sheet.write_string(1, 0, "A0001").unwrap();
    sheet.write_string(1, 1, "王建国").unwrap();
    let res = upload(&officer, wb.save_to_buffer().unwrap(), "").await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!(p["errors"][0]["code"], "missing_columns");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("行政村代码"));
    // Not a spreadsheet at all.
    let res = upload(&officer, "name,id\n王建国,1\n".as_bytes().to_vec(), "").await;
    assert_eq!(problem(res).await["errors"][0]["code"], "not_a_spreadsheet");
    // A zip bomb: 64 MB of zeros in a few kilobytes (built above).
    let res = upload(&officer, bytes, "").await;
    assert_eq!(res.status(), 422);
    assert!(problem(res).await["errors"][0]["message"].as_str().unwrap().contains("zip bomb"));
    let list: Value = officer.get("/households").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Roles.
    let cadre = app.user("cadre", VILLAGE).await;
    assert_eq!(upload(&cadre, Vec::new(), "").await.status(), 403);
}

/// The profile columns 户基本情况 of the county's sheet arrive on the household; a bad value
/// refuses the household with its cell named, and nothing of it is written.
#[actix_web::test]
async fn the_profile_columns_are_imported_by_their_chinese_labels() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let headers = ["户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "识别年度", "脱贫年度", "户属性", "安置点", "返贫原因"];
    let rows = [
        ["A0001", VILLAGE, "脱贫不稳定户", "王建国", &id_number(1), "户主", "2014", "2019", "低保户、易地扶贫搬迁户", "城南安置小区", "因病"],
        ["B0001", VILLAGE, "脱贫户", "张三", &id_number(2), "户主", "2014", "2019", "低保户、富裕户", "", ""],
    ];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            sheet.write_string(1 + r as u32, c as u16, *v).unwrap();
        }
    }
    let res = upload(&officer, wb.save_to_buffer().unwrap(), "").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!((report["households_imported"].as_i64(), report["households_refused"].as_i64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["errors"][0]["column"], "户属性", "{report}");
    let listed: Value = officer.get(&format!("/households?division={VILLAGE}&q=王建国")).await.json().await.unwrap();
    let id = listed["items"][0]["id"].as_str().unwrap();
    let h: Value = officer.get(&format!("/households/{id}")).await.json().await.unwrap();
    assert_eq!(h["profile"]["flags"], json!(["dibao", "relocated"]));
    assert_eq!((h["profile"]["identified_year"].as_i64(), h["profile"]["lifted_out_year"].as_i64()), (Some(2014), Some(2019)));
    assert_eq!(h["profile"]["resettlement_site"], "城南安置小区");
    assert_eq!(h["profile"]["fallback_reason"], "illness");
    let none: Value = officer.get(&format!("/households?division={VILLAGE}&q=张三")).await.json().await.unwrap();
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "nothing of the refused household");
}
