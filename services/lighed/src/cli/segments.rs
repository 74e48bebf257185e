//! `lighed segments`: aggregate pseudonymised microdata into a stored aggregate dataset, and rank
//! area × segment cells — every printed number released through disclosure control
//! (`lighed_segments::ProtectedRelease`).
//!
//! - `aggregate --input people.csv|people.parquet --definitions FILE [--period P]`: one pass
//!   over the microdata (CSV, or Parquet detected by its magic bytes) with a progress bar; the aggregates (never the rows) are written as long-format
//!   observations of indicator `segment_persons` to a temporary file in the data directory and
//!   imported through the one import path ([`crate::datasets::import_file`]): validated,
//!   versioned, all-or-nothing. Prints the dataset row; never a count.
//! - `rank --definitions FILE (--input people.csv|.parquet | --aggregates crosstabs.csv)`: scores from
//!   microdata (aggregated in-process) or register cross-tabs in the long format, protected,
//!   ranked, printed as a table, CSV or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use lighed_core::disclosure::MinCellSize;
use lighed_core::stats::Confidence;
use lighed_segments::{
    AggregateOptions, Cell, Definitions, ProtectedRelease, RankBy, SEGMENT_INDICATOR, ScoreQuery,
    SegmentCounts, SegmentScores, aggregate_file, score,
};

use super::Format;
use crate::settings::Settings;

/// `lighed segments`.
#[derive(Debug, Args)]
pub struct SegmentsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SegmentsAction,
}

/// The `segments` subcommands.
#[derive(Debug, Subcommand)]
pub enum SegmentsAction {
    /// Aggregate pseudonymised microdata (one row per person) and store the aggregates as a new
    /// dataset (indicator segment_persons). The rows are never stored or printed.
    Aggregate(AggregateArgs),
    /// Rank area x segment cells by need, with disclosure control on every printed number.
    Rank(SegmentRankArgs),
}

/// `lighed segments aggregate`.
#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// Microdata, CSV or Parquet: area_code, age, sex, [education], [origin] and the
    /// definitions' flags.
    #[arg(long)]
    pub input: PathBuf,
    /// Segment definitions (e.g. models/segments/rm-focus-groups.toml).
    #[arg(long)]
    pub definitions: PathBuf,
    /// Period of the data, as published (e.g. 2025).
    #[arg(long, default_value = "2025")]
    pub period: String,
    /// Worker threads (default: the machine's cores, at most 8).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format of the dataset row.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `lighed segments rank`.
#[derive(Debug, Args)]
pub struct SegmentRankArgs {
    /// Segment definitions.
    #[arg(long)]
    pub definitions: PathBuf,
    /// Microdata (CSV or Parquet), aggregated in this process (nothing stored).
    #[arg(
        long,
        conflicts_with = "aggregates",
        required_unless_present = "aggregates"
    )]
    pub input: Option<PathBuf>,
    /// Register cross-tabs in the long format (indicator segment_persons, age band x sex cells).
    #[arg(long)]
    pub aggregates: Option<PathBuf>,
    /// Area codes of the scope, comma separated (default: every area).
    #[arg(long, value_delimiter = ',')]
    pub scope: Option<Vec<String>>,
    /// Segment ids, comma separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub segment: Option<Vec<String>>,
    /// Ranking key: excess (persons above expected), persons, ratio or prevalence.
    #[arg(long, default_value = "excess")]
    pub by: String,
    /// Print only the first N ranked cells.
    #[arg(long)]
    pub top: Option<usize>,
    /// Minimum cell size (5 or more).
    #[arg(long, default_value_t = 5)]
    pub k: u64,
    /// Confidence level of the intervals (e.g. 95 or 0.95).
    #[arg(long, default_value_t = 95.0)]
    pub confidence: f64,
    /// Worker threads for --input.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The registry entry of the aggregate indicator, used when the shipped registry
/// (`models/indicators.toml`) does not define it yet.
const SEGMENT_INDICATOR_TOML: &str = r#"
[indicators.segment_persons]
label = { da = "Personer i borgersegment", en = "Persons in citizen segment" }
unit = "%"
kind = "proportion"
direction = "higher_is_worse"
min_denominator = 5
numerator = "persons in the segment (long-format column segment = the segment id)"
denominator = "persons in the segment's base population"
source = "lighed segments aggregate: pseudonymised microdata aggregated by lighed-segments (models/segments/*.toml)"
"#;

fn load_definitions(path: &Path) -> anyhow::Result<Definitions> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading definitions {}", path.display()))?;
    Ok(Definitions::from_toml(&path.display().to_string(), &text)?)
}

