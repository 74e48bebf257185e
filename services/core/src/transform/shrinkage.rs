//! Empirical-Bayes shrinkage of small-area proportions toward their parent area (logit form).

/// One area's shrunken estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrunk {
    /// The raw proportion `r/n`.
    pub raw: f64,
    /// The empirical logit `z = ln((r + 0.5)/(n − r + 0.5))`.
    pub logit: f64,
    /// The parent's pooled logit `z̄`.
    pub parent_logit: f64,
    /// The weight `w` of the area's own logit (1 = no shrinkage, 0 = the parent's value).
    pub weight: f64,
    /// The shrunken proportion `logistic(w·z + (1 − w)·z̄)`.
    pub shrunk: f64,
}

/// Why shrinkage could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShrinkageError {
    /// The slices differ in length.
    #[error(
        "events ({events}), populations ({populations}) and parents ({parents}) must have the same length"
    )]
    Length {
        /// Length of `events`.
        events: usize,
        /// Length of `populations`.
        populations: usize,
        /// Length of `parents`.
        parents: usize,
    },
    /// An area's counts are impossible.
    #[error(
        "area {index}: events {events} and population {population} must satisfy 0 <= events <= population, population > 0"
    )]
    Counts {
        /// 0-based area index.
        index: usize,
        /// The area's events.
        events: f64,
        /// The area's population.
        population: f64,
    },
}

/// Empirical-Bayes shrinkage of proportions `r_j/n_j` toward the pooled value of their parent
/// (the method of the Scottish Indices of Deprivation 2003, Appendix 1 "The 'Shrinkage'
/// Technique", used in the English IoD with the MSOA as parent; METHODS.md §1.2).
///
/// For each parent group (areas with the same `parents[j]`), with k areas:
/// - empirical logit `z_j = ln((r_j + 0.5)/(n_j − r_j + 0.5))`, sampling variance
///   `s_j² = 1/(r_j + 0.5) + 1/(n_j − r_j + 0.5)`;
/// - parent logit from pooled counts `z̄ = ln((R + 0.5)/(N − R + 0.5))`, R = Σr_j, N = Σn_j (the
///   0.5 keeps z̄ finite when R = 0 or R = N; the report writes `ln(R/(N − R))`);
/// - between-area variance `t² = Σ_j (z_j − z̄)²/k`;
/// - weight `w_j = (1/s_j²)/(1/s_j² + 1/t²)` (w_j = 0 when t² = 0: the parent explains all);
/// - shrunken logit `z*_j = w_j·z_j + (1 − w_j)·z̄`, back-transformed by the logistic function.
///
/// Properties (tested): `w_j → 1` as `n_j` grows with `r_j/n_j` fixed, and `z*_j` lies between
/// `z_j` and `z̄` (so the shrunken proportion lies between the area's empirical-logit proportion
/// `(r_j + 0.5)/(n_j + 1)` and the parent's). **Where it breaks**: the exact constants and the
/// t² estimator are marked "to confirm" in METHODS.md; shrinkage can hide a deprived area inside
/// an affluent parent (bias for variance), and with k = 1 the area is its own parent (t² = 0).
pub fn eb_shrinkage(
    events: &[f64],
    populations: &[f64],
    parents: &[usize],
) -> Result<Vec<Shrunk>, ShrinkageError> {
    if events.len() != populations.len() || events.len() != parents.len() {
        return Err(ShrinkageError::Length {
            events: events.len(),
            populations: populations.len(),
            parents: parents.len(),
        });
    }
    for (j, (&r, &n)) in events.iter().zip(populations).enumerate() {
        if !(r.is_finite() && n.is_finite() && r >= 0.0 && n > 0.0 && r <= n) {
            return Err(ShrinkageError::Counts {
                index: j,
                events: r,
                population: n,
            });
        }
    }
    let groups: std::collections::BTreeSet<usize> = parents.iter().copied().collect();
    let mut out = vec![
        Shrunk {
            raw: 0.0,
            logit: 0.0,
            parent_logit: 0.0,
            weight: 0.0,
            shrunk: 0.0
        };
        events.len()
    ];
    for g in groups {
        let members: Vec<usize> = (0..events.len()).filter(|&j| parents[j] == g).collect();
        let (sr, sn) = members
            .iter()
            .fold((0.0, 0.0), |(a, b), &j| (a + events[j], b + populations[j]));
        let zbar = ((sr + 0.5) / (sn - sr + 0.5)).ln();
        let k = members.len() as f64;
        let t2 = members
            .iter()
            .map(|&j| {
                let z = logit(events[j], populations[j]);
                (z - zbar) * (z - zbar)
            })
            .sum::<f64>()
            / k;
        for &j in &members {
            let (r, n) = (events[j], populations[j]);
            let z = logit(r, n);
            let s2 = 1.0 / (r + 0.5) + 1.0 / (n - r + 0.5);
            let w = if t2 > 0.0 {
                (1.0 / s2) / (1.0 / s2 + 1.0 / t2)
            } else {
                0.0
            };
            let zs = w * z + (1.0 - w) * zbar;
            out[j] = Shrunk {
                raw: r / n,
                logit: z,
                parent_logit: zbar,
                weight: w,
                shrunk: 1.0 / (1.0 + (-zs).exp()),
            };
        }
    }
    Ok(out)
}

fn logit(r: f64, n: f64) -> f64 {
    ((r + 0.5) / (n - r + 0.5)).ln()
}
