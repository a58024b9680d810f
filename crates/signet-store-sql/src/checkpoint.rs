//! SQLite checkpoints off the writer's path. By default SQLite copies the write-ahead log back
//! into the database from inside the commit that fills it past 1,000 pages, so one caller in a
//! thousand waits for a checkpoint; on a large database that copy writes pages scattered over
//! the file and the wait is milliseconds. Here a thread of its own, with its own connection,
//! runs a passive checkpoint (it never blocks the writer or readers) every quarter second, and
//! the writer's automatic checkpoint is kept only as a backstop, at 10,000 pages, should this
//! thread fall behind or stop.
//!
//! Durability is unchanged: a checkpoint with `synchronous = NORMAL` flushes the log before it
//! copies it and the database before the log is reused, whichever connection runs it.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// How often the log is copied back.
const INTERVAL: Duration = Duration::from_millis(250);

/// The writer's own automatic checkpoint, as a backstop (pages of the log).
pub(crate) const BACKSTOP_PAGES: u32 = 10_000;

/// The checkpoint thread; it stops when this is dropped.
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `db_path`.
    pub(crate) fn spawn(db_path: PathBuf) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new().name("signet-checkpoint".into()).spawn(move || run(&db_path, &stopped))?;
        Ok(Self { _stop: stop })
    }
}

fn run(db_path: &std::path::Path, stopped: &mpsc::Receiver<()>) {
    let mut conn: Option<rusqlite::Connection> = None;
    let mut warned = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let result = match &conn {
            Some(c) => checkpoint(c),
            None => match crate::db::open_sqlite(db_path) {
                Ok(c) => checkpoint(conn.insert(c)),
                Err(e) => Err(e.to_string()),
            },
        };
        match result {
            Ok(()) => warned = false,
            Err(e) => {
                // The writer's backstop checkpoint still runs; say so once, then retry quietly.
                if !warned {
                    tracing::warn!(error = %e, "a background checkpoint of the SQLite database failed; the writer will checkpoint itself");
                    warned = true;
                }
                conn = None;
            }
        }
    }
}

/// Copies what it can of the log into the database without waiting for anyone.
fn checkpoint(conn: &rusqlite::Connection) -> Result<(), String> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_copied_back_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signet.db");
        let writer = crate::db::open_sqlite(&path).unwrap();
        let auto: u32 = writer.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
        assert_eq!(auto, BACKSTOP_PAGES);
        writer.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        for _ in 0..50 {
            writer.execute("INSERT INTO t VALUES (zeroblob(8000))", []).unwrap();
        }
        // The rows are in the log only: the database file has not grown.
        let size = || std::fs::metadata(&path).unwrap().len();
        assert!(size() < 50 * 8000, "{} bytes before any checkpoint", size());
        let _checkpointer = Checkpointer::spawn(path.clone()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while size() < 50 * 8000 && std::time::Instant::now() < deadline {
            std::thread::sleep(INTERVAL);
        }
        assert!(size() >= 50 * 8000, "{} bytes: the log was not copied into the database", size());
    }
}
