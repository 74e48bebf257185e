//! The additive z-score scoring engine behind [`ModelSpec::score`].

use std::cmp::Ordering;
use std::collections::HashMap;

use super::{
    AreaScore, Contribution, IndicatorKind, IndicatorSpec, IndicatorTable, ModelError, ModelSpec,
    ScoreTable,
};
use crate::transform;

/// Orders two areas by need: higher score first, then area code ascending; unscored last.
pub(crate) fn cmp_need(sa: Option<f64>, ca: &str, sb: Option<f64>, cb: &str) -> Ordering {
    match (sa, sb) {
        (Some(a), Some(b)) => b.total_cmp(&a).then_with(|| ca.cmp(cb)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => ca.cmp(cb),
    }
}

/// Why an area has no value for an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Gap {
    /// Numerator or denominator missing.
    Missing,
    /// Denominator 0: the value is undefined.
    ZeroDenominator,
    /// Denominator below the indicator's minimum.
    BelowMinimum(f64),
}

/// One indicator's values over the areas, in display units, with the statistics the z-score
/// needs.
pub(crate) struct Column {
    pub(crate) values: Vec<Result<f64, Gap>>,
    pub(crate) reference: Option<f64>,
    pub(crate) mean: f64,
    /// `None` when the indicator cannot separate areas (fewer than 2 values, or no spread).
    pub(crate) sd: Option<f64>,
}

