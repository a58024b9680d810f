//! ACME (RFC 8555) end to end: lego and certbot, unmodified, get certificates from `signet serve`
//! over HTTPS by http-01, tls-alpn-01 and dns-01 (pebble-challtestsrv as the DNS server), with
//! profiles, External Account Binding and a Certificate Manager's approval; the chains verify
//! with openssl and pass pkilint; and requests no client should send are refused with the RFC's
//! problem types. One server per test, a few slow cases.

use crate::acme_support::*;
use crate::server::Backend;
use crate::support::{Sandbox, tool};

/// `openssl verify` of a lego or certbot certificate file (leaf then chain) against dev-root, and
/// pkilint's RFC 5280 linter on the leaf.
fn verify_chain(sb: &Sandbox, server: &crate::server::Server, file: &std::path::Path) {
    verify_chain_but(sb, server, file, &[]);
}

/// [`verify_chain`], pkilint allowed exactly the findings `expected` (its RFC 5280 linter reads a
/// wildcard dNSName as bad syntax, which RFC 6125 and the CA/Browser Forum allow).
fn verify_chain_but(sb: &Sandbox, server: &crate::server::Server, file: &std::path::Path, expected: &[&str]) {
    let pem = std::fs::read_to_string(file).unwrap();
    let split = pem.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----\n".len();
    sb.write("leaf.pem", &pem[..split]);
    sb.write("chain.pem", &pem[split..]);
    let root = server.ca_file("dev-root");
    sb.openssl(&["verify", "-CAfile", root.to_str().unwrap(), "-untrusted", "chain.pem", "leaf.pem"])
        .ok()
        .out_has("leaf.pem: OK");
    let lint = std::process::Command::new(tool("lint_pkix_cert"))
        .args(["lint", "-s", "ERROR", "leaf.pem"])
        .current_dir(sb.dir())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&lint.stdout);
    let findings: Vec<&str> =
        report.lines().filter(|l| l.contains("(ERROR)") || l.contains("(FATAL)")).map(str::trim).collect();
    assert_eq!(findings, expected, "pkilint:\n{report}");
}

#[test]
fn lego_gets_certificates_by_every_challenge_type_and_renews() {
    let sb = Sandbox::new();
    let acme = acme_server(&sb, Backend::Sqlite, false, &[]);
    let http = format!("127.0.0.1:{}", acme.http01_port);
    acme.lego(&sb, "lego", &["--http", "--http.port", &http, "-d", "www.example.com", "-d", "example.com", "run"]).ok();
    verify_chain(&sb, &acme.server, &lego_certificate(&sb, "lego", "www.example.com"));
    let tls = format!("127.0.0.1:{}", acme.tls_alpn01_port);
    acme.lego(&sb, "lego", &["--tls", "--tls.port", &tls, "-d", "alpn.example.com", "--key-type", "rsa2048", "run"])
        .ok();
    verify_chain(&sb, &acme.server, &lego_certificate(&sb, "lego", "alpn.example.com"));
    // dns-01, wildcard: lego's exec provider sets the TXT record in challtestsrv.
    let script = sb.write(
        "set-txt.sh",
        format!(
            "#!/bin/sh\n[ \"$1\" = present ] && curl -s -d \"{{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}}\" http://127.0.0.1:{}/set-txt\nexit 0\n",
            acme.dns.management_port
        ),
    );
    sb.sh(&format!("chmod +x {}", script.display())).ok();
    let resolver = format!("127.0.0.1:{}", acme.dns.dns_port);
    let exec =
        [("EXEC_PATH", script.to_str().unwrap()), ("EXEC_PROPAGATION_TIMEOUT", "5"), ("EXEC_POLLING_INTERVAL", "1")];
    let dns01 = ["--dns", "exec", "--dns.resolvers", &resolver, "--dns.disable-cp", "-d", "*.wild.example.com", "run"];
    acme.lego_env(&sb, "lego", &dns01, &exec).ok();
    let wildcard = lego_certificate(&sb, "lego", "*.wild.example.com");
    let syntax = "pkix.invalid_domain_name_syntax (ERROR): Invalid domain name syntax: \"*.wild.example.com\"";
    verify_chain_but(&sb, &acme.server, &wildcard, &[syntax]);
    let text = sb.openssl(&["x509", "-in", wildcard.to_str().unwrap(), "-noout", "-ext", "subjectAltName"]).ok();
    text.out_has("DNS:*.wild.example.com");
    // Renewal: a new certificate for the same names (lego renews when fewer days than asked are left).
    let before = std::fs::read(lego_certificate(&sb, "lego", "www.example.com")).unwrap();
    acme.lego(
        &sb,
        "lego",
        &[
            "--http",
            "--http.port",
            &http,
            "-d",
            "www.example.com",
            "-d",
            "example.com",
            "renew",
            "--days",
            "365",
            "--no-random-sleep",
        ],
    )
    .ok();
    assert_ne!(std::fs::read(lego_certificate(&sb, "lego", "www.example.com")).unwrap(), before, "renewed");
    // Revocation by the account, with a reason; the CRL of the issuing CA lists it afterwards.
    acme.lego(&sb, "lego", &["-d", "alpn.example.com", "revoke", "--reason", "1"]).ok();
    // Every issuance is an ordinary request of the account's identity, audited and searchable.
    let listed =
        acme.server.request("GET", "/api/v1/search?limit=100", Some(&acme.server.manager_token(&sb)), &[], b"").json();
    let acme_requests = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["requester"].as_str().unwrap().starts_with("acme-account:"))
        .count();
    assert_eq!(acme_requests, 4, "{listed}");
}

