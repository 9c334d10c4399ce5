//! A refused request (4xx) never repeats what it carried, in its answer or in the log: ID and
//! phone numbers sent in the wrong place (a number where a text is expected, a text where a
//! number or a choice is, an invalid ID number or phone, a path or query parameter) are sent to
//! every operation of the OpenAPI document that takes a JSON body, in every field of its schema
//! (nested ones too), and in every path and query parameter; then no 4xx answer and no line of
//! the server's log (captured at DEBUG, JSON lines, the format with the most context) may
//! contain one of them.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Everything the app logs, from the first test of this module on (one subscriber per process).
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        // The test's own HTTP client is not the server: left out.
        let filter = "debug,reqwest=off,hyper=off,hyper_util=off,h2=off,rustls=off";
        let installed = fangpin::telemetry::init_with(fangpin::config::LogFormat::Json, move || Sink(sink.clone()), Some(filter));
        assert!(installed, "a log subscriber was installed before this test's: it cannot see the server's log");
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Seg {
    Key(String),
    First,
}

pub(crate) fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            s = &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
        } else if let Some(v) = ["oneOf", "anyOf", "allOf"].iter().find_map(|k| s.get(*k).and_then(Value::as_array)) {
            s = v.iter().find(|x| x.get("type").and_then(Value::as_str) != Some("null")).unwrap_or(&Value::Null);
        } else {
            return s;
        }
    }
}

pub(crate) fn kind(s: &Value) -> &str {
    match &s["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if s.get("properties").is_some() => "object",
        _ => "",
    }
}

