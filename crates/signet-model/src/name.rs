//! Names a certificate can be issued for: DNS names, IP addresses, e-mail addresses and URIs.
//!
//! Parsing catches the classic ways users get a name wrong (seed mistake P2): a URL instead of a
//! host name (`https://secure.example.com/checkout`), a port, spaces, a file name
//! (`www.mydomain.csr`), typographic dashes (P26), upper case and Unicode (converted to the
//! lower-case A-label form, RFC 5890). Each refusal says what to type instead.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lookalike;

/// A syntactically valid DNS name in lower-case A-label form, possibly a wildcard (`*.example.com`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

/// Why a name was refused. Every message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing was given.
    #[error("the name is empty")]
    Empty,
    /// Typographic look-alike characters (P26).
    #[error("{input:?} contains {name} (U+{code:04X}) at position {position}; type it in plain ASCII: {ascii:?}")]
    Lookalike {
        /// The name as given.
        input: String,
        /// Unicode name of the first look-alike.
        name: &'static str,
        /// Its code point.
        code: u32,
        /// Its character position.
        position: usize,
        /// The name with look-alikes replaced.
        ascii: String,
    },
    /// A URL was given instead of a host name.
    #[error("{input:?} is a URL; a certificate names the host only, without \"{scheme}://\" or a path: use {host:?}")]
    Url {
        /// The name as given.
        input: String,
        /// The scheme found.
        scheme: String,
        /// The host part, the likely intended name.
        host: String,
    },
    /// A path after the host.
    #[error("{input:?} contains a path; a certificate names the host only: use {host:?}")]
    Path {
        /// The name as given.
        input: String,
        /// The host part.
        host: String,
    },
    /// A `:port` after the host.
    #[error("{input:?} contains a port; certificates are not tied to ports: use {host:?}")]
    Port {
        /// The name as given.
        input: String,
        /// The host part.
        host: String,
    },
    /// Whitespace inside.
    #[error("{input:?} contains whitespace; DNS names cannot contain spaces")]
    Whitespace {
        /// The name as given.
        input: String,
    },
    /// Ends in a file extension, e.g. `www.mydomain.csr`.
    #[error(
        "{input:?} ends in \"{suffix}\", which is a file extension, not a domain; use the host name users type, e.g. {suggestion:?}"
    )]
    FileSuffix {
        /// The name as given.
        input: String,
        /// The suffix found, e.g. `.csr`.
        suffix: String,
        /// The name without the suffix.
        suggestion: String,
    },
    /// Looks like an e-mail address.
    #[error("{input:?} is an e-mail address, not a DNS name; pass it with --email or as --san email:{input}")]
    LooksLikeEmail {
        /// The name as given.
        input: String,
    },
    /// A trailing dot (absolute form), which certificates must not carry.
    #[error("{input:?} ends with a dot; write it without: {suggestion:?}")]
    TrailingDot {
        /// The name as given.
        input: String,
        /// Without the dot.
        suggestion: String,
    },
    /// Longer than 253 octets.
    #[error("{input:?} is {length} characters long; a DNS name has at most 253")]
    TooLong {
        /// The name as given.
        input: String,
        /// Its length.
        length: usize,
    },
    /// A label is empty (`a..b`).
    #[error("{input:?} has an empty label (two dots in a row, or a leading dot)")]
    EmptyLabel {
        /// The name as given.
        input: String,
    },
    /// A label is longer than 63 octets.
    #[error("label {label:?} in {input:?} has {length} characters; a DNS label has at most 63")]
    LabelTooLong {
        /// The name as given.
        input: String,
        /// The label.
        label: String,
        /// Its length.
        length: usize,
    },
    /// A character outside letters, digits and hyphen.
    #[error("{input:?} contains {found:?}; DNS names use only letters, digits, hyphens and dots")]
    BadCharacter {
        /// The name as given.
        input: String,
        /// The character.
        found: char,
    },
    /// A label begins or ends with a hyphen.
    #[error("label {label:?} in {input:?} begins or ends with a hyphen")]
    HyphenAtEdge {
        /// The name as given.
        input: String,
        /// The label.
        label: String,
    },
    /// `ab--cd`: hyphens in positions 3 and 4 are reserved for IDNA (`xn--`).
    #[error(
        "label {label:?} in {input:?} has \"--\" in positions 3-4, which is reserved for internationalised labels (xn--)"
    )]
    ReservedHyphens {
        /// The name as given.
        input: String,
        /// The label.
        label: String,
    },
    /// An `xn--` label that is not valid Punycode / IDNA.
    #[error("label {label:?} in {input:?} is not a valid internationalised (xn--) label")]
    BadPunycode {
        /// The name as given.
        input: String,
        /// The label.
        label: String,
    },
    /// Unicode that IDNA (UTS 46) refuses.
    #[error("{input:?} cannot be converted to an internationalised domain name (IDNA)")]
    BadIdn {
        /// The name as given.
        input: String,
    },
    /// A wildcard anywhere but as the whole leftmost label, or more than one.
    #[error("{input:?}: a wildcard is allowed only as the whole leftmost label, as in \"*.example.com\"")]
    BadWildcard {
        /// The name as given.
        input: String,
    },
    /// A wildcard over a single label (`*.com`).
    #[error("{input:?}: a wildcard must sit under a registered domain, as in \"*.example.com\"")]
    WildcardTooBroad {
        /// The name as given.
        input: String,
    },
    /// An IP address given where a DNS name was expected.
    #[error("{input:?} is an IP address, not a DNS name; pass it as --san ip:{input}")]
    IpAddress {
        /// The name as given.
        input: String,
    },
    /// Not a valid e-mail address.
    #[error("{input:?} is not an e-mail address of the form local@domain")]
    BadEmail {
        /// The address as given.
        input: String,
    },
    /// Not a valid URI.
    #[error("{input:?} is not a URI of the form scheme:rest")]
    BadUri {
        /// The URI as given.
        input: String,
    },
}

