//! Normalisations and ranks used by index models (issue 7, item 2).
//!
//! Every function is pure and deterministic. Missing values (`None`) are excluded from N — they
//! are never treated as 0 — and come back as `None`. The public functions take and return
//! `Option<f64>` slices; the scoring kernel uses the `*_nan` variants in [`crate::kernel`],
//! which work in place on `f64` rows with NaN for "missing" and share the same code.
//!
//! | function | formula | reference |
//! | --- | --- | --- |
//! | [`percent_rank`] | `(rank − 1)/(N − 1)`, min-rank ties, optional rounding of inputs and outputs | CDC/ATSDR SVI documentation; Excel `PERCENTRANK.INC` |
//! | [`rank_normal`] | `Φ⁻¹((R − 0.5)/N)` or `Φ⁻¹(R/(N + 1))`, average-rank ties | IoD 2019 technical report; openSIMD `helpers.R` |
//! | [`z_score`] | `(x − mean)/sd`, sample sd | — |
//! | [`min_max`] | `(x − min)/(max − min)` | — |
//! | [`invert`] | `1 − x` | SVI "higher is better" variables (2018 PCI) |
//! | [`exp_transform`] | `X = −23·ln(1 − R·(1 − e^(−100/23)))`, `R = rank/N` | SID 2003 Appendix 5; IoD 2019 §3.6 |
//! | [`eb_shrinkage`] | empirical-Bayes shrinkage of a logit toward the pooled parent | SID 2003 Appendix 1 |
//! | [`phe_quantiles`] | PHE quantile groups | PHEindicatormethods `phe_quantile` |

mod rank;
mod shrinkage;

pub use rank::{average_ranks, min_ranks};
pub use shrinkage::{ShrinkageError, Shrunk, eb_shrinkage};

use statrs::distribution::{ContinuousCDF, Normal};

/// Arithmetic mean and sample standard deviation (divisor N − 1) of `values`.
///
/// Returns `(mean, None)` when N < 2 or all values are equal (no spread: a z-score is undefined);
/// the mean of an empty slice is 0. Two-pass algorithm (mean first, then squared deviations),
/// which is exact for equal values and stable for the magnitudes indicators have.
pub fn mean_sd(values: &[f64]) -> (f64, Option<f64>) {
    if values.is_empty() {
        return (0.0, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, None);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let sd = (ss / (n - 1.0)).sqrt();
    if sd > 0.0 {
        (mean, Some(sd))
    } else {
        (mean, None)
    }
}

/// Rounds `x` to `decimals` decimals, halves away from zero, as Excel's `ROUND` and SQL's
/// `ROUND` on decimals do.
///
/// A binary double rarely holds a decimal half exactly (2.675 is stored as 2.67499999…), so a
/// value within a few ulps of a half is treated as the half, which is what a spreadsheet or a
/// decimal database column would have stored. The result is the double nearest the rounded
/// decimal (e.g. exactly the double `0.0758` for `0.0757575…` at 4 decimals).
pub fn round_half_away(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let p = pow10(decimals);
    let m = x.abs() * p;
    (round_scaled(m) / p).copysign(x)
}

/// 10^d for the small d index models use (exact up to 10^22).
#[inline]
pub(crate) fn pow10(d: u32) -> f64 {
    const P: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    P.get(d as usize)
        .copied()
        .unwrap_or_else(|| 10f64.powi(d as i32))
}

/// Relative tolerance below a half that still rounds up (8 ulps).
pub(crate) const HALF_TOL: f64 = 8.0 * f64::EPSILON;

/// Rounds a non-negative scaled magnitude `m` to an integer, halves (within 8 ulps) up. Uses an
/// integer conversion instead of libm's floor/round, which are function calls on baseline x86-64
/// and dominated the ranking hot path.
#[inline]
pub(crate) fn round_scaled(m: f64) -> f64 {
    if m >= 4.0e15 {
        return m; // already an integer at this magnitude
    }
    // floor(m + 1/2 + tol): halves (and fractions within tol = 8 ulps below a half) go up. One
    // add and one integer conversion, no branch (the fraction is random) and no libm call.
    (m + (0.5 + HALF_TOL * m.max(1.0))) as i64 as f64
}

/// The CDC/ATSDR SVI percentile rank: `PR = (rank − 1)/(N − 1)` where rank 1 is the smallest
/// value, "all sequences of ties are assigned the smallest of the corresponding ranks", and N
/// counts the non-missing values (as Excel `PERCENTRANK.INC`).
///
/// `input_decimals` rounds the values before ranking (CDC rounds `EP_` percentages to 1 decimal,
/// so values that print equal tie); `output_decimals` rounds the result (CDC: 4). Both round half
/// away from zero ([`round_half_away`]); ties-to-even breaks tract-level reproductions.
/// With N = 1 the rank is undefined (0/0) and the value is `None`.
pub fn percent_rank(
    values: &[Option<f64>],
    input_decimals: Option<u32>,
    output_decimals: Option<u32>,
) -> Vec<Option<f64>> {
    let mut row = to_nan(values);
    let mut scratch = rank::RankScratch::default();
    rank::percent_rank_nan(&mut row, input_decimals, output_decimals, &mut scratch);
    from_nan(&row)
}

/// Which rank-based inverse normal transformation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankNormalForm {
    /// `Φ⁻¹((R − 0.5)/N)`, the form used in the English IoD (METHODS.md §1.3).
    Iod,
    /// `Φ⁻¹(R/(N + 1))`, the form in the SIMD reproduction (openSIMD `scripts/utils/helpers.R`).
    Simd,
}

