//! The ACME state ([`signet_store::AcmeStore`]) on SQLite and PostgreSQL: reads on pooled
//! connections, changes through the writer thread ([`crate::writer`]) like every other.

use async_trait::async_trait;
use signet_model::RequestId;
use signet_store::acme::*;
use signet_store::audit::AuditEvent;
use signet_store::{StoreError, StoreResult};
use time::OffsetDateTime;

use crate::db::{Db, Value};
use crate::rows::secs;
use crate::writer::{AcmeOp, Op, Outcome, acme as rows};
use crate::{SqlStore, unavailable};

fn query(db: &mut dyn Db, sql: &str, params: &[Value<'_>]) -> StoreResult<Vec<crate::db::Row>> {
    db.query(sql, params).map_err(unavailable)
}

impl SqlStore {
    async fn acme_op(&self, op: AcmeOp) -> StoreResult<Outcome> {
        self.submit_op(Op::Acme(op)).await
    }
}

fn unexpected() -> StoreError {
    StoreError::Corrupt("the writer answered an ACME change with the wrong kind of result".into())
}

#[async_trait]
impl AcmeStore for SqlStore {
    async fn acme_secret(&self, name: &str, fresh: Vec<u8>, at: OffsetDateTime) -> StoreResult<Vec<u8>> {
        match self.acme_op(AcmeOp::Secret { name: name.to_string(), fresh, at }).await? {
            Outcome::Bytes(value) => Ok(value),
            _ => Err(unexpected()),
        }
    }

    async fn redeem_nonce(&self, nonce: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> StoreResult<bool> {
        match self.acme_op(AcmeOp::RedeemNonce { nonce: nonce.to_string(), expires_at, now }).await? {
            Outcome::Flag(first) => Ok(first),
            _ => Err(unexpected()),
        }
    }

    async fn create_account(&self, account: NewAcmeAccount, audit: AuditEvent) -> StoreResult<AcmeAccountRecord> {
        let record = AcmeAccountRecord {
            id: 0,
            thumbprint: account.thumbprint.clone(),
            jwk: account.jwk.clone(),
            contact: account.contact.clone(),
            status: AccountStatus::Valid,
            eab_key_id: account.eab_key_id.clone(),
            created_at: signet_store::stored_time(account.created_at),
        };
        match self.acme_op(AcmeOp::CreateAccount(account, audit)).await? {
            Outcome::Id(id) => Ok(AcmeAccountRecord { id, ..record }),
            _ => Err(unexpected()),
        }
    }

    async fn acme_account(&self, id: i64) -> StoreResult<Option<AcmeAccountRecord>> {
        self.read(move |db| {
            query(db, "SELECT * FROM acme_accounts WHERE id = $1", &[Value::Int(id)])?
                .first()
                .map(rows::account)
                .transpose()
        })
        .await
    }

    async fn acme_account_by_key(&self, thumbprint: &str) -> StoreResult<Option<AcmeAccountRecord>> {
        let thumbprint = thumbprint.to_string();
        self.read(move |db| {
            query(db, "SELECT * FROM acme_accounts WHERE thumbprint = $1", &[thumbprint.as_str().into()])?
                .first()
                .map(rows::account)
                .transpose()
        })
        .await
    }

    async fn update_account(
        &self,
        id: i64,
        contact: Option<Vec<String>>,
        status: Option<AccountStatus>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.acme_op(AcmeOp::UpdateAccount { id, contact, status, audit }).await.map(|_| ())
    }

    async fn change_account_key(&self, id: i64, thumbprint: &str, jwk: &str, audit: AuditEvent) -> StoreResult<()> {
        let op = AcmeOp::ChangeKey { id, thumbprint: thumbprint.to_string(), jwk: jwk.to_string(), audit };
        self.acme_op(op).await.map(|_| ())
    }

    async fn create_order(&self, order: NewAcmeOrder) -> StoreResult<AcmeOrderRecord> {
        match self.acme_op(AcmeOp::CreateOrder(order)).await? {
            Outcome::AcmeOrder(order) => Ok(*order),
            _ => Err(unexpected()),
        }
    }

    async fn acme_order(&self, id: i64) -> StoreResult<Option<AcmeOrderRecord>> {
        self.read(move |db| {
            query(db, "SELECT * FROM acme_orders WHERE id = $1", &[Value::Int(id)])?
                .first()
                .map(rows::order)
                .transpose()
        })
        .await
    }

    async fn acme_order_for_request(&self, request: RequestId) -> StoreResult<Option<AcmeOrderRecord>> {
        self.read(move |db| {
            query(db, "SELECT * FROM acme_orders WHERE request_id = $1", &[Value::Int(request.get())])?
                .first()
                .map(rows::order)
                .transpose()
        })
        .await
    }

    async fn change_order(&self, change: OrderChange) -> StoreResult<()> {
        self.acme_op(AcmeOp::ChangeOrder(change)).await.map(|_| ())
    }

    async fn settle_interrupted_finalizes(
        &self,
        only: Option<i64>,
        claimed_before: OffsetDateTime,
        error: serde_json::Value,
    ) -> StoreResult<Vec<i64>> {
        match self.acme_op(AcmeOp::SettleInterrupted { only, claimed_before, error }).await? {
            Outcome::Ids(ids) => Ok(ids),
            _ => Err(unexpected()),
        }
    }

    async fn acme_authorization(&self, id: i64) -> StoreResult<Option<AcmeAuthorizationRecord>> {
        self.read(move |db| {
            query(db, "SELECT * FROM acme_authorizations WHERE id = $1", &[Value::Int(id)])?
                .first()
                .map(rows::authorization)
                .transpose()
        })
        .await
    }

    async fn acme_authorizations(&self, ids: &[i64]) -> StoreResult<Vec<AcmeAuthorizationRecord>> {
        let ids = ids.to_vec();
        self.read(move |db| {
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                let rows = query(db, "SELECT * FROM acme_authorizations WHERE id = $1", &[Value::Int(id)])?;
                let row = rows.first().ok_or_else(|| StoreError::NotFound(format!("authorization {id}")))?;
                found.push(rows::authorization(row)?);
            }
            Ok(found)
        })
        .await
    }

    async fn reusable_authorization(
        &self,
        account_id: i64,
        identifier: &AcmeIdentifier,
        wildcard: bool,
        after: OffsetDateTime,
    ) -> StoreResult<Option<i64>> {
        let identifier = identifier.clone();
        self.read(move |db| {
            let rows = query(
                db,
                "SELECT id FROM acme_authorizations WHERE account_id = $1 AND identifier = $2 AND identifier_type = $3 \
                 AND wildcard = $4 AND status = 'valid' AND expires_at > $5 ORDER BY expires_at DESC LIMIT 1",
                &[
                    Value::Int(account_id),
                    identifier.value.as_str().into(),
                    identifier.kind.as_str().into(),
                    Value::Int(i64::from(wildcard)),
                    Value::Int(secs(after)),
                ],
            )?;
            rows.first().map(|row| crate::rows::int(row, "id")).transpose()
        })
        .await
    }

    async fn update_authorization(
        &self,
        id: i64,
        from: AuthorizationStatus,
        status: AuthorizationStatus,
        expires_at: OffsetDateTime,
        challenges: Vec<AcmeChallenge>,
        audit: Option<AuditEvent>,
    ) -> StoreResult<()> {
        let op = AcmeOp::UpdateAuthorization { id, from, status, expires_at, challenges, audit };
        self.acme_op(op).await.map(|_| ())
    }

    async fn create_eab_key(&self, key: EabKeyRecord, audit: AuditEvent) -> StoreResult<()> {
        self.acme_op(AcmeOp::CreateEabKey(key, audit)).await.map(|_| ())
    }

    async fn withdraw_eab_key(&self, key_id: &str, audit: AuditEvent) -> StoreResult<()> {
        self.acme_op(AcmeOp::WithdrawEabKey { key_id: key_id.to_string(), audit }).await.map(|_| ())
    }

    async fn eab_keys(&self) -> StoreResult<Vec<EabKeyRecord>> {
        self.read(move |db| {
            query(
                db,
                "SELECT k.*, a.id AS account_id FROM acme_eab_keys k LEFT JOIN acme_accounts a ON a.eab_key_id = k.key_id \
                 ORDER BY k.created_at, k.key_id",
                &[],
            )?
            .iter()
            .map(rows::eab_key)
            .collect()
        })
        .await
    }

    async fn eab_key(&self, key_id: &str) -> StoreResult<Option<EabKeyRecord>> {
        let key_id = key_id.to_string();
        self.read(move |db| {
            query(
                db,
                "SELECT k.*, a.id AS account_id FROM acme_eab_keys k LEFT JOIN acme_accounts a ON a.eab_key_id = k.key_id \
                 WHERE k.key_id = $1",
                &[key_id.as_str().into()],
            )?
            .first()
            .map(rows::eab_key)
            .transpose()
        })
        .await
    }

    async fn order_replacing(&self, cert_id: &str) -> StoreResult<Option<i64>> {
        let cert_id = cert_id.to_string();
        self.read(move |db| {
            let rows = query(
                db,
                "SELECT id FROM acme_orders WHERE replaces = $1 AND status <> 'invalid' ORDER BY id LIMIT 1",
                &[cert_id.as_str().into()],
            )?;
            rows.first().map(|row| crate::rows::int(row, "id")).transpose()
        })
        .await
    }

    async fn count_orders_for_name_since(
        &self,
        identifier: &AcmeIdentifier,
        since: OffsetDateTime,
    ) -> StoreResult<u64> {
        // acme_order_names holds each order's identifiers, indexed by name (migration 0012).
        let (kind, value) = (identifier.kind.clone(), identifier.value.clone());
        self.read_unsettled(move |db| {
            let rows = query(
                db,
                "SELECT COUNT(DISTINCT n.order_id) AS n FROM acme_order_names n JOIN acme_orders o ON o.id = n.order_id \
                 WHERE n.identifier = $1 AND n.identifier_type = $2 AND n.created_at >= $3 AND o.status <> 'invalid'",
                &[value.as_str().into(), kind.as_str().into(), Value::Int(secs(since))],
            )?;
            let n = rows.first().map(|r| crate::rows::int(r, "n")).transpose()?.unwrap_or(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn account_orders(&self, account_id: i64, limit: u32) -> StoreResult<Vec<i64>> {
        self.read(move |db| {
            query(
                db,
                "SELECT id FROM acme_orders WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                &[Value::Int(account_id), Value::Int(i64::from(limit))],
            )?
            .iter()
            .map(|row| crate::rows::int(row, "id"))
            .collect()
        })
        .await
    }

    async fn count_orders_since(&self, account_id: i64, since: OffsetDateTime) -> StoreResult<u64> {
        self.read_unsettled(move |db| {
            let rows = query(
                db,
                "SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = $1 AND created_at >= $2",
                &[Value::Int(account_id), Value::Int(secs(since))],
            )?;
            let n = rows.first().map(|r| crate::rows::int(r, "n")).transpose()?.unwrap_or(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
