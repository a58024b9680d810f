//! Private-key encodings: PKCS#8 (plain and password-encrypted), PKCS#1 and SEC 1.
//!
//! Every private key is normalised to PKCS#8 on the way in (aws-lc-rs parses and checks PKCS#1
//! and SEC 1 keys and re-encodes them). Encryption is PBES2 (RFC 8018) with AES-256-CBC and
//! either scrypt or PBKDF2-HMAC-SHA256. Reading refuses KDF parameters that would make a hostile
//! file cost minutes or gigabytes.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, KeyPair};
use der::asn1::OctetStringRef;
use der::{Decode, Sequence};
use pkcs8::EncryptedPrivateKeyInfoRef;
use spki::AlgorithmIdentifierRef;

use crate::error::CodecError;
use crate::object::{KeyFormat, ObjectKind, PkiObject, SecretDer};

/// Password-based key derivation for encrypting a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kdf {
    /// scrypt (N=2^14, r=8, p=1, the `pkcs5` recommendation): memory-hard; the default.
    #[default]
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with 600,000 iterations, for tools without scrypt.
    Pbkdf2,
}

/// PBKDF2 iterations signet writes (OWASP 2023 figure for PBKDF2-HMAC-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 iterations signet will compute when reading.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The largest scrypt cost (N) signet will compute when reading (2^20 ≈ 1 GiB with r=8).
pub const MAX_SCRYPT_COST: u64 = 1 << 20;

/// `EncryptedPrivateKeyInfo` read loosely, so PBES1 keys can be recognised and named.
#[derive(Sequence)]
struct AnyEncryptedKey<'a> {
    algorithm: AlgorithmIdentifierRef<'a>,
    data: &'a OctetStringRef,
}

const PBES2: &str = "1.2.840.113549.1.5.13";

/// Normalises a plain private key in any supported encoding to PKCS#8.
pub(crate) fn normalise(der: &[u8]) -> Result<PkiObject, CodecError> {
    let pkcs8_error = match pkcs8::PrivateKeyInfoRef::from_der(der) {
        Ok(_) => return Ok(PkiObject::PrivateKey { pkcs8: SecretDer::new(der.to_vec()), format: KeyFormat::Pkcs8 }),
        Err(e) => e,
    };
    if let Ok(rsa) = signature::RsaKeyPair::from_der(der) {
        let pkcs8 =
            rsa.as_der().map_err(|_| CodecError::malformed(ObjectKind::PrivateKey, "RSA key re-encoding failed"))?;
        return Ok(PkiObject::PrivateKey { pkcs8: SecretDer::new(pkcs8.as_ref().to_vec()), format: KeyFormat::Pkcs1 });
    }
    for alg in [
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
    ] {
        if let Ok(ec) = signature::EcdsaKeyPair::from_private_key_der(alg, der) {
            let pkcs8 = ec
                .to_pkcs8v1()
                .map_err(|_| CodecError::malformed(ObjectKind::PrivateKey, "EC key re-encoding failed"))?;
            return Ok(PkiObject::PrivateKey {
                pkcs8: SecretDer::new(pkcs8.as_ref().to_vec()),
                format: KeyFormat::Sec1,
            });
        }
    }
    Err(CodecError::from_der(ObjectKind::PrivateKey, pkcs8_error))
}

/// Checks that `der` is an EncryptedPrivateKeyInfo (PBES2 or the older PBES1).
pub(crate) fn check_encrypted(der: &[u8]) -> Result<(), CodecError> {
    AnyEncryptedKey::from_der(der).map(|_| ()).map_err(|e| CodecError::from_der(ObjectKind::EncryptedPrivateKey, e))
}

/// The encryption algorithm of an encrypted key, in words (for `inspect`).
pub fn encryption_summary(der: &[u8]) -> Result<String, CodecError> {
    let outer = AnyEncryptedKey::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::EncryptedPrivateKey, e))?;
    if outer.algorithm.oid.to_string() != PBES2 {
        return Ok(format!("PBES1 ({}), obsolete", outer.algorithm.oid));
    }
    let info = EncryptedPrivateKeyInfoRef::from_der(der)
        .map_err(|e| CodecError::from_der(ObjectKind::EncryptedPrivateKey, e))?;
    let params = info.encryption_algorithm.clone();
    Ok(match params.pbes2() {
        Some(p) => {
            let kdf = match &p.kdf {
                pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(k) => {
                    format!("PBKDF2 ({} iterations, {:?})", k.iteration_count, k.prf)
                }
                pkcs8::pkcs5::pbes2::Kdf::Scrypt(s) => {
                    format!("scrypt (N={}, r={}, p={})", s.cost_parameter, s.block_size, s.parallelization)
                }
                _ => "unknown KDF".to_string(),
            };
            format!("PBES2, {kdf}, {}", cipher_name(&p.encryption))
        }
        None => "PBES2 with unknown parameters".into(),
    })
}

fn cipher_name(scheme: &pkcs8::pkcs5::pbes2::EncryptionScheme) -> String {
    let oid = scheme.oid().to_string();
    match oid.as_str() {
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC".into(),
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC".into(),
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC".into(),
        "1.2.840.113549.3.7" => "DES-EDE3-CBC".into(),
        "2.16.840.1.101.3.4.1.46" => "AES-256-GCM".into(),
        _ => oid,
    }
}

