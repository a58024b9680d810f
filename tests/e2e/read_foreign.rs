//! What openssl writes, signet reads: keys in every encoding, CSRs, certificates, CRLs, PKCS#7,
//! modern and legacy PKCS#12, OCSP requests and responses; PEM however mangled, and DER.

use crate::support::Sandbox;

/// Builds an openssl test PKI in the sandbox: root, intermediate, leaf (with chain files).
pub fn openssl_pki(sb: &Sandbox) {
    sb.write(
        "ca.cnf",
        "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = .\ncertificate = int.pem\nprivate_key = int.key\n\
         serial = serial\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\npolicy = any\n[any]\ncommonName = supplied\n\
         [crl_ext]\nauthorityKeyIdentifier = keyid:always\n",
    );
    sb.write("index.txt", "");
    sb.write("crlnumber", "1000\n");
    sb.openssl_root(
        "root",
        "P-256",
        "/O=Interop/CN=Interop Root",
        3650,
        &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
    )
    .ok();
    sb.openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "int.key",
        "-out",
        "int.csr",
        "-subj",
        "/O=Interop/CN=Interop Intermediate",
    ])
    .ok();
    sb.openssl_sign(
        "int.csr",
        "root",
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
        1000,
        "int.pem",
    )
    .ok();
    sb.openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=www.example.com",
        "-addext",
        "subjectAltName=DNS:www.example.com,DNS:example.com",
    ])
    .ok();
    sb.openssl_sign("leaf.csr", "int", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com,DNS:example.com\nauthorityInfoAccess=caIssuers;URI:http://ca.example.com/int.crt\n", 90, "leaf.pem").ok();
    sb.sh("cat leaf.pem int.pem > fullchain.pem").ok();
}

#[test]
fn keys_in_every_openssl_encoding() {
    let sb = Sandbox::new();
    sb.openssl(&["genrsa", "-traditional", "-out", "pkcs1.pem", "2048"]).ok();
    sb.openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sec1.pem"]).ok();
    sb.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]).ok();
    sb.openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"]).ok();
    sb.openssl(&["pkey", "-in", "p384.pem", "-outform", "DER", "-out", "p384.der"]).ok();
    sb.openssl(&["pkey", "-in", "pkcs1.pem", "-pubout", "-out", "pub.pem"]).ok();
    sb.openssl(&["rsa", "-in", "pkcs1.pem", "-RSAPublicKey_out", "-out", "rsapub.pem"]).ok();
    let expect = [
        ("pkcs1.pem", "pkcs1", "RSA"),
        ("sec1.pem", "sec1", "EC"),
        ("ed.pem", "pkcs8", "Ed25519"),
        ("p384.pem", "pkcs8", "EC"),
        ("p384.der", "sec1", "EC"), // openssl pkey -outform DER writes EC keys in SEC 1
    ];
    for (file, format, algorithm) in expect {
        let report = sb.signet(&["inspect", file, "--json"]).ok().json();
        let object = &report["objects"][0];
        assert_eq!(object["kind"], "private_key", "{file}");
        assert_eq!(object["format"], format, "{file}");
        assert_eq!(object["key"]["algorithm"], algorithm, "{file}");
    }
    // A private key and its public key (SPKI or PKCS#1) match.
    sb.signet(&["match", "pkcs1.pem", "pub.pem", "rsapub.pem"]).ok();
    // Keys openssl made can sign signet CSRs.
    for key in ["pkcs1.pem", "sec1.pem", "ed.pem", "p384.der"] {
        sb.signet(&["csr", "new", "--key", key, "--cn", "svc.example.com", "--san", "www.svc.example.com"]).ok();
    }
}

#[test]
fn encrypted_keys_from_openssl() {
    let sb = Sandbox::new();
    sb.openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.pem"]).ok();
    let variants: &[(&str, &[&str])] = &[
        ("aes.pem", &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"]),
        ("scrypt.pem", &["-scrypt"]),
        ("des3.pem", &["-v2", "des3"]),
    ];
    sb.write("pass.txt", "open sesame\n");
    for (file, options) in variants {
        let mut args = vec!["pkcs8", "-topk8", "-in", "plain.pem", "-out", file, "-passout", "pass:open sesame"];
        args.extend_from_slice(options);
        sb.openssl(&args).ok();
        sb.signet(&["inspect", file]).ok().out_has("Encrypted private key").out_has("--pass-file");
        sb.signet(&["inspect", file, "--pass-file", "pass.txt"]).ok().out_has("EC P-256");
        sb.signet(&["match", file, "plain.pem", "--pass-file", "pass.txt"]).ok();
        sb.write("bad.txt", "wrong\n");
        sb.signet(&["match", file, "plain.pem", "--pass-file", "bad.txt"]).code(2).err_has("wrong password");
    }
    // PBES1 and OpenSSL's legacy PEM encryption are named, with the conversion command.
    sb.openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        "plain.pem",
        "-out",
        "pbes1.pem",
        "-v1",
        "PBE-SHA1-3DES",
        "-passout",
        "pass:x",
    ])
    .ok();
    sb.signet_env(&["inspect", "pbes1.pem"], &[("SIGNET_PASSPHRASE", "x")])
        .code(2)
        .err_has("PBES1")
        .err_has("openssl pkcs8 -topk8");
    sb.openssl(&["ec", "-in", "plain.pem", "-aes256", "-out", "legacy.pem", "-passout", "pass:x"]).ok();
    sb.signet(&["inspect", "legacy.pem"]).code(2).err_has("legacy PEM encryption");
}

