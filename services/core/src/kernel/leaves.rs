//! Indicator rows: turning an [`IndicatorTable`] into display-unit values (point estimate) and,
//! for Monte Carlo, into per-area samplers of each indicator's sampling distribution.

use std::collections::HashMap;

use ndarray::ArrayViewMut1;
use std::sync::OnceLock;

use crate::model::{
    IndicatorColumn, IndicatorKind, IndicatorTable, ModelError, ModelSpec, ScoringInput, Shrinkage,
};

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
    /// Exact count, drawn from an alias table of its pmf (see [`AliasCount`]).
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

/// An exactly drawn binomial or Poisson count: its mode and the pmf recursion, from which
/// [`ExactCount::pmf_window`] tabulates the pmf for the alias table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExactCount {
    /// The mode k₀.
    mode: f64,
    /// P(X = k₀).
    pmf_mode: f64,
    /// Binomial n (after the flip), or ∞ for a Poisson.
    n: f64,
    /// Binomial p/q (p ≤ 1/2 after the flip), or the Poisson λ.
    r: f64,
    /// Binomial tabulated as n − X' with p' = 1 − p (keeps p ≤ 1/2, so the recursion is stable).
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
        ExactCount {
            mode,
            pmf_mode: ln_pmf(mode).exp(),
            n,
            r: p / q,
            flip,
        }
    }

    fn poisson(lambda: f64) -> ExactCount {
        use statrs::function::gamma::ln_gamma;
        let mode = lambda.floor();
        ExactCount {
            mode,
            pmf_mode: (mode * lambda.ln() - lambda - ln_gamma(mode + 1.0)).exp(),
            n: f64::INFINITY,
            r: lambda,
            flip: false,
        }
    }

    /// The pmf over the counts where it is at least `cut`, as (lowest count, pmf from there),
    /// normalised to sum to 1. Walks the pmf recursion out from the mode.
    fn pmf_window(&self, cut: f64) -> (f64, Vec<f64>) {
        let (mut below, mut above) = (Vec::new(), Vec::new());
        let (mut k, mut pk) = (self.mode, self.pmf_mode);
        while k > 0.0 {
            pk /= self.up(k - 1.0);
            k -= 1.0;
            if pk < cut {
                break;
            }
            below.push(pk);
        }
        let (mut k, mut pk) = (self.mode, self.pmf_mode);
        while k < self.n {
            pk *= self.up(k);
            k += 1.0;
            if pk < cut || pk == 0.0 {
                break;
            }
            above.push(pk);
        }
        let lo = self.mode - below.len() as f64;
        below.reverse();
        below.push(self.pmf_mode);
        below.extend(above);
        let total: f64 = below.iter().sum();
        below.iter_mut().for_each(|p| *p /= total);
        if self.flip {
            // The window of the flipped count k' = n − k, in increasing k.
            below.reverse();
            (self.n - (lo + (below.len() - 1) as f64), below)
        } else {
            (lo, below)
        }
    }
}

/// Counts whose probability lies below this are left out of an exact count's alias table (the
/// rest is renormalised): the mass left out is below 1e-10 for the distributions drawn exactly
/// (variance below 50). Wider distributions raise the cut until the table has at most 256
/// columns ([`ExactCount::alias_window`]).
const PMF_CUT: f64 = 1e-12;

/// An exactly drawn count as an alias table (Walker 1977, built by Vose's method 1991): one
/// 64-bit random number picks a column `j` (its high 32 bits, by multiply-shift) and a threshold
/// test (its low 24 bits) chooses between the column's own count and its alias. O(1) and
/// branch-free per draw, independent of the spread, and the draws of different areas do not
/// wait on each other (unlike inversion by a search, whose loop length is random). An entry is
/// 4 bytes, so the tables of a national run (some 440,000 entries) stay near the core's cache.
///
/// Exactness: the only departures from the binomial or Poisson pmf are the 32-bit column choice
/// and 24-bit thresholds (each column's split is off by less than 2⁻²⁵ of the column's mass, so
/// the total variation they add is below 2⁻²⁵ ≈ 3e-8) and the tail below [`PMF_CUT`]; the
/// total-variation distance is below 1e-7, checked in the test `alias_tables_reproduce_the_pmf`
/// against statrs' pmf. (The normal approximation above the threshold is 5e-4 in Kolmogorov
/// distance; this is "exact" by comparison.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct AliasCount {
    /// The lowest count in the table.
    lo: f64,
    /// Display factor of a count.
    factor: f64,
    /// Where the table starts in [`DrawPlan::alias`].
    offset: u32,
    /// Number of columns (counts lo, lo + 1, …; at most 256).
    len: u32,
}

