//! The HTTPS certificate of `signet serve`: read from the files `[server] tls_cert`/`tls_key`
//! name, or issued by the configured CA (`tls_issuer`) for the listen address, `localhost` and
//! the public URL's host, kept in DATA/tls/ and renewed while the server runs, once two thirds
//! of its validity have passed, or at once when it is revoked (a Certificate Manager revoking the
//! server's certificate means it must not be presented). Front ends sharing a data directory
//! share the files: each reads them again before renewing, so one renewal serves all.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use signet_authority::Authority;
use signet_codec::certificate::CertificateFacts;
use signet_config::{Settings, TlsSource};
use signet_keys::{KeyAlgorithm, SoftwareKey};
use signet_model::{Clock, DnsName, Identifier, RevocationReason, Serial};
use signet_web::{ServerCertificate, ServerTls};
use time::{Duration, OffsetDateTime};

use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};

/// Validity of the certificates signet issues itself.
pub const VALIDITY: Duration = Duration::days(30);

/// How long a failed renewal waits before trying again.
const RETRY: Duration = Duration::minutes(10);

/// Longest sleep of the renewal loop between looks at the files and at the certificate's
/// revocation status.
const LOOK_AGAIN: Duration = Duration::minutes(1);

/// The certificate presented, and where it came from (for the start-up text).
pub struct Presented {
    /// The TLS configuration serving it.
    pub tls: ServerTls,
    /// In words: issued by which CA for which names, or read from which file.
    pub source: String,
    /// Its start of validity.
    pub not_before: OffsetDateTime,
    /// Its end of validity.
    pub not_after: OffsetDateTime,
    /// Kept renewed by this process.
    pub renewal: Option<Managed>,
    /// Read again from the configured files when they change.
    pub reload: Option<Reloaded>,
}

/// A certificate this server issues itself and keeps renewed.
pub struct Managed {
    authority: Arc<Authority>,
    clock: Arc<dyn Clock>,
    issuer: String,
    names: Vec<Identifier>,
    chain_file: PathBuf,
    key_file: PathBuf,
}

