//! Observations: the unit of register data that ingest produces, the store keeps and models read.
//!
//! An observation is one published cell: an indicator for one area and period, optionally for an
//! age band, sex and citizen segment, as a numerator and (for proportions and rates) a
//! denominator. A suppressed or missing cell is *kept* with the reason, never turned into 0.

use serde::{Deserialize, Serialize};

/// Why an observation has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingReason {
    /// Published as `..`: suppressed (diskretioneret), missing or too uncertain to publish.
    Suppressed,
    /// An empty cell in a file where a value was expected.
    Empty,
}

impl MissingReason {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingReason::Suppressed => "suppressed",
            MissingReason::Empty => "empty",
        }
    }

    /// Parses a name written by [`MissingReason::as_str`].
    pub fn parse(s: &str) -> Option<MissingReason> {
        match s {
            "suppressed" => Some(MissingReason::Suppressed),
            "empty" => Some(MissingReason::Empty),
            _ => None,
        }
    }
}

/// One cell of register data.
///
/// `age_band`, `sex` and `segment` are empty strings for "all" (the total), so the tuple
/// (area, indicator, period, age band, sex, segment) is always a complete key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Area code (`657` municipality, `7240` parish, `657-B01` housing area, …).
    pub area_code: String,
    /// Indicator id from the registry (`models/indicators.toml`), e.g. `copd_prevalence`.
    pub indicator: String,
    /// Period code as published (`2024`, `2024K1`, `2024M01`, …).
    pub period: String,
    /// Count of persons/events; `None` when missing.
    pub numerator: Option<f64>,
    /// Population at risk; `None` for plain counts or when missing.
    pub denominator: Option<f64>,
    /// Age band label (`0-4`, …, `90+`, `18-64`) or empty for all ages.
    pub age_band: String,
    /// `1` men, `2` women (StatBank `KØN` codes) or empty for both.
    pub sex: String,
    /// Citizen segment id or empty for the whole population.
    pub segment: String,
    /// Set when the value is missing, with the reason.
    pub missing: Option<MissingReason>,
}
