//! Verifying a CA certificate on its own (`--purpose any`, `ca install-cert`).
//!
//! webpki validates end-entity certificates only (a CA in the leaf position is refused by
//! design), so a CA certificate is walked by signet: every candidate path to a trusted root is
//! tried in turn, depth first with a bound on signature checks, and judged by the same profile
//! rules the webpki paths pass, plus the checks webpki would have made (validity of every
//! certificate, pathLen without self-issued certificates, critical extensions, CRLs).

use x509_parser::certificate::X509Certificate;

use signet_codec::oids;

use super::diagnose::{self, End, signed_by, validity_problem};
use super::profile::{self, is_self_issued};
use super::{Problem, VerifyInput, parse, revocation, subject};

/// The most signature checks one verification makes (as webpki's budget).
const MAX_SIGNATURE_CHECKS: usize = 100;

struct Search<'s, 'a> {
    intermediates: &'s [X509Certificate<'a>],
    roots: &'s [X509Certificate<'a>],
    input: &'s VerifyInput<'a>,
    budget: usize,
    first_rejection: Option<(Vec<String>, Vec<Problem>)>,
}

impl<'a> Search<'_, 'a> {
    fn links(&mut self, child: &X509Certificate<'a>, candidate: &X509Certificate<'a>) -> bool {
        if child.issuer().as_raw() != candidate.subject().as_raw() || self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        signed_by(child, candidate)
    }

    /// Depth-first: the first path that passes every rule, as its subjects.
    fn extend(&mut self, path: &mut Vec<X509Certificate<'a>>) -> Option<Vec<String>> {
        let current = path.last()?.clone();
        for root in self.roots {
            if self.links(&current, root) {
                path.push(root.clone());
                let problems = judge(path, self.input);
                let subjects: Vec<String> = path.iter().map(subject).collect();
                path.pop();
                if problems.is_empty() {
                    return Some(subjects);
                }
                self.first_rejection.get_or_insert((subjects, problems));
            }
        }
        if path.len() > 7 {
            return None;
        }
        for next in self.intermediates {
            if path.iter().any(|p| p.as_raw() == next.as_raw()) || !self.links(&current, next) {
                continue;
            }
            path.push(next.clone());
            let found = self.extend(path);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// Everything wrong with the complete path `certs` (leaf first, trusted root last).
fn judge(certs: &[X509Certificate<'_>], input: &VerifyInput<'_>) -> Vec<Problem> {
    let mut problems = profile::check_parsed(certs, input);
    let last = certs.len().saturating_sub(1);
    for (index, cert) in certs.iter().enumerate() {
        if index < last {
            problems.extend(validity_problem(cert, input.at));
            problems.extend(diagnose::weak_signature_problem(cert));
            for extension in cert.extensions().iter().filter(|e| e.critical) {
                let oid = extension.oid.to_id_string();
                if !["2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.30", "2.5.29.31", "2.5.29.37"]
                    .contains(&oid.as_str())
                {
                    problems.push(Problem::new(
                        "unknown-critical-extension",
                        format!(
                            "\"{}\" marks the {} extension critical, which signet does not process",
                            subject(cert),
                            oids::extension(&oid)
                        ),
                    ));
                }
            }
        }
        if index > 0 {
            let below = certs.get(1..index).unwrap_or_default().iter().filter(|c| !is_self_issued(c)).count();
            if let Some(limit) = cert.basic_constraints().ok().flatten().and_then(|b| b.value.path_len_constraint)
                && below > limit as usize
            {
                problems.push(Problem::new(
                    "path-length",
                    format!("\"{}\" allows {limit} CA certificate(s) below it but the path has {below}", subject(cert)),
                ));
            }
        }
    }
    if !input.crls.is_empty() || !input.ocsp_responses.is_empty() || input.require_revocation_status {
        let crls: Vec<_> = input
            .crls
            .iter()
            .filter_map(|d| {
                use x509_parser::prelude::FromDer;
                x509_parser::revocation_list::CertificateRevocationList::from_der(d).ok().map(|(_, c)| c)
            })
            .collect();
        for (index, cert) in certs.iter().enumerate().take(last) {
            problems.extend(revocation::revoked_line(cert, certs.get(index + 1), &crls));
        }
        if let (Some(leaf), Some(issuer)) = (certs.first(), certs.get(1)) {
            problems.extend(revocation::leaf_status(leaf, issuer, input));
        }
    }
    problems
}

/// (subjects of the path, trusted, problems) for the CA certificate `leaf`.
pub(crate) fn verify(leaf: &X509Certificate<'_>, input: &VerifyInput<'_>) -> (Vec<String>, bool, Vec<Problem>) {
    let roots: Vec<X509Certificate<'_>> = input.roots.iter().filter_map(|d| parse(d).ok()).collect();
    let intermediates: Vec<X509Certificate<'_>> = input.intermediates.iter().filter_map(|d| parse(d).ok()).collect();
    let Ok(own) = parse(input.leaf) else {
        return (
            vec![subject(leaf)],
            false,
            vec![Problem::new("malformed-certificate", "the certificate does not parse")],
        );
    };
    let mut search = Search {
        intermediates: &intermediates,
        roots: &roots,
        input,
        budget: MAX_SIGNATURE_CHECKS,
        first_rejection: None,
    };
    let mut path = vec![own];
    if let Some(subjects) = search.extend(&mut path) {
        return (subjects, true, Vec::new());
    }
    if let Some((subjects, problems)) = search.first_rejection {
        return (subjects, false, problems);
    }
    let context = diagnose::Context::new(leaf, input);
    let mut problems: Vec<Problem> = context.certs.iter().filter_map(|c| validity_problem(c, input.at)).collect();
    if search.budget == 0 {
        problems.push(Problem::new(
            "too-much-work",
            "gave up: the certificates given form too many candidate paths to check in bounded time; remove unrelated certificates from --chain",
        ));
    } else if context.end != End::Trusted {
        problems.extend(diagnose::explain(&webpki::Error::UnknownIssuer, &context));
    }
    if problems.is_empty() {
        problems.push(Problem::new("invalid-chain", "no path to a trusted root passes the checks"));
    }
    (context.subjects(), false, problems)
}
