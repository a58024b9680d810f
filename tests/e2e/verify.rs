//! `signet verify`: chains, expiry, names, usages; compared with `openssl verify` where it applies.

use crate::read_foreign::openssl_pki;
use crate::server::free_port;
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

/// A server process on a loopback port (python3's http.server, openssl's OCSP responder),
/// stopped when dropped.
struct Daemon(std::process::Child, u16);

impl Daemon {
    /// Starts `command` and waits until it accepts connections on `port`.
    fn start(command: &mut std::process::Command, port: u16) -> Self {
        let daemon = Self(
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap(),
            port,
        );
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return daemon;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{command:?} did not start listening on port {port}");
    }

    /// Starts `command` and waits until it prints `ready` on standard error (for servers that
    /// serve one connection at a time, where a probe connection would hold them up).
    fn start_when(command: &mut std::process::Command, port: u16, ready: &str) -> Self {
        use std::io::BufRead;
        let mut daemon = Self(
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap(),
            port,
        );
        let mut lines = std::io::BufReader::new(daemon.0.stderr.take().unwrap()).lines();
        let started = lines.by_ref().map_while(Result::ok).any(|line| line.contains(ready));
        assert!(started, "{command:?} stopped before printing {ready:?}");
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        daemon
    }

    fn web(dir: &std::path::Path) -> Self {
        let port = free_port();
        Self::start(
            std::process::Command::new("python3")
                .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
                .arg(dir),
            port,
        )
    }

    /// openssl's OCSP responder for the intermediate of `openssl_pki`, answering from index.txt.
    fn ocsp(sb: &Sandbox, port: u16) -> Self {
        let openssl = crate::support::tool("openssl");
        Self::start_when(
            std::process::Command::new(openssl).current_dir(sb.dir()).args([
                "ocsp",
                "-index",
                "index.txt",
                "-port",
                &port.to_string(),
                "-rsigner",
                "int.pem",
                "-rkey",
                "int.key",
                "-CA",
                "int.pem",
                "-ndays",
                "1",
            ]),
            port,
            "waiting for OCSP client connections",
        )
    }
}

impl Drop for Daemon {
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
    verify(&["--crl", "int.crl"]).code(1).out_has("[revoked]").out_has("(reason: keyCompromise)");
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
    verify(&["--check-revocation"])
        .code(1)
        .out_has("[revocation-unknown]")
        .out_has("names neither a CRL distribution point nor an OCSP responder");

    // --check-revocation fetches the CRL the certificate names.
    let web = Daemon::web(sb.dir());
    let url = format!("http://127.0.0.1:{}/int.crl", web.1);
    let extensions = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com\ncrlDistributionPoints=URI:{url}\n"
    );
    sb.openssl_sign("leaf.csr", "int", &extensions, 90, "fetched.pem").ok();
    let fetched = |extra: &[&str]| {
        let args = [["verify", "fetched.pem", "--chain", "int.pem", "--roots", "root.pem"].as_slice(), extra].concat();
        sb.signet(&args)
    };
    fetched(&["--check-revocation"]).ok().out_has(&format!("Revocation checked at: {url}"));
    revoke_and_publish(&sb, Some("fetched.pem"));
    fetched(&["--check-revocation"]).code(1).out_has("[revoked]");
    drop(web);
    // The server gone: the download fails with a warning, and the status is unknown.
    fetched(&["--check-revocation", "--timeout", "2"])
        .code(1)
        .err_has("could not fetch the CRL")
        .out_has("[revocation-unknown]");
}

#[test]
fn revocation_from_an_openssl_ocsp_responder() {
    let sb = Sandbox::new();
    openssl_pki(&sb);
    let port = free_port();
    let extensions = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.com\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:{port}\n"
    );
    sb.openssl_sign("leaf.csr", "int", &extensions, 90, "ocsp.pem").ok();
    sb.openssl(&["ca", "-config", "ca.cnf", "-valid", "ocsp.pem"]).ok();
    let verify =
        || sb.signet(&["verify", "ocsp.pem", "--chain", "int.pem", "--roots", "root.pem", "--check-revocation"]);
    let responder = Daemon::ocsp(&sb, port);
    verify().ok().out_has(&format!("Revocation checked at: http://127.0.0.1:{port}"));
    drop(responder);
    sb.openssl(&["ca", "-config", "ca.cnf", "-revoke", "ocsp.pem", "-crl_reason", "keyCompromise"]).ok();
    let _responder = Daemon::ocsp(&sb, port);
    verify().code(1).out_has("[revoked]").out_has("(reason: keyCompromise) according to the OCSP responder");
}
