//! A real `signet serve` process for the tests, on free loopback ports (HTTPS for the API, plain
//! HTTP for CA certificates, CRLs and OCSP), with SQLite or a fresh PostgreSQL database, plus a
//! minimal HTTP/1.1 client over rustls that trusts the data directory's `roots.pem`, as clients
//! are told to.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;

use crate::support::{Run, Sandbox, tool, user_config_home};

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// Which database a server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The PostgreSQL server the test script starts.
    Postgres,
}

/// A fresh PostgreSQL database URL on the test server.
pub fn postgres_database() -> String {
    let admin = std::env::var("SIGNET_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("SIGNET_TEST_POSTGRES_URL is not set: run ./scripts/test.sh (it starts PostgreSQL)")
    });
    let name = format!("signet_e2e_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
    let status = Command::new(tool("psql"))
        .args([admin.as_str(), "-q", "-c", &format!("CREATE DATABASE {name}")])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "CREATE DATABASE {name} failed");
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// A free TCP port on loopback, for a server a test starts. Taken below Linux's ephemeral range
/// (32768-60999): a port the kernel handed out (`bind :0`) could be given to any outgoing
/// connection between this check and the server's own bind, and the server then failed with
/// "address in use". Each call in this process takes the next port of its own sequence.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    // Another test process (run at the same time on a developer's machine) starts elsewhere.
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + n) % SPAN).expect("below 32768");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {}", FIRST + SPAN)
}

/// A TLS connection to the server, trusting its roots.
pub type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Where to send HTTPS requests: a port on loopback and the roots to trust there.
#[derive(Clone)]
pub struct Endpoint {
    /// The HTTPS port.
    pub port: u16,
    tls: Arc<rustls::ClientConfig>,
}

impl Endpoint {
    /// A client trusting the certificates of PEM files.
    pub fn new(port: u16, roots_pem: &[&Path]) -> std::io::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for file in roots_pem {
            for cert in rustls_pki_types::CertificateDer::pem_file_iter(file).map_err(std::io::Error::other)? {
                roots.add(cert.map_err(std::io::Error::other)?).map_err(std::io::Error::other)?;
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { port, tls: Arc::new(config) })
    }

    /// A TLS connection (the handshake completes on the first read or write).
    pub fn connect(&self) -> std::io::Result<TlsStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))?;
        tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
        let connection = rustls::ClientConnection::new(self.tls.clone(), name).map_err(std::io::Error::other)?;
        Ok(rustls::StreamOwned::new(connection, tcp))
    }
}

/// A running `signet serve`.
pub struct Server {
    child: Option<Child>,
    /// The data directory.
    pub data: PathBuf,
    /// Port of the HTTPS API.
    pub port: u16,
    /// Port of the plain-HTTP listener (CA certificates, CRLs, OCSP).
    pub http_port: u16,
    /// The HTTPS client, once the server has written its roots.
    endpoint: OnceLock<Endpoint>,
    /// More roots for the HTTPS client (a certificate from configured files).
    extra_roots: Vec<PathBuf>,
    database_url: Option<String>,
    log: PathBuf,
    options: Vec<String>,
    /// Where `signet serve` runs; `None`: the sandbox, with `--data` given.
    cwd: Option<PathBuf>,
    /// The sandbox's per-user configuration directory.
    config_home: PathBuf,
    /// First starts tried again on other ports (see `spawn`).
    port_retries: u32,
}

impl Server {
    /// Starts a new CA in `sb/data` on a fresh database.
    pub fn start(sb: &Sandbox, backend: Backend) -> Self {
        Self::start_with(sb, backend, &[])
    }

    /// Starts a new CA with extra first-start options (e.g. `--public-url`).
    pub fn start_with(sb: &Sandbox, backend: Backend, options: &[&str]) -> Self {
        let database_url = (backend == Backend::Postgres).then(postgres_database);
        let mut server = Server {
            child: None,
            data: sb.path("data"),
            port: free_port(),
            http_port: free_port(),
            endpoint: OnceLock::new(),
            extra_roots: Vec::new(),
            database_url,
            log: sb.path("serve.log"),
            options: options.iter().map(|o| o.to_string()).collect(),
            cwd: None,
            config_home: user_config_home(sb.dir()),
            port_retries: 0,
        };
        server.spawn();
        server
    }