/// The names the managed certificate holds: the listen address (loopback for a wildcard one),
/// `localhost`, and the public URL's host.
pub fn names(listen: SocketAddr, public_url: &str) -> Vec<Identifier> {
    let listen_ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let mut names = Vec::new();
    let localhost = DnsName::parse("localhost").map(Identifier::Dns);
    let public = signet_config::url_host(public_url).and_then(|host| match host.parse::<IpAddr>() {
        Ok(ip) => Some(Identifier::Ip(ip)),
        Err(_) => DnsName::parse(host).ok().map(Identifier::Dns),
    });
    for name in [public, localhost.ok(), Some(Identifier::Ip(listen_ip))].into_iter().flatten() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Loads or issues the HTTPS certificate as `settings` say, for a server listening on `listen`.
pub async fn present(
    settings: &Settings,
    dir: &Path,
    listen: SocketAddr,
    authority: &Arc<Authority>,
    clock: &Arc<dyn Clock>,
) -> CliResult<Presented> {
    match &settings.listeners.tls {
        TlsSource::Files { certificate, key, reload_every } => {
            let (loaded, leaf) = read_pair(certificate, key)?;
            let now = clock.now();
            if leaf.not_after < now {
                crate::output::warn(&format!(
                    "the HTTPS certificate {} expired on {}; clients will refuse it until it is replaced",
                    absolute(certificate),
                    signet_model::time_text::format(leaf.not_after)
                ));
            }
            let tls = ServerTls::new(loaded).map_err(|e| CliError::bad_input(format!("server.tls_cert: {e}")))?;
            Ok(Presented {
                tls,
                source: format!("from {} (server.tls_cert)", absolute(certificate)),
                not_before: leaf.not_before,
                not_after: leaf.not_after,
                renewal: None,
                reload: Some(Reloaded {
                    certificate: certificate.clone(),
                    key: key.clone(),
                    every: *reload_every,
                    clock: clock.clone(),
                    seen: Reloaded::state(certificate, key),
                }),
            })
        }
        TlsSource::Managed { issuer } => {
            let tls_dir = dir.join("tls");
            let managed = Managed {
                authority: authority.clone(),
                clock: clock.clone(),
                issuer: issuer.clone(),
                names: names(listen, &settings.public_url),
                chain_file: tls_dir.join("server.pem"),
                key_file: tls_dir.join("server.key"),
            };
            let (certificate, leaf) = managed.obtain().await?;
            let tls = ServerTls::new(certificate).map_err(|e| CliError::runtime(format!("HTTPS certificate: {e}")))?;
            let shown: Vec<String> = managed.names.iter().map(|n| n.value()).collect();
            Ok(Presented {
                tls,
                source: format!("issued by {issuer} for {} ({})", shown.join(", "), absolute(&managed.chain_file)),
                not_before: leaf.not_before,
                not_after: leaf.not_after,
                renewal: Some(managed),
                reload: None,
            })
        }
    }
}

/// Reads a PEM chain and key, checking that they belong together.
fn read_pair(chain_file: &Path, key_file: &Path) -> CliResult<(ServerCertificate, CertificateFacts)> {
    let chain = crate::files::read_input(&chain_file.to_string_lossy())
        .map_err(|e| e.context("the HTTPS certificate (server.tls_cert)"))?;
    let key = crate::files::read_private_key(key_file).map_err(|e| e.context("the HTTPS key (server.tls_key)"))?;
    let loaded = ServerCertificate::from_pem(&chain, &key)
        .map_err(|e| CliError::bad_input(format!("{} and {}: {e}", absolute(chain_file), absolute(key_file))))?;
    let leaf = first_certificate(&chain)
        .ok_or_else(|| CliError::bad_input(format!("{}: no certificate in it", absolute(chain_file))))?;
    Ok((loaded, leaf))
}

/// The DER of the first certificate in a PEM file.
fn first_der(pem: &[u8]) -> Option<Vec<u8>> {
    let decoded = signet_codec::decode(pem).ok()?;
    decoded.objects.iter().find(|o| o.kind() == signet_codec::ObjectKind::Certificate).map(|o| o.der().to_vec())
}

fn first_certificate(pem: &[u8]) -> Option<CertificateFacts> {
    signet_codec::certificate::facts(&first_der(pem)?).ok()
}

/// Whether a certificate valid from `not_before` to `not_after` is due for renewal at `now`:
/// once two thirds of its validity have passed.
pub fn due(not_before: OffsetDateTime, not_after: OffsetDateTime, now: OffsetDateTime) -> bool {
    now >= renewal_time(not_before, not_after)
}

fn renewal_time(not_before: OffsetDateTime, not_after: OffsetDateTime) -> OffsetDateTime {
    not_after - (not_after - not_before) / 3
}

impl Managed {
    /// The certificate in DATA/tls if it is there, matches the key, holds exactly this server's
    /// names and is not due; else a new one.
    async fn obtain(&self) -> CliResult<(ServerCertificate, CertificateFacts)> {
        if let Some(kept) = self.kept() {
            match self.revocation_of(self.kept_serial().as_ref()).await {
                None => return Ok(kept),
                Some(reason) => tracing::warn!(%reason, "the HTTPS certificate was revoked; issuing a new one"),
            }
        }
        self.issue().await
    }

    /// The serial of the certificate in DATA/tls, if it can be read.
    fn kept_serial(&self) -> Option<Serial> {
        let der = first_der(&std::fs::read(&self.chain_file).ok()?)?;
        let info = signet_codec::describe::certificate(&der, self.clock.now()).ok()?;
        Serial::parse_hex(&info.serial).ok()
    }

    /// Why the issuer's certificate with `serial` was revoked (or put on hold), if it was. A
    /// serial the store does not know, or a failed lookup, counts as not revoked: the next look
    /// asks again.
    async fn revocation_of(&self, serial: Option<&Serial>) -> Option<RevocationReason> {
        let ca = self.authority.ca_id_of(&self.issuer)?;
        let record = self.authority.store().certificate(ca, serial?).await.ok()??;
        record.revocation.map(|r| r.reason)
    }

    fn kept(&self) -> Option<(ServerCertificate, CertificateFacts)> {
        if !self.chain_file.exists() || !self.key_file.exists() {
            return None;
        }
        let (certificate, leaf) = match read_pair(&self.chain_file, &self.key_file) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e.message, "the kept HTTPS certificate cannot be used; issuing a new one");
                return None;
            }
        };
        let der = first_der(&std::fs::read(&self.chain_file).ok()?)?;
        let info = signet_codec::describe::certificate(&der, self.clock.now()).ok()?;
        let mut held = info.subject_alt_names.clone();
        let mut wanted: Vec<String> = self.names.iter().map(ToString::to_string).collect();
        held.sort();
        wanted.sort();
        if held != wanted {
            tracing::info!(?held, ?wanted, "the server's names changed; issuing a new HTTPS certificate");
            return None;
        }
        if due(leaf.not_before, leaf.not_after, self.clock.now()) {
            return None;
        }
        Some((certificate, leaf))
    }

    /// Issues a new certificate with a new key and keeps both in DATA/tls.
    async fn issue(&self) -> CliResult<(ServerCertificate, CertificateFacts)> {
        let key = SoftwareKey::generate(KeyAlgorithm::EcP256).map_err(|e| CliError::runtime(e.to_string()))?;
        let input = signet_subscriber::csr::CsrInput {
            subject: signet_subscriber::subject::SubjectInput::default(),
            sans: self.names.iter().map(ToString::to_string).collect(),
        };
        let plan = signet_subscriber::csr::plan(&input).map_err(|e| CliError::runtime(format!("server names: {e}")))?;
        let csr = signet_subscriber::csr::build(&plan, &key).map_err(|e| CliError::runtime(e.to_string()))?;
        let issued = self
            .authority
            .issue_server_certificate(&self.issuer, &csr, VALIDITY)
            .await
            .map_err(|e| CliError::from(e).context("cannot issue the HTTPS certificate"))?;
        let chain =
            issued.pem_chain(0).ok_or_else(|| CliError::runtime("the HTTPS certificate came without a chain"))?;
        let key_pem = zeroize::Zeroizing::new(signet_codec::pem::encode("PRIVATE KEY", key.pkcs8().expose()));
        if let Some(parent) = self.key_file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", parent.display())))?;
        }
        // The key first: a crash between the two leaves a pair that does not match, which the
        // next start replaces, never a certificate whose key is lost.
        write_atomic(&self.key_file, key_pem.as_bytes(), Mode::Secret, true)?;
        write_atomic(&self.chain_file, chain.as_bytes(), Mode::Public, true)?;
        let leaf =
            signet_codec::certificate::facts(&issued.certificate).map_err(|e| CliError::runtime(e.to_string()))?;
        let certificate = ServerCertificate::from_pem(chain.as_bytes(), key_pem.as_bytes())
            .map_err(|e| CliError::runtime(format!("the new HTTPS certificate: {e}")))?;
        tracing::debug!(not_after = %leaf.not_after, "issued the HTTPS certificate");
        Ok((certificate, leaf))
    }

    /// Renews the certificate `tls` presents whenever it is due, until the process ends.
    pub async fn keep_renewed(self, tls: ServerTls, mut not_before: OffsetDateTime, mut not_after: OffsetDateTime) {
        // What `tls` presents: the file as `present` read it.
        let mut presented = self.kept_serial();
        loop {
            let now = self.clock.now();
            let wait = (renewal_time(not_before, not_after) - now).clamp(Duration::ZERO, LOOK_AGAIN);
            tokio::time::sleep(wait.unsigned_abs()).await;
            let revoked = self.revocation_of(presented.as_ref()).await;
            if !due(not_before, not_after, self.clock.now()) && revoked.is_none() {
                continue;
            }
            match self.obtain().await {
                Ok((certificate, leaf)) => {
                    tls.replace(certificate);
                    (not_before, not_after) = (leaf.not_before, leaf.not_after);
                    presented = self.kept_serial();
                    let why = match revoked {
                        Some(reason) => format!(" (the previous one was revoked: {reason})"),
                        None => String::new(),
                    };
                    crate::output::note(&format!(
                        "HTTPS certificate renewed{why}, valid until {}",
                        signet_model::time_text::format(not_after)
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e.message, "cannot renew the HTTPS certificate; trying again in 10 minutes");
                    tokio::time::sleep(RETRY.unsigned_abs()).await;
                }
            }
        }
    }
}

