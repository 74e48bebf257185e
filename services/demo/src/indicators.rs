//! Synthetic indicator counts (numerator / denominator) for parishes, housing areas and
//! municipalities, and the age-band × sex disease rows for municipalities.
//!
//! # Model
//! Every parish is split into *units*: the residents of each housing area it hosts, and the
//! rest of the parish. Each unit has a latent deprivation `d` (parish rest:
//! `μ_m + N(0.3, 0.4)` in town parishes, `μ_m + N(−0.25, 0.3)` in rural ones, +0.25 when the
//! parish hosts a housing area, `μ_m ~ N(0, 0.12)`; housing area: its spec value `+ N(0, 0.08)`),
//! a small linear drift per year (`N(0, 0.03)` per year, centred on 2023), and a fixed
//! per-indicator offset `ε ~ N(0, 0.15)` (0.10 in housing areas) so indicators are correlated
//! but not identical. For a proportion indicator with regional typical level `b`, slope `β`
//! and yearly trend `τ` (table [`RATES`]), the unit's probability in year index `t` is
//! `p = logistic(logit(b) + β·d(t) + ε + τ·t)` and the numerator is `Binomial(den, p)`.
//! Event rates (preventable admissions, prehospital contacts) are `Poisson(den · b ·
//! exp(β·d + ε))`. COPD and type 2 diabetes use age-specific rates ([`spec::COPD_BY_BAND`],
//! [`spec::DIABETES_BY_BAND`]) times `exp(β·d + ε)`, so their counts follow the unit's age
//! structure. Survey indicators draw respondents `Binomial(persons 16+, r)`,
//! `r ~ U(2.8 %, 5.5 %)` per parish (×0.75 in housing areas), then `Binomial(respondents, p)`.
//! Parish counts are the sums over its units and municipality counts the sums over its
//! parishes, so all sums hold exactly. All randomness comes from per-unit ChaCha8 streams
//! keyed by the area code, so a unit's values do not depend on generation order.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson, StandardNormal};

use crate::geography::Geography;
use crate::population::{Population, SexAge, apportion, sum_ages};
use crate::spec;
use crate::{DemoError, N_YEARS, SURVEY_YEAR_INDICES, YEARS, stream};

/// Indicator ids (contracts with the store; see `data/demo/README.md`).
pub mod ids {
    /// Persons; numerator only.
    pub const POPULATION: &str = "population";
    /// Persons 18–64 outside labour market and education / persons 18–64.
    pub const OUTSIDE_LABOUR: &str = "outside_labour_edu_18_64";
    /// Persons 30–59 with only basic schooling / persons 30–59.
    pub const BASIC_EDUCATION: &str = "basic_education_30_59";
    /// Persons in households below 60 % of median income / persons.
    pub const LOW_INCOME: &str = "low_income";
    /// Immigrants and descendants of non-Western origin / persons.
    pub const NON_WESTERN: &str = "non_western_origin";
    /// Households with one adult / households.
    pub const SINGLE_ADULT: &str = "single_adult_households";
    /// Persons 65+ living alone / persons 65+.
    pub const LIVING_ALONE_65: &str = "living_alone_65plus";
    /// Persons with COPD / persons 35+.
    pub const COPD: &str = "copd_prevalence";
    /// Persons with type 2 diabetes / persons.
    pub const DIABETES: &str = "type2_diabetes_prevalence";
    /// Preventable admissions / persons 65+ (a rate).
    pub const PREVENTABLE_ADMISSIONS: &str = "preventable_admissions_65plus";
    /// Prehospital contacts without acute somatic disease / persons (a rate).
    pub const PREHOSPITAL: &str = "prehospital_nonacute_contacts";
    /// Survey: fair/poor self-rated health / respondents.
    pub const LOW_SELF_RATED_HEALTH: &str = "low_self_rated_health";
    /// Survey: low health literacy / respondents.
    pub const LOW_HEALTH_LITERACY: &str = "low_health_literacy";
    /// Survey: often lonely / respondents.
    pub const LONELINESS: &str = "loneliness";
    /// Survey: daily smokers / respondents.
    pub const DAILY_SMOKING: &str = "daily_smoking";
    /// Residents 18+ convicted / residents 18+ (housing areas and municipalities).
    pub const CONVICTED: &str = "convicted_18plus";
    /// Mean gross income 15–64 excl. students as % of the regional mean (housing areas).
    pub const INCOME_PCT_REGION: &str = "income_15_64_pct_region";
}

