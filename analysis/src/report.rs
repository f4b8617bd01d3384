//! The published report: what [`prepare`] and [`build_report`] make from a
//! survey and its responses, and its renderings, [`render_json`],
//! [`render_csv`] and [`render_html`].
//!
//! # What is published
//!
//! With a publication plan in the survey file, exactly its tables, each with
//! its own ε and mechanism. Without one, the counts of every single- and
//! multiple-choice question, the ε given at publish time split equally.
//! Every declared cell gets noise, empty ones included. Free text is never
//! published. See `docs/method.md` for the whole method.
//!
//! # What it costs
//!
//! [`Plan::charge`] is what a release is charged against the survey's
//! budget: the sum of the ε of its discrete-Laplace tables (pure ε-DP, by
//! sequential composition) plus, when it has discrete-Gaussian tables, their
//! zCDP ρ (ρ = ε²/2 per table, summed) converted to (ε′, δ)-DP with
//! ε′ = ρ + 2√(ρ·ln(1/δ)) at δ = 10⁻⁶ and rounded up to a millionth. The
//! release is then (charge, δ)-DP, with δ = 0 when it has no Gaussian table.
//!
//! # Post-processing
//!
//! After noise only, so it costs no privacy: negative values shown as 0;
//! totals (a cross-tab's row and column totals, the number answering a
//! single-choice question) are sums of the values shown, so they agree with
//! the cells; means and quantiles are computed from noisy values, and the
//! quartiles' approximate margins by a parametric bootstrap that re-noises
//! the released histogram (see [`QuantileRow`]); RDS-II shares are ratios
//! of the noisy weighted sums, with approximate margins by the same
//! bootstrap (see [`ProportionCell`]). The JSON
//! keeps every raw noisy value (possibly negative) for unbiased re-analysis.
//! A value whose noisy value is below the survey's `small_cell_threshold` is
//! marked `suppressed` and shown as "< threshold": decided on the noisy value
//! only.

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use surveys::{Answers, Epsilon, Mechanism, Survey, Text};

use crate::aggregate::{self, Body, Spec};
use crate::budget::BudgetError;
use crate::noise::{DiscreteGaussian, DiscreteLaplace, Noise};

mod csv;
mod html;

pub use csv::render_csv;
pub use html::{render_html, ui_language};

/// The value of [`Report::schema`] for this layout.
pub const SCHEMA: &str = "chorus.report/2";

/// δ of the (ε, δ) statement for releases with discrete-Gaussian tables.
pub const GAUSSIAN_DELTA: f64 = 1e-6;

/// What identifies one publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMeta {
    /// A name for this release, unique per survey (for example `2025-03-01.1`).
    pub release_id: String,
    /// The publication date, `YYYY-MM-DD`.
    pub published: String,
}

/// What a release costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    /// Charged against the budget: `laplace + gaussian_epsilon`.
    pub epsilon: Epsilon,
    /// The sum of the discrete-Laplace tables' ε.
    pub laplace: Epsilon,
    /// The sum of the discrete-Gaussian tables' ρ (zCDP), if any.
    pub rho: Option<Epsilon>,
    /// ρ converted to ε at δ = [`GAUSSIAN_DELTA`], rounded up.
    pub gaussian_epsilon: Option<Epsilon>,
    /// δ of the release: [`GAUSSIAN_DELTA`] with Gaussian tables, else 0.
    pub delta: f64,
}

impl Charge {
    /// One line for the ledger.
    pub fn describe(&self, tables: usize, declared: bool) -> String {
        let what = if declared {
            format!("{tables} planned tables")
        } else {
            format!("counts of {tables} choice questions (no plan)")
        };
        match (self.rho, self.gaussian_epsilon) {
            (Some(rho), Some(eg)) => format!(
                "{what}; discrete Laplace ε = {}, discrete Gaussian ρ = {rho} (zCDP) charged as ε = {eg} at δ = 1e-6",
                self.laplace
            ),
            _ => format!("{what}; discrete Laplace ε = {}", self.laplace),
        }
    }
}

/// A release resolved against its survey, checked, ready to read responses.
#[derive(Debug)]
pub struct Plan<'s> {
    survey: &'s Survey,
    specs: Vec<Spec<'s>>,
    noises: Vec<Vec<Noise>>,
    declared: bool,
    charge: Charge,
}

impl Plan<'_> {
    /// What this release will be charged.
    pub fn charge(&self) -> Charge {
        self.charge
    }

    pub fn table_count(&self) -> usize {
        self.specs.len()
    }

    /// The ledger line for this release.
    pub fn describe(&self) -> String {
        self.charge.describe(self.specs.len(), self.declared)
    }
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
    /// The ε charged to the survey's budget for this release.
    pub epsilon: Epsilon,
    /// δ of the (ε, δ) guarantee: 0 unless a table is discrete Gaussian.
    pub delta: f64,
    /// Total zCDP ρ of the discrete-Gaussian tables, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<Epsilon>,
    /// `declared` (the survey's publication plan) or `default`.
    pub plan: String,
    /// `discrete_laplace`, `discrete_gaussian` or `mixed`.
    pub mechanism: String,
    /// Values whose noisy value is below this are shown as "< threshold".
    pub small_cell_threshold: u32,
    pub tables: Vec<Table>,
}

