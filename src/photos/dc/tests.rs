//! The DC fast path against libjpeg-turbo, pixel for pixel, and on damaged files.

use super::*;
use crate::photos::{Limits, analyze, jpeg};
use image::Rgb;

/// What a photo has for the decoder: smooth light, colour edges, noise (AC coefficients
/// everywhere, in chroma too).
fn picture(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    RgbImage::from_fn(w, h, |x, y| {
        (s ^= s << 13, s ^= s >> 17, s ^= s << 5);
        let noise = (s % 41) as f32 - 20.0;
        let edge = if (x / 5 + y / 7) % 3 == 0 { 60.0 } else { -30.0 };
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let base = [40.0 + 180.0 * fx + edge, 220.0 - 150.0 * fy - edge, 128.0 + 100.0 * (fx * 9.0 + fy * 4.0).sin() + noise];
        Rgb(base.map(|v| (v + noise / 2.0).clamp(0.0, 255.0) as u8))
    })
}

/// examples/photo_bench.rs's phone-like picture (smooth walls and sensor noise).
fn phone_like(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    RgbImage::from_fn(w, h, |x, y| {
        (state ^= state << 13, state ^= state >> 17, state ^= state << 5);
        let noise = (state % 23) as i32 - 11;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let wall = ((fx * 6.0 + seed as f32).sin() * 40.0 + (fy * 4.0).cos() * 30.0) as i32;
        let base = [150 + wall, 120 + wall / 2, 90 + (fy * 60.0) as i32];
        Rgb(base.map(|v| (v + noise).clamp(0, 255) as u8))
    })
}

/// How libjpeg (mozjpeg-sys, libjpeg-turbo's defaults) is to encode: luma sampling factors
/// with chroma 1×1 ((2, 2) is 4:2:0), optimized Huffman tables, `rgb`: RGB with an Adobe
/// marker (transform 0) and no JFIF.
#[derive(Clone, Copy)]
struct Enc {
    quality: i32,
    luma: (i32, i32),
    gray: bool,
    restart: u32,
    optimize: bool,
    progressive: bool,
    rgb: bool,
}

const PLAIN: Enc = Enc { quality: 90, luma: (2, 2), gray: false, restart: 0, optimize: false, progressive: false, rgb: false };

/// Through the raw struct: mozjpeg::Compress sets no restart interval.
#[allow(unsafe_code)]
fn encode(img: &RgbImage, o: Enc) -> Vec<u8> {
    use mozjpeg_sys::*;
    extern "C-unwind" fn fail(_: &mut jpeg_common_struct) {
        panic!("libjpeg could not encode");
    }
    extern "C-unwind" fn quiet(_: &mut jpeg_common_struct, _: i32) {}
    let (w, h) = img.dimensions();
    let green: Vec<u8> = img.pixels().map(|p| p[1]).collect();
    let (samples, stride) = if o.gray { (&green[..], w as usize) } else { (img.as_raw().as_slice(), 3 * w as usize) };
    // SAFETY: the error manager and the struct outlive every call (errors unwind out of
    // them); the memory destination's buffer is libjpeg's malloc'd one, read once, freed.
    unsafe {
        let mut err: jpeg_error_mgr = std::mem::zeroed();
        let mut c: jpeg_compress_struct = std::mem::zeroed();
        let e = jpeg_std_error(&mut err);
        e.error_exit = Some(fail);
        e.emit_message = Some(quiet);
        c.common.err = e;
        jpeg_create_compress(&mut c);
        let (mut buf, mut size): (*mut u8, libc::c_ulong) = (std::ptr::null_mut(), 0);
        jpeg_mem_dest(&mut c, &mut buf, &mut size);
        (c.image_width, c.image_height) = (w, h);
        (c.input_components, c.in_color_space) = if o.gray { (1, J_COLOR_SPACE::JCS_GRAYSCALE) } else { (3, J_COLOR_SPACE::JCS_RGB) };
        jpeg_c_set_int_param(&mut c, J_INT_PARAM::JINT_COMPRESS_PROFILE, JCP_FASTEST as i32);
        jpeg_set_defaults(&mut c);
        // Not forced to baseline: below quality 25 the tables have 16-bit entries (SOF1).
        jpeg_set_quality(&mut c, o.quality, 0);
        if o.rgb {
            jpeg_set_colorspace(&mut c, J_COLOR_SPACE::JCS_RGB);
        }
        if !o.gray {
            ((*c.comp_info).h_samp_factor, (*c.comp_info).v_samp_factor) = o.luma;
        }
        (c.restart_interval, c.optimize_coding) = (o.restart, i32::from(o.optimize));
        if o.progressive {
            jpeg_simple_progression(&mut c);
        }
        jpeg_start_compress(&mut c, 1);
        for row in samples.chunks(stride) {
            let ptr = row.as_ptr();
            jpeg_write_scanlines(&mut c, &ptr, 1);
        }
        jpeg_finish_compress(&mut c);
        let bytes = std::slice::from_raw_parts(buf, size as usize).to_vec();
        jpeg_destroy_compress(&mut c);
        libc::free(buf.cast());
        bytes
    }
}

