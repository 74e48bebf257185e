//! Monte Carlo rank uncertainty: reproducibility across thread counts, the invariants of the
//! summaries, and the error bound of the normal approximation used for large counts.

use lighed_core::kernel::{NORMAL_APPROX_MIN_VARIANCE, approx_count};
use lighed_core::model::{DrawOptions, IndicatorColumn, IndicatorTable, ModelError, ModelSpec};
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal, Poisson};

const V0: &str = include_str!("../../../models/rm-health-inequality-v0.toml");

/// Deterministic synthetic table for a model: denominators 30–3,000, proportions 2–40 %, a few
/// missing cells (an LCG, so the test needs no RNG crate).
fn table(m: &ModelSpec, n: usize, seed: u64) -> IndicatorTable {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let area_codes: Vec<String> = (0..n).map(|i| format!("A{i:04}")).collect();
    let columns = m
        .indicators()
        .iter()
        .map(|ind| {
            let (mut num, mut den) = (Vec::new(), Vec::new());
            for _ in 0..n {
                let d = (30.0 + 2970.0 * next()).floor();
                let p = 0.02 + 0.38 * next();
                let missing = next() < 0.03;
                num.push((!missing).then_some((d * p).floor()));
                den.push(Some(d));
            }
            IndicatorColumn {
                indicator: ind.id.clone(),
                numerator: num,
                denominator: den,
            }
        })
        .collect();
    IndicatorTable {
        area_codes,
        columns,
    }
}

