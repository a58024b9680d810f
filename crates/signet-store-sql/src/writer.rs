//! The writer thread: every state change in this process goes through it, and the changes of
//! concurrent callers are committed in one transaction (group commit).
//!
//! Each operation runs inside its own savepoint, so one refused operation (a conflict) does not
//! undo its neighbours. Audit events are appended in the same savepoint as the change they
//! describe. Durability follows the CA's rule: a reservation (the intent to sign) may be committed
//! without waiting for the disk, because the completion that follows it is committed durably and
//! the log is sequential (SQLite WAL, PostgreSQL WAL), so the completion's flush carries the
//! reservation with it; nothing is shown to a client before a durable commit. On SQLite the flush
//! happens on the flusher thread ([`crate::flush`]) while this thread goes on with the next batch,
//! or here when nothing else is waiting (a hand-over to another thread costs as much as the flush).
//!
//! A one-pass issuance ([`Op::Issue`]) is carried through here from reservation to certificate:
//! once the batch holding its reservation has committed, this thread runs the caller's signing
//! step and commits the certificate at the head of the next batch, so the caller waits for one
//! answer instead of two and no task is woken in between.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use signet_model::{RequestId, Serial};
use signet_store::audit::{self, AuditEvent};
use signet_store::*;
use tokio::sync::oneshot;

use crate::Dialect;
use crate::db::{Db, DbError, Step, Value};
use crate::flush::{Durability, Flusher, Pending};
use crate::rows::{self, json_list, secs};

/// Most operations committed together.
const MAX_BATCH: usize = 512;

/// Most operations committed together on PostgreSQL: each operation is a subtransaction, and
/// beyond 64 per transaction PostgreSQL's subtransaction cache overflows, which slows every
/// other session's snapshots.
const MAX_BATCH_POSTGRES: usize = 64;

/// A state change.
pub(crate) enum Op {
    CreateCa(NewCa, AuditEvent),
    InstallCa {
        ca_id: i64,
        certificate: Vec<u8>,
        not_after: time::OffsetDateTime,
        audit: AuditEvent,
    },
    Submit(NewRequest, AuditEvent),
    SubmitAndReserve(NewRequest, Reservation, AuditEvent),
    Reserve(RequestId, Reservation, AuditEvent),
    Complete(Completion, Vec<AuditEvent>),
    /// An issuance's reservation; once it is committed the writer signs and follows up with
    /// [`Op::Finish`] or [`Op::GiveUp`].
    Issue(Box<Issuance>),
    /// An issuance's certificate: a completion that answers with the certificate.
    Finish {
        signed: Box<Signed>,
        fail_request: bool,
    },
    /// An issuance that made no certificate: its reservation abandoned, its request failed if asked.
    GiveUp(Box<GiveUp>),
    Abandon {
        ca_id: i64,
        serial: Serial,
        audit: AuditEvent,
    },
    Decide {
        id: RequestId,
        state: &'static str,
        by: Option<String>,
        reason: String,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    },
    CreateToken(NewToken, AuditEvent),
    Audit(Vec<AuditEvent>),
    AbandonStale(time::OffsetDateTime, time::OffsetDateTime),
    /// Raw SQL, for tests and repair tools only.
    Raw(String),
}

impl Op {
    /// Whether the caller must not proceed until this is on disk.
    fn durable(&self) -> bool {
        !matches!(self, Op::Reserve(..) | Op::SubmitAndReserve(..) | Op::Issue(..))
    }

    /// A new request and its reservation, for the operations that store one.
    fn new_reservation(&self) -> Option<(&NewRequest, &Reservation, &AuditEvent)> {
        match self {
            Op::SubmitAndReserve(request, reservation, event) => Some((request, reservation, event)),
            Op::Issue(issuance) => match &issuance.request {
                IssuanceOf::New(request) => Some((request, &issuance.reservation, &issuance.audit)),
                IssuanceOf::Pending(_) => None,
            },
            _ => None,
        }
    }

    /// A signed certificate to store, with its audit events, and what storing it answers.
    fn completion(&self) -> Option<(&Completion, &[AuditEvent], Outcome)> {
        match self {
            Op::Complete(c, events) => Some((c, events, Outcome::Done)),
            Op::Finish { signed, .. } => {
                Some((&signed.completion, &signed.audit, Outcome::Issued(Box::new(signed.completion.clone()))))
            }
            _ => None,
        }
    }

