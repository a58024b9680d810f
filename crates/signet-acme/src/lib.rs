//! The ACME server (RFC 8555, with ACME Renewal Information RFC 9773, profiles and External
//! Account Binding): a front end over the authority, like Boulder's `wfe2/`. It checks every
//! request's JWS and nonce, keeps accounts, orders and authorizations in the store, and turns a
//! finalized order into the same `Authority` submission the JSON API makes; the challenges are
//! checked by the validator, which is the part that reaches out to the network.
//!
//! Depends on the authority, the store traits and the codec; never on a database driver or the
//! CLI.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod jws;
