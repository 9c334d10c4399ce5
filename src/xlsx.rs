//! Spreadsheets for printing (rust_xlsxwriter) and CSV: every file the server writes for a
//! spreadsheet program (the ledger export, the comparison table, the import's error report,
//! the natural-change ledger).
//!
//! Formula injection: a cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is read by Excel, WPS and LibreOffice as a formula. Every text cell of every CSV and
//! workbook written here goes through [`neutralise`] (OWASP's rule: such a text gets a leading
//! `'`), and workbook text is only ever written as a string cell, never a formula; numbers of a
//! record are number cells. The quote is kept in the workbook's text too, so a workbook saved
//! again as CSV (or a cell edited and confirmed) stays text.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use crate::domain::yearly::Change;

/// The first characters that make a spreadsheet program read a cell as a formula.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text as a spreadsheet cell: prefixed with `'` when a spreadsheet program would otherwise
/// read it as a formula (OWASP, CSV injection); anything else unchanged.
///
/// A text that already begins with `'` before a formula character (or another `'`) gets one
/// more, so that reading the cell back (the import drops one such quote) gives the text itself.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) || text.strip_prefix('\'').is_some_and(|rest| rest.starts_with(FORMULA_TRIGGERS) || rest.starts_with('\'')) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A cell's text as written before [`neutralise`]: one leading `'` dropped where `neutralise`
/// would have added it.
pub fn unquote(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

/// The only way text reaches a worksheet: a string cell, neutralised.
fn text(sheet: &mut Worksheet, row: u32, col: u16, value: &str, format: Option<&Format>) -> Result<(), XlsxError> {
    match format {
        Some(f) => sheet.write_string_with_format(row, col, neutralise(value), f)?,
        None => sheet.write_string(row, col, neutralise(value))?,
    };
    Ok(())
}

/// A value of a record: a number cell for a number, else neutralised text.
fn value(sheet: &mut Worksheet, row: u32, col: u16, v: &Value, format: Option<&Format>) -> Result<(), XlsxError> {
    let s = match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                match format {
                    Some(f) => sheet.write_number_with_format(row, col, x, f)?,
                    None => sheet.write_number(row, col, x)?,
                };
                return Ok(());
            }
            n.to_string()
        }
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        other => other.to_string(),
    };
    text(sheet, row, col, &s, format)
}

/// One household's part of a 信息采集对照表: its title, and its rows (each field by its Chinese
/// name, see `domain::labels::comparison_rows`).
pub struct ComparisonSheet {
    pub title: String,
    pub rows: Vec<Change>,
    /// Rows printed after the record's (projects, loans, migrant work): marked where they
    /// differ, but neither what 已填报 nor what 变化项数 counts (those are the record's).
    pub assistance: Vec<Change>,
}

/// The 信息采集对照表 of one household: one sheet, every field with last year's and this
/// year's value and a mark where they differ.
pub fn comparison(year: i32, household: &ComparisonSheet) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    comparison_sheet(wb.add_worksheet().set_name("对照表")?, year, household)?;
    wb.save_to_buffer()
}

/// The 信息采集对照表 of a village: a contents sheet 目录 (one row per household: its sheet,
/// 户编号, 户主, whether each year was entered, how many fields changed), then one sheet per
/// household, named by its 户编号 (see [`sheet_names`]).
pub fn village_comparison(year: i32, contents_title: &str, households: &[(String, String, ComparisonSheet)]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let names = sheet_names(households.iter().map(|(number, _, _)| number.as_str()));
    {
        let contents = wb.add_worksheet().set_name("目录")?;
        text(contents, 0, 0, contents_title, Some(&bold))?;
        for (col, head) in ["工作表", "户编号", "户主", &format!("{} 年已填报", year - 1), &format!("{year} 年已填报"), "变化项数"].iter().enumerate() {
            text(contents, 2, col as u16, head, Some(&bold))?;
        }
        for (i, ((number, head, sheet), name)) in households.iter().zip(&names).enumerate() {
            let r = 3 + i as u32;
            let entered = |pick: fn(&Change) -> &Value| if sheet.rows.iter().any(|c| !pick(c).is_null()) { "是" } else { "否" };
            text(contents, r, 0, name, None)?;
            text(contents, r, 1, number, None)?;
            text(contents, r, 2, head, None)?;
            text(contents, r, 3, entered(|c| &c.before), None)?;
            text(contents, r, 4, entered(|c| &c.after), None)?;
            contents.write_number(r, 5, sheet.rows.iter().filter(|c| c.before != c.after).count() as f64)?;
        }
        contents.set_column_width(0, 16)?;
        contents.set_column_width(1, 20)?;
        contents.set_column_width(2, 12)?;
        contents.set_freeze_panes(3, 0)?;
    }
    for ((_, _, sheet), name) in households.iter().zip(&names) {
        comparison_sheet(wb.add_worksheet().set_name(name)?, year, sheet)?;
    }
    wb.save_to_buffer()
}