    /// The existing request whose row this operation locks, if any. A batch takes its locks in
    /// this order, so front ends sharing a PostgreSQL database do not deadlock.
    fn locked_request(&self) -> Option<i64> {
        match self {
            Op::Reserve(id, ..) | Op::Decide { id, .. } => Some(id.get()),
            Op::Complete(c, _) => Some(c.request_id.get()),
            Op::Issue(issuance) => match issuance.request {
                IssuanceOf::Pending(id) => Some(id.get()),
                IssuanceOf::New(_) => None,
            },
            Op::Finish { signed, .. } => Some(signed.completion.request_id.get()),
            Op::GiveUp(g) => Some(g.request),
            _ => None,
        }
    }
}

/// Times a batch that lost a deadlock is run again before its callers are told.
const RETRIES: usize = 3;

/// What an operation produced.
pub(crate) enum Outcome {
    Id(i64),
    Done,
    Abandoned(Vec<CertificateRecord>),
    Issued(Box<Completion>),
    NotSigned(i64, String),
}

/// An issuance that made no certificate, to be wound up.
pub(crate) struct GiveUp {
    ca_id: i64,
    serial: Serial,
    request: i64,
    why: String,
    fail_request: bool,
    at: time::OffsetDateTime,
    /// The error to answer with instead of [`Outcome::NotSigned`] (storing the certificate failed).
    error: Option<StoreError>,
}

pub(crate) struct Job {
    pub(crate) op: Op,
    pub(crate) reply: oneshot::Sender<StoreResult<Outcome>>,
}

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
    // Request ids taken ahead from the PostgreSQL sequence ([`execute_pipelined`]).
    let mut ids = VecDeque::new();
    // A job taken off the queue to see whether the writer is idle, to run next.
    let mut next = None;
    // What the last batch's issuances signed (or gave up), committed first in the next batch.
    let mut follow_ups = Vec::new();
    loop {
        let mut batch: Vec<Job> = std::mem::take(&mut follow_ups);
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
                    follow_ups = fail_all(batch, &e);
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
        let mut to_sign = Vec::new();
        match outcome {
            Ok(results) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.operations.fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (Job { op, reply }, result) in batch.into_iter().zip(results) {
                    let durable = op.durable();
                    let result = match (op, result) {
                        (Op::Issue(issuance), Ok(Outcome::Id(id))) => {
                            to_sign.push((issuance, id, reply));
                            continue;
                        }
                        (Op::GiveUp(g), Ok(_)) => match g.error {
                            Some(error) => Err(error),
                            None => Ok(Outcome::NotSigned(g.request, g.why)),
                        },
                        (_, result) => result,
                    };
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
                follow_ups = fail_all(batch, &e);
                // The connection may be broken: open a new one for the next batch.
                db = None;
            }
        }
        // Even a failed commit is passed on (with no answers), so readers waiting for its number
        // are released.
        if let Some((flusher, seq)) = flush {
            next = rx.try_recv().ok();
            flusher.hand_over(Pending { seq, replies: held }, next.is_none() && to_sign.is_empty());
        }
        // Only now, with their reservations committed, are the certificates signed.
        follow_ups.extend(to_sign.into_iter().map(|(issuance, id, reply)| sign(*issuance, id, reply)));
    }
}

/// Runs an issuance's signing step, its reservation committed, and answers the job that stores
/// the certificate, or winds the issuance up if no certificate was made.
fn sign(issuance: Issuance, id: i64, reply: oneshot::Sender<StoreResult<Outcome>>) -> Job {
    let Issuance { reservation, sign: signing_step, fail_request, .. } = issuance;
    let give_up = |why: String| GiveUp {
        ca_id: reservation.ca_id,
        serial: reservation.serial.clone(),
        request: id,
        why,
        fail_request,
        at: reservation.created_at,
        error: None,
    };
    let Some(request) = RequestId::new(id) else {
        return Job { op: Op::GiveUp(Box::new(give_up(format!("the database gave request id {id}")))), reply };
    };
    // A panic in the signer must not take the writer, and every later write, down with it.
    let signed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| signing_step(request)))
        .unwrap_or_else(|_| Err("the signer failed unexpectedly".into()));
    let op = match signed {
        Ok(signed) => Op::Finish { signed: Box::new(signed), fail_request },
        Err(why) => Op::GiveUp(Box::new(give_up(format!("signing failed: {why}")))),
    };
    Job { op, reply }
}

