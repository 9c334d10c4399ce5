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
pub use crate::db::repo::imports::Imported;
use crate::db::repo::imports::import_batch;
pub use crate::domain::import::ImportItem;
use std::collections::HashSet;

use crate::domain::household::NewHousehold;
use crate::domain::import::{Columns, MemberExtras, Row, RowError, columns, household, value};
use crate::domain::import_year::{self, YEAR, YEAR_SHEET};
use crate::domain::yearly::{Listed, StatYear, YearRecord, check_members};
use crate::domain::Scope;
use crate::error::ApiError;

/// Households per transaction.
pub const BATCH: usize = 500;
/// Limits of the unpacked workbook.
/// A county's own export of 300 000 households unpacks to about 1.5 GB of sheet XML (read as
/// a stream, never whole): room for a county of a million households.
const MAX_UNPACKED: u64 = 6 << 30;
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
        // An Excel serial date; a cell holding an absurd number is no date (never a panic).
        DataRef::DateTime(d) => NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::try_days(d.as_f64() as i64)?)?.to_string(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.chars().take(10).collect(),
        DataRef::Error(_) => return None,
    };
    // A cell an export neutralised (`'` before a formula character) reads back as written.
    let s = crate::xlsx::unquote(&s).to_owned();
    Some(s).filter(|s| !s.is_empty())
}

/// Where valid households go, a batch at a time (the database, or nothing when only checking).
pub type Store<'a> = dyn FnMut(&[ImportItem]) -> Result<Vec<Imported>, ApiError> + 'a;

/// The 年度信息 sheet read beside the members' sheet: its rows follow the same order of
/// household numbers (as the export writes them), so both are read in one pass.
trait YearRows {
    /// The rows of household `number`, their cells in the order of `YEAR`; rows of numbers
    /// passed over (no such household before it) are refused into `errors`.
    fn take(&mut self, number: &str, errors: &mut Vec<RowError>) -> Result<Vec<Row>, ApiError>;
    /// Rows left after the last household.
    fn rest(&mut self, errors: &mut Vec<RowError>) -> Result<(), ApiError>;
}

/// No 年度信息 sheet.
struct NoYears;

impl YearRows for NoYears {
    fn take(&mut self, _: &str, _: &mut Vec<RowError>) -> Result<Vec<Row>, ApiError> {
        Ok(Vec::new())
    }
    fn rest(&mut self, _: &mut Vec<RowError>) -> Result<(), ApiError> {
        Ok(())
    }
}

struct YearSheet<'a, RS: Read + Seek> {
    rows: Rows<'a, RS>,
    /// Sheet column of each of `YEAR`.
    index: Vec<usize>,
    next: Option<Row>,
}

impl<RS: Read + Seek> YearSheet<'_, RS> {
    fn cell<'r>(&self, r: &'r Row, column: &str) -> Option<&'r str> {
        let k = YEAR.iter().position(|c| *c == column)?;
        r.values.get(self.index[k]).and_then(|v| v.as_deref())
    }

    fn advance(&mut self) -> Result<(), ApiError> {
        self.next = None;
        while let Some((r, values)) = self.rows.next_row()? {
            if values.iter().any(Option::is_some) {
                self.next = Some(Row { row: r + 1, values });
                break;
            }
        }
        Ok(())
    }

    fn orphan(&self, r: &Row) -> RowError {
        RowError { row: r.row, column: format!("{YEAR_SHEET}!户编号"), problem: "no household of this number in the members' sheet before this row (the rows follow its order of numbers)".into() }
    }
}

impl<RS: Read + Seek> YearRows for YearSheet<'_, RS> {
    fn take(&mut self, number: &str, errors: &mut Vec<RowError>) -> Result<Vec<Row>, ApiError> {
        let mut out = Vec::new();
        while let Some(r) = self.next.take() {
            let n = self.cell(&r, "户编号").unwrap_or_default().to_owned();
            if n.as_str() > number {
                self.next = Some(r);
                break;
            }
            if n == number {
                // Its cells in the order of `YEAR`.
                let values = self.index.iter().map(|i| r.values.get(*i).cloned().flatten()).collect();
                out.push(Row { row: r.row, values });
            } else {
                errors.push(self.orphan(&r));
            }
            self.advance()?;
        }
        Ok(out)
    }

    fn rest(&mut self, errors: &mut Vec<RowError>) -> Result<(), ApiError> {
        while let Some(r) = self.next.take() {
            errors.push(self.orphan(&r));
            self.advance()?;
        }
        Ok(())
    }
}

