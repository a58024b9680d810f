//! Routes and handlers.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use signet_authority::{Access, Actor, Kind};
use signet_codec::ObjectKind;
use signet_model::{Identifier, RequestId, RequestState, Role, Serial};
use signet_store::Query;
use tracing::Instrument;

use crate::AppState;
use crate::problem::{ApiResult, Problem};

pub(crate) fn routes() -> axum::Router<AppState> {
    relying_party_routes()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/cas", get(list_cas))
        .route("/api/v1/cas/{name}/certificate", get(ca_certificate))
        .route("/api/v1/profiles", get(list_profiles))
        .route("/api/v1/requests", post(submit))
        .route("/api/v1/requests/{id}", get(status))
        .route("/api/v1/requests/{id}/certificate", get(certificate))
        .route("/api/v1/requests/{id}/approve", post(approve))
        .route("/api/v1/requests/{id}/deny", post(deny))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/search", get(search))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/audit", get(audit_entries))
        .route("/api/v1/audit/verify", get(verify_audit))
        .route("/api/v1/certificates", get(crate::revocation::with_serial))
        .route("/api/v1/certificates/{ca}/{serial}", get(crate::revocation::status))
        .route("/api/v1/certificates/{ca}/{serial}/revoke", post(crate::revocation::revoke))
        .route("/api/v1/certificates/{ca}/{serial}/unrevoke", post(crate::revocation::release_hold))
        .route("/api/v1/requests/{id}/revoke", post(crate::revocation::revoke_request))
        .route("/api/v1/requests/{id}/unrevoke", post(crate::revocation::release_hold_of_request))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// What relying parties fetch without TLS (RFC 5280 practice: a client checking a chain cannot
/// depend on TLS to the CA that the check is about): CA certificates (caIssuers), and CRLs and
/// OCSP as they are added. The only routes of the plain-HTTP listener; the HTTPS one serves them
/// too.
fn relying_party_routes() -> axum::Router<AppState> {
    axum::Router::new().route("/ca/{file}", get(ca_certificate_file))
}

/// The plain-HTTP listener's routes: [`relying_party_routes`] and nothing else; anything else
/// is a 404 naming the same path on the HTTPS listener at `https_url`.
pub(crate) fn plain_routes(https_url: &str) -> axum::Router<AppState> {
    let https_url = https_url.trim_end_matches('/').to_string();
    relying_party_routes()
        .fallback(move |uri: axum::http::Uri| plain_not_found(https_url.clone(), uri))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn plain_not_found(https_url: String, uri: axum::http::Uri) -> Problem {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Problem::new(
        Kind::NotFound,
        format!(
            "this plain-HTTP listener serves only CA certificates, CRLs and OCSP; the API and ACME are on the HTTPS listener: {https_url}{path}"
        ),
    )
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}

async fn not_found() -> Problem {
    Problem::new(Kind::NotFound, "no such endpoint; the API is under /api/v1 (see docs/API.md)")
}

/// The request body as bytes, read within the body timeout, with the size limit and the timeout
/// turned into problem documents.
pub(crate) struct Body(pub(crate) Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = Problem;
    async fn from_request(request: Request, state: &AppState) -> Result<Self, Problem> {
        let timeout = state.limits.body_read_timeout;
        match tokio::time::timeout(timeout, Bytes::from_request(request, state)).await {
            Err(_) => Err(Problem::body_timeout(timeout)),
            Ok(Ok(bytes)) => Ok(Body(bytes)),
            Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Problem::too_large(state.limits.max_body_bytes))
            }
            Ok(Err(rejection)) => Err(Problem::malformed(format!("cannot read the request body: {rejection}"))),
        }
    }
}

/// Query parameters, with parse failures as problem documents.
pub(crate) struct Params(pub(crate) HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| Problem::malformed(format!("bad query string: {e}")))
    }
}

