//! RFC 5280 rules webpki leaves to others, checked on every candidate path it finds (so a path
//! that breaks one lets it try the next) and on the certificate asked about.
//!
//! Each rule names the section it enforces; each finding is one line naming the certificate.

use std::collections::HashSet;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_KEY_TYPE_DSA, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_CERTIFICATE_POLICIES, OID_X509_EXT_CRL_DISTRIBUTION_POINTS, OID_X509_EXT_EXTENDED_KEY_USAGE,
    OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS, OID_X509_EXT_POLICY_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_ALT_NAME, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::public_key::PublicKey;

use signet_codec::name_constraints::{self, Outcome};
use signet_codec::oids;

use super::diagnose::validity_problem;
use super::{KeyUsageBit, Problem, Purpose, VerifyInput, parse, subject};

/// Where a certificate sits in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The certificate verified.
    Leaf,
    /// Between the leaf and the trust anchor.
    Intermediate,
    /// The trust anchor.
    Root,
}

/// The curves webpki and browsers accept (P-256, P-384, P-521).
const NAMED_CURVES: [&str; 3] = ["1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"];

/// Extensions a trust anchor may mark critical: the ones a validator acts on.
fn understood(oid: &x509_parser::der_parser::oid::Oid<'_>) -> bool {
    [
        OID_X509_EXT_BASIC_CONSTRAINTS,
        OID_X509_EXT_KEY_USAGE,
        OID_X509_EXT_EXTENDED_KEY_USAGE,
        OID_X509_EXT_NAME_CONSTRAINTS,
        OID_X509_EXT_SUBJECT_ALT_NAME,
        OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
        OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
        x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
        OID_X509_EXT_CERTIFICATE_POLICIES,
    ]
    .contains(oid)
}

pub(crate) fn is_self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

pub(crate) fn is_ca(cert: &X509Certificate<'_>) -> bool {
    cert.basic_constraints().ok().flatten().is_some_and(|b| b.value.ca)
}

/// Every rule broken by the path `ders` (leaf first, trust anchor last).
pub(crate) fn check_path(ders: &[&[u8]], input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut certs = Vec::with_capacity(ders.len());
    for der in ders {
        match parse(der) {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                return vec![Problem::new(
                    "malformed-certificate",
                    format!("a certificate on the path is malformed: {e}"),
                )];
            }
        }
    }
    check_parsed(&certs, input)
}

