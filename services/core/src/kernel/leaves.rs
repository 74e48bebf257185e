//! Indicator rows: turning an [`IndicatorTable`] into display-unit values (point estimate) and,
//! for Monte Carlo, into per-area samplers of each indicator's sampling distribution.

use std::collections::HashMap;

use ndarray::ArrayViewMut1;
use rand::RngExt;
use rand_distr::StandardNormal;

use crate::model::{IndicatorColumn, IndicatorKind, IndicatorTable, ModelError, ModelSpec};

/// Below this variance (n·p·(1 − p) for a binomial, λ for a Poisson) counts are drawn exactly;
/// at or above it by the Cornish–Fisher-corrected normal approximation (see [`draws`]).
///
/// [`draws`]: super::draws
pub const NORMAL_APPROX_MIN_VARIANCE: f64 = 50.0;

/// Why an area has no value for an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Gap {
    /// Numerator or denominator missing.
    Missing,
    /// Denominator 0: the value is undefined.
    ZeroDenominator,
    /// Denominator below the indicator's minimum.
    BelowMinimum(f64),
}

/// How one area's indicator value is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sampler {
    /// No sampling uncertainty known: the value is fixed (display units).
    Fixed(f64),
    /// Exact count by inversion of the CDF, searched from the mode with the pmf recursion
    /// (see [`invert_from_mode`]).
    Exact(ExactCount),
    /// Cornish–Fisher normal approximation of a count: `μ + σ(z + γ(z² − 1)/6)`, rounded,
    /// clamped to [0, max]; `g6` = γ/6.
    Approx {
        mu: f64,
        sigma: f64,
        g6: f64,
        max: f64,
    },
    /// A value with a supplied standard error (display units).
    Normal { mean: f64, sd: f64 },
}

/// 1/j for j < 512 (entry 0 unused).
static RECIPROCALS: [f64; 512] = {
    let mut t = [0.0; 512];
    let mut j = 1;
    while j < 512 {
        t[j] = 1.0 / j as f64;
        j += 1;
    }
    t
};

/// An exactly drawn binomial or Poisson count, set up for inversion from the mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExactCount {
    /// The mode k₀.
    mode: f64,
    /// P(X = k₀).
    pmf_mode: f64,
    /// P(X ≤ k₀ − 1).
    below: f64,
    /// Binomial n (after the flip), or ∞ for a Poisson.
    n: f64,
    /// Binomial p/q (p ≤ 1/2 after the flip), or the Poisson λ.
    r: f64,
    /// Binomial drawn as n − X' with p' = 1 − p (keeps p ≤ 1/2, so the support near the mode is
    /// short and the recursion stable).
    flip: bool,
}

impl ExactCount {
    /// pmf(k + 1)/pmf(k); 1/(k + 1) from a table of reciprocals where it covers k, which it
    /// does for the counts drawn exactly (k ≲ 150 below the threshold).
    #[inline]
    fn up(&self, k: f64) -> f64 {
        let inv = RECIPROCALS
            .get((k as i64 + 1) as usize)
            .copied()
            .unwrap_or_else(|| 1.0 / (k + 1.0));
        if self.n.is_finite() {
            (self.n - k) * self.r * inv
        } else {
            self.r * inv
        }
    }

    fn binomial(n: f64, p: f64) -> ExactCount {
        let flip = p > 0.5;
        let p = if flip { 1.0 - p } else { p };
        let q = 1.0 - p;
        let mode = ((n + 1.0) * p).floor().min(n);
        let ln_pmf = |k: f64| {
            use statrs::function::gamma::ln_gamma;
            ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
                + k * p.ln()
                + (n - k) * q.ln()
        };
        let mut e = ExactCount {
            mode,
            pmf_mode: ln_pmf(mode).exp(),
            below: 0.0,
            n,
            r: p / q,
            flip,
        };
        e.below = e.sum_below();
        e
    }

    fn poisson(lambda: f64) -> ExactCount {
        use statrs::function::gamma::ln_gamma;
        let mode = lambda.floor();
        let mut e = ExactCount {
            mode,
            pmf_mode: (mode * lambda.ln() - lambda - ln_gamma(mode + 1.0)).exp(),
            below: 0.0,
            n: f64::INFINITY,
            r: lambda,
            flip: false,
        };
        e.below = e.sum_below();
        e
    }