fn v0() -> ModelSpec {
    ModelSpec::from_toml("v0", V0).unwrap()
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn same_seed_same_output_on_one_and_two_threads() {
    let m = v0();
    let t = table(&m, 120, 3);
    let opts = DrawOptions {
        draws: 200,
        seed: 42,
        top_k: 12,
    };
    let one = in_pool(1, || m.score_with_uncertainty(&t, &opts).unwrap());
    let two = in_pool(2, || m.score_with_uncertainty(&t, &opts).unwrap());
    assert_eq!(one, two);
    // Byte-identical serialisations, as the CLI would print them.
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    let other = m
        .score_with_uncertainty(&t, &DrawOptions { seed: 43, ..opts })
        .unwrap();
    assert_ne!(
        one.uncertainty, other.uncertainty,
        "a different seed gives different draws"
    );
    assert_eq!(
        one.scores, other.scores,
        "the point scores do not depend on the seed"
    );
}

#[test]
fn summaries_are_consistent() {
    let m = v0();
    let t = table(&m, 150, 9);
    let k = 15;
    let out = m
        .score_with_uncertainty(
            &t,
            &DrawOptions {
                draws: 300,
                seed: 7,
                top_k: k,
            },
        )
        .unwrap();
    let scored = out.scores.rows.iter().filter(|r| r.rank.is_some()).count();
    assert!(scored > 100);
    // P(top k) sums to k: every draw has exactly k areas with rank ≤ k.
    let sum_k: f64 = out.uncertainty.iter().filter_map(|u| u.p_top_k).sum();
    assert!((sum_k - f64::from(k)).abs() < 1e-9, "{sum_k}");
    // P(top decile) sums to the number of decile-1 ranks.
    let t10 = out.top_decile_max_rank.unwrap();
    let sum_d: f64 = out.uncertainty.iter().filter_map(|u| u.p_top_decile).sum();
    assert!((sum_d - f64::from(t10)).abs() < 1e-9);
    let mut widened = 0;
    let mut last_group = 0;
    let mut by_rank: Vec<_> = out
        .scores
        .rows
        .iter()
        .zip(&out.uncertainty)
        .filter(|(r, _)| r.rank.is_some())
        .collect();
    by_rank.sort_by_key(|(r, _)| r.rank);
    for (r, u) in by_rank {
        let (lo, med, hi, rank) = (
            u.rank_p05.unwrap(),
            u.rank_median.unwrap(),
            u.rank_p95.unwrap(),
            r.rank.unwrap(),
        );
        // The interval contains the point rank (widened when the draws' 5–95 % range does not).
        assert!(
            lo <= rank && rank <= hi,
            "{}: {lo} {rank} {hi}",
            r.area_code
        );
        assert!(lo <= med && med <= hi);
        assert!(hi as usize <= scored);
        widened += usize::from(u.interval_widened);
        let p = u.p_top_k.unwrap();
        assert!((0.0..=1.0).contains(&p));
        // Tie groups are numbered in rank order without gaps.
        let g = u.tie_group.unwrap();
        assert!(g == last_group || g == last_group + 1);
        last_group = g;
    }
    assert!(
        widened * 10 < scored,
        "widening is the exception: {widened} of {scored}"
    );
    assert!(
        last_group > 1 && (last_group as usize) < scored,
        "{last_group} groups"
    );
    for (r, u) in out.scores.rows.iter().zip(&out.uncertainty) {
        assert_eq!(r.area_code, u.area_code);
        if r.rank.is_none() {
            assert_eq!((u.rank_median, u.p_top_k, u.tie_group), (None, None, None));
        }
    }
}

#[test]
fn precise_data_give_narrow_intervals() {
    // Huge denominators: sampling error is negligible, so every draw reproduces the point ranks.
    let m = ModelSpec::from_toml(
        "one",
        r#"
[model]
name = "one"
version = "1"
title = "One indicator"
description = "Test."
levels = ["parish"]
[scoring]
normalisation = "z_score"
combination = "weighted_sum"
[[indicators]]
id = "a"
label = "A"
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
weight = 1
domain = "d"
min_denominator = 1
"#,
    )
    .unwrap();
    let n = 20;
    let t = IndicatorTable {
        area_codes: (0..n).map(|i| format!("p{i:02}")).collect(),
        columns: vec![IndicatorColumn {
            indicator: "a".into(),
            numerator: (0..n)
                .map(|i| Some(1e8 * (0.1 + 0.01 * i as f64)))
                .collect(),
            denominator: vec![Some(1e9); n],
        }],
    };
    let out = m.score_with_draws(&t, 100, 1).unwrap();
    for (r, u) in out.scores.rows.iter().zip(&out.uncertainty) {
        assert_eq!(u.rank_p05, r.rank);
        assert_eq!(u.rank_p95, r.rank);
    }
    assert_eq!(
        out.uncertainty.iter().map(|u| u.tie_group.unwrap()).max(),
        Some(n as u32)
    );
}

#[test]
fn bad_arguments_are_rejected() {
    let m = v0();
    let t = table(&m, 10, 1);
    assert!(matches!(
        m.score_with_draws(&t, 0, 1),
        Err(ModelError::InvalidArgument { .. })
    ));
    assert!(matches!(
        m.score_with_uncertainty(
            &t,
            &DrawOptions {
                draws: 10,
                seed: 1,
                top_k: 0
            }
        ),
        Err(ModelError::InvalidArgument { .. })
    ));
}

/// CDF of the discretised Cornish–Fisher approximation at integer k:
/// P(round(μ + σ(z + γ(z² − 1)/6)) ≤ k) for k in [0, max), computed exactly from Φ.
fn approx_cdf(mu: f64, sigma: f64, gamma: f64, k: f64) -> f64 {
    let phi = |x: f64| Normal::standard().cdf(x);
    let t = (k + 0.5 - mu) / sigma;
    let a = gamma / 6.0;
    if a.abs() < 1e-14 {
        return phi(t);
    }
    // g(z) < t  ⇔  a z² + z − (a + t) < 0.
    let (b, c) = (1.0, -(a + t));
    let disc = b * b - 4.0 * a * c;
    if disc < 0.0 {
        return if a > 0.0 { 0.0 } else { 1.0 };
    }
    let q = -0.5 * (b + disc.sqrt());
    let (r1, r2) = {
        let (x, y) = (q / a, c / q);
        if x < y { (x, y) } else { (y, x) }
    };
    if a > 0.0 {
        phi(r2) - phi(r1)
    } else {
        phi(r1) + (1.0 - phi(r2))
    }
}

/// The documented bound (kernel::draws): Kolmogorov distance below 5e-4 at and above the
/// threshold variance. Computed exactly over a grid of binomial (n, p) and Poisson λ.
#[test]
fn normal_approximation_error_bound() {
    let bound = 5e-4;
    let mut worst: f64 = 0.0;
    let mut worst_plain: f64 = 0.0;
    let t = NORMAL_APPROX_MIN_VARIANCE;
    for var in [t, 2.0 * t, 10.0 * t, 100.0 * t] {
        for p in [0.002, 0.01, 0.05, 0.2, 0.5, 0.8, 0.99] {
            let n = (var / (p * (1.0 - p))).ceil();
            let b = Binomial::new(p, n as u64).unwrap();
            let (mu, sigma) = (n * p, (n * p * (1.0 - p)).sqrt());
            let gamma = (1.0 - 2.0 * p) / sigma;
            let lo = (mu - 12.0 * sigma).floor().max(0.0) as u64;
            let hi = ((mu + 12.0 * sigma).ceil() as u64).min(n as u64 - 1);
            for k in lo..=hi {
                let d = (approx_cdf(mu, sigma, gamma, k as f64) - b.cdf(k)).abs();
                worst = worst.max(d);
                worst_plain =
                    worst_plain.max((approx_cdf(mu, sigma, 0.0, k as f64) - b.cdf(k)).abs());
                assert!(d < bound, "binomial n={n} p={p} k={k}: {d}");
            }
        }
        let lambda = var;
        let po = Poisson::new(lambda).unwrap();
        let sigma = lambda.sqrt();
        for k in (lambda - 12.0 * sigma).max(0.0) as u64..=(lambda + 12.0 * sigma) as u64 {
            let d = (approx_cdf(lambda, sigma, 1.0 / sigma, k as f64) - po.cdf(k)).abs();
            worst = worst.max(d);
            assert!(d < bound, "poisson λ={lambda} k={k}: {d}");
        }
    }
    println!(
        "worst Kolmogorov distance: {worst:e} with the skewness correction, {worst_plain:e} without"
    );
    assert!(worst_plain > 10.0 * worst, "the correction matters");
    // The sampler really is the formula whose CDF is checked above.
    assert_eq!(
        approx_count(100.0, 10.0, 0.1, 1000.0, 0.0),
        (100.0f64 - 10.0 * 0.1 / 6.0).round()
    );
    assert_eq!(
        approx_count(5.0, 10.0, 0.0, 1000.0, -3.0),
        0.0,
        "clamped at 0"
    );
}
