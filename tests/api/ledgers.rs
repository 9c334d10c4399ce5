//! The year's procedure ledgers 动态调整名单 and 清退台账: the cases of the year's campaign in the
//! division, JSON and the A4 workbook, within the jurisdiction.

use calamine::Reader;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::*;

async fn open(api: &Api, body: Value) -> Value {
    let res = api.post("/cases", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn ordinary(app: &TestApp, village: &str, n: u32) -> Value {
    let admin = app.admin().await;
    let mut body = household_body(village, &[(n, "head")]);
    body["category"] = "ordinary".into();
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

#[actix_web::test]
async fn the_adjustment_list_holds_the_years_cases_and_the_removal_ledger_the_removals() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = ordinary(&app, VILLAGE, 1).await;
    let inclusion = open(&admin, json!({"household_id": a["id"], "kind": "inclusion", "reason": "因病致贫", "risk_types": ["illness"], "target_category": "monitored_marginal"})).await;
    let b = app.household_in(VILLAGE, 2).await;
    let removal = open(&admin, json!({"household_id": b["id"], "kind": "removal", "reason": "经营私营企业，识别不准"})).await;
    let elsewhere = app.household_in(OTHER_TOWNSHIP_VILLAGE, 3).await;
    open(&admin, json!({"household_id": elsewhere["id"], "kind": "removal", "reason": "识别不准"})).await;

    let list: Value = admin.get(&format!("/ledgers/adjustments?division={VILLAGE}&year=2026")).await.json().await.unwrap();
    let cases: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["case_id"].as_str().unwrap()).collect();
    assert_eq!(cases, vec![inclusion["id"].as_str().unwrap(), removal["id"].as_str().unwrap()], "in order of household number");
    let row = &list["items"][1];
    assert_eq!((row["kind"].as_str(), row["reason"].as_str(), row["number"].clone(), row["is_open"].as_bool()), (Some("removal"), Some("经营私营企业，识别不准"), b["number"].clone(), Some(true)));
    let removals: Value = admin.get(&format!("/ledgers/removals?division={VILLAGE}&year=2026")).await.json().await.unwrap();
    assert_eq!(removals["items"].as_array().unwrap().len(), 1);
    assert_eq!(removals["items"][0]["case_id"], removal["id"]);
    let county: Value = admin.get("/ledgers/removals?year=2026").await.json().await.unwrap();
    assert_eq!(county["items"].as_array().unwrap().len(), 2, "the county holds both villages");

    // A case opened in last year's campaign is in last year's ledger only.
    {
        use fangpin::db::schema::cases as t;
        let mut c = app.state.db.conn().unwrap();
        diesel::update(t::table.find(removal["id"].as_str().unwrap())).set(t::opened_on.eq(chrono::NaiveDate::from_ymd_opt(2025, 11, 20).unwrap())).execute(&mut *c).unwrap();
    }
    let last: Value = admin.get(&format!("/ledgers/removals?division={VILLAGE}&year=2025")).await.json().await.unwrap();
    assert_eq!(last["items"][0]["opened_on"], "2025-11-20");
    let this: Value = admin.get(&format!("/ledgers/removals?division={VILLAGE}&year=2026")).await.json().await.unwrap();
    assert!(this["items"].as_array().unwrap().is_empty());

    // The workbook to print: a title, the rows, the village's signature lines.
    let res = admin.get(&format!("/ledgers/adjustments.xlsx?division={VILLAGE}&year=2026")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let cells: Vec<String> = book.worksheet_range(&name).unwrap().used_cells().map(|(_, _, v)| v.to_string()).collect();
    let text = cells.join(" ");
    for expected in ["2026年动态调整名单", "户编号", "识别纳入", "村党组织书记", "驻村第一书记", a["number"].as_str().unwrap()] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
}

#[actix_web::test]
async fn the_ledgers_stay_in_the_jurisdiction_and_are_not_a_cadres() {
    let app = spawn_app().await;
    let h = app.household_in(VILLAGE, 1).await;
    let outsider = app.user("county_admin", "340323000000").await;
    let cadre = app.cadre_of(&[h["id"].as_str().unwrap()]).await;
    for path in ["/ledgers/adjustments", "/ledgers/adjustments.xlsx", "/ledgers/removals", "/ledgers/removals.xlsx"] {
        assert_eq!(outsider.get(&format!("{path}?division={VILLAGE}")).await.status(), 404, "{path}");
        assert_eq!(cadre.get(&format!("{path}?division={VILLAGE}")).await.status(), 403, "{path}");
    }
    let admin = app.admin().await;
    assert_eq!(admin.get("/ledgers/adjustments?year=2999").await.status(), 422);
    assert_eq!(admin.get("/ledgers/adjustments?division=61").await.status(), 422);
    let auditor = app.user("auditor", COUNTY).await;
    assert_eq!(auditor.get("/ledgers/removals").await.status(), 200);
}
