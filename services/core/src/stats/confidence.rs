//! The confidence level of an interval, valid only where the methods are valid.

use serde::{Deserialize, Serialize};

use super::StatsError;
use super::dist::normal_quantile;

/// A two-sided confidence level `c` with `0.9 ≤ c < 1`.
///
/// Constructed with [`Confidence::new`], which accepts the level either as a fraction
/// (`0.95`, `0.998`) or, like PHEindicatormethods, as a percentage (`95`, `99.8`). Levels below
/// 90 % are rejected because the published methods (PHE Fingertips guidance) are only validated
/// from 90 % up; a level of 100 % is rejected because every interval would be unbounded. A
/// `Confidence` therefore always has a finite critical value [`Confidence::z`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f64);

impl Confidence {
    /// 95 %, the default level of every method.
    pub const P95: Confidence = Confidence(0.95);
    /// 99.8 %, the "3 sigma" level used by PHE funnel plots and Fingertips.
    pub const P998: Confidence = Confidence(0.998);

    /// Validates a level given as a fraction in `[0.9, 1)` or a percentage in `[90, 100)`.
    pub fn new(level: f64) -> Result<Confidence, StatsError> {
        let fraction = if (90.0..100.0).contains(&level) {
            level / 100.0
        } else {
            level
        };
        if fraction.is_finite() && (0.9..1.0).contains(&fraction) {
            Ok(Confidence(fraction))
        } else {
            Err(StatsError::InvalidConfidence { level })
        }
    }

    /// The level as a fraction, e.g. `0.95`.
    pub fn level(self) -> f64 {
        self.0
    }

    /// The upper-tail probability of each side, `(1 − c)/2` (0.025 at 95 %).
    pub fn alpha_half(self) -> f64 {
        (1.0 - self.0) / 2.0
    }

    /// The two-sided critical value `z = Φ⁻¹(c + (1 − c)/2)`, as PHEindicatormethods computes
    /// it: 1.959963984540054 at 95 %, 3.090232306167813 at 99.8 % (METHODS.md §4).
    pub fn z(self) -> f64 {
        normal_quantile(self.0 + (1.0 - self.0) / 2.0)
    }
}

impl Default for Confidence {
    fn default() -> Self {
        Confidence::P95
    }
}

impl TryFrom<f64> for Confidence {
    type Error = StatsError;
    fn try_from(level: f64) -> Result<Self, Self::Error> {
        Confidence::new(level)
    }
}

impl From<Confidence> for f64 {
    fn from(c: Confidence) -> f64 {
        c.0
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_fractions_and_percentages_like_phe() {
        assert_eq!(Confidence::new(0.95).unwrap().level(), 0.95);
        assert_eq!(Confidence::new(95.0).unwrap().level(), 0.95);
        assert_eq!(Confidence::new(99.8).unwrap().level(), 0.998);
        assert_eq!(Confidence::new(0.9).unwrap().level(), 0.9);
    }

    #[test]
    fn rejects_levels_outside_the_valid_range() {
        for bad in [
            0.0,
            0.5,
            0.89,
            1.0,
            1.5,
            89.9,
            100.0,
            150.0,
            f64::NAN,
            f64::INFINITY,
            -0.95,
        ] {
            assert!(Confidence::new(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn critical_values_match_phe() {
        // METHODS.md §4: z = qnorm(conf + (1 - conf)/2) in R.
        assert!((Confidence::P95.z() - 1.959963984540054).abs() < 1e-15);
        assert!((Confidence::P998.z() - 3.090232306167813).abs() < 1e-14);
    }
}
