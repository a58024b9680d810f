//! Deterministic mutation test for the verifier (the regular-suite counterpart of a fuzz target):
//! every single-bit change anywhere in a real certificate chain (cryptography.io's, from the
//! vendored x509-limbo suite) is refused, and none panics or returns bad input for a leaf that
//! still parses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::Value;
use signet_subscriber::verify::{self, VerifyInput};
use time::macros::datetime;

fn chain() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/limbo/limbo.json");
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case =
        suite["testcases"].as_array().unwrap().iter().find(|c| c["id"] == "webpki::cryptographydotio-chain").unwrap();
    let der = |pem: &Value| signet_codec::pem::scan(pem.as_str().unwrap()).unwrap().blocks[0].der.clone();
    (der(&case["peer_certificate"]), der(&case["untrusted_intermediates"][0]), der(&case["trusted_certs"][0]))
}

#[test]
fn no_single_bit_flip_in_the_chain_verifies() {
    let (leaf, intermediate, root) = chain();
    let at = datetime!(2023-07-10 00:00 UTC);
    let check = |leaf: &[u8], intermediate: &[u8], root: &[u8]| {
        let intermediates = [intermediate.to_vec()];
        let roots = [root.to_vec()];
        let input = VerifyInput { host: Some("cryptography.io"), ..VerifyInput::new(leaf, &intermediates, &roots, at) };
        verify::verify(&input).map(|r| r.ok()).unwrap_or(false)
    };
    assert!(check(&leaf, &intermediate, &root), "the unmodified chain verifies");
    let mut accepted = Vec::new();
    for index in 0..leaf.len() {
        let mut mutated = leaf.clone();
        mutated[index] ^= 0x01;
        if check(&mutated, &intermediate, &root) {
            accepted.push(format!("leaf byte {index}"));
        }
    }
    for index in 0..intermediate.len() {
        let mut mutated = intermediate.clone();
        mutated[index] ^= 0x01;
        if check(&leaf, &mutated, &root) {
            accepted.push(format!("intermediate byte {index}"));
        }
    }
    assert!(accepted.is_empty(), "mutations that still verify: {accepted:?}");
}
