//! Reading and validating the real geography in `data/geography/`.
//!
//! Three files are read: `municipalities.csv`, `parishes.csv` and `region.toml` (see
//! `data/geography/SOURCES.md` for their provenance). Every check that the generator relies
//! on is done here, once, so the rest of the crate can index without failing: codes are
//! unique and well formed, every parish belongs to a listed municipality, and the health
//! councils cover each municipality exactly once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::DemoError;

/// File name of the municipality table inside the geography directory.
pub const MUNICIPALITIES_FILE: &str = "municipalities.csv";
/// File name of the parish table inside the geography directory.
pub const PARISHES_FILE: &str = "parishes.csv";
/// File name of the region/health-council configuration inside the geography directory.
pub const REGION_FILE: &str = "region.toml";

/// One municipality (kommune) of the region, as in `municipalities.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Municipality {
    /// 3-digit StatBank code, e.g. `657`.
    pub code: String,
    /// Danish name, e.g. `Herning`.
    pub name: String,
    /// DST landsdel name (`Østjylland` or `Vestjylland`).
    pub landsdel: String,
    /// Area-weighted centroid longitude (WGS84).
    pub lon: f64,
    /// Area-weighted centroid latitude (WGS84).
    pub lat: f64,
    /// Approximate area in km².
    pub area_km2: f64,
    /// Population on 1 January 2013 (DST via sk.wikipedia; see SOURCES.md).
    pub population_2013: u64,
}

/// One parish (sogn), as in `parishes.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Parish {
    /// 4-digit sognekode (StatBank `SOGN`), e.g. `7240`.
    pub code: String,
    /// Parish name; names repeat across (and within) municipalities, codes do not.
    pub name: String,
    /// Code of the municipality holding the parish's largest part.
    pub municipality_code: String,
    /// Area-weighted centroid longitude (WGS84).
    pub lon: f64,
    /// Area-weighted centroid latitude (WGS84).
    pub lat: f64,
    /// Approximate area in km².
    pub area_km2: f64,
}

/// `[region]` table of `region.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RegionInfo {
    /// StatBank OMRÅDE code of the region (`082`).
    pub code: String,
    /// Region name.
    pub name: String,
}

/// One `[[council]]` (sundhedsråd) of `region.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Council {
    /// Area code of the council, e.g. `SR-VEST`.
    pub code: String,
    /// Short CLI name, e.g. `vest`.
    pub id: String,
    /// Display name, e.g. `Sundhedsråd Vest`.
    pub name: String,
    /// The acute hospital whose catchment the council follows.
    pub hospital: String,
    /// Municipality codes in the council.
    pub municipalities: Vec<String>,
    /// Outreach budget in DKK (illustrative; see the comment in region.toml).
    pub budget_dkk: u64,
}

/// The whole of `region.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RegionConfig {
    /// The region itself.
    pub region: RegionInfo,
    /// The health councils.
    pub council: Vec<Council>,
}

/// The validated geography: municipalities sorted by code, parishes sorted by code.
#[derive(Debug, Clone, PartialEq)]
pub struct Geography {
    /// Municipalities, sorted by code.
    pub municipalities: Vec<Municipality>,
    /// Parishes, sorted by code.
    pub parishes: Vec<Parish>,
    /// Region and health councils.
    pub region: RegionConfig,
}

impl Geography {
    /// Reads and validates `municipalities.csv`, `parishes.csv` and `region.toml` from `dir`.
    ///
    /// # Errors
    /// [`DemoError::Io`], [`DemoError::Csv`] or [`DemoError::Toml`] when a file cannot be read
    /// or parsed; [`DemoError::InvalidGeography`] (with file and data line) when a code is
    /// malformed or duplicated, a parish names an unknown municipality, or the councils do
    /// not cover every municipality exactly once.
    pub fn load(dir: &Path) -> Result<Self, DemoError> {
        let mpath = dir.join(MUNICIPALITIES_FILE);
        let ppath = dir.join(PARISHES_FILE);
        let rpath = dir.join(REGION_FILE);
        let municipalities: Vec<Municipality> = read_csv(&mpath)?;
        let parishes: Vec<Parish> = read_csv(&ppath)?;
        let text = std::fs::read_to_string(&rpath).map_err(|source| DemoError::Io {
            path: rpath.clone(),
            source,
        })?;
        let region: RegionConfig = toml::from_str(&text).map_err(|source| DemoError::Toml {
            path: rpath.clone(),
            source: Box::new(source),
        })?;
        Self::new(municipalities, parishes, region)
    }

