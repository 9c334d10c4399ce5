//! Memory before login: bursts of parallel logins (unknown usernames and wrong passwords) must
//! not grow the server. Runs the real `fangpin serve` binary as its own process so its peak
//! resident memory (`VmHWM`) can be read, on the test's backend.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::helpers::*;

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((url, schema)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(url) {
                let _ = c.batch_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                ));
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn serve(envs: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fangpin"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FANGPIN_DATA_DIR", dir.path())
        .env("FANGPIN_BIND", format!("127.0.0.1:{port}"))
        .env("FANGPIN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("FANGPIN_STORAGE", "memory")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut pg = None;
    if let Ok(url) = std::env::var("FANGPIN_TEST_DATABASE_URL") {
        if url.starts_with("postgres") {
            let schema = format!("test_{}", uuid::Uuid::now_v7().simple());
            PgConnection::establish(&url).unwrap().batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            cmd.env("DATABASE_URL", format!("{url}{sep}options=-c%20search_path%3D{schema}&application_name={schema}"));
            pg = Some((url, schema));
        }
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("fangpin serve starts");
    let server = Server { child, base: format!("http://127.0.0.1:{port}"), _dir: dir, pg };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fangpin serve did not become ready");
}

/// A field of `/proc/<pid>/status` in MiB (`VmRSS`, `VmHWM` the peak, `RssAnon` the memory
/// the process allocated, without the pages of the binary mapped from disk).
fn mib(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) / 1024
}

#[actix_web::test]
async fn bursts_of_parallel_logins_leave_the_server_small() {
    // Address throttling off, so every login reaches the password check.
    let server = serve(&[("FANGPIN_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000"), ("FANGPIN_LOGIN_MAX_FAILURES_PER_USER", "1000000")]).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let pid = server.child.id();
    let (before, before_anon) = (mib(pid, "VmHWM:"), mib(pid, "RssAnon:"));
    // Allocated memory is sampled while the bursts run (the kernel keeps no peak of it).
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(mib(pid, "RssAnon:"));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for burst in 0..3 {
        let logins = (0..200).map(|i| {
            let client = client.clone();
            let url = format!("{}/api/v1/auth/login", server.base);
            // Unknown usernames cost a full check against a dummy hash, like known ones.
            let username = format!("nobody-{burst}-{i}");
            async move { client.post(url).json(&json!({"username": username, "password": "Wrong-pass-1"})).send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
        });
        for status in futures_util::future::join_all(logins).await {
            *answered.entry(status).or_default() += 1;
        }
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak_anon = sampler.join().unwrap();
    let (peak, after) = (mib(pid, "VmHWM:"), mib(pid, "VmRSS:"));
    // Each login is refused: checked (401) or, when the password workers are saturated
    // beyond the queue timeout, 503 — never a 200, never a dropped connection.
    assert!(answered.keys().all(|s| *s == 401 || *s == 503), "{answered:?}");
    assert!(answered.get(&401).copied().unwrap_or(0) >= 20, "most logins are checked: {answered:?}");
    // The debug binary maps ~50 MiB of its own code (a release binary far less): the bound is
    // on what the process allocates, and on how much the peak grew.
    let report = format!("allocated {before_anon} → peak {peak_anon} MiB; RSS peak {before} → {peak} MiB, {after} MiB after; {answered:?}");
    // At rest the server holds its caches and pools, not the API document each HTTP worker
    // generated while building its routes (105 MiB before that was handed back, 41 after).
    assert!(before_anon < 80, "{report}");
    assert!(peak_anon < 150, "{report}");
    assert!(peak.saturating_sub(before) < 64, "{report}");
    eprintln!("600 parallel logins: {report}");
    // The server still answers a right password.
    let res = client.post(format!("{}/api/v1/auth/login", server.base)).json(&json!({"username": "admin", "password": ADMIN_PASSWORD})).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
