//! The planning use case behind `PlanningService`: turn a deployment request — explicit points and
//! sites, or the stored areas weighted by an index model's need — into a
//! [`lighed_planner::PlanRequest`], solve it off the async runtime within a bounded time, record
//! the run (who asked, which data, a sha256 of the plan), and compare variants of one request.
//!
//! Demand from the stored data ([`DemandSource::Scored`]): every area of the level in the region
//! is ranked with the model (scores are regional, as for `RankAreas`), and weighted by
//! `population × need`, with `need = (N − regional rank + 1) / N` over the N scored areas — 1 for
//! the area with the highest need, 1/N for the lowest. The rank-based need keeps the weight
//! positive and comparable across models whatever the scale of their scores; the scope then
//! keeps only the areas inside it. Areas that cannot be scored or have no population get weight 0
//! and are counted in the plan's notes.
//!
//! Council names: a council given as a code (`SR-VEST`), id (`vest`) or name is normalised to
//! its code, in points, sites and fairness rules alike, so that the three always agree; other
//! group names (a planning tool's own) are kept as given.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lighed_core::geo::Level;
use lighed_planner::{
    CandidateSite, Coverage, DemandPoint, DistanceEntry, DistanceMatrix, Fairness, Limit, LonLat,
    Objective, Plan, PlanError, PlanRequest, SolveOptions, SolverChoice, Teams,
};
use lighed_store::{AreaRow, NewRun};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::ranking::{self, Caller, RankRequest, Scope, ScopeRequest};
use crate::state::AppState;

/// Most demand points or candidate sites a request may carry.
pub const MAX_POINTS: usize = 200_000;
/// Most distance-matrix entries a request may carry.
pub const MAX_MATRIX_ENTRIES: usize = 5_000_000;
/// Longest search a request may ask for.
pub const MAX_TIME_LIMIT: Duration = Duration::from_secs(300);
/// Search time of `auto` when the request gives none.
pub const DEFAULT_AUTO_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Search time of `exact` when the request gives none (a server never searches unbounded).
pub const DEFAULT_EXACT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Most variants in one comparison.
pub const MAX_VARIANTS: usize = 20;
/// Default weekly hours of one outreach team (a Danish full-time week).
pub const DEFAULT_TEAM_HOURS: f64 = 37.0;

/// Where the demand comes from.
#[derive(Debug, Clone)]
pub enum DemandSource {
    /// Explicit points.
    Points(Vec<DemandPoint>),
    /// The stored areas of a level, weighted by population × need under a model.
    Scored {
        /// Model name (`None` = the default model).
        model: Option<String>,
        /// Level (`None` = parish).
        level: Option<String>,
        /// Which areas to keep.
        scope: ScopeRequest,
    },
}

/// Where the candidate sites come from.
#[derive(Debug, Clone)]
pub enum SiteSource {
    /// Explicit candidates.
    Candidates(Vec<CandidateSite>),
    /// The stored areas of a level, at their centroids.
    Areas {
        /// Level (`None` = housing_area).
        level: Option<String>,
        /// Yearly cost of each site in kr.
        cost_kr: Option<f64>,
        /// Capacity of each site.
        capacity: Option<f64>,
        /// Codes of the areas that are existing sites.
        required: Vec<String>,
        /// Which areas to offer.
        scope: ScopeRequest,
    },
}

/// How coverage is decided.
#[derive(Debug, Clone)]
pub enum CoverageRequest {
    /// Great-circle distance, radius in km.
    RadiusKm(f64),
    /// A supplied sparse matrix and an optional radius in its units.
    Matrix {
        /// The listed pairs.
        entries: Vec<DistanceEntry>,
        /// Coverage radius.
        radius: Option<f64>,
    },
}

/// A deployment request as it arrives (unvalidated).
#[derive(Debug, Clone)]
pub struct DeploymentRequest {
    /// The demand.
    pub demand: DemandSource,
    /// The candidate sites.
    pub sites: SiteSource,
    /// Coverage rule (required).
    pub coverage: Option<CoverageRequest>,
    /// Site count or budget.
    pub limit: Option<Limit>,
    /// What to optimise.
    pub objective: Objective,
    /// Fairness rules (council names as given).
    pub fairness: Fairness,
    /// Teams.
    pub teams: Option<Teams>,
    /// Which solver.
    pub solver: SolverChoice,
    /// Time limit in seconds.
    pub time_limit_seconds: Option<f64>,
}

