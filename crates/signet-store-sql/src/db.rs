//! One small synchronous interface over the two database drivers (rusqlite, and tokio-postgres
//! driven by a per-connection runtime), so every query and state change is written once. Statements use `$1`-style numbered
//! parameters; for SQLite they are rewritten to its `?1` form. Prepared statements are cached per
//! connection.
//!
//! Synchronous drivers on dedicated threads replaced sqlx's `Any` driver: issuing a certificate
//! runs about twenty statements, and sqlx's SQLite worker-thread hand-off per statement cost more
//! CPU than the signing itself (see docs/BENCHMARKS.md).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::Dialect;

/// A bound parameter.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Int(i64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
    Null,
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(Cow::Borrowed(v))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Text(Cow::Owned(v))
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(Cow::Borrowed(v))
    }
}

impl From<signet_model::Sha256> for Value<'_> {
    /// Digests are stored as lower-case hex.
    fn from(v: signet_model::Sha256) -> Self {
        Value::Text(Cow::Owned(v.to_hex()))
    }
}

impl From<signet_model::CaId> for Value<'_> {
    fn from(v: signet_model::CaId) -> Self {
        Value::Int(v.get())
    }
}

impl From<signet_model::RequestState> for Value<'_> {
    /// States are stored by their API name.
    fn from(v: signet_model::RequestState) -> Self {
        Value::Text(Cow::Borrowed(v.as_str()))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A column value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// A result row with its column names.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    names: Arc<Vec<String>>,
    cells: Vec<Cell>,
}

impl Row {
    /// The cell of a column, by name.
    pub(crate) fn cell(&self, name: &str) -> Option<&Cell> {
        self.names.iter().position(|n| n == name).and_then(|i| self.cells.get(i))
    }
}

/// One step of a [`Db::pipeline`].
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// A statement with parameters, answered with rows.
    Query(Cow<'a, str>, Vec<Value<'a>>),
    /// Statements without parameters (BEGIN, COMMIT).
    Script(&'a str),
}

/// Which unique rule refused a write, as the driver reports it in its error fields (never read
/// from message text): PostgreSQL names the constraint; SQLite's extended result code says
/// whether it was the table's primary key or another unique index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UniqueViolation {
    /// PostgreSQL's constraint name.
    Named(String),
    /// SQLite: the primary key (`SQLITE_CONSTRAINT_PRIMARYKEY`).
    PrimaryKey,
    /// SQLite: a UNIQUE column or unique index (`SQLITE_CONSTRAINT_UNIQUE`).
    Unique,
}

/// A database failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DbError {
    /// A unique constraint refused the write; `detail` is the driver's text, for the log only.
    #[error("unique constraint {violation:?}: {detail}")]
    Unique {
        /// Which rule.
        violation: UniqueViolation,
        /// The driver's message.
        detail: String,
    },
    /// The transaction lost a deadlock or serialization race and may simply be run again.
    #[error("{0}")]
    Retry(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// A connection of either kind.
pub(crate) trait Db: Send {
    /// Runs a statement, returning the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, DbError>;
    /// Runs a query.
    fn query(&mut self, sql: &str, params: &[Value<'_>]) -> Result<Vec<Row>, DbError>;
    /// Runs statements without parameters (BEGIN, COMMIT, SAVEPOINT, migrations).
    fn script(&mut self, sql: &str) -> Result<(), DbError>;
    /// Runs a query and hands each row to `each` as it arrives, without holding them all: for
    /// results of millions of rows (a CRL's entries). Stops at the first error `each` returns.
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> Result<(), DbError>,
    ) -> Result<(), DbError>;
    /// Runs several steps and returns each one's rows or error; after an error, no later step
    /// takes effect (a COMMIT among them included). PostgreSQL sends them all before reading the
    /// first answer (one round trip), and the server refuses what follows an error in a
    /// transaction; elsewhere they run in turn and stop at the first error.
    fn pipeline(&mut self, steps: &[Step<'_>]) -> Result<Vec<Result<Vec<Row>, DbError>>, DbError> {
        let mut answers = Vec::with_capacity(steps.len());
        for step in steps {
            let answer = if answers.iter().any(|a: &Result<Vec<Row>, DbError>| a.is_err()) {
                Err(DbError::Other("not run: an earlier step failed".into()))
            } else {
                match step {
                    Step::Query(sql, params) => self.query(sql, params),
                    Step::Script(sql) => self.script(sql).map(|()| Vec::new()),
                }
            };
            answers.push(answer);
        }
        Ok(answers)
    }
    /// Which database this is.
    fn dialect(&self) -> Dialect;
}

// ----- SQLite ----------------------------------------------------------------------------------

fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    if sql.contains('$') { Cow::Owned(sql.replace('$', "?")) } else { Cow::Borrowed(sql) }
}

fn sqlite_error(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(code, message)
            if code.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || code.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            let violation = if code.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY {
                UniqueViolation::PrimaryKey
            } else {
                UniqueViolation::Unique
            };
            DbError::Unique { violation, detail: message.clone().unwrap_or_default() }
        }
        _ => DbError::Other(e.to_string()),
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
            Value::Null => ValueRef::Null,
        }))
    }
}

