//! Exact search with a deadline: best-first branch and bound over the site variables, with
//! Lagrangian bounds at every node (see [`crate::bound`]).
//!
//! Each node fixes some sites open and some closed. Its bound comes from the subgradient method,
//! warm-started from the parent's multipliers; a node whose bound cannot beat the incumbent is
//! discarded. Reduced-cost fixing (Beasley 1993) closes or opens further sites when forcing them
//! the other way would already push the bound below the incumbent. The set chosen by the
//! Lagrangian inner problem is evaluated as a plan at every node (a primal heuristic). A node with
//! every site decided is evaluated exactly, with every constraint (capacities, council floors,
//! caps and budgets), so those constraints are honoured even though the bounds ignore them.
//! For uncapacitated coverage with a site count, each node's set is also improved by fast swaps
//! ([`crate::swap`]) before it is offered as an incumbent.
//!
//! **Tolerance.** Optimality is proven to a relative tolerance of 1e-9 (integral objectives —
//! integer weights, set cover — exactly, by rounding the bound). When the deadline or node limit
//! stops the search, the largest bound among the open nodes is a valid global bound, so the gap
//! is still reported.

use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Instant;

use crate::bound::{Fixing, Lagrange, Subgradient, lagrangian};
use crate::error::PlanError;
use crate::eval::{Context, Evaluation, evaluate};
use crate::problem::{Limit, Objective, ValidProblem};
use crate::swap;

/// Relative tolerance under which a node cannot improve the incumbent.
pub(crate) const REL_TOL: f64 = 1e-9;

/// What the search found.
#[derive(Debug, Clone)]
pub(crate) struct BnbOutcome {
    /// Best feasible plan found (sorted open sites and its evaluation).
    pub(crate) best: Option<(Vec<usize>, Evaluation)>,
    /// Valid bound on the optimum in objective units (upper for coverage, lower otherwise).
    pub(crate) bound: f64,
    /// The whole tree was searched: `best` is optimal, or the problem is infeasible if `None`.
    pub(crate) complete: bool,
    /// Nodes whose bound was computed.
    pub(crate) nodes: usize,
}

/// Objective value in "larger is better" key space.
fn to_key(p: &ValidProblem, v: f64) -> f64 {
    if p.objective.maximises() { v } else { -v }
}

fn from_key(p: &ValidProblem, k: f64) -> f64 {
    to_key(p, k)
}

/// Whether all attainable objective values are integers (coverage with integer weights and
/// capacities; set cover).
pub(crate) fn integral(p: &ValidProblem) -> bool {
    match p.objective {
        Objective::SetCover => true,
        Objective::Median => false,
        Objective::Coverage => {
            p.weight.iter().all(|w| w.fract() == 0.0 && *w < 9.0e15)
                && p.capacity.as_ref().is_none_or(|c| {
                    c.iter()
                        .all(|x| !x.is_finite() || (x.fract() == 0.0 && *x < 9.0e15))
                })
        }
    }
}

/// Whether a node with bound `bound` (key space) could still beat `inc` (key space).
fn can_improve(integral: bool, bound: f64, inc: f64) -> bool {
    if inc == f64::NEG_INFINITY {
        return true;
    }
    if integral {
        (bound + 1e-9 * (1.0 + bound.abs())).floor() > inc + 0.5
    } else {
        bound > inc + REL_TOL * inc.abs().max(1.0)
    }
}

#[derive(Debug)]
struct Node {
    bound: f64,
    depth: usize,
    seq: usize,
    fix: Fixing,
    warm: Option<Rc<Vec<f64>>>,
}

impl PartialEq for Node {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Node {
    /// Best bound first; then deeper (closer to a leaf); then older.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.bound
            .total_cmp(&o.bound)
            .then(self.depth.cmp(&o.depth))
            .then(o.seq.cmp(&self.seq))
    }
}

