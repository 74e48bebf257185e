//! Errors of definitions, microdata aggregation and scoring.

use thiserror::Error;

/// A definitions file was rejected. `Display` is one line: `file:line: key 'k': message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DefinitionError {
    /// Not valid TOML, an unknown key or a value of the wrong type.
    #[error("{source_name}:{line}: {message}")]
    Parse {
        /// File path or name.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// Well-formed, but a value breaks a rule.
    #[error("{source_name}:{line}: key '{key}': {message}")]
    Invalid {
        /// File path or name.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
        /// Dotted key, e.g. `segments[2].base.age`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// What is wrong with a microdata file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MicrodataErrorKind {
    /// A header names a CPR number (or another direct person identifier).
    #[error(
        "column '{column}' looks like a CPR number column: microdata must be pseudonymised and must not carry CPR numbers"
    )]
    CprColumn {
        /// The header as written.
        column: String,
    },
    /// A value looks like a CPR number (DDMMYY-SSSS or 10 digits with a valid date).
    #[error(
        "a value in column '{column}' looks like a CPR number (DDMMYY-SSSS with a valid date): microdata must not carry CPR numbers"
    )]
    CprValue {
        /// The column of the value (the value itself is never repeated in messages).
        column: String,
    },
    /// A header that is not part of the microdata format.
    #[error("unknown column '{column}': expected {expected}")]
    UnknownColumn {
        /// The header as written.
        column: String,
        /// The allowed columns.
        expected: String,
    },
    /// A column appears twice.
    #[error("column '{column}' appears twice")]
    DuplicateColumn {
        /// The header.
        column: String,
    },
    /// A column the definitions need is missing.
    #[error("missing column '{column}' ({why})")]
    MissingColumn {
        /// The column.
        column: String,
        /// Why it is needed.
        why: String,
    },
    /// The file has no header line.
    #[error("the file is empty: expected a header line")]
    Empty,
    /// A row has a different number of fields than the header.
    #[error("row has {found} fields, the header has {expected}")]
    FieldCount {
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// An age that is not a whole number of years in 0..=125.
    #[error("impossible age '{value}': ages must be whole years from 0 to 125")]
    ImpossibleAge {
        /// The value as written.
        value: String,
    },
    /// A code outside its list.
    #[error("invalid value '{value}' in column '{column}': expected {expected}")]
    InvalidCode {
        /// The column.
        column: String,
        /// The value as written (codes only; never free text).
        value: String,
        /// The allowed values.
        expected: String,
    },
    /// An area code that is empty, too long or contains spaces or control characters.
    #[error(
        "invalid area code: it must be 1-64 characters without spaces, control characters, ';', ',' or '\"'"
    )]
    InvalidAreaCode,
    /// The file is not valid UTF-8 in a text field, or the CSV is malformed.
    #[error("malformed CSV: {message}")]
    Csv {
        /// The CSV reader's message.
        message: String,
    },
    /// Reading the file failed.
    #[error("I/O error: {message}")]
    Io {
        /// The operating system's message.
        message: String,
    },
    /// A Parquet file that cannot be read (bad footer, corrupt page, unsupported codec, …).
    #[error("not a readable Parquet file: {message}")]
    Parquet {
        /// The Parquet reader's message.
        message: String,
    },
    /// A Parquet column of a type or shape that microdata cannot have.
    #[error("column '{column}' is {found}: expected {expected}")]
    UnsupportedColumn {
        /// The column.
        column: String,
        /// Its type or shape.
        found: String,
        /// What is accepted.
        expected: String,
    },
    /// More rows than the 32-bit counters hold.
    #[error("more than {max} rows")]
    TooManyRows {
        /// The limit.
        max: u64,
    },
    /// More distinct area codes than the aggregator accepts.
    #[error("more than {max} distinct area codes")]
    TooManyAreas {
        /// The limit.
        max: usize,
    },
}

/// A microdata file was rejected; nothing was aggregated. `Display`: `file:line: column 'c': …`
/// (`file:row N: …` for a row of a Parquet file).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}: {kind}", position(source_name, *line, *counts_rows))]
pub struct MicrodataError {
    /// The file path or name.
    pub source_name: String,
    /// 1-based line (1 = the header; 0 when no line applies, e.g. an I/O error on open); for a
    /// Parquet file ([`MicrodataError::counts_rows`]) the 1-based data row (0 = the file).
    pub line: u64,
    /// True when `line` counts the data rows of a Parquet file rather than text lines.
    pub counts_rows: bool,
    /// What is wrong.
    pub kind: MicrodataErrorKind,
}

/// `file:line`, `file:row N`, or `file` for a Parquet file as a whole.
fn position(source_name: &str, line: u64, counts_rows: bool) -> String {
    match (counts_rows, line) {
        (false, _) => format!("{source_name}:{line}"),
        (true, 0) => source_name.to_string(),
        (true, row) => format!("{source_name}:row {row}"),
    }
}

/// A scoring or release request cannot be answered.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// An aggregate observation does not fit the definitions or the other observations.
    #[error("aggregate observation {index} ({area_code}/{segment}): {message}")]
    BadObservation {
        /// 0-based position in the input.
        index: usize,
        /// Its area.
        area_code: String,
        /// Its segment.
        segment: String,
        /// What is wrong.
        message: String,
    },
    /// A requested segment id is not in the definitions.
    #[error("unknown segment '{0}'")]
    UnknownSegment(String),
    /// A scope area is not in the data.
    #[error("unknown area '{0}' in scope")]
    UnknownArea(String),
    /// A request argument is out of range.
    #[error("invalid argument '{argument}': {message}")]
    InvalidArgument {
        /// The argument.
        argument: String,
        /// What is wrong.
        message: String,
    },
    /// There is nothing to score.
    #[error("no aggregate counts: {0}")]
    NoData(String),
}
