//! ACME Renewal Information (RFC 9773): certificates are named by their CertID,
//! `base64url(authorityKeyIdentifier) "." base64url(serial)`, in `renewalInfo` requests and in a
//! new order's `replaces`.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use signet_authority::RenewalFacts;
use signet_model::Serial;
use signet_store::acme::AcmeAccountRecord;
use time::{Duration, OffsetDateTime};

use crate::account::identity;
use crate::jws::b64_decode;
use crate::problem::{AcmeProblem, AcmeResult, ProblemType};
use crate::server::AcmeState;

/// How often clients are asked to check again (RFC 9773 §4.3: Retry-After).
const CHECK_AGAIN_SECONDS: u64 = 6 * 3600;

/// A CertID, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    /// The issuer's key identifier.
    pub key_identifier: Vec<u8>,
    /// The serial's DER content octets.
    pub serial: Vec<u8>,
}

impl CertId {
    /// Parses `AKI.SERIAL` (both base64url without padding, RFC 9773 §4.1).
    pub fn parse(text: &str) -> AcmeResult<Self> {
        let bad = || {
            AcmeProblem::malformed(format!(
                "{text:?} is not a CertID (base64url(AKI).base64url(serial), RFC 9773 §4.1)"
            ))
        };
        let (aki, serial) = text.split_once('.').ok_or_else(bad)?;
        let key_identifier = b64_decode(aki, "the CertID").map_err(|_| bad())?;
        let serial = b64_decode(serial, "the CertID").map_err(|_| bad())?;
        if key_identifier.is_empty() || serial.is_empty() {
            return Err(bad());
        }
        Ok(Self { key_identifier, serial })
    }
}

impl CertId {
    /// The serial, as signet keeps it.
    fn serial(&self) -> AcmeResult<Serial> {
        let magnitude: Vec<u8> = self.serial.iter().copied().skip_while(|b| *b == 0).collect();
        Serial::from_magnitude(&magnitude)
            .map_err(|_| AcmeProblem::malformed("the CertID's serial is not one signet issues"))
    }
}

async fn facts(acme: &AcmeState, id: &CertId, shown: &str) -> AcmeResult<RenewalFacts> {
    acme.authority
        .acme_renewal_facts(&id.serial()?)
        .await
        .map_err(AcmeProblem::from)?
        .ok_or_else(|| AcmeProblem::not_found(format!("certificate {shown}")))
}

/// The window in which a certificate should be renewed: from two thirds to three quarters of
/// its validity; for a revoked one, a window that has passed, so clients renew at once.
pub fn suggested_window(facts: &RenewalFacts, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    if facts.revoked_at.is_some() {
        return (now - Duration::hours(2), now - Duration::hours(1));
    }
    let lifetime = facts.not_after - facts.not_before;
    (facts.not_before + lifetime * 2 / 3, facts.not_before + lifetime * 3 / 4)
}

/// `GET /acme/renewal-info/{certID}` (RFC 9773 §4.2).
pub(crate) async fn renewal_info(State(acme): State<AcmeState>, Path(id): Path<String>) -> AcmeResult<Response> {
    let cert_id = CertId::parse(&id)?;
    let facts = facts(&acme, &cert_id, &id).await?;
    let (start, end) = suggested_window(&facts, acme.clock.now());
    let body = json!({"suggestedWindow": {
        "start": signet_model::time_text::format(start),
        "end": signet_model::time_text::format(end),
    }});
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(CHECK_AGAIN_SECONDS));
    Ok(response)
}

/// A new order's `replaces` (RFC 9773 §5): a certificate this account ordered, not replaced
/// by another order already.
pub(crate) async fn replaces(
    acme: &AcmeState,
    account: &AcmeAccountRecord,
    value: Option<&Value>,
) -> AcmeResult<Option<String>> {
    let text = match value {
        None => return Ok(None),
        Some(Value::String(text)) => text,
        Some(_) => return Err(AcmeProblem::malformed("\"replaces\" must be a CertID string")),
    };
    let cert_id = CertId::parse(text)?;
    let facts = facts(acme, &cert_id, text).await?;
    if facts.requester != identity(account.id) {
        return Err(AcmeProblem::unauthorized(format!("certificate {text} was not ordered by this account")));
    }
    if let Some(order) = acme.store.order_replacing(text).await? {
        return Err(AcmeProblem::new(
            ProblemType::AlreadyReplaced,
            format!("certificate {text} is already replaced by order {order}"),
        ));
    }
    Ok(Some(text.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_ids_are_read_strictly() {
        // RFC 9773 §4.1's example.
        let id = CertId::parse("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE").unwrap();
        assert_eq!(id.serial, [0x00, 0x87, 0x65, 0x43, 0x21]);
        assert_eq!(id.key_identifier.len(), 20);
        for bad in ["", "abc", ".AIdlQyE", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.", "a=.b", "a.b.c!"] {
            assert!(CertId::parse(bad).is_err(), "{bad}");
        }
    }
}
