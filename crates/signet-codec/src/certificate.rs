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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_malformed_certificate() {
        assert!(matches!(facts(&[0x30, 0x03, 1, 2, 3]), Err(CodecError::Malformed { .. })));
    }
}
