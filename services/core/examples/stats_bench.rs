//! Benchmark driver for `bench/stats/run.sh`: generates seeded inputs for N areas, writes them
//! as raw little-endian f64 files for the numpy/scipy peer, and times lighed's vectorised Wilson
//! limits and DSRs (best of `--repeat` runs, single thread, I/O excluded).
//!
//! Usage: `stats_bench DIR [AREAS] [SEED] [REPEAT]`.

use std::io::Write;
use std::time::Instant;

use lighed_core::stats::Confidence;
use lighed_core::stats::dsr::dsr_many;
use lighed_core::stats::esp2013::ESP2013;
use lighed_core::stats::wilson::proportions;
use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn write_f64(path: &std::path::Path, data: &[f64]) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for v in data {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(
        args.get(1)
            .ok_or("usage: stats_bench DIR [AREAS] [SEED] [REPEAT]")?,
    );
    let areas: usize = args.get(2).map_or(Ok(1_000_000), |s| s.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(2026), |s| s.parse())?;
    let repeat: usize = args.get(4).map_or(Ok(3), |s| s.parse())?;
    std::fs::create_dir_all(&dir)?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: Array1<f64> = (0..areas)
        .map(|_| rng.random_range(1..=10_000u32) as f64)
        .collect();
    let x: Array1<f64> = n
        .iter()
        .map(|&n| rng.random_range(0..=n as u32) as f64)
        .collect();
    let bands = ESP2013.len();
    let mut pops = Array2::<f64>::zeros((areas, bands));
    let mut counts = Array2::<f64>::zeros((areas, bands));
    for a in 0..areas {
        for b in 0..bands {
            let p = rng.random_range(1..=2_000u32);
            pops[[a, b]] = p as f64;
            counts[[a, b]] = rng.random_range(0..=(p / 20).max(1)) as f64;
        }
    }
    write_f64(&dir.join("x.f64"), x.as_slice().ok_or("layout")?)?;
    write_f64(&dir.join("n.f64"), n.as_slice().ok_or("layout")?)?;
    write_f64(&dir.join("counts.f64"), counts.as_slice().ok_or("layout")?)?;
    write_f64(&dir.join("pops.f64"), pops.as_slice().ok_or("layout")?)?;

    let std = Array1::from(ESP2013.to_vec());
    let c = Confidence::P95;
    let mut best_w = f64::INFINITY;
    let mut best_d = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let w = proportions(x.view(), n.view(), c, 1.0)?;
        best_w = best_w.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let d = dsr_many(counts.view(), pops.view(), std.view(), c, 1e5)?;
        best_d = best_d.min(t.elapsed().as_secs_f64());
        last = Some((w, d));
    }
    let (w, d) = last.ok_or("repeat must be ≥ 1")?;
    write_f64(
        &dir.join("rust_wilson_lower.f64"),
        w.lower.as_slice().ok_or("layout")?,
    )?;
    write_f64(
        &dir.join("rust_wilson_upper.f64"),
        w.upper.as_slice().ok_or("layout")?,
    )?;
    write_f64(
        &dir.join("rust_dsr.f64"),
        d.value.as_slice().ok_or("layout")?,
    )?;
    write_f64(
        &dir.join("rust_dsr_lower.f64"),
        d.lower.as_slice().ok_or("layout")?,
    )?;
    write_f64(
        &dir.join("rust_dsr_upper.f64"),
        d.upper.as_slice().ok_or("layout")?,
    )?;
    println!(
        "{{\"areas\": {areas}, \"bands\": {bands}, \"wilson_s\": {best_w}, \"dsr_s\": {best_d}}}"
    );
    Ok(())
}
