//! Every validation rule and every infeasibility check, one test each, on a small hand-made
//! instance: three demand points (two in council "Nord", one in "Syd"), three sites.

use lighed_planner::*;

fn demand(id: &str, weight: f64, council: &str) -> DemandPoint {
    DemandPoint {
        id: id.into(),
        weight,
        population: None,
        council: Some(council.into()),
        location: None,
    }
}

fn site(id: &str, cost: f64, council: &str) -> CandidateSite {
    CandidateSite {
        id: id.into(),
        capacity: None,
        cost: Some(cost),
        required: false,
        council: Some(council.into()),
        location: None,
    }
}

/// d1, d2 in Nord (weights 10, 20), d3 in Syd (30). Site A covers d1, d2; B covers d2; C covers
/// d3 (radius 5).
fn base() -> PlanRequest {
    PlanRequest {
        demand: vec![
            demand("d1", 10.0, "Nord"),
            demand("d2", 20.0, "Nord"),
            demand("d3", 30.0, "Syd"),
        ],
        sites: vec![
            site("A", 100.0, "Nord"),
            site("B", 100.0, "Nord"),
            site("C", 100.0, "Syd"),
        ],
        coverage: Coverage::Matrix {
            distances: DistanceMatrix::Dense(vec![
                vec![1.0, 9.0, 9.0],
                vec![2.0, 3.0, 9.0],
                vec![9.0, 9.0, 5.0],
            ]),
            radius: Some(5.0),
        },
        limit: Some(Limit::Open(2)),
        objective: Objective::Coverage,
        fairness: Fairness::default(),
        teams: None,
    }
}

fn invalid_field(r: PlanRequest) -> String {
    match r.validate() {
        Err(PlanError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn infeasible(r: PlanRequest) -> Constraint {
    match r.validate() {
        Err(PlanError::Infeasible(c)) => c,
        other => panic!("expected Infeasible, got {other:?}"),
    }
}

#[test]
fn base_instance_is_valid_and_solves() {
    let problem = base().validate().unwrap();
    let plan = solve(&problem, &SolveOptions::default()).unwrap();
    // A (d1, d2) + C (d3) reach everything: 60. Inclusive radius: d3 is exactly 5 from C.
    assert_eq!(plan.objective_value, 60.0);
    assert_eq!(plan.uncovered_demand_points, 0);
    let ids: Vec<&str> = plan.open_sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["A", "C"]);
    assert!(plan.proven_optimal);
    // Runner-up of A is B (reaches d2 only): 50, 10 worse.
    let a = &plan.open_sites[0];
    let r = a.runner_up.as_ref().unwrap();
    assert_eq!(
        (r.site_id.as_str(), r.objective_value, r.loss),
        ("B", 50.0, 10.0)
    );
    assert_eq!(a.marginal_value, 30.0);
    assert_eq!(plan.councils.len(), 2);
    assert_eq!(plan.councils[0].council, "Nord");
    assert_eq!(
        (plan.councils[0].need, plan.councils[0].reached),
        (30.0, 30.0)
    );
    assert_eq!(plan.councils[0].spend, 100.0);
    assert_eq!(plan.councils[0].budget, Some(DEFAULT_COUNCIL_BUDGET_KR));
}

#[test]
fn bad_values_name_their_field() {
    let mut r = base();
    r.demand[1].weight = f64::NAN;
    assert_eq!(invalid_field(r), "demand 'd2' weight");
    let mut r = base();
    r.demand[0].weight = -1.0;
    assert_eq!(invalid_field(r), "demand 'd1' weight");
    let mut r = base();
    r.sites[2].cost = Some(f64::INFINITY);
    assert_eq!(invalid_field(r), "site 'C' cost");
    let mut r = base();
    r.sites[0].capacity = Some(-5.0);
    assert_eq!(invalid_field(r), "site 'A' capacity");
    let mut r = base();
    r.demand[2].id = "d1".into();
    assert_eq!(invalid_field(r), "demand[2].id");
    let mut r = base();
    r.sites[1].id = " ".into();
    assert_eq!(invalid_field(r), "sites[1].id");
    let mut r = base();
    r.demand[0].location = Some(LonLat {
        lon: 200.0,
        lat: 56.0,
    });
    assert_eq!(invalid_field(r), "demand 'd1' location");
    let mut r = base();
    r.demand[0].population = Some(5.0);
    assert_eq!(invalid_field(r), "demand.population");
    let mut r = base();
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Dense(vec![vec![1.0, 2.0, 3.0]; 2]),
        radius: Some(5.0),
    };
    assert_eq!(invalid_field(r), "distances");
    let mut r = base();
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Dense(vec![vec![1.0, -2.0, 3.0]; 3]),
        radius: Some(5.0),
    };
    assert_eq!(invalid_field(r), "distance from site 'B' to demand 'd1'");
    let mut r = base();
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Sparse(vec![DistanceEntry {
            site_id: "Z".into(),
            demand_id: "d1".into(),
            distance: 1.0,
        }]),
        radius: Some(5.0),
    };
    assert_eq!(invalid_field(r), "distances entry 0");
    let mut r = base();
    let e = DistanceEntry {
        site_id: "A".into(),
        demand_id: "d1".into(),
        distance: 1.0,
    };
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Sparse(vec![e.clone(), e]),
        radius: Some(5.0),
    };
    assert_eq!(invalid_field(r), "distances");
    let mut r = base();
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Dense(vec![vec![1.0; 3]; 3]),
        radius: None,
    };
    assert_eq!(invalid_field(r), "radius");
    let mut r = base();
    r.coverage = Coverage::GreatCircle { radius_m: 1000.0 };
    assert_eq!(invalid_field(r), "demand 'd1' location");
}

