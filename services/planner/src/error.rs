//! Errors: invalid input (with the offending key and value) and infeasible requests (naming the
//! constraint that cannot be met).

use std::fmt;

/// A constraint of a planning request, named in [`PlanError::Infeasible`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Constraint {
    /// `--open p`: more sites requested than there are candidates.
    OpenCount {
        /// Sites requested.
        p: usize,
        /// Candidate sites available.
        candidates: usize,
    },
    /// `--open p` is smaller than the number of required (existing) sites.
    RequiredExceedOpen {
        /// Sites requested.
        p: usize,
        /// Sites flagged `required`.
        required: usize,
    },
    /// The total budget is below the yearly cost of the required sites.
    Budget {
        /// The budget in kr.
        budget: f64,
        /// The cost of the required sites in kr.
        required_cost: f64,
    },
    /// A health council's budget is below the cost of its required sites.
    CouncilBudget {
        /// The council.
        council: String,
        /// Its budget in kr.
        budget: f64,
        /// The cost of its required sites in kr.
        required_cost: f64,
    },
    /// A council's minimum share of its own need cannot be reached, even with every site that the
    /// other constraints allow.
    CouncilFloor {
        /// The council.
        council: String,
        /// The required share of its own need (0–1).
        floor_share: f64,
        /// The largest share reachable.
        reachable_share: f64,
    },
    /// A council's maximum share of its own need is already exceeded by the required sites.
    CouncilCap {
        /// The council.
        council: String,
        /// The maximum share of its own need (0–1).
        cap_share: f64,
        /// The share reached by the required sites alone.
        required_share: f64,
    },
    /// Set covering: some demand points are not within the radius of any candidate site.
    Uncoverable {
        /// Ids of the demand points no site covers (at most 20 listed).
        demand_ids: Vec<String>,
        /// How many there are in all.
        count: usize,
    },
    /// p-median: some demand points have no known distance to any candidate site.
    Unreachable {
        /// Ids of those demand points (at most 20 listed).
        demand_ids: Vec<String>,
        /// How many there are in all.
        count: usize,
    },
    /// The exact solver proved that no plan meets all constraints together (each one alone can be
    /// met).
    Combination {
        /// Which constraint families are active.
        active: String,
    },
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::OpenCount { p, candidates } => write!(
                f,
                "open: {p} sites requested but only {candidates} candidate sites exist"
            ),
            Constraint::RequiredExceedOpen { p, required } => write!(
                f,
                "open: {p} sites requested but {required} sites are required (existing)"
            ),
            Constraint::Budget {
                budget,
                required_cost,
            } => write!(
                f,
                "budget: {budget} kr is below the {required_cost} kr the required sites cost"
            ),
            Constraint::CouncilBudget {
                council,
                budget,
                required_cost,
            } => write!(
                f,
                "council budget of '{council}': {budget} kr is below the {required_cost} kr its required sites cost"
            ),
            Constraint::CouncilFloor {
                council,
                floor_share,
                reachable_share,
            } => write!(
                f,
                "council floor of '{council}': at least {floor_share} of its need must be reached but at most {reachable_share} can be"
            ),
            Constraint::CouncilCap {
                council,
                cap_share,
                required_share,
            } => write!(
                f,
                "council cap of '{council}': at most {cap_share} of its need may be reached but the required sites already reach {required_share}"
            ),
            Constraint::Uncoverable { demand_ids, count } => write!(
                f,
                "set cover: {count} demand points are within the radius of no candidate site (e.g. {})",
                demand_ids.join(", ")
            ),
            Constraint::Unreachable { demand_ids, count } => write!(
                f,
                "median: {count} demand points have no distance to any candidate site (e.g. {})",
                demand_ids.join(", ")
            ),
            Constraint::Combination { active } => {
                write!(f, "no plan meets these constraints together: {active}")
            }
        }
    }
}

/// Everything that can go wrong when validating or solving a planning request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A field of the request is invalid (not finite, negative, duplicated, unknown id, missing).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field or key, e.g. `demand[17].weight` or `sites.id 'S4'`.
        field: String,
        /// What is wrong, with the offending value.
        message: String,
    },
    /// The request cannot be met; names the constraint.
    #[error("infeasible request: {0}")]
    Infeasible(Constraint),
    /// The heuristic found no plan that meets every constraint, and the exact solver was not run
    /// to completion (too large or out of time), so infeasibility is not proven either.
    #[error(
        "no feasible plan found within the limits (not proven infeasible); the best attempt violates: {violated}"
    )]
    NoFeasiblePlanFound {
        /// The constraint the best attempt violated.
        violated: String,
    },
    /// The instance is too large for the requested computation.
    #[error("instance too large: {0}")]
    TooLarge(String),
    /// The LP/MILP backend failed (numerical trouble); the message is the backend's.
    #[error("LP/MILP backend error: {0}")]
    Backend(String),
}

impl PlanError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        PlanError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
