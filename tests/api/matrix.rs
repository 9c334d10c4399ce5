//! The authorization matrix, over every operation of the OpenAPI document:
//! - outside the jurisdiction: a county admin of another county (the highest role, so a 403
//!   cannot hide a leak) calls each operation on records of 子洲县 and gets 404, or, for lists
//!   and feeds of their own jurisdiction, nothing of 子洲县;
//! - inside: each role (county admin, township reviewer, village officer, the paired cadre,
//!   auditor) calls each operation on the same records, each on a fresh copy of them, and gets
//!   through (`+`), 403 (`-`) or 404 (`0`) as the table says.
//! An operation missing from the table fails the test, so a new endpoint must say here who may
//! use it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

/// What an outsider must get.
pub(crate) enum Expect {
    /// 404.
    Hidden,
    /// 403: a grant outside one's own jurisdiction (division codes are public; no record shown).
    Refused,
    /// 2xx, and the body never mentions any of the inside ids.
    Nothing,
    /// Needs no jurisdiction (login, own account, the rule list): checked elsewhere.
    NotScoped,
}

pub(crate) struct Inside {
    /// Where the records are (after a merger: the village they moved to), its township and
    /// another village of that township.
    pub(crate) village: String,
    pub(crate) township: String,
    pub(crate) village_2: String,
    pub(crate) household: String,
    pub(crate) member: String,
    pub(crate) location: String,
    pub(crate) photo: String,
    pub(crate) document: String,
    pub(crate) cadre: String,
    pub(crate) pairing: String,
    pub(crate) team: String,
    pub(crate) natural: String,
    pub(crate) case: String,
    pub(crate) exclusion: String,
    pub(crate) problem: String,
    pub(crate) spot_check: String,
    pub(crate) user: String,
    /// A project of the village with the household as beneficiary, and a loan of the household.
    pub(crate) project: String,
    pub(crate) loan: String,
    /// The phone account of the cadre paired with the household.
    pub(crate) cadre_api: Api,
}

impl Inside {
    fn ids(&self) -> Vec<&str> {
        vec![&self.household, &self.member, &self.location, &self.photo, &self.document, &self.cadre, &self.pairing, &self.team, &self.natural, &self.case, &self.exclusion, &self.problem, &self.spot_check, &self.user, &self.project, &self.loan]
    }
}

fn natural_record() -> Value {
    json!({"group_leader": null, "households": 1, "population": 3, "production_conditions": null, "living_conditions": null,
        "infrastructure": {"hardened_road": true, "safe_drinking_water": true, "tap_water_pct": null, "grid_electricity": true, "broadband": false}})
}

async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Plan 004's deadlines of 2026.
fn schedule() -> Value {
    json!({"collection_by": "2026-11-10", "evaluation_by": "2026-11-30", "entry_by": "2026-12-15", "acceptance_by": "2026-12-26"})
}

