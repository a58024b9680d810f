//! The writer thread: every state change in this process goes through it, and the changes of
//! concurrent callers are committed in one transaction (group commit).
//!
//! A batch first runs without savepoints; if one of its operations is refused (a conflict), it
//! runs again with a savepoint per operation, so the refusal does not undo its neighbours. Audit
//! events are appended in the same transaction as the change they describe ([`journal`]).
//! Durability follows the CA's rule: a reservation (the intent to sign) may be committed without
//! waiting for the disk, because the completion that follows it is committed durably and the log
//! is sequential (SQLite WAL, PostgreSQL WAL), so the completion's flush carries the reservation
//! with it; nothing is shown to a client before a durable commit. On SQLite the flush happens on
//! the flusher thread ([`crate::flush`]) while this thread goes on with the next batch, or here
//! when nothing else is waiting (a hand-over to another thread costs as much as the flush).
//!
//! The writer only stores: the caller signs between its reservation and its completion.
//!
//! Files: [`op`] the operations; [`apply`] running them statement by statement and telling a
//! refusal from a failure; [`statements`] the SQL, with the two dialects' variants side by side;
//! [`pipeline`] PostgreSQL's one-round-trip batches; [`journal`] the audit chain; [`revocation`]
//! revocations and CRLs; [`acme`] the ACME front end's changes.

pub(crate) mod acme;
mod apply;
mod journal;
mod op;
mod pipeline;
mod revocation;
mod statements;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use signet_store::*;

pub(crate) use self::acme::AcmeOp;
use self::apply::{Failure, apply, apply_all};
use self::journal::{AuditHead, Journal, commit_with_audit};
pub(crate) use self::op::{Job, Op, Outcome};
use crate::Dialect;
use crate::db::{Db, DbError};
use crate::flush::{Durability, Flusher, Pending};

/// Most operations committed together.
const MAX_BATCH: usize = 512;

/// Most operations committed together on PostgreSQL: each operation is a subtransaction when a
/// batch runs with savepoints, and beyond 64 per transaction PostgreSQL's subtransaction cache
/// overflows, which slows every other session's snapshots.
const MAX_BATCH_POSTGRES: usize = 64;

/// Times a batch that lost a deadlock is run again before its callers are told.
const RETRIES: usize = 3;

/// Group-commit counters.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: AtomicU64,
    /// Operations committed or refused.
    pub operations: AtomicU64,
}

/// Opens a fresh writer connection after a failure.
pub(crate) type Opener = Box<dyn Fn() -> Result<Box<dyn Db>, DbError> + Send>;

/// Starts the writer thread: one per store. On SQLite the file has one write lock anyway; on
/// PostgreSQL one writer measured fastest once batches were pipelined (bigger batches, no race
/// with itself for the audit head; docs/BENCHMARKS.md), and several front ends still share a
/// database.
pub(crate) fn spawn(
    db: Box<dyn Db>,
    open: Opener,
    flusher: Option<Flusher>,
    stats: Arc<WriterStats>,
) -> std::io::Result<mpsc::SyncSender<Job>> {
    let (tx, rx) = mpsc::sync_channel(4096);
    std::thread::Builder::new().name("signet-writer".into()).spawn(move || run(db, &open, flusher, &rx, &stats))?;
    Ok(tx)
}

/// Marks the store failed when the writer thread unwinds.
struct FailOnPanic(Arc<Durability>);

impl Drop for FailOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail();
        }
    }
}

