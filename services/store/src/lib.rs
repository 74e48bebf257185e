//! # lighed-store
//!
//! Persistence for lighed on SQLite (the embedded default: one file in the data directory) or
//! PostgreSQL (production), through sqlx with runtime-checked queries, so a fresh machine builds
//! with cargo alone (no `DATABASE_URL` at build time).
//!
//! The same SQL text runs on both backends (`$n` placeholders, portable types); the two migration
//! folders (`migrations/sqlite`, `migrations/postgres`) differ only where the dialects do
//! (identity columns). [`Store`] wraps either pool; the private `on_pool!`/`on_tx!` macros expand
//! one body per backend, so every query is compiled for both.
//!
//! Module map:
//! - [`rows`]: row types read from and written to the tables.
//! - [`tx`]: [`StoreTx`], the unit of work for imports and seeding (all-or-nothing).
//!
//! Invariants:
//! - An observation is only visible to models when its dataset is `active`; a dataset is created
//!   `loading` and activated in the same transaction that inserted its rows, so a crash mid-import
//!   leaves nothing behind.
//! - Missing values stay missing (`NULL` with a `missing_reason`), never 0.

#[macro_use]
mod macros;
pub mod rows;
pub mod tx;

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use lighed_core::geo::Level;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use rows::{
    AreaRow, DataVersion, DatasetDone, DatasetRow, NewArea, NewDataset, NewRun, ObservationRow,
    ObservationValue,
};
pub use tx::StoreTx;

/// Errors of the store. Database causes are kept as sources for logging; callers map them to an
/// internal error without sending the details to clients.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no backend this build supports.
    #[error("unsupported database URL '{0}': expected sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A query or connection failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No dataset with that id.
    #[error("dataset {0} not found")]
    DatasetNotFound(i64),
    /// Rows could not be encoded for `COPY`.
    #[error("encoding rows for COPY: {0}")]
    Encode(String),
    /// The dataset is not in a state that allows the operation.
    #[error("dataset {id} is {status}: {what}")]
    DatasetState {
        /// Dataset id.
        id: i64,
        /// Its current status.
        status: String,
        /// What was attempted.
        what: &'static str,
    },
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone (it holds a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
}

