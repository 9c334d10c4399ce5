//! Microcredit 小额信贷: loans of a household, their dates and status, changes with If-Match,
//! who records them, and overdue loans as a cleaning rule and a coverage figure.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::projects::refusals;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A 50 000-yuan three-year loan of 2024, with 1 500 yuan of interest subsidy.
fn loan() -> Value {
    json!({"lender": "子洲县农村信用合作联社", "amount_yuan": 50000, "issued_on": "2024-03-15", "due_on": "2027-03-15",
        "purpose": "养殖山羊", "interest_subsidy_yuan": 1500})
}

async fn household(app: &TestApp, n: u32) -> (String, String) {
    let h = app.household_in(VILLAGE, n).await;
    let path = format!("/households/{}", id(&h));
    (id(&h), path)
}

#[actix_web::test]
async fn a_loan_is_recorded_and_listed_with_its_figures_in_yuan() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, path) = household(&app, 1).await;
    let res = admin.post(&format!("{path}/loans"), loan()).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let l: Value = res.json().await.unwrap();
    assert_eq!((l["amount_yuan"].as_f64(), l["interest_subsidy_yuan"].as_f64()), (Some(50000.0), Some(1500.0)));
    assert_eq!((l["status"].as_str(), l["overdue"].as_bool()), (Some("outstanding"), Some(false)));
    let listed: Value = admin.get(&format!("{path}/loans")).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["lender"], "子洲县农村信用合作联社");
    let history: Value = admin.get(&format!("{path}/history")).await.json().await.unwrap();
    assert!(history.to_string().contains("loan_add"));
}

#[actix_web::test]
async fn a_loan_due_before_it_was_issued_and_other_bad_values_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, path) = household(&app, 1).await;
    let mut b = loan();
    b["due_on"] = json!("2024-03-01");
    let errs = refusals(admin.post(&format!("{path}/loans"), b).await).await;
    assert_eq!(errs, vec![("due_on".to_owned(), "before_issue".to_owned())]);
    let errs = refusals(admin.post(&format!("{path}/loans"), json!({"amount_yuan": 10.001, "status": "lost"})).await).await;
    for (field, code) in [("lender", "required"), ("issued_on", "required"), ("due_on", "required"), ("amount_yuan", "too_precise"), ("status", "invalid_value")] {
        assert!(errs.iter().any(|(f, c)| f == field && c == code), "{field} {code}: {errs:?}");
    }
    let mut b = loan();
    b["issued_on"] = json!("2099-01-01");
    b["due_on"] = json!("2100-01-01");
    assert_eq!(refusals(admin.post(&format!("{path}/loans"), b).await).await[0].0, "issued_on");
    let mut b = loan();
    b["status"] = json!("repaid");
    assert_eq!(refusals(admin.post(&format!("{path}/loans"), b).await).await, vec![("repaid_on".to_owned(), "required".to_owned())]);
    let mut b = loan();
    b["status"] = json!("extended");
    b["extended_to"] = json!("2027-01-01");
    assert_eq!(refusals(admin.post(&format!("{path}/loans"), b).await).await, vec![("extended_to".to_owned(), "before_due".to_owned())]);
    let listed: Value = admin.get(&format!("{path}/loans")).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
}

