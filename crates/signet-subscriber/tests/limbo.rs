//! Every x509-limbo case through `signet_subscriber::verify` (tests/limbo/README.md).
//!
//! A case passes when signet's answer is the expected one, or when it is listed in
//! `tests/limbo/unsupported.tsv` with the reason signet deliberately differs. The list is kept
//! honest both ways: a listed case that now passes fails the test, and a listed false accept is
//! allowed only for cases the suite marks with optional features.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use signet_subscriber::verify::{self, KeyUsageBit, Purpose, VerifyInput};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/limbo/limbo.json");
const UNSUPPORTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/limbo/unsupported.tsv");

/// The time for cases that name none (their certificates run from 1970 to 2969).
const DEFAULT_TIME: &str = "2026-01-01T00:00:00Z";

fn ders(pems: &Value) -> Vec<Vec<u8>> {
    pems.as_array()
        .map(|list| {
            list.iter()
                .flat_map(|pem| signet_codec::pem::scan(pem.as_str().unwrap()).unwrap().blocks)
                .map(|block| block.der.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// What signet said: accepted, and the problems (or the parse error) as one line.
struct Outcome {
    accepted: bool,
    reason: String,
}

fn run(case: &Value) -> Outcome {
    let leaf = ders(&Value::Array(vec![case["peer_certificate"].clone()])).remove(0);
    let intermediates = ders(&case["untrusted_intermediates"]);
    let roots = ders(&case["trusted_certs"]);
    let crls = ders(&case["crls"]);
    let at_text = case["validation_time"].as_str().unwrap_or(DEFAULT_TIME);
    let at = OffsetDateTime::parse(at_text, &Rfc3339).unwrap();
    let purpose = match case["validation_kind"].as_str() {
        Some("CLIENT") => Purpose::Client,
        _ => Purpose::Server,
    };
    let (mut host, mut email) = (None, None);
    let peer = &case["expected_peer_name"];
    match peer["kind"].as_str() {
        Some("DNS" | "IP") => host = peer["value"].as_str(),
        Some("RFC822") => email = peer["value"].as_str(),
        _ => {}
    }
    let extended_key_usages: Vec<String> = case["extended_key_usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| verify::extended_key_usage_oid(e.as_str().unwrap()).unwrap())
        .collect();
    let key_usages: Vec<KeyUsageBit> = case["key_usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| KeyUsageBit::parse(k.as_str().unwrap()).unwrap())
        .collect();
    let input = VerifyInput {
        crls: &crls,
        host,
        email,
        purpose,
        extended_key_usages: &extended_key_usages,
        key_usages: &key_usages,
        max_depth: case["max_chain_depth"].as_u64().map(|d| d as usize),
        ..VerifyInput::new(&leaf, &intermediates, &roots, at)
    };
    match verify::verify(&input) {
        Ok(report) => Outcome {
            accepted: report.ok(),
            reason: report
                .problems
                .iter()
                .map(|p| format!("[{}] {}", p.code, p.message))
                .collect::<Vec<_>>()
                .join(" / "),
        },
        Err(e) => Outcome { accepted: false, reason: format!("unreadable: {e}") },
    }
}

fn unsupported() -> BTreeMap<String, String> {
    std::fs::read_to_string(UNSUPPORTED)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once('\t').unwrap_or_else(|| panic!("{UNSUPPORTED}: no tab in {l:?}"));
            assert!(!reason.trim().is_empty(), "{UNSUPPORTED}: {id} has no reason");
            (id.to_string(), reason.to_string())
        })
        .collect()
}

#[test]
fn every_limbo_case_is_right_or_listed_with_a_reason() {
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(SUITE).unwrap()).unwrap();
    let listed = unsupported();
    let cases = suite["testcases"].as_array().unwrap();
    for id in listed.keys() {
        assert!(cases.iter().any(|c| c["id"] == id.as_str()), "{UNSUPPORTED} lists {id}, which is not in the suite");
    }
    let mut table = String::from("id\texpected\tsignet\tverdict\treason\n");
    let (mut right, mut false_accepts, mut false_rejects) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let expected_accept = case["expected_result"] == "SUCCESS";
        let optional = case["features"].as_array().is_some_and(|f| !f.is_empty());
        let outcome = run(case);
        let verdict = match (expected_accept, outcome.accepted) {
            (true, true) | (false, false) => "right",
            (false, true) => "FALSE ACCEPT",
            (true, false) => "false reject",
        };
        match verdict {
            "right" => right += 1,
            "FALSE ACCEPT" => false_accepts += 1,
            _ => false_rejects += 1,
        }
        let reason = if outcome.reason.is_empty() { "verifies".to_string() } else { outcome.reason.clone() };
        writeln!(
            table,
            "{id}\t{}\t{}\t{verdict}\t{}",
            case["expected_result"].as_str().unwrap(),
            if outcome.accepted { "SUCCESS" } else { "FAILURE" },
            reason.replace(['\t', '\n'], " ")
        )
        .unwrap();
        match (verdict, listed.get(id)) {
            ("right", Some(_)) => failures.push(format!("{id}: now right; remove it from {UNSUPPORTED}")),
            ("right", None) => {}
            ("FALSE ACCEPT", Some(_)) if !optional => {
                failures.push(format!("{id}: a false accept outside the optional features cannot be listed"))
            }
            (_, Some(_)) => {}
            (_, None) => failures.push(format!("{id}: {verdict} (expected {}) — {reason}", case["expected_result"])),
        }
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("limbo-results.tsv");
    std::fs::write(&out, &table).unwrap();
    println!(
        "x509-limbo: {} cases, {right} right, {false_accepts} false accepts, {false_rejects} false rejects ({} listed as unsupported); details in {}",
        cases.len(),
        listed.len(),
        out.display()
    );
    assert!(failures.is_empty(), "{} case(s) wrong:\n{}", failures.len(), failures.join("\n"));
}
