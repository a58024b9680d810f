//! Alternate chains (RFC 8555 §7.4.2), the way a root rollover or a cross-sign needs them: the
//! dev hierarchy's issuing CA cross-signed by a second root, its root cross-signed by a third
//! (ISRG Root X1 under DST Root CA X3), and a cross-certificate from an outside (openssl) CA.
//! lego and certbot, unmodified, pick a chain with `--preferred-chain`; each verifies with
//! `openssl verify` against its own root only; the cross-certificates pass pkilint; and the
//! refusals (self, loop, test root, another key, another subject, not a CA) say why.

use serde_json::json;

use crate::acme_support::*;
use crate::server::Backend;
use crate::support::{Sandbox, tool, wait_for};

/// `openssl verify` of a certificate file (leaf, then chain) against `root` alone; how many
/// CA certificates the chain held.
fn verify_against(sb: &Sandbox, file: &std::path::Path, root: &std::path::Path) -> usize {
    let pem = std::fs::read_to_string(file).unwrap();
    let split = pem.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----\n".len();
    sb.write("leaf.pem", &pem[..split]);
    sb.write("chain.pem", &pem[split..]);
    sb.openssl(&["verify", "-CAfile", root.to_str().unwrap(), "-untrusted", "chain.pem", "leaf.pem"])
        .ok()
        .out_has("leaf.pem: OK");
    pem[split..].matches("BEGIN CERTIFICATE").count()
}

/// pkilint's RFC 5280 certificate linter and its issuer-subject linter, no ERROR or FATAL.
fn pkilint(sb: &Sandbox, issuer: &std::path::Path, subject: &std::path::Path) {
    for (linter, args) in [
        ("lint_pkix_cert", vec!["lint", "-s", "ERROR", subject.to_str().unwrap()]),
        ("lint_pkix_signer_signee_cert_chain", vec!["lint", issuer.to_str().unwrap(), subject.to_str().unwrap()]),
    ] {
        let output = std::process::Command::new(tool(linter)).args(&args).current_dir(sb.dir()).output().unwrap();
        let report = String::from_utf8_lossy(&output.stdout);
        let findings: Vec<&str> =
            report.lines().filter(|l| l.contains("(ERROR)") || l.contains("(FATAL)")).map(str::trim).collect();
        assert!(findings.is_empty(), "{linter} {}:\n{report}", subject.display());
    }
}

