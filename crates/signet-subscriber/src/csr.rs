//! Composing PKCS#10 certificate signing requests (RFC 2986) with the names users mean.
//!
//! [`plan`] turns command-line input into a checked [`CsrPlan`] (refusals for what is certainly
//! wrong, warnings for what a CA would send back); [`build`] signs it with any
//! [`signet_keys::Signer`]. The Common Name, when it is a host, is also put in the SANs, since
//! browsers have ignored the CN since 2017 (RFC 6125, CA/B BR §7.1.4.3).

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, SanType};
use serde::Serialize;
use signet_keys::{RcgenSigner, Signer};
use signet_model::{DnsName, Identifier};

use crate::error::CsrError;
use crate::subject::{self, CommonName, Subject, SubjectInput};

/// A request to plan: subject attributes and `--san` values.
#[derive(Debug, Clone, Default)]
pub struct CsrInput {
    /// Subject attributes.
    pub subject: SubjectInput,
    /// `--san` values, each `[dns:|ip:|email:|uri:]VALUE`.
    pub sans: Vec<String>,
}

/// A checked request, ready to sign.
#[derive(Debug, Clone, Serialize)]
pub struct CsrPlan {
    /// The subject.
    pub subject: Subject,
    /// Subject alternative names, CN first when it is a host.
    pub sans: Vec<Identifier>,
    /// Likely mistakes that do not stop the request.
    pub warnings: Vec<String>,
}

/// Checks input and works out the names that go into the request.
pub fn plan(input: &CsrInput) -> Result<CsrPlan, CsrError> {
    let mut warnings = Vec::new();
    let subject = subject::check(&input.subject, &mut warnings)?;
    if let Some(CommonName::Text(text)) = &subject.common_name
        && let Some(host) = spaced_host(text)
    {
        return Err(CsrError::SpacedHost { text: text.clone(), host: host.to_string() });
    }
    let mut sans: Vec<Identifier> = Vec::new();
    match &subject.common_name {
        Some(CommonName::Host(name)) => sans.push(Identifier::Dns(name.clone())),
        Some(CommonName::Ip(ip)) => sans.push(Identifier::Ip(*ip)),
        _ => {}
    }
    for value in &input.sans {
        let identifier =
            Identifier::parse_san(value).map_err(|e| CsrError::San { input: value.clone(), message: e.to_string() })?;
        if !sans.contains(&identifier) {
            sans.push(identifier);
        }
    }
    for name in &sans {
        if let Identifier::Dns(name) = name
            && let Some(suffix) = signet_model::public::wildcard_public_suffix(name)
        {
            return Err(CsrError::San {
                input: name.to_string(),
                message: format!(
                    "a wildcard directly under the public suffix {suffix} would cover every domain registered under it, which CAs refuse (BR §3.2.2.6): use *.YOUR-DOMAIN.{suffix}"
                ),
            });
        }
    }
    if sans.is_empty() && subject.common_name.is_none() {
        return Err(CsrError::NoNames);
    }
    if sans.is_empty()
        && let Some(CommonName::Text(text)) = &subject.common_name
    {
        warnings.push(format!(
            "the request names no host: {text:?} is not a host name, so a server certificate cannot be issued for it; fine for a client certificate, else add --san HOST"
        ));
    }
    if let Some(CommonName::Ip(ip)) = &subject.common_name {
        warnings.push(format!(
            "the Common Name is an IP address; it is also in the SANs as ip:{ip}, which is what clients check"
        ));
    }
    warnings.extend(apex_www_warnings(&sans));
    Ok(CsrPlan { subject, sans, warnings })
}

/// Top-level domains whose presence as the last word makes a spaced name a host typed with spaces
/// for dots ("www example com"). Country codes are left out: "Example Sub CA" is a CA's name.
const SPACED_HOST_TLDS: &[&str] =
    &["com", "net", "org", "edu", "gov", "mil", "int", "io", "info", "biz", "dev", "app", "local", "internal"];

/// The host a Common Name with spaces instead of dots stands for, if it looks like one: every word
/// a DNS label, and the first `www` or the last a common top-level domain.
fn spaced_host(text: &str) -> Option<DnsName> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let labels_only = words.iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let (first, last) = (words.first()?, words.last()?);
    let host_shaped =
        first.eq_ignore_ascii_case("www") || SPACED_HOST_TLDS.iter().any(|tld| last.eq_ignore_ascii_case(tld));
    if words.len() < 2 || !labels_only || !host_shaped {
        return None;
    }
    // The suggestion is only made when it is itself accepted.
    DnsName::parse(&words.join(".")).ok()
}

/// Whether a name is a registrable domain (apex), by the Public Suffix List.
fn is_apex(name: &DnsName) -> bool {
    signet_model::public::is_registrable_domain(name)
}

fn apex_www_warnings(sans: &[Identifier]) -> Vec<String> {
    let names: Vec<&DnsName> = sans
        .iter()
        .filter_map(|s| match s {
            Identifier::Dns(n) => Some(n),
            _ => None,
        })
        .collect();
    let has = |text: &str| names.iter().any(|n| n.as_str() == text);
    let mut warnings = Vec::new();
    for name in &names {
        if let Some(apex) = name.as_str().strip_prefix("www.") {
            if !has(apex) && !has(&format!("*.{apex}")) {
                warnings.push(format!(
                    "only {name} is named: visitors typing {apex} will get a name-mismatch error; add --san {apex}"
                ));
            }
        } else if is_apex(name) && !has(&format!("www.{name}")) && !has(&format!("*.{name}")) {
            warnings.push(format!(
                "only {name} is named: visitors typing www.{name} will get a name-mismatch error; add --san www.{name}"
            ));
        }
    }
    warnings
}

