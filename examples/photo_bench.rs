//! Photo benchmark helper (scripts/bench/photos.sh).
//!
//! `photo_bench gen DIR N QUALITY` writes N generated 12 MP phone-like JPEGs, each with the
//! metadata a phone's camera writes (EXIF: maker, model, firmware as `Software`, the times with
//! their offset, GPS with its clock, a 160×120 IFD1 preview of the same picture; and a small
//! XMP packet), so the ingest's authenticity checks (issue 24) have their usual work;
//! `photo_bench ingest DIR` runs every JPEG in DIR through the ingest pipeline
//! (`fangpin::photos::analyze`: sniff, header, EXIF, SHA-256, reduced-scale decode, orientation,
//! thumbnail, perceptual hash) on one thread and prints the photos processed;
//! `photo_bench decode FILE [RUNS]` times the 1/8-scale decode of one photo on one thread, by the
//! DC fast path (src/photos/dc.rs) and by libjpeg-turbo, and compares their pictures.

use image::{Rgb, RgbImage};

fn phone_like(w: u32, h: u32, seed: u32) -> RgbImage {
    // Smooth shapes plus sensor-like noise: compresses like a real photo (≈4 MB at q92).
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 23) as i32 - 11;
        let fx = x as f32 / w as f32;
        let fy = y as f32 / h as f32;
        let wall = ((fx * 6.0 + seed as f32).sin() * 40.0 + (fy * 4.0).cos() * 30.0) as i32;
        let base = [150 + wall, 120 + wall / 2, 90 + (fy * 60.0) as i32];
        Rgb(base.map(|v| (v + noise).clamp(0, 255) as u8))
    })
}

/// An EXIF field: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL) and its little-endian bytes.
struct Field(u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, s: &str) -> Field {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    Field(tag, 2, b.len() as u32, b)
}

fn long(tag: u16, v: u32) -> Field {
    Field(tag, 4, 1, v.to_le_bytes().to_vec())
}

fn rationals(tag: u16, v: &[(u32, u32)]) -> Field {
    Field(tag, 5, v.len() as u32, v.iter().flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat()).collect())
}

