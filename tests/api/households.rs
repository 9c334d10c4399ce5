//! Households: creation rules, ID numbers, duplicates, idempotency, scope, roles, lists, If-Match.

use serde_json::{Value, json};

use crate::helpers::*;

#[actix_web::test]
async fn a_household_is_created_with_its_members_in_one_step() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.post("/households", household_body(VILLAGE, &[(1, "head"), (2, "spouse"), (3, "child")])).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["number"], format!("{VILLAGE}0001"));
    assert_eq!(h["township_code"], TOWNSHIP);
    assert_eq!(h["head_name"], "王建国");
    assert_eq!(h["members"].as_array().unwrap().len(), 3);
    assert_eq!(h["members"][0]["id_number"], id_number(1), "the creator sees the full record");
    let second = admin.post("/households", household_body(VILLAGE, &[(4, "head")])).await.json::<Value>().await.unwrap();
    assert_eq!(second["number"], format!("{VILLAGE}0002"));
}

#[actix_web::test]
async fn id_numbers_are_normalised_and_sex_and_birth_date_come_from_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let x_number = "11010519491231002X";
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["members"][0]["id_number"] = json!("  11010519491231002x ");
    body["members"][0]["sex"] = json!("female");
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 201);
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["members"][0]["id_number"], x_number);
    assert_eq!(h["members"][0]["sex"], "female");
    assert_eq!(h["members"][0]["birth_date"], "1949-12-31");
}

#[actix_web::test]
async fn invalid_members_are_refused_listing_every_bad_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({
        "village_code": TOWNSHIP, "category": "rich",
        "members": [
            {"name": "王2", "id_number": "110105491231002", "relation": "head"},
            {"name": "李秀英", "id_number": "110105194912310021", "relation": "head"},
            {"name": "王小龙", "id_number": id_number(7), "relation": "child", "sex": if id_number(7).as_bytes()[16] % 2 == 1 { "female" } else { "male" }},
        ],
    });
    let res = admin.post("/households", body).await;
    assert_eq!(res.status(), 422);
    let p = problem(res).await;
    assert_eq!(p["code"], "validation_failed");
    let errors = p["errors"].as_array().unwrap();
    let has = |field: &str, code: &str| errors.iter().any(|e| e["field"] == field && e["code"] == code);
    assert!(has("village_code", "not_a_village"), "{errors:?}");
    assert!(has("category", "invalid_value"));
    assert!(has("members[0].name", "invalid_name"));
    assert!(has("members[0].id_number", "invalid_id_number"));
    assert!(errors.iter().any(|e| e["field"] == "members[0].id_number" && e["message"].as_str().unwrap().contains("15-digit")));
    assert!(has("members[1].id_number", "invalid_id_number"));
    assert!(has("members[2].sex", "sex_mismatch"));
    assert!(has("members", "several_heads"));
    let none = admin.post("/households", household_body(VILLAGE, &[(1, "spouse")])).await;
    assert_eq!(problem(none).await["errors"][0]["code"], "no_head");
}

#[actix_web::test]
async fn an_id_number_belongs_to_one_household_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = app.household_in(VILLAGE, 1).await;
    let res = admin.post("/households", household_body(VILLAGE_2, &[(2, "head"), (1, "spouse")])).await;
    assert_eq!(res.status(), 409);
    let detail = problem(res).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(first["number"].as_str().unwrap()), "{detail}");
    assert!(!detail.contains(&id_number(1)), "the conflict message masks the number");
    // An officer of another village learns only that it is already registered: not where.
    let officer = app.user("village_officer", VILLAGE_2).await;
    let mut ordinary = household_body(VILLAGE_2, &[(1, "head")]);
    ordinary["category"] = json!("ordinary");
    let res = officer.post("/households", ordinary).await;
    assert_eq!(res.status(), 409);
    let detail = problem(res).await["detail"].as_str().unwrap().to_owned();
    assert!(detail.ends_with("is already registered") && !detail.contains(first["number"].as_str().unwrap()), "{detail}");
    // Nothing of the refused households was written.
    let list: Value = admin.get(&format!("/households?division={VILLAGE_2}")).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // Twice in one request is a 422.
    let res = admin.post("/households", household_body(VILLAGE_2, &[(5, "head"), (5, "child")])).await;
    assert_eq!(problem(res).await["errors"][0]["code"], "duplicate");
}

#[actix_web::test]
async fn repeating_a_create_with_the_same_client_id_returns_the_first_result() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["client_id"] = json!(uuid::Uuid::now_v7().to_string());
    let first = admin.post("/households", body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = admin.post("/households", body.clone()).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let list: Value = admin.get(&format!("/households?division={VILLAGE}")).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    body["client_id"] = json!("not-a-uuid");
    assert_eq!(admin.post("/households", body).await.status(), 422);
}

