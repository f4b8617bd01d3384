//! The published report: what [`build_report`] makes from a survey and its
//! responses, and its two renderings, [`render_json`] and [`render_html`].
//!
//! # What is published
//!
//! One table per single-choice and multiple-choice question, with a cell for
//! **every** option, zero counts included (leaving out empty options would
//! reveal that they are empty). Free-text (`short_text`) answers are never
//! published; integer questions are not published in this version. The
//! number of respondents is not published either, not even in error
//! messages: every check on the input is made before a single response is
//! read.
//!
//! # How
//!
//! The release's ε is split equally, as an exact fraction, between the
//! tables; by sequential composition the whole release is then
//! ε-differentially private. Each table's counts have L1 sensitivity 1
//! (single choice: one respondent adds one to one cell) or the number of
//! options (multiple choice: one respondent may tick them all), and every
//! cell gets independent discrete-Laplace noise of scale sensitivity / ε
//! (see [`crate::noise`]). The report keeps the raw noisy count (which can be
//! negative) and, for display, the count clamped at 0; clamping is
//! post-processing and costs no privacy.

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use surveys::{Answers, Epsilon, Survey, Text};

use crate::aggregate::Tally;
use crate::budget::BudgetError;
use crate::noise::DiscreteLaplace;

mod html;

pub use html::render_html;

/// The value of [`Report::schema`] for this layout.
pub const SCHEMA: &str = "chorus.report/1";

/// The value of [`Report::mechanism`].
pub const MECHANISM: &str = "discrete_laplace";

/// What identifies one publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMeta {
    /// A name for this release, unique per survey (for example `2025-1`).
    pub release_id: String,
    /// The publication date, `YYYY-MM-DD`.
    pub published: String,
    /// The ε this release spends; it must already have passed
    /// [`crate::budget::check_spend`] against the survey's ledger.
    pub epsilon: Epsilon,
}

/// A published report. Every number in it carries noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub title: Text,
    pub languages: Vec<String>,
    pub default_language: String,
    pub release_id: String,
    /// `YYYY-MM-DD`.
    pub published: String,
    /// The ε of the whole release: the sum of the tables' ε.
    pub epsilon: Epsilon,
    /// Always [`MECHANISM`].
    pub mechanism: String,
    pub tables: Vec<Table>,
}

/// The noisy counts for one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The question id.
    pub question: String,
    /// `single_choice` or `multiple_choice`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The question, in every language of the survey.
    pub label: Text,
    /// The share of the release's ε spent on this table.
    pub epsilon: Epsilon,
    /// L1 sensitivity of the table's counts under adding or removing one
    /// respondent.
    pub sensitivity: u64,
    /// The discrete-Laplace scale, sensitivity / ε, as `2`, `0.5` or `4/3`.
    pub scale: String,
    /// The smallest m with P(|noise| ≤ m) ≥ 0.95.
    pub margin95: u64,
    /// One cell per option, in the survey's order.
    pub cells: Vec<Cell>,
}

/// One option's noisy count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The choice id.
    pub choice: String,
    /// The option, in every language of the survey.
    pub label: Text,
    /// Count plus noise, unclamped: unbiased, possibly negative.
    pub noisy: i64,
    /// `max(0, noisy)`: what is shown to readers.
    pub value: u64,
}

/// Why a report could not be made. No message depends on the responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error(
        "the survey has no single-choice or multiple-choice question, so there is nothing to publish (free-text answers are never published; number questions are not published in this version)"
    )]
    NothingToPublish,
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error("ε = {requested} is more than the survey's whole privacy budget of {total}")]
    ExceedsBudget { requested: Epsilon, total: Epsilon },
    #[error(
        "ε = {epsilon} cannot be split exactly between {tables} tables: the fraction becomes too precise; choose a simpler ε such as 1 or 0.5"
    )]
    EpsilonSplit { epsilon: Epsilon, tables: usize },
    #[error(
        "question `{question}`: the noise scale for ε = {epsilon} and sensitivity {sensitivity} is too large to represent exactly; choose a simpler ε such as 1 or 0.5"
    )]
    Scale {
        question: String,
        epsilon: Epsilon,
        sensitivity: u64,
    },
    #[error("release date `{0}` is not a date in the form YYYY-MM-DD")]
    BadDate(String),
    #[error(
        "release id `{0}` is not usable: it must be 1 to 100 characters with no control characters"
    )]
    BadReleaseId(String),
}

