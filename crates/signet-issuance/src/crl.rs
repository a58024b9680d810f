//! CRLs (RFC 5280 §5): assembled, linted, then signed — the same lint-then-sign gate as
//! certificates ([`crate::certificate`]).
//!
//! [`prepare`] encodes the `TBSCertList` (v2; authorityKeyIdentifier, cRLNumber and, for a
//! partition, an issuingDistributionPoint naming exactly the URL its certificates name; each entry
//! with its reasonCode, left out when unspecified, and invalidityDate) and lints it
//! ([`signet_lint::crl`]); [`sign`] has the CA key sign those bytes. The entries are written
//! straight into one buffer, with no per-entry objects, so a CRL of a million entries is built
//! in well under a second and holds little more memory than its own size.

use der::Encode;
use der::asn1::{Ia5String, ObjectIdentifier, OctetString, Uint};
use signet_lint::Finding;
use signet_lint::crl::CrlContext;
use signet_model::{RevocationReason, RevokedEntry};
use time::OffsetDateTime;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber};

use crate::error::IssuanceError;
use crate::issuer::IssuingCa;

const ID_CE_AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const ID_CE_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
// Spelled out: x509-cert 0.3 gives IssuingDistributionPoint the subjectInfoAccess OID.
const ID_CE_ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");

/// What a CRL is made of.
pub struct CrlRequest<'a> {
    /// The CA whose CRL it is (and whose key signs it).
    pub issuer: &'a IssuingCa,
    /// The CRL number, from the CA's counter.
    pub number: u64,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// For a partition, the URL its certificates name (its issuingDistributionPoint); None for
    /// the full CRL, which names none so that it covers every certificate of the CA.
    pub distribution_point: Option<&'a str>,
    /// The revoked certificates.
    pub entries: &'a [RevokedEntry],
}

/// A CRL ready to be signed.
pub struct PreparedCrl {
    /// The exact `TBSCertList` bytes that will be signed.
    pub tbs: Vec<u8>,
    /// Lint warnings (errors never get this far).
    pub warnings: Vec<Finding>,
    /// Entries in it.
    pub entries: u64,
    signature_algorithm: &'static [u8],
}

fn build_error(e: impl std::fmt::Display) -> IssuanceError {
    IssuanceError::Build(e.to_string())
}

/// What a CRL takes from its CA's certificate: the subject (its issuer name, byte for byte) and
/// the key identifier (its authorityKeyIdentifier).
pub struct CaFacts {
    /// The CA's subject, DER.
    pub subject: Vec<u8>,
    /// The CA certificate's subjectKeyIdentifier, or SHA-1 of its public key (RFC 5280 §4.2.1.2).
    pub key_identifier: Vec<u8>,
}

/// Reads a CA certificate's subject and key identifier.
pub fn ca_facts(certificate: &[u8]) -> Result<CaFacts, IssuanceError> {
    use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};
    let (_, cert) = X509Certificate::from_der(certificate).map_err(build_error)?;
    let key_identifier = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(kid) => Some(kid.0.to_vec()),
            _ => None,
        })
        .unwrap_or_else(|| {
            let key = cert.public_key().subject_public_key.data.as_ref();
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key).as_ref().to_vec()
        });
    Ok(CaFacts { subject: cert.subject().as_raw().to_vec(), key_identifier })
}

/// Assembles and lints a CRL; see the module documentation.
pub fn prepare(request: &CrlRequest<'_>) -> Result<PreparedCrl, IssuanceError> {
    let facts = ca_facts(&request.issuer.certificate)?;
    let signature_algorithm = request.issuer.signer.scheme().algorithm_identifier();
    let tbs = encode_tbs(request, &facts, signature_algorithm)?;
    let context = CrlContext {
        issuer_name: &facts.subject,
        key_identifier: &facts.key_identifier,
        signature_algorithm,
        now: request.this_update,
        distribution_point: request.distribution_point,
    };
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) =
        signet_lint::lint_tbs_crl(&tbs, &context).into_iter().partition(|f| f.severity == signet_lint::Severity::Error);
    if !errors.is_empty() {
        return Err(IssuanceError::Lint(errors));
    }
    Ok(PreparedCrl { tbs, warnings, entries: request.entries.len() as u64, signature_algorithm })
}

