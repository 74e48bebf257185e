//! `lighed plan`: deployment planning on CSV files, so any planning tool can call lighed
//! (issue 5 item 5). The work is done by `lighed_planner`; this module reads the files, maps
//! the flags and writes the result.
//!
//! ```text
//! lighed plan --demand D.csv --sites S.csv (--distances M.csv | --radius-km R) [--radius R]
//!             [--open P | --budget KR] [--objective coverage|median|set-cover]
//!             [--solver auto|exact|heuristic] [--time-limit SECONDS] [--format json|csv]
//!             [--teams N [--team-hours H] [--team-base SITE_ID]]
//!             [--min-share S] [--max-share S] [--council-budget KR] [--council-rules FILE]
//! ```
//!
//! Teams and fairness: `--teams N` outreach teams (with neither `--open` nor `--budget`, N sites
//! are opened) work `--team-hours H` hours a week each (default 37), spread over the open sites
//! in proportion to the need each reaches (`hours_per_week` per site in the output);
//! `--team-base SITE_ID` keeps the teams' base open. `--min-share S` / `--max-share S` (0–1,
//! coverage objective only): every health council reaches at least / at most S of its own need.
//! `--council-budget KR`: the yearly budget of each council for the sites in it (default
//! 1,600,000 kr, the 2026 split of the 8 mio. kr. pool into five). `--council-rules FILE`
//! overrides these per council: CSV `council,min_share,max_share,budget_kr`, an empty cell keeps
//! the default. Reach counts for the council of the demand point, cost for the council of the
//! site.
//!
//! File contracts (CSV, `,`-separated, with a header naming the columns; optional columns may be
//! left out; any other column is an error so that a misspelt name is not silently ignored):
//!
//! | file | columns |
//! | --- | --- |
//! | `D.csv` | `demand_id,weight[,council][,lon,lat]` |
//! | `S.csv` | `site_id[,capacity][,cost][,council][,required][,lon,lat]` |
//! | `M.csv` | `site_id,demand_id,distance` |
//! | `--council-rules` | `council[,min_share][,max_share][,budget_kr]` |
//!
//! Coverage is `distance <= radius` (inclusive). With `--radius-km R` distances are great-circle
//! metres between the `lon,lat` of the points (both files need them) and the radius is
//! `R × 1000` m; with `--distances M.csv` the radius is `--radius` in the matrix's units, and a
//! pair missing from the matrix means "no route". `required` accepts `true/false`, `1/0`,
//! `yes/no`, `ja/nej` (empty = false); empty `capacity`, `cost`, `council`, `lon,lat` cells mean
//! "none". Site costs count against their council's yearly budget (`--council-budget`, default
//! 1,600,000 kr; sites without a council or cost are not limited by it).
//!
//! Output (`--format json`, the default): one object with `objective`, `objective_value`,
//! `open_sites` (site ids), `covered_weight`, `uncovered_demand_points`, `mean_distance`,
//! `upper_bound`, `lower_bound`, `gap`, `proven_optimal`, `solver`, `solver_note`,
//! `percent_covered`, `covered_points`, `total_weight`, `distance_unit`, `sites` (per open site:
//! reach, marginal value, runner-up, reason) and, when councils are given, `councils` (need,
//! reached, share, spend, budget per council), and `inequality` (SII and concentration index of
//! the share of need reached across need deciles and councils, before — the required sites alone —
//! and after the plan). `--format csv`: one row per open site with the
//! plan's figures repeated on every row.
//!
//! Errors are one line, `file:line:column: message` for file problems (line 1 is the header,
//! columns count from 1); an infeasible request names the constraint (e.g. `open: 17 sites
//! requested but only 16 candidate sites exist`) and exits with status 2, as do invalid values
//! the planner rejects. Nothing is written on error.
//!
//! The heuristic's stopping rule (documented on `lighed_planner::SolveOptions`): the iterated
//! local search stops at the bound, after 400 perturbations without a better plan, or — once its
//! plan is within 0.1 % of the upper bound — after 50 without one.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::ValueEnum;