/// Counts `responses` for every single- and multiple-choice question of
/// `survey`, adds discrete-Laplace noise to every cell, and returns the
/// report for the release described by `meta`.
///
/// `responses` is read once, as a stream; it should hold responses that
/// passed `surveys::validate`, but the privacy guarantee does not depend on
/// it (malformed answers are ignored, repeated ticks count once).
///
/// `rng` must be cryptographically secure: in production
/// `rand::rngs::StdRng::from_os_rng()`.
///
/// All checks (date, release id, ε, the survey's budget as a whole, exact
/// arithmetic) happen before the first response is read, so an error reveals
/// nothing about the responses. Checking ε against what earlier releases have
/// spent is the caller's job, with [`crate::budget::check_spend`].
pub fn build_report<R, I>(
    survey: &Survey,
    responses: I,
    meta: ReleaseMeta,
    rng: &mut R,
) -> Result<Report, AnalysisError>
where
    R: RngCore + CryptoRng + ?Sized,
    I: IntoIterator<Item = Answers>,
{
    if !is_date(&meta.published) {
        return Err(AnalysisError::BadDate(meta.published));
    }
    let id_len = meta.release_id.chars().count();
    if !(1..=100).contains(&id_len) || meta.release_id.chars().any(char::is_control) {
        return Err(AnalysisError::BadReleaseId(meta.release_id));
    }
    if meta.epsilon.is_zero() {
        return Err(BudgetError::ZeroEpsilon.into());
    }
    if meta.epsilon > survey.privacy_budget {
        return Err(AnalysisError::ExceedsBudget {
            requested: meta.epsilon,
            total: survey.privacy_budget,
        });
    }

    let mut tally = Tally::new(survey);
    let tables = tally.questions.len();
    if tables == 0 {
        return Err(AnalysisError::NothingToPublish);
    }
    let split_error = || AnalysisError::EpsilonSplit {
        epsilon: meta.epsilon,
        tables,
    };
    let each = u64::try_from(tables)
        .ok()
        .and_then(|k| meta.epsilon.checked_div_int(k))
        .ok_or_else(split_error)?;
    let mechanisms = tally
        .questions
        .iter()
        .map(|q| {
            DiscreteLaplace::for_epsilon(q.sensitivity(), each).ok_or_else(|| {
                AnalysisError::Scale {
                    question: q.question.id.clone(),
                    epsilon: each,
                    sensitivity: q.sensitivity(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    for answers in responses {
        tally.add(&answers);
    }

    let tables = tally
        .questions
        .iter()
        .zip(&mechanisms)
        .map(|(q, noise)| Table {
            question: q.question.id.clone(),
            kind: q.question.kind.name().to_string(),
            label: q.question.label.clone(),
            epsilon: each,
            sensitivity: q.sensitivity(),
            scale: noise.scale_text(),
            margin95: noise.margin95(),
            cells: q
                .choices
                .iter()
                .zip(&q.counts)
                .map(|(choice, &count)| {
                    let exact = i64::try_from(count).unwrap_or(i64::MAX);
                    let noisy = exact.saturating_add(noise.sample(rng));
                    Cell {
                        choice: choice.id.clone(),
                        label: choice.label.clone(),
                        noisy,
                        value: u64::try_from(noisy).unwrap_or(0),
                    }
                })
                .collect(),
        })
        .collect();

    Ok(Report {
        schema: SCHEMA.to_string(),
        survey_id: survey.id.clone(),
        survey_version: survey.version,
        title: survey.title.clone(),
        languages: survey.languages.clone(),
        default_language: survey.default_language.clone(),
        release_id: meta.release_id,
        published: meta.published,
        epsilon: meta.epsilon,
        mechanism: MECHANISM.to_string(),
        tables,
    })
}

/// The report as pretty-printed JSON.
pub fn render_json(report: &Report) -> String {
    // Serialising these types cannot fail: every map has string keys and
    // every value is a plain string, number or list.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_default();
    out.push('\n');
    out
}

/// Is `s` a calendar date `YYYY-MM-DD` (Gregorian, leap years included)?
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
