//! Why a certificate was revoked (RFC 5280 §5.3.1 `CRLReason`), and where a CRL's scope ends.
//!
//! The names are the RFC's (`keyCompromise`), the codes its ENUMERATED values; both are what CRLs
//! and OCSP responses carry. Which reasons a requester may give, and which a CRL may carry, are
//! decided elsewhere (the authority, the lints); this type only says what each reason is.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A revocation reason (RFC 5280 §5.3.1). `removeFromCRL` (8) is a delta-CRL marker, not a
/// reason anyone revokes for, and `aACompromise` (10) concerns attribute certificates: signet
/// accepts neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RevocationReason {
    /// No reason given (0). CRLs leave the reasonCode out rather than say this (RFC 5280 §5.3.1).
    Unspecified,
    /// The subject's private key is known or suspected to be compromised (1).
    KeyCompromise,
    /// The issuing CA's key is compromised (2).
    CaCompromise,
    /// The subject's name or other information changed (3).
    AffiliationChanged,
    /// The certificate was replaced by a new one (4).
    Superseded,
    /// The certificate is no longer needed (5).
    CessationOfOperation,
    /// Suspended for now; the only reason that can be released (6).
    CertificateHold,
    /// A privilege the certificate asserted was withdrawn (9).
    PrivilegeWithdrawn,
}

/// Why a reason was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a revocation reason; use keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn or unspecified"
)]
pub struct UnknownReason(pub String);

impl RevocationReason {
    /// Every reason, in code order.
    pub const ALL: [RevocationReason; 8] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::CertificateHold,
        Self::PrivilegeWithdrawn,
    ];

    /// The RFC 5280 name, e.g. `keyCompromise`: what the API, the CLI and the database use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
        }
    }

    /// The `CRLReason` ENUMERATED value.
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::CaCompromise => 2,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
            Self::CertificateHold => 6,
            Self::PrivilegeWithdrawn => 9,
        }
    }

    /// The reason with this `CRLReason` value, if signet knows it.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Parses a name, ignoring case, `-` and `_` (`key-compromise`, `KeyCompromise`, `keyCompromise`).
    pub fn parse(text: &str) -> Result<Self, UnknownReason> {
        let wanted: String = text.trim().chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().to_lowercase() == wanted)
            .ok_or_else(|| UnknownReason(text.to_string()))
    }

    /// Whether a revocation for this reason can be undone (only a hold can, RFC 5280 §5.3.1).
    pub fn is_releasable(self) -> bool {
        self == Self::CertificateHold
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RevocationReason {
    type Err = UnknownReason;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for RevocationReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RevocationReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One entry of a CRL (RFC 5280 §5.1.2.6): what a revoked certificate contributes. Kept small
/// and inline, since a CA may have millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The certificate's serial.
    pub serial: crate::Serial,
    /// revocationDate.
    pub revoked_at: time::OffsetDateTime,
    /// reasonCode (left out of the CRL when unspecified).
    pub reason: RevocationReason,
    /// invalidityDate.
    pub invalidity_date: Option<time::OffsetDateTime>,
}

/// Which certificates a CRL covers: all the CA's, or one partition (shard) of them, fixed for a
/// certificate when it is issued and named in its CRL distribution point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CrlScope {
    /// The full and complete CRL (BR §7.2).
    Full,
    /// Partition `n`, from 0.
    Shard(u16),
}

impl CrlScope {
    /// The shard number, if a partition.
    pub fn shard(self) -> Option<u16> {
        match self {
            Self::Full => None,
            Self::Shard(n) => Some(n),
        }
    }
}

impl fmt::Display for CrlScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("full"),
            Self::Shard(n) => write!(f, "shard {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_spellings_round_trip() {
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(reason.as_str()).unwrap(), reason);
            assert_eq!(RevocationReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(RevocationReason::parse("key-compromise").unwrap(), RevocationReason::KeyCompromise);
        assert_eq!(RevocationReason::parse("CACompromise").unwrap(), RevocationReason::CaCompromise);
        assert_eq!(RevocationReason::from_code(9), Some(RevocationReason::PrivilegeWithdrawn));
        assert_eq!(RevocationReason::from_code(8), None);
        let e = RevocationReason::parse("stolen").unwrap_err();
        assert!(e.to_string().contains("keyCompromise"), "{e}");
        let json = serde_json::to_string(&RevocationReason::CertificateHold).unwrap();
        assert_eq!(json, "\"certificateHold\"");
        assert!(RevocationReason::CertificateHold.is_releasable());
        assert!(!RevocationReason::KeyCompromise.is_releasable());
    }
}
