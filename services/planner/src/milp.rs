//! Mixed-integer formulations solved with `good_lp` and its pure-Rust `microlp` backend: the
//! exact MILP for small and medium instances, its LP relaxation as an upper (or lower) bound, and
//! the fair allocation LP for a fixed set of capacitated sites.
//!
//! Formulations (y_j ∈ {0,1} opens site j; N_i = sites within the radius of demand i):
//!
//! - **Coverage (MCLP, Church & ReVelle 1974)**: max Σ_i w_i x_i s.t. x_i ≤ Σ_{j∈N_i} y_j,
//!   0 ≤ x_i ≤ 1. When a council has a cap, x_i ≥ y_j for j ∈ N_i in that council (covered
//!   need is reached whether wanted or not).
//! - **Capacitated coverage**: max Σ z_ij s.t. Σ_j z_ij ≤ w_i, Σ_i z_ij ≤ cap_j y_j,
//!   z_ij ≤ w_i y_j, z ≥ 0 (demand may be split between sites).
//! - **p-median (ReVelle & Swain 1970)**: min Σ w_i d_ij z_ij s.t. Σ_j z_ij = 1, z_ij ≤ y_j.
//! - **Set cover (Toregas et al. 1971)**: min Σ y_j s.t. Σ_{j∈N_i} y_j ≥ 1.
//!
//! Common: Σ y_j = p or Σ c_j y_j ≤ B; y_j = 1 for required sites; per council
//! Σ_{j∈c} c_j y_j ≤ B_c; floors Σ_{i∈c} reach_i ≥ f_c W_c and caps ≤ x_c W_c.
//!
//! microlp 0.2.11 (the version `good_lp` =1.14.0 uses) has no time limit and explores its
//! branch-and-bound tree depth-first, so the exact MILP is run only on instances within
//! [`MilpLimits`]; larger ones go to the Lagrangian branch and bound, which has a deadline.

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, variable,
};

use crate::error::PlanError;
use crate::eval::Evaluation;
use crate::problem::{Limit, Objective, ValidProblem};

/// Size limits under which the exact MILP (microlp, no time limit) is attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilpLimits {
    /// Most binary variables (candidate sites that are not required).
    pub max_binaries: usize,
    /// Most nonzero coefficients in the constraint matrix.
    pub max_nonzeros: usize,
}

impl Default for MilpLimits {
    /// 60 binaries and 20,000 nonzeros: on this project's 2-core machines, MCLP instances of
    /// that size (1,000 demand × 60 sites) solved in well under a second.
    fn default() -> Self {
        MilpLimits {
            max_binaries: 60,
            max_nonzeros: 20_000,
        }
    }
}

/// Counts (binary variables, nonzeros) of the MILP of a problem.
pub(crate) fn model_size(p: &ValidProblem) -> (usize, usize) {
    let binaries = (0..p.n_sites()).filter(|&j| !p.required[j]).count();
    let cover_pairs: usize = p.covers.iter().map(Vec::len).sum();
    let nnz = match p.objective {
        Objective::Coverage if p.has_capacity() => 4 * cover_pairs + 2 * p.n_sites(),
        Objective::Coverage => {
            let capped: usize = (0..p.n_demand())
                .filter(|&i| p.demand_council[i].is_some_and(|c| p.cap[c].is_some()))
                .map(|i| 2 * p.covered_by[i].len())
                .sum();
            cover_pairs + 2 * p.n_demand() + p.n_sites() + capped
        }
        Objective::Median => 3 * p.near.iter().map(Vec::len).sum::<usize>() + p.n_sites(),
        Objective::SetCover => cover_pairs + p.n_sites(),
    };
    (binaries, nnz)
}

/// Whether the MILP of `p` is within `limits`.
pub(crate) fn fits(p: &ValidProblem, limits: &MilpLimits) -> bool {
    let (b, nnz) = model_size(p);
    b <= limits.max_binaries && nnz <= limits.max_nonzeros
}

/// Outcome of an LP or MILP solve.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LpOutcome {
    /// Optimal: the objective and the site variables y_j.
    Optimal { objective: f64, y: Vec<f64> },
    /// No solution satisfies the constraints (proven by the solver).
    Infeasible,
}

fn run<M: SolverModel>(model: M) -> Result<Option<M::Solution>, PlanError>
where
    M::Error: Into<ResolutionError>,
{
    // microlp asserts on some numerical corner cases; never let that become a panic.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.solve()))
        .map_err(|_| PlanError::Backend("microlp panicked".into()))?;
    match result.map_err(Into::into) {
        Ok(s) => Ok(Some(s)),
        Err(ResolutionError::Infeasible) => Ok(None),
        Err(e) => Err(PlanError::Backend(e.to_string())),
    }
}

