//! Offline scoring of a parsed CSV table (`lighed score --model … --input FILE.csv`).
//!
//! The binary reads the file (any CSV reader) and passes the header and rows as strings; this
//! module maps the columns to the model's inputs, scores, and returns output rows of typed cells
//! that the binary writes as CSV or JSON. Nothing here does I/O.
//!
//! **Input columns**: `area_code`, then per indicator its value column (kind `value`/`count`:
//! the indicator id, or the file's `column`) or its numerator and denominator columns
//! (`<id>_numerator`, `<id>_denominator`, or the file's `column`/`denominator_column`), plus
//! standard-error and population columns when the model names them
//! ([`ModelSpec::input_columns`]), and optionally `parent_code` (each area's parent area, for
//! indicators with `shrinkage = "parent"`; empty = unknown; without the column such indicators
//! shrink toward the pooled value of all areas). Other columns are ignored. A cell that is
//! empty, `NA` or `..`
//! (Statistics Denmark's "not available") is missing; so is the model's `input_missing` value
//! (−999 for SVI).
//!
//! **Output columns**: `area_code, score, rank, decile`, the model's `[output]` columns, with
//! draws `rank_median, rank_p05, rank_p95, p_top_k, p_top_decile, tie_group`, then
//! `top_reasons` (the three largest contributions in words, separated by " | ") and `note`.
//! Missing values of output columns are written as the model's `output_missing` (−999 for SVI)
//! or left empty.

use serde::{Deserialize, Serialize};

use super::{
    DrawOptions, IndicatorColumn, IndicatorTable, ModelError, ModelSpec, ParentLevel, ScoringInput,
};

/// Options of an offline run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineOptions {
    /// Monte Carlo draws (`--draws`); `None` = no uncertainty columns.
    pub draws: Option<u32>,
    /// Seed (`--seed`).
    pub seed: u64,
    /// k of `p_top_k`.
    pub top_k: u32,
}

impl Default for OfflineOptions {
    fn default() -> Self {
        OfflineOptions {
            draws: None,
            seed: 1,
            top_k: super::DEFAULT_TOP_K,
        }
    }
}

/// One output cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// An integer (ranks, deciles, flags written as the missing code).
    Int(i64),
    /// A number, written with full round-trip precision.
    Num(f64),
    /// Text.
    Text(String),
    /// No value.
    Empty,
}

impl Cell {
    /// The CSV text of the cell: numbers in Rust's shortest round-trip form (`0.0758`, `1`).
    pub fn to_csv(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Num(x) => format!("{x}"),
            Cell::Text(t) => t.clone(),
            Cell::Empty => String::new(),
        }
    }
}

/// The output table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineOutput {
    /// Column names.
    pub header: Vec<String>,
    /// One row per input row, in input order.
    pub rows: Vec<Vec<Cell>>,
}

