//! Quantiles of the normal and chi-square distributions, accurate where lighed needs them.
//!
//! The normal quantile is `statrs`' (accurate to 2.6e-16 relative from p = 1e-300 to 1 − 1e-15,
//! DEPS.md §5). `statrs`' chi-square quantile is *not* used directly: it returns ≈ 9.3e-10
//! whatever the true value in the far lower tail for df < 2 and loses ~1e-6 relative accuracy near
//! p = 1 (DEPS.md §5). [`chi2_quantile`] instead solves `P(df/2, x/2) = p` for `x` with a
//! safeguarded Newton iteration on the regularised incomplete gamma function, working on the
//! lower tail `P` for `p ≤ 0.5` and on the upper tail `Q = 1 − P` for `p > 0.5`, so neither tail
//! suffers cancellation. Known-answer tests (below and in `tests/stats_*.rs`) pin it to R's
//! `qchisq` at the points the exact Poisson limits use.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// Standard normal quantile `Φ⁻¹(p)` for `0 < p < 1` (±∞ at 0 and 1, NaN outside).
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // `Normal::standard()` cannot fail; `inverse_cdf` is total on (0, 1).
    Normal::standard().inverse_cdf(p)
}

/// Regularised lower incomplete gamma `P(a, x)`, total for `a > 0`, `x ≥ 0`.
fn p_lower(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x.is_infinite() {
        1.0
    } else {
        gamma_lr(a, x)
    }
}

/// Regularised upper incomplete gamma `Q(a, x)`, total for `a > 0`, `x ≥ 0`.
fn q_upper(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        1.0
    } else if x.is_infinite() {
        0.0
    } else {
        gamma_ur(a, x)
    }
}

/// Gamma(shape `a`, scale 1) density at `x > 0`.
fn gamma_density(a: f64, x: f64) -> f64 {
    ((a - 1.0) * x.ln() - x - ln_gamma(a)).exp()
}

/// Quantile of the Gamma(shape `a`, scale 1) distribution: the `x` with `P(a, x) = p`.
///
/// Returns 0 for `p = 0`, +∞ for `p = 1`, NaN for invalid arguments. Accurate to a few ulps of
/// the incomplete gamma function used (≈ 1e-14 relative) in both tails; for `p > 0.5` it solves
/// `Q(a, x) = 1 − p` (exact in floating point there), so there is no cancellation.
pub fn gamma_quantile(p: f64, a: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p > 0.5 {
        gamma_solve(a, 1.0 - p, true)
    } else {
        gamma_solve(a, p, false)
    }
}

/// Upper-tail Gamma quantile: the `x` with `Q(a, x) = q`, for tiny `q` without cancellation.
pub fn gamma_quantile_upper(q: f64, a: f64) -> f64 {
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    if q > 0.5 {
        gamma_solve(a, 1.0 - q, false)
    } else {
        gamma_solve(a, q, true)
    }
}

/// Solves `P(a, x) = target` (`upper = false`) or `Q(a, x) = target` (`upper = true`).
fn gamma_solve(a: f64, target: f64, upper: bool) -> f64 {
    if a.is_nan() || a <= 0.0 || !a.is_finite() || target.is_nan() || !(0.0..=1.0).contains(&target)
    {
        return f64::NAN;
    }
    let (zero_at, inf_at) = if upper { (1.0, 0.0) } else { (0.0, 1.0) };
    if target == zero_at {
        return 0.0;
    }
    if target == inf_at {
        return f64::INFINITY;
    }
    // g(x) is increasing in x and has its root at the quantile.
    let g = |x: f64| {
        if upper {
            target - q_upper(a, x)
        } else {
            p_lower(a, x) - target
        }
    };
    // Bracket the root: grow/shrink geometrically from a moment-based start.
    let start = a.max(1e-3);
    let (mut lo, mut hi) = (start, start);
    while g(lo) > 0.0 {
        lo /= 16.0;
        if lo < f64::MIN_POSITIVE {
            return 0.0;
        }
    }
    while g(hi) < 0.0 {
        hi *= 4.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    // Safeguarded Newton: a Newton step when it stays inside the bracket, otherwise bisection
    // in log space (the root may be tiny).
    let mut x = if lo == hi { lo } else { (lo * hi).sqrt() };
    for _ in 0..400 {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = gamma_density(a, x);
        let newton = x - gx / d;
        let next = if d > 0.0 && newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            (lo * hi).sqrt()
        };
        if ((next - x) / x).abs() < 4.0 * f64::EPSILON || hi - lo <= hi * 4.0 * f64::EPSILON {
            return next;
        }
        x = next;
    }
    x
}

