//! Synthetic population counts by sex × single year of age: municipalities (the FOLK1A
//! extract), their parishes (an exact split of the municipal counts) and the housing areas
//! (a subset of their host parish).
//!
//! Model, per municipality `m` and year `y` (2021…2025):
//! - total `T(m,y) = P2013 · (1+r)^8 · (1+r/2)^(y−2021) · (1+ε)`, `r = 0.40 % + 0.45 %·u_m`,
//!   `ε ~ N(0, 0.0004)`, where `u_m = clamp(ln(density/80)/ln 8, −1, 1)` is an urbanity score
//!   from the 2013 density (persons/km²). Growth halves after 2021 (the real Herning series
//!   flattens around 2021–2022, DANISH-DATA.md §2).
//! - the age × sex shape is the real national 2021 pyramid ([`spec::NATIONAL_AGE_SEX_2021Q2`])
//!   tilted by urbanity (more 18–34, fewer 65+ in urban municipalities), a fixed per-age
//!   log-normal jitter (σ = 0.04) and a slow ageing drift; counts are the largest-remainder
//!   apportionment of `T(m,y)` over the 200 cells, so they sum exactly.
//! - each municipal cell is split over the municipality's parishes by largest remainder with
//!   parish weights (town parishes ~ LogNormal(ln 6000, 0.4) persons, rural ~ (150 + 32·area/km²)
//!   × LogNormal(0, 0.35), islands ~ (40 + 15·area/km²) × LogNormal(0, 0.3), plus 1.3 × the residents of hosted housing areas), an age tilt
//!   (towns younger) and a small yearly growth difference, so parishes sum exactly to FOLK1A.
//! - a housing area takes, from its host parish's not-yet-assigned cells, a share that is
//!   younger than the parish (children ×1.35, 65+ ×0.6, 80+ ×0.45), scaled to the target
//!   residents of the year and capped by the parish cell.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::geography::Geography;
use crate::spec::{self, HOUSING_AREAS};
use crate::{DemoError, N_YEARS, YEARS, stream};

/// Counts by sex (0 = men, 1 = women) × single year of age 0–99.
pub type SexAge = [[u64; 100]; 2];

/// A zeroed [`SexAge`].
pub const ZERO: SexAge = [[0; 100]; 2];

/// Sum of a [`SexAge`] over ages `lo..=hi` for both sexes.
pub fn sum_ages(c: &SexAge, lo: usize, hi: usize) -> u64 {
    c.iter().map(|s| s[lo..=hi].iter().sum::<u64>()).sum()
}

/// The derived placement facts a housing area needs.
#[derive(Debug, Clone)]
pub struct HousingArea {
    /// The spec it comes from.
    pub spec: spec::HousingAreaSpec,
    /// `<municipality>-B<nn>`.
    pub code: String,
    /// Index of the host parish in [`Geography::parishes`].
    pub parish: usize,
}

/// Everything the population stage produces.
#[derive(Debug, Clone)]
pub struct Population {
    /// Per municipality (geography order), per year: counts.
    pub municipality: Vec<[SexAge; N_YEARS]>,
    /// Per parish (geography order), per year: counts (including housing-area residents).
    pub parish: Vec<[SexAge; N_YEARS]>,
    /// Per housing area (HOUSING_AREAS order), per year: counts.
    pub housing: Vec<[SexAge; N_YEARS]>,
    /// Housing areas with their codes and host parishes (HOUSING_AREAS order).
    pub areas: Vec<HousingArea>,
    /// Whether each parish is a town parish.
    pub town: Vec<bool>,
    /// Urbanity score per municipality in [−1, 1].
    pub urbanity: Vec<f64>,
}

/// Largest-remainder (Hamilton) apportionment of `total` over integer `weights`, exact in
/// integer arithmetic: each share is `⌊total·wᵢ/W⌋`, and the units left over go to the
/// largest remainders, ties to the lower index. Returns `None` if all weights are zero and
/// `total > 0`. A zero weight never receives a unit.
pub fn apportion(total: u64, weights: &[u64]) -> Option<Vec<u64>> {
    let w_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if w_sum == 0 {
        return if total == 0 {
            Some(vec![0; weights.len()])
        } else {
            None
        };
    }
    let t = u128::from(total);
    let mut out = Vec::with_capacity(weights.len());
    let mut rem = Vec::with_capacity(weights.len());
    let mut given: u128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let prod = t * u128::from(w);
        let q = prod / w_sum;
        given += q;
        out.push(q as u64);
        rem.push((prod % w_sum, i));
    }
    rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = (t - given) as usize;
    for &(_, i) in rem.iter().take(left) {
        out[i] += 1;
    }
    Some(out)
}

