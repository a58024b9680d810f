//! Configuration: `signet.toml` parsed into raw structs (unknown keys refused) and validated into
//! [`Settings`] with every problem named by its path. `signet config check` prints the result.
//! The default file written by `signet serve` on first start is [`default_text`]; a test loads it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod acme;
mod listeners;
mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use signet_issuance::profile::KeyRules;
use signet_issuance::{Approval, NameRules, Profile, ProfileKind, SubjectPolicy};
use signet_model::{DnsName, Role};

pub use acme::{AcmeSettings, DEFAULT_NETWORKS, Network};
pub use listeners::{Listeners, TlsSource, url_host};

/// What is wrong with a configuration text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// Not TOML, a key signet does not know, or a value of the wrong type (the TOML parser's
    /// message, with line and column).
    #[error("{0}")]
    Syntax(String),
    /// A setting's value is refused.
    #[error("{setting}: {message}")]
    Setting {
        /// Its path, e.g. `profiles.server.validity_days`.
        setting: String,
        /// Why, and what to write instead.
        message: String,
    },
    /// No profile at all.
    #[error("no [profiles.NAME] sections: requests need at least one profile")]
    NoProfiles,
}

/// A configuration file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{file}: cannot read it: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is read, and refused.
    #[error("{file}: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        problem: ConfigProblem,
    },
}

/// A refused setting.
fn setting(path: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem::Setting { setting: path.into(), message: message.into() }
}

impl ConfigProblem {
    /// The same problem, its setting path under `prefix` (`profiles.server` + `kind`).
    fn under(self, prefix: &str) -> Self {
        match self {
            Self::Setting { setting, message } => Self::Setting { setting: format!("{prefix}.{setting}"), message },
            other => other,
        }
    }
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// SQLite file.
    Sqlite(PathBuf),
    /// PostgreSQL URL.
    Postgres(String),
}

/// How CRLs are published (`[crl]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSettings {
    /// nextUpdate - thisUpdate.
    pub validity: time::Duration,
    /// Republished at least this often.
    pub refresh: time::Duration,
    /// A revocation is in a published CRL within this.
    pub after_revocation: time::Duration,
    /// Certificates expired longer than this are left out.
    pub expired_grace: time::Duration,
    /// CRL partitions per CA name (absent: 1, one full CRL).
    pub shards: std::collections::BTreeMap<String, u16>,
}

/// Who signs OCSP responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspSignerSetting {
    /// A delegated responder certificate signet issues and rotates.
    Delegated,
    /// The CA key itself.
    Ca,
}

/// How OCSP responses are made and served (`[ocsp]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspSettings {
    /// nextUpdate - thisUpdate.
    pub validity: time::Duration,
    /// A response is made again after this.
    pub refresh: time::Duration,
    /// Who signs.
    pub signer: OcspSignerSetting,
    /// Validity of a delegated responder's certificate (replaced at half of it).
    pub responder_validity: time::Duration,
    /// Whether a request's nonce is echoed (RFC 8954) in a response signed for it.
    pub nonce: bool,
}

/// The longest CRL validity the CA/Browser Forum allows for subscriber CRLs (BR §4.9.7), hours.
pub const MAX_CRL_VALIDITY_HOURS: i64 = 240;

/// Most partitions a CA's CRL may have.
pub const MAX_CRL_SHARDS: i64 = 4096;

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address the HTTPS API (and ACME) listens on.
    pub listen: SocketAddr,
    /// Base URL of the HTTPS API, as clients reach it (its host is in the server certificate).
    pub public_url: String,
    /// The HTTPS certificate, and the plain-HTTP listener whose URL goes into certificates
    /// (caIssuers, CRL distribution points, OCSP).
    pub listeners: Listeners,
    /// OCSP responder URL for AIA, if one runs.
    pub ocsp_url: Option<String>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How the HTTP server guards itself against slow and greedy clients.
    pub http: HttpLimits,
    /// The database.
    pub storage: Storage,
    /// File holding the CA key passphrase (relative paths are relative to the data directory).
    pub passphrase_file: PathBuf,
    /// One identity may not be both CA Administrator and Certificate Manager.
    pub strict_role_separation: bool,
    /// Lists of known-compromised RSA keys to refuse ([`signet_issuance::weak_keys`]).
    pub weak_key_files: Vec<PathBuf>,
    /// CRL publication.
    pub crl: CrlSettings,
    /// OCSP responses (made when `ocsp_url` is set).
    pub ocsp: OcspSettings,
    /// Profiles by name.
    pub profiles: Vec<Profile>,
    /// The ACME server.
    pub acme: AcmeSettings,
    /// Warnings (valid but risky choices).
    pub warnings: Vec<String>,
}

