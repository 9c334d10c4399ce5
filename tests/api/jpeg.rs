//! Test photos: JPEGs made here (no third-party pictures) with EXIF written as raw APP1 bytes.

use image::{Rgb, RgbImage};

/// A picture with structure (so perceptual hashes differ between seeds).
pub fn picture(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let cell = ((x * 7 / w.max(1)) + (y * 5 / h.max(1)) * 3 + seed) % 5;
        let base = [(40, 90, 160), (200, 180, 60), (30, 140, 70), (220, 220, 210), (120, 50, 40)][cell as usize];
        Rgb([base.0, base.1, (base.2 + (x % 17) as u8) % 255])
    })
}

pub fn encode(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    out
}

#[derive(Default, Clone)]
pub struct Exif {
    pub datetime: Option<String>,
    pub offset: Option<String>,
    /// Signed degrees: negative latitude is written as S, negative longitude as W.
    pub gps: Option<(f64, f64)>,
    pub orientation: Option<u16>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub maker_note: usize,
    /// How the GPS degrees are written (phones differ).
    pub gps_form: GpsForm,
    /// GPS tags written in descending order (against the TIFF rule, as some phones do).
    pub gps_out_of_order: bool,
    /// `SubSecTimeOriginal`, e.g. "387".
    pub subsec: Option<String>,
    /// An XMP packet written as its own APP1 segment.
    pub xmp: Option<String>,
    /// IFD0 `Software` (0x0131) and `ProcessingSoftware` (0x000B).
    pub software: Option<String>,
    pub processing_software: Option<String>,
    /// IFD0 `DateTime` (ModifyDate), "YYYY:MM:DD HH:MM:SS".
    pub modify_date: Option<String>,
    /// `GPSDateStamp` and `GPSTimeStamp` (UTC): ("YYYY:MM:DD", hours, minutes, seconds).
    pub gps_time: Option<(String, u32, u32, u32)>,
    /// A JPEG embedded as the IFD1 preview (`JPEGInterchangeFormat`/`Length`).
    pub preview: Option<Vec<u8>>,
}

#[derive(Default, Clone, Copy, PartialEq)]
pub enum GpsForm {
    /// RATIONAL with N/S/E/W references: the standard.
    #[default]
    Rational,
    /// SRATIONAL with references.
    SignedRational,
    /// SRATIONAL with the sign on the degrees and no references.
    SignedNoReference,
}

struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry { tag, typ: 2, count: data.len() as u32, data }
}

fn rationals(tag: u16, v: &[(u32, u32)]) -> Entry {
    let data = v.iter().flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat()).collect();
    Entry { tag, typ: 5, count: v.len() as u32, data }
}

fn srationals(tag: u16, v: &[(i32, i32)]) -> Entry {
    let data = v.iter().flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat()).collect();
    Entry { tag, typ: 10, count: v.len() as u32, data }
}

fn long(tag: u16, v: u32) -> Entry {
    Entry { tag, typ: 4, count: 1, data: v.to_le_bytes().to_vec() }
}