impl Db for rusqlite::Connection {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, DbError> {
        let mut statement = self.prepare_cached(&sqlite_sql(sql)).map_err(sqlite_error)?;
        statement.execute(rusqlite::params_from_iter(params.iter())).map(|n| n as u64).map_err(sqlite_error)
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>]) -> Result<Vec<Row>, DbError> {
        let mut out = Vec::new();
        self.query_each(sql, params, &mut |row| {
            out.push(row.clone());
            Ok(())
        })?;
        Ok(out)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let mut statement = self.prepare_cached(&sqlite_sql(sql)).map_err(sqlite_error)?;
        let names: Arc<Vec<String>> = Arc::new(statement.column_names().map(str::to_string).collect());
        let count = names.len();
        let mut rows = statement.query(rusqlite::params_from_iter(params.iter())).map_err(sqlite_error)?;
        let mut current = Row { names, cells: Vec::with_capacity(count) };
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            current.cells.clear();
            for i in 0..count {
                use rusqlite::types::ValueRef;
                current.cells.push(match row.get_ref(i).map_err(sqlite_error)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Int(v as i64),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
                });
            }
            each(&current)?;
        }
        Ok(())
    }

    fn script(&mut self, sql: &str) -> Result<(), DbError> {
        // A single statement (BEGIN, COMMIT, SAVEPOINT) is prepared once and cached; scripts of
        // several statements (migrations) are parsed each time.
        if !sql.trim_end().trim_end_matches(';').contains(';') {
            return self.prepare_cached(sql).and_then(|mut s| s.execute([])).map(|_| ()).map_err(sqlite_error);
        }
        self.execute_batch(sql).map_err(sqlite_error)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

/// Opens a SQLite connection with the settings every signet connection uses.
pub(crate) fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, DbError> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sqlite_error)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .map_err(sqlite_error)?;
    Ok(conn)
}

// ----- PostgreSQL ------------------------------------------------------------------------------

/// A PostgreSQL connection with its prepared-statement cache. The driver (tokio-postgres) is
/// asynchronous and signet's storage threads are not, so each connection carries a small
/// single-threaded runtime that drives it while a call waits; that is also what lets a
/// [`Db::pipeline`] send several statements before reading any answer.
pub(crate) struct Pg {
    client: tokio_postgres::Client,
    statements: HashMap<String, tokio_postgres::Statement>,
    /// Always Some until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Never blocks, so a connection may be dropped anywhere, even on an async worker.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn pg_error(e: tokio_postgres::Error) -> DbError {
    use tokio_postgres::error::SqlState;
    match e.as_db_error() {
        Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => DbError::Unique {
            violation: UniqueViolation::Named(db.constraint().unwrap_or_default().to_string()),
            detail: db.message().to_string(),
        },
        Some(db)
            if *db.code() == SqlState::T_R_DEADLOCK_DETECTED || *db.code() == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            DbError::Retry(db.message().to_string())
        }
        Some(db) => DbError::Other(db.message().to_string()),
        None => DbError::Other(e.to_string()),
    }
}

impl tokio_postgres::types::ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::Type;
        match self {
            Value::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Value::Int(i) => i.to_sql(ty, out),
            Value::Text(t) => t.as_ref().to_sql(ty, out),
            Value::Blob(b) => b.as_ref().to_sql(ty, out),
            Value::Null => Ok(tokio_postgres::types::IsNull::Yes),
        }
    }

    fn accepts(_ty: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl Pg {
    /// Connects.
    pub(crate) fn connect(url: &str) -> Result<Self, DbError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError::Other(format!("cannot start the PostgreSQL driver: {e}")))?;
        let (client, connection) =
            runtime.block_on(tokio_postgres::connect(url, tokio_postgres::NoTls)).map_err(pg_error)?;
        runtime.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection closed");
            }
        });
        Ok(Self { client, statements: HashMap::new(), runtime: Some(runtime) })
    }

    fn block_on<F: std::future::Future>(&self, work: F) -> Result<F::Output, DbError> {
        let runtime = self.runtime.as_ref().ok_or_else(|| DbError::Other("the connection is closed".into()))?;
        Ok(runtime.block_on(work))
    }

    fn statement(&mut self, sql: &str) -> Result<tokio_postgres::Statement, DbError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.block_on(self.client.prepare(sql))?.map_err(pg_error)?;
        if self.statements.len() > 256 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

