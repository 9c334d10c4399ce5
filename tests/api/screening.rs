//! Risk screening 集中摸排 through the API: who the criteria propose for inclusion, rollback and
//! elimination from the yearly records of two years, the filters and pages, the jurisdiction,
//! the village's list as a workbook, and bad input.

use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::*;

/// A household of `village` whose category and risk status are set as given (as cases would have
/// left them), with yearly records of wages per year (net per capita = wages + 3 200).
pub(crate) async fn household(app: &TestApp, village: &str, n: u32, category: &str, risk: Option<&str>, years: &[(i32, f64)]) -> String {
    let admin = app.admin().await;
    let mut body = household_body(village, &[(n, "head")]);
    body["category"] = "ordinary".into();
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let h: Value = res.json().await.unwrap();
    let id = h["id"].as_str().unwrap().to_owned();
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    {
        use fangpin::db::schema::households as t;
        let mut c = app.state.db.conn().unwrap();
        diesel::update(t::table.find(&id)).set((t::category.eq(category), t::risk_status.eq(risk))).execute(&mut *c).unwrap();
    }
    for (year, wages) in years {
        let res = admin.request(reqwest::Method::PUT, &format!("/households/{id}/years/{year}"), Some(crate::yearly::record(&member, *wages, 2)), None).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    id
}

fn rows(page: &Value) -> Vec<(String, String)> {
    page["items"].as_array().unwrap().iter().map(|r| (r["household_id"].as_str().unwrap().to_owned(), r["criterion"].as_str().unwrap().to_owned())).collect()
}

#[actix_web::test]
async fn the_screening_proposes_inclusion_rollback_and_elimination_from_two_years_of_records() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // 4 200 a head, below the monitoring line of 1.5 × 3 015 = 4 522.5.
    let poor = household(&app, VILLAGE, 1, "ordinary", None, &[(2025, 1000.0)]).await;
    let comfortable = household(&app, VILLAGE, 2, "lifted_out", None, &[(2025, 20_000.0)]).await;
    // Risk eliminated, then 23 200 → 13 200: a fall of 43 %.
    let fell = household(&app, VILLAGE, 3, "monitored_unstable", Some("eliminated"), &[(2024, 20_000.0), (2025, 10_000.0)]).await;
    // In monitoring, 8 200 two years running, every guarantee met.
    let ready = household(&app, VILLAGE, 4, "monitored_marginal", Some("not_eliminated"), &[(2024, 5000.0), (2025, 5000.0)]).await;
    let elsewhere = household(&app, VILLAGE_2, 5, "ordinary", None, &[(2025, 0.0)]).await;

    let page: Value = admin.get(&format!("/screening?division={VILLAGE}&year=2025")).await.json().await.unwrap();
    let mut found = rows(&page);
    found.sort();
    let mut expected = vec![(poor.clone(), "income_below_monitoring_line".to_owned()), (fell.clone(), "income_fell".to_owned()), (ready.clone(), "exit_criteria_met".to_owned())];
    expected.sort();
    assert_eq!(found, expected);
    assert!(!found.iter().any(|(h, _)| *h == comfortable || *h == elsewhere));
    let row = page["items"].as_array().unwrap().iter().find(|r| r["household_id"] == poor.as_str()).unwrap();
    assert_eq!((row["proposal"].as_str(), row["figures"]["per_capita"].as_str(), row["figures"]["monitoring_line"].as_str()), (Some("inclusion"), Some("4200"), Some("4522.5")));
    assert_eq!(row["text_zh"], "人均纯收入低于监测线");
    let row = page["items"].as_array().unwrap().iter().find(|r| r["household_id"] == fell.as_str()).unwrap();
    assert_eq!((row["proposal"].as_str(), row["figures"]["drop"].as_str()), (Some("rollback"), Some("43.1%")));

    // One proposal only; the township holds the other village too.
    let rollback: Value = admin.get(&format!("/screening?division={VILLAGE}&year=2025&proposal=rollback")).await.json().await.unwrap();
    assert_eq!(rows(&rollback), vec![(fell.clone(), "income_fell".to_owned())]);
    let township: Value = admin.get(&format!("/screening?division={TOWNSHIP}&year=2025&limit=500")).await.json().await.unwrap();
    assert!(rows(&township).contains(&(elsewhere.clone(), "income_below_monitoring_line".to_owned())));
    // Pages of one row each walk the same rows.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = format!("/screening?division={VILLAGE}&year=2025&limit=1{}", cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default());
        let page: Value = admin.get(&path).await.json().await.unwrap();
        walked.extend(rows(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    walked.sort();
    assert_eq!(walked, expected);
    // Last year's screening knows nothing of 2025.
    let last: Value = admin.get(&format!("/screening?division={VILLAGE}&year=2024")).await.json().await.unwrap();
    assert!(!rows(&last).iter().any(|(h, _)| *h == poor));
}

#[actix_web::test]
async fn the_screening_stays_in_the_jurisdiction_and_refuses_bad_input() {
    let app = spawn_app().await;
    let poor = household(&app, VILLAGE, 1, "ordinary", None, &[(2025, 1000.0)]).await;
    household(&app, VILLAGE, 2, "ordinary", None, &[(2025, 1000.0)]).await;
    let admin = app.admin().await;
    let outsider = app.user("county_admin", "340323000000").await;
    assert_eq!(outsider.get(&format!("/screening?division={VILLAGE}&year=2025")).await.status(), 404);
    assert_eq!(outsider.get(&format!("/screening.xlsx?division={VILLAGE}&year=2025")).await.status(), 404);
    let theirs: Value = outsider.get("/screening?year=2025").await.json().await.unwrap();
    assert!(rows(&theirs).is_empty(), "their own county holds nothing of ours");
    // A cadre screens the households paired with them.
    let cadre = app.cadre_of(&[&poor]).await;
    let mine: Value = cadre.get(&format!("/screening?division={VILLAGE}&year=2025")).await.json().await.unwrap();
    assert_eq!(rows(&mine), vec![(poor, "income_below_monitoring_line".to_owned())]);
    for (query, field) in [("proposal=exit", "proposal"), ("year=2999", "year"), ("limit=0", "limit"), ("division=12", "division")] {
        let res = admin.get(&format!("/screening?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        assert!(problem(res).await.to_string().contains(field), "{query}");
    }
    assert_eq!(admin.get("/screening?cursor=not-ours").await.status(), 400);
}

#[actix_web::test]
async fn the_village_list_is_a_workbook_of_the_rows_with_a_column_for_the_visit() {
    use calamine::Reader;
    let app = spawn_app().await;
    household(&app, VILLAGE, 1, "ordinary", None, &[(2025, 1000.0)]).await;
    household(&app, VILLAGE, 2, "monitored_unstable", Some("eliminated"), &[(2024, 20_000.0), (2025, 10_000.0)]).await;
    let admin = app.admin().await;
    let res = admin.get(&format!("/screening.xlsx?division={VILLAGE}&year=2025")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("摸排名单").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0].last().unwrap(), "核实结果");
    assert_eq!(rows.len(), 3);
    let text = rows.iter().flatten().cloned().collect::<Vec<_>>().join(" ");
    for expected in ["纳入监测", "人均纯收入低于监测线", "人均纯收入: 4200", "监测线: 4522.5", "风险消除回退", "下降幅度: 43.1%", "风险已消除"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
}
