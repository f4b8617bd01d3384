//! Everything that touches SQL. Synchronous functions on a `rusqlite`
//! connection; the server calls them off the async threads (the writer
//! thread, `spawn_blocking`), the `chorus` command calls them directly.

use std::path::Path;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use surveys::{Answers, Epsilon};

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
    #[error(
        "the database was written by a newer Chorus (schema {found}, this build knows up to {known}); upgrade Chorus"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
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

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many have run. Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE responses (
    submission_id  TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    survey_version INTEGER NOT NULL,
    received_day   TEXT NOT NULL,   -- YYYY-MM-DD, UTC; never a finer time
    answers        TEXT NOT NULL    -- JSON object, validated before insert
) STRICT;
CREATE INDEX responses_by_survey ON responses (survey_id);

CREATE TABLE privacy_ledger (
    id           INTEGER PRIMARY KEY,
    survey_id    TEXT NOT NULL,
    release_id   TEXT NOT NULL,
    epsilon_num  INTEGER NOT NULL CHECK (epsilon_num > 0),
    epsilon_den  INTEGER NOT NULL CHECK (epsilon_den > 0),
    charged_day  TEXT NOT NULL,
    description  TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_by_survey ON privacy_ledger (survey_id);

CREATE TABLE releases (
    release_id     TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    published_day  TEXT NOT NULL,
    report_json    TEXT NOT NULL,
    report_html    TEXT NOT NULL
) STRICT;
CREATE INDEX releases_by_survey ON releases (survey_id);
"#,
    r#"
-- Every version of every survey the collector has served, so a response is
-- validated against the version its respondent saw.
CREATE TABLE survey_versions (
    survey_id        TEXT NOT NULL,
    version          INTEGER NOT NULL,
    definition       TEXT NOT NULL,   -- surveys::Survey as JSON
    first_served_day TEXT NOT NULL,
    PRIMARY KEY (survey_id, version)
) STRICT;

-- Lifecycle set by researchers; a survey without a row is open (unless its
-- file's `closes` day has passed).
CREATE TABLE survey_state (
    survey_id   TEXT PRIMARY KEY,
    closed_day  TEXT              -- YYYY-MM-DD when closed by command; NULL = open
) STRICT;

-- Bearer tokens for /api/admin; only a hash of each token is kept.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('researcher', 'viewer')),
    label        TEXT NOT NULL,
    created_day  TEXT NOT NULL,
    revoked_day  TEXT
) STRICT;
"#,
    r#"
-- δ of each charge: 0 for pure ε-DP releases, 10^-6 for a release with
-- discrete-Gaussian tables (its zCDP converted to (ε, δ)). Releases made
-- before this column existed get the δ their stored report states.
ALTER TABLE privacy_ledger ADD COLUMN delta REAL NOT NULL DEFAULT 0 CHECK (delta >= 0 AND delta < 1);
UPDATE privacy_ledger SET delta = COALESCE(
    (SELECT json_extract(r.report_json, '$.delta') FROM releases r
      WHERE r.release_id = privacy_ledger.release_id
        AND json_valid(r.report_json)
        AND typeof(json_extract(r.report_json, '$.delta')) IN ('real', 'integer')),
    0);
"#,
    r#"
-- Sealed answers: a response holds either plaintext answers (a survey
-- without public keys) or an envelope the collector cannot open, with the
-- id of the key it is sealed to. SQLite cannot relax NOT NULL in place, so
-- the table is rebuilt (same rows, same rowid order).
CREATE TABLE responses_sealed (
    submission_id  TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    survey_version INTEGER NOT NULL,
    received_day   TEXT NOT NULL,   -- YYYY-MM-DD, UTC; never a finer time
    answers        TEXT,            -- JSON object, validated before insert; NULL when sealed
    key_id         TEXT,            -- 16 hex digits: the key the envelope names
    envelope       BLOB,            -- docs/sealing.md; opened only by researchers
    CHECK ((answers IS NULL) <> (envelope IS NULL)),
    CHECK ((envelope IS NULL) = (key_id IS NULL))
) STRICT;
INSERT INTO responses_sealed (rowid, submission_id, survey_id, survey_version, received_day, answers)
    SELECT rowid, submission_id, survey_id, survey_version, received_day, answers FROM responses;
DROP TABLE responses;
ALTER TABLE responses_sealed RENAME TO responses;
CREATE INDEX responses_by_survey ON responses (survey_id);
"#,
];

/// Opens (creating if missing) and migrates the database at `path`.
///
/// WAL journal with `synchronous = FULL`: a transaction is on disk when
/// `COMMIT` returns, so an acknowledged answer survives a crash or power loss.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let name = path.display().to_string();
    check_writable(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: name.clone(),
        source,
    })?;
    configure(&conn).map_err(|source| classify(&name, source))?;
    migrate(&conn).map_err(|e| match e {
        StoreError::Sql(source) => classify(&name, source),
        other => other,
    })?;
    Ok(conn)
}