/// A solved (or evaluated) plan with its provenance.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The plan.
    pub plan: Plan,
    /// The data version the plan was computed from (`d-…` for stored data; `r-…`, a digest of
    /// the request, when the request carried every input itself).
    pub data_version: String,
    /// The model that weighted the demand, if any.
    pub model: Option<String>,
    /// Its version.
    pub model_version: Option<String>,
    /// The recorded run.
    pub run_id: i64,
    /// How the demand was weighted, what was left out.
    pub notes: Vec<String>,
}

/// A variant of a request in a comparison; set fields replace the baseline's.
#[derive(Debug, Clone, Default)]
pub struct Variant {
    /// Its name (unique within the comparison).
    pub name: String,
    /// Sites to open.
    pub open: Option<u32>,
    /// Total budget.
    pub budget_kr: Option<f64>,
    /// Great-circle radius in km (only where the baseline uses great-circle coverage).
    pub radius_km: Option<f64>,
    /// Objective.
    pub objective: Option<Objective>,
    /// Fairness rules.
    pub fairness: Option<Fairness>,
    /// Teams.
    pub teams: Option<Teams>,
    /// Evaluate exactly these sites instead of solving.
    pub given_sites: Vec<String>,
}

/// One council's change from the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct CouncilDelta {
    /// Council.
    pub council: String,
    /// Reached need, variant − baseline.
    pub reached_delta: f64,
    /// Share of own need reached, variant − baseline.
    pub share_delta: f64,
}

/// A variant's plan and its differences to the baseline.
#[derive(Debug, Clone)]
pub struct VariantResult {
    /// The variant's name.
    pub name: String,
    /// Its plan.
    pub deployment: Deployment,
    /// Objective value, variant − baseline.
    pub objective_delta: f64,
    /// Covered weight, variant − baseline.
    pub covered_weight_delta: f64,
    /// Sites open in the variant only.
    pub sites_added: Vec<String>,
    /// Sites open in the baseline only.
    pub sites_removed: Vec<String>,
    /// Per-council changes.
    pub councils: Vec<CouncilDelta>,
}

/// A comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The baseline plan.
    pub baseline: Deployment,
    /// The variants, in request order.
    pub variants: Vec<VariantResult>,
}

/// A request resolved against the stored data: the planner's request plus provenance.
#[derive(Clone)]
struct Resolved {
    request: PlanRequest,
    solve: SolveOptions,
    data_version: String,
    dataset_ids: String,
    model: Option<String>,
    model_version: Option<String>,
    level: String,
    scope: String,
    notes: Vec<String>,
}

/// Recommends one deployment.
pub async fn recommend(
    state: &AppState,
    req: &DeploymentRequest,
    caller: &Caller,
) -> Result<Deployment, AppError> {
    let resolved = resolve(state, req, caller).await?;
    run(state, resolved, None, caller).await
}

