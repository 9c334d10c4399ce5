//! The upload path of a photo's bytes: sniffing, the JPEG header, the pixel cap (checked before
//! any decoding), the EXIF reader and the scaled decode. Never panics; never accepts more pixels
//! than the cap; a thumbnail is never larger than asked.
#![no_main]
use fangpin::photos::{Limits, analyze, exif};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = exif::read(data);
    let limits = Limits { max_pixels: 4_000_000, thumb_px: 64 };
    if let Ok(a) = analyze(data, limits) {
        assert!(u64::from(a.width) * u64::from(a.height) <= limits.max_pixels);
        let t = image::load_from_memory(&a.thumbnail).expect("the thumbnail is a JPEG");
        assert!(t.width() <= 64 && t.height() <= 64);
    }
});
