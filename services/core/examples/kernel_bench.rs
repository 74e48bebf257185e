//! lighed's side of `bench/kernel/run.sh`: scores a synthetic national instance with a model,
//! once deterministically (timed over many repetitions) and with Monte Carlo draws, and prints
//! the timings as one JSON object. Threads: `RAYON_NUM_THREADS` (rayon's global pool).
//!
//! ```text
//! cargo run --release -p lighed-core --example kernel_bench -- \
//!     --model bench/kernel/svi_style.toml --input /tmp/national.csv --draws 1000 --seed 1 \
//!     [--reps 200] [--point-out point.csv] [--ranks-out ranks.csv]
//! ```
//!
//! The input CSV has `area_code` and, per indicator, `<id>_numerator` and `<id>_denominator`.

use std::time::Instant;

use lighed_core::model::{IndicatorColumn, IndicatorTable, ModelSpec};

/// CPU time (user + system) of this process in seconds, all threads, from /proc/self/stat
/// (Linux; clock ticks of 1/100 s). `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((utime + stime) / 100.0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let model_path = arg(&args, "--model").ok_or("--model FILE is required")?;
    let input_path = arg(&args, "--input").ok_or("--input FILE is required")?;
    let draws: u32 = arg(&args, "--draws").map_or(Ok(1000), |s| s.parse())?;
    let seed: u64 = arg(&args, "--seed").map_or(Ok(1), |s| s.parse())?;
    let reps: usize = arg(&args, "--reps").map_or(Ok(200), |s| s.parse())?;

    let model = ModelSpec::from_toml(&model_path, &std::fs::read_to_string(&model_path)?)?;
    let mut reader = csv::Reader::from_path(&input_path)?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("no column {name}"))
    };
    let codes_at = col("area_code")?;
    let mut columns = Vec::new();
    for ind in model.indicators() {
        let (n, d) = (
            col(&format!("{}_numerator", ind.id))?,
            col(&format!("{}_denominator", ind.id))?,
        );
        let parse = |r: &csv::StringRecord, i: usize| r.get(i).and_then(|s| s.parse::<f64>().ok());
        columns.push(IndicatorColumn {
            indicator: ind.id.clone(),
            numerator: rows.iter().map(|r| parse(r, n)).collect(),
            denominator: rows.iter().map(|r| parse(r, d)).collect(),
        });
    }
    let table = IndicatorTable {
        area_codes: rows
            .iter()
            .map(|r| r.get(codes_at).unwrap_or("").to_owned())
            .collect(),
        columns,
    };

    // Deterministic scoring, median of `reps` runs: scores, ranks and deciles (`score_values`),
    // and the full table with contributions and reasons (`score`).
    let point = model.score(&table)?;
    // (min, median) of `reps` runs; the minimum is the least disturbed by other processes.
    let median = |f: &dyn Fn() -> Result<(), Box<dyn std::error::Error>>| -> Result<(f64, f64), Box<dyn std::error::Error>> {
        let mut times = Vec::with_capacity(reps);
        for _ in 0..reps.max(1) {
            let t = Instant::now();
            f()?;
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        Ok((times[0], times[times.len() / 2]))
    };
    let point_median = median(&|| {
        std::hint::black_box(model.score_values(&table)?);
        Ok(())
    })?;
    let full_median = if args.iter().any(|a| a == "--only-point") {
        (f64::NAN, f64::NAN)
    } else {
        median(&|| {
            std::hint::black_box(model.score(&table)?);
            Ok(())
        })?
    };

    let (t, cpu0) = (Instant::now(), cpu_seconds());
    let unc = model.score_with_draws(&table, draws, seed)?;
    let draws_s = t.elapsed().as_secs_f64();
    let draws_cpu_s = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };

    if let Some(p) = arg(&args, "--point-out") {
        let mut w = csv::Writer::from_path(p)?;
        w.write_record(["area_code", "score", "rank"])?;
        for r in &point.rows {
            w.write_record([
                r.area_code.clone(),
                r.score.map_or(String::new(), |s| format!("{s:?}")),
                r.rank.map_or(String::new(), |x| x.to_string()),
            ])?;
        }
    }
    if let Some(p) = arg(&args, "--ranks-out") {
        let mut w = csv::Writer::from_path(p)?;
        w.write_record([
            "area_code",
            "rank_median",
            "rank_p05",
            "rank_p95",
            "p_top_decile",
        ])?;
        for u in &unc.uncertainty {
            let o = |x: Option<u32>| x.map_or(String::new(), |v| v.to_string());
            w.write_record([
                u.area_code.clone(),
                o(u.rank_median),
                o(u.rank_p05),
                o(u.rank_p95),
                u.p_top_decile.map_or(String::new(), |v| format!("{v}")),
            ])?;
        }
    }
    let threads = rayon::current_num_threads();
    println!(
        "{{\"model\": \"{}\", \"areas\": {}, \"indicators\": {}, \"draws\": {draws}, \"threads\": {threads}, \"point_min_s\": {:e}, \"point_median_s\": {:e}, \"explained_min_s\": {:e}, \"explained_median_s\": {:e}, \"draws_s\": {draws_s:.4}, \"draws_cpu_s\": {draws_cpu_s:.2}}}",
        model.name(),
        table.area_codes.len(),
        model.indicators().len(),
        point_median.0,
        point_median.1,
        full_median.0,
        full_median.1,
    );
    Ok(())
}