/// Cheap infeasibility tests of a node's fixings against the side constraints.
fn node_infeasible(p: &ValidProblem, fix: &Fixing) -> bool {
    let m = p.n_sites();
    // Council budgets on the forced sites.
    let mut spend = vec![0.0; p.councils.len()];
    for j in 0..m {
        if fix.forced[j]
            && let Some(c) = p.site_council[j]
        {
            spend[c] += p.cost[j];
        }
    }
    for (c, s) in spend.iter().enumerate() {
        if p.council_budget[c].is_some_and(|b| *s > b * (1.0 + 1e-12)) {
            return true;
        }
    }
    match p.objective {
        Objective::SetCover => p
            .covered_by
            .iter()
            .any(|cov| cov.iter().all(|&j| fix.banned[j as usize])),
        Objective::Median => (0..p.n_demand())
            .any(|i| p.weight[i] > 0.0 && p.near[i].iter().all(|&(j, _)| fix.banned[j as usize])),
        Objective::Coverage => {
            if !p.has_floor_or_cap() {
                return false;
            }
            let k = p.councils.len();
            let mut upper = vec![0.0; k];
            let mut forced = vec![0.0; k];
            for i in 0..p.n_demand() {
                let Some(c) = p.demand_council[i] else {
                    continue;
                };
                let cov = &p.covered_by[i];
                if cov.iter().any(|&j| !fix.banned[j as usize]) {
                    upper[c] += p.weight[i];
                }
                if cov.iter().any(|&j| fix.forced[j as usize]) {
                    forced[c] += p.weight[i];
                }
            }
            (0..k).any(|c| {
                let need = p.council_need[c];
                let slack = crate::eval::FAIR_TOL * (1.0 + need);
                p.floor[c].is_some_and(|f| upper[c] < f * need - slack)
                    || (!p.has_capacity() && p.cap[c].is_some_and(|x| forced[c] > x * need + slack))
            })
        }
    }
}

/// Reduced-cost fixing: sites whose forced inclusion (exclusion) would drop the bound below the
/// incumbent are banned (forced). Returns whether anything changed.
fn reduced_cost_fixing(
    p: &ValidProblem,
    fix: &mut Fixing,
    lag: &Lagrange,
    bound: f64,
    inc: f64,
    integral: bool,
) -> bool {
    let m = p.n_sites();
    let selected: Vec<bool> = {
        let mut s = vec![false; m];
        for &j in &lag.selected {
            s[j] = true;
        }
        s
    };
    let v = &lag.score;
    let mut changed = false;
    match p.limit {
        Some(Limit::Open(_)) => {
            let min_in = (0..m)
                .filter(|&j| fix.free(j) && selected[j])
                .map(|j| v[j])
                .fold(f64::INFINITY, f64::min);
            let max_out = (0..m)
                .filter(|&j| fix.free(j) && !selected[j])
                .map(|j| v[j])
                .fold(f64::NEG_INFINITY, f64::max);
            for j in 0..m {
                if !fix.free(j) {
                    continue;
                }
                if selected[j] {
                    if max_out.is_finite() && !can_improve(integral, bound - v[j] + max_out, inc) {
                        fix.forced[j] = true;
                        changed = true;
                    }
                } else if min_in.is_finite() && !can_improve(integral, bound - min_in + v[j], inc) {
                    fix.banned[j] = true;
                    changed = true;
                }
            }
        }
        None => {
            for j in 0..m {
                if !fix.free(j) {
                    continue;
                }
                if selected[j] {
                    if !can_improve(integral, bound - v[j], inc) {
                        fix.forced[j] = true;
                        changed = true;
                    }
                } else if !can_improve(integral, bound + v[j], inc) {
                    fix.banned[j] = true;
                    changed = true;
                }
            }
        }
        Some(Limit::Budget(_)) => {}
    }
    changed
}

/// If the fixings leave exactly one completion, its open set.
fn leaf_set(p: &ValidProblem, fix: &Fixing) -> Option<Vec<usize>> {
    let forced = fix.forced_list();
    let n_free = fix.n_free();
    match p.limit {
        Some(Limit::Open(k)) => {
            if forced.len() == k {
                Some(forced)
            } else if forced.len() + n_free == k {
                Some((0..p.n_sites()).filter(|&j| !fix.banned[j]).collect())
            } else {
                None
            }
        }
        _ => (n_free == 0).then_some(forced),
    }
}

