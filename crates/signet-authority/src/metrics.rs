//! Counters for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the workflow counted since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests accepted.
    pub submitted: AtomicU64,
    /// Certificates issued.
    pub issued: AtomicU64,
    /// Requests denied.
    pub denied: AtomicU64,
    /// Submissions refused by policy or malformed.
    pub rejected: AtomicU64,
    /// Certificates revoked (holds included).
    pub revoked: AtomicU64,
    /// CRLs signed and stored.
    pub crls_published: AtomicU64,
}

impl Metrics {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
