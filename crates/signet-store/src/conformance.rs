//! The shared test suite every storage backend must pass; `signet-store-sql` runs it against
//! SQLite and PostgreSQL. Each check starts from an empty store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // a test suite asserts by panicking

use std::sync::Arc;

use signet_model::{CaId, CrlScope, RequestId, RequestState, RevocationReason, Role, Serial, Sha256};
use time::{Duration, OffsetDateTime};

use crate::audit::{self, AuditEvent};
use crate::error::StoreError;
use crate::records::*;
use crate::traits::Store;

/// A fixed moment, in whole seconds: backends store timestamps at second precision or better,
/// and a store never reads the clock itself.
fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00:00 UTC)
}

/// A digest standing for key or certificate `n`.
fn digest(n: u64) -> Sha256 {
    let mut bytes = [0x11u8; 32];
    bytes[24..].copy_from_slice(&n.to_be_bytes());
    Sha256::from_bytes(bytes)
}

fn event(action: &str, target: &str) -> AuditEvent {
    AuditEvent::new(now(), "tester", action, target, serde_json::json!({"n": 1}))
}

fn serial(n: u64) -> Serial {
    let mut bytes = [0x5au8; 16];
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    Serial::from_magnitude(&bytes).unwrap()
}

pub(crate) async fn make_ca(store: &dyn Store, name: &str) -> CaId {
    store
        .create_ca(
            NewCa {
                name: name.into(),
                kind: CaKind::Root,
                parent: None,
                certificate: Some(vec![0x30, 0x00]),
                csr: None,
                encrypted_key: vec![1, 2, 3],
                not_after: Some(now() + Duration::days(365)),
                created_at: now(),
            },
            event("ca.create", name),
        )
        .await
        .unwrap()
}

pub(crate) fn new_request(name: &str) -> NewRequest {
    NewRequest {
        profile: "server".into(),
        csr: vec![0x30, 0x01, 0x00],
        subject: format!("CN={name}"),
        sans: vec![format!("dns:{name}")],
        spki_sha256: digest(name.len() as u64),
        requester: "alice".into(),
        warnings: vec![],
        retrieval_token_hash: digest(0xab),
        created_at: now(),
        acme_order: None,
    }
}

pub(crate) fn reservation(ca_id: CaId, n: u64, is_test: bool) -> Reservation {
    Reservation {
        ca_id,
        serial: serial(n),
        tbs: vec![0x30, 0x02, 0x05, 0x00],
        spki_sha256: digest(n),
        subject: "CN=www.example.com".into(),
        sans: vec!["dns:www.example.com".into()],
        not_before: now(),
        not_after: now() + Duration::days(90),
        is_test,
        crl_shard: None,
        created_at: now(),
    }
}

fn completion(ca_id: CaId, n: u64, request_id: RequestId) -> Completion {
    Completion {
        ca_id,
        serial: serial(n),
        request_id,
        der: vec![0x30, 0x03, 0x02, 0x01, n as u8],
        sha256: digest(n + 1000),
        decided_by: "manager".into(),
        approved_sans: None,
        at: now(),
    }
}

/// Runs every check against stores made by `fresh`.
pub async fn run_all<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    cas_round_trip(fresh().await.as_ref()).await;
    ca_alternates_round_trip(fresh().await.as_ref()).await;
    request_lifecycle(fresh().await.as_ref()).await;
    states_change_exactly_once(fresh().await.as_ref()).await;
    serials_are_never_reused(fresh().await.as_ref()).await;
    search_finds_by_every_field(fresh().await.as_ref()).await;
    tokens_by_hash(fresh().await.as_ref()).await;
    the_newest_config_change_is_found(fresh().await.as_ref()).await;
    crash_leftovers_are_abandoned(fresh().await.as_ref()).await;
    revocations_change_once_and_say_why(fresh().await.as_ref()).await;
    crl_entries_numbers_and_publications(fresh().await.as_ref()).await;
    ocsp_responses_follow_revocations(fresh().await.as_ref()).await;
    concurrent_issuance_is_consistent(fresh().await).await;
    refusals_among_concurrent_changes_leave_no_trace(fresh().await).await;
}

async fn cas_round_trip(store: &dyn Store) {
    let id = make_ca(store, "root-1").await;
    let cas = store.cas().await.unwrap();
    assert_eq!(cas.len(), 1);
    assert_eq!((cas[0].id, cas[0].name.as_str(), cas[0].kind), (id, "root-1", CaKind::Root));
    let dup = store
        .create_ca(
            NewCa {
                name: "root-1".into(),
                kind: CaKind::Root,
                parent: None,
                certificate: None,
                csr: Some(vec![1]),
                encrypted_key: vec![],
                not_after: None,
                created_at: now(),
            },
            event("ca.create", "root-1"),
        )
        .await;
    assert!(matches!(&dup, Err(StoreError::Conflict(m)) if m.contains("a CA with that name")), "{dup:?}");
    let after = now() + Duration::days(10);
    store.install_ca_certificate(id, vec![0x30, 0x01, 0x00], after, event("ca.install", "root-1")).await.unwrap();
    assert_eq!(store.cas().await.unwrap()[0].not_after, Some(after));
}