/// Answers the http-01 challenge of `authz_url` through challtestsrv and asks for validation;
/// the authorization's JSON afterwards.
fn validate_http01(client: &RawClient<'_>, acme: &AcmeServer, authz_url: &str) -> serde_json::Value {
    let authz = client.post(authz_url, None).json();
    let challenge = authz["challenges"].as_array().unwrap().iter().find(|c| c["type"] == "http-01").unwrap().clone();
    let token = challenge["token"].as_str().unwrap();
    acme.dns.add_http01(token, &format!("{token}.{}", client.thumbprint()));
    let answered = client.post(challenge["url"].as_str().unwrap(), Some(&serde_json::json!({})));
    assert_eq!(answered.status, 200, "{}", answered.text());
    client.post(authz_url, None).json()
}

/// The requests of RFC 8555 §6 and §7 that a careless or hostile client sends, each answered with
/// its problem type; and the order flow driven by hand: finalize too early, a CSR with other
/// names, a wildcard offered dns-01 only, CAA forbidding this CA.
#[test]
fn requests_no_client_should_send_get_the_rfc_problem_types() {
    use serde_json::json;
    let sb = Sandbox::new();
    let acme = acme_server(&sb, Backend::Sqlite, true, &[("orders_per_name_per_week", "2")]);
    let server = &acme.server;
    let mut client = RawClient::new(server);
    let new_account = client.url("/new-account");

    // Garbage, a wrong media type, alg none, both jwk and kid: malformed / badSignatureAlgorithm.
    problem(&client.post_body(&new_account, b"{not json"), 400, "malformed");
    let plain = crate::server::https(
        &server.endpoint(),
        "POST",
        "/acme/new-account",
        None,
        &[("content-type", "application/json")],
        b"{}",
    )
    .unwrap();
    assert_eq!(plain.status, 415, "{}", plain.text());
    let none = json!({"alg": "none", "jwk": client.jwk(), "nonce": client.nonce(), "url": new_account});
    let body = json!({"protected": b64(none.to_string().as_bytes()), "payload": "", "signature": ""}).to_string();
    problem(&client.post_body(&new_account, body.as_bytes()), 400, "badSignatureAlgorithm");
    let both = json!({"jwk": client.jwk(), "kid": "x", "nonce": client.nonce(), "url": new_account});
    problem(&client.post_body(&new_account, &client.sign(both, Some(&json!({})))), 400, "malformed");
    // A url header that is not where the request went: unauthorized (RFC 8555 §6.4).
    let header = json!({"jwk": client.jwk(), "nonce": client.nonce(), "url": client.url("/new-order")});
    problem(&client.post_body(&new_account, &client.sign(header, Some(&json!({})))), 403, "unauthorized");
    // A replayed nonce: badNonce, with a fresh nonce that works.
    let body = client.sign(client.header(&new_account), Some(&json!({"termsOfServiceAgreed": true})));
    assert_eq!(client.post_body(&new_account, &body).status, 201);
    let replay = client.post_body(&new_account, &body);
    assert!(problem(&replay, 400, "badNonce").contains("used already"));
    assert!(replay.header("replay-nonce").is_some());
    let forged = json!({"jwk": client.jwk(), "nonce": "AAAA", "url": new_account});
    problem(&client.post_body(&new_account, &client.sign(forged, Some(&json!({})))), 400, "badNonce");
    // The existing account is found again; onlyReturnExisting for a new key is refused.
    let again = client.post(&new_account, Some(&json!({"onlyReturnExisting": true})));
    assert_eq!(again.status, 200, "{}", again.text());
    client.kid = Some(again.header("location").unwrap().to_string());
    let stranger = RawClient::new(server);
    problem(&stranger.post(&new_account, Some(&json!({"onlyReturnExisting": true}))), 400, "accountDoesNotExist");
    // A kid no account has; a signature by another key than the kid's.
    let mut ghost = RawClient::new(server);
    ghost.kid = Some(client.url("/acct/999999"));
    problem(&ghost.post(&client.url("/new-order"), Some(&json!({}))), 400, "accountDoesNotExist");
    let mut impostor = RawClient::new(server);
    impostor.kid = client.kid.clone();
    problem(&impostor.post(&client.url("/new-order"), Some(&json!({}))), 400, "malformed");
    // An oversized body is refused before it is read.
    let huge = vec![b'a'; 100 * 1024];
    assert_eq!(client.post_body(&new_account, &huge).status, 413);

    // An order; finalize before its authorization is valid: orderNotReady.
    let ordered = client
        .post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": "shop.example.com"}]})));
    assert_eq!(ordered.status, 201, "{}", ordered.text());
    let order_url = ordered.header("location").unwrap().to_string();
    let order = ordered.json();
    let finalize = order["finalize"].as_str().unwrap().to_string();
    let csr = b64(&csr_der(&sb, "shop", &["shop.example.com"]));
    problem(&client.post(&finalize, Some(&json!({"csr": csr}))), 403, "orderNotReady");
    // Another account cannot see it.
    let mut other = RawClient::new(server);
    other.register();
    assert_eq!(other.post(&order_url, None).status, 404);
    let authz = validate_http01(&client, &acme, order["authorizations"][0].as_str().unwrap());
    assert_eq!(authz["status"], "valid", "{authz}");
    assert_eq!(client.post(&order_url, None).json()["status"], "ready");
    // A CSR naming more than the order: badCSR, saying which.
    let wider = b64(&csr_der(&sb, "wide", &["shop.example.com", "admin.example.com"]));
    assert!(
        problem(&client.post(&finalize, Some(&json!({"csr": wider}))), 400, "badCSR").contains("admin.example.com")
    );
    let finalized = client.post(&finalize, Some(&json!({"csr": csr})));
    assert_eq!(finalized.status, 200, "{}", finalized.text());
    let done = client.post(&order_url, None).json();
    assert_eq!(done["status"], "valid", "{done}");
    let certificate = client.post(done["certificate"].as_str().unwrap(), None);
    assert_eq!(certificate.header("content-type"), Some("application/pem-certificate-chain"));
    assert_eq!(certificate.text().matches("BEGIN CERTIFICATE").count(), 2, "leaf and issuing CA");
    problem(&client.post(&finalize, Some(&json!({"csr": csr}))), 403, "orderNotReady");

    // A wildcard is offered dns-01 only; an address is never offered dns-01.
    let wild = client.post(
        &client.url("/new-order"),
        Some(
            &json!({"identifiers": [{"type": "dns", "value": "*.example.com"}, {"type": "ip", "value": "127.0.0.1"}]}),
        ),
    );
    assert_eq!(wild.status, 201, "{}", wild.text());
    for url in wild.json()["authorizations"].as_array().unwrap() {
        let authz = client.post(url.as_str().unwrap(), None).json();
        let kinds: Vec<&str> =
            authz["challenges"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
        if authz["wildcard"] == true {
            assert_eq!(kinds, ["dns-01"]);
        } else {
            assert_eq!((authz["identifier"]["type"].as_str(), kinds), (Some("ip"), vec!["http-01", "tls-alpn-01"]));
        }
    }
    // Identifiers the profile or RFC refuses: each one a subproblem.
    let refused = client.post(
        &client.url("/new-order"),
        Some(&json!({"identifiers": [{"type": "dns", "value": "bad..example.com"}, {"type": "email", "value": "a@example.com"}]})),
    );
    problem(&refused, 403, "compound");
    assert_eq!(refused.json()["subproblems"].as_array().unwrap().len(), 2);
    problem(
        &client.post(
            &client.url("/new-order"),
            Some(&json!({"identifiers": [{"type": "dns", "value": "x.example.com"}], "profile": "server"})),
        ),
        400,
        "invalidProfile",
    );
    // A validity window of the client's choosing: refused, saying what sets it instead.
    let dated = client.post(
        &client.url("/new-order"),
        Some(&json!({"identifiers": [{"type": "dns", "value": "x.example.com"}], "notAfter": "2030-01-01T00:00:00Z"})),
    );
    let detail = problem(&dated, 400, "malformed");
    assert!(detail.starts_with("newOrder's notAfter is not supported: profile "), "{detail}");
    assert!(detail.contains("sets the certificate's validity (") && detail.contains("without notBefore and notAfter"));
    let both = json!({"identifiers": [{"type": "dns", "value": "x.example.com"}], "notBefore": "2030-01-01T00:00:00Z", "notAfter": "2030-02-01T00:00:00Z"});
    let detail = problem(&client.post(&client.url("/new-order"), Some(&both)), 400, "malformed");
    assert!(detail.starts_with("newOrder's notBefore and notAfter are not supported"), "{detail}");

    // CAA naming another CA forbids signet; one naming signet for another account too.
    acme.dns.add_caa("forbidden.example.com", "issue", "other-ca.example");
    acme.dns.add_caa("pinned.example.com", "issue", "127.0.0.1; accounturi=https://127.0.0.1/acme/acct/1");
    for name in ["forbidden.example.com", "pinned.example.com"] {
        let ordered =
            client.post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": name}]})));
        let order = ordered.json();
        validate_http01(&client, &acme, order["authorizations"][0].as_str().unwrap());
        let csr = b64(&csr_der(&sb, name, &[name]));
        let refused = client.post(order["finalize"].as_str().unwrap(), Some(&json!({"csr": csr})));
        assert!(problem(&refused, 403, "caa").contains(name));
    }
    // Renewal information for the certificate issued above, then revocation: by a stranger
    // (refused), with a reason ACME does not take, by the certificate's own key, and again.
    let pem = certificate.text();
    let der = signet_codec::decode(pem.as_bytes()).unwrap().objects[0].der().to_vec();
    let info = signet_codec::describe::certificate(&der, time::OffsetDateTime::now_utc()).unwrap();
    let serial = from_hex(&info.serial).unwrap();
    let cert_id = format!("{}.{}", b64(&from_hex(&info.authority_key_id.clone().unwrap()).unwrap()), b64(&serial));
    let window = server.request("GET", &format!("/acme/renewal-info/{cert_id}"), None, &[], b"");
    assert_eq!(window.status, 200, "{}", window.text());
    assert!(window.header("retry-after").is_some());
    let start = window.json()["suggestedWindow"]["start"].as_str().unwrap().to_string();
    assert!(start > info.not_before && start.as_str() < info.not_after.as_str(), "{start}");
    problem(&server.request("GET", "/acme/renewal-info/AAAA.AQIDBAUGBwgJCgsM", None, &[], b""), 404, "malformed");
    let replace = |client: &RawClient<'_>| {
        client.post(
            &client.url("/new-order"),
            Some(&json!({"identifiers": [{"type": "dns", "value": "shop.example.com"}], "replaces": cert_id})),
        )
    };
    problem(&replace(&other), 403, "unauthorized");
    assert_eq!(replace(&client).status, 201);
    problem(&replace(&client), 409, "alreadyReplaced");
    // Two orders named shop.example.com this week: a third is rate limited, with Retry-After.
    let third = client
        .post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": "shop.example.com"}]})));
    problem(&third, 429, "rateLimited");
    assert!(third.header("retry-after").is_some());
    // The account's orders list holds them, newest first.
    let listed = client.post(&format!("{}/orders", client.kid.clone().unwrap()), None).json();
    assert!(listed["orders"].as_array().unwrap().iter().any(|o| o == &json!(order_url)), "{listed}");
    let revoke_url = client.url("/revoke-cert");
    let der_b64 = b64(&der);
    problem(&other.post(&revoke_url, Some(&json!({"certificate": der_b64}))), 403, "unauthorized");
    problem(&client.post(&revoke_url, Some(&json!({"certificate": der_b64, "reason": 6}))), 400, "badRevocationReason");
    let stranger_key = RawClient::new(server);
    problem(&stranger_key.post(&revoke_url, Some(&json!({"certificate": der_b64}))), 403, "unauthorized");
    let revoked = client.post(&revoke_url, Some(&json!({"certificate": der_b64, "reason": 4})));
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    problem(&client.post(&revoke_url, Some(&json!({"certificate": der_b64}))), 400, "alreadyRevoked");
    let window = server.request("GET", &format!("/acme/renewal-info/{cert_id}"), None, &[], b"").json();
    let end = window["suggestedWindow"]["end"].as_str().unwrap().to_string();
    let now = signet_model::time_text::format(time::OffsetDateTime::now_utc());
    assert!(end < now, "a revoked certificate's window has passed: {window}");

    // Key rollover: the inner JWS, signed by the new key without a nonce, names the account and
    // its old key; afterwards the new key signs for the account and the old one does not.
    let account = client.kid.clone().unwrap();
    let key_change = client.url("/key-change");
    let mut rolled = RawClient::new(server);
    let inner = rolled.sign(
        json!({"jwk": rolled.jwk(), "url": key_change}),
        Some(&json!({"account": account, "oldKey": client.jwk()})),
    );
    let inner: serde_json::Value = serde_json::from_slice(&inner).unwrap();
    let changed = client.post(&key_change, Some(&inner));
    assert_eq!(changed.status, 200, "{}", changed.text());
    rolled.kid = Some(account.clone());
    assert_eq!(rolled.post(&account, None).status, 200);
    problem(&client.post(&account, None), 400, "malformed");
    // A key another account holds: 409 with that account's URL.
    let inner = other.sign(
        json!({"jwk": other.jwk(), "url": key_change}),
        Some(&json!({"account": account, "oldKey": rolled.jwk()})),
    );
    let inner: serde_json::Value = serde_json::from_slice(&inner).unwrap();
    let conflict = rolled.post(&key_change, Some(&inner));
    assert_eq!((conflict.status, conflict.header("location")), (409, other.kid.as_deref()), "{}", conflict.text());
    let client = rolled;
    // Deactivating the account: its key is refused from then on.
    let deactivated = client.post(&account, Some(&json!({"status": "deactivated"})));
    assert_eq!(deactivated.json()["status"], "deactivated");
    problem(&client.post(&account, None), 403, "unauthorized");
    // No answer was a server error, and nothing panicked.
    assert!(!server.log_text().contains("panicked"));
}

