//! Subject distinguished-name attributes of a request, checked the way a careful CA checks them
//! (seed CSR-1 to CSR-3, mistakes P2, P3, P26).
//!
//! Refusals are for what is certainly wrong (an unknown country code, OpenSSL's placeholder
//! defaults, a URL as Common Name); warnings are for what a CA would likely send back (an
//! abbreviated state, a city and state that look swapped).

use std::net::IpAddr;

use serde::Serialize;
use signet_model::name::NameError;
use signet_model::{Country, DnsName, Identifier, lookalike};

use crate::error::CsrError;

/// Subject attributes as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct SubjectInput {
    /// Common Name.
    pub common_name: Option<String>,
    /// Organization (legal name).
    pub organization: Option<String>,
    /// Organizational Unit.
    pub organizational_unit: Option<String>,
    /// Locality (city).
    pub locality: Option<String>,
    /// State or province, in full.
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// E-mail address (emailAddress attribute).
    pub email: Option<String>,
}

/// What the Common Name turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum CommonName {
    /// A host name, to be copied into the SANs.
    Host(DnsName),
    /// An IP address, to be copied into the SANs as an IP.
    Ip(IpAddr),
    /// A person's or organisation's name (client and CA certificates).
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

/// A checked subject.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Subject {
    /// Common Name.
    pub common_name: Option<CommonName>,
    /// Organization.
    pub organization: Option<String>,
    /// Organizational Unit.
    pub organizational_unit: Option<String>,
    /// Locality.
    pub locality: Option<String>,
    /// State or province.
    pub state: Option<String>,
    /// Country.
    pub country: Option<Country>,
    /// emailAddress.
    pub email: Option<String>,
}

/// OpenSSL's prompt defaults, which end up in real requests when users press Enter (P3).
const PLACEHOLDER_ORGANIZATIONS: &[&str] =
    &["My Company Ltd", "Internet Widgits Pty Ltd", "Default Company Ltd", "Company Name", "Example Inc"];
/// Placeholders that are no real place: refused on their own.
const PLACEHOLDER_STATES: &[&str] = &["Some-State"];
const PLACEHOLDER_LOCALITIES: &[&str] = &["Default City"];
/// Old defaults that are real places: refused only as the pair (state, locality).
const PLACEHOLDER_PLACES: &[(&str, &str)] = &[("Berkshire", "Newbury")];

/// US states and territories by postal code, for the abbreviation warning.
const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("PR", "Puerto Rico"),
];

fn clean(field: &'static str, value: &Option<String>) -> Result<Option<String>, CsrError> {
    let Some(value) = value else { return Ok(None) };
    if let Some(first) = lookalike::find(value).first() {
        return Err(CsrError::Field {
            field,
            message: format!(
                "{value:?} contains {} (U+{:04X}); type it in plain ASCII: {:?}",
                first.name,
                u32::from(first.found),
                lookalike::to_ascii(value)
            ),
        });
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(CsrError::Field { field, message: "contains control characters".into() });
    }
    if trimmed.chars().count() > 64 {
        return Err(CsrError::Field {
            field,
            message: format!("{} characters; X.520 allows at most 64", trimmed.chars().count()),
        });
    }
    Ok(Some(trimmed.to_string()))
}

fn parse_common_name(text: &str) -> Result<CommonName, CsrError> {
    let as_field = |e: NameError| CsrError::Field { field: "common name (--cn)", message: e.to_string() };
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(CommonName::Ip(ip));
    }
    let host_like = text.contains('.') || text.contains("://") || text.contains('/') || text.contains(':');
    let has_space = text.chars().any(char::is_whitespace);
    if text.contains('@') && !text.contains("://") {
        return Err(as_field(NameError::LooksLikeEmail { input: text.to_string() }));
    }
    if host_like || !has_space {
        return DnsName::parse(text).map(CommonName::Host).map_err(as_field);
    }
    Ok(CommonName::Text(text.to_string()))
}

