//! The CRL lints on good and bad `TBSCertList`s built with the x509-cert types (an encoder other
//! than signet's own, so each fault is made on purpose).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use der::asn1::{Ia5String, ObjectIdentifier, OctetString, UtcTime};
use der::{Decode, Encode};
use signet_lint::crl::CrlContext;
use signet_lint::{Severity, lint_tbs_crl};
use time::OffsetDateTime;
use x509_cert::Version;
use x509_cert::crl::{RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

const ECDSA_SHA256: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const KEY_ID: &[u8] = &[7; 20];
const NOW: u64 = 1_780_315_200; // 2026-06-01 12:00 UTC

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW as i64).unwrap()
}

fn time(seconds: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(std::time::Duration::from_secs(seconds)).unwrap())
}

fn issuer() -> Name {
    "CN=Lint Test CA,O=Example".parse().unwrap()
}

fn extension(oid: &str, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new(oid).unwrap(),
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

fn aki() -> Extension {
    let aki = x509_cert::ext::pkix::AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(KEY_ID).unwrap()),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extension("2.5.29.35", false, &aki)
}

fn number(critical: bool) -> Extension {
    extension("2.5.29.20", critical, &der::asn1::Uint::new(&[0x01, 0x00]).unwrap())
}

fn idp(uri: &str) -> Extension {
    let idp = IssuingDistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![GeneralName::UniformResourceIdentifier(
            Ia5String::new(uri).unwrap(),
        )])),
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    extension("2.5.29.28", true, &idp)
}

fn revoked(serial: &[u8], reason: Option<u8>) -> RevokedCert {
    let extensions = reason.map(|code| {
        let mut value = vec![0x0a, 0x01, code];
        value.truncate(3);
        vec![Extension {
            extn_id: ObjectIdentifier::new("2.5.29.21").unwrap(),
            critical: false,
            extn_value: OctetString::new(value).unwrap(),
        }]
    });
    RevokedCert {
        serial_number: SerialNumber::new(serial).unwrap(),
        revocation_date: time(NOW - 3600),
        crl_entry_extensions: extensions,
    }
}

fn good() -> TbsCertList {
    TbsCertList {
        version: Version::V2,
        signature: AlgorithmIdentifierOwned::from_der(ECDSA_SHA256).unwrap(),
        issuer: issuer(),
        this_update: time(NOW),
        next_update: Some(time(NOW + 7 * 86_400)),
        revoked_certificates: Some(vec![revoked(&[0x12; 16], Some(1)), revoked(&[0x34; 9], None)]),
        crl_extensions: Some(vec![aki(), number(false)]),
    }
}

/// The error lints `tbs` trips, linted as the full CRL (`uri` None) or a partition.
fn errors(tbs: &TbsCertList, uri: Option<&str>) -> Vec<&'static str> {
    let issuer = issuer().to_der().unwrap();
    let context = CrlContext {
        issuer_name: &issuer,
        key_identifier: KEY_ID,
        signature_algorithm: ECDSA_SHA256,
        now: now(),
        distribution_point: uri,
    };
    let mut found: Vec<&'static str> = lint_tbs_crl(&tbs.to_der().unwrap(), &context)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.lint)
        .collect();
    found.dedup();
    found
}

#[test]
fn a_good_crl_passes() {
    assert_eq!(errors(&good(), None), Vec::<&str>::new());
    let mut partition = good();
    partition.crl_extensions.as_mut().unwrap().push(idp("http://ca.example.com/crl/x/1.crl"));
    assert_eq!(errors(&partition, Some("http://ca.example.com/crl/x/1.crl")), Vec::<&str>::new());
}

/// A change that breaks a good TBS.
type Fault = Box<dyn Fn(&mut TbsCertList)>;

#[test]
fn each_fault_is_named() {
    let cases: Vec<(&str, Fault)> = vec![
        ("crl-version", Box::new(|t| t.version = Version::V1)),
        ("crl-validity", Box::new(|t| t.next_update = Some(time(NOW + 30 * 86_400)))),
        ("crl-validity", Box::new(|t| t.next_update = Some(time(NOW - 60)))),
        ("crl-next-update", Box::new(|t| t.next_update = None)),
        ("crl-this-update", Box::new(|t| t.this_update = time(NOW + 86_400))),
        ("crl-entries-empty", Box::new(|t| t.revoked_certificates = Some(vec![]))),
        ("crl-reason-unspecified", Box::new(|t| t.revoked_certificates = Some(vec![revoked(&[9; 16], Some(0))]))),
        ("crl-reason-code", Box::new(|t| t.revoked_certificates = Some(vec![revoked(&[9; 16], Some(8))]))),
        ("crl-entry-serial", Box::new(|t| t.revoked_certificates = Some(vec![revoked(&[0], Some(1))]))),
        ("crl-number-critical", Box::new(|t| t.crl_extensions = Some(vec![aki(), number(true)]))),
        ("crl-number", Box::new(|t| t.crl_extensions = Some(vec![aki()]))),
        ("crl-aki", Box::new(|t| t.crl_extensions = Some(vec![number(false)]))),
        ("crl-extension-unique", Box::new(|t| t.crl_extensions = Some(vec![aki(), number(false), number(false)]))),
        ("crl-issuer", Box::new(|t| t.issuer = "CN=Someone Else".parse().unwrap())),
        (
            "crl-delta",
            Box::new(|t| {
                t.crl_extensions.as_mut().unwrap().push(extension(
                    "2.5.29.27",
                    true,
                    &der::asn1::Uint::new(&[1]).unwrap(),
                ))
            }),
        ),
        ("crl-idp", Box::new(|t| t.crl_extensions.as_mut().unwrap().push(idp("http://ca.example.com/crl/x.crl")))),
    ];
    for (lint, fault) in cases {
        let mut tbs = good();
        fault(&mut tbs);
        let found = errors(&tbs, None);
        assert!(found.contains(&lint), "{lint}: found {found:?}");
    }
    // A partition must name its own URL, and only that.
    assert!(errors(&good(), Some("http://ca.example.com/crl/x/2.crl")).contains(&"crl-idp"));
    let mut other = good();
    other.crl_extensions.as_mut().unwrap().push(idp("http://ca.example.com/crl/x/1.crl"));
    assert!(errors(&other, Some("http://ca.example.com/crl/x/2.crl")).contains(&"crl-idp"));
    // Not DER at all: one finding, no panic.
    let context = CrlContext {
        issuer_name: &[],
        key_identifier: KEY_ID,
        signature_algorithm: ECDSA_SHA256,
        now: now(),
        distribution_point: None,
    };
    for garbage in [&b""[..], b"\x30\x84\x7f\xff\xff\xff", b"\x30\x03\x02\x01", b"junk"] {
        let found = lint_tbs_crl(garbage, &context);
        assert!(found.iter().any(|f| f.lint == "crl-der" || f.severity == Severity::Error), "{found:?}");
    }
}
