//! Typed settings shared by `serve` and the offline commands.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives and where to listen.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data directory; the embedded SQLite database is `lighed.db` inside it.
    pub data_dir: PathBuf,
    /// A database URL overriding the embedded default (`postgres://…` in production).
    pub database_url: Option<String>,
    /// The gRPC listen address.
    pub listen: SocketAddr,
}

/// The default listen address: loopback only, so a first run exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";

impl Settings {
    /// The database URL in effect: the override, or `sqlite:<data_dir>/lighed.db`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite:{}", self.data_dir.join("lighed.db").display()),
        }
    }
}
