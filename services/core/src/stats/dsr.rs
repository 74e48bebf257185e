//! Directly age-standardised rates with Dobson confidence limits
//! (PHEindicatormethods `calculate_dsr` / `phe_dsr`).
//!
//! For age bands `i` with event counts `x_i`, populations `n_i > 0` and standard weights `w_i`
//! (e.g. [`super::esp2013::ESP2013`]), and multiplier `m`:
//!
//! ```text
//! DSR   = Σ(x_i·w_i/n_i) / Σw_i                    (× m)
//! var   = Σ(x_i·(w_i/n_i)²) / (Σw_i)²
//! O     = Σx_i,   O_L, O_U = Byar's limits of O
//! lower = (DSR + √(var/O)·(O_L − O)) · m,   upper = (DSR + √(var/O)·(O_U − O)) · m
//! ```
//!
//! **Not computed when `O < 10`**: value and limits are `None` with the note
//! `"dsr NA for total count < 10"`, as the package does (Dobson's approximation is poor there).
//!
//! **Non-independent events** (persons with several events, e.g. repeat admissions): the input
//! gives, per event frequency `f`, the number of *persons* with exactly `f` events in each band.
//! Events are `x_i = Σ_f f·persons_{f,i}`; the variance is `Σ_f f²·var_f` with `var_f` the
//! variance above computed on the person counts of frequency `f`; method "Dobson, with
//! confidence adjusted for non-independent events" (PHEindicatormethods v2.1.0, PR #91).
//!
//! Assumptions: events Poisson (per person when non-independent), populations known exactly.
//! Reference: Dobson AJ, Kuulasmaa K, Eberle E, Scherer J. Confidence intervals for weighted sums
//! of Poisson parameters. *Stat Med* 1991;10:457–462. PHE Fingertips technical guidance.

use ndarray::{Array1, ArrayView1, ArrayView2};

use super::byars::{byars_lower_z, byars_upper_z};
use super::{
    Confidence, Estimate, Method, StatsError, check_count, check_denominator, check_multiplier,
};

/// The note of a DSR that is not computed because the total count is below 10.
pub const NOTE_TOTAL_BELOW_10: &str = "dsr NA for total count < 10";

/// Total count below which no DSR is published.
pub const MIN_TOTAL_COUNT: f64 = 10.0;

fn check_weights(standard: &[f64]) -> Result<f64, StatsError> {
    for (i, &w) in standard.iter().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return Err(StatsError::InvalidWeight { index: i, value: w });
        }
    }
    let total: f64 = standard.iter().sum();
    if total > 0.0 {
        Ok(total)
    } else {
        Err(StatsError::InvalidWeight {
            index: 0,
            value: total,
        })
    }
}

fn check_bands(what: &str, len: usize, bands: usize) -> Result<(), StatsError> {
    if len == bands {
        Ok(())
    } else {
        Err(StatsError::ShapeMismatch {
            what: format!("{what} has {len} age bands but the standard has {bands}"),
        })
    }
}

/// Turns `(dsr, var, O)` (unscaled) into an estimate.
fn dobson(
    dsr: f64,
    var: f64,
    observed: f64,
    z: f64,
    confidence: Confidence,
    multiplier: f64,
    method: Method,
) -> Estimate {
    if observed < MIN_TOTAL_COUNT {
        return Estimate {
            value: None,
            lower: None,
            upper: None,
            confidence,
            method,
            note: Some(NOTE_TOTAL_BELOW_10.to_string()),
        };
    }
    let se_per_event = (var / observed).sqrt();
    let lower =
        byars_lower_z(observed, z).map(|ol| (dsr + se_per_event * (ol - observed)) * multiplier);
    let upper = (dsr + se_per_event * (byars_upper_z(observed, z) - observed)) * multiplier;
    Estimate {
        value: Some(dsr * multiplier),
        lower,
        upper: Some(upper),
        confidence,
        method,
        note: lower
            .is_none()
            .then(|| "lower limit undefined: Byar's approximation is negative".to_string()),
    }
}

