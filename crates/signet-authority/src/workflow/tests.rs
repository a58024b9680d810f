//! The workflow end to end below HTTP: a temporary SQLite store, the shipped default profiles, a
//! development hierarchy, and a clock the test moves.

use std::sync::Arc;

use signet_codec::object::SecretDer;
use signet_keys::{KeyAlgorithm, Signer, SoftwareKey};
use signet_model::{Clock, FixedClock, Identifier, RequestId, RequestState, Role};
use signet_store::{CaRecord, Query, Store};
use signet_store_sql::SqlStore;
use time::macros::datetime;

use crate::actor::Actor;
use crate::error::{AuthorityError, AuthorityResult, Kind};
use crate::keys::{CaKeys, NewCaKey};
use crate::{Access, Authority, AuthoritySettings};

/// CA keys kept as plain PKCS#8: the trait's contract without the passphrase's scrypt cost.
struct PlainKeys;

impl CaKeys for PlainKeys {
    fn generate(&self, algorithm: KeyAlgorithm) -> AuthorityResult<NewCaKey> {
        let key = SoftwareKey::generate(algorithm).unwrap();
        let stored = key.pkcs8().expose().to_vec();
        Ok(NewCaKey { signer: Arc::new(key), stored })
    }

    fn open(&self, ca: &CaRecord) -> AuthorityResult<Arc<dyn Signer>> {
        self.open_sealed(&ca.encrypted_key, &ca.name)
    }

    fn open_sealed(&self, sealed: &[u8], _what: &str) -> AuthorityResult<Arc<dyn Signer>> {
        Ok(Arc::new(SoftwareKey::from_pkcs8(SecretDer::new(sealed.to_vec())).unwrap()))
    }
}

/// A fresh CA: store, clock, authority (shipped profiles, the test profile auto-approving).
struct Ca {
    _dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    store: Arc<dyn Store>,
    authority: Authority,
}

async fn ca(strict: bool) -> Ca {
    ca_with(strict, &[]).await
}

/// A fresh CA whose CAs named in `shards` have that many CRL partitions.
async fn ca_with(strict: bool, shards: &[(&str, u16)]) -> Ca {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqlStore::open_sqlite(&dir.path().join("signet.db")).await.unwrap());
    let clock = Arc::new(FixedClock::new(datetime!(2026-06-01 12:00 UTC)));
    let text = signet_config::default_text("127.0.0.1:8443", None, Some("https://ca.example.com"));
    let settings = signet_config::parse(&text, dir.path()).unwrap();
    let urls = signet_issuance::Urls {
        base: Some(settings.listeners.http_public_url.clone()),
        crl_shards: shards.iter().map(|(ca, n)| (ca.to_string(), *n)).collect(),
        ..Default::default()
    };
    crate::ca_admin::bootstrap_development(store.as_ref(), clock.as_ref(), &urls, &PlainKeys).await.unwrap();
    let authority = Authority::load(
        store.clone(),
        AuthoritySettings {
            profiles: settings.profiles.clone(),
            urls,
            strict_role_separation: strict,
            weak_keys: Arc::new(signet_issuance::WeakKeys::default()),
            crl: crate::CrlPolicy::default(),
            ocsp: crate::publication::OcspPolicy { enabled: true, ..Default::default() },
        },
        Arc::new(PlainKeys),
        clock.clone(),
    )
    .await
    .unwrap();
    Ca { _dir: dir, clock, store, authority }
}

fn actor(name: &str, roles: &[Role]) -> Actor {
    Actor { name: name.into(), roles: roles.to_vec() }
}

/// A CSR (DER) for `names`, with a new P-256 key.
fn csr(names: &[&str]) -> Vec<u8> {
    let key = SoftwareKey::generate(KeyAlgorithm::EcP256).unwrap();
    let input = signet_subscriber::csr::CsrInput {
        subject: signet_subscriber::subject::SubjectInput {
            common_name: Some(names[0].to_string()),
            ..Default::default()
        },
        sans: names[1..].iter().map(ToString::to_string).collect(),
    };
    signet_subscriber::csr::build(&signet_subscriber::csr::plan(&input).unwrap(), &key).unwrap()
}