impl ExactCount {
    /// [`ExactCount::pmf_window`] with the cut raised until at most 256 counts remain.
    fn alias_window(&self) -> (f64, Vec<f64>) {
        let mut cut = PMF_CUT;
        loop {
            let w = self.pmf_window(cut);
            if w.1.len() <= 256 {
                return w;
            }
            cut *= 10.0;
        }
    }
}

/// Builds the alias entries of `pmf` (summing to 1, at most 256 counts), appended to `out`:
/// entry j holds the threshold (high 24 bits; take column j when the low 24 random bits are
/// below it) and the alias column (low 8 bits).
fn build_alias(pmf: &[f64], out: &mut Vec<u32>) {
    let k = pmf.len();
    let mut q: Vec<f64> = pmf.iter().map(|p| p * k as f64).collect();
    let mut alias: Vec<u32> = (0..k as u32).collect();
    let mut prob = vec![1.0_f64; k];
    let mut small: Vec<u32> = (0..k as u32).filter(|&j| q[j as usize] < 1.0).collect();
    let mut large: Vec<u32> = (0..k as u32).filter(|&j| q[j as usize] >= 1.0).collect();
    while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
        small.pop();
        prob[s as usize] = q[s as usize];
        alias[s as usize] = l;
        q[l as usize] -= 1.0 - q[s as usize];
        if q[l as usize] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // Whatever remains is full up to rounding: the column keeps its own count.
    for j in small.into_iter().chain(large) {
        prob[j as usize] = 1.0;
        alias[j as usize] = j;
    }
    const MAX_T: u32 = (1 << 24) - 1;
    for (j, (&p, &a)) in prob.iter().zip(&alias).enumerate() {
        let t = if a as usize == j {
            MAX_T
        } else {
            ((p * 16_777_216.0).round() as u32).min(MAX_T)
        };
        out.push((t << 8) | (a & 0xff));
    }
}

impl AliasCount {
    /// Draws the count for the 64-bit random number `r`.
    #[inline(always)]
    fn draw(&self, table: &[u32], r: u64) -> f64 {
        let j = ((r >> 32) * u64::from(self.len)) >> 32;
        let e = table
            .get(self.offset as usize + j as usize)
            .copied()
            .unwrap_or(0);
        let pick = if ((r as u32) & 0xff_ffff) < e >> 8 {
            j as u32
        } else {
            e & 0xff
        };
        self.lo + f64::from(pick)
    }
}

/// One indicator over the areas.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) kind: IndicatorKind,
    pub(crate) num: Vec<f64>,
    pub(crate) den: Vec<f64>,
    /// Why each area has no value: 0 = it has one, else a [`Gap`] code (see [`Leaf::gap`]);
    /// one byte per cell, since preparing the table is a large part of a deterministic scoring.
    gap: Vec<u8>,
    /// The point value in display units (NaN for gaps).
    value: Vec<f64>,
    /// Standard error of a plain value (NaN: none).
    se: Vec<f64>,
    /// The shrinkage groups, for an indicator with `shrinkage`.
    pub(crate) shrink: Option<ShrinkGroups>,
    pub(crate) reference: Option<f64>,
    /// Whether the values vary between the areas scored.
    pub(crate) varies: bool,
}

/// The groups an indicator's proportions are shrunk within: all areas (`shrinkage = "table"`),
/// or one group per parent area (`"parent"`), areas without a known parent pooled together.
#[derive(Debug, Clone)]
pub(crate) struct ShrinkGroups {
    /// Group of each area.
    pub(crate) group: Vec<u32>,
    /// Per group: the parent's code (`None`: the whole table, or the areas without a parent).
    pub(crate) code: Vec<Option<String>>,
    /// Per group: the parent's own observed (numerator, denominator), if supplied; otherwise
    /// the group's pooled counts are the parent's value.
    pub(crate) observed: Vec<Option<(f64, f64)>>,
    /// Whether a parent level was supplied (for the wording of reasons).
    pub(crate) parents_given: bool,
}

impl ShrinkGroups {
    /// One group of all `n` areas.
    fn table(n: usize, parents_given: bool) -> ShrinkGroups {
        ShrinkGroups {
            group: vec![0; n],
            code: vec![None],
            observed: vec![None],
            parents_given,
        }
    }
}

/// Per-area result of a shrinkage, for reasons.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShrinkDetail {
    /// Weight of the area's own logit (1 = not shrunk).
    pub(crate) weight: f64,
    /// The value shrunk toward, in display units.
    pub(crate) toward: f64,
    /// The area's group in [`ShrinkGroups`].
    pub(crate) group: u32,
}

