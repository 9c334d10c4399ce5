//! The yearly part of the household workbook (what `GET /exports/households.xlsx` writes and the
//! import reads back): the 年度信息 sheet, one row per household and statistical year, and each
//! member's indicators of that year on the member's row of the 家庭成员 sheet. Values are written
//! as their Chinese labels (是/否 for yes and no) and read as labels or codes.

use super::labels;
use super::money::Money;
use super::validation::DomainError;
use super::yearly::{self, Guarantee, Guarantees, Income, Living, MemberYear, RigidExpenses, YearRecord};

/// The sheet of yearly records.
pub const YEAR_SHEET: &str = "年度信息";

/// A member's indicators of a year, on the member's row (the national 花名册's columns).
/// 参加医保 / 参加养老保险 (是/否) and the place of work 务工省份 / 务工县 may be empty.
pub const MEMBER_YEAR: [&str; 12] = ["年度", "文化程度", "健康状况", "残疾等级", "在校生状况", "劳动技能", "务工状况", "务工时间", "参加医保", "参加养老保险", "务工省份", "务工县"];

/// The columns of the 年度信息 sheet that are read back (in order).
pub const YEAR: [&str; 26] = [
    "户编号", "年度", "工资性收入", "生产经营性收入", "生产经营性支出", "财产性收入", "转移性收入", "医疗支出", "教育支出", "灾害损失", "其他刚性支出",
    "不愁吃穿", "不愁吃穿说明", "饮水安全", "饮水安全说明", "义务教育保障", "义务教育保障说明", "基本医疗保障", "基本医疗保障说明", "住房安全保障", "住房安全保障说明",
    "住房", "饮水", "通电", "通硬化路", "通宽带",
];
/// Columns written after [`YEAR`] for the reader of the workbook, computed, not read back.
pub const YEAR_COMPUTED: [&str; 3] = ["家庭纯收入", "人均纯收入", "扣除刚性支出后人均收入"];

/// Each choice field of a member's year: (labels table field, allowed codes).
const MEMBER_CHOICES: [(&str, &str, &[&str]); 5] = [
    ("文化程度", "education", yearly::EDUCATION),
    ("健康状况", "health", yearly::HEALTH),
    ("在校生状况", "in_school", yearly::IN_SCHOOL),
    ("劳动技能", "labour_skill", yearly::LABOUR_SKILL),
    ("务工状况", "work_status", yearly::WORK_STATUS),
];

/// A code as a cell: its Chinese label where the labels table has one.
pub fn label(field: &str, code: &str) -> String {
    labels::zh(field, code)
}

