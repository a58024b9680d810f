//! Lints on a to-be-signed OCSP response (`ResponseData`, RFC 6960 §4.2.1), run before it is
//! signed: the RFC 5019 profile (one response, responder by key, nextUpdate present), the BR
//! §4.9.10 validity window (8 hours to 10 days), and the nonce's size (RFC 8954).

use der::Decode;
use signet_codec::ocsp::{CertStatus, ID_PKIX_OCSP_NONCE, ResponderId, ResponseData};
use time::{Duration, OffsetDateTime};

use crate::{Finding, Severity};

/// The shortest validity BR §4.9.10 allows an OCSP response.
pub const MIN_VALIDITY: Duration = Duration::hours(8);
/// The longest.
pub const MAX_VALIDITY: Duration = Duration::days(10);

/// What a response must agree with.
#[derive(Debug, Clone)]
pub struct OcspContext<'a> {
    /// SHA-1 of the signing key (the ResponderID byKey).
    pub responder_key_hash: &'a [u8],
    /// When it is made.
    pub now: OffsetDateTime,
}

fn finding(lint: &'static str, message: impl Into<String>) -> Finding {
    Finding { lint, severity: Severity::Error, message: message.into() }
}

fn time(t: der::asn1::GeneralizedTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Lints a DER `ResponseData`.
pub fn lint_response_data(tbs: &[u8], context: &OcspContext<'_>) -> Vec<Finding> {
    let data = match ResponseData::from_der(tbs) {
        Ok(data) => data,
        Err(e) => return vec![finding("ocsp-der", format!("the ResponseData is not valid DER: {e}"))],
    };
    let mut findings = Vec::new();
    if data.version != 0 {
        findings.push(finding("ocsp-version", "the response version must be v1 (0)"));
    }
    match &data.responder_id {
        ResponderId::ByKey(hash) if hash.as_bytes() == context.responder_key_hash => {}
        ResponderId::ByKey(_) => {
            findings.push(finding("ocsp-responder-id", "the responder ID is not the signing key's hash"))
        }
        ResponderId::ByName(_) => {
            findings.push(finding("ocsp-responder-id", "the responder ID must be by key (RFC 5019 §2.2.3)"))
        }
    }
    let produced_at = time(data.produced_at);
    if produced_at > context.now + Duration::minutes(5) {
        findings.push(finding("ocsp-produced-at", format!("producedAt {produced_at} is in the future")));
    }
    if data.responses.len() != 1 {
        findings.push(finding(
            "ocsp-one-response",
            format!("{} responses; RFC 5019 §2.2.1 answers exactly one", data.responses.len()),
        ));
    }
    for single in &data.responses {
        let this_update = time(single.this_update);
        if this_update > produced_at {
            findings.push(finding("ocsp-this-update", "thisUpdate is after producedAt"));
        }
        match single.next_update.map(time) {
            None => findings.push(finding("ocsp-next-update", "nextUpdate is missing (RFC 5019 §2.2.4)")),
            Some(next) if next - this_update < MIN_VALIDITY || next - this_update > MAX_VALIDITY => {
                findings.push(finding(
                    "ocsp-validity",
                    format!(
                        "the response is valid for {} hours; BR §4.9.10 asks for 8 hours to 10 days",
                        (next - this_update).whole_hours()
                    ),
                ))
            }
            Some(_) => {}
        }
        if let CertStatus::Revoked(info) = &single.cert_status {
            if time(info.revocation_time) > this_update {
                findings.push(finding("ocsp-revocation-time", "the revocation time is after thisUpdate"));
            }
            if info.revocation_reason == Some(signet_codec::ocsp::CrlReason::Unspecified) {
                findings.push(finding("ocsp-reason-unspecified", "revocationReason unspecified must be left out"));
            }
        }
        let id = &single.cert_id;
        let expected = match id.hash_algorithm.oid.to_string().as_str() {
            "1.3.14.3.2.26" => Some(20),
            "2.16.840.1.101.3.4.2.1" => Some(32),
            _ => None,
        };
        match expected {
            None => findings.push(finding("ocsp-cert-id-hash", "the CertID hash is neither SHA-1 nor SHA-256")),
            Some(len) if id.issuer_name_hash.as_bytes().len() != len || id.issuer_key_hash.as_bytes().len() != len => {
                findings.push(finding("ocsp-cert-id-hash", "the CertID hashes have the wrong length"))
            }
            Some(_) => {}
        }
        if single.single_extensions.iter().flatten().any(|e| e.critical) {
            findings.push(finding("ocsp-extension-critical", "a critical single-response extension"));
        }
    }
    for extension in data.response_extensions.iter().flatten() {
        if extension.extn_id == ID_PKIX_OCSP_NONCE {
            let nonce = der::asn1::OctetString::from_der(extension.extn_value.as_bytes());
            match nonce {
                Ok(n) if (1..=32).contains(&n.as_bytes().len()) => {}
                _ => findings
                    .push(finding("ocsp-nonce", "the nonce must be an OCTET STRING of 1 to 32 octets (RFC 8954)")),
            }
        } else if extension.critical {
            findings
                .push(finding("ocsp-extension-critical", format!("unknown critical extension {}", extension.extn_id)));
        }
    }
    findings
}
