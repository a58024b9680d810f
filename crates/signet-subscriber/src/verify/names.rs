//! The peer name: is the certificate valid for this host or e-mail address?
//!
//! DNS names and IP addresses are matched by webpki (RFC 6125: names only from subjectAltName,
//! one wildcard label on the left, no CN fallback). A `--host` that cannot be a host name
//! (`foo_bar.example.com`, malformed punycode, a wildcard) is a verification failure: no
//! certificate can be valid for it. E-mail addresses are signet's: an rfc822Name in
//! subjectAltName equal to the address, the local part exactly and the domain without case.

use std::net::IpAddr;

use rustls_pki_types::{CertificateDer, ServerName};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use signet_model::DnsName;

use super::{Problem, VerifyInput};

/// Every problem with the names `input` asks for.
pub(crate) fn check(leaf: &X509Certificate<'_>, input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(host) = input.host {
        problems.extend(check_host(leaf, input.leaf, host));
    }
    if let Some(email) = input.email {
        problems.extend(check_email(leaf, email));
    }
    problems
}

/// Every subjectAltName entry (of every SAN extension, so a duplicated one is still read).
fn san_entries<'a>(leaf: &'a X509Certificate<'_>) -> Vec<&'a GeneralName<'a>> {
    leaf.extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => Some(san.general_names.iter()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The host as webpki sees it, or why no certificate can be valid for it.
fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    let name = DnsName::parse(host).map_err(|e| e.to_string())?;
    if name.is_wildcard() {
        return Err("a wildcard names no single host".into());
    }
    ServerName::try_from(name.as_str().to_string()).map_err(|e| e.to_string())
}

fn check_host(leaf: &X509Certificate<'_>, leaf_der: &[u8], host: &str) -> Option<Problem> {
    let name = match server_name(host) {
        Ok(name) => name,
        Err(why) => {
            return Some(Problem::new(
                "invalid-host-name",
                format!("no certificate can be valid for {host:?}: it is not a valid host name ({why})"),
            ));
        }
    };
    let der = CertificateDer::from(leaf_der);
    let matched = match webpki::EndEntityCert::try_from(&der) {
        Ok(end_entity) => end_entity.verify_is_valid_for_subject_name(&name).is_ok(),
        // webpki cannot read this leaf (the path check says why); match the SANs ourselves so
        // the name verdict stays true.
        Err(_) => own_match(leaf, &name),
    };
    if matched {
        return None;
    }
    let entries = san_entries(leaf);
    let listed = listing(&entries);
    let message = if listed.is_empty() {
        let cn: Vec<String> =
            leaf.subject().iter_common_name().filter_map(|c| c.as_str().ok().map(str::to_string)).collect();
        format!(
            "name mismatch: the certificate has no subjectAltName (only CN {cn:?}), and clients ignore the CN; it is not valid for {host}"
        )
    } else {
        format!("name mismatch: the certificate is for {}, not for {host}", listed.join(", "))
    };
    Some(Problem::new("name-mismatch", message))
}

/// RFC 6125 matching on the SANs as x509-parser reads them, for a leaf webpki cannot parse.
fn own_match(leaf: &X509Certificate<'_>, name: &ServerName<'_>) -> bool {
    san_entries(leaf).iter().any(|entry| match (entry, name) {
        (GeneralName::DNSName(pattern), ServerName::DnsName(host)) => DnsName::parse(pattern)
            .ok()
            .zip(DnsName::parse(host.as_ref()).ok())
            .is_some_and(|(pattern, host)| pattern.matches(&host)),
        (GeneralName::IPAddress(bytes), ServerName::IpAddress(ip)) => match IpAddr::from(*ip) {
            IpAddr::V4(v4) => *bytes == v4.octets().as_slice(),
            IpAddr::V6(v6) => *bytes == v6.octets().as_slice(),
        },
        _ => false,
    })
}

/// The SAN entries as `dns:name` text, at most ten of them.
fn listing(entries: &[&GeneralName<'_>]) -> Vec<String> {
    let mut listed: Vec<String> = entries.iter().take(10).map(|n| signet_codec::describe::general_name(n)).collect();
    if entries.len() > 10 {
        listed.push(format!("and {} more", entries.len() - 10));
    }
    listed
}

/// Whether `address` is a usable e-mail address: one `@`, a non-empty local part, a valid
/// domain.
fn email_domain(address: &str) -> Result<(), String> {
    let Some((local, domain)) = address.rsplit_once('@') else { return Err("it has no @".into()) };
    if local.is_empty() || local.contains('@') {
        return Err("the part before @ is empty or has another @".into());
    }
    DnsName::parse(domain).map(|_| ()).map_err(|e| e.to_string())
}

fn check_email(leaf: &X509Certificate<'_>, email: &str) -> Option<Problem> {
    if let Err(why) = email_domain(email) {
        return Some(Problem::new(
            "invalid-email",
            format!("no certificate can be valid for {email:?}: it is not an e-mail address ({why})"),
        ));
    }
    let (local, domain) = email.rsplit_once('@')?;
    let entries = san_entries(leaf);
    let matched = entries.iter().any(|n| match n {
        GeneralName::RFC822Name(e) => {
            e.rsplit_once('@').is_some_and(|(l, d)| l == local && d.eq_ignore_ascii_case(domain))
        }
        _ => false,
    });
    if matched {
        return None;
    }
    let listed = listing(&entries);
    Some(Problem::new(
        "name-mismatch",
        if listed.is_empty() {
            format!("name mismatch: the certificate has no subjectAltName, so it is not valid for {email}")
        } else {
            format!("name mismatch: the certificate is for {}, not for {email}", listed.join(", "))
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_cannot_be_names_are_refused_with_the_reason() {
        assert!(server_name("foo_bar.example.com").is_err());
        assert!(server_name("*.example.com").is_err());
        assert!(server_name("xn--zz.example.com").is_err());
        assert!(server_name("www.example.com").is_ok());
        assert!(matches!(server_name("192.0.2.1"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("::1"), Ok(ServerName::IpAddress(_))));
    }

    #[test]
    fn email_addresses_need_a_local_part_and_a_domain() {
        assert!(email_domain("user@example.com").is_ok());
        assert!(email_domain("example.com").is_err());
        assert!(email_domain("@example.com").is_err());
        assert!(email_domain("user@exa mple.com").is_err());
    }
}
