//! The statements the writer runs for requests and certificates: the shared SQL once, and where
//! the dialects differ (PostgreSQL does in one statement what SQLite does in two) both variants
//! side by side.

use signet_model::{CaId, Decision, RequestId, RequestState, Serial};
use signet_store::*;

use super::apply::{Constraint, Failure, refused, returned_id};
use crate::Dialect;
use crate::db::{Db, Value};
use crate::rows::{self, json_list, secs};

/// What a reservation may break: a serial already used, or a request already being issued.
const RESERVATION_RULES: &[Constraint] = &[Constraint::CertificateSerial, Constraint::LiveCertificatePerRequest];

/// Stores a new request; answers its id.
pub(crate) fn insert_request(db: &mut dyn Db, r: &NewRequest) -> Result<i64, Failure> {
    let rows = db.query(
        "INSERT INTO requests (profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
        &request_values(r),
    )?;
    returned_id(&rows, "storing the request")
}

/// A new request's columns, in the order of the INSERTs below ($1..$9).
pub(crate) fn request_values(r: &NewRequest) -> Vec<Value<'_>> {
    vec![
        r.profile.as_str().into(),
        r.csr.as_slice().into(),
        r.subject.as_str().into(),
        json_list(&r.sans).into(),
        r.spki_sha256.into(),
        r.requester.as_str().into(),
        json_list(&r.warnings).into(),
        r.retrieval_token_hash.into(),
        Value::Int(secs(r.created_at)),
    ]
}

/// A reservation's columns but its request, in the order of the INSERTs below.
pub(crate) fn reservation_values(r: &Reservation) -> Vec<Value<'_>> {
    vec![
        r.ca_id.into(),
        r.serial.to_hex().into(),
        r.tbs.as_slice().into(),
        r.spki_sha256.into(),
        r.subject.as_str().into(),
        json_list(&r.sans).into(),
        Value::Int(secs(r.not_before)),
        Value::Int(secs(r.not_after)),
        Value::Int(i64::from(r.is_test)),
        Value::Int(secs(r.created_at)),
        r.crl_shard.map(i64::from).into(),
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

pub(crate) fn insert_reservation(db: &mut dyn Db, r: &Reservation, request_id: i64) -> Result<(), Failure> {
    lock_request(db, request_id)?;
    let mut values = reservation_values(r);
    values.push(Value::Int(request_id));
    let done = db
        .execute(
            "INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at, crl_shard) \
             SELECT $1, $2, $12, 'reserved', $3, $4, $5, $6, $7, $8, $9, $10, $11 \
             WHERE EXISTS (SELECT 1 FROM requests WHERE id = $12 AND state = 'pending')",
            &values,
        )
        .map_err(Constraint::refuse(RESERVATION_RULES))?;
    if done == 0 {
        return Err(refused(StoreError::Conflict(format!("request {request_id} is no longer pending"))));
    }
    Ok(())
}

/// A request row's state.
fn stored_state(row: &crate::db::Row) -> Result<RequestState, Failure> {
    let text = rows::text(row, "state").map_err(refused)?;
    RequestState::parse(&text).ok_or_else(|| refused(StoreError::Corrupt(format!("request state {text:?}"))))
}

/// Why a pending-only update touched nothing: missing, or in which state.
pub(crate) fn explain(db: &mut dyn Db, id: RequestId) -> Result<StoreError, Failure> {
    let rows = db.query("SELECT state FROM requests WHERE id = $1", &[Value::Int(id.get())])?;
    Ok(match rows.first() {
        None => StoreError::NotFound(format!("request {id}")),
        Some(row) => {
            let state = stored_state(row)?;
            if state == RequestState::Pending {
                StoreError::Conflict(format!("request {id} is being issued right now"))
            } else {
                StoreError::Conflict(format!("request {id} is already {state}"))
            }
        }
    })
}

/// A new request and its reservation, in one statement; answers the request's id: $21 when
/// given (taken ahead from the sequence), else the next from the sequence.
pub(crate) const SUBMIT_AND_RESERVE_PG: &str = "WITH r AS (\
       INSERT INTO requests (id, profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at) \
       VALUES (COALESCE($21::bigint, nextval('requests_id_seq')), $1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id) \
     INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at, crl_shard) \
     SELECT $10, $11, r.id, 'reserved', $12, $13, $14, $15, $16, $17, $18, $19, $20 FROM r RETURNING request_id";

/// The request and its reservation in one statement (one round trip).
fn submit_and_reserve_pg(db: &mut dyn Db, r: &NewRequest, v: &Reservation) -> Result<i64, Failure> {
    let rows = db
        .query(SUBMIT_AND_RESERVE_PG, &[request_values(r), reservation_values(v), vec![Value::Null]].concat())
        .map_err(Constraint::refuse(RESERVATION_RULES))?;
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("storing the request returned no id".into())))?;
    rows::int(row, "request_id").map_err(refused)
}