/// One table of the release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The plan's table id (the question id in the default plan).
    pub id: String,
    /// The question aggregated; absent for `total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The question's type (`single_choice`, …); absent for `total`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `total`, `counts`, `instances`, `mean`, `histogram`, `quantiles`,
    /// `first_choice`, `mean_rank`, `rds_proportion`.
    pub statistic: String,
    /// Present when the table counts a repeat's instances (`instances`, or
    /// `counts` of a question inside a repeat) rather than respondents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_instances: Option<OverInstances>,
    /// The question, in every language of the survey (for `total`: "Respondents").
    pub label: Text,
    /// The `by` questions of a cross-tab; each cell's `group` has one id per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<Breakdown>,
    /// The columns of `cells` (options, scale points, bins, …).
    pub columns: Vec<Column>,
    /// This table's ε (for a Gaussian table, ρ = ε²/2 is what it spends).
    pub epsilon: Epsilon,
    /// `discrete_laplace` or `discrete_gaussian`.
    pub mechanism: String,
    /// zCDP ρ = ε²/2 of a Gaussian table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<Epsilon>,
    /// The noised vectors, their sensitivity and noise.
    pub parts: Vec<PartInfo>,
    /// The 95% margin of every value in `cells`.
    pub margin95: u64,
    /// Noisy counts, group-major then column. For `rds_proportion`: the
    /// noisy weighted sums, in units of 1/`rds.unit` (see [`RdsInfo`]), and
    /// `margin95` is in the same units.
    pub cells: Vec<Cell>,
    /// Totals computed from the values shown (consistent with the cells).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub totals: Vec<Total>,
    /// Means (`mean`: one per group; `mean_rank`: one per option and group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub means: Vec<MeanCell>,
    /// Quartiles from the noisy histogram, one row per group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<QuantileRow>,
    /// `rds_proportion` only: the degree question and the weights' unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds: Option<RdsInfo>,
    /// `rds_proportion` only: the RDS-II estimate of each option's share,
    /// one per cell (same order), from the noisy weighted sums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proportions: Vec<ProportionCell>,
}

/// How an `rds_proportion` table weighs its respondents (RDS-II,
/// Volz–Heckathorn): a respondent whose answer to `degree` is d (clamped to
/// `[degree_min, degree_max]`) adds the weight round(`unit`/d) to the cell of
/// their option, so a cell is Σ 1/dᵢ in units of 1/`unit`. One respondent
/// adds at most round(`unit`/`degree_min`): the sensitivity in `parts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RdsInfo {
    /// The network-size question.
    pub degree: String,
    pub label: Text,
    pub degree_min: i64,
    pub degree_max: i64,
    /// Weights are in units of 1/unit; unit = 1000 · `degree_max`.
    pub unit: i64,
    /// A cell or share is `suppressed` when its noisy weighted sum is below
    /// this: the threshold times the largest weight, round(unit/degree_min)
    /// (the weighted sum counted in respondents of the smallest degree).
    pub suppressed_below: i64,
    /// How `margin95_approx` was made, in words ([`RDS_BOOTSTRAP_METHOD`]).
    pub margin95_approx_method: String,
}

/// An RDS-II estimated share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProportionCell {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    pub choice: String,
    /// The cell's shown weighted sum divided by the sum of its group's shown
    /// weighted sums (each max(0, noisy)); absent when that sum is 0.
    pub proportion: Option<f64>,
    /// Approximate ± 95% margin of `proportion`, **simulated**: a parametric
    /// bootstrap that re-noises the group's shown weighted sums
    /// [`BOOTSTRAP_RUNS`] times with the table's own noise and takes the
    /// 95th percentile of |re-estimate − estimate| (a re-estimate with an
    /// empty group counts as 1). Covers the noise only, not the sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin95_approx: Option<f64>,
    /// The noisy weighted sum is below `rds.suppressed_below`.
    pub suppressed: bool,
}

/// The repeat whose instances a table counts. One respondent can add up to
/// `max` instances, so the table's sensitivities (in `parts`) are `max`
/// times those of one answer (Δ₂² max² times), and its noise and margins
/// are scaled up by that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverInstances {
    /// The repeat's question id.
    pub repeat: String,
    pub label: Text,
    /// The repeat's declared most instances: no more of a response's
    /// instances are counted (the first ones, as stored).
    pub max: u64,
}

/// A `by` question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub question: String,
    pub label: Text,
    pub options: Vec<Column>,
}

/// An id with its label in every language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub id: String,
    pub label: Text,
}

