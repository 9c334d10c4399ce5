//! `spawn_app()` and clients for each role.

use std::sync::OnceLock;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use fangpin::config::Settings;
use fangpin::db::models::UserRow;
use fangpin::db::repo;
use fangpin::domain::IdNumber;
use fangpin::startup::Application;
use fangpin::state::AppState;
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const PASSWORD: &str = "Passw0rd!test";
pub const ADMIN_PASSWORD: &str = "Admin-pass-1";
pub const COUNTY: &str = "610831000000";
pub const TOWNSHIP: &str = "610831101000";
pub const VILLAGE: &str = "610831101201";
/// Another village of the same township.
pub const VILLAGE_2: &str = "610831101202";
/// A village of another township of the county.
pub const OTHER_TOWNSHIP_VILLAGE: &str = "610831102202";
/// A village of another county (固镇县).
pub const OTHER_COUNTY_VILLAGE: &str = "340323100001";

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Every passing test proves that nothing it stored keeps a personal number in clear.
        let in_clear = if std::thread::panicking() { Vec::new() } else { crate::at_rest::find_in_clear(self) };
        if let Some((admin_url, schema)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(admin_url) {
                let _ = c.batch_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'; \
                     DROP SCHEMA IF EXISTS {schema} CASCADE"
                ));
            }
        }
        assert!(in_clear.is_empty(), "ID or phone numbers stored in clear (a dump would reveal them):\n{}", in_clear.join("\n"));
    }
}

/// A caller with a token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    pub user_id: String,
    pub client: reqwest::Client,
}

impl Api {
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>, if_match: Option<&str>) -> Response {
        self.request_with_key(method, path, body, if_match, None).await
    }
    /// `request` with an `Idempotency-Key` (a POST's key is claimed by its first write
    /// transaction; a write before it panics the server in debug builds).
    pub async fn request_with_key(&self, method: Method, path: &str, body: Option<Value>, if_match: Option<&str>, key: Option<&str>) -> Response {
        let mut rb = self.client.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        if let Some(v) = if_match {
            rb = rb.header("If-Match", v);
        }
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        let url = format!("{}{path}", self.base);
        let res = rb.send().await.expect("request failed");
        crate::conformance::check(&method, &url, &res);
        res
    }
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(body), None).await
    }
    pub async fn patch(&self, path: &str, body: Value, if_match: Option<&str>) -> Response {
        self.request(Method::PATCH, path, Some(body), if_match).await
    }
    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> Response {
        self.request(Method::DELETE, path, None, if_match).await
    }
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| fangpin::auth::password::hash(PASSWORD).unwrap())
}

/// The n-th distinct valid ID number (region 610831).
pub fn id_number(n: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days(i64::from(n) * 37);
    IdNumber::compose("610831", birth, (n % 1000) as u16).as_str().to_owned()
}

pub fn backend_is_postgres() -> bool {
    std::env::var("FANGPIN_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        bind: "127.0.0.1:0".into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        db_pool_size: 4,
        storage: fangpin::storage::StorageKind::Memory,
        ..Settings::default()
    };
    if let Ok(endpoint) = std::env::var("FANGPIN_TEST_S3_ENDPOINT") {
        // A real S3 server (SeaweedFS in scripts/test.sh): one bucket, a folder of its own per test.
        settings.storage = fangpin::storage::StorageKind::S3;
        settings.s3_endpoint = Some(endpoint);
        settings.s3_bucket = std::env::var("FANGPIN_TEST_S3_BUCKET").unwrap_or_else(|_| "fangpin-test".into());
        settings.s3_prefix = Some(format!("t{}", uuid::Uuid::now_v7().simple()));
    }
    let mut pg = None;
    if let Ok(url) = std::env::var("FANGPIN_TEST_DATABASE_URL") {
        if url.starts_with("postgres") {
            let schema = format!("test_{}", uuid::Uuid::now_v7().simple());
            let mut c = PgConnection::establish(&url).expect("cannot reach FANGPIN_TEST_DATABASE_URL");
            c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            // Named after the schema, so dropping the app can close the connections its pool keeps.
            settings.database_url = Some(format!("{url}{sep}options=-c%20search_path%3D{schema}&application_name={schema}"));
            pg = Some((url, schema));
        }
    }
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("app failed to build");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let guzhen = fangpin::demo::embedded_county(&fangpin::domain::DivisionCode::parse("340323000000").unwrap()).unwrap();
    // A second county, for callers outside the jurisdiction (skipped when the database is down).
    if let Ok(mut c) = state.db.conn() {
        fangpin::demo::import_divisions(&mut c, guzhen).unwrap();
    }
    // Like a well-behaved phone client: a pooled connection idle longer than the server's 5 s
    // keep-alive is not reused (a test that computes for seconds between two requests would
    // otherwise send the second one on a connection the server is closing at that moment).
    let client = reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(3)).build().expect("client");
    TestApp { address, state, client, data_dir, pg }
}

