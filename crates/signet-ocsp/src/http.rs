//! OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5-6): `POST` with the DER request as the body,
//! `GET` with it base64- and URL-encoded in the path. Every answer is `200 OK` with an
//! `application/ocsp-response` body — errors included, as OCSP statuses. Signed responses to a
//! GET carry `Cache-Control`, `ETag`, `Last-Modified` and `Expires` for caches and CDNs
//! (RFC 5019 §6.2), and a matching `If-None-Match` gets 304.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use signet_codec::ocsp::OcspResponseStatus;
use time::OffsetDateTime;

use crate::request::MAX_REQUEST;
use crate::{Answer, OcspService};

/// The responder's routes: `/ocsp` (POST) and `/ocsp/{request}` (GET); with `at_root`, also `/`
/// and `/{request}`, for a responder on a host of its own (`signet ocsp serve`).
/// The responder on its own (`signet ocsp serve`): OCSP at `/` and `/ocsp`, and `/healthz`, which
/// answers 503 while the database does not.
pub fn standalone_router(service: Arc<OcspService>) -> Router {
    let health = service.clone();
    router(service, true).route(
        "/healthz",
        get(move || {
            let service = health.clone();
            async move {
                match service.store.audit_head().await {
                    Ok(_) => axum::Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response(),
                    Err(_) => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(serde_json::json!({"status": "degraded", "database": "unavailable"})),
                    )
                        .into_response(),
                }
            }
        }),
    )
}

/// The OCSP routes (at `/ocsp`, and at `/` too when `at_root`).
pub fn router(service: Arc<OcspService>, at_root: bool) -> Router {
    let mut router = Router::new()
        .route("/ocsp", post(by_post))
        .route("/ocsp/", post(by_post))
        .route("/ocsp/{*request}", get(by_get));
    if at_root {
        router = router.route("/", post(by_post)).route("/{*request}", get(by_get));
    }
    router.with_state(service)
}

async fn by_post(State(service): State<Arc<OcspService>>, request: Request) -> Response {
    let body = match axum::body::to_bytes(request.into_body(), MAX_REQUEST).await {
        Ok(body) => body,
        Err(_) => return respond(&service, Answer::error(OcspResponseStatus::MalformedRequest), None),
    };
    let answer = service.answer(&body).await;
    respond(&service, answer, None)
}

async fn by_get(State(service): State<Arc<OcspService>>, headers: HeaderMap, request: Request<Body>) -> Response {
    // The raw path: base64 may hold '/', and '+' must not become a space.
    let path = request.uri().path();
    let encoded = path.strip_prefix("/ocsp/").unwrap_or_else(|| path.trim_start_matches('/'));
    let der = percent_decode(encoded).and_then(|text| decode_base64(&text));
    let answer = match der {
        Some(der) => service.answer(&der).await,
        None => Answer::error(OcspResponseStatus::MalformedRequest),
    };
    respond(&service, answer, Some(&headers))
}

/// `%XX` sequences decoded; None if one is broken or the result is not text.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Base64 as RFC 6960 Appendix A.1 sends it (standard alphabet), padded or not; the URL-safe
/// alphabet is read too.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD].iter().find_map(|engine| engine.decode(text).ok())
}

/// The HTTP response for an answer; caching headers for a signed response to a GET.
fn respond(service: &OcspService, answer: Answer, get_headers: Option<&HeaderMap>) -> Response {
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/ocsp-response"))];
    let (Some(request_headers), Some((this_update, next_update))) = (get_headers, answer.cacheable) else {
        return (content_type, answer.der).into_response();
    };
    let now = service.clock.now();
    let max_age = (next_update - now).min(service.settings.refresh).whole_seconds().max(0);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &answer.der);
    let etag = format!("\"{}\"", hex::encode(digest.as_ref().get(..16).unwrap_or_default()));
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (content_type, answer.der).into_response()
    };
    let headers = response.headers_mut();
    let mut set = |name, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(header::CACHE_CONTROL, format!("max-age={max_age}, public, no-transform, must-revalidate"));
    set(header::ETAG, etag);
    set(header::LAST_MODIFIED, http_date(this_update));
    set(header::EXPIRES, http_date(next_update));
    response
}

/// An HTTP date (RFC 9110 §5.6.7).
fn http_date(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_decode_as_clients_send_them() {
        assert_eq!(percent_decode("MEQw%2BQ%3D%3D").as_deref(), Some("MEQw+Q=="));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(decode_base64("MEQw+Q==").unwrap(), vec![0x30, 0x44, 0x30, 0xf9]);
        assert_eq!(decode_base64("MEQw-Q").unwrap(), vec![0x30, 0x44, 0x30, 0xf9]);
        assert_eq!(decode_base64("not base64!"), None);
    }
}
