//! `signet verify`: chains, expiry, names, usages; compared with `openssl verify` where it applies.

use crate::read_foreign::openssl_pki;
use crate::support::Sandbox;

#[test]
fn a_good_chain_verifies_like_openssl_says() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.openssl(&["verify", "-CAfile", "root.pem", "-untrusted", "int.pem", "leaf.pem"]).ok();
    sb.signet(&["verify", "fullchain.pem", "--roots", "root.pem", "--host", "www.example.com"]).ok().out_has("OK");
    sb.signet(&["verify", "leaf.pem", "--chain", "int.pem", "--roots", "root.pem", "--host", "example.com"]).ok();
    let report = sb.signet(&["verify", "fullchain.pem", "--roots", "root.pem", "--json"]).ok().json();
    assert_eq!(report["trusted"], true);
    assert_eq!(report["path"].as_array().unwrap().len(), 3);
}

#[test]
fn missing_intermediate_names_the_issuer_and_where_to_get_it() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.openssl(&["verify", "-CAfile", "root.pem", "leaf.pem"]).code(2);
    sb.signet(&["verify", "leaf.pem", "--roots", "root.pem"])
        .code(1)
        .out_has("missing-intermediate")
        .out_has("Interop Intermediate")
        .out_has("http://ca.example.com/int.crt");
}

#[test]
fn expiry_name_and_kind_problems_one_line_each() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let run = sb
        .signet(&["verify", "fullchain.pem", "--roots", "root.pem", "--host", "shop.example.com", "--at", "2040-01-01"])
        .code(1)
        .stdout
        .clone();
    assert!(run.contains("[name-mismatch]") && run.contains("shop.example.com"), "{run}");
    assert!(run.contains("[expired]"), "{run}");
    sb.signet(&["verify", "fullchain.pem", "--roots", "root.pem", "--at", "2000-01-01"])
        .code(1)
        .out_has("[not-yet-valid]");
    sb.signet(&["verify", "int.pem", "--roots", "root.pem"]).code(1).out_has("[ca-certificate]");
    sb.signet(&["verify", "fullchain.pem", "--roots", "root.pem", "--purpose", "client"]).code(1).out_has("clientAuth");
    sb.signet(&["verify", "fullchain.pem", "--roots", "int.pem", "--host", "www.example.com"]).ok();
    // A certificate given as its own trust anchor (pinning) is trusted as such.
    sb.signet(&["verify", "leaf.pem", "--roots", "leaf.pem", "--host", "www.example.com"]).ok();
    sb.signet(&["verify", "root.pem", "--roots", "int.pem", "--purpose", "any"]).code(1).out_has("untrusted-root");
    sb.signet(&["verify", "leaf.csr", "--roots", "root.pem"]).code(2).err_has("but a certificate is needed");
}