/// One of everything in 子洲县.
pub(crate) async fn inside(app: &TestApp) -> Inside {
    let admin = app.admin().await;
    let path = crate::photos::located_household(app, 1).await;
    let household = path.trim_start_matches("/households/").to_owned();
    let h: Value = admin.get(&path).await.json().await.unwrap();
    let member = h["members"][0]["id"].as_str().unwrap().to_owned();
    let location = h["home"]["location_id"].as_str().unwrap().to_owned();
    let photo = id(&created(crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photo_authenticity::camera_photo(1)).await).await);
    let document = id(&created(crate::documents::upload(&admin, &path, json!({"kind": "application"}), crate::documents::pdf(1), "a.pdf").await).await);
    let res = admin.request(reqwest::Method::PUT, &format!("{path}/years/2025"), Some(crate::yearly::record(&member, 3000.0, 2)), None).await;
    created(res).await;
    let (cadre_api, cadre) = app.cadre("刘帮扶").await;
    let pairing = id(&app.pair(&cadre, &household, "2026-01-15").await);
    let team = id(&created(admin.post("/work-teams", json!({"village_code": VILLAGE, "name": "工作队", "member_ids": [cadre], "term_start": "2025-01-01"})).await).await);
    let natural = id(&created(admin.post(&format!("/villages/{VILLAGE}/natural-villages"), json!({"name": "一组"})).await).await);
    created(admin.request(reqwest::Method::PUT, &format!("/villages/{VILLAGE}/years/2025"), Some(crate::villages::table(1, 1)), None).await).await;
    created(admin.request(reqwest::Method::PUT, &format!("/natural-villages/{natural}/years/2025"), Some(natural_record()), None).await).await;
    let case = id(&created(admin.post("/cases", json!({"household_id": household, "kind": "removal", "reason": "识别不准"})).await).await);
    created(admin.request(reqwest::Method::PUT, "/campaign-schedules/2026", Some(schedule()), None).await).await;
    let exclusion = id(&created(admin.post(&format!("{path}/exclusions"), json!({"condition": "runs_business", "evidence": "营业执照", "recorded_on": "2026-01-01"})).await).await);
    created(admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await).await;
    let problems: Value = admin.get(&format!("/quality/problems?division={VILLAGE}")).await.json().await.unwrap();
    let problem = id(&problems["items"][0]);
    let spot_check = id(&created(admin.post("/spot-checks", json!({"division": TOWNSHIP, "townships": 1, "villages_per_township": 1, "households_per_village": 1, "seed": 1})).await).await);
    created(admin.post(&format!("{path}/measures"), json!({"kind": "employment", "title": "公益岗位", "start_date": "2026-02-01"})).await).await;
    let user = app.user("village_officer", VILLAGE).await.user_id;
    let mut p = crate::projects::project();
    p["village_codes"] = json!([VILLAGE]);
    let project = id(&created(admin.post("/projects", p).await).await);
    created(admin.post(&format!("/projects/{project}/beneficiaries"), json!({"household_id": household, "benefit_yuan": 800})).await).await;
    let loan = id(&created(admin.post(&format!("{path}/loans"), json!({"lender": "信用社", "amount_yuan": 50000, "issued_on": "2024-03-15", "due_on": "2027-03-15"})).await).await);
    created(admin.request(reqwest::Method::PUT, &format!("{path}/members/{member}/migrant-work/2025"), Some(json!({"destination_code": "320583000000", "months_away": 8, "income_yuan": 30000})), None).await).await;
    Inside { village: VILLAGE.into(), township: TOWNSHIP.into(), village_2: VILLAGE_2.into(), household, member, location, photo, document, cadre, pairing, team, natural, case, exclusion, problem, spot_check, user, project, loan, cadre_api }
}

/// A project of one village (the fixture's investment and dates).
fn project_in(village: &str) -> Value {
    let mut p = crate::projects::project();
    p["village_codes"] = json!([village]);
    p
}