fn kind<T: std::fmt::Debug>(result: AuthorityResult<T>) -> Kind {
    result.unwrap_err().kind()
}

#[tokio::test]
async fn a_pending_request_is_approved_once_and_retrieved_with_its_chain() {
    let ca = ca(false).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let submitted = ca.authority.submit(&alice, "server", &csr(&["www.example.com", "api.example.com"])).await.unwrap();
    let id = submitted.request.id;
    assert_eq!(submitted.request.state, RequestState::Pending);
    assert_eq!(submitted.request.submitted_at, "2026-06-01T12:00:00Z");
    // Not ready yet; the requester may look, a stranger may not even see it exists.
    assert_eq!(kind(ca.authority.certificate(Access::Actor(&alice), id).await), Kind::Conflict);
    let stranger = actor("eve", &[Role::Enrollee]);
    assert!(matches!(
        ca.authority.status(Access::Actor(&stranger), id).await,
        Err(AuthorityError::NoSuchRequest(n)) if n == id
    ));
    assert_eq!(ca.authority.queue(&manager).await.unwrap().len(), 1);
    ca.clock.advance(time::Duration::minutes(5));
    // A manager may narrow the names, never add one.
    let extra = vec![Identifier::parse_san("other.example.com").unwrap()];
    assert_eq!(kind(ca.authority.approve(&manager, id, Some(extra)).await), Kind::RejectedByPolicy);
    // Narrowed to the second name: the subject shown is then the certificate's, not the first
    // name asked for.
    assert!(submitted.request.subject.contains("www.example.com"), "{}", submitted.request.subject);
    let narrowed = vec![Identifier::parse_san("api.example.com").unwrap()];
    let approved = ca.authority.approve(&manager, id, Some(narrowed)).await.unwrap();
    assert_eq!(approved.state, RequestState::Issued);
    assert_eq!(approved.decided_by.as_deref(), Some("mgr"));
    assert_eq!(approved.decided_at.as_deref(), Some("2026-06-01T12:05:00Z"));
    let certificate = approved.certificate.as_ref().unwrap();
    assert_eq!(certificate.names, vec!["dns:api.example.com".to_string()]);
    assert_eq!(approved.subject, "CN=api.example.com");
    assert_eq!(certificate.subject, approved.subject);
    // What the approval answered is what a later read finds.
    let read = ca.authority.status(Access::RetrievalToken(&submitted.retrieval_token), id).await.unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&approved).unwrap());
    assert_eq!(kind(ca.authority.approve(&manager, id, None).await), Kind::Conflict);
    assert_eq!(kind(ca.authority.deny(&manager, id, "late").await), Kind::Conflict);
    let issued = ca.authority.certificate(Access::Actor(&alice), id).await.unwrap();
    assert_eq!(issued.intermediates.len(), 1, "the issuing CA");
    assert!(issued.root.is_some());
    let facts = signet_codec::certificate::facts(&issued.certificate).unwrap();
    // Backdated a minute for clock skew, from the time of approval.
    assert_eq!(facts.not_before, datetime!(2026-06-01 12:04 UTC));
}

#[tokio::test]
async fn a_denied_request_says_why_and_stays_denied() {
    let ca = ca(false).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let id = ca.authority.submit(&alice, "server", &csr(&["www.example.com"])).await.unwrap().request.id;
    assert_eq!(kind(ca.authority.deny(&manager, id, "  ").await), Kind::Malformed);
    let denied = ca.authority.deny(&manager, id, "not our domain").await.unwrap();
    assert_eq!((denied.state, denied.reason.as_deref()), (RequestState::Denied, Some("not our domain")));
    assert_eq!(
        serde_json::to_value(ca.authority.status(Access::Actor(&alice), id).await.unwrap()).unwrap(),
        serde_json::to_value(&denied).unwrap()
    );
    let e = ca.authority.certificate(Access::Actor(&alice), id).await.unwrap_err();
    assert!(e.to_string().contains("was denied: not our domain"), "{e}");
    assert_eq!(kind(ca.authority.approve(&manager, id, None).await), Kind::Conflict);
    let missing = RequestId::new(9999).unwrap();
    assert!(matches!(ca.authority.deny(&manager, missing, "x").await, Err(AuthorityError::NoSuchRequest(_))));
}

