//! Accounts (RFC 8555 §7.3): creation (with terms of service, contacts, External Account
//! Binding, `onlyReturnExisting`), reading and updating, deactivation, and key rollover.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use signet_store::acme::{AccountStatus, AcmeAccountRecord, NewAcmeAccount};
use signet_store::{AuditEvent, StoreError};

use crate::jws::{Jwk, Jws, KeyRef, MacJws};
use crate::problem::{AcmeProblem, AcmeResult, ProblemType};
use crate::server::{AcmeState, Posted, Signer, json};

/// Most contacts an account may list.
const MAX_CONTACTS: usize = 10;

/// The identity an account acts as towards the authority (and in the audit log).
pub fn identity(account_id: i64) -> String {
    format!("acme-account:{account_id}")
}

fn audit(acme: &AcmeState, actor: &str, action: &str, target: &str, details: Value) -> AuditEvent {
    AuditEvent::new(acme.clock.now(), actor, action, target, details)
}

/// The account object (RFC 8555 §7.1.2).
pub(crate) fn object(acme: &AcmeState, account: &AcmeAccountRecord) -> Value {
    json!({
        "status": account.status.as_str(),
        "contact": account.contact,
        "termsOfServiceAgreed": acme.config.settings.terms_of_service.is_some(),
        "orders": acme.url(&format!("/acct/{}/orders", account.id)),
        "createdAt": signet_model::time_text::format(account.created_at),
    })
}

/// Checks contact URLs: `mailto:` with one plain address each (RFC 8555 §7.3).
fn contacts(value: Option<&Value>) -> AcmeResult<Option<Vec<String>>> {
    let Some(value) = value else { return Ok(None) };
    let list = value.as_array().ok_or_else(|| AcmeProblem::malformed("\"contact\" must be an array of URLs"))?;
    if list.len() > MAX_CONTACTS {
        return Err(AcmeProblem::new(ProblemType::InvalidContact, format!("at most {MAX_CONTACTS} contacts")));
    }
    let mut out = Vec::with_capacity(list.len());
    for contact in list {
        let text = contact.as_str().ok_or_else(|| AcmeProblem::malformed("each contact must be a string"))?;
        let Some(address) = text.strip_prefix("mailto:") else {
            return Err(AcmeProblem::new(
                ProblemType::UnsupportedContact,
                format!("{text:?}: only mailto: contacts are supported"),
            ));
        };
        let plain = address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
        if !plain || address.contains([',', '?', ' ', '<', '>']) || address.chars().any(char::is_control) {
            return Err(AcmeProblem::new(
                ProblemType::InvalidContact,
                format!("{text:?} is not one plain e-mail address (mailto:name@example.com)"),
            ));
        }
        out.push(text.to_string());
    }
    Ok(Some(out))
}

/// `POST /acme/new-account`.
pub(crate) async fn new_account(State(acme): State<AcmeState>, posted: Posted) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Jwk).await?;
    let payload = signed.jws.payload_json()?;
    if let Some(existing) = &signed.account {
        // The key has an account already: answer it, whatever else was asked (§7.3.1).
        return Ok(json(StatusCode::OK, Some(&acme.account_url(existing.id)), &object(&acme, existing)));
    }
    if payload.get("onlyReturnExisting").and_then(Value::as_bool) == Some(true) {
        return Err(AcmeProblem::new(ProblemType::AccountDoesNotExist, "no account has this key"));
    }
    if acme.config.settings.terms_of_service.is_some()
        && payload.get("termsOfServiceAgreed").and_then(Value::as_bool) != Some(true)
    {
        return Err(AcmeProblem::new(
            ProblemType::UserActionRequired,
            "agree to the terms of service (termsOfServiceAgreed: true; see the directory's meta.termsOfService)",
        ));
    }
    let contact = contacts(payload.get("contact"))?.unwrap_or_default();
    let eab_key_id = match payload.get("externalAccountBinding") {
        Some(binding) => Some(external_binding(&acme, &signed.jws, &signed.jwk, binding).await?),
        None if acme.config.settings.eab_required => {
            return Err(AcmeProblem::new(
                ProblemType::ExternalAccountRequired,
                "this CA requires External Account Binding: ask its administrator for a key (signet acme eab create)",
            ));
        }
        None => None,
    };
    let thumbprint = signed.jwk.thumbprint();
    let details = json!({"key": thumbprint, "contact": contact, "eab": eab_key_id});
    let new = NewAcmeAccount {
        thumbprint,
        jwk: signed.jwk.canonical_json(),
        contact,
        eab_key_id,
        created_at: acme.clock.now(),
    };
    let account = match acme
        .store
        .create_account(new, audit(&acme, "acme", "acme.account.create", "acme-account", details))
        .await
    {
        Ok(account) => account,
        Err(StoreError::Conflict(message)) => return Err(AcmeProblem::unauthorized(message)),
        Err(e) => return Err(e.into()),
    };
    Ok(json(StatusCode::CREATED, Some(&acme.account_url(account.id)), &object(&acme, &account)))
}

