//! Errors of the subscriber toolkit.

use signet_codec::{CodecError, ObjectKind};

/// What is wrong with a request to build a CSR, match files or verify a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrError {
    /// A subject attribute is refused; the message is the one the CA gives for the same value.
    #[error(transparent)]
    Subject(#[from] signet_model::subject::SubjectError),
    /// A Common Name that is a host name typed with spaces for dots.
    #[error(
        "common name (--cn): {text:?} has spaces where a host name has dots; type --cn {host} (a name with spaces is for a person's or a team's client certificate)"
    )]
    SpacedHost {
        /// The value given.
        text: String,
        /// The host it stands for.
        host: String,
    },
    /// A subject alternative name is unusable.
    #[error("--san {input:?}: {message}")]
    San {
        /// The value given.
        input: String,
        /// Why.
        message: String,
    },
    /// Neither a CN nor a SAN.
    #[error("the request names nothing: give --cn HOST or at least one --san")]
    NoNames,
    /// A key too weak to certify.
    #[error("{0}")]
    WeakKey(String),
    /// A file of the wrong kind (P30).
    #[error("{path}: this is {found}, but {expected} is needed here")]
    WrongKind {
        /// File name.
        path: String,
        /// What it contains.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// Building or signing failed.
    #[error("cannot build the request: {0}")]
    Build(String),
    /// None of the certificates holds the private key's public key (P7).
    #[error(
        "the private key does not belong to {}: key SPKI SHA-256 {key_sha256}, certificate {}. Use the key the CSR was made from (signet match KEY CERT)",
        if *.certificates == 1 { "the certificate" } else { "any of the certificates" },
        .first_certificate_sha256.as_deref().unwrap_or("none given")
    )]
    KeyNotInCertificates {
        /// SHA-256 of the key's SubjectPublicKeyInfo, hex.
        key_sha256: String,
        /// SHA-256 of the first certificate's SubjectPublicKeyInfo, hex.
        first_certificate_sha256: Option<String>,
        /// How many certificates were searched.
        certificates: usize,
    },
    /// A format problem.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

impl CsrError {
    /// A wrong-kind error for `path`.
    pub fn wrong_kind(path: &str, found: ObjectKind, expected: &str) -> Self {
        Self::WrongKind { path: path.to_string(), found: found.to_string(), expected: expected.to_string() }
    }
}
