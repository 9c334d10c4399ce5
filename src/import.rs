//! Importing the household spreadsheet (xlsx) in bounded memory: the zip is checked before it
//! is opened (a zip bomb is refused), cells are streamed row by row (calamine's cell reader),
//! each household's rows are validated together (`domain::import`), and valid households are
//! written in transactions of `BATCH` households. Re-importing a file changes nothing: a
//! household whose number exists is left alone.

use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::Crypto;
use crate::db::DbConnection;
use crate::db::repo::audit::Actor;
pub use crate::db::repo::households::Imported;
use crate::db::repo::households::import_batch;
use crate::domain::household::NewHousehold;
use crate::domain::import::{Columns, Row, RowError, columns, household, value};
use crate::domain::Scope;
use crate::error::ApiError;

/// Households per transaction.
pub const BATCH: usize = 500;
/// Limits of the unpacked workbook.
const MAX_UNPACKED: u64 = 1 << 30;
const MAX_RATIO: u64 = 200;
const MAX_ENTRIES: usize = 10_000;
/// Errors kept in a report (the counts stay exact).
const MAX_ERRORS: usize = 100_000;

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Report {
    /// Data rows read (members).
    pub rows: u64,
    pub households_imported: u64,
    /// Numbers that exist already: left unchanged.
    pub households_existing: u64,
    pub households_refused: u64,
    /// Columns this import does not know (not read).
    pub unknown_columns: Vec<String>,
    /// Columns of the national export it does not store.
    pub ignored_columns: Vec<String>,
    pub errors: Vec<RowError>,
}

fn unsupported(msg: impl Into<String>) -> ApiError {
    ApiError::invalid("file", "not_a_spreadsheet", msg)
}

/// Refuses what is not an xlsx (zip) or unpacks to too much, before any parsing.
pub fn check_zip<R: Read + Seek>(reader: R) -> Result<(), ApiError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|_| unsupported("not an xlsx workbook (Excel 2007 or later): save the sheet as .xlsx"))?;
    if zip.len() > MAX_ENTRIES {
        return Err(unsupported("too many parts for a workbook"));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|_| unsupported("a damaged workbook"))?;
        total = total.saturating_add(f.size());
        if f.size() > 1 << 20 && f.size() / f.compressed_size().max(1) > MAX_RATIO {
            return Err(unsupported("a part of the workbook unpacks to far more than it weighs (a zip bomb?)"));
        }
    }
    if total > MAX_UNPACKED {
        return Err(unsupported(format!("the workbook unpacks to {} MB, more than {} MB", total >> 20, MAX_UNPACKED >> 20)));
    }
    Ok(())
}