/// One noised vector of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartInfo {
    /// `count` or `sum`.
    pub name: String,
    /// Under adding or removing one respondent.
    pub sensitivity_l1: u64,
    pub sensitivity_l2_squared: u64,
    /// The share of the table's ε (Laplace) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<Epsilon>,
    /// … or of its ρ (Gaussian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<Epsilon>,
    /// Discrete-Laplace scale Δ₁/ε, as `2`, `0.5` or `4/3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// Discrete-Gaussian σ² = Δ₂²/(2ρ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma2: Option<String>,
    /// The smallest m with P(|noise| ≤ m) ≥ 0.95, exact for the distribution.
    pub margin95: u64,
}

/// One noisy count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The `by` option ids, one per breakdown (empty without `by`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    /// The column id.
    pub choice: String,
    /// Count plus noise, unclamped: unbiased, possibly negative.
    pub noisy: i64,
    /// `max(0, noisy)`: what is shown.
    pub value: u64,
    /// `noisy` is below the small-cell threshold: shown as "< threshold".
    pub suppressed: bool,
}

/// A total made from the values shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Total {
    /// `columns` (one group, over its columns), `groups` (one column, over
    /// the groups) or `all`.
    pub over: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// The sum of the shown values it covers.
    pub value: u64,
    /// The sum of the raw noisy values it covers (unbiased).
    pub noisy: i64,
    /// 95% margin of the sum of the raw noisy values (numerical convolution).
    pub margin95: u64,
    pub suppressed: bool,
}

/// A noisy mean (`mean`) or mean rank (`mean_rank`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeanCell {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    /// The option (mean_rank only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// The noisy sum, in the table's units (see `docs/method.md`).
    pub noisy_sum: i64,
    /// The noisy number of answers.
    pub noisy_count: i64,
    /// The estimate, clamped to the bounds; absent when the noisy count ≤ 0.
    pub mean: Option<f64>,
    /// An interval holding the true mean with probability ≥ 95%.
    pub low95: f64,
    pub high95: f64,
    /// The noisy count is below the small-cell threshold.
    pub suppressed: bool,
}

/// Quartiles estimated from a group's noisy histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantileRow {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    /// The sum of the shown bin values.
    pub n: u64,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    /// Approximate ± 95% margins of `q1`, `median` and `q3`, **simulated**
    /// (not exact like the counts' margins): a parametric bootstrap that
    /// re-noises the released bins [`BOOTSTRAP_RUNS`] times with the table's
    /// own noise distribution and takes the 95th percentile of
    /// |re-estimate − estimate|. Post-processing only; covers the noise only.
    /// Absent when the estimate is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q1_margin95_approx: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_margin95_approx: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q3_margin95_approx: Option<f64>,
    /// How the `*_margin95_approx` were made, in words ([`BOOTSTRAP_METHOD`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub margin95_approx_method: String,
    pub suppressed: bool,
}

/// How many times the quartiles' bootstrap re-noises a histogram.
pub const BOOTSTRAP_RUNS: usize = 400;

/// [`QuantileRow::margin95_approx_method`].
pub const BOOTSTRAP_METHOD: &str = "approximate, simulated: parametric bootstrap, 400 re-noisings of the released bins with the table's noise distribution; 95th percentile of |re-estimate - estimate|; covers the noise only";

/// [`RdsInfo::margin95_approx_method`].
pub const RDS_BOOTSTRAP_METHOD: &str = "approximate, simulated: parametric bootstrap, 400 re-noisings of the group's released weighted sums with the table's noise distribution; 95th percentile of |re-estimate - estimate|; covers the noise only";

/// Why a report could not be made. No message depends on the responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error(
        "the survey has no publication plan and no single-choice or multiple-choice question, so there is nothing to publish (free-text answers are never published)"
    )]
    NothingToPublish,
    #[error(
        "the survey has no publication plan, so give the ε to spend with --epsilon (it is split equally between the choice questions)"
    )]
    EpsilonNeeded,
    #[error(
        "--epsilon {given} does not match this release's charge of ε = {charge} ({what}); leave --epsilon out or give exactly {charge}"
    )]
    EpsilonMismatch {
        given: Epsilon,
        charge: Epsilon,
        what: String,
    },
    #[error("publication table `{table}`: {message}")]
    Plan { table: String, message: String },
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error("ε = {requested} is more than the survey's whole privacy budget of {total}")]
    ExceedsBudget { requested: Epsilon, total: Epsilon },
    #[error(
        "ε = {epsilon} cannot be split exactly between {tables} tables: the fraction becomes too precise; choose a simpler ε such as 1 or 0.5"
    )]
    EpsilonSplit { epsilon: Epsilon, tables: usize },
    #[error(
        "table `{table}`: the noise for ε = {epsilon} and sensitivity {sensitivity} is too large to represent exactly; choose a simpler ε such as 1 or 0.5"
    )]
    Scale {
        table: String,
        epsilon: Epsilon,
        sensitivity: u64,
    },
    #[error("the plan's ε values are too large to add up exactly; choose simpler values")]
    Overflow,
    #[error("release date `{0}` is not a date in the form YYYY-MM-DD")]
    BadDate(String),
    #[error(
        "release id `{0}` is not usable: it must be 1 to 100 characters with no control characters"
    )]
    BadReleaseId(String),
}

