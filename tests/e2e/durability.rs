//! What a CA promises under faults: SIGKILL in the middle of an issuance load, then every invariant
//! checked on the database itself; and two `signet serve` front ends on one PostgreSQL database.
//!
//! Invariants (ca-requirements §2.6): every certificate a client received is in the database,
//! byte for byte, as issued; no serial is used twice; every issued certificate is the TBS recorded
//! before signing, signed; every issued request has exactly one certificate; leftovers of an
//! interrupted issuance are burnt serials, never reused; the audit chain is intact.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use signet_codec::public_key::sha256_hex;
use x509_parser::prelude::FromDer;

use crate::server::{Backend, Endpoint, Server, https, make_csr, submit_body};
use crate::support::{Sandbox, tool};

/// A certificate a client was given: request id → SHA-256 of the DER it downloaded.
type Received = Arc<Mutex<HashMap<String, String>>>;

/// Clients issuing from the auto-approving test profile as fast as they can until `stop`,
/// counting answers other than 201 in `refused` (a kill shows as a broken connection, never as
/// an answer).
fn load(
    endpoint: Endpoint,
    token: String,
    csr: String,
    received: Received,
    refused: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    clients: usize,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..clients)
        .map(|_| {
            let (endpoint, token, csr, received, refused, stop) =
                (endpoint.clone(), token.clone(), csr.clone(), received.clone(), refused.clone(), stop.clone());
            std::thread::spawn(move || {
                let json = [("content-type", "application/json")];
                while !stop.load(Ordering::Relaxed) {
                    let Ok(response) =
                        https(&endpoint, "POST", "/api/v1/requests", Some(&token), &json, &submit_body("test", &csr))
                    else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    if response.status != 201 {
                        refused.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let id = response.json()["id"].to_string();
                    let path = format!("/api/v1/requests/{id}/certificate?format=der");
                    if let Ok(cert) = https(&endpoint, "GET", &path, Some(&token), &[], b"")
                        && cert.status == 200
                    {
                        received.lock().unwrap().insert(id, sha256_hex(&cert.body));
                    }
                }
            })
        })
        .collect()
}

/// Rows of the `certificates` table: (ca_id, serial, request_id, status, tbs, der).
type Row = (String, String, String, String, Vec<u8>, Option<Vec<u8>>);

/// Runs `sql` on the server's database with its own command-line client; the rows, tab-separated.
pub(crate) fn query(server: &Server, backend: Backend, sql: &str) -> String {
    let output = match backend {
        Backend::Sqlite => std::process::Command::new(tool("sqlite3"))
            .args(["-separator", "\t", server.sqlite_path().to_str().unwrap(), sql])
            .output(),
        Backend::Postgres => {
            let url = server.database_url().expect("a PostgreSQL server");
            std::process::Command::new(tool("psql")).args([url, "-At", "-F", "\t", "-c", sql]).output()
        }
    }
    .unwrap();
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn certificate_rows(server: &Server, backend: Backend) -> Vec<Row> {
    let hex = match backend {
        Backend::Sqlite => ("hex(tbs)", "hex(der)"),
        Backend::Postgres => ("encode(tbs, 'hex')", "encode(der, 'hex')"),
    };
    let text = query(
        server,
        backend,
        &format!("SELECT ca_id, serial, request_id, status, {}, COALESCE({}, '') FROM certificates", hex.0, hex.1),
    );
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let decode = |h: &str| {
                (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect::<Vec<u8>>()
            };
            let der = if f[5].is_empty() { None } else { Some(decode(f[5])) };
            (f[0].into(), f[1].into(), f[2].into(), f[3].into(), decode(f[4]), der)
        })
        .collect()
}