/// Reusable buffers of the shrinkage (per thread).
#[derive(Debug, Default, Clone)]
pub(crate) struct ShrinkScratch {
    counts: Vec<f64>,
    /// Per group: Σ count, Σ denominator, number of areas, then z̄ and Σ(z − z̄)².
    acc: Vec<[f64; 5]>,
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
pub(crate) fn prepare(spec: &ModelSpec, scoring: ScoringInput<'_>) -> Result<Prepared, ModelError> {
    let input = scoring.table;
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

    let parent_groups = parent_groups(scoring, n)?;
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
            gap: vec![0; n],
            value: vec![f64::NAN; n],
            se,
            shrink: match li.shrink {
                None => None,
                Some(Shrinkage::Table) => Some(ShrinkGroups::table(n, scoring.parents.is_some())),
                Some(Shrinkage::Parent) => {
                    Some(parent_shrink_groups(&parent_groups, scoring, &ind.id, n)?)
                }
            },
            reference: None,
            varies: false,
        };
        let (mut sum_num, mut sum_den) = (0.0_f64, 0.0_f64);
        present.clear();
        let no_den = col.denominator.is_empty();
        let min_den = ind.min_denominator;
        for (i, &inc) in included.iter().enumerate() {
            // Fast path: a complete, valid cell of a numerator/denominator indicator.
            if uses_den
                && !no_den
                && let (Some(x), Some(d)) = (col.numerator[i], col.denominator[i])
            {
                let ok = (0.0..f64::INFINITY).contains(&x)
                    && d > 0.0
                    && d < f64::INFINITY
                    && d >= min_den
                    && (!proportion || x <= d)
                    && x != code
                    && d != code;
                let v = scale * x / d;
                if ok && v.is_finite() {
                    if inc {
                        sum_num += x;
                        sum_den += d;
                        present.push(v);
                    }
                    leaf.value[i] = v;
                    leaf.num[i] = x;
                    leaf.den[i] = d;
                    continue;
                }
            }
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
            leaf.gap[i] = match gap {
                None => 0,
                Some(Gap::Missing) => 1,
                Some(Gap::ZeroDenominator) => 2,
                Some(Gap::BelowMinimum(_)) => 3,
            };
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

/// The parent groups of the areas: (group of each area, parent code of each group); areas
/// without a parent (or all areas, when no parent level is given) share a group with code
/// `None`. Groups are numbered in parent-code order, so the result does not depend on the
/// order of the areas.
type ParentGroups = (Vec<u32>, Vec<Option<String>>);

fn parent_groups(scoring: ScoringInput<'_>, n: usize) -> Result<ParentGroups, ModelError> {
    let Some(parents) = scoring.parents else {
        return Ok((vec![0; n], vec![None]));
    };
    if parents.parent_codes.len() != n {
        return Err(ModelError::InvalidArgument {
            argument: "parent_codes".to_owned(),
            message: format!(
                "{} parent codes for {n} areas; give one per area (empty for unknown)",
                parents.parent_codes.len()
            ),
        });
    }
    let mut ids: std::collections::BTreeMap<Option<&str>, u32> = Default::default();
    for p in &parents.parent_codes {
        ids.insert(p.as_deref(), 0);
    }
    let mut codes = Vec::with_capacity(ids.len());
    for (g, (code, id)) in ids.iter_mut().enumerate() {
        *id = g as u32;
        codes.push(code.map(str::to_owned));
    }
    let group = parents
        .parent_codes
        .iter()
        .map(|p| ids.get(&p.as_deref()).copied().unwrap_or(0))
        .collect();
    Ok((group, codes))
}

/// The shrinkage groups of one indicator with `shrinkage = "parent"`: the parent groups, with
/// the parents' observed values for this indicator.
fn parent_shrink_groups(
    (group, code): &ParentGroups,
    scoring: ScoringInput<'_>,
    indicator: &str,
    n: usize,
) -> Result<ShrinkGroups, ModelError> {
    let Some(parents) = scoring.parents else {
        return Ok(ShrinkGroups::table(n, false));
    };
    let mut observed = vec![None; code.len()];
    for v in parents.observed.iter().filter(|v| v.indicator == indicator) {
        let (x, d) = (v.numerator, v.denominator);
        if !(x.is_finite() && d.is_finite() && x >= 0.0 && d > 0.0 && x <= d) {
            return Err(ModelError::InvalidValue {
                indicator: indicator.to_owned(),
                area_code: v.parent_code.clone(),
                message: format!(
                    "observed parent value {x}/{d} must satisfy 0 <= numerator <= denominator, denominator > 0"
                ),
            });
        }
        // A parent none of the areas has is not needed.
        if let Some(g) = code
            .iter()
            .position(|c| c.as_deref() == Some(&v.parent_code))
        {
            observed[g] = Some((x, d));
        }
    }
    Ok(ShrinkGroups {
        group: group.clone(),
        code: code.clone(),
        observed,
        parents_given: true,
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

/// Bins of the standard normal quantile table ([`std_normal`]).
const NORMAL_BINS: usize = 4096;
/// Bins at each end of the table drawn by the exact quantile function instead.
const NORMAL_EXACT_BINS: usize = 16;

/// Φ⁻¹(i/4096) for i = 0..=4096 (statrs; ±∞ at the ends), built once.
fn normal_table() -> &'static [f64; NORMAL_BINS + 1] {
    static TABLE: OnceLock<Box<[f64; NORMAL_BINS + 1]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0.0; NORMAL_BINS + 1]);
        for (i, x) in t.iter_mut().enumerate() {
            *x = crate::transform::normal_quantile(i as f64 / NORMAL_BINS as f64);
        }
        t
    })
}

