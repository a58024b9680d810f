//! Chain building and checks for `signet verify`: the problems a TLS client would hit, one line
//! each (seed VER-1 to VER-4, mistakes P12 missing intermediates, P16 expiry, P30 wrong kind).

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use signet_codec::describe::{name_to_string, rfc3339};
use signet_codec::{CodecError, ObjectKind, oids};
use signet_model::DnsName;

/// The most certificates a path may have.
const MAX_DEPTH: usize = 10;

/// What the certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// TLS server (serverAuth).
    Server,
    /// TLS client (clientAuth).
    Client,
    /// Any purpose: no EKU check.
    Any,
}

/// The name the certificate must be valid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    /// A DNS name.
    Dns(DnsName),
    /// An IP address.
    Ip(std::net::IpAddr),
}

/// What to verify against.
pub struct VerifyInput<'a> {
    /// The certificate to verify (DER).
    pub leaf: &'a [u8],
    /// Untrusted intermediates offered with it (DER).
    pub intermediates: &'a [Vec<u8>],
    /// Trust anchors (DER).
    pub roots: &'a [Vec<u8>],
    /// Host the certificate must name.
    pub host: Option<HostName>,
    /// Time of verification.
    pub at: OffsetDateTime,
    /// Purpose.
    pub purpose: Purpose,
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `missing-intermediate`.
    pub code: &'static str,
    /// One line for the user.
    pub message: String,
}

/// The outcome.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Subjects from the leaf up to the last certificate found.
    pub path: Vec<String>,
    /// Whether the path ends at a trusted root.
    pub trusted: bool,
    /// Everything wrong; empty means the certificate verifies.
    pub problems: Vec<Problem>,
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CodecError> {
    X509Certificate::from_der(der).map(|(_, cert)| cert).map_err(|e| CodecError::malformed(ObjectKind::Certificate, e))
}

fn is_issuer(child: &X509Certificate<'_>, candidate: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == candidate.subject().as_raw()
        && child.verify_signature(Some(candidate.public_key())).is_ok()
}

fn subject(cert: &X509Certificate<'_>) -> String {
    let name = name_to_string(cert.subject());
    if name.is_empty() { "(empty subject)".into() } else { name }
}

fn ca_issuer_url(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityInfoAccess(aia) => {
            aia.iter().find_map(|a| match (&a.access_location, a.access_method.to_id_string().as_str()) {
                (GeneralName::URI(u), "1.3.6.1.5.5.7.48.2") => Some((*u).to_string()),
                _ => None,
            })
        }
        _ => None,
    })
}

/// Builds the path from `leaf` to a root and reports every problem on it.
pub fn verify(input: &VerifyInput<'_>) -> Result<VerifyReport, CodecError> {
    let leaf = parse(input.leaf)?;
    let intermediates: Vec<X509Certificate<'_>> =
        input.intermediates.iter().map(|d| parse(d)).collect::<Result<_, _>>()?;
    let roots: Vec<X509Certificate<'_>> = input.roots.iter().map(|d| parse(d)).collect::<Result<_, _>>()?;
    let mut problems = Vec::new();
    let mut path: Vec<&X509Certificate<'_>> = vec![&leaf];
    let mut trusted = false;

    check_leaf(&leaf, input, &mut problems);
    while let Some(current) = path.last().copied() {
        if roots.iter().any(|r| r.as_raw() == current.as_raw()) {
            trusted = true;
            break;
        }
        if let Some(root) = roots.iter().find(|r| is_issuer(current, r)) {
            path.push(root);
            trusted = true;
            break;
        }
        if path.len() >= MAX_DEPTH {
            problems
                .push(Problem { code: "path-too-long", message: format!("no root within {MAX_DEPTH} certificates") });
            break;
        }
        if signet_codec::describe::is_self_signed(current) {
            problems.push(Problem {
                code: "untrusted-root",
                message: format!(
                    "the chain ends at the self-signed certificate \"{}\", which is not among the trusted roots; add it with --roots if you trust it",
                    subject(current)
                ),
            });
            break;
        }
        match intermediates.iter().find(|i| is_issuer(current, i) && !path.iter().any(|p| p.as_raw() == i.as_raw())) {
            Some(next) => path.push(next),
            None => {
                let issuer = name_to_string(current.issuer());
                let named_but_bad =
                    intermediates.iter().chain(roots.iter()).any(|c| c.subject().as_raw() == current.issuer().as_raw());
                let message = if named_but_bad {
                    format!(
                        "a certificate named \"{issuer}\" is present but did not sign \"{}\" (wrong or renewed issuer key)",
                        subject(current)
                    )
                } else {
                    let hint =
                        ca_issuer_url(current).map(|u| format!(" (it can be downloaded from {u})")).unwrap_or_default();
                    format!(
                        "missing intermediate: no certificate for the issuer \"{issuer}\"{hint}; include it with --chain, and serve the full chain"
                    )
                };
                problems.push(Problem {
                    code: if named_but_bad { "bad-signature" } else { "missing-intermediate" },
                    message,
                });
                break;
            }
        }
    }
    for (depth, cert) in path.iter().enumerate() {
        check_validity(cert, input.at, &mut problems);
        if depth > 0 {
            check_ca(cert, depth, &mut problems);
            let signature = cert.signature_algorithm.algorithm.to_id_string();
            let is_root = depth == path.len() - 1 && trusted;
            if oids::is_weak_signature(&signature) && !is_root {
                problems.push(Problem {
                    code: "weak-signature",
                    message: format!(
                        "\"{}\" is signed with {}, which clients reject",
                        subject(cert),
                        oids::signature_algorithm(&signature)
                    ),
                });
            }
        }
    }
    let leaf_signature = leaf.signature_algorithm.algorithm.to_id_string();
    if oids::is_weak_signature(&leaf_signature) {
        problems.push(Problem {
            code: "weak-signature",
            message: format!(
                "the certificate is signed with {}, which clients reject",
                oids::signature_algorithm(&leaf_signature)
            ),
        });
    }
    Ok(VerifyReport { path: path.iter().map(|c| subject(c)).collect(), trusted, problems })
}

