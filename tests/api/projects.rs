//! Assistance projects 项目管理: registration with the investment's composition, villages and
//! beneficiaries, changes with If-Match, and who sees and changes them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// The (field, code) pairs of a 422.
pub(crate) async fn refusals(res: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    p["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned())).collect()
}

fn has(errs: &[(String, String)], field: &str, code: &str) -> bool {
    errs.iter().any(|(f, c)| f == field && c == code)
}

/// A drinking-water project of 2026 in the test village and its neighbour: 100 000 yuan, of
/// which 60 000 central, 25 000 provincial, 10 000 county and 5 000 other.
pub(crate) fn project() -> Value {
    json!({"category": "drinking_water", "name": "何家集自来水管网延伸工程", "year": 2026, "village_codes": [VILLAGE, VILLAGE_2],
        "status": "in_progress", "start_date": "2026-04-01", "total_investment_yuan": 100000, "central_funds_yuan": 60000,
        "provincial_funds_yuan": 25000, "county_funds_yuan": 10000, "other_funds_yuan": 5000})
}

async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn count(api: &Api, path: &str) -> usize {
    let page: Value = api.get(path).await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_project_is_registered_with_its_investment_villages_and_status_and_read_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.post("/projects", project()).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let p = created(res).await;
    assert_eq!((p["category"].as_str(), p["status"].as_str(), p["year"].as_i64()), (Some("drinking_water"), Some("in_progress"), Some(2026)));
    assert_eq!(p["village_codes"], json!([VILLAGE, VILLAGE_2]));
    assert_eq!((p["total_investment_yuan"].as_f64(), p["central_funds_yuan"].as_f64(), p["other_funds_yuan"].as_f64()), (Some(100000.0), Some(60000.0), Some(5000.0)));
    let read: Value = admin.get(&format!("/projects/{}", id(&p))).await.json().await.unwrap();
    assert_eq!(read["name"], "何家集自来水管网延伸工程");
    assert_eq!(count(&admin, &format!("/projects?division={VILLAGE_2}&category=drinking_water&year=2026")).await, 1);
    assert_eq!(count(&admin, "/projects?category=industry").await, 0);
    assert_eq!(count(&admin, &format!("/projects?division={OTHER_TOWNSHIP_VILLAGE}")).await, 0);
    // The same client_id again: the first project, not a second one.
    let body = json!({"client_id": "0193a0b0-0000-7000-8000-000000000001"});
    let mut with_client = project();
    with_client.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    let first = created(admin.post("/projects", with_client.clone()).await).await;
    let again = admin.post("/projects", with_client).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_eq!(count(&admin, "/projects").await, 2);
}

#[actix_web::test]
async fn investment_parts_that_do_not_sum_to_the_total_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = project();
    body["other_funds_yuan"] = json!(4999.99);
    let errs = refusals(admin.post("/projects", body).await).await;
    assert!(has(&errs, "investment", "sum_mismatch"), "{errs:?}");
    assert_eq!(count(&admin, "/projects").await, 0);
    // A change that breaks the sum is refused the same way and leaves the project as it was.
    let p = created(admin.post("/projects", project()).await).await;
    let res = admin.patch(&format!("/projects/{}", id(&p)), json!({"total_investment_yuan": 120000}), Some("\"1\"")).await;
    assert!(has(&refusals(res).await, "investment", "sum_mismatch"));
    let res = admin.patch(&format!("/projects/{}", id(&p)), json!({"total_investment_yuan": 120000, "other_funds_yuan": 25000}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!((changed["total_investment_yuan"].as_f64(), changed["version"].as_i64()), (Some(120000.0), Some(2)));
}

#[actix_web::test]
async fn every_bad_value_of_a_project_is_named_in_one_refusal() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({"category": "roads", "name": " ", "year": 2010, "village_codes": ["6108311012"], "status": "started", "total_investment_yuan": 1.005});
    let errs = refusals(admin.post("/projects", body).await).await;
    for (field, code) in [("category", "invalid_value"), ("year", "out_of_range"), ("village_codes[0]", "invalid_division_code"), ("status", "invalid_value"), ("total_investment_yuan", "too_precise")] {
        assert!(has(&errs, field, code), "{field} {code}: {errs:?}");
    }
    assert!(errs.iter().any(|(f, _)| f == "name"), "{errs:?}");
    let errs = refusals(admin.post("/projects", json!({})).await).await;
    for field in ["category", "name", "year", "village_codes", "status", "total_investment_yuan"] {
        assert!(has(&errs, field, "required"), "{field}: {errs:?}");
    }
    // Dates against the status: in progress without a start, completed without an end, an end before the start.
    let mut b = project();
    b.as_object_mut().unwrap().remove("start_date");
    assert!(has(&refusals(admin.post("/projects", b).await).await, "start_date", "required"));
    let mut b = project();
    b["status"] = json!("completed");
    assert!(has(&refusals(admin.post("/projects", b.clone()).await).await, "end_date", "required"));
    b["end_date"] = json!("2026-03-01");
    assert!(has(&refusals(admin.post("/projects", b).await).await, "end_date", "before_start"));
    // A village code of the right shape that is no village of the county.
    let mut b = project();
    b["village_codes"] = json!([TOWNSHIP]);
    assert!(has(&refusals(admin.post("/projects", b).await).await, "village_codes[0]", "unknown_division"));
    assert_eq!(count(&admin, "/projects").await, 0);
}

#[actix_web::test]
async fn a_beneficiary_outside_the_projects_villages_is_refused_and_a_household_lists_its_projects() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = project();
    body["village_codes"] = json!([VILLAGE]);
    let p = created(admin.post("/projects", body).await).await;
    let path = format!("/projects/{}/beneficiaries", id(&p));
    let inside = app.household_in(VILLAGE, 1).await;
    let outside = app.household_in(VILLAGE_2, 2).await;
    let errs = refusals(admin.post(&path, json!({"household_id": id(&outside)})).await).await;
    assert!(has(&errs, "household_id", "outside_project_villages"), "{errs:?}");
    assert!(has(&refusals(admin.post(&path, json!({"household_id": "0193a0b0-0000-7000-8000-0000000000ff"})).await).await, "household_id", "unknown_household"));
    assert!(has(&refusals(admin.post(&path, json!({"household_id": id(&inside), "benefit_yuan": -5})).await).await, "benefit_yuan", "out_of_range"));
    let res = admin.post(&path, json!({"household_id": id(&inside), "benefit_yuan": 1200.5})).await;
    let with = created(res).await;
    assert_eq!(with["beneficiaries"][0]["household_id"], inside["id"]);
    assert_eq!(with["beneficiaries"][0]["benefit_yuan"].as_f64(), Some(1200.5));
    assert_eq!(admin.post(&path, json!({"household_id": id(&inside)})).await.status(), 409);
    let mine: Value = admin.get(&format!("/households/{}/projects", id(&inside))).await.json().await.unwrap();
    assert_eq!((mine[0]["project_id"].as_str(), mine[0]["benefit_yuan"].as_f64()), (p["id"].as_str(), Some(1200.5)));
    let none: Value = admin.get(&format!("/households/{}/projects", id(&outside))).await.json().await.unwrap();
    assert_eq!(none, json!([]));
    // A village whose households benefit cannot be left out of the project.
    let res = admin.patch(&format!("/projects/{}", id(&p)), json!({"village_codes": [VILLAGE_2]}), Some("\"1\"")).await;
    assert!(has(&refusals(res).await, "village_codes", "has_beneficiaries"));
    // Removed again: the household no longer lists it; removing twice is 404.
    let res = admin.request(Method::DELETE, &format!("{path}/{}", id(&inside)), None, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["beneficiaries"], json!([]));
    assert_eq!(admin.request(Method::DELETE, &format!("{path}/{}", id(&inside)), None, None).await.status(), 404);
    let none: Value = admin.get(&format!("/households/{}/projects", id(&inside))).await.json().await.unwrap();
    assert_eq!(none, json!([]));
    let history: Value = admin.get(&format!("/households/{}/history", id(&inside))).await.json().await.unwrap();
    let text = history.to_string();
    assert!(text.contains("project_beneficiary_add") && text.contains("project_beneficiary_remove"), "{text}");
}