/// Converts a non-negative finite weight to an integer weight with 6 significant decimals
/// of headroom (`round(w·1e6)`), so the apportionment itself is integer-exact.
fn int_weight(w: f64) -> u64 {
    if w.is_finite() && w > 0.0 {
        (w * 1e6).round() as u64
    } else {
        0
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// Builds the whole population (see the module doc for the model).
///
/// # Errors
/// [`DemoError::Spec`] when a town, island or host parish named in [`spec`] does not exist
/// in the geography, or when an apportionment has nothing to apportion to.
pub fn build(geo: &Geography, seed: u64) -> Result<Population, DemoError> {
    let nm = geo.municipalities.len();
    let np = geo.parishes.len();
    let find_parish = |muni: &str, name: &str| -> Result<usize, DemoError> {
        geo.parishes
            .iter()
            .position(|p| p.municipality_code == muni && p.name == name)
            .ok_or_else(|| {
                DemoError::Spec(format!("no parish named {name:?} in municipality {muni}"))
            })
    };
    let mut town = vec![false; np];
    for (muni, names) in spec::TOWN_PARISHES {
        for name in *names {
            town[find_parish(muni, name)?] = true;
        }
    }
    let mut island = vec![false; np];
    for (muni, name) in spec::ISLAND_PARISHES {
        island[find_parish(muni, name)?] = true;
    }
    // Housing areas: codes and host parishes.
    let mut areas = Vec::with_capacity(HOUSING_AREAS.len());
    for s in HOUSING_AREAS {
        if geo.municipality_index(s.municipality).is_none() {
            return Err(DemoError::Spec(format!(
                "housing area {:?} names unknown municipality {}",
                s.name, s.municipality
            )));
        }
        let seq = areas
            .iter()
            .filter(|a: &&HousingArea| a.spec.municipality == s.municipality)
            .count()
            + 1;
        areas.push(HousingArea {
            spec: *s,
            code: format!("{}-B{seq:02}", s.municipality),
            parish: find_parish(s.municipality, s.parish)?,
        });
    }

    // Municipal totals and age-sex counts.
    let mut rng = stream(seed, "population/municipality");
    let mut urbanity = Vec::with_capacity(nm);
    let mut municipality = Vec::with_capacity(nm);
    for m in &geo.municipalities {
        let density = m.population_2013 as f64 / m.area_km2;
        let u = ((density / 80.0).ln() / 8f64.ln()).clamp(-1.0, 1.0);
        urbanity.push(u);
        let r = 0.0040 + 0.0045 * u;
        let jitter: Vec<[f64; 100]> = (0..2)
            .map(|_| {
                let mut j = [0.0; 100];
                for v in j.iter_mut() {
                    *v = (0.04 * normal(&mut rng)).exp();
                }
                j
            })
            .collect();
        let mut per_year = [ZERO; N_YEARS];
        for (yi, year_counts) in per_year.iter_mut().enumerate() {
            let eps = 0.0004 * normal(&mut rng);
            let total = (m.population_2013 as f64
                * (1.0 + r).powi(8)
                * (1.0 + r / 2.0).powi(yi as i32)
                * (1.0 + eps))
                .round() as u64;
            let mut weights = Vec::with_capacity(200);
            for (s, jit) in jitter.iter().enumerate() {
                for (a, j) in jit.iter().enumerate() {
                    let tilt = if (18..=34).contains(&a) {
                        1.0 + 0.45 * u
                    } else if a >= 65 {
                        1.0 - 0.2 * u
                    } else if a < 18 {
                        1.0 - 0.05 * u
                    } else {
                        1.0
                    };
                    // Slow ageing: older ages gain ~0.4 % per year relative to age 40.
                    let ageing = 1.0 + 0.004 * yi as f64 * (a as f64 - 40.0) / 40.0;
                    let base = f64::from(spec::NATIONAL_AGE_SEX_2021Q2[s][a]);
                    weights.push(int_weight(base * tilt * j * ageing.max(0.5) / 1000.0));
                }
            }
            let counts = apportion(total, &weights).ok_or_else(|| {
                DemoError::Spec(format!("empty age weights for municipality {}", m.code))
            })?;
            for (i, c) in counts.into_iter().enumerate() {
                year_counts[i / 100][i % 100] = c;
            }
        }
        municipality.push(per_year);
    }

    // Parish weights.
    let mut rng = stream(seed, "population/parish");
    let mut hosted = vec![0.0f64; np];
    for a in &areas {
        hosted[a.parish] += f64::from(a.spec.residents_2025);
    }
    struct ParishWeight {
        base: f64,
        growth: f64,
        band_jitter: [f64; 19],
    }
    let mut pweights = Vec::with_capacity(np);
    for (i, p) in geo.parishes.iter().enumerate() {
        let z = normal(&mut rng);
        let base = if town[i] {
            (6000f64.ln() + 0.4 * z).exp()
        } else if island[i] {
            (40.0 + 15.0 * p.area_km2) * (0.3 * z).exp()
        } else {
            (150.0 + 32.0 * p.area_km2) * (0.35 * z).exp()
        } + 1.3 * hosted[i];
        let growth = if town[i] { 0.004 } else { -0.004 } + 0.004 * normal(&mut rng);
        let mut band_jitter = [1.0; 19];
        for b in band_jitter.iter_mut() {
            *b = (0.05 * normal(&mut rng)).exp();
        }
        pweights.push(ParishWeight {
            base,
            growth,
            band_jitter,
        });
    }
    let mut parish = vec![[ZERO; N_YEARS]; np];
    for (mi, m) in geo.municipalities.iter().enumerate() {
        let members: Vec<usize> = (0..np)
            .filter(|&i| geo.parishes[i].municipality_code == m.code)
            .collect();
        for yi in 0..N_YEARS {
            for s in 0..2 {
                for a in 0..100 {
                    let weights: Vec<u64> = members
                        .iter()
                        .map(|&i| {
                            let w = &pweights[i];
                            let tilt = match (town[i], a) {
                                (true, 18..=29) => 1.5,
                                (true, 30..=39) => 1.1,
                                (true, 65..) => 0.85,
                                (false, 18..=29) => 0.7,
                                (false, 65..) => 1.1,
                                _ => 1.0,
                            };
                            let grow = (1.0 + w.growth).powi(yi as i32 - 2);
                            int_weight(w.base * tilt * w.band_jitter[spec::esp_band(a)] * grow)
                        })
                        .collect();
                    let split =
                        apportion(municipality[mi][yi][s][a], &weights).ok_or_else(|| {
                            DemoError::Spec(format!("no parish weight in municipality {}", m.code))
                        })?;
                    for (k, &i) in members.iter().enumerate() {
                        parish[i][yi][s][a] = split[k];
                    }
                }
            }
        }
    }

    // Housing areas: a younger subset of the host parish.
    let mut rng = stream(seed, "population/housing");
    let mut remaining = parish.clone();
    let mut housing = Vec::with_capacity(areas.len());
    for a in &areas {
        let g = 0.01 * normal(&mut rng);
        let mut per_year = [ZERO; N_YEARS];
        for (yi, out) in per_year.iter_mut().enumerate() {
            let target = f64::from(a.spec.residents_2025) * (1.0 + g).powi(yi as i32 - 4);
            let rem = &mut remaining[a.parish][yi];
            let hmod = |age: usize| match age {
                0..=17 => 1.35,
                18..=29 => 1.25,
                30..=64 => 1.0,
                65..=79 => 0.6,
                _ => 0.45,
            };
            let mass: f64 = (0..2)
                .flat_map(|s| (0..100).map(move |age| (s, age)))
                .map(|(s, age)| rem[s][age] as f64 * hmod(age))
                .sum();
            if mass <= 0.0 {
                return Err(DemoError::Spec(format!(
                    "host parish of housing area {:?} has no residents left",
                    a.spec.name
                )));
            }
            let k = target / mass;
            for s in 0..2 {
                for age in 0..100 {
                    let c = ((rem[s][age] as f64 * hmod(age) * k).round() as u64).min(rem[s][age]);
                    out[s][age] = c;
                    rem[s][age] -= c;
                }
            }
        }
        housing.push(per_year);
    }
    debug_assert_eq!(YEARS.len(), N_YEARS);
    Ok(Population {
        municipality,
        parish,
        housing,
        areas,
        town,
        urbanity,
    })
}

#[cfg(test)]
mod tests {
    use super::apportion;
    use proptest::prelude::*;

    #[test]
    fn apportion_known_answers() {
        // Hamilton/largest-remainder examples. Source: infinitelexicon.com/largestremainder
        // ("populations 50, 30, 20; total seats 7. Quotas: 3.5, 2.1, 1.4" → 4, 2, 1) and
        // archipel-des-libertes.fr "largest remainders method" (Hare quota, 930 voters, 4
        // seats, votes 500/300/110/20 → A 2, B 1, C 1, D 0).
        assert_eq!(apportion(7, &[50, 30, 20]), Some(vec![4, 2, 1]));
        assert_eq!(apportion(4, &[500, 300, 110, 20]), Some(vec![2, 1, 1, 0]));
        // Ties go to the lower index; zero weights get nothing.
        assert_eq!(apportion(1, &[1, 1]), Some(vec![1, 0]));
        assert_eq!(apportion(3, &[0, 5, 0]), Some(vec![0, 3, 0]));
        assert_eq!(apportion(0, &[0, 0]), Some(vec![0, 0]));
        assert_eq!(apportion(2, &[0, 0]), None);
    }

    proptest! {
        #[test]
        fn apportion_is_exact_and_within_the_quota(
            total in 0u64..1_000_000,
            weights in proptest::collection::vec(0u64..1_000_000_000, 1..40),
        ) {
            let w_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            match apportion(total, &weights) {
                None => prop_assert!(w_sum == 0 && total > 0),
                Some(out) => {
                    prop_assert_eq!(out.iter().sum::<u64>(), total);
                    for (o, w) in out.iter().zip(&weights) {
                        // Quota rule: floor(q) ≤ share ≤ ceil(q).
                        let prod = u128::from(total) * u128::from(*w);
                        let lo = prod / w_sum;
                        let hi = lo + u128::from(prod % w_sum != 0);
                        prop_assert!(u128::from(*o) >= lo && u128::from(*o) <= hi);
                    }
                }
            }
        }
    }
}
