//! `signet key new`: generate a private key, write it safely, and say where it is (seed P1).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use signet_codec::{ObjectKind, SecretDer, pem, public_key};
use signet_keys::KeyAlgorithm;

use crate::cli::{EncryptArgs, KdfArg, KeyNewArgs};
use crate::error::{CliError, CliResult};
use crate::files::absolute;
use crate::key_files::{self, KeyTarget};
use crate::output;
use crate::secrets::{self, PASSPHRASE_ENV, Source};

/// What `key new` reports.
#[derive(Debug, Serialize)]
pub struct KeyReport {
    /// Absolute path of the key file.
    pub file: String,
    /// Algorithm name.
    pub algorithm: String,
    /// Whether the file is passphrase-encrypted.
    pub encrypted: bool,
    /// SHA-256 of the public key (SPKI), the key's identity in every later file.
    pub spki_sha256: String,
    /// Where the file this key replaced was kept (with `--replace-key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_file_kept_as: Option<String>,
}

/// Runs `signet key new`.
pub fn new(args: &KeyNewArgs) -> CliResult {
    let algorithm = args.alg.algorithm();
    let target = KeyTarget::from_flag(args.replace_key);
    key_files::check_target(&args.out, target, args.force, "--out")?;
    let passphrase = encryption_passphrase(&args.encrypt, args.pass_file.as_deref(), "the new key")?;
    let pkcs8 = generate_with_progress(algorithm)?;
    let report =
        write_key(&pkcs8, algorithm, &args.out, &args.encrypt, passphrase.as_deref().map(String::as_str), target)?;
    if args.json {
        return output::json(&report);
    }
    print_key_report(&report);
    Ok(())
}

/// The passphrase for `--encrypt`, asked before any slow work.
pub fn encryption_passphrase(
    encrypt: &EncryptArgs,
    pass_file: Option<&Path>,
    purpose: &str,
) -> CliResult<Option<secrets::Passphrase>> {
    if !encrypt.encrypt {
        return Ok(None);
    }
    secrets::for_writing(&Source { file: pass_file, env: PASSPHRASE_ENV, purpose }).map(Some)
}

/// Generates a key, showing a spinner with the expected time for slow (RSA) algorithms.
pub fn generate_with_progress(algorithm: KeyAlgorithm) -> CliResult<SecretDer> {
    let expected = algorithm.expected_generation_ms();
    let spinner = (expected >= 300 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("generating {algorithm} key (usually about {:.1} s)", expected as f64 / 1000.0));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let result = signet_keys::generate(algorithm);
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    result.map_err(CliError::from)
}

/// Writes a key (encrypted if a passphrase is given) with mode 0600 and reports it; an existing
/// file is replaced only for [`KeyTarget::ReplaceKeepingOld`], and kept aside first.
pub fn write_key(
    pkcs8: &SecretDer,
    algorithm: KeyAlgorithm,
    out: &Path,
    encrypt: &EncryptArgs,
    passphrase: Option<&str>,
    target: KeyTarget,
) -> CliResult<KeyReport> {
    let spki = signet_codec::private_key::public_spki(pkcs8)?;
    let text = match passphrase {
        Some(pass) => {
            let kdf = match encrypt.kdf {
                KdfArg::Scrypt => signet_codec::private_key::Kdf::Scrypt,
                KdfArg::Pbkdf2 => signet_codec::private_key::Kdf::Pbkdf2,
            };
            let encrypted = signet_codec::private_key::encrypt(pkcs8, pass.as_bytes(), kdf)?;
            pem::encode(ObjectKind::EncryptedPrivateKey.pem_label(), &encrypted)
        }
        None => pem::encode(ObjectKind::PrivateKey.pem_label(), pkcs8.expose()),
    };
    let text = zeroize::Zeroizing::new(text);
    let kept = key_files::write(out, text.as_bytes(), target)?;
    Ok(KeyReport {
        file: absolute(out),
        algorithm: algorithm.to_string(),
        encrypted: passphrase.is_some(),
        spki_sha256: public_key::sha256_hex(&spki),
        replaced_file_kept_as: kept.as_deref().map(absolute),
    })
}

/// The human summary, with the backup reminder (P1).
pub fn print_key_report(report: &KeyReport) {
    say!("Private key written");
    output::field("file", format!("{} (mode 0600)", report.file));
    output::field("algorithm", &report.algorithm);
    output::field("encrypted", if report.encrypted { "yes (PBES2, AES-256-CBC)" } else { "no" });
    output::field("public key", format!("SPKI SHA-256 {}", output::colons(&report.spki_sha256)));
    if let Some(kept) = &report.replaced_file_kept_as {
        output::field("old file", format!("kept as {kept} (nothing was deleted)"));
    }
    say!(
        "Back up this file{} now: a certificate issued for this key is useless without it, and no CA can recover it.",
        if report.encrypted { " and its passphrase" } else { "" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_private_pkcs8() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("k.pem");
        let pkcs8 = signet_keys::generate(KeyAlgorithm::EcP256).unwrap();
        let encrypt = EncryptArgs { encrypt: false, kdf: KdfArg::Scrypt };
        let report = write_key(&pkcs8, KeyAlgorithm::EcP256, &out, &encrypt, None, KeyTarget::New).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(report.spki_sha256.len(), 64);
        assert!(write_key(&pkcs8, KeyAlgorithm::EcP256, &out, &encrypt, None, KeyTarget::New).is_err());
    }
}
