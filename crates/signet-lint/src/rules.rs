//! The lints, one function each.

use std::collections::HashSet;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKCS1_RSAENCRYPTION, OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_ALT_NAME, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};

use crate::{CertificateKind, Context, Finding, Severity};

fn date(year: i32, month: Month, day: u8) -> OffsetDateTime {
    Date::from_calendar_date(year, month, day)
        .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The BR §6.3.2 maximum validity of a subscriber certificate issued at `at`, in days:
/// 398 before 2026-03-15, 200 from then, 100 from 2027-03-15, 47 from 2029-03-15.
pub fn br_max_validity_days(at: OffsetDateTime) -> i64 {
    if at >= date(2029, Month::March, 15) {
        47
    } else if at >= date(2027, Month::March, 15) {
        100
    } else if at >= date(2026, Month::March, 15) {
        200
    } else {
        398
    }
}

fn error(findings: &mut Vec<Finding>, lint: &'static str, message: String) {
    findings.push(Finding { lint, severity: Severity::Error, message });
}

fn warning(findings: &mut Vec<Finding>, lint: &'static str, message: String) {
    findings.push(Finding { lint, severity: Severity::Warning, message });
}

pub(crate) fn run(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    version(cert, findings);
    serial(cert, findings);
    validity(cert, context, findings);
    extensions_unique(cert, findings);
    signature_algorithms_match(cert, findings);
    basic_constraints(cert, context, findings);
    key_usage(cert, context, findings);
    extended_key_usage(cert, context, findings);
    names(cert, context, findings);
    key_identifiers(cert, context, findings);
}

fn version(cert: &X509Certificate<'_>, findings: &mut Vec<Finding>) {
    if cert.version().0 != 2 {
        error(
            findings,
            "version-3",
            format!("version is v{}, certificates with extensions must be v3", cert.version().0 + 1),
        );
    }
}

fn serial(cert: &X509Certificate<'_>, findings: &mut Vec<Finding>) {
    let raw = cert.raw_serial();
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        error(findings, "serial-positive", "the serial number is negative".into());
    }
    let magnitude: &[u8] = match raw.iter().position(|b| *b != 0) {
        Some(start) => raw.get(start..).unwrap_or_default(),
        None => &[],
    };
    if magnitude.is_empty() {
        error(findings, "serial-positive", "the serial number is zero".into());
    }
    if raw.len() > 20 {
        error(findings, "serial-length", format!("the serial number has {} octets; RFC 5280 allows 20", raw.len()));
    }
    if magnitude.len() < 9 {
        error(
            findings,
            "serial-entropy",
            format!(
                "the serial number has {} octets; BR §7.1 requires 64 bits of CSPRNG output (signet uses 128)",
                magnitude.len()
            ),
        );
    }
}

fn validity(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    if not_after <= not_before {
        error(findings, "validity-order", "notAfter is not after notBefore".into());
        return;
    }
    if let Some(issuer_end) = context.issuer_not_after
        && not_after > issuer_end
    {
        error(
            findings,
            "validity-exceeds-issuer",
            format!("the certificate would be valid until {not_after} but its issuer expires on {issuer_end}"),
        );
    }
    if context.kind == CertificateKind::Root {
        // BR §6.3.2 / §7.1.2.1: a root is valid for 2922 to 9132 days (8 to 25 years).
        let days = (not_after - not_before).whole_days() + 1;
        if !(2922..=9132).contains(&days) {
            error(
                findings,
                "root-validity",
                format!("a root CA certificate must be valid for 8 to 25 years (2922-9132 days), not {days} days"),
            );
        }
    }
    if context.kind == CertificateKind::TlsServer {
        // RFC 5280 validity is inclusive of both ends: a period of N days is N days plus one second.
        let seconds = (not_after - not_before).whole_seconds() + 1;
        let limit = br_max_validity_days(not_before);
        if seconds > limit * 86_400 {
            let days = seconds as f64 / 86_400.0;
            let message = format!(
                "validity of {days:.1} days exceeds the CA/Browser Forum limit of {limit} days for TLS server certificates issued now"
            );
            if context.allow_long_validity {
                warning(findings, "validity-br-limit", message);
            } else {
                error(findings, "validity-br-limit", message);
            }
        }
    }
}

