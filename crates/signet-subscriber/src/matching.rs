//! Do these files belong together? Keys, CSRs and certificates share a public key when they do
//! (seed KEY-13, mistakes P5 and P7: "a CSR has the same modulus as the private key").

use serde::Serialize;
use signet_codec::{KeyInfo, ObjectKind, PkiObject, public_key};
use x509_parser::prelude::FromDer;

use crate::error::CsrError;

/// The public key an object carries or implies.
#[derive(Debug, Clone, Serialize)]
pub struct KeyIdentity {
    /// Where it came from (a file name, maybe with an index).
    pub source: String,
    /// What kind of object it was.
    pub kind: ObjectKind,
    /// The key.
    pub key: KeyInfo,
}

/// The SubjectPublicKeyInfo DER of a certificate, CSR, private or public key.
pub fn spki_of(object: &PkiObject) -> Result<Vec<u8>, CsrError> {
    let malformed =
        |kind: ObjectKind, e: &dyn std::fmt::Display| CsrError::Codec(signet_codec::CodecError::malformed(kind, e));
    match object {
        PkiObject::Certificate(der) => {
            let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
                .map_err(|e| malformed(ObjectKind::Certificate, &e))?;
            Ok(cert.public_key().raw.to_vec())
        }
        PkiObject::CertificateRequest(der) => {
            let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(der)
                .map_err(|e| malformed(ObjectKind::CertificateRequest, &e))?;
            Ok(csr.certification_request_info.subject_pki.raw.to_vec())
        }
        PkiObject::PrivateKey { pkcs8, .. } => Ok(signet_codec::private_key::public_spki(pkcs8)?),
        PkiObject::PublicKey(der) => Ok(der.clone()),
        other => Err(CsrError::WrongKind {
            path: String::new(),
            found: other.kind().to_string(),
            expected: "a key, CSR or certificate".into(),
        }),
    }
}

/// The identity of one object.
pub fn identity(source: &str, object: &PkiObject) -> Result<KeyIdentity, CsrError> {
    let spki = spki_of(object).map_err(|e| match e {
        CsrError::WrongKind { found, expected, .. } => {
            CsrError::WrongKind { path: source.to_string(), found, expected }
        }
        other => other,
    })?;
    Ok(KeyIdentity { source: source.to_string(), kind: object.kind(), key: public_key::describe_spki(&spki)? })
}

/// Groups identities by key; one group means everything matches.
pub fn groups(identities: &[KeyIdentity]) -> Vec<Vec<&KeyIdentity>> {
    let mut groups: Vec<Vec<&KeyIdentity>> = Vec::new();
    for identity in identities {
        match groups.iter_mut().find(|g| g.first().is_some_and(|f| f.key.spki_sha256 == identity.key.spki_sha256)) {
            Some(group) => group.push(identity),
            None => groups.push(vec![identity]),
        }
    }
    groups
}