/// The current time as RFC 3339 UTC with seconds, the format of every stored timestamp.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl Store {
    /// Connects to `url` (`sqlite:PATH` — the file is created if missing — or `postgres://…`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        let pool = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // WAL + NORMAL: a crash can lose the last commits but never corrupts the file
                // or leaves half a transaction (SQLite docs, "WAL mode"); imports run as one
                // transaction, so this only makes commits cheaper.
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .pragma("cache_size", "-65536")
                // Temporary tables and large sorts (the import staging table) go to files in
                // SQLite's temporary directory, so an import of any size runs in bounded memory.
                .pragma("temp_store", "file");
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?,
            )
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Starts a unit of work; nothing it writes is visible until [`StoreTx::commit`].
    pub async fn begin(&self) -> Result<StoreTx> {
        StoreTx::begin(&self.pool).await
    }

    /// Number of areas (0 on a fresh database).
    pub async fn area_count(&self) -> Result<i64> {
        let n: i64 = on_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM areas").fetch_one(p).await?
        });
        Ok(n)
    }

    /// Areas, optionally of one level, ordered by code.
    pub async fn areas(&self, level: Option<Level>) -> Result<Vec<AreaRow>> {
        let rows = on_pool!(&self.pool, p => {
            match level {
                Some(l) => sqlx::query_as::<_, AreaRow>(concat!(area_select!(), " WHERE level = $1 ORDER BY code"))
                    .bind(l.as_str())
                    .fetch_all(p)
                    .await?,
                None => sqlx::query_as::<_, AreaRow>(concat!(area_select!(), " ORDER BY code"))
                    .fetch_all(p)
                    .await?,
            }
        });
        Ok(rows)
    }

    /// One area by code.
    pub async fn area(&self, code: &str) -> Result<Option<AreaRow>> {
        let row = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, AreaRow>(concat!(area_select!(), " WHERE code = $1"))
            .bind(code)
            .fetch_optional(p)
            .await?
        });
        Ok(row)
    }

    /// Every dataset, newest first.
    pub async fn datasets(&self) -> Result<Vec<DatasetRow>> {
        let rows = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, DatasetRow>(concat!(dataset_select!(), " ORDER BY id DESC"))
                .fetch_all(p)
                .await?
        });
        Ok(rows)
    }

    /// One dataset by id.
    pub async fn dataset(&self, id: i64) -> Result<Option<DatasetRow>> {
        let row = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, DatasetRow>(concat!(dataset_select!(), " WHERE id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// The dataset whose bytes had this sha256, if it was imported before.
    pub async fn dataset_by_checksum(&self, checksum: &str) -> Result<Option<DatasetRow>> {
        let row = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, DatasetRow>(concat!(dataset_select!(), " WHERE checksum = $1"))
                .bind(checksum)
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// The version of the data models see: a digest over the active datasets' ids and checksums.
    pub async fn data_version(&self) -> Result<DataVersion> {
        let active: Vec<(i64, String)> = on_pool!(&self.pool, p => {
            sqlx::query_as("SELECT id, checksum FROM datasets WHERE status = 'active' ORDER BY id")
                .fetch_all(p)
                .await?
        });
        Ok(DataVersion::from_active(&active))
    }

    /// Whole-population values (no age band, sex or segment) of every active observation for the
    /// areas of `level`, ordered by area, indicator, period and dataset.
    pub async fn level_values(&self, level: Level) -> Result<Vec<ObservationValue>> {
        let rows = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, ObservationValue>(
                "SELECT o.area_code, o.indicator, o.period, o.numerator, o.denominator, o.missing_reason, o.dataset_id \
                 FROM observations o \
                 JOIN datasets d ON d.id = o.dataset_id AND d.status = 'active' \
                 JOIN areas a ON a.code = o.area_code AND a.level = $1 \
                 WHERE o.age_band = '' AND o.sex = '' AND o.segment = '' \
                 ORDER BY o.area_code, o.indicator, o.period, o.dataset_id",
            )
            .bind(level.as_str())
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Every observation of `indicator` in the active datasets, every breakdown (age band, sex,
    /// segment) included, ordered by dataset, area, period, age band, sex and segment. Used for
    /// breakdowns such as citizen-segment aggregates, which [`Store::level_values`] leaves out.
    pub async fn indicator_rows(&self, indicator: &str) -> Result<Vec<ObservationRow>> {
        let rows = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, ObservationRow>(
                "SELECT o.dataset_id, o.area_code, o.indicator, o.period, o.age_band, o.sex, o.segment, o.numerator, o.denominator, o.missing_reason \
                 FROM observations o \
                 JOIN datasets d ON d.id = o.dataset_id AND d.status = 'active' \
                 WHERE o.indicator = $1 \
                 ORDER BY o.dataset_id, o.area_code, o.period, o.age_band, o.sex, o.segment",
            )
            .bind(indicator)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Records a model run (who asked, what model, which data) and returns its id.
    pub async fn record_run(&self, run: &NewRun) -> Result<i64> {
        let id: i64 = on_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "INSERT INTO model_runs (model_name, model_version, level, scope, data_version, dataset_ids, requested_by, channel, created_at, row_count, result_sha256) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(&run.model_name)
            .bind(&run.model_version)
            .bind(&run.level)
            .bind(&run.scope)
            .bind(&run.data_version)
            .bind(&run.dataset_ids)
            .bind(&run.requested_by)
            .bind(&run.channel)
            .bind(now_rfc3339())
            .bind(run.row_count)
            .bind(&run.result_sha256)
            .fetch_one(p)
            .await?
        });
        Ok(id)
    }

    /// Number of recorded model runs.
    pub async fn run_count(&self) -> Result<i64> {
        let n: i64 = on_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM model_runs").fetch_one(p).await?
        });
        Ok(n)
    }

    /// A sha256 over the whole content of the database (areas, datasets, observations; model
    /// runs are counted), in a fixed order — equal digests mean equal content. Used to show that
    /// a rejected import left the database unchanged, and by auditors to compare two copies.
    pub async fn content_digest(&self) -> Result<String> {
        let mut h = Sha256::new();
        let areas = self.areas(None).await?;
        for a in &areas {
            h.update(format!("{a:?}\n").as_bytes());
        }
        for d in self.datasets().await? {
            h.update(format!("{d:?}\n").as_bytes());
        }
        let obs: Vec<rows::ObservationRow> = on_pool!(&self.pool, p => {
            sqlx::query_as::<_, rows::ObservationRow>(
                "SELECT dataset_id, area_code, indicator, period, age_band, sex, segment, numerator, denominator, missing_reason \
                 FROM observations ORDER BY dataset_id, area_code, indicator, period, age_band, sex, segment",
            )
            .fetch_all(p)
            .await?
        });
        for o in &obs {
            h.update(format!("{o:?}\n").as_bytes());
        }
        h.update(format!("runs:{}\n", self.run_count().await?).as_bytes());
        Ok(hex::encode(h.finalize()))
    }

    /// Number of observations stored (all datasets).
    pub async fn observation_count(&self) -> Result<i64> {
        let n: i64 = on_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM observations").fetch_one(p).await?
        });
        Ok(n)
    }

    /// Runs SQLite's `PRAGMA integrity_check` (on PostgreSQL, which has no equivalent, a check
    /// that every observation belongs to an existing dataset) and returns whether the database
    /// is sound.
    pub async fn integrity_ok(&self) -> Result<bool> {
        match &self.pool {
            Pool::Sqlite(p) => {
                let r: String = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(p)
                    .await?;
                Ok(r == "ok")
            }
            Pool::Postgres(p) => {
                // PostgreSQL keeps its own pages consistent; what lighed can break is the
                // reference from observations to datasets (not enforced per row, see migration
                // 0003): no observation may belong to a dataset that does not exist.
                let orphans: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM observations o \
                     WHERE NOT EXISTS (SELECT 1 FROM datasets d WHERE d.id = o.dataset_id))",
                )
                .fetch_one(p)
                .await?;
                Ok(!orphans)
            }
        }
    }
}

impl DataVersion {
    /// Builds the version from the active datasets' (id, checksum) pairs.
    pub fn from_active(active: &[(i64, String)]) -> DataVersion {
        let mut h = Sha256::new();
        for (id, checksum) in active {
            h.update(format!("{id}:{checksum}\n").as_bytes());
        }
        let digest = hex::encode(h.finalize());
        DataVersion {
            version: if active.is_empty() {
                "d-empty".to_owned()
            } else {
                format!("d-{}", &digest[..12])
            },
            dataset_ids: active.iter().map(|(id, _)| *id).collect(),
        }
    }
}

/// Removes a password from a database URL before it is shown or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(redact("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
    }

    #[test]
    fn data_version_depends_on_ids_and_checksums() {
        let a = DataVersion::from_active(&[(1, "aa".into()), (2, "bb".into())]);
        let b = DataVersion::from_active(&[(1, "aa".into()), (3, "bb".into())]);
        assert_ne!(a.version, b.version);
        assert_eq!(a.version.len(), 14);
        assert_eq!(DataVersion::from_active(&[]).version, "d-empty");
    }
}
