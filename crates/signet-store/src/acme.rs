//! What the ACME server keeps (RFC 8555 §7.1): accounts, orders, authorizations with their
//! challenges, External Account Binding keys, and redeemed nonces; and the interface every backend
//! implements for them. Separate from [`crate::Store`]: the workflow never needs it, and the ACME
//! front end reaches the CA itself only through the authority.
//!
//! Nonces are single-use across every front end sharing a database: redeeming one inserts it
//! into a table keyed by the nonce, so a second redemption, on any front end, is refused.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use signet_model::RequestId;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::StoreResult;

/// The life of an ACME account (RFC 8555 §7.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// In use.
    Valid,
    /// Deactivated by its holder; its key is refused from then on.
    Deactivated,
    /// Deactivated by the CA.
    Revoked,
}

/// An order's status (RFC 8555 §7.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Authorizations still to complete.
    Pending,
    /// Every authorization valid: it may be finalized.
    Ready,
    /// Finalized; the certificate is being issued, or waits for a Certificate Manager.
    Processing,
    /// Issued.
    Valid,
    /// Failed, expired or denied.
    Invalid,
}

/// An authorization's status (RFC 8555 §7.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizationStatus {
    /// Waiting for a challenge to be answered.
    Pending,
    /// A challenge was validated.
    Valid,
    /// Validation failed.
    Invalid,
    /// Deactivated by its account.
    Deactivated,
    /// Past its expiry.
    Expired,
    /// Revoked by the CA.
    Revoked,
}

/// A challenge's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Not yet answered.
    Pending,
    /// Being validated.
    Processing,
    /// Validated.
    Valid,
    /// Validation failed.
    Invalid,
}

