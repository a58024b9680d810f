//! Chain validation for `signet verify`, `ca install-cert` and convert's chain ordering: will a
//! client trust this certificate, and if not, what one thing must change?
//!
//! The trust decision is rustls-webpki's (the validator rustls ships, measured against the
//! x509-limbo suite): it builds paths through the given intermediates with backtracking and a
//! bound on work, and checks signatures, validity, basicConstraints, pathLen, EKU, name
//! constraints and CRLs. signet adds, in layers of its own:
//! - [`profile`]: RFC 5280 rules webpki leaves to others (key identifiers, criticality, key
//!   usage, trust anchors' own fields, name constraints on e-mail and directory names, key
//!   sizes), applied to every candidate path so a rejected path lets the builder try the next;
//! - [`names`]: the peer name (`--host` DNS or IP, `--email`); a name that cannot be a host name
//!   is a verification failure, not bad input;
//! - [`diagnose`]: one line per problem saying what to change, naming the certificate at fault;
//! - [`revocation`]: CRLs given or fetched, and the reason and date of a revocation.
//!
//! Rules where no validator has an opinion are signet's and stated in `docs/VALIDATION.md`:
//! names come only from subjectAltName (no CN fallback), certificate policies are not processed
//! (a critical policy extension is refused), a CA certificate checked on its own (`--purpose
//! any`) is walked by signet's path builder with the same profile rules.

mod ca_path;
mod diagnose;
mod names;
pub mod ocsp;
pub mod order;
mod profile;
pub mod revocation;
#[cfg(test)]
mod tests;

use std::cell::RefCell;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Serialize;
use time::OffsetDateTime;
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use signet_codec::describe::name_to_string;
use signet_codec::{CodecError, ObjectKind};

/// What the certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// TLS server (serverAuth).
    Server,
    /// TLS client (clientAuth).
    Client,
    /// Any purpose: no EKU check; a CA certificate may be the one verified.
    Any,
}

/// A keyUsage bit the certificate must allow (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyUsageBit {
    /// digitalSignature (0).
    DigitalSignature,
    /// nonRepudiation / contentCommitment (1).
    NonRepudiation,
    /// keyEncipherment (2).
    KeyEncipherment,
    /// dataEncipherment (3).
    DataEncipherment,
    /// keyAgreement (4).
    KeyAgreement,
    /// keyCertSign (5).
    KeyCertSign,
    /// cRLSign (6).
    CrlSign,
    /// encipherOnly (7).
    EncipherOnly,
    /// decipherOnly (8).
    DecipherOnly,
}

impl KeyUsageBit {
    /// Every bit, in RFC order.
    pub const ALL: [Self; 9] = [
        Self::DigitalSignature,
        Self::NonRepudiation,
        Self::KeyEncipherment,
        Self::DataEncipherment,
        Self::KeyAgreement,
        Self::KeyCertSign,
        Self::CrlSign,
        Self::EncipherOnly,
        Self::DecipherOnly,
    ];

    /// The RFC 5280 name, e.g. `digitalSignature`.
    pub fn name(self) -> &'static str {
        match self {
            Self::DigitalSignature => "digitalSignature",
            Self::NonRepudiation => "nonRepudiation",
            Self::KeyEncipherment => "keyEncipherment",
            Self::DataEncipherment => "dataEncipherment",
            Self::KeyAgreement => "keyAgreement",
            Self::KeyCertSign => "keyCertSign",
            Self::CrlSign => "cRLSign",
            Self::EncipherOnly => "encipherOnly",
            Self::DecipherOnly => "decipherOnly",
        }
    }

    /// Reads a bit by its RFC name, without regard to case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name().eq_ignore_ascii_case(text))
    }

    fn is_set(self, ku: &x509_parser::extensions::KeyUsage) -> bool {
        match self {
            Self::DigitalSignature => ku.digital_signature(),
            Self::NonRepudiation => ku.non_repudiation(),
            Self::KeyEncipherment => ku.key_encipherment(),
            Self::DataEncipherment => ku.data_encipherment(),
            Self::KeyAgreement => ku.key_agreement(),
            Self::KeyCertSign => ku.key_cert_sign(),
            Self::CrlSign => ku.crl_sign(),
            Self::EncipherOnly => ku.encipher_only(),
            Self::DecipherOnly => ku.decipher_only(),
        }
    }
}

