//! `lighed score`: run an index model offline on a CSV file (no database), and
//! `lighed models validate`: check a model file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use lighed_core::model::offline::{Cell, OfflineOptions, score_csv};

use super::Format;
use crate::catalog::ModelCatalog;

/// `lighed score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A shipped model's name (see `lighed models`) or a model file.
    #[arg(long)]
    pub model: String,
    /// Input CSV: `area_code` and the model's input columns (see models/README.md).
    #[arg(long)]
    pub input: PathBuf,
    /// Monte Carlo draws for rank uncertainty.
    #[arg(long, value_name = "N")]
    pub draws: Option<u32>,
    /// Seed of the draws (default 1).
    #[arg(long, value_name = "S", requires = "draws")]
    pub seed: Option<u64>,
    /// k of p_top_k (default 10).
    #[arg(long, value_name = "K", requires = "draws")]
    pub top_k: Option<u32>,
    /// Output format (csv or json).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// Scores the file and writes one row per input row, `area_code` first.
pub fn run_score(catalog: &ModelCatalog, a: &ScoreArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = catalog.resolve(&a.model)?;
    let name = a.input.display().to_string();
    let file = std::fs::File::open(&a.input).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| anyhow::anyhow!("{name}:1: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| anyhow::anyhow!("{name}:{}: {e}", i + 2))?;
        rows.push(rec.iter().map(str::to_owned).collect::<Vec<String>>());
    }
    let defaults = OfflineOptions::default();
    let opts = OfflineOptions {
        draws: a.draws,
        seed: a.seed.unwrap_or(defaults.seed),
        top_k: a.top_k.unwrap_or(defaults.top_k),
    };
    let output =
        score_csv(&model, &header, &rows, &opts).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    match a.format {
        Format::Csv | Format::Table => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&output.header)?;
            for row in &output.rows {
                w.write_record(row.iter().map(Cell::to_csv))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let rows: Vec<serde_json::Map<String, serde_json::Value>> = output
                .rows
                .iter()
                .map(|row| {
                    output
                        .header
                        .iter()
                        .zip(row)
                        .map(|(h, c)| {
                            let v = match c {
                                Cell::Int(i) => serde_json::Value::from(*i),
                                Cell::Num(x) => serde_json::Value::from(*x),
                                Cell::Text(t) => serde_json::Value::from(t.clone()),
                                Cell::Empty => serde_json::Value::Null,
                            };
                            (h.clone(), v)
                        })
                        .collect()
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Validates a model file: prints a one-line summary, or fails naming the key and line.
pub fn run_validate(file: &std::path::Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let m = crate::catalog::load_file(file)?;
    let levels: Vec<&str> = m.levels().iter().map(|l| l.as_str()).collect();
    writeln!(
        out,
        "ok: {} {} — {} indicators{}",
        m.name(),
        m.version(),
        m.indicators().len(),
        if levels.is_empty() {
            String::new()
        } else {
            format!(", ranks {}", levels.join(", "))
        }
    )?;
    Ok(())
}