fn check_invariants(server: &Server, backend: Backend, sb: &Sandbox, received: &HashMap<String, String>) {
    // Requests first: an issuance commits its certificate with its request's state, so every
    // request found issued here has its certificate among the rows read next, even while a
    // background issuance (a delegated OCSP responder's) completes in between.
    let issued_requests = query(server, backend, "SELECT id, state FROM requests WHERE state = 'issued'");
    let rows = certificate_rows(server, backend);
    // No serial used twice by one CA.
    let mut serials = HashSet::new();
    for (ca, serial, ..) in &rows {
        assert!(serials.insert((ca.clone(), serial.clone())), "serial {serial} of CA {ca} appears twice");
    }
    // Issued certificates are the recorded TBS, signed; each issued request has one certificate.
    let mut issued_by_request: HashMap<String, String> = HashMap::new();
    for (_, serial, request, status, tbs, der) in &rows {
        match status.as_str() {
            "issued" => {
                let der = der.as_ref().unwrap_or_else(|| panic!("issued serial {serial} has no certificate"));
                let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).unwrap();
                assert_eq!(
                    cert.tbs_certificate.as_ref(),
                    tbs.as_slice(),
                    "serial {serial}: signed TBS differs from the recorded one"
                );
                assert!(
                    issued_by_request.insert(request.clone(), sha256_hex(der)).is_none(),
                    "request {request} has two certificates"
                );
            }
            "reserved" | "abandoned" => assert!(der.is_none(), "unissued serial {serial} carries a certificate"),
            other => panic!("unknown status {other}"),
        }
    }
    // Every certificate a client saw is in the database, byte for byte.
    for (request, fingerprint) in received {
        assert_eq!(
            issued_by_request.get(request),
            Some(fingerprint),
            "request {request}: the client's certificate is not the stored one"
        );
    }
    for line in issued_requests.lines() {
        let id = line.split('\t').next().unwrap();
        assert!(issued_by_request.contains_key(id), "request {id} is issued but has no certificate");
    }
    if backend == Backend::Sqlite {
        assert_eq!(query(server, backend, "PRAGMA integrity_check").trim(), "ok");
    }
    let report = server.admin(sb, &["audit", "verify", "--json"]);
    assert_eq!(report.ok().json()["intact"], true);
}

fn kill_during_load(backend: Backend) {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, backend);
    let csr = make_csr(&sb, "load", "ec-p256", "load.example.com", &[]);
    let received: Received = Arc::new(Mutex::new(HashMap::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let mut seed = 0x9e37_79b9_u64;
    for round in 0..4 {
        let before = received.lock().unwrap().len();
        let stop = Arc::new(AtomicBool::new(false));
        let workers = load(
            server.endpoint(),
            server.admin_token(),
            csr.clone(),
            received.clone(),
            refused.clone(),
            stop.clone(),
            6,
        );
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        std::thread::sleep(Duration::from_millis(300 + (seed >> 33) % 500));
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(received.lock().unwrap().len() > before, "round {round}: no certificate was issued before the kill");
        server.restart();
    }
    server.stop();
    let received = received.lock().unwrap().clone();
    assert_eq!(refused.load(Ordering::Relaxed), 0, "answers other than 201 Created during the load");
    check_invariants(&server, backend, &sb, &received);
    // After the restarts no reservation is left in flight on SQLite (one process, nothing to wait for).
    if backend == Backend::Sqlite {
        let rows = certificate_rows(&server, backend);
        assert!(rows.iter().all(|r| r.3 != "reserved"), "reservations survived recovery");
    }
}

#[test]
fn sigkill_during_issuance_keeps_every_invariant_on_sqlite() {
    kill_during_load(Backend::Sqlite);
}

#[test]
fn sigkill_during_issuance_keeps_every_invariant_on_postgres() {
    kill_during_load(Backend::Postgres);
}

#[test]
fn two_front_ends_share_one_postgres_database() {
    let sb = Sandbox::new();
    let first = Server::start(&sb, Backend::Postgres);
    let second = first.another(&sb, "second");
    let token = first.manager_token(&sb);
    let csr = make_csr(&sb, "two", "ec-p256", "two.example.com", &[]);
    // Issue from both at once.
    let received: Received = Arc::new(Mutex::new(HashMap::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers =
        load(first.endpoint(), token.clone(), csr.clone(), received.clone(), refused.clone(), stop.clone(), 3);
    workers.extend(load(
        second.endpoint(),
        token.clone(),
        csr.clone(),
        received.clone(),
        refused.clone(),
        stop.clone(),
        3,
    ));
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    // A request submitted to one is approved on the other and fetched from the first.
    let pending = first.submit(&token, "server", &csr).json();
    let id = pending["id"].to_string();
    assert_eq!(second.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&token), &[], b"").status, 200);
    assert_eq!(second.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&token), &[], b"").status, 409);
    assert_eq!(first.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&token), &[], b"").status, 409);
    let cert = first.request("GET", &format!("/api/v1/requests/{id}/certificate"), Some(&token), &[], b"");
    assert_eq!(cert.status, 200);
    let received = received.lock().unwrap().clone();
    assert!(received.len() > 20, "only {} certificates issued", received.len());
    assert_eq!(refused.load(Ordering::Relaxed), 0, "answers other than 201 Created during the load");
    check_invariants(&first, Backend::Postgres, &sb, &received);
}

