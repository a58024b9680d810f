//! RFC 7807 problem documents, and the one mapping from workflow errors to HTTP statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signet_authority::{AuthorityError, Kind};

/// A problem document (`application/problem+json`).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, fixed summary of the type.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What happened in this case.
    pub detail: String,
}

impl Problem {
    /// A problem of a workflow error kind.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        let (status, slug, title) = classify(kind);
        Self {
            kind: format!("https://signet.dev/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// A malformed-request problem.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(Kind::Malformed, detail)
    }

    /// The body was larger than the server accepts.
    pub fn too_large(limit: usize) -> Self {
        Self {
            kind: "https://signet.dev/problems/too-large".into(),
            title: "Request body too large",
            status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
            detail: format!("the request body is larger than {limit} bytes; a CSR is a few kilobytes"),
        }
    }
}

impl Problem {
    /// The request line and headers are larger (or more) than the server accepts (RFC 6585 §5).
    pub fn header_too_large(detail: impl Into<String>) -> Self {
        Self {
            kind: "https://signet.dev/problems/header-too-large".into(),
            title: "Request header fields too large",
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.as_u16(),
            detail: detail.into(),
        }
    }

    /// The body did not arrive in time; the connection is closed after this answer.
    pub fn body_timeout(timeout: std::time::Duration) -> Self {
        Self {
            kind: "https://signet.dev/problems/request-timeout".into(),
            title: "Request body too slow",
            status: StatusCode::REQUEST_TIMEOUT.as_u16(),
            detail: format!(
                "the request body did not arrive within {} seconds of its headers; send it at once",
                timeout.as_secs()
            ),
        }
    }

    /// The endpoint exists but not with this method.
    pub fn method_not_allowed() -> Self {
        Self {
            kind: "https://signet.dev/problems/method-not-allowed".into(),
            title: "Method not allowed",
            status: StatusCode::METHOD_NOT_ALLOWED.as_u16(),
            detail: "this endpoint does not take that method (see docs/API.md)".into(),
        }
    }
}

/// The single place where error kinds meet HTTP.
fn classify(kind: Kind) -> (StatusCode, &'static str, &'static str) {
    match kind {
        Kind::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
        Kind::Malformed => (StatusCode::BAD_REQUEST, "malformed", "Malformed request"),
        Kind::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required"),
        Kind::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Not allowed for this role"),
        Kind::RejectedByPolicy => (StatusCode::UNPROCESSABLE_ENTITY, "rejected-by-policy", "Refused by policy"),
        Kind::Conflict => (StatusCode::CONFLICT, "conflict", "Conflicts with the current state"),
        Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable"),
        Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
    }
}

impl From<AuthorityError> for Problem {
    fn from(e: AuthorityError) -> Self {
        Problem::new(e.kind(), e.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of a late body may still arrive: it must not be read as the next request.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"signet\""));
        }
        response
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, Problem>;
