//! Workflow errors. Each has a [`Kind`] that the web layer maps to an HTTP status in one place;
//! the message is safe to show to the caller (no internals, no secrets): storage and signing
//! failures are logged here and reach the caller as a fixed sentence.

use signet_issuance::{IssuanceError, IssuanceFault};
use signet_model::RequestId;
use signet_store::StoreError;

/// The class of an error, for mapping to protocol status codes. A closed set, so each front end
/// maps every class in one exhaustive match.
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
#[non_exhaustive]
pub enum AuthorityError {
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The actor's roles do not allow the action.
    #[error("{actor} may not {action}: that needs the role {needed}")]
    NotPermitted {
        /// Who asked.
        actor: String,
        /// What they tried, in words.
        action: &'static str,
        /// The roles that may (`a or b`).
        needed: String,
    },
    /// Refused for this identity for another reason (separation of duties, a profile closed to
    /// its roles).
    #[error("{0}")]
    Forbidden(String),
    /// No such request, or one the caller may not see (the same answer, so IDs are not probed).
    #[error("there is no request {0}")]
    NoSuchRequest(RequestId),
    /// No such profile.
    #[error("there is no profile {name:?}; available: {available}")]
    NoSuchProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are, comma-separated.
        available: String,
    },
    /// Something else asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input cannot be read.
    #[error("{0}")]
    Malformed(String),
    /// Readable input that policy refuses.
    #[error("{0}")]
    Refused(String),
    /// Issuance refused the request or could not sign it.
    #[error(transparent)]
    Issuance(IssuanceError),
    /// The state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// A dependency is unavailable; nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or broken invariant (details in the log).
    #[error("{0}")]
    Internal(String),
}

impl AuthorityError {
    /// An error of `kind` with a message for the caller.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        let message = message.into();
        match kind {
            Kind::NotFound => Self::NotFound(message),
            Kind::Malformed => Self::Malformed(message),
            Kind::Unauthenticated => Self::Unauthenticated(message),
            Kind::Forbidden => Self::Forbidden(message),
            Kind::RejectedByPolicy => Self::Refused(message),
            Kind::Conflict => Self::Conflict(message),
            Kind::Unavailable => Self::Unavailable(message),
            Kind::Internal => Self::Internal(message),
        }
    }

    /// The class of this error.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Unauthenticated(_) => Kind::Unauthenticated,
            Self::NotPermitted { .. } | Self::Forbidden(_) => Kind::Forbidden,
            Self::NoSuchRequest(_) | Self::NoSuchProfile { .. } | Self::NotFound(_) => Kind::NotFound,
            Self::Malformed(_) => Kind::Malformed,
            Self::Refused(_) => Kind::RejectedByPolicy,
            Self::Issuance(e) => match e.fault() {
                IssuanceFault::Request => Kind::Malformed,
                IssuanceFault::Policy => Kind::RejectedByPolicy,
                IssuanceFault::Signer => Kind::Unavailable,
                IssuanceFault::Internal => Kind::Internal,
            },
            Self::Conflict(_) => Kind::Conflict,
            Self::Unavailable(_) => Kind::Unavailable,
            Self::Internal(_) => Kind::Internal,
        }
    }
}

impl From<StoreError> for AuthorityError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::NotFound(_) => Self::NotFound(e.to_string()),
            StoreError::Unavailable(_) => {
                tracing::error!(error = %e, "storage unavailable");
                Self::Unavailable("the database is unavailable; nothing was changed, try again".into())
            }
            other => {
                tracing::error!(error = %other, "storage error");
                Self::Internal("internal storage error".into())
            }
        }
    }
}

impl From<IssuanceError> for AuthorityError {
    fn from(e: IssuanceError) -> Self {
        match e.fault() {
            IssuanceFault::Signer | IssuanceFault::Internal => {
                tracing::error!(error = %e, "issuance failed");
            }
            IssuanceFault::Request | IssuanceFault::Policy => {}
        }
        Self::Issuance(e)
    }
}

/// Result of a workflow call.
pub type AuthorityResult<T> = Result<T, AuthorityError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_details_do_not_reach_the_caller() {
        let e = AuthorityError::from(StoreError::Unavailable("connection to 10.0.0.7:5432 refused".into()));
        assert_eq!(e.kind(), Kind::Unavailable);
        assert!(!e.to_string().contains("10.0.0.7"), "{e}");
        let e = AuthorityError::from(StoreError::Corrupt("column sans: bad JSON".into()));
        assert_eq!((e.kind(), e.to_string().as_str()), (Kind::Internal, "internal storage error"));
    }

    #[test]
    fn issuance_errors_keep_their_class() {
        assert_eq!(AuthorityError::from(IssuanceError::MalformedCsr("x".into())).kind(), Kind::Malformed);
        assert_eq!(AuthorityError::from(IssuanceError::BadCsrSignature).kind(), Kind::RejectedByPolicy);
        assert_eq!(AuthorityError::from(IssuanceError::NoNames).kind(), Kind::RejectedByPolicy);
        assert_eq!(AuthorityError::from(IssuanceError::Signing("hsm".into())).kind(), Kind::Unavailable);
        let e = AuthorityError::new(Kind::Conflict, "already decided");
        assert_eq!((e.kind(), e.to_string().as_str()), (Kind::Conflict, "already decided"));
    }
}
