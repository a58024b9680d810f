//! The writer task: every state change in this process goes through it, and the changes of
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

use signet_model::{RequestId, Serial};
use signet_store::audit::{self, AuditEvent};
use signet_store::*;
use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::{Any, ConnectOptions, Connection, Executor, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::Dialect;
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
    AbandonStale(time::OffsetDateTime),
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

pub(crate) fn spawn(
    dialect: Dialect,
    options: AnyConnectOptions,
    conn: AnyConnection,
    stats: Arc<WriterStats>,
) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(4096);
    tokio::spawn(run(dialect, options, conn, rx, stats));
    tx
}

/// Opens the writer's connection with the per-connection settings.
pub(crate) async fn connect(dialect: Dialect, options: &AnyConnectOptions) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = options.connect().await?;
    if dialect == Dialect::Sqlite {
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
    }
    Ok(conn)
}

async fn run(
    dialect: Dialect,
    options: AnyConnectOptions,
    conn: AnyConnection,
    mut rx: mpsc::Receiver<Job>,
    stats: Arc<WriterStats>,
) {
    let mut conn = Some(conn);
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let durable = batch.iter().any(|j| j.op.durable());
        let result = match conn.as_mut() {
            Some(c) => execute(dialect, c, &batch, durable).await,
            None => match connect(dialect, &options).await {
                Ok(mut fresh) => {
                    let result = execute(dialect, &mut fresh, &batch, durable).await;
                    conn = Some(fresh);
                    result
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(results) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.operations.fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "storage transaction failed; nothing in the batch was written");
                let message = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Unavailable(message.clone())));
                }
                // The connection may be broken: open a new one for the next batch.
                conn = None;
            }
        }
    }
}

type Tx<'c> = Transaction<'c, Any>;

async fn execute(
    dialect: Dialect,
    conn: &mut AnyConnection,
    batch: &[Job],
    durable: bool,
) -> Result<Vec<StoreResult<Outcome>>, sqlx::Error> {
    if dialect == Dialect::Sqlite {
        conn.execute(if durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" }).await?;
    }
    let mut tx = conn.begin().await?;
    if dialect == Dialect::Postgres && !durable {
        tx.execute("SET LOCAL synchronous_commit = off").await?;
    }
    let mut head = Head { loaded: None, dirty: false };
    let mut results = Vec::with_capacity(batch.len());
    // One operation needs no savepoint: the transaction is its savepoint.
    if let [job] = batch {
        match apply(dialect, &mut tx, &job.op, &mut head).await {
            Ok(outcome) => results.push(Ok(outcome)),
            Err(Failure::Refused(e)) => {
                tx.rollback().await?;
                return Ok(vec![Err(e)]);
            }
            Err(Failure::Sql(e)) => return Err(e),
        }
    }
    for job in batch.iter().filter(|_| batch.len() > 1) {
        let saved = head.loaded.clone();
        let mut savepoint = tx.begin().await?;
        match apply(dialect, &mut savepoint, &job.op, &mut head).await {
            Ok(outcome) => {
                savepoint.commit().await?;
                results.push(Ok(outcome));
            }
            Err(Failure::Refused(e)) => {
                savepoint.rollback().await?;
                head.loaded = saved;
                results.push(Err(e));
            }
            Err(Failure::Sql(e)) => return Err(e),
        }
    }
    if head.dirty
        && let Some((seq, hash)) = &head.loaded
    {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(*seq)
            .bind(hash.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
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
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let message = db.message().to_string();
                let text = if message.contains("one_live_per_request") || message.contains("request_id") {
                    "the request already has a certificate issued or being issued".to_string()
                } else if message.contains("serial")
                    || message.contains("certificates_pkey")
                    || message.contains("PRIMARY")
                {
                    "that serial number is already used by this CA".to_string()
                } else if message.contains("cas") || message.contains("name") {
                    "a CA with that name already exists".to_string()
                } else if message.contains("hash") {
                    "that token already exists".to_string()
                } else {
                    message
                };
                Failure::Refused(StoreError::Conflict(text))
            }
            _ => Failure::Sql(e),
        }
    }
}

fn refused(e: StoreError) -> Failure {
    Failure::Refused(e)
}

