//! Subject distinguished-name attributes of a request, checked the way a careful CA checks them
//! (seed CSR-1 to CSR-3, mistakes P2, P3, P26).
//!
//! Refusals come from [`signet_model::subject::check`], the same checks the CA applies to every
//! CSR it receives, so `signet csr new` and the CA refuse with the same words. This module adds
//! what only someone composing a request needs: warnings for what a CA would likely send back
//! (an abbreviated state, a city and state that look swapped) and the hint to move an e-mail
//! address out of the Common Name.

use serde::Serialize;
use signet_model::Country;
use signet_model::name::NameError;
pub use signet_model::subject::CommonName;
use signet_model::subject::{self as shared, Attribute, SubjectError};

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

/// Checks subject attributes; appends warnings for likely mistakes.
pub fn check(input: &SubjectInput, warnings: &mut Vec<String>) -> Result<Subject, CsrError> {
    let given = [
        (Attribute::CommonName, &input.common_name),
        (Attribute::Organization, &input.organization),
        (Attribute::OrganizationalUnit, &input.organizational_unit),
        (Attribute::Locality, &input.locality),
        (Attribute::State, &input.state),
        (Attribute::Country, &input.country),
        (Attribute::Email, &input.email),
    ];
    let pairs: Vec<(Attribute, &str)> =
        given.iter().filter_map(|(attribute, value)| value.as_deref().map(|v| (*attribute, v))).collect();
    let checked = shared::check(&pairs)?;
    let value = |attribute: Attribute| checked.iter().find(|v| v.attribute == attribute).map(|v| v.value.clone());
    let common_name = value(Attribute::CommonName).map(|cn| shared::common_name(&cn)).transpose()?;
    if let Some(CommonName::Text(text)) = &common_name
        && text.contains('@')
    {
        let source = NameError::LooksLikeEmail { input: text.clone() };
        return Err(SubjectError::Name { attribute: Attribute::CommonName, source }.into());
    }
    let country = value(Attribute::Country)
        .map(|code| {
            Country::parse(&code).map_err(|source| SubjectError::Country { attribute: Attribute::Country, source })
        })
        .transpose()?;
    let organization = value(Attribute::Organization);
    let organizational_unit = value(Attribute::OrganizationalUnit);
    let locality = value(Attribute::Locality);
    let state = value(Attribute::State);
    let email = value(Attribute::Email);
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
    if email.is_some() {
        warnings.push(
            "an e-mail address in the subject is not allowed in publicly trusted TLS certificates; CAs drop it".into(),
        );
    }
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
        assert!(e.contains("secure.example.com") && e.starts_with("common name (CN): "), "{e}");
        let e = check(&input("www.mydomain.csr"), &mut w).unwrap_err().to_string();
        assert!(e.contains("file extension"), "{e}");
        let e = check(&input("alice@example.com"), &mut w).unwrap_err().to_string();
        assert!(e.contains("--email"), "{e}");
    }

    #[test]
    fn placeholder_defaults_are_refused() {
        let mut w = Vec::new();
        let defaults = SubjectInput {
            common_name: Some("www.example.com".into()),
            country: Some("GB".into()),
            state: Some("Berkshire".into()),
            locality: Some("Newbury".into()),
            ..Default::default()
        };
        assert!(matches!(check(&defaults, &mut w), Err(CsrError::Subject(SubjectError::Placeholder { .. }))));
        let org = SubjectInput { organization: Some("My Company Ltd".into()), ..Default::default() };
        assert!(matches!(check(&org, &mut w), Err(CsrError::Subject(SubjectError::Placeholder { .. }))));
        let example = SubjectInput { organization: Some("Example Inc".into()), ..Default::default() };
        let e = check(&example, &mut w).unwrap_err().to_string();
        assert!(!e.contains("OpenSSL") && e.contains("placeholder"), "{e}");
        let real = SubjectInput { country: Some("GB".into()), state: Some("Berkshire".into()), ..Default::default() };
        assert!(check(&real, &mut w).is_ok());
        let city = SubjectInput { locality: Some("default city".into()), ..Default::default() };
        assert!(check(&city, &mut w).unwrap_err().to_string().contains("\"default city\""));
    }

    #[test]
    fn the_same_message_as_the_shared_check() {
        let mut w = Vec::new();
        let long = "a".repeat(65);
        let ours = check(&SubjectInput { organization: Some(long.clone()), ..Default::default() }, &mut w);
        let shared = shared::check(&[(Attribute::Organization, long.as_str())]).unwrap_err();
        assert_eq!(ours.unwrap_err().to_string(), shared.to_string());
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
