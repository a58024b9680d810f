//! What `signet serve` says when it starts: where it listens and keeps its data, how commands in
//! other directories find it, and, on the first start, where the root certificates are with their
//! fingerprints, how to verify against them and trust them, and how to make the other roles'
//! tokens (the first admin token holds CA Administrator only).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use signet_store::{CaKind, StoreRead};

use crate::data::admin_token_path;
use crate::error::{CliError, CliResult};
use crate::files::absolute;
use crate::locate::{self, Recorded};
use crate::output::colons;

/// A CA certificate file in the data directory.
#[derive(Debug, Clone)]
pub struct CaFile {
    /// The CA's name.
    pub name: String,
    /// Root, test root or subordinate.
    pub kind: CaKind,
    /// Its parent, for subordinates.
    pub parent: Option<String>,
    /// DATA/cas/NAME.pem.
    pub file: PathBuf,
    /// SHA-256 of the certificate DER, hex.
    pub sha256: String,
}

/// The CA certificates of the store, as exported to DATA/cas.
pub async fn ca_files(dir: &Path, store: &dyn StoreRead) -> CliResult<Vec<CaFile>> {
    let cas = store.cas().await.map_err(|e| CliError::runtime(e.to_string()))?;
    Ok(cas
        .into_iter()
        .filter_map(|ca| {
            let der = ca.certificate.as_ref()?;
            Some(CaFile {
                file: dir.join("cas").join(format!("{}.pem", ca.name)),
                sha256: signet_codec::public_key::sha256_hex(der),
                name: ca.name,
                kind: ca.kind,
                parent: ca.parent,
            })
        })
        .collect())
}

/// What the server prints once it is listening.
pub struct Banner<'a> {
    /// The data directory.
    pub dir: &'a Path,
    /// "SQLite /path" or "PostgreSQL".
    pub backend: String,
    /// Where it listens.
    pub listening: SocketAddr,
    /// Where signet.toml says it listens (where client commands look).
    pub configured: SocketAddr,
    /// How clients reach the HTTPS API.
    pub public_url: &'a str,
    /// Where the plain-HTTP listener listens.
    pub http_listening: SocketAddr,
    /// Its URL in certificates.
    pub http_public_url: &'a str,
    /// Where the HTTPS certificate came from.
    pub tls_source: &'a str,
    /// Its end of validity.
    pub tls_not_after: time::OffsetDateTime,
    /// Issued and renewed by this server (clients trust DATA/roots.pem).
    pub managed_tls: bool,
    /// The ACME line, when ACME is served.
    pub acme: Option<&'a str>,
    /// Known-compromised keys refused.
    pub weak_keys: usize,
    /// The CA certificates.
    pub cas: &'a [CaFile],
    /// Whether this start created the CA.
    pub fresh: bool,
}

/// Prints the start-up text.
pub fn print(banner: &Banner<'_>) {
    let dir = banner.dir;
    let base = format!("https://{}", banner.listening);
    say!("signet serve: listening on {base}");
    say!("  data:         {} ({})", absolute(dir), banner.backend);
    if banner.public_url != base {
        say!("  public URL:   {}", banner.public_url);
    }
    say!("  API:          {base}/api/v1   health: {base}/healthz   metrics: {base}/metrics");
    say!("  CAs:          {base}/api/v1/cas");
    if let Some(acme) = banner.acme {
        say!("  ACME:         {acme}");
    }
    say!(
        "  plain HTTP:   http://{} (CA certificates, CRLs, OCSP only; certificates point at {})",
        banner.http_listening,
        banner.http_public_url
    );
    say!(
        "  HTTPS cert:   {}, valid until {}{}",
        banner.tls_source,
        signet_model::time_text::format(banner.tls_not_after),
        if banner.managed_tls { ", renewed by signet" } else { "" }
    );
    let roots = absolute(&crate::commands::ca::roots_path(dir));
    if banner.managed_tls {
        say!("  trust:        {roots} (the roots; the HTTPS certificate chains to one of them)");
        say!("    curl --cacert {roots} {base}/healthz");
        say!("    export REQUESTS_CA_BUNDLE={roots}     # certbot and other Python clients");
        say!("    export LEGO_CA_CERTIFICATES={roots}   # lego");
    } else {
        say!(
            "  trust:        {roots} (the roots of the certificates this CA issues; HTTPS clients trust the issuer of server.tls_cert)"
        );
    }
    if banner.weak_keys > 0 {
        say!("  weak keys:    {} known-compromised RSA keys refused", banner.weak_keys);
    }
    let token = admin_token_path(dir);
    if token.exists() {
        say!("  admin token:  {} (mode 0600; CA Administrator; the CLI uses it by default)", absolute(&token));
    }
    say_where_clients_find_this(dir, banner.configured, banner.listening);
    let roots: Vec<&CaFile> = banner.cas.iter().filter(|ca| ca.kind != CaKind::Subordinate).collect();
    if banner.fresh {
        first_start_guide(banner.cas, &roots);
    } else {
        for root in &roots {
            say!("  root:         {} (SHA-256 {})", absolute(&root.file), colons(&root.sha256));
        }
    }
}

