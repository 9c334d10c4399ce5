//! Where GCJ-02 applies: mainland China, decided with OpenStreetMap country boundaries shipped
//! offline (the `country-boundaries` crate), not a latitude/longitude rectangle.
//!
//! Hong Kong, Macau and Taiwan are not mainland: maps there (Amap and Tencent included) use
//! WGS-84, so no offset is applied or removed. Neither is it over the sea or abroad: Seoul,
//! Pyongyang, Hanoi, Ulaanbaatar and Tokyo stay unchanged.

use std::sync::OnceLock;

use country_boundaries::{BOUNDARIES_ODBL_360X180, CountryBoundaries, LatLon as CbLatLon};

use super::LatLon;

fn boundaries() -> Option<&'static CountryBoundaries> {
    static B: OnceLock<Option<CountryBoundaries>> = OnceLock::new();
    B.get_or_init(|| CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180).ok()).as_ref()
}

/// The region ids at a point, e.g. `["CN-SN", "CN"]` or `["HK"]`.
pub fn region_ids(p: LatLon) -> Vec<&'static str> {
    match (boundaries(), CbLatLon::new(p.lat, p.lon)) {
        (Some(b), Ok(ll)) => b.ids(ll),
        _ => Vec::new(),
    }
}

/// Inside mainland China (CN, excluding HK, MO and TW).
pub fn in_mainland(p: LatLon) -> bool {
    let ids = region_ids(p);
    ids.contains(&"CN") && !ids.iter().any(|id| matches!(*id, "HK" | "MO" | "TW" | "CN-HK" | "CN-MO" | "CN-TW"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn mainland_cities_are_inside() {
        for (name, lat, lon) in [
            ("Beijing", 39.9042, 116.4074),
            ("Shanghai", 31.2304, 121.4737),
            ("Zizhou", 37.6106, 110.0351),
            ("Urumqi", 43.8256, 87.6168),
            ("Lhasa", 29.6520, 91.1721),
            ("Harbin", 45.8038, 126.5340),
            ("Shenzhen", 22.5431, 114.0579),
            ("Zhuhai", 22.2710, 113.5767),
            ("Haikou", 20.0440, 110.1999),
        ] {
            assert!(in_mainland(at(lat, lon)), "{name}: {:?}", region_ids(at(lat, lon)));
        }
    }

    #[test]
    fn neighbours_special_regions_and_the_sea_are_outside() {
        for (name, lat, lon) in [
            ("Seoul", 37.5665, 126.9780),
            ("Pyongyang", 39.0392, 125.7625),
            ("Hanoi", 21.0278, 105.8342),
            ("Ulaanbaatar", 47.8864, 106.9057),
            ("Tokyo", 35.6762, 139.6503),
            ("Hong Kong", 22.2800, 114.1588),
            ("Macau", 22.1987, 113.5439),
            ("Taipei", 25.0330, 121.5654),
            ("Yellow Sea", 35.0, 123.0),
            ("Vladivostok", 43.1155, 131.8855),
        ] {
            assert!(!in_mainland(at(lat, lon)), "{name}: {:?}", region_ids(at(lat, lon)));
        }
    }
}
