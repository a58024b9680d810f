//! Domain types for signet, with no I/O.
//!
//! This crate owns the vocabulary every other signet crate speaks: serial numbers, DNS names and
//! other identifiers (parsed, never merely validated), subject attributes such as the ISO 3166
//! country code, request states and their transitions, revocation reasons, roles, and the [`Clock`] through which all
//! time is read. It must not depend on any other signet crate, on a crypto backend, on storage or
//! on HTTP.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod ca;
pub mod clock;
pub mod country;
pub mod digest;
pub mod lookalike;
pub mod name;
pub mod public;
pub mod request;
pub mod revocation;
pub mod role;
pub mod serial;
pub mod subject;
pub mod time_text;

pub use ca::CaId;
pub use clock::{Clock, FixedClock, SystemClock};
pub use country::Country;
pub use digest::{DigestError, Sha256};
pub use name::{DnsName, Identifier, NameError};
pub use request::{Decision, RequestId, RequestState, TransitionError};
pub use revocation::{CrlScope, RevocationReason, RevokedEntry};
pub use role::Role;
pub use serial::Serial;