/// The `[server]` limits on connections and request heads, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request head (request line and headers) answered normally; larger gets 431.
    pub max_header_bytes: usize,
    /// Most connections held open at once (the server lowers it below the open-file limit).
    pub max_connections: usize,
    /// Time a client has to send a complete request head once its connection opens.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request body once its head has arrived.
    pub body_read_timeout: Duration,
    /// Time an idle kept-alive connection waits for its next request; `None` turns keep-alive off.
    pub keep_alive_timeout: Option<Duration>,
}

/// Bounds of the `[server]` limits: (key, smallest, largest).
const MAX_HEADER_BYTES: (&str, u64, u64) = ("max_header_bytes", 1024, 1024 * 1024);
const MAX_CONNECTIONS: (&str, u64, u64) = ("max_connections", 1, 1_000_000);
const HEADER_READ_TIMEOUT: (&str, u64, u64) = ("header_read_timeout_secs", 1, 300);
const BODY_READ_TIMEOUT: (&str, u64, u64) = ("body_read_timeout_secs", 1, 600);

fn within(bounds: (&str, u64, u64), value: u64) -> Result<u64, ConfigProblem> {
    let (key, low, high) = bounds;
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(setting(format!("server.{key}"), format!("{value} is not between {low} and {high}")))
    }
}

fn http_limits(server: &raw::Server) -> Result<HttpLimits, ConfigProblem> {
    let size = |bounds, value: usize| within(bounds, u64::try_from(value).unwrap_or(u64::MAX)).map(|_| value);
    let header_read_timeout = within(HEADER_READ_TIMEOUT, server.header_read_timeout_secs)?;
    if server.keep_alive_timeout_secs > header_read_timeout {
        return Err(setting(
            "server.keep_alive_timeout_secs",
            format!(
                "{} is more than header_read_timeout_secs ({header_read_timeout}), which also bounds the wait for a next request; lower it, or 0 to turn keep-alive off",
                server.keep_alive_timeout_secs
            ),
        ));
    }
    Ok(HttpLimits {
        max_header_bytes: size(MAX_HEADER_BYTES, server.max_header_bytes)?,
        max_connections: size(MAX_CONNECTIONS, server.max_connections)?,
        header_read_timeout: Duration::from_secs(header_read_timeout),
        body_read_timeout: Duration::from_secs(within(BODY_READ_TIMEOUT, server.body_read_timeout_secs)?),
        keep_alive_timeout: (server.keep_alive_timeout_secs > 0)
            .then(|| Duration::from_secs(server.keep_alive_timeout_secs)),
    })
}

impl Settings {
    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// Reads and validates a configuration file; relative paths resolve against `data_dir`.
pub fn load(path: &Path, data_dir: &Path) -> Result<Settings, ConfigError> {
    let file = || path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable { file: file(), reason: e.to_string() })?;
    parse(&text, data_dir).map_err(|problem| ConfigError::Invalid { file: file(), problem })
}

/// Validates configuration text, checking validity periods against the rules in force now (the
/// system clock; [`parse_at`] takes the time).
pub fn parse(text: &str, data_dir: &Path) -> Result<Settings, ConfigProblem> {
    parse_at(text, data_dir, signet_model::Clock::now(&signet_model::SystemClock))
}

