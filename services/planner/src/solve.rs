//! The solve driver: heuristic, bounds, and (when asked or when it fits) an exact solve; plus
//! brute-force enumeration for tiny instances and tests.

use std::time::{Duration, Instant};

use crate::bnb::{self, integral};
use crate::bound::{Fixing, Subgradient, lagrangian, submodular_bound};
use crate::error::{Constraint, PlanError};
use crate::eval::{Context, Evaluation, evaluate};
use crate::greedy::{greedy, local_search};
use crate::milp::{self, LpOutcome, MilpLimits};
use crate::plan::{Plan, Quality, SolverUsed, build_plan, relative_gap};
use crate::problem::{Limit, Objective, ValidProblem};
use crate::swap;

/// ILS walk: accept plans up to this much (relative) worse than the current one.
const ILS_ACCEPT_WORSE: f64 = 0.001;
/// ILS: restart from the best plan after this many perturbations without a new best.
const ILS_RESTART_AFTER: usize = 200;

/// Default of [`SolveOptions::ils_gap_tolerance`]: 0.1 %.
pub const DEFAULT_ILS_GAP_TOLERANCE: f64 = 0.001;
/// Default of [`SolveOptions::ils_patience_within_gap`]: 50 perturbations.
pub const DEFAULT_ILS_PATIENCE_WITHIN_GAP: usize = 50;

/// The time budget `auto` gives the exact search when no time limit is set: 10 s.
pub const AUTO_DEFAULT_BUDGET: Duration = Duration::from_secs(10);

/// Which solver to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SolverChoice {
    /// Heuristic first; stop if its bound proves it optimal; otherwise the exact search within
    /// the time limit (default [`AUTO_DEFAULT_BUDGET`]), keeping the best plan found.
    #[default]
    Auto,
    /// The exact search, to completion unless a time limit is set (then as `Auto`, but always
    /// searching).
    Exact,
    /// Greedy (+ local search) with a bound; never the exact search.
    Heuristic,
}

/// Which exact method `Exact`/`Auto` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExactEngine {
    /// The MILP with microlp when it is within [`MilpLimits`], the Lagrangian branch and bound
    /// otherwise.
    #[default]
    Auto,
    /// Always the MILP with microlp (no time limit inside microlp: use on bounded instances).
    Milp,
    /// Always the Lagrangian branch and bound (honours the time limit).
    BranchAndBound,
}

/// Options of [`solve`].
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// Which solver.
    pub solver: SolverChoice,
    /// Wall-clock limit for the whole solve (checked between steps: the greedy always completes;
    /// local search and branch and bound stop at the limit).
    pub time_limit: Option<Duration>,
    /// Run local-search swaps after the greedy (default true).
    pub local_search: bool,
    /// Perturbations of the iterated local search (uncapacitated coverage with a site count;
    /// 0 = none), from each start. Default 1,000.
    pub ils_iterations: usize,
    /// Stopping rule of the iterated local search: once its best plan is within this relative
    /// gap of the upper bound, `(bound − value) / bound ≤ ils_gap_tolerance`, it stops after
    /// [`SolveOptions::ils_patience_within_gap`] perturbations without a better plan, and the
    /// second start (from the Lagrangian's set) is skipped. Default 0.001 (0.1 %). Otherwise it
    /// stops at the bound, after 400 perturbations without a better plan, or after
    /// `ils_iterations`. 0 = run to those limits.
    pub ils_gap_tolerance: f64,
    /// See [`SolveOptions::ils_gap_tolerance`]. Default 50.
    pub ils_patience_within_gap: usize,
    /// Which exact method.
    pub exact_engine: ExactEngine,
    /// Size limits for the MILP.
    pub milp_limits: MilpLimits,
    /// Most branch-and-bound nodes (a memory guard).
    pub max_nodes: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            solver: SolverChoice::Auto,
            time_limit: None,
            local_search: true,
            ils_iterations: 1000,
            ils_gap_tolerance: DEFAULT_ILS_GAP_TOLERANCE,
            ils_patience_within_gap: DEFAULT_ILS_PATIENCE_WITHIN_GAP,
            exact_engine: ExactEngine::Auto,
            milp_limits: MilpLimits::default(),
            max_nodes: 200_000,
        }
    }
}

