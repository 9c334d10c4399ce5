//! The household spreadsheet 花名册 as exported by the national system: one row per member,
//! rows of a household together under its number 户编号, Chinese column headers. This module
//! knows the columns and labels and turns a household's rows into a `NewHousehold` or the
//! row-level problems; reading the file is `crate::import`'s business.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::household::{NewHousehold, NewMember, parse_household_number, parse_person_name};
use super::household_profile::{self, Profile, ProfileInput};
use super::import_year::{self, MEMBER_YEAR};
use super::member::{self, JoinReason, Joined};
use super::yearly::MemberYear;
use super::labels;
use super::validation::{DomainError, FieldErrors};
use super::{Category, DivisionCode, Phone, Relation, Sex};

/// Columns that must be present.
pub const REQUIRED: [&str; 6] = ["户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系"];
/// Columns read when present: the member's, then the household's profile 户基本情况 (values by
/// their Chinese labels or codes; 户属性 several, separated by 、 , ; or spaces).
pub const OPTIONAL: [&str; 17] = ["性别", "出生日期", "联系电话", "无证件原因", "增加原因", "增加时间", "减少原因", "减少时间", "地址", "识别年度", "纳入监测时间", "脱贫年度", "风险消除时间", "消除方式", "返贫原因", "户属性", "安置点"];

/// The profile's field behind each profile column.
const PROFILE_COLUMNS: [(&str, &str); 8] = [
    ("identified_year", "识别年度"),
    ("monitoring_included_on", "纳入监测时间"),
    ("lifted_out_year", "脱贫年度"),
    ("risk_eliminated_on", "风险消除时间"),
    ("risk_elimination_way", "消除方式"),
    ("fallback_reason", "返贫原因"),
    ("flags", "户属性"),
    ("resettlement_site", "安置点"),
];
/// Columns of the national export that this import does not store (names of divisions the code
/// already says).
pub const NOT_IMPORTED: [&str; 5] = ["序号", "县", "乡镇", "行政村", "自然村"];

/// One problem of one cell (or row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// Spreadsheet row number (1 = the header).
    pub row: u32,
    /// The column header, or empty for the whole row.
    pub column: String,
    pub problem: String,
}

/// A data row: the values of the known columns, trimmed, `None` when empty.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub row: u32,
    pub values: Vec<Option<String>>,
}

/// Where each known column is in the sheet.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Index in `Row::values` of each of `REQUIRED` then `OPTIONAL` (by sheet column).
    pub sheet_index: Vec<Option<usize>>,
    pub unknown: Vec<String>,
    pub ignored: Vec<String>,
}

/// Every column read: the required ones, the optional ones, then a member's indicators of a year
/// (`import_year::MEMBER_YEAR`, stored with the household's 年度信息 row of that year).
fn known() -> impl Iterator<Item = &'static str> {
    REQUIRED.iter().chain(OPTIONAL.iter()).chain(MEMBER_YEAR.iter()).copied()
}

/// Maps the header row; every missing required column is one error.
pub fn columns(headers: &[String]) -> Result<Columns, Vec<RowError>> {
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let missing: Vec<RowError> = REQUIRED.iter().filter(|c| find(c).is_none()).map(|c| RowError { row: 1, column: (*c).into(), problem: "required column missing".into() }).collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut unknown = Vec::new();
    let mut ignored = Vec::new();
    for h in headers.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
        if NOT_IMPORTED.contains(&h) {
            ignored.push(h.to_owned());
        } else if !known().any(|k| k == h) {
            unknown.push(h.to_owned());
        }
    }
    Ok(Columns { sheet_index: known().map(find).collect(), unknown, ignored })
}

/// The value of a known column in a row of sheet cells.
pub fn value<'a>(cols: &Columns, cells: &'a [Option<String>], name: &str) -> Option<&'a str> {
    let k = known().position(|k| k == name)?;
    let i = cols.sheet_index[k]?;
    cells.get(i).and_then(|v| v.as_deref())
}

