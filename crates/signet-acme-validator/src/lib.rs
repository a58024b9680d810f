//! The ACME validation authority, like Boulder's `va/`: the one part of the CA that reaches out to
//! the network. It checks http-01 (RFC 8555 §8.3), dns-01 (§8.4) and tls-alpn-01 (RFC 8737)
//! challenges, and CAA records (RFC 8659, with RFC 8657's `accounturi` and `validationmethods`).
//! The ports it connects to and the DNS server every lookup goes to are settings, so tests point
//! them at loopback; it connects only to addresses inside the configured allow-list (by default
//! this machine and link-local addresses), and never echoes what a target sent back.
//!
//! Depends on the codec (reading the tls-alpn-01 certificate) and the configuration types; never
//! on the store, the authority or HTTP serving.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod caa;
mod dns;
mod http01;
mod tls_alpn;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use signet_config::Network;

pub use caa::CaaCheck;
pub use dns::Lookup;

/// What a validation can fail on; each maps to an RFC 8555 problem type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A DNS lookup failed or found nothing (`dns`).
    #[error("{0}")]
    Dns(String),
    /// The target could not be reached (`connection`).
    #[error("{0}")]
    Connection(String),
    /// The TLS handshake failed or showed the wrong certificate (`tls`).
    #[error("{0}")]
    Tls(String),
    /// The target answered, wrongly (`incorrectResponse`).
    #[error("{0}")]
    IncorrectResponse(String),
    /// Every address of the name is outside the allowed networks (`rejectedIdentifier`).
    #[error("{0}")]
    AddressNotAllowed(String),
    /// CAA records forbid issuance (`caa`).
    #[error("{0}")]
    Caa(String),
}

/// A challenge type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// `http-01`.
    Http01,
    /// `dns-01`.
    Dns01,
    /// `tls-alpn-01`.
    TlsAlpn01,
}

impl ChallengeKind {
    /// Its name in ACME (and in CAA `validationmethods`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 => "dns-01",
            Self::TlsAlpn01 => "tls-alpn-01",
        }
    }

    /// Parses an ACME challenge type.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "http-01" => Some(Self::Http01),
            "dns-01" => Some(Self::Dns01),
            "tls-alpn-01" => Some(Self::TlsAlpn01),
            _ => None,
        }
    }
}

/// What is validated: a DNS name (without `*.`) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A DNS name, lower case, no trailing dot.
    Dns(String),
    /// An IP address (RFC 8738).
    Ip(IpAddr),
}

/// One challenge to check.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Its type.
    pub kind: ChallengeKind,
    /// The identifier.
    pub target: Target,
    /// The challenge token.
    pub token: String,
    /// `token || '.' || thumbprint(account key)` (RFC 8555 §8.1).
    pub key_authorization: String,
}

/// What a validator does; the ACME front end holds one.
#[async_trait]
pub trait Validate: Send + Sync {
    /// Checks a challenge response.
    async fn validate(&self, challenge: &Challenge) -> Result<(), ValidationError>;
    /// Checks CAA for a DNS name about to be issued for `account_uri` after validation by
    /// `method` (RFC 8659, RFC 8657); `wildcard` selects `issuewild`.
    async fn check_caa(&self, check: &CaaCheck) -> Result<(), ValidationError>;
}

/// Where and how validation connects.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Port of http-01.
    pub http01_port: u16,
    /// Port of tls-alpn-01.
    pub tls_alpn01_port: u16,
    /// The DNS server of every lookup; None: the system's.
    pub dns_resolver: Option<SocketAddr>,
    /// The only addresses connected to.
    pub networks: Vec<Network>,
    /// CAA issuer domains that mean this CA.
    pub caa_identities: Vec<String>,
    /// Time for each connection, lookup or exchange.
    pub timeout: Duration,
}

/// The validator that reaches out to the network.
pub struct NetworkValidator {
    settings: Settings,
    lookup: Lookup,
}

impl NetworkValidator {
    /// A validator with these settings.
    pub fn new(settings: Settings) -> Result<Self, ValidationError> {
        let lookup = Lookup::new(settings.dns_resolver, settings.timeout)?;
        Ok(Self { settings, lookup })
    }