/// [`check_path`] on certificates already parsed.
pub(crate) fn check_parsed(certs: &[X509Certificate<'_>], input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let last = certs.len().saturating_sub(1);
    for (index, cert) in certs.iter().enumerate() {
        let role = match index {
            0 => Role::Leaf,
            i if i == last => Role::Root,
            _ => Role::Intermediate,
        };
        structure(cert, role, &mut problems);
        key_identifiers(cert, role, &mut problems);
        ca_fields(cert, role, &mut problems);
        public_key(cert, &mut problems);
        if role == Role::Root {
            problems.extend(validity_problem(cert, input.at));
        }
    }
    if let Some(leaf) = certs.first()
        && !is_ca(leaf)
    {
        end_entity_names(leaf, &mut problems);
        if input.purpose == Purpose::Server {
            common_name_rule(leaf, &mut problems);
            server_eku_rule(leaf, &mut problems);
        }
    }
    problems.extend(name_constraint_problems(certs));
    if let Some(max) = input.max_depth {
        let middle = certs.get(1..last).unwrap_or_default();
        let counted = middle.iter().filter(|c| !is_self_issued(c)).count();
        if counted > max {
            problems.push(Problem::new(
                "path-too-long",
                format!(
                    "the only paths found have {counted} intermediate CA certificate(s), more than --max-depth {max} allows"
                ),
            ));
        }
    }
    problems
}

pub(crate) fn structure(cert: &X509Certificate<'_>, role: Role, problems: &mut Vec<Problem>) {
    let who = subject(cert);
    if cert.version().0 != 2 {
        problems.push(Problem::new(
            "old-version",
            format!(
                "\"{who}\" is a version {} certificate; only version 3 certificates are verified (RFC 5280 §4.1.2.1)",
                cert.version().0 + 1
            ),
        ));
    }
    let mut seen = HashSet::new();
    for extension in cert.extensions() {
        let name = oids::extension(&extension.oid.to_id_string()).to_string();
        if !seen.insert(extension.oid.clone()) {
            problems.push(Problem::new(
                "malformed-certificate",
                format!("\"{who}\" has the {name} extension twice (RFC 5280 §4.2 allows one)"),
            ));
        }
        if let ParsedExtension::ParseError { error } = extension.parsed_extension() {
            problems.push(Problem::new(
                "malformed-certificate",
                format!("\"{who}\" has a malformed {name} extension ({error}); the CA must reissue it"),
            ));
        }
        if role == Role::Root && extension.critical && !understood(&extension.oid) {
            problems.push(Problem::new(
                "unknown-critical-extension",
                format!(
                    "the trusted root \"{who}\" marks the {name} extension critical, which signet does not process, so it cannot be used"
                ),
            ));
        }
        let identifier = extension.oid == OID_X509_EXT_SUBJECT_KEY_IDENTIFIER
            || extension.oid == x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER;
        if identifier && extension.critical {
            problems.push(Problem::new(
                "malformed-certificate",
                format!("\"{who}\" marks its {name} extension critical; RFC 5280 §4.2.1.1-2 requires it non-critical"),
            ));
        }
        if extension.oid == OID_X509_EXT_POLICY_CONSTRAINTS && !extension.critical {
            problems.push(Problem::new(
                "malformed-certificate",
                format!(
                    "\"{who}\" has a non-critical policyConstraints extension; RFC 5280 §4.2.1.11 requires it critical"
                ),
            ));
        }
    }
    if cert.issuer().iter_attributes().next().is_none() {
        problems.push(Problem::new(
            "malformed-certificate",
            format!("\"{who}\" has an empty issuer name (RFC 5280 §4.1.2.4 forbids it)"),
        ));
    }
    if (role != Role::Leaf || is_ca(cert)) && cert.subject().iter_attributes().next().is_none() {
        problems.push(Problem::new(
            "malformed-certificate",
            format!(
                "a CA certificate issued by \"{}\" has an empty subject (RFC 5280 §4.1.2.6 forbids it)",
                signet_codec::describe::name_to_string(cert.issuer())
            ),
        ));
    }
}

fn key_identifiers(cert: &X509Certificate<'_>, role: Role, problems: &mut Vec<Problem>) {
    let who = subject(cert);
    let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(aki) => Some(aki),
        _ => None,
    });
    let ski = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(ski) => Some(ski.0),
        _ => None,
    });
    match (role, aki) {
        (Role::Root, Some(aki)) => {
            if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
                problems.push(Problem::new(
                    "malformed-certificate",
                    format!(
                        "the trusted root \"{who}\" names an issuer or serial in its authorityKeyIdentifier, which a root must not (CA/B BR §7.1.2.1.3)"
                    ),
                ));
            }
            match (&aki.key_identifier, ski) {
                (None, _) => problems.push(Problem::new(
                    "malformed-certificate",
                    format!("the trusted root \"{who}\" has an authorityKeyIdentifier without a keyIdentifier"),
                )),
                (Some(id), Some(ski)) if is_self_issued(cert) && id.0 != ski => problems.push(Problem::new(
                    "malformed-certificate",
                    format!(
                        "the trusted root \"{who}\" has an authorityKeyIdentifier that differs from its own subjectKeyIdentifier"
                    ),
                )),
                _ => {}
            }
        }
        (Role::Root, None) => {}
        (_, Some(aki)) if aki.key_identifier.is_some() => {}
        (_, _) => problems.push(Problem::new(
            "missing-aki",
            format!(
                "\"{who}\" has no authorityKeyIdentifier keyIdentifier, which RFC 5280 §4.2.1.1 requires in every certificate a CA issues; the CA must reissue it"
            ),
        )),
    }
    if (role != Role::Leaf || is_ca(cert)) && ski.is_none() {
        problems.push(Problem::new(
            "missing-ski",
            format!(
                "the CA certificate \"{who}\" has no subjectKeyIdentifier, which RFC 5280 §4.2.1.2 requires in CA certificates"
            ),
        ));
    }
}