fn extensions_unique(cert: &X509Certificate<'_>, findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for ext in cert.extensions() {
        if !seen.insert(&ext.oid) {
            error(findings, "extension-unique", format!("extension {} appears twice", ext.oid));
        }
        if let ParsedExtension::ParseError { error: e } = ext.parsed_extension() {
            error(findings, "extension-malformed", format!("extension {} does not parse: {e}", ext.oid));
        }
    }
}

fn signature_algorithms_match(cert: &X509Certificate<'_>, findings: &mut Vec<Finding>) {
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        error(findings, "signature-algorithm-mismatch", "the outer and inner signature algorithms differ".into());
    }
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    if signet_codec::oids::is_weak_signature(&oid) {
        error(findings, "signature-algorithm-weak", format!("signature algorithm {oid} uses MD5 or SHA-1"));
    }
}

fn is_ca_kind(kind: CertificateKind) -> bool {
    matches!(kind, CertificateKind::Root | CertificateKind::SubordinateCa)
}

fn basic_constraints(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let found = cert.extensions().iter().find(|e| e.oid == OID_X509_EXT_BASIC_CONSTRAINTS);
    let parsed = found.and_then(|e| match e.parsed_extension() {
        ParsedExtension::BasicConstraints(bc) => Some((e.critical, bc.ca)),
        _ => None,
    });
    if is_ca_kind(context.kind) {
        match parsed {
            Some((true, true)) => {}
            Some((false, true)) => {
                error(findings, "basic-constraints-critical", "basicConstraints of a CA must be critical".into())
            }
            _ => error(findings, "basic-constraints-ca", "a CA certificate needs basicConstraints cA=TRUE".into()),
        }
    } else if parsed.is_some_and(|(_, ca)| ca) {
        error(findings, "basic-constraints-leaf", "a subscriber certificate must not be a CA".into());
    }
}

fn key_usage(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let found = cert.extensions().iter().find(|e| e.oid == OID_X509_EXT_KEY_USAGE);
    let Some(ext) = found else {
        if is_ca_kind(context.kind) {
            error(findings, "key-usage-present", "a CA certificate needs keyUsage".into());
        } else {
            warning(findings, "key-usage-present", "keyUsage SHOULD be present (BR §7.1.2.7)".into());
        }
        return;
    };
    if !ext.critical {
        warning(findings, "key-usage-critical", "keyUsage SHOULD be critical".into());
    }
    let ParsedExtension::KeyUsage(ku) = ext.parsed_extension() else { return };
    if is_ca_kind(context.kind) {
        if !ku.key_cert_sign() {
            error(findings, "key-usage-ca", "a CA certificate needs keyCertSign".into());
        }
        return;
    }
    if ku.key_cert_sign() || ku.crl_sign() {
        error(findings, "key-usage-leaf", "a subscriber certificate must not have keyCertSign or cRLSign".into());
    }
    let is_rsa = cert.public_key().algorithm.algorithm == OID_PKCS1_RSAENCRYPTION;
    if !is_rsa && (ku.key_encipherment() || ku.data_encipherment()) {
        error(
            findings,
            "key-usage-ec-encipherment",
            "an EC or EdDSA key cannot encipher; keyEncipherment is wrong here".into(),
        );
    }
    if !(ku.digital_signature() || is_rsa && ku.key_encipherment()) {
        error(findings, "key-usage-tls", "TLS needs digitalSignature (or keyEncipherment for RSA)".into());
    }
}

