//! `signet key new` and `signet csr new`, checked with openssl.

use crate::support::Sandbox;

const ALGORITHMS: &[(&str, &str)] = &[
    ("ec-p256", "prime256v1"),
    ("ec-p384", "secp384r1"),
    ("rsa-2048", "2048 bit"),
    ("rsa-3072", "3072 bit"),
    ("rsa-4096", "4096 bit"),
    ("ed25519", "ED25519"),
];

#[test]
fn every_algorithm_makes_a_key_openssl_reads() {
    let sb = Sandbox::new();
    for (alg, openssl_says) in ALGORITHMS {
        let file = format!("{alg}.key");
        sb.signet(&["key", "new", "--alg", alg, "--out", &file]).ok().out_has("Back up this file").out_has("mode 0600");
        let text = sb.openssl(&["pkey", "-in", &file, "-noout", "-text"]).ok().stdout.clone();
        assert!(text.contains(openssl_says), "{alg}: openssl says\n{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(sb.path(&file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{alg} key file mode");
        }
        // The fingerprint signet prints is openssl's SHA-256 of the public key DER.
        let report = sb.signet(&["inspect", &file, "--json"]).ok().json();
        let ours = report["objects"][0]["key"]["spki_sha256"].as_str().unwrap().to_string();
        let theirs = sb
            .sh(&format!("openssl pkey -in {file} -pubout -outform DER | openssl dgst -sha256 -r"))
            .ok()
            .stdout
            .clone();
        assert!(theirs.starts_with(&ours), "{alg}: {ours} vs {theirs}");
    }
}

#[test]
fn keys_are_never_overwritten_and_replaced_ones_are_kept() {
    let sb = Sandbox::new();
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    let before = sb.read("k.pem");
    sb.signet(&["key", "new", "--out", "k.pem"]).code(2).err_has("--replace-key");
    sb.signet(&["key", "new", "--out", "k.pem", "--force"]).code(2).err_has("--force never replaces a private key");
    assert_eq!(sb.read("k.pem"), before, "the key must be untouched");
    let replaced = sb.signet(&["key", "new", "--out", "k.pem", "--replace-key", "--json"]).ok().json();
    assert_ne!(sb.read("k.pem"), before);
    let kept = replaced["replaced_file_kept_as"].as_str().unwrap();
    assert!(kept.contains("k.pem.replaced-"), "{kept}");
    assert_eq!(std::fs::read(kept).unwrap(), before, "the old key is kept, byte for byte");
}

