//! StatBank period codes.
//!
//! Accepted forms (DANISH-DATA.md §1.3 and §7): `YYYY` (year), `YYYYKq` (quarter, Danish code and
//! text) and `YYYYQq` (quarter, English text), `YYYYMmm` (month), `YYYYUww` (week 01–53) and
//! `YYYYMmmDdd` (day, as in DODC1: `2007M01D01`). The canonical form uses `K` for quarters, as
//! StatBank codes do in both languages, so `2020Q1` and `2020K1` are the same period.

use std::fmt;

/// A period code that is not one of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a period code: {0:?} (expected YYYY, YYYYKq/YYYYQq, YYYYMmm, YYYYUww or YYYYMmmDdd)")]
pub struct PeriodError(pub String);

/// The granularity of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    /// `2020`
    Year,
    /// `2020K1`
    Quarter,
    /// `2020M01`
    Month,
    /// `2020U05`
    Week,
    /// `2007M01D01`
    Day,
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PeriodKind::Year => "year",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
            PeriodKind::Week => "week",
            PeriodKind::Day => "day",
        })
    }
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Parses a period code and returns its canonical form and kind.
///
/// ```
/// use lighed_ingest::period::{canonical_period, PeriodKind};
/// assert_eq!(canonical_period("2021Q2").unwrap(), ("2021K2".to_string(), PeriodKind::Quarter));
/// assert_eq!(canonical_period("2007M01D01").unwrap().1, PeriodKind::Day);
/// assert!(canonical_period("2021Q5").is_err());
/// ```
pub fn canonical_period(s: &str) -> Result<(String, PeriodKind), PeriodError> {
    let err = || PeriodError(s.to_string());
    let b = s.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return Err(err());
    }
    let year: u32 = s[..4].parse().map_err(|_| err())?;
    let rest = &b[4..];
    match rest {
        [] => Ok((s.to_string(), PeriodKind::Year)),
        [b'K' | b'Q', q @ b'1'..=b'4'] => {
            Ok((format!("{year}K{}", *q as char), PeriodKind::Quarter))
        }
        [b'M', m @ ..] if m.len() == 2 => match two_digits(m) {
            Some(1..=12) => Ok((s.to_string(), PeriodKind::Month)),
            _ => Err(err()),
        },
        [b'U', w @ ..] if w.len() == 2 => match two_digits(w) {
            Some(1..=53) => Ok((s.to_string(), PeriodKind::Week)),
            _ => Err(err()),
        },
        [b'M', m1, m2, b'D', d1, d2] => {
            let month = two_digits(&[*m1, *m2]).ok_or_else(err)?;
            let day = two_digits(&[*d1, *d2]).ok_or_else(err)?;
            if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
                Ok((s.to_string(), PeriodKind::Day))
            } else {
                Err(err())
            }
        }
        _ => Err(err()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_statbank_form() {
        let cases = [
            ("2020", "2020", PeriodKind::Year),
            ("2020K1", "2020K1", PeriodKind::Quarter),
            ("2020Q1", "2020K1", PeriodKind::Quarter),
            ("2021Q2", "2021K2", PeriodKind::Quarter),
            ("2020M01", "2020M01", PeriodKind::Month),
            ("2020M12", "2020M12", PeriodKind::Month),
            ("2020U05", "2020U05", PeriodKind::Week),
            ("2020U53", "2020U53", PeriodKind::Week),
            ("2007M01D01", "2007M01D01", PeriodKind::Day),
            ("2020M02D29", "2020M02D29", PeriodKind::Day),
        ];
        for (input, canonical, kind) in cases {
            assert_eq!(
                canonical_period(input),
                Ok((canonical.to_string(), kind)),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_malformed_periods() {
        for bad in [
            "",
            "202",
            "0999",
            "20201",
            "2020K0",
            "2020K5",
            "2020Q5",
            "2020k1",
            "2020M1",
            "2020M13",
            "2020M00",
            "2020U00",
            "2020U54",
            "2019M02D29",
            "2020M04D31",
            "2020M01D00",
            "2020H1",
            " 2020",
            "2020K1 ",
            "２０２０",
        ] {
            assert!(canonical_period(bad).is_err(), "{bad:?} accepted");
        }
    }
}
