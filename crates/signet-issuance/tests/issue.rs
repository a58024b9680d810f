//! Root → subordinate → leaf, through prepare (lint, record) and sign.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use std::sync::Arc;

use signet_issuance::ca::{self, CaSpec};
use signet_issuance::certificate::{self, LeafRequest};
use signet_issuance::profile::KeyRules;
use signet_issuance::*;
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_model::{Identifier, Role};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::FromDer;

/// A fixed moment: no test depends on today's date (the CA/Browser Forum limits change with it).
fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00 UTC)
}

fn server_profile() -> Profile {
    Profile {
        name: "server".into(),
        issuer: "issuing".into(),
        kind: ProfileKind::Server,
        validity: None,
        allow_long_validity: false,
        keys: KeyRules::default(),
        names: NameRules::default(),
        subject: SubjectPolicy::CnOnly,
        approval: Approval::Manager,
        enroll_roles: vec![Role::Enrollee],
        policies: vec!["2.23.140.1.2.1".into()],
        path_length: None,
        acme: false,
        description: None,
    }
}

fn hierarchy() -> (IssuingCa, IssuingCa, Urls) {
    let now = now();
    let urls = Urls { base: Some("http://ca.example.com".into()), ..Default::default() };
    let root_key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP384).unwrap());
    let spec = CaSpec {
        common_name: "Test Root".into(),
        organization: Some("Example".into()),
        country: Some(signet_model::Country::parse("GB").unwrap()),
        validity: Duration::days(3650),
        path_length: Some(1),
        permitted_dns: vec![],
        policies: vec!["2.23.140.1.2.1".into()],
    };
    let root_der = ca::root(&spec, root_key.clone(), now).unwrap();
    let root = IssuingCa {
        id: signet_model::CaId::new(1).unwrap(),
        name: "root".into(),
        certificate: root_der,
        signer: root_key,
        not_after: now + Duration::days(3649),
        is_test: false,
    };
    let sub_key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap());
    let sub_spec =
        CaSpec { common_name: "Test Issuing".into(), validity: Duration::days(1000), path_length: Some(0), ..spec };
    let prepared = ca::subordinate(&sub_spec, sub_key.spki_der(), &root, &urls, now).unwrap();
    let sub_der = certificate::sign(&root, &prepared).unwrap();
    let sub = IssuingCa {
        id: signet_model::CaId::new(2).unwrap(),
        name: "issuing".into(),
        certificate: sub_der,
        signer: sub_key,
        not_after: now + Duration::days(999),
        is_test: false,
    };
    (root, sub, urls)
}

#[test]
fn a_chain_that_verifies_and_a_tbs_that_was_recorded() {
    let (root, sub, urls) = hierarchy();
    let (_, root_cert) = x509_parser::certificate::X509Certificate::from_der(&root.certificate).unwrap();
    let (_, sub_cert) = x509_parser::certificate::X509Certificate::from_der(&sub.certificate).unwrap();
    root_cert.verify_signature(None).unwrap();
    sub_cert.verify_signature(Some(root_cert.public_key())).unwrap();

    let leaf_key = SoftwareKey::generate(KeyAlgorithm::Rsa2048).unwrap();
    let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
        subject: signet_subscriber::SubjectInput { common_name: Some("www.example.com".into()), ..Default::default() },
        sans: vec!["example.com".into()],
    })
    .unwrap();
    let csr = signet_subscriber::build(&plan, &leaf_key).unwrap();
    let facts = csr::examine(&csr, &KeyRules::default()).unwrap();
    let profile = server_profile();
    key_quality::check(&facts.spki_der, &facts.key, &profile.keys, &WeakKeys::default()).unwrap();
    let names = csr::check_names(&facts.requested, &profile).unwrap();
    let request = LeafRequest { profile: &profile, issuer: &sub, csr: &facts, names: &names, urls: &urls, now: now() };
    let prepared = certificate::prepare(&request).unwrap();
    // What the queue shows is what the certificate holds.
    assert_eq!(certificate::effective_subject(&profile, &facts, &names).to_string(), prepared.subject);
    let der = certificate::sign(&sub, &prepared).unwrap();
    let (_, leaf) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
    leaf.verify_signature(Some(sub_cert.public_key())).unwrap();
    assert_eq!(leaf.tbs_certificate.as_ref(), prepared.tbs.as_slice(), "the signed TBS is the recorded one");
    assert_eq!(leaf.raw_serial().len(), 16 + usize::from(prepared.serial.magnitude()[0] >= 0x80));
    let seconds =
        (leaf.validity().not_after.to_datetime() - leaf.validity().not_before.to_datetime()).whole_seconds() + 1;
    // One day under the CA/Browser Forum limit in force today (200 days, 100 from 2027-03-15).
    let limit = signet_lint::br_max_validity_days(now());
    assert_eq!(seconds, (limit - 1) * 86_400);
    let info = signet_codec::describe::certificate(&der, now()).unwrap();
    assert_eq!(info.subject, "CN=www.example.com");
    assert_eq!(info.subject_alt_names, ["dns:www.example.com", "dns:example.com"]);
    assert_eq!(info.key_usage, ["digitalSignature", "keyEncipherment"]);
    assert_eq!(info.crl_urls, ["http://ca.example.com/crl/issuing.crl"]);
    assert_eq!(info.ca_issuer_urls, ["http://ca.example.com/ca/issuing.crt"]);
    assert_eq!(info.policies, ["2.23.140.1.2.1"]);
}

