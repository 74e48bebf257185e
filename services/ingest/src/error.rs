//! Errors of the readers: one [`IngestError`] per offending cell, with file, line, column and the
//! offending value, collected (capped) into [`IngestErrors`] so that the user sees every problem
//! of a file in one run instead of one per attempt.

use std::fmt;

use thiserror::Error;

/// How many errors a reader keeps. Reading continues after the cap so that
/// [`IngestErrors::total`] counts every error in the file.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// Longest value (in characters) quoted in an error message; longer values are cut with `…`.
const MAX_VALUE_CHARS: usize = 80;

/// What is wrong with a cell, a row or the whole file.
///
/// The `Display` text is the human reason; [`ErrorKind::code`] is a stable machine name (for gRPC
/// field violations and for tests).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A 0-byte file (or one holding only blank lines).
    #[error("empty file: no header row")]
    EmptyFile,
    /// A file holding only the three bytes of a UTF-8 byte-order mark.
    #[error("the file holds only a UTF-8 byte-order mark: no header row")]
    BomOnly,
    /// A header row and nothing else.
    #[error("the file has a header but no data rows")]
    NoDataRows,
    /// The header is neither the long format nor a StatBank header, or a column is misplaced.
    #[error("unknown header: {expected}")]
    UnknownHeader {
        /// What was expected at this place.
        expected: String,
    },
    /// A column name appears twice in the header.
    #[error("column name appears twice in the header")]
    DuplicateColumn,
    /// A row with a different number of fields than the header (a truncated or an over-long line).
    #[error(
        "the row has {found} fields, the header has {expected} (truncated line or extra delimiter?)"
    )]
    WrongColumnCount {
        /// Fields in the header.
        expected: u64,
        /// Fields in this row.
        found: u64,
    },
    /// Not a number in the expected notation.
    #[error(
        "not a number: expected an optional minus, digits and an optional decimal part with '{separator}', no thousands separator"
    )]
    NotANumber {
        /// The decimal separator of this file.
        separator: char,
    },
    /// A decimal comma in a file read with `lang = en`.
    #[error(
        "decimal comma under lang=en: English StatBank exports use a decimal point (is this a Danish export? then import with --lang da)"
    )]
    DecimalCommaUnderEn,
    /// A decimal point in a file read with `lang = da` (it could be a thousands separator).
    #[error(
        "decimal point under lang=da: Danish StatBank exports use a decimal comma and no thousands separator (is this an English export? then import with --lang en)"
    )]
    DecimalPointUnderDa,
    /// A decimal comma in the long format, which always uses a decimal point.
    #[error(
        "decimal comma in the long format: write numbers with a decimal point and no thousands separator"
    )]
    DecimalCommaInLongFormat,
    /// A negative number where the indicator's kind allows none.
    #[error("negative value for {indicator}, which is a {kind}")]
    Negative {
        /// Indicator id.
        indicator: String,
        /// Its kind (`count`, `proportion`, `rate`).
        kind: &'static str,
    },
    /// A text with no known code (Value presentation). Never guessed.
    #[error("no code is known for this text of {variable}{hint}")]
    UnmappedText {
        /// The StatBank variable (column).
        variable: String,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },
    /// A code that is not valid for its variable.
    #[error("not a valid code of {variable} (expected {expected})")]
    UnknownCode {
        /// The StatBank variable (column).
        variable: String,
        /// Description of the valid codes.
        expected: String,
    },
    /// CodeAndValue presentation: the text names a different code than the code.
    #[error("the code of {variable} is {code} but its text means {text_code}")]
    CodeTextMismatch {
        /// The StatBank variable (column).
        variable: String,
        /// The code written in the cell.
        code: String,
        /// The code the text maps to.
        text_code: String,
    },
    /// Not a period code (`2020`, `2020K1`/`2020Q1`, `2020M01`, `2020U05`, `2007M01D01`).
    #[error("not a period: expected YYYY, YYYYKq or YYYYQq, YYYYMmm, YYYYUww or YYYYMmmDdd")]
    InvalidPeriod,
    /// An indicator id that is not in the registry.
    #[error("unknown indicator: not in the indicator registry (models/indicators.toml)")]
    UnknownIndicator,
    /// A proportion or rate with a numerator but no denominator.
    #[error("{indicator} is a {kind}: a denominator is required when the numerator is given")]
    DenominatorRequired {
        /// Indicator id.
        indicator: String,
        /// Its kind.
        kind: &'static str,
    },
    /// A count or value with a denominator.
    #[error("{indicator} is a {kind}: the denominator must be empty")]
    DenominatorNotAllowed {
        /// Indicator id.
        indicator: String,
        /// Its kind.
        kind: &'static str,
    },
    /// A proportion whose numerator exceeds its denominator.
    #[error("{indicator} is a proportion: the numerator exceeds the denominator")]
    NumeratorExceedsDenominator {
        /// Indicator id.
        indicator: String,
    },
    /// An empty or malformed area code.
    #[error("not an area code: expected 1-64 characters without spaces")]
    InvalidAreaCode,
    /// A sex other than empty, `1` or `2`.
    #[error("not a sex code: expected empty (both), 1 (men) or 2 (women)")]
    InvalidSex,
    /// An age band other than empty, `N`, `N-M` or `N+`.
    #[error("not an age band: expected empty (all ages), N, N-M or N+ with ages 0-150")]
    InvalidAgeBand,
    /// A malformed segment id.
    #[error("not a segment id: expected empty or 1-64 characters without spaces")]
    InvalidSegment,
    /// The same (area, indicator, period, age band, sex, segment) twice.
    #[error(
        "duplicate key: the same area, indicator, period, age band, sex and segment as line {first_line}"
    )]
    DuplicateKey {
        /// The line where the key first appeared.
        first_line: u64,
    },
    /// Bytes that are not UTF-8 in a file read as UTF-8.
    #[error("invalid UTF-8{}", if *.detected {
        " (the encoding was detected as UTF-8 from the start of the file; import with --encoding windows-1252 if the file is Windows-1252)"
    } else {
        " (--encoding utf-8 was requested; try --encoding windows-1252 or auto)"
    })]
    InvalidUtf8 {
        /// Whether UTF-8 was detected (true) or requested (false).
        detected: bool,
    },
    /// A UTF-8 byte-order mark in a file read as Windows-1252.
    #[error(
        "the file starts with a UTF-8 byte-order mark but --encoding windows-1252 was requested"
    )]
    BomWithWindows1252,
    /// The StatBank table could not be inferred from the header.
    #[error("the StatBank table is not given and {reason}; pass the table id (--table)")]
    TableRequired {
        /// Why inference failed.
        reason: String,
    },
    /// The table has no mapping in the registry.
    #[error(
        "table {table} has no mapping in the indicator registry (models/indicators.toml [[statbank]])"
    )]
    UnknownTable {
        /// The table id.
        table: String,
    },
    /// The header's variables do not fit any registry mapping of the table.
    #[error("no mapping of table {table} in the indicator registry fits this header: {reason}")]
    NoMapping {
        /// The table id.
        table: String,
        /// Why each mapping does not apply.
        reason: String,
    },
    /// BULK zero-filling would create more rows than allowed.
    #[error(
        "BULK zero-filling would create {cells} rows (limit {limit}): the combinations of the file's values are far more than its rows; check the selection or import without --bulk"
    )]
    BulkFillTooLarge {
        /// Rows the cartesian product would add.
        cells: u128,
        /// The limit.
        limit: u128,
    },
    /// A field of the StatBank classification file is not as expected.
    #[error("invalid classification field: {expected}")]
    InvalidClassification {
        /// What was expected.
        expected: String,
    },
    /// Reading the input failed.
    #[error("read error: {message}")]
    Io {
        /// The I/O error text.
        message: String,
    },
}