#[test]
fn limits_and_rules_are_checked() {
    let mut r = base();
    r.limit = None;
    assert_eq!(invalid_field(r), "limit");
    let mut r = base();
    r.limit = Some(Limit::Open(0));
    assert_eq!(invalid_field(r), "open");
    let mut r = base();
    r.objective = Objective::SetCover;
    assert_eq!(invalid_field(r), "open");
    let mut r = base();
    r.limit = Some(Limit::Budget(f64::NAN));
    assert_eq!(invalid_field(r), "budget");
    let mut r = base();
    r.sites.iter_mut().for_each(|s| s.cost = None);
    r.limit = Some(Limit::Budget(100.0));
    assert_eq!(invalid_field(r), "budget");
    let mut r = base();
    r.fairness.min_share = Some(1.5);
    assert_eq!(invalid_field(r), "fairness.min_share");
    let mut r = base();
    r.fairness.min_share = Some(0.6);
    r.fairness.max_share = Some(0.5);
    assert_eq!(invalid_field(r), "fairness for council 'Nord'");
    let mut r = base();
    r.fairness
        .councils
        .insert("Øst".into(), CouncilRule::default());
    assert_eq!(invalid_field(r), "fairness.councils 'Øst'");
    let mut r = base();
    r.objective = Objective::Median;
    r.fairness.min_share = Some(0.1);
    assert_eq!(invalid_field(r), "fairness.min_share/max_share");
    let mut r = base();
    r.objective = Objective::Median;
    r.sites[0].capacity = Some(10.0);
    assert_eq!(invalid_field(r), "sites.capacity");
    let mut r = base();
    r.teams = Some(Teams {
        count: 2,
        hours_per_week: 37.0,
        base: Some("Q".into()),
    });
    assert_eq!(invalid_field(r), "teams.base");
}