#[test]
fn certbot_gets_a_short_lived_certificate_by_profile_and_renews() {
    let sb = Sandbox::new();
    let acme = acme_server(&sb, Backend::Sqlite, false, &[]);
    let port = acme.http01_port.to_string();
    let standalone = ["--standalone", "--http-01-address", "127.0.0.1", "--http-01-port", &port];
    let mut args =
        vec!["certonly", "--agree-tos", "--register-unsafely-without-email", "--preferred-profile", "shortlived"];
    args.extend(standalone);
    args.extend(["-d", "certbot.example.com"]);
    acme.certbot(&sb, &args).ok().out_has("Successfully received certificate");
    let live = sb.path("certbot/conf/live/certbot.example.com/fullchain.pem");
    verify_chain(&sb, &acme.server, &live);
    let dates =
        sb.openssl(&["x509", "-in", live.to_str().unwrap(), "-noout", "-startdate", "-enddate"]).ok().stdout.clone();
    let date = |key: &str| {
        let text = dates.lines().find_map(|l| l.strip_prefix(key)).unwrap().to_string();
        let format = time::macros::format_description!(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
        );
        time::PrimitiveDateTime::parse(&text, format).unwrap()
    };
    let days = (date("notAfter=") - date("notBefore=")).whole_hours();
    assert_eq!(days, 7 * 24 - 1, "the shortlived profile's 7 days (less the last second): {dates}");
    // Renewal through the renewal configuration certbot saved.
    let before = std::fs::read(&live).unwrap();
    let mut renew = vec!["renew", "--force-renewal", "--no-random-sleep-on-renew"];
    renew.extend(standalone);
    acme.certbot(&sb, &renew).ok();
    assert_ne!(std::fs::read(&live).unwrap(), before, "renewed");
    // Revoked (key compromise), the certificate's renewal window moves into the past (RFC 9773):
    // certbot asks for renewalInfo and renews at once, replacing it.
    let revoke =
        ["revoke", "--cert-name", "certbot.example.com", "--reason", "keycompromise", "--no-delete-after-revoke"];
    acme.certbot(&sb, &revoke).ok().out_has("successfully revoked");
    let revoked = std::fs::read(&live).unwrap();
    let mut ari = vec!["renew", "--no-random-sleep-on-renew"];
    ari.extend(standalone);
    acme.certbot(&sb, &ari).ok();
    assert_ne!(std::fs::read(&live).unwrap(), revoked, "renewed after revocation");
    let log = sb.read_text("certbot/logs/letsencrypt.log");
    assert!(log.contains("/acme/renewal-info/"), "certbot asked for renewal information");
}

