//! Plan 004's calendar for one village, in batches as the village's meetings run it: three new
//! inclusions and one re-inclusion (两评议两公示一比对一公告一告知), two exits and one 清退
//! (一评议一公示一公告一告知 with the township's spot check). Evaluation on 11-11, first publicity
//! through 11-17, second through 11-24, announcement through 11-29: every step at its earliest
//! allowed date passes, and every shortcut an inspector would catch is refused with its code.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::procedures::{backdate, departments, household_of, year_of};

/// The last campaign year whose calendar is wholly past (steps cannot be in the future).
fn year() -> i32 {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let y = chrono::Datelike::year(&today);
    if today >= chrono::NaiveDate::from_ymd_opt(y, 12, 1).unwrap() { y } else { y - 1 }
}

fn day(md: &str) -> String {
    format!("{}-{md}", year())
}

/// A batch body: the cases, the step, its date and outcome, the signatories and the step's extras.
fn batch(cases: &[&str], step: &str, outcome: &str, md: &str) -> Value {
    let mut b = crate::procedures::step_body(step, outcome, &day(md));
    b["cases"] = Value::Array(cases.iter().map(|c| json!({"case_id": c})).collect());
    b
}

async fn run(api: &Api, body: Value) -> Value {
    let what = format!("{} {}", body["step"], body["date"]);
    let res = api.post("/cases/batch-steps", body).await;
    assert_eq!(res.status(), 201, "{what}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn open(api: &Api, body: Value) -> String {
    let res = api.post("/cases", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Moves every case's opening to 1 November of the campaign year.
async fn opened_on_november_first(app: &TestApp, cases: &[&str]) {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let days = (today - chrono::NaiveDate::parse_from_str(&day("11-01"), "%Y-%m-%d").unwrap()).num_days();
    for c in cases {
        backdate(app, c, days).await;
    }
}

#[actix_web::test]
async fn a_village_runs_plan_004s_calendar_in_batches_and_every_shortcut_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    // The county's schedule of the year (seed 004).
    let schedule = json!({"collection_by": day("11-10"), "evaluation_by": day("11-30"), "entry_by": day("12-15"), "acceptance_by": day("12-26")});
    assert_eq!(officer.request(reqwest::Method::PUT, &format!("/campaign-schedules/{}", year()), Some(schedule.clone()), None).await.status(), 403);
    let res = admin.request(reqwest::Method::PUT, &format!("/campaign-schedules/{}", year()), Some(schedule), None).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // The households: three ordinary (new inclusions), one lifted out (返贫), two monitored that
    // exit, one wrongly included (清退), one monitored whose income is too low to exit.
    let mut new = Vec::new();
    for n in 1..=3 {
        let mut b = household_body(VILLAGE, &[(n, "head")]);
        b["category"] = json!("ordinary");
        new.push(officer.post("/households", b).await.json::<Value>().await.unwrap());
    }
    let fallen = household_of(&app, VILLAGE, 4, "lifted_out").await;
    let exiting = [household_of(&app, VILLAGE, 5, "monitored_marginal").await, household_of(&app, VILLAGE, 6, "monitored_unstable").await];
    let wrong = household_of(&app, VILLAGE, 7, "monitored_hardship").await;
    let poor = household_of(&app, VILLAGE, 8, "monitored_marginal").await;
    for h in &exiting {
        year_of(&app, h, &day("11-11"), 5000.0).await;
    }
    year_of(&app, &poor, &day("11-11"), 300.0).await;

    let mut inclusions = Vec::new();
    for h in &new {
        inclusions.push(open(&officer, json!({"household_id": h["id"], "kind": "inclusion", "reason": "因病致贫，医疗支出大", "risk_types": ["illness"], "target_category": "monitored_marginal"})).await);
    }
    inclusions.push(open(&officer, json!({"household_id": fallen["id"], "kind": "reinclusion", "reason": "户主务工受伤，收入骤减", "return_reason": "accident", "risk_types": ["accident"], "target_category": "monitored_unstable"})).await);
    let mut exits = Vec::new();
    for h in &exiting {
        exits.push(open(&officer, json!({"household_id": h["id"], "kind": "exit", "reason": "务工收入稳定，两不愁三保障均已实现"})).await);
    }
    exits.push(open(&officer, json!({"household_id": wrong["id"], "kind": "removal", "reason": "回头看核实：家庭成员经营私营企业，属识别不准"})).await);
    let ineligible = open(&officer, json!({"household_id": poor["id"], "kind": "exit", "reason": "申请退出"})).await;
    let all: Vec<&str> = inclusions.iter().chain(&exits).chain([&ineligible]).map(String::as_str).collect();
    opened_on_november_first(&app, &all).await;
    let inc: Vec<&str> = inclusions.iter().map(String::as_str).collect();
    let out: Vec<&str> = exits.iter().map(String::as_str).collect();

    // The year's evaluation deadline has passed (the calendar is past): every open case is late.
    let late: Value = officer.get("/cases?overdue=true&limit=50").await.json().await.unwrap();
    assert_eq!(late["items"].as_array().unwrap().len(), 8);

    // 信息采集: applications and home visits by 11-10.
    run(&officer, batch(&inc, "application", "done", "11-05")).await;
    run(&officer, batch(&inc, "home_visit", "done", "11-08")).await;
    // 11-11: one meeting evaluates them all; the households acknowledge; the lists are posted.
    run(&officer, batch(&inc, "village_evaluation", "approved", "11-11")).await;
    // The exits' evaluation checks the household's year: the poor one is refused with its figure.
    let p = problem(officer.post(&format!("/cases/{ineligible}/steps"), crate::procedures::step_body("village_evaluation", "approved", &day("11-11"))).await).await;
    assert_eq!((p["code"].as_str(), p["failures"][0]["id"].as_str()), (Some("exit_not_allowed"), Some("income_below_exit_minimum")));
    assert!(p["failures"][0]["figure"].as_str().unwrap().starts_with("3500 yuan per person < exit minimum 4000"), "{p}");
    // … and in a batch the whole batch is refused, listing the case, nothing written.
    let mut with_poor = out.clone();
    with_poor.push(&ineligible);
    let res = officer.post("/cases/batch-steps", batch(&with_poor, "village_evaluation", "approved", "11-11")).await;
    assert_eq!(res.status(), 409);
    let p = problem(res).await;
    assert_eq!(p["code"], "batch_refused");
    assert_eq!(p["failures"].as_array().unwrap().len(), 1);
    assert_eq!((p["failures"][0]["case_id"].as_str(), p["failures"][0]["code"].as_str()), (Some(ineligible.as_str()), Some("exit_not_allowed")));
    let untouched: Value = officer.get(&format!("/cases/{}", exits[0])).await.json().await.unwrap();
    assert_eq!(untouched["steps"].as_array().unwrap().len(), 0);
    run(&officer, batch(&out, "village_evaluation", "approved", "11-11")).await;
    for cases in [&inc, &out] {
        run(&officer, batch(cases, "acknowledgement", "done", "11-11")).await;
    }
    let first = run(&officer, batch(&inc, "first_publicity", "done", "11-11")).await;
    run(&officer, batch(&out, "publicity", "done", "11-11")).await;

    // The publicity list of 11-11: the four households, through 11-17, masked ID numbers.
    let list: Value = officer.get(&format!("/villages/{VILLAGE}/publicity-lists?step=first_publicity&date={}", day("11-11"))).await.json().await.unwrap();
    assert_eq!((list["first_day"].as_str(), list["last_day"].as_str()), (Some(day("11-11").as_str()), Some(day("11-17").as_str())));
    assert_eq!(list["households"].as_array().unwrap().len(), 4);
    assert_eq!(list["batch_ids"], json!([first["batch_id"]]));
    let url = |batch: &str| format!("/villages/{VILLAGE}/publicity-lists?step=first_publicity&date={}&batch={batch}", day("11-11"));
    let of_batch: Value = officer.get(&url(first["batch_id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(of_batch["households"].as_array().unwrap().len(), 4);
    let of_none: Value = officer.get(&url(&uuid::Uuid::now_v7().to_string())).await.json().await.unwrap();
    assert_eq!(of_none["households"].as_array().unwrap().len(), 0);
    let id = list["households"][0]["head_id_number"].as_str().unwrap();
    assert!(id.contains('*') && id != id_number(1), "{id}");
    assert!(list["title"].as_str().unwrap().ends_with("第一次公示名单"), "{}", list["title"]);
    let res = officer.get(&format!("/villages/{VILLAGE}/publicity-lists.xlsx?step=publicity&date={}", day("11-11"))).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    // Laid out for A4 (paper size 9), fit to the page's width, its header row repeated on each page.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let part = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let sheet = part(&mut zip, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("paperSize=\"9\"") && sheet.contains("fitToPage=\"1\""), "{sheet}");
    assert!(part(&mut zip, "xl/workbook.xml").contains("_xlnm.Print_Titles"));
    let cells = part(&mut zip, "xl/sharedStrings.xml");
    for text in ["扶贫对象动态调整公示名单", "包村干部（签字）", "村党支部书记（签字）", "驻村第一书记（签字）", "户主姓名", "公示期"] {
        assert!(cells.contains(text), "{text} missing from the list");
    }
    assert_eq!(officer.get(&format!("/villages/{VILLAGE}/publicity-lists?step=home_visit&date={}", day("11-11"))).await.status(), 422);

    // Shortcuts: the review one day early; an exit announced without the township's spot check.
    let res = reviewer.post("/cases/batch-steps", batch(&inc, "township_review", "approved", "11-17")).await;
    let p = problem(res).await;
    assert_eq!((p["code"].as_str(), p["failures"].as_array().unwrap().len()), (Some("batch_refused"), 4));
    assert_eq!(p["failures"][0]["code"], "step_not_allowed");
    let p = problem(officer.post("/cases/batch-steps", batch(&out, "announcement", "done", "11-18")).await).await;
    assert!(p["failures"][0]["detail"].as_str().unwrap().contains("allowed: objection, township_spot_check"), "{p}");
    assert_eq!(officer.post("/cases/batch-steps", batch(&out, "township_spot_check", "approved", "11-18")).await.status(), 403);

    // 11-18: the township reviews the inclusions and spot-checks the exits; the second publicity
    // and the exits' announcement are posted.
    run(&reviewer, batch(&inc, "township_review", "approved", "11-18")).await;
    run(&reviewer, batch(&out, "township_spot_check", "approved", "11-18")).await;
    run(&officer, batch(&inc, "second_publicity", "done", "11-18")).await;
    run(&officer, batch(&out, "announcement", "done", "11-18")).await;
    // 11-23: the exits' households are told; the removal leaves its household ordinary.
    run(&officer, batch(&out, "notification", "done", "11-23")).await;

    // 11-25: the county's cross-check with every department; a suspicion for one household.
    let cross = batch(&inc[..3], "county_cross_check", "clear", "11-25");
    assert_eq!(officer.post("/cases/batch-steps", cross.clone()).await.status(), 403);
    run(&admin, cross).await;
    let mut suspected = crate::procedures::step_body("county_cross_check", "suspicion", &day("11-25"));
    suspected["departments"] = departments(Some("住建"));
    assert_eq!(admin.post(&format!("/cases/{}/steps", inc[3]), suspected).await.status(), 201);
    // A single evaluation is refused: the announcement waits for the second one.
    let p = problem(officer.post("/cases/batch-steps", batch(&inc[..3], "announcement", "done", "11-25")).await).await;
    assert!(p["failures"][0]["detail"].as_str().unwrap().contains("allowed: village_evaluation"), "{p}");
    // The second evaluation answers the suspicion fed back (its note).
    let mut second = batch(&inc, "village_evaluation", "approved", "11-25");
    let p = problem(officer.post("/cases/batch-steps", second.clone()).await).await;
    assert_eq!((p["failures"][0]["case_id"].as_str(), p["failures"][0]["errors"][0]["field"].as_str()), (Some(inc[3]), Some("note")));
    second["note"] = json!("住建疑点：房产为已分户子女所有，村民代表会议核实无异议");
    run(&officer, second).await;
    run(&officer, batch(&inc, "announcement", "done", "11-25")).await;
    assert_eq!(officer.post("/cases/batch-steps", batch(&inc, "notification", "done", "11-29")).await.status(), 409);
    run(&officer, batch(&inc, "notification", "done", "11-30")).await;

    // The households as the cases left them, each change in its history.
    for h in &new {
        let now: Value = officer.get(&format!("/households/{}", h["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!((now["category"].as_str(), now["risk_status"].as_str()), (Some("monitored_marginal"), Some("not_eliminated")));
    }
    let now: Value = officer.get(&format!("/households/{}", fallen["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!((now["category"].as_str(), now["profile"]["fallback_reason"].as_str()), (Some("monitored_unstable"), Some("accident")));
    for h in &exiting {
        let now: Value = officer.get(&format!("/households/{}", h["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!((now["risk_status"].as_str(), now["profile"]["risk_eliminated_on"].as_str()), (Some("eliminated"), Some(day("11-23").as_str())));
    }
    let now: Value = officer.get(&format!("/households/{}", wrong["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!((now["category"].as_str(), now["risk_status"].as_str()), (Some("ordinary"), None));
    let history: Value = officer.get(&format!("/households/{}/history", wrong["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(history["items"].as_array().unwrap().iter().any(|e| e["action"] == "case_complete" && e["after"]["kind"] == "removal"));

    // More shortcuts: a category PATCH; a rollback of a household never eliminated (and one that
    // was: allowed).
    let path = format!("/households/{}", poor["id"].as_str().unwrap());
    let res = officer.patch(&path, json!({"category": "ordinary"}), Some("\"1\"")).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "changed_by_case");
    let res = officer.post("/cases", json!({"household_id": new[0]["id"], "kind": "risk_rollback", "reason": "x"})).await;
    assert_eq!(problem(res).await["code"], "case_not_allowed");
    assert_eq!(officer.post("/cases", json!({"household_id": exiting[0]["id"], "kind": "risk_rollback", "reason": "风险消除后因灾返贫"})).await.status(), 201);
    // The evaluation deadline has passed: the open cases are late (the refused exit, the rollback).
    let late: Value = officer.get("/cases?overdue=true").await.json().await.unwrap();
    assert_eq!(late["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_batch_is_one_villages_meeting_and_the_schedule_is_the_county_admins() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.user("village_officer", TOWNSHIP).await;
    let here = household_of(&app, VILLAGE, 1, "monitored_marginal").await;
    let there = household_of(&app, VILLAGE_2, 2, "monitored_marginal").await;
    let mut cases = Vec::new();
    for h in [&here, &there] {
        cases.push(open(&officer, json!({"household_id": h["id"], "kind": "removal", "reason": "识别不准"})).await);
    }
    let body = |ids: &[&str]| {
        let mut b = crate::procedures::step_body("village_evaluation", "approved", &crate::procedures::ago(0));
        b["cases"] = Value::Array(ids.iter().map(|c| json!({"case_id": c})).collect());
        b
    };
    // Two villages in one batch, a case twice, an empty batch: 422; a case nobody has: 404.
    let p = problem(officer.post("/cases/batch-steps", body(&[&cases[0], &cases[1]])).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("cases"), Some("several_villages")));
    let p = problem(officer.post("/cases/batch-steps", body(&[&cases[0], &cases[0]])).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("cases[1].case_id"), Some("duplicate")));
    assert_eq!(officer.post("/cases/batch-steps", body(&[])).await.status(), 422);
    assert_eq!(officer.post("/cases/batch-steps", body(&[&uuid::Uuid::now_v7().to_string()])).await.status(), 404);
    // One village: recorded, each step carrying the batch's id.
    let done = run(&officer, body(&[&cases[0]])).await;
    assert_eq!(done["cases"][0]["steps"][0]["batch_id"], done["batch_id"]);

    // The schedule: in order, changed with If-Match.
    let path = "/campaign-schedules/2026";
    let plan = json!({"collection_by": "2026-11-10", "evaluation_by": "2026-11-30", "entry_by": "2026-12-15", "acceptance_by": "2026-12-26"});
    let mut wrong = plan.clone();
    wrong["entry_by"] = json!("2026-11-01");
    let p = problem(admin.request(reqwest::Method::PUT, path, Some(wrong), None).await).await;
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("entry_by"), Some("out_of_order")));
    assert_eq!(admin.get(path).await.status(), 404);
    assert_eq!(admin.request(reqwest::Method::PUT, path, Some(plan.clone()), None).await.status(), 200);
    assert_eq!(admin.request(reqwest::Method::PUT, path, Some(plan.clone()), None).await.status(), 428);
    assert_eq!(admin.request(reqwest::Method::PUT, path, Some(plan.clone()), Some("\"7\"")).await.status(), 412);
    let changed: Value = admin.request(reqwest::Method::PUT, path, Some(plan), Some("\"1\"")).await.json().await.unwrap();
    assert_eq!(changed["version"], 2);
    let read: Value = officer.get(path).await.json().await.unwrap();
    assert_eq!((read["county_code"].as_str(), read["evaluation_by"].as_str()), (Some(COUNTY), Some("2026-11-30")));
}