impl ErrorKind {
    /// A stable machine-readable name of the kind (snake case), e.g. `wrong_column_count`.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::EmptyFile => "empty_file",
            ErrorKind::BomOnly => "bom_only",
            ErrorKind::NoDataRows => "no_data_rows",
            ErrorKind::UnknownHeader { .. } => "unknown_header",
            ErrorKind::DuplicateColumn => "duplicate_column",
            ErrorKind::WrongColumnCount { .. } => "wrong_column_count",
            ErrorKind::NotANumber { .. } => "not_a_number",
            ErrorKind::DecimalCommaUnderEn => "decimal_comma_under_en",
            ErrorKind::DecimalPointUnderDa => "decimal_point_under_da",
            ErrorKind::DecimalCommaInLongFormat => "decimal_comma_in_long_format",
            ErrorKind::Negative { .. } => "negative",
            ErrorKind::UnmappedText { .. } => "unmapped_text",
            ErrorKind::UnknownCode { .. } => "unknown_code",
            ErrorKind::CodeTextMismatch { .. } => "code_text_mismatch",
            ErrorKind::InvalidPeriod => "invalid_period",
            ErrorKind::UnknownIndicator => "unknown_indicator",
            ErrorKind::DenominatorRequired { .. } => "denominator_required",
            ErrorKind::DenominatorNotAllowed { .. } => "denominator_not_allowed",
            ErrorKind::NumeratorExceedsDenominator { .. } => "numerator_exceeds_denominator",
            ErrorKind::InvalidAreaCode => "invalid_area_code",
            ErrorKind::InvalidSex => "invalid_sex",
            ErrorKind::InvalidAgeBand => "invalid_age_band",
            ErrorKind::InvalidSegment => "invalid_segment",
            ErrorKind::DuplicateKey { .. } => "duplicate_key",
            ErrorKind::InvalidUtf8 { .. } => "invalid_utf8",
            ErrorKind::BomWithWindows1252 => "bom_with_windows_1252",
            ErrorKind::TableRequired { .. } => "table_required",
            ErrorKind::UnknownTable { .. } => "unknown_table",
            ErrorKind::NoMapping { .. } => "no_mapping",
            ErrorKind::BulkFillTooLarge { .. } => "bulk_fill_too_large",
            ErrorKind::InvalidClassification { .. } => "invalid_classification",
            ErrorKind::Io { .. } => "io",
        }
    }
}