/// A standard normal variate from one 64-bit random number, by inversion: u = r/2⁶⁴, z = Φ⁻¹(u).
/// Φ⁻¹ is tabulated at i/4096 and interpolated linearly (the top 12 bits of `r` pick the bin,
/// the other 52 the position in it); the 16 outermost bins at each end (|z| > 2.66, 0.8 % of
/// draws) use statrs' exact quantile. The CDF of the result is within 1.7e-6 of Φ everywhere
/// (test `normal_table_error_bound`), so the count approximation's documented bound (5e-4,
/// of which the Cornish–Fisher step uses 2.5e-4) is unaffected. Inlined, branch-predictable and
/// one random number per variate, it replaces a ziggurat call.
#[inline(always)]
fn std_normal(table: &[f64; NORMAL_BINS + 1], r: u64) -> f64 {
    let i = (r >> 52) as usize;
    let f = (r & ((1 << 52) - 1)) as i64 as f64 * (1.0 / 4_503_599_627_370_496.0); // 2^-52
    if (NORMAL_EXACT_BINS..NORMAL_BINS - NORMAL_EXACT_BINS).contains(&i) {
        let (a, b) = (table[i], table[i + 1]);
        a + f * (b - a)
    } else {
        // Upper end by symmetry, so that u and 1 − u both stay strictly inside (0, 1).
        let q = crate::transform::normal_quantile;
        let m = NORMAL_BINS as f64;
        if i < NORMAL_BINS / 2 {
            q((i as f64 + f + 1e-18) / m)
        } else {
            -q(((NORMAL_BINS - i) as f64 - f) / m)
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
    // Clamp first, then round to the nearest integer by adding and subtracting 1.5·2⁵² (two
    // additions instead of two conversions; exact for 0 ≤ v < 2⁵¹). Exact halves round to even
    // rather than up, which changes nothing: v is continuous, so a half has probability 0.
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let v = (mu + sigma * (z + g6 * (z * z - 1.0))).clamp(0.0, max);
    if v < 2.0e15 {
        (v + ROUNDER) - ROUNDER
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
    exact: Vec<AliasCount>,
    /// The alias tables of all exact counts, one after the other.
    alias: Vec<u32>,
    normal_idx: Vec<u32>,
    /// mean, sd.
    normal: Vec<[f64; 2]>,
}

impl Leaf {
    /// Why area `a` has no value (`None`: it has one).
    pub(crate) fn gap(&self, a: usize) -> Option<Gap> {
        match self.gap.get(a).copied().unwrap_or(0) {
            0 => None,
            1 => Some(Gap::Missing),
            2 => Some(Gap::ZeroDenominator),
            _ => Some(Gap::BelowMinimum(self.den[a])),
        }
    }

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
            if self.gap[i] != 0 || !inc {
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
                    let (lo, pmf) = e.alias_window();
                    dp.exact_idx.push(i as u32);
                    dp.exact.push(AliasCount {
                        lo,
                        factor,
                        offset: dp.alias.len() as u32,
                        len: pmf.len() as u32,
                    });
                    build_alias(&pmf, &mut dp.alias);
                }
                Sampler::Normal { mean, sd } => {
                    dp.normal_idx.push(i as u32);
                    dp.normal.push([mean, sd]);
                }
            }
        }
        dp
    }

    /// Writes the point values (display units; NaN for missing or excluded areas) into `row`;
    /// with `detail`, also each shrunk area's weight and the value it was shrunk toward.
    pub(crate) fn fill_point(
        &self,
        row: &mut ArrayViewMut1<'_, f64>,
        included: &[bool],
        scratch: &mut ShrinkScratch,
        detail: Option<&mut Vec<Option<ShrinkDetail>>>,
    ) {
        let scale = self.kind.scale();
        for ((r, &v), &inc) in row.iter_mut().zip(&self.value).zip(included) {
            *r = if inc { v } else { f64::NAN };
        }
        if let Some(groups) = &self.shrink {
            let mut counts = std::mem::take(&mut scratch.counts);
            counts.clear();
            counts.extend((0..self.num.len()).map(|i| {
                if row[i].is_nan() {
                    f64::NAN
                } else {
                    self.num[i]
                }
            }));
            if let Some(out) = row.as_slice_mut() {
                shrink_row(
                    &counts,
                    &self.den,
                    groups,
                    out,
                    scale,
                    &mut scratch.acc,
                    detail,
                );
            }
            scratch.counts = counts;
        }
    }

    /// Writes Monte Carlo draws into `rows`, draw b from generator `rngs[b]` (a batch of draws:
    /// the sampler parameters and alias tables are read once for the batch instead of once per
    /// draw, which is what bounds the sampling's speed). Each generator's numbers are consumed
    /// in a fixed order — normal-approximation areas, then exact counts, then values with a
    /// standard error, each in area order — so a draw's values do not depend on the batch it
    /// runs in.
    pub(crate) fn fill_draws<R: rand::Rng>(
        &self,
        dp: &DrawPlan,
        rows: &mut [&mut [f64]],
        rngs: &mut [R],
        scratch: &mut [ShrinkScratch],
    ) {
        let shrink = self.shrink.is_some();
        for (out, sc) in rows.iter_mut().zip(scratch.iter_mut()) {
            out.copy_from_slice(&dp.base);
            if shrink {
                sc.counts.clear();
                sc.counts.extend_from_slice(&dp.base_count);
            }
        }
        let table = normal_table();
        for (&i, &[mu, sigma, g6, max, factor]) in dp.approx_idx.iter().zip(&dp.approx) {
            for ((out, rng), sc) in rows.iter_mut().zip(rngs.iter_mut()).zip(scratch.iter_mut()) {
                let z = std_normal(table, rng.next_u64());
                let c = approx_count_g6(mu, sigma, g6, max, z);
                out[i as usize] = factor * c;
                if shrink {
                    sc.counts[i as usize] = c;
                }
            }
        }
        for (&i, e) in dp.exact_idx.iter().zip(&dp.exact) {
            for ((out, rng), sc) in rows.iter_mut().zip(rngs.iter_mut()).zip(scratch.iter_mut()) {
                let c = e.draw(&dp.alias, rng.next_u64());
                out[i as usize] = e.factor * c;
                if shrink {
                    sc.counts[i as usize] = c;
                }
            }
        }
        for (&i, &[mean, sd]) in dp.normal_idx.iter().zip(&dp.normal) {
            for (out, rng) in rows.iter_mut().zip(rngs.iter_mut()) {
                let z = std_normal(table, rng.next_u64());
                out[i as usize] = mean + sd * z;
            }
        }
        if let Some(groups) = &self.shrink {
            for (out, sc) in rows.iter_mut().zip(scratch.iter_mut()) {
                let counts = std::mem::take(&mut sc.counts);
                shrink_row(
                    &counts,
                    &dp.den_used,
                    groups,
                    out,
                    self.kind.scale(),
                    &mut sc.acc,
                    None,
                );
                sc.counts = counts;
            }
        }
    }
}

