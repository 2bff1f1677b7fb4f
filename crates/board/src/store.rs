//! Where a board keeps its entries, tree tiles, checkpoints and settings: [`Database::Sqlite`],
//! embedded in the board directory (`DIR/board.sqlite`, the default), or
//! [`Database::Postgres`], a PostgreSQL server, for operators who need replication, a hot
//! standby or a database apart from the disk. The board's static public files stay in
//! `DIR/public` in either case.
//!
//! Both backends run the same statements. The dialects differ only in the schema, the
//! placeholders (`?1` here, `$1` for PostgreSQL) and batched writes, each behind one small
//! function of this module. Both take one writer at a time ([`Store::write`]: SQLite's
//! `BEGIN IMMEDIATE`, an exclusive lock on the `meta` table in PostgreSQL) and make a write
//! durable when its transaction commits (SQLite in WAL mode with `synchronous=FULL`;
//! PostgreSQL's write-ahead log with `synchronous_commit` on, its default).
//!
//! A PostgreSQL connection that breaks (a server restart, a failover) fails the call in
//! progress with an error for which [`BoardError::is_unavailable`] holds; the next call
//! connects again. A transaction is never continued on a new connection. An append retried
//! after such an error is stored once, because identical entries are de-duplicated.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use postgres::types::{ToSql, Type};

use crate::error::BoardError;

/// How long a writer waits for another writer's transaction before giving up.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// How long connecting to PostgreSQL may take before the call fails (unless the URL says).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database holds a board. Parsed from `sqlite` or a `postgres://` URL (the form of
/// the `--database` option).
#[derive(Clone, Debug, Default)]
pub enum Database {
    /// SQLite, in the board directory ([`crate::board::DATABASE_FILE`]).
    #[default]
    Sqlite,
    /// A PostgreSQL database: the board's tables are created in the schema the connection
    /// uses (`public`, or the one set with `?options=-csearch_path%3DNAME`).
    Postgres(Box<PostgresDatabase>),
}

/// A PostgreSQL database to connect to, and its name without the password (for messages).
#[derive(Clone)]
pub struct PostgresDatabase {
    config: postgres::Config,
    /// The URL as given (it may hold the password): written to the board's
    /// [`crate::board::DATABASE_POINTER`] file, never shown.
    url: String,
    shown: String,
}

impl fmt::Debug for PostgresDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Database {
    /// Parses `sqlite` or a `postgres://` (or `postgresql://`) URL.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for anything else, or a URL the PostgreSQL client refuses.
    pub fn parse(text: &str) -> Result<Self, BoardError> {
        if text == "sqlite" {
            return Ok(Self::Sqlite);
        }
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err(BoardError::malformed(
                "--database",
                "expected `sqlite` or a URL postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ));
        }
        let mut config = postgres::Config::from_str(text).map_err(|e| {
            BoardError::malformed("--database", format!("not a PostgreSQL URL: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let shown = shown_url(&config);
        Ok(Self::Postgres(Box::new(PostgresDatabase {
            config,
            url: text.to_owned(),
            shown,
        })))
    }

    /// The URL as given, password included (for the board's pointer file); `None` for SQLite.
    pub(crate) fn url(&self) -> Option<&str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres(pg) => Some(&pg.url),
        }
    }
}

impl FromStr for Database {
    type Err = BoardError;

    fn from_str(text: &str) -> Result<Self, BoardError> {
        Self::parse(text)
    }
}

impl fmt::Display for Database {
    /// `sqlite`, or the PostgreSQL URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite => f.write_str("sqlite"),
            Self::Postgres(pg) => f.write_str(&pg.shown),
        }
    }
}

/// `postgres://USER@HOST:PORT/DATABASE`, never with the password.
fn shown_url(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}:{port}/{db}")
}

/// Opens (creating if needed) a SQLite database with the board's durability settings: WAL
/// mode, `synchronous=FULL`, writers waiting for each other up to a timeout.
pub(crate) fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, BoardError> {
    let db = |source| BoardError::Database {
        path: path.to_owned(),
        source,
    };
    let conn = rusqlite::Connection::open(path).map_err(db)?;
    conn.busy_timeout(LOCK_TIMEOUT).map_err(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db)?;
    Ok(conn)
}

/// A value bound to a statement's placeholder.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Int(i64),
    Blob(&'a [u8]),
    Text(&'a str),
}

/// A value read from a row.
#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Blob(Vec<u8>),
    Text(String),
}

/// One row of a query's result.
pub(crate) type Row = Vec<Value>;

/// A column of a batched write: one value per row.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Column<'a> {
    Ints(&'a [i64]),
    Blobs(&'a [&'a [u8]]),
}

