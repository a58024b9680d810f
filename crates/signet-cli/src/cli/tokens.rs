//! Arguments of `signet token ...` (local administration of API tokens).

use clap::{Args, Subcommand};

use super::DataArgs;

/// `signet token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token (printed once; only its hash is stored).
    #[command(
        after_help = "Examples:\n  signet token create --name alice --role enrollee\n  signet token create --name bob --role certificate-manager --out bob.token"
    )]
    Create(TokenCreateArgs),
    /// List API tokens: id, identity, roles, created, revoked (never the secrets).
    #[command(after_help = "Examples:\n  signet token list\n  signet token list --json")]
    List(TokenListArgs),
    /// Revoke an API token by its id (from `signet token list`); it stops working within seconds.
    #[command(after_help = "Examples:\n  signet token revoke 4")]
    Revoke(TokenRevokeArgs),
}

/// `signet token create`
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Identity the token stands for. Example: --name alice
    #[arg(long)]
    pub name: String,
    /// Role: ca-administrator, certificate-manager, auditor, backup-operator, enrollee; repeat for several.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// Write the token to this file (mode 0600) instead of printing it. Example: --out alice.token
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// `signet token list`
#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet token revoke`
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// Data location.
    #[command(flatten)]
    pub data: DataArgs,
    /// The token's id, as `signet token list` shows it. Example: 4
    pub id: i64,
}
