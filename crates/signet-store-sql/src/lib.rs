//! SQLite and PostgreSQL storage for signet, behind the `signet-store` interfaces.
//!
//! One implementation serves both databases through sqlx's `Any` driver: the SQL is portable
//! (numbered parameters, `RETURNING`, partial unique indexes) and the few differences live in
//! [`Dialect`]. Writes go through a single writer task per process that commits concurrent
//! callers' changes together (group commit); reads use a pool. Schema migrations are embedded,
//! one directory per dialect (`migrations/{sqlite,postgres}/NNNN_name.sql`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod migrate;
mod read;
mod rows;
mod writer;

use std::path::Path;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{Connection, Executor};
use tokio::sync::mpsc;

use signet_store::{StoreError, StoreResult};

pub use writer::WriterStats;

/// The two supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded SQLite (WAL mode).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A SQL-backed store.
pub struct SqlStore {
    dialect: Dialect,
    read: AnyPool,
    writer: mpsc::Sender<writer::Job>,
    stats: std::sync::Arc<writer::WriterStats>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqlStore({:?})", self.dialect)
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    pub async fn open_sqlite(path: &Path) -> StoreResult<Self> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::open(Dialect::Sqlite, &url).await
    }

    /// Connects to PostgreSQL at `url` (e.g. `postgres://user@127.0.0.1:5432/signet`) and migrates it.
    pub async fn open_postgres(url: &str) -> StoreResult<Self> {
        Self::open(Dialect::Postgres, url).await
    }

    /// Opens a database by URL, choosing the dialect from its scheme.
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open(Dialect::Postgres, url).await
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::open_sqlite(Path::new(path.split('?').next().unwrap_or(path))).await
        } else {
            Err(StoreError::Unavailable(format!(
                "unsupported database URL {url:?}: use sqlite:///path/signet.db or postgres://user@host/db"
            )))
        }
    }

    async fn open(dialect: Dialect, url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        if dialect == Dialect::Sqlite {
            // WAL lets readers work beside the writer; it is a property of the file, set once.
            let mut conn = sqlx::AnyConnection::connect(url).await.map_err(unavailable)?;
            conn.execute("PRAGMA journal_mode = WAL").await.map_err(unavailable)?;
            conn.close().await.map_err(unavailable)?;
        }
        let read = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(unavailable)?;
        migrate::run(dialect, &read).await?;
        let options: sqlx::any::AnyConnectOptions = url.parse().map_err(unavailable)?;
        let write_conn = writer::connect(dialect, &options).await.map_err(unavailable)?;
        let stats = std::sync::Arc::new(writer::WriterStats::default());
        let writer = writer::spawn(dialect, options, write_conn, stats.clone());
        Ok(Self { dialect, read, writer, stats })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Group-commit counters (batches, operations) for metrics.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.stats
    }

    /// The read pool, for tests that need to look at or tamper with raw rows.
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }
}
