//! The planning request as a caller writes it ([`PlanRequest`] and its parts), and the validated
//! form the solvers take ([`ValidProblem`]).
//!
//! Validation checks every number (finite, in range), every id (non-empty, unique, known), resolves
//! the distances into per-demand sorted lists and the coverage sets, and rejects requests that are
//! infeasible on their face (more sites than candidates, a budget below the required sites, a
//! council floor no plan can reach, …) with a [`PlanError::Infeasible`] naming the constraint.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Constraint, PlanError};
use crate::flow::FlowNetwork;

/// The yearly budget per health council used unless a request says otherwise: 1,600,000 kr.
///
/// From the 2026 split of Region Midtjylland's 8 mio. kr. pool for health efforts in
/// housing areas into five equal parts, one per health council (8,000,000 / 5).
pub const DEFAULT_COUNCIL_BUDGET_KR: f64 = 1_600_000.0;

/// The largest number of demand × site distances computed from coordinates: 20 million pairs
/// (16 bytes each in the sorted per-demand lists, about 320 MB); above this, supply a sparse
/// distance matrix with only the pairs that matter.
pub const MAX_DENSE_PAIRS: usize = 20_000_000;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    /// Longitude in degrees, −180…180.
    pub lon: f64,
    /// Latitude in degrees, −90…90.
    pub lat: f64,
}

/// A demand point: an area (or any point) whose need the plan tries to reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandPoint {
    /// Unique id (e.g. an area code).
    pub id: String,
    /// Need weight, e.g. population × need score, or any supplied weight; finite and ≥ 0.
    pub weight: f64,
    /// Head count, when known; reported as the unweighted population reached.
    pub population: Option<f64>,
    /// Health council (sundhedsråd) the point belongs to; needed for fairness rules.
    pub council: Option<String>,
    /// Position; needed for great-circle coverage.
    pub location: Option<LonLat>,
}

/// A candidate site: a place from which outreach can work (housing-area office, GP clinic,
/// varmestue, civil-society partner, or an area centroid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateSite {
    /// Unique id.
    pub id: String,
    /// Most need the site can serve, in the units of the demand weight (persons when the weight
    /// is a head count); `None` = unlimited. Only the coverage objective uses capacities.
    pub capacity: Option<f64>,
    /// Cost per year in kr; `None` = 0.
    pub cost: Option<f64>,
    /// An existing site that every plan keeps open.
    pub required: bool,
    /// Health council the site belongs to (its cost counts against that council's budget).
    pub council: Option<String>,
    /// Position; needed for great-circle coverage.
    pub location: Option<LonLat>,
}

/// The outreach teams whose hours the plan distributes over the open sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Teams {
    /// Number of teams; also the number of sites to open when no limit is given.
    pub count: u32,
    /// Working hours per team per week.
    pub hours_per_week: f64,
    /// Id of the candidate site the teams are based at; that site is kept open.
    pub base: Option<String>,
}

/// A supplied distance (or travel-time) matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DistanceMatrix {
    /// One row per demand point (request order), one column per site (request order).
    /// `f64::INFINITY` means "no route".
    Dense(Vec<Vec<f64>>),
    /// Listed pairs only; a missing pair means "no route".
    Sparse(Vec<DistanceEntry>),
}

/// One entry of a sparse distance matrix (a row of `M.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistanceEntry {
    /// A site id.
    pub site_id: String,
    /// A demand id.
    pub demand_id: String,
    /// Distance or travel time, finite and ≥ 0, in the units of the radius.
    pub distance: f64,
}

/// How distances are known and what counts as covered. Coverage is **inclusive**:
/// a site covers a demand point when `distance <= radius` (as spopt builds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Coverage {
    /// Great-circle distance in metres ([`lighed_core::geo::haversine_m`]) between the locations;
    /// every demand point and site needs one.
    GreatCircle {
        /// Coverage radius in metres.
        radius_m: f64,
    },
    /// A supplied matrix; `radius` (same units) is needed by the coverage and set-cover
    /// objectives, not by the median.
    Matrix {
        /// The distances.
        distances: DistanceMatrix,
        /// Coverage radius in the matrix's units.
        radius: Option<f64>,
    },
}

