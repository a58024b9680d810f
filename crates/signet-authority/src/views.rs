//! What callers see of requests, certificates and CAs (no CSR bytes, no token hashes).

use serde::Serialize;
use signet_model::{CaId, RequestId, RequestState, RevocationReason};
use signet_store::{CertificateRecord, RequestRecord, Revocation};
use time::OffsetDateTime;

/// A request as its requester or a manager sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// Request ID.
    pub id: RequestId,
    /// Profile.
    pub profile: String,
    /// Where it stands.
    pub state: RequestState,
    /// The subject the certificate will hold (as the profile renders it, not the CSR text).
    pub subject: String,
    /// Names asked for.
    pub requested_names: Vec<String>,
    /// Who asked.
    pub requester: String,
    /// Submitted at (RFC 3339).
    pub submitted_at: String,
    /// Warnings given at submission.
    pub warnings: Vec<String>,
    /// Why it was denied or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The certificate, once issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    /// In a Certificate Manager's queue: the manager submitted it themselves (deciding on it is
    /// allowed without strict role separation, and audited as such).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub own_request: bool,
}

/// A certificate summary.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    /// Issuing CA id.
    pub ca_id: CaId,
    /// Issuing CA name (what `signet revoke --ca` and the certificate routes take).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// Serial (hex).
    pub serial: String,
    /// Subject.
    pub subject: String,
    /// Names in the certificate.
    pub names: Vec<String>,
    /// Validity start.
    pub not_before: String,
    /// Validity end.
    pub not_after: String,
    /// SHA-256 fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// From the test hierarchy.
    pub test: bool,
    /// Its revocation, if revoked or on hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<RevocationView>,
}

/// A revocation as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationView {
    /// When it took effect (RFC 3339).
    pub revoked_at: String,
    /// Why (RFC 5280 name, e.g. `keyCompromise`).
    pub reason: RevocationReason,
    /// When the key is known or suspected to have been compromised (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalidity_date: Option<String>,
    /// Who revoked it.
    pub revoked_by: String,
}

impl RevocationView {
    /// The view of a stored revocation.
    pub fn new(revocation: &Revocation) -> Self {
        Self {
            revoked_at: rfc3339(revocation.revoked_at),
            reason: revocation.reason,
            invalidity_date: revocation.invalidity_date.map(rfc3339),
            revoked_by: revocation.revoked_by.clone(),
        }
    }
}

/// Where a certificate stands for relying parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CertificateState {
    /// Valid and not revoked.
    Good,
    /// Revoked (or on hold).
    Revoked,
    /// Past its notAfter (and not revoked).
    Expired,
}

/// A certificate's status: what `GET /api/v1/certificates/{ca}/{serial}` answers.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateStatusView {
    /// Issuing CA's name.
    pub ca: String,
    /// Serial (hex).
    pub serial: String,
    /// The request it was issued for.
    pub request_id: RequestId,
    /// good, revoked or expired.
    pub status: CertificateState,
    /// Its revocation, if revoked or on hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<RevocationView>,
    /// Subject.
    pub subject: String,
    /// Names in the certificate.
    pub names: Vec<String>,
    /// Validity start.
    pub not_before: String,
    /// Validity end.
    pub not_after: String,
    /// SHA-256 fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The CRL partition its distribution point names (absent: the CA's full CRL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_shard: Option<u16>,
    /// From the test hierarchy.
    pub test: bool,
}

