//! The certificate authority's workflow, modelled on Microsoft Certificate Services and built
//! like Boulder's registration authority: requests arrive (from any protocol), are checked
//! against a profile, wait for a Certificate Manager or are issued at once, and every decision is
//! recorded with its audit entry. Roles are checked on every action.
//!
//! Depends on the store *traits*, issuance, keys, codec and model; never on a database driver,
//! HTTP or the CLI. Parts by job: [`authority`] (the loaded state), [`workflow`] (submit,
//! decide, retrieve), [`tokens`] (authentication), `registry` (the CAs and their keys, opened
//! through [`keys::CaKeys`]), [`ca_admin`] (creating CAs), [`ca_revocation`] (CAs whose own
//! certificate was revoked, which issue nothing), [`audit_log`], [`policy`] (the
//! configuration on record), `signing` (reserve, sign, store), [`publication`] (CRLs).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod acme;
pub mod actor;
pub mod audit_log;
pub mod authority;
pub mod ca_admin;
pub mod ca_alternates;
pub mod ca_revocation;
pub mod chains;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod policy;
pub mod publication;
mod registry;
pub mod server_tls;
mod signing;
pub mod tokens;
pub mod views;
pub mod workflow;

pub use actor::{Action, Actor};
pub use audit_log::{AUDIT_PAGE_LIMIT, read_audit, verify_audit};
pub use authority::{Authority, AuthoritySettings};
pub use chains::CertificatePath;
pub use error::{AuthorityError, AuthorityResult, Kind};
pub use keys::{CaKeys, SoftwareCaKeys};
pub use metrics::Metrics;
pub use policy::ConfigurationChange;
pub use publication::{CrlPolicy, CrlStatus, OcspPolicy, OcspSigner};
pub use tokens::{SeparationViolation, create_token, revoke_token, separation_violations};
pub use workflow::{ACME_REASONS, Access, AcmeRevoker, CertificateRef, REQUESTER_REASONS, RenewalFacts};