/// Validates configuration text as of `now` (the CA/Browser Forum's validity limit depends on the
/// date).
pub fn parse_at(text: &str, data_dir: &Path, now: time::OffsetDateTime) -> Result<Settings, ConfigProblem> {
    let raw: raw::Config = toml::from_str(text).map_err(|e| ConfigProblem::Syntax(e.to_string()))?;
    let mut warnings = Vec::new();
    let listen: SocketAddr = raw.server.listen.parse().map_err(|_| {
        setting("server.listen", format!("{:?} is not an address like 127.0.0.1:8443", raw.server.listen))
    })?;
    if !raw.server.public_url.starts_with("https://") {
        let hint = match raw.server.public_url.strip_prefix("http://") {
            Some(rest) => format!(
                "; the API is served over HTTPS: write \"https://{rest}\" (certificates point at the plain-HTTP listener, http_listen)"
            ),
            None => String::new(),
        };
        return Err(setting(
            "server.public_url",
            format!("{:?} must start with https://{hint}", raw.server.public_url),
        ));
    }
    let public_url = raw.server.public_url.trim_end_matches('/').to_string();
    let listeners = listeners::listeners(&raw.server, &public_url, data_dir)?;
    let http = http_limits(&raw.server)?;
    let storage =
        match raw.storage.backend.as_str() {
            "sqlite" => Storage::Sqlite(data_dir.join(raw.storage.path.as_deref().unwrap_or("signet.db"))),
            "postgres" => Storage::Postgres(raw.storage.url.clone().ok_or_else(|| {
                setting("storage.url", "the postgres backend needs url = \"postgres://user@host/db\"")
            })?),
            other => return Err(setting("storage.backend", format!("{other:?} is not sqlite or postgres"))),
        };
    let crl = crl_settings(&raw.crl)?;
    let ocsp = ocsp_settings(&raw.ocsp)?;
    if let Some(url) = &raw.server.ocsp_url {
        if url.starts_with("https://") {
            warnings.push(format!(
                "server.ocsp_url {url:?} is HTTPS: OCSP is normally served over plain HTTP (RFC 5019 §5), since a client checking the TLS server's own certificate could loop"
            ));
        } else if !url.starts_with("http://") {
            return Err(setting("server.ocsp_url", format!("{url:?} must start with http:// (RFC 5019 §5)")));
        }
    }
    let mut profiles = Vec::new();
    for (name, p) in &raw.profiles {
        profiles.push(profile(name, p, now, &mut warnings).map_err(|e| e.under(&format!("profiles.{name}")))?);
    }
    if profiles.is_empty() {
        return Err(ConfigProblem::NoProfiles);
    }
    let acme_profiles: Vec<String> = profiles.iter().filter(|p| p.acme).map(|p| p.name.clone()).collect();
    let acme = acme::settings(&raw.acme, &profiles, &acme_profiles, &public_url)?;
    Ok(Settings {
        listen,
        public_url,
        listeners,
        ocsp_url: raw.server.ocsp_url,
        max_body_bytes: raw.server.max_body_bytes,
        http,
        storage,
        passphrase_file: data_dir.join(&raw.keys.passphrase_file),
        strict_role_separation: raw.security.strict_role_separation,
        weak_key_files: match &raw.security.weak_key_files {
            Some(files) => files.iter().map(|f| data_dir.join(f)).collect(),
            None => signet_issuance::WeakKeys::debian_files(),
        },
        crl,
        ocsp,
        profiles,
        acme,
        warnings,
    })
}

fn ocsp_settings(raw: &raw::Ocsp) -> Result<OcspSettings, ConfigProblem> {
    if !(8..=240).contains(&raw.validity_hours) {
        return Err(setting(
            "ocsp.validity_hours",
            format!("{} is not between 8 and 240 (BR §4.9.10: 8 hours to 10 days)", raw.validity_hours),
        ));
    }
    if !(1..raw.validity_hours).contains(&raw.refresh_hours) {
        return Err(setting(
            "ocsp.refresh_hours",
            format!(
                "{} must be at least 1 and less than ocsp.validity_hours ({})",
                raw.refresh_hours, raw.validity_hours
            ),
        ));
    }
    let signer = match raw.signer.as_str() {
        "delegated" => OcspSignerSetting::Delegated,
        "ca" => OcspSignerSetting::Ca,
        other => return Err(setting("ocsp.signer", format!("{other:?} is not delegated or ca"))),
    };
    if !(1..=365).contains(&raw.responder_validity_days) || raw.responder_validity_days * 24 < 2 * raw.validity_hours {
        return Err(setting(
            "ocsp.responder_validity_days",
            format!(
                "{} must be 1 to 365 days and at least twice ocsp.validity_hours, so no response outlives its responder",
                raw.responder_validity_days
            ),
        ));
    }
    Ok(OcspSettings {
        validity: time::Duration::hours(raw.validity_hours),
        refresh: time::Duration::hours(raw.refresh_hours),
        signer,
        responder_validity: time::Duration::days(raw.responder_validity_days),
        nonce: raw.nonce,
    })
}

