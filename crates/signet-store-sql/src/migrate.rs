//! Embedded schema migrations, one set per dialect (`migrations/{sqlite,postgres}/NNNN_name.sql`).
//!
//! A few lines of our own instead of a migration framework: each file is applied once, in a
//! transaction, and recorded with its SHA-256 so an edited, already-applied migration is refused.
//! On PostgreSQL an advisory lock lets several front ends start at once.

use crate::Dialect;
use crate::db::{Db, DbError, Value};

const SQLITE: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/sqlite/0001_initial.sql")),
    (2, "lean_indexes", include_str!("../migrations/sqlite/0002_lean_indexes.sql")),
    (3, "config_changes", include_str!("../migrations/sqlite/0003_config_changes.sql")),
    (4, "revocation", include_str!("../migrations/sqlite/0004_revocation.sql")),
    (5, "ocsp", include_str!("../migrations/sqlite/0005_ocsp.sql")),
    (10, "acme", include_str!("../migrations/sqlite/0010_acme.sql")),
    (11, "acme_finalize_claim", include_str!("../migrations/sqlite/0011_acme_finalize_claim.sql")),
    (12, "acme_order_names", include_str!("../migrations/sqlite/0012_acme_order_names.sql")),
    (13, "ca_alternates", include_str!("../migrations/sqlite/0013_ca_alternates.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/postgres/0001_initial.sql")),
    (2, "lean_indexes", include_str!("../migrations/postgres/0002_lean_indexes.sql")),
    (3, "audit_head_guard", include_str!("../migrations/postgres/0003_audit_head_guard.sql")),
    (4, "config_changes", include_str!("../migrations/postgres/0004_config_changes.sql")),
    (5, "refusal_guard", include_str!("../migrations/postgres/0005_refusal_guard.sql")),
    (6, "revocation", include_str!("../migrations/postgres/0006_revocation.sql")),
    (7, "ocsp", include_str!("../migrations/postgres/0007_ocsp.sql")),
    (10, "acme", include_str!("../migrations/postgres/0010_acme.sql")),
    (11, "acme_finalize_claim", include_str!("../migrations/postgres/0011_acme_finalize_claim.sql")),
    (12, "acme_order_names", include_str!("../migrations/postgres/0012_acme_order_names.sql")),
    (13, "ca_alternates", include_str!("../migrations/postgres/0013_ca_alternates.sql")),
];

/// Arbitrary key of the PostgreSQL advisory lock taken while migrating.
const LOCK_KEY: i64 = 0x5167_6e65_7401;

fn checksum(sql: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, sql.as_bytes()))
}

