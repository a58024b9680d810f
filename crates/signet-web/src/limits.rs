//! What one client may ask of the server: the sizes and times of a request and its connection,
//! and the check of a request head against them (an RFC 7807 431 rather than a bare one).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::problem::Problem;

/// Most header fields answered normally; more get 431.
pub const MAX_HEADERS: usize = 100;
/// Most header fields hyper parses at all (more: a bare 431 and the connection closed).
pub(crate) const HARD_MAX_HEADERS: usize = 2 * MAX_HEADERS;

/// The `[server]` limits of `signet.toml`, as the server applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body (larger: 413).
    pub max_body_bytes: usize,
    /// Largest request head: request line and header fields (larger: 431; above twice this,
    /// hyper answers a bare 431 and closes the connection).
    pub max_header_bytes: usize,
    /// Time a body has to arrive once its head has (else 408).
    pub body_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time a new connection has to deliver a complete request head.
    pub header_read_timeout: Duration,
    /// Time a kept-alive connection may wait for its next request; `None`: one request per
    /// connection.
    pub keep_alive_timeout: Option<Duration>,
}

impl Default for Limits {
    /// The defaults of `signet.toml`'s `[server]` section (docs/CONFIG.md).
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Some(Duration::from_secs(5)),
        }
    }
}

/// The size of a request head as sent: request line and `name: value` lines with their CRLFs.
fn head_size(request: &Request) -> usize {
    let target = request.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = request.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let fields: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + 2 + value.len() + 2).sum();
    line + fields + 2
}

/// Answers 431 with a problem document when the head is above the configured limits.
pub(crate) async fn check_head(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.limits.max_header_bytes;
    let fields = request.headers().len();
    if fields > MAX_HEADERS {
        return Problem::header_too_large(format!(
            "the request has {fields} header fields; at most {MAX_HEADERS} are accepted"
        ))
        .into_response();
    }
    let size = head_size(&request);
    if size > limit {
        return Problem::header_too_large(format!(
            "the request line and headers are {size} bytes; at most {limit} are accepted (server.max_header_bytes)"
        ))
        .into_response();
    }
    next.run(request).await
}