/// Answers every job of a batch that could not be written with the error; returns the
/// certificates among them wound up instead, for the next batch (their reservations are committed
/// and must not hold their requests until a restart).
fn fail_all(batch: Vec<Job>, e: &DbError) -> Vec<Job> {
    let error = StoreError::Unavailable(e.to_string());
    let mut follow_ups = Vec::new();
    for Job { op, reply } in batch {
        match op {
            Op::Finish { signed, fail_request } => {
                let c = signed.completion;
                let why = format!("storing the certificate failed: {e}");
                let g = GiveUp {
                    ca_id: c.ca_id,
                    serial: c.serial,
                    request: c.request_id.get(),
                    why,
                    fail_request,
                    at: c.at,
                    error: Some(error.clone()),
                };
                follow_ups.push(Job { op: Op::GiveUp(Box::new(g)), reply });
            }
            _ => {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
    follow_ups
}

/// The sequence number and hash of the newest audit entry.
type AuditHead = (i64, String);

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
        && let Some(results) = execute_pipelined(db, batch, begin, head, trust_head, ids)?
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

/// Writes a batch's audit entries chained after the audit head, and commits, as one pipeline
/// (one round trip on PostgreSQL). The head is the one this writer last committed when
/// `trust_head` on PostgreSQL (the write checks it and fails with SQLSTATE 40001 if another
/// front end moved it); otherwise it is read now, and locked on PostgreSQL until the COMMIT.
/// The remembered head is forgotten until the commit succeeds, so a failed commit cannot leave a
/// wrong one.
fn commit_with_audit(
    db: &mut dyn Db,
    journal: Journal,
    head: &mut Option<AuditHead>,
    trust_head: bool,
) -> Result<(), DbError> {
    let dialect = db.dialect();
    let known = head.take().filter(|_| trust_head);
    if journal.events.is_empty() {
        db.script("COMMIT")?;
        *head = known;
        return Ok(());
    }
    let start = match known {
        Some(known) if dialect == Dialect::Postgres => known,
        _ => load_head(db)?,
    };
    let (statements, moved) = journal.statements_after(dialect, start);
    let mut steps: Vec<Step<'_>> =
        statements.into_iter().map(|(sql, params)| Step::Query(sql.into(), params)).collect();
    steps.push(Step::Script("COMMIT"));
    // An audit write that failed aborted the transaction, and the COMMIT behind it did not happen.
    for answer in db.pipeline(&steps)? {
        answer?;
    }
    *head = Some(moved);
    Ok(())
}

/// The issuance path on PostgreSQL, pipelined: BEGIN, every operation, the audit entries and
/// COMMIT sent together, one round trip when this writer trusts the audit head it last committed
/// (the audit write still checks it, migration 0003); otherwise the head is read and locked
/// first, a round trip more. Possible when every operation is a new request's reservation (its
/// id taken ahead from the sequence, so its audit entry can name it) or a completion (which
/// raises an error rather than change nothing, migration 0005). Any error aborts the transaction,
/// so the COMMIT behind it commits nothing. None, with nothing written, when the batch has another
/// kind of operation or one was refused: the caller then runs it statement by statement, which
/// says why.
fn execute_pipelined(
    db: &mut dyn Db,
    batch: &[Job],
    begin: &'static str,
    head: &mut Option<AuditHead>,
    trust_head: bool,
    ids: &mut VecDeque<i64>,
) -> Result<Option<Vec<StoreResult<Outcome>>>, DbError> {
    let mut needed = 0;
    for job in batch {
        match (job.op.new_reservation(), job.op.completion()) {
            (Some(_), _) => needed += 1,
            (None, Some(_)) => {}
            (None, None) => return Ok(None),
        }
    }
    if ids.len() < needed {
        let want = IDS_AHEAD.max(i64::try_from(needed).unwrap_or(IDS_AHEAD));
        let taken =
            db.query("SELECT nextval('requests_id_seq') AS id FROM generate_series(1, $1)", &[Value::Int(want)])?;
        for row in &taken {
            ids.push_back(rows::int(row, "id").map_err(|e| DbError::Other(e.to_string()))?);
        }
    }
    let mut steps = Vec::with_capacity(batch.len() + 3);
    let mut journal = Journal::default();
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let planned = match (job.op.new_reservation(), job.op.completion()) {
            (Some((request, reservation, event)), _) => ids.pop_front().and_then(|id| {
                journal.append(&with_target(event, id)).ok()?;
                let params = [request_values(request), reservation_values(reservation), vec![Value::Int(id)]].concat();
                Some((Step::Query(SUBMIT_AND_RESERVE_PG.into(), params), Outcome::Id(id)))
            }),
            (None, Some((completion, events, outcome))) => events
                .iter()
                .try_for_each(|event| journal.append(event))
                .ok()
                .map(|()| (Step::Query(COMPLETE_OR_REFUSE_PG.into(), completion_values(completion)), outcome)),
            (None, None) => None,
        };
        let Some((step, outcome)) = planned else { return Ok(None) };
        steps.push(step);
        outcomes.push(Ok(outcome));
    }
    // Forgotten until the commit is known to have happened.
    let start = match head.take().filter(|_| trust_head) {
        Some(known) => {
            steps.insert(0, Step::Script(begin));
            known
        }
        None => {
            db.script(begin)?;
            load_head(db)?
        }
    };
    let (statements, moved) = journal.statements_after(Dialect::Postgres, start);
    steps.extend(statements.into_iter().map(|(sql, params)| Step::Query(sql.into(), params)));
    steps.push(Step::Script("COMMIT"));
    let answers = db.pipeline(&steps)?;
    if let Some(why) = answers.iter().find_map(|a| match a {
        Err(DbError::Retry(why)) => Some(why.clone()),
        _ => None,
    }) {
        return Err(DbError::Retry(why));
    }
    if answers.iter().any(Result::is_err) {
        // The transaction was aborted and the COMMIT rolled it back; this only ends it for sure.
        db.script("ROLLBACK")?;
        return Ok(None);
    }
    *head = Some(moved);
    Ok(Some(outcomes))
}

/// Each operation's result, and the audit events of those that went through.
type Applied = (Vec<StoreResult<Outcome>>, Journal);

/// Applies each operation of a batch. With savepoints, a refused operation is rolled back alone
/// and the batch goes on; without, the first refusal gives up (None) and the caller rolls back.
fn apply_all(db: &mut dyn Db, batch: &[Job], savepoints: bool) -> Result<Option<Applied>, DbError> {
    let mut journal = Journal::default();
    let mut results = Vec::with_capacity(batch.len());
    for (i, job) in batch.iter().enumerate() {
        if savepoints {
            // Releasing the previous savepoint and opening the next is one round trip; COMMIT
            // releases the last.
            db.script(if i == 0 { "SAVEPOINT op" } else { "RELEASE op; SAVEPOINT op" })?;
        }
        let mark = journal.events.len();
        match apply(db, &job.op, &mut journal) {
            Ok(outcome) => results.push(Ok(outcome)),
            Err(Failure::Refused(e)) if savepoints => {
                db.script("ROLLBACK TO op")?;
                journal.events.truncate(mark);
                results.push(Err(e));
            }
            Err(Failure::Refused(_)) => return Ok(None),
            Err(Failure::Sql(e)) => return Err(e),
        }
    }
    Ok(Some((results, journal)))
}

/// Audit events of this batch, chained and written together just before the commit, so the
/// audit head is locked for the shortest time and each event costs no round trip of its own.
#[derive(Default)]
struct Journal {
    events: Vec<AuditEvent>,
}

/// Audit rows per INSERT statement (8 parameters each, far below both databases' limits).
const AUDIT_ROWS_PER_INSERT: usize = 64;

impl Journal {
    fn append(&mut self, event: &AuditEvent) -> Result<(), Failure> {
        // Stored at whole seconds, so hash exactly what is stored.
        let mut event = event.clone();
        event.at = rows::time(secs(event.at)).map_err(refused)?;
        self.events.push(event);
        Ok(())
    }

    /// The statements that append the events chained after `head` and move the head, and the
    /// head they move it to. On PostgreSQL each statement moves the head only if it is still
    /// where the chain starts, and otherwise fails with SQLSTATE 40001 (migration 0003), so the
    /// whole transaction fails rather than commit without its audit entries.
    fn statements_after(&self, dialect: Dialect, head: AuditHead) -> (Vec<(String, Vec<Value<'_>>)>, AuditHead) {
        let (mut seq, mut hash) = head;
        let mut statements = Vec::new();
        for events in self.events.chunks(AUDIT_ROWS_PER_INSERT) {
            let (start_seq, start_hash) = (seq, hash.clone());
            let mut links = Vec::with_capacity(events.len());
            for event in events {
                seq += 1;
                let next = audit::chain_hash(&hash, seq, event);
                links.push((seq, std::mem::replace(&mut hash, next.clone()), next));
            }
            let mut params: Vec<Value<'_>> = Vec::with_capacity(4 + events.len() * 8);
            let mut sql = match dialect {
                // One statement moves the head and appends the entries: one round trip.
                Dialect::Postgres => {
                    params.extend([Value::Int(seq), hash.clone().into(), Value::Int(start_seq), start_hash.into()]);
                    String::from(
                        "WITH moved AS (UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4 RETURNING 1) \
                         INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) \
                         SELECT * FROM (VALUES ",
                    )
                }
                Dialect::Sqlite => String::from(
                    "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES ",
                ),
            };
            for (i, (event, (seq, prev_hash, hash))) in events.iter().zip(links).enumerate() {
                let n = params.len();
                if i > 0 {
                    sql.push_str(", ");
                }
                // VALUES in a SELECT needs its integer types spelled out on PostgreSQL.
                let int = if dialect == Dialect::Postgres { "::bigint" } else { "" };
                sql.push_str(&format!(
                    "(${}{int}, ${}{int}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8
                ));
                params.extend([
                    Value::Int(seq),
                    Value::Int(secs(event.at)),
                    event.actor.as_str().into(),
                    event.action.as_str().into(),
                    event.target.as_str().into(),
                    event.details.as_str().into(),
                    prev_hash.into(),
                    hash.into(),
                ]);
            }
            if dialect == Dialect::Postgres {
                sql.push_str(
                    ") AS entries WHERE CASE WHEN EXISTS (SELECT 1 FROM moved) THEN true ELSE signet_audit_head_moved() END",
                );
            }
            statements.push((sql, params));
        }
        if dialect == Dialect::Sqlite {
            statements.push((
                "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1".to_string(),
                vec![Value::Int(seq), hash.clone().into()],
            ));
        }
        (statements, (seq, hash))
    }
}

/// Reads the audit head, locking it on PostgreSQL until the commit.
fn load_head(db: &mut dyn Db) -> Result<AuditHead, DbError> {
    let sql = match db.dialect() {
        Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
    };
    let rows = db.query(sql, &[])?;
    let head = rows.first().ok_or_else(|| DbError::Other("the audit head is missing".into()))?;
    let corrupt = |e: StoreError| DbError::Other(e.to_string());
    Ok((rows::int(head, "seq").map_err(corrupt)?, rows::text(head, "hash").map_err(corrupt)?))
}

enum Failure {
    /// The operation was refused; the batch goes on.
    Refused(StoreError),
    /// The database failed; the batch is abandoned.
    Sql(DbError),
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(message) => {
                let text = if message.contains("one_live_per_request") || message.contains("request_id") {
                    "the request already has a certificate issued or being issued".to_string()
                } else if message.contains("certificates") {
                    "that serial number is already used by this CA".to_string()
                } else if message.contains("cas") {
                    "a CA with that name already exists".to_string()
                } else if message.contains("tokens") {
                    "that token already exists".to_string()
                } else {
                    message
                };
                Failure::Refused(StoreError::Conflict(text))
            }
            other => Failure::Sql(other),
        }
    }
}

fn refused(e: StoreError) -> Failure {
    Failure::Refused(e)
}

fn insert_request(db: &mut dyn Db, r: &NewRequest) -> Result<i64, Failure> {
    let rows = db.query(
        "INSERT INTO requests (profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
        &request_values(r),
    )?;
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("insert returned no id".into())))?;
    rows::int(row, "id").map_err(refused)
}

