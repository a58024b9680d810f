//! Issuance: the only crate that asks a CA key to sign (certificates; CRLs, [`crl`]; OCSP
//! responses and delegated responder certificates, [`ocsp`]).
//!
//! It turns a checked request into a certificate in three steps the CA workflow interleaves with
//! storage: [`csr::examine`] parses a PKCS#10 request, refuses key types the profile does not
//! accept, verifies it and checks its subject, and [`key_quality`] judges its key;
//! [`certificate::prepare`] assembles the to-be-signed certificate from a [`profile::Profile`]
//! (the subject being [`certificate::effective_subject`]), signs it with a placeholder signature,
//! lints it ([`signet_lint`]) and
//! returns the exact TBS bytes to record; [`certificate::sign`] has the real key sign those same
//! bytes and refuses if anything differs. CA certificates (roots, subordinates, CSRs for external
//! parents) are made in [`ca`]. Depends on keys, lint, codec and model; not on storage or HTTP.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod ca;
pub mod certificate;
pub mod crl;
pub mod cross;
pub mod csr;
pub mod error;
pub mod extensions;
pub mod issuer;
pub mod key_quality;
pub mod ocsp;
pub mod profile;
pub mod serial;
pub mod weak_keys;

pub use error::{IssuanceError, IssuanceFault};
pub use issuer::{IssuingCa, Urls};
pub use profile::{Approval, NameRules, Profile, ProfileKind, SubjectPolicy};
pub use weak_keys::WeakKeys;
