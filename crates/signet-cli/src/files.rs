//! Reading inputs and writing outputs safely.
//!
//! Writes are atomic (a temporary file in the same directory, fsync, rename, fsync of the
//! directory), so a crash never leaves half a key. Existing files are never replaced without
//! `--force`, and private keys are created with mode 0600.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use signet_codec::object::MAX_INPUT;

use crate::error::{CliError, CliResult};

/// Reads a whole input file (`-` for standard input), refusing oversized files before reading.
pub fn read_input(path: &str) -> CliResult<Vec<u8>> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::runtime(format!("cannot read standard input: {e}")))?;
        if bytes.len() > MAX_INPUT {
            return Err(CliError::bad_input(format!("standard input is larger than {MAX_INPUT} bytes")));
        }
        return Ok(bytes);
    }
    let metadata = fs::metadata(path).map_err(|e| read_error(path, &e))?;
    if metadata.is_dir() {
        return Err(CliError::bad_input(format!("{path} is a directory; give a file")));
    }
    if metadata.len() > MAX_INPUT as u64 {
        return Err(CliError::bad_input(format!(
            "{path} is {} bytes; signet reads PKI files of at most {MAX_INPUT} bytes (is this the right file?)",
            metadata.len()
        )));
    }
    fs::read(path).map_err(|e| read_error(path, &e))
}

fn read_error(path: &str, e: &std::io::Error) -> CliError {
    match e.kind() {
        std::io::ErrorKind::NotFound => CliError::bad_input(format!("{path}: no such file; check the path")),
        std::io::ErrorKind::PermissionDenied => {
            CliError::bad_input(format!("{path}: permission denied; run as a user who can read it"))
        }
        _ => CliError::runtime(format!("cannot read {path}: {e}")),
    }
}

/// File permissions for a new output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: private keys, PKCS#12 files, tokens.
    Secret,
    /// 0644: certificates, CSRs, public data.
    Public,
}

/// Writes `bytes` to `path` atomically; refuses to replace an existing file unless `overwrite`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode, overwrite: bool) -> CliResult {
    let shown = path.display();
    if !overwrite && path.exists() {
        return Err(CliError::bad_input(format!(
            "{shown} already exists; signet never replaces a file silently: choose another name or add --force"
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::bad_input(format!("cannot write {shown}: directory {} does not exist", dir.display())));
    }
    let io = |e: std::io::Error| CliError::runtime(format!("cannot write {shown}: {e}"));
    let mut temp = tempfile::Builder::new().prefix(".signet-").suffix(".tmp").tempfile_in(dir).map_err(io)?;
    set_mode(temp.as_file(), mode).map_err(io)?;
    temp.write_all(bytes).map_err(io)?;
    temp.as_file().sync_all().map_err(io)?;
    if overwrite {
        temp.persist(path).map_err(|e| io(e.error))?;
    } else {
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::bad_input(format!("{shown} already exists; choose another name or add --force"))
            } else {
                io(e.error)
            }
        })?;
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: Mode) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bits = match mode {
        Mode::Secret => 0o600,
        Mode::Public => 0o644,
    };
    file.set_permissions(fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: Mode) -> std::io::Result<()> {
    Ok(())
}

/// Absolute form of a path for messages.
pub fn absolute(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_overwrites_without_force_and_keys_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        write_atomic(&path, b"one", Mode::Secret, false).unwrap();
        let err = write_atomic(&path, b"two", Mode::Secret, false).unwrap_err();
        assert!(err.message.contains("--force"));
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two", Mode::Secret, true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn missing_files_say_so() {
        let err = read_input("/nonexistent/file.pem").unwrap_err();
        assert_eq!(err.code, crate::error::EXIT_BAD_INPUT);
        assert!(err.message.contains("no such file"));
    }
}