/// Encrypts a PKCS#8 key with PBES2 and AES-256-CBC.
pub fn encrypt(pkcs8: &SecretDer, password: &[u8], kdf: Kdf) -> Result<Vec<u8>, CodecError> {
    let encode_error =
        |e: pkcs8::Error| CodecError::Encode { what: "encrypted private key".into(), detail: e.to_string() };
    let info = pkcs8::PrivateKeyInfoRef::from_der(pkcs8.expose())
        .map_err(|e| CodecError::from_der(ObjectKind::PrivateKey, e))?;
    let document = match kdf {
        Kdf::Scrypt => info.encrypt(password).map_err(encode_error)?,
        Kdf::Pbkdf2 => {
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            aws_lc_rs::rand::fill(&mut salt).and_then(|()| aws_lc_rs::rand::fill(&mut iv)).map_err(|_| {
                CodecError::Encode { what: "encrypted private key".into(), detail: "no randomness".into() }
            })?;
            let params =
                pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, iv)
                    .map_err(|e| CodecError::Encode { what: "PBES2 parameters".into(), detail: e.to_string() })?;
            info.encrypt_with_params(params, password).map_err(encode_error)?
        }
    };
    Ok(document.as_bytes().to_vec())
}

/// Decrypts an encrypted PKCS#8 key, refusing unsupported or abusive parameters.
pub fn decrypt(der: &[u8], password: &[u8]) -> Result<SecretDer, CodecError> {
    let outer = AnyEncryptedKey::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::EncryptedPrivateKey, e))?;
    if outer.algorithm.oid.to_string() != PBES2 {
        return Err(CodecError::Unsupported {
            what: "key encryption".into(),
            detail: format!(
                "PBES1 ({}) as written by `openssl pkcs8 -v1` and old Windows exports; re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.key -out NEW.key",
                outer.algorithm.oid
            ),
        });
    }
    let info = EncryptedPrivateKeyInfoRef::from_der(der)
        .map_err(|e| CodecError::from_der(ObjectKind::EncryptedPrivateKey, e))?;
    let scheme = info.encryption_algorithm.clone();
    if let Some(params) = scheme.pbes2() {
        match &params.kdf {
            pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(k) if k.iteration_count > MAX_PBKDF2_ITERATIONS => {
                return Err(CodecError::Unsupported {
                    what: "key encryption".into(),
                    detail: format!(
                        "{} PBKDF2 iterations (signet computes at most {MAX_PBKDF2_ITERATIONS})",
                        k.iteration_count
                    ),
                });
            }
            pkcs8::pkcs5::pbes2::Kdf::Scrypt(s)
                if s.cost_parameter > MAX_SCRYPT_COST
                    || u64::from(s.block_size) * u64::from(s.parallelization) > 64 =>
            {
                return Err(CodecError::Unsupported {
                    what: "key encryption".into(),
                    detail: format!(
                        "scrypt N={} r={} p={} needs too much memory",
                        s.cost_parameter, s.block_size, s.parallelization
                    ),
                });
            }
            _ => {}
        }
    }
    let document = info
        .decrypt(password)
        .map_err(|_| CodecError::WrongPassword { what: "cannot decrypt the private key".into() })?;
    match normalise(document.as_bytes())? {
        PkiObject::PrivateKey { pkcs8, .. } => Ok(pkcs8),
        _ => Err(CodecError::WrongPassword { what: "cannot decrypt the private key".into() }),
    }
}

/// The SubjectPublicKeyInfo DER of a PKCS#8 private key (RSA, EC P-256/384/521, Ed25519).
pub fn public_spki(pkcs8: &SecretDer) -> Result<Vec<u8>, CodecError> {
    let der = pkcs8.expose();
    let unsupported = || CodecError::Unsupported {
        what: "private key algorithm".into(),
        detail: algorithm_oid(pkcs8).unwrap_or_else(|| "unknown".into()),
    };
    let spki = if let Ok(rsa) = signature::RsaKeyPair::from_pkcs8(der) {
        rsa.public_key().as_der().map(|d| d.as_ref().to_vec())
    } else if let Ok(ed) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        ed.public_key().as_der().map(|d| d.as_ref().to_vec())
    } else {
        let ec = [
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        ]
        .into_iter()
        .find_map(|alg| signature::EcdsaKeyPair::from_pkcs8(alg, der).ok())
        .ok_or_else(unsupported)?;
        ec.public_key().as_der().map(|d| d.as_ref().to_vec())
    };
    spki.map_err(|_| unsupported())
}

/// The algorithm OID of a PKCS#8 key, dotted.
pub fn algorithm_oid(pkcs8: &SecretDer) -> Option<String> {
    pkcs8::PrivateKeyInfoRef::from_der(pkcs8.expose()).ok().map(|info| info.algorithm.oid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256_pkcs8() -> SecretDer {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let doc = signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        SecretDer::new(doc.as_ref().to_vec())
    }

    #[test]
    fn encrypt_decrypt_round_trip_with_both_kdfs() {
        let key = p256_pkcs8();
        for kdf in [Kdf::Scrypt, Kdf::Pbkdf2] {
            let encrypted = encrypt(&key, b"correct horse", kdf).unwrap();
            assert!(encryption_summary(&encrypted).unwrap().contains("AES-256-CBC"));
            assert_eq!(decrypt(&encrypted, b"correct horse").unwrap().expose(), key.expose());
            assert!(matches!(decrypt(&encrypted, b"wrong"), Err(CodecError::WrongPassword { .. })));
        }
    }

    #[test]
    fn public_key_of_a_private_key() {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair;
        let key = p256_pkcs8();
        let spki = public_spki(&key).unwrap();
        let pair =
            signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, key.expose()).unwrap();
        assert_eq!(spki, pair.public_key().as_der().unwrap().as_ref());
        assert_eq!(algorithm_oid(&key).as_deref(), Some("1.2.840.10045.2.1"));
    }
}