/// Refuses, with a message that says what to fix, a database whose folder
/// is missing or that is marked read-only (file or folder). Checked on the
/// permission bits, so it holds even for root, who could write anyway: a
/// read-only mark is the operator's statement that nothing should change.
fn check_writable(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let dir_meta = std::fs::metadata(&dir).map_err(|_| StoreError::MissingDir {
        dir: dir.display().to_string(),
    })?;
    if !dir_meta.is_dir() {
        return Err(StoreError::MissingDir {
            dir: dir.display().to_string(),
        });
    }
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().readonly()
    {
        return Err(StoreError::ReadOnly {
            path: path.display().to_string(),
        });
    }
    if dir_meta.permissions().readonly() {
        return Err(StoreError::ReadOnlyDir {
            dir: dir.display().to_string(),
        });
    }
    Ok(())
}

fn classify(path: &str, source: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match source.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => StoreError::NotADatabase {
            path: path.to_string(),
            source,
        },
        _ => StoreError::Open {
            path: path.to_string(),
            source,
        },
    }
}

/// The page size of a database this build creates (SQLite's default is
/// 4096). A sealed response is a row of about 2.3 KB (the 1 KiB bucket's
/// envelope): one to a 4 KiB page, three to an 8 KiB one, so a third less
/// to write to the WAL, to copy at each checkpoint and to keep on disk.
/// Fixed when the file is made; an existing database keeps its own.
pub const PAGE_SIZE: u32 = 8192;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Before anything is written; a no-op on a database that has tables.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    // journal_mode returns a row; read it so a failure is an error here.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidQuery);
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// A validated response ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub submission_id: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub received_day: String,
    pub body: Body,
}

/// What a response holds: answers the collector validated, or an envelope
/// it can only store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The answers as a JSON object (a survey without public keys).
    Plain(String),
    /// An envelope sealed to the key `key_id` (16 hex digits).
    Sealed { key_id: String, envelope: Vec<u8> },
}

/// What storing a response did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Stored,
    /// The submission id was already stored for this survey: a retry.
    Duplicate,
    /// The submission id is already used by another survey.
    Conflict,
    /// The survey is closed; nothing was stored.
    Closed,
}

/// Inserts one response inside `tx`; a repeated submission id changes nothing.
pub fn insert_response(tx: &Transaction<'_>, r: &NewResponse) -> rusqlite::Result<InsertOutcome> {
    let (answers, key_id, envelope) = match &r.body {
        Body::Plain(json) => (Some(json.as_str()), None, None),
        Body::Sealed { key_id, envelope } => {
            (None, Some(key_id.as_str()), Some(envelope.as_slice()))
        }
    };
    let changed = tx
        .prepare_cached(
            "INSERT INTO responses (submission_id, survey_id, survey_version, received_day, answers, key_id, envelope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (submission_id) DO NOTHING",
        )?
        .execute(params![
            r.submission_id,
            r.survey_id,
            r.survey_version,
            r.received_day,
            answers,
            key_id,
            envelope
        ])?;
    if changed == 1 {
        return Ok(InsertOutcome::Stored);
    }
    Ok(already_stored(tx, r)?.unwrap_or(InsertOutcome::Conflict))
}

/// `Duplicate` when `r`'s submission id is stored for its survey,
/// `Conflict` when for another, `None` when it is not stored.
fn already_stored(
    tx: &Transaction<'_>,
    r: &NewResponse,
) -> rusqlite::Result<Option<InsertOutcome>> {
    let owner: Option<String> = tx
        .prepare_cached("SELECT survey_id FROM responses WHERE submission_id = ?1")?
        .query_row([&r.submission_id], |row| row.get(0))
        .optional()?;
    Ok(owner.map(|owner| {
        if owner == r.survey_id {
            InsertOutcome::Duplicate
        } else {
            InsertOutcome::Conflict
        }
    }))
}

/// Inserts one response inside `tx` unless `closed` (its survey closed by
/// command or by its file's `closes` day, as the caller found with
/// [`closed_day`] in the same transaction). A retry of a response already
/// stored is still a `Duplicate` after closing, so a device that lost the
/// first acknowledgement learns that its answer is safe.
pub fn insert_if_open(
    tx: &Transaction<'_>,
    r: &NewResponse,
    closed: bool,
) -> rusqlite::Result<InsertOutcome> {
    if !closed {
        return insert_response(tx, r);
    }
    Ok(already_stored(tx, r)?.unwrap_or(InsertOutcome::Closed))
}

