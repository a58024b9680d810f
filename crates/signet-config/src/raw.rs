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
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Server {
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_public_url")]
    pub public_url: String,
    #[serde(default)]
    pub ocsp_url: Option<String>,
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: default_public_url(),
            ocsp_url: None,
            max_body_bytes: default_body(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8443".into()
}
fn default_public_url() -> String {
    "http://127.0.0.1:8443".into()
}
fn default_body() -> usize {
    64 * 1024
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Storage {
    #[serde(default = "default_backend")]
    pub backend: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

impl Default for Storage {
    fn default() -> Self {
        Self { backend: default_backend(), path: None, url: None }
    }
}

fn default_backend() -> String {
    "sqlite".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Keys {
    #[serde(default = "default_passphrase_file")]
    pub passphrase_file: String,
}

impl Default for Keys {
    fn default() -> Self {
        Self { passphrase_file: default_passphrase_file() }
    }
}

fn default_passphrase_file() -> String {
    "ca-passphrase".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Security {
    #[serde(default)]
    pub strict_role_separation: bool,
    /// None: the Debian lists, if installed.
    #[serde(default)]
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
}

fn default_key_types() -> Vec<String> {
    vec!["rsa".into(), "ec-p256".into(), "ec-p384".into()]
}
fn default_rsa_min() -> usize {
    2048
}
fn default_rsa_max() -> usize {
    8192
}
fn default_enroll_roles() -> Vec<String> {
    vec!["enrollee".into(), "certificate-manager".into(), "ca-administrator".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Names {
    #[serde(default = "yes")]
    pub dns: bool,
    #[serde(default)]
    pub ip: bool,
    #[serde(default)]
    pub email: bool,
    #[serde(default)]
    pub uri: bool,
    #[serde(default = "yes")]
    pub wildcard: bool,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default = "default_max_names")]
    pub max_names: usize,
    #[serde(default)]
    pub public_only: bool,
}

impl Default for Names {
    fn default() -> Self {
        Self {
            dns: true,
            ip: false,
            email: false,
            uri: false,
            wildcard: true,
            domains: vec![],
            max_names: default_max_names(),
            public_only: false,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_max_names() -> usize {
    100
}
