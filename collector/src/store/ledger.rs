//! The privacy budget: the ledger of charges, and the publication flow
//! that charges and stores a release in one transaction.
//!
//! Every charge first takes [`Lock::Ledger`], then reads what the survey
//! has spent: two publications at once — from two collectors, or two
//! `chorus publish` runs — are serialised there, so together they never
//! spend more than the budget.

use surveys::{Answers, Epsilon};

use super::responses::Batches;
use super::{LedgerRow, Lock, OwnedResponse, Store, StoreError, Txn};

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

/// The ε of every charge in `ledger`, added up exactly; `None` if the total
/// overflows.
pub fn epsilon_spent(ledger: &[LedgerEntry]) -> Option<Epsilon> {
    ledger
        .iter()
        .try_fold(Epsilon::ZERO, |acc, e| acc.checked_add(e.epsilon))
}

/// A survey's ledger, oldest charge first.
fn ledger_in(tx: &mut dyn Txn, survey_id: &str) -> Result<Vec<LedgerEntry>, StoreError> {
    tx.ledger_rows(survey_id)?
        .into_iter()
        .map(|row| {
            let epsilon = u64::try_from(row.epsilon_num)
                .ok()
                .zip(u64::try_from(row.epsilon_den).ok())
                .and_then(|(n, d)| Epsilon::new(n, d))
                .ok_or_else(|| StoreError::Corrupt {
                    survey: survey_id.to_string(),
                    message: format!(
                        "ledger entry {} has ε = {}/{}",
                        row.release_id, row.epsilon_num, row.epsilon_den
                    ),
                })?;
            Ok(LedgerEntry {
                release_id: row.release_id,
                epsilon,
                delta: row.delta,
                charged_day: row.charged_day,
                description: row.description,
            })
        })
        .collect()
}

fn spent_in(tx: &mut dyn Txn, survey_id: &str) -> Result<Epsilon, StoreError> {
    epsilon_spent(&ledger_in(tx, survey_id)?).ok_or_else(|| StoreError::Corrupt {
        survey: survey_id.to_string(),
        message: "the ledger's total overflows".into(),
    })
}

/// Inside a write transaction that holds [`Lock::Ledger`]: lets `check` see what the
/// survey has spent and refuse, picks the release id and records the charge.
fn charge_in<E>(
    tx: &mut dyn Txn,
    survey_id: &str,
    charge: Charge,
    day: &str,
    description: &str,
    check: impl FnOnce(Epsilon) -> Result<(), E>,
) -> Result<PublishContext, E>
where
    E: From<StoreError>,
{
    let spent_before = spent_in(tx, survey_id)?;
    check(spent_before)?;

    // `release_id` is unique across all surveys: skip a number another
    // survey already took that day, or one charged for a release that is
    // still being built elsewhere ([`Store::charge`]).
    let mut n = tx.releases_on_day(survey_id, day)? + 1;
    while tx.release_id_taken(&format!("{day}.{n}"))? {
        n += 1;
    }
    let cx = PublishContext {
        release_id: format!("{day}.{n}"),
        day: day.to_string(),
        spent_before,
    };
    let too_large = |part: &str| StoreError::Corrupt {
        survey: survey_id.into(),
        message: format!("ε {part} too large to record"),
    };
    let row = LedgerRow {
        release_id: cx.release_id.clone(),
        epsilon_num: i64::try_from(charge.epsilon.numerator())
            .map_err(|_| too_large("numerator"))?,
        epsilon_den: i64::try_from(charge.epsilon.denominator())
            .map_err(|_| too_large("denominator"))?,
        charged_day: day.to_string(),
        description: description.to_string(),
        delta: charge.delta,
    };
    tx.insert_charge(survey_id, &row)?;
    Ok(cx)
}

impl Store {
    /// A survey's ledger, oldest charge first.
    pub fn ledger(&mut self, survey_id: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        self.read(|tx| ledger_in(tx, survey_id))
    }

    /// The sum of all charges to a survey, exactly.
    pub fn spent(&mut self, survey_id: &str) -> Result<Epsilon, StoreError> {
        self.read(|tx| spent_in(tx, survey_id))
    }

