//! revokeCert (RFC 8555 §7.6): signed by the account that ordered the certificate, by an account
//! holding valid authorizations for all its names, or by the certificate's own key; with a reason
//! from those a subscriber may give. The revocation is the authority's: audited, and in the next
//! CRL and OCSP responses.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use signet_authority::{AcmeRevoker, Kind};
use signet_model::RevocationReason;
use signet_store::acme::AcmeIdentifier;

use crate::account::identity;
use crate::jws::{KeyRef, b64_decode};
use crate::problem::{AcmeProblem, AcmeResult, ProblemType};
use crate::server::{AcmeState, Posted, Signer};

/// Whether the account holds a valid authorization for every name of the certificate.
async fn authorized_for_all(acme: &AcmeState, account_id: i64, names: &[String]) -> AcmeResult<bool> {
    let now = acme.clock.now();
    for name in names {
        let (kind, value) = name.split_once(':').unwrap_or(("dns", name));
        let (value, wildcard) = match value.strip_prefix("*.") {
            Some(base) => (base, true),
            None => (value, false),
        };
        let identifier = AcmeIdentifier { kind: kind.to_string(), value: value.to_string() };
        if acme.store.reusable_authorization(account_id, &identifier, wildcard, now).await?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `POST /acme/revoke-cert`.
pub(crate) async fn revoke_cert(State(acme): State<AcmeState>, posted: Posted) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Either).await?;
    let payload = signed.jws.payload_json()?;
    let der = payload
        .get("certificate")
        .and_then(Value::as_str)
        .ok_or_else(|| AcmeProblem::malformed("revokeCert needs {\"certificate\": base64url DER}"))?;
    let der = b64_decode(der, "the certificate")?;
    let code = match payload.get("reason") {
        None => 0,
        Some(value) => value.as_u64().and_then(|c| u8::try_from(c).ok()).ok_or_else(|| {
            AcmeProblem::new(ProblemType::BadRevocationReason, "the reason is an RFC 5280 reason code")
        })?,
    };
    let reason = RevocationReason::from_code(code)
        .filter(|r| signet_authority::ACME_REASONS.contains(r))
        .ok_or_else(|| {
            AcmeProblem::new(
                ProblemType::BadRevocationReason,
                format!("reason {code} is not allowed; use 0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), 4 (superseded) or 5 (cessationOfOperation)"),
            )
        })?;
    let facts = signet_codec::describe::certificate(&der, acme.clock.now())
        .map_err(|_| AcmeProblem::malformed("the certificate cannot be read"))?;
    let who;
    let revoker = match &signed.jws.protected.key {
        KeyRef::Jwk(jwk) => {
            let held = signet_codec::certificate::facts(&der)
                .map_err(|_| AcmeProblem::malformed("the certificate cannot be read"))?
                .spki_der;
            if held != jwk.spki_der() {
                return Err(AcmeProblem::unauthorized(
                    "the JWS is signed with a key that is not the certificate's; sign with the certificate's key or your account's",
                ));
            }
            AcmeRevoker::CertificateKey
        }
        KeyRef::Kid(_) => {
            let account = signed.account()?;
            who = identity(account.id);
            if authorized_for_all(&acme, account.id, &facts.subject_alt_names).await? {
                AcmeRevoker::Authorized(&who)
            } else {
                AcmeRevoker::Orderer(&who)
            }
        }
    };
    acme.authority.revoke_acme(&der, revoker, reason).await.map_err(|e| match e.kind() {
        Kind::NotFound => AcmeProblem::not_found("a certificate issued by this CA with these bytes"),
        Kind::Forbidden => AcmeProblem::unauthorized(e.to_string()),
        Kind::Conflict => AcmeProblem::new(ProblemType::AlreadyRevoked, e.to_string()),
        Kind::RejectedByPolicy => AcmeProblem::new(ProblemType::BadRevocationReason, e.to_string()),
        _ => AcmeProblem::from(e),
    })?;
    Ok(StatusCode::OK.into_response())
}
