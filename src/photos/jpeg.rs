//! JPEG through libjpeg-turbo's decoder, compiled from source by cargo (the `mozjpeg-sys` crate
//! vendors it and builds its C code with `cc`: no system library, no cmake, no nasm). Two
//! operations: the frame header alone (dimensions, no pixel decoded) and a decode at a reduced
//! DCT scale.
//!
//! libjpeg reports a fatal error by calling `error_exit`, which must not return; here it unwinds
//! with a private payload, caught at the boundary of this module (`resume_unwind`, so no panic
//! hook runs: a fuzzer's abort-on-panic hook is not triggered by a corrupt file). A warning
//! (truncated data, a corrupt segment, extraneous bytes) is fatal too, as it was with
//! TurboJPEG's API: a photo that libjpeg had to patch up is refused, not stored half grey.

use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use image::RgbImage;
use mozjpeg::Decompress;
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr};

/// The payload of an unwind started by libjpeg; any other panic is a bug and goes on unwinding.
struct LibjpegError(String);

/// Runs `f`, turning libjpeg's errors (unwinds) and the wrapper's `io::Error`s into messages.
fn guarded<T>(f: impl FnOnce() -> std::io::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "premature end of JPEG file".to_owned(),
            _ => e.to_string(),
        }),
        Err(payload) => match payload.downcast::<LibjpegError>() {
            Ok(e) => Err(e.0),
            Err(other) => resume_unwind(other),
        },
    }
}

fn error_mgr() -> jpeg_error_mgr {
    // SAFETY: jpeg_error_mgr is a C struct of integers, pointers and optional function pointers,
    // for which all-zero is valid; jpeg_std_error only fills in its fields (static message
    // tables and libjpeg's own functions), so the struct may be moved afterwards.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(error_exit);
    err.emit_message = Some(emit_message);
    err
}

extern "C-unwind" fn error_exit(cinfo: &mut jpeg_common_struct) {
    resume_unwind(Box::new(LibjpegError(message(cinfo))));
}

/// Level -1 is a warning (fatal here), 0 and above are trace messages (ignored).
extern "C-unwind" fn emit_message(cinfo: &mut jpeg_common_struct, msg_level: c_int) {
    if msg_level < 0 {
        error_exit(cinfo);
    }
}

/// libjpeg's text of the current message (e.g. "Premature end of JPEG file").
fn message(cinfo: &mut jpeg_common_struct) -> String {
    type Format = unsafe extern "C-unwind" fn(&mut jpeg_common_struct, &mut [u8; 80]);
    let mut buffer = [0u8; 80];
    // SAFETY: `err` is the manager installed by `error_mgr`, alive as long as the decompressor;
    // format_message is libjpeg's, which writes at most JMSG_LENGTH_MAX (80) bytes including
    // the terminating NUL into the buffer (the binding declares the buffer `&[u8; 80]`, the C
    // function takes `char *`).
    unsafe {
        let code = (*cinfo.err).msg_code;
        match (*cinfo.err).format_message {
            Some(f) => std::mem::transmute::<_, Format>(f)(cinfo, &mut buffer),
            None => return format!("libjpeg error {code}"),
        }
    }
    let text = buffer.split(|&c| c == 0).next().unwrap_or_default();
    String::from_utf8_lossy(text).into_owned()
}

/// Width and height from the frame header; nothing after the start of scan is read.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    guarded(|| {
        let d = Decompress::builder().with_err(error_mgr()).from_mem(bytes)?;
        Ok((d.width() as u32, d.height() as u32))
    })
}

