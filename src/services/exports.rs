//! The division export 户信息导出: every household of a division with its members and its
//! yearly record of a year, as the workbook the import reads back (`crate::export`), with the
//! year's projects, loans and migrant work on sheets of their own after it.

use std::collections::HashMap;

use super::Caller;
use crate::crypto::Crypto;
use crate::db::models::MemberRow;
use crate::db::repo::assistance::loans::LoanRow;
use crate::db::repo::assistance::migrant_work::MigrantWorkRow;
use crate::db::repo::assistance::projects::ProjectRow;
use crate::db::repo::{assistance, divisions, households, yearly};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::household_profile::Profile;
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::yearly::{StatYear, YearRecord};
use crate::domain::{DivisionCode, Role};
use crate::error::ApiError;
use crate::export::{Book, Household, Member};
use crate::state::AppState;

/// A member as exported: numbers full (`full`) or masked, a member without an ID number with an
/// empty cell, those who left with their reason and date.
pub(crate) fn member(crypto: &Crypto, m: &MemberRow, full: bool) -> Member {
    let id = m.id_number_enc.as_deref().map(|e| crypto.open(e).unwrap_or_default()).unwrap_or_default();
    let phone = m.phone_enc.as_deref().map(|p| crypto.open(p).unwrap_or_default()).unwrap_or_default();
    Member {
        id: m.id.clone(),
        name: m.name.clone(),
        id_number: if full || id.is_empty() { id } else { mask_id_number(&id) },
        relation: m.relation.clone(),
        sex: m.sex.clone(),
        birth_date: m.birth_date.to_string(),
        phone: if full || phone.is_empty() { phone } else { mask_phone(&phone) },
        no_id_reason: m.no_id_reason.clone(),
        join_reason: m.join_reason.clone(),
        joined_on: m.joined_on.map(|d| d.to_string()),
        left_reason: m.removed_at.map(|_| m.removed_reason.clone().unwrap_or_else(|| "other".into())),
        left_on: m.removed_at.and(m.left_on.or(m.removed_at.map(|t| t.date()))).map(|d| d.to_string()),
    }
}

/// The sheets of assistance 项目 (projects a household benefits from), 小额信贷 (loans) and
/// 外出务工 (members' migrant work), one row per record, by household number; added after the
/// household sheets of the division export and of a household's archive. Values in Chinese.
#[derive(Default)]
pub(crate) struct AssistanceSheets {
    projects: Vec<Vec<String>>,
    loans: Vec<Vec<String>>,
    work: Vec<Vec<String>>,
}

fn yuan(fen: i64) -> String {
    crate::domain::Money::from_fen(fen).to_string()
}

impl AssistanceSheets {
    /// The records of one household (`members`: (id, name)).
    pub(crate) fn add(&mut self, number: &str, members: &[(String, String)], projects: &[(String, ProjectRow, Option<i64>)], loans: &[LoanRow], work: &[MigrantWorkRow]) {
        use crate::domain::labels::zh;
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        for (_, p, benefit) in projects {
            self.projects.push(vec![number.into(), p.year.to_string(), zh("project_category", &p.category), p.name.clone(), zh("project_status", &p.status), date(p.start_date), date(p.end_date), yuan(p.total_fen), benefit.map(yuan).unwrap_or_default()]);
        }
        for l in loans {
            self.loans.push(vec![number.into(), l.lender.clone(), yuan(l.amount_fen), l.issued_on.to_string(), l.due_on.to_string(), date(l.extended_to), l.purpose.clone().unwrap_or_default(), yuan(l.interest_subsidy_fen), zh("loan_status", &l.status), date(l.repaid_on)]);
        }
        for w in work {
            let name = members.iter().find(|m| m.0 == w.member_id).map(|m| m.1.clone()).unwrap_or_default();
            self.work.push(vec![number.into(), w.year.to_string(), name, w.destination_code.clone(), w.employer.clone().unwrap_or_default(), w.sector.clone().unwrap_or_default(), w.months_away.to_string(), yuan(w.income_fen), if w.programme { "是".into() } else { "否".into() }]);
        }
    }

    pub(crate) fn write(self, book: &mut Book) -> Result<(), rust_xlsxwriter::XlsxError> {
        book.table("项目", &["户编号", "项目年度", "项目类别", "项目名称", "项目状态", "开工日期", "完工日期", "总投资(元)", "受益金额(元)"], &self.projects)?;
        book.table("小额信贷", &["户编号", "贷款银行", "贷款金额(元)", "放款日期", "到期日期", "展期至", "贷款用途", "贴息金额(元)", "还款状态", "还清日期"], &self.loans)?;
        book.table("外出务工", &["户编号", "年度", "成员", "务工地点代码", "务工单位", "务工行业", "务工时间(月)", "务工收入(元)", "稳岗就业"], &self.work)
    }
}

