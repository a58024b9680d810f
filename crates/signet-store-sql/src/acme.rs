//! The ACME state ([`signet_store::AcmeStore`]) on SQLite and PostgreSQL: reads on pooled
//! connections, changes through the writer thread ([`crate::writer`]) like every other.

use async_trait::async_trait;
use signet_model::RequestId;
use signet_store::acme::*;
use signet_store::audit::AuditEvent;
use signet_store::{StoreError, StoreResult};
use time::OffsetDateTime;

use crate::SqlStore;
use crate::db::Value;
use crate::rows::secs;
use crate::writer::acme::{FORGET_EXPIRED_NONCES, REDEEM_NONCE_PG, sweeps_nonces};
use crate::writer::{AcmeOp, Op, Outcome, acme as rows};

impl SqlStore {
    async fn acme_op(&self, op: AcmeOp) -> StoreResult<Outcome> {
        self.submit_op(Op::Acme(op)).await
    }
}

/// Redeems nonce `$1` (expiring at `$2`) and reads account `$3`: one row, `fresh` 1 the first
/// time the nonce is redeemed, the account's columns NULL if there is none.
const REDEEM_NONCE_READ_ACCOUNT_PG: &str = "WITH redeemed AS (INSERT INTO acme_nonces (nonce, expires_at) VALUES ($1, $2) \
     ON CONFLICT (nonce) DO NOTHING RETURNING nonce) \
     SELECT (SELECT COUNT(*) FROM redeemed) AS fresh, a.* FROM (SELECT 1) AS one LEFT JOIN acme_accounts a ON a.id = $3";

