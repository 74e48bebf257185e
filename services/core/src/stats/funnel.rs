//! Funnel-plot control limits and significance (PHEindicatormethods `calculate_funnel_limits`,
//! `assign_funnel_significance`).
//!
//! # Proportions (closed form)
//! With the pooled proportion `p̄ = Σx/Σn`, a denominator `n`, and `Q = Φ⁻¹(p)²` for `p = 0.975`
//! (the 2σ, 95 % limits) or `p = 0.999` (3σ, 99.8 %):
//!
//! ```text
//! first = p̄(n/Q + 1)
//! adj   = √((−8p̄(n/Q + 1))² − 64(1/Q + 1/n)·p̄·(n(p̄(n/Q + 2) − 1) + Q(p̄ − 1)))
//! last  = 1/Q + 1/n
//! limit = (first ∓ adj/8) / last / n
//! ```
//!
//! These are the exact roots of the Wilson-score equation around `p̄` (the limits within which
//! a proportion of `n` is consistent with `p̄`). Published lines are clipped to
//! `[0, multiplier]`; significance uses the unclipped limits: below the 99.8 % low limit →
//! "Low (0.001)", else below the 95 % low limit → "Low (0.025)", similarly "High", else "Not
//! significant".
//!
//! # Ratios and rates (exact Poisson)
//! For observed events `O`, the funnel lines give the expected count `E` at which `O` is just
//! significant: the lower line is the `E` with `P(X ≤ O | E) = α/2`, i.e.
//! `E = χ²_{1−α/2; 2O+2}/2`, and the upper line the `E` with `P(X ≥ O | E) = α/2`, i.e.
//! `E = χ²_{α/2; 2O}/2`; the ratio limit is `O/E`. lighed computes these with exact chi-square
//! quantiles; the package bisects (an Excel-macro port, tolerance 1e-7 on a transformed scale),
//! so its published lines agree to that tolerance only. For one area with expected `E`,
//! [`ratio_funnel_limits_at`] inverts the same relation in `O` (continuous), so the per-area
//! limits lie exactly on the plotted lines.
//!
//! Significance of a ratio `O/E` follows `funnel_ratio_significance`: the exact (below 10
//! events) or Byar's (from 10) limits of `O` divided by `E` at 99.8 % and 95 %, compared with 1.
//!
//! References: Spiegelhalter DJ. Funnel plots for comparing institutional performance. *Stat Med*
//! 2005;24:1185–1202. PHE Fingertips technical guidance (funnel plots); METHODS.md §4.1.

use serde::{Deserialize, Serialize};

use super::dist::{gamma_quantile, normal_quantile, reg_gamma_lower};
use super::rate::count_limits;
use super::{Confidence, StatsError, check_count, check_denominator, check_multiplier};

/// The significance band of a point on a funnel plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Significance {
    /// Below the 99.8 % (3σ) lower limit.
    Low001,
    /// Below the 95 % (2σ) lower limit only.
    Low025,
    /// Within the 95 % limits.
    NotSignificant,
    /// Above the 95 % upper limit only.
    High025,
    /// Above the 99.8 % upper limit.
    High001,
}

impl Significance {
    /// The published label, e.g. `"Low (0.001)"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Significance::Low001 => "Low (0.001)",
            Significance::Low025 => "Low (0.025)",
            Significance::NotSignificant => "Not significant",
            Significance::High025 => "High (0.025)",
            Significance::High001 => "High (0.001)",
        }
    }

    /// Parses a published label.
    pub fn parse(s: &str) -> Option<Significance> {
        [
            Significance::Low001,
            Significance::Low025,
            Significance::NotSignificant,
            Significance::High025,
            Significance::High001,
        ]
        .into_iter()
        .find(|v| v.as_str() == s.trim())
    }
}

impl std::fmt::Display for Significance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Side of a funnel limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The lower limit.
    Low,
    /// The upper limit.
    High,
}

