//! The directory (RFC 8555 §7.1.1, with `renewalInfo` from RFC 9773 and `meta.profiles` from the
//! profiles draft) and newNonce (§7.2).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::server::AcmeState;

/// `GET /acme/directory`.
pub(crate) async fn directory(State(acme): State<AcmeState>) -> Response {
    let settings = &acme.config.settings;
    let mut meta = Map::new();
    let profiles: Map<String, Value> =
        acme.config.profiles.iter().map(|(name, description)| (name.clone(), json!(description))).collect();
    meta.insert("profiles".into(), Value::Object(profiles));
    meta.insert("caaIdentities".into(), json!(settings.caa_identities));
    meta.insert("externalAccountRequired".into(), json!(settings.eab_required));
    if let Some(terms) = &settings.terms_of_service {
        meta.insert("termsOfService".into(), json!(terms));
    }
    if let Some(website) = &settings.website {
        meta.insert("website".into(), json!(website));
    }
    axum::Json(json!({
        "newNonce": acme.url("/new-nonce"),
        "newAccount": acme.url("/new-account"),
        "newOrder": acme.url("/new-order"),
        "revokeCert": acme.url("/revoke-cert"),
        "keyChange": acme.url("/key-change"),
        "renewalInfo": acme.url("/renewal-info"),
        "meta": meta,
    }))
    .into_response()
}

/// `HEAD /acme/new-nonce` (200) and `GET` (204): the nonce is in `Replay-Nonce`, added to every
/// answer.
pub(crate) async fn new_nonce_head() -> StatusCode {
    StatusCode::OK
}

/// `GET /acme/new-nonce`.
pub(crate) async fn new_nonce_get() -> StatusCode {
    StatusCode::NO_CONTENT
}