/// Checks subject attributes; appends warnings for likely mistakes.
pub fn check(input: &SubjectInput, warnings: &mut Vec<String>) -> Result<Subject, CsrError> {
    let common_name = clean("common name (--cn)", &input.common_name)?.map(|cn| parse_common_name(&cn)).transpose()?;
    let organization = clean("organization (--org)", &input.organization)?;
    let organizational_unit = clean("organizational unit (--ou)", &input.organizational_unit)?;
    let locality = clean("locality (--locality)", &input.locality)?;
    let state = clean("state (--state)", &input.state)?;
    let email = clean("e-mail (--email)", &input.email)?;
    let country = match clean("country (--country)", &input.country)? {
        Some(code) => Some(
            Country::parse(&code)
                .map_err(|e| CsrError::Field { field: "country (--country)", message: e.to_string() })?,
        ),
        None => None,
    };
    if let Some(org) = &organization
        && PLACEHOLDER_ORGANIZATIONS.iter().any(|p| p.eq_ignore_ascii_case(org))
    {
        return Err(CsrError::Placeholder { field: "organization (--org)", value: org.clone() });
    }
    let listed = |list: &[&str], value: &Option<String>| {
        value.as_deref().is_some_and(|v| list.iter().any(|p| p.eq_ignore_ascii_case(v)))
    };
    let placeholder_place = matches!((&state, &locality), (Some(s), Some(l))
        if PLACEHOLDER_PLACES.iter().any(|(ps, pl)| ps.eq_ignore_ascii_case(s) && pl.eq_ignore_ascii_case(l)));
    if placeholder_place || listed(PLACEHOLDER_STATES, &state) {
        return Err(CsrError::Placeholder {
            field: "state/locality (--state, --locality)",
            value: format!("{} / {}", state.clone().unwrap_or_default(), locality.clone().unwrap_or_default()),
        });
    }
    if listed(PLACEHOLDER_LOCALITIES, &locality) {
        return Err(CsrError::Placeholder { field: "locality (--locality)", value: locality.unwrap_or_default() });
    }
    if let Some(s) = &state {
        let is_us = country.is_none_or(|c| c.code() == "US");
        if let Some((_, full)) = US_STATES.iter().find(|(code, _)| code.eq_ignore_ascii_case(s)).filter(|_| is_us) {
            warnings.push(format!("state {s:?} is abbreviated; CAs want the full name: --state {full:?}"));
        } else if s.len() <= 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
            warnings.push(format!("state {s:?} looks abbreviated; CAs want the full name of the state or province"));
        }
    }
    if let (Some(l), Some(s)) = (&locality, &state)
        && US_STATES.iter().any(|(_, full)| full.eq_ignore_ascii_case(l))
        && !US_STATES.iter().any(|(code, full)| full.eq_ignore_ascii_case(s) || code.eq_ignore_ascii_case(s))
    {
        warnings.push(format!(
            "locality {l:?} is a state and state {s:?} is not: are city and state swapped? (--locality is the city)"
        ));
    }
    let email = match email {
        Some(e) => {
            let parsed = Identifier::parse_email(&e)
                .map_err(|error| CsrError::Field { field: "e-mail (--email)", message: error.to_string() })?;
            warnings.push(
                "an e-mail address in the subject is not allowed in publicly trusted TLS certificates; CAs drop it"
                    .into(),
            );
            Some(parsed.value())
        }
        None => None,
    };
    Ok(Subject { common_name, organization, organizational_unit, locality, state, country, email })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(cn: &str) -> SubjectInput {
        SubjectInput { common_name: Some(cn.into()), ..Default::default() }
    }

    #[test]
    fn common_name_kinds() {
        let mut w = Vec::new();
        assert_eq!(check(&input("WWW.Example.com"), &mut w).unwrap().common_name.unwrap().value(), "www.example.com");
        assert!(matches!(check(&input("192.0.2.7"), &mut w).unwrap().common_name, Some(CommonName::Ip(_))));
        assert!(matches!(check(&input("Alice Smith"), &mut w).unwrap().common_name, Some(CommonName::Text(_))));
        let e = check(&input("https://secure.example.com/checkout"), &mut w).unwrap_err().to_string();
        assert!(e.contains("secure.example.com") && e.contains("--cn"), "{e}");
        let e = check(&input("www.mydomain.csr"), &mut w).unwrap_err().to_string();
        assert!(e.contains("file extension"), "{e}");
    }

    #[test]
    fn openssl_defaults_are_refused() {
        let mut w = Vec::new();
        let defaults = SubjectInput {
            common_name: Some("www.example.com".into()),
            country: Some("GB".into()),
            state: Some("Berkshire".into()),
            locality: Some("Newbury".into()),
            ..Default::default()
        };
        assert!(matches!(check(&defaults, &mut w), Err(CsrError::Placeholder { .. })));
        let org = SubjectInput { organization: Some("My Company Ltd".into()), ..Default::default() };
        assert!(matches!(check(&org, &mut w), Err(CsrError::Placeholder { .. })));
        let real = SubjectInput { country: Some("GB".into()), state: Some("Berkshire".into()), ..Default::default() };
        assert!(check(&real, &mut w).is_ok());
        let city = SubjectInput { locality: Some("default city".into()), ..Default::default() };
        assert!(check(&city, &mut w).unwrap_err().to_string().contains("\"default city\""));
    }

    #[test]
    fn countries_states_and_dashes() {
        let mut w = Vec::new();
        let uk = SubjectInput { country: Some("UK".into()), ..Default::default() };
        assert!(check(&uk, &mut w).unwrap_err().to_string().contains("GB"));
        let ky = SubjectInput { country: Some("KY".into()), ..Default::default() };
        assert_eq!(check(&ky, &mut w).unwrap().country.unwrap().code(), "KY");
        let tx = SubjectInput { country: Some("US".into()), state: Some("TX".into()), ..Default::default() };
        check(&tx, &mut w).unwrap();
        assert!(w.last().unwrap().contains("Texas"));
        let swapped =
            SubjectInput { locality: Some("Texas".into()), state: Some("Houston".into()), ..Default::default() };
        check(&swapped, &mut w).unwrap();
        assert!(w.last().unwrap().contains("swapped"));
        let dash = SubjectInput { organization: Some("Acme\u{2014}West".into()), ..Default::default() };
        assert!(check(&dash, &mut w).unwrap_err().to_string().contains("EM DASH"));
    }
}
