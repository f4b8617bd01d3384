//! The storage layer: everything the collector and the `chorus` command
//! keep, behind one interface with two implementations.
//!
//! - [`Store`] is a connection to a database, SQLite (a file, the embedded
//!   default) or PostgreSQL (several collectors on one server). Callers
//!   never see which: they call its methods, which run the rules of each
//!   concern once, over the backend's [`Txn`].
//! - One module per concern holds those rules: [`responses`] (storing and
//!   reading answers, the writer's group commit), [`versions`] (served
//!   versions and the lifecycle), [`ledger`] (the privacy budget and the
//!   publication flow), [`releases`], [`tokens`]; [`copy`] moves a whole
//!   database from one backend to another (`chorus migrate`).
//! - [`sqlite`] and [`postgres`] hold only SQL: the schema, its
//!   migrations, and the small statements of [`Txn`].
//!
//! Every function is synchronous; the server calls them off the async
//! threads (the writer thread, `spawn_blocking`), the `chorus` command
//! calls them directly.

pub mod copy;
pub mod ledger;
mod location;
pub mod postgres;
pub mod releases;
pub mod responses;
pub mod sqlite;
pub mod tokens;
pub mod versions;

pub use ledger::{
    Charge, LedgerEntry, PublishContext, Release, UploadError, delta_spent, delta_text,
    epsilon_spent,
};
pub use location::{Location, LocationError, PgTarget};
pub use releases::ReleaseSummary;
pub use responses::{
    Body, InsertOutcome, NewResponse, OPEN_BATCH, OwnedResponse, StoredBody, StoredResponse,
    decode_answers,
};
pub use tokens::TokenRecord;

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path} is not a Chorus database, or it is damaged: {source}")]
    NotADatabase {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot connect to the PostgreSQL database {target}: {message}")]
    Connect { target: String, message: String },
    #[error("the PostgreSQL database {target} cannot be used: {message}")]
    Unusable { target: String, message: String },
    #[error(
        "the database was written by a newer Chorus (schema {found}, this build knows up to {known}); upgrade Chorus"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", postgres::describe(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("a stored response of survey `{survey}` cannot be read: {message}")]
    Corrupt { survey: String, message: String },
    #[error(
        "the answers to `{survey}` are sealed; open them with the researchers' private key (--key FILE)"
    )]
    Sealed { survey: String },
    #[error("the database cannot store answers right now: {0}")]
    Unavailable(String),
    #[error("the collector is shutting down")]
    Closed,
    #[error("the folder {dir} for the database does not exist; create it or pass another --db")]
    MissingDir { dir: String },
    #[error(
        "the database {path} is read-only; the collector must be able to write it (check its permissions, or the file system's)"
    )]
    ReadOnly { path: String },
    #[error(
        "the folder {dir} of the database is read-only; SQLite needs to create its journal (-wal, -shm) beside the file"
    )]
    ReadOnlyDir { dir: String },
    #[error(
        "survey `{survey}` changed but its version is still {version}; raise `version` in its file (answers already collected were given to the old text)"
    )]
    VersionChanged { survey: String, version: u32 },
    #[error(
        "the stored definition of survey `{survey}` version {version} cannot be read: {message}"
    )]
    StoredVersion {
        survey: String,
        version: u32,
        message: String,
    },
}

/// What a write transaction locks against other collectors before it reads
/// what it will decide on ([`Store::write_locked`]). SQLite has one writer
/// at a time, so there it is the write lock every write takes; on
/// PostgreSQL each is a table lock that blocks only other writers of that
/// table (never a reader, never a submission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The privacy ledger: a charge reads what was spent, then records.
    Ledger,
    /// The served versions: two collectors starting at once.
    Versions,
}

/// One row of the privacy ledger as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    pub release_id: String,
    pub epsilon_num: i64,
    pub epsilon_den: i64,
    pub charged_day: String,
    pub description: String,
    pub delta: f64,
}

