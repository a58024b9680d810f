//! Good and bad fixtures for the issuer-constraints lint, made with rcgen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};
use signet_lint::lint_issuer_constraints;
use x509_parser::prelude::FromDer;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

fn ca(constraints: Option<NameConstraints>) -> Ca {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "Constrained CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.name_constraints = constraints;
    let key = KeyPair::generate().unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { params, key, der }
}

fn findings(ca: &Ca, sans: Vec<SanType>) -> Vec<String> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "leaf");
    params.subject_alt_names = sans;
    let leaf = params.signed_by(&KeyPair::generate().unwrap(), &Issuer::from_params(&ca.params, &ca.key)).unwrap();
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(leaf.der()).unwrap();
    lint_issuer_constraints(&parsed, &ca.der).into_iter().map(|f| format!("{}: {}", f.lint, f.message)).collect()
}

fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().unwrap())
}

#[test]
fn names_inside_the_permitted_subtrees_pass() {
    let ca = ca(Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("example.com".into())],
        excluded_subtrees: vec![],
    }));
    assert!(findings(&ca, vec![dns("example.com"), dns("www.example.com"), dns("*.example.com")]).is_empty());
    // An issuer without nameConstraints limits nothing.
    assert!(findings(&self::ca(None), vec![dns("anything.test")]).is_empty());
}

#[test]
fn names_outside_permitted_or_inside_excluded_subtrees_are_errors() {
    let ca = ca(Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("example.com".into()),
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([10, 0, 0, 0], 8)),
        ],
        excluded_subtrees: vec![GeneralSubtree::DnsName("bar.example.com".into())],
    }));
    let outside = findings(&ca, vec![dns("www.example.org")]);
    assert_eq!(outside.len(), 1);
    assert!(
        outside[0]
            .starts_with("name-constraints: the DNS name www.example.org is outside the subtrees (DNS example.com)"),
        "{outside:?}"
    );
    assert!(findings(&ca, vec![dns("a.bar.example.com")])[0].contains("inside the subtree DNS bar.example.com"));
    // CVE-2025-61727: a wildcard that can stand for an excluded name.
    assert!(findings(&ca, vec![dns("*.example.com")])[0].contains("DNS name *.example.com is inside the subtree"));
    let ip = findings(&ca, vec![SanType::IpAddress("192.0.2.1".parse().unwrap())]);
    assert!(ip[0].contains("IP address 192.0.2.1 is outside the subtrees (IP 10.0.0.0/8)"), "{ip:?}");
    assert!(findings(&ca, vec![SanType::IpAddress("10.1.2.3".parse().unwrap())]).is_empty());
}
