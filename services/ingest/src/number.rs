//! Numbers in StatBank exports and in the long format.
//!
//! Grammar: an optional `-`, one or more ASCII digits, and optionally one decimal separator
//! followed by one or more digits. No thousands separators, no exponent, no `inf`/`NaN`, no `+`.
//! The decimal separator is a comma for Danish StatBank exports (`lang=da`), a point for English
//! ones (`lang=en`) and always a point in the long format. A number written with the *other*
//! separator is rejected with a reason of its own, because under `lang=da` a point usually is a
//! thousands separator (`5.825.337` is DST's display form of 5,825,337), and reading it as a
//! decimal would silently divide the value by 1,000.

use crate::error::ErrorKind;
use crate::options::Lang;

/// Which notation a field is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberStyle {
    /// StatBank export in the given language.
    StatBank(Lang),
    /// The long format (decimal point).
    Long,
}

/// Splits `s` into (negative, integer digits, fraction digits, separator) if it matches the
/// grammar with either separator.
fn shape(s: &str) -> Option<(&str, Option<char>)> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, sep, frac) = match body.find([',', '.']) {
        Some(i) => (&body[..i], body[i..].chars().next(), &body[i + 1..]),
        None => (body, None, ""),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (sep.is_some() && !digits(frac)) {
        return None;
    }
    Some((body, sep))
}

/// Parses a non-missing numeric field (the caller handles `..` and empty).
pub(crate) fn parse_number(s: &str, style: NumberStyle) -> Result<f64, ErrorKind> {
    let expected = match style {
        NumberStyle::StatBank(Lang::Da) => ',',
        NumberStyle::StatBank(Lang::En) | NumberStyle::Long => '.',
    };
    let Some((_, sep)) = shape(s) else {
        return Err(ErrorKind::NotANumber {
            separator: expected,
        });
    };
    match (sep, style) {
        (Some(','), NumberStyle::StatBank(Lang::En)) => return Err(ErrorKind::DecimalCommaUnderEn),
        (Some('.'), NumberStyle::StatBank(Lang::Da)) => return Err(ErrorKind::DecimalPointUnderDa),
        (Some(','), NumberStyle::Long) => return Err(ErrorKind::DecimalCommaInLongFormat),
        _ => {}
    }
    let v: f64 = s
        .replace(',', ".")
        .parse()
        .map_err(|_| ErrorKind::NotANumber {
            separator: expected,
        })?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ErrorKind::NotANumber {
            separator: expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DA: NumberStyle = NumberStyle::StatBank(Lang::Da);
    const EN: NumberStyle = NumberStyle::StatBank(Lang::En);

    #[test]
    fn danish_decimal_comma() {
        assert_eq!(parse_number("5540241", DA), Ok(5_540_241.0));
        assert_eq!(parse_number("48,58", DA), Ok(48.58));
        assert_eq!(parse_number("-3,5", DA), Ok(-3.5));
        assert_eq!(
            parse_number("48.58", DA),
            Err(ErrorKind::DecimalPointUnderDa)
        );
        assert_eq!(
            parse_number("5.825.337", DA),
            Err(ErrorKind::NotANumber { separator: ',' })
        );
    }

    #[test]
    fn english_decimal_point() {
        assert_eq!(parse_number("48.58", EN), Ok(48.58));
        assert_eq!(
            parse_number("48,58", EN),
            Err(ErrorKind::DecimalCommaUnderEn)
        );
        assert_eq!(parse_number("0", EN), Ok(0.0));
    }

    #[test]
    fn long_format_point_only() {
        assert_eq!(parse_number("12.5", NumberStyle::Long), Ok(12.5));
        assert_eq!(
            parse_number("12,5", NumberStyle::Long),
            Err(ErrorKind::DecimalCommaInLongFormat)
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "", "-", "+1", "1e5", "inf", "NaN", "1.", ".5", "1 000", "1_000", "0x10", "١٢",
        ] {
            assert!(parse_number(bad, EN).is_err(), "{bad:?} accepted");
            assert!(parse_number(bad, DA).is_err(), "{bad:?} accepted");
        }
        let huge = "9".repeat(400);
        assert!(parse_number(&huge, EN).is_err());
    }
}
