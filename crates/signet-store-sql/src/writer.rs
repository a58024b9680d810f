//! The writer thread: every state change in this process goes through it, and the changes of
//! concurrent callers are committed in one transaction (group commit).
//!
//! Each operation runs inside its own savepoint, so one refused operation (a conflict) does not
//! undo its neighbours. Audit events are appended in the same savepoint as the change they
//! describe. Durability follows the CA's rule: a reservation (the intent to sign) may be committed
//! without waiting for the disk, because the completion that follows it is committed durably and
//! the log is sequential (SQLite WAL, PostgreSQL WAL), so the completion's flush carries the
//! reservation with it; nothing is shown to a client before a durable commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use signet_model::{RequestId, Serial};
use signet_store::audit::{self, AuditEvent};
use signet_store::*;
use tokio::sync::oneshot;

use crate::Dialect;
use crate::db::{Db, DbError, Value};
use crate::rows::{self, json_list, secs};

/// Most operations committed together.
const MAX_BATCH: usize = 512;

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
    Reserve(Reservation, AuditEvent),
    Complete(Completion, Vec<AuditEvent>),
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
        !matches!(self, Op::Reserve(..) | Op::SubmitAndReserve(..))
    }
}

/// What an operation produced.
pub(crate) enum Outcome {
    Id(i64),
    Done,
    Abandoned(Vec<CertificateRecord>),
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

pub(crate) fn spawn(db: Box<dyn Db>, open: Opener, stats: Arc<WriterStats>) -> std::io::Result<mpsc::SyncSender<Job>> {
    let (tx, rx) = mpsc::sync_channel(4096);
    std::thread::Builder::new().name("signet-writer".into()).spawn(move || run(db, open, rx, stats))?;
    Ok(tx)
}

fn run(db: Box<dyn Db>, open: Opener, rx: mpsc::Receiver<Job>, stats: Arc<WriterStats>) {
    let mut db = Some(db);
    let mut synchronous: Option<bool> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let durable = batch.iter().any(|j| j.op.durable());
        if db.is_none() {
            match open() {
                Ok(fresh) => {
                    db = Some(fresh);
                    synchronous = None;
                }
                Err(e) => {
                    fail_all(batch, &e);
                    continue;
                }
            }
        }
        let Some(conn) = db.as_mut() else { continue };
        match execute(conn.as_mut(), &batch, durable, &mut synchronous) {
            Ok(results) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.operations.fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
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
    }
}

fn fail_all(batch: Vec<Job>, e: &DbError) {
    for job in batch {
        let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
    }
}

fn execute(
    db: &mut dyn Db,
    batch: &[Job],
    durable: bool,
    synchronous: &mut Option<bool>,
) -> Result<Vec<StoreResult<Outcome>>, DbError> {
    let dialect = db.dialect();
    if dialect == Dialect::Sqlite && *synchronous != Some(durable) {
        db.script(if durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" })?;
        *synchronous = Some(durable);
    }
    db.script(if dialect == Dialect::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
    if dialect == Dialect::Postgres && !durable {
        db.script("SET LOCAL synchronous_commit = off")?;
    }
    let mut head = Head { loaded: None, dirty: false };
    let mut results = Vec::with_capacity(batch.len());
    if let [job] = batch {
        // One operation needs no savepoint: the transaction is its savepoint.
        match apply(db, &job.op, &mut head) {
            Ok(outcome) => results.push(Ok(outcome)),
            Err(Failure::Refused(e)) => {
                db.script("ROLLBACK")?;
                return Ok(vec![Err(e)]);
            }
            Err(Failure::Sql(e)) => return Err(e),
        }
    } else {
        for job in batch {
            let saved = head.loaded.clone();
            db.script("SAVEPOINT op")?;
            match apply(db, &job.op, &mut head) {
                Ok(outcome) => {
                    db.script("RELEASE op")?;
                    results.push(Ok(outcome));
                }
                Err(Failure::Refused(e)) => {
                    db.script("ROLLBACK TO op; RELEASE op")?;
                    head.loaded = saved;
                    results.push(Err(e));
                }
                Err(Failure::Sql(e)) => return Err(e),
            }
        }
    }
    if head.dirty
        && let Some((seq, hash)) = &head.loaded
    {
        db.execute(
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
            &[Value::Int(*seq), hash.as_str().into()],
        )?;
    }
    db.script("COMMIT")?;
    Ok(results)
}

/// The audit head as this batch sees it.
struct Head {
    loaded: Option<(i64, String)>,
    dirty: bool,
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

fn append(db: &mut dyn Db, head: &mut Head, event: &AuditEvent) -> Result<(), Failure> {
    if head.loaded.is_none() {
        let sql = match db.dialect() {
            Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
            Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        };
        let rows = db.query(sql, &[])?;
        let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("the audit head is missing".into())))?;
        head.loaded = Some((rows::int(row, "seq").map_err(refused)?, rows::text(row, "hash").map_err(refused)?));
    }
    let (prev_seq, prev_hash) = head.loaded.clone().unwrap_or((0, audit::GENESIS.to_string()));
    // Stored at whole seconds, so hash exactly what is stored.
    let mut event = event.clone();
    event.at = rows::time(secs(event.at)).map_err(refused)?;
    let seq = prev_seq + 1;
    let hash = audit::chain_hash(&prev_hash, seq, &event);
    db.execute(
        "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::Int(seq),
            Value::Int(secs(event.at)),
            event.actor.as_str().into(),
            event.action.as_str().into(),
            event.target.as_str().into(),
            event.details.as_str().into(),
            prev_hash.as_str().into(),
            hash.as_str().into(),
        ],
    )?;
    head.loaded = Some((seq, hash));
    head.dirty = true;
    Ok(())
}

fn insert_request(db: &mut dyn Db, r: &NewRequest) -> Result<i64, Failure> {
    let rows = db.query(
        "INSERT INTO requests (profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
        &[
            r.profile.as_str().into(),
            r.csr.as_slice().into(),
            r.subject.as_str().into(),
            json_list(&r.sans).into(),
            r.spki_sha256.as_str().into(),
            r.requester.as_str().into(),
            json_list(&r.warnings).into(),
            r.retrieval_token_hash.as_str().into(),
            Value::Int(secs(r.created_at)),
        ],
    )?;
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("insert returned no id".into())))?;
    rows::int(row, "id").map_err(refused)
}