fn crl_settings(raw: &raw::Crl) -> Result<CrlSettings, ConfigProblem> {
    if !(1..=MAX_CRL_VALIDITY_HOURS).contains(&raw.validity_hours) {
        return Err(setting(
            "crl.validity_hours",
            format!(
                "{} is not between 1 and {MAX_CRL_VALIDITY_HOURS} (the CA/Browser Forum allows CRLs of at most 10 days, BR §4.9.7)",
                raw.validity_hours
            ),
        ));
    }
    if !(1..raw.validity_hours).contains(&raw.refresh_hours) {
        return Err(setting(
            "crl.refresh_hours",
            format!(
                "{} must be at least 1 and less than crl.validity_hours ({}), so a new CRL is out well before the old one's nextUpdate",
                raw.refresh_hours, raw.validity_hours
            ),
        ));
    }
    if !(1..=86_400).contains(&raw.publish_after_revocation_seconds) {
        return Err(setting(
            "crl.publish_after_revocation_seconds",
            format!(
                "{} is not between 1 and 86400 (BR §4.9.7 asks for a new CRL within 24 hours of a revocation)",
                raw.publish_after_revocation_seconds
            ),
        ));
    }
    if !(0..=24 * 3650).contains(&raw.expired_grace_hours) {
        return Err(setting(
            "crl.expired_grace_hours",
            format!("{} is not between 0 and 87600", raw.expired_grace_hours),
        ));
    }
    let mut shards = std::collections::BTreeMap::new();
    for (ca, count) in &raw.shards {
        let count =
            u16::try_from(*count).ok().filter(|n| (1..=MAX_CRL_SHARDS).contains(&i64::from(*n))).ok_or_else(|| {
                setting(format!("crl.shards.{ca}"), format!("{count} is not between 1 and {MAX_CRL_SHARDS}"))
            })?;
        shards.insert(ca.clone(), count);
    }
    Ok(CrlSettings {
        validity: time::Duration::hours(raw.validity_hours),
        refresh: time::Duration::hours(raw.refresh_hours),
        after_revocation: time::Duration::seconds(raw.publish_after_revocation_seconds),
        expired_grace: time::Duration::hours(raw.expired_grace_hours),
        shards,
    })
}