/// The 2σ and 3σ limits at one point of a funnel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FunnelLimits {
    /// 95 % lower limit.
    pub lower_2s: f64,
    /// 95 % upper limit.
    pub upper_2s: f64,
    /// 99.8 % lower limit.
    pub lower_3s: f64,
    /// 99.8 % upper limit.
    pub upper_3s: f64,
}

/// The probability of the 2σ (95 %) lines.
pub const P_2S: f64 = 0.975;
/// The probability of the 3σ (99.8 %) lines.
pub const P_3S: f64 = 0.999;

/// One unclipped proportion funnel limit (PHE `sigma_adjustment`), as a fraction × multiplier.
pub fn proportion_limit(p: f64, n: f64, p_bar: f64, side: Side, multiplier: f64) -> f64 {
    let q = normal_quantile(p).powi(2);
    let first = p_bar * (n / q + 1.0);
    let adj = ((-8.0 * p_bar * (n / q + 1.0)).powi(2)
        - 64.0
            * (1.0 / q + 1.0 / n)
            * p_bar
            * (n * (p_bar * (n / q + 2.0) - 1.0) + q * (p_bar - 1.0)))
        .sqrt();
    let last = 1.0 / q + 1.0 / n;
    let l = match side {
        Side::Low => (first - adj / 8.0) / last,
        Side::High => (first + adj / 8.0) / last,
    };
    l / n * multiplier
}

/// The published (clipped to `[0, multiplier]`) proportion funnel limits at denominator `n`.
pub fn proportion_funnel_limits(n: f64, p_bar: f64, multiplier: f64) -> FunnelLimits {
    let clip = |v: f64| v.clamp(0.0, multiplier);
    FunnelLimits {
        lower_2s: clip(proportion_limit(P_2S, n, p_bar, Side::Low, multiplier)),
        upper_2s: clip(proportion_limit(P_2S, n, p_bar, Side::High, multiplier)),
        lower_3s: clip(proportion_limit(P_3S, n, p_bar, Side::Low, multiplier)),
        upper_3s: clip(proportion_limit(P_3S, n, p_bar, Side::High, multiplier)),
    }
}

/// Significance of the proportion `x/n` against the pooled proportion `p̄`.
pub fn proportion_significance(x: f64, n: f64, p_bar: f64) -> Significance {
    let v = x / n;
    if v < proportion_limit(P_3S, n, p_bar, Side::Low, 1.0) {
        Significance::Low001
    } else if v < proportion_limit(P_2S, n, p_bar, Side::Low, 1.0) {
        Significance::Low025
    } else if v > proportion_limit(P_3S, n, p_bar, Side::High, 1.0) {
        Significance::High001
    } else if v > proportion_limit(P_2S, n, p_bar, Side::High, 1.0) {
        Significance::High025
    } else {
        Significance::NotSignificant
    }
}

/// One area of a funnel plot: its limits and significance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FunnelPoint {
    /// The control limits at the area's denominator (or expected count).
    pub limits: FunnelLimits,
    /// Where the area lies.
    pub significance: Significance,
}

/// Funnel limits and significance of every area for proportions `x_i/n_i` against the pooled
/// `p̄ = Σx/Σn`; returns `(p̄ · multiplier, points)`.
pub fn proportion_funnel(
    x: &[f64],
    n: &[f64],
    multiplier: f64,
) -> Result<(f64, Vec<FunnelPoint>), StatsError> {
    if x.len() != n.len() || x.is_empty() {
        return Err(StatsError::ShapeMismatch {
            what: format!(
                "{} numerators, {} denominators (need ≥ 1 area)",
                x.len(),
                n.len()
            ),
        });
    }
    check_multiplier(multiplier)?;
    for i in 0..x.len() {
        super::wilson::check_proportion(i, x[i], n[i])?;
    }
    let p_bar = x.iter().sum::<f64>() / n.iter().sum::<f64>();
    let points = x
        .iter()
        .zip(n)
        .map(|(&xi, &ni)| FunnelPoint {
            limits: proportion_funnel_limits(ni, p_bar, multiplier),
            significance: proportion_significance(xi, ni, p_bar),
        })
        .collect();
    Ok((p_bar * multiplier, points))
}