#[tokio::test]
async fn an_auto_approving_profile_issues_at_once_and_search_finds_it() {
    let ca = ca(false).await;
    let admin = actor("admin", &[Role::CaAdministrator]);
    let submitted = ca.authority.submit(&admin, "test", &csr(&["t.example.com"])).await.unwrap();
    assert_eq!(submitted.request.state, RequestState::Issued);
    let certificate = submitted.request.certificate.clone().unwrap();
    assert!(certificate.test);
    let auditor = actor("aud", &[Role::Auditor]);
    let found = ca.authority.search(&auditor, &Query { name: Some("t.example".into()), ..Default::default() }).await;
    let found = found.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].certificate.as_ref().unwrap().serial, certificate.serial);
    // A production request with the same key gets the P6 warning.
    let stored = ca.store.request(submitted.request.id).await.unwrap().unwrap();
    let again = ca.authority.submit(&admin, "server", &stored.csr).await.unwrap();
    assert!(again.request.warnings.iter().any(|w| w.contains("test CA")), "{:?}", again.request.warnings);
}

#[tokio::test]
async fn each_role_does_only_its_own_work() {
    let ca = ca(true).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let auditor = actor("aud", &[Role::Auditor]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let id = ca.authority.submit(&manager, "server", &csr(&["m.example.com"])).await.unwrap().request.id;
    for refused in [
        ca.authority.queue(&alice).await.map(|_| ()),
        ca.authority.approve(&auditor, id, None).await.map(|_| ()),
        ca.authority.deny(&alice, id, "no").await.map(|_| ()),
        ca.authority.search(&alice, &Query::default()).await.map(|_| ()),
        ca.authority.verify_audit(&manager).await.map(|_| ()),
        ca.authority.create_token(&manager, "x", &[Role::Enrollee]).await.map(|_| ()),
        ca.authority.submit(&auditor, "server", &csr(&["a.example.com"])).await.map(|_| ()),
        ca.authority.submit(&alice, "subca", &csr(&["a.example.com"])).await.map(|_| ()),
    ] {
        assert_eq!(kind(refused), Kind::Forbidden);
    }
    // Strict separation: a manager does not decide on their own request.
    assert_eq!(kind(ca.authority.approve(&manager, id, None).await), Kind::Forbidden);
    assert!(matches!(
        ca.authority.submit(&alice, "nope", &csr(&["a.example.com"])).await,
        Err(AuthorityError::NoSuchProfile { .. })
    ));
    assert!(ca.authority.verify_audit(&auditor).await.unwrap().intact);
}

#[tokio::test]
async fn a_remembered_token_is_asked_for_again_once_its_time_is_up() {
    let ca = ca(false).await;
    let admin = actor("admin", &[Role::CaAdministrator]);
    let secret = ca.authority.create_token(&admin, "bob", &[Role::Enrollee]).await.unwrap();
    assert_eq!(ca.authority.authenticate(&secret).await.unwrap().name, "bob");
    assert_eq!(kind(ca.authority.authenticate("sgt_unknown").await), Kind::Unauthenticated);
    // Revoked in the database behind the authority's back: remembered for a few seconds only.
    let sql = signet_store_sql::SqlStore::open_sqlite(&ca._dir.path().join("signet.db")).await.unwrap();
    sql.danger_execute_raw("UPDATE tokens SET revoked_at = 1 WHERE name = 'bob'").await.unwrap();
    ca.clock.advance(time::Duration::seconds(5));
    assert!(ca.authority.authenticate(&secret).await.is_ok());
    ca.clock.advance(time::Duration::seconds(6));
    assert_eq!(kind(ca.authority.authenticate(&secret).await), Kind::Unauthenticated);
    assert!(ca.clock.now() > datetime!(2026-06-01 12:00 UTC));
}

#[tokio::test]
async fn requesters_revoke_their_own_for_their_reasons_and_managers_any() {
    use signet_model::RevocationReason::*;

    use crate::CertificateRef;
    use crate::views::CertificateState;
    let ca = ca(false).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let eve = actor("eve", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let submitted = ca.authority.submit(&alice, "test", &csr(&["r.example.com"])).await.unwrap();
    let id = submitted.request.id;
    let serial: signet_model::Serial = submitted.request.certificate.as_ref().unwrap().serial.parse().unwrap();
    let by_serial = CertificateRef::Serial { ca: "test-root".into(), serial };
    let status = ca.authority.certificate_status(Access::Actor(&alice), &by_serial).await.unwrap();
    assert_eq!(status.status, CertificateState::Good);
    // A stranger cannot even see it; the requester may not use a manager's reasons.
    assert_eq!(kind(ca.authority.certificate_status(Access::Actor(&eve), &by_serial).await), Kind::NotFound);
    assert_eq!(kind(ca.authority.revoke(Access::Actor(&eve), &by_serial, KeyCompromise, None).await), Kind::NotFound);
    let refused = ca.authority.revoke(Access::Actor(&alice), &by_serial, CertificateHold, None).await.unwrap_err();
    assert_eq!(refused.kind(), Kind::Forbidden);
    assert!(refused.to_string().contains("keyCompromise, superseded or cessationOfOperation"), "{refused}");
    // An invalidity date in the future is refused; the requester revokes with its retrieval token.
    let later = ca.clock.now() + time::Duration::hours(1);
    let token = Access::RetrievalToken(&submitted.retrieval_token);
    assert_eq!(kind(ca.authority.revoke(token, &by_serial, KeyCompromise, Some(later)).await), Kind::Malformed);
    ca.clock.advance(time::Duration::minutes(3));
    let since = ca.clock.now() - time::Duration::days(1);
    let revoked = ca.authority.revoke(token, &CertificateRef::Request(id), KeyCompromise, Some(since)).await.unwrap();
    assert_eq!(revoked.status, CertificateState::Revoked);
    let revocation = revoked.revocation.unwrap();
    assert_eq!((revocation.reason, revocation.revoked_at.as_str()), (KeyCompromise, "2026-06-01T12:03:00Z"));
    assert_eq!(revocation.invalidity_date.as_deref(), Some("2026-05-31T12:03:00Z"));
    assert!(revocation.revoked_by.contains("retrieval token of request"), "{}", revocation.revoked_by);
    let again = ca.authority.revoke(Access::Actor(&manager), &by_serial, Superseded, None).await.unwrap_err();
    assert_eq!(again.kind(), Kind::Conflict);
    assert!(again.to_string().contains("already revoked (keyCompromise"), "{again}");
    // The request view shows it too.
    let view = ca.authority.status(Access::Actor(&alice), id).await.unwrap();
    assert_eq!(view.certificate.unwrap().revocation.unwrap().reason, KeyCompromise);

    // A manager holds and releases another certificate; only a hold can be released.
    let other = ca.authority.submit(&alice, "test", &csr(&["h.example.com"])).await.unwrap().request;
    let held = CertificateRef::Request(other.id);
    assert_eq!(kind(ca.authority.release_hold(&alice, &held).await), Kind::Forbidden);
    assert_eq!(kind(ca.authority.release_hold(&manager, &held).await), Kind::Conflict, "not revoked");
    ca.authority.revoke(Access::Actor(&manager), &held, CertificateHold, None).await.unwrap();
    let released = ca.authority.release_hold(&manager, &held).await.unwrap();
    assert_eq!((released.status, released.revocation), (CertificateState::Good, None));
    let final_release = ca.authority.release_hold(&manager, &by_serial).await.unwrap_err();
    assert!(final_release.to_string().contains("which is final"), "{final_release}");
    // Unknown CAs and serials, and a request without a certificate, say so.
    let unknown = CertificateRef::Serial { ca: "nope".into(), serial };
    assert!(
        ca.authority
            .certificate_status(Access::Actor(&manager), &unknown)
            .await
            .unwrap_err()
            .to_string()
            .contains("dev-issuing")
    );
    let pending = ca.authority.submit(&alice, "server", &csr(&["p.example.com"])).await.unwrap().request.id;
    let no_cert =
        ca.authority.revoke(Access::Actor(&manager), &CertificateRef::Request(pending), Superseded, None).await;
    assert!(no_cert.unwrap_err().to_string().contains("pending and has no certificate"));
    // Found by serial across CAs; every change audited.
    assert_eq!(ca.authority.certificates_with_serial(Access::Actor(&manager), &serial).await.unwrap().len(), 1);
    assert!(ca.authority.certificates_with_serial(Access::Actor(&eve), &serial).await.unwrap().is_empty());
    let audit = ca.store.audit_entries(1, 1000).await.unwrap();
    let actions: Vec<&str> =
        audit.iter().map(|e| e.event.action.as_str()).filter(|a| a.starts_with("certificate.re")).collect();
    assert_eq!(actions, ["certificate.revoke", "certificate.revoke", "certificate.release"]);
}

/// The serials in a stored CRL, read back by x509-parser, and its number.
async fn crl_of(ca: &Ca, name: &str, scope: signet_model::CrlScope) -> (u64, Vec<String>, Vec<u8>) {
    use x509_parser::prelude::FromDer;
    let id = ca.authority.ca_id_of(name).unwrap();
    let record = ca.store.crl(id, scope).await.unwrap().unwrap();
    let (_, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(&record.der).unwrap();
    let serials = parsed.iter_revoked_certificates().map(|e| hex::encode(e.raw_serial())).collect();
    (record.summary.number, serials, record.der.clone())
}

#[tokio::test]
async fn crls_are_published_when_due_and_revocations_reach_them() {
    use signet_model::CrlScope;
    let ca = ca_with(false, &[("test-root", 4)]).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let issued = ca.authority.submit(&alice, "test", &csr(&["crl.example.com"])).await.unwrap().request;
    let serial = issued.certificate.unwrap().serial;
    let record = ca.store.certificate(ca.authority.ca_id_of("test-root").unwrap(), &serial.parse().unwrap()).await;
    let shard = record.unwrap().unwrap().crl_shard.expect("a partitioned CA fixes the shard at issuance");
    // The first round publishes every CRL: the full ones, and test-root's four partitions.
    let first = ca.authority.publish_crls().await.unwrap();
    assert!(first.leader);
    assert_eq!(first.published.len(), 3 + 4, "{:?}", first.published);
    assert!(ca.authority.crl_status().await.unwrap().iter().all(|s| s.state == "ok"));
    assert!(ca.authority.publish_crls().await.unwrap().published.is_empty(), "nothing is due yet");
    let (number, serials, _) = crl_of(&ca, "test-root", CrlScope::Full).await;
    assert!(serials.is_empty());

    // A revocation: its CRLs wait half the interval (bursts make one CRL), then both its
    // partition and the full CRL carry it; the other partitions are left alone.
    ca.authority
        .revoke(
            Access::Actor(&manager),
            &crate::CertificateRef::Request(issued.id),
            signet_model::RevocationReason::Superseded,
            None,
        )
        .await
        .unwrap();
    assert!(ca.authority.publish_crls().await.unwrap().published.is_empty());
    ca.clock.advance(time::Duration::seconds(31));
    let after = ca.authority.publish_crls().await.unwrap().published;
    let scopes: Vec<(String, CrlScope)> = after.iter().map(|p| (p.ca.clone(), p.scope)).collect();
    assert_eq!(scopes, vec![("test-root".into(), CrlScope::Full), ("test-root".into(), CrlScope::Shard(shard))]);
    let (newer, serials, der) = crl_of(&ca, "test-root", CrlScope::Full).await;
    assert!(newer > number, "CRL numbers only grow");
    assert_eq!(serials.len(), 1);
    assert!(serials[0].ends_with(&serial), "{serials:?} {serial}");
    assert_eq!(crl_of(&ca, "test-root", CrlScope::Shard(shard)).await.1.len(), 1);
    let info = signet_codec::describe::crl(&der, ca.clock.now()).unwrap();
    assert_eq!(info.revoked_count, 1);

    // Refreshed daily without revocations; reported stale when nobody publishes.
    ca.clock.advance(time::Duration::hours(25));
    assert_eq!(ca.authority.publish_crls().await.unwrap().published.len(), 7);
    ca.clock.advance(time::Duration::days(5));
    let soon: Vec<&'static str> = ca.authority.crl_status().await.unwrap().iter().map(|s| s.state).collect();
    assert!(soon.iter().all(|s| *s == "stale-soon"), "{soon:?}");
    ca.clock.advance(time::Duration::days(3));
    assert!(ca.authority.crl_status().await.unwrap().iter().all(|s| s.state == "stale"));
    let audit = ca.store.audit_entries(1, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.event.action == "crl.publish").count(), 7 + 2 + 7);
}

#[tokio::test]
async fn ocsp_responses_are_presigned_refreshed_and_follow_revocations() {
    let ca = ca(false).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let issued = ca.authority.submit(&alice, "test", &csr(&["ocsp.example.com"])).await.unwrap().request;
    let serial: signet_model::Serial = issued.certificate.as_ref().unwrap().serial.parse().unwrap();
    let test_root = ca.authority.ca_id_of("test-root").unwrap();
    // The first round issues a delegated responder per CA, then signs every certificate's
    // response: the test certificate, dev-issuing's, and the three responders' own.
    let first = ca.authority.publish_ocsp().await.unwrap();
    assert!(first.leader && first.failed.is_empty(), "{first:?}");
    assert_eq!((first.responders_issued, first.stored), (3, 5));
    let read = |found: Option<signet_store::StoredOcspResponse>| {
        signet_codec::describe::ocsp_response(&found.unwrap().der).unwrap()
    };
    let good = read(ca.store.ocsp_response(test_root, &serial).await.unwrap());
    assert_eq!((good.response_status.as_str(), good.responses[0].status.as_str()), ("successful", "good"));
    assert_eq!(good.certificate_count, 1, "the delegated responder's certificate is included");
    assert!(good.responder.as_deref().unwrap().starts_with("key-sha1:"));
    assert_eq!(ca.authority.publish_ocsp().await.unwrap().stored, 0, "nothing is due");
    // A revocation is signed in the next round; the CA key never signed a response.
    ca.authority
        .revoke(
            Access::Actor(&manager),
            &crate::CertificateRef::Request(issued.id),
            signet_model::RevocationReason::KeyCompromise,
            None,
        )
        .await
        .unwrap();
    assert_eq!(ca.authority.publish_ocsp().await.unwrap().stored, 1);
    let revoked = read(ca.store.ocsp_response(test_root, &serial).await.unwrap());
    assert_eq!(revoked.responses[0].status, "revoked");
    assert_eq!(revoked.responses[0].reason.as_deref(), Some("keyCompromise"));
    // Refreshed daily; responders replaced at half their life.
    ca.clock.advance(time::Duration::hours(25));
    let refreshed = ca.authority.publish_ocsp().await.unwrap();
    assert_eq!((refreshed.responders_issued, refreshed.stored), (0, 5));
    ca.clock.advance(time::Duration::days(7));
    let rotated = ca.authority.publish_ocsp().await.unwrap();
    assert_eq!(rotated.responders_issued, 3);
    assert_eq!(ca.authority.responders().len(), 3);
    let audit = ca.store.audit_entries(1, 10_000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.event.action == "ocsp.responder").count(), 6);
}

#[tokio::test]
async fn a_revoked_delegated_responder_is_replaced_at_once() {
    let ca = ca(false).await;
    let manager = actor("mgr", &[Role::CertificateManager]);
    assert_eq!(ca.authority.publish_ocsp().await.unwrap().responders_issued, 3);
    let test_root = ca.authority.ca_id_of("test-root").unwrap();
    let responder_of = |all: Vec<signet_store::OcspResponderRecord>| all.into_iter().rfind(|r| r.ca_id == test_root);
    let old = responder_of(ca.store.ocsp_responders().await.unwrap()).unwrap();
    let target = crate::CertificateRef::Serial { ca: "test-root".into(), serial: old.serial };
    ca.authority
        .revoke(Access::Actor(&manager), &target, signet_model::RevocationReason::KeyCompromise, None)
        .await
        .unwrap();
    // The next round replaces it, long before half its life; only that CA's.
    ca.clock.advance(time::Duration::seconds(1));
    let round = ca.authority.publish_ocsp().await.unwrap();
    assert_eq!(round.responders_issued, 1, "{round:?}");
    let new = responder_of(ca.store.ocsp_responders().await.unwrap()).unwrap();
    assert_ne!(new.serial, old.serial);
    assert_eq!(ca.authority.publish_ocsp().await.unwrap().responders_issued, 0);
}

#[tokio::test]
async fn the_servers_own_certificate_is_an_ordinary_audited_request() {
    let ca = ca(false).await;
    let names = ["localhost", "127.0.0.1", "ca.example.com"];
    let issued =
        ca.authority.issue_server_certificate("dev-issuing", &csr(&names), time::Duration::days(30)).await.unwrap();
    let facts = signet_codec::certificate::facts(&issued.certificate).unwrap();
    // RFC 5280 validity is inclusive: the last second counts.
    assert_eq!(facts.not_after - facts.not_before + time::Duration::SECOND, time::Duration::days(30));
    assert_eq!(issued.intermediates.len(), 1, "the issuing CA's certificate");
    assert!(issued.root.is_some());
    let query = Query { requester: Some(crate::server_tls::SERVER_IDENTITY.into()), ..Query::default() };
    let admin = actor("admin", &[Role::CaAdministrator]);
    let found = ca.authority.search(&admin, &query).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].state, RequestState::Issued);
    assert_eq!(found[0].profile, crate::server_tls::SERVER_TLS_PROFILE);
    // Nobody can submit to the built-in profile.
    let e = ca.authority.submit(&admin, crate::server_tls::SERVER_TLS_PROFILE, &csr(&names)).await.unwrap_err();
    assert_eq!(e.kind(), Kind::NotFound);
    let e = ca.authority.issue_server_certificate("nope", &csr(&names), time::Duration::days(30)).await.unwrap_err();
    assert!(e.to_string().contains("server.tls_issuer \"nope\""), "{e}");
}

