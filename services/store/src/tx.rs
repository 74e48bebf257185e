//! [`StoreTx`]: the all-or-nothing unit of work for seeding and imports.

use lighed_core::obs::Observation;
use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use crate::rows::{DatasetDone, NewArea, NewDataset};
use crate::{Pool, Result, StoreError, now_rfc3339};

/// Rows per multi-row INSERT: 10 parameters a row stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bound-parameter limits.
const ROWS_PER_INSERT: usize = 500;

pub(crate) enum Inner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open transaction. Dropping it without [`StoreTx::commit`] rolls everything back.
///
/// Observations are first written to an unindexed temporary staging table (on disk: SQLite's
/// temporary directory, PostgreSQL's temporary tablespace) and moved into `observations` in
/// primary-key order when the dataset is activated or the transaction commits. A bulk import then
/// appends to the key and index b-trees in order instead of inserting at random places. Measured
/// here (loaded 2-core machine): `lighed import` of 1 M rows into SQLite 50.6 s → 10.2 s, a second
/// 1 M-row dataset on top 144 s → 7.7 s; on PostgreSQL, 10 M rows into the indexed table by
/// `psql \copy` took 299 s directly and 183 s staged and sorted. The staging table is
/// transactional like everything else: a rollback or a killed process leaves nothing.
pub struct StoreTx {
    inner: Inner,
    /// Observations are waiting in the SQLite staging table.
    staged: bool,
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreTx")
    }
}

impl StoreTx {
    pub(crate) async fn begin(pool: &Pool) -> Result<StoreTx> {
        let inner = match pool {
            Pool::Sqlite(p) => Inner::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Inner::Postgres(p.begin().await?),
        };
        Ok(StoreTx {
            inner,
            staged: false,
        })
    }

