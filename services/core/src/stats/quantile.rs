//! Assigning areas to quantiles (e.g. deprivation deciles) as PHEindicatormethods
//! `phe_quantile` does ("Assigning deprivation categories", PHE guidance).
//!
//! Over the `N` non-missing values, each gets the minimum rank among its ties (rank 1 = lowest
//! value, or the highest value when `invert` is set — the package's default, so that quantile 1
//! holds the highest values), then
//!
//! ```text
//! q = floor((nq + 1) − ceiling((N + 1 − rank) / (N/nq)))     and q = 0 ↦ 1
//! ```
//!
//! computed in this order in f64 exactly as R does (the guard for 0 catches a quotient landing a
//! hair above an integer). Missing values get no quantile; **when `N < nq` no value gets one**
//! (PHEindicatormethods v2.0.2, PR #86), because equal-count groups cannot be formed. Ties are
//! resolved deterministically (minimum rank), never at random.

use super::StatsError;

/// Quantile (1..=`groups`) of each value; `None` for missing values and for all values when
/// fewer than `groups` are present.
pub fn assign_quantiles(
    values: &[Option<f64>],
    groups: usize,
    invert: bool,
) -> Result<Vec<Option<u32>>, StatsError> {
    if groups == 0 || groups > u32::MAX as usize {
        return Err(StatsError::TooFew(format!(
            "the number of quantiles must be between 1 and {}, got {groups}",
            u32::MAX
        )));
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(x) = v
            && !x.is_finite()
        {
            return Err(StatsError::NotFinite {
                what: "value",
                index: i,
                value: *x,
            });
        }
    }
    let key = |x: f64| if invert { -x } else { x };
    let mut present: Vec<f64> = values.iter().flatten().map(|&x| key(x)).collect();
    let n = present.len();
    if n < groups {
        return Ok(vec![None; values.len()]);
    }
    present.sort_by(f64::total_cmp);
    let nq = groups as f64;
    let nn = n as f64;
    Ok(values
        .iter()
        .map(|v| {
            v.map(|x| {
                // minimum rank = 1 + number of values strictly below.
                let k = key(x);
                let below = present.partition_point(|&p| p < k);
                let rank = (below + 1) as f64;
                let q = ((nq + 1.0) - ((nn + 1.0 - rank) / (nn / nq)).ceil()).floor();
                if q < 1.0 { 1 } else { q as u32 }
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_values_than_groups_gives_no_quantiles() {
        let v = vec![Some(1.0), Some(2.0), None];
        assert_eq!(
            assign_quantiles(&v, 5, true).unwrap(),
            vec![None, None, None]
        );
    }

    #[test]
    fn rejects_zero_groups_and_non_finite_values() {
        assert!(assign_quantiles(&[Some(1.0)], 0, true).is_err());
        assert!(assign_quantiles(&[Some(f64::NAN)], 1, true).is_err());
    }
}