/// The extendedKeyUsage names signet knows, with their OIDs.
pub const EXTENDED_KEY_USAGES: [(&str, &str); 6] = [
    ("serverAuth", "1.3.6.1.5.5.7.3.1"),
    ("clientAuth", "1.3.6.1.5.5.7.3.2"),
    ("codeSigning", "1.3.6.1.5.5.7.3.3"),
    ("emailProtection", "1.3.6.1.5.5.7.3.4"),
    ("timeStamping", "1.3.6.1.5.5.7.3.8"),
    ("OCSPSigning", "1.3.6.1.5.5.7.3.9"),
];

/// The OID of an extendedKeyUsage given by name (`codeSigning`) or as a dotted OID.
pub fn extended_key_usage_oid(text: &str) -> Option<String> {
    if let Some((_, oid)) = EXTENDED_KEY_USAGES.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)) {
        return Some((*oid).to_string());
    }
    let parsed = text.parse::<x509_parser::der_parser::oid::Oid<'static>>().ok()?;
    Some(parsed.to_id_string())
}

/// What to verify, and against what.
#[derive(Debug, Clone)]
pub struct VerifyInput<'a> {
    /// The certificate to verify (DER).
    pub leaf: &'a [u8],
    /// Untrusted intermediates offered with it (DER), in any order, unrelated ones allowed.
    pub intermediates: &'a [Vec<u8>],
    /// Trust anchors (DER).
    pub roots: &'a [Vec<u8>],
    /// CRLs (DER) to check every certificate of the path against.
    pub crls: &'a [Vec<u8>],
    /// OCSP responses (DER) about the certificate, as fetched for `--check-revocation`.
    pub ocsp_responses: &'a [Vec<u8>],
    /// Whether the certificate verified must be covered by one of `crls` (`--check-revocation`);
    /// either way, every certificate of the path a CRL covers is checked against it.
    pub require_revocation_status: bool,
    /// The host (DNS name or IP address) the certificate must be valid for.
    pub host: Option<&'a str>,
    /// The e-mail address the certificate must be valid for.
    pub email: Option<&'a str>,
    /// Time of verification.
    pub at: OffsetDateTime,
    /// Purpose.
    pub purpose: Purpose,
    /// Further extendedKeyUsage OIDs (dotted) every certificate with an EKU must allow.
    pub extended_key_usages: &'a [String],
    /// keyUsage bits the certificate must allow when it has a keyUsage extension.
    pub key_usages: &'a [KeyUsageBit],
    /// The most intermediates a path may have, not counting self-issued ones.
    pub max_depth: Option<usize>,
}

impl<'a> VerifyInput<'a> {
    /// Input for `leaf` with its intermediates and roots at `at`, for a TLS server, with no
    /// name, CRL or depth requirement.
    pub fn new(leaf: &'a [u8], intermediates: &'a [Vec<u8>], roots: &'a [Vec<u8>], at: OffsetDateTime) -> Self {
        Self {
            leaf,
            intermediates,
            roots,
            crls: &[],
            ocsp_responses: &[],
            require_revocation_status: false,
            host: None,
            email: None,
            at,
            purpose: Purpose::Server,
            extended_key_usages: &[],
            key_usages: &[],
            max_depth: None,
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `missing-intermediate`.
    pub code: &'static str,
    /// One line for the user: what is wrong, which certificate, what to do.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// The outcome.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Subjects from the leaf up to the trust anchor (or as far as a path could be followed).
    pub path: Vec<String>,
    /// Whether a path to a trusted root was validated.
    pub trusted: bool,
    /// Everything wrong; empty means the certificate verifies.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether the certificate verifies: a trusted path and no problem.
    pub fn ok(&self) -> bool {
        self.trusted && self.problems.is_empty()
    }
}

pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CodecError> {
    X509Certificate::from_der(der).map(|(_, cert)| cert).map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))
}

