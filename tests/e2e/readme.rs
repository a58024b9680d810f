//! What a new user reads: the README's commands, walked in order from a directory other than the
//! repository, and the wording of messages (no internal catalogue ids such as "(P13)").

use std::path::{Path, PathBuf};

use crate::server::Server;
use crate::support::Sandbox;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The set-up commands the README shows for a fresh machine, and what this test does for each.
const SETUP: [&str; 2] = ["cargo run --release -- serve", "./scripts/test.sh"];

/// The command lines of every ```sh block of `markdown`, in order, each with its section title.
fn sh_blocks(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut current: Option<Vec<String>> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (None, heading) if heading.starts_with("## ") => section = heading.to_string(),
            (Some(lines), "```") => {
                blocks.push((section.clone(), std::mem::take(lines)));
                current = None;
            }
            (Some(lines), text) if !text.trim().is_empty() => lines.push(text.to_string()),
            _ => {}
        }
    }
    assert!(current.is_none(), "README: a ```sh block is not closed");
    blocks
}

/// The number after `verb` in a command line (`queue approve 3` → 3).
fn id_after(line: &str, verb: &str) -> Option<u64> {
    let rest = &line[line.find(verb)? + verb.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// The README's own commands, in order, from a directory other than the repository: the set-up
/// commands as the fresh machine runs them (`signet serve` in a clone directory without `--data`;
/// on a free port instead of 8443, so tests can run side by side), then every other command as a
/// user types it, with `signet` on PATH. A README command that fails fails this test.
#[test]
fn the_readme_walks_from_a_fresh_machine_to_a_verified_certificate() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let blocks = sh_blocks(&readme);
    let setup: Vec<&str> = blocks
        .iter()
        .filter(|(section, _)| section == "## Set up on a fresh machine")
        .flat_map(|(_, lines)| lines.iter().map(String::as_str))
        .collect();
    assert_eq!(setup, SETUP, "the README shows exactly two set-up commands for a fresh machine");
    let first_signet = readme.find("```sh\nsignet ").expect("the README shows signet commands");
    let path_hint =
        readme.find("cargo install --path crates/signet-cli").expect("the README says how to put signet on PATH");
    assert!(path_hint < first_signet, "the README says how to put signet on PATH before the first signet command");

    let sb = Sandbox::new();
    let work = sb.path("project");
    std::fs::create_dir_all(&work).unwrap();
    let mut server = None;
    let mut pending: Option<u64> = None;
    let mut ran = 0;
    for line in blocks.iter().flat_map(|(_, lines)| lines) {
        match line.as_str() {
            "cargo run --release -- serve" => server = Some(Server::start_in(&sb, "clone")),
            // This test is one of the tests that script runs.
            "./scripts/test.sh" => {}
            command => {
                assert!(command.starts_with("signet "), "README command not walked by this test: {command}");
                assert!(server.is_some(), "{command}: the README runs it before starting the server");
                let run = sb.user_shell(&work, command).ok();
                for verb in ["queue approve", "queue deny", "request get", "request status"] {
                    if let Some(id) = id_after(command, verb) {
                        assert_eq!(
                            Some(id),
                            pending,
                            "the README says `{verb} {id}`, but the request it submitted is {pending:?}: update the README"
                        );
                    }
                }
                if command.contains("request submit") && command.contains("--profile server") {
                    let printed = run.stdout.split_whitespace().skip_while(|w| *w != "Request").nth(1);
                    pending = printed.and_then(|id| id.parse().ok());
                    assert!(run.stdout.contains("PENDING"), "{}", run.stdout);
                    assert!(pending.is_some(), "no request ID in:\n{}", run.stdout);
                    let shown = command.split("# pending: prints its ID (").nth(1).and_then(|r| r.split(')').next());
                    assert_eq!(
                        shown.and_then(|s| s.parse().ok()),
                        pending,
                        "the README's comment names the ID printed"
                    );
                }
                ran += 1;
            }
        }
    }
    assert!(ran >= 20, "only {ran} README commands walked");
    // What the walk made is what the README promised.
    assert!(work.join("www.p12").exists() && work.join("dev-root.pem").exists());
    sb.openssl(&["verify", "-CAfile", "project/dev-root.pem", "-untrusted", "project/www.crt", "project/www.crt"]).ok();
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
