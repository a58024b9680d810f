//! SQLite and PostgreSQL storage for signet, behind the `signet-store` interfaces.
//!
//! One implementation serves both databases: the SQL is portable (numbered parameters,
//! `RETURNING`, partial unique indexes) and runs through a small synchronous interface over
//! rusqlite and tokio-postgres (`db`). Writes go through a writer thread (with a flusher, `flush`,
//! on SQLite) that commits concurrent callers' changes together
//! (group commit); reads use a pool of connections (inline for SQLite, on the blocking pool for
//! PostgreSQL, but for the submission path's one lookup, `lookup`). Schema migrations are embedded, one directory per dialect
//! (`migrations/{sqlite,postgres}/NNNN_name.sql`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod acme;
mod db;
mod flush;
mod lease;
mod lookup;
mod migrate;
mod read;
mod rows;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use signet_store::{StoreError, StoreResult};

pub use writer::WriterStats;

use crate::db::{Db, DbError, Pg};
use crate::flush::Durability;

/// The two supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded SQLite (WAL mode).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Where to open more connections.
#[derive(Debug, Clone)]
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    fn open(&self) -> Result<Box<dyn Db>, DbError> {
        Ok(match self {
            Target::Sqlite(path) => Box::new(db::open_sqlite(path)?),
            Target::Postgres(url) => Box::new(Pg::connect(url)?),
        })
    }
}

/// A SQL-backed store.
pub struct SqlStore {
    dialect: Dialect,
    target: Target,
    idle: Arc<Mutex<Vec<Box<dyn Db>>>>,
    writer: mpsc::SyncSender<writer::Job>,
    stats: Arc<WriterStats>,
    /// What is flushed to disk (SQLite; PostgreSQL commits are durable when they return).
    durability: Option<Arc<Durability>>,
    /// The submission path's lookup over an asynchronous connection (PostgreSQL).
    lookups: Option<lookup::PgLookups>,
    /// Publisher leases held ([`lease`]).
    leases: Arc<Mutex<lease::Leases>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqlStore({:?})", self.dialect)
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl Drop for SqlStore {
    fn drop(&mut self) {
        // The synchronous PostgreSQL client blocks while closing, which must not happen on an
        // async worker thread: close idle connections on a thread of their own.
        let idle = self.idle.lock().map(|mut pool| std::mem::take(&mut *pool)).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::Builder::new().name("signet-db-close".into()).spawn(move || drop(idle));
        }
    }
}

/// Creates the SQLite file with mode 0600 if it is missing, and sets 0600 on it and on its `-wal`
/// and `-shm` files if they exist (SQLite gives the files it creates the database file's mode).
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = std::path::PathBuf::from(file);
        if file.exists() && std::fs::metadata(&file)?.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Idle read connections kept per store.
const MAX_IDLE: usize = 16;

impl SqlStore {
    /// Opens (creating if needed) the SQLite database at `path` and migrates it. The database
    /// holds encrypted CA keys and token hashes: it and its WAL and shared-memory files are made
    /// readable by their owner only (mode 0600), existing ones included.
    pub async fn open_sqlite(path: &Path) -> StoreResult<Self> {
        owner_only(path).map_err(|e| {
            StoreError::Unavailable(format!("cannot make {} readable by its owner only: {e}", path.display()))
        })?;
        Self::open(Dialect::Sqlite, Target::Sqlite(path.to_path_buf())).await
    }

    /// Connects to PostgreSQL at `url` (e.g. `postgres://user@127.0.0.1:5432/signet`) and migrates it.
    pub async fn open_postgres(url: &str) -> StoreResult<Self> {
        Self::open(Dialect::Postgres, Target::Postgres(url.to_string())).await
    }

    /// Opens an existing SQLite database without migrating it (refused if it is not up to
    /// date): for front ends that only read.
    pub async fn open_sqlite_existing(path: &Path) -> StoreResult<Self> {
        if !path.exists() {
            return Err(StoreError::Unavailable(format!(
                "{} does not exist; start `signet serve` first",
                path.display()
            )));
        }
        Self::open_with(Dialect::Sqlite, Target::Sqlite(path.to_path_buf()), false).await
    }

    /// Connects to an existing PostgreSQL database without migrating it (refused if it is not
    /// up to date): for front ends that only read, possibly as a read-only database user.
    pub async fn open_postgres_existing(url: &str) -> StoreResult<Self> {
        Self::open_with(Dialect::Postgres, Target::Postgres(url.to_string()), false).await
    }