#[actix_web::test]
async fn concurrent_retries_with_one_client_id_create_one_household() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["client_id"] = json!(uuid::Uuid::now_v7().to_string());
    let sends = (0..6).map(|_| admin.post("/households", body.clone()));
    let results = futures_util::future::join_all(sends).await;
    let mut ids = std::collections::HashSet::new();
    for r in results {
        assert!(r.status() == 201 || r.status() == 200, "{}", r.status());
        ids.insert(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
}

#[actix_web::test]
async fn each_caller_sees_only_their_jurisdiction_and_outside_is_404() {
    let app = spawn_app().await;
    let here = app.household_in(VILLAGE, 1).await;
    let next_door = app.household_in(VILLAGE_2, 2).await;
    let far = app.household_in(OTHER_TOWNSHIP_VILLAGE, 3).await;
    let officer = app.user("village_officer", VILLAGE).await;
    // A cadre sees the households paired with them, wherever they are.
    let cadre = app.cadre_of(&[far["id"].as_str().unwrap()]).await;
    let reviewer = app.user("township_reviewer", TOWNSHIP).await;
    let other_county = app.user("county_admin", "340323000000").await;
    let path = |h: &Value| format!("/households/{}", h["id"].as_str().unwrap());
    for (who, api, visible) in [
        ("officer", &officer, vec![&here]),
        ("cadre", &cadre, vec![&far]),
        ("reviewer", &reviewer, vec![&here, &next_door]),
        ("other county", &other_county, vec![]),
    ] {
        for h in [&here, &next_door, &far] {
            let expected = if visible.contains(&h) { 200 } else { 404 };
            assert_eq!(api.get(&path(h)).await.status(), expected, "{who} GET {}", h["village_code"]);
            assert_eq!(api.get(&format!("{}/history", path(h))).await.status(), expected, "{who} history");
        }
        let list: Value = api.get("/households").await.json().await.unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), visible.len(), "{who} list");
    }
    // Writes outside the jurisdiction are 404 too, before any role check.
    let res = officer.patch(&path(&next_door), json!({"address": "x"}), Some("1")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(officer.post(&format!("{}/members", path(&next_door)), json!({"name": "李秀英", "id_number": id_number(9), "relation": "spouse"})).await.status(), 404);
    assert_eq!(officer.post("/households", household_body(VILLAGE_2, &[(8, "head")])).await.status(), 404);
    assert_eq!(officer.get(&format!("/households?division={VILLAGE_2}")).await.status(), 404);
}

#[actix_web::test]
async fn roles_without_the_right_get_403() {
    let app = spawn_app().await;
    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let cadre = app.cadre_of(&[&path]).await;
    let auditor = app.user("auditor", COUNTY).await;
    for api in [&cadre, &auditor] {
        assert_eq!(api.post("/households", household_body(VILLAGE, &[(5, "head")])).await.status(), 403);
        assert_eq!(api.patch(&path, json!({"address": "新地址"}), Some("1")).await.status(), 403);
    }
    assert_eq!(auditor.post(&format!("{path}/members"), json!({"name": "李秀英", "id_number": id_number(6), "relation": "spouse"})).await.status(), 403);
    // The paired cadre records a natural increase 自然增加 at the home visit, and changes nothing else of the members.
    let newborn = json!({"name": "王小宝", "relation": "grandchild", "no_id_reason": "newborn_unregistered", "sex": "male", "birth_date": "2026-03-10", "join_reason": "birth"});
    assert_eq!(cadre.post(&format!("{path}/members"), newborn).await.status(), 201);
    let member = h["members"][0]["id"].as_str().unwrap();
    assert_eq!(cadre.patch(&format!("{path}/members/{member}"), json!({"name": "王建军"}), Some("2")).await.status(), 403);
    // The auditor reads, masked, and such a read is not a personal-data read.
    let seen: Value = auditor.get(&path).await.json().await.unwrap();
    assert!(seen["members"][0]["id_number"].as_str().unwrap().contains("********"));
}

