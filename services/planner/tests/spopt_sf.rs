//! Acceptance: PySAL spopt's San Francisco instance (205 census tracts, 16 candidate stores,
//! network distances in metres). Expected values are spopt's own, from
//! `spopt/tests/test_locate/test_mclp.py` (`test_mixin_mclp_get_uncovered_clients`: 21,
//! `test_mixin_mclp_get_percentage`: 89.75609756097561) and `test_p_median.py`
//! (`TestRealWorldLocate`, mean distance 2982.1268579890657), both solved there with CBC.
//! Fixture provenance: `tests/data/spopt_sf/PROVENANCE.md`.

use std::collections::BTreeMap;

use lighed_planner::*;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/spopt_sf/SF_network_distance_candidateStore_16_censusTract_205_new.csv"
);

#[derive(serde::Deserialize)]
struct Row {
    distance: f64,
    name: String,
    #[serde(rename = "DestinationName")]
    destination: String,
    demand: f64,
}

/// The SF instance as a request: sparse matrix of all 205 × 16 pairs, weights = POP2000.
fn sf_request(objective: Objective, p: usize) -> PlanRequest {
    let mut rdr = csv::Reader::from_path(DATA).expect("fixture");
    let mut weights: BTreeMap<String, f64> = BTreeMap::new();
    let mut stores: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    for r in rdr.deserialize::<Row>() {
        let r = r.expect("row");
        weights.insert(r.destination.clone(), r.demand);
        if !stores.contains(&r.name) {
            stores.push(r.name.clone());
        }
        entries.push(DistanceEntry {
            site_id: r.name,
            demand_id: r.destination,
            distance: r.distance,
        });
    }
    assert_eq!(
        (weights.len(), stores.len(), entries.len()),
        (205, 16, 3280)
    );
    let demand = weights
        .into_iter()
        .map(|(id, weight)| DemandPoint {
            id,
            weight,
            population: None,
            council: None,
            location: None,
        })
        .collect();
    let sites = stores
        .into_iter()
        .map(|id| CandidateSite {
            id,
            capacity: None,
            cost: None,
            required: false,
            council: None,
            location: None,
        })
        .collect();
    PlanRequest {
        demand,
        sites,
        coverage: Coverage::Matrix {
            distances: DistanceMatrix::Sparse(entries),
            radius: Some(5000.0),
        },
        limit: Some(Limit::Open(p)),
        objective,
        fairness: Fairness::default(),
        teams: None,
    }
}

fn sf(objective: Objective, p: usize) -> ValidProblem {
    sf_request(objective, p)
        .validate()
        .expect("valid SF instance")
}

fn open_ids(plan: &Plan) -> Vec<&str> {
    plan.open_sites.iter().map(|s| s.id.as_str()).collect()
}

#[test]
#[allow(clippy::excessive_precision)] // spopt's literal, as published
fn mclp_s5000_p4_matches_spopt() {
    let plan = solve(&sf(Objective::Coverage, 4), &SolveOptions::default()).unwrap();
    assert_eq!(plan.uncovered_demand_points, 21);
    assert!((plan.percent_covered - 89.75609756097561).abs() < 1e-9);
    assert!(plan.proven_optimal);
    assert_eq!(plan.gap, 0.0);
    assert_eq!(plan.upper_bound, plan.objective_value);
    // Brute force over all 1,820 sets (computed independently in Python while taking the
    // fixture): the optimum reaches 875,247 persons with stores 2, 11, 12, 15.
    assert_eq!(plan.objective_value, 875_247.0);
    let mut ids = open_ids(&plan);
    ids.sort();
    assert_eq!(ids, ["Store_11", "Store_12", "Store_15", "Store_2"]);
}

#[test]
fn p_median_p4_matches_spopt() {
    let plan = solve(&sf(Objective::Median, 4), &SolveOptions::default()).unwrap();
    let mean = plan.mean_distance.unwrap();
    assert!(
        (mean - 2982.1268579890657).abs() < 1e-9 * 2982.0,
        "mean distance {mean}"
    );
    assert!(plan.proven_optimal);
    assert!(plan.lower_bound <= plan.objective_value);
}

