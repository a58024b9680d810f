//! The ACME server (RFC 8555, with ACME Renewal Information RFC 9773, profiles and External
//! Account Binding): a front end over the authority, like Boulder's `wfe2/`. It checks every
//! request's JWS and nonce ([`jws`], [`nonce`], `server`), keeps accounts, orders and
//! authorizations in the store ([`signet_store::AcmeStore`]), has the validator check challenges
//! (`signet-acme-validator`, the part that reaches out to the network), and turns a finalized
//! order into the same `Authority` submission the JSON API makes. Its errors are RFC 8555 problem
//! documents ([`problem`]), made into HTTP here since ACME is a protocol of its own.
//!
//! Depends on the authority, the store traits, the validator and the codec; never on a database
//! driver or the CLI.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod account;
mod authz;
mod certificate;
mod directory;
pub mod eab;
pub mod identifier;
pub mod jws;
pub mod nonce;
mod order;
pub mod problem;
pub mod renewal;
mod revoke;
mod server;

use axum::Router;
use axum::routing::{get, post};

pub use account::identity;
pub use order::{INTERRUPTED_AFTER, settle_interrupted_finalizes};
pub use server::{Acme, AcmeConfig, AcmeState};

/// The ACME routes under `/acme`, with their state; every answer carries a fresh nonce.
pub fn router(acme: AcmeState) -> Router {
    Router::new()
        .route("/acme/directory", get(directory::directory))
        .route("/acme/new-nonce", get(directory::new_nonce_get).head(directory::new_nonce_head))
        .route("/acme/new-account", post(account::new_account))
        .route("/acme/acct/{id}", post(account::account))
        .route("/acme/acct/{id}/orders", post(order::account_orders))
        .route("/acme/key-change", post(account::key_change))
        .route("/acme/new-order", post(order::new_order))
        .route("/acme/order/{id}", post(order::order))
        .route("/acme/order/{id}/finalize", post(order::finalize))
        .route("/acme/authz/{id}", post(authz::authorization))
        .route("/acme/chall/{id}/{kind}", post(authz::challenge))
        .route("/acme/cert/{id}", post(certificate::default_chain))
        .route("/acme/cert/{id}/{path}", post(certificate::alternate_chain))
        .route("/acme/revoke-cert", post(revoke::revoke_cert))
        .route("/acme/renewal-info/{id}", get(renewal::renewal_info))
        .route_layer(axum::middleware::from_fn_with_state(acme.clone(), server::replay_nonce))
        .with_state(acme)
}