    /// P(X ≤ k₀ − 1) by summing the pmf recursion down from the mode.
    fn sum_below(&self) -> f64 {
        let (mut k, mut pk, mut sum) = (self.mode, self.pmf_mode, 0.0);
        while k > 0.0 {
            pk /= self.up(k - 1.0);
            k -= 1.0;
            sum += pk;
            if pk < 1e-300 {
                break;
            }
        }
        sum
    }

    /// The count for a uniform `u`: the smallest k with P(X ≤ k) > u.
    #[inline]
    pub(crate) fn invert(&self, u: f64) -> f64 {
        // A flipped binomial inverts 1 − u, so the count still increases with u.
        if self.flip {
            self.n - invert_from_mode(self, 1.0 - u)
        } else {
            invert_from_mode(self, u)
        }
    }
}

/// Inversion of a discrete CDF from the mode: with F = P(X ≤ k₀ − 1), search upward while
/// u ≥ P(X ≤ k) or downward while u < P(X ≤ k − 1), updating the pmf by its ratio recursion
/// (`pmf(k+1) = pmf(k)·(n − k)/(k + 1)·p/q` for the binomial, `·λ/(k + 1)` for the Poisson).
/// Exact up to the rounding of the running CDF (≈ 1e-16 per step); the expected number of steps
/// is E|X − k₀| ≈ 0.8σ, at most about 6 below the normal-approximation threshold. No tables: the
/// state is six numbers per area, so the draws stream through memory.
#[inline(always)]
fn invert_from_mode(e: &ExactCount, u: f64) -> f64 {
    let (mut k, mut pk) = (e.mode, e.pmf_mode);
    if u >= e.below {
        let mut f = e.below + pk;
        while u >= f && k < e.n {
            pk *= e.up(k);
            k += 1.0;
            f += pk;
            if pk == 0.0 {
                break;
            }
        }
        k
    } else {
        let mut f = e.below;
        while k > 0.0 {
            pk /= e.up(k - 1.0);
            k -= 1.0;
            f -= pk;
            if u >= f {
                break;
            }
        }
        k
    }
}

/// One indicator over the areas.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) kind: IndicatorKind,
    pub(crate) num: Vec<f64>,
    pub(crate) den: Vec<f64>,
    pub(crate) gap: Vec<Option<Gap>>,
    /// The point value in display units (NaN for gaps).
    value: Vec<f64>,
    /// Standard error of a plain value (NaN: none).
    se: Vec<f64>,
    pub(crate) shrink: bool,
    pub(crate) reference: Option<f64>,
    /// Whether the values vary between the areas scored.
    pub(crate) varies: bool,
}

/// An indicator table checked against a model and laid out for the kernel.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) n: usize,
    pub(crate) included: Vec<bool>,
    /// Area indices sorted by area code (the tie-break of ranks).
    pub(crate) code_order: Vec<u32>,
    pub(crate) leaves: Vec<Leaf>,
}

fn column_map(input: &IndicatorTable) -> Result<HashMap<&str, &IndicatorColumn>, ModelError> {
    let mut by_id: HashMap<&str, &IndicatorColumn> = HashMap::new();
    for col in &input.columns {
        if by_id.insert(col.indicator.as_str(), col).is_some() {
            return Err(ModelError::DuplicateColumn {
                indicator: col.indicator.clone(),
            });
        }
    }
    Ok(by_id)
}

