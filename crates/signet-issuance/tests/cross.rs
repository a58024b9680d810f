//! Cross-certificates: a second root signs a certificate repeating a subordinate CA's subject,
//! key identifier and constraints, made through the same lint-and-record path as any CA
//! certificate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use std::sync::Arc;

use signet_issuance::ca::{self, CaSpec};
use signet_issuance::*;
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00 UTC)
}

fn spec(cn: &str, days: i64, path_length: Option<u8>) -> CaSpec {
    CaSpec {
        common_name: cn.into(),
        organization: Some("Example".into()),
        country: Some(signet_model::Country::parse("GB").unwrap()),
        validity: Duration::days(days),
        path_length,
        permitted_dns: vec![],
        policies: vec![],
    }
}

fn root(id: i64, cn: &str, days: i64) -> IssuingCa {
    let key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP384).unwrap());
    IssuingCa {
        id: signet_model::CaId::new(id).unwrap(),
        name: cn.to_lowercase().replace(' ', "-"),
        certificate: ca::root(&spec(cn, days, Some(1)), key.clone(), now()).unwrap(),
        signer: key,
        not_after: now() + Duration::days(days - 1),
        is_test: false,
    }
}

fn extensions(der: &[u8]) -> Vec<String> {
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    let mut found: Vec<String> = cert
        .extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(format!("ski {:?}", id.0)),
            ParsedExtension::BasicConstraints(b) => Some(format!("bc {} {:?}", b.ca, b.path_len_constraint)),
            ParsedExtension::NameConstraints(nc) => Some(format!("nc {:?}", nc.permitted_subtrees)),
            ParsedExtension::CertificatePolicies(p) => {
                Some(format!("policies {:?}", p.iter().map(|p| p.policy_id.to_id_string()).collect::<Vec<_>>()))
            }
            ParsedExtension::ExtendedKeyUsage(eku) => Some(format!("eku {} {}", eku.server_auth, eku.client_auth)),
            _ => None,
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_cross_certificate_repeats_the_subject_key_and_constraints() {
    let urls = Urls { base: Some("http://ca.example.com".into()), ..Default::default() };
    let (first, second) = (root(1, "First Root", 3650), root(2, "Second Root", 3650));
    let sub_key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap());
    let mut sub_spec = spec("Example Issuing", 1000, Some(0));
    sub_spec.permitted_dns = vec![signet_model::DnsName::parse("example.com").unwrap()];
    sub_spec.policies = vec!["1.3.6.1.4.1.99999.1".into()];
    let prepared = ca::subordinate(&sub_spec, sub_key.spki_der(), &first, &urls, now()).unwrap();
    let sub = certificate::sign(&first, &prepared).unwrap();

    let cross = cross::cross_certificate(&sub, &second, &urls, now(), Duration::days(365)).unwrap();
    let der = certificate::sign(&second, &cross).unwrap();
    let (_, made) = X509Certificate::from_der(&der).unwrap();
    let (_, original) = X509Certificate::from_der(&sub).unwrap();
    let (_, signer) = X509Certificate::from_der(&second.certificate).unwrap();
    assert_eq!(made.subject().as_raw(), original.subject().as_raw());
    assert_eq!(made.public_key().raw, original.public_key().raw);
    assert_eq!(made.issuer().as_raw(), signer.subject().as_raw());
    made.verify_signature(Some(signer.public_key())).unwrap();
    assert_eq!(extensions(&der), extensions(&sub));
    let crl = made
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => Some(format!("{points:?}")),
            _ => None,
        })
        .unwrap();
    assert!(crl.contains("second-root"), "the signer's CRL: {crl}");
    // What the CSR of a cross-sign says: the same subject, signed by the CA's own key.
    let csr = cross::request(&sub, sub_key.as_ref()).unwrap();
    let (_, parsed) = x509_parser::certification_request::X509CertificationRequest::from_der(&csr).unwrap();
    assert_eq!(parsed.certification_request_info.subject.as_raw(), original.subject().as_raw());

    // Never past the signer's end; never for what is not a certificate.
    let long = cross::cross_certificate(&sub, &second, &urls, now(), Duration::days(4000));
    assert!(matches!(long, Err(IssuanceError::OutlivesIssuer { .. })), "{:?}", long.err());
    let garbage = cross::cross_certificate(b"not a certificate", &second, &urls, now(), Duration::days(30));
    assert!(matches!(garbage, Err(IssuanceError::CrossSign(m)) if m.contains("does not parse")));
}
