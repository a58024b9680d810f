//! What the ACME tests share: a `signet serve` whose validator asks pebble-challtestsrv (Debian
//! package `pebble`) for every DNS answer and connects to test ports on loopback, the real
//! clients (lego from Debian, certbot from PyPI) run against it unmodified, and a small raw
//! JWS client for requests no real client would send.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::server::{Backend, Response, Server, free_port, http, https};
use crate::support::{Run, Sandbox, tool};

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Bytes of a hex string (as `signet inspect` prints serials and key identifiers).
pub fn from_hex(text: &str) -> Result<Vec<u8>, std::num::ParseIntError> {
    let digits: Vec<char> = text.chars().filter(char::is_ascii_hexdigit).collect();
    digits.chunks(2).map(|pair| u8::from_str_radix(&pair.iter().collect::<String>(), 16)).collect()
}

/// A free UDP and TCP port on loopback (challtestsrv serves DNS on both).
fn free_dns_port() -> u16 {
    loop {
        let port = free_port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// pebble-challtestsrv: DNS answering every A query with 127.0.0.1, TXT and CAA records set
/// through its management API, and optionally an http-01 responder.
pub struct ChallTestSrv {
    child: Option<Child>,
    /// DNS port (UDP and TCP).
    pub dns_port: u16,
    /// Management API port.
    pub management_port: u16,
}

impl ChallTestSrv {
    /// Starts it, with an http-01 responder on `http01_port` if given.
    pub fn start(sb: &Sandbox, http01_port: Option<u16>) -> Self {
        let (dns_port, management_port) = (free_dns_port(), free_port());
        let log = std::fs::File::create(sb.path("challtestsrv.log")).unwrap();
        let http01 = http01_port.map(|p| format!("127.0.0.1:{p}")).unwrap_or_default();
        let child = Command::new(tool("pebble-challtestsrv"))
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-http01", &http01])
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-management", &format!("127.0.0.1:{management_port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("pebble-challtestsrv starts (apt-get install pebble; scripts/test.sh does)");
        let server = Self { child: Some(child), dns_port, management_port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while http(management_port, "POST", "/clear-txt", None, &[], br#"{"host":"ready."}"#).is_err() {
            assert!(
                Instant::now() < deadline,
                "pebble-challtestsrv did not start:\n{}",
                sb.read_text("challtestsrv.log")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn manage(&self, path: &str, body: Value) {
        let answer = http(self.management_port, "POST", path, None, &[], body.to_string().as_bytes()).unwrap();
        assert_eq!(answer.status, 200, "challtestsrv {path}: {}", answer.text());
    }

    /// Adds a CAA record `tag value` at `host`.
    pub fn add_caa(&self, host: &str, tag: &str, value: &str) {
        self.manage("/add-caa", json!({"host": format!("{host}."), "policies": [{"tag": tag, "value": value}]}));
    }

    /// Answers TXT queries for `host` with `value` (a dns-01 record).
    pub fn set_txt(&self, host: &str, value: &str) {
        self.manage("/set-txt", json!({"host": format!("{host}."), "value": value}));
    }

    /// Serves `content` for an http-01 `token`.
    pub fn add_http01(&self, token: &str, content: &str) {
        self.manage("/add-http01", json!({"token": token, "content": content}));
    }
}

impl Drop for ChallTestSrv {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A signet server with ACME pointed at a challtestsrv, and the ports its validator dials.
pub struct AcmeServer {
    /// The server.
    pub server: Server,
    /// Its DNS.
    pub dns: ChallTestSrv,
    /// Port http-01 validation connects to.
    pub http01_port: u16,
    /// Port tls-alpn-01 validation connects to.
    pub tls_alpn01_port: u16,
}

/// Sets `key = value` in signet.toml (replacing the line, commented or not, that sets it), or adds
/// it to `section`.
pub fn set_config(server: &Server, key: &str, value: &str) {
    let file = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start_matches("# ").starts_with(&format!("{key} =")))
        .unwrap_or_else(|| panic!("no {key} in signet.toml"))
        .to_string();
    std::fs::write(&file, text.replacen(&line, &format!("{key} = {value}"), 1)).unwrap();
}

/// Starts a CA, then restarts it with ACME validating against a challtestsrv (with an http-01
/// responder when `responder`), and `settings` applied.
pub fn acme_server(sb: &Sandbox, backend: Backend, responder: bool, settings: &[(&str, &str)]) -> AcmeServer {
    let mut server = Server::start(sb, backend);
    server.stop();
    let (http01_port, tls_alpn01_port) = (free_port(), free_port());
    let dns = ChallTestSrv::start(sb, responder.then_some(http01_port));
    set_config(&server, "dns_resolver", &format!("\"127.0.0.1:{}\"", dns.dns_port));
    set_config(&server, "http01_port", &http01_port.to_string());
    set_config(&server, "tls_alpn01_port", &tls_alpn01_port.to_string());
    for (key, value) in settings {
        set_config(&server, key, value);
    }
    server.restart();
    AcmeServer { server, dns, http01_port, tls_alpn01_port }
}

impl AcmeServer {
    /// The directory URL.
    pub fn directory(&self) -> String {
        format!("{}/acme/directory", self.server.url())
    }

    /// Runs lego (unmodified, from Debian) against this server, trusting its roots.
    pub fn lego(&self, sb: &Sandbox, path: &str, args: &[&str]) -> Run {
        self.lego_env(sb, path, args, &[])
    }

    /// [`Self::lego`] with more environment variables (a DNS provider's settings).
    pub fn lego_env(&self, sb: &Sandbox, path: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(tool("lego"));
        command.envs(env.iter().copied());
        command
            .args(["--server", &self.directory(), "--path", path, "--accept-tos", "--email", "test@example.com"])
            .args(args)
            .current_dir(sb.dir())
            .stdin(Stdio::null())
            .env("LEGO_CA_CERTIFICATES", self.server.roots());
        output(command, &format!("lego {}", args.join(" ")))
    }

    /// Runs certbot (unmodified, from PyPI) against this server, trusting its roots.
    pub fn certbot(&self, sb: &Sandbox, args: &[&str]) -> Run {
        let dir = sb.path("certbot");
        let mut command = Command::new(tool("certbot"));
        command
            .args(args)
            .args(["--server", &self.directory(), "--non-interactive"])
            .args(["--config-dir", &format!("{}/conf", dir.display())])
            .args(["--work-dir", &format!("{}/work", dir.display())])
            .args(["--logs-dir", &format!("{}/logs", dir.display())])
            .current_dir(sb.dir())
            .stdin(Stdio::null())
            .env("REQUESTS_CA_BUNDLE", self.server.roots());
        output(command, &format!("certbot {}", args.join(" ")))
    }
}

fn output(mut command: Command, shown: &str) -> Run {
    let out = command.output().unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    Run {
        command: shown.to_string(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A hand-driven ACME client with an ES256 account key, for requests no real client sends.
pub struct RawClient<'a> {
    server: &'a Server,
    key: EcdsaKeyPair,
    /// The account URL once registered.
    pub kid: Option<String>,
}

/// The path of an ACME URL of `server`.
pub fn path_of(server: &Server, url: &str) -> String {
    url.strip_prefix(&server.url()).unwrap_or(url).to_string()
}

impl<'a> RawClient<'a> {
    /// A client with a new P-256 key.
    pub fn new(server: &'a Server) -> Self {
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
        Self { server, key: EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap(), kid: None }
    }

    /// The public JWK.
    pub fn jwk(&self) -> Value {
        let point = self.key.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])})
    }

    /// RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> String {
        let jwk = self.jwk();
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#, jwk["x"], jwk["y"]);
        b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
    }

    /// A fresh nonce.
    pub fn nonce(&self) -> String {
        let answer = self.server.request("HEAD", "/acme/new-nonce", None, &[], b"");
        answer.header("replay-nonce").expect("a Replay-Nonce").to_string()
    }

    /// A fresh nonce from another front end of the same database.
    pub fn nonce_from(&self, front_end: &Server) -> String {
        let answer = front_end.request("HEAD", "/acme/new-nonce", None, &[], b"");
        answer.header("replay-nonce").expect("a Replay-Nonce").to_string()
    }

    /// POSTs a signed body to `url` on `front_end` (another front end of the same database).
    pub fn post_body_to(&self, front_end: &Server, url: &str, body: &[u8]) -> Response {
        let content = [("content-type", "application/jose+json")];
        https(&front_end.endpoint(), "POST", &path_of(self.server, url), None, &content, body).unwrap()
    }

    /// A JWS body signed by this key with `header` (alg filled in).
    pub fn sign(&self, header: Value, payload: Option<&Value>) -> Vec<u8> {
        let mut protected = json!({"alg": "ES256"});
        for (k, v) in header.as_object().unwrap() {
            protected[k] = v.clone();
        }
        let protected = b64(protected.to_string().as_bytes());
        let payload = payload.map(|p| b64(p.to_string().as_bytes())).unwrap_or_default();
        let signature = self.key.sign(&SystemRandom::new(), format!("{protected}.{payload}").as_bytes()).unwrap();
        json!({"protected": protected, "payload": payload, "signature": b64(signature.as_ref())})
            .to_string()
            .into_bytes()
    }

    /// The protected header this client would send to `url`.
    pub fn header(&self, url: &str) -> Value {
        match &self.kid {
            Some(kid) => json!({"kid": kid, "nonce": self.nonce(), "url": url}),
            None => json!({"jwk": self.jwk(), "nonce": self.nonce(), "url": url}),
        }
    }

    /// POSTs a raw body to an ACME URL.
    pub fn post_body(&self, url: &str, body: &[u8]) -> Response {
        let content = [("content-type", "application/jose+json")];
        https(&self.server.endpoint(), "POST", &path_of(self.server, url), None, &content, body).unwrap()
    }

    /// POSTs `payload` (None: POST-as-GET) to `url`, signed as this client signs.
    pub fn post(&self, url: &str, payload: Option<&Value>) -> Response {
        self.post_body(url, &self.sign(self.header(url), payload))
    }

    /// The server's URL of an ACME resource path.
    pub fn url(&self, path: &str) -> String {
        format!("{}/acme{path}", self.server.url())
    }

    /// Registers an account.
    pub fn register(&mut self) -> Response {
        let answer = self.post(&self.url("/new-account"), Some(&json!({"termsOfServiceAgreed": true})));
        assert_eq!(answer.status, 201, "{}", answer.text());
        self.kid = Some(answer.header("location").unwrap().to_string());
        answer
    }
}

/// Asserts an ACME problem document of `kind` with `status`; its detail.
#[track_caller]
pub fn problem(answer: &Response, status: u16, kind: &str) -> String {
    let document = answer.json();
    assert_eq!(
        (answer.status, document["type"].as_str().unwrap_or("")),
        (status, format!("urn:ietf:params:acme:error:{kind}").as_str()),
        "{document}"
    );
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    document["detail"].as_str().unwrap_or("").to_string()
}

/// A CSR (DER) for `names` with a new P-256 key, made by `signet csr new`.
pub fn csr_der(sb: &Sandbox, stem: &str, names: &[&str]) -> Vec<u8> {
    let pem = crate::server::make_csr(sb, stem, "ec-p256", names[0], &names[1..]);
    let decoded = signet_codec::decode(pem.as_bytes()).unwrap();
    decoded.single(signet_codec::ObjectKind::CertificateRequest).unwrap().to_vec()
}

/// Where lego keeps the certificate of `name` under its `--path`.
pub fn lego_certificate(sb: &Sandbox, path: &str, name: &str) -> PathBuf {
    sb.path(path).join("certificates").join(format!("{}.crt", name.replace('*', "_")))
}