/// Solves the baseline and every variant on the same demand and sites.
pub async fn compare(
    state: &AppState,
    baseline: &DeploymentRequest,
    variants: &[Variant],
    caller: &Caller,
) -> Result<Comparison, AppError> {
    if variants.is_empty() || variants.len() > MAX_VARIANTS {
        return Err(AppError::invalid(
            "variants",
            format!(
                "give between 1 and {MAX_VARIANTS} variants, got {}",
                variants.len()
            ),
        ));
    }
    let mut names = BTreeSet::new();
    for (i, v) in variants.iter().enumerate() {
        if v.name.trim().is_empty() {
            return Err(AppError::invalid(
                &format!("variants[{i}].name"),
                "is required",
            ));
        }
        if !names.insert(v.name.as_str()) {
            return Err(AppError::invalid(
                &format!("variants[{i}].name"),
                format!("'{}' is used twice", v.name),
            ));
        }
    }
    // Resolve the stored data once, so that every variant sees the same demand and sites.
    let base = resolve(state, baseline, caller).await?;
    let councils = state.store.areas(Some(Level::Council)).await?;
    let prepared = variants
        .iter()
        .enumerate()
        .map(|(i, v)| apply_variant(&base, v, i, &councils))
        .collect::<Result<Vec<_>, AppError>>()?;
    let baseline_dep = run(state, base, None, caller).await?;
    let mut results = Vec::with_capacity(variants.len());
    for (i, (v, (resolved, given))) in variants.iter().zip(prepared).enumerate() {
        let dep = run(state, resolved, given, caller)
            .await
            .map_err(|e| prefix_field(e, &format!("variants[{i}].")))?;
        results.push(diff(&v.name, &baseline_dep, dep));
    }
    Ok(Comparison {
        baseline: baseline_dep,
        variants: results,
    })
}

/// The baseline with the variant's fields applied, and the sites to evaluate if it gives them.
fn apply_variant(
    base: &Resolved,
    v: &Variant,
    i: usize,
    councils: &[AreaRow],
) -> Result<(Resolved, Option<Vec<String>>), AppError> {
    let mut r = base.clone();
    let field = |f: &str| format!("variants[{i}].{f}");
    match (v.open, v.budget_kr) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                &field("open"),
                "give open or budget_kr, not both",
            ));
        }
        (Some(p), None) => r.request.limit = Some(Limit::Open(p as usize)),
        (None, Some(b)) => r.request.limit = Some(Limit::Budget(b)),
        (None, None) => {}
    }
    if let Some(km) = v.radius_km {
        match &mut r.request.coverage {
            Coverage::GreatCircle { radius_m } => {
                *radius_m = radius_from_km(km, &field("radius_km"))?
            }
            Coverage::Matrix { .. } => {
                return Err(AppError::invalid(
                    &field("radius_km"),
                    "the baseline uses a distance matrix; a great-circle radius does not apply",
                ));
            }
        }
    }
    if let Some(o) = v.objective {
        r.request.objective = o;
    }
    if let Some(f) = &v.fairness {
        r.request.fairness = normalise_fairness(f.clone(), councils);
    }
    if let Some(t) = &v.teams {
        r.request.teams = Some(t.clone());
    }
    let given = (!v.given_sites.is_empty()).then(|| v.given_sites.clone());
    Ok((r, given))
}

fn diff(name: &str, base: &Deployment, dep: Deployment) -> VariantResult {
    let open =
        |p: &Plan| -> BTreeSet<String> { p.open_sites.iter().map(|s| s.id.clone()).collect() };
    let (b, v) = (open(&base.plan), open(&dep.plan));
    let base_councils: BTreeMap<&str, (f64, f64)> = base
        .plan
        .councils
        .iter()
        .map(|c| (c.council.as_str(), (c.reached, c.share)))
        .collect();
    let councils = dep
        .plan
        .councils
        .iter()
        .map(|c| {
            let (r0, s0) = base_councils
                .get(c.council.as_str())
                .copied()
                .unwrap_or((0.0, 0.0));
            CouncilDelta {
                council: c.council.clone(),
                reached_delta: c.reached - r0,
                share_delta: c.share - s0,
            }
        })
        .collect();
    VariantResult {
        name: name.to_owned(),
        objective_delta: dep.plan.objective_value - base.plan.objective_value,
        covered_weight_delta: dep.plan.covered_weight - base.plan.covered_weight,
        sites_added: v.difference(&b).cloned().collect(),
        sites_removed: b.difference(&v).cloned().collect(),
        councils,
        deployment: dep,
    }
}

