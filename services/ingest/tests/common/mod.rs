//! Shared helpers of the integration tests: read a whole input through the public API.

#![allow(dead_code)]

use std::path::PathBuf;

use lighed_core::obs::Observation;
use lighed_ingest::{
    DatasetSummary, ErrorKind, ImportOptions, IngestError, IngestErrors, Lang, Reader, Registry,
};

/// Reads everything; returns the observations and the summary, or the errors (from `new` or
/// `finish`). Batches of 7 exercise batching.
pub fn read_with(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    registry: &Registry,
) -> Result<(Vec<Observation>, DatasetSummary), IngestErrors> {
    let mut reader = Reader::new(name, bytes, opts, registry)?;
    let mut all = Vec::new();
    while let Some(batch) = reader.next_batch(7) {
        assert!(
            !batch.is_empty() && batch.len() <= 7,
            "batch of {}",
            batch.len()
        );
        all.extend(batch);
    }
    let summary = reader.finish()?;
    assert_eq!(
        summary.observations,
        all.len() as u64,
        "summary counts what was handed out"
    );
    Ok((all, summary))
}

pub fn read(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<(Vec<Observation>, DatasetSummary), IngestErrors> {
    read_with(name, bytes, opts, &registry())
}

pub fn registry() -> Registry {
    Registry::bundled().expect("bundled registry is valid")
}

pub fn lang(lang: Lang) -> ImportOptions {
    ImportOptions {
        lang,
        ..ImportOptions::default()
    }
}

/// The single error of a rejected input (fails if accepted or if there are several).
pub fn only_error(result: Result<(Vec<Observation>, DatasetSummary), IngestErrors>) -> IngestError {
    match result {
        Ok((obs, _)) => panic!("accepted with {} observations", obs.len()),
        Err(e) => {
            assert_eq!(e.errors.len(), 1, "expected one error, got:\n{e}");
            e.errors.into_iter().next().unwrap()
        }
    }
}

/// Asserts kind code, line and column of an error, and that its message names them.
pub fn assert_at(e: &IngestError, code: &str, line: u64, column: u64) {
    assert_eq!(e.kind.code(), code, "{e}");
    assert_eq!((e.line, e.column), (line, column), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}:{line}:{column}: ", e.source_name)),
        "{text}"
    );
    assert!(text.contains(" — "), "{text}");
}

pub fn kind_of(e: &IngestError) -> &ErrorKind {
    &e.kind
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture exists")
}

/// The value of the single observation matching (area, period, age band, sex).
pub fn value(obs: &[Observation], area: &str, period: &str, age: &str, sex: &str) -> Option<f64> {
    let hits: Vec<&Observation> = obs
        .iter()
        .filter(|o| o.area_code == area && o.period == period && o.age_band == age && o.sex == sex)
        .collect();
    assert!(
        hits.len() <= 1,
        "{} observations for {area} {period} {age} {sex}",
        hits.len()
    );
    hits.first().and_then(|o| o.numerator)
}