/// Checks `input` against `spec` and prepares it; see [`ModelSpec::score`] for the rules.
pub(crate) fn prepare(spec: &ModelSpec, input: &IndicatorTable) -> Result<Prepared, ModelError> {
    let n = input.area_codes.len();
    // Area codes in code order (the tie-break of ranks). Inputs usually arrive sorted: check
    // that in O(n) before sorting, and find duplicates as equal neighbours.
    let codes = &input.area_codes;
    let mut code_order: Vec<u32> = (0..n as u32).collect();
    if !codes.windows(2).all(|w| w[0] < w[1]) {
        code_order.sort_by(|&a, &b| codes[a as usize].cmp(&codes[b as usize]).then(a.cmp(&b)));
    }
    for w in code_order.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        if codes[a] == codes[b] {
            return Err(ModelError::DuplicateArea {
                area_code: codes[a].clone(),
                first: a.min(b) + 1,
                second: a.max(b) + 1,
            });
        }
    }
    let by_id = column_map(input)?;
    let aux = |name: &str| -> Result<Vec<f64>, ModelError> {
        let col = by_id.get(name).ok_or_else(|| ModelError::MissingColumn {
            indicator: name.to_owned(),
        })?;
        if col.numerator.len() != n {
            return Err(ModelError::ColumnLength {
                indicator: name.to_owned(),
                areas: n,
                numerators: col.numerator.len(),
                denominators: col.denominator.len(),
            });
        }
        let mut v = Vec::with_capacity(n);
        for (i, x) in col.numerator.iter().enumerate() {
            let x = &x.filter(|v| Some(*v) != spec.input_missing);
            match x {
                Some(x) if !(x.is_finite() && *x >= 0.0) => {
                    return Err(ModelError::InvalidValue {
                        indicator: name.to_owned(),
                        area_code: input.area_codes[i].clone(),
                        message: format!("{x} is not a finite number >= 0"),
                    });
                }
                Some(x) => v.push(*x),
                None => v.push(f64::NAN),
            }
        }
        Ok(v)
    };
    let included: Vec<bool> = match &spec.population_column {
        Some(p) => aux(p)?.iter().map(|&x| x > 0.0).collect(),
        None => vec![true; n],
    };

    let mut leaves = Vec::with_capacity(spec.indicators().len());
    let mut present: Vec<f64> = Vec::with_capacity(n);
    let code = spec.input_missing.unwrap_or(f64::NAN);
    for (ind, li) in spec.indicators().iter().zip(&spec.leaf_inputs) {
        let col = by_id
            .get(ind.id.as_str())
            .ok_or_else(|| ModelError::MissingColumn {
                indicator: ind.id.clone(),
            })?;
        let uses_den = ind.kind.uses_denominator();
        let den_ok = col.denominator.len() == n || (!uses_den && col.denominator.is_empty());
        if col.numerator.len() != n || !den_ok {
            return Err(ModelError::ColumnLength {
                indicator: ind.id.clone(),
                areas: n,
                numerators: col.numerator.len(),
                denominators: col.denominator.len(),
            });
        }
        let se = match &li.se_column {
            Some(c) => aux(c)?.into_iter().map(|s| s / li.se_divisor).collect(),
            None => Vec::new(),
        };
        let scale = ind.kind.scale();
        let value_kind = ind.kind == IndicatorKind::Value;
        let proportion = ind.kind == IndicatorKind::Proportion;
        let mut leaf = Leaf {
            kind: ind.kind,
            num: vec![f64::NAN; n],
            den: vec![f64::NAN; n],
            gap: vec![None; n],
            value: vec![f64::NAN; n],
            se,
            shrink: li.shrink,
            reference: None,
            varies: false,
        };
        let (mut sum_num, mut sum_den) = (0.0_f64, 0.0_f64);
        present.clear();
        let no_den = col.denominator.is_empty();
        for (i, &inc) in included.iter().enumerate() {
            // Missing cells and the model's missing-value code become NaN.
            let xo = col.numerator[i].filter(|v| *v != code);
            let do_ = if no_den {
                None
            } else {
                col.denominator[i].filter(|v| *v != code)
            };
            let (x, d) = (xo.unwrap_or(f64::NAN), do_.unwrap_or(f64::NAN));
            // One combined test for impossible cells (a given NaN is one); the slow path names
            // the problem.
            let bad_x = xo.is_some_and(|x| !x.is_finite() || (x < 0.0 && !value_kind));
            let bad_d = do_.is_some_and(|d| !(d.is_finite() && d >= 0.0));
            if bad_x || bad_d || (proportion && x > d) {
                return Err(cell_error(ind, &input.area_codes[i], x, d, bad_x, bad_d));
            }
            let gap = if uses_den {
                if x.is_nan() || d.is_nan() {
                    Some(Gap::Missing)
                } else if d == 0.0 {
                    Some(Gap::ZeroDenominator)
                } else if d < ind.min_denominator {
                    Some(Gap::BelowMinimum(d))
                } else {
                    None
                }
            } else if x.is_nan() {
                Some(Gap::Missing)
            } else if !d.is_nan() && d < ind.min_denominator {
                Some(Gap::BelowMinimum(d))
            } else {
                None
            };
            if gap.is_none() {
                let v = if uses_den { scale * x / d } else { x };
                if !v.is_finite() {
                    return Err(ModelError::InvalidValue {
                        indicator: ind.id.clone(),
                        area_code: input.area_codes[i].clone(),
                        message: "value overflows a floating-point number".to_owned(),
                    });
                }
                if inc {
                    sum_num += x;
                    sum_den += d;
                    present.push(v);
                }
                leaf.value[i] = v;
            }
            leaf.num[i] = x;
            leaf.den[i] = d;
            leaf.gap[i] = gap;
        }
        let (mean, sd) = crate::transform::mean_sd(&present);
        if !mean.is_finite() || sd.is_some_and(|s| !s.is_finite()) {
            return Err(ModelError::InvalidValue {
                indicator: ind.id.clone(),
                area_code: String::from("(all)"),
                message: "values too large to standardise".to_owned(),
            });
        }
        leaf.varies = sd.is_some();
        leaf.reference = if present.is_empty() {
            None
        } else if uses_den {
            (sum_den > 0.0).then(|| scale * sum_num / sum_den)
        } else {
            Some(mean)
        };
        leaves.push(leaf);
    }
    Ok(Prepared {
        n,
        included,
        code_order,
        leaves,
    })
}

