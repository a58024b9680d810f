//! Turning a failed validation into one line per problem that says what to change.
//!
//! webpki says *that* no path validates and gives its most specific reason; to say *which*
//! certificate and *what to do*, signet follows the path a client would try (issuer by name
//! whose signature verifies, trusted roots first) and reads the certificates on it.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS;

use signet_codec::describe::{name_to_string, rfc3339};
use signet_codec::oids;

use super::profile::{is_ca, is_self_issued};
use super::{EkuPolicy, Problem, Purpose, VerifyInput, parse, revocation, subject};

/// The most certificates the diagnostic walk follows.
const MAX_WALK: usize = 12;

/// How the walk from the leaf ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// At a trusted root (the last certificate of the walk).
    Trusted,
    /// At a self-signed certificate that is not a trusted root.
    UntrustedSelfSigned,
    /// No certificate for the issuer of the last one.
    UnknownIssuer,
    /// A certificate with the issuer's name is present but its key did not sign.
    WrongKey,
    /// The walk went on for more than [`MAX_WALK`] certificates.
    TooLong,
    /// The only issuers left are already on the path: the intermediates sign each other.
    Cycle,
}

/// What the explanations read: the walked path and the request.
pub(crate) struct Context<'a, 'i> {
    /// Leaf first, then each issuer found; the last is a trusted root when `end` is `Trusted`.
    pub certs: Vec<X509Certificate<'a>>,
    pub end: End,
    pub input: &'i VerifyInput<'a>,
}

impl<'a, 'i> Context<'a, 'i> {
    /// Walks from `input.leaf` (which has been parsed once already, so parsing cannot fail).
    pub fn new(_leaf: &X509Certificate<'_>, input: &'i VerifyInput<'a>) -> Self {
        let roots: Vec<X509Certificate<'a>> = input.roots.iter().filter_map(|d| parse(d).ok()).collect();
        let intermediates: Vec<X509Certificate<'a>> =
            input.intermediates.iter().filter_map(|d| parse(d).ok()).collect();
        let (certs, end) = match parse(input.leaf) {
            Ok(leaf) => walk(leaf, &intermediates, &roots),
            Err(_) => (Vec::new(), End::UnknownIssuer),
        };
        Self { certs, end, input }
    }

    /// The subjects on the walked path.
    pub fn subjects(&self) -> Vec<String> {
        self.certs.iter().map(subject).collect()
    }
}

/// Whether `candidate` issued `child`: names chain and the signature verifies.
pub(crate) fn signed_by(child: &X509Certificate<'_>, candidate: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == candidate.subject().as_raw()
        && child.verify_signature(Some(candidate.public_key())).is_ok()
}

