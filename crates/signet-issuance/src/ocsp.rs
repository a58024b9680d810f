//! OCSP responses (RFC 6960 §4.2, RFC 5019 profile): assembled, linted, then signed, like
//! certificates and CRLs — by a delegated OCSP responder ([`responder_certificate`], id-kp-
//! OCSPSigning and id-pkix-ocsp-nocheck, short-lived) or by the CA itself.
//!
//! [`prepare`] builds the `ResponseData` for one certificate (RFC 5019 §2.2.1: one response per
//! request, responder ID by key) and lints it ([`signet_lint::ocsp`]); [`sign`] has the
//! responder's key sign those bytes and wraps them into an `OCSPResponse`. Pre-signed responses
//! use SHA-1 CertIDs, the ones RFC 5019 clients send; a request with another hash gets a response
//! made for it.

use std::sync::Arc;

use der::asn1::{BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    SerialNumber,
};
use signet_codec::ocsp::{
    BasicOcspResponse, CertId, CertStatus, CrlReason, ID_PKIX_OCSP_BASIC, ID_PKIX_OCSP_NONCE, OcspResponse,
    OcspResponseStatus, ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse,
};
use signet_keys::Signer;
use signet_lint::Finding;
use signet_model::{RevocationReason, Serial};
use spki::AlgorithmIdentifierOwned;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::Extension;

use crate::certificate::{Prepared, lint_and_record_under, window};
use crate::error::IssuanceError;
use crate::issuer::IssuingCa;

/// SHA-1 (1.3.14.3.2.26), the CertID hash RFC 5019 clients use.
pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// SHA-256 (2.16.840.1.101.3.4.2.1).
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
const OCSP_NOCHECK: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 5];

fn build_error(e: impl std::fmt::Display) -> IssuanceError {
    IssuanceError::Build(e.to_string())
}

/// The hashes of a CA that OCSP CertIDs name it by: SHA-1 and SHA-256 of its subject (DER) and
/// of its public key (the subjectPublicKey BIT STRING's contents), RFC 6960 §4.1.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerHashes {
    /// SHA-1 of the issuer name.
    pub name_sha1: Vec<u8>,
    /// SHA-1 of the issuer key.
    pub key_sha1: Vec<u8>,
    /// SHA-256 of the issuer name.
    pub name_sha256: Vec<u8>,
    /// SHA-256 of the issuer key.
    pub key_sha256: Vec<u8>,
}

impl IssuerHashes {
    /// The hashes of the CA whose certificate is `certificate`.
    pub fn of(certificate: &[u8]) -> Result<Self, IssuanceError> {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let (_, cert) = X509Certificate::from_der(certificate).map_err(build_error)?;
        let name = cert.subject().as_raw();
        let key = cert.public_key().subject_public_key.data.as_ref();
        let sha1 =
            |b: &[u8]| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref().to_vec();
        let sha256 = |b: &[u8]| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b).as_ref().to_vec();
        Ok(Self { name_sha1: sha1(name), key_sha1: sha1(key), name_sha256: sha256(name), key_sha256: sha256(key) })
    }

    /// Whether `id` names this issuer, with a hash signet answers for (SHA-1 or SHA-256).
    pub fn matches(&self, id: &CertId) -> bool {
        let (name, key) = (id.issuer_name_hash.as_bytes(), id.issuer_key_hash.as_bytes());
        match id.hash_algorithm.oid {
            oid if oid == SHA1 => name == self.name_sha1 && key == self.key_sha1,
            oid if oid == SHA256 => name == self.name_sha256 && key == self.key_sha256,
            _ => false,
        }
    }

    /// The SHA-1 CertID of `serial` under this issuer (what pre-signed responses answer for).
    pub fn sha1_cert_id(&self, serial: &Serial) -> Result<CertId, IssuanceError> {
        Ok(CertId {
            hash_algorithm: AlgorithmIdentifierOwned { oid: SHA1, parameters: Some(der::Any::null()) },
            issuer_name_hash: OctetString::new(self.name_sha1.clone()).map_err(build_error)?,
            issuer_key_hash: OctetString::new(self.key_sha1.clone()).map_err(build_error)?,
            serial_number: x509_cert::serial_number::SerialNumber::new(serial.magnitude()).map_err(build_error)?,
        })
    }
}

