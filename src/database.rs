//! `--db` for every command: a SQLite file or a PostgreSQL URL, read the
//! same way everywhere.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use collector::store::{Location, Store};

/// Where the collector's data is.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// The collector's database: a SQLite file (created by `serve` when
    /// missing), or a PostgreSQL URL such as postgres://chorus@db.example/chorus
    /// (never with a password in it).
    #[arg(
        long,
        env = "CHORUS_DB",
        default_value = "chorus.db",
        value_name = "FILE|URL"
    )]
    pub db: String,
    /// For PostgreSQL: a file whose first line is the password (else
    /// CHORUS_DB_PASSWORD_FILE, then PGPASSWORD, are read).
    #[arg(long, value_name = "FILE")]
    pub db_password_file: Option<PathBuf>,
}

impl DbArgs {
    pub fn location(&self) -> Result<Location> {
        Ok(Location::parse(&self.db, self.db_password_file.as_deref())?)
    }

    /// Opens (creating a SQLite file if missing) and migrates.
    pub fn open(&self) -> Result<Store> {
        Ok(Store::open(&self.location()?)?)
    }

    /// Opens a database that must already exist (a SQLite file is not
    /// created by a command that only reads or changes what a collector made).
    pub fn open_existing(&self) -> Result<Store> {
        let location = self.existing()?;
        Ok(Store::open(&location)?)
    }

    /// As [`DbArgs::open_existing`], read-only.
    pub fn open_read_only(&self) -> Result<Store> {
        let location = self.existing()?;
        Ok(Store::open_read_only(&location)?)
    }

    fn existing(&self) -> Result<Location> {
        Ok(self.location()?.existing()?)
    }
}