impl TestApp {
    /// The PostgreSQL server and this test's schema (PostgreSQL runs only).
    pub fn pg_schema(&self) -> Option<(&str, &str)> {
        self.pg.as_ref().map(|(url, schema)| (url.as_str(), schema.as_str()))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The number of rows in `table`, read straight from the database (what a refused request
    /// must leave unchanged).
    pub fn rows(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = self.state.db.conn().unwrap();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM \"{table}\"")).get_result::<N>(&mut *c).unwrap().n
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    async fn api_for(&self, username: &str, password: &str) -> Api {
        let res = self.login(username, password).await;
        assert_eq!(res.status(), 200, "login of {username} failed");
        let body: Value = res.json().await.unwrap();
        Api {
            base: format!("{}/api/v1", self.address),
            token: body["access_token"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().to_owned(),
            client: self.client.clone(),
        }
    }

    /// The bootstrap county admin of 子洲县.
    pub async fn admin(&self) -> Api {
        self.api_for("admin", ADMIN_PASSWORD).await
    }

    /// Inserts a user directly (fast: the password hash is computed once) and logs them in.
    pub async fn user(&self, role: &str, jurisdiction: &str) -> Api {
        let username = format!("{role}-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let row = UserRow::new(&username, password_hash().to_owned(), &username, role, jurisdiction);
        let mut c = self.state.db.conn().unwrap();
        repo::users::insert(&mut c, &row).unwrap();
        self.api_for(&username, PASSWORD).await
    }

    /// A cadre 帮扶责任人 with a phone account: the user (role `cadre`) and the cadre record
    /// linked to it, registered by the county admin. Returns the caller and the cadre id.
    pub async fn cadre(&self, name: &str) -> (Api, String) {
        let api = self.user("cadre", VILLAGE).await;
        let admin = self.admin().await;
        let res = admin.post("/cadres", json!({"name": name, "work_unit": "子洲县农业农村局", "phone": "13800138000", "user_id": api.user_id})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let cadre: Value = res.json().await.unwrap();
        (api, cadre["id"].as_str().unwrap().to_owned())
    }

    /// Pairs a cadre with a household (as the county admin) from the given date.
    pub async fn pair(&self, cadre_id: &str, household_id: &str, start_date: &str) -> Value {
        let admin = self.admin().await;
        let res = admin.post("/pairings", json!({"cadre_id": cadre_id, "household_id": household_id, "start_date": start_date})).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    /// A cadre currently paired with the given households.
    /// (Household ids or `/households/{id}` paths.)
    pub async fn cadre_of(&self, households: &[&str]) -> Api {
        let (api, cadre_id) = self.cadre("刘帮扶").await;
        for h in households {
            self.pair(&cadre_id, h.trim_start_matches("/households/"), "2026-01-15").await;
        }
        api
    }

    /// Creates a household through the API as the county admin; returns its JSON.
    pub async fn household_in(&self, village: &str, n: u32) -> Value {
        let admin = self.admin().await;
        let res = admin.post("/households", household_body(village, &[(n, "head")])).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }
}

/// A household body with members given as (ID number index, relation).
pub fn household_body(village: &str, members: &[(u32, &str)]) -> Value {
    let names = ["王建国", "李秀英", "王小龙", "王雅琪", "张桂兰", "王志强"];
    json!({
        "village_code": village,
        "category": "lifted_out",
        "origin": "2025年建档立卡数据迁移",
        "address": "何家集镇某村三组",
        "members": members.iter().enumerate().map(|(i, (n, rel))| json!({
            "name": names[i % names.len()], "id_number": id_number(*n), "relation": rel,
        })).collect::<Vec<_>>(),
    })
}

/// Reads a problem document and checks its media type.
pub async fn problem(res: Response) -> Value {
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(ct.starts_with("application/problem+json"), "content-type was {ct}");
    res.json().await.unwrap()
}

/// Every "METHOD /path field" of the OpenAPI document: the JSON body fields (nested ones
/// included, through `$ref`, `allOf`/`oneOf`/`anyOf` and array items) and the parameters in
/// `places` ("query", "path"), for tests that must cover every field of a kind.
pub fn documented_fields(places: &[&str]) -> Vec<String> {
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    fn fields(schemas: &Value, s: &Value, out: &mut Vec<String>) {
        let s = match s["$ref"].as_str() {
            Some(r) => &schemas[r.rsplit('/').next().unwrap()],
            None => s,
        };
        for v in ["allOf", "oneOf", "anyOf"].iter().filter_map(|k| s[*k].as_array()).flatten() {
            fields(schemas, v, out);
        }
        if let Some(props) = s["properties"].as_object() {
            for (k, v) in props {
                out.push(k.clone());
                fields(schemas, v, out);
                fields(schemas, &v["items"], out);
            }
        }
    }
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut names: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| places.iter().any(|w| p["in"] == *w))
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            if let Some(s) = op["requestBody"]["content"].get("application/json") {
                fields(schemas, &s["schema"], &mut names);
            }
            found.extend(names.into_iter().map(|n| format!("{} {path} {n}", method.to_uppercase())));
        }
    }
    found
}
