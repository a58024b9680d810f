//! Workflow errors. Each has a [`Kind`] that the web layer maps to an HTTP status in one place;
//! the message is safe to show to the caller (no internals, no secrets).

use signet_issuance::IssuanceError;
use signet_store::StoreError;

/// The class of an error, for mapping to protocol status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The thing asked for does not exist.
    NotFound,
    /// The input cannot be read.
    Malformed,
    /// No valid credentials.
    Unauthenticated,
    /// Valid credentials, but this role may not do this.
    Forbidden,
    /// Readable input that policy refuses.
    RejectedByPolicy,
    /// The state does not allow it (already decided, duplicate).
    Conflict,
    /// A dependency (database, key) is unavailable; try again.
    Unavailable,
    /// A bug or broken invariant.
    Internal,
}

/// What went wrong in the workflow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthorityError {
    /// The class.
    pub kind: Kind,
    /// What happened, for the caller.
    pub message: String,
}

impl AuthorityError {
    /// An error of `kind`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl From<StoreError> for AuthorityError {
    fn from(e: StoreError) -> Self {
        let kind = match &e {
            StoreError::Conflict(_) => Kind::Conflict,
            StoreError::NotFound(_) => Kind::NotFound,
            StoreError::Unavailable(_) => Kind::Unavailable,
            _ => Kind::Internal,
        };
        match kind {
            Kind::Unavailable => {
                tracing::error!(error = %e, "storage unavailable");
                Self::new(kind, "the database is unavailable; nothing was changed, try again")
            }
            Kind::Internal => {
                tracing::error!(error = %e, "storage error");
                Self::new(kind, "internal storage error")
            }
            _ => Self::new(kind, e.to_string()),
        }
    }
}

impl From<IssuanceError> for AuthorityError {
    fn from(e: IssuanceError) -> Self {
        let kind = match &e {
            IssuanceError::MalformedCsr(_) => Kind::Malformed,
            IssuanceError::Signing(_) => Kind::Unavailable,
            IssuanceError::Build(_) => Kind::Internal,
            _ => Kind::RejectedByPolicy,
        };
        if kind == Kind::Internal || kind == Kind::Unavailable {
            tracing::error!(error = %e, "issuance failed");
        }
        Self::new(kind, e.to_string())
    }
}

/// Result of a workflow call.
pub type AuthorityResult<T> = Result<T, AuthorityError>;