    /// Publishes atomically: in one write transaction, `check` sees the
    /// budget spent so far and may refuse; the charge is recorded; `build`
    /// reads every stored response of the survey — turned into answers by
    /// `open`, a batch at a time, which may quarantine some (`None`: left
    /// out) — and makes the report; the release is stored. Any error rolls
    /// everything back, so a refused or failed publication spends nothing
    /// and stores nothing. `check` runs before `build`, so a refusal happens
    /// before any noise is drawn.
    #[allow(clippy::too_many_arguments)]
    pub fn publish<E>(
        &mut self,
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
        self.write_locked(Lock::Ledger, |tx| {
            let cx = charge_in(tx, survey_id, charge, day, description, check)?;
            let mut failure: Option<StoreError> = None;
            let mut ready: std::collections::VecDeque<Answers> = std::collections::VecDeque::new();
            let mut batches = Batches::new(survey_id);
            let release = {
                let tx = &mut *tx;
                let mut iter = std::iter::from_fn(|| {
                    loop {
                        if let Some(a) = ready.pop_front() {
                            return Some(a);
                        }
                        if failure.is_some() {
                            return None;
                        }
                        // Read a batch, then open it at once (on every core).
                        let batch = match batches.next(tx) {
                            Ok(Some(batch)) => batch,
                            Ok(None) => return None,
                            Err(e) => {
                                failure = Some(e);
                                return None;
                            }
                        };
                        // Quarantined responses come back as `None`: not counted.
                        match open(&batch) {
                            Ok(opened) => ready.extend(opened.into_iter().flatten()),
                            Err(e) => failure = Some(e),
                        }
                    }
                });
                build(&cx, &mut iter)?
            };
            if let Some(e) = failure {
                return Err(e.into());
            }
            tx.insert_release(survey_id, day, &release)?;
            Ok(release)
        })
    }

    /// The charge step of a publication built elsewhere (on the
    /// researcher's computer, over the admin API): in one write
    /// transaction, `check` sees the budget spent so far and may refuse
    /// (then nothing is recorded), and the charge is recorded under a new
    /// release id. The release is stored later by
    /// [`Store::store_charged_release`]. The budget is spent from here on,
    /// whether or not a release is ever uploaded: the answers may be read
    /// (and noised) once the charge is made.
    pub fn charge<E>(
        &mut self,
        survey_id: &str,
        charge: Charge,
        day: &str,
        description: &str,
        check: impl FnOnce(Epsilon) -> Result<(), E>,
    ) -> Result<PublishContext, E>
    where
        E: From<StoreError>,
    {
        self.write_locked(Lock::Ledger, |tx| {
            charge_in(tx, survey_id, charge, day, description, check)
        })
    }

    /// The store step of a publication charged with [`Store::charge`]: in
    /// one write transaction, finds the ledger entry of
    /// `release.release_id` for `survey_id` (refused when there is none, or
    /// when that release is already stored), lets `check` compare the
    /// release with its charge, and stores it under the day it was charged.
    pub fn store_charged_release<E>(
        &mut self,
        survey_id: &str,
        release: &Release,
        check: impl FnOnce(&LedgerEntry) -> Result<(), E>,
    ) -> Result<LedgerEntry, UploadError<E>> {
        self.write_locked(Lock::Ledger, |tx| {
            let entry = ledger_in(tx, survey_id)?
                .into_iter()
                .find(|e| e.release_id == release.release_id)
                .ok_or_else(|| UploadError::NoCharge {
                    survey: survey_id.to_string(),
                    release_id: release.release_id.clone(),
                })?;
            if tx.release_stored(&release.release_id)? {
                return Err(UploadError::AlreadyStored {
                    release_id: release.release_id.clone(),
                });
            }
            check(&entry).map_err(UploadError::Refused)?;
            tx.insert_release(survey_id, &entry.charged_day, release)?;
            Ok(entry)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_reads_as_people_write_it() {
        assert_eq!(delta_text(0.0), "0");
        assert_eq!(delta_text(1e-6), "1e-6");
        assert_eq!(delta_text(1e-6 + 1e-6 + 1e-6), "3e-6");
        assert_eq!(delta_text(2.5e-6), "2.5e-6");
        assert_eq!(delta_text(1.2345e-5), "1.23e-5");
    }
}
