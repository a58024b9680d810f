//! The command-line grammar: every subcommand and flag, with help text and examples.
//!
//! Parsed raw by clap here; each command validates its arguments into a ready-to-run form.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::cli_server::{ServeArgs, ServerArgs};
pub use crate::cli_tokens::{TokenCommand, TokenCreateArgs, TokenListArgs, TokenRevokeArgs};

/// signet: one tool for the whole life of an X.509 certificate.
#[derive(Debug, Parser)]
#[command(
    name = "signet",
    version,
    about = "Keys, CSRs, certificates and a certificate authority, in one binary",
    long_about = "signet makes keys and certificate requests with the right names, inspects and converts any PKI \
file, verifies chains, and runs a certificate authority.\n\nEvery command explains its flags with `signet COMMAND --help`.",
    after_help = "Examples:\n  signet key new --alg ec-p256 --out www.key\n  signet csr new --key www.key --cn www.example.com --san example.com --out www.csr\n  signet inspect www.csr\n  signet verify fullchain.pem --host www.example.com"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make and manage private keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Make certificate signing requests (CSRs).
    #[command(subcommand)]
    Csr(CsrCommand),
    /// Describe any PKI file: certificate, CSR, CRL, key, PKCS#7, PKCS#12, OCSP.
    Inspect(InspectArgs),
    /// Check whether keys, CSRs and certificates share one public key.
    Match(MatchArgs),
    /// Convert between PEM, DER, PKCS#7 (.p7b) and PKCS#12 (.p12/.pfx).
    Convert(ConvertArgs),
    /// Build and check a certificate's chain, validity, name and usage.
    Verify(VerifyArgs),
    /// Run the certificate authority's HTTPS API and ACME server (creates a development CA on first start).
    Serve(ServeArgs),
    /// Create and complete CAs in the data directory.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Create API tokens bound to roles.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Administer the ACME server (External Account Binding keys).
    #[command(subcommand)]
    Acme(crate::cli_acme::AcmeCommand),
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Submit CSRs to a signet server and fetch the certificates.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Certificate Managers: list, approve and deny pending requests.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Search requests and certificates on a signet server.
    Search(SearchArgs),
    /// Revoke a certificate, by serial or by request, with a reason.
    Revoke(crate::cli_revocation::RevokeArgs),
    /// Release a certificate from hold (certificateHold is the only reason that can be undone).
    Unrevoke(crate::cli_revocation::UnrevokeArgs),
    /// Fetch a CA's CRL from a server, or describe a CRL file.
    #[command(subcommand)]
    Crl(crate::cli_revocation::CrlCommand),
    /// Run the OCSP responder on its own.
    #[command(subcommand)]
    Ocsp(crate::cli_revocation::OcspCommand),
}

/// Where the CA's data lives.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data directory: signet.toml, the SQLite database, the CA passphrase file, the admin token.
    /// Without it: $SIGNET_DATA, then ./signet-data, then the directory `signet serve` last
    /// recorded in ~/.config/signet/data-dir ($XDG_CONFIG_HOME/signet). Example: --data /var/lib/signet
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
}

impl DataArgs {
    /// The data directory of an existing CA, found as documented on `--data`.
    pub fn dir(&self) -> crate::error::CliResult<std::path::PathBuf> {
        crate::locate::data_dir(self.data.as_deref())
    }
}

/// `signet ca ...`
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a root, a test root, a subordinate under a local CA, or a subordinate CSR for an external parent.
    #[command(
        after_help = "Examples:\n  signet ca init --name corp-root --root --cn \"Example Corp Root CA\" --alg ec-p384 --validity-days 7300\n  signet ca init --name corp-issuing --parent corp-root --cn \"Example Corp Issuing CA\" --path-length 0\n  signet ca init --name offline-sub --external --cn \"Example Sub CA\" --csr-out sub.csr"
    )]
    Init(CaInitArgs),
    /// Install the certificate an external parent issued for a CA made with --external.
    InstallCert(CaInstallArgs),
    /// List the CAs in the data directory, with their certificate files and fingerprints.
    List(CaListArgs),
    /// Write a CA's certificate to a file, e.g. the root that relying parties trust.
    #[command(
        after_help = "Examples:\n  signet ca export --name dev-root --out dev-root.pem\n  signet verify www.crt --roots dev-root.pem --host www.example.com"
    )]
    Export(CaExportArgs),
    /// Show each CA's CRLs: number, age, next update; warns before one goes stale.
    Status(crate::cli_revocation::CaStatusArgs),
}

