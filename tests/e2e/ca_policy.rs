//! Roles on every action, bad HTTP input (never a 500), and pkilint on what every shipped profile
//! issues.

use crate::server::{Backend, Server, make_csr, submit_body};
use crate::support::{Sandbox, tool};

fn token(server: &Server, sb: &Sandbox, name: &str, role: &str) -> String {
    let file = format!("{name}.token");
    server.admin(sb, &["token", "create", "--name", name, "--role", role, "--out", &file]).ok();
    sb.read_text(&file).trim().to_string()
}

#[test]
fn role_by_action_matrix() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let csr = make_csr(&sb, "r", "ec-p256", "www.example.com", &[]);
    let roles = ["ca-administrator", "certificate-manager", "auditor", "backup-operator", "enrollee"];
    let tokens: Vec<(String, String)> =
        roles.iter().map(|r| (r.to_string(), token(&server, &sb, &format!("id-{r}"), r))).collect();
    let admin = server.admin_token();
    // One pending request made by someone else, for the per-request actions.
    let pending = server.submit(&admin, "server", &csr).json();
    let id = pending["id"].to_string();
    // (method, path, body, roles allowed)
    let deny_body = br#"{"reason":"matrix"}"#.to_vec();
    let token_body = br#"{"name":"made-by-matrix","roles":["enrollee"]}"#.to_vec();
    let actions: Vec<(&str, String, Vec<u8>, &[&str])> = vec![
        (
            "POST",
            "/api/v1/requests".into(),
            submit_body("server", &csr),
            &["ca-administrator", "certificate-manager", "enrollee"],
        ),
        ("GET", "/api/v1/queue".into(), vec![], &["certificate-manager"]),
        ("GET", format!("/api/v1/requests/{id}"), vec![], &["ca-administrator", "certificate-manager", "auditor"]),
        ("GET", "/api/v1/search?name=example".into(), vec![], &["ca-administrator", "certificate-manager", "auditor"]),
        ("POST", "/api/v1/tokens".into(), token_body, &["ca-administrator"]),
        ("GET", "/api/v1/audit/verify".into(), vec![], &["auditor"]),
        ("GET", "/api/v1/audit?limit=5".into(), vec![], &["auditor"]),
        ("POST", format!("/api/v1/requests/{id}/deny"), deny_body, &["certificate-manager"]),
    ];
    for (method, path, body, allowed) in &actions {
        for (role, token) in &tokens {
            let response = server.request(method, path, Some(token), &[("content-type", "application/json")], body);
            let permitted = allowed.contains(&role.as_str());
            if permitted {
                assert!(response.status < 400, "{role} {method} {path}: {} {}", response.status, response.text());
            } else {
                // Reading another identity's request answers 404 (no existence oracle); all else 403.
                let expected = if path.starts_with("/api/v1/requests/") && *method == "GET" { 404 } else { 403 };
                assert_eq!(response.status, expected, "{role} {method} {path}: {}", response.text());
                assert_eq!(response.header("content-type"), Some("application/problem+json"));
            }
        }
    }
    // Approve: a fresh pending request per attempt; only the manager succeeds.
    for (role, token) in &tokens {
        let fresh = server.submit(&admin, "server", &csr).json();
        let response =
            server.request("POST", &format!("/api/v1/requests/{}/approve", fresh["id"]), Some(token), &[], b"");
        let expected = if role == "certificate-manager" { 200 } else { 403 };
        assert_eq!(response.status, expected, "{role} approve: {}", response.text());
    }
    // No token, or a wrong one: 401 with a challenge.
    let anonymous = server.request("GET", "/api/v1/queue", None, &[], b"");
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer realm=\"signet\""));
    assert_eq!(server.request("GET", "/api/v1/queue", Some("sgt_forged"), &[], b"").status, 401);
    // An enrollee reads its own request but not others'.
    let enrollee = &tokens[4].1;
    let own = server.submit(enrollee, "server", &csr).json();
    assert_eq!(server.request("GET", &format!("/api/v1/requests/{}", own["id"]), Some(enrollee), &[], b"").status, 200);
    // The subca profile is open to CA Administrators only.
    let sub = server.submit(enrollee, "subca", &csr);
    assert_eq!(sub.status, 403);
    assert!(sub.text().contains("may not enroll"));
}