/// File extensions users put in names by mistake (the seed's own example: CN `www.mydomain.csr`).
const FILE_SUFFIXES: &[&str] =
    &[".csr", ".key", ".crt", ".pem", ".cer", ".der", ".req", ".p12", ".pfx", ".p7b", ".p7c", ".crl", ".txt"];

impl DnsName {
    /// Parses a DNS name as a user would type it, normalising case and Unicode, and refusing
    /// anything that is not a host name with a precise reason.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let owned = || input.to_string();
        if input.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(first) = lookalike::find(input).first() {
            return Err(NameError::Lookalike {
                input: owned(),
                name: first.name,
                code: u32::from(first.found),
                position: first.position,
                ascii: lookalike::to_ascii(input),
            });
        }
        let trimmed = input.trim();
        if let Some((scheme, rest)) = trimmed.split_once("://") {
            let host = host_part(rest);
            return Err(NameError::Url { input: owned(), scheme: scheme.to_string(), host });
        }
        if trimmed.chars().any(char::is_whitespace) || trimmed.len() != input.len() {
            return Err(NameError::Whitespace { input: owned() });
        }
        if trimmed.contains('@') {
            return Err(NameError::LooksLikeEmail { input: owned() });
        }
        if trimmed.parse::<IpAddr>().is_ok() {
            return Err(NameError::IpAddress { input: owned() });
        }
        if let Some((host, _)) = trimmed.split_once('/') {
            return Err(NameError::Path { input: owned(), host: host_part(host) });
        }
        if let Some((host, port)) = trimmed.rsplit_once(':')
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
        {
            return Err(NameError::Port { input: owned(), host: host.to_string() });
        }
        let lower = trimmed.to_lowercase();
        for suffix in FILE_SUFFIXES {
            if let Some(stem) = lower.strip_suffix(suffix) {
                return Err(NameError::FileSuffix {
                    input: owned(),
                    suffix: (*suffix).to_string(),
                    suggestion: suggest_for_file_stem(stem),
                });
            }
        }
        if let Some(stem) = lower.strip_suffix('.') {
            return Err(NameError::TrailingDot { input: owned(), suggestion: stem.to_string() });
        }
        let ascii = if lower.is_ascii() {
            lower
        } else {
            to_a_labels(&lower).ok_or_else(|| NameError::BadIdn { input: owned() })?
        };
        check_syntax(input, &ascii)?;
        Ok(Self(ascii))
    }

    /// The name in lower-case A-label form, as it goes into a certificate.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the leftmost label is `*`.
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// The name for display, with internationalised labels in Unicode.
    pub fn to_unicode(&self) -> String {
        let (unicode, result) = idna::domain_to_unicode(&self.0);
        if result.is_ok() { unicode } else { self.0.clone() }
    }

    /// Number of labels (`www.example.com` has 3).
    pub fn label_count(&self) -> usize {
        self.0.split('.').count()
    }

    /// Whether this name, possibly a wildcard, covers the host name `host` (RFC 6125 §6.4.3:
    /// a wildcard matches exactly one leftmost label).
    pub fn matches(&self, host: &DnsName) -> bool {
        if let Some(base) = self.0.strip_prefix("*.") {
            match host.0.split_once('.') {
                Some((first, rest)) => first != "*" && rest == base,
                None => false,
            }
        } else {
            self.0 == host.0
        }
    }
}

fn host_part(rest: &str) -> String {
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h.to_string(),
        _ => host.to_string(),
    }
}

fn suggest_for_file_stem(stem: &str) -> String {
    // "www.mydomain" (from "www.mydomain.csr") most likely meant "www.mydomain.com".
    if stem.contains('.') { format!("{stem}.com") } else { stem.to_string() }
}