/// Signs the planned request with `key`, returning the CSR DER.
pub fn build(plan: &CsrPlan, key: &dyn Signer) -> Result<Vec<u8>, CsrError> {
    let build_error = |e: rcgen::Error| CsrError::Build(e.to_string());
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let s = &plan.subject;
    if let Some(country) = &s.country {
        dn.push(DnType::CountryName, DnValue::PrintableString(country.code().try_into().map_err(build_error)?));
    }
    if let Some(state) = &s.state {
        dn.push(DnType::StateOrProvinceName, state.as_str());
    }
    if let Some(locality) = &s.locality {
        dn.push(DnType::LocalityName, locality.as_str());
    }
    if let Some(org) = &s.organization {
        dn.push(DnType::OrganizationName, org.as_str());
    }
    if let Some(ou) = &s.organizational_unit {
        dn.push(DnType::OrganizationalUnitName, ou.as_str());
    }
    if let Some(cn) = &s.common_name {
        dn.push(DnType::CommonName, cn.value());
    }
    if let Some(email) = &s.email {
        dn.push(
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            DnValue::Ia5String(email.as_str().try_into().map_err(build_error)?),
        );
    }
    params.distinguished_name = dn;
    params.subject_alt_names = plan.sans.iter().map(san_type).collect::<Result<_, _>>().map_err(build_error)?;
    let csr = params.serialize_request(&RcgenSigner(key)).map_err(build_error)?;
    Ok(csr.der().to_vec())
}

/// The rcgen form of a SAN.
pub fn san_type(identifier: &Identifier) -> Result<SanType, rcgen::Error> {
    Ok(match identifier {
        Identifier::Dns(name) => SanType::DnsName(name.as_str().try_into()?),
        Identifier::Ip(ip) => SanType::IpAddress(*ip),
        Identifier::Email(email) => SanType::Rfc822Name(email.as_str().try_into()?),
        Identifier::Uri(uri) => SanType::URI(uri.as_str().try_into()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_keys::{KeyAlgorithm, SoftwareKey};

    fn input(cn: &str, sans: &[&str]) -> CsrInput {
        CsrInput {
            subject: SubjectInput { common_name: Some(cn.into()), ..Default::default() },
            sans: sans.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn cn_is_copied_into_sans_and_duplicates_dropped() {
        let plan = plan(&input("www.example.com", &["example.com", "WWW.example.com"])).unwrap();
        let values: Vec<String> = plan.sans.iter().map(|s| s.value()).collect();
        assert_eq!(values, ["www.example.com", "example.com"]);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn apex_or_www_alone_warns() {
        let www = plan(&input("www.example.com", &[])).unwrap();
        assert!(www.warnings[0].contains("--san example.com"));
        let apex = plan(&input("example.co.uk", &[])).unwrap();
        assert!(apex.warnings[0].contains("www.example.co.uk"));
        let deep = plan(&input("api.eu.example.com", &[])).unwrap();
        assert!(deep.warnings.is_empty());
        // The Public Suffix List knows apexes the old two-label guess did not.
        let pages = plan(&input("me.github.io", &[])).unwrap();
        assert!(pages.warnings[0].contains("www.me.github.io"), "{:?}", pages.warnings);
        let e = plan(&input("www.example.com", &["*.co.uk"])).unwrap_err().to_string();
        assert!(e.contains("public suffix co.uk"), "{e}");
        assert!(plan(&input("*.github.io", &[])).unwrap_err().to_string().contains("public suffix github.io"));
    }

    #[test]
    fn idn_becomes_a_label_and_nothing_named_is_an_error() {
        let plan_idn = plan(&input("bücher.example.com", &[])).unwrap();
        assert_eq!(plan_idn.sans[0].value(), "xn--bcher-kva.example.com");
        assert_eq!(plan(&CsrInput::default()).unwrap_err(), CsrError::NoNames);
    }

    #[test]
    fn a_host_typed_with_spaces_is_refused_with_the_fix() {
        for (typed, fixed) in [("www example com", "www.example.com"), ("Shop Example ORG", "shop.example.org")] {
            let e = plan(&input(typed, &[])).unwrap_err().to_string();
            assert!(e.contains(&format!("type --cn {fixed} ")), "{e}");
            // The fix given is accepted.
            plan(&input(fixed, &[])).unwrap();
        }
        // Names of people, teams and CAs stay what they are.
        for name in ["Alice Smith", "Example Sub CA", "Ops Team", "www"] {
            plan(&input(name, &["email:ops@example.com"])).unwrap();
        }
        // A name with spaces and nothing else named: a warning, not a refusal.
        let alone = plan(&input("Alice Smith", &[])).unwrap();
        assert!(alone.warnings.iter().any(|w| w.contains("names no host")), "{:?}", alone.warnings);
    }

    #[test]
    fn builds_a_csr_whose_signature_verifies() {
        use x509_parser::prelude::FromDer;
        let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
        let mut i = input("www.example.com", &["ip:192.0.2.1", "email:ops@example.com"]);
        i.subject.country = Some("ky".into());
        i.subject.organization = Some("Example Ltd".into());
        let der = build(&plan(&i).unwrap(), &key).unwrap();
        let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(&der).unwrap();
        csr.verify_signature().unwrap();
        let info = signet_codec::describe::request(&der).unwrap();
        assert_eq!(info.subject, "C=KY, O=Example Ltd, CN=www.example.com");
        assert_eq!(info.subject_alt_names, ["dns:www.example.com", "ip:192.0.2.1", "email:ops@example.com"]);
    }
}