#[test]
fn strict_role_separation_refuses_admin_managers() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("strict_role_separation = false", "strict_role_separation = true");
    std::fs::write(&config, text).unwrap();
    server.admin(&sb, &["token", "create", "--name", "carol", "--role", "ca-administrator", "--out", "c1.token"]).ok();
    server
        .admin(&sb, &["token", "create", "--name", "carol", "--role", "certificate-manager", "--out", "c2.token"])
        .code(2)
        .err_has("strict role separation");
}

/// Strict role separation holds for identities whose roles were given before it was turned on:
/// checked on every request, listed by `config check`, `token list` and `serve`, and fixed by
/// revoking a token. An administrator cannot give roles to itself; a manager deciding on their
/// own request without strict separation is flagged in the queue and audited as such.
#[test]
fn strict_role_separation_holds_for_tokens_made_before_it() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    let admin = server.admin_token();
    // Without strict separation: dave gets two separated roles, and a manager decides on their own request.
    server.admin(&sb, &["token", "create", "--name", "dave", "--role", "ca-administrator", "--out", "d1.token"]).ok();
    server.admin(&sb, &["token", "create", "--name", "dave", "--role", "auditor", "--out", "d2.token"]).ok();
    let manager = server.manager_token(&sb);
    let csr = make_csr(&sb, "own", "ec-p256", "own.example.com", &[]);
    let submitted = server.submit(&manager, "server", &csr).json();
    let id = submitted["id"].to_string();
    let queue = server.request("GET", "/api/v1/queue", Some(&manager), &[], b"").json();
    let mine = queue.as_array().unwrap().iter().find(|r| r["id"] == submitted["id"]).unwrap().clone();
    assert_eq!(mine["own_request"], true, "{mine}");
    let json = [("content-type", "application/json")];
    let approved = server.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&manager), &json, b"");
    assert_eq!(approved.status, 200, "{}", approved.text());
    let auditor = sb.read_text("d2.token").trim().to_string();
    let entries = server.request("GET", "/api/v1/audit?limit=1000", Some(&auditor), &[], b"").text();
    assert!(entries.contains("own_request"), "the self-approval is not on the record: {entries}");
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("strict_role_separation = false", "strict_role_separation = true");
    std::fs::write(&config, text).unwrap();
    server
        .admin(&sb, &["config", "check"])
        .code(1)
        .out_has("BROKEN")
        .err_has("dave holds ca-administrator and auditor");
    server.restart();
    assert!(server.log_text().contains("dave holds ca-administrator and auditor"), "{}", server.log_text());
    // Both of dave's tokens can do nothing, whatever the action.
    let dave_admin = sb.read_text("d1.token").trim().to_string();
    for (token, path) in [(&dave_admin, "/api/v1/search?name=x"), (&auditor, "/api/v1/audit")] {
        let refused = server.request("GET", path, Some(token), &[], b"");
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert!(refused.text().contains("strict role separation"), "{}", refused.text());
    }
    // The administrator may not give itself a role.
    let body = br#"{"name": "admin", "roles": ["enrollee"]}"#;
    let own = server.request("POST", "/api/v1/tokens", Some(&admin), &json, body);
    assert_eq!(own.status, 403, "{}", own.text());
    // Revoking the auditor token fixes dave.
    let list = server.admin(&sb, &["token", "list", "--json"]).ok().json();
    let extra = list.as_array().unwrap().iter().find(|t| t["name"] == "dave" && t["roles"][0] == "auditor").unwrap();
    let extra_id = extra["id"].to_string();
    server.admin(&sb, &["token", "revoke", &extra_id]).ok();
    server.admin(&sb, &["token", "revoke", &extra_id]).code(2).err_has("no live token");
    server.admin(&sb, &["config", "check"]).ok();
    let fixed = server.request("GET", "/api/v1/search?name=x", Some(&dave_admin), &[], b"");
    assert_eq!(fixed.status, 200, "{}", fixed.text());
}