/// The statements of one transaction: all a backend implements. The rules
/// (what to check, in which order, what an outcome means) are written once
/// in the concern modules over this trait.
pub trait Txn {
    // Responses.
    /// Inserts `r` unless its submission id is stored; `true` when inserted.
    fn insert_response(&mut self, r: &NewResponse) -> Result<bool, StoreError>;
    /// [`Txn::insert_response`] for each of `rs`, in order: whether each
    /// was inserted (a repeated id in `rs` is inserted once, the first
    /// time). A backend where a statement is a network round trip makes
    /// this one statement.
    fn insert_responses(&mut self, rs: &[&NewResponse]) -> Result<Vec<bool>, StoreError> {
        rs.iter().map(|r| self.insert_response(r)).collect()
    }
    /// The writer's insert: each of `rs` whose flag (closed by its file)
    /// is false and whose survey is not closed by command is inserted, as
    /// [`Txn::insert_responses`] does; whether each was inserted. A backend
    /// where a statement is a network round trip makes this one statement,
    /// closed surveys looked up inside it.
    fn insert_open_responses(
        &mut self,
        rs: &[(&NewResponse, bool)],
    ) -> Result<Vec<bool>, StoreError> {
        let mut closed_by_command: Vec<(&str, bool)> = Vec::new();
        let mut open = Vec::with_capacity(rs.len());
        for &(r, closed_by_file) in rs {
            let survey = r.survey_id.as_str();
            let by_command = match closed_by_command.iter().find(|(s, _)| *s == survey) {
                Some(&(_, closed)) => closed,
                None => {
                    let closed = self.closed_day(survey)?.is_some();
                    closed_by_command.push((survey, closed));
                    closed
                }
            };
            open.push(!(by_command || closed_by_file));
        }
        let to_insert: Vec<&NewResponse> = rs
            .iter()
            .zip(&open)
            .filter(|(_, open)| **open)
            .map(|((r, _), _)| *r)
            .collect();
        let mut inserted = self.insert_responses(&to_insert)?.into_iter();
        rs.iter()
            .zip(open)
            .map(|(&(r, _), open)| {
                if open {
                    inserted.next().ok_or_else(|| StoreError::Corrupt {
                        survey: r.survey_id.clone(),
                        message: "the database answered fewer inserts than it was sent".into(),
                    })
                } else {
                    Ok(false)
                }
            })
            .collect()
    }
    /// The survey a submission id is stored under.
    fn owner(&mut self, submission_id: &str) -> Result<Option<String>, StoreError>;
    fn response_count(&mut self, survey_id: &str) -> Result<u64, StoreError>;
    /// Up to `limit` responses of a survey stored after position `after`,
    /// in the order they were stored, each with its position.
    fn responses_after(
        &mut self,
        survey_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, OwnedResponse)>, StoreError>;
    /// Every survey id that has a stored response.
    fn response_surveys(&mut self) -> Result<Vec<String>, StoreError>;

