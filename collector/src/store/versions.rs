//! Surveys as served: every version the collector has served (so a late
//! answer is validated against the text its respondent saw), and the
//! lifecycle researchers set (closed by command, or open).

use super::{Lock, Store, StoreError, Txn};

impl Store {
    /// Records the version of every survey about to be served and returns,
    /// for each, the definitions of its *other* served versions (for
    /// validating late answers). A survey whose definition differs from the
    /// one stored under the same version is refused: its version must be
    /// raised. Collectors starting at once on one database take turns.
    pub fn register_versions<'a>(
        &mut self,
        surveys: impl IntoIterator<Item = &'a surveys::Survey>,
        day: &str,
    ) -> Result<Vec<(String, Vec<surveys::Survey>)>, StoreError> {
        self.write_locked(Lock::Versions, |tx| {
            let mut out = Vec::new();
            for survey in surveys {
                out.push((survey.id.clone(), register(tx, survey, day)?));
            }
            Ok(out)
        })
    }

    /// The versions of a survey the collector has served, ascending.
    pub fn served_versions(&mut self, survey_id: &str) -> Result<Vec<u32>, StoreError> {
        self.read(|tx| {
            Ok(tx
                .versions(survey_id)?
                .into_iter()
                .map(|(v, ..)| v)
                .collect())
        })
    }

    /// Every served version of a survey as stored (the definitions its
    /// answers were given to), ascending; versions this build cannot read
    /// are left out.
    pub fn survey_definitions(
        &mut self,
        survey_id: &str,
    ) -> Result<Vec<surveys::Survey>, StoreError> {
        self.read(|tx| {
            Ok(tx
                .versions(survey_id)?
                .into_iter()
                .filter_map(|(_, definition, _)| serde_json::from_str(&definition).ok())
                .collect())
        })
    }

    /// Closes (`closed = true`, recording `day`) or reopens a survey by
    /// command. Every collector on the database sees it at its next group.
    pub fn set_closed(
        &mut self,
        survey_id: &str,
        closed: bool,
        day: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| tx.set_closed_day(survey_id, closed.then_some(day)))
    }

    /// The day a survey was closed by command; `None` while it is open. (A
    /// survey may also be closed by the `closes` day in its file.)
    pub fn closed_day(&mut self, survey_id: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| tx.closed_day(survey_id))
    }
}

/// Registers one survey's version; returns its other served versions.
fn register(
    tx: &mut dyn Txn,
    survey: &surveys::Survey,
    day: &str,
) -> Result<Vec<surveys::Survey>, StoreError> {
    let mut others = Vec::new();
    let mut seen = false;
    for (version, definition, _) in tx.versions(&survey.id)? {
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
                // An older version this build cannot read: late answers to
                // it are refused as an unknown version.
                tracing::warn!(survey = %survey.id, version, problem = %e,
                    "a stored survey version cannot be read; late answers to it will be refused");
                continue;
            }
        };
        if version == survey.version {
            // Compared as values, so a model field added with a default
            // does not count as a change.
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
    if !seen {
        let definition = serde_json::to_string(survey).map_err(|e| StoreError::StoredVersion {
            survey: survey.id.clone(),
            version: survey.version,
            message: e.to_string(),
        })?;
        tx.insert_version(&survey.id, survey.version, &definition, day)?;
    }
    Ok(others)
}
