//! Exact (Garwood) Poisson confidence limits of a count via chi-square quantiles.
//!
//! For an observed count `x` and level `c` with `α = 1 − c`:
//!
//! ```text
//! lower = χ²_{α/2; 2x} / 2          (0 when x = 0)
//! upper = χ²_{1−α/2; 2x+2} / 2
//! ```
//!
//! These are the limits of PHEindicatormethods' `phe_rate`/`calculate_ISRatio` for fewer than 10
//! events (method "Exact"). The chi-square quantiles come from [`super::dist::chi2_quantile`],
//! which is accurate in both tails (not `statrs`' own quantile, see DEPS.md §5). Non-integer
//! counts are accepted (the formula is continuous in `x`), as in R.
//!
//! Reference: Garwood F. Fiducial limits for the Poisson distribution. *Biometrika*
//! 1936;28:437–442.

use super::dist::chi2_quantile;
use super::{Confidence, StatsError, check_count};

/// Exact lower and upper Poisson limits of a count.
pub fn exact_limits(x: f64, confidence: Confidence) -> Result<(f64, f64), StatsError> {
    check_count("count", 0, x)?;
    Ok(exact_limits_unchecked(x, confidence))
}

/// [`exact_limits`] for a count already known to be finite and ≥ 0.
pub(crate) fn exact_limits_unchecked(x: f64, confidence: Confidence) -> (f64, f64) {
    let a = confidence.alpha_half();
    let lower = if x == 0.0 {
        0.0
    } else {
        chi2_quantile(a, 2.0 * x) / 2.0
    };
    let upper = chi2_quantile(1.0 - a, 2.0 * x + 2.0) / 2.0;
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_count_has_lower_limit_zero() {
        let (l, u) = exact_limits(0.0, Confidence::P95).unwrap();
        assert_eq!(l, 0.0);
        // χ²_{0.975; 2}/2 = −ln(0.025) exactly.
        assert!((u - (-(0.025f64).ln())).abs() < 1e-13);
    }
}
