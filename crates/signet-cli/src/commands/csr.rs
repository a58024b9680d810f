//! `signet csr new`: a CSR from an existing key, or a new key and CSR together (seed KEY-1).

use serde::Serialize;
use signet_codec::{ObjectKind, pem, public_key};
use signet_keys::{Signer, SoftwareKey};
use signet_subscriber::{CsrInput, SubjectInput};

use crate::cli::CsrNewArgs;
use crate::commands::key::{KeyReport, encryption_passphrase, generate_with_progress, print_key_report, write_key};
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::key_files::{self, KeyTarget};
use crate::{output, pki};

/// What `csr new` reports.
#[derive(Debug, Serialize)]
struct CsrReport {
    /// Where the CSR went (absent when printed to standard output).
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    /// The subject as encoded.
    subject: String,
    /// The subject alternative names.
    subject_alt_names: Vec<String>,
    /// SHA-256 of the public key.
    spki_sha256: String,
    /// The new key, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_key: Option<KeyReport>,
    /// Likely mistakes that did not stop the request.
    warnings: Vec<String>,
}

/// Runs `signet csr new`.
pub fn new(args: &CsrNewArgs) -> CliResult {
    let input = CsrInput {
        subject: SubjectInput {
            common_name: args.cn.clone(),
            organization: args.org.clone(),
            organizational_unit: args.ou.clone(),
            locality: args.locality.clone(),
            state: args.state.clone(),
            country: args.country.clone(),
            email: args.email.clone(),
        },
        sans: args.san.clone(),
    };
    // Check the names before making a key: a refused request must leave nothing behind.
    let plan = signet_subscriber::plan(&input)?;
    let key_target = KeyTarget::from_flag(args.replace_key);
    check_outputs(args, key_target)?;

    let (key, new_key) = match (&args.key, args.new_key) {
        (Some(path), _) => {
            let key = pki::load_private_key(path, args.pass_file.as_deref())?;
            check_key_strength(&key, path)?;
            (key, None)
        }
        (None, Some(alg)) => {
            let key_out = args.key_out.as_ref().ok_or_else(|| CliError::bad_input("--new-key needs --key-out FILE"))?;
            let passphrase = encryption_passphrase(&args.encrypt, args.pass_file.as_deref(), "the new key")?;
            let pkcs8 = generate_with_progress(alg.algorithm())?;
            let report = write_key(
                &pkcs8,
                alg.algorithm(),
                key_out,
                &args.encrypt,
                passphrase.as_deref().map(String::as_str),
                key_target,
            )?;
            (SoftwareKey::from_pkcs8(pkcs8)?, Some(report))
        }
        (None, None) => return Err(CliError::bad_input("give --key FILE, or --new-key ALG with --key-out FILE")),
    };
    let mut warnings = plan.warnings.clone();
    if key.scheme() == signet_keys::SignatureScheme::Ed25519 {
        warnings.push("Ed25519 keys are not accepted by publicly trusted TLS CAs; fine for a private CA".into());
    }
    let der = signet_subscriber::build(&plan, &key)?;
    let text = pem::encode(ObjectKind::CertificateRequest.pem_label(), &der);
    let info = signet_codec::describe::request(&der)?;
    let report = CsrReport {
        file: args.out.as_ref().map(|p| absolute(p)),
        subject: info.subject.clone(),
        subject_alt_names: info.subject_alt_names.clone(),
        spki_sha256: public_key::sha256_hex(key.spki_der()),
        new_key,
        warnings,
    };
    let replacing = args.out.as_ref().is_some_and(|out| std::fs::symlink_metadata(out).is_ok());
    match &args.out {
        Some(out) => write_atomic(out, text.as_bytes(), Mode::Public, args.force)?,
        None => crate::output::write_out(format_args!("{text}")),
    }
    if args.json {
        if args.out.is_some() {
            return output::json(&report);
        }
        return Ok(());
    }
    for warning in &report.warnings {
        output::warn(warning);
    }
    if let Some(key_report) = &report.new_key {
        print_key_report(key_report);
    }
    if let Some(file) = &report.file {
        say!("Certificate request written{}", if replacing { " (replacing the old one: --force)" } else { "" });
        output::field("file", file);
        output::field("subject", &report.subject);
        output::field("names (SAN)", report.subject_alt_names.join(", "));
        output::field("public key", format!("SPKI SHA-256 {}", output::colons(&report.spki_sha256)));
        say!("Send the CSR (not the key) to your CA; check it any time with: signet inspect {file}");
    }
    Ok(())
}

/// Checks every output before any work, naming every file that is in the way at once: the CSR
/// is replaced only with --force, the new key's file only with --replace-key (kept aside), and
/// --out never replaces a file that holds a private key.
fn check_outputs(args: &CsrNewArgs, key_target: KeyTarget) -> CliResult {
    let mut problems = Vec::new();
    if let Some(out) = &args.out
        && std::fs::symlink_metadata(out).is_ok()
    {
        key_files::refuse_replacing_key(out, "--out")?;
        if args.force {
            problems.push(format!("--force would replace {}", out.display()));
        } else {
            problems.push(format!("{} already exists (add --force to replace this CSR)", out.display()));
        }
    }
    if let (Some(key_out), Some(_)) = (&args.key_out, args.new_key) {
        if args.out.as_ref().is_some_and(|out| absolute(out) == absolute(key_out)) {
            return Err(CliError::bad_input(
                "--key-out and --out name the same file; give the key and the CSR a file each",
            ));
        }
        if let Err(e) = key_files::check_target(key_out, key_target, args.force, "--key-out") {
            problems.push(e.message);
        }
    }
    match problems.as_slice() {
        [] => Ok(()),
        // --force replacing the CSR alone is what was asked for: say so once it is done.
        [only] if only.starts_with("--force would replace") => Ok(()),
        [first, ..] => {
            let joint = if first.starts_with("--force") { "; but " } else { "; and " };
            Err(CliError::bad_input(problems.join(joint)))
        }
    }
}

/// Refuses keys too weak to be certified, naming the size found.
fn check_key_strength(key: &SoftwareKey, path: &str) -> CliResult {
    let info = public_key::describe_spki(key.spki_der())?;
    if info.algorithm == "RSA" && info.bits < 2048 {
        return Err(CliError::bad_input(format!(
            "{path}: an RSA key of {} bits is too weak; CAs refuse keys below 2048 bits. Make a new one: --new-key ec-p256 --key-out NEW.key",
            info.bits
        )));
    }
    Ok(())
}
