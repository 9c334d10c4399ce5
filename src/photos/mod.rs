//! Photos as bytes: format sniffing, header-only dimensions, EXIF, reduced-scale decoding,
//! thumbnails and perceptual hashes. Pure functions, no I/O.

pub mod exif;
pub mod hash;
pub mod preview;
mod dc;
mod jpeg;

use image::{DynamicImage, RgbImage};
use sha2::{Digest, Sha256};

pub use self::exif::ExifInfo;

/// What the bytes are, from their first bytes (the file name and content type are not trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg,
    Png,
    Heic,
    Webp,
    Other,
}

pub fn sniff(b: &[u8]) -> Sniffed {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Jpeg
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" && matches!(&b[8..12], b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc" | b"avif") {
        Sniffed::Heic
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Sniffed::Webp
    } else {
        Sniffed::Other
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("{0}")]
    NotJpeg(String),
    #[error("the image is {width}×{height} = {} MP; at most {limit_mp} MP are accepted", (*width as u64 * *height as u64) / 1_000_000)]
    TooManyPixels { width: u32, height: u32, limit_mp: u64 },
    #[error("the JPEG cannot be read: {0}")]
    Corrupt(String),
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_pixels: u64,
    /// Long edge of thumbnails.
    pub thumb_px: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_pixels: 50_000_000, thumb_px: 320 }
    }
}

/// Everything learnt from an uploaded photo.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub exif: ExifInfo,
    /// JPEG, orientation applied, no metadata.
    pub thumbnail: Vec<u8>,
    /// 64-bit perceptual hash of the thumbnail.
    pub phash: u64,
    /// The preview the camera embedded (EXIF IFD1), decoded and compared with the picture.
    pub preview: Option<preview::Preview>,
}

/// Width and height from the JPEG header, without decoding any pixel.
pub fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    jpeg::dimensions(bytes).map_err(PhotoError::Corrupt)
}

/// Checks, decodes at reduced scale (DCT scaling: a 12 MP photo decodes as ~0.2 MP) and
/// derives the thumbnail and hashes.
pub fn analyze(bytes: &[u8], limits: Limits) -> Result<Analysis, PhotoError> {
    analyze_hashed(bytes, hex::encode(Sha256::digest(bytes)), limits)
}

/// [`analyze`] of bytes whose SHA-256 (hex) was computed as they arrived: no second pass.
pub fn analyze_hashed(bytes: &[u8], sha256: String, limits: Limits) -> Result<Analysis, PhotoError> {
    match sniff(bytes) {
        Sniffed::Jpeg => {}
        Sniffed::Png => return Err(PhotoError::NotJpeg("this is a PNG: send the photo as JPEG".into())),
        Sniffed::Heic => return Err(PhotoError::NotJpeg("this is HEIC/HEIF: set the camera to JPEG (兼容性最佳) or convert before sending".into())),
        Sniffed::Webp => return Err(PhotoError::NotJpeg("this is WebP: send the photo as JPEG".into())),
        Sniffed::Other => return Err(PhotoError::NotJpeg("this is not a JPEG image".into())),
    }
    let (width, height) = jpeg_dimensions(bytes)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, limit_mp: limits.max_pixels / 1_000_000 });
    }
    let exif = exif::read(bytes);
    let small = decode_scaled(bytes, width, height, limits.thumb_px)?;
    let oriented = orient(DynamicImage::ImageRgb8(small), exif.orientation).into_rgb8();
    let thumb = thumbnail(&oriented, limits.thumb_px);
    let mut thumbnail = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut thumbnail, 80)
        .encode_image(&thumb)
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    let thumb = DynamicImage::ImageRgb8(thumb);
    let phash = hash::perceptual(&thumb);
    // The embedded preview is compared with the thumbnail just made (the picture is decoded
    // once); the preview itself is ~160×120.
    let preview = exif.thumbnail.as_deref().and_then(|p| preview::compare(p, exif.orientation, &thumb));
    Ok(Analysis { sha256, width, height, exif, thumbnail, phash, preview })
}

/// Decodes with libjpeg-turbo at the smallest DCT scale (1/1 … 1/8) still at least `target` on
/// the long edge: the entropy data is read once, the inverse DCT computes only what is needed.
fn decode_scaled(bytes: &[u8], width: u32, height: u32, target: u32) -> Result<RgbImage, PhotoError> {
    let long = width.max(height).max(1);
    let denom = [8u32, 4, 2, 1].into_iter().find(|d| long.div_ceil(*d) >= target).unwrap_or(1);
    // At 1/8 the DC coefficients are enough: dc.rs decodes a plain baseline file itself and
    // leaves any other (or any damaged) file to libjpeg, which decides.
    let fast = if denom == 8 { dc::decode_eighth(bytes) } else { None };
    let img = match fast {
        Some(img) => img,
        None => jpeg::decode_scaled(bytes, denom).map_err(PhotoError::Corrupt)?,
    };
    let expected = (width.div_ceil(denom), height.div_ceil(denom));
    if img.dimensions() != expected {
        return Err(PhotoError::Corrupt(format!("decoded at {:?} instead of {expected:?} at 1/{denom}", img.dimensions())));
    }
    Ok(img)
}

