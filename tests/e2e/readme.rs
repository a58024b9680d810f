//! What a new user reads: the README's commands, walked in order from a directory other than the
//! repository, and the wording of messages (no internal catalogue ids such as "(P13)").

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Rust sources of every crate.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// An id of the mistake catalogue (`(P13)`, `(seed ISS-8)`) inside a string literal of `line`.
fn catalogue_id_in_string(line: &str) -> Option<String> {
    let code = line.trim_start();
    if code.starts_with("//") || code.starts_with("#[doc") {
        return None;
    }
    // Only text between quotes counts; a trailing `// (P1)` comment does not.
    let mut in_string = false;
    let mut literal = String::new();
    let mut previous = ' ';
    for c in code.chars() {
        if c == '"' && previous != '\\' {
            if in_string {
                let id = literal.split(['(', ')']).map(str::trim).find(|part| {
                    let numbered =
                        part.strip_prefix('P').is_some_and(|n| !n.is_empty() && n.chars().all(|d| d.is_ascii_digit()));
                    numbered || part.starts_with("seed ")
                });
                if let Some(id) = id {
                    return Some(id.to_string());
                }
                literal.clear();
            }
            in_string = !in_string;
        } else if in_string {
            literal.push(c);
        } else if c == '/' && previous == '/' {
            break;
        }
        previous = c;
    }
    None
}

#[test]
fn messages_carry_no_catalogue_ids() {
    assert_eq!(catalogue_id_in_string(r#"say!("keep it apart (P13).");"#).as_deref(), Some("P13"));
    assert_eq!(catalogue_id_in_string(r#"Err("needs a manager (seed ISS-8)".into())"#).as_deref(), Some("seed ISS-8"));
    assert_eq!(catalogue_id_in_string(r#"let p = "(PKCS#12)"; // (P4)"#), None);
    let mut files = Vec::new();
    sources(&repository().join("crates"), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let tests_start = text.find("#[cfg(test)]").unwrap_or(text.len());
        for (number, line) in text[..tests_start].lines().enumerate() {
            if let Some(id) = catalogue_id_in_string(line) {
                found.push(format!("{}:{}: {id}", file.display(), number + 1));
            }
        }
    }
    assert!(found.is_empty(), "internal catalogue ids in user-facing strings:\n{}", found.join("\n"));
}
