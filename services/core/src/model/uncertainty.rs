//! Rank uncertainty by Monte Carlo: [`ModelSpec::score_with_draws`].

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{AreaScore, ModelError, ModelSpec, ScoreTable, ScoringInput};
use crate::kernel::draws::rank_draws;
use crate::kernel::leaves::prepare;
use crate::transform::top_quantile_max_rank;

/// Default k of `p_top_k` in [`ModelSpec::score_with_draws`].
pub const DEFAULT_TOP_K: u32 = 10;

/// Options of a Monte Carlo run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawOptions {
    /// Number of draws (1..=100,000).
    pub draws: u32,
    /// Seed; the same seed gives the same output, bit for bit, on any number of threads.
    pub seed: u64,
    /// k of `p_top_k` (≥ 1).
    pub top_k: u32,
}

/// Point scores with rank uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertainScoreTable {
    /// The deterministic scores, ranks, deciles and contributions (as [`ModelSpec::score`]).
    pub scores: ScoreTable,
    /// One entry per row of `scores`, same order.
    pub uncertainty: Vec<RankUncertainty>,
    /// Draws run.
    pub draws: u32,
    /// Seed used.
    pub seed: u64,
    /// k of `p_top_k`.
    pub top_k: u32,
    /// Ranks up to this one are decile 1 (PHE rule for the number of scored areas); `None` when
    /// fewer than 10 areas are scored.
    pub top_decile_max_rank: Option<u32>,
}

/// The rank distribution of one area over the draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankUncertainty {
    /// The area's code.
    pub area_code: String,
    /// Median rank over the draws (`None` when the area is not scored).
    pub rank_median: Option<u32>,
    /// Lower end of the 90 % rank interval: the 5 % quantile of the draws' ranks, lowered to the
    /// point rank if that is smaller (see `interval_widened`).
    pub rank_p05: Option<u32>,
    /// Upper end of the 90 % rank interval: the 95 % quantile, raised to the point rank if that
    /// is larger.
    pub rank_p95: Option<u32>,
    /// Share of draws in which the area ranks in the top k (rank ≤ k).
    pub p_top_k: Option<f64>,
    /// Share of draws in which the area is in decile 1 (rank ≤ `top_decile_max_rank`).
    pub p_top_decile: Option<f64>,
    /// Areas with the same group are statistically indistinguishable (see
    /// [`ModelSpec::score_with_draws`]); 1 is the group of rank 1.
    pub tie_group: Option<u32>,
    /// True when the point rank lay outside the draws' 5–95 % interval and the interval was
    /// widened to include it (this happens when precise and noisy areas have close values).
    pub interval_widened: bool,
}

