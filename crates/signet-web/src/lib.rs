//! The HTTP API of `signet serve`: JSON under `/api/v1`, CA certificates for AIA, CRLs at their
//! distribution points (`crl`), `/healthz` and Prometheus `/metrics`. This is the only crate where workflow errors become HTTP statuses
//! (RFC 7807 problem documents, [`problem`]); it holds no policy of its own — every action is a
//! call into [`signet_authority::Authority`], which checks roles.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod api;
mod crl;
mod health;
pub mod problem;
mod revocation;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use signet_authority::Authority;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The workflow.
    pub authority: Arc<Authority>,
    /// Store counters for /metrics (batches, operations), if the backend has them.
    pub store_stats: Option<Arc<dyn Fn() -> (u64, u64) + Send + Sync>>,
    /// Largest accepted request body, for the 413 message.
    pub max_body_bytes: usize,
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    let crls = crl::routes(state.authority.clone());
    api::routes().layer(DefaultBodyLimit::max(limit)).with_state(state).merge(crls)
}
