//! The tamper-evident audit log: each entry's hash covers the previous entry's hash, so editing,
//! reordering or removing any entry breaks the chain from that point on.
//!
//! `hash(n) = SHA-256(hash(n-1) ‖ "\n" ‖ seq ‖ "\n" ‖ at ‖ "\n" ‖ actor ‖ "\n" ‖ action ‖ "\n" ‖
//! target ‖ "\n" ‖ details)`, hex; the first entry chains from 64 zeros. The store also keeps the
//! head (last sequence number and hash), so removing entries from the end is detected too.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The hash the first entry chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that happened, to be appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// When.
    #[serde(serialize_with = "signet_model::time_text::serialize")]
    pub at: OffsetDateTime,
    /// Who (token name, or `system`).
    pub actor: String,
    /// What, e.g. `request.submit`, `request.approve`, `certificate.issue`.
    pub action: String,
    /// On what, e.g. `request:12`, `ca:dev-issuing`.
    pub target: String,
    /// Details as compact JSON (never secrets), exactly as hashed; shown as a JSON object.
    #[serde(serialize_with = "details_as_json")]
    pub details: String,
}

impl AuditEvent {
    /// A new event with JSON details.
    pub fn new(at: OffsetDateTime, actor: &str, action: &str, target: &str, details: serde_json::Value) -> Self {
        Self {
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            details: details.to_string(),
        }
    }
}

/// Writes stored details as the JSON they hold (text that is not JSON, which signet never writes,
/// as a string).
fn details_as_json<S: serde::Serializer>(details: &str, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match serde_json::from_str::<serde_json::Value>(details) {
        Ok(value) => value.serialize(serializer),
        Err(_) => serializer.serialize_str(details),
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// Time in the canonical text form the hash covers (RFC 3339, UTC, whole seconds kept as given).
pub fn canonical_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// The hash of entry `seq` holding `event`, chained from `prev_hash`.
pub fn chain_hash(prev_hash: &str, seq: i64, event: &AuditEvent) -> String {
    let text = format!(
        "{prev_hash}\n{seq}\n{}\n{}\n{}\n{}\n{}",
        canonical_time(event.at),
        event.actor,
        event.action,
        event.target,
        event.details
    );
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()))
}

/// Result of checking the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry: record it elsewhere to detect a rewrite of the whole log.
    pub head_hash: String,
    /// Whether the chain is intact.
    pub intact: bool,
    /// What is wrong, entry by entry.
    pub problems: Vec<String>,
}

/// Verifies `records` (in sequence order) against the stored head.
pub fn verify(records: &[AuditRecord], head: Option<(i64, String)>) -> AuditReport {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for record in records {
        if record.seq != expected_seq {
            problems.push(format!("entry {expected_seq} is missing (next entry found is {})", record.seq));
            expected_seq = record.seq;
        }
        if record.prev_hash != prev {
            problems.push(format!(
                "entry {} does not chain from entry {}: an entry before it was changed or removed",
                record.seq,
                record.seq - 1
            ));
        }
        let computed = chain_hash(&record.prev_hash, record.seq, &record.event);
        if computed != record.hash {
            problems.push(format!(
                "entry {} ({} by {}) was altered: its contents do not match its hash",
                record.seq, record.event.action, record.event.actor
            ));
        }
        prev = record.hash.clone();
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    match head {
        Some((seq, hash)) if seq != last_seq || hash != prev => problems.push(format!(
            "the log ends at entry {last_seq} but the recorded head is entry {seq}: entries were removed from the end"
        )),
        None if last_seq > 0 => problems.push("the recorded head is missing".into()),
        _ => {}
    }
    AuditReport { entries: last_seq, head_hash: prev, intact: problems.is_empty(), problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent::new(
                    OffsetDateTime::UNIX_EPOCH,
                    "admin",
                    "request.approve",
                    &format!("request:{seq}"),
                    serde_json::json!({}),
                );
                let hash = chain_hash(&prev, seq, &event);
                let record = AuditRecord { seq, event, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                record
            })
            .collect()
    }

    #[test]
    fn intact_log_verifies() {
        let records = log(5);
        let head = records.last().map(|r| (r.seq, r.hash.clone()));
        let report = verify(&records, head);
        assert!(report.intact, "{:?}", report.problems);
        assert_eq!(report.entries, 5);
    }

    #[test]
    fn edits_removals_and_truncation_are_detected() {
        let records = log(5);
        let head = records.last().map(|r| (r.seq, r.hash.clone()));
        let mut edited = records.clone();
        edited[2].event.actor = "mallory".into();
        assert!(verify(&edited, head.clone()).problems[0].contains("entry 3"));
        let mut removed = records.clone();
        removed.remove(1);
        assert!(!verify(&removed, head.clone()).intact);
        let truncated = &records[..4];
        assert!(verify(truncated, head).problems[0].contains("removed from the end"));
    }
}
