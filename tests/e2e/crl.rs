//! CRLs end to end: published at the distribution points certificates name, full and
//! partitioned; `openssl verify -crl_check` passes before a revocation and fails after;
//! `openssl crl` and pkilint's `lint_crl` read every CRL; caching headers; a hold released;
//! two front ends on one PostgreSQL revoking at once.

use crate::revocation::serial_of;
use crate::server::{Backend, Response, Server, make_csr, path_str};
use crate::support::{Sandbox, tool, wait_for};

/// A first start, then `[crl]` set to publish within two seconds of a revocation, with
/// dev-issuing partitioned four ways; restarted.
fn fast_crls(sb: &Sandbox, backend: Backend) -> Server {
    let mut server = Server::start(sb, backend);
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replacen("publish_after_revocation_seconds = 60", "publish_after_revocation_seconds = 2", 1)
        .replacen("# shards = { dev-issuing = 16 }", "shards = { dev-issuing = 4 }", 1);
    std::fs::write(&config, text).unwrap();
    server.restart();
    server
}

/// The CRL at `path`, written to `file` in the sandbox.
fn fetch(server: &Server, sb: &Sandbox, path: &str, file: &str) -> Response {
    let response = server.request("GET", path, None, &[], b"");
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    sb.write(file, &response.body);
    response
}

fn crl_number(sb: &Sandbox, file: &str) -> u64 {
    let out = sb.openssl(&["crl", "-inform", "DER", "-in", file, "-noout", "-crlnumber"]).ok().stdout;
    let hex = out.trim().trim_start_matches("crlNumber=0x").trim_start_matches("crlNumber=");
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("CRL number {out:?}"))
}

fn lint_crl(sb: &Sandbox, file: &str, profile: &str) {
    let out = sb.sh(&format!("{} lint -t CRL -p {profile} -s ERROR {file}", tool("lint_crl").display()));
    assert_eq!(out.code, 0, "pkilint lint_crl -p {profile} {file}:\n{}{}", out.stdout, out.stderr);
}

