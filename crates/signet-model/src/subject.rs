//! Subject distinguished-name attributes, checked the same way wherever they come from: typed
//! into `signet csr new` or read from a CSR that reaches the CA (seed mistakes P2, P3, P26).
//!
//! [`check`] refuses what is certainly wrong — a value longer than its RFC 5280 upper bound,
//! control characters (NUL included), typographic look-alikes, a URL, path or port where the
//! Common Name should be a host, an unknown country code, placeholder values left from an
//! `openssl.cnf` prompt — and returns each value as it goes into a certificate (trimmed; host
//! names in lower-case A-label form; the country in upper case). Both the subscriber toolkit and
//! the CA's issuance call it, so a refusal reads the same in both places.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use crate::country::{Country, CountryError};
use crate::lookalike;
use crate::name::{DnsName, Identifier, NameError};

/// A subject attribute type signet reads and writes (X.520, RFC 5280 Appendix A, PKCS #9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Attribute {
    /// commonName (2.5.4.3).
    CommonName,
    /// countryName (2.5.4.6).
    Country,
    /// stateOrProvinceName (2.5.4.8).
    State,
    /// localityName (2.5.4.7).
    Locality,
    /// streetAddress (2.5.4.9).
    Street,
    /// postalCode (2.5.4.17).
    PostalCode,
    /// organizationName (2.5.4.10).
    Organization,
    /// organizationalUnitName (2.5.4.11).
    OrganizationalUnit,
    /// title (2.5.4.12).
    Title,
    /// serialNumber (2.5.4.5).
    SerialNumber,
    /// givenName (2.5.4.42).
    GivenName,
    /// surname (2.5.4.4).
    Surname,
    /// pseudonym (2.5.4.65).
    Pseudonym,
    /// domainComponent (0.9.2342.19200300.100.1.25, RFC 4519).
    DomainComponent,
    /// emailAddress (1.2.840.113549.1.9.1, PKCS #9), deprecated in favour of a SAN.
    Email,
}

/// (attribute, dotted OID, short name, label, upper bound in characters, where the bound is set)
const TABLE: &[(Attribute, &str, &str, &str, usize, &str)] = &[
    (Attribute::CommonName, "2.5.4.3", "CN", "common name", 64, "RFC 5280 ub-common-name"),
    (Attribute::Country, "2.5.4.6", "C", "country", 2, "RFC 5280 ub-country-name-alpha-length"),
    (Attribute::State, "2.5.4.8", "ST", "state", 128, "RFC 5280 ub-state-name"),
    (Attribute::Locality, "2.5.4.7", "L", "locality", 128, "RFC 5280 ub-locality-name"),
    (Attribute::Street, "2.5.4.9", "street", "street address", 128, "X.520 ub-street-address"),
    (Attribute::PostalCode, "2.5.4.17", "postalCode", "postal code", 40, "X.520 ub-postal-code"),
    (Attribute::Organization, "2.5.4.10", "O", "organization", 64, "RFC 5280 ub-organization-name"),
    (
        Attribute::OrganizationalUnit,
        "2.5.4.11",
        "OU",
        "organizational unit",
        64,
        "RFC 5280 ub-organizational-unit-name",
    ),
    (Attribute::Title, "2.5.4.12", "title", "title", 64, "RFC 5280 ub-title"),
    (Attribute::SerialNumber, "2.5.4.5", "serialNumber", "serial number", 64, "RFC 5280 ub-serial-number"),
    (Attribute::GivenName, "2.5.4.42", "GN", "given name", 32_768, "RFC 5280 ub-name"),
    (Attribute::Surname, "2.5.4.4", "SN", "surname", 32_768, "RFC 5280 ub-name"),
    (Attribute::Pseudonym, "2.5.4.65", "pseudonym", "pseudonym", 128, "RFC 5280 ub-pseudonym"),
    (Attribute::DomainComponent, "0.9.2342.19200300.100.1.25", "DC", "domain component", 63, "RFC 1035 label length"),
    (Attribute::Email, "1.2.840.113549.1.9.1", "emailAddress", "e-mail", 255, "RFC 5280 ub-emailaddress-length"),
];

