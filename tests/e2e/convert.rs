//! What signet writes, openssl reads: DER, PEM, PKCS#7 bundles and PKCS#12 (modern and legacy).

use crate::read_foreign::openssl_pki;
use crate::support::Sandbox;

#[test]
fn pem_der_round_trip() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.signet(&["convert", "leaf.pem", "--to", "der", "--out", "leaf.cer"]).ok();
    sb.openssl(&["x509", "-in", "leaf.cer", "-inform", "DER", "-noout"]).ok();
    sb.signet(&["convert", "leaf.cer", "--to", "pem", "--out", "back.pem"]).ok();
    assert_eq!(sb.read_text("back.pem"), sb.read_text("leaf.pem"));
    // DER holds one object; the error says what to use instead.
    sb.signet(&["convert", "fullchain.pem", "--to", "der", "--out", "x.der"]).code(2).err_has("--to p7b");
    // A key to DER stays private.
    sb.signet(&["convert", "leaf.key", "--to", "der", "--out", "leaf.key.der"]).ok().out_has("0600");
    sb.openssl(&["pkey", "-in", "leaf.key.der", "-inform", "DER", "-noout"]).ok();
}

#[test]
fn pkcs7_bundles_openssl_lists() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.signet(&["convert", "leaf.pem", "--chain", "int.pem", "--to", "p7b", "--out", "chain.p7b"]).ok();
    let listed =
        sb.openssl(&["pkcs7", "-in", "chain.p7b", "-inform", "DER", "-print_certs", "-noout"]).ok().stdout.clone();
    assert!(listed.contains("CN = www.example.com") && listed.contains("CN = Interop Intermediate"), "{listed}");
    sb.signet(&["convert", "chain.p7b", "--to", "pem", "--out", "chain.pem"]).ok();
    assert_eq!(sb.read_text("chain.pem").matches("BEGIN CERTIFICATE").count(), 2);
    sb.signet(&["convert", "leaf.key", "--to", "p7b", "--out", "k.p7b"]).code(2).err_has("--to p12");
}

#[test]
fn pkcs12_modern_is_pbes2_aes256_sha256_and_opens_in_openssl() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.write("out.pass", "export pass\n");
    sb.signet(&[
        "convert",
        "leaf.pem",
        "--key",
        "leaf.key",
        "--chain",
        "int.pem",
        "--to",
        "p12",
        "--out",
        "www.p12",
        "--out-pass-file",
        "out.pass",
        "--name",
        "www 2026",
    ])
    .ok()
    .out_has("0600");
    let info = sb.openssl(&["pkcs12", "-in", "www.p12", "-passin", "pass:export pass", "-info", "-noout"]).ok();
    let all = format!("{}{}", info.stdout, info.stderr);
    assert!(all.contains("PBES2, PBKDF2, AES-256-CBC"), "{all}");
    assert!(all.contains("MAC: sha256"), "{all}");
    let dump = sb.openssl(&["pkcs12", "-in", "www.p12", "-passin", "pass:export pass", "-nodes"]).ok().stdout.clone();
    assert!(dump.contains("friendlyName: www 2026"), "{dump}");
    assert_eq!(dump.matches("BEGIN CERTIFICATE").count(), 2, "{dump}");
    assert!(dump.contains("BEGIN PRIVATE KEY"));
    // And back: signet reads its own file and the key still matches.
    sb.signet(&["match", "www.p12", "leaf.key", "--pass-file", "out.pass"]).ok();
    // A chain given root first is stored leaf, intermediate, root; the friendly name defaults to
    // the leaf's common name.
    sb.write("root-then-int.pem", [sb.read("root.pem"), sb.read("int.pem")].concat());
    sb.signet(&[
        "convert",
        "leaf.pem",
        "--key",
        "leaf.key",
        "--chain",
        "root-then-int.pem",
        "--to",
        "p12",
        "--out",
        "ordered.p12",
        "--out-pass-file",
        "out.pass",
    ])
    .ok();
    let dump =
        sb.openssl(&["pkcs12", "-in", "ordered.p12", "-passin", "pass:export pass", "-nodes"]).ok().stdout.clone();
    let at = |cn: &str| dump.find(&format!("CN=Interop {cn}")).or_else(|| dump.find(&format!("CN = Interop {cn}")));
    assert!(at("Intermediate").unwrap() < at("Root").unwrap(), "{dump}");
    // The key's bag (p12-keystore names certificate bags by their subject, "CN=...").
    assert!(dump.contains("friendlyName: www.example.com\n"), "{dump}");
}

