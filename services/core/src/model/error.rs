//! Errors of model loading and scoring.

/// Why a model file was rejected or an indicator table could not be scored.
///
/// Model-file errors carry the source name (file path or model name), the 1-based line and, where
/// the problem belongs to a key, the key; the `Display` text is a single line of the form
/// `models/x.toml:12: key 'weight': weight must be a finite number > 0 (got -1)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The text is not valid TOML, or a key is unknown, or a value has the wrong type.
    #[error("{source_name}:{line}:{column}: {}{message}", key_prefix(key))]
    Parse {
        /// Where the text came from (file path or model name).
        source_name: String,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column (in characters) of the offending text.
        column: usize,
        /// The key involved, when it could be determined.
        key: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// The TOML is well-formed but a value breaks a rule of the model specification.
    #[error("{source_name}:{line}: key '{key}': {message}")]
    Invalid {
        /// Where the text came from (file path or model name).
        source_name: String,
        /// The key (dotted path, e.g. `indicators[3].weight`).
        key: String,
        /// 1-based line of the key's value (0 when the key is absent from the file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The indicator table lacks a column for one of the model's indicators.
    #[error("indicator table: no column for model indicator '{indicator}'")]
    MissingColumn {
        /// The model indicator without a column.
        indicator: String,
    },
    /// The indicator table has two columns for the same indicator.
    #[error("indicator table: column '{indicator}' appears more than once")]
    DuplicateColumn {
        /// The repeated indicator id.
        indicator: String,
    },
    /// An area code appears in two rows.
    #[error("indicator table: area code '{area_code}' appears in rows {first} and {second}")]
    DuplicateArea {
        /// The repeated code.
        area_code: String,
        /// 1-based row of the first occurrence.
        first: usize,
        /// 1-based row of the second occurrence.
        second: usize,
    },
    /// A column does not have one entry per area.
    #[error(
        "indicator table: column '{indicator}' has {numerators} numerators and {denominators} \
         denominators for {areas} areas"
    )]
    ColumnLength {
        /// The column's indicator.
        indicator: String,
        /// Number of areas (rows).
        areas: usize,
        /// Length of the numerator vector.
        numerators: usize,
        /// Length of the denominator vector.
        denominators: usize,
    },
    /// A numerator or denominator is impossible (negative, not finite, numerator above the
    /// denominator of a proportion, …).
    #[error("indicator table: '{indicator}' for area '{area_code}': {message}")]
    InvalidValue {
        /// The column's indicator.
        indicator: String,
        /// The area of the offending cell.
        area_code: String,
        /// What is wrong.
        message: String,
    },
    /// An argument of a scoring call is out of range (e.g. zero Monte Carlo draws).
    #[error("invalid argument '{argument}': {message}")]
    InvalidArgument {
        /// The argument's name.
        argument: String,
        /// What is wrong.
        message: String,
    },
}

fn key_prefix(key: &Option<String>) -> String {
    match key {
        Some(k) => format!("key '{k}': "),
        None => String::new(),
    }
}
