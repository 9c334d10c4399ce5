//! Yearly basic information: periods, validation, If-Match, thresholds, the comparison table.

use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) fn record(member_id: &str, wages: f64, months_away: i64) -> Value {
    let ok = json!({"ok": true, "reason": null});
    json!({
        "income": {"wages": wages, "production": 3000.0, "production_costs": 1000.0, "property": 0.0, "transfers": 1200.0},
        "members": [{
            "member_id": member_id, "education": "junior", "health": "healthy", "disability_grade": null,
            "in_school": "not_in_school", "labour_skill": "ordinary", "work_status": "out_of_province", "months_away": months_away,
        }],
        "guarantees": {"food_clothing": ok, "drinking_water": ok, "compulsory_education": ok, "basic_medical": ok, "housing_safety": ok},
        "living": {"housing": "safe", "water": "tap", "electricity": true, "paved_road": true, "broadband": false},
    })
}

async fn household(app: &TestApp) -> (String, String) {
    let h = app.household_in(VILLAGE, 1).await;
    (format!("/households/{}", h["id"].as_str().unwrap()), h["members"][0]["id"].as_str().unwrap().to_owned())
}

async fn put(api: &Api, path: &str, body: Value, if_match: Option<&str>) -> reqwest::Response {
    api.request(reqwest::Method::PUT, path, Some(body), if_match).await
}

#[actix_web::test]
async fn a_cadre_enters_the_year_and_sees_the_period_and_where_the_household_stands() {
    let app = spawn_app().await;
    let (path, member) = household(&app).await;
    let cadre = app.cadre_of(&[&path]).await;
    assert_eq!(cadre.get(&format!("{path}/years/2024")).await.status(), 404);
    let res = put(&cadre, &format!("{path}/years/2024"), record(&member, 2000.0, 6), None).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let y: Value = res.json().await.unwrap();
    assert_eq!(y["period"], json!({"start": "2023-10-01", "end": "2024-09-30", "state_date": "2024-09-30"}));
    assert_eq!(y["standing"]["per_capita_net_income"], 5200.0);
    assert_eq!(y["standing"]["poverty_line"], 3015.0, "Shaanxi's line from the seeds");
    assert_eq!((y["standing"]["below_poverty_line"].as_bool(), y["standing"]["meets_exit_minimum"].as_bool()), (Some(false), Some(true)));
    let again: Value = cadre.get(&format!("{path}/years/2024")).await.json().await.unwrap();
    assert_eq!(again["record"]["members"][0]["months_away"], 6);
    let history: Value = cadre.get(&format!("{path}/history")).await.json().await.unwrap();
    assert_eq!(history["items"][0]["action"], "year_create");
}

#[actix_web::test]
async fn bad_years_and_values_are_422() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, member) = household(&app).await;
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    for y in [2013, next_year] {
        let res = put(&admin, &format!("{path}/years/{y}"), record(&member, 1.0, 1), None).await;
        assert_eq!(res.status(), 422, "{y}");
        assert_eq!(problem(res).await["errors"][0]["field"], "year");
    }
    let res = put(&admin, &format!("{path}/years/2024"), record(&member, 1.0, 13), None).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "members[0].months_away");
    let stranger = app.household_in(VILLAGE, 2).await["members"][0]["id"].as_str().unwrap().to_owned();
    let res = put(&admin, &format!("{path}/years/2024"), record(&stranger, 1.0, 1), None).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "not_a_member");
    let mut no_reason = record(&member, 1.0, 1);
    no_reason["guarantees"]["housing_safety"] = json!({"ok": false});
    let res = put(&admin, &format!("{path}/years/2024"), no_reason, None).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "guarantees.housing_safety.reason");
    let res = put(&admin, &format!("{path}/years/2024"), json!({"income": {}}), None).await;
    assert_eq!(res.status(), 422);
    assert_eq!(admin.get(&format!("{path}/years/2024")).await.status(), 404, "nothing was stored");
}

#[actix_web::test]
async fn once_it_exists_a_record_changes_only_with_a_current_if_match() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, member) = household(&app).await;
    let url = format!("{path}/years/2025");
    assert_eq!(put(&admin, &url, record(&member, 1000.0, 2), None).await.status(), 201);
    assert_eq!(put(&admin, &url, record(&member, 2000.0, 2), None).await.status(), 428);
    // Two phones edited the same version: the first wins, the second gets 412.
    let (a, b) = futures_util::join!(
        put(&admin, &url, record(&member, 3000.0, 2), Some("\"1\"")),
        put(&admin, &url, record(&member, 4000.0, 2), Some("\"1\""))
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let now: Value = admin.get(&url).await.json().await.unwrap();
    assert_eq!(now["version"], 2);
    assert!([3000.0, 4000.0].contains(&now["record"]["income"]["wages"].as_f64().unwrap()));
}