fn add_site_constraints<M: SolverModel>(p: &ValidProblem, model: &mut M, y: &[Variable]) {
    match p.limit {
        Some(Limit::Open(k)) => {
            let s: Expression = y.iter().sum();
            model.add_constraint(s.eq(k as f64));
        }
        Some(Limit::Budget(b)) => {
            let mut s = Expression::with_capacity(y.len());
            for (j, &v) in y.iter().enumerate() {
                if p.cost[j] > 0.0 {
                    s.add_mul(p.cost[j], v);
                }
            }
            model.add_constraint(s.leq(b));
        }
        None => {}
    }
    for c in 0..p.councils.len() {
        if let Some(b) = p.council_budget[c] {
            let mut s = Expression::from(0.0);
            let mut any = false;
            for (j, &v) in y.iter().enumerate() {
                if p.site_council[j] == Some(c) && p.cost[j] > 0.0 {
                    s.add_mul(p.cost[j], v);
                    any = true;
                }
            }
            if any {
                model.add_constraint(s.leq(b));
            }
        }
    }
}

fn add_fairness<M: SolverModel>(p: &ValidProblem, model: &mut M, reach_terms: &[Expression]) {
    for c in 0..p.councils.len() {
        let need = p.council_need[c];
        if let Some(f) = p.floor[c] {
            model.add_constraint(reach_terms[c].clone().geq(f * need));
        }
        if let Some(x) = p.cap[c] {
            model.add_constraint(reach_terms[c].clone().leq(x * need));
        }
    }
}

/// Solves the MILP (`relax = false`) or its LP relaxation (`relax = true`) of `p`.
///
/// For the relaxation, the returned objective is an upper bound (coverage) or lower bound
/// (median, set cover) on the optimum.
pub(crate) fn solve_model(p: &ValidProblem, relax: bool) -> Result<LpOutcome, PlanError> {
    let m = p.n_sites();
    let n = p.n_demand();
    let mut vars = ProblemVariables::new();
    let y: Vec<Variable> = (0..m)
        .map(|j| {
            let lo = if p.required[j] { 1.0 } else { 0.0 };
            let def = variable().min(lo).max(1.0);
            vars.add(if relax { def } else { def.integer() })
        })
        .collect();
    let k = p.councils.len();
    let values = |sol: &dyn Fn(Variable) -> f64| y.iter().map(|&v| sol(v)).collect::<Vec<f64>>();
    match p.objective {
        Objective::Coverage => match &p.capacity {
            None => {
                let x: Vec<Option<Variable>> = (0..n)
                    .map(|i| {
                        (!p.covered_by[i].is_empty())
                            .then(|| vars.add(variable().min(0.0).max(1.0)))
                    })
                    .collect();
                let mut obj = Expression::with_capacity(n);
                let mut reach = vec![Expression::from(0.0); k];
                for i in 0..n {
                    if let Some(xi) = x[i] {
                        obj.add_mul(p.weight[i], xi);
                        if let Some(c) = p.demand_council[i] {
                            reach[c].add_mul(p.weight[i], xi);
                        }
                    }
                }
                let mut model = vars.maximise(obj.clone()).using(good_lp::microlp);
                for i in 0..n {
                    if let Some(xi) = x[i] {
                        let s: Expression = p.covered_by[i].iter().map(|&j| y[j as usize]).sum();
                        model.add_constraint(Expression::from(xi).leq(s));
                        if p.demand_council[i].is_some_and(|c| p.cap[c].is_some()) {
                            for &j in &p.covered_by[i] {
                                model.add_constraint(Expression::from(xi).geq(y[j as usize]));
                            }
                        }
                    }
                }
                add_site_constraints(p, &mut model, &y);
                add_fairness(p, &mut model, &reach);
                Ok(match run(model)? {
                    None => LpOutcome::Infeasible,
                    Some(sol) => LpOutcome::Optimal {
                        objective: obj.eval_with(&sol),
                        y: values(&|v| sol.value(v)),
                    },
                })
            }
            Some(cap) => {
                let mut z: Vec<(usize, usize, Variable)> = Vec::new();
                for (j, cov) in p.covers.iter().enumerate() {
                    for &i in cov {
                        let i = i as usize;
                        if p.weight[i] > 0.0 {
                            z.push((i, j, vars.add(variable().min(0.0))));
                        }
                    }
                }
                let mut obj = Expression::with_capacity(z.len());
                let mut per_demand = vec![Expression::from(0.0); n];
                let mut per_site = vec![Expression::from(0.0); m];
                let mut reach = vec![Expression::from(0.0); k];
                for &(i, j, v) in &z {
                    obj.add_mul(1.0, v);
                    per_demand[i].add_mul(1.0, v);
                    per_site[j].add_mul(1.0, v);
                    if let Some(c) = p.demand_council[i] {
                        reach[c].add_mul(1.0, v);
                    }
                }
                let mut model = vars.maximise(obj.clone()).using(good_lp::microlp);
                for &(i, j, v) in &z {
                    model.add_constraint(Expression::from(v).leq(p.weight[i] * y[j]));
                }
                for (i, e) in per_demand.into_iter().enumerate() {
                    if p.weight[i] > 0.0 && !p.covered_by[i].is_empty() {
                        model.add_constraint(e.leq(p.weight[i]));
                    }
                }
                for (j, e) in per_site.into_iter().enumerate() {
                    if cap[j].is_finite() && !p.covers[j].is_empty() {
                        model.add_constraint(e.leq(cap[j] * y[j]));
                    }
                }
                add_site_constraints(p, &mut model, &y);
                add_fairness(p, &mut model, &reach);
                Ok(match run(model)? {
                    None => LpOutcome::Infeasible,
                    Some(sol) => LpOutcome::Optimal {
                        objective: obj.eval_with(&sol),
                        y: values(&|v| sol.value(v)),
                    },
                })
            }
        },
        Objective::Median => {
            let mut z: Vec<(usize, usize, f64, Variable)> = Vec::new();
            for (i, row) in p.near.iter().enumerate() {
                if p.weight[i] > 0.0 {
                    for &(j, d) in row {
                        z.push((i, j as usize, d, vars.add(variable().min(0.0).max(1.0))));
                    }
                }
            }
            let mut obj = Expression::with_capacity(z.len());
            let mut per_demand = vec![Expression::from(0.0); n];
            for &(i, _, d, v) in &z {
                obj.add_mul(p.weight[i] * d, v);
                per_demand[i].add_mul(1.0, v);
            }
            let mut model = vars.minimise(obj.clone()).using(good_lp::microlp);
            for (i, e) in per_demand.into_iter().enumerate() {
                if p.weight[i] > 0.0 {
                    model.add_constraint(e.eq(1.0));
                }
            }
            for &(_, j, _, v) in &z {
                model.add_constraint(Expression::from(v).leq(y[j]));
            }
            add_site_constraints(p, &mut model, &y);
            Ok(match run(model)? {
                None => LpOutcome::Infeasible,
                Some(sol) => LpOutcome::Optimal {
                    objective: obj.eval_with(&sol),
                    y: values(&|v| sol.value(v)),
                },
            })
        }
        Objective::SetCover => {
            let obj: Expression = y.iter().sum();
            let mut model = vars.minimise(obj.clone()).using(good_lp::microlp);
            for cov in &p.covered_by {
                let s: Expression = cov.iter().map(|&j| y[j as usize]).sum();
                model.add_constraint(s.geq(1.0));
            }
            add_site_constraints(p, &mut model, &y);
            Ok(match run(model)? {
                None => LpOutcome::Infeasible,
                Some(sol) => LpOutcome::Optimal {
                    objective: obj.eval_with(&sol),
                    y: values(&|v| sol.value(v)),
                },
            })
        }
    }
}

