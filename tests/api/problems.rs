//! Problems recorded by people (自查, 审计, 督查, 第三方评估, 信访) in the same ledger as the
//! rules', their rectification 整改 and sign-off, the township's close 销号, and the daily
//! rectification list 问题整改清单.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

async fn recorded(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

async fn ledger(api: &Api, query: &str) -> Vec<Value> {
    let res = api.get(&format!("/quality/problems?{query}")).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

/// A self-check finding of the household at `hid`.
fn finding(hid: &str) -> Value {
    json!({"household_id": hid, "source": "self_check", "category": "guarantee_unmet", "guarantee": "housing", "description": "房屋东墙开裂，属C级危房", "found_on": day(-1), "found_by": "第一小组入户自查"})
}

#[actix_web::test]
async fn people_record_problems_of_a_household_or_a_village_in_the_same_ledger() {
    let app = spawn_with(|s| s.problem_deadline_days = fangpin::domain::quality::people::DeadlineDays([("audit.warning", 5), ("complaint", 15), ("default", 20)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect())).await;
    let officer = app.user("village_officer", VILLAGE).await;
    let path = crate::photos::located_household(&app, 1).await;
    let hid = path.trim_start_matches("/households/").to_owned();
    let admin = app.admin().await;
    let photo = crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(1, Some((37.6106, 110.0357)))).await;
    assert_eq!(photo.status(), 201);
    let photo: Value = photo.json().await.unwrap();
    let doc = crate::documents::upload(&admin, &path, json!({"kind": "other"}), crate::documents::pdf(1), "a.pdf").await;
    assert_eq!(doc.status(), 201);
    let doc: Value = doc.json().await.unwrap();

    // A self-check finding with a photo and a document of the household.
    let mut body = finding(&hid);
    body["evidence"] = json!([{"kind": "photo", "id": photo["id"]}, {"kind": "document", "id": doc["id"]}]);
    let res = officer.post("/quality/problems", body).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let p = recorded(res).await;
    assert_eq!((p["source"].as_str(), p["category"].as_str(), p["guarantee"].as_str(), p["status"].as_str()), (Some("self_check"), Some("guarantee_unmet"), Some("housing"), Some("open")));
    assert_eq!((p["description"].as_str(), p["detail"].as_str()), (Some("两不愁三保障未保障"), Some("房屋东墙开裂，属C级危房")));
    assert_eq!((p["rule"].clone(), p["found_on"].as_str()), (Value::Null, Some(day(-1).as_str())));
    assert_eq!(p["deadline"].as_str(), Some(day(19).as_str()), "found yesterday, 20 days by default");
    assert_eq!(p["household_number"].as_str().map(str::len), Some(16));
    let detail: Value = officer.get(&format!("/quality/problems/{}", p["id"].as_str().unwrap())).await.json().await.unwrap();
    let kinds: Vec<(&str, &str)> = detail["evidence"].as_array().unwrap().iter().map(|e| (e["kind"].as_str().unwrap(), e["purpose"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("photo", "finding"), ("document", "finding")]);
    assert_eq!(detail["missing"].as_array().unwrap().len(), 5);

    // A complaint about the whole village, and an audit's warning: deadlines by source and severity.
    let village = recorded(officer.post("/quality/problems", json!({"village_code": VILLAGE, "source": "complaint", "category": "procedure_irregular", "description": "群众反映评议未公示", "found_on": day(0), "found_by": "12317"})).await).await;
    assert_eq!((village["household_id"].clone(), village["deadline"].as_str()), (Value::Null, Some(day(15).as_str())));
    let audit = recorded(officer.post("/quality/problems", json!({"household_id": hid, "source": "audit", "category": "income_below_line", "severity": "warning", "description": "收入核算偏低", "found_on": day(0)})).await).await;
    assert_eq!(audit["deadline"].as_str(), Some(day(5).as_str()));

    // One ledger: the rules' problems beside them; a run leaves people's problems alone.
    let run: Value = officer.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await.json().await.unwrap();
    assert!(run["opened"].as_i64().unwrap() >= 1);
    assert_eq!(officer.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await.json::<Value>().await.unwrap()["resolved"], 0);
    let all = ledger(&officer, "").await;
    assert_eq!(all.len() as i64, 3 + run["opened"].as_i64().unwrap());
    assert_eq!(ledger(&officer, "source=self_check").await.len(), 1);
    assert_eq!(ledger(&officer, "source=complaint").await[0]["id"], village["id"]);
    assert_eq!(ledger(&officer, "source=cleaning").await.len() as i64, run["opened"].as_i64().unwrap());
    assert_eq!(officer.get("/quality/problems?source=rumour").await.status(), 422);
    let summary: Value = officer.get("/quality/summary?source=complaint").await.json().await.unwrap();
    assert_eq!(summary["villages"][0]["counts"]["open"], 1);
    let all_sources: Value = officer.get("/quality/summary").await.json().await.unwrap();
    assert_eq!(all_sources["villages"][0]["unsettled"].as_i64(), Some(all.len() as i64));
    let csv = officer.get("/quality/problems.csv?source=self_check").await.text().await.unwrap();
    assert!(csv.lines().next().unwrap().contains("来源"));
    assert!(csv.lines().nth(1).unwrap().contains("自查") && csv.contains("房屋东墙开裂"));

    // History: recorded, audited.
    let history: Value = officer.get(&format!("{path}/history")).await.json().await.unwrap();
    assert_eq!(history["items"].as_array().unwrap().iter().filter(|e| e["action"] == "problem_recorded").count(), 2);
}

#[actix_web::test]
async fn a_problem_from_people_is_refused_whole_for_bad_input_and_outside_the_jurisdiction() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let h = app.household_in(VILLAGE, 1).await;
    let hid = h["id"].as_str().unwrap();
    let other = app.household_in(VILLAGE_2, 2).await;
    let other_photo_path = crate::photos::located_household(&app, 3).await;
    let admin = app.admin().await;
    let stranger: Value = crate::photos::upload(&admin, &other_photo_path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(2, Some((37.6106, 110.0357)))).await.json().await.unwrap();
    let before = (app.rows("problems"), app.rows("problem_evidence"));
    let refused = |change: Value| {
        let mut b = finding(hid);
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() { b.as_object_mut().unwrap().remove(k); } else { b[k] = v.clone(); }
        }
        b
    };
    for (change, field) in [
        (json!({"village_code": VILLAGE}), "household_id"),
        (json!({"household_id": null}), "household_id"),
        (json!({"household_id": null, "village_code": TOWNSHIP}), "village_code"),
        (json!({"source": "cleaning"}), "source"),
        (json!({"source": "rumour"}), "source"),
        (json!({"category": "other"}), "guarantee"),
        (json!({"guarantee": null}), "guarantee"),
        (json!({"found_on": day(1)}), "found_on"),
        (json!({"description": " "}), "description"),
        (json!({"severity": "fatal"}), "severity"),
        (json!({"evidence": [{"kind": "photo", "id": stranger["id"]}]}), "evidence"),
        (json!({"evidence": [{"kind": "video", "id": stranger["id"]}]}), "evidence[0].kind"),
    ] {
        let res = officer.post("/quality/problems", refused(change.clone())).await;
        assert_eq!(res.status(), 422, "{change}");
        let body = problem(res).await;
        assert!(body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{change}: {body}");
    }
    assert_eq!((app.rows("problems"), app.rows("problem_evidence")), before, "nothing written");
    // Outside the jurisdiction 404 (before the body's problems); roles that do not work the ledger 403.
    assert_eq!(officer.post("/quality/problems", finding(other["id"].as_str().unwrap())).await.status(), 404);
    assert_eq!(officer.post("/quality/problems", json!({"village_code": VILLAGE_2, "source": "audit"})).await.status(), 404);
    assert_eq!(officer.post("/quality/problems", json!({"village_code": OTHER_COUNTY_VILLAGE, "source": "audit"})).await.status(), 404);
    assert_eq!(app.user("auditor", COUNTY).await.post("/quality/problems", finding(hid)).await.status(), 403);
    let cadre = app.cadre_of(&[hid]).await;
    assert_eq!(cadre.post("/quality/problems", finding(hid)).await.status(), 403);
}

/// A team for VILLAGE whose first secretary (the team leader) is a cadre with an account.
async fn team_with_leader(app: &TestApp, name: &str) -> Api {
    let (leader, cadre) = app.cadre(name).await;
    let admin = app.admin().await;
    let res = admin.post("/work-teams", json!({"village_code": VILLAGE, "name": "驻村工作队", "first_secretary_id": cadre, "member_ids": [cadre], "term_start": "2025-01-01"})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    leader
}

#[actix_web::test]
async fn a_rectification_is_planned_evidenced_signed_off_and_closed_by_the_township() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let leader = team_with_leader(&app, "李队长").await;
    let path = crate::photos::located_household(&app, 1).await;
    let hid = path.trim_start_matches("/households/").to_owned();
    let p = recorded(officer.post("/quality/problems", finding(&hid)).await).await;
    let url = format!("/quality/problems/{}", p["id"].as_str().unwrap());

    // The plan: measure, responsible person, deadline (If-Match).
    let plan = json!({"measure": "实施危房改造，加固东墙", "responsible_user_id": officer.user_id, "deadline": day(10)});
    assert_eq!(officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(plan.clone()), None).await.status(), 428);
    let early = json!({"measure": "加固", "responsible_name": "张三", "deadline": day(-2)});
    let res = officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(early), Some("\"1\"")).await;
    assert_eq!(res.status(), 422, "a deadline before the problem was found");
    assert_eq!(problem(res).await["errors"][0]["field"], "deadline");
    let res = officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(json!({"measure": "加固"})), Some("\"1\"")).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "responsible_name");
    let res = officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(plan), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let planned: Value = res.json().await.unwrap();
    assert_eq!((planned["problem"]["measure"].as_str(), planned["problem"]["deadline"].as_str(), planned["problem"]["version"].as_i64()), (Some("实施危房改造，加固东墙"), Some(day(10).as_str()), Some(2)));
    assert!(planned["problem"]["responsible_name"].as_str().unwrap().starts_with("village_officer"));
    assert_eq!(planned["missing"].as_array().unwrap().len(), 3, "{}", planned["missing"]);

    // Signing comes after verification.
    let res = officer.post(&format!("{url}/signoffs"), json!({"role": "village_secretary", "name": "王书记"})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(officer.patch(&url, json!({"status": "verified", "note": "入户核实"}), Some("\"2\"")).await.status(), 200);

    // Skipping what is missing: 409 naming each part.
    let res = officer.patch(&url, json!({"status": "rectified"}), Some("\"3\"")).await;
    assert_eq!(res.status(), 409);
    let detail = problem(res).await["detail"].as_str().unwrap().to_owned();
    for part in ["整改佐证", "村支书签字", "驻村工作队长签字"] {
        assert!(detail.contains(part), "{detail}");
    }
    assert!(!detail.contains("整改措施"), "{detail}");

    // Progress with evidence of completion: a photo through the photo pipeline.
    let admin = app.admin().await;
    let photo: Value = crate::photos::upload(&admin, &path, &crate::photos::meta("door_with_cadre"), crate::photos::phone_photo(5, Some((37.6106, 110.0357)))).await.json().await.unwrap();
    let res = officer.post(&format!("{url}/progress"), json!({"noted_on": day(-2), "note": "已开工"})).await;
    assert_eq!(res.status(), 422, "before the problem was found");
    let res = officer.post(&format!("{url}/progress"), json!({"noted_on": day(0), "note": "东墙加固完成", "evidence": [{"kind": "photo", "id": photo["id"]}]})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"4\"", "a progress note moves the problem's version on");
    let worked: Value = res.json().await.unwrap();
    assert_eq!(worked["progress"][0]["note"], "东墙加固完成");
    let res = officer.patch(&url, json!({"status": "rectified"}), Some("\"3\"")).await;
    assert_eq!(res.status(), 412, "a change prepared on what was seen before the note");
    assert_eq!(worked["evidence"][0]["purpose"], "completion");

    // Sign-offs: the village's account signs as the secretary; the team leader has an account,
    // so only they sign for the team; others are refused.
    assert_eq!(reviewer.post(&format!("{url}/signoffs"), json!({"role": "village_secretary"})).await.status(), 403);
    assert_eq!(officer.post(&format!("{url}/signoffs"), json!({"role": "team_leader", "name": "李队长"})).await.status(), 403);
    assert_eq!(officer.post(&format!("{url}/signoffs"), json!({"role": "mayor"})).await.status(), 422);
    let outsider = app.user("cadre", VILLAGE).await;
    assert_eq!(outsider.post(&format!("{url}/signoffs"), json!({"role": "team_leader"})).await.status(), 404);
    assert_eq!(officer.post(&format!("{url}/signoffs"), json!({"role": "village_secretary", "name": "王书记"})).await.status(), 201);
    assert_eq!(officer.post(&format!("{url}/signoffs"), json!({"role": "village_secretary", "name": "王书记"})).await.status(), 409, "signed already");
    let res = leader.post(&format!("{url}/signoffs"), json!({"role": "team_leader"})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"6\"", "each sign-off moves the version on (refusals do not)");
    let signed: Value = res.json().await.unwrap();
    let signers: Vec<(&str, &str, bool)> = signed["signoffs"].as_array().unwrap().iter().map(|s| (s["role"].as_str().unwrap(), s["signer_name"].as_str().unwrap(), s["signer_user_id"].is_string())).collect();
    assert_eq!(signers, [("village_secretary", "王书记", true), ("team_leader", "李队长", true)]);
    assert_eq!(signed["missing"].as_array().unwrap().len(), 0);

    // Rectified; the township closes (销号), the village may not.
    assert_eq!(officer.patch(&url, json!({"status": "rectified", "note": "整改完成"}), Some("\"6\"")).await.status(), 200);
    assert_eq!(officer.patch(&url, json!({"status": "closed"}), Some("\"7\"")).await.status(), 403);
    assert_eq!(reviewer.patch(&url, json!({"status": "closed", "note": "验收合格，销号"}), Some("\"7\"")).await.status(), 200);
    let daily: Value = reviewer.get("/quality/daily").await.json().await.unwrap();
    assert_eq!(daily["closed_today"][0]["id"], p["id"]);
    assert_eq!(officer.post(&format!("{url}/progress"), json!({"noted_on": day(0), "note": "再补充"})).await.status(), 409);
    let history: Value = officer.get(&format!("{path}/history")).await.json().await.unwrap();
    let actions: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).filter(|a| a.starts_with("problem_")).collect();
    for a in ["problem_recorded", "problem_rectification", "problem_progress", "problem_signoff", "problem_status"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[actix_web::test]
async fn without_an_account_the_team_leader_is_recorded_by_name() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let h = app.household_in(VILLAGE, 1).await;
    let p = recorded(officer.post("/quality/problems", finding(h["id"].as_str().unwrap())).await).await;
    let url = format!("/quality/problems/{}", p["id"].as_str().unwrap());
    assert_eq!(officer.patch(&url, json!({"status": "verified"}), Some("\"1\"")).await.status(), 200);
    // No team: the name is required.
    let res = officer.post(&format!("{url}/signoffs"), json!({"role": "team_leader"})).await;
    assert_eq!(res.status(), 422);
    let res = officer.post(&format!("{url}/signoffs"), json!({"role": "team_leader", "name": "赵队长"})).await;
    assert_eq!(res.status(), 201);
    let d: Value = res.json().await.unwrap();
    assert_eq!((d["signoffs"][0]["signer_name"].as_str(), d["signoffs"][0]["signer_user_id"].is_null()), (Some("赵队长"), true));
    // The rules' problems are corrected in the data: no sign-off.
    officer.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await;
    let rule = ledger(&officer, "source=cleaning").await[0].clone();
    let rurl = format!("/quality/problems/{}", rule["id"].as_str().unwrap());
    officer.patch(&rurl, json!({"status": "verified"}), Some("\"1\"")).await;
    assert_eq!(officer.post(&format!("{rurl}/signoffs"), json!({"role": "team_leader", "name": "赵队长"})).await.status(), 409);
}