pub(crate) fn pg_params<'a>(params: &'a [Value<'a>]) -> Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync)).collect()
}

/// Converts the driver's rows to ours, by the statement's column types.
pub(crate) fn pg_rows(
    statement: &tokio_postgres::Statement,
    rows: Vec<tokio_postgres::Row>,
) -> Result<Vec<Row>, DbError> {
    let names: Arc<Vec<String>> = Arc::new(statement.columns().iter().map(|c| c.name().to_string()).collect());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(Row { names: names.clone(), cells: pg_cells(statement, &row)? });
    }
    Ok(out)
}

/// One row's cells, by the statement's column types.
fn pg_cells(statement: &tokio_postgres::Statement, row: &tokio_postgres::Row) -> Result<Vec<Cell>, DbError> {
    use tokio_postgres::types::Type;
    let columns = statement.columns();
    let mut cells = Vec::with_capacity(columns.len());
    {
        for (i, ty) in columns.iter().map(|c| c.type_()).enumerate() {
            let cell = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i).map(|v| v.map(Cell::Int))
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i).map(|v| v.map(|x| Cell::Int(i64::from(x))))
            } else if *ty == Type::INT2 {
                row.try_get::<_, Option<i16>>(i).map(|v| v.map(|x| Cell::Int(i64::from(x))))
            } else if *ty == Type::BYTEA {
                row.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map(Cell::Blob))
            } else if *ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i).map(|v| v.map(|b| Cell::Int(i64::from(b))))
            } else {
                row.try_get::<_, Option<String>>(i).map(|v| v.map(Cell::Text))
            };
            cells.push(cell.map_err(pg_error)?.unwrap_or(Cell::Null));
        }
    }
    Ok(cells)
}

impl Db for Pg {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, DbError> {
        let statement = self.statement(sql)?;
        self.block_on(self.client.execute(&statement, &pg_params(params)))?.map_err(pg_error)
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>]) -> Result<Vec<Row>, DbError> {
        let statement = self.statement(sql)?;
        let rows = self.block_on(self.client.query(&statement, &pg_params(params)))?.map_err(pg_error)?;
        pg_rows(&statement, rows)
    }

    fn script(&mut self, sql: &str) -> Result<(), DbError> {
        self.block_on(self.client.batch_execute(sql))?.map_err(pg_error)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        use futures_util::StreamExt;
        let statement = self.statement(sql)?;
        let names: Arc<Vec<String>> = Arc::new(statement.columns().iter().map(|c| c.name().to_string()).collect());
        let client = &self.client;
        let statement = &statement;
        self.block_on(async move {
            let stream = client.query_raw(statement, pg_params(params)).await.map_err(pg_error)?;
            let mut stream = std::pin::pin!(stream);
            let mut current = Row { names, cells: Vec::new() };
            while let Some(row) = stream.next().await {
                current.cells = pg_cells(statement, &row.map_err(pg_error)?)?;
                each(&current)?;
            }
            Ok(())
        })?
    }

    fn pipeline(&mut self, steps: &[Step<'_>]) -> Result<Vec<Result<Vec<Row>, DbError>>, DbError> {
        // Prepare first: a statement prepared inside the pipeline would be sent after the steps
        // behind it.
        let mut prepared = Vec::with_capacity(steps.len());
        for step in steps {
            prepared.push(match step {
                Step::Query(sql, _) => Some(self.statement(sql)?),
                Step::Script(_) => None,
            });
        }
        let client = &self.client;
        let calls = steps.iter().zip(&prepared).map(|(step, statement)| async move {
            match (step, statement) {
                (Step::Query(_, params), Some(statement)) => {
                    let rows = client.query(statement, &pg_params(params)).await.map_err(pg_error)?;
                    pg_rows(statement, rows)
                }
                (Step::Script(sql), _) => client.batch_execute(sql).await.map(|()| Vec::new()).map_err(pg_error),
                (Step::Query(..), None) => Err(DbError::Other("an unprepared statement in a pipeline".into())),
            }
        });
        // join_all polls the calls in order, and each sends its messages when first polled, so
        // they reach the server in order, all before the first answer is awaited.
        self.block_on(futures_util::future::join_all(calls))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}
