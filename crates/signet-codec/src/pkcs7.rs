//! PKCS#7 / CMS certs-only bundles (`.p7b`, RFC 5652 §5): the format that carries a certificate
//! with its whole chain (seed FMT-1, FMT-2).
//!
//! The `cms` crate provides the types; it has no certs-only builder (its builder wants a signer),
//! so [`bundle`] fills in the degenerate SignedData itself: no digest algorithms, no content, no
//! signer infos.

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::revocation::RevocationInfoChoice;
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use der::asn1::{Any, ObjectIdentifier, SetOfVec};
use der::{Decode, Encode};

use crate::error::CodecError;
use crate::object::ObjectKind;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// Certificates and CRLs found in a bundle, as DER.
#[derive(Debug, Default, Clone)]
pub struct Bundle {
    /// Certificate DERs, in the order stored.
    pub certificates: Vec<Vec<u8>>,
    /// CRL DERs.
    pub crls: Vec<Vec<u8>>,
}

/// Decodes the SignedData inside a ContentInfo.
pub(crate) fn signed_data(der: &[u8]) -> Result<SignedData, CodecError> {
    let info = ContentInfo::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::Pkcs7, e))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(CodecError::Unsupported {
            what: "PKCS#7 content".into(),
            detail: format!("{} (signet reads SignedData bundles, 1.2.840.113549.1.7.2)", info.content_type),
        });
    }
    info.content.decode_as::<SignedData>().map_err(|e| CodecError::from_der(ObjectKind::Pkcs7, e))
}

/// Reads the certificates and CRLs of a bundle.
pub fn read(der: &[u8]) -> Result<Bundle, CodecError> {
    let data = signed_data(der)?;
    let encode = |e: der::Error| CodecError::from_der(ObjectKind::Pkcs7, e);
    let mut bundle = Bundle::default();
    for choice in data.certificates.iter().flat_map(|set| set.0.iter()) {
        if let CertificateChoices::Certificate(cert) = choice {
            bundle.certificates.push(cert.to_der().map_err(encode)?);
        }
    }
    for choice in data.crls.iter().flat_map(|set| set.0.iter()) {
        if let RevocationInfoChoice::Crl(crl) = choice {
            bundle.crls.push(crl.to_der().map_err(encode)?);
        }
    }
    Ok(bundle)
}

/// Writes a certs-only SignedData bundle holding `certificates` (DER).
pub fn bundle(certificates: &[Vec<u8>]) -> Result<Vec<u8>, CodecError> {
    let encode_error = |e: der::Error| CodecError::Encode { what: "PKCS#7 bundle".into(), detail: e.to_string() };
    let mut set = Vec::with_capacity(certificates.len());
    for der in certificates {
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|e| CodecError::from_der(ObjectKind::Certificate, e))?;
        set.push(CertificateChoices::Certificate(cert));
    }
    let data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None },
        certificates: Some(CertificateSet(SetOfVec::try_from(set).map_err(encode_error)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    let info = ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&data).map_err(encode_error)? };
    info.to_der().map_err(encode_error)
}