#[actix_web::test]
async fn a_loan_changes_with_if_match_and_is_checked_whole() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, path) = household(&app, 1).await;
    let l: Value = admin.post(&format!("{path}/loans"), loan()).await.json().await.unwrap();
    let lp = format!("/loans/{}", id(&l));
    assert_eq!(admin.patch(&lp, json!({"status": "repaid", "repaid_on": "2026-06-01"}), None).await.status(), 428);
    // Repaid without its date; due moved before the issue: each named.
    assert_eq!(refusals(admin.patch(&lp, json!({"status": "repaid"}), Some("\"1\"")).await).await[0].0, "repaid_on");
    assert_eq!(refusals(admin.patch(&lp, json!({"due_on": "2023-01-01"}), Some("\"1\"")).await).await[0], ("due_on".to_owned(), "before_issue".to_owned()));
    let res = admin.patch(&lp, json!({"status": "repaid", "repaid_on": "2026-06-01"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let repaid: Value = res.json().await.unwrap();
    assert_eq!((repaid["status"].as_str(), repaid["repaid_on"].as_str(), repaid["version"].as_i64()), (Some("repaid"), Some("2026-06-01"), Some(2)));
    assert_eq!(admin.patch(&lp, json!({"purpose": "x"}), Some("\"1\"")).await.status(), 412);
    // Back to outstanding: the repayment date goes with the status.
    let back: Value = admin.patch(&lp, json!({"status": "outstanding"}), Some("\"2\"")).await.json().await.unwrap();
    assert_eq!((back["status"].as_str(), back["repaid_on"].as_str()), (Some("outstanding"), None));
}

#[actix_web::test]
async fn loans_are_recorded_by_village_officers_and_above_and_read_within_the_scope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (hid, path) = household(&app, 1).await;
    let l: Value = admin.post(&format!("{path}/loans"), loan()).await.json().await.unwrap();
    let lp = format!("/loans/{}", id(&l));
    let cadre = app.cadre_of(&[&hid]).await;
    assert_eq!(cadre.get(&format!("{path}/loans")).await.status(), 200);
    assert_eq!(cadre.post(&format!("{path}/loans"), loan()).await.status(), 403);
    assert_eq!(cadre.patch(&lp, json!({"purpose": "x"}), Some("\"1\"")).await.status(), 403);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.get(&format!("{path}/loans")).await.status(), 200);
    assert_eq!(auditor.post(&format!("{path}/loans"), loan()).await.status(), 403);
    let officer = app.user("village_officer", VILLAGE).await;
    assert_eq!(officer.post(&format!("{path}/loans"), loan()).await.status(), 201);
    let elsewhere = app.user("village_officer", VILLAGE_2).await;
    assert_eq!(elsewhere.get(&format!("{path}/loans")).await.status(), 404);
    assert_eq!(elsewhere.patch(&lp, json!({"purpose": "x"}), Some("\"1\"")).await.status(), 404);
    let outsider = app.user("county_admin", "340323000000").await;
    assert_eq!(outsider.post(&format!("{path}/loans"), loan()).await.status(), 404);
    assert_eq!(outsider.patch(&lp, json!({"purpose": "x"}), Some("\"1\"")).await.status(), 404);
    let listed: Value = admin.get(&format!("{path}/loans")).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed.to_string().matches("\"version\":1").count(), 2);
}

