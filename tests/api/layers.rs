//! The layering holds (DESIGN.md, "Layers"): `domain/`, `geo/` and `photos/` are the bottom and
//! import nothing above them and no framework; `geo/` does not import `domain/`; `db/` and
//! `storage/` import neither `api/`, `auth/`, `services/`, `state` nor `ApiError` (`error`);
//! `services/` reaches down only (`db`, `storage`, `domain`, `geo`, `photos`, `crypto`, `state`,
//! `error`, the thread pools of `workers`, and the spreadsheet importer `import` and exporter `export` that it runs), never `api/` or `auth/`: a
//! service takes a `Caller` and the `Scope` of `domain/`, not the extractor.
//!
//! Read from the source, not from `use` lines alone: every path through `crate::`, `super::` or
//! `self::` counts, in `use` declarations, expressions and types alike (a fully qualified
//! `crate::error::ApiError::NotFound` in a function body is as much an import as a `use`).
//! Comments and string literals are left out, so a doc comment may name what it must not use.

use std::path::{Path, PathBuf};

/// What the modules under a folder of `src/` may reach inside the crate.
enum Allowed {
    /// Only these top-level modules of the crate (the folder's own among them).
    Only(&'static [&'static str]),
    /// Anything but these.
    Not(&'static [&'static str]),
}

/// Everything above the data layer (and the binary's glue), which `db/` and `storage/` must not
/// reach.
const ABOVE_DATA: &[&str] = &["api", "auth", "services", "state", "error", "startup", "maintenance", "import", "export", "demo", "telemetry", "main"];

/// What the use cases may reach: the layers below them and what sits beside them for their use.
const BELOW_SERVICES: &[&str] = &["services", "db", "storage", "domain", "geo", "photos", "crypto", "state", "error", "import", "export", "workers"];

const RULES: &[(&str, Allowed)] = &[
    ("geo", Allowed::Only(&["geo"])),
    ("photos", Allowed::Only(&["photos", "geo"])),
    ("domain", Allowed::Only(&["domain", "geo", "photos"])),
    ("db", Allowed::Not(ABOVE_DATA)),
    ("storage", Allowed::Not(ABOVE_DATA)),
    ("services", Allowed::Only(BELOW_SERVICES)),
];

/// Frameworks and I/O crates the bottom layers (pure rules, coordinates, image bytes) must not
/// use.
const FRAMEWORKS: &[&str] = &["actix_web", "actix_rt", "actix_multipart", "actix_web_prom", "diesel", "diesel_migrations", "object_store", "tokio", "reqwest", "figment", "tracing_actix_web", "utoipa_actix_web"];
const BOTTOM: &[&str] = &["geo", "photos", "domain"];

#[test]
fn no_import_runs_back_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (folder, allowed) in RULES {
        let files = rust_files(&src.join(folder));
        assert!(!files.is_empty(), "src/{folder}/ has no Rust file: update the rules");
        for file in files {
            violations.extend(check_file(&src, &file, folder, allowed));
        }
    }
    assert!(violations.is_empty(), "imports running against the layers:\n{}", violations.join("\n"));
}

