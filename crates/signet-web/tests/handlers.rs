//! Handler tests: the whole router in process over a temporary SQLite store with the development
//! CAs, a fixed clock and tokens for each role. Each test checks the status, the problem document
//! and what a client relies on (headers, JSON fields); the server's connection handling is tested
//! end to end (tests/e2e/slow_clients.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // tests assert by panicking

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use signet_authority::{Authority, AuthoritySettings};
use signet_model::{FixedClock, Role};
use signet_store_sql::SqlStore;
use signet_web::{AppState, Limits};
use time::macros::datetime;

const PASSPHRASE: &str = "handler-test-passphrase";
const CSR: &str = include_str!("../../../tests/corpus/good/leaf.csr");

/// The router and a token per role.
struct Api {
    app: Router,
    /// The plain-HTTP listener's application.
    plain: Router,
    admin: String,
    enrollee: String,
    auditor: String,
    _dir: tempfile::TempDir,
}

/// What came back.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem document of `status` and `slug`; returns its detail.
    #[track_caller]
    fn problem(&self, status: u16, slug: &str) -> String {
        let document = self.json();
        assert_eq!(self.status.as_u16(), status, "{document}");
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        assert_eq!(document["type"], format!("https://signet.dev/problems/{slug}"), "{document}");
        assert_eq!(document["status"], status);
        document["detail"].as_str().unwrap().to_string()
    }
}

fn test_limits() -> Limits {
    Limits { max_body_bytes: 8 * 1024, max_header_bytes: 4096, ..Limits::default() }
}

async fn api_with(limits: Limits) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-06-01 12:00 UTC)));
    // The corpus CSR names a documentation address: the test profile takes internal names here.
    let config = signet_config::default_text("127.0.0.1:8443", None, Some("https://ca.example.com")).replace(
        "names = { dns = true, ip = true, wildcard = true, internal = false }",
        "names = { dns = true, ip = true, wildcard = true, internal = true }",
    );
    let settings = signet_config::parse(&config, dir.path()).unwrap();
    let store = Arc::new(SqlStore::open_sqlite(&dir.path().join("signet.db")).await.unwrap());
    let urls = signet_issuance::Urls { base: Some(settings.listeners.http_public_url.clone()), ..Default::default() };
    let keys = Arc::new(signet_authority::SoftwareCaKeys::new(PASSPHRASE.to_string().into()));
    signet_authority::ca_admin::bootstrap_development(store.as_ref(), clock.as_ref(), &urls, keys.as_ref())
        .await
        .unwrap();
    let token = |name: &'static str, roles: &'static [Role]| {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            signet_authority::create_token(store.as_ref(), clock.as_ref(), "system", name, roles, false).await.unwrap()
        }
    };
    let admin = token("admin", &[Role::CaAdministrator, Role::CertificateManager]).await;
    let enrollee = token("enrollee", &[Role::Enrollee]).await;
    let auditor = token("auditor", &[Role::Auditor]).await;
    let authority = Authority::load(
        store,
        AuthoritySettings {
            profiles: settings.profiles,
            urls,
            strict_role_separation: false,
            weak_keys: Arc::new(signet_issuance::WeakKeys::load(&[]).unwrap()),
            crl: signet_authority::CrlPolicy::default(),
            ocsp: signet_authority::OcspPolicy::default(),
        },
        keys,
        clock.clone(),
    )
    .await
    .unwrap();
    let state = AppState { authority: Arc::new(authority), store_stats: None, limits, clock };
    Api {
        app: signet_web::router(state.clone()),
        plain: signet_web::plain_router(state, Vec::new(), "https://ca.example.test:8443/"),
        admin,
        enrollee,
        auditor,
        _dir: dir,
    }
}

async fn api() -> Api {
    api_with(test_limits()).await
}