#[actix_web::test]
async fn the_comparison_shows_last_year_beside_this_year_and_what_changed() {
    let app = spawn_app().await;
    let (path, member) = household(&app).await;
    let cadre = app.cadre_of(&[&path]).await;
    put(&cadre, &format!("{path}/years/2024"), record(&member, 2000.0, 6), None).await;
    put(&cadre, &format!("{path}/years/2025"), record(&member, 2600.0, 9), None).await;
    let cmp: Value = cadre.get(&format!("{path}/years/2025/comparison")).await.json().await.unwrap();
    assert_eq!((cmp["year"].as_i64(), cmp["previous_year"].as_i64()), (Some(2025), Some(2024)));
    assert_eq!(cmp["previous"]["income"]["wages"], 2000.0);
    let changed: Vec<&str> = cmp["changed"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(changed, ["income.wages", &format!("members[{member}].months_away")]);
    assert_eq!(cmp["changed"][0]["before"], 2000.0);
    assert_eq!(cmp["changed"][0]["after"], 2600.0);
    let first: Value = cadre.get(&format!("{path}/years/2024/comparison")).await.json().await.unwrap();
    assert!(first["previous"].is_null());
    let other = app.user("cadre", VILLAGE_2).await;
    assert_eq!(other.get(&format!("{path}/years/2025/comparison")).await.status(), 404);
    assert_eq!(put(&other, &format!("{path}/years/2025"), record(&member, 1.0, 1), Some("1")).await.status(), 404);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(put(&auditor, &format!("{path}/years/2025"), record(&member, 1.0, 1), Some("1")).await.status(), 403);
}

/// Every sheet of a workbook as rows of text.
pub(crate) fn sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    book.sheet_names().into_iter().map(|name| {
        let rows = book.worksheet_range(&name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        (name, rows)
    }).collect()
}

/// The row of a comparison sheet whose first cell is `label`.
fn row<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter().find(|r| r[0] == label).unwrap_or_else(|| panic!("no row {label}: {rows:?}"))
}

#[actix_web::test]
async fn the_comparison_prints_as_a_one_sheet_workbook_in_chinese() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, member) = household(&app).await;
    put(&admin, &format!("{path}/years/2024"), record(&member, 2000.0, 6), None).await;
    let mut this_year = record(&member, 2600.0, 6);
    this_year["members"][0]["education"] = json!("senior");
    put(&admin, &format!("{path}/years/2025"), this_year, None).await;
    let res = admin.get(&format!("{path}/years/2025/comparison?format=xlsx")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = res.bytes().await.unwrap().to_vec();
    {
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
        // Figures are number cells (they add up in the spreadsheet and cannot be formulas).
        assert!(book.worksheet_range("对照表").unwrap().used_cells().any(|(_, _, c)| *c == calamine::Data::Float(2600.0)));
    }
    let book = sheets(bytes);
    assert_eq!(book.len(), 1);
    let (name, rows) = &book[0];
    assert_eq!(name, "对照表");
    assert!(rows[0][0].contains("信息采集对照表") && rows[0][0].contains(&format!("{VILLAGE}0001")));
    assert_eq!(rows[2], ["项目", "2024 年", "2025 年", "变化"]);
    assert_eq!(row(rows, "工资性收入(元)")[1..], ["2000", "2600", "✓"]);
    assert_eq!(row(rows, "饮水")[1..], ["自来水", "自来水", ""], "values by their labels");
    assert_eq!(row(rows, "通宽带")[1..], ["否", "否", ""]);
    assert_eq!(row(rows, "王建国 · 文化程度")[1..], ["初中", "高中", "✓"], "members by name");
    let text: Vec<&String> = rows.iter().flatten().collect();
    assert!(!text.iter().any(|c| c.contains("income.") || c.contains("members[") || c.contains(&member) || *c == "tap"), "a field path, an id or a code: {rows:?}");
    assert_eq!(admin.get(&format!("{path}/years/2025/comparison?format=pdf")).await.status(), 422);
}