/// Brings the schema up to date.
pub(crate) fn run(db: &mut dyn Db) -> Result<(), DbError> {
    let dialect = db.dialect();
    let set = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    // Front ends starting together take turns: even CREATE TABLE IF NOT EXISTS is not safe
    // concurrently on PostgreSQL.
    if dialect == Dialect::Postgres {
        db.execute("SELECT pg_advisory_lock($1)", &[Value::Int(LOCK_KEY)])?;
    }
    let result = db
        .script(
            "CREATE TABLE IF NOT EXISTS signet_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .and_then(|()| apply(db, set));
    let unlocked = match dialect {
        Dialect::Postgres => db.execute("SELECT pg_advisory_unlock($1)", &[Value::Int(LOCK_KEY)]).map(|_| ()),
        Dialect::Sqlite => Ok(()),
    };
    // The migration's own error matters more than the unlock's.
    result.and(unlocked)
}

/// Checks, without writing anything, that every migration this build knows is applied and
/// unchanged: for front ends that only read (`signet ocsp serve`).
pub(crate) fn check(db: &mut dyn Db) -> Result<(), DbError> {
    let set = match db.dialect() {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    for (version, name, sql) in set {
        let applied =
            db.query("SELECT checksum FROM signet_migrations WHERE version = $1", &[Value::Int(*version)]).map_err(
                |_| DbError::Other("the database has no signet schema; start `signet serve` on it first".into()),
            )?;
        match applied.first() {
            Some(row) if row.cell("checksum") == Some(&crate::db::Cell::Text(checksum(sql))) => {}
            Some(_) => {
                return Err(DbError::Other(format!(
                    "migration {version} ({name}) was changed after it was applied to this database"
                )));
            }
            None => {
                return Err(DbError::Other(format!(
                    "the database lacks migration {version} ({name}): start this version of `signet serve` on it once to bring it up to date"
                )));
            }
        }
    }
    Ok(())
}

fn apply(db: &mut dyn Db, set: &[(i64, &str, &str)]) -> Result<(), DbError> {
    for (version, name, sql) in set {
        let applied = db.query("SELECT checksum FROM signet_migrations WHERE version = $1", &[Value::Int(*version)])?;
        let sum = checksum(sql);
        if let Some(row) = applied.first() {
            if row.cell("checksum") != Some(&crate::db::Cell::Text(sum.clone())) {
                return Err(DbError::Other(format!(
                    "migration {version} ({name}) was changed after it was applied to this database"
                )));
            }
            continue;
        }
        db.script("BEGIN")?;
        let done = db.script(sql).and_then(|()| {
            db.execute(
                "INSERT INTO signet_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                &[
                    Value::Int(*version),
                    (*name).into(),
                    sum.into(),
                    Value::Int(signet_model::Clock::now(&signet_model::SystemClock).unix_timestamp()),
                ],
            )
        });
        match done {
            Ok(_) => db.script("COMMIT")?,
            Err(e) => {
                let _ = db.script("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Cell;

    #[test]
    fn the_audit_log_keeps_its_entries_when_its_sequence_becomes_the_rowid() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = crate::db::open_sqlite(&dir.path().join("signet.db")).unwrap();
        db.script("CREATE TABLE signet_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)").unwrap();
        apply(&mut db, &SQLITE[..1]).unwrap();
        db.script("INSERT INTO audit_log VALUES (1, 10, 'admin', 'ca.create', 'ca/1', '{}', 'p1', 'h1'); INSERT INTO audit_log VALUES (2, 11, 'admin', 'token.create', 'token/1', '{}', 'h1', 'h2')").unwrap();
        run(&mut db).unwrap();
        let rows = db.query("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq", &[]).unwrap();
        let seqs: Vec<_> = rows.iter().map(|r| r.cell("seq").cloned()).collect();
        assert_eq!(seqs, vec![Some(Cell::Int(1)), Some(Cell::Int(2))]);
        assert_eq!(rows[1].cell("prev_hash"), Some(&Cell::Text("h1".into())));
        // Still append-only, and still refusing a reused sequence number.
        assert!(db.script("DELETE FROM audit_log WHERE seq = 1").is_err());
        assert!(db.script("UPDATE audit_log SET hash = 'x' WHERE seq = 2").is_err());
        assert!(db.script("INSERT INTO audit_log VALUES (2, 12, 'admin', 'x', 'x', '{}', 'h2', 'h3')").is_err());
        // Running again changes nothing.
        run(&mut db).unwrap();
    }

    #[test]
    fn the_names_of_orders_made_before_migration_11_are_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = crate::db::open_sqlite(&dir.path().join("signet.db")).unwrap();
        db.script("CREATE TABLE signet_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)").unwrap();
        let before = SQLITE.iter().position(|(version, ..)| *version == 11).unwrap();
        apply(&mut db, &SQLITE[..before]).unwrap();
        db.script(
            "INSERT INTO acme_accounts VALUES (1, 't', '{}', '[]', 'valid', NULL, 5); \
             INSERT INTO acme_orders (account_id, status, profile, identifiers, authorizations, expires_at, created_at) \
             VALUES (1, 'pending', 'web', '[{\"type\":\"dns\",\"value\":\"a.example.com\"},{\"type\":\"ip\",\"value\":\"192.0.2.1\"}]', '[]', 99, 7)",
        )
        .unwrap();
        run(&mut db).unwrap();
        let rows = db
            .query(
                "SELECT order_id, identifier_type, identifier, created_at FROM acme_order_names ORDER BY identifier",
                &[],
            )
            .unwrap();
        let names: Vec<_> = rows
            .iter()
            .map(|r| (r.cell("identifier_type").cloned(), r.cell("identifier").cloned(), r.cell("created_at").cloned()))
            .collect();
        assert_eq!(
            names,
            vec![
                (Some(Cell::Text("ip".into())), Some(Cell::Text("192.0.2.1".into())), Some(Cell::Int(7))),
                (Some(Cell::Text("dns".into())), Some(Cell::Text("a.example.com".into())), Some(Cell::Int(7))),
            ]
        );
    }
}