#[tokio::test]
async fn a_ca_whose_certificate_is_revoked_issues_nothing_until_released() {
    let ca = ca(false).await;
    let alice = actor("alice", &[Role::Enrollee]);
    let manager = actor("mgr", &[Role::CertificateManager]);
    let pending = ca.authority.submit(&alice, "server", &csr(&["before.example.com"])).await.unwrap().request.id;
    let issuing = ca.authority.registry.issuer("dev-issuing").unwrap().certificate.clone();
    let serial = signet_codec::describe::certificate(&issuing, ca.clock.now()).unwrap().serial;
    let serial = signet_model::Serial::parse_hex(&serial).unwrap();
    let target = crate::CertificateRef::Serial { ca: "dev-root".into(), serial };
    let hold = signet_model::RevocationReason::CertificateHold;
    ca.authority.revoke(Access::Actor(&manager), &target, hold, None).await.unwrap();
    // dev-issuing signs nothing more: neither a new submission nor a pending approval.
    let refused = ca.authority.submit(&alice, "server", &csr(&["after.example.com"])).await.unwrap_err();
    assert_eq!(refused.kind(), Kind::Conflict);
    assert!(
        refused.to_string().contains("CA dev-issuing's certificate was revoked by dev-root (certificateHold"),
        "{refused}"
    );
    assert_eq!(ca.authority.approve(&manager, pending, None).await.unwrap_err().kind(), Kind::Conflict);
    assert_eq!(ca.authority.revoked_cas().len(), 1);
    // Another CA goes on; a fresh look (another front end's) finds the same.
    ca.authority.submit(&alice, "test", &csr(&["t.example.com"])).await.unwrap();
    assert_eq!(ca.authority.refresh_revoked_cas().await.unwrap().len(), 1);
    // Released, it issues again.
    ca.authority.release_hold(&manager, &target).await.unwrap();
    assert!(ca.authority.revoked_cas().is_empty());
    ca.authority.approve(&manager, pending, None).await.unwrap();
}
