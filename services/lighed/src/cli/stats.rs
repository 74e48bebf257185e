//! `lighed stats METHOD --input FILE.csv`: the indicator statistics of `lighed_core::stats` for
//! analysts, on CSV files (issue 7 item 5).
//!
//! Input and output column contracts (CSV with a header; output numbers are printed with full
//! f64 round-trip precision, an empty field for a missing value; `--format json` gives an array
//! of objects with the same keys, `null` for missing):
//!
//! | method | input columns | output columns |
//! | --- | --- | --- |
//! | `proportion`, `rate` | `area,numerator,denominator` | `area,numerator,denominator,value,lower,upper,confidence,method` |
//! | `dsr` | `area,age_band,count,population[,events_per_person]` | `area,observed,population,value,lower,upper,confidence,method,note` |
//! | `isr` | as `dsr`, plus `--reference` with `age_band,count,population` | `area,observed,expected,value,lower,upper,confidence,method` |
//! | `funnel-proportion` | `area,numerator,denominator` | input + `lower_2s,upper_2s,lower_3s,upper_3s,significance` |
//! | `funnel-ratio` | `area,observed,expected` | input + `lower_2s,upper_2s,lower_3s,upper_3s,significance` |
//! | `quantile` | `area,value` (`--groups N [--invert]`) | `area,value,quantile` |
//! | `inequality` | `group,population,value` (group 1 = most deprived first) | `sii,rii,concentration_index,theil,par,paf,difference,ratio` |
//!
//! Default multipliers follow PHEindicatormethods: proportion 1, rate/dsr 100,000, isr ratio 1
//! (`--rate`: 100,000), funnel-proportion 100, funnel-ratio 1, inequality 1.
//!
//! Errors are one line, `file:line:column: message` (line 1 is the header, columns count from
//! 1), and nothing is written to the output: the whole result is built before it is written.
//! Empty numerator/denominator cells of `proportion`/`rate` give empty outputs (as the package
//! returns NA); empty count or population cells of `dsr`/`isr` are 0 (as the package treats NA
//! counts).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use lighed_core::stats::dsr::{EventFrequency, dsr, dsr_non_independent};
use lighed_core::stats::esp2013::{AGE_BANDS, ESP2013, band_index};
use lighed_core::stats::funnel::{
    FunnelLimits, proportion_funnel, ratio_funnel_limits_at, ratio_significance,
};
use lighed_core::stats::inequality::summarise;
use lighed_core::stats::isr::{expected_events, israte, isratio};
use lighed_core::stats::quantile::assign_quantiles;
use lighed_core::stats::rate::crude_rate;
use lighed_core::stats::wilson::proportion;
use lighed_core::stats::{Confidence, Estimate, Method, StatsError};

/// The statistic to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsMethod {
    /// Proportions with Wilson score limits.
    Proportion,
    /// Crude rates with exact (< 10 events) or Byar's limits.
    Rate,
    /// Directly age-standardised rates with Dobson limits.
    Dsr,
    /// Indirectly standardised ratios (or rates with --rate).
    Isr,
    /// Funnel-plot limits and significance for proportions.
    FunnelProportion,
    /// Funnel-plot limits and significance for ratios (observed/expected).
    FunnelRatio,
    /// Quantile (e.g. decile) assignment as PHE.
    Quantile,
    /// Inequality summaries across ordered groups.
    Inequality,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// `lighed stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The statistic.
    #[arg(value_enum)]
    pub method: StatsMethod,
    /// Input CSV file (columns per method, see `lighed stats --help`).
    #[arg(long)]
    pub input: PathBuf,
    /// Confidence level, in [0.9, 1) or [90, 100).
    #[arg(long, default_value_t = 0.95)]
    pub conf: f64,
    /// Multiplier of values and limits (default per method, e.g. 100000 for rates).
    #[arg(long)]
    pub multiplier: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Csv)]
    pub format: StatsFormat,
    /// Standard population for `dsr`: `esp2013` or a CSV file with `age_band,weight`.
    #[arg(long, default_value = "esp2013")]
    pub standard: String,
    /// Reference population CSV for `isr`: `age_band,count,population`.
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// For `isr`: output the indirectly standardised rate instead of the ratio.
    #[arg(long)]
    pub rate: bool,
    /// For `quantile`: the number of groups (e.g. 10 for deciles).
    #[arg(long)]
    pub groups: Option<usize>,
    /// For `quantile`: quantile 1 holds the highest values (PHE's default) instead of the lowest.
    #[arg(long)]
    pub invert: bool,
}

