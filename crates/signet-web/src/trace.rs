//! A tracing span per HTTP request: `request_id` (also sent back as `X-Request-Id`), method,
//! route (the pattern, never the raw path with its IDs), the authenticated `actor` (recorded by
//! the authentication extractor), `status` and `latency_ms`. Everything logged while the request
//! runs carries them. The closing event is at debug level, so a busy CA does not write a line
//! per request unless asked (`SIGNET_LOG=signet_web=debug`); server errors are warnings.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

/// The response header naming the request, for a client to quote in a report.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Runs the request inside its span and records how it ended.
pub(crate) async fn span(request: Request, next: Next) -> Response {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let route = request.extensions().get::<MatchedPath>().map_or("(no route)", MatchedPath::as_str).to_string();
    let span = tracing::info_span!(
        "http",
        request_id = id,
        method = %request.method(),
        route = %route,
        actor = Empty,
        status = Empty,
        latency_ms = Empty,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!("request failed on the server side");
        } else {
            tracing::debug!("request answered");
        }
    });
    response.headers_mut().insert(REQUEST_ID_HEADER, HeaderValue::from(id));
    response
}

/// Records the authenticated identity on the current request's span.
pub(crate) fn record_actor(name: &str) {
    tracing::Span::current().record("actor", tracing::field::display(name));
}