/// How many sites a plan may open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Limit {
    /// Open exactly this many sites (required sites included), as spopt's `p_facilities`.
    Open(usize),
    /// Total yearly cost of the open sites at most this many kr.
    Budget(f64),
}

/// What the plan optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Maximal covering (MCLP, Church & ReVelle 1974): maximise the demand weight within the
    /// radius of an open site; with capacities, the weight the open sites can serve.
    Coverage,
    /// p-median (Hakimi 1964): minimise the weighted total distance from each demand point to its
    /// nearest open site; reported as the weighted mean distance.
    Median,
    /// Location set covering (Toregas et al. 1971): the fewest sites that cover every demand point.
    SetCover,
}

impl Objective {
    /// The stable name used in the CLI and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Coverage => "coverage",
            Objective::Median => "median",
            Objective::SetCover => "set-cover",
        }
    }

    /// Whether larger values are better.
    pub fn maximises(self) -> bool {
        matches!(self, Objective::Coverage)
    }
}

/// Per-council overrides of the [`Fairness`] defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CouncilRule {
    /// Minimum share (0–1) of the council's own need that must be reached.
    pub min_share: Option<f64>,
    /// Maximum share (0–1) of the council's own need that may be reached.
    pub max_share: Option<f64>,
    /// Yearly budget in kr for the sites in this council.
    pub budget_kr: Option<f64>,
}

/// Fairness rules across health councils. Reach is attributed to the council of the demand point,
/// spend to the council of the site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    /// Minimum share (0–1) of its own need every council must reach (coverage objective only).
    pub min_share: Option<f64>,
    /// Maximum share (0–1) of its own need any council may reach (coverage objective only); keeps
    /// one council from being served far better than the others.
    pub max_share: Option<f64>,
    /// Yearly budget per council in kr for the sites in it; default
    /// [`DEFAULT_COUNCIL_BUDGET_KR`]. Binds only on sites with a cost and a council.
    pub council_budget_kr: Option<f64>,
    /// Overrides per council name.
    pub councils: BTreeMap<String, CouncilRule>,
}

impl Default for Fairness {
    fn default() -> Self {
        Fairness {
            min_share: None,
            max_share: None,
            council_budget_kr: Some(DEFAULT_COUNCIL_BUDGET_KR),
            councils: BTreeMap::new(),
        }
    }
}

/// A planning request as supplied (unchecked). Turn it into a [`ValidProblem`] with
/// [`PlanRequest::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// Demand points.
    pub demand: Vec<DemandPoint>,
    /// Candidate sites.
    pub sites: Vec<CandidateSite>,
    /// Distances and the coverage radius.
    pub coverage: Coverage,
    /// Number of sites or budget; `None` = the number of teams (coverage, median) or no limit
    /// (set cover).
    pub limit: Option<Limit>,
    /// What to optimise.
    pub objective: Objective,
    /// Council floors, caps and budgets.
    pub fairness: Fairness,
    /// Teams whose hours are distributed over the open sites.
    pub teams: Option<Teams>,
}

/// A checked planning problem: indices instead of ids, distances resolved, coverage sets built.
/// Only [`PlanRequest::validate`] makes one, so the solvers never see unchecked input.
#[derive(Debug, Clone)]
pub struct ValidProblem {
    pub(crate) objective: Objective,
    pub(crate) demand_ids: Vec<String>,
    pub(crate) weight: Vec<f64>,
    pub(crate) population: Option<Vec<f64>>,
    pub(crate) demand_council: Vec<Option<usize>>,
    pub(crate) site_ids: Vec<String>,
    pub(crate) cost: Vec<f64>,
    /// Per-site capacity (`f64::INFINITY` = unlimited); `None` when no site has one or the
    /// objective ignores capacities.
    pub(crate) capacity: Option<Vec<f64>>,
    pub(crate) required: Vec<bool>,
    pub(crate) site_council: Vec<Option<usize>>,
    pub(crate) councils: Vec<String>,
    pub(crate) council_need: Vec<f64>,
    pub(crate) floor: Vec<Option<f64>>,
    pub(crate) cap: Vec<Option<f64>>,
    pub(crate) council_budget: Vec<Option<f64>>,
    pub(crate) limit: Option<Limit>,
    pub(crate) radius: Option<f64>,
    /// Per site: demand indices within the radius, ascending.
    pub(crate) covers: Vec<Vec<u32>>,
    /// Per demand: site indices within the radius, ascending.
    pub(crate) covered_by: Vec<Vec<u32>>,
    /// Per demand: every site with a known distance, sorted by (distance, site index).
    pub(crate) near: Vec<Vec<(u32, f64)>>,
    pub(crate) teams: Option<Teams>,
    pub(crate) distance_unit: &'static str,
}

