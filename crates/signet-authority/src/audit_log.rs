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

/// Reads the whole audit log and checks its chain. A running server may append while this
/// reads: the head is read first (every entry up to it was committed with it) and again at the
/// end, and the entries appended in between are left for the next check rather than taken for
/// a log whose end was cut off.
pub async fn verify_audit(store: &dyn Store) -> AuthorityResult<AuditReport> {
    let before = store.audit_head().await?;
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
    let after = store.audit_head().await?;
    let records = as_of_head(records, seq_of(&before), seq_of(&after));
    Ok(audit::verify(&records, before))
}

fn seq_of(head: &Option<(i64, String)>) -> i64 {
    head.as_ref().map_or(0, |(seq, _)| *seq)
}

/// The entries as of the head `before`: those appended while the log was read (after `before`,
/// up to the head `after` found at the end) are dropped; any past `after` stay, so entries no
/// head accounts for are still reported.
fn as_of_head(mut records: Vec<audit::AuditRecord>, before: i64, after: i64) -> Vec<audit::AuditRecord> {
    records.retain(|r| r.seq <= before || r.seq > after);
    records
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

#[cfg(test)]
mod tests {
    use signet_store::AuditEvent;
    use signet_store::audit::AuditRecord;

    use super::*;

    fn records(n: i64) -> Vec<AuditRecord> {
        let mut prev = audit::GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new(time::OffsetDateTime::UNIX_EPOCH, "admin", "x", "y", serde_json::json!({}));
                let hash = audit::chain_hash(&prev, seq, &event);
                let record = AuditRecord { seq, prev_hash: prev.clone(), hash: hash.clone(), event };
                prev = hash;
                record
            })
            .collect()
    }

    #[test]
    fn entries_appended_while_reading_are_not_a_cut_log() {
        let log = records(5);
        let head_at_3 = Some((3, log[2].hash.clone()));
        // Read with the head at 3; two more entries (4, 5) committed before the head was read again.
        let checked = audit::verify(&as_of_head(log.clone(), 3, 5), head_at_3.clone());
        assert!(checked.intact && checked.entries == 3, "{:?}", checked.problems);
        // Compared whole with the earlier head, as before, the same read looked tampered with.
        assert!(!audit::verify(&log, head_at_3.clone()).intact);
        // An entry no head accounts for (past the head found at the end) is still reported.
        let forged = audit::verify(&as_of_head(log, 3, 4), head_at_3);
        assert!(!forged.intact, "entry 5 is past every head read");
    }
}
