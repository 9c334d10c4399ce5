//! Every request field that carries a division code (found in the OpenAPI document by name:
//! `division`, `village`, `jurisdiction`, `into`, the path's `code`, anything ending in `_code`)
//! refuses a code of another county, even from the county admin (the highest role of the county,
//! so no 403 of a lower role hides the answer): 404, 403 or 422 naming the field, and nothing
//! written (every table's row count unchanged). The same request with a code of the caller's own
//! county is not refused for that field, so the refusal is the code's, not a broken request's.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};

use crate::helpers::*;

const OTHER_TOWNSHIP: &str = "340323100000";

fn carries_division(name: &str) -> bool {
    matches!(name, "division" | "village" | "jurisdiction" | "into" | "code") || name.ends_with("_code")
}

/// Fields that name a place anywhere in China, not a jurisdiction: a migrant worker's place of
/// work 务工地点 is outside the county by nature (checked for its shape and level only).
const ELSEWHERE: &[&str] = &["PUT /api/v1/households/{id}/members/{member_id}/migrant-work/{year} destination_code"];

/// Every (METHOD template field) of the document whose path or query parameter or JSON body field
/// carries a division code of a jurisdiction.
fn documented() -> BTreeSet<String> {
    documented_fields(&["query", "path"]).into_iter().filter(|f| {
        let n = f.rsplit(' ').next().unwrap_or_default();
        carries_division(n) && !ELSEWHERE.contains(&f.as_str())
    }).collect()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows per table, every table of the schema.
fn row_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let tables: BTreeSet<String> = crate::mergers::columns(app).into_iter().map(|(t, _)| t).collect();
    let mut c = app.state.db.conn().unwrap();
    tables.into_iter().map(|t| {
        let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM \"{t}\"")).get_result::<Count>(&mut *c).unwrap().n;
        (t, n)
    }).collect()
}

struct Probe {
    method: &'static str,
    template: &'static str,
    field: &'static str,
    /// (path, body) with another county's code, and with the caller's own.
    foreign: (String, Value),
    own: Option<(String, Value)>,
    /// Read `version` here for `If-Match` (empty: the first version, `"1"`).
    version_from: Option<String>,
}

/// The `If-Match` to send: the version read at `version_from` (a single read may be audited: read
/// it before counting rows), or the first version.
async fn if_match(api: &Api, p: &Probe) -> Option<String> {
    match &p.version_from {
        Some(path) if path.is_empty() => Some("\"1\"".into()),
        Some(path) => {
            let v: Value = api.get(path).await.json().await.unwrap();
            // A list (a single household read is audited, later): the item the probe changes.
            let v = match v["items"].as_array() {
                Some(items) => items.iter().find(|i| i["id"].as_str().is_some_and(|id| p.foreign.0.ends_with(id))).cloned().unwrap(),
                None => v,
            };
            Some(format!("\"{}\"", v["version"]))
        }
        None => None,
    }
}