/// Why an input table could not be scored. Line numbers count the header as line 1.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// A column the model needs is not in the header.
    #[error("line 1: missing column '{column}' (model {model} needs: area_code, {needed})")]
    MissingColumn {
        /// The missing column.
        column: String,
        /// The model's name.
        model: String,
        /// All columns the model needs.
        needed: String,
    },
    /// The header names a column twice.
    #[error("line 1: column '{column}' appears twice")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
    },
    /// A row has a different number of fields than the header.
    #[error("line {line}: {fields} fields, the header has {expected}")]
    RowLength {
        /// 1-based line.
        line: usize,
        /// Fields in the row.
        fields: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A cell is neither empty nor a number.
    #[error("line {line}, column '{column}': '{value}' is not a number")]
    BadNumber {
        /// 1-based line.
        line: usize,
        /// Column name.
        column: String,
        /// The cell text.
        value: String,
    },
    /// The model rejected the table (duplicate area codes, impossible counts, …).
    #[error("{0}")]
    Model(#[from] ModelError),
}

fn parse_cell(text: &str) -> Result<Option<f64>, ()> {
    let t = text.trim();
    if t.is_empty() || t == "NA" || t == ".." {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

/// Builds the model input from a CSV table (header + rows of strings); see the module docs.
pub fn table_from_csv(
    model: &ModelSpec,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<IndicatorTable, OfflineError> {
    for (i, h) in header.iter().enumerate() {
        if header[..i].contains(h) {
            return Err(OfflineError::DuplicateColumn { column: h.clone() });
        }
    }
    let needed = model.input_columns();
    let col = |name: &str| -> Result<usize, OfflineError> {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| OfflineError::MissingColumn {
                column: name.to_owned(),
                model: model.name().to_owned(),
                needed: needed.join(", "),
            })
    };
    let code_col = col("area_code")?;
    for (r, row) in rows.iter().enumerate() {
        if row.len() != header.len() {
            return Err(OfflineError::RowLength {
                line: r + 2,
                fields: row.len(),
                expected: header.len(),
            });
        }
    }
    let numbers = |name: &str| -> Result<Vec<Option<f64>>, OfflineError> {
        let c = col(name)?;
        rows.iter()
            .enumerate()
            .map(|(r, row)| {
                parse_cell(&row[c]).map_err(|()| OfflineError::BadNumber {
                    line: r + 2,
                    column: name.to_owned(),
                    value: row[c].clone(),
                })
            })
            .collect()
    };
    let mut columns = Vec::new();
    for (ind, li) in model.indicators.iter().zip(&model.leaf_inputs) {
        columns.push(IndicatorColumn {
            indicator: ind.id.clone(),
            numerator: numbers(&li.column)?,
            denominator: match &li.denominator_column {
                Some(d) => numbers(d)?,
                None => Vec::new(),
            },
        });
    }
    let mut aux: Vec<&str> = model
        .leaf_inputs
        .iter()
        .filter_map(|l| l.se_column.as_deref())
        .collect();
    if let Some(p) = model.population_column() {
        aux.push(p);
    }
    for name in aux {
        if !columns.iter().any(|c| c.indicator == name) {
            columns.push(IndicatorColumn {
                indicator: name.to_owned(),
                numerator: numbers(name)?,
                denominator: Vec::new(),
            });
        }
    }
    Ok(IndicatorTable {
        area_codes: rows.iter().map(|r| r[code_col].trim().to_owned()).collect(),
        columns,
    })
}

/// The areas' parent level from the optional `parent_code` column (`None` without the column).
pub fn parents_from_csv(header: &[String], rows: &[Vec<String>]) -> Option<ParentLevel> {
    let c = header.iter().position(|h| h.trim() == "parent_code")?;
    Some(ParentLevel {
        parent_codes: rows
            .iter()
            .map(|r| {
                let t = r.get(c).map_or("", |v| v.trim());
                (!t.is_empty()).then(|| t.to_owned())
            })
            .collect(),
        observed: Vec::new(),
    })
}

/// Scores a CSV table with `model`; see the module docs for the columns.
pub fn score_csv(
    model: &ModelSpec,
    header: &[String],
    rows: &[Vec<String>],
    opts: &OfflineOptions,
) -> Result<OfflineOutput, OfflineError> {
    let table = table_from_csv(model, header, rows)?;
    let parents = parents_from_csv(header, rows);
    let input = match &parents {
        Some(p) => ScoringInput::new(&table).with_parents(p),
        None => ScoringInput::new(&table),
    };
    let ev = model.evaluate(input)?;
    let unc = match opts.draws {
        Some(d) => Some(model.score_with_uncertainty(
            input,
            &DrawOptions {
                draws: d,
                seed: opts.seed,
                top_k: opts.top_k,
            },
        )?),
        None => None,
    };
    let mut out_header: Vec<String> = ["area_code", "score", "rank", "decile"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    out_header.extend(ev.columns.iter().map(|c| c.name.clone()));
    if unc.is_some() {
        out_header.extend(
            [
                "rank_median",
                "rank_p05",
                "rank_p95",
                "p_top_k",
                "p_top_decile",
                "tie_group",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
    }
    out_header.push("top_reasons".to_owned());
    out_header.push("note".to_owned());
    let missing = |v: Option<f64>| match (v, model.output_missing()) {
        (Some(x), _) => Cell::Num(x),
        (None, Some(m)) if m.fract() == 0.0 && m.abs() < 1e15 => Cell::Int(m as i64),
        (None, Some(m)) => Cell::Num(m),
        (None, None) => Cell::Empty,
    };
    let int = |v: Option<u32>| v.map_or(Cell::Empty, |x| Cell::Int(i64::from(x)));
    let mut out_rows = Vec::with_capacity(ev.scores.rows.len());
    for (a, row) in ev.scores.rows.iter().enumerate() {
        let mut cells = vec![
            Cell::Text(row.area_code.clone()),
            row.score.map_or(Cell::Empty, Cell::Num),
            int(row.rank),
            int(row.decile.map(u32::from)),
        ];
        cells.extend(ev.columns.iter().map(|c| missing(c.values[a])));
        if let Some(u) = &unc {
            let x = &u.uncertainty[a];
            cells.extend([
                int(x.rank_median),
                int(x.rank_p05),
                int(x.rank_p95),
                x.p_top_k.map_or(Cell::Empty, Cell::Num),
                x.p_top_decile.map_or(Cell::Empty, Cell::Num),
                int(x.tie_group),
            ]);
        }
        let reasons: Vec<&str> = row
            .contributions
            .iter()
            .filter(|c| c.contribution != 0.0)
            .take(3)
            .map(|c| c.reason.as_str())
            .collect();
        cells.push(Cell::Text(reasons.join(" | ")));
        cells.push(row.note.clone().map_or(Cell::Empty, Cell::Text));
        out_rows.push(cells);
    }
    Ok(OfflineOutput {
        header: out_header,
        rows: out_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"[model]
name = "t"
version = "1"
title = "T"
description = "Test."
levels = ["parish"]
score = "total"

[[indicators]]
id = "a"
label = "Smoking"
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
domain = "d"
min_denominator = 1
shrinkage = "parent"

[[steps]]
name = "total"
op = "weighted_sum"
inputs = ["a"]
weights = [1]
"#;

    /// A `parent_code` column feeds `shrinkage = "parent"`: the reasons name the parent, and
    /// without the column the areas shrink toward the pooled value of all of them.
    #[test]
    fn parent_code_column() {
        let m = ModelSpec::from_toml("t.toml", MODEL).unwrap();
        let header: Vec<String> = ["area_code", "a_numerator", "a_denominator", "parent_code"]
            .map(String::from)
            .to_vec();
        let rows: Vec<Vec<String>> = [
            ["A", "10", "100", "101"],
            ["B", "30", "100", "101"],
            ["C", "5", "20", "102"],
            ["D", "5", "80", " "],
        ]
        .iter()
        .map(|r| r.map(String::from).to_vec())
        .collect();
        let p = parents_from_csv(&header, &rows).unwrap();
        assert_eq!(
            p.parent_codes,
            vec![
                Some("101".into()),
                Some("101".into()),
                Some("102".into()),
                None
            ]
        );
        let out = score_csv(&m, &header, &rows, &OfflineOptions::default()).unwrap();
        let reasons = out.header.iter().position(|h| h == "top_reasons").unwrap();
        let text = |r: usize| match &out.rows[r][reasons] {
            Cell::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert!(text(0).contains("parent area 101"), "{}", text(0));
        assert!(
            text(3).contains("without a known parent area"),
            "{}",
            text(3)
        );
        // Without the column: no parent level.
        let header2 = header[..3].to_vec();
        let rows2: Vec<Vec<String>> = rows.iter().map(|r| r[..3].to_vec()).collect();
        assert!(parents_from_csv(&header2, &rows2).is_none());
        let out2 = score_csv(&m, &header2, &rows2, &OfflineOptions::default()).unwrap();
        let t2 = match &out2.rows[0][reasons] {
            Cell::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert!(t2.contains("pooled value of the areas scored"), "{t2}");
    }
}
