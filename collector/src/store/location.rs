//! Where the database is: `--db` (or `CHORUS_DB`) as a SQLite file path or
//! a `postgres://` URL, and the PostgreSQL password from a file or the
//! environment, never from the command line.

use std::path::{Path, PathBuf};

/// A database to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgTarget),
}

/// A PostgreSQL database and how to log in to it.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    /// The URL as given (it never holds a password).
    pub url: String,
    /// From `--db-password-file`, `CHORUS_DB_PASSWORD_FILE` or `PGPASSWORD`.
    pub password: Option<String>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Why `--db` cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LocationError {
    #[error(
        "the database URL holds a password, which every user of this machine could read in the process list; remove it and put the password in a file given with --db-password-file (or CHORUS_DB_PASSWORD_FILE), or in PGPASSWORD"
    )]
    PasswordInUrl,
    #[error("cannot read the database password file {path}: {message}")]
    PasswordFile { path: String, message: String },
    #[error("the database password file {path} is empty")]
    EmptyPasswordFile { path: String },
    #[error("no database at {path}; run `chorus serve --db {path}` first, or pass --db")]
    Missing { path: String },
    #[error("{url} is not a PostgreSQL URL Chorus can use: {message}")]
    BadUrl { url: String, message: String },
}

impl Location {
    /// Reads `--db`: a `postgres://` or `postgresql://` URL means
    /// PostgreSQL, anything else is a SQLite file path. `password_file`
    /// is `--db-password-file`; without it `CHORUS_DB_PASSWORD_FILE`, then
    /// `PGPASSWORD`, are read.
    pub fn parse(db: &str, password_file: Option<&Path>) -> Result<Location, LocationError> {
        if !is_postgres_url(db) {
            return Ok(Location::Sqlite(PathBuf::from(db)));
        }
        let config: ::postgres::Config =
            db.parse()
                .map_err(|e: ::postgres::Error| LocationError::BadUrl {
                    url: db.to_string(),
                    message: e.to_string(),
                })?;
        if config.get_password().is_some() {
            return Err(LocationError::PasswordInUrl);
        }
        let env_file = std::env::var_os("CHORUS_DB_PASSWORD_FILE").map(PathBuf::from);
        let password = match password_file.map(Path::to_path_buf).or(env_file) {
            Some(path) => Some(read_password(&path)?),
            None => std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()),
        };
        Ok(Location::Postgres(PgTarget {
            url: db.to_string(),
            password,
        }))
    }

    /// Which backend it is.
    pub fn backend(&self) -> super::Backend {
        match self {
            Location::Sqlite(_) => super::Backend::Sqlite,
            Location::Postgres(_) => super::Backend::Postgres,
        }
    }

    /// The same location, refused when it is a SQLite file that does not
    /// exist (for commands that read or change what a collector made,
    /// which must not create an empty database).
    pub fn existing(self) -> Result<Location, LocationError> {
        match self.sqlite_path() {
            Some(path) if !path.is_file() => Err(LocationError::Missing {
                path: path.display().to_string(),
            }),
            _ => Ok(self),
        }
    }

    /// What to call it in messages (never with a password).
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(t) => t.url.clone(),
        }
    }

    /// The SQLite file, when this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Sqlite(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_path_buf())
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

fn is_postgres_url(db: &str) -> bool {
    let lower = db.get(..13).unwrap_or(db).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The first line of the file, without its line end.
fn read_password(path: &Path) -> Result<String, LocationError> {
    let text = std::fs::read_to_string(path).map_err(|e| LocationError::PasswordFile {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(LocationError::EmptyPasswordFile {
            path: path.display().to_string(),
        });
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_sqlite_and_a_url_is_postgres() {
        assert_eq!(
            Location::parse("data/chorus.db", None).expect("path"),
            Location::Sqlite(PathBuf::from("data/chorus.db"))
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").expect("write");
        let Location::Postgres(t) =
            Location::parse("postgresql://chorus@db.example:5433/chorus", Some(&file))
                .expect("url")
        else {
            panic!("not postgres");
        };
        assert_eq!(t.password.as_deref(), Some("s3cret"));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn a_password_in_the_url_or_an_empty_file_is_refused() {
        assert_eq!(
            Location::parse("postgres://chorus:pw@db/chorus", None),
            Err(LocationError::PasswordInUrl)
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "\n").expect("write");
        assert!(matches!(
            Location::parse("postgres://chorus@db/chorus", Some(&file)),
            Err(LocationError::EmptyPasswordFile { .. })
        ));
        assert!(matches!(
            Location::parse(
                "postgres://chorus@db/chorus",
                Some(&dir.path().join("none"))
            ),
            Err(LocationError::PasswordFile { .. })
        ));
        assert!(matches!(
            Location::parse("postgres://chorus@db:notaport/chorus", None),
            Err(LocationError::BadUrl { .. })
        ));
    }
}
