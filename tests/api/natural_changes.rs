//! Natural increase and decrease 自然增减: members join and leave with reason and day, a member
//! without an ID number (无户籍人口) is recorded with a reason and listed by a cleaning rule until
//! a number is entered, the dates are checked (also against the yearly records), and the ledger
//! 自然增减台账 of a division and statistical year comes as JSON and as the forms' workbook.

use serde_json::{Value, json};

use crate::helpers::*;

async fn household(admin: &Api, village: &str, members: &[(u32, &str)]) -> (String, Value) {
    let res = admin.post("/households", household_body(village, members)).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    (format!("/households/{}", h["id"].as_str().unwrap()), h)
}

fn newborn() -> Value {
    json!({"name": "王小宝", "relation": "grandchild", "no_id_reason": "newborn_unregistered", "sex": "male", "birth_date": "2026-03-10", "join_reason": "birth"})
}

fn member<'a>(h: &'a Value, name: &str) -> &'a Value {
    h["members"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no {name} in {h}"))
}

fn fields(p: &Value) -> Vec<(String, String)> {
    p["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect()
}

#[actix_web::test]
async fn members_join_and_leave_with_reason_and_day_and_a_newborn_needs_no_id_number() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, _) = household(&admin, VILLAGE, &[(1, "head"), (2, "spouse")]).await;
    let res = admin.post(&format!("{path}/members"), newborn()).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    let baby = member(&h, "王小宝");
    assert_eq!((&baby["id_number"], &baby["no_id_reason"]), (&Value::Null, &json!("newborn_unregistered")));
    assert_eq!((&baby["join_reason"], &baby["joined_on"], &baby["sex"]), (&json!("birth"), &json!("2026-03-10"), &json!("male")), "a birth joins on its day");
    let res = admin.post(&format!("{path}/members"), json!({"name": "赵丽", "id_number": id_number(3), "relation": "child_in_law", "join_reason": "marriage_in", "joined_on": "2025-11-20"})).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    assert_eq!((&member(&h, "赵丽")["join_reason"], &member(&h, "赵丽")["joined_on"]), (&json!("marriage_in"), &json!("2025-11-20")));
    let spouse = member(&h, "李秀英")["id"].as_str().unwrap().to_owned();
    let res = admin.delete(&format!("{path}/members/{spouse}?reason=imprisoned&left_on=2026-05-01"), None).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    assert_eq!((&member(&h, "李秀英")["removed_reason"], &member(&h, "李秀英")["left_on"]), (&json!("imprisoned"), &json!("2026-05-01")));
    // Without a day the member leaves today, in the service's time zone; the old reasons stay valid.
    let zhao = member(&h, "赵丽")["id"].as_str().unwrap().to_owned();
    let h: Value = admin.delete(&format!("{path}/members/{zhao}?reason=moved_out"), None).await.json().await.unwrap();
    assert_eq!(member(&h, "赵丽")["left_on"], json!(app.state.today().to_string()));
    let history: Value = admin.get(&format!("{path}/history")).await.json().await.unwrap();
    assert!(history.to_string().contains("newborn_unregistered"), "the audit log keeps the new fields: {history}");
}

