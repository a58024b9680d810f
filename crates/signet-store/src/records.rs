//! The records a CA keeps.

use serde::{Deserialize, Serialize};
pub use signet_model::revocation::RevokedEntry;
use signet_model::{CaId, CrlScope, Decision, RequestId, RequestState, RevocationReason, Role, Serial, Sha256};
use time::OffsetDateTime;

/// Whether a CA is a root, a subordinate, or a test root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaKind {
    /// Self-signed trust anchor.
    Root,
    /// Signed by a parent (local or external).
    Subordinate,
    /// A separate self-signed root FOR TESTING ONLY (seed ISS-1).
    TestRoot,
}

impl CaKind {
    /// Stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Subordinate => "subordinate",
            Self::TestRoot => "test-root",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "root" => Some(Self::Root),
            "subordinate" => Some(Self::Subordinate),
            "test-root" => Some(Self::TestRoot),
            _ => None,
        }
    }
}

/// A CA as stored. The private key is stored encrypted (PKCS#8 PBES2); a PKCS#11 reference can
/// take its place later without changing this record's users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaRecord {
    /// Database identifier.
    pub id: CaId,
    /// Unique name, used in profiles and URLs.
    pub name: String,
    /// Root, subordinate or test root.
    pub kind: CaKind,
    /// Name of the local parent, if any.
    pub parent: Option<String>,
    /// The CA certificate (absent while waiting for an external parent).
    pub certificate: Option<Vec<u8>>,
    /// The CSR sent to an external parent.
    pub csr: Option<Vec<u8>>,
    /// Encrypted PKCS#8 of the CA key.
    pub encrypted_key: Vec<u8>,
    /// End of the CA certificate's validity.
    pub not_after: Option<OffsetDateTime>,
    /// When the CA was created.
    pub created_at: OffsetDateTime,
}

/// A CA to create.
#[derive(Debug, Clone)]
pub struct NewCa {
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: CaKind,
    /// Local parent name.
    pub parent: Option<String>,
    /// Certificate, if already made.
    pub certificate: Option<Vec<u8>>,
    /// CSR for an external parent.
    pub csr: Option<Vec<u8>>,
    /// Encrypted PKCS#8 key.
    pub encrypted_key: Vec<u8>,
    /// Certificate end, if known.
    pub not_after: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A further certificate for a CA's own key (same subject, same public key as its primary
/// certificate) issued by another CA: a cross-certificate or a certificate from a root rollover,
/// giving relying parties a second path (RFC 8555 §7.4.2 alternate chains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaAlternateRecord {
    /// Database identifier.
    pub id: i64,
    /// The CA whose key it certifies.
    pub ca_id: CaId,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// The local CA that issued it (a cross-sign made by `signet ca cross-sign`), if any.
    pub issuer_ca: Option<String>,
    /// For an outside issuer: its certificates (DER), issuer first, up to but not including a
    /// self-signed root. Empty for a local issuer, whose own chain is followed instead.
    pub chain: Vec<Vec<u8>>,
    /// End of the certificate's validity.
    pub not_after: OffsetDateTime,
    /// When it was stored.
    pub created_at: OffsetDateTime,
}

/// An alternate CA certificate to store (see [`CaAlternateRecord`]).
#[derive(Debug, Clone)]
pub struct NewCaAlternate {
    /// The CA whose key it certifies.
    pub ca_id: CaId,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// SHA-256 of the certificate: one CA holds a certificate once.
    pub sha256: Sha256,
    /// The local CA that issued it, if any.
    pub issuer_ca: Option<String>,
    /// An outside issuer's certificates (DER), issuer first, without a self-signed root.
    pub chain: Vec<Vec<u8>>,
    /// End of the certificate's validity.
    pub not_after: OffsetDateTime,
    /// When it is stored.
    pub created_at: OffsetDateTime,
}

