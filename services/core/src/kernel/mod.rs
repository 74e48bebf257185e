//! The vectorised scoring kernel.
//!
//! A model's [plan](crate::model) is evaluated on a **nodes × areas** matrix (`ndarray::Array2`,
//! one row per indicator or derived step, NaN = missing). Rows are computed in topological order,
//! so a step's inputs always lie above its output row: the kernel splits the matrix at the output
//! row (`split_at(Axis(0), out)`) and reads the inputs from the upper half while writing the
//! output row, without copying. Every operation is column-wise over a contiguous row; ranks use
//! counting or a stable bucket/radix sort on integer keys ([`crate::transform`]) and rank
//! transforms are tabulated once per N (and shared between calls), so an evaluation allocates
//! nothing once its scratch buffers have grown.
//!
//! The same code serves the deterministic score ([`crate::model::ModelSpec::score`]) and every
//! Monte Carlo draw ([`draws`]), which only refills the indicator rows first.

pub mod draws;
pub mod leaves;

use ndarray::{ArrayViewMut2, Axis};

use crate::model::plan::{Missing, Op, Plan};
use crate::transform::{self, KeyKind, RankScratch, Source, round_half_away};

/// Per-thread scratch space of the kernel.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    pub(crate) rank: RankScratch,
    share: Vec<f64>,
    count_a: Vec<u32>,
    count_b: Vec<u32>,
}