/// An input error located in a file: printed as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub file: String,
    /// 1-based line (1 = header).
    pub line: u64,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for InputError {}

/// Runs `lighed stats`, writing the whole result to `out` only when everything succeeded.
pub fn run(args: &StatsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let conf = Confidence::new(args.conf).map_err(|e| anyhow::anyhow!("--conf: {e}"))?;
    if let Some(m) = args.multiplier
        && !(m.is_finite() && m > 0.0)
    {
        anyhow::bail!("--multiplier {m} is invalid: it must be finite and > 0");
    }
    let table = match args.method {
        StatsMethod::Proportion | StatsMethod::Rate => proportion_or_rate(args, conf)?,
        StatsMethod::Dsr => run_dsr(args, conf)?,
        StatsMethod::Isr => run_isr(args, conf)?,
        StatsMethod::FunnelProportion => funnel_proportion(args)?,
        StatsMethod::FunnelRatio => funnel_ratio(args)?,
        StatsMethod::Quantile => quantile(args)?,
        StatsMethod::Inequality => inequality(args)?,
    };
    let bytes = match args.format {
        StatsFormat::Csv => table.to_csv()?,
        StatsFormat::Json => table.to_json()?,
    };
    out.write_all(&bytes)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Output tables

enum Cell {
    Num(Option<f64>),
    Int(Option<u32>),
    Text(String),
}

struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(columns: &[&'static str]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Num(v) => v.map(|v| v.to_string()).unwrap_or_default(),
                Cell::Int(v) => v.map(|v| v.to_string()).unwrap_or_default(),
                Cell::Text(s) => s.clone(),
            }))?;
        }
        Ok(w.into_inner()?)
    }

    fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row)
                    .map(|(k, c)| {
                        let v = match c {
                            Cell::Num(v) => v
                                .and_then(serde_json::Number::from_f64)
                                .map_or(serde_json::Value::Null, serde_json::Value::Number),
                            Cell::Int(v) => v.map_or(serde_json::Value::Null, |v| v.into()),
                            Cell::Text(s) => serde_json::Value::String(s.clone()),
                        };
                        (k.to_string(), v)
                    })
                    .collect()
            })
            .collect();
        let mut bytes = serde_json::to_vec_pretty(&rows)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

fn estimate_cells(e: &Estimate) -> [Cell; 5] {
    [
        Cell::Num(e.value),
        Cell::Num(e.lower),
        Cell::Num(e.upper),
        Cell::Num(Some(e.confidence.level())),
        Cell::Text(e.method.as_str().to_string()),
    ]
}

fn funnel_cells(l: &FunnelLimits) -> [Cell; 4] {
    [
        Cell::Num(Some(l.lower_2s)),
        Cell::Num(Some(l.upper_2s)),
        Cell::Num(Some(l.lower_3s)),
        Cell::Num(Some(l.upper_3s)),
    ]
}

// ---------------------------------------------------------------------------------------------
// Input

/// A CSV file read into memory with its header positions.
struct Input {
    file: String,
    header: Vec<String>,
    records: Vec<(u64, csv::StringRecord)>,
}

/// One record, with the helpers that locate errors.
struct Row<'a> {
    input: &'a Input,
    line: u64,
    record: &'a csv::StringRecord,
}

impl Input {
    fn read(path: &Path) -> anyhow::Result<Input> {
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| anyhow::anyhow!("{file}:1:1: cannot read: {}", csv_message(&e)))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| locate_csv(&file, &e))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut records = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| locate_csv(&file, &e))?;
            let line = rec.position().map_or(0, |p| p.line());
            records.push((line, rec));
        }
        Ok(Input {
            file,
            header,
            records,
        })
    }

    fn err(&self, line: u64, column: usize, message: impl Into<String>) -> anyhow::Error {
        InputError {
            file: self.file.clone(),
            line,
            column,
            message: message.into(),
        }
        .into()
    }

    /// 0-based index of a required column.
    fn column(&self, name: &str) -> anyhow::Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            self.err(
                1,
                self.header.len() + 1,
                format!(
                    "missing column \"{name}\" (header: {})",
                    self.header.join(",")
                ),
            )
        })
    }

    fn optional_column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(|(line, record)| Row {
            input: self,
            line: *line,
            record,
        })
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("record has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => e.to_string(),
    }
}

