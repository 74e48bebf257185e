//! `models/svi-2020.toml` reproduces a CDC-released SVI 2020 database exactly.
//!
//! Source of the expected values: CDC/ATSDR SVI 2020, Pennsylvania counties, as released by CDC
//! and carried in heli-xu/findSVI `data-raw/xls/2020svi_pa_co_cdc.csv` @ 3db8265c (fixture
//! `fixtures/model/svi2020_pa_county_cdc.csv`, provenance in `fixtures/model/README.md`). The
//! model reads only `E_TOTPOP` and the 16 `EP_` columns and must reproduce all 47 derived
//! columns (`EPL_*`, `SPL_THEME1..4`, `RPL_THEME1..4`, `SPL_THEMES`, `RPL_THEMES`, `F_*`,
//! `F_THEME1..4`, `F_TOTAL`) with 0 mismatches.

use lighed_core::model::{IndicatorColumn, IndicatorTable, ModelSpec};

const SVI: &str = include_str!("../../../models/svi-2020.toml");
const CDC_PA: &str = include_str!("fixtures/model/svi2020_pa_county_cdc.csv");

fn svi() -> ModelSpec {
    ModelSpec::from_toml("models/svi-2020.toml", SVI).expect("svi-2020 loads")
}

struct Cdc {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Cdc {
    fn load() -> Cdc {
        let mut r = csv::Reader::from_reader(CDC_PA.as_bytes());
        let header = r
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = r
            .records()
            .map(|x| x.expect("record").iter().map(str::to_owned).collect())
            .collect();
        Cdc { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    }

    fn values(&self, name: &str) -> Vec<f64> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| r[c].parse::<f64>().expect("number"))
            .collect()
    }

    /// The model input: FIPS as area code, E_TOTPOP and the EP_ columns; `edit` may change cells.
    fn table(&self, m: &ModelSpec, edit: impl Fn(&str, usize, f64) -> f64) -> IndicatorTable {
        let codes = self
            .values("FIPS")
            .iter()
            .map(|v| format!("{v:.0}"))
            .collect();
        let mut cols: Vec<String> = m.indicators().iter().map(|i| i.id.clone()).collect();
        cols.push("E_TOTPOP".to_owned());
        IndicatorTable {
            area_codes: codes,
            columns: cols
                .iter()
                .map(|c| IndicatorColumn {
                    indicator: c.clone(),
                    numerator: self
                        .values(c)
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Some(edit(c, i, *v)))
                        .collect(),
                    denominator: vec![],
                })
                .collect(),
        }
    }
}

#[test]
fn svi2020_reproduces_cdc_pennsylvania_counties_exactly() {
    let m = svi();
    let cdc = Cdc::load();
    assert_eq!(cdc.rows.len(), 67);
    let ev = m.evaluate(&cdc.table(&m, |_, _, v| v)).unwrap();
    assert_eq!(ev.columns.len(), 47);
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for col in &ev.columns {
        let expected = cdc.values(&col.name);
        for (i, (got, want)) in col.values.iter().zip(&expected).enumerate() {
            compared += 1;
            // CDC prints values with at most 4 decimals; lighed's are the doubles nearest the
            // same decimals, so they compare equal exactly.
            if *got != Some(*want) {
                mismatches.push(format!(
                    "{} row {}: got {:?}, CDC {}",
                    col.name,
                    i + 2,
                    got,
                    want
                ));
            }
        }
    }
    assert_eq!(compared, 47 * 67);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // The score is RPL_THEMES; rank 1 = the most vulnerable county (Philadelphia, RPL_THEMES 1.0).
    let top = ev.scores.rows.iter().find(|r| r.rank == Some(1)).unwrap();
    assert_eq!(top.area_code, "42101");
    assert_eq!(top.score, Some(1.0));
}

#[test]
fn svi2020_explanations_sum_to_the_score() {
    let m = svi();
    let cdc = Cdc::load();
    let out = m.score(&cdc.table(&m, |_, _, v| v)).unwrap();
    for r in &out.rows {
        let s = r.score.unwrap();
        let sum: f64 = r.contributions.iter().map(|c| c.contribution).sum();
        assert!((sum - s).abs() < 1e-12, "{}: {sum} vs {s}", r.area_code);
        assert_eq!(r.contributions.len(), 16);
    }
}

#[test]
fn svi2020_zero_population_and_missing_values() {
    // Adams (row 0) gets E_TOTPOP = 0; Allegheny (row 1) gets EP_MINRTY = -999.
    let m = svi();
    let cdc = Cdc::load();
    let t = cdc.table(&m, |c, i, v| match (c, i) {
        ("E_TOTPOP", 0) => 0.0,
        ("EP_MINRTY", 1) => -999.0,
        _ => v,
    });
    let ev = m.evaluate(&t).unwrap();
    let get = |name: &str, i: usize| ev.columns.iter().find(|c| c.name == name).unwrap().values[i];
    // Excluded area: every derived column missing (written -999), even EPL of an EP_ that is 0.
    for c in &ev.columns {
        assert_eq!(c.values[0], None, "{}", c.name);
    }
    assert!(
        ev.scores.rows[0]
            .note
            .as_deref()
            .unwrap()
            .contains("excluded")
    );
    assert_eq!(ev.scores.rows[0].rank, None);
    // Missing MINRTY: theme 3 and the totals are missing, the other themes are still ranked.
    for name in [
        "EPL_MINRTY",
        "SPL_THEME3",
        "RPL_THEME3",
        "F_MINRTY",
        "F_THEME3",
        "SPL_THEMES",
        "RPL_THEMES",
        "F_TOTAL",
    ] {
        assert_eq!(get(name, 1), None, "{name}");
    }
    for name in ["RPL_THEME1", "RPL_THEME2", "RPL_THEME4", "F_THEME1"] {
        assert!(get(name, 1).is_some(), "{name}");
    }
    // N for MINRTY is 65 (one excluded area, one missing value): percentile ranks are k/64.
    let n_minrty = ev
        .columns
        .iter()
        .find(|c| c.name == "EPL_MINRTY")
        .unwrap()
        .values
        .iter()
        .flatten()
        .count();
    assert_eq!(n_minrty, 65);
    assert_eq!(m.output_missing(), Some(-999.0));
}