/// A client that hangs up while its certificate is being made does not cut the issuance short.
/// With a slow (RSA-4096) issuing key, which signs between two trips to the store, clients close
/// their connections right after sending: every request that arrived ends issued, none is left
/// pending with a reserved serial until the next start.
#[test]
fn clients_hanging_up_do_not_cut_issuances_short() {
    use std::io::Write;
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    let init = ["ca", "init", "--name", "rsa-issuing", "--parent", "dev-root", "--cn", "RSA Issuing CA"];
    server.admin(&sb, &[&init[..], &["--alg", "rsa-4096"]].concat()).ok();
    let config = server.data.join("signet.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[profiles.rsa]\nissuer = \"rsa-issuing\"\nkind = \"server\"\napproval = \"auto\"\n");
    std::fs::write(&config, text).unwrap();
    server.restart();
    // The new CA's delegated OCSP responder is issued in the background after the start: let
    // that finish, so the pending requests counted below are only the clients'.
    crate::support::wait_for("rsa-issuing's OCSP responder", || {
        server.log_text().lines().any(|l| l.contains("delegated OCSP responder issued") && l.contains("rsa-issuing"))
    });
    let token = server.admin_token();
    let csr = make_csr(&sb, "leaf", "ec-p256", "www.example.com", &[]);
    let body = submit_body("rsa", &csr);
    let head = format!(
        "POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    for n in 0..30u64 {
        let mut stream = server.endpoint().connect().unwrap();
        if n % 10 == 9 {
            // Every tenth client waits for its answer, so some issuances certainly got through
            // however loaded the machine (a hang-up before the server read the request, which
            // a busy machine makes likely, cuts nothing short but issues nothing either).
            let waiting = head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
            stream.write_all(&[waiting.as_bytes(), &body].concat()).unwrap();
            let mut answer = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stream, &mut answer);
            assert!(answer.starts_with(b"HTTP/1.1 20"), "{}", String::from_utf8_lossy(&answer));
            continue;
        }
        stream.write_all(&[head.as_bytes(), &body].concat()).unwrap();
        stream.flush().unwrap();
        // Hang up at different moments of the issuance.
        std::thread::sleep(Duration::from_millis(n % 10));
        drop(stream);
    }
    let count = |state: &str| {
        let found = server.request("GET", &format!("/api/v1/search?state={state}&limit=100"), Some(&token), &[], b"");
        found.json().as_array().map_or(0, Vec::len)
    };
    // Issuances still under way finish within moments; a cut one would stay pending for good.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count("pending") > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if count("pending") > 0 {
        let pending = server.request("GET", "/api/v1/search?state=pending&limit=100", Some(&token), &[], b"");
        panic!(
            "requests left pending by clients that hung up: {}\n{}",
            String::from_utf8_lossy(&pending.body),
            server.log_text()
        );
    }
    assert!(count("issued") > 0, "no request got through to be issued");
    check_invariants(&server, Backend::Sqlite, &sb, &HashMap::new());
}
