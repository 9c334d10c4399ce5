//! EXIF as phones write it, read with `kamadak-exif`, with absurd values reported, not trusted.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
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
    /// Whether `DateTimeOriginal` was written (`taken_local` may come from `ModifyDate` alone).
    pub has_original_time: bool,
    /// `ModifyDate` (IFD0 `DateTime`) as written: when the file was last saved.
    pub modified_local: Option<NaiveDateTime>,
    /// The GPS clock's time of the fix (`GPSDateStamp` and `GPSTimeStamp`, UTC).
    pub gps_time: Option<DateTime<Utc>>,
    /// What wrote or processed the file: EXIF `Software` and `ProcessingSoftware`, XMP
    /// `CreatorTool` and the `softwareAgent`s of its history (at most [`MAX_SOFTWARE`]).
    pub software: Vec<String>,
    /// The JPEG preview embedded in IFD1 (`JPEGInterchangeFormat`/`Length`), as stored.
    pub thumbnail: Option<Vec<u8>>,
    /// What was wrong: `gps_zero`, `gps_out_of_range`, `date_before_2000`, `date_unreadable`, `unreadable`.
    pub anomalies: Vec<String>,
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().map(|s| String::from_utf8_lossy(s).trim_matches(char::from(0)).trim().to_owned()).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// Degrees from the three (degrees, minutes, seconds) rationals of a GPS tag. Phones write them
/// as RATIONAL (the standard) or as SRATIONAL, some with the sign on the degrees; the reference
/// (`S`, `W`) makes the value negative, and a negative value stays negative without one.
fn degrees(exif: &exif::Exif, tag: Tag, reference: Tag, negative: &str) -> Option<f64> {
    let v: Vec<f64> = match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(parts) => parts.iter().map(|r| r.to_f64()).collect(),
        Value::SRational(parts) => parts.iter().map(|r| r.to_f64()).collect(),
        _ => return None,
    };
    let negative_value = v.iter().any(|x| *x < 0.0);
    let deg = v.first()?.abs() + v.get(1).map_or(0.0, |m| m.abs()) / 60.0 + v.get(2).map_or(0.0, |s| s.abs()) / 3600.0;
    let negative_ref = ascii(exif, reference).is_some_and(|r| r.eq_ignore_ascii_case(negative));
    Some(if negative_ref || negative_value { -deg } else { deg })
}

/// Fractional seconds of `SubSecTimeOriginal` ("123" → 0.123 s), when written.
fn subsec(exif: &exif::Exif) -> Option<chrono::Duration> {
    let digits: String = ascii(exif, Tag::SubSecTimeOriginal)?.chars().take_while(char::is_ascii_digit).take(9).collect();
    if digits.is_empty() {
        return None;
    }
    let nanos: i64 = format!("{digits:0<9}").parse().ok()?;
    Some(chrono::Duration::nanoseconds(nanos))
}

/// The XMP packet of a JPEG (an APP1 segment named `http://ns.adobe.com/xap/1.0/`), as text.
fn xmp_packet(bytes: &[u8]) -> Option<String> {
    const NAME: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let body = bytes.get(i + 4..i + 2 + len)?;
        if marker == 0xE1 && body.starts_with(NAME) {
            return Some(String::from_utf8_lossy(&body[NAME.len()..]).into_owned());
        }
        i += 2 + len;
    }
    None
}

/// An XMP property written as an attribute (`exif:GPSLatitude="…"`) or an element.
fn xmp_property<'a>(xmp: &'a str, name: &str) -> Option<&'a str> {
    if let Some(at) = xmp.find(&format!("{name}=\"")) {
        let rest = &xmp[at + name.len() + 2..];
        return rest.find('"').map(|end| &rest[..end]);
    }
    let open = format!("<{name}>");
    let at = xmp.find(&open)?;
    let rest = &xmp[at + open.len()..];
    rest.find('<').map(|end| rest[..end].trim())
}

/// XMP's GPS coordinate ("DDD,MM.mmmmK" or "DDD,MM,SSK", K one of N S E W).
fn xmp_degrees(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, reference) = text.split_at(text.len().checked_sub(1)?);
    let reference = reference.to_ascii_uppercase();
    if !matches!(reference.as_str(), "N" | "S" | "E" | "W") {
        return None;
    }
    let parts: Vec<f64> = number.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let deg = match parts.as_slice() {
        [d, m] => d + m / 60.0,
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        _ => return None,
    };
    Some(if matches!(reference.as_str(), "S" | "W") { -deg } else { deg })
}