/// Records this data directory as the user's default (unless another working one is) and says
/// how client commands in other directories find this server.
fn say_where_clients_find_this(dir: &Path, configured: SocketAddr, listening: SocketAddr) {
    match locate::record(dir) {
        Ok(Recorded::Written(record) | Recorded::Unchanged(record)) => {
            say!("  clients:      signet commands in any directory use this CA (recorded in {})", record.display());
        }
        Ok(Recorded::Other { record, dir: other }) => {
            say!(
                "  clients:      signet commands use the CA in {} by default ({}); give --data {} for this one",
                other.display(),
                record.display(),
                absolute(dir)
            );
        }
        Err(e) => crate::output::warn(&format!(
            "{e}; signet commands in other directories find this CA only with --data {}",
            absolute(dir)
        )),
    }
    if configured != listening {
        crate::output::note(&format!(
            "signet.toml says listen = \"{configured}\", which is where client commands look; with --listen {listening} they need --server https://{listening}"
        ));
    }
}

/// Where the roots are, how to check and trust them, the other roles, the first certificate.
fn first_start_guide(cas: &[CaFile], roots: &[&CaFile]) {
    say!();
    say!("Root certificates (what relying parties trust; compare the fingerprint before trusting a copy):");
    for root in roots {
        let note = if root.kind == CaKind::TestRoot {
            "FOR TESTING ONLY: issues the test profile's certificates"
        } else {
            "issues through its subordinate CAs"
        };
        say!("  {:<12}  {}  ({note})", root.name, absolute(&root.file));
        say!("  {:<12}  SHA-256 {}", "", colons(&root.sha256));
    }
    say!("  Check a copy:  openssl x509 -in ROOT.pem -noout -fingerprint -sha256");
    if let Some(root) = roots.iter().find(|r| r.kind == CaKind::Root) {
        let root_file = absolute(&root.file);
        let issuing = cas.iter().find(|ca| ca.parent.as_deref() == Some(root.name.as_str()));
        say!("Verify a certificate (the PEM `signet request get` writes holds the intermediates):");
        match issuing {
            Some(issuing) => {
                say!("  openssl verify -CAfile {root_file} -untrusted {} www.crt", absolute(&issuing.file));
            }
            None => say!("  openssl verify -CAfile {root_file} -untrusted www.crt www.crt"),
        }
        say!("  signet verify www.crt --roots {root_file} --host www.example.com");
        say!("Trust it on a machine (administrator rights; only for a CA you run):");
        say!(
            "  Debian/Ubuntu: sudo cp {root_file} /usr/local/share/ca-certificates/signet-{}.crt && sudo update-ca-certificates",
            root.name
        );
        say!(
            "  macOS:         sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {root_file}"
        );
        say!(
            "  Windows:       certutil -addstore -f Root {}.pem   (a copy of the file; administrator prompt)",
            root.name
        );
    }
    say!("Roles: the admin token is a CA Administrator (tokens, CAs, profiles); it cannot approve requests");
    say!("or read the audit log. Give those roles their own tokens:");
    say!("  signet token create --name manager --role certificate-manager --out manager.token   # approves and denies");
    say!("  signet token create --name auditor --role auditor --out auditor.token               # reads the audit log");
    say!("First certificate:");
    say!("  signet csr new --new-key ec-p256 --key-out www.key --cn www.example.com --out www.csr");
    say!("  signet request submit --csr www.csr --profile test --out www.crt   # test CA: issued at once");
    say!("  signet request submit --csr www.csr --profile server               # waits for a Certificate Manager");
    say!("  signet queue approve ID --token-file manager.token && signet request get ID --out www.crt");
}
