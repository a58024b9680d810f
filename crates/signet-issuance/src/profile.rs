//! Profiles (certificate templates): what a certificate from a given profile contains, which keys
//! and names it accepts, who may ask for it and whether a Certificate Manager must approve.

use serde::Serialize;
use signet_codec::KeyInfo;
use signet_model::{DnsName, Role};
use time::Duration;

use crate::error::IssuanceError;

/// The kind of certificate a profile issues; it decides the extension template and the lints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    /// TLS server certificate (serverAuth), BR subscriber profile.
    Server,
    /// TLS client certificate (clientAuth).
    Client,
    /// Subordinate CA certificate, for a CSR from another CA.
    SubordinateCa,
}

/// Whether requests are issued at once or wait for a Certificate Manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// Issue when submitted.
    Auto,
    /// Pending until a Certificate Manager approves.
    Manager,
}

/// What goes into the subject DN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectPolicy {
    /// Only a CN, equal to the first name (BR DV style; unvalidated O/L/ST are dropped).
    CnOnly,
    /// The CSR's subject as given (client and CA certificates).
    FromCsr,
}

/// Which names a profile accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameRules {
    /// dNSName allowed.
    pub dns: bool,
    /// iPAddress allowed.
    pub ip: bool,
    /// rfc822Name allowed.
    pub email: bool,
    /// URI allowed.
    pub uri: bool,
    /// `*.example.com` allowed.
    pub wildcard: bool,
    /// If not empty, every DNS name (and e-mail domain) must be one of these or below one.
    pub domains: Vec<DnsName>,
    /// At most this many names.
    pub max_names: usize,
    /// Allow internal names (single labels, `.local`, `.corp`, `localhost`) and private or
    /// reserved IP addresses: a private CA's explicit choice. Without it a profile refuses them
    /// as a public CA must (BR §4.2.2); such a profile may not assert CA/Browser Forum policies.
    pub internal: bool,
}

/// DNS names in the public DNS (wildcards allowed), at most 100: a profile that says nothing more.
impl Default for NameRules {
    fn default() -> Self {
        Self {
            dns: true,
            ip: false,
            email: false,
            uri: false,
            wildcard: true,
            domains: Vec::new(),
            max_names: 100,
            internal: false,
        }
    }
}

/// Key types a profile accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRules {
    /// RSA allowed.
    pub rsa: bool,
    /// Smallest RSA modulus.
    pub rsa_min_bits: usize,
    /// Largest RSA modulus.
    pub rsa_max_bits: usize,
    /// ECDSA P-256 allowed.
    pub ec_p256: bool,
    /// ECDSA P-384 allowed.
    pub ec_p384: bool,
    /// Ed25519 allowed.
    pub ed25519: bool,
}

impl KeyRules {
    /// The key types allowed, named as `key_types` in signet.toml names them.
    pub fn type_names(&self) -> Vec<&'static str> {
        [(self.rsa, "rsa"), (self.ec_p256, "ec-p256"), (self.ec_p384, "ec-p384"), (self.ed25519, "ed25519")]
            .into_iter()
            .filter_map(|(allowed, name)| allowed.then_some(name))
            .collect()
    }
}

/// RSA 2048-8192 bits, EC P-256 and P-384: a profile that says nothing more.
impl Default for KeyRules {
    fn default() -> Self {
        Self { rsa: true, rsa_min_bits: 2048, rsa_max_bits: 8192, ec_p256: true, ec_p384: true, ed25519: false }
    }
}

impl KeyRules {
    /// The key types accepted, in words: `RSA 2048-8192 bits, EC P-256, EC P-384`.
    pub fn allowed(&self) -> String {
        let mut allowed = Vec::new();
        if self.rsa {
            allowed.push(format!("RSA {}-{} bits", self.rsa_min_bits, self.rsa_max_bits));
        }
        for (on, name) in [(self.ec_p256, "EC P-256"), (self.ec_p384, "EC P-384"), (self.ed25519, "Ed25519")] {
            if on {
                allowed.push(name.to_string());
            }
        }
        if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
    }