    /// Opens a database by URL: `sqlite:///path/signet.db` or `postgres://...`.
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::open_sqlite(Path::new(path.split('?').next().unwrap_or(path))).await
        } else {
            Err(StoreError::Unavailable(format!(
                "unsupported database URL {url:?}: use sqlite:///path/signet.db or postgres://user@host/db"
            )))
        }
    }

    async fn open(dialect: Dialect, target: Target) -> StoreResult<Self> {
        Self::open_with(dialect, target, true).await
    }

    async fn open_with(dialect: Dialect, target: Target, migrating: bool) -> StoreResult<Self> {
        let opener = target.clone();
        let writer_db = tokio::task::spawn_blocking(move || -> Result<_, DbError> {
            let mut db = opener.open()?;
            if migrating {
                migrate::run(db.as_mut())?;
            } else {
                migrate::check(db.as_mut())?;
            }
            Ok(db)
        })
        .await
        .map_err(unavailable)?
        .map_err(|e| StoreError::Unavailable(format!("cannot open the database: {e}")))?;
        let flusher = match &target {
            Target::Sqlite(path) => {
                let durability = Arc::new(Durability::default());
                Some(flush::Flusher::spawn(path.clone(), durability).map_err(unavailable)?)
            }
            Target::Postgres(_) => None,
        };
        let durability = flusher.as_ref().map(|f| f.durability.clone());
        let reopen = target.clone();
        let stats = Arc::new(WriterStats::default());
        let writer =
            writer::spawn(writer_db, Box::new(move || reopen.open()), flusher, stats.clone()).map_err(unavailable)?;
        let lookups = match &target {
            Target::Postgres(url) => Some(lookup::PgLookups::new(url)),
            Target::Sqlite(_) => None,
        };
        Ok(Self {
            dialect,
            target,
            idle: Arc::new(Mutex::new(Vec::new())),
            writer,
            stats,
            durability,
            lookups,
            leases: Arc::default(),
        })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Group-commit counters (batches, operations) for metrics.
    pub fn writer_stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Runs raw SQL in a write transaction. For tests and repair tools that must reach past the
    /// interface (e.g. to show that tampering is detected); never used by signet itself.
    pub async fn danger_execute_raw(&self, sql: &str) -> StoreResult<()> {
        self.submit_op(writer::Op::Raw(sql.to_string())).await.map(|_| ())
    }

    /// Like [`Self::read_unsettled`], but returns only once everything the read could have seen
    /// is on disk: for reads whose results a client may see.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let found = self.read_unsettled(work).await?;
        if let Some(durability) = &self.durability {
            durability.settled().await?;
        }
        Ok(found)
    }

    /// Runs one query, as [`Self::read`] does: on PostgreSQL over the asynchronous lookup
    /// connections ([`lookup`]), without a hop to the blocking pool.
    async fn read_rows(&self, sql: &'static str, params: Vec<db::Value<'static>>) -> StoreResult<Vec<db::Row>> {
        match &self.lookups {
            Some(lookups) => lookups.rows(sql, &params).await,
            None => self.read(move |db| db.query(sql, &params).map_err(unavailable)).await,
        }
    }

    /// Runs one query, as [`Self::read_unsettled`] does; on PostgreSQL as [`Self::read_rows`].
    async fn lookup_rows(&self, sql: &'static str, params: Vec<db::Value<'static>>) -> StoreResult<Vec<db::Row>> {
        match &self.lookups {
            Some(lookups) => lookups.rows(sql, &params).await,
            None => self.read_unsettled(move |db| db.query(sql, &params).map_err(unavailable)).await,
        }
    }

    /// Runs `work` on a pooled read connection: inline for SQLite (a few microseconds), on the
    /// blocking pool for PostgreSQL (a network round trip). On SQLite it may see a commit whose
    /// flush is still under way: only for lookups that decide, never show.
    async fn read_unsettled<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Db) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let idle = self.idle.clone();
        let target = self.target.clone();
        let job = move || -> StoreResult<T> {
            let pooled = idle.lock().ok().and_then(|mut pool| pool.pop());
            let mut conn = match pooled {
                Some(conn) => conn,
                None => target.open().map_err(unavailable)?,
            };
            let result = work(conn.as_mut());
            // A connection that just failed may be broken; drop it rather than reuse it.
            if !matches!(result, Err(StoreError::Unavailable(_)))
                && let Ok(mut pool) = idle.lock()
                && pool.len() < MAX_IDLE
            {
                pool.push(conn);
            }
            result
        };
        match self.dialect {
            Dialect::Sqlite => job(),
            Dialect::Postgres => tokio::task::spawn_blocking(job).await.map_err(unavailable)?,
        }
    }
}