/// Issue 11 (P1): `csr new --new-key ... --force` replaced an existing key silently, and the
/// error before it named only the CSR.
#[test]
fn csr_new_with_force_never_loses_the_key_behind_a_request() {
    let sb = Sandbox::new();
    let make = |extra: &[&str]| {
        let mut args = vec!["csr", "new", "--new-key", "ec-p256", "--key-out", "www.key", "--cn", "www.example.com"];
        args.extend_from_slice(&["--san", "example.com", "--out", "www.csr"]);
        args.extend_from_slice(extra);
        sb.signet(&args)
    };
    make(&[]).ok();
    let (key, csr) = (sb.read("www.key"), sb.read("www.csr"));
    // Without --force: both files are named.
    make(&[]).code(2).err_has("www.csr already exists").err_has("www.key already exists");
    // With --force: the CSR may go, the key may not, and the message says both.
    make(&["--force"]).code(2).err_has("www.key already exists and --force never replaces a private key");
    // --replace-key: the key has a CSR beside it and no other copy, so it stays.
    make(&["--force", "--replace-key"]).code(2).err_has("only copy of the key of").err_has("www.csr");
    assert_eq!((sb.read("www.key"), sb.read("www.csr")), (key.clone(), csr), "nothing was touched");
    // --out never replaces a key file, whatever the flags.
    sb.signet(&["csr", "new", "--key", "www.key", "--cn", "www.example.com", "--out", "www.key", "--force"])
        .code(2)
        .err_has("holds a private key");
    assert_eq!(sb.read("www.key"), key);
    // With a copy of the key elsewhere in the directory, it is replaced and the old one kept aside.
    std::fs::copy(sb.path("www.key"), sb.path("www-2025.key")).unwrap();
    make(&["--force", "--replace-key"]).ok().out_has("kept as");
    assert_ne!(sb.read("www.key"), key);
    let kept: Vec<_> = std::fs::read_dir(sb.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("www.key.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(sb.read(&kept[0]), key);
    sb.signet(&["match", "www.key", "www.csr"]).ok();
}

#[test]
fn encrypted_keys_use_pbes2_aes256_and_openssl_opens_them() {
    let sb = Sandbox::new();
    sb.write("pass.txt", "correct horse battery\n");
    for kdf in ["scrypt", "pbkdf2"] {
        let file = format!("{kdf}.key");
        sb.signet(&["key", "new", "--out", &file, "--encrypt", "--kdf", kdf, "--pass-file", "pass.txt"]).ok();
        assert!(sb.read_text(&file).starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        sb.openssl(&["pkey", "-in", &file, "-passin", "pass:correct horse battery", "-noout"]).ok();
        sb.openssl(&["pkey", "-in", &file, "-passin", "pass:wrong", "-noout"]).code(1);
        let parsed = sb.sh(&format!("openssl asn1parse -in {file}")).ok().stdout.clone();
        assert!(parsed.contains("aes-256-cbc"), "{kdf}: {parsed}");
        assert!(parsed.contains(if kdf == "scrypt" { ":scrypt" } else { ":PBKDF2" }), "{kdf}: {parsed}");
    }
    // The environment variable works too, and a missing passphrase is a clear error.
    sb.signet_env(&["key", "new", "--out", "env.key", "--encrypt"], &[("SIGNET_PASSPHRASE", "from env")]).ok();
    sb.openssl(&["pkey", "-in", "env.key", "-passin", "pass:from env", "-noout"]).ok();
    sb.signet(&["key", "new", "--out", "none.key", "--encrypt"]).code(2).err_has("--pass-file");
    assert!(!sb.path("none.key").exists());
}

#[test]
fn csr_from_existing_key_verifies_and_names_are_right() {
    let sb = Sandbox::new();
    sb.signet(&["key", "new", "--alg", "rsa-2048", "--out", "www.key"]).ok();
    sb.signet(&[
        "csr",
        "new",
        "--key",
        "www.key",
        "--cn",
        "WWW.Example.com",
        "--san",
        "example.com",
        "--san",
        "ip:192.0.2.10",
        "--org",
        "Example Ltd",
        "--locality",
        "Houston",
        "--state",
        "Texas",
        "--country",
        "us",
        "--out",
        "www.csr",
    ])
    .ok()
    .out_has("Certificate request written");
    let text = sb.openssl(&["req", "-in", "www.csr", "-noout", "-verify", "-text"]).ok();
    assert!(text.stderr.contains("verify OK") || text.stdout.contains("verify OK"), "{text:?}");
    let dump = &text.stdout;
    assert!(dump.contains("C = US, ST = Texas, L = Houston, O = Example Ltd, CN = www.example.com"), "{dump}");
    assert!(dump.contains("DNS:www.example.com, DNS:example.com, IP Address:192.0.2.10"), "{dump}");
    assert!(dump.contains("sha256WithRSAEncryption"), "{dump}");
    // The CSR's key is the key's.
    sb.signet(&["match", "www.key", "www.csr"]).ok().out_has("share one public key");
}

#[test]
fn key_and_csr_together_like_iis() {
    let sb = Sandbox::new();
    sb.write("pass.txt", "s3cret\n");
    sb.signet(&[
        "csr",
        "new",
        "--new-key",
        "ec-p384",
        "--key-out",
        "k.pem",
        "--encrypt",
        "--pass-file",
        "pass.txt",
        "--cn",
        "bücher.example.com",
        "--out",
        "r.csr",
    ])
    .ok()
    .out_has("Back up this file and its passphrase");
    let dump = sb.openssl(&["req", "-in", "r.csr", "-noout", "-text"]).ok().stdout.clone();
    assert!(dump.contains("DNS:xn--bcher-kva.example.com"), "IDN must become an A-label:\n{dump}");
    assert!(dump.contains("ecdsa-with-SHA384"), "{dump}");
    sb.signet(&["match", "k.pem", "r.csr", "--pass-file", "pass.txt"]).ok();
}

#[test]
fn csr_json_report_and_stdout_mode() {
    let sb = Sandbox::new();
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    let report =
        sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "www.example.com", "--out", "r.csr", "--json"]).ok().json();
    assert_eq!(report["subject_alt_names"][0], "dns:www.example.com");
    assert!(report["warnings"][0].as_str().unwrap().contains("--san example.com"));
    let pem = sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "api.eu.example.com"]).ok().stdout.clone();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
}

