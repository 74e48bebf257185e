//! # lighed-ingest
//!
//! Readers for register extracts (issue 4): Statistics Denmark StatBank CSV exports and lighed's
//! generic long format, turned into [`Observation`](lighed_core::obs::Observation)s in bounded
//! memory, with every problem of a bad file reported as `file:line:column: value — reason`.
//!
//! The database side (transactions, dataset rows, gRPC, CLI) is not here: the store calls
//! [`Reader::new`], then [`Reader::next_batch`] until `None`, then [`Reader::finish`], and commits
//! only on `Ok`. This crate does no database or network I/O and has no async runtime.
//!
//! Module map:
//! - [`reader`]: the streaming [`Reader`] and the [`DatasetSummary`] (duplicate-key detection,
//!   BULK zero-filling, totals check, SHA-256 of the bytes).
//! - [`options`]: [`ImportOptions`] (format, language, table, encoding, presentation, BULK).
//! - [`registry`]: the indicator registry `models/indicators.toml` (typed, validated).
//! - [`error`]: [`IngestError`], [`ErrorKind`], [`IngestErrors`].
//! - [`period`]: StatBank period codes (`2020K1` = `2020Q1`, `2020M01`, `2020U05`, `2007M01D01`).
//! - [`classification`]: DST classification exports (`SEKVENS;KODE;NIVEAU;TITEL;…`).
//! - [`vocab`]: known value texts (municipality, region, sex, age, civil-status texts → codes).
//! - internal: `input` (bytes → records: hashing, BOM, encoding), `keys` (duplicate keys in
//!   16 bytes per row), `number` (decimal comma/point),
//!   `statbank` and `long` (the two row formats).
//!
//! Invariants: a suppressed (`..`) or empty cell is an observation with a
//! [`MissingReason`](lighed_core::obs::MissingReason), never 0 (only BULK's *absent* combinations
//! become 0, on request); a text without a known code is an error, never a guess; totals are read
//! from `IALT`/`TOT` rows, never summed; a file with any error yields no summary.
//!
//! The formats are documented for analysts in `docs/formats.md`.

pub mod classification;
pub mod error;
mod input;
mod keys;
pub mod long;
mod number;
pub mod options;
pub mod period;
pub mod reader;
pub mod registry;
mod statbank;
pub mod vocab;

pub use classification::{Classification, ClassificationItem, read_classification};
pub use error::{ErrorKind, IngestError, IngestErrors, MAX_REPORTED_ERRORS};
pub use input::{EncodingInfo, SNIFF_BYTES, TextEncoding};
pub use options::{EncodingChoice, Format, ImportOptions, Lang, ParseOptionError, Presentation};
pub use period::{PeriodError, PeriodKind, canonical_period};
pub use reader::{DatasetSummary, Reader};
pub use registry::{
    Direction, IndicatorDef, IndicatorKind, Registry, RegistryError, StatbankMapping,
};