/// An ACME profile whose certificates a Certificate Manager approves: the finalized order waits
/// as `processing` (with Retry-After) in the ordinary queue; approved, it becomes valid with its
/// certificate; denied, invalid with the manager's reason. On PostgreSQL, with two front ends.
///
/// And no order stays `processing` forever: a finalize interrupted between its claim and its
/// certificate request (the state a kill -9 or a failed database write leaves, made here in the
/// database) is settled `invalid` with a problem saying so — at the next start, or on a poll once
/// its lease has passed, by any front end — while a claim within its lease, and orders waiting
/// for a manager however old, are left alone, through a kill -9 and restart of a front end.
#[test]
fn orders_wait_for_a_certificate_manager_and_interrupted_finalizes_end() {
    use serde_json::json;
    let sb = Sandbox::new();
    let mut acme = acme_server(&sb, Backend::Postgres, true, &[]);
    acme.server.stop();
    let config = acme.server.data.join("signet.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[profiles.approved]\ndescription = \"servers a manager vouches for\"\nacme = true\nissuer = \"dev-issuing\"\nkind = \"server\"\napproval = \"manager\"\nnames = { dns = true, ip = true, internal = true }\n");
    std::fs::write(&config, text).unwrap();
    acme.server.restart();
    let directory = acme.server.request("GET", "/acme/directory", None, &[], b"").json();
    assert_eq!(directory["meta"]["profiles"]["approved"], "servers a manager vouches for");
    let mut client = RawClient::new(&acme.server);
    client.register();
    // A nonce from one front end is good on another sharing the database, once.
    let mut second = acme.server.another(&sb, "second-front-end");
    let account = client.kid.clone().unwrap();
    let header = serde_json::json!({"kid": account, "nonce": client.nonce_from(&second), "url": account});
    let body = client.sign(header, None);
    assert_eq!(client.post_body_to(&acme.server, &account, &body).status, 200);
    problem(&client.post_body_to(&second, &account, &body), 400, "badNonce");
    let poll_on = |front_end: &crate::server::Server, url: &str| {
        let header = serde_json::json!({"kid": account, "nonce": client.nonce_from(front_end), "url": url});
        let answer = client.post_body_to(front_end, url, &client.sign(header, None));
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer
    };
    let mut finalized = Vec::new();
    for name in ["approve.example.com", "deny.example.com"] {
        let ordered = client.post(
            &client.url("/new-order"),
            Some(&json!({"identifiers": [{"type": "dns", "value": name}], "profile": "approved"})),
        );
        assert_eq!(ordered.status, 201, "{}", ordered.text());
        let order_url = ordered.header("location").unwrap().to_string();
        let order = ordered.json();
        assert_eq!(order["profile"], "approved");
        validate_http01(&client, &acme, order["authorizations"][0].as_str().unwrap());
        let csr = b64(&csr_der(&sb, name, &[name]));
        let answer = client.post(order["finalize"].as_str().unwrap(), Some(&json!({"csr": csr})));
        assert_eq!(answer.json()["status"], "processing", "{}", answer.text());
        assert!(answer.header("retry-after").is_some());
        finalized.push(order_url);
    }
    // Two orders left as a finalize killed between its claim and its request leaves them: one
    // claimed ten minutes ago, one just now (its finalize may still be running on a front end).
    let mut claimed = Vec::new();
    for name in ["stale.example.com", "fresh.example.com"] {
        let ordered =
            client.post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": name}]})));
        assert_eq!(ordered.status, 201, "{}", ordered.text());
        claimed.push(ordered.header("location").unwrap().to_string());
    }
    let id_of = |url: &str| url.rsplit('/').next().unwrap().to_string();
    let sql = |sql: &str| crate::durability::query(&acme.server, Backend::Postgres, sql);
    let claim = |url: &str, age: &str| {
        sql(&format!(
            "UPDATE acme_orders SET status = 'processing', processing_since = extract(epoch from now())::bigint - {age} WHERE id = {}",
            id_of(url)
        ))
    };
    claim(&claimed[0], "600");
    claim(&claimed[1], "0");
    // The orders waiting for a manager look as old: age is not what tells them apart.
    sql("UPDATE acme_orders SET processing_since = processing_since - 600 WHERE request_id IS NOT NULL");
    let fresh = poll_on(&second, &claimed[1]);
    assert_eq!(fresh.json()["status"], "processing", "{}", fresh.text());
    assert!(fresh.header("retry-after").is_some());
    // A front end killed and started again settles the stale claim, and only it.
    second.kill9();
    second.restart();
    assert!(second.log_text().contains("1 ACME order(s) whose finalize was interrupted"), "{}", second.log_text());
    let stale = poll_on(&second, &claimed[0]).json();
    assert_eq!(stale["status"], "invalid", "{stale}");
    assert_eq!(stale["error"]["type"], "urn:ietf:params:acme:error:serverInternal", "{stale}");
    assert!(
        stale["error"]["detail"].as_str().unwrap().contains("interrupted before the certificate request"),
        "{stale}"
    );
    assert!(stale.get("certificate").is_none());
    assert_eq!(poll_on(&second, &claimed[1]).json()["status"], "processing");
    for url in &finalized {
        let waiting = poll_on(&second, url);
        assert_eq!(waiting.json()["status"], "processing", "{}", waiting.text());
        assert_eq!(waiting.header("retry-after"), Some("30"));
    }
    // Once its lease has passed, a poll on any front end settles the other claim.
    claim(&claimed[1], "600");
    assert_eq!(poll_on(&acme.server, &claimed[1]).json()["status"], "invalid");
    // An issuance interrupted after its request was stored (reserved, never signed: remade here
    // from an issued one) follows its request: still processing within the lease, then the
    // interrupted-issuance recovery burns the serial and fails the request, and the order with it.
    let ordered = client
        .post(&client.url("/new-order"), Some(&json!({"identifiers": [{"type": "dns", "value": "cut.example.com"}]})));
    let (cut_url, cut) = (ordered.header("location").unwrap().to_string(), ordered.json());
    validate_http01(&client, &acme, cut["authorizations"][0].as_str().unwrap());
    let csr = b64(&csr_der(&sb, "cut", &["cut.example.com"]));
    let issued = client.post(cut["finalize"].as_str().unwrap(), Some(&json!({"csr": csr}))).json();
    assert_eq!(issued["status"], "valid", "{issued}");
    let request = id_of(issued["certificate"].as_str().unwrap());
    sql(&format!(
        "UPDATE requests SET state = 'pending', decided_by = NULL, decided_at = NULL WHERE id = {request}; \
         UPDATE certificates SET status = 'reserved', der = NULL, sha256 = NULL, created_at = created_at - 600 WHERE request_id = {request}"
    ));
    let interrupted = poll_on(&second, &cut_url);
    assert_eq!(interrupted.json()["status"], "processing", "{}", interrupted.text());
    assert_eq!(interrupted.header("retry-after"), Some("1"));
    sql(&format!("UPDATE acme_orders SET processing_since = processing_since - 600 WHERE id = {}", id_of(&cut_url)));
    let failed = poll_on(&second, &cut_url).json();
    assert_eq!(failed["status"], "invalid", "{failed}");
    assert!(failed["error"]["detail"].as_str().unwrap().contains("issuance was interrupted"), "{failed}");
    let burnt = sql(&format!("SELECT status FROM certificates WHERE request_id = {request}"));
    assert_eq!(burnt.trim(), "abandoned");
    let queue = acme.server.cli(&sb, &["queue", "list", "--json"]).ok().json();
    let ids: Vec<String> = queue.as_array().unwrap().iter().map(|r| r["id"].to_string()).collect();
    assert_eq!(ids.len(), 2, "{queue}");
    acme.server.cli(&sb, &["queue", "approve", &ids[0]]).ok();
    acme.server.cli(&sb, &["queue", "deny", &ids[1], "--reason", "not one of ours"]).ok();
    let approved = poll_on(&second, &finalized[0]).json();
    assert_eq!(approved["status"], "valid", "{approved}");
    let chain = client.post(approved["certificate"].as_str().unwrap(), None);
    assert_eq!(chain.status, 200);
    let denied = client.post(&finalized[1], None).json();
    assert_eq!(denied["status"], "invalid", "{denied}");
    assert!(denied["error"]["detail"].as_str().unwrap().contains("not one of ours"), "{denied}");
}