/// Names of the active constraint families, for infeasibility messages.
fn active_constraints(p: &ValidProblem) -> String {
    let mut v: Vec<&str> = Vec::new();
    match p.limit {
        Some(Limit::Open(_)) => v.push("open"),
        Some(Limit::Budget(_)) => v.push("budget"),
        None => {}
    }
    if p.required.iter().any(|&r| r) {
        v.push("required sites");
    }
    if p.has_council_budget() {
        v.push("council budgets");
    }
    if p.floor.iter().any(Option::is_some) {
        v.push("council floors");
    }
    if p.cap.iter().any(Option::is_some) {
        v.push("council caps");
    }
    if p.has_capacity() {
        v.push("capacities");
    }
    match p.objective {
        Objective::SetCover => v.push("cover every demand point"),
        Objective::Median => v.push("every demand point reaches an open site"),
        Objective::Coverage => {}
    }
    v.join(", ")
}

fn key(p: &ValidProblem, v: f64) -> f64 {
    if p.objective.maximises() { v } else { -v }
}

/// The tighter of two bounds (in objective units).
fn tighter(p: &ValidProblem, a: f64, b: f64) -> f64 {
    if p.objective.maximises() {
        a.min(b)
    } else {
        a.max(b)
    }
}

/// Rounds a bound of an integral objective to the nearest valid integer.
fn round_bound(p: &ValidProblem, b: f64) -> f64 {
    if !b.is_finite() || !integral(p) {
        return b;
    }
    if p.objective.maximises() {
        (b + 1e-9 * (1.0 + b.abs())).floor()
    } else {
        (b - 1e-9 * (1.0 + b.abs())).ceil()
    }
}

/// Whether `bound` proves `value` optimal.
fn bound_proves(p: &ValidProblem, value: f64, bound: f64) -> bool {
    let (lo, hi) = if p.objective.maximises() {
        (value, bound)
    } else {
        (bound, value)
    };
    if integral(p) {
        hi <= lo + 0.5
    } else {
        hi - lo <= bnb::REL_TOL * value.abs().max(1.0)
    }
}

