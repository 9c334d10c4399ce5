//! Every change guarded by `If-Match` is guarded in the `UPDATE` itself: a statement that
//! updates `WHERE version = expected` must look at how many rows it changed (0 → 412). A read of
//! the version before the update is not enough under READ COMMITTED: two requests with the same
//! `If-Match` both pass the read, and without the count the second silently overwrites the first.
//! Read from the source of `src/db/`, so the next repository written is held to it too.

use std::path::Path;

/// The version-guarded updates of `code` that ignore their row count: (line number, line).
fn unchecked(code: &str) -> Vec<(usize, String)> {
    code.lines()
        .enumerate()
        .filter(|(_, l)| l.contains("update(") && l.contains("version.eq(expected)"))
        .filter(|(_, l)| !(l.contains("let n =") || l.contains("== 0")))
        .map(|(i, l)| (i + 1, l.trim().to_owned()))
        .collect()
}

#[test]
fn every_version_guarded_update_checks_how_many_rows_it_changed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db");
    let (mut found, mut failures) = (0, Vec::new());
    for file in crate::layers::rust_files(&src) {
        let code = std::fs::read_to_string(&file).unwrap();
        found += code.lines().filter(|l| l.contains("update(") && l.contains("version.eq(expected)")).count();
        for (n, line) in unchecked(&code) {
            failures.push(format!("{}:{n}: {line}", file.display()));
        }
    }
    assert!(found >= 10, "the checker found only {found} guarded updates: is it still reading src/db?");
    assert!(failures.is_empty(), "updates guarded by If-Match that ignore their row count (answer 412 when it is 0):\n{}", failures.join("\n"));
}

#[test]
fn the_checker_flags_an_update_whose_count_is_dropped() {
    let dropped = "        diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)?;";
    let counted = "        let n = diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)?;";
    let tested = "        if diesel::update(p::table.filter(p::version.eq(expected))).set(&next).execute(c)? == 0 {";
    assert_eq!(unchecked(dropped).len(), 1);
    assert!(unchecked(counted).is_empty() && unchecked(tested).is_empty());
}
