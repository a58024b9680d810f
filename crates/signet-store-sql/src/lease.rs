//! Publisher leases: one process at a time does a job (publishing CRLs, refreshing OCSP
//! responses) among the front ends that share a database, the others serve what it stores.
//!
//! PostgreSQL: a session advisory lock on a connection of the lease's own, held while that
//! connection lives; when the process dies or the connection drops, the server releases it and
//! another front end takes it on its next try. SQLite (front ends on one machine sharing a file):
//! an exclusive lock on a file beside the database, released by the operating system when the
//! process ends.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use signet_store::{StoreError, StoreResult};

use crate::db::{Cell, Db, Value};
use crate::{SqlStore, Target, unavailable};

/// The leases this store holds, and how it holds them.
#[derive(Default)]
pub(crate) struct Leases {
    /// PostgreSQL: the connection holding the advisory locks, and the locks it holds.
    postgres: Option<(Box<dyn Db>, Vec<i64>)>,
    /// SQLite: the locked files, by lease name.
    files: HashMap<String, File>,
}

/// The advisory lock key of a lease: the first eight octets of SHA-256("signet-lease:" ‖ name).
fn lock_key(what: &str) -> i64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("signet-lease:{what}").as_bytes());
    let mut octets = [0u8; 8];
    octets.copy_from_slice(digest.as_ref().get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(octets)
}

/// The lock file of a lease beside the SQLite database `path`.
fn lock_file(path: &std::path::Path, what: &str) -> PathBuf {
    let name: String = what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let mut file = path.as_os_str().to_owned();
    file.push(format!(".lease-{name}"));
    PathBuf::from(file)
}

impl SqlStore {
    /// Whether this store holds the lease `what`, taking it if it is free.
    pub(crate) async fn lease(&self, what: &str) -> StoreResult<bool> {
        let leases = self.leases.clone();
        let target = self.target.clone();
        let what = what.to_string();
        tokio::task::spawn_blocking(move || take(&leases, &target, &what)).await.map_err(unavailable)?
    }
}

fn take(leases: &Arc<Mutex<Leases>>, target: &Target, what: &str) -> StoreResult<bool> {
    let mut leases = leases.lock().map_err(|_| StoreError::Unavailable("the lease table is poisoned".into()))?;
    match target {
        Target::Sqlite(path) => {
            if leases.files.contains_key(what) {
                return Ok(true);
            }
            let file = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(lock_file(path, what))
                .map_err(|e| StoreError::Unavailable(format!("cannot open the lease file for {what}: {e}")))?;
            match file.try_lock() {
                Ok(()) => {
                    leases.files.insert(what.to_string(), file);
                    Ok(true)
                }
                Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                Err(std::fs::TryLockError::Error(e)) => {
                    Err(StoreError::Unavailable(format!("cannot lock the lease file for {what}: {e}")))
                }
            }
        }
        Target::Postgres(_) => {
            let key = lock_key(what);
            // A held lock lasts while its connection does: check the connection still answers.
            if let Some((db, held)) = leases.postgres.as_mut() {
                let alive = db.query("SELECT 1 AS alive", &[]).is_ok();
                if !alive {
                    tracing::warn!("the connection holding publisher leases dropped; they are released");
                    leases.postgres = None;
                } else if held.contains(&key) {
                    return Ok(true);
                }
            }
            if leases.postgres.is_none() {
                leases.postgres = Some((target.open().map_err(unavailable)?, Vec::new()));
            }
            let Some((db, held)) = leases.postgres.as_mut() else { return Ok(false) };
            let rows = db.query("SELECT pg_try_advisory_lock($1) AS taken", &[Value::Int(key)]).map_err(unavailable)?;
            let taken = rows.first().and_then(|r| r.cell("taken").cloned()) == Some(Cell::Int(1));
            if taken {
                held.push(key);
            }
            Ok(taken)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_files_are_stable_and_distinct() {
        assert_eq!(lock_key("crl"), lock_key("crl"));
        assert_ne!(lock_key("crl"), lock_key("ocsp"));
        assert_eq!(lock_file(std::path::Path::new("/d/signet.db"), "crl/x"), PathBuf::from("/d/signet.db.lease-crl-x"));
    }
}
