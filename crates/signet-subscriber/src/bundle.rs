//! What goes into a key-and-certificate bundle (PKCS#12): the certificate that holds the private
//! key's public key, its chain in order from its issuer upwards, and a friendly name.
//!
//! The chain is ordered by the same issuer links the verifier follows (a name that chains and a
//! signature that verifies), so `signet convert` never writes a chain `signet verify` would walk
//! differently.

use signet_codec::{PkiObject, public_key};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::CsrError;
use crate::matching::spki_of;
use crate::verify::order::order_chain;

/// A private key's certificate and chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBundle {
    /// The certificate holding the key's public key (DER).
    pub leaf: Vec<u8>,
    /// The other certificates, the leaf's issuer first, unrelated ones last.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's common name, for the PKCS#12 friendly name.
    pub common_name: Option<String>,
}

/// Finds the certificate for the key whose SubjectPublicKeyInfo is `key_spki` among
/// `certificates` and orders the rest as its chain.
pub fn for_key(key_spki: &[u8], mut certificates: Vec<Vec<u8>>) -> Result<KeyBundle, CsrError> {
    let mut leaf_index = None;
    let mut first_spki = None;
    for (index, der) in certificates.iter().enumerate() {
        let spki = spki_of(&PkiObject::Certificate(der.clone()))?;
        if spki == key_spki {
            leaf_index = Some(index);
            break;
        }
        first_spki.get_or_insert(spki);
    }
    let Some(leaf_index) = leaf_index else {
        return Err(CsrError::KeyNotInCertificates {
            key_sha256: public_key::sha256_hex(key_spki),
            first_certificate_sha256: first_spki.map(|s| public_key::sha256_hex(&s)),
            certificates: certificates.len(),
        });
    };
    let leaf = certificates.remove(leaf_index);
    let chain = order_chain(&leaf, certificates);
    Ok(KeyBundle { common_name: common_name(&leaf), leaf, chain })
}

/// The first common name of a certificate, read from the parsed name (a CN may contain ", ").
pub fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DnType, KeyPair};

    use super::*;

    fn self_signed(cn: &str) -> (Vec<u8>, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![cn.to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        (der, rcgen::PublicKeyData::subject_public_key_info(&key))
    }

    #[test]
    fn the_certificate_for_the_key_is_found_wherever_it_is() {
        let (a, _) = self_signed("a.example.com");
        let (b, b_spki) = self_signed("b, with a comma");
        let bundle = for_key(&b_spki, vec![a.clone(), b.clone()]).unwrap();
        assert_eq!(bundle.leaf, b);
        assert_eq!(bundle.chain, [a]);
        assert_eq!(bundle.common_name.as_deref(), Some("b, with a comma"));
    }

    #[test]
    fn a_key_that_matches_nothing_is_named_with_both_fingerprints() {
        let (a, a_spki) = self_signed("a.example.com");
        let (_, other_spki) = self_signed("other");
        let error = for_key(&other_spki, vec![a]).unwrap_err().to_string();
        assert!(error.starts_with("the private key does not belong to the certificate: key SPKI SHA-256"), "{error}");
        assert!(error.contains(&public_key::sha256_hex(&a_spki)) && error.contains("signet match KEY CERT"), "{error}");
    }
}
