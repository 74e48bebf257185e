//! Import options: what the caller knows about a file (format, language, table, encoding,
//! presentation, BULK semantics). Everything left unset is detected from the file.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A Statistics Denmark StatBank CSV export (header of variable codes ending in `INDHOLD`).
    #[serde(rename = "statbank")]
    StatBank,
    /// lighed's generic long format (`area_code;indicator;period;numerator;denominator[;…]`),
    /// see `docs/formats.md`.
    Long,
}

/// Language of a StatBank export (`lang` of the API request). It decides the decimal separator
/// (`da`: comma, `en`: point) and which value texts are recognised. Codes do not depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Danish (the StatBank default): decimal comma, texts like `Hele landet`, `Mænd`, `0 år`.
    #[default]
    Da,
    /// English: decimal point, texts like `All Denmark`, `Men`, `0 years`.
    En,
}

/// Text encoding requested by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingChoice {
    /// UTF-8 (with or without BOM) when the first 64 KiB are valid UTF-8 or start with a BOM,
    /// otherwise Windows-1252.
    #[default]
    Auto,
    /// UTF-8, with or without BOM; invalid bytes are errors.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252 (what Excel on Danish Windows writes as "CSV (semikolonsepareret)").
    #[serde(rename = "windows-1252")]
    Windows1252,
}

/// The StatBank `valuePresentation` of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presentation {
    /// Codes: `751;1;0;2008K1;32976`.
    Code,
    /// Texts (the API default): `Aarhus;Mænd;0 år;2008K1;32976`.
    Value,
    /// Code, space, text: `751 Aarhus;1 Mænd;0 0 år;2008K1 2008K1;32976`.
    CodeAndValue,
}

/// What the caller tells the reader about a file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportOptions {
    /// The format; `None` detects it from the header (`area_code` first ⇒ long, `INDHOLD` last ⇒
    /// StatBank).
    pub format: Option<Format>,
    /// Language of a StatBank export (ignored by the long format, which always uses a decimal
    /// point).
    pub lang: Lang,
    /// StatBank table id (e.g. `FOLK1A`); `None` infers it when exactly one table of the registry
    /// has a mapping that fits the header.
    pub table: Option<String>,
    /// Text encoding.
    pub encoding: EncodingChoice,
    /// StatBank presentation; `None` detects it from the first data row.
    pub presentation: Option<Presentation>,
    /// StatBank BULK semantics: after the last row, every combination of the values seen that is
    /// absent from the file is added with value 0 (DST: "if a combination of values is absent,
    /// its observation is 0"). Present-but-empty cells stay missing in any case.
    pub bulk: bool,
}

/// A text that names no option value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct ParseOptionError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

macro_rules! text_enum {
    ($ty:ident, $what:literal, $( $variant:ident => [$($name:literal),+] ),+ $(,)?) => {
        impl $ty {
            /// The canonical name (as accepted by `FromStr` and written by serde).
            pub fn as_str(self) -> &'static str {
                match self { $( $ty::$variant => text_enum!(@first $($name),+), )+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $ty {
            type Err = ParseOptionError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase();
                $( if [$($name),+].contains(&lower.as_str()) { return Ok($ty::$variant); } )+
                Err(ParseOptionError {
                    what: $what,
                    value: s.to_string(),
                    expected: concat!($( text_enum!(@first $($name),+), " " ),+),
                })
            }
        }
    };
    (@first $first:literal $(, $rest:literal)*) => { $first };
}

text_enum!(Format, "format", StatBank => ["statbank", "stat_bank"], Long => ["long"]);
text_enum!(Lang, "language", Da => ["da"], En => ["en"]);
text_enum!(EncodingChoice, "encoding",
    Auto => ["auto"],
    Utf8 => ["utf-8", "utf8"],
    Windows1252 => ["windows-1252", "windows1252", "cp1252"],
);
text_enum!(Presentation, "presentation",
    Code => ["code"],
    Value => ["value", "text"],
    CodeAndValue => ["code_and_value", "codeandvalue"],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_round_trip() {
        for f in [Format::StatBank, Format::Long] {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        for l in [Lang::Da, Lang::En] {
            assert_eq!(l.as_str().parse::<Lang>(), Ok(l));
        }
        for e in [
            EncodingChoice::Auto,
            EncodingChoice::Utf8,
            EncodingChoice::Windows1252,
        ] {
            assert_eq!(e.as_str().parse::<EncodingChoice>(), Ok(e));
        }
        for p in [
            Presentation::Code,
            Presentation::Value,
            Presentation::CodeAndValue,
        ] {
            assert_eq!(p.as_str().parse::<Presentation>(), Ok(p));
        }
        assert_eq!("UTF-8".parse::<EncodingChoice>(), Ok(EncodingChoice::Utf8));
        let err = "latin1".parse::<EncodingChoice>().unwrap_err().to_string();
        assert!(
            err.contains("latin1") && err.contains("windows-1252"),
            "{err}"
        );
    }
}
