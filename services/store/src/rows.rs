//! Row types read from and written to the tables.

use lighed_core::geo::Level;
use lighed_core::obs::MissingReason;

/// An area as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AreaRow {
    /// Unique area code (`082`, `SR-VEST`, `657`, `7240`, `657-B01`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Level name (see [`Level::as_str`]).
    pub level: String,
    /// Short alternative name used on the command line (a council's `vest`).
    pub alias: Option<String>,
    /// The area directly above.
    pub parent_code: Option<String>,
    /// The municipality the area lies in (itself for a municipality).
    pub municipality_code: Option<String>,
    /// The health council the area lies in (itself for a council).
    pub council_code: Option<String>,
    /// Latest population from the active datasets.
    pub population: Option<i64>,
    /// Centroid longitude (WGS84).
    pub lon: Option<f64>,
    /// Centroid latitude (WGS84).
    pub lat: Option<f64>,
}

impl AreaRow {
    /// The typed level (the column has a CHECK constraint, so this only fails on a corrupt row).
    pub fn level(&self) -> Option<Level> {
        self.level.parse().ok()
    }
}

/// An area to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArea {
    /// Unique code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Level.
    pub level: Level,
    /// Short alternative name.
    pub alias: Option<String>,
    /// Parent area code (must exist, or be inserted earlier in the same batch).
    pub parent_code: Option<String>,
    /// Municipality code.
    pub municipality_code: Option<String>,
    /// Council code.
    pub council_code: Option<String>,
    /// Centroid (lon, lat).
    pub centroid: Option<(f64, f64)>,
}

/// A dataset (one import) as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DatasetRow {
    /// Dataset id.
    pub id: i64,
    /// Source file name.
    pub source: String,
    /// `statbank` or `long`.
    pub format: String,
    /// StatBank table id (e.g. `FOLK1A`), when known.
    pub table_id: Option<String>,
    /// sha256 of the imported bytes (hex).
    pub checksum: String,
    /// Detected or forced encoding.
    pub encoding: Option<String>,
    /// StatBank value presentation (code / text / code-and-text).
    pub presentation: Option<String>,
    /// Periods covered, comma-separated.
    pub periods: String,
    /// Observations stored.
    pub row_count: i64,
    /// Of which missing or suppressed.
    pub missing_count: i64,
    /// Who imported it.
    pub imported_by: String,
    /// When (RFC 3339 UTC).
    pub created_at: String,
    /// `loading`, `active` or `retired`.
    pub status: String,
    /// When it was retired.
    pub retired_at: Option<String>,
    /// Who retired it.
    pub retired_by: Option<String>,
}

/// A dataset to create (status `loading` until activated in the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDataset {
    /// Source file name.
    pub source: String,
    /// `statbank` or `long`.
    pub format: String,
    /// StatBank table id.
    pub table_id: Option<String>,
    /// sha256 of the bytes (hex).
    pub checksum: String,
    /// Encoding.
    pub encoding: Option<String>,
    /// Presentation.
    pub presentation: Option<String>,
    /// Who imports it.
    pub imported_by: String,
}

/// What an import found, recorded when its dataset is activated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatasetDone {
    /// Periods covered, comma-separated.
    pub periods: String,
    /// Observations stored.
    pub row_count: i64,
    /// Of which missing or suppressed.
    pub missing_count: i64,
    /// StatBank table id, if detected while reading.
    pub table_id: Option<String>,
    /// StatBank presentation, if detected while reading.
    pub presentation: Option<String>,
}

/// One whole-population value of an indicator for an area and period.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ObservationValue {
    /// Area code.
    pub area_code: String,
    /// Indicator id.
    pub indicator: String,
    /// Period code.
    pub period: String,
    /// Numerator (None when missing).
    pub numerator: Option<f64>,
    /// Denominator.
    pub denominator: Option<f64>,
    /// Why it is missing.
    pub missing_reason: Option<String>,
    /// The dataset it came from.
    pub dataset_id: i64,
}

impl ObservationValue {
    /// The typed missing reason.
    pub fn missing(&self) -> Option<MissingReason> {
        self.missing_reason
            .as_deref()
            .and_then(MissingReason::parse)
    }
}

/// The version of the data a result was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion {
    /// `d-` + 12 hex digits of a sha256 over the active datasets (`d-empty` when none).
    pub version: String,
    /// The active dataset ids, ascending.
    pub dataset_ids: Vec<i64>,
}

impl DataVersion {
    /// The dataset ids as stored in `model_runs.dataset_ids` (comma-separated).
    pub fn ids_csv(&self) -> String {
        self.dataset_ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A model run to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// Model name.
    pub model_name: String,
    /// Model version.
    pub model_version: String,
    /// Level ranked.
    pub level: String,
    /// Scope (`region`, `council:SR-VEST`, `municipality:657`).
    pub scope: String,
    /// Data version.
    pub data_version: String,
    /// Active dataset ids, comma-separated.
    pub dataset_ids: String,
    /// Who asked (authenticated principal, or the OS user for the CLI).
    pub requested_by: String,
    /// `grpc` or `cli`.
    pub channel: String,
    /// Rows returned.
    pub row_count: i64,
    /// sha256 of the canonical result, so a published list can be checked against the audit log.
    pub result_sha256: String,
}

/// A stored observation, every column.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ObservationRow {
    /// Dataset id.
    pub dataset_id: i64,
    /// Area code.
    pub area_code: String,
    /// Indicator id.
    pub indicator: String,
    /// Period code.
    pub period: String,
    /// Age band ('' = all).
    pub age_band: String,
    /// Sex ('' = both).
    pub sex: String,
    /// Segment ('' = everyone).
    pub segment: String,
    /// Numerator.
    pub numerator: Option<f64>,
    /// Denominator.
    pub denominator: Option<f64>,
    /// Why it is missing.
    pub missing_reason: Option<String>,
}
