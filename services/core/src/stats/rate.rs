//! Crude rates with exact or Byar's confidence limits (PHEindicatormethods `phe_rate`).
//!
//! `value = x/n · multiplier`. The limits are those of the count `x` divided by `n`:
//! exact Poisson limits ([`super::poisson_exact`], method "Exact") when `x < 10`, Byar's
//! approximation ([`super::byars`], method "Byars") otherwise. A rate may exceed its
//! denominator (events, not persons, e.g. 250 admissions among 220 people). Requires `x ≥ 0`
//! and `n > 0`. Assumes Poisson-distributed, independent events; for repeat events per person
//! use [`super::dsr`] with non-independent events.
//!
//! Reference: PHE. *Technical guide — confidence intervals*, Fingertips
//! (https://fingertips.phe.org.uk/profile/guidance); METHODS.md §4.1.

use super::byars::{byars_lower_z, byars_upper_z};
use super::poisson_exact::exact_limits_unchecked;
use super::{
    Confidence, Estimate, Method, StatsError, check_count, check_denominator, check_multiplier,
};

/// The count below which the exact Poisson method is used instead of Byar's.
pub const EXACT_BELOW: f64 = 10.0;

/// Limits of a count: exact below [`EXACT_BELOW`], Byar's otherwise. Returns
/// `(lower, upper, method)`; `lower` is `None` only if Byar's formula fails (it cannot for
/// `x ≥ 10` at any level below 1 used in practice, but the type keeps that honest).
pub fn count_limits(x: f64, confidence: Confidence) -> (Option<f64>, f64, Method) {
    if x < EXACT_BELOW {
        let (l, u) = exact_limits_unchecked(x, confidence);
        (Some(l), u, Method::Exact)
    } else {
        let z = confidence.z();
        (byars_lower_z(x, z), byars_upper_z(x, z), Method::Byars)
    }
}

/// A crude rate `x/n · multiplier` with its confidence limits.
pub fn crude_rate(
    x: f64,
    n: f64,
    confidence: Confidence,
    multiplier: f64,
) -> Result<Estimate, StatsError> {
    check_count("numerator", 0, x)?;
    check_denominator("denominator", 0, n)?;
    check_multiplier(multiplier)?;
    let (l, u, method) = count_limits(x, confidence);
    Ok(Estimate {
        value: Some(x / n * multiplier),
        lower: l.map(|l| l / n * multiplier),
        upper: Some(u / n * multiplier),
        confidence,
        method,
        note: l
            .is_none()
            .then(|| "lower limit undefined: Byar's approximation is negative".to_string()),
    })
}