    /// Whether the key's type (algorithm and curve, not its size) is one these rules accept.
    /// Checked before a CSR's signature, so a key signet cannot verify is named for what it is.
    pub fn accepts_type(&self, key: &KeyInfo) -> Result<(), IssuanceError> {
        let accepted = match (key.algorithm.as_str(), key.curve.as_deref()) {
            ("RSA", _) => self.rsa,
            ("EC", Some("P-256")) => self.ec_p256,
            ("EC", Some("P-384")) => self.ec_p384,
            ("Ed25519", _) => self.ed25519,
            _ => false,
        };
        if accepted {
            return Ok(());
        }
        let found = match (key.algorithm.as_str(), key.curve.as_deref()) {
            ("EC", Some(curve)) => format!("EC {curve}"),
            ("EC", None) => "EC with explicit curve parameters".to_string(),
            (algorithm, _) if algorithm.contains('.') => format!("of unknown algorithm {algorithm}"),
            (algorithm, _) => algorithm.to_string(),
        };
        Err(IssuanceError::KeyTypeNotAccepted { found, allowed: self.allowed() })
    }
}

/// A validated profile.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Name, as requesters give it.
    pub name: String,
    /// Name of the issuing CA.
    pub issuer: String,
    /// What it issues.
    pub kind: ProfileKind,
    /// Validity; `None` follows the CA/Browser Forum limit in force on the day (minus one day)
    /// for server certificates, and 365 days otherwise.
    pub validity: Option<Duration>,
    /// Accept validity above the BR limit (a private CA's explicit choice).
    pub allow_long_validity: bool,
    /// Key types and sizes.
    pub keys: KeyRules,
    /// Name rules.
    pub names: NameRules,
    /// Subject DN policy.
    pub subject: SubjectPolicy,
    /// Approval mode.
    pub approval: Approval,
    /// Roles that may submit to it.
    pub enroll_roles: Vec<Role>,
    /// certificatePolicies OIDs to include.
    pub policies: Vec<String>,
    /// pathLenConstraint for subordinate CA certificates.
    pub path_length: Option<u8>,
    /// Offered to ACME clients (listed in the directory's `meta.profiles`).
    pub acme: bool,
    /// What it is for, in a sentence (the ACME directory shows it).
    pub description: Option<String>,
}

/// The longest validity signet accepts for any certificate, in days (100 years): far beyond any
/// sensible CA, and far below where date arithmetic would overflow.
pub const MAX_VALIDITY_DAYS: i64 = 36_525;

impl Profile {
    /// The validity of a certificate issued at `at`.
    pub fn validity_at(&self, at: time::OffsetDateTime) -> Duration {
        match (self.validity, self.kind) {
            (Some(v), _) => v,
            (None, ProfileKind::Server) => Duration::days(signet_lint::br_max_validity_days(at) - 1),
            (None, _) => Duration::days(365),
        }
    }

    /// The lint context kind.
    pub fn lint_kind(&self) -> signet_lint::CertificateKind {
        match self.kind {
            ProfileKind::Server => signet_lint::CertificateKind::TlsServer,
            ProfileKind::Client => signet_lint::CertificateKind::TlsClient,
            ProfileKind::SubordinateCa => signet_lint::CertificateKind::SubordinateCa,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(algorithm: &str, curve: Option<&str>) -> KeyInfo {
        KeyInfo {
            algorithm: algorithm.into(),
            curve: curve.map(str::to_string),
            bits: 256,
            rsa_exponent: None,
            spki_sha256: String::new(),
        }
    }

    #[test]
    fn key_types_are_named_with_what_is_allowed() {
        let rules = KeyRules::default();
        assert_eq!(rules.allowed(), "RSA 2048-8192 bits, EC P-256, EC P-384");
        assert!(rules.accepts_type(&key("EC", Some("P-256"))).is_ok());
        for (algorithm, curve, found) in [
            ("EC", Some("secp256k1"), "EC secp256k1"),
            ("EC", Some("P-521"), "EC P-521"),
            ("Ed25519", None, "Ed25519"),
            ("1.2.3.4", None, "of unknown algorithm 1.2.3.4"),
        ] {
            let e = rules.accepts_type(&key(algorithm, curve)).unwrap_err();
            assert_eq!(e, IssuanceError::KeyTypeNotAccepted { found: found.into(), allowed: rules.allowed() });
            assert!(e.to_string().contains("this key type is not accepted here (allowed: RSA 2048-8192 bits"), "{e}");
        }
    }
}