/// External Account Binding with lego, and dehydrated (a third client) getting and revoking a
/// certificate with a key of its own.
#[test]
fn lego_and_dehydrated_bind_external_accounts() {
    let sb = Sandbox::new();
    let acme = acme_server(&sb, Backend::Sqlite, true, &[("eab_required", "true")]);
    let http = format!("127.0.0.1:{}", crate::server::free_port());
    let run = acme.lego(&sb, "lego", &["--http", "--http.port", &http, "-d", "eab.example.com", "run"]);
    run.code(1);
    assert!(run.stderr.contains("External Account Binding"), "{}", run.stderr);
    let key = acme.server.admin(&sb, &["acme", "eab", "create", "--name", "web team", "--json"]).ok().json();
    let (kid, hmac) = (key["key_id"].as_str().unwrap().to_string(), key["hmac_key"].as_str().unwrap().to_string());
    // A wrong MAC key is refused; the right one binds one account, once.
    let wrong = acme.lego(
        &sb,
        "lego-wrong",
        &[
            "--eab",
            "--kid",
            &kid,
            "--hmac",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "--http",
            "--http.port",
            &http,
            "-d",
            "eab.example.com",
            "run",
        ],
    );
    assert!(wrong.stderr.contains("urn:ietf:params:acme:error:unauthorized"), "{}", wrong.stderr);
    // lego answers http-01 on its own port, which this server's validator does not dial (it asks
    // challtestsrv's responder), so the order fails; the account is made and binds the key, which
    // a second account then cannot use.
    let bound = acme.lego(
        &sb,
        "lego",
        &["--eab", "--kid", &kid, "--hmac", &hmac, "--http", "--http.port", &http, "-d", "eab.example.com", "run"],
    );
    assert!(bound.stderr.contains("acme:error:incorrectResponse"), "{}", bound.stderr);
    let again = acme.lego(
        &sb,
        "lego-again",
        &["--eab", "--kid", &kid, "--hmac", &hmac, "--http", "--http.port", &http, "-d", "eab2.example.com", "run"],
    );
    assert!(again.stderr.contains("already used"), "{}", again.stderr);
    // The operator sees the key, whom it was for, and the account it is bound to; never its MAC key.
    let listed = acme.server.admin(&sb, &["acme", "eab", "list", "--json"]).ok().json();
    let entry = listed.as_array().unwrap().iter().find(|k| k["key_id"] == kid.as_str()).unwrap().clone();
    assert_eq!(entry["name"], "web team");
    assert!(entry["account_id"].as_i64().is_some(), "{entry}");
    assert!(!listed.to_string().contains(&hmac), "the MAC key is never shown again");
    acme.server.admin(&sb, &["acme", "eab", "list"]).ok().out_has("web team").out_has("account ");
    // A bound key is spent; an unused one is withdrawn, and then cannot bind an account.
    acme.server.admin(&sb, &["acme", "eab", "withdraw", &kid]).code(2).err_has("bound to ACME account");
    let spare = acme.server.admin(&sb, &["acme", "eab", "create", "--name", "spare", "--json"]).ok().json();
    let (spare_kid, spare_hmac) = (spare["key_id"].as_str().unwrap(), spare["hmac_key"].as_str().unwrap());
    acme.server.admin(&sb, &["acme", "eab", "withdraw", spare_kid]).ok().out_has("withdrawn");
    acme.server.admin(&sb, &["acme", "eab", "withdraw", spare_kid]).code(2).err_has("there is no EAB key");
    let withdrawn = acme.lego(
        &sb,
        "lego-withdrawn",
        &[
            "--eab",
            "--kid",
            spare_kid,
            "--hmac",
            spare_hmac,
            "--http",
            "--http.port",
            &http,
            "-d",
            "eab3.example.com",
            "run",
        ],
    );
    assert!(withdrawn.stderr.contains("urn:ietf:params:acme:error:unauthorized"), "{}", withdrawn.stderr);

    // dehydrated (a Bash client on curl), with an EAB key of its own and a hook that hands its
    // http-01 answer to challtestsrv.
    let key = acme.server.admin(&sb, &["acme", "eab", "create", "--name", "dehydrated"]).ok();
    // The client lines name the directory; with eab_required there is nothing to add.
    key.out_has(&format!("lego --server {} --eab --kid ", acme.directory()));
    assert!(!key.stderr.contains("eab_required"), "{}", key.stderr);
    let field = |name: &str| key.stdout.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim().to_string();
    let hook = sb.write(
        "hook.sh",
        format!(
            "#!/bin/sh\n# dehydrated hook: deploy_challenge DOMAIN TOKEN KEYAUTH\n[ \"$1\" = deploy_challenge ] || exit 0\ncurl -s -d \"{{\\\"token\\\":\\\"$3\\\",\\\"content\\\":\\\"$4\\\"}}\" http://127.0.0.1:{}/add-http01 >/dev/null\n",
            acme.dns.management_port
        ),
    );
    std::fs::create_dir_all(sb.path("wellknown")).unwrap();
    std::fs::create_dir_all(sb.path("dehydrated")).unwrap();
    let config = sb.write(
        "dehydrated.conf",
        format!(
            "CA=\"{}\"\nCHALLENGETYPE=\"http-01\"\nWELLKNOWN=\"{}\"\nBASEDIR=\"{}\"\nHOOK=\"{}\"\nEAB_KID=\"{}\"\nEAB_HMAC_KEY=\"{}\"\nCURL_OPTS=\"--cacert {}\"\nKEY_ALGO=\"prime256v1\"\n",
            acme.directory(),
            sb.path("wellknown").display(),
            sb.path("dehydrated").display(),
            hook.display(),
            field("key id:"),
            field("HMAC key:"),
            acme.server.roots().display()
        ),
    );
    sb.sh(&format!("chmod +x {}", hook.display())).ok();
    let dehydrated = |args: &[&str]| {
        let out = std::process::Command::new(tool("dehydrated"))
            .args(["-f", config.to_str().unwrap()])
            .args(args)
            .current_dir(sb.dir())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "dehydrated {args:?}:\n{text}");
        text
    };
    dehydrated(&["--register", "--accept-terms"]);
    dehydrated(&["-c", "-d", "dehydrated.example.com"]);
    let certificate = sb.path("dehydrated/certs/dehydrated.example.com/fullchain.pem");
    verify_chain(&sb, &acme.server, &certificate);
    let cert = sb.path("dehydrated/certs/dehydrated.example.com/cert.pem");
    assert!(dehydrated(&["-r", cert.to_str().unwrap()]).contains("Done"));
}
