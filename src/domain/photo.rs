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
    /// 经修图软件编辑: EXIF `Software`/`ProcessingSoftware` or XMP names an image editor
    EditedSoftware,
    /// 缩略图与照片不符: the preview the camera embedded shows another picture
    ThumbnailMismatch,
    /// 拍摄时间与卫星时间矛盾: EXIF time and the GPS clock disagree
    TimeInconsistent,
    /// 照片位置与手机定位不符: EXIF GPS far from the position the phone reported
    PositionMismatch,
    /// 拍摄后再次保存 (soft): the file was saved long after it was taken
    ModifiedAfterCapture,
    /// 无相机信息 (soft): no Make, Model nor DateTimeOriginal (screenshots, forwarded images)
    NoCameraMetadata,
}

/// The reasons that are traces of editing (counted apart in coverage).
pub const EDIT_TRACES: [Reason; 4] = [Reason::EditedSoftware, Reason::ThumbnailMismatch, Reason::TimeInconsistent, Reason::PositionMismatch];

impl Reason {
    /// The reason's name in the API and in the stored list.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FarFromHome => "far_from_home",
            Reason::NoPosition => "no_position",
            Reason::NoHomeLocation => "no_home_location",
            Reason::TimeMismatch => "time_mismatch",
            Reason::NoExifTime => "no_exif_time",
            Reason::OutsideWindow => "outside_window",
            Reason::Duplicate => "duplicate",
            Reason::ExifAnomaly => "exif_anomaly",
            Reason::EditedSoftware => "edited_software",
            Reason::ThumbnailMismatch => "thumbnail_mismatch",
            Reason::TimeInconsistent => "time_inconsistent",
            Reason::PositionMismatch => "position_mismatch",
            Reason::ModifiedAfterCapture => "modified_after_capture",
            Reason::NoCameraMetadata => "no_camera_metadata",
        }
    }

    /// Soft reasons are shown with the photo but do not send it to review on their own.
    pub fn is_soft(self) -> bool {
        matches!(self, Reason::ModifiedAfterCapture | Reason::NoCameraMetadata)
    }
}

/// Whether reasons send a photo to the township's review (`flagged`): any reason that is not soft.
pub fn needs_review(reasons: &[Reason]) -> bool {
    reasons.iter().any(|r| !r.is_soft())
}

/// Image editors, desktop and phone, as they name themselves in `Software`, `CreatorTool` and
/// XMP history (matched case-insensitively as parts of the name). A phone's firmware or camera
/// app (build ids, iOS versions, "HDR+ 1.0…", maker firmware) names none of them.
pub const DEFAULT_EDITORS: &[&str] = &[
    "photoshop",
    "lightroom",
    "gimp",
    "paint.net",
    "snapseed",
    "picsart",
    "meitu",
    "美图",
    "醒图",
    "retouch",
    "perfectly clear",
    "windows photo viewer",
    "windows photo editor",
    "photoscape",
    "pixlr",
    "fotor",
    "polarr",
    "facetune",
    "picasa",
    "acdsee",
    "affinity photo",
    "luminar",
    "canva",
    "vsco",
    "photodirector",
    "光影魔术手",
    "天天p图",
    "wps图片",
];

#[derive(Debug, Clone)]
pub struct CheckRules {
    pub near_home_m: f64,
    pub time_tolerance: chrono::Duration,
    /// Month and day of the collection window within the year, inclusive.
    pub window: ((u32, u32), (u32, u32)),
    /// Names of image editors, lower case, matched as parts of a software name.
    pub editors: Vec<String>,
    /// A preview differing from the picture by more bits than this (of 256) does not match.
    pub thumbnail_max_bits: u32,
    /// EXIF time and the GPS clock may differ by this much (a phone's last fix can be older).
    pub gps_time_tolerance: chrono::Duration,
    /// EXIF GPS and the phone's reported position may be this far apart (metres).
    pub position_mismatch_m: f64,
    /// A file saved this long after it was taken was modified after capture.
    pub modified_after: chrono::Duration,
}

impl Default for CheckRules {
    fn default() -> Self {
        Self {
            near_home_m: 100.0,
            time_tolerance: chrono::Duration::minutes(30),
            window: ((1, 1), (12, 31)),
            editors: DEFAULT_EDITORS.iter().map(|e| (*e).to_owned()).collect(),
            thumbnail_max_bits: crate::photos::preview::DEFAULT_MAX_BITS,
            gps_time_tolerance: chrono::Duration::minutes(30),
            position_mismatch_m: 150.0,
            modified_after: chrono::Duration::minutes(60),
        }
    }
}