/// Chi-square quantile `χ²_{p; df}`: the value with lower-tail probability `p` on `df` degrees
/// of freedom (R's `qchisq(p, df)`), computed as `2 · gamma_quantile(p, df/2)`.
///
/// `df = 0` is the point mass at 0 (so the exact Poisson lower limit of a zero count is 0).
pub fn chi2_quantile(p: f64, df: f64) -> f64 {
    if df == 0.0 {
        return 0.0;
    }
    2.0 * gamma_quantile(p, df / 2.0)
}

/// Upper-tail chi-square quantile `χ²` with `P(X > x) = q` (R's `qchisq(q, df, lower.tail =
/// FALSE)`), computed on the upper tail directly.
pub fn chi2_quantile_upper(q: f64, df: f64) -> f64 {
    if df == 0.0 {
        return 0.0;
    }
    2.0 * gamma_quantile_upper(q, df / 2.0)
}

/// Regularised lower incomplete gamma `P(a, x)`, exposed for the Poisson relations used by the
/// funnel plots: for a Poisson mean `μ` and integer `k ≥ 1`, `P(X ≥ k) = P(k, μ)`.
pub fn reg_gamma_lower(a: f64, x: f64) -> f64 {
    p_lower(a, x)
}

/// Regularised upper incomplete gamma `Q(a, x) = 1 − P(a, x)`.
pub fn reg_gamma_upper(a: f64, x: f64) -> f64 {
    q_upper(a, x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn chi2_quantiles_match_r_qchisq() {
        // R 4.x: qchisq(0.025, 2) = 0.05063561596857975; qchisq(0.975, 4) = 11.14328678187780
        // (these are 2× the exact Poisson limits of METHODS.md §4.3 T4: 1/100 per 100 →
        // [0.025317807984289897, 5.571643390938898]).
        assert!(rel(chi2_quantile(0.025, 2.0) / 2.0, 0.025317807984289897) < 1e-13);
        assert!(rel(chi2_quantile(0.975, 4.0) / 2.0, 5.571643390938898) < 1e-13);
        // df = 2 is exponential: qchisq(p, 2) = -2 ln(1 - p) exactly.
        for p in [1e-12f64, 1e-6, 0.001, 0.025, 0.5, 0.975, 0.999, 1.0 - 1e-9] {
            let exact = -2.0 * (-p).ln_1p();
            assert!(rel(chi2_quantile(p, 2.0), exact) < 1e-13, "p={p}");
        }
    }

    #[test]
    fn far_lower_tail_for_small_df_is_correct() {
        // df = 1: χ²₁ quantile = Φ⁻¹((1+p)/2)²; DEPS.md §5: true value at p = 1e-12 is 1.57e-24.
        // Far tail: P(1/2, x/2) = erf(√(x/2)) ≈ (2/√π)·√(x/2) so x ≈ π p²/2 (relative error
        // O(p²)); (1+p)/2 itself cannot be formed accurately in f64 there.
        for p in [1e-12, 1e-9, 1e-6] {
            let approx = std::f64::consts::PI * p * p / 2.0;
            assert!(rel(chi2_quantile(p, 1.0), approx) < 1e-9, "p={p}");
        }
        for p in [0.001, 0.025] {
            let z = normal_quantile((1.0 + p) / 2.0);
            assert!(rel(chi2_quantile(p, 1.0), z * z) < 1e-9, "p={p}");
        }
    }

    #[test]
    fn upper_tail_has_no_cancellation() {
        // df = 2: upper quantile for q is -2 ln q exactly.
        for q in [1e-15, 1e-12, 1e-6, 0.001] {
            assert!(
                rel(chi2_quantile_upper(q, 2.0), -2.0 * q.ln()) < 1e-12,
                "q={q}"
            );
        }
    }

    #[test]
    fn edge_arguments_do_not_panic() {
        assert_eq!(chi2_quantile(0.3, 0.0), 0.0);
        assert_eq!(gamma_quantile(0.0, 2.0), 0.0);
        assert!(gamma_quantile(1.0, 2.0).is_infinite());
        assert!(gamma_quantile(0.5, -1.0).is_nan());
        assert!(gamma_quantile(f64::NAN, 1.0).is_nan());
        assert!(normal_quantile(2.0).is_nan());
    }
}
