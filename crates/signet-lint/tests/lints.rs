//! Good and bad fixtures for each lint, made with rcgen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use signet_lint::{CertificateKind, Context, Severity, lint_certificate};
use time::{Duration, OffsetDateTime};

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    not_after: OffsetDateTime,
}

/// A fixed moment: no test depends on today's date (the CA/Browser Forum limits change with it).
fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00 UTC)
}

fn ca() -> Ca {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "Lint Test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now() - Duration::days(1);
    params.not_after = now() + Duration::days(3650);
    let not_after = params.not_after;
    Ca { params, key: KeyPair::generate().unwrap(), not_after }
}

fn good_server() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "www.example.com");
    params.subject_alt_names = vec![SanType::DnsName("www.example.com".try_into().unwrap())];
    params.serial_number = Some(SerialNumber::from_slice(&[0x3a; 16]));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now();
    params.not_after = now() + Duration::days(90);
    // certificatePolicies { 2.23.140.1.2.1 }
    let dv = vec![0x30, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01];
    params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 32], dv));
    params
}

fn lint(params: &CertificateParams, ca: &Ca, kind: CertificateKind) -> Vec<String> {
    let leaf = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&leaf, &issuer).unwrap();
    let context = Context { kind, issuer_not_after: Some(ca.not_after), allow_long_validity: false };
    lint_certificate(cert.der(), &context)
        .unwrap()
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.lint.to_string())
        .collect()
}

#[test]
fn a_good_server_certificate_has_no_errors() {
    let ca = ca();
    assert_eq!(lint(&good_server(), &ca, CertificateKind::TlsServer), Vec::<String>::new());
}

#[test]
fn each_bad_fixture_trips_its_lint() {
    let ca = ca();
    type Change = Box<dyn Fn(&mut CertificateParams)>;
    let cases: Vec<(&str, Change)> = vec![
        ("serial-entropy", Box::new(|p| p.serial_number = Some(SerialNumber::from(1u64)))),
        ("validity-order", Box::new(|p| p.not_after = p.not_before - Duration::days(1))),
        ("validity-exceeds-issuer", Box::new(|p| p.not_after = now() + Duration::days(4000))),
        ("validity-br-limit", Box::new(|p| p.not_after = p.not_before + Duration::days(398))),
        ("san-present", Box::new(|p| p.subject_alt_names.clear())),
        (
            "cn-in-san",
            Box::new(|p| p.subject_alt_names = vec![SanType::DnsName("other.example.com".try_into().unwrap())]),
        ),
        (
            "dns-name-form",
            Box::new(|p| p.subject_alt_names.push(SanType::DnsName("WWW.Example.com".try_into().unwrap()))),
        ),
        (
            "dns-name-syntax",
            Box::new(|p| p.subject_alt_names.push(SanType::DnsName("bad_name.example.com".try_into().unwrap()))),
        ),
        ("key-usage-leaf", Box::new(|p| p.key_usages.push(KeyUsagePurpose::KeyCertSign))),
        ("key-usage-ec-encipherment", Box::new(|p| p.key_usages.push(KeyUsagePurpose::KeyEncipherment))),
        ("eku-server-auth", Box::new(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth])),
        ("eku-any", Box::new(|p| p.extended_key_usages.push(ExtendedKeyUsagePurpose::Any))),
        ("basic-constraints-leaf", Box::new(|p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained))),
        ("aki-present", Box::new(|p| p.use_authority_key_identifier_extension = false)),
        (
            "br-internal-name",
            Box::new(|p| p.subject_alt_names.push(SanType::DnsName("printer.local".try_into().unwrap()))),
        ),
        (
            "br-wildcard-public-suffix",
            Box::new(|p| p.subject_alt_names.push(SanType::DnsName("*.github.io".try_into().unwrap()))),
        ),
        (
            "br-reserved-address",
            Box::new(|p| p.subject_alt_names.push(SanType::IpAddress("10.1.2.3".parse().unwrap()))),
        ),
    ];
    for (expected, change) in cases {
        let mut params = good_server();
        change(&mut params);
        let errors = lint(&params, &ca, CertificateKind::TlsServer);
        assert!(errors.iter().any(|e| e == expected), "{expected}: got {errors:?}");
    }
}

