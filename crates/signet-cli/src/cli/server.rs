//! Arguments of `signet serve`, and how client commands reach a server (its URL, the roots its
//! HTTPS certificate chains to, the token).

use std::path::PathBuf;

use clap::Args;

use super::DataArgs;

/// `signet serve`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet serve                         # ./signet-data (made on first start) or your recorded CA\n  signet serve --data /var/lib/signet --listen 127.0.0.1:9443 --http-listen 127.0.0.1:9080"
)]
pub struct ServeArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Address of the HTTPS API (and ACME), overriding the configuration. Example: --listen 127.0.0.1:9443
    #[arg(long)]
    pub listen: Option<String>,
    /// Address of the plain-HTTP listener (CA certificates, CRLs, OCSP), overriding the
    /// configuration. Example: --http-listen 127.0.0.1:9080
    #[arg(long)]
    pub http_listen: Option<String>,
    /// On first start, use this PostgreSQL database instead of SQLite (written to signet.toml).
    /// Further front ends start with the same data directory (or a copy of signet.toml and
    /// ca-passphrase). Example: --database-url postgres://signet@127.0.0.1/signet
    #[arg(long, env = "SIGNET_DATABASE_URL")]
    pub database_url: Option<String>,
    /// On first start, the URL clients reach the HTTPS API at (its host goes into the server's
    /// certificate; certificates point at the same host on the plain-HTTP port). A public CA
    /// needs a public host name here. Example: --public-url https://pki.example.com:8443
    #[arg(long)]
    pub public_url: Option<String>,
    /// Let ACME orders through without checking their challenges or CAA, for benchmarks only;
    /// also needs `danger_skip_validation = true` in [acme]. Example: --danger-skip-validation
    #[arg(long)]
    pub danger_skip_validation: bool,
}

/// How client commands reach a server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Server URL (or $SIGNET_SERVER). Default: https:// the `listen` address in the data
    /// directory's signet.toml. Example: --server https://127.0.0.1:8443
    #[arg(long, env = "SIGNET_SERVER", hide_env = true)]
    pub server: Option<String>,
    /// File holding an API token (or $SIGNET_TOKEN_FILE; or the token itself in $SIGNET_TOKEN).
    /// Default: the admin token in the data directory. Example: --token-file manager.token
    #[arg(long, env = "SIGNET_TOKEN_FILE", hide_env = true)]
    pub token_file: Option<PathBuf>,
    /// PEM file of the root certificates to trust for the server's HTTPS certificate (or
    /// $SIGNET_CA_BUNDLE), besides the system's. Default: roots.pem in the data directory.
    /// Example: --ca-bundle /etc/signet/roots.pem
    #[arg(long, env = "SIGNET_CA_BUNDLE", hide_env = true)]
    pub ca_bundle: Option<PathBuf>,
    /// Data directory to take the server URL, roots and admin token from; found as for `signet
    /// token create` when not given. Example: --data /var/lib/signet
    #[arg(long)]
    pub data: Option<PathBuf>,
}
