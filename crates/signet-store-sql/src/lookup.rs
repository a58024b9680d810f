//! The one read on the submission path, on PostgreSQL, over an asynchronous connection that runs
//! on the server's own runtime. The other reads go through the synchronous pool on the blocking
//! threads, a hop there and back on top of the network round trip; for a one-row lookup that
//! every production submission makes (has this key had a test certificate, seed P6) the hops cost
//! more than the query (docs/BENCHMARKS.md).

use std::sync::Arc;

use signet_store::{StoreError, StoreResult};
use tokio::sync::Mutex;

/// Whether a key (SPKI SHA-256) ever got a certificate from a test CA.
const KEY_USED_FOR_TEST: &str = "SELECT 1 FROM certificates WHERE spki_sha256 = $1 AND is_test = 1 LIMIT 1";

/// A connection and its prepared lookup.
type Connected = (Arc<tokio_postgres::Client>, tokio_postgres::Statement);

/// Lookups over one asynchronous PostgreSQL connection, opened on first use and again after it
/// fails.
pub(crate) struct PgLookups {
    url: String,
    connection: Mutex<Option<Connected>>,
}

impl PgLookups {
    /// Lookups on the database at `url`; nothing is opened yet.
    pub(crate) fn new(url: &str) -> Self {
        Self { url: url.to_string(), connection: Mutex::new(None) }
    }

    async fn connected(&self) -> StoreResult<Connected> {
        let mut connection = self.connection.lock().await;
        if let Some((client, statement)) = connection.as_ref()
            && !client.is_closed()
        {
            return Ok((client.clone(), statement.clone()));
        }
        let (client, driver) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.map_err(unavailable)?;
        tokio::spawn(async move {
            if let Err(e) = driver.await {
                tracing::debug!(error = %e, "PostgreSQL lookup connection closed");
            }
        });
        let statement = client.prepare(KEY_USED_FOR_TEST).await.map_err(unavailable)?;
        let fresh = (Arc::new(client), statement);
        *connection = Some(fresh.clone());
        Ok(fresh)
    }

    /// Whether the key with this SPKI SHA-256 ever got a test certificate. A connection the
    /// server dropped (a restart, pg_terminate_backend) is opened again, once.
    pub(crate) async fn key_used_for_test(&self, spki_sha256: &signet_model::Sha256) -> StoreResult<bool> {
        let spki_sha256 = spki_sha256.to_hex();
        let (client, statement) = self.connected().await?;
        let found = match client.query_opt(&statement, &[&spki_sha256]).await {
            Err(e) if connection_lost(&e) => {
                *self.connection.lock().await = None;
                let (client, statement) = self.connected().await?;
                client.query_opt(&statement, &[&spki_sha256]).await
            }
            other => other,
        };
        Ok(found.map_err(unavailable)?.is_some())
    }
}

/// Whether an error means the connection is gone: closed, or ended by the server (SQLSTATE
/// classes 08, connection exception, and 57, operator intervention).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    e.is_closed() || e.code().is_some_and(|code| matches!(code.code().get(..2), Some("08" | "57")))
}

fn unavailable(e: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(format!("PostgreSQL: {e}"))
}
