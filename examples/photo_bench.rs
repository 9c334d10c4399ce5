//! Photo benchmark helper (scripts/bench/photos.sh).
//!
//! `photo_bench gen DIR N QUALITY` writes N generated 12 MP phone-like JPEGs;
//! `photo_bench ingest DIR` runs every JPEG in DIR through the ingest pipeline
//! (`fangpin::photos::analyze`: sniff, header, EXIF, SHA-256, reduced-scale decode, orientation,
//! thumbnail, perceptual hash) on one thread and prints the photos processed.

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
                std::fs::write(dir.join(format!("photo_{i:03}.jpg")), &out)?;
            }
        }
        Some("ingest") => {
            let mut files: Vec<_> = std::fs::read_dir(&args[2])?.filter_map(Result::ok).map(|e| e.path()).collect();
            files.sort();
            let mut n = 0;
            for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "jpg")) {
                let bytes = std::fs::read(f)?;
                let a = fangpin::photos::analyze(&bytes, fangpin::photos::Limits::default())?;
                assert!(!a.thumbnail.is_empty());
                n += 1;
            }
            println!("{n}");
        }
        _ => anyhow::bail!("usage: photo_bench gen DIR N [QUALITY] | ingest DIR"),
    }
    Ok(())
}