/// The DSR of one area with independent events.
///
/// `counts`, `populations` and `standard` are per age band, in the same order.
pub fn dsr(
    counts: &[f64],
    populations: &[f64],
    standard: &[f64],
    confidence: Confidence,
    multiplier: f64,
) -> Result<Estimate, StatsError> {
    let wsum = check_weights(standard)?;
    check_multiplier(multiplier)?;
    check_bands("counts", counts.len(), standard.len())?;
    check_bands("populations", populations.len(), standard.len())?;
    let (mut s, mut v, mut o) = (0.0, 0.0, 0.0);
    for i in 0..standard.len() {
        check_count("count", i, counts[i])?;
        check_denominator("population", i, populations[i])?;
        let r = standard[i] / populations[i];
        s += counts[i] * r;
        v += counts[i] * r * r;
        o += counts[i];
    }
    Ok(dobson(
        s / wsum,
        v / (wsum * wsum),
        o,
        confidence.z(),
        confidence,
        multiplier,
        Method::Dobson,
    ))
}

/// Persons with exactly `events_per_person` events, by age band.
#[derive(Debug, Clone, Copy)]
pub struct EventFrequency<'a> {
    /// Number of events each of these persons had (≥ 1).
    pub events_per_person: f64,
    /// Number of such persons per age band.
    pub persons: &'a [f64],
}

