//! SYNTHETIC citizen-segment aggregates (`segments.csv`): persons per parish × segment ×
//! ESP2013 age band × sex for the five focus groups of `models/segments/rm-focus-groups.toml`,
//! 2025, in the form `lighed_segments::SegmentCounts::to_observations_for_storage` writes
//! (indicator `segment_persons`, numerator = members, denominator = the segment's base).
//!
//! # Model
//! Bases are exact counts of the generator's own 2025 population ([`Population::parish`],
//! single years of age 0–99 × sex): a person aged `a` is in ESP band `⌊a/5⌋` (90+ for 90–99),
//! and a segment's base in a cell is the persons of that cell inside the segment's base age
//! range. `vulnerable_social_housing` has as base only persons in social housing: the 2025
//! residents aged 18–64 of the housing areas ([`Population::housing`]), counted in their host
//! parish (so only host parishes have that segment).
//!
//! Members are `Binomial(persons of one single year of age × sex, p)` draws, summed into the
//! cell, so `members ≤ base` holds by construction. `p` is a plausible Danish level `p₀(age,
//! sex)` (tables below; assumptions, not a published table) shifted on the logit scale by how
//! far the parish's own 2025 indicator lies from the region:
//! `p = logistic(logit p₀ + γ · Δ)`, `Δ = logit x̃ − logit x_region` for shares and
//! `Δ = ln(r̃ / r_region)` for event rates and observed/expected ratios, where `x̃` is the
//! parish value shrunk towards the region (`(num + K·x_region) / (den + K)`) so a parish of 40
//! persons does not get an extreme probability from a noisy indicator. The indicators carry
//! the generator's latent deprivation (see [`crate::indicators`]), so segment prevalences rise
//! with it:
//! - `neet_16_24`: `p₀` 3 % (16–17), 6 % (18–19), 9.5 % (20–24), odds ×1.15 men / ×0.9
//!   women; Δ from `outside_labour_edu_18_64` (K = 50 persons), γ = 1.
//! - `alone_65_chronic`: `P(alone) × P(any of COPD, diabetes, heart failure)`, independent.
//!   `P(alone)`: a table by band × sex (22–45 % men, 30–78 % women, rising with age) shifted by
//!   Δ of `living_alone_65plus` (K = 50). Chronic: the generator's COPD and diabetes rates by
//!   band × sex ([`spec::COPD_BY_BAND`], [`spec::DIABETES_BY_BAND`]) times the parish's
//!   observed / expected ratio of that indicator (K = 20 expected cases), plus heart failure
//!   1.5–10 % by band (×1.4 men).
//! - `prespor_frequent_nonacute`: `p₀` 0.6 % (18–24), 0.5 % (25–44), 0.4 % (45–64), 0.5 %
//!   (65–79), 1.2 % (80+), odds ×1.1 men; Δ = ln rate ratio of
//!   `prehospital_nonacute_contacts` (K = 1000 persons), γ = 1.5 (frequent use is more
//!   concentrated than contacts).
//! - `low_health_literacy`: `p₀` 11 % (18–24), 9 % (25–34), 8 % (35–64), 9 % (65–74),
//!   13 % (75+), odds ×1.1 men; Δ from the survey's `low_health_literacy` (K = 40 respondents).
//!   Drawn for every resident, as if the flag were known for all (in real data only survey
//!   respondents carry it).
//! - `vulnerable_social_housing`: per housing area, `P(outside labour and education) ×
//!   P(basic or no education | outside)`: the first from the area's own
//!   `outside_labour_edu_18_64` (K = 50, towards the mean of all housing areas), shifted by age
//!   (−0.4 at 18–24, −0.1 at 25–29, +0.2 at 50–64 on the logit scale); the second =
//!   `logistic(logit x̃_basic + 1)` from the area's `basic_education_30_59`.
//!
//! Randomness: one ChaCha8 stream per parish (`segments/parish/<code>`) and per housing area
//! (`segments/housing/<code>`), labels no other part uses, so the other files do not change.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::geography::Geography;
use crate::indicators::{Cells, Indicators, ids, rate_index};
use crate::population::{Population, SexAge};
use crate::spec::{self, ESP_BANDS};
use crate::{DemoError, N_YEARS, stream};

