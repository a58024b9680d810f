//! The file as written: every field with its default, unknown fields refused.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub keys: Keys,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub crl: Crl,
    #[serde(default)]
    pub ocsp: Ocsp,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub acme: crate::acme::RawAcme,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Ocsp {
    pub validity_hours: i64,
    pub refresh_hours: i64,
    pub signer: String,
    pub responder_validity_days: i64,
    pub nonce: bool,
}

impl Default for Ocsp {
    fn default() -> Self {
        Self {
            validity_hours: 72,
            refresh_hours: 24,
            signer: "delegated".into(),
            responder_validity_days: 14,
            nonce: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Crl {
    pub validity_hours: i64,
    pub refresh_hours: i64,
    pub publish_after_revocation_seconds: i64,
    pub expired_grace_hours: i64,
    pub shards: BTreeMap<String, i64>,
}

impl Default for Crl {
    fn default() -> Self {
        Self {
            validity_hours: 168,
            refresh_hours: 24,
            publish_after_revocation_seconds: 60,
            expired_grace_hours: 24,
            shards: BTreeMap::new(),
        }
    }
}

/// Sections whose every field may be left out take them from `Default` (`#[serde(default)]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Server {
    pub listen: String,
    pub public_url: String,
    pub ocsp_url: Option<String>,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub max_connections: usize,
    pub header_read_timeout_secs: u64,
    pub body_read_timeout_secs: u64,
    pub keep_alive_timeout_secs: u64,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub tls_reload_interval_secs: u64,
    pub tls_issuer: String,
    pub http_listen: String,
    pub http_public_url: Option<String>,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8443".into(),
            public_url: "https://127.0.0.1:8443".into(),
            ocsp_url: None,
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            max_connections: 4096,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            keep_alive_timeout_secs: 5,
            tls_cert: None,
            tls_key: None,
            tls_reload_interval_secs: 60,
            tls_issuer: "dev-issuing".into(),
            http_listen: "127.0.0.1:8080".into(),
            http_public_url: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Storage {
    pub backend: String,
    pub path: Option<String>,
    pub url: Option<String>,
}

impl Default for Storage {
    fn default() -> Self {
        Self { backend: "sqlite".into(), path: None, url: None }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Keys {
    pub passphrase_file: String,
}

impl Default for Keys {
    fn default() -> Self {
        Self { passphrase_file: "ca-passphrase".into() }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Security {
    pub strict_role_separation: bool,
    /// None: the Debian lists, if installed.
    pub weak_key_files: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    pub issuer: String,
    pub kind: String,
    pub approval: String,
    #[serde(default)]
    pub validity_days: Option<i64>,
    #[serde(default)]
    pub allow_long_validity: bool,
    #[serde(default = "default_key_types")]
    pub key_types: Vec<String>,
    #[serde(default = "default_rsa_min")]
    pub rsa_min_bits: usize,
    #[serde(default = "default_rsa_max")]
    pub rsa_max_bits: usize,
    #[serde(default)]
    pub names: Names,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default = "default_enroll_roles")]
    pub enroll_roles: Vec<String>,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub path_length: Option<u8>,
    #[serde(default)]
    pub acme: bool,
    #[serde(default)]
    pub description: Option<String>,
}

fn default_key_types() -> Vec<String> {
    vec!["rsa".into(), "ec-p256".into(), "ec-p384".into()]
}
fn default_rsa_min() -> usize {
    signet_issuance::profile::KeyRules::default().rsa_min_bits
}
fn default_rsa_max() -> usize {
    signet_issuance::profile::KeyRules::default().rsa_max_bits
}
fn default_enroll_roles() -> Vec<String> {
    vec!["enrollee".into(), "certificate-manager".into(), "ca-administrator".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Names {
    pub dns: bool,
    pub ip: bool,
    pub email: bool,
    pub uri: bool,
    pub wildcard: bool,
    pub domains: Vec<String>,
    pub max_names: usize,
    /// Internal names and private addresses allowed (a private CA's explicit choice).
    pub internal: bool,
}

impl Default for Names {
    /// What a profile's `names` table leaves out: the issuance defaults.
    fn default() -> Self {
        let rules = signet_issuance::NameRules::default();
        Self {
            dns: rules.dns,
            ip: rules.ip,
            email: rules.email,
            uri: rules.uri,
            wildcard: rules.wildcard,
            domains: Vec::new(),
            max_names: rules.max_names,
            internal: rules.internal,
        }
    }
}
