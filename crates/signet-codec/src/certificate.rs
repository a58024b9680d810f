//! The few facts about a certificate that the CA's workflow decides on (installing a subordinate
//! CA's certificate, loading a CA), so that crates above the codec need no X.509 parser of their
//! own.

use time::OffsetDateTime;
use x509_parser::prelude::FromDer;

use crate::error::CodecError;
use crate::object::ObjectKind;

/// What a certificate says about its subject, issuer, key and validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Subject DN, as `describe` prints it.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// The subject public key (SubjectPublicKeyInfo DER).
    pub spki_der: Vec<u8>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Subject Name, DER (for exact comparisons).
    pub subject_der: Vec<u8>,
    /// Issuer Name, DER.
    pub issuer_der: Vec<u8>,
    /// subjectKeyIdentifier, if present.
    pub subject_key_id: Option<Vec<u8>>,
}

/// Reads a certificate (DER).
pub fn facts(der: &[u8]) -> Result<CertificateFacts, CodecError> {
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))?;
    let validity = cert.validity();
    Ok(CertificateFacts {
        subject: crate::describe::name_to_string(cert.subject()),
        issuer: crate::describe::name_to_string(cert.issuer()),
        spki_der: cert.public_key().raw.to_vec(),
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        is_ca: cert.is_ca(),
        subject_der: cert.subject().as_raw().to_vec(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        subject_key_id: cert.extensions().iter().find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        }),
    })
}

/// Whether certificate `child` (DER) was issued by `issuer` (DER): the names chain and the
/// signature verifies with the issuer's public key.
pub fn issued_by(child: &[u8], issuer: &[u8]) -> Result<bool, CodecError> {
    let parse = |der| {
        x509_parser::certificate::X509Certificate::from_der(der)
            .map(|(_, cert)| cert)
            .map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))
    };
    let (child, issuer) = (parse(child)?, parse(issuer)?);
    Ok(child.issuer().as_raw() == issuer.subject().as_raw()
        && child.verify_signature(Some(issuer.public_key())).is_ok())
}

/// What a tls-alpn-01 validation reads of the self-signed certificate it is shown (RFC 8737 §3):
/// its subject alternative names and its acmeIdentifier extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlpnChallengeFacts {
    /// Subject alternative names as `type:value` (`dns:example.com`, `ip:192.0.2.1`).
    pub names: Vec<String>,
    /// The acmeIdentifier extension (1.3.6.1.5.5.7.1.31): whether it is critical, and the digest
    /// its OCTET STRING holds (None when the extension is absent or not one OCTET STRING).
    pub acme_identifier: Option<(bool, Option<Vec<u8>>)>,
}

/// The acmeIdentifier extension's OID (RFC 8737 §6.1).
const ACME_IDENTIFIER: &str = "1.3.6.1.5.5.7.1.31";

/// Reads the facts tls-alpn-01 checks from a certificate (DER).
pub fn alpn_challenge(der: &[u8]) -> Result<AlpnChallengeFacts, CodecError> {
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))?;
    let mut names = Vec::new();
    let mut acme_identifier = None;
    for extension in cert.extensions() {
        if extension.oid.to_id_string() == ACME_IDENTIFIER {
            // The value is an OCTET STRING holding the SHA-256 digest (32 bytes).
            let digest = match extension.value {
                [0x04, 0x20, rest @ ..] if rest.len() == 32 => Some(rest.to_vec()),
                _ => None,
            };
            acme_identifier = Some((extension.critical, digest));
        }
        if let x509_parser::extensions::ParsedExtension::SubjectAlternativeName(san) = extension.parsed_extension() {
            names.extend(san.general_names.iter().map(crate::describe::general_name));
        }
    }
    Ok(AlpnChallengeFacts { names, acme_identifier })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_malformed_certificate() {
        assert!(matches!(facts(&[0x30, 0x03, 1, 2, 3]), Err(CodecError::Malformed { .. })));
        assert!(matches!(issued_by(&[0x30, 0x03, 1, 2, 3], &[]), Err(CodecError::Malformed { .. })));
    }

    #[test]
    fn issued_by_checks_names_and_signature() {
        let root_key = rcgen::KeyPair::generate().unwrap();
        let mut root_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        root_params.distinguished_name.push(rcgen::DnType::CommonName, "Root");
        root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key).unwrap();
        let issuer = rcgen::Issuer::new(root_params.clone(), &root_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["a.example".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        assert!(issued_by(leaf.der(), root.der()).unwrap());
        assert!(issued_by(root.der(), root.der()).unwrap(), "a self-signed root issued itself");
        assert!(!issued_by(root.der(), leaf.der()).unwrap(), "names do not chain");
        // The same name, another key: the signature does not verify.
        let other_key = rcgen::KeyPair::generate().unwrap();
        let impostor = root_params.self_signed(&other_key).unwrap();
        assert!(!issued_by(leaf.der(), impostor.der()).unwrap());
    }
}