impl Api {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = TowerToHyperService::new(self.app.clone()).call(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: axum::body::to_bytes(body, 1 << 20).await.unwrap(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post_json(&self, path: &str, token: &str, body: Value) -> Answer {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    async fn submit(&self, token: &str, profile: &str) -> Answer {
        self.post_json("/api/v1/requests", token, serde_json::json!({"profile": profile, "csr": CSR})).await
    }
}

#[tokio::test]
async fn health_metrics_and_unknown_routes() {
    let api = api().await;
    let health = api.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["database"], "ok");
    let id: u64 = health.header("x-request-id").unwrap().parse().unwrap();
    let next: u64 = api.get("/healthz", None).await.header("x-request-id").unwrap().parse().unwrap();
    assert!(next > id, "each request has its own id");
    let metrics = api.get("/metrics", None).await;
    assert!(String::from_utf8_lossy(&metrics.body).contains("signet_requests_submitted_total 0"));

    let detail = api.get("/nope", None).await.problem(404, "not-found");
    assert!(detail.contains("/api/v1"), "{detail}");
    let wrong = api.send(Request::delete("/healthz").body(Body::empty()).unwrap()).await;
    wrong.problem(405, "method-not-allowed");
    assert_eq!(wrong.header("allow"), Some("GET,HEAD"));
    api.get("/api/v1/requests/1/approve", Some(&api.admin)).await.problem(405, "method-not-allowed");
    api.get("/api/v1/cas/nope/certificate", None).await.problem(404, "not-found");
    let cas = api.get("/api/v1/cas", None).await.json();
    assert_eq!(cas.as_array().unwrap().len(), 3);
    let der = api.get("/ca/dev-issuing.crt", None).await;
    assert_eq!((der.status, der.header("content-type")), (StatusCode::OK, Some("application/pkix-cert")));
    api.get("/ca/dev-issuing.pem", None).await.problem(404, "not-found");
    api.get("/api/v1/cas/dev-root/certificate?format=jpeg", None).await.problem(400, "malformed");
}

#[tokio::test]
async fn authentication_and_roles_are_problems_too() {
    let api = api().await;
    let missing = api.get("/api/v1/queue", None).await;
    missing.problem(401, "unauthenticated");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer realm=\"signet\""));
    api.get("/api/v1/queue", Some("not-a-token")).await.problem(401, "unauthenticated");
    let basic = Request::get("/api/v1/queue").header(header::AUTHORIZATION, "Basic YTpi").body(Body::empty()).unwrap();
    api.send(basic).await.problem(401, "unauthenticated");
    api.get("/api/v1/queue", Some(&api.enrollee)).await.problem(403, "forbidden");
    api.get("/api/v1/audit", Some(&api.admin)).await.problem(403, "forbidden");
    api.post_json("/api/v1/tokens", &api.enrollee, serde_json::json!({"name": "x", "roles": ["auditor"]}))
        .await
        .problem(403, "forbidden");
    let created =
        api.post_json("/api/v1/tokens", &api.admin, serde_json::json!({"name": "bob", "roles": ["enrollee"]})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let bob = created.json()["token"].as_str().unwrap().to_string();
    assert_eq!(api.submit(&bob, "test").await.status, StatusCode::CREATED, "a new token works at once");
    api.post_json("/api/v1/tokens", &api.admin, serde_json::json!({"name": "eve", "roles": ["emperor"]}))
        .await
        .problem(400, "malformed");
}

#[tokio::test]
async fn submission_retrieval_and_decisions() {
    let api = api().await;
    let issued = api.submit(&api.enrollee, "test").await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.json());
    let body = issued.json();
    assert_eq!(body["state"], "issued");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(issued.header("location"), Some(format!("/api/v1/requests/{id}").as_str()));
    let status = api.get(&format!("/api/v1/requests/{id}"), Some(&api.enrollee)).await;
    assert_eq!(status.json()["state"], "issued");
    let pem = api.get(&format!("/api/v1/requests/{id}/certificate"), Some(&api.enrollee)).await;
    assert_eq!(pem.header("content-type"), Some("application/pem-certificate-chain"));
    assert_eq!(
        String::from_utf8_lossy(&pem.body).matches("BEGIN CERTIFICATE").count(),
        1,
        "the test root has no intermediate"
    );
    let der = api.get(&format!("/api/v1/requests/{id}/certificate?format=der"), Some(&api.enrollee)).await;
    assert_eq!(der.header("content-type"), Some("application/pkix-cert"));
    api.get(&format!("/api/v1/requests/{id}/certificate?format=gif"), Some(&api.enrollee))
        .await
        .problem(400, "malformed");
    // The retrieval token alone reads the request.
    let retrieval = body["retrieval_token"].as_str().unwrap();
    let by_token = Request::get(format!("/api/v1/requests/{id}"))
        .header("x-signet-retrieval-token", retrieval)
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.send(by_token).await.json()["state"], "issued");
    let wrong = Request::get(format!("/api/v1/requests/{id}"))
        .header("x-signet-retrieval-token", "rt_wrong")
        .body(Body::empty())
        .unwrap();
    assert!(api.send(wrong).await.status.is_client_error());

    // A server certificate waits for a manager, who approves once.
    let pending = api.submit(&api.enrollee, "server").await.json();
    assert_eq!(pending["state"], "pending");
    let pending_id = pending["id"].as_i64().unwrap();
    let queue = api.get("/api/v1/queue", Some(&api.admin)).await.json();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let approve = format!("/api/v1/requests/{pending_id}/approve");
    api.post_json(&approve, &api.enrollee, serde_json::json!({})).await.problem(403, "forbidden");
    api.post_json(&approve, &api.admin, serde_json::json!({"names": ["dns:bad..name"]}))
        .await
        .problem(400, "malformed");
    assert_eq!(api.post_json(&approve, &api.admin, serde_json::json!({})).await.json()["state"], "issued");
    api.post_json(&approve, &api.admin, serde_json::json!({})).await.problem(409, "conflict");
    let deny = format!("/api/v1/requests/{pending_id}/deny");
    api.post_json(&deny, &api.admin, serde_json::json!({"reason": "late"})).await.problem(409, "conflict");
    api.post_json(&deny, &api.admin, serde_json::json!({"why": "late"})).await.problem(400, "malformed");

    // Bodies that cannot be read.
    api.post_json("/api/v1/requests", &api.enrollee, serde_json::json!({"profile": "test"}))
        .await
        .problem(400, "malformed");
    api.post_json("/api/v1/requests", &api.enrollee, serde_json::json!({"profile": "nope", "csr": CSR}))
        .await
        .problem(404, "not-found");
    let text = Request::post("/api/v1/requests")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.enrollee))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(CSR))
        .unwrap();
    assert!(api.send(text).await.problem(400, "malformed").contains("application/pkcs10"));
    let raw = Request::post("/api/v1/requests?profile=test")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.enrollee))
        .header(header::CONTENT_TYPE, "application/pkcs10")
        .body(Body::from(CSR))
        .unwrap();
    assert_eq!(api.send(raw).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn request_ids_and_limits_are_read_strictly() {
    let api = api().await;
    let id = api.submit(&api.enrollee, "test").await.json()["id"].as_i64().unwrap();
    assert_eq!(api.get(&format!("/api/v1/requests/{id}"), Some(&api.admin)).await.status, StatusCode::OK);
    for spelling in
        [format!("0{id}"), format!("+{id}"), format!("%20{id}"), format!("{id}%20"), "0".into(), "-1".into()]
    {
        let detail = api.get(&format!("/api/v1/requests/{spelling}"), Some(&api.admin)).await.problem(404, "not-found");
        assert!(detail.contains("is not a request ID"), "{spelling}: {detail}");
    }
    let search = |query: String| {
        let api = &api;
        async move { api.get(&format!("/api/v1/search?{query}"), Some(&api.admin)).await }
    };
    search(format!("request_id=0{id}")).await.problem(400, "malformed");
    assert_eq!(search(format!("request_id={id}")).await.json().as_array().unwrap().len(), 1);
    for limit in ["0", "1001", "%2B5", "05", "%205", "-1", "", "99999999999999999999"] {
        let detail = search(format!("limit={limit}")).await.problem(400, "malformed");
        assert!(detail.contains("from 1 to 1000"), "limit={limit}: {detail}");
    }
    assert_eq!(search("limit=1000".into()).await.status, StatusCode::OK);
    assert_eq!(search("limit=1".into()).await.json().as_array().unwrap().len(), 1);
    search("colour=blue".into()).await.problem(400, "malformed");
    // Name searches match what is written: LIKE wildcards are plain characters.
    assert_eq!(search("name=www.example".into()).await.json().as_array().unwrap().len(), 1);
    for wildcard in ["%25", "_", "www_example", "%5C", "www%25com"] {
        assert_eq!(search(format!("name={wildcard}")).await.json().as_array().unwrap().len(), 0, "name={wildcard}");
    }

    let audit = |query: &'static str| {
        let api = &api;
        async move { api.get(&format!("/api/v1/audit?{query}"), Some(&api.auditor)).await }
    };
    assert_eq!(audit("from=1&limit=2").await.json().as_array().unwrap().len(), 2);
    for query in ["limit=0", "limit=1001", "limit=+2", "from=0", "from=-1", "from=01"] {
        audit(query).await.problem(400, "malformed");
    }
}