macro_rules! stored_names {
    ($type:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// The stored (and RFC) name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
            /// Parses a stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($name => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

stored_names!(AccountStatus { Valid => "valid", Deactivated => "deactivated", Revoked => "revoked" });
stored_names!(OrderStatus {
    Pending => "pending", Ready => "ready", Processing => "processing", Valid => "valid", Invalid => "invalid",
});
stored_names!(AuthorizationStatus {
    Pending => "pending", Valid => "valid", Invalid => "invalid", Deactivated => "deactivated",
    Expired => "expired", Revoked => "revoked",
});

/// An identifier as ACME names it (RFC 8555 §9.7.7; `ip` from RFC 8738).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcmeIdentifier {
    /// `dns` or `ip`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name (lower case, wildcard included) or the address (canonical text).
    pub value: String,
}

/// An ACME account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeAccountRecord {
    /// Its id (in its URL).
    pub id: i64,
    /// RFC 7638 thumbprint of its key (unique).
    pub thumbprint: String,
    /// Its key, as canonical JWK JSON.
    pub jwk: String,
    /// `mailto:` contacts.
    pub contact: Vec<String>,
    /// Status.
    pub status: AccountStatus,
    /// The External Account Binding key it was created with.
    pub eab_key_id: Option<String>,
    /// Created at.
    pub created_at: OffsetDateTime,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAcmeAccount {
    /// RFC 7638 thumbprint.
    pub thumbprint: String,
    /// Canonical JWK JSON.
    pub jwk: String,
    /// Contacts.
    pub contact: Vec<String>,
    /// The EAB key it binds (used once).
    pub eab_key_id: Option<String>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// One challenge of an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeChallenge {
    /// `http-01`, `dns-01` or `tls-alpn-01`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The token (base64url, 128 bits or more of randomness).
    pub token: String,
    /// Status.
    pub status: ChallengeStatus,
    /// When validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated: Option<i64>,
    /// The problem document of a failed validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

/// An authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeAuthorizationRecord {
    /// Its id.
    pub id: i64,
    /// The account it belongs to.
    pub account_id: i64,
    /// The identifier (without `*.` for a wildcard).
    pub identifier: AcmeIdentifier,
    /// For a wildcard name.
    pub wildcard: bool,
    /// Status.
    pub status: AuthorizationStatus,
    /// When it expires (pending: the validation deadline; valid: the reuse window's end).
    pub expires_at: OffsetDateTime,
    /// Its challenges.
    pub challenges: Vec<AcmeChallenge>,
    /// Created at.
    pub created_at: OffsetDateTime,
}

/// An authorization to create.
#[derive(Debug, Clone)]
pub struct NewAcmeAuthorization {
    /// The identifier.
    pub identifier: AcmeIdentifier,
    /// For a wildcard name.
    pub wildcard: bool,
    /// When it expires.
    pub expires_at: OffsetDateTime,
    /// Its challenges, pending.
    pub challenges: Vec<AcmeChallenge>,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeOrderRecord {
    /// Its id.
    pub id: i64,
    /// The account.
    pub account_id: i64,
    /// Status as stored (pending/ready/processing/valid/invalid); the front end derives what it
    /// shows from its authorizations and its request.
    pub status: OrderStatus,
    /// The signet profile it issues from.
    pub profile: String,
    /// The identifiers ordered.
    pub identifiers: Vec<AcmeIdentifier>,
    /// Its authorizations' ids, one per identifier.
    pub authorizations: Vec<i64>,
    /// Requested notBefore.
    pub not_before: Option<OffsetDateTime>,
    /// Requested notAfter.
    pub not_after: Option<OffsetDateTime>,
    /// When it expires unless finalized.
    pub expires_at: OffsetDateTime,
    /// The certificate request finalize submitted.
    pub request_id: Option<RequestId>,
    /// When finalize claimed it (moved it to `processing`): a claim with no request after a lease
    /// was interrupted (see [`AcmeStore::settle_interrupted_finalizes`]).
    pub processing_since: Option<OffsetDateTime>,
    /// The problem document that made it invalid.
    pub error: Option<serde_json::Value>,
    /// ARI: the certificate it replaces (RFC 9773 CertID).
    pub replaces: Option<String>,
    /// Created at.
    pub created_at: OffsetDateTime,
}

/// An order to create, with the authorizations it needs that do not exist yet.
#[derive(Debug, Clone)]
pub struct NewAcmeOrder {
    /// The account.
    pub account_id: i64,
    /// The profile.
    pub profile: String,
    /// The identifiers, in the order the client gave them.
    pub identifiers: Vec<AcmeIdentifier>,
    /// For each identifier: an existing valid authorization to reuse, or a new one.
    pub authorizations: Vec<AuthorizationFor>,
    /// Requested notBefore.
    pub not_before: Option<OffsetDateTime>,
    /// Requested notAfter.
    pub not_after: Option<OffsetDateTime>,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// ARI `replaces`.
    pub replaces: Option<String>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Where an order's authorization for one identifier comes from.
#[derive(Debug, Clone)]
pub enum AuthorizationFor {
    /// An existing, still valid authorization of the same account (the reuse window).
    Reuse(i64),
    /// A new one.
    New(NewAcmeAuthorization),
}

/// A change to an order.
#[derive(Debug, Clone)]
pub struct OrderChange {
    /// The order.
    pub id: i64,
    /// The status it must have now (the change is refused otherwise: two finalizes race).
    pub from: OrderStatus,
    /// Its new status.
    pub to: OrderStatus,
    /// The request finalize submitted.
    pub request_id: Option<RequestId>,
    /// When finalize claimed it (with `to: Processing`); kept when None.
    pub processing_since: Option<OffsetDateTime>,
    /// The problem that made it invalid.
    pub error: Option<serde_json::Value>,
}

/// An External Account Binding key as stored (the MAC key itself never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EabKeyRecord {
    /// The key id given to the client.
    pub key_id: String,
    /// Whom it was made for.
    pub name: String,
    /// The only profile its account may order from, if limited.
    pub profile: Option<String>,
    /// SHA-256 (hex) of the MAC key.
    pub key_sha256: String,
    /// The account it was bound to (once).
    pub account_id: Option<i64>,
    /// Made at.
    pub created_at: OffsetDateTime,
}

/// ACME state: read and written by the ACME front end only.
#[async_trait]
pub trait AcmeStore: Send + Sync {
    /// The named server secret, made from `fresh` by whichever front end asks first and the same
    /// for all after (nonce MAC key).
    async fn acme_secret(&self, name: &str, fresh: Vec<u8>, at: OffsetDateTime) -> StoreResult<Vec<u8>>;
    /// Redeems a nonce: true the first time on any front end, false after. Nonces past
    /// `now` are forgotten along the way.
    async fn redeem_nonce(&self, nonce: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> StoreResult<bool>;
    /// [`Self::redeem_nonce`] and [`Self::acme_account`] together, as every request an account
    /// signs needs both: one round trip where the backend can (PostgreSQL).
    async fn redeem_nonce_and_read_account(
        &self,
        nonce: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        account: i64,
    ) -> StoreResult<(bool, Option<AcmeAccountRecord>)>;
    /// Creates an account (Conflict if its key has one; binds the EAB key, which must be unbound).
    async fn create_account(&self, account: NewAcmeAccount, audit: AuditEvent) -> StoreResult<AcmeAccountRecord>;
    /// An account by id.
    async fn acme_account(&self, id: i64) -> StoreResult<Option<AcmeAccountRecord>>;
    /// An account by its key's thumbprint.
    async fn acme_account_by_key(&self, thumbprint: &str) -> StoreResult<Option<AcmeAccountRecord>>;
    /// Replaces an account's contacts and/or status.
    async fn update_account(
        &self,
        id: i64,
        contact: Option<Vec<String>>,
        status: Option<AccountStatus>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Replaces an account's key (Conflict if another account holds the new one).
    async fn change_account_key(&self, id: i64, thumbprint: &str, jwk: &str, audit: AuditEvent) -> StoreResult<()>;
    /// Creates an order and its new authorizations; answers the order as stored.
    async fn create_order(&self, order: NewAcmeOrder) -> StoreResult<AcmeOrderRecord>;
    /// An order by id.
    async fn acme_order(&self, id: i64) -> StoreResult<Option<AcmeOrderRecord>>;
    /// The order that submitted a request.
    async fn acme_order_for_request(&self, request: RequestId) -> StoreResult<Option<AcmeOrderRecord>>;
    /// Changes an order's status (refused unless it is `from`).
    async fn change_order(&self, change: OrderChange) -> StoreResult<()>;
    /// Makes `invalid`, with `error`, the orders (or only the order `only`) that finalize claimed
    /// before `claimed_before` and that still have no certificate request: their finalize was
    /// interrupted (the process died, or the database failed) before the request was stored.
    /// Exclusive with storing the request ([`crate::NewRequest::acme_order`]): an order gets one
    /// or the other, never both. Answers the ids of the orders settled.
    async fn settle_interrupted_finalizes(
        &self,
        only: Option<i64>,
        claimed_before: OffsetDateTime,
        error: serde_json::Value,
    ) -> StoreResult<Vec<i64>>;
    /// An authorization by id.
    async fn acme_authorization(&self, id: i64) -> StoreResult<Option<AcmeAuthorizationRecord>>;
    /// Authorizations by id, in the order asked.
    async fn acme_authorizations(&self, ids: &[i64]) -> StoreResult<Vec<AcmeAuthorizationRecord>>;
    /// A valid authorization of `account_id` for `identifier` expiring after `after`, to reuse.
    async fn reusable_authorization(
        &self,
        account_id: i64,
        identifier: &AcmeIdentifier,
        wildcard: bool,
        after: OffsetDateTime,
    ) -> StoreResult<Option<i64>>;
    /// Stores an authorization's new status and challenges (refused unless its status is `from`).
    async fn update_authorization(
        &self,
        id: i64,
        from: AuthorizationStatus,
        status: AuthorizationStatus,
        expires_at: OffsetDateTime,
        challenges: Vec<AcmeChallenge>,
        audit: Option<AuditEvent>,
    ) -> StoreResult<()>;
    /// Stores a new EAB key.
    async fn create_eab_key(&self, key: EabKeyRecord, audit: AuditEvent) -> StoreResult<()>;
    /// Deletes an EAB key no account is bound to (Conflict when it is absent or bound).
    async fn withdraw_eab_key(&self, key_id: &str, audit: AuditEvent) -> StoreResult<()>;
    /// An EAB key by key id.
    async fn eab_key(&self, key_id: &str) -> StoreResult<Option<EabKeyRecord>>;
    /// Every EAB key, oldest first, each with the account it was bound to.
    async fn eab_keys(&self) -> StoreResult<Vec<EabKeyRecord>>;
    /// The order, not invalid, that replaces the certificate `cert_id` (RFC 9773 `replaces`).
    async fn order_replacing(&self, cert_id: &str) -> StoreResult<Option<i64>>;
    /// Orders, not invalid, naming `identifier` made since `since`, by any account (rate limits).
    async fn count_orders_for_name_since(&self, identifier: &AcmeIdentifier, since: OffsetDateTime)
    -> StoreResult<u64>;
    /// The ids of an account's orders, newest first, at most `limit`.
    async fn account_orders(&self, account_id: i64, limit: u32) -> StoreResult<Vec<i64>>;
    /// Orders an account made since `since` (rate limits).
    async fn count_orders_since(&self, account_id: i64, since: OffsetDateTime) -> StoreResult<u64>;
}
