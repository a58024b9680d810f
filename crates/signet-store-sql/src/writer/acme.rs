//! The ACME state changes the writer carries out (accounts, orders, authorizations, EAB keys,
//! nonces), applied statement by statement in the same batches and transactions as everything
//! else, with their audit entries.

use signet_store::acme::*;
use signet_store::audit::AuditEvent;
use signet_store::{StoreError, StoreResult};

use super::apply::{Failure, refused, returned_id};
use super::journal::Journal;
use super::op::Outcome;
use crate::Dialect;
use crate::db::{Db, DbError, UniqueViolation, Value};
use crate::rows::{self, json_list, secs};

/// An ACME state change.
pub(crate) enum AcmeOp {
    Secret {
        name: String,
        fresh: Vec<u8>,
        at: time::OffsetDateTime,
    },
    RedeemNonce {
        nonce: String,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    },
    CreateAccount(NewAcmeAccount, AuditEvent),
    UpdateAccount {
        id: i64,
        contact: Option<Vec<String>>,
        status: Option<AccountStatus>,
        audit: AuditEvent,
    },
    ChangeKey {
        id: i64,
        thumbprint: String,
        jwk: String,
        audit: AuditEvent,
    },
    CreateOrder(NewAcmeOrder),
    ChangeOrder(OrderChange),
    SettleInterrupted {
        only: Option<i64>,
        claimed_before: time::OffsetDateTime,
        error: serde_json::Value,
    },
    UpdateAuthorization {
        id: i64,
        from: AuthorizationStatus,
        status: AuthorizationStatus,
        expires_at: time::OffsetDateTime,
        challenges: Vec<AcmeChallenge>,
        audit: Option<AuditEvent>,
    },
    CreateEabKey(EabKeyRecord, AuditEvent),
    WithdrawEabKey {
        key_id: String,
        audit: AuditEvent,
    },
}

impl AcmeOp {
    /// A redeemed nonce need not reach the disk before the request goes on: losing it in a crash
    /// lets a nonce issued just before the crash be used once more, within its few minutes.
    ///
    /// Nor does finalize's claim of an order (`ready` → `processing`, no request yet): what
    /// follows it is the request's reservation and then its completion, committed durably, and
    /// the log is sequential (SQLite WAL, PostgreSQL WAL), so the completion's flush carries the
    /// claim with it, as it carries the reservation. A crash before that loses a claim whose
    /// finalize was never answered, and no certificate: the order is `ready` again. A refused
    /// submission's change to `invalid`, and the request's id once issued, are durable.
    pub(crate) fn durable(&self) -> bool {
        match self {
            AcmeOp::RedeemNonce { .. } => false,
            AcmeOp::ChangeOrder(change) => {
                !(change.to == OrderStatus::Processing && change.request_id.is_none() && change.error.is_none())
            }
            _ => true,
        }
    }
}

/// Forgets the nonces expired before `$1`.
pub(crate) const FORGET_EXPIRED_NONCES: &str = "DELETE FROM acme_nonces WHERE expires_at < $1";

/// Redeems nonce `$1` (expiring at `$2`) on PostgreSQL, answering a row only the first time.
pub(crate) const REDEEM_NONCE_PG: &str =
    "INSERT INTO acme_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce";

/// Whether redeeming `nonce` also forgets the expired ones: now and then, as a nonce's first byte
/// is random (about one in 64).
pub(crate) fn sweeps_nonces(nonce: &str) -> bool {
    nonce.as_bytes().first().is_some_and(|b| b % 64 == 0)
}

/// Whether a failed insert broke a unique rule (any: each ACME table has one that a caller may
/// break on purpose, named in the conflict it is turned into).
fn unique(message: &'static str) -> impl Fn(DbError) -> Failure {
    move |e| match &e {
        DbError::Unique { .. } => refused(StoreError::Conflict(message.into())),
        _ => Failure::Sql(e),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| refused(StoreError::Corrupt(format!("ACME JSON: {e}"))))
}

