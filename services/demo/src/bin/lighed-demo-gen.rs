//! `lighed-demo-gen`: writes the SYNTHETIC demo extracts into a directory.
//!
//! `cargo run -p lighed-demo -- --geography data/geography --out data/demo [--seed 20261124]`

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;

/// Generate lighed's SYNTHETIC demo extracts (real geography, synthetic values).
#[derive(Debug, Parser)]
#[command(name = "lighed-demo-gen", version)]
struct Args {
    /// Directory with municipalities.csv, parishes.csv and region.toml.
    #[arg(long, default_value = "data/geography")]
    geography: PathBuf,
    /// Output directory (created if missing; the generated files are overwritten).
    #[arg(long, default_value = "data/demo")]
    out: PathBuf,
    /// Seed of the generator.
    #[arg(long, default_value_t = lighed_demo::DEFAULT_SEED)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let files = lighed_demo::generate(&args.geography, args.seed)
        .with_context(|| format!("generating from {}", args.geography.display()))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (name, bytes) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    // Files the generator does not write would fail the regeneration test: point them out.
    let known: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for entry in
        std::fs::read_dir(&args.out).with_context(|| format!("listing {}", args.out.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !known.contains(&name.as_ref()) {
            eprintln!(
                "warning: {} is not written by the generator; remove it",
                entry.path().display()
            );
        }
    }
    Ok(())
}