#[test]
fn crls_follow_revocations_for_openssl_and_pkilint() {
    let sb = Sandbox::new();
    let server = fast_crls(&sb, Backend::Sqlite);
    let root = server.ca_file("dev-root");
    let issuing = server.ca_file("dev-issuing");
    let test_root = server.ca_file("test-root");
    // A server certificate from the partitioned dev-issuing, a test one from test-root.
    make_csr(&sb, "www", "ec-p256", "crl-www.example.com", &[]);
    let id =
        server.cli(&sb, &["request", "submit", "--csr", "www.csr", "--profile", "server", "--json"]).ok().json()["id"]
            .to_string();
    server.cli(&sb, &["queue", "approve", &id]).ok();
    server.cli(&sb, &["request", "get", &id, "--out", "www.pem", "--format", "pem"]).ok();
    make_csr(&sb, "t", "ec-p256", "crl-test.example.com", &[]);
    server.cli(&sb, &["request", "submit", "--csr", "t.csr", "--profile", "test", "--out", "t.pem"]).ok();
    let www_serial = serial_of(&sb, "www.pem");
    let info = sb.signet(&["inspect", "www.pem", "--json"]).ok().json();
    let cdp = info["objects"][0]["crl_urls"][0].as_str().unwrap().to_string();
    // Certificates name the plain-HTTP listener, where relying parties fetch CRLs without TLS.
    let shard_path = cdp.trim_start_matches(&server.http_url()).to_string();
    assert!(shard_path.starts_with("/crl/dev-issuing/") && shard_path.ends_with(".crl"), "{cdp}");
    wait_for("the first CRLs", || server.request("GET", &shard_path, None, &[], b"").status == 200);

    // Before: openssl finds nothing revoked, with the partition and with the full CRL.
    fetch(&server, &sb, &shard_path, "shard-before.crl");
    let verify = |crl: &str, cert: &str| {
        sb.openssl(&[
            "verify",
            "-crl_check",
            "-CAfile",
            path_str(&root),
            "-untrusted",
            path_str(&issuing),
            "-CRLfile",
            crl,
            cert,
        ])
    };
    sb.openssl(&["crl", "-inform", "DER", "-in", "shard-before.crl", "-out", "shard-before.pem"]).ok();
    verify("shard-before.pem", "www.pem").ok().out_has("OK");
    let got = sb
        .signet(&[
            "crl",
            "get",
            "--ca",
            "test-root",
            "--out",
            "t-before.crl",
            "--pem",
            "--server",
            &server.url(),
            "--json",
        ])
        .ok()
        .json();
    assert_eq!((got["revoked_count"].as_u64(), got["status"].as_str()), (Some(0), Some("current")), "{got}");
    sb.openssl(&["verify", "-crl_check", "-CAfile", path_str(&test_root), "-CRLfile", "t-before.crl", "t.pem"]).ok();
    let before = crl_number(&sb, "shard-before.crl");

    // Revoke both; within the interval the CRLs carry them and openssl refuses the certificates.
    server
        .cli(&sb, &["revoke", &www_serial, "--reason", "keyCompromise", "--invalidity-date", "2026-01-01T00:00:00Z"])
        .ok();
    server.cli(&sb, &["revoke", &serial_of(&sb, "t.pem"), "--reason", "superseded"]).ok();
    wait_for("the partition's CRL to carry the revocation", || {
        fetch(&server, &sb, &shard_path, "shard.crl");
        crl_number(&sb, "shard.crl") > before
    });
    sb.openssl(&["crl", "-inform", "DER", "-in", "shard.crl", "-out", "shard.pem"]).ok();
    verify("shard.pem", "www.pem").code(2).err_has("certificate revoked");
    let text = sb.openssl(&["crl", "-inform", "DER", "-in", "shard.crl", "-noout", "-text"]).ok().stdout;
    assert!(text.contains(&www_serial.to_uppercase()) && text.contains("Key Compromise"), "{text}");
    assert!(text.contains("Invalidity Date") && text.contains("Issuing Distribution Point"), "{text}");
    sb.openssl(&["crl", "-inform", "DER", "-in", "shard.crl", "-noout", "-CAfile", path_str(&issuing)]).ok();
    wait_for("the full CRL to carry it too", || {
        fetch(&server, &sb, "/crl/dev-issuing.crl", "full.crl");
        sb.openssl(&["crl", "-inform", "DER", "-in", "full.crl", "-noout", "-text"])
            .stdout
            .contains(&www_serial.to_uppercase())
    });
    sb.openssl(&["crl", "-inform", "DER", "-in", "full.crl", "-out", "full.pem"]).ok();
    verify("full.pem", "www.pem").code(2).err_has("certificate revoked");
    wait_for("test-root's CRL", || {
        sb.signet(&["crl", "get", "--ca", "test-root", "--out", "t.crl", "--force", "--server", &server.url()]).ok();
        sb.openssl(&["crl", "-inform", "DER", "-in", "t.crl", "-noout", "-text"]).stdout.contains("Superseded")
    });
    sb.openssl(&["crl", "-inform", "DER", "-in", "t.crl", "-out", "t-after.pem"]).ok();
    sb.openssl(&["verify", "-crl_check", "-CAfile", path_str(&test_root), "-CRLfile", "t-after.pem", "t.pem"])
        .code(2)
        .err_has("certificate revoked");
    // pkilint: BR profile for each kind of CRL; the full and the partition of dev-issuing.
    for file in ["shard.crl", "full.crl", "t.crl"] {
        lint_crl(&sb, file, "BR");
    }
    // openssl reads every partition, each naming its own URL and verifying under dev-issuing.
    for n in 0..4 {
        let file = format!("part{n}.crl");
        fetch(&server, &sb, &format!("/crl/dev-issuing/{n}.crl"), &file);
        let text = sb.openssl(&["crl", "-inform", "DER", "-in", &file, "-noout", "-text"]).ok().stdout;
        assert!(text.contains(&format!("/crl/dev-issuing/{n}.crl")), "{text}");
        sb.openssl(&["crl", "-inform", "DER", "-in", &file, "-noout", "-CAfile", path_str(&issuing)]).ok();
    }
    // inspect and crl inspect name the partition, number and entries.
    let described = sb.signet(&["crl", "inspect", "shard.crl", "--json"]).ok().json();
    assert_eq!(described["revoked_count"], 1);
    assert_eq!(
        described["shard"].as_u64(),
        shard_path.trim_start_matches("/crl/dev-issuing/").trim_end_matches(".crl").parse::<u64>().ok()
    );
    assert_eq!(described["revoked"][0]["invalidity_date"], "2026-01-01T00:00:00Z");
    // The reason reads back in the spelling `signet revoke --reason` and `search --reason` take.
    let reason = described["revoked"][0]["reason"].as_str().unwrap();
    assert_eq!(reason, "keyCompromise");
    let found = server.cli(&sb, &["search", "--reason", reason, "--json"]).ok().json();
    assert_eq!(found[0]["certificate"]["serial"].as_str(), Some(www_serial.as_str()), "{found}");
    sb.signet(&["inspect", "full.crl"]).ok().out_has("scope:").out_has("full").out_has("entries:");

    // Caching: the ETag answers a conditional request with 304; caches keep it 2 seconds.
    let response = server.request("GET", "/crl/dev-issuing.crl", None, &[], b"");
    assert_eq!(response.header("content-type"), Some("application/pkix-crl"));
    assert!(response.header("last-modified").unwrap().ends_with(" GMT"));
    assert!(response.header("cache-control").unwrap().contains("max-age="), "{:?}", response.headers);
    let etag = response.header("etag").unwrap().to_string();
    let again = server.request("GET", "/crl/dev-issuing.crl", None, &[("if-none-match", &etag)], b"");
    assert_eq!((again.status, again.body.len()), (304, 0));
    for (missing, says) in [
        ("/crl/nope.crl", "(CAs: dev-issuing, dev-root, test-root)"),
        ("/crl/dev-issuing/x.crl", "not a partition number"),
        ("/crl/dev-issuing/99.crl", "its partitions are 0 to 3"),
        ("/crl/test-root/0.crl", "is not partitioned: its CRL is /crl/test-root.crl"),
        ("/crl/dev-issuing", "no such CRL"),
    ] {
        let answer = server.request("GET", missing, None, &[], b"");
        assert_eq!(answer.status, 404, "{missing}: {}", answer.text());
        assert!(answer.text().contains(says), "{missing}: {}", answer.text());
    }
    // Another method: 405 with Allow, a problem document as everywhere else.
    let post = server.request("POST", "/crl/dev-issuing.crl", None, &[], b"");
    assert_eq!((post.status, post.header("allow")), (405, Some("GET,HEAD")), "{:?}", post.headers);
    assert!(post.text().contains("method-not-allowed"), "{}", post.text());
    // `crl get` says what is wrong with the CRL asked for, and of the URL given, not the server.
    let url = server.url();
    let get = |args: &[&str]| {
        let mut all = vec!["crl", "get", "--out", "x.crl", "--server", &url];
        all.extend_from_slice(args);
        sb.signet(&all)
    };
    get(&["--ca", "test-root", "--shard", "2"]).code(2).err_has("without --shard");
    get(&["--url", "dev-issuing.crl"]).code(2).err_has("is not an http:// or https:// URL");
    get(&["--url", "http://127.0.0.1:9/x.crl"]).code(3).err_has("cannot reach http://127.0.0.1:9/x.crl: ");
    let wrong = format!("{}/crl/nope.crl", server.http_url());
    get(&["--url", &wrong]).code(2).err_has(&format!("{wrong} answered 404 Not Found: there is no CA named"));

    // A hold shows in the CRL (PKIX profile: BR forbids holds) and goes when released.
    make_csr(&sb, "h", "ec-p256", "crl-hold.example.com", &[]);
    server.cli(&sb, &["request", "submit", "--csr", "h.csr", "--profile", "test", "--out", "h.pem"]).ok();
    let held = serial_of(&sb, "h.pem");
    server.cli(&sb, &["revoke", &held, "--reason", "certificateHold"]).ok();
    wait_for("the hold in test-root's CRL", || {
        sb.signet(&["crl", "get", "--ca", "test-root", "--out", "h.crl", "--force", "--server", &server.url()]).ok();
        sb.openssl(&["crl", "-inform", "DER", "-in", "h.crl", "-noout", "-text"]).stdout.contains("Certificate Hold")
    });
    lint_crl(&sb, "h.crl", "PKIX");
    server.cli(&sb, &["unrevoke", &held]).ok();
    wait_for("the released hold to leave the CRL", || {
        sb.signet(&["crl", "get", "--ca", "test-root", "--out", "h.crl", "--force", "--server", &server.url()]).ok();
        !sb.openssl(&["crl", "-inform", "DER", "-in", "h.crl", "-noout", "-text"]).stdout.contains("Certificate Hold")
    });
    sb.openssl(&["crl", "-inform", "DER", "-in", "h.crl", "-out", "h.pem.crl"]).ok();
    sb.openssl(&["verify", "-crl_check", "-CAfile", path_str(&test_root), "-CRLfile", "h.pem.crl", "h.pem"]).ok();

    // /healthz and `signet ca status` show every CRL current.
    let health = server.request("GET", "/healthz", None, &[], b"").json();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["crls"].as_array().unwrap().len(), 3 + 4);
    let status = server.admin(&sb, &["ca", "status", "--json"]).ok().json();
    assert_eq!(status["problems"], 0, "{status}");
    // The running server holds the publishing lease: `crl publish` beside it publishes nothing.
    server.admin(&sb, &["crl", "publish", "--force"]).code(1).err_has("holds the publishing lease");
}

