//! Name constraints (RFC 5280 §4.2.1.10): which names a CA may certify, and the check of a
//! certificate's names against them.
//!
//! Shared by the verifier (to name the constraint and the CA that set it when a chain breaks one)
//! and by the issuance lint gate (so signet never signs a certificate its own issuer's
//! constraints forbid). The matching follows RFC 5280: a DNS constraint covers the name and every
//! name made by adding labels on the left; an e-mail constraint is a mailbox, a host, or (with a
//! leading period) any host under a domain; an IP constraint is an address and mask; a directory
//! name constraint is a prefix of RDNs. Comparisons are counted so a pathological certificate
//! (thousands of names times thousands of subtrees) ends with [`Outcome::TooMuchWork`].

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, GeneralSubtree, ParsedExtension};
use x509_parser::oid_registry::{OID_PKCS9_EMAIL_ADDRESS, OID_X509_EXT_NAME_CONSTRAINTS};
use x509_parser::x509::X509Name;

use crate::describe::name_to_string;

/// The most name-against-subtree comparisons one check makes (Go's crypto/x509 uses the same).
pub const MAX_COMPARISONS: usize = 250_000;

/// One subtree of a constraint, in a form that can be matched and printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subtree {
    /// dNSName: the name and everything below it; empty matches every name.
    Dns(String),
    /// rfc822Name: `user@host`, `host`, or `.domain`.
    Email(String),
    /// iPAddress: network and mask of equal length (4 or 16 octets each).
    Ip {
        /// Network address.
        network: Vec<u8>,
        /// Mask.
        mask: Vec<u8>,
    },
    /// uniformResourceIdentifier: a host, or `.domain` for hosts below it.
    Uri(String),
    /// directoryName: the encoded RDNs that must begin the name, and how it prints.
    Directory {
        /// DER of each RDN (SET) in order.
        rdns: Vec<Vec<u8>>,
        /// `C=.., O=..`.
        shown: String,
    },
    /// A type signet cannot match: otherName (with its type OID), x400Address, ediPartyName,
    /// registeredID.
    Other(String),
}

impl std::fmt::Display for Subtree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dns(d) if d.is_empty() => write!(f, "DNS (every name)"),
            Self::Dns(d) => write!(f, "DNS {d}"),
            Self::Email(e) => write!(f, "e-mail {e}"),
            Self::Ip { network, mask } => {
                let prefix: u32 = mask.iter().map(|b| b.count_ones()).sum();
                write!(f, "IP {}/{prefix}", ip_text(network))
            }
            Self::Uri(u) => write!(f, "URI {u}"),
            Self::Directory { shown, .. } => write!(f, "directory name {shown}"),
            Self::Other(kind) => write!(f, "{kind}"),
        }
    }
}

/// A certificate's nameConstraints extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameConstraints {
    /// Permitted subtrees; for each name type present here, a name must be inside one of them.
    pub permitted: Vec<Subtree>,
    /// Excluded subtrees; no name may be inside any of them.
    pub excluded: Vec<Subtree>,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

/// Why a nameConstraints extension is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedConstraint(pub String);

impl std::fmt::Display for MalformedConstraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name a certificate asserts, as name constraints see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertifiedName {
    /// A dNSName from subjectAltName.
    Dns(String),
    /// An rfc822Name from subjectAltName, or an emailAddress attribute of the subject.
    Email(String),
    /// An iPAddress from subjectAltName (4 or 16 octets).
    Ip(Vec<u8>),
    /// A uniformResourceIdentifier from subjectAltName.
    Uri(String),
    /// The subject or a directoryName from subjectAltName: its RDNs and how it prints.
    Directory {
        /// DER of each RDN.
        rdns: Vec<Vec<u8>>,
        /// How it prints.
        shown: String,
    },
    /// Any other type (`otherName:OID`, ...).
    Other(String),
}

impl std::fmt::Display for CertifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dns(d) => write!(f, "DNS name {d}"),
            Self::Email(e) => write!(f, "e-mail address {e}"),
            Self::Ip(bytes) => write!(f, "IP address {}", ip_text(bytes)),
            Self::Uri(u) => write!(f, "URI {u}"),
            Self::Directory { shown, .. } => write!(f, "subject {shown}"),
            Self::Other(kind) => write!(f, "{kind}"),
        }
    }
}

/// The result of checking names against constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every name is allowed.
    Allowed,
    /// A name is outside every permitted subtree of its type.
    NotPermitted {
        /// The name.
        name: CertifiedName,
        /// The permitted subtrees of that type.
        permitted: Vec<Subtree>,
    },
    /// A name is inside an excluded subtree.
    Excluded {
        /// The name.
        name: CertifiedName,
        /// The subtree it falls in.
        subtree: Subtree,
    },
    /// The check needed more than [`MAX_COMPARISONS`] comparisons.
    TooMuchWork,
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::from(v6).to_string()
    } else {
        format!("(malformed, {} octets)", bytes.len())
    }
}