/// With capacities and council floors/caps: the allocation of demand to the given open sites
/// that maximises total reach subject to the floors and caps (an LP). `None` if no allocation
/// meets them.
pub(crate) fn fair_allocation(
    p: &ValidProblem,
    open: &[usize],
) -> Result<Option<Evaluation>, PlanError> {
    let Some(cap) = &p.capacity else {
        return Ok(None);
    };
    let n = p.n_demand();
    let k = p.councils.len();
    let mut vars = ProblemVariables::new();
    let mut z: Vec<(usize, usize, Variable)> = Vec::new();
    for &j in open {
        for &i in &p.covers[j] {
            let i = i as usize;
            if p.weight[i] > 0.0 {
                z.push((i, j, vars.add(variable().min(0.0))));
            }
        }
    }
    let mut obj = Expression::with_capacity(z.len());
    let mut per_demand = vec![Expression::from(0.0); n];
    let mut per_site: Vec<(usize, Expression)> = open.iter().map(|&j| (j, 0.0.into())).collect();
    let mut reach = vec![Expression::from(0.0); k];
    for &(i, j, v) in &z {
        obj.add_mul(1.0, v);
        per_demand[i].add_mul(1.0, v);
        let pos = open.iter().position(|&o| o == j).expect("j is open");
        per_site[pos].1.add_mul(1.0, v);
        if let Some(c) = p.demand_council[i] {
            reach[c].add_mul(1.0, v);
        }
    }
    let mut model = vars.maximise(obj.clone()).using(good_lp::microlp);
    for (i, e) in per_demand.into_iter().enumerate() {
        if p.weight[i] > 0.0 {
            model.add_constraint(e.leq(p.weight[i]));
        }
    }
    for (j, e) in per_site {
        if cap[j].is_finite() {
            model.add_constraint(e.leq(cap[j]));
        }
    }
    add_fairness(p, &mut model, &reach);
    let Some(sol) = run(model)? else {
        return Ok(None);
    };
    let mut council_reach = vec![0.0; k];
    let mut allocation = vec![Vec::new(); p.n_sites()];
    for &(i, j, v) in &z {
        let f = sol.value(v);
        if f > 1e-12 {
            allocation[j].push((i, f));
            if let Some(c) = p.demand_council[i] {
                council_reach[c] += f;
            }
        }
    }
    Ok(Some(Evaluation {
        value: obj.eval_with(&sol),
        violation: None,
        council_reach,
        allocation,
    }))
}

/// Turns y values of an integral solution into the open set.
pub(crate) fn open_from_y(y: &[f64]) -> Vec<usize> {
    (0..y.len()).filter(|&j| y[j] > 0.5).collect()
}
