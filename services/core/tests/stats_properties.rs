//! Property tests for `lighed_core::stats`: intervals hold their estimate, widen with the
//! confidence level, and Wilson limits stay in [0, 1]; quantiles never panic and are in range.

use lighed_core::stats::dsr::dsr;
use lighed_core::stats::esp2013::ESP2013;
use lighed_core::stats::isr::isratio;
use lighed_core::stats::quantile::assign_quantiles;
use lighed_core::stats::rate::crude_rate;
use lighed_core::stats::wilson::{proportion, wilson_limits};
use lighed_core::stats::{Confidence, Estimate};
use proptest::prelude::*;

fn conf_pair() -> impl Strategy<Value = (Confidence, Confidence)> {
    (0.9f64..0.9999, 0.9f64..0.9999).prop_map(|(a, b)| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        (Confidence::new(lo).unwrap(), Confidence::new(hi).unwrap())
    })
}

fn holds(e: &Estimate) {
    let v = e.value.expect("value");
    let u = e.upper.expect("upper");
    if let Some(l) = e.lower {
        assert!(l <= v * (1.0 + 1e-12) + 1e-300, "lower {l} > value {v}");
    }
    assert!(v <= u * (1.0 + 1e-12), "value {v} > upper {u}");
}

fn width_grows(narrow: &Estimate, wide: &Estimate) {
    let tol = 1e-9 * wide.upper.unwrap().abs().max(1e-300);
    assert!(wide.upper.unwrap() >= narrow.upper.unwrap() - tol);
    if let (Some(a), Some(b)) = (narrow.lower, wide.lower) {
        assert!(b <= a + tol, "lower {b} at the higher level > {a}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wilson_within_unit_interval_and_holds_estimate(
        n in 1u32..100_000, frac in 0.0f64..=1.0, (c1, c2) in conf_pair()
    ) {
        let n = n as f64;
        let x = (frac * n).floor();
        let (l, u) = wilson_limits(x, n, c1).unwrap();
        prop_assert!((0.0..=1.0).contains(&l) && (0.0..=1.0 + 1e-15).contains(&u));
        let a = proportion(x, n, c1, 100.0).unwrap();
        let b = proportion(x, n, c2, 100.0).unwrap();
        holds(&a);
        holds(&b);
        width_grows(&a, &b);
    }

    #[test]
    fn crude_rates_hold_and_widen(x in 0u32..5000, n in 1u32..1_000_000, (c1, c2) in conf_pair()) {
        let a = crude_rate(x as f64, n as f64, c1, 1e5).unwrap();
        let b = crude_rate(x as f64, n as f64, c2, 1e5).unwrap();
        holds(&a);
        holds(&b);
        width_grows(&a, &b);
    }

    #[test]
    fn isratios_hold_and_widen(o in 0u32..3000, e in 0.5f64..3000.0, (c1, c2) in conf_pair()) {
        let a = isratio(o as f64, e, c1, 1.0).unwrap();
        let b = isratio(o as f64, e, c2, 1.0).unwrap();
        holds(&a);
        holds(&b);
        width_grows(&a, &b);
    }

    #[test]
    fn dsrs_hold_and_widen(
        counts in proptest::collection::vec(0u32..200, 19),
        pops in proptest::collection::vec(1u32..20_000, 19),
        (c1, c2) in conf_pair()
    ) {
        let x: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let n: Vec<f64> = pops.iter().map(|&p| p as f64).collect();
        let a = dsr(&x, &n, &ESP2013, c1, 1e5).unwrap();
        let b = dsr(&x, &n, &ESP2013, c2, 1e5).unwrap();
        if a.value.is_some() {
            holds(&a);
            holds(&b);
            width_grows(&a, &b);
        } else {
            prop_assert!(x.iter().sum::<f64>() < 10.0);
        }
    }

    #[test]
    fn quantiles_are_in_range_and_monotone(
        values in proptest::collection::vec(proptest::option::of(-1e6f64..1e6), 0..60),
        groups in 1usize..12, invert: bool
    ) {
        let q = assign_quantiles(&values, groups, invert).unwrap();
        let present = values.iter().flatten().count();
        for (v, q) in values.iter().zip(&q) {
            match (v, q) {
                (None, q) => prop_assert!(q.is_none()),
                (Some(_), None) => prop_assert!(present < groups),
                (Some(_), Some(q)) => prop_assert!((1..=groups as u32).contains(q)),
            }
        }
        // Higher values never get a later quantile when inverted (earlier when not).
        for i in 0..values.len() {
            for j in 0..values.len() {
                if let (Some(a), Some(b), Some(qa), Some(qb)) = (values[i], values[j], q[i], q[j])
                    && a > b
                {
                    if invert { prop_assert!(qa <= qb) } else { prop_assert!(qa >= qb) }
                }
            }
        }
    }
}
