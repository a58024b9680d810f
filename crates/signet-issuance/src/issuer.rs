//! A CA ready to issue: its certificate, its signer and the URLs its certificates point to.

use std::sync::Arc;

use signet_keys::Signer;
use time::OffsetDateTime;

/// An issuing CA.
#[derive(Clone)]
pub struct IssuingCa {
    /// Storage id.
    pub id: signet_model::CaId,
    /// Name.
    pub name: String,
    /// Its certificate (DER).
    pub certificate: Vec<u8>,
    /// Its key.
    pub signer: Arc<dyn Signer>,
    /// End of its validity.
    pub not_after: OffsetDateTime,
    /// Whether it is a test root (its certificates are marked as test certificates).
    pub is_test: bool,
}

impl std::fmt::Debug for IssuingCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuingCa({})", self.name)
    }
}

/// Where relying parties find the CA certificate, CRLs and OCSP.
#[derive(Debug, Clone, Default)]
pub struct Urls {
    /// Base URL; the CA certificate is at `{base}/ca/{name}.crt`, its CRL at `{base}/crl/{name}.crl`.
    pub base: Option<String>,
    /// OCSP responder URL, if one runs.
    pub ocsp: Option<String>,
}

impl Urls {
    /// caIssuers URL of a CA.
    pub fn ca_issuers(&self, ca: &str) -> Option<String> {
        self.base.as_ref().map(|b| format!("{}/ca/{ca}.crt", b.trim_end_matches('/')))
    }

    /// CRL distribution point of a CA.
    pub fn crl(&self, ca: &str) -> Option<String> {
        self.base.as_ref().map(|b| format!("{}/crl/{ca}.crl", b.trim_end_matches('/')))
    }
}
