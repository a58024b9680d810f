//! The ACME part of the backend test suite: what [`crate::AcmeStore`] promises, checked on every
//! backend (`signet-store-sql` runs it on SQLite and PostgreSQL, and across two front ends on one
//! PostgreSQL database).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // a test suite asserts by panicking

use std::sync::Arc;

use signet_model::Sha256;
use time::{Duration, OffsetDateTime};

use crate::acme::*;
use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::records::NewRequest;
use crate::traits::Store;

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00:00 UTC)
}

fn event(action: &str) -> AuditEvent {
    AuditEvent::new(now(), "acme", action, "acme", serde_json::json!({}))
}

fn account(n: u8, eab: Option<&str>) -> NewAcmeAccount {
    NewAcmeAccount {
        thumbprint: format!("thumb-{n}"),
        jwk: format!(r#"{{"kty":"EC","n":{n}}}"#),
        contact: vec![format!("mailto:a{n}@example.com")],
        eab_key_id: eab.map(str::to_string),
        created_at: now(),
    }
}

fn dns(name: &str) -> AcmeIdentifier {
    AcmeIdentifier { kind: "dns".into(), value: name.into() }
}

fn challenge(kind: &str) -> AcmeChallenge {
    AcmeChallenge {
        kind: kind.into(),
        token: format!("token-{kind}"),
        status: ChallengeStatus::Pending,
        validated: None,
        error: None,
    }
}

fn new_authorization(name: &str) -> AuthorizationFor {
    AuthorizationFor::New(NewAcmeAuthorization {
        identifier: dns(name),
        wildcard: false,
        expires_at: now() + Duration::days(7),
        challenges: vec![challenge("http-01"), challenge("dns-01")],
    })
}

fn order(account_id: i64, authorizations: Vec<AuthorizationFor>, names: &[&str]) -> NewAcmeOrder {
    NewAcmeOrder {
        account_id,
        profile: "acme".into(),
        identifiers: names.iter().map(|n| dns(n)).collect(),
        authorizations,
        not_before: None,
        not_after: None,
        expires_at: now() + Duration::days(7),
        replaces: None,
        created_at: now(),
    }
}

/// Runs every ACME check against stores made by `fresh` (the same store, as both interfaces).
pub async fn run_all<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (Arc<dyn Store>, Arc<dyn AcmeStore>)>,
{
    let (_, acme) = fresh().await;
    nonces_are_single_use(acme.as_ref(), acme.as_ref()).await;
    secrets_are_made_once(acme.as_ref()).await;
    let (_, acme) = fresh().await;
    accounts_round_trip(acme.as_ref()).await;
    let (store, acme) = fresh().await;
    orders_and_authorizations(store.as_ref(), acme.as_ref()).await;
    let (_, acme) = fresh().await;
    external_account_keys_bind_once(acme.as_ref()).await;
    let (store, acme) = fresh().await;
    finalize_claims_end_linked_or_settled(store.as_ref(), acme.as_ref()).await;
    let (store, acme) = fresh().await;
    settling_races_linking(store, acme.clone(), acme).await;
}

/// A nonce is redeemed once, on whichever front end sees it first.
pub async fn nonces_are_single_use(first: &dyn AcmeStore, second: &dyn AcmeStore) {
    let expires = now() + Duration::minutes(10);
    assert!(first.redeem_nonce("nonce-a", expires, now()).await.unwrap());
    assert!(!first.redeem_nonce("nonce-a", expires, now()).await.unwrap(), "replayed on the same front end");
    assert!(!second.redeem_nonce("nonce-a", expires, now()).await.unwrap(), "replayed on another front end");
    assert!(second.redeem_nonce("nonce-b", expires, now()).await.unwrap());
    assert!(!first.redeem_nonce("nonce-b", expires, now()).await.unwrap());
    // Redeemed with the signer's account read: the same single use, across both ways.
    let account = first.create_account(account(7, None), event("acme.account.create")).await.unwrap();
    let redeemed = first.redeem_nonce_and_read_account("nonce-c", expires, now(), account.id).await.unwrap();
    assert_eq!(redeemed, (true, Some(account.clone())));
    let again = second.redeem_nonce_and_read_account("nonce-c", expires, now(), account.id).await.unwrap();
    assert_eq!(again, (false, Some(account.clone())), "replayed on another front end");
    assert!(!second.redeem_nonce("nonce-c", expires, now()).await.unwrap());
    assert!(!second.redeem_nonce_and_read_account("nonce-a", expires, now(), account.id).await.unwrap().0);
    let unknown = first.redeem_nonce_and_read_account("nonce-d", expires, now(), account.id + 1000).await.unwrap();
    assert_eq!(unknown, (true, None), "no such account: the nonce is still used up");
    // Now and then (a nonce whose first byte is a multiple of 64) a redemption first forgets the
    // expired nonces, by either way of redeeming.
    let past = now() - Duration::minutes(1);
    assert!(first.redeem_nonce("expired-a", past, now()).await.unwrap());
    assert!(second.redeem_nonce("@sweeps", expires, now()).await.unwrap());
    assert!(first.redeem_nonce("expired-a", past, now()).await.unwrap(), "forgotten by the sweep");
    assert!(second.redeem_nonce_and_read_account("@sweeps-too", expires, now(), account.id).await.unwrap().0);
    assert!(first.redeem_nonce("expired-a", past, now()).await.unwrap(), "forgotten by the second sweep");
}

async fn secrets_are_made_once(store: &dyn AcmeStore) {
    let made = store.acme_secret("nonce-key", vec![1; 32], now()).await.unwrap();
    assert_eq!(made, vec![1; 32]);
    assert_eq!(store.acme_secret("nonce-key", vec![2; 32], now()).await.unwrap(), made, "the first one stays");
    assert_eq!(store.acme_secret("other", vec![3; 32], now()).await.unwrap(), vec![3; 32]);
}

async fn accounts_round_trip(store: &dyn AcmeStore) {
    let created = store.create_account(account(1, None), event("acme.account.create")).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(store.acme_account(created.id).await.unwrap().as_ref(), Some(&created));
    assert_eq!(store.acme_account_by_key("thumb-1").await.unwrap().as_ref(), Some(&created));
    assert!(store.acme_account_by_key("thumb-9").await.unwrap().is_none());
    let again = store.create_account(account(1, None), event("acme.account.create")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let second = store.create_account(account(2, None), event("acme.account.create")).await.unwrap();
    // Contacts change; a key change to a key in use is refused, to a new one goes through.
    let contact = vec!["mailto:new@example.com".to_string()];
    store.update_account(created.id, Some(contact.clone()), None, event("acme.account.update")).await.unwrap();
    let taken = store.change_account_key(created.id, "thumb-2", "{}", event("acme.account.key-change")).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    store.change_account_key(created.id, "thumb-3", "{\"new\":1}", event("acme.account.key-change")).await.unwrap();
    let changed = store.acme_account_by_key("thumb-3").await.unwrap().unwrap();
    assert_eq!((changed.id, changed.contact, changed.jwk.as_str()), (created.id, contact, "{\"new\":1}"));
    assert!(store.acme_account_by_key("thumb-1").await.unwrap().is_none(), "the old key is gone");
    // Deactivation is final.
    let deactivated = Some(AccountStatus::Deactivated);
    store.update_account(second.id, None, deactivated, event("acme.account.deactivate")).await.unwrap();
    assert_eq!(store.acme_account(second.id).await.unwrap().unwrap().status, AccountStatus::Deactivated);
    let after = store.update_account(second.id, Some(vec![]), None, event("acme.account.update")).await;
    assert!(matches!(after, Err(StoreError::Conflict(_))), "{after:?}");
}

async fn orders_and_authorizations(store: &dyn Store, acme: &dyn AcmeStore) {
    let account = acme.create_account(account(1, None), event("acme.account.create")).await.unwrap();
    let first = acme
        .create_order(order(
            account.id,
            vec![new_authorization("a.example.com"), new_authorization("b.example.com")],
            &["a.example.com", "b.example.com"],
        ))
        .await
        .unwrap();
    assert_eq!(first.status, OrderStatus::Pending);
    assert_eq!(first.authorizations.len(), 2);
    assert_eq!(acme.acme_order(first.id).await.unwrap().as_ref(), Some(&first), "what was answered is what is stored");
    let authorizations = acme.acme_authorizations(&first.authorizations).await.unwrap();
    assert_eq!(authorizations[1].identifier, dns("b.example.com"));
    assert_eq!(authorizations[0].challenges.len(), 2);
    assert_eq!(authorizations[0].status, AuthorizationStatus::Pending);
    // Validating one: its status and challenges change once, from the status it had.
    let mut challenges = authorizations[0].challenges.clone();
    challenges[0].status = ChallengeStatus::Valid;
    challenges[0].validated = Some(now().unix_timestamp());
    let (id, valid_until) = (authorizations[0].id, now() + Duration::days(30));
    let (pending, valid) = (AuthorizationStatus::Pending, AuthorizationStatus::Valid);
    acme.update_authorization(id, pending, valid, valid_until, challenges.clone(), Some(event("acme.validate")))
        .await
        .unwrap();
    let twice = acme.update_authorization(id, pending, AuthorizationStatus::Invalid, now(), challenges, None).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let stored = acme.acme_authorization(id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.challenges[0].status), (AuthorizationStatus::Valid, ChallengeStatus::Valid));
    // Reuse: found for its account and name while valid, not for others or after it expires.
    let found = acme.reusable_authorization(account.id, &dns("a.example.com"), false, now()).await.unwrap();
    assert_eq!(found, Some(id));
    assert_eq!(acme.reusable_authorization(account.id, &dns("b.example.com"), false, now()).await.unwrap(), None);
    assert_eq!(acme.reusable_authorization(account.id, &dns("a.example.com"), true, now()).await.unwrap(), None);
    assert_eq!(acme.reusable_authorization(account.id + 1, &dns("a.example.com"), false, now()).await.unwrap(), None);
    assert_eq!(acme.reusable_authorization(account.id, &dns("a.example.com"), false, valid_until).await.unwrap(), None);
    let second =
        acme.create_order(order(account.id, vec![AuthorizationFor::Reuse(id)], &["a.example.com"])).await.unwrap();
    assert_eq!(second.authorizations, vec![id]);
    // An order moves on once from each status: two finalizes racing, one wins.
    let request = store
        .submit(
            NewRequest {
                profile: "acme".into(),
                csr: vec![0x30, 0x00],
                subject: String::new(),
                sans: vec!["dns:a.example.com".into()],
                spki_sha256: Sha256::from_bytes([7; 32]),
                requester: format!("acme-account:{}", account.id),
                warnings: vec![],
                retrieval_token_hash: Sha256::from_bytes([8; 32]),
                created_at: now(),
                acme_order: None,
            },
            event("request.submit"),
        )
        .await
        .unwrap();
    let ready =
        |from, to, request_id| OrderChange { id: second.id, from, to, request_id, processing_since: None, error: None };
    acme.change_order(ready(OrderStatus::Pending, OrderStatus::Ready, None)).await.unwrap();
    acme.change_order(ready(OrderStatus::Ready, OrderStatus::Processing, Some(request.id))).await.unwrap();
    let lost = acme.change_order(ready(OrderStatus::Ready, OrderStatus::Processing, Some(request.id))).await;
    assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");
    let by_request = acme.acme_order_for_request(request.id).await.unwrap().unwrap();
    assert_eq!((by_request.id, by_request.status), (second.id, OrderStatus::Processing));
    let error = serde_json::json!({"type": "urn:ietf:params:acme:error:unauthorized", "detail": "denied"});
    acme.change_order(OrderChange {
        id: second.id,
        from: OrderStatus::Processing,
        to: OrderStatus::Invalid,
        request_id: None,
        processing_since: None,
        error: Some(error.clone()),
    })
    .await
    .unwrap();
    let failed = acme.acme_order(second.id).await.unwrap().unwrap();
    assert_eq!((failed.status, failed.error, failed.request_id), (OrderStatus::Invalid, Some(error), Some(request.id)));
    assert_eq!(acme.count_orders_since(account.id, now()).await.unwrap(), 2);
    // ARI: an order replacing a certificate is found while it is not invalid.
    let mut replacing = order(account.id, vec![AuthorizationFor::Reuse(id)], &["a.example.com"]);
    replacing.replaces = Some("aki.serial".into());
    let replacing = acme.create_order(replacing).await.unwrap();
    assert_eq!(acme.order_replacing("aki.serial").await.unwrap(), Some(replacing.id));
    assert_eq!(acme.order_replacing("aki.other").await.unwrap(), None);
    let invalid = OrderChange {
        id: replacing.id,
        from: OrderStatus::Pending,
        to: OrderStatus::Invalid,
        request_id: None,
        processing_since: None,
        error: None,
    };
    acme.change_order(invalid).await.unwrap();
    assert_eq!(acme.order_replacing("aki.serial").await.unwrap(), None);
    assert_eq!(acme.count_orders_since(account.id, now() + Duration::seconds(1)).await.unwrap(), 0);
    assert_eq!(acme.count_orders_since(account.id, now() - Duration::seconds(1)).await.unwrap(), 3);
    // Per name: the orders naming it that are not invalid (the first order, of the three).
    assert_eq!(acme.count_orders_for_name_since(&dns("b.example.com"), now()).await.unwrap(), 1);
    assert_eq!(acme.count_orders_for_name_since(&dns("a.example.com"), now()).await.unwrap(), 1);
    assert_eq!(acme.count_orders_for_name_since(&dns("example.com"), now()).await.unwrap(), 0, "not a suffix match");
    assert_eq!(acme.account_orders(account.id, 10).await.unwrap(), vec![replacing.id, second.id, first.id]);
    assert_eq!(acme.account_orders(account.id, 1).await.unwrap(), vec![replacing.id]);
    assert!(acme.acme_order(9999).await.unwrap().is_none());
    assert!(matches!(acme.acme_authorizations(&[9999]).await, Err(StoreError::NotFound(_))));
}

async fn external_account_keys_bind_once(store: &dyn AcmeStore) {
    let key = EabKeyRecord {
        key_id: "kid-1".into(),
        name: "web team".into(),
        profile: Some("shortlived".into()),
        key_sha256: "ab".repeat(32),
        account_id: None,
        created_at: now(),
    };
    store.create_eab_key(key.clone(), event("acme.eab.create")).await.unwrap();
    assert!(matches!(store.create_eab_key(key.clone(), event("acme.eab.create")).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.eab_key("kid-1").await.unwrap().as_ref(), Some(&key));
    assert!(store.eab_key("kid-2").await.unwrap().is_none());
    assert_eq!(store.eab_keys().await.unwrap(), vec![key.clone()]);
    let bound = store.create_account(account(1, Some("kid-1")), event("acme.account.create")).await.unwrap();
    assert_eq!(store.eab_key("kid-1").await.unwrap().unwrap().account_id, Some(bound.id));
    let listed = store.eab_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].account_id, Some(bound.id), "the list shows the account a key is bound to");
    let reused = store.create_account(account(2, Some("kid-1")), event("acme.account.create")).await;
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "an EAB key binds one account: {reused:?}");
    // A bound key cannot be withdrawn; an unused one can, once.
    let withdrawn = store.withdraw_eab_key("kid-1", event("acme.eab.withdraw")).await;
    assert!(matches!(withdrawn, Err(StoreError::Conflict(_))), "{withdrawn:?}");
    let unused = EabKeyRecord { key_id: "kid-3".into(), account_id: None, ..key.clone() };
    store.create_eab_key(unused, event("acme.eab.create")).await.unwrap();
    store.withdraw_eab_key("kid-3", event("acme.eab.withdraw")).await.unwrap();
    assert!(store.eab_key("kid-3").await.unwrap().is_none());
    let again = store.withdraw_eab_key("kid-3", event("acme.eab.withdraw")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

/// An order claimed by finalize at `at`, ready to take its request.
async fn claimed_order(acme: &dyn AcmeStore, account_id: i64, name: &str, at: OffsetDateTime) -> AcmeOrderRecord {
    let created = acme.create_order(order(account_id, vec![new_authorization(name)], &[name])).await.unwrap();
    let claim = OrderChange {
        id: created.id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        request_id: None,
        processing_since: Some(at),
        error: None,
    };
    acme.change_order(claim).await.unwrap();
    acme.acme_order(created.id).await.unwrap().unwrap()
}

/// A request finalizing `order`.
fn finalize_request(order: &AcmeOrderRecord) -> NewRequest {
    let mut request = crate::conformance::new_request(&order.identifiers[0].value);
    request.acme_order = Some(order.id);
    request
}

/// The problem a settled order is left with.
fn interrupted() -> serde_json::Value {
    serde_json::json!({"type": "urn:ietf:params:acme:error:serverInternal", "detail": "interrupted"})
}

/// A finalize's request is recorded on its order in the transaction that stores it (both ways a
/// request is stored: waiting for a manager, and reserved for issuance at once); an order whose
/// claim is older than the lease and that has no request is settled invalid, once; a request for
/// an order that was settled, or that has one already, is refused with nothing stored.
async fn finalize_claims_end_linked_or_settled(store: &dyn Store, acme: &dyn AcmeStore) {
    let account = acme.create_account(account(3, None), event("acme.account.create")).await.unwrap();
    assert_eq!(
        claimed_order(acme, account.id, "claimed.example.com", now()).await.processing_since,
        Some(now()),
        "the claim's time is stored"
    );
    let waiting = claimed_order(acme, account.id, "waiting.example.com", now() - Duration::minutes(10)).await;
    let request = store.submit(finalize_request(&waiting), event("request.submit")).await.unwrap();
    assert_eq!(acme.acme_order(waiting.id).await.unwrap().unwrap().request_id, Some(request.id));
    let ca = crate::conformance::make_ca(store, "acme-ca").await;
    let issuing = claimed_order(acme, account.id, "issuing.example.com", now() - Duration::minutes(10)).await;
    let reserved = store
        .submit_and_reserve(finalize_request(&issuing), crate::conformance::reservation(ca, 1, false), event("submit"))
        .await
        .unwrap();
    assert_eq!(acme.acme_order(issuing.id).await.unwrap().unwrap().request_id, Some(reserved.id));
    // One request per order: a second is refused, and neither it nor its reservation is stored.
    let pending = store.pending_requests(100).await.unwrap().len();
    let twice = store.submit(finalize_request(&waiting), event("request.submit")).await;
    assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.contains("no longer being finalized")), "{twice:?}");
    let twice = store
        .submit_and_reserve(finalize_request(&issuing), crate::conformance::reservation(ca, 2, false), event("submit"))
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(store.pending_requests(100).await.unwrap().len(), pending, "a refused request leaves nothing");
    assert!(store.certificate(ca, &crate::conformance::reservation(ca, 2, false).serial).await.unwrap().is_none());
    // Settling: only claims older than the lease without a request; the fresh claim and the
    // orders with requests are left alone, whatever their age.
    let lost = claimed_order(acme, account.id, "lost.example.com", now() - Duration::minutes(10)).await;
    let lease = now() - Duration::minutes(2);
    assert_eq!(acme.settle_interrupted_finalizes(None, lease, interrupted()).await.unwrap(), vec![lost.id]);
    let settled = acme.acme_order(lost.id).await.unwrap().unwrap();
    assert_eq!((settled.status, settled.error, settled.request_id), (OrderStatus::Invalid, Some(interrupted()), None));
    for kept in [waiting.id, issuing.id] {
        let order = acme.acme_order(kept).await.unwrap().unwrap();
        assert_eq!((order.status, order.error), (OrderStatus::Processing, None));
    }
    assert!(acme.settle_interrupted_finalizes(None, lease, interrupted()).await.unwrap().is_empty(), "once");
    // A finalize that was only slow, not dead, stores nothing for its settled order.
    let late = store.submit(finalize_request(&lost), event("request.submit")).await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    assert_eq!(store.pending_requests(100).await.unwrap().len(), pending);
    // One order at a time: `only` settles that one, even with a later lease.
    let fresh = claimed_order(acme, account.id, "fresh.example.com", now()).await;
    let other = claimed_order(acme, account.id, "other.example.com", now()).await;
    let later = now() + Duration::minutes(1);
    assert_eq!(acme.settle_interrupted_finalizes(Some(fresh.id), later, interrupted()).await.unwrap(), vec![fresh.id]);
    assert_eq!(acme.acme_order(other.id).await.unwrap().unwrap().status, OrderStatus::Processing);
}