/// A cell as one of `allowed` codes: the code itself or its label.
fn choice(field: &str, allowed: &[&str], text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let code = if allowed.contains(&t) { Some(t) } else { labels::value_of(field, t).filter(|c| allowed.contains(c)) };
    code.map(str::to_owned).ok_or_else(|| DomainError::new("invalid_value", format!("unknown value {t}")))
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

fn boolean(text: &str) -> Result<bool, DomainError> {
    match text.trim() {
        "是" | "有" | "true" | "1" | "Y" | "y" => Ok(true),
        "否" | "无" | "false" | "0" | "N" | "n" => Ok(false),
        other => Err(DomainError::new("invalid_value", format!("是 or 否, not {other}"))),
    }
}

fn year_of(text: &str) -> Result<i32, DomainError> {
    text.trim().trim_end_matches('年').parse().map_err(|_| DomainError::new("invalid_value", format!("a year, not {text}")))
}

/// A member's year from the cells of [`MEMBER_YEAR`] (`get` answers a column's cell): `None`
/// when they are all empty; else every problem under its column.
pub fn member_year(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<(i32, MemberYear)>, Vec<(&'static str, DomainError)>> {
    if MEMBER_YEAR.iter().all(|c| get(c).is_none()) {
        return Ok(None);
    }
    let mut errors = Vec::new();
    let need = |column: &'static str, errors: &mut Vec<(&'static str, DomainError)>| {
        let v = get(column);
        if v.is_none() {
            errors.push((column, DomainError::new("required", "a member's year needs every indicator")));
        }
        v
    };
    let year = need("年度", &mut errors).and_then(|v| year_of(&v).map_err(|e| errors.push(("年度", e))).ok());
    let mut codes = Vec::new();
    for (column, field, allowed) in MEMBER_CHOICES {
        codes.push(need(column, &mut errors).and_then(|v| choice(field, allowed, &v).map_err(|e| errors.push((column, e))).ok()));
    }
    let months = need("务工时间", &mut errors).and_then(|v| match v.trim().trim_end_matches('月').parse::<i64>() {
        Ok(m) if (0..=12).contains(&m) => Some(m),
        _ => {
            errors.push(("务工时间", DomainError::new("out_of_range", "months worked away are 0 to 12")));
            None
        }
    });
    let grade = get("残疾等级").and_then(|v| match v.trim().trim_end_matches('级').parse::<u8>() {
        Ok(g) => Some(g),
        Err(_) => {
            errors.push(("残疾等级", DomainError::new("invalid_value", format!("a grade from 1 to 4, not {v}"))));
            None
        }
    });
    if let Some(health) = &codes[1] {
        if let Err(e) = yearly::check_disability(health, grade) {
            errors.push(("残疾等级", e));
        }
    }
    let mut insured = |column: &'static str| get(column).and_then(|v| boolean(&v).map_err(|e| errors.push((column, e))).ok());
    let (medical_insurance, pension_insurance) = (insured("参加医保"), insured("参加养老保险"));
    let (work_province, work_county) = (get("务工省份"), get("务工县"));
    if let Some(w) = &codes[4] {
        if let Err((field, e)) = yearly::check_work_place(w, work_province.as_deref(), work_county.as_deref()) {
            errors.push((if field == "work_province" { "务工省份" } else { "务工县" }, e));
        }
    }
    match (year, codes.into_iter().collect::<Option<Vec<String>>>(), months) {
        (Some(year), Some(c), Some(months_away)) if errors.is_empty() => {
            let [education, health, in_school, labour_skill, work_status]: [String; 5] = c.try_into().map_err(|_| Vec::new())?;
            // 参加医疗/养老保险 and 务工地点 are not read from a sheet yet (the lead adds their columns).
            Ok(Some((year, MemberYear { member_id: String::new(), education, health, disability_grade: grade, in_school, labour_skill, work_status, months_away, medical_insurance, pension_insurance, work_province, work_county })))
        }
        _ => Err(errors),
    }
}

/// The household's record of a 年度信息 row (`get` answers a column's cell; members are added
/// by the caller): the year and the record, or every problem under its column.
pub fn year_row(get: &dyn Fn(&str) -> Option<String>) -> Result<(i32, YearRecord), Vec<(&'static str, DomainError)>> {
    let mut errors: Vec<(&'static str, DomainError)> = Vec::new();
    let cell = |column: &'static str, errors: &mut Vec<(&'static str, DomainError)>| {
        let v = get(column);
        if v.is_none() {
            errors.push((column, DomainError::new("required", "must not be empty")));
        }
        v
    };
    let year = cell("年度", &mut errors).and_then(|v| year_of(&v).map_err(|e| errors.push(("年度", e))).ok());
    let money = |column: &'static str, errors: &mut Vec<(&'static str, DomainError)>| {
        cell(column, errors).and_then(|v| Money::parse_yuan(&v).and_then(Money::non_negative).map_err(|e| errors.push((column, e))).ok())
    };
    let m: Vec<Option<Money>> = YEAR[2..11].iter().map(|c| money(c, &mut errors)).collect();
    let mut guarantees = Vec::new();
    for pair in YEAR[11..21].chunks(2) {
        let ok = cell(pair[0], &mut errors).and_then(|v| boolean(&v).map_err(|e| errors.push((pair[0], e))).ok());
        let reason = get(pair[1]);
        if let Some(ok) = ok {
            if let Err(e) = yearly::check_guarantee(ok, reason.as_deref()) {
                errors.push((pair[1], e));
            }
        }
        guarantees.push(ok.map(|ok| Guarantee { ok, reason }));
    }
    let housing = cell("住房", &mut errors).and_then(|v| choice("housing", yearly::HOUSING, &v).map_err(|e| errors.push(("住房", e))).ok());
    let water = cell("饮水", &mut errors).and_then(|v| choice("water", yearly::WATER, &v).map_err(|e| errors.push(("饮水", e))).ok());
    let flags: Vec<Option<bool>> = YEAR[23..26].iter().map(|c| cell(c, &mut errors).and_then(|v| boolean(&v).map_err(|e| errors.push((c, e))).ok())).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(year), Some(m), Some(g), Some(housing), Some(water), Some(f)) = (
        year,
        m.into_iter().collect::<Option<Vec<Money>>>(),
        guarantees.into_iter().collect::<Option<Vec<Guarantee>>>(),
        housing,
        water,
        flags.into_iter().collect::<Option<Vec<bool>>>(),
    ) else {
        return Err(errors);
    };
    let mut g = g.into_iter();
    let mut next = || g.next().unwrap_or(Guarantee { ok: true, reason: None });
    let record = YearRecord {
        income: Income { wages: m[0], production: m[1], production_costs: m[2], property: m[3], transfers: m[4] },
        rigid_expenses: RigidExpenses { medical: m[5], education: m[6], disaster: m[7], other: m[8] },
        members: Vec::new(),
        guarantees: Guarantees { food_clothing: next(), drinking_water: next(), compulsory_education: next(), basic_medical: next(), housing_safety: next() },
        living: Living { housing, water, electricity: f[0], paved_road: f[1], broadband: f[2] },
    };
    Ok((year, record))
}

