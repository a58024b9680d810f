//! Authorizations and challenges (RFC 8555 §7.5): reading an authorization, deactivating it, and
//! answering a challenge, which the validator checks at once (in a task of its own, so a client
//! that hangs up does not cut it short); and the CAA check before finalization.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use signet_acme_validator::{CaaCheck, Challenge, ChallengeKind, Target, ValidationError};
use signet_store::acme::*;
use signet_store::{AuditEvent, StoreError};
use time::OffsetDateTime;

use crate::account::identity;
use crate::identifier::compound;
use crate::problem::{AcmeProblem, AcmeResult, ProblemType, Subproblem};
use crate::server::{AcmeState, Posted, Signer, json, link};

/// An authorization's status now: a pending one past its expiry has expired.
pub(crate) fn current(authz: &AcmeAuthorizationRecord, now: OffsetDateTime) -> AuthorizationStatus {
    match authz.status {
        AuthorizationStatus::Pending | AuthorizationStatus::Valid if authz.expires_at <= now => {
            AuthorizationStatus::Expired
        }
        status => status,
    }
}

async fn owned(acme: &AcmeState, id: &str, account: &AcmeAccountRecord) -> AcmeResult<AcmeAuthorizationRecord> {
    let missing = || AcmeProblem::not_found(format!("authorization {id}"));
    let id: i64 = id.parse().map_err(|_| missing())?;
    match acme.store.acme_authorization(id).await? {
        Some(authz) if authz.account_id == account.id => Ok(authz),
        _ => Err(missing()),
    }
}

fn challenge_object(acme: &AcmeState, authz: &AcmeAuthorizationRecord, challenge: &AcmeChallenge) -> Value {
    let mut object = json!({
        "type": challenge.kind,
        "url": acme.url(&format!("/chall/{}/{}", authz.id, challenge.kind)),
        "token": challenge.token,
        "status": match challenge.status {
            ChallengeStatus::Pending => "pending",
            ChallengeStatus::Processing => "processing",
            ChallengeStatus::Valid => "valid",
            ChallengeStatus::Invalid => "invalid",
        },
    });
    if let Some(fields) = object.as_object_mut() {
        if let Some(at) = challenge.validated.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()) {
            fields.insert("validated".into(), json!(signet_model::time_text::format(at)));
        }
        if let Some(error) = &challenge.error {
            fields.insert("error".into(), error.clone());
        }
    }
    object
}

fn object(acme: &AcmeState, authz: &AcmeAuthorizationRecord) -> Value {
    let status = current(authz, acme.clock.now());
    let mut object = json!({
        "identifier": crate::identifier::json_of(&authz.identifier),
        "status": status.as_str(),
        "expires": signet_model::time_text::format(authz.expires_at),
        "challenges": authz.challenges.iter().map(|c| challenge_object(acme, authz, c)).collect::<Vec<_>>(),
    });
    if authz.wildcard
        && let Some(fields) = object.as_object_mut()
    {
        fields.insert("wildcard".into(), json!(true));
    }
    object
}

/// `POST /acme/authz/{id}`: read (POST-as-GET) or deactivate (`{"status": "deactivated"}`).
pub(crate) async fn authorization(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?;
    let mut authz = owned(&acme, &id, account).await?;
    if !signed.jws.is_post_as_get() {
        let payload = signed.jws.payload_json()?;
        if payload.get("status").and_then(Value::as_str) != Some("deactivated") {
            return Err(AcmeProblem::malformed(
                "an authorization can only be deactivated: {\"status\": \"deactivated\"}",
            ));
        }
        let from = current(&authz, acme.clock.now());
        if !matches!(from, AuthorizationStatus::Pending | AuthorizationStatus::Valid) {
            return Err(AcmeProblem::malformed(format!("the authorization is {}", from.as_str())));
        }
        let event = AuditEvent::new(
            acme.clock.now(),
            &identity(account.id),
            "acme.authorization.deactivate",
            &format!("acme-authorization:{}", authz.id),
            json!({"identifier": authz.identifier.value}),
        );
        acme.store
            .update_authorization(
                authz.id,
                from,
                AuthorizationStatus::Deactivated,
                authz.expires_at,
                authz.challenges.clone(),
                Some(event),
            )
            .await?;
        authz.status = AuthorizationStatus::Deactivated;
    }
    Ok(json(StatusCode::OK, None, &object(&acme, &authz)))
}

/// `POST /acme/chall/{authz}/{type}`: `{}` asks for validation; POST-as-GET reads.
pub(crate) async fn challenge(
    State(acme): State<AcmeState>,
    Path((id, kind)): Path<(String, String)>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?.clone();
    let authz = owned(&acme, &id, &account).await?;
    let index = authz
        .challenges
        .iter()
        .position(|c| c.kind == kind)
        .ok_or_else(|| AcmeProblem::not_found(format!("challenge {kind} of authorization {id}")))?;
    let up = acme.url(&format!("/authz/{}", authz.id));
    let answer = |authz: &AcmeAuthorizationRecord| -> AcmeResult<Response> {
        let challenge = authz.challenges.get(index).ok_or_else(AcmeProblem::internal)?;
        let mut response = json(StatusCode::OK, None, &challenge_object(&acme, authz, challenge));
        link(response.headers_mut(), &up, "up");
        Ok(response)
    };
    let now = acme.clock.now();
    let pending = current(&authz, now) == AuthorizationStatus::Pending
        && authz.challenges.get(index).is_some_and(|c| c.status == ChallengeStatus::Pending);
    if signed.jws.is_post_as_get() || !pending {
        return answer(&authz);
    }
    let task = tokio::spawn(validate(acme.clone(), account, authz, index));
    let validated = task.await.map_err(|_| AcmeProblem::internal())??;
    answer(&validated)
}

