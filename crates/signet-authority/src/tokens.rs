//! API tokens: creating them, and telling who holds one. Tokens are random 256-bit secrets; only
//! their SHA-256 is stored. A token seen recently is remembered for a few seconds (by the
//! authority's [`Clock`]), so a busy client does not cost a database read per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::json;
use signet_model::{Clock, Role, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{NewToken, Store};
use time::{Duration, OffsetDateTime};

use crate::actor::Actor;
use crate::error::{AuthorityError, AuthorityResult, Kind};

/// How long an authenticated token is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::seconds(10);

/// Most tokens remembered at once; past it the memory starts over.
const CACHE_SIZE: usize = 10_000;

/// Tells who holds a token.
pub(crate) struct TokenAuthenticator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    seen: Mutex<HashMap<Sha256, (Actor, OffsetDateTime)>>,
}

impl TokenAuthenticator {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, seen: Mutex::new(HashMap::new()) }
    }

    /// The identity holding `token`, or Unauthenticated.
    pub(crate) async fn authenticate(&self, token: &str) -> AuthorityResult<Actor> {
        let hash = hash_secret(token);
        let now = self.clock.now();
        if let Ok(seen) = self.seen.lock()
            && let Some((actor, at)) = seen.get(&hash)
            && now - *at < CACHE_TTL
            && now >= *at
        {
            return Ok(actor.clone());
        }
        let Some(record) = self.store.token_by_hash(&hash).await? else {
            return Err(AuthorityError::Unauthenticated("the API token is unknown or revoked".into()));
        };
        let actor = Actor { name: record.name, roles: record.roles };
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= CACHE_SIZE {
                seen.clear();
            }
            seen.insert(hash, (actor.clone(), now));
        }
        Ok(actor)
    }
}

/// A new random secret: 32 bytes, base64url without padding, prefixed for recognisability.
pub fn new_secret(prefix: &str) -> AuthorityResult<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| AuthorityError::new(Kind::Internal, "random generator failed"))?;
    Ok(format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

/// SHA-256 of a secret (surrounding whitespace ignored): what is stored.
pub fn hash_secret(secret: &str) -> Sha256 {
    Sha256::from_bytes(signet_codec::public_key::sha256(secret.trim().as_bytes()))
}

/// Creates a token directly in a store (used by the API and by local administration); answers
/// its secret, shown once.
pub async fn create_token(
    store: &dyn Store,
    clock: &dyn Clock,
    created_by: &str,
    name: &str,
    roles: &[Role],
    strict: bool,
) -> AuthorityResult<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(AuthorityError::new(Kind::Malformed, "a token name is 1 to 100 printable characters"));
    }
    if roles.is_empty() {
        return Err(AuthorityError::new(Kind::Malformed, "give at least one --role"));
    }
    if strict {
        let mut all: Vec<Role> = roles.to_vec();
        for existing in store.tokens().await? {
            if existing.name == name && existing.revoked_at.is_none() {
                all.extend(existing.roles);
            }
        }
        if all.contains(&Role::CaAdministrator) && all.contains(&Role::CertificateManager) {
            return Err(AuthorityError::new(
                Kind::RejectedByPolicy,
                format!("strict role separation: {name} would be both CA Administrator and Certificate Manager"),
            ));
        }
    }
    let secret = new_secret("sgt_")?;
    let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let now = clock.now();
    let audit =
        AuditEvent::new(now, created_by, "token.create", &format!("identity:{name}"), json!({"roles": role_names}));
    let token = NewToken { name: name.to_string(), hash: hash_secret(&secret), roles: roles.to_vec(), created_at: now };
    store.create_token(token, audit).await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("sgt_").unwrap();
        let b = new_secret("sgt_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("sgt_") && a.len() > 40);
        assert_eq!(hash_secret(&a), hash_secret(&format!("{a}\n")));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