fn check_finite_nonneg(field: impl FnOnce() -> String, v: f64) -> Result<(), PlanError> {
    if !v.is_finite() || v < 0.0 {
        return Err(PlanError::invalid(
            field(),
            format!("must be a finite number ≥ 0, got {v}"),
        ));
    }
    Ok(())
}

fn check_share(field: impl FnOnce() -> String, v: f64) -> Result<(), PlanError> {
    if !v.is_finite() || !(0.0..=1.0).contains(&v) {
        return Err(PlanError::invalid(
            field(),
            format!("must be a share between 0 and 1, got {v}"),
        ));
    }
    Ok(())
}

fn check_location(field: impl FnOnce() -> String, l: &LonLat) -> Result<(), PlanError> {
    if !l.lon.is_finite() || !(-180.0..=180.0).contains(&l.lon) {
        return Err(PlanError::invalid(
            field(),
            format!("longitude must be in −180…180, got {}", l.lon),
        ));
    }
    if !l.lat.is_finite() || !(-90.0..=90.0).contains(&l.lat) {
        return Err(PlanError::invalid(
            field(),
            format!("latitude must be in −90…90, got {}", l.lat),
        ));
    }
    Ok(())
}

fn first_ids(ids: &[String], idx: &[usize]) -> Vec<String> {
    idx.iter().take(20).map(|&i| ids[i].clone()).collect()
}

