//! A member's natural increase and decrease 自然增减: why and when they joined (增加原因,
//! 增加时间) or left (减少原因, 减少时间) and the dates' rules, and a member recorded without an
//! ID number 无户籍人口 with the reason why.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::household::text_enum;
use super::validation::DomainError;
use super::IdNumber;

/// Why a member joined the household 增加原因.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinReason {
    /// 出生
    Birth,
    /// 嫁入 / 婚入
    MarriageIn,
    /// 迁入
    MovedIn,
    /// 其他
    Other,
}
text_enum!(JoinReason { Birth => "birth", MarriageIn => "marriage_in", MovedIn => "moved_in", Other => "other" });

/// Why a member has no ID number recorded 无身份证号码原因 (无户籍人口): listed by the cleaning rule
/// `member_without_id_number` until a number is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoIdReason {
    /// 新生儿未落户: a newborn not yet registered
    NewbornUnregistered,
    /// 无户籍: no household registration 户口
    NoHouseholdRegistration,
    /// 其他
    Other,
}
text_enum!(NoIdReason { NewbornUnregistered => "newborn_unregistered", NoHouseholdRegistration => "no_household_registration", Other => "other" });

/// Who a member is on paper: an ID number, or the reason there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Number(IdNumber),
    Unregistered(NoIdReason),
}

impl Identity {
    pub fn number(&self) -> Option<&IdNumber> {
        match self {
            Identity::Number(n) => Some(n),
            Identity::Unregistered(_) => None,
        }
    }

    pub fn no_id_reason(&self) -> Option<NoIdReason> {
        match self {
            Identity::Number(_) => None,
            Identity::Unregistered(r) => Some(*r),
        }
    }
}

/// A member's joining: the reason and the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub reason: JoinReason,
    pub on: NaiveDate,
}

impl Joined {
    /// The joining as entered: the day defaults to the birth date for a birth, else to today;
    /// not before the member's birth, nor after today.
    pub fn parse(reason: JoinReason, on: Option<NaiveDate>, birth: NaiveDate, today: NaiveDate) -> Result<Self, DomainError> {
        let on = on.unwrap_or(if reason == JoinReason::Birth { birth } else { today });
        if on < birth {
            return Err(DomainError::new("before_birth", format!("a member cannot join before being born ({birth})")));
        }
        if on > today {
            return Err(DomainError::new("in_future", "a joining date cannot be in the future"));
        }
        Ok(Self { reason, on })
    }
}

/// How a member left 减少原因 and when 减少时间 (a member imported as having left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Left {
    pub reason: super::RemovalReason,
    pub on: NaiveDate,
}

/// A leave date 减少时间: not before the birth, nor before the joining, nor after today.
pub fn check_left_on(on: NaiveDate, birth: NaiveDate, joined_on: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if on < birth {
        return Err(DomainError::new("before_birth", format!("a member cannot leave before being born ({birth})")));
    }
    if let Some(j) = joined_on.filter(|j| on < *j) {
        return Err(DomainError::new("before_joining", format!("a member cannot leave before joining ({j})")));
    }
    if on > today {
        return Err(DomainError::new("in_future", "a leave date cannot be in the future"));
    }
    Ok(on)
}

/// A member's identity from what was entered: the ID number (sex and birth date, when given,
/// agreeing with it), or the reason there is none with the sex and birth date given. Every
/// problem under its field: `id_number`, `no_id_reason`, `sex`, `birth_date` (the API's names;
/// the import names its columns).
pub fn identity(number: Option<&str>, no_id_reason: Option<&str>, sex: Option<super::Sex>, birth: Option<NaiveDate>, today: NaiveDate) -> Result<(Identity, super::Sex, NaiveDate), Vec<(&'static str, DomainError)>> {
    use super::household::{member_birth_date, member_sex};
    let mut errs = Vec::new();
    let number = number.map(str::trim).filter(|n| !n.is_empty());
    let no_id = no_id_reason.map(|r| NoIdReason::parse(r).map_err(|e| errs.push(("no_id_reason", e))).ok()).flatten();
    let out = match (number, no_id_reason) {
        (Some(n), given) => {
            if given.is_some() {
                errs.push(("no_id_reason", DomainError::new("not_allowed", "only for a member without an ID number")));
            }
            match IdNumber::parse(n, today) {
                Ok(id) => {
                    let sex = member_sex(&id, sex).map_err(|e| errs.push(("sex", e))).ok();
                    let birth = member_birth_date(&id, birth).map_err(|e| errs.push(("birth_date", e))).ok();
                    sex.zip(birth).map(|(s, b)| (Identity::Number(id), s, b))
                }
                Err(e) => {
                    errs.push(("id_number", e));
                    None
                }
            }
        }
        (None, None) => {
            errs.push(("id_number", DomainError::new("required", "an ID number, or no_id_reason for a member without one (无户籍人口)")));
            None
        }
        (None, Some(_)) => {
            if sex.is_none() {
                errs.push(("sex", DomainError::new("required", "required for a member without an ID number")));
            }
            let birth = match birth {
                Some(b) => check_birth_date(b, today).map_err(|e| errs.push(("birth_date", e))).ok(),
                None => {
                    errs.push(("birth_date", DomainError::new("required", "required for a member without an ID number")));
                    None
                }
            };
            match (no_id, sex, birth) {
                (Some(r), Some(s), Some(b)) => Some((Identity::Unregistered(r), s, b)),
                _ => None,
            }
        }
    };
    match out {
        Some(v) if errs.is_empty() => Ok(v),
        _ => Err(errs),
    }
}

