//! The division export 户信息导出 (`GET /exports/households.xlsx`): a workbook the import reads
//! back unchanged. Three sheets, Chinese headers, households in order of their numbers:
//!
//! - 户信息: one row per household (its number, divisions, category, head, size, address, profile);
//! - 家庭成员: one row per member (those who left too, with 减少原因 and 减少时间) with the
//!   household's columns repeated, in the columns of
//!   the national 花名册 the import reads, and the member's indicators of the year;
//! - 年度信息: the household's yearly record of the year (amounts as numbers of yuan).
//!
//! Written with rust_xlsxwriter's constant-memory worksheets (rows go to temporary files as they
//! are written), a page of households at a time, then zipped into an anonymous temporary file
//! (unlinked from the start, gone when closed) that the answer streams: memory does not grow
//! with the county.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::domain::household_profile::Profile;
use crate::domain::import_year::{self, MEMBER_YEAR, YEAR, YEAR_COMPUTED, YEAR_SHEET};
use crate::domain::yearly::{MemberYear, YearRecord};
use crate::import::MEMBER_SHEET;
use crate::xlsx::neutralise;

/// The household columns, on both the households' and the members' sheet.
const HOUSEHOLD: [&str; 7] = ["户编号", "县", "乡镇", "行政村", "行政村代码", "户类型", "地址"];
/// The profile columns (the import's optional household columns, in its order).
const PROFILE: [&str; 8] = ["识别年度", "纳入监测时间", "脱贫年度", "风险消除时间", "消除方式", "返贫原因", "户属性", "安置点"];
const MEMBER: [&str; 11] = ["姓名", "证件号码", "与户主关系", "性别", "出生日期", "联系电话", "无证件原因", "增加原因", "增加时间", "减少原因", "减少时间"];
pub const HOUSEHOLD_SHEET: &str = "户信息";

/// One household as exported.
pub struct Household<'a> {
    pub number: &'a str,
    pub village_code: &'a str,
    pub category: &'a str,
    pub head: &'a str,
    pub address: Option<&'a str>,
    pub profile: Profile,
    /// Current members first-come, and those who left (with their leave), in order of entry.
    pub members: Vec<Member>,
    pub year: Option<(i32, YearRecord)>,
}

impl Household<'_> {
    fn current(&self) -> usize {
        self.members.iter().filter(|m| m.left_reason.is_none()).count()
    }
}

/// A current member, numbers as the caller may see them.
pub struct Member {
    pub id: String,
    pub name: String,
    pub id_number: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: String,
    /// 无证件原因 (code) of a member without an ID number.
    pub no_id_reason: Option<String>,
    /// 增加原因 (code) and 增加时间 of a member who joined a recorded household.
    pub join_reason: Option<String>,
    pub joined_on: Option<String>,
    /// 减少原因 (code) and 减少时间 of a member who left (none for a current member).
    pub left_reason: Option<String>,
    pub left_on: Option<String>,
}

pub struct Book {
    wb: Workbook,
    /// Division code → name (county, township, village).
    names: HashMap<String, String>,
    rows: [u32; 3],
}

fn header(sheet: &mut Worksheet, columns: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (i, c) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *c, bold)?;
        sheet.set_column_width(i as u16, 14)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Writes a row of text cells from column `col` on; the next free column.
fn texts(sheet: &mut Worksheet, row: u32, col: u16, cells: &[String]) -> Result<u16, XlsxError> {
    for (i, v) in cells.iter().enumerate() {
        if !v.is_empty() {
            sheet.write_string(row, col + i as u16, neutralise(v))?;
        }
    }
    Ok(col + cells.len() as u16)
}

impl Book {
    /// `tmp`: where the worksheets' rows wait until the workbook is zipped.
    pub fn new(names: HashMap<String, String>, tmp: &std::path::Path) -> Result<Self, XlsxError> {
        let mut wb = Workbook::new();
        wb.set_tempdir(tmp)?;
        Self::with(wb, names, true)
    }

    /// A workbook of a few rows (one household's file): kept in memory, no temporary files.
    pub fn in_memory(names: HashMap<String, String>) -> Result<Self, XlsxError> {
        Self::with(Workbook::new(), names, false)
    }

    fn with(mut wb: Workbook, names: HashMap<String, String>, constant_memory: bool) -> Result<Self, XlsxError> {
        let bold = Format::new().set_bold();
        let households: Vec<&str> = HOUSEHOLD.iter().chain(["户主", "人口数"].iter()).chain(PROFILE.iter()).copied().collect();
        let members: Vec<&str> = HOUSEHOLD.iter().chain(PROFILE.iter()).chain(MEMBER.iter()).chain(MEMBER_YEAR.iter()).copied().collect();
        let years: Vec<&str> = YEAR.iter().chain(YEAR_COMPUTED.iter()).copied().collect();
        for (name, columns) in [(HOUSEHOLD_SHEET, &households), (MEMBER_SHEET, &members), (YEAR_SHEET, &years)] {
            let sheet = if constant_memory { wb.add_worksheet_with_constant_memory()? } else { wb.add_worksheet() };
            sheet.set_name(name)?;
            header(sheet, columns, &bold)?;
        }
        Ok(Self { wb, names, rows: [1, 1, 1] })
    }

    fn name(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_default()
    }