/// A new request's columns, in the order of the INSERTs below ($1..$9).
fn request_values(r: &NewRequest) -> Vec<Value<'_>> {
    vec![
        r.profile.as_str().into(),
        r.csr.as_slice().into(),
        r.subject.as_str().into(),
        json_list(&r.sans).into(),
        r.spki_sha256.as_str().into(),
        r.requester.as_str().into(),
        json_list(&r.warnings).into(),
        r.retrieval_token_hash.as_str().into(),
        Value::Int(secs(r.created_at)),
    ]
}

/// A reservation's columns but its request, in the order of the INSERTs below.
fn reservation_values(r: &Reservation) -> Vec<Value<'_>> {
    vec![
        Value::Int(r.ca_id),
        r.serial.to_hex().into(),
        r.tbs.as_slice().into(),
        r.spki_sha256.as_str().into(),
        r.subject.as_str().into(),
        json_list(&r.sans).into(),
        Value::Int(secs(r.not_before)),
        Value::Int(secs(r.not_after)),
        Value::Int(i64::from(r.is_test)),
        Value::Int(secs(r.created_at)),
    ]
}

/// Locks a request's row before a change that depends on its state or its certificates, so that
/// two front ends deciding its fate take turns (PostgreSQL; SQLite has one writer at a time). The
/// statement that follows gets a fresh snapshot, so it sees what the other one committed.
fn lock_request(db: &mut dyn Db, id: i64) -> Result<(), Failure> {
    if db.dialect() == Dialect::Postgres {
        db.query("SELECT id FROM requests WHERE id = $1 FOR UPDATE", &[Value::Int(id)])?;
    }
    Ok(())
}