/// A listed known-compromised key (the Debian CVE-2008-0166 list format) is refused at
/// submission; the list line is computed by openssl, independently of signet.
#[test]
fn listed_weak_keys_are_refused() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    let weak_csr = make_csr(&sb, "weak", "rsa-2048", "weak.example.com", &[]);
    let fine_csr = make_csr(&sb, "fine", "rsa-2048", "fine.example.com", &[]);
    let modulus = sb.openssl(&["rsa", "-in", "weak.key", "-noout", "-modulus"]).ok().stdout;
    sb.write("modulus.txt", &modulus);
    let digest = sb.openssl(&["dgst", "-sha1", "-r", "modulus.txt"]).ok().stdout;
    let list = sb.write("weak.list", format!("# test list\n{}\n", &digest[20..40]));
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[security]\n", &format!("[security]\nweak_key_files = [{:?}]\n", list.to_str().unwrap()));
    std::fs::write(&config, text).unwrap();
    server.admin(&sb, &["config", "check"]).ok().out_has("1 keys from 1 file(s)");
    server.restart();
    let admin = server.admin_token();
    let refused = server.submit(&admin, "test", &weak_csr);
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("known-compromised"), "{}", refused.text());
    let issued = server.submit(&admin, "test", &fine_csr);
    assert_eq!(issued.status, 201, "{}", issued.text());
    // A damaged list is an error naming its line, not a silently shorter list.
    server.stop();
    sb.write("weak.list", "0123\n");
    server.admin(&sb, &["config", "check"]).code(2).err_has("line 1");
}

