//! The `lighed` command line (clap). Each subcommand validates its arguments, opens the state the
//! same way the server does (creating and seeding the database on first use), calls the shared
//! use case and formats the result.

pub mod output;
pub mod plan;
pub mod score;
pub mod segments;
pub mod stats;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ranking::{Caller, RankRequest, ScopeRequest};
use crate::settings::{DEFAULT_LISTEN, Settings};

/// lighed — where to send health-equality effort in Region Midtjylland: ranked, explained,
/// reproducible priority lists of municipalities, parishes and social-housing areas.
#[derive(Debug, Parser)]
#[command(name = "lighed", version, about, long_about = None)]
pub struct Cli {
    /// Data directory; the embedded SQLite database is DATA_DIR/lighed.db (created on first use).
    #[arg(
        long,
        global = true,
        env = "LIGHED_DATA_DIR",
        default_value = "./lighed-data"
    )]
    pub data_dir: PathBuf,
    /// Database URL instead of the embedded SQLite file, e.g. postgres://user@host:5432/lighed.
    #[arg(
        long,
        global = true,
        env = "LIGHED_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Directory of index model files to use instead of the shipped ones.
    #[arg(long, global = true, env = "LIGHED_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC service (creates and seeds the database on first start).
    Serve(ServeArgs),
    /// Rank areas offline against the local database (no server needed).
    Rank(RankArgs),
    /// List areas of a level.
    Areas(AreasArgs),
    /// List the index models, or validate a model file (`lighed models validate FILE`).
    Models(ModelsArgs),
    /// Run an index model offline on a CSV file (no database): scores, ranks, deciles, the
    /// model's output columns and, with --draws, rank uncertainty.
    Score(score::ScoreArgs),
    /// Import a register extract (StatBank CSV export or the long format) as a new dataset.
    Import(ImportArgs),
    /// List, inspect or retire datasets.
    Datasets(DatasetsArgs),
    /// Indicator statistics for analysts (Wilson, Byar, DSR, ISR, funnels, quantiles,
    /// inequality) on a CSV file; no database needed.
    Stats(stats::StatsArgs),
    /// Plan where outreach staff and housing-area efforts go (maximal covering, p-median, set
    /// cover) from CSV files; no database needed.
    Plan(plan::PlanArgs),
    /// Citizen segments: aggregate pseudonymised microdata into a dataset, rank area × segment
    /// cells (disclosure control on every printed number).
    Segments(segments::SegmentsArgs),
}

/// `lighed import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// File format (default: detected from the header).
    #[arg(long, value_parser = ["statbank", "long"])]
    pub format: Option<String>,
    /// Language of a StatBank export: da (decimal comma) or en (decimal point).
    #[arg(long, value_parser = ["da", "en"], default_value = "da")]
    pub lang: String,
    /// StatBank table id, e.g. FOLK1A (default: detected where possible).
    #[arg(long)]
    pub table: Option<String>,
    /// Text encoding.
    #[arg(long, value_parser = ["auto", "utf-8", "windows-1252"], default_value = "auto")]
    pub encoding: String,
    /// Output format for the resulting dataset.
    #[arg(long = "output", value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// `lighed datasets`.
#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: DatasetsAction,
}