/// A certificate request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// The request ID.
    pub id: RequestId,
    /// Profile asked for.
    pub profile: String,
    /// The PKCS#10 DER as submitted.
    #[serde(skip)]
    pub csr: Vec<u8>,
    /// Subject DN of the CSR.
    pub subject: String,
    /// Names requested (`dns:...`, `ip:...`).
    pub sans: Vec<String>,
    /// SHA-256 of the requested public key.
    pub spki_sha256: Sha256,
    /// Who submitted it (token name).
    pub requester: String,
    /// Where it stands.
    pub state: RequestState,
    /// Warnings given at submission (e.g. a key already used for a test certificate).
    pub warnings: Vec<String>,
    /// Why it was denied or failed.
    pub reason: Option<String>,
    /// Who approved or denied it.
    pub decided_by: Option<String>,
    /// Names the Certificate Manager allowed, when narrowed at approval.
    pub approved_sans: Option<Vec<String>>,
    /// SHA-256 of the retrieval token given to the requester.
    #[serde(skip)]
    pub retrieval_token_hash: Sha256,
    /// Submission time.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub created_at: OffsetDateTime,
    /// Decision time.
    #[serde(serialize_with = "signet_model::time_text::serialize_option")]
    pub decided_at: Option<OffsetDateTime>,
}

impl RequestRecord {
    /// The record of `request` as the store keeps it under `id`, pending: what storing a new
    /// request answers.
    pub fn stored(id: RequestId, request: NewRequest) -> Self {
        Self {
            id,
            profile: request.profile,
            csr: request.csr,
            subject: request.subject,
            sans: request.sans,
            spki_sha256: request.spki_sha256,
            requester: request.requester,
            state: RequestState::Pending,
            warnings: request.warnings,
            reason: None,
            decided_by: None,
            approved_sans: None,
            retrieval_token_hash: request.retrieval_token_hash,
            created_at: stored_time(request.created_at),
            decided_at: None,
        }
    }

    /// This record after a decision the store committed, or why the decision cannot apply.
    pub fn decided(mut self, decision: Decided) -> Result<Self, signet_model::TransitionError> {
        self.state = decision.decision.apply(self.state)?;
        self.decided_by = decision.by;
        self.reason = decision.reason;
        if decision.approved_sans.is_some() {
            self.approved_sans = decision.approved_sans;
        }
        self.decided_at = Some(stored_time(decision.at));
        Ok(self)
    }
}

/// A decision on a request as stored with it ([`RequestRecord::decided`]).
#[derive(Debug, Clone)]
pub struct Decided {
    /// The move out of pending.
    pub decision: Decision,
    /// Who decided (none when the system failed it).
    pub by: Option<String>,
    /// Why it was denied or failed.
    pub reason: Option<String>,
    /// Names a Certificate Manager narrowed it to.
    pub approved_sans: Option<Vec<String>>,
    /// When.
    pub at: OffsetDateTime,
}

/// A time as the store keeps it: whole seconds, so an answer built from what was written reads
/// the same as the record read back later.
pub fn stored_time(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Profile.
    pub profile: String,
    /// CSR DER.
    pub csr: Vec<u8>,
    /// Subject DN.
    pub subject: String,
    /// Names requested.
    pub sans: Vec<String>,
    /// SHA-256 of the key.
    pub spki_sha256: Sha256,
    /// Requester.
    pub requester: String,
    /// Warnings.
    pub warnings: Vec<String>,
    /// SHA-256 of the retrieval token.
    pub retrieval_token_hash: Sha256,
    /// Submission time.
    pub created_at: OffsetDateTime,
    /// The ACME order this request finalizes, if any: the store records the request on that order
    /// in the same transaction as the request itself, and refuses both unless the order is still
    /// `processing` without a request (so a finalize interrupted before this point leaves no
    /// request, and one settled meanwhile by another front end stores nothing).
    pub acme_order: Option<i64>,
}

/// The life of a serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertificateStatus {
    /// The serial and TBS are recorded; the signature may or may not have been made.
    Reserved,
    /// Signed and stored; may be given to clients.
    Issued,
    /// Reserved but never completed (crash or lost race); the serial is burnt, never reused.
    Abandoned,
}

impl CertificateStatus {
    /// Stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Issued => "issued",
            Self::Abandoned => "abandoned",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "reserved" => Some(Self::Reserved),
            "issued" => Some(Self::Issued),
            "abandoned" => Some(Self::Abandoned),
            _ => None,
        }
    }
}

