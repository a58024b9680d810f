//! Finding what signet already knows: the data directory, the server's URL and the admin token,
//! so that commands work from any directory after `signet serve` has run once.
//!
//! The data directory is, in order: `--data DIR`, `$SIGNET_DATA`, `./signet-data`, then the one
//! `signet serve` recorded for this user (`$XDG_CONFIG_HOME/signet/data-dir`, by default
//! `~/.config/signet/data-dir`). When none is found, the error lists every place looked at.
//! Nothing here creates a CA: only `signet serve` does, and only when it finds none of these.

use std::path::{Path, PathBuf};

use crate::data::config_path;
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};

/// Environment variable naming the data directory.
pub const DATA_ENV: &str = "SIGNET_DATA";
/// The data directory in the current directory.
pub const LOCAL_DIR: &str = "signet-data";
/// File name of the per-user record, in the per-user configuration directory.
const RECORD_FILE: &str = "data-dir";

/// Where a data directory was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--data`.
    Flag,
    /// `$SIGNET_DATA`.
    Environment,
    /// `./signet-data`.
    CurrentDirectory,
    /// The record `signet serve` wrote (its path).
    Recorded(PathBuf),
}

impl Origin {
    /// In words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Flag => "--data".into(),
            Self::Environment => format!("${DATA_ENV}"),
            Self::CurrentDirectory => format!("./{LOCAL_DIR}"),
            Self::Recorded(record) => format!("the default recorded in {}", record.display()),
        }
    }
}

/// A data directory and how it was found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The directory.
    pub dir: PathBuf,
    /// How it was found.
    pub origin: Origin,
}

/// Why no data directory was found: every place looked at, with what was there.
#[derive(Debug, Clone)]
pub struct NotFound {
    /// "PLACE (WHAT)" for each place, in the order looked at.
    pub looked: Vec<String>,
    /// An explicitly named directory (flag or environment) that is not a data directory.
    pub explicit: Option<(Origin, PathBuf)>,
}

impl NotFound {
    /// The one-line error for commands that need an existing CA.
    pub fn error(&self) -> CliError {
        if let Some((origin, dir)) = &self.explicit {
            return CliError::bad_input(format!(
                "{} (from {}) has no signet.toml, so it is not a signet data directory; give the directory that holds your CA's signet.toml",
                dir.display(),
                origin.describe()
            ));
        }
        CliError::bad_input(format!(
            "no signet data directory found; looked at {}. Give your CA's directory (the one holding signet.toml; `signet serve` prints it as `data:` when it starts) with --data DIR or ${DATA_ENV}",
            self.looked.join(", ")
        ))
    }
}

/// The per-user configuration directory (`$XDG_CONFIG_HOME/signet`, `~/.config/signet`, or
/// `%APPDATA%\signet`), if one can be named.
pub fn user_config_dir() -> Option<PathBuf> {
    let nonempty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(xdg) = nonempty("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("signet"));
    }
    if cfg!(windows)
        && let Some(appdata) = nonempty("APPDATA")
    {
        return Some(appdata.join("signet"));
    }
    nonempty("HOME").or_else(|| nonempty("USERPROFILE")).map(|home| home.join(".config").join("signet"))
}

/// The per-user record of the default data directory.
pub fn record_path() -> Option<PathBuf> {
    user_config_dir().map(|dir| dir.join(RECORD_FILE))
}

/// The directory a record names, if the record exists and names one.
fn read_record(record: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(record).ok()?;
    text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).map(PathBuf::from)
}

fn is_data_dir(dir: &Path) -> bool {
    config_path(dir).is_file()
}

fn state_of(dir: &Path) -> &'static str {
    if !dir.exists() {
        "no such directory"
    } else if !dir.is_dir() {
        "not a directory"
    } else {
        "no signet.toml in it"
    }
}