/// ρ = ε²/2, exactly.
fn rho_of(e: Epsilon) -> Option<Epsilon> {
    let n = e.numerator().checked_mul(e.numerator())?;
    let d = e
        .denominator()
        .checked_mul(e.denominator())?
        .checked_mul(2)?;
    Epsilon::new(n, d)
}

/// ε′ = ρ + 2√(ρ·ln(1/δ)) at δ = 10⁻⁶, rounded *up* to a millionth (plus one
/// millionth against floating-point error), so the charge is never less
/// than the true conversion.
pub fn zcdp_to_epsilon(rho: Epsilon) -> Option<Epsilon> {
    let r = rho.to_f64();
    let e = r + 2.0 * (r * (1.0 / GAUSSIAN_DELTA).ln()).sqrt();
    let millionths = (e * 1e6).ceil() + 1.0;
    if !millionths.is_finite() || millionths >= 1.8e19 {
        return None;
    }
    Epsilon::new(millionths as u64, 1_000_000)
}

/// Resolves what a release of `survey` publishes and what it costs, before
/// any response is read.
///
/// With a plan, `epsilon` is optional and, when given, must equal the
/// charge (a confirmation). Without one, `epsilon` is required and split
/// equally between the choice questions. The charge must fit in the whole
/// budget (what earlier releases spent is checked by the caller, with
/// [`crate::budget::check_spend`], inside the publish transaction).
pub fn prepare(survey: &Survey, epsilon: Option<Epsilon>) -> Result<Plan<'_>, AnalysisError> {
    let declared = !survey.publication.tables.is_empty();
    let tables = if declared {
        survey.publication.tables.clone()
    } else {
        let e = epsilon.ok_or(AnalysisError::EpsilonNeeded)?;
        if e.is_zero() {
            return Err(BudgetError::ZeroEpsilon.into());
        }
        let k = aggregate::default_table_count(survey);
        if k == 0 {
            return Err(AnalysisError::NothingToPublish);
        }
        let each = u64::try_from(k)
            .ok()
            .and_then(|k| e.checked_div_int(k))
            .ok_or(AnalysisError::EpsilonSplit {
                epsilon: e,
                tables: k,
            })?;
        aggregate::default_tables(survey, each)
    };

    let mut specs = Vec::with_capacity(tables.len());
    let mut noises = Vec::with_capacity(tables.len());
    let mut laplace = Epsilon::ZERO;
    let mut rho_total: Option<Epsilon> = None;
    for table in &tables {
        if table.epsilon.is_zero() {
            return Err(AnalysisError::Plan {
                table: table.id.clone(),
                message: "`epsilon` must be greater than 0".into(),
            });
        }
        let spec = Spec::new(survey, table)?;
        let parts = u64::try_from(spec.parts.len()).unwrap_or(u64::MAX);
        let scale_err = |sensitivity: u64| AnalysisError::Scale {
            table: table.id.clone(),
            epsilon: table.epsilon,
            sensitivity,
        };
        let mut table_noise = Vec::with_capacity(spec.parts.len());
        match table.mechanism {
            Mechanism::Laplace => {
                let share = table
                    .epsilon
                    .checked_div_int(parts)
                    .ok_or_else(|| scale_err(0))?;
                for p in &spec.parts {
                    let d =
                        DiscreteLaplace::for_epsilon(p.l1, share).ok_or_else(|| scale_err(p.l1))?;
                    table_noise.push(Noise::Laplace(d));
                }
                laplace = laplace
                    .checked_add(table.epsilon)
                    .ok_or(AnalysisError::Overflow)?;
            }
            Mechanism::Gaussian => {
                let rho = rho_of(table.epsilon).ok_or_else(|| scale_err(0))?;
                let share = rho.checked_div_int(parts).ok_or_else(|| scale_err(0))?;
                for p in &spec.parts {
                    let d =
                        DiscreteGaussian::for_rho(p.l2sq, share.numerator(), share.denominator())
                            .ok_or_else(|| scale_err(p.l2sq))?;
                    table_noise.push(Noise::Gaussian(d));
                }
                rho_total = Some(match rho_total {
                    None => rho,
                    Some(r) => r.checked_add(rho).ok_or(AnalysisError::Overflow)?,
                });
            }
        }
        specs.push(spec);
        noises.push(table_noise);
    }
    let gaussian_epsilon = match rho_total {
        None => None,
        Some(r) => Some(zcdp_to_epsilon(r).ok_or(AnalysisError::Overflow)?),
    };
    let total = match gaussian_epsilon {
        None => laplace,
        Some(g) => laplace.checked_add(g).ok_or(AnalysisError::Overflow)?,
    };
    let charge = Charge {
        epsilon: total,
        laplace,
        rho: rho_total,
        gaussian_epsilon,
        delta: if rho_total.is_some() {
            GAUSSIAN_DELTA
        } else {
            0.0
        },
    };
    if declared
        && let Some(given) = epsilon
        && given != total
    {
        return Err(AnalysisError::EpsilonMismatch {
            given,
            charge: total,
            what: charge.describe(specs.len(), true),
        });
    }
    if total > survey.privacy_budget {
        return Err(AnalysisError::ExceedsBudget {
            requested: total,
            total: survey.privacy_budget,
        });
    }
    Ok(Plan {
        survey,
        specs,
        noises,
        declared,
        charge,
    })
}

