//! The statements of revocation and CRL publication: revoking and releasing certificates (each
//! raising the CA's revocation version, so CRL publishers see the change), handing out CRL
//! numbers, and storing a CRL as the current one of its scope unless a newer one is there.

use signet_model::{CaId, RevocationReason, Serial};
use signet_store::*;

use super::apply::{Failure, refused};
use crate::Dialect;
use crate::db::{Db, Value};
use crate::rows::{self, scope_column, secs};

/// Revokes an issued certificate that is not revoked, or on hold when the new reason is final;
/// answers the certificate as stored.
pub(crate) fn revoke(
    db: &mut dyn Db,
    ca_id: CaId,
    serial: &Serial,
    revocation: &Revocation,
) -> Result<CertificateRecord, Failure> {
    let hold = RevocationReason::CertificateHold.as_str();
    let done = db.execute(
        "UPDATE certificates SET revoked_at = $3, revocation_reason = $4, invalidity_date = $5, revoked_by = $6 \
         WHERE ca_id = $1 AND serial = $2 AND status = 'issued' \
         AND (revoked_at IS NULL OR (revocation_reason = $7 AND $4 <> $7))",
        &[
            ca_id.into(),
            serial.to_hex().into(),
            Value::Int(secs(revocation.revoked_at)),
            revocation.reason.as_str().into(),
            revocation.invalidity_date.map(secs).into(),
            revocation.revoked_by.as_str().into(),
            hold.into(),
        ],
    )?;
    if done == 0 {
        return Err(refused(explain(db, ca_id, serial, Change::Revoke)?));
    }
    stamp(db, ca_id, serial)
}

/// Releases a certificate on hold; answers it as stored.
pub(crate) fn release_hold(db: &mut dyn Db, ca_id: CaId, serial: &Serial) -> Result<CertificateRecord, Failure> {
    let done = db.execute(
        "UPDATE certificates SET revoked_at = NULL, revocation_reason = NULL, invalidity_date = NULL, revoked_by = NULL \
         WHERE ca_id = $1 AND serial = $2 AND status = 'issued' AND revocation_reason = $3",
        &[ca_id.into(), serial.to_hex().into(), RevocationReason::CertificateHold.as_str().into()],
    )?;
    if done == 0 {
        return Err(refused(explain(db, ca_id, serial, Change::Release)?));
    }
    stamp(db, ca_id, serial)
}

/// Raises the CA's revocation version and stamps the certificate with it, and makes its OCSP
/// response due before any other (`ocsp_due` -1). The CA row is locked
/// until the commit (PostgreSQL), so versions follow the order changes commit in: a CRL made from
/// entries read after version V holds every change up to V.
fn stamp(db: &mut dyn Db, ca_id: CaId, serial: &Serial) -> Result<CertificateRecord, Failure> {
    let rows = db.query(
        "UPDATE cas SET revocation_version = revocation_version + 1 WHERE id = $1 RETURNING revocation_version",
        &[ca_id.into()],
    )?;
    let version = rows
        .first()
        .map(|row| rows::int(row, "revocation_version"))
        .transpose()
        .map_err(refused)?
        .ok_or_else(|| refused(StoreError::NotFound(format!("CA {ca_id}"))))?;
    let rows = db.query(
        "UPDATE certificates SET revocation_version = $3, ocsp_due = -1 WHERE ca_id = $1 AND serial = $2 RETURNING *",
        &[ca_id.into(), serial.to_hex().into(), Value::Int(version)],
    )?;
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("the revoked certificate vanished".into())))?;
    rows::certificate(row, "").map_err(refused)
}

/// What was attempted, for the refusal message.
#[derive(Clone, Copy)]
enum Change {
    Revoke,
    Release,
}