fn insert_reservation(db: &mut dyn Db, r: &Reservation, request_id: i64) -> Result<(), Failure> {
    lock_request(db, request_id)?;
    let mut values = reservation_values(r);
    values.push(Value::Int(request_id));
    let done = db.execute(
        "INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at) \
         SELECT $1, $2, $11, 'reserved', $3, $4, $5, $6, $7, $8, $9, $10 \
         WHERE EXISTS (SELECT 1 FROM requests WHERE id = $11 AND state = 'pending')",
        &values,
    )?;
    if done == 0 {
        return Err(refused(StoreError::Conflict(format!("request {request_id} is no longer pending"))));
    }
    Ok(())
}

/// Why a pending-only update touched nothing: missing, or in which state.
fn explain(db: &mut dyn Db, id: RequestId) -> Result<StoreError, Failure> {
    let rows = db.query("SELECT state FROM requests WHERE id = $1", &[Value::Int(id.get())])?;
    Ok(match rows.first() {
        None => StoreError::NotFound(format!("request {id}")),
        Some(row) => {
            let state = rows::text(row, "state").map_err(refused)?;
            if state == "pending" {
                StoreError::Conflict(format!("request {id} is being issued right now"))
            } else {
                StoreError::Conflict(format!("request {id} is already {state}"))
            }
        }
    })
}

