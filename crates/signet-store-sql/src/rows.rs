//! Converting rows to records and values to columns.

use signet_model::{CaId, RequestId, RequestState, RevocationReason, Role, Serial, Sha256};
use signet_store::*;
use time::OffsetDateTime;

use crate::db::{Cell, Row};

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn cell<'r>(row: &'r Row, column: &str) -> StoreResult<&'r Cell> {
    row.cell(column).ok_or_else(|| corrupt(column, "column missing"))
}

pub(crate) fn int(row: &Row, column: &str) -> StoreResult<i64> {
    match cell(row, column)? {
        Cell::Int(v) => Ok(*v),
        other => Err(corrupt(column, format!("expected an integer, found {other:?}"))),
    }
}

pub(crate) fn opt_int(row: &Row, column: &str) -> StoreResult<Option<i64>> {
    match cell(row, column)? {
        Cell::Null => Ok(None),
        Cell::Int(v) => Ok(Some(*v)),
        other => Err(corrupt(column, format!("expected an integer, found {other:?}"))),
    }
}

pub(crate) fn text(row: &Row, column: &str) -> StoreResult<String> {
    match cell(row, column)? {
        Cell::Text(v) => Ok(v.clone()),
        other => Err(corrupt(column, format!("expected text, found {other:?}"))),
    }
}

pub(crate) fn opt_text(row: &Row, column: &str) -> StoreResult<Option<String>> {
    match cell(row, column)? {
        Cell::Null => Ok(None),
        Cell::Text(v) => Ok(Some(v.clone())),
        other => Err(corrupt(column, format!("expected text, found {other:?}"))),
    }
}

pub(crate) fn blob(row: &Row, column: &str) -> StoreResult<Vec<u8>> {
    match cell(row, column)? {
        Cell::Blob(v) => Ok(v.clone()),
        other => Err(corrupt(column, format!("expected bytes, found {other:?}"))),
    }
}

pub(crate) fn opt_blob(row: &Row, column: &str) -> StoreResult<Option<Vec<u8>>> {
    match cell(row, column)? {
        Cell::Null => Ok(None),
        Cell::Blob(v) => Ok(Some(v.clone())),
        other => Err(corrupt(column, format!("expected bytes, found {other:?}"))),
    }
}

pub(crate) fn time(seconds: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| corrupt("timestamp", e))
}

pub(crate) fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// A digest column (stored as lower-case hex).
pub(crate) fn digest(row: &Row, column: &str) -> StoreResult<Sha256> {
    text(row, column)?.parse().map_err(|e| corrupt(column, e))
}

fn opt_digest(row: &Row, column: &str) -> StoreResult<Option<Sha256>> {
    opt_text(row, column)?.map(|t| t.parse().map_err(|e| corrupt(column, e))).transpose()
}

/// A CA id column.
pub(crate) fn ca_id(row: &Row, column: &str) -> StoreResult<CaId> {
    let id = int(row, column)?;
    CaId::new(id).ok_or_else(|| corrupt("CA id", id))
}

fn parse_list(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("list", e))
}

fn opt_time(value: Option<i64>) -> StoreResult<Option<OffsetDateTime>> {
    value.map(time).transpose()
}

pub(crate) fn ca(row: &Row) -> StoreResult<CaRecord> {
    let kind = text(row, "kind")?;
    Ok(CaRecord {
        id: ca_id(row, "id")?,
        name: text(row, "name")?,
        kind: CaKind::parse(&kind).ok_or_else(|| corrupt("CA kind", &kind))?,
        parent: opt_text(row, "parent")?,
        certificate: opt_blob(row, "certificate")?,
        csr: opt_blob(row, "csr")?,
        encrypted_key: blob(row, "encrypted_key")?,
        not_after: opt_time(opt_int(row, "not_after")?)?,
        created_at: time(int(row, "created_at")?)?,
    })
}

pub(crate) fn ca_alternate(row: &Row) -> StoreResult<CaAlternateRecord> {
    let chain_text = text(row, "chain")?;
    let chain: Vec<String> = serde_json::from_str(&chain_text).map_err(|_| corrupt("alternate chain", &chain_text))?;
    Ok(CaAlternateRecord {
        id: int(row, "id")?,
        ca_id: ca_id(row, "ca_id")?,
        certificate: blob(row, "certificate")?,
        issuer_ca: opt_text(row, "issuer_ca")?,
        chain: chain
            .iter()
            .map(|h| hex::decode(h).map_err(|_| corrupt("alternate chain", h)))
            .collect::<StoreResult<_>>()?,
        not_after: time(int(row, "not_after")?)?,
        created_at: time(int(row, "created_at")?)?,
    })
}

