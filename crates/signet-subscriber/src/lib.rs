//! The subscriber toolkit: composing CSRs with the right names, checking that keys, CSRs and
//! certificates belong together, putting a key's certificate and chain in order for a bundle, and
//! verifying a certificate chain the way a TLS client would.
//!
//! Depends on `signet-model`, `signet-codec` and `signet-keys`; never on the CA's issuance,
//! storage or web crates (the CA reuses [`csr::san_type`] and [`verify`], not the other way round).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod bundle;
pub mod csr;
pub mod error;
pub mod matching;
pub mod subject;
pub mod verify;

pub use csr::{CsrInput, CsrPlan, build, plan};
pub use error::CsrError;
pub use subject::SubjectInput;
