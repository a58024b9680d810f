//! Who is asking, and what each role may do (seed ARC-20, TPL-2). Every API action passes through
//! [`permit`].

use serde::Serialize;
use signet_model::Role;

use crate::error::{AuthorityError, AuthorityResult};

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
    /// Revoke any certificate, for any reason (a requester may revoke its own for a few).
    Revoke,
    /// Release a certificate from hold.
    ReleaseHold,
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
            Action::Revoke | Action::ReleaseHold => &[CertificateManager],
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
            Action::Revoke => "revoke other identities' certificates",
            Action::ReleaseHold => "release certificates from hold",
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
    Err(AuthorityError::NotPermitted {
        actor: actor.name.clone(),
        action: action.describe(),
        needed: needed.join(" or "),
    })
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
        assert_eq!(e.kind(), crate::Kind::Forbidden);
        assert!(e.to_string().contains("certificate-manager"));
        assert!(permit(&auditor, Action::ReadAudit).is_ok());
        assert!(permit(&auditor, Action::Submit).is_err());
        assert!(permit(&manager, Action::ReadAudit).is_err());
        assert!(permit(&manager, Action::Revoke).is_ok());
        assert!(permit(&enrollee, Action::Revoke).is_err());
        let admin = Actor { name: "root".into(), roles: vec![Role::CaAdministrator] };
        assert!(permit(&admin, Action::ReleaseHold).is_err(), "revocation is a Certificate Manager's job");
    }
}