struct Importer<'a, 'b> {
    store: &'a mut Store<'b>,
    years: &'a mut dyn YearRows,
    today: NaiveDate,
    cols: Columns,
    report: Report,
    group: Vec<Row>,
    seen_numbers: std::collections::HashSet<String>,
    /// Numbers whose rows are in several places of the members' sheet (found by a first pass).
    split: HashSet<String>,
    /// Numbers the 年度信息 sheet has rows for.
    with_years: HashSet<String>,
    pending: Vec<(ImportItem, Vec<u32>)>,
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
        if self.split.contains(&number) {
            // Every block of a household whose rows are apart is refused (none is written).
            if self.seen_numbers.insert(number.clone()) {
                self.report.households_refused += 1;
            }
            self.error(RowError { row: first.row, column: "户编号".into(), problem: format!("the rows of household {number} must be together: they are in several places of the sheet (none imported)") });
            self.years.take(&number, &mut Vec::new())?;
            return Ok(());
        }
        let mut errors = Vec::new();
        let year_rows = self.years.take(&number, &mut errors)?;
        for e in errors {
            self.error(e);
        }
        let parsed = household(&self.cols, &rows, self.today).and_then(|(h, extras)| {
            let left = extras.left.clone();
            self.years_of(&number, &rows, &year_rows, &h, extras).map(|years| ImportItem { household: h, years, left })
        });
        match parsed {
            Ok(item) => {
                self.pending.push((item, rows.iter().map(|r| r.row).collect()));
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

    /// The household's yearly records: each 年度信息 row with the members' indicators of its
    /// year; a member's year without its household's row is refused.
    fn years_of(&self, number: &str, rows: &[Row], year_rows: &[Row], household: &NewHousehold, extras: MemberExtras) -> Result<Vec<(i32, YearRecord)>, Vec<RowError>> {
        let (member_years, left) = (extras.years, extras.left);
        let mut errors = Vec::new();
        if year_rows.is_empty() && self.with_years.contains(number) {
            let problem = format!("its {YEAR_SHEET} rows are out of the order of numbers of the members' sheet (the rows of both sheets follow one order)");
            return Err(vec![RowError { row: rows[0].row, column: format!("{YEAR_SHEET}!户编号"), problem }]);
        }
        let mut years: Vec<(i32, YearRecord)> = Vec::new();
        // Years whose row was refused: their members' years are not refused a second time.
        let mut refused: Vec<i32> = Vec::new();
        for r in year_rows {
            let get = |c: &str| YEAR.iter().position(|k| *k == c).and_then(|k| r.values.get(k).cloned().flatten());
            if let Some(y) = get("年度").and_then(|v| v.trim().trim_end_matches('年').parse().ok()) {
                refused.push(y);
            }
            match import_year::year_row(&get) {
                Ok((year, _)) if StatYear::parse(year, self.today).is_err() || years.iter().any(|(y, _)| *y == year) => {
                    errors.push(RowError { row: r.row, column: format!("{YEAR_SHEET}!年度"), problem: format!("{year}: a statistical year from 2014 to this year, once per household") });
                }
                Ok(y) => {
                    refused.retain(|r| *r != y.0);
                    years.push(y);
                }
                Err(es) => errors.extend(es.into_iter().map(|(c, e)| RowError { row: r.row, column: format!("{YEAR_SHEET}!{c}"), problem: e.message })),
            }
        }
        for (i, (row, my)) in rows.iter().zip(member_years).enumerate() {
            let Some((year, mut m)) = my else { continue };
            match years.iter_mut().find(|(y, _)| *y == year) {
                Some((_, record)) => {
                    m.member_id = i.to_string();
                    record.members.push(m);
                }
                None if refused.contains(&year) => {}
                None => errors.push(RowError { row: row.row, column: "年度".into(), problem: format!("no {YEAR_SHEET} row of this household for {year}") }),
            }
        }
        // The API's rule of who a record of the year may describe (one who left up to the
        // statistical year of the leave, one who joined from that of the joining): members by index.
        let listed: Vec<Listed> = household
            .members
            .iter()
            .zip(&left)
            .enumerate()
            .map(|(i, (m, l))| Listed { id: i.to_string(), removed: l.is_some(), left_on: l.map(|l| l.on), joined_on: m.joined.map(|j| j.on) })
            .collect();
        for (year, record) in &years {
            let ids: Vec<Option<&str>> = record.members.iter().map(|m| Some(m.member_id.as_str())).collect();
            for (k, e) in check_members(&ids, &listed, *year) {
                let row = record.members[k].member_id.parse::<usize>().ok().and_then(|i| rows.get(i)).map_or(rows[0].row, |r| r.row);
                errors.push(RowError { row, column: "年度".into(), problem: e.message });
            }
        }
        if errors.is_empty() { Ok(years) } else { Err(errors) }
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let batch: Vec<ImportItem> = pending.iter().map(|(h, _)| h.clone()).collect();
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

/// Imports an xlsx file into the caller's scope: its 家庭成员 sheet (else its first), and its
/// 年度信息 sheet when it has one.
pub fn import_file(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, path: &Path, today: NaiveDate) -> Result<Report, ApiError> {
    let open = || std::fs::File::open(path).map(BufReader::new).map_err(|e| ApiError::Internal(e.into()));
    read_workbook(open, today, &mut |batch: &[ImportItem]| Ok(import_batch(c, scope, crypto, actor, batch)?))
}

/// The sheet of members: the export's 家庭成员, else the first sheet (the national 花名册).
pub const MEMBER_SHEET: &str = "家庭成员";

/// Reads a workbook (opened by `open` once to check the zip, then once per sheet read) and hands
/// each batch of valid households to `store`; the report has every refused row. No I/O of its own
/// beyond `open`, so the fuzz target `import_rows` drives exactly this.
pub fn read_workbook<R: Read + Seek>(open: impl Fn() -> Result<R, ApiError>, today: NaiveDate, store: &mut Store<'_>) -> Result<Report, ApiError> {
    check_zip(open()?)?;
    let workbook = || Xlsx::new(open()?).map_err(|e| unsupported(format!("not a readable workbook: {e}")));
    let mut wb: Xlsx<_> = workbook()?;
    let names = wb.sheet_names();
    let sheet = names.iter().find(|n| n.as_str() == MEMBER_SHEET).or(names.first()).cloned().ok_or_else(|| unsupported("the workbook has no sheet"))?;
    let cells = wb.worksheet_cells_reader(&sheet).map_err(|e| unsupported(format!("the sheet {sheet} cannot be read: {e}")))?;
    let mut rows = Rows { cells, carry: None, done: false };
    let (_, header) = rows.next_row()?.ok_or_else(|| unsupported(format!("the sheet {sheet} is empty")))?;
    let headers: Vec<String> = header.into_iter().map(Option::unwrap_or_default).collect();
    let cols = columns(&headers).map_err(|errors| {
        let missing: Vec<String> = errors.iter().map(|e| e.column.clone()).collect();
        ApiError::invalid("file", "missing_columns", format!("required columns missing: {} (nothing was imported)", missing.join(", ")))
    })?;
    let mut year_wb = if names.iter().any(|n| n == YEAR_SHEET) { Some(workbook()?) } else { None };
    let mut year_sheet = match year_wb.as_mut() {
        Some(wb) => Some(year_sheet(wb)?),
        None => None,
    };
    let years: &mut dyn YearRows = match year_sheet.as_mut() {
        Some(y) => y,
        None => &mut NoYears,
    };
    let (split, with_years) = prescan(&workbook, &sheet, &cols, names.iter().any(|n| n == YEAR_SHEET))?;
    let report = Report { unknown_columns: cols.unknown.clone(), ignored_columns: cols.ignored.clone(), ..Default::default() };
    let mut imp = Importer { store, years, today, cols, report, group: Vec::new(), seen_numbers: Default::default(), split, with_years, pending: Vec::new() };
    while let Some((r, values)) = rows.next_row()? {
        imp.row(Row { row: r + 1, values })?;
    }
    imp.close_group()?;
    imp.flush()?;
    let mut errors = Vec::new();
    imp.years.rest(&mut errors)?;
    for e in errors {
        imp.error(e);
    }
    Ok(imp.report)
}

/// A first pass over the workbook, before anything is written: the numbers whose rows are in
/// several places of the members' sheet (each such household is refused whole, not the later
/// block only), and the numbers the 年度信息 sheet has rows for (a household whose rows there
/// are out of order is refused, not imported without its record).
fn prescan<RS: Read + Seek>(workbook: &dyn Fn() -> Result<Xlsx<RS>, ApiError>, sheet: &str, cols: &Columns, has_years: bool) -> Result<(HashSet<String>, HashSet<String>), ApiError> {
    let mut wb = workbook()?;
    let cells = wb.worksheet_cells_reader(sheet).map_err(|e| unsupported(format!("the sheet {sheet} cannot be read: {e}")))?;
    let mut rows = Rows { cells, carry: None, done: false };
    rows.next_row()?;
    let (mut blocks, mut split, mut last) = (HashSet::new(), HashSet::new(), None::<String>);
    while let Some((_, values)) = rows.next_row()? {
        let Some(n) = value(cols, &values, "户编号").map(str::to_owned) else { continue };
        if last.as_deref() != Some(n.as_str()) {
            if !blocks.insert(n.clone()) {
                split.insert(n.clone());
            }
            last = Some(n);
        }
    }
    let mut with_years = HashSet::new();
    if has_years {
        let mut wb = workbook()?;
        let mut years = year_sheet(&mut wb)?;
        while let Some(r) = years.next.take() {
            if let Some(n) = years.cell(&r, "户编号") {
                with_years.insert(n.to_owned());
            }
            years.advance()?;
        }
    }
    Ok((split, with_years))
}

/// The 年度信息 sheet's reader, past its header (every column of `YEAR` required).
fn year_sheet<RS: Read + Seek>(wb: &mut Xlsx<RS>) -> Result<YearSheet<'_, RS>, ApiError> {
    let cells = wb.worksheet_cells_reader(YEAR_SHEET).map_err(|e| unsupported(format!("the sheet {YEAR_SHEET} cannot be read: {e}")))?;
    let mut rows = Rows { cells, carry: None, done: false };
    let header: Vec<String> = rows.next_row()?.map(|(_, h)| h.into_iter().map(|v| v.unwrap_or_default()).collect()).unwrap_or_default();
    let found: Vec<Option<usize>> = YEAR.iter().map(|c| header.iter().position(|h| h.trim() == *c)).collect();
    let missing: Vec<&str> = YEAR.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(c, _)| *c).collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("file", "missing_columns", format!("required columns of {YEAR_SHEET} missing: {} (nothing was imported)", missing.join(", "))));
    }
    let mut sheet = YearSheet { rows, index: found.into_iter().flatten().collect(), next: None };
    sheet.advance()?;
    Ok(sheet)
}

