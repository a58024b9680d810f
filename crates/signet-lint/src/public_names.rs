//! Names a publicly trusted certificate may not hold (CA/Browser Forum BR §4.2.2, §3.2.2.6,
//! §7.1.2.7.12), checked on every certificate that claims the Baseline Requirements by asserting
//! a CA/Browser Forum reserved policy (2.23.140.1.*): no internal names, no reserved IP
//! addresses, no wildcard directly under a public suffix. Issuance refuses such names earlier,
//! by profile; this is the gate that holds whatever a profile says. The judgements themselves
//! live in [`signet_model::public`].

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::{Finding, Severity};

/// The arc under which the CA/Browser Forum reserves its policy identifiers.
const CABF_POLICY_ARC: &str = "2.23.140.1.";

/// Whether the certificate asserts a CA/Browser Forum reserved policy, i.e. claims to follow
/// the Baseline Requirements.
pub(crate) fn asserts_cabf_policy(cert: &X509Certificate<'_>) -> bool {
    cert.extensions().iter().any(|e| match e.parsed_extension() {
        ParsedExtension::CertificatePolicies(policies) => {
            policies.iter().any(|p| p.policy_id.to_id_string().starts_with(CABF_POLICY_ARC))
        }
        _ => false,
    })
}

fn error(findings: &mut Vec<Finding>, lint: &'static str, message: String) {
    findings.push(Finding { lint, severity: Severity::Error, message });
}

pub(crate) fn run(cert: &X509Certificate<'_>, findings: &mut Vec<Finding>) {
    if !asserts_cabf_policy(cert) {
        return;
    }
    let Ok(Some(san)) = cert.subject_alternative_name() else { return };
    for name in &san.value.general_names {
        match name {
            GeneralName::DNSName(text) => {
                // Syntax is the dns-name-syntax lint's job; a name that does not parse is left to it.
                let Ok(dns) = signet_model::DnsName::parse(text) else { continue };
                if let Some(why) = signet_model::public::internal_name(&dns) {
                    error(
                        findings,
                        "br-internal-name",
                        format!(
                            "dNSName {text:?}: {why}; a certificate under CA/Browser Forum policy cannot name it (BR §4.2.2)"
                        ),
                    );
                }
                if let Some(suffix) = signet_model::public::wildcard_public_suffix(&dns) {
                    error(
                        findings,
                        "br-wildcard-public-suffix",
                        format!(
                            "dNSName {text:?} is a wildcard directly under the public suffix {suffix} (BR §3.2.2.6)"
                        ),
                    );
                }
            }
            GeneralName::IPAddress(bytes) => {
                let ip = match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).ok().map(std::net::IpAddr::from),
                    16 => <[u8; 16]>::try_from(*bytes).ok().map(std::net::IpAddr::from),
                    _ => None,
                };
                if let Some(block) = ip.as_ref().and_then(signet_model::public::reserved_address) {
                    error(
                        findings,
                        "br-reserved-address",
                        format!(
                            "iPAddress: {block}; a certificate under CA/Browser Forum policy cannot name it (BR §4.2.2)"
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}
