//! The area hierarchy as rows: region → health councils → municipalities → parishes and
//! housing areas, read from the configuration and CSV files of [`crate::bundle`].

use std::collections::BTreeMap;

use lighed_core::geo::Level;
use lighed_store::NewArea;
use serde::Deserialize;

/// A geography file is malformed or inconsistent.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct GeographyError {
    /// The file.
    pub file: &'static str,
    /// What is wrong.
    pub message: String,
}

fn err(file: &'static str, message: impl Into<String>) -> GeographyError {
    GeographyError {
        file,
        message: message.into(),
    }
}

/// `region.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// The region.
    pub region: RegionEntry,
    /// Its health councils.
    pub council: Vec<CouncilEntry>,
}

/// The `[region]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionEntry {
    /// StatBank area code (`082`).
    pub code: String,
    /// Name.
    pub name: String,
}

/// One `[[council]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilEntry {
    /// Area code (`SR-VEST`).
    pub code: String,
    /// Short CLI name (`vest`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The acute hospital whose catchment the council follows.
    pub hospital: String,
    /// Municipality codes.
    pub municipalities: Vec<String>,
    /// Yearly budget in kr.
    pub budget_dkk: f64,
}

#[derive(Debug, Deserialize)]
struct MunicipalityRow {
    code: String,
    name: String,
    #[allow(dead_code)]
    landsdel: String,
    lon: f64,
    lat: f64,
    #[allow(dead_code)]
    area_km2: f64,
    #[allow(dead_code)]
    population_2013: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ParishRow {
    code: String,
    name: String,
    municipality_code: String,
    lon: f64,
    lat: f64,
    #[allow(dead_code)]
    area_km2: f64,
}

#[derive(Debug, Deserialize)]
struct HousingAreaRow {
    code: String,
    name: String,
    municipality_code: String,
    #[allow(dead_code)]
    parish_code: String,
    lon: f64,
    lat: f64,
    #[allow(dead_code)]
    name_kind: String,
}

fn read_csv<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<T>, GeographyError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.deserialize()
        .map(|r| r.map_err(|e| err(file, e.to_string())))
        .collect()
}

/// Parses `region.toml`.
pub fn parse_region(text: &str) -> Result<RegionConfig, GeographyError> {
    toml::from_str(text).map_err(|e| err("region.toml", e.to_string()))
}