fn extended_key_usage(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let eku = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::ExtendedKeyUsage(eku) => Some(eku),
        _ => None,
    });
    match (context.kind, eku) {
        (CertificateKind::TlsServer, None) => {
            error(findings, "eku-present", "a TLS server certificate needs extKeyUsage serverAuth".into())
        }
        (CertificateKind::TlsServer, Some(e)) if !e.server_auth => {
            error(findings, "eku-server-auth", "a TLS server certificate needs extKeyUsage serverAuth".into())
        }
        (CertificateKind::TlsClient, Some(e)) if !e.client_auth => {
            error(findings, "eku-client-auth", "a TLS client certificate needs extKeyUsage clientAuth".into())
        }
        (CertificateKind::TlsServer | CertificateKind::TlsClient, Some(e)) if e.any => {
            error(findings, "eku-any", "anyExtendedKeyUsage is not allowed in subscriber certificates".into())
        }
        (CertificateKind::OcspResponder, e) if !e.is_some_and(|e| e.ocsp_signing) => error(
            findings,
            "eku-ocsp-signing",
            "a delegated OCSP responder needs extKeyUsage id-kp-OCSPSigning (RFC 6960 §4.2.2.2)".into(),
        ),
        (CertificateKind::OcspResponder, Some(e)) if e.server_auth || e.client_auth || e.any => {
            error(findings, "eku-ocsp-only", "a delegated OCSP responder certificate is for OCSP signing only".into())
        }
        _ => {}
    }
    if context.kind == CertificateKind::OcspResponder {
        let nocheck = cert.extensions().iter().any(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.48.1.5");
        if !nocheck {
            error(
                findings,
                "ocsp-nocheck",
                "a delegated OCSP responder needs id-pkix-ocsp-nocheck, or relying parties must check its revocation (RFC 6960 §4.2.2.2.1)".into(),
            );
        }
    }
}

fn names(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let san = cert.extensions().iter().find(|e| e.oid == OID_X509_EXT_SUBJECT_ALT_NAME);
    let general_names: Vec<GeneralName<'_>> = san
        .and_then(|e| match e.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(s) => Some(s.general_names.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let subscriber = matches!(context.kind, CertificateKind::TlsServer | CertificateKind::TlsClient);
    if context.kind == CertificateKind::TlsServer && general_names.is_empty() {
        error(findings, "san-present", "a TLS server certificate needs subjectAltName with the host names".into());
    }
    if san.is_some() && cert.subject().iter_attributes().next().is_none() && !san.is_some_and(|e| e.critical) {
        error(findings, "san-critical", "with an empty subject, subjectAltName must be critical".into());
    }
    for name in &general_names {
        if let GeneralName::DNSName(dns) = name {
            match signet_model::DnsName::parse(dns) {
                Ok(parsed) if parsed.as_str() == *dns => {}
                Ok(parsed) => {
                    error(findings, "dns-name-form", format!("dNSName {dns:?} is not in canonical form ({parsed})"))
                }
                Err(e) => error(findings, "dns-name-syntax", format!("dNSName {dns:?}: {e}")),
            }
        }
    }
    if subscriber {
        for cn in cert.subject().iter_common_name() {
            let Ok(value) = cn.as_str() else { continue };
            let listed = general_names.iter().any(|n| match n {
                GeneralName::DNSName(d) => *d == value,
                GeneralName::IPAddress(bytes) => value.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
                    std::net::IpAddr::V4(v4) => *bytes == v4.octets().as_slice(),
                    std::net::IpAddr::V6(v6) => *bytes == v6.octets().as_slice(),
                }),
                GeneralName::RFC822Name(e) => *e == value,
                _ => false,
            });
            if context.kind == CertificateKind::TlsServer && !listed {
                error(
                    findings,
                    "cn-in-san",
                    format!("the common name {value:?} is not one of the subjectAltNames (BR §7.1.4.3)"),
                );
            }
        }
    }
}

fn key_identifiers(cert: &X509Certificate<'_>, context: &Context, findings: &mut Vec<Finding>) {
    let has = |oid: &Oid<'_>| cert.extensions().iter().any(|e| e.oid == *oid);
    if is_ca_kind(context.kind) && cert.subject().iter_country().next().is_none() {
        // Required of publicly trusted CAs only: a private CA (no CA/B Forum policy) may omit it.
        let message = "a publicly trusted CA certificate's subject needs a country (C) (BR §7.1.2.10.2)".to_string();
        if crate::public_names::asserts_cabf_policy(cert) {
            error(findings, "ca-country", message);
        } else {
            warning(findings, "ca-country", message);
        }
    }
    if context.kind != CertificateKind::Root && !has(&OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER) {
        error(findings, "aki-present", "authorityKeyIdentifier is required (RFC 5280 §4.2.1.1)".into());
    }
    if is_ca_kind(context.kind) && !has(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER) {
        error(findings, "ski-present", "a CA certificate needs subjectKeyIdentifier".into());
    }
}