/// Empirical-Bayes shrinkage of proportions `counts[i]/dens[i]` (NaN count: no value) within
/// the groups of `groups`, written in display units into `row`: the formula of
/// [`crate::transform::eb_shrinkage`] per group (empirical logits with the 0.5 correction,
/// between-area variance t² = Σ(z − z̄)²/k, weight w = (1/s²)/(1/s² + 1/t²)), where the group's
/// z̄ is the logit of its parent's observed value when supplied and of the group's pooled counts
/// otherwise. With `detail`, each shrunk area's weight and target are recorded. Allocates
/// nothing once `acc` has grown.
pub(crate) fn shrink_row(
    counts: &[f64],
    dens: &[f64],
    groups: &ShrinkGroups,
    row: &mut [f64],
    scale: f64,
    acc: &mut Vec<[f64; 5]>,
    mut detail: Option<&mut Vec<Option<ShrinkDetail>>>,
) {
    let logit = |c: f64, d: f64| ((c + 0.5) / (d - c + 0.5)).ln();
    acc.clear();
    acc.resize(groups.code.len(), [0.0; 5]);
    for ((&c, &d), &g) in counts.iter().zip(dens).zip(&groups.group) {
        if !c.is_nan() {
            let a = &mut acc[g as usize];
            a[0] += c;
            a[1] += d;
            a[2] += 1.0;
        }
    }
    for (a, obs) in acc.iter_mut().zip(&groups.observed) {
        a[3] = match obs {
            Some((x, d)) => logit(*x, *d),
            None => logit(a[0], a[1]),
        };
    }
    for ((&c, &d), &g) in counts.iter().zip(dens).zip(&groups.group) {
        if !c.is_nan() {
            let a = &mut acc[g as usize];
            let z = logit(c, d);
            a[4] += (z - a[3]) * (z - a[3]);
        }
    }
    if let Some(det) = detail.as_deref_mut() {
        det.clear();
        det.resize(counts.len(), None);
    }
    for (i, ((r, &c), &d)) in row.iter_mut().zip(counts).zip(dens).enumerate() {
        if c.is_nan() {
            continue;
        }
        let g = groups.group[i];
        let a = &acc[g as usize];
        let (zbar, t2) = (a[3], a[4] / a[2]);
        let z = logit(c, d);
        let s2 = 1.0 / (c + 0.5) + 1.0 / (d - c + 0.5);
        let w = if t2 > 0.0 {
            (1.0 / s2) / (1.0 / s2 + 1.0 / t2)
        } else {
            0.0
        };
        let zs = w * z + (1.0 - w) * zbar;
        *r = scale / (1.0 + (-zs).exp());
        if let Some(det) = detail.as_deref_mut() {
            det[i] = Some(ShrinkDetail {
                weight: w,
                toward: scale / (1.0 + (-zbar).exp()),
                group: g,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Binomial as SBinomial, Discrete, Poisson as SPoisson};

    /// The variates of [`std_normal`] have a CDF within 1.7e-6 of Φ: between two table points
    /// the interpolated quantile makes the CDF linear, so the largest gap to Φ is found by
    /// scanning every interpolated bin finely (the exact outer bins have none).
    #[test]
    fn normal_table_error_bound() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let phi = Normal::standard();
        let t = normal_table();
        let mut worst: f64 = 0.0;
        for i in NORMAL_EXACT_BINS..NORMAL_BINS - NORMAL_EXACT_BINS {
            let (a, b) = (t[i], t[i + 1]);
            for s in 0..=64 {
                let x = a + (b - a) * f64::from(s) / 64.0;
                let cdf = (i as f64 + f64::from(s) / 64.0) / NORMAL_BINS as f64;
                worst = worst.max((cdf - phi.cdf(x)).abs());
            }
        }
        assert!(worst < 1.7e-6, "{worst:e}");
        assert!(
            worst > 1e-7,
            "the scan sees the interpolation error ({worst:e})"
        );
        // The random number maps to the right bin and fraction, and the exact ends agree with Φ⁻¹.
        let r = (2048u64 << 52) | (1 << 51); // u = (2048 + 0.5)/4096
        let u = 2048.5 / 4096.0;
        assert!((std_normal(t, r) - crate::transform::normal_quantile(u)).abs() < 1e-6);
        let r = 3u64 << 52; // bin 3, f = 0: exact quantile
        assert!((std_normal(t, r) - crate::transform::normal_quantile(3.0 / 4096.0)).abs() < 1e-12);
        assert!(std_normal(t, 0).is_finite() && std_normal(t, u64::MAX).is_finite());
    }

    /// The distribution an alias table really draws from — column shares of the 32-bit
    /// multiply-shift and 32-bit thresholds, computed exactly — is within 1e-7 in total
    /// variation of statrs' binomial and Poisson pmf, and the drawn counts follow it.
    #[test]
    fn alias_tables_reproduce_the_pmf() {
        use rand::SeedableRng;
        let check = |e: &ExactCount, pmf: &dyn Fn(u64) -> f64, support: u64, label: &str| {
            let (lo, window) = e.alias_window();
            let mut table = Vec::new();
            build_alias(&window, &mut table);
            let k = window.len() as u64;
            let a = AliasCount {
                lo,
                factor: 1.0,
                offset: 0,
                len: k as u32,
            };
            let two32 = 4_294_967_296.0_f64;
            let two24 = 16_777_216.0_f64;
            let mut implied = vec![0.0_f64; window.len()];
            for (j, &entry) in table.iter().enumerate() {
                let j = j as u64;
                let start = (j << 32).div_ceil(k);
                let end = ((j + 1) << 32).div_ceil(k);
                let share = (end - start) as f64 / two32;
                let t = f64::from(entry >> 8) / two24;
                let alias = (entry & 0xff) as usize;
                if alias == j as usize {
                    implied[j as usize] += share;
                } else {
                    implied[j as usize] += share * t;
                    implied[alias] += share * (1.0 - t);
                }
            }
            let mut tv = 0.0;
            for c in 0..=support {
                let w = c as f64 - lo;
                let p_hat = if w >= 0.0 && (w as usize) < implied.len() {
                    implied[w as usize]
                } else {
                    0.0
                };
                tv += (p_hat - pmf(c)).abs();
            }
            tv /= 2.0;
            assert!(tv < 1e-7, "{label}: total variation {tv:e}");
            // The sampler draws from the table: every count in the window, mean close to the
            // distribution's (1e5 draws; 6 standard errors).
            let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
            let draws = 100_000;
            let (mut sum, mut sum2) = (0.0, 0.0);
            for _ in 0..draws {
                let c = a.draw(&table, rand::Rng::next_u64(&mut rng));
                assert!(c >= lo && c < lo + k as f64, "{label}: {c}");
                sum += c;
                sum2 += c * c;
            }
            let mean: f64 = (0..=support).map(|c| c as f64 * pmf(c)).sum();
            let m = sum / draws as f64;
            let sd = (sum2 / draws as f64 - m * m).sqrt();
            assert!(
                (m - mean).abs() < 6.0 * sd / (draws as f64).sqrt() + 1e-9,
                "{label}: mean {m} vs {mean}"
            );
        };
        for (n, p) in [
            (10.0, 0.1),
            (40.0, 0.175),
            (250.0, 0.032),
            (900.0, 0.034),
            (60.0, 0.98),
            (5000.0, 0.99),
            (3.0, 0.5),
            (200.0, 0.5),
            (1.0, 0.3),
        ] {
            let b = SBinomial::new(p, n as u64).unwrap();
            check(
                &ExactCount::binomial(n, p),
                &|k| b.pmf(k),
                n as u64,
                &format!("binomial({n}, {p})"),
            );
        }
        for lambda in [0.3, 4.0, 17.5, 49.0, 400.0] {
            let po = SPoisson::new(lambda).unwrap();
            check(
                &ExactCount::poisson(lambda),
                &|k| po.pmf(k),
                (lambda + 40.0 * lambda.sqrt() + 40.0) as u64,
                &format!("poisson({lambda})"),
            );
        }
    }

    fn shrink(
        counts: &[f64],
        dens: &[f64],
        groups: &ShrinkGroups,
    ) -> (Vec<f64>, Vec<Option<ShrinkDetail>>) {
        let mut row = vec![f64::NAN; counts.len()];
        let (mut acc, mut det) = (Vec::new(), Vec::new());
        shrink_row(
            counts,
            dens,
            groups,
            &mut row,
            100.0,
            &mut acc,
            Some(&mut det),
        );
        (row, det)
    }

    /// Shrinkage toward parent areas, computed by hand (logits with the 0.5 correction):
    /// - parent P (pooled from its areas): A 10/100 and B 30/100. z_A = ln(10.5/90.5) =
    ///   −2.153975, z_B = ln(30.5/70.5) = −0.837886, z̄ = ln(40.5/160.5) = −1.376992,
    ///   t² = ((z_A − z̄)² + (z_B − z̄)²)/2 = 0.447169; s²_A = 1/10.5 + 1/90.5 = 0.106288, so
    ///   w_A = (1/s²_A)/(1/s²_A + 1/t²) = 0.807956 and A's shrunk value is
    ///   logistic(w_A·z_A + (1 − w_A)·z̄) = 11.870406 %; likewise w_B = 0.904943, 29.128906 %.
    /// - parent Q with its own observed value 120/1000 (z̄ = ln(120.5/880.5) = −1.988840):
    ///   C 5/20, D 5/80, E 50/400; t² = 0.435988; w_C = 0.638976 → 20.099992 %,
    ///   w_D = 0.690891 → 8.132508 %, w_E = 0.950604 → 12.565566 %.
    /// - F 7/70 has no parent and is alone in its group: t² = 0, w = 0, and it keeps its own
    ///   0.5-corrected value 7.5/71 = 10.563380 %.
    /// - G has no value and stays missing.
    #[test]
    fn parent_shrinkage_known_answer() {
        let groups = ShrinkGroups {
            group: vec![1, 1, 2, 2, 2, 0, 1],
            code: vec![None, Some("P".into()), Some("Q".into())],
            observed: vec![None, None, Some((120.0, 1000.0))],
            parents_given: true,
        };
        let counts = [10.0, 30.0, 5.0, 5.0, 50.0, 7.0, f64::NAN];
        let dens = [100.0, 100.0, 20.0, 80.0, 400.0, 70.0, 50.0];
        let (row, det) = shrink(&counts, &dens, &groups);
        let want = [
            11.870406014990126,
            29.128906085119308,
            20.09999218357158,
            8.132507838181873,
            12.565566499116507,
            100.0 * 7.5 / 71.0,
        ];
        for (a, w) in want.iter().enumerate() {
            assert!((row[a] - w).abs() < 1e-9, "area {a}: {} vs {w}", row[a]);
        }
        assert!(row[6].is_nan() && det[6].is_none());
        let weights = [0.8079563019818711, 0.9049433504771935, 0.6389764083667964];
        for (a, w) in weights.iter().enumerate() {
            assert!(
                (det[a].unwrap().weight - w).abs() < 1e-12,
                "weight of area {a}"
            );
        }
        assert_eq!(det[5].unwrap().weight, 0.0);
        // Targets: P's pooled 40.5/201 and Q's observed 120.5/1001 (0.5-corrected).
        assert!((det[0].unwrap().toward - 100.0 * 40.5 / 201.0).abs() < 1e-9);
        assert!((det[2].unwrap().toward - 100.0 * 120.5 / 1001.0).abs() < 1e-9);
    }

    /// Pooled parents give exactly the statistics core's shrinkage
    /// ([`crate::transform::eb_shrinkage`]), group by group.
    #[test]
    fn parent_shrinkage_matches_the_stats_core() {
        let counts = [3.0, 12.0, 40.0, 1.0, 9.0, 22.0, 0.0, 15.0];
        let dens = [30.0, 80.0, 150.0, 12.0, 60.0, 90.0, 25.0, 15.0];
        let parents = [0usize, 0, 0, 1, 1, 1, 2, 2];
        let groups = ShrinkGroups {
            group: parents.iter().map(|&p| p as u32).collect(),
            code: vec![Some("a".into()), Some("b".into()), Some("c".into())],
            observed: vec![None; 3],
            parents_given: true,
        };
        let (row, det) = shrink(&counts, &dens, &groups);
        let core = crate::transform::eb_shrinkage(&counts, &dens, &parents).unwrap();
        for (a, c) in core.iter().enumerate() {
            assert!((row[a] - 100.0 * c.shrunk).abs() < 1e-12, "area {a}");
            assert!(
                (det[a].unwrap().weight - c.weight).abs() < 1e-12,
                "area {a}"
            );
        }
    }

    proptest::proptest! {
        /// Every shrunk value lies between the area's own (0.5-corrected) value and its
        /// parent's value, and an area's weight tends to 1 as its denominator grows with the
        /// proportion fixed.
        #[test]
        fn parent_shrinkage_properties(
            cells in proptest::collection::vec((1.0f64..2_000.0, 0.0f64..1.0, 0usize..4), 2..40),
            observed in proptest::option::of((0.01f64..0.99, 10.0f64..10_000.0)),
        ) {
            let dens: Vec<f64> = cells.iter().map(|c| c.0.round()).collect();
            let counts: Vec<f64> = cells.iter().zip(&dens).map(|(c, d)| (c.1 * d).round()).collect();
            let groups = ShrinkGroups {
                group: cells.iter().map(|c| c.2 as u32).collect(),
                code: (0..4).map(|g| Some(format!("p{g}"))).collect(),
                observed: (0..4)
                    .map(|g| observed.filter(|_| g == 0).map(|(p, n)| ((p * n).round(), n.round())))
                    .collect(),
                parents_given: true,
            };
            let (row, det) = shrink(&counts, &dens, &groups);
            for a in 0..row.len() {
                let own = 100.0 * (counts[a] + 0.5) / (dens[a] + 1.0);
                let toward = det[a].unwrap().toward;
                let (lo, hi) = (own.min(toward), own.max(toward));
                proptest::prop_assert!(row[a] >= lo - 1e-9 && row[a] <= hi + 1e-9,
                    "area {}: {} not between {} and {}", a, row[a], own, toward);
                let w = det[a].unwrap().weight;
                proptest::prop_assert!((0.0..=1.0).contains(&w));
            }
            // Area 0 with a proportion p₀ in (0, 1) and ever larger denominators (the other
            // areas fixed): s² → 0, so its weight tends to 1 wherever the between-area variance
            // t² of its group stays away from 0.
            let p0 = cells[0].1.clamp(0.01, 0.99);
            let (mut c, mut d) = (counts.clone(), dens.clone());
            d[0] = (dens[0] * 1e7).round();
            c[0] = (p0 * d[0]).round();
            let (_, det) = shrink(&c, &d, &groups);
            let g = groups.group[0];
            let logit = |c: f64, d: f64| ((c + 0.5) / (d - c + 0.5)).ln();
            let members: Vec<usize> = (0..c.len()).filter(|&j| groups.group[j] == g).collect();
            let zbar = match groups.observed[g as usize] {
                Some((x, n)) => logit(x, n),
                None => {
                    let (sr, sn) = members.iter().fold((0.0, 0.0), |(a, b), &j| (a + c[j], b + d[j]));
                    logit(sr, sn)
                }
            };
            let t2 = members.iter().map(|&j| (logit(c[j], d[j]) - zbar).powi(2)).sum::<f64>()
                / members.len() as f64;
            if t2 > 1e-2 {
                let w = det[0].unwrap().weight;
                proptest::prop_assert!(w > 0.999, "weight at n = {}: {} (t² = {})", d[0], w, t2);
            }
        }
    }
}