/// Households per page read.
const PAGE: i64 = 500;

/// The workbook of `division` (default: the caller's jurisdiction) for `year`. Full ID and phone
/// numbers only when asked and allowed (`Subject::DivisionExport`), each household so read
/// recorded in the read log; masked otherwise.
/// The answer is the workbook in an anonymous temporary file, at its start, with its length.
pub async fn households_workbook(state: &AppState, caller: &Caller, division: Option<DivisionCode>, year: StatYear, full: bool) -> Result<(std::fs::File, u64), ApiError> {
    caller.require(caller.role != Role::Cadre, "export a division's households")?;
    if full && !full_numbers(caller.role, Subject::DivisionExport) {
        return Err(ApiError::Forbidden("only the county administrator exports full ID and phone numbers".into()));
    }
    let scope = caller.scope();
    let division = division.unwrap_or_else(|| scope.division().clone());
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    let (crypto, read_log, actor) = (state.crypto.clone(), state.read_log.clone(), caller.actor());
    // Beside the uploads being spooled (on the data disk, not a /tmp that may be memory).
    let tmp = state.settings.data_dir.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| ApiError::Internal(e.into()))?;
    state
        .db
        .run(move |c| {
            let county = DivisionCode::parse(&format!("{}000000", &division.as_str()[..6])).map_err(|e| ApiError::Internal(anyhow::anyhow!("{}", e.message)))?;
            let names: HashMap<String, String> = divisions::names_within(c, &county)?;
            let mut book = Book::new(names, &tmp).map_err(|e| ApiError::Internal(e.into()))?;
            let mut after: Option<String> = None;
            let mut sheets = AssistanceSheets::default();
            loop {
                let page = households::page_by_number(c, &scope, &division, after.as_deref(), PAGE)?;
                let Some(last) = page.last() else { break };
                after = Some(last.number.clone());
                let ids: Vec<String> = page.iter().map(|h| h.id.clone()).collect();
                let members = households::members_of(c, &ids, true)?;
                let projects = assistance::projects::of_households(c, &ids)?;
                let loans = assistance::loans::of_households(c, &ids)?;
                let work = assistance::migrant_work::of_households(c, &ids, Some(year.value()))?;
                let mut records: HashMap<String, YearRecord> = HashMap::new();
                for row in yearly::for_households(c, &ids, year.value())? {
                    let record = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored yearly record: {e}")))?;
                    records.insert(row.household_id, record);
                }
                for h in &page {
                    let members: Vec<Member> = members.iter().filter(|m| m.household_id == h.id).map(|m| member(&crypto, m, full)).collect();
                    if full {
                        read_log.record(&actor, &h.id);
                    }
                    let household = Household {
                        number: &h.number,
                        village_code: &h.village_code,
                        category: &h.category,
                        head: &h.head_name,
                        address: h.address.as_deref(),
                        profile: Profile::from_stored(&h.profile),
                        members,
                        year: records.remove(&h.id).map(|r| (year.value(), r)),
                    };
                    book.household(&household).map_err(|e| ApiError::Internal(e.into()))?;
                    let mine: Vec<(String, String)> = household.members.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
                    let projects: Vec<_> = projects.iter().filter(|p| p.0 == h.id).cloned().collect();
                    let loans: Vec<_> = loans.iter().filter(|l| l.household_id == h.id).cloned().collect();
                    let work: Vec<_> = work.iter().filter(|w| w.household_id == h.id).cloned().collect();
                    sheets.add(&h.number, &mine, &projects, &loans, &work);
                }
            }
            sheets.write(&mut book).map_err(|e| ApiError::Internal(e.into()))?;
            use std::io::{Seek, SeekFrom};
            let mut file = tempfile::tempfile_in(&tmp).map_err(|e| ApiError::Internal(e.into()))?;
            book.finish(&mut file).map_err(|e| ApiError::Internal(e.into()))?;
            let len = file.seek(SeekFrom::End(0)).and_then(|n| file.seek(SeekFrom::Start(0)).map(|_| n)).map_err(|e| ApiError::Internal(e.into()))?;
            Ok((file, len))
        })
        .await
}
