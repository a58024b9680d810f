//! `signet serve`: the CA's API over HTTPS, and a plain-HTTP listener for what relying parties
//! fetch without TLS (CA certificates, CRLs, OCSP). On first start it makes everything a working
//! CA needs in the data directory (configuration, SQLite database, a development root and issuing
//! CA, a separate test root, default profiles, the CA passphrase and an admin token, both mode
//! 0600); the HTTPS certificate comes from [`super::serve_tls`].

use std::path::Path;
use std::sync::Arc;

use signet_authority::SoftwareCaKeys;
use signet_config::Storage;
use signet_model::{Role, SystemClock};

use crate::cli::ServeArgs;
use crate::commands::{serve_acme, serve_tls, startup};
use crate::data::{self, admin_token_path, config_path};
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::locate::{self, Origin};
use crate::secrets;

/// Runs `signet serve`.
pub fn run(args: &ServeArgs) -> CliResult {
    data::runtime()?.block_on(serve(args))
}

/// Logs go to standard error; `SIGNET_LOG` sets the filter (default: warnings, and signet's info).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIGNET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,signet=info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn serve(args: &ServeArgs) -> CliResult {
    init_logging();
    let found = locate::serve_dir(args.data.data.as_deref());
    let dir = &found.dir;
    if let Origin::Recorded(record) = &found.origin {
        crate::output::note(&format!(
            "no ./{} here: serving the CA in {} (your default, recorded in {}); --data chooses another",
            locate::LOCAL_DIR,
            absolute(dir),
            record.display()
        ));
    }
    let fresh = !config_path(dir).exists();
    if fresh {
        // A first start on a port already taken stops before it makes a CA nobody asked for.
        for (address, flag) in [
            (args.listen.as_deref().unwrap_or("127.0.0.1:8443"), "--listen"),
            (args.http_listen.as_deref().unwrap_or("127.0.0.1:8080"), "--http-listen"),
        ] {
            if let Ok(address) = address.parse::<std::net::SocketAddr>()
                && let Err(e) = std::net::TcpListener::bind(address)
            {
                return Err(CliError::runtime(format!(
                    "cannot listen on {address}: {e} (another signet serve running? use {flag}); no CA was created in {}",
                    absolute(dir)
                )));
            }
        }
        initialise(
            dir,
            args.listen.as_deref().unwrap_or("127.0.0.1:8443"),
            args.http_listen.as_deref().unwrap_or("127.0.0.1:8080"),
            args.database_url.as_deref(),
            args.public_url.as_deref(),
        )
        .await?;
    }
    let mut settings = data::settings(dir)?;
    let configured_listen = settings.listen;
    if let Some(listen) = &args.listen {
        settings.listen = listen
            .parse()
            .map_err(|_| CliError::bad_input(format!("--listen {listen:?} is not an address like 127.0.0.1:8443")))?;
    }
    if let Some(listen) = &args.http_listen {
        settings.listeners.http_listen = listen.parse().map_err(|_| {
            CliError::bad_input(format!("--http-listen {listen:?} is not an address like 127.0.0.1:8080"))
        })?;
    }
    for warning in &settings.warnings {
        crate::output::warn(warning);
    }
    let store = data::open_store(&settings).await?;
    let weak_keys = Arc::new(data::weak_keys(&settings)?);
    let clock: Arc<dyn signet_model::Clock> = Arc::new(SystemClock);
    // ACME's External Account Binding keys are sealed with a secret derived from the passphrase.
    let eab = signet_acme::eab::EabSecret::from_passphrase(data::ca_passphrase(&settings)?.as_bytes());
    let authority = data::authority(&settings, store.clone(), weak_keys.clone()).await?;
    if settings.strict_role_separation {
        for violation in signet_authority::separation_violations(store.as_ref()).await? {
            crate::output::warn(&format!("{}; until then it can do nothing", violation.describe()));
        }
    }
    if let Some(change) = authority.configuration_change() {
        if change.previous_sha256.is_some() {
            tracing::info!(sha256 = %change.sha256, "configuration change recorded in the audit log: {}", change.summary());
            crate::output::note(&format!(
                "signet.toml changed since it was last recorded ({}); the change is in the audit log",
                change.summary()
            ));
        } else {
            tracing::debug!(sha256 = %change.sha256, "first configuration recorded in the audit log");
        }
    }
    // Reservations left by a crash: none can be in flight in a single SQLite process; other front
    // ends on PostgreSQL may be mid-issuance, so leave theirs a few minutes.
    let grace = match settings.storage {
        // Everything reserved before this process started (timestamps are whole seconds).
        Storage::Sqlite(_) => time::Duration::minutes(-1),
        Storage::Postgres(_) => time::Duration::minutes(5),
    };
    let recovered = authority.recover(grace).await?;
    if recovered > 0 {
        crate::output::warn(&format!(
            "{recovered} interrupted issuance(s) found; their serials are marked abandoned (never reused)"
        ));
    }
    if fresh && settings.ocsp_url.is_some() {
        // The delegated OCSP responders are issued now, before any client's request, so a fresh
        // CA numbers its first request the same every time (the README says which).
        let report = authority.publish_ocsp().await?;
        tracing::info!(responders = report.responders_issued, "delegated OCSP responders issued");
    }
    let authority = Arc::new(authority);
    for name in settings.crl.shards.keys() {
        if authority.ca_id_of(name).is_none() {
            crate::output::warn(&format!("[crl] shards names {name}, which is not a CA here; it has no effect"));
        }
    }
    // CRLs and OCSP responses are made in the background; one front end at a time publishes
    // each (a database lease), the others serve what it stores.
    let mut background = vec![tokio::spawn(authority.clone().run_crl_publisher())];
    let ocsp = match settings.ocsp_url {
        Some(_) => {
            background.push(tokio::spawn(authority.clone().run_ocsp_publisher()));
            let service = Arc::new(
                signet_ocsp::OcspService::new(store.clone(), Arc::new(SystemClock), data::ocsp_serving(&settings))
                    .await
                    .map_err(|e| CliError::runtime(format!("cannot start the OCSP responder: {e}")))?,
            );
            background.push(tokio::spawn(service.clone().follow_changes()));
            background.push(tokio::spawn(keep_responders(authority.clone(), service.clone())));
            Some(service)
        }
        None => None,
    };
    let dyn_clock = clock.clone();
    let presented = serve_tls::present(&settings, dir, settings.listen, &authority, &dyn_clock).await?;
    crate::commands::ca::export_certificates(dir, store.as_ref()).await?;
    let stats_store = store.clone();
    let state = signet_web::AppState {
        authority: authority.clone(),
        store_stats: Some(Arc::new(move || {
            let s = stats_store.writer_stats();
            (
                s.batches.load(std::sync::atomic::Ordering::Relaxed),
                s.operations.load(std::sync::atomic::Ordering::Relaxed),
            )
        })),
        clock,
        limits: signet_web::Limits {
            max_body_bytes: settings.max_body_bytes,
            max_header_bytes: settings.http.max_header_bytes,
            body_read_timeout: settings.http.body_read_timeout,
            // Each of the two listeners may hold this many.
            max_connections: connection_cap(settings.http.max_connections.saturating_mul(2)) / 2,
            header_read_timeout: settings.http.header_read_timeout,
            keep_alive_timeout: settings.http.keep_alive_timeout,
        },
    };
    let acme = serve_acme::start(&settings, args, &authority, store.clone(), &dyn_clock, eab, grace).await?;
    let limits = state.limits;
    let listener = signet_web::listen(settings.listen).map_err(|e| {
        CliError::runtime(format!(
            "cannot listen on {}: {e} (another signet serve running? use --listen)",
            settings.listen
        ))
    })?;
    let http_listen = settings.listeners.http_listen;
    let plain_listener = signet_web::listen(http_listen).map_err(|e| {
        CliError::runtime(format!(
            "cannot listen on {http_listen} for plain HTTP: {e} (another signet serve running? use --http-listen)"
        ))
    })?;
    let backend = match &settings.storage {
        Storage::Sqlite(path) => format!("SQLite {}", absolute(path)),
        Storage::Postgres(_) => "PostgreSQL".to_string(),
    };
    let cas = startup::ca_files(dir, store.as_ref()).await?;
    startup::print(&startup::Banner {
        dir,
        backend,
        listening: settings.listen,
        configured: configured_listen,
        public_url: &settings.public_url,
        http_listening: http_listen,
        http_public_url: &settings.listeners.http_public_url,
        tls_source: &presented.source,
        tls_not_after: presented.not_after,
        managed_tls: presented.renewal.is_some(),
        acme: acme.as_ref().map(|(_, text)| text.as_str()),
        weak_keys: weak_keys.len(),
        cas: &cas,
        fresh,
    });
    say!(
        "  connections:  at most {} at once on each listener{}",
        limits.max_connections,
        if limits.max_connections < settings.http.max_connections {
            " (server.max_connections lowered to fit the open-file limit)"
        } else {
            ""
        }
    );
    if let Some(managed) = presented.renewal {
        let (tls, not_after) = (presented.tls.clone(), presented.not_after);
        let not_before = presented.not_before;
        tokio::spawn(managed.keep_renewed(tls, not_before, not_after));
    }
    if let Some(reload) = presented.reload {
        tokio::spawn(reload.keep_reloaded(presented.tls.clone()));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    // OCSP on both listeners (relying parties use the plain one the certificates name); ACME on
    // the HTTPS one only.
    let ocsp_routes = || ocsp.iter().map(|service| signet_ocsp::router(service.clone(), false)).collect::<Vec<_>>();
    let plain = signet_web::serve(
        plain_listener,
        signet_web::plain_router(state.clone(), ocsp_routes(), &settings.public_url),
        limits,
        None,
        until_stopped(stopped.clone()),
    );
    let mut mounted = ocsp_routes();
    if let Some((acme, _)) = acme {
        mounted.push(signet_acme::router(acme));
    }
    let app = signet_web::router_with(state, mounted);
    let api = signet_web::serve(listener, app, limits, Some(presented.tls), until_stopped(stopped));
    tokio::join!(plain, api);
    for task in background {
        task.abort();
    }
    say!("signet serve: stopped");
    Ok(())
}