/// The error for an impossible cell (the slow path of [`prepare`]).
fn cell_error(
    ind: &crate::model::IndicatorSpec,
    area: &str,
    x: f64,
    d: f64,
    bad_x: bool,
    bad_d: bool,
) -> ModelError {
    let message = if bad_x && !x.is_finite() {
        format!("numerator {x} is not a finite number")
    } else if bad_x {
        format!("numerator {x} is negative")
    } else if bad_d {
        format!("denominator {d} is not a finite number >= 0")
    } else {
        format!("numerator {x} exceeds denominator {d} of a proportion")
    };
    ModelError::InvalidValue {
        indicator: ind.id.clone(),
        area_code: area.to_owned(),
        message,
    }
}

/// The sampler of one present value, with the display factor and the denominator a drawn count
/// refers to.
fn sampler(kind: IndicatorKind, x: f64, d: f64, se: f64) -> (Sampler, f64, f64) {
    let scale = kind.scale();
    match kind {
        IndicatorKind::Proportion => {
            let p = (x / d).clamp(0.0, 1.0);
            let var = d * p * (1.0 - p);
            if p == 0.0 || p == 1.0 {
                (Sampler::Fixed(scale * p), 0.0, d)
            } else if var >= NORMAL_APPROX_MIN_VARIANCE {
                let sigma = var.sqrt();
                (
                    Sampler::Approx {
                        mu: d * p,
                        sigma,
                        g6: (1.0 - 2.0 * p) / sigma / 6.0,
                        max: d,
                    },
                    scale / d,
                    d,
                )
            } else {
                // The exact binomial needs an integer n: the rounded denominator (≥ 1).
                let n = d.round().max(1.0);
                (Sampler::Exact(ExactCount::binomial(n, p)), scale / n, n)
            }
        }
        IndicatorKind::Rate { .. } | IndicatorKind::Count => {
            let factor = if kind.uses_denominator() {
                scale / d
            } else {
                1.0
            };
            if x == 0.0 {
                (Sampler::Fixed(0.0), factor, d)
            } else if x >= NORMAL_APPROX_MIN_VARIANCE {
                let sigma = x.sqrt();
                (
                    Sampler::Approx {
                        mu: x,
                        sigma,
                        g6: 1.0 / sigma / 6.0,
                        max: f64::INFINITY,
                    },
                    factor,
                    d,
                )
            } else {
                (Sampler::Exact(ExactCount::poisson(x)), factor, d)
            }
        }
        IndicatorKind::Value => {
            if se.is_finite() && se > 0.0 {
                (Sampler::Normal { mean: x, sd: se }, 1.0, d)
            } else {
                (Sampler::Fixed(x), 1.0, d)
            }
        }
    }
}

/// Draws one count by the Cornish–Fisher-corrected normal approximation.
#[inline]
pub fn approx_count(mu: f64, sigma: f64, gamma: f64, max: f64, z: f64) -> f64 {
    approx_count_g6(mu, sigma, gamma / 6.0, max, z)
}

