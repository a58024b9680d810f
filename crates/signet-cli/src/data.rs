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
    signet_config::load(&path, dir).map_err(|e| CliError::bad_input(e.to_string()))
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
    signet_issuance::Urls { base: Some(settings.listeners.http_public_url.clone()), ocsp: settings.ocsp_url.clone() }
}

/// Builds a tokio runtime for a command.
pub fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