use crate::error::AppError;
use lighed_planner::{
    CandidateSite, CouncilRule, Coverage, DEFAULT_COUNCIL_BUDGET_KR, DemandPoint, DistanceEntry,
    DistanceMatrix, Fairness, Limit, LonLat, Objective, Plan, PlanError, PlanRequest, SolveOptions,
    SolverChoice, Teams,
};

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanObjective {
    /// Maximal covering: most demand weight within the radius of an open site.
    Coverage,
    /// p-median: least weighted distance to the nearest open site.
    Median,
    /// Set covering: fewest sites that cover every demand point.
    SetCover,
}

/// Which solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanSolver {
    /// Heuristic, then the exact search when the bound does not already prove the plan optimal
    /// (within the time limit, default 10 s).
    Auto,
    /// The exact search (to completion unless --time-limit is given).
    Exact,
    /// Greedy and local search with a bound; no exact search. The iterated local search stops
    /// at the bound, after 400 perturbations without a better plan, or once within 0.1 % of the
    /// bound after 50 without one.
    Heuristic,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// One JSON object.
    Json,
    /// One CSV row per open site.
    Csv,
}

/// `lighed plan`.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Demand points CSV: demand_id,weight[,council][,lon,lat].
    #[arg(long)]
    pub demand: PathBuf,
    /// Candidate sites CSV: site_id[,capacity][,cost][,council][,required][,lon,lat].
    #[arg(long)]
    pub sites: PathBuf,
    /// Distance matrix CSV: site_id,demand_id,distance (coverage is distance <= --radius).
    #[arg(
        long,
        required_unless_present = "radius_km",
        conflicts_with = "radius_km"
    )]
    pub distances: Option<PathBuf>,
    /// Coverage radius in km on great-circle distances between lon,lat.
    #[arg(long)]
    pub radius_km: Option<f64>,
    /// Coverage radius in the units of --distances.
    #[arg(long, requires = "distances")]
    pub radius: Option<f64>,
    /// Number of sites to open (required sites included).
    #[arg(long, conflicts_with = "budget")]
    pub open: Option<usize>,
    /// Total yearly budget in kr for the open sites.
    #[arg(long)]
    pub budget: Option<f64>,
    /// What to optimise.
    #[arg(long, value_enum, default_value_t = PlanObjective::Coverage)]
    pub objective: PlanObjective,
    /// Which solver.
    #[arg(long, value_enum, default_value_t = PlanSolver::Auto)]
    pub solver: PlanSolver,
    /// Wall-clock limit in seconds for the search.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,
    /// Number of outreach teams; with neither --open nor --budget, this many sites are opened.
    #[arg(long)]
    pub teams: Option<u32>,
    /// Working hours per team per week.
    #[arg(long, default_value_t = 37.0, requires = "teams")]
    pub team_hours: f64,
    /// Id of the candidate site the teams are based at (kept open).
    #[arg(long, requires = "teams")]
    pub team_base: Option<String>,
    /// Every health council reaches at least this share (0–1) of its own need (coverage only).
    #[arg(long)]
    pub min_share: Option<f64>,
    /// No health council reaches more than this share (0–1) of its own need (coverage only).
    #[arg(long)]
    pub max_share: Option<f64>,
    /// Yearly budget in kr of each health council for the sites in it.
    #[arg(long, default_value_t = DEFAULT_COUNCIL_BUDGET_KR)]
    pub council_budget: f64,
    /// Per-council rules CSV: council,min_share,max_share,budget_kr (empty = the default).
    #[arg(long)]
    pub council_rules: Option<PathBuf>,
}

/// A problem in an input file, located by line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
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

