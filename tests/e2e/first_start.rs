//! The first hour (issue 11): commands find the CA `signet serve` made from any directory, the
//! server's URL and the admin token from its data directory, and say every place they looked
//! when they cannot; nothing creates a second CA by accident.

use crate::server::Server;
use crate::support::{Sandbox, user_config_home};

#[test]
fn commands_find_the_ca_from_any_directory() {
    let sb = Sandbox::new();
    let server = Server::start_in(&sb, "clone");
    let elsewhere = sb.path("project");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let at = |args: &[&str]| sb.signet_at(&elsewhere, args, &[]);

    // The per-user record names the CA made in ./signet-data of the directory serve ran in.
    let record = std::fs::read_to_string(user_config_home(sb.dir()).join("signet/data-dir")).unwrap();
    assert!(record.lines().any(|l| l == server.data.to_str().unwrap()), "{record}");

    // Local administration and client commands work from elsewhere, with the server URL from
    // signet.toml (not the 8443 default: the test server listens on a free port).
    at(&["config", "check"])
        .ok()
        .out_has(&format!("127.0.0.1:{}", server.port))
        .out_has("  profile client: client certificates from dev-issuing, 365 days, approved by a Certificate Manager")
        .out_has("  profile test: server certificates from test-root, 21 days, issued at once")
        .out_has("  weak-key lists: ")
        .out_has("  CRLs:         valid 168 h, made again every 24 h and within 60 s of a revocation")
        .out_has("  ACME:         profiles acme, shortlived (default acme); validation to ports 80 (http-01)");
    // An EAB key on a CA that does not require one says so, and how to require it.
    at(&["acme", "eab", "create", "--name", "web-team"])
        .ok()
        .out_has(&format!("certbot --server https://127.0.0.1:{}/acme/directory --eab-kid ", server.port))
        .err_has("eab_required is false in signet.toml");
    // What an edit of [acme] or [crl] changed, readable by a script too.
    let config = at(&["config", "check", "--json"]).ok().json();
    assert_eq!(config["listen"], format!("127.0.0.1:{}", server.port));
    assert_eq!(
        (config["acme"]["http01_port"].as_u64(), config["acme"]["eab_required"].as_bool()),
        (Some(80), Some(false))
    );
    assert_eq!(config["crl"]["validity_hours"], 168);
    assert!(
        config["profiles"].as_array().unwrap().iter().any(|p| p["name"] == "shortlived" && p["validity_days"] == 7)
    );
    // `ca init --help` states one default for the key algorithm.
    let help = at(&["ca", "init", "--help"]).ok().stdout.clone();
    assert!(help.contains("[default: ec-p384]") && !help.contains("(default)"), "{help}");
    at(&["ca", "list"]).ok().out_has("dev-issuing");
    at(&["csr", "new", "--new-key", "ec-p256", "--key-out", "www.key", "--cn", "www.example.com", "--out", "www.csr"])
        .ok();
    at(&["request", "submit", "--csr", "www.csr", "--profile", "test", "--out", "www.crt"]).ok();
    assert!(elsewhere.join("www.crt").exists());
    at(&["search", "--name", "www.example.com"]).ok().out_has("www.example.com");
    // Verified against other roots (here dev-root only), it says which --roots trusts it.
    let other_roots = server.data.join("cas/dev-root.pem");
    let roots = server.data.join("cas/test-root.pem");
    sb.signet_at(&elsewhere, &["verify", "www.crt"], &[("SSL_CERT_FILE", other_roots.to_str().unwrap())])
        .code(1)
        .out_has("PROBLEM [")
        .err_has(&format!("to trust it, give --roots {}", roots.display()));

    // A first start on a port already taken makes no CA.
    let second = sb.path("second");
    let taken = format!("127.0.0.1:{}", server.port);
    sb.signet(&["serve", "--data", second.to_str().unwrap(), "--listen", &taken])
        .code(3)
        .err_has(&format!("cannot listen on {taken}"))
        .err_has("no CA was created");
    assert!(!second.join("signet.toml").exists(), "a CA was made in {}", second.display());

    // SIGNET_DATA and --data pointing elsewhere are named, not silently replaced by the default.
    let empty = sb.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    sb.signet_at(&elsewhere, &["ca", "list"], &[("SIGNET_DATA", empty.to_str().unwrap())])
        .code(2)
        .err_has("(from $SIGNET_DATA) has no signet.toml");
    at(&["queue", "list", "--data", empty.to_str().unwrap()]).code(2).err_has("(from --data) has no signet.toml");

    // Without the record, every place looked at is listed, and no CA is created.
    std::fs::remove_file(user_config_home(sb.dir()).join("signet/data-dir")).unwrap();
    let lost = at(&["audit", "verify"]);
    lost.code(2)
        .err_has("no signet data directory found")
        .err_has("--data (not given)")
        .err_has("$SIGNET_DATA (not set)")
        .err_has(&format!("{}/signet-data (no such directory)", elsewhere.display()))
        .err_has("signet/data-dir (no such file");
    assert!(!lost.stderr.contains("signet serve --data"), "no advice that makes a second CA: {}", lost.stderr);
    at(&["queue", "list"]).code(2).err_has("no server to talk to").err_has("--server URL");
    assert!(!elsewhere.join("signet-data").exists(), "nothing created");
}