/// [`approx_count`] with γ/6 precomputed (the sampler's form).
#[inline]
fn approx_count_g6(mu: f64, sigma: f64, g6: f64, max: f64, z: f64) -> f64 {
    // Clamp first, then round half up through an integer conversion (no libm call).
    let v = (mu + sigma * (z + g6 * (z * z - 1.0))).clamp(0.0, max);
    if v < 4.0e15 {
        (v + 0.5) as i64 as f64
    } else {
        v
    }
}

/// The samplers of one indicator, built once per Monte Carlo run and grouped by method
/// (struct of arrays), so that each draw runs one tight loop per method over contiguous
/// parameters instead of dispatching per area.
#[derive(Debug, Clone, Default)]
pub(crate) struct DrawPlan {
    /// The row before drawing: fixed values, NaN for missing; drawn areas are overwritten.
    base: Vec<f64>,
    /// Count of each area before drawing (for shrinkage; NaN where there is none).
    base_count: Vec<f64>,
    /// Denominator a drawn count refers to (the rounded n of an exact binomial).
    den_used: Vec<f64>,
    approx_idx: Vec<u32>,
    /// μ, σ, γ/6, max, display factor.
    approx: Vec<[f64; 5]>,
    exact_idx: Vec<u32>,
    exact: Vec<(ExactCount, f64)>,
    normal_idx: Vec<u32>,
    /// mean, sd.
    normal: Vec<[f64; 2]>,
}

impl Leaf {
    /// The samplers of this indicator's present values (excluded areas and gaps: missing).
    pub(crate) fn draw_plan(&self, included: &[bool]) -> DrawPlan {
        let n = self.num.len();
        let mut dp = DrawPlan {
            base: vec![f64::NAN; n],
            base_count: vec![f64::NAN; n],
            den_used: vec![f64::NAN; n],
            ..DrawPlan::default()
        };
        for (i, &inc) in included.iter().enumerate().take(n) {
            if self.gap[i].is_some() || !inc {
                continue;
            }
            let se = self.se.get(i).copied().unwrap_or(f64::NAN);
            let (s, factor, den) = sampler(self.kind, self.num[i], self.den[i], se);
            dp.den_used[i] = den;
            match s {
                Sampler::Fixed(v) => {
                    dp.base[i] = v;
                    dp.base_count[i] = v / self.kind.scale() * den;
                }
                Sampler::Approx { mu, sigma, g6, max } => {
                    dp.approx_idx.push(i as u32);
                    dp.approx.push([mu, sigma, g6, max, factor]);
                }
                Sampler::Exact(e) => {
                    dp.exact_idx.push(i as u32);
                    dp.exact.push((e, factor));
                }
                Sampler::Normal { mean, sd } => {
                    dp.normal_idx.push(i as u32);
                    dp.normal.push([mean, sd]);
                }
            }
        }
        dp
    }

    /// Writes the point values (display units; NaN for missing or excluded areas) into `row`.
    pub(crate) fn fill_point(
        &self,
        row: &mut ArrayViewMut1<'_, f64>,
        included: &[bool],
        shrink_buf: &mut Vec<f64>,
    ) {
        let scale = self.kind.scale();
        for ((r, &v), &inc) in row.iter_mut().zip(&self.value).zip(included) {
            *r = if inc { v } else { f64::NAN };
        }
        if self.shrink {
            shrink_buf.clear();
            shrink_buf.extend((0..self.num.len()).map(|i| {
                if row[i].is_nan() {
                    f64::NAN
                } else {
                    self.num[i]
                }
            }));
            shrink_row(shrink_buf, &self.den, row, scale);
        }
    }

