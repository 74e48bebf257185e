//! Times `validate` + `solve` in-process on `lighed plan`-style files (coverage objective), the
//! minimum over repeated runs — steadier than whole-process timings on a loaded machine.
//!
//! ```sh
//! cargo run --release -p lighed-planner --example solve_files -- \
//!     bench/planner/out 20 10 heuristic 15
//! ```
//! Arguments: directory with D.csv/S.csv/M.csv, radius, p, solver (heuristic|exact|auto), runs.
//! Environment: `ILS` = `SolveOptions::ils_iterations`, `ILS_K` =
//! `SolveOptions::ils_patience_within_gap` (defaults otherwise).

use std::time::{Duration, Instant};

use lighed_planner::*;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&a[1]);
    let radius: f64 = a[2].parse().unwrap();
    let p: usize = a[3].parse().unwrap();
    let solver = match a.get(4).map(String::as_str) {
        Some("exact") => SolverChoice::Exact,
        Some("auto") => SolverChoice::Auto,
        _ => SolverChoice::Heuristic,
    };
    let runs: usize = a.get(5).map_or(10, |s| s.parse().unwrap());
    let mut demand = Vec::new();
    for r in csv::Reader::from_path(dir.join("D.csv")).unwrap().records() {
        let r = r.unwrap();
        demand.push(DemandPoint {
            id: r[0].to_string(),
            weight: r[1].parse().unwrap(),
            population: None,
            council: None,
            location: None,
        });
    }
    let mut sites = Vec::new();
    for r in csv::Reader::from_path(dir.join("S.csv")).unwrap().records() {
        sites.push(CandidateSite {
            id: r.unwrap()[0].to_string(),
            capacity: None,
            cost: None,
            required: false,
            council: None,
            location: None,
        });
    }
    let mut entries = Vec::new();
    for r in csv::Reader::from_path(dir.join("M.csv")).unwrap().records() {
        let r = r.unwrap();
        entries.push(DistanceEntry {
            site_id: r[0].to_string(),
            demand_id: r[1].to_string(),
            distance: r[2].parse().unwrap(),
        });
    }
    let request = PlanRequest {
        demand,
        sites,
        coverage: Coverage::Matrix {
            distances: DistanceMatrix::Sparse(entries),
            radius: Some(radius),
        },
        limit: Some(Limit::Open(p)),
        objective: Objective::Coverage,
        fairness: Fairness::default(),
        teams: None,
    };
    let options = SolveOptions {
        solver,
        ils_iterations: std::env::var("ILS").map_or(1000, |s| s.parse().unwrap()),
        ils_patience_within_gap: std::env::var("ILS_K")
            .map_or(DEFAULT_ILS_PATIENCE_WITHIN_GAP, |s| s.parse().unwrap()),
        ..SolveOptions::default()
    };
    let (mut t_val, mut t_solve) = (Duration::MAX, Duration::MAX);
    let mut last = None;
    for _ in 0..runs {
        let r = request.clone();
        let t = Instant::now();
        let problem = r.validate().unwrap();
        t_val = t_val.min(t.elapsed());
        let t = Instant::now();
        let plan = solve(&problem, &options).unwrap();
        t_solve = t_solve.min(t.elapsed());
        last = Some(plan);
    }
    let plan = last.unwrap();
    println!(
        "p={p} validate {:.2} ms, solve {:.2} ms (min of {runs}); objective {} bound {} proven {} ({}; {})",
        t_val.as_secs_f64() * 1e3,
        t_solve.as_secs_f64() * 1e3,
        plan.objective_value,
        plan.upper_bound,
        plan.proven_optimal,
        plan.solver.as_str(),
        plan.solver_note
    );
}