/// The DSR of one area whose events are not independent (persons with several events).
pub fn dsr_non_independent(
    frequencies: &[EventFrequency<'_>],
    populations: &[f64],
    standard: &[f64],
    confidence: Confidence,
    multiplier: f64,
) -> Result<Estimate, StatsError> {
    let wsum = check_weights(standard)?;
    check_multiplier(multiplier)?;
    check_bands("populations", populations.len(), standard.len())?;
    for (i, &n) in populations.iter().enumerate() {
        check_denominator("population", i, n)?;
    }
    let (mut s, mut v, mut o) = (0.0, 0.0, 0.0);
    for (k, fr) in frequencies.iter().enumerate() {
        let f = fr.events_per_person;
        if !(f.is_finite() && f > 0.0) {
            return Err(StatsError::InvalidCount {
                what: "events_per_person",
                index: k,
                value: f,
            });
        }
        check_bands("persons", fr.persons.len(), standard.len())?;
        let mut var_f = 0.0;
        for i in 0..standard.len() {
            let p = fr.persons[i];
            check_count("persons", i, p)?;
            let r = standard[i] / populations[i];
            s += f * p * r;
            var_f += p * r * r;
            o += f * p;
        }
        v += f * f * var_f;
    }
    Ok(dobson(
        s / wsum,
        v / (wsum * wsum),
        o,
        confidence.z(),
        confidence,
        multiplier,
        Method::DobsonNonIndependent,
    ))
}

/// DSRs of many areas; `NaN` marks a value or limit that is not computed (total count < 10).
#[derive(Debug, Clone, PartialEq)]
pub struct DsrArrays {
    /// Total observed events per area.
    pub observed: Array1<f64>,
    /// Total population per area.
    pub population: Array1<f64>,
    /// DSR per area (× multiplier), `NaN` when the total count is < 10.
    pub value: Array1<f64>,
    /// Lower Dobson limit, `NaN` when not computed.
    pub lower: Array1<f64>,
    /// Upper Dobson limit, `NaN` when not computed.
    pub upper: Array1<f64>,
}

/// `(Σx·w/n, Σx·(w/n)², Σx, Σn)` over the bands of one area.
#[inline]
fn band_sums(bands: impl Iterator<Item = (f64, f64)>, w: &[f64]) -> (f64, f64, f64, f64) {
    let (mut s, mut v, mut o, mut p) = (0.0, 0.0, 0.0, 0.0);
    for ((x, n), &wi) in bands.zip(w) {
        let r = wi / n;
        s += x * r;
        v += x * r * r;
        o += x;
        p += n;
    }
    (s, v, o, p)
}

/// Vectorised [`dsr`] over areas: `counts` and `populations` are `[area, band]` arrays.
///
/// All inputs are validated first (the error names the first bad area·band as
/// `index = area·bands + band`); the computation then runs row by row with no per-area
/// allocation.
pub fn dsr_many(
    counts: ArrayView2<'_, f64>,
    populations: ArrayView2<'_, f64>,
    standard: ArrayView1<'_, f64>,
    confidence: Confidence,
    multiplier: f64,
) -> Result<DsrArrays, StatsError> {
    let std_vec: Vec<f64> = standard.to_vec();
    let wsum = check_weights(&std_vec)?;
    check_multiplier(multiplier)?;
    let bands = standard.len();
    if counts.dim() != populations.dim() || counts.ncols() != bands {
        return Err(StatsError::ShapeMismatch {
            what: format!(
                "counts {:?}, populations {:?}, standard {bands} bands",
                counts.dim(),
                populations.dim()
            ),
        });
    }
    for ((a, b), &x) in counts.indexed_iter() {
        check_count("count", a * bands + b, x)?;
    }
    for ((a, b), &n) in populations.indexed_iter() {
        check_denominator("population", a * bands + b, n)?;
    }
    let z = confidence.z();
    let areas = counts.nrows();
    let mut out = DsrArrays {
        observed: Array1::zeros(areas),
        population: Array1::zeros(areas),
        value: Array1::zeros(areas),
        lower: Array1::zeros(areas),
        upper: Array1::zeros(areas),
    };
    let w2 = wsum * wsum;
    let w: Vec<f64> = standard.to_vec();
    let mut finish = |a: usize, (s, v, o, p): (f64, f64, f64, f64)| {
        out.observed[a] = o;
        out.population[a] = p;
        if o < MIN_TOTAL_COUNT {
            out.value[a] = f64::NAN;
            out.lower[a] = f64::NAN;
            out.upper[a] = f64::NAN;
        } else {
            let d = s / wsum;
            let se = (v / w2 / o).sqrt();
            out.value[a] = d * multiplier;
            out.lower[a] =
                byars_lower_z(o, z).map_or(f64::NAN, |ol| (d + se * (ol - o)) * multiplier);
            out.upper[a] = (d + se * (byars_upper_z(o, z) - o)) * multiplier;
        }
    };
    match (counts.as_slice(), populations.as_slice()) {
        // Standard (row-major) layout: plain slices per area.
        (Some(cs), Some(ps)) if bands > 0 => {
            for (a, (xs, ns)) in cs
                .chunks_exact(bands)
                .zip(ps.chunks_exact(bands))
                .enumerate()
            {
                finish(a, band_sums(xs.iter().copied().zip(ns.iter().copied()), &w));
            }
        }
        _ => {
            for (a, (xs, ns)) in counts
                .rows()
                .into_iter()
                .zip(populations.rows())
                .enumerate()
            {
                finish(a, band_sums(xs.iter().copied().zip(ns.iter().copied()), &w));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::esp2013::ESP2013;

    #[test]
    fn small_totals_are_not_computed_with_a_note() {
        let counts = [1.0; 19];
        let pops = [100.0; 19];
        let e = dsr(&counts[..], &pops[..], &ESP2013, Confidence::P95, 1e5).unwrap();
        assert!(e.value.is_some());
        let mut small = [0.0; 19];
        small[3] = 9.0;
        let e = dsr(&small, &pops, &ESP2013, Confidence::P95, 1e5).unwrap();
        assert_eq!(e.value, None);
        assert_eq!(e.note.as_deref(), Some(NOTE_TOTAL_BELOW_10));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let pops = [100.0; 19];
        assert!(dsr(&[1.0; 18], &pops, &ESP2013, Confidence::P95, 1e5).is_err());
        let mut zero = pops;
        zero[4] = 0.0;
        assert!(matches!(
            dsr(&[1.0; 19], &zero, &ESP2013, Confidence::P95, 1e5),
            Err(StatsError::InvalidDenominator { index: 4, .. })
        ));
        let mut neg = [1.0; 19];
        neg[2] = -1.0;
        assert!(dsr(&neg, &pops, &ESP2013, Confidence::P95, 1e5).is_err());
        assert!(dsr(&[1.0; 19], &pops, &[0.0; 19], Confidence::P95, 1e5).is_err());
    }

    #[test]
    fn one_band_with_independent_frequency_one_equals_plain_dsr() {
        let pops = [200.0; 19];
        let persons = [3.0; 19];
        let plain = dsr(&persons, &pops, &ESP2013, Confidence::P95, 1e5).unwrap();
        let nonind = dsr_non_independent(
            &[EventFrequency {
                events_per_person: 1.0,
                persons: &persons,
            }],
            &pops,
            &ESP2013,
            Confidence::P95,
            1e5,
        )
        .unwrap();
        assert_eq!(plain.value, nonind.value);
        assert_eq!(plain.lower, nonind.lower);
        assert_eq!(nonind.method, Method::DobsonNonIndependent);
    }
}