/// `signet ca export`
#[derive(Debug, Args)]
pub struct CaExportArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The CA (see `signet ca list`). Example: --name dev-root
    #[arg(long)]
    pub name: String,
    /// Where to write its certificate (PEM). Example: --out dev-root.pem
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Replace --out if it exists (never a file holding a private key).
    #[arg(long)]
    pub force: bool,
}

/// `signet ca init`
#[derive(Debug, Args)]
pub struct CaInitArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Name of the new CA (letters, digits, - and _). Example: --name corp-issuing
    #[arg(long)]
    pub name: String,
    /// Make a self-signed root.
    #[arg(long, conflicts_with_all = ["parent", "external", "test"])]
    pub root: bool,
    /// Make a self-signed root FOR TESTING ONLY (its certificates are flagged as test certificates).
    #[arg(long, conflicts_with_all = ["parent", "external"])]
    pub test: bool,
    /// Sign the new CA with this local CA. Example: --parent corp-root
    #[arg(long, conflicts_with = "external")]
    pub parent: Option<String>,
    /// Make a CSR for a parent CA outside signet; finish with `signet ca install-cert`.
    #[arg(long)]
    pub external: bool,
    /// Where to write the CSR with --external. Example: --csr-out sub.csr
    #[arg(long, requires = "external")]
    pub csr_out: Option<std::path::PathBuf>,
    /// Common Name of the CA. Example: --cn "Example Issuing CA 1"
    #[arg(long)]
    pub cn: String,
    /// Organization. Example: --org "Example Ltd"
    #[arg(long)]
    pub org: Option<String>,
    /// Country (ISO 3166 two letters; none by default, as a private CA may; a publicly trusted CA names its own). Example: --country GB
    #[arg(long)]
    pub country: Option<String>,
    /// Key algorithm of the CA key.
    #[arg(long, value_enum, default_value = "ec-p384")]
    pub alg: AlgArg,
    /// Validity in days, 1 to 36525 (roots default to 3650, subordinates to 1825).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=signet_issuance::profile::MAX_VALIDITY_DAYS))]
    pub validity_days: Option<i64>,
    /// pathLenConstraint: how many CA levels may follow below. Example: --path-length 0
    #[arg(long)]
    pub path_length: Option<u8>,
    /// Name constraint: DNS subtree the CA may issue for; repeat for several. Example: --permitted-dns example.com
    #[arg(long)]
    pub permitted_dns: Vec<String>,
}

/// `signet ca install-cert`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet ca install-cert --name offline-sub --cert sub.crt --roots parent-root.pem\n  signet ca install-cert --name offline-sub --cert sub-fullchain.pem --roots parent-root.pem --chain parent-intermediates.pem"
)]
pub struct CaInstallArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The CA made with `ca init --external`. Example: --name offline-sub
    #[arg(long)]
    pub name: String,
    /// The certificate the parent issued (PEM or DER); further certificates in the file are
    /// its chain. Example: --cert sub.crt
    #[arg(long)]
    pub cert: String,
    /// The parent's root certificate(s): the new CA certificate must verify against them before
    /// it is installed (recommended). Example: --roots parent-root.pem
    #[arg(long)]
    pub roots: Option<String>,
    /// Intermediate certificates between the new CA and the root. Example: --chain parent-chain.pem
    #[arg(long)]
    pub chain: Option<String>,
}

/// `signet ca list`
#[derive(Debug, Args)]
pub struct CaListArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain and report any edited or removed entry.
    Verify(AuditVerifyArgs),
    /// Show audit entries: the newest by default, or a range from a sequence number.
    List(AuditListArgs),
}