fn rdns(name: &X509Name<'_>) -> Vec<Vec<u8>> {
    // Each RDN is re-read from the raw name so comparison is on the encoded bytes (RFC 5280
    // §7.1 allows binary comparison for names in the same encoding).
    let mut out = Vec::new();
    let mut rest = name.as_raw();
    // Skip the outer SEQUENCE header.
    if let Some((_, content)) = split_tlv(rest) {
        rest = content;
    }
    while let Some((whole, _)) = split_tlv(rest) {
        out.push(whole.to_vec());
        rest = rest.get(whole.len()..).unwrap_or_default();
    }
    out
}

/// Splits the first DER TLV off `input`: (the whole TLV, its contents).
fn split_tlv(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *input.get(1)?;
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let mut length = 0usize;
        for byte in input.get(2..2 + count)? {
            length = (length << 8) | usize::from(*byte);
        }
        (length, 2 + count)
    };
    let end = header.checked_add(length)?;
    Some((input.get(..end)?, input.get(header..end)?))
}

fn subtree(base: &GeneralName<'_>) -> Result<Subtree, MalformedConstraint> {
    Ok(match base {
        GeneralName::DNSName(d) => {
            let valid = d.is_empty()
                || (d.is_ascii()
                    && !d.starts_with('.')
                    && !d.contains('*')
                    && d.split('.').all(|l| !l.is_empty() && l.len() <= 63));
            if !valid {
                return Err(MalformedConstraint(format!(
                    "the dNSName constraint {d:?} is not a domain name (no wildcards or leading dots)"
                )));
            }
            Subtree::Dns(d.to_ascii_lowercase())
        }
        GeneralName::RFC822Name(e) => {
            if e.is_empty() || !e.is_ascii() || e.matches('@').count() > 1 || e.ends_with('@') || e.starts_with('@') {
                return Err(MalformedConstraint(format!("the rfc822Name constraint {e:?} is not a mailbox or domain")));
            }
            Subtree::Email((*e).to_string())
        }
        GeneralName::IPAddress(bytes) => {
            let half = bytes.len() / 2;
            let (network, mask) = bytes.split_at(half);
            let contiguous = {
                let bits: Vec<bool> = mask.iter().flat_map(|b| (0..8).rev().map(move |i| b & (1 << i) != 0)).collect();
                bits.windows(2).all(|w| !matches!(w, [false, true]))
            };
            if !(bytes.len() == 8 || bytes.len() == 32) || !contiguous {
                return Err(MalformedConstraint(format!(
                    "the iPAddress constraint {} is not an address and a contiguous mask",
                    hex::encode(bytes)
                )));
            }
            Subtree::Ip { network: network.to_vec(), mask: mask.to_vec() }
        }
        GeneralName::URI(u) => Subtree::Uri(u.to_ascii_lowercase()),
        GeneralName::DirectoryName(n) => Subtree::Directory { rdns: rdns(n), shown: name_to_string(n) },
        GeneralName::Invalid(..) => return Err(MalformedConstraint("a subtree does not parse".into())),
        other => Subtree::Other(other_kind(other)),
    })
}

fn subtrees(list: Option<&Vec<GeneralSubtree<'_>>>) -> Result<Vec<Subtree>, MalformedConstraint> {
    list.map(|l| l.iter().map(|s| subtree(&s.base)).collect()).unwrap_or_else(|| Ok(Vec::new()))
}

/// The nameConstraints of `cert`: `None` when it has none, an error when the extension is
/// malformed or empty (RFC 5280 forbids an empty one).
pub fn of_certificate(cert: &X509Certificate<'_>) -> Option<Result<NameConstraints, MalformedConstraint>> {
    let extension = cert.extensions().iter().find(|e| e.oid == OID_X509_EXT_NAME_CONSTRAINTS)?;
    Some(match extension.parsed_extension() {
        ParsedExtension::NameConstraints(nc) => (|| {
            let parsed = NameConstraints {
                permitted: subtrees(nc.permitted_subtrees.as_ref())?,
                excluded: subtrees(nc.excluded_subtrees.as_ref())?,
                critical: extension.critical,
            };
            if parsed.permitted.is_empty() && parsed.excluded.is_empty() {
                return Err(MalformedConstraint("the extension names no permitted or excluded subtree".into()));
            }
            Ok(parsed)
        })(),
        _ => Err(MalformedConstraint("the extension does not parse (an empty or NULL subtree list?)".into())),
    })
}

