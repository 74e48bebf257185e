//! The first model, `models/rm-health-inequality-v0.toml`, and the `lighed_core::model` API
//! contract: loading, validation errors with key and line, the additive z-score method, missing
//! values, ranks, deciles and re-ranking.

use lighed_core::geo::Level;
use lighed_core::model::{
    AreaScore, Direction, IndicatorColumn, IndicatorKind, IndicatorTable, ModelError, ModelSpec,
    rerank,
};
use proptest::prelude::*;

const V0: &str = include_str!("../../../models/rm-health-inequality-v0.toml");

fn v0() -> ModelSpec {
    ModelSpec::from_toml("models/rm-health-inequality-v0.toml", V0).expect("v0 loads")
}

/// A two-indicator model used for hand-checked numbers.
const TWO: &str = r#"
[model]
name = "two"
version = "1.0.0"
title = "Two indicators"
description = "Test model."
levels = ["parish"]
min_weight_share = 0.5

[[indicators]]
id = "a"
label = "Indicator A"
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
weight = 3
domain = "social"
min_denominator = 10

[[indicators]]
id = "b"
label = "Indicator B"
unit = "per 1,000"
kind = "rate"
per = 1000
direction = "higher_is_better"
weight = 1
domain = "health"
min_denominator = 10
"#;

fn col(id: &str, num: &[Option<f64>], den: &[Option<f64>]) -> IndicatorColumn {
    IndicatorColumn {
        indicator: id.to_owned(),
        numerator: num.to_vec(),
        denominator: den.to_vec(),
    }
}

fn codes(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_owned()).collect()
}

fn row<'a>(rows: &'a [AreaScore], code: &str) -> &'a AreaScore {
    rows.iter()
        .find(|r| r.area_code == code)
        .expect("area present")
}

#[test]
fn v0_loads_with_its_declared_contract() {
    let m = v0();
    assert_eq!(m.name(), "rm-health-inequality-v0");
    assert_eq!(m.version(), "0.1.0");
    assert!(!m.title().contains('\n'));
    assert!(m.description().contains("Missing data"));
    assert_eq!(
        m.levels(),
        &[Level::Municipality, Level::Parish, Level::HousingArea]
    );
    let ids: Vec<&str> = m.indicators().iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "outside_labour_edu_18_64",
            "basic_education_30_59",
            "low_income",
            "non_western_origin",
            "single_adult_households",
            "living_alone_65plus",
            "copd_prevalence",
            "type2_diabetes_prevalence",
            "preventable_admissions_65plus",
            "prehospital_nonacute_contacts",
            "low_self_rated_health",
            "low_health_literacy",
            "loneliness",
            "daily_smoking",
        ]
    );
    for i in m.indicators() {
        assert_eq!(i.direction, Direction::HigherIsWorse, "{}", i.id);
        match i.kind {
            IndicatorKind::Rate { per } => {
                assert_eq!(per, 1000.0);
                assert_eq!(i.unit, "per 1,000");
            }
            IndicatorKind::Proportion => assert_eq!(i.unit, "%"),
            other => panic!("unexpected kind {other:?} for {}", i.id),
        }
        assert!(i.weight > 0.0 && i.min_denominator > 0.0);
    }
    // Domain shares as documented in the file: 11/35, 12/35, 12/35.
    let share = |d: &str| {
        m.indicators()
            .iter()
            .filter(|i| i.domain == d)
            .map(|i| i.weight)
            .sum::<f64>()
    };
    assert_eq!(
        (share("social"), share("health"), share("survey")),
        (11.0, 12.0, 12.0)
    );
}

