//! Proportions with Wilson score confidence limits (PHEindicatormethods `phe_proportion`).
//!
//! For `x` cases out of `n` and critical value `z` ([`Confidence::z`]):
//!
//! ```text
//! lower = (2x + z² − z·√(z² + 4x(1 − x/n))) / (2(n + z²))
//! upper = (2x + z² + z·√(z² + 4x(1 − x/n))) / (2(n + z²))
//! ```
//!
//! The value is `x/n`; value and limits are multiplied by the multiplier (1 for a fraction,
//! 100 for a percentage). Assumptions: binomial sampling (independent persons). The interval
//! always lies within `[0, 1]` and behaves well at `x = 0` and `x = n`, unlike the normal
//! ("Wald") interval. Requires `0 ≤ x ≤ n`, `n > 0`; `x` need not be an integer.
//!
//! References: Wilson EB. Probable inference, the law of succession, and statistical inference.
//! *J Am Stat Assoc* 1927;22:209–212. Newcombe RG, Altman DG. Proportions and their differences.
//! In: Altman DG et al. (eds) *Statistics with confidence*, 2nd edn. BMJ Books 2000, pp. 46–48.

use ndarray::{Array1, ArrayView1, Zip};

use super::{
    Confidence, Estimate, Method, StatsError, check_count, check_denominator, check_multiplier,
};

/// Wilson limits `(lower, upper)` for a precomputed `z`; no validation.
#[inline]
pub fn wilson_limits_z(x: f64, n: f64, z: f64) -> (f64, f64) {
    let z2 = z * z;
    let centre = 2.0 * x + z2;
    let half = z * (z2 + 4.0 * x * (1.0 - x / n)).sqrt();
    let denom = 2.0 * (n + z2);
    ((centre - half) / denom, (centre + half) / denom)
}

/// Validates a proportion's inputs (index for the error message).
pub(crate) fn check_proportion(index: usize, x: f64, n: f64) -> Result<(), StatsError> {
    check_count("numerator", index, x)?;
    check_denominator("denominator", index, n)?;
    if x > n {
        return Err(StatsError::NumeratorExceedsDenominator {
            index,
            numerator: x,
            denominator: n,
        });
    }
    Ok(())
}

/// Wilson score limits of `x` out of `n`, as fractions in `[0, 1]`.
pub fn wilson_limits(x: f64, n: f64, confidence: Confidence) -> Result<(f64, f64), StatsError> {
    check_proportion(0, x, n)?;
    Ok(wilson_limits_z(x, n, confidence.z()))
}

/// A proportion `x/n · multiplier` with Wilson limits (method "Wilson").
pub fn proportion(
    x: f64,
    n: f64,
    confidence: Confidence,
    multiplier: f64,
) -> Result<Estimate, StatsError> {
    check_proportion(0, x, n)?;
    check_multiplier(multiplier)?;
    let (l, u) = wilson_limits_z(x, n, confidence.z());
    Ok(Estimate {
        value: Some(x / n * multiplier),
        lower: Some(l * multiplier),
        upper: Some(u * multiplier),
        confidence,
        method: Method::Wilson,
        note: None,
    })
}

/// Proportions and Wilson limits for many areas at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ProportionArrays {
    /// `x/n · multiplier` per area.
    pub value: Array1<f64>,
    /// Lower limits (× multiplier).
    pub lower: Array1<f64>,
    /// Upper limits (× multiplier).
    pub upper: Array1<f64>,
}

/// Vectorised [`proportion`]: validates every area first (the error names the first bad index),
/// then computes all areas in one pass with no per-area allocation.
pub fn proportions(
    x: ArrayView1<'_, f64>,
    n: ArrayView1<'_, f64>,
    confidence: Confidence,
    multiplier: f64,
) -> Result<ProportionArrays, StatsError> {
    if x.len() != n.len() {
        return Err(StatsError::ShapeMismatch {
            what: format!("{} numerators but {} denominators", x.len(), n.len()),
        });
    }
    check_multiplier(multiplier)?;
    for (i, (&xi, &ni)) in x.iter().zip(n.iter()).enumerate() {
        check_proportion(i, xi, ni)?;
    }
    let z = confidence.z();
    let mut value = Array1::zeros(x.len());
    let mut lower = Array1::zeros(x.len());
    let mut upper = Array1::zeros(x.len());
    let kernel = |v: &mut f64, l: &mut f64, u: &mut f64, xi: f64, ni: f64| {
        let (lo, hi) = wilson_limits_z(xi, ni, z);
        *v = xi / ni * multiplier;
        *l = lo * multiplier;
        *u = hi * multiplier;
    };
    match (
        x.as_slice(),
        n.as_slice(),
        value.as_slice_mut(),
        lower.as_slice_mut(),
        upper.as_slice_mut(),
    ) {
        // Contiguous inputs: plain slice loop, which the compiler vectorises.
        (Some(xs), Some(ns), Some(vs), Some(ls), Some(us)) => {
            for i in 0..xs.len() {
                kernel(&mut vs[i], &mut ls[i], &mut us[i], xs[i], ns[i]);
            }
        }
        _ => Zip::from(&mut value)
            .and(&mut lower)
            .and(&mut upper)
            .and(x)
            .and(n)
            .for_each(|v, l, u, &xi, &ni| kernel(v, l, u, xi, ni)),
    }
    Ok(ProportionArrays {
        value,
        lower,
        upper,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn validation_errors_name_the_index() {
        let e = proportions(
            array![1.0, 5.0].view(),
            array![2.0, 4.0].view(),
            Confidence::P95,
            1.0,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            StatsError::NumeratorExceedsDenominator { index: 1, .. }
        ));
        assert!(proportion(1.0, 0.0, Confidence::P95, 1.0).is_err());
        assert!(proportion(-1.0, 3.0, Confidence::P95, 1.0).is_err());
        assert!(proportion(1.0, 3.0, Confidence::P95, 0.0).is_err());
    }

    #[test]
    fn boundaries_are_zero_and_one() {
        let (l, _) = wilson_limits(0.0, 10.0, Confidence::P95).unwrap();
        let (_, u) = wilson_limits(10.0, 10.0, Confidence::P95).unwrap();
        assert_eq!(l, 0.0);
        assert!((u - 1.0).abs() < 1e-15);
    }
}
