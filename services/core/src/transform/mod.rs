//! Normalisations and ranks used by index models.
//!
//! Every function here is pure and deterministic: sums run in input order, ties are resolved by
//! explicit rules, and missing values (`None`) are excluded from N rather than treated as 0.

/// Arithmetic mean and sample standard deviation (divisor N − 1) of `values`.
///
/// Returns `(mean, None)` when N < 2 or all values are equal (no spread: a z-score is undefined);
/// the mean of an empty slice is 0. Two-pass algorithm (mean first, then squared deviations),
/// which is exact for equal values and stable for the magnitudes indicators have.
pub fn mean_sd(values: &[f64]) -> (f64, Option<f64>) {
    if values.is_empty() {
        return (0.0, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, None);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let sd = (ss / (n - 1.0)).sqrt();
    if sd > 0.0 {
        (mean, Some(sd))
    } else {
        (mean, None)
    }
}

/// Quantile groups by the PHE rule (PHEindicatormethods `phe_quantile`, R/Quantiles.R, and the
/// Fingertips guide "Assigning deprivation categories").
///
/// Values are ranked with ties by minimum rank (ascending, or descending when `invert`, so that
/// with `invert = true` the highest value falls in group 1). With N the number of non-missing
/// values: `q = floor((nq + 1) − ceiling((N + 1 − rank) / (N / nq)))`, and q = 0 becomes 1 (a
/// floating-point guard the package keeps). Missing values get `None`, and **every** value gets
/// `None` when N < nq (as the package does since v2.0.2) or `nq` = 0.
pub fn phe_quantiles(values: &[Option<f64>], nq: u32, invert: bool) -> Vec<Option<u32>> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let n = present.len();
    if nq == 0 || n < nq as usize {
        return vec![None; values.len()];
    }
    let ranks = min_ranks(values, invert);
    let (nf, nqf) = (n as f64, f64::from(nq));
    ranks
        .into_iter()
        .map(|r| {
            r.map(|r| {
                let q = ((nqf + 1.0) - ((nf + 1.0 - f64::from(r)) / (nf / nqf)).ceil()).floor();
                if q < 1.0 { 1 } else { q as u32 }
            })
        })
        .collect()
}

/// Ranks with ties by minimum rank ("competition" ranking, R's `ties.method = "min"`), over the
/// non-missing values; rank 1 is the smallest value, or the largest when `descending`.
/// Missing values get `None`. NaN is treated as missing.
pub fn min_ranks(values: &[Option<f64>], descending: bool) -> Vec<Option<u32>> {
    let mut idx: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_some_and(|v| !v.is_nan()))
        .collect();
    let key = |i: usize| values[i].unwrap_or(0.0);
    idx.sort_by(|&a, &b| {
        let o = key(a).total_cmp(&key(b));
        if descending { o.reverse() } else { o }
    });
    let mut out = vec![None; values.len()];
    let mut prev: Option<f64> = None;
    let mut rank = 0u32;
    for (pos, &i) in idx.iter().enumerate() {
        let v = key(i);
        // -0.0 and 0.0 are equal values: compare with ==, not total_cmp.
        if prev != Some(v) {
            rank = u32::try_from(pos + 1).unwrap_or(u32::MAX);
            prev = Some(v);
        }
        out[i] = Some(rank);
    }
    out
}
