//! The HTTP API of `signet serve`: JSON under `/api/v1`, CA certificates for AIA, CRLs at their
//! distribution points (`crl`), `/healthz` and Prometheus `/metrics`. This is the only crate where workflow errors become HTTP statuses
//! (RFC 7807 problem documents, [`problem`]); it holds no policy of its own — every action is a
//! call into [`signet_authority::Authority`], which checks roles. It also runs the HTTP server
//! ([`serve`]), which bounds what slow and greedy clients can hold ([`Limits`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod api;
mod crl;
mod health;
mod limits;
pub mod problem;
mod revocation;
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
    let crls = crl::routes(state.authority.clone());
    layered(api::routes(), state, vec![crls])
}

/// [`router`] with the routes of other front ends mounted beside the API (ACME under `/acme`, OCSP),
/// under the same limits on heads and bodies and the same tracing.
pub fn router_with(state: AppState, mut mounted: Vec<Router>) -> Router {
    mounted.push(crl::routes(state.authority.clone()));
    layered(api::routes(), state, mounted)
}

/// The plain-HTTP listener's application: only what relying parties fetch without TLS (CA
/// certificates for caIssuers, CRLs, and the `mounted` OCSP routes), with the same limits and
/// tracing. A request for anything else is answered 404 with the same path under `https_url`
/// (the public URL of the HTTPS listener).
pub fn plain_router(state: AppState, mut mounted: Vec<Router>, https_url: &str) -> Router {
    mounted.push(crl::routes(state.authority.clone()));
    layered(api::plain_routes(https_url), state, mounted)
}

fn layered(routes: Router<AppState>, state: AppState, mounted: Vec<Router>) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let check_head = axum::middleware::from_fn_with_state(state.clone(), limits::check_head);
    let mut app = routes.with_state(state);
    for routes in mounted {
        app = app.merge(routes);
    }
    app.layer(DefaultBodyLimit::max(body_limit)).layer(check_head).layer(axum::middleware::from_fn(trace::span))
}