/// One problem in an input file, located by line and column.
///
/// `Display` gives `file:line:column: "value" — COLUMN: reason`. Lines and columns are 1-based;
/// the column is the field number in the row (the header's column name is in `column_name`).
/// File-level problems (empty file, missing rows) are reported at `1:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    /// The name of the source (file name) as given to the reader.
    pub source_name: String,
    /// 1-based line of the row in the file.
    pub line: u64,
    /// 1-based field number.
    pub column: u64,
    /// The header name of the column, when known.
    pub column_name: Option<String>,
    /// The offending value (cut to 80 characters).
    pub value: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl IngestError {
    /// Builds an error, cutting `value` to 80 characters.
    pub fn new(
        source_name: &str,
        line: u64,
        column: u64,
        column_name: Option<&str>,
        value: &str,
        kind: ErrorKind,
    ) -> IngestError {
        let value = if value.chars().count() > MAX_VALUE_CHARS {
            let mut cut: String = value.chars().take(MAX_VALUE_CHARS).collect();
            cut.push('…');
            cut
        } else {
            value.to_string()
        };
        IngestError {
            source_name: source_name.to_string(),
            line,
            column,
            column_name: column_name.map(str::to_string),
            value,
            kind,
        }
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {:?} — ",
            self.source_name, self.line, self.column, self.value
        )?;
        if let Some(name) = &self.column_name {
            write!(f, "{name}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for IngestError {}

/// Every error of one rejected file: the first [`MAX_REPORTED_ERRORS`] in file order and the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestErrors {
    /// The first errors, in the order they were found (file order).
    pub errors: Vec<IngestError>,
    /// The number of errors found, including those beyond the cap.
    pub total: u64,
}

impl IngestErrors {
    /// A single error.
    pub fn one(error: IngestError) -> IngestErrors {
        IngestErrors {
            errors: vec![error],
            total: 1,
        }
    }
}

impl fmt::Display for IngestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.total > self.errors.len() as u64 {
            write!(
                f,
                "\n… {} errors in total; the first {} are listed",
                self.total,
                self.errors.len()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for IngestErrors {}

/// Collects errors up to the cap and counts all of them.
#[derive(Debug, Default)]
pub(crate) struct ErrorSink {
    errors: Vec<IngestError>,
    total: u64,
}

impl ErrorSink {
    pub(crate) fn push(&mut self, error: IngestError) {
        self.total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Merges errors found separately (each list in line order, each holding its first errors),
    /// keeping the first [`MAX_REPORTED_ERRORS`] by line and column.
    pub(crate) fn merge(&mut self, errors: Vec<IngestError>, total: u64) {
        self.errors.extend(errors);
        self.errors.sort_by_key(|e| (e.line, e.column));
        self.errors.truncate(MAX_REPORTED_ERRORS);
        self.total += total;
    }

    pub(crate) fn into_errors(self) -> IngestErrors {
        IngestErrors {
            errors: self.errors,
            total: self.total,
        }
    }
}