/// Sheet names for households by 户编号: at most 31 characters (the last ones, where a number
/// is longer: they tell households of a village apart), without the characters a sheet name may
/// not hold, unique regardless of case (a repeat gets `~2`, `~3` …).
pub fn sheet_names<'a>(numbers: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut taken = std::collections::HashSet::from(["目录".to_owned()]);
    numbers
        .map(|n| {
            let clean: String = n.chars().map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c }).collect();
            let fit = |s: &str, room: usize| s.chars().skip(s.chars().count().saturating_sub(room)).collect::<String>();
            let base = if clean.is_empty() { "户".to_owned() } else { fit(&clean, 31) };
            let mut name = base.clone();
            for k in 2.. {
                if taken.insert(name.to_lowercase()) {
                    break;
                }
                let tail = format!("~{k}");
                name = format!("{}{tail}", fit(&base, 31 - tail.len()));
            }
            name
        })
        .collect()
}

fn comparison_sheet(sheet: &mut Worksheet, year: i32, household: &ComparisonSheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let changed = Format::new().set_bold().set_background_color("#FFF2CC");
    text(sheet, 0, 0, &household.title, Some(&bold))?;
    for (col, head) in ["项目", &format!("{} 年", year - 1), &format!("{year} 年"), "变化"].iter().enumerate() {
        text(sheet, 2, col as u16, head, Some(&bold))?;
    }
    for (i, c) in household.rows.iter().chain(&household.assistance).enumerate() {
        let r = 3 + i as u32;
        let differs = c.before != c.after;
        text(sheet, r, 0, &c.field, None)?;
        value(sheet, r, 1, &c.before, None)?;
        if differs {
            value(sheet, r, 2, &c.after, Some(&changed))?;
            text(sheet, r, 3, "✓", None)?;
        } else {
            value(sheet, r, 2, &c.after, None)?;
        }
    }
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 16)?;
    sheet.set_column_width(3, 6)?;
    Ok(())
}

/// A one-sheet table: a bold header row, then the rows as text.
pub fn table(sheet_name: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut t = TableWriter::new(sheet_name, headers, None)?;
    for row in rows {
        t.row(row)?;
    }
    t.finish()
}

/// A one-sheet table written row by row, for lists too long to hold whole (a county's screening):
/// with a temporary folder the rows wait there (rust_xlsxwriter's constant memory), not in memory.
pub struct TableWriter {
    wb: Workbook,
    next: u32,
}

impl TableWriter {
    pub fn new(sheet_name: &str, headers: &[&str], tmp: Option<&std::path::Path>) -> Result<Self, XlsxError> {
        let mut wb = Workbook::new();
        let sheet = match tmp {
            Some(dir) => {
                wb.set_tempdir(dir)?;
                wb.add_worksheet_with_constant_memory()?
            }
            None => wb.add_worksheet(),
        };
        sheet.set_name(sheet_name)?;
        let bold = Format::new().set_bold();
        for (col, head) in headers.iter().enumerate() {
            text(sheet, 0, col as u16, head, Some(&bold))?;
            sheet.set_column_width(col as u16, 16)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Self { wb, next: 1 })
    }

    /// Rows a sheet holds below its header (Excel's limit).
    pub const MAX_ROWS: u32 = 1_048_575;

    /// Rows written so far.
    pub fn rows(&self) -> u32 {
        self.next - 1
    }

    pub fn row(&mut self, cells: &[String]) -> Result<(), XlsxError> {
        let sheet = self.wb.worksheet_from_index(0)?;
        for (col, v) in cells.iter().enumerate() {
            text(sheet, self.next, col as u16, v, None)?;
        }
        self.next += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.wb.save_to_buffer()
    }
}

