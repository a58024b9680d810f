//! Public keys: normalising to SubjectPublicKeyInfo and describing type, size and fingerprint.
//!
//! The SHA-256 of the SPKI DER is the key's identity across files (seed mistakes P5, P7): a
//! certificate, its CSR and its private key all show the same `spki_sha256`.

use der::Decode;
use serde::Serialize;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey as ParsedKey;

use crate::error::CodecError;
use crate::object::ObjectKind;

/// Key type, size and identity of a public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the algorithm OID.
    pub algorithm: String,
    /// Named curve for EC keys (`P-256`, `P-384`, `P-521`, or its OID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// Key size in bits (modulus size for RSA, field size for EC).
    pub bits: usize,
    /// Public exponent of RSA keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_exponent: Option<u64>,
    /// SHA-256 of the SubjectPublicKeyInfo DER, lower-case hex.
    pub spki_sha256: String,
}

impl KeyInfo {
    /// A short name such as `EC P-256`, `RSA 2048` or `Ed25519`.
    pub fn short_name(&self) -> String {
        match (&self.curve, self.algorithm.as_str()) {
            (Some(curve), _) => format!("EC {curve}"),
            (None, "RSA") => format!("RSA {}", self.bits),
            (None, other) => other.to_string(),
        }
    }
}

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";
const DSA: &str = "1.2.840.10040.4.1";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";

/// The curve name of a named-curve OID.
pub fn curve_name(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.10045.3.1.7" => Some("P-256"),
        "1.3.132.0.34" => Some("P-384"),
        "1.3.132.0.35" => Some("P-521"),
        "1.3.132.0.10" => Some("secp256k1"),
        "1.2.840.10045.3.1.1" => Some("P-192"),
        "1.3.132.0.33" => Some("P-224"),
        _ => None,
    }
}

/// Returns SPKI DER for either an SPKI or a PKCS#1 `RSAPublicKey`.
pub(crate) fn normalise_spki(der: &[u8]) -> Result<Vec<u8>, CodecError> {
    let spki_error = match spki::SubjectPublicKeyInfoRef::from_der(der) {
        Ok(_) => return Ok(der.to_vec()),
        Err(e) => e,
    };
    if let Ok(rsa) = aws_lc_rs::rsa::PublicKey::from_der(der) {
        use aws_lc_rs::encoding::AsDer;
        if let Ok(spki) = rsa.as_der() {
            return Ok(spki.as_ref().to_vec());
        }
    }
    Err(CodecError::from_der(ObjectKind::PublicKey, spki_error))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

/// SHA-1 of `bytes`, upper-case hex: the Windows "thumbprint" users search by.
pub fn sha1_thumbprint(bytes: &[u8]) -> String {
    hex::encode_upper(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes))
}

/// Describes the key in a SubjectPublicKeyInfo.
pub fn describe_spki(spki_der: &[u8]) -> Result<KeyInfo, CodecError> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| CodecError::malformed(ObjectKind::PublicKey, e))?;
    Ok(describe_parsed(&spki, spki_der))
}

/// Describes an already parsed SPKI whose DER is `raw`.
pub fn describe_parsed(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>, raw: &[u8]) -> KeyInfo {
    let oid = spki.algorithm.algorithm.to_id_string();
    let parsed = spki.parsed().ok();
    let bits = parsed.as_ref().map_or(0, ParsedKey::key_size);
    let (algorithm, curve, rsa_exponent) = match oid.as_str() {
        RSA | RSA_PSS => {
            let exponent = match &parsed {
                Some(ParsedKey::RSA(rsa)) => rsa.try_exponent().ok(),
                _ => None,
            };
            (if oid == RSA { "RSA" } else { "RSA-PSS" }.to_string(), None, exponent)
        }
        EC => {
            let curve_oid = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
            let curve = curve_oid.map(|c| curve_name(&c).map_or(c.clone(), str::to_string));
            ("EC".to_string(), curve, None)
        }
        ED25519 => ("Ed25519".to_string(), None, None),
        ED448 => ("Ed448".to_string(), None, None),
        DSA => ("DSA".to_string(), None, None),
        other => (other.to_string(), None, None),
    };
    let bits = match algorithm.as_str() {
        "Ed25519" => 256,
        "Ed448" => 456,
        _ => bits,
    };
    KeyInfo { algorithm, curve, bits, rsa_exponent, spki_sha256: sha256_hex(raw) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;

    #[test]
    fn describes_generated_keys() {
        let ed = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        let spki = ed.public_key().as_der().unwrap();
        let info = describe_spki(spki.as_ref()).unwrap();
        assert_eq!(info.short_name(), "Ed25519");
        assert_eq!(info.spki_sha256, sha256_hex(spki.as_ref()));

        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING)
            .unwrap();
        let info = describe_spki(ec.public_key().as_der().unwrap().as_ref()).unwrap();
        assert_eq!(info.short_name(), "EC P-384");
        assert_eq!(info.bits, 384);
    }

    #[test]
    fn pkcs1_rsa_public_keys_become_spki() {
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs1 = rsa.public_key().as_ref().to_vec();
        let spki = normalise_spki(&pkcs1).unwrap();
        let info = describe_spki(&spki).unwrap();
        assert_eq!((info.algorithm.as_str(), info.bits, info.rsa_exponent), ("RSA", 2048, Some(65537)));
    }
}
