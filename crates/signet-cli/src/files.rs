//! Reading inputs and writing outputs safely.
//!
//! Every file the CLI reads goes through [`read_input`] or [`read_secret`], one reader that takes
//! regular files only: a directory, a named pipe, a device or a socket is refused by name before
//! it is opened (so `/dev/zero` or a FIFO with no writer never blocks or fills memory), the file
//! is opened without blocking and checked again, and at most a fixed number of bytes is read.
//! Symbolic links are followed; a loop is bad input.
//!
//! Writes are atomic (a temporary file in the same directory, fsync, rename, fsync of the
//! directory), so a crash never leaves half a key. Existing files are never replaced without
//! `--force`, never replaced at all unless they are regular files, and private keys are created
//! with mode 0600.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use signet_codec::object::MAX_INPUT;
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};

/// Largest passphrase or token file read (they hold one line).
pub const MAX_SECRET_FILE: usize = 64 * 1024;

/// Reads a whole PKI input file (`-` for standard input), at most [`MAX_INPUT`] bytes.
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
    read_regular(Path::new(path), MAX_INPUT, "signet reads PKI files of at most")
}

/// Reads a passphrase or token file into memory that is wiped after use.
pub fn read_secret(path: &Path) -> CliResult<Zeroizing<Vec<u8>>> {
    read_regular(path, MAX_SECRET_FILE, "a passphrase or token file holds one line: at most").map(Zeroizing::new)
}

/// Reads a private key file (PEM or DER) into memory that is wiped after use.
pub fn read_private_key(path: &Path) -> CliResult<Zeroizing<Vec<u8>>> {
    read_regular(path, MAX_INPUT, "signet reads key files of at most").map(Zeroizing::new)
}

/// The one reader: `path` (symbolic links followed) if it is a regular file of at most `limit`
/// bytes; `too_large` starts the message for a larger one.
fn read_regular(path: &Path, limit: usize, too_large: &str) -> CliResult<Vec<u8>> {
    let shown = path.display();
    let metadata = fs::metadata(path).map_err(|e| read_error(path, &e))?;
    refuse_non_file(path, &metadata)?;
    let file = open_without_blocking(path).map_err(|e| read_error(path, &e))?;
    // The path may have been replaced since it was looked at: check what was opened.
    let metadata = file.metadata().map_err(|e| read_error(path, &e))?;
    refuse_non_file(path, &metadata)?;
    let oversized = |size: u64| {
        CliError::bad_input(format!("{shown} is {size} bytes; {too_large} {limit} bytes (is this the right file?)"))
    };
    if metadata.len() > limit as u64 {
        return Err(oversized(metadata.len()));
    }
    // Sized from the file so a secret is not copied by reallocation; bounded if it grows.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(limit).min(limit) + 1);
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| read_error(path, &e))?;
    if bytes.len() > limit {
        return Err(oversized(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Refuses what is not a regular file, by name: reading a pipe, a device or a socket can block
/// or never end.
fn refuse_non_file(path: &Path, metadata: &fs::Metadata) -> CliResult {
    let shown = path.display();
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(CliError::bad_input(format!("{shown} is a directory; give a file")));
    }
    Err(CliError::bad_input(format!(
        "{shown} is {}, not a regular file; save the data to a file and give that",
        special_kind(&kind)
    )))
}

#[cfg(unix)]
fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &fs::FileType) -> &'static str {
    "a special file"
}

/// Opens for reading with O_NONBLOCK (a FIFO without a writer opens at once instead of waiting;
/// regular files read as usual) and O_NOCTTY (a terminal never becomes ours).
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    // The flag bits are small positive constants (0o4000, 0o400 on Linux), so they fit an i32.
    fs::OpenOptions::new().read(true).custom_flags(i32::try_from(flags.bits()).unwrap_or_default()).open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<fs::File> {
    fs::File::open(path)
}

fn read_error(path: &Path, e: &std::io::Error) -> CliError {
    let shown = path.display();
    if rustix::io::Errno::from_io_error(e) == Some(rustix::io::Errno::LOOP) {
        return CliError::bad_input(format!(
            "{shown}: too many levels of symbolic links (a loop?); give the file itself"
        ));
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => CliError::bad_input(format!("{shown}: no such file; check the path")),
        std::io::ErrorKind::PermissionDenied => {
            CliError::bad_input(format!("{shown}: permission denied; run as a user who can read it"))
        }
        std::io::ErrorKind::NotADirectory => {
            CliError::bad_input(format!("{shown}: a part of the path is not a directory; check the path"))
        }
        std::io::ErrorKind::InvalidFilename => {
            CliError::bad_input(format!("{shown}: the name is too long or invalid; check the path"))
        }
        _ => CliError::runtime(format!("cannot read {shown}: {e}")),
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
    // Replacing a device, a pipe or a directory by renaming over it is never what was meant.
    if let Ok(existing) = fs::metadata(path)
        && !existing.is_file()
    {
        return Err(CliError::bad_input(format!(
            "{shown} exists and is not a regular file; signet writes new files: choose another name"
        )));
    }
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
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        fs::write(&big, vec![b'x'; MAX_SECRET_FILE + 1]).unwrap();
        let e = read_secret(&big).unwrap_err();
        assert_eq!(e.code, crate::error::EXIT_BAD_INPUT);
        assert!(e.message.contains("at most 65536 bytes"), "{e}");
        let small = dir.path().join("small");
        fs::write(&small, b"secret\n").unwrap();
        assert_eq!(read_secret(&small).unwrap().as_slice(), b"secret\n");
        let e = read_secret(dir.path()).unwrap_err();
        assert!(e.message.contains("is a directory"), "{e}");
        #[cfg(unix)]
        {
            let (a, b) = (dir.path().join("a"), dir.path().join("b"));
            std::os::unix::fs::symlink(&a, &b).unwrap();
            std::os::unix::fs::symlink(&b, &a).unwrap();
            let e = read_secret(&a).unwrap_err();
            assert_eq!(e.code, crate::error::EXIT_BAD_INPUT);
            assert!(e.message.contains("symbolic links"), "{e}");
            let e = read_input("/dev/zero").unwrap_err();
            assert!(e.message.contains("is a device"), "{e}");
        }
    }

    #[test]
    fn missing_files_say_so() {
        let err = read_input("/nonexistent/file.pem").unwrap_err();
        assert_eq!(err.code, crate::error::EXIT_BAD_INPUT);
        assert!(err.message.contains("no such file"));
    }
}
