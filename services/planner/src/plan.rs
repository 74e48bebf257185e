//! The plan returned to callers: open sites with their reasons, reach, hours, per-council figures,
//! and how good the plan is (bounds, gap, whether optimal is proven, which solver).

use serde::{Deserialize, Serialize};

use crate::error::PlanError;
use crate::eval::{Context, Evaluation, Search, council_spend, evaluate};
use crate::inequality::InequalityReport;
use crate::problem::{Objective, ValidProblem};

/// Which solver produced a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SolverUsed {
    /// Lazy greedy only.
    Greedy,
    /// Lazy greedy followed by local-search swaps.
    GreedySwap,
    /// Lazy greedy, swaps, then iterated local search with fast swaps.
    GreedyIls,
    /// The exact MILP solved by microlp (through good_lp).
    MilpMicrolp,
    /// Branch and bound with Lagrangian bounds.
    LagrangianBnb,
    /// Enumeration of every feasible set (tests and tiny instances).
    BruteForce,
    /// Not solved: a given set of sites, evaluated ([`crate::evaluate_plan`]).
    Given,
}

impl SolverUsed {
    /// Stable name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SolverUsed::Greedy => "greedy",
            SolverUsed::GreedySwap => "greedy+swap",
            SolverUsed::GreedyIls => "greedy+ils",
            SolverUsed::MilpMicrolp => "milp-microlp",
            SolverUsed::LagrangianBnb => "lagrangian-bnb",
            SolverUsed::BruteForce => "brute-force",
            SolverUsed::Given => "given",
        }
    }
}

/// The best alternative to an open site: the closed site that would do best in its place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerUp {
    /// The alternative site.
    pub site_id: String,
    /// The plan's objective value with the alternative instead of this site.
    pub objective_value: f64,
    /// How much worse the plan would be with the alternative (≥ 0 at a local optimum).
    pub loss: f64,
}

/// One open site of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSite {
    /// Site id.
    pub id: String,
    /// An existing site that every plan keeps.
    pub required: bool,
    /// Its health council.
    pub council: Option<String>,
    /// Its yearly cost in kr.
    pub cost: f64,
    /// Demand weight attributed to this site (nearest open site within the radius; with
    /// capacities, the allocation; for the median, the nearest open site).
    pub reached_weight: f64,
    /// Number of demand points attributed to it.
    pub reached_points: usize,
    /// Ids of the demand points attributed to it.
    pub reaches: Vec<String>,
    /// How much the objective would lose if only this site were closed (coverage: weight
    /// reached by no other site; median: added weighted distance; set cover: points left
    /// uncovered).
    pub marginal_value: f64,
    /// Weekly team hours given to this site (proportional to the reached weight).
    pub hours_per_week: Option<f64>,
    /// Why this site rather than its runner-up (`None` for required sites or when no closed site
    /// could replace it within the constraints).
    pub runner_up: Option<RunnerUp>,
    /// A one-line explanation.
    pub reason: String,
}

/// Reach and spend of one health council.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouncilSummary {
    /// Council name.
    pub council: String,
    /// Total demand weight of its demand points.
    pub need: f64,
    /// Weight reached (coverage objective: capacity-aware; otherwise within the radius).
    pub reached: f64,
    /// `reached / need` (0 when the need is 0).
    pub share: f64,
    /// Yearly cost of the open sites in the council.
    pub spend: f64,
    /// Its budget, if any.
    pub budget: Option<f64>,
    /// Its floor (minimum share of own need), if any.
    pub floor: Option<f64>,
    /// Its cap (maximum share of own need), if any.
    pub cap: Option<f64>,
    /// Open sites in the council.
    pub open_sites: usize,
}

