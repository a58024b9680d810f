//! `signet ca init|install-cert|list`: CA administration on the data directory (offline, like
//! certutil on the CA machine). Restart `signet serve` to use a new CA.

use std::path::Path;

use serde::Serialize;
use signet_authority::SoftwareCaKeys;
use signet_authority::ca_admin::{self, CaOptions, Placement};
use signet_issuance::ca::CaSpec;
use signet_model::{Country, DnsName, SystemClock};
use signet_store::{CaRecord, Store, StoreRead};
use signet_subscriber::verify::{self, Purpose, VerifyInput};

use crate::cli::{CaExportArgs, CaInitArgs, CaInstallArgs, CaListArgs};
use crate::data;
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::{output, pki};

/// Writes every CA certificate to DIR/cas/NAME.pem, and the roots to DIR/roots.pem, for
/// distribution to relying parties.
pub async fn export_certificates(dir: &Path, store: &dyn Store) -> CliResult {
    let cas_dir = dir.join("cas");
    std::fs::create_dir_all(&cas_dir)
        .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", cas_dir.display())))?;
    let mut roots = String::new();
    for ca in store.cas().await.map_err(|e| CliError::runtime(e.to_string()))? {
        if let Some(der) = &ca.certificate {
            let pem = signet_codec::pem::encode("CERTIFICATE", der);
            write_atomic(&cas_dir.join(format!("{}.pem", ca.name)), pem.as_bytes(), Mode::Public, true)?;
            if ca.kind == signet_store::CaKind::Root {
                roots.push_str(&pem);
            }
        }
    }
    if !roots.is_empty() {
        write_atomic(&roots_path(dir), roots.as_bytes(), Mode::Public, true)?;
    }
    Ok(())
}

/// DATA/roots.pem: the roots (not the test root) in one file, what clients trust for the
/// server's HTTPS certificate and relying parties for the certificates issued under them.
pub fn roots_path(dir: &Path) -> std::path::PathBuf {
    dir.join("roots.pem")
}

/// Runs `signet ca init`.
pub fn init(args: &CaInitArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let passphrase = data::ca_passphrase(&data.settings)?;
        let placement = match (&args.parent, args.root, args.test, args.external) {
            (Some(parent), ..) => Placement::Under(parent.clone()),
            (None, true, _, _) => Placement::Root,
            (None, _, true, _) => Placement::TestRoot,
            (None, _, _, true) => Placement::External,
            _ => {
                return Err(CliError::bad_input(
                    "say where the certificate comes from: --root, --test, --parent NAME or --external",
                ));
            }
        };
        let is_root = matches!(placement, Placement::Root | Placement::TestRoot);
        // No country unless given: a private CA needs none, and a publicly trusted one names its
        // own (BR §7.1.2.10.2). XX ("not tied to one country") is still accepted when asked for.
        let country = match args.country.as_deref() {
            None => None,
            Some(code) if code.eq_ignore_ascii_case("xx") => Some(Country::UNASSIGNED),
            Some(code) => Some(Country::parse(code).map_err(|e| CliError::bad_input(format!("--country: {e}")))?),
        };
        let permitted_dns = args
            .permitted_dns
            .iter()
            .map(|d| DnsName::parse(d).map_err(|e| CliError::bad_input(format!("--permitted-dns: {e}"))))
            .collect::<CliResult<Vec<_>>>()?;
        let spec = CaSpec {
            common_name: args.cn.clone(),
            organization: args.org.clone(),
            country,
            validity: time::Duration::days(args.validity_days.unwrap_or(if is_root { 3650 } else { 1825 })),
            path_length: args.path_length,
            permitted_dns,
            policies: args.policies.clone(),
        };
        signet_issuance::extensions::certificate_policies(&spec.policies).map_err(|_| {
            CliError::bad_input("--policy: give an object identifier in dotted form, such as 2.23.140.1.2.1")
        })?;
        let options = CaOptions { name: args.name.clone(), placement, algorithm: args.alg.algorithm(), spec };
        let created = ca_admin::create(
            data.store.as_ref(),
            &SystemClock,
            &data::urls(&data.settings),
            &SoftwareCaKeys::new(passphrase),
            "local-admin",
            options,
        )
        .await?;
        export_certificates(&data.dir, data.store.as_ref()).await?;
        say!("CA {} created ({})", created.record.name, created.record.kind.as_str());
        if let Some(csr) = created.csr {
            let path = args.csr_out.clone().unwrap_or_else(|| format!("{}.csr", args.name).into());
            write_atomic(
                &path,
                signet_codec::pem::encode("CERTIFICATE REQUEST", &csr).as_bytes(),
                Mode::Public,
                false,
            )?;
            say!(
                "  CSR:          {} — have the parent CA issue it from a subordinate-CA profile, then:",
                absolute(&path)
            );
            say!("  signet ca install-cert --name {} --cert ISSUED.crt", args.name);
        } else {
            say!("  certificate:  {}", absolute(&data.dir.join("cas").join(format!("{}.pem", args.name))));
            say!("  key:          stored encrypted in the database (PKCS#8, scrypt + AES-256-CBC)");
            say!("Back up the data directory and the CA passphrase now: a lost CA key cannot be recovered.");
            say!("Restart signet serve to use it; name it as `issuer` in a profile of signet.toml.");
        }
        Ok(())
    })
}