/// Validates, solves (or evaluates `given` sites) on a blocking thread, and records the run.
async fn run(
    state: &AppState,
    r: Resolved,
    given: Option<Vec<String>>,
    caller: &Caller,
) -> Result<Deployment, AppError> {
    let request = r.request;
    let options = r.solve;
    let plan = tokio::task::spawn_blocking(move || -> Result<Plan, PlanError> {
        let problem = request.validate()?;
        match given {
            Some(ids) => lighed_planner::evaluate_plan(&problem, &ids),
            None => lighed_planner::solve(&problem, &options),
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("planning thread: {e}")))??;
    let digest = hex::encode(Sha256::digest(
        serde_json::to_vec(&plan).map_err(|e| AppError::Internal(e.to_string()))?,
    ));
    let run_id = state
        .store
        .record_run(&NewRun {
            model_name: format!("plan:{}", plan.objective.as_str()),
            model_version: format!(
                "lighed-planner {}{}",
                env!("CARGO_PKG_VERSION"),
                r.model
                    .as_deref()
                    .map(|m| format!(
                        "; need from {m} {}",
                        r.model_version.as_deref().unwrap_or("")
                    ))
                    .unwrap_or_default()
            ),
            level: r.level.clone(),
            scope: r.scope.clone(),
            data_version: r.data_version.clone(),
            dataset_ids: r.dataset_ids.clone(),
            requested_by: caller.principal.clone(),
            channel: caller.channel.to_owned(),
            row_count: plan.open_sites.len() as i64,
            result_sha256: digest,
        })
        .await?;
    tracing::info!(
        objective = plan.objective.as_str(),
        solver = plan.solver.as_str(),
        open = plan.open_sites.len(),
        gap = plan.gap,
        run_id,
        "planned a deployment"
    );
    Ok(Deployment {
        plan,
        data_version: r.data_version,
        model: r.model,
        model_version: r.model_version,
        run_id,
        notes: r.notes,
    })
}

fn radius_from_km(km: f64, field: &str) -> Result<f64, AppError> {
    if !km.is_finite() || km < 0.0 {
        return Err(AppError::invalid(
            field,
            format!("must be a finite number of km >= 0, got {km}"),
        ));
    }
    Ok(km * 1000.0)
}

fn time_limit(req: &DeploymentRequest) -> Result<Duration, AppError> {
    match req.time_limit_seconds {
        None => Ok(match req.solver {
            SolverChoice::Exact => DEFAULT_EXACT_TIME_LIMIT,
            _ => DEFAULT_AUTO_TIME_LIMIT,
        }),
        Some(s) if s.is_finite() && s > 0.0 && s <= MAX_TIME_LIMIT.as_secs_f64() => {
            Ok(Duration::from_secs_f64(s))
        }
        Some(s) => Err(AppError::invalid(
            "time_limit_seconds",
            format!(
                "must be in (0, {}] seconds, got {s}",
                MAX_TIME_LIMIT.as_secs()
            ),
        )),
    }
}

/// The council code a name refers to (code, id or name, case-insensitive), or the name as given.
fn council_code(name: &str, councils: &[AreaRow]) -> String {
    let n = name.trim();
    councils
        .iter()
        .find(|c| {
            c.code.eq_ignore_ascii_case(n)
                || c.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(n))
                || c.name.eq_ignore_ascii_case(n)
        })
        .map(|c| c.code.clone())
        .unwrap_or_else(|| n.to_owned())
}

fn normalise_fairness(mut f: Fairness, councils: &[AreaRow]) -> Fairness {
    f.councils = std::mem::take(&mut f.councils)
        .into_iter()
        .map(|(k, v)| (council_code(&k, councils), v))
        .collect();
    f
}

fn level_of(name: Option<&str>, default: Level, field: &str) -> Result<Level, AppError> {
    match name.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|e: lighed_core::geo::UnknownLevel| AppError::invalid(field, e.to_string())),
    }
}

fn scope_label(s: &Scope) -> String {
    match s {
        Scope::Region => "region".to_owned(),
        Scope::Council(c) => format!("council:{c}"),
        Scope::Municipality(m) => format!("municipality:{m}"),
    }
}

fn location(a: &AreaRow) -> Option<LonLat> {
    match (a.lon, a.lat) {
        (Some(lon), Some(lat)) => Some(LonLat { lon, lat }),
        _ => None,
    }
}

