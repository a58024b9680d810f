//! `signet request`, `signet queue` and `signet search`: the clients of a signet server.

use clap::{Args, Subcommand, ValueEnum};

use super::ServerArgs;

/// `signet request ...`
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Submit a CSR under a profile; prints the request ID and a retrieval token.
    #[command(
        after_help = "Examples:\n  signet request submit --csr www.csr --profile test --out www.crt\n  signet request submit --csr www.csr --profile server"
    )]
    Submit(RequestSubmitArgs),
    /// Show where a request stands.
    Status(RequestStatusArgs),
    /// Download an issued certificate with its chain.
    #[command(
        after_help = "Examples:\n  signet request get 12 --out www.crt\n  signet request get 12 --retrieval-token-file r.token --format p7b --out www.p7b"
    )]
    Get(RequestGetArgs),
}

/// `signet request submit`
#[derive(Debug, Args)]
pub struct RequestSubmitArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The CSR (PEM, DER or pasted base64). Example: --csr www.csr
    #[arg(long)]
    pub csr: String,
    /// Profile to request. Example: --profile server
    #[arg(long)]
    pub profile: String,
    /// If issued at once, write the certificate and chain here (PEM). Example: --out www.crt
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Print the server's answer as JSON. Example: signet request submit --csr www.csr --profile test --json
    #[arg(long)]
    pub json: bool,
}

/// Identifies a request for status and retrieval.
#[derive(Debug, Args)]
pub struct RequestRef {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Request ID. Example: 12
    pub id: signet_model::RequestId,
    /// File with the retrieval token printed at submission (instead of an API token). Example:
    /// --retrieval-token-file www.rtoken
    #[arg(long)]
    pub retrieval_token_file: Option<std::path::PathBuf>,
}

/// `signet request status`
#[derive(Debug, Args)]
pub struct RequestStatusArgs {
    /// Which request.
    #[command(flatten)]
    pub request: RequestRef,
    /// Print as JSON. Example: signet request status 12 --json
    #[arg(long)]
    pub json: bool,
}

/// Certificate download formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DownloadFormat {
    /// PEM: the certificate followed by its intermediates (what nginx and Apache want).
    Pem,
    /// DER: the certificate alone.
    Der,
    /// PKCS#7: certificate, intermediates and root (what Windows wants).
    P7b,
}

/// `signet request get`
#[derive(Debug, Args)]
pub struct RequestGetArgs {
    /// Which request.
    #[command(flatten)]
    pub request: RequestRef,
    /// Output file.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Format.
    #[arg(long, value_enum, default_value = "pem")]
    pub format: DownloadFormat,
    /// Replace --out if it exists. Example: --out www.crt --force
    #[arg(long)]
    pub force: bool,
}

/// `signet queue ...`
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List pending requests.
    List(QueueListArgs),
    /// Approve a pending request (optionally only some of its names) and issue it.
    #[command(
        after_help = "Examples:\n  signet queue approve 12\n  signet queue approve 12 --name www.example.com   # drop the other requested names"
    )]
    Approve(QueueApproveArgs),
    /// Deny a pending request with a reason the requester will see.
    #[command(after_help = "Example:\n  signet queue deny 13 --reason \"example.org is not ours\"")]
    Deny(QueueDenyArgs),
}

/// `signet queue list`
#[derive(Debug, Args)]
pub struct QueueListArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print as JSON. Example: signet queue list --json
    #[arg(long)]
    pub json: bool,
}

/// `signet queue approve`
#[derive(Debug, Args)]
pub struct QueueApproveArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Request ID.
    pub id: signet_model::RequestId,
    /// Names to allow (a subset of those requested); repeat. Default: all requested names.
    #[arg(long = "name")]
    pub names: Vec<String>,
}

/// `signet queue deny`
#[derive(Debug, Args)]
pub struct QueueDenyArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Request ID.
    pub id: signet_model::RequestId,
    /// Why (shown to the requester).
    #[arg(long)]
    pub reason: String,
}

/// `signet search`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet search --name example.com\n  signet search --state pending --requester alice\n  signet search --expires-before 2027-01-01T00:00:00Z --json\n  signet search --revoked --reason keyCompromise"
)]
pub struct SearchArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Request ID. Example: --request-id 12
    #[arg(long)]
    pub request_id: Option<String>,
    /// Certificate serial (hex, colons or spaces allowed). Example: --serial 1b:4a:b7:1e
    #[arg(long)]
    pub serial: Option<String>,
    /// Part of a subject or name (CN or SAN). Example: --name example.com
    #[arg(long)]
    pub name: Option<String>,
    /// pending, issued, denied or failed. Example: --state pending
    #[arg(long)]
    pub state: Option<String>,
    /// Requester (token name). Example: --requester alice
    #[arg(long)]
    pub requester: Option<String>,
    /// SHA-256 fingerprint of the certificate or of its key (hex, colons allowed). Example:
    /// --fingerprint 3e:68:34:18:e3:30:ba:cb:4b:ab:7b:47:27:2e:be:6f:2b:63:9c:d1:24:97:33:7d:13:20:0f:21:50:30:f5:cc
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// Certificates expiring after this time (RFC 3339 or a plain date). Example: --expires-after 2027-01-01
    #[arg(long)]
    pub expires_after: Option<String>,
    /// Certificates expiring before this time (RFC 3339 or a plain date). Example: --expires-before 2027-01-01T00:00:00Z
    #[arg(long)]
    pub expires_before: Option<String>,
    /// At most this many results, newest first (1-1000; the server's default is 100). Example: --limit 500
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
    /// Only revoked certificates (holds included). Example: --revoked
    #[arg(long, conflicts_with = "not_revoked")]
    pub revoked: bool,
    /// Only issued certificates that are not revoked. Example: --not-revoked --expires-before 2027-01-01
    #[arg(long)]
    pub not_revoked: bool,
    /// Only certificates revoked for this reason. Example: --reason keyCompromise
    #[arg(long, conflicts_with = "not_revoked")]
    pub reason: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}
