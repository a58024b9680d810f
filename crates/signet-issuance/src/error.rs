//! Why a certificate was not issued.

use signet_lint::Finding;

/// Reasons issuance refuses or fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuanceError {
    /// The CSR does not parse.
    #[error("the CSR is malformed: {0}")]
    MalformedCsr(String),
    /// The CSR's self-signature does not verify.
    #[error("the CSR's signature does not verify: it was damaged or altered after signing")]
    BadCsrSignature,
    /// MD5 or SHA-1 signature on the CSR.
    #[error(
        "the CSR is signed with {0}, which is no longer accepted; make a new CSR (signet csr new signs with SHA-256)"
    )]
    WeakCsrSignature(String),
    /// The key's type is not one the profile accepts (checked before the CSR's signature).
    #[error(
        "the CSR's key is {found}: this key type is not accepted here (allowed: {allowed}); make a new key of an allowed type and a new CSR"
    )]
    KeyTypeNotAccepted {
        /// The key found, e.g. `EC secp256k1`.
        found: String,
        /// The key types the profile accepts.
        allowed: String,
    },
    /// The CSR's subject is refused; the message is the one `signet csr new` gives for the
    /// same value.
    #[error(transparent)]
    Subject(#[from] signet_model::subject::SubjectError),
    /// The key is weak, broken or of a refused type.
    #[error("the key is refused: {0}")]
    BadKey(String),
    /// A name is refused by the profile.
    #[error("the name {name} is refused: {reason}")]
    NameRefused {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Nothing to put in the certificate.
    #[error("the request names nothing: put the host names in the CSR's subjectAltName (or CN)")]
    NoNames,
    /// The certificate would outlive its issuer (seed P17).
    #[error(
        "the certificate would be valid until {until} but CA {ca} expires on {ca_expires}; shorten the profile's validity or renew the CA"
    )]
    OutlivesIssuer {
        /// Requested end.
        until: String,
        /// CA name.
        ca: String,
        /// CA end.
        ca_expires: String,
    },
    /// The lint gate refused the certificate.
    #[error("issuance blocked by lint: {}", .0.iter().map(|f| format!("{} ({})", f.message, f.lint)).collect::<Vec<_>>().join("; "))]
    Lint(Vec<Finding>),
    /// The signer failed or produced something unexpected.
    #[error("signing failed: {0}")]
    Signing(String),
    /// Assembling the certificate failed.
    #[error("cannot build the certificate: {0}")]
    Build(String),
    /// A cross-certificate cannot repeat the CA's certificate exactly (its subject, key
    /// identifier or constraints).
    #[error("cannot cross-sign: {0}")]
    CrossSign(String),
}

/// Whose fault an [`IssuanceError`] is, for callers that map errors to protocol answers. A closed
/// set, matched without a wildcard: a new error variant is classed here, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuanceFault {
    /// The request cannot be read.
    Request,
    /// The request is readable but refused (names, key, signature, lints, validity).
    Policy,
    /// The signer failed: try again later.
    Signer,
    /// A bug: what was built is not what it should be.
    Internal,
}

impl IssuanceError {
    /// Whose fault it is.
    pub fn fault(&self) -> IssuanceFault {
        match self {
            Self::MalformedCsr(_) => IssuanceFault::Request,
            Self::BadCsrSignature
            | Self::WeakCsrSignature(_)
            | Self::BadKey(_)
            | Self::KeyTypeNotAccepted { .. }
            | Self::Subject(_)
            | Self::NameRefused { .. }
            | Self::NoNames
            | Self::OutlivesIssuer { .. }
            | Self::Lint(_)
            | Self::CrossSign(_) => IssuanceFault::Policy,
            Self::Signing(_) => IssuanceFault::Signer,
            Self::Build(_) => IssuanceFault::Internal,
        }
    }
}