/// The cells of [`YEAR`] then [`YEAR_COMPUTED`] for a record (`number`: the household's), with
/// `members` the household's current members (for the per-capita figures). Amounts are yuan
/// numbers (`Err`), everything else text (`Ok`).
pub fn year_cells(number: &str, year: i32, r: &YearRecord, members: usize) -> Vec<Result<String, Money>> {
    let g = &r.guarantees;
    let mut out: Vec<Result<String, Money>> = vec![Ok(number.to_owned()), Ok(year.to_string())];
    let i = &r.income;
    let e = &r.rigid_expenses;
    out.extend([i.wages, i.production, i.production_costs, i.property, i.transfers, e.medical, e.education, e.disaster, e.other].map(Err));
    for x in [&g.food_clothing, &g.drinking_water, &g.compulsory_education, &g.basic_medical, &g.housing_safety] {
        out.push(Ok(yes_no(x.ok).to_owned()));
        out.push(Ok(x.reason.clone().unwrap_or_default()));
    }
    out.push(Ok(label("housing", &r.living.housing)));
    out.push(Ok(label("water", &r.living.water)));
    out.extend([r.living.electricity, r.living.paved_road, r.living.broadband].map(|b| Ok(yes_no(b).to_owned())));
    out.extend([i.net(), r.per_capita_net_income(members), r.per_capita_after_rigid_expenses(members)].map(Err));
    out
}

/// The cells of [`MEMBER_YEAR`] for a member's year (empty cells without one).
pub fn member_year_cells(year: Option<(i32, &MemberYear)>) -> Vec<String> {
    let Some((y, m)) = year else { return vec![String::new(); MEMBER_YEAR.len()] };
    vec![
        y.to_string(),
        label("education", &m.education),
        label("health", &m.health),
        m.disability_grade.map(|g| g.to_string()).unwrap_or_default(),
        label("in_school", &m.in_school),
        label("labour_skill", &m.labour_skill),
        label("work_status", &m.work_status),
        m.months_away.to_string(),
        m.medical_insurance.map(|b| yes_no(b).to_owned()).unwrap_or_default(),
        m.pension_insurance.map(|b| yes_no(b).to_owned()).unwrap_or_default(),
        m.work_province.clone().unwrap_or_default(),
        m.work_county.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yearly::tests_support::record;

    fn cells_of(number: &str, year: i32, r: &YearRecord) -> Vec<(&'static str, String)> {
        YEAR.iter().zip(year_cells(number, year, r, 1)).map(|(c, v)| (*c, v.unwrap_or_else(|m| m.to_string()))).collect()
    }

    #[test]
    fn a_record_written_as_cells_reads_back_the_same() {
        let mut r = record("m1");
        r.members.clear();
        r.guarantees.housing_safety = Guarantee { ok: false, reason: Some("土坯房待改造".into()) };
        let cells = cells_of("6108311012010001", 2025, &r);
        let get = |c: &str| cells.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let (year, back) = year_row(&get).unwrap();
        assert_eq!((year, back), (2025, r));
    }

    #[test]
    fn bad_cells_are_refused_under_their_columns() {
        let r = record("m1");
        let mut cells = cells_of("6108311012010001", 2025, &r);
        for (c, v) in cells.iter_mut() {
            match *c {
                "工资性收入" => *v = "12.345".into(),
                "财产性收入" => *v = "-5".into(),
                "住房安全保障" => *v = "否".into(),
                "住房安全保障说明" => v.clear(),
                "饮水" => *v = "河水".into(),
                _ => {}
            }
        }
        let get = |c: &str| cells.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let columns: Vec<&str> = year_row(&get).unwrap_err().into_iter().map(|(c, _)| c).collect();
        assert_eq!(columns, ["工资性收入", "财产性收入", "住房安全保障说明", "饮水"]);
    }

    #[test]
    fn a_members_year_needs_every_indicator_and_a_grade_only_when_disabled() {
        let m = MemberYear { member_id: String::new(), education: "junior".into(), health: "disabled".into(), disability_grade: Some(2), in_school: "not_in_school".into(), labour_skill: "weak".into(), work_status: "out_of_province".into(), months_away: 4, medical_insurance: Some(true), pension_insurance: Some(false), work_province: Some("江苏省".into()), work_county: Some("昆山市".into()) };
        let cells = member_year_cells(Some((2025, &m)));
        let get = |c: &str| MEMBER_YEAR.iter().position(|k| *k == c).map(|i| cells[i].clone()).filter(|v| !v.is_empty());
        assert_eq!(member_year(&get).unwrap(), Some((2025, m)));
        let none = |_: &str| None;
        assert_eq!(member_year(&none).unwrap(), None);
        let partial = |c: &str| (c == "文化程度").then(|| "初中".to_string());
        let missing: Vec<&str> = member_year(&partial).unwrap_err().into_iter().map(|(c, _)| c).collect();
        assert!(missing.contains(&"年度") && missing.contains(&"务工时间"), "{missing:?}");
        let healthy_with_grade = |c: &str| get(c).map(|v| if c == "健康状况" { "healthy".into() } else { v });
        let errs: Vec<&str> = member_year(&healthy_with_grade).unwrap_err().into_iter().map(|(c, _)| c).collect();
        assert_eq!(errs, ["残疾等级"]);
        let county_without_province = |c: &str| if c == "务工省份" { None } else { get(c) };
        let errs: Vec<&str> = member_year(&county_without_province).unwrap_err().into_iter().map(|(c, _)| c).collect();
        assert_eq!(errs, ["务工省份"]);
    }
}
