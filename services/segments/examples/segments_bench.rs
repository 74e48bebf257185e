//! The lighed side of `bench/segments/run.sh` (issue 6's performance point).
//!
//! `segments_bench gen FILE ROWS SEED` writes SYNTHETIC microdata: 2,100 areas × ages 0–99
//! (19 bands) × 2 sexes × 3 education × 3 origin, 6 flags, rows in random order.
//! `segments_bench run FILE DEFS THREADS` aggregates it with `aggregate_file` and prints one
//! JSON line: wall time, parse and count time (summed over threads), merge time, the extra
//! peak memory (VmHWM after − VmRSS before, from /proc/self/status), and per-segment totals and
//! a checksum for the cross-check with the peers.
//! `segments_bench protect FILE DEFS` aggregates, then times disclosure control
//! (`ProtectedRelease::new`) and scoring of every area × segment cell.
//! `segments_bench to-parquet CSV PARQUET ROWS_PER_GROUP` writes the same rows as Parquet
//! (`csv_to_parquet`); `run` reads either format (Parquet is detected by its magic bytes).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use lighed_core::disclosure::MinCellSize;
use lighed_segments::{
    AggregateOptions, CELLS, Definitions, ProtectedRelease, ScoreQuery, aggregate_file,
    csv_to_parquet, score,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const AREAS: usize = 2100;

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn generate(path: &Path, rows: u64, seed: u64) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        w,
        "area_code,age,sex,education,origin,alone,social_housing,neet,copd,diabetes,prehospital"
    )?;
    // Flag probabilities (independent, synthetic).
    let p = [0.2, 0.15, 0.08, 0.06, 0.07, 0.03];
    for _ in 0..rows {
        let area = 7001 + rng.random_range(0..AREAS as u32);
        let age: u32 = rng.random_range(0..100);
        let sex: u32 = rng.random_range(1..=2);
        let edu: u32 = rng.random_range(1..=3);
        let origin: u32 = rng.random_range(1..=3);
        write!(w, "{area},{age},{sex},{edu},{origin}")?;
        for &q in &p {
            let f = rng.random::<f64>() < q;
            w.write_all(if f { b",1" } else { b",0" })?;
        }
        w.write_all(b"\n")?;
    }
    w.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 5 => {
            generate(Path::new(&args[2]), args[3].parse()?, args[4].parse()?)?;
            Ok(())
        }
        Some("run") if args.len() == 5 => {
            let defs_text = std::fs::read_to_string(&args[3])?;
            let defs = Definitions::from_toml(&args[3], &defs_text)?;
            let threads: usize = args[4].parse()?;
            let rss_before = status_kb("VmRSS:");
            let t = Instant::now();
            let (counts, summary) = aggregate_file(
                Path::new(&args[2]),
                &defs,
                &AggregateOptions {
                    threads,
                    progress: None,
                },
            )?;
            let wall = t.elapsed().as_secs_f64();
            let peak = status_kb("VmHWM:");
            let mut totals = Vec::new();
            for s in 0..defs.segments.len() {
                let (mut m, mut b, mut check) = (0u64, 0u64, 0u64);
                for a in 0..counts.areas().len() {
                    for c in 0..CELLS {
                        let [cm, cb] = counts.cell(a, s, c);
                        m += cm;
                        b += cb;
                        let w = (a * CELLS + c + 1) as u64;
                        check = check.wrapping_add(w * (cm * 3 + cb * 7));
                    }
                }
                totals.push(format!("\"{}\": [{m}, {b}, {check}]", defs.segments[s].id));
            }
            println!(
                "{{\"wall_s\": {wall:.4}, \"parse_cpu_s\": {:.4}, \"count_cpu_s\": {:.4}, \"merge_s\": {:.4}, \
                 \"threads\": {}, \"rows\": {}, \"areas\": {}, \"bytes\": {}, \"extra_peak_mb\": {:.1}, \
                 \"totals\": {{{}}}}}",
                summary.parse_time.as_secs_f64(),
                summary.count_time.as_secs_f64(),
                summary.merge_time.as_secs_f64(),
                summary.threads,
                summary.rows,
                summary.areas,
                summary.bytes,
                (peak.saturating_sub(rss_before)) as f64 / 1024.0,
                totals.join(", ")
            );
            Ok(())
        }
        Some("to-parquet") if args.len() == 5 => {
            let t = Instant::now();
            let rows = csv_to_parquet(Path::new(&args[2]), Path::new(&args[3]), args[4].parse()?)?;
            eprintln!(
                "{rows} rows written as Parquet in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some("protect") if args.len() == 4 => {
            // Time disclosure control and scoring of every area x segment cell.
            let defs_text = std::fs::read_to_string(&args[3])?;
            let defs = Definitions::from_toml(&args[3], &defs_text)?;
            let (counts, _) =
                aggregate_file(Path::new(&args[2]), &defs, &AggregateOptions::default())?;
            let t = Instant::now();
            let release = ProtectedRelease::new(&counts, &defs, MinCellSize::DEFAULT)?;
            let protect_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let scores = score(&release, &ScoreQuery::default())?;
            let score_s = t.elapsed().as_secs_f64();
            println!(
                "{{\"areas\": {}, \"segments\": {}, \"protect_s\": {protect_s:.3}, \"score_s\": {score_s:.3}, \"suppressed\": {:?}, \"ranked\": {}}}",
                counts.areas().len(),
                defs.segments.len(),
                release.suppressed_counts(),
                scores.cells.iter().filter(|c| c.rank.is_some()).count()
            );
            Ok(())
        }
        _ => Err(
            "usage: segments_bench gen FILE ROWS SEED | run FILE DEFS THREADS | protect FILE DEFS \
             | to-parquet CSV PARQUET ROWS_PER_GROUP"
                .into(),
        ),
    }
}