fn ca_fields(cert: &X509Certificate<'_>, role: Role, problems: &mut Vec<Problem>) {
    let who = subject(cert);
    let basic = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::BasicConstraints(bc) => Some((e.critical, bc.ca)),
        _ => None,
    });
    let ku = cert.key_usage().ok().flatten().map(|k| k.value);
    let ca = basic.is_some_and(|(_, ca)| ca);
    if role != Role::Leaf {
        match basic {
            Some((true, true)) => {}
            Some((false, true)) => problems.push(Problem::new(
                "not-a-ca",
                format!("the CA certificate \"{who}\" has a non-critical basicConstraints (RFC 5280 §4.2.1.9 requires it critical)"),
            )),
            _ => problems.push(Problem::new(
                "not-a-ca",
                format!("\"{who}\" issued another certificate but is not a CA certificate (basicConstraints cA is not set)"),
            )),
        }
        if let Some(ku) = &ku
            && !ku.key_cert_sign()
        {
            problems.push(Problem::new(
                "key-usage",
                format!("the CA \"{who}\" is not allowed to sign certificates (its keyUsage lacks keyCertSign)"),
            ));
        }
    }
    if !ca && ku.as_ref().is_some_and(|k| k.key_cert_sign()) {
        problems.push(Problem::new(
            "key-usage",
            format!(
                "\"{who}\" asserts keyCertSign but is not a CA (basicConstraints cA is not set); RFC 5280 §4.2.1.9 forbids that"
            ),
        ));
    }
}

pub(crate) fn public_key(cert: &X509Certificate<'_>, problems: &mut Vec<Problem>) {
    let who = subject(cert);
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    let refuse = |problems: &mut Vec<Problem>, what: String| {
        problems.push(Problem::new("weak-key", format!("\"{who}\" has {what}, which clients refuse")));
    };
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        if let Ok(PublicKey::RSA(rsa)) = spki.parsed() {
            let modulus = rsa.modulus;
            let start = modulus.iter().position(|b| *b != 0).unwrap_or(modulus.len());
            let significant = modulus.get(start..).unwrap_or_default();
            let bits = significant.first().map(|b| significant.len() * 8 - b.leading_zeros() as usize).unwrap_or(0);
            if bits < 2048 {
                refuse(problems, format!("an RSA key of {bits} bits (at least 2048 are needed)"));
            } else if bits % 8 != 0 {
                refuse(problems, format!("an RSA key of {bits} bits (not a whole number of bytes)"));
            }
        }
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .filter(|p| p.tag() == x509_parser::der_parser::asn1_rs::Tag::Oid)
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        match curve {
            Some(oid) if NAMED_CURVES.contains(&oid.as_str()) => {}
            Some(oid) => refuse(
                problems,
                format!("an EC key on the curve {}", signet_codec::public_key::curve_name(&oid).unwrap_or(&oid)),
            ),
            None => refuse(problems, "an EC key with explicit curve parameters instead of a named curve".into()),
        }
    } else if *algorithm == OID_KEY_TYPE_DSA {
        refuse(problems, "a DSA key".into());
    }
}

