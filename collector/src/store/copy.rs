//! `chorus migrate`: a collector's whole state copied from one database to
//! another (SQLite to PostgreSQL, as a deployment grows), then counted on
//! both sides.

use super::responses::Batches;
use super::{Store, StoreError, Txn};

/// What was copied, per kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    pub responses: u64,
    pub versions: u64,
    pub lifecycle: u64,
    pub charges: u64,
    pub releases: u64,
    pub tokens: u64,
}

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the target database already holds Chorus data ({what}); copy only into a new, empty database"
    )]
    NotEmpty { what: String },
    #[error("the copy does not match its source: {0}; nothing was kept")]
    Mismatch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies everything in `from` into the empty `to`, in one transaction on
/// each side (`to` keeps nothing if any step fails), then counts both
/// again and compares.
pub fn copy(from: &mut Store, to: &mut Store) -> Result<Copied, CopyError> {
    let before = counts(to)?;
    if before != Copied::default() {
        return Err(CopyError::NotEmpty {
            what: describe(&before),
        });
    }
    let source = from.read(|src| {
        to.write(|dst| -> Result<Copied, CopyError> {
            copy_in(src, dst)?;
            let source = counts_in(src)?;
            let target = counts_in(dst)?;
            if source != target {
                return Err(CopyError::Mismatch(format!(
                    "source {}, copy {}",
                    describe(&source),
                    describe(&target)
                )));
            }
            Ok(source)
        })
    })?;
    // Counted once more from outside the transaction: what was committed.
    let after = counts(to)?;
    if after != source {
        return Err(CopyError::Mismatch(format!(
            "source {}, committed {}",
            describe(&source),
            describe(&after)
        )));
    }
    Ok(source)
}

fn copy_in(src: &mut dyn Txn, dst: &mut dyn Txn) -> Result<(), StoreError> {
    for survey in src.version_surveys()? {
        for (version, definition, day) in src.versions(&survey)? {
            dst.insert_version(&survey, version, &definition, &day)?;
        }
    }
    for (survey, closed_day) in src.states()? {
        dst.set_closed_day(&survey, closed_day.as_deref())?;
    }
    for survey in src.ledger_surveys()? {
        for row in src.ledger_rows(&survey)? {
            dst.insert_charge(&survey, &row)?;
        }
    }
    for survey in src.release_surveys()? {
        // Oldest first, so the copy lists them in the same order.
        for summary in src.releases(&survey)?.into_iter().rev() {
            let Some((json, html)) = src.release(&survey, &summary.release_id)? else {
                continue;
            };
            let release = super::Release {
                release_id: summary.release_id,
                json,
                html,
            };
            dst.insert_release(&survey, &summary.published_day, &release)?;
        }
    }
    for token in src.tokens()? {
        dst.insert_token(Some(token.id), &token)?;
    }
    for survey in src.response_surveys()? {
        let mut batches = Batches::new(&survey);
        while let Some(batch) = batches.next(src)? {
            for r in batch {
                let new = super::NewResponse {
                    submission_id: r.submission_id,
                    survey_id: survey.clone(),
                    survey_version: u32::try_from(r.survey_version).map_err(|_| {
                        StoreError::Corrupt {
                            survey: survey.clone(),
                            message: format!("version {} out of range", r.survey_version),
                        }
                    })?,
                    received_day: r.received_day,
                    body: r.body,
                };
                if !dst.insert_response(&new)? {
                    return Err(StoreError::Corrupt {
                        survey: survey.clone(),
                        message: format!("submission id {} is stored twice", new.submission_id),
                    });
                }
            }
        }
    }
    Ok(())
}

fn counts(store: &mut Store) -> Result<Copied, StoreError> {
    store.read(counts_in)
}

fn counts_in(tx: &mut dyn Txn) -> Result<Copied, StoreError> {
    let mut c = Copied::default();
    for survey in tx.response_surveys()? {
        c.responses += tx.response_count(&survey)?;
    }
    for survey in tx.version_surveys()? {
        c.versions += tx.versions(&survey)?.len() as u64;
    }
    c.lifecycle = tx.states()?.len() as u64;
    for survey in tx.ledger_surveys()? {
        c.charges += tx.ledger_rows(&survey)?.len() as u64;
    }
    for survey in tx.release_surveys()? {
        c.releases += tx.releases(&survey)?.len() as u64;
    }
    c.tokens = tx.tokens()?.len() as u64;
    Ok(c)
}

/// `1200 responses, 3 survey versions, …`
pub fn describe(c: &Copied) -> String {
    format!(
        "{} responses, {} survey versions, {} lifecycle states, {} ledger charges, {} releases, {} admin tokens",
        c.responses, c.versions, c.lifecycle, c.charges, c.releases, c.tokens
    )
}