/// Runs `lighed plan`: reads the files, solves, writes the plan to `out`.
///
/// # Errors
/// File problems (with file, line and column), invalid flags, and infeasible requests (naming
/// the constraint).
pub fn run(args: &PlanArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let request = read_request(args)?;
    let problem = request.validate().map_err(plan_error)?;
    let options = SolveOptions {
        solver: match args.solver {
            PlanSolver::Auto => SolverChoice::Auto,
            PlanSolver::Exact => SolverChoice::Exact,
            PlanSolver::Heuristic => SolverChoice::Heuristic,
        },
        time_limit: match args.time_limit {
            None => None,
            Some(t) if t.is_finite() && t > 0.0 && t < 1e9 => Some(Duration::from_secs_f64(t)),
            Some(t) => anyhow::bail!("--time-limit must be a positive number of seconds, got {t}"),
        },
        ..SolveOptions::default()
    };
    let plan = lighed_planner::solve(&problem, &options).map_err(plan_error)?;
    let text = match args.format {
        PlanFormat::Json => {
            let mut s = serde_json::to_string_pretty(&plan_json(&plan))?;
            s.push('\n');
            s
        }
        PlanFormat::Csv => plan_csv(&plan)?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// A planner error as the CLI reports it: invalid values, infeasible requests (naming the
/// constraint) and requests no plan was found for are the caller's (exit status 2); a solver
/// backend failure is not (status 1).
fn plan_error(e: PlanError) -> anyhow::Error {
    match e {
        PlanError::Backend(_) => anyhow::anyhow!("plan: {e}"),
        e => AppError::invalid("plan", e.to_string()).into(),
    }
}

/// Builds the planner request from the flags and files.
fn read_request(args: &PlanArgs) -> anyhow::Result<PlanRequest> {
    let demand = read_demand(&args.demand)?;
    let sites = read_sites(&args.sites)?;
    let coverage = match (&args.distances, args.radius_km) {
        (Some(m), None) => Coverage::Matrix {
            distances: DistanceMatrix::Sparse(read_matrix(m)?),
            radius: args.radius,
        },
        (None, Some(r)) => {
            if !r.is_finite() || r < 0.0 {
                anyhow::bail!("--radius-km must be a finite number ≥ 0, got {r}");
            }
            Coverage::GreatCircle {
                radius_m: r * 1000.0,
            }
        }
        _ => anyhow::bail!("give exactly one of --distances or --radius-km"),
    };
    let limit = match (args.open, args.budget) {
        (Some(p), None) => Some(Limit::Open(p)),
        (None, Some(b)) => Some(Limit::Budget(b)),
        (None, None) => None,
        (Some(_), Some(_)) => anyhow::bail!("give at most one of --open and --budget"),
    };
    Ok(PlanRequest {
        demand,
        sites,
        coverage,
        limit,
        objective: match args.objective {
            PlanObjective::Coverage => Objective::Coverage,
            PlanObjective::Median => Objective::Median,
            PlanObjective::SetCover => Objective::SetCover,
        },
        fairness: Fairness {
            min_share: args.min_share,
            max_share: args.max_share,
            council_budget_kr: Some(args.council_budget),
            councils: match &args.council_rules {
                Some(path) => read_council_rules(path)?,
                None => BTreeMap::new(),
            },
        },
        teams: args.teams.map(|count| Teams {
            count,
            hours_per_week: args.team_hours,
            base: args.team_base.clone(),
        }),
    })
}

/// The columns of a CSV file (read one record at a time with [`Table::for_each`]).
struct Table {
    file: String,
    columns: HashMap<String, usize>,
}

type Reader = csv::Reader<std::fs::File>;

/// A column of a [`Table`], resolved once: its name and position (`None` when absent).
#[derive(Debug, Clone, Copy)]
struct Col {
    name: &'static str,
    index: Option<usize>,
}

impl Table {
    fn open(path: &Path, allowed: &[&str], required: &[&str]) -> anyhow::Result<(Table, Reader)> {
        let file = path.display().to_string();
        // Fields are trimmed when read (only the ones used), records are read as bytes into one
        // reused buffer: no per-record allocation or UTF-8 pass over the whole record.
        let mut reader = csv::ReaderBuilder::new()
            .buffer_capacity(1 << 16)
            .from_path(path)
            .with_context(|| format!("{file}: cannot open"))?;
        let header = reader
            .headers()
            .map_err(|e| anyhow::anyhow!("{file}:1:1: {e}"))?
            .clone();
        let mut columns = HashMap::new();
        for (k, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            if !allowed.contains(&name) {
                return Err(InputError {
                    file,
                    line: 1,
                    column: k + 1,
                    message: format!("unknown column '{name}' (expected {})", allowed.join(", ")),
                }
                .into());
            }
            if columns.insert(name.to_string(), k).is_some() {
                return Err(InputError {
                    file,
                    line: 1,
                    column: k + 1,
                    message: format!("column '{name}' appears twice"),
                }
                .into());
            }
        }
        for r in required {
            if !columns.contains_key(*r) {
                return Err(InputError {
                    file,
                    line: 1,
                    column: 1,
                    message: format!("missing column '{r}'"),
                }
                .into());
            }
        }
        if columns.contains_key("lon") != columns.contains_key("lat") {
            return Err(InputError {
                file,
                line: 1,
                column: 1,
                message: "give both lon and lat columns, or neither".into(),
            }
            .into());
        }
        Ok((Table { file, columns }, reader))
    }

    /// The column called `name`.
    fn col(&self, name: &'static str) -> Col {
        Col {
            name,
            index: self.columns.get(name).copied(),
        }
    }

    /// Calls `f(line, record)` for every data record, reusing one record buffer.
    fn for_each(
        &self,
        mut reader: Reader,
        mut f: impl FnMut(u64, &csv::ByteRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut rec = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    f(line, &rec)?;
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    anyhow::bail!("{}:{line}:1: {e}", self.file);
                }
            }
        }
    }

    fn err(&self, line: u64, col: Col, message: String) -> anyhow::Error {
        InputError {
            file: self.file.clone(),
            line,
            column: col.index.map_or(1, |c| c + 1),
            message,
        }
        .into()
    }

    /// The trimmed cell, `None` when the column is absent or the cell empty.
    fn cell<'r>(
        &self,
        line: u64,
        rec: &'r csv::ByteRecord,
        col: Col,
    ) -> anyhow::Result<Option<&'r str>> {
        let Some(bytes) = col.index.and_then(|k| rec.get(k)) else {
            return Ok(None);
        };
        let s = std::str::from_utf8(bytes)
            .map_err(|e| self.err(line, col, format!("invalid UTF-8 in {}: {e}", col.name)))?
            .trim();
        Ok((!s.is_empty()).then_some(s))
    }

    fn text(&self, line: u64, rec: &csv::ByteRecord, col: Col) -> anyhow::Result<String> {
        self.cell(line, rec, col)?
            .map(str::to_owned)
            .ok_or_else(|| self.err(line, col, format!("empty {}", col.name)))
    }

    /// A finite number ≥ 0, or `None` for an empty cell.
    fn number(&self, line: u64, rec: &csv::ByteRecord, col: Col) -> anyhow::Result<Option<f64>> {
        let Some(s) = self.cell(line, rec, col)? else {
            return Ok(None);
        };
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.err(
                line,
                col,
                format!("{} must be a finite number ≥ 0, got '{s}'", col.name),
            )),
        }
    }

    fn location(&self, line: u64, rec: &csv::ByteRecord) -> anyhow::Result<Option<LonLat>> {
        let (lon_col, lat_col) = (self.col("lon"), self.col("lat"));
        match (
            self.cell(line, rec, lon_col)?,
            self.cell(line, rec, lat_col)?,
        ) {
            (None, None) => Ok(None),
            (Some(lon), Some(lat)) => {
                let parse = |s: &str, col: Col, lim: f64| -> anyhow::Result<f64> {
                    match s.parse::<f64>() {
                        Ok(v) if v.is_finite() && v.abs() <= lim => Ok(v),
                        _ => Err(self.err(
                            line,
                            col,
                            format!("{} must be a number in −{lim}…{lim}, got '{s}'", col.name),
                        )),
                    }
                };
                Ok(Some(LonLat {
                    lon: parse(lon, lon_col, 180.0)?,
                    lat: parse(lat, lat_col, 90.0)?,
                }))
            }
            _ => Err(self.err(line, lon_col, "give both lon and lat, or neither".into())),
        }
    }
}

