//! Revocation over the JSON API: a certificate's status, revoking it (by CA and serial or by
//! request), releasing a hold. Each handler reads the request into the authority's terms and
//! calls it; who may do what is the authority's decision.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use signet_authority::{CertificateRef, Kind};
use signet_model::{RevocationReason, Serial};

use crate::AppState;
use crate::api::{Authenticated, Body, Caller, Id, Params, detached, json_body, parse_time};
use crate::problem::{ApiResult, Problem};

/// The `{ca}/{serial}` of a certificate route.
pub(crate) struct CertificatePath(CertificateRef);

impl<S: Send + Sync> FromRequestParts<S> for CertificatePath {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path((ca, serial)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::new(Kind::NotFound, format!("bad path: {e}")))?;
        let serial = Serial::parse_hex(&serial).map_err(|e| Problem::new(Kind::NotFound, e.to_string()))?;
        Ok(CertificatePath(CertificateRef::Serial { ca, serial }))
    }
}

/// The body of a revocation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    reason: String,
    #[serde(default)]
    invalidity_date: Option<String>,
}

/// A revocation's reason and invalidity date, read from its body.
fn revocation(body: &[u8]) -> ApiResult<(RevocationReason, Option<time::OffsetDateTime>)> {
    if body.is_empty() {
        return Err(Problem::malformed(
            "send JSON {\"reason\": \"keyCompromise\"} (and optionally \"invalidity_date\": an RFC 3339 time)",
        ));
    }
    let body: RevokeBody = json_body(body)?;
    let reason = RevocationReason::parse(&body.reason).map_err(|e| Problem::malformed(format!("reason: {e}")))?;
    let invalidity_date = body.invalidity_date.as_deref().map(|t| parse_time("invalidity_date", t)).transpose()?;
    Ok((reason, invalidity_date))
}

/// `GET /api/v1/certificates/{ca}/{serial}`: good, revoked (when, why) or expired.
pub(crate) async fn status(
    State(state): State<AppState>,
    CertificatePath(target): CertificatePath,
    caller: Caller,
) -> ApiResult<Response> {
    Ok(Json(state.authority.certificate_status(caller.access(), &target).await?).into_response())
}

/// `GET /api/v1/certificates?serial=HEX`: the certificates with that serial under any CA.
pub(crate) async fn with_serial(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params,
) -> ApiResult<Response> {
    let serial = params.get("serial").ok_or_else(|| Problem::malformed("give the serial: ?serial=HEX"))?;
    let serial = Serial::parse_hex(serial).map_err(|e| Problem::malformed(format!("serial: {e}")))?;
    Ok(Json(state.authority.certificates_with_serial(caller.access(), &serial).await?).into_response())
}

/// `POST /api/v1/certificates/{ca}/{serial}/revoke`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    CertificatePath(target): CertificatePath,
    caller: Caller,
    Body(body): Body,
) -> ApiResult<Response> {
    let (reason, invalidity_date) = revocation(&body)?;
    let authority = state.authority.clone();
    let revoked =
        detached(async move { authority.revoke(caller.access(), &target, reason, invalidity_date).await }).await?;
    Ok(Json(revoked).into_response())
}

/// `POST /api/v1/requests/{id}/revoke`: the certificate issued for a request.
pub(crate) async fn revoke_request(
    State(state): State<AppState>,
    Id(id): Id,
    caller: Caller,
    Body(body): Body,
) -> ApiResult<Response> {
    let (reason, invalidity_date) = revocation(&body)?;
    let authority = state.authority.clone();
    let target = CertificateRef::Request(id);
    let revoked =
        detached(async move { authority.revoke(caller.access(), &target, reason, invalidity_date).await }).await?;
    Ok(Json(revoked).into_response())
}

/// `POST /api/v1/certificates/{ca}/{serial}/unrevoke`: releases a hold.
pub(crate) async fn release_hold(
    State(state): State<AppState>,
    CertificatePath(target): CertificatePath,
    Authenticated(actor): Authenticated,
) -> ApiResult<Response> {
    let authority = state.authority.clone();
    let released = detached(async move { authority.release_hold(&actor, &target).await }).await?;
    Ok(Json(released).into_response())
}

/// `POST /api/v1/requests/{id}/unrevoke`: releases the hold on the certificate issued for a request.
pub(crate) async fn release_hold_of_request(
    State(state): State<AppState>,
    Id(id): Id,
    Authenticated(actor): Authenticated,
) -> ApiResult<Response> {
    let authority = state.authority.clone();
    let target = CertificateRef::Request(id);
    let released = detached(async move { authority.release_hold(&actor, &target).await }).await?;
    Ok(Json(released).into_response())
}
