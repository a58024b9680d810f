//! Errors from key generation, loading and signing.

/// What went wrong with a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key algorithm is not one signet signs with.
    #[error("unsupported key algorithm {0}; signet uses RSA, EC P-256/P-384 and Ed25519 keys")]
    UnsupportedAlgorithm(String),
    /// The key bytes were refused by the crypto backend.
    #[error("the private key is invalid: {0}")]
    Invalid(String),
    /// The backend failed to generate a key.
    #[error("key generation failed")]
    Generation,
    /// The backend failed to sign.
    #[error("signing failed: {0}")]
    Signing(String),
    /// A file-format problem.
    #[error(transparent)]
    Codec(#[from] signet_codec::CodecError),
}