/// A statement in both dialects where they cannot share the text: the schema, and writes of
/// many rows (one prepared statement per row in SQLite, where a statement costs no round
/// trip; one statement over arrays in PostgreSQL, where it does).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialects {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// An open connection to a board's database. Methods take `&self`: reads go through the same
/// connection as the write transaction in progress, if any.
pub(crate) struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite {
        conn: rusqlite::Connection,
        path: PathBuf,
    },
    Postgres(Box<RefCell<Pg>>),
}

struct Pg {
    database: PostgresDatabase,
    client: Option<postgres::Client>,
    /// Prepared statements of the current connection, by their text here.
    statements: HashMap<&'static str, postgres::Statement>,
    in_transaction: bool,
}

impl Store {
    /// Opens the SQLite database at `path` (created if missing) with the board's durability
    /// settings, or connects to PostgreSQL.
    pub(crate) fn open(database: &Database, sqlite_path: &Path) -> Result<Self, BoardError> {
        let backend = match database {
            Database::Sqlite => Backend::Sqlite {
                conn: open_sqlite(sqlite_path)?,
                path: sqlite_path.to_owned(),
            },
            Database::Postgres(pg) => {
                let mut pg = Pg {
                    database: (**pg).clone(),
                    client: None,
                    statements: HashMap::new(),
                    in_transaction: false,
                };
                let connected = outside_async(|| pg.client().map(drop));
                connected.map_err(pg.error())?;
                Backend::Postgres(Box::new(RefCell::new(pg)))
            }
        };
        Ok(Self { backend })
    }

    /// The database's name in messages: the SQLite file, or the URL without password.
    pub(crate) fn name(&self) -> String {
        match &self.backend {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres(pg) => pg.borrow().database.shown.clone(),
        }
    }

    fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> BoardError + '_ {
        move |source| BoardError::Database {
            path: path.to_owned(),
            source,
        }
    }

    /// Creates the tables that are missing. Concurrent creators in PostgreSQL take turns.
    pub(crate) fn create_schema(&self, schema: Dialects) -> Result<(), BoardError> {
        match &self.backend {
            Backend::Sqlite { conn, path } => conn
                .execute_batch(schema.sqlite)
                .map_err(Self::sqlite_error(path)),
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                // `CREATE TABLE IF NOT EXISTS` races with itself; a transaction-scoped advisory
                // lock (any constant) serialises the creators.
                let sql = format!(
                    "BEGIN; SELECT pg_advisory_xact_lock(4230861); {} COMMIT;",
                    schema.postgres
                );
                let result = outside_async(|| pg.client().and_then(|c| c.batch_execute(&sql)));
                result.map_err(pg.error())
            }
        }
    }

    /// Runs a statement; returns the number of rows changed.
    pub(crate) fn execute(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, BoardError> {
        match &self.backend {
            Backend::Sqlite { conn, path } => conn
                .prepare_cached(sql)
                .and_then(|mut s| {
                    s.execute(rusqlite::params_from_iter(params.iter().map(sqlite_param)))
                })
                .map(|n| n as u64)
                .map_err(Self::sqlite_error(path)),
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let result = outside_async(|| {
                    pg.run(sql, |client, statement| {
                        client.execute(statement, &postgres_params(params))
                    })
                });
                result.map_err(pg.error())
            }
        }
    }

    /// Runs a query and returns every row.
    pub(crate) fn query(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, BoardError> {
        match &self.backend {
            Backend::Sqlite { conn, path } => {
                let mut statement = conn.prepare_cached(sql).map_err(Self::sqlite_error(path))?;
                let columns = statement.column_count();
                let rows = statement
                    .query_map(
                        rusqlite::params_from_iter(params.iter().map(sqlite_param)),
                        |row| {
                            (0..columns)
                                .map(|i| row.get_ref(i).map(sqlite_value))
                                .collect()
                        },
                    )
                    .map_err(Self::sqlite_error(path))?;
                rows.collect::<Result<_, _>>()
                    .map_err(Self::sqlite_error(path))
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let result = outside_async(|| pg.query(sql, &postgres_params(params)));
                result.map_err(pg.error())
            }
        }
    }

    /// Runs a query and returns its first row, if any.
    pub(crate) fn query_row(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, BoardError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Writes many rows at once: `sql.sqlite` takes one row (`?1 .. ?N`), `sql.postgres`
    /// takes each column as an array (`$1 .. $N`, e.g. through `UNNEST`).
    pub(crate) fn write_rows(
        &self,
        sql: Dialects,
        columns: &[Column<'_>],
    ) -> Result<(), BoardError> {
        let rows = columns.first().map_or(0, |c| match c {
            Column::Ints(v) => v.len(),
            Column::Blobs(v) => v.len(),
        });
        if rows == 0 {
            return Ok(());
        }
        match &self.backend {
            Backend::Sqlite { conn, path } => {
                let mut statement = conn
                    .prepare_cached(sql.sqlite)
                    .map_err(Self::sqlite_error(path))?;
                for row in 0..rows {
                    use rusqlite::types::{ToSqlOutput, ValueRef};
                    let values = columns.iter().map(|c| {
                        ToSqlOutput::Borrowed(match c {
                            Column::Ints(v) => ValueRef::Integer(v.get(row).copied().unwrap_or(0)),
                            Column::Blobs(v) => ValueRef::Blob(v.get(row).copied().unwrap_or(&[])),
                        })
                    });
                    statement
                        .execute(rusqlite::params_from_iter(values))
                        .map_err(Self::sqlite_error(path))?;
                }
                Ok(())
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let arrays: Vec<&(dyn ToSql + Sync)> = columns
                    .iter()
                    .map(|c| match c {
                        Column::Ints(v) => v as &(dyn ToSql + Sync),
                        Column::Blobs(v) => v as &(dyn ToSql + Sync),
                    })
                    .collect();
                let result = outside_async(|| {
                    pg.run(sql.postgres, |client, statement| {
                        client.execute(statement, &arrays)
                    })
                });
                result.map(drop).map_err(pg.error())
            }
        }
    }

    /// Rows whose `key` is one of `keys`: `sql.sqlite` takes one key (`?1`), `sql.postgres`
    /// the array of them (`= ANY(?1)`).
    pub(crate) fn query_keys(&self, sql: Dialects, keys: &[i64]) -> Result<Vec<Row>, BoardError> {
        match &self.backend {
            Backend::Sqlite { .. } => {
                let mut rows = Vec::new();
                for key in keys {
                    rows.extend(self.query(sql.sqlite, &[Param::Int(*key)])?);
                }
                Ok(rows)
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let result = outside_async(|| pg.query(sql.postgres, &[&keys]));
                result.map_err(pg.error())
            }
        }
    }

    /// Starts the one write transaction: other writers (threads, processes, servers) wait
    /// until it commits or is dropped (which rolls it back).
    pub(crate) fn write(&self) -> Result<WriteTx<'_>, BoardError> {
        match &self.backend {
            Backend::Sqlite { conn, path } => conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(Self::sqlite_error(path))?,
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let result = outside_async(|| {
                    pg.once_more_if_broken(|pg| {
                        pg.client()?
                            .batch_execute("BEGIN; LOCK TABLE meta IN EXCLUSIVE MODE")
                    })
                });
                match result {
                    Ok(()) => pg.in_transaction = true,
                    Err(e) => {
                        // A failed LOCK leaves the transaction open and aborted.
                        if let Some(c) = pg.client.as_mut() {
                            outside_async(|| c.batch_execute("ROLLBACK").ok());
                        }
                        return Err(pg.error()(e));
                    }
                }
            }
        }
        Ok(WriteTx {
            store: self,
            open: true,
        })
    }

    fn end_transaction(&self, sql: &'static str) -> Result<(), BoardError> {
        match &self.backend {
            Backend::Sqlite { conn, path } => {
                conn.execute_batch(sql).map_err(Self::sqlite_error(path))
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                pg.in_transaction = false;
                let result = match pg.client.as_mut() {
                    Some(c) => outside_async(|| c.batch_execute(sql)),
                    None => Ok(()),
                };
                result.map_err(pg.error())
            }
        }
    }
}

/// The write transaction of a [`Store`]; rolled back when dropped without
/// [`WriteTx::commit`]. Reads and writes go through it as through the store.
pub(crate) struct WriteTx<'a> {
    store: &'a Store,
    open: bool,
}

impl WriteTx<'_> {
    /// Commits: when this returns, the transaction's writes survive a crash.
    pub(crate) fn commit(mut self) -> Result<(), BoardError> {
        self.open = false;
        let result = self.store.end_transaction("COMMIT");
        if result.is_err() {
            // A failed COMMIT may leave SQLite's transaction open.
            self.store.end_transaction("ROLLBACK").ok();
        }
        result
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            self.store.end_transaction("ROLLBACK").ok();
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store
    }
}

impl Pg {
    fn error(&self) -> impl Fn(postgres::Error) -> BoardError + use<> {
        let database = self.database.shown.clone();
        move |source| BoardError::Postgres {
            database: database.clone(),
            source,
        }
    }

