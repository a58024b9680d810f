//! Certificate requests: their identifier and the states they move through.
//!
//! A request is `pending` until a Certificate Manager approves or denies it (or it is issued at
//! once by an auto-approving profile). A state changes exactly once: the transition methods return
//! an error for approve-after-deny, approve-twice and the like, so an illegal transition can never
//! happen silently (ca-requirements §2.6, invariant 6).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The identifier of a certificate request, as the requester sees it ("Request ID 12").
///
/// Its text form is strict: decimal digits only, no sign, spaces or leading zeros, so `+1`, `01`
/// and ` 1` name no request (one request has one spelling, in URLs, logs and searches alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub struct RequestId(i64);

impl RequestId {
    /// Wraps a database identifier; identifiers are positive.
    pub fn new(id: i64) -> Option<Self> {
        (id > 0).then_some(Self(id))
    }

    /// The numeric value.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for RequestId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let canonical = s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
        canonical
            .then(|| s.parse::<i64>().ok())
            .flatten()
            .and_then(Self::new)
            .ok_or_else(|| format!("{s:?} is not a request ID (a positive whole number written plainly, e.g. 12)"))
    }
}

impl TryFrom<i64> for RequestId {
    type Error = String;
    fn try_from(id: i64) -> Result<Self, Self::Error> {
        Self::new(id).ok_or_else(|| format!("{id} is not a request ID (they are positive)"))
    }
}

impl From<RequestId> for i64 {
    fn from(id: RequestId) -> Self {
        id.0
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for a Certificate Manager.
    Pending,
    /// A certificate was issued.
    Issued,
    /// A Certificate Manager denied it.
    Denied,
    /// Issuance was attempted and failed; nothing was issued.
    Failed,
}

/// An attempt to move a request out of a final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request is already {from}; it cannot be {action}")]
pub struct TransitionError {
    /// The state the request is in.
    pub from: RequestState,
    /// What was attempted ("approved", "denied", ...).
    pub action: &'static str,
}

/// A move out of `pending`: the only moves a request makes. Storage writes a state change only as
/// one of these (from `pending`, to [`Decision::outcome`]), so no other change can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Pending → Issued.
    Issue,
    /// Pending → Denied.
    Deny,
    /// Pending → Failed.
    Fail,
}

impl Decision {
    /// The state a request is in after this decision.
    pub fn outcome(self) -> RequestState {
        match self {
            Self::Issue => RequestState::Issued,
            Self::Deny => RequestState::Denied,
            Self::Fail => RequestState::Failed,
        }
    }

    /// The state it moves `from` to, or why it cannot.
    pub fn apply(self, from: RequestState) -> Result<RequestState, TransitionError> {
        match from {
            RequestState::Pending => Ok(self.outcome()),
            from => Err(TransitionError { from, action: self.verb() }),
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Issue => "approved",
            Self::Deny => "denied",
            Self::Fail => "marked failed",
        }
    }
}

impl RequestState {
    /// Pending → Issued.
    pub fn issue(self) -> Result<Self, TransitionError> {
        Decision::Issue.apply(self)
    }

    /// Pending → Denied.
    pub fn deny(self) -> Result<Self, TransitionError> {
        Decision::Deny.apply(self)
    }

    /// Pending → Failed.
    pub fn fail(self) -> Result<Self, TransitionError> {
        Decision::Fail.apply(self)
    }

    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Issued => "issued",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }

    /// Parses the name used in the API and the database.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "issued" => Some(Self::Issued),
            "denied" => Some(Self::Denied),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_changes_exactly_once() {
        let issued = RequestState::Pending.issue().unwrap();
        assert_eq!(issued, RequestState::Issued);
        assert_eq!(issued.issue(), Err(TransitionError { from: RequestState::Issued, action: "approved" }));
        let denied = RequestState::Pending.deny().unwrap();
        let e = denied.issue().unwrap_err();
        assert_eq!(e.to_string(), "request is already denied; it cannot be approved");
        assert!(denied.deny().is_err());
        assert!(RequestState::Failed.issue().is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in [RequestState::Pending, RequestState::Issued, RequestState::Denied, RequestState::Failed] {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
        }
        assert_eq!("12".parse::<RequestId>().unwrap().get(), 12);
        assert_eq!("9223372036854775807".parse::<RequestId>().unwrap().get(), i64::MAX);
    }

    #[test]
    fn request_ids_have_one_spelling() {
        for bad in
            ["0", "x", "", "+1", "-1", "01", "00", " 1", "1 ", "1\n", "1.0", "1e3", "0x1", "１", "9223372036854775808"]
        {
            let e = bad.parse::<RequestId>().unwrap_err();
            assert!(e.contains("is not a request ID"), "{bad:?}: {e}");
        }
        assert_eq!(serde_json::from_str::<RequestId>("7").unwrap().get(), 7);
        assert!(serde_json::from_str::<RequestId>("0").is_err());
        assert!(serde_json::from_str::<RequestId>("-3").is_err());
        assert_eq!(serde_json::to_string(&RequestId::new(7).unwrap()).unwrap(), "7");
    }
}