pub fn category_label(s: &str) -> Result<Category, DomainError> {
    Ok(match s.trim() {
        "脱贫户" | "lifted_out" => Category::LiftedOut,
        "脱贫不稳定户" | "monitored_unstable" => Category::MonitoredUnstable,
        "边缘易致贫户" | "monitored_marginal" => Category::MonitoredMarginal,
        "突发严重困难户" | "monitored_hardship" => Category::MonitoredHardship,
        "一般农户" | "一般户" | "ordinary" => Category::Ordinary,
        _ => return Err(DomainError::new("invalid_value", "one of 脱贫户, 脱贫不稳定户, 边缘易致贫户, 突发严重困难户, 一般农户")),
    })
}

pub fn relation_label(s: &str) -> Result<Relation, DomainError> {
    let s = s.trim();
    Ok(match s.strip_prefix('之').unwrap_or(s) {
        "户主" | "本人" | "head" => Relation::Head,
        "配偶" | "妻" | "夫" | "spouse" => Relation::Spouse,
        "子" | "女" | "儿子" | "女儿" | "养子或继子" | "养女或继女" | "child" => Relation::Child,
        "儿媳" | "女婿" | "child_in_law" => Relation::ChildInLaw,
        "孙子" | "孙女" | "外孙子" | "外孙女" | "grandchild" => Relation::Grandchild,
        "父亲" | "母亲" | "公公" | "婆婆" | "岳父" | "岳母" | "parent" => Relation::Parent,
        "祖父" | "祖母" | "外祖父" | "外祖母" | "grandparent" => Relation::Grandparent,
        "兄弟姐妹" | "兄" | "弟" | "姐" | "妹" | "sibling" => Relation::Sibling,
        "其他" | "other" => Relation::Other,
        // The labels an export writes (子女, 儿媳/女婿 …).
        other => match labels::value_of("relation", other).and_then(|v| Relation::parse(v).ok()) {
            Some(r) => r,
            None => return Err(DomainError::new("invalid_value", format!("unknown relation {s}"))),
        },
    })
}

pub fn sex_label(s: &str) -> Result<Sex, DomainError> {
    match s.trim() {
        "男" | "male" => Ok(Sex::Male),
        "女" | "female" => Ok(Sex::Female),
        other => Err(DomainError::new("invalid_value", format!("男 or 女, not {other}"))),
    }
}

/// A date cell: `1965-03-02`, `1965/3/2` or `19650302`.
pub fn date_label(s: &str) -> Result<NaiveDate, DomainError> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .ok_or_else(|| DomainError::new("invalid_value", format!("not a date: {s}")))
}

/// A household to import with its yearly records (their members' `member_id`: the member's
/// index among the household's members, until the members have ids).
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub household: NewHousehold,
    pub years: Vec<(i32, super::yearly::YearRecord)>,
    /// By member (as `household.members`): how and when one who left the household left.
    pub left: Vec<Option<member::Left>>,
}

/// A member's indicators of a year, by member (in the order of the household's members).
pub type MemberYears = Vec<Option<(i32, MemberYear)>>;

/// What the rows say of each member beside the member: the indicators of a year, and the leave
/// of one who left (减少原因, 减少时间).
#[derive(Debug)]
pub struct MemberExtras {
    pub years: MemberYears,
    pub left: Vec<Option<member::Left>>,
}

