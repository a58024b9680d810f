//! OCSP for `--check-revocation` (RFC 6960): the request for a certificate, and the reading of a
//! responder's answer — about this very certificate (CertID), signed by its issuer or by a
//! responder the issuer delegated with id-kp-OCSPSigning (§4.2.2.2), current at the time of
//! verification (thisUpdate/nextUpdate).
//!
//! The network is the caller's (the CLI fetches with a timeout); this module only builds and
//! judges bytes.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::serial_number::SerialNumber;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use signet_codec::describe::{crl_reason, name_to_string, rfc3339};
use signet_codec::ocsp::{
    BasicOcspResponse, CertId, CertStatus, ID_PKIX_OCSP_BASIC, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    SingleResponse, TbsRequest,
};

use super::diagnose::signed_by;
use super::{Problem, parse, subject};

/// SHA-1, the CertID hash every responder understands (RFC 5019 §2.1.1).
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// SHA-256, which some responders answer with.
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

fn digest(algorithm: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    let algorithm = if *algorithm == SHA1 {
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY
    } else if *algorithm == SHA256 {
        &aws_lc_rs::digest::SHA256
    } else {
        return None;
    };
    Some(aws_lc_rs::digest::digest(algorithm, data).as_ref().to_vec())
}

fn magnitude(raw: &[u8]) -> &[u8] {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len().saturating_sub(1));
    raw.get(start..).unwrap_or_default()
}

fn cert_id(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Option<CertId> {
    Some(CertId {
        hash_algorithm: AlgorithmIdentifierOwned { oid: SHA1, parameters: None },
        issuer_name_hash: OctetString::new(digest(&SHA1, issuer.subject().as_raw())?).ok()?,
        issuer_key_hash: OctetString::new(digest(&SHA1, &issuer.public_key().subject_public_key.data)?).ok()?,
        serial_number: SerialNumber::new(magnitude(cert.raw_serial())).ok()?,
    })
}

/// Whether `id` names `cert` issued by `issuer`, whatever hash it uses.
fn names(id: &CertId, cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let algorithm = &id.hash_algorithm.oid;
    magnitude(id.serial_number.as_bytes()) == magnitude(cert.raw_serial())
        && digest(algorithm, issuer.subject().as_raw()).is_some_and(|h| h == id.issuer_name_hash.as_bytes())
        && digest(algorithm, &issuer.public_key().subject_public_key.data)
            .is_some_and(|h| h == id.issuer_key_hash.as_bytes())
}

/// Where to ask about `leaf` and what to send: its responder URLs and a DER OCSPRequest, with its
/// issuer found among `candidates` (intermediates and roots, DER). `None` when the certificate
/// names no responder or its issuer is not among the candidates.
pub fn query(leaf: &[u8], candidates: &[Vec<u8>]) -> Option<(Vec<String>, Vec<u8>)> {
    let cert = parse(leaf).ok()?;
    let urls = super::revocation::ocsp_responders(&cert);
    if urls.is_empty() {
        return None;
    }
    let issuer = candidates.iter().filter_map(|d| parse(d).ok()).find(|c| signed_by(&cert, c))?;
    let request = OcspRequest {
        tbs_request: TbsRequest {
            version: 0,
            requestor_name: None,
            request_list: vec![Request { req_cert: cert_id(&cert, &issuer)?, single_request_extensions: None }],
            request_extensions: None,
        },
        optional_signature: None,
    };
    Some((urls, request.to_der().ok()?))
}

/// What the responses given say about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Not revoked, from a response that is signed, about it, and current.
    Good,
    /// Revoked: the problem to report.
    Revoked(Problem),
    /// A response about it that cannot be relied on, or says "unknown": why.
    Unusable(String),
}

fn time(t: &der::asn1::GeneralizedTime) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Whether `signer` made `signature` over `data` with `algorithm` (x509-parser's verifier).
fn signature_verifies(
    signer: &X509Certificate<'_>,
    algorithm: &AlgorithmIdentifierOwned,
    signature: &der::asn1::BitString,
    data: &[u8],
) -> bool {
    let Ok(algorithm_der) = algorithm.to_der() else { return false };
    let Ok((_, algorithm)) = x509_parser::x509::AlgorithmIdentifier::from_der(&algorithm_der) else { return false };
    let Some(bytes) = signature.as_bytes() else { return false };
    let bits = x509_parser::der_parser::asn1_rs::BitString::new(0, bytes);
    x509_parser::verify::verify_signature(signer.public_key(), &algorithm, &bits, data).is_ok()
}

/// Who signed `basic`: the issuer itself, or a certificate in the response that the issuer signed
/// and gave id-kp-OCSPSigning.
fn signed_by_issuer_or_delegate(basic: &BasicOcspResponse, issuer: &X509Certificate<'_>) -> bool {
    let Ok(tbs) = basic.tbs_response_data.to_der() else { return false };
    if signature_verifies(issuer, &basic.signature_algorithm, &basic.signature, &tbs) {
        return true;
    }
    let delegates: Vec<Vec<u8>> = basic.certs.iter().flatten().filter_map(|c| c.to_der().ok()).collect();
    delegates.iter().filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c)).any(|delegate| {
        let delegated = delegate.extended_key_usage().ok().flatten().is_some_and(|eku| eku.value.ocsp_signing);
        delegated
            && signed_by(&delegate, issuer)
            && signature_verifies(&delegate, &basic.signature_algorithm, &basic.signature, &tbs)
    })
}