/// Runs a change to its end even if the client hangs up meanwhile. Hyper drops the handler of a
/// connection that closed; an issuance dropped between its reservation and its certificate would
/// leave its request pending, its serial reserved, until the next start.
pub(crate) async fn detached<T: Send + 'static>(
    change: impl Future<Output = Result<T, signet_authority::AuthorityError>> + Send + 'static,
) -> ApiResult<T> {
    match tokio::spawn(change.in_current_span()).await {
        Ok(result) => Ok(result?),
        Err(e) => {
            tracing::error!(error = %e, "a state change stopped unexpectedly");
            Err(Problem::new(Kind::Internal, "the change stopped unexpectedly; see the server log"))
        }
    }
}

pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| Problem::malformed(format!("the JSON body is invalid: {e}")))
}

/// A JSON body that may be left out: an empty (or blank) body reads as `T::default()`, the same on
/// every endpoint whose body is optional.
fn optional_json_body<T: DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { json_body(body) }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The holder of the API token in `Authorization: Bearer`.
pub(crate) struct Authenticated(pub(crate) Actor);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| Problem::new(Kind::Unauthenticated, "send an API token: Authorization: Bearer TOKEN"))?;
        let actor = state.authority.authenticate(token).await?;
        crate::trace::record_actor(&actor.name);
        Ok(Authenticated(actor))
    }
}

/// Who asks about a request: its retrieval token (`X-Signet-Retrieval-Token`), else an API token.
pub(crate) enum Caller {
    Actor(Actor),
    RetrievalToken(String),
}

impl Caller {
    pub(crate) fn access(&self) -> Access<'_> {
        match self {
            Caller::Actor(a) => Access::Actor(a),
            Caller::RetrievalToken(t) => Access::RetrievalToken(t),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if let Some(token) = parts.headers.get("x-signet-retrieval-token").and_then(|v| v.to_str().ok()) {
            crate::trace::record_actor("(retrieval token)");
            return Ok(Caller::RetrievalToken(token.trim().to_string()));
        }
        Ok(Caller::Actor(Authenticated::from_request_parts(parts, state).await?.0))
    }
}

/// A path segment (`{name}`, `{file}`), with an undecodable one as a problem document.
struct Segment(String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(text)| Segment(text))
            .map_err(|e| Problem::new(Kind::NotFound, format!("bad path: {e}")))
    }
}

/// The `{id}` of a request route.
pub(crate) struct Id(pub(crate) RequestId);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Ok(Id(request_id(&Segment::from_request_parts(parts, state).await?.0)?))
    }
}

fn request_id(text: &str) -> ApiResult<RequestId> {
    text.parse::<RequestId>().map_err(|e| Problem::new(Kind::NotFound, e))
}

