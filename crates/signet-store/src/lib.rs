//! Storage for the certificate authority: the records it keeps, the read and write interfaces
//! every backend implements, the audit hash chain, and a conformance suite any backend must pass.
//!
//! The interface encodes the invariants a CA lives by (ca-requirements §2.6): a serial and its
//! to-be-signed certificate are recorded ([`StoreWrite::reserve`] or
//! [`StoreWrite::submit_and_reserve`]) before anything is signed; no serial is ever reused
//! (UNIQUE(ca, serial)); a request leaves `pending` exactly once; every state change carries its
//! audit events into the same transaction. The store only stores: signing belongs to the caller
//! (signet-issuance, driven by the authority), as Boulder's storage authority never holds a key.
//! This crate knows no SQL and no HTTP; `signet-store-sql` implements it for SQLite and
//! PostgreSQL.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod acme;
pub mod acme_conformance;
pub mod audit;
pub mod conformance;
pub mod error;
pub mod records;
pub mod traits;

pub use acme::AcmeStore;
pub use audit::{AuditEvent, AuditRecord, AuditReport};
pub use error::{StoreError, StoreResult};
pub use records::*;
pub use traits::{Store, StoreRead, StoreWrite};