impl PlanRequest {
    /// Checks the request and builds the [`ValidProblem`] the solvers take.
    ///
    /// # Errors
    /// [`PlanError::Invalid`] for a bad value or id (naming the field), [`PlanError::TooLarge`]
    /// when coordinates would need more than [`MAX_DENSE_PAIRS`] distances, and
    /// [`PlanError::Infeasible`] when a constraint cannot be met by any plan (p > candidates,
    /// budget below the required sites, a council floor above what all sites reach, …).
    pub fn validate(self) -> Result<ValidProblem, PlanError> {
        let PlanRequest {
            demand,
            sites,
            coverage,
            limit,
            objective,
            fairness,
            teams,
        } = self;
        let n = demand.len();
        let m = sites.len();
        if n == 0 {
            return Err(PlanError::invalid("demand", "no demand points"));
        }
        if m == 0 {
            return Err(PlanError::invalid("sites", "no candidate sites"));
        }
        if n > u32::MAX as usize || m > u32::MAX as usize {
            return Err(PlanError::TooLarge("more than 2^32 points".into()));
        }

        // --- demand ---------------------------------------------------------------------------
        let mut demand_index: HashMap<&str, usize> = HashMap::with_capacity(n);
        let mut council_names: BTreeSet<String> = BTreeSet::new();
        let with_population = demand.iter().filter(|d| d.population.is_some()).count();
        if with_population != 0 && with_population != n {
            return Err(PlanError::invalid(
                "demand.population",
                format!(
                    "given for {with_population} of {n} demand points; give it for all or none"
                ),
            ));
        }
        for (i, d) in demand.iter().enumerate() {
            if d.id.trim().is_empty() {
                return Err(PlanError::invalid(format!("demand[{i}].id"), "empty id"));
            }
            if demand_index.insert(d.id.as_str(), i).is_some() {
                return Err(PlanError::invalid(
                    format!("demand[{i}].id"),
                    format!("duplicate demand id '{}'", d.id),
                ));
            }
            check_finite_nonneg(|| format!("demand '{}' weight", d.id), d.weight)?;
            if let Some(p) = d.population {
                check_finite_nonneg(|| format!("demand '{}' population", d.id), p)?;
            }
            if let Some(l) = &d.location {
                check_location(|| format!("demand '{}' location", d.id), l)?;
            }
            if let Some(c) = &d.council {
                if c.trim().is_empty() {
                    return Err(PlanError::invalid(
                        format!("demand '{}' council", d.id),
                        "empty council name",
                    ));
                }
                council_names.insert(c.clone());
            }
        }

        // --- sites ----------------------------------------------------------------------------
        let mut site_index: HashMap<&str, usize> = HashMap::with_capacity(m);
        for (j, s) in sites.iter().enumerate() {
            if s.id.trim().is_empty() {
                return Err(PlanError::invalid(format!("sites[{j}].id"), "empty id"));
            }
            if site_index.insert(s.id.as_str(), j).is_some() {
                return Err(PlanError::invalid(
                    format!("sites[{j}].id"),
                    format!("duplicate site id '{}'", s.id),
                ));
            }
            if let Some(c) = s.capacity {
                check_finite_nonneg(|| format!("site '{}' capacity", s.id), c)?;
            }
            if let Some(c) = s.cost {
                check_finite_nonneg(|| format!("site '{}' cost", s.id), c)?;
            }
            if let Some(l) = &s.location {
                check_location(|| format!("site '{}' location", s.id), l)?;
            }
            if let Some(c) = &s.council {
                if c.trim().is_empty() {
                    return Err(PlanError::invalid(
                        format!("site '{}' council", s.id),
                        "empty council name",
                    ));
                }
                council_names.insert(c.clone());
            }
        }
        for name in fairness.councils.keys() {
            if !council_names.contains(name) {
                return Err(PlanError::invalid(
                    format!("fairness.councils '{name}'"),
                    "no demand point or site belongs to this council",
                ));
            }
        }
        let councils: Vec<String> = council_names.into_iter().collect();
        let council_of = |name: &Option<String>| -> Option<usize> {
            name.as_ref()
                .map(|c| councils.binary_search(c).expect("council collected above"))
        };
        let demand_council: Vec<Option<usize>> =
            demand.iter().map(|d| council_of(&d.council)).collect();
        let site_council: Vec<Option<usize>> =
            sites.iter().map(|s| council_of(&s.council)).collect();
        let mut required: Vec<bool> = sites.iter().map(|s| s.required).collect();
        let cost: Vec<f64> = sites.iter().map(|s| s.cost.unwrap_or(0.0)).collect();

        // --- teams ----------------------------------------------------------------------------
        if let Some(t) = &teams {
            if t.count == 0 {
                return Err(PlanError::invalid("teams.count", "must be at least 1"));
            }
            check_finite_nonneg(|| "teams.hours_per_week".into(), t.hours_per_week)?;
            if let Some(b) = &t.base {
                match site_index.get(b.as_str()) {
                    Some(&j) => required[j] = true,
                    None => {
                        return Err(PlanError::invalid(
                            "teams.base",
                            format!("'{b}' is not a candidate site id"),
                        ));
                    }
                }
            }
        }

        // --- fairness -------------------------------------------------------------------------
        if let Some(s) = fairness.min_share {
            check_share(|| "fairness.min_share".into(), s)?;
        }
        if let Some(s) = fairness.max_share {
            check_share(|| "fairness.max_share".into(), s)?;
        }
        if let Some(b) = fairness.council_budget_kr {
            check_finite_nonneg(|| "fairness.council_budget_kr".into(), b)?;
        }
        let k = councils.len();
        let mut floor = vec![fairness.min_share; k];
        let mut cap = vec![fairness.max_share; k];
        let mut council_budget = vec![fairness.council_budget_kr; k];
        for (name, rule) in &fairness.councils {
            let c = councils.binary_search(name).expect("checked above");
            if let Some(s) = rule.min_share {
                check_share(|| format!("fairness.councils '{name}'.min_share"), s)?;
                floor[c] = Some(s);
            }
            if let Some(s) = rule.max_share {
                check_share(|| format!("fairness.councils '{name}'.max_share"), s)?;
                cap[c] = Some(s);
            }
            if let Some(b) = rule.budget_kr {
                check_finite_nonneg(|| format!("fairness.councils '{name}'.budget_kr"), b)?;
                council_budget[c] = Some(b);
            }
        }
        for c in 0..k {
            if let (Some(f), Some(x)) = (floor[c], cap[c])
                && f > x
            {
                return Err(PlanError::invalid(
                    format!("fairness for council '{}'", councils[c]),
                    format!("min_share {f} is above max_share {x}"),
                ));
            }
        }
        // A floor of 0 and a cap of 1 constrain nothing; drop them so solvers need not care.
        for f in floor.iter_mut() {
            if *f == Some(0.0) {
                *f = None;
            }
        }
        for x in cap.iter_mut() {
            if *x == Some(1.0) {
                *x = None;
            }
        }
        let has_floor_or_cap = floor.iter().chain(cap.iter()).any(Option::is_some);
        if has_floor_or_cap && objective != Objective::Coverage {
            return Err(PlanError::invalid(
                "fairness.min_share/max_share",
                format!(
                    "council floors and caps are shares of reached need and apply to the coverage objective, not to {}",
                    objective.as_str()
                ),
            ));
        }
        if has_floor_or_cap && demand_council.iter().all(Option::is_none) {
            return Err(PlanError::invalid(
                "fairness",
                "council floors or caps given but no demand point has a council",
            ));
        }

        // --- capacities -----------------------------------------------------------------------
        let any_capacity = sites.iter().any(|s| s.capacity.is_some());
        if any_capacity && objective != Objective::Coverage {
            return Err(PlanError::invalid(
                "sites.capacity",
                format!(
                    "capacities apply to the coverage objective, not to {}; drop the capacity column",
                    objective.as_str()
                ),
            ));
        }
        let capacity = any_capacity.then(|| {
            sites
                .iter()
                .map(|s| s.capacity.unwrap_or(f64::INFINITY))
                .collect::<Vec<f64>>()
        });

        // --- distances ------------------------------------------------------------------------
        let (radius, near, distance_unit) = match coverage {
            Coverage::GreatCircle { radius_m } => {
                check_finite_nonneg(|| "radius".into(), radius_m)?;
                if n.saturating_mul(m) > MAX_DENSE_PAIRS {
                    return Err(PlanError::TooLarge(format!(
                        "{n} demand points × {m} sites = {} distances exceeds {MAX_DENSE_PAIRS}; supply a sparse distance matrix",
                        n.saturating_mul(m)
                    )));
                }
                let dl: Vec<LonLat> = demand
                    .iter()
                    .map(|d| {
                        d.location.ok_or_else(|| {
                            PlanError::invalid(
                                format!("demand '{}' location", d.id),
                                "great-circle coverage needs lon,lat for every demand point",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let sl: Vec<LonLat> = sites
                    .iter()
                    .map(|s| {
                        s.location.ok_or_else(|| {
                            PlanError::invalid(
                                format!("site '{}' location", s.id),
                                "great-circle coverage needs lon,lat for every site",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let near = dl
                    .iter()
                    .map(|a| {
                        let mut row: Vec<(u32, f64)> = sl
                            .iter()
                            .enumerate()
                            .map(|(j, b)| {
                                (
                                    j as u32,
                                    lighed_core::geo::haversine_m((a.lon, a.lat), (b.lon, b.lat)),
                                )
                            })
                            .collect();
                        sort_row(&mut row);
                        row
                    })
                    .collect();
                (Some(radius_m), near, "m")
            }
            Coverage::Matrix { distances, radius } => {
                if let Some(r) = radius {
                    check_finite_nonneg(|| "radius".into(), r)?;
                }
                let near = match distances {
                    DistanceMatrix::Dense(rows) => {
                        if rows.len() != n {
                            return Err(PlanError::invalid(
                                "distances",
                                format!("{} rows for {n} demand points", rows.len()),
                            ));
                        }
                        rows.into_iter()
                            .enumerate()
                            .map(|(i, row)| {
                                if row.len() != m {
                                    return Err(PlanError::invalid(
                                        format!("distances row {i} ('{}')", demand[i].id),
                                        format!("{} columns for {m} sites", row.len()),
                                    ));
                                }
                                let mut out = Vec::with_capacity(m);
                                for (j, d) in row.into_iter().enumerate() {
                                    if d == f64::INFINITY {
                                        continue;
                                    }
                                    check_finite_nonneg(
                                        || {
                                            format!(
                                                "distance from site '{}' to demand '{}'",
                                                sites[j].id, demand[i].id
                                            )
                                        },
                                        d,
                                    )?;
                                    out.push((j as u32, d));
                                }
                                sort_row(&mut out);
                                Ok(out)
                            })
                            .collect::<Result<Vec<_>, _>>()?
                    }
                    DistanceMatrix::Sparse(entries) => {
                        let mut near: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
                        // Matrix files usually list the pairs grouped by site or by demand point:
                        // an id equal to the previous row's needs no hash lookup.
                        let mut last_site: (&str, usize) = ("", usize::MAX);
                        let mut last_demand: (&str, usize) = ("", usize::MAX);
                        for (e_idx, e) in entries.iter().enumerate() {
                            let field = || format!("distances entry {e_idx}");
                            let j = if last_site.1 != usize::MAX && last_site.0 == e.site_id {
                                last_site.1
                            } else {
                                let &j = site_index.get(e.site_id.as_str()).ok_or_else(|| {
                                    PlanError::invalid(
                                        field(),
                                        format!("unknown site id '{}'", e.site_id),
                                    )
                                })?;
                                last_site = (e.site_id.as_str(), j);
                                j
                            };
                            let i = if last_demand.1 != usize::MAX && last_demand.0 == e.demand_id {
                                last_demand.1
                            } else {
                                let &i =
                                    demand_index.get(e.demand_id.as_str()).ok_or_else(|| {
                                        PlanError::invalid(
                                            field(),
                                            format!("unknown demand id '{}'", e.demand_id),
                                        )
                                    })?;
                                last_demand = (e.demand_id.as_str(), i);
                                i
                            };
                            check_finite_nonneg(
                                || {
                                    format!(
                                        "distances entry {e_idx} ('{}' → '{}')",
                                        e.site_id, e.demand_id
                                    )
                                },
                                e.distance,
                            )?;
                            near[i].push((j as u32, e.distance));
                        }
                        for (i, row) in near.iter_mut().enumerate() {
                            row.sort_unstable_by_key(|&(j, _)| j);
                            if let Some(w) = row.windows(2).find(|w| w[0].0 == w[1].0) {
                                return Err(PlanError::invalid(
                                    "distances",
                                    format!(
                                        "pair site '{}' / demand '{}' given twice",
                                        sites[w[0].0 as usize].id, demand[i].id
                                    ),
                                ));
                            }
                            sort_row(row);
                        }
                        near
                    }
                };
                (radius, near, "")
            }
        };
        if radius.is_none() && objective != Objective::Median {
            return Err(PlanError::invalid(
                "radius",
                format!(
                    "the {} objective needs a coverage radius",
                    objective.as_str()
                ),
            ));
        }

        // --- coverage sets --------------------------------------------------------------------
        let mut covers: Vec<Vec<u32>> = vec![Vec::new(); m];
        let mut covered_by: Vec<Vec<u32>> = vec![Vec::new(); n];
        if let Some(r) = radius {
            for (i, row) in near.iter().enumerate() {
                for &(j, d) in row {
                    if d > r {
                        break;
                    }
                    covered_by[i].push(j);
                    covers[j as usize].push(i as u32);
                }
                covered_by[i].sort_unstable();
            }
        }

        let weight: Vec<f64> = demand.iter().map(|d| d.weight).collect();
        let population = (with_population == n).then(|| {
            demand
                .iter()
                .map(|d| d.population.unwrap_or(0.0))
                .collect::<Vec<f64>>()
        });
        let mut council_need = vec![0.0; k];
        for (i, c) in demand_council.iter().enumerate() {
            if let Some(c) = c {
                council_need[*c] += weight[i];
            }
        }

        // --- limit ----------------------------------------------------------------------------
        let limit = match (objective, limit) {
            (Objective::SetCover, Some(Limit::Open(_))) => {
                return Err(PlanError::invalid(
                    "open",
                    "set cover chooses the number of sites itself; use --budget to bound the cost",
                ));
            }
            (Objective::SetCover, l) => l,
            (_, Some(l)) => Some(l),
            (_, None) => match &teams {
                Some(t) => Some(Limit::Open(t.count as usize)),
                None => {
                    return Err(PlanError::invalid(
                        "limit",
                        "give the number of sites to open or a budget (or teams)",
                    ));
                }
            },
        };
        let n_required = required.iter().filter(|&&r| r).count();
        let required_cost: f64 = (0..m).filter(|&j| required[j]).map(|j| cost[j]).sum();
        match limit {
            Some(Limit::Open(p)) => {
                if p == 0 {
                    return Err(PlanError::invalid("open", "must be at least 1"));
                }
                if p > m {
                    return Err(PlanError::Infeasible(Constraint::OpenCount {
                        p,
                        candidates: m,
                    }));
                }
                if n_required > p {
                    return Err(PlanError::Infeasible(Constraint::RequiredExceedOpen {
                        p,
                        required: n_required,
                    }));
                }
            }
            Some(Limit::Budget(b)) => {
                check_finite_nonneg(|| "budget".into(), b)?;
                if cost.iter().all(|&c| c == 0.0) {
                    return Err(PlanError::invalid(
                        "budget",
                        "a budget was given but no site has a cost",
                    ));
                }
                if required_cost > b {
                    return Err(PlanError::Infeasible(Constraint::Budget {
                        budget: b,
                        required_cost,
                    }));
                }
            }
            None => {}
        }
        for c in 0..k {
            if let Some(b) = council_budget[c] {
                let rc: f64 = (0..m)
                    .filter(|&j| required[j] && site_council[j] == Some(c))
                    .map(|j| cost[j])
                    .sum();
                if rc > b {
                    return Err(PlanError::Infeasible(Constraint::CouncilBudget {
                        council: councils[c].clone(),
                        budget: b,
                        required_cost: rc,
                    }));
                }
            }
        }

        // --- objective-specific reachability ---------------------------------------------------
        match objective {
            Objective::SetCover => {
                let bad: Vec<usize> = (0..n).filter(|&i| covered_by[i].is_empty()).collect();
                if !bad.is_empty() {
                    return Err(PlanError::Infeasible(Constraint::Uncoverable {
                        demand_ids: first_ids(
                            &demand.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
                            &bad,
                        ),
                        count: bad.len(),
                    }));
                }
            }
            Objective::Median => {
                let bad: Vec<usize> = (0..n).filter(|&i| near[i].is_empty()).collect();
                if !bad.is_empty() {
                    return Err(PlanError::Infeasible(Constraint::Unreachable {
                        demand_ids: first_ids(
                            &demand.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
                            &bad,
                        ),
                        count: bad.len(),
                    }));
                }
            }
            Objective::Coverage => {}
        }

        let problem = ValidProblem {
            objective,
            demand_ids: demand.into_iter().map(|d| d.id).collect(),
            weight,
            population,
            demand_council,
            site_ids: sites.into_iter().map(|s| s.id).collect(),
            cost,
            capacity,
            required,
            site_council,
            councils,
            council_need,
            floor,
            cap,
            council_budget,
            limit,
            radius,
            covers,
            covered_by,
            near,
            teams,
            distance_unit,
        };
        problem.check_council_reach()?;
        Ok(problem)
    }
}

/// Sorts a row of (site, distance) by distance, then site index (deterministic ties).
fn sort_row(row: &mut [(u32, f64)]) {
    row.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
}

impl ValidProblem {
    /// Number of demand points.
    pub fn n_demand(&self) -> usize {
        self.weight.len()
    }

    /// Number of candidate sites.
    pub fn n_sites(&self) -> usize {
        self.cost.len()
    }

    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// The resolved limit (`None` only for set cover without a budget).
    pub fn limit(&self) -> Option<Limit> {
        self.limit
    }

    /// Demand ids in request order.
    pub fn demand_ids(&self) -> &[String] {
        &self.demand_ids
    }

    /// Site ids in request order.
    pub fn site_ids(&self) -> &[String] {
        &self.site_ids
    }

    /// Demand weights in request order.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Council names (sorted); council indices elsewhere refer to this list.
    pub fn councils(&self) -> &[String] {
        &self.councils
    }

    /// Whether a site is kept open in every plan.
    pub fn is_required(&self, site: usize) -> bool {
        self.required[site]
    }

    /// The demand points within the radius of a site (indices, ascending).
    pub fn covers(&self, site: usize) -> &[u32] {
        &self.covers[site]
    }

    /// Distance from demand point `i` to site `j`, if known.
    pub fn distance(&self, i: usize, j: usize) -> Option<f64> {
        self.near[i]
            .iter()
            .find(|&&(s, _)| s as usize == j)
            .map(|&(_, d)| d)
    }

    pub(crate) fn has_capacity(&self) -> bool {
        self.capacity.is_some()
    }

    pub(crate) fn has_floor_or_cap(&self) -> bool {
        self.floor
            .iter()
            .chain(self.cap.iter())
            .any(Option::is_some)
    }

    /// Whether any council budget can bind (a council with a budget holds a site with a cost).
    pub(crate) fn has_council_budget(&self) -> bool {
        (0..self.n_sites()).any(|j| {
            self.cost[j] > 0.0
                && self.site_council[j].is_some_and(|c| self.council_budget[c].is_some())
        })
    }

    /// Whether constraints beyond the limit and required sites are present (capacities, council
    /// floors, caps or budgets): the Lagrangian bounds ignore these.
    pub(crate) fn has_side_constraints(&self) -> bool {
        self.has_capacity() || self.has_floor_or_cap() || self.has_council_budget()
    }

    /// Total weight of all demand points.
    pub(crate) fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Rejects council floors that even every candidate site together cannot reach, and caps the
    /// required sites alone already exceed (uncapacitated: reach is then forced).
    fn check_council_reach(&self) -> Result<(), PlanError> {
        if !self.has_floor_or_cap() {
            return Ok(());
        }
        let k = self.councils.len();
        let all: Vec<usize> = (0..self.n_sites()).collect();
        let reach_all = self.council_reach_upper(&all);
        for c in 0..k {
            if let Some(f) = self.floor[c] {
                let need = self.council_need[c];
                if reach_all[c] < f * need * (1.0 - 1e-12) {
                    return Err(PlanError::Infeasible(Constraint::CouncilFloor {
                        council: self.councils[c].clone(),
                        floor_share: f,
                        reachable_share: if need > 0.0 { reach_all[c] / need } else { 0.0 },
                    }));
                }
            }
        }
        if !self.has_capacity() {
            let req: Vec<usize> = (0..self.n_sites()).filter(|&j| self.required[j]).collect();
            let reach_req = self.council_reach_upper(&req);
            for c in 0..k {
                if let Some(x) = self.cap[c] {
                    let need = self.council_need[c];
                    if reach_req[c] > x * need * (1.0 + 1e-12) {
                        return Err(PlanError::Infeasible(Constraint::CouncilCap {
                            council: self.councils[c].clone(),
                            cap_share: x,
                            required_share: reach_req[c] / need,
                        }));
                    }
                }
            }
        }
        Ok(())
    }

    /// Per council, the most need the given open sites can reach: covered weight without
    /// capacities, the council-restricted max flow with them.
    pub(crate) fn council_reach_upper(&self, open: &[usize]) -> Vec<f64> {
        let k = self.councils.len();
        let mut out = vec![0.0; k];
        match &self.capacity {
            None => {
                let mut seen = vec![false; self.n_demand()];
                for &j in open {
                    for &i in &self.covers[j] {
                        let i = i as usize;
                        if !seen[i] {
                            seen[i] = true;
                            if let Some(c) = self.demand_council[i] {
                                out[c] += self.weight[i];
                            }
                        }
                    }
                }
            }
            Some(cap) => {
                for (c, slot) in out.iter_mut().enumerate() {
                    let mut net =
                        FlowNetwork::new(self, cap, |i| self.demand_council[i] == Some(c));
                    for &j in open {
                        net.open(j);
                    }
                    *slot = net.value();
                }
            }
        }
        out
    }
}
