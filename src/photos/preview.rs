//! The preview a camera embeds in EXIF (IFD1) against the picture itself. Cameras write both
//! from the same frame; many editors save a changed picture and leave the old preview in place,
//! so a preview that shows something else is a trace of editing.
//!
//! The preview is decoded with the photos' decoder (it is tiny, ~160×120), turned like the
//! picture, its black bars cut off, both cropped to their common aspect, and compared by a
//! 256-bit gradient hash: the Hamming distance is the evidence, the threshold is a check rule.

use image::{DynamicImage, GenericImageView};
use image_hasher::{HashAlg, HasherConfig};

use super::jpeg;

/// Bits of the structural hash the preview and the picture are compared by.
pub const HASH_BITS: u32 = 256;
/// The default of `CheckRules::thumbnail_max_bits`: a preview differing by more bits does not
/// match. Chosen from the measurements of `honest_previews_are_close_and_edited_pictures_far`
/// (see the README).
pub const DEFAULT_MAX_BITS: u32 = 24;
/// A preview larger than this (pixels) is not decoded: no camera embeds one, and an edited
/// header must not make the check decode a large image.
const MAX_PREVIEW_PIXELS: u64 = 1024 * 1024;
/// A row or column of the preview darker than this (mean luma, max luma) is a letterbox bar.
const BAR_MEAN: f64 = 24.0;
const BAR_MAX: u8 = 48;

/// The embedded preview, decoded and compared.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The preview turned upright, as JPEG (to show it beside the picture).
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Hamming distance (of [`HASH_BITS`]) between the preview and the picture.
    pub distance: u32,
}

/// Decodes the embedded preview and compares it with `picture` (already turned upright by
/// `orientation`, any size). `None` when the preview cannot be decoded or is implausibly large.
pub fn compare(preview: &[u8], orientation: u16, picture: &DynamicImage) -> Option<Preview> {
    let (w, h) = jpeg::dimensions(preview).ok()?;
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PREVIEW_PIXELS {
        return None;
    }
    let decoded = super::orient(
        DynamicImage::ImageRgb8(jpeg::decode_scaled(preview, 1).ok()?),
        orientation,
    );
    let distance = distance(&decoded, picture);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&decoded.to_rgb8())
        .ok()?;
    Some(Preview {
        jpeg: out,
        width: decoded.width(),
        height: decoded.height(),
        distance,
    })
}

/// Hamming distance between the hashes of a preview (bars cut off) and the picture cropped to
/// the preview's aspect.
pub fn distance(preview: &DynamicImage, picture: &DynamicImage) -> u32 {
    let content = without_bars(preview);
    let framed = to_aspect(
        picture,
        f64::from(content.width()) / f64::from(content.height().max(1)),
    );
    let hasher = HasherConfig::new()
        .hash_alg(HashAlg::Gradient)
        .hash_size(16, 16)
        .to_hasher();
    hasher
        .hash_image(&content)
        .dist(&hasher.hash_image(&framed))
}

/// The preview without the black bars a camera adds when the picture's aspect differs from
/// the preview's (4:3 previews of 16:9 photos).
fn without_bars(img: &DynamicImage) -> DynamicImage {
    let gray = img.to_luma8();
    let (w, h) = gray.dimensions();
    let dark = |pixels: &mut dyn Iterator<Item = u8>| {
        let (mut sum, mut n, mut max) = (0u64, 0u64, 0u8);
        for p in pixels {
            sum += u64::from(p);
            n += 1;
            max = max.max(p);
        }
        n > 0 && (sum as f64 / n as f64) < BAR_MEAN && max < BAR_MAX
    };
    let row_dark = |y: u32| dark(&mut (0..w).map(|x| gray.get_pixel(x, y)[0]));
    let col_dark = |x: u32, y0: u32, y1: u32| dark(&mut (y0..y1).map(|y| gray.get_pixel(x, y)[0]));
    let top = (0..h).take_while(|&y| row_dark(y)).count() as u32;
    if top == h {
        return img.clone();
    }
    let bottom = (0..h).rev().take_while(|&y| row_dark(y)).count() as u32;
    let (y0, y1) = (top, h - bottom);
    let left = (0..w).take_while(|&x| col_dark(x, y0, y1)).count() as u32;
    let right = (0..w).rev().take_while(|&x| col_dark(x, y0, y1)).count() as u32;
    let (x0, x1) = (left, w.saturating_sub(right).max(left + 1));
    img.crop_imm(x0, y0, x1 - x0, y1 - y0)
}