/// Records the version of every survey about to be served and returns, for
/// each, the definitions of its *other* served versions (for validating late
/// answers). A survey whose definition differs from the one stored under
/// the same version is refused: its version must be raised.
pub fn register_versions<'a>(
    conn: &mut Connection,
    surveys: impl IntoIterator<Item = &'a surveys::Survey>,
    day: &str,
) -> Result<Vec<(String, Vec<surveys::Survey>)>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::new();
    for survey in surveys {
        let mut others = Vec::new();
        let mut seen = false;
        {
            let mut stmt = tx.prepare(
                "SELECT version, definition FROM survey_versions WHERE survey_id = ?1 ORDER BY version",
            )?;
            let rows = stmt.query_map([&survey.id], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (version, definition) = row?;
                let stored: surveys::Survey = match serde_json::from_str(&definition) {
                    Ok(s) => s,
                    Err(e) if version == survey.version => {
                        return Err(StoreError::StoredVersion {
                            survey: survey.id.clone(),
                            version,
                            message: e.to_string(),
                        });
                    }
                    Err(e) => {
                        // An older version this build cannot read: late
                        // answers to it are refused as an unknown version.
                        tracing::warn!(survey = %survey.id, version, problem = %e,
                            "a stored survey version cannot be read; late answers to it will be refused");
                        continue;
                    }
                };
                if version == survey.version {
                    // Compared as values, so a model field added with a
                    // default does not count as a change.
                    if stored != *survey {
                        return Err(StoreError::VersionChanged {
                            survey: survey.id.clone(),
                            version,
                        });
                    }
                    seen = true;
                } else {
                    others.push(stored);
                }
            }
        }
        if !seen {
            let definition =
                serde_json::to_string(survey).map_err(|e| StoreError::StoredVersion {
                    survey: survey.id.clone(),
                    version: survey.version,
                    message: e.to_string(),
                })?;
            tx.execute(
                "INSERT INTO survey_versions (survey_id, version, definition, first_served_day)
                 VALUES (?1, ?2, ?3, ?4)",
                params![survey.id, survey.version, definition, day],
            )?;
        }
        out.push((survey.id.clone(), others));
    }
    tx.commit()?;
    Ok(out)
}

/// Number of stored responses to a survey (for researchers, never published).
pub fn response_count(conn: &Connection, survey_id: &str) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM responses WHERE survey_id = ?1",
        [survey_id],
        |r| r.get(0),
    )?;
    Ok(n.unsigned_abs())
}

/// What one release costs: ε, and the δ of its (ε, δ) guarantee (0 for
/// pure ε-DP).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    pub epsilon: Epsilon,
    pub delta: f64,
}

/// One charge against a survey's privacy budget.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub release_id: String,
    pub epsilon: Epsilon,
    /// 0 for a pure ε-DP release.
    pub delta: f64,
    pub charged_day: String,
    pub description: String,
}

/// δ as people read it: `0`, or a short scientific form such as `1e-6`
/// or `2.5e-6` (three significant digits at most).
pub fn delta_text(delta: f64) -> String {
    if delta == 0.0 {
        return "0".into();
    }
    let text = format!("{delta:.2e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if mantissa.contains('.') => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        _ => text,
    }
}

/// The δ of every charge to a survey, added up (δ composes by addition).
pub fn delta_spent(ledger: &[LedgerEntry]) -> f64 {
    ledger.iter().map(|e| e.delta).sum()
}

pub fn ledger(conn: &Connection, survey_id: &str) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT release_id, epsilon_num, epsilon_den, charged_day, description, delta
         FROM privacy_ledger WHERE survey_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([survey_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, f64>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (release_id, num, den, charged_day, description, delta) = row?;
        let epsilon = u64::try_from(num)
            .ok()
            .zip(u64::try_from(den).ok())
            .and_then(|(n, d)| Epsilon::new(n, d))
            .ok_or_else(|| StoreError::Corrupt {
                survey: survey_id.to_string(),
                message: format!("ledger entry {release_id} has ε = {num}/{den}"),
            })?;
        out.push(LedgerEntry {
            release_id,
            epsilon,
            delta,
            charged_day,
            description,
        });
    }
    Ok(out)
}

/// The ε of every charge in `ledger`, added up exactly; `None` if the total
/// overflows.
pub fn epsilon_spent(ledger: &[LedgerEntry]) -> Option<Epsilon> {
    ledger
        .iter()
        .try_fold(Epsilon::ZERO, |acc, e| acc.checked_add(e.epsilon))
}

/// The sum of all charges to a survey, exactly.
pub fn spent(conn: &Connection, survey_id: &str) -> Result<Epsilon, StoreError> {
    epsilon_spent(&ledger(conn, survey_id)?).ok_or_else(|| StoreError::Corrupt {
        survey: survey_id.to_string(),
        message: "the ledger's total overflows".into(),
    })
}

/// A report ready to store and serve.
#[derive(Debug, Clone)]
pub struct Release {
    pub release_id: String,
    pub json: String,
    pub html: String,
}

/// Facts a publication is built from, decided inside the transaction.
#[derive(Debug, Clone)]
pub struct PublishContext {
    pub release_id: String,
    pub day: String,
    /// ε charged to this survey before this publication.
    pub spent_before: Epsilon,
}