/// Every name `cert` asserts: the subject (when not empty), its emailAddress attributes, and each
/// subjectAltName entry.
pub fn names_of(cert: &X509Certificate<'_>) -> Vec<CertifiedName> {
    let mut names = Vec::new();
    let subject = cert.subject();
    if subject.iter_attributes().next().is_some() {
        names.push(CertifiedName::Directory { rdns: rdns(subject), shown: name_to_string(subject) });
    }
    for attribute in subject.iter_by_oid(&OID_PKCS9_EMAIL_ADDRESS) {
        if let Ok(email) = attribute.as_str() {
            names.push(CertifiedName::Email(email.to_string()));
        }
    }
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        names.extend(san.value.general_names.iter().map(certified));
    }
    names
}

/// A subjectAltName entry as a [`CertifiedName`].
pub fn certified(name: &GeneralName<'_>) -> CertifiedName {
    match name {
        GeneralName::DNSName(d) => CertifiedName::Dns(d.to_ascii_lowercase()),
        GeneralName::RFC822Name(e) => CertifiedName::Email((*e).to_string()),
        GeneralName::IPAddress(bytes) => CertifiedName::Ip(bytes.to_vec()),
        GeneralName::URI(u) => CertifiedName::Uri((*u).to_string()),
        GeneralName::DirectoryName(n) => CertifiedName::Directory { rdns: rdns(n), shown: name_to_string(n) },
        other => CertifiedName::Other(other_kind(other)),
    }
}

/// The kind of a name signet does not compare, the same text for a name and a subtree.
fn other_kind(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::OtherName(oid, _) => format!("otherName {oid}"),
        GeneralName::RegisteredID(_) => "registeredID".into(),
        GeneralName::X400Address(_) => "x400Address".into(),
        GeneralName::EDIPartyName(_) => "ediPartyName".into(),
        _ => "a malformed name".into(),
    }
}

/// Checks `names` against `constraints`, counting comparisons in `budget`.
pub fn check(constraints: &NameConstraints, names: &[CertifiedName], budget: &mut usize) -> Outcome {
    for name in names {
        let mut same_type = Vec::new();
        let mut inside_permitted = false;
        for subtree in &constraints.permitted {
            let Some(inside) = within(name, subtree, budget) else { continue };
            if *budget == 0 {
                return Outcome::TooMuchWork;
            }
            if inside {
                inside_permitted = true;
                break;
            }
            same_type.push(subtree.clone());
        }
        if !same_type.is_empty() && !inside_permitted {
            return Outcome::NotPermitted { name: name.clone(), permitted: same_type };
        }
        for subtree in &constraints.excluded {
            let hit = match (name, subtree) {
                // signet cannot compare the values of these: a name of an excluded kind is refused.
                (CertifiedName::Other(n), Subtree::Other(s)) => n == s,
                _ => within(name, subtree, budget).is_some_and(|inside| inside || wildcard_reaches(name, subtree)),
            };
            if *budget == 0 {
                return Outcome::TooMuchWork;
            }
            if hit {
                return Outcome::Excluded { name: name.clone(), subtree: subtree.clone() };
            }
        }
    }
    Outcome::Allowed
}

/// Whether `name` is inside `subtree`; `None` when they are of different types.
fn within(name: &CertifiedName, subtree: &Subtree, budget: &mut usize) -> Option<bool> {
    let inside = match (name, subtree) {
        (CertifiedName::Dns(n), Subtree::Dns(s)) => dns_within(n, s),
        (CertifiedName::Email(n), Subtree::Email(s)) => email_within(n, s),
        (CertifiedName::Ip(n), Subtree::Ip { network, mask }) => {
            n.len() == network.len() && n.iter().zip(network).zip(mask).all(|((a, b), m)| a & m == b & m)
        }
        (CertifiedName::Uri(n), Subtree::Uri(s)) => uri_host(n).is_some_and(|host| host_within(&host, s)),
        (CertifiedName::Directory { rdns, .. }, Subtree::Directory { rdns: prefix, .. }) => {
            prefix.len() <= rdns.len() && rdns.iter().zip(prefix).all(|(a, b)| a == b)
        }
        (CertifiedName::Other(n), Subtree::Other(s)) if n == s => {
            // signet cannot compare these; inside no permitted subtree (so a CA that permits
            // only some otherNames refuses them all), never silently allowed.
            false
        }
        _ => return None,
    };
    *budget = budget.saturating_sub(1);
    Some(inside)
}

/// A dNSName constraint covers the name itself and every name with more labels on the left.
pub fn dns_within(name: &str, constraint: &str) -> bool {
    if constraint.is_empty() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let constraint = constraint.trim_end_matches('.').to_ascii_lowercase();
    name == constraint || name.ends_with(&format!(".{constraint}"))
}

