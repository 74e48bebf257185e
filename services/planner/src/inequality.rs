//! Who the plan reaches: inequality summaries of the share of need reached, before the plan (the
//! required, existing sites alone) and after it, across need deciles and across health councils.
//!
//! Groups are ordered from the most to the least needy, as `lighed_core::stats::inequality`
//! expects (group 1 = most deprived):
//!
//! - **Need deciles**: demand points ranked by need per head (`weight / population`) — or by
//!   weight when no populations are given — and assigned to deciles with
//!   `lighed_core::stats::quantile::assign_quantiles` (PHE's rule, decile 1 = highest need;
//!   fewer than 10 points give no deciles).
//! - **Councils**: ordered by need per head (or by total need without populations).
//!
//! Each group's value is the share of its need reached (Σ reached / Σ need; 0 when its need is 0),
//! its population the head count (or the need weight when no populations are given). The summary
//! is `lighed_core::stats::inequality::summarise` with multiplier 1: the **SII** is the modelled
//! difference in the share reached from the neediest to the least needy end, so a *negative* SII
//! means the plan reaches relatively more of the neediest; the **concentration index** is
//! negative when reach is concentrated among the neediest. Undefined summaries (e.g. nothing
//! reached before the plan: no concentration index) are `None`.

use lighed_core::stats::inequality::{InequalitySummary, summarise};
use lighed_core::stats::quantile::assign_quantiles;
use serde::{Deserialize, Serialize};

use crate::problem::ValidProblem;

/// Reach of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReach {
    /// Decile number (`"1"` = highest need) or council name.
    pub group: String,
    /// Head count (or need weight without populations) used as the group's population.
    pub population: f64,
    /// Need weight of the group.
    pub need: f64,
    /// Need reached by the required (existing) sites alone.
    pub reached_before: f64,
    /// Need reached by the plan.
    pub reached_after: f64,
}

/// Inequality of reach across one grouping, before and after the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInequality {
    /// How the groups are formed and ordered.
    pub basis: String,
    /// The groups, most needy first.
    pub groups: Vec<GroupReach>,
    /// Summary of the share of need reached before the plan.
    pub before: Option<InequalitySummary>,
    /// Summary after the plan.
    pub after: Option<InequalitySummary>,
    /// Why a summary is missing, when one is.
    pub note: Option<String>,
}

/// Inequality summaries of a plan's reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InequalityReport {
    /// Across need deciles (`None` with fewer than 10 demand points).
    pub deciles: Option<GroupInequality>,
    /// Across health councils (`None` with fewer than two councils).
    pub councils: Option<GroupInequality>,
}

fn summarise_groups(groups: &[GroupReach], after: bool) -> Result<InequalitySummary, String> {
    let kept: Vec<&GroupReach> = groups.iter().filter(|g| g.population > 0.0).collect();
    let pops: Vec<f64> = kept.iter().map(|g| g.population).collect();
    let vals: Vec<f64> = kept
        .iter()
        .map(|g| {
            let r = if after {
                g.reached_after
            } else {
                g.reached_before
            };
            if g.need > 0.0 { r / g.need } else { 0.0 }
        })
        .collect();
    summarise(&pops, &vals, 1.0).map_err(|e| e.to_string())
}

fn grouping(basis: String, groups: Vec<GroupReach>) -> GroupInequality {
    let before = summarise_groups(&groups, false);
    let after = summarise_groups(&groups, true);
    let note = match (&before, &after) {
        (Err(e), _) | (_, Err(e)) => Some(e.clone()),
        _ => None,
    };
    GroupInequality {
        basis,
        groups,
        before: before.ok(),
        after: after.ok(),
        note,
    }
}

/// Builds the report from the per-demand reach before and after the plan.
pub(crate) fn report(p: &ValidProblem, before: &[f64], after: &[f64]) -> InequalityReport {
    let n = p.n_demand();
    let pop = |i: usize| p.population.as_ref().map_or(p.weight[i], |v| v[i]);
    let intensity: Vec<Option<f64>> = (0..n)
        .map(|i| match &p.population {
            Some(v) if v[i] > 0.0 => Some(p.weight[i] / v[i]),
            Some(_) => None,
            None => Some(p.weight[i]),
        })
        .collect();
    let deciles = match assign_quantiles(&intensity, 10, true) {
        Ok(q) if q.iter().any(Option::is_some) => {
            let mut groups: Vec<GroupReach> = (1..=10)
                .map(|d| GroupReach {
                    group: d.to_string(),
                    population: 0.0,
                    need: 0.0,
                    reached_before: 0.0,
                    reached_after: 0.0,
                })
                .collect();
            for i in 0..n {
                if let Some(d) = q[i] {
                    let g = &mut groups[d as usize - 1];
                    g.population += pop(i);
                    g.need += p.weight[i];
                    g.reached_before += before[i];
                    g.reached_after += after[i];
                }
            }
            let basis = if p.population.is_some() {
                "need deciles by need per head (1 = highest)"
            } else {
                "need deciles by demand weight (1 = highest)"
            };
            Some(grouping(basis.into(), groups))
        }
        _ => None,
    };
    let k = p.councils.len();
    let councils = (k >= 2).then(|| {
        let mut groups: Vec<GroupReach> = p
            .councils
            .iter()
            .map(|c| GroupReach {
                group: c.clone(),
                population: 0.0,
                need: 0.0,
                reached_before: 0.0,
                reached_after: 0.0,
            })
            .collect();
        for i in 0..n {
            if let Some(c) = p.demand_council[i] {
                let g = &mut groups[c];
                g.population += pop(i);
                g.need += p.weight[i];
                g.reached_before += before[i];
                g.reached_after += after[i];
            }
        }
        let key = |g: &GroupReach| {
            if p.population.is_some() && g.population > 0.0 {
                g.need / g.population
            } else {
                g.need
            }
        };
        groups.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.group.cmp(&b.group)));
        let basis = if p.population.is_some() {
            "councils by need per head (highest first)"
        } else {
            "councils by total need (highest first)"
        };
        grouping(basis.into(), groups)
    });
    InequalityReport { deciles, councils }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pro_poor_reach_has_negative_sii_and_concentration_index() {
        // Two groups of equal population; the neediest has all its need reached, the other none.
        // Shares reached y = (1, 0), ranks x = (0.25, 0.75): the weighted regression line through
        // two points has slope (0 − 1)/(0.75 − 0.25) = −2, so SII = −2; μ = 0.5 and
        // C = 2·(0.5·1·0.25)/0.5 − 1 = −0.5 (formulas of lighed_core::stats::inequality).
        let groups = vec![
            GroupReach {
                group: "1".into(),
                population: 100.0,
                need: 50.0,
                reached_before: 0.0,
                reached_after: 50.0,
            },
            GroupReach {
                group: "2".into(),
                population: 100.0,
                need: 10.0,
                reached_before: 0.0,
                reached_after: 0.0,
            },
        ];
        let g = grouping("test".into(), groups);
        let after = g.after.unwrap();
        assert!((after.sii + 2.0).abs() < 1e-12, "{}", after.sii);
        assert!((after.concentration_index.unwrap() + 0.5).abs() < 1e-12);
        // Nothing reached before: SII 0, concentration index undefined.
        let before = g.before.unwrap();
        assert_eq!(before.sii, 0.0);
        assert_eq!(before.concentration_index, None);
    }
}
