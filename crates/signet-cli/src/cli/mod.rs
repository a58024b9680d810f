//! The command-line grammar: every subcommand and flag, with help text and examples, one file
//! per family of commands.
//!
//! Parsed raw by clap here; each command validates its arguments into a ready-to-run form.

mod acme;
mod authority;
mod requests;
mod revocation;
mod server;
mod subscriber;
mod tokens;

use clap::{Args, Parser, Subcommand};

pub use acme::*;
pub use authority::*;
pub use requests::*;
pub use revocation::*;
pub use server::{ServeArgs, ServerArgs};
pub use subscriber::*;
pub use tokens::{TokenCommand, TokenCreateArgs, TokenListArgs, TokenRevokeArgs};

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
    Acme(AcmeCommand),
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
    /// Revoke a certificate, by serial, request or certificate file, with a reason.
    Revoke(RevokeArgs),
    /// Release a certificate from hold (certificateHold is the only reason that can be undone).
    Unrevoke(UnrevokeArgs),
    /// Fetch a CA's CRL from a server, or describe a CRL file.
    #[command(subcommand)]
    Crl(CrlCommand),
    /// Run the OCSP responder on its own.
    #[command(subcommand)]
    Ocsp(OcspCommand),
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every flag and argument of every command shows an example: in its own help
    /// (`Example: ...`), or, for a switch, in the command's examples (`after_help`).
    #[test]
    fn every_flag_has_an_example() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            let examples = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
                let words = || examples.split(|c: char| c.is_whitespace());
                let shown = match arg.get_long() {
                    Some(long) => {
                        words().any(|word| word == format!("--{long}") || word.starts_with(&format!("--{long}=")))
                    }
                    // A positional argument: an example line of this command gives it a value.
                    None => examples.lines().any(|line| {
                        line.trim()
                            .strip_prefix(path.trim())
                            .and_then(|rest| rest.split_whitespace().next())
                            .is_some_and(|word| !word.starts_with('-'))
                    }),
                };
                if !help.contains("Example") && !shown {
                    missing.push(format!(
                        "{path} {}",
                        arg.get_long().map(|l| format!("--{l}")).unwrap_or(id.to_uppercase())
                    ));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{} flags without an example:\n{}", missing.len(), missing.join("\n"));
    }
}