impl Attribute {
    fn row(self) -> (Attribute, &'static str, &'static str, &'static str, usize, &'static str) {
        // Every variant has a row (a unit test walks them all); the fallback is never taken.
        TABLE.iter().copied().find(|row| row.0 == self).unwrap_or((self, "", "?", "attribute", 64, "RFC 5280"))
    }

    /// The attribute with this dotted OID, if signet knows it.
    pub fn from_oid(oid: &str) -> Option<Self> {
        TABLE.iter().find(|row| row.1 == oid).map(|row| row.0)
    }

    /// The dotted OID.
    pub fn oid(self) -> &'static str {
        self.row().1
    }

    /// The short name used when a DN is written out (`CN`, `O`, `serialNumber`).
    pub fn short_name(self) -> &'static str {
        self.row().2
    }

    /// The largest number of characters a value may have.
    pub fn upper_bound(self) -> usize {
        self.row().4
    }
}

impl fmt::Display for Attribute {
    /// `common name (CN)`: how messages name the attribute.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, _, short, label, _, _) = self.row();
        write!(f, "{label} ({short})")
    }
}

/// Where a placeholder value comes from, so a refusal says so truthfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderOrigin {
    /// The prompt defaults of OpenSSL's own `openssl.cnf`: AU, "Some-State", "Internet Widgits Pty Ltd".
    OpenSsl,
    /// The prompt defaults of the `openssl.cnf` of Red Hat, Fedora and CentOS: XX, "Default City",
    /// "Default Company Ltd".
    RedHat,
    /// The prompt defaults of older Red Hat releases: GB, "Berkshire", "Newbury", "My Company Ltd".
    RedHatLegacy,
    /// A placeholder from examples and forms, no tool's default.
    Example,
}

impl fmt::Display for PlaceholderOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OpenSsl => {
                "the default OpenSSL's own openssl.cnf offers at its prompts (with country AU, state \"Some-State\" and organization \"Internet Widgits Pty Ltd\")"
            }
            Self::RedHat => "the default the openssl.cnf of Red Hat, Fedora and CentOS offers at its prompts",
            Self::RedHatLegacy => "the default the openssl.cnf of older Red Hat releases offers at its prompts",
            Self::Example => "a placeholder from examples and forms",
        })
    }
}

const PLACEHOLDER_ORGANIZATIONS: &[(&str, PlaceholderOrigin)] = &[
    ("Internet Widgits Pty Ltd", PlaceholderOrigin::OpenSsl),
    ("Default Company Ltd", PlaceholderOrigin::RedHat),
    ("My Company Ltd", PlaceholderOrigin::RedHatLegacy),
    ("Company Name", PlaceholderOrigin::Example),
    ("Example Inc", PlaceholderOrigin::Example),
];
const PLACEHOLDER_STATES: &[(&str, PlaceholderOrigin)] = &[("Some-State", PlaceholderOrigin::OpenSsl)];
const PLACEHOLDER_LOCALITIES: &[(&str, PlaceholderOrigin)] = &[("Default City", PlaceholderOrigin::RedHat)];
/// Defaults that are real places: refused only as the pair (state, locality).
const PLACEHOLDER_PLACES: &[(&str, &str, PlaceholderOrigin)] =
    &[("Berkshire", "Newbury", PlaceholderOrigin::RedHatLegacy)];

/// Why a subject is refused. Each message names the attribute and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// Typographic look-alikes (P26).
    #[error("{attribute}: {value:?} contains {name} (U+{code:04X}); type it in plain ASCII: {ascii:?}")]
    Lookalike {
        /// The attribute.
        attribute: Attribute,
        /// The value as given.
        value: String,
        /// Unicode name of the first look-alike.
        name: &'static str,
        /// Its code point.
        code: u32,
        /// The value with look-alikes replaced.
        ascii: String,
    },
    /// A control character, NUL included.
    #[error(
        "{attribute}: contains the control character U+{code:04X} at position {position}; a name holds printable text only"
    )]
    ControlCharacter {
        /// The attribute.
        attribute: Attribute,
        /// The character's code point.
        code: u32,
        /// Its character position (from 1).
        position: usize,
    },
    /// Longer than the attribute's upper bound.
    #[error("{attribute}: {length} characters; {reference} allows at most {limit}")]
    TooLong {
        /// The attribute.
        attribute: Attribute,
        /// Characters given.
        length: usize,
        /// The bound.
        limit: usize,
        /// Where the bound is set.
        reference: &'static str,
    },
    /// A host-shaped Common Name or an e-mail address that is not a valid one (P2).
    #[error("{attribute}: {source}")]
    Name {
        /// The attribute.
        attribute: Attribute,
        /// Why.
        source: NameError,
    },
    /// Not an ISO 3166-1 country code.
    #[error("{attribute}: {source}")]
    Country {
        /// The attribute.
        attribute: Attribute,
        /// Why.
        source: CountryError,
    },
    /// A placeholder left in place (P3).
    #[error("{fields}: {value:?} is {origin}, not your organisation's details; give the real values")]
    Placeholder {
        /// The attribute or attributes, e.g. `organization (O)`.
        fields: String,
        /// The placeholder.
        value: String,
        /// Where it comes from.
        origin: PlaceholderOrigin,
    },
    /// A value whose encoding is not text signet reads.
    #[error(
        "{attribute}: the value is not text signet can read ({encoding}); encode it as UTF8String or PrintableString"
    )]
    NotText {
        /// The attribute.
        attribute: Attribute,
        /// What was found.
        encoding: String,
    },
}

