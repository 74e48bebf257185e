//! `models/rm-health-inequality-v1.toml` (the default model), the shipped-model registry, and the
//! offline CSV entry point behind `lighed score`.

use lighed_core::model::offline::{Cell, OfflineError, OfflineOptions, score_csv, table_from_csv};
use lighed_core::model::{
    DEFAULT_MODEL, IndicatorColumn, IndicatorTable, ModelSpec, builtin_names,
};

fn v1() -> ModelSpec {
    ModelSpec::builtin("rm-health-inequality-v1")
        .expect("shipped")
        .expect("valid")
}

/// Deterministic synthetic table for a model's proportion/rate indicators (an LCG).
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
    IndicatorTable {
        area_codes: (0..n).map(|i| format!("{:04}", 7001 + i)).collect(),
        columns: m
            .indicators()
            .iter()
            .map(|ind| {
                let (mut num, mut den) = (Vec::new(), Vec::new());
                for _ in 0..n {
                    let d = (25.0 + 3000.0 * next()).floor();
                    num.push(Some((d * (0.02 + 0.4 * next())).floor()));
                    den.push(Some(d));
                }
                IndicatorColumn {
                    indicator: ind.id.clone(),
                    numerator: num,
                    denominator: den,
                }
            })
            .collect(),
    }
}

#[test]
fn every_shipped_model_loads() {
    let names = builtin_names();
    assert_eq!(names[0], DEFAULT_MODEL);
    assert_eq!(DEFAULT_MODEL, "rm-health-inequality-v1");
    for n in &names {
        let m = ModelSpec::builtin(n)
            .unwrap()
            .unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(m.name(), *n);
    }
    assert!(ModelSpec::builtin("nope").is_none());
    // v0 stays loadable.
    assert!(names.contains(&"rm-health-inequality-v0"));
}

#[test]
fn v1_declares_domains_and_weights() {
    let m = v1();
    assert_eq!(m.indicators().len(), 14);
    assert_eq!(m.score_node(), "index");
    assert_eq!(
        m.output_columns(),
        ["domain_social", "domain_health", "domain_survey", "index"]
    );
    let survey: Vec<&str> = m
        .indicators()
        .iter()
        .filter(|i| i.domain == "survey")
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(
        survey,
        [
            "low_self_rated_health",
            "low_health_literacy",
            "loneliness",
            "daily_smoking"
        ]
    );
    assert!(
        m.description()
            .contains("health 0.40, social 0.35, survey 0.25")
    );
}

#[test]
fn v1_scores_are_additive_and_explained() {
    let m = v1();
    let t = table(&m, 60, 5);
    let ev = m.evaluate(&t).unwrap();
    let dom = |name: &str, a: usize| {
        ev.columns.iter().find(|c| c.name == name).unwrap().values[a].unwrap()
    };
    for (a, r) in ev.scores.rows.iter().enumerate() {
        let s = r.score.unwrap();
        let sum: f64 = r.contributions.iter().map(|c| c.contribution).sum();
        assert!((sum - s).abs() < 1e-12);
        // index = 0.40·health + 0.35·social + 0.25·survey.
        let want = 0.40 * dom("domain_health", a)
            + 0.35 * dom("domain_social", a)
            + 0.25 * dom("domain_survey", a);
        assert!((s - want).abs() < 1e-12);
        // The health domain's contributions add up to 0.40 × its score.
        let health: f64 = r
            .contributions
            .iter()
            .filter(|c| {
                m.indicators()
                    .iter()
                    .any(|i| i.id == c.indicator && i.domain == "health")
            })
            .map(|c| c.contribution)
            .sum();
        assert!((health - 0.40 * dom("domain_health", a)).abs() < 1e-12);
    }
    // Survey reasons say that the value was shrunk.
    let r = &ev.scores.rows[0];
    let smoking = r
        .contributions
        .iter()
        .find(|c| c.indicator == "daily_smoking")
        .unwrap();
    assert!(
        smoking.reason.contains("shrunk toward the pooled value"),
        "{}",
        smoking.reason
    );
    let copd = r
        .contributions
        .iter()
        .find(|c| c.indicator == "copd_prevalence")
        .unwrap();
    assert!(
        copd.reason.starts_with("COPD prevalence ") && copd.reason.contains("in the region"),
        "{}",
        copd.reason
    );
}

#[test]
fn v1_missing_domain_rules() {
    let m = v1();
    let mut t = table(&m, 30, 8);
    // Area 0 loses all four survey indicators: the survey domain is missing (needs 50 %), the
    // index still has 75 % of its weight.
    for c in t.columns.iter_mut().filter(|c| {
        [
            "low_self_rated_health",
            "low_health_literacy",
            "loneliness",
            "daily_smoking",
        ]
        .contains(&c.indicator.as_str())
    }) {
        c.numerator[0] = None;
    }
    // Area 1 loses all health and survey indicators: only 35 % of the weight remains.
    for c in t.columns.iter_mut().filter(|c| {
        ![
            "outside_labour_edu_18_64",
            "basic_education_30_59",
            "low_income",
            "non_western_origin",
            "single_adult_households",
            "living_alone_65plus",
        ]
        .contains(&c.indicator.as_str())
    }) {
        c.numerator[1] = None;
    }
    let ev = m.evaluate(&t).unwrap();
    let col = |name: &str| &ev.columns.iter().find(|c| c.name == name).unwrap().values;
    assert_eq!(col("domain_survey")[0], None);
    assert!(ev.scores.rows[0].score.is_some());
    assert!(
        ev.scores.rows[0]
            .note
            .as_deref()
            .unwrap()
            .contains("scored without")
    );
    assert_eq!(ev.scores.rows[1].score, None);
    assert!(
        ev.scores.rows[1]
            .note
            .as_deref()
            .unwrap()
            .contains("35 % of the model weight"),
        "{:?}",
        ev.scores.rows[1].note
    );
}

