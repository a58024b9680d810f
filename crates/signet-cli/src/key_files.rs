//! Private key files are never lost (seed mistake P1: the key behind a pending request or a live
//! certificate overwritten by "generate a new CSR").
//!
//! The rules, for every command that writes a key (`key new`, `csr new --new-key`):
//! * `--force` replaces public outputs only (CSRs, certificates); it never replaces a key file.
//! * An existing file at a key's path is replaced only with `--replace-key`, and then the old file
//!   is first linked (or copied) to `FILE.replaced-YYYYMMDDTHHMMSSZ` beside it; it is never deleted.
//!   The new key is written atomically over the old name afterwards.
//! * Even with `--replace-key`, a key is not replaced while signet can see that it is in use and
//!   that this file is its only copy: a certificate that has not expired or a CSR in the same
//!   directory holds its public key, and no other file there holds the same private key. Encrypted
//!   old keys cannot be checked without their passphrase; they are kept aside all the same.
//! * No output meant for a certificate or CSR (`--out ... --force`) replaces a file that holds a
//!   private key.

use std::fs;
use std::path::{Path, PathBuf};

use signet_codec::{ObjectKind, PkiObject, public_key};
use signet_model::{Clock, SystemClock};

use crate::error::{CliError, CliResult};
use crate::files::{Mode, write_atomic};

/// Files larger than this are not looked at when searching for a key's certificates.
const MAX_SIBLING_BYTES: u64 = 256 * 1024;
/// At most this many directory entries are looked at.
const MAX_SIBLINGS: usize = 1000;
/// Extensions of files that may hold a certificate, CSR or key.
const PKI_EXTENSIONS: &[&str] = &["crt", "cer", "cert", "pem", "der", "csr", "req", "key", "p7b", "p7c"];

/// How a command may treat an existing key file at its output path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTarget {
    /// The path must not exist (the default).
    New,
    /// An existing file may be replaced; it is kept aside first (`--replace-key`).
    ReplaceKeepingOld,
}

impl KeyTarget {
    /// From the `--replace-key` flag.
    pub fn from_flag(replace_key: bool) -> Self {
        if replace_key { Self::ReplaceKeepingOld } else { Self::New }
    }
}

/// Something in the key's directory that needs the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUser {
    /// The file.
    pub file: PathBuf,
    /// What it is, in words: "a certificate for CN=www.example.com, valid until ...".
    pub what: String,
}

/// Checks, before any slow work, that a key can be written to `out`.
///
/// `force` says whether the user gave `--force` (which does not apply to keys, and the message
/// says so); `flag` is the flag that named the path, for messages (`--out`, `--key-out`).
pub fn check_target(out: &Path, target: KeyTarget, force: bool, flag: &str) -> CliResult {
    if !exists(out) {
        return Ok(());
    }
    let shown = out.display();
    match target {
        KeyTarget::New => {
            let why =
                if force { "--force never replaces a private key" } else { "signet never replaces a key silently" };
            Err(CliError::bad_input(format!(
                "{shown} already exists and {why}: write the new key to another file ({flag} NEW.key), or add --replace-key to replace it (the old file is kept as {})",
                aside_example(out)
            )))
        }
        KeyTarget::ReplaceKeepingOld => {
            let users = key_users(out);
            match users.as_slice() {
                [] => Ok(()),
                [first, rest @ ..] => Err(CliError::bad_input(format!(
                    "{shown} is the only copy of the key of {}{} ({}): replacing it would leave {} without its key; write the new key to another file ({flag} NEW.key), or move {shown} aside yourself first",
                    first.file.display(),
                    if rest.is_empty() { String::new() } else { format!(" and {} other file(s)", rest.len()) },
                    first.what,
                    if rest.is_empty() && first.what.starts_with("a CSR") { "the request" } else { "them" },
                ))),
            }
        }
    }
}

/// Writes a key file: atomically, mode 0600, after keeping any old file aside.
///
/// Returns where the old file was kept, if there was one. Call [`check_target`] first.
pub fn write(out: &Path, bytes: &[u8], target: KeyTarget) -> CliResult<Option<PathBuf>> {
    if target == KeyTarget::New || !exists(out) {
        write_atomic(out, bytes, Mode::Secret, false)?;
        return Ok(None);
    }
    let kept = keep_aside(out)?;
    write_atomic(out, bytes, Mode::Secret, true)?;
    Ok(Some(kept))
}