pub(crate) fn subject(cert: &X509Certificate<'_>) -> String {
    let name = name_to_string(cert.subject());
    if name.is_empty() { "(empty subject)".into() } else { name }
}

/// A certificate's serial as `signet inspect` and `signet revoke` show it: upper-case hex pairs
/// with colons, without the DER sign octet (`D3:1A:...`, not `00:d3:1a:...`).
pub(crate) fn serial(cert: &X509Certificate<'_>) -> String {
    let hex = signet_codec::describe::serial_hex(cert.raw_serial()).to_uppercase();
    let pairs: Vec<&str> = hex.as_bytes().chunks(2).filter_map(|pair| std::str::from_utf8(pair).ok()).collect();
    pairs.join(":")
}

fn unix_time(at: OffsetDateTime) -> UnixTime {
    // Before 1970 nothing signet verifies is valid; clamp rather than wrap.
    let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds))
}

/// The EKU rule: the purpose's EKU and every extra one must be listed by each certificate of the
/// path that has an extendedKeyUsage extension (absent means any use, RFC 5280 §4.2.1.12);
/// anyExtendedKeyUsage does not stand in for serverAuth or clientAuth (as in browsers).
struct EkuPolicy {
    /// DER contents of each required OID.
    required: Vec<Vec<u8>>,
}

impl EkuPolicy {
    fn new(input: &VerifyInput<'_>) -> Self {
        let purpose = match input.purpose {
            Purpose::Server => Some("1.3.6.1.5.5.7.3.1"),
            Purpose::Client => Some("1.3.6.1.5.5.7.3.2"),
            Purpose::Any => None,
        };
        let required = purpose
            .into_iter()
            .map(str::to_string)
            .chain(input.extended_key_usages.iter().cloned())
            .filter_map(|dotted| dotted.parse::<x509_parser::der_parser::oid::Oid<'static>>().ok())
            .map(|oid| oid.as_bytes().to_vec())
            .collect();
        Self { required }
    }
}

impl ExtendedKeyUsageValidator for EkuPolicy {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        for id in iter {
            present.push(id?);
        }
        if present.is_empty() {
            return Ok(());
        }
        for oid in &self.required {
            if !present.iter().any(|p| *p == webpki::KeyPurposeId::new(oid)) {
                #[allow(deprecated)] // the context variant needs a 'static OID; the diagnosis names it
                return Err(webpki::Error::RequiredEkuNotFound);
            }
        }
        Ok(())
    }
}