/// Finds the data directory of an existing CA, in the documented order.
pub fn find(flag: Option<&Path>) -> Result<Found, NotFound> {
    let mut looked = Vec::new();
    if let Some(dir) = flag {
        if is_data_dir(dir) {
            return Ok(Found { dir: dir.to_path_buf(), origin: Origin::Flag });
        }
        return Err(NotFound { looked, explicit: Some((Origin::Flag, dir.to_path_buf())) });
    }
    looked.push("--data (not given)".to_string());
    match std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()).map(PathBuf::from) {
        Some(dir) if is_data_dir(&dir) => return Ok(Found { dir, origin: Origin::Environment }),
        Some(dir) => return Err(NotFound { looked, explicit: Some((Origin::Environment, dir)) }),
        None => looked.push(format!("${DATA_ENV} (not set)")),
    }
    let local = PathBuf::from(LOCAL_DIR);
    if is_data_dir(&local) {
        return Ok(Found { dir: local, origin: Origin::CurrentDirectory });
    }
    looked.push(format!("{} ({})", absolute(&local), state_of(&local)));
    match record_path() {
        None => looked.push("the per-user default (neither XDG_CONFIG_HOME nor HOME is set)".into()),
        Some(record) => match read_record(&record) {
            Some(dir) if is_data_dir(&dir) => return Ok(Found { dir, origin: Origin::Recorded(record) }),
            Some(dir) => looked.push(format!(
                "the default recorded in {} ({}: {})",
                record.display(),
                dir.display(),
                state_of(&dir)
            )),
            None => {
                looked.push(format!("{} (no such file: `signet serve` writes it when it starts)", record.display()))
            }
        },
    }
    Err(NotFound { looked, explicit: None })
}

/// The data directory of an existing CA, or the error listing every place looked at.
pub fn data_dir(flag: Option<&Path>) -> CliResult<PathBuf> {
    find(flag).map(|found| found.dir).map_err(|e| e.error())
}

/// Where `signet serve` should run: an existing CA found as [`find`] does, else (no CA anywhere)
/// a new one in `--data`, `$SIGNET_DATA` or `./signet-data`.
pub fn serve_dir(flag: Option<&Path>) -> Found {
    if let Some(dir) = flag {
        return Found { dir: dir.to_path_buf(), origin: Origin::Flag };
    }
    if let Some(dir) = std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()) {
        return Found { dir: dir.into(), origin: Origin::Environment };
    }
    let local = PathBuf::from(LOCAL_DIR);
    // A partial ./signet-data is `serve`'s to report, not a reason to use another CA.
    if local.exists() {
        return Found { dir: local, origin: Origin::CurrentDirectory };
    }
    match find(None) {
        Ok(found) => found,
        Err(_) => Found { dir: local, origin: Origin::CurrentDirectory },
    }
}

/// What recording `dir` as the per-user default did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The record now names `dir` (written to this file).
    Written(PathBuf),
    /// The record already named `dir`.
    Unchanged(PathBuf),
    /// The record names another working data directory, which stays the default.
    Other {
        /// The record file.
        record: PathBuf,
        /// The directory it names.
        dir: PathBuf,
    },
}

/// Records `dir` (absolute) as this user's default data directory, unless the record already
/// names another working one.
pub fn record(dir: &Path) -> CliResult<Recorded> {
    let record =
        record_path().ok_or_else(|| CliError::runtime("cannot name a per-user configuration directory: set HOME"))?;
    let wanted = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if let Some(current) = read_record(&record) {
        let same = std::fs::canonicalize(&current).ok() == std::fs::canonicalize(&wanted).ok();
        if same {
            return Ok(Recorded::Unchanged(record));
        }
        if is_data_dir(&current) {
            return Ok(Recorded::Other { record, dir: current });
        }
    }
    let Some(text) = wanted.to_str() else {
        return Err(CliError::runtime(format!("{} is not UTF-8; it cannot be recorded", wanted.display())));
    };
    if let Some(parent) = record.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", parent.display())))?;
    }
    let contents = format!(
        "# Written by `signet serve`: the data directory signet commands use when neither --data,\n# ${DATA_ENV} nor ./{LOCAL_DIR} names one. Edit or delete it freely.\n{text}\n"
    );
    write_atomic(&record, contents.as_bytes(), Mode::Public, true)?;
    Ok(Recorded::Written(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_name_the_first_path_line() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("data-dir");
        std::fs::write(&record, "# comment\n\n  /srv/signet-data  \n/other\n").unwrap();
        assert_eq!(read_record(&record), Some(PathBuf::from("/srv/signet-data")));
        std::fs::write(&record, "# only a comment\n").unwrap();
        assert_eq!(read_record(&record), None);
    }

    #[test]
    fn an_explicit_directory_without_signet_toml_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = find(Some(dir.path())).unwrap_err().error();
        assert!(err.message.contains("(from --data) has no signet.toml"), "{}", err.message);
        std::fs::write(dir.path().join("signet.toml"), "").unwrap();
        let found = find(Some(dir.path())).unwrap();
        assert_eq!(found.origin, Origin::Flag);
    }
}