/// Ours against libjpeg's: (pixels alike, pixels, largest difference in a channel).
fn compare(bytes: &[u8]) -> (usize, usize, u8) {
    let theirs = jpeg::decode_scaled(bytes, 8).unwrap();
    let ours = decode_eighth(bytes).expect("a plain baseline JPEG is decoded by the fast path");
    assert_eq!(ours.dimensions(), theirs.dimensions());
    let diffs: Vec<u8> = ours.pixels().zip(theirs.pixels()).map(|(a, b)| (0..3).map(|c| a[c].abs_diff(b[c])).max().unwrap_or(0)).collect();
    (diffs.iter().filter(|&&d| d == 0).count(), diffs.len(), diffs.iter().copied().max().unwrap_or(0))
}

#[test]
fn the_picture_is_libjpegs() {
    let (mut alike, mut all, mut files) = (0, 0, 0);
    let mut check = |label: &str, bytes: &[u8]| {
        let (a, n, worst) = compare(bytes);
        assert!(worst <= 2, "{label}: {a}/{n} pixels alike, a channel {worst} levels away");
        (alike, all, files) = (alike + a, all + n, files + 1);
        if a != n {
            println!("{label}: {a}/{n} pixels alike, at most {worst} levels apart");
        }
    };
    let samplings = [("4:4:4", (1, 1), false), ("4:2:2", (2, 1), false), ("4:2:0", (2, 2), false), ("4:4:0", (1, 2), false), ("gray", (1, 1), true)];
    for (w, h) in [(203, 77), (1001, 603), (17, 9), (8, 8), (1, 1), (33, 250)] {
        let img = picture(w, h, w + h);
        for (name, luma, gray) in samplings {
            for quality in [10, 50, 95] {
                for restart in [0, 1, 7] {
                    let o = Enc { quality, luma, gray, restart, optimize: quality == 95, ..PLAIN };
                    check(&format!("{w}×{h} {name} q{quality} restart {restart}"), &encode(&img, o));
                }
            }
        }
    }
    // image's encoder (4:4:4, its own tables and markers), colour and grey, and the phone
    // photo of photo_bench at a quarter of its size.
    let img = picture(1001, 603, 7);
    for quality in [50, 95] {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(&img).unwrap();
        check(&format!("image q{quality}"), &bytes);
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(&image::DynamicImage::ImageRgb8(img.clone()).to_luma8()).unwrap();
        check(&format!("image grey q{quality}"), &bytes);
    }
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 93).encode_image(&phone_like(2000, 1500, 1)).unwrap();
    check("phone-like 2000×1500 q93", &bytes);
    println!("{files} files: {alike}/{all} pixels exactly libjpeg's");
    assert_eq!(alike, all, "every pixel is libjpeg's");
}

/// Where the entropy-coded data starts (after the SOS segment).
fn scan_start(bytes: &[u8]) -> usize {
    let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    sos + 2 + usize::from(u16::from_be_bytes([bytes[sos + 2], bytes[sos + 3]]))
}