    fn household_cells(&self, h: &Household) -> Vec<String> {
        let village = h.village_code;
        let (county, township) = (format!("{}000000", &village[..6.min(village.len())]), format!("{}000", &village[..9.min(village.len())]));
        vec![
            h.number.to_owned(),
            self.name(&county),
            self.name(&township),
            self.name(village),
            village.to_owned(),
            import_year::label("category", h.category),
            h.address.unwrap_or_default().to_owned(),
        ]
    }

    pub fn household(&mut self, h: &Household) -> Result<(), XlsxError> {
        let base = self.household_cells(h);
        let profile = profile_cells(&h.profile);
        let [hr, mr, _] = self.rows;
        let sheet = self.wb.worksheet_from_index(0)?;
        let col = texts(sheet, hr, 0, &base)?;
        let col = texts(sheet, hr, col, &[h.head.to_owned()])?;
        sheet.write_number(hr, col, h.current() as f64)?;
        texts(sheet, hr, col + 1, &profile)?;
        let sheet = self.wb.worksheet_from_index(1)?;
        for (i, m) in h.members.iter().enumerate() {
            let row = mr + i as u32;
            let col = texts(sheet, row, 0, &base)?;
            let col = texts(sheet, row, col, &profile)?;
            let coded = |field: &str, v: &Option<String>| v.as_deref().map(|c| import_year::label(field, c)).unwrap_or_default();
            let member = [
                m.name.clone(),
                m.id_number.clone(),
                import_year::label("relation", &m.relation),
                import_year::label("sex", &m.sex),
                m.birth_date.clone(),
                m.phone.clone(),
                coded("no_id_reason", &m.no_id_reason),
                coded("join_reason", &m.join_reason),
                m.joined_on.clone().unwrap_or_default(),
                coded("removal_reason", &m.left_reason),
                m.left_on.clone().unwrap_or_default(),
            ];
            let col = texts(sheet, row, col, &member)?;
            let year: Option<(i32, &MemberYear)> = h.year.as_ref().and_then(|(y, r)| r.members.iter().find(|my| my.member_id == m.id).map(|my| (*y, my)));
            texts(sheet, row, col, &import_year::member_year_cells(year))?;
        }
        if let Some((year, record)) = &h.year {
            self.year_row(h.number, *year, record, h.current())?;
        }
        self.rows[0] += 1;
        self.rows[1] += h.members.len() as u32;
        Ok(())
    }

    /// A row of 年度信息: the household's record of `year` (`members`: its current members).
    pub fn year_row(&mut self, number: &str, year: i32, record: &YearRecord, members: usize) -> Result<(), XlsxError> {
        let yr = self.rows[2];
        let sheet = self.wb.worksheet_from_index(2)?;
        for (i, cell) in import_year::year_cells(number, year, record, members).into_iter().enumerate() {
            match cell {
                Ok(text) if !text.is_empty() => {
                    sheet.write_string(yr, i as u16, neutralise(&text))?;
                }
                Ok(_) => {}
                Err(money) => {
                    sheet.write_number(yr, i as u16, money.fen() as f64 / 100.0)?;
                }
            }
        }
        self.rows[2] += 1;
        Ok(())
    }

    /// One more sheet after the three: a header and rows of text (a household's file adds its
    /// pairings, cases, problems and the list of its documents and photos).
    pub fn table(&mut self, name: &str, columns: &[&str], rows: &[Vec<String>]) -> Result<(), XlsxError> {
        let bold = Format::new().set_bold();
        let sheet = self.wb.add_worksheet();
        sheet.set_name(name)?;
        header(sheet, columns, &bold)?;
        for (i, row) in rows.iter().enumerate() {
            texts(sheet, i as u32 + 1, 0, row)?;
        }
        Ok(())
    }

    /// Writes the workbook to `out` (a temporary file the answer is streamed from).
    pub fn finish(mut self, out: &mut std::fs::File) -> Result<(), XlsxError> {
        self.wb.save_to_writer(out)
    }

    /// The workbook's bytes (for [`Book::in_memory`]).
    pub fn into_bytes(mut self) -> Result<Vec<u8>, XlsxError> {
        self.wb.save_to_buffer()
    }
}

/// The profile as the cells of [`PROFILE`]: labels, several flags joined by 、.
fn profile_cells(p: &Profile) -> Vec<String> {
    let text = |v: Option<String>| v.unwrap_or_default();
    vec![
        text(p.identified_year.map(|y| y.to_string())),
        text(p.monitoring_included_on.map(|d| d.to_string())),
        text(p.lifted_out_year.map(|y| y.to_string())),
        text(p.risk_eliminated_on.map(|d| d.to_string())),
        text(p.risk_elimination_way.map(|w| import_year::label("elimination_way", w.as_str()))),
        text(p.fallback_reason.as_deref().map(|r| import_year::label("risk_type", r))),
        p.flags.iter().map(|f| import_year::label("household_flag", f.as_str())).collect::<Vec<_>>().join("、"),
        text(p.resettlement_site.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::{NOT_IMPORTED, OPTIONAL, REQUIRED};

    #[test]
    fn every_column_of_the_members_sheet_is_one_the_import_knows() {
        for c in HOUSEHOLD.iter().chain(PROFILE.iter()).chain(MEMBER.iter()) {
            assert!(REQUIRED.contains(c) || OPTIONAL.contains(c) || NOT_IMPORTED.contains(c), "{c}");
        }
    }
}
