//! `signet verify`: build the chain and report every problem in one line each (P12, P16, P30).

use serde::Serialize;
use signet_model::DnsName;
use signet_subscriber::verify::{self, HostName, Purpose, VerifyInput, VerifyReport};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{PurposeArg, VerifyArgs};
use crate::error::{CliError, CliResult};
use crate::output;
use crate::pki;

const SYSTEM_ROOTS: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

#[derive(Serialize)]
struct Report<'a> {
    roots: &'a str,
    #[serde(flatten)]
    result: &'a VerifyReport,
}

/// Runs `signet verify`.
pub fn run(args: &VerifyArgs) -> CliResult {
    let mut certificates = pki::load_certificates(&args.cert, None)?;
    let leaf = certificates.remove(0);
    if let Some(chain) = &args.chain {
        certificates.extend(pki::load_certificates(chain, None)?);
    }
    let roots_path = match &args.roots {
        Some(path) => path.clone(),
        None => std::env::var("SSL_CERT_FILE")
            .ok()
            .or_else(|| SYSTEM_ROOTS.iter().find(|p| std::path::Path::new(p).exists()).map(|p| p.to_string()))
            .ok_or_else(|| {
                CliError::bad_input("no system trust store found; give the trusted roots with --roots FILE")
            })?,
    };
    let roots = pki::load_certificates(&roots_path, None)?;
    let host = args.host.as_deref().map(parse_host).transpose()?;
    let at = match &args.at {
        Some(text) => parse_time(text)?,
        None => signet_model::Clock::now(&signet_model::SystemClock),
    };
    let purpose = match args.purpose {
        PurposeArg::Server => Purpose::Server,
        PurposeArg::Client => Purpose::Client,
        PurposeArg::Any => Purpose::Any,
    };
    let input = VerifyInput { leaf: &leaf, intermediates: &certificates, roots: &roots, host, at, purpose };
    let result = verify::verify(&input).map_err(|e| CliError::from(e).context(&args.cert))?;
    if args.json {
        output::json(&Report { roots: &roots_path, result: &result })?;
    } else {
        say!("Path: {}", result.path.join("  <-  "));
        say!("Trusted roots: {roots_path}{}", if result.trusted { " (path ends at a trusted root)" } else { "" });
        for problem in &result.problems {
            say!("PROBLEM [{}] {}", problem.code, problem.message);
        }
    }
    if result.problems.is_empty() {
        if !args.json {
            say!("OK: the certificate verifies{}", args.host.as_ref().map(|h| format!(" for {h}")).unwrap_or_default());
        }
        Ok(())
    } else {
        Err(CliError::check_failed(format!("{} problem(s) found", result.problems.len())))
    }
}

fn parse_host(text: &str) -> CliResult<HostName> {
    if let Ok(ip) = text.parse() {
        return Ok(HostName::Ip(ip));
    }
    DnsName::parse(text).map(HostName::Dns).map_err(|e| CliError::bad_input(format!("--host: {e}")))
}

/// Parses RFC 3339 or a bare date (midnight UTC).
pub fn parse_time(text: &str) -> CliResult<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| CliError::bad_input(format!("{text:?} is not a time; write 2027-03-01 or 2027-03-01T12:00:00Z")))
}