/// Appends an IFD (its values after it) to the TIFF; returns where its next-IFD offset is.
fn ifd(tiff: &mut Vec<u8>, fields: &[Field]) -> usize {
    let data_at = tiff.len() + 2 + fields.len() * 12 + 4;
    let mut data = Vec::new();
    tiff.extend((fields.len() as u16).to_le_bytes());
    for Field(tag, typ, count, bytes) in fields {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(typ.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut v = bytes.clone();
            v.resize(4, 0);
            tiff.extend(v);
        } else {
            tiff.extend(((data_at + data.len()) as u32).to_le_bytes());
            data.extend(bytes);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    let next = tiff.len();
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(data);
    next
}

/// The JPEG with an EXIF APP1 as a phone's camera writes it, and an XMP APP1.
fn with_camera_metadata(jpeg: &[u8], img: &RgbImage, i: u32) -> anyhow::Result<Vec<u8>> {
    let time = format!("2026:05:{:02} 10:{:02}:00", 1 + i % 28, i % 60);
    let mut tiff = b"II*\0\0\0\0\0".to_vec();
    let exif_at = tiff.len() as u32;
    ifd(&mut tiff, &[ascii(0x9003, &time), ascii(0x9011, "+08:00")]);
    let gps_at = tiff.len() as u32;
    let (lat, lon) = (37.6 + f64::from(i % 50) * 0.001, 110.0 + f64::from(i % 30) * 0.001);
    let dms = |v: f64| {
        let m = (v.fract() * 60.0).floor();
        vec![(v.trunc() as u32, 1), (m as u32, 1), (((v.fract() * 60.0 - m) * 60.0 * 10000.0).round() as u32, 10000)]
    };
    ifd(&mut tiff, &[ascii(1, "N"), rationals(2, &dms(lat)), ascii(3, "E"), rationals(4, &dms(lon)), rationals(7, &[(2, 1), (i % 60, 1), (0, 1)]), ascii(0x1D, &format!("2026:05:{:02}", 1 + i % 28))]);
    let ifd0_at = tiff.len() as u32;
    let next = ifd(
        &mut tiff,
        &[ascii(0x010F, "HUAWEI"), ascii(0x0110, "ALN-AL00"), Field(0x0112, 3, 1, 1u16.to_le_bytes().to_vec()), ascii(0x0131, "ALN-AL00 4.0.0.130(C00E120R2P4)"), ascii(0x0132, &time), long(0x8769, exif_at), long(0x8825, gps_at)],
    );
    tiff[4..8].copy_from_slice(&ifd0_at.to_le_bytes());
    // IFD1: the 160×120 preview of the same picture, as JPEG.
    let small = image::imageops::resize(img, 160, 120, image::imageops::FilterType::Triangle);
    let mut preview = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut preview, 75).encode_image(&small)?;
    let ifd1_at = tiff.len() as u32;
    tiff[next..next + 4].copy_from_slice(&ifd1_at.to_le_bytes());
    ifd(&mut tiff, &[Field(0x0103, 3, 1, 6u16.to_le_bytes().to_vec()), long(0x0201, ifd1_at + 2 + 3 * 12 + 4), long(0x0202, preview.len() as u32)]);
    tiff.extend(preview);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(tiff.len() + 8)?.to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(tiff);
    let xmp = format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" xmp:CreatorTool="ALN-AL00 4.0.0.130" xmp:CreateDate="{time}" GCamera:HdrPlusMakernote="{}"/></rdf:RDF></x:xmpmeta>"#,
        "A".repeat(2000)
    );
    let name = b"http://ns.adobe.com/xap/1.0/\0";
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(name.len() + xmp.len() + 2)?.to_be_bytes());
    out.extend(name);
    out.extend(xmp.as_bytes());
    out.extend(&jpeg[2..]);
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => {
            let dir = std::path::Path::new(&args[2]);
            let n: u32 = args[3].parse()?;
            let quality: u8 = args.get(4).map(|q| q.parse()).transpose()?.unwrap_or(92);
            std::fs::create_dir_all(dir)?;
            for i in 0..n {
                let img = phone_like(4000, 3000, i + 1);
                let mut out = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&img)?;
                let out = with_camera_metadata(&out, &img, i)?;
                std::fs::write(dir.join(format!("photo_{i:03}.jpg")), &out)?;
            }
        }
        Some("ingest") => {
            let mut files: Vec<_> = std::fs::read_dir(&args[2])?.filter_map(Result::ok).map(|e| e.path()).collect();
            files.sort();
            let (mut n, mut previews) = (0, 0);
            for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "jpg")) {
                let bytes = std::fs::read(f)?;
                let a = fangpin::photos::analyze(&bytes, fangpin::photos::Limits::default())?;
                assert!(!a.thumbnail.is_empty());
                n += 1;
                previews += usize::from(a.preview.is_some());
            }
            println!("{n} photos, {previews} embedded previews compared");
        }
        Some("decode") => {
            let bytes = std::fs::read(&args[2])?;
            let runs: u32 = args.get(3).map(|r| r.parse()).transpose()?.unwrap_or(50);
            // Mean and fastest run, in ms, and the picture.
            let time = |libjpeg: bool| -> anyhow::Result<(f64, f64, RgbImage)> {
                let (mut total, mut fastest, mut img) = (0.0, f64::MAX, None);
                for _ in 0..runs {
                    let start = std::time::Instant::now();
                    img = fangpin::photos::bench_decode_eighth(&bytes, libjpeg);
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    (total, fastest) = (total + ms, fastest.min(ms));
                }
                let img = img.ok_or_else(|| anyhow::anyhow!("{} did not decode the photo", if libjpeg { "libjpeg" } else { "the DC path" }))?;
                Ok((total / f64::from(runs), fastest, img))
            };
            let (fast_ms, fast_min, fast) = time(false)?;
            let (libjpeg_ms, libjpeg_min, libjpeg) = time(true)?;
            let alike = fast.pixels().zip(libjpeg.pixels()).filter(|(a, b)| a == b).count();
            let worst = fast.pixels().zip(libjpeg.pixels()).flat_map(|(a, b)| (0..3).map(move |c| a[c].abs_diff(b[c]))).max().unwrap_or(0);
            println!("{} bytes decoded at 1/8 to {}×{}, {runs} runs each on one thread:", bytes.len(), fast.width(), fast.height());
            println!("  DC path  {fast_ms:6.2} ms a photo (fastest {fast_min:.2})");
            println!("  libjpeg  {libjpeg_ms:6.2} ms a photo (fastest {libjpeg_min:.2})");
            println!("  {alike}/{} pixels alike, at most {worst} levels apart", fast.width() * fast.height());
        }
        _ => anyhow::bail!("usage: photo_bench gen DIR N [QUALITY] | ingest DIR | decode FILE [RUNS]"),
    }
    Ok(())
}