async fn ca_alternates_round_trip(store: &dyn Store) {
    let root = make_ca(store, "root-1").await;
    let other = make_ca(store, "root-2").await;
    assert!(store.ca_alternates().await.unwrap().is_empty());
    let alternate = |ca_id, n: u8, issuer_ca: Option<&str>, chain: Vec<Vec<u8>>| NewCaAlternate {
        ca_id,
        certificate: vec![0x30, 0x01, n],
        sha256: digest(u64::from(n)),
        issuer_ca: issuer_ca.map(str::to_string),
        chain,
        not_after: now() + Duration::days(30),
        created_at: now(),
    };
    let by_other = store.add_ca_alternate(alternate(root, 1, Some("root-2"), vec![]), event("ca.cross-sign", "root-1"));
    let first = by_other.await.unwrap();
    let outside = vec![vec![0x30, 0x01, 0x07], vec![0x30, 0x02, 0x08, 0x09]];
    let second = store.add_ca_alternate(alternate(root, 2, None, outside.clone()), event("ca.alt", "root-1")).await;
    assert!(second.unwrap() > first);
    // The same certificate once per CA; another CA may hold its own copy (tests only).
    let dup = store.add_ca_alternate(alternate(root, 1, None, vec![]), event("ca.alt", "root-1")).await;
    assert!(matches!(&dup, Err(StoreError::Conflict(m)) if m.contains("already holds")), "{dup:?}");
    store.add_ca_alternate(alternate(other, 1, None, vec![]), event("ca.alt", "root-2")).await.unwrap();
    let missing = store.add_ca_alternate(alternate(CaId::new(9999).unwrap(), 3, None, vec![]), event("a", "b")).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    let all = store.ca_alternates().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!((all[0].ca_id, all[0].issuer_ca.as_deref(), all[0].chain.len()), (root, Some("root-2"), 0));
    assert_eq!((all[1].certificate.as_slice(), &all[1].chain), (&[0x30, 0x01, 2][..], &outside));
    assert_eq!((all[1].issuer_ca.as_deref(), all[1].not_after), (None, now() + Duration::days(30)));
    assert_eq!(all[2].ca_id, other);
    let report = audit::verify(&store.audit_entries(1, 100).await.unwrap(), store.audit_head().await.unwrap());
    assert!(report.intact && report.entries == 5, "{report:?}");
}

async fn request_lifecycle(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let id = store.submit(new_request("www.example.com"), event("request.submit", "r")).await.unwrap().id;
    let stored = store.request(id).await.unwrap().unwrap();
    assert_eq!(stored.state, RequestState::Pending);
    assert_eq!(stored.sans, ["dns:www.example.com"]);
    assert_eq!(store.pending_requests(10).await.unwrap().len(), 1);
    store.reserve(id, reservation(ca, 1, false), event("certificate.reserve", "r")).await.unwrap();
    let reserved = store.certificate_for_request(id).await.unwrap().unwrap();
    assert_eq!(reserved.status, CertificateStatus::Reserved);
    assert!(reserved.der.is_none());
    assert_eq!(reserved.tbs, vec![0x30, 0x02, 0x05, 0x00]);
    store.complete(completion(ca, 1, id), vec![event("certificate.issue", "r")]).await.unwrap();
    let issued = store.certificate_for_request(id).await.unwrap().unwrap();
    assert_eq!(issued.status, CertificateStatus::Issued);
    assert_eq!(issued.der.as_deref(), Some(&[0x30, 0x03, 0x02, 0x01, 1][..]));
    let request = store.request(id).await.unwrap().unwrap();
    assert_eq!((request.state, request.decided_by.as_deref()), (RequestState::Issued, Some("manager")));
    assert!(store.pending_requests(10).await.unwrap().is_empty());
    // Auto-approved path: request and reservation in one step.
    let auto = store
        .submit_and_reserve(new_request("auto.example.com"), reservation(ca, 2, true), event("request.submit", "auto"))
        .await
        .unwrap()
        .id;
    assert_ne!(auto, id);
    assert_eq!(store.certificate_for_request(auto).await.unwrap().unwrap().request_id, auto);
    store.complete(completion(ca, 2, auto), vec![]).await.unwrap();
    assert!(store.key_used_for_test(&digest(2)).await.unwrap());
    assert!(!store.key_used_for_test(&digest(1)).await.unwrap());
    // Every change was audited, and the chain verifies.
    let entries = store.audit_entries(1, 1000).await.unwrap();
    assert!(entries.len() >= 5, "{} audit entries", entries.len());
    let report = audit::verify(&entries, store.audit_head().await.unwrap());
    assert!(report.intact, "{:?}", report.problems);
}