/// The indicator id of segment aggregates (`lighed_segments::SEGMENT_INDICATOR`).
pub const SEGMENT_INDICATOR: &str = "segment_persons";
/// The period of the aggregates.
pub const PERIOD: &str = "2025";
/// Year index of [`PERIOD`] in [`crate::YEARS`].
const YI: usize = N_YEARS - 1;

/// Segment ids in the order of `models/segments/rm-focus-groups.toml`.
pub const SEGMENT_IDS: [&str; 5] = [
    "neet_16_24",
    "alone_65_chronic",
    "prespor_frequent_nonacute",
    "low_health_literacy",
    "vulnerable_social_housing",
];
/// Number of segments.
pub const N_SEGMENTS: usize = SEGMENT_IDS.len();
/// Base age range (inclusive) of each segment in [`SEGMENT_IDS`]; the population has no one
/// above 99, so `[65, 125]` is `[65, 99]` here.
pub const BASE_AGES: [(usize, usize); N_SEGMENTS] =
    [(16, 24), (65, 99), (18, 99), (18, 99), (18, 64)];
/// Age-band × sex cells: `band·2 + sex` (sex 0 = men, 1 = women).
pub const CELLS: usize = ESP_BANDS.len() * 2;

/// `[members, base]` per cell of one parish × segment.
pub type SegmentCells = [[u64; 2]; CELLS];

/// The aggregates: per parish (geography order), per segment, per cell.
#[derive(Debug, Clone)]
pub struct Segments {
    /// `parish[pi][segment][cell] = [members, base]`.
    pub parish: Vec<[SegmentCells; N_SEGMENTS]>,
}

impl Segments {
    /// `[members, base]` of a parish × segment summed over its cells.
    pub fn total(&self, pi: usize, s: usize) -> [u64; 2] {
        self.parish[pi][s]
            .iter()
            .fold([0, 0], |a, c| [a[0] + c[0], a[1] + c[1]])
    }

