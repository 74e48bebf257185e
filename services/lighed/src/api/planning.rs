//! `lighed.v1.PlanningService`: RecommendDeployment and ComparePlans — wire format only; the work
//! is [`crate::planning`].

use std::collections::BTreeMap;

use lighed_planner::{
    CandidateSite, CouncilRule, DemandPoint, DistanceEntry, Fairness, Limit, LonLat, Objective,
    Plan, SolverChoice, Teams,
};
use tonic::{Request, Response, Status};

use crate::api::caller_of;
use crate::error::AppError;
use crate::pb;
use crate::pb::planning_service_server::PlanningService;
use crate::planning::{
    self, CoverageRequest, DemandSource, Deployment, DeploymentRequest, SiteSource, Variant,
};
use crate::ranking::ScopeRequest;
use crate::state::AppState;

/// The planning service.
#[derive(Debug, Clone)]
pub struct PlanningApi {
    state: AppState,
}

impl PlanningApi {
    /// A service over the shared state.
    pub fn new(state: AppState) -> Self {
        PlanningApi { state }
    }
}

#[tonic::async_trait]
impl PlanningService for PlanningApi {
    async fn recommend_deployment(
        &self,
        request: Request<pb::RecommendDeploymentRequest>,
    ) -> Result<Response<pb::DeploymentPlan>, Status> {
        let caller = caller_of(&request);
        let req = deployment_request(request.into_inner())?;
        let d = planning::recommend(&self.state, &req, &caller).await?;
        Ok(Response::new(deployment_pb(&d)))
    }

    async fn compare_plans(
        &self,
        request: Request<pb::ComparePlansRequest>,
    ) -> Result<Response<pb::ComparePlansResponse>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let baseline = r
            .baseline
            .ok_or_else(|| AppError::invalid("baseline", "is required"))?;
        let baseline = deployment_request(baseline).map_err(|e| prefix(e, "baseline."))?;
        let variants = r
            .variants
            .into_iter()
            .enumerate()
            .map(|(i, v)| variant(v, i))
            .collect::<Result<Vec<_>, AppError>>()?;
        let c = planning::compare(&self.state, &baseline, &variants, &caller).await?;
        Ok(Response::new(pb::ComparePlansResponse {
            baseline: Some(deployment_pb(&c.baseline)),
            variants: c
                .variants
                .iter()
                .map(|v| pb::VariantPlan {
                    name: v.name.clone(),
                    plan: Some(deployment_pb(&v.deployment)),
                    objective_delta: v.objective_delta,
                    covered_weight_delta: v.covered_weight_delta,
                    sites_added: v.sites_added.clone(),
                    sites_removed: v.sites_removed.clone(),
                    councils: v
                        .councils
                        .iter()
                        .map(|c| pb::CouncilDelta {
                            council: c.council.clone(),
                            reached_delta: c.reached_delta,
                            share_delta: c.share_delta,
                        })
                        .collect(),
                })
                .collect(),
        }))
    }
}

fn prefix(e: AppError, p: &str) -> AppError {
    match e {
        AppError::InvalidArgument {
            message,
            violations,
        } => AppError::InvalidArgument {
            message: format!("{p}{message}"),
            violations: violations
                .into_iter()
                .map(|mut v| {
                    v.field = format!("{p}{}", v.field);
                    v
                })
                .collect(),
        },
        other => other,
    }
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn lonlat(lon: Option<f64>, lat: Option<f64>, field: &str) -> Result<Option<LonLat>, AppError> {
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok(Some(LonLat { lon, lat })),
        (None, None) => Ok(None),
        _ => Err(AppError::invalid(
            field,
            "give both lon and lat, or neither",
        )),
    }
}

fn objective(o: i32, field: &str) -> Result<Option<Objective>, AppError> {
    match pb::PlanObjective::try_from(o) {
        Ok(pb::PlanObjective::Unspecified) => Ok(None),
        Ok(pb::PlanObjective::Coverage) => Ok(Some(Objective::Coverage)),
        Ok(pb::PlanObjective::Median) => Ok(Some(Objective::Median)),
        Ok(pb::PlanObjective::SetCover) => Ok(Some(Objective::SetCover)),
        Err(_) => Err(AppError::invalid(field, format!("unknown objective {o}"))),
    }
}

