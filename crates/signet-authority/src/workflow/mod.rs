//! The request workflow: submit, approve, deny, status, retrieval, search, revocation — independent of the
//! protocol that delivered the request (HTTP API today; ACME, EST and web pages later call the
//! same methods). Every method checks the caller's role first ([`crate::actor::permit`]) and
//! answers views built from what the store recorded.

mod decide;
mod retrieve;
mod revoke;
mod submit;

pub use retrieve::Access;
pub use revoke::{ACME_REASONS, AcmeRevoker, CertificateRef, REQUESTER_REASONS, RenewalFacts};

#[cfg(test)]
mod tests;