    /// The connection, made again if the last one broke, but never inside a transaction:
    /// the rest of a transaction must fail with its connection.
    fn client(&mut self) -> Result<&mut postgres::Client, postgres::Error> {
        match self.client.take() {
            Some(client) if self.in_transaction || !client.is_closed() => {
                Ok(self.client.insert(client))
            }
            _ => {
                self.statements.clear();
                let mut client = self.database.config.connect(postgres::NoTls)?;
                client
                    .batch_execute(&format!("SET lock_timeout = '{}s'", LOCK_TIMEOUT.as_secs()))?;
                Ok(self.client.insert(client))
            }
        }
    }

    /// Runs a query and converts its rows.
    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let rows = self.run(sql, |client, statement| client.query(statement, params))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| postgres_value(row, i))
                    .collect::<Result<Row, _>>()
            })
            .collect()
    }

    /// Runs `f` with the connection and the statement `sql` prepared on it (once per
    /// connection).
    fn run<T>(
        &mut self,
        sql: &'static str,
        mut f: impl FnMut(&mut postgres::Client, &postgres::Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        self.once_more_if_broken(|pg| {
            pg.client()?;
            let statement = match pg.statements.get(sql) {
                Some(s) => s.clone(),
                None => {
                    let text = postgres_placeholders(sql);
                    let prepared = pg.client()?.prepare(&text)?;
                    pg.statements.insert(sql, prepared.clone());
                    prepared
                }
            };
            f(pg.client()?, &statement)
        })
    }

    /// Runs `f`, and once more on a new connection when the connection turns out to have
    /// broken since its last use (a server restarted in between) outside a transaction: every
    /// statement run outside one is a read or an upsert, so running it again is harmless.
    fn once_more_if_broken<T>(
        &mut self,
        mut f: impl FnMut(&mut Pg) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        match f(self) {
            Err(e)
                if !self.in_transaction
                    && (e.is_closed()
                        || self
                            .client
                            .as_ref()
                            .is_some_and(postgres::Client::is_closed)) =>
            {
                self.client = None;
                f(self)
            }
            other => other,
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Closing the connection blocks as every call does.
        if let Some(client) = self.client.take() {
            outside_async(move || drop(client));
        }
    }
}

/// Runs `f` where the PostgreSQL client may block. The client drives its connection on a
/// runtime of its own, which tokio refuses to start on a thread that drives an async runtime
/// (a server calling the board outside `spawn_blocking`): there `f` runs on a thread of its
/// own.
fn outside_async<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// `?1` → `$1`: the statements here are written in SQLite's placeholders.
fn postgres_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

fn sqlite_param<'a>(param: &Param<'a>) -> rusqlite::types::ToSqlOutput<'a> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    match param {
        Param::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        Param::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        Param::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
    }
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null | ValueRef::Real(_) => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn postgres_params<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(i) => i as &(dyn ToSql + Sync),
            Param::Blob(b) => b as &(dyn ToSql + Sync),
            Param::Text(t) => t as &(dyn ToSql + Sync),
        })
        .collect()
}

fn postgres_value(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    let ty = row.columns().get(i).map(|c| c.type_().clone());
    Ok(match ty {
        Some(Type::INT8) => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Int),
        Some(Type::INT4) => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Some(Type::BOOL) => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Some(Type::BYTEA) => row
            .try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Blob),
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text),
    })
}

impl Value {
    /// The integer, or an error naming the database and what was read.
    pub(crate) fn int(&self, store: &Store, what: &str) -> Result<i64, BoardError> {
        match self {
            Value::Int(i) => Ok(*i),
            _ => Err(store.unexpected(what)),
        }
    }

    /// The bytes, or an error naming the database and what was read.
    pub(crate) fn into_blob(self, store: &Store, what: &str) -> Result<Vec<u8>, BoardError> {
        match self {
            Value::Blob(b) => Ok(b),
            _ => Err(store.unexpected(what)),
        }
    }

    /// The text, or an error naming the database and what was read.
    pub(crate) fn into_text(self, store: &Store, what: &str) -> Result<String, BoardError> {
        match self {
            Value::Text(t) => Ok(t),
            _ => Err(store.unexpected(what)),
        }
    }
}

impl Store {
    fn unexpected(&self, what: &str) -> BoardError {
        BoardError::malformed(self.name(), format!("stored {what} has the wrong type"))
    }

    /// The first column of the first row, if there is a row.
    pub(crate) fn first_value(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<Value>, BoardError> {
        Ok(self
            .query_row(sql, params)?
            .and_then(|row| row.into_iter().next()))
    }
}
