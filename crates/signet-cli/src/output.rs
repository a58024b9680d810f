//! Printing results: JSON for `--json`, aligned text otherwise.

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Prints `value` as pretty JSON on standard output.
pub fn json(value: &impl Serialize) -> CliResult {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::runtime(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// A `label: value` line with the label padded to a column.
pub fn field(label: &str, value: impl std::fmt::Display) {
    println!("  {:<14}{value}", format!("{label}:"));
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
