//! Inequality summaries across ordered groups (WHO HEAT set; PHE `phe_sii`).
//!
//! Input: groups in order from most deprived (group 1) to least deprived, each with a population
//! `pop_k > 0` and an indicator value `y_k`. With population shares `a_k = pop_k/Σpop` and the
//! midpoint of each group's cumulative population share `x_k = Σ_{j<k} a_j + a_k/2` (the
//! group's "relative rank", 0 = most deprived end):
//!
//! - **SII and RII** (PHE `phe_sii`, point estimates): weighted least squares of `y` on `x`,
//!   i.e. ordinary least squares of `y_k·√a_k` on `[√a_k, x_k·√a_k]` without intercept, giving
//!   intercept `α` and slope `β`. `SII = β · multiplier` (the modelled difference from the most to
//!   the least deprived end), `RII = (α + β)/α` (least-deprived end over most-deprived end).
//!   The package's simulated confidence intervals are Monte-Carlo and not reproduced here.
//! - **Concentration index** `C = 2·Σ a_k y_k x_k / μ − 1` with `μ = Σ a_k y_k` (equivalently
//!   `2·cov_a(y, x)/μ`), in `[−1, 1]`; positive when the indicator is concentrated in the less
//!   deprived groups (HEAT reports it × 100).
//! - **Theil index** `T = Σ a_k (y_k/μ) ln(y_k/μ)` (0 for equality; a zero value contributes 0;
//!   HEAT reports it × 1000). It ignores the order of groups. Requires `y ≥ 0`.
//! - **PAR/PAF**: with the least-deprived group as reference, `PAR = y_ref − μ` and
//!   `PAF = PAR/μ` (HEAT convention: the change in the overall value if everyone had the
//!   reference group's value; negative for an adverse outcome that is lower in the reference).
//! - **Difference** `y_last − y_first` and **ratio** `y_last / y_first` of the extreme groups.
//!
//! Assumptions: the groups are ordered by deprivation and each group's value is a population
//! mean (rate, proportion or mean). Where it breaks: RII is undefined when `α = 0`, the ratio
//! when `y_first = 0`, and C, Theil and PAF when `μ = 0` — then `None`.
//!
//! References: Low A, Low A. Measuring the gap: quantifying and comparing local health
//! inequalities. *J Public Health* 2004;26:388–395 (SII). WHO. *Health Equity Assessment Toolkit
//! (HEAT): technical notes*, 2022. Kakwani N, Wagstaff A, van Doorslaer E. Socioeconomic
//! inequalities in health. *J Econometrics* 1997;77:87–103 (concentration index).

use serde::{Deserialize, Serialize};

use super::{StatsError, check_denominator};

/// The summaries of one indicator across ordered groups. `None` where undefined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InequalitySummary {
    /// Slope index of inequality (× multiplier).
    pub sii: f64,
    /// Relative index of inequality.
    pub rii: Option<f64>,
    /// Concentration index.
    pub concentration_index: Option<f64>,
    /// Theil index.
    pub theil: Option<f64>,
    /// Population attributable risk (value units).
    pub par: f64,
    /// Population attributable fraction.
    pub paf: Option<f64>,
    /// Least deprived minus most deprived group value.
    pub difference: f64,
    /// Least deprived over most deprived group value.
    pub ratio: Option<f64>,
}

/// Relative-rank midpoints `x_k` and population shares `a_k` of ordered groups.
pub fn relative_ranks(populations: &[f64]) -> Result<(Vec<f64>, Vec<f64>), StatsError> {
    for (i, &p) in populations.iter().enumerate() {
        check_denominator("population", i, p)?;
    }
    let total: f64 = populations.iter().sum();
    let shares: Vec<f64> = populations.iter().map(|p| p / total).collect();
    let mut cum = 0.0;
    let mids = shares
        .iter()
        .map(|&a| {
            let m = cum + a / 2.0;
            cum += a;
            m
        })
        .collect();
    Ok((mids, shares))
}

/// SII (× multiplier) and RII of ordered groups (PHE `phe_sii` point estimates).
pub fn sii_rii(
    populations: &[f64],
    values: &[f64],
    multiplier: f64,
) -> Result<(f64, Option<f64>), StatsError> {
    let (alpha, beta) = sii_regression(populations, values)?;
    let rii = (alpha != 0.0).then(|| (alpha + beta) / alpha);
    Ok((beta * multiplier, rii))
}