#[tokio::test]
async fn profiles_show_validity_in_days() {
    let api = api().await;
    let profiles = api.get("/api/v1/profiles", None).await.json();
    let profile = |name: &str| profiles.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap().clone();
    let test = profile("test");
    assert_eq!((test["validity_days"].as_i64(), test["validity_configured"].as_bool()), (Some(21), Some(true)));
    assert!(test.get("validity").is_none(), "no [seconds, nanoseconds] pair: {test}");
    // On 2026-06-01 the CA/Browser Forum allows 200 days; a server profile without a setting
    // issues for one day less.
    let server = profile("server");
    assert_eq!((server["validity_days"].as_i64(), server["validity_configured"].as_bool()), (Some(199), Some(false)));
    assert_eq!(profile("client")["validity_days"], 365);
}

#[tokio::test]
async fn oversized_and_slow_requests_get_their_own_problems() {
    let api = api_with(Limits { body_read_timeout: Duration::from_millis(200), ..test_limits() }).await;
    let big = serde_json::json!({"profile": "test", "csr": "A".repeat(16 * 1024)});
    let detail = api.post_json("/api/v1/requests", &api.enrollee, big).await.problem(413, "too-large");
    assert!(detail.contains("8192 bytes"), "{detail}");

    let padding = "a".repeat(4096);
    let request = Request::get("/healthz").header("x-padding", padding).body(Body::empty()).unwrap();
    let detail = api.send(request).await.problem(431, "header-too-large");
    assert!(detail.contains("at most 4096") && detail.contains("server.max_header_bytes"), "{detail}");
    let mut many = Request::get("/healthz");
    for i in 0..=signet_web::MAX_HEADERS {
        many = many.header(format!("x-field-{i}"), "1");
    }
    let detail = api.send(many.body(Body::empty()).unwrap()).await.problem(431, "header-too-large");
    assert!(detail.contains("101 header fields"), "{detail}");

    // A body that never ends: 408, and the connection is to be closed.
    let endless = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
    let request = Request::post("/api/v1/requests")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.enrollee))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(endless))
        .unwrap();
    let stalled = api.send(request).await;
    stalled.problem(408, "request-timeout");
    assert_eq!(stalled.header("connection"), Some("close"));
    // Unauthenticated, the body is never waited for.
    let anonymous = Request::post("/api/v1/requests")
        .body(Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>()))
        .unwrap();
    api.send(anonymous).await.problem(401, "unauthenticated");
}

