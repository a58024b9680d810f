//! Roles of a certificate authority, after the Common Criteria roles Microsoft Certificate Services
//! uses (seed ARC-20): who may configure the CA, who approves and revokes, who reads the audit log,
//! who takes backups, and who may only ask for certificates.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role a token or identity can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Configures the CA: profiles, roles, tokens, CA certificates.
    CaAdministrator,
    /// Approves or denies requests and (later) revokes certificates.
    CertificateManager,
    /// Reads and verifies the audit log.
    Auditor,
    /// Takes and restores backups.
    BackupOperator,
    /// Submits requests and retrieves their certificates.
    Enrollee,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 5] =
        [Self::CaAdministrator, Self::CertificateManager, Self::Auditor, Self::BackupOperator, Self::Enrollee];

    /// The kebab-case name used in the CLI, config and API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaAdministrator => "ca-administrator",
            Self::CertificateManager => "certificate-manager",
            Self::Auditor => "auditor",
            Self::BackupOperator => "backup-operator",
            Self::Enrollee => "enrollee",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "admin" | "ca-admin" => "ca-administrator",
            "manager" | "cert-manager" | "officer" => "certificate-manager",
            "backup" => "backup-operator",
            other => other,
        };
        Self::ALL.into_iter().find(|r| r.as_str() == alias).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
            format!("{s:?} is not a role; use one of: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_with_aliases() {
        assert_eq!("ca-admin".parse::<Role>().unwrap(), Role::CaAdministrator);
        assert_eq!("Certificate_Manager".parse::<Role>().unwrap(), Role::CertificateManager);
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().unwrap_err().contains("auditor"));
    }
}