#[actix_web::test]
async fn bad_joins_and_leaves_are_refused_naming_the_field_and_nothing_changes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, h) = household(&admin, VILLAGE, &[(1, "head"), (2, "spouse")]).await;
    let refused = |body: Value| {
        let (admin, path) = (admin.clone(), path.clone());
        async move { fields(&problem(admin.post(&format!("{path}/members"), body).await).await) }
    };
    let f = refused(json!({"name": "王小宝", "relation": "child"})).await;
    assert_eq!(f, [("id_number".to_owned(), "required".to_owned())], "neither a number nor a reason");
    let f = refused(json!({"name": "王小宝", "relation": "child", "no_id_reason": "lost", "sex": "male", "birth_date": "2026-03-10"})).await;
    assert_eq!(f, [("no_id_reason".to_owned(), "invalid_value".to_owned())]);
    let f = refused(json!({"name": "王小宝", "relation": "child", "no_id_reason": "other"})).await;
    assert_eq!(f, [("sex".to_owned(), "required".to_owned()), ("birth_date".to_owned(), "required".to_owned())]);
    let f = refused(json!({"name": "王小宝", "relation": "child", "id_number": id_number(5), "no_id_reason": "other"})).await;
    assert_eq!(f, [("no_id_reason".to_owned(), "not_allowed".to_owned())]);
    let f = refused(json!({"name": "王小宝", "relation": "child", "id_number": id_number(5), "join_reason": "adopted"})).await;
    assert_eq!(f, [("join_reason".to_owned(), "invalid_value".to_owned())]);
    let f = refused(json!({"name": "王小宝", "relation": "child", "id_number": id_number(5), "joined_on": "2020-01-01"})).await;
    assert_eq!(f, [("join_reason".to_owned(), "required".to_owned())], "a day without a reason");
    let f = refused(json!({"name": "王小宝", "relation": "child", "id_number": id_number(5), "join_reason": "moved_in", "joined_on": "1950-01-01"})).await;
    assert_eq!(f, [("joined_on".to_owned(), "before_birth".to_owned())]);
    let mut late = newborn();
    late["joined_on"] = json!("2026-03-09");
    assert_eq!(refused(late).await, [("joined_on".to_owned(), "before_birth".to_owned())]);
    let mut unborn = newborn();
    unborn["birth_date"] = json!((app.state.today() + chrono::Duration::days(1)).to_string());
    assert_eq!(refused(unborn).await[0], ("birth_date".to_owned(), "in_future".to_owned()));

    // A member who joined in 2025 cannot leave before, nor for an unknown reason, nor on a non-day.
    let res = admin.post(&format!("{path}/members"), json!({"name": "赵丽", "id_number": id_number(3), "relation": "child_in_law", "join_reason": "marriage_in", "joined_on": "2025-11-20"})).await;
    let version = res.headers()["etag"].to_str().unwrap().trim_matches('"').to_owned();
    let joined: Value = res.json().await.unwrap();
    let zhao = member(&joined, "赵丽")["id"].as_str().unwrap().to_owned();
    for (query, field, code) in [
        ("reason=moved_out&left_on=2025-11-19", "left_on", "before_joining"),
        ("reason=moved_out&left_on=2099-01-01", "left_on", "in_future"),
        ("reason=emigrated&left_on=2026-01-01", "reason", "invalid_value"),
        ("reason=moved_out&left_on=yesterday", "left_on", "invalid_date"),
    ] {
        let res = admin.delete(&format!("{path}/members/{zhao}?{query}"), None).await;
        assert_eq!(res.status(), 422, "{query}");
        assert_eq!(fields(&problem(res).await), [(field.to_owned(), code.to_owned())], "{query}");
    }
    let now: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(now["version"].as_i64().unwrap().to_string(), version, "nothing written by the refusals");
    assert_eq!(now["members"].as_array().unwrap().len(), h["members"].as_array().unwrap().len() + 1);
    assert!(member(&now, "赵丽")["removed_at"].is_null());
}

fn two_members(a: &str, b: &str) -> Value {
    let mut r = crate::yearly::record(a, 9000.0, 0);
    let mut second = r["members"][0].clone();
    second["member_id"] = json!(b);
    r["members"].as_array_mut().unwrap().push(second);
    r
}

