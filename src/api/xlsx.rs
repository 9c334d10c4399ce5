//! Spreadsheets for printing (rust_xlsxwriter).

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

use crate::domain::yearly::Change;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        other => other.to_string(),
    }
}

/// The 信息采集对照表: one sheet, every field with last year's and this year's value and a mark
/// where they differ.
pub fn comparison(title: &str, year: i32, rows: &[Change]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("对照表")?;
    let bold = Format::new().set_bold();
    let changed = Format::new().set_bold().set_background_color("#FFF2CC");
    sheet.write_string_with_format(0, 0, title, &bold)?;
    for (col, head) in ["项目 field", &format!("{} 年", year - 1), &format!("{year} 年"), "变化"].iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, *head, &bold)?;
    }
    for (i, c) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        let differs = c.before != c.after;
        sheet.write_string(r, 0, &c.field)?;
        sheet.write_string(r, 1, cell(&c.before))?;
        if differs {
            sheet.write_string_with_format(r, 2, cell(&c.after), &changed)?;
            sheet.write_string(r, 3, "✓")?;
        } else {
            sheet.write_string(r, 2, cell(&c.after))?;
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
        sheet.write_string_with_format(0, col as u16, *head, &bold)?;
        sheet.set_column_width(col as u16, 16)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, v) in row.iter().enumerate() {
            sheet.write_string(1 + i as u32, col as u16, v)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// The same table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right).
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(headers)?;
        for r in rows {
            w.write_record(r)?;
        }
        w.flush()?;
    }
    Ok(out)
}
