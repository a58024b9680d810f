//! Test harness: runs the real `signet` binary and the real outside tools (openssl, pkilint) in
//! a scratch directory. Tools are found on PATH or where `scripts/test.sh` installed them; a
//! missing tool fails the test with instructions, it is never silently skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A scratch directory for one test.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

/// The result of running a command.
#[derive(Debug)]
pub struct Run {
    /// What was run, for messages.
    pub command: String,
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{} failed:\nstdout:\n{}\nstderr:\n{}", self.command, self.stdout, self.stderr);
        self
    }

    /// Asserts the exit code and that nothing panicked.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "{}: expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.command, self.stdout, self.stderr
        );
        self.no_panic();
        self
    }

    /// Asserts no panic message appeared.
    #[track_caller]
    pub fn no_panic(&self) -> &Self {
        assert!(!self.stderr.contains("panicked"), "{} panicked:\n{}", self.command, self.stderr);
        self
    }

    /// Asserts stderr contains `text`.
    #[track_caller]
    pub fn err_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "{}: stderr lacks {text:?}:\n{}", self.command, self.stderr);
        self
    }

    /// Asserts stdout contains `text`.
    #[track_caller]
    pub fn out_has(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "{}: stdout lacks {text:?}:\n{}", self.command, self.stdout);
        self
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}):\n{}", self.command, self.stdout))
    }
}

impl Sandbox {
    /// A new empty scratch directory.
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temporary directory") }
    }

    /// A path inside the sandbox.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The sandbox directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Reads a file.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// Reads a text file.
    pub fn read_text(&self, name: &str) -> String {
        String::from_utf8(self.read(name)).expect("UTF-8")
    }

    /// Runs `signet ARGS` in the sandbox with no SIGNET_* variables inherited.
    pub fn signet(&self, args: &[&str]) -> Run {
        self.signet_env(args, &[])
    }

    /// Runs `signet ARGS` with extra environment variables.
    pub fn signet_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.signet_at(self.dir(), args, env)
    }

    /// Runs `signet ARGS` in the directory `cwd` (inside the sandbox) with extra environment
    /// variables.
    pub fn signet_at(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_signet"));
        command.args(args).current_dir(cwd).stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("SIGNET_") {
                command.env_remove(key);
            }
        }
        // The per-user default data directory `signet serve` records stays inside the sandbox.
        command.env("XDG_CONFIG_HOME", user_config_home(self.dir()));
        for (key, value) in env {
            command.env(key, value);
        }
        run(command, &format!("signet {}", args.join(" ")))
    }

    /// Runs `signet ARGS` like [`Sandbox::signet_env`], but kills it and fails the test if it
    /// has not ended within `limit` (for inputs that could make a careless reader block).
    pub fn signet_bounded(&self, args: &[&str], env: &[(&str, &str)], limit: std::time::Duration) -> Run {
        let shown = format!("signet {}", args.join(" "));
        let (out, err) = (self.path(".bounded.out"), self.path(".bounded.err"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_signet"));
        command
            .args(args)
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SIGNET_") {
                command.env_remove(key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for signet") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{shown} was still running after {limit:?}: it blocked on its input");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let read = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
        Run { command: shown, code: status.code().unwrap_or(-1), stdout: read(&out), stderr: read(&err) }
    }

    /// Runs openssl in the sandbox.
    pub fn openssl(&self, args: &[&str]) -> Run {
        let mut command = Command::new(tool("openssl"));
        command.args(args).current_dir(self.dir()).stdin(Stdio::null());
        run(command, &format!("openssl {}", args.join(" ")))
    }

    /// Has openssl make a self-signed EC CA: STEM.key and STEM.pem, with `-addext` values `exts`.
    pub fn openssl_root(&self, stem: &str, curve: &str, subject: &str, days: u32, exts: &[&str]) -> Run {
        let (key, pem, days, curve) =
            (format!("{stem}.key"), format!("{stem}.pem"), days.to_string(), format!("ec_paramgen_curve:{curve}"));
        let mut args = vec![
            "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", &curve, "-nodes", "-keyout", &key, "-out", &pem,
            "-days", &days, "-subj", subject,
        ];
        for ext in exts {
            args.extend(["-addext", ext]);
        }
        self.openssl(&args)
    }

    /// Has openssl's CA STEM (STEM.pem, STEM.key) sign the CSR file `csr` into `out`, with the
    /// extension lines `extensions`.
    pub fn openssl_sign(&self, csr: &str, ca: &str, extensions: &str, days: u32, out: &str) -> Run {
        let ext_file = format!("{out}.ext");
        self.write(&ext_file, extensions);
        let (ca_pem, ca_key, days) = (format!("{ca}.pem"), format!("{ca}.key"), days.to_string());
        self.openssl(&[
            "x509", "-req", "-in", csr, "-CA", &ca_pem, "-CAkey", &ca_key, "-days", &days, "-extfile", &ext_file,
            "-out", out,
        ])
    }

    /// Runs a shell command line as a user would type it, in `cwd`: `signet` on PATH, no SIGNET_*
    /// variables inherited, the sandbox's per-user configuration directory.
    pub fn user_shell(&self, cwd: &Path, line: &str) -> Run {
        let bin = Path::new(env!("CARGO_BIN_EXE_signet")).parent().expect("binary directory").to_path_buf();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&path))).unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", line]).current_dir(cwd).stdin(Stdio::null()).env("PATH", path);
        for (key, _) in std::env::vars() {
            if key.starts_with("SIGNET_") {
                command.env_remove(key);
            }
        }
        command.env("XDG_CONFIG_HOME", user_config_home(self.dir()));
        run(command, line)
    }

    /// Runs a shell command in the sandbox (for pipelines in fixtures).
    pub fn sh(&self, script: &str) -> Run {
        let mut command = Command::new("sh");
        command.args(["-c", script]).current_dir(self.dir()).stdin(Stdio::null());
        run(command, script)
    }
}

/// The per-user configuration directory (`XDG_CONFIG_HOME`) every signet process of the sandbox
/// `dir` gets, so no test reads or writes the real user's `~/.config/signet`.
pub fn user_config_home(dir: &Path) -> PathBuf {
    dir.join("user-config")
}

fn run(mut command: Command, shown: &str) -> Run {
    let output = command.output().unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    Run {
        command: shown.to_string(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Finds an outside tool: `$SIGNET_TOOLS_DIR/NAME`, then PATH. Fails with instructions.
pub fn tool(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("SIGNET_TOOLS_DIR") {
        let candidate = Path::new(&dir).join(name);
        if candidate.exists() {
            return candidate;
        }
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin").join(name);
    if venv.exists() {
        return venv;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "the test needs `{name}`, which is not installed: run ./scripts/test.sh, which installs every tool the tests use"
    );
}

/// Waits (up to a minute) until `check` holds, for what signet does in the background
/// (publishing CRLs, signing OCSP responses).
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}