/// File descriptors kept for everything but client connections: the database (SQLite's files or
/// PostgreSQL connections), standard streams, the runtime's own, files read at start.
const RESERVED_FILES: u64 = 256;

/// The number of connections to allow: `configured`, lowered to fit below the open-file limit
/// with room for the database. The soft limit is first raised to the hard limit (as far as the
/// kernel allows), since each connection holds one descriptor.
pub(crate) fn connection_cap(configured: usize) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let mut soft = limit.current;
    if limit.current != limit.maximum {
        // An unlimited hard limit cannot be the soft one on Linux (nr_open bounds it); try a
        // large finite one instead.
        let wanted = limit.maximum.unwrap_or(1 << 20);
        match setrlimit(Resource::Nofile, Rlimit { current: Some(wanted), maximum: limit.maximum }) {
            Ok(()) => soft = Some(wanted),
            Err(e) => tracing::debug!(error = %e, "cannot raise the open-file limit; keeping {:?}", limit.current),
        }
    }
    let Some(soft) = soft else { return configured };
    let room = usize::try_from(soft.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX).max(1);
    if room < configured {
        tracing::warn!(
            open_file_limit = soft,
            "server.max_connections {configured} lowered to {room} to stay below the open-file limit"
        );
    }
    configured.min(room)
}

