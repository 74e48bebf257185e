//! Reads one file with the bundled registry and prints the summary or the errors.
//!
//! `cargo run -p lighed-ingest --example ingest_file -- FILE [statbank|long] [da|en]`

use lighed_ingest::{ImportOptions, Reader, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: ingest_file FILE [statbank|long] [da|en]")?;
    let mut opts = ImportOptions::default();
    if let Some(f) = args.next() {
        opts.format = Some(f.parse()?);
    }
    if let Some(l) = args.next() {
        opts.lang = l.parse()?;
    }
    let registry = Registry::bundled()?;
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut reader = Reader::new(&path, file, &opts, &registry)?;
    let mut batches = 0u64;
    while let Some(batch) = reader.next_batch(10_000) {
        batches += u64::from(!batch.is_empty());
    }
    match reader.finish() {
        Ok(summary) => {
            println!("{batches} batches");
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Err(errors) => {
            eprintln!("{errors}");
            std::process::exit(1);
        }
    }
}