/// A deployment plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// What was optimised.
    pub objective: Objective,
    /// Reached weight (coverage), weighted total distance (median), number of sites (set cover).
    pub objective_value: f64,
    /// The open sites, in request order.
    pub open_sites: Vec<OpenSite>,
    /// Demand weight reached: capacity-aware for the coverage objective; for the others the
    /// weight within the radius of an open site (0 without a radius).
    pub covered_weight: f64,
    /// Demand points reached (wholly or, with capacities, in part).
    pub covered_points: usize,
    /// Head count reached, when populations were given (with capacities, in proportion to the
    /// share of each point's weight served).
    pub covered_population: Option<f64>,
    /// Demand points not reached (spopt's `n_cli_uncov`).
    pub uncovered_demand_points: usize,
    /// Ids of up to 1,000 of those points.
    pub uncovered_demand_ids: Vec<String>,
    /// `(1 − uncovered/points) × 100`, unweighted (spopt's `perc_cov`).
    pub percent_covered: f64,
    /// Total demand weight.
    pub total_weight: f64,
    /// Weighted mean distance from each demand point to its nearest open site (spopt's
    /// `mean_dist`), when every point of positive weight has a known distance to an open site.
    pub mean_distance: Option<f64>,
    /// Unit of distances: `m` for great-circle coverage, the matrix's own otherwise (empty).
    pub distance_unit: String,
    /// Valid lower bound on the optimal objective value.
    pub lower_bound: f64,
    /// Valid upper bound on the optimal objective value.
    pub upper_bound: f64,
    /// Relative optimality gap `(upper − lower) / max(|upper|, |lower|)` (0 when both are 0).
    pub gap: f64,
    /// Whether the plan is proven optimal (gap within a relative 1e-9, or exactly for integral
    /// objectives).
    pub proven_optimal: bool,
    /// The solver that produced the plan.
    pub solver: SolverUsed,
    /// How the bound was obtained, and what stopped the search if it was stopped.
    pub solver_note: String,
    /// Objective value of the plain greedy solution, when the greedy ran.
    pub greedy_value: Option<f64>,
    /// Branch-and-bound nodes evaluated (0 when not used).
    pub nodes: usize,
    /// Per-council figures (empty without councils).
    pub councils: Vec<CouncilSummary>,
    /// Total weekly team hours distributed (when teams were given).
    pub team_hours_per_week: Option<f64>,
    /// Inequality of the share of need reached across need deciles and councils, before (the
    /// required sites alone) and after the plan.
    pub inequality: InequalityReport,
    /// For a given (not solved) set of sites: the first constraint it breaks. Always `None` for
    /// solved plans.
    pub constraint_violation: Option<String>,
}

/// How good a plan is: bounds, solver and notes, filled in by the solve driver.
#[derive(Debug, Clone)]
pub(crate) struct Quality {
    /// Bound on the optimum from the relaxation side (upper for coverage, lower otherwise).
    pub(crate) bound: f64,
    pub(crate) proven: bool,
    pub(crate) solver: SolverUsed,
    pub(crate) note: String,
    pub(crate) greedy_value: Option<f64>,
    pub(crate) nodes: usize,
}

/// Relative gap between two bounds.
pub(crate) fn relative_gap(lower: f64, upper: f64) -> f64 {
    let d = (upper - lower).max(0.0);
    let s = upper.abs().max(lower.abs());
    if d == 0.0 || s == 0.0 { 0.0 } else { d / s }
}