/// The 1/8-scale decode by the DC fast path (`None`: it leaves the file to libjpeg) or by
/// libjpeg-turbo, for examples/photo_bench.rs to time them; not an API.
#[doc(hidden)]
pub fn bench_decode_eighth(bytes: &[u8], libjpeg: bool) -> Option<RgbImage> {
    if libjpeg { jpeg::decode_scaled(bytes, 8).ok() } else { dc::decode_eighth(bytes) }
}

/// `img` scaled to fit `px`×`px`, its aspect kept (the size `image`'s `thumbnail` gives), by
/// area averaging (a box filter) with fast_image_resize's SIMD code.
fn thumbnail(img: &RgbImage, px: u32) -> RgbImage {
    use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let (w, h) = img.dimensions();
    let ratio = (f64::from(px) / f64::from(w.max(1))).min(f64::from(px) / f64::from(h.max(1)));
    let size = |side: u32| ((f64::from(side) * ratio).round() as u32).max(1);
    let mut out = RgbImage::new(size(w), size(h));
    let (tw, th) = out.dimensions();
    let src = fast_image_resize::images::ImageRef::new(w, h, img.as_raw(), PixelType::U8x3).expect("an RgbImage's buffer is w×h×3");
    let mut dst = Image::from_slice_u8(tw, th, &mut out, PixelType::U8x3).expect("an RgbImage's buffer is w×h×3");
    Resizer::new()
        .resize(&src, &mut dst, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box)))
        .expect("both images are U8x3, neither is empty");
    out
}

/// Applies an EXIF orientation (1–8) so the picture stands as the camera saw it.
pub fn orient(img: DynamicImage, orientation: u16) -> DynamicImage {
    match orientation {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img).unwrap();
        out
    }

    #[test]
    fn sniffing_trusts_bytes_not_names() {
        assert_eq!(sniff(&jpeg(8, 8)), Sniffed::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Sniffed::Png);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Sniffed::Heic);
        assert_eq!(sniff(b"hello, this is text"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Other);
    }

    #[test]
    fn a_photo_gets_a_small_thumbnail_without_decoding_at_full_size() {
        let a = analyze(&jpeg(1600, 1200), Limits::default()).unwrap();
        assert_eq!((a.width, a.height), (1600, 1200));
        let t = image::load_from_memory(&a.thumbnail).unwrap();
        assert_eq!((t.width(), t.height()), (320, 240));
        assert_eq!(a.sha256.len(), 64);
    }

    #[test]
    fn a_huge_header_is_refused_before_decoding() {
        let mut bytes = jpeg(16, 16);
        // Patch the SOF0 frame header to claim 60000×60000.
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 5..sof + 7].copy_from_slice(&60000u16.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&60000u16.to_be_bytes());
        assert!(matches!(analyze(&bytes, Limits::default()), Err(PhotoError::TooManyPixels { width: 60000, height: 60000, .. })));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        let bytes = jpeg(64, 64);
        assert!(matches!(analyze(&bytes[..bytes.len() / 3], Limits::default()), Err(PhotoError::Corrupt(_))));
        assert!(matches!(analyze(b"\x89PNG\r\n\x1a\nxxxx", Limits::default()), Err(PhotoError::NotJpeg(m)) if m.contains("JPEG")));
        assert!(matches!(analyze(&[], Limits::default()), Err(PhotoError::NotJpeg(_))));
    }

    #[test]
    fn thumbnails_keep_the_aspect_and_average_the_pixels() {
        // A fine checkerboard halved averages to its mid grey; the long edge becomes `px`.
        let board = RgbImage::from_fn(640, 480, |x, y| if (x + y) % 2 == 0 { image::Rgb([0, 0, 0]) } else { image::Rgb([250, 250, 250]) });
        let t = thumbnail(&board, 320);
        assert_eq!(t.dimensions(), (320, 240));
        assert!(t.pixels().all(|p| (124..=126).contains(&p[0])), "{:?}", t.pixels().find(|p| !(124..=126).contains(&p[0])));
        // The same sizes as `image`'s thumbnail, portrait, odd and tiny ones included.
        for (w, h) in [(375, 500), (333, 101), (500, 1), (40, 30), (1, 1)] {
            let img = RgbImage::from_pixel(w, h, image::Rgb([10, 200, 30]));
            let ours = thumbnail(&img, 320);
            let theirs = DynamicImage::ImageRgb8(img).thumbnail(320, 320);
            assert_eq!(ours.dimensions(), (theirs.width(), theirs.height()), "{w}×{h}");
            assert!(ours.pixels().all(|p| p.0 == [10, 200, 30]), "{w}×{h}: a plain picture stays plain");
        }
    }

    #[test]
    fn orientation_turns_the_picture() {
        let img = DynamicImage::ImageRgb8(RgbImage::new(40, 20));
        assert_eq!(orient(img.clone(), 6).width(), 20);
        assert_eq!(orient(img.clone(), 8).height(), 40);
        assert_eq!(orient(img, 3).width(), 40);
    }
}