#[actix_web::test]
async fn a_change_needs_if_match_and_a_stale_one_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = created(admin.post("/projects", project()).await).await;
    let path = format!("/projects/{}", id(&p));
    assert_eq!(admin.patch(&path, json!({"status": "completed", "end_date": "2026-10-30"}), None).await.status(), 428);
    let res = admin.patch(&path, json!({"status": "completed", "end_date": "2026-10-30"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    assert_eq!(admin.patch(&path, json!({"name": "另一个名称"}), Some("\"1\"")).await.status(), 412);
    let read: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!((read["status"].as_str(), read["end_date"].as_str(), read["version"].as_i64()), (Some("completed"), Some("2026-10-30"), Some(2)));
    assert_eq!(read["name"], "何家集自来水管网延伸工程");
}

#[actix_web::test]
async fn projects_are_scoped_like_households_and_changed_only_by_those_holding_all_their_villages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = created(admin.post("/projects", project()).await).await;
    let path = format!("/projects/{}", id(&p));
    // Another county's admin: nothing of it, and no project in this county's villages.
    let outsider = app.user("county_admin", "340323000000").await;
    assert_eq!(outsider.get(&path).await.status(), 404);
    assert_eq!(outsider.patch(&path, json!({"name": "x"}), Some("\"1\"")).await.status(), 404);
    assert_eq!(outsider.post("/projects", project()).await.status(), 404);
    assert_eq!(count(&outsider, "/projects").await, 0);
    assert_eq!(outsider.get(&format!("/projects?division={VILLAGE}")).await.status(), 404);
    // Another township's reviewer neither sees nor changes it.
    let other = app.user("township_reviewer", "610831102000").await;
    assert_eq!(other.get(&path).await.status(), 404);
    assert_eq!(count(&other, "/projects").await, 0);
    // The village officer of one of its two villages reads it but may not change it (403);
    // a project of their own village is theirs to change.
    let officer = app.user("village_officer", VILLAGE).await;
    assert_eq!(officer.get(&path).await.status(), 200);
    assert_eq!(officer.patch(&path, json!({"name": "x"}), Some("\"1\"")).await.status(), 403);
    assert_eq!(officer.post("/projects", project()).await.status(), 404);
    let mut own = project();
    own["village_codes"] = json!([VILLAGE]);
    let mine = created(officer.post("/projects", own).await).await;
    assert_eq!(officer.patch(&format!("/projects/{}", id(&mine)), json!({"name": "三组自来水"}), Some("\"1\"")).await.status(), 200);
    // A cadre reads the projects of their paired households' villages and writes none;
    // an auditor reads and writes none.
    let h = app.household_in(VILLAGE_2, 3).await;
    let cadre = app.cadre_of(&[&id(&h)]).await;
    assert_eq!(cadre.get(&path).await.status(), 200);
    assert_eq!(cadre.get(&format!("/projects/{}", id(&mine))).await.status(), 404);
    assert_eq!(count(&cadre, "/projects").await, 1);
    let mut own = project();
    own["village_codes"] = json!([VILLAGE]);
    assert_eq!(cadre.post("/projects", own).await.status(), 403);
    assert_eq!(cadre.post(&format!("{path}/beneficiaries"), json!({"household_id": id(&h)})).await.status(), 403);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(count(&auditor, "/projects").await, 2);
    assert_eq!(auditor.patch(&path, json!({"name": "x"}), Some("\"1\"")).await.status(), 403);
    let read: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!((read["version"].as_i64(), read["name"].as_str()), (Some(1), Some("何家集自来水管网延伸工程")));
}

/// The rows of a workbook's sheet, as text.
fn sheet(workbook: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(workbook.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    range.rows().map(|r| r.iter().map(|c| if let Data::Empty = c { String::new() } else { c.to_string() }).collect()).collect()
}

#[actix_web::test]
async fn the_division_export_and_a_households_archive_list_its_projects_loans_and_migrant_work() {
    use std::io::Read;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (hid, member) = (id(&h), h["members"][0]["id"].as_str().unwrap().to_owned());
    let mut body = project();
    body["name"] = json!("=HYPERLINK(\"http://x\")自来水");
    let p = created(admin.post("/projects", body).await).await;
    created(admin.post(&format!("/projects/{}/beneficiaries", id(&p)), json!({"household_id": hid, "benefit_yuan": 800})).await).await;
    let loan = json!({"lender": "子洲县农村信用合作联社", "amount_yuan": 50000, "issued_on": "2024-03-15", "due_on": "2027-03-15", "purpose": "养羊"});
    created(admin.post(&format!("/households/{hid}/loans"), loan).await).await;
    let work = json!({"destination_code": "320583000000", "employer": "昆山某电子厂", "months_away": 8, "income_yuan": 36000, "programme": true});
    created(admin.request(Method::PUT, &format!("/households/{hid}/members/{member}/migrant-work/2025"), Some(work), None).await).await;

    let res = admin.get(&format!("/exports/households.xlsx?division={VILLAGE}&year=2025")).await;
    assert_eq!(res.status(), 200);
    let book = res.bytes().await.unwrap().to_vec();
    let projects = sheet(&book, "项目");
    assert_eq!(projects.len(), 2, "{projects:?}");
    assert_eq!((projects[0][3].as_str(), projects[1][2].as_str(), projects[1][4].as_str(), projects[1][8].as_str()), ("项目名称", "饮水", "实施中", "800"));
    assert!(!projects[1][3].starts_with('=') && projects[1][3].contains("HYPERLINK"), "{:?}", projects[1][3]);
    let loans = sheet(&book, "小额信贷");
    assert_eq!((loans[1][1].as_str(), loans[1][2].as_str(), loans[1][8].as_str()), ("子洲县农村信用合作联社", "50000", "未到期"));
    let work = sheet(&book, "外出务工");
    assert_eq!((work[1][1].as_str(), work[1][2].as_str(), work[1][3].as_str(), work[1][8].as_str()), ("2025", "王建国", "320583000000", "是"));

    let res = admin.get(&format!("/households/{hid}/archive.zip")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = zip.by_index(0).unwrap();
    assert!(file.name().unwrap().ends_with("档案.xlsx"));
    let mut xlsx = Vec::new();
    file.read_to_end(&mut xlsx).unwrap();
    assert_eq!(sheet(&xlsx, "项目").len(), 2);
    assert_eq!(sheet(&xlsx, "小额信贷").len(), 2);
    assert_eq!(sheet(&xlsx, "外出务工").len(), 2);
}

#[actix_web::test]
async fn the_comparison_shows_projects_loans_and_migrant_work_beside_the_yearly_record() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let (hid, member) = (id(&h), h["members"][0]["id"].as_str().unwrap().to_owned());
    let p = created(admin.post("/projects", project()).await).await;
    created(admin.post(&format!("/projects/{}/beneficiaries", id(&p)), json!({"household_id": hid, "benefit_yuan": 800})).await).await;
    let loan = json!({"lender": "信用社", "amount_yuan": 50000, "issued_on": "2024-03-15", "due_on": "2027-03-15"});
    created(admin.post(&format!("/households/{hid}/loans"), loan).await).await;
    for (year, income) in [(2025, 30000), (2026, 36000)] {
        let work = json!({"destination_code": "320583000000", "months_away": 8, "income_yuan": income});
        created(admin.request(Method::PUT, &format!("/households/{hid}/members/{member}/migrant-work/{year}"), Some(work), None).await).await;
    }
    let cmp: Value = admin.get(&format!("/households/{hid}/years/2026/comparison")).await.json().await.unwrap();
    let row = |name: &str| cmp["assistance"].as_array().unwrap().iter().find(|r| r["field"] == name).map(|r| (r["before"].as_f64(), r["after"].as_f64())).unwrap_or_else(|| panic!("{name}: {cmp}"));
    assert_eq!(row("受益项目数"), (Some(0.0), Some(1.0)));
    assert_eq!(row("项目受益金额(元)"), (Some(0.0), Some(800.0)));
    assert_eq!(row("小额信贷在贷笔数"), (Some(1.0), Some(1.0)));
    assert_eq!(row("王建国 · 务工收入(元)"), (Some(30000.0), Some(36000.0)));
    let res = admin.get(&format!("/households/{hid}/years/2026/comparison.xlsx")).await;
    assert_eq!(res.status(), 200);
    let rows = sheet(&res.bytes().await.unwrap(), "对照表");
    let income = rows.iter().find(|r| r[0] == "王建国 · 务工收入(元)").unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!((income[1].as_str(), income[2].as_str(), income[3].as_str()), ("30000", "36000", "✓"));
}