/// A new request and its reservation, in one statement; answers the request's id: $20 when
/// given (taken ahead from the sequence), else the next from the sequence.
const SUBMIT_AND_RESERVE_PG: &str = "WITH r AS (\
       INSERT INTO requests (id, profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
       VALUES (COALESCE($20::bigint, nextval('requests_id_seq')), $1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id) \
     INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at) \
     SELECT $10, $11, r.id, 'reserved', $12, $13, $14, $15, $16, $17, $18, $19 FROM r RETURNING request_id";

/// The request and its reservation in one statement (one round trip).
fn submit_and_reserve_pg(db: &mut dyn Db, r: &NewRequest, v: &Reservation) -> Result<i64, Failure> {
    let rows =
        db.query(SUBMIT_AND_RESERVE_PG, &[request_values(r), reservation_values(v), vec![Value::Null]].concat())?;
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("insert returned no id".into())))?;
    rows::int(row, "request_id").map_err(refused)
}

fn not_reserved(c: &Completion) -> Failure {
    refused(StoreError::Conflict(format!("serial {} is not reserved for request {}", c.serial, c.request_id)))
}

/// A completion's values: $1..$5 find and fill the certificate, $5..$8 decide the request.
fn completion_values(c: &Completion) -> Vec<Value<'_>> {
    vec![
        c.der.as_slice().into(),
        c.sha256.as_str().into(),
        Value::Int(c.ca_id),
        c.serial.to_hex().into(),
        Value::Int(c.request_id.get()),
        c.decided_by.as_str().into(),
        c.approved_sans.as_deref().map(json_list).into(),
        Value::Int(secs(c.at)),
    ]
}

/// The two completion statements: lock the request, fill the certificate (`c`), move the request
/// to issued (`u`, which changes nothing unless `c` did), then answer with `$answer`.
macro_rules! complete_pg {
    ($answer:literal) => {
        concat!(
            "WITH r AS (SELECT id FROM requests WHERE id = $5 AND state = 'pending' FOR UPDATE), \
             c AS (\
               UPDATE certificates SET status = 'issued', der = $1, sha256 = $2 \
               WHERE ca_id = $3 AND serial = $4 AND request_id = $5 AND status = 'reserved' AND EXISTS (SELECT 1 FROM r) \
               RETURNING request_id), \
             u AS (\
               UPDATE requests SET state = 'issued', decided_by = $6, approved_sans = $7, decided_at = $8 \
               WHERE id = $5 AND state = 'pending' AND EXISTS (SELECT 1 FROM c) RETURNING id) ",
            $answer
        )
    };
}

/// Marks a reserved certificate and its request issued, in one statement that changes both or
/// neither; answers a row when it did.
const COMPLETE_PG: &str = complete_pg!("SELECT id FROM u");

/// [`COMPLETE_PG`] that raises an error (migration 0005) instead of changing nothing, for a
/// pipeline whose COMMIT is already sent.
const COMPLETE_OR_REFUSE_PG: &str =
    complete_pg!("SELECT 1 AS done WHERE CASE WHEN EXISTS (SELECT 1 FROM u) THEN true ELSE signet_refused() END");

/// Request ids taken from the PostgreSQL sequence at a time, so that a batch's audit entries,
/// which name the new requests, can be written before the requests come back.
const IDS_AHEAD: i64 = 16;