async fn states_change_exactly_once(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let id = store.submit(new_request("a.example.com"), event("request.submit", "a")).await.unwrap().id;
    store.deny(id, "manager", "not ours", now(), event("request.deny", "a")).await.unwrap();
    let denied = store.request(id).await.unwrap().unwrap();
    assert_eq!((denied.state, denied.reason.as_deref()), (RequestState::Denied, Some("not ours")));
    assert!(matches!(
        store.deny(id, "m", "again", now(), event("request.deny", "a")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.reserve(id, reservation(ca, 10, false), event("r", "a")).await,
        Err(StoreError::Conflict(_))
    ));
    // Approve twice: the second reservation is refused before anything is signed.
    let id2 = store.submit(new_request("b.example.com"), event("request.submit", "b")).await.unwrap().id;
    store.reserve(id2, reservation(ca, 11, false), event("r", "b")).await.unwrap();
    let twice = store.reserve(id2, reservation(ca, 12, false), event("r", "b")).await;
    assert!(
        matches!(&twice, Err(StoreError::Conflict(m)) if m.contains("already has a certificate issued or being issued")),
        "{twice:?}"
    );
    // Deny while issuance is under way is refused too.
    assert!(matches!(
        store.deny(id2, "m", "late", now(), event("request.deny", "b")).await,
        Err(StoreError::Conflict(_))
    ));
    store.complete(completion(ca, 11, id2), vec![]).await.unwrap();
    assert!(matches!(store.complete(completion(ca, 11, id2), vec![]).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.fail(id2, "x", now(), event("request.fail", "b")).await, Err(StoreError::Conflict(_))));
    let missing = RequestId::new(999_999).unwrap();
    assert!(matches!(
        store.deny(missing, "m", "x", now(), event("d", "x")).await,
        Err(StoreError::Conflict(_) | StoreError::NotFound(_))
    ));
}

async fn serials_are_never_reused(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let other = make_ca(store, "other").await;
    let a = store.submit(new_request("a.example.com"), event("s", "a")).await.unwrap().id;
    let b = store.submit(new_request("b.example.com"), event("s", "b")).await.unwrap().id;
    store.reserve(a, reservation(ca, 7, false), event("r", "a")).await.unwrap();
    let dup = store.reserve(b, reservation(ca, 7, false), event("r", "b")).await;
    // Told apart from the other unique rules by the database's error fields, not its text.
    assert!(matches!(&dup, Err(StoreError::Conflict(m)) if m.contains("serial number is already used")), "{dup:?}");
    // The same serial under another CA is a different certificate.
    store.reserve(b, reservation(other, 7, false), event("r", "b")).await.unwrap();
    // An abandoned serial stays burnt.
    store.abandon(ca, &serial(7), event("certificate.abandon", "a")).await.unwrap();
    let c = store.submit(new_request("c.example.com"), event("s", "c")).await.unwrap().id;
    assert!(matches!(store.reserve(c, reservation(ca, 7, false), event("r", "c")).await, Err(StoreError::Conflict(_))));
    // After abandonment the request can be approved again, under a new serial.
    store.reserve(a, reservation(ca, 8, false), event("r", "a")).await.unwrap();
    assert_eq!(store.certificates(ca).await.unwrap().len(), 2);
}

async fn search_finds_by_every_field(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let mut ids = Vec::new();
    for (n, name) in ["www.example.com", "api.example.org", "mail.example.net"].iter().enumerate() {
        let mut request = new_request(name);
        request.requester = if n == 0 { "bob".into() } else { "carol".into() };
        let id = store.submit(request, event("s", name)).await.unwrap().id;
        ids.push(id);
        if n < 2 {
            let mut r = reservation(ca, 100 + n as u64, false);
            r.sans = vec![format!("dns:{name}")];
            r.subject = format!("CN={name}");
            r.not_after = now() + Duration::days(10 * (n as i64 + 1));
            store.reserve(id, r, event("r", name)).await.unwrap();
            store.complete(completion(ca, 100 + n as u64, id), vec![]).await.unwrap();
        }
    }
    let q = |f: fn(&mut Query)| {
        let mut query = Query::default();
        f(&mut query);
        query
    };
    assert_eq!(store.search(&Query { request_id: Some(ids[1]), ..Default::default() }).await.unwrap().len(), 1);
    assert_eq!(
        store.search(&Query { serial: Some(serial(100)), ..Default::default() }).await.unwrap()[0].request.id,
        ids[0]
    );
    assert_eq!(store.search(&q(|q| q.name = Some("example.org".into()))).await.unwrap().len(), 1);
    assert_eq!(store.search(&q(|q| q.state = Some(RequestState::Pending))).await.unwrap().len(), 1);
    assert_eq!(store.search(&q(|q| q.requester = Some("carol".into()))).await.unwrap().len(), 2);
    let by_fp = store.search(&Query { fingerprint: Some(digest(1101)), ..Default::default() }).await.unwrap();
    assert_eq!(by_fp.len(), 1);
    assert_eq!(by_fp[0].certificate.as_ref().unwrap().serial, serial(101));
    let soon =
        store.search(&Query { expires_before: Some(now() + Duration::days(15)), ..Default::default() }).await.unwrap();
    assert_eq!(soon.len(), 1);
    let later =
        store.search(&Query { expires_after: Some(now() + Duration::days(15)), ..Default::default() }).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(store.search(&Query::default()).await.unwrap().len(), 3);
    assert_eq!(store.search(&Query { limit: Some(2), ..Default::default() }).await.unwrap().len(), 2);
}

async fn tokens_by_hash(store: &dyn Store) {
    let hash = digest(0xcd);
    store
        .create_token(
            NewToken {
                name: "ops".into(),
                hash,
                roles: vec![Role::CertificateManager, Role::Auditor],
                created_at: now(),
            },
            event("token.create", "ops"),
        )
        .await
        .unwrap();
    let token = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(token.roles, vec![Role::CertificateManager, Role::Auditor]);
    assert!(store.token_by_hash(&digest(0xee)).await.unwrap().is_none());
    assert_eq!(store.tokens().await.unwrap().len(), 1);
    let dup = store
        .create_token(NewToken { name: "x".into(), hash, roles: vec![], created_at: now() }, event("token.create", "x"))
        .await;
    assert!(matches!(&dup, Err(StoreError::Conflict(m)) if m.contains("that token already exists")), "{dup:?}");
    // A revoked token stops authenticating, once.
    store.revoke_token(token.id, now(), event("token.revoke", "ops")).await.unwrap();
    assert!(store.token_by_hash(&digest(0xcd)).await.unwrap().is_none());
    assert_eq!(store.tokens().await.unwrap()[0].revoked_at, Some(now()));
    let again = store.revoke_token(token.id, now(), event("token.revoke", "ops")).await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
}

async fn the_newest_config_change_is_found(store: &dyn Store) {
    assert!(store.last_config_change().await.unwrap().is_none());
    let change = |n: i32| AuditEvent::new(now(), "system", "config.change", "config", serde_json::json!({"n": n}));
    store.append_audit(vec![change(1), event("token.create", "a")]).await.unwrap();
    store.append_audit(vec![change(2)]).await.unwrap();
    store.append_audit(vec![event("request.submit", "b")]).await.unwrap();
    let newest = store.last_config_change().await.unwrap().unwrap();
    assert_eq!(newest.event.details, r#"{"n":2}"#);
}

async fn crash_leftovers_are_abandoned(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let id = store.submit(new_request("a.example.com"), event("s", "a")).await.unwrap().id;
    let mut old = reservation(ca, 55, false);
    old.created_at = now() - Duration::hours(1);
    store.reserve(id, old, event("r", "a")).await.unwrap();
    let abandoned = store.abandon_stale(now() - Duration::minutes(5), now()).await.unwrap();
    assert_eq!(abandoned.len(), 1);
    assert_eq!(store.certificates(ca).await.unwrap()[0].status, CertificateStatus::Abandoned);
    assert!(store.certificate_for_request(id).await.unwrap().is_none());
    assert_eq!(store.request(id).await.unwrap().unwrap().state, RequestState::Pending);
}

/// One auto-approved issuance for `host` with serial `serial`: submit and reserve, then complete.
async fn issue(store: &dyn Store, ca: CaId, host: &str, serial: u64) -> RequestId {
    let id =
        store.submit_and_reserve(new_request(host), reservation(ca, serial, false), event("s", "c")).await.unwrap().id;
    store.complete(completion(ca, serial, id), vec![event("certificate.issue", "c")]).await.unwrap();
    id
}

/// A revocation by `by` for `reason` at `now()`.
fn revocation(reason: RevocationReason, by: &str) -> Revocation {
    Revocation { revoked_at: now(), reason, invalidity_date: None, revoked_by: by.into() }
}

async fn revocations_change_once_and_say_why(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    let revoke = |n: u64, reason: RevocationReason| async move {
        store.revoke(ca, &serial(n), revocation(reason, "manager"), event("certificate.revoke", "c")).await
    };
    // Unknown, being issued, burnt: each refused, and the message says which.
    let unknown = revoke(1, RevocationReason::KeyCompromise).await;
    assert!(
        matches!(&unknown, Err(StoreError::NotFound(m)) if m.contains("no certificate with serial")),
        "{unknown:?}"
    );
    let pending = store.submit(new_request("p.example.com"), event("s", "p")).await.unwrap().id;
    store.reserve(pending, reservation(ca, 2, false), event("r", "p")).await.unwrap();
    let reserved = revoke(2, RevocationReason::KeyCompromise).await;
    assert!(matches!(&reserved, Err(StoreError::Conflict(m)) if m.contains("being issued")), "{reserved:?}");
    store.abandon(ca, &serial(2), event("certificate.abandon", "p")).await.unwrap();
    let burnt = revoke(2, RevocationReason::KeyCompromise).await;
    assert!(matches!(&burnt, Err(StoreError::Conflict(m)) if m.contains("never issued")), "{burnt:?}");
    assert_eq!(store.revocation_version(ca).await.unwrap(), 0, "refusals change nothing");

    // Revoked once, with its reason, time and invalidity date kept.
    issue(store, ca, "a.example.com", 3).await;
    let mut compromised = revocation(RevocationReason::KeyCompromise, "manager");
    compromised.invalidity_date = Some(now() - Duration::days(2));
    let revoked = store.revoke(ca, &serial(3), compromised.clone(), event("certificate.revoke", "a")).await.unwrap();
    assert_eq!(revoked.revocation, Some(compromised.clone()));
    assert_eq!(store.certificate(ca, &serial(3)).await.unwrap().unwrap().revocation, Some(compromised));
    let twice = revoke(3, RevocationReason::Superseded).await;
    assert!(
        matches!(&twice, Err(StoreError::Conflict(m)) if m.contains("already revoked (keyCompromise")),
        "{twice:?}"
    );
    let final_release = store.release_hold(ca, &serial(3), event("certificate.release", "a")).await;
    assert!(matches!(&final_release, Err(StoreError::Conflict(m)) if m.contains("final")), "{final_release:?}");
    assert_eq!(store.revocation_version(ca).await.unwrap(), 1);

    // A hold is released, and only then; a held certificate can be revoked for good.
    issue(store, ca, "b.example.com", 4).await;
    revoke(4, RevocationReason::CertificateHold).await.unwrap();
    let held_again = revoke(4, RevocationReason::CertificateHold).await;
    assert!(matches!(&held_again, Err(StoreError::Conflict(m)) if m.contains("already revoked")), "{held_again:?}");
    let released = store.release_hold(ca, &serial(4), event("certificate.release", "b")).await.unwrap();
    assert_eq!(released.revocation, None);
    let not_held = store.release_hold(ca, &serial(4), event("certificate.release", "b")).await;
    assert!(matches!(&not_held, Err(StoreError::Conflict(m)) if m.contains("not revoked")), "{not_held:?}");
    revoke(4, RevocationReason::CertificateHold).await.unwrap();
    let permanent = revoke(4, RevocationReason::CessationOfOperation).await.unwrap();
    assert_eq!(permanent.revocation.unwrap().reason, RevocationReason::CessationOfOperation);
    assert_eq!(store.revocation_version(ca).await.unwrap(), 5);

    // Search by revocation state and reason.
    let revoked_only = store.search(&Query { revoked: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(revoked_only.len(), 2);
    issue(store, ca, "c.example.com", 5).await;
    let good = store.search(&Query { revoked: Some(false), ..Default::default() }).await.unwrap();
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].certificate.as_ref().unwrap().serial, serial(5));
    let by_reason =
        store.search(&Query { reason: Some(RevocationReason::KeyCompromise), ..Default::default() }).await.unwrap();
    assert_eq!(by_reason.len(), 1);
    assert_eq!(by_reason[0].certificate.as_ref().unwrap().revocation.as_ref().unwrap().revoked_by, "manager");
    let report = audit::verify(&store.audit_entries(1, 1000).await.unwrap(), store.audit_head().await.unwrap());
    assert!(report.intact, "{:?}", report.problems);
    let revocations = store.audit_entries(1, 1000).await.unwrap();
    assert_eq!(revocations.iter().filter(|e| e.event.action == "certificate.revoke").count(), 4);
}

async fn crl_entries_numbers_and_publications(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    // Serials 10-13: 10 and 11 name the full CRL, 12 and 13 partition 3; 11 expires early.
    for n in 10..14u64 {
        let id = store.submit(new_request(&format!("h{n}.example.com")), event("s", "c")).await.unwrap().id;
        let mut r = reservation(ca, n, false);
        r.crl_shard = (n >= 12).then_some(3);
        if n == 11 {
            r.not_after = now() + Duration::days(1);
        }
        store.reserve(id, r, event("r", "c")).await.unwrap();
        store.complete(completion(ca, n, id), vec![]).await.unwrap();
    }
    assert_eq!(store.certificate(ca, &serial(12)).await.unwrap().unwrap().crl_shard, Some(3));
    for n in [10, 11, 12] {
        let mut r = revocation(RevocationReason::Superseded, "m");
        if n == 12 {
            r = revocation(RevocationReason::Unspecified, "m");
            r.invalidity_date = Some(now() - Duration::hours(1));
        }
        store.revoke(ca, &serial(n), r, event("certificate.revoke", "c")).await.unwrap();
    }
    let full = store.revoked(ca, CrlScope::Full, now()).await.unwrap();
    let mut serials: Vec<Serial> = full.iter().map(|e| e.serial).collect();
    serials.sort();
    assert_eq!(serials, vec![serial(10), serial(11), serial(12)]);
    let twelve = full.iter().find(|e| e.serial == serial(12)).unwrap();
    assert_eq!(
        (twelve.reason, twelve.invalidity_date),
        (RevocationReason::Unspecified, Some(now() - Duration::hours(1)))
    );
    // Expired before the cutoff: dropped.
    assert_eq!(store.revoked(ca, CrlScope::Full, now() + Duration::days(2)).await.unwrap().len(), 2);
    let shard: Vec<Serial> =
        store.revoked(ca, CrlScope::Shard(3), now()).await.unwrap().iter().map(|e| e.serial).collect();
    assert_eq!(shard, vec![serial(12)]);
    assert!(store.revoked(ca, CrlScope::Shard(4), now()).await.unwrap().is_empty());
    // Which partitions changed since which version.
    assert_eq!(store.revocation_version(ca).await.unwrap(), 3);
    let mut changed = store.changed_partitions(ca, 0).await.unwrap();
    changed.sort();
    assert_eq!(changed, vec![(None, 2), (Some(3), 3)]);
    assert_eq!(store.changed_partitions(ca, 2).await.unwrap(), vec![(Some(3), 3)]);
    assert!(store.changed_partitions(ca, 3).await.unwrap().is_empty());

    // CRL numbers only grow, and never fall below the floor.
    let first = store.next_crl_number(ca, 0).await.unwrap();
    let second = store.next_crl_number(ca, 0).await.unwrap();
    assert!(second > first);
    assert_eq!(store.next_crl_number(ca, 1_000_000).await.unwrap(), 1_000_000);
    assert_eq!(store.next_crl_number(ca, 5).await.unwrap(), 1_000_001);

    // The newest CRL of a scope is kept; an older one never replaces it.
    let crl = |number: u64, scope: CrlScope| CrlRecord {
        summary: CrlSummary {
            ca_id: ca,
            scope,
            number,
            this_update: now(),
            next_update: now() + Duration::days(7),
            entries: 3,
            sha256: digest(number),
            source_version: 3,
        },
        der: vec![0x30, 0x01, number as u8],
    };
    assert!(store.crl(ca, CrlScope::Full).await.unwrap().is_none());
    store.store_crl(crl(7, CrlScope::Full), event("crl.publish", "ca")).await.unwrap();
    store.store_crl(crl(8, CrlScope::Shard(3)), event("crl.publish", "ca")).await.unwrap();
    store.store_crl(crl(9, CrlScope::Full), event("crl.publish", "ca")).await.unwrap();
    let stale = store.store_crl(crl(8, CrlScope::Full), event("crl.publish", "ca")).await;
    assert!(matches!(&stale, Err(StoreError::Conflict(m)) if m.contains("already stored")), "{stale:?}");
    let stored = store.crl(ca, CrlScope::Full).await.unwrap().unwrap();
    assert_eq!((stored.summary.number, stored.der), (9, vec![0x30, 0x01, 9]));
    let listed: Vec<(CrlScope, u64)> = store.crls().await.unwrap().iter().map(|c| (c.scope, c.number)).collect();
    assert_eq!(listed, vec![(CrlScope::Full, 9), (CrlScope::Shard(3), 8)]);
    let entries = store.audit_entries(1, 1000).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.event.action == "crl.publish").count(), 3, "a refused CRL leaves no entry");
}

