//! CSR intake: parse, refuse weak hashes and key types the profile does not accept, verify the
//! self-signature, check the subject, and read the names asked for. The CA never copies
//! extensions from a CSR: policy decides what goes into a certificate, so a CSR with unusual
//! attributes (Microsoft templates, SKI) is accepted and its extras ignored.
//!
//! Subject attributes pass the checks `signet csr new` applies ([`signet_model::subject`]):
//! upper bounds, control characters, URL and path shapes in the Common Name, placeholders.
//! Names pass the profile's rules: a profile without `internal` refuses internal names and
//! reserved addresses, and no profile issues a wildcard directly under a public suffix
//! ([`signet_model::public`]).

use std::net::IpAddr;

use serde::Serialize;
use signet_codec::{KeyInfo, oids, public_key};
use signet_model::subject::{self, Attribute, CommonName, SubjectError, SubjectValue};
use signet_model::{DnsName, Identifier, public};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use crate::error::IssuanceError;
use crate::profile::{KeyRules, NameRules, Profile};

/// What a verified CSR asks for.
#[derive(Debug, Clone, Serialize)]
pub struct CsrFacts {
    /// SubjectPublicKeyInfo DER.
    #[serde(skip)]
    pub spki_der: Vec<u8>,
    /// The key.
    pub key: KeyInfo,
    /// Subject DN in words, as the CSR has it.
    pub subject: String,
    /// The subject attributes signet knows, checked, in order, each value as it would go into a
    /// certificate (attributes of other types are never copied).
    #[serde(skip)]
    pub subject_values: Vec<SubjectValue>,
    /// The CN, if any.
    pub common_name: Option<String>,
    /// Names asked for: SANs, plus the CN when it is a host name or address.
    pub requested: Vec<Identifier>,
}

/// Parses and verifies a CSR (DER) for a profile accepting `keys`: the key's type is checked
/// before the signature, so a key signet cannot verify is refused for what it is.
pub fn examine(der: &[u8], keys: &KeyRules) -> Result<CsrFacts, IssuanceError> {
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
    keys.accepts_type(&key)?;
    // Name a weak key as such: the crypto backend will not even verify signatures made with it.
    if key.algorithm == "RSA" && key.bits < 2048 {
        return Err(IssuanceError::BadKey(format!(
            "an RSA key of {} bits is too weak; every CA requires at least 2048 bits (make a new key: signet csr new --new-key ec-p256)",
            key.bits
        )));
    }
    csr.verify_signature().map_err(|_| IssuanceError::BadCsrSignature)?;
    let subject_values = subject_values(&info.subject)?;
    let common_name = subject_values.iter().find(|v| v.attribute == Attribute::CommonName).map(|v| v.value.clone());
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
        let from_cn = match subject::common_name(cn)? {
            CommonName::Host(host) => Some(Identifier::Dns(host)),
            CommonName::Ip(ip) => Some(Identifier::Ip(ip)),
            CommonName::Text(_) => None,
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
        subject_values,
        common_name,
        requested,
    })
}

/// The subject's attributes of the types signet knows, checked as `signet csr new` checks them.
fn subject_values(name: &X509Name<'_>) -> Result<Vec<SubjectValue>, IssuanceError> {
    let mut given = Vec::new();
    for attr in name.iter_attributes() {
        let Some(attribute) = Attribute::from_oid(&attr.attr_type().to_id_string()) else { continue };
        given.push((attribute, text(attribute, attr)?));
    }
    let pairs: Vec<(Attribute, &str)> = given.iter().map(|(a, v)| (*a, v.as_str())).collect();
    Ok(subject::check(&pairs)?)
}

