//! A CA ready to issue: its certificate, its signer and the URLs its certificates point to.

use std::sync::Arc;

use std::collections::BTreeMap;

use signet_keys::Signer;
use signet_model::{CrlScope, Serial};
use time::OffsetDateTime;

/// An issuing CA.
#[derive(Clone)]
pub struct IssuingCa {
    /// Storage id.
    pub id: signet_model::CaId,
    /// Name.
    pub name: String,
    /// Its certificate (DER).
    pub certificate: Vec<u8>,
    /// Its key.
    pub signer: Arc<dyn Signer>,
    /// End of its validity.
    pub not_after: OffsetDateTime,
    /// Whether it is a test root (its certificates are marked as test certificates).
    pub is_test: bool,
}

impl std::fmt::Debug for IssuingCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuingCa({})", self.name)
    }
}

/// Where relying parties find the CA certificate, CRLs and OCSP.
#[derive(Debug, Clone, Default)]
pub struct Urls {
    /// Base URL; the CA certificate is at `{base}/ca/{name}.crt`, its full CRL at
    /// `{base}/crl/{name}.crl`, partition N of a partitioned CA's CRL at `{base}/crl/{name}/N.crl`.
    pub base: Option<String>,
    /// OCSP responder URL, if one runs.
    pub ocsp: Option<String>,
    /// CRL partitions per CA name, for CAs with more than one; a certificate's partition is
    /// fixed when it is issued ([`Urls::crl_shard_of`]) and named in its distribution point.
    pub crl_shards: BTreeMap<String, u16>,
}

impl Urls {
    /// caIssuers URL of a CA.
    pub fn ca_issuers(&self, ca: &str) -> Option<String> {
        self.base.as_ref().map(|b| format!("{}/ca/{ca}.crt", b.trim_end_matches('/')))
    }

    /// URL of a CA's CRL of `scope`: the full CRL, or one partition.
    pub fn crl(&self, ca: &str, scope: CrlScope) -> Option<String> {
        let base = self.base.as_ref()?.trim_end_matches('/');
        Some(match scope {
            CrlScope::Full => format!("{base}/crl/{ca}.crl"),
            CrlScope::Shard(n) => format!("{base}/crl/{ca}/{n}.crl"),
        })
    }

    /// The number of CRL partitions of a CA (1: one full CRL, unpartitioned).
    pub fn crl_shards(&self, ca: &str) -> u16 {
        self.crl_shards.get(ca).copied().unwrap_or(1).max(1)
    }

    /// The CRL a new certificate with `serial` from CA `ca` names: its partition, spread evenly
    /// by the serial's random low octets, when the CA is partitioned; else the full CRL.
    pub fn crl_shard_of(&self, ca: &str, serial: &Serial) -> CrlScope {
        let shards = self.crl_shards(ca);
        if shards <= 1 {
            return CrlScope::Full;
        }
        let magnitude = serial.magnitude();
        let low = magnitude.iter().rev().take(4).rev().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        // In range: the remainder of a division by a u16 fits a u16.
        CrlScope::Shard(u16::try_from(low % u32::from(shards)).unwrap_or(0))
    }
}
