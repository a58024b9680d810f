//! What callers see of requests, certificates and CAs (no CSR bytes, no token hashes).

use serde::Serialize;
use signet_model::{CaId, RequestId, RequestState};
use signet_store::{CertificateRecord, RequestRecord};
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
            subject: request.subject.clone(),
            requested_names: request.sans.clone(),
            requester: request.requester.clone(),
            submitted_at: rfc3339(request.created_at),
            warnings: request.warnings.clone(),
            reason: request.reason.clone(),
            decided_by: request.decided_by.clone(),
            decided_at: request.decided_at.map(rfc3339),
            certificate: certificate.filter(|c| c.der.is_some()).map(|c| CertificateView {
                ca_id: c.ca_id,
                serial: c.serial.to_hex(),
                subject: c.subject.clone(),
                names: c.sans.clone(),
                not_before: rfc3339(c.not_before),
                not_after: rfc3339(c.not_after),
                sha256: c.sha256.map(|d| d.to_hex()),
                test: c.is_test,
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
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// Intermediate CA certificates, issuer first, without the root.
    pub intermediates: Vec<Vec<u8>>,
    /// The root (self-signed) at the top of the chain.
    pub root: Option<Vec<u8>>,
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
}
