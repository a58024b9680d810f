//! CAs whose own certificate was revoked (a subordinate's, by its parent: `cACompromise`,
//! `cessationOfOperation`...). Such a CA issues nothing more: every certificate it signed would
//! fail validation at a relying party. Found by looking each CA's certificate up under the other
//! CAs of the store, on the same terms for `signet serve` (which refuses to issue from it) and
//! `signet ca status` (which reports it).

use serde::Serialize;
use signet_model::{CaId, Serial};
use signet_store::StoreRead;

use crate::error::AuthorityResult;

/// A CA whose certificate its parent revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedCa {
    /// The CA's name.
    pub ca: String,
    /// The CA that revoked it (its parent).
    pub revoked_by_ca: String,
    /// Why (RFC 5280 name).
    pub reason: String,
    /// When (RFC 3339).
    pub revoked_at: String,
}

impl RevokedCa {
    /// One sentence for messages: what happened and what to do.
    pub fn describe(&self) -> String {
        format!(
            "CA {}'s certificate was revoked by {} ({}, at {}): it issues nothing more; point the profiles that name it at another CA (issuer in signet.toml; `signet ca init` makes one)",
            self.ca, self.revoked_by_ca, self.reason, self.revoked_at
        )
    }
}

/// The CAs among `cas` (name, id, certificate DER) whose certificate another of them revoked
/// (or put on hold).
pub async fn revoked_cas(store: &dyn StoreRead, cas: &[(String, CaId, Vec<u8>)]) -> AuthorityResult<Vec<RevokedCa>> {
    let mut revoked = Vec::new();
    for (name, id, certificate) in cas {
        let Some(serial) = serial_of(certificate) else { continue };
        for (parent, parent_id, _) in cas.iter().filter(|(_, other, _)| other != id) {
            let Some(record) = store.certificate(*parent_id, &serial).await? else { continue };
            // The same serial under another CA is another certificate unless it is this one.
            if record.der.as_deref() != Some(certificate.as_slice()) {
                continue;
            }
            if let Some(revocation) = record.revocation {
                revoked.push(RevokedCa {
                    ca: name.clone(),
                    revoked_by_ca: parent.clone(),
                    reason: revocation.reason.to_string(),
                    revoked_at: signet_model::time_text::format(revocation.revoked_at),
                });
            }
        }
    }
    Ok(revoked)
}

fn serial_of(certificate: &[u8]) -> Option<Serial> {
    let info = signet_codec::describe::certificate(certificate, time::OffsetDateTime::UNIX_EPOCH).ok()?;
    Serial::parse_hex(&info.serial).ok()
}