/// The centre of `img` at `aspect` (width / height): a camera that makes a preview of another
/// aspect without bars shows the centre of the frame.
fn to_aspect(img: &DynamicImage, aspect: f64) -> DynamicImage {
    let (w, h) = img.dimensions();
    let own = f64::from(w) / f64::from(h.max(1));
    if own > aspect * 1.02 {
        let nw = ((f64::from(h) * aspect).round() as u32).clamp(1, w);
        img.crop_imm((w - nw) / 2, 0, nw, h)
    } else if own < aspect / 1.02 {
        let nh = ((f64::from(w) / aspect).round() as u32).clamp(1, h);
        img.crop_imm(0, (h - nh) / 2, w, nh)
    } else {
        img.clone()
    }
}

/// A preview as a camera would make it from `picture`: scaled to fit `w`×`h`, black bars
/// around it when the aspects differ (test support for this module and `photos::tests`).
#[cfg(test)]
pub(crate) fn camera_preview(picture: &image::RgbImage, w: u32, h: u32) -> image::RgbImage {
    let scale =
        (f64::from(w) / f64::from(picture.width())).min(f64::from(h) / f64::from(picture.height()));
    let fw = ((f64::from(picture.width()) * scale).round() as u32).clamp(1, w);
    let fh = ((f64::from(picture.height()) * scale).round() as u32).clamp(1, h);
    let fitted = image::imageops::resize(picture, fw, fh, image::imageops::FilterType::Triangle);
    let mut out = image::RgbImage::new(w, h);
    image::imageops::overlay(
        &mut out,
        &fitted,
        i64::from((w - fw) / 2),
        i64::from((h - fh) / 2),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A scene with structure at several scales (so a pasted patch changes its gradients).
    pub fn scene(w: u32, h: u32, seed: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let (fx, fy) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
            let s = f64::from(seed);
            let v = 128.0
                + 60.0 * (fx * (5.0 + s) + s).sin() * (fy * (3.0 + s * 0.7)).cos()
                + 50.0 * ((fx + fy) * (9.0 + s * 1.3)).sin();
            let v = v.clamp(0.0, 255.0) as u8;
            Rgb([v, v.wrapping_add((seed * 40) as u8) / 2 + 60, 255 - v])
        })
    }

    fn jpeg_of(img: &RgbImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(img)
            .unwrap();
        out
    }

    fn dist(preview: &RgbImage, picture: &RgbImage) -> u32 {
        // Through JPEG, as a camera stores the preview.
        let p = compare(
            &jpeg_of(preview, 75),
            1,
            &DynamicImage::ImageRgb8(picture.clone()),
        )
        .unwrap();
        p.distance
    }

    /// `picture` with another scene pasted over its centre, `1/parts` of each side (a face, a
    /// person, a room).
    fn pasted(picture: &RgbImage, seed: u32, parts: u32) -> RgbImage {
        let (w, h) = picture.dimensions();
        let patch = scene(w / parts, h / parts, seed + 50);
        let mut out = picture.clone();
        image::imageops::overlay(
            &mut out,
            &patch,
            i64::from((w - w / parts) / 2),
            i64::from((h - h / parts) / 2),
        );
        out
    }

    /// `picture` cropped by an editor to its central `keep` fraction and scaled back.
    fn cropped(picture: &RgbImage, keep: f64) -> RgbImage {
        let (w, h) = picture.dimensions();
        let (cw, ch) = ((f64::from(w) * keep) as u32, (f64::from(h) * keep) as u32);
        let part =
            image::imageops::crop_imm(picture, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
        image::imageops::resize(&part, w, h, image::imageops::FilterType::Triangle)
    }

    /// The measurements the threshold (`CheckRules::thumbnail_max_bits`) was chosen from, over
    /// eight scenes: honest previews (4:3, letterboxed 16:9, centre-cropped 16:9, stored at JPEG
    /// quality 50) against edited pictures (a ninth or a quarter pasted over, cropped to 80 %,
    /// another picture). Printed with `--nocapture`; the README quotes them.
    #[test]
    fn honest_previews_are_close_and_edited_pictures_far() {
        let mut honest = Vec::new();
        let (mut ninth, mut quarter, mut crop, mut other) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for seed in 0..8 {
            let picture = scene(640, 480, seed);
            let wide = scene(640, 360, seed);
            honest.push(dist(&camera_preview(&picture, 160, 120), &picture));
            honest.push(dist(&camera_preview(&wide, 160, 120), &wide));
            honest.push(dist(
                &camera_preview(
                    &to_aspect(&DynamicImage::ImageRgb8(wide.clone()), 4.0 / 3.0).to_rgb8(),
                    160,
                    120,
                ),
                &wide,
            ));
            let low = compare(
                &jpeg_of(&camera_preview(&picture, 160, 120), 50),
                1,
                &DynamicImage::ImageRgb8(picture.clone()),
            )
            .unwrap();
            honest.push(low.distance);
            let preview = camera_preview(&picture, 160, 120);
            ninth.push(dist(&preview, &pasted(&picture, seed, 3)));
            quarter.push(dist(&preview, &pasted(&picture, seed, 2)));
            crop.push(dist(&preview, &cropped(&picture, 0.8)));
            other.push(dist(
                &camera_preview(&scene(640, 480, seed + 20), 160, 120),
                &picture,
            ));
        }
        let range = |v: &[u32]| (*v.iter().min().unwrap(), *v.iter().max().unwrap());
        println!(
            "bits of {HASH_BITS}: honest {:?}, pasted ninth {:?}, pasted quarter {:?}, cropped to 80 % {:?}, another picture {:?}",
            range(&honest),
            range(&ninth),
            range(&quarter),
            range(&crop),
            range(&other)
        );
        let threshold = DEFAULT_MAX_BITS;
        assert!(
            range(&honest).1 * 2 <= threshold,
            "an honest preview differs by {:?} bits",
            range(&honest)
        );
        for (what, v) in [
            ("a pasted quarter", &quarter),
            ("a crop", &crop),
            ("another picture", &other),
        ] {
            assert!(
                range(v).0 > threshold,
                "{what} differs by only {:?} bits",
                range(v)
            );
        }
    }

    #[test]
    fn black_bars_are_cut_off_and_aspects_cropped_to_the_common_area() {
        let wide = scene(640, 360, 3);
        let boxed = DynamicImage::ImageRgb8(camera_preview(&wide, 160, 120));
        let content = without_bars(&boxed);
        assert_eq!(content.width(), 160);
        assert!(
            (89..=91).contains(&content.height()),
            "{}",
            content.height()
        );
        assert_eq!(
            to_aspect(&DynamicImage::ImageRgb8(scene(320, 180, 1)), 4.0 / 3.0).dimensions(),
            (240, 180)
        );
        assert_eq!(
            to_aspect(&DynamicImage::ImageRgb8(scene(400, 300, 1)), 16.0 / 9.0).dimensions(),
            (400, 225)
        );
        assert_eq!(
            to_aspect(&DynamicImage::ImageRgb8(scene(400, 300, 1)), 1.34).dimensions(),
            (400, 300)
        );
        // An all-dark preview is kept whole, not cut to nothing.
        assert_eq!(
            without_bars(&DynamicImage::ImageRgb8(RgbImage::new(16, 12))).dimensions(),
            (16, 12)
        );
    }

    #[test]
    fn the_preview_is_turned_like_the_picture() {
        let picture = scene(480, 640, 4);
        // The camera stores both sideways (orientation 6): the preview is 160×120 raw.
        let raw = image::imageops::rotate270(&picture);
        let preview = jpeg_of(&camera_preview(&raw, 160, 120), 80);
        let p = compare(&preview, 6, &DynamicImage::ImageRgb8(picture.clone())).unwrap();
        assert_eq!((p.width, p.height), (120, 160));
        let threshold = DEFAULT_MAX_BITS;
        assert!(p.distance * 2 <= threshold, "{}", p.distance);
        let unturned = compare(&preview, 1, &DynamicImage::ImageRgb8(picture)).unwrap();
        assert!(
            unturned.distance > threshold,
            "a preview compared unturned differs: {}",
            unturned.distance
        );
    }

    #[test]
    fn broken_or_huge_previews_are_not_compared() {
        let picture = DynamicImage::ImageRgb8(scene(64, 48, 1));
        assert!(compare(b"\xFF\xD8\xFF\xE0garbage", 1, &picture).is_none());
        let mut huge = jpeg_of(&scene(16, 16, 1), 80);
        let sof = huge.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        huge[sof + 5..sof + 7].copy_from_slice(&4000u16.to_be_bytes());
        huge[sof + 7..sof + 9].copy_from_slice(&4000u16.to_be_bytes());
        assert!(compare(&huge, 1, &picture).is_none());
    }
}