    /// Validates already-parsed tables (see [`Geography::load`] for the rules) and sorts
    /// them by code.
    ///
    /// # Errors
    /// [`DemoError::InvalidGeography`] naming the file and the 1-based data line.
    pub fn new(
        mut municipalities: Vec<Municipality>,
        mut parishes: Vec<Parish>,
        region: RegionConfig,
    ) -> Result<Self, DemoError> {
        let invalid = |file: &str, line: usize, message: String| DemoError::InvalidGeography {
            file: file.to_string(),
            line,
            message,
        };
        if municipalities.is_empty() {
            return Err(invalid(MUNICIPALITIES_FILE, 0, "no municipalities".into()));
        }
        let mut mcodes = BTreeSet::new();
        for (i, m) in municipalities.iter().enumerate() {
            if !is_digits(&m.code, 3) {
                return Err(invalid(
                    MUNICIPALITIES_FILE,
                    i + 1,
                    format!("municipality code {:?} is not 3 digits", m.code),
                ));
            }
            if !mcodes.insert(m.code.clone()) {
                return Err(invalid(
                    MUNICIPALITIES_FILE,
                    i + 1,
                    format!("duplicate municipality code {}", m.code),
                ));
            }
            if m.population_2013 == 0 || !m.area_km2.is_finite() || m.area_km2 <= 0.0 {
                return Err(invalid(
                    MUNICIPALITIES_FILE,
                    i + 1,
                    format!(
                        "municipality {} needs a positive population and area",
                        m.code
                    ),
                ));
            }
        }
        let mut pcodes = BTreeSet::new();
        for (i, p) in parishes.iter().enumerate() {
            if !is_digits(&p.code, 4) {
                return Err(invalid(
                    PARISHES_FILE,
                    i + 1,
                    format!("parish code {:?} is not 4 digits", p.code),
                ));
            }
            if !pcodes.insert(p.code.clone()) {
                return Err(invalid(
                    PARISHES_FILE,
                    i + 1,
                    format!("duplicate parish code {}", p.code),
                ));
            }
            if !mcodes.contains(&p.municipality_code) {
                return Err(invalid(
                    PARISHES_FILE,
                    i + 1,
                    format!(
                        "parish {} names unknown municipality {:?}",
                        p.code, p.municipality_code
                    ),
                ));
            }
            if !p.area_km2.is_finite() || p.area_km2 <= 0.0 {
                return Err(invalid(
                    PARISHES_FILE,
                    i + 1,
                    format!("parish {} needs a positive area", p.code),
                ));
            }
        }
        for m in &municipalities {
            if !parishes.iter().any(|p| p.municipality_code == m.code) {
                return Err(invalid(
                    PARISHES_FILE,
                    0,
                    format!("municipality {} has no parish", m.code),
                ));
            }
        }
        let mut covered = BTreeSet::new();
        for (i, c) in region.council.iter().enumerate() {
            for code in &c.municipalities {
                if !mcodes.contains(code) {
                    return Err(invalid(
                        REGION_FILE,
                        i + 1,
                        format!("council {} names unknown municipality {code:?}", c.code),
                    ));
                }
                if !covered.insert(code.clone()) {
                    return Err(invalid(
                        REGION_FILE,
                        i + 1,
                        format!("municipality {code} is in more than one council"),
                    ));
                }
            }
        }
        if let Some(missing) = mcodes.difference(&covered).next() {
            return Err(invalid(
                REGION_FILE,
                0,
                format!("municipality {missing} is in no council"),
            ));
        }
        municipalities.sort_by(|a, b| a.code.cmp(&b.code));
        parishes.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Self {
            municipalities,
            parishes,
            region,
        })
    }

    /// Index of the municipality with `code` in [`Geography::municipalities`].
    pub fn municipality_index(&self, code: &str) -> Option<usize> {
        self.municipalities
            .binary_search_by(|m| m.code.as_str().cmp(code))
            .ok()
    }
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn read_csv<T: serde::de::DeserializeOwned>(path: &PathBuf) -> Result<Vec<T>, DemoError> {
    let mut reader = csv::Reader::from_path(path).map_err(|source| DemoError::Csv {
        path: path.clone(),
        source,
    })?;
    reader
        .deserialize()
        .collect::<Result<Vec<T>, csv::Error>>()
        .map_err(|source| DemoError::Csv {
            path: path.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn muni(code: &str) -> Municipality {
        Municipality {
            code: code.into(),
            name: format!("M{code}"),
            landsdel: "Østjylland".into(),
            lon: 10.0,
            lat: 56.0,
            area_km2: 100.0,
            population_2013: 1000,
        }
    }

    fn parish(code: &str, m: &str) -> Parish {
        Parish {
            code: code.into(),
            name: format!("P{code}"),
            municipality_code: m.into(),
            lon: 10.0,
            lat: 56.0,
            area_km2: 10.0,
        }
    }

    fn region(councils: &[&[&str]]) -> RegionConfig {
        RegionConfig {
            region: RegionInfo {
                code: "082".into(),
                name: "R".into(),
            },
            council: councils
                .iter()
                .enumerate()
                .map(|(i, ms)| Council {
                    code: format!("SR-{i}"),
                    id: format!("c{i}"),
                    name: format!("C{i}"),
                    hospital: "H".into(),
                    municipalities: ms.iter().map(|s| s.to_string()).collect(),
                    budget_dkk: 1,
                })
                .collect(),
        }
    }

    fn message(r: Result<Geography, DemoError>) -> String {
        match r {
            Err(e @ DemoError::InvalidGeography { .. }) => e.to_string(),
            other => panic!("expected InvalidGeography, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_valid_geography_and_sorts_it() {
        let g = Geography::new(
            vec![muni("751"), muni("657")],
            vec![parish("9097", "751"), parish("7240", "657")],
            region(&[&["657"], &["751"]]),
        )
        .expect("valid");
        assert_eq!(g.municipalities[0].code, "657");
        assert_eq!(g.parishes[0].code, "7240");
        assert_eq!(g.municipality_index("751"), Some(1));
        assert_eq!(g.municipality_index("999"), None);
    }

    #[test]
    fn rejects_a_municipality_in_two_councils() {
        let m = message(Geography::new(
            vec![muni("657"), muni("751")],
            vec![parish("7240", "657"), parish("9097", "751")],
            region(&[&["657", "751"], &["751"]]),
        ));
        assert!(
            m.contains("region.toml, data line 2") && m.contains("751"),
            "{m}"
        );
    }

    #[test]
    fn rejects_a_municipality_in_no_council() {
        let m = message(Geography::new(
            vec![muni("657"), muni("751")],
            vec![parish("7240", "657"), parish("9097", "751")],
            region(&[&["657"]]),
        ));
        assert!(m.contains("751 is in no council"), "{m}");
    }

    #[test]
    fn rejects_a_parish_of_an_unknown_municipality_with_its_line() {
        let m = message(Geography::new(
            vec![muni("657")],
            vec![parish("7240", "657"), parish("9097", "751")],
            region(&[&["657"]]),
        ));
        assert!(
            m.contains("parishes.csv, data line 2") && m.contains("\"751\""),
            "{m}"
        );
    }

    #[test]
    fn rejects_malformed_and_duplicate_codes() {
        let m = message(Geography::new(
            vec![muni("0657")],
            vec![parish("7240", "0657")],
            region(&[&["0657"]]),
        ));
        assert!(m.contains("not 3 digits"), "{m}");
        let m = message(Geography::new(
            vec![muni("657")],
            vec![parish("7240", "657"), parish("7240", "657")],
            region(&[&["657"]]),
        ));
        assert!(m.contains("duplicate parish code 7240"), "{m}");
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_the_path() {
        let dir = std::path::Path::new("/nonexistent-lighed-geography");
        match Geography::load(dir) {
            Err(DemoError::Csv { path, .. }) => assert!(path.ends_with(MUNICIPALITIES_FILE)),
            other => panic!("expected a Csv error, got {other:?}"),
        }
    }
}