fn run(db: Box<dyn Db>, open: &Opener, flusher: Option<Flusher>, rx: &mpsc::Receiver<Job>, stats: &WriterStats) {
    let max_batch = match db.dialect() {
        Dialect::Sqlite => MAX_BATCH,
        Dialect::Postgres => MAX_BATCH_POSTGRES,
    };
    // Should this thread die (a bug), readers waiting for its commits' flush must not wait forever.
    let _on_exit = flusher.as_ref().map(|f| FailOnPanic(f.durability.clone()));
    let mut db = Some(db);
    // The audit head as this writer last committed it; None until known and after a failure.
    let mut head = None;
    // Request ids taken ahead from the PostgreSQL sequence ([`pipeline`]).
    let mut ids = VecDeque::new();
    // A job taken off the queue to see whether the writer is idle, to run next.
    let mut next = None;
    loop {
        let mut batch: Vec<Job> = Vec::new();
        batch.extend(next.take());
        if batch.is_empty() {
            match rx.recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let room = max_batch.saturating_sub(batch.len());
        batch.extend(rx.try_iter().take(room));
        batch.sort_by_key(|job| job.op.locked_request());
        if let Some(Err(e)) = flusher.as_ref().map(|f| f.durability.check()) {
            for job in batch {
                let _ = job.reply.send(Err(e.clone()));
            }
            continue;
        }
        let durable = batch.iter().any(|j| j.op.durable());
        if db.is_none() {
            match open() {
                Ok(fresh) => db = Some(fresh),
                Err(e) => {
                    fail_all(batch, &e);
                    continue;
                }
            }
        }
        let Some(conn) = db.as_mut() else { continue };
        // Numbered before COMMIT, so a reader that sees this commit waits for its flush.
        let flush = flusher.as_ref().filter(|_| durable).map(|f| (f, f.durability.next_commit()));
        let mut outcome = execute(conn.as_mut(), &batch, durable, &mut head, true, &mut ids);
        for _ in 0..RETRIES {
            let Err(DbError::Retry(why)) = &outcome else { break };
            tracing::debug!(reason = %why, "a storage transaction lost a race; running it again");
            let _ = conn.script("ROLLBACK");
            // From the head as stored, locked: the remembered one may be what went stale.
            outcome = execute(conn.as_mut(), &batch, durable, &mut head, false, &mut ids);
        }
        let mut held = Vec::new();
        match outcome {
            Ok(results) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.operations.fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (Job { op, reply }, result) in batch.into_iter().zip(results) {
                    let durable = op.durable();
                    let result = result.and_then(|outcome| outcome.answering(op));
                    if flush.is_some() && durable {
                        held.push((reply, result));
                    } else {
                        let _ = reply.send(result);
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "storage transaction failed; nothing in the batch was written");
                let _ = conn.script("ROLLBACK");
                fail_all(batch, &e);
                // The connection may be broken: open a new one for the next batch.
                db = None;
            }
        }
        // Even a failed commit is passed on (with no answers), so readers waiting for its number
        // are released.
        if let Some((flusher, seq)) = flush {
            next = rx.try_recv().ok();
            flusher.hand_over(Pending { seq, replies: held }, next.is_none());
        }
    }
}

/// Answers every job of a batch that could not be written with the error (the details go to the
/// log, not to callers).
fn fail_all(batch: Vec<Job>, e: &DbError) {
    tracing::error!(error = %e, "the database refused a batch");
    for Job { reply, .. } in batch {
        let _ = reply.send(Err(StoreError::Unavailable("the database failed; nothing was written".into())));
    }
}

/// Runs a batch in one transaction: pipelined on PostgreSQL where it can be, otherwise statement
/// by statement; then appends the batch's audit entries and commits.
fn execute(
    db: &mut dyn Db,
    batch: &[Job],
    durable: bool,
    head: &mut Option<AuditHead>,
    trust_head: bool,
    ids: &mut VecDeque<i64>,
) -> Result<Vec<StoreResult<Outcome>>, DbError> {
    let dialect = db.dialect();
    let begin = match (dialect, durable) {
        (Dialect::Sqlite, _) => "BEGIN IMMEDIATE",
        (Dialect::Postgres, true) => "BEGIN",
        (Dialect::Postgres, false) => "BEGIN; SET LOCAL synchronous_commit = off",
    };
    if dialect == Dialect::Postgres
        && let Some(results) = pipeline::execute_pipelined(db, batch, begin, head, trust_head, ids)?
    {
        return Ok(results);
    }
    db.script(begin)?;
    let (results, journal) = if let [job] = batch {
        // One operation needs no savepoint: the transaction is its savepoint.
        let mut journal = Journal::default();
        match apply(db, &job.op, &mut journal) {
            Ok(outcome) => (vec![Ok(outcome)], journal),
            Err(Failure::Refused(e)) => {
                db.script("ROLLBACK")?;
                return Ok(vec![Err(e)]);
            }
            Err(Failure::Sql(e)) => return Err(e),
        }
    } else {
        // Refusals are rare, so the batch first runs without a savepoint per operation (a
        // subtransaction on PostgreSQL); if one is refused after all, it runs again with them.
        match apply_all(db, batch, false)? {
            Some(done) => done,
            None => {
                db.script("ROLLBACK")?;
                db.script(begin)?;
                apply_all(db, batch, true)?.ok_or_else(|| DbError::Other("a savepoint batch gave up".into()))?
            }
        }
    };
    commit_with_audit(db, journal, head, trust_head)?;
    Ok(results)
}