async fn ocsp_responses_follow_revocations(store: &dyn Store) {
    let ca = make_ca(store, "ca").await;
    for n in 20..23u64 {
        issue(store, ca, &format!("o{n}.example.com"), n).await;
    }
    let due = |at: OffsetDateTime| async move { store.ocsp_due(ca, at, now(), true, 100).await.unwrap() };
    let mut first: Vec<Serial> = due(now()).await.iter().map(|w| w.serial).collect();
    first.sort();
    assert_eq!(first, vec![serial(20), serial(21), serial(22)], "new certificates are due at once");
    let response = |n: u64, version: i64, due: Option<OffsetDateTime>| OcspResponseRecord {
        ca_id: ca,
        serial: serial(n),
        this_update: now(),
        next_update: now() + Duration::days(3),
        der: vec![0x30, 0x03, 0x0a, 0x01, n as u8],
        revocation_version: version,
        due,
    };
    let event = || event("ocsp.refresh", "ca");
    let batch = vec![
        response(20, 0, Some(now() + Duration::days(1))),
        response(21, 0, Some(now() + Duration::days(1))),
        response(22, 0, None),
    ];
    assert_eq!(store.store_ocsp_responses(batch, event()).await.unwrap(), 3);
    assert!(due(now()).await.is_empty());
    assert_eq!(due(now() + Duration::days(1)).await.len(), 2, "refreshed when due; 22 expires first, never again");
    let stored = store.ocsp_response(ca, &serial(20)).await.unwrap().unwrap();
    assert_eq!((stored.der, stored.next_update), (vec![0x30, 0x03, 0x0a, 0x01, 20], now() + Duration::days(3)));
    assert!(store.ocsp_response(ca, &serial(99)).await.unwrap().is_none());
    // A revocation makes it due again; a response made before the revocation is not stored.
    store.revoke(ca, &serial(21), revocation(RevocationReason::KeyCompromise, "m"), event()).await.unwrap();
    let work = due(now()).await;
    assert_eq!(work.len(), 1);
    assert_eq!(
        (work[0].serial, work[0].revocation.map(|r| r.1), work[0].revocation_version),
        (serial(21), Some(RevocationReason::KeyCompromise), 1)
    );
    assert_eq!(store.store_ocsp_responses(vec![response(21, 0, None)], event()).await.unwrap(), 0);
    assert_eq!(due(now()).await.len(), 1, "the stale response changed nothing");
    assert_eq!(store.store_ocsp_responses(vec![response(21, 1, None)], event()).await.unwrap(), 1);
    assert!(due(now()).await.is_empty());
    // Expired certificates are left alone; changes are found by time.
    let expired = store.ocsp_due(ca, now() + Duration::days(400), now() + Duration::days(365), true, 100).await;
    assert!(expired.unwrap().is_empty());
    // Revocations come first, new certificates can wait.
    issue(store, ca, "o40.example.com", 40).await;
    store.revoke(ca, &serial(20), revocation(RevocationReason::Superseded, "m"), event()).await.unwrap();
    let urgent: Vec<Serial> = due(now()).await.iter().map(|w| w.serial).collect();
    assert_eq!(urgent, vec![serial(20), serial(40)]);
    let only_revoked = store.ocsp_due(ca, now(), now(), false, 100).await.unwrap();
    assert_eq!(only_revoked.iter().map(|w| w.serial).collect::<Vec<_>>(), vec![serial(20)]);
    assert_eq!(store.ocsp_changes(now()).await.unwrap().len(), 3);
    assert!(store.ocsp_changes(now() + Duration::seconds(1)).await.unwrap().is_empty());
    // Delegated responders, once each.
    issue(store, ca, "responder.example.com", 30).await;
    let responder = OcspResponderRecord {
        ca_id: ca,
        serial: serial(30),
        certificate: vec![0x30, 0x00],
        encrypted_key: vec![1, 2],
        not_after: now() + Duration::days(14),
        created_at: now(),
    };
    store.store_ocsp_responder(responder.clone(), false, event()).await.unwrap();
    assert!(matches!(
        store.store_ocsp_responder(responder.clone(), false, event()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.ocsp_responders().await.unwrap(), vec![responder.clone()]);
    let audit = store.audit_entries(1, 1000).await.unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.event.action == "ocsp.refresh").count(),
        1 + 1 + 1 + 1 + 1,
        "batches that stored something, the two revocations, the responder"
    );
    // A responder replacing a revoked one makes every stored response due again, after the
    // revocations; new certificates keep their place.
    assert_eq!(store.ocsp_due(ca, now(), now(), false, 100).await.unwrap().len(), 1, "only 20's revocation");
    issue(store, ca, "responder2.example.com", 31).await;
    let replacement = OcspResponderRecord { serial: serial(31), ..responder };
    store.store_ocsp_responder(replacement, true, event()).await.unwrap();
    let again: Vec<Serial> =
        store.ocsp_due(ca, now(), now(), false, 100).await.unwrap().iter().map(|w| w.serial).collect();
    assert_eq!(again[0], serial(20), "the revocation stays first");
    let mut rest = again[1..].to_vec();
    rest.sort();
    assert_eq!(rest, vec![serial(21), serial(22)], "both signed responses are due again");
}

