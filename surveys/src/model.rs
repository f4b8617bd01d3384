//! The survey definition: what the browser renders, the collector checks
//! against and analysis counts. Serialised as JSON it is the one wire format
//! between the collector and the frontend.
//!
//! Values of these types come from [`crate::load`], which checks every rule
//! documented in `docs/survey-format.md`; the frontend receives them already
//! checked from the collector.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Epsilon;

/// A text in several languages, keyed by language code (`en`, `ru`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `lang`, else in `fallback`, else any text at all.
    pub fn get<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn has(&self, lang: &str) -> bool {
        self.0.get(lang).is_some_and(|t| !t.trim().is_empty())
    }
}

/// A checked survey definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub id: String,
    pub version: u32,
    /// Languages the survey is written in; every text exists in each.
    pub languages: Vec<String>,
    pub default_language: String,
    pub title: Text,
    /// A neutral title for the browser's tab and history, in place of
    /// `title` (a report of a rights violation should not be named in a
    /// phone's history). Absent: the title is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_title: Option<Text>,
    #[serde(default)]
    pub description: Text,
    /// Total ε that all publications of this survey together may spend.
    pub privacy_budget: Epsilon,
    /// Last day (UTC, `YYYY-MM-DD`) on which answers are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes: Option<String>,
    /// Pages of the runner, in order. Empty: one page with every question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    pub questions: Vec<Question>,
    /// What may be published, declared in advance. The browser's runner
    /// never uses it: compiled to wasm32 the field is skipped over when
    /// read (left at its default), so that the runner's wasm holds no code
    /// for reading publication plans.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub publication: Publication,
    /// The researchers' public keys (`chorus-pk1:…`, as `chorus keygen`
    /// prints them), checked by the loader. When there is one, answers are
    /// sealed on the device to the first and the collector stores only
    /// envelopes; the others are older keys still accepted while a key is
    /// rotated. Empty: answers are stored in plaintext.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
    /// `drafts = true`: the WASM runner offers to keep an unfinished answer
    /// on the member's phone, locked with a passphrase the member chooses
    /// (for long surveys). Absent or false: nothing stays on the device
    /// before Submit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drafts: bool,
}

impl Survey {
    /// Are answers to this survey sealed to its researchers' key?
    pub fn is_sealed(&self) -> bool {
        !self.public_keys.is_empty()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// A question by id, outside repeats or inside one, with the repeat it
    /// is in (`None` outside repeats).
    pub fn question_anywhere(&self, id: &str) -> Option<(&Question, Option<&Question>)> {
        self.questions.iter().find_map(|q| {
            if q.id == id {
                return Some((q, None));
            }
            q.kind
                .inner()
                .iter()
                .find(|i| i.id == id)
                .map(|i| (i, Some(q)))
        })
    }

    /// The language to show: `wanted` when the survey has it, else its default.
    pub fn language<'a>(&'a self, wanted: &'a str) -> &'a str {
        if self.languages.iter().any(|l| l == wanted) {
            wanted
        } else {
            &self.default_language
        }
    }

    /// Shorthand for `text.get(lang, default_language)`.
    pub fn tr<'a>(&'a self, text: &'a Text, lang: &str) -> &'a str {
        text.get(lang, &self.default_language)
    }

    /// What `GET /api/surveys` lists for this survey.
    pub fn summary(&self) -> SurveySummary {
        SurveySummary {
            id: self.id.clone(),
            version: self.version,
            title: self.title.clone(),
            description: self.description.clone(),
            languages: self.languages.clone(),
            default_language: self.default_language.clone(),
            closes: self.closes.clone(),
            sealed: self.is_sealed(),
        }
    }
}

/// A survey as listed for members: enough to choose one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveySummary {
    pub id: String,
    pub version: u32,
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub languages: Vec<String>,
    pub default_language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes: Option<String>,
    /// Answers are sealed on the device (the survey lists public keys).
    #[serde(default)]
    pub sealed: bool,
}

impl SurveySummary {
    /// Shorthand for `text.get(lang, default_language)`.
    pub fn tr<'a>(&'a self, text: &'a Text, lang: &str) -> &'a str {
        text.get(lang, &self.default_language)
    }

    /// The language its texts are shown in when the runner speaks `lang`.
    pub fn language<'a>(&'a self, lang: &'a str) -> &'a str {
        if self.languages.iter().any(|l| l == lang) {
            lang
        } else {
            &self.default_language
        }
    }
}

/// A page of the runner. Its questions name it in `Question::section` and
/// stand together in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub id: String,
    pub title: Text,
    /// Skip logic for the whole page (an expression); see `docs/expressions.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
}

/// `required = true`, `false`, or an expression deciding it per respondent.
// Read by hand (`crate::wire`): `true`, `false` or an expression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Requirement {
    Fixed(bool),
    When(String),
}

impl Requirement {
    /// Required for every respondent (`required = true`).
    pub fn is_always(&self) -> bool {
        matches!(self, Requirement::Fixed(true))
    }
}

