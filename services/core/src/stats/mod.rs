//! Indicator statistics with exact confidence intervals, as published by UKHSA/PHE.
//!
//! Every function mirrors the formulas of the R package PHEindicatormethods (v2.1.0, commit
//! `093fd288`, GPL-3: the numbers and formulas, never the code) and the Fingertips technical
//! guidance, and is pinned to the package's own test workbooks by known-answer tests in
//! `tests/stats_*.rs` (METHODS.md §4.3, T1–T9). Each result says which method produced it.
//!
//! Module map:
//! - [`confidence`]: the [`Confidence`] level newtype (valid in `[0.9, 1)`, 95/99.8 style too).
//! - [`dist`]: normal and chi-square quantiles accurate in both tails.
//! - [`wilson`]: Wilson score limits and proportions (`phe_proportion`), vectorised.
//! - [`byars`]: Byar's approximation to exact Poisson limits of a count.
//! - [`poisson_exact`]: exact (Garwood) Poisson limits via chi-square quantiles.
//! - [`rate`]: crude rates (`phe_rate`): exact below 10 events, Byar's from 10.
//! - [`esp2013`]: the European Standard Population 2013 and age-band labels.
//! - [`dsr`]: directly standardised rates with Dobson limits, incl. non-independent events.
//! - [`isr`]: indirectly standardised ratios and rates.
//! - [`funnel`]: funnel-plot control limits and significance for proportions and ratios.
//! - [`quantile`]: PHE quantile (e.g. decile) assignment.
//! - [`inequality`]: SII/RII, concentration index, Theil, PAR/PAF, difference and ratio.

pub mod byars;
pub mod confidence;
pub mod dist;
pub mod dsr;
pub mod esp2013;
pub mod funnel;
pub mod inequality;
pub mod isr;
pub mod poisson_exact;
pub mod quantile;
pub mod rate;
pub mod wilson;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use confidence::Confidence;

/// The method that produced an [`Estimate`]; [`Method::as_str`] gives the name
/// PHEindicatormethods prints in its `method` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Wilson score interval for a proportion.
    Wilson,
    /// Byar's approximation to the exact Poisson interval.
    Byars,
    /// Exact Poisson interval from chi-square quantiles.
    Exact,
    /// Dobson's method for a directly standardised rate.
    Dobson,
    /// Dobson's method with the variance adjusted for persons with several events.
    DobsonNonIndependent,
}

impl Method {
    /// The published name, e.g. `"Dobson, with confidence adjusted for non-independent events"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Wilson => "Wilson",
            Method::Byars => "Byars",
            Method::Exact => "Exact",
            Method::Dobson => "Dobson",
            Method::DobsonNonIndependent => {
                "Dobson, with confidence adjusted for non-independent events"
            }
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statistic with its confidence interval.
///
/// `value`, `lower` and `upper` are `None` when the statistic is not computable (then `note`
/// says why, e.g. `"dsr NA for total count < 10"`), and `lower` alone is `None` where the method
/// has no lower limit (Byar's approximation below zero). When present, `lower ≤ value ≤ upper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate (already multiplied by the multiplier).
    pub value: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
    /// The confidence level of the limits.
    pub confidence: Confidence,
    /// The method of the limits.
    pub method: Method,
    /// Why the statistic or a limit is missing, when it is.
    pub note: Option<String>,
}

/// Why a statistic could not be computed from its inputs.
///
/// Indices are 0-based positions in the caller's input (the area, row or band), so a caller
/// can point at the offending record.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum StatsError {
    /// The confidence level is outside `[0.9, 1)` (or `[90, 100)`).
    #[error("confidence level {level} is invalid: use a level in [0.9, 1) or [90, 100)")]
    InvalidConfidence {
        /// The rejected level.
        level: f64,
    },
    /// A count is negative or not finite.
    #[error("{what} at index {index} is {value}: counts must be finite and ≥ 0")]
    InvalidCount {
        /// Which input (e.g. "numerator").
        what: &'static str,
        /// Position in the input.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// A denominator, population or expected count is not positive and finite.
    #[error("{what} at index {index} is {value}: it must be finite and > 0")]
    InvalidDenominator {
        /// Which input (e.g. "denominator").
        what: &'static str,
        /// Position in the input.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// A proportion's numerator exceeds its denominator.
    #[error("numerator {numerator} exceeds denominator {denominator} at index {index}")]
    NumeratorExceedsDenominator {
        /// Position in the input.
        index: usize,
        /// The numerator.
        numerator: f64,
        /// The denominator.
        denominator: f64,
    },
    /// The multiplier is not positive and finite.
    #[error("multiplier {value} is invalid: it must be finite and > 0")]
    InvalidMultiplier {
        /// The rejected value.
        value: f64,
    },
    /// Input arrays that must have the same shape do not.
    #[error("shape mismatch: {what}")]
    ShapeMismatch {
        /// What differs, e.g. "counts has 19 bands, standard has 18".
        what: String,
    },
    /// A standard population (weights) is invalid.
    #[error(
        "standard population weight {value} at band {index} is invalid: weights must be finite and ≥ 0 with a positive sum"
    )]
    InvalidWeight {
        /// Band position.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// An input value (not a count) is not finite.
    #[error("{what} at index {index} is {value}: it must be finite")]
    NotFinite {
        /// Which input.
        what: &'static str,
        /// Position in the input.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// A method needs more input than it got.
    #[error("{0}")]
    TooFew(String),
}

/// Checks that a count is finite and non-negative.
pub(crate) fn check_count(what: &'static str, index: usize, value: f64) -> Result<(), StatsError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidCount { what, index, value })
    }
}

/// Checks that a denominator is finite and positive.
pub(crate) fn check_denominator(
    what: &'static str,
    index: usize,
    value: f64,
) -> Result<(), StatsError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidDenominator { what, index, value })
    }
}

/// Checks that a multiplier is finite and positive.
pub(crate) fn check_multiplier(value: f64) -> Result<(), StatsError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidMultiplier { value })
    }
}