/// The certificate and key files `[server] tls_cert`/`tls_key` name, looked at again every
/// `tls_reload_interval_secs` and on SIGHUP: when their content changed (an operator or certbot
/// replaced them) and they hold a usable pair, it is presented from the next handshake on; a pair
/// that is unreadable, does not match or has expired is reported once and the current one kept.
pub struct Reloaded {
    certificate: PathBuf,
    key: PathBuf,
    every: Option<std::time::Duration>,
    clock: Arc<dyn Clock>,
    /// What the files held when last looked at.
    seen: FilesState,
}

/// What the two files hold: a digest of their content, or why they cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FilesState {
    Content([u8; 32]),
    Unreadable(String),
}

/// What a look at the files found.
#[derive(Debug)]
enum Looked {
    /// Nothing changed since the last look.
    Unchanged,
    /// A new usable pair.
    Replaced(ServerCertificate, CertificateFacts),
    /// The files changed but cannot be used; the current pair stays.
    Refused(String),
}

impl Reloaded {
    /// What the files hold now (the key's bytes are digested, never kept).
    fn state(certificate: &Path, key: &Path) -> FilesState {
        let mut digest = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for file in [certificate, key] {
            match std::fs::read(file) {
                Ok(bytes) => {
                    let bytes = zeroize::Zeroizing::new(bytes);
                    digest.update(&(bytes.len() as u64).to_be_bytes());
                    digest.update(&bytes);
                }
                Err(e) => return FilesState::Unreadable(format!("cannot read {}: {e}", absolute(file))),
            }
        }
        let mut content = [0u8; 32];
        content.copy_from_slice(digest.finish().as_ref());
        FilesState::Content(content)
    }