/// Builds the full [`Plan`] for an open set.
pub(crate) fn build_plan(
    ctx: &Context<'_>,
    open: &[usize],
    eval: &Evaluation,
    q: Quality,
) -> Result<Plan, PlanError> {
    let p = ctx.p;
    let n = p.n_demand();
    let m = p.n_sites();
    let mut is_open = vec![false; m];
    for &j in open {
        is_open[j] = true;
    }

    // --- attribution of demand to sites ---------------------------------------------------------
    let (reached, covered, per_site) = attribute(p, &is_open, eval);
    let required: Vec<usize> = (0..m).filter(|&j| p.required[j]).collect();
    let reached_before = if required.is_empty() {
        vec![0.0; n]
    } else {
        let e0 = evaluate(ctx, &required)?;
        let mut open0 = vec![false; m];
        for &j in &required {
            open0[j] = true;
        }
        attribute(p, &open0, &e0).0
    };
    let inequality = crate::inequality::report(p, &reached_before, &reached);
    let covered_points = covered.iter().filter(|&&c| c).count();
    let uncovered: Vec<usize> = (0..n).filter(|&i| !covered[i]).collect();
    let covered_weight: f64 = reached.iter().sum();
    let covered_population = p.population.as_ref().map(|pop| {
        (0..n)
            .map(|i| {
                if p.weight[i] > 0.0 {
                    pop[i] * (reached[i] / p.weight[i]).min(1.0)
                } else if covered[i] {
                    pop[i]
                } else {
                    0.0
                }
            })
            .sum()
    });

    // --- mean distance -----------------------------------------------------------------------
    let total_weight = p.total_weight();
    let mut dist_sum = 0.0;
    let mut all_reach = true;
    for i in 0..n {
        if p.weight[i] == 0.0 {
            continue;
        }
        match p.near[i].iter().find(|&&(j, _)| is_open[j as usize]) {
            Some(&(_, d)) => dist_sum += p.weight[i] * d,
            None => all_reach = false,
        }
    }
    let mean_distance = (all_reach && total_weight > 0.0).then(|| dist_sum / total_weight);

    // --- per-site reasons ----------------------------------------------------------------------
    let mut search = Search::new(ctx);
    for &j in open {
        search.open(j);
    }
    let team_hours = p.teams.as_ref().map(|t| t.count as f64 * t.hours_per_week);
    let attributed_total: f64 = open
        .iter()
        .map(|&j| per_site[j].iter().map(|a| a.1).sum::<f64>())
        .sum();
    let mut sites = Vec::with_capacity(open.len());
    for &j in open {
        let reached_weight: f64 = per_site[j].iter().map(|a| a.1).sum();
        let base = search.score();
        search.close(j);
        let closed_score = search.score();
        let marginal_value = if p.objective == Objective::SetCover {
            base - closed_score
        } else {
            (base - closed_score).max(0.0)
        };
        let runner_up = if p.required[j] {
            search.open(j);
            None
        } else {
            let r = runner_up(ctx, &mut search, j, open, eval.value)?;
            search.open(j);
            r
        };
        let hours_per_week = team_hours.map(|h| {
            if attributed_total > 0.0 {
                h * reached_weight / attributed_total
            } else {
                h / open.len() as f64
            }
        });
        let reason = reason_text(
            p,
            j,
            reached_weight,
            per_site[j].len(),
            marginal_value,
            &runner_up,
        );
        sites.push(OpenSite {
            id: p.site_ids[j].clone(),
            required: p.required[j],
            council: p.site_council[j].map(|c| p.councils[c].clone()),
            cost: p.cost[j],
            reached_weight,
            reached_points: per_site[j].len(),
            reaches: per_site[j]
                .iter()
                .map(|&(i, _)| p.demand_ids[i].clone())
                .collect(),
            marginal_value,
            hours_per_week,
            runner_up,
            reason,
        });
    }

    // --- councils ------------------------------------------------------------------------------
    let spend = council_spend(p, open);
    let council_reached = if p.objective == Objective::Coverage {
        eval.council_reach.clone()
    } else {
        let mut r = vec![0.0; p.councils.len()];
        for i in 0..n {
            if let Some(c) = p.demand_council[i] {
                r[c] += reached[i];
            }
        }
        r
    };
    let councils = (0..p.councils.len())
        .map(|c| CouncilSummary {
            council: p.councils[c].clone(),
            need: p.council_need[c],
            reached: council_reached[c],
            share: if p.council_need[c] > 0.0 {
                council_reached[c] / p.council_need[c]
            } else {
                0.0
            },
            spend: spend[c],
            budget: p.council_budget[c],
            floor: p.floor[c],
            cap: p.cap[c],
            open_sites: open
                .iter()
                .filter(|&&j| p.site_council[j] == Some(c))
                .count(),
        })
        .collect();

    // --- quality -------------------------------------------------------------------------------
    let value = eval.value;
    let (lower_bound, upper_bound) = if p.objective.maximises() {
        (value, q.bound.max(value))
    } else {
        (q.bound.min(value), value)
    };
    let gap = if q.proven {
        0.0
    } else {
        relative_gap(lower_bound, upper_bound)
    };
    Ok(Plan {
        objective: p.objective,
        objective_value: value,
        open_sites: sites,
        covered_weight,
        covered_points,
        covered_population,
        uncovered_demand_points: uncovered.len(),
        uncovered_demand_ids: uncovered
            .iter()
            .take(1000)
            .map(|&i| p.demand_ids[i].clone())
            .collect(),
        percent_covered: (1.0 - uncovered.len() as f64 / n as f64) * 100.0,
        total_weight,
        mean_distance,
        distance_unit: p.distance_unit.to_string(),
        lower_bound: if q.proven && !p.objective.maximises() {
            value
        } else {
            lower_bound
        },
        upper_bound: if q.proven && p.objective.maximises() {
            value
        } else {
            upper_bound
        },
        gap,
        proven_optimal: q.proven,
        solver: q.solver,
        solver_note: q.note,
        greedy_value: q.greedy_value,
        nodes: q.nodes,
        councils,
        team_hours_per_week: team_hours,
        inequality,
        constraint_violation: None,
    })
}