#[test]
fn certificates_csrs_and_chains() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let report = sb.signet(&["inspect", "fullchain.pem", "--json"]).ok().json();
    let leaf = &report["objects"][0];
    assert_eq!(leaf["kind"], "certificate");
    assert_eq!(leaf["subject"], "CN=www.example.com");
    assert_eq!(leaf["subject_alt_names"][1], "dns:example.com");
    assert_eq!(leaf["extended_key_usage"][0], "serverAuth");
    assert_eq!(leaf["ca_issuer_urls"][0], "http://ca.example.com/int.crt");
    let fingerprint =
        sb.sh("openssl x509 -in leaf.pem -noout -fingerprint -sha256").ok().stdout.replace(':', "").to_lowercase();
    assert!(fingerprint.contains(leaf["sha256_fingerprint"].as_str().unwrap()), "{fingerprint}");
    let serial = sb.openssl(&["x509", "-in", "leaf.pem", "-noout", "-serial"]).ok().stdout.to_lowercase();
    assert!(serial.contains(leaf["serial"].as_str().unwrap()), "{serial} vs {}", leaf["serial"]);
    let int = &report["objects"][1];
    assert_eq!(int["is_ca"], true);
    assert_eq!(int["path_length"], 0);
    let csr = sb.signet(&["inspect", "leaf.csr", "--json"]).ok().json();
    assert_eq!(csr["objects"][0]["signature_valid"], true);
    sb.signet(&["match", "leaf.key", "leaf.csr", "fullchain.pem"]).ok();
    sb.signet(&["match", "int.key", "leaf.pem"]).code(1).err_has("different public keys");
    // DER certificate.
    sb.openssl(&["x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.cer"]).ok();
    sb.signet(&["inspect", "leaf.cer"]).ok().out_has("www.example.com");
}

#[test]
fn pem_however_mangled() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let pem = sb.read_text("leaf.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("");
    let variants = [
        ("crlf.pem", pem.replace('\n', "\r\n")),
        ("nobeginend.txt", pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("\n")),
        ("oneline.txt", body.clone()),
        (
            "spaces.pem",
            format!(
                "-----BEGIN CERTIFICATE-----\n  {}  \n\t{}\n-----END CERTIFICATE-----\n",
                &body[..100],
                &body[100..]
            ),
        ),
        ("shortdashes.pem", format!("---BEGIN CERTIFICATE---\n{body}\n---END CERTIFICATE---\n")),
        ("noend.pem", format!("-----BEGIN CERTIFICATE-----\n{body}\n")),
        (
            "wrapped.pem",
            format!(
                "Subject: pasted from an e-mail\n\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\nRegards\n",
                body.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n")
            ),
        ),
    ];
    for (name, text) in &variants {
        sb.write(name, text);
        sb.signet(&["inspect", name]).ok().out_has("CN=www.example.com");
    }
    sb.signet(&["inspect", "nobeginend.txt"]).ok().err_has("no BEGIN/END lines");
}

/// Issue 11 (P4): a CSR pasted with its END line but not its BEGIN line is read, with a warning,
/// by every command; so is the reverse; text after the last block is reported.
#[test]
fn pasted_csrs_missing_an_armour_line_are_read_with_a_warning() {
    let sb = Sandbox::new();
    let args = ["csr", "new", "--new-key", "ec-p256", "--key-out", "www.key", "--cn", "www.example.com"];
    sb.signet(&[&args[..], &["--san", "example.com", "--out", "www.csr"]].concat()).ok();
    let pem = sb.read_text("www.csr");
    let lines: Vec<&str> = pem.lines().collect();
    let no_begin = format!("Hello, here is the CSR:\n{}\n", lines[1..].join("\n"));
    let no_end = format!("{}\n\nThanks,\nBob\n", lines[..lines.len() - 1].join("\n"));
    let trailing = format!("{pem}Regards, Bob\n");
    for (name, text, warning) in [
        ("no-begin.csr", no_begin, "BEGIN line missing for CERTIFICATE REQUEST"),
        ("no-end.csr", no_end, "END line missing for CERTIFICATE REQUEST"),
        ("trailing.csr", trailing, "text after the last block (CERTIFICATE REQUEST) was ignored"),
    ] {
        sb.write(name, &text);
        sb.signet(&["inspect", name]).ok().out_has("CN=www.example.com").err_has(warning);
        sb.signet(&["match", "www.key", name]).ok().err_has(warning);
        let converted = format!("{name}.pem");
        sb.signet(&["convert", name, "--to", "pem", "--out", &converted]).ok().err_has(warning);
        assert_eq!(sb.read_text(&converted), pem, "{name}: the CSR read is the one written");
    }
}