/// Exact solvers agree with enumeration for p = 1..6: the Lagrangian branch and bound for both
/// objectives, the MILP (microlp) for coverage. (The median MILP has 3,280 assignment variables;
/// microlp takes seconds per solve in a debug build, so it is checked against enumeration on the
/// smaller random instances in `tests/random.rs` instead.)
#[test]
fn exact_equals_brute_force_p1_to_6() {
    for objective in [Objective::Coverage, Objective::Median] {
        for p in 1..=6 {
            let problem = sf(objective, p);
            let brute = solve_brute_force(&problem, 10_000).unwrap();
            let engines: &[ExactEngine] = match objective {
                Objective::Coverage => &[ExactEngine::Milp, ExactEngine::BranchAndBound],
                _ => &[ExactEngine::BranchAndBound],
            };
            for &engine in engines {
                let opts = SolveOptions {
                    solver: SolverChoice::Exact,
                    exact_engine: engine,
                    ..SolveOptions::default()
                };
                let plan = solve(&problem, &opts).unwrap();
                let tol = 1e-9 * brute.objective_value.abs().max(1.0);
                assert!(
                    (plan.objective_value - brute.objective_value).abs() <= tol,
                    "{objective:?} p={p} {engine:?}: {} vs brute force {}",
                    plan.objective_value,
                    brute.objective_value
                );
                assert!(plan.proven_optimal, "{objective:?} p={p} {engine:?}");
                let expected = match engine {
                    ExactEngine::Milp => SolverUsed::MilpMicrolp,
                    _ => SolverUsed::LagrangianBnb,
                };
                assert_eq!(plan.solver, expected, "{}", plan.solver_note);
            }
        }
    }
}

#[test]
fn heuristic_reports_valid_bounds_on_sf() {
    for objective in [Objective::Coverage, Objective::Median] {
        for p in 1..=6 {
            let problem = sf(objective, p);
            let brute = solve_brute_force(&problem, 10_000).unwrap();
            let opts = SolveOptions {
                solver: SolverChoice::Heuristic,
                ..SolveOptions::default()
            };
            let plan = solve(&problem, &opts).unwrap();
            let opt = brute.objective_value;
            let slack = 1e-9 * opt.abs().max(1.0);
            assert!(plan.lower_bound <= opt + slack, "{objective:?} p={p}");
            assert!(plan.upper_bound >= opt - slack, "{objective:?} p={p}");
            assert!(plan.gap >= 0.0);
        }
    }
}

#[test]
fn open_more_than_candidates_is_infeasible() {
    let err = sf_request(Objective::Coverage, 17).validate().unwrap_err();
    assert_eq!(
        err,
        PlanError::Infeasible(Constraint::OpenCount {
            p: 17,
            candidates: 16
        })
    );
    assert!(err.to_string().contains("17 sites requested but only 16"));
}

/// A given set of sites is evaluated with the same figures and a gap to the bound. Expected
/// reach computed independently in Python from the fixture (tracts within 5,000 m of Store_1,
/// 3, 4, 5: 608,244 persons, 81 tracts uncovered).
#[test]
fn evaluate_given_sites() {
    let problem = sf(Objective::Coverage, 4);
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let plan = evaluate_plan(
        &problem,
        &ids(&["Store_1", "Store_3", "Store_4", "Store_5"]),
    )
    .unwrap();
    assert_eq!(plan.objective_value, 608_244.0);
    assert_eq!(plan.uncovered_demand_points, 81);
    assert_eq!(plan.solver, SolverUsed::Given);
    assert_eq!(plan.constraint_violation, None);
    assert!(!plan.proven_optimal);
    assert!(plan.upper_bound >= 875_247.0);
    assert!(plan.gap > 0.25, "{}", plan.gap);

    let best = evaluate_plan(
        &problem,
        &ids(&["Store_2", "Store_11", "Store_12", "Store_15"]),
    )
    .unwrap();
    assert_eq!(best.objective_value, 875_247.0);
    assert!(best.proven_optimal);

    let short = evaluate_plan(&problem, &ids(&["Store_1", "Store_3", "Store_4"])).unwrap();
    assert_eq!(short.objective_value, 462_023.0);
    assert_eq!(
        short.constraint_violation.as_deref(),
        Some("open: 3 sites open instead of 4")
    );
    assert!(matches!(
        evaluate_plan(&problem, &ids(&["Store_99"])),
        Err(PlanError::Invalid { .. })
    ));
    assert!(matches!(
        evaluate_plan(&problem, &ids(&["Store_1", "Store_1"])),
        Err(PlanError::Invalid { .. })
    ));
}
