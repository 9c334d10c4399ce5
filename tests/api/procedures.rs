//! Statutory procedures end to end on one case at a time: an inclusion from the application and
//! the home visit to the notification, an exit with its eligibility and the township's spot
//! check, preconditions, exclusion conditions, overdue cases, reproducible spot checks. The
//! village's yearly calendar in batches is `procedure_calendar.rs`.

use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) fn signed() -> Value {
    json!([{"role": "township_cadre", "name": "张乡干"}, {"role": "village_secretary", "name": "李书记"}])
}

/// What each step carries besides its date and outcome (the home visit's collectors, the spot
/// check's inspectors, the application's note, every department's answer).
pub(crate) fn step_body(step: &str, outcome: &str, date: &str) -> Value {
    let mut b = json!({"step": step, "outcome": outcome, "date": date, "signatories": signed()});
    match step {
        "application" => b["note"] = json!("手写申请书存村档案"),
        "home_visit" => {
            b["collectors"] = json!(["张采集", "李采集"]);
            b["household_signed"] = json!(true);
        }
        "township_spot_check" => b["checked_by"] = json!(["赵审核"]),
        "county_cross_check" => b["departments"] = departments(None),
        _ => {}
    }
    b
}

/// Every department of the default list clear, or one of them with a suspicion.
pub(crate) fn departments(suspicion: Option<&str>) -> Value {
    let all = ["公安", "住建", "财政", "人社", "市场监管", "农机", "银行", "证券", "保险"];
    Value::Array(all.iter().map(|d| if Some(*d) == suspicion { json!({"department": d, "result": "suspicion", "note": "名下有商品房"}) } else { json!({"department": d, "result": "clear"}) }).collect())
}

async fn step(api: &Api, case: &str, s: &str, outcome: &str, date: &str) -> reqwest::Response {
    api.post(&format!("/cases/{case}/steps"), step_body(s, outcome, date)).await
}

