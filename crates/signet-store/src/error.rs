//! Storage errors.

/// What went wrong in storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule or a state precondition refused the write (duplicate serial, request
    /// no longer pending, issuance already under way).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database could not be reached or failed; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back (corruption or a newer schema).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;