/// Stores a new request and its reservation; answers the request's id.
pub(crate) fn submit_and_reserve(
    db: &mut dyn Db,
    request: &NewRequest,
    reservation: &Reservation,
) -> Result<i64, Failure> {
    match db.dialect() {
        Dialect::Postgres => submit_and_reserve_pg(db, request, reservation),
        Dialect::Sqlite => {
            let id = insert_request(db, request)?;
            insert_reservation(db, reservation, id)?;
            Ok(id)
        }
    }
}

fn not_reserved(c: &Completion) -> Failure {
    refused(StoreError::Conflict(format!("serial {} is not reserved for request {}", c.serial, c.request_id)))
}

/// A completion's values: $1..$5 find and fill the certificate, $5..$8 decide the request.
pub(crate) fn completion_values(c: &Completion) -> Vec<Value<'_>> {
    vec![
        c.der.as_slice().into(),
        c.sha256.into(),
        c.ca_id.into(),
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
pub(crate) const COMPLETE_OR_REFUSE_PG: &str =
    complete_pg!("SELECT 1 AS done WHERE CASE WHEN EXISTS (SELECT 1 FROM u) THEN true ELSE signet_refused() END");

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
    match state.first().map(stored_state).transpose()? {
        Some(RequestState::Pending) => Err(not_reserved(c)),
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

/// Stores a signed certificate and moves its request to issued.
pub(crate) fn complete(db: &mut dyn Db, c: &Completion) -> Result<(), Failure> {
    match db.dialect() {
        Dialect::Postgres => complete_pg(db, c),
        Dialect::Sqlite => complete_sqlite(db, c),
    }
}

/// Marks a reservation abandoned; answers 1 if it was reserved, 0 if not.
pub(crate) fn abandon(db: &mut dyn Db, ca_id: CaId, serial: &Serial) -> Result<u64, Failure> {
    Ok(db.execute(
        "UPDATE certificates SET status = 'abandoned' WHERE ca_id = $1 AND serial = $2 AND status = 'reserved'",
        &[ca_id.into(), serial.to_hex().into()],
    )?)
}

/// Moves a pending request with no live certificate as `decision` says; answers 1 if it did, 0
/// if not (the request was not pending, or is being issued).
pub(crate) fn decide(
    db: &mut dyn Db,
    id: i64,
    decision: Decision,
    by: Option<&str>,
    reason: &str,
    at: time::OffsetDateTime,
) -> Result<u64, Failure> {
    lock_request(db, id)?;
    Ok(db.execute(
        "UPDATE requests SET state = $1, decided_by = $2, reason = $3, decided_at = $4 \
         WHERE id = $5 AND state = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM certificates WHERE request_id = $5 AND status <> 'abandoned')",
        &[decision.outcome().into(), by.into(), reason.into(), Value::Int(secs(at)), Value::Int(id)],
    )?)
}