/// The intent to sign: recorded before the signature is made.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// Issuing CA.
    pub ca_id: CaId,
    /// The serial.
    pub serial: Serial,
    /// The to-be-signed certificate (DER).
    pub tbs: Vec<u8>,
    /// SHA-256 of the subject key.
    pub spki_sha256: Sha256,
    /// Subject DN.
    pub subject: String,
    /// Names in the certificate.
    pub sans: Vec<String>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// Issued from a test hierarchy.
    pub is_test: bool,
    /// The CRL partition named in the certificate's CRL distribution point; None when it names
    /// the CA's full CRL.
    pub crl_shard: Option<u16>,
    /// When reserved.
    pub created_at: OffsetDateTime,
}

/// Completing an issuance: the signed certificate and the request's final state.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Issuing CA.
    pub ca_id: CaId,
    /// The reserved serial.
    pub serial: Serial,
    /// The request.
    pub request_id: RequestId,
    /// The signed certificate (DER).
    pub der: Vec<u8>,
    /// SHA-256 of the certificate.
    pub sha256: Sha256,
    /// Who approved (the requester for auto-approved profiles).
    pub decided_by: String,
    /// Names narrowed at approval, if any.
    pub approved_sans: Option<Vec<String>>,
    /// When.
    pub at: OffsetDateTime,
}

/// A certificate (or burnt serial) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateRecord {
    /// Issuing CA id.
    pub ca_id: CaId,
    /// Serial.
    pub serial: Serial,
    /// The request.
    pub request_id: RequestId,
    /// Reserved, issued or abandoned.
    pub status: CertificateStatus,
    /// The to-be-signed certificate.
    #[serde(skip)]
    pub tbs: Vec<u8>,
    /// The certificate, once issued.
    #[serde(skip)]
    pub der: Option<Vec<u8>>,
    /// SHA-256 of the certificate.
    pub sha256: Option<Sha256>,
    /// SHA-256 of the subject key.
    pub spki_sha256: Sha256,
    /// Subject DN.
    pub subject: String,
    /// Names.
    pub sans: Vec<String>,
    /// Validity start.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub not_before: OffsetDateTime,
    /// Validity end.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub not_after: OffsetDateTime,
    /// From a test hierarchy.
    pub is_test: bool,
    /// The CRL partition its distribution point names (None: the CA's full CRL).
    pub crl_shard: Option<u16>,
    /// When reserved.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub created_at: OffsetDateTime,
    /// Its revocation, if revoked (or on hold).
    pub revocation: Option<Revocation>,
}

impl CertificateRecord {
    /// The record of `reservation` once `completion` is stored: what a client is given.
    pub fn issued(reservation: &Reservation, completion: &Completion) -> Self {
        Self {
            ca_id: reservation.ca_id,
            serial: reservation.serial,
            request_id: completion.request_id,
            status: CertificateStatus::Issued,
            tbs: reservation.tbs.clone(),
            der: Some(completion.der.clone()),
            sha256: Some(completion.sha256),
            spki_sha256: reservation.spki_sha256,
            subject: reservation.subject.clone(),
            sans: reservation.sans.clone(),
            not_before: stored_time(reservation.not_before),
            not_after: stored_time(reservation.not_after),
            is_test: reservation.is_test,
            crl_shard: reservation.crl_shard,
            created_at: stored_time(reservation.created_at),
            revocation: None,
        }
    }
}

/// A revocation as stored with its certificate (RFC 5280 §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// When it took effect: the CRL entry's revocationDate, OCSP's revocationTime.
    pub revoked_at: OffsetDateTime,
    /// Why.
    pub reason: RevocationReason,
    /// When the key is known or suspected to have been compromised, if before `revoked_at`
    /// (the invalidityDate entry extension, RFC 5280 §5.3.2).
    pub invalidity_date: Option<OffsetDateTime>,
    /// Who revoked it.
    pub revoked_by: String,
}

impl Revocation {
    /// This revocation as the store keeps it (whole seconds).
    pub fn stored(mut self) -> Self {
        self.revoked_at = stored_time(self.revoked_at);
        self.invalidity_date = self.invalidity_date.map(stored_time);
        self
    }
}

/// What a CRL publication stores: the signed CRL and what it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlSummary {
    /// The issuing CA.
    pub ca_id: CaId,
    /// Full or one partition.
    #[serde(serialize_with = "scope_text")]
    pub scope: CrlScope,
    /// The CRL number (RFC 5280 §5.2.3).
    pub number: u64,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// Entries in it.
    pub entries: u64,
    /// SHA-256 of the DER.
    pub sha256: Sha256,
    /// The CA's revocation version the entries were read at: any revocation or release after it
    /// has a higher one ([`crate::StoreRead::revocation_version`]).
    pub source_version: i64,
}

