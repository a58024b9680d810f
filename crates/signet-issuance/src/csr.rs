//! CSR intake: parse, verify the self-signature, refuse weak hashes, and read the names asked
//! for. The CA never copies extensions from a CSR: policy decides what goes into a certificate,
//! so a CSR with unusual attributes (Microsoft templates, SKI) is accepted and its extras ignored.

use std::net::IpAddr;

use serde::Serialize;
use signet_codec::{KeyInfo, oids, public_key};
use signet_model::{DnsName, Identifier};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use crate::error::IssuanceError;
use crate::profile::{NameRules, Profile};

/// What a verified CSR asks for.
#[derive(Debug, Clone, Serialize)]
pub struct CsrFacts {
    /// SubjectPublicKeyInfo DER.
    #[serde(skip)]
    pub spki_der: Vec<u8>,
    /// The key.
    pub key: KeyInfo,
    /// Subject DN in words.
    pub subject: String,
    /// Subject attributes (short name, value), in order.
    #[serde(skip)]
    pub subject_attributes: Vec<(String, String)>,
    /// The CN, if any.
    pub common_name: Option<String>,
    /// Names asked for: SANs, plus the CN when it is a host name or address.
    pub requested: Vec<Identifier>,
}

/// Parses and verifies a CSR (DER).
pub fn examine(der: &[u8]) -> Result<CsrFacts, IssuanceError> {
    let (rest, csr) =
        X509CertificationRequest::from_der(der).map_err(|e| IssuanceError::MalformedCsr(e.to_string()))?;
    if !rest.is_empty() {
        return Err(IssuanceError::MalformedCsr(format!("{} bytes follow the request", rest.len())));
    }
    let signature = csr.signature_algorithm.algorithm.to_id_string();
    if oids::is_weak_signature(&signature) {
        return Err(IssuanceError::WeakCsrSignature(oids::signature_algorithm(&signature).to_string()));
    }
    let info = &csr.certification_request_info;
    let spki_der = info.subject_pki.raw.to_vec();
    let key = public_key::describe_parsed(&info.subject_pki, &spki_der);
    // Name a weak key as such: the crypto backend will not even verify signatures made with it.
    if key.algorithm == "RSA" && key.bits < 2048 {
        return Err(IssuanceError::BadKey(format!(
            "an RSA key of {} bits is too weak; every CA requires at least 2048 bits (make a new key: signet csr new --new-key ec-p256)",
            key.bits
        )));
    }
    csr.verify_signature().map_err(|_| IssuanceError::BadCsrSignature)?;
    let subject_attributes: Vec<(String, String)> = info
        .subject
        .iter_attributes()
        .filter_map(|a| {
            let value = a.as_str().ok()?.to_string();
            Some((oids::attribute(&a.attr_type().to_id_string()).to_string(), value))
        })
        .collect();
    let common_name = info.subject.iter_common_name().next().and_then(|c| c.as_str().ok()).map(str::to_string);
    let mut requested = Vec::new();
    for attribute in info.iter_attributes() {
        let ParsedCriAttribute::ExtensionRequest(request) = attribute.parsed_attribute() else { continue };
        for ext in &request.extensions {
            let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() else { continue };
            for name in &san.general_names {
                let identifier = identifier(name)?;
                if !requested.contains(&identifier) {
                    requested.push(identifier);
                }
            }
        }
    }
    if let Some(cn) = &common_name {
        let from_cn = if let Ok(ip) = cn.parse::<IpAddr>() {
            Some(Identifier::Ip(ip))
        } else {
            DnsName::parse(cn).ok().map(Identifier::Dns)
        };
        if let Some(identifier) = from_cn
            && !requested.contains(&identifier)
        {
            requested.insert(0, identifier);
        }
    }
    Ok(CsrFacts {
        spki_der,
        key,
        subject: signet_codec::describe::name_to_string(&info.subject),
        subject_attributes,
        common_name,
        requested,
    })
}

