//! Who is asking, and what each role may do (seed ARC-20, TPL-2). Every API action passes through
//! [`permit`]. Tokens are random 256-bit secrets; only their SHA-256 is stored.

use base64::Engine;
use serde::Serialize;
use signet_model::Role;

use crate::error::{AuthorityError, AuthorityResult, Kind};

/// An authenticated identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// Identity name (the token's name).
    pub name: String,
    /// Roles held.
    pub roles: Vec<Role>,
}

/// Things that need permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Submit a request.
    Submit,
    /// Read any request or certificate (not only one's own).
    ReadAny,
    /// List the pending queue.
    Queue,
    /// Approve a request.
    Approve,
    /// Deny a request.
    Deny,
    /// Search requests and certificates.
    Search,
    /// Create tokens and manage roles.
    ManageTokens,
    /// Read and verify the audit log.
    ReadAudit,
}

impl Action {
    /// Roles allowed to do this.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Submit => &[Enrollee, CertificateManager, CaAdministrator],
            Action::ReadAny => &[CertificateManager, Auditor, CaAdministrator],
            Action::Queue | Action::Approve | Action::Deny => &[CertificateManager],
            Action::Search => &[CertificateManager, Auditor, CaAdministrator],
            Action::ManageTokens => &[CaAdministrator],
            Action::ReadAudit => &[Auditor],
        }
    }

    /// Name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Submit => "submit requests",
            Action::ReadAny => "read other identities' requests",
            Action::Queue => "list the pending queue",
            Action::Approve => "approve requests",
            Action::Deny => "deny requests",
            Action::Search => "search requests and certificates",
            Action::ManageTokens => "create tokens",
            Action::ReadAudit => "read the audit log",
        }
    }
}

impl Actor {
    /// Whether the actor holds any role allowed to do `action`.
    pub fn may(&self, action: Action) -> bool {
        self.roles.iter().any(|r| action.roles().contains(r))
    }
}

/// Refuses with 403 unless `actor` may do `action`.
pub fn permit(actor: &Actor, action: Action) -> AuthorityResult<()> {
    if actor.may(action) {
        return Ok(());
    }
    let needed: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
    Err(AuthorityError::new(
        Kind::Forbidden,
        format!("{} may not {}: that needs the role {}", actor.name, action.describe(), needed.join(" or ")),
    ))
}

/// A new random secret: 32 bytes, base64url without padding, prefixed for recognisability.
pub fn new_secret(prefix: &str) -> AuthorityResult<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| AuthorityError::new(Kind::Internal, "random generator failed"))?;
    Ok(format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

/// SHA-256 of a secret, hex: what is stored.
pub fn hash_secret(secret: &str) -> String {
    signet_codec::public_key::sha256_hex(secret.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        let manager = Actor { name: "m".into(), roles: vec![Role::CertificateManager] };
        let enrollee = Actor { name: "e".into(), roles: vec![Role::Enrollee] };
        let auditor = Actor { name: "a".into(), roles: vec![Role::Auditor] };
        assert!(permit(&manager, Action::Approve).is_ok());
        let e = permit(&enrollee, Action::Approve).unwrap_err();
        assert_eq!(e.kind, Kind::Forbidden);
        assert!(e.message.contains("certificate-manager"));
        assert!(permit(&auditor, Action::ReadAudit).is_ok());
        assert!(permit(&auditor, Action::Submit).is_err());
        assert!(permit(&manager, Action::ReadAudit).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("sgt_").unwrap();
        let b = new_secret("sgt_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("sgt_") && a.len() > 40);
        assert_eq!(hash_secret(&a), hash_secret(&format!("{a}\n")));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
