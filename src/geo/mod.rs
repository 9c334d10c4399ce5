//! Coordinates: WGS-84 / GCJ-02 / BD-09 conversions, the mainland-China test that decides where
//! GCJ-02 applies, distances and medians. Pure functions, no I/O.

pub mod china;
pub mod crs;

pub use crs::{Crs, LatLon, from_wgs84, to_wgs84};

/// Why a coordinate or a reference system was refused: a stable code and an explanation.
/// `geo` is below `domain`, so it has its own error; `domain` turns it into a field error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GeoError {
    pub code: &'static str,
    pub message: String,
}

impl GeoError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

use geo::{Distance, Haversine, Point};

/// Great-circle distance in metres (x is longitude for `geo`).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// The component-wise median of points (robust against a few wrong homes), if any.
pub fn median(points: &[LatLon]) -> Option<LatLon> {
    fn mid(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
    }
    if points.is_empty() {
        return None;
    }
    Some(LatLon { lat: mid(points.iter().map(|p| p.lat).collect()), lon: mid(points.iter().map(|p| p.lon).collect()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_in_metres() {
        let a = LatLon { lat: 37.6, lon: 110.0 };
        let b = LatLon { lat: 37.601, lon: 110.0 };
        assert!((distance_m(a, b) - 111.2).abs() < 0.5);
    }

    #[test]
    fn the_median_ignores_an_outlier() {
        let pts = [(37.6, 110.0), (37.61, 110.01), (37.62, 110.02), (40.0, 116.0)]
            .map(|(lat, lon)| LatLon { lat, lon });
        let m = median(&pts).unwrap();
        assert!((m.lat - 37.615).abs() < 1e-9 && (m.lon - 110.015).abs() < 1e-9);
        assert!(median(&[]).is_none());
    }
}
