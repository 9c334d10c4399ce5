//! WGS-84 (raw GPS), GCJ-02 (the national offset datum of Amap/Tencent maps) and BD-09 (Baidu).
//! The inverse transforms iterate to below a millimetre with a hard cap, so they always return.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::china::in_mainland;
use super::GeoError;

/// A point in degrees (latitude, longitude).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// A finite point within ±90° latitude and ±180° longitude.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, (&'static str, GeoError)> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(("lat", GeoError::new("out_of_range", "latitude must be a finite number within ±90")));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(("lon", GeoError::new("out_of_range", "longitude must be a finite number within ±180")));
        }
        Ok(Self { lat, lon })
    }
}

/// The coordinate reference system a point was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS-84: raw GPS, Tianditu (CGCS2000 is within centimetres)
    Wgs84,
    /// GCJ-02 国测局坐标: Amap 高德, Tencent 腾讯 maps
    Gcj02,
    /// BD-09 百度坐标: Baidu maps
    Bd09,
}

impl Crs {
    pub fn parse(s: &str) -> Result<Self, GeoError> {
        match s {
            "wgs84" => Ok(Crs::Wgs84),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" => Ok(Crs::Bd09),
            _ => Err(GeoError::new("invalid_value", "crs must be one of: wgs84, gcj02, bd09")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;
/// About 0.01 mm of latitude: the inverse transforms stop below this.
const TOLERANCE_DEG: f64 = 1e-10;
const MAX_ITERATIONS: usize = 30;

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset formula, everywhere (callers decide where it applies).
fn gcj_shift(p: LatLon) -> LatLon {
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let rad = p.lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = transform_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = transform_lon(x, y) * 180.0 / (A / sqrt_magic * rad.cos() * PI);
    LatLon { lat: p.lat + dlat, lon: p.lon + dlon }
}

/// Solves `forward(x) = target` by fixed-point iteration from `start`; at most 30 steps.
fn invert(target: LatLon, start: LatLon, forward: impl Fn(LatLon) -> LatLon) -> LatLon {
    let mut x = start;
    for _ in 0..MAX_ITERATIONS {
        let y = forward(x);
        let (dlat, dlon) = (y.lat - target.lat, y.lon - target.lon);
        if !(dlat.is_finite() && dlon.is_finite()) {
            return start;
        }
        if dlat.abs() < TOLERANCE_DEG && dlon.abs() < TOLERANCE_DEG {
            break;
        }
        x = LatLon { lat: x.lat - dlat, lon: x.lon - dlon };
    }
    x
}

pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if in_mainland(p) { gcj_shift(p) } else { p }
}

pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if in_mainland(p) { invert(p, p, gcj_shift) } else { p }
}

pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    LatLon { lat: z * theta.sin() + 0.006, lon: z * theta.cos() + 0.0065 }
}

pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    // The published closed form is off by up to ~1e-6°; iterate on the exact forward transform.
    let (x, y) = (p.lon - 0.0065, p.lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let start = LatLon { lat: z * theta.sin(), lon: z * theta.cos() };
    invert(p, start, gcj02_to_bd09)
}

pub fn wgs84_to_bd09(p: LatLon) -> LatLon {
    gcj02_to_bd09(wgs84_to_gcj02(p))
}

pub fn bd09_to_wgs84(p: LatLon) -> LatLon {
    gcj02_to_wgs84(bd09_to_gcj02(p))
}

/// A point given in `crs`, in WGS-84.
pub fn to_wgs84(p: LatLon, crs: Crs) -> LatLon {
    match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => gcj02_to_wgs84(p),
        Crs::Bd09 => bd09_to_wgs84(p),
    }
}