async fn ok_step(api: &Api, case: &str, s: &str, outcome: &str, date: &str) -> Value {
    let res = step(api, case, s, outcome, date).await;
    assert_eq!(res.status(), 201, "{s} on {date}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// Days before today, as a date (steps cannot be in the future).
pub(crate) fn ago(days: i64) -> String {
    (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() - chrono::Duration::days(days)).to_string()
}

/// A household registered by the county admin migrating data of `category` (with its origin).
pub(crate) async fn household_of(app: &TestApp, village: &str, n: u32, category: &str) -> Value {
    let mut body = household_body(village, &[(n, "head")]);
    body["category"] = json!(category);
    body["origin"] = json!("2025年建档立卡数据迁移");
    let res = app.admin().await.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn open_inclusion(app: &TestApp, officer: &Api) -> (Value, String) {
    let h = app.household_in(VILLAGE, 1).await;
    let res = officer.post("/cases", json!({"household_id": h["id"], "kind": "inclusion", "reason": "户主突发重病，医疗支出大", "risk_types": ["illness", "high_expenses"], "target_category": "monitored_hardship"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let case: Value = res.json().await.unwrap();
    (h, case["id"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn a_township_runs_a_new_monitoring_object_from_application_to_notification() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let (h, case) = open_inclusion(&app, &officer).await;
    let hpath = format!("/households/{}", h["id"].as_str().unwrap());
    // One open case per household.
    let again = officer.post("/cases", json!({"household_id": h["id"], "kind": "removal", "reason": "x"})).await;
    assert_eq!(again.status(), 409);

    let fresh: Value = officer.get(&format!("/cases/{case}")).await.json().await.unwrap();
    assert_eq!(fresh["next_steps"][0]["step"], "application");
    // The application is the household's own; then the home visit, then the village evaluation.
    let res = step(&officer, &case, "village_evaluation", "approved", &ago(40)).await;
    assert_eq!(res.status(), 409);
    let p = problem(res).await;
    assert_eq!(p["code"], "step_not_allowed");
    assert_eq!(p["allowed"][0]["step"], "application");
    // The application says where the handwritten application is; the home visit names two collectors.
    let today = ago(0);
    let res = officer.post(&format!("/cases/{case}/steps"), json!({"step": "application", "outcome": "done", "date": today})).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "note");
    ok_step(&officer, &case, "application", "done", &today).await;
    let lonely = json!({"step": "home_visit", "outcome": "done", "date": today, "collectors": ["张采集"], "household_signed": false});
    let p = problem(officer.post(&format!("/cases/{case}/steps"), lonely).await).await;
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["collectors", "proxy_signer"]);
    let proxy = json!({"step": "home_visit", "outcome": "done", "date": today, "collectors": ["张采集", "李采集"], "household_signed": false, "proxy_signer": "王邻居"});
    let visited: Value = officer.post(&format!("/cases/{case}/steps"), proxy).await.json().await.unwrap();
    assert_eq!(visited["steps"][1]["details"]["proxy_signer"], "王邻居");
    ok_step(&officer, &case, "village_evaluation", "approved", &today).await;
    // The first publicity waits for the household's acknowledgement.
    assert_eq!(step(&officer, &case, "first_publicity", "done", &today).await.status(), 409);
    ok_step(&officer, &case, "acknowledgement", "done", &today).await;
    let posted = ok_step(&officer, &case, "first_publicity", "done", &today).await;
    let review = posted["next_steps"].as_array().unwrap().iter().find(|n| n["step"] == "township_review").unwrap().clone();
    assert_eq!(review["earliest_date"], (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() + chrono::Duration::days(7)).to_string());
    // The township records its review, not the village.
    assert_eq!(step(&officer, &case, "township_review", "approved", &today).await.status(), 403);
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let res = step(&reviewer, &case, "township_review", "approved", &today).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("runs 7 days"));
    // Missing signatories are 422, a future date 409.
    let res = officer.post(&format!("/cases/{case}/steps"), json!({"step": "objection", "outcome": "raised", "date": ago(-1)})).await;
    assert_eq!(res.status(), 409);
    let res = reviewer.post(&format!("/cases/{case}/steps"), json!({"step": "township_review", "outcome": "approved", "date": today, "signatories": [{"role": "township_cadre", "name": "张"}]})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["code"], "missing_signatory");
    // An objection during the publicity stops the clock: back to evaluation (the visit stands).
    let back = ok_step(&officer, &case, "objection", "raised", &today).await;
    assert_eq!(back["state"], "visited");
    assert_eq!(back["steps"].as_array().unwrap().len(), 6);
    // Nothing changed on the household while the case is open.
    let before: Value = officer.get(&hpath).await.json().await.unwrap();
    assert_eq!(before["category"], "lifted_out");
    let list: Value = officer.get(&format!("/cases?division={VILLAGE}&open=true")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let cadre = app.user("cadre", VILLAGE).await;
    assert_eq!(step(&cadre, &case, "village_evaluation", "approved", &today).await.status(), 404);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(step(&auditor, &case, "village_evaluation", "approved", &today).await.status(), 403);
}

/// The full run needs dates weeks apart: the case is opened, then its opening date is moved
/// back in the database (as if opened in early autumn), and every step is entered with its date.
#[actix_web::test]
async fn a_full_inclusion_changes_the_household_only_when_it_completes() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let (h, case) = open_inclusion(&app, &officer).await;
    backdate(&app, &case, 60).await;
    ok_step(&officer, &case, "application", "done", &ago(60)).await;
    ok_step(&officer, &case, "home_visit", "done", &ago(59)).await;
    ok_step(&officer, &case, "village_evaluation", "approved", &ago(58)).await;
    ok_step(&officer, &case, "acknowledgement", "done", &ago(58)).await;
    ok_step(&officer, &case, "first_publicity", "done", &ago(57)).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let county = app.admin().await;
    ok_step(&reviewer, &case, "township_review", "approved", &ago(50)).await;
    ok_step(&officer, &case, "second_publicity", "done", &ago(49)).await;
    // A 6-day second publicity is refused.
    assert_eq!(step(&county, &case, "county_cross_check", "clear", &ago(43)).await.status(), 409);
    // Every department of the county's list answers: one missing is 422.
    let mut short = step_body("county_cross_check", "clear", &ago(42));
    short["departments"].as_array_mut().unwrap().pop();
    let p = problem(county.post(&format!("/cases/{case}/steps"), short).await).await;
    assert_eq!((p["errors"][0]["code"].as_str(), p["errors"][0]["message"].as_str().map(|m| m.contains("保险"))), (Some("missing_department"), Some(true)));
    // A suspicion from one department is fed back: the second evaluation answers it.
    let mut cross = step_body("county_cross_check", "suspicion", &ago(42));
    cross["departments"] = departments(Some("住建"));
    assert_eq!(officer.post(&format!("/cases/{case}/steps"), cross.clone()).await.status(), 403);
    let res = county.post(&format!("/cases/{case}/steps"), cross).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "suspected");
    let p = problem(step(&officer, &case, "village_evaluation", "approved", &ago(40)).await).await;
    assert_eq!(p["errors"][0]["field"], "note");
    let mut second = step_body("village_evaluation", "approved", &ago(40));
    second["note"] = json!("商品房为子女名下，已核实分户");
    assert_eq!(officer.post(&format!("/cases/{case}/steps"), second).await.status(), 201);
    ok_step(&officer, &case, "announcement", "done", &ago(38)).await;
    assert_eq!(step(&officer, &case, "notification", "done", &ago(34)).await.status(), 409);
    let done = ok_step(&officer, &case, "notification", "done", &ago(33)).await;
    assert_eq!((done["state"].as_str(), done["open"].as_bool()), (Some("done"), Some(false)));
    assert_eq!(done["steps"].as_array().unwrap().len(), 11);

    let hpath = format!("/households/{}", h["id"].as_str().unwrap());
    let after: Value = officer.get(&hpath).await.json().await.unwrap();
    assert_eq!(after["category"], "monitored_hardship");
    assert_eq!((after["risk_status"].as_str(), after["risk_types"].clone()), (Some("not_eliminated"), json!(["illness", "high_expenses"])));
    assert_eq!(after["profile"]["monitoring_included_on"], ago(33));
    // The dates a case set change only through cases (a county admin's migration aside).
    let version = after["version"].to_string();
    let p = problem(officer.patch(&hpath, json!({"profile": {"identified_year": 2014}}), Some(&version)).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("profile.monitoring_included_on"), Some("changed_by_case")));
    let mut kept = after["profile"].clone();
    kept["identified_year"] = json!(2014);
    assert_eq!(officer.patch(&hpath, json!({"profile": kept}), Some(&version)).await.status(), 200);
    let history: Value = officer.get(&format!("{hpath}/history")).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "case_complete" && e["after"]["case_id"] == case.as_str()));
    // Closed: no further steps; a new case may be opened.
    assert_eq!(step(&officer, &case, "notification", "done", &ago(0)).await.status(), 409);
    let exit = officer.post("/cases", json!({"household_id": h["id"], "kind": "exit", "reason": "风险已消除"})).await;
    assert_eq!(exit.status(), 201);
}

/// Puts a yearly record for the statistical year of `date` (income = wages + 3 200).
pub(crate) async fn year_of(app: &TestApp, h: &Value, date: &str, wages: f64) {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let year = if chrono::Datelike::month(&d) >= 10 { chrono::Datelike::year(&d) } else { chrono::Datelike::year(&d) - 1 };
    let path = format!("/households/{}/years/{year}", h["id"].as_str().unwrap());
    let res = app.admin().await.request(reqwest::Method::PUT, &path, Some(crate::yearly::record(h["members"][0]["id"].as_str().unwrap(), wages, 2)), None).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

#[actix_web::test]
async fn a_full_exit_checks_eligibility_needs_the_township_spot_check_and_the_overdue_list() {
    let app = spawn_with(|s| s.case_overdue_days = 10).await;
    let officer = app.user("village_officer", VILLAGE).await;
    let h = household_of(&app, VILLAGE, 1, "monitored_marginal").await;
    let res = officer.post("/cases", json!({"household_id": h["id"], "kind": "exit", "reason": "收入稳定超过标准", "target_category": "ordinary"})).await;
    let case = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    backdate(&app, &case, 30).await;
    // No yearly record of the year: not eligible.
    let p = problem(step(&officer, &case, "village_evaluation", "approved", &ago(30)).await).await;
    assert_eq!((p["code"].as_str(), p["failures"][0]["id"].as_str()), (Some("exit_not_allowed"), Some("no_yearly_record")));
    // Income under the exit minimum: refused with the figure.
    year_of(&app, &h, &ago(30), 500.0).await;
    let p = problem(step(&officer, &case, "village_evaluation", "approved", &ago(30)).await).await;
    assert_eq!(p["failures"][0]["id"], "income_below_exit_minimum");
    assert!(p["failures"][0]["figure"].as_str().unwrap().starts_with("3700 yuan per person < exit minimum 4000"), "{p}");
    // A county admin may override, with a reason: audited and shown on the case; others may not.
    let mut overridden = step_body("village_evaluation", "approved", &ago(30));
    overridden["eligibility_override"] = json!("县级核实：务工收入未计入，已补充证明");
    assert_eq!(officer.post(&format!("/cases/{case}/steps"), overridden.clone()).await.status(), 403);
    let admin = app.admin().await;
    let evaluated: Value = admin.post(&format!("/cases/{case}/steps"), overridden).await.json().await.unwrap();
    assert_eq!(evaluated["eligibility_override"]["reason"], "县级核实：务工收入未计入，已补充证明");
    assert_eq!(evaluated["eligibility_override"]["failures"][0]["id"], "income_below_exit_minimum");
    ok_step(&officer, &case, "acknowledgement", "done", &ago(30)).await;
    ok_step(&officer, &case, "publicity", "done", &ago(29)).await;
    // Waiting at the publicity for 29 days: overdue.
    let overdue: Value = officer.get("/cases?overdue=true").await.json().await.unwrap();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    // A village officer cannot complete an exit alone: the announcement needs the township's spot check.
    assert_eq!(step(&officer, &case, "announcement", "done", &ago(21)).await.status(), 409);
    assert_eq!(step(&officer, &case, "township_spot_check", "approved", &ago(21)).await.status(), 403);
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let p = problem(reviewer.post(&format!("/cases/{case}/steps"), json!({"step": "township_spot_check", "outcome": "approved", "date": ago(21), "signatories": signed()})).await).await;
    assert_eq!(p["errors"][0]["field"], "checked_by");
    let checked = ok_step(&reviewer, &case, "township_spot_check", "approved", &ago(21)).await;
    assert_eq!(checked["steps"][3]["details"]["checked_by"], json!(["赵审核"]));
    ok_step(&officer, &case, "announcement", "done", &ago(21)).await;
    let done = ok_step(&officer, &case, "notification", "done", &ago(16)).await;
    assert_eq!(done["state"], "done");
    let overdue: Value = officer.get("/cases?overdue=true").await.json().await.unwrap();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 0);
    let after: Value = officer.get(&format!("/households/{}", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!((after["category"].as_str(), after["risk_status"].as_str()), (Some("ordinary"), Some("eliminated")));
    assert_eq!(after["profile"]["risk_eliminated_on"], ago(16));
    let history: Value = admin.get(&format!("/households/{}/history", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "exit_eligibility_override"));
    // Bad cases: inclusion without a monitoring category or risk types; re-inclusion without its
    // reason; unknown kind.
    let res = officer.post("/cases", json!({"household_id": h["id"], "kind": "inclusion", "reason": "x"})).await;
    let fields: Vec<String> = problem(res).await["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["risk_types", "target_category"]);
    let res = officer.post("/cases", json!({"household_id": h["id"], "kind": "reinclusion", "reason": "x", "risk_types": ["illness"], "target_category": "monitored_unstable"})).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "return_reason");
    assert_eq!(officer.post("/cases", json!({"household_id": h["id"], "kind": "adoption", "reason": "x"})).await.status(), 422);
}

#[actix_web::test]
async fn a_case_that_cannot_start_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let lifted = app.household_in(VILLAGE, 1).await;
    let ordinary = {
        let mut b = household_body(VILLAGE, &[(2, "head")]);
        b["category"] = json!("ordinary");
        officer.post("/households", b).await.json::<Value>().await.unwrap()
    };
    let monitored = household_of(&app, VILLAGE, 3, "monitored_unstable").await;
    // (household, kind, words of the refusal)
    let refused = [
        (&lifted, "exit", "monitoring object whose risk is not eliminated"),
        (&ordinary, "removal", "ordinary household already"),
        (&ordinary, "risk_remark", "in monitoring"),
        (&monitored, "risk_rollback", "was not"),
        (&monitored, "inclusion", "risk_remark"),
        (&ordinary, "policy_end", "lifted out"),
    ];
    for (h, kind, words) in refused {
        let mut body = json!({"household_id": h["id"], "kind": kind, "reason": "x"});
        if kind == "inclusion" || kind == "risk_remark" {
            body["risk_types"] = json!(["illness"]);
        }
        if kind == "inclusion" {
            body["target_category"] = json!("monitored_hardship");
        }
        let res = officer.post("/cases", body).await;
        assert_eq!(res.status(), 409, "{kind}");
        let p = problem(res).await;
        assert_eq!(p["code"], "case_not_allowed", "{kind}");
        assert!(p["detail"].as_str().unwrap().contains(words), "{kind}: {p}");
    }
    // Categories and risk status change only through cases: a PATCH names the case to open.
    let path = format!("/households/{}", ordinary["id"].as_str().unwrap());
    let res = officer.patch(&path, json!({"category": "monitored_marginal", "risk_status": "not_eliminated"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("category"), Some("changed_by_case")));
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("inclusion"));
    assert_eq!(p["errors"][1]["field"], "risk_status");
    // A new household is ordinary: another category is a county admin's migration, with its origin.
    let p = problem(officer.post("/households", household_body(VILLAGE, &[(4, "head")])).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("category"), Some("changed_by_case")));
    let mut no_origin = household_body(VILLAGE, &[(4, "head")]);
    no_origin.as_object_mut().unwrap().remove("origin");
    let p = problem(app.admin().await.post("/households", no_origin).await).await;
    assert_eq!(p["errors"][0]["field"], "origin");
    let history: Value = officer.get(&format!("/households/{}/history", monitored["id"].as_str().unwrap())).await.json().await.unwrap();
    let created = history["items"].as_array().unwrap().iter().find(|e| e["action"] == "create").unwrap().clone();
    assert_eq!(created["after"]["category_origin"], "2025年建档立卡数据迁移");
}

#[actix_web::test]
async fn a_household_is_marked_lifted_out_without_policy_by_evaluation_and_acknowledgement_signed_by_accounts() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let cadre = app.user("township_reviewer", TOWNSHIP).await;
    let me: Value = cadre.get("/me").await.json().await.unwrap();
    let h = app.household_in(VILLAGE, 1).await;
    let case = officer.post("/cases", json!({"household_id": h["id"], "kind": "policy_end", "reason": "家庭人均纯收入已达当地农民人均纯收入水平，本人认可"})).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    // A signatory with an account is linked by its id and shown with the account's name; an id
    // that is no account of the county is refused under its field.
    let by = |user: &str| json!({"step": "village_evaluation", "outcome": "approved", "date": ago(0), "signatories": [{"role": "township_cadre", "user_id": user}, {"role": "village_secretary", "name": "李书记"}]});
    let p = problem(officer.post(&format!("/cases/{case}/steps"), by(&uuid::Uuid::now_v7().to_string())).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("signatories[0].user_id"), Some("unknown_user")));
    let evaluated: Value = officer.post(&format!("/cases/{case}/steps"), by(&cadre.user_id)).await.json().await.unwrap();
    let signatory = &evaluated["steps"][0]["signatories"][0];
    assert_eq!((signatory["user_id"].as_str(), signatory["name"].as_str()), (Some(cadre.user_id.as_str()), me["display_name"].as_str()));
    // Without a name nor an account: 422.
    let p = problem(officer.post(&format!("/cases/{case}/steps"), json!({"step": "acknowledgement", "outcome": "done", "date": ago(0), "signatories": [{"role": "witness"}]})).await).await;
    assert_eq!(p["errors"][0]["field"], "signatories[0].name");
    // The household's acknowledgement completes it: no longer an assisted household, history kept.
    let done = ok_step(&officer, &case, "acknowledgement", "done", &ago(0)).await;
    assert_eq!(done["state"], "done");
    let after: Value = officer.get(&format!("/households/{}", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(after["category"], "ordinary");
    let history: Value = officer.get(&format!("/households/{}/history", h["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "case_complete" && e["after"]["kind"] == "policy_end" && e["before"]["category"] == "lifted_out"));
}

/// A case opened before the procedures followed the documents keeps working: its stage is read
/// with the table of today (a case "cross_checked" under the old table, where a clear
/// cross-check went straight to the announcement, now holds its second evaluation first).
#[actix_web::test]
async fn a_case_opened_under_the_earlier_table_goes_on_from_where_it_stands() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let (_, case) = open_inclusion(&app, &officer).await;
    {
        let mut c = app.state.db.conn().unwrap();
        diesel::sql_query(format!("UPDATE cases SET stage = 'cross_checked', stage_since = '{}' WHERE id = '{case}'", ago(3))).execute(&mut *c).unwrap();
    }
    let read: Value = officer.get(&format!("/cases/{case}")).await.json().await.unwrap();
    assert_eq!((read["state"].as_str(), read["next_steps"][0]["step"].as_str()), (Some("cross_checked"), Some("village_evaluation")));
    assert_eq!(step(&officer, &case, "announcement", "done", &ago(2)).await.status(), 409);
    ok_step(&officer, &case, "village_evaluation", "approved", &ago(2)).await;
    let announced = ok_step(&officer, &case, "announcement", "done", &ago(2)).await;
    assert_eq!(announced["state"], "announced");
}

#[actix_web::test]
async fn an_exclusion_blocks_the_township_review_until_the_county_approves_an_exception() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let (h, case) = open_inclusion(&app, &officer).await;
    let hid = h["id"].as_str().unwrap();
    let res = officer.post(&format!("/households/{hid}/exclusions"), json!({"condition": "vehicle_or_machinery", "evidence": "车管所登记小轿车一辆 陕K·12345", "recorded_on": ago(0)})).await;
    assert_eq!(res.status(), 201);
    let exclusion: Value = res.json().await.unwrap();
    assert_eq!(officer.post(&format!("/households/{hid}/exclusions"), json!({"condition": "owns_a_horse", "evidence": "", "recorded_on": ago(0)})).await.status(), 422);
    backdate(&app, &case, 20).await;
    ok_step(&officer, &case, "application", "done", &ago(20)).await;
    ok_step(&officer, &case, "home_visit", "done", &ago(20)).await;
    ok_step(&officer, &case, "village_evaluation", "approved", &ago(19)).await;
    ok_step(&officer, &case, "acknowledgement", "done", &ago(19)).await;
    ok_step(&officer, &case, "first_publicity", "done", &ago(18)).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let res = step(&reviewer, &case, "township_review", "approved", &ago(10)).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("vehicle_or_machinery"));
    // Only a county admin approves the exception, with a reason and If-Match.
    let url = format!("/households/{hid}/exclusions/{}", exclusion["id"].as_str().unwrap());
    let approve = json!({"action": "approve", "reason": "农用三轮车，非小轿车，县级核实"});
    assert_eq!(officer.patch(&url, approve.clone(), Some("\"1\"")).await.status(), 403);
    let admin = app.admin().await;
    assert_eq!(admin.patch(&url, approve.clone(), None).await.status(), 428);
    let approved: Value = admin.patch(&url, approve, Some("\"1\"")).await.json().await.unwrap();
    assert_eq!((approved["approved"].as_bool(), approved["active"].as_bool()), (Some(true), Some(true)));
    ok_step(&reviewer, &case, "township_review", "approved", &ago(10)).await;
}

#[actix_web::test]
async fn a_spot_check_sample_is_reproducible_from_its_seed_and_measures_accuracy() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for n in 1..=6 {
        app.household_in(VILLAGE, n).await;
    }
    for n in 7..=9 {
        app.household_in(VILLAGE_2, n).await;
    }
    let body = json!({"division": TOWNSHIP, "townships": 1, "villages_per_township": 5, "fully_surveyed_per_township": 2, "households_per_village": 2, "seed": 20261122});
    let a: Value = admin.post("/spot-checks", body.clone()).await.json().await.unwrap();
    let b: Value = admin.post("/spot-checks", body.clone()).await.json().await.unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["villages"], b["villages"]);
    assert_eq!(a["items"], b["items"]);
    // The draw depends only on the seed and the (sorted) candidates: the same villages on
    // SQLite and PostgreSQL, this run and the next.
    assert_eq!(a["villages"], json!(GOLDEN_VILLAGES), "{}", a["villages"]);
    let mut other = body.clone();
    other["seed"] = json!(7);
    let c: Value = admin.post("/spot-checks", other).await.json().await.unwrap();
    assert_ne!(a["villages"], c["villages"]);
    // Too many villages: the answer says how many there are.
    let mut greedy = body.clone();
    greedy["villages_per_township"] = json!(500);
    let res = admin.post("/spot-checks", greedy).await;
    assert_eq!(res.status(), 422);
    let villages = admin.get(&format!("/divisions/{TOWNSHIP}/children")).await.json::<Value>().await.unwrap().as_array().unwrap().len();
    assert!(problem(res).await["errors"][0]["message"].as_str().unwrap().contains(&format!("has {villages} villages")));

    // Results: 1 of 2 identifications wrong → 50 %, below 98 %.
    let items = a["items"].as_array().unwrap();
    if items.len() >= 2 {
        let id = a["id"].as_str().unwrap();
        let results = json!({"results": [
            {"household_id": items[0]["household_id"], "identification_correct": true, "data_correct": true},
            {"household_id": items[1]["household_id"], "identification_correct": false, "data_correct": true, "note": "应为一般农户"},
        ]});
        let checked: Value = admin.request(reqwest::Method::PUT, &format!("/spot-checks/{id}"), Some(results), None).await.json().await.unwrap();
        assert_eq!(checked["accuracy"]["identification_accuracy"], 0.5);
        assert_eq!(checked["accuracy"]["identification_met"], false);
        assert_eq!(checked["accuracy"]["data_met"], true);
        let stranger = json!({"results": [{"household_id": uuid::Uuid::now_v7().to_string(), "data_correct": true}]});
        assert_eq!(admin.request(reqwest::Method::PUT, &format!("/spot-checks/{id}"), Some(stranger), None).await.status(), 422);
    }
    let officer = app.user("village_officer", VILLAGE).await;
    assert_eq!(officer.post("/spot-checks", body).await.status(), 403);
}

const GOLDEN_VILLAGES: [&str; 5] = ["610831101202", "610831101205", "610831101218", "610831101222", "610831101228"];

/// Moves a case's opening back (test set-up only: the API never accepts steps before a case).
pub(crate) async fn backdate(app: &TestApp, case: &str, days: i64) {
    use diesel::RunQueryDsl;
    let date = ago(days);
    let mut c = app.state.db.conn().unwrap();
    diesel::sql_query(format!("UPDATE cases SET opened_on = '{date}', stage_since = '{date}' WHERE id = '{case}'")).execute(&mut *c).unwrap();
}
