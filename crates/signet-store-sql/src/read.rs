//! Queries, and the write methods that hand operations to the writer task.

use async_trait::async_trait;
use signet_model::{RequestId, Serial};
use signet_store::audit::{AuditEvent, AuditRecord};
use signet_store::*;
use sqlx::any::AnyArguments;
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::oneshot;

use crate::rows::{self, certificate_columns, secs};
use crate::writer::{Job, Op, Outcome};
use crate::{SqlStore, unavailable};

impl SqlStore {
    async fn submit_op(&self, op: Op) -> StoreResult<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(Job { op, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    async fn id_op(&self, op: Op) -> StoreResult<i64> {
        match self.submit_op(op).await? {
            Outcome::Id(id) => Ok(id),
            _ => Err(StoreError::Corrupt("writer returned no id".into())),
        }
    }

    async fn unit_op(&self, op: Op) -> StoreResult<()> {
        self.submit_op(op).await.map(|_| ())
    }
}

/// One bound value of a dynamic query.
enum Value {
    Int(i64),
    Text(String),
}

#[async_trait]
impl StoreRead for SqlStore {
    async fn cas(&self) -> StoreResult<Vec<CaRecord>> {
        let rows = sqlx::query("SELECT * FROM cas ORDER BY id").fetch_all(&self.read).await.map_err(unavailable)?;
        rows.iter().map(rows::ca).collect()
    }

    async fn request(&self, id: RequestId) -> StoreResult<Option<RequestRecord>> {
        let row = sqlx::query("SELECT * FROM requests WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&self.read)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(|r| rows::request(r, "")).transpose()
    }

    async fn pending_requests(&self, limit: u32) -> StoreResult<Vec<RequestRecord>> {
        let rows = sqlx::query("SELECT * FROM requests WHERE state = 'pending' ORDER BY id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| rows::request(r, "")).collect()
    }

    async fn certificate_for_request(&self, id: RequestId) -> StoreResult<Option<CertificateRecord>> {
        let row = sqlx::query("SELECT * FROM certificates WHERE request_id = $1 AND status <> 'abandoned'")
            .bind(id.get())
            .fetch_optional(&self.read)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(|r| rows::certificate(r, "")).transpose()
    }

    async fn certificates(&self, ca_id: i64) -> StoreResult<Vec<CertificateRecord>> {
        let rows = sqlx::query("SELECT * FROM certificates WHERE ca_id = $1 ORDER BY created_at, serial")
            .bind(ca_id)
            .fetch_all(&self.read)
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| rows::certificate(r, "")).collect()
    }

    async fn search(&self, query: &Query) -> StoreResult<Vec<Found>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let param = |v: Value, values: &mut Vec<Value>| {
            values.push(v);
            format!("${}", values.len())
        };
        if let Some(id) = query.request_id {
            let p = param(Value::Int(id.get()), &mut values);
            conditions.push(format!("r.id = {p}"));
        }
        if let Some(serial) = &query.serial {
            let p = param(Value::Text(serial.to_hex()), &mut values);
            conditions.push(format!("c.serial = {p}"));
        }
        if let Some(name) = &query.name {
            let p = param(Value::Text(format!("%{}%", name.to_lowercase())), &mut values);
            conditions.push(format!("(LOWER(r.subject) LIKE {p} OR LOWER(r.sans) LIKE {p} OR LOWER(c.sans) LIKE {p})"));
        }
        if let Some(state) = query.state {
            let p = param(Value::Text(state.as_str().into()), &mut values);
            conditions.push(format!("r.state = {p}"));
        }
        if let Some(requester) = &query.requester {
            let p = param(Value::Text(requester.clone()), &mut values);
            conditions.push(format!("r.requester = {p}"));
        }
        if let Some(fingerprint) = &query.fingerprint {
            let p = param(Value::Text(fingerprint.to_lowercase().replace(':', "")), &mut values);
            conditions.push(format!("(c.sha256 = {p} OR r.spki_sha256 = {p})"));
        }
        if let Some(after) = query.expires_after {
            let p = param(Value::Int(secs(after)), &mut values);
            conditions.push(format!("c.not_after > {p}"));
        }
        if let Some(before) = query.expires_before {
            let p = param(Value::Int(secs(before)), &mut values);
            conditions.push(format!("c.not_after < {p}"));
        }
        let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 1000));
        let p = param(Value::Int(limit), &mut values);
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT r.*, {} FROM requests r LEFT JOIN certificates c ON c.request_id = r.id AND c.status <> 'abandoned' {filter} ORDER BY r.id DESC LIMIT {p}",
            certificate_columns("c", "c_")
        );
        let mut arguments = AnyArguments::default();
        for value in values {
            let added = match value {
                Value::Int(i) => sqlx::Arguments::add(&mut arguments, i),
                Value::Text(t) => sqlx::Arguments::add(&mut arguments, t),
            };
            added.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let rows = sqlx::query_with(AssertSqlSafe(sql), arguments).fetch_all(&self.read).await.map_err(unavailable)?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let has_certificate: Option<String> = row.try_get("c_serial").map_err(|e| rows::corrupt("c_serial", e))?;
            found.push(Found {
                request: rows::request(row, "")?,
                certificate: has_certificate.map(|_| rows::certificate(row, "c_")).transpose()?,
            });
        }
        Ok(found)
    }

    async fn key_used_for_test(&self, spki_sha256: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 AS hit FROM certificates WHERE spki_sha256 = $1 AND is_test = 1 LIMIT 1")
            .bind(spki_sha256)
            .fetch_optional(&self.read)
            .await
            .map_err(unavailable)?;
        Ok(row.is_some())
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&self.read)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM tokens ORDER BY id").fetch_all(&self.read).await.map_err(unavailable)?;
        rows.iter().map(rows::token).collect()
    }

    async fn audit_entries(&self, from_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
            .bind(from_seq)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(unavailable)?;
        rows.iter().map(rows::audit).collect()
    }

    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&self.read)
            .await
            .map_err(unavailable)?;
        match row {
            Some(row) => Ok(Some((rows::get(&row, "seq")?, rows::get(&row, "hash")?))),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl StoreWrite for SqlStore {
    async fn create_ca(&self, ca: NewCa, audit: AuditEvent) -> StoreResult<i64> {
        self.id_op(Op::CreateCa(ca, audit)).await
    }

    async fn install_ca_certificate(
        &self,
        ca_id: i64,
        certificate: Vec<u8>,
        not_after: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.unit_op(Op::InstallCa { ca_id, certificate, not_after, audit }).await
    }

    async fn submit(&self, request: NewRequest, audit: AuditEvent) -> StoreResult<RequestId> {
        rows::request_id(self.id_op(Op::Submit(request, audit)).await?)
    }

    async fn submit_and_reserve(
        &self,
        request: NewRequest,
        reservation: Reservation,
        audit: AuditEvent,
    ) -> StoreResult<RequestId> {
        rows::request_id(self.id_op(Op::SubmitAndReserve(request, reservation, audit)).await?)
    }

    async fn reserve(&self, reservation: Reservation, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Reserve(reservation, audit)).await
    }

    async fn complete(&self, completion: Completion, audit: Vec<AuditEvent>) -> StoreResult<()> {
        self.unit_op(Op::Complete(completion, audit)).await
    }

    async fn abandon(&self, ca_id: i64, serial: &Serial, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Abandon { ca_id, serial: serial.clone(), audit }).await
    }

    async fn deny(
        &self,
        id: RequestId,
        by: &str,
        reason: &str,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.unit_op(Op::Decide {
            id,
            state: "denied",
            by: Some(by.to_string()),
            reason: reason.to_string(),
            at,
            audit,
        })
        .await
    }

    async fn fail(&self, id: RequestId, reason: &str, at: time::OffsetDateTime, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Decide { id, state: "failed", by: None, reason: reason.to_string(), at, audit }).await
    }

    async fn create_token(&self, token: NewToken, audit: AuditEvent) -> StoreResult<i64> {
        self.id_op(Op::CreateToken(token, audit)).await
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        self.unit_op(Op::Audit(events)).await
    }

    async fn abandon_stale(&self, before: time::OffsetDateTime) -> StoreResult<Vec<CertificateRecord>> {
        match self.submit_op(Op::AbandonStale(before)).await? {
            Outcome::Abandoned(records) => Ok(records),
            _ => Err(StoreError::Corrupt("writer returned no records".into())),
        }
    }
}
