//! A real `signet serve` process for the tests, on a free loopback port, with SQLite or a fresh
//! PostgreSQL database, plus a minimal HTTP/1.1 client (no TLS, loopback only).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

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

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `signet serve`.
pub struct Server {
    child: Option<Child>,
    /// The data directory.
    pub data: PathBuf,
    /// Port it listens on.
    pub port: u16,
    database_url: Option<String>,
    log: PathBuf,
    options: Vec<String>,
    /// Where `signet serve` runs; `None`: the sandbox, with `--data` given.
    cwd: Option<PathBuf>,
    /// The sandbox's per-user configuration directory.
    config_home: PathBuf,
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
            database_url,
            log: sb.path("serve.log"),
            options: options.iter().map(|o| o.to_string()).collect(),
            cwd: None,
            config_home: user_config_home(sb.dir()),
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
            database_url: None,
            log: sb.path(&format!("{subdir}-serve.log")),
            options: Vec::new(),
            cwd: Some(cwd),
            config_home: user_config_home(sb.dir()),
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
            database_url: self.database_url.clone(),
            log: sb.path(&format!("{name}.log")),
            options: Vec::new(),
            cwd: None,
            config_home: self.config_home.clone(),
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
            if let Ok(response) = http(self.port, "GET", "/healthz", None, &[], &[])
                && response.status == 200
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
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

    /// Starts again after stop or kill.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// What `signet serve` printed so far (standard output and error).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
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
        http(self.port, method, path, token, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
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

/// One HTTP/1.1 request over a fresh connection (Connection: close).
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
    stream.write_all(head.as_bytes())?;
    // A server refusing a large body answers before reading it all; read that answer anyway.
    if let Err(e) = stream.write_all(body)
        && !matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset)
    {
        return Err(e);
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
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