async fn send(api: &Api, method: &str, (path, body): &(String, Value), if_match: Option<String>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let body = if method == reqwest::Method::GET { None } else { Some(body.clone()) };
    let res = api.request(method, path, body, if_match.as_deref()).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Whether an answer refuses the request because of `field`.
fn refused_for(status: u16, v: &Value, field: &str) -> bool {
    match status {
        403 | 404 => true,
        422 => v["errors"].as_array().into_iter().flatten().any(|e| e["field"] == field),
        _ => false,
    }
}

#[actix_web::test]
async fn no_field_takes_a_division_of_another_county() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = format!("/households/{}", app.household_in(VILLAGE, 1).await["id"].as_str().unwrap());
    let team = admin.post("/work-teams", json!({"village_code": VILLAGE, "name": "工作队", "term_start": "2025-01-01"})).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let user = app.user("cadre", VILLAGE).await.user_id;
    let year = crate::villages::table(1, 1);
    let same = |m: &'static str, t: &'static str, f: &'static str, path: &dyn Fn(&str) -> String, body: &dyn Fn(&str) -> Value, foreign: &str, own: &str| Probe {
        method: m,
        template: t,
        field: f,
        foreign: (path(foreign), body(foreign)),
        own: Some((path(own), body(own))),
        version_from: None,
    };
    let none = |_: &str| json!({});
    let query = |m, t: &'static str, f, p: &'static str| same(m, t, f, &|c| p.replace("{c}", c), &none, OTHER_COUNTY_VILLAGE, VILLAGE);
    let mut probes = vec![
        query("GET", "/api/v1/households", "division", "/households?division={c}"),
        query("GET", "/api/v1/households.geojson", "division", "/households.geojson?division={c}"),
        query("GET", "/api/v1/coverage", "division", "/coverage?division={c}"),
        query("GET", "/api/v1/coverage/missing", "division", "/coverage/missing?division={c}"),
        query("GET", "/api/v1/natural-changes", "division", "/natural-changes?division={c}"),
        query("GET", "/api/v1/natural-changes.xlsx", "division", "/natural-changes.xlsx?division={c}"),
        query("GET", "/api/v1/photo-checks", "division", "/photo-checks?division={c}&status=ok"),
        query("GET", "/api/v1/cases", "division", "/cases?division={c}"),
        query("GET", "/api/v1/work-teams", "division", "/work-teams?division={c}"),
        query("GET", "/api/v1/projects", "division", "/projects?division={c}"),
        query("GET", "/api/v1/loans", "division", "/loans?division={c}"),
        query("GET", "/api/v1/quality/problems", "division", "/quality/problems?division={c}"),
        query("GET", "/api/v1/quality/problems", "village", "/quality/problems?village={c}"),
        query("GET", "/api/v1/quality/problems.csv", "division", "/quality/problems.csv?division={c}"),
        query("GET", "/api/v1/quality/problems.csv", "village", "/quality/problems.csv?village={c}"),
        query("GET", "/api/v1/quality/problems.xlsx", "division", "/quality/problems.xlsx?division={c}"),
        query("GET", "/api/v1/quality/problems.xlsx", "village", "/quality/problems.xlsx?village={c}"),
        query("GET", "/api/v1/quality/summary", "division", "/quality/summary?division={c}"),
        query("GET", "/api/v1/quality/daily", "division", "/quality/daily?division={c}"),
        query("GET", "/api/v1/reports/problems", "division", "/reports/problems?division={c}"),
        query("GET", "/api/v1/reports/rectification", "division", "/reports/rectification?division={c}"),
        query("GET", "/api/v1/reports/self-assessment", "division", "/reports/self-assessment?division={c}"),
        query("GET", "/api/v1/reports/problems.xlsx", "division", "/reports/problems.xlsx?division={c}"),
        query("GET", "/api/v1/reports/rectification.xlsx", "division", "/reports/rectification.xlsx?division={c}"),
        query("GET", "/api/v1/reports/self-assessment.xlsx", "division", "/reports/self-assessment.xlsx?division={c}"),
        query("GET", "/api/v1/quality/daily.xlsx", "division", "/quality/daily.xlsx?division={c}"),
        same("POST", "/api/v1/quality/problems", "village_code", &|_| "/quality/problems".into(), &|c| json!({"village_code": c, "source": "audit", "category": "other", "description": "评议未公示", "found_on": "2026-01-05"}), OTHER_COUNTY_VILLAGE, VILLAGE),
        query("GET", "/api/v1/exports/households.xlsx", "division", "/exports/households.xlsx?division={c}"),
        query("POST", "/api/v1/quality/runs", "division", "/quality/runs?division={c}"),
        query("GET", "/api/v1/divisions/{code}", "code", "/divisions/{c}"),
        query("GET", "/api/v1/divisions/{code}/children", "code", "/divisions/{c}/children"),
        query("GET", "/api/v1/villages/{code}", "code", "/villages/{c}"),
        query("GET", "/api/v1/villages/{code}/natural-villages", "code", "/villages/{c}/natural-villages"),
        query("GET", "/api/v1/villages/{code}/archive.zip", "code", "/villages/{c}/archive.zip"),
        query("GET", "/api/v1/screening", "division", "/screening?division={c}"),
        query("GET", "/api/v1/ledgers/adjustments", "division", "/ledgers/adjustments?division={c}"),
        query("GET", "/api/v1/ledgers/adjustments.xlsx", "division", "/ledgers/adjustments.xlsx?division={c}"),
        query("GET", "/api/v1/ledgers/removals", "division", "/ledgers/removals?division={c}"),
        query("GET", "/api/v1/ledgers/removals.xlsx", "division", "/ledgers/removals.xlsx?division={c}"),
        query("GET", "/api/v1/screening.xlsx", "division", "/screening.xlsx?division={c}"),
        same("PUT", "/api/v1/villages/{code}/years/{year}", "code", &|c| format!("/villages/{c}/years/2025"), &|_| year.clone(), OTHER_COUNTY_VILLAGE, VILLAGE),
        query("GET", "/api/v1/villages/{code}/years/{year}", "code", "/villages/{c}/years/2025"),
        query("GET", "/api/v1/villages/{code}/years/{year}/comparison.xlsx", "code", "/villages/{c}/years/2025/comparison.xlsx"),
        query("GET", "/api/v1/villages/{code}/publicity-lists", "code", "/villages/{c}/publicity-lists?step=publicity&date=2026-01-01"),
        query("GET", "/api/v1/villages/{code}/publicity-lists.xlsx", "code", "/villages/{c}/publicity-lists.xlsx?step=publicity&date=2026-01-01"),
        same("POST", "/api/v1/villages/{code}/natural-villages", "code", &|c| format!("/villages/{c}/natural-villages"), &|_| json!({"name": "一组"}), OTHER_COUNTY_VILLAGE, VILLAGE),
        same("POST", "/api/v1/households", "village_code", &|_| "/households".into(), &|c| household_body(c, &[(2, "head")]), OTHER_COUNTY_VILLAGE, VILLAGE),
        Probe { version_from: Some(format!("/households?division={VILLAGE}")), ..same("PATCH", "/api/v1/households/{id}", "former_village_code", &|_| h.clone(), &|c| json!({"former_village_code": c}), OTHER_COUNTY_VILLAGE, VILLAGE_2) },
        same("POST", "/api/v1/work-teams", "village_code", &|_| "/work-teams".into(), &|c| json!({"village_code": c, "name": "二队", "term_start": "2025-01-01"}), OTHER_COUNTY_VILLAGE, VILLAGE),
        // A team stays with its village: its own code is refused as well (read_only).
        Probe { own: None, version_from: Some(String::new()), ..same("PATCH", "/api/v1/work-teams/{id}", "village_code", &|_| format!("/work-teams/{team}"), &|c| json!({"village_code": c}), OTHER_COUNTY_VILLAGE, VILLAGE) },
        same("POST", "/api/v1/spot-checks", "division", &|_| "/spot-checks".into(), &|c| json!({"division": c, "townships": 1, "villages_per_township": 1, "households_per_village": 1}), OTHER_TOWNSHIP, TOWNSHIP),
        same("POST", "/api/v1/users", "jurisdiction", &|_| "/users".into(), &|c| json!({"username": format!("u{}", &c[6..]), "password": "Strong-pass-9", "display_name": "张三", "role": "cadre", "jurisdiction": c}), OTHER_COUNTY_VILLAGE, VILLAGE),
        Probe { version_from: Some(format!("/users/{user}")), ..same("PATCH", "/api/v1/users/{id}", "jurisdiction", &|_| format!("/users/{user}"), &|c| json!({"jurisdiction": c}), OTHER_COUNTY_VILLAGE, VILLAGE_2) },
        // Mergers last: the own-code requests merge VILLAGE_2 into VILLAGE.
        same("POST", "/api/v1/divisions/{code}/merge", "into", &|_| format!("/divisions/{VILLAGE_2}/merge"), &|c| json!({"into": c}), OTHER_COUNTY_VILLAGE, VILLAGE),
        same("POST", "/api/v1/divisions/{code}/merge", "code", &|c| format!("/divisions/{c}/merge"), &|_| json!({"into": VILLAGE}), OTHER_COUNTY_VILLAGE, VILLAGE_2),
    ];

    let probed: BTreeSet<String> = probes.iter().map(|p| format!("{} {} {}", p.method, p.template, p.field)).collect();
    let documented = documented();
    let missing: Vec<_> = documented.difference(&probed).collect();
    assert!(missing.is_empty(), "division fields without a probe: {missing:?}");
    let extra: Vec<_> = probed.difference(&documented).collect();
    assert!(extra.is_empty(), "probes of fields the document does not have: {extra:?}");

    let mut failures = Vec::new();
    for p in probes.drain(..) {
        let name = format!("{} {} {}", p.method, p.template, p.field);
        let etag = if_match(&admin, &p).await;
        let before = row_counts(&app);
        let (status, body) = send(&admin, p.method, &p.foreign, etag).await;
        if !refused_for(status, &body, p.field) {
            failures.push(format!("{name}: another county's code answered {status} {body}"));
        }
        let after = row_counts(&app);
        if after != before {
            let changed: Vec<_> = after.iter().filter(|(t, n)| before.get(*t) != Some(n)).map(|(t, _)| t.clone()).collect();
            failures.push(format!("{name}: the refused request wrote to {changed:?}"));
        }
        if let Some(own) = &p.own {
            let etag = if_match(&admin, &p).await;
            let (status, body) = send(&admin, p.method, own, etag).await;
            if refused_for(status, &body, p.field) {
                failures.push(format!("{name}: the county's own code was refused too: {status} {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong answers:\n{}", failures.len(), failures.join("\n"));
}