pub(crate) fn request_id(id: i64) -> StoreResult<RequestId> {
    RequestId::new(id).ok_or_else(|| corrupt("request id", id))
}

/// A request row; `prefix` selects aliased columns in joins ("" for plain rows).
pub(crate) fn request(row: &Row, prefix: &str) -> StoreResult<RequestRecord> {
    let c = |name: &str| format!("{prefix}{name}");
    let state = text(row, &c("state"))?;
    Ok(RequestRecord {
        id: request_id(int(row, &c("id"))?)?,
        profile: text(row, &c("profile"))?,
        csr: blob(row, &c("csr"))?,
        subject: text(row, &c("subject"))?,
        sans: parse_list(&text(row, &c("sans"))?)?,
        spki_sha256: digest(row, &c("spki_sha256"))?,
        requester: text(row, &c("requester"))?,
        state: RequestState::parse(&state).ok_or_else(|| corrupt("request state", &state))?,
        warnings: parse_list(&text(row, &c("warnings"))?)?,
        reason: opt_text(row, &c("reason"))?,
        decided_by: opt_text(row, &c("decided_by"))?,
        approved_sans: opt_text(row, &c("approved_sans"))?.as_deref().map(parse_list).transpose()?,
        retrieval_token_hash: digest(row, &c("retrieval_token_hash"))?,
        created_at: time(int(row, &c("created_at"))?)?,
        decided_at: opt_time(opt_int(row, &c("decided_at"))?)?,
    })
}

/// A certificate row; `prefix` selects aliased columns in joins.
pub(crate) fn certificate(row: &Row, prefix: &str) -> StoreResult<CertificateRecord> {
    let c = |name: &str| format!("{prefix}{name}");
    let serial = text(row, &c("serial"))?;
    let status = text(row, &c("status"))?;
    Ok(CertificateRecord {
        ca_id: ca_id(row, &c("ca_id"))?,
        serial: Serial::parse_hex(&serial).map_err(|e| corrupt("serial", e))?,
        request_id: request_id(int(row, &c("request_id"))?)?,
        status: CertificateStatus::parse(&status).ok_or_else(|| corrupt("certificate status", &status))?,
        tbs: blob(row, &c("tbs"))?,
        der: opt_blob(row, &c("der"))?,
        sha256: opt_digest(row, &c("sha256"))?,
        spki_sha256: digest(row, &c("spki_sha256"))?,
        subject: text(row, &c("subject"))?,
        sans: parse_list(&text(row, &c("sans"))?)?,
        not_before: time(int(row, &c("not_before"))?)?,
        not_after: time(int(row, &c("not_after"))?)?,
        is_test: int(row, &c("is_test"))? != 0,
        crl_shard: opt_int(row, &c("crl_shard"))?.map(shard).transpose()?,
        created_at: time(int(row, &c("created_at"))?)?,
        revocation: match opt_int(row, &c("revoked_at"))? {
            None => None,
            Some(at) => Some(Revocation {
                revoked_at: time(at)?,
                reason: reason(&text(row, &c("revocation_reason"))?)?,
                invalidity_date: opt_time(opt_int(row, &c("invalidity_date"))?)?,
                revoked_by: opt_text(row, &c("revoked_by"))?.unwrap_or_default(),
            }),
        },
    })
}

/// A CRL partition number as stored.
pub(crate) fn shard(value: i64) -> StoreResult<u16> {
    u16::try_from(value).map_err(|e| corrupt("CRL shard", e))
}

/// A revocation reason as stored (its RFC 5280 name).
pub(crate) fn reason(text: &str) -> StoreResult<RevocationReason> {
    RevocationReason::parse(text).map_err(|e| corrupt("revocation reason", e))
}