/// Settling and storing requests racing, on one front end or two sharing a database: every order
/// ends with its request or settled, never both and never neither, and exactly the requests of
/// the orders they were recorded on are stored.
pub async fn settling_races_linking(store: Arc<dyn Store>, linking: Arc<dyn AcmeStore>, settling: Arc<dyn AcmeStore>) {
    const ORDERS: usize = 24;
    let account = linking.create_account(account(4, None), event("acme.account.create")).await.unwrap();
    let pending = store.pending_requests(1000).await.unwrap().len();
    let mut orders = Vec::new();
    for n in 0..ORDERS {
        let name = format!("race{n}.example.com");
        orders.push(claimed_order(linking.as_ref(), account.id, &name, now() - Duration::minutes(10)).await);
    }
    let submitter = {
        let (store, orders) = (store.clone(), orders.clone());
        tokio::spawn(async move {
            let mut linked = Vec::new();
            for order in &orders {
                match store.submit(finalize_request(order), event("request.submit")).await {
                    Ok(request) => linked.push((order.id, request.id)),
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            linked
        })
    };
    let settler = {
        let (settling, ids) = (settling.clone(), orders.iter().rev().map(|o| o.id).collect::<Vec<_>>());
        tokio::spawn(async move {
            let mut settled = Vec::new();
            for id in ids {
                settled.extend(settling.settle_interrupted_finalizes(Some(id), now(), interrupted()).await.unwrap());
            }
            settled
        })
    };
    let (linked, settled) = (submitter.await.unwrap(), settler.await.unwrap());
    assert_eq!(linked.len() + settled.len(), ORDERS, "linked {linked:?}, settled {settled:?}");
    for order in &orders {
        let stored = linking.acme_order(order.id).await.unwrap().unwrap();
        match linked.iter().find(|(id, _)| *id == order.id) {
            Some((_, request)) => {
                assert_eq!((stored.status, stored.request_id), (OrderStatus::Processing, Some(*request)));
            }
            None => {
                assert!(settled.contains(&order.id));
                assert_eq!((stored.status, stored.request_id), (OrderStatus::Invalid, None));
            }
        }
    }
    assert_eq!(store.pending_requests(1000).await.unwrap().len(), pending + linked.len());
}
