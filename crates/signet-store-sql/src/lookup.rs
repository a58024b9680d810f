//! The hot reads on PostgreSQL (the submission path's test-key lookup, the ACME front end's
//! reads and nonce redemptions) over asynchronous connections that run on the server's own
//! runtime. The other reads go through the synchronous pool on the blocking threads, a hop there
//! and back on top of the network round trip; for the one-row lookups every request makes the
//! hops cost more than the query (docs/BENCHMARKS.md). Concurrent queries on one connection are
//! pipelined by the driver; a few connections, taken in turn, keep one slow query from holding
//! up the rest.
//!
//! These connections commit asynchronously (`synchronous_commit = off`): the only thing they
//! write is a nonce's redemption, whose loss in a crash lets a nonce issued just before it be
//! used once more within its few minutes (as on the writer, [`crate::writer::AcmeOp`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signet_store::{StoreError, StoreResult};
use tokio::sync::Mutex;

use crate::db::{Row, Value, pg_params, pg_rows};

/// Connections taken in turn.
const CONNECTIONS: usize = 3;

/// A connection and the statements prepared on it.
#[derive(Clone)]
struct Connected {
    client: Arc<tokio_postgres::Client>,
    statements: Arc<std::sync::Mutex<HashMap<&'static str, tokio_postgres::Statement>>>,
}

/// Reads over a few asynchronous PostgreSQL connections, each opened on first use and again
/// after it fails.
pub(crate) struct PgLookups {
    url: String,
    connections: Vec<Mutex<Option<Connected>>>,
    next: AtomicUsize,
}

impl PgLookups {
    /// Lookups on the database at `url`; nothing is opened yet.
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            connections: (0..CONNECTIONS).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The connection in `slot`, opened if it is not (or no longer) open.
    async fn connected(&self, slot: &Mutex<Option<Connected>>) -> StoreResult<Connected> {
        let mut connection = slot.lock().await;
        if let Some(open) = connection.as_ref()
            && !open.client.is_closed()
        {
            return Ok(open.clone());
        }
        let (client, driver) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.map_err(unavailable)?;
        tokio::spawn(async move {
            if let Err(e) = driver.await {
                tracing::debug!(error = %e, "PostgreSQL lookup connection closed");
            }
        });
        client.batch_execute("SET synchronous_commit = off").await.map_err(unavailable)?;
        let fresh = Connected { client: Arc::new(client), statements: Arc::default() };
        *connection = Some(fresh.clone());
        Ok(fresh)
    }

    /// Runs one statement and answers its rows. A connection the server dropped (a restart,
    /// pg_terminate_backend) is opened again, once.
    pub(crate) async fn rows(&self, sql: &'static str, params: &[Value<'_>]) -> StoreResult<Vec<Row>> {
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % CONNECTIONS;
        let slot = self.connections.get(turn).ok_or_else(|| StoreError::Unavailable("no lookup connection".into()))?;
        let connected = self.connected(slot).await?;
        match run(&connected, sql, params).await {
            Err(e) if connection_lost(&e) => {
                *slot.lock().await = None;
                let connected = self.connected(slot).await?;
                run(&connected, sql, params).await.map_err(unavailable)
            }
            other => other.map_err(unavailable),
        }
    }
}

/// Prepares `sql` on the connection once, then runs it.
async fn run(connected: &Connected, sql: &'static str, params: &[Value<'_>]) -> Result<Vec<Row>, Failure> {
    let known = connected.statements.lock().ok().and_then(|all| all.get(sql).cloned());
    let statement = match known {
        Some(statement) => statement,
        None => {
            let statement = connected.client.prepare(sql).await?;
            if let Ok(mut all) = connected.statements.lock() {
                all.insert(sql, statement.clone());
            }
            statement
        }
    };
    let rows = connected.client.query(&statement, &pg_params(params)).await?;
    pg_rows(&statement, rows).map_err(Failure::Rows)
}

/// Why a lookup failed.
#[derive(Debug)]
enum Failure {
    Driver(tokio_postgres::Error),
    Rows(crate::db::DbError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Driver(e)
    }
}

/// Whether an error means the connection is gone: closed, or ended by the server (SQLSTATE
/// classes 08, connection exception, and 57, operator intervention).
fn connection_lost(e: &Failure) -> bool {
    match e {
        Failure::Driver(e) => {
            e.is_closed() || e.code().is_some_and(|code| matches!(code.code().get(..2), Some("08" | "57")))
        }
        Failure::Rows(_) => false,
    }
}

fn unavailable(e: impl Into<Failure>) -> StoreError {
    match e.into() {
        Failure::Driver(e) => StoreError::Unavailable(format!("PostgreSQL: {e}")),
        Failure::Rows(e) => StoreError::Unavailable(format!("PostgreSQL: {e}")),
    }
}