fn fairness(f: Option<pb::Fairness>, field: &str) -> Result<Option<Fairness>, AppError> {
    let Some(f) = f else { return Ok(None) };
    let mut councils = BTreeMap::new();
    for (i, r) in f.councils.into_iter().enumerate() {
        let name = non_empty(r.council).ok_or_else(|| {
            AppError::invalid(&format!("{field}.councils[{i}].council"), "is required")
        })?;
        if councils
            .insert(
                name.clone(),
                CouncilRule {
                    min_share: r.min_share,
                    max_share: r.max_share,
                    budget_kr: r.budget_kr,
                },
            )
            .is_some()
        {
            return Err(AppError::invalid(
                &format!("{field}.councils[{i}].council"),
                format!("'{name}' has two rules"),
            ));
        }
    }
    let mut out = Fairness {
        min_share: f.min_share,
        max_share: f.max_share,
        councils,
        ..Fairness::default()
    };
    if f.council_budget_kr.is_some() {
        out.council_budget_kr = f.council_budget_kr;
    }
    Ok(Some(out))
}

fn teams(t: Option<pb::Teams>) -> Option<Teams> {
    t.map(|t| Teams {
        count: t.count,
        hours_per_week: t.hours_per_week.unwrap_or(planning::DEFAULT_TEAM_HOURS),
        base: non_empty(t.base),
    })
}

fn scored_scope(s: Option<pb::scored_demand::Scope>) -> ScopeRequest {
    match s {
        None => ScopeRequest::Region,
        Some(pb::scored_demand::Scope::Council(c)) => ScopeRequest::Council(c),
        Some(pb::scored_demand::Scope::Municipality(m)) => ScopeRequest::Municipality(m),
    }
}

fn site_scope(s: Option<pb::area_sites::Scope>) -> ScopeRequest {
    match s {
        None => ScopeRequest::Region,
        Some(pb::area_sites::Scope::Council(c)) => ScopeRequest::Council(c),
        Some(pb::area_sites::Scope::Municipality(m)) => ScopeRequest::Municipality(m),
    }
}

fn deployment_request(r: pb::RecommendDeploymentRequest) -> Result<DeploymentRequest, AppError> {
    use pb::recommend_deployment_request::{Coverage as C, Demand as D, Limit as L, Sites as S};
    let demand = match r.demand {
        None => {
            return Err(AppError::invalid(
                "demand",
                "give demand points or scored demand",
            ));
        }
        Some(D::Points(p)) => DemandSource::Points(
            p.points
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(DemandPoint {
                        location: lonlat(p.lon, p.lat, &format!("demand.points[{i}]"))?,
                        id: p.id,
                        weight: p.weight,
                        population: p.population,
                        council: non_empty(p.council),
                    })
                })
                .collect::<Result<_, AppError>>()?,
        ),
        Some(D::Scored(s)) => DemandSource::Scored {
            model: non_empty(s.model),
            level: non_empty(s.level),
            scope: scored_scope(s.scope),
        },
    };
    let sites = match r.sites {
        None => {
            return Err(AppError::invalid(
                "sites",
                "give candidate sites or area sites",
            ));
        }
        Some(S::Candidates(c)) => SiteSource::Candidates(
            c.sites
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    Ok(CandidateSite {
                        location: lonlat(s.lon, s.lat, &format!("sites.candidates[{i}]"))?,
                        id: s.id,
                        capacity: s.capacity,
                        cost: s.cost_kr,
                        required: s.required,
                        council: non_empty(s.council),
                    })
                })
                .collect::<Result<_, AppError>>()?,
        ),
        Some(S::AreaSites(a)) => SiteSource::Areas {
            level: non_empty(a.level),
            cost_kr: a.cost_kr,
            capacity: a.capacity,
            required: a.required,
            scope: site_scope(a.scope),
        },
    };
    let coverage = r.coverage.map(|c| match c {
        C::RadiusKm(km) => CoverageRequest::RadiusKm(km),
        C::Matrix(m) => CoverageRequest::Matrix {
            entries: m
                .entries
                .into_iter()
                .map(|e| DistanceEntry {
                    site_id: e.site_id,
                    demand_id: e.demand_id,
                    distance: e.distance,
                })
                .collect(),
            radius: m.radius,
        },
    });
    let limit = r.limit.map(|l| match l {
        L::Open(p) => Limit::Open(p as usize),
        L::BudgetKr(b) => Limit::Budget(b),
    });
    let solver = match pb::PlanSolver::try_from(r.solver) {
        Ok(pb::PlanSolver::Unspecified | pb::PlanSolver::Auto) => SolverChoice::Auto,
        Ok(pb::PlanSolver::Exact) => SolverChoice::Exact,
        Ok(pb::PlanSolver::Heuristic) => SolverChoice::Heuristic,
        Err(_) => {
            return Err(AppError::invalid(
                "solver",
                format!("unknown solver {}", r.solver),
            ));
        }
    };
    Ok(DeploymentRequest {
        demand,
        sites,
        coverage,
        limit,
        objective: objective(r.objective, "objective")?.unwrap_or(Objective::Coverage),
        fairness: fairness(r.fairness, "fairness")?.unwrap_or_default(),
        teams: teams(r.teams),
        solver,
        time_limit_seconds: r.time_limit_seconds,
    })
}