fn csv_of(t: &IndicatorTable, m: &ModelSpec) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["area_code".to_owned()];
    header.extend(m.input_columns());
    header.push("ignored_extra".to_owned());
    let rows = (0..t.area_codes.len())
        .map(|a| {
            let mut r = vec![t.area_codes[a].clone()];
            for c in &t.columns {
                r.push(c.numerator[a].map_or(String::new(), |x| x.to_string()));
                r.push(c.denominator[a].map_or(String::new(), |x| x.to_string()));
            }
            r.push("x".to_owned());
            r
        })
        .collect();
    (header, rows)
}

#[test]
fn offline_csv_scoring_matches_the_api() {
    let m = v1();
    let t = table(&m, 25, 2);
    let (header, rows) = csv_of(&t, &m);
    assert_eq!(table_from_csv(&m, &header, &rows).unwrap(), t);
    let out = score_csv(&m, &header, &rows, &OfflineOptions::default()).unwrap();
    assert_eq!(&out.header[..4], ["area_code", "score", "rank", "decile"]);
    assert_eq!(out.header.last().unwrap(), "note");
    let api = m.score(&t).unwrap();
    for (row, want) in out.rows.iter().zip(&api.rows) {
        assert_eq!(row[0], Cell::Text(want.area_code.clone()));
        assert_eq!(row[1], Cell::Num(want.score.unwrap()));
        assert_eq!(row[2], Cell::Int(i64::from(want.rank.unwrap())));
    }
    // With draws: six more columns, and the same output twice.
    let opts = OfflineOptions {
        draws: Some(50),
        seed: 9,
        top_k: 5,
    };
    let a = score_csv(&m, &header, &rows, &opts).unwrap();
    let b = score_csv(&m, &header, &rows, &opts).unwrap();
    assert_eq!(a, b);
    assert!(a.header.contains(&"tie_group".to_owned()));
    assert_eq!(a.header.len(), out.header.len() + 6);
    let csv_line = |r: &[Cell]| r.iter().map(Cell::to_csv).collect::<Vec<_>>().join(",");
    assert_eq!(csv_line(&a.rows[0]), csv_line(&b.rows[0]));
}

#[test]
fn offline_errors_name_line_and_column() {
    let m = v1();
    let t = table(&m, 4, 3);
    let (header, mut rows) = csv_of(&t, &m);
    rows[2][3] = "12,5".to_owned();
    let e = table_from_csv(&m, &header, &rows).unwrap_err();
    assert_eq!(
        e,
        OfflineError::BadNumber {
            line: 4,
            column: header[3].clone(),
            value: "12,5".into()
        }
    );
    assert!(e.to_string().starts_with("line 4, column '"), "{e}");
    let short: Vec<String> = header
        .iter()
        .filter(|h| *h != "loneliness_denominator")
        .cloned()
        .collect();
    let e = table_from_csv(&m, &short, &[]).unwrap_err();
    assert!(
        matches!(&e, OfflineError::MissingColumn { column, .. } if column == "loneliness_denominator"),
        "{e}"
    );
    rows[2][3] = "..".to_owned(); // StatBank's "not available" is a missing cell
    rows[1].pop();
    assert!(matches!(
        table_from_csv(&m, &header, &rows).unwrap_err(),
        OfflineError::RowLength { line: 3, .. }
    ));
}

#[test]
fn offline_svi_writes_minus_999() {
    let m = ModelSpec::builtin("svi-2020").unwrap().unwrap();
    let mut header = vec!["area_code".to_owned()];
    header.extend(m.input_columns());
    assert_eq!(header.len(), 18, "area_code, 16 EP_ columns, E_TOTPOP");
    let rows: Vec<Vec<String>> = (0..12)
        .map(|i| {
            let mut r = vec![format!("42{i:03}")];
            r.extend((0..16).map(|k| format!("{}", (i * 7 + k * 3) % 23)));
            r.push(if i == 0 { "0".into() } else { "1000".into() });
            r
        })
        .collect();
    let out = score_csv(&m, &header, &rows, &OfflineOptions::default()).unwrap();
    let rpl = out.header.iter().position(|h| h == "RPL_THEMES").unwrap();
    assert_eq!(out.rows[0][rpl], Cell::Int(-999), "zero population: -999");
    assert!(matches!(out.rows[1][rpl], Cell::Num(_)));
}