fn scope_text<S: serde::Serializer>(scope: &CrlScope, serializer: S) -> Result<S::Ok, S::Error> {
    match scope {
        CrlScope::Full => serializer.serialize_str("full"),
        CrlScope::Shard(n) => serializer.serialize_u16(*n),
    }
}

/// A stored CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlRecord {
    /// What it is.
    pub summary: CrlSummary,
    /// The signed CRL (DER).
    pub der: Vec<u8>,
}

/// A certificate whose OCSP response is due ([`crate::StoreRead::ocsp_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspWork {
    /// The certificate's serial.
    pub serial: Serial,
    /// Its revocation time and reason, if revoked (or on hold).
    pub revocation: Option<(OffsetDateTime, RevocationReason)>,
    /// Its revocation version as read (0 if never revoked): a response made from it is stored
    /// only if the certificate has not changed since.
    pub revocation_version: i64,
    /// Its notAfter.
    pub not_after: OffsetDateTime,
}

/// A signed OCSP response to store as a certificate's current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspResponseRecord {
    /// The issuing CA.
    pub ca_id: CaId,
    /// The certificate's serial.
    pub serial: Serial,
    /// thisUpdate (and producedAt).
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// The `OCSPResponse` DER.
    pub der: Vec<u8>,
    /// The revocation version it was made from ([`OcspWork::revocation_version`]).
    pub revocation_version: i64,
    /// When the next one is due; None: never (the certificate expires first).
    pub due: Option<OffsetDateTime>,
}

/// A stored OCSP response, as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOcspResponse {
    /// The `OCSPResponse` DER.
    pub der: Vec<u8>,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
}

/// A delegated OCSP responder of a CA: a certificate signet issued to itself (also recorded
/// among the CA's certificates) and its key, sealed like CA keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspResponderRecord {
    /// The CA it answers for.
    pub ca_id: CaId,
    /// Its certificate's serial.
    pub serial: Serial,
    /// Its certificate (DER).
    pub certificate: Vec<u8>,
    /// Its key, sealed (as [`CaRecord::encrypted_key`]).
    pub encrypted_key: Vec<u8>,
    /// End of its validity.
    pub not_after: OffsetDateTime,
    /// When made.
    pub created_at: OffsetDateTime,
}

/// An API token as stored (only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Database id.
    pub id: i64,
    /// Name of the identity it authenticates.
    pub name: String,
    /// SHA-256 of the token.
    #[serde(skip)]
    pub hash: Sha256,
    /// Roles it holds.
    pub roles: Vec<Role>,
    /// When made.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub created_at: OffsetDateTime,
    /// When revoked.
    #[serde(serialize_with = "signet_model::time_text::serialize_option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Identity name.
    pub name: String,
    /// SHA-256 of the secret.
    pub hash: Sha256,
    /// Roles.
    pub roles: Vec<Role>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A search over requests and certificates; every field narrows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Query {
    /// Request ID.
    pub request_id: Option<RequestId>,
    /// Certificate serial.
    pub serial: Option<Serial>,
    /// Substring of the subject or of a SAN.
    pub name: Option<String>,
    /// Request state.
    pub state: Option<RequestState>,
    /// Requester name.
    pub requester: Option<String>,
    /// SHA-256 fingerprint of the certificate or of its key.
    pub fingerprint: Option<Sha256>,
    /// Certificates expiring after this time.
    #[serde(serialize_with = "signet_model::time_text::serialize_option")]
    pub expires_after: Option<OffsetDateTime>,
    /// Certificates expiring before this time.
    #[serde(serialize_with = "signet_model::time_text::serialize_option")]
    pub expires_before: Option<OffsetDateTime>,
    /// Only revoked certificates (true) or only certificates not revoked (false).
    pub revoked: Option<bool>,
    /// Only certificates revoked for this reason.
    pub reason: Option<RevocationReason>,
    /// At most this many results (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// One search result: a request and, if issued, its certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// The request.
    pub request: RequestRecord,
    /// Its certificate, if issued.
    pub certificate: Option<CertificateRecord>,
}