fn identifier(name: &GeneralName<'_>) -> Result<Identifier, IssuanceError> {
    let refuse = |shown: String, reason: String| IssuanceError::NameRefused { name: shown, reason };
    match name {
        GeneralName::DNSName(d) => {
            DnsName::parse(d).map(Identifier::Dns).map_err(|e| refuse(format!("dns:{d}"), e.to_string()))
        }
        GeneralName::IPAddress(bytes) => {
            if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                Ok(Identifier::Ip(IpAddr::from(v4)))
            } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                Ok(Identifier::Ip(IpAddr::from(v6)))
            } else {
                Err(refuse(format!("ip:{}", hex::encode(bytes)), "not an IPv4 or IPv6 address".into()))
            }
        }
        GeneralName::RFC822Name(e) => {
            Identifier::parse_san(&format!("email:{e}")).map_err(|err| refuse(format!("email:{e}"), err.to_string()))
        }
        GeneralName::URI(u) => {
            Identifier::parse_san(&format!("uri:{u}")).map_err(|err| refuse(format!("uri:{u}"), err.to_string()))
        }
        other => Err(refuse(format!("{other:?}"), "signet issues only DNS, IP, e-mail and URI names".into())),
    }
}

/// Checks names against a profile, returning them in certificate order.
pub fn check_names(names: &[Identifier], profile: &Profile) -> Result<Vec<Identifier>, IssuanceError> {
    let rules = &profile.names;
    if names.is_empty() {
        // A CA certificate is named by its subject; leaf certificates need host names.
        if profile.kind == crate::profile::ProfileKind::SubordinateCa {
            return Ok(Vec::new());
        }
        return Err(IssuanceError::NoNames);
    }
    if names.len() > rules.max_names {
        return Err(IssuanceError::NameRefused {
            name: format!("{} names", names.len()),
            reason: format!("profile {} allows at most {}", profile.name, rules.max_names),
        });
    }
    for name in names {
        check_name(name, rules, &profile.name)?;
    }
    Ok(names.to_vec())
}

fn check_name(name: &Identifier, rules: &NameRules, profile: &str) -> Result<(), IssuanceError> {
    let refuse = |reason: String| IssuanceError::NameRefused { name: name.to_string(), reason };
    let type_allowed = match name {
        Identifier::Dns(_) => rules.dns,
        Identifier::Ip(_) => rules.ip,
        Identifier::Email(_) => rules.email,
        Identifier::Uri(_) => rules.uri,
    };
    if !type_allowed {
        return Err(refuse(format!("profile {profile} does not issue {} names", name.kind())));
    }
    match name {
        Identifier::Dns(dns) => {
            if dns.is_wildcard() && !rules.wildcard {
                return Err(refuse(format!("profile {profile} does not issue wildcard certificates")));
            }
            if !rules.domains.is_empty() && !in_domains(dns.as_str().trim_start_matches("*."), &rules.domains) {
                return Err(refuse(format!("profile {profile} issues only for {}", list(&rules.domains))));
            }
            if rules.public_only && is_internal(dns) {
                return Err(refuse("an internal name (single label or reserved top-level domain) cannot be in a public certificate (BR §4.2.2)".into()));
            }
        }
        Identifier::Ip(ip) => {
            if rules.public_only && is_reserved(ip) {
                return Err(refuse(
                    "a private or reserved IP address cannot be in a public certificate (BR §4.2.2)".into(),
                ));
            }
        }
        Identifier::Email(email) => {
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
            if !rules.domains.is_empty() && !in_domains(domain, &rules.domains) {
                return Err(refuse(format!("profile {profile} issues only for {}", list(&rules.domains))));
            }
        }
        Identifier::Uri(_) => {}
    }
    Ok(())
}

fn list(domains: &[DnsName]) -> String {
    domains.iter().map(DnsName::as_str).collect::<Vec<_>>().join(", ")
}

fn in_domains(name: &str, domains: &[DnsName]) -> bool {
    domains.iter().any(|d| name == d.as_str() || name.ends_with(&format!(".{}", d.as_str())))
}

fn is_internal(name: &DnsName) -> bool {
    const RESERVED: &[&str] = &[
        "local",
        "localhost",
        "internal",
        "lan",
        "home",
        "corp",
        "test",
        "example",
        "invalid",
        "onion",
        "intranet",
        "private",
    ];
    let labels: Vec<&str> = name.as_str().split('.').collect();
    labels.len() < 2 || labels.last().is_some_and(|tld| RESERVED.contains(tld))
}

fn is_reserved(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8
        }
    }
}
