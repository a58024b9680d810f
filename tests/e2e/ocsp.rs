//! OCSP end to end: pre-signed responses from the delegated responder that `openssl ocsp` verifies,
//! good then revoked with its reason and time; GET and POST; unknown for serials never issued;
//! pkilint's `lint_ocsp_response`; every kind of bad request answered with its OCSP error status
//! while the server stays up; the CA-signed responder with nonces; `signet ocsp serve` alone.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::revocation::serial_of;
use crate::server::{Backend, Server, free_port, http, make_csr, path_str};
use crate::support::{Run, Sandbox, tool, user_config_home, wait_for};

/// `openssl ocsp` for `cert` issued by `ca`, at `url`, with `extra` flags.
fn ask(sb: &Sandbox, ca: &str, cert: &str, url: &str, extra: &[&str]) -> Run {
    // openssl wants a digest (-sha256) before -cert.
    let mut args = vec!["ocsp", "-issuer", ca];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-cert", cert, "-url", url, "-CAfile", ca]);
    sb.openssl(&args)
}

/// The OCSP status byte of an unsigned error answer (`30 03 0a 01 STATUS`).
fn error_status(body: &[u8]) -> Option<u8> {
    match body {
        [0x30, 0x03, 0x0a, 0x01, status] => Some(*status),
        _ => None,
    }
}

fn lint_response(sb: &Sandbox, file: &str) {
    let out = sb.sh(&format!("{} lint -s ERROR {file}", tool("lint_ocsp_response").display()));
    assert_eq!(out.code, 0, "pkilint lint_ocsp_response {file}:\n{}{}", out.stdout, out.stderr);
}

