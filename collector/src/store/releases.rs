//! Published results: the releases of a survey, for `/results` and
//! `chorus budget`.

use super::{Store, StoreError};

/// A release as listed on a survey's results page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSummary {
    pub release_id: String,
    pub published_day: String,
}

impl Store {
    /// Every release of a survey, newest first.
    pub fn list_releases(&mut self, survey_id: &str) -> Result<Vec<ReleaseSummary>, StoreError> {
        self.read(|tx| tx.releases(survey_id))
    }

    /// One stored release of a survey: `(report_json, report_html)`.
    pub fn release(
        &mut self,
        survey_id: &str,
        release_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.read(|tx| tx.release(survey_id, release_id))
    }
}
