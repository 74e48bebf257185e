//! Normalisations and ranks (issue 7, item 2): known answers with their sources, and the
//! property tests the issue lists.

use lighed_core::transform::{
    RankNormalForm, average_ranks, eb_shrinkage, exp_transform, exp_transform_r, invert, min_max,
    min_ranks, percent_rank, rank_normal, round_half_away, z_score,
};
use proptest::prelude::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn exp_transform_known_values() {
    // METHODS.md §1.5 [derived] values of X(R) = −23·ln(1 − R·(1 − e^(−100/23))).
    for (r, x) in [
        (0.1, 2.390259732416166),
        (0.5, 15.646790072602894),
        (0.9, 50.426654274244),
        (0.95, 63.84763150532754),
        (0.99, 86.95727869128679),
    ] {
        let got = exp_transform_r(r, 23.0);
        assert!(close(got, x, 1e-13), "X({r}) = {got}, expected {x}");
    }
    assert!(close(exp_transform_r(1.0, 23.0), 100.0, 1e-14));
    // N = 32,844 LSOAs: IoD rank 3,285 (1 = most deprived) → R = (N − rank + 1)/N.
    let r = (32_844.0 - 3_285.0 + 1.0) / 32_844.0;
    assert!(close(r, 0.9000121787845573, 1e-15));
    assert!(close(exp_transform_r(r, 23.0), 50.42913098702384, 1e-13));
    // About 10 % of areas score above 50 (X > 50 ⇔ R > 0.897882…).
    let n = 32_844usize;
    let above = (1..=n)
        .filter(|&k| exp_transform_r(k as f64 / n as f64, 23.0) > 50.0)
        .count();
    assert!((above as f64 / n as f64 - 0.1021).abs() < 0.001, "{above}");
    // exp_transform ranks scores: highest score → R = 1 → X = 100.
    let xs = exp_transform(&[Some(3.0), Some(1.0), None, Some(2.0)], 23.0);
    assert!(close(xs[0].unwrap(), 100.0, 1e-14));
    assert!(close(
        xs[1].unwrap(),
        exp_transform_r(1.0 / 3.0, 23.0),
        1e-15
    ));
    assert_eq!(xs[2], None);
}

#[test]
fn rank_normal_known_values() {
    // METHODS.md §1.3 [derived], N = 10, printed to 6 decimals.
    let v: Vec<Option<f64>> = (1..=10).map(|i| Some(f64::from(i) * 1.5)).collect();
    let iod = rank_normal(&v, RankNormalForm::Iod);
    let want_iod = [
        -1.644854, -1.036433, -0.674490, -0.385320, -0.125661, 0.125661, 0.385320, 0.674490,
        1.036433, 1.644854,
    ];
    for (g, w) in iod.iter().zip(want_iod) {
        assert!((g.unwrap() - w).abs() < 5e-7, "{g:?} vs {w}");
    }
    let simd = rank_normal(&v, RankNormalForm::Simd);
    let want_simd = [-1.335178, -0.908458, -0.604585, -0.348756, -0.114185];
    for (g, w) in simd.iter().zip(want_simd) {
        assert!((g.unwrap() - w).abs() < 5e-7, "{g:?} vs {w}");
    }
    // Symmetric, and ties take the average rank: two equal values at ranks 1–2 share rank 1.5.
    assert!((simd[9].unwrap() + simd[0].unwrap()).abs() < 1e-15);
    let tied = rank_normal(&[Some(1.0), Some(1.0), Some(5.0)], RankNormalForm::Iod);
    assert_eq!(tied[0], tied[1]);
    let want = lighed_core::transform::normal_quantile((1.5 - 0.5) / 3.0);
    assert!((tied[0].unwrap() - want).abs() < 1e-15);
}