/// What an indicator's denominator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denominator {
    /// No denominator (population).
    None,
    /// All persons.
    Persons,
    /// Persons aged `lo..=hi`.
    Ages(usize, usize),
    /// Households.
    Households,
    /// Survey respondents.
    Respondents,
}

/// How an indicator's numerator is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Draw {
    /// The population count itself.
    Count,
    /// `Binomial(den, logistic(logit(base) + beta·d + ε + trend·t))`.
    Proportion {
        /// Regional typical level at d = 0 in 2021.
        base: f64,
        /// Logit change per unit of deprivation.
        beta: f64,
        /// Logit change per year.
        trend: f64,
    },
    /// `Binomial(den, logistic(nw_logit + trend·t))` with the unit's own composition.
    NonWestern,
    /// `Poisson(den · base · exp(beta·d + ε + trend·t))`.
    Events {
        /// Events per person at d = 0.
        base: f64,
        /// Log change per unit of deprivation.
        beta: f64,
        /// Log change per year.
        trend: f64,
    },
    /// Age-specific rates × `exp(beta·d + ε)`, drawn as Binomial over the denominator.
    AgeSpecific {
        /// Which disease table.
        disease: Disease,
        /// Log change per unit of deprivation.
        beta: f64,
    },
}

/// Diseases with age-specific rate tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disease {
    /// COPD (KOL).
    Copd,
    /// Type 2 diabetes.
    Diabetes,
}

impl Disease {
    /// Rate for sex `s` (0 = men) in ESP band `b` at deprivation 0.
    pub fn rate(self, s: usize, b: usize) -> f64 {
        match self {
            Disease::Copd => {
                spec::COPD_BY_BAND[b] * if s == 0 { spec::COPD_MALE_FACTOR } else { 1.0 }
            }
            Disease::Diabetes => {
                spec::DIABETES_BY_BAND[b]
                    * if s == 0 {
                        spec::DIABETES_MALE_FACTOR
                    } else {
                        1.0
                    }
            }
        }
    }
}

/// One count indicator of the long file.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Indicator id.
    pub id: &'static str,
    /// Denominator.
    pub den: Denominator,
    /// Numerator model.
    pub draw: Draw,
    /// Survey indicator (periods 2021 and 2025 only).
    pub survey: bool,
    /// Written for parishes (municipalities and housing areas always get it).
    pub parish_rows: bool,
}

const fn prop(
    id: &'static str,
    den: Denominator,
    base: f64,
    beta: f64,
    trend: f64,
    survey: bool,
) -> Rate {
    Rate {
        id,
        den,
        draw: Draw::Proportion { base, beta, trend },
        survey,
        parish_rows: true,
    }
}