/// Significance of the ratio `O/E` (PHE `funnel_ratio_significance`).
pub fn ratio_significance(observed: f64, expected: f64) -> Result<Significance, StatsError> {
    check_count("observed", 0, observed)?;
    check_denominator("expected", 0, expected)?;
    let lim = |c: Confidence| {
        let (l, u, _) = count_limits(observed, c);
        (l.unwrap_or(0.0) / expected, u / expected)
    };
    let (l3, u3) = lim(Confidence::P998);
    let (l2, u2) = lim(Confidence::P95);
    Ok(if 1.0 < l3 {
        Significance::High001
    } else if 1.0 < l2 {
        Significance::High025
    } else if 1.0 > u3 {
        Significance::Low001
    } else if 1.0 > u2 {
        Significance::Low025
    } else {
        Significance::NotSignificant
    })
}

/// The expected counts at which `observed` events lie on the funnel lines:
/// `lower_*` is where the *lower* ratio line passes through `O` (`E = χ²_{p; 2O+2}/2`),
/// `upper_*` where the upper one does (`E = χ²_{1−p; 2O}/2`, 0 for `O = 0`).
pub fn ratio_funnel_expected(observed: f64) -> Result<FunnelLimits, StatsError> {
    check_count("observed", 0, observed)?;
    let up = |p: f64| {
        if observed == 0.0 {
            0.0
        } else {
            gamma_quantile(1.0 - p, observed)
        }
    };
    Ok(FunnelLimits {
        lower_2s: gamma_quantile(P_2S, observed + 1.0),
        upper_2s: up(P_2S),
        lower_3s: gamma_quantile(P_3S, observed + 1.0),
        upper_3s: up(P_3S),
    })
}

/// The shape `a > 0` with `P(a, x) = p` (`P` decreases in `a`), by bisection to full precision.
fn shape_for(p: f64, x: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while reg_gamma_lower(hi, x) > p {
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if reg_gamma_lower(mid, x) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Ratio funnel limits (× multiplier) for an area with `expected` events: the ratio `O/E` at
/// which the funnel lines of [`ratio_funnel_expected`] pass through `E` (lower limits clipped
/// at 0 where the lower line does not reach `E`).
pub fn ratio_funnel_limits_at(expected: f64, multiplier: f64) -> Result<FunnelLimits, StatsError> {
    check_denominator("expected", 0, expected)?;
    check_multiplier(multiplier)?;
    // Lower line: P(O + 1, E) = p  →  O = a − 1.  Upper line: P(O, E) = 1 − p  →  O = a.
    let lower = |p: f64| ((shape_for(p, expected) - 1.0).max(0.0)) / expected * multiplier;
    let upper = |p: f64| shape_for(1.0 - p, expected) / expected * multiplier;
    Ok(FunnelLimits {
        lower_2s: lower(P_2S),
        upper_2s: upper(P_2S),
        lower_3s: lower(P_3S),
        upper_3s: upper(P_3S),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_area_ratio_limits_lie_on_the_lines() {
        for o in [1.0, 5.0, 37.0, 400.0] {
            let e = ratio_funnel_expected(o).unwrap();
            let at_lower = ratio_funnel_limits_at(e.lower_2s, 1.0).unwrap();
            assert!((at_lower.lower_2s - o / e.lower_2s).abs() < 1e-9 * (o / e.lower_2s));
            let at_upper = ratio_funnel_limits_at(e.upper_3s, 1.0).unwrap();
            assert!((at_upper.upper_3s - o / e.upper_3s).abs() < 1e-9 * (o / e.upper_3s));
        }
    }

    #[test]
    fn labels_round_trip() {
        for s in [
            "Low (0.001)",
            "Low (0.025)",
            "Not significant",
            "High (0.025)",
            "High (0.001)",
        ] {
            assert_eq!(Significance::parse(s).unwrap().as_str(), s);
        }
    }
}
