//! The one interface every signature in signet goes through.

use crate::algorithm::SignatureScheme;
use crate::error::KeyError;

/// A private key that can sign, wherever it lives (memory now, an HSM later).
pub trait Signer: Send + Sync {
    /// The scheme this key signs with.
    fn scheme(&self) -> SignatureScheme;

    /// The SubjectPublicKeyInfo DER of the public half.
    fn spki_der(&self) -> &[u8];

    /// The contents of the SPKI's subjectPublicKey BIT STRING (PKCS#1 for RSA, the point for EC).
    fn public_key_bytes(&self) -> &[u8];

    /// Signs `message` (the scheme hashes it), returning the signature as it goes into a
    /// certificate (DER `ECDSA-Sig-Value` for ECDSA).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}
