//! Table, CSV and JSON output of the CLI. Output is a pure function of the result, so the same
//! database and model give byte-identical output (run ids and timestamps are never printed to
//! stdout).

use std::io::Write;

use lighed_store::AreaRow;
use serde::Serialize;

use super::Format;
use crate::catalog::ModelCatalog;
use crate::ranking::Ranking;

#[derive(Debug, Serialize)]
struct RankJsonRow<'a> {
    area_code: &'a str,
    area_name: &'a str,
    level: &'a str,
    score: Option<f64>,
    rank: Option<u32>,
    decile: Option<u8>,
    population: Option<i64>,
    model_version: &'a str,
    data_version: &'a str,
    model: &'a str,
    region_rank: Option<u32>,
    scope: &'a str,
    reasons: &'a [crate::ranking::Reason],
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertainty: Option<&'a crate::ranking::Uncertainty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    draws: Option<crate::ranking::DrawInfo>,
}

/// Writes a ranking.
pub fn write_ranking(out: &mut dyn Write, r: &Ranking, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut header = vec![
                "area_code",
                "area_name",
                "level",
                "score",
                "rank",
                "decile",
                "population",
                "model_version",
                "data_version",
                "model",
                "region_rank",
                "scope",
                "reason_1",
                "reason_2",
                "reason_3",
                "note",
            ];
            if r.draws.is_some() {
                header.extend([
                    "rank_median",
                    "rank_p05",
                    "rank_p95",
                    "p_top_k",
                    "p_top_decile",
                    "tie_group",
                    "draws",
                    "seed",
                    "top_k",
                ]);
            }
            w.write_record(&header)?;
            for row in &r.rows {
                let reason = |i: usize| {
                    row.reasons
                        .get(i)
                        .map(|x| x.text.clone())
                        .unwrap_or_default()
                };
                let mut rec = vec![
                    row.area_code.clone(),
                    row.area_name.clone(),
                    row.level.clone(),
                    cell(row.score),
                    cell(row.rank),
                    cell(row.decile),
                    cell(row.population),
                    r.model_version.clone(),
                    r.data_version.clone(),
                    r.model.clone(),
                    cell(row.region_rank),
                    r.scope.clone(),
                    reason(0),
                    reason(1),
                    reason(2),
                    row.note.clone().unwrap_or_default(),
                ];
                if let Some(d) = r.draws {
                    let u = row
                        .uncertainty
                        .clone()
                        .unwrap_or(crate::ranking::Uncertainty {
                            rank_median: None,
                            rank_p05: None,
                            rank_p95: None,
                            p_top_k: None,
                            p_top_decile: None,
                            tie_group: None,
                        });
                    rec.extend([
                        cell(u.rank_median),
                        cell(u.rank_p05),
                        cell(u.rank_p95),
                        cell(u.p_top_k),
                        cell(u.p_top_decile),
                        cell(u.tie_group),
                        d.draws.to_string(),
                        d.seed.to_string(),
                        d.top_k.to_string(),
                    ]);
                }
                w.write_record(&rec)?;
            }
            w.flush()?;
        }
        Format::Json => {
            let rows: Vec<RankJsonRow> = r
                .rows
                .iter()
                .map(|row| RankJsonRow {
                    area_code: &row.area_code,
                    area_name: &row.area_name,
                    level: &row.level,
                    score: row.score,
                    rank: row.rank,
                    decile: row.decile,
                    population: row.population,
                    model_version: &r.model_version,
                    data_version: &r.data_version,
                    model: &r.model,
                    region_rank: row.region_rank,
                    scope: &r.scope,
                    reasons: &row.reasons,
                    note: row.note.as_deref(),
                    uncertainty: row.uncertainty.as_ref(),
                    draws: r.draws,
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            writeln!(
                out,
                "{} ranked by {} {} · data {} · scope {} · {} areas",
                r.level, r.model, r.model_version, r.data_version, r.scope, r.total_in_scope
            )?;
            let mut lines = vec![vec![
                "rank".to_owned(),
                "code".into(),
                "name".into(),
                "score".into(),
                "decile".into(),
                "population".into(),
                "main reason".into(),
            ]];
            for row in &r.rows {
                lines.push(vec![
                    opt(row.rank),
                    row.area_code.clone(),
                    row.area_name.clone(),
                    row.score
                        .map(|s| format!("{s:.3}"))
                        .unwrap_or_else(|| "-".into()),
                    opt(row.decile),
                    opt(row.population),
                    row.reasons
                        .first()
                        .map(|x| x.text.clone())
                        .or_else(|| row.note.clone())
                        .unwrap_or_default(),
                ]);
            }
            write_aligned(out, &lines)?;
        }
    }
    Ok(())
}

/// A CSV cell: the value's shortest round-trip text, or empty.
fn cell<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