/// Reads `responses` once, as a stream, adds noise from `rng` to every
/// declared cell and returns the report.
///
/// `rng` must be cryptographically secure: in production
/// `rand::rngs::StdRng::from_os_rng()`. Responses should have passed
/// `surveys::validate`, but the privacy guarantee does not depend on it.
/// The date and release id are checked before the first response is read.
pub fn build_report<R, I>(
    plan: Plan<'_>,
    responses: I,
    meta: ReleaseMeta,
    rng: &mut R,
) -> Result<Report, AnalysisError>
where
    R: RngCore + CryptoRng + ?Sized,
    I: IntoIterator<Item = Answers>,
{
    build_with(plan, responses, meta, &mut |noise: &Noise| {
        noise.sample(rng)
    })
}

/// [`build_report`] with the noise source given as a closure: tests stub it
/// to show that what is published depends only on noisy values.
pub(crate) fn build_with<I>(
    mut plan: Plan<'_>,
    responses: I,
    meta: ReleaseMeta,
    draw: &mut dyn FnMut(&Noise) -> i64,
) -> Result<Report, AnalysisError>
where
    I: IntoIterator<Item = Answers>,
{
    if !is_date(&meta.published) {
        return Err(AnalysisError::BadDate(meta.published));
    }
    let id_len = meta.release_id.chars().count();
    if !(1..=100).contains(&id_len) || meta.release_id.chars().any(char::is_control) {
        return Err(AnalysisError::BadReleaseId(meta.release_id));
    }

    for answers in responses {
        for spec in &mut plan.specs {
            spec.add(&answers);
        }
    }

    let survey = plan.survey;
    let threshold = survey.publication.small_cell_threshold;
    let mut tables: Vec<Table> = plan
        .specs
        .iter()
        .zip(&plan.noises)
        .map(|(spec, noises)| make_table(spec, noises, threshold, draw))
        .collect();
    // Post-processing of released values, after every table's noise is drawn
    // (so the bootstrap's draws do not shift the other tables' noise).
    for ((spec, noises), table) in plan.specs.iter().zip(&plan.noises).zip(&mut tables) {
        if let surveys::Statistic::Quantiles { edges } = &spec.table.statistic
            && let Some(noise) = noises.last()
        {
            add_quartile_margins(table, edges, noise, draw);
        }
        if matches!(spec.body, Body::Rds { .. })
            && let Some(noise) = noises.last()
        {
            add_share_margins(table, noise, draw);
        }
    }

    let has_gauss = plan.charge.rho.is_some();
    let has_laplace = !plan.charge.laplace.is_zero();
    let mechanism = match (has_laplace, has_gauss) {
        (true, true) => "mixed",
        (false, true) => "discrete_gaussian",
        _ => "discrete_laplace",
    };
    Ok(Report {
        schema: SCHEMA.to_string(),
        survey_id: survey.id.clone(),
        survey_version: survey.version,
        title: survey.title.clone(),
        languages: survey.languages.clone(),
        default_language: survey.default_language.clone(),
        release_id: meta.release_id,
        published: meta.published,
        epsilon: plan.charge.epsilon,
        delta: plan.charge.delta,
        rho: plan.charge.rho,
        plan: if plan.declared { "declared" } else { "default" }.to_string(),
        mechanism: mechanism.to_string(),
        small_cell_threshold: threshold,
        tables,
    })
}

fn mechanism_name(m: Mechanism) -> &'static str {
    match m {
        Mechanism::Laplace => "discrete_laplace",
        Mechanism::Gaussian => "discrete_gaussian",
    }
}

fn column(o: &aggregate::Opt) -> Column {
    Column {
        id: o.id.clone(),
        label: o.label.clone(),
    }
}

