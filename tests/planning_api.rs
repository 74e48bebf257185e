//! End-to-end: `PlanningService` (RecommendDeployment, ComparePlans) on the real server, over the
//! demo data (SYNTHETIC) and real geography, on SQLite and PostgreSQL (when
//! `LIGHED_TEST_POSTGRES_URL` is set).

use std::collections::BTreeSet;

use lighed::pb;
use lighed::pb::planning_service_client::PlanningServiceClient;
use lighed_e2e::{Backend, TestServer, postgres_backend};
use tonic::Code;
use tonic_types::StatusExt;

/// The field named by an error's BadRequest details.
fn violated_field(s: &tonic::Status) -> String {
    s.get_error_details()
        .bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

/// Region Midtjylland demo: every parish weighted by population × need under the default model,
/// the housing areas as candidate sites at 400,000 kr a year each, 6 outreach teams of 37 hours,
/// 15 km, the five health councils with 1.6 mio. kr. each (the default).
fn demo_request() -> pb::RecommendDeploymentRequest {
    use pb::recommend_deployment_request::{Coverage, Demand, Sites};
    pb::RecommendDeploymentRequest {
        demand: Some(Demand::Scored(pb::ScoredDemand {
            level: "parish".into(),
            ..Default::default()
        })),
        sites: Some(Sites::AreaSites(pb::AreaSites {
            level: "housing_area".into(),
            cost_kr: Some(400_000.0),
            ..Default::default()
        })),
        coverage: Some(Coverage::RadiusKm(15.0)),
        teams: Some(pb::Teams {
            count: 6,
            hours_per_week: Some(37.0),
            base: String::new(),
        }),
        solver: pb::PlanSolver::Heuristic as i32,
        ..Default::default()
    }
}

/// Four points, two sites: site A reaches d0 and d1 (weights 10 + 20), site B d2 and d3 (30 + 40);
/// with one site the optimum is B with 70.
fn tiny_request() -> pb::RecommendDeploymentRequest {
    use pb::recommend_deployment_request::{Coverage, Demand, Limit, Sites};
    let points = (0..4)
        .map(|i| pb::DemandPoint {
            id: format!("d{i}"),
            weight: [10.0, 20.0, 30.0, 40.0][i],
            ..Default::default()
        })
        .collect();
    let sites = ["A", "B"]
        .iter()
        .map(|s| pb::CandidateSite {
            id: (*s).into(),
            ..Default::default()
        })
        .collect();
    let mut entries = Vec::new();
    for (d, near) in [("d0", "A"), ("d1", "A"), ("d2", "B"), ("d3", "B")] {
        for s in ["A", "B"] {
            entries.push(pb::DistanceEntry {
                site_id: s.into(),
                demand_id: d.into(),
                distance: if s == near { 1.0 } else { 9.0 },
            });
        }
    }
    pb::RecommendDeploymentRequest {
        demand: Some(Demand::Points(pb::DemandPoints { points })),
        sites: Some(Sites::Candidates(pb::CandidateSites { sites })),
        coverage: Some(Coverage::Matrix(pb::DistanceMatrix {
            entries,
            radius: Some(2.0),
        })),
        limit: Some(Limit::Open(1)),
        solver: pb::PlanSolver::Exact as i32,
        ..Default::default()
    }
}

async fn check_planning(backend: Backend) {
    let server = TestServer::start(&backend).await;
    let mut client = PlanningServiceClient::new(server.channel().await);
    let runs_before = server.state.store.run_count().await.unwrap();

    // --- The demo plan reaches every council within every council's budget.
    let plan = client
        .recommend_deployment(demo_request())
        .await
        .expect("demo plan")
        .into_inner();
    assert_eq!(plan.objective, "coverage");
    assert_eq!(plan.open_sites.len(), 6, "6 teams open 6 sites");
    assert_eq!(plan.councils.len(), 5);
    for c in &plan.councils {
        assert!(c.reached > 0.0, "council {} reached nothing", c.council);
        assert!(c.spend_kr <= 1_600_000.0, "{c:?}");
        assert_eq!(c.budget_kr, Some(1_600_000.0));
        assert!(c.council.starts_with("SR-"), "council codes: {}", c.council);
    }
    assert!(plan.gap >= 0.0);
    assert!(plan.upper_bound >= plan.objective_value - 1e-9);
    assert!(plan.covered_weight > 0.0 && plan.covered_weight <= plan.total_weight);
    let hours: f64 = plan
        .open_sites
        .iter()
        .map(|s| s.hours_per_week.expect("hours with teams"))
        .sum();
    assert!((hours - 6.0 * 37.0).abs() < 1e-6, "hours {hours}");
    assert_eq!(plan.team_hours_per_week, Some(222.0));
    for s in &plan.open_sites {
        assert!(!s.reason.is_empty());
        assert!(s.reached_points as usize == s.reaches.len());
        assert_eq!(s.cost_kr, 400_000.0);
    }
    assert!(plan.data_version.starts_with("d-"), "{}", plan.data_version);
    assert!(!plan.model.is_empty() && !plan.model_version.is_empty());
    assert!(plan.run_id > 0);
    assert!(
        plan.notes.iter().any(|n| n.contains("population × need")),
        "{:?}",
        plan.notes
    );
    let ineq = plan.inequality.as_ref().expect("inequality");
    assert!(ineq.deciles.is_some() && ineq.councils.is_some());
    // The plan was recorded (the ranking behind the demand, and the plan itself).
    assert!(server.state.store.run_count().await.unwrap() >= runs_before + 2);

    // Same request, same data: the same plan.
    let again = client
        .recommend_deployment(demo_request())
        .await
        .unwrap()
        .into_inner();
    let ids = |p: &pb::DeploymentPlan| -> Vec<String> {
        p.open_sites.iter().map(|s| s.id.clone()).collect()
    };
    assert_eq!(ids(&plan), ids(&again));
    assert_eq!(plan.objective_value, again.objective_value);

    // A floor on every council's share is honoured.
    let mut floor = demo_request();
    floor.fairness = Some(pb::Fairness {
        min_share: Some(0.05),
        ..Default::default()
    });
    let floored = client
        .recommend_deployment(floor)
        .await
        .unwrap()
        .into_inner();
    for c in &floored.councils {
        assert!(c.share >= 0.05 - 1e-9, "{c:?}");
        assert_eq!(c.floor, Some(0.05));
    }

    // Demand and sites restricted to one council (by its id).
    let mut vest = demo_request();
    vest.demand = Some(pb::recommend_deployment_request::Demand::Scored(
        pb::ScoredDemand {
            level: "parish".into(),
            scope: Some(pb::scored_demand::Scope::Council("vest".into())),
            ..Default::default()
        },
    ));
    vest.sites = Some(pb::recommend_deployment_request::Sites::AreaSites(
        pb::AreaSites {
            level: "housing_area".into(),
            cost_kr: Some(400_000.0),
            scope: Some(pb::area_sites::Scope::Council("vest".into())),
            ..Default::default()
        },
    ));
    vest.teams = Some(pb::Teams {
        count: 2,
        ..Default::default()
    });
    let v = client
        .recommend_deployment(vest)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.councils.len(), 1);
    assert_eq!(v.councils[0].council, "SR-VEST");
    assert_eq!(v.open_sites.len(), 2);
    // Default team hours: 37 per team.
    assert_eq!(v.team_hours_per_week, Some(74.0));

    // --- Explicit points and sites: the exact optimum, proven; the data version is the
    // request's digest, stable across calls.
    let t = client
        .recommend_deployment(tiny_request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&t), vec!["B".to_string()]);
    assert_eq!(t.objective_value, 70.0);
    assert!(t.proven_optimal);
    assert!(t.data_version.starts_with("r-"));
    let t2 = client
        .recommend_deployment(tiny_request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(t.data_version, t2.data_version);
    // p-median on the same instance: B is 1 from d2, d3 and 9 from d0, d1.
    let mut med = tiny_request();
    med.objective = pb::PlanObjective::Median as i32;
    let m = client.recommend_deployment(med).await.unwrap().into_inner();
    assert_eq!(m.objective, "median");
    assert_eq!(ids(&m), vec!["B".to_string()]);
    assert_eq!(m.mean_distance, Some((9.0 * 30.0 + 70.0) / 100.0));

    // --- ComparePlans: fewer teams, a given deployment, and a council floor.
    let given: Vec<String> = plan
        .open_sites
        .iter()
        .take(3)
        .map(|s| s.id.clone())
        .collect();
    let cmp = client
        .compare_plans(pb::ComparePlansRequest {
            baseline: Some(demo_request()),
            variants: vec![
                pb::PlanVariant {
                    name: "four sites".into(),
                    open: Some(4),
                    ..Default::default()
                },
                pb::PlanVariant {
                    name: "today".into(),
                    given_sites: given.clone(),
                    ..Default::default()
                },
                pb::PlanVariant {
                    name: "wider".into(),
                    radius_km: Some(25.0),
                    ..Default::default()
                },
            ],
        })
        .await
        .expect("compare")
        .into_inner();
    let base = cmp.baseline.as_ref().unwrap();
    assert_eq!(
        ids(base),
        ids(&plan),
        "the baseline is the recommended plan"
    );
    assert_eq!(cmp.variants.len(), 3);
    let four = &cmp.variants[0];
    let four_plan = four.plan.as_ref().unwrap();
    assert_eq!(four_plan.open_sites.len(), 4);
    assert!(
        four.covered_weight_delta <= 1e-9,
        "fewer sites cannot reach more"
    );
    assert!(
        (four.objective_delta - (four_plan.objective_value - base.objective_value)).abs() < 1e-9
    );
    let today = &cmp.variants[1];
    let today_plan = today.plan.as_ref().unwrap();
    assert_eq!(today_plan.solver, "given");
    assert_eq!(ids(today_plan), given);
    let base_ids: BTreeSet<String> = ids(base).into_iter().collect();
    let today_ids: BTreeSet<String> = given.iter().cloned().collect();
    let removed: Vec<String> = base_ids.difference(&today_ids).cloned().collect();
    assert_eq!(today.sites_removed, removed);
    assert!(today.sites_added.is_empty());
    assert_eq!(today.councils.len(), 5);
    let wider = &cmp.variants[2];
    assert!(wider.covered_weight_delta >= -1e-9 || !wider.plan.as_ref().unwrap().proven_optimal);

    // --- Errors name the field.
    let mut too_many = tiny_request();
    too_many.limit = Some(pb::recommend_deployment_request::Limit::Open(3));
    let e = client.recommend_deployment(too_many).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violated_field(&e), "open");
    assert!(
        e.message().contains("only 2 candidate sites"),
        "{}",
        e.message()
    );

    let mut no_cov = tiny_request();
    no_cov.coverage = None;
    let e = client.recommend_deployment(no_cov).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violated_field(&e), "coverage");

    let mut infeasible = demo_request();
    infeasible.fairness = Some(pb::Fairness {
        min_share: Some(0.99),
        ..Default::default()
    });
    let e = client.recommend_deployment(infeasible).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(
        violated_field(&e).starts_with("fairness"),
        "{}: {}",
        violated_field(&e),
        e.message()
    );

    let mut nowhere = demo_request();
    nowhere.demand = Some(pb::recommend_deployment_request::Demand::Scored(
        pb::ScoredDemand {
            scope: Some(pb::scored_demand::Scope::Council("atlantis".into())),
            ..Default::default()
        },
    ));
    let e = client.recommend_deployment(nowhere).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert_eq!(violated_field(&e), "demand.scored.council");

    let mut slow = tiny_request();
    slow.time_limit_seconds = Some(10_000.0);
    let e = client.recommend_deployment(slow).await.unwrap_err();
    assert_eq!(violated_field(&e), "time_limit_seconds");

    let e = client
        .compare_plans(pb::ComparePlansRequest {
            baseline: Some(tiny_request()),
            variants: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(violated_field(&e), "variants");
    let e = client
        .compare_plans(pb::ComparePlansRequest {
            baseline: Some(tiny_request()),
            variants: vec![pb::PlanVariant {
                name: "ghost".into(),
                given_sites: vec!["Z".into()],
                ..Default::default()
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        violated_field(&e).starts_with("variants[0]."),
        "{}",
        violated_field(&e)
    );

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_on_sqlite() {
    check_planning(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_on_postgres() {
    if let Some(b) = postgres_backend("planning_on_postgres") {
        check_planning(b).await;
    }
}
