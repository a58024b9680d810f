//! ACME problem documents (RFC 8555 §6.7): every error the ACME server gives is one, with the
//! RFC's error type, the HTTP status Boulder and pebble use for it, and subproblems per identifier
//! (§6.7.1). ACME is a protocol of its own, so its errors become HTTP here, as the JSON API's do in
//! `signet-web`'s problem module.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signet_authority::{AuthorityError, Kind};
use signet_store::StoreError;

use crate::jws::JwsError;

/// The ACME error types (RFC 8555 §6.7, RFC 9773 §4.2, draft-ietf-acme-profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemType {
    /// The request specified an account that does not exist.
    AccountDoesNotExist,
    /// The certificate named by `replaces` was replaced already (RFC 9773).
    AlreadyReplaced,
    /// The certificate is already revoked.
    AlreadyRevoked,
    /// The CSR is unacceptable.
    BadCsr,
    /// The nonce is unknown, used or expired.
    BadNonce,
    /// The JWK is unacceptable.
    BadPublicKey,
    /// The revocation reason is not allowed.
    BadRevocationReason,
    /// The signature algorithm is not supported.
    BadSignatureAlgorithm,
    /// CAA records forbid issuance.
    Caa,
    /// Several errors; see the subproblems.
    Compound,
    /// The server could not connect to the validation target.
    Connection,
    /// A DNS lookup failed.
    Dns,
    /// The server requires External Account Binding.
    ExternalAccountRequired,
    /// The response to a challenge was wrong.
    IncorrectResponse,
    /// A contact URL is invalid.
    InvalidContact,
    /// The profile asked for is unknown (draft-ietf-acme-profiles).
    InvalidProfile,
    /// The request message was malformed.
    Malformed,
    /// The order is not ready to be finalized.
    OrderNotReady,
    /// A rate limit was exceeded.
    RateLimited,
    /// The server will not issue for the identifier.
    RejectedIdentifier,
    /// An internal error.
    ServerInternal,
    /// A TLS error during validation.
    Tls,
    /// The client lacks authorization.
    Unauthorized,
    /// A contact URL scheme is not supported.
    UnsupportedContact,
    /// An identifier type is not supported.
    UnsupportedIdentifier,
    /// The client must visit the `instance` URL.
    UserActionRequired,
}

impl ProblemType {
    /// The type's name after `urn:ietf:params:acme:error:`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccountDoesNotExist => "accountDoesNotExist",
            Self::AlreadyReplaced => "alreadyReplaced",
            Self::AlreadyRevoked => "alreadyRevoked",
            Self::BadCsr => "badCSR",
            Self::BadNonce => "badNonce",
            Self::BadPublicKey => "badPublicKey",
            Self::BadRevocationReason => "badRevocationReason",
            Self::BadSignatureAlgorithm => "badSignatureAlgorithm",
            Self::Caa => "caa",
            Self::Compound => "compound",
            Self::Connection => "connection",
            Self::Dns => "dns",
            Self::ExternalAccountRequired => "externalAccountRequired",
            Self::IncorrectResponse => "incorrectResponse",
            Self::InvalidContact => "invalidContact",
            Self::InvalidProfile => "invalidProfile",
            Self::Malformed => "malformed",
            Self::OrderNotReady => "orderNotReady",
            Self::RateLimited => "rateLimited",
            Self::RejectedIdentifier => "rejectedIdentifier",
            Self::ServerInternal => "serverInternal",
            Self::Tls => "tls",
            Self::Unauthorized => "unauthorized",
            Self::UnsupportedContact => "unsupportedContact",
            Self::UnsupportedIdentifier => "unsupportedIdentifier",
            Self::UserActionRequired => "userActionRequired",
        }
    }

    /// The URN naming it.
    pub fn urn(self) -> String {
        format!("urn:ietf:params:acme:error:{}", self.name())
    }

    /// The HTTP status it is sent with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Unauthorized
            | Self::OrderNotReady
            | Self::Caa
            | Self::IncorrectResponse
            | Self::UserActionRequired
            | Self::Compound => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::AlreadyReplaced => StatusCode::CONFLICT,
            Self::ServerInternal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A subproblem about one identifier (RFC 8555 §6.7.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subproblem {
    /// Its type URN.
    #[serde(rename = "type")]
    pub kind: String,
    /// What happened.
    pub detail: String,
    /// The identifier it is about.
    pub identifier: serde_json::Value,
}

/// An ACME problem document and how it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeProblem {
    /// The type.
    pub kind: ProblemType,
    /// What happened, for the client (never internals).
    pub detail: String,
    /// The HTTP status (the type's, unless a lookup found nothing: 404).
    pub status: StatusCode,
    /// Per-identifier problems.
    pub subproblems: Vec<Subproblem>,
    /// Seconds to wait before trying again (rate limits, orders still processing).
    pub retry_after: Option<u64>,
}

