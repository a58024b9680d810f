//! Typographic look-alikes in the command line (seed mistake P26): `—out` and curly quotes
//! copied from a document. Refused before parsing, naming the flag they belong to and giving the
//! command-line text to type instead; that text is itself accepted (quotes the shell should have
//! removed are dropped, not turned into straight quotes inside the value).

use std::ffi::OsString;

use signet_model::lookalike;

use crate::error::{CliError, CliResult};

/// Refuses the first argument (after the program name) that holds a look-alike character.
pub fn check(args: &[OsString]) -> CliResult {
    let texts: Vec<Option<&str>> = args.iter().map(|a| a.to_str()).collect();
    for (index, text) in texts.iter().enumerate() {
        let Some(text) = text else { continue };
        let Some(first) = lookalike::find(text).first().cloned() else { continue };
        let fixed = fix(text);
        let previous = index.checked_sub(1).and_then(|i| texts.get(i).copied().flatten()).map(lookalike::to_ascii);
        let (what, typed) = if fixed.starts_with('-') {
            match fixed.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (format!("the value of {flag}"), format!("{flag}={}", shell_word(&unquote(value))))
                }
                _ => (format!("the flag {text:?}"), fixed.clone()),
            }
        } else {
            match previous.filter(|p| p.starts_with("--") && !p.contains('=')) {
                Some(flag) => (format!("the value of {flag}"), format!("{flag} {}", shell_word(&fixed))),
                None => (format!("the argument {text:?}"), shell_word(&fixed)),
            }
        };
        return Err(CliError::bad_input(format!(
            "{what} contains {} (U+{:04X}), probably copied from a document; type: {typed}",
            first.name,
            u32::from(first.found)
        )));
    }
    Ok(())
}

/// The ASCII form of an argument, without quotes around the whole of it: those were meant for
/// the shell, which leaves typographic quotes in place.
fn fix(text: &str) -> String {
    unquote(&lookalike::to_ascii(text))
}

fn unquote(text: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner.to_string();
        }
    }
    text.to_string()
}

/// `word` as typed in a POSIX shell: bare when safe, else in single quotes.
fn shell_word(word: &str) -> String {
    let safe = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/@=+%".contains(c));
    if safe { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        check(&args).unwrap_err().message
    }

    #[test]
    fn names_the_flag_and_gives_text_that_is_accepted() {
        let m = message(&["csr", "new", "--cn", "\u{201C}www.example.com\u{201D}"]);
        assert!(m.starts_with("the value of --cn contains LEFT DOUBLE QUOTATION MARK"), "{m}");
        assert!(m.ends_with("type: --cn www.example.com"), "{m}");
        let m = message(&["key", "new", "\u{2014}out", "k.pem"]);
        assert!(m.starts_with("the flag \"\u{2014}out\" contains EM DASH") && m.ends_with("type: --out"), "{m}");
        let m = message(&["csr", "new", "--org=\u{201C}Example Ltd\u{201D}"]);
        assert!(m.ends_with("type: --org='Example Ltd'"), "{m}");
        let m = message(&["csr", "new", "--org", "O\u{2019}Brien Ltd"]);
        assert!(m.ends_with(r"type: --org 'O'\''Brien Ltd'"), "{m}");
        let m = message(&["inspect", "www\u{2013}1.crt"]);
        assert!(m.starts_with("the argument") && m.ends_with("type: www-1.crt"), "{m}");
        let plain: Vec<OsString> = ["csr", "new", "--cn", "www.example.com"].iter().map(OsString::from).collect();
        check(&plain).unwrap();
    }
}