/// Who signs responses: a delegated responder (its certificate included in every response, RFC
/// 6960 §4.2.2.2) or the CA itself.
#[derive(Clone)]
pub struct Responder {
    /// The signing key.
    pub signer: Arc<dyn Signer>,
    /// The delegated responder's certificate (DER); None when the CA signs.
    pub certificate: Option<Vec<u8>>,
}

impl Responder {
    /// The responder's key hash: SHA-1 of its subjectPublicKey's contents (ResponderID byKey).
    pub fn key_hash(&self) -> Vec<u8> {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, self.signer.public_key_bytes())
            .as_ref()
            .to_vec()
    }
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Responder(delegated: {})", self.certificate.is_some())
    }
}

/// A certificate's status as a response states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Issued and not revoked.
    Good,
    /// Revoked (or on hold) at that time, for that reason (omitted when unspecified).
    Revoked {
        /// revocationTime.
        at: OffsetDateTime,
        /// revocationReason.
        reason: RevocationReason,
    },
    /// Never issued by this CA.
    Unknown,
}

/// One response to make.
pub struct ResponseRequest<'a> {
    /// The CertID asked about (echoed as it was asked).
    pub cert_id: CertId,
    /// Its status.
    pub status: Status,
    /// producedAt and thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate (RFC 5019 §2.2.4: required).
    pub next_update: OffsetDateTime,
    /// The request's nonce, to echo (RFC 8954), if allowed.
    pub nonce: Option<&'a [u8]>,
}

/// A response ready to be signed.
pub struct PreparedResponse {
    /// The exact `ResponseData` bytes that will be signed.
    pub tbs: Vec<u8>,
    /// Lint warnings.
    pub warnings: Vec<Finding>,
}

fn time(at: OffsetDateTime) -> Result<GeneralizedTime, IssuanceError> {
    let seconds = u64::try_from(at.unix_timestamp()).map_err(build_error)?;
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(seconds)).map_err(build_error)
}

fn reason_of(reason: RevocationReason) -> Option<CrlReason> {
    Some(match reason {
        RevocationReason::Unspecified => return None,
        RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
        RevocationReason::CaCompromise => CrlReason::CaCompromise,
        RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
        RevocationReason::Superseded => CrlReason::Superseded,
        RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        RevocationReason::CertificateHold => CrlReason::CertificateHold,
        RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
    })
}

/// Assembles and lints one response; see the module documentation.
pub fn prepare(responder: &Responder, request: &ResponseRequest<'_>) -> Result<PreparedResponse, IssuanceError> {
    let cert_status = match request.status {
        Status::Good => CertStatus::Good(Null),
        Status::Unknown => CertStatus::Unknown(Null),
        Status::Revoked { at, reason } => {
            CertStatus::Revoked(RevokedInfo { revocation_time: time(at)?, revocation_reason: reason_of(reason) })
        }
    };
    let response_extensions = match request.nonce {
        Some(nonce) => Some(vec![Extension {
            extn_id: ID_PKIX_OCSP_NONCE,
            critical: false,
            // RFC 8954 §2.1: the value is an OCTET STRING holding the nonce.
            extn_value: OctetString::new(OctetString::new(nonce).and_then(|n| n.to_der()).map_err(build_error)?)
                .map_err(build_error)?,
        }]),
        None => None,
    };
    let data = ResponseData {
        version: 0,
        responder_id: ResponderId::ByKey(OctetString::new(responder.key_hash()).map_err(build_error)?),
        produced_at: time(request.this_update)?,
        responses: vec![SingleResponse {
            cert_id: request.cert_id.clone(),
            cert_status,
            this_update: time(request.this_update)?,
            next_update: Some(time(request.next_update)?),
            single_extensions: None,
        }],
        response_extensions,
    };
    let tbs = data.to_der().map_err(build_error)?;
    let context =
        signet_lint::ocsp::OcspContext { responder_key_hash: &responder.key_hash(), now: request.this_update };
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = signet_lint::ocsp::lint_response_data(&tbs, &context)
        .into_iter()
        .partition(|f| f.severity == signet_lint::Severity::Error);
    if !errors.is_empty() {
        return Err(IssuanceError::Lint(errors));
    }
    Ok(PreparedResponse { tbs, warnings })
}

