//! Known-compromised RSA keys: the Debian OpenSSL keys of CVE-2008-0166, or any list in the same
//! format. That format is the one of Debian's `openssl-blacklist` package (`blacklist.RSA-2048`
//! and its siblings) and of Boulder's weak-key list: one key per line, the last 20 hex digits of
//! SHA-1 over `Modulus=<MODULUS IN UPPER-CASE HEX>\n`, which is what `openssl rsa -noout -modulus`
//! prints. Lines starting with `#` and blank lines are ignored.
//!
//! The data is not built in: the lists are not redistributable from here, and a CA operator
//! installs them (`apt-get install openssl-blacklist` where the distribution still ships it, or
//! a copy from an archive) and names them in `signet.toml`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where Debian and Ubuntu put the lists when the `openssl-blacklist` package is installed.
pub const DEBIAN_LIST_DIR: &str = "/usr/share/openssl-blacklist";

/// Bytes of the SHA-1 kept per key (the lists keep the last 80 bits).
const FINGERPRINT_BYTES: usize = 10;

/// A weak-key list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("weak-key list {file}: {message}")]
pub struct WeakKeysError {
    /// The file.
    pub file: String,
    /// What is wrong, with the line number where there is one.
    pub message: String,
}

/// A set of known-compromised RSA moduli, by fingerprint.
#[derive(Debug, Clone, Default)]
pub struct WeakKeys {
    fingerprints: HashSet<[u8; FINGERPRINT_BYTES]>,
    files: Vec<PathBuf>,
}

impl WeakKeys {
    /// Reads and merges list files.
    pub fn load(paths: &[PathBuf]) -> Result<Self, WeakKeysError> {
        let mut keys = Self::default();
        for path in paths {
            let failed = |message: String| WeakKeysError { file: path.display().to_string(), message };
            let text = std::fs::read_to_string(path).map_err(|e| failed(format!("cannot read it: {e}")))?;
            keys.add(&text).map_err(failed)?;
            keys.files.push(path.clone());
        }
        Ok(keys)
    }

    /// Adds the keys of one list's text.
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fingerprint = [0u8; FINGERPRINT_BYTES];
            hex::decode_to_slice(line, &mut fingerprint).map_err(|_| {
                format!(
                    "line {}: {line:?} is not 20 hexadecimal digits (the last 20 of a SHA-1 of `openssl rsa -noout -modulus`)",
                    number + 1
                )
            })?;
            self.fingerprints.insert(fingerprint);
        }
        Ok(())
    }

    /// The list files in the default place, `/usr/share/openssl-blacklist/blacklist.RSA-*`, if any.
    pub fn debian_files() -> Vec<PathBuf> {
        list_files(Path::new(DEBIAN_LIST_DIR))
    }

    /// How many keys are listed.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// Whether no key is listed.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// The files the keys came from.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Whether the RSA modulus (big-endian, leading zero bytes allowed) is listed.
    pub fn contains_modulus(&self, modulus: &[u8]) -> bool {
        !self.is_empty() && self.fingerprints.contains(&fingerprint(modulus))
    }
}

/// The list fingerprint of an RSA modulus.
pub fn fingerprint(modulus: &[u8]) -> [u8; FINGERPRINT_BYTES] {
    let start = modulus.iter().position(|b| *b != 0).unwrap_or(modulus.len());
    let text = format!("Modulus={}\n", hex::encode_upper(modulus.get(start..).unwrap_or_default()));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes());
    let mut out = [0u8; FINGERPRINT_BYTES];
    if let Some(tail) = digest.as_ref().get(digest.as_ref().len() - FINGERPRINT_BYTES..) {
        out.copy_from_slice(tail);
    }
    out
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("blacklist.RSA-")))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_the_list_format() {
        // printf 'Modulus=ABCD\n' | sha1sum = 604da3641aba8c227b8ca0677fa162dd3c68d49c
        assert_eq!(hex::encode(fingerprint(&[0xab, 0xcd])), "a0677fa162dd3c68d49c");
        assert_eq!(fingerprint(&[0, 0, 0xab, 0xcd]), fingerprint(&[0xab, 0xcd]));
        let mut keys = WeakKeys::default();
        keys.add(&format!("# comment\n\n{}\n", hex::encode(fingerprint(&[0xab, 0xcd])))).unwrap();
        assert!(keys.contains_modulus(&[0x00, 0xab, 0xcd]));
        assert!(!keys.contains_modulus(&[0xab, 0xce]));
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn bad_lines_are_named() {
        let mut keys = WeakKeys::default();
        let error = keys.add("0123456789abcdef0123\nnot hex\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
    }

    #[test]
    fn only_rsa_lists_are_picked_from_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["blacklist.RSA-2048", "blacklist.RSA-1024", "blacklist.DSA-1024", "README"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let names: Vec<String> =
            list_files(dir.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["blacklist.RSA-1024", "blacklist.RSA-2048"]);
    }
}
