//! The year's reports: 问题台账, 整改清单 and 自查评估汇总, as JSON and A4 workbooks; the
//! summary's figures are the sums of the detail endpoints.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    wb.worksheet_range(name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[actix_web::test]
async fn the_self_assessment_summary_is_the_sum_of_the_detail_endpoints() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let year = today().year();
    // Households of two categories in two villages, one located with a photo.
    let path = crate::photos::located_household(&app, 1).await;
    crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(1, Some((37.6106, 110.0357)))).await;
    app.household_in(VILLAGE_2, 2).await;
    let mut monitored = household_body(VILLAGE, &[(3, "head"), (4, "spouse")]);
    monitored["category"] = json!("monitored_hardship");
    ok(admin.post("/households", monitored).await).await;
    // Problems: the rules', a self-check finding (rectified by its deadline? overdue), a complaint.
    ok(reviewer.post(&format!("/quality/runs?division={TOWNSHIP}"), json!({})).await).await;
    let hid = path.trim_start_matches("/households/");
    let old = (today() - Duration::days(40)).max(chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap());
    ok(reviewer.post("/quality/problems", json!({"household_id": hid, "source": "self_check", "category": "inaccurate_data", "description": "人口数不符", "found_on": old})).await).await;
    let complaint = ok(reviewer.post("/quality/problems", json!({"village_code": VILLAGE_2, "source": "complaint", "category": "procedure_irregular", "description": "评议未公示", "found_on": today()})).await).await;
    let url = format!("/quality/problems/{}", complaint["id"].as_str().unwrap());
    ok(reviewer.patch(&url, json!({"status": "dismissed", "note": "已公示"}), Some("\"1\"")).await).await;
    // A spot check of the township with results.
    let check = ok(admin.post("/spot-checks", json!({"division": TOWNSHIP, "townships": 1, "villages_per_township": 2, "households_per_village": 3, "seed": 1})).await).await;
    let items = check["items"].as_array().unwrap();
    let results: Vec<Value> = items.iter().enumerate().map(|(i, it)| json!({"household_id": it["household_id"], "identification_correct": i != 0, "data_correct": true})).collect();
    let checked = ok(admin.request(reqwest::Method::PUT, &format!("/spot-checks/{}", check["id"].as_str().unwrap()), Some(json!({"results": results})), None).await).await;

    let summary = ok(reviewer.get(&format!("/reports/self-assessment?division={TOWNSHIP}&year={year}")).await).await;

    // Households and people by category: the households list, and each household's members.
    let mut by_category: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let listed = ok(reviewer.get(&format!("/households?division={TOWNSHIP}&limit=500")).await).await;
    for h in listed["items"].as_array().unwrap() {
        let full = ok(admin.get(&format!("/households/{}", h["id"].as_str().unwrap())).await).await;
        let e = by_category.entry(full["category"].as_str().unwrap().to_owned()).or_default();
        e.0 += 1;
        e.1 += full["members"].as_array().unwrap().len() as i64;
    }
    let summed: BTreeMap<String, (i64, i64)> = summary["by_category"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), (v["households"].as_i64().unwrap(), v["people"].as_i64().unwrap()))).collect();
    assert_eq!(summed, by_category);
    assert_eq!(summary["risks_eliminated"].as_i64().unwrap() + summary["risks_remaining"].as_i64().unwrap(), by_category["monitored_hardship"].0);

    // Coverage of the 帮扶对象: GET /coverage.
    let coverage = ok(reviewer.get(&format!("/coverage?division={TOWNSHIP}&year={year}")).await).await;
    for (mine, theirs) in [("assisted_households", "households"), ("located", "located"), ("photo_sets_complete", "photo_sets_complete"), ("files_complete", "files_complete")] {
        assert_eq!(summary[mine], coverage["division"][theirs], "{mine}");
    }
    assert_eq!(summary["located"], 1);

    // Problems by source: the year's ledger.
    let ledger = ok(reviewer.get(&format!("/reports/problems?division={TOWNSHIP}&year={year}")).await).await;
    let mut by_source: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for p in ledger["items"].as_array().unwrap() {
        let e = by_source.entry(p["source"].as_str().unwrap().to_owned()).or_default();
        let status = p["status"].as_str().unwrap();
        e[0] += 1;
        e[1] += i64::from(status == "rectified" || status == "closed");
        e[2] += i64::from(status == "closed");
        e[3] += i64::from(p["overdue"] == true);
    }
    let summed: BTreeMap<String, [i64; 4]> = summary["problems"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), ["found", "rectified", "closed", "overdue"].map(|f| v[f].as_i64().unwrap()))).collect();
    assert_eq!(summed, by_source);
    assert_eq!((by_source["self_check"][0], by_source["complaint"][0]), (1, 1));
    assert!(by_source["cleaning"][0] > 0);

    // The latest spot check: its own accuracy.
    assert_eq!(summary["spot_check"]["id"], check["id"]);
    assert_eq!(summary["spot_check"]["accuracy"], checked["accuracy"]);

    // As a workbook for A4: title, the figures, signature lines.
    let res = reviewer.get(&format!("/reports/self-assessment.xlsx?division={TOWNSHIP}&year={year}")).await;
    assert_eq!(res.status(), 200);
    let rows = sheet(&res.bytes().await.unwrap(), "自查评估汇总");
    assert!(rows[0][0].ends_with(&format!("{year}年自查评估汇总")), "{:?}", rows[0]);
    assert_eq!(rows[2][..2], ["指标".to_owned(), "数值".to_owned()]);
    assert!(rows.iter().any(|r| r[0].contains("识别准确率（目标98%）")));
    assert!(rows.iter().any(|r| r[0].starts_with("单位负责人（签字）")));
}