pub(crate) fn apply(db: &mut dyn Db, op: &AcmeOp, journal: &mut Journal) -> Result<Outcome, Failure> {
    match op {
        AcmeOp::Secret { name, fresh, at } => {
            let insert = match db.dialect() {
                Dialect::Sqlite => "INSERT OR IGNORE INTO acme_secrets (name, value, created_at) VALUES ($1, $2, $3)",
                Dialect::Postgres => {
                    "INSERT INTO acme_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING"
                }
            };
            db.execute(insert, &[name.as_str().into(), fresh.as_slice().into(), Value::Int(secs(*at))])?;
            let rows = db.query("SELECT value FROM acme_secrets WHERE name = $1", &[name.as_str().into()])?;
            let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt("ACME secret not stored".into())))?;
            Ok(Outcome::Bytes(rows::blob(row, "value").map_err(refused)?))
        }
        AcmeOp::RedeemNonce { nonce, expires_at, now } => {
            if sweeps_nonces(nonce) {
                db.execute(FORGET_EXPIRED_NONCES, &[Value::Int(secs(*now))])?;
            }
            let insert = match db.dialect() {
                Dialect::Sqlite => "INSERT OR IGNORE INTO acme_nonces (nonce, expires_at) VALUES ($1, $2)",
                Dialect::Postgres => {
                    "INSERT INTO acme_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING"
                }
            };
            let inserted = db.execute(insert, &[nonce.as_str().into(), Value::Int(secs(*expires_at))])?;
            Ok(Outcome::Flag(inserted == 1))
        }
        AcmeOp::CreateAccount(account, audit) => {
            let rows = db
                .query(
                    "INSERT INTO acme_accounts (thumbprint, jwk, contact, status, eab_key_id, created_at) \
                     VALUES ($1, $2, $3, 'valid', $4, $5) RETURNING id",
                    &[
                        account.thumbprint.as_str().into(),
                        account.jwk.as_str().into(),
                        json_list(&account.contact).into(),
                        account.eab_key_id.as_deref().into(),
                        Value::Int(secs(account.created_at)),
                    ],
                )
                .map_err(|e| match &e {
                    DbError::Unique { violation, .. } if is_eab_rule(violation) => {
                        refused(StoreError::Conflict("that external account key is already bound to an account".into()))
                    }
                    DbError::Unique { .. } => {
                        refused(StoreError::Conflict("an account with this key exists already".into()))
                    }
                    _ => Failure::Sql(e),
                })?;
            let id = returned_id(&rows, "creating the ACME account")?;
            journal.append(&targeted(audit, &format!("acme-account:{id}")))?;
            Ok(Outcome::Id(id))
        }
        AcmeOp::UpdateAccount { id, contact, status, audit } => {
            let done = db.execute(
                "UPDATE acme_accounts SET contact = COALESCE($1, contact), status = COALESCE($2, status) \
                 WHERE id = $3 AND status = 'valid'",
                &[contact.as_deref().map(json_list).into(), status.map(AccountStatus::as_str).into(), Value::Int(*id)],
            )?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!("account {id} is not valid"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        AcmeOp::ChangeKey { id, thumbprint, jwk, audit } => {
            let done = db
                .execute(
                    "UPDATE acme_accounts SET thumbprint = $1, jwk = $2 WHERE id = $3 AND status = 'valid'",
                    &[thumbprint.as_str().into(), jwk.as_str().into(), Value::Int(*id)],
                )
                .map_err(unique("another account holds the new key"))?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!("account {id} is not valid"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        AcmeOp::CreateOrder(order) => create_order(db, order),
        AcmeOp::ChangeOrder(change) => {
            let done = db
                .execute(
                    "UPDATE acme_orders SET status = $1, request_id = COALESCE($2, request_id), error = COALESCE($3, error), \
                     processing_since = COALESCE($6, processing_since) WHERE id = $4 AND status = $5",
                    &[
                        change.to.as_str().into(),
                        change.request_id.map(|r| r.get()).into(),
                        change.error.as_ref().map(json).transpose()?.into(),
                        Value::Int(change.id),
                        change.from.as_str().into(),
                        change.processing_since.map(secs).into(),
                    ],
                )
                .map_err(unique("another order already holds that request"))?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!(
                    "order {} is no longer {}",
                    change.id,
                    change.from.as_str()
                ))));
            }
            Ok(Outcome::Done)
        }
        AcmeOp::SettleInterrupted { only, claimed_before, error } => {
            // One statement, exclusive with the request's insert linking itself to the order
            // (`link_request`): whichever commits first wins the row; the other changes nothing.
            // A claim with no time (made before migration 0011) counts as old.
            let settled = db.query(
                "UPDATE acme_orders SET status = 'invalid', error = $1 \
                 WHERE status = 'processing' AND request_id IS NULL \
                 AND (processing_since IS NULL OR processing_since < $2) AND id = COALESCE($3, id) RETURNING id",
                &[json(error)?.into(), Value::Int(secs(*claimed_before)), (*only).into()],
            )?;
            let ids =
                settled.iter().map(|row| rows::int(row, "id")).collect::<StoreResult<Vec<i64>>>().map_err(refused)?;
            Ok(Outcome::Ids(ids))
        }
        AcmeOp::UpdateAuthorization { id, from, status, expires_at, challenges, audit } => {
            let done = db.execute(
                "UPDATE acme_authorizations SET status = $1, expires_at = $2, challenges = $3 WHERE id = $4 AND status = $5",
                &[
                    status.as_str().into(),
                    Value::Int(secs(*expires_at)),
                    json(challenges)?.into(),
                    Value::Int(*id),
                    from.as_str().into(),
                ],
            )?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!(
                    "authorization {id} is no longer {}",
                    from.as_str()
                ))));
            }
            if let Some(audit) = audit {
                journal.append(audit)?;
            }
            Ok(Outcome::Done)
        }
        AcmeOp::CreateEabKey(key, audit) => {
            db.execute(
                "INSERT INTO acme_eab_keys (key_id, name, profile, key_sha256, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    key.key_id.as_str().into(),
                    key.name.as_str().into(),
                    key.profile.as_deref().into(),
                    key.key_sha256.as_str().into(),
                    Value::Int(secs(key.created_at)),
                ],
            )
            .map_err(unique("that key id exists already"))?;
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        AcmeOp::WithdrawEabKey { key_id, audit } => {
            // Only a key no account is bound to: a bound one is spent already.
            let done = db.execute(
                "DELETE FROM acme_eab_keys WHERE key_id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM acme_accounts WHERE eab_key_id = $1)",
                &[key_id.as_str().into()],
            )?;
            if done == 0 {
                return Err(refused(StoreError::Conflict(format!(
                    "EAB key {key_id} is not there, or an account is bound to it already"
                ))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
    }
}

/// The unique rule on `acme_accounts (eab_key_id)`.
fn is_eab_rule(violation: &UniqueViolation) -> bool {
    match violation {
        UniqueViolation::Named(name) => name == "acme_accounts_eab_key_id_key",
        // SQLite names no rule; the thumbprint is checked first by the caller, so a refusal
        // that remains is most likely the binding, but both are reported as conflicts.
        _ => false,
    }
}

fn targeted(event: &AuditEvent, target: &str) -> AuditEvent {
    let mut event = event.clone();
    event.target = target.to_string();
    event
}

fn create_order(db: &mut dyn Db, order: &NewAcmeOrder) -> Result<Outcome, Failure> {
    let mut authorizations = Vec::with_capacity(order.authorizations.len());
    for wanted in &order.authorizations {
        match wanted {
            AuthorizationFor::Reuse(id) => authorizations.push(*id),
            AuthorizationFor::New(new) => {
                let rows = db.query(
                    "INSERT INTO acme_authorizations (account_id, identifier_type, identifier, wildcard, status, expires_at, challenges, created_at) \
                     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING id",
                    &[
                        Value::Int(order.account_id),
                        new.identifier.kind.as_str().into(),
                        new.identifier.value.as_str().into(),
                        Value::Int(i64::from(new.wildcard)),
                        Value::Int(secs(new.expires_at)),
                        json(&new.challenges)?.into(),
                        Value::Int(secs(order.created_at)),
                    ],
                )?;
                authorizations.push(returned_id(&rows, "creating the authorization")?);
            }
        }
    }
    let rows = db.query(
        "INSERT INTO acme_orders (account_id, status, profile, identifiers, authorizations, not_before, not_after, expires_at, replaces, created_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        &[
            Value::Int(order.account_id),
            order.profile.as_str().into(),
            json(&order.identifiers)?.into(),
            json(&authorizations)?.into(),
            order.not_before.map(secs).into(),
            order.not_after.map(secs).into(),
            Value::Int(secs(order.expires_at)),
            order.replaces.as_deref().into(),
            Value::Int(secs(order.created_at)),
        ],
    )?;
    let id = returned_id(&rows, "creating the order")?;
    for identifier in &order.identifiers {
        db.execute(
            "INSERT INTO acme_order_names (order_id, identifier_type, identifier, created_at) VALUES ($1, $2, $3, $4)",
            &[
                Value::Int(id),
                identifier.kind.as_str().into(),
                identifier.value.as_str().into(),
                Value::Int(secs(order.created_at)),
            ],
        )?;
    }
    Ok(Outcome::AcmeOrder(Box::new(AcmeOrderRecord {
        id,
        account_id: order.account_id,
        status: OrderStatus::Pending,
        profile: order.profile.clone(),
        identifiers: order.identifiers.clone(),
        authorizations,
        not_before: order.not_before.map(signet_store::stored_time),
        not_after: order.not_after.map(signet_store::stored_time),
        expires_at: signet_store::stored_time(order.expires_at),
        request_id: None,
        processing_since: None,
        error: None,
        replaces: order.replaces.clone(),
        created_at: signet_store::stored_time(order.created_at),
    })))
}

/// Records a just-inserted request on the ACME order it finalizes, in the same transaction;
/// refused (rolling the request back with it) unless the order is still `processing` without a
/// request: its finalize was settled as interrupted meanwhile, or another request holds it.
pub(crate) fn link_request(db: &mut dyn Db, order: i64, request: i64) -> Result<(), Failure> {
    let linked = db
        .execute(
            "UPDATE acme_orders SET request_id = $1 WHERE id = $2 AND status = 'processing' AND request_id IS NULL",
            &[Value::Int(request), Value::Int(order)],
        )
        .map_err(unique("another order already holds that request"))?;
    if linked == 0 {
        return Err(refused(StoreError::Conflict(format!(
            "ACME order {order} is no longer being finalized (it was settled, or has its request already)"
        ))));
    }
    Ok(())
}

/// Reads an account row.
pub(crate) fn account(row: &crate::db::Row) -> StoreResult<AcmeAccountRecord> {
    let status = rows::text(row, "status")?;
    Ok(AcmeAccountRecord {
        id: rows::int(row, "id")?,
        thumbprint: rows::text(row, "thumbprint")?,
        jwk: rows::text(row, "jwk")?,
        contact: serde_json::from_str(&rows::text(row, "contact")?).map_err(|e| rows::corrupt("contact", e))?,
        status: AccountStatus::parse(&status).ok_or_else(|| rows::corrupt("status", &status))?,
        eab_key_id: rows::opt_text(row, "eab_key_id")?,
        created_at: rows::time(rows::int(row, "created_at")?)?,
    })
}

/// Reads an authorization row.
pub(crate) fn authorization(row: &crate::db::Row) -> StoreResult<AcmeAuthorizationRecord> {
    let status = rows::text(row, "status")?;
    Ok(AcmeAuthorizationRecord {
        id: rows::int(row, "id")?,
        account_id: rows::int(row, "account_id")?,
        identifier: AcmeIdentifier { kind: rows::text(row, "identifier_type")?, value: rows::text(row, "identifier")? },
        wildcard: rows::int(row, "wildcard")? != 0,
        status: AuthorizationStatus::parse(&status).ok_or_else(|| rows::corrupt("status", &status))?,
        expires_at: rows::time(rows::int(row, "expires_at")?)?,
        challenges: serde_json::from_str(&rows::text(row, "challenges")?)
            .map_err(|e| rows::corrupt("challenges", e))?,
        created_at: rows::time(rows::int(row, "created_at")?)?,
    })
}

/// Reads an order row.
pub(crate) fn order(row: &crate::db::Row) -> StoreResult<AcmeOrderRecord> {
    let status = rows::text(row, "status")?;
    let error = rows::opt_text(row, "error")?
        .map(|text| serde_json::from_str(&text).map_err(|e| rows::corrupt("error", e)))
        .transpose()?;
    Ok(AcmeOrderRecord {
        id: rows::int(row, "id")?,
        account_id: rows::int(row, "account_id")?,
        status: OrderStatus::parse(&status).ok_or_else(|| rows::corrupt("status", &status))?,
        profile: rows::text(row, "profile")?,
        identifiers: serde_json::from_str(&rows::text(row, "identifiers")?)
            .map_err(|e| rows::corrupt("identifiers", e))?,
        authorizations: serde_json::from_str(&rows::text(row, "authorizations")?)
            .map_err(|e| rows::corrupt("authorizations", e))?,
        not_before: rows::opt_int(row, "not_before")?.map(rows::time).transpose()?,
        not_after: rows::opt_int(row, "not_after")?.map(rows::time).transpose()?,
        expires_at: rows::time(rows::int(row, "expires_at")?)?,
        request_id: rows::opt_int(row, "request_id")?
            .map(|id| signet_model::RequestId::new(id).ok_or_else(|| rows::corrupt("request_id", id)))
            .transpose()?,
        processing_since: rows::opt_int(row, "processing_since")?.map(rows::time).transpose()?,
        error,
        replaces: rows::opt_text(row, "replaces")?,
        created_at: rows::time(rows::int(row, "created_at")?)?,
    })
}

/// Reads an EAB key row (with the account bound to it, `account_id`, from a join).
pub(crate) fn eab_key(row: &crate::db::Row) -> StoreResult<EabKeyRecord> {
    Ok(EabKeyRecord {
        key_id: rows::text(row, "key_id")?,
        name: rows::text(row, "name")?,
        profile: rows::opt_text(row, "profile")?,
        key_sha256: rows::text(row, "key_sha256")?,
        account_id: rows::opt_int(row, "account_id")?,
        created_at: rows::time(rows::int(row, "created_at")?)?,
    })
}