/// Publishes atomically: in one write transaction, `check` sees the budget
/// spent so far and may refuse; the charge is recorded; `build` reads every
/// stored response of the survey — turned into answers by `open`, a batch
/// at a time, which may quarantine some (`None`: left out) — and makes the report;
/// the release is stored. Any error rolls everything back, so a refused or
/// failed publication spends nothing and stores nothing. `check` runs
/// before `build`, so a refusal happens before any noise is drawn.
#[allow(clippy::too_many_arguments)]
pub fn publish<E>(
    conn: &mut Connection,
    survey_id: &str,
    charge: Charge,
    day: &str,
    description: &str,
    check: impl FnOnce(Epsilon) -> Result<(), E>,
    mut open: impl FnMut(&[OwnedResponse]) -> Result<Vec<Option<Answers>>, StoreError>,
    build: impl FnOnce(&PublishContext, &mut dyn Iterator<Item = Answers>) -> Result<Release, E>,
) -> Result<Release, E>
where
    E: From<StoreError>,
{
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let cx = charge_in(&tx, survey_id, charge, day, description, check)?;

    let release = {
        let mut stmt = tx
            .prepare(
                "SELECT submission_id, survey_version, received_day, answers, key_id, envelope
                 FROM responses WHERE survey_id = ?1 ORDER BY rowid",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([survey_id]).map_err(StoreError::from)?;
        let mut failure: Option<StoreError> = None;
        let mut ready: std::collections::VecDeque<Answers> = std::collections::VecDeque::new();
        let mut done = false;
        let mut iter = std::iter::from_fn(|| {
            loop {
                if let Some(a) = ready.pop_front() {
                    return Some(a);
                }
                if done || failure.is_some() {
                    return None;
                }
                // Read a batch, then open it at once (on every core).
                let mut batch = Vec::with_capacity(OPEN_BATCH);
                while batch.len() < OPEN_BATCH {
                    match rows.next() {
                        Ok(Some(row)) => match stored_response(row) {
                            Ok(r) => batch.push(r.to_owned()),
                            Err(e) => {
                                failure = Some(e.into());
                                return None;
                            }
                        },
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Err(e) => {
                            failure = Some(e.into());
                            return None;
                        }
                    }
                }
                // Quarantined responses come back as `None`: not counted.
                match open(&batch) {
                    Ok(opened) => ready.extend(opened.into_iter().flatten()),
                    Err(e) => failure = Some(e),
                }
            }
        });
        let release = build(&cx, &mut iter)?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        release
    };
    store_in(&tx, survey_id, day, &release)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(release)
}

/// Inside `tx`: lets `check` see what the survey has spent and refuse,
/// picks the release id and records the charge in the ledger.
fn charge_in<E>(
    tx: &Transaction<'_>,
    survey_id: &str,
    charge: Charge,
    day: &str,
    description: &str,
    check: impl FnOnce(Epsilon) -> Result<(), E>,
) -> Result<PublishContext, E>
where
    E: From<StoreError>,
{
    let spent_before = spent(tx, survey_id)?;
    check(spent_before)?;

    let same_day: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM releases WHERE survey_id = ?1 AND published_day = ?2",
            params![survey_id, day],
            |r| r.get(0),
        )
        .map_err(StoreError::from)?;
    // `release_id` is the table's primary key across all surveys: skip a
    // number another survey already took that day, or one charged for a
    // release that is still being built elsewhere ([`charge`]).
    let mut n = same_day + 1;
    while tx
        .query_row(
            "SELECT 1 FROM releases WHERE release_id = ?1
             UNION ALL SELECT 1 FROM privacy_ledger WHERE release_id = ?1",
            [format!("{day}.{n}")],
            |_| Ok(()),
        )
        .optional()
        .map_err(StoreError::from)?
        .is_some()
    {
        n += 1;
    }
    let cx = PublishContext {
        release_id: format!("{day}.{n}"),
        day: day.to_string(),
        spent_before,
    };
    tx.execute(
        "INSERT INTO privacy_ledger (survey_id, release_id, epsilon_num, epsilon_den, charged_day, description, delta)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            survey_id,
            cx.release_id,
            i64::try_from(charge.epsilon.numerator()).map_err(|_| StoreError::Corrupt {
                survey: survey_id.into(),
                message: "ε numerator too large to record".into()
            })?,
            i64::try_from(charge.epsilon.denominator()).map_err(|_| StoreError::Corrupt {
                survey: survey_id.into(),
                message: "ε denominator too large to record".into()
            })?,
            day,
            description,
            charge.delta
        ],
    )
    .map_err(StoreError::from)?;
    Ok(cx)
}

/// Inside `tx`: stores a built release of `survey_id`, published on `day`.
fn store_in(
    tx: &Transaction<'_>,
    survey_id: &str,
    day: &str,
    release: &Release,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO releases (release_id, survey_id, published_day, report_json, report_html)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            release.release_id,
            survey_id,
            day,
            release.json,
            release.html
        ],
    )?;
    Ok(())
}

/// The charge step of a publication built elsewhere (on the researcher's
/// computer, over the admin API): in one write transaction, `check` sees
/// the budget spent so far and may refuse (then nothing is recorded), and
/// the charge is recorded under a new release id. The release is stored
/// later by [`store_charged_release`]. The budget is spent from here on,
/// whether or not a release is ever uploaded: the answers may be read
/// (and noised) once the charge is made.
pub fn charge<E>(
    conn: &mut Connection,
    survey_id: &str,
    charge: Charge,
    day: &str,
    description: &str,
    check: impl FnOnce(Epsilon) -> Result<(), E>,
) -> Result<PublishContext, E>
where
    E: From<StoreError>,
{
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let cx = charge_in(&tx, survey_id, charge, day, description, check)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(cx)
}