/// The data layer speaks in its own words, its comments included: a repository's documentation
/// that explains itself through the API's error type or the auth module has already taken the
/// shape of the layer above (a reader follows the comment, then the import follows the reader).
#[test]
fn the_data_layer_does_not_name_the_layers_above_even_in_comments() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let words = ["ApiError", "crate::api", "crate::auth", "crate::services", "AuthUser"];
    let mut found = Vec::new();
    for folder in ["db", "storage"] {
        for file in rust_files(&src.join(folder)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                if let Some(w) = words.iter().find(|w| line.contains(*w)) {
                    found.push(format!("{}:{}: names `{w}`", file.strip_prefix(&src).unwrap().display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "the data layer names a layer above it:\n{}", found.join("\n"));
}

/// The checker itself finds what it must find (a check that cannot fail proves nothing).
#[test]
fn the_checker_sees_every_kind_of_path() {
    let geo = |code: &str| violations_in("geo/mod.rs", code, "geo", &RULES[0].1);
    let crs = |code: &str| violations_in("geo/crs.rs", code, "geo", &RULES[0].1);
    let db = |code: &str| violations_in("db/repo/x.rs", code, "db", &RULES[3].1);
    assert_eq!(geo("use crate::domain::validation::DomainError;").len(), 1);
    assert_eq!(geo("use crate::{geo::LatLon, domain::FieldErrors};").len(), 1);
    assert_eq!(geo("fn f() { let _ = crate::db::now(); }").len(), 1);
    assert_eq!(geo("use super::domain::Level;").len(), 1, "super:: out of geo/mod.rs is the crate root");
    assert_eq!(geo("use diesel::prelude::*;").len(), 1);
    assert_eq!(geo("fn f() -> Result<(), ::tokio::io::Error> { todo!() }").len(), 1);
    assert!(crs("use crate::geo::china::in_mainland; use super::LatLon as L; use self::inner::X;").is_empty());
    assert_eq!(crs("use super::super::domain::Level;").len(), 1);
    assert!(geo("mod tests { use super::*; use super::super::geo::distance_m; }").is_empty());
    assert!(geo("// crate::domain::DomainError\n/// see `crate::api`\nconst S: &str = \"crate::db\";").is_empty());
    assert!(geo("fn f<'a>(x: &'a str) -> char { let _ = '\"'; 'x' }").is_empty());
    assert_eq!(db("fn f() -> Result<(), crate::error::ApiError> { todo!() }").len(), 1);
    assert_eq!(db("use crate::auth::Scope;").len(), 1);
    assert_eq!(db("use super::super::super::state::AppState;").len(), 1, "db/repo/x.rs: three supers reach the crate root");
    assert_eq!(db("use crate::{db::DbError, services::quality};").len(), 1);
    assert!(db("use crate::domain::Scope; use super::super::DbError; use crate::crypto::Crypto;").is_empty());
    let service = |code: &str| violations_in("services/quality.rs", code, "services", &RULES[5].1);
    assert_eq!(service("use crate::api::caller::Caller;").len(), 1);
    assert_eq!(service("use crate::auth::Scope;").len(), 1, "the Scope of services is domain's");
    assert_eq!(service("fn f(v: crate::api::v1::households::HouseholdView) {}").len(), 1);
    assert_eq!(service("use super::super::api::etag;").len(), 1, "services/quality.rs: two supers reach the crate root");
    assert_eq!(service("use crate::{db::repo::quality, startup::run};").len(), 1);
    assert!(
        service("use super::{Caller, Page}; use crate::db::{DbError, write_tx}; use crate::domain::Scope; use crate::error::ApiError; use crate::state::AppState; use crate::storage::keys; use crate::import::Report;")
            .is_empty()
    );
}

fn violations_in(file: &str, code: &str, folder: &str, allowed: &Allowed) -> Vec<String> {
    let module = module_path(Path::new(file));
    let mut found: Vec<String> = crate_paths(&strip(code), &module)
        .into_iter()
        .filter_map(|p| refusal(&p, folder, allowed).map(|why| format!("src/{file}: {why}")))
        .collect();
    found.dedup();
    found
}

fn check_file(src: &Path, file: &Path, folder: &str, allowed: &Allowed) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let code = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    violations_in(&rel.to_string_lossy(), &code, folder, allowed)
}

/// Why a path may not be used from `folder`, if it may not.
fn refusal(path: &Reached, folder: &str, allowed: &Allowed) -> Option<String> {
    match path {
        Reached::Crate(top) => {
            let ok = match allowed {
                Allowed::Only(list) => list.contains(&top.as_str()),
                Allowed::Not(list) => !list.contains(&top.as_str()),
            };
            (!ok).then(|| format!("{folder}/ reaches crate::{top}"))
        }
        Reached::External(name) => {
            (BOTTOM.contains(&folder) && FRAMEWORKS.contains(&name.as_str())).then(|| format!("{folder}/ uses the framework {name}"))
        }
    }
}

pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The module path of a file relative to `src/`: `domain/quality/mod.rs` → `[domain, quality]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The source without comments, string and character literals (each replaced by a space), so
/// only code is searched.
fn strip(code: &str) -> String {
    let c: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied().unwrap_or('\0');
        if at(0) == '/' && at(1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(0) == '/' && at(1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if at(0) == 'r' && (at(1) == '"' || at(1) == '#') && !ident_char(prev(&c, i)) {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while j < c.len() && !c[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push(' ');
        } else if at(0) == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if at(0) == '\'' && (at(1) == '\\' || at(2) == '\'') {
            // A character literal ('x', '\n', '\''), not a lifetime ('a).
            i += if at(1) == '\\' { 2 } else { 1 };
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn prev(c: &[char], i: usize) -> char {
    if i == 0 { ' ' } else { c[i - 1] }
}

fn ident_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// What a path reaches: a top-level module of this crate, or an external crate.
#[derive(Debug, PartialEq)]
enum Reached {
    Crate(String),
    External(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Other(char),
}

fn tokens(code: &str) -> Vec<Tok> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ident_char(ch) {
            let start = i;
            while i < c.len() && ident_char(c[i]) {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
            continue;
        }
        match ch {
            ':' if c.get(i + 1) == Some(&':') => {
                out.push(Tok::Colons);
                i += 2;
                continue;
            }
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            ',' => out.push(Tok::Comma),
            c if c.is_whitespace() => {}
            c => out.push(Tok::Other(c)),
        }
        i += 1;
    }
    out
}

/// Every crate-relative or external path in `code` (comments and literals stripped), with
/// `super::` and `self::` resolved against the file's module and the inline modules around them.
fn crate_paths(code: &str, file_module: &[String]) -> Vec<Reached> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) open a module one level down until their brace closes.
    let mut module: Vec<String> = file_module.to_vec();
    let mut inline: Vec<usize> = Vec::new(); // brace depth at which each inline module opened
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (toks.get(i + 1), toks.get(i + 2)) {
                    module.push(name.clone());
                    depth += 1;
                    inline.push(depth);
                    i += 3;
                    continue;
                }
            }
            Tok::Open => depth += 1,
            Tok::Close => {
                if inline.last() == Some(&depth) {
                    inline.pop();
                    module.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let preceded_by_colons = i > 0 && toks[i - 1] == Tok::Colons;
        if let (Tok::Ident(first), Some(Tok::Colons)) = (&toks[i], toks.get(i + 1)) {
            if !preceded_by_colons {
                let (base, next) = match first.as_str() {
                    "crate" => (Some(Vec::new()), i + 2),
                    "self" => (Some(module.clone()), i + 2),
                    "super" => {
                        let mut m = module.clone();
                        let mut j = i;
                        while toks.get(j) == Some(&Tok::Ident("super".into())) && toks.get(j + 1) == Some(&Tok::Colons) {
                            m.pop();
                            j += 2;
                        }
                        (Some(m), j)
                    }
                    _ => (None, i + 2),
                };
                match &base {
                    // Inside the crate's tree: the top module is already known.
                    Some(b) if !b.is_empty() => out.push(Reached::Crate(b[0].clone())),
                    Some(_) => out.extend(heads(&toks, next).into_iter().map(Reached::Crate)),
                    None if FRAMEWORKS.contains(&first.as_str()) => out.push(Reached::External(first.clone())),
                    None => {}
                }
                if base.is_some() {
                    i = next;
                    continue;
                }
            }
        }
        // `::tokio::…` (an absolute path to an external crate).
        if toks[i] == Tok::Colons && !matches!(toks.get(i.wrapping_sub(1)), Some(Tok::Ident(_)) | Some(Tok::Other('>'))) {
            if let Some(Tok::Ident(name)) = toks.get(i + 1) {
                out.push(Reached::External(name.clone()));
            }
        }
        i += 1;
    }
    out
}

/// The first segment of each path at `at`: one, or each item of a `{ … }` group.
fn heads(toks: &[Tok], at: usize) -> Vec<String> {
    match toks.get(at) {
        Some(Tok::Ident(name)) => vec![name.clone()],
        Some(Tok::Open) => {
            let mut out = Vec::new();
            let mut depth = 0;
            let mut expect_item = true;
            for t in &toks[at + 1..] {
                match t {
                    Tok::Open => depth += 1,
                    Tok::Close if depth == 0 => break,
                    Tok::Close => depth -= 1,
                    Tok::Comma if depth == 0 => {
                        expect_item = true;
                        continue;
                    }
                    Tok::Ident(name) if depth == 0 && expect_item => out.push(name.clone()),
                    _ => {}
                }
                expect_item = false;
            }
            out
        }
        _ => Vec::new(),
    }
}