/// Collects what the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_request_is_traced_with_route_actor_status_and_latency() {
    let api = api().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The process-wide subscriber (no other test sets one): a thread-scoped one raced the other
    // tests' threads over the callsites' cached interest and sometimes captured nothing. Other
    // tests' requests are logged here too; this test reads only the lines of its own requests.
    tracing::subscriber::set_global_default(subscriber).expect("no other test sets a subscriber");
    let answer = api.get("/api/v1/queue", Some(&api.admin)).await;
    let id = answer.header("x-request-id").unwrap().to_string();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("request answered") && l.contains(&format!("request_id={id}")))
        .unwrap_or_else(|| panic!("{log}"));
    for field in [
        "method=GET".to_string(),
        "route=/api/v1/queue".into(),
        "actor=admin".into(),
        "status=200".into(),
        "latency_ms=".into(),
    ] {
        assert!(line.contains(&field), "{field} missing from {line}");
    }
    // A request ID in the path is not logged as the route: the pattern is.
    let answer = api.get("/api/v1/requests/7", Some(&api.admin)).await;
    let id = answer.header("x-request-id").unwrap().to_string();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("request answered") && l.contains(&format!("request_id={id}")))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("route=/api/v1/requests/{id}"), "{line}");
    assert!(!log.contains(&api.admin), "a token never reaches the log");
}