impl CertificateStatusView {
    /// The status of an issued certificate of CA `ca` at `now`.
    pub fn new(ca: &str, record: &CertificateRecord, now: OffsetDateTime) -> Self {
        let status = match (&record.revocation, record.not_after < now) {
            (Some(_), _) => CertificateState::Revoked,
            (None, true) => CertificateState::Expired,
            (None, false) => CertificateState::Good,
        };
        Self {
            ca: ca.to_string(),
            serial: record.serial.to_hex(),
            request_id: record.request_id,
            status,
            revocation: record.revocation.as_ref().map(RevocationView::new),
            subject: record.subject.clone(),
            names: record.sans.clone(),
            not_before: rfc3339(record.not_before),
            not_after: rfc3339(record.not_after),
            sha256: record.sha256.map(|d| d.to_hex()),
            crl_shard: record.crl_shard,
            test: record.is_test,
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    signet_model::time_text::format(t)
}

impl RequestView {
    /// Builds the view of a stored request and its certificate.
    pub fn new(request: &RequestRecord, certificate: Option<&CertificateRecord>) -> Self {
        Self {
            id: request.id,
            profile: request.profile.clone(),
            state: request.state,
            // Once issued, the certificate's own subject: a manager may have narrowed the names.
            subject: certificate
                .filter(|c| c.der.is_some())
                .map_or_else(|| request.subject.clone(), |c| c.subject.clone()),
            requested_names: request.sans.clone(),
            requester: request.requester.clone(),
            submitted_at: rfc3339(request.created_at),
            warnings: request.warnings.clone(),
            reason: request.reason.clone(),
            decided_by: request.decided_by.clone(),
            decided_at: request.decided_at.map(rfc3339),
            certificate: certificate.filter(|c| c.der.is_some()).map(|c| CertificateView {
                ca_id: c.ca_id,
                ca: None,
                serial: c.serial.to_hex(),
                subject: c.subject.clone(),
                names: c.sans.clone(),
                not_before: rfc3339(c.not_before),
                not_after: rfc3339(c.not_after),
                sha256: c.sha256.map(|d| d.to_hex()),
                test: c.is_test,
                revocation: c.revocation.as_ref().map(RevocationView::new),
            }),
            own_request: false,
        }
    }

    /// This view as `viewer` sees it in the queue: flagged when it is their own request.
    pub fn seen_by(mut self, viewer: &str) -> Self {
        self.own_request = self.requester == viewer;
        self
    }
}

/// The answer to a submission.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    /// The request as stored.
    #[serde(flatten)]
    pub request: RequestView,
    /// The secret that lets the requester check and fetch this request from anywhere (P27).
    /// Shown once.
    pub retrieval_token: String,
}

/// An issued certificate with its chain.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// Every chain above the certificate's CA, the primary one first (the `intermediates` and
    /// `root` below): RFC 8555 §7.4.2 alternate chains.
    pub paths: Vec<crate::chains::CertificatePath>,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// Intermediate CA certificates, issuer first, without the root.
    pub intermediates: Vec<Vec<u8>>,
    /// The root (self-signed) at the top of the chain.
    pub root: Option<Vec<u8>>,
}

/// One chain above a certificate: its intermediates, issuer first, and its root if signet holds it.
pub type ChainRef<'a> = (&'a [Vec<u8>], Option<&'a [u8]>);

impl IssuedCertificate {
    /// How many chains there are above the certificate (at least one).
    pub fn chains(&self) -> usize {
        self.paths.len().max(1)
    }

    /// Chain `n` (0: the CA's own certificates; the others through alternate certificates):
    /// its intermediates, issuer first, and its root; None past the last.
    pub fn chain(&self, n: usize) -> Option<ChainRef<'_>> {
        match self.paths.get(n) {
            Some(path) => Some((&path.intermediates, path.root.as_deref())),
            // A CA outside signet's registry has no paths: its chain is the one given.
            None if n == 0 => Some((&self.intermediates, self.root.as_deref())),
            None => None,
        }
    }

    /// The certificate followed by chain `n`'s intermediates, as PEM
    /// (`application/pem-certificate-chain`); None past the last chain.
    pub fn pem_chain(&self, n: usize) -> Option<String> {
        let (intermediates, _) = self.chain(n)?;
        let mut text = signet_codec::pem::encode("CERTIFICATE", &self.certificate);
        for ca in intermediates {
            text.push_str(&signet_codec::pem::encode("CERTIFICATE", ca));
        }
        Some(text)
    }
}

/// A CA as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CaView {
    /// Name.
    pub name: String,
    /// root, subordinate or test-root.
    pub kind: String,
    /// Local parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Subject DN.
    pub subject: String,
    /// End of validity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// Whether it can issue (has a certificate and a usable key).
    pub active: bool,
    /// SHA-256 fingerprint of its certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Its alternate certificates (cross-certificates): each one more path to a root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternates: Vec<AlternateView>,
}

/// An alternate certificate of a CA (same subject and key, another issuer), as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternateView {
    /// The issuer's DN.
    pub issuer: String,
    /// The local CA that cross-signed it, if it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_ca: Option<String>,
    /// Serial number, hex.
    pub serial: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// SHA-256 fingerprint, hex.
    pub sha256: String,
    /// How many certificates of the issuer's chain were given with it (outside issuers).
    pub chain_length: usize,
}

impl AlternateView {
    /// The view of a stored alternate; None if its certificate does not parse.
    pub fn new(record: &signet_store::CaAlternateRecord, now: time::OffsetDateTime) -> Option<Self> {
        let info = signet_codec::describe::certificate(&record.certificate, now).ok()?;
        Some(Self {
            issuer: info.issuer,
            issuer_ca: record.issuer_ca.clone(),
            serial: info.serial,
            not_after: info.not_after,
            sha256: signet_codec::public_key::sha256_hex(&record.certificate),
            chain_length: record.chain.len(),
        })
    }
}
