//! Funnel-plot known answers: METHODS.md §4.3 T6 (proportions, 303 rows) and T7 (ratios, 300
//! rows), every row, 0 mismatches.
//!
//! Fixtures are the package's own test files, copied with provenance in
//! `tests/fixtures/stats/README.md`: PHEindicatormethods (UKHSA, GPL-3),
//! `tests/testthat/testdata_funnel_prop_inputs.csv`, `testdata_funnel_prop_outputs.csv`,
//! `testdata_funnel_ratio_inputs.csv`, `testdata_funnel_ratio_outputs.csv`.

use lighed_core::stats::funnel::{
    Significance, proportion_funnel, proportion_funnel_limits, ratio_funnel_expected,
    ratio_funnel_limits_at, ratio_significance,
};

fn fixture(name: &str) -> csv::Reader<std::fs::File> {
    let path = format!("{}/tests/fixtures/stats/{name}", env!("CARGO_MANIFEST_DIR"));
    csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn num(s: &str) -> f64 {
    s.trim().parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn prop_inputs() -> (Vec<String>, Vec<f64>, Vec<f64>, Vec<Significance>) {
    let (mut a, mut x, mut n, mut s) = (vec![], vec![], vec![], vec![]);
    for r in fixture("testdata_funnel_prop_inputs.csv").records() {
        let r = r.unwrap();
        a.push(r[0].to_string());
        x.push(num(&r[1]));
        n.push(num(&r[2]));
        s.push(Significance::parse(&r[3]).expect("label"));
    }
    (a, x, n, s)
}

/// T6: significance of all 303 PCTs, 0 mismatches.
#[test]
fn t6_proportion_significance_all_303_rows() {
    let (areas, x, n, want) = prop_inputs();
    assert_eq!(areas.len(), 303);
    let (baseline, points) = proportion_funnel(&x, &n, 100.0).unwrap();
    // Published baseline 80.642448 (6 dp in testdata_funnel_prop_outputs.csv).
    assert!((baseline - 80.642448).abs() < 5e-7, "{baseline}");
    let mismatches: Vec<_> = (0..x.len())
        .filter(|&i| points[i].significance != want[i])
        .map(|i| (&areas[i], points[i].significance, want[i]))
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    // Named cases from METHODS.md §4.3.
    assert_eq!(areas[0], "New Forest PCT");
    assert_eq!(points[0].significance, Significance::High001);
    assert_eq!(points[1].significance, Significance::Low001);
    assert_eq!(points[2].significance, Significance::NotSignificant);
}

/// T6: the 100 published funnel points (limits rounded to 6 dp by the package authors, so
/// compared to ±5e-7 absolute on the percentage scale).
#[test]
fn t6_proportion_funnel_limits_all_100_points() {
    let (_, x, n, _) = prop_inputs();
    let p_bar = x.iter().sum::<f64>() / n.iter().sum::<f64>();
    let mut rows = 0;
    for r in fixture("testdata_funnel_prop_outputs.csv").records() {
        let r = r.unwrap();
        let pop = num(&r[0]);
        let l = proportion_funnel_limits(pop, p_bar, 100.0);
        for (got, col) in [
            (l.lower_2s, 1),
            (l.upper_2s, 2),
            (l.lower_3s, 3),
            (l.upper_3s, 4),
        ] {
            let want = num(&r[col]);
            assert!(
                (got - want).abs() <= 5.000001e-7,
                "population {pop}, column {col}: got {got}, want {want}"
            );
        }
        assert!((p_bar * 100.0 - num(&r[5])).abs() <= 5e-7);
        rows += 1;
    }
    assert_eq!(rows, 100);
}

/// T7: significance of all 300 ratio rows, 0 mismatches.
#[test]
fn t7_ratio_significance_all_300_rows() {
    let mut rows = 0;
    let mut mismatches = vec![];
    for (i, r) in fixture("testdata_funnel_ratio_inputs.csv")
        .records()
        .enumerate()
    {
        let r = r.unwrap();
        let (o, e) = (num(&r[0]), num(&r[1]));
        let want = Significance::parse(&r[2]).expect("label");
        let got = ratio_significance(o, e).unwrap();
        if got != want {
            mismatches.push((i, o, e, got, want));
        }
        rows += 1;
    }
    assert_eq!(rows, 300);
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

/// T7: the 100 published ratio funnel points (expected events on each line).
///
/// The package bisects on `v = E/(1 + O + E)` until the step is ≤ 1e-7, so its `E` is off by
/// up to `(1 + O)/(1 − v)² · 1e-7`; lighed uses exact chi-square quantiles. The tolerance is
/// that bound (×1.2) plus the 10-significant-digit rounding of the file.
#[test]
fn t7_ratio_funnel_lines_all_100_points() {
    let mut rows = 0;
    for r in fixture("testdata_funnel_ratio_outputs_exp_events.csv").records() {
        let r = r.unwrap();
        let o = num(&r[0]);
        let lines = ratio_funnel_expected(o).unwrap();
        for (got, col) in [
            (lines.lower_2s, 1),
            (lines.upper_2s, 2),
            (lines.lower_3s, 3),
            (lines.upper_3s, 4),
        ] {
            let want = num(&r[col]);
            let v = want / (1.0 + o + want);
            let tol = 1.2e-7 * (1.0 + o) / ((1.0 - v) * (1.0 - v)) + 1e-9 * want;
            assert!(
                (got - want).abs() <= tol,
                "O = {o}, column {col}: got {got}, want {want}, tol {tol:e}"
            );
        }
        rows += 1;
    }
    assert_eq!(rows, 100);
}

/// Per-area ratio limits agree with the published lines: at the line point `E(O)` the ratio
/// limit is `O/E`, published in `testdata_funnel_ratio_outputs.csv` as `*_isr` (× 100), e.g.
/// O = 1: lower 2σ 17.94802207, upper 2σ 3949.774946; O = 716: lower 3σ 89.20960712 (the
/// published bisection is accurate to ~2e-7 relative at O = 1, see above; 1e-6 is used).
#[test]
fn t7_per_area_limits_on_published_points() {
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    let e1 = ratio_funnel_expected(1.0).unwrap();
    let l = ratio_funnel_limits_at(e1.lower_2s, 100.0).unwrap();
    assert!(rel(l.lower_2s, 17.94802207) < 1e-6, "{}", l.lower_2s);
    let l = ratio_funnel_limits_at(e1.upper_2s, 100.0).unwrap();
    assert!(rel(l.upper_2s, 3949.774946) < 1e-5, "{}", l.upper_2s);
    let e716 = ratio_funnel_expected(716.0).unwrap();
    let l = ratio_funnel_limits_at(e716.lower_3s, 100.0).unwrap();
    assert!(rel(l.lower_3s, 89.20960712) < 1e-6, "{}", l.lower_3s);
}