#[test]
fn issuance_refuses_what_it_must() {
    let (_, sub, urls) = hierarchy();
    let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let csr_for = |names: &[&str]| {
        let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
            subject: Default::default(),
            sans: names.iter().map(|n| n.to_string()).collect(),
        })
        .unwrap();
        csr::examine(&signet_subscriber::build(&plan, &key).unwrap(), &KeyRules::default()).unwrap()
    };
    let mut profile = server_profile();
    profile.names.domains = vec!["example.com".parse().unwrap()];
    let facts = csr_for(&["www.example.org"]);
    assert!(matches!(csr::check_names(&facts.requested, &profile), Err(IssuanceError::NameRefused { .. })));
    profile.names.wildcard = false;
    assert!(csr::check_names(&csr_for(&["*.example.com"]).requested, &profile).is_err());
    assert!(csr::check_names(&[Identifier::Ip("192.0.2.1".parse().unwrap())], &profile).is_err());
    profile.names.domains.clear();
    assert!(csr::check_names(&csr_for(&["intranet"]).requested, &profile).is_err());
    assert!(csr::check_names(&csr_for(&["host.corp"]).requested, &profile).is_err());
    profile.names.internal = true;
    assert!(csr::check_names(&csr_for(&["intranet", "host.corp"]).requested, &profile).is_ok());
    // P17: a certificate may not outlive its issuer.
    let mut long = server_profile();
    long.validity = Some(Duration::days(5000));
    long.allow_long_validity = true;
    let facts = csr_for(&["www.example.com"]);
    let names = facts.requested.clone();
    let request = LeafRequest { profile: &long, issuer: &sub, csr: &facts, names: &names, urls: &urls, now: now() };
    assert!(matches!(certificate::prepare(&request), Err(IssuanceError::OutlivesIssuer { .. })));
    // The lint gate: more than the BR limit without the private-CA switch.
    let mut too_long = server_profile();
    too_long.validity = Some(Duration::days(398));
    let request = LeafRequest { profile: &too_long, issuer: &sub, csr: &facts, names: &names, urls: &urls, now: now() };
    match certificate::prepare(&request) {
        Err(IssuanceError::Lint(findings)) => assert_eq!(findings[0].lint, "validity-br-limit"),
        other => panic!("expected a lint refusal, got {:?}", other.err()),
    }
    // Ed25519 is refused by a profile that does not list it.
    let ed = SoftwareKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let info = signet_codec::public_key::describe_spki(ed.spki_der()).unwrap();
    assert!(key_quality::check(ed.spki_der(), &info, &server_profile().keys, &WeakKeys::default()).is_err());
}

#[test]
fn tampered_and_weak_csrs_are_refused() {
    let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
        subject: Default::default(),
        sans: vec!["a.example.com".into()],
    })
    .unwrap();
    let mut der = signet_subscriber::build(&plan, &key).unwrap();
    let at = der.len() - 5;
    der[at] ^= 1;
    assert!(matches!(
        csr::examine(&der, &KeyRules::default()),
        Err(IssuanceError::BadCsrSignature | IssuanceError::MalformedCsr(_))
    ));
    let md5 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/bad/csr-md5.pem")).unwrap();
    let decoded = signet_codec::decode(&md5).unwrap();
    assert!(matches!(
        csr::examine(decoded.objects[0].der(), &KeyRules::default()),
        Err(IssuanceError::WeakCsrSignature(_))
    ));
}

/// A from-csr profile copies the checked subject; the rendered effective subject is exactly the
/// certificate's, and attributes it does not copy are left out of both.
#[test]
fn from_csr_subjects_are_what_the_certificate_holds() {
    let (_, sub, urls) = hierarchy();
    let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
        subject: signet_subscriber::SubjectInput {
            common_name: Some("Device 7".into()),
            organization: Some("Example Ltd".into()),
            country: Some("gb".into()),
            email: Some("ops@example.com".into()),
            ..Default::default()
        },
        sans: vec!["device7.example.com".into()],
    })
    .unwrap();
    let facts = csr::examine(&signet_subscriber::build(&plan, &key).unwrap(), &KeyRules::default()).unwrap();
    let mut profile = server_profile();
    profile.kind = ProfileKind::Client;
    profile.subject = SubjectPolicy::FromCsr;
    profile.policies.clear();
    let names = csr::check_names(&facts.requested, &profile).unwrap();
    let effective = certificate::effective_subject(&profile, &facts, &names).to_string();
    assert_eq!(effective, "C=GB, O=Example Ltd, CN=Device 7");
    let request = LeafRequest {
        profile: &profile,
        issuer: &sub,
        csr: &facts,
        names: &names,
        urls: &urls,
        now: OffsetDateTime::now_utc(),
    };
    assert_eq!(certificate::prepare(&request).unwrap().subject, effective);
}
