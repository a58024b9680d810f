//! The storage interfaces: read-only (for queries and the web front end) and read-write.

use async_trait::async_trait;
use signet_model::{CaId, CrlScope, RequestId, Serial, Sha256};

use crate::audit::{AuditEvent, AuditRecord};
use crate::error::StoreResult;
use crate::records::*;

/// Queries. Implementations may serve them from replicas or read connections.
#[async_trait]
pub trait StoreRead: Send + Sync {
    /// Every CA.
    async fn cas(&self) -> StoreResult<Vec<CaRecord>>;
    /// Every alternate CA certificate (cross-certificates), oldest first.
    async fn ca_alternates(&self) -> StoreResult<Vec<CaAlternateRecord>>;
    /// One request.
    async fn request(&self, id: RequestId) -> StoreResult<Option<RequestRecord>>;
    /// Pending requests, oldest first.
    async fn pending_requests(&self, limit: u32) -> StoreResult<Vec<RequestRecord>>;
    /// The live (reserved or issued) certificate of a request.
    async fn certificate_for_request(&self, id: RequestId) -> StoreResult<Option<CertificateRecord>>;
    /// Every serial recorded, in any status (for invariant checks).
    async fn certificates(&self, ca_id: CaId) -> StoreResult<Vec<CertificateRecord>>;
    /// The certificate (or burnt serial) `serial` of a CA.
    async fn certificate(&self, ca_id: CaId, serial: &Serial) -> StoreResult<Option<CertificateRecord>>;
    /// The entries of a CRL: the CA's revoked certificates in `scope` that expired at `expired_before`
    /// or later (older ones are dropped from CRLs), read in one statement.
    async fn revoked(
        &self,
        ca_id: CaId,
        scope: CrlScope,
        expired_before: time::OffsetDateTime,
    ) -> StoreResult<Vec<RevokedEntry>>;
    /// The CA's revocation version: it grows with every revocation and release, so a CRL made
    /// from entries read after it is current unless the version grew since.
    async fn revocation_version(&self, ca_id: CaId) -> StoreResult<i64>;
    /// The CRL partitions (None: certificates naming the full CRL) of the CA's certificates whose
    /// revocation changed after version `since`, each with its newest version.
    async fn changed_partitions(&self, ca_id: CaId, since: i64) -> StoreResult<Vec<(Option<u16>, i64)>>;
    /// The CRL stored for a CA and scope.
    async fn crl(&self, ca_id: CaId, scope: CrlScope) -> StoreResult<Option<CrlRecord>>;
    /// The CRLs stored, without their bytes.
    async fn crls(&self) -> StoreResult<Vec<CrlSummary>>;
    /// Up to `limit` issued certificates of a CA whose OCSP response is due at `now`, not
    /// expired before `expired_before`, most urgent first: revoked or released since their last
    /// one, then new (left out unless `new_certificates`), then due for a refresh.
    async fn ocsp_due(
        &self,
        ca_id: CaId,
        now: time::OffsetDateTime,
        expired_before: time::OffsetDateTime,
        new_certificates: bool,
        limit: u32,
    ) -> StoreResult<Vec<OcspWork>>;
    /// The current OCSP response of a certificate.
    async fn ocsp_response(&self, ca_id: CaId, serial: &Serial) -> StoreResult<Option<StoredOcspResponse>>;
    /// The certificates whose OCSP response was made at `since` or later, with when.
    async fn ocsp_changes(&self, since: time::OffsetDateTime)
    -> StoreResult<Vec<(CaId, Serial, time::OffsetDateTime)>>;
    /// Every delegated OCSP responder, newest last.
    async fn ocsp_responders(&self) -> StoreResult<Vec<OcspResponderRecord>>;
    /// Requests (with their certificates) matching a query, newest first.
    async fn search(&self, query: &Query) -> StoreResult<Vec<Found>>;
    /// Whether a key (by SPKI SHA-256) ever got a test certificate (seed P6).
    async fn key_used_for_test(&self, spki_sha256: &Sha256) -> StoreResult<bool>;
    /// A token by the hash of its secret.
    async fn token_by_hash(&self, hash: &Sha256) -> StoreResult<Option<TokenRecord>>;
    /// All tokens.
    async fn tokens(&self) -> StoreResult<Vec<TokenRecord>>;
    /// Audit entries from `from_seq`, at most `limit`.
    async fn audit_entries(&self, from_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
    /// The newest audit entry recording the configuration in force (action `config.change`).
    async fn last_config_change(&self) -> StoreResult<Option<AuditRecord>>;
    /// The recorded head of the audit log (last sequence number and hash).
    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>>;
}

/// State changes. Each call is one transaction that also appends its audit events; calls from
/// concurrent tasks are committed together (group commit). The store never signs: the caller
/// reserves, signs the recorded to-be-signed certificate itself, and completes.
#[async_trait]
pub trait StoreWrite: StoreRead {
    /// Creates a CA.
    async fn create_ca(&self, ca: NewCa, audit: AuditEvent) -> StoreResult<CaId>;
    /// Installs a CA's certificate (after an external parent signed it).
    async fn install_ca_certificate(
        &self,
        ca_id: CaId,
        certificate: Vec<u8>,
        not_after: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Stores an alternate certificate for a CA's key (checked by the caller); a Conflict if the
    /// CA already holds that certificate, NotFound if there is no such CA. Answers its id.
    async fn add_ca_alternate(&self, alternate: NewCaAlternate, audit: AuditEvent) -> StoreResult<i64>;
    /// Stores a new request; durable before it returns. Answers the record as stored.
    async fn submit(&self, request: NewRequest, audit: AuditEvent) -> StoreResult<RequestRecord>;
    /// Stores a new request and reserves a serial for it in one step (auto-approved profiles).
    /// Durable once a later durable write commits. Answers the request as stored.
    async fn submit_and_reserve(
        &self,
        request: NewRequest,
        reservation: Reservation,
        audit: AuditEvent,
    ) -> StoreResult<RequestRecord>;
    /// Records the intent to sign: refuses a duplicate serial, a request that is not pending, or
    /// one that already has a live reservation. Ordered before, and made durable by, the completion.
    async fn reserve(&self, request: RequestId, reservation: Reservation, audit: AuditEvent) -> StoreResult<()>;
    /// Stores the signed certificate and moves the request pending → issued; durable before it
    /// returns, so no client sees a certificate the database could lose.
    async fn complete(&self, completion: Completion, audit: Vec<AuditEvent>) -> StoreResult<()>;
    /// Marks a reservation abandoned (the serial stays burnt).
    async fn abandon(&self, ca_id: CaId, serial: &signet_model::Serial, audit: AuditEvent) -> StoreResult<()>;
    /// Moves a request pending → denied (refused while an issuance is under way).
    async fn deny(
        &self,
        id: RequestId,
        by: &str,
        reason: &str,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Moves a request pending → failed.
    async fn fail(&self, id: RequestId, reason: &str, at: time::OffsetDateTime, audit: AuditEvent) -> StoreResult<()>;
    /// Revokes an issued certificate (or makes a held one's revocation permanent, with a reason
    /// other than certificateHold), with its audit event; answers the certificate as stored.
    /// Refuses an unknown, reserved, abandoned or already revoked serial with a message that says
    /// which. Raises the CA's revocation version.
    async fn revoke(
        &self,
        ca_id: CaId,
        serial: &Serial,
        revocation: Revocation,
        audit: AuditEvent,
    ) -> StoreResult<CertificateRecord>;
    /// Releases a certificate from hold (certificateHold is the only releasable reason); answers
    /// the certificate as stored. Raises the CA's revocation version.
    async fn release_hold(&self, ca_id: CaId, serial: &Serial, audit: AuditEvent) -> StoreResult<CertificateRecord>;
    /// The next CRL number of a CA: greater than every number it answered before and at least
    /// `floor` (a time-based floor keeps numbers rising across a restore from backup).
    async fn next_crl_number(&self, ca_id: CaId, floor: u64) -> StoreResult<u64>;
    /// Stores a signed CRL as the current one of its scope, with its audit event; refused (a
    /// conflict) if one with an equal or higher number is stored, so a slower publisher never
    /// replaces a newer CRL.
    async fn store_crl(&self, crl: CrlRecord, audit: AuditEvent) -> StoreResult<()>;
    /// Stores signed OCSP responses as their certificates' current ones, with one audit event
    /// for the batch, skipping (and not counting) a response whose certificate was revoked or
    /// released after it was read; answers how many were stored.
    async fn store_ocsp_responses(&self, responses: Vec<OcspResponseRecord>, audit: AuditEvent) -> StoreResult<usize>;
    /// Stores a new delegated OCSP responder (its certificate already issued and stored). With
    /// `resign_all` (the one before it was revoked), every response of its CA falls due at once,
    /// in the same transaction: nothing the revoked responder signed outlives the next rounds.
    async fn store_ocsp_responder(
        &self,
        responder: OcspResponderRecord,
        resign_all: bool,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Whether this store (process) holds the lease to publish `what`, taking it if free: one
    /// publisher at a time among the front ends sharing a database. Held until the process ends
    /// or loses its connection.
    async fn publisher_lease(&self, what: &str) -> StoreResult<bool>;
    /// Creates an API token.
    async fn create_token(&self, token: NewToken, audit: AuditEvent) -> StoreResult<i64>;
    /// Revokes an API token (it stops authenticating); NotFound if there is no such live token.
    async fn revoke_token(&self, id: i64, at: time::OffsetDateTime, audit: AuditEvent) -> StoreResult<()>;
    /// Appends audit events on their own.
    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()>;
    /// Marks reservations older than `before` abandoned (after a crash), auditing it at `at`;
    /// returns them.
    async fn abandon_stale(
        &self,
        before: time::OffsetDateTime,
        at: time::OffsetDateTime,
    ) -> StoreResult<Vec<CertificateRecord>>;
}

/// A full store.
pub trait Store: StoreWrite {}

impl<T: StoreWrite> Store for T {}