/// Refuses to let a certificate or CSR output replace a file that holds a private key.
pub fn refuse_replacing_key(out: &Path, flag: &str) -> CliResult {
    if holds_private_key(out) {
        return Err(CliError::bad_input(format!(
            "{} holds a private key; {flag} would replace it with something else and the key would be lost: choose another {flag} file",
            out.display()
        )));
    }
    Ok(())
}

/// Whether `path` exists at all (a dangling symbolic link counts: it would be replaced too).
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn timestamp() -> String {
    let now = SystemClock.now();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn aside_example(out: &Path) -> String {
    format!("{}.replaced-{}", out.display(), timestamp())
}

/// Links (or copies) `out` to a new `OUT.replaced-TIME` name that did not exist before.
fn keep_aside(out: &Path) -> CliResult<PathBuf> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "key".into());
    let stamp = timestamp();
    for attempt in 0..100u32 {
        let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
        let aside = out.with_file_name(format!("{name}.replaced-{stamp}{suffix}"));
        match fs::hard_link(out, &aside) {
            Ok(()) => {
                sync_directory(&aside);
                return Ok(aside);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // Filesystems without hard links: copy instead, never over an existing file.
            Err(_) => {
                let bytes = fs::read(out)
                    .map_err(|e| CliError::runtime(format!("cannot read {} to keep it: {e}", out.display())))?;
                match write_atomic(&aside, &bytes, Mode::Secret, false) {
                    Ok(()) => return Ok(aside),
                    Err(_) if exists(&aside) => continue,
                    Err(e) => return Err(e.context("cannot keep the old key aside, so it was not replaced")),
                }
            }
        }
    }
    Err(CliError::runtime(format!(
        "cannot find a free name to keep {} aside; remove old {name}.replaced-* files",
        out.display()
    )))
}

fn sync_directory(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads a small regular file; `None` for anything else (directories, devices, FIFOs, big files).
fn read_small(path: &Path) -> Option<Vec<u8>> {
    let metadata = fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_SIBLING_BYTES {
        return None;
    }
    fs::read(path).ok()
}

fn decode(path: &Path) -> Vec<PkiObject> {
    read_small(path).and_then(|bytes| signet_codec::decode(&bytes).ok()).map(|d| d.objects).unwrap_or_default()
}

fn holds_private_key(path: &Path) -> bool {
    decode(path).iter().any(|o| matches!(o.kind(), ObjectKind::PrivateKey | ObjectKind::EncryptedPrivateKey))
}

/// The SHA-256 of the public key of the one unencrypted private key in `path`.
fn private_key_spki(path: &Path) -> Option<String> {
    let objects = decode(path);
    let mut keys = objects.iter().filter_map(|o| match o {
        PkiObject::PrivateKey { pkcs8, .. } => signet_codec::private_key::public_spki(pkcs8).ok(),
        _ => None,
    });
    match (keys.next(), keys.next()) {
        (Some(spki), None) => Some(public_key::sha256_hex(&spki)),
        _ => None,
    }
}

fn is_candidate(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    name.contains(".replaced-")
        || path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|e| PKI_EXTENSIONS.contains(&e.as_str()))
}

