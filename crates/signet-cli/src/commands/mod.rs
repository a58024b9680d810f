//! One module per command; each validates its arguments and calls into the library crates.

pub mod acme;
pub mod admin;
pub mod ca;
pub mod ca_alternates;
pub mod client;
pub mod convert;
pub mod crl;
pub mod csr;
pub mod inspect;
pub mod key;
pub mod matching;
pub mod ocsp;
pub mod revoke;
pub mod serve;
pub mod serve_acme;
pub mod serve_tls;
pub mod startup;
pub mod verify;
