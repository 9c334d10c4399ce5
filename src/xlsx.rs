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
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
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

/// The 信息采集对照表: one sheet, every field with last year's and this year's value and a mark
/// where they differ.
pub fn comparison(title: &str, year: i32, rows: &[Change]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("对照表")?;
    let bold = Format::new().set_bold();
    let changed = Format::new().set_bold().set_background_color("#FFF2CC");
    text(sheet, 0, 0, title, Some(&bold))?;
    for (col, head) in ["项目 field", &format!("{} 年", year - 1), &format!("{year} 年"), "变化"].iter().enumerate() {
        text(sheet, 2, col as u16, head, Some(&bold))?;
    }
    for (i, c) in rows.iter().enumerate() {
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
    sheet.set_column_width(0, 44)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 16)?;
    sheet.set_column_width(3, 6)?;
    wb.save_to_buffer()
}

/// A one-sheet table: a bold header row, then the rows as text.
pub fn table(sheet_name: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    for (col, head) in headers.iter().enumerate() {
        text(sheet, 0, col as u16, head, Some(&bold))?;
        sheet.set_column_width(col as u16, 16)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, v) in row.iter().enumerate() {
            text(sheet, 1 + i as u32, col as u16, v, None)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_a_spreadsheet_would_evaluate_gets_a_quote_and_nothing_else_changes() {
        for hostile in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"));
        }
        for plain in ["王建国", "610831101201", "2026-01-15", "", " =1", "a=b", "'=1"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn csv_cells_are_neutralised_and_still_quoted_as_csv() {
        let bytes = csv(&["户编号", "=head"], &[vec!["-2-3".into(), "a,\"b\"".into()]]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}户编号,'=head\n'-2-3,\"a,\"\"b\"\"\"\n");
    }
}