/// Runs `signet ca install-cert`.
pub fn install(args: &CaInstallArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let passphrase = data::ca_passphrase(&data.settings)?;
        let cert_path = args.cert.as_deref().ok_or_else(|| CliError::bad_input("give --cert FILE"))?;
        let mut certificates = pki::load_certificates(cert_path, None)?;
        let certificate = certificates.remove(0);
        let checked = check_chain(args, &certificate, certificates)?;
        let record = ca_admin::install_certificate(
            data.store.as_ref(),
            &SystemClock,
            &SoftwareCaKeys::new(passphrase),
            "local-admin",
            &args.name,
            &certificate,
        )
        .await?;
        export_certificates(&data.dir, data.store.as_ref()).await?;
        say!("CA {} is complete; restart signet serve to issue from it.", record.name);
        match checked {
            Some(path) => say!("  chain:        {path} (verified)"),
            None => output::note(
                "the certificate was not checked against its parent's root: give --roots PARENT-ROOT.pem (and --chain) to verify it before installing",
            ),
        }
        Ok(())
    })
}

/// Verifies the new CA certificate against `--roots` (and `--chain`, and the rest of its file)
/// with the same validator as `signet verify --purpose any`; the path on success, `None` when no
/// roots were given.
fn check_chain(args: &CaInstallArgs, certificate: &[u8], mut chain: Vec<Vec<u8>>) -> CliResult<Option<String>> {
    let Some(roots_path) = &args.roots else { return Ok(None) };
    let roots = pki::load_certificates(roots_path, None)?;
    if let Some(path) = &args.chain {
        chain.extend(pki::load_certificates(path, None)?);
    }
    let now = signet_model::Clock::now(&SystemClock);
    let input = VerifyInput { purpose: Purpose::Any, ..VerifyInput::new(certificate, &chain, &roots, now) };
    let cert_path = args.cert.as_deref().unwrap_or_default();
    let report = verify::verify(&input).map_err(|e| CliError::from(e).context(cert_path))?;
    if report.ok() {
        return Ok(Some(report.path.join("  <-  ")));
    }
    let problems: Vec<String> = report.problems.iter().map(|p| format!("[{}] {}", p.code, p.message)).collect();
    Err(CliError::bad_input(format!(
        "{cert_path} does not verify against {roots_path}: {}; nothing was installed",
        problems.join("; ")
    )))
}

#[derive(Serialize)]
pub(crate) struct CaLine {
    name: String,
    kind: String,
    parent: Option<String>,
    subject: Option<String>,
    not_after: Option<String>,
    status: &'static str,
    /// DATA/cas/NAME.pem, once the CA has its certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_file: Option<String>,
    /// SHA-256 of the certificate, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256_fingerprint: Option<String>,
    /// Further certificates for its key from other CAs (cross-certificates): one path each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alternates: Vec<signet_authority::views::AlternateView>,
}

