//! Queries: the read half of the store, on pooled connections.

use async_trait::async_trait;
use signet_model::{CaId, CrlScope, RequestId, Serial, Sha256};
use signet_store::audit::AuditRecord;
use signet_store::*;

use crate::db::{Db, Value};
use crate::rows::{self, certificate_columns, scope_column, secs};
use crate::{SqlStore, unavailable};

fn query(db: &mut dyn Db, sql: &str, params: &[Value<'_>]) -> StoreResult<Vec<crate::db::Row>> {
    db.query(sql, params).map_err(unavailable)
}

#[async_trait]
impl StoreRead for SqlStore {
    async fn cas(&self) -> StoreResult<Vec<CaRecord>> {
        self.read(|db| query(db, "SELECT * FROM cas ORDER BY id", &[])?.iter().map(rows::ca).collect()).await
    }

    async fn ca_alternates(&self) -> StoreResult<Vec<CaAlternateRecord>> {
        self.read(|db| {
            query(db, "SELECT * FROM ca_alternates ORDER BY id", &[])?.iter().map(rows::ca_alternate).collect()
        })
        .await
    }

    async fn request(&self, id: RequestId) -> StoreResult<Option<RequestRecord>> {
        let rows = self.read_rows("SELECT * FROM requests WHERE id = $1", vec![Value::Int(id.get())]).await?;
        rows.first().map(|r| rows::request(r, "")).transpose()
    }

    async fn pending_requests(&self, limit: u32) -> StoreResult<Vec<RequestRecord>> {
        self.read(move |db| {
            query(
                db,
                "SELECT * FROM requests WHERE state = 'pending' ORDER BY id LIMIT $1",
                &[Value::Int(i64::from(limit))],
            )?
            .iter()
            .map(|r| rows::request(r, ""))
            .collect()
        })
        .await
    }

    async fn certificate_for_request(&self, id: RequestId) -> StoreResult<Option<CertificateRecord>> {
        let rows = self
            .read_rows(
                "SELECT * FROM certificates WHERE request_id = $1 AND status <> 'abandoned'",
                vec![Value::Int(id.get())],
            )
            .await?;
        rows.first().map(|r| rows::certificate(r, "")).transpose()
    }

    async fn certificates(&self, ca_id: CaId) -> StoreResult<Vec<CertificateRecord>> {
        self.read(move |db| {
            query(db, "SELECT * FROM certificates WHERE ca_id = $1 ORDER BY created_at, serial", &[ca_id.into()])?
                .iter()
                .map(|r| rows::certificate(r, ""))
                .collect()
        })
        .await
    }

    async fn certificate(&self, ca_id: CaId, serial: &Serial) -> StoreResult<Option<CertificateRecord>> {
        let rows = self
            .read_rows(
                "SELECT * FROM certificates WHERE ca_id = $1 AND serial = $2",
                vec![ca_id.into(), serial.to_hex().into()],
            )
            .await?;
        rows.first().map(|r| rows::certificate(r, "")).transpose()
    }

    async fn revoked(
        &self,
        ca_id: CaId,
        scope: CrlScope,
        expired_before: time::OffsetDateTime,
    ) -> StoreResult<Vec<RevokedEntry>> {
        const COLUMNS: &str = "SELECT serial, revoked_at, revocation_reason, invalidity_date FROM certificates";
        let (sql, mut params) = match scope {
            CrlScope::Full => (
                format!("{COLUMNS} WHERE ca_id = $1 AND revoked_at IS NOT NULL AND not_after >= $2"),
                vec![ca_id.into()],
            ),
            CrlScope::Shard(_) => (
                format!("{COLUMNS} WHERE ca_id = $1 AND crl_shard = $3 AND revoked_at IS NOT NULL AND not_after >= $2"),
                vec![ca_id.into()],
            ),
        };
        params.push(Value::Int(secs(expired_before)));
        if let CrlScope::Shard(n) = scope {
            params.push(Value::Int(i64::from(n)));
        }
        self.read(move |db| {
            let mut entries = Vec::new();
            let mut failed = None;
            db.query_each(&sql, &params, &mut |row| match rows::revoked_entry(row) {
                Ok(entry) => {
                    entries.push(entry);
                    Ok(())
                }
                Err(e) => {
                    failed = Some(e);
                    Err(crate::db::DbError::Other("a stored revocation does not read back".into()))
                }
            })
            .map_err(|e| failed.take().unwrap_or_else(|| unavailable(e)))?;
            Ok(entries)
        })
        .await
    }

    async fn revocation_version(&self, ca_id: CaId) -> StoreResult<i64> {
        self.read(move |db| {
            let found = query(db, "SELECT revocation_version FROM cas WHERE id = $1", &[ca_id.into()])?;
            let row = found.first().ok_or_else(|| StoreError::NotFound(format!("CA {ca_id}")))?;
            rows::int(row, "revocation_version")
        })
        .await
    }

    async fn changed_partitions(&self, ca_id: CaId, since: i64) -> StoreResult<Vec<(Option<u16>, i64)>> {
        self.read(move |db| {
            query(
                db,
                "SELECT crl_shard, MAX(revocation_version) AS version FROM certificates \
                 WHERE ca_id = $1 AND revocation_version > $2 GROUP BY crl_shard",
                &[ca_id.into(), Value::Int(since)],
            )?
            .iter()
            .map(|row| Ok((rows::opt_int(row, "crl_shard")?.map(rows::shard).transpose()?, rows::int(row, "version")?)))
            .collect()
        })
        .await
    }

    async fn crl(&self, ca_id: CaId, scope: CrlScope) -> StoreResult<Option<CrlRecord>> {
        self.read(move |db| {
            query(
                db,
                "SELECT * FROM crls WHERE ca_id = $1 AND shard = $2",
                &[ca_id.into(), Value::Int(scope_column(scope))],
            )?
            .first()
            .map(|row| Ok(CrlRecord { summary: rows::crl_summary(row)?, der: rows::blob(row, "der")? }))
            .transpose()
        })
        .await
    }

    async fn crls(&self) -> StoreResult<Vec<CrlSummary>> {
        self.read(|db| {
            query(
                db,
                "SELECT ca_id, shard, number, this_update, next_update, entries, sha256, source_version FROM crls ORDER BY ca_id, shard",
                &[],
            )?
            .iter()
            .map(rows::crl_summary)
            .collect()
        })
        .await
    }

    async fn ocsp_due(
        &self,
        ca_id: CaId,
        now: time::OffsetDateTime,
        expired_before: time::OffsetDateTime,
        new_certificates: bool,
        limit: u32,
    ) -> StoreResult<Vec<OcspWork>> {
        self.read(move |db| {
            query(
                db,
                "SELECT serial, revoked_at, revocation_reason, COALESCE(revocation_version, 0) AS version, not_after \
                 FROM certificates WHERE ca_id = $1 AND status = 'issued' AND ocsp_due <= $2 AND not_after >= $3 \
                 AND ($5 = 1 OR ocsp_due <> 0) ORDER BY ocsp_due LIMIT $4",
                &[
                    ca_id.into(),
                    Value::Int(secs(now)),
                    Value::Int(secs(expired_before)),
                    Value::Int(i64::from(limit)),
                    Value::Int(i64::from(new_certificates)),
                ],
            )?
            .iter()
            .map(rows::ocsp_work)
            .collect()
        })
        .await
    }

    async fn ocsp_response(&self, ca_id: CaId, serial: &Serial) -> StoreResult<Option<StoredOcspResponse>> {
        let serial = serial.to_hex();
        self.read_unsettled(move |db| {
            query(
                db,
                "SELECT der, this_update, next_update FROM ocsp_responses WHERE ca_id = $1 AND serial = $2",
                &[ca_id.into(), serial.into()],
            )?
            .first()
            .map(|row| {
                Ok(StoredOcspResponse {
                    der: rows::blob(row, "der")?,
                    this_update: rows::time(rows::int(row, "this_update")?)?,
                    next_update: rows::time(rows::int(row, "next_update")?)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn ocsp_changes(
        &self,
        since: time::OffsetDateTime,
    ) -> StoreResult<Vec<(CaId, Serial, time::OffsetDateTime)>> {
        self.read(move |db| {
            query(
                db,
                "SELECT ca_id, serial, this_update FROM ocsp_responses WHERE this_update >= $1",
                &[Value::Int(secs(since))],
            )?
            .iter()
            .map(|row| {
                let serial = rows::text(row, "serial")?;
                Ok((
                    rows::ca_id(row, "ca_id")?,
                    Serial::parse_hex(&serial).map_err(|e| rows::corrupt("serial", e))?,
                    rows::time(rows::int(row, "this_update")?)?,
                ))
            })
            .collect()
        })
        .await
    }

    async fn ocsp_responders(&self) -> StoreResult<Vec<OcspResponderRecord>> {
        self.read(|db| {
            query(db, "SELECT * FROM ocsp_responders ORDER BY not_after, serial", &[])?
                .iter()
                .map(rows::ocsp_responder)
                .collect()
        })
        .await
    }

    async fn search(&self, query_in: &Query) -> StoreResult<Vec<Found>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value<'static>> = Vec::new();
        let param = |v: Value<'static>, values: &mut Vec<Value<'static>>| {
            values.push(v);
            format!("${}", values.len())
        };
        if let Some(id) = query_in.request_id {
            let p = param(Value::Int(id.get()), &mut values);
            conditions.push(format!("r.id = {p}"));
        }
        if let Some(serial) = &query_in.serial {
            let p = param(serial.to_hex().into(), &mut values);
            conditions.push(format!("c.serial = {p}"));
        }
        if let Some(name) = &query_in.name {
            let p = param(format!("%{}%", like_literal(&name.to_lowercase())).into(), &mut values);
            conditions.push(format!(
                "(LOWER(r.subject) LIKE {p} ESCAPE '\\' OR LOWER(r.sans) LIKE {p} ESCAPE '\\' OR LOWER(c.sans) LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(state) = query_in.state {
            let p = param(state.into(), &mut values);
            conditions.push(format!("r.state = {p}"));
        }
        if let Some(requester) = &query_in.requester {
            let p = param(requester.clone().into(), &mut values);
            conditions.push(format!("r.requester = {p}"));
        }
        if let Some(fingerprint) = &query_in.fingerprint {
            let p = param((*fingerprint).into(), &mut values);
            conditions.push(format!("(c.sha256 = {p} OR r.spki_sha256 = {p})"));
        }
        if let Some(after) = query_in.expires_after {
            let p = param(Value::Int(secs(after)), &mut values);
            conditions.push(format!("c.not_after > {p}"));
        }
        if let Some(before) = query_in.expires_before {
            let p = param(Value::Int(secs(before)), &mut values);
            conditions.push(format!("c.not_after < {p}"));
        }
        match query_in.revoked {
            Some(true) => conditions.push("c.revoked_at IS NOT NULL".into()),
            Some(false) => conditions.push("(c.serial IS NOT NULL AND c.revoked_at IS NULL)".into()),
            None => {}
        }
        if let Some(reason) = query_in.reason {
            let p = param(reason.as_str().into(), &mut values);
            conditions.push(format!("c.revocation_reason = {p}"));
        }
        let limit = i64::from(query_in.limit.unwrap_or(100).clamp(1, 1000));
        let p = param(Value::Int(limit), &mut values);
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT r.*, {} FROM requests r LEFT JOIN certificates c ON c.request_id = r.id AND c.status <> 'abandoned' {filter} ORDER BY r.id DESC LIMIT {p}",
            certificate_columns("c", "c_")
        );
        self.read(move |db| {
            let found = query(db, &sql, &values)?;
            let mut out = Vec::with_capacity(found.len());
            for row in &found {
                let has_certificate = rows::opt_text(row, "c_serial")?.is_some();
                out.push(Found {
                    request: rows::request(row, "")?,
                    certificate: if has_certificate { Some(rows::certificate(row, "c_")?) } else { None },
                });
            }
            Ok(out)
        })
        .await
    }

    async fn key_used_for_test(&self, spki_sha256: &Sha256) -> StoreResult<bool> {
        let key = *spki_sha256;
        Ok(!self
            .lookup_rows(
                "SELECT 1 AS hit FROM certificates WHERE spki_sha256 = $1 AND is_test = 1 LIMIT 1",
                vec![key.into()],
            )
            .await?
            .is_empty())
    }

    async fn token_by_hash(&self, hash: &Sha256) -> StoreResult<Option<TokenRecord>> {
        let rows = self
            .lookup_rows("SELECT * FROM tokens WHERE hash = $1 AND revoked_at IS NULL", vec![(*hash).into()])
            .await?;
        rows.first().map(rows::token).transpose()
    }

    async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        self.read(|db| query(db, "SELECT * FROM tokens ORDER BY id", &[])?.iter().map(rows::token).collect()).await
    }

    async fn audit_entries(&self, from_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.read(move |db| {
            query(
                db,
                "SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[Value::Int(from_seq), Value::Int(i64::from(limit))],
            )?
            .iter()
            .map(rows::audit)
            .collect()
        })
        .await
    }

    async fn last_config_change(&self) -> StoreResult<Option<AuditRecord>> {
        self.read(|db| {
            let sql = "SELECT * FROM audit_log WHERE action = 'config.change' ORDER BY seq DESC LIMIT 1";
            query(db, sql, &[])?.first().map(rows::audit).transpose()
        })
        .await
    }

    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>> {
        self.read(|db| match query(db, "SELECT seq, hash FROM audit_head WHERE id = 1", &[])?.first() {
            Some(row) => Ok(Some((rows::int(row, "seq")?, rows::text(row, "hash")?))),
            None => Ok(None),
        })
        .await
    }
}

/// `text` as a LIKE pattern matching exactly itself: `%`, `_` and the escape character `\` are
/// escaped (used with `ESCAPE '\'`, which both SQLite and PostgreSQL accept).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