#[test]
fn infeasible_requests_name_the_constraint() {
    let mut r = base();
    r.limit = Some(Limit::Open(4));
    assert_eq!(
        infeasible(r),
        Constraint::OpenCount {
            p: 4,
            candidates: 3
        }
    );
    let mut r = base();
    r.limit = Some(Limit::Open(1));
    r.sites[0].required = true;
    r.sites[1].required = true;
    assert_eq!(
        infeasible(r),
        Constraint::RequiredExceedOpen { p: 1, required: 2 }
    );
    let mut r = base();
    r.sites[0].required = true;
    r.limit = Some(Limit::Budget(50.0));
    assert_eq!(
        infeasible(r),
        Constraint::Budget {
            budget: 50.0,
            required_cost: 100.0
        }
    );
    let mut r = base();
    r.sites[0].required = true;
    r.fairness.councils.insert(
        "Nord".into(),
        CouncilRule {
            budget_kr: Some(99.0),
            ..CouncilRule::default()
        },
    );
    assert_eq!(
        infeasible(r),
        Constraint::CouncilBudget {
            council: "Nord".into(),
            budget: 99.0,
            required_cost: 100.0
        }
    );
    // Syd's only point d3 is 5 from C: all of it can be reached, so a floor of 1 is feasible;
    // move it out of reach and the floor cannot be met.
    let mut r = base();
    r.fairness.min_share = Some(1.0);
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Dense(vec![
            vec![1.0, 9.0, 9.0],
            vec![2.0, 3.0, 9.0],
            vec![9.0, 9.0, 6.0],
        ]),
        radius: Some(5.0),
    };
    assert_eq!(
        infeasible(r),
        Constraint::CouncilFloor {
            council: "Syd".into(),
            floor_share: 1.0,
            reachable_share: 0.0
        }
    );
    let mut r = base();
    r.sites[0].required = true;
    r.fairness.max_share = Some(0.5);
    assert_eq!(
        infeasible(r),
        Constraint::CouncilCap {
            council: "Nord".into(),
            cap_share: 0.5,
            required_share: 1.0
        }
    );
    let mut r = base();
    r.objective = Objective::SetCover;
    r.limit = None;
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Dense(vec![
            vec![1.0, 9.0, 9.0],
            vec![2.0, 3.0, 9.0],
            vec![9.0, 9.0, 6.0],
        ]),
        radius: Some(5.0),
    };
    assert_eq!(
        infeasible(r),
        Constraint::Uncoverable {
            demand_ids: vec!["d3".into()],
            count: 1
        }
    );
    let mut r = base();
    r.objective = Objective::Median;
    r.coverage = Coverage::Matrix {
        distances: DistanceMatrix::Sparse(vec![DistanceEntry {
            site_id: "A".into(),
            demand_id: "d1".into(),
            distance: 1.0,
        }]),
        radius: None,
    };
    assert_eq!(
        infeasible(r),
        Constraint::Unreachable {
            demand_ids: vec!["d2".into(), "d3".into()],
            count: 2
        }
    );
}

/// Council rules change the plan. With one site, A (Nord, 30) and C (Syd, 30) tie and coverage
/// alone takes A (lower index); Syd's floor of all its need forces C; Nord's floor of 0.9 forces A.
#[test]
fn floors_caps_and_budgets_shape_the_plan() {
    let mut r = base();
    r.limit = Some(Limit::Open(1));
    let plan = solve(&r.clone().validate().unwrap(), &SolveOptions::default()).unwrap();
    assert_eq!(plan.open_sites[0].id, "A");
    r.fairness.councils.insert(
        "Syd".into(),
        CouncilRule {
            min_share: Some(1.0),
            ..CouncilRule::default()
        },
    );
    let plan = solve(&r.validate().unwrap(), &SolveOptions::default()).unwrap();
    assert_eq!(plan.open_sites[0].id, "C");
    let mut r = base();
    r.limit = Some(Limit::Open(1));
    r.fairness.councils.insert(
        "Nord".into(),
        CouncilRule {
            min_share: Some(0.9),
            ..CouncilRule::default()
        },
    );
    let plan = solve(&r.validate().unwrap(), &SolveOptions::default()).unwrap();
    assert_eq!(plan.open_sites[0].id, "A");
    assert_eq!(plan.councils[0].floor, Some(0.9));
    // A cap of half of each council's own need: every site reaches more than half of its council's
    // need (A 30/30, B 20/30, C 30/30), so no two sites can be opened: proven infeasible.
    let mut r = base();
    r.fairness.max_share = Some(0.5);
    let problem = r.validate().unwrap();
    let err = solve(&problem, &SolveOptions::default()).unwrap_err();
    assert!(
        matches!(err, PlanError::Infeasible(Constraint::Combination { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("council caps"), "{err}");
    // A council budget of 150 allows one Nord site only; with p = 3 that is infeasible.
    let mut r = base();
    r.limit = Some(Limit::Open(3));
    r.fairness.council_budget_kr = Some(150.0);
    let err = solve(&r.validate().unwrap(), &SolveOptions::default()).unwrap_err();
    assert!(err.to_string().contains("council budgets"), "{err}");
}

/// Teams: the base site is kept open and hours are split by reached weight.
#[test]
fn teams_hours_follow_reach() {
    let mut r = base();
    r.teams = Some(Teams {
        count: 2,
        hours_per_week: 30.0,
        base: Some("B".into()),
    });
    r.limit = None; // the number of teams
    let plan = solve(&r.validate().unwrap(), &SolveOptions::default()).unwrap();
    let ids: Vec<&str> = plan.open_sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["B", "C"]);
    assert!(plan.open_sites[0].required);
    assert_eq!(plan.team_hours_per_week, Some(60.0));
    // B reaches d2 (20), C reaches d3 (30): 60 h split 24 / 36.
    assert_eq!(plan.open_sites[0].hours_per_week, Some(24.0));
    assert_eq!(plan.open_sites[1].hours_per_week, Some(36.0));
}