    /// The addresses of a target that validation may connect to: all allowed ones, or why none.
    async fn addresses(&self, target: &Target) -> Result<Vec<IpAddr>, ValidationError> {
        let found = match target {
            Target::Ip(ip) => vec![*ip],
            Target::Dns(name) => self.lookup.addresses(name).await?,
        };
        let allowed: Vec<IpAddr> =
            found.iter().copied().filter(|ip| self.settings.networks.iter().any(|n| n.contains(*ip))).collect();
        if allowed.is_empty() {
            let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
            return Err(ValidationError::AddressNotAllowed(format!(
                "{} resolves to {}, outside the networks this CA validates (acme.validation_networks)",
                target.describe(),
                shown.join(", ")
            )));
        }
        Ok(allowed)
    }
}

impl Target {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Self::Dns(name) => name.clone(),
            Self::Ip(ip) => ip.to_string(),
        }
    }
}

/// base64url(SHA-256(key authorization)): what dns-01 TXT records hold (RFC 8555 §8.4).
pub fn dns01_digest(key_authorization: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_authorization.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[async_trait]
impl Validate for NetworkValidator {
    async fn validate(&self, challenge: &Challenge) -> Result<(), ValidationError> {
        match challenge.kind {
            ChallengeKind::Dns01 => {
                let Target::Dns(name) = &challenge.target else {
                    return Err(ValidationError::IncorrectResponse("dns-01 validates DNS names only".into()));
                };
                let wanted = dns01_digest(&challenge.key_authorization);
                let records = self.lookup.txt(&format!("_acme-challenge.{name}")).await?;
                if records.iter().any(|r| r == &wanted) {
                    Ok(())
                } else {
                    Err(ValidationError::IncorrectResponse(format!(
                        "no TXT record at _acme-challenge.{name} holds the expected digest ({} records found)",
                        records.len()
                    )))
                }
            }
            ChallengeKind::Http01 => {
                let addresses = self.addresses(&challenge.target).await?;
                http01::check(&addresses, self.settings.http01_port, challenge, self.settings.timeout).await
            }
            ChallengeKind::TlsAlpn01 => {
                let addresses = self.addresses(&challenge.target).await?;
                tls_alpn::check(&addresses, self.settings.tls_alpn01_port, challenge, self.settings.timeout).await
            }
        }
    }

    async fn check_caa(&self, check: &CaaCheck) -> Result<(), ValidationError> {
        caa::check(&self.lookup, &self.settings.caa_identities, check).await
    }
}

/// A validator that checks nothing: every challenge passes and CAA is not looked at. For
/// benchmarks against peers in the same mode only; `signet serve` refuses it unless both the
/// configuration (`danger_skip_validation`) and the command line (`--danger-skip-validation`)
/// ask for it.
pub struct DangerSkipValidation;

#[async_trait]
impl Validate for DangerSkipValidation {
    async fn validate(&self, _challenge: &Challenge) -> Result<(), ValidationError> {
        Ok(())
    }

    async fn check_caa(&self, _check: &CaaCheck) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// Tries each allowed address in turn: the first to answer within `timeout` (`attempt`) is judged
/// (`judge`); when none does, the last failure. `awaited` names the answer in the timeout error.
async fn first_answer<Answer, Attempt: Future<Output = Result<Answer, ValidationError>>>(
    addresses: &[IpAddr],
    port: u16,
    timeout: Duration,
    awaited: &str,
    attempt: impl Fn(SocketAddr) -> Attempt,
    judge: impl Fn(&Answer, SocketAddr) -> Result<(), ValidationError>,
) -> Result<(), ValidationError> {
    let mut last = ValidationError::Connection("no address to connect to".into());
    for ip in addresses {
        let address = SocketAddr::new(*ip, port);
        match tokio::time::timeout(timeout, attempt(address)).await {
            Ok(Ok(answer)) => return judge(&answer, address),
            Ok(Err(e)) => last = e,
            Err(_) => last = ValidationError::Connection(format!("{address}: {awaited} within {timeout:?}")),
        }
    }
    Err(last)
}
