//! One test per diagnosis, on a PKI built with rcgen for each test (EC P-256, as signet issues).
// Test chains are written as arrays of owned certificates, `[a.der.clone()]`, for legibility.
#![allow(clippy::cloned_ref_to_slice_refs)]

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, NameConstraints,
    RevocationReason, RevokedCertParams, SerialNumber,
};
use time::{Duration, OffsetDateTime, macros::datetime};

use super::*;

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn base(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = NOW - Duration::days(30);
    params.not_after = NOW + Duration::days(365);
    params
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = base(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn root(cn: &str) -> Ca {
    let params = ca_params(cn);
    let key = KeyPair::generate().unwrap();
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { params, key, der }
}

fn sub_ca(cn: &str, parent: &Ca, edit: impl FnOnce(&mut CertificateParams)) -> Ca {
    let mut params = ca_params(cn);
    params.use_authority_key_identifier_extension = true;
    edit(&mut params);
    let key = KeyPair::generate().unwrap();
    let der = params.signed_by(&key, &parent.issuer()).unwrap().der().to_vec();
    Ca { params, key, der }
}

fn leaf_with(host: &str, issuer: &Ca, edit: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.not_before = NOW - Duration::days(1);
    params.not_after = NOW + Duration::days(90);
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.serial_number = Some(SerialNumber::from_slice(&[0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
    edit(&mut params);
    let key = KeyPair::generate().unwrap();
    params.signed_by(&key, &issuer.issuer()).unwrap().der().to_vec()
}

fn leaf(host: &str, issuer: &Ca) -> Vec<u8> {
    leaf_with(host, issuer, |_| {})
}

fn run<'a>(
    leaf: &'a [u8],
    intermediates: &'a [Vec<u8>],
    roots: &'a [Vec<u8>],
    edit: impl FnOnce(&mut VerifyInput<'a>),
) -> VerifyReport {
    let mut input = VerifyInput::new(leaf, intermediates, roots, NOW);
    input.host = Some("www.example.com");
    edit(&mut input);
    verify(&input).unwrap()
}

fn only(report: &VerifyReport, code: &str) -> String {
    assert!(!report.ok(), "expected a problem [{code}], the certificate verified");
    let found: Vec<&Problem> = report.problems.iter().filter(|p| p.code == code).collect();
    assert!(!found.is_empty(), "expected [{code}], got {:?}", report.problems);
    found[0].message.clone()
}

#[test]
fn a_good_chain_verifies_with_its_path() {
    let root = root("Test Root");
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    let report = run(&leaf("www.example.com", &issuing), &[issuing.der.clone()], &[root.der.clone()], |_| {});
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.path, ["CN=www.example.com", "CN=Test Issuing", "CN=Test Root"]);
}

#[test]
fn an_untrusted_root_is_named_with_the_fix() {
    let root = root("Test Root");
    let other = self::root("Other Root");
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    // The full chain given, root included, but another root trusted.
    let all = [issuing.der.clone(), root.der.clone()];
    let message = only(&run(&leaf("www.example.com", &issuing), &all, &[other.der.clone()], |_| {}), "untrusted-root");
    assert!(
        message.contains("the chain ends at \"CN=Test Root\", which is not in your trusted roots; give --roots FILE"),
        "{message}"
    );
    // The usual server chain (leaf + intermediate): the missing certificate is the root, not an
    // intermediate (issue 10).
    let report = run(&leaf("www.example.com", &issuing), &[issuing.der.clone()], &[other.der.clone()], |_| {});
    let message = only(&report, "untrusted-root");
    assert!(
        message.contains("issued by \"CN=Test Root\", which is not in your trusted roots; give --roots FILE"),
        "{message}"
    );
}

/// authorityInfoAccess with one caIssuers URL (RFC 5280 §4.2.2.1), DER by hand.
fn ca_issuers(url: &str) -> CustomExtension {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut location = vec![0x86, url.len() as u8];
    location.extend_from_slice(url.as_bytes());
    let mut description = vec![0x30, (oid.len() + location.len()) as u8];
    description.extend_from_slice(&oid);
    description.extend_from_slice(&location);
    let mut aia = vec![0x30, description.len() as u8];
    aia.extend_from_slice(&description);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia)
}

#[test]
fn a_missing_intermediate_says_where_to_download_it() {
    let root = root("Test Root");
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    let leaf =
        leaf_with("www.example.com", &issuing, |p| p.custom_extensions.push(ca_issuers("http://ca.example.com/i.crt")));
    let message = only(&run(&leaf, &[], &[root.der.clone()], |_| {}), "missing-intermediate");
    assert!(message.contains("\"CN=Test Issuing\"") && message.contains("http://ca.example.com/i.crt"), "{message}");
}

#[test]
fn expiry_names_the_certificate_and_the_date() {
    let root = root("Test Root");
    let issuing = sub_ca("Test Issuing", &root, |p| p.not_after = NOW - Duration::days(3));
    let report = run(&leaf("www.example.com", &issuing), &[issuing.der.clone()], &[root.der.clone()], |_| {});
    let message = only(&report, "expired");
    assert!(message.starts_with("\"CN=Test Issuing\" expired on") && message.contains("(3 days ago)"), "{message}");
}

#[test]
fn a_wrong_name_lists_the_names_the_certificate_has() {
    let root = root("Test Root");
    let report = run(&leaf("www.example.com", &root), &[], &[root.der.clone()], |i| i.host = Some("shop.example.com"));
    let message = only(&report, "name-mismatch");
    assert!(message.contains("dns:www.example.com, not for shop.example.com"), "{message}");
    // The chain itself is fine: only the name is wrong.
    assert!(report.trusted);
}

#[test]
fn a_host_that_cannot_be_a_name_fails_the_check_instead_of_the_input() {
    let root = root("Test Root");
    for host in ["foo_bar.example.com", "xn--zz.example.com", "*.example.com"] {
        let report = run(&leaf("www.example.com", &root), &[], &[root.der.clone()], |i| i.host = Some(host));
        let message = only(&report, "invalid-host-name");
        assert!(message.starts_with(&format!("no certificate can be valid for {host:?}")), "{message}");
    }
}

#[test]
fn email_addresses_are_matched_in_the_subject_alt_name() {
    let root = root("Test Root");
    let client = leaf_with("alice", &root, |p| {
        p.subject_alt_names = vec![rcgen::SanType::Rfc822Name("alice@example.com".try_into().unwrap())];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    });
    let ask = |email: &'static str| {
        run(&client, &[], &[root.der.clone()], |i| {
            i.host = None;
            i.email = Some(email);
            i.purpose = Purpose::Client;
        })
    };
    assert!(ask("alice@EXAMPLE.com").ok());
    assert!(only(&ask("bob@example.com"), "name-mismatch").contains("email:alice@example.com"));
    assert!(only(&ask("not-an-address"), "invalid-email").contains("it has no @"));
}

#[test]
fn a_wrong_extended_key_usage_is_named() {
    let root = root("Test Root");
    let client =
        leaf_with("www.example.com", &root, |p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth]);
    let message = only(&run(&client, &[], &[root.der.clone()], |_| {}), "extended-key-usage");
    assert_eq!(message, "the certificate is not valid for serverAuth: its extendedKeyUsage allows only clientAuth");
    // An intermediate limited to clientAuth cannot vouch for a server certificate either.
    let limited = sub_ca("Client CA", &root, |p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth]);
    let report = run(&leaf("www.example.com", &limited), &[limited.der.clone()], &[root.der.clone()], |_| {});
    assert!(only(&report, "extended-key-usage").contains("the CA \"CN=Client CA\" limits its extendedKeyUsage"));
    // --eku asks for more.
    let code_signing = [extended_key_usage_oid("codeSigning").unwrap()];
    let report = run(&leaf("www.example.com", &root), &[], &[root.der.clone()], |i| {
        i.extended_key_usages = &code_signing;
    });
    assert!(only(&report, "extended-key-usage").contains("codeSigning"));
}