/// `signet audit list`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet audit list                         # the newest 50 entries\n  signet audit list --from 1 --limit 1000 --json\n  signet audit list --action config.change  # configuration changes among the newest 50"
)]
pub struct AuditListArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// First sequence number to show; without it, the newest entries. Example: --from 1200
    #[arg(long)]
    pub from: Option<i64>,
    /// How many entries to read (1-1000). Example: --limit 200
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
    /// Show only entries whose action starts with this, among those read. Example: --action request.
    #[arg(long)]
    pub action: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet audit verify`
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate signet.toml and print the profiles it defines.
    Check(ConfigCheckArgs),
}

/// `signet config check`
#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
}

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
    /// Print the server's answer as JSON.
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
    /// File with the retrieval token printed at submission (instead of an API token).
    #[arg(long)]
    pub retrieval_token_file: Option<std::path::PathBuf>,
}

/// `signet request status`
#[derive(Debug, Args)]
pub struct RequestStatusArgs {
    /// Which request.
    #[command(flatten)]
    pub request: RequestRef,
    /// Print as JSON.
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
    /// Replace --out if it exists.
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
    /// Print as JSON.
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
    /// Request ID.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Certificate serial (hex, colons or spaces allowed).
    #[arg(long)]
    pub serial: Option<String>,
    /// Part of a subject or name (CN or SAN).
    #[arg(long)]
    pub name: Option<String>,
    /// pending, issued, denied or failed.
    #[arg(long)]
    pub state: Option<String>,
    /// Requester (token name).
    #[arg(long)]
    pub requester: Option<String>,
    /// SHA-256 fingerprint of the certificate or of its key.
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
    /// Only revoked certificates (holds included).
    #[arg(long, conflicts_with = "not_revoked")]
    pub revoked: bool,
    /// Only issued certificates that are not revoked.
    #[arg(long)]
    pub not_revoked: bool,
    /// Only certificates revoked for this reason. Example: --reason keyCompromise
    #[arg(long, conflicts_with = "not_revoked")]
    pub reason: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new private key (PKCS#8 PEM, mode 0600).
    #[command(
        after_help = "Examples:\n  signet key new --alg ec-p256 --out www.key\n  signet key new --alg rsa-3072 --out www.key --encrypt --pass-file pass.txt"
    )]
    New(KeyNewArgs),
}

/// Key algorithms on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgArg {
    /// ECDSA P-256: fast, small, accepted everywhere.
    #[value(name = "ec-p256")]
    EcP256,
    /// ECDSA P-384.
    #[value(name = "ec-p384")]
    EcP384,
    /// RSA 2048-bit.
    #[value(name = "rsa-2048")]
    Rsa2048,
    /// RSA 3072-bit.
    #[value(name = "rsa-3072")]
    Rsa3072,
    /// RSA 4096-bit (takes a second or two).
    #[value(name = "rsa-4096")]
    Rsa4096,
    /// Ed25519 (not accepted by public TLS CAs).
    #[value(name = "ed25519")]
    Ed25519,
}

impl AlgArg {
    /// The key algorithm.
    pub fn algorithm(self) -> signet_keys::KeyAlgorithm {
        use signet_keys::KeyAlgorithm as K;
        match self {
            Self::EcP256 => K::EcP256,
            Self::EcP384 => K::EcP384,
            Self::Rsa2048 => K::Rsa2048,
            Self::Rsa3072 => K::Rsa3072,
            Self::Rsa4096 => K::Rsa4096,
            Self::Ed25519 => K::Ed25519,
        }
    }
}

/// Key derivation for encrypted keys.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum KdfArg {
    /// scrypt (memory-hard; default).
    #[default]
    Scrypt,
    /// PBKDF2-HMAC-SHA256, 600,000 iterations (for tools without scrypt).
    Pbkdf2,
}

/// Options for encrypting a key being written.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// Encrypt the key with a passphrase (PBES2, AES-256-CBC). The passphrase comes from
    /// --pass-file, the SIGNET_PASSPHRASE environment variable, or is asked twice on the terminal.
    #[arg(long)]
    pub encrypt: bool,
    /// Key derivation for --encrypt. Example: --kdf pbkdf2
    #[arg(long, value_enum, default_value_t = KdfArg::Scrypt)]
    pub kdf: KdfArg,
}

/// `signet key new`
#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// Key algorithm. Example: --alg rsa-3072
    #[arg(long, value_enum, default_value = "ec-p256")]
    pub alg: AlgArg,
    /// Where to write the key (PKCS#8 PEM, created with mode 0600). Example: --out www.example.com.key
    #[arg(long)]
    pub out: PathBuf,
    /// Encryption of the key file.
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// File whose first line is the passphrase (with --encrypt). Example: --pass-file ~/.secrets/key.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Accepted for symmetry with other commands, but never replaces a key: see --replace-key.
    #[arg(long)]
    pub force: bool,
    /// Replace an existing key file at --out; the old file is kept as FILE.replaced-TIME, never
    /// deleted. Refused while a certificate or CSR beside it needs that key and no other copy is
    /// there. Example: --out www.key --replace-key
    #[arg(long)]
    pub replace_key: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet csr ...`