/// Checks the table's shape and maps each model indicator to its column.
pub(crate) fn check_table<'t>(
    spec: &ModelSpec,
    input: &'t IndicatorTable,
) -> Result<Vec<&'t super::IndicatorColumn>, ModelError> {
    let n = input.area_codes.len();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, code) in input.area_codes.iter().enumerate() {
        if let Some(first) = seen.insert(code.as_str(), i) {
            return Err(ModelError::DuplicateArea {
                area_code: code.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
    }
    let mut by_id: HashMap<&str, &super::IndicatorColumn> = HashMap::new();
    for col in &input.columns {
        if by_id.insert(col.indicator.as_str(), col).is_some() {
            return Err(ModelError::DuplicateColumn {
                indicator: col.indicator.clone(),
            });
        }
    }
    let mut cols = Vec::with_capacity(spec.indicators.len());
    for ind in &spec.indicators {
        let col = by_id
            .get(ind.id.as_str())
            .ok_or_else(|| ModelError::MissingColumn {
                indicator: ind.id.clone(),
            })?;
        // Counts and plain values may come without denominators.
        let den_ok = col.denominator.len() == n
            || (!ind.kind.uses_denominator() && col.denominator.is_empty());
        if col.numerator.len() != n || !den_ok {
            return Err(ModelError::ColumnLength {
                indicator: ind.id.clone(),
                areas: n,
                numerators: col.numerator.len(),
                denominators: col.denominator.len(),
            });
        }
        cols.push(*col);
    }
    Ok(cols)
}

/// Converts one column into display-unit values and computes reference, mean and sd.
pub(crate) fn column(
    ind: &IndicatorSpec,
    codes: &[String],
    col: &super::IndicatorColumn,
) -> Result<Column, ModelError> {
    let bad = |i: usize, message: String| ModelError::InvalidValue {
        indicator: ind.id.clone(),
        area_code: codes[i].clone(),
        message,
    };
    let scale = ind.kind.scale();
    let mut values = Vec::with_capacity(codes.len());
    let (mut sum_num, mut sum_den) = (0.0_f64, 0.0_f64);
    for i in 0..codes.len() {
        let num = col.numerator[i];
        let den = col.denominator.get(i).copied().flatten();
        if let Some(x) = num {
            if !x.is_finite() {
                return Err(bad(i, format!("numerator {x} is not a finite number")));
            }
            if x < 0.0 && ind.kind != IndicatorKind::Value {
                return Err(bad(i, format!("numerator {x} is negative")));
            }
        }
        if let Some(d) = den
            && !(d.is_finite() && d >= 0.0)
        {
            return Err(bad(
                i,
                format!("denominator {d} is not a finite number >= 0"),
            ));
        }
        let v = if ind.kind.uses_denominator() {
            match (num, den) {
                (Some(x), Some(d)) => {
                    if ind.kind == IndicatorKind::Proportion && x > d {
                        return Err(bad(
                            i,
                            format!("numerator {x} exceeds denominator {d} of a proportion"),
                        ));
                    }
                    if d == 0.0 {
                        Err(Gap::ZeroDenominator)
                    } else if d < ind.min_denominator {
                        Err(Gap::BelowMinimum(d))
                    } else {
                        sum_num += x;
                        sum_den += d;
                        Ok(scale * x / d)
                    }
                }
                _ => Err(Gap::Missing),
            }
        } else {
            match num {
                Some(x) => match den {
                    Some(d) if d < ind.min_denominator => Err(Gap::BelowMinimum(d)),
                    _ => Ok(x),
                },
                None => Err(Gap::Missing),
            }
        };
        if let Ok(x) = v
            && !x.is_finite()
        {
            return Err(bad(i, "value overflows a floating-point number".to_owned()));
        }
        values.push(v);
    }
    let present: Vec<f64> = values.iter().filter_map(|v| v.ok()).collect();
    let (mean, sd) = transform::mean_sd(&present);
    if !mean.is_finite() || sd.is_some_and(|s| !s.is_finite()) {
        return Err(ModelError::InvalidValue {
            indicator: ind.id.clone(),
            area_code: String::from("(all)"),
            message: "values too large to standardise".to_owned(),
        });
    }
    let reference = if present.is_empty() {
        None
    } else if ind.kind.uses_denominator() {
        (sum_den > 0.0).then(|| scale * sum_num / sum_den)
    } else {
        Some(mean)
    };
    Ok(Column {
        values,
        reference,
        mean,
        sd,
    })
}

/// Formats `v` with `decimals` decimals and the unit ("8.1 %", "45.2 per 1,000").
pub(crate) fn with_unit(v: f64, decimals: u8, unit: &str) -> String {
    format!("{v:.prec$} {unit}", prec = usize::from(decimals))
}

fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The plain-words reason for one indicator of one area.
pub(crate) fn reason(
    ind: &IndicatorSpec,
    value: Result<f64, Gap>,
    reference: Option<f64>,
    sd: Option<f64>,
    reference_label: &str,
) -> String {
    match value {
        Ok(v) => {
            let mut s = format!("{} {}", ind.label, with_unit(v, ind.decimals, &ind.unit));
            if let Some(r) = reference {
                s.push_str(&format!(
                    " vs {} {reference_label}",
                    with_unit(r, ind.decimals, &ind.unit)
                ));
                if r > 0.0 {
                    s.push_str(&format!(" ({:.1}×)", v / r));
                }
            }
            if sd.is_none() {
                s.push_str(
                    "; no variation between areas, so it does not separate them (contribution 0)",
                );
            }
            s
        }
        Err(Gap::Missing) => format!(
            "{}: no data for this area; counted as average (contribution 0)",
            ind.label
        ),
        Err(Gap::ZeroDenominator) => format!(
            "{}: no persons at risk in this area; counted as average (contribution 0)",
            ind.label
        ),
        Err(Gap::BelowMinimum(d)) => format!(
            "{}: based on {} persons, fewer than the minimum {}; counted as average (contribution 0)",
            ind.label,
            plain_number(d),
            plain_number(ind.min_denominator)
        ),
    }
}

pub(crate) fn score(spec: &ModelSpec, input: &IndicatorTable) -> Result<ScoreTable, ModelError> {
    let cols = check_table(spec, input)?;
    let codes = &input.area_codes;
    let n = codes.len();
    let columns: Vec<Column> = spec
        .indicators
        .iter()
        .zip(&cols)
        .map(|(ind, col)| column(ind, codes, col))
        .collect::<Result<_, _>>()?;
    let total_weight: f64 = spec.indicators.iter().map(|i| i.weight).sum();
    let weights: Vec<f64> = spec
        .indicators
        .iter()
        .map(|i| i.weight / total_weight)
        .collect();

    let mut rows = Vec::with_capacity(n);
    for (a, code) in codes.iter().enumerate() {
        let mut share = 0.0;
        let mut missing: Vec<&str> = Vec::new();
        let mut flat: Vec<&str> = Vec::new();
        let mut zs = Vec::with_capacity(spec.indicators.len());
        for (k, (ind, col)) in spec.indicators.iter().zip(&columns).enumerate() {
            match col.values[a] {
                Ok(v) => {
                    share += weights[k];
                    let z = match col.sd {
                        Some(sd) => ind.direction.sign() * (v - col.mean) / sd,
                        None => {
                            flat.push(ind.label.as_str());
                            0.0
                        }
                    };
                    zs.push(z);
                }
                Err(_) => {
                    missing.push(ind.label.as_str());
                    zs.push(0.0);
                }
            }
        }
        // A tolerance keeps "exactly the required share" from failing on rounding of the sum.
        let scored = share + 1e-12 >= spec.min_weight_share;
        let mut contributions: Vec<Contribution> = Vec::with_capacity(spec.indicators.len());
        let mut total = 0.0;
        for (k, (ind, col)) in spec.indicators.iter().zip(&columns).enumerate() {
            let c = if scored { weights[k] * zs[k] } else { 0.0 };
            total += c;
            contributions.push(Contribution {
                indicator: ind.id.clone(),
                label: ind.label.clone(),
                value: col.values[a].ok(),
                reference: col.reference,
                contribution: c,
                reason: reason(
                    ind,
                    col.values[a],
                    col.reference,
                    col.sd,
                    &spec.reference_label,
                ),
            });
        }
        contributions.sort_by(|x, y| {
            y.contribution
                .abs()
                .total_cmp(&x.contribution.abs())
                .then_with(|| x.indicator.cmp(&y.indicator))
        });
        let mut notes: Vec<String> = Vec::new();
        if !scored {
            notes.push(format!(
                "not scored: indicators with data carry {:.0} % of the model weight, the model needs {:.0} %; missing: {}",
                100.0 * share,
                100.0 * spec.min_weight_share,
                missing.join(", ")
            ));
        } else if !missing.is_empty() {
            notes.push(format!(
                "scored without {} (no usable data; counted as average, contribution 0)",
                missing.join(", ")
            ));
        }
        if scored && !flat.is_empty() {
            notes.push(format!(
                "{} do not vary between areas (contribution 0)",
                flat.join(", ")
            ));
        }
        rows.push(AreaScore {
            area_code: code.clone(),
            score: scored.then_some(total),
            rank: None,
            decile: None,
            contributions,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    super::rerank(&mut rows);
    let scores: Vec<Option<f64>> = rows.iter().map(|r| r.score).collect();
    let deciles = transform::phe_quantiles(&scores, 10, true);
    for (row, d) in rows.iter_mut().zip(deciles) {
        row.decile = d.and_then(|d| u8::try_from(d).ok());
    }
    Ok(ScoreTable { rows })
}