#[actix_web::test]
async fn a_member_who_left_is_refused_in_a_later_years_record_and_each_year_has_insurance_and_the_place_of_work() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, h) = household(&admin, VILLAGE, &[(1, "head"), (2, "spouse")]).await;
    let (head, spouse) = (member(&h, "王建国")["id"].as_str().unwrap().to_owned(), member(&h, "李秀英")["id"].as_str().unwrap().to_owned());
    assert_eq!(admin.delete(&format!("{path}/members/{spouse}?reason=death&left_on=2025-10-15"), None).await.status(), 200);
    // Left in the statistical year 2026 (from 1 October 2025): in its record, not in a later one.
    let put = |year: i32, body: Value| {
        let (admin, path) = (admin.clone(), path.clone());
        async move { admin.request(reqwest::Method::PUT, &format!("{path}/years/{year}"), Some(body), None).await }
    };
    assert_eq!(put(2026, two_members(&head, &spouse)).await.status(), 201);
    let res = put(2025, two_members(&head, &spouse)).await;
    assert_eq!(res.status(), 201, "an earlier year: {}", res.text().await.unwrap());
    // 2026 is the latest year a record may have yet: the rule shown on a leave a year earlier.
    let (path2, h2) = household(&admin, VILLAGE, &[(4, "head"), (5, "child")]).await;
    let (head2, child2) = (member(&h2, "王建国")["id"].as_str().unwrap().to_owned(), member(&h2, "李秀英")["id"].as_str().unwrap().to_owned());
    assert_eq!(admin.delete(&format!("{path2}/members/{child2}?reason=marriage_out&left_on=2025-09-30"), None).await.status(), 200);
    let res = admin.request(reqwest::Method::PUT, &format!("{path2}/years/2026"), Some(two_members(&head2, &child2)), None).await;
    assert_eq!(res.status(), 422);
    assert_eq!(fields(&problem(res).await), [("members[1].member_id".to_owned(), "left_before_year".to_owned())]);
    assert_eq!(admin.get(&format!("{path2}/years/2026")).await.status(), 404, "nothing written");
    // Nor is a member in a record of a year before they joined (a bride of 1 October 2025 is not in 2025's).
    let res = admin.post(&format!("{path2}/members"), json!({"name": "赵丽", "id_number": id_number(7), "relation": "child_in_law", "join_reason": "marriage_in", "joined_on": "2025-10-01"})).await;
    let bride = member(&res.json::<Value>().await.unwrap(), "赵丽")["id"].as_str().unwrap().to_owned();
    let res = admin.request(reqwest::Method::PUT, &format!("{path2}/years/2025"), Some(two_members(&head2, &bride)), None).await;
    assert_eq!(fields(&problem(res).await), [("members[1].member_id".to_owned(), "joined_after_year".to_owned())]);

    // 参加医疗保险 / 养老保险 and 务工地点 per member and year.
    let mut record = crate::yearly::record(&head2, 9000.0, 8);
    record["members"][0]["medical_insurance"] = json!(true);
    record["members"][0]["pension_insurance"] = json!(false);
    record["members"][0]["work_province"] = json!("江苏省");
    record["members"][0]["work_county"] = json!("昆山市");
    let res = admin.request(reqwest::Method::PUT, &format!("{path2}/years/2026"), Some(record.clone()), None).await;
    assert_eq!(res.status(), 201);
    let y: Value = admin.get(&format!("{path2}/years/2026")).await.json().await.unwrap();
    let m = &y["record"]["members"][0];
    assert_eq!((&m["medical_insurance"], &m["pension_insurance"], &m["work_province"], &m["work_county"]), (&json!(true), &json!(false), &json!("江苏省"), &json!("昆山市")));
    let mut bad = record.clone();
    bad["members"][0]["work_province"] = Value::Null;
    let res = admin.request(reqwest::Method::PUT, &format!("{path2}/years/2025"), Some(bad), None).await;
    assert_eq!(fields(&problem(res).await), [("members[0].work_province".to_owned(), "required".to_owned())], "a county without its province");
    let mut bad = record.clone();
    bad["members"][0]["work_status"] = json!("local");
    bad["members"][0]["months_away"] = json!(0);
    let res = admin.request(reqwest::Method::PUT, &format!("{path2}/years/2025"), Some(bad), None).await;
    assert_eq!(fields(&problem(res).await), [("members[0].work_province".to_owned(), "not_away".to_owned())]);
    let mut bad = record;
    bad["members"][0]["medical_insurance"] = json!("yes");
    assert_eq!(admin.request(reqwest::Method::PUT, &format!("{path2}/years/2025"), Some(bad), None).await.status(), 422);
    assert_eq!(admin.get(&format!("{path2}/years/2025")).await.status(), 404, "nothing written");
}