/// Rank-based inverse normal transformation: each value is replaced by the standard normal
/// quantile of its scaled rank (rank 1 = smallest; ties get the average rank, as openSIMD's
/// `rank(ties.method = "average")`). Φ⁻¹ is statrs' `Normal::inverse_cdf` (accurate to 2.6e-16
/// relative, DEPS.md §5). The result depends only on the order of the values.
pub fn rank_normal(values: &[Option<f64>], form: RankNormalForm) -> Vec<Option<f64>> {
    let mut row = to_nan(values);
    let mut scratch = rank::RankScratch::default();
    rank::rank_normal_nan(&mut row, form, None, &mut scratch);
    from_nan(&row)
}

/// The standard normal quantile Φ⁻¹(p) (statrs; ±∞ at 0 and 1, NaN outside [0, 1]).
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    Normal::standard().inverse_cdf(p)
}

/// z-score `(x − mean)/sd` over the non-missing values, with the sample standard deviation
/// (divisor N − 1). When fewer than two values are present or all are equal, every present value
/// maps to 0 (it carries no information to separate areas).
pub fn z_score(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let (mean, sd) = mean_sd(&present);
    values
        .iter()
        .map(|v| v.map(|x| sd.map_or(0.0, |s| (x - mean) / s)))
        .collect()
}

/// Min–max scaling `(x − min)/(max − min)` to [0, 1]; when all present values are equal they map
/// to 0.
pub fn min_max(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in values.iter().flatten() {
        lo = lo.min(*x);
        hi = hi.max(*x);
    }
    values
        .iter()
        .map(|v| v.map(|x| if hi > lo { (x - lo) / (hi - lo) } else { 0.0 }))
        .collect()
}

/// Direction inversion for values on [0, 1] (percentile ranks, min–max scores): `1 − x`.
pub fn invert(values: &[Option<f64>]) -> Vec<Option<f64>> {
    values.iter().map(|v| v.map(|x| 1.0 - x)).collect()
}

/// The exponential-transform constant of the IoD and SIMD (23): about 10 % of areas score
/// above 50.
pub const EXP_TRANSFORM_CONSTANT: f64 = 23.0;

/// The IoD exponential transformation of a scaled rank `R ∈ (0, 1]` (R = 1 most deprived):
/// `X = −c·ln(1 − R·(1 − e^(−100/c)))` with c = 23, so X ranges over (0, 100].
///
/// Known values (METHODS.md §1.5, derived there and checked in this crate's tests):
/// X(0.5) = 15.646790072602894, X(0.9) = 50.426654274244, X(1) = 100 (to rounding).
pub fn exp_transform_r(r: f64, c: f64) -> f64 {
    -c * (1.0 - r * (1.0 - (-100.0 / c).exp())).ln()
}

/// Exponential transformation of a domain score: the scores are ranked ascending (the most
/// deprived, i.e. the highest score, gets rank N), scaled to `R = rank/N`, and mapped by
/// [`exp_transform_r`] with constant c (23 in the IoD). Ties share the smallest rank.
pub fn exp_transform(values: &[Option<f64>], c: f64) -> Vec<Option<f64>> {
    let mut row = to_nan(values);
    let mut scratch = rank::RankScratch::default();
    rank::exp_transform_nan(&mut row, c, None, &mut scratch);
    from_nan(&row)
}

/// Quantile groups by the PHE rule (PHEindicatormethods `phe_quantile`, R/Quantiles.R, and the
/// Fingertips guide "Assigning deprivation categories").
///
/// Values are ranked with ties by minimum rank (ascending, or descending when `invert`, so that
/// with `invert = true` the highest value falls in group 1). With N the number of non-missing
/// values: `q = floor((nq + 1) − ceiling((N + 1 − rank) / (N / nq)))`, and q = 0 becomes 1 (a
/// floating-point guard the package keeps). Missing values get `None`, and **every** value gets
/// `None` when N < nq (as the package does since v2.0.2) or `nq` = 0.
pub fn phe_quantiles(values: &[Option<f64>], nq: u32, invert: bool) -> Vec<Option<u32>> {
    let n = values.iter().flatten().filter(|v| !v.is_nan()).count();
    if nq == 0 || n < nq as usize {
        return vec![None; values.len()];
    }
    let ranks = min_ranks(values, invert);
    ranks
        .into_iter()
        .map(|r| r.map(|r| phe_quantile_of_rank(r, n, nq)))
        .collect()
}

/// The PHE quantile of one min-rank `rank` among `n` values (see [`phe_quantiles`]).
pub fn phe_quantile_of_rank(rank: u32, n: usize, nq: u32) -> u32 {
    let (nf, nqf) = (n as f64, f64::from(nq));
    let q = ((nqf + 1.0) - ((nf + 1.0 - f64::from(rank)) / (nf / nqf)).ceil()).floor();
    if q < 1.0 { 1 } else { q as u32 }
}

/// The largest rank that falls in quantile group 1 among `n` distinct values (PHE rule), or
/// `None` when n < nq.
pub fn top_quantile_max_rank(n: usize, nq: u32) -> Option<u32> {
    if nq == 0 || n < nq as usize {
        return None;
    }
    let mut best = None;
    for r in 1..=u32::try_from(n).unwrap_or(u32::MAX) {
        if phe_quantile_of_rank(r, n, nq) == 1 {
            best = Some(r);
        } else {
            break;
        }
    }
    best
}

pub(crate) fn to_nan(values: &[Option<f64>]) -> Vec<f64> {
    values.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
}

pub(crate) fn from_nan(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|v| (!v.is_nan()).then_some(*v)).collect()
}

pub(crate) use rank::{
    KeyKind, RankScratch, Source, decimal_key, exp_transform_from, exp_transform_nan, f64_key,
    percent_rank_from, percent_rank_nan, rank_normal_from, rank_normal_nan,
};