/// Writes rows of cells with each column padded to its widest cell (the last column unpadded).
fn write_aligned(out: &mut dyn Write, lines: &[Vec<String>]) -> std::io::Result<()> {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for l in lines {
        let mut s = String::new();
        for (c, cell) in l.iter().enumerate() {
            s.push_str(cell);
            if c + 1 < l.len() {
                s.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct AreaOut<'a> {
    code: &'a str,
    name: &'a str,
    level: &'a str,
    parent_code: Option<&'a str>,
    municipality_code: Option<&'a str>,
    council_code: Option<&'a str>,
    population: Option<i64>,
    lon: Option<f64>,
    lat: Option<f64>,
}

/// Writes areas.
pub fn write_areas(out: &mut dyn Write, areas: &[AreaRow], format: Format) -> anyhow::Result<()> {
    let rows: Vec<AreaOut> = areas
        .iter()
        .map(|a| AreaOut {
            code: &a.code,
            name: &a.name,
            level: &a.level,
            parent_code: a.parent_code.as_deref(),
            municipality_code: a.municipality_code.as_deref(),
            council_code: a.council_code.as_deref(),
            population: a.population,
            lon: a.lon,
            lat: a.lat,
        })
        .collect();
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in &rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut lines = vec![vec![
                "code".to_owned(),
                "name".into(),
                "level".into(),
                "council".into(),
                "population".into(),
            ]];
            for r in &rows {
                lines.push(vec![
                    r.code.to_owned(),
                    r.name.to_owned(),
                    r.level.to_owned(),
                    r.council_code.unwrap_or("-").to_owned(),
                    opt(r.population),
                ]);
            }
            write_aligned(out, &lines)?;
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct ModelOut<'a> {
    name: &'a str,
    version: &'a str,
    default: bool,
    levels: String,
    indicators: String,
    title: &'a str,
}

/// Writes the model list.
pub fn write_models(out: &mut dyn Write, c: &ModelCatalog, format: Format) -> anyhow::Result<()> {
    let rows: Vec<ModelOut> = c
        .models()
        .iter()
        .map(|m| ModelOut {
            name: m.name(),
            version: m.version(),
            default: m.name() == c.default_model(),
            levels: m
                .levels()
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            indicators: m
                .indicators()
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            title: m.title(),
        })
        .collect();
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in &rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut lines = vec![vec![
                "name".to_owned(),
                "version".into(),
                "levels".into(),
                "title".into(),
            ]];
            for r in &rows {
                lines.push(vec![
                    format!("{}{}", r.name, if r.default { " (default)" } else { "" }),
                    r.version.to_owned(),
                    r.levels.clone(),
                    r.title.to_owned(),
                ]);
            }
            write_aligned(out, &lines)?;
        }
    }
    Ok(())
}

/// Writes datasets.
pub fn write_datasets(
    out: &mut dyn Write,
    rows: &[lighed_store::DatasetRow],
    format: Format,
) -> anyhow::Result<()> {
    let pbs: Vec<crate::pb::Dataset> = rows
        .iter()
        .cloned()
        .map(crate::api::registry::dataset_pb)
        .collect();
    match format {
        Format::Json => {
            let v: Vec<serde_json::Value> = pbs
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id, "source": d.source, "format": d.format, "table_id": d.table_id,
                        "checksum": d.checksum, "encoding": d.encoding, "presentation": d.presentation,
                        "periods": d.periods, "row_count": d.row_count, "missing_count": d.missing_count,
                        "imported_by": d.imported_by, "created_at": d.created_at, "status": d.status,
                        "retired_at": d.retired_at, "retired_by": d.retired_by,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "source",
                "format",
                "table_id",
                "checksum",
                "encoding",
                "presentation",
                "periods",
                "row_count",
                "missing_count",
                "imported_by",
                "created_at",
                "status",
                "retired_at",
                "retired_by",
            ])?;
            for d in &pbs {
                w.write_record([
                    d.id.to_string(),
                    d.source.clone(),
                    d.format.clone(),
                    d.table_id.clone(),
                    d.checksum.clone(),
                    d.encoding.clone(),
                    d.presentation.clone(),
                    d.periods.join(" "),
                    d.row_count.to_string(),
                    d.missing_count.to_string(),
                    d.imported_by.clone(),
                    d.created_at.clone(),
                    d.status.clone(),
                    d.retired_at.clone(),
                    d.retired_by.clone(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let mut lines = vec![vec![
                "id".to_owned(),
                "status".into(),
                "source".into(),
                "format".into(),
                "table".into(),
                "rows".into(),
                "missing".into(),
                "periods".into(),
                "imported".into(),
                "sha256".into(),
            ]];
            for d in &pbs {
                let periods = match (d.periods.first(), d.periods.last()) {
                    (Some(a), Some(b)) if a != b => format!("{a}…{b}"),
                    (Some(a), _) => a.clone(),
                    _ => "-".into(),
                };
                lines.push(vec![
                    d.id.to_string(),
                    d.status.clone(),
                    d.source.clone(),
                    d.format.clone(),
                    if d.table_id.is_empty() {
                        "-".into()
                    } else {
                        d.table_id.clone()
                    },
                    d.row_count.to_string(),
                    d.missing_count.to_string(),
                    periods,
                    format!("{} by {}", d.created_at, d.imported_by),
                    d.checksum.chars().take(12).collect(),
                ]);
            }
            write_aligned(out, &lines)?;
        }
    }
    Ok(())
}