#[test]
fn crls_bundles_and_pkcs12() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    sb.write("serial", "01\n");
    sb.openssl(&["ca", "-config", "ca.cnf", "-revoke", "leaf.pem", "-crl_reason", "keyCompromise"]).ok();
    sb.openssl(&["ca", "-config", "ca.cnf", "-gencrl", "-crlexts", "crl_ext", "-out", "int.crl"]).ok();
    let crl = sb.signet(&["inspect", "int.crl", "--json"]).ok().json();
    let object = &crl["objects"][0];
    assert_eq!(object["kind"], "crl");
    assert_eq!(object["revoked_count"], 1);
    assert_eq!(object["revoked"][0]["reason"], "keyCompromise");
    assert_eq!(object["crl_number"], "4096");

    sb.openssl(&["crl2pkcs7", "-nocrl", "-certfile", "fullchain.pem", "-out", "chain.p7b"]).ok();
    sb.openssl(&[
        "crl2pkcs7",
        "-in",
        "int.crl",
        "-certfile",
        "fullchain.pem",
        "-outform",
        "DER",
        "-out",
        "chain.p7b.der",
    ])
    .ok();
    let p7 = sb.signet(&["inspect", "chain.p7b", "--json"]).ok().json();
    assert_eq!(p7["objects"][0]["certificates"].as_array().unwrap().len(), 2);
    let p7 = sb.signet(&["inspect", "chain.p7b.der", "--json"]).ok().json();
    assert_eq!(p7["objects"][0]["crls"].as_array().unwrap().len(), 1);

    sb.write("p12.pass", "pfx pass\n");
    for (file, legacy) in [("modern.p12", false), ("legacy.p12", true)] {
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "int.pem",
            "-name",
            "www",
            "-passout",
            "pass:pfx pass",
            "-out",
            file,
        ];
        if legacy {
            args.push("-legacy");
        }
        sb.openssl(&args).ok();
        sb.signet(&["inspect", file]).ok().out_has("--pass-file");
        let report = sb.signet(&["inspect", file, "--pass-file", "p12.pass", "--json"]).ok().json();
        let p12 = &report["objects"][0];
        assert_eq!(p12["opened"], true, "{file}");
        assert_eq!(p12["keys"][0]["friendly_name"], "www", "{file}");
        assert_eq!(p12["certificates"].as_array().unwrap().len(), 2, "{file}");
        sb.signet(&["match", file, "leaf.csr", "--pass-file", "p12.pass"]).ok();
        sb.write("wrong.pass", "nope\n");
        sb.signet(&["inspect", file, "--pass-file", "wrong.pass"]).code(2).err_has("wrong password");
    }
}

#[test]
fn ocsp_requests_and_responses() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let serial = sb
        .openssl(&["x509", "-in", "leaf.pem", "-noout", "-serial"])
        .ok()
        .stdout
        .trim()
        .trim_start_matches("serial=")
        .to_string();
    sb.write(
        "index.txt",
        format!("R\t301001010000Z\t261101000000Z,keyCompromise\t{serial}\tunknown\t/CN=www.example.com\n"),
    );
    sb.openssl(&["ocsp", "-issuer", "int.pem", "-cert", "leaf.pem", "-reqout", "req.der"]).ok();
    sb.openssl(&[
        "ocsp",
        "-index",
        "index.txt",
        "-rsigner",
        "int.pem",
        "-rkey",
        "int.key",
        "-CA",
        "int.pem",
        "-reqin",
        "req.der",
        "-respout",
        "resp.der",
    ])
    .ok();
    let request = sb.signet(&["inspect", "req.der", "--json"]).ok().json();
    assert_eq!(request["objects"][0]["kind"], "ocsp_request");
    assert_eq!(
        // Compared as numbers: either side may print a leading zero byte.
        request["objects"][0]["requests"][0]["serial"].as_str().unwrap().trim_start_matches('0'),
        serial.to_lowercase().trim_start_matches('0')
    );
    assert!(request["objects"][0]["nonce"].is_string());
    let response = sb.signet(&["inspect", "resp.der", "--json"]).ok().json();
    let single = &response["objects"][0]["responses"][0];
    assert_eq!(response["objects"][0]["response_status"], "successful");
    assert_eq!(single["status"], "revoked");
    assert_eq!(single["reason"], "keyCompromise");
}
