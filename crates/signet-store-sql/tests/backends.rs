//! The shared store test suite on both backends, plus backend-level checks: tampering with the
//! audit log is detected, and the schema refuses what the interface promises it refuses.
//!
//! PostgreSQL: the tests use the server `scripts/postgres.sh` starts (as `scripts/test.sh` does),
//! found through SIGNET_TEST_POSTGRES_URL; each store gets a database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test code

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use signet_store::{AcmeStore, Store, StoreRead, StoreWrite, audit};
use signet_store_sql::SqlStore;

static COUNTER: AtomicU32 = AtomicU32::new(0);

async fn sqlite() -> (Arc<SqlStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open_sqlite(&dir.path().join("signet.db")).await.unwrap();
    (Arc::new(store), dir)
}

fn postgres_url() -> String {
    std::env::var("SIGNET_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("SIGNET_TEST_POSTGRES_URL is not set: run ./scripts/test.sh, or start a server with `eval $(./scripts/postgres.sh start)`")
    })
}

/// A fresh PostgreSQL database on the test server.
pub async fn postgres() -> Arc<SqlStore> {
    Arc::new(SqlStore::open_postgres(&postgres_database().await).await.unwrap())
}

/// Creates a fresh database on the test server; returns its URL.
async fn postgres_database() -> String {
    let admin = postgres_url();
    let name = format!("signet_t{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let create = format!("CREATE DATABASE {name}");
    let url = admin.clone();
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute(&create).unwrap();
    })
    .await
    .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// Approving and denying one request from two front ends at once: exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_postgres_decide_each_request_once() {
    let url = postgres_database().await;
    let first = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let second = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    signet_store::conformance::front_ends_decide_each_request_once(first, second).await;
}

/// Issuing from two front ends at once keeps one audit chain and every certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_postgres_issue_side_by_side() {
    let url = postgres_database().await;
    let first = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let second = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    signet_store::conformance::front_ends_issue_side_by_side(first, second).await;
}

/// The same with two stores on one SQLite file (two processes on one data directory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_sqlite_decide_each_request_once() {
    let (first, dir) = sqlite().await;
    let second = Arc::new(SqlStore::open_sqlite(&dir.path().join("signet.db")).await.unwrap());
    signet_store::conformance::front_ends_decide_each_request_once(first, second).await;
}

