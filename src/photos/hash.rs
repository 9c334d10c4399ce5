//! Perceptual hashes for near copies: a 64-bit gradient hash, searched by four 16-bit bands
//! (two hashes within Hamming distance 3 share at least one band exactly, so an index on the
//! bands finds every candidate without scanning).

use image::DynamicImage;
use image_hasher::{HashAlg, HasherConfig};

pub fn perceptual(img: &DynamicImage) -> u64 {
    let hasher = HasherConfig::new().hash_alg(HashAlg::Gradient).hash_size(8, 8).to_hasher();
    let hash = hasher.hash_image(img);
    let mut bytes = [0u8; 8];
    for (i, b) in hash.as_bytes().iter().take(8).enumerate() {
        bytes[i] = *b;
    }
    u64::from_be_bytes(bytes)
}

/// The four 16-bit bands of a hash.
pub fn bands(h: u64) -> [i32; 4] {
    [0, 1, 2, 3].map(|i| ((h >> (48 - 16 * i)) & 0xFFFF) as i32)
}

pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Near copies differ in at most this many bits.
pub const NEAR_COPY_BITS: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    fn scene(shift: u8) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(320, 240, |x, y| {
            let v = ((x / 40 + y / 30) % 2) as u8 * 180 + shift;
            image::Rgb([v, v / 2, 255 - v])
        }))
    }

    #[test]
    fn a_recompressed_copy_is_near_and_another_scene_is_far() {
        let a = perceptual(&scene(0));
        let brighter = perceptual(&scene(20));
        let other = perceptual(&DynamicImage::ImageRgb8(RgbImage::from_fn(320, 240, |x, _| image::Rgb([(x % 256) as u8, 0, 0]))));
        assert!(hamming(a, brighter) <= NEAR_COPY_BITS);
        assert!(hamming(a, other) > NEAR_COPY_BITS);
    }

    #[test]
    fn bands_cover_the_hash() {
        let h = 0x0123_4567_89AB_CDEF;
        assert_eq!(bands(h), [0x0123, 0x4567, 0x89AB, 0xCDEF]);
    }
}