/// Expected numbers for the two-indicator model, derived by hand from the method in
/// `model/mod.rs` and re-computed independently with Python 3's `statistics` module
/// (`statistics.stdev`, divisor N − 1):
/// A = 10, 20, 30, 40 % → mean 25, sd 12.909944487358056, z = −1.161895003862225,
/// −0.3872983346207417, 0.3872983346207417, 1.161895003862225;
/// B = 5, 5, 10, 20 per 1,000, higher is better → mean 10, sd 7.0710678118654755,
/// signed z = 0.7071067811865475, 0.7071067811865475, 0, −1.414213562373095;
/// weights 3/4 and 1/4; scores = −0.694644557600032, −0.11369705566891941,
/// 0.2904737509655563, 0.5178678623033951.
#[test]
fn two_indicator_known_answer() {
    let m = ModelSpec::from_toml("two", TWO).unwrap();
    let t = IndicatorTable {
        area_codes: codes(&["p1", "p2", "p3", "p4"]),
        columns: vec![
            col(
                "b",
                &[Some(1.0), Some(2.0), Some(3.0), Some(4.0)],
                &[Some(200.0), Some(400.0), Some(300.0), Some(200.0)],
            ),
            col(
                "a",
                &[Some(10.0), Some(20.0), Some(30.0), Some(40.0)],
                &[Some(100.0); 4],
            ),
        ],
    };
    let out = m.score(&t).unwrap();
    let expected = [
        -0.694644557600032,
        -0.11369705566891941,
        0.2904737509655563,
        0.5178678623033951,
    ];
    for (r, e) in out.rows.iter().zip(expected) {
        let s = r.score.unwrap();
        assert!((s - e).abs() < 1e-12, "{} {s} vs {e}", r.area_code);
    }
    let ranks: Vec<u32> = out.rows.iter().map(|r| r.rank.unwrap()).collect();
    assert_eq!(ranks, [4, 3, 2, 1]);
    assert!(
        out.rows.iter().all(|r| r.decile.is_none()),
        "N = 4 < 10: no deciles"
    );
    let p4 = row(&out.rows, "p4");
    // Sorted by |contribution|: A (0.75·1.1619 = 0.8714) before B (0.25·1.4142 = 0.3536).
    assert_eq!(p4.contributions[0].indicator, "a");
    assert_eq!(p4.contributions[0].value, Some(40.0));
    assert_eq!(p4.contributions[0].reference, Some(25.0));
    assert_eq!(
        p4.contributions[0].reason,
        "Indicator A 40.0 % vs 25.0 % in the region (1.6×)"
    );
    // B's pooled reference is Σnum/Σden = 10/1100 per 1,000 = 9.0909…, not the mean of rates.
    let b = &p4.contributions[1];
    assert!((b.reference.unwrap() - 1000.0 * 10.0 / 1100.0).abs() < 1e-12);
    assert_eq!(
        b.reason,
        "Indicator B 20.0 per 1,000 vs 9.1 per 1,000 in the region (2.2×)"
    );
    assert!(p4.note.is_none());
}

#[test]
fn missing_values_count_as_average_and_are_explained() {
    let m = ModelSpec::from_toml("two", TWO).unwrap();
    let t = IndicatorTable {
        area_codes: codes(&["p1", "p2", "p3", "p4", "p5"]),
        columns: vec![
            col(
                "a",
                &[Some(10.0), Some(20.0), Some(30.0), Some(40.0), None],
                &[Some(100.0); 5],
            ),
            // p1 is below the minimum denominator (9 < 10); p5 is missing.
            col(
                "b",
                &[Some(1.0), Some(2.0), Some(3.0), Some(4.0), None],
                &[
                    Some(9.0),
                    Some(400.0),
                    Some(300.0),
                    Some(200.0),
                    Some(100.0),
                ],
            ),
        ],
    };
    let out = m.score(&t).unwrap();
    let p1 = row(&out.rows, "p1");
    // Only A counts: weight share 0.75 ≥ 0.5, so p1 is scored; B contributes exactly 0.
    let b = p1
        .contributions
        .iter()
        .find(|c| c.indicator == "b")
        .unwrap();
    assert_eq!(b.contribution, 0.0);
    assert_eq!(b.value, None);
    assert!(
        b.reason
            .contains("based on 9 persons, fewer than the minimum 10"),
        "{}",
        b.reason
    );
    assert!(
        p1.note
            .as_deref()
            .unwrap()
            .contains("scored without Indicator B"),
        "{:?}",
        p1.note
    );
    assert!(p1.score.is_some() && p1.rank.is_some());
    // p5 has nothing: not scored, no rank, note says why.
    let p5 = row(&out.rows, "p5");
    assert_eq!((p5.score, p5.rank, p5.decile), (None, None, None));
    assert!(
        p5.note.as_deref().unwrap().starts_with("not scored"),
        "{:?}",
        p5.note
    );
    assert!(p5.contributions.iter().all(|c| c.contribution == 0.0));
    let ranks: Vec<Option<u32>> = out.rows.iter().map(|r| r.rank).collect();
    let mut scored: Vec<u32> = ranks.iter().flatten().copied().collect();
    scored.sort_unstable();
    assert_eq!(scored, [1, 2, 3, 4]);
}

