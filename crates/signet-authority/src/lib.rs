//! The certificate authority's workflow, modelled on Microsoft Certificate Services and built
//! like Boulder's registration authority: requests arrive (from any protocol), are checked
//! against a profile, wait for a Certificate Manager or are issued at once, and every decision is
//! recorded with its audit entry. Roles are checked on every action.
//!
//! Depends on the store *traits*, issuance, keys, codec and model; never on a database driver,
//! HTTP or the CLI.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod actor;
pub mod authority;
pub mod ca_admin;
pub mod error;
pub mod policy;
mod signing;
pub mod views;

pub use actor::{Action, Actor};
pub use authority::{
    AUDIT_PAGE_LIMIT, Access, Authority, AuthoritySettings, Metrics, create_token, read_audit, verify_audit,
};
pub use error::{AuthorityError, AuthorityResult, Kind};
pub use policy::ConfigurationChange;