/// Decodes as RGB at `1/denom` of the full size (`denom` 1, 2, 4 or 8): libjpeg reads the
/// entropy-coded data once and its inverse DCT computes only the output pixels (an 8×8 block
/// becomes 1×1 at 1/8). The output is `ceil(width / denom)` × `ceil(height / denom)`.
pub fn decode_scaled(bytes: &[u8], denom: u32) -> Result<RgbImage, String> {
    assert!(matches!(denom, 1 | 2 | 4 | 8), "libjpeg scales by 1/1, 1/2, 1/4 or 1/8 here, not 1/{denom}");
    guarded(|| {
        let mut d = Decompress::builder().with_err(error_mgr()).from_mem(bytes)?;
        d.scale((8 / denom) as u8);
        let mut started = d.rgb()?;
        let (w, h) = (started.width() as u32, started.height() as u32);
        let pixels: Vec<u8> = started.read_scanlines()?;
        // Reads up to the end-of-image marker: an error or warning there refuses the file too.
        started.finish()?;
        RgbImage::from_raw(w, h, pixels).ok_or_else(|| std::io::Error::other("truncated pixel data"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Rgb};
    use std::cell::Cell;

    /// A smooth picture (a decode at reduced scale is compared with the full one averaged).
    fn picture(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, ((x + y) * 127 / (w + h)) as u8]))
    }

    fn encode(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).unwrap();
        out
    }

    fn start_of_scan(bytes: &[u8]) -> usize {
        bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap()
    }

    #[test]
    fn dimensions_come_from_the_header_alone() {
        let bytes = encode(&picture(123, 45));
        // Cut just after the start-of-scan header: no entropy-coded data, no end-of-image.
        let sos = start_of_scan(&bytes);
        let header_len = usize::from(u16::from_be_bytes([bytes[sos + 2], bytes[sos + 3]]));
        assert_eq!(dimensions(&bytes[..sos + 2 + header_len]), Ok((123, 45)));
        assert!(dimensions(&bytes[..sos / 2]).is_err());
        assert!(dimensions(b"\xFF\xD8\xFF\xE0not a jpeg at all").is_err());
        assert!(dimensions(&[]).is_err());
    }

    #[test]
    fn every_dct_scale_gives_the_rounded_up_size_and_the_same_picture() {
        let img = picture(203, 77);
        let bytes = encode(&img);
        for denom in [1, 2, 4, 8] {
            let small = decode_scaled(&bytes, denom).unwrap();
            assert_eq!(small.dimensions(), (203u32.div_ceil(denom), 77u32.div_ceil(denom)), "1/{denom}");
            // Each output pixel is close to the mean of the block it stands for.
            let mut worst = 0i32;
            for (x, y, p) in small.enumerate_pixels() {
                let (x0, y0) = (x * denom, y * denom);
                let block: Vec<_> = (y0..(y0 + denom).min(77)).flat_map(|yy| (x0..(x0 + denom).min(203)).map(move |xx| (xx, yy))).collect();
                for c in 0..3 {
                    let mean = block.iter().map(|&(xx, yy)| i32::from(img.get_pixel(xx, yy)[c])).sum::<i32>() / block.len() as i32;
                    worst = worst.max((i32::from(p[c]) - mean).abs());
                }
            }
            assert!(worst <= 12, "1/{denom}: a pixel is {worst} levels away from its block");
        }
    }

    #[test]
    fn a_grayscale_jpeg_decodes_as_rgb() {
        let gray = GrayImage::from_fn(64, 48, |x, _| image::Luma([(x * 4) as u8]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&gray).unwrap();
        let rgb = decode_scaled(&bytes, 2).unwrap();
        assert_eq!(rgb.dimensions(), (32, 24));
        assert!(rgb.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
    }

    #[test]
    fn warnings_are_errors_like_truncation_and_stray_bytes() {
        let bytes = encode(&picture(96, 64));
        // Truncated inside the entropy-coded data: libjpeg would pad it with grey and warn.
        let cut = &bytes[..bytes.len() * 2 / 3];
        let e = decode_scaled(cut, 1).unwrap_err();
        assert!(e.contains("Premature end"), "{e}");
        // Bytes that are no marker before the end-of-image: "extraneous bytes" warning.
        let mut stray = bytes.clone();
        stray.splice(bytes.len() - 2..bytes.len() - 2, [0x12, 0x34, 0x56]);
        let e = decode_scaled(&stray, 8).unwrap_err();
        assert!(e.contains("extraneous bytes"), "{e}");
        // The original still decodes: the refusals are about the damage.
        assert!(decode_scaled(&bytes, 8).is_ok());
    }

    thread_local!(static PANICS: Cell<u32> = const { Cell::new(0) });

    #[test]
    fn libjpeg_errors_reach_no_panic_hook() {
        // A fuzzer (and any abort-on-panic setup) aborts in the panic hook: libjpeg's errors
        // must come back as errors without running it. Counted on this thread only.
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICS.with(|c| c.set(c.get() + 1));
                previous(info)
            }));
        });
        let bytes = encode(&picture(64, 64));
        let mut garbled = bytes.clone();
        let sos = start_of_scan(&garbled);
        garbled[sos + 20..].iter_mut().for_each(|b| *b = 0xFF);
        let before = PANICS.with(Cell::get);
        assert!(decode_scaled(&bytes[..bytes.len() / 2], 4).is_err());
        assert!(decode_scaled(&garbled, 8).is_err());
        assert!(dimensions(&bytes[..10]).is_err());
        assert_eq!(PANICS.with(Cell::get), before, "a panic hook ran for a corrupt JPEG");
        // Any other panic still unwinds as a panic (a bug is not reported as a corrupt file).
        let other = std::panic::catch_unwind(|| guarded::<()>(|| panic!("a bug")));
        assert!(other.is_err());
    }
}
