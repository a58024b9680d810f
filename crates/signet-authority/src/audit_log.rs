//! Reading and checking the audit log (Auditors; and the CLI on a local database).

use signet_store::Store;
use signet_store::audit::{self, AuditReport};

use crate::actor::{Action, Actor, permit};
use crate::authority::Authority;
use crate::error::AuthorityResult;

/// Most audit entries read at once.
pub const AUDIT_PAGE_LIMIT: u32 = 1000;

/// Entries read per page when checking the whole chain.
const VERIFY_PAGE: u32 = 10_000;

/// Audit entries from sequence number `from` (the newest `limit` when `None`), oldest first, at
/// most `limit` (capped at [`AUDIT_PAGE_LIMIT`]).
pub async fn read_audit(store: &dyn Store, from: Option<i64>, limit: u32) -> AuthorityResult<Vec<audit::AuditRecord>> {
    let limit = limit.clamp(1, AUDIT_PAGE_LIMIT);
    let from = match from {
        Some(from) => from.max(1),
        None => {
            let newest = store.audit_head().await?.map_or(0, |(seq, _)| seq);
            (newest - i64::from(limit) + 1).max(1)
        }
    };
    Ok(store.audit_entries(from, limit).await?)
}

/// Reads the whole audit log and checks its chain.
pub async fn verify_audit(store: &dyn Store) -> AuthorityResult<AuditReport> {
    let mut records = Vec::new();
    let mut from = 1;
    loop {
        let page = store.audit_entries(from, VERIFY_PAGE).await?;
        let Some(last) = page.last() else { break };
        from = last.seq + 1;
        let full = page.len() == VERIFY_PAGE as usize;
        records.extend(page);
        if !full {
            break;
        }
    }
    Ok(audit::verify(&records, store.audit_head().await?))
}

impl Authority {
    /// Verifies the audit log's hash chain.
    pub async fn verify_audit(&self, actor: &Actor) -> AuthorityResult<AuditReport> {
        permit(actor, Action::ReadAudit)?;
        verify_audit(self.store.as_ref()).await
    }

    /// Audit entries from `from` (the newest `limit` when `None`), oldest first.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        from: Option<i64>,
        limit: u32,
    ) -> AuthorityResult<Vec<audit::AuditRecord>> {
        permit(actor, Action::ReadAudit)?;
        read_audit(self.store.as_ref(), from, limit).await
    }
}