/// What a Common Name turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum CommonName {
    /// A host name (a certificate also names it in its SANs).
    Host(DnsName),
    /// An IP address.
    Ip(IpAddr),
    /// A person's, device's or organisation's name.
    Text(String),
}

impl CommonName {
    /// The value as it goes into the CN attribute.
    pub fn value(&self) -> String {
        match self {
            Self::Host(name) => name.to_string(),
            Self::Ip(ip) => ip.to_string(),
            Self::Text(text) => text.clone(),
        }
    }
}

/// One checked attribute, its value as it goes into a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectValue {
    /// The attribute.
    pub attribute: Attribute,
    /// The value.
    pub value: String,
}

/// Checks one value's text: look-alikes, control characters, the upper bound. Returns it trimmed,
/// or `None` when nothing but whitespace was given.
pub fn check_text(attribute: Attribute, value: &str) -> Result<Option<String>, SubjectError> {
    if let Some(first) = lookalike::find(value).first() {
        return Err(SubjectError::Lookalike {
            attribute,
            value: value.to_string(),
            name: first.name,
            code: u32::from(first.found),
            ascii: lookalike::to_ascii(value),
        });
    }
    if let Some((index, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(SubjectError::ControlCharacter { attribute, code: u32::from(c), position: index + 1 });
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let length = trimmed.chars().count();
    let (_, _, _, _, limit, reference) = attribute.row();
    // A country is two letters; `Country::parse` explains a longer one ("USA": did you mean US?).
    if length > limit && attribute != Attribute::Country {
        return Err(SubjectError::TooLong { attribute, length, limit, reference });
    }
    Ok(Some(trimmed.to_string()))
}

/// Whether a word is shaped like a domain name (`example.com`), as in `www example.com`.
fn domain_shaped(word: &str) -> bool {
    let last = word.rsplit('.').next().unwrap_or_default();
    word.contains('.')
        && !word.starts_with('.')
        && last.len() >= 2
        && last.chars().all(|c| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

/// Classifies a Common Name (already through [`check_text`]): an IP address, a host name, or
/// text. A value shaped like a host — with `://`, a path, a port, a dot, or a domain among
/// words — must be a valid host name, so a URL or path is refused with the host to use (P2).
pub fn common_name(text: &str) -> Result<CommonName, SubjectError> {
    let as_error = |source: NameError| SubjectError::Name { attribute: Attribute::CommonName, source };
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(CommonName::Ip(ip));
    }
    let has_space = text.chars().any(char::is_whitespace);
    let host_shaped = if text.contains("://") {
        true
    } else if has_space {
        text.split_whitespace().any(domain_shaped)
    } else if text.contains('@') {
        false
    } else {
        text.contains(['.', '/', ':'])
    };
    if host_shaped {
        return DnsName::parse(text).map(CommonName::Host).map_err(as_error);
    }
    if !has_space && let Ok(host) = DnsName::parse(text) {
        return Ok(CommonName::Host(host));
    }
    Ok(CommonName::Text(text.to_string()))
}

fn placeholder_in(list: &[(&str, PlaceholderOrigin)], value: &str) -> Option<PlaceholderOrigin> {
    list.iter().find(|(p, _)| p.eq_ignore_ascii_case(value)).map(|(_, origin)| *origin)
}

/// Refuses placeholder values (P3).
pub fn check_placeholders(values: &[SubjectValue]) -> Result<(), SubjectError> {
    let first = |attribute: Attribute| values.iter().find(|v| v.attribute == attribute).map(|v| v.value.as_str());
    let refuse = |attribute: Attribute, value: &str, origin| SubjectError::Placeholder {
        fields: attribute.to_string(),
        value: value.to_string(),
        origin,
    };
    for v in values {
        let list: &[(&str, PlaceholderOrigin)] = match v.attribute {
            Attribute::Organization => PLACEHOLDER_ORGANIZATIONS,
            Attribute::State => PLACEHOLDER_STATES,
            Attribute::Locality => PLACEHOLDER_LOCALITIES,
            _ => continue,
        };
        if let Some(origin) = placeholder_in(list, &v.value) {
            return Err(refuse(v.attribute, &v.value, origin));
        }
    }
    if let (Some(state), Some(locality)) = (first(Attribute::State), first(Attribute::Locality))
        && let Some((_, _, origin)) = PLACEHOLDER_PLACES
            .iter()
            .find(|(s, l, _)| s.eq_ignore_ascii_case(state) && l.eq_ignore_ascii_case(locality))
    {
        return Err(SubjectError::Placeholder {
            fields: format!("{} and {}", Attribute::State, Attribute::Locality),
            value: format!("{state} / {locality}"),
            origin: *origin,
        });
    }
    Ok(())
}

/// Checks one attribute: its text, then its type's syntax. Returns the value as it goes into a
/// certificate, or `None` when nothing but whitespace was given.
pub fn check_value(attribute: Attribute, value: &str) -> Result<Option<String>, SubjectError> {
    let Some(text) = check_text(attribute, value)? else { return Ok(None) };
    let value = match attribute {
        Attribute::CommonName => common_name(&text)?.value(),
        Attribute::Country => {
            Country::parse(&text).map_err(|source| SubjectError::Country { attribute, source })?.code().to_string()
        }
        Attribute::Email => {
            Identifier::parse_email(&text).map_err(|source| SubjectError::Name { attribute, source })?.value()
        }
        _ => text,
    };
    Ok(Some(value))
}

/// Checks every attribute of a subject, in order, then the placeholders among them. Returns the
/// values as they go into a certificate; attributes given as whitespace are left out.
pub fn check(attributes: &[(Attribute, &str)]) -> Result<Vec<SubjectValue>, SubjectError> {
    let mut values = Vec::with_capacity(attributes.len());
    for (attribute, value) in attributes {
        if let Some(value) = check_value(*attribute, value)? {
            values.push(SubjectValue { attribute: *attribute, value });
        }
    }
    check_placeholders(&values)?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(attribute: Attribute, value: &str) -> Result<Vec<SubjectValue>, SubjectError> {
        check(&[(attribute, value)])
    }

    #[test]
    fn every_attribute_has_a_row_and_round_trips_its_oid() {
        let all = [
            Attribute::CommonName,
            Attribute::Country,
            Attribute::State,
            Attribute::Locality,
            Attribute::Street,
            Attribute::PostalCode,
            Attribute::Organization,
            Attribute::OrganizationalUnit,
            Attribute::Title,
            Attribute::SerialNumber,
            Attribute::GivenName,
            Attribute::Surname,
            Attribute::Pseudonym,
            Attribute::DomainComponent,
            Attribute::Email,
        ];
        assert_eq!(all.len(), TABLE.len());
        for a in all {
            assert_eq!(Attribute::from_oid(a.oid()), Some(a), "{a}");
        }
        assert_eq!(Attribute::Organization.to_string(), "organization (O)");
        assert_eq!(Attribute::from_oid("1.2.3.4"), None);
    }

    #[test]
    fn upper_bounds_are_rfc_5280s() {
        for (attribute, limit) in [
            (Attribute::CommonName, 64),
            (Attribute::Organization, 64),
            (Attribute::OrganizationalUnit, 64),
            (Attribute::Locality, 128),
            (Attribute::State, 128),
            (Attribute::SerialNumber, 64),
            (Attribute::Email, 255),
        ] {
            assert_eq!(attribute.upper_bound(), limit);
            let fits = "a".repeat(limit);
            assert!(check_text(attribute, &fits).is_ok(), "{attribute}");
            let e = check_text(attribute, &format!("{fits}a")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{attribute}: {} characters; {} allows at most {limit}", limit + 1, attribute.row().5)
            );
        }
        // Characters, not bytes: 64 two-byte characters fit.
        assert!(check_text(Attribute::Organization, &"é".repeat(64)).is_ok());
        let e = one(Attribute::Country, "GBR").unwrap_err().to_string();
        assert!(e.starts_with("country (C): \"GBR\" is not") && e.contains("did you mean GB"), "{e}");
    }

    #[test]
    fn control_characters_and_lookalikes_are_refused() {
        for (value, code, position) in
            [("Acme\0Ltd", 0, 5), ("Acme\nLtd", 10, 5), ("\u{1b}[31mRed", 0x1b, 1), ("A\u{7f}", 0x7f, 2)]
        {
            let e = one(Attribute::Organization, value).unwrap_err();
            assert_eq!(e, SubjectError::ControlCharacter { attribute: Attribute::Organization, code, position });
        }
        let e = one(Attribute::Organization, "Acme\u{2014}West").unwrap_err().to_string();
        assert!(e.contains("EM DASH") && e.contains("\"Acme-West\""), "{e}");
    }

    #[test]
    fn common_names_by_shape() {
        let cn = |t: &str| common_name(t);
        assert_eq!(cn("WWW.Example.com").unwrap().value(), "www.example.com");
        assert!(matches!(cn("192.0.2.7"), Ok(CommonName::Ip(_))));
        assert!(matches!(cn("Alice Smith"), Ok(CommonName::Text(_))));
        assert!(matches!(cn("Acme Inc. Issuing CA 2"), Ok(CommonName::Text(_))));
        assert!(matches!(cn("Sales/Marketing Team"), Ok(CommonName::Text(_))));
        assert!(matches!(cn("svc_backup"), Ok(CommonName::Text(_))));
        assert!(matches!(cn("alice@example.com"), Ok(CommonName::Text(_))));
        assert!(matches!(cn("intranet"), Ok(CommonName::Host(_))));
        let refused = |t: &str| cn(t).unwrap_err().to_string();
        let url = refused("https://secure.example.com/checkout");
        assert!(url.starts_with("common name (CN): ") && url.contains("use \"secure.example.com\""), "{url}");
        assert!(refused("secure.example.com/checkout").contains("contains a path"));
        assert!(refused("www.example.com:443").contains("contains a port"));
        assert!(refused("www.mydomain.csr").contains("file extension"));
        assert!(refused("www example.com").contains("whitespace"));
    }

    #[test]
    fn placeholders_say_truthfully_whose_they_are() {
        let org = |v: &str| check(&[(Attribute::Organization, v)]).unwrap_err().to_string();
        assert!(org("Internet Widgits Pty Ltd").contains("OpenSSL's own openssl.cnf"));
        assert!(org("default company ltd").contains("Red Hat, Fedora and CentOS"));
        assert!(org("My Company Ltd").contains("older Red Hat"));
        let example = org("Example Inc");
        assert!(example.contains("placeholder from examples") && !example.contains("OpenSSL"), "{example}");
        let state = check(&[(Attribute::Country, "AU"), (Attribute::State, "Some-State")]).unwrap_err().to_string();
        assert!(state.starts_with("state (ST): \"Some-State\" is the default OpenSSL's"), "{state}");
        let pair = check(&[(Attribute::State, "Berkshire"), (Attribute::Locality, "Newbury")]).unwrap_err().to_string();
        assert!(pair.starts_with("state (ST) and locality (L): \"Berkshire / Newbury\""), "{pair}");
        // Real values pass: Australia, Berkshire alone, an Example Ltd that is not on the list.
        let fine = check(&[
            (Attribute::Country, "au"),
            (Attribute::State, "Berkshire"),
            (Attribute::Organization, "Example Ltd"),
            (Attribute::Email, "Ops@Example.COM"),
            (Attribute::OrganizationalUnit, "  "),
        ])
        .unwrap();
        let values: Vec<&str> = fine.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(values, ["AU", "Berkshire", "Example Ltd", "Ops@example.com"]);
    }
}