fn insert_reservation(db: &mut dyn Db, r: &Reservation, request_id: i64) -> Result<(), Failure> {
    let done = db.execute(
        "INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at) \
         SELECT $1, $2, $3, 'reserved', $4, $5, $6, $7, $8, $9, $10, $11 \
         WHERE EXISTS (SELECT 1 FROM requests WHERE id = $3 AND state = 'pending')",
        &[
            Value::Int(r.ca_id),
            r.serial.to_hex().into(),
            Value::Int(request_id),
            r.tbs.as_slice().into(),
            r.spki_sha256.as_str().into(),
            r.subject.as_str().into(),
            json_list(&r.sans).into(),
            Value::Int(secs(r.not_before)),
            Value::Int(secs(r.not_after)),
            Value::Int(i64::from(r.is_test)),
            Value::Int(secs(r.created_at)),
        ],
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

fn with_target(event: &AuditEvent, id: i64) -> AuditEvent {
    let mut event = event.clone();
    event.target = format!("request:{id}");
    event
}

fn apply(db: &mut dyn Db, op: &Op, head: &mut Head) -> Result<Outcome, Failure> {
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
            append(db, head, event)?;
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
            append(db, head, audit)?;
            Ok(Outcome::Done)
        }
        Op::Submit(request, event) => {
            let id = insert_request(db, request)?;
            append(db, head, &with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::SubmitAndReserve(request, reservation, event) => {
            let id = insert_request(db, request)?;
            insert_reservation(db, reservation, id)?;
            append(db, head, &with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::Reserve(reservation, event) => {
            insert_reservation(db, reservation, reservation.request_id.get())?;
            append(db, head, event)?;
            Ok(Outcome::Done)
        }
        Op::Complete(c, events) => {
            let done = db.execute(
                "UPDATE certificates SET status = 'issued', der = $1, sha256 = $2 \
                 WHERE ca_id = $3 AND serial = $4 AND request_id = $5 AND status = 'reserved'",
                &[
                    c.der.as_slice().into(),
                    c.sha256.as_str().into(),
                    Value::Int(c.ca_id),
                    c.serial.to_hex().into(),
                    Value::Int(c.request_id.get()),
                ],
            )?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!(
                    "serial {} is not reserved for request {}",
                    c.serial, c.request_id
                ))));
            }
            let approved = c.approved_sans.as_deref().map(json_list);
            let done = db.execute(
                "UPDATE requests SET state = 'issued', decided_by = $1, approved_sans = $2, decided_at = $3 WHERE id = $4 AND state = 'pending'",
                &[c.decided_by.as_str().into(), approved.into(), Value::Int(secs(c.at)), Value::Int(c.request_id.get())],
            )?;
            if done == 0 {
                let why = explain(db, c.request_id)?;
                return Err(refused(why));
            }
            for event in events {
                append(db, head, event)?;
            }
            Ok(Outcome::Done)
        }
        Op::Abandon { ca_id, serial, audit } => {
            let done = db.execute(
                "UPDATE certificates SET status = 'abandoned' WHERE ca_id = $1 AND serial = $2 AND status = 'reserved'",
                &[Value::Int(*ca_id), serial.to_hex().into()],
            )?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!("serial {serial} is not reserved"))));
            }
            append(db, head, audit)?;
            Ok(Outcome::Done)
        }
        Op::Decide { id, state, by, reason, at, audit } => {
            let done = db.execute(
                "UPDATE requests SET state = $1, decided_by = $2, reason = $3, decided_at = $4 \
                 WHERE id = $5 AND state = 'pending' \
                 AND NOT EXISTS (SELECT 1 FROM certificates WHERE request_id = $5 AND status <> 'abandoned')",
                &[
                    (*state).into(),
                    by.as_deref().into(),
                    reason.as_str().into(),
                    Value::Int(secs(*at)),
                    Value::Int(id.get()),
                ],
            )?;
            if done == 0 {
                let why = explain(db, *id)?;
                return Err(refused(why));
            }
            append(db, head, audit)?;
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
            append(db, head, event)?;
            Ok(Outcome::Id(id.unwrap_or_default()))
        }
        Op::Audit(events) => {
            for event in events {
                append(db, head, event)?;
            }
            Ok(Outcome::Done)
        }
        Op::AbandonStale(before, at) => {
            let found = db.query(
                "SELECT * FROM certificates WHERE status = 'reserved' AND created_at < $1",
                &[Value::Int(secs(*before))],
            )?;
            let records: Vec<CertificateRecord> =
                found.iter().map(|r| rows::certificate(r, "")).collect::<StoreResult<_>>().map_err(refused)?;
            db.execute(
                "UPDATE certificates SET status = 'abandoned' WHERE status = 'reserved' AND created_at < $1",
                &[Value::Int(secs(*before))],
            )?;
            for record in &records {
                let event = AuditEvent::new(
                    *at,
                    "system",
                    "certificate.abandon",
                    &format!("request:{}", record.request_id),
                    serde_json::json!({"ca_id": record.ca_id, "serial": record.serial.to_hex(), "why": "reservation left by an interrupted issuance"}),
                );
                append(db, head, &event)?;
            }
            Ok(Outcome::Abandoned(records))
        }
        Op::Raw(sql) => {
            db.script(sql).map_err(|e| refused(StoreError::Unavailable(e.to_string())))?;
            Ok(Outcome::Done)
        }
    }
}