#[derive(Debug, Subcommand)]
pub enum CsrCommand {
    /// Create a CSR from an existing key, or a new key and its CSR together.
    #[command(
        after_help = "Examples:\n  signet csr new --key www.key --cn www.example.com --san example.com --out www.csr\n  signet csr new --new-key ec-p256 --key-out www.key --cn www.example.com --org \"Example Ltd\" --country GB --out www.csr\n  signet csr new --key k.pem --cn www.example.com --san ip:192.0.2.10 --san email:ops@example.com --out www.csr"
    )]
    New(CsrNewArgs),
}

/// `signet csr new`
#[derive(Debug, Args)]
pub struct CsrNewArgs {
    /// Existing private key to certify (plain or encrypted PEM/DER). Example: --key www.key
    #[arg(long, conflicts_with = "new_key", required_unless_present = "new_key")]
    pub key: Option<String>,
    /// Generate a new key of this algorithm as well, as IIS does. Example: --new-key ec-p256
    #[arg(long, value_enum, requires = "key_out")]
    pub new_key: Option<AlgArg>,
    /// Where to write the new key (with --new-key). Example: --key-out www.key
    #[arg(long)]
    pub key_out: Option<PathBuf>,
    /// Encryption of the new key file.
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// Passphrase file for --key (reading) or --encrypt (writing). Example: --pass-file key.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Common Name: the exact host name users type, without https:// or a path. Example: --cn www.example.com
    #[arg(long)]
    pub cn: Option<String>,
    /// Organization: the legal name, not abbreviated. Example: --org "Example Ltd"
    #[arg(long)]
    pub org: Option<String>,
    /// Organizational Unit (most CAs ignore it). Example: --ou IT
    #[arg(long)]
    pub ou: Option<String>,
    /// Locality: the city. Example: --locality Houston
    #[arg(long)]
    pub locality: Option<String>,
    /// State or province, in full. Example: --state Texas
    #[arg(long)]
    pub state: Option<String>,
    /// Two-letter ISO 3166 country code (UK is GB). Example: --country GB
    #[arg(long)]
    pub country: Option<String>,
    /// E-mail address for the subject. Example: --email ops@example.com
    #[arg(long)]
    pub email: Option<String>,
    /// Subject alternative name; repeat for several. Prefix with dns:, ip:, email: or uri: (inferred
    /// when omitted). The CN is added automatically. Example: --san example.com --san ip:192.0.2.10
    #[arg(long)]
    pub san: Vec<String>,
    /// Where to write the CSR (PEM); standard output if omitted. Example: --out www.csr
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing --out CSR (never a key file: see --replace-key). Example: --out www.csr --force
    #[arg(long)]
    pub force: bool,
    /// With --new-key: replace an existing --key-out file; the old file is kept as
    /// FILE.replaced-TIME, never deleted. Refused while a certificate or CSR beside it needs that
    /// key and no other copy is there. Example: --key-out www.key --replace-key
    #[arg(long, requires = "new_key")]
    pub replace_key: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet inspect`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet inspect www.example.com.crt\n  signet inspect bundle.p12 --pass-file p12.pass\n  signet inspect request.csr --json"
)]
pub struct InspectArgs {
    /// The file to describe (PEM, DER or pasted base64; `-` for standard input).
    pub file: String,
    /// Passphrase file for an encrypted key or PKCS#12 file (or set SIGNET_PASSPHRASE). Example: --pass-file p12.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Print the description as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet match`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet match www.key www.csr www.crt\n  signet match server.p12 --pass-file p12.pass\nExit status: 0 when everything shares one key, 1 when not."
)]
pub struct MatchArgs {
    /// Keys, CSRs, certificates or PKCS#12 files (at least two objects in all).
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<String>,
    /// Passphrase file for encrypted keys and PKCS#12 files (or SIGNET_PASSPHRASE).
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PEM text (any number of objects).
    Pem,
    /// Binary DER (exactly one object).
    Der,
    /// PKCS#7 certs-only bundle (.p7b): certificates and their chain, no key.
    P7b,
    /// PKCS#12 (.p12/.pfx): one key with its certificate and chain, password-protected.
    P12,
}