/// The identifier as the validator takes it.
fn target(authz: &AcmeAuthorizationRecord) -> AcmeResult<Target> {
    match authz.identifier.kind.as_str() {
        "ip" => authz.identifier.value.parse().map(Target::Ip).map_err(|_| AcmeProblem::internal()),
        _ => Ok(Target::Dns(authz.identifier.value.clone())),
    }
}

/// The problem type of a failed validation.
pub(crate) fn problem_of(error: &ValidationError) -> AcmeProblem {
    let kind = match error {
        ValidationError::Dns(_) => ProblemType::Dns,
        ValidationError::Connection(_) => ProblemType::Connection,
        ValidationError::Tls(_) => ProblemType::Tls,
        ValidationError::IncorrectResponse(_) => ProblemType::IncorrectResponse,
        ValidationError::AddressNotAllowed(_) => ProblemType::RejectedIdentifier,
        ValidationError::Caa(_) => ProblemType::Caa,
        _ => ProblemType::ServerInternal,
    };
    AcmeProblem::new(kind, error.to_string())
}

/// Validates one challenge and stores the outcome: the authorization becomes valid (reusable for
/// the reuse window) or invalid.
async fn validate(
    acme: AcmeState,
    account: AcmeAccountRecord,
    mut authz: AcmeAuthorizationRecord,
    index: usize,
) -> AcmeResult<AcmeAuthorizationRecord> {
    let challenge = authz.challenges.get(index).cloned().ok_or_else(AcmeProblem::internal)?;
    let kind = ChallengeKind::parse(&challenge.kind).ok_or_else(AcmeProblem::internal)?;
    let thumbprint: String = {
        let jwk: Value = serde_json::from_str(&account.jwk).map_err(|_| AcmeProblem::internal())?;
        crate::jws::Jwk::from_json(&jwk)?.thumbprint()
    };
    let request = Challenge {
        kind,
        target: target(&authz)?,
        token: challenge.token.clone(),
        key_authorization: format!("{}.{thumbprint}", challenge.token),
    };
    let outcome = acme.validator.validate(&request).await;
    let now = acme.clock.now();
    let (status, expires_at) = match &outcome {
        Ok(()) => (AuthorizationStatus::Valid, now + acme.config.settings.authorization_reuse),
        Err(_) => (AuthorizationStatus::Invalid, authz.expires_at),
    };
    if let Some(updated) = authz.challenges.get_mut(index) {
        match &outcome {
            Ok(()) => {
                updated.status = ChallengeStatus::Valid;
                updated.validated = Some(now.unix_timestamp());
            }
            Err(e) => {
                updated.status = ChallengeStatus::Invalid;
                updated.error = Some(problem_of(e).document());
            }
        }
    }
    let event = AuditEvent::new(
        now,
        &identity(account.id),
        if outcome.is_ok() { "acme.validation.pass" } else { "acme.validation.fail" },
        &format!("acme-authorization:{}", authz.id),
        json!({
            "identifier": authz.identifier.value,
            "method": challenge.kind,
            "error": outcome.as_ref().err().map(ToString::to_string),
        }),
    );
    match acme
        .store
        .update_authorization(
            authz.id,
            AuthorizationStatus::Pending,
            status,
            expires_at,
            authz.challenges.clone(),
            Some(event),
        )
        .await
    {
        Ok(()) => {}
        // Another challenge of it was answered at the same moment: what it stored stands.
        Err(StoreError::Conflict(_)) => {
            return acme.store.acme_authorization(authz.id).await?.ok_or_else(AcmeProblem::internal);
        }
        Err(e) => return Err(e.into()),
    }
    authz.status = status;
    authz.expires_at = expires_at;
    Ok(authz)
}

/// CAA for every DNS identifier of an order (its `authorizations`), just before issuance (RFC 8659
/// §3): each refusal a subproblem of one `caa` problem.
pub(crate) async fn check_caa(
    acme: &AcmeState,
    account: &AcmeAccountRecord,
    authorizations: &[AcmeAuthorizationRecord],
) -> AcmeResult<()> {
    let mut problems = Vec::new();
    for authz in authorizations.iter().filter(|a| a.identifier.kind == "dns") {
        let method = authz
            .challenges
            .iter()
            .find(|c| c.status == ChallengeStatus::Valid)
            .map_or_else(String::new, |c| c.kind.clone());
        let check = CaaCheck {
            name: authz.identifier.value.clone(),
            wildcard: authz.wildcard,
            account_uri: acme.account_url(account.id),
            method,
        };
        if let Err(e) = acme.validator.check_caa(&check).await {
            let problem = problem_of(&e);
            let shown =
                if authz.wildcard { format!("*.{}", authz.identifier.value) } else { authz.identifier.value.clone() };
            problems.push(Subproblem {
                kind: problem.kind.urn(),
                detail: problem.detail,
                identifier: json!({"type": "dns", "value": shown}),
            });
        }
    }
    compound(problems, "CAA forbids issuance for some identifiers")
}