#[actix_web::test]
async fn the_year_ledger_and_rectification_list_print_on_a4_with_their_signatures() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let h = app.household_in(VILLAGE, 1).await;
    let year = today().year();
    let p = ok(officer.post("/quality/problems", json!({"household_id": h["id"], "source": "inspection", "category": "guarantee_unmet", "guarantee": "drinking_water", "description": "饮水不达标", "found_on": today(), "found_by": "县督查组"})).await).await;
    let url = format!("/quality/problems/{}", p["id"].as_str().unwrap());
    ok(officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(json!({"measure": "接通自来水", "responsible_name": "张三"})), Some("\"1\"")).await).await;
    ok(officer.patch(&url, json!({"status": "verified"}), Some("\"2\"")).await).await;
    ok(officer.post(&format!("{url}/signoffs"), json!({"role": "village_secretary", "name": "王书记"})).await).await;
    ok(officer.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await).await;

    let ledger = ok(officer.get(&format!("/reports/problems?year={year}")).await).await;
    assert!(ledger["items"].as_array().unwrap().len() > 1, "the rules' problems too");
    let list = ok(officer.get(&format!("/reports/rectification?year={year}")).await).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only what people found is rectified and signed");
    assert_eq!((items[0]["problem"]["measure"].as_str(), items[0]["signoffs"][0]["signer_name"].as_str()), (Some("接通自来水"), Some("王书记")));
    // Another year holds none of them.
    assert!(ok(officer.get(&format!("/reports/problems?year={}", year - 1)).await).await["items"].as_array().unwrap().is_empty());

    let res = officer.get(&format!("/reports/rectification.xlsx?year={year}")).await;
    assert_eq!(res.status(), 200);
    let rows = sheet(&res.bytes().await.unwrap(), "整改清单");
    assert!(rows[0][0].ends_with(&format!("{year}年问题整改清单")));
    assert_eq!(rows[2][7], "整改措施");
    assert_eq!((rows[3][7].as_str(), rows[3][8].as_str()), ("接通自来水", "张三"));
    assert!(rows[3][11].starts_with("王书记"));
    for who in ["村支书", "驻村工作队长", "乡镇审核人"] {
        assert!(rows.iter().any(|r| r[0].starts_with(&format!("{who}（签字）"))), "{who}");
    }
    let res = officer.get(&format!("/reports/problems.xlsx?year={year}")).await;
    let rows = sheet(&res.bytes().await.unwrap(), "问题台账");
    assert_eq!(rows[2][0], "乡镇");
    assert!(rows.iter().any(|r| r.get(6).is_some_and(|c| c == "饮水不达标")));

    // Bad input and jurisdiction.
    assert_eq!(officer.get("/reports/problems?year=1990").await.status(), 422);
    assert_eq!(officer.get(&format!("/reports/self-assessment?division={VILLAGE_2}")).await.status(), 404);
    assert_eq!(app.user("cadre", VILLAGE).await.get("/reports/rectification").await.status(), 403);
}

#[actix_web::test]
async fn a_report_longer_than_the_limit_asks_for_a_smaller_division_and_builds_nothing() {
    let app = spawn_with(|s| s.report_max_rows = 2).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    for (village, what) in [(VILLAGE, "人口数不符"), (VILLAGE, "收入漏报"), (VILLAGE_2, "评议未公示")] {
        ok(reviewer.post("/quality/problems", json!({"village_code": village, "source": "self_check", "category": "other", "description": what, "found_on": today()})).await).await;
    }
    let year = today().year();
    for report in ["/reports/problems", "/reports/problems.xlsx", "/reports/rectification", "/reports/rectification.xlsx"] {
        let res = reviewer.get(&format!("{report}?division={TOWNSHIP}&year={year}")).await;
        assert_eq!(res.status(), 422, "{report}");
        let p = problem(res).await;
        assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()), (Some("division"), Some("too_many_rows")), "{report}: {p}");
        let res = reviewer.get(&format!("{report}?division={VILLAGE}&year={year}")).await;
        assert_eq!(res.status(), 200, "{report}: a village's two problems are within the limit");
    }
    let village: Value = reviewer.get(&format!("/reports/problems?division={VILLAGE}&year={year}")).await.json().await.unwrap();
    assert_eq!(village["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_report_limit_outside_its_range_stops_the_start_naming_the_setting() {
    for bad in [0usize, 1_000_001, usize::MAX] {
        let data_dir = tempfile::tempdir().unwrap();
        let settings = fangpin::config::Settings { data_dir: data_dir.path().to_path_buf(), bind: "127.0.0.1:0".into(), storage: fangpin::storage::StorageKind::Memory, report_max_rows: bad, ..Default::default() };
        let err = fangpin::startup::Application::build(settings).await.err().expect("refused");
        assert!(err.to_string().contains("FANGPIN_REPORT_MAX_ROWS"), "{bad}: {err}");
    }
}