fn check_unique(
    t: &Table,
    seen: &mut HashMap<String, u64>,
    id: &str,
    line: u64,
    col: Col,
) -> anyhow::Result<()> {
    if let Some(first) = seen.insert(id.to_string(), line) {
        return Err(t.err(
            line,
            col,
            format!("duplicate {} '{id}' (first on line {first})", col.name),
        ));
    }
    Ok(())
}

fn read_demand(path: &Path) -> anyhow::Result<Vec<DemandPoint>> {
    let (t, reader) = Table::open(
        path,
        &["demand_id", "weight", "council", "lon", "lat"],
        &["demand_id", "weight"],
    )?;
    let (id_col, weight_col, council_col) = (t.col("demand_id"), t.col("weight"), t.col("council"));
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    t.for_each(reader, |line, rec| {
        let id = t.text(line, rec, id_col)?;
        check_unique(&t, &mut seen, &id, line, id_col)?;
        let weight = t
            .number(line, rec, weight_col)?
            .ok_or_else(|| t.err(line, weight_col, "empty weight".into()))?;
        out.push(DemandPoint {
            id,
            weight,
            population: None,
            council: t.cell(line, rec, council_col)?.map(str::to_owned),
            location: t.location(line, rec)?,
        });
        Ok(())
    })?;
    if out.is_empty() {
        anyhow::bail!("{}: no demand points", t.file);
    }
    Ok(out)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "ja" | "y" => Some(true),
        "false" | "0" | "no" | "nej" | "n" => Some(false),
        _ => None,
    }
}