#[test]
fn bad_http_input_gets_precise_4xx_never_500() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let admin = server.admin_token();
    let json = [("content-type", "application/json")];
    let post = |body: &[u8]| server.request("POST", "/api/v1/requests", Some(&admin), &json, body);
    let big = vec![b'a'; 10 * 1024 * 1024];
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (big, 413, "larger than"),
        (b"{not json".to_vec(), 400, "JSON body is invalid"),
        (br#"{"profile":"server"}"#.to_vec(), 400, "missing field `csr`"),
        (br#"{"profile":"server","csr":"x","extra":1}"#.to_vec(), 400, "unknown field"),
        (br#"{"profile":"nope","csr":"MIIB"}"#.to_vec(), 400, "cannot be read"),
    ];
    for (body, status, text) in cases {
        let response = post(&body);
        assert_eq!(response.status, status, "{}", response.text());
        assert!(response.text().contains(text), "{}", response.text());
        assert_eq!(response.header("content-type"), Some("application/problem+json"));
    }
    let csr = make_csr(&sb, "ok", "ec-p256", "www.example.com", &[]);
    let unknown = post(&submit_body("nope", &csr)).text();
    assert!(unknown.contains("available: acme, client, server, shortlived, subca, test"), "{unknown}");
    // A private key sent instead of a CSR is refused with a warning.
    let key = sb.read_text("ok.key");
    let response = post(&submit_body("server", &key));
    assert_eq!(response.status, 400);
    assert!(response.text().contains("never send your private key"));
    let cert_csr = sb.read_text("ok.csr").replace("CERTIFICATE REQUEST", "CERTIFICATE");
    assert!(post(&submit_body("server", &cert_csr)).text().contains("labelled CERTIFICATE"));
    // CSRs that parse but must not be certified: 422 with the reason.
    let corpus = |f: &str| {
        std::fs::read_to_string(format!("{}/../../tests/corpus/bad/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    for (file, text) in [
        ("csr-bad-signature.pem", "does not verify"),
        ("csr-md5.pem", "md5WithRSAEncryption"),
        ("csr-sha1.pem", "sha1WithRSAEncryption"),
    ] {
        let response = post(&submit_body("server", &corpus(file)));
        assert!(matches!(response.status, 400 | 422), "{file}: {}", response.text());
        assert!(response.text().contains(text), "{file}: {}", response.text());
    }
    sb.openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        "weak.key",
        "-out",
        "weak.csr",
        "-subj",
        "/CN=weak.example.com",
    ])
    .ok();
    let weak = post(&submit_body("server", &sb.read_text("weak.csr")));
    assert_eq!(weak.status, 422);
    assert!(weak.text().contains("1024 bits"), "{}", weak.text());
    let email = make_csr(&sb, "mail", "ec-p256", "www.example.com", &["email:a@example.com"]);
    let refused = post(&submit_body("server", &email));
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("does not issue email names"), "{}", refused.text());
    // Raw PKCS#10 upload works; bad paths and methods answer problems, not crashes.
    let raw = server.request(
        "POST",
        "/api/v1/requests?profile=test",
        Some(&admin),
        &[("content-type", "application/pkcs10")],
        sb.read_text("ok.csr").as_bytes(),
    );
    assert_eq!(raw.status, 201, "{}", raw.text());
    for (method, path, status) in [
        ("GET", "/api/v1/requests/abc", 404),
        ("GET", "/api/v1/requests/0", 404),
        ("GET", "/api/v1/requests/%FF", 404),
        ("GET", "/api/v1/cas/%FF/certificate", 404),
        ("GET", "/nope", 404),
        ("GET", "/api/v1/search?bogus=1", 400),
        // One spelling per request ID; limits refused past their bounds, not quietly cut.
        ("GET", "/api/v1/requests/01", 404),
        ("GET", "/api/v1/requests/+1", 404),
        ("GET", "/api/v1/requests/%201", 404),
        ("GET", "/api/v1/search?request_id=01", 400),
        ("GET", "/api/v1/search?limit=0", 400),
        ("GET", "/api/v1/search?limit=1001", 400),
        ("GET", "/api/v1/search?limit=+5", 400),
        ("DELETE", "/api/v1/requests", 405),
        ("GET", "/api/v1/requests/1/approve", 405),
    ] {
        let response = server.request(method, path, Some(&admin), &[], b"");
        assert_eq!(response.status, status, "{method} {path}: {}", response.text());
        assert_eq!(response.header("content-type"), Some("application/problem+json"), "{method} {path}");
    }
    let metrics = server.request("GET", "/metrics", None, &[], b"").text();
    assert!(metrics.contains("signet_requests_rejected_total"), "{metrics}");
}