#[test]
fn percent_rank_follows_cdc() {
    // Min-rank ties, (rank − 1)/(N − 1), missing values excluded from N.
    let pr = percent_rank(
        &[Some(2.0), Some(1.0), Some(2.0), None, Some(3.0)],
        None,
        None,
    );
    assert_eq!(
        pr,
        vec![Some(1.0 / 3.0), Some(0.0), Some(1.0 / 3.0), None, Some(1.0)]
    );
    // Rounding to 4 decimals half away from zero: with N = 33, rank 22 → 21/32 = 0.65625 → 0.6563
    // (METHODS.md §2: ties-to-even would give 0.6562 and break tract-level reproductions).
    let v: Vec<Option<f64>> = (0..33).map(|i| Some(f64::from(i))).collect();
    let pr = percent_rank(&v, None, Some(4));
    assert_eq!(pr[21], Some(0.6563));
    // Input rounding to 1 decimal makes 13.84 and 13.8 tie (CDC rounds EP_ to 1 dp first).
    let pr = percent_rank(&[Some(13.84), Some(13.8), Some(20.0)], Some(1), Some(4));
    assert_eq!(pr, vec![Some(0.0), Some(0.0), Some(1.0)]);
    // N = 1: undefined.
    assert_eq!(
        percent_rank(&[Some(5.0), None], None, None),
        vec![None, None]
    );
}

#[test]
fn round_half_away_like_excel() {
    // Excel ROUND: 2.675 → 2.68 and 1.005 → 1.01 although both are stored just below the half.
    assert_eq!(round_half_away(2.675, 2), 2.68);
    assert_eq!(round_half_away(1.005, 2), 1.01);
    assert_eq!(round_half_away(0.65625, 4), 0.6563);
    assert_eq!(round_half_away(-2.5, 0), -3.0);
    assert_eq!(round_half_away(2.5, 0), 3.0);
    assert_eq!(round_half_away(5.0 / 66.0, 4), 0.0758);
    assert_eq!(round_half_away(0.123_449_999, 4), 0.1234);
}

#[test]
fn simple_normalisations() {
    let v = [Some(1.0), Some(3.0), None, Some(5.0)];
    assert_eq!(min_max(&v), vec![Some(0.0), Some(0.5), None, Some(1.0)]);
    assert_eq!(invert(&[Some(0.25), None]), vec![Some(0.75), None]);
    let z = z_score(&v);
    assert_eq!(z[1], Some(0.0));
    assert!((z[3].unwrap() - 1.0).abs() < 1e-15, "sd of 1,3,5 is 2");
    assert_eq!(z_score(&[Some(2.0), Some(2.0)]), vec![Some(0.0), Some(0.0)]);
    assert_eq!(
        average_ranks(&[Some(1.0), Some(1.0), Some(0.0)]),
        vec![Some(2.5), Some(2.5), Some(1.0)]
    );
    assert_eq!(
        min_ranks(&[Some(1.0), Some(1.0), Some(0.0), None], true),
        vec![Some(1), Some(1), Some(3), None]
    );
    // -0.0 and 0.0 are the same value.
    assert_eq!(
        min_ranks(&[Some(-0.0), Some(0.0)], false),
        vec![Some(1), Some(1)]
    );
}

#[test]
fn shrinkage_known_answer() {
    // Derived (no published vector exists): computed independently with Python 3's math module
    // from the formulas in METHODS.md §1.2 for one parent with areas (r, n) = (2, 10), (30, 100),
    // (1, 5): z̄ = ln(33.5/82.5) = −0.9012528545096146, t² = 0.04899563797601842,
    // weights 0.08646654806062173, 0.5105471529089088, 0.052240586738111036,
    // shrunken proportions 0.2830991679520418, 0.29548301151746864, 0.2866801000613009.
    let s = eb_shrinkage(&[2.0, 30.0, 1.0], &[10.0, 100.0, 5.0], &[0, 0, 0]).unwrap();
    let want = [
        (0.08646654806062173, 0.2830991679520418),
        (0.5105471529089088, 0.29548301151746864),
        (0.052240586738111036, 0.2866801000613009),
    ];
    for (x, (w, p)) in s.iter().zip(want) {
        assert!(close(x.parent_logit, -0.9012528545096146, 1e-14));
        assert!(close(x.weight, w, 1e-12), "{} vs {w}", x.weight);
        assert!(close(x.shrunk, p, 1e-13), "{} vs {p}", x.shrunk);
    }
    assert_eq!(s[1].raw, 0.3);
    // A second parent group is shrunk separately.
    let two = eb_shrinkage(
        &[2.0, 30.0, 1.0, 7.0],
        &[10.0, 100.0, 5.0, 20.0],
        &[0, 0, 0, 1],
    )
    .unwrap();
    assert_eq!(&two[..3], &s[..]);
    assert_eq!(two[3].weight, 0.0, "one area is its own parent: t² = 0");
    assert!(eb_shrinkage(&[5.0], &[4.0], &[0]).is_err());
    assert!(eb_shrinkage(&[1.0], &[4.0, 5.0], &[0]).is_err());
}

