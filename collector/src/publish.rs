//! The publication use case: a survey's planned tables released through
//! noise, charging its privacy budget. `chorus publish` runs it on a local
//! database; the benchmark runs the same code.

use rand::{CryptoRng, RngCore};
use surveys::{Epsilon, Survey};

use crate::opening::Opener;
use crate::store;

/// Why a publish failed: a refusal from analysis or a database problem.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    #[error(transparent)]
    Budget(#[from] analysis::budget::BudgetError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// A stored release and everything rendered from it.
#[derive(Debug)]
pub struct Published {
    pub release: store::Release,
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
    conn: &mut store::Store,
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
    let release = conn.publish::<PublishError>(
        &survey.id,
        store::Charge {
            epsilon: charge.epsilon,
            delta: charge.delta,
        },
        day,
        &description,
        |spent| {
            analysis::budget::check_spend(survey.privacy_budget, spent, charge.epsilon)?;
            Ok(())
        },
        |batch| opener.open_batch(batch),
        // Inside the write transaction: only what is stored.
        |cx, responses| {
            let (release, r) =
                build_release(survey, plan, &cx.release_id, &cx.day, responses, rng)?;
            report = Some(r);
            Ok(release)
        },
    )?;
    let report = report.ok_or_else(|| {
        PublishError::Store(store::StoreError::Corrupt {
            survey: survey.id.clone(),
            message: "the report was not built".into(),
        })
    })?;
    // After the commit, so the write lock is not held for rendering.
    Ok(render_release(survey, release, report, description))
}

/// The report of one release: noise added to `plan`'s tables over
/// `responses` (read once, as a stream), rendered as the JSON and the
/// default-language page that are stored. `release_id` and `day` come
/// from the charge: the local publish transaction, or a remote
/// collector's ledger when the release is built on the researcher's
/// computer (`chorus publish --from`).
pub fn build_release<R: RngCore + CryptoRng>(
    survey: &Survey,
    plan: analysis::report::Plan<'_>,
    release_id: &str,
    day: &str,
    responses: impl IntoIterator<Item = surveys::Answers>,
    rng: &mut R,
) -> Result<(store::Release, analysis::Report), analysis::AnalysisError> {
    let meta = analysis::ReleaseMeta {
        release_id: release_id.to_string(),
        published: day.to_string(),
    };
    let report = analysis::build_report(plan, responses, meta, rng)?;
    let release = store::Release {
        release_id: release_id.to_string(),
        json: analysis::render_json(&report),
        html: analysis::render_html(&report, &survey.default_language),
    };
    Ok((release, report))
}

/// Everything else rendered from a built release: a page per survey
/// language (the default one as stored) and a CSV per table.
pub fn render_release(
    survey: &Survey,
    release: store::Release,
    report: analysis::Report,
    description: String,
) -> Published {
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
    Published {
        release,
        report,
        pages,
        csvs,
        description,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rand::SeedableRng;

    use super::*;

    const SURVEY: &str = r#"
id = "incidents"
version = 1
languages = ["en", "ru"]
privacy_budget = 2
title = { en = "Incidents", ru = "Случаи" }

[[questions]]
id = "incidents"
type = "repeat"
label = { en = "Incidents", ru = "Случаи" }
max = 3

[[questions.questions]]
id = "where"
type = "single_choice"
required = true
label = { en = "Where?", ru = "Где?" }
choices = [
  { id = "street", label = { en = "Street", ru = "Улица" } },
  { id = "clinic", label = { en = "Clinic", ru = "Клиника" } },
]

[publication]
[[publication.tables]]
id = "incidents"
question = "incidents"
statistic = "instances"
epsilon = 0.5

[[publication.tables]]
id = "where"
question = "where"
statistic = "counts"
epsilon = 0.5
"#;

    /// `chorus publish`'s path on a local database: a plan over a repeat's
    /// instances is charged, noised with Δ₁ = max and published with its note.
    #[test]
    fn a_plan_over_instances_publishes_through_the_store() {
        let survey = surveys::parse_survey(SURVEY).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut conn = store::Store::open(&dir.path().join("t.db").into()).unwrap();
        let body = |n: usize| {
            let instances: Vec<_> = (0..n)
                .map(|_| serde_json::json!({"where": "street"}))
                .collect();
            serde_json::json!({ "incidents": instances }).to_string()
        };
        // Two valid responses, and one with more instances than `max`, stored
        // here without the check on arrival: plaintext rows are not
        // validated again, so it reaches analysis, which reads only its
        // first 3 instances.
        let rows: Vec<store::NewResponse> = [1, 3, 5]
            .iter()
            .enumerate()
            .map(|(i, &n)| store::NewResponse {
                submission_id: format!("id-{i}"),
                survey_id: "incidents".into(),
                survey_version: 1,
                received_day: "2026-01-03".into(),
                body: store::Body::Plain(body(n)),
            })
            .collect();
        conn.insert_responses(&rows).unwrap();
        let mut opener = Opener::new(&survey, &[], Vec::new());
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let published = publish_release(
            &mut conn,
            &survey,
            None,
            "2026-02-01",
            &mut opener,
            &mut rng,
        )
        .unwrap();
        assert!(opener.quarantined().is_empty());
        assert_eq!(published.report.epsilon, "1".parse().unwrap());
        let t = |id: &str| published.report.tables.iter().find(|t| t.id == id).unwrap();
        for id in ["incidents", "where"] {
            let over = t(id).over_instances.as_ref().expect("over instances");
            assert_eq!((over.repeat.as_str(), over.max), ("incidents", 3));
            // Δ₁ = 3 at ε = 0.5: scale 6.
            assert_eq!(t(id).parts[0].sensitivity_l1, 3);
            assert_eq!(t(id).parts[0].scale.as_deref(), Some("6"));
        }
        assert!(published.release.json.contains("\"over_instances\""));
        let page = |lang: &str| &published.pages.iter().find(|(l, _)| l == lang).unwrap().1;
        assert!(page("en").contains("one person could give up to 3"));
        assert!(page("ru").contains("один человек мог указать до 3"));
    }
}
