//! CLI errors: one line saying what is wrong and what to do, and the exit code.
//!
//! Exit codes: 0 success; 1 a check failed (verify found problems, files do not match);
//! 2 bad input (arguments, files, passwords); 3 the environment failed (disk, network, server).

use std::fmt;

/// Exit code for a failed check.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code for bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for environment failures.
pub const EXIT_RUNTIME: u8 = 3;

/// An error the CLI reports and exits with.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: u8,
    /// The one-line message.
    pub message: String,
}

impl CliError {
    /// Bad arguments or files (exit 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self { code: EXIT_BAD_INPUT, message: message.into() }
    }

    /// A check that did not pass (exit 1).
    pub fn check_failed(message: impl Into<String>) -> Self {
        Self { code: EXIT_CHECK_FAILED, message: message.into() }
    }

    /// The environment failed (exit 3).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self { code: EXIT_RUNTIME, message: message.into() }
    }

    /// Prefixes the message with where it happened (usually a file name).
    pub fn context(self, what: impl fmt::Display) -> Self {
        Self { code: self.code, message: format!("{what}: {}", self.message) }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<signet_codec::CodecError> for CliError {
    fn from(e: signet_codec::CodecError) -> Self {
        Self::bad_input(e.to_string())
    }
}

impl From<signet_subscriber::CsrError> for CliError {
    fn from(e: signet_subscriber::CsrError) -> Self {
        Self::bad_input(e.to_string())
    }
}

impl From<signet_keys::KeyError> for CliError {
    fn from(e: signet_keys::KeyError) -> Self {
        match e {
            signet_keys::KeyError::Generation | signet_keys::KeyError::Signing(_) => Self::runtime(e.to_string()),
            other => Self::bad_input(other.to_string()),
        }
    }
}

impl From<signet_authority::AuthorityError> for CliError {
    /// The database or the machine failing is a runtime error (exit 1); anything the caller
    /// asked for that was refused is bad input (exit 2).
    fn from(e: signet_authority::AuthorityError) -> Self {
        match e.kind() {
            signet_authority::Kind::Unavailable | signet_authority::Kind::Internal => Self::runtime(e.to_string()),
            _ => Self::bad_input(e.to_string()),
        }
    }
}

/// Result of a CLI command.
pub type CliResult<T = ()> = Result<T, CliError>;
