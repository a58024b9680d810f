//! HTTPS for `signet serve`: the API answers over TLS 1.2 and 1.3 (never 1.1) with a certificate
//! the development CA issued for the server's names, trusted through `DATA/roots.pem` exactly as
//! the start-up text says (curl, Python, the CLI); a second, plain-HTTP listener serves only what
//! relying parties fetch (CA certificates), at the URL certificates carry; the certificate is
//! kept across restarts, reissued when the server's names change, or read from configured files.

use crate::server::{Backend, Server, make_csr};
use crate::support::{Sandbox, tool, wait_for};

/// The last line of the start-up texts starting with `prefix` (trimmed).
fn printed_line(server: &Server, prefix: &str) -> String {
    let log = server.log_text();
    log.lines()
        .map(str::trim)
        .rfind(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{log}"))
        .into()
}

fn s_client(sb: &Sandbox, server: &Server, version: &str, ca_file: &str) -> crate::support::Run {
    let connect = format!("127.0.0.1:{}", server.port);
    sb.sh(&format!(
        "echo | {} s_client -connect {connect} -{version} -CAfile {ca_file} -verify_return_error -verify_ip 127.0.0.1 2>&1",
        tool("openssl").display()
    ))
}

#[test]
fn the_api_is_https_and_relying_party_files_are_plain_http() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    let roots = server.roots();
    let roots = roots.to_str().unwrap();

    // The lines the start-up text prints work as printed.
    let curl = printed_line(&server, "curl --cacert");
    assert!(curl.contains(roots), "{curl}");
    sb.sh(&curl.replacen("curl", &format!("{} -sS", tool("curl").display()), 1)).ok().out_has("\"status\":\"ok\"");
    let bundle = printed_line(&server, "export REQUESTS_CA_BUNDLE=");
    assert!(bundle.contains(roots), "{bundle}");
    assert!(printed_line(&server, "export LEGO_CA_CERTIFICATES=").contains(roots));
    let python = format!(
        "import ssl, urllib.request; print(urllib.request.urlopen('{}/healthz', context=ssl.create_default_context(cafile='{roots}')).status)",
        server.url()
    );
    let run = std::process::Command::new("python3").args(["-c", &python]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "200", "{}", String::from_utf8_lossy(&run.stderr));

    // TLS 1.2 and 1.3, and nothing older.
    for version in ["tls1_2", "tls1_3"] {
        let run = s_client(&sb, &server, version, roots).ok();
        run.out_has("Verify return code: 0 (ok)");
        assert!(!run.stdout.contains("Cipher is (NONE)"), "{}", run.stdout);
    }
    let old = s_client(&sb, &server, "tls1_1", roots);
    assert!(old.stdout.contains("Cipher is (NONE)"), "TLS 1.1 was accepted:\n{}", old.stdout);

    // The plain listener: CA certificates (caIssuers), and nothing of the API.
    let issuing = server.plain_request("GET", "/ca/dev-issuing.crt");
    assert_eq!((issuing.status, issuing.header("content-type")), (200, Some("application/pkix-cert")));
    let pem = std::fs::read_to_string(server.ca_file("dev-issuing")).unwrap();
    sb.write("issuing.der", &issuing.body);
    let from_plain = sb.openssl(&["x509", "-inform", "DER", "-in", "issuing.der"]).ok().stdout.clone();
    assert_eq!(from_plain.trim(), pem.trim());
    for path in ["/api/v1/cas", "/healthz", "/api/v1/requests/1"] {
        let refused = server.plain_request("GET", path);
        assert_eq!(refused.status, 404, "{path}: {}", refused.text());
        assert_eq!(refused.header("content-type"), Some("application/problem+json"));
        let there = format!("HTTPS listener: {}{path}", server.url().trim_end_matches('/'));
        assert!(refused.json()["detail"].as_str().unwrap().ends_with(&there), "{}", refused.text());
    }

    // Issued certificates point at the plain listener, which serves their issuer.
    let csr = make_csr(&sb, "www", "ec-p256", "www.example.com", &[]);
    let issued = server.submit(&server.admin_token(), "test", &csr).json();
    let id = issued["id"].to_string();
    let cert = server.request(
        "GET",
        &format!("/api/v1/requests/{id}/certificate?chain=false"),
        Some(&server.admin_token()),
        &[],
        b"",
    );
    sb.write("www.crt", &cert.body);
    let info = sb.signet(&["inspect", "www.crt", "--json"]).ok().json();
    let ca_issuer = info["objects"][0]["ca_issuer_urls"][0].as_str().unwrap().to_string();
    assert_eq!(ca_issuer, format!("{}/ca/test-root.crt", server.http_url()));
    let path = ca_issuer.trim_start_matches(&server.http_url()).to_string();
    assert_eq!(server.plain_request("GET", &path).status, 200);

    // The CLI trusts roots.pem by default, and says what to do when told to trust other roots.
    server.cli(&sb, &["search", "--request-id", &id, "--json"]).ok();
    let wrong = server.ca_file("test-root");
    server
        .cli(&sb, &["search", "--request-id", &id, "--ca-bundle", wrong.to_str().unwrap()])
        .code(3)
        .err_has("is not trusted")
        .err_has("--ca-bundle");

    // The certificate is kept across restarts, and reissued when the server's names change.
    let kept = std::fs::read(server.data.join("tls/server.pem")).unwrap();
    server.restart();
    assert_eq!(std::fs::read(server.data.join("tls/server.pem")).unwrap(), kept, "reissued without a reason");
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let public = format!("public_url = \"https://ca.example.com:{}\"", server.port);
    let line = text.lines().find(|l| l.starts_with("public_url =")).unwrap().to_string();
    std::fs::write(&config, text.replace(&line, &public)).unwrap();
    server.restart();
    let renewed = std::fs::read(server.data.join("tls/server.pem")).unwrap();
    assert_ne!(renewed, kept);
    sb.write("https.pem", &renewed);
    let text = sb.openssl(&["x509", "-in", "https.pem", "-noout", "-ext", "subjectAltName"]).ok().stdout.clone();
    for name in ["DNS:ca.example.com", "DNS:localhost", "IP Address:127.0.0.1"] {
        assert!(text.contains(name), "{name} not in {text}");
    }
    assert_eq!(server.request("GET", "/healthz", None, &[], b"").status, 200);
    // A revoked HTTPS certificate is not presented again: the next start issues a new one (a
    // running server looks every minute).
    let tls = server.data.join("tls/server.pem");
    server.cli(&sb, &["revoke", "--cert", tls.to_str().unwrap(), "--reason", "superseded"]).ok();
    server.restart();
    assert_ne!(std::fs::read(&tls).unwrap(), renewed, "the revoked HTTPS certificate was kept");
    assert!(server.log_text().contains("the HTTPS certificate was revoked"), "{}", server.log_text());
    assert_eq!(server.request("GET", "/healthz", None, &[], b"").status, 200);
    // It is an ordinary request of the server's own identity, in the audit log like any other.
    let found = server.cli(&sb, &["search", "--requester", "signet serve", "--json"]).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 3, "{found}");
}