/// A birth date given without an ID number: not in the future.
pub fn check_birth_date(birth: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if birth > today {
        return Err(DomainError::new("in_future", "a birth date cannot be in the future"));
    }
    Ok(birth)
}

/// The statistical year (1 October of the year before – 30 September) a day falls in.
pub fn statistical_year(day: NaiveDate) -> i32 {
    if day.month() >= 10 { day.year() + 1 } else { day.year() }
}

/// Whether a member may appear in the yearly record of `year`: a current one always, one who
/// left only up to the statistical year of the leave (a record of a later year is refused).
pub fn may_appear_in_year(left_on: Option<NaiveDate>, removed: bool, year: i32) -> bool {
    match (removed, left_on) {
        (false, _) => true,
        (true, Some(on)) => year <= statistical_year(on),
        (true, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_joining_is_not_before_birth_nor_in_the_future_and_a_birth_joins_on_its_day() {
        let (birth, today) = (d("2026-03-01"), d("2026-12-05"));
        assert_eq!(Joined::parse(JoinReason::Birth, None, birth, today).unwrap().on, birth);
        assert_eq!(Joined::parse(JoinReason::MovedIn, None, birth, today).unwrap().on, today);
        assert_eq!(Joined::parse(JoinReason::MarriageIn, Some(d("2026-02-28")), birth, today).unwrap_err().code, "before_birth");
        assert_eq!(Joined::parse(JoinReason::Other, Some(d("2026-12-06")), birth, today).unwrap_err().code, "in_future");
    }

    #[test]
    fn a_leave_is_after_birth_and_joining_and_not_in_the_future() {
        let (birth, today) = (d("1990-01-01"), d("2026-12-05"));
        assert!(check_left_on(d("2026-01-01"), birth, Some(d("2020-01-01")), today).is_ok());
        assert_eq!(check_left_on(d("2019-12-31"), birth, Some(d("2020-01-01")), today).unwrap_err().code, "before_joining");
        assert_eq!(check_left_on(d("1989-12-31"), birth, None, today).unwrap_err().code, "before_birth");
        assert_eq!(check_left_on(d("2026-12-06"), birth, None, today).unwrap_err().code, "in_future");
    }

    #[test]
    fn a_member_who_left_appears_in_records_up_to_the_statistical_year_of_the_leave() {
        assert_eq!(statistical_year(d("2025-09-30")), 2025);
        assert_eq!(statistical_year(d("2025-10-01")), 2026);
        assert!(may_appear_in_year(None, false, 2030));
        assert!(may_appear_in_year(Some(d("2025-11-15")), true, 2026));
        assert!(!may_appear_in_year(Some(d("2025-11-15")), true, 2027));
        assert!(!may_appear_in_year(Some(d("2025-03-15")), true, 2026));
        assert!(!may_appear_in_year(None, true, 2020));
    }

    #[test]
    fn reasons_round_trip_through_text() {
        for r in JoinReason::ALL {
            assert_eq!(JoinReason::parse(r.as_str()).unwrap(), *r);
        }
        for r in NoIdReason::ALL {
            assert_eq!(NoIdReason::parse(r.as_str()).unwrap(), *r);
        }
        assert_eq!(NoIdReason::parse("lost").unwrap_err().code, "invalid_value");
    }
}
