//! The request workflow: submit, approve, deny, status, retrieval, search — independent of the
//! protocol that delivered the request (HTTP API today; ACME, EST and web pages later call the
//! same methods). Every method checks the caller's role first ([`crate::actor::permit`]) and
//! answers views built from what the store recorded.

mod decide;
mod retrieve;
mod submit;

pub use retrieve::Access;

#[cfg(test)]
mod tests;