/// Why a release built elsewhere was not stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError<E> {
    #[error("survey `{survey}` has no charge for release `{release_id}`")]
    NoCharge { survey: String, release_id: String },
    #[error("release `{release_id}` is already stored")]
    AlreadyStored { release_id: String },
    /// Refused by the caller's check of the release against its charge.
    #[error("{0}")]
    Refused(E),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store step of a publication charged with [`charge`]: in one write
/// transaction, finds the ledger entry of `release.release_id` for
/// `survey_id` (refused when there is none, or when that release is
/// already stored), lets `check` compare the release with its charge, and
/// stores it under the day it was charged.
pub fn store_charged_release<E>(
    conn: &mut Connection,
    survey_id: &str,
    release: &Release,
    check: impl FnOnce(&LedgerEntry) -> Result<(), E>,
) -> Result<LedgerEntry, UploadError<E>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let entry = ledger(&tx, survey_id)?
        .into_iter()
        .find(|e| e.release_id == release.release_id)
        .ok_or_else(|| UploadError::NoCharge {
            survey: survey_id.to_string(),
            release_id: release.release_id.clone(),
        })?;
    let stored = tx
        .query_row(
            "SELECT 1 FROM releases WHERE release_id = ?1",
            [&release.release_id],
            |_| Ok(()),
        )
        .optional()
        .map_err(StoreError::from)?
        .is_some();
    if stored {
        return Err(UploadError::AlreadyStored {
            release_id: release.release_id.clone(),
        });
    }
    check(&entry).map_err(UploadError::Refused)?;
    store_in(&tx, survey_id, &entry.charged_day, release)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(entry)
}

/// Today in UTC: the finest time Chorus records.
pub fn today_date() -> surveys::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    surveys::Date::from_unix_seconds(i64::try_from(secs).unwrap_or(0))
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    today_date().to_string()
}

// ---------------------------------------------------------------------------
// Researchers' access: survey lifecycle, admin tokens, export rows.
// (Kept together at the end of the file; used by `crate::admin`,
// `crate::export`, the submission path and the `chorus` command.)
// ---------------------------------------------------------------------------

/// Opens an existing database for reading only (exports, admin look-ups):
/// it can never change a stored answer.
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let name = path.display().to_string();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: name.clone(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|source| classify(&name, source))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|source| classify(&name, source))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    Ok(conn)
}

/// Closes (`closed = true`, recording `day`) or reopens a survey by command.
pub fn set_closed(
    conn: &Connection,
    survey_id: &str,
    closed: bool,
    day: &str,
) -> rusqlite::Result<()> {
    let closed_day = closed.then_some(day);
    conn.execute(
        "INSERT INTO survey_state (survey_id, closed_day) VALUES (?1, ?2)
         ON CONFLICT (survey_id) DO UPDATE SET closed_day = excluded.closed_day",
        params![survey_id, closed_day],
    )?;
    Ok(())
}

/// The day a survey was closed by command; `None` while it is open. (A
/// survey may also be closed by the `closes` day in its file.)
pub fn closed_day(conn: &Connection, survey_id: &str) -> rusqlite::Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT closed_day FROM survey_state WHERE survey_id = ?1")?
        .query_row([survey_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The versions of a survey the collector has served, ascending.
pub fn served_versions(conn: &Connection, survey_id: &str) -> rusqlite::Result<Vec<u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version FROM survey_versions WHERE survey_id = ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([survey_id], |r| r.get::<_, u32>(0))?;
    rows.collect()
}

/// Every served version of a survey as stored (the definitions its
/// answers were given to), ascending; versions this build cannot read are
/// left out.
pub fn survey_definitions(
    conn: &Connection,
    survey_id: &str,
) -> rusqlite::Result<Vec<surveys::Survey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT definition FROM survey_versions WHERE survey_id = ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([survey_id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        if let Ok(s) = serde_json::from_str(&row?) {
            out.push(s);
        }
    }
    Ok(out)
}

/// An admin token as stored: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    /// Lower-case hex SHA-256 of the token.
    pub token_hash: String,
    /// `researcher` or `viewer`.
    pub role: String,
    pub label: String,
    pub created_day: String,
    pub revoked_day: Option<String>,
}

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        role: r.get(2)?,
        label: r.get(3)?,
        created_day: r.get(4)?,
        revoked_day: r.get(5)?,
    })
}

/// Stores a new token's hash; returns its id.
pub fn insert_token(
    conn: &Connection,
    token_hash: &str,
    role: &str,
    label: &str,
    day: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO api_tokens (token_hash, role, label, created_day) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, role, label, day],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The token whose hash is `token_hash`, revoked or not.
pub fn find_token(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<TokenRecord>> {
    conn.prepare_cached(
        "SELECT id, token_hash, role, label, created_day, revoked_day
         FROM api_tokens WHERE token_hash = ?1",
    )?
    .query_row([token_hash], token_from_row)
    .optional()
}

/// Every token, oldest first.
pub fn list_tokens(conn: &Connection) -> rusqlite::Result<Vec<TokenRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, token_hash, role, label, created_day, revoked_day FROM api_tokens ORDER BY id",
    )?;
    let rows = stmt.query_map([], token_from_row)?;
    rows.collect()
}