async fn concurrent_issuance_is_consistent(store: Arc<dyn Store>) {
    let ca = make_ca(store.as_ref(), "ca").await;
    let mut tasks = Vec::new();
    for n in 0..200u64 {
        let store = store.clone();
        tasks
            .push(tokio::spawn(async move { issue(store.as_ref(), ca, &format!("h{n}.example.com"), 1000 + n).await }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let certificates = store.certificates(ca).await.unwrap();
    assert_eq!(certificates.len(), 200);
    assert!(certificates.iter().all(|c| c.status == CertificateStatus::Issued));
    let entries = store.audit_entries(1, 10_000).await.unwrap();
    let report = audit::verify(&entries, store.audit_head().await.unwrap());
    assert!(report.intact, "{:?}", report.problems);
    assert_eq!(report.entries, 401);
}

/// Many callers race to reserve, then to complete, the same issuance: exactly one wins each
/// race, and the losers leave nothing behind, not even an audit entry, while their neighbours in
/// the same commit keep theirs.
async fn refusals_among_concurrent_changes_leave_no_trace(store: Arc<dyn Store>) {
    let ca = make_ca(store.as_ref(), "ca").await;
    let mut ids = Vec::new();
    for n in 0..50u64 {
        ids.push(store.submit(new_request(&format!("r{n}.example.com")), event("s", "c")).await.unwrap().id);
    }
    let mut reserving = Vec::new();
    for (n, id) in ids.iter().copied().enumerate() {
        for attempt in 0..3u64 {
            let store = store.clone();
            let serial = 3000 + 10 * n as u64 + attempt;
            reserving.push(tokio::spawn(async move {
                let result = store.reserve(id, reservation(ca, serial, false), event("r", "c")).await;
                (id, serial, result)
            }));
        }
    }
    let mut reserved = Vec::new();
    for task in reserving {
        match task.await.unwrap() {
            (id, serial, Ok(())) => reserved.push((id, serial)),
            (_, _, Err(StoreError::Conflict(_))) => {}
            (_, _, Err(other)) => panic!("a lost race must be a conflict, not {other:?}"),
        }
    }
    assert_eq!(reserved.len(), 50);
    let mut completing = Vec::new();
    for (id, serial) in reserved {
        for _ in 0..3 {
            let store = store.clone();
            completing.push(tokio::spawn(async move {
                store.complete(completion(ca, serial, id), vec![event("certificate.issue", "c")]).await
            }));
        }
    }
    let mut completed = 0;
    for task in completing {
        match task.await.unwrap() {
            Ok(()) => completed += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("a lost race must be a conflict, not {other:?}"),
        }
    }
    assert_eq!(completed, 50);
    let certificates = store.certificates(ca).await.unwrap();
    assert_eq!(certificates.len(), 50);
    assert!(certificates.iter().all(|c| c.status == CertificateStatus::Issued));
    let entries = store.audit_entries(1, 10_000).await.unwrap();
    let report = audit::verify(&entries, store.audit_head().await.unwrap());
    assert!(report.intact, "{:?}", report.problems);
    assert_eq!(report.entries, 1 + 50 + 50 + 50);
}

/// Two front ends issue side by side on one database: every issuance lands once, with its serial,
/// and both append to one intact audit chain although each one's idea of its head keeps going stale.
pub async fn front_ends_issue_side_by_side(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let ca = make_ca(first.as_ref(), "ca").await;
    let mut tasks = Vec::new();
    for n in 0..150u64 {
        let store = if n % 2 == 0 { first.clone() } else { second.clone() };
        tasks.push(tokio::spawn(
            async move { issue(store.as_ref(), ca, &format!("side{n}.example.com"), 6000 + n).await },
        ));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for store in [&first, &second] {
        let certificates = store.certificates(ca).await.unwrap();
        assert_eq!(certificates.len(), 150);
        assert!(certificates.iter().all(|c| c.status == CertificateStatus::Issued));
        let report = audit::verify(&store.audit_entries(1, 10_000).await.unwrap(), store.audit_head().await.unwrap());
        assert!(report.intact, "{:?}", report.problems);
        assert_eq!(report.entries, 1 + 150 + 150);
    }
}

/// Two front ends revoke side by side on one database: every revocation lands once, each with a
/// revocation version of its own, and a lease to publish is held by one of them at a time.
pub async fn front_ends_revoke_side_by_side(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let ca = make_ca(first.as_ref(), "ca").await;
    for n in 0..60u64 {
        issue(first.as_ref(), ca, &format!("rev{n}.example.com"), 7000 + n).await;
    }
    let mut tasks = Vec::new();
    for n in 0..60u64 {
        let store = if n % 2 == 0 { first.clone() } else { second.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .revoke(
                    ca,
                    &serial(7000 + n),
                    revocation(RevocationReason::KeyCompromise, "m"),
                    event("certificate.revoke", "c"),
                )
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(second.revocation_version(ca).await.unwrap(), 60);
    assert_eq!(first.revoked(ca, CrlScope::Full, now()).await.unwrap().len(), 60);
    assert_eq!(first.changed_partitions(ca, 59).await.unwrap(), vec![(None, 60)]);
    let report = audit::verify(&first.audit_entries(1, 10_000).await.unwrap(), first.audit_head().await.unwrap());
    assert!(report.intact, "{:?}", report.problems);
    // One publisher at a time.
    assert!(first.publisher_lease("crl").await.unwrap());
    assert!(first.publisher_lease("crl").await.unwrap(), "a lease held is held again");
    assert!(!second.publisher_lease("crl").await.unwrap());
    assert!(second.publisher_lease("ocsp").await.unwrap(), "leases are independent");
}

/// For two stores on one database (two front ends): approving (reserving) and denying the same
/// request at the same moment from different front ends never both succeed, and what is stored
/// agrees with whichever won.
pub async fn front_ends_decide_each_request_once(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let ca = make_ca(first.as_ref(), "ca").await;
    let mut races = Vec::new();
    for n in 0..100u64 {
        let id = first.submit(new_request(&format!("race{n}.example.com")), event("s", "c")).await.unwrap().id;
        let (reserver, denier) = if n % 2 == 0 { (&first, &second) } else { (&second, &first) };
        let reserve = {
            let store = reserver.clone();
            tokio::spawn(async move { store.reserve(id, reservation(ca, 4000 + n, false), event("r", "c")).await })
        };
        let deny = {
            let store = denier.clone();
            tokio::spawn(async move { store.deny(id, "m", "no", now(), event("d", "c")).await })
        };
        races.push((id, reserve, deny));
    }
    for (id, reserve, deny) in races {
        let (reserved, denied) = (reserve.await.unwrap(), deny.await.unwrap());
        assert!(reserved.is_ok() != denied.is_ok(), "request {id}: reserve {reserved:?}, deny {denied:?}");
        let state = first.request(id).await.unwrap().unwrap().state;
        let live = first.certificate_for_request(id).await.unwrap();
        if reserved.is_ok() {
            assert_eq!(state, RequestState::Pending);
            assert!(live.is_some(), "request {id}: the reservation is missing");
        } else {
            assert_eq!(state, RequestState::Denied);
            assert!(live.is_none(), "request {id}: denied, yet a reservation is live");
        }
    }
}
