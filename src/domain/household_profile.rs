//! What the national monitoring system keeps about a household beyond its members (信息采集表,
//! 户基本情况): when it was identified, included in monitoring and lifted out, how its risk was
//! eliminated, why it fell back, and the status flags a county plans help with. Stored as one
//! versioned, audited JSON document on the household; every value from a fixed list.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::household::text_enum;
use super::validation::FieldErrors;

/// How a monitoring object's risk was eliminated 消除方式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EliminationWay {
    /// 帮扶消除: by assistance measures
    Assisted,
    /// 自然消除: by itself (income recovered, the hardship passed)
    Natural,
}
text_enum!(EliminationWay { Assisted => "assisted", Natural => "natural" });

/// Status flags a county plans help with (户属性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdFlag {
    /// 低保户: receives the minimum living allowance
    Dibao,
    /// 特困供养(五保)户: supported as extremely poor
    ExtremePoverty,
    /// 易地扶贫搬迁户: relocated for poverty alleviation (with `resettlement_site`)
    Relocated,
    /// 危房改造户: dilapidated house rebuilt
    HouseRenovation,
    /// 残疾人户: a member with a disability certificate
    Disability,
    /// 军烈属户: family of a soldier or martyr
    MilitaryFamily,
}
text_enum!(HouseholdFlag {
    Dibao => "dibao",
    ExtremePoverty => "extreme_poverty",
    Relocated => "relocated",
    HouseRenovation => "house_renovation",
    Disability => "disability",
    MilitaryFamily => "military_family",
});

/// Reasons of falling (back) into poverty 返贫原因: the risk types of cases.
pub const FALLBACK_REASONS: &[&str] = super::household::RISK_TYPES;

/// The household's profile 户基本情况 (all optional: a household registered today has none of
/// it yet), as stored and as answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = HouseholdProfile)]
pub struct Profile {
    /// 识别年度: the year the household was identified (建档立卡).
    pub identified_year: Option<i32>,
    /// 纳入监测时间: the day it was included in monitoring.
    pub monitoring_included_on: Option<NaiveDate>,
    /// 脱贫年度: the year it was lifted out of poverty.
    pub lifted_out_year: Option<i32>,
    /// 风险消除时间: the day its risk was eliminated.
    pub risk_eliminated_on: Option<NaiveDate>,
    /// 消除方式: `assisted` 帮扶消除 or `natural` 自然消除 (with `risk_eliminated_on`).
    pub risk_elimination_way: Option<EliminationWay>,
    /// 返贫原因 of a household included again: `illness` 因病, `disability` 因残, `schooling`
    /// 因学, `disaster` 因灾, `accident` 因意外事故, `unstable_work` 因务工就业不稳,
    /// `high_expenses` 因刚性支出过大, `labour_shortage` 因缺劳力, `other` 其他.
    pub fallback_reason: Option<String>,
    /// 户属性: 低保户 `dibao`, 特困供养(五保)户 `extreme_poverty`, 易地扶贫搬迁户 `relocated`,
    /// 危房改造户 `house_renovation`, 残疾人户 `disability`, 军烈属户 `military_family`.
    #[serde(default)]
    pub flags: Vec<HouseholdFlag>,
    /// 安置点: the resettlement site of a relocated household (required with `relocated`).
    pub resettlement_site: Option<String>,
}

impl Profile {
    /// From the stored JSON (an unreadable document reads as empty; it is written only here).
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// A profile as sent: text values, checked by [`parse`].
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub identified_year: Option<i32>,
    pub monitoring_included_on: Option<NaiveDate>,
    pub lifted_out_year: Option<i32>,
    pub risk_eliminated_on: Option<NaiveDate>,
    pub risk_elimination_way: Option<String>,
    pub fallback_reason: Option<String>,
    pub flags: Vec<String>,
    pub resettlement_site: Option<String>,
}

/// The first year a household can have been identified (建档立卡 began in 2014; earlier
/// registers are carried over with their own year).
const FIRST_YEAR: i32 = 1986;