/// `signet convert`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet convert www.crt --to der --out www.cer\n  signet convert fullchain.pem --to p7b --out chain.p7b\n  signet convert www.crt --key www.key --chain intermediate.pem --to p12 --out www.p12\n  signet convert legacy.pfx --pass-file pfx.pass --to pem --out www.pem"
)]
pub struct ConvertArgs {
    /// Input file (PEM, DER, base64, PKCS#7 or PKCS#12; `-` for standard input).
    pub input: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: FormatArg,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
    /// Private key to bundle into a PKCS#12 file. Example: --key www.key
    #[arg(long)]
    pub key: Option<String>,
    /// Intermediate certificates to include (PEM bundle or .p7b). Example: --chain intermediates.pem
    #[arg(long)]
    pub chain: Option<String>,
    /// Friendly name inside the PKCS#12 file (default: the certificate's CN). Example: --name "www 2026"
    #[arg(long)]
    pub name: Option<String>,
    /// Passphrase file for the input (encrypted key, PKCS#12) (or SIGNET_PASSPHRASE).
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Password file for the PKCS#12 file written (or SIGNET_OUT_PASSPHRASE); without it a strong
    /// password is generated and printed once. Example: --out-pass-file p12.pass
    #[arg(long)]
    pub out_pass_file: Option<PathBuf>,
    /// Write PKCS#12 with 3DES and a SHA-1 MAC, for Windows before 10 (1709) and Java 8.
    #[arg(long)]
    pub legacy: bool,
    /// Encrypt a private key written to PEM (password from --out-pass-file or SIGNET_OUT_PASSPHRASE).
    #[arg(long)]
    pub encrypt_key: bool,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Purposes on the command line.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum PurposeArg {
    /// TLS server certificate (serverAuth); the default.
    #[default]
    Server,
    /// TLS client certificate (clientAuth).
    Client,
    /// Any purpose: no extendedKeyUsage check; a CA certificate may be verified on its own.
    Any,
}

/// `signet verify`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet verify fullchain.pem --roots signet-data/cas/dev-root.pem --host www.example.com\n  signet verify www.crt --chain intermediates.pem --roots my-root.pem --host 192.0.2.10\n  signet verify client.crt --roots root.pem --purpose client --email alice@example.com\n  signet verify www.crt --roots root.pem --crl issuing.crl --at 2027-01-01\n  signet verify fullchain.pem --check-revocation --max-depth 2\nThe trust decision is rustls-webpki's; signet adds RFC 5280 profile checks and one line per problem.\nExit status: 0 when the certificate verifies, 1 when problems are found, 2 for unreadable input."
)]
pub struct VerifyArgs {
    /// The certificate; further certificates in the file are used as intermediates.
    pub cert: String,
    /// Intermediate certificates (PEM bundle or .p7b), in any order. Example: --chain intermediates.pem
    #[arg(long)]
    pub chain: Option<String>,
    /// Trusted roots (default: the system store, or SSL_CERT_FILE). Example: --roots root.pem
    #[arg(long)]
    pub roots: Option<String>,
    /// Host name or IP address the certificate must be valid for; a name that cannot be a host
    /// name fails the check. Example: --host www.example.com
    #[arg(long)]
    pub host: Option<String>,
    /// E-mail address the certificate must name (rfc822Name). Example: --email alice@example.com
    #[arg(long)]
    pub email: Option<String>,
    /// Check validity at this time instead of now (RFC 3339 or YYYY-MM-DD). Example: --at 2027-03-01
    #[arg(long)]
    pub at: Option<String>,
    /// What the certificate is for.
    #[arg(long, value_enum, default_value_t = PurposeArg::Server)]
    pub purpose: PurposeArg,
    /// A further extendedKeyUsage the certificate (and its CAs, where they list EKUs) must allow,
    /// by name or OID; repeatable. Example: --eku codeSigning --eku 1.3.6.1.5.5.7.3.4
    #[arg(long = "eku", value_name = "EKU")]
    pub eku: Vec<String>,
    /// A keyUsage bit the certificate must allow (when it has keyUsage); repeatable.
    /// Example: --key-usage digitalSignature
    #[arg(long = "key-usage", value_name = "BIT")]
    pub key_usage: Vec<String>,
    /// The most intermediate CA certificates a path may have (self-issued ones not counted).
    /// Example: --max-depth 2
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// A CRL to check the path against (PEM or DER); repeatable. Example: --crl issuing.crl
    #[arg(long = "crl", value_name = "FILE")]
    pub crl: Vec<String>,
    /// Fetch the CRLs the certificate and its intermediates name and ask the certificate's OCSP
    /// responder; the certificate must be covered by one of them. Example: --check-revocation
    #[arg(long)]
    pub check_revocation: bool,
    /// Seconds to wait for each CRL download or OCSP answer with --check-revocation.
    /// Example: --timeout 5
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