/// Has the CA key sign a prepared CRL; answers the `CertificateList` DER.
pub fn sign(issuer: &IssuingCa, prepared: &PreparedCrl) -> Result<Vec<u8>, IssuanceError> {
    let signature = issuer.signer.sign(&prepared.tbs).map_err(|e| IssuanceError::Signing(e.to_string()))?;
    let bit_string_len = signature.len() + 1;
    let content_len =
        prepared.tbs.len() + prepared.signature_algorithm.len() + header_len(bit_string_len) + bit_string_len;
    let mut out = Vec::with_capacity(header_len(content_len) + content_len);
    header(&mut out, 0x30, content_len);
    out.extend_from_slice(&prepared.tbs);
    out.extend_from_slice(prepared.signature_algorithm);
    header(&mut out, 0x03, bit_string_len);
    out.push(0);
    out.extend_from_slice(&signature);
    Ok(out)
}

/// The `TBSCertList` DER.
fn encode_tbs(request: &CrlRequest<'_>, facts: &CaFacts, signature_algorithm: &[u8]) -> Result<Vec<u8>, IssuanceError> {
    let mut entries = Vec::with_capacity(request.entries.len() * 48);
    let mut scratch = Vec::with_capacity(64);
    for entry in request.entries {
        scratch.clear();
        encode_entry(&mut scratch, entry);
        header(&mut entries, 0x30, scratch.len());
        entries.extend_from_slice(&scratch);
    }
    let extensions = crl_extensions(request, facts)?;
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(&[0x02, 0x01, 0x01]); // version v2
    head.extend_from_slice(signature_algorithm);
    head.extend_from_slice(&facts.subject);
    time(&mut head, request.this_update);
    time(&mut head, request.next_update);
    // revokedCertificates is left out when empty (RFC 5280 §5.1.2.6).
    let entries_len = if entries.is_empty() { 0 } else { header_len(entries.len()) + entries.len() };
    let extensions_len = header_len(extensions.len()) + extensions.len();
    let content_len = head.len() + entries_len + extensions_len;
    let mut tbs = Vec::with_capacity(header_len(content_len) + content_len);
    header(&mut tbs, 0x30, content_len);
    tbs.extend_from_slice(&head);
    if !entries.is_empty() {
        header(&mut tbs, 0x30, entries.len());
        tbs.extend_from_slice(&entries);
    }
    drop(entries);
    header(&mut tbs, 0xa0, extensions.len());
    tbs.extend_from_slice(&extensions);
    Ok(tbs)
}

/// `crlExtensions` contents (the SEQUENCE inside `[0]`): authorityKeyIdentifier, cRLNumber and,
/// for a partition, a critical issuingDistributionPoint.
fn crl_extensions(request: &CrlRequest<'_>, facts: &CaFacts) -> Result<Vec<u8>, IssuanceError> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(facts.key_identifier.clone()).map_err(build_error)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let number = CrlNumber(Uint::new(&request.number.to_be_bytes()).map_err(build_error)?);
    let mut extensions =
        vec![extension(ID_CE_AUTHORITY_KEY_IDENTIFIER, false, &aki)?, extension(ID_CE_CRL_NUMBER, false, &number)?];
    if let Some(uri) = request.distribution_point {
        let idp = IssuingDistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![GeneralName::UniformResourceIdentifier(
                Ia5String::new(uri).map_err(build_error)?,
            )])),
            only_contains_user_certs: false,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        };
        extensions.push(extension(ID_CE_ISSUING_DISTRIBUTION_POINT, true, &idp)?);
    }
    extensions.to_der().map_err(build_error)
}