#[actix_web::test]
async fn a_village_prints_the_comparison_of_every_household_one_sheet_each() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (first, member) = household(&app).await;
    let (second, members) = household_of_three(&app, 50).await;
    let elsewhere = app.household_in(VILLAGE_2, 60).await;
    put(&admin, &format!("{first}/years/2024"), record(&member, 2000.0, 6), None).await;
    put(&admin, &format!("{first}/years/2025"), record(&member, 2600.0, 6), None).await;
    let mut second_year = record(&members[0], 9000.0, 0);
    second_year["members"][0]["work_status"] = json!("local");
    second_year["living"]["water"] = json!("well");
    assert_eq!(put(&admin, &format!("{second}/years/2025"), second_year, None).await.status(), 201);
    let mut numbers = Vec::new();
    for p in [&first, &second] {
        let h: Value = admin.get(p).await.json().await.unwrap();
        numbers.push(h["number"].as_str().unwrap().to_owned());
    }
    numbers.sort();

    let officer = app.user("village_officer", VILLAGE).await;
    let res = officer.get(&format!("/villages/{VILLAGE}/years/2025/comparison.xlsx")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let book = sheets(res.bytes().await.unwrap().to_vec());
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["目录", numbers[0].as_str(), numbers[1].as_str()], "contents, then a sheet per household of the village by 户编号");
    let contents = &book[0].1;
    assert!(contents[0][0].contains("信息采集对照表") && contents[0][0].contains("共 2 户"), "{contents:?}");
    assert_eq!(contents[2], ["工作表", "户编号", "户主", "2024 年已填报", "2025 年已填报", "变化项数"]);
    let listed: Vec<&[String]> = contents[3..].iter().map(|r| &r[..5]).collect();
    assert_eq!(listed, [[numbers[0].clone(), numbers[0].clone(), "王建国".into(), "是".into(), "是".into()], [numbers[1].clone(), numbers[1].clone(), "王建国".into(), "否".into(), "是".into()]]);

    // The first household: last year beside this year, the change marked.
    let one = &book[1].1;
    assert!(one[0][0].contains(&numbers[0]));
    assert_eq!(row(one, "工资性收入(元)")[1..], ["2000", "2600", "✓"]);
    assert_eq!(row(one, "王建国 · 务工状况")[1..], ["省外务工", "省外务工", ""]);
    // The second: only this year, its own values, every row marked as new.
    let two = &book[2].1;
    assert_eq!(row(two, "工资性收入(元)")[1..], ["", "9000", "✓"]);
    assert_eq!(row(two, "王建国 · 务工状况")[1..], ["", "乡(镇)内务工", "✓"]);
    assert_eq!(row(two, "饮水")[1..], ["", "井水", "✓"]);
    assert_eq!(row(two, "住房安全有保障")[2], "是");
    let text: Vec<&String> = book.iter().flat_map(|(_, rows)| rows.iter().flatten()).collect();
    for bad in ["income.", "living.", "members[", "guarantees.", "out_of_province", elsewhere["number"].as_str().unwrap()] {
        assert!(!text.iter().any(|c| c.contains(bad)), "{bad} in the workbook");
    }

    // Scoped like the village's other routes; the year is checked.
    let stranger = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(stranger.get(&format!("/villages/{VILLAGE}/years/2025/comparison.xlsx")).await.status(), 404);
    assert_eq!(admin.get("/villages/610831101299/years/2025/comparison.xlsx").await.status(), 404, "no such village");
    assert_eq!(admin.get(&format!("/villages/{TOWNSHIP}/years/2025/comparison.xlsx")).await.status(), 404, "a township is not a village");
    let res = admin.get(&format!("/villages/{VILLAGE}/years/2013/comparison.xlsx")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["field"], "year");
}