#[test]
fn the_delegated_responder_answers_good_then_revoked_and_refuses_bad_requests() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    // Relying parties ask over plain HTTP (RFC 5019 §5): the listener certificates name.
    let url = format!("{}/ocsp", server.http_url());
    let test_root = server.ca_file("test-root");
    let ca = path_str(&test_root);
    make_csr(&sb, "c", "ec-p256", "ocsp-e2e.example.com", &[]);
    server.cli(&sb, &["request", "submit", "--csr", "c.csr", "--profile", "test", "--out", "c.pem"]).ok();
    let info = sb.signet(&["inspect", "c.pem", "--json"]).ok().json();
    assert_eq!(info["objects"][0]["ocsp_urls"][0], url.as_str(), "the AIA names the responder: {info}");

    // Over GET: once pre-signed (a moment after issuance; until then it is signed on demand, with
    // no caching headers), with caching headers and 304 for a matching ETag.
    sb.openssl(&["ocsp", "-issuer", ca, "-cert", "c.pem", "-no_nonce", "-reqout", "req.der"]).ok();
    let request = base64::engine::general_purpose::STANDARD.encode(sb.read("req.der"));
    let path = format!("/ocsp/{}", request.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"));
    wait_for("a pre-signed response", || server.request("GET", &path, None, &[], b"").header("etag").is_some());
    // Good, from the delegated responder (its certificate in the response), over POST.
    let good = ask(&sb, ca, "c.pem", &url, &["-no_nonce", "-respout", "good.der", "-resp_text"]).ok();
    good.err_has("Response verify OK").out_has("c.pem: good").out_has("OCSP Responder").out_has("OCSP Signing");
    good.out_has("OCSP No Check");
    lint_response(&sb, "good.der");
    let got = server.request("GET", &path, None, &[], b"");
    assert_eq!(got.header("content-type"), Some("application/ocsp-response"));
    assert!(got.header("cache-control").unwrap().contains("max-age="), "{:?}", got.headers);
    assert!(got.header("expires").is_some() && got.header("last-modified").is_some());
    assert_eq!(got.body, sb.read("good.der"), "GET and POST serve the one pre-signed response");
    let etag = got.header("etag").unwrap().to_string();
    assert_eq!(server.request("GET", &path, None, &[("if-none-match", &etag)], b"").status, 304);

    // Revoked, within seconds, with its reason and time.
    let serial = serial_of(&sb, "c.pem");
    server.cli(&sb, &["revoke", &serial, "--reason", "keyCompromise"]).ok();
    wait_for("the revocation in OCSP", || {
        ask(&sb, ca, "c.pem", &url, &["-no_nonce"]).stdout.contains("c.pem: revoked")
    });
    let revoked = ask(&sb, ca, "c.pem", &url, &["-no_nonce", "-respout", "revoked.der"]).ok();
    revoked.err_has("Response verify OK").out_has("Reason: keyCompromise").out_has("Revocation Time:");
    lint_response(&sb, "revoked.der");
    // A CertID hashed with SHA-256 is answered too, signed for it.
    ask(&sb, ca, "c.pem", &url, &["-no_nonce", "-sha256"]).ok().out_has("c.pem: revoked");
    // A serial never issued is unknown, never good (BR §4.9.9).
    let unknown = sb.openssl(&[
        "ocsp",
        "-issuer",
        ca,
        "-serial",
        "0x5a5a5a5a5a5a5a5a5a5a",
        "-url",
        &url,
        "-CAfile",
        ca,
        "-no_nonce",
        "-respout",
        "unknown.der",
    ]);
    unknown.ok().out_has(": unknown");
    lint_response(&sb, "unknown.der");

    // Bad requests: the OCSP error status, never an HTTP error, and the server stays up.
    sb.openssl(&["ocsp", "-issuer", ca, "-sha512", "-cert", "c.pem", "-no_nonce", "-reqout", "sha512.der"]).ok();
    sb.openssl_root("foreign", "prime256v1", "/CN=Foreign CA", 30, &[]).ok();
    sb.openssl(&["ocsp", "-issuer", "foreign.pem", "-serial", "0x1234", "-no_nonce", "-reqout", "foreign.der"]).ok();
    let valid = sb.read("req.der");
    let cases: Vec<(&str, Vec<u8>, u8)> = vec![
        ("garbage", b"not an OCSP request".to_vec(), 1),
        ("truncated DER", valid[..valid.len() / 2].to_vec(), 1),
        ("empty", Vec::new(), 1),
        ("a SHA-512 CertID", sb.read("sha512.der"), 1),
        ("an issuer signet does not serve", sb.read("foreign.der"), 6),
        ("a 1 MB body", vec![0x30; 1024 * 1024], 1),
    ];
    let post = [("content-type", "application/ocsp-request")];
    for (what, body, status) in cases {
        let answer = http(server.http_port, "POST", "/ocsp", None, &post, &body).unwrap();
        assert_eq!(answer.status, 200, "{what}");
        assert_eq!(error_status(&answer.body), Some(status), "{what}: {:?}", answer.body);
    }
    for broken in ["/ocsp/%%%%", "/ocsp/not-base64!", "/ocsp/AAAA"] {
        let answer = server.request("GET", broken, None, &[], b"");
        assert_eq!((answer.status, error_status(&answer.body)), (200, Some(1)), "{broken}");
    }
    assert_eq!(server.request("GET", "/healthz", None, &[], b"").status, 200);
    ask(&sb, ca, "c.pem", &url, &["-no_nonce"]).ok().out_has("c.pem: revoked");

    // A revoked responder signs nothing more: a new one is issued at once and every response it
    // had signed is signed again, without waiting for the daily refresh.
    let old = responder_serial(&sb, "revoked.der");
    server.cli(&sb, &["revoke", &old, "--reason", "keyCompromise"]).ok();
    wait_for("the response signed again by a new responder", || {
        ask(&sb, ca, "c.pem", &url, &["-no_nonce", "-respout", "resigned.der"]).stdout.contains("c.pem: revoked")
            && responder_serial(&sb, "resigned.der") != old
    });
    ask(&sb, ca, "c.pem", &url, &["-no_nonce"]).ok().err_has("Response verify OK").out_has("Reason: keyCompromise");
    lint_response(&sb, "resigned.der");
}

/// The serial (lower-case hex) of the responder certificate an OCSP response carries.
fn responder_serial(sb: &Sandbox, response: &str) -> String {
    let text = sb.openssl(&["ocsp", "-respin", response, "-resp_text", "-noverify"]).ok().stdout;
    let begin = text.find("-----BEGIN CERTIFICATE-----").expect("a responder certificate in the response");
    let end = text.find("-----END CERTIFICATE-----").expect("the end of the certificate") + 25;
    sb.write("responder.pem", &text[begin..end]);
    serial_of(sb, "responder.pem")
}