fn options(
    threads: Option<usize>,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> AggregateOptions<'_> {
    let mut o = AggregateOptions::default();
    if let Some(t) = threads {
        o.threads = t.max(1);
    }
    o.progress = progress;
    o
}

/// Runs `lighed segments …`; `aggregate` opens the state named by `settings` (and
/// `models_dir`), `rank` needs none.
pub async fn run(
    args: &SegmentsArgs,
    settings: &Settings,
    models_dir: Option<&Path>,
    principal: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match &args.action {
        SegmentsAction::Aggregate(a) => aggregate(a, settings, models_dir, principal, out).await,
        SegmentsAction::Rank(a) => rank(a, out),
    }
}

async fn aggregate(
    a: &AggregateArgs,
    settings: &Settings,
    models_dir: Option<&Path>,
    principal: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let defs = load_definitions(&a.definitions)?;
    let len = std::fs::metadata(&a.input)
        .with_context(|| format!("reading {}", a.input.display()))?
        .len();
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .map_err(|e| anyhow::anyhow!("progress style: {e}"))?,
    );
    bar.set_message("aggregating");
    let tick = {
        let bar = bar.clone();
        move |n: u64| bar.inc(n)
    };
    let input = a.input.clone();
    let threads = a.threads;
    let defs_for_pass = defs.clone();
    let result = tokio::task::spawn_blocking(move || {
        aggregate_file(&input, &defs_for_pass, &options(threads, Some(&tick)))
    })
    .await
    .context("aggregation thread")?;
    bar.finish_and_clear();
    let (counts, summary) = result?;

    let mut state = crate::state::open(settings, models_dir).await?;
    if state.registry.indicator(SEGMENT_INDICATOR).is_none() {
        let text = format!(
            "{}\n{SEGMENT_INDICATOR_TOML}",
            lighed_ingest::registry::BUNDLED_REGISTRY
        );
        let registry = lighed_ingest::Registry::from_toml_str(&text, "models/indicators.toml")
            .map_err(|e| anyhow::anyhow!("indicator registry: {e}"))?;
        state.registry = Arc::new(registry);
    }
    // The aggregates (not the rows) go through the one import path as a long-format file,
    // spooled like a file received over gRPC.
    let mut spool = crate::datasets::Spool::new(&state).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(
        b"area_code;indicator;period;numerator;denominator;age_band;sex;segment\n",
    );
    for o in counts.to_observations_for_storage(&a.period) {
        writeln!(
            buf,
            "{};{};{};{};{};{};{};{}",
            o.area_code,
            o.indicator,
            o.period,
            o.numerator.map(|v| format!("{v:.0}")).unwrap_or_default(),
            o.denominator.map(|v| format!("{v:.0}")).unwrap_or_default(),
            o.age_band,
            o.sex,
            o.segment
        )?;
        if buf.len() >= 1 << 20 {
            spool.write(&buf).await?;
            buf.clear();
        }
    }
    spool.write(&buf).await?;
    let source_name = format!(
        "segments:{}:{}",
        defs.name,
        a.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let req = crate::import::ImportRequest {
        source_name,
        options: lighed_ingest::ImportOptions {
            format: Some(lighed_ingest::Format::Long),
            ..lighed_ingest::ImportOptions::default()
        },
        imported_by: principal.to_string(),
    };
    let (row, existing) = crate::datasets::import_spool(&state, &req, spool).await?;
    if existing {
        eprintln!(
            "the same aggregates were imported before as dataset {}; nothing was written",
            row.id
        );
    }
    eprintln!(
        "{} persons in {} areas aggregated for {} segments ({} threads)",
        summary.rows,
        summary.areas,
        defs.segments.len(),
        summary.threads
    );
    super::output::write_datasets(out, &[row], a.format)?;
    state.store.close().await;
    Ok(())
}

fn rank(a: &SegmentRankArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let defs = load_definitions(&a.definitions)?;
    let k = MinCellSize::new(a.k)?;
    let confidence = Confidence::new(a.confidence)?;
    let rank_by = RankBy::parse(&a.by).ok_or_else(|| {
        anyhow::anyhow!(
            "--by {}: expected one of excess, persons, ratio, prevalence",
            a.by
        )
    })?;
    let counts = match (&a.input, &a.aggregates) {
        (Some(input), _) => aggregate_file(input, &defs, &options(a.threads, None))?.0,
        (None, Some(path)) => read_aggregates(path, &defs)?,
        (None, None) => anyhow::bail!("give --input or --aggregates"),
    };
    let release = ProtectedRelease::new(&counts, &defs, k)?;
    let query = ScoreQuery {
        scope: a.scope.clone(),
        segments: a.segment.clone(),
        rank_by,
        top: a.top,
        confidence,
    };
    let scores = score(&release, &query)?;
    write_scores(out, &scores, a.format)
}

