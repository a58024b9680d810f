//! Keys for signet: generation, the [`Signer`] trait every signature goes through, and the
//! software backend on aws-lc-rs.
//!
//! Issuance signs through `dyn Signer`, never through a concrete key type, so a PKCS#11 (HSM)
//! backend can be added later as a sibling crate. Private key material lives in zeroizing buffers
//! and never appears in `Debug` output. This crate depends only on
//! `signet-codec`; it knows nothing of certificates, storage or HTTP.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod algorithm;
pub mod error;
pub mod rcgen_adapter;
pub mod signer;
pub mod software;

pub use algorithm::{KeyAlgorithm, SignatureScheme};
pub use error::KeyError;
pub use rcgen_adapter::RcgenSigner;
pub use signer::Signer;
pub use software::{SoftwareKey, generate};