#[test]
fn serve_in_another_directory_serves_the_recorded_ca_instead_of_making_a_second() {
    let sb = Sandbox::new();
    let mut first = Server::start_in(&sb, "clone");
    first.stop();
    let mut second = Server::start_in(&sb, "elsewhere");
    second.stop();
    assert!(!sb.path("elsewhere/signet-data").exists(), "no second CA: {}", second.log_text());
    let log = second.log_text();
    assert!(log.contains("serving the CA in") && log.contains("clone/signet-data"), "{log}");
}

/// The first start says where the roots are with their fingerprints, how to verify against them
/// (the printed `openssl verify` line works as printed) and trust them, and how to make the other
/// roles' tokens; the admin token it made is a CA Administrator only.
#[test]
fn the_first_start_shows_the_roots_and_the_admin_token_is_only_an_administrator() {
    let sb = Sandbox::new();
    let server = Server::start_in(&sb, "clone");
    let log = server.log_text();
    for needle in [
        "Root certificates",
        "update-ca-certificates",
        "security add-trusted-cert",
        "certutil -addstore",
        "signet verify www.crt --roots",
        "--role certificate-manager",
        "--role auditor",
    ] {
        assert!(log.contains(needle), "start-up text lacks {needle:?}:\n{log}");
    }
    // The fingerprint printed is openssl's.
    let root = server.ca_file("dev-root");
    let openssl = sb.openssl(&["x509", "-in", root.to_str().unwrap(), "-noout", "-fingerprint", "-sha256"]).ok();
    let fingerprint = openssl.stdout.trim().rsplit('=').next().unwrap().to_string();
    assert!(log.contains(&format!("SHA-256 {fingerprint}")), "{fingerprint} not in:\n{log}");

    // The admin token cannot approve, and the CLI says which token to make.
    let work = sb.path("clone");
    let at = |args: &[&str]| sb.signet_at(&work, args, &[]);
    at(&["csr", "new", "--new-key", "ec-p256", "--key-out", "www.key", "--cn", "www.example.com", "--out", "www.csr"])
        .ok();
    let submitted = at(&["request", "submit", "--csr", "www.csr", "--profile", "server", "--json"]).ok().json();
    let id = submitted["id"].to_string();
    at(&["queue", "approve", &id]).code(2).err_has("403").err_has("--role certificate-manager");
    // The commands the start-up text shows make a manager who can.
    at(&["token", "create", "--name", "manager", "--role", "certificate-manager", "--out", "manager.token"]).ok();
    at(&["queue", "approve", &id, "--token-file", "manager.token"]).ok().out_has("ISSUED");
    at(&["request", "get", &id, "--out", "www.crt"]).ok();
    // --force replaces a certificate, never the key beside it.
    let key = std::fs::read(work.join("www.key")).unwrap();
    at(&["request", "get", &id, "--out", "www.key", "--force"]).code(2).err_has("holds a private key");
    assert_eq!(std::fs::read(work.join("www.key")).unwrap(), key);
    // The printed `openssl verify` line verifies the certificate as printed.
    let verify = log.lines().map(str::trim).find(|l| l.starts_with("openssl verify -CAfile")).unwrap();
    sb.sh(&format!(
        "cd {} && {}",
        work.display(),
        verify.replacen("openssl", crate::support::tool("openssl").to_str().unwrap(), 1)
    ))
    .ok()
    .out_has("www.crt: OK");
}