/// Verifies `input.leaf`: builds and validates a path to one of `input.roots`, checks the peer
/// name, and reports every problem found, one line each. An error means the leaf itself is not a
/// certificate; everything else is a problem in the report.
pub fn verify(input: &VerifyInput<'_>) -> Result<VerifyReport, CodecError> {
    // Certificate times have whole seconds; so does webpki's clock. Compare alike.
    let at = input.at.replace_nanosecond(0).unwrap_or(input.at);
    let input = &VerifyInput { at, ..input.clone() };
    let leaf = parse(input.leaf)?;
    let mut problems = names::check(&leaf, input);
    problems.extend(profile::check_leaf_request(&leaf, input));
    let pinned = input.roots.iter().any(|r| r.as_slice() == input.leaf);
    let leaf_is_ca = leaf.basic_constraints().ok().flatten().is_some_and(|b| b.value.ca);
    let (path, trusted, path_problems) = if pinned {
        // A certificate given as its own trust anchor (pinning) is trusted as such; its own
        // validity and usage still count.
        (vec![subject(&leaf)], true, profile::check_pinned(&leaf, input))
    } else if leaf_is_ca && input.purpose == Purpose::Any {
        ca_path::verify(&leaf, input)
    } else {
        verify_end_entity(&leaf, input)
    };
    problems.extend(path_problems);
    let mut unique: Vec<Problem> = Vec::new();
    for p in problems {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    Ok(VerifyReport { path, trusted, problems: unique })
}

/// The webpki path: (subjects, trusted, problems).
fn verify_end_entity(leaf: &X509Certificate<'_>, input: &VerifyInput<'_>) -> (Vec<String>, bool, Vec<Problem>) {
    let leaf_der = CertificateDer::from(input.leaf);
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(e) => e,
        Err(error) => {
            let context = diagnose::Context::new(leaf, input);
            return (context.subjects(), false, diagnose::explain(&error, &context));
        }
    };
    let root_ders: Vec<CertificateDer<'_>> = input.roots.iter().map(|r| CertificateDer::from(r.as_slice())).collect();
    let mut anchors: Vec<TrustAnchor<'_>> = Vec::new();
    let mut anchor_roots: Vec<&[u8]> = Vec::new();
    for (der, raw) in root_ders.iter().zip(input.roots) {
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(der) {
            anchors.push(anchor);
            anchor_roots.push(raw.as_slice());
        }
    }
    let intermediates: Vec<CertificateDer<'_>> =
        input.intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let (crls, mut problems) = revocation::parse_crls(input.crls);
    problems.extend(revocation::crl_profile(input));
    if !problems.is_empty() {
        let context = diagnose::Context::new(leaf, input);
        return (context.subjects(), false, problems);
    }
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
    let revocation = webpki::RevocationOptionsBuilder::new(&crl_refs).ok().map(|builder| {
        builder
            .with_depth(webpki::RevocationCheckDepth::Chain)
            // Every certificate a CRL covers is checked; `require_revocation_status` then asks
            // that the leaf be covered (below), as CRLs for intermediates are often not at hand.
            .with_status_policy(webpki::UnknownStatusPolicy::Allow)
            .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
            .build()
    });
    let rejections: RefCell<Vec<Vec<Problem>>> = RefCell::new(Vec::new());
    let signet_rules = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let root = anchors.iter().position(|a| std::ptr::eq(a, path.anchor())).and_then(|i| anchor_roots.get(i));
        let Some(root) = root else { return Err(webpki::Error::UnknownIssuer) };
        let middle: Vec<Vec<u8>> = path.intermediate_certificates().map(|c| c.der().as_ref().to_vec()).collect();
        let mut ders: Vec<&[u8]> = vec![input.leaf];
        ders.extend(middle.iter().map(Vec::as_slice));
        ders.push(root);
        let found = profile::check_path(&ders, input);
        if found.is_empty() {
            Ok(())
        } else {
            rejections.borrow_mut().push(found);
            Err(webpki::Error::UnknownIssuer)
        }
    };
    let result = end_entity.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        unix_time(input.at),
        EkuPolicy::new(input),
        revocation,
        Some(&signet_rules),
    );
    match result {
        Ok(path) => {
            let mut subjects = vec![subject(leaf)];
            for cert in path.intermediate_certificates() {
                if let Ok(parsed) = parse(cert.der().as_ref()) {
                    subjects.push(subject(&parsed));
                }
            }
            let anchor_subject = anchors
                .iter()
                .position(|a| std::ptr::eq(a, path.anchor()))
                .and_then(|i| anchor_roots.get(i))
                .and_then(|der| parse(der).ok())
                .map(|root| subject(&root));
            subjects.extend(anchor_subject);
            let issuer_der = match path.intermediate_certificates().next() {
                Some(issuer) => Some(issuer.der().as_ref().to_vec()),
                None => anchors
                    .iter()
                    .position(|a| std::ptr::eq(a, path.anchor()))
                    .and_then(|i| anchor_roots.get(i))
                    .map(|der| der.to_vec()),
            };
            let issuer = issuer_der.as_deref().and_then(|der| parse(der).ok());
            (subjects, true, issuer.map(|i| revocation::leaf_status(leaf, &i, input)).unwrap_or_default())
        }
        Err(error) => {
            let context = diagnose::Context::new(leaf, input);
            let rejected = rejections.into_inner();
            match rejected.into_iter().next() {
                // A complete path to a trusted root broke one of signet's rules: say which.
                Some(first) => {
                    problems.extend(first);
                    (context.subjects(), false, problems)
                }
                None => (context.subjects(), false, diagnose::explain(&error, &context)),
            }
        }
    }
}
