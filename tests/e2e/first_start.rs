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
    at(&["config", "check"]).ok().out_has(&format!("127.0.0.1:{}", server.port));
    at(&["ca", "list"]).ok().out_has("dev-issuing");
    at(&["csr", "new", "--new-key", "ec-p256", "--key-out", "www.key", "--cn", "www.example.com", "--out", "www.csr"])
        .ok();
    at(&["request", "submit", "--csr", "www.csr", "--profile", "test", "--out", "www.crt"]).ok();
    assert!(elsewhere.join("www.crt").exists());
    at(&["search", "--name", "www.example.com"]).ok().out_has("www.example.com");

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