fn to_a_labels(unicode: &str) -> Option<String> {
    idna::domain_to_ascii_strict(unicode).ok()
}

fn check_syntax(input: &str, ascii: &str) -> Result<(), NameError> {
    let owned = || input.to_string();
    if ascii.len() > 253 {
        return Err(NameError::TooLong { input: owned(), length: ascii.len() });
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for (index, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(NameError::EmptyLabel { input: owned() });
        }
        if *label == "*" {
            if index != 0 {
                return Err(NameError::BadWildcard { input: owned() });
            }
            if labels.len() < 3 {
                return Err(NameError::WildcardTooBroad { input: owned() });
            }
            continue;
        }
        if label.contains('*') {
            return Err(NameError::BadWildcard { input: owned() });
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong { input: owned(), label: label.to_string(), length: label.len() });
        }
        if let Some(found) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(NameError::BadCharacter { input: owned(), found });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::HyphenAtEdge { input: owned(), label: label.to_string() });
        }
        if label.get(2..4) == Some("--") {
            if !label.starts_with("xn--") {
                return Err(NameError::ReservedHyphens { input: owned(), label: label.to_string() });
            }
            let (unicode, result) = idna::domain_to_unicode(label);
            let round_trip = to_a_labels(&unicode);
            if result.is_err() || round_trip.as_deref() != Some(label) {
                return Err(NameError::BadPunycode { input: owned(), label: label.to_string() });
            }
        }
    }
    Ok(())
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DnsName({})", self.0)
    }
}

impl std::str::FromStr for DnsName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for DnsName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DnsName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One subject alternative name (RFC 5280 §4.2.1.6) as signet accepts them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Identifier {
    /// dNSName.
    Dns(DnsName),
    /// iPAddress.
    Ip(IpAddr),
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
}

impl Identifier {
    /// Parses an e-mail address (no `email:` prefix needed).
    pub fn parse_email(input: &str) -> Result<Self, NameError> {
        parse_email(input)
    }

    /// Parses a `--san` value: `dns:NAME`, `ip:ADDR`, `email:ADDR`, `uri:URI`, or an unprefixed
    /// value whose type is inferred (IP address, e-mail with `@`, otherwise a DNS name).
    ///
    /// An unprefixed `http(s)://` URL is refused as the common mistake it is (P2); a URI SAN must
    /// be asked for with `uri:`.
    pub fn parse_san(input: &str) -> Result<Self, NameError> {
        let (prefix, value) = match input.split_once(':') {
            Some((p, v)) if matches!(p.to_ascii_lowercase().as_str(), "dns" | "ip" | "email" | "uri") => {
                (Some(p.to_ascii_lowercase()), v)
            }
            _ => (None, input),
        };
        match prefix.as_deref() {
            Some("dns") => DnsName::parse(value).map(Self::Dns),
            Some("ip") => parse_ip(value),
            Some("email") => parse_email(value),
            Some("uri") => parse_uri(value),
            _ => {
                if value.parse::<IpAddr>().is_ok() {
                    return parse_ip(value);
                }
                if value.contains('@') && !value.contains("://") {
                    return parse_email(value);
                }
                DnsName::parse(value).map(Self::Dns)
            }
        }
    }

    /// The value as text, without a type prefix.
    pub fn value(&self) -> String {
        match self {
            Self::Dns(name) => name.to_string(),
            Self::Ip(ip) => ip.to_string(),
            Self::Email(text) | Self::Uri(text) => text.clone(),
        }
    }

