//! Revocation: the CRLs given to `--crl` (or fetched for `--check-revocation`), the reason and
//! date of a revocation, and where a certificate says its CRL and OCSP responder are.
//!
//! webpki decides whether a CRL covers a certificate and whether it is revoked; this module
//! parses the CRLs for it and reads the revoked entry back to say when and why.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use signet_codec::describe::{crl_reason, name_to_string, rfc3339};

use super::{Problem, subject};

/// The CRLs for webpki, or one problem per CRL it cannot use (a CRL that cannot be read leaves
/// the status unknown, so the verification fails rather than passing unchecked).
pub(crate) fn parse_crls(crls: &[Vec<u8>]) -> (Vec<webpki::CertRevocationList<'_>>, Vec<Problem>) {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (index, der) in crls.iter().enumerate() {
        match webpki::BorrowedCertRevocationList::from_der(der) {
            Ok(crl) => parsed.push(webpki::CertRevocationList::from(crl)),
            Err(error) => {
                let issuer = CertificateRevocationList::from_der(der)
                    .map(|(_, c)| format!(" from \"{}\"", name_to_string(c.issuer())))
                    .unwrap_or_default();
                problems.push(Problem::new(
                    "crl-unusable",
                    format!(
                        "CRL #{}{issuer} cannot be used ({}); without it the revocation status is unknown",
                        index + 1,
                        why(&error)
                    ),
                ));
            }
        }
    }
    (parsed, problems)
}

fn why(error: &webpki::Error) -> String {
    use webpki::Error as E;
    match error {
        E::InvalidCrlNumber => "its cRLNumber is missing or invalid (RFC 5280 §5.2.3 requires one)".into(),
        E::UnsupportedCriticalExtension => "it has a critical extension signet does not process".into(),
        E::UnsupportedCrlVersion => "it is not a version 2 CRL".into(),
        E::UnsupportedDeltaCrl => "it is a delta CRL, which signet does not combine".into(),
        E::UnsupportedIndirectCrl => "it is an indirect CRL, which signet does not support".into(),
        E::BadDer | E::BadDerTime | E::TrailingData(_) => "it is not well-formed DER".into(),
        other => format!("{other:?}"),
    }
}

/// RFC 5280 rules for the CRLs themselves that webpki leaves out: a cRLNumber, not critical
/// (§5.2.3), and an issuer allowed to sign CRLs (keyUsage cRLSign, §4.2.1.3) even when the
/// issuer is a trust anchor.
pub(crate) fn crl_profile(input: &super::VerifyInput<'_>) -> Vec<Problem> {
    let issuers: Vec<X509Certificate<'_>> =
        input.roots.iter().chain(input.intermediates).filter_map(|d| super::parse(d).ok()).collect();
    let mut problems = Vec::new();
    for (index, crl) in parsed_crls(input.crls).iter().enumerate() {
        let from = name_to_string(crl.issuer());
        let number = crl.extensions().iter().find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_CRL_NUMBER);
        let unusable = |why: &str| {
            Problem::new(
                "crl-unusable",
                format!(
                    "CRL #{} from \"{from}\" cannot be used: {why}; without it the revocation status is unknown",
                    index + 1
                ),
            )
        };
        match number {
            None => problems.push(unusable("it has no cRLNumber (RFC 5280 §5.2.3 requires one)")),
            Some(e) if e.critical => problems.push(unusable("its cRLNumber is marked critical (RFC 5280 §5.2.3)")),
            Some(_) => {}
        }
        let signer = issuers
            .iter()
            .find(|c| c.subject().as_raw() == crl.issuer().as_raw() && crl.verify_signature(c.public_key()).is_ok());
        if let Some(signer) = signer
            && let Ok(Some(ku)) = signer.key_usage()
            && !ku.value.crl_sign()
        {
            problems.push(unusable(&format!("\"{}\" signed it, but its keyUsage lacks cRLSign", subject(signer))));
        }
    }
    problems
}

fn parsed_crls(crls: &[Vec<u8>]) -> Vec<CertificateRevocationList<'_>> {
    crls.iter().filter_map(|der| CertificateRevocationList::from_der(der).ok().map(|(_, c)| c)).collect()
}

