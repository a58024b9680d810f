//! `signet verify`: will a client trust this certificate? The decision is signet-subscriber's
//! (rustls-webpki plus signet's profile rules); this file reads the files, fetches CRLs and OCSP
//! answers for `--check-revocation`, and prints one line per problem (P12, P16, P30).

use std::time::Duration;

use serde::Serialize;
use signet_codec::PkiObject;
use signet_subscriber::verify::{self, KeyUsageBit, Purpose, VerifyInput, VerifyReport, revocation};
use time::OffsetDateTime;

use crate::cli::{PurposeArg, VerifyArgs};
use crate::error::{CliError, CliResult};
use crate::output;
use crate::pki;

const SYSTEM_ROOTS: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/// The largest CRL `--check-revocation` downloads.
const MAX_CRL_BYTES: usize = 20 * 1024 * 1024;

#[derive(Serialize)]
struct Report<'a> {
    roots: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    revocation_sources: &'a [String],
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
    let at = match &args.at {
        Some(text) => parse_time(text)?,
        None => signet_model::Clock::now(&signet_model::SystemClock),
    };
    let extended_key_usages = args
        .eku
        .iter()
        .map(|e| {
            verify::extended_key_usage_oid(e).ok_or_else(|| {
                CliError::bad_input(format!(
                    "--eku {e:?}: not an extendedKeyUsage name (serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning) or dotted OID"
                ))
            })
        })
        .collect::<CliResult<Vec<String>>>()?;
    let key_usages = args
        .key_usage
        .iter()
        .flat_map(|k| k.split(','))
        .map(|k| {
            KeyUsageBit::parse(k.trim()).ok_or_else(|| {
                let names: Vec<&str> = KeyUsageBit::ALL.iter().map(|b| b.name()).collect();
                CliError::bad_input(format!("--key-usage {k:?}: not a keyUsage bit; use one of {}", names.join(", ")))
            })
        })
        .collect::<CliResult<Vec<KeyUsageBit>>>()?;
    let mut crls = Vec::new();
    for path in &args.crl {
        crls.extend(load_crls(path)?);
    }
    let mut fetched = Vec::new();
    let mut ocsp_responses = Vec::new();
    if args.check_revocation {
        let timeout = Duration::from_secs(args.timeout);
        for (url, result) in fetch_crls(&leaf, &certificates, timeout)? {
            match result {
                Ok(ders) => {
                    crls.extend(ders);
                    fetched.push(url);
                }
                Err(why) => output::warn(&format!("could not fetch the CRL at {url}: {why}")),
            }
        }
        let candidates: Vec<Vec<u8>> = certificates.iter().chain(&roots).cloned().collect();
        if let Some((urls, request)) = verify::ocsp::query(&leaf, &candidates) {
            for url in urls {
                match ask_ocsp(&url, &request, timeout) {
                    Ok(response) => {
                        ocsp_responses.push(response);
                        fetched.push(url);
                        break;
                    }
                    Err(why) => output::warn(&format!("could not ask the OCSP responder at {url}: {why}")),
                }
            }
        }
    }
    let purpose = match args.purpose {
        PurposeArg::Server => Purpose::Server,
        PurposeArg::Client => Purpose::Client,
        PurposeArg::Any => Purpose::Any,
    };
    let input = VerifyInput {
        crls: &crls,
        ocsp_responses: &ocsp_responses,
        require_revocation_status: args.check_revocation,
        host: args.host.as_deref(),
        email: args.email.as_deref(),
        purpose,
        extended_key_usages: &extended_key_usages,
        key_usages: &key_usages,
        max_depth: args.max_depth,
        ..VerifyInput::new(&leaf, &certificates, &roots, at)
    };
    let result = verify::verify(&input).map_err(|e| CliError::from(e).context(&args.cert))?;
    if args.json {
        output::json(&Report { roots: &roots_path, revocation_sources: &fetched, result: &result })?;
    } else {
        say!("Path: {}", result.path.join("  <-  "));
        say!("Trusted roots: {roots_path}{}", if result.trusted { " (path ends at a trusted root)" } else { "" });
        for url in &fetched {
            say!("Revocation checked at: {url}");
        }
        for problem in &result.problems {
            say!("PROBLEM [{}] {}", problem.code, problem.message);
        }
        if args.roots.is_none() && !result.trusted {
            hint_local_roots(&input);
        }
    }
    if result.ok() {
        if !args.json {
            let name = args.host.as_ref().or(args.email.as_ref());
            say!("OK: the certificate verifies{}", name.map(|h| format!(" for {h}")).unwrap_or_default());
        }
        Ok(())
    } else {
        Err(CliError::check_failed(format!("{} problem(s) found", result.problems.len().max(1))))
    }
}

