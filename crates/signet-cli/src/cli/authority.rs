//! `signet ca`, `signet audit` and `signet config`: the CA's own administration.

use clap::{Args, Subcommand};

use super::{AlgArg, DataArgs};

/// `signet ca ...`
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a root, a test root, a subordinate under a local CA, or a subordinate CSR for an external parent.
    #[command(
        after_help = "Examples:\n  signet ca init --name corp-root --root --cn \"Example Corp Root CA\" --alg ec-p384 --validity-days 7300\n  signet ca init --name corp-issuing --parent corp-root --cn \"Example Corp Issuing CA\" --path-length 0\n  signet ca init --name offline-sub --external --cn \"Example Sub CA\" --csr-out sub.csr"
    )]
    Init(CaInitArgs),
    /// Install the certificate an external parent issued for a CA made with --external, or
    /// (--alternate) a further certificate another CA issued for an existing CA's key.
    InstallCert(CaInstallArgs),
    /// Have another local CA sign a certificate for a CA's subject and key (a cross-certificate):
    /// what the CA issued gets a second chain, offered as an ACME alternate chain.
    #[command(
        after_help = "Examples:\n  signet ca cross-sign --name corp-issuing --by partner-root\n  signet ca cross-sign --name new-root --by old-root --days 1095   # a root rollover\n\nRestart signet serve to offer the new chain (ACME Link: rel=\"alternate\")."
    )]
    CrossSign(CaCrossSignArgs),
    /// List the CAs in the data directory, with their certificate files and fingerprints.
    List(CaListArgs),
    /// Show one CA: its certificate, its alternate certificates, and every chain it offers.
    #[command(
        after_help = "Examples:\n  signet ca show --name dev-issuing\n  signet ca show --name dev-issuing --json"
    )]
    Show(CaShowArgs),
    /// Write a CA's certificate to a file, e.g. the root that relying parties trust.
    #[command(
        after_help = "Examples:\n  signet ca export --name dev-root --out dev-root.pem\n  signet verify www.crt --roots dev-root.pem --host www.example.com"
    )]
    Export(CaExportArgs),
    /// Show each CA's CRLs: number, age, next update; warns before one goes stale.
    Status(super::CaStatusArgs),
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
    /// Replace --out if it exists (never a file holding a private key). Example: --out dev-root.pem --force
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
    /// Example: signet ca init --name lab-root --test --cn "Lab Test Root"
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
    /// certificatePolicies of a subordinate made with --parent: a policy OID (dotted) the CA
    /// issues under; repeat for several. A publicly trusted issuing CA names the CA/Browser Forum
    /// policies of what it issues (BR §7.1.2.10.5). Example: --policy 2.23.140.1.2.1
    #[arg(long = "policy", value_name = "OID", requires = "parent")]
    pub policies: Vec<String>,
}

/// `signet ca cross-sign`
#[derive(Debug, Args)]
pub struct CaCrossSignArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The CA whose subject and key the new certificate certifies. Example: --name corp-issuing
    #[arg(long)]
    pub name: String,
    /// The local CA that signs it (not the CA itself, nor one below it). Example: --by partner-root
    #[arg(long)]
    pub by: String,
    /// Validity in days, within the signing CA's (default: until the earlier of the two CAs'
    /// certificates ends). Example: --days 365
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=signet_issuance::profile::MAX_VALIDITY_DAYS))]
    pub days: Option<i64>,
    /// Print the new certificate's facts as JSON. Example: --json
    #[arg(long)]
    pub json: bool,
}

/// `signet ca install-cert`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet ca install-cert --name offline-sub --cert sub.crt --roots parent-root.pem\n  signet ca install-cert --name offline-sub --cert sub-fullchain.pem --roots parent-root.pem --chain parent-intermediates.pem\n  signet ca install-cert --name corp-root --alternate corp-root-by-partner.pem   # a cross-certificate, then its issuer's chain"
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
    #[arg(long, required_unless_present = "alternate", conflicts_with = "alternate")]
    pub cert: Option<String>,
    /// A further certificate for the CA's key from another CA (same subject and public key as
    /// its certificate: a cross-certificate), PEM or DER, followed in the file by its issuer's
    /// chain (issuer first; a self-signed root is left out). Example: --alternate cross.pem
    #[arg(long, conflicts_with_all = ["roots", "chain"])]
    pub alternate: Option<String>,
    /// The parent's root certificate(s): the new CA certificate must verify against them before
    /// it is installed (recommended). Example: --roots parent-root.pem
    #[arg(long)]
    pub roots: Option<String>,
    /// Intermediate certificates between the new CA and the root. Example: --chain parent-chain.pem
    #[arg(long)]
    pub chain: Option<String>,
}

/// `signet ca show`
#[derive(Debug, Args)]
pub struct CaShowArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The CA (see `signet ca list`). Example: --name dev-issuing
    #[arg(long)]
    pub name: String,
    /// Print as JSON. Example: signet ca show --name dev-issuing --json
    #[arg(long)]
    pub json: bool,
}

/// `signet ca list`
#[derive(Debug, Args)]
pub struct CaListArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print as JSON. Example: signet ca list --json
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
    /// Print as JSON. Example: signet audit verify --json
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
    /// Print the settings as JSON (exit 1 still when strict role separation is broken). Example:
    /// signet config check --json
    #[arg(long)]
    pub json: bool,
}