    /// Starts `signet serve` as the README does: in the directory `sb/subdir`, without `--data`
    /// (so in ./signet-data there, or the CA recorded as the user's default).
    pub fn start_in(sb: &Sandbox, subdir: &str) -> Self {
        let cwd = sb.path(subdir);
        std::fs::create_dir_all(&cwd).unwrap();
        let mut server = Server {
            child: None,
            data: cwd.join("signet-data"),
            port: free_port(),
            http_port: free_port(),
            endpoint: OnceLock::new(),
            extra_roots: Vec::new(),
            database_url: None,
            log: sb.path(&format!("{subdir}-serve.log")),
            options: Vec::new(),
            cwd: Some(cwd),
            config_home: user_config_home(sb.dir()),
            port_retries: 0,
        };
        server.spawn();
        server
    }

    /// Another front end on the same data directory (and database).
    pub fn another(&self, sb: &Sandbox, name: &str) -> Self {
        let mut server = Server {
            child: None,
            data: self.data.clone(),
            port: free_port(),
            http_port: free_port(),
            endpoint: OnceLock::new(),
            extra_roots: Vec::new(),
            database_url: self.database_url.clone(),
            log: sb.path(&format!("{name}.log")),
            options: Vec::new(),
            cwd: None,
            config_home: self.config_home.clone(),
            port_retries: 0,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_signet"));
        command.arg("serve");
        match &self.cwd {
            Some(cwd) => {
                command.current_dir(cwd);
            }
            None => {
                command.args(["--data", self.data.to_str().unwrap()]);
            }
        }
        command
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--http-listen", &format!("127.0.0.1:{}", self.http_port)])
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env_remove("SIGNET_DATA")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(url) = &self.database_url {
            command.args(["--database-url", url]);
        }
        command.args(&self.options);
        self.child = Some(command.spawn().expect("signet serve starts"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(endpoint) = self.try_endpoint()
                && let Ok(response) = https(&endpoint, "GET", "/healthz", None, &[], &[])
                && response.status == 200
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                // A port taken between free_port's check and the server's bind (by whatever
                // else runs on the machine): a first start stops before making anything, so it
                // is started again on other ports.
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                if log.contains("no CA was created") && log.contains("cannot listen on") && self.port_retries < 3 {
                    self.port_retries += 1;
                    self.port = free_port();
                    self.http_port = free_port();
                    self.child = None;
                    return self.spawn();
                }
                panic!(
                    "signet serve exited with {status}:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("signet serve did not become healthy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
    }

    /// Stops with SIGTERM (graceful).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let sent = Command::new("kill").arg(child.id().to_string()).status();
            if !sent.as_ref().is_ok_and(|s| s.success()) {
                let _ = child.kill();
                panic!("could not send SIGTERM with kill ({sent:?}); install procps (scripts/test.sh does)");
            }
            let _ = child.wait();
        }
    }

    /// Kills with SIGKILL (a crash).
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (a `kill -s` name such as `HUP`) to the running server.
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("a running server");
        let sent = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().unwrap();
        assert!(sent.success(), "kill -s {signal}");
    }

    /// Starts again after stop or kill.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// What `signet serve` printed so far (standard output and error).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The base URL of the HTTPS API.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The base URL of the plain-HTTP listener.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// DATA/roots.pem: what clients trust for the HTTPS certificate.
    pub fn roots(&self) -> PathBuf {
        self.data.join("roots.pem")
    }

    /// The HTTPS endpoint, trusting DATA/roots.pem, once that exists; or the roots the start-up
    /// text names (a server started without --data may serve another, recorded, CA).
    fn try_endpoint(&self) -> Option<Endpoint> {
        if let Some(endpoint) = self.endpoint.get() {
            return Some(endpoint.clone());
        }
        let printed = self.log_text().lines().find_map(|line| {
            let rest = line.trim_start().strip_prefix("trust:")?.trim_start();
            Some(PathBuf::from(rest.split(" (").next()?))
        });
        let roots = if self.roots().exists() { self.roots() } else { printed? };
        let mut files = vec![roots.as_path()];
        files.extend(self.extra_roots.iter().map(PathBuf::as_path));
        let endpoint = Endpoint::new(self.port, &files).ok()?;
        Some(self.endpoint.get_or_init(|| endpoint).clone())
    }

    /// Trusts the roots in `pem` too (for a certificate from configured files), from the next
    /// start on.
    pub fn trust(&mut self, pem: &Path) {
        self.extra_roots.push(pem.to_path_buf());
        self.endpoint = OnceLock::new();
    }

    /// The HTTPS endpoint (the server is running, so its roots are written).
    pub fn endpoint(&self) -> Endpoint {
        self.try_endpoint().expect("DATA/roots.pem of a running server")
    }

    /// The admin token written on first start.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.data.join("admin.token")).unwrap().trim().to_string()
    }