/// An attribute's value as text: the string types RFC 5280 allows in names (§4.1.2.4), and the
/// BMPString and UniversalString some Windows tools still write.
fn text(attribute: Attribute, attr: &AttributeTypeAndValue<'_>) -> Result<String, SubjectError> {
    let not_text = |encoding: &str| SubjectError::NotText { attribute, encoding: encoding.to_string() };
    let bytes = attr.as_slice();
    match attr.attr_value().tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::NumericString | Tag::VisibleString => {
            String::from_utf8(bytes.to_vec()).map_err(|_| not_text("bytes that are not UTF-8"))
        }
        Tag::BmpString => {
            if !bytes.len().is_multiple_of(2) {
                return Err(not_text("a BMPString of odd length"));
            }
            let units = bytes.chunks_exact(2).filter_map(|pair| <[u8; 2]>::try_from(pair).ok().map(u16::from_be_bytes));
            char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| not_text("an invalid BMPString"))
        }
        Tag::UniversalString => {
            if !bytes.len().is_multiple_of(4) {
                return Err(not_text("a UniversalString of bad length"));
            }
            bytes
                .chunks_exact(4)
                .map(|quad| <[u8; 4]>::try_from(quad).ok().map(u32::from_be_bytes).and_then(char::from_u32))
                .collect::<Option<String>>()
                .ok_or_else(|| not_text("an invalid UniversalString"))
        }
        Tag::TeletexString => Err(not_text("a TeletexString")),
        other => Err(not_text(&format!("ASN.1 tag {}", other.0))),
    }
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
            if let Some(suffix) = public::wildcard_public_suffix(dns) {
                return Err(refuse(format!(
                    "it would cover every domain registered under {suffix}, a public suffix (Public Suffix List), which a CA must refuse (BR §3.2.2.6): ask for *.YOUR-DOMAIN.{suffix}"
                )));
            }
            if !rules.domains.is_empty() && !in_domains(dns.as_str().trim_start_matches("*."), &rules.domains) {
                return Err(refuse(format!("profile {profile} issues only for {}", list(&rules.domains))));
            }
            if !rules.internal
                && let Some(why) = public::internal_name(dns)
            {
                return Err(refuse(format!(
                    "{why}; profile {profile} issues only names in the public DNS (BR §4.2.2): use the host's full name under a registered domain, or a profile with names.internal = true"
                )));
            }
        }
        Identifier::Ip(ip) => {
            if !rules.internal
                && let Some(block) = public::reserved_address(ip)
            {
                return Err(refuse(format!(
                    "{block}; profile {profile} issues only public addresses (BR §4.2.2): use a profile with names.internal = true"
                )));
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

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

    use super::*;

    fn csr_with(dn: DistinguishedName, sans: &[&str], key: &KeyPair) -> Vec<u8> {
        let mut params = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name = dn;
        params.serialize_request(key).unwrap().der().to_vec()
    }

    fn dn(attributes: &[(DnType, DnValue)]) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        for (kind, value) in attributes {
            dn.push(kind.clone(), value.clone());
        }
        dn
    }

    fn utf8(text: &str) -> DnValue {
        DnValue::Utf8String(text.to_string())
    }

    fn examine_subject(attributes: &[(DnType, DnValue)]) -> Result<CsrFacts, IssuanceError> {
        let key = KeyPair::generate().unwrap();
        examine(&csr_with(dn(attributes), &["www.example.com"], &key), &KeyRules::default())
    }

    #[test]
    fn key_type_is_checked_before_the_signature() {
        // A real P-521 CSR: refused for its key, with what is allowed.
        let p521 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let der = csr_with(DistinguishedName::new(), &["www.example.com"], &p521);
        let e = examine(&der, &KeyRules::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the CSR's key is EC P-521: this key type is not accepted here (allowed: RSA 2048-8192 bits, EC P-256, EC P-384); make a new key of an allowed type and a new CSR"
        );
        // A P-256 key relabelled as secp256k1 (whose signature signet cannot verify): the key
        // type is named, never "the signature does not verify".
        let key = KeyPair::generate().unwrap();
        let mut der = csr_with(DistinguishedName::new(), &["www.example.com"], &key);
        let p256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let at = der.windows(p256.len()).position(|w| w == p256).unwrap();
        // secp256k1 (1.3.132.0.10) is five bytes; pad the OID's place with the same total length.
        let k1 = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a];
        der.splice(at..at + p256.len(), k1);
        fix_lengths(&mut der, p256.len() - k1.len());
        let e = examine(&der, &KeyRules::default()).unwrap_err();
        assert!(matches!(&e, IssuanceError::KeyTypeNotAccepted { found, .. } if found == "EC secp256k1"), "{e}");
        // A profile that accepts the type still verifies the signature.
        let rules = KeyRules { ec_p256: false, ..KeyRules::default() };
        let fine = csr_with(DistinguishedName::new(), &["www.example.com"], &key);
        assert!(matches!(examine(&fine, &rules), Err(IssuanceError::KeyTypeNotAccepted { .. })));
        assert!(examine(&fine, &KeyRules::default()).is_ok());
    }

    /// Shrinks the outer SEQUENCE, CertificationRequestInfo, SubjectPublicKeyInfo and its
    /// AlgorithmIdentifier by `by` bytes after a splice inside the last (all short or two-byte
    /// lengths, as rcgen writes them for a P-256 CSR).
    fn fix_lengths(der: &mut [u8], by: usize) {
        let mut at = 0;
        let mut headers = Vec::new();
        // outer SEQUENCE, CRI SEQUENCE: lengths in long form (0x81 n) or short form.
        for _ in 0..2 {
            headers.push(at);
            at += if der[at + 1] & 0x80 != 0 { 2 + usize::from(der[at + 1] & 0x7f) } else { 2 };
        }
        // skip version INTEGER and subject Name
        for _ in 0..2 {
            at += 2 + usize::from(der[at + 1]);
        }
        headers.push(at); // SPKI
        at += 2;
        headers.push(at); // AlgorithmIdentifier
        for h in headers {
            let long = der[h + 1] & 0x80 != 0;
            let slot = if long { h + 1 + usize::from(der[h + 1] & 0x7f) } else { h + 1 };
            der[slot] -= u8::try_from(by).unwrap();
        }
    }

    #[test]
    fn subjects_are_checked_and_normalised() {
        let long_cn = "a".repeat(65);
        let e = examine_subject(&[(DnType::CommonName, utf8(&long_cn))]).unwrap_err().to_string();
        assert_eq!(e, "common name (CN): 65 characters; RFC 5280 ub-common-name allows at most 64");
        let e = examine_subject(&[(DnType::OrganizationalUnitName, utf8(&"u".repeat(65)))]).unwrap_err().to_string();
        assert!(e.starts_with("organizational unit (OU): 65 characters"), "{e}");
        let e = examine_subject(&[(DnType::LocalityName, utf8(&"l".repeat(129)))]).unwrap_err().to_string();
        assert!(e.starts_with("locality (L): 129 characters"), "{e}");
        let e = examine_subject(&[(DnType::OrganizationName, utf8("Acme\0Ltd"))]).unwrap_err().to_string();
        assert!(e.contains("control character U+0000 at position 5"), "{e}");
        let e = examine_subject(&[(DnType::CommonName, utf8("https://www.example.com/shop"))]).unwrap_err().to_string();
        assert!(e.contains("is a URL") && e.contains("use \"www.example.com\""), "{e}");
        let e = examine_subject(&[(DnType::OrganizationName, utf8("Internet Widgits Pty Ltd"))]).unwrap_err();
        assert!(e.to_string().contains("OpenSSL's own openssl.cnf"), "{e}");
        let serial = DnType::CustomDnType(vec![2, 5, 4, 5]);
        let e = examine_subject(&[(serial, utf8(&"9".repeat(65)))]).unwrap_err().to_string();
        assert!(e.starts_with("serial number (serialNumber): 65 characters"), "{e}");
        // Values are kept as they go into a certificate: host names in canonical form, BMPString read.
        let facts = examine_subject(&[
            (DnType::CountryName, DnValue::PrintableString("gb".try_into().unwrap())),
            (DnType::OrganizationName, DnValue::BmpString("Zürich Ltd".try_into().unwrap())),
            (DnType::CommonName, utf8("WWW.Example.COM")),
        ])
        .unwrap();
        let values: Vec<&str> = facts.subject_values.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(values, ["GB", "Zürich Ltd", "www.example.com"]);
        assert_eq!(facts.requested, [Identifier::Dns("www.example.com".parse().unwrap())]);
    }

    fn profile(internal: bool) -> Profile {
        Profile {
            name: "p".into(),
            issuer: "ca".into(),
            kind: crate::ProfileKind::Server,
            validity: None,
            allow_long_validity: false,
            keys: KeyRules::default(),
            names: NameRules { ip: true, internal, ..NameRules::default() },
            subject: crate::SubjectPolicy::CnOnly,
            approval: crate::Approval::Auto,
            enroll_roles: Vec::new(),
            policies: Vec::new(),
            path_length: None,
            acme: false,
            description: None,
        }
    }

    fn name(text: &str) -> Identifier {
        Identifier::parse_san(text).unwrap()
    }

    #[test]
    fn public_profiles_refuse_internal_names_and_reserved_addresses() {
        let (public, private) = (profile(false), profile(true));
        for internal in
            ["intranet", "localhost", "printer.local", "db.internal", "host.corp", "ip:10.0.0.5", "ip:fd00::1"]
        {
            let e = check_names(&[name(internal)], &public).unwrap_err().to_string();
            assert!(e.contains("names.internal = true") && e.contains("BR §4.2.2"), "{internal}: {e}");
            assert!(check_names(&[name(internal)], &private).is_ok(), "{internal}");
        }
        let e = check_names(&[name("ip:192.168.1.1")], &public).unwrap_err().to_string();
        assert!(e.contains("192.168.0.0/16 is private-use (RFC 1918)"), "{e}");
        for fine in ["www.example.com", "shop.example.co.uk", "ip:8.8.8.8", "*.example.com"] {
            assert!(check_names(&[name(fine)], &public).is_ok(), "{fine}");
        }
    }

    #[test]
    fn no_profile_issues_a_wildcard_under_a_public_suffix() {
        for profile in [profile(false), profile(true)] {
            for wild in ["*.co.uk", "*.github.io", "*.appspot.com"] {
                let e = check_names(&[name(wild)], &profile).unwrap_err().to_string();
                assert!(e.contains("a public suffix") && e.contains("BR §3.2.2.6"), "{wild}: {e}");
            }
            assert!(check_names(&[name("*.me.github.io")], &profile).is_ok());
        }
    }
}