/// Noise for every cell, then post-processing of the noisy values only.
fn make_table(
    spec: &Spec<'_>,
    noises: &[Noise],
    threshold: u32,
    draw: &mut dyn FnMut(&Noise) -> i64,
) -> Table {
    let table = &spec.table;
    let groups = spec.groups();
    let k = spec.columns.len();
    let exact = spec.exact();
    // The noisy vectors, every cell drawn, empty or not. Past this line only
    // `noisy` is read.
    let noisy: Vec<Vec<i64>> = exact
        .iter()
        .zip(noises)
        .map(|(values, noise)| {
            values
                .iter()
                .map(|&v| v.saturating_add(draw(noise)))
                .collect()
        })
        .collect();
    let gaussian = table.mechanism == Mechanism::Gaussian;
    let parts_n = u64::try_from(spec.parts.len()).unwrap_or(1);
    let rho = if gaussian {
        rho_of(table.epsilon)
    } else {
        None
    };
    let parts: Vec<PartInfo> = spec
        .parts
        .iter()
        .zip(noises)
        .map(|(p, n)| PartInfo {
            name: p.name.to_string(),
            sensitivity_l1: p.l1,
            sensitivity_l2_squared: p.l2sq,
            epsilon: (!gaussian)
                .then(|| table.epsilon.checked_div_int(parts_n))
                .flatten(),
            rho: rho.and_then(|r| r.checked_div_int(parts_n)),
            scale: matches!(n, Noise::Laplace(_)).then(|| n.parameter_text()),
            sigma2: matches!(n, Noise::Gaussian(_)).then(|| n.parameter_text()),
            margin95: n.margin95(),
        })
        .collect();
    let count_idx = spec.parts.len() - 1; // `count` is always the last part.
    let count_noise = noises[count_idx];
    let margin95 = count_noise.margin95();
    let shown = |x: i64| u64::try_from(x).unwrap_or(0);
    // Weighted sums are compared in units of the largest weight (what one
    // respondent of the smallest degree adds), where their noise is that
    // of a count: the threshold means the same as for counts.
    let floor = match &spec.body {
        Body::Rds { unit, lower, .. } => {
            i64::from(threshold).saturating_mul(aggregate::rds_weight(*unit, *lower))
        }
        _ => i64::from(threshold),
    };
    let small = |x: i64| x < floor;

    let counts = &noisy[count_idx];
    let cells: Vec<Cell> = (0..groups)
        .flat_map(|g| {
            let key = spec.group_key(g);
            spec.columns.iter().enumerate().map(move |(j, col)| {
                let x = counts[g * k + j];
                Cell {
                    group: key.clone(),
                    choice: col.id.clone(),
                    noisy: x,
                    value: shown(x),
                    suppressed: small(x),
                }
            })
        })
        .collect();

    // Totals from the shown values, so that they agree with the cells.
    let exclusive = matches!(
        spec.body,
        Body::Total
            | Body::Instances
            | Body::Single { .. }
            | Body::Rating { .. }
            | Body::FirstChoice { .. }
            | Body::Bins { .. }
            | Body::Rds { .. }
    );
    let mut totals = Vec::new();
    // A sum's margin depends only on how many cells it adds: compute each once.
    let mut sum_margins = std::collections::BTreeMap::new();
    let mut total = |over: &str, group: Vec<String>, choice: Option<String>, idx: Vec<usize>| {
        let value: u64 = idx.iter().map(|&i| cells[i].value).sum();
        let noisy_sum: i64 = idx.iter().map(|&i| cells[i].noisy).sum();
        Total {
            over: over.to_string(),
            group,
            choice,
            value,
            noisy: noisy_sum,
            margin95: *sum_margins
                .entry(idx.len())
                .or_insert_with(|| count_noise.sum_margin95(idx.len())),
            suppressed: small(i64::try_from(value).unwrap_or(i64::MAX)),
        }
    };
    if exclusive && k > 1 {
        for g in 0..groups {
            totals.push(total(
                "columns",
                spec.group_key(g),
                None,
                (0..k).map(|j| g * k + j).collect(),
            ));
        }
    }
    if groups > 1 {
        for (j, col) in spec.columns.iter().enumerate() {
            totals.push(total(
                "groups",
                Vec::new(),
                Some(col.id.clone()),
                (0..groups).map(|g| g * k + j).collect(),
            ));
        }
    }
    if exclusive && k > 1 && groups > 1 {
        totals.push(total("all", Vec::new(), None, (0..groups * k).collect()));
    }

    let mut means = Vec::new();
    match &spec.body {
        Body::Mean {
            lower,
            upper,
            resolution,
        } => {
            let centre = (lower + upper) / 2.0;
            let half_step = (upper - lower) / (2.0 * *resolution as f64);
            for (g, (&s, &n)) in noisy[0].iter().zip(&noisy[1]).enumerate() {
                means.push(mean_cell(
                    spec.group_key(g),
                    None,
                    s,
                    n,
                    (&noises[0], &noises[1]),
                    |ratio| centre + half_step * ratio,
                    (*lower, *upper),
                    small(n),
                ));
            }
        }
        Body::MeanRank { k: ranked, .. } => {
            let hi = *ranked as f64;
            for g in 0..groups {
                for (j, col) in spec.columns.iter().enumerate() {
                    let s = noisy[0][g * k + j];
                    let n = noisy[1][g * k + j];
                    means.push(mean_cell(
                        spec.group_key(g),
                        Some(col.id.clone()),
                        s,
                        n,
                        (&noises[0], &noises[1]),
                        |ratio| ratio,
                        (1.0, hi),
                        small(n),
                    ));
                }
            }
        }
        _ => {}
    }

    let mut quantiles = Vec::new();
    if let surveys::Statistic::Quantiles { edges } = &table.statistic {
        for g in 0..groups {
            let bins: Vec<u64> = (0..k).map(|j| cells[g * k + j].value).collect();
            let n: u64 = bins.iter().sum();
            let q = |p: f64| quantile(&bins, edges, p);
            quantiles.push(QuantileRow {
                group: spec.group_key(g),
                n,
                q1: q(0.25),
                median: q(0.5),
                q3: q(0.75),
                q1_margin95_approx: None,
                median_margin95_approx: None,
                q3_margin95_approx: None,
                margin95_approx_method: String::new(),
                suppressed: small(i64::try_from(n).unwrap_or(i64::MAX)),
            });
        }
    }

    let (rds, proportions) = match &spec.body {
        Body::Rds {
            degree,
            lower,
            upper,
            unit,
            ..
        } => {
            let info = RdsInfo {
                degree: degree.id.clone(),
                label: degree.label.clone(),
                degree_min: *lower,
                degree_max: *upper,
                unit: *unit,
                suppressed_below: floor,
                margin95_approx_method: RDS_BOOTSTRAP_METHOD.to_string(),
            };
            let mut out = Vec::with_capacity(cells.len());
            for group in cells.chunks(k.max(1)) {
                let values: Vec<u64> = group.iter().map(|c| c.value).collect();
                for (c, p) in group.iter().zip(shares(&values)) {
                    out.push(ProportionCell {
                        group: c.group.clone(),
                        choice: c.choice.clone(),
                        proportion: p,
                        margin95_approx: None,
                        suppressed: c.suppressed,
                    });
                }
            }
            (Some(info), out)
        }
        _ => (None, Vec::new()),
    };

    let label = match spec.question {
        Some(q) => q.label.clone(),
        None => spec.columns[0].label.clone(),
    };
    Table {
        id: table.id.clone(),
        question: table.question.clone(),
        kind: spec.question.map(|q| q.kind.name().to_string()),
        statistic: aggregate::stat_name(&table.statistic).to_string(),
        over_instances: spec.within.map(|w| OverInstances {
            repeat: w.repeat.id.clone(),
            label: w.repeat.label.clone(),
            max: u64::try_from(w.max).unwrap_or(u64::MAX),
        }),
        label,
        by: spec
            .by
            .iter()
            .map(|a| Breakdown {
                question: a.question.id.clone(),
                label: a.question.label.clone(),
                options: a.options.iter().map(column).collect(),
            })
            .collect(),
        columns: spec.columns.iter().map(column).collect(),
        epsilon: table.epsilon,
        mechanism: mechanism_name(table.mechanism).to_string(),
        rho,
        parts,
        margin95,
        cells,
        totals,
        means,
        quantiles,
        rds,
        proportions,
    }
}