#[test]
fn a_certificate_and_key_from_files_are_served() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    sb.openssl_root("other-ca", "prime256v1", "/CN=Other CA", 30, &[]).ok();
    let issue = |stem: &str, cn: &str| {
        let (key, csr) = (format!("{stem}.key"), format!("{stem}.csr"));
        sb.openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            cn,
        ])
        .ok();
        let extensions = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
        sb.openssl_sign(&csr, "other-ca", extensions, 30, &format!("{stem}.pem")).ok();
    };
    issue("tls", "/CN=127.0.0.1");
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    // Looked at every second, so the reload below is seen soon.
    let files = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"\ntls_reload_interval_secs = 1",
        sb.path("tls.pem").display(),
        sb.path("tls.key").display()
    );
    std::fs::write(&config, text.replace("tls_issuer = \"dev-issuing\"", &files)).unwrap();
    server.trust(&sb.path("other-ca.pem"));
    server.restart();
    let other = sb.path("other-ca.pem");
    s_client(&sb, &server, "tls1_3", other.to_str().unwrap()).ok().out_has("Verify return code: 0 (ok)");
    assert!(printed_line(&server, "HTTPS cert:").contains("tls.pem (server.tls_cert)"));
    server.cli(&sb, &["search", "--state", "issued", "--ca-bundle", other.to_str().unwrap()]).ok();

    // The files replaced (as certbot renews): the new certificate is served without a restart.
    let other = other.to_str().unwrap();
    let served = |server: &Server| s_client(&sb, server, "tls1_3", other).ok().stdout;
    let install = |stem: &str| {
        std::fs::copy(sb.path(&format!("{stem}.key")), sb.path("tls.key")).unwrap();
        std::fs::copy(sb.path(&format!("{stem}.pem")), sb.path("tls.pem")).unwrap();
    };
    std::fs::copy(sb.path("tls.key"), sb.path("first.key")).unwrap();
    std::fs::copy(sb.path("tls.pem"), sb.path("first.pem")).unwrap();
    issue("renewed", "/CN=renewed.signet.test");
    install("renewed");
    wait_for("the replaced certificate is served", || served(&server).contains("renewed.signet.test"));
    assert!(server.log_text().contains("HTTPS certificate reloaded from"), "{}", server.log_text());
    // A broken pair (a key that is not the certificate's) is reported and not served.
    sb.openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tls.key"]).ok();
    wait_for("the broken pair is reported", || server.log_text().contains("cannot be used ("));
    assert!(server.log_text().contains("does not belong to the first certificate"), "{}", server.log_text());
    let still = served(&server);
    assert!(still.contains("renewed.signet.test") && still.contains("Verify return code: 0 (ok)"), "{still}");
    // SIGHUP alone (no interval): the files are looked at when the signal comes.
    server.stop();
    install("renewed");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("tls_reload_interval_secs = 1", "tls_reload_interval_secs = 0")).unwrap();
    server.restart();
    install("first");
    assert!(served(&server).contains("renewed.signet.test"), "not looked at without SIGHUP");
    server.signal("HUP");
    wait_for("SIGHUP reloads", || !served(&server).contains("renewed.signet.test"));
    assert!(served(&server).contains("Verify return code: 0 (ok)"));

    // A key that is not the certificate's: refused at start, in one line.
    server.stop();
    sb.openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tls.key"]).ok();
    let run = sb.signet(&[
        "serve",
        "--data",
        server.data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:1",
        "--http-listen",
        "127.0.0.1:1",
    ]);
    run.code(2).err_has("the private key does not belong to the first certificate");
}