async fn resolve(
    state: &AppState,
    req: &DeploymentRequest,
    caller: &Caller,
) -> Result<Resolved, AppError> {
    let councils = state.store.areas(Some(Level::Council)).await?;
    let mut notes = Vec::new();
    let mut uses_store = false;
    let (mut model, mut model_version) = (None, None);
    let mut level_label = "points".to_owned();
    let mut scope_text = "request".to_owned();

    let demand: Vec<DemandPoint> = match &req.demand {
        DemandSource::Points(points) => {
            if points.is_empty() || points.len() > MAX_POINTS {
                return Err(AppError::invalid(
                    "demand.points",
                    format!(
                        "give between 1 and {MAX_POINTS} points, got {}",
                        points.len()
                    ),
                ));
            }
            points
                .iter()
                .cloned()
                .map(|mut p| {
                    p.council = p.council.map(|c| council_code(&c, &councils));
                    p
                })
                .collect()
        }
        DemandSource::Scored {
            model: m,
            level,
            scope,
        } => {
            uses_store = true;
            let level = level_of(level.as_deref(), Level::Parish, "demand.scored.level")?;
            let scope = ranking::resolve_scope(state, scope)
                .await
                .map_err(|e| prefix_field(e, "demand.scored."))?;
            let ranking = ranking::rank(
                state,
                &RankRequest {
                    model: m.clone(),
                    level: level.as_str().to_owned(),
                    scope: ScopeRequest::Region,
                    top_n: None,
                    draws: None,
                    seed: None,
                },
                caller,
            )
            .await
            .map_err(|e| prefix_field(e, "demand.scored."))?;
            let areas = state.store.areas(Some(level)).await?;
            let by_code: BTreeMap<&str, &AreaRow> =
                areas.iter().map(|a| (a.code.as_str(), a)).collect();
            let n = ranking
                .rows
                .iter()
                .filter(|r| r.region_rank.is_some())
                .count();
            let (mut unscored, mut no_population) = (0usize, 0usize);
            let mut points = Vec::new();
            for row in &ranking.rows {
                let Some(a) = by_code.get(row.area_code.as_str()) else {
                    continue;
                };
                if !scope.contains(a) {
                    continue;
                }
                let need = row
                    .region_rank
                    .map(|r| (n as f64 - f64::from(r) + 1.0) / n as f64);
                let weight = match (need, row.population) {
                    (Some(need), Some(pop)) if pop > 0 => need * pop as f64,
                    (None, _) => {
                        unscored += 1;
                        0.0
                    }
                    _ => {
                        no_population += 1;
                        0.0
                    }
                };
                points.push(DemandPoint {
                    id: a.code.clone(),
                    weight,
                    population: row.population.map(|p| p as f64),
                    council: a.council_code.clone(),
                    location: location(a),
                });
            }
            if points.is_empty() {
                return Err(AppError::invalid(
                    "demand.scored",
                    format!("no {level} areas in scope {}", scope_label(&scope)),
                ));
            }
            notes.push(format!(
                "demand: {} {level} areas in {} weighted by population × need, need = (N − regional rank + 1) / N under model {} {} (N = {n})",
                points.len(),
                scope_label(&scope),
                ranking.model,
                ranking.model_version
            ));
            if unscored > 0 {
                notes.push(format!(
                    "{unscored} areas could not be scored by the model and have weight 0"
                ));
            }
            if no_population > 0 {
                notes.push(format!(
                    "{no_population} areas have no population and have weight 0"
                ));
            }
            level_label = level.as_str().to_owned();
            scope_text = scope_label(&scope);
            model = Some(ranking.model.clone());
            model_version = Some(ranking.model_version.clone());
            points
        }
    };

    let sites: Vec<CandidateSite> = match &req.sites {
        SiteSource::Candidates(sites) => {
            if sites.is_empty() || sites.len() > MAX_POINTS {
                return Err(AppError::invalid(
                    "sites.candidates",
                    format!("give between 1 and {MAX_POINTS} sites, got {}", sites.len()),
                ));
            }
            sites
                .iter()
                .cloned()
                .map(|mut s| {
                    s.council = s.council.map(|c| council_code(&c, &councils));
                    s
                })
                .collect()
        }
        SiteSource::Areas {
            level,
            cost_kr,
            capacity,
            required,
            scope,
        } => {
            uses_store = true;
            let level = level_of(
                level.as_deref(),
                Level::HousingArea,
                "sites.area_sites.level",
            )?;
            let scope = ranking::resolve_scope(state, scope)
                .await
                .map_err(|e| prefix_field(e, "sites.area_sites."))?;
            let areas = state.store.areas(Some(level)).await?;
            let known: BTreeSet<&str> = areas.iter().map(|a| a.code.as_str()).collect();
            for code in required {
                if !known.contains(code.as_str()) {
                    return Err(AppError::invalid(
                        "sites.area_sites.required",
                        format!("no {level} area with code '{code}'"),
                    ));
                }
            }
            let sites: Vec<CandidateSite> = areas
                .iter()
                .filter(|a| scope.contains(a) || required.contains(&a.code))
                .map(|a| CandidateSite {
                    id: a.code.clone(),
                    capacity: *capacity,
                    cost: *cost_kr,
                    required: required.contains(&a.code),
                    council: a.council_code.clone(),
                    location: location(a),
                })
                .collect();
            if sites.is_empty() {
                return Err(AppError::invalid(
                    "sites.area_sites",
                    format!("no {level} areas in scope {}", scope_label(&scope)),
                ));
            }
            notes.push(format!(
                "sites: {} {level} areas in {} at their centroids",
                sites.len(),
                scope_label(&scope)
            ));
            sites
        }
    };

    let coverage = match &req.coverage {
        None => {
            return Err(AppError::invalid(
                "coverage",
                "give radius_km (great-circle) or a distance matrix",
            ));
        }
        Some(CoverageRequest::RadiusKm(km)) => Coverage::GreatCircle {
            radius_m: radius_from_km(*km, "radius_km")?,
        },
        Some(CoverageRequest::Matrix { entries, radius }) => {
            if entries.len() > MAX_MATRIX_ENTRIES {
                return Err(AppError::invalid(
                    "matrix.entries",
                    format!(
                        "at most {MAX_MATRIX_ENTRIES} entries, got {}",
                        entries.len()
                    ),
                ));
            }
            Coverage::Matrix {
                distances: DistanceMatrix::Sparse(entries.clone()),
                radius: *radius,
            }
        }
    };

    let (data_version, dataset_ids) = if uses_store {
        let dv = state.store.data_version().await?;
        let ids = dv.ids_csv();
        (dv.version, ids)
    } else {
        (String::new(), String::new())
    };
    let solve = SolveOptions {
        solver: req.solver,
        time_limit: Some(time_limit(req)?),
        ..SolveOptions::default()
    };
    let request = PlanRequest {
        demand,
        sites,
        coverage,
        limit: req.limit,
        objective: req.objective,
        fairness: normalise_fairness(req.fairness.clone(), &councils),
        teams: req.teams.clone(),
    };
    let data_version = if uses_store {
        data_version
    } else {
        // Every input came with the request: its digest is the data version.
        let bytes = serde_json::to_vec(&request).map_err(|e| AppError::Internal(e.to_string()))?;
        format!("r-{}", &hex::encode(Sha256::digest(bytes))[..12])
    };
    Ok(Resolved {
        request,
        solve,
        data_version,
        dataset_ids,
        model,
        model_version,
        level: level_label,
        scope: scope_text,
        notes,
    })
}

/// Prefixes the field of an invalid-argument or not-found error (`council` →
/// `demand.scored.council`), so the caller sees which part of the request it was.
fn prefix_field(e: AppError, prefix: &str) -> AppError {
    match e {
        AppError::InvalidArgument {
            message,
            violations,
        } => AppError::InvalidArgument {
            message: format!("{prefix}{message}"),
            violations: violations
                .into_iter()
                .map(|mut v| {
                    v.field = format!("{prefix}{}", v.field);
                    v
                })
                .collect(),
        },
        AppError::NotFound { field, message } => AppError::NotFound {
            field: format!("{prefix}{field}"),
            message: format!("{prefix}{message}"),
        },
        other => other,
    }
}