/// A household from its rows (all with the same number) with its members' indicators of a
/// year, or every problem found.
pub fn household(cols: &Columns, rows: &[Row], today: NaiveDate) -> Result<(NewHousehold, MemberExtras), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |row: u32, column: &str, e: DomainError| errors.push(RowError { row, column: column.into(), problem: e.message });
    let first = &rows[0];
    let get = |r: &Row, c: &str| value(cols, &r.values, c).map(str::to_owned);
    let number = get(first, "户编号").and_then(|n| parse_household_number(&n).map_err(|e| err(first.row, "户编号", e)).ok());
    let village = match get(first, "行政村代码") {
        Some(v) => DivisionCode::parse(&v).map_err(|e| err(first.row, "行政村代码", e)).ok(),
        None => {
            err(first.row, "行政村代码", DomainError::new("required", "must not be empty"));
            None
        }
    };
    let category = match rows.iter().find_map(|r| get(r, "户类型").map(|c| (r.row, c))) {
        Some((row, c)) => category_label(&c).map_err(|e| err(row, "户类型", e)).ok(),
        None => {
            err(first.row, "户类型", DomainError::new("required", "must not be empty"));
            None
        }
    };
    let address = rows.iter().find_map(|r| get(r, "地址"));
    let profile = profile(rows, &|r, c| get(r, c), today, &mut err);
    let mut members = Vec::new();
    for r in rows {
        if get(r, "行政村代码").is_some_and(|v| Some(v.as_str()) != village.as_ref().map(|d| d.as_str())) && village.is_some() {
            err(r.row, "行政村代码", DomainError::new("inconsistent", "the members of a household are in one village"));
        }
        let name = parse_person_name(&get(r, "姓名").unwrap_or_default()).map_err(|e| err(r.row, "姓名", e)).ok();
        let sex = get(r, "性别").map(|s| sex_label(&s).map_err(|e| err(r.row, "性别", e)).ok()).flatten();
        let birth = get(r, "出生日期").map(|s| date_label(&s).map_err(|e| err(r.row, "出生日期", e)).ok()).flatten();
        let phone = get(r, "联系电话").map(|p| Phone::parse(&p).map_err(|e| err(r.row, "联系电话", e)).ok()).flatten();
        // A member without an ID number says why (无证件原因, by label or code), with sex and birth.
        let no_id = get(r, "无证件原因").map(|t| labels::value_of("no_id_reason", &t).map_or(t, str::to_owned));
        let identity = member::identity(get(r, "证件号码").as_deref(), no_id.as_deref(), sex, birth, today)
            .map_err(|problems| problems.into_iter().for_each(|(field, e)| err(r.row, column_of_member_field(field), e)))
            .ok();
        let relation = relation_label(&get(r, "与户主关系").unwrap_or_default()).map_err(|e| err(r.row, "与户主关系", e)).ok();
        let joined = match (get(r, "增加原因"), get(r, "增加时间")) {
            (None, None) => None,
            (None, Some(_)) => {
                err(r.row, "增加原因", DomainError::new("required", "the reason of a joining with its date"));
                None
            }
            (Some(reason), on) => {
                let reason = labels::value_of("join_reason", &reason).and_then(|v| JoinReason::parse(v).ok()).ok_or_else(|| DomainError::new("invalid_value", format!("unknown value {reason}")));
                let on = on.map(|d| date_label(&d)).transpose().map_err(|e| err(r.row, "增加时间", e)).ok();
                match (reason, on, &identity) {
                    (Ok(reason), Some(on), Some((_, _, birth))) => Joined::parse(reason, on, *birth, today).map_err(|e| err(r.row, "增加时间", e)).ok(),
                    (Err(e), _, _) => {
                        err(r.row, "增加原因", e);
                        None
                    }
                    _ => None,
                }
            }
        };
        let year = import_year::member_year(&|c| get(r, c)).map_err(|errors| errors.into_iter().for_each(|(c, e)| err(r.row, c, e))).ok().flatten();
        let left = left_of(r, &|r, c| get(r, c), identity.as_ref().map(|(_, _, b)| *b), joined.map(|j| j.on), today, &mut err);
        if let (Some(name), Some((identity, sex, birth_date)), Some(relation), Some(left)) = (name, identity, relation, left) {
            members.push((r.row, NewMember { name, identity, relation, sex, birth_date, phone, joined }, year, left));
        }
    }
    // The current head: one who left (a late head) is not counted.
    let heads = rows.iter().filter(|r| get(r, "减少原因").is_none() && get(r, "与户主关系").is_some_and(|v| relation_label(&v) == Ok(Relation::Head))).count();
    if heads != 1 {
        err(first.row, "与户主关系", DomainError::new("head_count", format!("a household needs exactly one head (户主): {heads} given")));
    }
    for (i, (row, m, _, _)) in members.iter().enumerate() {
        if m.id_number().is_some() && members[..i].iter().any(|(_, o, _, _)| o.id_number() == m.id_number()) {
            err(*row, "证件号码", DomainError::new("duplicate", "the same person twice in the household"));
        }
    }
    match (errors.is_empty(), number, village, category, profile) {
        (true, Some(number), Some(village), Some(category), Some(profile)) => {
            let (mut list, mut years, mut left) = (Vec::new(), Vec::new(), Vec::new());
            for (_, m, y, l) in members {
                list.push(m);
                years.push(y);
                left.push(l);
            }
            Ok((NewHousehold { village, number: Some(number), address, category, members: list, client_id: None, profile, origin: Some("import".into()) }, MemberExtras { years, left }))
        }
        _ => Err(errors),
    }
}