/// Plans a deployment.
///
/// 1. Lazy greedy and local-search swaps.
/// 2. Bounds on the optimum: Lagrangian (a short subgradient schedule; the exact search refines
///    it); with capacities also the submodular bound; with side
///    constraints (capacities, council floors, caps, budgets) and a model within
///    [`MilpLimits`], also the LP relaxation (microlp).
/// 3. Uncapacitated coverage with a site count: iterated local search from the heuristic plan
///    and from the Lagrangian's set, until the bound is met, the plan has stagnated within
///    [`SolveOptions::ils_gap_tolerance`] of the bound, or it has stagnated for 400
///    perturbations, at most `ils_iterations` per start.
/// 4. Per `options.solver`, the exact search: the MILP (microlp) for small models with side
///    constraints, else the Lagrangian branch and bound within the time limit.
///
/// The returned plan says which solver produced it, its bounds and gap, and whether it is proven
/// optimal.
///
/// # Errors
/// [`PlanError::Infeasible`] when no plan meets the constraints (proven by the exact search),
/// [`PlanError::NoFeasiblePlanFound`] when the heuristic found none and the exact search did not
/// finish, [`PlanError::Backend`] if microlp fails.
pub fn solve(problem: &ValidProblem, options: &SolveOptions) -> Result<Plan, PlanError> {
    let start = Instant::now();
    let p = problem;
    let ctx = Context::new(p);
    let deadline = options.time_limit.map(|t| start + t);

    // 1. Heuristic.
    let mut search = greedy(&ctx);
    let greedy_open = search.open_sorted();
    let greedy_eval = evaluate(&ctx, &greedy_open)?;
    let greedy_value = greedy_eval.feasible().then_some(greedy_eval.value);
    let (mut heuristic, h_open) = if !options.local_search {
        (SolverUsed::Greedy, greedy_open.clone())
    } else if swap::applies(p) && swap::feasible_start(p, &greedy_open) {
        // The same swap neighbourhood, with the incremental tables of `swap` (best improvement).
        let (open, _) = swap::improve(
            p,
            &greedy_open,
            f64::INFINITY,
            swap::IlsSettings::DESCENT,
            deadline,
        );
        (SolverUsed::GreedySwap, open)
    } else {
        local_search(&mut search, deadline);
        (SolverUsed::GreedySwap, search.open_sorted())
    };
    let h_eval = evaluate(&ctx, &h_open)?;
    let mut best: Option<(Vec<usize>, Evaluation)> = None;
    let violation = h_eval.violation.clone();
    if h_eval.feasible() {
        best = Some((h_open, h_eval));
    } else if greedy_eval.feasible() {
        // Local search only accepts improvements, but keep the greedy plan if it was feasible.
        best = Some((greedy_open, greedy_eval));
        heuristic = SolverUsed::Greedy;
    }
    // Step target for the subgradient: the plan value (or the heuristic score when infeasible).
    let target = best
        .as_ref()
        .map_or(h_value_fallback(p, &search), |(_, e)| e.value);

    // 2. Bounds. First the trivial one (coverage: all coverable weight; median: every point at its
    // nearest site), then the Lagrangian unless the plan already meets it.
    let mut notes: Vec<String> = Vec::new();
    let mut bound = round_bound(p, trivial_bound(p));
    let mut root_multipliers: Option<Vec<f64>> = None;
    let mut root_selected: Option<Vec<usize>> = None;
    if best
        .as_ref()
        .is_some_and(|(_, e)| bound_proves(p, e.value, bound))
    {
        notes.push("trivial bound".into());
    } else if let Some(l) = lagrangian(p, &Fixing::root(p), target, None, Subgradient::QUICK) {
        bound = tighter(p, bound, l.bound);
        root_multipliers = Some(l.multipliers);
        root_selected = Some(l.selected);
        notes.push("Lagrangian bound".into());
    }
    if p.objective == Objective::Coverage && p.has_capacity() {
        let sb = submodular_bound(&mut search);
        if sb < bound {
            bound = sb;
        }
        notes.push("submodular bound".into());
    }
    bound = round_bound(p, bound);
    // Iterated local search (uncapacitated coverage with a site count) until the bound is met,
    // from the heuristic plan and from the set the Lagrangian chose at its best multipliers (the
    // Lagrangian heuristic; Galvão & ReVelle 1996) — the latter often lies in a better basin.
    if options.local_search
        && options.ils_iterations > 0
        && swap::applies(p)
        && let Some((open, e)) = &best
        && !bound_proves(p, e.value, bound)
    {
        let settings = swap::IlsSettings {
            iterations: options.ils_iterations,
            accept_worse: ILS_ACCEPT_WORSE,
            restart_after: ILS_RESTART_AFTER,
            stop_after: 2 * ILS_RESTART_AFTER,
            close_gap: options.ils_gap_tolerance.max(0.0),
            close_stall: options.ils_patience_within_gap,
        };
        let mut starts = vec![open.clone()];
        if let Some(mut sel) = root_selected.take() {
            for j in 0..p.n_sites() {
                if p.required[j] && !sel.contains(&j) {
                    sel.push(j);
                }
            }
            sel.sort_unstable();
            if sel.len() == open.len() && sel != *open && swap::feasible_start(p, &sel) {
                starts.push(sel);
            }
        }
        // Descend from every start first and search from the best descended plan first: the
        // search from a later start is skipped once a plan is within the gap tolerance.
        let mut starts: Vec<(Vec<usize>, f64)> = starts
            .iter()
            .map(|s| swap::improve(p, s, bound, swap::IlsSettings::DESCENT, deadline))
            .collect();
        starts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut found: Option<(Vec<usize>, f64)> = None;
        let mut runs = 0;
        for (start, _) in &starts {
            // A plan within the gap tolerance ends the search (see `ils_gap_tolerance`).
            if found.as_ref().is_some_and(|f| {
                settings.close_gap > 0.0 && swap::within_gap(f.1, bound, settings.close_gap)
            }) {
                break;
            }
            let (o, v) = swap::improve(p, start, bound, settings, deadline);
            runs += 1;
            if found.as_ref().is_none_or(|f| v > f.1) {
                found = Some((o, v));
            }
        }
        if let Some((ils_open, ils_value)) = found
            && ils_value > e.value
        {
            let ev = evaluate(&ctx, &ils_open)?;
            if ev.feasible() && ev.value > e.value {
                best = Some((ils_open, ev));
                heuristic = SolverUsed::GreedyIls;
            }
        }
        notes.push(format!("iterated local search from {runs} start(s)"));
    }
    let fits = milp::fits(p, &options.milp_limits);
    let proven_by = |bound: f64, best: &Option<(Vec<usize>, Evaluation)>| {
        best.as_ref()
            .is_some_and(|(_, e)| bound_proves(p, e.value, bound))
    };
    // The Lagrangian bound drops capacities, council floors, caps and budgets; with those the LP
    // relaxation is tighter, so compute it when the model is small enough.
    if !proven_by(bound, &best) && fits && p.has_side_constraints() {
        match milp::solve_model(p, true)? {
            LpOutcome::Optimal { objective, .. } => {
                bound = round_bound(p, tighter(p, bound, objective));
                notes.push("LP relaxation (microlp)".into());
            }
            LpOutcome::Infeasible => {
                return Err(PlanError::Infeasible(Constraint::Combination {
                    active: active_constraints(p),
                }));
            }
        }
    }
    let proven_by_bound = proven_by(bound, &best);
    let run_exact = match options.solver {
        SolverChoice::Heuristic => false,
        SolverChoice::Auto => !proven_by_bound,
        SolverChoice::Exact => true,
    };
    let mut solver = heuristic;
    let mut proven = proven_by_bound;
    let mut nodes = 0usize;
    if proven_by_bound {
        notes.push("bound meets the plan: optimal".into());
    }
    if run_exact {
        let use_milp = match options.exact_engine {
            ExactEngine::Milp => true,
            ExactEngine::BranchAndBound => false,
            // microlp handles the side constraints in the relaxation itself; without them the
            // Lagrangian branch and bound is faster and has a deadline.
            ExactEngine::Auto => fits && p.has_side_constraints(),
        };
        if use_milp {
            match milp::solve_model(p, false)? {
                LpOutcome::Infeasible => {
                    return Err(PlanError::Infeasible(Constraint::Combination {
                        active: active_constraints(p),
                    }));
                }
                LpOutcome::Optimal { objective, y } => {
                    let open = milp::open_from_y(&y);
                    let e = evaluate(&ctx, &open)?;
                    if e.feasible() {
                        let better = best
                            .as_ref()
                            .is_none_or(|(_, b)| key(p, e.value) >= key(p, b.value));
                        if better {
                            best = Some((open, e));
                            solver = SolverUsed::MilpMicrolp;
                        }
                        bound = round_bound(p, objective);
                        proven = true;
                        notes.push("exact MILP (microlp)".into());
                    } else {
                        notes.push(format!(
                            "MILP solution failed the exact check ({}); kept the heuristic",
                            e.violation.unwrap_or_default()
                        ));
                    }
                }
            }
        } else {
            let dl = match (options.solver, deadline) {
                (_, Some(d)) => Some(d),
                (SolverChoice::Auto, None) => Some(start + AUTO_DEFAULT_BUDGET),
                _ => None,
            };
            let before = best.as_ref().map(|(o, _)| o.clone());
            let out = bnb::branch_and_bound(
                &ctx,
                best.take(),
                target,
                root_multipliers.take(),
                bound,
                dl,
                options.max_nodes,
            )?;
            nodes = out.nodes;
            best = out.best;
            if best.as_ref().map(|(o, _)| o.clone()) != before {
                solver = SolverUsed::LagrangianBnb;
            }
            if out.complete {
                proven = true;
                solver = SolverUsed::LagrangianBnb;
                notes.push(format!(
                    "Lagrangian branch and bound complete ({nodes} nodes)"
                ));
                if let Some((_, e)) = &best {
                    bound = e.value;
                }
            } else {
                bound = tighter(p, bound, out.bound);
                let why = if dl.is_some_and(|d| Instant::now() >= d) {
                    "time limit"
                } else {
                    "node limit"
                };
                notes.push(format!(
                    "Lagrangian branch and bound stopped by the {why} after {nodes} nodes"
                ));
                if best
                    .as_ref()
                    .is_some_and(|(_, e)| bound_proves(p, e.value, bound))
                {
                    proven = true;
                }
            }
            if out.complete && best.is_none() {
                return Err(PlanError::Infeasible(Constraint::Combination {
                    active: active_constraints(p),
                }));
            }
        }
    }
    let Some((open, eval)) = best else {
        return Err(PlanError::NoFeasiblePlanFound {
            violated: violation.unwrap_or_else(|| active_constraints(p)),
        });
    };
    if !proven {
        let (lo, hi) = if p.objective.maximises() {
            (eval.value, bound)
        } else {
            (bound, eval.value)
        };
        notes.push(format!("gap {:.3e}", relative_gap(lo, hi)));
    }
    build_plan(
        &ctx,
        &open,
        &eval,
        Quality {
            bound,
            proven,
            solver,
            note: notes.join("; "),
            greedy_value,
            nodes,
        },
    )
}