/// Checks an `externalAccountBinding` (RFC 8555 §7.3.4); answers its key id.
async fn external_binding(acme: &AcmeState, outer: &Jws, jwk: &Jwk, binding: &Value) -> AcmeResult<String> {
    let inner = MacJws::from_value(binding)?;
    if inner.url != outer.protected.url {
        return Err(AcmeProblem::unauthorized("the externalAccountBinding url is not the newAccount URL"));
    }
    let payload: Value = serde_json::from_slice(&inner.payload)
        .map_err(|_| AcmeProblem::malformed("the externalAccountBinding payload is not a JWK"))?;
    if Jwk::from_json(&payload).ok().as_ref() != Some(jwk) {
        return Err(AcmeProblem::unauthorized("the externalAccountBinding payload is not this account's key"));
    }
    let refused =
        || AcmeProblem::unauthorized(format!("external account key {:?} is unknown or already used", inner.key_id));
    let record = acme.store.eab_key(&inner.key_id).await?.ok_or_else(refused)?;
    if record.account_id.is_some() {
        return Err(refused());
    }
    let mac_key = acme.eab.mac_key(&inner.key_id);
    let stored = crate::eab::key_sha256(&mac_key);
    if aws_lc_rs::constant_time::verify_slices_are_equal(stored.as_bytes(), record.key_sha256.as_bytes()).is_err() {
        return Err(refused());
    }
    inner.verify(&mac_key).map_err(|_| {
        AcmeProblem::unauthorized("the externalAccountBinding MAC does not verify with that key id's key")
    })?;
    Ok(inner.key_id)
}

/// `POST /acme/acct/{id}`: read (POST-as-GET), update contacts, or deactivate.
pub(crate) async fn account(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account_at(&id, "the account URL is not the account that signed the request")?;
    let actor = identity(account.id);
    let target = format!("acme-account:{}", account.id);
    if signed.jws.is_post_as_get() {
        return Ok(json(StatusCode::OK, None, &object(&acme, account)));
    }
    let payload = signed.jws.payload_json()?;
    let mut updated = account.clone();
    match payload.get("status").and_then(Value::as_str) {
        Some("deactivated") => {
            let event = audit(&acme, &actor, "acme.account.deactivate", &target, json!({}));
            acme.store.update_account(account.id, None, Some(AccountStatus::Deactivated), event).await?;
            updated.status = AccountStatus::Deactivated;
        }
        Some(other) => {
            return Err(AcmeProblem::malformed(format!(
                "an account's status can only be set to \"deactivated\", not {other:?}"
            )));
        }
        None => {
            if let Some(contact) = contacts(payload.get("contact"))? {
                let event = audit(&acme, &actor, "acme.account.update", &target, json!({"contact": contact}));
                acme.store.update_account(account.id, Some(contact.clone()), None, event).await?;
                updated.contact = contact;
            }
        }
    }
    Ok(json(StatusCode::OK, None, &object(&acme, &updated)))
}

/// `POST /acme/key-change` (RFC 8555 §7.3.5): the inner JWS, signed by the new key, names the
/// account and its old key.
pub(crate) async fn key_change(State(acme): State<AcmeState>, posted: Posted) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?;
    let inner = Jws::from_value(&signed.jws.payload_json()?, false)?;
    let KeyRef::Jwk(new_key) = &inner.protected.key else {
        return Err(AcmeProblem::malformed("the inner JWS of a key change carries the new key in \"jwk\""));
    };
    inner.verify(new_key)?;
    if inner.protected.url != signed.jws.protected.url {
        return Err(AcmeProblem::unauthorized("the inner JWS url is not the key-change URL"));
    }
    if inner.protected.nonce.is_some() {
        return Err(AcmeProblem::malformed("the inner JWS of a key change must not have a nonce"));
    }
    let change = inner.payload_json()?;
    if change.get("account").and_then(Value::as_str) != Some(acme.account_url(account.id).as_str()) {
        return Err(AcmeProblem::unauthorized("the key change names another account"));
    }
    let old_key = change.get("oldKey").map(Jwk::from_json).transpose()?;
    if old_key.as_ref() != Some(&signed.jwk) {
        return Err(AcmeProblem::unauthorized("oldKey is not the account's current key"));
    }
    let thumbprint = new_key.thumbprint();
    if let Some(holder) = acme.store.acme_account_by_key(&thumbprint).await? {
        // 409 with the holder's URL (RFC 8555 §7.3.5).
        let problem =
            AcmeProblem { status: StatusCode::CONFLICT, ..AcmeProblem::malformed("another account holds the new key") };
        let mut response = problem.into_response();
        if let Ok(location) = axum::http::HeaderValue::from_str(&acme.account_url(holder.id)) {
            response.headers_mut().insert(axum::http::header::LOCATION, location);
        }
        return Ok(response);
    }
    let actor = identity(account.id);
    let event = audit(
        &acme,
        &actor,
        "acme.account.key-change",
        &format!("acme-account:{}", account.id),
        json!({"old_key": signed.jwk.thumbprint(), "new_key": thumbprint}),
    );
    acme.store.change_account_key(account.id, &thumbprint, &new_key.canonical_json(), event).await?;
    let mut updated = account.clone();
    updated.thumbprint = thumbprint;
    Ok(json(StatusCode::OK, None, &object(&acme, &updated)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_plain_mailto_addresses() {
        let ok = json!(["mailto:admin@example.com", "mailto:a.b+c@mail.example.org"]);
        assert_eq!(contacts(Some(&ok)).unwrap().unwrap().len(), 2);
        for (bad, kind) in [
            (json!(["tel:+1555"]), ProblemType::UnsupportedContact),
            (json!(["mailto:a@b.com,c@d.com"]), ProblemType::InvalidContact),
            (json!(["mailto:a@example.com?subject=x"]), ProblemType::InvalidContact),
            (json!(["mailto:nobody"]), ProblemType::InvalidContact),
            (json!(vec!["mailto:a@example.com"; 11]), ProblemType::InvalidContact),
            (json!("mailto:a@example.com"), ProblemType::Malformed),
        ] {
            assert_eq!(contacts(Some(&bad)).unwrap_err().kind, kind, "{bad}");
        }
        assert_eq!(contacts(None).unwrap(), None);
    }
}