fn read_sites(path: &Path) -> anyhow::Result<Vec<CandidateSite>> {
    let (t, reader) = Table::open(
        path,
        &[
            "site_id", "capacity", "cost", "council", "required", "lon", "lat",
        ],
        &["site_id"],
    )?;
    let (id_col, capacity_col, cost_col, council_col, required_col) = (
        t.col("site_id"),
        t.col("capacity"),
        t.col("cost"),
        t.col("council"),
        t.col("required"),
    );
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    t.for_each(reader, |line, rec| {
        let id = t.text(line, rec, id_col)?;
        check_unique(&t, &mut seen, &id, line, id_col)?;
        let required = match t.cell(line, rec, required_col)? {
            None => false,
            Some(s) => parse_bool(s).ok_or_else(|| {
                t.err(
                    line,
                    required_col,
                    format!("required must be true/false, 1/0, yes/no or ja/nej, got '{s}'"),
                )
            })?,
        };
        out.push(CandidateSite {
            id,
            capacity: t.number(line, rec, capacity_col)?,
            cost: t.number(line, rec, cost_col)?,
            required,
            council: t.cell(line, rec, council_col)?.map(str::to_owned),
            location: t.location(line, rec)?,
        });
        Ok(())
    })?;
    if out.is_empty() {
        anyhow::bail!("{}: no candidate sites", t.file);
    }
    Ok(out)
}

fn read_matrix(path: &Path) -> anyhow::Result<Vec<DistanceEntry>> {
    let (t, reader) = Table::open(
        path,
        &["site_id", "demand_id", "distance"],
        &["site_id", "demand_id", "distance"],
    )?;
    let (site_col, demand_col, distance_col) =
        (t.col("site_id"), t.col("demand_id"), t.col("distance"));
    // Sized from the file: about 25 bytes a row.
    let rows_guess = std::fs::metadata(path).map_or(0, |m| m.len() / 25) as usize;
    let mut out = Vec::with_capacity(rows_guess.min(1 << 24));
    t.for_each(reader, |line, rec| {
        out.push(DistanceEntry {
            site_id: t.text(line, rec, site_col)?,
            demand_id: t.text(line, rec, demand_col)?,
            distance: t
                .number(line, rec, distance_col)?
                .ok_or_else(|| t.err(line, distance_col, "empty distance".into()))?,
        });
        Ok(())
    })?;
    Ok(out)
}

