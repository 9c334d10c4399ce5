//! EXIF as phones write it, read with `kamadak-exif`, with absurd values reported, not trusted.

use chrono::{FixedOffset, NaiveDateTime};
use exif::{In, Reader, Tag, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifInfo {
    /// DateTimeOriginal as written (local time of the camera).
    pub taken_local: Option<NaiveDateTime>,
    /// OffsetTimeOriginal, when the phone wrote it.
    pub offset: Option<FixedOffset>,
    /// GPS position with its N/S/E/W references applied, when plausible.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// 1 (upright) to 8.
    pub orientation: u16,
    pub make: Option<String>,
    pub model: Option<String>,
    /// What was wrong: `gps_zero`, `gps_out_of_range`, `date_before_2000`, `date_unreadable`, `unreadable`.
    pub anomalies: Vec<String>,
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().map(|s| String::from_utf8_lossy(s).trim_matches(char::from(0)).trim().to_owned()).filter(|s| !s.is_empty()),
        _ => None,
    }
}

fn degrees(exif: &exif::Exif, tag: Tag, reference: Tag, negative: &str) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else { return None };
    let v: Vec<f64> = parts.iter().map(|r| r.to_f64()).collect();
    let deg = v.first()? + v.get(1).unwrap_or(&0.0) / 60.0 + v.get(2).unwrap_or(&0.0) / 3600.0;
    let sign = if ascii(exif, reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
    Some(sign * deg)
}

/// Reads what it can; a photo without EXIF (or with garbage in it) is not an error.
pub fn read(bytes: &[u8]) -> ExifInfo {
    let mut info = ExifInfo { orientation: 1, ..Default::default() };
    let exif = match Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(e) => e,
        Err(exif::Error::NotFound(_)) => return info,
        Err(_) => {
            info.anomalies.push("unreadable".into());
            return info;
        }
    };
    info.make = ascii(&exif, Tag::Make);
    info.model = ascii(&exif, Tag::Model);
    info.orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .map(|o| o as u16)
        .unwrap_or(1);
    if let Some(text) = ascii(&exif, Tag::DateTimeOriginal).or_else(|| ascii(&exif, Tag::DateTime)) {
        match NaiveDateTime::parse_from_str(&text, "%Y:%m:%d %H:%M:%S") {
            Ok(t) if t.and_utc().timestamp() < 946_684_800 => info.anomalies.push("date_before_2000".into()),
            Ok(t) => info.taken_local = Some(t),
            Err(_) => info.anomalies.push("date_unreadable".into()),
        }
    }
    info.offset = ascii(&exif, Tag::OffsetTimeOriginal).and_then(|o| chrono::DateTime::parse_from_str(&format!("2000-01-01T00:00:00{o}"), "%Y-%m-%dT%H:%M:%S%:z").ok()).map(|d| *d.offset());
    let lat = degrees(&exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, "S");
    let lon = degrees(&exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, "W");
    if let (Some(lat), Some(lon)) = (lat, lon) {
        if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            info.anomalies.push("gps_out_of_range".into());
        } else if lat.abs() < 1e-6 && lon.abs() < 1e-6 {
            info.anomalies.push("gps_zero".into());
        } else {
            info.lat = Some(lat);
            info.lon = Some(lon);
        }
    }
    info
}
