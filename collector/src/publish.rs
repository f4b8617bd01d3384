//! The publication use case: a survey's planned tables released through
//! noise, charging its privacy budget. `chorus publish` runs it on a local
//! database; the benchmark runs the same code.

use rand::{CryptoRng, RngCore};
use surveys::{Epsilon, Survey};

use crate::db;
use crate::opening::Opener;

/// Why a publish failed: a refusal from analysis or a database problem.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    #[error(transparent)]
    Budget(#[from] analysis::budget::BudgetError),
    #[error(transparent)]
    Store(#[from] db::StoreError),
}

/// A stored release and everything rendered from it.
#[derive(Debug)]
pub struct Published {
    pub release: db::Release,
    pub report: analysis::Report,
    /// `(language, page)` for every language of the survey.
    pub pages: Vec<(String, String)>,
    /// `(table id, csv)` for every table.
    pub csvs: Vec<(String, String)>,
    pub description: String,
}

/// The whole publication, the same for `chorus publish` and the benchmark:
/// stored responses become answers through `opener` (sealed ones opened
/// with the researcher's key, failures quarantined);
/// resolve the plan and its charge (before the database is touched), then in
/// one transaction check the budget, charge it, read every response, add
/// noise and store the release (its JSON and default-language page); the
/// other pages and the CSVs are rendered after the commit.
pub fn publish_release<R: RngCore + CryptoRng>(
    conn: &mut rusqlite::Connection,
    survey: &Survey,
    epsilon: Option<Epsilon>,
    day: &str,
    opener: &mut Opener,
    rng: &mut R,
) -> Result<Published, PublishError> {
    let plan = analysis::prepare(survey, epsilon)?;
    let charge = plan.charge();
    let description = plan.describe();
    let mut report = None;
    let release = db::publish::<PublishError>(
        conn,
        &survey.id,
        db::Charge {
            epsilon: charge.epsilon,
            delta: charge.delta,
        },
        day,
        &description,
        |spent| {
            analysis::budget::check_spend(survey.privacy_budget, spent, charge.epsilon)?;
            Ok(())
        },
        |row| opener.open(row),
        // Inside the write transaction: only what is stored.
        |cx, responses| {
            let meta = analysis::ReleaseMeta {
                release_id: cx.release_id.clone(),
                published: cx.day.clone(),
            };
            let r = analysis::build_report(plan, responses, meta, rng)?;
            let release = db::Release {
                release_id: cx.release_id.clone(),
                json: analysis::render_json(&r),
                html: analysis::render_html(&r, &survey.default_language),
            };
            report = Some(r);
            Ok(release)
        },
    )?;
    let report = report.ok_or_else(|| {
        PublishError::Store(db::StoreError::Corrupt {
            survey: survey.id.clone(),
            message: "the report was not built".into(),
        })
    })?;
    // After the commit, so the write lock is not held for rendering.
    let pages = survey
        .languages
        .iter()
        .map(|lang| {
            let page = if *lang == survey.default_language {
                release.html.clone()
            } else {
                analysis::render_html(&report, lang)
            };
            (lang.clone(), page)
        })
        .collect();
    let csvs = report
        .tables
        .iter()
        .map(|t| (t.id.clone(), analysis::render_csv(&report, t)))
        .collect();
    Ok(Published {
        release,
        report,
        pages,
        csvs,
        description,
    })
}