fn locate_csv(file: &str, e: &csv::Error) -> anyhow::Error {
    let line = e.position().map_or(1, |p| p.line());
    anyhow::anyhow!(
        "{}",
        InputError {
            file: file.to_string(),
            line,
            column: 1,
            message: csv_message(e),
        }
    )
}

impl Row<'_> {
    fn text(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("")
    }

    fn err(&self, col: usize, message: impl Into<String>) -> anyhow::Error {
        self.input.err(self.line, col + 1, message)
    }

    /// A number, `None` for an empty cell.
    fn number(&self, col: usize) -> anyhow::Result<Option<f64>> {
        let t = self.text(col);
        if t.is_empty() {
            return Ok(None);
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(self.err(
                col,
                format!(
                    "\"{t}\" in column {} is not a number",
                    self.input.header[col]
                ),
            )),
        }
    }

    /// A count: empty or a finite number ≥ 0.
    fn count(&self, col: usize) -> anyhow::Result<Option<f64>> {
        let v = self.number(col)?;
        if let Some(x) = v
            && x < 0.0
        {
            return Err(self.err(col, format!("{} {x} is negative", self.input.header[col])));
        }
        Ok(v)
    }

    fn required_count(&self, col: usize) -> anyhow::Result<f64> {
        self.count(col)?
            .ok_or_else(|| self.err(col, format!("{} is empty", self.input.header[col])))
    }

    fn positive(&self, col: usize) -> anyhow::Result<Option<f64>> {
        let v = self.count(col)?;
        if v == Some(0.0) {
            return Err(self.err(col, format!("{} must be > 0", self.input.header[col])));
        }
        Ok(v)
    }
}

