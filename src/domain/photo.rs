//! Household photos as proof of a home visit: the six kinds, and the checks that say whether a
//! photo was taken at the home, at the stated time.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::geo::{LatLon, distance_m};

/// What a photo shows (seed 000, steps 6 and 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// 户主与帮扶干部在门口
    DoorWithCadre,
    /// 在灶台
    StoveWithCadre,
    /// 在堂屋 / 客厅
    HallWithCadre,
    /// 在卧室
    BedroomWithCadre,
    /// 全家在门口
    FamilyAtDoor,
    /// 明白卡
    UnderstandingCard,
}
super::household::text_enum!(PhotoKind {
    DoorWithCadre => "door_with_cadre",
    StoveWithCadre => "stove_with_cadre",
    HallWithCadre => "hall_with_cadre",
    BedroomWithCadre => "bedroom_with_cadre",
    FamilyAtDoor => "family_at_door",
    UnderstandingCard => "understanding_card",
});

/// Why a photo needs a reviewer's eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 距住户过远: taken farther from the recorded home than allowed
    FarFromHome,
    /// 无位置: neither EXIF GPS nor a position from the app
    NoPosition,
    /// 住户未定位: the household has no accepted home to compare with
    NoHomeLocation,
    /// 时间不符: EXIF time differs from the stated time
    TimeMismatch,
    /// 无拍摄时间: no readable EXIF time
    NoExifTime,
    /// 不在采集期: outside the collection window of the year
    OutsideWindow,
    /// 重复照片: the same or a near-identical picture exists for another household
    Duplicate,
    /// EXIF values that cannot be true (GPS 0,0, latitude beyond 90°, dates before 2000 or ahead)
    ExifAnomaly,
}

#[derive(Debug, Clone)]
pub struct CheckRules {
    pub near_home_m: f64,
    pub time_tolerance: chrono::Duration,
    /// Month and day of the collection window within the year, inclusive.
    pub window: ((u32, u32), (u32, u32)),
}

impl Default for CheckRules {
    fn default() -> Self {
        Self { near_home_m: 100.0, time_tolerance: chrono::Duration::minutes(30), window: ((1, 1), (12, 31)) }
    }
}

/// What the checks need to know about a photo.
pub struct Evidence {
    /// The stated time (from the app).
    pub taken_at: DateTime<Utc>,
    /// EXIF DateTimeOriginal and its offset (if the phone wrote one).
    pub exif_local: Option<chrono::NaiveDateTime>,
    pub exif_offset: Option<FixedOffset>,
    pub exif_position: Option<LatLon>,
    /// Position sent by the app, in WGS-84.
    pub app_position: Option<LatLon>,
    pub exif_anomalies: bool,
    pub home: Option<LatLon>,
    pub duplicates: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checks {
    pub position: Option<LatLon>,
    /// `exif` or `app`.
    pub position_source: Option<&'static str>,
    pub distance_m: Option<f64>,
    pub near_home: Option<bool>,
    pub exif_taken_at: Option<DateTime<Utc>>,
    pub time_ok: bool,
    pub has_exif_gps: bool,
    pub reasons: Vec<Reason>,
}

/// The campaign year a photo counts for: its stated date in the service zone.
pub fn year_of(taken_at: DateTime<Utc>, tz: chrono_tz::Tz) -> i32 {
    taken_at.with_timezone(&tz).year()
}

pub fn check(rules: &CheckRules, e: &Evidence, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Checks {
    let mut reasons = Vec::new();
    let (position, position_source) = match (e.exif_position, e.app_position) {
        (Some(p), _) => (Some(p), Some("exif")),
        (None, Some(p)) => (Some(p), Some("app")),
        _ => (None, None),
    };
    let distance = position.zip(e.home).map(|(p, h)| (distance_m(p, h) * 10.0).round() / 10.0);
    let near_home = distance.map(|d| d <= rules.near_home_m);
    match (position, e.home, near_home) {
        (None, _, _) => reasons.push(Reason::NoPosition),
        (Some(_), None, _) => reasons.push(Reason::NoHomeLocation),
        (_, _, Some(false)) => reasons.push(Reason::FarFromHome),
        _ => {}
    }
    let exif_time = e.exif_local.and_then(|local| match e.exif_offset {
        Some(off) => off.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)),
        None => tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)),
    });
    let mut anomalies = e.exif_anomalies;
    let mut time_ok = true;
    match exif_time {
        None => {
            time_ok = false;
            reasons.push(Reason::NoExifTime);
        }
        Some(t) if t > now + chrono::Duration::hours(1) => {
            time_ok = false;
            anomalies = true;
        }
        Some(t) if (t - e.taken_at).abs() > rules.time_tolerance => {
            time_ok = false;
            reasons.push(Reason::TimeMismatch);
        }
        Some(_) => {}
    }
    let local = e.taken_at.with_timezone(&tz).date_naive();
    let in_window = |(m, d): (u32, u32)| NaiveDate::from_ymd_opt(local.year(), m, d);
    if let (Some(start), Some(end)) = (in_window(rules.window.0), in_window(rules.window.1)) {
        if local < start || local > end {
            time_ok = false;
            reasons.push(Reason::OutsideWindow);
        }
    }
    if anomalies {
        reasons.push(Reason::ExifAnomaly);
    }
    if e.duplicates {
        reasons.push(Reason::Duplicate);
    }
    Checks {
        position,
        position_source,
        distance_m: distance,
        near_home,
        exif_taken_at: exif_time,
        time_ok,
        has_exif_gps: e.exif_position.is_some(),
        reasons,
    }
}

