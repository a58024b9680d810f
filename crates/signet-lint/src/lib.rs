//! Lints run on every certificate, CRL and OCSP response before it is signed (CA/B Forum BR
//! §4.3.1.2 requires it for certificates; signet holds CRLs, [`crl`], and OCSP responses,
//! [`ocsp`], to the same rule).
//!
//! [`lint_certificate`] looks at a certificate whose signature is a placeholder — the issuance
//! crate signs the to-be-signed part with a static signature first, lints it, and only then asks
//! the real key to sign the byte-identical TBS. A finding of [`Severity::Error`] blocks issuance.
//! The lints cover RFC 5280 basics and the BR subscriber profile; the BR rules that set public
//! certificates apart from private ones (names in the public DNS, a country in CA subjects) apply
//! to certificates that assert a CA/Browser Forum policy. pkilint runs on top of them in the test
//! suite. [`lint_issuer_constraints`] checks the names against the issuer's nameConstraints (the
//! issuance crate runs it with every certificate it signs under a CA). Depends on `x509-parser`,
//! `signet-codec` and `signet-model` only.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod crl;
mod issuer;
pub mod ocsp;
mod public_names;
mod rules;

use serde::Serialize;
use time::OffsetDateTime;

pub use crl::{CrlContext, lint_tbs_crl};
pub use issuer::lint_issuer_constraints;
pub use rules::br_max_validity_days;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks issuance.
    Error,
    /// Reported, does not block.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable lint name, e.g. `validity-exceeds-issuer`.
    pub lint: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in words.
    pub message: String,
}

/// What the certificate is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateKind {
    /// TLS server (subscriber) certificate: BR subscriber rules apply.
    TlsServer,
    /// TLS client certificate.
    TlsClient,
    /// Subordinate CA certificate.
    SubordinateCa,
    /// Self-signed root.
    Root,
    /// Delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck), RFC 6960 §4.2.2.2.
    OcspResponder,
}

/// What the lints need besides the certificate.
#[derive(Debug, Clone)]
pub struct Context {
    /// The intended kind.
    pub kind: CertificateKind,
    /// End of the issuer's validity (none for a self-signed root).
    pub issuer_not_after: Option<OffsetDateTime>,
    /// Whether the profile may exceed the BR validity limit (a private CA's explicit choice).
    pub allow_long_validity: bool,
}

/// Why lints could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the to-be-signed certificate does not parse: {0}")]
pub struct LintError(pub String);

/// Runs every lint on a DER certificate (with a placeholder signature).
pub fn lint_certificate(der: &[u8], context: &Context) -> Result<Vec<Finding>, LintError> {
    use x509_parser::prelude::FromDer;
    let (rest, cert) =
        x509_parser::certificate::X509Certificate::from_der(der).map_err(|e| LintError(e.to_string()))?;
    let mut findings = Vec::new();
    if !rest.is_empty() {
        findings.push(Finding {
            lint: "trailing-data",
            severity: Severity::Error,
            message: "bytes after the certificate".into(),
        });
    }
    findings.extend(lint_parsed(&cert, context));
    Ok(findings)
}

/// Lints a certificate its caller has already parsed.
pub fn lint_parsed(cert: &x509_parser::certificate::X509Certificate<'_>, context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    rules::run(cert, context, &mut findings);
    public_names::run(cert, &mut findings);
    findings
}

/// The errors among `findings`.
pub fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.severity == Severity::Error).collect()
}