/// Certificates (not expired) and CSRs beside `key` that hold its public key, unless another
/// file there holds the same private key (then `key` is not the only copy).
pub fn key_users(key: &Path) -> Vec<KeyUser> {
    let Some(spki) = private_key_spki(key) else { return Vec::new() };
    let dir = match key.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let key_canonical = fs::canonicalize(key).ok();
    let now = SystemClock.now();
    let mut users = Vec::new();
    for entry in entries.flatten().take(MAX_SIBLINGS) {
        // Shown as the user wrote the key's path: `www.csr`, not `./www.csr`.
        let path = key.with_file_name(entry.file_name());
        if !is_candidate(&path) || fs::canonicalize(&path).ok() == key_canonical {
            continue;
        }
        for object in decode(&path) {
            match &object {
                PkiObject::PrivateKey { pkcs8, .. } => {
                    let same = signet_codec::private_key::public_spki(pkcs8)
                        .is_ok_and(|other| public_key::sha256_hex(&other) == spki);
                    if same {
                        return Vec::new();
                    }
                }
                PkiObject::Certificate(der) => {
                    if let Ok(info) = signet_codec::describe::certificate(der, now)
                        && info.public_key.spki_sha256 == spki
                        && info.status != "expired"
                    {
                        users.push(KeyUser {
                            file: path.clone(),
                            what: format!("a certificate for {}, valid until {}", info.subject, info.not_after),
                        });
                    }
                }
                PkiObject::CertificateRequest(der) => {
                    if let Ok(info) = signet_codec::describe::request(der)
                        && info.public_key.spki_sha256 == spki
                    {
                        users.push(KeyUser {
                            file: path.clone(),
                            what: format!("a CSR for {}: a CA may be about to issue its certificate", info.subject),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    users.sort_by(|a, b| a.file.cmp(&b.file));
    users
}

#[cfg(test)]
mod tests {
    use super::*;
    use signet_keys::KeyAlgorithm;

    fn key_pem() -> String {
        let pkcs8 = signet_keys::generate(KeyAlgorithm::EcP256).unwrap();
        signet_codec::pem::encode("PRIVATE KEY", pkcs8.expose())
    }

    fn csr_pem(key: &str) -> String {
        let decoded = signet_codec::decode(key.as_bytes()).unwrap();
        let PkiObject::PrivateKey { pkcs8, .. } = &decoded.objects[0] else { panic!("a key") };
        let signer = signet_keys::SoftwareKey::from_pkcs8(pkcs8.clone()).unwrap();
        let input = signet_subscriber::CsrInput {
            subject: signet_subscriber::SubjectInput {
                common_name: Some("www.example.com".into()),
                ..Default::default()
            },
            sans: vec!["example.com".into()],
        };
        let der = signet_subscriber::build(&signet_subscriber::plan(&input).unwrap(), &signer).unwrap();
        signet_codec::pem::encode("CERTIFICATE REQUEST", &der)
    }

    #[test]
    fn an_existing_key_is_kept_aside_never_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("www.key");
        let old = key_pem();
        fs::write(&out, &old).unwrap();
        let refused = check_target(&out, KeyTarget::New, true, "--key-out").unwrap_err();
        assert!(refused.message.contains("--force never replaces a private key"), "{}", refused.message);
        assert!(refused.message.contains("--replace-key"), "{}", refused.message);
        check_target(&out, KeyTarget::ReplaceKeepingOld, true, "--key-out").unwrap();
        let new = key_pem();
        let kept = write(&out, new.as_bytes(), KeyTarget::ReplaceKeepingOld).unwrap().unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), new);
        assert_eq!(fs::read_to_string(&kept).unwrap(), old);
        assert!(kept.file_name().unwrap().to_string_lossy().starts_with("www.key.replaced-"));
        // A second replacement in the same second gets its own name.
        let kept_again = write(&out, key_pem().as_bytes(), KeyTarget::ReplaceKeepingOld).unwrap().unwrap();
        assert_ne!(kept, kept_again);
        assert_eq!(fs::read_to_string(&kept_again).unwrap(), new);
    }

    #[test]
    fn a_key_with_a_csr_beside_it_is_not_replaced_unless_copied() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("www.key");
        let key = key_pem();
        fs::write(&out, &key).unwrap();
        fs::write(dir.path().join("www.csr"), csr_pem(&key)).unwrap();
        fs::write(dir.path().join("other.csr"), csr_pem(&key_pem())).unwrap();
        let users = key_users(&out);
        assert_eq!(users.len(), 1, "{users:?}");
        assert!(users[0].file.ends_with("www.csr"));
        let refused = check_target(&out, KeyTarget::ReplaceKeepingOld, false, "--key-out").unwrap_err();
        assert!(refused.message.contains("only copy of the key of"), "{}", refused.message);
        assert!(refused.message.contains("www.csr"), "{}", refused.message);
        // With another copy of the key beside it, the file is not the only copy.
        fs::write(dir.path().join("www-backup.key"), &key).unwrap();
        check_target(&out, KeyTarget::ReplaceKeepingOld, false, "--key-out").unwrap();
    }

    #[test]
    fn certificate_outputs_never_replace_keys() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("www.key");
        fs::write(&key, key_pem()).unwrap();
        assert!(refuse_replacing_key(&key, "--out").unwrap_err().message.contains("holds a private key"));
        let csr = dir.path().join("www.csr");
        fs::write(&csr, csr_pem(&key_pem())).unwrap();
        refuse_replacing_key(&csr, "--out").unwrap();
        refuse_replacing_key(&dir.path().join("absent.csr"), "--out").unwrap();
    }
}
