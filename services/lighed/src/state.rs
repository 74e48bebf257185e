//! Opening the database — creating and seeding it on first use, exactly the same way for `serve`
//! and for the offline commands — and the state shared by request handlers.

use std::path::Path;
use std::sync::Arc;

use lighed_core::geo::Level;
use lighed_store::{AreaRow, Store};

use crate::catalog::ModelCatalog;
use crate::error::AppError;
use crate::import::{self, ImportRequest};
use crate::settings::Settings;

/// Shared, cheaply cloneable state of the service.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The index models.
    pub catalog: Arc<ModelCatalog>,
    /// The indicator registry.
    pub registry: Arc<lighed_ingest::Registry>,
    /// Where files received over gRPC are spooled before import.
    pub spool_dir: std::path::PathBuf,
}

/// Start-up failed.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error("cannot open database {url}: {source}")]
    Database {
        /// The URL (password redacted).
        url: String,
        /// The cause.
        source: lighed_store::StoreError,
    },
    /// A model file is invalid.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The shipped geography is inconsistent.
    #[error(transparent)]
    Geography(#[from] crate::geography::GeographyError),
    /// The indicator registry is invalid.
    #[error("indicator registry: {0}")]
    Registry(String),
    /// Seeding the demo data failed.
    #[error("loading the demo data failed: {0}")]
    Seed(AppError),
}

/// Opens (and on first use creates, migrates and seeds) the database named by `settings`, and
/// loads the models (from `models_dir` when given, else the shipped ones).
pub async fn open(
    settings: &Settings,
    models_dir: Option<&Path>,
) -> Result<AppState, StartupError> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
    }
    let url = settings.database_url();
    let store = Store::connect(&url)
        .await
        .map_err(|source| StartupError::Database {
            url: lighed_store::redact(&url),
            source,
        })?;
    let catalog = match models_dir {
        Some(dir) => ModelCatalog::from_dir(dir)?,
        None => ModelCatalog::bundled()?,
    };
    let registry =
        lighed_ingest::Registry::bundled().map_err(|e| StartupError::Registry(e.to_string()))?;
    let state = AppState {
        store,
        catalog: Arc::new(catalog),
        registry: Arc::new(registry),
        spool_dir: if settings.database_url.is_none() {
            settings.data_dir.join("spool")
        } else {
            std::env::temp_dir().join("lighed-spool")
        },
    };
    ensure_seeded(&state).await?;
    Ok(state)
}

/// On an empty database, loads the shipped geography and the SYNTHETIC demo extracts in one
/// transaction (through the same import path as `lighed import`). If another process seeded the
/// database at the same time, its result is kept.
pub async fn ensure_seeded(state: &AppState) -> Result<(), StartupError> {
    let db = |source| StartupError::Database {
        url: "(open)".into(),
        source,
    };
    if state.store.area_count().await.map_err(db)? > 0 {
        return Ok(());
    }
    let areas = crate::geography::bundled_areas()?;
    let result = async {
        let mut tx = state.store.begin().await?;
        tx.insert_areas(&areas).await?;
        for f in crate::bundle::DEMO_FILES {
            let req = ImportRequest::auto(f.name, "lighed:demo-seed");
            import::import_bytes(&mut tx, &state.registry, &req, f.bytes).await?;
        }
        tx.refresh_populations().await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!(
                areas = areas.len(),
                "created the database and loaded the SYNTHETIC demo data"
            );
            Ok(())
        }
        Err(e) => {
            if state.store.area_count().await.map_err(db)? > 0 {
                tracing::info!("the database was seeded by another process");
                Ok(())
            } else {
                Err(StartupError::Seed(e))
            }
        }
    }
}

/// Areas of `level`, optionally inside `parent` (a council code/id/name or a municipality code).
pub async fn list_areas(
    state: &AppState,
    level: &str,
    parent: &str,
) -> Result<Vec<AreaRow>, AppError> {
    let level: Level = crate::api::scoring::parse_level("level", level)?;
    let mut areas = state.store.areas(Some(level)).await?;
    let parent = parent.trim();
    if !parent.is_empty() {
        let all_councils = state.store.areas(Some(Level::Council)).await?;
        let council = all_councils.iter().find(|c| {
            c.code.eq_ignore_ascii_case(parent)
                || c.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(parent))
                || c.name.eq_ignore_ascii_case(parent)
        });
        if let Some(c) = council {
            areas
                .retain(|a| a.council_code.as_deref() == Some(c.code.as_str()) && a.code != c.code);
        } else {
            match state.store.area(parent).await? {
                Some(p) if p.level() == Some(Level::Municipality) => areas.retain(|a| {
                    a.municipality_code.as_deref() == Some(p.code.as_str()) && a.code != p.code
                }),
                Some(p) if p.level() == Some(Level::Region) => {}
                Some(p) => {
                    return Err(AppError::invalid(
                        "parent",
                        format!(
                            "area {} is a {}; a parent must be the region, a council or a municipality",
                            p.code, p.level
                        ),
                    ));
                }
                None => {
                    return Err(AppError::not_found(
                        "parent",
                        format!("no council or municipality '{parent}'"),
                    ));
                }
            }
        }
    }
    Ok(areas)
}
