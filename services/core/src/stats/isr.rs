//! Indirectly standardised ratios and rates (PHEindicatormethods `calculate_ISRatio`,
//! `calculate_ISRate`).
//!
//! With the area's band populations `n_i`, its total observed events `O`, and a reference
//! population's band counts `X_i` and populations `N_i`:
//!
//! ```text
//! E      = Σ n_i · X_i/N_i                 (expected events at the reference rates)
//! ratio  = O/E · refvalue                  (refvalue 1, or 100 for an SMR-style ratio)
//! limits = limits of the count O / E       (exact below 10 events, Byar's from 10)
//! ISRate = ratio · (ΣX_i/ΣN_i) · multiplier
//! ```
//!
//! Missing band counts and populations are treated as 0 in the sums, as the package does (NA
//! counts → 0). A reference band with population 0 is an error unless its count is also 0
//! (then it contributes nothing). Assumes Poisson events and exactly known populations.
//!
//! Reference: Breslow NE, Day NE (1987), as for [`super::byars`]; PHE Fingertips guidance.

use super::rate::count_limits;
use super::{Confidence, Estimate, StatsError, check_count, check_denominator, check_multiplier};

/// Expected events `E = Σ n_i·X_i/N_i` and the reference crude rate `ΣX/ΣN` (unscaled).
pub fn expected_events(
    populations: &[f64],
    ref_counts: &[f64],
    ref_populations: &[f64],
) -> Result<(f64, f64), StatsError> {
    if populations.len() != ref_counts.len() || ref_counts.len() != ref_populations.len() {
        return Err(StatsError::ShapeMismatch {
            what: format!(
                "{} area bands, {} reference counts, {} reference populations",
                populations.len(),
                ref_counts.len(),
                ref_populations.len()
            ),
        });
    }
    let (mut e, mut rx, mut rn) = (0.0, 0.0, 0.0);
    for i in 0..populations.len() {
        check_count("population", i, populations[i])?;
        check_count("reference count", i, ref_counts[i])?;
        check_count("reference population", i, ref_populations[i])?;
        if ref_populations[i] == 0.0 {
            if ref_counts[i] > 0.0 {
                return Err(StatsError::InvalidDenominator {
                    what: "reference population",
                    index: i,
                    value: 0.0,
                });
            }
            continue;
        }
        e += populations[i] * ref_counts[i] / ref_populations[i];
        rx += ref_counts[i];
        rn += ref_populations[i];
    }
    if rn <= 0.0 {
        return Err(StatsError::InvalidDenominator {
            what: "total reference population",
            index: 0,
            value: rn,
        });
    }
    Ok((e, rx / rn))
}

/// The indirectly standardised ratio `O/E · refvalue` with exact/Byar's limits.
pub fn isratio(
    observed: f64,
    expected: f64,
    confidence: Confidence,
    refvalue: f64,
) -> Result<Estimate, StatsError> {
    check_count("observed", 0, observed)?;
    check_denominator("expected", 0, expected)?;
    check_multiplier(refvalue)?;
    let (l, u, method) = count_limits(observed, confidence);
    Ok(Estimate {
        value: Some(observed / expected * refvalue),
        lower: l.map(|l| l / expected * refvalue),
        upper: Some(u / expected * refvalue),
        confidence,
        method,
        note: None,
    })
}

/// The indirectly standardised rate `O/E · ref_rate · multiplier` with its limits.
pub fn israte(
    observed: f64,
    expected: f64,
    ref_rate: f64,
    confidence: Confidence,
    multiplier: f64,
) -> Result<Estimate, StatsError> {
    check_multiplier(multiplier)?;
    if !(ref_rate.is_finite() && ref_rate >= 0.0) {
        return Err(StatsError::NotFinite {
            what: "reference rate",
            index: 0,
            value: ref_rate,
        });
    }
    let r = isratio(observed, expected, confidence, 1.0)?;
    let k = ref_rate * multiplier;
    Ok(Estimate {
        value: r.value.map(|v| v * k),
        lower: r.lower.map(|v| v * k),
        upper: r.upper.map(|v| v * k),
        ..r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_reference_population_with_events_is_an_error() {
        assert!(expected_events(&[1.0, 2.0], &[1.0, 1.0], &[10.0, 0.0]).is_err());
        let (e, r) = expected_events(&[1.0, 2.0], &[1.0, 0.0], &[10.0, 0.0]).unwrap();
        assert_eq!(e, 0.1);
        assert_eq!(r, 0.1);
        assert!(isratio(3.0, 0.0, Confidence::P95, 1.0).is_err());
    }
}