/// One API shape: times are RFC 3339 strings at whole seconds wherever they appear, an audit
/// entry's details are a JSON object, profiles name key types as signet.toml does, and optional
/// bodies may be empty on every endpoint that takes one.
#[tokio::test]
async fn times_details_and_empty_bodies_have_one_shape() {
    let api = api().await;
    let pending = api.submit(&api.enrollee, "server").await.json();
    assert_eq!(pending["submitted_at"], "2026-06-01T12:00:00Z");
    let id = pending["id"].as_i64().unwrap();
    let empty = |path: String| {
        Request::post(path).header(header::AUTHORIZATION, format!("Bearer {}", api.admin)).body(Body::empty()).unwrap()
    };
    let answer = api.send(empty(format!("/api/v1/requests/{id}/deny"))).await;
    answer.problem(400, "malformed");
    assert!(answer.json()["detail"].as_str().unwrap().contains("needs a reason"), "{}", answer.json());
    let approved = api.send(empty(format!("/api/v1/requests/{id}/approve"))).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.json());
    assert_eq!(approved.json()["decided_at"], "2026-06-01T12:00:00Z");
    let audit = api.get("/api/v1/audit?limit=1000", Some(&api.auditor)).await.json();
    let entries = audit.as_array().unwrap();
    assert!(!entries.is_empty());
    for entry in entries {
        let at = entry["at"].as_str().unwrap_or_else(|| panic!("at is not a string: {entry}"));
        assert!(signet_model::time_text::parse(at).is_ok() && at.ends_with('Z') && at.len() == 20, "{at}");
        assert!(entry["details"].is_object(), "details is not an object: {entry}");
    }
    let profiles = api.get("/api/v1/profiles", None).await.json();
    let server = profiles.as_array().unwrap().iter().find(|p| p["name"] == "server").unwrap();
    assert_eq!(server["key_types"], serde_json::json!(["rsa", "ec-p256", "ec-p384"]));
    assert!(server.get("keys").is_none() && server.get("validity").is_none(), "{server}");
    // Time parameters take a plain date as the CLI does.
    let found = api.get("/api/v1/search?expires_after=2026-06-02", Some(&api.admin)).await;
    assert_eq!(found.status, StatusCode::OK);
}

#[tokio::test]
async fn the_plain_listener_serves_only_relying_party_files() {
    let api = api().await;
    let plain = |path: &'static str| {
        let app = api.plain.clone();
        async move {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let response = TowerToHyperService::new(app).call(request).await.unwrap();
            let (parts, body) = response.into_parts();
            Answer {
                status: parts.status,
                headers: parts.headers,
                body: axum::body::to_bytes(body, 1 << 20).await.unwrap(),
            }
        }
    };
    let ca = plain("/ca/dev-issuing.crt").await;
    assert_eq!((ca.status.as_u16(), ca.header("content-type")), (200, Some("application/pkix-cert")));
    assert_eq!(ca.body, api.get("/ca/dev-issuing.crt", None).await.body, "the same file on both listeners");
    for path in ["/api/v1/cas", "/healthz", "/metrics", "/api/v1/requests/1"] {
        let detail = plain(path).await.problem(404, "not-found");
        assert!(detail.contains(&format!("HTTPS listener: https://ca.example.test:8443{path}")), "{path}: {detail}");
    }
}