fn text(v: &DataRef) -> Option<String> {
    let s = match v {
        DataRef::Empty => return None,
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        // Excel's serial date: days since 1899-12-30.
        DataRef::DateTime(d) => (NaiveDate::from_ymd_opt(1899, 12, 30)? + chrono::Duration::days(d.as_f64() as i64)).to_string(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.chars().take(10).collect(),
        DataRef::Error(_) => return None,
    };
    Some(s).filter(|s| !s.is_empty())
}

/// Where valid households go, a batch at a time (the database, or nothing when only checking).
pub type Store<'a> = dyn FnMut(&[NewHousehold]) -> Result<Vec<Imported>, ApiError> + 'a;

struct Importer<'a, 'b> {
    store: &'a mut Store<'b>,
    today: NaiveDate,
    cols: Columns,
    report: Report,
    group: Vec<Row>,
    seen_numbers: std::collections::HashSet<String>,
    pending: Vec<(NewHousehold, Vec<u32>)>,
}

impl Importer<'_, '_> {
    fn error(&mut self, e: RowError) {
        if self.report.errors.len() < MAX_ERRORS {
            self.report.errors.push(e);
        }
    }

    fn row(&mut self, row: Row) -> Result<(), ApiError> {
        if row.values.iter().all(Option::is_none) {
            return Ok(());
        }
        self.report.rows += 1;
        let number = value(&self.cols, &row.values, "户编号").map(str::to_owned);
        let current = self.group.first().and_then(|g| value(&self.cols, &g.values, "户编号")).map(str::to_owned);
        if !self.group.is_empty() && number != current {
            self.close_group()?;
        }
        self.group.push(row);
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), ApiError> {
        let rows = std::mem::take(&mut self.group);
        let Some(first) = rows.first() else { return Ok(()) };
        let number = value(&self.cols, &first.values, "户编号").unwrap_or_default().to_owned();
        if !number.is_empty() && !self.seen_numbers.insert(number.clone()) {
            self.report.households_refused += 1;
            self.error(RowError { row: first.row, column: "户编号".into(), problem: format!("the rows of household {number} must be together (it appeared earlier)") });
            return Ok(());
        }
        match household(&self.cols, &rows, self.today) {
            Ok(h) => {
                self.pending.push((h, rows.iter().map(|r| r.row).collect()));
                if self.pending.len() >= BATCH {
                    self.flush()?;
                }
            }
            Err(errors) => {
                self.report.households_refused += 1;
                for e in errors {
                    self.error(e);
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let batch: Vec<NewHousehold> = pending.iter().map(|(h, _)| h.clone()).collect();
        let outcomes = (self.store)(&batch)?;
        for ((_, rows), outcome) in pending.iter().zip(outcomes) {
            match outcome {
                Imported::New => self.report.households_imported += 1,
                Imported::Existing => self.report.households_existing += 1,
                Imported::Refused(member, column, problem) => {
                    self.report.households_refused += 1;
                    let row = member.and_then(|m| rows.get(m)).or(rows.first()).copied().unwrap_or(0);
                    self.error(RowError { row, column: column.into(), problem });
                }
            }
        }
        Ok(())
    }
}

/// Rows of a sheet from the streaming cell reader: (0-based row, values by column).
struct Rows<'a, RS: Read + Seek> {
    cells: calamine::XlsxCellReader<'a, RS>,
    /// The first cell of the next row, read while finishing the previous one.
    carry: Option<(u32, u32, Option<String>)>,
    done: bool,
}

impl<RS: Read + Seek> Rows<'_, RS> {
    fn next_cell(&mut self) -> Result<Option<(u32, u32, Option<String>)>, ApiError> {
        if let Some(c) = self.carry.take() {
            return Ok(Some(c));
        }
        if self.done {
            return Ok(None);
        }
        match self.cells.next_cell().map_err(|e| unsupported(format!("the sheet cannot be read: {e}")))? {
            Some(cell) => {
                let (r, c) = cell.get_position();
                Ok(Some((r, c, text(cell.get_value()))))
            }
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }

    fn next_row(&mut self) -> Result<Option<(u32, Vec<Option<String>>)>, ApiError> {
        let Some((row, col, v)) = self.next_cell()? else { return Ok(None) };
        let mut values = Vec::new();
        let mut put = |col: u32, v: Option<String>| {
            let col = col as usize;
            if col < 256 {
                if values.len() <= col {
                    values.resize(col + 1, None);
                }
                values[col] = v;
            }
        };
        put(col, v);
        while let Some((r, c, v)) = self.next_cell()? {
            if r != row {
                self.carry = Some((r, c, v));
                break;
            }
            put(c, v);
        }
        Ok(Some((row, values)))
    }
}

/// Imports the first sheet of an xlsx file into the caller's scope.
pub fn import_file(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, path: &Path, today: NaiveDate) -> Result<Report, ApiError> {
    let open = || std::fs::File::open(path).map(BufReader::new).map_err(|e| ApiError::Internal(e.into()));
    read_workbook(open, today, &mut |batch: &[NewHousehold]| Ok(import_batch(c, scope, crypto, actor, batch)?))
}

/// Reads a workbook (opened twice by `open`: once to check the zip, once to parse it) and hands
/// each batch of valid households to `store`; the report has every refused row. No I/O of its own
/// beyond `open`, so the fuzz target `import_rows` drives exactly this.
pub fn read_workbook<R: Read + Seek>(open: impl Fn() -> Result<R, ApiError>, today: NaiveDate, store: &mut Store<'_>) -> Result<Report, ApiError> {
    check_zip(open()?)?;
    let mut wb: Xlsx<_> = Xlsx::new(open()?).map_err(|e| unsupported(format!("not a readable workbook: {e}")))?;
    let sheet = wb.sheet_names().first().cloned().ok_or_else(|| unsupported("the workbook has no sheet"))?;
    let cells = wb.worksheet_cells_reader(&sheet).map_err(|e| unsupported(format!("the first sheet cannot be read: {e}")))?;
    let mut rows = Rows { cells, carry: None, done: false };
    let (_, header) = rows.next_row()?.ok_or_else(|| unsupported("the first sheet is empty"))?;
    let headers: Vec<String> = header.into_iter().map(Option::unwrap_or_default).collect();
    let cols = columns(&headers).map_err(|errors| {
        let missing: Vec<String> = errors.iter().map(|e| e.column.clone()).collect();
        ApiError::invalid("file", "missing_columns", format!("required columns missing: {} (nothing was imported)", missing.join(", ")))
    })?;
    let report = Report { unknown_columns: cols.unknown.clone(), ignored_columns: cols.ignored.clone(), ..Default::default() };
    let mut imp = Importer { store, today, cols, report, group: Vec::new(), seen_numbers: Default::default(), pending: Vec::new() };
    while let Some((r, values)) = rows.next_row()? {
        imp.row(Row { row: r + 1, values })?;
    }
    imp.close_group()?;
    imp.flush()?;
    Ok(imp.report)
}

/// The row-level report as a workbook (row, column, problem).
pub fn report_xlsx(report: &Report) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows: Vec<Vec<String>> = report.errors.iter().map(|e| vec![e.row.to_string(), e.column.clone(), e.problem.clone()]).collect();
    crate::xlsx::table("错误报告", &["行", "列", "问题"], &rows)
}