/// subjectAltName rules for the end-entity certificate (RFC 5280 §4.2.1.6): with an empty
/// subject it must be present and critical; with a subject it is not critical. Only CAs carry
/// nameConstraints (§4.2.1.10).
fn end_entity_names(leaf: &X509Certificate<'_>, problems: &mut Vec<Problem>) {
    let who = subject(leaf);
    let san = leaf.extensions().iter().find(|e| e.oid == OID_X509_EXT_SUBJECT_ALT_NAME);
    let empty_subject = leaf.subject().iter_attributes().next().is_none();
    match (empty_subject, san.map(|e| e.critical)) {
        (true, Some(true)) | (false, None | Some(false)) => {}
        (true, _) => problems.push(Problem::new(
            "malformed-certificate",
            "the certificate has an empty subject and no critical subjectAltName (RFC 5280 §4.2.1.6 requires one)",
        )),
        (false, Some(true)) => problems.push(Problem::new(
            "malformed-certificate",
            format!(
                "\"{who}\" marks subjectAltName critical although its subject is not empty (RFC 5280 §4.2.1.6, CA/B BR §7.1.2.7.12)"
            ),
        )),
    }
    if leaf.extensions().iter().any(|e| e.oid == OID_X509_EXT_NAME_CONSTRAINTS) {
        problems.push(Problem::new(
            "malformed-certificate",
            format!("\"{who}\" is not a CA but carries nameConstraints (RFC 5280 §4.2.1.10)"),
        ));
    }
}