/// RDS-II shares: each weighted sum over their total, `None` when the
/// total is 0.
fn shares(values: &[u64]) -> Vec<Option<f64>> {
    let total: u64 = values.iter().copied().fold(0, u64::saturating_add);
    values
        .iter()
        .map(|&v| (total > 0).then(|| v as f64 / total as f64))
        .collect()
}

/// Sets the approximate 95% margins of `table`'s RDS-II shares by
/// parametric bootstrap, from released values only (no privacy cost), as
/// [`add_quartile_margins`] does: each group's shown weighted sums get
/// fresh noise from `noise` [`BOOTSTRAP_RUNS`] times, are clamped at 0 and
/// read with the same [`shares`]; a margin is the 95th percentile of
/// |re-estimate − estimate| (a re-estimate from an all-zero group counts
/// as 1, the whole range).
fn add_share_margins(table: &mut Table, noise: &Noise, draw: &mut dyn FnMut(&Noise) -> i64) {
    let k = table.columns.len().max(1);
    for (cells, props) in table.cells.chunks(k).zip(table.proportions.chunks_mut(k)) {
        if props.iter().all(|p| p.proportion.is_none()) {
            continue;
        }
        let shown: Vec<i64> = cells
            .iter()
            .map(|c| i64::try_from(c.value).unwrap_or(i64::MAX))
            .collect();
        let mut devs: Vec<Vec<f64>> = vec![Vec::with_capacity(BOOTSTRAP_RUNS); props.len()];
        let mut again = vec![0u64; shown.len()];
        for _ in 0..BOOTSTRAP_RUNS {
            for (b, &x) in again.iter_mut().zip(&shown) {
                *b = u64::try_from(x.saturating_add(draw(noise))).unwrap_or(0);
            }
            for ((dev, p), re) in devs.iter_mut().zip(props.iter()).zip(shares(&again)) {
                if let Some(e) = p.proportion {
                    dev.push(re.map_or(1.0, |r| (r - e).abs()));
                }
            }
        }
        for (p, d) in props.iter_mut().zip(devs) {
            p.margin95_approx = percentile95(d);
        }
    }
}

/// The smallest m with at least 95% of `d` ≤ m; `None` for no values.
fn percentile95(mut d: Vec<f64>) -> Option<f64> {
    if d.is_empty() {
        return None;
    }
    d.sort_by(f64::total_cmp);
    let i = (d.len() * 95).div_ceil(100).saturating_sub(1);
    d.get(i).copied()
}