/// Software names kept per photo (an XMP history may list hundreds of steps).
pub const MAX_SOFTWARE: usize = 16;
/// Longest software name kept (characters).
const MAX_NAME: usize = 120;
/// `ProcessingSoftware` (0x000B), which kamadak-exif does not name.
const PROCESSING_SOFTWARE: Tag = Tag(exif::Context::Tiff, 0x000B);

/// Every value of an XMP property, as attributes or elements, in order, at most `max` of them
/// (a bounded scan of the text: no XML parser for a handful of names).
fn xmp_values(xmp: &str, name: &str, max: usize) -> Vec<String> {
    let (attr, open, close) = (format!("{name}=\""), format!("<{name}>"), format!("</{name}>"));
    let mut found: Vec<(usize, String)> = Vec::new();
    for (at, _) in xmp.match_indices(&attr).take(max) {
        let rest = &xmp[at + attr.len()..];
        if let Some(end) = rest.find('"') {
            found.push((at, rest[..end].to_owned()));
        }
    }
    for (at, _) in xmp.match_indices(&open).take(max) {
        let rest = &xmp[at + open.len()..];
        if let Some(end) = rest.find(&close).or_else(|| rest.find('<')) {
            found.push((at, rest[..end].to_owned()));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, v)| unescape(v.trim())).filter(|v| !v.is_empty()).take(max).collect()
}

/// The five predefined XML entities (a name like "Snap &amp; Edit").
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Adds a software name unless it is empty, already there, or the list is full.
fn push_software(list: &mut Vec<String>, name: &str) {
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME).collect();
    if !name.is_empty() && list.len() < MAX_SOFTWARE && !list.contains(&name) {
        list.push(name);
    }
}

/// UTC time of the GPS fix: `GPSDateStamp` ("YYYY:MM:DD") and `GPSTimeStamp` (three rationals).
fn gps_time(exif: &exif::Exif) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(&ascii(exif, Tag::GPSDateStamp)?, "%Y:%m:%d").ok()?;
    let parts: Vec<f64> = match &exif.get_field(Tag::GPSTimeStamp, In::PRIMARY)?.value {
        Value::Rational(v) => v.iter().map(|r| r.to_f64()).collect(),
        _ => return None,
    };
    let [h, m, s] = parts.get(..3)?.try_into().ok()?;
    if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..61.0).contains(&s) {
        return None;
    }
    let secs = (h.floor() * 3600.0 + m.floor() * 60.0 + s).round() as i64;
    // A crafted date at the end of chrono's range must not overflow (it would panic).
    date.and_time(NaiveTime::MIN).and_utc().checked_add_signed(chrono::Duration::seconds(secs))
}

/// The IFD1 JPEG preview, when its offset and length lie inside the EXIF data and it starts
/// like a JPEG.
fn embedded_thumbnail(exif: &exif::Exif) -> Option<Vec<u8>> {
    let offset = exif.get_field(Tag::JPEGInterchangeFormat, In::THUMBNAIL)?.value.get_uint(0)? as usize;
    let length = exif.get_field(Tag::JPEGInterchangeFormatLength, In::THUMBNAIL)?.value.get_uint(0)? as usize;
    let bytes = exif.buf().get(offset..offset.checked_add(length)?)?;
    bytes.starts_with(&[0xFF, 0xD8]).then(|| bytes.to_vec())
}

