//! Arguments of `signet acme ...` (local administration of the ACME server).

use clap::{Args, Subcommand};

use super::DataArgs;

/// `signet acme ...`
#[derive(Debug, Subcommand)]
pub enum AcmeCommand {
    /// External Account Binding keys (RFC 8555 §7.3.4).
    #[command(subcommand)]
    Eab(EabCommand),
}

/// `signet acme eab ...`
#[derive(Debug, Subcommand)]
pub enum EabCommand {
    /// Make a key id and MAC key for one new ACME account (shown once; only a hash is stored).
    #[command(
        after_help = "Examples:\n  signet acme eab create --name web-team\n  signet acme eab create --name build-farm --profile shortlived --json"
    )]
    Create(EabCreateArgs),
    /// List the keys made: whom for, the profile, when, and the account each is bound to.
    #[command(after_help = "Examples:\n  signet acme eab list\n  signet acme eab list --json")]
    List(EabListArgs),
    /// Withdraw a key no account is bound to yet (a bound key is spent already: it binds no other).
    #[command(after_help = "Examples:\n  signet acme eab withdraw 8Jx2Kq0mVb1tYp3zR5sW7u\n  signet acme eab list")]
    Withdraw(EabWithdrawArgs),
}

/// `signet acme eab create`
#[derive(Debug, Args)]
pub struct EabCreateArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Whom the key is for (recorded and audited). Example: --name web-team
    #[arg(long)]
    pub name: String,
    /// The only ACME profile the account may order from. Example: --profile shortlived
    #[arg(long)]
    pub profile: Option<String>,
    /// Print the key id and MAC key as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet acme eab list`
#[derive(Debug, Args)]
pub struct EabListArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print the keys as JSON (no MAC keys: only their hashes are stored). Example: signet acme eab list --json
    #[arg(long)]
    pub json: bool,
}

/// `signet acme eab withdraw`
#[derive(Debug, Args)]
pub struct EabWithdrawArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The key id `signet acme eab create` printed (`signet acme eab list` shows them). Example: 8Jx2Kq0mVb1tYp3zR5sW7u
    pub key_id: String,
}