#[test]
fn two_front_ends_on_postgres_revoke_at_once_and_publish_one_crl_sequence() {
    let sb = Sandbox::new();
    let first = fast_crls(&sb, Backend::Postgres);
    let second = first.another(&sb, "second");
    let manager = first.manager_token(&sb);
    // Twenty test certificates, revoked ten on each front end at once.
    let mut serials = Vec::new();
    for n in 0..20 {
        let stem = format!("c{n}");
        make_csr(&sb, &stem, "ec-p256", &format!("pg-crl-{n}.example.com"), &[]);
        let pem = format!("{stem}.pem");
        first
            .cli(&sb, &["request", "submit", "--csr", &format!("{stem}.csr"), "--profile", "test", "--out", &pem])
            .ok();
        serials.push(serial_of(&sb, &pem));
    }
    let json = [("content-type", "application/json")];
    std::thread::scope(|scope| {
        for (n, serial) in serials.iter().enumerate() {
            let server = if n % 2 == 0 { &first } else { &second };
            let manager = &manager;
            scope.spawn(move || {
                let path = format!("/api/v1/certificates/test-root/{serial}/revoke");
                let answer = server.request("POST", &path, Some(manager), &json, br#"{"reason": "keyCompromise"}"#);
                assert_eq!(answer.status, 200, "{}", answer.text());
            });
        }
    });
    // Both front ends serve one CRL holding all twenty, once the publisher has caught up.
    let mut numbers = Vec::new();
    wait_for("every revocation in test-root's CRL, on both front ends", || {
        let crls: Vec<Response> =
            [&first, &second].iter().map(|s| s.request("GET", "/crl/test-root.crl", None, &[], b"")).collect();
        for (i, crl) in crls.iter().enumerate() {
            sb.write(&format!("pg{i}.crl"), &crl.body);
            numbers.push(crl_number(&sb, &format!("pg{i}.crl")));
        }
        let text = sb.openssl(&["crl", "-inform", "DER", "-in", "pg0.crl", "-noout", "-text"]).stdout;
        crls[0].body == crls[1].body && serials.iter().all(|s| text.contains(&s.to_uppercase()))
    });
    lint_crl(&sb, "pg0.crl", "BR");
    // OCSP answers agree on both front ends: every one of them revoked, for keyCompromise.
    let test_root = first.ca_file("test-root");
    for n in [0, 7, 19] {
        for front_end in [&first, &second] {
            let url = format!("{}/ocsp", front_end.url());
            let args = [
                "ocsp",
                "-issuer",
                path_str(&test_root),
                "-cert",
                &format!("c{n}.pem"),
                "-url",
                &url,
                "-CAfile",
                path_str(&test_root),
                "-no_nonce",
            ];
            wait_for("OCSP to show the revocation", || sb.openssl(&args).stdout.contains(": revoked"));
            sb.openssl(&args).ok().out_has("Reason: keyCompromise").err_has("Response verify OK");
        }
    }
    // Numbers each front end served never went down, and one front end made them all.
    for front_end in 0..2 {
        let seen: Vec<u64> = numbers.iter().skip(front_end).step_by(2).copied().collect();
        assert!(seen.windows(2).all(|w| w[1] >= w[0]), "front end {front_end}: {seen:?}");
    }
    let published: Vec<u64> = [&first, &second]
        .iter()
        .map(|s| {
            let metrics = s.request("GET", "/metrics", None, &[], b"").text();
            metrics
                .lines()
                .find_map(|l| l.strip_prefix("signet_crls_published_total "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap()
        })
        .collect();
    assert!(published.iter().filter(|n| **n > 0).count() == 1, "one publisher at a time: {published:?}");
    // The audit log holds every publication, numbers strictly increasing per CA.
    let audit =
        first.admin(&sb, &["audit", "list", "--action", "crl.publish", "--limit", "1000", "--json"]).ok().json();
    let mut by_ca: std::collections::HashMap<String, Vec<u64>> = Default::default();
    for entry in audit.as_array().unwrap() {
        let details = &entry["details"];
        by_ca
            .entry(entry["target"].as_str().unwrap().into())
            .or_default()
            .push(details["number"].as_str().unwrap().parse().unwrap());
    }
    for (ca, numbers) in &by_ca {
        assert!(numbers.windows(2).all(|w| w[1] > w[0]), "{ca}: {numbers:?}");
    }
}