#[actix_web::test]
async fn lists_mask_personal_numbers_filter_and_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut body = household_body(VILLAGE, &[(1, "head")]);
    body["members"][0]["phone"] = json!("13812345678");
    admin.post("/households", body).await;
    for n in 2..=5 {
        app.household_in(VILLAGE_2, n).await;
    }
    let list: Value = admin.get(&format!("/households?division={VILLAGE}")).await.json().await.unwrap();
    let m = &list["items"][0]["members"][0];
    assert_eq!(m["id_number"], format!("610831********{}", &id_number(1)[14..]));
    assert_eq!(m["phone"], "138****5678");
    // Pages of 2 walk all 5 households once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor { Some(c) => format!("/households?limit=2&cursor={c}"), None => "/households?limit=2".into() };
        let page: Value = admin.get(&q).await.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
    }
    seen.dedup();
    assert_eq!(seen.len(), 5);
    assert_eq!(admin.get("/households?cursor=bm90LWEtY3Vyc29y").await.status(), 400);
    let by_number: Value = admin.get(&format!("/households?q={VILLAGE}0001")).await.json().await.unwrap();
    assert_eq!(by_number["items"].as_array().unwrap().len(), 1);
    let by_name: Value = admin.get("/households?q=%E7%8E%8B%E5%BB%BA").await.json().await.unwrap();
    assert_eq!(by_name["items"].as_array().unwrap().len(), 5);
    let none: Value = admin.get("/households?category=ordinary").await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    assert_eq!(admin.get("/households?category=rich").await.status(), 422);
    assert_eq!(admin.get("/households?has_location=maybe").await.status(), 422);
}

