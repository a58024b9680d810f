//! Times the in-process issuance pipeline (no HTTP, no database): CSR examination, key and name
//! checks, lint-then-sign. `cargo run --release -p signet-issuance --example pipeline`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // a measuring tool

use std::sync::Arc;
use std::time::Instant;

use signet_issuance::ca::{self, CaSpec};
use signet_issuance::certificate::{self, LeafRequest};
use signet_issuance::profile::KeyRules;
use signet_issuance::*;
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_model::Role;
use time::{Duration, OffsetDateTime};

fn main() {
    let now = OffsetDateTime::now_utc();
    let key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap());
    let spec = CaSpec {
        common_name: "Bench CA".into(),
        organization: None,
        country: Some(signet_model::Country::parse("GB").unwrap()),
        validity: Duration::days(3650),
        path_length: Some(0),
        permitted_dns: vec![],
        policies: vec!["2.23.140.1.2.1".into()],
    };
    let root = ca::root(&spec, key.clone(), now).unwrap();
    let issuer = IssuingCa {
        id: signet_model::CaId::new(1).unwrap(),
        name: "bench".into(),
        certificate: root,
        signer: key,
        not_after: now + Duration::days(3600),
        is_test: false,
    };
    let profile = Profile {
        name: "bench".into(),
        issuer: "bench".into(),
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
    };
    let urls = Urls { base: Some("http://pki.example.com".into()), ..Default::default() };
    let leaf = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let plan = signet_subscriber::plan(&signet_subscriber::CsrInput {
        subject: signet_subscriber::SubjectInput { common_name: Some("leaf.example.com".into()), ..Default::default() },
        sans: vec![],
    })
    .unwrap();
    let csr_der = signet_subscriber::build(&plan, &leaf).unwrap();
    let pem = signet_codec::pem::encode("CERTIFICATE REQUEST", &csr_der);
    let n = 3000;
    let mut stages = [0u128; 5];
    let start = Instant::now();
    for _ in 0..n {
        let t0 = Instant::now();
        let decoded = signet_codec::decode(pem.as_bytes()).unwrap();
        let der = decoded.objects[0].der().to_vec();
        let t1 = Instant::now();
        let facts = csr::examine(&der, &KeyRules::default()).unwrap();
        key_quality::check(&facts.spki_der, &facts.key, &profile.keys, &WeakKeys::default()).unwrap();
        let names = csr::check_names(&facts.requested, &profile).unwrap();
        let t2 = Instant::now();
        let request = LeafRequest {
            profile: &profile,
            issuer: &issuer,
            csr: &facts,
            names: &names,
            urls: &urls,
            now: OffsetDateTime::now_utc(),
        };
        let prepared = certificate::prepare(&request).unwrap();
        let t3 = Instant::now();
        let cert = certificate::sign(&issuer, &prepared).unwrap();
        let t4 = Instant::now();
        let _ = signet_codec::public_key::sha256_hex(&cert);
        let t5 = Instant::now();
        for (i, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)].iter().enumerate() {
            stages[i] += (*b - *a).as_nanos();
        }
    }
    let total = start.elapsed();
    let names = ["decode PEM", "examine CSR + checks", "prepare (build, lint)", "sign and assemble", "fingerprint"];
    for (name, ns) in names.iter().zip(stages) {
        println!("{name:<24} {:>8.1} µs", ns as f64 / n as f64 / 1000.0);
    }
    println!(
        "{:<24} {:>8.1} µs  ({:.0} issuances/s on one core)",
        "total",
        total.as_micros() as f64 / n as f64,
        n as f64 / total.as_secs_f64()
    );
}