impl Default for Requirement {
    fn default() -> Self {
        Requirement::Fixed(false)
    }
}

/// A rule an answer must satisfy, with the message shown when it does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// An expression where `.` is this question's answer.
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

/// A question. Read by hand (`crate::wire`), in the same format as it is
/// written.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Question {
    pub id: String,
    /// Empty for `calculate` questions, which are never shown.
    #[serde(default)]
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// The section (page) this question is on, when the survey has sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default)]
    pub required: Requirement,
    /// Shown instead of the runner's "This question is required".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_message: Option<Text>,
    /// Skip logic: the question is asked only when this expression is true.
    /// Answers to questions that are not relevant are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Constraint>,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

/// The answer a question takes, with the rules on it.
///
/// | type | answer (JSON) |
/// |---|---|
/// | `single_choice` | `"choice_id"`; with `other`, choosing `other` also needs the text answer `<id>_other` |
/// | `multiple_choice` | `["a", "b"]` |
/// | `short_text`, `long_text` | `"text"` |
/// | `integer`, `rating` | `42` |
/// | `decimal` | `4.5` |
/// | `date` | `"2026-11-29"` |
/// | `grid` | `{"statement_id": "scale_choice_id", …}` |
/// | `ranking` | `["first", "second", …]` (exactly `rank` ids) |
/// | `consent` | `true` |
/// | `note` | no answer |
/// | `calculate` | computed by the engine, never sent |
/// | `repeat` | `[{"inner_id": answer, …}, …]`: one object per instance |
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice {
        choices: Vec<Choice>,
        /// Adds "Other, please specify": choice id `other` and a text answer `<id>_other`.
        #[serde(default, skip_serializing_if = "is_false")]
        other: bool,
        /// Shuffle the options per respondent (choices marked `fixed` stay put).
        #[serde(default, skip_serializing_if = "is_false")]
        randomize: bool,
    },
    MultipleChoice {
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "is_false")]
        other: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        randomize: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_selected: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_selected: Option<u32>,
    },
    /// One line of free text. Never published.
    ShortText { max_length: u32 },
    /// Several paragraphs of free text. Never published.
    LongText { max_length: u32 },
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    Decimal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// A calendar date; bounds are `YYYY-MM-DD` or `today`.
    Date {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<String>,
    },
    /// 1 to `scale`, with optional labels for the two ends.
    Rating {
        scale: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        low_label: Option<Text>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        high_label: Option<Text>,
    },
    /// Several statements, each answered on one shared scale (e.g. agreement).
    Grid {
        statements: Vec<Choice>,
        scale: Vec<Choice>,
    },
    /// Order the first `rank` options (all of them when `rank` is absent).
    Ranking {
        choices: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rank: Option<u32>,
        #[serde(default, skip_serializing_if = "is_false")]
        randomize: bool,
    },
    /// Text only; takes no answer.
    Note,
    /// A box that must be ticked to go on.
    Consent,
    /// A hidden value computed from other answers.
    Calculate { expression: String },
    /// A group of questions answered once per instance (an incident, a
    /// household member): up to `max` instances, at least `min`; with
    /// `count`, an expression over earlier answers fixes how many. Inner
    /// question ids are unique in the whole survey; their logic sees the
    /// same instance's earlier answers, the answers before the repeat and
    /// `position()`.
    Repeat {
        questions: Vec<Question>,
        /// The most instances a member may give: it also bounds how much
        /// one response can weigh in a publication over instances.
        max: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        min: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<String>,
    },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The types of questions inside a repeat whose `counts` can be published
/// (over the instances, at most the repeat's `max` per response).
pub const COUNTS_OVER_INSTANCES: &[&str] = &["single_choice", "multiple_choice", "rating"];

impl QuestionKind {
    /// Whether `counts` of a question of this type inside a repeat is
    /// published (over the instances): the types in
    /// [`COUNTS_OVER_INSTANCES`].
    pub fn counts_over_instances(&self) -> bool {
        COUNTS_OVER_INSTANCES.contains(&self.name())
    }