    /// Makes everything written in this transaction durable and visible.
    pub async fn commit(mut self) -> Result<()> {
        self.flush_staged().await?;
        match self.inner {
            Inner::Sqlite(t) => t.commit().await?,
            Inner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Discards everything written in this transaction.
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(t) => t.rollback().await?,
            Inner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Inserts areas in order (parents before children).
    pub async fn insert_areas(&mut self, areas: &[NewArea]) -> Result<()> {
        for a in areas {
            on_tx!(&mut self.inner, t => {
                sqlx::query(
                    "INSERT INTO areas (code, name, level, alias, parent_code, municipality_code, council_code, lon, lat) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&a.code)
                .bind(&a.name)
                .bind(a.level.as_str())
                .bind(a.alias.as_deref())
                .bind(a.parent_code.as_deref())
                .bind(a.municipality_code.as_deref())
                .bind(a.council_code.as_deref())
                .bind(a.centroid.map(|c| c.0))
                .bind(a.centroid.map(|c| c.1))
                .execute(&mut **t)
                .await?;
            });
        }
        Ok(())
    }

    /// The id of the dataset imported from bytes with this sha256, if any (any status).
    pub async fn dataset_id_by_checksum(&mut self, checksum: &str) -> Result<Option<i64>> {
        let id: Option<i64> = on_tx!(&mut self.inner, t => {
            sqlx::query_scalar("SELECT id FROM datasets WHERE checksum = $1")
                .bind(checksum)
                .fetch_optional(&mut **t)
                .await?
        });
        Ok(id)
    }

    /// Creates a dataset in status `loading` and returns its id.
    pub async fn create_dataset(&mut self, d: &NewDataset) -> Result<i64> {
        let id: i64 = on_tx!(&mut self.inner, t => {
            sqlx::query_scalar(
                "INSERT INTO datasets (source, format, table_id, checksum, encoding, presentation, imported_by, created_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'loading') RETURNING id",
            )
            .bind(&d.source)
            .bind(&d.format)
            .bind(d.table_id.as_deref())
            .bind(&d.checksum)
            .bind(d.encoding.as_deref())
            .bind(d.presentation.as_deref())
            .bind(&d.imported_by)
            .bind(now_rfc3339())
            .fetch_one(&mut **t)
            .await?
        });
        Ok(id)
    }

    /// Inserts a batch of observations of dataset `dataset_id` into the transaction's staging
    /// table (see [`StoreTx`]) — `COPY … FROM STDIN` (CSV) on PostgreSQL, multi-row INSERTs on
    /// SQLite — from which [`StoreTx::activate_dataset`] or [`StoreTx::commit`] move them into
    /// place.
    pub async fn insert_observations(
        &mut self,
        dataset_id: i64,
        obs: &[Observation],
    ) -> Result<()> {
        match &mut self.inner {
            Inner::Postgres(t) => {
                if !self.staged {
                    sqlx::query("DROP TABLE IF EXISTS pg_temp.observations_staging")
                        .execute(&mut **t)
                        .await?;
                    sqlx::query(
                        "CREATE TEMP TABLE observations_staging (LIKE observations INCLUDING DEFAULTS) ON COMMIT DROP",
                    )
                    .execute(&mut **t)
                    .await?;
                    self.staged = true;
                }
                let csv = copy_csv(dataset_id, obs)?;
                let mut copy = t
                    .copy_in_raw(
                        "COPY observations_staging (dataset_id, area_code, indicator, period, age_band, sex, segment, numerator, denominator, missing_reason) FROM STDIN WITH (FORMAT csv)",
                    )
                    .await?;
                copy.send(csv).await?;
                copy.finish().await?;
            }
            Inner::Sqlite(t) => {
                if !self.staged {
                    sqlx::query("DROP TABLE IF EXISTS temp.observations_staging")
                        .execute(&mut **t)
                        .await?;
                    sqlx::query(
                        "CREATE TEMP TABLE observations_staging (dataset_id BIGINT NOT NULL, area_code TEXT NOT NULL, \
                         indicator TEXT NOT NULL, period TEXT NOT NULL, age_band TEXT NOT NULL, sex TEXT NOT NULL, \
                         segment TEXT NOT NULL, numerator DOUBLE PRECISION, denominator DOUBLE PRECISION, missing_reason TEXT)",
                    )
                    .execute(&mut **t)
                    .await?;
                    self.staged = true;
                }
                const HEAD: &str = "INSERT INTO temp.observations_staging (dataset_id, area_code, indicator, period, age_band, sex, segment, numerator, denominator, missing_reason) ";
                for chunk in obs.chunks(ROWS_PER_INSERT) {
                    let mut qb = QueryBuilder::new(HEAD);
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(dataset_id)
                            .push_bind(o.area_code.as_str())
                            .push_bind(o.indicator.as_str())
                            .push_bind(o.period.as_str())
                            .push_bind(o.age_band.as_str())
                            .push_bind(o.sex.as_str())
                            .push_bind(o.segment.as_str())
                            .push_bind(o.numerator)
                            .push_bind(o.denominator)
                            .push_bind(o.missing.map(|m| m.as_str()));
                    });
                    qb.build().execute(&mut **t).await?;
                }
            }
        }
        Ok(())
    }

    /// Moves staged observations into `observations`, in primary-key order.
    async fn flush_staged(&mut self) -> Result<()> {
        if !self.staged {
            return Ok(());
        }
        const MOVE: &str = "INSERT INTO observations (dataset_id, area_code, indicator, period, age_band, sex, segment, numerator, denominator, missing_reason) \
             SELECT dataset_id, area_code, indicator, period, age_band, sex, segment, numerator, denominator, missing_reason \
             FROM observations_staging ORDER BY dataset_id, area_code, indicator, period, age_band, sex, segment";
        match &mut self.inner {
            Inner::Sqlite(t) => {
                sqlx::query(MOVE).execute(&mut **t).await?;
                sqlx::query("DROP TABLE temp.observations_staging")
                    .execute(&mut **t)
                    .await?;
            }
            Inner::Postgres(t) => {
                // The sort may use 64 MB before it spills to disk (this transaction only).
                sqlx::query("SET LOCAL work_mem = '64MB'")
                    .execute(&mut **t)
                    .await?;
                sqlx::query(MOVE).execute(&mut **t).await?;
                sqlx::query("DROP TABLE pg_temp.observations_staging")
                    .execute(&mut **t)
                    .await?;
            }
        }
        self.staged = false;
        Ok(())
    }

    /// Marks a `loading` dataset `active` with what the reader found.
    pub async fn activate_dataset(&mut self, id: i64, done: &DatasetDone) -> Result<()> {
        self.flush_staged().await?;
        let n = on_tx!(&mut self.inner, t => {
            sqlx::query(
                "UPDATE datasets SET status = 'active', periods = $2, row_count = $3, missing_count = $4, \
                 table_id = COALESCE($5, table_id), presentation = COALESCE($6, presentation) \
                 WHERE id = $1 AND status = 'loading'",
            )
            .bind(id)
            .bind(&done.periods)
            .bind(done.row_count)
            .bind(done.missing_count)
            .bind(done.table_id.as_deref())
            .bind(done.presentation.as_deref())
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        if n != 1 {
            return Err(StoreError::DatasetState {
                id,
                status: "not loading".into(),
                what: "activate",
            });
        }
        Ok(())
    }

    /// Retires an active dataset: it stops feeding models but stays for audit.
    pub async fn retire_dataset(&mut self, id: i64, by: &str) -> Result<()> {
        let status: Option<String> = on_tx!(&mut self.inner, t => {
            sqlx::query_scalar("SELECT status FROM datasets WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?
        });
        match status.as_deref() {
            None => return Err(StoreError::DatasetNotFound(id)),
            Some("active") => {}
            Some(other) => {
                return Err(StoreError::DatasetState {
                    id,
                    status: other.to_owned(),
                    what: "retire (only an active dataset can be retired)",
                });
            }
        }
        on_tx!(&mut self.inner, t => {
            sqlx::query("UPDATE datasets SET status = 'retired', retired_at = $2, retired_by = $3 WHERE id = $1")
                .bind(id)
                .bind(now_rfc3339())
                .bind(by)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }

    /// Sets every area's population to its latest whole-population `population` value in the
    /// active datasets (NULL when there is none). Run after every import or retirement.
    pub async fn refresh_populations(&mut self) -> Result<()> {
        on_tx!(&mut self.inner, t => {
            sqlx::query(
                "UPDATE areas SET population = (\
                   SELECT CAST(o.numerator AS BIGINT) FROM observations o \
                   JOIN datasets d ON d.id = o.dataset_id AND d.status = 'active' \
                   WHERE o.area_code = areas.code AND o.indicator = 'population' \
                     AND o.age_band = '' AND o.sex = '' AND o.segment = '' AND o.numerator IS NOT NULL \
                   ORDER BY o.period DESC, o.dataset_id DESC LIMIT 1)",
            )
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }
}

/// The rows as PostgreSQL `COPY` CSV: empty unquoted field = NULL, so the (never NULL) text
/// columns are always quoted to keep an empty string an empty string. Numbers use Rust's
/// shortest round-trip formatting, so every f64 arrives bit-exact.
fn copy_csv(dataset_id: i64, obs: &[Observation]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::Never)
        .from_writer(Vec::with_capacity(obs.len() * 64));
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let num = |v: Option<f64>| v.map(|x| format!("{x:?}")).unwrap_or_default();
    for o in obs {
        w.write_record([
            dataset_id.to_string(),
            quote(&o.area_code),
            quote(&o.indicator),
            quote(&o.period),
            quote(&o.age_band),
            quote(&o.sex),
            quote(&o.segment),
            num(o.numerator),
            num(o.denominator),
            o.missing.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        ])
        .map_err(|e| StoreError::Encode(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| StoreError::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lighed_core::obs::MissingReason;

    #[test]
    fn copy_csv_quotes_text_and_keeps_nulls_and_exact_numbers() {
        let o = Observation {
            area_code: "65\"7".into(),
            indicator: "a,b".into(),
            period: "2025".into(),
            numerator: Some(0.1 + 0.2),
            denominator: None,
            age_band: String::new(),
            sex: "1".into(),
            segment: String::new(),
            missing: None,
        };
        let m = Observation {
            numerator: None,
            missing: Some(MissingReason::Suppressed),
            ..o.clone()
        };
        let text = String::from_utf8(copy_csv(7, &[o, m]).unwrap()).unwrap();
        assert_eq!(
            text,
            "7,\"65\"\"7\",\"a,b\",\"2025\",\"\",\"1\",\"\",0.30000000000000004,,\n\
             7,\"65\"\"7\",\"a,b\",\"2025\",\"\",\"1\",\"\",,,suppressed\n"
        );
    }
}
