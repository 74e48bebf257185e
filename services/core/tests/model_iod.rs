//! `models/iod-2019-combination.toml`: domain ranks → exponential transform → IMD weights.
//!
//! Expected values: the transform values of METHODS.md §1.5 ([derived] there from the formula of
//! SID 2003 Appendix 5; X(0.9) = 50.426654274244 …) and the published IMD 2019 weights
//! (METHODS.md §1.6: 22.5, 22.5, 13.5, 13.5, 9.3, 9.3, 9.3 %).

use lighed_core::model::{IndicatorColumn, IndicatorTable, ModelSpec};

const IOD: &str = include_str!("../../../models/iod-2019-combination.toml");
const DOMAINS: [&str; 7] = [
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
];

fn iod() -> ModelSpec {
    ModelSpec::from_toml("models/iod-2019-combination.toml", IOD).unwrap()
}

/// Every area has the same rank in all seven domains; N areas; rank i for area i.
fn uniform_table(n: usize) -> IndicatorTable {
    IndicatorTable {
        area_codes: (1..=n).map(|i| format!("L{i:05}")).collect(),
        columns: DOMAINS
            .iter()
            .map(|d| IndicatorColumn {
                indicator: format!("{d}_rank"),
                numerator: (1..=n).map(|i| Some(i as f64)).collect(),
                denominator: vec![],
            })
            .collect(),
    }
}

#[test]
fn weights_and_transform_values() {
    let m = iod();
    let w: Vec<f64> = m.indicators().iter().map(|i| i.weight).collect();
    assert_eq!(w, [22.5, 22.5, 13.5, 13.5, 9.3, 9.3, 9.3]);
    // The published weights sum to 99.9 %, not 100 % (METHODS.md §1.6 says "sum 100%"; the
    // arithmetic says otherwise), so an area with X = 100 in every domain scores 99.9.
    assert!((w.iter().sum::<f64>() - 99.9).abs() < 1e-12);
    // N = 10 areas, equal ranks in all domains: IMD = 0.999·X(R) with R = (N − rank + 1)/N.
    let ev = m.evaluate(&uniform_table(10)).unwrap();
    let imd = &ev
        .columns
        .iter()
        .find(|c| c.name == "IMD_score")
        .unwrap()
        .values;
    // Rank 1 → R = 1 → X = 100 (to rounding); rank 2 → R = 0.9 → 50.426654274244 (§1.5);
    // rank 6 → R = 0.5 → 15.646790072602894; rank 10 → R = 0.1 → 2.390259732416166.
    for (i, want) in [
        (0, 100.0),
        (1, 50.426654274244),
        (5, 15.646790072602894),
        (9, 2.390259732416166),
    ] {
        let got = imd[i].unwrap() / 0.999;
        assert!(
            (got - want).abs() < 1e-12 * want,
            "rank {}: {got} vs {want}",
            i + 1
        );
    }
    // The most deprived area ranks 1 and is in decile 1.
    let r0 = &ev.scores.rows[0];
    assert_eq!((r0.rank, r0.decile), (Some(1), Some(1)));
    assert_eq!(ev.scores.rows[9].decile, Some(10));
}

#[test]
fn a_subset_uses_the_declared_n() {
    // Scoring 3 LSOAs out of the 32,844 of IoD 2019 needs n = 32844; rank 3,285 → R =
    // 0.9000121787845573 → X = 50.42913098702384 (METHODS.md §1.5).
    let text = IOD.replace("from_rank = true", "from_rank = true\nn = 32844");
    let m = ModelSpec::from_toml("iod", &text).unwrap();
    let t = IndicatorTable {
        area_codes: vec!["E1".into(), "E2".into(), "E3".into()],
        columns: DOMAINS
            .iter()
            .map(|d| IndicatorColumn {
                indicator: format!("{d}_rank"),
                numerator: vec![Some(3285.0), Some(1.0), Some(40000.0)],
                denominator: vec![],
            })
            .collect(),
    };
    let ev = m.evaluate(&t).unwrap();
    let imd = &ev
        .columns
        .iter()
        .find(|c| c.name == "IMD_score")
        .unwrap()
        .values;
    assert!((imd[0].unwrap() / 0.999 - 50.42913098702384).abs() < 1e-11);
    assert!((imd[1].unwrap() / 0.999 - 100.0).abs() < 1e-11);
    assert_eq!(imd[2], None, "a rank above N is not a rank");
    assert!(ev.scores.rows[2].note.is_some());
}

#[test]
fn explanations_are_the_weighted_domain_scores() {
    let m = iod();
    let mut t = uniform_table(50);
    // Make income the worst domain for area 30.
    t.columns[0].numerator[29] = Some(1.0);
    t.columns[0].numerator[0] = Some(30.0);
    let ev = m.evaluate(&t).unwrap();
    let row = &ev.scores.rows[29];
    let s = row.score.unwrap();
    let sum: f64 = row.contributions.iter().map(|c| c.contribution).sum();
    assert!((sum - s).abs() < 1e-12);
    assert_eq!(
        row.contributions[0].indicator, "income_rank",
        "largest share first"
    );
    let income_exp = ev
        .columns
        .iter()
        .find(|c| c.name == "income_exp")
        .unwrap()
        .values[29]
        .unwrap();
    assert!((row.contributions[0].contribution - 0.225 * income_exp).abs() < 1e-12);
}