#[test]
fn name_constraint_violations_name_the_subtree_and_the_ca() {
    let root = root("Test Root");
    let constrained = sub_ca("Constrained CA", &root, |p| {
        p.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("example.com".into())],
            excluded_subtrees: vec![GeneralSubtree::DnsName("secret.example.com".into())],
        });
    });
    let chain = [constrained.der.clone()];
    let roots = [root.der.clone()];
    assert!(run(&leaf("www.example.com", &constrained), &chain, &roots, |_| {}).ok());
    let outside = run(&leaf("www.evil.com", &constrained), &chain, &roots, |i| i.host = Some("www.evil.com"));
    assert_eq!(
        only(&outside, "name-constraints"),
        "\"CN=www.evil.com\" has the DNS name www.evil.com, outside the subtrees (DNS example.com) that \"CN=Constrained CA\" permits in its nameConstraints"
    );
    let excluded =
        run(&leaf("a.secret.example.com", &constrained), &chain, &roots, |i| i.host = Some("a.secret.example.com"));
    assert!(
        only(&excluded, "name-constraints")
            .contains("inside the subtree DNS secret.example.com that \"CN=Constrained CA\" excludes")
    );
}

fn crl(issuer: &Ca, revoked: Option<(&[u8], RevocationReason)>) -> Vec<u8> {
    let params = CertificateRevocationListParams {
        this_update: NOW - Duration::days(1),
        next_update: NOW + Duration::days(6),
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .map(|(serial, reason)| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: datetime!(2026-05-20 08:00 UTC),
                reason_code: Some(reason),
                invalidity_date: None,
            })
            .into_iter()
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params.signed_by(&issuer.issuer()).unwrap().der().to_vec()
}

