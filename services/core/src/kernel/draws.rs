//! Monte Carlo draws: every indicator re-drawn from its sampling distribution, the whole model
//! re-run, the score ranked — once per draw, in parallel over draws.
//!
//! **Sampling.** For an area with numerator x and denominator n:
//! - proportions: `x* ~ Binomial(n, x/n)`; rates and counts: `x* ~ Poisson(x)` (x = 0 stays 0);
//!   plain values with a supplied standard error: `v* ~ Normal(v, se)`; plain values without one
//!   are fixed.
//! - Counts are drawn **exactly** when the variance (n·p·(1 − p), or λ) is below
//!   [`NORMAL_APPROX_MIN_VARIANCE`] = 50: from an alias table of the pmf built once per run
//!   (Walker/Vose; one random number and one 4-byte table entry per draw, no search; within
//!   1e-7 of the pmf in total variation — see `leaves::AliasCount`). Otherwise by the normal
//!   approximation with a Cornish–Fisher skewness correction,
//!   `x* = round(μ + σ·(z + γ(z² − 1)/6))` clamped to [0, n], with z standard normal and γ the
//!   skewness ((1 − 2p)/σ for the binomial, 1/σ for the Poisson). The Kolmogorov distance between
//!   this discretised approximation and the exact distribution is computed exactly in the test
//!   `normal_approximation_error_bound` (tests/model_uncertainty.rs) over binomial n·p·(1 − p) and
//!   Poisson λ from 50 to 5,000 and p from 0.002 to 0.99: it stays below **5e-4** (worst case
//!   measured 2.5e-4; 9.3e-3 without the skewness correction). z itself comes from one 64-bit
//!   random number by inversion of a 4,096-point table of Φ⁻¹ with linear interpolation (exact
//!   quantiles in the outermost bins), whose CDF is within 1.7e-6 of Φ (test
//!   `normal_table_error_bound`), so the bound stands. Any probability P(x* ≤ k) is thus
//!   off by less than 0.05 percentage points — far below the Monte Carlo error of 1,000 draws
//!   (≈ 1.6 points at p = 0.5).
//! - Denominators are fixed (the population at risk is known from the register).
//!
//! **Reproducibility.** Draw d uses its own generator, xoshiro256++ (`rand::rngs::Xoshiro256PlusPlus`,
//! a fixed, documented algorithm) seeded with SplitMix64 from `seed` and `d`; each draw writes its
//! own row of the rank matrix. The result is therefore bit-identical for any number of threads and
//! any scheduling (tested with 1 and 2 threads).
//!
//! [`NORMAL_APPROX_MIN_VARIANCE`]: super::leaves::NORMAL_APPROX_MIN_VARIANCE

use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::leaves::{Prepared, ShrinkScratch};
use super::{Scratch, rank_desc, run_steps};
use crate::model::plan::Plan;

/// The generator of draw `d` under `seed`.
pub(crate) fn draw_rng(seed: u64, d: u64) -> Xoshiro256PlusPlus {
    // seed_from_u64 expands its argument with SplitMix64; mixing d with the golden-ratio
    // increment gives every (seed, draw) pair a distinct, well-spread input.
    Xoshiro256PlusPlus::seed_from_u64(
        seed ^ (d.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// Draws filled together (see [`super::leaves::Leaf::fill_draws`]); the result does not depend
/// on it.
const BATCH: usize = 4;

/// Runs `draws` Monte Carlo draws and returns the rank matrix (draws × areas; 0 = not scored in
/// that draw). Parallel over batches of draws with rayon; deterministic for any thread count.
pub(crate) fn rank_draws(plan: &Plan, prep: &Prepared, draws: u32, seed: u64) -> Array2<u32> {
    let n = prep.n;
    let nodes = plan.names.len();
    let mut ranks = vec![0u32; draws as usize * n];
    let plans: Vec<_> = prep
        .leaves
        .iter()
        .map(|l| l.draw_plan(&prep.included))
        .collect();
    if n > 0 {
        ranks.par_chunks_mut(BATCH * n).enumerate().for_each_init(
            || {
                (
                    (0..BATCH)
                        .map(|_| Array2::<f64>::zeros((nodes, n)))
                        .collect::<Vec<_>>(),
                    Scratch::default(),
                    vec![ShrinkScratch::default(); BATCH],
                )
            },
            |(ms, s, shrink), (batch, rank_rows)| {
                let first = batch * BATCH;
                let count = rank_rows.len() / n;
                let mut rngs: Vec<Xoshiro256PlusPlus> = (0..count)
                    .map(|b| draw_rng(seed, (first + b) as u64))
                    .collect();
                for (k, (leaf, dp)) in prep.leaves.iter().zip(&plans).enumerate() {
                    let mut rows: Vec<&mut [f64]> = ms[..count]
                        .iter_mut()
                        .filter_map(|m| {
                            m.as_slice_mut().and_then(|x| x.get_mut(k * n..(k + 1) * n))
                        })
                        .collect();
                    leaf.fill_draws(dp, &mut rows, &mut rngs, &mut shrink[..count]);
                }
                for (m, rank_row) in ms.iter_mut().zip(rank_rows.chunks_mut(n)) {
                    run_steps(plan, &mut m.view_mut(), &prep.included, s);
                    let score = m.row(plan.score);
                    if let Some(sc) = score.as_slice() {
                        rank_desc(
                            sc,
                            plan.score_decimals,
                            &prep.code_order,
                            rank_row,
                            &mut s.rank,
                        );
                    }
                }
            },
        );
    }
    Array2::from_shape_vec((draws as usize, n), ranks).unwrap_or_else(|_| Array2::zeros((0, n)))
}
