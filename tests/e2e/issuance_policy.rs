//! Issuance policy through the real server: names a public profile must refuse (internal names,
//! reserved addresses, wildcards under a public suffix) per profile, CSR subjects and keys every
//! profile must refuse (the corpus in tests/corpus/policy, made by tests/corpus/make-policy.sh),
//! and the subject the queue shows being the one the certificate holds.

use std::path::{Path, PathBuf};

use crate::server::{Backend, Server};
use crate::support::Sandbox;

/// Every profile `signet serve` writes on first start.
const SHIPPED: [&str; 4] = ["server", "client", "test", "subca"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/policy")
}

/// A server with the shipped profiles plus a publicly trusted one, added as docs/CONFIG.md says.
fn server_with_public_profile(sb: &Sandbox) -> Server {
    let mut server = Server::start(sb, Backend::Sqlite);
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let public = "\n[profiles.public]\nissuer = \"dev-issuing\"\nkind = \"server\"\napproval = \"auto\"\npolicies = [\"2.23.140.1.2.1\"]\n";
    std::fs::write(&config, format!("{text}{public}")).unwrap();
    server.restart();
    server
}

#[test]
fn corpus_subjects_and_keys_are_refused_by_every_shipped_profile() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let admin = server.admin_token();
    let expected = std::fs::read_to_string(corpus().join("EXPECTED")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, text) = line.split_once('\t').unwrap_or_else(|| panic!("bad EXPECTED line {line:?}"));
        let pem = std::fs::read_to_string(corpus().join(file)).unwrap();
        for profile in SHIPPED {
            let response = server.submit(&admin, profile, &pem);
            if text == "accept" {
                assert_eq!(response.status, 201, "{file} to {profile}: {}", response.text());
                continue;
            }
            assert_eq!(response.status, 422, "{file} to {profile}: {}", response.text());
            assert_eq!(response.header("content-type"), Some("application/problem+json"), "{file}");
            let detail = response.json()["detail"].as_str().unwrap_or_default().to_string();
            assert!(detail.contains(text), "{file} to {profile}: {detail:?} lacks {text:?}");
            assert!(!detail.contains("does not verify"), "{file}: the key type comes before the signature");
            assert!(!detail.contains('\n') && !detail.contains('\0'), "{file}: one clean line: {detail:?}");
        }
        // Reading the file never fails or panics either, and prints no raw control characters.
        let shown = sb.signet(&["inspect", corpus().join(file).to_str().unwrap()]);
        shown.code(0);
        let raw = shown.stdout.contains(['\0', '\u{1b}']) || shown.stdout.lines().any(|l| l.starts_with("X-Injected"));
        assert!(!raw, "{file}: inspect printed raw control characters:\n{}", shown.stdout);
        checked += 1;
    }
    let files = std::fs::read_dir(corpus()).unwrap().count() - 1;
    assert_eq!(checked, files, "every corpus file must have an EXPECTED line");
}

/// `signet csr new` refuses the same values with the same words as the CA.
#[test]
fn csr_new_and_the_ca_refuse_with_the_same_words() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let admin = server.admin_token();
    sb.signet(&["key", "new", "--out", "k.pem"]).ok();
    let cases: [(&str, &[&str]); 3] = [
        ("subject-o-65.pem", &["--org", &"o".repeat(65)]),
        ("subject-example-inc.pem", &["--org", "Example Inc"]),
        ("subject-cn-path.pem", &["--cn", "www.example.com/login"]),
    ];
    for (file, flags) in cases {
        let mut args = vec!["csr", "new", "--key", "k.pem", "--san", "www.example.com"];
        args.extend_from_slice(flags);
        let cli = sb.signet(&args);
        cli.code(2);
        let cli_message = cli.stderr.trim().trim_start_matches("error: ").to_string();
        let pem = std::fs::read_to_string(corpus().join(file)).unwrap();
        let detail = server.submit(&admin, "client", &pem).json()["detail"].as_str().unwrap().to_string();
        assert_eq!(detail, cli_message, "{file}");
    }
}