/// Reads what it can; a photo without EXIF (or with garbage in it) is not an error.
pub fn read(bytes: &[u8]) -> ExifInfo {
    let mut info = ExifInfo { orientation: 1, ..Default::default() };
    let exif = match Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(e) => Some(e),
        Err(exif::Error::NotFound(_)) => None,
        Err(_) => {
            info.anomalies.push("unreadable".into());
            None
        }
    };
    let (mut lat, mut lon) = (None, None);
    if let Some(exif) = &exif {
        info.make = ascii(exif, Tag::Make);
        info.model = ascii(exif, Tag::Model);
        info.orientation = exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .filter(|o| (1..=8).contains(o))
            .map(|o| o as u16)
            .unwrap_or(1);
        let original = ascii(exif, Tag::DateTimeOriginal);
        info.has_original_time = original.is_some();
        info.modified_local = ascii(exif, Tag::DateTime).and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y:%m:%d %H:%M:%S").ok());
        info.gps_time = gps_time(exif);
        for tag in [Tag::Software, PROCESSING_SOFTWARE] {
            if let Some(name) = ascii(exif, tag) {
                push_software(&mut info.software, &name);
            }
        }
        info.thumbnail = embedded_thumbnail(exif);
        if let Some(text) = original.clone().or_else(|| ascii(exif, Tag::DateTime)) {
            match NaiveDateTime::parse_from_str(&text, "%Y:%m:%d %H:%M:%S") {
                Ok(t) if t.and_utc().timestamp() < 946_684_800 => info.anomalies.push("date_before_2000".into()),
                Ok(t) => info.taken_local = Some(t + original.as_ref().and_then(|_| subsec(exif)).unwrap_or_default()),
                Err(_) => info.anomalies.push("date_unreadable".into()),
            }
        }
        // The zone the phone wrote ("+08:00"); without it the service's zone is assumed.
        info.offset = ascii(exif, Tag::OffsetTimeOriginal)
            .and_then(|o| chrono::DateTime::parse_from_str(&format!("2000-01-01T00:00:00{o}"), "%Y-%m-%dT%H:%M:%S%:z").ok())
            .map(|d| *d.offset());
        lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, "S");
        lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, "W");
    }
    if let Some(xmp) = xmp_packet(bytes) {
        // Some phones and apps write the position only in XMP.
        if lat.is_none() || lon.is_none() {
            lat = xmp_property(&xmp, "exif:GPSLatitude").and_then(xmp_degrees);
            lon = xmp_property(&xmp, "exif:GPSLongitude").and_then(xmp_degrees);
        }
        for name in ["xmp:CreatorTool", "stEvt:softwareAgent"] {
            for value in xmp_values(&xmp, name, MAX_SOFTWARE) {
                push_software(&mut info.software, &value);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_coordinates_in_both_notations() {
        assert!((xmp_degrees("39,54.6N").unwrap() - 39.91).abs() < 1e-9);
        assert!((xmp_degrees("116,23,30W").unwrap() + 116.391_666_666).abs() < 1e-6);
        assert_eq!(xmp_degrees("116.4"), None);
        assert_eq!(xmp_degrees("a,bN"), None);
        assert_eq!(xmp_degrees(""), None);
    }

    #[test]
    fn xmp_properties_as_attributes_or_elements() {
        let attr = r#"<rdf:Description exif:GPSLatitude="37,36.12N" exif:GPSLongitude="110,2.5E"/>"#;
        assert_eq!(xmp_property(attr, "exif:GPSLatitude"), Some("37,36.12N"));
        let elem = "<exif:GPSLongitude> 110,2.5E </exif:GPSLongitude>";
        assert_eq!(xmp_property(elem, "exif:GPSLongitude"), Some("110,2.5E"));
        assert_eq!(xmp_property(elem, "exif:GPSLatitude"), None);
    }

    #[test]
    fn xmp_software_in_attributes_elements_and_history_in_order() {
        let xmp = r#"<rdf:Description xmp:CreatorTool="Adobe Photoshop 25.0 (Windows)"><xmpMM:History><rdf:Seq>
            <rdf:li stEvt:action="created" stEvt:softwareAgent="Snap &amp; Edit 1.0"/>
            <rdf:li><stEvt:action>saved</stEvt:action><stEvt:softwareAgent>GIMP 2.10</stEvt:softwareAgent></rdf:li>
            </rdf:Seq></xmpMM:History></rdf:Description>"#;
        assert_eq!(xmp_values(xmp, "xmp:CreatorTool", 16), vec!["Adobe Photoshop 25.0 (Windows)"]);
        assert_eq!(xmp_values(xmp, "stEvt:softwareAgent", 16), vec!["Snap & Edit 1.0", "GIMP 2.10"]);
        assert_eq!(xmp_values(xmp, "stEvt:softwareAgent", 1), vec!["Snap & Edit 1.0"]);
        assert_eq!(xmp_values(xmp, "xmp:ModifyDate", 16), Vec::<String>::new());
        // An unterminated value is not read past the end.
        assert_eq!(xmp_values("<x xmp:CreatorTool=\"GIMP", "xmp:CreatorTool", 16), Vec::<String>::new());
    }

    #[test]
    fn software_names_are_bounded_and_kept_once() {
        let mut list = Vec::new();
        push_software(&mut list, "  GIMP 2.10\0 ");
        push_software(&mut list, "GIMP 2.10");
        push_software(&mut list, "");
        assert_eq!(list, vec!["GIMP 2.10"]);
        push_software(&mut list, &"x".repeat(1000));
        assert_eq!(list[1].chars().count(), MAX_NAME);
        for i in 0..40 {
            push_software(&mut list, &format!("tool {i}"));
        }
        assert_eq!(list.len(), MAX_SOFTWARE);
    }

    #[test]
    fn a_truncated_segment_is_not_read_past_the_end() {
        assert_eq!(xmp_packet(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, b'h']), None);
        assert_eq!(xmp_packet(&[0xFF, 0xD8]), None);
    }
}