/// A photo's status: `ok` or `flagged` as checked on upload, then `accepted` or `rejected` by
/// the township's review.
pub const STATUSES: &[&str] = &["ok", "flagged", "accepted", "rejected"];
/// The statuses the upload's checks give.
pub const CHECK_STATUSES: &[&str] = &["ok", "flagged"];
/// Where the position a photo was checked with came from: its EXIF GPS or the app's fix.
pub const POSITION_SOURCES: &[&str] = &["exif", "app"];
/// A reviewer's decisions.
pub const DECISIONS: &[&str] = &["accepted", "rejected"];

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: LatLon = LatLon { lat: 37.6106, lon: 110.0351 };

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn evidence() -> Evidence {
        Evidence {
            taken_at: at("2026-11-20T10:00:00+08:00"),
            exif_local: Some(at("2026-11-20T10:02:00+08:00").with_timezone(&chrono_tz::Asia::Shanghai).naive_local()),
            exif_offset: None,
            exif_position: Some(LatLon { lat: 37.6107, lon: 110.0352 }),
            app_position: None,
            exif_anomalies: false,
            home: Some(HOME),
            duplicates: false,
        }
    }

    fn run(e: &Evidence) -> Checks {
        check(&CheckRules::default(), e, at("2026-11-22T10:00:00+08:00"), chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn a_photo_at_home_at_the_stated_time_passes() {
        let c = run(&evidence());
        assert_eq!(c.reasons, vec![]);
        assert!(c.near_home == Some(true) && c.time_ok && c.has_exif_gps);
        assert!(c.distance_m.unwrap() < 20.0);
        assert_eq!(c.position_source, Some("exif"));
    }

    #[test]
    fn exif_time_without_offset_is_read_in_the_service_zone_and_with_offset_as_written() {
        let mut e = evidence();
        e.exif_local = Some(at("2026-11-20T02:00:00Z").naive_utc());
        e.exif_offset = Some(FixedOffset::east_opt(0).unwrap());
        assert!(run(&e).time_ok);
        e.exif_offset = None;
        assert_eq!(run(&e).reasons, vec![Reason::TimeMismatch], "02:00 read as Beijing time is 8 h off");
    }

    #[test]
    fn far_photos_missing_positions_and_homes_are_flagged() {
        let mut e = evidence();
        e.exif_position = Some(LatLon { lat: 37.62, lon: 110.0351 });
        assert_eq!(run(&e).reasons, vec![Reason::FarFromHome]);
        e.exif_position = None;
        e.app_position = Some(HOME);
        let c = run(&e);
        assert_eq!((c.position_source, c.has_exif_gps, c.reasons.clone()), (Some("app"), false, vec![]));
        e.app_position = None;
        assert_eq!(run(&e).reasons, vec![Reason::NoPosition]);
        e.app_position = Some(HOME);
        e.home = None;
        assert_eq!(run(&e).reasons, vec![Reason::NoHomeLocation]);
    }

    #[test]
    fn time_window_future_exif_and_duplicates_are_flagged() {
        let mut e = evidence();
        e.exif_local = None;
        assert_eq!(run(&e).reasons, vec![Reason::NoExifTime]);
        let mut e = evidence();
        e.exif_local = Some(at("2027-06-01T10:00:00+08:00").naive_utc());
        assert_eq!(run(&e).reasons, vec![Reason::ExifAnomaly]);
        let mut e = evidence();
        e.duplicates = true;
        assert_eq!(run(&e).reasons, vec![Reason::Duplicate]);
        let rules = CheckRules { window: ((3, 1), (10, 31)), ..CheckRules::default() };
        let c = check(&rules, &evidence(), at("2026-11-22T10:00:00+08:00"), chrono_tz::Asia::Shanghai);
        assert_eq!(c.reasons, vec![Reason::OutsideWindow]);
    }
}