async fn health(State(state): State<AppState>) -> Response {
    match state.authority.store().audit_head().await {
        Ok(_) => Json(crate::health::with_crls(&state.authority).await).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "degraded", "database": "unavailable"})),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let m = state.authority.metrics();
    let mut text = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"));
    };
    counter("signet_requests_submitted_total", "Certificate requests accepted.", m.submitted.load(Ordering::Relaxed));
    counter("signet_certificates_issued_total", "Certificates issued.", m.issued.load(Ordering::Relaxed));
    counter(
        "signet_requests_denied_total",
        "Requests denied by a Certificate Manager.",
        m.denied.load(Ordering::Relaxed),
    );
    counter(
        "signet_requests_rejected_total",
        "Submissions refused as malformed or by policy.",
        m.rejected.load(Ordering::Relaxed),
    );
    counter(
        "signet_certificates_revoked_total",
        "Certificates revoked (holds included).",
        m.revoked.load(Ordering::Relaxed),
    );
    counter(
        "signet_crls_published_total",
        "CRLs signed and stored by this front end.",
        m.crls_published.load(Ordering::Relaxed),
    );
    if let Some(stats) = &state.store_stats {
        let (batches, operations) = stats();
        counter("signet_store_commits_total", "Database transactions committed by the writer (group commit).", batches);
        counter("signet_store_operations_total", "State changes written.", operations);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn list_cas(State(state): State<AppState>) -> Response {
    Json(state.authority.cas()).into_response()
}

/// The profiles as configured, keys and validity named as signet.toml names them, the validity in
/// whole days: as configured
/// (`validity_configured`), else what a certificate issued now gets (the CA/Browser Forum limit
/// for server certificates, 365 days for others).
async fn list_profiles(State(state): State<AppState>) -> ApiResult<Response> {
    let now = state.clock.now();
    let views = state
        .authority
        .profiles()
        .into_iter()
        .map(|profile| {
            let mut view = serde_json::to_value(profile).map_err(|e| Problem::new(Kind::Internal, e.to_string()))?;
            if let Some(fields) = view.as_object_mut() {
                // Named as signet.toml names them.
                fields.remove("keys");
                fields.insert("key_types".into(), profile.keys.type_names().into());
                fields.insert("rsa_min_bits".into(), profile.keys.rsa_min_bits.into());
                fields.insert("rsa_max_bits".into(), profile.keys.rsa_max_bits.into());
                fields.remove("validity");
                fields.insert("validity_days".into(), profile.validity_at(now).whole_days().into());
                fields.insert("validity_configured".into(), profile.validity.is_some().into());
            }
            Ok(view)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(views).into_response())
}

fn pem_response(text: String, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn der_response(bytes: Vec<u8>, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

async fn ca_certificate(
    State(state): State<AppState>,
    Segment(name): Segment,
    Params(params): Params,
) -> ApiResult<Response> {
    let der = state.authority.ca_certificate(&name)?;
    Ok(match params.get("format").map(String::as_str) {
        None | Some("pem") => pem_response(signet_codec::pem::encode("CERTIFICATE", &der), "application/x-pem-file"),
        Some("der") => der_response(der, "application/pkix-cert"),
        Some(other) => return Err(Problem::malformed(format!("format={other} is not pem or der"))),
    })
}

/// `GET /ca/NAME.crt`: the caIssuers URL in issued certificates (DER, RFC 5280 §4.2.2.1).
async fn ca_certificate_file(State(state): State<AppState>, Segment(file): Segment) -> ApiResult<Response> {
    let name =
        file.strip_suffix(".crt").ok_or_else(|| Problem::new(Kind::NotFound, "CA certificates are at /ca/NAME.crt"))?;
    Ok(der_response(state.authority.ca_certificate(name)?, "application/pkix-cert"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    profile: String,
    csr: String,
}

/// Reads a CSR in any encoding, refusing other kinds of object by name (P30).
fn csr_der(bytes: &[u8]) -> ApiResult<Vec<u8>> {
    let decoded = signet_codec::decode(bytes)
        .map_err(|e| Problem::new(Kind::Malformed, format!("the CSR cannot be read: {e}")))?;
    decoded.single(ObjectKind::CertificateRequest).map(<[u8]>::to_vec).map_err(|e| Problem::malformed(e.to_string()))
}

async fn submit(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    headers: HeaderMap,
    Params(params): Params,
    Body(body): Body,
) -> ApiResult<Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (profile, csr) = if content_type.starts_with("application/json") {
        let body: SubmitBody = json_body(&body)?;
        (body.profile, csr_der(body.csr.as_bytes())?)
    } else if content_type.starts_with("application/pkcs10") || content_type.starts_with("application/x-pem-file") {
        let profile =
            params.get("profile").cloned().ok_or_else(|| Problem::malformed("give the profile: ?profile=NAME"))?;
        (profile, csr_der(&body)?)
    } else {
        return Err(Problem::malformed(
            "send JSON {\"profile\": ..., \"csr\": PEM} with Content-Type: application/json, or the CSR with Content-Type: application/pkcs10 and ?profile=NAME",
        ));
    };
    let authority = state.authority.clone();
    let submitted = detached(async move { authority.submit(&actor, &profile, &csr).await }).await?;
    let location = format!("/api/v1/requests/{}", submitted.request.id);
    let mut response = (StatusCode::CREATED, Json(&submitted)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn status(State(state): State<AppState>, Id(id): Id, caller: Caller) -> ApiResult<Response> {
    Ok(Json(state.authority.status(caller.access(), id).await?).into_response())
}

async fn certificate(
    State(state): State<AppState>,
    Id(id): Id,
    caller: Caller,
    Params(params): Params,
) -> ApiResult<Response> {
    let issued = state.authority.certificate(caller.access(), id).await?;
    // The chain above it: the CA's own (0, the default), another of its paths (alternate chains
    // through cross-certificates, numbered as `signet ca show` lists them), or none.
    let paths = issued.chains();
    let chosen = match params.get("chain").map(String::as_str) {
        None | Some("true") => Some(0),
        Some("false") => None,
        Some(n) => Some(bounded("chain (true, false or a chain number)", n, 0, paths - 1)?),
    };
    let (intermediates, root) = chosen.and_then(|n| issued.chain(n)).unwrap_or((&[], None));
    let mut response = match params.get("format").map(String::as_str) {
        None | Some("pem") => {
            let mut text = signet_codec::pem::encode("CERTIFICATE", &issued.certificate);
            for ca in intermediates {
                text.push_str(&signet_codec::pem::encode("CERTIFICATE", ca));
            }
            pem_response(text, "application/pem-certificate-chain")
        }
        Some("der") => der_response(issued.certificate.clone(), "application/pkix-cert"),
        Some("p7b") => {
            let mut all = vec![issued.certificate.clone()];
            all.extend(intermediates.iter().cloned());
            all.extend(root.map(<[u8]>::to_vec));
            let der = signet_codec::pkcs7::bundle(&all).map_err(|e| Problem::new(Kind::Internal, e.to_string()))?;
            der_response(der, "application/pkcs7-mime")
        }
        Some(other) => return Err(Problem::malformed(format!("format={other} is not pem, der or p7b"))),
    };
    // The other chains, as ACME names them (RFC 8555 §7.4.2).
    let others = if paths > 1 { 0..paths } else { 0..0 };
    for n in others.filter(|n| Some(*n) != chosen) {
        let url = format!("</api/v1/requests/{id}/certificate?chain={n}>;rel=\"alternate\"");
        if let Ok(value) = HeaderValue::from_str(&url) {
            response.headers_mut().append(header::LINK, value);
        }
    }
    Ok(response)
}

async fn queue(State(state): State<AppState>, Authenticated(actor): Authenticated) -> ApiResult<Response> {
    Ok(Json(state.authority.queue(&actor).await?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    #[serde(default)]
    names: Option<Vec<String>>,
}

async fn approve(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Id(id): Id,
    Body(body): Body,
) -> ApiResult<Response> {
    let body: ApproveBody = optional_json_body(&body)?;
    let names = match body.names {
        Some(list) => Some(
            list.iter()
                .map(|n| Identifier::parse_san(n).map_err(|e| Problem::malformed(format!("names: {e}"))))
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        None => None,
    };
    let authority = state.authority.clone();
    let approved = detached(async move { authority.approve(&actor, id, names).await }).await?;
    Ok(Json(approved).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DenyBody {
    /// Required: the authority answers a missing or blank reason with what to send.
    #[serde(default)]
    reason: String,
}

async fn deny(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Id(id): Id,
    Body(body): Body,
) -> ApiResult<Response> {
    let body: DenyBody = optional_json_body(&body)?;
    Ok(Json(state.authority.deny(&actor, id, &body.reason).await?).into_response())
}

/// Most search results one request may ask for (the store's documented bound on
/// [`Query::limit`]); more is refused rather than quietly cut.
const SEARCH_PAGE_LIMIT: u32 = 1000;

/// A query parameter holding a whole number from `low` to `high`, written plainly (digits only:
/// no sign, spaces or leading zeros), or a problem naming the parameter and the range.
fn bounded<T>(name: &str, text: &str, low: T, high: T) -> ApiResult<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    match text.parse::<T>() {
        Ok(n) if plain && n >= low && n <= high => Ok(n),
        _ => Err(Problem::malformed(format!("{name}: {text:?} is not a whole number from {low} to {high}"))),
    }
}

pub(crate) fn parse_time(name: &str, text: &str) -> ApiResult<time::OffsetDateTime> {
    signet_model::time_text::parse(text).map_err(|e| Problem::malformed(format!("{name}: {e}")))
}

async fn search(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Params(params): Params,
) -> ApiResult<Response> {
    let mut query = Query::default();
    for (key, value) in &params {
        match key.as_str() {
            "request_id" => {
                query.request_id = Some(
                    request_id(value)
                        .map_err(|_| Problem::malformed(format!("request_id: {value:?} is not a request ID")))?,
                )
            }
            "serial" => {
                query.serial = Some(Serial::parse_hex(value).map_err(|e| Problem::malformed(format!("serial: {e}")))?)
            }
            "name" => query.name = Some(value.clone()),
            "state" => {
                query.state = Some(
                    RequestState::parse(value)
                        .ok_or_else(|| Problem::malformed("state: use pending, issued, denied or failed"))?,
                )
            }
            "requester" => query.requester = Some(value.clone()),
            "fingerprint" => {
                query.fingerprint = Some(value.parse().map_err(|e| Problem::malformed(format!("fingerprint: {e}")))?)
            }
            "expires_after" => query.expires_after = Some(parse_time(key, value)?),
            "expires_before" => query.expires_before = Some(parse_time(key, value)?),
            "limit" => query.limit = Some(bounded(key, value, 1, SEARCH_PAGE_LIMIT)?),
            "revoked" => query.revoked = Some(value.parse().map_err(|_| Problem::malformed("revoked: true or false"))?),
            "reason" => {
                query.reason = Some(
                    signet_model::RevocationReason::parse(value)
                        .map_err(|e| Problem::malformed(format!("reason: {e}")))?,
                )
            }
            other => {
                return Err(Problem::malformed(format!(
                    "unknown search parameter {other:?}; use request_id, serial, name, state, requester, fingerprint, expires_after, expires_before, revoked, reason, limit"
                )));
            }
        }
    }
    if query.revoked == Some(false) && query.reason.is_some() {
        return Err(Problem::malformed("reason selects revoked certificates: leave out revoked=false"));
    }
    Ok(Json(state.authority.search(&actor, &query).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
    roles: Vec<String>,
}

async fn create_token(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Body(body): Body,
) -> ApiResult<Response> {
    let body: TokenBody = json_body(&body)?;
    let roles =
        body.roles.iter().map(|r| r.parse::<Role>().map_err(Problem::malformed)).collect::<ApiResult<Vec<_>>>()?;
    let secret = state.authority.create_token(&actor, &body.name, &roles).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"name": body.name, "roles": body.roles, "token": secret})))
        .into_response())
}

async fn audit_entries(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Params(params): Params,
) -> ApiResult<Response> {
    let from = params.get("from").map(|v| bounded("from", v, 1, i64::MAX)).transpose()?;
    let limit = match params.get("limit") {
        Some(v) => bounded("limit", v, 1, signet_authority::AUDIT_PAGE_LIMIT)?,
        None => 100,
    };
    Ok(Json(state.authority.audit_entries(&actor, from, limit).await?).into_response())
}

async fn verify_audit(State(state): State<AppState>, Authenticated(actor): Authenticated) -> ApiResult<Response> {
    Ok(Json(state.authority.verify_audit(&actor).await?).into_response())
}
