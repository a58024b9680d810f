//! The command-line grammar of revocation: `signet revoke`, `signet unrevoke`, `signet crl`,
//! `signet ocsp`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use signet_model::{RequestId, RevocationReason};

use super::{DataArgs, ServerArgs};

fn reason(text: &str) -> Result<RevocationReason, String> {
    RevocationReason::parse(text).map_err(|e| e.to_string())
}

/// A CA name as `signet ca init` allows it (it goes into URL paths, so nothing else is sent).
fn ca_name(text: &str) -> Result<String, String> {
    let ok =
        !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not a CA name: 1-64 letters, digits, - or _ (`signet ca list` shows the CAs)"))
    }
}

/// `signet revoke`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet revoke 1b:4a:b7:1e:00:00:00:00:00:1d --reason keyCompromise\n  signet revoke --request 12 --reason superseded\n  signet revoke 1b4ab71e00000000001d --ca dev-issuing --reason keyCompromise --invalidity-date 2026-11-20T08:00:00Z\n  signet revoke --request 12 --reason cessationOfOperation --retrieval-token-file www.rtoken\n  signet revoke --cert www.crt --reason keyCompromise\n\nCertificate Managers revoke any certificate for any reason; the requester may revoke its own\nfor keyCompromise, superseded or cessationOfOperation. Only certificateHold can be undone\n(signet unrevoke).",
    group = clap::ArgGroup::new("which").args(["serial", "request", "cert"]).required(true).multiple(false)
)]
pub struct RevokeArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Serial of the certificate (hex; colons, spaces and 0x allowed). Example: 1b:4a:b7:1e
    pub serial: Option<String>,
    /// Revoke the certificate issued for this request instead of naming its serial. Example: --request 12
    #[arg(long)]
    pub request: Option<RequestId>,
    /// Revoke the certificate in this file (PEM, DER or PKCS#7; the first certificate of a chain
    /// such as fullchain.pem), its serial read from it. Example: --cert www.crt
    #[arg(long)]
    pub cert: Option<String>,
    /// Why: keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation,
    /// certificateHold (can be released), privilegeWithdrawn or unspecified. Example: --reason keyCompromise
    #[arg(long, value_parser = reason)]
    pub reason: RevocationReason,
    /// When the key was, or may have been, compromised: RFC 3339 or a plain date (midnight UTC),
    /// not in the future. Example: --invalidity-date 2026-11-20T08:00:00Z, --invalidity-date 2026-11-20
    #[arg(long)]
    pub invalidity_date: Option<String>,
    /// The issuing CA of SERIAL; without it, the one CA that has a certificate with that serial.
    /// Example: --ca dev-issuing
    #[arg(long, conflicts_with = "request", value_parser = ca_name)]
    pub ca: Option<String>,
    /// File with the retrieval token printed at submission: revoke as the requester, without an
    /// API token. Example: --retrieval-token-file www.rtoken
    #[arg(long)]
    pub retrieval_token_file: Option<PathBuf>,
    /// Print the certificate's new status as JSON. Example: signet revoke --request 12 --reason superseded --json
    #[arg(long)]
    pub json: bool,
}