/// pkilint's findings at ERROR and above (its exit code counts them).
fn pkilint_report(sb: &Sandbox, linter: &str, args: &[&str], file: &str) -> String {
    let mut command = std::process::Command::new(tool(linter));
    command.args(["lint"]).args(args).args(["-s", "ERROR", file]).current_dir(sb.dir());
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {linter}: {e}"));
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn pkilint(sb: &Sandbox, linter: &str, args: &[&str], file: &str) {
    let report = pkilint_report(sb, linter, args, file);
    assert!(report.trim().is_empty(), "{linter} {args:?} {file}:\n{report}");
}

/// pkilint on what every shipped profile issues, with a public `public_url` (pkilint refuses a
/// loopback one). The shipped profiles and development CAs are private, so they are linted
/// against RFC 5280 (and each issuer-subject pair against the chain linter); a publicly trusted
/// profile added the way docs/CONFIG.md says is linted against the CA/Browser Forum's rules.
#[test]
fn every_shipped_profile_passes_pkilint() {
    let sb = Sandbox::new();
    let mut server = Server::start_with(&sb, Backend::Sqlite, &["--public-url", "https://pki.example.com"]);
    server.stop();
    let config = server.data.join("signet.toml");
    let public = "\n[profiles.public]\nissuer = \"dev-issuing\"\nkind = \"server\"\napproval = \"auto\"\npolicies = [\"2.23.140.1.2.1\"]\n";
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}{public}")).unwrap();
    server.restart();
    let admin = server.admin_token();
    let manager = server.manager_token(&sb);
    let issue = |profile: &str, csr: &str, file: &str| {
        // The subordinate-CA profile takes requests from CA Administrators only.
        let requester = if profile == "subca" { &admin } else { &manager };
        let submitted = server.submit(requester, profile, csr).json();
        let id = submitted["id"].to_string();
        if submitted["state"] == "pending" {
            let approved = server.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&manager), &[], b"");
            assert_eq!(approved.status, 200, "{profile}: {}", approved.text());
        }
        let pem =
            server.request("GET", &format!("/api/v1/requests/{id}/certificate?chain=false"), Some(&manager), &[], b"");
        assert_eq!(pem.status, 200, "{profile}: {}", pem.text());
        sb.write(file, &pem.body);
    };
    issue(
        "server",
        &make_csr(&sb, "s-ec", "ec-p256", "www.example.com", &["example.com", "db.corp", "ip:10.0.0.5"]),
        "server-ec.pem",
    );
    issue("server", &make_csr(&sb, "s-rsa", "rsa-3072", "api.example.com", &[]), "server-rsa.pem");
    issue("test", &make_csr(&sb, "t", "ec-p384", "test.example.com", &[]), "test.pem");
    issue("client", &make_csr(&sb, "c", "ec-p256", "device1.example.com", &[]), "client.pem");
    issue("public", &make_csr(&sb, "p", "ec-p256", "www.example.com", &["example.com"]), "public.pem");
    sb.signet(&[
        "csr",
        "new",
        "--new-key",
        "ec-p384",
        "--key-out",
        "sub.key",
        "--cn",
        "Example Sub CA",
        "--org",
        "Example Ltd",
        "--country",
        "GB",
        "--out",
        "sub.csr",
    ])
    .ok();
    issue("subca", &sb.read_text("sub.csr"), "subca.pem");
    for name in ["dev-root", "test-root", "dev-issuing"] {
        std::fs::copy(server.ca_file(name), sb.path(&format!("{name}.pem"))).unwrap();
    }
    // The server's own HTTPS certificate (the first of its chain file).
    let chain = std::fs::read_to_string(server.data.join("tls/server.pem")).unwrap();
    let end = chain.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----\n".len();
    sb.write("https.pem", &chain[..end]);
    // pkilint reads a one-label dNSName as invalid, which RFC 1034's preferred syntax allows and
    // the server certificate must hold (clients reach the server as `localhost`): that finding,
    // and only that one, is expected of it.
    let report = pkilint_report(&sb, "lint_pkix_cert", &[], "https.pem");
    let findings: Vec<&str> = report.lines().filter(|l| l.contains("(ERROR)") || l.contains("(FATAL)")).collect();
    assert_eq!(
        findings,
        ["    pkix.invalid_domain_name_syntax (ERROR): Invalid domain name syntax: \"localhost\""],
        "{report}"
    );
    let private = [
        "server-ec.pem",
        "server-rsa.pem",
        "test.pem",
        "client.pem",
        "subca.pem",
        "dev-root.pem",
        "test-root.pem",
        "dev-issuing.pem",
    ];
    for file in private {
        pkilint(&sb, "lint_pkix_cert", &[], file);
        let dump = sb.openssl(&["x509", "-in", file, "-noout", "-text"]).ok().stdout.clone();
        assert!(!dump.contains("2.23.140.1"), "{file} asserts a CA/Browser Forum policy:\n{dump}");
        assert!(!dump.contains("C = XX") && !dump.contains("C=XX"), "{file} has the country XX:\n{dump}");
    }
    pkilint(&sb, "lint_cabf_serverauth_cert", &["-t", "DV-FINAL-CERTIFICATE"], "public.pem");
    for (issuer, subject) in [
        ("dev-root.pem", "dev-issuing.pem"),
        ("dev-root.pem", "subca.pem"),
        ("dev-issuing.pem", "server-ec.pem"),
        ("dev-issuing.pem", "https.pem"),
        ("test-root.pem", "test.pem"),
        ("dev-issuing.pem", "public.pem"),
    ] {
        pkilint_chain(&sb, issuer, subject);
    }
    // And the whole chains verify.
    sb.openssl(&[
        "verify",
        "-CAfile",
        "dev-root.pem",
        "-untrusted",
        "dev-issuing.pem",
        "server-ec.pem",
        "server-rsa.pem",
        "client.pem",
        "https.pem",
        "public.pem",
    ])
    .ok();
    sb.openssl(&["verify", "-CAfile", "test-root.pem", "test.pem"]).ok();
}