/// `--council-rules`: `council[,min_share][,max_share][,budget_kr]`, one row per council; an
/// empty cell keeps the default. Shares are checked (0–1) by the planner, which also rejects a
/// council no demand point or site belongs to.
fn read_council_rules(path: &Path) -> anyhow::Result<BTreeMap<String, CouncilRule>> {
    let (t, reader) = Table::open(
        path,
        &["council", "min_share", "max_share", "budget_kr"],
        &["council"],
    )?;
    let (council_col, min_col, max_col, budget_col) = (
        t.col("council"),
        t.col("min_share"),
        t.col("max_share"),
        t.col("budget_kr"),
    );
    let mut seen = HashMap::new();
    let mut out = BTreeMap::new();
    t.for_each(reader, |line, rec| {
        let council = t.text(line, rec, council_col)?;
        check_unique(&t, &mut seen, &council, line, council_col)?;
        let rule = CouncilRule {
            min_share: t.number(line, rec, min_col)?,
            max_share: t.number(line, rec, max_col)?,
            budget_kr: t.number(line, rec, budget_col)?,
        };
        out.insert(council, rule);
        Ok(())
    })?;
    Ok(out)
}

/// The JSON output object.
fn plan_json(plan: &Plan) -> serde_json::Value {
    let mut v = serde_json::json!({
        "objective": plan.objective.as_str(),
        "objective_value": plan.objective_value,
        "open_sites": plan.open_sites.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        "covered_weight": plan.covered_weight,
        "covered_points": plan.covered_points,
        "uncovered_demand_points": plan.uncovered_demand_points,
        "percent_covered": plan.percent_covered,
        "total_weight": plan.total_weight,
        "mean_distance": plan.mean_distance,
        "distance_unit": plan.distance_unit,
        "upper_bound": plan.upper_bound,
        "lower_bound": plan.lower_bound,
        "gap": plan.gap,
        "proven_optimal": plan.proven_optimal,
        "solver": plan.solver.as_str(),
        "solver_note": plan.solver_note,
        "greedy_value": plan.greedy_value,
        "nodes": plan.nodes,
        "sites": plan.open_sites,
        "inequality": plan.inequality,
    });
    if !plan.councils.is_empty() {
        v["councils"] = serde_json::to_value(&plan.councils).unwrap_or_default();
    }
    v
}

/// One CSV row per open site, the plan's figures repeated on each.
fn plan_csv(plan: &Plan) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "site_id",
        "council",
        "required",
        "cost",
        "reached_weight",
        "reached_points",
        "marginal_value",
        "runner_up",
        "runner_up_loss",
        "objective",
        "objective_value",
        "covered_weight",
        "uncovered_demand_points",
        "mean_distance",
        "upper_bound",
        "lower_bound",
        "gap",
        "proven_optimal",
        "solver",
    ])?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    for s in &plan.open_sites {
        w.write_record([
            s.id.clone(),
            s.council.clone().unwrap_or_default(),
            s.required.to_string(),
            s.cost.to_string(),
            s.reached_weight.to_string(),
            s.reached_points.to_string(),
            s.marginal_value.to_string(),
            s.runner_up
                .as_ref()
                .map_or(String::new(), |r| r.site_id.clone()),
            opt(s.runner_up.as_ref().map(|r| r.loss)),
            plan.objective.as_str().to_string(),
            plan.objective_value.to_string(),
            plan.covered_weight.to_string(),
            plan.uncovered_demand_points.to_string(),
            opt(plan.mean_distance),
            plan.upper_bound.to_string(),
            plan.lower_bound.to_string(),
            plan.gap.to_string(),
            plan.proven_optimal.to_string(),
            plan.solver.as_str().to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