/// Writes an IFD at the end of `out` (offsets are from the start of the TIFF header); returns
/// where its next-IFD offset is written.
fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) -> usize {
    let start = out.len();
    let data_start = start + 2 + entries.len() * 12 + 4;
    let mut data = Vec::new();
    out.extend((entries.len() as u16).to_le_bytes());
    for e in entries {
        out.extend(e.tag.to_le_bytes());
        out.extend(e.typ.to_le_bytes());
        out.extend(e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut v = e.data.clone();
            v.resize(4, 0);
            out.extend(v);
        } else {
            out.extend(((data_start + data.len()) as u32).to_le_bytes());
            data.extend(&e.data);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    let next = out.len();
    out.extend(0u32.to_le_bytes());
    out.extend(data);
    next
}

fn dms(v: f64) -> Vec<(u32, u32)> {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = ((v - d) * 60.0 - m) * 60.0;
    vec![(d as u32, 1), (m as u32, 1), ((s * 10000.0).round() as u32, 10000)]
}

/// The JPEG with an APP1 EXIF segment inserted after SOI.
pub fn with_exif(jpeg: &[u8], exif: &Exif) -> Vec<u8> {
    let mut tiff = b"II*\0\0\0\0\0".to_vec();
    let mut exif_entries = Vec::new();
    if let Some(dt) = &exif.datetime {
        exif_entries.push(ascii(0x9003, dt));
    }
    if let Some(off) = &exif.offset {
        exif_entries.push(ascii(0x9011, off));
    }
    if let Some(sub) = &exif.subsec {
        exif_entries.push(ascii(0x9291, sub));
    }
    if exif.maker_note > 0 {
        let garbage: Vec<u8> = (0..exif.maker_note).map(|i| (i * 31 % 251) as u8).collect();
        exif_entries.push(Entry { tag: 0x927C, typ: 7, count: garbage.len() as u32, data: garbage });
    }
    let exif_off = tiff.len() as u32;
    write_ifd(&mut tiff, &exif_entries);
    let gps_off = tiff.len() as u32;
    if let Some((lat, lon)) = exif.gps {
        let signed = |v: f64| -> Vec<(i32, i32)> {
            let sign = if v < 0.0 && exif.gps_form == GpsForm::SignedNoReference { -1 } else { 1 };
            dms(v).into_iter().enumerate().map(|(i, (n, d))| (if i == 0 { sign * n as i32 } else { n as i32 }, d as i32)).collect()
        };
        let mut entries = match exif.gps_form {
            GpsForm::Rational => vec![ascii(1, if lat < 0.0 { "S" } else { "N" }), rationals(2, &dms(lat)), ascii(3, if lon < 0.0 { "W" } else { "E" }), rationals(4, &dms(lon))],
            GpsForm::SignedRational => vec![ascii(1, if lat < 0.0 { "S" } else { "N" }), srationals(2, &signed(lat)), ascii(3, if lon < 0.0 { "W" } else { "E" }), srationals(4, &signed(lon))],
            GpsForm::SignedNoReference => vec![srationals(2, &signed(lat)), srationals(4, &signed(lon))],
        };
        if let Some((date, h, m, sec)) = &exif.gps_time {
            entries.push(rationals(7, &[(*h, 1), (*m, 1), (*sec, 1)]));
            entries.push(ascii(0x1D, date));
        }
        if exif.gps_out_of_order {
            entries.reverse();
        }
        write_ifd(&mut tiff, &entries);
    }
    let mut ifd0 = Vec::new();
    if let Some(m) = &exif.make {
        ifd0.push(ascii(0x010F, m));
    }
    if let Some(m) = &exif.model {
        ifd0.push(ascii(0x0110, m));
    }
    if let Some(o) = exif.orientation {
        ifd0.push(Entry { tag: 0x0112, typ: 3, count: 1, data: o.to_le_bytes().to_vec() });
    }
    if let Some(sw) = &exif.processing_software {
        ifd0.insert(0, ascii(0x000B, sw));
    }
    if let Some(sw) = &exif.software {
        ifd0.push(ascii(0x0131, sw));
    }
    if let Some(d) = &exif.modify_date {
        ifd0.push(ascii(0x0132, d));
    }
    ifd0.push(long(0x8769, exif_off));
    if exif.gps.is_some() {
        ifd0.push(long(0x8825, gps_off));
    }
    let ifd0_off = tiff.len() as u32;
    let next = write_ifd(&mut tiff, &ifd0);
    tiff[4..8].copy_from_slice(&ifd0_off.to_le_bytes());
    if let Some(preview) = &exif.preview {
        // IFD1: compression 6 (JPEG), the preview's offset and length; the bytes follow it.
        let ifd1_off = tiff.len() as u32;
        tiff[next..next + 4].copy_from_slice(&ifd1_off.to_le_bytes());
        let data_off = ifd1_off + 2 + 3 * 12 + 4;
        write_ifd(&mut tiff, &[Entry { tag: 0x0103, typ: 3, count: 1, data: 6u16.to_le_bytes().to_vec() }, long(0x0201, data_off), long(0x0202, preview.len() as u32)]);
        tiff.extend(preview);
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((tiff.len() + 8) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend(app1);
    if let Some(xmp) = &exif.xmp {
        out.extend(xmp_segment(xmp));
    }
    out.extend(&jpeg[2..]);
    out
}

/// An APP1 segment holding an XMP packet.
pub fn xmp_segment(xmp: &str) -> Vec<u8> {
    let name = b"http://ns.adobe.com/xap/1.0/\0";
    let mut seg = vec![0xFF, 0xE1];
    seg.extend(((name.len() + xmp.len() + 2) as u16).to_be_bytes());
    seg.extend(name);
    seg.extend(xmp.as_bytes());
    seg
}

/// The JPEG with only an XMP packet (no EXIF at all).
pub fn with_xmp_only(jpeg: &[u8], xmp: &str) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend(xmp_segment(xmp));
    out.extend(&jpeg[2..]);
    out
}

/// The preview a camera embeds: `picture` scaled to fit `w`×`h`, black bars around it when the
/// aspects differ, stored as JPEG.
pub fn preview_of(picture: &RgbImage, w: u32, h: u32) -> Vec<u8> {
    let scale = (f64::from(w) / f64::from(picture.width())).min(f64::from(h) / f64::from(picture.height()));
    let fw = ((f64::from(picture.width()) * scale).round() as u32).clamp(1, w);
    let fh = ((f64::from(picture.height()) * scale).round() as u32).clamp(1, h);
    let fitted = image::imageops::resize(picture, fw, fh, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::new(w, h);
    image::imageops::overlay(&mut out, &fitted, i64::from((w - fw) / 2), i64::from((h - fh) / 2));
    encode(&out, 75)
}
