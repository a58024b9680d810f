//! Converting rows to records and values to columns.

use signet_model::{RequestId, RequestState, Role, Serial};
use signet_store::*;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    row: &'r AnyRow,
    column: &str,
) -> StoreResult<T> {
    row.try_get(column).map_err(|e| corrupt(column, e))
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

fn parse_list(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("list", e))
}

fn opt_time(value: Option<i64>) -> StoreResult<Option<OffsetDateTime>> {
    value.map(time).transpose()
}

pub(crate) fn ca(row: &AnyRow) -> StoreResult<CaRecord> {
    let kind: String = get(row, "kind")?;
    Ok(CaRecord {
        id: get(row, "id")?,
        name: get(row, "name")?,
        kind: CaKind::parse(&kind).ok_or_else(|| corrupt("CA kind", &kind))?,
        parent: get(row, "parent")?,
        certificate: get(row, "certificate")?,
        csr: get(row, "csr")?,
        encrypted_key: get(row, "encrypted_key")?,
        not_after: opt_time(get(row, "not_after")?)?,
        created_at: time(get(row, "created_at")?)?,
    })
}

pub(crate) fn request_id(id: i64) -> StoreResult<RequestId> {
    RequestId::new(id).ok_or_else(|| corrupt("request id", id))
}

/// A request row; `prefix` selects aliased columns in joins ("" for plain rows).
pub(crate) fn request(row: &AnyRow, prefix: &str) -> StoreResult<RequestRecord> {
    let c = |name: &str| format!("{prefix}{name}");
    let state: String = get(row, &c("state"))?;
    let approved: Option<String> = get(row, &c("approved_sans"))?;
    Ok(RequestRecord {
        id: request_id(get(row, &c("id"))?)?,
        profile: get(row, &c("profile"))?,
        csr: get(row, &c("csr"))?,
        subject: get(row, &c("subject"))?,
        sans: parse_list(&get::<String>(row, &c("sans"))?)?,
        spki_sha256: get(row, &c("spki_sha256"))?,
        requester: get(row, &c("requester"))?,
        state: RequestState::parse(&state).ok_or_else(|| corrupt("request state", &state))?,
        warnings: parse_list(&get::<String>(row, &c("warnings"))?)?,
        reason: get(row, &c("reason"))?,
        decided_by: get(row, &c("decided_by"))?,
        approved_sans: approved.as_deref().map(parse_list).transpose()?,
        retrieval_token_hash: get(row, &c("retrieval_token_hash"))?,
        created_at: time(get(row, &c("created_at"))?)?,
        decided_at: opt_time(get(row, &c("decided_at"))?)?,
    })
}

/// A certificate row; `prefix` selects aliased columns in joins.
pub(crate) fn certificate(row: &AnyRow, prefix: &str) -> StoreResult<CertificateRecord> {
    let c = |name: &str| format!("{prefix}{name}");
    let serial: String = get(row, &c("serial"))?;
    let status: String = get(row, &c("status"))?;
    Ok(CertificateRecord {
        ca_id: get(row, &c("ca_id"))?,
        serial: Serial::parse_hex(&serial).map_err(|e| corrupt("serial", e))?,
        request_id: request_id(get(row, &c("request_id"))?)?,
        status: CertificateStatus::parse(&status).ok_or_else(|| corrupt("certificate status", &status))?,
        tbs: get(row, &c("tbs"))?,
        der: get(row, &c("der"))?,
        sha256: get(row, &c("sha256"))?,
        spki_sha256: get(row, &c("spki_sha256"))?,
        subject: get(row, &c("subject"))?,
        sans: parse_list(&get::<String>(row, &c("sans"))?)?,
        not_before: time(get(row, &c("not_before"))?)?,
        not_after: time(get(row, &c("not_after"))?)?,
        is_test: get::<i64>(row, &c("is_test"))? != 0,
        created_at: time(get(row, &c("created_at"))?)?,
    })
}

pub(crate) fn token(row: &AnyRow) -> StoreResult<TokenRecord> {
    let roles: Vec<String> = parse_list(&get::<String>(row, "roles")?)?;
    Ok(TokenRecord {
        id: get(row, "id")?,
        name: get(row, "name")?,
        hash: get(row, "hash")?,
        roles: roles.iter().map(|r| r.parse::<Role>().map_err(|e| corrupt("role", e))).collect::<StoreResult<_>>()?,
        created_at: time(get(row, "created_at")?)?,
        revoked_at: opt_time(get(row, "revoked_at")?)?,
    })
}

pub(crate) fn audit(row: &AnyRow) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        seq: get(row, "seq")?,
        event: AuditEvent {
            at: time(get(row, "at")?)?,
            actor: get(row, "actor")?,
            action: get(row, "action")?,
            target: get(row, "target")?,
            details: get(row, "details")?,
        },
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
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
    ]
    .iter()
    .map(|c| format!("{table}.{c} AS {prefix}{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}
