//! The HTTP API of `signet serve`: JSON under `/api/v1`, CA certificates for AIA, `/healthz` and
//! Prometheus `/metrics`. This is the only crate where workflow errors become HTTP statuses
//! (RFC 7807 problem documents, [`problem`]); it holds no policy of its own — every action is a
//! call into [`signet_authority::Authority`], which checks roles. It also runs the HTTP server
//! ([`serve`]), which bounds what slow and greedy clients can hold ([`Limits`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod api;
mod limits;
pub mod problem;
mod server;
mod tls;
mod trace;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use signet_authority::Authority;
use signet_model::Clock;

pub use limits::{Limits, MAX_HEADERS};
pub use server::{listen, serve};
pub use tls::{ServerCertificate, ServerTls, TlsError};
pub use trace::REQUEST_ID_HEADER;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The workflow.
    pub authority: Arc<Authority>,
    /// Store counters for /metrics (batches, operations), if the backend has them.
    pub store_stats: Option<Arc<dyn Fn() -> (u64, u64) + Send + Sync>>,
    /// Request and connection limits (body and head sizes, read timeouts).
    pub limits: Limits,
    /// The time, for views that depend on it (a profile's validity today).
    pub clock: Arc<dyn Clock>,
}

/// The whole HTTP application: the routes, the limits on request heads and bodies, and a
/// tracing span per request.
pub fn router(state: AppState) -> Router {
    layered(api::routes(), state, None)
}

/// [`router`] with the routes of another front end mounted beside the API (ACME under `/acme`),
/// under the same limits on heads and bodies and the same tracing.
pub fn router_with(state: AppState, mounted: Router) -> Router {
    layered(api::routes(), state, Some(mounted))
}

/// The plain-HTTP listener's application: only what relying parties fetch without TLS (CA
/// certificates for caIssuers; CRLs and OCSP), with the same limits and tracing.
pub fn plain_router(state: AppState) -> Router {
    layered(api::plain_routes(), state, None)
}

fn layered(routes: Router<AppState>, state: AppState, mounted: Option<Router>) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let check_head = axum::middleware::from_fn_with_state(state.clone(), limits::check_head);
    let mut app = routes.with_state(state);
    if let Some(mounted) = mounted {
        app = app.merge(mounted);
    }
    app.layer(DefaultBodyLimit::max(body_limit)).layer(check_head).layer(axum::middleware::from_fn(trace::span))
}