/// A household of three (head, spouse, child) and its three member ids.
async fn household_of_three(app: &TestApp, first: u32) -> (String, Vec<String>) {
    let res = app.admin().await.post("/households", household_body(VILLAGE, &[(first, "head"), (first + 1, "spouse"), (first + 2, "child")])).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    let ids = h["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    (format!("/households/{}", h["id"].as_str().unwrap()), ids)
}

/// A record of every member of `ids` with the given income parts.
fn record_of(ids: &[String], income: Value) -> Value {
    let mut r = record(&ids[0], 0.0, 0);
    let one = r["members"][0].clone();
    r["members"] = ids.iter().map(|id| {
        let mut m = one.clone();
        m["member_id"] = json!(id);
        m
    }).collect();
    r["income"] = income;
    r
}

#[actix_web::test]
async fn amounts_have_at_most_two_decimals_and_none_is_negative() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, member) = household(&app).await;
    let url = format!("{path}/years/2024");
    let mut body = record(&member, 0.0, 1);
    body["income"]["wages"] = json!(12.345);
    let errors = problem(put(&admin, &url, body, None).await).await["errors"].clone();
    assert_eq!((errors[0]["field"].as_str(), errors[0]["code"].as_str()), (Some("income.wages"), Some("too_precise")));
    assert_eq!(errors.as_array().unwrap().len(), 1, "{errors}");
    let mut body = record(&member, 1.0, 1);
    body["income"]["production_costs"] = json!(-1);
    body["rigid_expenses"] = json!({"medical": 0.001, "other": -0.5});
    let res = put(&admin, &url, body, None).await;
    assert_eq!(res.status(), 422);
    let errors: Vec<(String, String)> = problem(res).await["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect();
    let expected = [("income.production_costs", "out_of_range"), ("rigid_expenses.medical", "too_precise"), ("rigid_expenses.other", "out_of_range")];
    assert_eq!(errors, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    let mut body = record(&member, 1.0, 1);
    body["income"]["wages"] = json!("12.30");
    assert_eq!(problem(put(&admin, &url, body, None).await).await["errors"][0]["field"], "income.wages", "a string is no amount");
    assert_eq!(admin.get(&url).await.status(), 404, "nothing was stored");
    // Whole yuan, one decimal, two decimals and an exponent are all fine.
    let mut body = record(&member, 1e2, 1);
    body["income"]["production"] = json!(0.1);
    body["income"]["transfers"] = json!(0.02);
    let y: Value = put(&admin, &url, body, None).await.json().await.unwrap();
    assert_eq!((y["record"]["income"]["wages"].as_f64(), y["record"]["income"]["production"].as_f64()), (Some(100.0), Some(0.1)));
    // 100 + 0.10 − 1 000 + 0 + 0.02: a negative net income is kept as it is.
    assert_eq!(y["standing"]["per_capita_net_income"], -899.88);
}

#[actix_web::test]
async fn rigid_expenses_are_kept_and_per_capita_income_is_exact_to_the_fen() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, ids) = household_of_three(&app, 1).await;
    let url = format!("{path}/years/2024");
    let mut body = record_of(&ids, json!({"wages": 10000.01, "production": 0, "production_costs": 0, "property": 0, "transfers": 0}));
    body["rigid_expenses"] = json!({"medical": 1500.5, "education": 0.01, "other": 0});
    let res = put(&admin, &url, body, None).await;
    assert_eq!(res.status(), 201);
    let y: Value = res.json().await.unwrap();
    assert_eq!(y["record"]["income"]["wages"], 10000.01);
    assert_eq!(y["record"]["rigid_expenses"], json!({"medical": 1500.5, "education": 0.01, "disaster": 0.0, "other": 0.0}), "a part left out is 0");
    // 10 000.01 / 3 = 3 333.336… → 3 333.34 (half a fen and more goes up).
    assert_eq!(y["standing"]["per_capita_net_income"], 3333.34);
    // (10 000.01 − 1 500.51) / 3 = 2 833.166… → 2 833.17, below Shaanxi's line of 3 015.
    assert_eq!(y["standing"]["per_capita_income_after_rigid_expenses"], 2833.17);
    assert_eq!(y["standing"]["below_poverty_line"], false);
    assert_eq!(y["standing"]["below_poverty_line_after_rigid_expenses"], true);
    let read: Value = admin.get(&url).await.json().await.unwrap();
    assert_eq!((&read["record"], &read["standing"]), (&y["record"], &y["standing"]), "stored as answered");
    // An older client leaves them out: zeros, and the same income after them.
    let old = record_of(&ids, json!({"wages": 9000, "production": 0, "production_costs": 0, "property": 0, "transfers": 0}));
    let y: Value = put(&admin, &url, old, Some("\"1\"")).await.json().await.unwrap();
    assert_eq!(y["record"]["rigid_expenses"]["medical"], 0.0);
    assert_eq!((y["standing"]["per_capita_net_income"].as_f64(), y["standing"]["per_capita_income_after_rigid_expenses"].as_f64()), (Some(3000.0), Some(3000.0)));
    // The comparison lists them with the other fields.
    let cmp: Value = admin.get(&format!("{path}/years/2024/comparison")).await.json().await.unwrap();
    assert_eq!(cmp["current"]["rigid_expenses"]["medical"], 0.0);
}