/// Intercept `α` and slope `β` of the population-weighted regression of value on relative rank.
fn sii_regression(populations: &[f64], values: &[f64]) -> Result<(f64, f64), StatsError> {
    check_groups(populations, values)?;
    let (x, a) = relative_ranks(populations)?;
    // Normal equations of  y√a ~ α√a + β x√a :  [Σa  Σax; Σax Σax²] [α β]' = [Σay Σaxy]'.
    let (mut s_a, mut s_ax, mut s_axx, mut s_ay, mut s_axy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..a.len() {
        s_a += a[k];
        s_ax += a[k] * x[k];
        s_axx += a[k] * x[k] * x[k];
        s_ay += a[k] * values[k];
        s_axy += a[k] * x[k] * values[k];
    }
    let det = s_a * s_axx - s_ax * s_ax;
    if det.is_nan() || det <= 0.0 {
        return Err(StatsError::TooFew(
            "the SII needs at least two groups".to_string(),
        ));
    }
    let alpha = (s_axx * s_ay - s_ax * s_axy) / det;
    let beta = (s_a * s_axy - s_ax * s_ay) / det;
    Ok((alpha, beta))
}

fn check_groups(populations: &[f64], values: &[f64]) -> Result<(), StatsError> {
    if populations.len() != values.len() {
        return Err(StatsError::ShapeMismatch {
            what: format!(
                "{} populations but {} values",
                populations.len(),
                values.len()
            ),
        });
    }
    if populations.len() < 2 {
        return Err(StatsError::TooFew(format!(
            "inequality summaries need at least two groups, got {}",
            populations.len()
        )));
    }
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(StatsError::NotFinite {
                what: "value",
                index: i,
                value: v,
            });
        }
    }
    Ok(())
}

/// All summaries of [`InequalitySummary`] for ordered groups (group 0 = most deprived).
pub fn summarise(
    populations: &[f64],
    values: &[f64],
    multiplier: f64,
) -> Result<InequalitySummary, StatsError> {
    super::check_multiplier(multiplier)?;
    let (sii, rii) = sii_rii(populations, values, multiplier)?;
    let (x, a) = relative_ranks(populations)?;
    let mu: f64 = a.iter().zip(values).map(|(a, y)| a * y).sum();
    let nonzero_mu = mu != 0.0;
    let concentration_index = nonzero_mu.then(|| {
        2.0 * a
            .iter()
            .zip(values)
            .zip(&x)
            .map(|((a, y), x)| a * y * x)
            .sum::<f64>()
            / mu
            - 1.0
    });
    let theil = if nonzero_mu && values.iter().all(|&y| y >= 0.0) {
        Some(
            a.iter()
                .zip(values)
                .map(|(a, &y)| {
                    let r = y / mu;
                    if r > 0.0 { a * r * r.ln() } else { 0.0 }
                })
                .sum(),
        )
    } else {
        None
    };
    let first = values[0];
    let last = values[values.len() - 1];
    let par = last - mu;
    Ok(InequalitySummary {
        sii,
        rii,
        concentration_index,
        theil,
        par,
        paf: nonzero_mu.then(|| par / mu),
        difference: last - first,
        ratio: (first != 0.0).then(|| last / first),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_show_no_inequality() {
        let s = summarise(&[10.0, 20.0, 30.0], &[5.0, 5.0, 5.0], 1.0).unwrap();
        assert!(s.sii.abs() < 1e-12);
        assert!((s.rii.unwrap() - 1.0).abs() < 1e-12);
        assert!(s.concentration_index.unwrap().abs() < 1e-12);
        assert!(s.theil.unwrap().abs() < 1e-15);
        assert_eq!(s.par, 0.0);
        assert_eq!(s.difference, 0.0);
        assert_eq!(s.ratio, Some(1.0));
    }

    #[test]
    fn concentration_index_is_twice_weighted_covariance_over_mean() {
        let pops = [3.0, 1.0, 4.0, 1.0, 5.0];
        let ys = [9.0, 2.0, 6.0, 5.0, 3.0];
        let s = summarise(&pops, &ys, 1.0).unwrap();
        let (x, a) = relative_ranks(&pops).unwrap();
        let mu: f64 = a.iter().zip(&ys).map(|(a, y)| a * y).sum();
        let xbar: f64 = a.iter().zip(&x).map(|(a, x)| a * x).sum();
        let cov: f64 = (0..5).map(|k| a[k] * (ys[k] - mu) * (x[k] - xbar)).sum();
        assert!((s.concentration_index.unwrap() - 2.0 * cov / mu).abs() < 1e-12);
        // x̄ of relative ranks is exactly 1/2.
        assert!((xbar - 0.5).abs() < 1e-15);
    }

    #[test]
    fn bad_groups_are_errors() {
        assert!(summarise(&[1.0], &[1.0], 1.0).is_err());
        assert!(summarise(&[1.0, 0.0], &[1.0, 2.0], 1.0).is_err());
        assert!(summarise(&[1.0, 2.0], &[1.0], 1.0).is_err());
        assert!(summarise(&[1.0, 2.0], &[1.0, f64::NAN], 1.0).is_err());
    }
}
