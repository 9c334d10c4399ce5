//! Assistance 帮扶: pairings 结对 of cadres with households, resident work teams 驻村工作队,
//! and measures 帮扶措施. Dates and amounts are checked here; who may see what is the
//! repository's business.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;
use super::validation::DomainError;

/// The kind of an assistance measure 帮扶措施.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// 产业帮扶 (industry project)
    Industry,
    /// 小额信贷 (micro-credit)
    MicroCredit,
    /// 就业帮扶 (employment)
    Employment,
    /// 公益岗位 (public-welfare job)
    PublicWelfareJob,
    /// 教育帮扶 (education)
    Education,
    /// 健康帮扶 (health)
    Health,
    /// 住房安全 (housing)
    Housing,
    /// 易地搬迁 (relocation)
    Relocation,
    /// 兜底保障 (social security)
    SocialSecurity,
    /// 其他
    Other,
}
super::household::text_enum!(MeasureKind {
    Industry => "industry",
    MicroCredit => "micro_credit",
    Employment => "employment",
    PublicWelfareJob => "public_welfare_job",
    Education => "education",
    Health => "health",
    Housing => "housing",
    Relocation => "relocation",
    SocialSecurity => "social_security",
    Other => "other",
});

/// A new pairing may not start before the household's current one started, nor in the future.
pub fn check_pairing_start(start: NaiveDate, current_start: Option<NaiveDate>, today: NaiveDate) -> Result<(), DomainError> {
    if start > today {
        return Err(DomainError::new("out_of_range", "a pairing cannot start in the future"));
    }
    if let Some(cur) = current_start.filter(|c| start < *c) {
        return Err(DomainError::new(
            "before_current_pairing",
            format!("the household's current pairing started on {cur}: a new one cannot start earlier"),
        ));
    }
    Ok(())
}

/// A pairing ends on or after its start, and not in the future.
pub fn check_pairing_end(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    if end < start {
        return Err(DomainError::new("before_start", format!("the pairing started on {start}")));
    }
    if end > today {
        return Err(DomainError::new("out_of_range", "a pairing cannot be ended in the future"));
    }
    Ok(())
}

/// A term or measure: the end, when known, is not before the start.
pub fn check_period(start: NaiveDate, end: Option<NaiveDate>) -> Result<(), DomainError> {
    match end {
        Some(e) if e < start => Err(DomainError::new("before_start", format!("ends before it starts ({start})"))),
        _ => Ok(()),
    }
}

/// A measure's amount as whole fen (分): non-negative (read so), below 10⁹ yuan.
pub fn amount_cents(amount: Money) -> Result<i64, DomainError> {
    if !(Money::ZERO..Money::yuan(1_000_000_000)).contains(&amount) {
        return Err(DomainError::new("out_of_range", "an amount is between 0 and 999 999 999.99 yuan"));
    }
    Ok(amount.fen())
}

/// Why a household left a cadre's phone (a tombstone of `/sync`): paired with another cadre,
/// its pairing ended, the cadre's account changed, or its village was merged into another.
pub const LEAVING_REASONS: &[&str] = &["re_paired", "unpaired", "cadre_relinked", "village_merged"];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_new_pairing_starts_no_earlier_than_the_current_one_and_not_in_the_future() {
        let today = d("2026-11-22");
        assert!(check_pairing_start(d("2026-05-01"), Some(d("2026-05-01")), today).is_ok());
        assert_eq!(check_pairing_start(d("2026-04-30"), Some(d("2026-05-01")), today).unwrap_err().code, "before_current_pairing");
        assert_eq!(check_pairing_start(d("2026-11-23"), None, today).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn a_pairing_ends_between_its_start_and_today() {
        let today = d("2026-11-22");
        assert!(check_pairing_end(d("2026-01-01"), d("2026-01-01"), today).is_ok());
        assert_eq!(check_pairing_end(d("2026-01-02"), d("2026-01-01"), today).unwrap_err().code, "before_start");
        assert_eq!(check_pairing_end(d("2026-01-01"), d("2026-12-01"), today).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn amounts_are_whole_fen() {
        assert_eq!(amount_cents(Money::yuan(50000)).unwrap(), 5_000_000);
        assert_eq!(amount_cents(Money::from_fen(99_999_999_999)).unwrap(), 99_999_999_999);
        assert_eq!(amount_cents(Money::yuan(1_000_000_000)).unwrap_err().code, "out_of_range");
        assert_eq!(amount_cents(Money::from_fen(-1)).unwrap_err().code, "out_of_range");
    }
}