/// (name as given to openssl, profile, expected: "accept" or text of the refusal)
const NAMES: &[(&str, &str, &str)] = &[
    // The private server profile takes internal names and addresses.
    ("DNS:intranet", "server", "accept"),
    ("DNS:printer.local", "server", "accept"),
    ("DNS:db.internal", "server", "accept"),
    ("DNS:localhost", "server", "accept"),
    ("DNS:build.corp", "server", "accept"),
    ("IP:10.0.0.5", "server", "accept"),
    ("IP:192.168.1.20", "server", "accept"),
    // The private client profile takes internal host names, but no addresses or wildcards.
    ("DNS:printer.local", "client", "accept"),
    ("IP:10.0.0.5", "client", "does not issue ip names"),
    // Public-shaped profiles refuse them, naming why.
    ("DNS:intranet", "test", "a single label is an internal name"),
    ("DNS:printer.local", "test", ".local is reserved for special use (RFC 6762"),
    ("DNS:db.internal", "test", ".internal is reserved for special use"),
    ("DNS:localhost", "test", "a single label is an internal name"),
    ("DNS:app.localhost", "test", ".localhost is reserved for special use"),
    ("DNS:build.corp", "test", ".corp is not a top-level domain of the public DNS"),
    ("DNS:router.home.arpa", "test", ".home.arpa is reserved for special use"),
    ("IP:10.0.0.5", "test", "10.0.0.0/8 is private-use (RFC 1918)"),
    ("IP:127.0.0.1", "test", "127.0.0.0/8 is loopback"),
    ("IP:169.254.10.1", "test", "169.254.0.0/16 is link-local"),
    ("IP:fd12::1", "test", "fc00::/7 is unique local"),
    ("IP:8.8.8.8", "test", "accept"),
    ("DNS:intranet", "public", "a single label is an internal name"),
    ("DNS:build.corp", "public", "names.internal = true"),
    ("DNS:db.internal", "subca", "names.internal = true"),
    // No profile issues a wildcard directly under a public suffix.
    ("DNS:*.co.uk", "server", "would cover every domain registered under co.uk"),
    ("DNS:*.github.io", "server", "under github.io, a public suffix"),
    ("DNS:*.appspot.com", "test", "under appspot.com, a public suffix"),
    ("DNS:*.co.uk", "public", "under co.uk, a public suffix"),
    ("DNS:*.github.io", "subca", "under github.io, a public suffix"),
    ("DNS:*.co.uk", "client", "does not issue wildcard certificates"),
    // What a public CA issues.
    ("DNS:*.example.co.uk", "public", "accept"),
    ("DNS:*.me.github.io", "test", "accept"),
    ("DNS:www.example.com", "public", "accept"),
];

#[test]
fn internal_names_and_public_suffix_wildcards_per_profile() {
    let sb = Sandbox::new();
    let server = server_with_public_profile(&sb);
    let admin = server.admin_token();
    sb.openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem"]).ok();
    for (index, (san, profile, expected)) in NAMES.iter().enumerate() {
        let file = format!("n{index}.csr");
        sb.openssl(&[
            "req",
            "-new",
            "-key",
            "k.pem",
            "-subj",
            "/O=Policy Test Ltd",
            "-addext",
            &format!("subjectAltName={san}"),
            "-out",
            &file,
        ])
        .ok();
        let response = server.submit(&admin, profile, &sb.read_text(&file));
        if *expected == "accept" {
            assert_eq!(response.status, 201, "{san} to {profile}: {}", response.text());
            let state = if matches!(*profile, "test" | "public") { "issued" } else { "pending" };
            assert_eq!(response.json()["state"], state, "{san} to {profile}");
        } else {
            assert_eq!(response.status, 422, "{san} to {profile}: {}", response.text());
            assert!(response.text().contains(expected), "{san} to {profile}: {} lacks {expected:?}", response.text());
        }
    }
}

/// The queue, the request and search show the subject as the certificate will hold it: the
/// profile's rendering of the checked CSR subject, not the CSR's text.
#[test]
fn the_queue_shows_the_subject_the_certificate_holds() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    let admin = server.admin_token();
    let manager = server.manager_token(&sb);
    let json = [("content-type", "application/json")];
    let pem = std::fs::read_to_string(corpus().join("subject-bmp-accepted.pem")).unwrap();
    for (profile, subject) in
        [("client", "C=GB, O=Z\u{fc}rich Ltd, CN=www.example.com"), ("server", "CN=www.example.com")]
    {
        let submitted = server.submit(&admin, profile, &pem).json();
        assert_eq!(submitted["subject"], subject, "{profile}: {submitted}");
        let id = submitted["id"].to_string();
        let queue = server.request("GET", "/api/v1/queue", Some(&manager), &[], b"").json();
        let listed = queue.as_array().unwrap().iter().find(|r| r["id"] == submitted["id"]).cloned().unwrap();
        assert_eq!(listed["subject"], subject, "{profile}: {listed}");
        let approved = server.request("POST", &format!("/api/v1/requests/{id}/approve"), Some(&manager), &json, b"");
        assert_eq!(approved.status, 200, "{}", approved.text());
        let view = server.request("GET", &format!("/api/v1/requests/{id}"), Some(&admin), &[], b"").json();
        assert_eq!(view["subject"], subject);
        assert_eq!(view["certificate"]["subject"], subject, "{profile}: the certificate holds what was shown");
        let found = server.request("GET", &format!("/api/v1/search?request_id={id}"), Some(&admin), &[], b"").json();
        assert!(found.to_string().contains(&serde_json::to_string(subject).unwrap()), "{found}");
    }
}
