//! Printing results: JSON for `--json`, aligned text otherwise.

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Prints a line on standard output; a closed pipe (`signet ... | head`) ends the process quietly
/// instead of panicking.
#[macro_export]
macro_rules! say {
    () => { $crate::output::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Writes to standard output, exiting with status 0 if the reader went away.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args)
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Prints `value` as pretty JSON on standard output.
pub fn json(value: &impl Serialize) -> CliResult {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::runtime(format!("cannot encode JSON: {e}")))?;
    say!("{text}");
    Ok(())
}

/// A `label: value` line with the label padded to a column.
pub fn field(label: &str, value: impl std::fmt::Display) {
    say!("  {:<13} {value}", format!("{label}:"));
}

/// A hex string with colons every two digits, as fingerprints are usually shown.
pub fn colons(hex: &str) -> String {
    let pairs: Vec<String> = hex.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).to_uppercase()).collect();
    pairs.join(":")
}

/// A warning line on standard error.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// A line worth the operator's attention that is not a problem, on standard error.
pub fn note(message: &str) {
    eprintln!("note: {message}");
}