/// A body the schema accepts in shape: every required field with a plain value of its type.
pub(crate) fn minimal(doc: &Value, s: &Value) -> Value {
    let s = resolve(doc, s);
    if let Some(first) = s.get("enum").and_then(|e| e.as_array()).and_then(|e| e.first()) {
        return first.clone();
    }
    match kind(s) {
        "object" => {
            let required: Vec<&str> = s["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let props = s["properties"].as_object().cloned().unwrap_or_default();
            Value::Object(required.iter().filter_map(|k| props.get(*k).map(|p| ((*k).to_owned(), minimal(doc, p)))).collect())
        }
        "array" => json!([minimal(doc, &s["items"])]),
        "integer" => json!(1),
        "number" => json!(1.0),
        "boolean" => json!(false),
        _ => match s["format"].as_str() {
            Some("date") => json!("2026-01-01"),
            Some("date-time") => json!("2026-01-01T08:00:00+08:00"),
            Some("uuid") => json!(uuid::Uuid::now_v7()),
            _ => json!("x"),
        },
    }
}

/// Every field of the schema (objects' properties, the first item of arrays), at any depth, with
/// its type.
fn fields(doc: &Value, s: &Value, at: Vec<Seg>, out: &mut Vec<(Vec<Seg>, String)>) {
    if at.len() > 6 {
        return;
    }
    let s = resolve(doc, s);
    match kind(s) {
        "object" => {
            for (k, p) in s["properties"].as_object().into_iter().flatten() {
                let mut path = at.clone();
                path.push(Seg::Key(k.clone()));
                out.push((path.clone(), kind(resolve(doc, p)).to_owned()));
                fields(doc, p, path, out);
            }
        }
        "array" => {
            let mut path = at.clone();
            path.push(Seg::First);
            out.push((path.clone(), kind(resolve(doc, &s["items"])).to_owned()));
            fields(doc, &s["items"], path, out);
        }
        _ => {}
    }
}

pub(crate) fn set(body: &mut Value, path: &[Seg], v: Value) {
    let Some((first, rest)) = path.split_first() else {
        *body = v;
        return;
    };
    let slot = match first {
        Seg::Key(k) => {
            if !body.is_object() {
                *body = json!({});
            }
            body.as_object_mut().unwrap().entry(k.clone()).or_insert(Value::Null)
        }
        Seg::First => {
            if body.as_array().is_none_or(|a| a.is_empty()) {
                *body = json!([null]);
            }
            &mut body.as_array_mut().unwrap()[0]
        }
    };
    set(slot, rest, v);
}

/// The personal values sent, and what must never come back or be logged.
struct Personal {
    /// A valid ID number (last character a digit, so it can be sent as a JSON number).
    id: String,
    /// With a wrong check character.
    id_typo: String,
    /// With an impossible birth date.
    id_bad_date: String,
    phone: String,
    phone_short: String,
}

impl Personal {
    fn new() -> Self {
        let id = (577..).map(id_number).find(|i| !i.ends_with('X')).unwrap();
        let check = id.as_bytes()[17];
        let id_typo = format!("{}{}", &id[..17], if check == b'9' { '0' } else { (check + 1) as char });
        let id_bad_date = format!("{}19991399{}", &id[..6], &id[14..]);
        Self { id, id_typo, id_bad_date, phone: "13912395555".into(), phone_short: "1391239777".into() }
    }

    /// What must not appear: the numbers, and the birth date part of the invalid one.
    fn secrets(&self) -> Vec<String> {
        vec![self.id.clone(), self.id_typo.clone(), self.id_bad_date.clone(), "19991399".into(), self.phone.clone(), self.phone_short.clone()]
    }

    /// Wrong-typed and invalid values carrying the numbers.
    fn values(&self) -> Vec<Value> {
        vec![
            json!(self.id.parse::<u64>().unwrap()),
            json!(self.phone.parse::<u64>().unwrap()),
            serde_json::from_str(&format!("{}.5", self.phone)).unwrap(),
            json!(self.id_typo),
            json!(self.id_bad_date),
            json!(self.phone_short),
            json!([self.id]),
            json!({"x": self.phone}),
        ]
    }
}

fn concrete(template: &str, param: Option<(&str, &str)>) -> String {
    template
        .trim_start_matches("/api/v1")
        .split('/')
        .map(|s| match (s, param) {
            (s, Some((name, v))) if s == format!("{{{name}}}") => v.to_owned(),
            ("{code}", _) => VILLAGE.to_owned(),
            ("{year}", _) => "2025".to_owned(),
            (s, _) if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
            (s, _) => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn no_refusal_repeats_an_id_or_phone_number_in_its_answer_or_the_log() {
    let log = captured_log();
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = Personal::new();
    let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
    // (what was sent, status, answer) of every refusal.
    let mut refusals: Vec<(String, u16, String)> = Vec::new();
    let mut record = |what: String, status: u16, text: String| {
        if (400..500).contains(&status) {
            refusals.push((what, status, text));
        }
    };
    let mut operations_with_bodies = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
            // Path and query parameters.
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                for v in [&p.id, &p.id_typo, &p.phone, &p.phone_short] {
                    let (path, what) = match param["in"].as_str() {
                        Some("path") => (concrete(template, Some((name, v))), format!("{method} {template} path {name}")),
                        Some("query") => (format!("{}?{name}={v}", concrete(template, None)), format!("{method} {template} query {name}")),
                        _ => continue,
                    };
                    let body = (m != Method::GET && m != Method::DELETE).then(|| json!({}));
                    let res = admin.request(m.clone(), &path, body, None).await;
                    let status = res.status().as_u16();
                    record(what, status, res.text().await.unwrap());
                }
            }
            // Every field of a JSON body.
            let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else { continue };
            operations_with_bodies += 1;
            let base = minimal(&doc, schema);
            let mut paths = vec![(vec![], "object".to_owned())];
            fields(&doc, schema, vec![], &mut paths);
            let path = concrete(template, None);
            for (field, field_kind) in &paths {
                // A number is a valid figure, not a wrong type: numbers go only where they are wrong.
                for v in p.values().into_iter().filter(|v| !(v.is_number() && matches!(field_kind.as_str(), "integer" | "number"))) {
                    let mut body = base.clone();
                    set(&mut body, field, v);
                    let res = admin.request(m.clone(), &path, Some(body.clone()), Some("\"1\"")).await;
                    let status = res.status().as_u16();
                    record(format!("{method} {template} {body}"), status, res.text().await.unwrap());
                }
            }
        }
    }
    assert!(operations_with_bodies > 25, "only {operations_with_bodies} operations with a JSON body");

    // Invalid numbers in bodies that are otherwise right, so the domain's own checks answer.
    let mut h = household_body(VILLAGE, &[(1, "head")]);
    for (field, v) in [("id_number", &p.id_typo), ("id_number", &p.id_bad_date), ("phone", &p.phone_short)] {
        h["members"][0][field] = json!(v);
        let res = admin.post("/households", h.clone()).await;
        let status = res.status().as_u16();
        assert_eq!(status, 422);
        record(format!("household with {field} {v}"), status, res.text().await.unwrap());
    }
    // The same person in a second household: the conflict does not name the number either.
    let mut first = household_body(VILLAGE, &[(1, "head")]);
    first["members"][0]["id_number"] = json!(p.id);
    first["members"][0]["phone"] = json!(p.phone);
    assert_eq!(admin.post("/households", first.clone()).await.status(), 201);
    let res = admin.post("/households", first).await;
    let status = res.status().as_u16();
    assert_eq!(status, 409);
    record("the same ID number twice".into(), status, res.text().await.unwrap());
    let res = admin.post("/cadres", json!({"name": "刘帮扶", "work_unit": "农业农村局", "phone": p.phone_short, "id_number": p.id_typo})).await;
    let status = res.status().as_u16();
    assert_eq!(status, 422);
    record("cadre with invalid numbers".into(), status, res.text().await.unwrap());
    // A photo's metadata (multipart, parsed by the handler) with a number where a time belongs.
    let located = crate::photos::located_household(&app, 2).await;
    let meta = serde_json::to_vec(&json!({"kind": "door_with_cadre", "taken_at": p.phone.parse::<u64>().unwrap()})).unwrap();
    let form = reqwest::multipart::Form::new()
        .part("meta", reqwest::multipart::Part::bytes(meta).file_name("meta.json"))
        .part("file", reqwest::multipart::Part::bytes(crate::photos::phone_photo(1, None)).file_name("p.jpg"));
    let res = admin.client.post(format!("{}{located}/photos", admin.base)).bearer_auth(&admin.token).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(status, 422);
    record("photo meta with a number for taken_at".into(), status, res.text().await.unwrap());

    // An Idempotency-Key used again for another body: the refusal names the first request's path,
    // not its query string.
    let key = uuid::Uuid::now_v7().to_string();
    let url = format!("{}/quality/runs?division={VILLAGE}&note=query-value", admin.base);
    for (i, body) in [json!({}), json!({"again": true})].into_iter().enumerate() {
        let res = admin.client.post(&url).bearer_auth(&admin.token).header("Idempotency-Key", &key).json(&body).send().await.unwrap();
        let status = res.status().as_u16();
        assert_eq!(status, if i == 0 { 200 } else { 422 });
        let text = res.text().await.unwrap();
        assert!(!text.contains("query-value"), "{text}");
        record("an Idempotency-Key used again".into(), status, text);
    }

    // The log is live: the INFO line of a cleaning run and the WARN of a replayed refresh token.
    assert!(admin.post(&format!("/quality/runs?division={VILLAGE}"), json!({})).await.status().is_success());
    let tokens: Value = app.login("admin", ADMIN_PASSWORD).await.json().await.unwrap();
    let refresh = json!({"refresh_token": tokens["refresh_token"]});
    for _ in 0..2 {
        app.client.post(app.url("/api/v1/auth/refresh")).json(&refresh).send().await.unwrap();
    }

    assert!(refusals.len() > 500, "only {} refusals", refusals.len());
    assert!(refusals.iter().filter(|r| r.1 == 422).count() > 200, "the wrong values were not refused as invalid");
    let secrets = p.secrets();
    let leaks: Vec<String> = refusals
        .iter()
        .filter_map(|(what, status, text)| secrets.iter().find(|s| text.contains(s.as_str())).map(|s| format!("{what} → {status} repeats {s}: {text}")))
        .collect();
    assert!(leaks.is_empty(), "{} answers repeat a number, e.g.:\n{}", leaks.len(), leaks.iter().take(10).cloned().collect::<Vec<_>>().join("\n"));

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(text.lines().any(|l| l.contains("\"level\":\"INFO\"") && l.contains("quality run")), "no INFO line was captured");
    assert!(text.lines().any(|l| l.contains("\"level\":\"WARN\"") && l.contains("refresh token reused")), "no WARN line was captured");
    let logged: Vec<&str> = text.lines().filter(|l| secrets.iter().any(|s| l.contains(s.as_str()))).collect();
    assert!(logged.is_empty(), "{} log lines contain a number, e.g.:\n{}", logged.len(), logged.iter().take(10).copied().collect::<Vec<_>>().join("\n"));
}
