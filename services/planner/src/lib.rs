//! # lighed-planner
//!
//! Where outreach staff and housing-area health efforts go: maximal covering (with or without
//! capacities), p-median and set covering, under required (existing) sites, a site count or
//! budget, and fairness rules across the health councils (floors and caps on each council's
//! share of its own need reached, per-council budgets). Every plan states a bound on the optimum
//! and its gap, whether optimality is proven, and which solver produced it (issue 5).
//!
//! Module map:
//! - [`problem`]: the request ([`PlanRequest`]) and its validated form ([`ValidProblem`]).
//! - [`error`]: [`PlanError`], with infeasible requests naming the [`Constraint`].
//! - `eval`: evaluating an open set (reach, distance, constraints), incrementally for search.
//! - `flow`: capacitated reach as a maximum flow (Dinic).
//! - `greedy`: lazy greedy (≥ 1 − 1/e) and local-search swaps.
//! - `swap`: fast swap neighbourhood and iterated local search for uncapacitated coverage.
//! - `bound`: Lagrangian and submodular bounds.
//! - [`milp`]: MILP formulations and LP relaxation with `good_lp` + microlp.
//! - `bnb`: branch and bound with Lagrangian bounds and a deadline.
//! - [`inequality`]: SII and concentration index of reach before/after, by need decile and council.
//! - [`plan`]: the output ([`Plan`]): sites with reasons and runner-ups, hours, councils, gap.
//! - [`solve()`]: the driver; [`evaluate_plan`] for a given set of sites (compare plans);
//!   [`solve_brute_force`] for tiny instances.
//!
//! **Architecture invariant**: depends on `lighed-core` only (no store, server, I/O or async);
//! every function is deterministic given its input, except where a time limit stops a search.
//!
//! ```
//! use lighed_planner::*;
//! let demand = (0..4)
//!     .map(|i| DemandPoint {
//!         id: format!("d{i}"),
//!         weight: [10.0, 20.0, 30.0, 40.0][i],
//!         population: None,
//!         council: None,
//!         location: None,
//!     })
//!     .collect();
//! let sites = ["A", "B"]
//!     .iter()
//!     .map(|s| CandidateSite {
//!         id: s.to_string(),
//!         capacity: None,
//!         cost: None,
//!         required: false,
//!         council: None,
//!         location: None,
//!     })
//!     .collect();
//! // Site A is 1 km from d0 and d1; site B is 1 km from d2 and d3; everything else is 9 km.
//! let d = vec![
//!     vec![1.0, 9.0],
//!     vec![1.0, 9.0],
//!     vec![9.0, 1.0],
//!     vec![9.0, 1.0],
//! ];
//! let problem = PlanRequest {
//!     demand,
//!     sites,
//!     coverage: Coverage::Matrix { distances: DistanceMatrix::Dense(d), radius: Some(2.0) },
//!     limit: Some(Limit::Open(1)),
//!     objective: Objective::Coverage,
//!     fairness: Fairness::default(),
//!     teams: None,
//! }
//! .validate()
//! .unwrap();
//! let plan = solve(&problem, &SolveOptions::default()).unwrap();
//! assert_eq!(plan.open_sites[0].id, "B");
//! assert_eq!(plan.objective_value, 70.0);
//! assert!(plan.proven_optimal);
//! ```

// Numerical kernels index several parallel arrays (weights, councils, coverage lists) by the
// same demand or site index; index loops say that more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

mod bnb;
mod bound;
pub mod error;
mod eval;
mod flow;
mod greedy;
pub mod inequality;
pub mod milp;
pub mod plan;
pub mod problem;
mod solve;
mod swap;

pub use error::{Constraint, PlanError};
pub use inequality::{GroupInequality, GroupReach, InequalityReport};
pub use milp::MilpLimits;
pub use plan::{CouncilSummary, OpenSite, Plan, RunnerUp, SolverUsed};
pub use problem::{
    CandidateSite, CouncilRule, Coverage, DEFAULT_COUNCIL_BUDGET_KR, DemandPoint, DistanceEntry,
    DistanceMatrix, Fairness, Limit, LonLat, MAX_DENSE_PAIRS, Objective, PlanRequest, Teams,
    ValidProblem,
};
pub use solve::{
    AUTO_DEFAULT_BUDGET, DEFAULT_ILS_GAP_TOLERANCE, DEFAULT_ILS_PATIENCE_WITHIN_GAP, ExactEngine,
    SolveOptions, SolverChoice, evaluate_plan, solve, solve_brute_force,
};
