//! The audit hash chain as the writer extends it: a batch's events are chained after the audit
//! head and written together just before the commit, so the head is locked for the shortest time
//! and each event costs no round trip of its own.

use signet_store::StoreError;
use signet_store::audit::{self, AuditEvent};

use super::apply::{Failure, refused};
use crate::Dialect;
use crate::db::{Db, DbError, Step, Value};
use crate::rows::{self, secs};

/// The sequence number and hash of the newest audit entry.
pub(crate) type AuditHead = (i64, String);

/// Audit events of this batch, chained and written together just before the commit, so the
/// audit head is locked for the shortest time and each event costs no round trip of its own.
#[derive(Default)]
pub(crate) struct Journal {
    pub(crate) events: Vec<AuditEvent>,
}

/// Audit rows per INSERT statement (8 parameters each, far below both databases' limits).
const AUDIT_ROWS_PER_INSERT: usize = 64;

impl Journal {
    pub(crate) fn append(&mut self, event: &AuditEvent) -> Result<(), Failure> {
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
    pub(crate) fn statements_after(
        &self,
        dialect: Dialect,
        head: AuditHead,
    ) -> (Vec<(String, Vec<Value<'_>>)>, AuditHead) {
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
pub(crate) fn load_head(db: &mut dyn Db) -> Result<AuditHead, DbError> {
    let sql = match db.dialect() {
        Dialect::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        Dialect::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
    };
    let rows = db.query(sql, &[])?;
    let head = rows.first().ok_or_else(|| DbError::Other("the audit head is missing".into()))?;
    let corrupt = |e: StoreError| DbError::Other(e.to_string());
    Ok((rows::int(head, "seq").map_err(corrupt)?, rows::text(head, "hash").map_err(corrupt)?))
}

/// Writes a batch's audit entries chained after the audit head, and commits, as one pipeline
/// (one round trip on PostgreSQL). The head is the one this writer last committed when
/// `trust_head` on PostgreSQL (the write checks it and fails with SQLSTATE 40001 if another
/// front end moved it); otherwise it is read now, and locked on PostgreSQL until the COMMIT.
/// The remembered head is forgotten until the commit succeeds, so a failed commit cannot leave a
/// wrong one.
pub(crate) fn commit_with_audit(
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