/// Checks a profile; errors go to `errs` under `prefix` (`profile.flags[1]`, …).
pub fn parse(prefix: &str, p: &ProfileInput, today: NaiveDate, errs: &mut FieldErrors) -> Option<Profile> {
    let before = errs.0.len();
    let field = |name: &str| format!("{prefix}.{name}");
    let year = |name: &str, y: Option<i32>, errs: &mut FieldErrors| {
        if let Some(y) = y.filter(|y| !(FIRST_YEAR..=today.year()).contains(y)) {
            errs.add(field(name), "out_of_range", format!("a year from {FIRST_YEAR} to this year, not {y}"));
        }
    };
    year("identified_year", p.identified_year, errs);
    year("lifted_out_year", p.lifted_out_year, errs);
    if let (Some(i), Some(l)) = (p.identified_year, p.lifted_out_year)
        && l < i
    {
        errs.add(field("lifted_out_year"), "before_identified", "lifted out before it was identified");
    }
    for (name, d) in [("monitoring_included_on", p.monitoring_included_on), ("risk_eliminated_on", p.risk_eliminated_on)] {
        if let Some(d) = d.filter(|d| *d > today || d.year() < FIRST_YEAR) {
            errs.add(field(name), "out_of_range", format!("a date from {FIRST_YEAR} to today, not {d}"));
        }
    }
    if let (Some(i), Some(e)) = (p.monitoring_included_on, p.risk_eliminated_on)
        && e < i
    {
        errs.add(field("risk_eliminated_on"), "before_included", "eliminated before the household was included in monitoring");
    }
    let way = p.risk_elimination_way.as_deref().and_then(|w| errs.check(field("risk_elimination_way"), EliminationWay::parse(w)));
    if p.risk_eliminated_on.is_some() != p.risk_elimination_way.is_some() {
        let missing = if p.risk_eliminated_on.is_some() { "risk_elimination_way" } else { "risk_eliminated_on" };
        errs.add(field(missing), "required", "the date and the way of an elimination go together");
    }
    let fallback_reason = p.fallback_reason.as_deref().map(str::trim).map(str::to_owned);
    if fallback_reason.as_deref().is_some_and(|r| !FALLBACK_REASONS.contains(&r)) {
        errs.add(field("fallback_reason"), "invalid_value", format!("must be one of: {}", FALLBACK_REASONS.join(", ")));
    }
    let mut flags = Vec::new();
    for (i, f) in p.flags.iter().enumerate() {
        let name = format!("{prefix}.flags[{i}]");
        match HouseholdFlag::parse(f.trim()) {
            Ok(flag) if flags.contains(&flag) => errs.add(name, "duplicate", "each flag once"),
            Ok(flag) => flags.push(flag),
            Err(e) => errs.add(name, e.code, e.message),
        }
    }
    let site = p.resettlement_site.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    match (flags.contains(&HouseholdFlag::Relocated), &site) {
        (true, None) => errs.add(field("resettlement_site"), "required", "the resettlement site 安置点 of a relocated household"),
        (false, Some(_)) => errs.add(field("resettlement_site"), "not_relocated", "only a relocated household (flag relocated) has a resettlement site"),
        _ => {}
    }
    if site.as_deref().is_some_and(|s| s.chars().count() > 100) {
        errs.add(field("resettlement_site"), "too_long", "at most 100 characters");
    }
    if errs.0.len() > before {
        return None;
    }
    Some(Profile {
        identified_year: p.identified_year,
        monitoring_included_on: p.monitoring_included_on,
        lifted_out_year: p.lifted_out_year,
        risk_eliminated_on: p.risk_eliminated_on,
        risk_elimination_way: way,
        fallback_reason,
        flags,
        resettlement_site: site,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    fn check(p: ProfileInput) -> Result<Profile, Vec<(String, String)>> {
        let mut errs = FieldErrors::default();
        parse("profile", &p, today(), &mut errs).ok_or_else(|| errs.0.iter().map(|e| (e.field.clone(), e.code.clone())).collect())
    }

    #[test]
    fn a_full_profile_is_kept_as_given() {
        let p = check(ProfileInput {
            identified_year: Some(2014),
            monitoring_included_on: NaiveDate::from_ymd_opt(2021, 3, 1),
            lifted_out_year: Some(2019),
            risk_eliminated_on: NaiveDate::from_ymd_opt(2023, 12, 20),
            risk_elimination_way: Some("assisted".into()),
            fallback_reason: Some("illness".into()),
            flags: vec!["dibao".into(), "relocated".into()],
            resettlement_site: Some(" 城南安置小区 ".into()),
        })
        .unwrap();
        assert_eq!(p.flags, [HouseholdFlag::Dibao, HouseholdFlag::Relocated]);
        assert_eq!(p.resettlement_site.as_deref(), Some("城南安置小区"));
        assert_eq!(Profile::from_stored(&p.to_stored()), p);
        assert_eq!(check(ProfileInput::default()).unwrap(), Profile::default());
    }

    #[test]
    fn each_bad_value_is_refused_with_its_field() {
        let errs = check(ProfileInput {
            identified_year: Some(2020),
            lifted_out_year: Some(2019),
            monitoring_included_on: NaiveDate::from_ymd_opt(2027, 1, 1),
            risk_elimination_way: Some("magic".into()),
            fallback_reason: Some("bad_luck".into()),
            flags: vec!["dibao".into(), "dibao".into(), "rich".into()],
            ..Default::default()
        })
        .unwrap_err();
        let has = |f: &str, c: &str| errs.iter().any(|(ef, ec)| ef == f && ec == c);
        assert!(has("profile.lifted_out_year", "before_identified"), "{errs:?}");
        assert!(has("profile.monitoring_included_on", "out_of_range"), "{errs:?}");
        assert!(has("profile.risk_elimination_way", "invalid_value"), "{errs:?}");
        assert!(has("profile.risk_eliminated_on", "required"), "{errs:?}");
        assert!(has("profile.fallback_reason", "invalid_value"), "{errs:?}");
        assert!(has("profile.flags[1]", "duplicate"), "{errs:?}");
        assert!(has("profile.flags[2]", "invalid_value"), "{errs:?}");
    }

    #[test]
    fn a_resettlement_site_goes_with_the_relocated_flag_only() {
        let relocated = ProfileInput { flags: vec!["relocated".into()], ..Default::default() };
        assert!(check(relocated).unwrap_err().contains(&("profile.resettlement_site".into(), "required".into())));
        let site_only = ProfileInput { resettlement_site: Some("安置点".into()), ..Default::default() };
        assert!(check(site_only).unwrap_err().contains(&("profile.resettlement_site".into(), "not_relocated".into())));
    }
}
