//! # lighed-segments
//!
//! Citizen segments (issue 6): groups of citizens — "NEET 16–24", "65+ living alone with a
//! chronic disease", "frequent prehospital contacts without acute somatic disease" — counted per
//! area from pseudonymised microdata or register cross-tabs, scored, and released only through
//! disclosure control.
//!
//! Module map:
//! - [`definition`]: segment definitions as data (`models/segments/*.toml`), validated into
//!   attribute boxes ([`Definitions`]).
//! - [`microdata`]: one streaming, parallel pass over person rows (CSV) to counts, rejecting
//!   CPR-like columns and values and impossible ages with the line named
//!   ([`aggregate_file`]); [`parquet_input`]: the same for Parquet files, one row group at a
//!   time.
//! - [`counts`]: [`SegmentCounts`] per area × segment × age band × sex, and their long-format
//!   observations (for storage as a versioned dataset, and read back from register input).
//! - [`release`]: [`ProtectedRelease`], segment tables after primary and complementary
//!   suppression (`lighed_core::disclosure`), linked across segments.
//! - [`score`](mod@score): prevalence, over-representation, excess and share, and a ranking of
//!   area × segment cells ([`score()`]), computed from a [`ProtectedRelease`] only.
//!
//! **Architecture invariant.** Raw counts ([`SegmentCounts`]) have no display path: the only
//! public way to numbers that may be shown is [`ProtectedRelease::new`], and every scored type
//! is built from a `ProtectedRelease` (the output structs are `#[non_exhaustive]`, so no other
//! crate can build one). Microdata rows are never kept: a pass holds counts and one batch.
//! This crate does no network or database I/O; it reads the microdata file it is given.

pub mod counts;
pub mod definition;
pub mod error;
pub mod microdata;
pub mod parquet_input;
mod records;
pub mod release;
pub mod score;

pub use counts::{CELLS, SEGMENT_INDICATOR, SegmentCounts};
pub use definition::{Definitions, FlagDef, SegmentDef, SetBox};
pub use error::{DefinitionError, MicrodataError, MicrodataErrorKind, SegmentError};
pub use microdata::{AggregateOptions, AggregateSummary, aggregate_file, aggregate_reader};
pub use parquet_input::{csv_to_parquet, is_parquet};
pub use release::{Cell, Column, ProtectedRelease, SegmentInfo};
pub use score::{
    CellScore, RankBy, ScoreQuery, SegmentNumbers, SegmentScores, SegmentTotals, score,
};
