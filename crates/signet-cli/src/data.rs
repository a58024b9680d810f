//! The data directory of a CA: configuration, database, CA passphrase, admin token.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use signet_config::{Settings, Storage};
use signet_store_sql::SqlStore;
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};

/// Environment variable that overrides the CA passphrase file.
pub const CA_PASSPHRASE_ENV: &str = "SIGNET_CA_PASSPHRASE";

/// An opened data directory.
pub struct Data {
    /// The directory.
    pub dir: PathBuf,
    /// Validated settings.
    pub settings: Settings,
    /// The store.
    pub store: Arc<SqlStore>,
}

/// Path of the configuration file.
pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("signet.toml")
}

/// Path of the admin token file.
pub fn admin_token_path(dir: &Path) -> PathBuf {
    dir.join("admin.token")
}

/// Loads the settings of a data directory.
pub fn settings(dir: &Path) -> CliResult<Settings> {
    let path = config_path(dir);
    if !path.exists() {
        return Err(CliError::bad_input(format!(
            "{} has no signet.toml, so it is not a signet data directory; give your CA's directory with --data DIR",
            dir.display()
        )));
    }
    // Through the CLI's one hardened reader (size cap, no devices or FIFOs), like every file.
    let bytes = crate::files::read_input(&path.to_string_lossy())?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::bad_input(format!("{}: not UTF-8 text; signet.toml is TOML", path.display())))?;
    signet_config::parse(&text, dir).map_err(|problem| {
        CliError::bad_input(
            signet_config::ConfigError::Invalid { file: path.display().to_string(), problem }.to_string(),
        )
    })
}

/// Opens the data directory: settings and store.
pub async fn open(dir: &Path) -> CliResult<Data> {
    let settings = settings(dir)?;
    let store = open_store(&settings).await?;
    Ok(Data { dir: dir.to_path_buf(), settings, store })
}

/// Opens the configured database.
pub async fn open_store(settings: &Settings) -> CliResult<Arc<SqlStore>> {
    let store = match &settings.storage {
        Storage::Sqlite(path) => SqlStore::open_sqlite(path).await,
        Storage::Postgres(url) => SqlStore::open_postgres(url).await,
    };
    store.map(Arc::new).map_err(|e| CliError::runtime(format!("{e}; check [storage] in signet.toml")))
}

/// The CA key passphrase: $SIGNET_CA_PASSPHRASE, else the configured file.
pub fn ca_passphrase(settings: &Settings) -> CliResult<Zeroizing<String>> {
    if let Ok(value) = std::env::var(CA_PASSPHRASE_ENV) {
        return Ok(Zeroizing::new(value));
    }
    let passphrase = crate::secrets::from_file(&settings.passphrase_file)
        .map_err(|e| CliError::bad_input(format!("{}; or set {CA_PASSPHRASE_ENV}", e.message)))?;
    if passphrase.is_empty() {
        return Err(CliError::bad_input(format!(
            "the CA passphrase file {} is empty",
            settings.passphrase_file.display()
        )));
    }
    Ok(passphrase)
}

/// The configured lists of known-compromised keys, read.
pub fn weak_keys(settings: &Settings) -> CliResult<signet_issuance::WeakKeys> {
    signet_issuance::WeakKeys::load(&settings.weak_key_files)
        .map_err(|e| CliError::bad_input(format!("{e}; fix or remove it in [security] weak_key_files")))
}

/// The issuance URLs of the settings: certificates point at the plain-HTTP listener.
pub fn urls(settings: &Settings) -> signet_issuance::Urls {
    signet_issuance::Urls {
        base: Some(settings.listeners.http_public_url.clone()),
        ocsp: settings.ocsp_url.clone(),
        crl_shards: settings.crl.shards.clone(),
    }
}

/// Loads the CA workflow on `store`: opens the CA keys with the CA passphrase and records the
/// configuration in force (as `signet serve` does at start).
pub async fn authority(
    settings: &Settings,
    store: Arc<SqlStore>,
    weak_keys: Arc<signet_issuance::WeakKeys>,
) -> CliResult<signet_authority::Authority> {
    let passphrase = ca_passphrase(settings)?;
    let authority_settings = signet_authority::AuthoritySettings {
        profiles: settings.profiles.clone(),
        urls: urls(settings),
        strict_role_separation: settings.strict_role_separation,
        weak_keys,
        crl: crl_policy(settings),
        ocsp: ocsp_policy(settings),
    };
    let keys = Arc::new(signet_authority::SoftwareCaKeys::new(passphrase));
    signet_authority::Authority::load(store, authority_settings, keys, Arc::new(signet_model::SystemClock))
        .await
        .map_err(|e| CliError::from(e).context("cannot start the CA"))
}

/// The OCSP policy of the settings: responses are made when an OCSP URL is configured.
pub fn ocsp_policy(settings: &Settings) -> signet_authority::OcspPolicy {
    signet_authority::OcspPolicy {
        enabled: settings.ocsp_url.is_some(),
        validity: settings.ocsp.validity,
        refresh: settings.ocsp.refresh,
        signer: match settings.ocsp.signer {
            signet_config::OcspSignerSetting::Delegated => signet_authority::OcspSigner::Delegated,
            signet_config::OcspSignerSetting::Ca => signet_authority::OcspSigner::Ca,
        },
        responder_validity: settings.ocsp.responder_validity,
        nonce: settings.ocsp.nonce,
    }
}

/// How the OCSP responder answers, from the settings.
pub fn ocsp_serving(settings: &Settings) -> signet_ocsp::ServeSettings {
    signet_ocsp::ServeSettings {
        validity: settings.ocsp.validity,
        refresh: settings.ocsp.refresh,
        nonce: settings.ocsp.nonce,
    }
}

/// The CRL policy of the settings.
pub fn crl_policy(settings: &Settings) -> signet_authority::CrlPolicy {
    signet_authority::CrlPolicy {
        validity: settings.crl.validity,
        refresh: settings.crl.refresh,
        after_revocation: settings.crl.after_revocation,
        expired_grace: settings.crl.expired_grace,
    }
}

/// Builds a tokio runtime for a command.
pub fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
