//! The `signet` binary: argument parsing and dispatch only (the composition root).
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

#[macro_use]
mod output;
mod cli;
mod commands;
mod data;
mod error;
mod files;
mod key_files;
mod locate;
mod lookalike_args;
mod pki;
mod secrets;
mod trust;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{
    AuditCommand, CaCommand, Cli, Command, ConfigCommand, CsrCommand, KeyCommand, QueueCommand, RequestCommand,
    TokenCommand,
};
use crate::cli::{CrlCommand, OcspCommand};
use crate::error::{CliResult, EXIT_BAD_INPUT};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Err(e) = lookalike_args::check(&args) {
        eprintln!("error: {e}");
        return ExitCode::from(e.code);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code)
        }
    }
}

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Key(KeyCommand::New(args)) => commands::key::new(&args),
        Command::Csr(CsrCommand::New(args)) => commands::csr::new(&args),
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Match(args) => commands::matching::run(&args),
        Command::Convert(args) => commands::convert::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Ca(CaCommand::Init(args)) => commands::ca::init(&args),
        Command::Ca(CaCommand::InstallCert(args)) => match &args.alternate {
            Some(file) => commands::ca_alternates::install(&args, file),
            None => commands::ca::install(&args),
        },
        Command::Ca(CaCommand::CrossSign(args)) => commands::ca_alternates::cross_sign(&args),
        Command::Ca(CaCommand::List(args)) => commands::ca::list(&args),
        Command::Ca(CaCommand::Show(args)) => commands::ca_alternates::show(&args),
        Command::Ca(CaCommand::Export(args)) => commands::ca::export(&args),
        Command::Ca(CaCommand::Status(args)) => commands::crl::status(&args),
        Command::Token(TokenCommand::Create(args)) => commands::admin::token_create(&args),
        Command::Acme(cli::AcmeCommand::Eab(cli::EabCommand::Create(args))) => commands::acme::eab_create(&args),
        Command::Acme(cli::AcmeCommand::Eab(cli::EabCommand::List(args))) => commands::acme::eab_list(&args),
        Command::Acme(cli::AcmeCommand::Eab(cli::EabCommand::Withdraw(args))) => commands::acme::eab_withdraw(&args),
        Command::Token(TokenCommand::List(args)) => commands::admin::token_list(&args),
        Command::Token(TokenCommand::Revoke(args)) => commands::admin::token_revoke(&args),
        Command::Audit(AuditCommand::Verify(args)) => commands::admin::audit_verify(&args),
        Command::Audit(AuditCommand::List(args)) => commands::admin::audit_list(&args),
        Command::Config(ConfigCommand::Check(args)) => commands::admin::config_check(&args),
        Command::Request(RequestCommand::Submit(args)) => commands::client::submit(&args),
        Command::Request(RequestCommand::Status(args)) => commands::client::status(&args),
        Command::Request(RequestCommand::Get(args)) => commands::client::get(&args),
        Command::Queue(QueueCommand::List(args)) => commands::client::queue_list(&args),
        Command::Queue(QueueCommand::Approve(args)) => commands::client::approve(&args),
        Command::Queue(QueueCommand::Deny(args)) => commands::client::deny(&args),
        Command::Search(args) => commands::client::search(&args),
        Command::Revoke(args) => commands::revoke::revoke(&args),
        Command::Unrevoke(args) => commands::revoke::unrevoke(&args),
        Command::Crl(CrlCommand::Get(args)) => commands::crl::get(&args),
        Command::Crl(CrlCommand::Inspect(args)) => commands::crl::inspect(&args),
        Command::Crl(CrlCommand::Publish(args)) => commands::crl::publish(&args),
        Command::Ocsp(OcspCommand::Serve(args)) => commands::ocsp::serve(&args),
    }
}