/// Why a revocation or release changed nothing.
fn explain(db: &mut dyn Db, ca_id: CaId, serial: &Serial, change: Change) -> Result<StoreError, Failure> {
    let rows = db.query(
        "SELECT * FROM certificates WHERE ca_id = $1 AND serial = $2",
        &[ca_id.into(), serial.to_hex().into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(StoreError::NotFound(format!("there is no certificate with serial {serial}")));
    };
    let record = rows::certificate(row, "").map_err(refused)?;
    Ok(StoreError::Conflict(refusal(&record, change)))
}

/// The message for a change `record` refuses.
fn refusal(record: &CertificateRecord, change: Change) -> String {
    let serial = &record.serial;
    match (record.status, &record.revocation, change) {
        (CertificateStatus::Reserved, ..) => {
            format!("serial {serial} is being issued right now; try again in a moment")
        }
        (CertificateStatus::Abandoned, ..) => format!(
            "serial {serial} was never issued: its issuance was abandoned, the serial is burnt and no certificate exists to {}",
            match change {
                Change::Revoke => "revoke",
                Change::Release => "release",
            }
        ),
        (CertificateStatus::Issued, Some(r), Change::Revoke) => format!(
            "certificate {serial} is already revoked ({}, at {})",
            r.reason,
            signet_store::audit::canonical_time(r.revoked_at)
        ),
        (CertificateStatus::Issued, Some(r), Change::Release) => format!(
            "certificate {serial} was revoked for {}, which is final: only a certificateHold can be released",
            r.reason
        ),
        (CertificateStatus::Issued, None, Change::Release) => {
            format!("certificate {serial} is not revoked; there is no hold to release")
        }
        // Not revoked, yet the revocation changed nothing: it was revoked and released between
        // the two statements, which one transaction cannot see; report it as a race.
        (CertificateStatus::Issued, None, Change::Revoke) => {
            format!("certificate {serial} changed while it was being revoked; try again")
        }
    }
}

/// Hands out the CA's next CRL number: one more than the last, and at least `floor`.
pub(crate) fn next_crl_number(db: &mut dyn Db, ca_id: CaId, floor: u64) -> Result<u64, Failure> {
    let sql = match db.dialect() {
        Dialect::Postgres => {
            "UPDATE cas SET crl_number = GREATEST(crl_number + 1, $2) WHERE id = $1 RETURNING crl_number"
        }
        Dialect::Sqlite => "UPDATE cas SET crl_number = MAX(crl_number + 1, $2) WHERE id = $1 RETURNING crl_number",
    };
    let floor = i64::try_from(floor).map_err(|_| refused(StoreError::Corrupt(format!("CRL number floor {floor}"))))?;
    let rows = db.query(sql, &[ca_id.into(), Value::Int(floor)])?;
    let row = rows.first().ok_or_else(|| refused(StoreError::NotFound(format!("CA {ca_id}"))))?;
    let number = rows::int(row, "crl_number").map_err(refused)?;
    u64::try_from(number).map_err(|_| refused(StoreError::Corrupt(format!("CRL number {number}"))))
}

/// Stores a CRL as its scope's current one, unless one with an equal or higher number is there.
pub(crate) fn store_crl(db: &mut dyn Db, crl: &CrlRecord) -> Result<(), Failure> {
    let s = &crl.summary;
    let number =
        i64::try_from(s.number).map_err(|_| refused(StoreError::Corrupt(format!("CRL number {}", s.number))))?;
    let entries = i64::try_from(s.entries).unwrap_or(i64::MAX);
    let done = db.execute(
        "INSERT INTO crls (ca_id, shard, number, this_update, next_update, entries, sha256, source_version, der) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (ca_id, shard) DO UPDATE SET number = excluded.number, this_update = excluded.this_update, \
           next_update = excluded.next_update, entries = excluded.entries, sha256 = excluded.sha256, \
           source_version = excluded.source_version, der = excluded.der \
         WHERE crls.number < excluded.number",
        &[
            s.ca_id.into(),
            Value::Int(scope_column(s.scope)),
            Value::Int(number),
            Value::Int(secs(s.this_update)),
            Value::Int(secs(s.next_update)),
            Value::Int(entries),
            s.sha256.into(),
            Value::Int(s.source_version),
            crl.der.as_slice().into(),
        ],
    )?;
    if done == 0 {
        return Err(refused(StoreError::Conflict(format!(
            "a CRL numbered {} or higher is already stored for this scope",
            s.number
        ))));
    }
    Ok(())
}

/// Stores OCSP responses whose certificates did not change since they were read; answers how
/// many. The certificate's revocation version must still be the one the response was made
/// from, so a response made just before a revocation never replaces the revoked one's.
pub(crate) fn store_ocsp_responses(db: &mut dyn Db, responses: &[OcspResponseRecord]) -> Result<usize, Failure> {
    if db.dialect() == Dialect::Postgres {
        return store_ocsp_responses_pg(db, responses);
    }
    let mut stored = 0;
    for r in responses {
        let due = r.due.map_or(i64::MAX, secs);
        let current = db.execute(
            "UPDATE certificates SET ocsp_due = $3 \
             WHERE ca_id = $1 AND serial = $2 AND status = 'issued' AND COALESCE(revocation_version, 0) = $4",
            &[r.ca_id.into(), r.serial.to_hex().into(), Value::Int(due), Value::Int(r.revocation_version)],
        )?;
        if current == 0 {
            continue;
        }
        db.execute(
            "INSERT INTO ocsp_responses (ca_id, serial, this_update, next_update, der) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (ca_id, serial) DO UPDATE SET this_update = excluded.this_update, \
               next_update = excluded.next_update, der = excluded.der",
            &[
                r.ca_id.into(),
                r.serial.to_hex().into(),
                Value::Int(secs(r.this_update)),
                Value::Int(secs(r.next_update)),
                r.der.as_slice().into(),
            ],
        )?;
        stored += 1;
    }
    Ok(stored)
}

/// Responses per statement on PostgreSQL (6 parameters each).
const OCSP_ROWS_PER_STATEMENT: usize = 100;

/// [`store_ocsp_responses`] on PostgreSQL: a hundred responses per statement, so a batch costs a
/// few round trips instead of two per response (the writer connection is the issuance path's
/// too). The same rule: a response is stored only if its certificate is unchanged.
fn store_ocsp_responses_pg(db: &mut dyn Db, responses: &[OcspResponseRecord]) -> Result<usize, Failure> {
    let mut stored = 0;
    let mut rest = responses;
    while let Some(first) = rest.first() {
        let same_ca = rest.iter().take(OCSP_ROWS_PER_STATEMENT).take_while(|r| r.ca_id == first.ca_id).count();
        let (chunk, tail) = rest.split_at(same_ca.max(1));
        rest = tail;
        let mut rows = Vec::with_capacity(chunk.len());
        let mut params: Vec<Value<'_>> = vec![first.ca_id.into()];
        for (i, r) in chunk.iter().enumerate() {
            let n = 2 + i * 6;
            rows.push(if i == 0 {
                format!(
                    "(${n}::text, ${}::bigint, ${}::bigint, ${}::bytea, ${}::bigint, ${}::bigint)",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5
                )
            } else {
                format!("(${n}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5)
            });
            params.extend([
                r.serial.to_hex().into(),
                Value::Int(secs(r.this_update)),
                Value::Int(secs(r.next_update)),
                r.der.as_slice().into(),
                Value::Int(r.revocation_version),
                Value::Int(r.due.map_or(i64::MAX, secs)),
            ]);
        }
        let sql = format!(
            "WITH input (serial, this_update, next_update, der, version, due) AS (VALUES {}), \
             updated AS (UPDATE certificates c SET ocsp_due = i.due FROM input i \
               WHERE c.ca_id = $1 AND c.serial = i.serial AND c.status = 'issued' \
               AND COALESCE(c.revocation_version, 0) = i.version RETURNING c.serial) \
             INSERT INTO ocsp_responses (ca_id, serial, this_update, next_update, der) \
             SELECT $1, i.serial, i.this_update, i.next_update, i.der FROM input i JOIN updated u ON u.serial = i.serial \
             ON CONFLICT (ca_id, serial) DO UPDATE SET this_update = excluded.this_update, \
               next_update = excluded.next_update, der = excluded.der \
             RETURNING serial",
            rows.join(", ")
        );
        stored += db.query(&sql, &params)?.len();
    }
    Ok(stored)
}

/// Stores a delegated OCSP responder; with `resign_all`, makes every stored response of its CA
/// due now (after revocations, which stay first: -1, and new certificates: 0).
pub(crate) fn store_ocsp_responder(db: &mut dyn Db, r: &OcspResponderRecord, resign_all: bool) -> Result<(), Failure> {
    db.execute(
        "INSERT INTO ocsp_responders (ca_id, serial, certificate, encrypted_key, not_after, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            r.ca_id.into(),
            r.serial.to_hex().into(),
            r.certificate.as_slice().into(),
            r.encrypted_key.as_slice().into(),
            Value::Int(secs(r.not_after)),
            Value::Int(secs(r.created_at)),
        ],
    )
    .map_err(super::apply::Constraint::refuse(&[super::apply::Constraint::OcspResponder]))?;
    if resign_all {
        db.execute(
            "UPDATE certificates SET ocsp_due = 1 WHERE ca_id = $1 AND status = 'issued' AND ocsp_due > 1",
            &[r.ca_id.into()],
        )?;
    }
    Ok(())
}