/// Builds every area row, parents before children, and checks the hierarchy: every
/// municipality in exactly one council, every parish and housing area in a known municipality,
/// unique codes.
pub fn build_areas(
    region_toml: &str,
    municipalities_csv: &str,
    parishes_csv: &str,
    housing_areas_csv: &str,
) -> Result<Vec<NewArea>, GeographyError> {
    let cfg = parse_region(region_toml)?;
    let munis: Vec<MunicipalityRow> = read_csv("municipalities.csv", municipalities_csv)?;
    let parishes: Vec<ParishRow> = read_csv("parishes.csv", parishes_csv)?;
    let housing: Vec<HousingAreaRow> = read_csv("housing_areas.csv", housing_areas_csv)?;

    let mut council_of: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &cfg.council {
        for m in &c.municipalities {
            if let Some(prev) = council_of.insert(m.as_str(), c.code.as_str()) {
                return Err(err(
                    "region.toml",
                    format!(
                        "municipality {m} is in two councils ({prev} and {})",
                        c.code
                    ),
                ));
            }
        }
    }
    let mut out = vec![NewArea {
        code: cfg.region.code.clone(),
        name: cfg.region.name.clone(),
        level: Level::Region,
        alias: None,
        parent_code: None,
        municipality_code: None,
        council_code: None,
        centroid: None,
    }];
    for c in &cfg.council {
        out.push(NewArea {
            code: c.code.clone(),
            name: c.name.clone(),
            level: Level::Council,
            alias: Some(c.id.clone()),
            parent_code: Some(cfg.region.code.clone()),
            municipality_code: None,
            council_code: Some(c.code.clone()),
            centroid: None,
        });
    }
    for m in &munis {
        let council = council_of.get(m.code.as_str()).ok_or_else(|| {
            err(
                "region.toml",
                format!("municipality {} ({}) is in no council", m.code, m.name),
            )
        })?;
        out.push(NewArea {
            code: m.code.clone(),
            name: m.name.clone(),
            level: Level::Municipality,
            alias: None,
            parent_code: Some((*council).to_owned()),
            municipality_code: Some(m.code.clone()),
            council_code: Some((*council).to_owned()),
            centroid: Some((m.lon, m.lat)),
        });
    }
    if council_of.len() != munis.len() {
        return Err(err(
            "region.toml",
            format!(
                "councils list {} municipalities but municipalities.csv has {}",
                council_of.len(),
                munis.len()
            ),
        ));
    }
    let mut child = |file: &'static str,
                     code: &str,
                     name: &str,
                     muni: &str,
                     level: Level,
                     lonlat: (f64, f64)|
     -> Result<(), GeographyError> {
        let council = council_of.get(muni).ok_or_else(|| {
            err(
                file,
                format!("{code} ({name}) lies in unknown municipality {muni}"),
            )
        })?;
        out.push(NewArea {
            code: code.to_owned(),
            name: name.to_owned(),
            level,
            alias: None,
            parent_code: Some(muni.to_owned()),
            municipality_code: Some(muni.to_owned()),
            council_code: Some((*council).to_owned()),
            centroid: Some(lonlat),
        });
        Ok(())
    };
    for p in &parishes {
        child(
            "parishes.csv",
            &p.code,
            &p.name,
            &p.municipality_code,
            Level::Parish,
            (p.lon, p.lat),
        )?;
    }
    for h in &housing {
        child(
            "housing_areas.csv",
            &h.code,
            &h.name,
            &h.municipality_code,
            Level::HousingArea,
            (h.lon, h.lat),
        )?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in &out {
        if !seen.insert(a.code.as_str()) {
            return Err(err(
                "geography",
                format!("area code {} is used twice", a.code),
            ));
        }
    }
    Ok(out)
}

/// The shipped geography (from [`crate::bundle`]).
pub fn bundled_areas() -> Result<Vec<NewArea>, GeographyError> {
    use crate::bundle::*;
    build_areas(
        REGION_TOML,
        MUNICIPALITIES_CSV,
        PARISHES_CSV,
        HOUSING_AREAS_CSV,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_geography_is_complete() {
        let areas = bundled_areas().unwrap();
        let count = |l: Level| areas.iter().filter(|a| a.level == l).count();
        assert_eq!(count(Level::Region), 1);
        assert_eq!(count(Level::Council), 5);
        assert_eq!(count(Level::Municipality), 19);
        assert_eq!(count(Level::Parish), 623);
        let h = count(Level::HousingArea);
        assert!((40..=80).contains(&h), "{h} housing areas");
        let herning = areas.iter().find(|a| a.code == "657").unwrap();
        assert_eq!(herning.name, "Herning");
        assert_eq!(herning.council_code.as_deref(), Some("SR-VEST"));
    }

    #[test]
    fn a_municipality_in_two_councils_is_rejected() {
        let region = r#"
[region]
code = "082"
name = "R"
[[council]]
code = "A"
id = "a"
name = "A"
hospital = "h"
municipalities = ["657"]
budget_dkk = 1.0
[[council]]
code = "B"
id = "b"
name = "B"
hospital = "h"
municipalities = ["657"]
budget_dkk = 1.0
"#;
        let e = build_areas(
            region,
            "code,name,landsdel,lon,lat,area_km2,population_2013\n",
            "code,name,municipality_code,lon,lat,area_km2\n",
            "code,name,municipality_code,parish_code,lon,lat,name_kind\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("two councils"), "{e}");
    }
}