/// Verified against the system's roots, a certificate of the signet CA on this machine is
/// untrusted: say which `--roots` trusts it, when one of the root certificates of the CA commands
/// find (`--data`, `$SIGNET_DATA`, `./signet-data`, the recorded one) does.
fn hint_local_roots(input: &VerifyInput<'_>) {
    let Ok(dir) = crate::locate::data_dir(None) else { return };
    let Ok(entries) = std::fs::read_dir(dir.join("cas")) else { return };
    let files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    // Roots (self-issued) first: trust is best anchored at a root, not at an intermediate.
    let mut candidates: Vec<(bool, std::path::PathBuf, Vec<Vec<u8>>)> = files
        .into_iter()
        .filter_map(|path| {
            let roots = pki::load_certificates(&path.to_string_lossy(), None).ok()?;
            let facts = signet_codec::certificate::facts(roots.first()?).ok()?;
            Some((facts.subject != facts.issuer, path, roots))
        })
        .collect();
    candidates.sort();
    for (_, path, roots) in candidates {
        let again = VerifyInput { roots: &roots, ..input.clone() };
        if verify::verify(&again).is_ok_and(|r| r.trusted) {
            output::note(&format!(
                "it chains to {}, a root of the signet CA in {}: to trust it, give --roots {}",
                path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
                dir.display(),
                path.display()
            ));
            return;
        }
    }
}

/// The CRLs in `path` (PEM, DER or a PKCS#7 bundle).
fn load_crls(path: &str) -> CliResult<Vec<Vec<u8>>> {
    let decoded = pki::load(path)?;
    let kinds: Vec<signet_codec::ObjectKind> = decoded.objects.iter().map(PkiObject::kind).collect();
    let crls: Vec<Vec<u8>> = pki::expand(path, decoded.objects, None)?
        .into_iter()
        .filter_map(|o| match o {
            PkiObject::Crl(der) => Some(der),
            _ => None,
        })
        .collect();
    if crls.is_empty() {
        return Err(pki::wrong_kind(path, &kinds, "a CRL"));
    }
    Ok(crls)
}

/// Downloads every CRL the leaf and the intermediates name, each within `timeout`.
#[allow(clippy::type_complexity)] // (url, CRLs or why not), read once by the caller
fn fetch_crls(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    timeout: Duration,
) -> CliResult<Vec<(String, Result<Vec<Vec<u8>>, String>)>> {
    let mut urls: Vec<String> = Vec::new();
    for source in revocation::sources(leaf, intermediates) {
        for url in source.crls {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .use_preconfigured_tls(crate::trust::client(None, None)?.config)
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start an HTTP client: {e}")))?;
    let runtime = crate::data::runtime()?;
    Ok(runtime.block_on(async {
        let mut results = Vec::new();
        for url in urls {
            let result = fetch_one(&client, &url).await;
            results.push((url, result));
        }
        results
    }))
}

async fn fetch_one(client: &reqwest::Client, url: &str) -> Result<Vec<Vec<u8>>, String> {
    let response = client.get(url).send().await.map_err(|e| with_causes(&e))?;
    if !response.status().is_success() {
        return Err(format!("the server answered {}", response.status()));
    }
    if response.content_length().is_some_and(|n| n > MAX_CRL_BYTES as u64) {
        return Err(format!("it is larger than {} MiB", MAX_CRL_BYTES / 1024 / 1024));
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > MAX_CRL_BYTES {
        return Err(format!("it is larger than {} MiB", MAX_CRL_BYTES / 1024 / 1024));
    }
    let decoded = signet_codec::decode(&bytes).map_err(|e| e.to_string())?;
    let crls: Vec<Vec<u8>> = decoded
        .objects
        .into_iter()
        .filter_map(|o| match o {
            PkiObject::Crl(der) => Some(der),
            _ => None,
        })
        .collect();
    if crls.is_empty() { Err("the answer is not a CRL".into()) } else { Ok(crls) }
}

/// POSTs an OCSP request (RFC 6960 §A.1) and returns the response bytes.
fn ask_ocsp(url: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let tls = crate::trust::client(None, None).map_err(|e| e.message)?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .use_preconfigured_tls(tls.config)
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let runtime = crate::data::runtime().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let response = client
            .post(url)
            .header("content-type", "application/ocsp-request")
            .body(request.to_vec())
            .send()
            .await
            .map_err(|e| with_causes(&e))?;
        if !response.status().is_success() {
            return Err(format!("the responder answered {}", response.status()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > MAX_CRL_BYTES {
            return Err("the answer is too large".into());
        }
        Ok(bytes.to_vec())
    })
}

/// An error with its causes, `a: b: c` (reqwest's own text stops at "error sending request").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Parses RFC 3339 or a bare date (midnight UTC).
pub fn parse_time(text: &str) -> CliResult<OffsetDateTime> {
    signet_model::time_text::parse(text).map_err(|e| CliError::bad_input(e.to_string()))
}