#[actix_web::test]
async fn an_overdue_loan_is_a_cleaning_problem_and_a_coverage_figure() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, path) = household(&app, 1).await;
    let mut b = loan();
    b["issued_on"] = json!("2023-03-15");
    b["due_on"] = json!("2026-03-15");
    let overdue: Value = admin.post(&format!("{path}/loans"), b).await.json().await.unwrap();
    assert_eq!(overdue["overdue"], true);
    admin.post(&format!("{path}/loans"), loan()).await;
    let coverage: Value = admin.get(&format!("/coverage?division={TOWNSHIP}")).await.json().await.unwrap();
    assert_eq!(coverage["division"]["loans_overdue"], 1, "{coverage}");
    let village = coverage["children"].as_array().unwrap().iter().find(|c| c["code"] == VILLAGE).unwrap();
    assert_eq!(village["loans_overdue"], 1);
    let res = admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await;
    assert!(res.status().is_success());
    let problems: Value = admin.get(&format!("/quality/problems?division={VILLAGE}&rule=loan_overdue")).await.json().await.unwrap();
    let items = problems["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{problems}");
    assert!(items[0].to_string().contains("2026-03-15"), "{}", items[0]);
    // Repaid: the next run resolves it, and coverage no longer counts it.
    let lp = format!("/loans/{}", id(&overdue));
    assert_eq!(admin.patch(&lp, json!({"status": "repaid", "repaid_on": "2026-04-01"}), Some("\"1\"")).await.status(), 200);
    admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await;
    let open: Value = admin.get(&format!("/quality/problems?division={VILLAGE}&rule=loan_overdue&status=open")).await.json().await.unwrap();
    assert_eq!(open["items"], json!([]), "{open}");
    let coverage: Value = admin.get(&format!("/coverage?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(coverage["division"]["loans_overdue"], 0);
    let rules: Value = admin.get("/quality/rules").await.json().await.unwrap();
    assert!(rules.to_string().contains("小额信贷逾期未还"));
}

#[actix_web::test]
async fn a_divisions_loans_are_listed_with_their_households_and_the_overdue_ones_are_the_coverage_figure() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut overdue_ids = Vec::new();
    let (mut lapsed, mut extended_lapsed) = (loan(), loan());
    lapsed["issued_on"] = json!("2023-03-15");
    lapsed["due_on"] = json!("2026-03-15");
    extended_lapsed["issued_on"] = json!("2023-03-15");
    extended_lapsed["due_on"] = json!("2025-03-15");
    extended_lapsed["status"] = json!("extended");
    extended_lapsed["extended_to"] = json!("2026-01-15");
    let (mut extended_running, mut marked) = (extended_lapsed.clone(), loan());
    extended_running["extended_to"] = json!("2028-01-15");
    marked["status"] = json!("overdue"); // the bank says so before the due date
    let mut repaid = lapsed.clone();
    repaid["status"] = json!("repaid");
    repaid["repaid_on"] = json!("2026-03-01");
    let mut paths = Vec::new();
    for n in 1..=3 {
        paths.push(household(&app, n).await.1);
    }
    for (n, body, overdue) in [(0, loan(), false), (0, lapsed, true), (1, extended_lapsed, true), (1, extended_running, false), (2, marked, true), (2, repaid, false)] {
        let path = &paths[n];
        let l: Value = admin.post(&format!("{path}/loans"), body).await.json().await.unwrap();
        assert_eq!(l["overdue"], overdue, "{l}");
        if overdue {
            overdue_ids.push(id(&l));
        }
    }
    let elsewhere = app.household_in(VILLAGE_2, 9).await;
    admin.post(&format!("/households/{}/loans", id(&elsewhere)), loan()).await;

    let all: Value = admin.get(&format!("/loans?division={VILLAGE}")).await.json().await.unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{all}");
    let first = &items[0];
    let h: Value = admin.get(&format!("/households/{}", first["loan"]["household_id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!((&first["household_number"], &first["village_code"], &first["head_name"]), (&h["number"], &json!(VILLAGE), &h["head_name"]));
    let township: Value = admin.get(&format!("/loans?division={TOWNSHIP}&limit=4")).await.json().await.unwrap();
    assert_eq!(township["items"].as_array().unwrap().len(), 4);
    let rest: Value = admin.get(&format!("/loans?division={TOWNSHIP}&limit=4&cursor={}", township["next_cursor"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3, "six in the village and one in the other");

    // Overdue today: exactly the loans whose own view says so, as many as the coverage counts.
    let overdue: Value = admin.get(&format!("/loans?division={VILLAGE}&overdue=true")).await.json().await.unwrap();
    let mut listed: Vec<String> = overdue["items"].as_array().unwrap().iter().map(|i| id(&i["loan"])).collect();
    listed.sort();
    overdue_ids.sort();
    assert_eq!(listed, overdue_ids);
    assert!(overdue["items"].as_array().unwrap().iter().all(|i| i["loan"]["overdue"] == true));
    let coverage: Value = admin.get(&format!("/coverage?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(coverage["division"]["loans_overdue"].as_u64(), Some(listed.len() as u64));
    let extended: Value = admin.get(&format!("/loans?division={VILLAGE}&status=extended")).await.json().await.unwrap();
    assert_eq!(extended["items"].as_array().unwrap().len(), 2);

    // Scope and bad filters.
    let officer = app.user("village_officer", VILLAGE_2).await;
    let own: Value = officer.get("/loans").await.json().await.unwrap();
    assert_eq!(own["items"].as_array().unwrap().len(), 1, "by default the caller's jurisdiction");
    assert_eq!(officer.get(&format!("/loans?division={VILLAGE}")).await.status(), 404);
    let hid = all["items"][0]["loan"]["household_id"].as_str().unwrap().to_owned(); // household 1: two loans
    let cadre = app.cadre_of(&[&hid]).await;
    let paired: Value = cadre.get(&format!("/loans?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(paired["items"].as_array().unwrap().len(), 2, "a cadre lists the loans of their paired households: {paired}");
    for (query, field) in [("status=late", "status"), ("division=12", "division"), ("limit=0", "limit")] {
        let res = admin.get(&format!("/loans?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        assert!(res.text().await.unwrap().contains(field), "{query}");
    }
    assert_eq!(admin.get("/loans?cursor=not-ours").await.status(), 400);
}