    /// Writes one Monte Carlo draw into `row`. Random numbers are consumed in a fixed order:
    /// normal-approximation areas, then exact counts, then values with a standard error, each in
    /// area order.
    pub(crate) fn fill_draw<R: rand::Rng>(
        &self,
        dp: &DrawPlan,
        row: &mut ArrayViewMut1<'_, f64>,
        rng: &mut R,
        counts: &mut Vec<f64>,
    ) {
        let Some(out) = row.as_slice_mut() else {
            return; // rows of the kernel's standard-layout matrix are contiguous
        };
        out.copy_from_slice(&dp.base);
        if self.shrink {
            counts.clear();
            counts.extend_from_slice(&dp.base_count);
        }
        for (&i, &[mu, sigma, g6, max, factor]) in dp.approx_idx.iter().zip(&dp.approx) {
            let z: f64 = rng.sample(StandardNormal);
            let c = approx_count_g6(mu, sigma, g6, max, z);
            out[i as usize] = factor * c;
            if self.shrink {
                counts[i as usize] = c;
            }
        }
        for (&i, (e, factor)) in dp.exact_idx.iter().zip(&dp.exact) {
            let u: f64 = rng.random();
            let c = e.invert(u);
            out[i as usize] = factor * c;
            if self.shrink {
                counts[i as usize] = c;
            }
        }
        for (&i, &[mean, sd]) in dp.normal_idx.iter().zip(&dp.normal) {
            let z: f64 = rng.sample(StandardNormal);
            out[i as usize] = mean + sd * z;
        }
        if self.shrink {
            shrink_row(counts, &dp.den_used, row, self.kind.scale());
        }
    }
}

/// Empirical-Bayes shrinkage of proportions `counts[i]/dens[i]` toward their pooled value (one
/// parent group: all areas with a count), written in display units into `row`; the same formula
/// as [`crate::transform::eb_shrinkage`], without allocating.
fn shrink_row(counts: &[f64], dens: &[f64], row: &mut ArrayViewMut1<'_, f64>, scale: f64) {
    let (mut sr, mut sn, mut k) = (0.0, 0.0, 0.0);
    for (&c, &d) in counts.iter().zip(dens) {
        if !c.is_nan() {
            sr += c;
            sn += d;
            k += 1.0;
        }
    }
    if k == 0.0 {
        return;
    }
    let zbar = ((sr + 0.5) / (sn - sr + 0.5)).ln();
    let logit = |c: f64, d: f64| ((c + 0.5) / (d - c + 0.5)).ln();
    let mut t2 = 0.0;
    for (&c, &d) in counts.iter().zip(dens) {
        if !c.is_nan() {
            let z = logit(c, d);
            t2 += (z - zbar) * (z - zbar);
        }
    }
    t2 /= k;
    for ((r, &c), &d) in row.iter_mut().zip(counts).zip(dens) {
        if c.is_nan() {
            continue;
        }
        let z = logit(c, d);
        let s2 = 1.0 / (c + 0.5) + 1.0 / (d - c + 0.5);
        let w = if t2 > 0.0 {
            (1.0 / s2) / (1.0 / s2 + 1.0 / t2)
        } else {
            0.0
        };
        let zs = w * z + (1.0 - w) * zbar;
        *r = scale / (1.0 + (-zs).exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Binomial as SBinomial, DiscreteCDF, Poisson as SPoisson};

    /// Inversion from the mode returns, for every u, the smallest k with P(X ≤ k) > u under
    /// statrs' binomial and Poisson CDFs (u within 1e-11 of a CDF step is skipped: there the
    /// answer depends on the last bits of either CDF).
    #[test]
    fn exact_counts_invert_the_cdf() {
        let check = |e: &ExactCount, cdf: &dyn Fn(u64) -> f64, label: &str| {
            // Precompute the CDF once; walk u upward.
            let mut k = 0u64;
            for j in 0..4_000 {
                let u = (j as f64 + 0.5) / 4_000.0;
                while cdf(k) <= u {
                    k += 1;
                }
                if (cdf(k) - u).abs() < 1e-11 || (k > 0 && (cdf(k - 1) - u).abs() < 1e-11) {
                    continue;
                }
                assert_eq!(e.invert(u), k as f64, "{label} u={u}");
            }
        };
        for (n, p) in [
            (10.0, 0.1),
            (40.0, 0.175),
            (250.0, 0.032),
            (900.0, 0.034),
            (60.0, 0.98),
            (5000.0, 0.99),
            (3.0, 0.5),
        ] {
            let b = SBinomial::new(p, n as u64).unwrap();
            check(
                &ExactCount::binomial(n, p),
                &|k| b.cdf(k),
                &format!("binomial({n}, {p})"),
            );
        }
        for lambda in [0.3, 4.0, 17.5, 49.0] {
            let po = SPoisson::new(lambda).unwrap();
            check(
                &ExactCount::poisson(lambda),
                &|k| po.cdf(k),
                &format!("poisson({lambda})"),
            );
        }
    }
}