fn variant(v: pb::PlanVariant, i: usize) -> Result<Variant, AppError> {
    Ok(Variant {
        name: v.name,
        open: v.open,
        budget_kr: v.budget_kr,
        radius_km: v.radius_km,
        objective: objective(v.objective, &format!("variants[{i}].objective"))?,
        fairness: fairness(v.fairness, &format!("variants[{i}].fairness"))?,
        teams: teams(v.teams),
        given_sites: v.given_sites,
    })
}

fn summary_pb(s: &lighed_core::stats::inequality::InequalitySummary) -> pb::InequalitySummary {
    pb::InequalitySummary {
        sii: s.sii,
        rii: s.rii,
        concentration_index: s.concentration_index,
        theil: s.theil,
        par: s.par,
        paf: s.paf,
        difference: s.difference,
        ratio: s.ratio,
    }
}

fn group_pb(g: &lighed_planner::GroupInequality) -> pb::GroupInequality {
    pb::GroupInequality {
        basis: g.basis.clone(),
        groups: g
            .groups
            .iter()
            .map(|r| pb::GroupReach {
                group: r.group.clone(),
                population: r.population,
                need: r.need,
                reached_before: r.reached_before,
                reached_after: r.reached_after,
            })
            .collect(),
        before: g.before.as_ref().map(summary_pb),
        after: g.after.as_ref().map(summary_pb),
        note: g.note.clone().unwrap_or_default(),
    }
}

fn plan_pb(p: &Plan) -> pb::DeploymentPlan {
    pb::DeploymentPlan {
        objective: p.objective.as_str().to_owned(),
        objective_value: p.objective_value,
        open_sites: p
            .open_sites
            .iter()
            .map(|s| pb::PlannedSite {
                id: s.id.clone(),
                required: s.required,
                council: s.council.clone().unwrap_or_default(),
                cost_kr: s.cost,
                reached_weight: s.reached_weight,
                reached_points: s.reached_points as u32,
                reaches: s.reaches.clone(),
                marginal_value: s.marginal_value,
                hours_per_week: s.hours_per_week,
                runner_up: s.runner_up.as_ref().map(|r| pb::RunnerUp {
                    site_id: r.site_id.clone(),
                    objective_value: r.objective_value,
                    loss: r.loss,
                }),
                reason: s.reason.clone(),
            })
            .collect(),
        covered_weight: p.covered_weight,
        covered_points: p.covered_points as u32,
        covered_population: p.covered_population,
        uncovered_demand_points: p.uncovered_demand_points as u32,
        uncovered_demand_ids: p.uncovered_demand_ids.clone(),
        percent_covered: p.percent_covered,
        total_weight: p.total_weight,
        mean_distance: p.mean_distance,
        distance_unit: p.distance_unit.clone(),
        lower_bound: p.lower_bound,
        upper_bound: p.upper_bound,
        gap: p.gap,
        proven_optimal: p.proven_optimal,
        solver: p.solver.as_str().to_owned(),
        solver_note: p.solver_note.clone(),
        councils: p
            .councils
            .iter()
            .map(|c| pb::CouncilReach {
                council: c.council.clone(),
                need: c.need,
                reached: c.reached,
                share: c.share,
                spend_kr: c.spend,
                budget_kr: c.budget,
                floor: c.floor,
                cap: c.cap,
                open_sites: c.open_sites as u32,
            })
            .collect(),
        team_hours_per_week: p.team_hours_per_week,
        inequality: Some(pb::PlanInequality {
            deciles: p.inequality.deciles.as_ref().map(group_pb),
            councils: p.inequality.councils.as_ref().map(group_pb),
        }),
        constraint_violation: p.constraint_violation.clone().unwrap_or_default(),
        ..pb::DeploymentPlan::default()
    }
}

fn deployment_pb(d: &Deployment) -> pb::DeploymentPlan {
    pb::DeploymentPlan {
        data_version: d.data_version.clone(),
        model: d.model.clone().unwrap_or_default(),
        model_version: d.model_version.clone().unwrap_or_default(),
        run_id: d.run_id,
        notes: d.notes.clone(),
        ..plan_pb(&d.plan)
    }
}