/// `lighed datasets list|show|retire`.
#[derive(Debug, Subcommand)]
pub enum DatasetsAction {
    /// List datasets (active ones; `--all` includes retired ones).
    List {
        /// Include retired datasets.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one dataset.
    Show {
        /// Dataset id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Retire a dataset: it stops feeding models but stays for audit.
    Retire {
        /// Dataset id.
        id: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `lighed serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LIGHED_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// CSV with a header.
    Csv,
    /// JSON.
    Json,
}

/// `lighed rank`.
#[derive(Debug, Args)]
pub struct RankArgs {
    /// Level to rank: municipality, parish or housing_area.
    #[arg(long)]
    pub level: String,
    /// Index model (default: the service's default model; see `lighed models`).
    #[arg(long)]
    pub model: Option<String>,
    /// Restrict to one health council (id such as `vest`, code such as `SR-VEST`, or name).
    #[arg(long, conflicts_with = "municipality")]
    pub council: Option<String>,
    /// Restrict to one municipality (3-digit code, e.g. 657 for Herning).
    #[arg(long)]
    pub municipality: Option<String>,
    /// Return only the N areas with the highest need.
    #[arg(long = "top", value_name = "N")]
    pub top: Option<u32>,
    /// Monte Carlo draws for rank uncertainty (adds rank_median, rank_p05, rank_p95, p_top_k,
    /// p_top_decile, tie_group).
    #[arg(long, value_name = "N")]
    pub draws: Option<u32>,
    /// Seed of the draws (default 1); the same seed gives the same output.
    #[arg(long, value_name = "S", requires = "draws")]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `lighed areas`.
#[derive(Debug, Args)]
pub struct AreasArgs {
    /// Level: region, council, municipality, parish or housing_area.
    #[arg(long, default_value = "municipality")]
    pub level: String,
    /// Only areas inside this council (id/code/name) or municipality (code).
    #[arg(long)]
    pub parent: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `lighed models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// What to do (default: list).
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `lighed models list|validate`.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// List the models (the default).
    List,
    /// Check a model file; errors name the key and line.
    Validate {
        /// The model file.
        file: PathBuf,
    },
}

impl Cli {
    /// The settings these flags describe.
    pub fn settings(&self, listen: Option<SocketAddr>) -> Settings {
        Settings {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|u| !u.is_empty()),
            listen: listen.unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("constant address")),
        }
    }
}

/// The principal recorded for CLI runs: `cli:<OS user>`.
pub fn cli_caller() -> Caller {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Caller {
        principal: format!("cli:{user}"),
        channel: "cli",
    }
}

/// Runs an offline subcommand (everything but `serve`), writing its result to `out`.
pub async fn run_offline(cli: &Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    let settings = cli.settings(None);
    match &cli.command {
        Command::Serve(_) => anyhow::bail!("serve is not an offline command"),
        Command::Rank(a) => {
            let state = crate::state::open(&settings, cli.models_dir.as_deref()).await?;
            let scope = match (&a.council, &a.municipality) {
                (Some(c), _) => ScopeRequest::Council(c.clone()),
                (None, Some(m)) => ScopeRequest::Municipality(m.clone()),
                (None, None) => ScopeRequest::Region,
            };
            let req = RankRequest {
                model: a.model.clone(),
                level: a.level.clone(),
                scope,
                top_n: a.top,
                draws: a.draws,
                seed: a.seed,
            };
            let ranking = crate::ranking::rank(&state, &req, &cli_caller()).await?;
            output::write_ranking(out, &ranking, a.format)?;
            state.store.close().await;
        }
        Command::Areas(a) => {
            let state = crate::state::open(&settings, cli.models_dir.as_deref()).await?;
            let areas =
                crate::state::list_areas(&state, &a.level, a.parent.as_deref().unwrap_or(""))
                    .await?;
            output::write_areas(out, &areas, a.format)?;
            state.store.close().await;
        }
        Command::Import(a) => {
            let state = crate::state::open(&settings, cli.models_dir.as_deref()).await?;
            let options = crate::datasets::options_from_text(
                a.format.as_deref().unwrap_or(""),
                &a.lang,
                a.table.as_deref().unwrap_or(""),
                &a.encoding,
            )?;
            let req = crate::import::ImportRequest {
                source_name: a
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| a.file.display().to_string()),
                options,
                imported_by: cli_caller().principal,
            };
            let len = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                )
                .map_err(|e| anyhow::anyhow!("progress style: {e}"))?,
            );
            bar.set_message("importing");
            let wrap_bar = bar.clone();
            let wrap = move |f: std::fs::File| -> Box<dyn std::io::Read + Send> {
                Box::new(wrap_bar.wrap_read(f))
            };
            let result = crate::datasets::import_file(&state, &req, &a.file, Some(&wrap)).await;
            bar.finish_and_clear();
            let (row, existing) = result?;
            if existing {
                eprintln!(
                    "the same bytes were imported before as dataset {}; nothing was written",
                    row.id
                );
            }
            output::write_datasets(out, &[row], a.output)?;
            state.store.close().await;
        }
        Command::Datasets(a) => {
            let state = crate::state::open(&settings, cli.models_dir.as_deref()).await?;
            match &a.action {
                DatasetsAction::List { all, format } => {
                    let rows = crate::datasets::list(&state, *all).await?;
                    output::write_datasets(out, &rows, *format)?;
                }
                DatasetsAction::Show { id, format } => {
                    let row = crate::datasets::get(&state, *id).await?;
                    output::write_datasets(out, &[row], *format)?;
                }
                DatasetsAction::Retire { id, format } => {
                    let row = crate::datasets::retire(&state, *id, &cli_caller().principal).await?;
                    output::write_datasets(out, &[row], *format)?;
                }
            }
            state.store.close().await;
        }
        Command::Stats(a) => stats::run(a, out)?,
        Command::Plan(a) => plan::run(a, out)?,
        Command::Segments(a) => {
            segments::run(
                a,
                &settings,
                cli.models_dir.as_deref(),
                &cli_caller().principal,
                out,
            )
            .await?
        }
        Command::Models(a) => match &a.action {
            Some(ModelsAction::Validate { file }) => score::run_validate(file, out)?,
            None | Some(ModelsAction::List) => {
                let catalog = match &cli.models_dir {
                    Some(d) => crate::catalog::ModelCatalog::from_dir(d)?,
                    None => crate::catalog::ModelCatalog::bundled()?,
                };
                output::write_models(out, &catalog, a.format)?;
            }
        },
        Command::Score(a) => {
            let catalog = match &cli.models_dir {
                Some(d) => crate::catalog::ModelCatalog::from_dir(d)?,
                None => crate::catalog::ModelCatalog::bundled()?,
            };
            score::run_score(&catalog, a, out)?;
        }
    }
    Ok(())
}