fn check_validity(cert: &X509Certificate<'_>, at: OffsetDateTime, problems: &mut Vec<Problem>) {
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    if at > not_after {
        problems.push(Problem {
            code: "expired",
            message: format!(
                "\"{}\" expired on {} ({} days ago)",
                subject(cert),
                rfc3339(not_after),
                (at - not_after).whole_days()
            ),
        });
    } else if at < not_before {
        problems.push(Problem {
            code: "not-yet-valid",
            message: format!("\"{}\" is not valid until {} (check the clock)", subject(cert), rfc3339(not_before)),
        });
    }
}

fn check_ca(cert: &X509Certificate<'_>, depth: usize, problems: &mut Vec<Problem>) {
    let basic = cert.basic_constraints().ok().flatten().map(|b| (b.value.ca, b.value.path_len_constraint));
    if !basic.is_some_and(|(ca, _)| ca) {
        problems.push(Problem {
            code: "not-a-ca",
            message: format!(
                "\"{}\" issued another certificate but is not a CA certificate (basicConstraints cA is not set)",
                subject(cert)
            ),
        });
    }
    if let Some(limit) = basic.and_then(|(_, limit)| limit) {
        // depth counts the leaf; intermediates below this CA are depth - 1.
        let below = depth.saturating_sub(1);
        if below > limit as usize {
            problems.push(Problem {
                code: "path-length",
                message: format!(
                    "\"{}\" allows {limit} CA certificates below it but the path has {below}",
                    subject(cert)
                ),
            });
        }
    }
    if let Ok(Some(ku)) = cert.key_usage()
        && !ku.value.key_cert_sign()
    {
        problems.push(Problem {
            code: "key-usage",
            message: format!("\"{}\" is not allowed to sign certificates (keyUsage lacks keyCertSign)", subject(cert)),
        });
    }
}

fn check_leaf(cert: &X509Certificate<'_>, input: &VerifyInput<'_>, problems: &mut Vec<Problem>) {
    if cert.is_ca() && input.purpose != Purpose::Any {
        problems.push(Problem {
            code: "ca-certificate",
            message: format!(
                "\"{}\" is a CA certificate, not a server or client certificate; give the leaf certificate",
                subject(cert)
            ),
        });
    }
    let wanted = match input.purpose {
        Purpose::Server => Some("serverAuth"),
        Purpose::Client => Some("clientAuth"),
        Purpose::Any => None,
    };
    if let (Some(name), Ok(Some(eku))) = (wanted, cert.extended_key_usage()) {
        let e = eku.value;
        let ok = e.any || if input.purpose == Purpose::Server { e.server_auth } else { e.client_auth };
        if !ok {
            problems.push(Problem {
                code: "extended-key-usage",
                message: format!("the certificate is not valid for {name} (extendedKeyUsage lacks it)"),
            });
        }
    }
    if let (Some(_), Ok(Some(ku))) = (wanted, cert.key_usage())
        && !ku.value.digital_signature()
        && !ku.value.key_encipherment()
    {
        problems.push(Problem {
            code: "key-usage",
            message: "keyUsage allows neither digitalSignature nor keyEncipherment, so TLS cannot use this key".into(),
        });
    }
    if let Some(host) = &input.host {
        check_name(cert, host, problems);
    }
}

fn check_name(cert: &X509Certificate<'_>, host: &HostName, problems: &mut Vec<Problem>) {
    let names: Vec<GeneralName<'_>> =
        cert.subject_alternative_name().ok().flatten().map(|san| san.value.general_names.clone()).unwrap_or_default();
    let matched = names.iter().any(|n| match (n, host) {
        (GeneralName::DNSName(d), HostName::Dns(h)) => DnsName::parse(d).is_ok_and(|pattern| pattern.matches(h)),
        (GeneralName::IPAddress(bytes), HostName::Ip(ip)) => match ip {
            std::net::IpAddr::V4(v4) => *bytes == v4.octets().as_slice(),
            std::net::IpAddr::V6(v6) => *bytes == v6.octets().as_slice(),
        },
        _ => false,
    });
    if matched {
        return;
    }
    let shown = match host {
        HostName::Dns(h) => h.to_string(),
        HostName::Ip(ip) => ip.to_string(),
    };
    let listed: Vec<String> = names.iter().map(signet_codec::describe::general_name).collect();
    let message = if listed.is_empty() {
        let cn: Vec<String> =
            cert.subject().iter_common_name().filter_map(|c| c.as_str().ok().map(str::to_string)).collect();
        format!(
            "name mismatch: the certificate has no subjectAltName (only CN {cn:?}), and browsers ignore the CN; it is not valid for {shown}"
        )
    } else {
        format!("name mismatch: the certificate is for {}, not for {shown}", listed.join(", "))
    };
    problems.push(Problem { code: "name-mismatch", message });
}