/// Evaluates a given set of open sites as a plan — the current deployment, or a variant to
/// compare with a recommended one: the same figures as a solved plan, a bound on the optimum
/// (Lagrangian; with capacities also the submodular bound) and the gap, i.e. how much better the
/// best plan could be. A constraint the set breaks (e.g. a council floor) is reported in
/// [`Plan::constraint_violation`]; the figures are still computed.
///
/// # Errors
/// [`PlanError::Invalid`] for an unknown or repeated site id.
pub fn evaluate_plan(problem: &ValidProblem, open_site_ids: &[String]) -> Result<Plan, PlanError> {
    let p = problem;
    let ctx = Context::new(p);
    let mut open = Vec::with_capacity(open_site_ids.len());
    for id in open_site_ids {
        let j = p.site_ids.iter().position(|s| s == id).ok_or_else(|| {
            PlanError::invalid("open_site_ids", format!("unknown site id '{id}'"))
        })?;
        if open.contains(&j) {
            return Err(PlanError::invalid(
                "open_site_ids",
                format!("site id '{id}' given twice"),
            ));
        }
        open.push(j);
    }
    open.sort_unstable();
    let eval = evaluate(&ctx, &open)?;
    let mut bound = if p.objective.maximises() {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    };
    let mut notes = vec!["given sites".to_string()];
    if let Some(l) = lagrangian(p, &Fixing::root(p), eval.value, None, Subgradient::ROOT) {
        bound = l.bound;
        notes.push("Lagrangian bound".into());
    }
    if p.objective == Objective::Coverage && p.has_capacity() {
        let mut s = crate::eval::Search::new(&ctx);
        for &j in &open {
            s.open(j);
        }
        bound = bound.min(submodular_bound(&mut s));
        notes.push("submodular bound".into());
    }
    let bound = round_bound(p, bound);
    let proven = eval.feasible() && bound_proves(p, eval.value, bound);
    let mut plan = build_plan(
        &ctx,
        &open,
        &eval,
        Quality {
            bound,
            proven,
            solver: SolverUsed::Given,
            note: notes.join("; "),
            greedy_value: None,
            nodes: 0,
        },
    )?;
    plan.constraint_violation = eval.violation;
    Ok(plan)
}