/// How far a responder's clock may run ahead of ours: a response made "now" by a responder whose
/// second has just ticked over is still current (OpenSSL's `OCSP_check_validity` allows 5 minutes).
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

fn judge(single: &SingleResponse, cert: &X509Certificate<'_>, at: time::OffsetDateTime, from: &str) -> Answer {
    let this_update = time(&single.this_update);
    if this_update > at + CLOCK_SKEW {
        return Answer::Unusable(format!("its thisUpdate {} is after the time of verification", rfc3339(this_update)));
    }
    if let Some(next) = &single.next_update
        && time(next) < at
    {
        return Answer::Unusable(format!("it expired at {} (its nextUpdate)", rfc3339(time(next))));
    }
    match &single.cert_status {
        CertStatus::Good(_) => Answer::Good,
        CertStatus::Unknown(_) => Answer::Unusable("the responder does not know the certificate".into()),
        CertStatus::Revoked(info) => {
            let reason =
                info.revocation_reason.map(|r| crl_reason(r as u8)).unwrap_or_else(|| "no reason given".into());
            Answer::Revoked(Problem::new(
                "revoked",
                format!(
                    "\"{}\" (serial {}) was revoked on {} (reason: {reason}) according to the OCSP responder of \"{from}\"; it must be replaced",
                    subject(cert),
                    super::serial(cert),
                    rfc3339(time(&info.revocation_time)),
                ),
            ))
        }
    }
}

/// What the OCSP `responses` (DER) say about `cert` issued by `issuer` at `at`; `None` when none
/// of them is about it.
pub(crate) fn answer(
    responses: &[Vec<u8>],
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    at: time::OffsetDateTime,
) -> Option<Answer> {
    let from = name_to_string(issuer.subject());
    let mut found = None;
    for der in responses {
        let Ok(response) = OcspResponse::from_der(der) else { continue };
        if response.response_status != OcspResponseStatus::Successful {
            found.get_or_insert(Answer::Unusable(format!("the responder answered {:?}", response.response_status)));
            continue;
        }
        let Some(bytes) = response.response_bytes.filter(|b| b.response_type == ID_PKIX_OCSP_BASIC) else { continue };
        let Ok(basic) = BasicOcspResponse::from_der(bytes.response.as_bytes()) else { continue };
        let Some(single) = basic.tbs_response_data.responses.iter().find(|s| names(&s.cert_id, cert, issuer)) else {
            continue;
        };
        if !signed_by_issuer_or_delegate(&basic, issuer) {
            found = Some(Answer::Unusable(
                "its signature is neither the issuer's nor a responder's the issuer delegated (id-kp-OCSPSigning)"
                    .into(),
            ));
            continue;
        }
        let verdict = judge(single, cert, at, &from);
        if matches!(verdict, Answer::Good | Answer::Revoked(_)) {
            return Some(verdict);
        }
        found = Some(verdict);
    }
    found
}

#[cfg(test)]
mod tests {
    use der::asn1::{GeneralizedTime, Null};

    use super::*;

    fn single(this_update: time::OffsetDateTime) -> SingleResponse {
        let at = |t: time::OffsetDateTime| {
            GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(t.unix_timestamp() as u64)).unwrap()
        };
        SingleResponse {
            cert_id: CertId {
                hash_algorithm: AlgorithmIdentifierOwned { oid: SHA1, parameters: None },
                issuer_name_hash: OctetString::new(vec![0; 20]).unwrap(),
                issuer_key_hash: OctetString::new(vec![0; 20]).unwrap(),
                serial_number: SerialNumber::new(&[1]).unwrap(),
            },
            cert_status: CertStatus::Good(Null),
            this_update: at(this_update),
            next_update: Some(at(this_update + time::Duration::days(1))),
            single_extensions: None,
        }
    }

    #[test]
    fn a_response_from_a_clock_slightly_ahead_is_current_one_far_ahead_is_not() {
        let key = rcgen::KeyPair::generate().unwrap();
        let der = rcgen::CertificateParams::new(vec!["www.example.com".into()]).unwrap().self_signed(&key).unwrap();
        let (_, cert) = X509Certificate::from_der(der.der()).unwrap();
        let now = time::macros::datetime!(2026-06-01 12:00 UTC);
        assert!(matches!(judge(&single(now + time::Duration::seconds(1)), &cert, now, "x"), Answer::Good));
        let Answer::Unusable(why) = judge(&single(now + time::Duration::hours(1)), &cert, now, "x") else {
            panic!("a response from an hour ahead was used")
        };
        assert!(why.contains("is after the time of verification"), "{why}");
    }
}