impl AcmeProblem {
    /// A problem of `kind`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into(), status: kind.status(), subproblems: Vec::new(), retry_after: None }
    }

    /// `malformed`.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Malformed, detail)
    }

    /// A resource that does not exist, or that belongs to another account (the same answer, so
    /// ids cannot be probed): `malformed` with 404, as Boulder answers.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, ..Self::malformed(format!("{} does not exist", what.into())) }
    }

    /// `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Unauthorized, detail)
    }

    /// `serverInternal`, with a fixed sentence (the cause goes to the log).
    pub fn internal() -> Self {
        Self::new(ProblemType::ServerInternal, "the server failed; nothing was changed, try again later")
    }

    /// The same problem with subproblems.
    pub fn with_subproblems(mut self, subproblems: Vec<Subproblem>) -> Self {
        self.subproblems = subproblems;
        self
    }

    /// The same problem, asking the client to wait `seconds` before trying again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The problem document as JSON (as an invalid order or challenge holds it).
    pub fn document(&self) -> serde_json::Value {
        let mut document = serde_json::json!({
            "type": self.kind.urn(),
            "detail": self.detail,
            "status": self.status.as_u16(),
        });
        if !self.subproblems.is_empty()
            && let Some(fields) = document.as_object_mut()
        {
            fields.insert("subproblems".into(), serde_json::to_value(&self.subproblems).unwrap_or_default());
        }
        document
    }
}

impl IntoResponse for AcmeProblem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.document()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JwsError> for AcmeProblem {
    fn from(e: JwsError) -> Self {
        let kind = match &e {
            JwsError::BadSignatureAlgorithm(_) => ProblemType::BadSignatureAlgorithm,
            JwsError::BadPublicKey(_) => ProblemType::BadPublicKey,
            JwsError::Malformed(_) | JwsError::BadSignature => ProblemType::Malformed,
        };
        Self::new(kind, e.to_string())
    }
}

impl From<StoreError> for AcmeProblem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => Self::malformed(message),
            StoreError::NotFound(what) => Self::not_found(what),
            other => {
                tracing::error!(error = %other, "ACME storage error");
                Self::internal()
            }
        }
    }
}

impl From<AuthorityError> for AcmeProblem {
    /// Workflow errors met while finalizing: a request refused by the profile is the CSR's fault.
    fn from(e: AuthorityError) -> Self {
        match e.kind() {
            Kind::Malformed | Kind::RejectedByPolicy => Self::new(ProblemType::BadCsr, e.to_string()),
            Kind::NotFound => Self::not_found(e.to_string()),
            Kind::Forbidden | Kind::Unauthenticated => Self::unauthorized(e.to_string()),
            Kind::Conflict => Self::new(ProblemType::OrderNotReady, e.to_string()),
            Kind::Unavailable => Self::new(ProblemType::ServerInternal, e.to_string()).retry_after(5),
            Kind::Internal => Self::internal(),
        }
    }
}

/// Shorthand for ACME handler results.
pub type AcmeResult<T> = Result<T, AcmeProblem>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_the_rfc_type_status_and_subproblems() {
        let problem = AcmeProblem::new(ProblemType::Caa, "CAA forbids it").with_subproblems(vec![Subproblem {
            kind: ProblemType::Caa.urn(),
            detail: "example.com: issue \"other.example\"".into(),
            identifier: serde_json::json!({"type": "dns", "value": "example.com"}),
        }]);
        let document = problem.document();
        assert_eq!(document["type"], "urn:ietf:params:acme:error:caa");
        assert_eq!(document["status"], 403);
        assert_eq!(document["subproblems"][0]["identifier"]["value"], "example.com");
        let response = AcmeProblem::new(ProblemType::RateLimited, "slow down").retry_after(60).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(AcmeProblem::not_found("order 7").status, StatusCode::NOT_FOUND);
        assert_eq!(ProblemType::BadCsr.urn(), "urn:ietf:params:acme:error:badCSR");
    }
}