fn profile(
    name: &str,
    p: &raw::Profile,
    now: time::OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Profile, ConfigProblem> {
    let kind = match p.kind.as_str() {
        "server" => ProfileKind::Server,
        "client" => ProfileKind::Client,
        "subordinate-ca" => ProfileKind::SubordinateCa,
        other => return Err(setting("kind", format!("{other:?} is not server, client or subordinate-ca"))),
    };
    let approval = match p.approval.as_str() {
        "auto" => Approval::Auto,
        "manager" => Approval::Manager,
        other => return Err(setting("approval", format!("{other:?} is not auto or manager"))),
    };
    if p.acme && kind != ProfileKind::Server {
        return Err(setting(
            "acme",
            "only server profiles can be offered over ACME, which validates DNS names and addresses",
        ));
    }
    if kind == ProfileKind::SubordinateCa && approval == Approval::Auto {
        return Err(setting("approval", "subordinate CA certificates always need a Certificate Manager"));
    }
    let subject = match p.subject.as_deref() {
        None if kind == ProfileKind::Server => SubjectPolicy::CnOnly,
        None => SubjectPolicy::FromCsr,
        Some("cn-only") => SubjectPolicy::CnOnly,
        Some("from-csr") => SubjectPolicy::FromCsr,
        Some(other) => return Err(setting("subject", format!("{other:?} is not cn-only or from-csr"))),
    };
    if let Some(days) = p.validity_days {
        if !(1..=signet_issuance::profile::MAX_VALIDITY_DAYS).contains(&days) {
            return Err(setting(
                "validity_days",
                format!("{days} is not between 1 and {}", signet_issuance::profile::MAX_VALIDITY_DAYS),
            ));
        }
        let limit = signet_lint::br_max_validity_days(now);
        // The same rule as the lint: a period of `limit` days is allowed, one more is not.
        if kind == ProfileKind::Server && days > limit {
            let message = format!(
                "{days} days is more than the CA/Browser Forum allows for TLS server certificates issued today ({limit} days, and 100 from 2027-03-15); leave it out to follow the limit"
            );
            if p.allow_long_validity {
                warnings.push(format!(
                    "profile {name}: validity_days: {message} (allowed for this private CA by allow_long_validity)"
                ));
            } else {
                return Err(setting(
                    "validity_days",
                    format!("{message}, or set allow_long_validity = true for a private CA"),
                ));
            }
        }
    }
    let mut keys = KeyRules {
        rsa: false,
        rsa_min_bits: p.rsa_min_bits,
        rsa_max_bits: p.rsa_max_bits,
        ec_p256: false,
        ec_p384: false,
        ed25519: false,
    };
    for key in &p.key_types {
        match key.as_str() {
            "rsa" => keys.rsa = true,
            "ec-p256" => keys.ec_p256 = true,
            "ec-p384" => keys.ec_p384 = true,
            "ed25519" => keys.ed25519 = true,
            other => return Err(setting("key_types", format!("{other:?} is not rsa, ec-p256, ec-p384 or ed25519"))),
        }
    }
    if keys.rsa_min_bits < 2048 {
        return Err(setting(
            "rsa_min_bits",
            format!("{} is below 2048, which no CA may accept (BR §6.1.5)", keys.rsa_min_bits),
        ));
    }
    let mut domains = Vec::new();
    for d in &p.names.domains {
        domains.push(DnsName::parse(d).map_err(|e| setting("names.domains", e.to_string()))?);
    }
    check_policies(p)?;
    let mut enroll_roles = Vec::new();
    for r in &p.enroll_roles {
        enroll_roles.push(r.parse::<Role>().map_err(|e| setting("enroll_roles", e.to_string()))?);
    }
    Ok(Profile {
        name: name.to_string(),
        issuer: p.issuer.clone(),
        kind,
        validity: p.validity_days.map(time::Duration::days),
        allow_long_validity: p.allow_long_validity,
        keys,
        names: NameRules {
            dns: p.names.dns,
            ip: p.names.ip,
            email: p.names.email,
            uri: p.names.uri,
            wildcard: p.names.wildcard,
            domains,
            max_names: p.names.max_names,
            internal: p.names.internal,
        },
        subject,
        approval,
        enroll_roles,
        // Only what the file says: a publicly trusted profile names its CA/Browser Forum policy
        // (BR §7.1.2.7.6), a private one asserts none by default.
        policies: p.policies.clone(),
        path_length: p.path_length,
        acme: p.acme,
        description: p.description.clone(),
    })
}

/// The arc of the CA/Browser Forum's reserved policy identifiers (BR §7.1.6.1).
const CABF_POLICY_ARC: &str = "2.23.140.1.";

/// Policies must be OIDs; a profile allowing internal names cannot claim CA/Browser Forum
/// policy, since a publicly trusted certificate may not name internal hosts (BR §4.2.2).
fn check_policies(p: &raw::Profile) -> Result<(), ConfigProblem> {
    // The same encoder issuance uses, so what passes here encodes there.
    signet_issuance::extensions::certificate_policies(&p.policies).map_err(|_| {
        setting("policies", "each must be an object identifier in dotted form, such as \"2.23.140.1.2.1\"")
    })?;
    for policy in &p.policies {
        if p.names.internal && policy.starts_with(CABF_POLICY_ARC) {
            return Err(setting(
                "policies",
                format!(
                    "{policy} is a CA/Browser Forum policy, but names.internal = true allows internal names, which no publicly trusted certificate may hold (BR §4.2.2); remove the policy for a private profile, or names.internal for a public one"
                ),
            ));
        }
    }
    Ok(())
}

/// The configuration `signet serve` writes on first start; with a PostgreSQL URL, it uses that
/// database instead of the embedded SQLite.
pub fn default_text(listen: &str, database_url: Option<&str>, public_url: Option<&str>) -> String {
    default_text_with(listen, "127.0.0.1:8080", database_url, public_url)
}

/// [`default_text`] with the plain-HTTP listener's address.
pub fn default_text_with(
    listen: &str,
    http_listen: &str,
    database_url: Option<&str>,
    public_url: Option<&str>,
) -> String {
    let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
    let public_url = public_url.map(str::to_string).unwrap_or_else(|| format!("https://{listen}"));
    // OCSP is fetched over plain HTTP (RFC 5019 §5): at the plain listener, as certificates name it.
    let plain = match http_listen.parse() {
        Ok(address) => listeners::default_http_url(&public_url, address),
        Err(_) => public_url.clone(),
    };
    let ocsp_url = format!("{}/ocsp", plain.trim_end_matches('/'));
    let (backend, url) = match database_url {
        Some(url) => ("postgres", format!("url = {}", quoted(url))),
        None => ("sqlite", "# url = \"postgres://signet@127.0.0.1:5432/signet\"   # for backend = \"postgres\"".into()),
    };
    include_str!("default.toml")
        .replace("@LISTEN@", &quoted(listen))
        .replace("@HTTP_LISTEN@", &quoted(http_listen))
        .replace("@PUBLIC_URL@", &quoted(&public_url))
        .replace("@OCSP_URL@", &quoted(&ocsp_url))
        .replace("@BACKEND@", &quoted(backend))
        .replace("@URL@", &url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_loads() {
        let settings = parse(&default_text("127.0.0.1:8443", None, None), Path::new("/data")).unwrap();
        assert_eq!(settings.storage, Storage::Sqlite(PathBuf::from("/data/signet.db")));
        let names: Vec<&str> = settings.profiles.iter().map(|p| p.name.as_str()).collect();
        for wanted in ["server", "client", "test", "subca"] {
            assert!(names.contains(&wanted), "{names:?}");
        }
        let test = settings.profile("test").unwrap();
        assert_eq!(test.approval, Approval::Auto);
        assert_eq!(test.validity, Some(time::Duration::days(21)));
        assert_eq!(settings.profile("server").unwrap().approval, Approval::Manager);
        assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
        assert_eq!(settings.crl.validity, time::Duration::days(7));
        assert_eq!(settings.crl.after_revocation, time::Duration::minutes(1));
        assert!(settings.crl.shards.is_empty());
        // On the plain-HTTP listener, which certificates name (RFC 5019 §5).
        assert_eq!(settings.ocsp_url.as_deref(), Some("http://127.0.0.1:8080/ocsp"));
        assert_eq!((settings.ocsp.signer, settings.ocsp.nonce), (OcspSignerSetting::Delegated, false));
        // Each shipped profile says whether it is private; none asserts a CA/B Forum policy.
        for (name, internal) in [("server", true), ("client", true), ("test", false), ("subca", false)] {
            let profile = settings.profile(name).unwrap();
            assert_eq!(profile.names.internal, internal, "{name}");
            assert!(profile.policies.is_empty(), "{name}: {:?}", profile.policies);
        }
    }

    #[test]
    fn internal_names_and_cabf_policies_contradict() {
        let base = default_text("127.0.0.1:8443", None, None);
        let dv = base.replacen("[profiles.server]\n", "[profiles.server]\npolicies = [\"2.23.140.1.2.1\"]\n", 1);
        let e = parse(&dv, Path::new("/d")).unwrap_err().to_string();
        assert!(e.starts_with("profiles.server.policies: 2.23.140.1.2.1 is a CA/Browser Forum policy"), "{e}");
        assert!(e.contains("names.internal = true"), "{e}");
        // A public profile may assert it; a private one may assert its own policies.
        let public = base.replacen("[profiles.test]\n", "[profiles.test]\npolicies = [\"2.23.140.1.2.1\"]\n", 1);
        assert_eq!(parse(&public, Path::new("/d")).unwrap().profile("test").unwrap().policies, ["2.23.140.1.2.1"]);
        let own = base.replacen("[profiles.server]\n", "[profiles.server]\npolicies = [\"1.3.6.1.4.1.99999.1\"]\n", 1);
        assert!(parse(&own, Path::new("/d")).is_ok());
        let bad = base.replacen("[profiles.test]\n", "[profiles.test]\npolicies = [\"dv\"]\n", 1);
        assert!(
            parse(&bad, Path::new("/d"))
                .unwrap_err()
                .to_string()
                .contains("profiles.test.policies: each must be an object identifier")
        );
        // The old switch is gone: the file says which names a profile allows.
        let old = base.replacen("internal = false", "public_only = true", 1);
        assert!(parse(&old, Path::new("/d")).unwrap_err().to_string().contains("public_only"));
    }

    #[test]
    fn problems_are_named_by_path() {
        let base = default_text("127.0.0.1:8443", None, None);
        let bad = base.replace("approval = \"manager\"", "approval = \"maybe\"");
        assert!(parse(&bad, Path::new("/d")).unwrap_err().to_string().contains("approval"));
        let unknown = format!("{base}\n[extra]\nx = 1\n");
        assert!(parse(&unknown, Path::new("/d")).unwrap_err().to_string().contains("extra"));
        let long = base.replacen("[profiles.server]", "[profiles.server]\nvalidity_days = 397", 1);
        let e = parse(&long, Path::new("/d")).unwrap_err().to_string();
        assert!(e.contains("profiles.server.validity_days") && e.contains("allow_long_validity"), "{e}");
        let allowed =
            base.replacen("[profiles.server]", "[profiles.server]\nvalidity_days = 397\nallow_long_validity = true", 1);
        assert_eq!(parse(&allowed, Path::new("/d")).unwrap().warnings.len(), 1);
        // At a fixed date: the limit changes with it (200 days now, 100 from 2027-03-15).
        let day = time::macros::datetime!(2026-06-01 12:00 UTC);
        let limit = signet_lint::br_max_validity_days(day);
        let at_limit = base.replacen("[profiles.server]", &format!("[profiles.server]\nvalidity_days = {limit}"), 1);
        assert!(
            parse_at(&at_limit, Path::new("/d"), day).is_ok(),
            "the limit itself is allowed, as the lint allows it"
        );
        let over = base.replacen("[profiles.server]", &format!("[profiles.server]\nvalidity_days = {}", limit + 1), 1);
        assert!(matches!(
            parse_at(&over, Path::new("/d"), day),
            Err(ConfigProblem::Setting { setting, .. }) if setting == "profiles.server.validity_days"
        ));
        let huge = base.replacen("validity_days = 365", "validity_days = 1000000000000", 1);
        assert!(parse(&huge, Path::new("/d")).unwrap_err().to_string().contains("between 1 and 36525"));
        let weak = base.replacen("rsa_min_bits = 2048", "rsa_min_bits = 1024", 1);
        assert!(parse(&weak, Path::new("/d")).unwrap_err().to_string().contains("2048"));
        let crl = |from: &str, to: &str| base.replacen(from, to, 1);
        let long = crl("validity_hours = 168", "validity_hours = 241");
        assert!(parse(&long, Path::new("/d")).unwrap_err().to_string().contains("at most 10 days"));
        let late = crl("refresh_hours = 24", "refresh_hours = 168");
        assert!(parse(&late, Path::new("/d")).unwrap_err().to_string().contains("crl.refresh_hours"));
        let none = crl("# shards = { dev-issuing = 16 }", "shards = { dev-issuing = 0 }");
        assert!(parse(&none, Path::new("/d")).unwrap_err().to_string().contains("crl.shards.dev-issuing"));
        let never = crl("publish_after_revocation_seconds = 60", "publish_after_revocation_seconds = 0");
        assert!(parse(&never, Path::new("/d")).unwrap_err().to_string().contains("24 hours"));
        let sharded = crl("# shards = { dev-issuing = 16 }", "shards = { dev-issuing = 16 }");
        let sharded = parse(&sharded, Path::new("/d")).unwrap();
        assert_eq!(sharded.crl.shards.get("dev-issuing"), Some(&16));
        let short = crl("validity_hours = 72", "validity_hours = 4");
        assert!(parse(&short, Path::new("/d")).unwrap_err().to_string().contains("8 hours to 10 days"));
        let signer = crl("signer = \"delegated\"", "signer = \"hsm\"");
        assert!(parse(&signer, Path::new("/d")).unwrap_err().to_string().contains("ocsp.signer"));
        let https = crl("ocsp_url = \"http://", "ocsp_url = \"https://");
        assert!(parse(&https, Path::new("/d")).unwrap().warnings[0].contains("plain HTTP"));
        let ftp = crl("ocsp_url = \"http://", "ocsp_url = \"ftp://");
        assert!(parse(&ftp, Path::new("/d")).unwrap_err().to_string().contains("server.ocsp_url"));
        let pg = base.replace("backend = \"sqlite\"", "backend = \"postgres\"");
        assert!(parse(&pg, Path::new("/d")).unwrap_err().to_string().contains("storage.url"));
        let with_url = parse(&default_text("127.0.0.1:1", Some("postgres://u@h/db"), None), Path::new("/d")).unwrap();
        assert_eq!(with_url.storage, Storage::Postgres("postgres://u@h/db".into()));
        // Values needing TOML escapes survive.
        let odd = default_text("127.0.0.1:1", Some("postgres://u@h/d\"b\\"), Some("https://ca.example/\u{e9}"));
        let odd = parse(&odd, Path::new("/d")).unwrap();
        assert_eq!(odd.storage, Storage::Postgres("postgres://u@h/d\"b\\".into()));
        assert_eq!(odd.public_url, "https://ca.example/\u{e9}");
    }

    #[test]
    fn acme_is_configured_and_checked() {
        let base = default_text("127.0.0.1:8443", None, None);
        let settings = parse(&base, Path::new("/d")).unwrap();
        assert!(settings.acme.enabled);
        assert_eq!(settings.acme.default_profile, "acme");
        assert_eq!(settings.profile("shortlived").unwrap().validity, Some(time::Duration::days(7)));
        assert!(settings.profile("shortlived").unwrap().acme && !settings.profile("server").unwrap().acme);
        assert_eq!(settings.acme.caa_identities, ["127.0.0.1"], "the public host by default");
        assert_eq!(settings.acme.validation_networks.len(), DEFAULT_NETWORKS.len());
        assert!(!settings.acme.danger_skip_validation);
        let bare = "[profiles.p]\nissuer = \"ca\"\nkind = \"client\"\napproval = \"auto\"\n";
        assert!(!parse(bare, Path::new("/d")).unwrap().acme.enabled, "no ACME profile: ACME is off");
        let wrong = base.replace("default_profile = \"acme\"", "default_profile = \"server\"");
        let e = parse(&wrong, Path::new("/d")).unwrap_err().to_string();
        assert!(e.starts_with("acme.default_profile: \"server\" is not a profile with acme = true"), "{e}");
        let client = base.replace("[profiles.client]\n", "[profiles.client]\nacme = true\n");
        assert!(parse(&client, Path::new("/d")).unwrap_err().to_string().contains("only server profiles"));
        let resolver = base.replace("# dns_resolver = \"127.0.0.1:8053\"", "dns_resolver = \"localhost\"");
        assert!(parse(&resolver, Path::new("/d")).unwrap_err().to_string().starts_with("acme.dns_resolver:"));
        let networks = base.replace("validation_networks = [", "validation_networks = [\"10.0.0.0/99\", ");
        assert!(parse(&networks, Path::new("/d")).unwrap_err().to_string().starts_with("acme.validation_networks:"));
    }

    #[test]
    fn the_api_is_https_and_certificates_point_at_plain_http() {
        let base = default_text("127.0.0.1:8443", None, None);
        let settings = parse(&base, Path::new("/d")).unwrap();
        assert_eq!(settings.public_url, "https://127.0.0.1:8443");
        assert_eq!(settings.listeners.http_listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(settings.listeners.http_public_url, "http://127.0.0.1:8080");
        assert_eq!(settings.listeners.tls, TlsSource::Managed { issuer: "dev-issuing".into() });
        let public =
            parse(&default_text("0.0.0.0:443", None, Some("https://ca.example.com")), Path::new("/d")).unwrap();
        assert_eq!(public.listeners.http_public_url, "http://ca.example.com:8080");
        // A configuration from before HTTPS is told what to write.
        let old = base.replace("public_url = \"https://", "public_url = \"http://");
        let e = parse(&old, Path::new("/d")).unwrap_err().to_string();
        assert!(e.starts_with("server.public_url:") && e.contains("write \"https://127.0.0.1:8443\""), "{e}");
        let files = base.replace("tls_issuer = \"dev-issuing\"", "tls_cert = \"tls.pem\"\ntls_key = \"/k/tls.key\"");
        assert_eq!(
            parse(&files, Path::new("/d")).unwrap().listeners.tls,
            TlsSource::Files {
                certificate: PathBuf::from("/d/tls.pem"),
                key: PathBuf::from("/k/tls.key"),
                reload_every: Some(std::time::Duration::from_secs(60))
            }
        );
        let sighup_only =
            files.replace("tls_cert = \"tls.pem\"", "tls_cert = \"tls.pem\"\ntls_reload_interval_secs = 0");
        let tls = parse(&sighup_only, Path::new("/d")).unwrap().listeners.tls;
        assert!(matches!(tls, TlsSource::Files { reload_every: None, .. }), "{tls:?}");
        let half = base.replace("tls_issuer = \"dev-issuing\"", "tls_cert = \"tls.pem\"");
        assert!(parse(&half, Path::new("/d")).unwrap_err().to_string().starts_with("server.tls_key:"));
        let bad = base.replace("http_listen = \"127.0.0.1:8080\"", "http_listen = \"8080\"");
        assert!(parse(&bad, Path::new("/d")).unwrap_err().to_string().starts_with("server.http_listen:"));
        let https = base.replace("http_listen = \"127.0.0.1:8080\"", "http_public_url = \"https://x.example\"");
        assert!(parse(&https, Path::new("/d")).unwrap_err().to_string().starts_with("server.http_public_url:"));
    }

    #[test]
    fn server_limits_have_defaults_and_bounds() {
        let base = default_text("127.0.0.1:8443", None, None);
        let defaults = parse(&base, Path::new("/d")).unwrap().http;
        let bare = parse("[profiles.p]\nissuer = \"ca\"\nkind = \"client\"\napproval = \"auto\"\n", Path::new("/d"))
            .unwrap()
            .http;
        assert_eq!(defaults, bare, "the shipped file states the defaults");
        assert_eq!(defaults.max_connections, 4096);
        assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.keep_alive_timeout, Some(Duration::from_secs(5)));
        let set = |from: &str, to: &str| parse(&base.replacen(from, to, 1), Path::new("/d"));
        assert_eq!(
            set("keep_alive_timeout_secs = 5", "keep_alive_timeout_secs = 0").unwrap().http.keep_alive_timeout,
            None
        );
        let e = set("keep_alive_timeout_secs = 5", "keep_alive_timeout_secs = 11").unwrap_err().to_string();
        assert!(e.contains("server.keep_alive_timeout_secs") && e.contains("header_read_timeout_secs"), "{e}");
        let e = set("max_connections = 4096", "max_connections = 0").unwrap_err().to_string();
        assert!(e.contains("server.max_connections: 0 is not between 1 and"), "{e}");
        let e = set("max_header_bytes = 16384", "max_header_bytes = 100").unwrap_err().to_string();
        assert!(e.contains("server.max_header_bytes"), "{e}");
        let e = set("header_read_timeout_secs = 10", "header_read_timeout_secs = 0").unwrap_err().to_string();
        assert!(e.contains("server.header_read_timeout_secs"), "{e}");
        let e = set("body_read_timeout_secs = 30", "body_read_timeout_secs = 100000").unwrap_err().to_string();
        assert!(e.contains("server.body_read_timeout_secs"), "{e}");
        let e = set("max_connections = 4096", "max_connection = 4096").unwrap_err().to_string();
        assert!(e.contains("max_connection"), "unknown keys are refused: {e}");
        let e = set("max_connections = 4096", "max_connections = -1").unwrap_err().to_string();
        assert!(e.contains("max_connections"), "{e}");
    }
}