/// The count indicators, their denominators and model parameters. Levels `base` are set
/// near public regional figures where the brief names one (daily smoking ~13 % in 2021 per
/// DEFACTUM; outside labour market 18–64 ~15–20 %; COPD ~4–6 % of 35+; type 2 diabetes
/// ~4–6 %), otherwise to plausible Danish levels; the slopes `beta` are chosen so that a
/// housing area with d ≈ 3 is outside the labour market at ~40 %+ and d ≈ 3.9 at ~50 %.
pub const RATES: &[Rate] = &[
    Rate {
        id: ids::POPULATION,
        den: Denominator::None,
        draw: Draw::Count,
        survey: false,
        parish_rows: true,
    },
    prop(
        ids::OUTSIDE_LABOUR,
        Denominator::Ages(18, 64),
        0.155,
        0.43,
        -0.015,
        false,
    ),
    prop(
        ids::BASIC_EDUCATION,
        Denominator::Ages(30, 59),
        0.15,
        0.47,
        -0.02,
        false,
    ),
    prop(
        ids::LOW_INCOME,
        Denominator::Persons,
        0.075,
        0.55,
        0.0,
        false,
    ),
    Rate {
        id: ids::NON_WESTERN,
        den: Denominator::Persons,
        draw: Draw::NonWestern,
        survey: false,
        parish_rows: true,
    },
    prop(
        ids::SINGLE_ADULT,
        Denominator::Households,
        0.40,
        0.25,
        0.005,
        false,
    ),
    prop(
        ids::LIVING_ALONE_65,
        Denominator::Ages(65, 99),
        0.30,
        0.25,
        0.0,
        false,
    ),
    Rate {
        id: ids::COPD,
        den: Denominator::Ages(35, 99),
        draw: Draw::AgeSpecific {
            disease: Disease::Copd,
            beta: 0.28,
        },
        survey: false,
        parish_rows: true,
    },
    Rate {
        id: ids::DIABETES,
        den: Denominator::Persons,
        draw: Draw::AgeSpecific {
            disease: Disease::Diabetes,
            beta: 0.25,
        },
        survey: false,
        parish_rows: true,
    },
    Rate {
        id: ids::PREVENTABLE_ADMISSIONS,
        den: Denominator::Ages(65, 99),
        draw: Draw::Events {
            base: 0.065,
            beta: 0.30,
            trend: -0.01,
        },
        survey: false,
        parish_rows: true,
    },
    Rate {
        id: ids::PREHOSPITAL,
        den: Denominator::Persons,
        draw: Draw::Events {
            base: 0.022,
            beta: 0.35,
            trend: 0.02,
        },
        survey: false,
        parish_rows: true,
    },
    prop(
        ids::LOW_SELF_RATED_HEALTH,
        Denominator::Respondents,
        0.14,
        0.35,
        0.01,
        true,
    ),
    prop(
        ids::LOW_HEALTH_LITERACY,
        Denominator::Respondents,
        0.09,
        0.40,
        0.0,
        true,
    ),
    prop(
        ids::LONELINESS,
        Denominator::Respondents,
        0.07,
        0.35,
        0.03,
        true,
    ),
    prop(
        ids::DAILY_SMOKING,
        Denominator::Respondents,
        0.125,
        0.40,
        -0.05,
        true,
    ),
    Rate {
        id: ids::CONVICTED,
        den: Denominator::Ages(18, 99),
        draw: Draw::Proportion {
            base: 0.0075,
            beta: 0.40,
            trend: -0.01,
        },
        survey: false,
        parish_rows: false,
    },
];

/// Number of count indicators in [`RATES`].
pub const N_RATES: usize = 16;

/// Numerator and denominator of one count cell; `None` = missing / not applicable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Numerator.
    pub num: Option<u64>,
    /// Denominator.
    pub den: Option<u64>,
}

impl Cell {
    fn add(&mut self, other: Cell) {
        self.num = add_opt(self.num, other.num);
        self.den = add_opt(self.den, other.den);
    }
}

fn add_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (x, y) => Some(x.unwrap_or(0) + y.unwrap_or(0)),
    }
}

/// Cells per year per indicator (indices into [`RATES`]); a survey indicator's cells in a
/// non-survey year are `None`.
pub type Cells = [[Option<Cell>; N_RATES]; N_YEARS];

/// One band × sex row for a municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandCell {
    /// Index into [`RATES`] (COPD or diabetes).
    pub rate: usize,
    /// Year index.
    pub year: usize,
    /// ESP band index.
    pub band: usize,
    /// Sex index (0 = men → `1`, 1 = women → `2`).
    pub sex: usize,
    /// Cases; `None` = missing cell.
    pub num: Option<u64>,
    /// Persons in the band (from FOLK1A).
    pub den: u64,
}