/// Revokes token `id` from `day` on; `false` when there is no such token.
/// Revoking twice keeps the first day.
pub fn revoke_token(conn: &Connection, id: i64, day: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE api_tokens SET revoked_day = COALESCE(revoked_day, ?2) WHERE id = ?1",
        params![id, day],
    )?;
    Ok(n == 1)
}

/// One stored response as exports see it.
#[derive(Debug, Clone, Copy)]
pub struct StoredResponse<'a> {
    pub submission_id: &'a str,
    pub survey_version: i64,
    pub received_day: &'a str,
    pub body: StoredBody<'a>,
}

impl StoredResponse<'_> {
    /// A copy that outlives the database row (for opening in batches).
    pub fn to_owned(&self) -> OwnedResponse {
        OwnedResponse {
            submission_id: self.submission_id.to_string(),
            survey_version: self.survey_version,
            received_day: self.received_day.to_string(),
            body: match self.body {
                StoredBody::Plain(text) => Body::Plain(text.to_string()),
                StoredBody::Sealed { key_id, envelope } => Body::Sealed {
                    key_id: key_id.to_string(),
                    envelope: envelope.to_vec(),
                },
            },
        }
    }
}

/// A stored response, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedResponse {
    pub submission_id: String,
    pub survey_version: i64,
    pub received_day: String,
    pub body: Body,
}

impl OwnedResponse {
    pub fn as_stored(&self) -> StoredResponse<'_> {
        StoredResponse {
            submission_id: &self.submission_id,
            survey_version: self.survey_version,
            received_day: &self.received_day,
            body: match &self.body {
                Body::Plain(text) => StoredBody::Plain(text),
                Body::Sealed { key_id, envelope } => StoredBody::Sealed { key_id, envelope },
            },
        }
    }
}

/// How many stored responses are read before they are opened together.
pub const OPEN_BATCH: usize = 2048;

/// A stored response's answers, or its envelope.
#[derive(Debug, Clone, Copy)]
pub enum StoredBody<'a> {
    /// The answers as stored (a JSON object).
    Plain(&'a str),
    /// An envelope and the key id it names.
    Sealed { key_id: &'a str, envelope: &'a [u8] },
}

/// Calls `each` for every stored response of a survey in the order they were
/// stored, one row at a time: nothing is collected in memory. Stops at the
/// first error `each` returns.
pub fn for_each_response<E>(
    conn: &Connection,
    survey_id: &str,
    mut each: impl FnMut(StoredResponse<'_>) -> Result<(), E>,
) -> Result<u64, E>
where
    E: From<rusqlite::Error>,
{
    let mut stmt = conn.prepare(
        "SELECT submission_id, survey_version, received_day, answers, key_id, envelope
         FROM responses WHERE survey_id = ?1 ORDER BY rowid",
    )?;
    let mut rows = stmt.query([survey_id])?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        each(stored_response(row)?)?;
        n += 1;
    }
    Ok(n)
}

/// Reads a row of `submission_id, survey_version, received_day, answers,
/// key_id, envelope`.
fn stored_response<'r>(row: &'r rusqlite::Row<'_>) -> rusqlite::Result<StoredResponse<'r>> {
    let text = |i: usize| -> rusqlite::Result<&'r str> {
        row.get_ref(i)?.as_str().map_err(rusqlite::Error::from)
    };
    let body = match row
        .get_ref(3)?
        .as_str_or_null()
        .map_err(rusqlite::Error::from)?
    {
        Some(answers) => StoredBody::Plain(answers),
        None => StoredBody::Sealed {
            key_id: text(4)?,
            envelope: row.get_ref(5)?.as_blob().map_err(rusqlite::Error::from)?,
        },
    };
    Ok(StoredResponse {
        submission_id: text(0)?,
        survey_version: row.get(1)?,
        received_day: text(2)?,
        body,
    })
}

// ---------------------------------------------------------------------------
// Published results: the releases of a survey, for `/results` and
// `chorus budget`. (Used by `crate::results`.)
// ---------------------------------------------------------------------------

/// A release as listed on a survey's results page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSummary {
    pub release_id: String,
    pub published_day: String,
}

/// Every release of a survey, newest first.
pub fn list_releases(conn: &Connection, survey_id: &str) -> rusqlite::Result<Vec<ReleaseSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT release_id, published_day FROM releases WHERE survey_id = ?1 ORDER BY rowid DESC",
    )?;
    let rows = stmt.query_map([survey_id], |r| {
        Ok(ReleaseSummary {
            release_id: r.get(0)?,
            published_day: r.get(1)?,
        })
    })?;
    rows.collect()
}