/// Two front ends on one PostgreSQL database append to one audit chain: each writer's idea of
/// the head goes stale whenever the other commits, and must be noticed and refreshed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_postgres_keep_one_audit_chain() {
    let url = postgres_database().await;
    let first = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let second = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let mut tasks = Vec::new();
    for n in 0..200 {
        let store = if n % 3 == 0 { first.clone() } else { second.clone() };
        tasks.push(tokio::spawn(async move {
            let event = config_change(n);
            store.append_audit(vec![event.clone(), event]).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for store in [&first, &second] {
        let report = audit::verify(&store.audit_entries(1, 1000).await.unwrap(), store.audit_head().await.unwrap());
        assert!(report.intact, "{:?}", report.problems);
        assert_eq!(report.entries, 400);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_sqlite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    signet_store::conformance::run_all(|| async {
        let (store, dir) = sqlite().await;
        dirs.lock().unwrap().push(dir);
        store as Arc<dyn Store>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_postgres() {
    signet_store::conformance::run_all(|| async { postgres().await as Arc<dyn Store> }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_conformance_on_sqlite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    signet_store::acme_conformance::run_all(|| async {
        let (store, dir) = sqlite().await;
        dirs.lock().unwrap().push(dir);
        (store.clone() as Arc<dyn Store>, store as Arc<dyn AcmeStore>)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acme_conformance_on_postgres() {
    signet_store::acme_conformance::run_all(|| async {
        let store = postgres().await;
        (store.clone() as Arc<dyn Store>, store as Arc<dyn AcmeStore>)
    })
    .await;
}

/// A nonce redeemed on one front end is refused on another sharing the PostgreSQL database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_are_single_use_across_front_ends_on_postgres() {
    let url = postgres_database().await;
    let first = SqlStore::open_postgres(&url).await.unwrap();
    let second = SqlStore::open_postgres(&url).await.unwrap();
    signet_store::acme_conformance::nonces_are_single_use(&first, &second).await;
}

/// Two front ends on one PostgreSQL database: one settling interrupted finalizes while the other
/// stores their requests; each order ends with one or the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalize_settlement_races_requests_across_front_ends_on_postgres() {
    let url = postgres_database().await;
    let first = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let second = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    signet_store::acme_conformance::settling_races_linking(first.clone(), first, second).await;
}

/// An audit event for the n-th change of some setting.
fn config_change(n: i32) -> audit::AuditEvent {
    audit::AuditEvent::new(
        time::macros::datetime!(2026-06-01 12:00 UTC),
        "admin",
        "config.change",
        &format!("item:{n}"),
        serde_json::json!({"n": n}),
    )
}

async fn some_audit(store: &SqlStore) {
    for n in 0..5 {
        let event = config_change(n);
        store.append_audit(vec![event]).await.unwrap();
    }
    let report = audit::verify(&store.audit_entries(1, 100).await.unwrap(), store.audit_head().await.unwrap());
    assert!(report.intact);
}

async fn verify(store: &SqlStore) -> audit::AuditReport {
    audit::verify(&store.audit_entries(1, 100).await.unwrap(), store.audit_head().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_tampering_is_detected_on_sqlite() {
    let (store, _dir) = sqlite().await;
    some_audit(&store).await;
    // The schema refuses edits outright...
    assert!(store.danger_execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").await.is_err());
    assert!(store.danger_execute_raw("DELETE FROM audit_log WHERE seq = 5").await.is_err());
    // ...and someone who removes that guard is still caught by the hash chain.
    store.danger_execute_raw("DROP TRIGGER audit_log_no_update").await.unwrap();
    store.danger_execute_raw("DROP TRIGGER audit_log_no_delete").await.unwrap();
    store.danger_execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").await.unwrap();
    let report = verify(&store).await;
    assert!(!report.intact);
    assert!(report.problems[0].contains("entry 3"), "{:?}", report.problems);
    store.danger_execute_raw("DELETE FROM audit_log WHERE seq = 5").await.unwrap();
    assert!(verify(&store).await.problems.iter().any(|p| p.contains("removed from the end")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_tampering_is_detected_on_postgres() {
    let store = postgres().await;
    some_audit(&store).await;
    assert!(store.danger_execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").await.is_err());
    store.danger_execute_raw("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change").await.unwrap();
    store.danger_execute_raw("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
    let report = verify(&store).await;
    assert!(report.problems.iter().any(|p| p.contains("entry 2 is missing")), "{:?}", report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signet.db");
    {
        let store = SqlStore::open_sqlite(&path).await.unwrap();
        some_audit(&store).await;
    }
    let store = SqlStore::open_sqlite(&path).await.unwrap();
    assert_eq!(verify(&store).await.entries, 5);
}

/// The submission path's lookup on PostgreSQL has a connection of its own; when the server
/// drops it (a restart, an administrator's pg_terminate_backend), the next lookup opens another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lookups_outlive_a_dropped_connection() {
    let url = postgres_database().await;
    let store = SqlStore::open_postgres(&url).await.unwrap();
    let key: signet_model::Sha256 = "ab".repeat(32).parse().unwrap();
    assert!(!store.key_used_for_test(&key).await.unwrap());
    let terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()";
    let admin = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        client.batch_execute(terminate).unwrap();
    })
    .await
    .unwrap();
    assert!(!store.key_used_for_test(&key).await.unwrap());
}

/// The SQLite files hold encrypted CA keys and token hashes: owner-only, new or existing, the WAL
/// and shared-memory files included.
#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signet.db");
    let mode = |suffix: &str| {
        let file = dir.path().join(format!("signet.db{suffix}"));
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777
    };
    {
        let store = SqlStore::open_sqlite(&path).await.unwrap();
        store
            .append_audit(vec![audit::AuditEvent::new(
                time::macros::datetime!(2026-06-01 12:00 UTC),
                "t",
                "test",
                "x",
                serde_json::json!({}),
            )])
            .await
            .unwrap();
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(suffix), 0o600, "signet.db{suffix}");
        }
    }
    // A database an older version left world-readable is tightened when opened.
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("signet.db{suffix}"));
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let _store = SqlStore::open_sqlite(&path).await.unwrap();
    assert_eq!(mode(""), 0o600);
}

/// Revoking from two front ends at once on PostgreSQL: each revocation lands once with a version
/// of its own, and one front end at a time holds a publisher lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_postgres_revoke_side_by_side() {
    let url = postgres_database().await;
    let first = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    let second = Arc::new(SqlStore::open_postgres(&url).await.unwrap());
    signet_store::conformance::front_ends_revoke_side_by_side(first.clone(), second.clone()).await;
    // When the holder goes away, the lease is free again.
    drop(first);
    let mut taken = false;
    for _ in 0..100 {
        if second.publisher_lease("crl").await.unwrap() {
            taken = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(taken, "the lease of a closed front end was never released");
}

/// The same with two stores on one SQLite file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_sharing_sqlite_revoke_side_by_side() {
    let (first, dir) = sqlite().await;
    let second = Arc::new(SqlStore::open_sqlite(&dir.path().join("signet.db")).await.unwrap());
    signet_store::conformance::front_ends_revoke_side_by_side(first.clone(), second.clone()).await;
    drop(first);
    assert!(second.publisher_lease("crl").await.unwrap(), "a lock file is released with its store");
}

/// Nonce redemptions sent together (batched, and pipelined on PostgreSQL): each nonce is
/// redeemed once whatever the batch holds, duplicates in one batch included, and a sweeping
/// nonce (first byte '@', 64) forgets the expired ones.
async fn redemptions_sent_together(store: Arc<SqlStore>) {
    let now = time::OffsetDateTime::now_utc();
    let later = now + time::Duration::minutes(10);
    assert!(store.redeem_nonce("expired", now - time::Duration::minutes(1), now).await.unwrap());
    let names: Vec<String> = (0..24).map(|i| format!("n{}", i % 8)).chain(["@sweeps".to_string()]).collect();
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (store, name) = (store.clone(), name.clone());
            tokio::spawn(async move { (name.clone(), store.redeem_nonce(&name, later, now).await.unwrap()) })
        })
        .collect();
    let mut firsts = std::collections::BTreeMap::new();
    for task in tasks {
        let (name, first) = task.await.unwrap();
        *firsts.entry(name).or_insert(0) += u32::from(first);
    }
    assert_eq!(firsts.len(), 9);
    assert!(firsts.values().all(|n| *n == 1), "each nonce redeemed exactly once: {firsts:?}");
    assert!(!store.redeem_nonce("n3", later, now).await.unwrap(), "replayed later");
    assert!(store.redeem_nonce("expired", later, now).await.unwrap(), "the expired nonce was forgotten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_redemptions_sent_together_on_sqlite() {
    let (store, _dir) = sqlite().await;
    redemptions_sent_together(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_redemptions_sent_together_on_postgres() {
    redemptions_sent_together(postgres().await).await;
}