/// Has the responder sign a prepared response; answers the `OCSPResponse` DER.
pub fn sign(responder: &Responder, prepared: &PreparedResponse) -> Result<Vec<u8>, IssuanceError> {
    let signature = responder.signer.sign(&prepared.tbs).map_err(|e| IssuanceError::Signing(e.to_string()))?;
    let certs = match &responder.certificate {
        Some(der) => Some(vec![x509_cert::Certificate::from_der(der).map_err(build_error)?]),
        None => None,
    };
    let basic = BasicOcspResponse {
        tbs_response_data: ResponseData::from_der(&prepared.tbs).map_err(build_error)?,
        signature_algorithm: AlgorithmIdentifierOwned::from_der(responder.signer.scheme().algorithm_identifier())
            .map_err(build_error)?,
        signature: BitString::from_bytes(&signature).map_err(build_error)?,
        certs,
    };
    OcspResponse {
        response_status: OcspResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: ID_PKIX_OCSP_BASIC,
            response: OctetString::new(basic.to_der().map_err(build_error)?).map_err(build_error)?,
        }),
    }
    .to_der()
    .map_err(build_error)
}

/// An unsigned error answer (RFC 6960 §4.2.1): malformedRequest, unauthorized, tryLater...
pub fn error_response(status: OcspResponseStatus) -> Vec<u8> {
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } — three octets of content.
    vec![0x30, 0x03, 0x0a, 0x01, status as u8]
}

/// Prepares a delegated OCSP responder certificate for `key`, issued by `issuer` at `now` for
/// `validity`: digitalSignature, id-kp-OCSPSigning, id-pkix-ocsp-nocheck (relying parties do not
/// check its revocation, so it is short-lived), no CRL or AIA pointers. Record
/// `Prepared::tbs` before calling [`crate::certificate::sign`].
pub fn responder_certificate(
    issuer: &IssuingCa,
    key_spki: &[u8],
    now: OffsetDateTime,
    validity: Duration,
) -> Result<Prepared, IssuanceError> {
    let serial = crate::serial::random()?;
    let (not_before, mut not_after) = window(now, validity);
    not_after = not_after.min(issuer.not_after);
    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(serial.magnitude()));
    params.not_before = not_before;
    params.not_after = not_after;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{} OCSP Responder", issuer.name));
    params.distinguished_name = dn;
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    params.use_authority_key_identifier_extension = true;
    params.custom_extensions.push(CustomExtension::from_oid_content(OCSP_NOCHECK, vec![0x05, 0x00]));
    let subject_key = rcgen::SubjectPublicKeyInfo::from_der(key_spki).map_err(build_error)?;
    lint_and_record_under(issuer, signet_lint::CertificateKind::OcspResponder, params, subject_key, serial)
}

/// The request recorded for a delegated responder's certificate: a PKCS#10 its key signed,
/// naming `{ca} OCSP Responder` (the store keeps a CSR with every request).
pub fn responder_request(ca: &str, key: &dyn Signer) -> Result<Vec<u8>, IssuanceError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{ca} OCSP Responder"));
    params.distinguished_name = dn;
    params.serialize_request(&signet_keys::RcgenSigner(key)).map(|csr| csr.der().to_vec()).map_err(build_error)
}
