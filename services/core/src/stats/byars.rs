//! Byar's approximation to the exact Poisson confidence interval of a count.
//!
//! For an observed count `x` and critical value `z` (see [`Confidence::z`]):
//!
//! ```text
//! lower = x · (1 − 1/(9x) − z/(3√x))³
//! upper = (x + 1) · (1 − 1/(9(x + 1)) + z/(3√(x + 1)))³
//! ```
//!
//! Assumptions: `x` is a Poisson count (events independent). Where it breaks: for very small
//! counts or levels close to 1 the lower formula goes negative (and is undefined at `x = 0`);
//! then there is no lower limit (`None`), as PHEindicatormethods returns `NA`. Callers that
//! need limits for small counts use the exact method ([`super::poisson_exact`]); the crude-rate
//! and ISR functions switch to it below 10 events.
//!
//! Reference: Breslow NE, Day NE. *Statistical methods in cancer research, vol. II: the design and
//! analysis of cohort studies.* IARC, Lyon 1987 (as cited by PHEindicatormethods `R/utils.R`).

use super::{Confidence, StatsError, check_count};

/// Byar's lower limit of a count; `None` where the approximation is negative or undefined.
pub fn byars_lower(x: f64, confidence: Confidence) -> Option<f64> {
    byars_lower_z(x, confidence.z())
}

/// Byar's upper limit of a count.
pub fn byars_upper(x: f64, confidence: Confidence) -> f64 {
    byars_upper_z(x, confidence.z())
}

/// [`byars_lower`] with a precomputed critical value `z`.
pub fn byars_lower_z(x: f64, z: f64) -> Option<f64> {
    if x <= 0.0 {
        return None;
    }
    let l = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * x.sqrt())).powi(3);
    (l >= 0.0 && l.is_finite()).then_some(l)
}

/// [`byars_upper`] with a precomputed critical value `z`.
pub fn byars_upper_z(x: f64, z: f64) -> f64 {
    let x1 = x + 1.0;
    x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * x1.sqrt())).powi(3)
}

/// Both of Byar's limits of a validated count.
pub fn byars_limits(x: f64, confidence: Confidence) -> Result<(Option<f64>, f64), StatsError> {
    check_count("count", 0, x)?;
    let z = confidence.z();
    Ok((byars_lower_z(x, z), byars_upper_z(x, z)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_tiny_counts_have_no_lower_limit() {
        assert_eq!(byars_lower(0.0, Confidence::P95), None);
        assert!(byars_upper(0.0, Confidence::P95) > 0.0);
        assert!(byars_limits(-1.0, Confidence::P95).is_err());
    }
}