pub(crate) fn line(dir: &Path, record: &CaRecord, alternates: &[signet_store::CaAlternateRecord]) -> CaLine {
    let now = signet_model::Clock::now(&SystemClock);
    CaLine {
        alternates: alternates
            .iter()
            .filter(|a| a.ca_id == record.id)
            .filter_map(|a| signet_authority::views::AlternateView::new(a, now))
            .collect(),
        certificate_file: record
            .certificate
            .as_ref()
            .map(|_| absolute(&dir.join("cas").join(format!("{}.pem", record.name)))),
        sha256_fingerprint: record.certificate.as_deref().map(signet_codec::public_key::sha256_hex),
        name: record.name.clone(),
        kind: record.kind.as_str().into(),
        parent: record.parent.clone(),
        subject: record
            .certificate
            .as_deref()
            .and_then(|d| signet_codec::describe::certificate(d, signet_model::Clock::now(&SystemClock)).ok())
            .map(|i| i.subject),
        not_after: record.not_after.map(signet_codec::describe::rfc3339),
        status: if record.certificate.is_some() { "active" } else { "waiting for its certificate" },
    }
}

/// Runs `signet ca list`.
pub fn list(args: &CaListArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let alternates = data.store.ca_alternates().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let lines: Vec<CaLine> = data
            .store
            .cas()
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?
            .iter()
            .map(|record| line(&data.dir, record, &alternates))
            .collect();
        if args.json {
            return output::json(&lines);
        }
        for l in &lines {
            print_line(l);
        }
        Ok(())
    })
}

/// Prints one CA as `ca list` and `ca show` do.
pub(crate) fn print_line(l: &CaLine) {
    say!("{} ({}{})", l.name, l.kind, l.parent.as_ref().map(|p| format!(" under {p}")).unwrap_or_default());
    output::field("subject", l.subject.as_deref().unwrap_or("-"));
    output::field("expires", l.not_after.as_deref().unwrap_or("-"));
    output::field("status", l.status);
    if let (Some(file), Some(sha256)) = (&l.certificate_file, &l.sha256_fingerprint) {
        output::field("certificate", file);
        output::field("SHA-256", output::colons(sha256));
    }
    for (n, alternate) in l.alternates.iter().enumerate() {
        let by = alternate.issuer_ca.as_ref().map(|c| format!(" (CA {c})")).unwrap_or_default();
        output::field(
            &format!("alternate {}", n + 1),
            format!("issued by {}{by}, serial {}, expires {}", alternate.issuer, alternate.serial, alternate.not_after),
        );
    }
}

/// Runs `signet ca export`.
pub fn export(args: &CaExportArgs) -> CliResult {
    crate::key_files::refuse_replacing_key(&args.out, "--out")?;
    data::runtime()?.block_on(async {
        let data = data::open(&args.data.dir()?).await?;
        let cas = data.store.cas().await.map_err(|e| CliError::runtime(e.to_string()))?;
        let Some(ca) = cas.iter().find(|ca| ca.name == args.name) else {
            let names: Vec<&str> = cas.iter().map(|ca| ca.name.as_str()).collect();
            return Err(CliError::bad_input(format!(
                "there is no CA named {:?}; the CAs are: {}",
                args.name,
                names.join(", ")
            )));
        };
        let Some(der) = &ca.certificate else {
            return Err(CliError::bad_input(format!(
                "{} has no certificate yet: install the one its parent issued with `signet ca install-cert`",
                ca.name
            )));
        };
        let pem = signet_codec::pem::encode("CERTIFICATE", der);
        write_atomic(&args.out, pem.as_bytes(), Mode::Public, args.force)?;
        say!("{} certificate ({}) written to {}", ca.name, ca.kind.as_str(), absolute(&args.out));
        output::field("SHA-256", output::colons(&signet_codec::public_key::sha256_hex(der)));
        Ok(())
    })
}