#[test]
fn equal_scores_rank_by_area_code_and_share_a_decile() {
    let m = ModelSpec::from_toml("two", TWO).unwrap();
    // 12 areas; "k" and "b" have identical values, so identical scores.
    let names = ["x", "k", "c", "d", "e", "f", "g", "h", "i", "j", "b", "l"];
    let a: Vec<Option<f64>> = [
        50.0, 60.0, 10.0, 20.0, 30.0, 35.0, 40.0, 45.0, 55.0, 65.0, 60.0, 70.0,
    ]
    .map(Some)
    .to_vec();
    let t = IndicatorTable {
        area_codes: codes(&names),
        columns: vec![
            col("a", &a, &[Some(100.0); 12]),
            col("b", &[Some(5.0); 12], &[Some(1000.0); 12]),
        ],
    };
    let out = m.score(&t).unwrap();
    let (b, k) = (row(&out.rows, "b"), row(&out.rows, "k"));
    assert_eq!(b.score, k.score);
    assert_eq!(
        b.rank.unwrap() + 1,
        k.rank.unwrap(),
        "tie broken by code: b before k"
    );
    assert_eq!(b.decile, k.decile);
    // B has no spread: it contributes 0 everywhere and the note says so.
    assert!(
        b.contributions
            .iter()
            .any(|c| c.indicator == "b" && c.contribution == 0.0)
    );
    assert!(
        b.note.as_deref().unwrap().contains("do not vary"),
        "{:?}",
        b.note
    );
    // Deciles by the PHE rule for N = 12 with min-rank ties: highest (l) in decile 1.
    assert_eq!(row(&out.rows, "l").decile, Some(1));
    assert_eq!(row(&out.rows, "c").decile, Some(10));
}

#[test]
fn deciles_follow_phe_on_published_vector() {
    // PHEindicatormethods tests/testthat/testdata_Quantiles.xlsx, group 11111Female/IndSexReg
    // (METHODS.md §4.3 T8): 13 values, deciles, invert = TRUE.
    let values = [
        182.71, 175.99, 169.27, 169.27, 155.83, 149.11, 142.39, 135.67, 128.95, 121.4, 108.9,
        108.9, 101.6,
    ];
    let q = lighed_core::transform::phe_quantiles(&values.map(Some), 10, true);
    let q: Vec<u32> = q.into_iter().map(|x| x.unwrap()).collect();
    assert_eq!(q, [1, 1, 2, 2, 4, 4, 5, 6, 7, 7, 8, 8, 10]);
}