/// Hands the responder the keys it signs on demand with (delegated responders rotate), every
/// few seconds.
async fn keep_responders(authority: Arc<signet_authority::Authority>, service: Arc<signet_ocsp::OcspService>) {
    loop {
        service.set_responders(authority.responders());
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

pub(crate) async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Creates a development CA in `dir`.
async fn initialise(
    dir: &Path,
    listen: &str,
    http_listen: &str,
    database_url: Option<&str>,
    public_url: Option<&str>,
) -> CliResult {
    if dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(CliError::bad_input(format!(
            "{} exists but has no signet.toml: an earlier first start was interrupted, or it is not a signet data directory; remove it or choose another --data",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::runtime(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let passphrase = secrets::generate_password()?;
    write_atomic(&dir.join("ca-passphrase"), format!("{}\n", passphrase.as_str()).as_bytes(), Mode::Secret, false)?;
    let text = signet_config::default_text_with(listen, http_listen, database_url, public_url);
    let settings =
        signet_config::parse(&text, dir).map_err(|e| CliError::runtime(format!("built-in configuration: {e}")))?;
    let store = data::open_store(&settings).await?;
    let clock = SystemClock;
    signet_authority::ca_admin::bootstrap_development(
        store.as_ref(),
        &clock,
        &data::urls(&settings),
        &SoftwareCaKeys::new(passphrase.clone()),
    )
    .await
    .map_err(|e| CliError::from(e).context("cannot create the development CA"))?;
    let token = signet_authority::create_token(
        store.as_ref(),
        &clock,
        "system",
        "admin",
        // CA Administrator only: approving and auditing are other people's roles (issue 10).
        &[Role::CaAdministrator],
        false,
    )
    .await?;
    write_atomic(&admin_token_path(dir), format!("{token}\n").as_bytes(), Mode::Secret, false)?;
    crate::commands::ca::export_certificates(dir, store.as_ref()).await?;
    // The configuration goes last: its presence marks the directory as complete.
    write_atomic(&config_path(dir), text.as_bytes(), Mode::Public, false)?;
    say!("Created a development CA in {}: roots dev-root and test-root, issuing CA dev-issuing", absolute(dir));
    Ok(())
}