/// A mean from a noisy sum and a noisy count, with an interval that holds
/// the true mean with probability ≥ 95%: each of the two noises is within
/// its 97.5% margin with probability 0.975, so both are with probability
/// ≥ 0.95 (union bound), and the true ratio then lies between the extreme
/// ratios of that box. A box that reaches a count ≤ 0 gives the bounds.
#[allow(clippy::too_many_arguments)]
fn mean_cell(
    group: Vec<String>,
    choice: Option<String>,
    s: i64,
    n: i64,
    noise: (&Noise, &Noise),
    value: impl Fn(f64) -> f64,
    bounds: (f64, f64),
    suppressed: bool,
) -> MeanCell {
    let (lo_b, hi_b) = bounds;
    let clamp = |x: f64| x.clamp(lo_b, hi_b);
    let mean = (n > 0).then(|| clamp(value(s as f64 / n as f64)));
    let ms = noise.0.margin(0.025) as f64;
    let mc = noise.1.margin(0.025) as f64;
    let (s_lo, s_hi) = (s as f64 - ms, s as f64 + ms);
    let (n_lo, n_hi) = (n as f64 - mc, n as f64 + mc);
    let (low95, high95) = if n_lo <= 0.0 {
        (lo_b, hi_b)
    } else {
        let r = [s_lo / n_lo, s_lo / n_hi, s_hi / n_lo, s_hi / n_hi];
        let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (clamp(value(lo)), clamp(value(hi)))
    };
    MeanCell {
        group,
        choice,
        noisy_sum: s,
        noisy_count: n,
        mean,
        low95,
        high95,
        suppressed,
    }
}

/// Sets the approximate 95% margins of `table`'s quartiles by parametric
/// bootstrap, from released values only (no privacy cost): each group's
/// shown bins (the plug-in for the true, non-negative counts) get fresh noise
/// from `noise` — the table's own distribution, through the report's `draw` —
/// [`BOOTSTRAP_RUNS`] times; each re-noised histogram is clamped at 0 and read
/// with the same [`quantile`] estimator; a margin is the 95th percentile of
/// |re-estimate − estimate| (a re-estimate of an empty histogram counts as
/// the whole range). It covers the noise only.
fn add_quartile_margins(
    table: &mut Table,
    edges: &[f64],
    noise: &Noise,
    draw: &mut dyn FnMut(&Noise) -> i64,
) {
    let k = table.columns.len();
    let range = match (edges.first(), edges.last()) {
        (Some(a), Some(b)) => b - a,
        _ => return,
    };
    const PS: [f64; 3] = [0.25, 0.5, 0.75];
    for (g, row) in table.quantiles.iter_mut().enumerate() {
        let Some(cells) = table.cells.get(g * k..(g + 1) * k) else {
            continue;
        };
        let shown: Vec<i64> = cells
            .iter()
            .map(|c| i64::try_from(c.value).unwrap_or(i64::MAX))
            .collect();
        let estimates = [row.q1, row.median, row.q3];
        if estimates.iter().all(Option::is_none) {
            continue;
        }
        let mut devs: [Vec<f64>; 3] = Default::default();
        let mut bins = vec![0u64; k];
        for _ in 0..BOOTSTRAP_RUNS {
            for (b, &x) in bins.iter_mut().zip(&shown) {
                *b = u64::try_from(x.saturating_add(draw(noise))).unwrap_or(0);
            }
            for ((dev, &p), est) in devs.iter_mut().zip(&PS).zip(&estimates) {
                if let Some(e) = est {
                    dev.push(quantile(&bins, edges, p).map_or(range, |r| (r - e).abs()));
                }
            }
        }
        let [d1, d2, d3] = devs;
        row.q1_margin95_approx = percentile95(d1);
        row.median_margin95_approx = percentile95(d2);
        row.q3_margin95_approx = percentile95(d3);
        row.margin95_approx_method = BOOTSTRAP_METHOD.to_string();
    }
}

/// The `p`-quantile of a histogram on `edges`, interpolating linearly within
/// the bin where the cumulative count reaches p·n. `None` for an empty
/// histogram.
fn quantile(bins: &[u64], edges: &[f64], p: f64) -> Option<f64> {
    let n: u64 = bins.iter().sum();
    if n == 0 || edges.len() != bins.len() + 1 {
        return None;
    }
    let target = p * n as f64;
    let mut before = 0.0;
    for (i, &c) in bins.iter().enumerate() {
        let c = c as f64;
        if c > 0.0 && before + c >= target {
            let within = ((target - before) / c).clamp(0.0, 1.0);
            return Some(edges[i] + within * (edges[i + 1] - edges[i]));
        }
        before += c;
    }
    edges.last().copied()
}

/// The report as pretty-printed JSON.
pub fn render_json(report: &Report) -> String {
    // Serialising these types cannot fail: every map has string keys and
    // every value is a plain string, number or list. A non-finite float
    // (never produced) would be written as null.
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
pub fn escape(s: &str) -> String {
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
