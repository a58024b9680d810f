//! `signet ocsp serve`: the OCSP responder alone, over the same database as `signet serve`,
//! reading only: it never migrates the database, writes nothing and opens no CA key.

use std::sync::Arc;

use signet_authority::CaKeys;
use signet_config::Storage;
use signet_issuance::ocsp::Responder;
use signet_model::{CaId, SystemClock};
use signet_store::StoreRead;
use signet_store_sql::SqlStore;

use crate::cli::OcspServeArgs;
use crate::commands::serve::{init_logging, shutdown};
use crate::data;
use crate::error::{CliError, CliResult};

/// Runs `signet ocsp serve`.
pub fn serve(args: &OcspServeArgs) -> CliResult {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        CliError::bad_input(format!("--listen {:?} is not an address like 127.0.0.1:8080", args.listen))
    })?;
    data::runtime()?.block_on(async {
        init_logging();
        let dir = args.data.dir()?;
        let settings = data::settings(&dir)?;
        let store = match &settings.storage {
            Storage::Sqlite(path) => SqlStore::open_sqlite_existing(path).await,
            Storage::Postgres(url) => SqlStore::open_postgres_existing(url).await,
        }
        .map(Arc::new)
        .map_err(|e| CliError::runtime(format!("{e}; check [storage] in signet.toml")))?;
        let service = Arc::new(
            signet_ocsp::OcspService::new(store.clone(), Arc::new(SystemClock), data::ocsp_serving(&settings))
                .await
                .map_err(|e| CliError::runtime(format!("cannot start the OCSP responder: {e}")))?,
        );
        // Only delegated responders sign on demand here (the CA key never comes near the serving
        // path); with `signer = "ca"`, responders a delegated configuration issued earlier are
        // not used either.
        let keys = match data::ca_passphrase(&settings) {
            // A CA-signed responder needs the CA key, which this process never opens.
            _ if settings.ocsp.signer == signet_config::OcspSignerSetting::Ca => {
                crate::output::note(
                    "[ocsp] signer = \"ca\": only pre-signed responses are served here; serials never issued and nonces get unauthorized",
                );
                None
            }
            Ok(passphrase) => Some(signet_authority::SoftwareCaKeys::new(passphrase)),
            Err(e) => {
                crate::output::warn(&format!(
                    "no CA passphrase ({e}): only pre-signed responses are served; serials never issued and nonces get unauthorized"
                ));
                None
            }
        };
        let mut background = vec![tokio::spawn(service.clone().follow_changes())];
        if let Some(keys) = keys {
            background.push(tokio::spawn(load_responders(store.clone(), keys, service.clone())));
        }
        let app = signet_ocsp::standalone_router(service);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| {
                CliError::runtime(format!(
                    "cannot listen on {listen}: {e}; choose another --listen (a `signet serve` already answers OCSP on its plain-HTTP port, 8080 by default)"
                ))
            })?;
        say!("signet ocsp serve: answering OCSP on http://{listen}/ (read-only, from {})", dir.display());
        // The same hardened accept loop as `signet serve`: header and body timeouts, a
        // connection cap, 431 for oversized heads.
        let limits = signet_web::Limits {
            max_body_bytes: settings.max_body_bytes,
            max_header_bytes: settings.http.max_header_bytes,
            body_read_timeout: settings.http.body_read_timeout,
            max_connections: crate::commands::serve::connection_cap(settings.http.max_connections),
            header_read_timeout: settings.http.header_read_timeout,
            keep_alive_timeout: settings.http.keep_alive_timeout,
        };
        signet_web::serve(listener, app, limits, None, shutdown()).await;
        for task in background {
            task.abort();
        }
        Ok(())
    })
}

/// Loads the delegated responders `signet serve` issued (their keys only, never a CA's), again
/// every minute as they rotate, for signing on demand.
async fn load_responders(
    store: Arc<SqlStore>,
    keys: signet_authority::SoftwareCaKeys,
    service: Arc<signet_ocsp::OcspService>,
) {
    loop {
        match store.ocsp_responders().await {
            Ok(records) => {
                // Newest last: the last of each CA is the one in use; only it is opened.
                let newest: std::collections::HashMap<CaId, signet_store::OcspResponderRecord> =
                    records.into_iter().map(|r| (r.ca_id, r)).collect();
                let mut current: std::collections::HashMap<CaId, Responder> = std::collections::HashMap::new();
                for record in newest.into_values() {
                    match keys.open_sealed(&record.encrypted_key, "a delegated OCSP responder") {
                        Ok(signer) => {
                            current.insert(record.ca_id, Responder { signer, certificate: Some(record.certificate) });
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot open a delegated OCSP responder's key"),
                    }
                }
                service.set_responders(current.into_iter().collect());
            }
            Err(e) => tracing::warn!(error = %e, "reading the OCSP responders failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}