    /// The type prefix used on the command line (`dns`, `ip`, `email`, `uri`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Dns(_) => "dns",
            Self::Ip(_) => "ip",
            Self::Email(_) => "email",
            Self::Uri(_) => "uri",
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

fn parse_ip(value: &str) -> Result<Identifier, NameError> {
    value.trim().parse::<IpAddr>().map(Identifier::Ip).map_err(|_| NameError::BadCharacter {
        input: value.to_string(),
        found: value.chars().find(|c| !(c.is_ascii_hexdigit() || *c == '.' || *c == ':')).unwrap_or(' '),
    })
}

fn parse_email(value: &str) -> Result<Identifier, NameError> {
    let bad = || NameError::BadEmail { input: value.to_string() };
    if !lookalike::find(value).is_empty() || value.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.contains('@') || !local.is_ascii() {
        return Err(bad());
    }
    let domain = DnsName::parse(domain).map_err(|_| bad())?;
    if domain.is_wildcard() {
        return Err(bad());
    }
    Ok(Identifier::Email(format!("{local}@{domain}")))
}

fn parse_uri(value: &str) -> Result<Identifier, NameError> {
    let bad = || NameError::BadUri { input: value.to_string() };
    let (scheme, rest) = value.split_once(':').ok_or_else(bad)?;
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok
        || rest.is_empty()
        || !value.is_ascii()
        || value.chars().any(|c| c.is_ascii_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(Identifier::Uri(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> NameError {
        DnsName::parse(input).unwrap_err()
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(DnsName::parse("WWW.Example.COM").unwrap().as_str(), "www.example.com");
        assert_eq!(DnsName::parse("bücher.example").unwrap().as_str(), "xn--bcher-kva.example");
        assert_eq!(DnsName::parse("xn--bcher-kva.example").unwrap().to_unicode(), "bücher.example");
        assert!(DnsName::parse("*.example.com").unwrap().is_wildcard());
        assert!(DnsName::parse("intranet").is_ok());
    }

    #[test]
    fn refuses_urls_paths_ports_files() {
        assert!(
            matches!(err("https://secure.example.com/checkout"), NameError::Url { host, .. } if host == "secure.example.com")
        );
        assert!(
            matches!(err("secure.example.com/checkout"), NameError::Path { host, .. } if host == "secure.example.com")
        );
        assert!(matches!(err("www.example.com:443"), NameError::Port { host, .. } if host == "www.example.com"));
        assert!(
            matches!(err("www.mydomain.csr"), NameError::FileSuffix { suggestion, .. } if suggestion == "www.mydomain.com")
        );
        assert!(matches!(err("www.example.com.key"), NameError::FileSuffix { .. }));
        assert!(matches!(err("www example.com"), NameError::Whitespace { .. }));
        assert!(matches!(err("admin@example.com"), NameError::LooksLikeEmail { .. }));
        assert!(matches!(err("10.0.0.1"), NameError::IpAddress { .. }));
        assert!(matches!(err("::1"), NameError::IpAddress { .. }));
    }

    #[test]
    fn refuses_bad_syntax() {
        assert!(matches!(err("example.com."), NameError::TrailingDot { .. }));
        assert!(matches!(err("a..example.com"), NameError::EmptyLabel { .. }));
        assert!(matches!(err(&format!("{}.com", "a".repeat(64))), NameError::LabelTooLong { length: 64, .. }));
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(matches!(err(&long), NameError::TooLong { .. }));
        assert!(matches!(err("-www.example.com"), NameError::HyphenAtEdge { .. }));
        assert!(matches!(err("ab--x.com"), NameError::ReservedHyphens { .. }));
        assert!(matches!(
            err("xn--bad-punycode--.com"),
            NameError::HyphenAtEdge { .. } | NameError::BadPunycode { .. }
        ));
        assert!(matches!(err("xn--zz.com"), NameError::BadPunycode { .. }));
        assert!(matches!(err("foo_bar.example.com"), NameError::BadCharacter { found: '_', .. }));
        assert!(matches!(err("a\0b.com"), NameError::BadCharacter { .. } | NameError::BadIdn { .. }));
    }

    #[test]
    fn wildcard_rules() {
        assert!(matches!(err("*.*.example.com"), NameError::BadWildcard { .. }));
        assert!(matches!(err("a.*.example.com"), NameError::BadWildcard { .. }));
        assert!(matches!(err("w*.example.com"), NameError::BadWildcard { .. }));
        assert!(matches!(err("*.com"), NameError::WildcardTooBroad { .. }));
        let wild = DnsName::parse("*.example.com").unwrap();
        assert!(wild.matches(&DnsName::parse("www.example.com").unwrap()));
        assert!(!wild.matches(&DnsName::parse("example.com").unwrap()));
        assert!(!wild.matches(&DnsName::parse("a.b.example.com").unwrap()));
    }

    #[test]
    fn refuses_typographic_dashes() {
        let e = err("www\u{2013}1.example.com");
        assert!(matches!(&e, NameError::Lookalike { ascii, .. } if ascii == "www-1.example.com"));
        assert!(e.to_string().contains("EN DASH"));
    }

    #[test]
    fn san_values_are_typed() {
        assert_eq!(Identifier::parse_san("www.example.com").unwrap().kind(), "dns");
        assert_eq!(Identifier::parse_san("192.0.2.1").unwrap().kind(), "ip");
        assert_eq!(Identifier::parse_san("ip:2001:db8::1").unwrap().kind(), "ip");
        assert_eq!(Identifier::parse_san("admin@Example.COM").unwrap(), Identifier::Email("admin@example.com".into()));
        assert_eq!(Identifier::parse_san("uri:spiffe://example.org/web").unwrap().kind(), "uri");
        assert!(matches!(Identifier::parse_san("https://www.example.com/"), Err(NameError::Url { .. })));
        assert!(Identifier::parse_san("ip:300.1.1.1").is_err());
        assert!(Identifier::parse_san("email:nobody").is_err());
    }
}