/// A township with changes in 2025 and 2026: in VILLAGE a birth (2026-03-10, no ID number), a
/// marriage in (2025-09-15, statistical year 2025) and a death (2026-05-01); in VILLAGE_2 a
/// move in (2026-02-01).
async fn changes(app: &TestApp) {
    let admin = app.admin().await;
    let (path, h) = household(&admin, VILLAGE, &[(1, "head"), (2, "spouse")]).await;
    assert_eq!(admin.post(&format!("{path}/members"), newborn()).await.status(), 201);
    let body = json!({"name": "赵丽", "id_number": id_number(3), "relation": "child_in_law", "join_reason": "marriage_in", "joined_on": "2025-09-15"});
    assert_eq!(admin.post(&format!("{path}/members"), body).await.status(), 201);
    let spouse = member(&h, "李秀英")["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.delete(&format!("{path}/members/{spouse}?reason=death&left_on=2026-05-01"), None).await.status(), 200);
    let (path2, _) = household(&admin, VILLAGE_2, &[(4, "head")]).await;
    let body = json!({"name": "孙强", "id_number": id_number(6), "relation": "other", "join_reason": "moved_in", "joined_on": "2026-02-01"});
    assert_eq!(admin.post(&format!("{path2}/members"), body).await.status(), 201);
    // Another township's change is not in this one's ledger.
    let (path3, _) = household(&admin, OTHER_TOWNSHIP_VILLAGE, &[(8, "head")]).await;
    assert_eq!(admin.post(&format!("{path3}/members"), json!({"name": "周敏", "id_number": id_number(9), "relation": "spouse", "join_reason": "marriage_in", "joined_on": "2026-01-01"})).await.status(), 201);
}

#[actix_web::test]
async fn the_ledger_lists_the_joins_and_leaves_of_a_statistical_year_within_the_jurisdiction() {
    let app = spawn_app().await;
    changes(&app).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let res = reviewer.get(&format!("/natural-changes?division={TOWNSHIP}&year=2026")).await;
    assert_eq!(res.status(), 200);
    let l: Value = res.json().await.unwrap();
    assert_eq!((l["start"].as_str(), l["end"].as_str()), (Some("2025-10-01"), Some("2026-09-30")));
    let joined: Vec<(&str, &str, &str)> = l["increases"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap(), c["join_reason"].as_str().unwrap(), c["joined_on"].as_str().unwrap())).collect();
    assert_eq!(joined, [("王小宝", "birth", "2026-03-10"), ("孙强", "moved_in", "2026-02-01")], "by village, then household");
    let baby = &l["increases"][0];
    assert_eq!((&baby["id_number"], &baby["no_id_reason"], &baby["village_code"]), (&Value::Null, &json!("newborn_unregistered"), &json!(VILLAGE)));
    assert!(baby["village_name"].is_string() && baby["township_name"].is_string() && baby["head_name"] == "王建国");
    assert!(l["increases"][1]["id_number"].as_str().unwrap().contains("********"), "numbers masked");
    let left: Vec<(&str, &str, &str)> = l["decreases"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap(), c["leave_reason"].as_str().unwrap(), c["left_on"].as_str().unwrap())).collect();
    assert_eq!(left, [("李秀英", "death", "2026-05-01")]);
    let y2025: Value = reviewer.get(&format!("/natural-changes?division={TOWNSHIP}&year=2025")).await.json().await.unwrap();
    assert_eq!((y2025["increases"][0]["name"].as_str(), y2025["increases"].as_array().unwrap().len(), y2025["decreases"].as_array().unwrap().len()), (Some("赵丽"), 1, 0));

    // Scope: a village sees its own changes, nothing of another village.
    let officer = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(officer.get(&format!("/natural-changes?division={VILLAGE}&year=2026")).await.status(), 404);
    let own: Value = officer.get("/natural-changes?year=2026").await.json().await.unwrap();
    assert_eq!((own["division"].as_str(), own["increases"].as_array().unwrap().len(), own["decreases"].as_array().unwrap().len()), (Some(VILLAGE_2), 1, 0));
    assert!(!own.to_string().contains("王小宝"));

    for (query, field) in [("year=2013", "year"), ("year=2026&format=pdf", "format"), ("division=61083", "division")] {
        let res = reviewer.get(&format!("/natural-changes?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        assert_eq!(problem(res).await["errors"][0]["field"], field, "{query}");
    }
}

#[actix_web::test]
async fn the_ledger_workbook_has_the_forms_of_the_villages() {
    use calamine::Reader;
    let app = spawn_app().await;
    changes(&app).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    for path in [format!("/natural-changes.xlsx?division={TOWNSHIP}&year=2026"), format!("/natural-changes?division={TOWNSHIP}&year=2026&format=xlsx")] {
        let res = reviewer.get(&path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let bytes = res.bytes().await.unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        assert_eq!(wb.sheet_names(), ["增加情况表", "减少情况表"]);
        let rows = |wb: &mut calamine::Xlsx<_>, name: &str| -> Vec<Vec<String>> { wb.worksheet_range(name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect() };
        let added = rows(&mut wb, "增加情况表");
        assert_eq!(added[0], ["序号", "乡(镇)", "行政村", "户编号", "户主姓名", "增加成员姓名", "性别", "出生日期", "证件号码", "与户主关系", "增加原因", "增加时间"]);
        assert_eq!(added.len(), 3);
        assert_eq!((added[1][0].as_str(), added[1][5].as_str(), added[1][6].as_str(), added[1][8].as_str()), ("1", "王小宝", "男", "无（新生儿未落户）"));
        assert_eq!((added[1][9].as_str(), added[1][10].as_str(), added[1][11].as_str()), ("孙子女", "出生", "2026-03-10"));
        assert_eq!((added[2][10].as_str(), added[2][11].as_str()), ("迁入", "2026-02-01"));
        assert!(!added[1][1].chars().all(|c| c.is_ascii_digit()), "the township by name: {}", added[1][1]);
        let removed = rows(&mut wb, "减少情况表");
        assert_eq!(removed[0][5], "减少成员姓名");
        assert_eq!((removed[0][10].as_str(), removed[0][11].as_str()), ("减少原因", "减少时间"));
        assert_eq!(removed.len(), 2);
        assert_eq!((removed[1][5].as_str(), removed[1][9].as_str(), removed[1][10].as_str(), removed[1][11].as_str()), ("李秀英", "配偶", "死亡", "2026-05-01"));
    }
    let other = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(other.get(&format!("/natural-changes.xlsx?division={VILLAGE}&year=2026")).await.status(), 404);
}

#[actix_web::test]
async fn a_member_without_an_id_number_is_listed_by_the_cleaning_rule_until_the_number_is_entered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (path, _) = household(&admin, VILLAGE, &[(1, "head")]).await;
    let h: Value = admin.post(&format!("{path}/members"), newborn()).await.json().await.unwrap();
    let baby = member(&h, "王小宝")["id"].as_str().unwrap().to_owned();
    let open = |admin: Api| async move {
        admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await;
        let p: Value = admin.get(&format!("/quality/problems?division={VILLAGE}&rule=member_without_id_number&status=open")).await.json().await.unwrap();
        p["items"].as_array().unwrap().clone()
    };
    let listed = open(admin.clone()).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0]["detail"].as_str().unwrap().contains("王小宝"));
    let sync: Value = admin.get("/sync").await.json().await.unwrap();
    assert!(sync.to_string().contains("newborn_unregistered"), "phones get the reason");

    // The number of another current member is taken; a born-before-joining number is refused.
    let head_number = id_number(1);
    assert_eq!(admin.patch(&format!("{path}/members/{baby}"), json!({"id_number": head_number}), Some("2")).await.status(), 409);
    let res = admin.patch(&format!("{path}/members/{baby}"), json!({"id_number": "not a number"}), Some("2")).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "id_number");
    let number = fangpin::domain::IdNumber::compose("610831", chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(), 21);
    let res = admin.patch(&format!("{path}/members/{baby}"), json!({"id_number": number.as_str()}), Some("2")).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    let m = member(&h, "王小宝");
    assert_eq!((m["id_number"].as_str(), &m["no_id_reason"], m["birth_date"].as_str()), (Some(number.as_str()), &Value::Null, Some("2026-03-10")));
    let res = admin.patch(&format!("{path}/members/{baby}"), json!({"id_number": id_number(22)}), Some("3")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "has_id_number", "a recorded number is not replaced");
    assert!(open(admin.clone()).await.is_empty(), "the problem is resolved by the data");
}