    /// `[members, base]` of a segment summed over all parishes.
    pub fn region_total(&self, s: usize) -> [u64; 2] {
        (0..self.parish.len())
            .map(|pi| self.total(pi, s))
            .fold([0, 0], |a, c| [a[0] + c[0], a[1] + c[1]])
    }
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> Result<u64, DemoError> {
    if n == 0 {
        return Ok(0);
    }
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let dist = Binomial::new(n, p)
        .map_err(|e| DemoError::Distribution(format!("Binomial({n}, {p}): {e}")))?;
    Ok(dist.sample(rng))
}

/// `(numerator, denominator)` of an indicator in 2025 (0, 0 when absent).
fn nd(cells: &Cells, id: &str) -> Result<(f64, f64), DemoError> {
    let ri = rate_index(id).ok_or_else(|| DemoError::Spec(format!("indicator {id} missing")))?;
    Ok(cells[YI][ri].map_or((0.0, 0.0), |c| {
        (c.num.unwrap_or(0) as f64, c.den.unwrap_or(0) as f64)
    }))
}

/// Sum of `(numerator, denominator)` over units.
fn nd_sum(units: &[Cells], id: &str) -> Result<(f64, f64), DemoError> {
    units.iter().try_fold((0.0, 0.0), |(n, d), c| {
        let (a, b) = nd(c, id)?;
        Ok((n + a, d + b))
    })
}

/// The logit shift of a share: `logit((num + K·x_ref)/(den + K)) − logit(x_ref)`.
fn share_shift((num, den): (f64, f64), x_ref: f64, k: f64) -> f64 {
    logit((num + k * x_ref) / (den + k)) - logit(x_ref)
}

/// The log ratio `ln(((num + K·r_ref)/(den + K)) / r_ref)`.
fn ratio_shift((num, den): (f64, f64), r_ref: f64, k: f64) -> f64 {
    ((num + k * r_ref) / (den + k) / r_ref).ln()
}

/// Expected COPD / diabetes cases of a population at the spec rates, and its COPD / diabetes
/// denominators' reference: `Σ persons × rate(sex, band)`.
fn expected(c: &SexAge, rate: impl Fn(usize, usize) -> f64) -> f64 {
    (0..2)
        .flat_map(|s| (0..100).map(move |a| (s, a)))
        .map(|(s, a)| c[s][a] as f64 * rate(s, spec::esp_band(a)))
        .sum()
}

fn copd_rate(s: usize, b: usize) -> f64 {
    spec::COPD_BY_BAND[b] * if s == 0 { spec::COPD_MALE_FACTOR } else { 1.0 }
}

fn diabetes_rate(s: usize, b: usize) -> f64 {
    spec::DIABETES_BY_BAND[b]
        * if s == 0 {
            spec::DIABETES_MALE_FACTOR
        } else {
            1.0
        }
}

/// Share of persons 65+ living alone by band (65-69 … 90+) and sex (0 = men), at the regional
/// level. Plausible shape (women more often alone, rising with age); assumption.
const ALONE_65: [[f64; 6]; 2] = [
    [0.22, 0.23, 0.26, 0.31, 0.38, 0.45],
    [0.30, 0.36, 0.45, 0.57, 0.70, 0.78],
];
/// Heart failure prevalence by band 65-69 … 90+, women; men ×1.4. Assumption.
const HEART_FAILURE_65: [f64; 6] = [0.015, 0.025, 0.04, 0.06, 0.08, 0.10];
const HEART_FAILURE_MALE_FACTOR: f64 = 1.4;

/// Odds multiplier for men / women.
fn sex_odds(s: usize, men: f64, women: f64) -> f64 {
    if s == 0 { men.ln() } else { women.ln() }
}

fn neet_p0(age: usize) -> f64 {
    match age {
        ..=17 => 0.03,
        18..=19 => 0.06,
        _ => 0.095,
    }
}

fn prespor_p0(age: usize) -> f64 {
    match age {
        ..=24 => 0.006,
        25..=44 => 0.005,
        45..=64 => 0.004,
        65..=79 => 0.005,
        _ => 0.012,
    }
}

fn health_literacy_p0(age: usize) -> f64 {
    match age {
        ..=24 => 0.11,
        25..=34 => 0.09,
        35..=64 => 0.08,
        65..=74 => 0.09,
        _ => 0.13,
    }
}

fn outside_labour_age_shift(age: usize) -> f64 {
    match age {
        ..=24 => -0.4,
        25..=29 => -0.1,
        30..=49 => 0.0,
        _ => 0.2,
    }
}

/// Regional reference levels of the driving indicators (2025, sums over parishes).
struct Reference {
    outside: f64,
    alone: f64,
    prehospital: f64,
    literacy: f64,
    /// Mean outside-labour share of the housing areas.
    housing_outside: f64,
    /// Mean basic-education share of the housing areas.
    housing_basic: f64,
}

fn share((n, d): (f64, f64)) -> Result<f64, DemoError> {
    if d > 0.0 && n > 0.0 && n < d {
        Ok(n / d)
    } else {
        Err(DemoError::Spec(format!(
            "reference share {n}/{d} is not in (0, 1)"
        )))
    }
}

fn reference(ind: &Indicators) -> Result<Reference, DemoError> {
    let prehospital = nd_sum(&ind.parish, ids::PREHOSPITAL)?;
    if prehospital.0 <= 0.0 || prehospital.1 <= 0.0 {
        return Err(DemoError::Spec(
            "no prehospital contacts in the region".into(),
        ));
    }
    Ok(Reference {
        outside: share(nd_sum(&ind.parish, ids::OUTSIDE_LABOUR)?)?,
        alone: share(nd_sum(&ind.parish, ids::LIVING_ALONE_65)?)?,
        prehospital: prehospital.0 / prehospital.1,
        literacy: share(nd_sum(&ind.parish, ids::LOW_HEALTH_LITERACY)?)?,
        housing_outside: share(nd_sum(&ind.housing, ids::OUTSIDE_LABOUR)?)?,
        housing_basic: share(nd_sum(&ind.housing, ids::BASIC_EDUCATION)?)?,
    })
}

/// Adds `Binomial(persons, p(age, sex))` members and the persons as base into the cells, for
/// the ages `lo..=hi` of `counts`.
fn draw_into(
    cells: &mut SegmentCells,
    counts: &SexAge,
    (lo, hi): (usize, usize),
    rng: &mut ChaCha8Rng,
    p: impl Fn(usize, usize) -> f64,
) -> Result<(), DemoError> {
    for (s, by_age) in counts.iter().enumerate() {
        for (age, &n) in by_age.iter().enumerate().take(hi + 1).skip(lo) {
            let c = spec::esp_band(age) * 2 + s;
            cells[c][0] += binomial(rng, n, p(age, s))?;
            cells[c][1] += n;
        }
    }
    Ok(())
}

/// Builds the segment aggregates (see the module doc for the model).
///
/// # Errors
/// [`DemoError::Spec`] if a driving indicator is missing or degenerate in the region,
/// [`DemoError::Distribution`] if a binomial cannot be built (not expected: `p` is clamped).
pub fn build(
    geo: &Geography,
    pop: &Population,
    ind: &Indicators,
    seed: u64,
) -> Result<Segments, DemoError> {
    let r = reference(ind)?;
    let empty: [SegmentCells; N_SEGMENTS] = [[[0; 2]; CELLS]; N_SEGMENTS];
    let mut parish = vec![empty; geo.parishes.len()];
    for (pi, p) in geo.parishes.iter().enumerate() {
        let mut rng = stream(seed, &format!("segments/parish/{}", p.code));
        let cells = &ind.parish[pi];
        let counts = &pop.parish[pi][YI];
        let out = &mut parish[pi];

        let d_outside = share_shift(nd(cells, ids::OUTSIDE_LABOUR)?, r.outside, 50.0);
        draw_into(&mut out[0], counts, BASE_AGES[0], &mut rng, |age, s| {
            logistic(logit(neet_p0(age)) + sex_odds(s, 1.15, 0.9) + d_outside)
        })?;

        let d_alone = share_shift(nd(cells, ids::LIVING_ALONE_65)?, r.alone, 50.0);
        let rr = |id: &str, rate: fn(usize, usize) -> f64| -> Result<f64, DemoError> {
            let (obs, _) = nd(cells, id)?;
            let exp = expected(counts, rate);
            Ok((obs + 20.0) / (exp + 20.0))
        };
        let rr_copd = rr(ids::COPD, copd_rate)?;
        let rr_diabetes = rr(ids::DIABETES, diabetes_rate)?;
        draw_into(&mut out[1], counts, BASE_AGES[1], &mut rng, |age, s| {
            let b = spec::esp_band(age);
            let k = b - 13; // band 65-69 = 13
            let alone = logistic(logit(ALONE_65[s][k]) + d_alone);
            let copd = (copd_rate(s, b) * rr_copd).min(0.9);
            let diabetes = (diabetes_rate(s, b) * rr_diabetes).min(0.9);
            let hf = HEART_FAILURE_65[k]
                * if s == 0 {
                    HEART_FAILURE_MALE_FACTOR
                } else {
                    1.0
                };
            alone * (1.0 - (1.0 - copd) * (1.0 - diabetes) * (1.0 - hf))
        })?;

        let d_pre = ratio_shift(nd(cells, ids::PREHOSPITAL)?, r.prehospital, 1000.0);
        draw_into(&mut out[2], counts, BASE_AGES[2], &mut rng, |age, s| {
            logistic(logit(prespor_p0(age)) + sex_odds(s, 1.1, 1.0) + 1.5 * d_pre)
        })?;

        let d_lit = share_shift(nd(cells, ids::LOW_HEALTH_LITERACY)?, r.literacy, 40.0);
        draw_into(&mut out[3], counts, BASE_AGES[3], &mut rng, |age, s| {
            logistic(logit(health_literacy_p0(age)) + sex_odds(s, 1.1, 1.0) + d_lit)
        })?;
    }
    // Social housing: the housing areas' residents, counted in their host parish.
    for (hi, a) in pop.areas.iter().enumerate() {
        let mut rng = stream(seed, &format!("segments/housing/{}", a.code));
        let cells = &ind.housing[hi];
        let x_out = logit(
            (nd(cells, ids::OUTSIDE_LABOUR)?.0 + 50.0 * r.housing_outside)
                / (nd(cells, ids::OUTSIDE_LABOUR)?.1 + 50.0),
        );
        let (bn, bd) = nd(cells, ids::BASIC_EDUCATION)?;
        let basic = logistic(logit((bn + 50.0 * r.housing_basic) / (bd + 50.0)) + 1.0);
        draw_into(
            &mut parish[a.parish][4],
            &pop.housing[hi][YI],
            BASE_AGES[4],
            &mut rng,
            |age, _| logistic(x_out + outside_labour_age_shift(age)) * basic,
        )?;
    }
    Ok(Segments { parish })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_are_zero_at_the_reference_and_signed() {
        assert!(share_shift((10.0, 100.0), 0.1, 50.0).abs() < 1e-12);
        assert!(share_shift((30.0, 100.0), 0.1, 50.0) > 0.0);
        assert!(share_shift((0.0, 100.0), 0.1, 50.0) < 0.0);
        // Shrinkage: a tiny parish moves less than a large one with the same share.
        assert!(share_shift((3.0, 10.0), 0.1, 50.0) < share_shift((300.0, 1000.0), 0.1, 50.0));
        assert!(ratio_shift((20.0, 1000.0), 0.02, 1000.0).abs() < 1e-12);
        assert!(ratio_shift((0.0, 0.0), 0.02, 1000.0).abs() < 1e-12);
    }

    #[test]
    fn base_ages_cover_the_definitions() {
        // The bands of every base range exist and 65+ starts at band 13 (65-69).
        assert_eq!(spec::esp_band(65), 13);
        assert_eq!(ESP_BANDS[13], "65-69");
        for (lo, hi) in BASE_AGES {
            assert!(lo <= hi && hi <= 99);
        }
    }

    #[test]
    fn draws_keep_members_within_the_base_and_cells_by_band() {
        let mut counts = crate::population::ZERO;
        counts[0][16] = 7;
        counts[1][24] = 5;
        counts[0][40] = 1000; // outside 16-24: ignored
        let mut cells = [[0u64; 2]; CELLS];
        let mut rng = stream(1, "test");
        draw_into(&mut cells, &counts, (16, 24), &mut rng, |_, _| 1.0).unwrap();
        assert_eq!(cells[3 * 2], [7, 7]); // 15-19 men
        assert_eq!(cells[4 * 2 + 1], [5, 5]); // 20-24 women
        assert_eq!(cells.iter().map(|c| c[1]).sum::<u64>(), 12);
        let mut cells = [[0u64; 2]; CELLS];
        draw_into(&mut cells, &counts, (16, 24), &mut rng, |_, _| 0.0).unwrap();
        assert_eq!(cells.iter().map(|c| c[0]).sum::<u64>(), 0);
        assert_eq!(cells.iter().map(|c| c[1]).sum::<u64>(), 12);
    }
}