    /// Looks at the files once.
    fn look(&mut self) -> Looked {
        let now = Self::state(&self.certificate, &self.key);
        if now == self.seen {
            return Looked::Unchanged;
        }
        self.seen = now.clone();
        if let FilesState::Unreadable(why) = now {
            return Looked::Refused(why);
        }
        match read_pair(&self.certificate, &self.key) {
            Err(e) => Looked::Refused(e.message),
            Ok((_, leaf)) if leaf.not_after <= self.clock.now() => Looked::Refused(format!(
                "the certificate in {} expired on {}",
                absolute(&self.certificate),
                signet_model::time_text::format(leaf.not_after)
            )),
            Ok((certificate, leaf)) => Looked::Replaced(certificate, leaf),
        }
    }

    /// Presents each new usable pair through `tls`, until the process ends.
    pub async fn keep_reloaded(mut self, tls: ServerTls) {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(error = %e, "no SIGHUP handler; the HTTPS files are looked at on the interval only");
                None
            }
        };
        loop {
            let interval = async {
                match self.every {
                    Some(every) => tokio::time::sleep(every).await,
                    None => std::future::pending().await,
                }
            };
            let signal = async {
                match hangup.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = interval => {}
                () = signal => tracing::info!("SIGHUP: looking at the HTTPS certificate files"),
            }
            match self.look() {
                Looked::Unchanged => {}
                Looked::Replaced(certificate, leaf) => {
                    tls.replace(certificate);
                    crate::output::note(&format!(
                        "HTTPS certificate reloaded from {}: {}, valid until {}",
                        absolute(&self.certificate),
                        leaf.subject,
                        signet_model::time_text::format(leaf.not_after)
                    ));
                }
                Looked::Refused(why) => crate::output::warn(&format!(
                    "the HTTPS certificate files changed but cannot be used ({why}); still presenting the previous certificate until they are fixed"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_names_are_the_public_host_localhost_and_the_address() {
        let shown = |listen: &str, url: &str| -> Vec<String> {
            names(listen.parse().unwrap(), url).iter().map(ToString::to_string).collect()
        };
        assert_eq!(shown("127.0.0.1:8443", "https://127.0.0.1:8443"), ["ip:127.0.0.1", "dns:localhost"]);
        assert_eq!(
            shown("0.0.0.0:443", "https://ca.example.com"),
            ["dns:ca.example.com", "dns:localhost", "ip:127.0.0.1"]
        );
        assert_eq!(shown("[::]:443", "https://[::1]:443"), ["ip:::1", "dns:localhost"]);
    }

    #[test]
    fn renewal_is_due_after_two_thirds() {
        let (from, to) = (datetime!(2026-06-01 0:00 UTC), datetime!(2026-07-01 0:00 UTC));
        assert!(!due(from, to, datetime!(2026-06-20 23:59 UTC)));
        assert!(due(from, to, datetime!(2026-06-21 0:00 UTC)));
        assert!(due(from, to, datetime!(2026-08-01 0:00 UTC)));
    }

    /// A self-signed certificate for `name` valid until `not_after`, and its key (PEM).
    fn pair(name: &str, not_after: OffsetDateTime) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params.not_before = datetime!(2026-01-01 0:00 UTC);
        params.not_after = not_after;
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
    }

    #[test]
    fn replaced_files_are_presented_and_broken_ones_refused_once() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_file, key_file) = (dir.path().join("tls.pem"), dir.path().join("tls.key"));
        let write = |(cert, key): &(String, String)| {
            std::fs::write(&cert_file, cert).unwrap();
            std::fs::write(&key_file, key).unwrap();
        };
        let later = datetime!(2027-01-01 0:00 UTC);
        write(&pair("first.example", later));
        let clock: Arc<dyn Clock> = Arc::new(signet_model::FixedClock::new(datetime!(2026-06-01 0:00 UTC)));
        let mut reloaded = Reloaded {
            certificate: cert_file.clone(),
            key: key_file.clone(),
            every: None,
            clock,
            seen: Reloaded::state(&cert_file, &key_file),
        };
        assert!(matches!(reloaded.look(), Looked::Unchanged));
        // Replaced: the new pair, once.
        let second = pair("second.example", later);
        write(&second);
        match reloaded.look() {
            Looked::Replaced(_, leaf) => assert!(leaf.subject.contains("second.example"), "{}", leaf.subject),
            other => panic!("{other:?}"),
        }
        assert!(matches!(reloaded.look(), Looked::Unchanged));
        // A key that is not the certificate's (a replacement half done): refused, and said once.
        std::fs::write(&key_file, pair("third.example", later).1).unwrap();
        match reloaded.look() {
            Looked::Refused(why) => assert!(why.contains("does not belong to the first certificate"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(reloaded.look(), Looked::Unchanged));
        // Expired, and unreadable: refused, saying which.
        write(&pair("old.example", datetime!(2026-05-01 0:00 UTC)));
        match reloaded.look() {
            Looked::Refused(why) => assert!(why.contains("expired on 2026-05-01"), "{why}"),
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(&key_file).unwrap();
        match reloaded.look() {
            Looked::Refused(why) => assert!(why.starts_with("cannot read") && why.contains("tls.key"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Fixed: presented again.
        write(&second);
        assert!(matches!(reloaded.look(), Looked::Replaced(..)));
    }
}