/// One stored release of a survey: `(report_json, report_html)`.
pub fn release(
    conn: &Connection,
    survey_id: &str,
    release_id: &str,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.prepare_cached(
        "SELECT report_json, report_html FROM releases WHERE survey_id = ?1 AND release_id = ?2",
    )?
    .query_row([survey_id, release_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// Decodes stored answers: the same result as
/// `serde_json::from_str::<Answers>`, several times faster. (`Answer` is an
/// untagged enum, and serde builds a formatted error for every variant it
/// tries and rejects; a publication reads every stored answer.)
pub fn decode_answers(text: &str) -> Result<Answers, String> {
    use serde_json::Value;
    use surveys::Answer;
    let map: serde_json::Map<String, Value> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    let bad = |key: &str| format!("the stored answer to `{key}` has an unknown shape");
    let mut out = Answers::new();
    for (key, value) in map {
        let answer = match value {
            Value::Bool(b) => Answer::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Answer::Integer(i),
                (None, Some(f)) => Answer::Decimal(f),
                _ => return Err(bad(&key)),
            },
            Value::String(t) => Answer::Text(t),
            Value::Array(items) => Answer::Choices(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(t) => Ok(t),
                        _ => Err(bad(&key)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(items) => Answer::Grid(
                items
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(t) => Ok((k, t)),
                        _ => Err(bad(&key)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Null => return Err(bad(&key)),
        };
        out.insert(key, answer);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_size(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size")
    }

    #[test]
    fn a_new_database_has_8_kib_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let new = open(&dir.path().join("new.db")).expect("open");
        assert_eq!(page_size(&new), i64::from(PAGE_SIZE));
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
                .expect("settings");
            conn.execute_batch(MIGRATIONS[0]).expect("m1");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
        }
        let old = open(&path).expect("migrates");
        assert_eq!(page_size(&old), 4096);
        assert_eq!(response_count(&old, "any").expect("count"), 0);
    }

    #[test]
    fn delta_reads_as_people_write_it() {
        assert_eq!(delta_text(0.0), "0");
        assert_eq!(delta_text(1e-6), "1e-6");
        assert_eq!(delta_text(1e-6 + 1e-6 + 1e-6), "3e-6");
        assert_eq!(delta_text(2.5e-6), "2.5e-6");
        assert_eq!(delta_text(1.2345e-5), "1.23e-5");
    }

    #[test]
    fn a_ledger_from_before_delta_gets_the_delta_its_reports_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        {
            // A database as migrations 1 and 2 left it, with two releases.
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(MIGRATIONS[0]).expect("m1");
            conn.execute_batch(MIGRATIONS[1]).expect("m2");
            conn.pragma_update(None, "user_version", 2)
                .expect("version");
            for (id, report) in [
                (
                    "2026-11-01.1",
                    r#"{"schema":"chorus.report/2","delta":1e-6}"#,
                ),
                (
                    "2026-11-02.1",
                    r#"{"schema":"chorus.report/2","delta":0.0}"#,
                ),
            ] {
                conn.execute(
                    "INSERT INTO privacy_ledger (survey_id, release_id, epsilon_num, epsilon_den, charged_day, description)
                     VALUES ('s', ?1, 1, 1, '2026-11-01', 'test')",
                    [id],
                )
                .expect("charge");
                conn.execute(
                    "INSERT INTO releases (release_id, survey_id, published_day, report_json, report_html)
                     VALUES (?1, 's', '2026-11-01', ?2, '')",
                    [id, report],
                )
                .expect("release");
            }
        }
        let conn = open(&path).expect("migrates");
        let deltas: Vec<f64> = ledger(&conn, "s")
            .expect("ledger")
            .iter()
            .map(|e| e.delta)
            .collect();
        assert_eq!(deltas, [1e-6, 0.0]);
    }
    #[test]
    fn decode_answers_agrees_with_serde() {
        for text in [
            r#"{"a":"x","b":["p","q"],"c":3,"d":-2.5,"e":true,"f":{"s":"1"},"g":[],"h":{}}"#,
            r#"{"n":18446744073709551615,"m":1e300,"k":-9223372036854775808}"#,
            r#"{"a":null}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{"s":2}}"#,
            r#"[1]"#,
            r#"{"a":"x","a":"y"}"#,
            "{}",
        ] {
            let ours = super::decode_answers(text).ok();
            let serde = serde_json::from_str::<super::Answers>(text).ok();
            assert_eq!(ours, serde, "{text}");
        }
    }

    #[test]
    fn civil_dates() {
        let day = |d: i64| surveys::Date::from_unix_seconds(d * 86_400).to_string();
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(11_016), "2000-02-29");
        assert_eq!(day(20_786), "2026-11-29");
        assert_eq!(day(20_819), "2027-01-01");
    }

    fn response(id: &str, survey: &str) -> NewResponse {
        NewResponse {
            submission_id: id.into(),
            survey_id: survey.into(),
            survey_version: 1,
            received_day: "2026-11-29".into(),
            body: Body::Plain(r#"{"q":"a"}"#.into()),
        }
    }

    #[test]
    fn a_repeated_submission_is_stored_once() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt {
            survey: String::new(),
            message: e.to_string(),
        })?;
        let mut conn = open(&dir.path().join("t.db"))?;
        let tx = conn.transaction()?;
        assert_eq!(
            insert_response(&tx, &response("a", "s"))?,
            InsertOutcome::Stored
        );
        assert_eq!(
            insert_response(&tx, &response("a", "s"))?,
            InsertOutcome::Duplicate
        );
        assert_eq!(
            insert_response(&tx, &response("a", "t"))?,
            InsertOutcome::Conflict
        );
        tx.commit()?;
        assert_eq!(response_count(&conn, "s")?, 1);
        assert_eq!(response_count(&conn, "t")?, 0);
        Ok(())
    }

    #[test]
    fn a_refused_publication_changes_nothing() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt {
            survey: String::new(),
            message: e.to_string(),
        })?;
        let mut conn = open(&dir.path().join("t.db"))?;
        let one = Epsilon::from_integer(1);
        let charge = Charge {
            epsilon: one,
            delta: 0.0,
        };
        let ok = publish::<StoreError>(
            &mut conn,
            "s",
            charge,
            "2026-11-29",
            "test",
            |_| Ok(()),
            |batch| Ok(batch.iter().map(|_| None).collect()),
            |cx, rows| {
                Ok(Release {
                    release_id: cx.release_id.clone(),
                    json: format!("{}", rows.count()),
                    html: String::new(),
                })
            },
        )?;
        assert_eq!(ok.release_id, "2026-11-29.1");
        let refused = publish::<StoreError>(
            &mut conn,
            "s",
            charge,
            "2026-11-29",
            "test",
            |spent| {
                assert_eq!(spent, one);
                Err(StoreError::Closed)
            },
            |_| unreachable!("nothing is read after a refusal"),
            |_, _| unreachable!("build must not run after a refusal"),
        );
        assert!(matches!(refused, Err(StoreError::Closed)));
        assert_eq!(spent(&conn, "s")?, one);
        let releases: i64 = conn.query_row("SELECT COUNT(*) FROM releases", [], |r| r.get(0))?;
        assert_eq!(releases, 1);
        Ok(())
    }

    #[test]
    fn a_charge_then_an_upload_is_a_publication() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt {
            survey: String::new(),
            message: e.to_string(),
        })?;
        let mut conn = open(&dir.path().join("t.db"))?;
        let half = Epsilon::new(1, 2).ok_or(StoreError::Closed)?;
        let charge_of = Charge {
            epsilon: half,
            delta: 1e-6,
        };
        let cx = charge::<StoreError>(
            &mut conn,
            "s",
            charge_of,
            "2026-11-29",
            "two tables",
            |_| Ok(()),
        )?;
        assert_eq!(cx.release_id, "2026-11-29.1");
        // Charged but not yet stored: a second charge takes the next id,
        // and a local publish does too.
        let next =
            charge::<StoreError>(&mut conn, "s", charge_of, "2026-11-29", "again", |spent| {
                assert_eq!(spent, half);
                Ok(())
            })?;
        assert_eq!(next.release_id, "2026-11-29.2");
        assert_eq!(spent(&conn, "s")?, Epsilon::from_integer(1));
        assert!(list_releases(&conn, "s")?.is_empty());

        // A refused charge records nothing.
        let refused = charge::<StoreError>(&mut conn, "s", charge_of, "2026-11-29", "no", |_| {
            Err(StoreError::Closed)
        });
        assert!(matches!(refused, Err(StoreError::Closed)));
        assert_eq!(ledger(&conn, "s")?.len(), 2);

        let release = Release {
            release_id: cx.release_id.clone(),
            json: "{}".into(),
            html: "<p>".into(),
        };
        let entry = store_charged_release::<StoreError>(&mut conn, "s", &release, |e| {
            assert_eq!(e.epsilon, half);
            assert_eq!(e.delta, 1e-6);
            Ok(())
        })
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        assert_eq!(entry.charged_day, "2026-11-29");
        assert_eq!(
            super::release(&conn, "s", &cx.release_id)?,
            Some(("{}".to_string(), "<p>".to_string()))
        );
        // Twice, for another survey, for no charge, or refused by the check:
        // nothing more is stored.
        let twice = store_charged_release::<StoreError>(&mut conn, "s", &release, |_| Ok(()));
        assert!(
            matches!(twice, Err(UploadError::AlreadyStored { .. })),
            "{twice:?}"
        );
        let other = store_charged_release::<StoreError>(&mut conn, "t", &release, |_| Ok(()));
        assert!(
            matches!(other, Err(UploadError::NoCharge { .. })),
            "{other:?}"
        );
        let none = Release {
            release_id: "2026-11-29.9".into(),
            ..release.clone()
        };
        let none = store_charged_release::<StoreError>(&mut conn, "s", &none, |_| Ok(()));
        assert!(
            matches!(none, Err(UploadError::NoCharge { .. })),
            "{none:?}"
        );
        let second = Release {
            release_id: next.release_id.clone(),
            ..release
        };
        let checked = store_charged_release::<StoreError>(&mut conn, "s", &second, |_| {
            Err(StoreError::Closed)
        });
        assert!(
            matches!(checked, Err(UploadError::Refused(StoreError::Closed))),
            "{checked:?}"
        );
        assert_eq!(list_releases(&conn, "s")?.len(), 1);
        assert_eq!(spent(&conn, "s")?, Epsilon::from_integer(1));
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("junk.db");
        std::fs::write(
            &path,
            b"this is not sqlite, just some text that fills a page ".repeat(100),
        )
        .expect("write");
        let err = open(&path).expect_err("junk must not open");
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
        assert!(err.to_string().contains("not a Chorus database"), "{err}");
    }
}