#[test]
fn classic_name_mistakes_are_refused_with_the_fix() {
    let sb = Sandbox::new();
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    let cases: &[(&[&str], &str)] = &[
        (&["--cn", "https://secure.example.com/checkout"], "use \"secure.example.com\""),
        (&["--cn", "secure.example.com/checkout"], "contains a path"),
        (&["--cn", "www.example.com:443"], "contains a port"),
        (&["--cn", "www.mydomain.csr"], "file extension"),
        (&["--cn", "www example.com"], "whitespace"),
        (&["--cn", "www.example.com", "--country", "UK"], "did you mean GB"),
        (&["--cn", "www.example.com", "--country", "XX"], "not an ISO 3166-1"),
        (&["--cn", "www.example.com", "--org", "My Company Ltd"], "the default the openssl.cnf of older Red Hat"),
        (&["--cn", "www.example.com", "--org", "Internet Widgits Pty Ltd"], "OpenSSL's own openssl.cnf"),
        (&["--cn", "www.example.com", "--org", "Example Inc"], "is a placeholder from examples and forms"),
        (
            &["--cn", "www.example.com", "--country", "GB", "--state", "Berkshire", "--locality", "Newbury"],
            "state (ST) and locality (L): \"Berkshire / Newbury\"",
        ),
        (&["--cn", "www.example.com", "--org", &"A".repeat(65)], "organization (O): 65 characters; RFC 5280"),
        (&["--cn", "www.example.com", "--ou", "Ops\u{7}"], "control character U+0007"),
        (&["--cn", "www.example.com", "--san", "https://example.com/"], "is a URL"),
        (&["--cn", "*.*.example.com"], "wildcard"),
        (&["--cn", "www.example.com", "--san", "*.co.uk"], "directly under the public suffix co.uk"),
        (&["--cn", "ab--cd.example.com"], "reserved"),
        (&["--cn", "example.com."], "ends with a dot"),
        (&[], "names nothing"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["csr", "new", "--key", "k.pem", "--out", "r.csr"];
        args.extend_from_slice(extra);
        sb.signet(&args).code(2).err_has(message);
        assert!(!sb.path("r.csr").exists(), "nothing may be written for {extra:?}");
    }
    // Cayman Islands, Grenada and San Marino, which the IIS wizard lacked, are accepted.
    for code in ["KY", "GD", "SM"] {
        sb.signet(&[
            "csr",
            "new",
            "--key",
            "k.pem",
            "--cn",
            "www.example.com",
            "--country",
            code,
            "--out",
            &format!("{code}.csr"),
        ])
        .ok();
    }
    // Warnings do not stop the request.
    sb.signet(&[
        "csr",
        "new",
        "--key",
        "k.pem",
        "--cn",
        "www.example.com",
        "--state",
        "TX",
        "--country",
        "US",
        "--out",
        "tx.csr",
    ])
    .ok()
    .err_has("--state \"Texas\"");
}

#[test]
fn typographic_dashes_in_arguments_get_the_ascii_form() {
    let sb = Sandbox::new();
    sb.signet(&["key", "new", "\u{2014}out", "k.pem"]).code(2).err_has("EM DASH").err_has("type: --out");
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "www\u{2013}1.example.com"])
        .code(2)
        .err_has("the value of --cn contains EN DASH")
        .err_has("type: --cn www-1.example.com");
    // Curly quotes the shell left in place: the text to type is accepted as it is given.
    let refused = sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "\u{201C}www.example.com\u{201D}"]);
    refused.code(2).err_has("the value of --cn contains LEFT DOUBLE QUOTATION MARK");
    let typed = refused.stderr.trim().rsplit("type: ").next().unwrap().to_string();
    assert_eq!(typed, "--cn www.example.com");
    sb.sh(&format!("{} csr new --key k.pem {typed} --out fixed.csr", env!("CARGO_BIN_EXE_signet"))).ok();
    // A host typed with spaces for dots is refused at `csr new`, with a fix that is accepted.
    let spaced = sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "www example com"]);
    spaced.code(2).err_has("has spaces where a host name has dots").err_has("type --cn www.example.com ");
    assert!(!spaced.stderr.contains("argument"), "{}", spaced.stderr);
}

#[test]
fn weak_keys_and_wrong_files_are_refused() {
    let sb = Sandbox::new();
    sb.openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key"]).ok();
    sb.signet(&["csr", "new", "--key", "weak.key", "--cn", "www.example.com"]).code(2).err_has("2048");
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    sb.signet(&["csr", "new", "--key", "k.pem", "--cn", "www.example.com", "--out", "r.csr"]).ok();
    sb.signet(&["csr", "new", "--key", "r.csr", "--cn", "www.example.com"])
        .code(2)
        .err_has("this is a certificate request (CSR), but a private key is needed");
    sb.signet(&["key", "new", "--alg", "rsa-1024", "--out", "x.key"]).code(2);
}