/// The row-level report as a workbook (row, column, problem).
pub fn report_xlsx(report: &Report) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows: Vec<Vec<String>> = report.errors.iter().map(|e| vec![e.row.to_string(), e.column.clone(), e.problem.clone()]).collect();
    crate::xlsx::table("错误报告", &["行", "列", "问题"], &rows)
}

#[cfg(test)]
mod tests {
    use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType};

    use super::text;

    fn date(serial: f64) -> Option<String> {
        text(&DataRef::DateTime(ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false)))
    }

    #[test]
    fn a_serial_date_reads_as_its_day_and_an_absurd_one_as_no_date() {
        assert_eq!(date(45000.0).as_deref(), Some("2023-03-15"));
        assert_eq!(date(45000.75).as_deref(), Some("2023-03-15"), "the time of day is dropped");
        assert_eq!(date(1.0).as_deref(), Some("1899-12-31"));
        // A crafted cell: out of chrono's range, not a number, infinite — no date, never a panic.
        for absurd in [f64::MAX, -f64::MAX, 1e300, -1e18, 4e12, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let got = std::panic::catch_unwind(|| date(absurd));
            assert!(got.is_ok(), "{absurd} panicked");
            if let Ok(Some(s)) = got {
                assert!(s.len() >= 10, "{absurd}: {s}");
            }
        }
        assert_eq!(date(f64::MAX), None);
        assert_eq!(date(-1e18), None);
    }

    #[test]
    fn numbers_and_neutralised_text_read_back_as_written() {
        assert_eq!(text(&DataRef::Float(610831.0)).as_deref(), Some("610831"));
        assert_eq!(text(&DataRef::Float(1e300)).as_deref(), Some(1e300f64.to_string().as_str()));
        assert_eq!(text(&DataRef::String("'=1+1".into())).as_deref(), Some("=1+1"));
        assert_eq!(text(&DataRef::String("   ".into())), None);
    }
}