/// Without a CA/Browser Forum policy a certificate is private: internal names, private addresses
/// and no certificatePolicies at all are its own business.
#[test]
fn private_certificates_may_name_internal_hosts() {
    let ca = ca();
    let mut params = good_server();
    params.custom_extensions.clear();
    params.subject_alt_names.push(SanType::DnsName("printer.local".try_into().unwrap()));
    params.subject_alt_names.push(SanType::IpAddress("10.1.2.3".parse().unwrap()));
    assert_eq!(lint(&params, &ca, CertificateKind::TlsServer), Vec::<String>::new());
}

#[test]
fn long_validity_is_only_a_warning_when_the_profile_allows_it() {
    let ca = ca();
    let mut params = good_server();
    params.not_after = params.not_before + Duration::days(365);
    let leaf = KeyPair::generate().unwrap();
    let cert = params.signed_by(&leaf, &Issuer::from_params(&ca.params, &ca.key)).unwrap();
    let context =
        Context { kind: CertificateKind::TlsServer, issuer_not_after: Some(ca.not_after), allow_long_validity: true };
    let findings = lint_certificate(cert.der(), &context).unwrap();
    assert!(findings.iter().any(|f| f.lint == "validity-br-limit" && f.severity == Severity::Warning));
    assert!(signet_lint::errors(&findings).is_empty());
}

#[test]
fn ca_certificates_need_constraints_and_key_cert_sign() {
    let ca = ca();
    let mut sub = CertificateParams::default();
    sub.distinguished_name.push(DnType::CountryName, "XX");
    sub.distinguished_name.push(DnType::CommonName, "Sub");
    sub.serial_number = Some(SerialNumber::from_slice(&[0x4b; 16]));
    sub.use_authority_key_identifier_extension = true;
    sub.not_after = now() + Duration::days(365);
    let errors = lint(&sub, &ca, CertificateKind::SubordinateCa);
    assert!(errors.contains(&"basic-constraints-ca".to_string()), "{errors:?}");
    assert!(errors.contains(&"key-usage-present".to_string()), "{errors:?}");
    sub.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    sub.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    assert_eq!(lint(&sub, &ca, CertificateKind::SubordinateCa), Vec::<String>::new());
    // A country is required of publicly trusted CAs only (those asserting a CA/B Forum policy).
    let mut private = CertificateParams::default();
    private.distinguished_name.push(DnType::CommonName, "Private Sub");
    private.serial_number = sub.serial_number.clone();
    private.use_authority_key_identifier_extension = true;
    private.not_after = sub.not_after;
    private.is_ca = sub.is_ca;
    private.key_usages = sub.key_usages.clone();
    assert_eq!(lint(&private, &ca, CertificateKind::SubordinateCa), Vec::<String>::new());
    let dv = good_server().custom_extensions;
    private.custom_extensions = dv;
    assert_eq!(lint(&private, &ca, CertificateKind::SubordinateCa), ["ca-country"]);
}

#[test]
fn br_schedule() {
    use time::macros::datetime;
    assert_eq!(signet_lint::br_max_validity_days(datetime!(2026-03-14 23:59 UTC)), 398);
    assert_eq!(signet_lint::br_max_validity_days(datetime!(2026-11-25 00:00 UTC)), 200);
    assert_eq!(signet_lint::br_max_validity_days(datetime!(2027-03-15 00:00 UTC)), 100);
    assert_eq!(signet_lint::br_max_validity_days(datetime!(2029-03-15 00:00 UTC)), 47);
}