    /// A Certificate Manager token (identity `manager`), made once with `signet token create`:
    /// the first-start admin token holds CA Administrator only, which cannot approve.
    pub fn manager_token(&self, sb: &Sandbox) -> String {
        std::fs::read_to_string(self.manager_token_file(sb)).unwrap().trim().to_string()
    }

    fn manager_token_file(&self, sb: &Sandbox) -> PathBuf {
        let file = self.data.with_file_name("manager.token");
        if !file.exists() {
            let out = file.to_str().unwrap();
            self.admin(sb, &["token", "create", "--name", "manager", "--role", "certificate-manager", "--out", out])
                .ok();
        }
        file
    }

    /// Runs the signet CLI against this server as the Certificate Manager `manager`.
    pub fn cli(&self, sb: &Sandbox, args: &[&str]) -> Run {
        let token_file = self.manager_token_file(sb);
        sb.signet_env(args, &[("SIGNET_SERVER", &self.url()), ("SIGNET_TOKEN_FILE", token_file.to_str().unwrap())])
    }

    /// Runs a local administration command on the data directory.
    pub fn admin(&self, sb: &Sandbox, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--data", self.data.to_str().unwrap()]);
        sb.signet(&all)
    }

    /// Sends an HTTP request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        https(&self.endpoint(), method, path, token, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Sends a plain-HTTP request to the listener for CA certificates, CRLs and OCSP.
    pub fn plain_request(&self, method: &str, path: &str) -> Response {
        http(self.http_port, method, path, None, &[], b"").unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Submits a CSR (PEM) to a profile as JSON with `token`.
    pub fn submit(&self, token: &str, profile: &str, csr_pem: &str) -> Response {
        let json = [("content-type", "application/json")];
        self.request("POST", "/api/v1/requests", Some(token), &json, &submit_body(profile, csr_pem))
    }

    /// The PostgreSQL URL it runs on, if it does.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// The CA certificate file written to DATA/cas/NAME.pem.
    pub fn ca_file(&self, name: &str) -> PathBuf {
        self.data.join("cas").join(format!("{name}.pem"))
    }

    /// Path of the SQLite database.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data.join("signet.db")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTPS request over a fresh connection (Connection: close).
pub fn https(
    endpoint: &Endpoint,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    exchange(&mut endpoint.connect()?, endpoint.port, method, path, token, headers, body)
}

/// One plain-HTTP request over a fresh connection (Connection: close).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    exchange(&mut stream, port, method, path, token, headers, body)
}

/// A connection a request is written to and its answer read from.
pub trait Transport {
    /// Writes bytes (and flushes them).
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Reads until the server closes the connection.
    fn receive_all(&mut self, into: &mut Vec<u8>) -> std::io::Result<()>;
}

impl Transport for TcpStream {
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_all(bytes)
    }

    fn receive_all(&mut self, into: &mut Vec<u8>) -> std::io::Result<()> {
        self.read_to_end(into).map(|_| ())
    }
}

impl Transport for TlsStream {
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_all(bytes)?;
        self.flush()
    }

    /// Reads records straight off the socket: after a refused upload, rustls still holds the
    /// unsent rest, which its stream would try to write before reading the answer.
    fn receive_all(&mut self, into: &mut Vec<u8>) -> std::io::Result<()> {
        loop {
            match self.conn.reader().read_to_end(into) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // Closed without close_notify: everything sent has been read.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => {}
                Ok(_) => {
                    self.conn.process_new_packets().map_err(std::io::Error::other)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
                // A read with a timeout is not restarted after SIGSTOP/SIGCONT (signal(7)): read again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn exchange(
    stream: &mut impl Transport,
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.send(head.as_bytes())?;
    // A server refusing a large body answers before reading it all; read that answer anyway.
    if let Err(e) = stream.send(body)
        && !matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset)
    {
        return Err(e);
    }
    let mut raw = Vec::new();
    stream.receive_all(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok(Response { status, headers, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// Makes a key and CSR with the CLI, returning the CSR's PEM.
pub fn make_csr(sb: &Sandbox, stem: &str, alg: &str, cn: &str, sans: &[&str]) -> String {
    let key = format!("{stem}.key");
    let csr = format!("{stem}.csr");
    let mut args = vec!["csr", "new", "--new-key", alg, "--key-out", &key, "--cn", cn, "--out", &csr];
    for san in sans {
        args.push("--san");
        args.push(san);
    }
    sb.signet(&args).ok();
    sb.read_text(&csr)
}

/// JSON body for a submission.
pub fn submit_body(profile: &str, csr_pem: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"profile": profile, "csr": csr_pem})).unwrap()
}

/// Path helper.
pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