/// A bound needing no optimisation: coverage ≤ the weight within the radius of some site;
/// median ≥ Σ w_i × (distance to the nearest site); set cover ≥ 1 (or 0 without demand).
fn trivial_bound(p: &ValidProblem) -> f64 {
    match p.objective {
        Objective::Coverage => (0..p.n_demand())
            .filter(|&i| !p.covered_by[i].is_empty())
            .map(|i| p.weight[i])
            .sum(),
        Objective::Median => (0..p.n_demand())
            .map(|i| p.near[i].first().map_or(0.0, |&(_, d)| p.weight[i] * d))
            .sum(),
        Objective::SetCover => {
            if p.n_demand() > 0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// Score of an infeasible heuristic state in objective units (step target only).
fn h_value_fallback(p: &ValidProblem, s: &crate::eval::Search<'_, '_>) -> f64 {
    match p.objective {
        Objective::Coverage => s.score(),
        Objective::Median => -s.score(),
        Objective::SetCover => s.open_list.len() as f64,
    }
}

/// Solves by enumerating every feasible set of open sites, keeping the best (the first in
/// lexicographic order among ties). For tests and tiny instances.
///
/// `Open(p)`: all subsets of the non-required sites of the remaining size; a budget: all subsets
/// within the budget; set cover: subsets by increasing size until one covers everything.
///
/// # Errors
/// [`PlanError::TooLarge`] when more than `max_sets` sets would be evaluated;
/// [`PlanError::Infeasible`] when none is feasible.
pub fn solve_brute_force(problem: &ValidProblem, max_sets: u64) -> Result<Plan, PlanError> {
    let p = problem;
    let ctx = Context::new(p);
    let required: Vec<usize> = (0..p.n_sites()).filter(|&j| p.required[j]).collect();
    let free: Vec<usize> = (0..p.n_sites()).filter(|&j| !p.required[j]).collect();
    let f = free.len();
    let binom = |n: usize, k: usize| -> u64 {
        let k = k.min(n - k);
        let mut r: u128 = 1;
        for i in 0..k {
            r = r * (n - i) as u128 / (i + 1) as u128;
            if r > u64::MAX as u128 {
                return u64::MAX;
            }
        }
        r as u64
    };
    let sizes: Vec<usize> = match (p.objective, p.limit) {
        (_, Some(Limit::Open(k))) => vec![k - required.len()],
        _ => (0..=f).collect(),
    };
    let total: u64 = sizes
        .iter()
        .map(|&k| binom(f, k))
        .fold(0u64, u64::saturating_add);
    if total > max_sets {
        return Err(PlanError::TooLarge(format!(
            "brute force would enumerate {total} sets (limit {max_sets})"
        )));
    }
    let mut best: Option<(Vec<usize>, Evaluation)> = None;
    for &k in &sizes {
        let mut idx: Vec<usize> = (0..k).collect();
        loop {
            let mut open: Vec<usize> = required.clone();
            open.extend(idx.iter().map(|&t| free[t]));
            open.sort_unstable();
            let e = evaluate(&ctx, &open)?;
            if e.feasible()
                && best
                    .as_ref()
                    .is_none_or(|(_, b)| key(p, e.value) > key(p, b.value))
            {
                best = Some((open, e));
            }
            // Next combination in lexicographic order: bump the rightmost index that can move.
            let mut t = k;
            while t > 0 && idx[t - 1] == f - k + (t - 1) {
                t -= 1;
            }
            if t == 0 {
                break;
            }
            idx[t - 1] += 1;
            for u in t..k {
                idx[u] = idx[u - 1] + 1;
            }
        }
        if p.objective == Objective::SetCover && best.is_some() {
            break; // the smallest covering size is optimal
        }
    }
    let Some((open, eval)) = best else {
        return Err(PlanError::Infeasible(Constraint::Combination {
            active: active_constraints(p),
        }));
    };
    let bound = eval.value;
    build_plan(
        &ctx,
        &open,
        &eval,
        Quality {
            bound,
            proven: true,
            solver: SolverUsed::BruteForce,
            note: format!("enumerated {total} sets"),
            greedy_value: None,
            nodes: 0,
        },
    )
}
