//! Lints that need the issuer's certificate: the names of the certificate about to be signed
//! against the issuer's nameConstraints (RFC 5280 §4.2.1.10), so signet never signs a
//! certificate every validator must refuse (the CVE-2025-61727 wildcard among them).

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use signet_codec::describe::name_to_string;
use signet_codec::name_constraints::{self, Outcome};

use crate::{Finding, Severity};

fn error(lint: &'static str, message: String) -> Finding {
    Finding { lint, severity: Severity::Error, message }
}

/// The names of `cert` against the nameConstraints of `issuer_der`, the certificate of the CA
/// that will sign it. A self-issued CA certificate (a key rollover) is exempt, as in path
/// validation (RFC 5280 §6.1.3 (b)).
pub fn lint_issuer_constraints(cert: &X509Certificate<'_>, issuer_der: &[u8]) -> Vec<Finding> {
    let issuer = match X509Certificate::from_der(issuer_der) {
        Ok((_, issuer)) => issuer,
        Err(e) => return vec![error("issuer-readable", format!("the issuer's certificate does not parse: {e}"))],
    };
    let issuer_name = name_to_string(issuer.subject());
    let constraints = match name_constraints::of_certificate(&issuer) {
        None => return Vec::new(),
        Some(Ok(constraints)) => constraints,
        Some(Err(why)) => {
            return vec![error(
                "name-constraints-issuer",
                format!(
                    "the issuer \"{issuer_name}\" has unusable nameConstraints ({why}); validators refuse everything it signs"
                ),
            )];
        }
    };
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    if self_issued && cert.is_ca() {
        return Vec::new();
    }
    let names = name_constraints::names_of(cert);
    let mut budget = name_constraints::MAX_COMPARISONS;
    let message = match name_constraints::check(&constraints, &names, &mut budget) {
        Outcome::Allowed => return Vec::new(),
        Outcome::NotPermitted { name, permitted } => {
            let listed: Vec<String> = permitted.iter().map(ToString::to_string).collect();
            format!(
                "the {name} is outside the subtrees ({}) that the issuer \"{issuer_name}\" permits in its nameConstraints; every validator would refuse the certificate",
                listed.join(", ")
            )
        }
        Outcome::Excluded { name, subtree } => format!(
            "the {name} is inside the subtree {subtree} that the issuer \"{issuer_name}\" excludes in its nameConstraints; every validator would refuse the certificate"
        ),
        Outcome::TooMuchWork => format!(
            "checking the names against the nameConstraints of \"{issuer_name}\" takes more than {} comparisons; validators would give up on the certificate",
            name_constraints::MAX_COMPARISONS
        ),
    };
    vec![error("name-constraints", message)]
}
