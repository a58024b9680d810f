//! Which roots client commands trust for the server's HTTPS certificate: `--ca-bundle` (or
//! `$SIGNET_CA_BUNDLE`), else the data directory's `roots.pem` that `signet serve` writes, and in
//! both cases the system's store (`/etc/ssl/certs/ca-certificates.crt` and friends), so a server
//! with a publicly trusted certificate needs nothing more.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

use crate::error::{CliError, CliResult};
use crate::files::absolute;

/// Where distributions keep the system's trusted roots in one PEM file.
const SYSTEM_BUNDLES: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/// The roots trusted, and in words where they came from (for messages).
pub struct Trust {
    /// A TLS client configuration trusting them (aws-lc-rs, TLS 1.2 and 1.3).
    pub config: rustls::ClientConfig,
    /// The file of signet roots in use, if any.
    pub roots_file: Option<PathBuf>,
}

/// The trust of a client command: `bundle` if given (an unreadable one is an error), else
/// `data_roots` if it exists; plus the system's roots.
pub fn client(bundle: Option<&Path>, data_roots: Option<&Path>) -> CliResult<Trust> {
    let mut store = RootCertStore::empty();
    let roots_file = match (bundle, data_roots) {
        (Some(file), _) => {
            let added = add_file(&mut store, file)?;
            if added == 0 {
                return Err(CliError::bad_input(format!("--ca-bundle {}: no PEM certificate in it", absolute(file))));
            }
            Some(file.to_path_buf())
        }
        (None, Some(file)) if file.exists() => {
            add_file(&mut store, file)?;
            Some(file.to_path_buf())
        }
        _ => None,
    };
    for system in SYSTEM_BUNDLES {
        let path = Path::new(system);
        if path.exists() && add_file(&mut store, path).is_ok() {
            break;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| CliError::runtime(format!("TLS: {e}")))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Trust { config, roots_file })
}

/// Adds every certificate of a PEM file; answers how many were added.
fn add_file(store: &mut RootCertStore, file: &Path) -> CliResult<usize> {
    let bytes = crate::files::read_input(&file.to_string_lossy()).map_err(|e| e.context("the CA bundle"))?;
    let decoded = signet_codec::decode(&bytes).map_err(|e| CliError::bad_input(format!("{}: {e}", absolute(file))))?;
    let ders: Vec<CertificateDer<'static>> = decoded
        .objects
        .iter()
        .filter(|o| o.kind() == signet_codec::ObjectKind::Certificate)
        .map(|o| CertificateDer::from(o.der().to_vec()))
        .collect();
    let (added, _ignored) = store.add_parsable_certificates(ders);
    Ok(added)
}

/// Whether a failed request failed on the server's certificate (so the message can say what to
/// trust). reqwest reports it only in words, through the error's sources.
pub fn is_untrusted(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_));
        }
        // An I/O error hides the error it wraps from `source()`.
        current = match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    false
}