#[test]
fn pkcs12_generated_password_is_printed_once_and_stored_nowhere() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let run = sb
        .signet(&["convert", "fullchain.pem", "--key", "leaf.key", "--to", "p12", "--out", "w.p12"])
        .ok()
        .stdout
        .clone();
    let password =
        run.lines().find_map(|l| l.trim().strip_prefix("password:")).expect("password printed").trim().to_string();
    assert!(password.len() >= 20);
    sb.openssl(&["pkcs12", "-in", "w.p12", "-passin", &format!("pass:{password}"), "-noout"]).ok();
    let files: Vec<String> =
        std::fs::read_dir(sb.dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(sb.path(&file)) {
            assert!(!text.contains(&password), "the password leaked into {file}");
        }
    }
}

/// Issue 9: `--pass-file` with an input that is not encrypted was silently unused and a PKCS#12
/// password generated; it is the input's password, and the message says which flag is the output's.
#[test]
fn a_pass_file_for_an_unencrypted_input_is_not_silently_ignored() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.write("p12.pass", "meant for the p12\n");
    sb.signet(&[
        "convert",
        "fullchain.pem",
        "--key",
        "leaf.key",
        "--to",
        "p12",
        "--out",
        "w.p12",
        "--pass-file",
        "p12.pass",
    ])
    .code(2)
    .err_has("--pass-file p12.pass is the password of the input")
    .err_has("--out-pass-file FILE");
    assert!(!sb.path("w.p12").exists());
    // Not needed for a certificate to DER: a warning, and the conversion happens.
    sb.signet(&["convert", "leaf.pem", "--to", "der", "--out", "leaf.der", "--pass-file", "p12.pass"])
        .ok()
        .err_has("--pass-file p12.pass was not used");
    // Used as the flag says, it sets the PKCS#12 password.
    sb.signet(&[
        "convert",
        "fullchain.pem",
        "--key",
        "leaf.key",
        "--to",
        "p12",
        "--out",
        "w.p12",
        "--out-pass-file",
        "p12.pass",
    ])
    .ok();
    sb.openssl(&["pkcs12", "-in", "w.p12", "-passin", "pass:meant for the p12", "-noout"]).ok();
}

#[test]
fn pkcs12_legacy_for_old_windows() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.write("out.pass", "legacy\n");
    sb.signet(&[
        "convert",
        "leaf.pem",
        "--key",
        "leaf.key",
        "--to",
        "p12",
        "--legacy",
        "--out",
        "old.pfx",
        "--out-pass-file",
        "out.pass",
    ])
    .ok();
    let info = sb.openssl(&["pkcs12", "-in", "old.pfx", "-passin", "pass:legacy", "-info", "-noout"]).ok();
    let all = format!("{}{}", info.stdout, info.stderr);
    assert!(all.contains("pbeWithSHA1And3-KeyTripleDES-CBC") && all.contains("MAC: sha1"), "{all}");
}

#[test]
fn pkcs12_refuses_a_key_that_does_not_match() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.signet(&["convert", "leaf.pem", "--key", "int.key", "--to", "p12", "--out", "bad.p12"])
        .code(2)
        .err_has("does not belong");
    assert!(!sb.path("bad.p12").exists());
    sb.signet(&["convert", "leaf.pem", "--to", "p12", "--out", "nokey.p12"]).code(2).err_has("--key");
}

#[test]
fn pkcs12_to_pem_and_encrypted_key_output() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.openssl(&[
        "pkcs12",
        "-export",
        "-in",
        "leaf.pem",
        "-inkey",
        "leaf.key",
        "-certfile",
        "int.pem",
        "-passout",
        "pass:in",
        "-legacy",
        "-out",
        "in.pfx",
    ])
    .ok();
    sb.write("in.pass", "in\n");
    sb.write("out.pass", "out\n");
    sb.signet(&["convert", "in.pfx", "--pass-file", "in.pass", "--to", "pem", "--out", "all.pem"])
        .ok()
        .err_has("unencrypted private key");
    sb.signet(&[
        "convert",
        "in.pfx",
        "--pass-file",
        "in.pass",
        "--to",
        "pem",
        "--out",
        "enc.pem",
        "--encrypt-key",
        "--out-pass-file",
        "out.pass",
    ])
    .ok();
    let text = sb.read_text("enc.pem");
    assert!(text.contains("BEGIN ENCRYPTED PRIVATE KEY") && text.matches("BEGIN CERTIFICATE").count() == 2);
    sb.openssl(&["pkey", "-in", "enc.pem", "-passin", "pass:out", "-noout"]).ok();
}