/// Evaluates every step of `plan` on `m` (rows = nodes, columns = areas). The leaf rows must be
/// filled. Areas with `included[a] == false` are set to missing in every derived row.
pub(crate) fn run_steps(
    plan: &Plan,
    m: &mut ArrayViewMut2<'_, f64>,
    included: &[bool],
    s: &mut Scratch,
) {
    let n = m.ncols();
    let all_included = included.iter().all(|&i| i);
    for step in &plan.steps {
        let (read, mut write) = m.view_mut().split_at(Axis(0), step.out);
        let mut out_row = write.row_mut(0);
        let Some(out) = out_row.as_slice_mut() else {
            // Rows of a standard-layout matrix are contiguous; the kernel only builds those.
            continue;
        };
        let input = |i: usize| read.row(step.inputs[i]);
        match &step.op {
            Op::Round { decimals } => {
                for (o, &x) in out.iter_mut().zip(input(0).iter()) {
                    *o = round_half_away(x, *decimals);
                }
            }
            Op::Invert => {
                for (o, &x) in out.iter_mut().zip(input(0).iter()) {
                    *o = 1.0 - x;
                }
            }
            Op::Negate => {
                for (o, &x) in out.iter_mut().zip(input(0).iter()) {
                    *o = -x;
                }
            }
            Op::PercentRank { .. }
            | Op::RankNormal { .. }
            | Op::ZScore
            | Op::MinMax
            | Op::ExpTransform { .. } => {
                let sign = if step.flip { -1.0 } else { 1.0 };
                let source = input(0);
                // Rank transforms read the input row directly (oriented, excluded areas
                // blanked on the fly); the others work in place on a copy.
                let src = source.as_slice().map(|values| Source {
                    values,
                    sign,
                    included: (!all_included).then_some(included),
                });
                let (kd, rank) = (step.key_decimals, &mut s.rank);
                match (&step.op, src) {
                    (Op::PercentRank { decimals, .. }, Some(src)) => {
                        transform::percent_rank_from(src, out, kd, *decimals, rank)
                    }
                    (Op::RankNormal { form }, Some(src)) => {
                        transform::rank_normal_from(src, out, *form, kd, rank)
                    }
                    (
                        Op::ExpTransform {
                            constant,
                            from_rank: false,
                            ..
                        },
                        Some(src),
                    ) => transform::exp_transform_from(src, out, *constant, kd, rank),
                    _ => {
                        for ((o, &x), &inc) in out.iter_mut().zip(source.iter()).zip(included) {
                            *o = if inc { sign * x } else { f64::NAN };
                        }
                        normalise(&step.op, step.key_decimals, out, s);
                    }
                }
            }
            Op::WeightedSum {
                weights,
                missing,
                decimals,
            } => {
                out.iter_mut().for_each(|o| *o = 0.0);
                match missing {
                    Missing::Propagate => {
                        for (j, &w) in weights.iter().enumerate() {
                            for (o, &x) in out.iter_mut().zip(input(j).iter()) {
                                *o += w * x;
                            }
                        }
                    }
                    Missing::AsZero { min_weight_share } => {
                        s.share.clear();
                        s.share.resize(n, 0.0);
                        let total: f64 = weights.iter().map(|w| w.abs()).sum();
                        for (j, &w) in weights.iter().enumerate() {
                            for ((o, sh), &x) in
                                out.iter_mut().zip(s.share.iter_mut()).zip(input(j).iter())
                            {
                                if !x.is_nan() {
                                    *o += w * x;
                                    *sh += w.abs() / total;
                                }
                            }
                        }
                        for (o, &sh) in out.iter_mut().zip(&s.share) {
                            // A tolerance keeps "exactly the required share" from failing on the
                            // rounding of the sum of shares.
                            if sh + 1e-12 < *min_weight_share {
                                *o = f64::NAN;
                            }
                        }
                    }
                }
                if let Some(d) = decimals {
                    out.iter_mut().for_each(|o| *o = round_half_away(*o, *d));
                }
            }
            Op::Flag { cmp, threshold } => {
                for (o, &x) in out.iter_mut().zip(input(0).iter()) {
                    *o = if x.is_nan() {
                        f64::NAN
                    } else if cmp.holds(x, *threshold) {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
            Op::AtLeast { .. } | Op::All => {
                s.count_a.clear();
                s.count_a.resize(n, 0); // inputs equal to 1 (true)
                s.count_b.clear();
                s.count_b.resize(n, 0); // missing inputs
                for j in 0..step.inputs.len() {
                    for ((a, b), &x) in s
                        .count_a
                        .iter_mut()
                        .zip(s.count_b.iter_mut())
                        .zip(input(j).iter())
                    {
                        if x.is_nan() {
                            *b += 1;
                        } else if x != 0.0 {
                            *a += 1;
                        }
                    }
                }
                let m_inputs = step.inputs.len() as u32;
                let k = match step.op {
                    Op::AtLeast { k } => k,
                    _ => m_inputs,
                };
                for ((o, &t), &u) in out.iter_mut().zip(&s.count_a).zip(&s.count_b) {
                    // Three-valued logic: decided when the known inputs already settle it.
                    *o = if t >= k {
                        1.0
                    } else if t + u < k {
                        0.0
                    } else {
                        f64::NAN
                    };
                }
            }
        }
        if !all_included {
            for (o, &inc) in out.iter_mut().zip(included) {
                if !inc {
                    *o = f64::NAN;
                }
            }
        }
    }
}

/// In-place normalisation of a row (NaN = missing).
fn normalise(op: &Op, key_decimals: Option<u32>, row: &mut [f64], s: &mut Scratch) {
    match op {
        Op::PercentRank { decimals, .. } => {
            transform::percent_rank_nan(row, key_decimals, *decimals, &mut s.rank)
        }
        Op::RankNormal { form } => {
            transform::rank_normal_nan(row, *form, key_decimals, &mut s.rank)
        }
        Op::ExpTransform {
            constant,
            from_rank: false,
            ..
        } => transform::exp_transform_nan(row, *constant, key_decimals, &mut s.rank),
        Op::ExpTransform {
            constant,
            from_rank: true,
            n,
        } => {
            let count = row.iter().filter(|x| !x.is_nan()).count() as f64;
            let nn = n.map_or(count, f64::from);
            for x in row.iter_mut() {
                // A rank must be an integer in 1..=N; anything else is treated as missing.
                *x = if x.is_nan() || *x < 1.0 || *x > nn || x.fract() != 0.0 {
                    f64::NAN
                } else {
                    transform::exp_transform_r((nn - *x + 1.0) / nn, *constant)
                };
            }
        }
        Op::ZScore => {
            let (mut sum, mut cnt) = (0.0, 0usize);
            for &x in row.iter() {
                if !x.is_nan() {
                    sum += x;
                    cnt += 1;
                }
            }
            if cnt == 0 {
                return;
            }
            let mean = sum / cnt as f64;
            let mut ss = 0.0;
            for &x in row.iter() {
                if !x.is_nan() {
                    ss += (x - mean) * (x - mean);
                }
            }
            let sd = if cnt > 1 {
                (ss / (cnt as f64 - 1.0)).sqrt()
            } else {
                0.0
            };
            for x in row.iter_mut() {
                if !x.is_nan() {
                    *x = if sd > 0.0 { (*x - mean) / sd } else { 0.0 };
                }
            }
        }
        Op::MinMax => {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &x in row.iter() {
                if !x.is_nan() {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            for x in row.iter_mut() {
                if !x.is_nan() {
                    *x = if hi > lo { (*x - lo) / (hi - lo) } else { 0.0 };
                }
            }
        }
        _ => {}
    }
}

/// Ranks the non-missing entries of `score` by value descending, ties by the order of
/// `code_order` (area indices sorted by area code), writing 1-based ranks into `ranks` (0 for
/// missing). Stable bucket (or radix) sort: O(n) per call.
pub(crate) fn rank_desc(
    score: &[f64],
    decimals: Option<u32>,
    code_order: &[u32],
    ranks: &mut [u32],
    s: &mut RankScratch,
) -> u32 {
    let key = |v: f64| match decimals {
        Some(d) => transform::decimal_key(v, d),
        None => transform::f64_key(v),
    };
    s.load_keys(
        code_order
            .iter()
            .filter(|&&i| !score[i as usize].is_nan())
            .map(|&i| (!key(score[i as usize]), i)),
        if decimals.is_some() {
            KeyKind::Int
        } else {
            KeyKind::NegF64
        },
    );
    s.sort();
    ranks.iter_mut().for_each(|r| *r = 0);
    let mut count = 0u32;
    for (pos, (_, i)) in s.sorted().enumerate() {
        ranks[i as usize] = pos as u32 + 1;
        count += 1;
    }
    count
}

pub use leaves::{NORMAL_APPROX_MIN_VARIANCE, approx_count};