/// A WGS-84 point, in `crs` (for Chinese map SDKs).
pub fn from_wgs84(p: LatLon, crs: Crs) -> LatLon {
    match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => wgs84_to_gcj02(p),
        Crs::Bd09 => wgs84_to_bd09(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance_m;

    fn at(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    /// The forward formula evaluated independently (a straight transcription of the published
    /// algorithm with its own constants) for the reference values.
    fn reference_gcj(lat: f64, lon: f64) -> (f64, f64) {
        let a = 6378245.0_f64;
        let ee = 0.00669342162296594323_f64;
        let (x, y) = (lon - 105.0, lat - 35.0);
        let tl = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt()
            + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
            + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
            + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
        let tn = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt()
            + (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
            + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
            + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
        let rad = lat / 180.0 * PI;
        let m = 1.0 - ee * rad.sin().powi(2);
        (lat + tl * 180.0 / ((a * (1.0 - ee)) / (m * m.sqrt()) * PI), lon + tn * 180.0 / (a / m.sqrt() * rad.cos() * PI))
    }

    const CITIES: &[(&str, f64, f64)] = &[
        ("Beijing", 39.9042, 116.4074),
        ("Shanghai", 31.2304, 121.4737),
        ("Zizhou", 37.6106, 110.0351),
        ("Guzhen", 33.3169, 117.3156),
        ("Kunming", 25.0389, 102.7183),
        ("Kashgar", 39.4704, 75.9898),
        ("Harbin", 45.8038, 126.5340),
    ];

    #[test]
    fn wgs_to_gcj_matches_the_reference_formula_in_chinese_cities() {
        for (name, lat, lon) in CITIES {
            let g = wgs84_to_gcj02(at(*lat, *lon));
            let (rlat, rlon) = reference_gcj(*lat, *lon);
            assert!((g.lat - rlat).abs() < 1e-12 && (g.lon - rlon).abs() < 1e-12, "{name}");
            let shift = distance_m(at(*lat, *lon), g);
            assert!((50.0..1000.0).contains(&shift), "{name}: shifted {shift} m");
        }
    }

    #[test]
    fn round_trips_are_below_a_millimetre_in_all_six_directions() {
        for (name, lat, lon) in CITIES {
            let p = at(*lat, *lon);
            for (what, back) in [
                ("wgs→gcj→wgs", gcj02_to_wgs84(wgs84_to_gcj02(p))),
                ("gcj→wgs→gcj", wgs84_to_gcj02(gcj02_to_wgs84(p))),
                ("wgs→bd→wgs", bd09_to_wgs84(wgs84_to_bd09(p))),
                ("bd→wgs→bd", wgs84_to_bd09(bd09_to_wgs84(p))),
                ("gcj→bd→gcj", bd09_to_gcj02(gcj02_to_bd09(p))),
                ("bd→gcj→bd", gcj02_to_bd09(bd09_to_gcj02(p))),
            ] {
                let err = distance_m(p, back);
                assert!(err < 0.001, "{name} {what}: {err} m");
            }
        }
    }

    #[test]
    fn baidu_is_gcj_plus_its_own_offset() {
        // Baidu's published gcj→bd formula, transcribed independently.
        let (lat, lon) = (39.908692_f64, 116.397477_f64);
        let xpi = 3.14159265358979324 * 3000.0 / 180.0;
        let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * xpi).sin();
        let t = lat.atan2(lon) + 0.000003 * (lon * xpi).cos();
        let bd = gcj02_to_bd09(at(lat, lon));
        assert!((bd.lat - (z * t.sin() + 0.006)).abs() < 1e-12 && (bd.lon - (z * t.cos() + 0.0065)).abs() < 1e-12);
        let shift = distance_m(at(lat, lon), bd);
        assert!((500.0..1200.0).contains(&shift), "Baidu moves points by several hundred metres: {shift}");
    }

    #[test]
    fn points_outside_the_mainland_are_left_unchanged() {
        for (lat, lon) in [(37.5665, 126.9780), (21.0278, 105.8342), (39.0392, 125.7625), (47.8864, 106.9057), (35.6762, 139.6503), (22.2800, 114.1588), (25.0330, 121.5654)] {
            let p = at(lat, lon);
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
        }
    }

    #[test]
    fn the_inverse_terminates_everywhere_in_and_around_china() {
        // A 0.25° grid over 15–55°N, 70–140°E, including every border and coast.
        let mut n = 0;
        let mut lat = 15.0;
        while lat <= 55.0 {
            let mut lon = 70.0;
            while lon <= 140.0 {
                let p = at(lat, lon);
                let w = gcj02_to_wgs84(p);
                assert!(w.lat.is_finite() && w.lon.is_finite());
                assert!(distance_m(p, w) < 2000.0, "{p:?} moved to {w:?}");
                let b = bd09_to_wgs84(p);
                assert!(b.lat.is_finite() && b.lon.is_finite());
                n += 1;
                lon += 0.25;
            }
            lat += 0.25;
        }
        assert!(n > 40_000);
    }

    /// Found by the `coordinates` fuzz target: a GCJ-02 point at the Macau boundary whose WGS-84
    /// position lies outside the mainland, where GCJ-02 is WGS-84 itself, has no exact preimage.
    /// The conversion still ends, finite, and the round trip stays within the offset (< 1 km).
    #[test]
    fn a_gcj02_point_on_the_mainland_boundary_converts_within_the_offset() {
        let g = at(22.1754833984375, 113.6133032331426);
        let w = to_wgs84(g, Crs::Gcj02);
        assert!(w.lat.is_finite() && w.lon.is_finite());
        assert_ne!(in_mainland(g), in_mainland(w), "the two sides of the boundary");
        let back = from_wgs84(w, Crs::Gcj02);
        assert!(distance_m(g, back) < 1000.0, "{g:?} -> {w:?} -> {back:?}");
        // The same for BD-09, whose GCJ-02 step lands on the boundary (found by the same target).
        let b = at(22.1012646484375, 113.61330323360826);
        let w = to_wgs84(b, Crs::Bd09);
        assert!(w.lat.is_finite() && w.lon.is_finite());
        assert_ne!(in_mainland(bd09_to_gcj02(b)), in_mainland(w));
        assert!(distance_m(b, from_wgs84(w, Crs::Bd09)) < 1000.0);
    }

    #[test]
    fn invalid_points_are_refused() {
        assert!(LatLon::parse(213.64, 110.0).is_err());
        assert_eq!(LatLon::parse(f64::NAN, 110.0).unwrap_err().0, "lat");
        assert_eq!(LatLon::parse(37.0, f64::INFINITY).unwrap_err().0, "lon");
        assert_eq!(LatLon::parse(37.0, 181.0).unwrap_err().0, "lon");
        assert!(Crs::parse("wgs-84").is_err());
    }
}
