//! Geography: area levels and great-circle distance.
//!
//! Region Midtjylland (StatBank area code `082`, DAGI `1082`) is divided into five health councils
//! (sundhedsråd) from 2026; each council holds whole municipalities (3-digit StatBank codes such
//! as `657` Herning); parishes (4-digit `SOGN` codes) and social-housing areas sit inside a
//! municipality. The council → municipality mapping is configuration
//! (`data/geography/councils.toml`), never code: this module only defines the types.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A level of the area hierarchy. The wire and CLI names are the `snake_case` strings returned by
/// [`Level::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The region as a whole (one area, `082`).
    Region,
    /// A health council (sundhedsråd), a group of municipalities.
    Council,
    /// A municipality (kommune), official 3-digit code.
    Municipality,
    /// A parish (sogn), 4-digit StatBank `SOGN` code.
    Parish,
    /// A social-housing area (almen boligområde) inside a municipality.
    HousingArea,
}

impl Level {
    /// Every level, from the top of the hierarchy down.
    pub const ALL: [Level; 5] = [
        Level::Region,
        Level::Council,
        Level::Municipality,
        Level::Parish,
        Level::HousingArea,
    ];

    /// The stable name used in the database, on the wire and in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Region => "region",
            Level::Council => "council",
            Level::Municipality => "municipality",
            Level::Parish => "parish",
            Level::HousingArea => "housing_area",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the level names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level '{0}': expected one of region, council, municipality, parish, housing_area")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLevel(s.to_owned()))
    }
}

/// Mean Earth radius in metres (IUGG), used by [`haversine_m`].
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two WGS84 points given as (lon, lat) in degrees,
/// by the haversine formula on a sphere of radius [`EARTH_RADIUS_M`].
///
/// Within about 0.5 % of the ellipsoidal distance, far below the precision of a coverage radius.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_round_trip() {
        for l in Level::ALL {
            assert_eq!(l.as_str().parse::<Level>(), Ok(l));
        }
        assert!("kommune".parse::<Level>().is_err());
    }

    #[test]
    fn herning_aarhus_centroid_distance() {
        // Municipality centroids from ../shared/data/rm_kommuner_centroids.csv. Expected value
        // computed independently with Python's math module (same formula and radius):
        // 79268.13671266727 m.
        let herning = (8.87652, 56.15748);
        let aarhus = (10.15664, 56.16288);
        let d = haversine_m(herning, aarhus);
        assert!((d - 79_268.136_712_667_27).abs() < 1e-6, "{d}");
        assert_eq!(haversine_m(herning, herning), 0.0);
        assert_eq!(haversine_m(herning, aarhus), haversine_m(aarhus, herning));
    }
}