/// A running `signet ocsp serve`, killed when dropped.
struct Lone(Child);

impl Drop for Lone {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `signet ocsp serve` on the data directory; answers the process and its port.
fn ocsp_serve(sb: &Sandbox, server: &Server, env: &[(&str, &str)]) -> (Lone, u16) {
    let port = free_port();
    let log = std::fs::File::create(sb.path("ocsp-serve.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_signet"));
    command
        .args(["ocsp", "serve", "--data", path_str(&server.data), "--listen", &format!("127.0.0.1:{port}")])
        .env("XDG_CONFIG_HOME", user_config_home(sb.dir()))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = Lone(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http(port, "GET", "/healthz", None, &[], b"").is_ok_and(|r| r.status == 200) {
            return (child, port);
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("signet ocsp serve exited with {status}: {}", sb.read_text("ocsp-serve.log"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("signet ocsp serve did not start: {}", sb.read_text("ocsp-serve.log"));
}

#[test]
fn the_ca_signed_responder_echoes_nonces_and_ocsp_serve_answers_alone() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replacen("signer = \"delegated\"", "signer = \"ca\"", 1)
        .replacen("nonce = false", "nonce = true", 1);
    std::fs::write(&config, text).unwrap();
    server.restart();
    let url = format!("{}/ocsp", server.http_url());
    let test_root = server.ca_file("test-root");
    let ca = path_str(&test_root);
    make_csr(&sb, "n", "ec-p256", "ocsp-nonce.example.com", &[]);
    server.cli(&sb, &["request", "submit", "--csr", "n.csr", "--profile", "test", "--out", "n.pem"]).ok();
    wait_for("a pre-signed response", || ask(&sb, ca, "n.pem", &url, &["-no_nonce"]).stdout.contains("n.pem: good"));
    // Signed by the CA itself (no responder certificate); the nonce openssl sends comes back.
    let answered = ask(&sb, ca, "n.pem", &url, &["-respout", "nonce.der", "-resp_text"]).ok();
    answered.err_has("Response verify OK").out_has("n.pem: good").out_has("OCSP Nonce");
    assert!(!answered.stderr.contains("no nonce in response"), "{}", answered.stderr);
    assert!(!answered.stdout.contains("Certificate:"), "a CA-signed response carries no certificate");
    lint_response(&sb, "nonce.der");

    // `signet ocsp serve` alone on the same database: the same pre-signed answers; with no key
    // of its own (CA-signed mode), a serial never issued gets unauthorized.
    let taken = format!("127.0.0.1:{}", server.http_port);
    sb.signet(&["ocsp", "serve", "--data", path_str(&server.data), "--listen", &taken])
        .code(3)
        .err_has("choose another --listen");
    let (alone, port) = ocsp_serve(&sb, &server, &[]);
    let alone_url = format!("http://127.0.0.1:{port}/");
    // `signet serve` answered at once (signing on demand); the lone responder has only what was
    // signed ahead, a moment later.
    wait_for("the pre-signed response", || {
        ask(&sb, ca, "n.pem", &alone_url, &["-no_nonce"]).stdout.contains("n.pem: good")
    });
    ask(&sb, ca, "n.pem", &alone_url, &["-no_nonce"]).ok().err_has("Response verify OK");
    let unknown = sb.openssl(&["ocsp", "-issuer", ca, "-serial", "0x77", "-url", &alone_url, "-no_nonce"]);
    assert!(unknown.stdout.contains("unauthorized") || unknown.stderr.contains("unauthorized"), "{unknown:?}");
    // A revocation made by `signet serve` reaches it within seconds.
    server.cli(&sb, &["revoke", &serial_of(&sb, "n.pem"), "--reason", "superseded"]).ok();
    wait_for("the revocation at the lone responder", || {
        ask(&sb, ca, "n.pem", &alone_url, &["-no_nonce"]).stdout.contains("n.pem: revoked")
    });
    drop(alone);
}
