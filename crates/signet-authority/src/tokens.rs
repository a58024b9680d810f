//! API tokens: creating and revoking them, and telling who holds one. Tokens are random 256-bit
//! secrets; only their SHA-256 is stored. A token seen recently is remembered for a few seconds
//! (by the authority's [`Clock`]), so a busy client does not cost a database read per request.
//!
//! Strict role separation (Certificate Services' rule): an identity — every live token with one
//! name — holds at most one of CA Administrator, Certificate Manager, Auditor and Backup Operator.
//! It is checked whenever a token authenticates, so an identity that came to break it (tokens
//! made before the setting was turned on, or by hand) can do nothing until one of its tokens is
//! revoked; and an administrator cannot give a role to itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::json;
use signet_model::{Clock, Role, Sha256};
use signet_store::audit::AuditEvent;
use signet_store::{NewToken, Store, TokenRecord};
use time::{Duration, OffsetDateTime};

use crate::actor::Actor;
use crate::error::{AuthorityError, AuthorityResult, Kind};

/// How long an authenticated token is trusted without asking the database again.
const CACHE_TTL: Duration = Duration::seconds(10);

/// Most tokens remembered at once; past it the memory starts over.
const CACHE_SIZE: usize = 10_000;

/// The roles strict separation keeps apart.
pub const SEPARATED_ROLES: [Role; 4] =
    [Role::CaAdministrator, Role::CertificateManager, Role::Auditor, Role::BackupOperator];

/// An identity that holds more than one separated role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeparationViolation {
    /// The identity (token name).
    pub name: String,
    /// The separated roles it holds, over all its live tokens.
    pub roles: Vec<Role>,
    /// Its live tokens' ids.
    pub tokens: Vec<i64>,
}

impl SeparationViolation {
    /// One line for operators, saying how to fix it.
    pub fn describe(&self) -> String {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        let tokens: Vec<String> = self.tokens.iter().map(ToString::to_string).collect();
        format!(
            "{} holds {} (tokens {}); with strict_role_separation an identity holds only one of ca-administrator, certificate-manager, auditor and backup-operator: revoke the extra tokens (signet token revoke ID)",
            self.name,
            roles.join(" and "),
            tokens.join(", ")
        )
    }
}

/// The separated roles held by `name` over its live tokens, and those tokens; `extra` counts too.
fn separated_roles(tokens: &[TokenRecord], name: &str, extra: &[Role]) -> (Vec<Role>, Vec<i64>) {
    let live: Vec<&TokenRecord> = tokens.iter().filter(|t| t.name == name && t.revoked_at.is_none()).collect();
    let held: Vec<Role> = live.iter().flat_map(|t| t.roles.iter().copied()).chain(extra.iter().copied()).collect();
    let separated = SEPARATED_ROLES.into_iter().filter(|r| held.contains(r)).collect();
    (separated, live.iter().map(|t| t.id).collect())
}

/// Every identity that breaks strict role separation, by name.
pub async fn separation_violations(store: &dyn Store) -> AuthorityResult<Vec<SeparationViolation>> {
    let tokens = store.tokens().await?;
    let mut names: Vec<&str> = tokens.iter().filter(|t| t.revoked_at.is_none()).map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let (roles, ids) = separated_roles(&tokens, name, &[]);
            (roles.len() > 1).then(|| SeparationViolation { name: name.to_string(), roles, tokens: ids })
        })
        .collect())
}

/// Tells who holds a token.
pub(crate) struct TokenAuthenticator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    strict: bool,
    seen: Mutex<HashMap<Sha256, (Actor, OffsetDateTime)>>,
}

impl TokenAuthenticator {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, strict: bool) -> Self {
        Self { store, clock, strict, seen: Mutex::new(HashMap::new()) }
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
        if self.strict {
            let (roles, tokens) = separated_roles(&self.store.tokens().await?, &actor.name, &[]);
            if roles.len() > 1 {
                let violation = SeparationViolation { name: actor.name.clone(), roles, tokens };
                return Err(AuthorityError::Forbidden(format!("strict role separation: {}", violation.describe())));
            }
        }
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
        if name == created_by {
            return Err(AuthorityError::Forbidden(format!(
                "strict role separation: {created_by} may not give roles to itself; another CA Administrator makes its tokens"
            )));
        }
        let (all, _) = separated_roles(&store.tokens().await?, name, roles);
        if all.len() > 1 {
            let all: Vec<&str> = all.iter().map(|r| r.as_str()).collect();
            return Err(AuthorityError::new(
                Kind::RejectedByPolicy,
                format!(
                    "strict role separation: {name} would hold {}; an identity holds only one of ca-administrator, certificate-manager, auditor and backup-operator",
                    all.join(" and ")
                ),
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

/// Revokes token `id` (see `signet token list`); it stops authenticating within the few seconds
/// a front end remembers it.
pub async fn revoke_token(store: &dyn Store, clock: &dyn Clock, revoked_by: &str, id: i64) -> AuthorityResult<()> {
    let token = store.tokens().await?.into_iter().find(|t| t.id == id && t.revoked_at.is_none()).ok_or_else(|| {
        AuthorityError::new(Kind::NotFound, format!("there is no live token {id} (signet token list shows them)"))
    })?;
    let now = clock.now();
    let audit =
        AuditEvent::new(now, revoked_by, "token.revoke", &format!("identity:{}", token.name), json!({"token": id}));
    store.revoke_token(id, now, audit).await?;
    Ok(())
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
