//! Revocation end to end: `signet revoke`/`unrevoke` and the HTTP API, who may revoke what, the
//! certificate's status, search by revocation, and the refusals each wrong case gets.

use crate::server::{Backend, Server, make_csr};
use crate::support::Sandbox;

/// The serial openssl reads from a certificate file, in lower-case hex.
pub fn serial_of(sb: &Sandbox, pem: &str) -> String {
    let out = sb.openssl(&["x509", "-in", pem, "-noout", "-serial"]).ok().stdout;
    out.trim().trim_start_matches("serial=").to_ascii_lowercase()
}

/// An enrollee token `alice` made with `signet token create`; answers the file's path.
pub fn enrollee_token(server: &Server, sb: &Sandbox) -> String {
    let file = sb.path("alice.token");
    server
        .admin(sb, &["token", "create", "--name", "alice", "--role", "enrollee", "--out", file.to_str().unwrap()])
        .ok();
    file.to_str().unwrap().to_string()
}

#[test]
fn requesters_and_managers_revoke_with_reasons_and_every_refusal_says_why() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let alice = enrollee_token(&server, &sb);
    let as_alice =
        |args: &[&str]| sb.signet_env(args, &[("SIGNET_SERVER", &server.url()), ("SIGNET_TOKEN_FILE", &alice)]);
    make_csr(&sb, "a", "ec-p256", "revoke-a.example.com", &[]);
    let submitted =
        as_alice(&["request", "submit", "--csr", "a.csr", "--profile", "test", "--out", "a.pem", "--json"]).ok().json();
    let id = submitted["id"].to_string();
    sb.write("a.rtoken", submitted["retrieval_token"].as_str().unwrap());
    let serial = serial_of(&sb, "a.pem");
    let colons: Vec<String> = serial.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let colons = colons.join(":");

    // The requester may not put its certificate on hold; a Certificate Manager may, and release it.
    as_alice(&["revoke", &serial, "--reason", "certificateHold"]).code(2).err_has("needs a Certificate Manager");
    let held = server.cli(&sb, &["revoke", &colons, "--reason", "certificate-hold", "--json"]).ok().json();
    assert_eq!(
        (held["status"].as_str(), held["revocation"]["reason"].as_str()),
        (Some("revoked"), Some("certificateHold"))
    );
    assert_eq!(held["ca"], "test-root");
    let released = server.cli(&sb, &["unrevoke", &serial, "--json"]).ok().json();
    assert_eq!(released["status"], "good");
    assert!(released.get("revocation").is_none(), "{released}");
    server.cli(&sb, &["unrevoke", &serial]).code(2).err_has("not revoked");
    // By request ID both ways, as `signet revoke --request` does.
    server.cli(&sb, &["revoke", "--request", &id, "--reason", "certificateHold"]).ok().out_has("signet unrevoke");
    let released = server.cli(&sb, &["unrevoke", "--request", &id, "--json"]).ok().json();
    assert_eq!((released["status"].as_str(), released["request_id"].as_u64()), (Some("good"), id.parse().ok()));
    server.cli(&sb, &["unrevoke", "--request", &id]).code(2).err_has("not revoked");
    server.cli(&sb, &["unrevoke", "--request", &id, "--ca", "test-root"]).code(2).err_has("cannot be used with");
    // By the certificate file, its serial read from it.
    server.cli(&sb, &["revoke", "--cert", "a.pem", "--reason", "certificateHold"]).ok().out_has("REVOKED");
    server.cli(&sb, &["unrevoke", "--cert", "a.pem"]).ok().out_has("GOOD");
    server
        .cli(&sb, &["revoke", "--cert", "a.csr", "--reason", "superseded"])
        .code(2)
        .err_has("a certificate is needed");

    // The requester revokes by request ID with the retrieval token alone, for keyCompromise.
    let revoked = sb
        .signet_env(
            &[
                "revoke",
                "--request",
                &id,
                "--reason",
                "keyCompromise",
                "--invalidity-date",
                "2026-01-02",
                "--retrieval-token-file",
                "a.rtoken",
            ],
            &[("SIGNET_SERVER", &server.url())],
        )
        .ok();
    // A plain date is midnight UTC, as for every time option.
    revoked.out_has("REVOKED").out_has("keyCompromise").out_has("invalid since 2026-01-02T00:00:00Z");
    revoked.out_has("CRLs within [crl] publish_after_revocation_seconds");
    server.cli(&sb, &["revoke", &serial, "--reason", "superseded"]).code(2).err_has("already revoked (keyCompromise");
    server.cli(&sb, &["unrevoke", &serial, "--ca", "test-root"]).code(2).err_has("which is final");

    // Its status over the API, in the request view and in search.
    let manager = server.manager_token(&sb);
    let status = server.request("GET", &format!("/api/v1/certificates/test-root/{colons}"), Some(&manager), &[], b"");
    assert_eq!(status.status, 200, "{}", status.text());
    let status = status.json();
    assert_eq!(status["status"], "revoked");
    assert_eq!(status["revocation"]["invalidity_date"], "2026-01-02T00:00:00Z");
    assert!(status["revocation"]["revoked_by"].as_str().unwrap().contains("alice (retrieval token"), "{status}");
    as_alice(&["request", "status", &id]).ok().out_has("revoked:").out_has("keyCompromise");
    // Fetching it again works (an auditor may want it), with a warning not to deploy it.
    as_alice(&["request", "get", &id, "--out", "again.pem"])
        .ok()
        .err_has("warning: this certificate is revoked (keyCompromise at ")
        .err_has("do not deploy it");
    let found = server.cli(&sb, &["search", "--revoked", "--reason", "keyCompromise", "--json"]).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    // Each result names its certificate's CA, as `signet revoke --ca` takes it.
    assert_eq!(found[0]["certificate"]["ca"], "test-root", "{found}");
    server
        .cli(&sb, &["search", "--revoked"])
        .ok()
        .out_has("(test): ISSUED, REVOKED")
        .out_has("issuing CA:   test-root");
    let good = server.cli(&sb, &["search", "--not-revoked", "--json"]).ok().json();
    // Only the development issuing CA's certificate (issued by dev-root) is left, besides the
    // delegated OCSP responders' and the server's own HTTPS certificate.
    let good: Vec<&str> = good
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["profile"] != "ocsp-responder" && r["profile"] != "signet-server-tls")
        .map(|r| r["certificate"]["serial"].as_str().unwrap())
        .collect();
    assert!(!good.contains(&serial.as_str()) && good.len() == 1, "{good:?}");

    // Wrong input: each gets a clear error, never a 500.
    sb.signet(&["revoke", &serial, "--reason", "stolen"]).code(2).err_has("keyCompromise, cACompromise");
    server.cli(&sb, &["revoke", "0x12zz", "--reason", "superseded"]).code(2).err_has("SERIAL:");
    server
        .cli(&sb, &["revoke", "1234567890abcdef", "--reason", "superseded"])
        .code(2)
        .err_has("no certificate with serial");
    server.cli(&sb, &["revoke", "1234", "--ca", "nope", "--reason", "superseded"]).code(2).err_has("no CA named");
    // Which certificate: exactly one of the three ways, and the error names them.
    for args in [&["revoke", "--reason", "superseded"][..], &["unrevoke"]] {
        sb.signet(args).code(2).err_has("<SERIAL|--request <REQUEST>|--cert <CERT>>");
    }
    // A CA name goes into the URL path: anything but a name is refused before it is sent.
    for ca in ["../requests", "a b", "x?y", ""] {
        server.cli(&sb, &["revoke", "12", "--ca", ca, "--reason", "superseded"]).code(2).err_has("is not a CA name");
    }
    server.cli(&sb, &["crl", "get", "--ca", "../api", "--out", "x.crl"]).code(2).err_has("is not a CA name");
    server
        .cli(&sb, &["revoke", &serial, "--reason", "superseded", "--invalidity-date", "yesterday"])
        .code(2)
        .err_has("RFC 3339 time like 2026-11-20T08:00:00Z, or a date like 2026-11-20");
    let path = format!("/api/v1/certificates/test-root/{serial}/revoke");
    let json = [("content-type", "application/json")];
    for (body, expected) in [
        (&b""[..], "send JSON"),
        (b"{\"reason\": \"stolen\"}", "not a revocation reason"),
        (b"{\"reason\": \"superseded\", \"extra\": 1}", "unknown field"),
        (b"not json", "JSON body is invalid"),
    ] {
        let answer = server.request("POST", &path, Some(&manager), &json, body);
        assert_eq!(answer.status, 400, "{}", answer.text());
        assert!(answer.json()["detail"].as_str().unwrap().contains(expected), "{}", answer.text());
    }
    let contradiction =
        server.request("GET", "/api/v1/search?revoked=false&reason=keyCompromise", Some(&manager), &[], b"");
    assert_eq!(contradiction.status, 400, "{}", contradiction.text());
    assert!(contradiction.text().contains("leave out revoked=false"), "{}", contradiction.text());
    let anonymous = server.request("POST", &path, None, &json, b"{\"reason\": \"superseded\"}");
    assert_eq!(anonymous.status, 401);

    // Every change is in the audit log, and the chain holds.
    let entries = server.admin(&sb, &["audit", "list", "--action", "certificate.re", "--json"]).ok().json();
    let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "certificate.revoke").count(), 4, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "certificate.release").count(), 3, "{actions:?}");
    server.admin(&sb, &["audit", "verify"]).ok().out_has("intact");

    // The issuing CA's own certificate (request 1) on hold: dev-issuing signs nothing, and
    // `ca status` and /healthz say so, until it is released.
    server.cli(&sb, &["revoke", "--request", "1", "--reason", "certificateHold"]).ok();
    make_csr(&sb, "s", "ec-p256", "revoke-s.example.com", &[]);
    let submit = ["request", "submit", "--csr", "s.csr", "--profile", "server"];
    server.cli(&sb, &submit).code(2).err_has("CA dev-issuing's certificate was revoked by dev-root (certificateHold");
    server.admin(&sb, &["ca", "status"]).code(1).out_has("REVOKED: CA dev-issuing's certificate");
    let health = server.request("GET", "/healthz", None, &[], b"").json();
    assert_eq!(
        (health["status"].as_str(), health["revoked_cas"][0]["ca"].as_str()),
        (Some("warning"), Some("dev-issuing"))
    );
    server.cli(&sb, &["unrevoke", "--request", "1"]).ok();
    server.cli(&sb, &submit).ok().out_has("PENDING");
}
