//! CRLs through prepare (encode, lint) and sign, read back by an independent parser
//! (x509-parser) with the signature verified; partitions and the lint gate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use std::sync::Arc;

use signet_issuance::IssuingCa;
use signet_issuance::ca::{self, CaSpec};
use signet_issuance::crl::{self, CrlRequest};
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_model::{RevocationReason, RevokedEntry, Serial};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, ParsedExtension};
use x509_parser::revocation_list::CertificateRevocationList;

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00 UTC)
}

fn ca(algorithm: KeyAlgorithm) -> IssuingCa {
    let key: Arc<dyn Signer> = Arc::new(SoftwareKey::generate(algorithm).unwrap());
    let spec = CaSpec {
        common_name: "CRL Test Root".into(),
        organization: Some("Example".into()),
        country: None,
        validity: Duration::days(3650),
        path_length: None,
        permitted_dns: vec![],
        policies: vec![],
    };
    let certificate = ca::root(&spec, key.clone(), now()).unwrap();
    IssuingCa {
        id: signet_model::CaId::new(1).unwrap(),
        name: "root".into(),
        certificate,
        signer: key,
        not_after: now() + Duration::days(3649),
        is_test: false,
    }
}

fn entry(serial: &[u8], reason: RevocationReason, invalidity: Option<OffsetDateTime>) -> RevokedEntry {
    RevokedEntry {
        serial: Serial::from_magnitude(serial).unwrap(),
        revoked_at: now() - Duration::hours(1),
        reason,
        invalidity_date: invalidity,
    }
}

#[test]
fn a_signed_crl_reads_back_with_every_entry_and_extension() {
    for algorithm in [KeyAlgorithm::EcP256, KeyAlgorithm::EcP384, KeyAlgorithm::Rsa2048, KeyAlgorithm::Ed25519] {
        let issuer = ca(algorithm);
        let entries = [
            entry(&[0x8a; 16], RevocationReason::KeyCompromise, Some(now() - Duration::days(3))),
            entry(&[0x01, 0x02], RevocationReason::Unspecified, None),
            entry(&[0x7f; 20], RevocationReason::CertificateHold, None),
        ];
        let request = CrlRequest {
            issuer: &issuer,
            number: 1_764_000_000_123,
            this_update: now(),
            next_update: now() + Duration::days(7),
            distribution_point: None,
            entries: &entries,
        };
        let prepared = crl::prepare(&request).unwrap();
        assert_eq!(prepared.entries, 3);
        assert!(prepared.warnings.iter().any(|w| w.lint == "crl-certificate-hold"), "{:?}", prepared.warnings);
        let der = crl::sign(&issuer, &prepared).unwrap();
        let (rest, parsed) = CertificateRevocationList::from_der(&der).unwrap();
        assert!(rest.is_empty());
        let (_, ca_cert) = x509_parser::certificate::X509Certificate::from_der(&issuer.certificate).unwrap();
        parsed.verify_signature(ca_cert.public_key()).unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(parsed.version().map(|v| v.0), Some(1));
        assert_eq!(parsed.issuer().as_raw(), ca_cert.subject().as_raw());
        assert_eq!(parsed.crl_number().unwrap().to_string(), "1764000000123");
        // The signature algorithm the CA's certificate is signed with, byte for byte.
        assert_eq!(parsed.signature_algorithm, ca_cert.signature_algorithm, "{algorithm}");
        let revoked: Vec<_> = parsed.iter_revoked_certificates().collect();
        assert_eq!(revoked.len(), 3);
        assert_eq!(revoked[0].raw_serial(), [&[0u8][..], &[0x8a; 16]].concat());
        assert_eq!(revoked[0].reason_code().unwrap().1.0, 1);
        let invalidity = revoked[0].extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::InvalidityDate(t) => Some(t.to_datetime()),
            _ => None,
        });
        assert_eq!(invalidity, Some(now() - Duration::days(3)));
        assert!(revoked[1].reason_code().is_none(), "unspecified is left out");
        assert_eq!(revoked[2].reason_code().unwrap().1.0, 6);
        assert_eq!(revoked[2].revocation_date.to_datetime(), now() - Duration::hours(1));
        let idp = parsed.extensions().iter().any(|e| e.oid.to_id_string() == "2.5.29.28");
        assert!(!idp, "the full CRL names no distribution point");
    }
}

#[test]
fn a_partition_names_its_url_and_an_empty_crl_has_no_entry_list() {
    let issuer = ca(KeyAlgorithm::EcP256);
    let url = "http://ca.example.com/crl/root/3.crl";
    let request = CrlRequest {
        issuer: &issuer,
        number: 7,
        this_update: now(),
        next_update: now() + Duration::days(7),
        distribution_point: Some(url),
        entries: &[],
    };
    let der = crl::sign(&issuer, &crl::prepare(&request).unwrap()).unwrap();
    let (_, parsed) = CertificateRevocationList::from_der(&der).unwrap();
    assert_eq!(parsed.iter_revoked_certificates().count(), 0);
    let idp = parsed.extensions().iter().find(|e| e.oid.to_id_string() == "2.5.29.28").unwrap();
    assert!(idp.critical);
    assert!(idp.value.windows(url.len()).any(|w| w == url.as_bytes()));
    // The TBS has no empty revokedCertificates SEQUENCE (pkilint: crl_revoked_certificates_empty).
    assert!(parsed.tbs_cert_list.revoked_certificates.is_empty());
}

#[test]
fn the_lint_gate_refuses_what_the_profile_forbids() {
    let issuer = ca(KeyAlgorithm::EcP256);
    let long = CrlRequest {
        issuer: &issuer,
        number: 1,
        this_update: now(),
        next_update: now() + Duration::days(11),
        distribution_point: None,
        entries: &[],
    };
    let e = crl::prepare(&long).err().unwrap();
    assert!(e.to_string().contains("crl-validity"), "{e}");
    let late =
        [RevokedEntry { revoked_at: now() + Duration::hours(1), ..entry(&[5], RevocationReason::Superseded, None) }];
    let future = CrlRequest { next_update: now() + Duration::days(7), entries: &late, ..long };
    let e = crl::prepare(&future).err().unwrap();
    assert!(e.to_string().contains("crl-entry-date"), "{e}");
}

#[test]
fn a_crl_over_16_mib_is_built_and_linted() {
    let issuer = ca(KeyAlgorithm::EcP256);
    let entries: Vec<RevokedEntry> = (0..400_000u64)
        .map(|n| {
            let mut serial = [0x42u8; 16];
            serial[8..].copy_from_slice(&n.to_be_bytes());
            entry(&serial, RevocationReason::Superseded, None)
        })
        .collect();
    let request = CrlRequest {
        issuer: &issuer,
        number: 2,
        this_update: now(),
        next_update: now() + Duration::days(7),
        distribution_point: None,
        entries: &entries,
    };
    let prepared = crl::prepare(&request).unwrap();
    let der = crl::sign(&issuer, &prepared).unwrap();
    // 16-octet serial (18 with header), UTCTime (15), reasonCode (12) in its SEQUENCE (2), entry
    // header (2): 49 octets each, so the entry list needs a four-octet length (over 16 MiB).
    assert!(der.len() > 19_600_000 && der.len() < 19_601_000, "{}", der.len());
    let (_, parsed) = CertificateRevocationList::from_der(&der).unwrap();
    assert_eq!(parsed.iter_revoked_certificates().count(), 400_000);
}