/// Per demand point the weight reached and whether it is reached; per site the demand
/// attributed to it (nearest open site within the radius; the allocation with capacities; the
/// nearest open site for the median).
#[allow(clippy::type_complexity)]
fn attribute(
    p: &ValidProblem,
    is_open: &[bool],
    eval: &Evaluation,
) -> (Vec<f64>, Vec<bool>, Vec<Vec<(usize, f64)>>) {
    let n = p.n_demand();
    let m = p.n_sites();
    let mut reached = vec![0.0; n];
    let mut covered = vec![false; n];
    let mut per_site: Vec<Vec<(usize, f64)>> = vec![Vec::new(); m];
    let nearest_open = |i: usize, within: Option<f64>| -> Option<usize> {
        p.near[i]
            .iter()
            .take_while(|&&(_, d)| within.is_none_or(|r| d <= r))
            .find(|&&(j, _)| is_open[j as usize])
            .map(|&(j, _)| j as usize)
    };
    if p.objective == Objective::Coverage && p.capacity.is_some() {
        for (j, alloc) in eval.allocation.iter().enumerate() {
            for &(i, f) in alloc {
                reached[i] += f;
                covered[i] = true;
                per_site[j].push((i, f));
            }
        }
    } else {
        for i in 0..n {
            let owner = match p.objective {
                Objective::Median => nearest_open(i, None),
                _ => nearest_open(i, p.radius),
            };
            if let Some(j) = owner {
                // The median assigns every point to its nearest open site; "reached" still means
                // within the radius when there is one.
                per_site[j].push((i, p.weight[i]));
                let within = p.objective != Objective::Median
                    || p.radius.is_none()
                    || within_radius(p, is_open, i);
                if within {
                    reached[i] = p.weight[i];
                    covered[i] = true;
                }
            }
        }
    }
    (reached, covered, per_site)
}

fn within_radius(p: &ValidProblem, is_open: &[bool], i: usize) -> bool {
    p.covered_by[i].iter().any(|&j| is_open[j as usize])
}

/// The best feasible replacement for open site `j` (the state has `j` closed on entry and exit).
fn runner_up(
    ctx: &Context<'_>,
    search: &mut Search<'_, '_>,
    j: usize,
    open: &[usize],
    value: f64,
) -> Result<Option<RunnerUp>, PlanError> {
    let p = ctx.p;
    let mut cands: Vec<(f64, usize)> = (0..p.n_sites())
        .filter(|&k| k != j && !search.is_open[k] && search.affordable(k))
        .collect::<Vec<usize>>()
        .into_iter()
        .map(|k| (search.gain(k), k))
        .collect();
    cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Check feasibility of the best few exactly.
    for &(_, k) in cands.iter().take(8) {
        let mut alt: Vec<usize> = open.iter().copied().filter(|&x| x != j).collect();
        alt.push(k);
        alt.sort_unstable();
        let e = evaluate(ctx, &alt)?;
        if e.feasible() {
            let loss = if p.objective.maximises() {
                value - e.value
            } else {
                e.value - value
            };
            return Ok(Some(RunnerUp {
                site_id: p.site_ids[k].clone(),
                objective_value: e.value,
                loss,
            }));
        }
    }
    Ok(None)
}

fn reason_text(
    p: &ValidProblem,
    j: usize,
    reached_weight: f64,
    points: usize,
    marginal: f64,
    runner: &Option<RunnerUp>,
) -> String {
    let mut s = if p.required[j] {
        "required (existing site); ".to_string()
    } else {
        String::new()
    };
    s.push_str(&format!(
        "serves {points} demand points with weight {}",
        fmt_num(reached_weight)
    ));
    match p.objective {
        Objective::Coverage => {
            s.push_str(&format!("; {} would be lost without it", fmt_num(marginal)))
        }
        Objective::Median => s.push_str(&format!(
            "; closing it adds {} to the weighted distance",
            fmt_num(marginal)
        )),
        Objective::SetCover => s.push_str(&format!(
            "; {} points are covered by no other open site",
            fmt_num(marginal)
        )),
    }
    if let Some(r) = runner {
        s.push_str(&format!(
            "; the best replacement, '{}', would give {} ({} worse)",
            r.site_id,
            fmt_num(r.objective_value),
            fmt_num(r.loss)
        ));
    }
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