/// Follows issuers from `leaf`: a trusted root when one signed the current certificate, else an
/// intermediate not yet on the path.
pub(crate) fn walk<'a>(
    leaf: X509Certificate<'a>,
    intermediates: &[X509Certificate<'a>],
    roots: &[X509Certificate<'a>],
) -> (Vec<X509Certificate<'a>>, End) {
    let mut path = vec![leaf];
    loop {
        let Some(current) = path.last() else { return (path, End::UnknownIssuer) };
        if roots.iter().any(|r| r.as_raw() == current.as_raw()) && path.len() > 1 {
            return (path, End::Trusted);
        }
        if let Some(root) = roots.iter().find(|r| signed_by(current, r)) {
            path.push(root.clone());
            return (path, End::Trusted);
        }
        if path.len() >= MAX_WALK {
            return (path, End::TooLong);
        }
        if is_self_issued(current) && current.verify_signature(None).is_ok() {
            return (path, End::UntrustedSelfSigned);
        }
        let next = intermediates
            .iter()
            .find(|i| signed_by(current, i) && !path.iter().any(|p| p.as_raw() == i.as_raw()))
            .cloned();
        match next {
            Some(next) => path.push(next),
            None => {
                let cycle = path.iter().any(|p| signed_by(current, p));
                let named =
                    intermediates.iter().chain(roots).any(|c| c.subject().as_raw() == current.issuer().as_raw());
                let end = match (cycle, named) {
                    (true, _) => End::Cycle,
                    (false, true) => End::WrongKey,
                    (false, false) => End::UnknownIssuer,
                };
                return (path, end);
            }
        }
    }
}

/// "expired" or "not yet valid" for `cert` at `at`.
/// A certificate signed with MD5 or SHA-1, which clients reject.
pub(crate) fn weak_signature_problem(cert: &X509Certificate<'_>) -> Option<Problem> {
    let algorithm = cert.signature_algorithm.algorithm.to_id_string();
    oids::is_weak_signature(&algorithm).then(|| {
        Problem::new(
            "weak-signature",
            format!(
                "\"{}\" is signed with {}, which clients reject",
                subject(cert),
                oids::signature_algorithm(&algorithm)
            ),
        )
    })
}

pub(crate) fn validity_problem(cert: &X509Certificate<'_>, at: time::OffsetDateTime) -> Option<Problem> {
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    if not_after < not_before {
        return Some(Problem::new(
            "malformed-certificate",
            format!("\"{}\" ends its validity before it begins", subject(cert)),
        ));
    }
    if at > not_after {
        Some(Problem::new(
            "expired",
            format!(
                "\"{}\" expired on {} ({} days ago); renew it",
                subject(cert),
                rfc3339(not_after),
                (at - not_after).whole_days()
            ),
        ))
    } else if at < not_before {
        Some(Problem::new(
            "not-yet-valid",
            format!("\"{}\" is not valid until {} (check the clock)", subject(cert), rfc3339(not_before)),
        ))
    } else {
        None
    }
}

fn ca_issuer_url(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityInfoAccess(aia) => aia.iter().find_map(|a| match &a.access_location {
            GeneralName::URI(u) if a.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS => Some((*u).to_string()),
            _ => None,
        }),
        _ => None,
    })
}