/// Marks the certificate and its request issued in one statement (one round trip); on a refusal
/// the caller rolls back whichever half happened. The request row is locked first, the order
/// every change to a request's fate follows ([`lock_request`]), so front ends cannot deadlock.
fn complete_pg(db: &mut dyn Db, c: &Completion) -> Result<(), Failure> {
    let rows = db.query(COMPLETE_PG, &completion_values(c))?;
    if !rows.is_empty() {
        return Ok(());
    }
    // Which half refused: a pending request means the serial was not reserved.
    let state = db.query("SELECT state FROM requests WHERE id = $1", &[Value::Int(c.request_id.get())])?;
    match state.first().map(|row| rows::text(row, "state")).transpose().map_err(refused)? {
        Some(state) if state == "pending" => Err(not_reserved(c)),
        _ => Err(refused(explain(db, c.request_id)?)),
    }
}

fn complete_sqlite(db: &mut dyn Db, c: &Completion) -> Result<(), Failure> {
    let values = completion_values(c);
    let done = db.execute(
        "UPDATE certificates SET status = 'issued', der = $1, sha256 = $2 \
         WHERE ca_id = $3 AND serial = $4 AND request_id = $5 AND status = 'reserved'",
        values.get(..5).unwrap_or_default(),
    )?;
    if done == 0 {
        return Err(not_reserved(c));
    }
    // $1..$4 go unused here; SQLite binds them and ignores them.
    let done = db.execute(
        "UPDATE requests SET state = 'issued', decided_by = $6, approved_sans = $7, decided_at = $8 WHERE id = $5 AND state = 'pending'",
        &values,
    )?;
    if done == 0 {
        return Err(refused(explain(db, c.request_id)?));
    }
    Ok(())
}

/// Stores a new request and its reservation; answers the request's id.
fn submit_and_reserve(db: &mut dyn Db, request: &NewRequest, reservation: &Reservation) -> Result<i64, Failure> {
    match db.dialect() {
        Dialect::Postgres => submit_and_reserve_pg(db, request, reservation),
        Dialect::Sqlite => {
            let id = insert_request(db, request)?;
            insert_reservation(db, reservation, id)?;
            Ok(id)
        }
    }
}

/// Stores a signed certificate and moves its request to issued, with its audit events.
fn complete(db: &mut dyn Db, c: &Completion, events: &[AuditEvent], journal: &mut Journal) -> Result<(), Failure> {
    match db.dialect() {
        Dialect::Postgres => complete_pg(db, c)?,
        Dialect::Sqlite => complete_sqlite(db, c)?,
    }
    events.iter().try_for_each(|event| journal.append(event))
}

/// Marks a reservation abandoned; answers 1 if it was reserved, 0 if not.
fn abandon(db: &mut dyn Db, ca_id: i64, serial: &Serial) -> Result<u64, Failure> {
    Ok(db.execute(
        "UPDATE certificates SET status = 'abandoned' WHERE ca_id = $1 AND serial = $2 AND status = 'reserved'",
        &[Value::Int(ca_id), serial.to_hex().into()],
    )?)
}

/// Moves a pending request with no live certificate to `state`; answers 1 if it did, 0 if not.
fn decide(
    db: &mut dyn Db,
    id: i64,
    state: &str,
    by: Option<&str>,
    reason: &str,
    at: time::OffsetDateTime,
) -> Result<u64, Failure> {
    lock_request(db, id)?;
    Ok(db.execute(
        "UPDATE requests SET state = $1, decided_by = $2, reason = $3, decided_at = $4 \
         WHERE id = $5 AND state = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM certificates WHERE request_id = $5 AND status <> 'abandoned')",
        &[state.into(), by.into(), reason.into(), Value::Int(secs(at)), Value::Int(id)],
    )?)
}

fn with_target(event: &AuditEvent, id: i64) -> AuditEvent {
    let mut event = event.clone();
    event.target = format!("request:{id}");
    event
}

