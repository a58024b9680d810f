//! The lint gate refuses to sign a certificate its issuer's nameConstraints forbid, whatever the
//! profile allows (signet never issues what every validator must reject).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use std::sync::Arc;

use signet_issuance::ca::{self, CaSpec};
use signet_issuance::certificate::{self, LeafRequest};
use signet_issuance::profile::KeyRules;
use signet_issuance::*;
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_model::{DnsName, Identifier, Role};
use time::{Duration, OffsetDateTime};

fn constrained_issuer(now: OffsetDateTime, urls: &Urls) -> IssuingCa {
    let root_key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap());
    let spec = CaSpec {
        common_name: "Constraint Test Root".into(),
        organization: None,
        country: None,
        validity: Duration::days(3650),
        path_length: Some(1),
        permitted_dns: vec![],
        policies: vec![],
    };
    let root = IssuingCa {
        id: signet_model::CaId::new(1).unwrap(),
        name: "root".into(),
        certificate: ca::root(&spec, root_key.clone(), now).unwrap(),
        signer: root_key,
        not_after: now + Duration::days(3649),
        is_test: false,
    };
    let sub_key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap());
    let sub_spec = CaSpec {
        common_name: "Example-only Issuing".into(),
        validity: Duration::days(1000),
        path_length: Some(0),
        permitted_dns: vec![DnsName::parse("example.com").unwrap()],
        ..spec
    };
    let prepared = ca::subordinate(&sub_spec, sub_key.spki_der(), &root, urls, now).unwrap();
    IssuingCa {
        id: signet_model::CaId::new(2).unwrap(),
        name: "issuing".into(),
        certificate: certificate::sign(&root, &prepared).unwrap(),
        signer: sub_key,
        not_after: now + Duration::days(999),
        is_test: false,
    }
}

fn profile() -> Profile {
    Profile {
        name: "anything".into(),
        issuer: "issuing".into(),
        kind: ProfileKind::Server,
        validity: None,
        allow_long_validity: false,
        keys: KeyRules::default(),
        names: NameRules::default(),
        subject: SubjectPolicy::CnOnly,
        approval: Approval::Auto,
        enroll_roles: vec![Role::Enrollee],
        policies: vec!["2.23.140.1.2.1".into()],
        path_length: None,
        acme: false,
        description: None,
    }
}

fn prepare(
    issuer: &IssuingCa,
    urls: &Urls,
    host: &str,
    now: OffsetDateTime,
) -> Result<certificate::Prepared, IssuanceError> {
    let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
        subject: signet_subscriber::SubjectInput { common_name: Some(host.into()), ..Default::default() },
        sans: vec![],
    })
    .unwrap();
    let profile = profile();
    let facts = csr::examine(&signet_subscriber::build(&plan, &key).unwrap(), &profile.keys).unwrap();
    let names: Vec<Identifier> = csr::check_names(&facts.requested, &profile).unwrap();
    certificate::prepare(&LeafRequest { profile: &profile, issuer, csr: &facts, names: &names, urls, now })
}

#[test]
fn names_outside_the_issuers_constraints_are_refused_by_the_lint_gate() {
    let now = OffsetDateTime::now_utc();
    let urls = Urls { base: Some("http://ca.example.com".into()), ..Default::default() };
    let issuer = constrained_issuer(now, &urls);
    assert!(prepare(&issuer, &urls, "www.example.com", now).is_ok());
    match prepare(&issuer, &urls, "www.example.org", now) {
        Err(IssuanceError::Lint(findings)) => {
            let finding = findings.iter().find(|f| f.lint == "name-constraints").expect("a name-constraints finding");
            assert!(
                finding.message.contains("DNS name www.example.org is outside the subtrees (DNS example.com)"),
                "{}",
                finding.message
            );
        }
        other => panic!("expected the lint gate to refuse, got {:?}", other.map(|p| p.subject)),
    }
}