/// The index of the inverse-ECDF quantile (R type 1) q among n sorted values: the smallest rank
/// r with at least a share q of the draws ≤ r is the value at this index.
fn quantile_index(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// The inverse-ECDF quantiles (R type 1) `qs` (ascending) of `values`, by selection (O(n) each)
/// instead of a full sort; `values` is reordered.
/// One area's rank summary from its ranks over the draws (`col`, reordered in place).
fn summarise(
    row: &AreaScore,
    col: &mut [u32],
    top_k: u32,
    top_decile: Option<u32>,
) -> RankUncertainty {
    if row.rank.is_none() || col.is_empty() {
        return RankUncertainty {
            area_code: row.area_code.clone(),
            rank_median: None,
            rank_p05: None,
            rank_p95: None,
            p_top_k: None,
            p_top_decile: None,
            tie_group: None,
            interval_widened: false,
        };
    }
    let d = col.len() as f64;
    let point = row.rank.unwrap_or(0);
    let [q05, q50, q95] = quantiles(col, [0.05, 0.5, 0.95]);
    let top = |t: u32| col.iter().filter(|&&r| r <= t).count() as f64 / d;
    RankUncertainty {
        area_code: row.area_code.clone(),
        rank_median: Some(q50),
        rank_p05: Some(q05.min(point)),
        rank_p95: Some(q95.max(point)),
        p_top_k: Some(top(top_k)),
        p_top_decile: top_decile.map(top),
        tie_group: None,
        interval_widened: point < q05 || point > q95,
    }
}

fn quantiles<const K: usize>(values: &mut [u32], qs: [f64; K]) -> [u32; K] {
    let n = values.len();
    let mut out = [0u32; K];
    let mut from = 0; // values[..from] are all ≤ values[from..] after the previous selection
    for (o, q) in out.iter_mut().zip(qs) {
        let i = quantile_index(n, q).max(from);
        let (_, v, _) = values[from..].select_nth_unstable(i - from);
        *o = *v;
        from = i;
    }
    out
}

impl ModelSpec {
    /// Scores `input` and measures how sure each rank is, by Monte Carlo with `draws` draws and
    /// the given `seed` (k of `p_top_k` = [`DEFAULT_TOP_K`]); see
    /// [`ModelSpec::score_with_uncertainty`].
    pub fn score_with_draws<'a>(
        &self,
        input: impl Into<ScoringInput<'a>>,
        draws: u32,
        seed: u64,
    ) -> Result<UncertainScoreTable, ModelError> {
        self.score_with_uncertainty(
            input,
            &DrawOptions {
                draws,
                seed,
                top_k: DEFAULT_TOP_K,
            },
        )
    }

    /// Scores `input` and measures how sure each rank is.
    ///
    /// Each draw re-draws every indicator of every area from its sampling distribution (binomial
    /// for proportions, Poisson for rates and counts, normal for values with a supplied standard
    /// error; method and error bound in [`crate::kernel`]'s `draws` module), re-runs the whole
    /// model and ranks the scores (1 = highest, ties by area code). Per area:
    /// - `rank_median`, `rank_p05`, `rank_p95`: quantiles of its draw ranks (inverse ECDF, R type
    ///   1), the interval widened to contain the point rank when it does not;
    /// - `p_top_k`, `p_top_decile`: shares of draws with rank ≤ k and rank in decile 1 (the sum
    ///   of `p_top_k` over areas is exactly k when at least k areas are scored);
    /// - `tie_group`: areas in point-rank order are grouped greedily — an area joins the current
    ///   group when its `rank_p05` is at most the `rank_p95` of the group's first area, i.e. its
    ///   interval overlaps the leader's, otherwise it starts a new group. Areas in one group
    ///   cannot be told apart at the 90 % level.
    ///
    /// Same input, model and seed give bit-identical output on any number of threads.
    pub fn score_with_uncertainty<'a>(
        &self,
        input: impl Into<ScoringInput<'a>>,
        opts: &DrawOptions,
    ) -> Result<UncertainScoreTable, ModelError> {
        let input: ScoringInput<'a> = input.into();
        if opts.draws == 0 || opts.draws > 100_000 {
            return Err(ModelError::InvalidArgument {
                argument: "draws".to_owned(),
                message: format!("must be between 1 and 100000 (got {})", opts.draws),
            });
        }
        if opts.top_k == 0 {
            return Err(ModelError::InvalidArgument {
                argument: "top_k".to_owned(),
                message: "must be at least 1".to_owned(),
            });
        }
        let scores = self.score(input)?;
        let prep = prepare(self, input)?;
        let ranks = rank_draws(&self.plan, &prep, opts.draws, opts.seed);
        let n_scored = scores.rows.iter().filter(|r| r.score.is_some()).count();
        let top_decile = top_quantile_max_rank(n_scored, 10);
        // Each area's ranks over the draws, gathered in one sequential pass over the draws per
        // block of areas (a column of the draws × areas matrix is strided; reading 2,100 of them
        // cost more than the summaries themselves), and summarised — in parallel over blocks of
        // areas; every area's summary depends on its own column only, so the result does not
        // depend on the number of threads.
        const AREA_BLOCK: usize = 256;
        let draws_n = opts.draws as usize;
        let mut uncertainty: Vec<RankUncertainty> = scores
            .rows
            .par_chunks(AREA_BLOCK)
            .enumerate()
            .flat_map_iter(|(b, rows)| {
                let first = b * AREA_BLOCK;
                let mut cols: Vec<Vec<u32>> = (0..rows.len())
                    .map(|_| Vec::with_capacity(draws_n))
                    .collect();
                for draw in ranks.rows() {
                    if let Some(d) = draw.as_slice() {
                        let block = d
                            .get(first..(first + rows.len()).min(d.len()))
                            .unwrap_or(&[]);
                        for (col, &r) in cols.iter_mut().zip(block) {
                            if r > 0 {
                                col.push(r);
                            }
                        }
                    }
                }
                rows.iter()
                    .zip(cols)
                    .map(|(row, mut col)| summarise(row, &mut col, opts.top_k, top_decile))
                    .collect::<Vec<_>>()
            })
            .collect();
        // Tie groups in point-rank order.
        let mut order: Vec<usize> = (0..scores.rows.len())
            .filter(|&a| scores.rows[a].rank.is_some() && uncertainty[a].rank_p05.is_some())
            .collect();
        order.sort_by_key(|&a| scores.rows[a].rank);
        let mut group = 0u32;
        let mut leader_hi = 0u32;
        for &a in &order {
            let (lo, hi) = (
                uncertainty[a].rank_p05.unwrap_or(0),
                uncertainty[a].rank_p95.unwrap_or(0),
            );
            if group == 0 || lo > leader_hi {
                group += 1;
                leader_hi = hi;
            }
            uncertainty[a].tie_group = Some(group);
        }
        Ok(UncertainScoreTable {
            scores,
            uncertainty,
            draws: opts.draws,
            seed: opts.seed,
            top_k: opts.top_k,
            top_decile_max_rank: top_decile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Quantiles by selection equal those of the sorted values (R type 1), with ties and at the
    /// ends.
    #[test]
    fn quantiles_by_selection_match_sorting() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        for n in [1usize, 2, 3, 19, 20, 21, 100, 1000] {
            for range in [1u32, 5, 50, 5000] {
                let mut v: Vec<u32> = (0..n).map(|_| rng.random_range(1..=range)).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                let qs = [0.05, 0.5, 0.95];
                let got = quantiles(&mut v, qs);
                for (g, q) in got.iter().zip(qs) {
                    assert_eq!(
                        *g,
                        sorted[quantile_index(n, q)],
                        "n={n} range={range} q={q}"
                    );
                }
            }
        }
    }
}