/// A CRL entry: `serial, revoked_at, revocation_reason, invalidity_date`.
pub(crate) fn revoked_entry(row: &Row) -> StoreResult<RevokedEntry> {
    let serial = text(row, "serial")?;
    Ok(RevokedEntry {
        serial: Serial::parse_hex(&serial).map_err(|e| corrupt("serial", e))?,
        revoked_at: time(int(row, "revoked_at")?)?,
        reason: reason(&text(row, "revocation_reason")?)?,
        invalidity_date: opt_time(opt_int(row, "invalidity_date")?)?,
    })
}

/// A certificate due for an OCSP response: `serial, revoked_at, revocation_reason, version, not_after`.
pub(crate) fn ocsp_work(row: &Row) -> StoreResult<OcspWork> {
    let serial = text(row, "serial")?;
    let revocation = match opt_int(row, "revoked_at")? {
        Some(at) => Some((time(at)?, reason(&text(row, "revocation_reason")?)?)),
        None => None,
    };
    Ok(OcspWork {
        serial: Serial::parse_hex(&serial).map_err(|e| corrupt("serial", e))?,
        revocation,
        revocation_version: int(row, "version")?,
        not_after: time(int(row, "not_after")?)?,
    })
}

/// A delegated OCSP responder row.
pub(crate) fn ocsp_responder(row: &Row) -> StoreResult<OcspResponderRecord> {
    let serial = text(row, "serial")?;
    Ok(OcspResponderRecord {
        ca_id: ca_id(row, "ca_id")?,
        serial: Serial::parse_hex(&serial).map_err(|e| corrupt("serial", e))?,
        certificate: blob(row, "certificate")?,
        encrypted_key: blob(row, "encrypted_key")?,
        not_after: time(int(row, "not_after")?)?,
        created_at: time(int(row, "created_at")?)?,
    })
}

/// A stored CRL's description (every column but `der`).
pub(crate) fn crl_summary(row: &Row) -> StoreResult<CrlSummary> {
    let shard_column = int(row, "shard")?;
    let number = int(row, "number")?;
    Ok(CrlSummary {
        ca_id: ca_id(row, "ca_id")?,
        scope: if shard_column < 0 {
            signet_model::CrlScope::Full
        } else {
            signet_model::CrlScope::Shard(shard(shard_column)?)
        },
        number: u64::try_from(number).map_err(|e| corrupt("CRL number", e))?,
        this_update: time(int(row, "this_update")?)?,
        next_update: time(int(row, "next_update")?)?,
        entries: u64::try_from(int(row, "entries")?).map_err(|e| corrupt("CRL entries", e))?,
        sha256: digest(row, "sha256")?,
        source_version: int(row, "source_version")?,
    })
}

/// The `shard` column of a CRL scope (-1: the full CRL).
pub(crate) fn scope_column(scope: signet_model::CrlScope) -> i64 {
    match scope {
        signet_model::CrlScope::Full => -1,
        signet_model::CrlScope::Shard(n) => i64::from(n),
    }
}

pub(crate) fn token(row: &Row) -> StoreResult<TokenRecord> {
    let roles: Vec<String> = parse_list(&text(row, "roles")?)?;
    Ok(TokenRecord {
        id: int(row, "id")?,
        name: text(row, "name")?,
        hash: digest(row, "hash")?,
        roles: roles.iter().map(|r| r.parse::<Role>().map_err(|e| corrupt("role", e))).collect::<StoreResult<_>>()?,
        created_at: time(int(row, "created_at")?)?,
        revoked_at: opt_time(opt_int(row, "revoked_at")?)?,
    })
}

pub(crate) fn audit(row: &Row) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        seq: int(row, "seq")?,
        event: AuditEvent {
            at: time(int(row, "at")?)?,
            actor: text(row, "actor")?,
            action: text(row, "action")?,
            target: text(row, "target")?,
            details: text(row, "details")?,
        },
        prev_hash: text(row, "prev_hash")?,
        hash: text(row, "hash")?,
    })
}

/// Column list of `certificates` aliased with a prefix, for joins.
pub(crate) fn certificate_columns(table: &str, prefix: &str) -> String {
    [
        "ca_id",
        "serial",
        "request_id",
        "status",
        "tbs",
        "der",
        "sha256",
        "spki_sha256",
        "subject",
        "sans",
        "not_before",
        "not_after",
        "is_test",
        "created_at",
        "crl_shard",
        "revoked_at",
        "revocation_reason",
        "invalidity_date",
        "revoked_by",
    ]
    .iter()
    .map(|c| format!("{table}.{c} AS {prefix}{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}