#[actix_web::test]
async fn updates_need_if_match_and_a_stale_version_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    let res = admin.patch(&path, json!({"address": "三组"}), None).await;
    assert_eq!(res.status(), 428);
    assert_eq!(problem(res).await["code"], "precondition_required");
    let res = admin.patch(&path, json!({"address": "三组"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let res = admin.patch(&path, json!({"address": "四组"}), Some("\"1\"")).await;
    assert_eq!(res.status(), 412);
    assert_eq!(problem(res).await["code"], "precondition_failed");
    let now: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(now["address"], "三组");
    assert_eq!(now["version"], 2);
}

#[actix_web::test]
async fn malformed_json_is_400_and_wrong_values_are_422() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post(app.url("/api/v1/households"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body("{\"village_code\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(problem(res).await["code"], "bad_request");
    let res = admin.post("/households", json!({"village_code": 610831101201_i64, "category": "ordinary", "members": []})).await;
    assert_eq!(res.status(), 422);
    let res = admin.post("/households", json!({"category": "ordinary"})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(admin.get("/households/not-a-uuid").await.status(), 404);
}

#[actix_web::test]
async fn every_write_is_in_the_history_and_full_reads_are_logged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.household_in(VILLAGE, 1).await;
    let path = format!("/households/{}", h["id"].as_str().unwrap());
    admin.patch(&path, json!({"address": "五组"}), Some("1")).await;
    admin.get(&path).await;
    let history: Value = admin.get(&format!("{path}/history")).await.json().await.unwrap();
    let actions: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(history["items"][0]["before"]["address"], "何家集镇某村三组");
    assert_eq!(history["items"][0]["after"]["address"], "五组");
    assert_eq!(history["items"][0]["actor"], "admin");
    // Reads are recorded in the background within a fraction of a second.
    let mut logged = false;
    for _ in 0..30 {
        let with_reads: Value = admin.get(&format!("{path}/history?include_reads=true")).await.json().await.unwrap();
        if with_reads["items"][0]["action"] == "read" {
            assert_eq!(with_reads["items"][0]["actor"], "admin");
            logged = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(logged, "the full read was not logged");
}

#[actix_web::test]
async fn concurrent_creates_without_numbers_get_distinct_consecutive_numbers() {
    let app = spawn_with(|s| s.db_pool_size = 16).await;
    let admin = app.admin().await;
    // A number typed earlier above the counter: the counter continues after it.
    let mut typed = household_body(VILLAGE, &[(100, "head")]);
    typed["number"] = json!(format!("{VILLAGE}0007"));
    let res = admin.post("/households", typed).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let creates = (0..64u32).map(|i| {
        let admin = admin.clone();
        async move {
            let res = admin.post("/households", household_body(VILLAGE, &[(200 + i, "head")])).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or_default();
            (status, body["number"].as_str().unwrap_or_default().to_owned())
        }
    });
    let answers = futures_util::future::join_all(creates).await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    let mut numbers: Vec<u32> = answers.iter().map(|(_, n)| n.strip_prefix(VILLAGE).unwrap().parse().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (8..72).collect::<Vec<u32>>(), "64 distinct consecutive numbers after the highest one");
    // Another village counts on its own.
    let other: Value = admin.post("/households", household_body(VILLAGE_2, &[(300, "head")])).await.json().await.unwrap();
    assert_eq!(other["number"], format!("{VILLAGE_2}0001"));
}

/// Typed (or imported) numbers do not go through the village's counter: a server-assigned
/// number is always above the village's highest.
#[actix_web::test]
async fn a_create_after_typed_numbers_takes_the_number_after_the_highest() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let create = |person: u32, number: Option<u32>| {
        let admin = admin.clone();
        async move {
            let mut body = household_body(VILLAGE, &[(person, "head")]);
            if let Some(n) = number {
                body["number"] = json!(format!("{VILLAGE}{n:04}"));
            }
            let res = admin.post("/households", body).await;
            assert_eq!(res.status(), 201);
            let body: Value = res.json().await.unwrap();
            body["number"].as_str().unwrap().strip_prefix(VILLAGE).unwrap().parse::<u32>().unwrap()
        }
    };
    assert_eq!(create(600, None).await, 1, "the village's first number");
    // Typed right above the counter, then a gap: the next create skips both.
    assert_eq!(create(601, Some(2)).await, 2);
    assert_eq!(create(602, Some(3)).await, 3);
    assert_eq!(create(603, None).await, 4);
    assert_eq!(create(604, None).await, 5, "the counter kept the raised value");
    // A gap below a typed number stays free (a household of the register may hold it, for a
    // later import): the next number is above the highest.
    assert_eq!(create(606, Some(9)).await, 9);
    assert_eq!(create(607, None).await, 10, "above the highest number, never in a gap below it");
    // A typed number with other characters after the village code ("…9-00" sorts above "…0020")
    // is no sequence: the next is above the highest of four digits.
    assert_eq!(create(608, Some(20)).await, 20);
    let mut odd = household_body(VILLAGE, &[(609, "head")]);
    odd["number"] = json!(format!("{VILLAGE}9-00"));
    assert_eq!(admin.post("/households", odd).await.status(), 201);
    assert_eq!(create(610, None).await, 21, "above …0020, not in the gap above the counter's 10");
    // A typed number that is taken is a 409, not a retry.
    let mut taken = household_body(VILLAGE, &[(605, "head")]);
    taken["number"] = json!(format!("{VILLAGE}0005"));
    let res = admin.post("/households", taken).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("already registered"));
}

/// The four digits after the village code run out at 9999: a create without a number is then a
/// 409 that says to give the number, and nothing is written.
#[actix_web::test]
async fn a_village_whose_numbers_ran_out_answers_409_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut last = household_body(VILLAGE, &[(620, "head")]);
    last["number"] = json!(format!("{VILLAGE}9999"));
    assert_eq!(admin.post("/households", last).await.status(), 201);
    let before = app.rows("households");
    let res = admin.post("/households", household_body(VILLAGE, &[(621, "head")])).await;
    assert_eq!(res.status(), 409);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("give the number explicitly"));
    assert_eq!(app.rows("households"), before);
    // A typed number still goes in.
    let mut typed = household_body(VILLAGE, &[(622, "head")]);
    typed["number"] = json!(format!("{VILLAGE}0001"));
    assert_eq!(admin.post("/households", typed).await.status(), 201);
}

/// Numbers typed by hand (or imported) do not take the village's counter: one committed while a
/// create without a number runs can take the number it read as free. That create runs again
/// with the next number; its caller never sees the collision.
#[actix_web::test]
async fn numbers_typed_while_the_server_assigns_them_never_fail_a_create_without_a_number() {
    let app = spawn_with(|s| s.db_pool_size = 16).await;
    let admin = app.admin().await;
    let post = |body: Value| {
        let admin = admin.clone();
        async move {
            let res = admin.post("/households", body).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or_default();
            (status, body["number"].as_str().unwrap_or_default().to_owned())
        }
    };
    let assigned = futures_util::future::join_all((0..32u32).map(|i| post(household_body(VILLAGE, &[(400 + i, "head")]))));
    let typed = futures_util::future::join_all((1..=16u32).map(|n| {
        let mut body = household_body(VILLAGE, &[(500 + n, "head")]);
        body["number"] = json!(format!("{VILLAGE}{n:04}"));
        post(body)
    }));
    let (assigned, typed) = futures_util::join!(assigned, typed);
    assert!(assigned.iter().all(|(s, _)| *s == 201), "{assigned:?}");
    // A typed number the server gave first is refused, as a number in use is.
    assert!(typed.iter().all(|(s, _)| *s == 201 || *s == 409), "{typed:?}");
    let mut numbers: Vec<&str> = assigned.iter().chain(&typed).filter(|(s, _)| *s == 201).map(|(_, n)| n.as_str()).collect();
    let created = numbers.len();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), created, "every number once");
}