/// The household's profile from its rows (each column's first value), or its problems under the
/// column's name.
fn profile(rows: &[Row], get: &dyn Fn(&Row, &str) -> Option<String>, today: NaiveDate, err: &mut impl FnMut(u32, &str, DomainError)) -> Option<Profile> {
    let cell = |c: &str| rows.iter().find_map(|r| get(r, c).map(|v| (r.row, v)));
    let row_of = |c: &str| cell(c).map_or(rows[0].row, |(r, _)| r);
    let mut local = Vec::new();
    let year = |c: &str, local: &mut Vec<(u32, &'static str, DomainError)>| {
        let (row, v) = cell(c)?;
        v.trim().trim_end_matches('年').parse::<i32>().map_err(|_| local.push((row, column_name(c), DomainError::new("invalid_value", format!("a year, not {v}"))))).ok()
    };
    let date = |c: &str, local: &mut Vec<(u32, &'static str, DomainError)>| {
        let (row, v) = cell(c)?;
        date_label(&v).map_err(|e| local.push((row, column_name(c), e))).ok()
    };
    let coded = |c: &str, field: &str, local: &mut Vec<(u32, &'static str, DomainError)>| {
        let (row, v) = cell(c)?;
        match labels::value_of(field, &v) {
            Some(code) => Some(code.to_owned()),
            None => {
                local.push((row, column_name(c), DomainError::new("invalid_value", format!("unknown value {v}"))));
                None
            }
        }
    };
    // In the order of the columns, so the problems are too.
    let identified_year = year("识别年度", &mut local);
    let monitoring_included_on = date("纳入监测时间", &mut local);
    let lifted_out_year = year("脱贫年度", &mut local);
    let risk_eliminated_on = date("风险消除时间", &mut local);
    let risk_elimination_way = coded("消除方式", "elimination_way", &mut local);
    let fallback_reason = coded("返贫原因", "risk_type", &mut local);
    let mut flags = Vec::new();
    if let Some((row, v)) = cell("户属性") {
        for part in v.split(['、', ',', '，', ';', '；', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
            match labels::value_of("household_flag", part) {
                Some(code) => flags.push(code.to_owned()),
                None => local.push((row, "户属性", DomainError::new("invalid_value", format!("unknown value {part}")))),
            }
        }
    }
    let input = ProfileInput {
        identified_year,
        monitoring_included_on,
        lifted_out_year,
        risk_eliminated_on,
        risk_elimination_way,
        fallback_reason,
        flags,
        resettlement_site: cell("安置点").map(|(_, v)| v),
    };
    let failed = !local.is_empty();
    for (row, column, e) in local {
        err(row, column, e);
    }
    let mut errs = FieldErrors::new();
    let parsed = household_profile::parse("profile", &input, today, &mut errs);
    for e in errs.into_vec() {
        let field = e.field.trim_start_matches("profile.").split('[').next().unwrap_or_default().to_owned();
        let column = PROFILE_COLUMNS.iter().find(|(f, _)| *f == field).map_or("", |(_, c)| c);
        err(row_of(column), column, DomainError { code: "invalid_value", message: e.message });
    }
    if failed { None } else { parsed }
}

/// The leave of a member who left (减少原因 by label or code, 减少时间 required with it): `Some(None)`
/// for a current member, `None` when a cell was refused.
fn left_of(r: &Row, get: &dyn Fn(&Row, &str) -> Option<String>, birth: Option<NaiveDate>, joined_on: Option<NaiveDate>, today: NaiveDate, err: &mut impl FnMut(u32, &str, DomainError)) -> Option<Option<member::Left>> {
    match (get(r, "减少原因"), get(r, "减少时间")) {
        (None, None) => Some(None),
        (None, Some(_)) => {
            err(r.row, "减少原因", DomainError::new("required", "the reason of a leave with its date"));
            None
        }
        (Some(_), None) => {
            err(r.row, "减少时间", DomainError::new("required", "the day a member left with the reason"));
            None
        }
        (Some(reason), Some(on)) => {
            let reason = labels::value_of("removal_reason", &reason).and_then(|v| super::RemovalReason::parse(v).ok());
            let Some(reason) = reason else {
                err(r.row, "减少原因", DomainError::new("invalid_value", "unknown reason of a leave"));
                return None;
            };
            let on = date_label(&on).map_err(|e| err(r.row, "减少时间", e)).ok()?;
            let birth = birth?;
            member::check_left_on(on, birth, joined_on, today).map_err(|e| err(r.row, "减少时间", e)).ok().map(|on| Some(member::Left { reason, on }))
        }
    }
}

/// The column of a member's field as `member::identity` names it.
fn column_of_member_field(field: &str) -> &'static str {
    match field {
        "no_id_reason" => "无证件原因",
        "sex" => "性别",
        "birth_date" => "出生日期",
        _ => "证件号码",
    }
}

