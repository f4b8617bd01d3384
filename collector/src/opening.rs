//! Stored responses turned back into answers, on the researcher's computer:
//! plaintext rows decoded, sealed rows opened with the researchers' private
//! keys and validated with the engine of the version they were given to.
//!
//! The collector never runs this for sealed rows — it holds no private key.
//! `chorus export --key` and `chorus publish --key` do, whether the rows
//! come from a local database or over the admin API from a remote
//! collector. An envelope that does not open, opens to something that is
//! not this survey's answers, or fails validation is *quarantined*: left
//! out of the export or release, counted, and listed with its reason.

use std::collections::BTreeMap;

use surveys::{Answers, Date, Engine, Survey};

use crate::store::{self, StoreError, StoredBody, StoredResponse};

/// A response left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub submission_id: String,
    pub reason: String,
}

/// Opens the stored responses of one survey.
#[derive(Debug)]
pub struct Opener {
    survey_id: String,
    keys: BTreeMap<seal::KeyId, seal::SecretKey>,
    /// The engine of every version answers may have been given to.
    engines: BTreeMap<u32, Engine>,
    quarantined: Vec<Quarantined>,
}

impl Opener {
    /// For `survey` (the current file) and the `served` definitions stored
    /// by the collector, with the private `keys` the researcher holds.
    pub fn new(survey: &Survey, served: &[Survey], keys: Vec<seal::SecretKey>) -> Opener {
        let mut engines = BTreeMap::new();
        for s in served.iter().chain(std::iter::once(survey)) {
            if s.id != survey.id {
                continue;
            }
            if let Ok(engine) = Engine::new(s) {
                engines.insert(s.version, engine);
            }
        }
        Opener {
            survey_id: survey.id.clone(),
            keys: keys.into_iter().map(|k| (k.public().id(), k)).collect(),
            engines,
            quarantined: Vec::new(),
        }
    }

    /// The responses left out so far.
    pub fn quarantined(&self) -> &[Quarantined] {
        &self.quarantined
    }

    /// The answers of each response in `batch`, in order (`None` where it
    /// was quarantined): sealed ones are opened on every core at once.
    pub fn open_batch(
        &mut self,
        batch: &[store::OwnedResponse],
    ) -> Result<Vec<Option<Answers>>, StoreError> {
        let sealed = batch
            .iter()
            .filter(|r| matches!(r.body, store::Body::Sealed { .. }))
            .count();
        if sealed == 0 || self.keys.is_empty() {
            return batch.iter().map(|r| self.open(r.as_stored())).collect();
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(batch.len().div_ceil(64))
            .max(1);
        let chunk = batch.len().div_ceil(threads);
        let this = &*self;
        type Opened = Result<Result<Answers, String>, StoreError>;
        let results: Vec<Opened> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|r| this.open_one(r.as_stored()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        (0..chunk)
                            .map(|_| Ok(Err("the opening thread failed".to_string())))
                            .collect()
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity(batch.len());
        for (row, result) in batch.iter().zip(results) {
            match result? {
                Ok(answers) => out.push(Some(answers)),
                Err(reason) => {
                    self.quarantined.push(Quarantined {
                        submission_id: row.submission_id.clone(),
                        reason,
                    });
                    out.push(None);
                }
            }
        }
        Ok(out)
    }

    /// One response, without touching the quarantine list: the answers,
    /// or the reason it is quarantined; an error as [`Opener::open`] gives.
    fn open_one(&self, row: StoredResponse<'_>) -> Result<Result<Answers, String>, StoreError> {
        match row.body {
            StoredBody::Plain(text) => {
                store::decode_answers(text)
                    .map(Ok)
                    .map_err(|message| StoreError::Corrupt {
                        survey: self.survey_id.clone(),
                        message,
                    })
            }
            StoredBody::Sealed { .. } if self.keys.is_empty() => Err(StoreError::Sealed {
                survey: self.survey_id.clone(),
            }),
            StoredBody::Sealed { key_id, envelope } => Ok(self.open_sealed(row, key_id, envelope)),
        }
    }

    /// The answers of one stored response: `Ok(None)` when it was
    /// quarantined; an error when the database itself is wrong (a
    /// plaintext row that does not decode) or when a sealed row meets an
    /// opener without keys.
    pub fn open(&mut self, row: StoredResponse<'_>) -> Result<Option<Answers>, StoreError> {
        match self.open_one(row)? {
            Ok(answers) => Ok(Some(answers)),
            Err(reason) => {
                self.quarantined.push(Quarantined {
                    submission_id: row.submission_id.to_string(),
                    reason,
                });
                Ok(None)
            }
        }
    }

    fn open_sealed(
        &self,
        row: StoredResponse<'_>,
        key_id: &str,
        envelope: &[u8],
    ) -> Result<Answers, String> {
        let key = seal::KeyId::parse(key_id)
            .and_then(|id| self.keys.get(&id))
            .ok_or_else(|| {
                format!(
                    "sealed to key {}, which was not given (--key)",
                    seal::KeyId::parse(key_id)
                        .map_or_else(|| key_id.to_string(), |k| k.fingerprint())
                )
            })?;
        let version = u32::try_from(row.survey_version)
            .map_err(|_| format!("stored with version {}", row.survey_version))?;
        let answers = surveys::sealing::open_answers(
            key,
            &self.survey_id,
            version,
            row.submission_id,
            envelope,
        )
        .map_err(|e| e.to_string())?;
        let engine = self.engines.get(&version).ok_or_else(|| {
            format!("version {version} of the survey is not known here, so its answers cannot be validated")
        })?;
        // Validated as on the day it arrived (date rules such as "not in
        // the future" held then).
        let day: Date = row
            .received_day
            .parse()
            .map_err(|_| format!("stored with the day `{}`", row.received_day))?;
        engine
            .validate(&answers, day)
            .map(surveys::ValidResponse::into_answers)
            .map_err(|errors| {
                let list: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.question, e.problem.message("en")))
                    .collect();
                format!("the answers do not fit the survey: {}", list.join("; "))
            })
    }
}