#[test]
fn a_revoked_certificate_is_reported_with_reason_and_date() {
    let root = root("Test Root");
    let serial = [0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    let leaf = leaf("www.example.com", &root);
    let revoked = [crl(&root, Some((&serial, RevocationReason::KeyCompromise)))];
    let message = only(&run(&leaf, &[], &[root.der.clone()], |i| i.crls = &revoked), "revoked");
    assert!(message.contains("was revoked on 2026-05-20T08:00:00Z (reason: keyCompromise)"), "{message}");
    // The serial as `signet inspect` shows it and `signet revoke` takes it.
    assert!(message.contains("(serial 0A:11:22:33:44:55:66:77:88)"), "{message}");
    let clean = [crl(&root, None)];
    assert!(run(&leaf, &[], &[root.der.clone()], |i| i.crls = &clean).ok());
    // --check-revocation: a certificate no CRL covers has an unknown status.
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    let report = run(&self::leaf("www.example.com", &issuing), &[issuing.der.clone()], &[root.der.clone()], |i| {
        i.crls = &clean;
        i.require_revocation_status = true;
    });
    assert!(only(&report, "revocation-unknown").contains("no CRL from \"CN=Test Issuing\""));
}

#[test]
fn path_building_backtracks_past_a_same_named_wrong_intermediate() {
    let root = root("Test Root");
    let other_root = self::root("Other Root");
    // Two intermediates named alike: the first in the list chains to a root nobody trusts.
    let decoy = sub_ca("Test Issuing", &other_root, |_| {});
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    let leaf_der = leaf("www.example.com", &issuing);
    // The leaf names "Test Issuing"; only the one holding the signing key can be its issuer, and
    // of two with the same key only the one under a trusted root completes the path.
    let cross = {
        let params = issuing.params.clone();
        params.signed_by(&issuing.key, &other_root.issuer()).unwrap().der().to_vec()
    };
    let report = run(&leaf_der, &[decoy.der.clone(), cross, issuing.der.clone()], &[root.der.clone()], |_| {});
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.path.last().map(String::as_str), Some("CN=Test Root"));
}

#[test]
fn max_depth_counts_intermediates() {
    let root = root("Test Root");
    let policy = sub_ca("Policy CA", &root, |_| {});
    let issuing = sub_ca("Test Issuing", &policy, |_| {});
    let chain = [issuing.der.clone(), policy.der.clone()];
    let leaf_der = leaf("www.example.com", &issuing);
    assert!(run(&leaf_der, &chain, &[root.der.clone()], |i| i.max_depth = Some(2)).ok());
    let report = run(&leaf_der, &chain, &[root.der.clone()], |i| i.max_depth = Some(1));
    assert!(only(&report, "path-too-long").contains("more than --max-depth 1"));
}

#[test]
fn a_ca_certificate_is_checked_on_its_own_with_purpose_any() {
    let root = root("Test Root");
    let issuing = sub_ca("Test Issuing", &root, |_| {});
    let as_leaf = run(&issuing.der, &[], &[root.der.clone()], |i| i.host = None);
    assert!(only(&as_leaf, "ca-certificate").contains("--purpose any"));
    let report = run(&issuing.der, &[], &[root.der.clone()], |i| {
        i.host = None;
        i.purpose = Purpose::Any;
    });
    assert!(report.ok(), "{:?}", report.problems);
    let other = self::root("Other Root");
    let report = run(&issuing.der, &[], &[other.der.clone()], |i| {
        i.host = None;
        i.purpose = Purpose::Any;
    });
    assert!(only(&report, "untrusted-root").contains("not in your trusted roots"));
}

#[test]
fn key_usage_requests_are_checked() {
    let root = root("Test Root");
    let bits = [KeyUsageBit::KeyEncipherment];
    let report = run(&leaf("www.example.com", &root), &[], &[root.der.clone()], |i| i.key_usages = &bits);
    assert_eq!(
        only(&report, "key-usage"),
        "the certificate's keyUsage (digitalSignature) lacks keyEncipherment, which --key-usage asks for"
    );
}

#[test]
fn order_chain_follows_signatures_and_keeps_strangers_last() {
    let root = root("Test Root");
    let policy = sub_ca("Policy CA", &root, |_| {});
    let issuing = sub_ca("Test Issuing", &policy, |_| {});
    let stranger = self::root("Stranger");
    let leaf_der = leaf("www.example.com", &issuing);
    let ordered = order::order_chain(
        &leaf_der,
        vec![stranger.der.clone(), root.der.clone(), issuing.der.clone(), policy.der.clone()],
    );
    assert_eq!(ordered, [issuing.der, policy.der, root.der, stranger.der]);
}

#[test]
fn revocation_reasons_read_back_in_the_names_signet_revoke_takes() {
    // What `signet inspect`, `signet crl inspect` and `signet verify` print for a CRL entry or an
    // OCSP answer is what `signet revoke --reason` and `signet search --reason` accept.
    for reason in signet_model::RevocationReason::ALL {
        assert_eq!(signet_codec::describe::crl_reason(reason.code()), reason.as_str());
    }
}
