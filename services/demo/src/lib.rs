//! Deterministic, seeded generator of lighed's **SYNTHETIC** demo extracts (`data/demo/`).
//!
//! Real geography (codes, names, centroids) is read from `data/geography/`; every value
//! written is synthetic. The same geography and seed give byte-identical files.
//!
//! Module map:
//! - [`geography`]: reads and validates `municipalities.csv`, `parishes.csv`, `region.toml`.
//! - [`spec`]: the hand-written model inputs (housing areas, town parishes, the real national
//!   age pyramid used as a shape, age-specific disease rates).
//! - [`population`]: municipal FOLK1A counts by sex × age, split exactly over parishes, and
//!   the housing areas as subsets of their host parish.
//! - [`indicators`]: numerator/denominator counts per unit, summed to parishes and
//!   municipalities; band × sex disease rows.
//! - [`segments`]: citizen-segment aggregates (members / base per parish × focus group ×
//!   age band × sex, 2025) drawn from the parish populations and indicators.
//! - [`output`]: the file writers (CSV via the `csv` crate) and the README.
//!
//! Determinism: all randomness comes from ChaCha8 streams whose 32-byte seeds are
//! SHA-256(seed ‖ label); no hash-map iteration; every float is turned into an integer (or an
//! integer number of tenths) before it is written, and the apportionments are done in
//! integer arithmetic. Transcendental functions (`exp`, `ln`) come from the platform's libm;
//! they are only used before a rounding or a random comparison, where a last-bit difference
//! between libm implementations changes an output with negligible probability.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

pub mod geography;
pub mod indicators;
pub mod output;
pub mod population;
pub mod segments;
pub mod spec;

pub use geography::Geography;

/// The default seed (the date the demo was first generated: 2026-11-24).
pub const DEFAULT_SEED: u64 = 20_261_124;

/// Register years of the extracts (1 January populations; FOLK1A `TID` = `<year>K1`).
pub const YEARS: [u16; 5] = [2021, 2022, 2023, 2024, 2025];
/// Number of years in [`YEARS`].
pub const N_YEARS: usize = 5;
/// Indices into [`YEARS`] of the survey years (2021 and 2025).
pub const SURVEY_YEAR_INDICES: [usize; 2] = [0, 4];

/// Names of the files the generator writes, in the order [`generate`] returns them.
pub const FILES: [&str; 5] = [
    output::README_FILE,
    output::HOUSING_AREAS_FILE,
    output::FOLK1A_FILE,
    output::INDICATORS_FILE,
    output::SEGMENTS_FILE,
];

/// Errors of the demo generator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CSV file could not be parsed (the csv error carries line and record).
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// `region.toml` could not be parsed.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// The geography parsed but breaks a rule (line 0 = the file as a whole).
    #[error("{file}, data line {line}: {message}")]
    InvalidGeography {
        /// File name inside the geography directory.
        file: String,
        /// 1-based data line (header excluded); 0 when the rule concerns the whole file.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The built-in model spec does not fit the geography (e.g. a named parish is missing).
    #[error("demo spec: {0}")]
    Spec(String),
    /// A probability distribution could not be constructed.
    #[error("distribution: {0}")]
    Distribution(String),
    /// Writing an output file in memory failed.
    #[error("writing {file}: {message}")]
    Output {
        /// Output file name.
        file: String,
        /// What failed.
        message: String,
    },
}

/// A ChaCha8 stream for one purpose: seed = SHA-256(`seed` little-endian ‖ `label`).
/// Separate streams keep one part's random numbers independent of how many another part
/// draws.
pub fn stream(seed: u64, label: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(label.as_bytes());
    let digest = h.finalize();
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    ChaCha8Rng::from_seed(key)
}

/// Generates all demo files in memory: `(file name, bytes)` in the order of [`FILES`].
///
/// Pure given its inputs: the same geography files and `seed` give identical bytes.
///
/// # Errors
/// Any [`DemoError`] from reading or validating the geography, or from the model spec not
/// matching it.
pub fn generate(geography_dir: &Path, seed: u64) -> Result<Vec<(String, Vec<u8>)>, DemoError> {
    let geo = Geography::load(geography_dir)?;
    generate_from(&geo, seed)
}

/// As [`generate`], from an already loaded [`Geography`].
///
/// # Errors
/// As [`generate`], minus the reading errors.
pub fn generate_from(geo: &Geography, seed: u64) -> Result<Vec<(String, Vec<u8>)>, DemoError> {
    let pop = population::build(geo, seed)?;
    let ind = indicators::build(geo, &pop, seed)?;
    let seg = segments::build(geo, &pop, &ind, seed)?;
    output::render(geo, &pop, &ind, &seg, seed)
}
