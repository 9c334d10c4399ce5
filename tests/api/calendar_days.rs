//! "Today" is the service's calendar day (Beijing time by default, `FANGPIN_TIMEZONE`), on the
//! server and in both clients: the UTC day is yesterday's until 08:00, so a form limited to the
//! UTC day refuses a birth recorded at 01:00 as "in the future" (the phone app did, found by its
//! test running after 16:00 UTC), and a server check on the UTC day does the same. Read from the
//! sources of `src/` and of the console and phone app, so the next one is caught too.

use std::path::{Path, PathBuf};

/// Idioms that take the UTC calendar day (or a fixed offset) for today.
const UTC_DAY: [&str; 6] = [
    "toISOString().slice(0, 10)",
    "toISOString().substring(0, 10)",
    "toISOString().split(\"T\")",
    "3600e3",
    "Utc::now().date_naive()",
    "Utc::today()",
];

/// The lines of `code` that take the UTC day: (line number, line).
fn utc_days(code: &str) -> Vec<(usize, String)> {
    code.lines().enumerate().filter(|(_, l)| UTC_DAY.iter().any(|p| l.contains(p))).map(|(i, l)| (i + 1, l.trim().to_owned())).collect()
}

fn scripts(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "js")).collect();
    out.sort();
    out
}

#[test]
fn today_is_the_service_day_on_the_server_and_in_both_clients() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = crate::layers::rust_files(&root.join("src"));
    files.extend(scripts(&root.join("assets/app")));
    files.extend(scripts(&root.join("assets/console")));
    assert!(files.len() > 100, "only {} files read: are src/ and assets/ still where they were?", files.len());
    let mut failures = Vec::new();
    for file in files {
        let code = std::fs::read_to_string(&file).unwrap();
        // Unit tests may pin a day as they like.
        let code = code.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in utc_days(code) {
            failures.push(format!("{}:{n}: {line}", file.display()));
        }
    }
    assert!(failures.is_empty(), "today taken as the UTC day (use AppState::today / serviceDay):\n{}", failures.join("\n"));
}

#[test]
fn the_checker_flags_the_utc_day() {
    assert_eq!(utc_days("  const today = new Date().toISOString().slice(0, 10);").len(), 1);
    assert_eq!(utc_days("let d = chrono::Utc::now().date_naive();").len(), 1);
    assert!(utc_days("  const today = serviceDay();\nlet d = state.today();").is_empty());
}
