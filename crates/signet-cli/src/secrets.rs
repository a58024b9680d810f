//! Passphrases: from a file, an environment variable or an interactive prompt; never from argv,
//! never logged, zeroized after use.

use std::io::IsTerminal;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};

/// The environment variable holding a passphrase for reading or writing keys.
pub const PASSPHRASE_ENV: &str = "SIGNET_PASSPHRASE";
/// The environment variable holding the password for a PKCS#12 file being written.
pub const OUT_PASSPHRASE_ENV: &str = "SIGNET_OUT_PASSPHRASE";

/// A passphrase held in zeroizing memory.
pub type Passphrase = Zeroizing<String>;

/// Reads the first line of a passphrase file (through the one capped reader, [`crate::files`]).
pub fn from_file(path: &Path) -> CliResult<Passphrase> {
    let bytes = crate::files::read_secret(path).map_err(|e| e.context("the passphrase file"))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::bad_input(format!("the passphrase file {} is not UTF-8 text", path.display())))?;
    let line = text.lines().next().unwrap_or("");
    Ok(Zeroizing::new(line.to_string()))
}

/// Where to look for a passphrase.
pub struct Source<'a> {
    /// `--pass-file`.
    pub file: Option<&'a Path>,
    /// Environment variable name.
    pub env: &'a str,
    /// What it is for, in the prompt ("the new key").
    pub purpose: &'a str,
}

/// A passphrase from the file, else the environment, else `None`.
pub fn lookup(source: &Source<'_>) -> CliResult<Option<Passphrase>> {
    if let Some(file) = source.file {
        return from_file(file).map(Some);
    }
    Ok(std::env::var(source.env).ok().map(Zeroizing::new))
}

/// A passphrase for decrypting: file, environment, or a prompt on a terminal.
pub fn for_reading(source: &Source<'_>) -> CliResult<Passphrase> {
    if let Some(found) = lookup(source)? {
        return Ok(found);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::bad_input(format!(
            "{} is encrypted: give its passphrase with --pass-file FILE or the {} environment variable",
            source.purpose, source.env
        )));
    }
    rpassword::prompt_password(format!("Passphrase for {}: ", source.purpose))
        .map(Zeroizing::new)
        .map_err(|e| CliError::runtime(format!("cannot read the passphrase: {e}")))
}

/// A new passphrase for encrypting: file, environment, or a prompt asked twice.
pub fn for_writing(source: &Source<'_>) -> CliResult<Passphrase> {
    let passphrase = match lookup(source)? {
        Some(found) => found,
        None => {
            if !std::io::stdin().is_terminal() {
                return Err(CliError::bad_input(format!(
                    "a passphrase is needed for {}: give it with --pass-file FILE or the {} environment variable",
                    source.purpose, source.env
                )));
            }
            let prompt = |text: &str| {
                rpassword::prompt_password(text)
                    .map(Zeroizing::new)
                    .map_err(|e| CliError::runtime(format!("cannot read the passphrase: {e}")))
            };
            let first = prompt(&format!("New passphrase for {}: ", source.purpose))?;
            let second = prompt("Repeat it: ")?;
            if *first != *second {
                return Err(CliError::bad_input("the two passphrases differ; nothing was written"));
            }
            first
        }
    };
    if passphrase.is_empty() {
        return Err(CliError::bad_input("the passphrase is empty; choose a real one"));
    }
    Ok(passphrase)
}

/// A random password of 24 characters from a 58-character alphabet without look-alikes (~140 bits).
pub fn generate_password() -> CliResult<Passphrase> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_";
    let mut out = Zeroizing::new(String::with_capacity(24));
    let mut byte = [0u8; 1];
    while out.len() < 24 {
        aws_lc_rs::rand::fill(&mut byte).map_err(|_| CliError::runtime("the system random generator failed"))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        let value = usize::from(byte[0]);
        if value < limit
            && let Some(c) = ALPHABET.get(value % ALPHABET.len())
        {
            out.push(char::from(*c));
        }
    }
    Ok(out)
}
