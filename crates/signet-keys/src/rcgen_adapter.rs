//! Lets rcgen build certificates and CSRs with any [`Signer`].

use crate::signer::Signer;

/// Wraps a [`Signer`] as an rcgen signing key.
pub struct RcgenSigner<'a>(pub &'a dyn Signer);

impl rcgen::PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.0.scheme().rcgen()
    }

    fn subject_public_key_info(&self) -> Vec<u8> {
        self.0.spki_der().to_vec()
    }
}

impl rcgen::SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0.sign(msg).map_err(|_| rcgen::Error::RingUnspecified)
    }
}
