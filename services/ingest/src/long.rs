//! lighed's generic long format (documented in `docs/formats.md`):
//!
//! ```text
//! area_code;indicator;period;numerator;denominator[;age_band[;sex[;segment]]]
//! ```
//!
//! `;` or `,` as delimiter (taken from the header line), decimal point always, no thousands
//! separator. Empty numerator ⇒ missing ([`MissingReason::Empty`]), `..` ⇒ suppressed
//! ([`MissingReason::Suppressed`]). Empty age band / sex / segment ⇒ all.

use std::collections::HashMap;

use lighed_core::obs::{MissingReason, Observation};

use crate::error::ErrorKind;
use crate::input::Row;
use crate::number::{NumberStyle, parse_number};
use crate::period::canonical_period;
use crate::registry::{IndicatorKind, Registry};
use crate::statbank::{HeaderError, RowOutcome};
use crate::vocab::MAX_BAND_AGE;

/// The columns of the long format, in order; the first five are required.
pub const LONG_COLUMNS: [&str; 8] = [
    "area_code",
    "indicator",
    "period",
    "numerator",
    "denominator",
    "age_band",
    "sex",
    "segment",
];

const REQUIRED: usize = 5;
const MAX_ID_CHARS: usize = 64;

/// The layout of one long-format file.
#[derive(Debug)]
pub(crate) struct LongLayout {
    columns: usize,
    indicators: HashMap<String, IndicatorKind>,
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_ID_CHARS
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn age_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n <= MAX_BAND_AGE)
}

/// Whether `s` is an age band: empty, `N`, `N-M` (N < M) or `N+`.
pub(crate) fn valid_age_band(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if let Some(n) = s.strip_suffix('+') {
        return age_number(n).is_some();
    }
    if let Some((a, b)) = s.split_once('-') {
        return matches!((age_number(a), age_number(b)), (Some(a), Some(b)) if a < b);
    }
    age_number(s).is_some()
}

impl LongLayout {
    /// Checks the header: the five required columns, then optionally `age_band`, `sex`, `segment`
    /// in that order.
    pub(crate) fn new(
        header: &[String],
        registry: &Registry,
    ) -> Result<LongLayout, Vec<HeaderError>> {
        let expected = || LONG_COLUMNS.join(";");
        for (i, name) in header.iter().enumerate() {
            if LONG_COLUMNS.get(i) != Some(&name.as_str()) {
                let what = match LONG_COLUMNS.get(i) {
                    Some(want) => format!(
                        "column {} must be {want} (long format header: {})",
                        i + 1,
                        expected()
                    ),
                    None => format!("the long format has at most 8 columns: {}", expected()),
                };
                return Err(vec![(
                    i,
                    name.clone(),
                    ErrorKind::UnknownHeader { expected: what },
                )]);
            }
        }
        if header.len() < REQUIRED {
            let i = header.len();
            return Err(vec![(
                i.saturating_sub(1),
                header.last().cloned().unwrap_or_default(),
                ErrorKind::UnknownHeader {
                    expected: format!(
                        "missing column {} ({}); long format header: {}",
                        i + 1,
                        LONG_COLUMNS[i],
                        expected()
                    ),
                },
            )]);
        }
        let indicators = registry
            .indicators()
            .map(|d| (d.id.clone(), d.kind))
            .collect();
        Ok(LongLayout {
            columns: header.len(),
            indicators,
        })
    }

    /// Reads one row into `out`; errors go to `err(column, value, kind)` (0-based column).
    pub(crate) fn process(
        &self,
        row: &mut Row,
        out: &mut Vec<Observation>,
        err: &mut dyn FnMut(usize, &str, ErrorKind),
    ) -> RowOutcome {
        let f = &row.fields;
        let mut ok = true;
        let mut fail = |i: usize, kind: ErrorKind| {
            err(i, &f[i], kind);
            ok = false;
        };
        if !is_identifier(&f[0]) {
            fail(0, ErrorKind::InvalidAreaCode);
        }
        let kind = self.indicators.get(f[1].as_str()).copied();
        if kind.is_none() {
            fail(1, ErrorKind::UnknownIndicator);
        }
        let period = match canonical_period(&f[2]) {
            Ok((p, _)) => Some(p),
            Err(_) => {
                fail(2, ErrorKind::InvalidPeriod);
                None
            }
        };
        let mut missing = None;
        let numerator = match f[3].as_str() {
            "" => {
                missing = Some(MissingReason::Empty);
                None
            }
            ".." => {
                missing = Some(MissingReason::Suppressed);
                None
            }
            s => parse_number(s, NumberStyle::Long)
                .map_err(|e| fail(3, e))
                .ok(),
        };
        let denominator = match f[4].as_str() {
            "" => None,
            ".." => {
                missing.get_or_insert(MissingReason::Suppressed);
                None
            }
            s => parse_number(s, NumberStyle::Long)
                .map_err(|e| fail(4, e))
                .ok(),
        };
        let get = |i: usize| if i < self.columns { f[i].as_str() } else { "" };
        let (age_band, sex, segment) = (get(5), get(6), get(7));
        if !valid_age_band(age_band) {
            fail(5, ErrorKind::InvalidAgeBand);
        }
        if !matches!(sex, "" | "1" | "2") {
            fail(6, ErrorKind::InvalidSex);
        }
        if !segment.is_empty() && !is_identifier(segment) {
            fail(7, ErrorKind::InvalidSegment);
        }
        if let Some(kind) = kind {
            let indicator = f[1].clone();
            let name = kind.name();
            if kind.has_denominator() {
                if numerator.is_some() && f[4].is_empty() {
                    fail(
                        4,
                        ErrorKind::DenominatorRequired {
                            indicator: indicator.clone(),
                            kind: name,
                        },
                    );
                }
            } else if !f[4].is_empty() {
                fail(
                    4,
                    ErrorKind::DenominatorNotAllowed {
                        indicator: indicator.clone(),
                        kind: name,
                    },
                );
            }
            if kind.non_negative() {
                if numerator.is_some_and(|v| v < 0.0) {
                    fail(
                        3,
                        ErrorKind::Negative {
                            indicator: indicator.clone(),
                            kind: name,
                        },
                    );
                }
                if denominator.is_some_and(|v| v < 0.0) {
                    fail(
                        4,
                        ErrorKind::Negative {
                            indicator: indicator.clone(),
                            kind: name,
                        },
                    );
                }
            }
            if kind == IndicatorKind::Proportion
                && let (Some(n), Some(d)) = (numerator, denominator)
                && d >= 0.0
                && n > d
            {
                fail(3, ErrorKind::NumeratorExceedsDenominator { indicator });
            }
        }
        let (true, Some(period)) = (ok, period) else {
            return RowOutcome::Error;
        };
        let (age_band, sex, segment) = (age_band.to_string(), sex.to_string(), segment.to_string());
        let f = &mut row.fields;
        out.push(Observation {
            area_code: std::mem::take(&mut f[0]),
            indicator: std::mem::take(&mut f[1]),
            period,
            numerator,
            denominator,
            age_band,
            sex,
            segment,
            missing,
        });
        RowOutcome::Produced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands() {
        for good in ["", "0", "37", "0-4", "85-89", "90+", "18-64", "100+", "150"] {
            assert!(valid_age_band(good), "{good:?} rejected");
        }
        for bad in [
            "-", "4-0", "5-5", "+", "90 +", "151", "a", "0-4-9", "1000", " 5",
        ] {
            assert!(!valid_age_band(bad), "{bad:?} accepted");
        }
    }
}