/// The count in column `n` of a `COUNT` query's one row.
fn count(rows: &[crate::db::Row]) -> StoreResult<u64> {
    let n = rows.first().map(|r| crate::rows::int(r, "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// On PostgreSQL, about one redemption in 64 first forgets the expired nonces (SQLite's writer
/// does the same in [`AcmeOp::RedeemNonce`]). Two such sweeps may meet on the same rows; a
/// failure is logged and left to the next sweep, never the request's.
async fn forget_expired_nonces(lookups: &crate::lookup::PgLookups, nonce: &str, now: OffsetDateTime) {
    if sweeps_nonces(nonce)
        && let Err(e) = lookups.rows(FORGET_EXPIRED_NONCES, &[Value::Int(secs(now))]).await
    {
        tracing::debug!(error = %e, "forgetting expired ACME nonces failed; the next sweep will");
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

    /// On PostgreSQL on a lookup connection ([`crate::lookup`], committing asynchronously); on
    /// SQLite through the writer, without a flush of its own.
    async fn redeem_nonce(&self, nonce: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> StoreResult<bool> {
        let Some(lookups) = &self.lookups else {
            return match self.acme_op(AcmeOp::RedeemNonce { nonce: nonce.to_string(), expires_at, now }).await? {
                Outcome::Flag(first) => Ok(first),
                _ => Err(unexpected()),
            };
        };
        forget_expired_nonces(lookups, nonce, now).await;
        let params = [nonce.into(), Value::Int(secs(expires_at))];
        Ok(!lookups.rows(REDEEM_NONCE_PG, &params).await?.is_empty())
    }

    /// On PostgreSQL one statement on a lookup connection, as [`Self::redeem_nonce`]; on SQLite
    /// the two in turn.
    async fn redeem_nonce_and_read_account(
        &self,
        nonce: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        account: i64,
    ) -> StoreResult<(bool, Option<AcmeAccountRecord>)> {
        let Some(lookups) = &self.lookups else {
            let fresh = self.redeem_nonce(nonce, expires_at, now).await?;
            return Ok((fresh, self.acme_account(account).await?));
        };
        forget_expired_nonces(lookups, nonce, now).await;
        let params = [nonce.into(), Value::Int(secs(expires_at)), Value::Int(account)];
        let rows = lookups.rows(REDEEM_NONCE_READ_ACCOUNT_PG, &params).await?;
        let row = rows.first().ok_or_else(|| StoreError::Corrupt("the nonce redemption answered no row".into()))?;
        let fresh = crate::rows::int(row, "fresh")? > 0;
        let found = matches!(row.cell("id"), Some(crate::db::Cell::Int(_)));
        Ok((fresh, if found { Some(rows::account(row)?) } else { None }))
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
        self.read_rows("SELECT * FROM acme_accounts WHERE id = $1", vec![Value::Int(id)])
            .await?
            .first()
            .map(rows::account)
            .transpose()
    }

    async fn acme_account_by_key(&self, thumbprint: &str) -> StoreResult<Option<AcmeAccountRecord>> {
        let rows = self
            .read_rows("SELECT * FROM acme_accounts WHERE thumbprint = $1", vec![thumbprint.to_string().into()])
            .await?;
        rows.first().map(rows::account).transpose()
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
        self.read_rows("SELECT * FROM acme_orders WHERE id = $1", vec![Value::Int(id)])
            .await?
            .first()
            .map(rows::order)
            .transpose()
    }

    async fn acme_order_for_request(&self, request: RequestId) -> StoreResult<Option<AcmeOrderRecord>> {
        let rows =
            self.read_rows("SELECT * FROM acme_orders WHERE request_id = $1", vec![Value::Int(request.get())]).await?;
        rows.first().map(rows::order).transpose()
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
        self.read_rows("SELECT * FROM acme_authorizations WHERE id = $1", vec![Value::Int(id)])
            .await?
            .first()
            .map(rows::authorization)
            .transpose()
    }

    async fn acme_authorizations(&self, ids: &[i64]) -> StoreResult<Vec<AcmeAuthorizationRecord>> {
        // Sent together: pipelined on one PostgreSQL connection.
        let reads = ids.iter().map(|&id| async move {
            let rows = self.read_rows("SELECT * FROM acme_authorizations WHERE id = $1", vec![Value::Int(id)]).await?;
            let row = rows.first().ok_or_else(|| StoreError::NotFound(format!("authorization {id}")))?;
            rows::authorization(row)
        });
        futures_util::future::try_join_all(reads).await
    }

    async fn reusable_authorization(
        &self,
        account_id: i64,
        identifier: &AcmeIdentifier,
        wildcard: bool,
        after: OffsetDateTime,
    ) -> StoreResult<Option<i64>> {
        let rows = self
            .read_rows(
                "SELECT id FROM acme_authorizations WHERE account_id = $1 AND identifier = $2 AND identifier_type = $3 \
                 AND wildcard = $4 AND status = 'valid' AND expires_at > $5 ORDER BY expires_at DESC LIMIT 1",
                vec![
                    Value::Int(account_id),
                    identifier.value.clone().into(),
                    identifier.kind.as_str().to_string().into(),
                    Value::Int(i64::from(wildcard)),
                    Value::Int(secs(after)),
                ],
            )
            .await?;
        rows.first().map(|row| crate::rows::int(row, "id")).transpose()
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
        let rows = self
            .read_rows(
                "SELECT k.*, a.id AS account_id FROM acme_eab_keys k LEFT JOIN acme_accounts a ON a.eab_key_id = k.key_id \
                 ORDER BY k.created_at, k.key_id",
                Vec::new(),
            )
            .await?;
        rows.iter().map(rows::eab_key).collect()
    }

    async fn eab_key(&self, key_id: &str) -> StoreResult<Option<EabKeyRecord>> {
        let rows = self
            .read_rows(
                "SELECT k.*, a.id AS account_id FROM acme_eab_keys k LEFT JOIN acme_accounts a ON a.eab_key_id = k.key_id \
                 WHERE k.key_id = $1",
                vec![key_id.to_string().into()],
            )
            .await?;
        rows.first().map(rows::eab_key).transpose()
    }

    async fn order_replacing(&self, cert_id: &str) -> StoreResult<Option<i64>> {
        let rows = self
            .read_rows(
                "SELECT id FROM acme_orders WHERE replaces = $1 AND status <> 'invalid' ORDER BY id LIMIT 1",
                vec![cert_id.to_string().into()],
            )
            .await?;
        rows.first().map(|row| crate::rows::int(row, "id")).transpose()
    }

    async fn count_orders_for_name_since(
        &self,
        identifier: &AcmeIdentifier,
        since: OffsetDateTime,
    ) -> StoreResult<u64> {
        // acme_order_names holds each order's identifiers, indexed by name (migration 0012).
        let rows = self
            .lookup_rows(
                "SELECT COUNT(DISTINCT n.order_id) AS n FROM acme_order_names n JOIN acme_orders o ON o.id = n.order_id \
                 WHERE n.identifier = $1 AND n.identifier_type = $2 AND n.created_at >= $3 AND o.status <> 'invalid'",
                vec![identifier.value.clone().into(), identifier.kind.as_str().to_string().into(), Value::Int(secs(since))],
            )
            .await?;
        count(&rows)
    }

    async fn account_orders(&self, account_id: i64, limit: u32) -> StoreResult<Vec<i64>> {
        let rows = self
            .read_rows(
                "SELECT id FROM acme_orders WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                vec![Value::Int(account_id), Value::Int(i64::from(limit))],
            )
            .await?;
        rows.iter().map(|row| crate::rows::int(row, "id")).collect()
    }

    async fn count_orders_since(&self, account_id: i64, since: OffsetDateTime) -> StoreResult<u64> {
        let rows = self
            .lookup_rows(
                "SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = $1 AND created_at >= $2",
                vec![Value::Int(account_id), Value::Int(secs(since))],
            )
            .await?;
        count(&rows)
    }
}
