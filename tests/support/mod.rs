//! Shared helpers for the end-to-end tests: start the real server on `127.0.0.1:0` over a fresh
//! database (a SQLite file in a temporary directory, or a freshly created PostgreSQL database
//! when `LIGHED_TEST_POSTGRES_URL` is set), and connect real tonic clients to it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use lighed::settings::Settings;
use lighed::state::AppState;
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "LIGHED_TEST_POSTGRES_URL";

/// Which database a test server uses.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in a fresh temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this URL.
    Postgres(String),
}

/// The PostgreSQL URL for tests, or `None` after printing that PostgreSQL tests are skipped.
pub fn postgres_backend(test: &str) -> Option<Backend> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
        _ => {
            println!(
                "SKIPPED {test}: {POSTGRES_ENV} is not set, so the PostgreSQL variant did not run"
            );
            None
        }
    }
}

/// A running server and what it needs to be torn down.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (for direct checks on the store).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates a uniquely named database on the server of `base_url` and returns its URL and name.
pub async fn create_pg_database(base_url: &str) -> (String, String) {
    let name = format!(
        "lighed_e2e_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut conn = sqlx::PgConnection::connect(base_url)
        .await
        .expect("connect to LIGHED_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    (with_database(base_url, &name), name)
}

/// Drops a database created by [`create_pg_database`].
pub async fn drop_pg_database(base_url: &str, name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(base_url).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        conn.close().await.ok();
    }
}

/// `base_url` with its database name replaced by `name`.
pub fn with_database(base_url: &str, name: &str) -> String {
    let (head, query) = match base_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base_url, None),
    };
    let after_scheme = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[after_scheme..].find('/') {
        Some(i) => &head[..after_scheme + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestServer {
    /// Starts the real server over a fresh database of `backend`.
    pub async fn start(backend: &Backend) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres(base) => {
                let (url, name) = create_pg_database(base).await;
                (Some(url), Some((base.clone(), name)))
            }
        };
        let settings = Settings {
            data_dir: dir.path().join("data"),
            database_url,
            listen: "127.0.0.1:0".parse().expect("address"),
        };
        let state = lighed::state::open(&settings, None)
            .await
            .expect("open state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let handle = tokio::spawn(async move {
            lighed::server::serve(listener, served, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        TestServer {
            addr,
            state,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: dir,
            pg,
        }
    }

    /// A channel to the server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    }

    /// Shuts the server down, waits for it, and drops a PostgreSQL test database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
        self.state.store.close().await;
        if let Some((base, name)) = self.pg.take() {
            drop_pg_database(&base, &name).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
