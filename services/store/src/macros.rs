//! One body, expanded once per backend, so every query is compiled for SQLite and PostgreSQL.

/// `on_pool!(&pool, p => body)`: runs `body` with `p` bound to the concrete sqlx pool.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}

/// `on_tx!(&mut tx, t => body)`: runs `body` with `t` bound to the concrete sqlx transaction.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::tx::Inner::Sqlite($t) => $body,
            $crate::tx::Inner::Postgres($t) => $body,
        }
    };
}

/// The column list of [`crate::AreaRow`] (a macro so it can be `concat!`-ed into static SQL).
macro_rules! area_select {
    () => {
        "SELECT code, name, level, alias, parent_code, municipality_code, council_code, population, lon, lat FROM areas"
    };
}

/// The column list of [`crate::DatasetRow`].
macro_rules! dataset_select {
    () => {
        "SELECT id, source, format, table_id, checksum, encoding, presentation, periods, row_count, missing_count, imported_by, created_at, status, retired_at, retired_by FROM datasets"
    };
}