/// Output of the indicator stage.
#[derive(Debug, Clone)]
pub struct Indicators {
    /// Per parish.
    pub parish: Vec<Cells>,
    /// Per housing area.
    pub housing: Vec<Cells>,
    /// Per municipality (sum of its parishes).
    pub municipality: Vec<Cells>,
    /// Per housing area per year: income 15–64 as tenths of a percent of the regional mean.
    pub housing_income_tenths: Vec<[i64; N_YEARS]>,
    /// Band rows per municipality.
    pub bands: Vec<Vec<BandCell>>,
}

struct Unit<'a> {
    counts: &'a [SexAge; N_YEARS],
    d: f64,
    drift: f64,
    town: bool,
    nw_logit: f64,
    eps: [f64; N_RATES],
    resp_rate: f64,
    hh_size: f64,
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> Result<u64, DemoError> {
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let dist = Binomial::new(n, p)
        .map_err(|e| DemoError::Distribution(format!("Binomial({n}, {p}): {e}")))?;
    Ok(dist.sample(rng))
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> Result<u64, DemoError> {
    if !(lambda.is_finite() && lambda > 0.0) {
        return Ok(0);
    }
    let dist = Poisson::new(lambda)
        .map_err(|e| DemoError::Distribution(format!("Poisson({lambda}): {e}")))?;
    Ok(dist.sample(rng) as u64)
}

fn denominator(den: Denominator, c: &SexAge, households: u64, respondents: u64) -> Option<u64> {
    match den {
        Denominator::None => None,
        Denominator::Persons => Some(sum_ages(c, 0, 99)),
        Denominator::Ages(lo, hi) => Some(sum_ages(c, lo, hi)),
        Denominator::Households => Some(households),
        Denominator::Respondents => Some(respondents),
    }
}

fn unit_cells(unit: &Unit<'_>, rng: &mut ChaCha8Rng) -> Result<Cells, DemoError> {
    let mut out: Cells = [[None; N_RATES]; N_YEARS];
    for (yi, row) in out.iter_mut().enumerate() {
        let c = &unit.counts[yi];
        let t = yi as f64;
        let d = unit.d + unit.drift * (t - 2.0);
        let pop = sum_ages(c, 0, 99);
        let households = (pop as f64 / unit.hh_size).round() as u64;
        let survey_year = SURVEY_YEAR_INDICES.contains(&yi);
        let respondents = if survey_year {
            binomial(rng, sum_ages(c, 16, 99), unit.resp_rate)?
        } else {
            0
        };
        for (ri, rate) in RATES.iter().enumerate() {
            if rate.survey && !survey_year {
                continue;
            }
            let den = denominator(rate.den, c, households, respondents);
            let n = den.unwrap_or(0);
            let eps = unit.eps[ri];
            let num = match rate.draw {
                Draw::Count => pop,
                Draw::Proportion { base, beta, trend } => {
                    let mut x = logit(base) + beta * d + eps + trend * t;
                    if rate.id == ids::SINGLE_ADULT && unit.town {
                        x += 0.25;
                    }
                    if rate.id == ids::LIVING_ALONE_65 && unit.town {
                        x += 0.15;
                    }
                    binomial(rng, n, logistic(x))?
                }
                Draw::NonWestern => binomial(rng, n, logistic(unit.nw_logit + 0.03 * t))?,
                Draw::Events { base, beta, trend } => {
                    poisson(rng, n as f64 * base * (beta * d + eps + trend * t).exp())?
                }
                Draw::AgeSpecific { disease, beta } => {
                    let rr = (beta * d + eps).exp();
                    let expected: f64 = (0..2)
                        .flat_map(|s| (0..100).map(move |a| (s, a)))
                        .map(|(s, a)| c[s][a] as f64 * disease.rate(s, spec::esp_band(a)) * rr)
                        .sum();
                    let p = if n > 0 { expected / n as f64 } else { 0.0 };
                    binomial(rng, n, p.min(0.95))?
                }
            };
            row[ri] = Some(Cell {
                num: Some(num),
                den,
            });
        }
    }
    Ok(out)
}

fn add_cells(acc: &mut Cells, other: &Cells) {
    for (ya, yb) in acc.iter_mut().zip(other.iter()) {
        for (a, b) in ya.iter_mut().zip(yb.iter()) {
            match (a.as_mut(), b) {
                (Some(x), Some(y)) => x.add(*y),
                (None, Some(y)) => *a = Some(*y),
                _ => {}
            }
        }
    }
}

/// Index of an indicator id in [`RATES`].
pub fn rate_index(id: &str) -> Option<usize> {
    RATES.iter().position(|r| r.id == id)
}

/// Number of band cells left missing (empty numerator) on purpose.
pub const MISSING_BAND_CELLS: usize = 8;

/// Generates all indicator cells (see the module doc for the model).
///
/// # Errors
/// [`DemoError::Distribution`] if a distribution cannot be built (not expected: all
/// parameters are clamped), [`DemoError::Spec`] if a band apportionment fails.
pub fn build(geo: &Geography, pop: &Population, seed: u64) -> Result<Indicators, DemoError> {
    debug_assert_eq!(RATES.len(), N_RATES);
    let nm = geo.municipalities.len();
    let mut mrng = stream(seed, "indicators/municipality-effects");
    let mu: Vec<f64> = (0..nm).map(|_| 0.12 * normal(&mut mrng)).collect();
    let mut hosts = vec![false; geo.parishes.len()];
    for a in &pop.areas {
        hosts[a.parish] = true;
    }

    // Housing-area units.
    let mut housing = Vec::with_capacity(pop.areas.len());
    let mut housing_income_tenths = Vec::with_capacity(pop.areas.len());
    for (hi, a) in pop.areas.iter().enumerate() {
        let mut rng = stream(seed, &format!("indicators/housing/{}", a.code));
        let d = a.spec.deprivation + 0.08 * normal(&mut rng);
        let drift = 0.03 * normal(&mut rng);
        let mut eps = [0.0; N_RATES];
        for e in eps.iter_mut() {
            *e = 0.10 * normal(&mut rng);
        }
        let unit = Unit {
            counts: &pop.housing[hi],
            d,
            drift,
            town: true,
            nw_logit: logit(a.spec.non_western) + 0.1 * normal(&mut rng),
            eps,
            resp_rate: 0.75 * rng.random_range(0.028..0.055),
            hh_size: 2.05 + 0.08 * normal(&mut rng),
        };
        let income_level = 0.03 * normal(&mut rng);
        let mut income = [0i64; N_YEARS];
        for (yi, v) in income.iter_mut().enumerate() {
            let dy = d + drift * (yi as f64 - 2.0);
            let pct = 100.0 * (-0.19 * dy + income_level + 0.01 * normal(&mut rng)).exp();
            *v = (pct * 10.0).round() as i64;
        }
        housing.push(unit_cells(&unit, &mut rng)?);
        housing_income_tenths.push(income);
    }

    // Parishes: rest-of-parish unit plus hosted housing areas.
    let mut parish = Vec::with_capacity(geo.parishes.len());
    for (pi, p) in geo.parishes.iter().enumerate() {
        let mut rng = stream(seed, &format!("indicators/parish/{}", p.code));
        let mi = geo
            .municipality_index(&p.municipality_code)
            .ok_or_else(|| DemoError::Spec(format!("parish {} lost its municipality", p.code)))?;
        let town = pop.town[pi];
        let z = normal(&mut rng);
        let d = mu[mi]
            + if town { 0.3 + 0.4 * z } else { -0.25 + 0.3 * z }
            + if hosts[pi] { 0.25 } else { 0.0 };
        let drift = 0.03 * normal(&mut rng);
        let mut eps = [0.0; N_RATES];
        for e in eps.iter_mut() {
            *e = 0.15 * normal(&mut rng);
        }
        let nw_logit =
            logit(0.045) + 0.8 * d + if town { 0.4 } else { 0.0 } + 0.35 * normal(&mut rng);
        let hh_size = if town { 1.95 } else { 2.3 } + 0.06 * normal(&mut rng);
        let resp_rate = rng.random_range(0.028..0.055);
        // The rest of the parish = parish counts minus its housing areas' counts.
        let mut rest = pop.parish[pi];
        for (hi, a) in pop.areas.iter().enumerate() {
            if a.parish == pi {
                let cells = rest.iter_mut().flatten().flatten();
                let taken = pop.housing[hi].iter().flatten().flatten();
                for (r, h) in cells.zip(taken) {
                    *r -= h;
                }
            }
        }
        let unit = Unit {
            counts: &rest,
            d,
            drift,
            town,
            nw_logit,
            eps,
            resp_rate,
            hh_size,
        };
        let mut cells = unit_cells(&unit, &mut rng)?;
        for (hi, a) in pop.areas.iter().enumerate() {
            if a.parish == pi {
                add_cells(&mut cells, &housing[hi]);
            }
        }
        parish.push(cells);
    }

    // Municipalities = sums of parishes.
    let mut municipality: Vec<Cells> = vec![[[None; N_RATES]; N_YEARS]; nm];
    for (pi, p) in geo.parishes.iter().enumerate() {
        if let Some(mi) = geo.municipality_index(&p.municipality_code) {
            add_cells(&mut municipality[mi], &parish[pi]);
        }
    }

    // Band × sex rows for COPD and diabetes: municipal cases apportioned over the cells in
    // proportion to persons × age-specific rate, so the band rows sum to the total row.
    let mut brng = stream(seed, "indicators/bands");
    let mut bands = Vec::with_capacity(nm);
    for (mi, mcells) in municipality.iter().enumerate() {
        let mut rows = Vec::new();
        for (ri, disease) in [
            (rate_index(ids::COPD), Disease::Copd),
            (rate_index(ids::DIABETES), Disease::Diabetes),
        ] {
            let ri = ri.ok_or_else(|| DemoError::Spec("disease indicator missing".into()))?;
            for (yi, ycells) in mcells.iter().enumerate() {
                let c = &pop.municipality[mi][yi];
                let mut den = [[0u64; 19]; 2];
                for (s, dens) in den.iter_mut().enumerate() {
                    for a in 0..100 {
                        dens[spec::esp_band(a)] += c[s][a];
                    }
                }
                let weights: Vec<u64> = (0..2)
                    .flat_map(|s| (0..19).map(move |b| (s, b)))
                    .map(|(s, b)| (den[s][b] as f64 * disease.rate(s, b) * 1e6).round() as u64)
                    .collect();
                let total = ycells[ri].and_then(|x| x.num).unwrap_or(0);
                let split = apportion(total, &weights).ok_or_else(|| {
                    DemoError::Spec(format!("no band weights in municipality {mi}"))
                })?;
                for b in 0..19 {
                    for s in 0..2 {
                        rows.push(BandCell {
                            rate: ri,
                            year: yi,
                            band: b,
                            sex: s,
                            num: Some(split[s * 19 + b]),
                            den: den[s][b],
                        });
                    }
                }
            }
        }
        bands.push(rows);
    }
    // A handful of missing cells (empty numerator), in the 35+ bands.
    let mut made = 0;
    while made < MISSING_BAND_CELLS {
        let mi = brng.random_range(0..nm);
        let k = brng.random_range(0..bands[mi].len());
        let cell = &mut bands[mi][k];
        if cell.band >= 7 && cell.num.is_some() {
            cell.num = None;
            made += 1;
        }
    }
    debug_assert_eq!(YEARS.len(), N_YEARS);
    Ok(Indicators {
        parish,
        housing,
        municipality,
        housing_income_tenths,
        bands,
    })
}
