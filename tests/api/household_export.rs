//! The division export 户信息导出 and the import reading it back: a county exported with full
//! numbers, imported into an empty database and exported again gives the same workbook cell for
//! cell (households, members with their indicators of the year, yearly records); who may export
//! what; bad requests.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::imports::upload;
use crate::yearly::record;

/// Every sheet's cells as text, by sheet name.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range.rows().map(|r| r.iter().map(|c| if matches!(c, Data::Empty) { String::new() } else { c.to_string() }).collect()).collect();
            (name, rows)
        })
        .collect()
}

/// A workbook of text cells.
fn workbook_of(cells: &[(String, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in cells {
        let sheet = wb.add_worksheet();
        sheet.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn export(api: &Api, query: &str) -> reqwest::Response {
    api.client.get(format!("{}/exports/households.xlsx{query}", api.base)).bearer_auth(&api.token).send().await.unwrap()
}

/// Yearly records of 2025 on some demo households: every member with indicators (one disabled
/// with a grade), a guarantee not met with its reason, amounts with fen, a free text that a
/// spreadsheet would read as a formula.
async fn fill_years(admin: &Api) -> usize {
    let list: Value = admin.get("/households?limit=500").await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    for (i, h) in items.iter().take(6).enumerate() {
        let id = h["id"].as_str().unwrap();
        let mut body = record(h["members"][0]["id"].as_str().unwrap(), 12000.55 + i as f64, 3);
        let template = body["members"][0].clone();
        // Not those who joined after the statistical year (a demo newborn of this autumn).
        let of_the_year = h["members"].as_array().unwrap().iter().filter(|m| m["joined_on"].as_str().is_none_or(|d| d < "2025-10-01"));
        body["members"] = Value::Array(of_the_year.enumerate().map(|(k, m)| {
            let mut y = template.clone();
            y["member_id"] = m["id"].clone();
            if k == 0 {
                y["medical_insurance"] = json!(true);
                y["pension_insurance"] = json!(false);
                y["work_province"] = json!("江苏省");
                y["work_county"] = json!("昆山市");
            }
            if k == 1 {
                y["health"] = json!("disabled");
                y["disability_grade"] = json!(2);
            }
            y
        }).collect());
        body["rigid_expenses"] = json!({"medical": 3100.1, "education": 0, "disaster": 0, "other": 25});
        body["guarantees"]["housing_safety"] = json!({"ok": false, "reason": "=土坯房待改造"});
        let res = admin.request(reqwest::Method::PUT, &format!("/households/{id}/years/2025"), Some(body), None).await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    }
    items.len()
}

/// The demo county with its 2025 records, exported with full numbers (the app kept alive).
async fn exported_demo_county() -> (TestApp, Vec<u8>) {
    let first = spawn_app().await;
    fangpin::demo::load(&first.state.db, &first.state.crypto, 3).unwrap();
    let admin = first.admin().await;
    fill_years(&admin).await;
    let bytes = export(&admin, &format!("?division={COUNTY}&year=2025&full_numbers=true")).await.bytes().await.unwrap().to_vec();
    (first, bytes)
}

#[actix_web::test]
async fn a_county_exported_and_imported_into_an_empty_database_exports_the_same_cells() {
    let first = spawn_app().await;
    fangpin::demo::load(&first.state.db, &first.state.crypto, 3).unwrap();
    let admin = first.admin().await;
    let households = fill_years(&admin).await;
    let res = export(&admin, &format!("?division={COUNTY}&year=2025&full_numbers=true")).await;
    assert_eq!(res.status(), 200);
    let exported = res.bytes().await.unwrap().to_vec();
    let cells = sheets(&exported);
    let names: Vec<&str> = cells.iter().map(|(n, _)| n.as_str()).collect();
    // The import reads the first three; projects, loans and migrant work follow for reading.
    assert_eq!(names, ["户信息", "家庭成员", "年度信息", "项目", "小额信贷", "外出务工"]);
    assert_eq!(cells[0].1.len(), households + 1, "a row per household under the header");
    assert_eq!(cells[2].1.len(), 7, "the six yearly records");
    let header = &cells[1].1[0];
    for c in ["户编号", "户类型", "识别年度", "户属性", "姓名", "证件号码", "文化程度", "残疾等级"] {
        assert!(header.iter().any(|h| h == c), "{c} in {header:?}");
    }
    // Labels, not codes; a formula-like text quoted.
    let all: Vec<&String> = cells.iter().flat_map(|(_, rows)| rows.iter().skip(1).flatten()).collect();
    assert!(all.iter().any(|c| c.as_str() == "户主") && all.iter().any(|c| c.as_str() == "子女") && all.iter().any(|c| c.as_str() == "初中") && !all.iter().any(|c| c.as_str() == "head"));
    assert!(all.iter().any(|c| c.as_str() == "'=土坯房待改造"));
    // The natural changes and the new member fields: an unregistered newborn with its reason,
    // joinings with their reasons, insurance and the place of work.
    for expected in ["新生儿未落户", "出生", "嫁入", "昆山市", "死亡"] {
        assert!(all.iter().any(|c| c.as_str() == expected), "{expected} in the export");
    }

    let second = spawn_app().await;
    let res = upload(&second.admin().await, exported.clone(), "").await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["households_imported"].as_u64(), Some(households as u64), "{report}");
    let res = export(&second.admin().await, &format!("?division={COUNTY}&year=2025&full_numbers=true")).await;
    let again = sheets(&res.bytes().await.unwrap());
    for ((name, a), (_, b)) in cells.iter().zip(&again) {
        assert_eq!(a.len(), b.len(), "rows of {name}");
        for (i, (ra, rb)) in a.iter().zip(b).enumerate() {
            assert_eq!(ra, rb, "{name} row {}", i + 1);
        }
    }
    // The imported yearly record is the record: its figures as the API computes them.
    let h = &cells[2].1[1][0];
    let list: Value = second.admin().await.get(&format!("/households?q={h}")).await.json().await.unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    let year: Value = second.admin().await.get(&format!("/households/{id}/years/2025")).await.json().await.unwrap();
    assert_eq!(year["record"]["guarantees"]["housing_safety"]["reason"], "=土坯房待改造", "{year}");
}

#[actix_web::test]
async fn full_numbers_are_the_county_admins_and_each_household_so_read_is_logged() {
    let app = spawn_app().await;
    app.household_in(VILLAGE, 7).await;
    let admin = app.admin().await;
    let masked = sheets(&export(&admin, "").await.bytes().await.unwrap());
    let id_col = masked[1].1[0].iter().position(|c| c == "证件号码").unwrap();
    assert!(masked[1].1[1][id_col].contains('*'), "masked by default: {:?}", masked[1].1[1]);
    let full = sheets(&export(&admin, "?full_numbers=true").await.bytes().await.unwrap());
    assert_eq!(full[1].1[1][id_col], id_number(7));
    // Nothing of the workbook stays on disk once it was sent (its files are unlinked from the start).
    let tmp = app.state.settings.data_dir.join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let township = app.user("township_reviewer", TOWNSHIP).await;
    assert_eq!(export(&township, "?full_numbers=true").await.status(), 403);
    assert_eq!(export(&township, "").await.status(), 200);
    let cadre = app.user("cadre", VILLAGE).await;
    assert_eq!(export(&cadre, "").await.status(), 403);
    let village = app.user("village_officer", VILLAGE).await;
    assert_eq!(export(&village, &format!("?division={VILLAGE_2}")).await.status(), 404);
    assert_eq!(problem(export(&admin, "?division=12").await).await["errors"][0]["field"], "division");
    assert_eq!(problem(export(&admin, "?year=2013").await).await["errors"][0]["field"], "year");
}

#[actix_web::test]
async fn a_yearly_row_the_members_sheet_does_not_have_and_a_bad_amount_are_refused_by_cell() {
    let (_first, bytes) = exported_demo_county().await;
    // Rewrite the workbook: a third decimal on a yearly amount, and a yearly row of a number
    // that has no household.
    let mut cells = sheets(&bytes);
    let wages = cells[2].1[0].iter().position(|c| c == "工资性收入").unwrap();
    cells[2].1[1][wages] = "100.125".into();
    let mut orphan = cells[2].1[2].clone();
    orphan[0] = "0000000000000000".into();
    cells[2].1.insert(1, orphan);
    let second = spawn_app().await;
    let report: Value = upload(&second.admin().await, workbook_of(&cells), "").await.json().await.unwrap();
    let errors: Vec<(u64, String)> = report["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap().to_owned())).collect();
    assert!(errors.contains(&(2, "年度信息!户编号".to_string())), "{errors:?}");
    assert!(errors.contains(&(3, "年度信息!工资性收入".to_string())), "{errors:?}");
    assert_eq!(report["households_refused"].as_u64(), Some(1), "{report}");
}

#[actix_web::test]
async fn a_household_apart_in_the_sheet_a_yearly_row_out_of_order_and_a_year_before_a_joining_refuse_their_household_whole() {
    let (_first, bytes) = exported_demo_county().await;
    let mut cells = sheets(&bytes);
    let col = |sheet: usize, name: &str| cells[sheet].1[0].iter().position(|c| c == name).unwrap();
    let (number, year_col, join_reason, joined_on) = (col(1, "户编号"), col(1, "年度"), col(1, "增加原因"), col(1, "增加时间"));
    let members = &mut cells[1].1;
    // Household A (the first, with a yearly record): its second member's row moved to the end.
    let a = members[1][number].clone();
    let moved = members.remove(2);
    assert_eq!(moved[number], a);
    members.push(moved);
    // Household C: a member of 2025 who "joined" in 2026 (after that statistical year).
    let c_row = members.iter().position(|r| r[year_col] == "2025" && r[number] != a).unwrap();
    let c = members[c_row][number].clone();
    members[c_row][join_reason] = "迁入".into();
    members[c_row][joined_on] = "2026-08-01".into();
    // Households B < D with yearly records: their 年度信息 rows swapped (D's before B's).
    let years = &mut cells[2].1;
    let others: Vec<usize> = (1..years.len()).filter(|i| years[*i][0] != a && years[*i][0] != c).collect();
    let (b_row, d_row) = (others[0], others[1]);
    let (b, d) = (years[b_row][0].clone(), years[d_row][0].clone());
    assert!(b < d);
    years.swap(b_row, d_row);
    let total = cells[0].1.len() - 1;

    let second = spawn_app().await;
    let admin2 = second.admin().await;
    let report: Value = upload(&admin2, workbook_of(&cells), "").await.json().await.unwrap();
    let errors: Vec<String> = report["errors"].as_array().unwrap().iter().map(|e| e["column"].as_str().unwrap().to_owned()).collect();
    assert!(errors.iter().filter(|c| *c == "户编号").count() == 2, "both blocks of A named: {report}");
    assert!(errors.contains(&"年度".to_string()), "C's member year before the joining: {report}");
    assert!(errors.contains(&"年度信息!户编号".to_string()), "B's year row out of order: {report}");
    assert_eq!(report["households_refused"].as_u64(), Some(3), "{report}");
    assert_eq!(report["households_imported"].as_u64(), Some(total as u64 - 3), "{report}");
    for refused in [&a, &b, &c] {
        let found: Value = admin2.get(&format!("/households?q={refused}")).await.json().await.unwrap();
        assert_eq!(found["items"].as_array().unwrap().len(), 0, "nothing of {refused} written");
    }
    let found: Value = admin2.get(&format!("/households?q={d}")).await.json().await.unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "D, whose row came first, is imported");
}