#[test]
fn unusual_or_damaged_files_are_left_to_libjpeg() {
    let img = picture(640, 480, 3);
    let good = encode(&img, PLAIN);
    let with_restarts = encode(&img, Enc { restart: 1, ..PLAIN });
    assert!(decode_eighth(&good).is_some() && decode_eighth(&with_restarts).is_some());
    let scan = scan_start(&good);
    let stray = |n| [&good[..good.len() - 2], &vec![0x12; n], &good[good.len() - 2..]].concat();
    let mut garbled = good.clone();
    garbled[scan + 100..scan + 164].fill(0xFF);
    let mut wrong_restart = with_restarts.clone();
    let rst = scan_start(&with_restarts) + with_restarts[scan_start(&with_restarts)..].windows(2).position(|w| w == [0xFF, 0xD0]).unwrap();
    wrong_restart[rst + 1] = 0xD3;
    let cases = [
        ("progressive", encode(&img, Enc { progressive: true, ..PLAIN }), Some(true)),
        ("Adobe RGB", encode(&img, Enc { rgb: true, ..PLAIN }), Some(true)),
        ("truncated", good[..good.len() * 2 / 3].to_vec(), Some(false)),
        // libjpeg drops what its bit buffer read ahead (up to 7 bytes) and refuses more.
        ("a stray byte before EOI", stray(1), None),
        ("stray bytes before EOI", stray(16), Some(false)),
        ("garbled scan", garbled, Some(false)),
        ("wrong restart marker", wrong_restart, Some(false)),
    ];
    // A thumbnail of 64 px makes analyze decode these 640×480 pictures at 1/8.
    let limits = Limits { max_pixels: 50_000_000, thumb_px: 64 };
    assert!(analyze(&good, limits).is_ok() && analyze(&with_restarts, limits).is_ok());
    for (name, bytes, expected) in cases {
        assert!(decode_eighth(&bytes).is_none(), "{name}: the fast path declines");
        let libjpeg = jpeg::decode_scaled(&bytes, 8).is_ok();
        assert!(expected.is_none_or(|e| e == libjpeg), "{name}: libjpeg says {libjpeg}");
        assert_eq!(analyze(&bytes, limits).is_ok(), libjpeg, "{name}: the upload gets libjpeg's answer");
    }
}

#[test]
fn any_bytes_give_an_answer_and_only_libjpegs_picture() {
    let mut s = 0x2545_F491u32;
    let mut rand = move || {
        (s ^= s << 13, s ^= s >> 17, s ^= s << 5);
        s as usize
    };
    let mut fast = 0;
    // 4:2:0 with restarts (every MCU near a marker), 4:4:4 without (the multi-coefficient steps).
    for o in [Enc { quality: 75, restart: 2, optimize: true, ..PLAIN }, Enc { luma: (1, 1), ..PLAIN }] {
        let bytes = encode(&picture(64, 48, 5), o);
        assert!(decode_eighth(&bytes).is_some());
        // Every prefix lacks its EOI.
        assert!((0..bytes.len()).all(|n| decode_eighth(&bytes[..n]).is_none()));
        // Mutations: what the fast path accepts, libjpeg accepts, and the picture is its.
        for _ in 0..3000 {
            let mut m = bytes.clone();
            for _ in 0..1 + rand() % 3 {
                let i = rand() % m.len();
                match rand() % 4 {
                    0 => m[i] = rand() as u8,
                    1 => m[i] ^= 1 << (rand() % 8),
                    2 => drop(m.remove(i)),
                    _ => m.insert(i, rand() as u8),
                }
            }
            if let Some(ours) = decode_eighth(&m) {
                fast += 1;
                let theirs = jpeg::decode_scaled(&m, 8).expect("libjpeg accepts what the fast path accepts");
                assert_eq!(ours, theirs, "{m:02X?}");
            }
        }
    }
    println!("{fast} of 6000 mutants decoded by the fast path, all as libjpeg");
}