/// The same table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right),
/// every cell neutralised.
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(headers.iter().map(|h| neutralise(h).into_owned()))?;
        for r in rows {
            w.write_record(r.iter().map(|v| neutralise(v).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// A workbook of several tables, one sheet each (name, headers, rows), as [`table`] writes one:
/// the natural-change ledger's 增加情况表 and 减少情况表.
pub fn tables(sheets: &[(&str, &[&str], &[Vec<String>])]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, headers, rows) in sheets {
        let sheet = wb.add_worksheet();
        sheet.set_name(*name)?;
        for (col, head) in headers.iter().enumerate() {
            text(sheet, 0, col as u16, head, Some(&bold))?;
            sheet.set_column_width(col as u16, 14)?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (col, v) in row.iter().enumerate() {
                text(sheet, 1 + i as u32, col as u16, v, None)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    wb.save_to_buffer()
}

/// A publicity or announcement list 公示名单 / 公告名单 laid out to print on A4 (portrait, fit to the
/// page's width, the header row repeated on every page): a title over the table, the lines under
/// it (the period), then a signature line for each signatory.
pub fn posted_list(title: &str, lines: &[String], headers: &[&str], rows: &[Vec<String>], signatures: &[&str]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("名单")?;
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    let last = headers.len().saturating_sub(1) as u16;
    let title_format = Format::new().set_bold().set_font_size(16).set_align(rust_xlsxwriter::FormatAlign::Center);
    sheet.merge_range(0, 0, 0, last, &neutralise(title), &title_format)?;
    for (i, line) in lines.iter().enumerate() {
        text(sheet, 1 + i as u32, 0, line, None)?;
    }
    let head_row = 2 + lines.len() as u32;
    let border = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin).set_text_wrap();
    let head = border.clone().set_bold();
    for (col, h) in headers.iter().enumerate() {
        text(sheet, head_row, col as u16, h, Some(&head))?;
        sheet.set_column_width(col as u16, if *h == "公示理由" || *h == "理由" { 30 } else { 14 })?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, v) in row.iter().enumerate() {
            text(sheet, head_row + 1 + i as u32, col as u16, v, Some(&border))?;
        }
    }
    sheet.set_repeat_rows(head_row, head_row)?;
    let mut r = head_row + 2 + rows.len() as u32;
    for s in signatures {
        text(sheet, r, 0, &format!("{s}（签字）：__________________    日期：__________"), None)?;
        r += 2;
    }
    wb.save_to_buffer()
}

/// A sheet laid out for printing on A4 (landscape, fitted to the page's width, the header row
/// repeated on every page): a title and a subtitle (division, year, date) above the table, the
/// signature lines the documents ask for below it.
pub struct Report<'a> {
    pub sheet: &'a str,
    pub title: &'a str,
    pub subtitle: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<String>],
    /// Who signs (`村支书`, `驻村工作队长` …): each gets `…：________ 日期：________`.
    pub signatures: &'a [&'a str],
}

/// A workbook of [`Report`]s, one sheet each.
pub fn reports(sheets: &[Report<'_>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title_format = Format::new().set_bold().set_font_size(16).set_align(rust_xlsxwriter::FormatAlign::Center);
    let bold = Format::new().set_bold().set_border(rust_xlsxwriter::FormatBorder::Thin).set_text_wrap();
    let cell = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin).set_text_wrap();
    for r in sheets {
        let sheet = wb.add_worksheet();
        sheet.set_name(r.sheet)?;
        sheet.set_paper_size(9);
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, 0);
        let last = (r.headers.len().max(1) - 1) as u16;
        sheet.merge_range(0, 0, 0, last, &neutralise(r.title), &title_format)?;
        sheet.merge_range(1, 0, 1, last, &neutralise(r.subtitle), &Format::new())?;
        for (col, head) in r.headers.iter().enumerate() {
            text(sheet, 2, col as u16, head, Some(&bold))?;
            sheet.set_column_width(col as u16, 14)?;
        }
        sheet.set_repeat_rows(2, 2)?;
        for (i, row) in r.rows.iter().enumerate() {
            for (col, v) in row.iter().enumerate() {
                text(sheet, 3 + i as u32, col as u16, v, Some(&cell))?;
            }
        }
        let mut at = 3 + r.rows.len() as u32 + 1;
        for who in r.signatures {
            text(sheet, at, 0, &format!("{who}（签字）：______________    日期：______________"), None)?;
            at += 1;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_a_spreadsheet_would_evaluate_gets_a_quote_and_nothing_else_changes() {
        for hostile in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"));
        }
        for plain in ["王建国", "610831101201", "2026-01-15", "", " =1", "a=b", "'abc"] {
            assert_eq!(neutralise(plain), plain);
        }
        // Whatever was stored reads back as itself.
        for stored in ["=1", "'=1", "''=1", "'abc", "'", "-2", "王"] {
            assert_eq!(unquote(&neutralise(stored)), stored);
        }
    }

    #[test]
    fn sheet_names_fit_excel_and_tell_households_apart() {
        let long = "6108311012010001-ABCDEFGHIJKLMNOPQRSTU";
        let names = sheet_names(["0001", "0001", "A1", "a1", "x[1]", long, long, ""].into_iter());
        assert_eq!(names[..5], ["0001", "0001~2", "A1", "a1~2", "x_1_"]);
        assert!(names.iter().all(|n| n.chars().count() <= 31));
        assert_eq!(names[5], long[long.len() - 31..]);
        assert_ne!(names[5], names[6]);
        assert_eq!(names[7], "户");
    }

    #[test]
    fn csv_cells_are_neutralised_and_still_quoted_as_csv() {
        let bytes = csv(&["户编号", "=head"], &[vec!["-2-3".into(), "a,\"b\"".into()]]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}户编号,'=head\n'-2-3,\"a,\"\"b\"\"\"\n");
    }
}