fn extension(id: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension, IssuanceError> {
    let value = value.to_der().map_err(build_error)?;
    Ok(Extension { extn_id: id, critical, extn_value: OctetString::new(value).map_err(build_error)? })
}

/// One `revokedCertificates` entry's contents: serial, revocationDate, and the entry extensions
/// reasonCode (never for unspecified, RFC 5280 §5.3.1) and invalidityDate (§5.3.2).
fn encode_entry(out: &mut Vec<u8>, entry: &RevokedEntry) {
    let magnitude = entry.serial.magnitude();
    let sign = magnitude.first().is_some_and(|b| b & 0x80 != 0);
    header(out, 0x02, magnitude.len() + usize::from(sign));
    if sign {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
    time(out, entry.revoked_at);
    let reason = (entry.reason != RevocationReason::Unspecified).then_some(entry.reason.code());
    // reasonCode: 30 0a 06 03 55 1d 15 04 03 0a 01 CODE; invalidityDate: 30 18 06 03 55 1d 18 04 11 18 0f TIME
    let extensions_len = reason.map_or(0, |_| 12) + entry.invalidity_date.map_or(0, |_| 26);
    if extensions_len == 0 {
        return;
    }
    header(out, 0x30, extensions_len);
    if let Some(code) = reason {
        out.extend_from_slice(&[0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01, code]);
    }
    if let Some(date) = entry.invalidity_date {
        out.extend_from_slice(&[0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11]);
        generalized_time(out, date);
    }
}

/// Time (RFC 5280 §5.1.2.4): UTCTime through 2049, GeneralizedTime from 2050.
fn time(out: &mut Vec<u8>, at: OffsetDateTime) {
    let at = at.to_offset(time::UtcOffset::UTC);
    if (1950..2050).contains(&at.year()) {
        out.extend_from_slice(&[0x17, 13]);
        digits(out, (at.year() % 100) as u32, 2);
        date_time_digits(out, at);
    } else {
        generalized_time(out, at);
    }
}

fn generalized_time(out: &mut Vec<u8>, at: OffsetDateTime) {
    let at = at.to_offset(time::UtcOffset::UTC);
    out.extend_from_slice(&[0x18, 15]);
    digits(out, at.year().clamp(0, 9999) as u32, 4);
    date_time_digits(out, at);
}

/// MMDDHHMMSSZ.
fn date_time_digits(out: &mut Vec<u8>, at: OffsetDateTime) {
    digits(out, u32::from(u8::from(at.month())), 2);
    digits(out, u32::from(at.day()), 2);
    digits(out, u32::from(at.hour()), 2);
    digits(out, u32::from(at.minute()), 2);
    digits(out, u32::from(at.second()), 2);
    out.push(b'Z');
}

fn digits(out: &mut Vec<u8>, value: u32, width: u32) {
    for position in (0..width).rev() {
        out.push(b'0' + ((value / 10u32.pow(position)) % 10) as u8);
    }
}

/// Octets a DER header with a `len`-octet content takes.
fn header_len(len: usize) -> usize {
    match len {
        0..=0x7f => 2,
        0x80..=0xff => 3,
        0x100..=0xffff => 4,
        0x1_0000..=0xff_ffff => 5,
        _ => 6,
    }
}

/// A DER tag and definite length.
fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    let octets = (len as u64).to_be_bytes();
    match header_len(len) {
        2 => out.push(len as u8),
        n => {
            let count = n - 2;
            out.push(0x80 | count as u8);
            out.extend_from_slice(octets.get(8 - count..).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal_der() {
        for (len, expected) in [
            (0usize, vec![0x30, 0x00]),
            (127, vec![0x30, 0x7f]),
            (128, vec![0x30, 0x81, 0x80]),
            (256, vec![0x30, 0x82, 0x01, 0x00]),
            (70_000, vec![0x30, 0x83, 0x01, 0x11, 0x70]),
            (40_000_000, vec![0x30, 0x84, 0x02, 0x62, 0x5a, 0x00]),
        ] {
            let mut out = Vec::new();
            header(&mut out, 0x30, len);
            assert_eq!(out, expected, "{len}");
            assert_eq!(header_len(len), expected.len());
        }
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        let mut out = Vec::new();
        time(&mut out, time::macros::datetime!(2049-12-31 23:59:59 UTC));
        assert_eq!(out, b"\x17\x0d491231235959Z");
        out.clear();
        time(&mut out, time::macros::datetime!(2050-01-01 00:00:00 UTC));
        assert_eq!(out, b"\x18\x0f20500101000000Z");
        out.clear();
        generalized_time(&mut out, time::macros::datetime!(2026-03-04 05:06:07 UTC));
        assert_eq!(out, b"\x18\x0f20260304050607Z");
    }
}
