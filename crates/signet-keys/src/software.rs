//! The software key backend: keys in process memory, on aws-lc-rs.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use der::Decode;
use signet_codec::SecretDer;

use crate::algorithm::{KeyAlgorithm, SignatureScheme};
use crate::error::KeyError;
use crate::signer::Signer;

/// Generates a new private key, returned as PKCS#8 DER.
pub fn generate(algorithm: KeyAlgorithm) -> Result<SecretDer, KeyError> {
    let rng = SystemRandom::new();
    let der =
        match algorithm {
            KeyAlgorithm::EcP256 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map(|d| d.as_ref().to_vec()),
            KeyAlgorithm::EcP384 => EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &rng)
                .map(|d| d.as_ref().to_vec()),
            KeyAlgorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8v1(&rng).map(|d| d.as_ref().to_vec()),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let size = match algorithm {
                    KeyAlgorithm::Rsa2048 => KeySize::Rsa2048,
                    KeyAlgorithm::Rsa3072 => KeySize::Rsa3072,
                    _ => KeySize::Rsa4096,
                };
                let pair = RsaKeyPair::generate(size).map_err(|_| KeyError::Generation)?;
                pair.as_der().map(|d| d.as_ref().to_vec())
            }
        };
    der.map(SecretDer::new).map_err(|_| KeyError::Generation)
}

enum Inner {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key held in memory.
pub struct SoftwareKey {
    inner: Inner,
    scheme: SignatureScheme,
    spki: Vec<u8>,
    public_key: Vec<u8>,
    pkcs8: SecretDer,
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareKey({:?}, [REDACTED])", self.scheme)
    }
}

impl SoftwareKey {
    /// Loads a PKCS#8 private key (RSA, EC P-256/P-384, Ed25519).
    pub fn from_pkcs8(pkcs8: SecretDer) -> Result<Self, KeyError> {
        let der = pkcs8.expose();
        let (inner, scheme, spki) = if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            let spki = rsa.public_key().as_der().map_err(|_| KeyError::Invalid("RSA public key".into()))?;
            (Inner::Rsa(rsa), SignatureScheme::RsaPkcs1Sha256, spki.as_ref().to_vec())
        } else if let Ok(ed) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            let spki = ed.public_key().as_der().map_err(|_| KeyError::Invalid("Ed25519 public key".into()))?;
            (Inner::Ed25519(ed), SignatureScheme::Ed25519, spki.as_ref().to_vec())
        } else if let Ok(ec) = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der) {
            let spki = ec.public_key().as_der().map_err(|_| KeyError::Invalid("EC public key".into()))?;
            (Inner::Ecdsa(ec), SignatureScheme::EcdsaP256Sha256, spki.as_ref().to_vec())
        } else if let Ok(ec) = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, der) {
            let spki = ec.public_key().as_der().map_err(|_| KeyError::Invalid("EC public key".into()))?;
            (Inner::Ecdsa(ec), SignatureScheme::EcdsaP384Sha384, spki.as_ref().to_vec())
        } else {
            let oid = signet_codec::private_key::algorithm_oid(&pkcs8).unwrap_or_else(|| "unreadable".into());
            let detail = match oid.as_str() {
                "1.2.840.113549.1.1.1" => {
                    "an RSA key aws-lc refuses (smaller than 2048 bits, or inconsistent)".to_string()
                }
                "1.2.840.10045.2.1" => "an EC key on a curve other than P-256 or P-384".to_string(),
                other => other.to_string(),
            };
            return Err(KeyError::UnsupportedAlgorithm(detail));
        };
        let public_key = spki::SubjectPublicKeyInfoRef::from_der(&spki)
            .map(|info| info.subject_public_key.raw_bytes().to_vec())
            .map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(Self { inner, scheme, spki, public_key, pkcs8 })
    }

    /// Generates a new key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, KeyError> {
        Self::from_pkcs8(generate(algorithm)?)
    }

    /// The PKCS#8 encoding, for writing to a file.
    pub fn pkcs8(&self) -> &SecretDer {
        &self.pkcs8
    }
}

impl Signer for SoftwareKey {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    fn public_key_bytes(&self) -> &[u8] {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Ecdsa(key) => {
                key.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(|_| KeyError::Signing("ECDSA".into()))
            }
            Inner::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
            Inner::Rsa(key) => {
                let mut signature = vec![0u8; key.public_modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| KeyError::Signing("RSA".into()))?;
                Ok(signature)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_loads_and_signs_verifiably() {
        for algorithm in KeyAlgorithm::ALL {
            if algorithm == KeyAlgorithm::Rsa4096 || algorithm == KeyAlgorithm::Rsa3072 {
                continue; // slow; covered by the end-to-end tests
            }
            let key = SoftwareKey::generate(algorithm).unwrap();
            assert_eq!(key.scheme(), algorithm.scheme());
            let signature = key.sign(b"to be signed").unwrap();
            let verify: &dyn signature::VerificationAlgorithm = match key.scheme() {
                SignatureScheme::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
                SignatureScheme::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
                SignatureScheme::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                SignatureScheme::Ed25519 => &signature::ED25519,
            };
            signature::UnparsedPublicKey::new(verify, key.public_key_bytes())
                .verify(b"to be signed", &signature)
                .unwrap();
            let debug = format!("{key:?}");
            assert!(debug.contains("REDACTED"));
        }
    }

    #[test]
    fn reloads_its_own_pkcs8() {
        let key = SoftwareKey::generate(KeyAlgorithm::EcP384).unwrap();
        let again = SoftwareKey::from_pkcs8(key.pkcs8().clone()).unwrap();
        assert_eq!(key.spki_der(), again.spki_der());
    }
}