/// `signet unrevoke`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet unrevoke 1b:4a:b7:1e:00:00:00:00:00:1d\n  signet unrevoke 1b4ab71e00000000001d --ca dev-issuing --json\n  signet unrevoke --request 12\n\nOnly a certificate revoked for certificateHold can be released; a Certificate Manager does it.",
    group = clap::ArgGroup::new("which").args(["serial", "request", "cert"]).required(true).multiple(false)
)]
pub struct UnrevokeArgs {
    /// Server and token.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Serial of the held certificate (hex; colons, spaces and 0x allowed). Example: 1b:4a:b7:1e
    pub serial: Option<String>,
    /// Release the certificate issued for this request instead of naming its serial. Example: --request 12
    #[arg(long)]
    pub request: Option<RequestId>,
    /// Release the certificate in this file (the first certificate of a chain). Example: --cert www.crt
    #[arg(long)]
    pub cert: Option<String>,
    /// Its issuing CA; without it, the one CA that has a certificate with that serial. Example: --ca dev-issuing
    #[arg(long, conflicts_with = "request", value_parser = ca_name)]
    pub ca: Option<String>,
    /// Print the certificate's new status as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet crl ...`
#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Download a CA's CRL (the full one, or one partition) from a signet server.
    #[command(
        after_help = "Examples:\n  signet crl get --ca dev-issuing --out dev-issuing.crl\n  signet crl get --ca dev-issuing --shard 3 --out dev-issuing-3.crl\n  signet crl get --url http://pki.example.com/crl/dev-issuing.crl --out dev-issuing.crl"
    )]
    Get(CrlGetArgs),
    /// Make and sign the due CRLs now, in this process, from the data directory (what `signet
    /// serve` does in the background); `--force` makes every CRL, due or not.
    #[command(
        after_help = "Examples:\n  signet crl publish\n  signet crl publish --data /var/lib/signet --force --json\n\nWhen a `signet serve` on the same database holds the publishing lease, it publishes and this\ncommand does nothing (exit 1)."
    )]
    Publish(CrlPublishArgs),
    /// Describe a CRL file: issuer, number, partition, times, entries.
    #[command(
        after_help = "Examples:\n  signet crl inspect dev-issuing.crl\n  signet crl inspect dev-issuing.crl --json"
    )]
    Inspect(CrlInspectArgs),
}

/// `signet crl get`
#[derive(Debug, Args)]
pub struct CrlGetArgs {
    /// Server (no token is needed: CRLs are public).
    #[command(flatten)]
    pub server: ServerArgs,
    /// The CA whose CRL to fetch. Example: --ca dev-issuing
    #[arg(long, required_unless_present = "url", value_parser = ca_name)]
    pub ca: Option<String>,
    /// One partition of a partitioned CA's CRL instead of the full one. Example: --shard 3
    #[arg(long, requires = "ca")]
    pub shard: Option<u16>,
    /// Fetch this URL instead (a CRL distribution point from a certificate). Example:
    /// --url http://pki.example.com/crl/dev-issuing.crl
    #[arg(long, conflicts_with_all = ["ca", "shard"])]
    pub url: Option<String>,
    /// Where to write the CRL (DER). Example: --out dev-issuing.crl
    #[arg(long)]
    pub out: PathBuf,
    /// Write PEM instead of DER. Example: --out dev-issuing.pem --pem
    #[arg(long)]
    pub pem: bool,
    /// Replace --out if it exists. Example: --out dev-issuing.crl --force
    #[arg(long)]
    pub force: bool,
    /// Describe the CRL written as JSON, as `signet crl inspect --json` does. Example: signet crl
    /// get --ca dev-issuing --out dev-issuing.crl --json
    #[arg(long)]
    pub json: bool,
}

/// `signet crl publish`
#[derive(Debug, Args)]
pub struct CrlPublishArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Make every CRL now, even those not due.
    #[arg(long)]
    pub force: bool,
    /// Print what was published as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet crl inspect`
#[derive(Debug, Args)]
pub struct CrlInspectArgs {
    /// The CRL (PEM, DER or pasted base64; `-` for standard input).
    pub file: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet ca status`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet ca status\n  signet ca status --data /var/lib/signet --json\nExit status: 1 when a CRL is missing, stale or about to become stale."
)]
pub struct CaStatusArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet ocsp ...`
#[derive(Debug, Subcommand)]
pub enum OcspCommand {
    /// Run only the OCSP responder, reading the responses `signet serve` signs ahead from the same
    /// database (read-only; never migrates it), to scale OCSP out apart from issuance.
    #[command(
        after_help = "Examples:\n  signet ocsp serve --listen 0.0.0.0:8080\n  signet ocsp serve --data /var/lib/signet --listen 127.0.0.1:8888\n\nIt answers POST / and /ocsp, GET /BASE64 and /ocsp/BASE64, and /healthz. With the CA\npassphrase (the data directory's file or SIGNET_CA_PASSPHRASE) it also opens the delegated\nresponders' keys (never a CA key) to answer serials never issued (unknown) and nonces;\nwithout it those get unauthorized."
    )]
    Serve(OcspServeArgs),
}

/// `signet ocsp serve`
#[derive(Debug, Args)]
pub struct OcspServeArgs {
    /// Data location (its signet.toml names the database).
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on. Example: --listen 0.0.0.0:8080
    #[arg(long)]
    pub listen: String,
}