/// A strictly increasing rescaling.
fn rescale(x: f64, a: f64, b: f64) -> f64 {
    a * x + b * x.powi(3) + 7.0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Percentile ranks, rank-normal scores and exponential-transform scores depend only on order:
    /// any strictly increasing rescaling of an indicator leaves them unchanged.
    #[test]
    fn rank_transforms_invariant_under_monotone_rescaling(
        values in proptest::collection::vec(proptest::option::weighted(0.9, -100i32..100), 2..60),
        a in 0.001f64..1000.0,
        b in 0.0f64..10.0,
    ) {
        let v: Vec<Option<f64>> = values.iter().map(|x| x.map(f64::from)).collect();
        let w: Vec<Option<f64>> = v.iter().map(|x| x.map(|x| rescale(x, a, b))).collect();
        prop_assert_eq!(percent_rank(&v, None, Some(4)), percent_rank(&w, None, Some(4)));
        prop_assert_eq!(rank_normal(&v, RankNormalForm::Iod), rank_normal(&w, RankNormalForm::Iod));
        prop_assert_eq!(rank_normal(&v, RankNormalForm::Simd), rank_normal(&w, RankNormalForm::Simd));
        prop_assert_eq!(exp_transform(&v, 23.0), exp_transform(&w, 23.0));
        prop_assert_eq!(min_ranks(&v, true), min_ranks(&w, true));
    }

    /// Percentile ranks lie in [0, 1] and min ranks are competition ranks: N − (#ties − 1) …
    #[test]
    fn percent_ranks_in_unit_interval(values in proptest::collection::vec(-1e6f64..1e6, 2..80)) {
        let v: Vec<Option<f64>> = values.iter().copied().map(Some).collect();
        let pr = percent_rank(&v, Some(1), Some(4));
        for p in pr.iter().flatten() {
            prop_assert!((0.0..=1.0).contains(p));
        }
        prop_assert!(pr.iter().flatten().any(|&p| p == 0.0));
        let ranks = min_ranks(&v, false);
        for (i, r) in ranks.iter().enumerate() {
            let smaller = v.iter().filter(|x| x.unwrap() < v[i].unwrap()).count() as u32;
            prop_assert_eq!(r.unwrap(), smaller + 1);
        }
    }

    /// Shrinkage: the weight tends to 1 as the area's population grows (proportion fixed), and the
    /// shrunken logit lies between the area's logit and the parent's.
    #[test]
    fn shrinkage_weight_and_betweenness(
        areas in proptest::collection::vec((1u32..2000, 0.01f64..0.99), 2..20),
        grow in 1.0f64..1000.0,
    ) {
        let events: Vec<f64> = areas.iter().map(|(n, p)| (f64::from(*n) * p).floor()).collect();
        let pops: Vec<f64> = areas.iter().map(|(n, _)| f64::from(*n)).collect();
        let parents = vec![0usize; areas.len()];
        let s = eb_shrinkage(&events, &pops, &parents).unwrap();
        for x in &s {
            prop_assert!((0.0..=1.0).contains(&x.weight));
            let zs = (x.shrunk / (1.0 - x.shrunk)).ln();
            let (lo, hi) = if x.logit < x.parent_logit { (x.logit, x.parent_logit) } else { (x.parent_logit, x.logit) };
            prop_assert!(zs >= lo - 1e-9 && zs <= hi + 1e-9, "{} not in [{}, {}]", zs, lo, hi);
        }
        // Grow area 0 at the same proportion: once its own precision dominates, 1 − w falls like
        // 1/n (s² ∝ 1/n while t² settles), i.e. w → 1.
        let grown = |n0: f64| {
            let mut e = events.clone();
            let mut p = pops.clone();
            e[0] = (areas[0].1 * n0).round();
            p[0] = n0;
            eb_shrinkage(&e, &p, &parents).unwrap()[0].weight
        };
        let (w9, w12) = (grown(1e9 * grow), grown(1e12 * grow));
        if w9 > 0.5 {
            prop_assert!(1.0 - w12 <= (1.0 - w9) / 100.0 + 1e-12, "w9 = {}, w12 = {}", w9, w12);
        }
    }
}