/// Maps a core error to a located one, or passes it through.
fn stats_err(row: &Row<'_>, col: usize, e: StatsError) -> anyhow::Error {
    row.err(col, e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Methods

fn proportion_or_rate(args: &StatsArgs, conf: Confidence) -> anyhow::Result<Table> {
    let is_rate = args.method == StatsMethod::Rate;
    let m = args
        .multiplier
        .unwrap_or(if is_rate { 100_000.0 } else { 1.0 });
    let input = Input::read(&args.input)?;
    let (ca, cx, cn) = (
        input.column("area")?,
        input.column("numerator")?,
        input.column("denominator")?,
    );
    let mut t = Table::new(&[
        "area",
        "numerator",
        "denominator",
        "value",
        "lower",
        "upper",
        "confidence",
        "method",
    ]);
    for row in input.rows() {
        let x = row.count(cx)?;
        let n = row.positive(cn)?;
        let method = if is_rate {
            Method::Byars
        } else {
            Method::Wilson
        };
        let e = match (x, n) {
            (Some(x), Some(n)) => {
                if !is_rate && x > n {
                    return Err(row.err(
                        cx,
                        format!("numerator {x} exceeds denominator {n}: a proportion needs numerator ≤ denominator"),
                    ));
                }
                if is_rate {
                    crude_rate(x, n, conf, m).map_err(|e| stats_err(&row, cx, e))?
                } else {
                    proportion(x, n, conf, m).map_err(|e| stats_err(&row, cx, e))?
                }
            }
            _ => Estimate {
                value: None,
                lower: None,
                upper: None,
                confidence: conf,
                method,
                note: None,
            },
        };
        let mut cells = vec![
            Cell::Text(row.text(ca).to_string()),
            Cell::Num(x),
            Cell::Num(n),
        ];
        cells.extend(estimate_cells(&e));
        t.rows.push(cells);
    }
    Ok(t)
}

/// The age bands of a standard population and their weights.
fn standard(args: &StatsArgs) -> anyhow::Result<(Vec<usize>, Vec<f64>)> {
    if args.standard == "esp2013" {
        return Ok(((0..AGE_BANDS.len()).collect(), ESP2013.to_vec()));
    }
    let input = Input::read(Path::new(&args.standard))?;
    let (cb, cw) = (input.column("age_band")?, input.column("weight")?);
    let (mut bands, mut weights) = (Vec::new(), Vec::new());
    for row in input.rows() {
        let b = band_index(row.text(cb)).ok_or_else(|| {
            row.err(
                cb,
                format!(
                    "unknown age band \"{}\" (use {})",
                    row.text(cb),
                    AGE_BANDS.join(",")
                ),
            )
        })?;
        if bands.contains(&b) {
            return Err(row.err(cb, format!("age band {} appears twice", AGE_BANDS[b])));
        }
        bands.push(b);
        weights.push(row.required_count(cw)?);
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(input.err(1, cw + 1, "the standard population weights sum to 0"));
    }
    Ok((bands, weights))
}

/// Per area (in order of first appearance): per event frequency, per band: count; and per band
/// population, with the line of each population cell.
struct AgeData {
    areas: Vec<String>,
    /// area → frequency (as bits of f64, 1.0 when absent) → band → count
    counts: Vec<BTreeMap<u64, Vec<f64>>>,
    pops: Vec<Vec<Option<f64>>>,
    first_line: Vec<u64>,
}

fn read_age_data(
    input: &Input,
    bands: &[usize],
    fill_missing_pop: bool,
) -> anyhow::Result<AgeData> {
    let (ca, cb, cc, cp) = (
        input.column("area")?,
        input.column("age_band")?,
        input.column("count")?,
        input.column("population")?,
    );
    let cf = input.optional_column("events_per_person");
    let mut d = AgeData {
        areas: Vec::new(),
        counts: Vec::new(),
        pops: Vec::new(),
        first_line: Vec::new(),
    };
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for row in input.rows() {
        let area = row.text(ca).to_string();
        let b = band_index(row.text(cb)).ok_or_else(|| {
            row.err(
                cb,
                format!(
                    "unknown age band \"{}\" (use {})",
                    row.text(cb),
                    AGE_BANDS.join(",")
                ),
            )
        })?;
        let pos = bands.iter().position(|&x| x == b).ok_or_else(|| {
            row.err(
                cb,
                format!("age band {} is not in the standard/reference", AGE_BANDS[b]),
            )
        })?;
        let f = match cf {
            Some(cf) => {
                let f = row.required_count(cf)?;
                if f < 1.0 || f.fract() != 0.0 {
                    return Err(row.err(
                        cf,
                        format!("events_per_person {f} must be a whole number ≥ 1"),
                    ));
                }
                f
            }
            None => 1.0,
        };
        let count = row.count(cc)?.unwrap_or(0.0);
        let pop = row.count(cp)?.unwrap_or(0.0);
        let a = *index.entry(area.clone()).or_insert_with(|| {
            d.areas.push(area.clone());
            d.counts.push(BTreeMap::new());
            d.pops.push(vec![None; bands.len()]);
            d.first_line.push(row.line);
            d.areas.len() - 1
        });
        let per_band = d.counts[a]
            .entry(f.to_bits())
            .or_insert_with(|| vec![0.0; bands.len()]);
        per_band[pos] += count;
        match d.pops[a][pos] {
            Some(p) if p != pop => {
                return Err(row.err(
                    cp,
                    format!(
                        "population {pop} of {area} {} differs from an earlier row ({p})",
                        AGE_BANDS[b]
                    ),
                ));
            }
            _ => d.pops[a][pos] = Some(pop),
        }
    }
    if input.records.is_empty() {
        return Err(input.err(1, 1, "no data rows"));
    }
    if !fill_missing_pop {
        for (a, pops) in d.pops.iter().enumerate() {
            if let Some(pos) = pops.iter().position(Option::is_none) {
                return Err(input.err(
                    d.first_line[a],
                    cb + 1,
                    format!(
                        "area {} has no row for age band {}",
                        d.areas[a], AGE_BANDS[bands[pos]]
                    ),
                ));
            }
        }
    }
    Ok(d)
}

fn run_dsr(args: &StatsArgs, conf: Confidence) -> anyhow::Result<Table> {
    let m = args.multiplier.unwrap_or(100_000.0);
    let (bands, weights) = standard(args)?;
    let input = Input::read(&args.input)?;
    let d = read_age_data(&input, &bands, false)?;
    let cp = input.column("population")?;
    let mut t = Table::new(&[
        "area",
        "observed",
        "population",
        "value",
        "lower",
        "upper",
        "confidence",
        "method",
        "note",
    ]);
    for a in 0..d.areas.len() {
        let pops: Vec<f64> = d.pops[a].iter().map(|p| p.unwrap_or(0.0)).collect();
        let located = |e: StatsError| match e {
            StatsError::InvalidDenominator { index, value, .. } => input.err(
                d.first_line[a],
                cp + 1,
                format!(
                    "area {} age band {}: population {value} must be > 0",
                    d.areas[a], AGE_BANDS[bands[index]]
                ),
            ),
            other => input.err(d.first_line[a], 1, format!("area {}: {other}", d.areas[a])),
        };
        let independent = d.counts[a].len() == 1 && d.counts[a].contains_key(&1f64.to_bits());
        let e = if independent {
            dsr(&d.counts[a][&1f64.to_bits()], &pops, &weights, conf, m).map_err(located)?
        } else {
            let freqs: Vec<EventFrequency<'_>> = d.counts[a]
                .iter()
                .map(|(f, persons)| EventFrequency {
                    events_per_person: f64::from_bits(*f),
                    persons,
                })
                .collect();
            dsr_non_independent(&freqs, &pops, &weights, conf, m).map_err(located)?
        };
        let observed: f64 = d.counts[a]
            .iter()
            .map(|(f, c)| f64::from_bits(*f) * c.iter().sum::<f64>())
            .sum();
        let [v, l, u, c, meth] = estimate_cells(&e);
        t.rows.push(vec![
            Cell::Text(d.areas[a].clone()),
            Cell::Num(Some(observed)),
            Cell::Num(Some(pops.iter().sum())),
            v,
            l,
            u,
            c,
            meth,
            Cell::Text(e.note.clone().unwrap_or_default()),
        ]);
    }
    Ok(t)
}

fn run_isr(args: &StatsArgs, conf: Confidence) -> anyhow::Result<Table> {
    let reference = args.reference.as_ref().ok_or_else(|| {
        anyhow::anyhow!("isr needs --reference FILE with age_band,count,population")
    })?;
    let refin = Input::read(reference)?;
    let (cb, cc, cp) = (
        refin.column("age_band")?,
        refin.column("count")?,
        refin.column("population")?,
    );
    let (mut bands, mut ref_counts, mut ref_pops) = (Vec::new(), Vec::new(), Vec::new());
    for row in refin.rows() {
        let b = band_index(row.text(cb)).ok_or_else(|| {
            row.err(
                cb,
                format!(
                    "unknown age band \"{}\" (use {})",
                    row.text(cb),
                    AGE_BANDS.join(",")
                ),
            )
        })?;
        if bands.contains(&b) {
            return Err(row.err(cb, format!("age band {} appears twice", AGE_BANDS[b])));
        }
        let x = row.count(cc)?.unwrap_or(0.0);
        let n = row.count(cp)?.unwrap_or(0.0);
        if n == 0.0 && x > 0.0 {
            return Err(row.err(cp, "reference population is 0 but the count is not"));
        }
        bands.push(b);
        ref_counts.push(x);
        ref_pops.push(n);
    }
    let input = Input::read(&args.input)?;
    let d = read_age_data(&input, &bands, true)?;
    let m = args
        .multiplier
        .unwrap_or(if args.rate { 100_000.0 } else { 1.0 });
    let mut t = Table::new(&[
        "area",
        "observed",
        "expected",
        "value",
        "lower",
        "upper",
        "confidence",
        "method",
    ]);
    for a in 0..d.areas.len() {
        let pops: Vec<f64> = d.pops[a].iter().map(|p| p.unwrap_or(0.0)).collect();
        let at = |e: StatsError| input.err(d.first_line[a], 1, format!("area {}: {e}", d.areas[a]));
        let (expected, ref_rate) = expected_events(&pops, &ref_counts, &ref_pops).map_err(at)?;
        let observed: f64 = d.counts[a]
            .iter()
            .map(|(f, c)| f64::from_bits(*f) * c.iter().sum::<f64>())
            .sum();
        let e = if args.rate {
            israte(observed, expected, ref_rate, conf, m).map_err(at)?
        } else {
            isratio(observed, expected, conf, m).map_err(at)?
        };
        let mut cells = vec![
            Cell::Text(d.areas[a].clone()),
            Cell::Num(Some(observed)),
            Cell::Num(Some(expected)),
        ];
        cells.extend(estimate_cells(&e));
        t.rows.push(cells);
    }
    Ok(t)
}

fn funnel_proportion(args: &StatsArgs) -> anyhow::Result<Table> {
    let m = args.multiplier.unwrap_or(100.0);
    let input = Input::read(&args.input)?;
    let (ca, cx, cn) = (
        input.column("area")?,
        input.column("numerator")?,
        input.column("denominator")?,
    );
    let (mut xs, mut ns) = (Vec::new(), Vec::new());
    for row in input.rows() {
        let x = row.required_count(cx)?;
        let n = row
            .positive(cn)?
            .ok_or_else(|| row.err(cn, "denominator is empty"))?;
        if x > n {
            return Err(row.err(cx, format!("numerator {x} exceeds denominator {n}")));
        }
        xs.push(x);
        ns.push(n);
    }
    let (_, points) = proportion_funnel(&xs, &ns, m).map_err(|e| input.err(1, 1, e.to_string()))?;
    let mut t = Table::new(&[
        "area",
        "numerator",
        "denominator",
        "lower_2s",
        "upper_2s",
        "lower_3s",
        "upper_3s",
        "significance",
    ]);
    for (i, row) in input.rows().enumerate() {
        let mut cells = vec![
            Cell::Text(row.text(ca).to_string()),
            Cell::Num(Some(xs[i])),
            Cell::Num(Some(ns[i])),
        ];
        cells.extend(funnel_cells(&points[i].limits));
        cells.push(Cell::Text(points[i].significance.as_str().to_string()));
        t.rows.push(cells);
    }
    Ok(t)
}

fn funnel_ratio(args: &StatsArgs) -> anyhow::Result<Table> {
    let m = args.multiplier.unwrap_or(1.0);
    let input = Input::read(&args.input)?;
    let (ca, co, ce) = (
        input.column("area")?,
        input.column("observed")?,
        input.column("expected")?,
    );
    let mut t = Table::new(&[
        "area",
        "observed",
        "expected",
        "lower_2s",
        "upper_2s",
        "lower_3s",
        "upper_3s",
        "significance",
    ]);
    for row in input.rows() {
        let o = row.required_count(co)?;
        let e = row
            .positive(ce)?
            .ok_or_else(|| row.err(ce, "expected is empty"))?;
        let limits = ratio_funnel_limits_at(e, m).map_err(|err| stats_err(&row, ce, err))?;
        let sig = ratio_significance(o, e).map_err(|err| stats_err(&row, co, err))?;
        let mut cells = vec![
            Cell::Text(row.text(ca).to_string()),
            Cell::Num(Some(o)),
            Cell::Num(Some(e)),
        ];
        cells.extend(funnel_cells(&limits));
        cells.push(Cell::Text(sig.as_str().to_string()));
        t.rows.push(cells);
    }
    Ok(t)
}

fn quantile(args: &StatsArgs) -> anyhow::Result<Table> {
    let groups = args
        .groups
        .ok_or_else(|| anyhow::anyhow!("quantile needs --groups N (e.g. 10 for deciles)"))?;
    if groups == 0 {
        anyhow::bail!("--groups must be at least 1");
    }
    let input = Input::read(&args.input)?;
    let (ca, cv) = (input.column("area")?, input.column("value")?);
    let mut values = Vec::new();
    for row in input.rows() {
        values.push(row.number(cv)?);
    }
    let q = assign_quantiles(&values, groups, args.invert)
        .map_err(|e| input.err(1, 1, e.to_string()))?;
    let mut t = Table::new(&["area", "value", "quantile"]);
    for (i, row) in input.rows().enumerate() {
        t.rows.push(vec![
            Cell::Text(row.text(ca).to_string()),
            Cell::Num(values[i]),
            Cell::Int(q[i]),
        ]);
    }
    Ok(t)
}

fn inequality(args: &StatsArgs) -> anyhow::Result<Table> {
    let m = args.multiplier.unwrap_or(1.0);
    let input = Input::read(&args.input)?;
    let (_, cp, cv) = (
        input.column("group")?,
        input.column("population")?,
        input.column("value")?,
    );
    let (mut pops, mut values) = (Vec::new(), Vec::new());
    for row in input.rows() {
        pops.push(
            row.positive(cp)?
                .ok_or_else(|| row.err(cp, "population is empty"))?,
        );
        values.push(
            row.number(cv)?
                .ok_or_else(|| row.err(cv, "value is empty"))?,
        );
    }
    let s = summarise(&pops, &values, m).map_err(|e| input.err(1, 1, e.to_string()))?;
    let mut t = Table::new(&[
        "sii",
        "rii",
        "concentration_index",
        "theil",
        "par",
        "paf",
        "difference",
        "ratio",
    ]);
    t.rows.push(vec![
        Cell::Num(Some(s.sii)),
        Cell::Num(s.rii),
        Cell::Num(s.concentration_index),
        Cell::Num(s.theil),
        Cell::Num(Some(s.par)),
        Cell::Num(s.paf),
        Cell::Num(Some(s.difference)),
        Cell::Num(s.ratio),
    ]);
    Ok(t)
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // published values keep the source's digits
mod tests {
    use super::*;

    fn args(method: StatsMethod, input: &Path) -> StatsArgs {
        StatsArgs {
            method,
            input: input.to_path_buf(),
            conf: 0.95,
            multiplier: None,
            format: StatsFormat::Csv,
            standard: "esp2013".into(),
            reference: None,
            rate: false,
            groups: None,
            invert: false,
        }
    }

    fn file(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn run_ok(a: &StatsArgs) -> String {
        let mut out = Vec::new();
        run(a, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn run_err(a: &StatsArgs) -> String {
        let mut out = Vec::new();
        let e = run(a, &mut out).unwrap_err().to_string();
        assert!(out.is_empty(), "nothing may be written on error");
        e
    }

    #[test]
    fn proportion_round_trips_t3_with_full_precision() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "p.csv",
            "area,numerator,denominator\nA,1,100\nB,,100\n",
        );
        let out = run_ok(&args(StatsMethod::Proportion, &p));
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            Some("area,numerator,denominator,value,lower,upper,confidence,method")
        );
        // METHODS.md §4.3 T3: 1/100 → [0.0017674320641406511, 0.054486196178705294].
        let a: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(a[0], "A");
        let lower: f64 = a[4].parse().unwrap();
        assert!((lower - 0.001_767_432_064_140_651).abs() < 1e-17);
        assert_eq!(a[7], "Wilson");
        assert_eq!(lines.next(), Some("B,,100,,,,0.95,Wilson"));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "p.csv",
            "area,numerator,denominator\nA,1,100\nB,x,100\n",
        );
        let e = run_err(&args(StatsMethod::Proportion, &p));
        assert_eq!(
            e,
            format!(
                "{}:3:2: \"x\" in column numerator is not a number",
                p.display()
            )
        );
        let p = file(&dir, "q.csv", "area,numerator,denominator\nA,101,100\n");
        assert!(
            run_err(&args(StatsMethod::Proportion, &p))
                .contains("q.csv:2:2: numerator 101 exceeds")
        );
        // Rates may exceed their denominator.
        assert!(run_ok(&args(StatsMethod::Rate, &p)).contains("Byars"));
        let p = file(&dir, "r.csv", "area,numerator\nA,1\n");
        assert!(
            run_err(&args(StatsMethod::Rate, &p))
                .contains("r.csv:1:3: missing column \"denominator\"")
        );
    }

    /// METHODS.md §4.3 T5 (PHEindicatormethods `testdata_DSR_ISR.xlsx`): area "small".
    const SMALL: [u32; 19] = [12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4];
    const POP: [u32; 19] = [
        636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123,
        207,
    ];
    const REF_COUNT: [u32; 19] = [
        10303, 2824, 0, 3615, 3641, 3490, 3789, 3213, 3031, 2771, 3089, 3490, 3595, 4745, 5514,
        7125, 5694, 6210, 5757,
    ];
    const REF_POP: [u32; 19] = [
        50520, 57173, 60213, 54659, 44345, 50128, 62163, 67423, 62899, 55463, 60479, 49974, 44140,
        40888, 37239, 30819, 18136, 15325, 13918,
    ];

    fn age_file(dir: &tempfile::TempDir) -> PathBuf {
        let mut body = String::from("area,age_band,count,population\n");
        for b in 0..19 {
            body.push_str(&format!("small,{},{},{}\n", AGE_BANDS[b], SMALL[b], POP[b]));
        }
        for b in 0..19 {
            let c = if b == 18 {
                String::new()
            } else {
                "0".to_string()
            };
            body.push_str(&format!("none,{},{c},{}\n", AGE_BANDS[b], POP[b]));
        }
        file(dir, "age.csv", &body)
    }

    #[test]
    fn dsr_and_isr_reproduce_t5() {
        let dir = tempfile::tempdir().unwrap();
        let input = age_file(&dir);
        let out = run_ok(&args(StatsMethod::Dsr, &input));
        let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(
            rows[0].join(","),
            "area,observed,population,value,lower,upper,confidence,method,note"
        );
        let v: f64 = rows[1][3].parse().unwrap();
        assert!((v / 1103.212025300104 - 1.0).abs() < 1e-12);
        assert_eq!(rows[2][3], "");
        assert_eq!(rows[2][8], "dsr NA for total count < 10");

        let mut body = String::from("age_band,count,population\n");
        for b in 0..19 {
            body.push_str(&format!(
                "{},{},{}\n",
                AGE_BANDS[b], REF_COUNT[b], REF_POP[b]
            ));
        }
        let mut a = args(StatsMethod::Isr, &input);
        a.reference = Some(file(&dir, "ref.csv", &body));
        let out = run_ok(&a);
        let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
        let (e, r): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!((e / 835.88356123117433 - 1.0).abs() < 1e-12);
        assert!((r / 0.10886683770400503 - 1.0).abs() < 1e-12);
        a.rate = true;
        assert!(run_ok(&a).lines().nth(1).unwrap().contains("Byars"));
    }

    #[test]
    fn dsr_rejects_unknown_bands_and_negative_counts() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "a.csv",
            "area,age_band,count,population\nA,0-5,1,10\n",
        );
        assert!(
            run_err(&args(StatsMethod::Dsr, &p)).contains("a.csv:2:2: unknown age band \"0-5\"")
        );
        let p = file(
            &dir,
            "b.csv",
            "area,age_band,count,population\nA,0-4,-1,10\n",
        );
        assert!(run_err(&args(StatsMethod::Dsr, &p)).contains("b.csv:2:3: count -1 is negative"));
        let p = file(
            &dir,
            "c.csv",
            "area,age_band,count,population\nA,0-4,1,10\n",
        );
        assert!(run_err(&args(StatsMethod::Dsr, &p)).contains("has no row for age band 5-9"));
    }

    #[test]
    fn funnels_quantiles_and_inequality() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "f.csv",
            "area,numerator,denominator\nA,35078.488,41980\nB,24803.6256,31824\n",
        );
        let out = run_ok(&args(StatsMethod::FunnelProportion, &p));
        assert!(out.starts_with(
            "area,numerator,denominator,lower_2s,upper_2s,lower_3s,upper_3s,significance\n"
        ));
        assert!(out.contains("High (0.001)") && out.contains("Low (0.001)"));
        let p = file(
            &dir,
            "r.csv",
            "area,observed,expected\nA,151,106.4429719\nB,0,240.6273499\n",
        );
        let out = run_ok(&args(StatsMethod::FunnelRatio, &p));
        assert!(out.contains("A,151,106.4429719,") && out.ends_with("Low (0.001)\n"));

        let p = file(&dir, "q.csv", "area,value\na,3\nb,1\nc,\nd,2\n");
        let mut a = args(StatsMethod::Quantile, &p);
        assert!(run_err(&a).contains("--groups"));
        a.groups = Some(3);
        a.invert = true;
        assert_eq!(
            run_ok(&a),
            "area,value,quantile\na,3,1\nb,1,3\nc,,\nd,2,2\n"
        );
        a.format = StatsFormat::Json;
        let json: serde_json::Value = serde_json::from_str(&run_ok(&a)).unwrap();
        assert_eq!(json[2]["quantile"], serde_json::Value::Null);
        assert_eq!(json[0]["quantile"], 1);

        let p = file(
            &dir,
            "i.csv",
            "group,population,value\n1,100,10\n2,100,20\n",
        );
        let out = run_ok(&args(StatsMethod::Inequality, &p));
        let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(row.len(), 8);
        assert_eq!(row[6], "10");
        assert_eq!(row[7], "2");
    }
}