fn pkilint_chain(sb: &Sandbox, issuer: &str, subject: &str) {
    let output = std::process::Command::new(tool("lint_pkix_signer_signee_cert_chain"))
        .args(["lint", "-s", "ERROR", issuer, subject])
        .current_dir(sb.dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run lint_pkix_signer_signee_cert_chain: {e}"));
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && report.trim().is_empty(), "chain {issuer} -> {subject}:\n{report}");
}

/// Each start records the configuration in the audit log when it changed since it was last
/// recorded, naming what changed; auditors read the log from the CLI and the API.
#[test]
fn configuration_changes_are_audited() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    let changes = |server: &Server| -> Vec<serde_json::Value> {
        let listed = server
            .admin(&sb, &["audit", "list", "--from", "1", "--limit", "1000", "--action", "config.change", "--json"]);
        let entries = listed.ok().json().as_array().cloned().unwrap();
        // Details are the JSON object the entry holds, not a string of JSON.
        entries.iter().map(|e| e["details"].as_object().cloned().map(serde_json::Value::Object).unwrap()).collect()
    };
    // The first start records the whole policy.
    let first = changes(&server);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0]["previous_sha256"].is_null());
    let profiles = first[0]["policy"]["profiles"].as_object().unwrap();
    assert!(["server", "client", "test", "subca"].iter().all(|p| profiles.contains_key(*p)), "{profiles:?}");
    assert_eq!(profiles["server"]["approval"], "manager");
    // A start with the same configuration records nothing.
    server.restart();
    assert_eq!(changes(&server).len(), 1);
    // The server profile switched to auto-approval: recorded, and said at start.
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let edited =
        text.replacen("kind = \"server\"\napproval = \"manager\"", "kind = \"server\"\napproval = \"auto\"", 1);
    assert_ne!(edited, text, "the default server profile changed shape");
    std::fs::write(&config, edited).unwrap();
    server.restart();
    let all = changes(&server);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1]["profiles_changed"], serde_json::json!(["server"]));
    assert_eq!(all[1]["previous_sha256"], first[0]["sha256"]);
    assert_eq!(all[1]["policy"]["profiles"]["server"]["approval"], "auto");
    assert!(
        sb.read_text("serve.log").contains("signet.toml changed since it was last recorded (profiles changed: server)")
    );
    // An auditor reads the newest entries over the API; the chain still verifies.
    let auditor = token(&server, &sb, "auditor", "auditor");
    let newest = server.request("GET", "/api/v1/audit?limit=3", Some(&auditor), &[], b"").json();
    assert_eq!(newest.as_array().unwrap().len(), 3);
    // The token just made is among the newest (CRL and OCSP publications run in the background
    // and may have been recorded after it).
    let recent = server.request("GET", "/api/v1/audit?limit=50", Some(&auditor), &[], b"").json();
    let recent = recent.as_array().unwrap();
    assert!(recent.iter().any(|e| e["action"] == "token.create" && e["target"] == "identity:auditor"), "{recent:?}");
    let seqs: Vec<i64> = recent.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "oldest first, without gaps: {seqs:?}");
    let bad = server.request("GET", "/api/v1/audit?limit=0", Some(&auditor), &[], b"");
    assert_eq!(bad.status, 400, "{}", bad.text());
    server.admin(&sb, &["audit", "verify"]).ok().out_has("intact");
    server.admin(&sb, &["audit", "list"]).ok().out_has("config.change");
}