#[test]
fn rerank_numbers_a_subset_and_keeps_deciles() {
    let m = v0();
    let t = synthetic_v0_table(30, 7);
    let mut rows = m.score(&t).unwrap().rows;
    let deciles: Vec<Option<u8>> = rows.iter().map(|r| r.decile).collect();
    let mut subset: Vec<AreaScore> = rows.drain(..).step_by(3).collect();
    subset[2].score = None; // an unscored area in the subset
    rerank(&mut subset);
    assert_eq!(subset[2].rank, None);
    let mut ranks: Vec<u32> = subset.iter().filter_map(|r| r.rank).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=9).collect::<Vec<u32>>());
    let by_rank = |r: u32| {
        subset
            .iter()
            .find(|x| x.rank == Some(r))
            .unwrap()
            .score
            .unwrap()
    };
    for r in 1..9 {
        assert!(by_rank(r) >= by_rank(r + 1));
    }
    for (i, s) in subset.iter().enumerate() {
        assert_eq!(s.decile, deciles[i * 3]);
    }
}

/// Deterministic synthetic table for v0 (an LCG, so no RNG dependency in the test).
fn synthetic_v0_table(n: usize, seed: u64) -> IndicatorTable {
    let m = v0();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let area_codes: Vec<String> = (0..n).map(|i| format!("{:04}", 7000 + i)).collect();
    let columns = m
        .indicators()
        .iter()
        .map(|ind| {
            let mut num = Vec::with_capacity(n);
            let mut den = Vec::with_capacity(n);
            for _ in 0..n {
                let d = (50.0 + 2000.0 * next()).floor();
                num.push(Some((d * 0.4 * next()).floor()));
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

#[test]
fn v0_scores_are_deterministic_and_additive() {
    let m = v0();
    let t = synthetic_v0_table(200, 42);
    let a = m.score(&t).unwrap();
    let b = m.score(&t).unwrap();
    assert_eq!(a, b);
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.score.map(f64::to_bits), y.score.map(f64::to_bits));
    }
    for r in &a.rows {
        let sum: f64 = r.contributions.iter().map(|c| c.contribution).sum();
        assert!((sum - r.score.unwrap()).abs() <= 1e-12);
        assert_eq!(r.contributions.len(), 14);
        for w in r.contributions.windows(2) {
            assert!(w[0].contribution.abs() >= w[1].contribution.abs());
        }
    }
    // With N = 200 every decile has 20 areas.
    for d in 1..=10u8 {
        assert_eq!(
            a.rows.iter().filter(|r| r.decile == Some(d)).count(),
            20,
            "decile {d}"
        );
    }
}

#[test]
fn rescaling_an_indicator_does_not_change_scores() {
    // Standardise before weighting (METHODS.md §3, §7.3): expressing a rate per 100,000 instead of
    // per 1,000 changes no score.
    let per_100k = TWO
        .replace("per = 1000", "per = 100000")
        .replace("per 1,000", "per 100,000");
    let m1 = ModelSpec::from_toml("two", TWO).unwrap();
    let m2 = ModelSpec::from_toml("two", &per_100k).unwrap();
    let t = IndicatorTable {
        area_codes: codes(&["p1", "p2", "p3", "p4", "p5"]),
        columns: vec![
            col(
                "a",
                &[Some(10.0), Some(22.0), Some(31.0), Some(40.0), Some(3.0)],
                &[Some(100.0); 5],
            ),
            col(
                "b",
                &[Some(1.0), Some(2.0), Some(7.0), Some(4.0), Some(0.0)],
                &[
                    Some(200.0),
                    Some(400.0),
                    Some(300.0),
                    Some(200.0),
                    Some(90.0),
                ],
            ),
        ],
    };
    let (o1, o2) = (m1.score(&t).unwrap(), m2.score(&t).unwrap());
    for (x, y) in o1.rows.iter().zip(&o2.rows) {
        assert!((x.score.unwrap() - y.score.unwrap()).abs() < 1e-12);
        assert_eq!(x.rank, y.rank);
    }
}

#[test]
fn table_errors_are_typed() {
    let m = ModelSpec::from_toml("two", TWO).unwrap();
    let good_a = col("a", &[Some(1.0), Some(2.0)], &[Some(10.0), Some(10.0)]);
    let good_b = col("b", &[Some(1.0), Some(2.0)], &[Some(10.0), Some(10.0)]);
    let t = |codes_: &[&str], cols: Vec<IndicatorColumn>| IndicatorTable {
        area_codes: codes(codes_),
        columns: cols,
    };
    assert_eq!(
        m.score(&t(&["x", "y"], vec![good_a.clone()])),
        Err(ModelError::MissingColumn {
            indicator: "b".into()
        })
    );
    assert_eq!(
        m.score(&t(
            &["x", "y"],
            vec![good_a.clone(), good_b.clone(), good_a.clone()]
        )),
        Err(ModelError::DuplicateColumn {
            indicator: "a".into()
        })
    );
    assert_eq!(
        m.score(&t(&["x", "x"], vec![good_a.clone(), good_b.clone()])),
        Err(ModelError::DuplicateArea {
            area_code: "x".into(),
            first: 1,
            second: 2
        })
    );
    assert!(matches!(
        m.score(&t(&["x", "y", "z"], vec![good_a.clone(), good_b.clone()])),
        Err(ModelError::ColumnLength { .. })
    ));
    let over = col("a", &[Some(11.0), Some(2.0)], &[Some(10.0), Some(10.0)]);
    let e = m
        .score(&t(&["x", "y"], vec![over, good_b.clone()]))
        .unwrap_err();
    assert!(e.to_string().contains("exceeds denominator"), "{e}");
    let neg = col("b", &[Some(-1.0), Some(2.0)], &[Some(10.0), Some(10.0)]);
    let e = m
        .score(&t(&["x", "y"], vec![good_a.clone(), neg]))
        .unwrap_err();
    assert!(
        matches!(&e, ModelError::InvalidValue { area_code, .. } if area_code == "x"),
        "{e}"
    );
    let nan = col("b", &[Some(1.0), Some(2.0)], &[Some(f64::NAN), Some(10.0)]);
    assert!(m.score(&t(&["x", "y"], vec![good_a.clone(), nan])).is_err());
    // Extra columns are ignored; an empty table scores to an empty result.
    let extra = col("zzz", &[None, None], &[None, None]);
    assert!(
        m.score(&t(&["x", "y"], vec![good_a, good_b, extra]))
            .is_ok()
    );
    assert_eq!(
        m.score(&IndicatorTable::default()).unwrap_err(),
        ModelError::MissingColumn {
            indicator: "a".into()
        }
    );
    let empty = IndicatorTable {
        area_codes: vec![],
        columns: vec![col("a", &[], &[]), col("b", &[], &[])],
    };
    assert!(m.score(&empty).unwrap().rows.is_empty());
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

#[test]
fn model_file_errors_name_key_and_line() {
    // Unknown key.
    let bad = TWO.replace(
        "min_denominator = 10\n\n[[indicators]]",
        "min_denominator = 10\nwieght = 2\n\n[[indicators]]",
    );
    let e = ModelSpec::from_toml("bad.toml", &bad).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("wieght"), "{msg}");
    match e {
        ModelError::Parse { line, .. } => assert_eq!(line, line_of(&bad, "wieght")),
        other => panic!("{other:?}"),
    }
    // A weight that is not a number.
    let bad = TWO.replacen("weight = 3", "weight = \"heavy\"", 1);
    let e = ModelSpec::from_toml("bad.toml", &bad).unwrap_err();
    match &e {
        ModelError::Parse { line, key, .. } => {
            assert_eq!(*line, line_of(&bad, "heavy"));
            assert_eq!(key.as_deref(), Some("weight"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with(&format!("bad.toml:{}:", line_of(&bad, "heavy"))),
        "{e}"
    );
    // A negative weight.
    let bad = TWO.replacen("weight = 1", "weight = -1", 1);
    let e = ModelSpec::from_toml("bad.toml", &bad).unwrap_err();
    assert_eq!(
        e,
        ModelError::Invalid {
            source_name: "bad.toml".into(),
            key: "indicators.b.weight".into(),
            line: line_of(&bad, "weight = -1"),
            message: "weight must be a finite number > 0 (got -1)".into(),
        }
    );
    // Unknown level, kind, direction; duplicate id; rate without per.
    for (from, to, key) in [
        (
            "levels = [\"parish\"]",
            "levels = [\"sogn\"]",
            "model.levels",
        ),
        (
            "kind = \"proportion\"",
            "kind = \"share\"",
            "indicators.a.kind",
        ),
        (
            "direction = \"higher_is_better\"",
            "direction = \"up\"",
            "indicators.b.direction",
        ),
        ("id = \"b\"", "id = \"a\"", "indicators[1].id"),
        ("per = 1000\n", "", "indicators.b.per"),
    ] {
        let bad = TWO.replacen(from, to, 1);
        match ModelSpec::from_toml("bad.toml", &bad).unwrap_err() {
            ModelError::Invalid { key: k, line, .. } => {
                assert_eq!(k, key);
                assert!(line > 0);
            }
            other => panic!("{from}: {other:?}"),
        }
    }
    // An undeclared domain when [domains] is present.
    let bad = format!("{TWO}\n[domains.social]\nlabel = \"Social\"\n");
    match ModelSpec::from_toml("bad.toml", &bad).unwrap_err() {
        ModelError::Invalid { key, line, .. } => {
            assert_eq!(key, "indicators.b.domain");
            assert_eq!(line, line_of(&bad, "domain = \"health\""));
        }
        other => panic!("{other:?}"),
    }
    // Not TOML at all.
    assert!(matches!(
        ModelSpec::from_toml("x", "[model\nname=").unwrap_err(),
        ModelError::Parse { line: 1, .. }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Σ contributions = score (to 1e-12), ranks are a permutation of 1..N over the scored areas,
    /// and scoring never panics, for random tables with missing cells.
    #[test]
    fn contributions_sum_to_score(
        cells in proptest::collection::vec(
            (proptest::option::weighted(0.85, 0u32..500), 1u32..1000, proptest::option::weighted(0.85, 0u32..40), 1u32..1000),
            1..40,
        )
    ) {
        let m = ModelSpec::from_toml("two", TWO).unwrap();
        let n = cells.len();
        let mut a_num = Vec::new(); let mut a_den = Vec::new(); let mut b_num = Vec::new(); let mut b_den = Vec::new();
        for (an, ad, bn, bd) in &cells {
            let ad = f64::from(*ad).max(f64::from(an.unwrap_or(0)));
            a_num.push(an.map(f64::from)); a_den.push(Some(ad));
            b_num.push(bn.map(f64::from)); b_den.push(Some(f64::from(*bd)));
        }
        let t = IndicatorTable {
            area_codes: (0..n).map(|i| format!("a{i:03}")).collect(),
            columns: vec![col("a", &a_num, &a_den), col("b", &b_num, &b_den)],
        };
        let out = m.score(&t).unwrap();
        let mut ranks = Vec::new();
        for r in &out.rows {
            let sum: f64 = r.contributions.iter().map(|c| c.contribution).sum();
            match r.score {
                Some(s) => { prop_assert!((sum - s).abs() <= 1e-12, "{} vs {}", sum, s); ranks.push(r.rank.unwrap()); }
                None => { prop_assert_eq!(sum, 0.0); prop_assert!(r.rank.is_none()); }
            }
        }
        ranks.sort_unstable();
        prop_assert_eq!(ranks.clone(), (1..=ranks.len() as u32).collect::<Vec<_>>());
    }

    /// Arbitrary text never panics the model parser.
    #[test]
    fn parser_never_panics(text in "\\PC{0,200}") {
        let _ = ModelSpec::from_toml("fuzz", &text);
    }
}
