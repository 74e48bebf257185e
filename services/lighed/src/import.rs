//! The one import path: bytes → [`lighed_ingest`] reader (validation, typed observations) →
//! one store transaction. Used by `lighed import`, the gRPC import and the demo seeding, so demo
//! data is checked exactly like a user's file.
//!
//! All-or-nothing: observations are inserted batch by batch into a dataset row in status
//! `loading` inside the caller's transaction; only when the reader has reached the end without a
//! single error is the dataset activated. Any error is returned and the caller rolls back
//! (dropping the transaction does). Identical bytes (same sha256) return the existing dataset
//! instead of a duplicate.
//!
//! Bounded memory: the reader runs on a blocking thread and hands batches of [`BATCH_ROWS`]
//! observations through a channel of [`BATCH_QUEUE`] slots to the inserting task, so a file of
//! any size is held at most a few batches at a time.

use std::io::Read;
use std::sync::Arc;

use lighed_core::obs::Observation;
use lighed_ingest::{DatasetSummary, Format, ImportOptions, IngestErrors, Reader, Registry};
use lighed_store::{DatasetDone, NewDataset, StoreTx};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::error::{AppError, FieldViolation};

/// Observations per batch read from the file and inserted.
pub const BATCH_ROWS: usize = 5_000;
/// Batches buffered between the reading thread and the inserting task.
pub const BATCH_QUEUE: usize = 2;

/// What to import and who imports it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The name recorded as the dataset's source (a file name).
    pub source_name: String,
    /// Format, language, table, encoding (unset = detected).
    pub options: ImportOptions,
    /// The principal importing it.
    pub imported_by: String,
}

impl ImportRequest {
    /// Every option detected from the file.
    pub fn auto(source_name: &str, imported_by: &str) -> ImportRequest {
        ImportRequest {
            source_name: source_name.to_owned(),
            options: ImportOptions::default(),
            imported_by: imported_by.to_owned(),
        }
    }
}

/// The result of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new dataset was created with this id.
    Created(i64),
    /// The same bytes were imported before as this dataset; nothing was written.
    Existing(i64),
}

impl ImportOutcome {
    /// The dataset id.
    pub fn id(self) -> i64 {
        match self {
            ImportOutcome::Created(id) | ImportOutcome::Existing(id) => id,
        }
    }
}

impl From<IngestErrors> for AppError {
    fn from(e: IngestErrors) -> AppError {
        let violations: Vec<FieldViolation> = e
            .errors
            .iter()
            .map(|x| FieldViolation {
                field: format!("{}:{}:{}", x.source_name, x.line, x.column),
                description: x.to_string(),
            })
            .collect();
        let first = e.errors.first().map(|x| x.to_string()).unwrap_or_default();
        let message = if e.total > 1 {
            format!("file rejected with {} errors; first: {first}", e.total)
        } else {
            format!("file rejected: {first}")
        };
        AppError::InvalidArgument {
            message,
            violations,
        }
    }
}

/// The sha256 (hex) of everything `input` yields.
pub fn sha256_of(mut input: impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

enum Msg {
    Opened { format: Format, encoding: String },
    Batch(Vec<Observation>),
    Done(Result<DatasetSummary, IngestErrors>),
}

/// Imports in-memory bytes inside `tx` (used for the bundled demo files).
pub async fn import_bytes(
    tx: &mut StoreTx,
    registry: &Arc<Registry>,
    req: &ImportRequest,
    bytes: &'static [u8],
) -> Result<ImportOutcome, AppError> {
    let checksum = hex::encode(Sha256::digest(bytes));
    import_reader(tx, registry, req, bytes, checksum).await
}

/// Imports everything `input` yields inside `tx`; `checksum` is the sha256 of those bytes,
/// computed beforehand (so a duplicate is found before anything is parsed) and checked again
/// while reading. On `Err` the caller must roll back.
pub async fn import_reader<R: Read + Send + 'static>(
    tx: &mut StoreTx,
    registry: &Arc<Registry>,
    req: &ImportRequest,
    input: R,
    checksum: String,
) -> Result<ImportOutcome, AppError> {
    if let Some(id) = tx.dataset_id_by_checksum(&checksum).await? {
        return Ok(ImportOutcome::Existing(id));
    }
    let (sender, mut receiver) = mpsc::channel::<Msg>(BATCH_QUEUE);
    let registry = Arc::clone(registry);
    let name = req.source_name.clone();
    let options = req.options.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let mut reader = match Reader::new(&name, input, &options, &registry) {
            Ok(r) => r,
            Err(e) => {
                let _ = sender.blocking_send(Msg::Done(Err(e)));
                return;
            }
        };
        let opened = Msg::Opened {
            format: reader.format(),
            encoding: encoding_label(&reader.encoding()),
        };
        if sender.blocking_send(opened).is_err() {
            return;
        }
        while let Some(batch) = reader.next_batch(BATCH_ROWS) {
            if sender.blocking_send(Msg::Batch(batch)).is_err() {
                return; // the inserting side failed and went away
            }
        }
        let _ = sender.blocking_send(Msg::Done(reader.finish()));
    });

    let mut dataset_id: Option<i64> = None;
    let mut outcome: Option<Result<DatasetSummary, IngestErrors>> = None;
    while let Some(msg) = receiver.recv().await {
        match msg {
            Msg::Opened { format, encoding } => {
                dataset_id = Some(
                    tx.create_dataset(&NewDataset {
                        source: req.source_name.clone(),
                        format: format.as_str().to_owned(),
                        table_id: req.options.table.clone(),
                        checksum: checksum.clone(),
                        encoding: Some(encoding),
                        presentation: None,
                        imported_by: req.imported_by.clone(),
                    })
                    .await?,
                );
            }
            Msg::Batch(batch) => {
                let id =
                    dataset_id.ok_or_else(|| AppError::Internal("batch before header".into()))?;
                tx.insert_observations(id, &batch).await?;
            }
            Msg::Done(r) => outcome = Some(r),
        }
    }
    reading
        .await
        .map_err(|e| AppError::Internal(format!("the reading thread failed: {e}")))?;
    let summary =
        outcome.ok_or_else(|| AppError::Internal("the reader stopped early".into()))??;
    let id = dataset_id.ok_or_else(|| AppError::Internal("no dataset created".into()))?;
    if summary.sha256 != checksum {
        return Err(AppError::FailedPrecondition(format!(
            "{} changed while it was being imported (sha256 {} before, {} while reading)",
            req.source_name, checksum, summary.sha256
        )));
    }
    tx.activate_dataset(
        id,
        &DatasetDone {
            periods: summary.periods.join(","),
            row_count: i64::try_from(summary.observations).unwrap_or(i64::MAX),
            missing_count: i64::try_from(summary.missing_suppressed + summary.missing_empty)
                .unwrap_or(i64::MAX),
            table_id: summary.table.clone(),
            presentation: summary.presentation.map(|p| p.as_str().to_owned()),
        },
    )
    .await?;
    Ok(ImportOutcome::Created(id))
}

fn encoding_label(e: &lighed_ingest::EncodingInfo) -> String {
    format!(
        "{}{}{}",
        e.encoding.as_str(),
        if e.bom { "+bom" } else { "" },
        if e.detected { " (detected)" } else { "" }
    )
}