/// A wildcard name `*.B` can stand for `x.B`: an excluded subtree exactly one label below `B`
/// is reached by it even though the wildcard is not inside it.
fn wildcard_reaches(name: &CertifiedName, subtree: &Subtree) -> bool {
    let (CertifiedName::Dns(n), Subtree::Dns(s)) = (name, subtree) else { return false };
    let Some(base) = n.strip_prefix("*.") else { return false };
    s.split_once('.').is_some_and(|(_, parent)| parent.eq_ignore_ascii_case(base))
}

fn host_within(host: &str, constraint: &str) -> bool {
    match constraint.strip_prefix('.') {
        Some(domain) => host.to_ascii_lowercase().ends_with(&format!(".{}", domain.to_ascii_lowercase())),
        None => host.eq_ignore_ascii_case(constraint),
    }
}

/// rfc822Name constraints: `user@host` is one mailbox, `host` every mailbox at that host,
/// `.domain` every mailbox at a host below it. Local parts compare exactly, hosts without case.
pub fn email_within(address: &str, constraint: &str) -> bool {
    let Some((local, host)) = address.rsplit_once('@') else { return false };
    match constraint.rsplit_once('@') {
        Some((c_local, c_host)) => local == c_local && host.eq_ignore_ascii_case(c_host),
        None => host_within(host, constraint),
    }
}

fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let host = host_port.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(s: &str) -> CertifiedName {
        CertifiedName::Dns(s.into())
    }

    #[test]
    fn dns_constraints_cover_the_name_and_what_is_below_it() {
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("www.Example.com", "example.com"));
        assert!(!dns_within("notexample.com", "example.com"));
        assert!(!dns_within("example.com", "www.example.com"));
        assert!(dns_within("anything", ""));
    }

    #[test]
    fn email_constraints_are_mailbox_host_or_domain() {
        assert!(email_within("a@example.com", "a@example.com"));
        assert!(!email_within("b@example.com", "a@example.com"));
        assert!(email_within("b@EXAMPLE.com", "example.com"));
        assert!(!email_within("b@sub.example.com", "example.com"));
        assert!(email_within("b@sub.example.com", ".example.com"));
        assert!(!email_within("b@example.com", ".example.com"));
        // an asterisk is a literal character, not a wildcard
        assert!(!email_within("b@example.com", "*@example.com"));
    }

    #[test]
    fn permitted_and_excluded_subtrees_are_checked_by_type() {
        let constraints = NameConstraints {
            permitted: vec![Subtree::Dns("example.com".into())],
            excluded: vec![Subtree::Dns("secret.example.com".into())],
            critical: true,
        };
        let mut budget = MAX_COMPARISONS;
        assert_eq!(check(&constraints, &[dns("www.example.com")], &mut budget), Outcome::Allowed);
        assert!(matches!(check(&constraints, &[dns("www.evil.com")], &mut budget), Outcome::NotPermitted { .. }));
        assert!(matches!(check(&constraints, &[dns("a.secret.example.com")], &mut budget), Outcome::Excluded { .. }));
        // a wildcard that can stand for an excluded name is refused
        assert!(matches!(check(&constraints, &[dns("*.example.com")], &mut budget), Outcome::Excluded { .. }));
        // names of another type are not limited by DNS subtrees
        assert_eq!(check(&constraints, &[CertifiedName::Ip(vec![10, 0, 0, 1])], &mut budget), Outcome::Allowed);
    }

    #[test]
    fn ip_subtrees_compare_under_the_mask() {
        let constraints = NameConstraints {
            permitted: vec![Subtree::Ip { network: vec![192, 0, 2, 0], mask: vec![255, 255, 255, 0] }],
            ..Default::default()
        };
        let mut budget = MAX_COMPARISONS;
        assert_eq!(check(&constraints, &[CertifiedName::Ip(vec![192, 0, 2, 7])], &mut budget), Outcome::Allowed);
        let outcome = check(&constraints, &[CertifiedName::Ip(vec![192, 0, 3, 1])], &mut budget);
        assert!(matches!(outcome, Outcome::NotPermitted { .. }));
        assert_eq!(
            Subtree::Ip { network: vec![192, 0, 2, 0], mask: vec![255, 255, 255, 0] }.to_string(),
            "IP 192.0.2.0/24"
        );
    }

    #[test]
    fn the_work_is_bounded() {
        let constraints = NameConstraints {
            permitted: (0..1000).map(|i| Subtree::Dns(format!("n{i}.test"))).collect(),
            ..Default::default()
        };
        let names: Vec<CertifiedName> = (0..1000).map(|i| dns(&format!("x{i}.n999.test"))).collect();
        let mut budget = 10_000;
        assert_eq!(check(&constraints, &names, &mut budget), Outcome::TooMuchWork);
    }

    #[test]
    fn uri_hosts_are_extracted() {
        assert_eq!(uri_host("https://user@Host.example.com:8443/path").as_deref(), Some("host.example.com"));
        assert_eq!(uri_host("urn:isbn:1"), None);
    }
}