fn apply(db: &mut dyn Db, op: &Op, journal: &mut Journal) -> Result<Outcome, Failure> {
    match op {
        Op::CreateCa(ca, event) => {
            let rows = db.query(
                "INSERT INTO cas (name, kind, parent, certificate, csr, encrypted_key, not_after, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    ca.name.as_str().into(),
                    ca.kind.as_str().into(),
                    ca.parent.as_deref().into(),
                    ca.certificate.as_deref().into(),
                    ca.csr.as_deref().into(),
                    ca.encrypted_key.as_slice().into(),
                    ca.not_after.map(secs).into(),
                    Value::Int(secs(ca.created_at)),
                ],
            )?;
            let id = rows.first().map(|r| rows::int(r, "id")).transpose().map_err(refused)?;
            journal.append(event)?;
            Ok(Outcome::Id(id.unwrap_or_default()))
        }
        Op::InstallCa { ca_id, certificate, not_after, audit } => {
            let done = db.execute(
                "UPDATE cas SET certificate = $1, not_after = $2 WHERE id = $3",
                &[certificate.as_slice().into(), Value::Int(secs(*not_after)), Value::Int(*ca_id)],
            )?;
            if done == 0 {
                return Err(refused(StoreError::NotFound(format!("CA {ca_id}"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::Submit(request, event) => {
            let id = insert_request(db, request)?;
            journal.append(&with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::SubmitAndReserve(request, reservation, event) => {
            let id = submit_and_reserve(db, request, reservation)?;
            journal.append(&with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::Reserve(request, reservation, event) => {
            insert_reservation(db, reservation, request.get())?;
            journal.append(event)?;
            Ok(Outcome::Done)
        }
        Op::Issue(issuance) => {
            let id = match &issuance.request {
                IssuanceOf::New(request) => {
                    let id = submit_and_reserve(db, request, &issuance.reservation)?;
                    journal.append(&with_target(&issuance.audit, id))?;
                    id
                }
                IssuanceOf::Pending(id) => {
                    insert_reservation(db, &issuance.reservation, id.get())?;
                    journal.append(&issuance.audit)?;
                    id.get()
                }
            };
            Ok(Outcome::Id(id))
        }
        Op::Complete(c, events) => {
            complete(db, c, events, journal)?;
            Ok(Outcome::Done)
        }
        Op::Finish { signed, .. } => {
            complete(db, &signed.completion, &signed.audit, journal)?;
            Ok(Outcome::Issued(Box::new(signed.completion.clone())))
        }
        Op::Abandon { ca_id, serial, audit } => {
            if abandon(db, *ca_id, serial)? == 0 {
                return Err(refused(StoreError::Conflict(format!("serial {serial} is not reserved"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::GiveUp(g) => {
            // Each half happens only if nothing settled it meanwhile, so neither refuses.
            let target = format!("request:{}", g.request);
            if abandon(db, g.ca_id, &g.serial)? > 0 {
                let details = serde_json::json!({"serial": g.serial.to_hex(), "why": g.why});
                journal.append(&AuditEvent::new(g.at, "system", "certificate.abandon", &target, details))?;
            }
            if g.fail_request && decide(db, g.request, "failed", None, &g.why, g.at)? > 0 {
                let details = serde_json::json!({"reason": g.why});
                journal.append(&AuditEvent::new(g.at, "system", "request.fail", &target, details))?;
            }
            Ok(Outcome::Done)
        }
        Op::Decide { id, state, by, reason, at, audit } => {
            if decide(db, id.get(), state, by.as_deref(), reason, *at)? == 0 {
                let why = explain(db, *id)?;
                return Err(refused(why));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::CreateToken(token, event) => {
            let roles: Vec<String> = token.roles.iter().map(|r| r.as_str().to_string()).collect();
            let rows = db.query(
                "INSERT INTO tokens (name, hash, roles, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    token.name.as_str().into(),
                    token.hash.as_str().into(),
                    json_list(&roles).into(),
                    Value::Int(secs(token.created_at)),
                ],
            )?;
            let id = rows.first().map(|r| rows::int(r, "id")).transpose().map_err(refused)?;
            journal.append(event)?;
            Ok(Outcome::Id(id.unwrap_or_default()))
        }
        Op::Audit(events) => {
            for event in events {
                journal.append(event)?;
            }
            Ok(Outcome::Done)
        }
        Op::AbandonStale(before, at) => {
            // One statement: what it returns is exactly what it changed, even with other front
            // ends completing reservations at the same moment.
            let changed = db.query(
                "UPDATE certificates SET status = 'abandoned' WHERE status = 'reserved' AND created_at < $1 RETURNING *",
                &[Value::Int(secs(*before))],
            )?;
            let records: Vec<CertificateRecord> =
                changed.iter().map(|r| rows::certificate(r, "")).collect::<StoreResult<_>>().map_err(refused)?;
            for record in &records {
                let event = AuditEvent::new(
                    *at,
                    "system",
                    "certificate.abandon",
                    &format!("request:{}", record.request_id),
                    serde_json::json!({"ca_id": record.ca_id, "serial": record.serial.to_hex(), "why": "reservation left by an interrupted issuance"}),
                );
                journal.append(&event)?;
            }
            Ok(Outcome::Abandoned(records))
        }
        Op::Raw(sql) => {
            db.script(sql).map_err(|e| refused(StoreError::Unavailable(e.to_string())))?;
            Ok(Outcome::Done)
        }
    }
}
