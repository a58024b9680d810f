//! End-to-end tests: the real `signet` binary driven like a user would, checked with real
//! outside tools (openssl, pkilint). One test binary, one module per capability.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code asserts by panicking

mod acme_support;
mod server;
mod support;

mod acme;
mod acme_chains;
mod bad_input;
mod ca_hierarchy;
mod ca_policy;
mod ca_server;
mod convert;
mod crl;
mod durability;
mod first_start;
mod https;
mod issuance_policy;
mod key_csr;
mod ocsp;
mod read_foreign;
mod readme;
pub mod revocation;
mod slow_clients;
mod verify;
