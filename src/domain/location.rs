//! Home-location captures: which capture becomes a household's home, and which are flagged.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::geo::{LatLon, distance_m};

/// Configurable thresholds (defaults from the county's practice; see README).
#[derive(Debug, Clone)]
pub struct CaptureRules {
    /// A capture less precise than this never becomes the home (metres).
    pub max_accuracy_m: f64,
    /// Farther than this from the current home: a move, to be confirmed (metres).
    pub move_threshold_m: f64,
    /// Farther than this from the village centre: flagged (metres).
    pub village_radius_m: f64,
    /// Homes a village needs before its centre (their median) is trusted.
    pub village_centre_min_homes: usize,
    /// Tolerated phone clock skew into the future.
    pub clock_skew: Duration,
    /// A capture older than this when it arrives is not made the home (offline for too long).
    pub max_age: Duration,
}

impl Default for CaptureRules {
    fn default() -> Self {
        Self {
            max_accuracy_m: 50.0,
            move_threshold_m: 200.0,
            village_radius_m: 15_000.0,
            village_centre_min_homes: 5,
            clock_skew: Duration::minutes(5),
            max_age: Duration::days(30),
        }
    }
}

/// Why a capture is not simply the home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// 精度不足: accuracy worse than the limit
    LowAccuracy,
    /// 模拟定位: the phone reported a mock location
    MockLocation,
    /// captured_at lies in the future
    FutureTime,
    /// captured_at is too old
    TooOld,
    /// 偏离村庄: far from the village centre
    FarFromVillage,
    /// 搬迁: far from the current home; a village officer must confirm
    Moved,
}

/// What happens to a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureStatus {
    /// Became (or refreshed) the home.
    Home,
    /// A move waiting for a village officer's confirmation.
    PendingMove,
    /// Kept with its flags; not the home.
    Flagged,
    /// A move that was confirmed and became the home.
    Confirmed,
    /// A move that was rejected.
    Rejected,
}

impl CaptureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureStatus::Home => "home",
            CaptureStatus::PendingMove => "pending_move",
            CaptureStatus::Flagged => "flagged",
            CaptureStatus::Confirmed => "confirmed",
            CaptureStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "home" => CaptureStatus::Home,
            "pending_move" => CaptureStatus::PendingMove,
            "confirmed" => CaptureStatus::Confirmed,
            "rejected" => CaptureStatus::Rejected,
            _ => CaptureStatus::Flagged,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Capture {
    /// In WGS-84.
    pub point: LatLon,
    pub accuracy_m: f64,
    pub captured_at: DateTime<Utc>,
    pub mock_location: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub flags: Vec<Flag>,
    pub status: CaptureStatus,
    /// Distance to the current home, when it is a move.
    pub moved_m: Option<f64>,
}

/// Decides a capture against the current home and the village centre (if known).
pub fn assess(rules: &CaptureRules, c: &Capture, now: DateTime<Utc>, home: Option<LatLon>, village_centre: Option<LatLon>) -> Assessment {
    let mut flags = Vec::new();
    if !(c.accuracy_m <= rules.max_accuracy_m) {
        flags.push(Flag::LowAccuracy);
    }
    if c.mock_location {
        flags.push(Flag::MockLocation);
    }
    if c.captured_at > now + rules.clock_skew {
        flags.push(Flag::FutureTime);
    } else if c.captured_at < now - rules.max_age {
        flags.push(Flag::TooOld);
    }
    if village_centre.is_some_and(|v| distance_m(v, c.point) > rules.village_radius_m) {
        flags.push(Flag::FarFromVillage);
    }
    let trustworthy = !flags.iter().any(|f| matches!(f, Flag::LowAccuracy | Flag::MockLocation | Flag::FutureTime | Flag::TooOld));
    let moved = home.map(|h| distance_m(h, c.point)).filter(|d| *d > rules.move_threshold_m);
    if moved.is_some() {
        flags.push(Flag::Moved);
    }
    let status = match (trustworthy, moved) {
        (false, _) => CaptureStatus::Flagged,
        (true, Some(_)) => CaptureStatus::PendingMove,
        (true, None) => CaptureStatus::Home,
    };
    Assessment { flags, status, moved_m: moved.map(|d| (d * 10.0).round() / 10.0) }
}

/// How a phone got a capture's position: a GPS fix, the network's estimate, or a point the
/// cadre picked on a map.
pub const CAPTURE_SOURCES: &[&str] = &["gps", "network", "map_pick"];

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00+08:00").unwrap().with_timezone(&Utc)
    }

    fn capture(lat: f64, lon: f64, accuracy_m: f64) -> Capture {
        Capture { point: LatLon { lat, lon }, accuracy_m, captured_at: now() - Duration::minutes(3), mock_location: false }
    }

    const HOME: LatLon = LatLon { lat: 37.6106, lon: 110.0351 };

    #[test]
    fn a_precise_fresh_capture_becomes_the_first_home() {
        let a = assess(&CaptureRules::default(), &capture(37.6106, 110.0351, 8.0), now(), None, None);
        assert_eq!(a, Assessment { flags: vec![], status: CaptureStatus::Home, moved_m: None });
    }

    #[test]
    fn low_accuracy_mock_and_bad_times_are_kept_flagged_not_home() {
        let rules = CaptureRules::default();
        let a = assess(&rules, &capture(37.6, 110.0, 51.0), now(), None, None);
        assert_eq!((a.flags, a.status), (vec![Flag::LowAccuracy], CaptureStatus::Flagged));
        let mut c = capture(37.6, 110.0, 5.0);
        c.mock_location = true;
        assert_eq!(assess(&rules, &c, now(), None, None).flags, vec![Flag::MockLocation]);
        c.mock_location = false;
        c.captured_at = now() + Duration::days(365);
        assert_eq!(assess(&rules, &c, now(), None, None).flags, vec![Flag::FutureTime]);
        c.captured_at = now() + Duration::minutes(4);
        assert_eq!(assess(&rules, &c, now(), None, None).status, CaptureStatus::Home, "within the clock skew");
        c.captured_at = now() - Duration::days(31);
        assert_eq!(assess(&rules, &c, now(), None, None).flags, vec![Flag::TooOld]);
        let nan = capture(37.6, 110.0, f64::NAN);
        assert_eq!(assess(&rules, &nan, now(), None, None).flags, vec![Flag::LowAccuracy]);
    }

    #[test]
    fn a_capture_far_from_the_home_is_a_move_to_confirm() {
        let rules = CaptureRules::default();
        let near = assess(&rules, &capture(37.6115, 110.0351, 5.0), now(), Some(HOME), None);
        assert_eq!(near.status, CaptureStatus::Home, "100 m: the same home, refreshed");
        let far = assess(&rules, &capture(37.6136, 110.0351, 5.0), now(), Some(HOME), None);
        assert_eq!(far.status, CaptureStatus::PendingMove);
        assert_eq!(far.flags, vec![Flag::Moved]);
        assert!((far.moved_m.unwrap() - 333.6).abs() < 1.0);
    }

    #[test]
    fn far_from_the_village_centre_is_flagged_but_still_decided_on_its_merits() {
        let rules = CaptureRules::default();
        let a = assess(&rules, &capture(37.80, 110.0351, 5.0), now(), None, Some(HOME));
        assert_eq!((a.flags, a.status), (vec![Flag::FarFromVillage], CaptureStatus::Home));
    }
}
