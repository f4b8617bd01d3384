//! The SQLite backend: one file, WAL journal with `synchronous = FULL`, one
//! writing connection (the writer thread's) and any number of readers.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    Body, LedgerRow, NewResponse, OwnedResponse, Release, ReleaseSummary, StoreError, TokenRecord,
    Txn,
};

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

/// Pages in the WAL past which the writer checkpoints after answering a
/// group: the threshold of SQLite's own auto-checkpoint.
pub const CHECKPOINT_PAGES: i32 = 1000;

/// A connection to a SQLite database.
pub struct Sqlite {
    conn: Connection,
    /// The WAL's size after each commit, once [`Sqlite::prepare_writer`]
    /// has replaced SQLite's auto-checkpoint with the writer's own.
    wal_pages: Option<Arc<AtomicI32>>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").finish_non_exhaustive()
    }
}

impl Sqlite {
    /// Opens (creating if missing) and migrates the database at `path`.
    ///
    /// WAL journal with `synchronous = FULL`: a transaction is on disk when
    /// `COMMIT` returns, so an acknowledged answer survives a crash or
    /// power loss.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
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
            StoreError::Sqlite(source) => classify(&name, source),
            other => other,
        })?;
        Ok(Sqlite {
            conn,
            wal_pages: None,
        })
    }

    /// Opens an existing database for reading only.
    pub fn open_read_only(path: &Path) -> Result<Sqlite, StoreError> {
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
        Ok(Sqlite {
            conn,
            wal_pages: None,
        })
    }

    pub(super) fn write<T, E>(
        &mut self,
        f: impl FnOnce(&mut dyn Txn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // IMMEDIATE: take the write lock before reading anything. A deferred
        // transaction would read first, and if another connection (a
        // publish, a close command) committed while it waited for the lock,
        // its stale read would fail the whole transaction
        // (SQLITE_BUSY_SNAPSHOT).
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        commit_after(tx, f)
    }

    pub(super) fn read<T, E>(
        &mut self,
        f: impl FnOnce(&mut dyn Txn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        commit_after(tx, f)
    }

    pub(super) fn prepare_writer(
        &mut self,
        lock_wait: std::time::Duration,
    ) -> Result<(), StoreError> {
        self.conn.busy_timeout(lock_wait)?;
        // Setting a hook replaces SQLite's auto-checkpoint on this
        // connection: [`Sqlite::checkpoint_if_large`] checkpoints instead,
        // once a group has been answered. SQLite's own would run inside
        // `COMMIT`, so the group that crossed the mark would wait for the
        // copying and its two fsyncs before its answers went out.
        let pages = Arc::new(AtomicI32::new(0));
        let seen = pages.clone();
        self.conn
            .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n| {
                seen.store(n, Ordering::Relaxed);
                Ok(())
            }))?;
        self.wal_pages = Some(pages);
        Ok(())
    }

    /// Copies the WAL's frames into the database once it holds
    /// [`CHECKPOINT_PAGES`] (PASSIVE: it waits for no one, and stops at
    /// frames a reader still needs). A checkpoint that cannot run now loses
    /// nothing: the frames stay in the WAL, and the next group tries again.
    pub(super) fn checkpoint_if_large(&mut self) {
        let large = self
            .wal_pages
            .as_ref()
            .is_some_and(|p| p.load(Ordering::Relaxed) >= CHECKPOINT_PAGES);
        if !large {
            return;
        }
        // It answers one row (busy, frames in the WAL, frames copied).
        if let Err(e) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            tracing::debug!(error = %e, "checkpoint postponed");
        }
    }

    /// Runs `sql` on this connection (tests that break or hold the
    /// database under the writer).
    #[cfg(test)]
    pub(crate) fn execute_batch(&self, sql: &str) {
        self.conn.execute_batch(sql).expect("test SQL");
    }

    /// The one integer `sql` answers (tests).
    #[cfg(test)]
    pub(crate) fn query_i64(&self, sql: &str) -> i64 {
        self.conn
            .query_row(sql, [], |r| r.get(0))
            .expect("test SQL")
    }

    /// Leaves a clean WAL behind; failure here loses nothing.
    pub(super) fn truncate_wal(&mut self) {
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
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

/// Runs `f` in `tx` and commits when it returns `Ok`; dropping `tx` on an
/// error rolls it back.
fn commit_after<T, E>(
    mut tx: rusqlite::Transaction<'_>,
    f: impl FnOnce(&mut dyn Txn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let out = f(&mut tx)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(out)
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

fn strings(conn: &Connection, sql: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Txn for rusqlite::Transaction<'_> {
    fn insert_response(&mut self, r: &NewResponse) -> Result<bool, StoreError> {
        let (answers, key_id, envelope) = match &r.body {
            Body::Plain(json) => (Some(json.as_str()), None, None),
            Body::Sealed { key_id, envelope } => {
                (None, Some(key_id.as_str()), Some(envelope.as_slice()))
            }
        };
        let changed = self
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
        Ok(changed == 1)
    }

    fn owner(&mut self, submission_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .prepare_cached("SELECT survey_id FROM responses WHERE submission_id = ?1")?
            .query_row([submission_id], |row| row.get(0))
            .optional()?)
    }

    fn response_count(&mut self, survey_id: &str) -> Result<u64, StoreError> {
        let n: i64 = self.query_row(
            "SELECT COUNT(*) FROM responses WHERE survey_id = ?1",
            [survey_id],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    fn responses_after(
        &mut self,
        survey_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, OwnedResponse)>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT rowid, submission_id, survey_version, received_day, answers, key_id, envelope
             FROM responses WHERE survey_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![survey_id, after, limit], |r| {
            let body = match r.get::<_, Option<String>>(4)? {
                Some(answers) => Body::Plain(answers),
                None => Body::Sealed {
                    key_id: r.get(5)?,
                    envelope: r.get(6)?,
                },
            };
            Ok((
                r.get::<_, i64>(0)?,
                OwnedResponse {
                    submission_id: r.get(1)?,
                    survey_version: r.get(2)?,
                    received_day: r.get(3)?,
                    body,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn response_surveys(&mut self) -> Result<Vec<String>, StoreError> {
        strings(
            self,
            "SELECT DISTINCT survey_id FROM responses ORDER BY survey_id",
        )
    }

    fn versions(&mut self, survey_id: &str) -> Result<Vec<(u32, String, String)>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT version, definition, first_served_day FROM survey_versions
             WHERE survey_id = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map([survey_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert_version(
        &mut self,
        survey_id: &str,
        version: u32,
        definition: &str,
        day: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO survey_versions (survey_id, version, definition, first_served_day)
             VALUES (?1, ?2, ?3, ?4)",
            params![survey_id, version, definition, day],
        )?;
        Ok(())
    }

    fn version_surveys(&mut self) -> Result<Vec<String>, StoreError> {
        strings(
            self,
            "SELECT DISTINCT survey_id FROM survey_versions ORDER BY survey_id",
        )
    }

    fn closed_day(&mut self, survey_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .prepare_cached("SELECT closed_day FROM survey_state WHERE survey_id = ?1")?
            .query_row([survey_id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    fn set_closed_day(
        &mut self,
        survey_id: &str,
        closed_day: Option<&str>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO survey_state (survey_id, closed_day) VALUES (?1, ?2)
             ON CONFLICT (survey_id) DO UPDATE SET closed_day = excluded.closed_day",
            params![survey_id, closed_day],
        )?;
        Ok(())
    }

    fn states(&mut self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut stmt =
            self.prepare("SELECT survey_id, closed_day FROM survey_state ORDER BY survey_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn ledger_rows(&mut self, survey_id: &str) -> Result<Vec<LedgerRow>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT release_id, epsilon_num, epsilon_den, charged_day, description, delta
             FROM privacy_ledger WHERE survey_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([survey_id], |r| {
            Ok(LedgerRow {
                release_id: r.get(0)?,
                epsilon_num: r.get(1)?,
                epsilon_den: r.get(2)?,
                charged_day: r.get(3)?,
                description: r.get(4)?,
                delta: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn ledger_surveys(&mut self) -> Result<Vec<String>, StoreError> {
        strings(
            self,
            "SELECT survey_id FROM privacy_ledger GROUP BY survey_id ORDER BY MIN(id)",
        )
    }

    fn insert_charge(&mut self, survey_id: &str, row: &LedgerRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO privacy_ledger (survey_id, release_id, epsilon_num, epsilon_den, charged_day, description, delta)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                survey_id,
                row.release_id,
                row.epsilon_num,
                row.epsilon_den,
                row.charged_day,
                row.description,
                row.delta
            ],
        )?;
        Ok(())
    }

    fn releases_on_day(&mut self, survey_id: &str, day: &str) -> Result<i64, StoreError> {
        Ok(self.query_row(
            "SELECT COUNT(*) FROM releases WHERE survey_id = ?1 AND published_day = ?2",
            params![survey_id, day],
            |r| r.get(0),
        )?)
    }

    fn release_id_taken(&mut self, release_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_row(
                "SELECT 1 FROM releases WHERE release_id = ?1
                 UNION ALL SELECT 1 FROM privacy_ledger WHERE release_id = ?1",
                [release_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn release_stored(&mut self, release_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_row(
                "SELECT 1 FROM releases WHERE release_id = ?1",
                [release_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn insert_release(
        &mut self,
        survey_id: &str,
        day: &str,
        release: &Release,
    ) -> Result<(), StoreError> {
        self.execute(
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

    fn releases(&mut self, survey_id: &str) -> Result<Vec<ReleaseSummary>, StoreError> {
        let mut stmt = self.prepare_cached(
            "SELECT release_id, published_day FROM releases WHERE survey_id = ?1 ORDER BY rowid DESC",
        )?;
        let rows = stmt.query_map([survey_id], |r| {
            Ok(ReleaseSummary {
                release_id: r.get(0)?,
                published_day: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn release(
        &mut self,
        survey_id: &str,
        release_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .prepare_cached(
                "SELECT report_json, report_html FROM releases WHERE survey_id = ?1 AND release_id = ?2",
            )?
            .query_row([survey_id, release_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn release_surveys(&mut self) -> Result<Vec<String>, StoreError> {
        strings(
            self,
            "SELECT survey_id FROM releases GROUP BY survey_id ORDER BY MIN(rowid)",
        )
    }

    fn insert_token(&mut self, id: Option<i64>, t: &TokenRecord) -> Result<i64, StoreError> {
        self.execute(
            "INSERT INTO api_tokens (id, token_hash, role, label, created_day, revoked_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                t.token_hash,
                t.role,
                t.label,
                t.created_day,
                t.revoked_day
            ],
        )?;
        Ok(self.last_insert_rowid())
    }

    fn find_token(&mut self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .prepare_cached(
                "SELECT id, token_hash, role, label, created_day, revoked_day
                 FROM api_tokens WHERE token_hash = ?1",
            )?
            .query_row([token_hash], token_from_row)
            .optional()?)
    }

    fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut stmt = self.prepare(
            "SELECT id, token_hash, role, label, created_day, revoked_day FROM api_tokens ORDER BY id",
        )?;
        let rows = stmt.query_map([], token_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn revoke_token(&mut self, id: i64, day: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "UPDATE api_tokens SET revoked_day = COALESCE(revoked_day, ?2) WHERE id = ?1",
            params![id, day],
        )?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn page_size(s: &Sqlite) -> i64 {
        s.conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size")
    }

    #[test]
    fn a_new_database_has_8_kib_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let new = Sqlite::open(&dir.path().join("new.db")).expect("open");
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
        let old = Sqlite::open(&path).expect("migrates");
        assert_eq!(page_size(&old), 4096);
        let mut old = Store::Sqlite(old);
        assert_eq!(old.response_count("any").expect("count"), 0);
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
        let mut store = Store::Sqlite(Sqlite::open(&path).expect("migrates"));
        let deltas: Vec<f64> = store
            .ledger("s")
            .expect("ledger")
            .iter()
            .map(|e| e.delta)
            .collect();
        assert_eq!(deltas, [1e-6, 0.0]);
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
        let err = Sqlite::open(&path).expect_err("junk must not open");
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
        assert!(err.to_string().contains("not a Chorus database"), "{err}");
    }
}