#[actix_web::test]
async fn the_daily_list_holds_what_opened_is_due_is_overdue_and_closed_today() {
    let app = spawn_app().await;
    let officer = app.user("village_officer", VILLAGE).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let h = app.household_in(VILLAGE, 1).await;
    let hid = h["id"].as_str().unwrap();
    // Found long ago with a deadline 3 days after: overdue; found today: opened today.
    let mut old = finding(hid);
    old["found_on"] = json!(day(-40));
    let old = recorded(officer.post("/quality/problems", old).await).await;
    let fresh = recorded(officer.post("/quality/problems", json!({"village_code": VILLAGE, "source": "inspection", "category": "assistance_lacking", "description": "=HYPERLINK(\"http://x\")", "found_on": day(0)})).await).await;
    let url = format!("/quality/problems/{}", fresh["id"].as_str().unwrap());
    let res = officer.request(reqwest::Method::PUT, &format!("{url}/rectification"), Some(json!({"measure": "补齐帮扶措施", "responsible_name": "张三", "deadline": day(2)})), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    let closed = recorded(officer.post("/quality/problems", json!({"household_id": hid, "source": "third_party", "category": "inaccurate_data", "description": "人口数不符", "found_on": day(0)})).await).await;
    let curl = format!("/quality/problems/{}", closed["id"].as_str().unwrap());
    assert_eq!(officer.patch(&curl, json!({"status": "dismissed", "note": "核实无误"}), Some("\"1\"")).await.status(), 200);

    let res = reviewer.get(&format!("/quality/daily?division={TOWNSHIP}")).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let ids = |k: &str| list[k].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let (old_id, fresh_id, closed_id) = (old["id"].as_str().unwrap(), fresh["id"].as_str().unwrap(), closed["id"].as_str().unwrap());
    assert_eq!(ids("overdue"), [old_id]);
    assert_eq!(ids("due_soon"), [fresh_id]);
    assert_eq!(ids("opened_today").len(), 3, "recorded today, whatever became of them since");
    assert!(ids("opened_today").iter().any(|id| id == closed_id));
    assert!(ids("closed_today").is_empty(), "dismissed is not closed");
    assert_eq!(list["date"].as_str(), Some(day(0).as_str()));

    let xlsx = reviewer.get(&format!("/quality/daily.xlsx?division={TOWNSHIP}")).await;
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["今日新增", "三日内到期", "已逾期", "今日销号"]);
    let sheet = wb.worksheet_range("三日内到期").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert!(rows[0][0].starts_with("问题整改清单"));
    assert_eq!(rows[2][1], "户编号");
    assert_eq!(rows[3][5], "'=HYPERLINK(\"http://x\")", "free text neutralised");
    assert_eq!((rows[3][7].as_str(), rows[3][8].as_str()), ("补齐帮扶措施", "张三"));
    assert!(rows.iter().any(|r| r[0].contains("乡镇分管领导")));

    // Scope and roles.
    assert_eq!(officer.get(&format!("/quality/daily?division={VILLAGE_2}")).await.status(), 404);
    assert_eq!(officer.get("/quality/daily").await.status(), 200);
    assert_eq!(app.user("cadre", VILLAGE).await.get("/quality/daily").await.status(), 403);
}

#[actix_web::test]
async fn a_problem_of_a_village_needs_a_village_that_exists_and_was_not_merged() {
    let app = spawn_app().await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let body = |village: &str| json!({"village_code": village, "source": "inspection", "category": "other", "description": "村务公开栏未更新", "found_on": "2026-11-20"});
    // Inside the township, but no such village: 422, nothing stored.
    let res = reviewer.post("/quality/problems", body("610831101999")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem(res).await["errors"][0]["code"], "unknown_division");
    let admin = app.admin().await;
    let res = admin.post(&format!("/divisions/{VILLAGE_2}/merge"), json!({"into": VILLAGE})).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let res = reviewer.post("/quality/problems", body(VILLAGE_2)).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "merged_village");
    let ledger: Value = reviewer.get(&format!("/quality/problems?division={TOWNSHIP}")).await.json().await.unwrap();
    assert!(ledger["items"].as_array().unwrap().is_empty());
    assert_eq!(reviewer.post("/quality/problems", body(VILLAGE)).await.status(), 201);
}