#[test]
fn lego_and_certbot_pick_cross_signed_chains() {
    let sb = Sandbox::new();
    let mut acme = acme_server(&sb, Backend::Sqlite, false, &[]);
    acme.server.stop();
    let server = &acme.server;
    for (name, cn) in [("second-root", "Signet Second Root"), ("third-root", "Signet Third Root")] {
        server.admin(&sb, &["ca", "init", "--name", name, "--root", "--cn", cn]).ok();
    }
    // Refused, each with its reason.
    let cross = |name: &str, by: &str| server.admin(&sb, &["ca", "cross-sign", "--name", name, "--by", by]);
    cross("dev-issuing", "dev-issuing").code(2).err_has("cannot cross-sign itself");
    cross("dev-root", "dev-issuing").code(2).err_has("dev-issuing is below dev-root");
    cross("dev-issuing", "test-root").code(2).err_has("test root issues only test certificates");
    cross("dev-issuing", "nobody").code(2).err_has("there is no CA named nobody");
    // The issuing CA under a second root; the root under a third (a loop back is refused).
    cross("dev-issuing", "second-root").ok().out_has("issuer:       CN=Signet Second Root");
    server.admin(&sb, &["ca", "cross-sign", "--name", "dev-root", "--by", "third-root", "--days", "400"]).ok();
    cross("third-root", "dev-issuing").code(2).err_has("would make a loop");
    let issuing_by_second = server.data.join("cas/dev-issuing.alternate-1.pem");
    let root_by_third = server.data.join("cas/dev-root.alternate-1.pem");
    pkilint(&sb, &server.ca_file("second-root"), &issuing_by_second);
    pkilint(&sb, &server.ca_file("third-root"), &root_by_third);
    let text = sb.openssl(&["x509", "-in", root_by_third.to_str().unwrap(), "-noout", "-enddate", "-issuer"]).ok();
    text.out_has("issuer=CN = Signet Third Root");

    // From outside: openssl's CA certifies the issuing CA's key and subject; the same key under
    // another subject, another key under the same subject, and a leaf are refused.
    // The issuer must repeat the CA's key identifier: certificates it issued name it.
    let issuing = server.ca_file("dev-issuing");
    let ski = sb.openssl(&["x509", "-in", issuing.to_str().unwrap(), "-noout", "-ext", "subjectKeyIdentifier"]).ok();
    let ski = ski.stdout.lines().nth(1).unwrap().trim().to_string();
    let ca_ext = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nauthorityKeyIdentifier=keyid\n";
    sb.write("ca.ext", format!("{ca_ext}subjectKeyIdentifier={ski}\n"));
    sb.write("hash-id.ext", format!("{ca_ext}subjectKeyIdentifier=hash\n"));
    sb.write("leaf.ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n");
    let root_exts = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
    sb.openssl_root("outside", "P-256", "/CN=Outside Root", 60, &root_exts).ok();
    sb.openssl_root("stranger", "P-256", "/CN=Stranger", 60, &root_exts).ok();
    sb.openssl(&["x509", "-in", issuing.to_str().unwrap(), "-noout", "-pubkey", "-out", "issuing.pub"]).ok();
    sb.openssl(&["x509", "-in", "stranger.pem", "-noout", "-pubkey", "-out", "stranger.pub"]).ok();
    let subject = "/O=signet development/CN=Signet Development Issuing CA";
    let outside = |key: &str, subject: &str, ext: &str, out: &str| {
        sb.openssl(&[
            "x509",
            "-new",
            "-force_pubkey",
            key,
            "-subj",
            subject,
            "-CA",
            "outside.pem",
            "-CAkey",
            "outside.key",
            "-days",
            "30",
            "-extfile",
            ext,
            "-out",
            out,
        ])
        .ok();
    };
    outside("issuing.pub", subject, "ca.ext", "by-outside.pem");
    outside("issuing.pub", "/O=signet development/CN=Someone Else", "ca.ext", "other-subject.pem");
    outside("stranger.pub", subject, "ca.ext", "other-key.pem");
    outside("issuing.pub", subject, "leaf.ext", "as-leaf.pem");
    outside("issuing.pub", subject, "hash-id.ext", "other-id.pem");
    let install = |file: &str| server.admin(&sb, &["ca", "install-cert", "--name", "dev-issuing", "--alternate", file]);
    install("other-subject.pem").code(2).err_has("is not CA dev-issuing's");
    install("other-key.pem").code(2).err_has("for another key");
    install("as-leaf.pem").code(2).err_has("not a CA certificate");
    install("other-id.pem").code(2).err_has("subjectKeyIdentifier is not CA dev-issuing's");
    install(issuing.to_str().unwrap()).code(2).err_has("this is CA dev-issuing's own certificate");
    // A chain whose root only has the right name (another key) is refused: signatures are checked.
    sb.openssl_root("impostor", "P-256", "/CN=Outside Root", 60, &root_exts).ok();
    sb.write("by-outside-impostor.pem", sb.read_text("by-outside.pem") + &sb.read_text("impostor.pem"));
    install("by-outside-impostor.pem").code(2).err_has("did not sign the certificate before it");
    // With the outside root after it: kept out of the stored chain (relying parties hold it).
    sb.write("by-outside-full.pem", sb.read_text("by-outside.pem") + &sb.read_text("outside.pem"));
    install("by-outside-full.pem").ok().out_has("issuer:       CN=Outside Root");
    install("by-outside-full.pem").code(2).err_has("already holds");
    let listed = server.admin(&sb, &["ca", "list", "--json"]).ok().stdout.clone();
    let cas: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let issuing_ca = cas.as_array().unwrap().iter().find(|c| c["name"] == "dev-issuing").unwrap();
    let alternates: Vec<(&str, u64)> = issuing_ca["alternates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["issuer"].as_str().unwrap(), a["chain_length"].as_u64().unwrap()))
        .collect();
    assert_eq!(alternates, vec![("CN=Signet Second Root", 0), ("CN=Outside Root", 0)], "{listed}");
    // `ca show` names each chain's top: the default, then level by level.
    let shown = server.admin(&sb, &["ca", "show", "--name", "dev-issuing", "--json"]).ok().stdout.clone();
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let tops: Vec<String> = shown["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["root"].as_str().map(str::to_string).unwrap_or_else(|| {
                format!(
                    "{} (outside)",
                    c["certificates"].as_array().unwrap().last().unwrap()["issuer"].as_str().unwrap()
                )
            })
        })
        .collect();
    let expected = [
        "O=signet development, CN=Signet Development Root CA",
        "CN=Signet Third Root",
        "CN=Signet Second Root",
        "CN=Outside Root (outside)",
    ];
    assert_eq!(tops, expected, "{shown}");

    acme.server.restart();
    let server = &acme.server;
    // The CA view of the API lists them too.
    let api = server.request("GET", "/api/v1/cas", None, &[], b"").json();
    let view = api.as_array().unwrap().iter().find(|c| c["name"] == "dev-root").unwrap();
    assert_eq!(view["alternates"][0]["issuer_ca"], "third-root", "{api}");

    // lego: the default chain ends at dev-root; asked for the second root's, it gets that one.
    let http = format!("127.0.0.1:{}", acme.http01_port);
    let lego_run = |path: &str, preferred: Option<&str>| {
        let mut args = vec!["--http", "--http.port", &http, "-d", "chains.example.com", "run"];
        if let Some(chain) = preferred {
            args.extend(["--preferred-chain", chain]);
        }
        acme.lego(&sb, path, &args).ok();
        lego_certificate(&sb, path, "chains.example.com")
    };
    let default = lego_run("lego-default", None);
    assert_eq!(verify_against(&sb, &default, &server.ca_file("dev-root")), 1);
    let second = lego_run("lego-second", Some("Signet Second Root"));
    assert_eq!(verify_against(&sb, &second, &server.ca_file("second-root")), 1);
    // certbot: the third root's chain runs through the cross-signed root.
    let port = acme.http01_port.to_string();
    acme.certbot(
        &sb,
        &[
            "certonly",
            "--agree-tos",
            "--register-unsafely-without-email",
            "--standalone",
            "--http-01-address",
            "127.0.0.1",
            "--http-01-port",
            &port,
            "--preferred-chain",
            "Signet Third Root",
            "-d",
            "certbot-chains.example.com",
        ],
    )
    .ok()
    .out_has("Successfully received certificate");
    let live = sb.path("certbot/conf/live/certbot-chains.example.com/fullchain.pem");
    assert_eq!(verify_against(&sb, &live, &server.ca_file("third-root")), 2, "leaf, issuing CA, dev-root by the third");

    // By hand: the Link headers name every other chain; unknown chains are 404 problems.
    let mut client = RawClient::new(server);
    client.register();
    let ordered = client
        .post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": "raw.example.com"}]})));
    assert_eq!(ordered.status, 201, "{}", ordered.text());
    let order_url = ordered.header("location").unwrap().to_string();
    let order = ordered.json();
    let authz_url = order["authorizations"][0].as_str().unwrap();
    let authz = client.post(authz_url, None).json();
    let challenge = authz["challenges"].as_array().unwrap().iter().find(|c| c["type"] == "dns-01").unwrap().clone();
    let key_authorization = format!("{}.{}", challenge["token"].as_str().unwrap(), client.thumbprint());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_authorization.as_bytes());
    acme.dns.set_txt("_acme-challenge.raw.example.com", &b64(digest.as_ref()));
    assert_eq!(client.post(challenge["url"].as_str().unwrap(), Some(&json!({}))).status, 200);
    let mut status = String::new();
    for _ in 0..100 {
        status = client.post(&order_url, None).json()["status"].as_str().unwrap().to_string();
        if status != "pending" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status, "ready");
    let csr = b64(&csr_der(&sb, "raw", &["raw.example.com"]));
    assert_eq!(client.post(order["finalize"].as_str().unwrap(), Some(&json!({"csr": csr}))).status, 200);
    let cert_url = client.post(&order_url, None).json()["certificate"].as_str().unwrap().to_string();
    let links = |answer: &crate::server::Response| -> Vec<String> {
        let mut found: Vec<String> = answer
            .headers
            .iter()
            .filter(|(k, v)| k == "link" && v.ends_with("rel=\"alternate\""))
            .map(|(_, v)| v.clone())
            .collect();
        found.sort();
        found
    };
    let link_to = |n: Option<u32>| match n {
        None => format!("<{cert_url}>;rel=\"alternate\""),
        Some(n) => format!("<{cert_url}/{n}>;rel=\"alternate\""),
    };
    let first = client.post(&cert_url, None);
    assert_eq!(first.header("content-type"), Some("application/pem-certificate-chain"));
    // Four chains: dev-root; dev-root under the third root; the second root; the outside root.
    assert_eq!(links(&first), vec![link_to(Some(1)), link_to(Some(2)), link_to(Some(3))]);
    let expected_cas = [1, 2, 1, 1];
    for n in 1..=3u32 {
        let answer = client.post(&format!("{cert_url}/{n}"), None);
        assert_eq!(answer.status, 200, "{}", answer.text());
        let mut others: Vec<String> = (1..=3).filter(|o| *o != n).map(|o| link_to(Some(o))).collect();
        others.push(link_to(None));
        others.sort();
        assert_eq!(links(&answer), others);
        let count = answer.text().matches("BEGIN CERTIFICATE").count();
        assert_eq!(count, 1 + expected_cas[n as usize], "chain {n}: {}", answer.text());
        sb.write(&format!("raw-{n}.pem"), answer.text());
    }
    assert_eq!(verify_against(&sb, &sb.path("raw-3.pem"), &sb.path("outside.pem")), 1);
    for n in ["4", "0", "01", "x"] {
        problem(&client.post(&format!("{cert_url}/{n}"), None), 404, "malformed");
    }
    // The JSON API offers the same chains: `chain=N` as `ca show` numbers them, Links to the rest.
    let found = server.cli(&sb, &["search", "--name", "raw.example.com", "--json"]).ok().json();
    let id = found[0]["id"].to_string();
    let token = server.manager_token(&sb);
    let path = format!("/api/v1/requests/{id}/certificate");
    let api = |query: &str| server.request("GET", &format!("{path}{query}"), Some(&token), &[], b"");
    let default_chain = api("");
    let api_links: Vec<&str> =
        default_chain.headers.iter().filter(|(k, _)| k == "link").map(|(_, v)| v.as_str()).collect();
    assert_eq!(api_links.len(), 3, "{api_links:?}");
    assert!(api_links.contains(&format!("<{path}?chain=3>;rel=\"alternate\"").as_str()), "{api_links:?}");
    let outside_chain = api("?chain=3");
    assert_eq!(outside_chain.text(), sb.read_text("raw-3.pem"), "the same chain as ACME's /3");
    assert_eq!(api("?chain=false").text().matches("BEGIN CERTIFICATE").count(), 1);
    for bad in ["4", "01", "-1", "x"] {
        assert_eq!(api(&format!("?chain={bad}")).status, 400, "chain={bad}");
    }

    // POST-as-GET by the account only: another account sees no certificate there.
    let mut other = RawClient::new(server);
    other.register();
    assert_eq!(other.post(&format!("{cert_url}/1"), None).status, 404);

    // The second root revokes its cross-certificate: within a publication round, with no
    // restart, its chain is no longer offered.
    let cross_file = issuing_by_second.to_str().unwrap();
    server.cli(&sb, &["revoke", "--cert", cross_file, "--reason", "cessationOfOperation"]).ok();
    wait_for("the revoked cross-certificate's chain to be withdrawn", || {
        links(&client.post(&cert_url, None)).len() == 2
    });
    let after = client.post(&cert_url, None);
    assert_eq!(links(&after), vec![link_to(Some(1)), link_to(Some(2))], "dev-root by the third root; the outside root");
    let outside_now = client.post(&format!("{cert_url}/2"), None);
    sb.write("raw-outside.pem", outside_now.text());
    assert_eq!(verify_against(&sb, &sb.path("raw-outside.pem"), &sb.path("outside.pem")), 1);

    // A signer whose own certificate its parent revoked cannot cross-sign.
    drop(client);
    acme.server.stop();
    let sub =
        ["ca", "init", "--name", "partner-sub", "--parent", "third-root", "--cn", "Partner Sub", "--path-length", "1"];
    acme.server.admin(&sb, &sub).ok();
    acme.server.restart();
    let partner = acme.server.ca_file("partner-sub");
    acme.server.cli(&sb, &["revoke", "--cert", partner.to_str().unwrap(), "--reason", "cACompromise"]).ok();
    acme.server.stop();
    let refused = acme.server.admin(&sb, &["ca", "cross-sign", "--name", "dev-issuing", "--by", "partner-sub"]);
    refused.code(2).err_has("CA partner-sub cannot sign").err_has("revoked by third-root");
}
