//! Dataset use cases shared by gRPC and the CLI: import a file (spooled or on disk), list,
//! inspect, retire.

use std::path::{Path, PathBuf};

use lighed_ingest::{EncodingChoice, Format, ImportOptions, Lang};
use lighed_store::DatasetRow;
use tokio::io::AsyncWriteExt;

use crate::error::AppError;
use crate::import::{self, ImportOutcome, ImportRequest};
use crate::state::AppState;

/// Builds import options from their text forms (empty = default/detected), naming the bad field.
pub fn options_from_text(
    format: &str,
    lang: &str,
    table: &str,
    encoding: &str,
) -> Result<ImportOptions, AppError> {
    let mut o = ImportOptions::default();
    if !format.trim().is_empty() {
        o.format = Some(
            format
                .parse::<Format>()
                .map_err(|e| AppError::invalid("format", e.to_string()))?,
        );
    }
    if !lang.trim().is_empty() {
        o.lang = lang
            .parse::<Lang>()
            .map_err(|e| AppError::invalid("lang", e.to_string()))?;
    }
    if !table.trim().is_empty() {
        o.table = Some(table.trim().to_owned());
    }
    if !encoding.trim().is_empty() {
        o.encoding = encoding
            .parse::<EncodingChoice>()
            .map_err(|e| AppError::invalid("encoding", e.to_string()))?;
    }
    Ok(o)
}

/// A file being received, written to a temporary file in the data directory (or the system
/// temporary directory on PostgreSQL without a data directory) and removed when dropped.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    bytes: u64,
}

/// Largest file accepted over gRPC (bytes).
pub const MAX_IMPORT_BYTES: u64 = 8 * 1024 * 1024 * 1024;

impl Spool {
    /// Creates an empty spool file.
    pub async fn new(state: &AppState) -> Result<Spool, AppError> {
        let dir = state.spool_dir.clone();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("spool dir {}: {e}", dir.display())))?;
        let path = dir.join(format!(
            "import-{}-{}.part",
            std::process::id(),
            SPOOL_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| AppError::Internal(format!("spool {}: {e}", path.display())))?;
        Ok(Spool {
            path,
            file: Some(file),
            bytes: 0,
        })
    }

    /// Appends a chunk.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), AppError> {
        self.bytes += data.len() as u64;
        if self.bytes > MAX_IMPORT_BYTES {
            return Err(AppError::invalid(
                "data",
                format!("the file exceeds the import limit of {MAX_IMPORT_BYTES} bytes"),
            ));
        }
        let f = self
            .file
            .as_mut()
            .ok_or_else(|| AppError::Internal("spool closed".into()))?;
        f.write_all(data)
            .await
            .map_err(|e| AppError::Internal(format!("spool write: {e}")))
    }

    async fn finish(&mut self) -> Result<&Path, AppError> {
        if let Some(mut f) = self.file.take() {
            f.flush()
                .await
                .map_err(|e| AppError::Internal(format!("spool flush: {e}")))?;
        }
        Ok(&self.path)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

static SPOOL_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Imports a received file.
pub async fn import_spool(
    state: &AppState,
    req: &ImportRequest,
    mut spool: Spool,
) -> Result<(DatasetRow, bool), AppError> {
    let path = spool.finish().await?.to_path_buf();
    import_file(state, req, &path, None).await
}

/// Imports a file on disk in one transaction. `progress` wraps the reader (the CLI's progress
/// bar). Returns the dataset and whether it already existed.
pub async fn import_file(
    state: &AppState,
    req: &ImportRequest,
    path: &Path,
    progress: Option<&(dyn Fn(std::fs::File) -> Box<dyn std::io::Read + Send> + Sync)>,
) -> Result<(DatasetRow, bool), AppError> {
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map_err(|e| AppError::invalid("file", format!("{}: {e}", p.display())))
    };
    let hashing = open(path)?;
    let checksum = tokio::task::spawn_blocking(move || import::sha256_of(hashing))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::invalid("file", format!("{}: {e}", path.display())))?;
    let file = open(path)?;
    let input: Box<dyn std::io::Read + Send> = match progress {
        Some(wrap) => wrap(file),
        None => Box::new(file),
    };
    let mut tx = state.store.begin().await?;
    let outcome = import::import_reader(&mut tx, &state.registry, req, input, checksum).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            tx.rollback().await?;
            return Err(e);
        }
    };
    if let ImportOutcome::Created(_) = outcome {
        tx.refresh_populations().await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    let row = get(state, outcome.id()).await?;
    tracing::info!(dataset = row.id, source = %row.source, rows = row.row_count, existing = matches!(outcome, ImportOutcome::Existing(_)), "import");
    Ok((row, matches!(outcome, ImportOutcome::Existing(_))))
}

/// Datasets, newest first.
pub async fn list(state: &AppState, include_retired: bool) -> Result<Vec<DatasetRow>, AppError> {
    let mut rows = state.store.datasets().await?;
    if !include_retired {
        rows.retain(|d| d.status == "active");
    }
    Ok(rows)
}

/// One dataset.
pub async fn get(state: &AppState, id: i64) -> Result<DatasetRow, AppError> {
    state
        .store
        .dataset(id)
        .await?
        .ok_or_else(|| AppError::not_found("id", format!("no dataset {id}")))
}

/// Retires a dataset (it stops feeding models, stays for audit).
pub async fn retire(state: &AppState, id: i64, by: &str) -> Result<DatasetRow, AppError> {
    let mut tx = state.store.begin().await?;
    match tx.retire_dataset(id, by).await {
        Ok(()) => {}
        Err(lighed_store::StoreError::DatasetNotFound(_)) => {
            return Err(AppError::not_found("id", format!("no dataset {id}")));
        }
        Err(lighed_store::StoreError::DatasetState { status, .. }) => {
            return Err(AppError::FailedPrecondition(format!(
                "dataset {id} is {status}; only an active dataset can be retired"
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.refresh_populations().await?;
    tx.commit().await?;
    get(state, id).await
}