/// (method, OpenAPI template, concrete path, body, outsider expectation, roles inside)
pub(crate) type Row = (&'static str, &'static str, String, Value, Expect, &'static str);

pub(crate) fn table(i: &Inside) -> Vec<Row> {
    let h = format!("/households/{}", i.household);
    let any = json!({});
    let (v, t, v2) = (i.village.as_str(), i.township.as_str(), i.village_2.as_str());
    use Expect::*;
    // (method, template of the OpenAPI document, concrete path, body, outsider, roles inside:
    // A county admin, T township reviewer, V village officer, C the paired cadre, U auditor)
    vec![
        ("POST", "/api/v1/auth/login", String::new(), any.clone(), NotScoped, ""),
        ("POST", "/api/v1/auth/logout", String::new(), any.clone(), NotScoped, ""),
        ("POST", "/api/v1/auth/refresh", String::new(), any.clone(), NotScoped, ""),
        ("GET", "/api/v1/me", String::new(), any.clone(), NotScoped, ""),
        ("PUT", "/api/v1/me/password", String::new(), any.clone(), NotScoped, ""),
        ("GET", "/api/v1/quality/rules", String::new(), any.clone(), NotScoped, ""),
        ("GET", "/api/v1/labels", String::new(), any.clone(), NotScoped, ""), // the one table of labels, the same for everyone
        ("GET", "/api/v1/exports/households.xlsx", format!("/exports/households.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("POST", "/api/v1/imports", String::new(), any.clone(), NotScoped, ""), // rows outside are refused: tests/api/imports.rs
        ("POST", "/api/v1/imports.xlsx", String::new(), any.clone(), NotScoped, ""), // the same import, its report as a workbook
        ("GET", "/api/v1/cadres", "/cadres".into(), any.clone(), Nothing, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/cadres", String::new(), any.clone(), NotScoped, ""), // creates in the caller's own county
        ("GET", "/api/v1/cadres/{id}", format!("/cadres/{}", i.cadre), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PATCH", "/api/v1/cadres/{id}", format!("/cadres/{}", i.cadre), json!({"name": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/cases", format!("/cases?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/cases", "/cases".into(), json!({"household_id": i.household, "kind": "exit", "reason": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/cases/{id}", format!("/cases/{}", i.case), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/cases/{id}/documents", format!("/cases/{}/documents", i.case), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/cases/{id}/documents", format!("/cases/{}/documents", i.case), json!({"document_id": i.document}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/cases/{id}/steps", format!("/cases/{}/steps", i.case), json!({"step": "village_evaluation", "outcome": "approved", "date": "2026-01-01"}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/screening/cases", "/screening/cases".into(), json!({"year": 2025, "cases": [{"household_id": i.household, "criterion": "income_below_monitoring_line", "kind": "inclusion", "risk_types": ["illness"], "target_category": "monitored_marginal"}]}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/cases/batch-steps", "/cases/batch-steps".into(), json!({"cases": [{"case_id": i.case}], "step": "village_evaluation", "outcome": "approved", "date": "2026-01-01"}), Hidden, "A+ T+ V+ C- U-"),
        // The caller's own county's schedule: an outsider sets and reads its own, never this one.
        ("GET", "/api/v1/campaign-schedules/{year}", "/campaign-schedules/2026".into(), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PUT", "/api/v1/campaign-schedules/{year}", "/campaign-schedules/2026".into(), schedule(), NotScoped, "A+ T- V- C- U-"), // the caller's own county's: tests/api/procedure_calendar.rs
        ("GET", "/api/v1/villages/{code}/publicity-lists", format!("/villages/{v}/publicity-lists?step=publicity&date=2026-01-01"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/villages/{code}/publicity-lists.xlsx", format!("/villages/{v}/publicity-lists.xlsx?step=publicity&date=2026-01-01"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/coverage", format!("/coverage?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/coverage/missing", format!("/coverage/missing?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/divisions/{code}", format!("/divisions/{v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/divisions/{code}/children", format!("/divisions/{t}/children"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/divisions/{code}/merge", format!("/divisions/{v2}/merge"), json!({"into": v}), Hidden, "A+ T- V0 C0 U-"),
        ("GET", "/api/v1/households", format!("/households?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households", "/households".into(), household_body(v, &[(90, "head")]), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households.geojson", format!("/households.geojson?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}", h.clone(), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PATCH", "/api/v1/households/{id}", h.clone(), json!({"address": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/exclusions", format!("{h}/exclusions"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/exclusions", format!("{h}/exclusions"), json!({"condition": "runs_business", "evidence": "x", "recorded_on": "2026-01-01"}), Hidden, "A+ T+ V+ C- U-"),
        ("PATCH", "/api/v1/households/{id}/exclusions/{exclusion_id}", format!("{h}/exclusions/{}", i.exclusion), json!({"action": "lift", "reason": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/history", format!("{h}/history"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}/locations", format!("{h}/locations"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/locations", format!("{h}/locations"), json!({"lat": 37.6, "lon": 110.0, "accuracy_m": 5.0, "captured_at": chrono::Utc::now().to_rfc3339(), "source": "gps", "client_id": uuid::Uuid::now_v7()}), Hidden, "A+ T+ V+ C+ U-"),
        ("POST", "/api/v1/households/{id}/locations/{loc}/confirm", format!("{h}/locations/{}/confirm", i.location), any.clone(), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/households/{id}/locations/{loc}/reject", format!("{h}/locations/{}/reject", i.location), any.clone(), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/measures", format!("{h}/measures"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/measures", format!("{h}/measures"), json!({"kind": "employment", "title": "x", "start_date": "2026-01-01"}), Hidden, "A+ T+ V+ C+ U-"),
        ("GET", "/api/v1/households/{id}/projects", format!("{h}/projects"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/projects", format!("/projects?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/loans", format!("/loans?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/projects", "/projects".into(), project_in(v), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/projects/{id}", format!("/projects/{}", i.project), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PATCH", "/api/v1/projects/{id}", format!("/projects/{}", i.project), json!({"name": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/projects/{id}/beneficiaries", format!("/projects/{}/beneficiaries", i.project), json!({"household_id": i.household}), Hidden, "A+ T+ V+ C- U-"),
        ("DELETE", "/api/v1/projects/{id}/beneficiaries/{household_id}", format!("/projects/{}/beneficiaries/{}", i.project, i.household), any.clone(), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/loans", format!("{h}/loans"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/loans", format!("{h}/loans"), json!({"lender": "x", "amount_yuan": 1, "issued_on": "2024-01-01", "due_on": "2025-01-01"}), Hidden, "A+ T+ V+ C- U-"),
        ("PATCH", "/api/v1/loans/{id}", format!("/loans/{}", i.loan), json!({"purpose": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/migrant-work", format!("{h}/migrant-work"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}/members/{member_id}/migrant-work/{year}", format!("{h}/members/{}/migrant-work/2025", i.member), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PUT", "/api/v1/households/{id}/members/{member_id}/migrant-work/{year}", format!("{h}/members/{}/migrant-work/2025", i.member), json!({"destination_code": "320583000000", "months_away": 9}), Hidden, "A+ T+ V+ C+ U-"),
        ("POST", "/api/v1/households/{id}/members", format!("{h}/members"), json!({"name": "李秀英", "id_number": id_number(91), "relation": "spouse"}), Hidden, "A+ T+ V+ C+ U-"),
        ("PATCH", "/api/v1/households/{id}/members/{member_id}", format!("{h}/members/{}", i.member), json!({"name": "王"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/households/{id}/photos", format!("{h}/photos"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/photos", format!("{h}/photos"), any.clone(), Hidden, "A+ T+ V+ C+ U-"),
        ("GET", "/api/v1/households/{id}/years/{year}", format!("{h}/years/2025"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PUT", "/api/v1/households/{id}/years/{year}", format!("{h}/years/2025"), crate::yearly::record(&i.member, 1.0, 1), Hidden, "A+ T+ V+ C+ U-"),
        ("GET", "/api/v1/households/{id}/years/{year}/comparison", format!("{h}/years/2025/comparison"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}/years/{year}/comparison.xlsx", format!("{h}/years/2025/comparison.xlsx"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/natural-changes", format!("/natural-changes?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/natural-changes.xlsx", format!("/natural-changes.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/natural-villages/{id}/years/{year}", format!("/natural-villages/{}/years/2025", i.natural), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PUT", "/api/v1/natural-villages/{id}/years/{year}", format!("/natural-villages/{}/years/2025", i.natural), natural_record(), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/pairings", format!("/pairings?household_id={}", i.household), any.clone(), Nothing, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/pairings", "/pairings".into(), json!({"cadre_id": i.cadre, "household_id": i.household, "start_date": "2026-02-01"}), Hidden, "A+ T+ V+ C- U-"),
        ("PATCH", "/api/v1/pairings/{id}", format!("/pairings/{}", i.pairing), json!({"end_date": "2026-02-01", "end_reason": "x"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/photo-checks", format!("/photo-checks?division={v}&status=ok"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/photos/{id}", format!("/photos/{}", i.photo), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/photos/{id}/content", format!("/photos/{}/content", i.photo), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/photos/{id}/thumbnail", format!("/photos/{}/thumbnail", i.photo), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/ledgers/adjustments", format!("/ledgers/adjustments?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/ledgers/adjustments.xlsx", format!("/ledgers/adjustments.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/ledgers/removals", format!("/ledgers/removals?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/ledgers/removals.xlsx", format!("/ledgers/removals.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/screening", format!("/screening?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/screening.xlsx", format!("/screening.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}/documents", format!("{h}/documents"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/households/{id}/documents", format!("{h}/documents"), any.clone(), Hidden, "A+ T+ V+ C+ U-"),
        ("GET", "/api/v1/documents/{id}", format!("/documents/{}", i.document), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/documents/{id}/content", format!("/documents/{}/content", i.document), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/households/{id}/archive.zip", format!("{h}/archive.zip"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/villages/{code}/archive.zip", format!("/villages/{v}/archive.zip"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/photos/{id}/preview", format!("/photos/{}/preview", i.photo), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/photos/{id}/review", format!("/photos/{}/review", i.photo), json!({"decision": "accepted", "reason": "x"}), Hidden, "A+ T+ V- C- U-"),
        ("GET", "/api/v1/quality/problems", format!("/quality/problems?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/quality/problems.csv", format!("/quality/problems.csv?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/quality/problems.xlsx", format!("/quality/problems.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("PATCH", "/api/v1/quality/problems/{id}", format!("/quality/problems/{}", i.problem), json!({"status": "verified"}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/quality/runs", format!("/quality/runs?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/quality/problems", "/quality/problems".into(), json!({"household_id": i.household, "source": "self_check", "category": "other", "description": "x", "found_on": "2026-01-05"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/quality/problems/{id}", format!("/quality/problems/{}", i.problem), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("PUT", "/api/v1/quality/problems/{id}/rectification", format!("/quality/problems/{}/rectification", i.problem), json!({"measure": "x", "responsible_name": "张三"}), Hidden, "A+ T+ V+ C- U-"),
        ("POST", "/api/v1/quality/problems/{id}/progress", format!("/quality/problems/{}/progress", i.problem), json!({"noted_on": "2026-01-05", "note": "x"}), Hidden, "A+ T+ V+ C- U-"),
        // A cadre who does not lead the village's team sees no ledger.
        ("POST", "/api/v1/quality/problems/{id}/signoffs", format!("/quality/problems/{}/signoffs", i.problem), json!({"role": "team_leader", "name": "张三"}), Hidden, "A+ T+ V+ C0 U-"),
        ("GET", "/api/v1/quality/daily", format!("/quality/daily?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/problems", format!("/reports/problems?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/rectification", format!("/reports/rectification?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/self-assessment", format!("/reports/self-assessment?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/problems.xlsx", format!("/reports/problems.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/rectification.xlsx", format!("/reports/rectification.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/reports/self-assessment.xlsx", format!("/reports/self-assessment.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/quality/daily.xlsx", format!("/quality/daily.xlsx?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("GET", "/api/v1/quality/summary", format!("/quality/summary?division={v}"), any.clone(), Hidden, "A+ T+ V+ C- U+"),
        ("POST", "/api/v1/spot-checks", "/spot-checks".into(), json!({"division": t, "townships": 1, "villages_per_township": 1, "households_per_village": 1}), Hidden, "A+ T+ V- C- U+"),
        ("GET", "/api/v1/spot-checks/{id}", format!("/spot-checks/{}", i.spot_check), any.clone(), Hidden, "A+ T+ V0 C- U+"),
        ("PUT", "/api/v1/spot-checks/{id}", format!("/spot-checks/{}", i.spot_check), json!({"results": []}), Hidden, "A+ T+ V- C- U+"),
        ("GET", "/api/v1/sync", "/sync".into(), any.clone(), Nothing, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/users", "/users".into(), any.clone(), Nothing, "A+ T+ V- C- U-"),
        ("POST", "/api/v1/users", "/users".into(), json!({"username": "intruder", "password": "Strong-pass-9", "display_name": "x", "role": "village_officer", "jurisdiction": v}), Refused, "A+ T+ V- C- U-"),
        ("GET", "/api/v1/users/{id}", format!("/users/{}", i.user), any.clone(), Hidden, "A+ T+ V- C- U-"),
        ("PATCH", "/api/v1/users/{id}", format!("/users/{}", i.user), json!({"disabled": true}), Hidden, "A+ T+ V- C- U-"),
        ("GET", "/api/v1/villages/{code}", format!("/villages/{v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/villages/{code}/natural-villages", format!("/villages/{v}/natural-villages"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/villages/{code}/natural-villages", format!("/villages/{v}/natural-villages"), json!({"name": "二组"}), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/villages/{code}/years/{year}", format!("/villages/{v}/years/2025"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("GET", "/api/v1/villages/{code}/years/{year}/comparison.xlsx", format!("/villages/{v}/years/2025/comparison.xlsx"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("PUT", "/api/v1/villages/{code}/years/{year}", format!("/villages/{v}/years/2025"), crate::villages::table(1, 1), Hidden, "A+ T+ V+ C- U-"),
        ("GET", "/api/v1/work-teams", format!("/work-teams?division={v}"), any.clone(), Hidden, "A+ T+ V+ C+ U+"),
        ("POST", "/api/v1/work-teams", "/work-teams".into(), json!({"village_code": v, "name": "x", "term_start": "2026-01-01"}), Hidden, "A+ T+ V+ C- U-"),
        ("PATCH", "/api/v1/work-teams/{id}", format!("/work-teams/{}", i.team), json!({"name": "x"}), Hidden, "A+ T+ V+ C- U-"),
        // Last: it removes the member that other rows name.
        ("DELETE", "/api/v1/households/{id}/members/{member_id}", format!("{h}/members/{}?reason=death", i.member), any.clone(), Hidden, "A+ T+ V+ C- U-"),
    ]

}

/// Every operation of the document is in the table, and nothing else.
pub(crate) fn check_complete(table: &[Row]) {
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let listed: BTreeSet<String> = table.iter().map(|(m, t, ..)| format!("{m} {t}")).collect();
    let missing: Vec<&String> = documented.difference(&listed).collect();
    assert!(missing.is_empty(), "operations missing from the matrix: {missing:?}");
    let extra: Vec<&String> = listed.difference(&documented).collect();
    assert!(extra.is_empty(), "entries for operations that do not exist: {extra:?}");
}

pub(crate) async fn call(api: &Api, method: &str, path: &str, body: &Value) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let body = if method == reqwest::Method::GET || method == reqwest::Method::DELETE { None } else { Some(body.clone()) };
    // Every POST with a key of its own: its first write must be the transaction that claims it
    // (`repo::idempotency::guard` panics the server on a write before it).
    let key = (method == reqwest::Method::POST).then(|| uuid::Uuid::now_v7().to_string());
    let res = api.request_with_key(method, path, body, Some("\"1\""), key.as_deref()).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn an_outsider_finds_nothing_of_another_county_on_any_operation() {
    let app = spawn_app().await;
    let i = inside(&app).await;
    let outsider = app.user("county_admin", "340323000000").await;
    let table = table(&i);
    check_complete(&table);
    let inside_ids = i.ids();
    for (method, template, path, body, expect, _) in &table {
        if matches!(expect, Expect::NotScoped) {
            continue;
        }
        let (status, text) = call(&outsider, method, path, body).await;
        match expect {
            Expect::Hidden => assert_eq!(status, 404, "{method} {template}: {text}"),
            Expect::Refused => assert_eq!(status, 403, "{method} {template}: {text}"),
            Expect::Nothing => {
                assert!((200..300).contains(&status), "{method} {template}: {status} {text}");
                for id in &inside_ids {
                    assert!(!text.contains(*id), "{method} {template} shows {id}: {text}");
                }
            }
            Expect::NotScoped => {}
        }
    }
    // And nothing was changed by the attempts.
    let admin = app.admin().await;
    let hh: Value = admin.get(&format!("/households/{}", i.household)).await.json().await.unwrap();
    assert_eq!((hh["version"].as_i64(), hh["members"].as_array().unwrap().len()), (Some(2), 1));
}

#[actix_web::test]
async fn each_role_may_do_what_the_matrix_says_inside_its_jurisdiction() {
    let mut failures = Vec::new();
    for role in ['A', 'T', 'V', 'C', 'U'] {
        // A fresh county per role: the allowed writes of one role do not disturb the next.
        let app = spawn_app().await;
        let i = inside(&app).await;
        let api = match role {
            'A' => app.admin().await,
            'T' => app.user("township_reviewer", TOWNSHIP).await,
            'V' => app.user("village_officer", VILLAGE).await,
            'C' => i.cadre_api.clone(),
            _ => app.user("auditor", COUNTY).await,
        };
        for (method, template, path, body, _, roles) in table(&i) {
            if roles.is_empty() {
                continue;
            }
            let expected = roles.split(' ').find(|r| r.starts_with(role)).and_then(|r| r.chars().nth(1)).unwrap();
            let (status, text) = call(&api, method, &path, &body).await;
            let got = match status {
                403 => '-',
                404 => '0',
                401 => '?',
                _ => '+',
            };
            if got != expected {
                failures.push(format!("{role} {method} {template}: expected {expected}, got {status} {}", text.chars().take(160).collect::<String>()));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