async fn append(dialect: Dialect, tx: &mut Tx<'_>, head: &mut Head, event: &AuditEvent) -> Result<(), Failure> {
    if head.loaded.is_none() {
        let sql = match dialect {
            Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
            Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        };
        let row = sqlx::query(sql).fetch_one(&mut **tx).await?;
        head.loaded = Some((row.try_get("seq")?, row.try_get("hash")?));
    }
    let (prev_seq, prev_hash) = head.loaded.clone().unwrap_or((0, audit::GENESIS.to_string()));
    // Stored at whole seconds, so hash exactly what is stored.
    let mut event = event.clone();
    event.at = rows::time(secs(event.at)).map_err(refused)?;
    let seq = prev_seq + 1;
    let hash = audit::chain_hash(&prev_hash, seq, &event);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(secs(event.at))
    .bind(event.actor.as_str())
    .bind(event.action.as_str())
    .bind(event.target.as_str())
    .bind(event.details.as_str())
    .bind(prev_hash.as_str())
    .bind(hash.as_str())
    .execute(&mut **tx)
    .await?;
    head.loaded = Some((seq, hash));
    head.dirty = true;
    Ok(())
}

async fn insert_request(tx: &mut Tx<'_>, r: &NewRequest) -> Result<i64, Failure> {
    let row = sqlx::query(
        "INSERT INTO requests (profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
    )
    .bind(r.profile.as_str())
    .bind(r.csr.as_slice())
    .bind(r.subject.as_str())
    .bind(json_list(&r.sans))
    .bind(r.spki_sha256.as_str())
    .bind(r.requester.as_str())
    .bind(json_list(&r.warnings))
    .bind(r.retrieval_token_hash.as_str())
    .bind(secs(r.created_at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

async fn insert_reservation(tx: &mut Tx<'_>, r: &Reservation, request_id: i64) -> Result<(), Failure> {
    let done = sqlx::query(
        "INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at) \
         SELECT $1, $2, $3, 'reserved', $4, $5, $6, $7, $8, $9, $10, $11 \
         WHERE EXISTS (SELECT 1 FROM requests WHERE id = $3 AND state = 'pending')",
    )
    .bind(r.ca_id)
    .bind(r.serial.to_hex())
    .bind(request_id)
    .bind(r.tbs.as_slice())
    .bind(r.spki_sha256.as_str())
    .bind(r.subject.as_str())
    .bind(json_list(&r.sans))
    .bind(secs(r.not_before))
    .bind(secs(r.not_after))
    .bind(i64::from(r.is_test))
    .bind(secs(r.created_at))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(refused(StoreError::Conflict(format!("request {request_id} is no longer pending"))));
    }
    Ok(())
}

/// Why a pending-only update touched nothing: missing, or in which state.
async fn explain(tx: &mut Tx<'_>, id: RequestId) -> Result<StoreError, Failure> {
    let row = sqlx::query("SELECT state FROM requests WHERE id = $1").bind(id.get()).fetch_optional(&mut **tx).await?;
    Ok(match row {
        None => StoreError::NotFound(format!("request {id}")),
        Some(row) => {
            let state: String = row.try_get("state")?;
            if state == "pending" {
                StoreError::Conflict(format!("request {id} is being issued right now"))
            } else {
                StoreError::Conflict(format!("request {id} is already {state}"))
            }
        }
    })
}

async fn apply(dialect: Dialect, tx: &mut Tx<'_>, op: &Op, head: &mut Head) -> Result<Outcome, Failure> {
    match op {
        Op::CreateCa(ca, event) => {
            let row = sqlx::query(
                "INSERT INTO cas (name, kind, parent, certificate, csr, encrypted_key, not_after, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(ca.name.as_str())
            .bind(ca.kind.as_str())
            .bind(ca.parent.clone())
            .bind(ca.certificate.clone())
            .bind(ca.csr.clone())
            .bind(ca.encrypted_key.as_slice())
            .bind(ca.not_after.map(secs))
            .bind(secs(ca.created_at))
            .fetch_one(&mut **tx)
            .await?;
            append(dialect, tx, head, event).await?;
            Ok(Outcome::Id(row.try_get("id")?))
        }
        Op::InstallCa { ca_id, certificate, not_after, audit } => {
            let done = sqlx::query("UPDATE cas SET certificate = $1, not_after = $2 WHERE id = $3")
                .bind(certificate.as_slice())
                .bind(secs(*not_after))
                .bind(*ca_id)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(refused(StoreError::NotFound(format!("CA {ca_id}"))));
            }
            append(dialect, tx, head, audit).await?;
            Ok(Outcome::Done)
        }
        Op::Submit(request, event) => {
            let id = insert_request(tx, request).await?;
            let mut event = event.clone();
            event.target = format!("request:{id}");
            append(dialect, tx, head, &event).await?;
            Ok(Outcome::Id(id))
        }
        Op::SubmitAndReserve(request, reservation, event) => {
            let id = insert_request(tx, request).await?;
            insert_reservation(tx, reservation, id).await?;
            let mut event = event.clone();
            event.target = format!("request:{id}");
            append(dialect, tx, head, &event).await?;
            Ok(Outcome::Id(id))
        }
        Op::Reserve(reservation, event) => {
            insert_reservation(tx, reservation, reservation.request_id.get()).await?;
            append(dialect, tx, head, event).await?;
            Ok(Outcome::Done)
        }
        Op::Complete(c, events) => {
            let done = sqlx::query(
                "UPDATE certificates SET status = 'issued', der = $1, sha256 = $2 \
                 WHERE ca_id = $3 AND serial = $4 AND request_id = $5 AND status = 'reserved'",
            )
            .bind(c.der.as_slice())
            .bind(c.sha256.as_str())
            .bind(c.ca_id)
            .bind(c.serial.to_hex())
            .bind(c.request_id.get())
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(refused(StoreError::Conflict(format!(
                    "serial {} is not reserved for request {}",
                    c.serial, c.request_id
                ))));
            }
            let approved = c.approved_sans.as_deref().map(json_list);
            let done = sqlx::query(
                "UPDATE requests SET state = 'issued', decided_by = $1, approved_sans = $2, decided_at = $3 WHERE id = $4 AND state = 'pending'",
            )
            .bind(c.decided_by.as_str())
            .bind(approved)
            .bind(secs(c.at))
            .bind(c.request_id.get())
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(refused(explain(tx, c.request_id).await?));
            }
            for event in events {
                append(dialect, tx, head, event).await?;
            }
            Ok(Outcome::Done)
        }
        Op::Abandon { ca_id, serial, audit } => {
            let done = sqlx::query(
                "UPDATE certificates SET status = 'abandoned' WHERE ca_id = $1 AND serial = $2 AND status = 'reserved'",
            )
            .bind(*ca_id)
            .bind(serial.to_hex())
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(refused(StoreError::Conflict(format!("serial {serial} is not reserved"))));
            }
            append(dialect, tx, head, audit).await?;
            Ok(Outcome::Done)
        }
        Op::Decide { id, state, by, reason, at, audit } => {
            let done = sqlx::query(
                "UPDATE requests SET state = $1, decided_by = $2, reason = $3, decided_at = $4 \
                 WHERE id = $5 AND state = 'pending' \
                 AND NOT EXISTS (SELECT 1 FROM certificates WHERE request_id = $5 AND status <> 'abandoned')",
            )
            .bind(*state)
            .bind(by.clone())
            .bind(reason.as_str())
            .bind(secs(*at))
            .bind(id.get())
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(refused(explain(tx, *id).await?));
            }
            append(dialect, tx, head, audit).await?;
            Ok(Outcome::Done)
        }
        Op::CreateToken(token, event) => {
            let roles: Vec<String> = token.roles.iter().map(|r| r.as_str().to_string()).collect();
            let row =
                sqlx::query("INSERT INTO tokens (name, hash, roles, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(token.name.as_str())
                    .bind(token.hash.as_str())
                    .bind(json_list(&roles))
                    .bind(secs(token.created_at))
                    .fetch_one(&mut **tx)
                    .await?;
            append(dialect, tx, head, event).await?;
            Ok(Outcome::Id(row.try_get("id")?))
        }
        Op::Audit(events) => {
            for event in events {
                append(dialect, tx, head, event).await?;
            }
            Ok(Outcome::Done)
        }
        Op::AbandonStale(before) => {
            let rows = sqlx::query("SELECT * FROM certificates WHERE status = 'reserved' AND created_at < $1")
                .bind(secs(*before))
                .fetch_all(&mut **tx)
                .await?;
            let records: Vec<CertificateRecord> =
                rows.iter().map(|r| rows::certificate(r, "")).collect::<StoreResult<_>>().map_err(refused)?;
            sqlx::query("UPDATE certificates SET status = 'abandoned' WHERE status = 'reserved' AND created_at < $1")
                .bind(secs(*before))
                .execute(&mut **tx)
                .await?;
            for record in &records {
                let event = AuditEvent::new(
                    time::OffsetDateTime::now_utc(),
                    "system",
                    "certificate.abandon",
                    &format!("request:{}", record.request_id),
                    serde_json::json!({"ca_id": record.ca_id, "serial": record.serial.to_hex(), "why": "reservation left by an interrupted issuance"}),
                );
                append(dialect, tx, head, &event).await?;
            }
            Ok(Outcome::Abandoned(records))
        }
    }
}