fn read_aggregates(path: &Path, defs: &Definitions) -> anyhow::Result<SegmentCounts> {
    let text = format!(
        "{}\n{SEGMENT_INDICATOR_TOML}",
        lighed_ingest::registry::BUNDLED_REGISTRY
    );
    let registry = match lighed_ingest::Registry::bundled() {
        Ok(r) if r.indicator(SEGMENT_INDICATOR).is_some() => r,
        _ => lighed_ingest::Registry::from_toml_str(&text, "models/indicators.toml")
            .map_err(|e| anyhow::anyhow!("indicator registry: {e}"))?,
    };
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    let mut reader = lighed_ingest::Reader::new(
        &name,
        std::io::BufReader::new(file),
        &lighed_ingest::ImportOptions::default(),
        &registry,
    )?;
    let mut obs = Vec::new();
    while let Some(batch) = reader.next_batch(10_000) {
        obs.extend(batch);
    }
    reader.finish()?;
    Ok(SegmentCounts::from_observations(&obs, defs)?)
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

/// Writes scores as an aligned table, CSV (suppressed cells as `..(reason)`) or JSON.
pub fn write_scores(out: &mut dyn Write, s: &SegmentScores, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, s)?;
        writeln!(out)?;
        return Ok(());
    }
    let header = [
        "rank",
        "area_code",
        "segment",
        "persons",
        "base",
        "prevalence_pct",
        "prevalence_lower",
        "prevalence_upper",
        "expected",
        "ratio",
        "ratio_lower",
        "ratio_upper",
        "excess",
        "share_of_region_pct",
        "reason",
    ];
    let rows: Vec<Vec<String>> = s
        .cells
        .iter()
        .map(|c| {
            let n = &c.numbers;
            let p = n.prevalence.as_ref();
            let r = n.ratio.as_ref();
            vec![
                c.rank.map(|r| r.to_string()).unwrap_or_default(),
                c.area_code.clone(),
                c.segment.clone(),
                n.persons.display(),
                n.base.display(),
                num(p.and_then(|p| p.value), 1),
                num(p.and_then(|p| p.lower), 1),
                num(p.and_then(|p| p.upper), 1),
                num(n.expected, 1),
                num(r.and_then(|r| r.value), 2),
                num(r.and_then(|r| r.lower), 2),
                num(r.and_then(|r| r.upper), 2),
                num(n.excess, 1),
                num(n.share_of_region, 1),
                c.reason.clone(),
            ]
        })
        .collect();
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(header)?;
        for r in &rows {
            w.write_record(r)?;
        }
        w.flush()?;
        return Ok(());
    }
    // Table: the numeric columns, then the reason on its own line.
    writeln!(
        out,
        "segment scores ({}; k = {}; {} cells)",
        s.definitions,
        s.k,
        s.cells.len()
    )?;
    let widths: Vec<usize> = (0..14)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cols: &[String]| {
        cols.iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(
        out,
        "{}",
        line(
            &header[..14]
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
        )
    )?;
    for r in &rows {
        writeln!(out, "{}", line(&r[..14]))?;
        writeln!(out, "    {}", r[14])?;
    }
    for t in &s.totals {
        let show = |c: Cell| c.display();
        writeln!(
            out,
            "{}: scope {} of {} ({}), region {} of {} ({}){}",
            t.segment,
            show(t.scope.persons),
            show(t.scope.base),
            t.scope
                .prevalence
                .as_ref()
                .and_then(|p| p.value)
                .map(|v| format!("{v:.1} %"))
                .unwrap_or_else(|| "-".into()),
            show(t.region.persons),
            show(t.region.base),
            t.region
                .prevalence
                .as_ref()
                .and_then(|p| p.value)
                .map(|v| format!("{v:.1} %"))
                .unwrap_or_else(|| "-".into()),
            if t.protected {
                ""
            } else {
                " [table could not be protected: zeros only]"
            }
        )?;
    }
    if !s.unknown_areas.is_empty() {
        writeln!(out, "not in the data: {}", s.unknown_areas.join(", "))?;
    }
    writeln!(out, "method: {}", s.method)?;
    Ok(())
}
