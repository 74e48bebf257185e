//! Shared helpers: locate the repository and read the committed demo/geography files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The repository root (this crate lives in `services/demo`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
}

pub fn geography_dir() -> PathBuf {
    repo().join("data").join("geography")
}

pub fn demo_dir() -> PathBuf {
    repo().join("data").join("demo")
}

/// Reads a committed file as bytes, panicking with the path on failure (test code).
pub fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// All records of a CSV file (header excluded) as string vectors, plus the header.
pub fn records(path: &PathBuf, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let header = r
        .headers()
        .unwrap_or_else(|e| panic!("header of {}: {e}", path.display()))
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| {
            rec.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

/// One row of `indicators.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    pub area: String,
    pub indicator: String,
    pub period: String,
    pub num: String,
    pub den: String,
    pub band: String,
    pub sex: String,
    pub segment: String,
}

impl Obs {
    pub fn num_u64(&self) -> Option<u64> {
        (!self.num.is_empty()).then(|| {
            self.num
                .parse()
                .unwrap_or_else(|e| panic!("numerator {:?} of {self:?}: {e}", self.num))
        })
    }
    pub fn den_u64(&self) -> Option<u64> {
        (!self.den.is_empty()).then(|| {
            self.den
                .parse()
                .unwrap_or_else(|e| panic!("denominator {:?} of {self:?}: {e}", self.den))
        })
    }
}

/// `indicators.csv` (header, rows), parsed once per test binary.
pub fn indicators() -> &'static (Vec<String>, Vec<Obs>) {
    static CELL: OnceLock<(Vec<String>, Vec<Obs>)> = OnceLock::new();
    CELL.get_or_init(read_indicators)
}

fn read_indicators() -> (Vec<String>, Vec<Obs>) {
    let (header, rows) = records(&demo_dir().join("indicators.csv"), b';');
    let obs = rows
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), 8, "row {r:?}");
            Obs {
                area: r[0].clone(),
                indicator: r[1].clone(),
                period: r[2].clone(),
                num: r[3].clone(),
                den: r[4].clone(),
                band: r[5].clone(),
                sex: r[6].clone(),
                segment: r[7].clone(),
            }
        })
        .collect();
    (header, obs)
}

type Folk1a = (Vec<String>, BTreeMap<(String, String, String, String), u64>);

/// FOLK1A rows keyed by (OMRÅDE, KØN, ALDER, TID), parsed once per test binary.
pub fn folk1a() -> &'static Folk1a {
    static CELL: OnceLock<Folk1a> = OnceLock::new();
    CELL.get_or_init(read_folk1a)
}

fn read_folk1a() -> Folk1a {
    let (header, rows) = records(&demo_dir().join("folk1a_population.csv"), b';');
    let mut map = BTreeMap::new();
    for r in rows {
        let v: u64 = r[4]
            .parse()
            .unwrap_or_else(|e| panic!("INDHOLD {:?}: {e}", r[4]));
        let prev = map.insert((r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()), v);
        assert!(prev.is_none(), "duplicate FOLK1A key {r:?}");
    }
    (header, map)
}

/// Non-band rows keyed by (area, indicator, period).
pub fn totals_index(obs: &[Obs]) -> BTreeMap<(String, String, String), Obs> {
    obs.iter()
        .filter(|o| o.band.is_empty())
        .map(|o| {
            (
                (o.area.clone(), o.indicator.clone(), o.period.clone()),
                o.clone(),
            )
        })
        .collect()
}