/// Every CA's name constraints against the names of the certificates below it (self-issued
/// intermediates excepted, RFC 5280 §6.1.3 (b)), with one work budget for the whole path.
pub(crate) fn name_constraint_problems(certs: &[X509Certificate<'_>]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut budget = name_constraints::MAX_COMPARISONS;
    for (index, ca) in certs.iter().enumerate().skip(1) {
        let constraints = match name_constraints::of_certificate(ca) {
            None => continue,
            Some(Ok(constraints)) => constraints,
            Some(Err(why)) => {
                problems.push(Problem::new(
                    "name-constraints",
                    format!("\"{}\" has unusable nameConstraints: {why}", subject(ca)),
                ));
                continue;
            }
        };
        for (below, cert) in certs.iter().enumerate().take(index) {
            if below > 0 && is_self_issued(cert) {
                continue;
            }
            let names = name_constraints::names_of(cert);
            let problem = match name_constraints::check(&constraints, &names, &mut budget) {
                Outcome::Allowed => continue,
                Outcome::NotPermitted { name, permitted } => {
                    let mut listed: Vec<String> = permitted.iter().take(5).map(ToString::to_string).collect();
                    if permitted.len() > 5 {
                        listed.push(format!("and {} more", permitted.len() - 5));
                    }
                    format!(
                        "\"{}\" has the {name}, outside the subtrees ({}) that \"{}\" permits in its nameConstraints",
                        subject(cert),
                        listed.join(", "),
                        subject(ca)
                    )
                }
                Outcome::Excluded { name, subtree } => format!(
                    "\"{}\" has the {name}, inside the subtree {subtree} that \"{}\" excludes in its nameConstraints",
                    subject(cert),
                    subject(ca)
                ),
                Outcome::TooMuchWork => {
                    problems.push(Problem::new(
                        "too-much-work",
                        format!(
                            "checking names against the nameConstraints of \"{}\" took more than {} comparisons; refused",
                            subject(ca),
                            name_constraints::MAX_COMPARISONS
                        ),
                    ));
                    return problems;
                }
            };
            problems.push(Problem::new("name-constraints", problem));
        }
    }
    problems
}

/// The text forms a common name may take to repeat a subjectAltName entry exactly: a dNSName
/// as written, an IP address in its canonical text (dotted decimal, RFC 5952 for IPv6).
fn san_texts(leaf: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = leaf.subject_alternative_name() else { return Vec::new() };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes).ok().map(|b| std::net::Ipv4Addr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(*bytes).ok().map(|b| std::net::Ipv6Addr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Whether a common name is written as a host: a dotted name, an IPv6 address, or a number
/// such as `0xC0A80101` that resolvers read as an IPv4 address. A CN like "My Server" or a single
/// label is a label, not a host name, and is left alone.
fn host_like(cn: &str) -> bool {
    let hex_number = cn.len() > 2
        && (cn.starts_with("0x") || cn.starts_with("0X"))
        && cn.get(2..).is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
    !cn.chars().any(char::is_whitespace) && (cn.contains('.') || cn.contains(':') || hex_number)
}

/// A server certificate's common name, when it is written as a host, repeats one of its
/// subjectAltName entries character for character (CA/B BR §7.1.4.3). Clients never read the
/// CN, so a host in the CN that differs from every SAN (another host, another case, a Unicode or
/// non-canonical IP spelling) is a mis-issued certificate (signet's rule; docs/VALIDATION.md).
fn common_name_rule(leaf: &X509Certificate<'_>, problems: &mut Vec<Problem>) {
    let texts = san_texts(leaf);
    for cn in leaf.subject().iter_common_name() {
        let value = cn
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|_| String::from_utf8_lossy(cn.attr_value().data).into_owned());
        if host_like(&value) && !texts.contains(&value) {
            problems.push(Problem::new(
                "common-name",
                format!(
                    "the common name {value:?} is not a character-for-character copy of a subjectAltName entry ({}), as CA/B BR §7.1.4.3 requires of server certificates",
                    if texts.is_empty() { "there are none".to_string() } else { texts.join(", ") }
                ),
            ));
        }
    }
}

/// A server certificate's extendedKeyUsage is not critical and does not grant every use
/// (anyExtendedKeyUsage): CA/B BR §7.1.2.7.10. Either means the CA did not follow the profile.
fn server_eku_rule(leaf: &X509Certificate<'_>, problems: &mut Vec<Problem>) {
    let Some(extension) = leaf.extensions().iter().find(|e| e.oid == OID_X509_EXT_EXTENDED_KEY_USAGE) else { return };
    if extension.critical {
        problems.push(Problem::new(
            "extended-key-usage",
            "the server certificate marks extendedKeyUsage critical, which CA/B BR §7.1.2.7.10 forbids",
        ));
    }
    if let ParsedExtension::ExtendedKeyUsage(eku) = extension.parsed_extension()
        && eku.any
    {
        problems.push(Problem::new(
            "extended-key-usage",
            "the server certificate lists anyExtendedKeyUsage, which CA/B BR §7.1.2.7.10 forbids",
        ));
    }
}

/// What `--key-usage` asks of the certificate, and the keyUsage a TLS purpose needs.
pub(crate) fn check_leaf_request(leaf: &X509Certificate<'_>, input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Ok(Some(ku)) = leaf.key_usage() else { return problems };
    for bit in input.key_usages {
        if !bit.is_set(ku.value) {
            let present: Vec<&str> = KeyUsageBit::ALL.iter().filter(|b| b.is_set(ku.value)).map(|b| b.name()).collect();
            problems.push(Problem::new(
                "key-usage",
                format!(
                    "the certificate's keyUsage ({}) lacks {}, which --key-usage asks for",
                    present.join(", "),
                    bit.name()
                ),
            ));
        }
    }
    if input.purpose != Purpose::Any && !is_ca(leaf) && !ku.value.digital_signature() && !ku.value.key_encipherment() {
        problems.push(Problem::new(
            "key-usage",
            "keyUsage allows neither digitalSignature nor keyEncipherment, so TLS cannot use this key",
        ));
    }
    problems
}

/// A certificate trusted as its own anchor: its validity and purpose still count.
pub(crate) fn check_pinned(leaf: &X509Certificate<'_>, input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut problems: Vec<Problem> = validity_problem(leaf, input.at).into_iter().collect();
    problems.extend(super::diagnose::eku_problems(std::slice::from_ref(leaf), input));
    problems
}