impl CheckRules {
    /// The first software name that names an editor of the list.
    pub fn editor<'a>(&self, software: &'a [String]) -> Option<&'a str> {
        software.iter().map(String::as_str).find(|name| {
            let name = name.to_lowercase();
            self.editors.iter().any(|e| !e.is_empty() && name.contains(e.as_str()))
        })
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
    /// Software names the file carries (EXIF and XMP).
    pub software: Vec<String>,
    /// Bits by which the embedded preview differs from the picture, when it has one.
    pub thumbnail_distance: Option<u32>,
    /// The GPS clock's time of the fix (UTC).
    pub gps_time: Option<DateTime<Utc>>,
    /// `ModifyDate`, in the camera's local time like `exif_local`.
    pub exif_modified_local: Option<chrono::NaiveDateTime>,
    /// Whether the file names a camera (Make, Model or DateTimeOriginal).
    pub camera_metadata: bool,
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
    /// The software name that named an editor.
    pub editor: Option<String>,
    /// Seconds between the EXIF time and the GPS clock (EXIF minus GPS), when both are known.
    pub gps_time_offset_s: Option<i64>,
    /// Metres between the EXIF GPS and the phone's reported position, when both are known.
    pub app_distance_m: Option<f64>,
    /// Minutes between the capture and the last save (`ModifyDate`), when both are known.
    pub modified_after_min: Option<i64>,
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
    let editor = rules.editor(&e.software).map(str::to_owned);
    if editor.is_some() {
        reasons.push(Reason::EditedSoftware);
    }
    if e.thumbnail_distance.is_some_and(|d| d > rules.thumbnail_max_bits) {
        reasons.push(Reason::ThumbnailMismatch);
    }
    let gps_time_offset = exif_time.zip(e.gps_time).map(|(t, g)| t - g);
    if gps_time_offset.is_some_and(|d| d.abs() > rules.gps_time_tolerance) {
        reasons.push(Reason::TimeInconsistent);
    }
    let app_distance = e.exif_position.zip(e.app_position).map(|(p, a)| (distance_m(p, a) * 10.0).round() / 10.0);
    if app_distance.is_some_and(|d| d > rules.position_mismatch_m) {
        reasons.push(Reason::PositionMismatch);
    }
    let modified_after = e.exif_local.zip(e.exif_modified_local).map(|(taken, saved)| saved - taken);
    if modified_after.is_some_and(|d| d > rules.modified_after) {
        reasons.push(Reason::ModifiedAfterCapture);
    }
    if !e.camera_metadata {
        reasons.push(Reason::NoCameraMetadata);
    }
    Checks {
        position,
        position_source,
        distance_m: distance,
        near_home,
        exif_taken_at: exif_time,
        time_ok,
        has_exif_gps: e.exif_position.is_some(),
        editor,
        gps_time_offset_s: gps_time_offset.map(|d| d.num_seconds()),
        app_distance_m: app_distance,
        modified_after_min: modified_after.map(|d| d.num_minutes()),
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
            software: vec!["ALN-AL00 4.0.0.130(C00E120R2P4)".into()],
            thumbnail_distance: Some(4),
            gps_time: None,
            exif_modified_local: None,
            camera_metadata: true,
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

#[cfg(test)]
mod authenticity_tests {
    use super::*;

    const HOME: LatLon = LatLon { lat: 37.6106, lon: 110.0351 };

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn local(s: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// A phone photo straight from the camera: firmware name, matching preview, GPS clock and
    /// EXIF time together, EXIF GPS where the phone said it was.
    fn honest() -> Evidence {
        Evidence {
            taken_at: at("2026-11-20T10:00:00+08:00"),
            exif_local: Some(local("2026-11-20 10:00:05")),
            exif_offset: FixedOffset::east_opt(8 * 3600),
            exif_position: Some(HOME),
            app_position: Some(LatLon { lat: 37.6107, lon: 110.0351 }),
            exif_anomalies: false,
            home: Some(HOME),
            duplicates: false,
            software: vec!["HDR+ 1.0.199571065z".into(), "iPhone 14 Pro 17.1.2".into()],
            thumbnail_distance: Some(3),
            gps_time: Some(at("2026-11-20T02:00:03Z")),
            exif_modified_local: Some(local("2026-11-20 10:00:05")),
            camera_metadata: true,
        }
    }

    fn run(e: &Evidence) -> Checks {
        check(&CheckRules::default(), e, at("2026-11-22T10:00:00+08:00"), chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn a_photo_straight_from_the_phone_has_no_reason() {
        let c = run(&honest());
        assert_eq!(c.reasons, vec![]);
        assert_eq!((c.editor, c.gps_time_offset_s, c.modified_after_min), (None, Some(2), Some(0)));
        assert!(c.app_distance_m.unwrap() < 20.0);
    }

    #[test]
    fn editors_are_named_in_any_case_and_firmware_is_not_an_editor() {
        let rules = CheckRules::default();
        for name in ["Adobe Photoshop 25.0 (Windows)", "GIMP 2.10.34", "Snapseed 2.0", "PicsArt", "MEITU", "美图秀秀", "醒图", "Perfectly Clear Complete", "Microsoft Windows Photo Viewer 6.1.7600.16385", "paint.net 5.0.9", "Adobe Lightroom Mobile"] {
            assert!(rules.editor(&[name.to_owned()]).is_some(), "{name}");
        }
        for name in ["ALN-AL00 4.0.0.130(C00E120R2P4)", "HDR+ 1.0.199571065z", "17.1.2", "G991BXXU5CVLL", "MediaTek Camera Application", "V14.0.6.0.TMACNXM", "Android RP1A.200720.012", "Xiaomi 13 Camera"] {
            assert_eq!(rules.editor(&[name.to_owned()]), None, "{name}");
        }
        let mut e = honest();
        e.software.push("Adobe Photoshop Lightroom Classic 13.0".into());
        let c = run(&e);
        assert_eq!((c.reasons.clone(), c.editor.as_deref()), (vec![Reason::EditedSoftware], Some("Adobe Photoshop Lightroom Classic 13.0")));
        // The list is the configuration's.
        let rules = CheckRules { editors: vec!["hdr+".into()], ..CheckRules::default() };
        assert_eq!(check(&rules, &honest(), at("2026-11-22T10:00:00+08:00"), chrono_tz::Asia::Shanghai).reasons, vec![Reason::EditedSoftware]);
    }

    #[test]
    fn a_preview_beyond_the_threshold_does_not_match() {
        let mut e = honest();
        e.thumbnail_distance = Some(CheckRules::default().thumbnail_max_bits);
        assert_eq!(run(&e).reasons, vec![]);
        e.thumbnail_distance = Some(CheckRules::default().thumbnail_max_bits + 1);
        assert_eq!(run(&e).reasons, vec![Reason::ThumbnailMismatch]);
        e.thumbnail_distance = None;
        assert_eq!(run(&e).reasons, vec![], "no preview, nothing to compare");
    }

    #[test]
    fn the_gps_clock_is_compared_with_the_exif_time_and_its_offset() {
        let mut e = honest();
        // Written as UTC+5 with its offset: the same instant as the GPS clock.
        e.exif_local = Some(local("2026-11-20 07:00:05"));
        e.exif_modified_local = e.exif_local;
        e.exif_offset = FixedOffset::east_opt(5 * 3600);
        assert_eq!(run(&e).reasons, vec![], "the offset explains the difference");
        // The EXIF time retouched by two hours (the stated time follows it).
        let mut e = honest();
        e.exif_local = Some(local("2026-11-20 12:00:05"));
        e.taken_at = at("2026-11-20T12:00:00+08:00");
        let c = run(&e);
        assert_eq!(c.reasons, vec![Reason::TimeInconsistent]);
        assert_eq!(c.gps_time_offset_s, Some(2 * 3600 + 2));
        // Without an offset the service's zone is assumed, as for the stated time.
        let mut e = honest();
        e.exif_offset = None;
        assert_eq!(run(&e).reasons, vec![]);
    }

    #[test]
    fn exif_gps_far_from_the_phones_position_is_a_mismatch() {
        let mut e = honest();
        // 300 m north of the home, where the phone said it was.
        e.app_position = Some(LatLon { lat: HOME.lat + 0.0027, lon: HOME.lon });
        let c = run(&e);
        assert_eq!(c.reasons, vec![Reason::PositionMismatch]);
        assert!((290.0..310.0).contains(&c.app_distance_m.unwrap()), "{:?}", c.app_distance_m);
        e.app_position = None;
        assert_eq!(run(&e).reasons, vec![], "nothing to compare");
    }

    #[test]
    fn reason_names_are_those_of_the_api() {
        use Reason::*;
        for r in [FarFromHome, NoPosition, NoHomeLocation, TimeMismatch, NoExifTime, OutsideWindow, Duplicate, ExifAnomaly, EditedSoftware, ThumbnailMismatch, TimeInconsistent, PositionMismatch, ModifiedAfterCapture, NoCameraMetadata] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!(EDIT_TRACES.iter().all(|r| !r.is_soft()));
    }

    #[test]
    fn soft_reasons_are_shown_and_do_not_send_to_review() {
        let mut e = honest();
        e.exif_modified_local = Some(local("2026-11-21 09:00:00"));
        let c = run(&e);
        assert_eq!((c.reasons.clone(), c.modified_after_min), (vec![Reason::ModifiedAfterCapture], Some(23 * 60 - 1)));
        assert!(!needs_review(&c.reasons));
        e.exif_modified_local = Some(local("2026-11-20 10:30:00"));
        assert_eq!(run(&e).reasons, vec![], "saved within the hour");
        let mut e = honest();
        e.camera_metadata = false;
        assert_eq!(run(&e).reasons, vec![Reason::NoCameraMetadata]);
        assert!(!needs_review(&[Reason::NoCameraMetadata, Reason::ModifiedAfterCapture]));
        assert!(needs_review(&[Reason::NoCameraMetadata, Reason::ThumbnailMismatch]));
    }
}
