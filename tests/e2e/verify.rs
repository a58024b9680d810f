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

#[test]
fn options_for_names_depth_and_usages() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let with = |extra: &[&'static str]| [["verify", "fullchain.pem", "--roots", "root.pem"].as_slice(), extra].concat();
    // A name no certificate can hold fails the check (exit 1); it is not bad input.
    sb.signet(&with(&["--host", "foo_bar.example.com"])).code(1).out_has("[invalid-host-name]");
    sb.signet(&with(&["--host", "example.com", "--max-depth", "1"])).ok();
    sb.signet(&with(&["--max-depth", "0"])).code(1).out_has("[path-too-long]");
    sb.signet(&with(&["--key-usage", "digitalSignature"])).ok();
    sb.signet(&with(&["--key-usage", "keyEncipherment"])).code(1).out_has("lacks keyEncipherment");
    sb.signet(&with(&["--key-usage", "sign"])).code(2).err_has("not a keyUsage bit");
    sb.signet(&with(&["--eku", "codeSigning"])).code(1).out_has("not valid for codeSigning");
    sb.signet(&with(&["--eku", "1.2.3.4.5"])).code(1).out_has("[extended-key-usage]");
    sb.signet(&with(&["--eku", "coffee"])).code(2).err_has("not an extendedKeyUsage");
    sb.signet(&with(&["--email", "web@example.com"])).code(1).out_has("[name-mismatch]");
}

/// Revokes `cert` with openssl's CA (the intermediate) and writes its CRL to int.crl.
fn revoke_and_publish(sb: &Sandbox, cert: Option<&str>) {
    if let Some(cert) = cert {
        sb.openssl(&["ca", "-config", "ca.cnf", "-revoke", cert, "-crl_reason", "keyCompromise"]).ok();
    }
    sb.openssl(&["ca", "-config", "ca.cnf", "-gencrl", "-crlexts", "crl_ext", "-out", "int.crl"]).ok();
}

/// `python3 -m http.server` on a free loopback port, stopped when dropped.
struct Web(std::process::Child, u16);

impl Web {
    fn serve(dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let web = Self(
            std::process::Command::new("python3")
                .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
            port,
        );
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return web;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("python3 -m http.server did not start on port {port}");
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn revocation_from_crl_files_and_from_the_certificates_urls() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let verify = |extra: &[&str]| {
        let args = [["verify", "leaf.pem", "--chain", "int.pem", "--roots", "root.pem"].as_slice(), extra].concat();
        sb.signet(&args)
    };
    revoke_and_publish(&sb, None);
    verify(&["--crl", "int.crl"]).ok();
    revoke_and_publish(&sb, Some("leaf.pem"));
    verify(&["--crl", "int.crl"]).code(1).out_has("[revoked]").out_has("(reason: KeyCompromise)");
    // openssl agrees.
    sb.openssl(&[
        "verify",
        "-crl_check",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "int.pem",
        "-CRLfile",
        "int.crl",
        "leaf.pem",
    ])
    .code(2);
    // A certificate naming no CRL has an unknown status under --check-revocation.
    verify(&["--check-revocation"]).code(1).out_has("[revocation-unknown]").out_has("names no CRL distribution point");

    // --check-revocation fetches the CRL the certificate names.
    let web = Web::serve(sb.dir());
    let url = format!("http://127.0.0.1:{}/int.crl", web.1);
    let extensions = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com\ncrlDistributionPoints=URI:{url}\n"
    );
    sb.openssl_sign("leaf.csr", "int", &extensions, 90, "fetched.pem").ok();
    let fetched = |extra: &[&str]| {
        let args = [["verify", "fetched.pem", "--chain", "int.pem", "--roots", "root.pem"].as_slice(), extra].concat();
        sb.signet(&args)
    };
    fetched(&["--check-revocation"]).ok().out_has(&format!("CRL fetched: {url}"));
    revoke_and_publish(&sb, Some("fetched.pem"));
    fetched(&["--check-revocation"]).code(1).out_has("[revoked]");
    drop(web);
    // The server gone: the download fails with a warning, and the status is unknown.
    fetched(&["--check-revocation", "--timeout", "2"])
        .code(1)
        .err_has("could not fetch the CRL")
        .out_has("[revocation-unknown]");
}