fn column_name(c: &str) -> &'static str {
    PROFILE_COLUMNS.iter().find(|(_, col)| *col == c).map_or("", |(_, col)| col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdNumber;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cols() -> Columns {
        let headers: Vec<String> = ["序号", "户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "性别", "备注"].iter().map(|s| s.to_string()).collect();
        columns(&headers).unwrap()
    }

    fn row(n: u32, name: &str, id: &str, relation: &str, sex: &str) -> Row {
        let v = |s: &str| if s.is_empty() { None } else { Some(s.to_owned()) };
        Row { row: n, values: vec![v("1"), v("6108311012010001"), v("610831101201"), v("脱贫户"), v(name), v(id), v(relation), v(sex), None] }
    }

    #[test]
    fn headers_are_mapped_and_unknown_ones_reported() {
        let c = cols();
        assert_eq!(c.unknown, ["备注"]);
        assert_eq!(c.ignored, ["序号"]);
        let missing = columns(&["户编号".to_string(), "姓名".to_string()]).unwrap_err();
        let names: Vec<&str> = missing.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(names, ["行政村代码", "户类型", "证件号码", "与户主关系"]);
    }

    #[test]
    fn a_household_is_its_rows_with_every_problem_reported_by_cell() {
        let head = IdNumber::compose("610831", d("1965-03-02"), 11);
        let wife = IdNumber::compose("610831", d("1967-05-06"), 12);
        let (ok, _) = household(&cols(), &[row(2, "王建国", head.as_str(), "户主", "男"), row(3, "李秀英", &wife.as_str().to_lowercase(), "配偶", "女")], d("2026-11-22")).unwrap();
        assert_eq!((ok.members.len(), ok.category, ok.number.as_deref()), (2, Category::LiftedOut, Some("6108311012010001")));
        let errors = household(&cols(), &[row(2, "王建国", head.as_str(), "户主", "女"), row(3, "Li", "123", "表亲", "女")], d("2026-11-22")).unwrap_err();
        let cells: Vec<(u32, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(cells, [(2, "性别"), (3, "姓名"), (3, "证件号码"), (3, "与户主关系")]);
        let no_head = household(&cols(), &[row(2, "王建国", head.as_str(), "配偶", "男")], d("2026-11-22")).unwrap_err();
        assert_eq!(no_head[0].column, "与户主关系");
    }

    #[test]
    fn the_profile_columns_are_read_by_their_labels_and_refused_by_cell() {
        let headers: Vec<String> = ["户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "识别年度", "脱贫年度", "返贫原因", "户属性", "安置点", "消除方式", "风险消除时间"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = columns(&headers).unwrap();
        assert!(cols.unknown.is_empty(), "{:?}", cols.unknown);
        let head = IdNumber::compose("610831", d("1965-03-02"), 11);
        let r = |n: u32, profile: [&str; 7]| {
            let mut values: Vec<Option<String>> = ["6108311012010001", "610831101201", "脱贫不稳定户", "王建国", head.as_str(), "户主"].iter().map(|s| Some(s.to_string())).collect();
            values.extend(profile.iter().map(|s| if s.is_empty() { None } else { Some(s.to_string()) }));
            Row { row: n, values }
        };
        let (ok, _) = household(&cols, &[r(2, ["2014年", "2019", "因病", "低保户、易地扶贫搬迁户", "城南安置小区", "帮扶消除", "2024-01-05"])], d("2026-11-22")).unwrap();
        let p = ok.profile;
        assert_eq!((p.identified_year, p.lifted_out_year, p.fallback_reason.as_deref()), (Some(2014), Some(2019), Some("illness")));
        assert_eq!(p.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(), ["dibao", "relocated"]);
        assert_eq!(p.resettlement_site.as_deref(), Some("城南安置小区"));
        assert_eq!(p.risk_eliminated_on, Some(d("2024-01-05")));
        let errors = household(&cols, &[r(2, ["二〇一四", "2019", "因穷", "低保户、富户", "", "", ""])], d("2026-11-22")).unwrap_err();
        let cells: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cells, ["识别年度", "返贫原因", "户属性"], "{errors:?}");
        let errors = household(&cols, &[r(2, ["2020", "2016", "", "易地扶贫搬迁户", "", "", ""])], d("2026-11-22")).unwrap_err();
        let cells: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cells, ["脱贫年度", "安置点"], "{errors:?}");
    }

    #[test]
    fn a_member_without_an_id_number_and_a_joining_are_read_and_their_mistakes_refused_by_cell() {
        let headers: Vec<String> = ["户编号", "行政村代码", "户类型", "姓名", "证件号码", "与户主关系", "性别", "出生日期", "无证件原因", "增加原因", "增加时间", "减少原因", "减少时间"].iter().map(|s| s.to_string()).collect();
        let cols = columns(&headers).unwrap();
        let head = IdNumber::compose("610831", d("1965-03-02"), 11);
        let r = |n: u32, cells: [&str; 10]| {
            let mut values: Vec<Option<String>> = ["6108311012010001", "610831101201", "脱贫户"].iter().map(|s| Some(s.to_string())).collect();
            values.extend(cells.iter().map(|s| if s.is_empty() { None } else { Some(s.to_string()) }));
            Row { row: n, values }
        };
        let head_row = r(2, ["王建国", head.as_str(), "户主", "", "", "", "", "", "", ""]);
        let baby = r(3, ["王小宝", "", "孙子女", "男", "2026-09-01", "新生儿未落户", "出生", "", "", ""]);
        // A late head who died: not counted as the head.
        let late = IdNumber::compose("610831", d("1940-01-02"), 13);
        let late_head = r(4, ["王老汉", late.as_str(), "户主", "", "", "", "", "", "死亡", "2025-03-01"]);
        let (h, extras) = household(&cols, &[head_row.clone(), baby, late_head], d("2026-11-22")).unwrap();
        let b = &h.members[1];
        assert!(b.id_number().is_none());
        assert_eq!((b.sex, b.birth_date), (Sex::Male, d("2026-09-01")));
        assert_eq!(b.joined.as_ref().map(|j| (j.reason, j.on)), Some((JoinReason::Birth, d("2026-09-01"))));
        assert_eq!(extras.left, [None, None, Some(member::Left { reason: crate::domain::RemovalReason::Death, on: d("2025-03-01") })]);
        let bad = [
            r(3, ["王小宝", "", "孙子女", "男", "2026-09-01", "", "", "", "", ""]),
            r(4, ["李秀英", "", "儿媳/女婿", "女", "1998-01-01", "新生儿未落户", "嫁入", "1990-01-01", "", ""]),
            r(5, ["王小二", "", "孙子女", "", "2026-09-01", "无户籍", "", "2026-09-02", "", ""]),
            r(6, ["王老汉", late.as_str(), "父母", "", "", "", "", "", "死亡", "1939-01-01"]),
            r(7, ["王老二", "", "父母", "男", "1950-01-01", "其他", "", "", "", "2025-01-01"]),
        ];
        let mut rows = vec![head_row];
        rows.extend(bad.iter().cloned());
        let errors = household(&cols, &rows, d("2026-11-22")).unwrap_err();
        let cells: Vec<(u32, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(cells, [(3, "证件号码"), (4, "增加时间"), (5, "性别"), (5, "增加原因"), (6, "减少时间"), (7, "减少原因")], "{errors:?}");
    }

    #[test]
    fn labels_of_the_national_export() {
        assert_eq!(relation_label("之子").unwrap(), Relation::Child);
        assert_eq!(relation_label("之孙女").unwrap(), Relation::Grandchild);
        assert_eq!(category_label("边缘易致贫户").unwrap(), Category::MonitoredMarginal);
        assert_eq!(date_label("1965/3/2").unwrap(), d("1965-03-02"));
        assert!(sex_label("M").is_err());
    }
}
