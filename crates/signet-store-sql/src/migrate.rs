//! Embedded schema migrations, one set per dialect, run with sqlx's migrator (which takes an
//! advisory lock on PostgreSQL, so several front ends can start at once).

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use signet_store::{StoreError, StoreResult};

use crate::Dialect;

const SQLITE: &[(i64, &str, &str)] = &[(1, "initial", include_str!("../migrations/sqlite/0001_initial.sql"))];
const POSTGRES: &[(i64, &str, &str)] = &[(1, "initial", include_str!("../migrations/postgres/0001_initial.sql"))];

/// Brings the schema up to date.
pub(crate) async fn run(dialect: Dialect, pool: &AnyPool) -> StoreResult<()> {
    let set = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    let migrations: Vec<Migration> = set
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(*version, Cow::Borrowed(*name), MigrationType::Simple, sql.into_sql_str(), false)
        })
        .collect();
    let migrator = Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT };
    migrator.run(pool).await.map_err(|e| StoreError::Unavailable(format!("schema migration failed: {e}")))
}
