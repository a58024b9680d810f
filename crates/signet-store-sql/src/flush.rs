//! Durability for SQLite without stalling the writer: the writer commits with
//! `synchronous = NORMAL` (the change is in the write-ahead log, not yet on the platter) and hands
//! the callers it promised durability to the flusher thread, which flushes the log once for every
//! commit that arrived while it last flushed and only then answers them. The writer meanwhile runs
//! the next transaction, so a disk flush (about 0.1–0.3 ms here) costs latency, not throughput.
//!
//! The log is sequential: a flush carries every earlier commit with it, reservations included.
//! SQLite's own checkpoints still run with `NORMAL`, which flushes the log before copying it into
//! the database and the database before the log is reused, so the file never depends on a flush
//! that has not happened. Reads that can show stored data to a client wait until the commits
//! they could have seen are flushed ([`Durability::settled`]), so nothing is shown that a power
//! cut could take back.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use signet_store::{StoreError, StoreResult};
use tokio::sync::{oneshot, watch};

use crate::writer::Outcome;

/// A caller's answer, held until its commit is on disk.
pub(crate) type Reply = (oneshot::Sender<StoreResult<Outcome>>, StoreResult<Outcome>);

/// Which durable commits have been made and which are on disk.
#[derive(Debug)]
pub(crate) struct Durability {
    /// Sequence number of the newest durable commit (taken just before its COMMIT).
    committed: AtomicU64,
    /// Sequence number of the newest commit known to be on disk.
    flushed: watch::Sender<u64>,
    /// Set when a flush failed: what is in memory may not be on disk, so stop.
    failed: AtomicBool,
}

impl Default for Durability {
    fn default() -> Self {
        Self { committed: AtomicU64::new(0), flushed: watch::Sender::new(0), failed: AtomicBool::new(false) }
    }
}

impl Durability {
    /// Takes the sequence number of the next durable commit. Called before COMMIT, so a reader
    /// that sees the commit's data also sees this number.
    pub(crate) fn next_commit(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Waits until every durable commit made so far is on disk. A read calls this after reading,
    /// before it shows anything.
    pub(crate) async fn settled(&self) -> StoreResult<()> {
        let target = self.committed.load(Ordering::SeqCst);
        let mut flushed = self.flushed.subscribe();
        let failed = &self.failed;
        flushed
            .wait_for(|done| *done >= target || failed.load(Ordering::SeqCst))
            .await
            .map_err(|_| StoreError::Unavailable("the storage flusher has stopped".into()))?;
        self.check()
    }

    /// Marks the store failed and wakes every waiting reader: for a writer that dies with
    /// commits numbered but never handed to the flusher.
    pub(crate) fn fail(&self) {
        self.failed.store(true, Ordering::SeqCst);
        self.flushed.send_modify(|_| {});
    }

    /// An error once a flush has failed.
    pub(crate) fn check(&self) -> StoreResult<()> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(flush_failed());
        }
        Ok(())
    }
}

fn flush_failed() -> StoreError {
    StoreError::Unavailable(
        "the disk refused to flush the database, so recent changes may not be stored: \
         check the disk and the system log, then restart signet"
            .into(),
    )
}

/// Commits waiting for the flush, with the answers to give once it is done.
pub(crate) struct Pending {
    /// The commit's sequence number.
    pub(crate) seq: u64,
    /// The answers.
    pub(crate) replies: Vec<Reply>,
}

/// The flusher thread's handle: where the writer hands over its durable commits.
pub(crate) struct Flusher {
    pending: mpsc::Sender<Pending>,
    wal: PathBuf,
    /// What is committed and what is on disk.
    pub(crate) durability: Arc<Durability>,
}

impl Flusher {
    /// Starts the flusher thread for the database at `db_path`.
    pub(crate) fn spawn(db_path: PathBuf, durability: Arc<Durability>) -> std::io::Result<Self> {
        let mut wal = db_path.into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (pending, rx) = mpsc::channel();
        let (thread_wal, thread_durability) = (wal.clone(), durability.clone());
        std::thread::Builder::new()
            .name("signet-flush".into())
            .spawn(move || run(&thread_wal, &rx, &thread_durability))?;
        Ok(Self { pending, wal, durability })
    }

    /// Answers a commit's callers once it is on disk. `idle` says the writer has nothing else
    /// queued: then it flushes here and now, which spares a hand-over to the flusher thread (a
    /// thread wake-up, as costly as the flush itself on a quiet machine); otherwise the flusher
    /// thread flushes while the writer goes on.
    pub(crate) fn hand_over(&self, commit: Pending, idle: bool) {
        if idle {
            settle(&self.wal, &self.durability, vec![commit]);
            return;
        }
        if let Err(mpsc::SendError(lost)) = self.pending.send(commit) {
            for (reply, _) in lost.replies {
                let _ = reply.send(Err(StoreError::Unavailable("the storage flusher has stopped".into())));
            }
        }
    }
}

fn run(wal: &std::path::Path, rx: &mpsc::Receiver<Pending>, durability: &Durability) {
    while let Ok(first) = rx.recv() {
        let mut pending = vec![first];
        pending.extend(rx.try_iter());
        settle(wal, durability, pending);
    }
}

/// Flushes the log once for `pending`, records it, and answers their callers.
fn settle(wal: &std::path::Path, durability: &Durability, pending: Vec<Pending>) {
    let newest = pending.iter().map(|p| p.seq).max().unwrap_or(0);
    let result = flush(wal);
    if let Err(e) = &result {
        tracing::error!(error = %e, wal = %wal.display(), "flushing the write-ahead log failed; refusing further writes");
        durability.fail();
    }
    durability.flushed.send_modify(|done| *done = (*done).max(newest));
    for (reply, outcome) in pending.into_iter().flat_map(|p| p.replies) {
        let _ = reply.send(if result.is_ok() { outcome } else { Err(flush_failed()) });
    }
}

/// Flushes the write-ahead log to disk.
fn flush(wal: &std::path::Path) -> std::io::Result<()> {
    match std::fs::File::open(wal) {
        Ok(file) => file.sync_data(),
        // SQLite removes the log only after copying it into the database and flushing that
        // (when the last connection closes), so there is nothing left to flush.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settled_waits_for_the_flush_of_every_commit_made_so_far() {
        let durability = Arc::new(Durability::default());
        durability.settled().await.unwrap();
        let seq = durability.next_commit();
        let waiter = tokio::spawn({
            let d = durability.clone();
            async move { d.settled().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        durability.flushed.send_replace(seq);
        waiter.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_failed_flush_answers_with_an_error_and_stops_writes() {
        let dir = tempfile::tempdir().unwrap();
        // The log's "directory" is a plain file, so opening the log fails (not "not found").
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"").unwrap();
        let durability = Arc::new(Durability::default());
        let flusher = Flusher::spawn(plain.join("db"), durability.clone()).unwrap();
        let (reply, answer) = oneshot::channel();
        flusher.hand_over(Pending { seq: durability.next_commit(), replies: vec![(reply, Ok(Outcome::Done))] }, false);
        let err = answer.await.unwrap().err().unwrap();
        assert!(err.to_string().contains("disk refused to flush"), "{err}");
        assert!(durability.check().is_err());
        assert!(durability.settled().await.is_err());
    }
}