/// Which certificate of `certs` (the leaf, or a CA restricting its issuance) lacks a required
/// extendedKeyUsage.
pub(crate) fn eku_problems(certs: &[X509Certificate<'_>], input: &VerifyInput<'_>) -> Vec<Problem> {
    let required = EkuPolicy::new(input).required;
    let mut problems = Vec::new();
    for (index, cert) in certs.iter().enumerate() {
        let Some(ext) =
            cert.extensions().iter().find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_EXTENDED_KEY_USAGE)
        else {
            continue;
        };
        let ParsedExtension::ExtendedKeyUsage(eku) = ext.parsed_extension() else {
            problems.push(Problem::new(
                "extended-key-usage",
                format!("\"{}\" has an empty or malformed extendedKeyUsage", subject(cert)),
            ));
            continue;
        };
        let mut listed: Vec<Vec<u8>> = eku.other.iter().map(|o| o.as_bytes().to_vec()).collect();
        for (set, oid) in [
            (eku.server_auth, "1.3.6.1.5.5.7.3.1"),
            (eku.client_auth, "1.3.6.1.5.5.7.3.2"),
            (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
            (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
            (eku.time_stamping, "1.3.6.1.5.5.7.3.8"),
            (eku.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
        ] {
            if let (true, Ok(parsed)) = (set, oid.parse::<x509_parser::der_parser::oid::Oid<'static>>()) {
                listed.push(parsed.as_bytes().to_vec());
            }
        }
        for oid in &required {
            if listed.contains(oid) {
                continue;
            }
            let wanted =
                x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(oid.as_slice())).to_id_string();
            let wanted = oids::extended_key_usage(&wanted).to_string();
            let allows = signet_codec::describe::eku_names(eku).join(", ");
            let message = if allows.is_empty() {
                format!(
                    "\"{}\" has an empty extendedKeyUsage (RFC 5280 §4.2.1.12 needs at least one purpose)",
                    subject(cert)
                )
            } else if index == 0 {
                format!("the certificate is not valid for {wanted}: its extendedKeyUsage allows only {allows}")
            } else {
                format!(
                    "the CA \"{}\" limits its extendedKeyUsage to {allows}, so it cannot vouch for {wanted}",
                    subject(cert)
                )
            };
            problems.push(Problem::new("extended-key-usage", message));
        }
    }
    problems
}

fn end_problem(context: &Context<'_, '_>) -> Option<Problem> {
    let last = context.certs.last()?;
    let who = subject(last);
    let issuer = name_to_string(last.issuer());
    Some(match context.end {
        End::Trusted => return None,
        End::TooLong => Problem::new(
            "path-too-long",
            format!("no trusted root within {MAX_WALK} certificates of \"{}\"", subject(context.certs.first()?)),
        ),
        End::Cycle => Problem::new(
            "untrusted-root",
            format!(
                "the intermediates given sign each other in a cycle (\"{who}\" was issued by \"{issuer}\", already on the path) and none leads to a trusted root; give --roots FILE with the root that issued them"
            ),
        ),
        End::UntrustedSelfSigned => Problem::new(
            "untrusted-root",
            format!(
                "the chain ends at \"{who}\", which is not in your trusted roots; give --roots FILE with it if you trust it"
            ),
        ),
        End::WrongKey => {
            let algorithm = last.signature_algorithm.algorithm.to_id_string();
            if oids::is_weak_signature(&algorithm) {
                Problem::new(
                    "weak-signature",
                    format!("\"{who}\" is signed with {}, which clients reject", oids::signature_algorithm(&algorithm)),
                )
            } else {
                Problem::new(
                    "bad-signature",
                    format!(
                        "a certificate named \"{issuer}\" is present but did not sign \"{who}\" (wrong or renewed issuer key)"
                    ),
                )
            }
        }
        // With intermediates given, the certificate missing is most likely the root: say the
        // root is not trusted (issue 10). With the leaf alone and a caIssuers URL, it is most
        // likely the intermediate a server forgot to send.
        End::UnknownIssuer => {
            let url = ca_issuer_url(last);
            let download = url.as_deref().map(|u| format!(" (its certificate is at {u})")).unwrap_or_default();
            match (context.certs.len() > 1 || is_ca(last), url) {
                (true, _) => Problem::new(
                    "untrusted-root",
                    format!(
                        "the chain ends at \"{who}\", issued by \"{issuer}\", which is not in your trusted roots; give --roots FILE with \"{issuer}\"{download}"
                    ),
                ),
                (false, Some(url)) => Problem::new(
                    "missing-intermediate",
                    format!(
                        "missing intermediate: no certificate for \"{issuer}\", the issuer of \"{who}\" (it can be downloaded from {url}); include it with --chain, and serve the full chain"
                    ),
                ),
                (false, None) => Problem::new(
                    "untrusted-root",
                    format!(
                        "the chain ends at \"{who}\": its issuer \"{issuer}\" is not in your trusted roots; give --roots FILE with it (or --chain FILE if it is an intermediate)"
                    ),
                ),
            }
        }
    })
}

fn path_length_problems(context: &Context<'_, '_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, cert) in context.certs.iter().enumerate().skip(1) {
        let Some(limit) = cert.basic_constraints().ok().flatten().and_then(|b| b.value.path_len_constraint) else {
            continue;
        };
        let below = index - 1;
        if below > limit as usize {
            problems.push(Problem::new(
                "path-length",
                format!("\"{}\" allows {limit} CA certificate(s) below it but the path has {below}", subject(cert)),
            ));
        }
    }
    problems
}

fn signature_problems(context: &Context<'_, '_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let last = context.certs.len().saturating_sub(1);
    for (index, cert) in context.certs.iter().enumerate() {
        if index < last {
            problems.extend(weak_signature_problem(cert));
        }
        if cert.signature_algorithm != cert.tbs_certificate.signature {
            problems.push(Problem::new(
                "malformed-certificate",
                format!(
                    "\"{}\" names different signature algorithms inside and outside its signed part",
                    subject(cert)
                ),
            ));
        }
    }
    problems
}

/// Signatures and keys clients refuse anywhere on the walked path, and malformed structure.
fn crypto_problems(context: &Context<'_, '_>) -> Vec<Problem> {
    let mut problems = signature_problems(context);
    for cert in &context.certs {
        super::profile::public_key(cert, &mut problems);
    }
    // When the walk stopped, the issuer it could not use may be the one with the weak key.
    if let Some(last) = context.certs.last()
        && context.end != End::Trusted
    {
        let input = context.input;
        for der in input.roots.iter().chain(input.intermediates) {
            if let Ok(candidate) = parse(der)
                && candidate.subject().as_raw() == last.issuer().as_raw()
            {
                super::profile::public_key(&candidate, &mut problems);
            }
        }
    }
    problems
}

fn structure_problems(context: &Context<'_, '_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let last = context.certs.len().saturating_sub(1);
    for (index, cert) in context.certs.iter().enumerate() {
        let role = match index {
            0 => super::profile::Role::Leaf,
            i if i == last && context.end == End::Trusted => super::profile::Role::Root,
            _ => super::profile::Role::Intermediate,
        };
        super::profile::structure(cert, role, &mut problems);
    }
    problems
}

fn critical_extension_problems(context: &Context<'_, '_>) -> Vec<Problem> {
    // The extensions webpki acts on (RFC 5280 §4.2: a critical extension not understood means
    // the certificate must be refused).
    const UNDERSTOOD: [&str; 7] =
        ["2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.30", "2.5.29.31", "2.5.29.37", "1.3.6.1.4.1.11129.2.4.2"];
    let mut problems = Vec::new();
    for cert in &context.certs {
        for extension in cert.extensions().iter().filter(|e| e.critical) {
            let oid = extension.oid.to_id_string();
            if !UNDERSTOOD.contains(&oid.as_str()) {
                problems.push(Problem::new(
                    "unknown-critical-extension",
                    format!(
                        "\"{}\" marks the {} extension critical, which no validator here processes, so it must be refused",
                        subject(cert),
                        oids::extension(&oid)
                    ),
                ));
            }
        }
    }
    problems
}

/// One line per problem behind webpki's `error`.
pub(crate) fn explain(error: &webpki::Error, context: &Context<'_, '_>) -> Vec<Problem> {
    use webpki::Error as E;
    let input = context.input;
    let mut problems: Vec<Problem> = match error {
        E::UnknownIssuer => end_problem(context).into_iter().collect(),
        E::CertExpired { .. } | E::CertNotValidYet { .. } | E::InvalidCertValidity => {
            context.certs.iter().filter_map(|c| validity_problem(c, input.at)).collect()
        }
        E::CertRevoked => revocation::explain_revoked(&context.certs, input.crls),
        E::UnknownRevocationStatus => revocation::explain_unknown(&context.certs, input.crls),
        E::CrlExpired { next_update, .. } => vec![Problem::new(
            "crl-expired",
            format!(
                "a CRL for the path expired at {} (its nextUpdate); fetch a fresh one",
                time::OffsetDateTime::from_unix_timestamp(i64::try_from(next_update.as_secs()).unwrap_or(i64::MAX))
                    .map(rfc3339)
                    .unwrap_or_default()
            ),
        )],
        E::IssuerNotCrlSigner => vec![Problem::new(
            "crl-unusable",
            "a CRL given is signed by a CA whose keyUsage lacks cRLSign, so it cannot say whether the certificate is revoked",
        )],
        E::InvalidCrlSignatureForPublicKey => vec![Problem::new(
            "crl-unusable",
            "the signature on a CRL given does not verify with its issuer's key",
        )],
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => eku_problems(&context.certs, input),
        #[allow(deprecated)]
        E::RequiredEkuNotFound => eku_problems(&context.certs, input),
        E::NameConstraintViolation | E::MalformedNameConstraint | E::InvalidNetworkMaskConstraint => {
            let mut found = super::profile::name_constraint_problems(&context.certs);
            if found.is_empty() {
                found.push(Problem::new(
                    "name-constraints",
                    "a CA on the path sets nameConstraints the validator cannot confirm these names against (e-mail or directory-name subtrees, or a name form it refuses); the certificate is refused",
                ));
            }
            found
        }
        E::PathLenConstraintViolated => path_length_problems(context),
        E::CaUsedAsEndEntity => vec![Problem::new(
            "ca-certificate",
            format!(
                "\"{}\" is a CA certificate, not a server or client certificate; give the leaf certificate (or --purpose any to check a CA)",
                context.certs.first().map(subject).unwrap_or_default()
            ),
        )],
        E::EndEntityUsedAsCa => context
            .certs
            .iter()
            .skip(1)
            .filter(|c| !is_ca(c))
            .map(|c| {
                Problem::new(
                    "not-a-ca",
                    format!("\"{}\" issued another certificate but is not a CA certificate (basicConstraints cA is not set)", subject(c)),
                )
            })
            .collect(),
        E::UnsupportedCriticalExtension => critical_extension_problems(context),
        E::UnsupportedCertVersion => vec![Problem::new(
            "old-version",
            "a certificate on the path is not version 3; only version 3 certificates are verified (RFC 5280 §4.1.2.1)",
        )],
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            let mut found = crypto_problems(context);
            if found.is_empty() {
                found.push(Problem::new("bad-signature", "a signature on the path does not verify with its issuer's key"));
            }
            found
        }
        E::SignatureAlgorithmMismatch => signature_problems(context),
        E::MaximumPathDepthExceeded => vec![Problem::new(
            "path-too-long",
            "every path found has more than 6 intermediate CA certificates; clients give up there",
        )],
        E::MaximumSignatureChecksExceeded | E::MaximumPathBuildCallsExceeded | E::MaximumNameConstraintComparisonsExceeded => {
            vec![Problem::new(
                "too-much-work",
                "gave up: the certificates given form too many candidate paths (or names to compare) to check in bounded time; remove unrelated certificates from --chain",
            )]
        }
        E::MalformedDnsIdentifier => context
            .certs
            .iter()
            .flat_map(|cert| {
                let names: Vec<String> = signet_codec::name_constraints::names_of(cert)
                    .into_iter()
                    .filter_map(|n| match n {
                        signet_codec::name_constraints::CertifiedName::Dns(d)
                            if signet_model::DnsName::parse(&d).is_err() =>
                        {
                            Some(d)
                        }
                        _ => None,
                    })
                    .collect();
                names.into_iter().map(move |d| {
                    Problem::new(
                        "malformed-certificate",
                        format!("\"{}\" has the dNSName {d:?}, which is not a valid DNS name", subject(cert)),
                    )
                })
            })
            .collect(),
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions | E::ExtensionValueInvalid => {
            structure_problems(context)
        }
        _ => Vec::new(),
    };
    if problems.is_empty() {
        // Signatures and keys webpki refuses (SHA-1, small keys) are the usual cause of what remains.
        problems.extend(crypto_problems(context));
    }
    if problems.is_empty() {
        problems.push(Problem::new("invalid-chain", format!("the chain does not verify: {}", describe(error))));
    }
    if input.purpose == Purpose::Any {
        problems.retain(|p| p.code != "extended-key-usage");
    }
    problems
}

/// webpki's error in words, for what no explanation above covers.
fn describe(error: &webpki::Error) -> String {
    use webpki::Error as E;
    match error {
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a signature uses an algorithm or key size clients refuse (SHA-1, RSA below 2048 bits, DSA)".into()
        }
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions | E::ExtensionValueInvalid => {
            "a certificate on the path is malformed DER".into()
        }
        E::CertDistrusted => "a certificate on the path is distrusted by the validator".into(),
        other => format!("{other:?}"),
    }
}