/// Runs the branch and bound. `incumbent` seeds the search (a heuristic plan); `target` is a
/// value for the subgradient step sizes when there is no feasible incumbent; `root_multipliers`
/// warm-start the root's subgradient; `global_bound` is a bound already known for the whole
/// problem (objective units; NaN for none), so a plan it proves optimal ends the search at once.
pub(crate) fn branch_and_bound(
    ctx: &Context<'_>,
    incumbent: Option<(Vec<usize>, Evaluation)>,
    target: f64,
    root_multipliers: Option<Vec<f64>>,
    global_bound: f64,
    deadline: Option<Instant>,
    max_nodes: usize,
) -> Result<BnbOutcome, PlanError> {
    let p = ctx.p;
    // A bound already known for the whole problem caps every node's bound.
    let global_key = if global_bound.is_nan() {
        f64::INFINITY
    } else {
        to_key(p, global_bound)
    };
    let integral = integral(p);
    let mut best = incumbent;
    let mut inc = best
        .as_ref()
        .map_or(f64::NEG_INFINITY, |(_, e)| to_key(p, e.value));
    let mut heap: BinaryHeap<Node> = BinaryHeap::new();
    let mut seq = 0usize;
    heap.push(Node {
        bound: global_key,
        depth: 0,
        seq,
        fix: Fixing::root(p),
        warm: root_multipliers.map(Rc::new),
    });
    let mut nodes = 0usize;
    let mut stopped_bound: Option<f64> = None;
    let consider = |open: Vec<usize>,
                    best: &mut Option<(Vec<usize>, Evaluation)>,
                    inc: &mut f64|
     -> Result<(), PlanError> {
        let mut open = open;
        open.sort_unstable();
        if best.as_ref().is_some_and(|(b, _)| *b == open) {
            return Ok(());
        }
        let e = evaluate(ctx, &open)?;
        if e.feasible() {
            let k = to_key(p, e.value);
            if k > *inc + REL_TOL * 1e-3 * inc.abs().max(1.0) || best.is_none() {
                *inc = k;
                *best = Some((open, e));
            }
        }
        Ok(())
    };
    while let Some(node) = heap.pop() {
        if !can_improve(integral, node.bound, inc) {
            continue; // discarded by a later incumbent
        }
        if deadline.is_some_and(|d| Instant::now() >= d) || nodes >= max_nodes {
            stopped_bound = Some(node.bound);
            heap.push(node);
            break;
        }
        let Node {
            mut fix,
            warm,
            depth,
            ..
        } = node;
        if node_infeasible(p, &fix) {
            continue;
        }
        if let Some(open) = leaf_set(p, &fix) {
            consider(open, &mut best, &mut inc)?;
            continue;
        }
        nodes += 1;
        let step_target = if inc.is_finite() {
            from_key(p, inc)
        } else {
            target
        };
        let settings = if depth == 0 {
            Subgradient::ROOT
        } else {
            Subgradient::NODE
        };
        let Some(lag) = lagrangian(
            p,
            &fix,
            step_target,
            warm.as_deref().map(Vec::as_slice),
            settings,
        ) else {
            continue; // fixings violate the limit
        };
        let bound = to_key(p, lag.bound).min(global_key);
        // The Lagrangian's chosen set is a plan candidate.
        let mut cand: Vec<usize> = lag.selected.clone();
        for j in fix.forced_list() {
            if !cand.contains(&j) {
                cand.push(j);
            }
        }
        cand.sort_unstable();
        // Primal heuristic: descend from the Lagrangian's set with fast swaps.
        if swap::applies(p) && swap::feasible_start(p, &cand) {
            let (improved, _) = swap::improve(
                p,
                &cand,
                f64::INFINITY,
                swap::IlsSettings::DESCENT,
                deadline,
            );
            consider(improved, &mut best, &mut inc)?;
        }
        consider(cand, &mut best, &mut inc)?;
        if !can_improve(integral, bound, inc) {
            continue;
        }
        if lag.exact && !p.has_side_constraints() {
            // Zero subgradient: the relaxation's solution is integral and optimal for this node.
            continue;
        }
        reduced_cost_fixing(p, &mut fix, &lag, bound, inc, integral);
        if node_infeasible(p, &fix) {
            continue;
        }
        if let Some(open) = leaf_set(p, &fix) {
            consider(open, &mut best, &mut inc)?;
            continue;
        }
        // Branch on the best free site of the inner solution (else the best free site).
        let v = &lag.score;
        let pick = lag
            .selected
            .iter()
            .copied()
            .filter(|&j| fix.free(j))
            .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
            .or_else(|| {
                (0..p.n_sites())
                    .filter(|&j| fix.free(j))
                    .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
            });
        let Some(j) = pick else { continue };
        let warm = Some(Rc::new(lag.multipliers));
        let mut open_child = fix.clone();
        open_child.forced[j] = true;
        let mut closed_child = fix;
        closed_child.banned[j] = true;
        for child in [closed_child, open_child] {
            seq += 1;
            heap.push(Node {
                bound,
                depth: depth + 1,
                seq,
                fix: child,
                warm: warm.clone(),
            });
        }
    }
    let complete = stopped_bound.is_none();
    let open_bound = heap
        .iter()
        .filter(|n| can_improve(integral, n.bound, inc))
        .map(|n| n.bound)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut bound_key = if complete { inc } else { open_bound.max(inc) };
    if integral && bound_key.is_finite() {
        bound_key = (bound_key + 1e-9 * (1.0 + bound_key.abs())).floor();
    }
    Ok(BnbOutcome {
        best,
        bound: from_key(p, bound_key),
        complete,
        nodes,
    })
}
