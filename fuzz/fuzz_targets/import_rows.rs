//! The household spreadsheet import without the database: the zip check, calamine's streamed
//! cells, the header mapping and each household's rows. Never panics; every household is either
//! handed to the store or reported, and rows are counted once.
#![no_main]
use std::io::Cursor;

use chrono::NaiveDate;
use fangpin::import::{ImportItem, Imported, read_workbook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut stored = 0u64;
    let mut store = |batch: &[ImportItem]| {
        stored += batch.len() as u64;
        Ok(batch.iter().map(|_| Imported::New).collect())
    };
    if let Ok(report) = read_workbook(|| Ok(Cursor::new(data)), today, &mut store) {
        assert_eq!(report.households_imported, stored);
        assert!(report.households_imported + report.households_refused <= report.rows);
    }
});