    /// The name used in survey files (`single_choice`, …).
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::ShortText { .. } => "short_text",
            QuestionKind::LongText { .. } => "long_text",
            QuestionKind::Integer { .. } => "integer",
            QuestionKind::Decimal { .. } => "decimal",
            QuestionKind::Date { .. } => "date",
            QuestionKind::Rating { .. } => "rating",
            QuestionKind::Grid { .. } => "grid",
            QuestionKind::Ranking { .. } => "ranking",
            QuestionKind::Note => "note",
            QuestionKind::Consent => "consent",
            QuestionKind::Calculate { .. } => "calculate",
            QuestionKind::Repeat { .. } => "repeat",
        }
    }

    /// The options of a single choice, multiple choice or ranking question.
    pub fn choices(&self) -> Option<&[Choice]> {
        match self {
            QuestionKind::SingleChoice { choices, .. }
            | QuestionKind::MultipleChoice { choices, .. }
            | QuestionKind::Ranking { choices, .. } => Some(choices),
            _ => None,
        }
    }

    /// Does the question offer "Other, please specify" (its text stored
    /// under `<id>_other`)?
    pub fn has_other(&self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice { other: true, .. }
                | QuestionKind::MultipleChoice { other: true, .. }
        )
    }

    /// Free text is stored but never published.
    pub fn is_free_text(&self) -> bool {
        matches!(
            self,
            QuestionKind::ShortText { .. } | QuestionKind::LongText { .. }
        )
    }

    pub fn is_repeat(&self) -> bool {
        matches!(self, QuestionKind::Repeat { .. })
    }

    /// A repeat's `count`, when the number of instances is not the
    /// member's to choose.
    pub fn repeat_count(&self) -> Option<&str> {
        match self {
            QuestionKind::Repeat { count, .. } => count.as_deref(),
            _ => None,
        }
    }

    /// A repeat's `max` (0 for any other question).
    pub fn max_instances(&self) -> usize {
        match self {
            QuestionKind::Repeat { max, .. } => *max as usize,
            _ => 0,
        }
    }

    /// The questions inside a repeat; empty for every other type.
    pub fn inner(&self) -> &[Question] {
        match self {
            QuestionKind::Repeat { questions, .. } => questions,
            _ => &[],
        }
    }

    /// Does the respondent give an answer? (Not for notes and calculations.)
    pub fn takes_answer(&self) -> bool {
        !matches!(self, QuestionKind::Note | QuestionKind::Calculate { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Text,
    /// Cannot be combined with other options ("none of these").
    #[serde(default, skip_serializing_if = "is_false")]
    pub exclusive: bool,
    /// Keeps its place when the options are shuffled.
    #[serde(default, skip_serializing_if = "is_false")]
    pub fixed: bool,
    /// Offered only when this expression is true (cascading selects: a
    /// region offered for the country answered before). Single and
    /// multiple choice options only; see `docs/survey-format.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
}

/// The publication plan: which aggregates may be released, decided with the
/// survey and reviewed with it, so nobody goes fishing in the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    /// Cells whose *noisy* value is below this are shown as "< threshold".
    #[serde(default = "default_threshold")]
    pub small_cell_threshold: u32,
    /// Empty: counts of every single- and multiple-choice question, with the
    /// ε given at publish time split equally.
    #[serde(default)]
    pub tables: Vec<PlannedTable>,
}

impl Default for Publication {
    fn default() -> Self {
        Publication {
            small_cell_threshold: default_threshold(),
            tables: Vec::new(),
        }
    }
}

fn default_threshold() -> u32 {
    10
}

/// One aggregate to publish.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedTable {
    /// Unique within the plan; names the table in reports and CSV files.
    pub id: String,
    /// The question aggregated; `None` only for `total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    pub statistic: Statistic,
    /// Up to two single-choice questions to cross-tabulate by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// The share of a release's ε this table spends.
    pub epsilon: Epsilon,
    #[serde(default)]
    pub mechanism: Mechanism,
}

/// What is computed for a table. Read by hand (`crate::wire`), in the
/// same format as it is written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Statistic {
    /// The number of respondents.
    Total,
    /// Count per option (choice questions), per scale point (rating) or per
    /// statement and scale point (grid). On a single choice, multiple choice
    /// or rating question inside a repeat: the instances giving each option,
    /// at most the repeat's `max` instances per response.
    Counts,
    /// A repeat: how many instances in all, at most its `max` per response.
    Instances,
    /// Mean of a number clamped to `[lower, upper]`: noisy sum / noisy count.
    Mean { lower: f64, upper: f64 },
    /// Counts per bin; `edges` ascending, bins are `[e0, e1)`, …, `[e(n-1), e(n)]`.
    Histogram { edges: Vec<f64> },
    /// Median and quartiles estimated from a noisy histogram on `edges`.
    Quantiles { edges: Vec<f64> },
    /// Ranking: how often each option was ranked first.
    FirstChoice,
    /// Ranking: the mean rank of each option.
    MeanRank,
    /// Single choice: the share of each option estimated from a
    /// respondent-driven sample by RDS-II (Volz–Heckathorn), each
    /// respondent weighted by the inverse of their reported network size,
    /// the answer to `degree` (an integer question with a range whose lower
    /// bound is at least 1; answers are clamped to it). Noise is added to
    /// the weighted sums; see `docs/method.md`.
    RdsProportion { degree: String },
}

/// The noise distribution of a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Discrete Laplace: pure ε-differential privacy.
    #[default]
    Laplace,
    /// Discrete Gaussian: ρ-zCDP with ρ = ε²/2, stated in (ε, δ) in reports.
    Gaussian,
}

/// Default and largest length of text answers, in characters.
pub const SHORT_TEXT_DEFAULT_MAX: u32 = 500;
pub const SHORT_TEXT_LIMIT: u32 = 2000;
pub const LONG_TEXT_DEFAULT_MAX: u32 = 5000;
pub const LONG_TEXT_LIMIT: u32 = 20000;