/// The entry revoking `cert` in a CRL from its issuer whose signature verifies with `issuer`'s
/// key (any CRL from the issuer's name when `issuer` is unknown), as one line.
pub(crate) fn revoked_line(
    cert: &X509Certificate<'_>,
    issuer: Option<&X509Certificate<'_>>,
    crls: &[CertificateRevocationList<'_>],
) -> Option<Problem> {
    for crl in crls {
        if crl.issuer().as_raw() != cert.issuer().as_raw() {
            continue;
        }
        if let Some(issuer) = issuer
            && crl.verify_signature(issuer.public_key()).is_err()
        {
            continue;
        }
        let Some(entry) = crl.iter_revoked_certificates().find(|e| e.raw_serial() == cert.raw_serial()) else {
            continue;
        };
        let reason =
            entry.reason_code().map(|(_, code)| crl_reason(code.0)).unwrap_or_else(|| "no reason given".into());
        return Some(Problem::new(
            "revoked",
            format!(
                "\"{}\" (serial {}) was revoked on {} (reason: {reason}) according to the CRL of \"{}\"; it must be replaced",
                subject(cert),
                super::serial(cert),
                rfc3339(entry.revocation_date.to_datetime()),
                name_to_string(crl.issuer())
            ),
        ));
    }
    None
}

/// Which certificate of `path` is revoked, with reason and date.
pub(crate) fn explain_revoked(path: &[X509Certificate<'_>], crls: &[Vec<u8>]) -> Vec<Problem> {
    let parsed = parsed_crls(crls);
    let found: Vec<Problem> =
        path.iter().enumerate().filter_map(|(index, cert)| revoked_line(cert, path.get(index + 1), &parsed)).collect();
    if found.is_empty() {
        vec![Problem::new("revoked", "a certificate on the path is revoked by a CRL given")]
    } else {
        found
    }
}

/// Whether a CRL from `issuer` (its name, and a signature its key verifies) is among `crls`.
pub(crate) fn covered(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>, crls: &[Vec<u8>]) -> bool {
    parsed_crls(crls)
        .iter()
        .any(|crl| crl.issuer().as_raw() == cert.issuer().as_raw() && crl.verify_signature(issuer.public_key()).is_ok())
}

/// What OCSP responses given say about the verified certificate (issued by `issuer`), and, with
/// `require_revocation_status`, whether a CRL or a good OCSP answer covers it.
pub(crate) fn leaf_status(
    leaf: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    input: &super::VerifyInput<'_>,
) -> Vec<Problem> {
    let answer = super::ocsp::answer(input.ocsp_responses, leaf, issuer, input.at);
    match answer {
        Some(super::ocsp::Answer::Revoked(problem)) => vec![problem],
        Some(super::ocsp::Answer::Good) => Vec::new(),
        _ if !input.require_revocation_status || covered(leaf, issuer, input.crls) => Vec::new(),
        Some(super::ocsp::Answer::Unusable(why)) => vec![Problem::new(
            "revocation-unknown",
            format!(
                "the revocation status of \"{}\" is unknown: the OCSP response cannot be used ({why})",
                subject(leaf)
            ),
        )],
        None => vec![unknown_status(leaf)],
    }
}

/// "The revocation status of CERT is unknown", with where its CRL is.
pub(crate) fn unknown_status(cert: &X509Certificate<'_>) -> Problem {
    let urls = distribution_points(cert);
    let hint = if urls.is_empty() {
        let ocsp = ocsp_responders(cert);
        if ocsp.is_empty() {
            " and it names neither a CRL distribution point nor an OCSP responder".to_string()
        } else {
            format!(" and its OCSP responder ({}) gave no answer", ocsp.join(", "))
        }
    } else {
        format!("; its CRL is at {}", urls.join(", "))
    };
    Problem::new(
        "revocation-unknown",
        format!(
            "the revocation status of \"{}\" is unknown: no CRL from \"{}\" or OCSP answer was given or fetched{hint}",
            subject(cert),
            name_to_string(cert.issuer())
        ),
    )
}

/// Which certificate of `path` no CRL covers.
pub(crate) fn explain_unknown(path: &[X509Certificate<'_>], crls: &[Vec<u8>]) -> Vec<Problem> {
    let parsed = parsed_crls(crls);
    let last = path.len().saturating_sub(1);
    let uncovered = path
        .iter()
        .take(last.max(1))
        .find(|cert| !parsed.iter().any(|crl| crl.issuer().as_raw() == cert.issuer().as_raw()));
    match uncovered {
        Some(cert) => vec![unknown_status(cert)],
        None => {
            vec![Problem::new("revocation-unknown", "the revocation status of a certificate on the path is unknown")]
        }
    }
}

/// The http(s) URLs of `cert`'s CRL distribution points.
pub fn distribution_points(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut urls = Vec::new();
    for extension in cert.extensions() {
        let ParsedExtension::CRLDistributionPoints(points) = extension.parsed_extension() else { continue };
        for point in points.iter() {
            if let Some(DistributionPointName::FullName(names)) = &point.distribution_point {
                urls.extend(names.iter().filter_map(|n| match n {
                    GeneralName::URI(u) if u.starts_with("http://") || u.starts_with("https://") => {
                        Some((*u).to_string())
                    }
                    _ => None,
                }));
            }
        }
    }
    urls
}

/// The OCSP responder URLs in `cert`'s authorityInfoAccess.
pub fn ocsp_responders(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => Some(aia),
            _ => None,
        })
        .flat_map(|aia| aia.iter())
        .filter_map(|a| match &a.access_location {
            GeneralName::URI(u) if a.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP => Some((*u).to_string()),
            _ => None,
        })
        .collect()
}

/// Where to fetch revocation information for each certificate of a chain below its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Subject of the certificate.
    pub subject: String,
    /// CRL URLs.
    pub crls: Vec<String>,
    /// OCSP responder URLs.
    pub ocsp: Vec<String>,
}

/// The revocation sources named by `leaf` and `intermediates` (DER); certificates that do not
/// parse are skipped (the verification reports them).
pub fn sources(leaf: &[u8], intermediates: &[Vec<u8>]) -> Vec<Sources> {
    std::iter::once(leaf)
        .chain(intermediates.iter().map(Vec::as_slice))
        .filter_map(|der| super::parse(der).ok())
        .map(|cert| Sources { subject: subject(&cert), crls: distribution_points(&cert), ocsp: ocsp_responders(&cert) })
        .collect()
}