    // Surveys: served versions and lifecycle.
    /// `(version, definition JSON, first served day)`, ascending.
    fn versions(&mut self, survey_id: &str) -> Result<Vec<(u32, String, String)>, StoreError>;
    fn insert_version(
        &mut self,
        survey_id: &str,
        version: u32,
        definition: &str,
        day: &str,
    ) -> Result<(), StoreError>;
    fn version_surveys(&mut self) -> Result<Vec<String>, StoreError>;
    fn closed_day(&mut self, survey_id: &str) -> Result<Option<String>, StoreError>;
    fn set_closed_day(
        &mut self,
        survey_id: &str,
        closed_day: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Every survey with a lifecycle row: `(survey id, closed day)`.
    fn states(&mut self) -> Result<Vec<(String, Option<String>)>, StoreError>;

    // Ledger and releases.
    fn ledger_rows(&mut self, survey_id: &str) -> Result<Vec<LedgerRow>, StoreError>;
    fn ledger_surveys(&mut self) -> Result<Vec<String>, StoreError>;
    fn insert_charge(&mut self, survey_id: &str, row: &LedgerRow) -> Result<(), StoreError>;
    fn releases_on_day(&mut self, survey_id: &str, day: &str) -> Result<i64, StoreError>;
    /// Whether a release or a charge already uses `release_id`.
    fn release_id_taken(&mut self, release_id: &str) -> Result<bool, StoreError>;
    fn release_stored(&mut self, release_id: &str) -> Result<bool, StoreError>;
    fn insert_release(
        &mut self,
        survey_id: &str,
        day: &str,
        release: &Release,
    ) -> Result<(), StoreError>;
    /// Every release of a survey, newest first.
    fn releases(&mut self, survey_id: &str) -> Result<Vec<ReleaseSummary>, StoreError>;
    fn release(
        &mut self,
        survey_id: &str,
        release_id: &str,
    ) -> Result<Option<(String, String)>, StoreError>;
    fn release_surveys(&mut self) -> Result<Vec<String>, StoreError>;

    // Admin tokens.
    /// Stores a token; `id` keeps a copied token's number (`chorus migrate`).
    fn insert_token(&mut self, id: Option<i64>, t: &TokenRecord) -> Result<i64, StoreError>;
    fn find_token(&mut self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError>;
    fn revoke_token(&mut self, id: i64, day: &str) -> Result<bool, StoreError>;
}

/// Which database a [`Store`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A connection to the database, on either backend.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per connection, never many
pub enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates the database:
    /// what the collector and every writing command use.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        Ok(match location {
            Location::Sqlite(path) => Store::Sqlite(sqlite::Sqlite::open(path)?),
            Location::Postgres(target) => Store::Postgres(postgres::Postgres::connect(target)?),
        })
    }

    /// Opens an existing database for reading only (exports, look-ups): it
    /// can never change a stored answer. Nothing is migrated.
    pub fn open_read_only(location: &Location) -> Result<Store, StoreError> {
        Ok(match location {
            Location::Sqlite(path) => Store::Sqlite(sqlite::Sqlite::open_read_only(path)?),
            Location::Postgres(target) => {
                Store::Postgres(postgres::Postgres::connect_read_only(target)?)
            }
        })
    }

    /// Runs `f` in one write transaction: committed when it returns `Ok`
    /// (durably: the answer is on disk when this returns), rolled back
    /// otherwise. On SQLite the write lock is taken first (IMMEDIATE), so
    /// nothing `f` reads goes stale before the commit.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&mut dyn Txn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self {
            Store::Sqlite(s) => s.write(f),
            Store::Postgres(p) => p.write(f),
        }
    }

    /// Runs `f`, whose one write is a single statement, as that statement's
    /// own transaction where the backend can (PostgreSQL: no `BEGIN` and
    /// `COMMIT` round trips; SQLite: the same as [`Store::write`]). What
    /// `f` reads before or after it is not in the same snapshot.
    pub fn write_statement<T, E>(
        &mut self,
        f: impl FnOnce(&mut dyn Txn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self {
            Store::Sqlite(s) => s.write(f),
            Store::Postgres(p) => p.write_statement(f),
        }
    }

    /// Runs `f` in one write transaction that first takes `lock`, then
    /// sees one snapshot of the database taken after it: what `f` reads
    /// cannot change under it before the commit, whichever collector or
    /// command writes at the same moment. (SQLite: the same as
    /// [`Store::write`]; PostgreSQL: `REPEATABLE READ` with the table lock
    /// as its first statement.)
    pub fn write_locked<T, E>(
        &mut self,
        lock: Lock,
        f: impl FnOnce(&mut dyn Txn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self {
            Store::Sqlite(s) => s.write(f),
            Store::Postgres(p) => p.write_locked(lock, f),
        }
    }

    /// Runs `f` in one read transaction: everything it reads is one
    /// snapshot of the database.
    pub fn read<T, E>(&mut self, f: impl FnOnce(&mut dyn Txn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self {
            Store::Sqlite(s) => s.read(f),
            Store::Postgres(p) => p.read(f),
        }
    }

    /// Makes this connection the writer's: it waits up to `lock_wait` for
    /// another connection's write lock.
    pub fn prepare_writer(&mut self, lock_wait: std::time::Duration) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.prepare_writer(lock_wait),
            Store::Postgres(p) => p.prepare_writer(lock_wait),
        }
    }

    /// After the writer has answered a group: SQLite copies a grown WAL
    /// into the database now, when it delays no one waiting for an answer.
    pub fn after_group(&mut self) {
        if let Store::Sqlite(s) = self {
            s.checkpoint_if_large();
        }
    }

    /// A PostgreSQL connection the server closed (it restarted, or a
    /// network cut) is opened again; the next statement on a closed one
    /// would fail. On failure the old one stays, and its error is what the
    /// caller sees.
    pub fn reconnect_if_broken(&mut self) {
        if let Store::Postgres(p) = self
            && p.is_closed()
        {
            match p.reopen() {
                Ok(fresh) => *p = fresh,
                Err(e) => tracing::warn!(error = %e, "cannot reconnect to PostgreSQL"),
            }
        }
    }

    /// Every survey with a stored response, by id.
    pub fn surveys_with_responses(&mut self) -> Result<Vec<String>, StoreError> {
        self.read(|tx| tx.response_surveys())
    }

    /// Every survey with a stored release, oldest first.
    pub fn surveys_with_releases(&mut self) -> Result<Vec<String>, StoreError> {
        self.read(|tx| tx.release_surveys())
    }

    /// When the writer stops: SQLite leaves a clean WAL behind.
    pub fn on_stop(&mut self) {
        if let Store::Sqlite(s) = self {
            s.truncate_wal();
        }
    }
}

/// Today in UTC: the finest time Chorus records.
pub fn today_date() -> ::surveys::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    ::surveys::Date::from_unix_seconds(i64::try_from(secs).unwrap_or(0))
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    today_date().to_string()
}
