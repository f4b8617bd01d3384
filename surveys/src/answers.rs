//! Answers and their validation against a survey.
//!
//! The browser runs [`validate`] before it sends, the collector runs it before
//! it stores: the same function, so what one accepts the other accepts. The
//! rules of each question type live here; the walk through the survey
//! (relevance, requirement, constraints, calculations) in [`crate::engine`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::i18n::{self, Ui};
use crate::model::{QuestionKind, Survey, Text};
use crate::{Date, expr};

/// A stored answer. Which variant a question takes follows from its type:
/// single choice and short text are strings, multiple choice a list of
/// choice ids, integer a number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// `consent`; a boolean `calculate`.
    Bool(bool),
    /// `integer`, `rating`.
    Integer(i64),
    /// `decimal`; a numeric `calculate`.
    Decimal(f64),
    /// `single_choice` (the choice id), `short_text`, `long_text`, `date`
    /// (`YYYY-MM-DD`), a text `calculate`.
    Text(String),
    /// `multiple_choice` (in the survey's order), `ranking` (in rank order).
    Choices(Vec<String>),
    /// `grid`: scale choice id by statement id.
    Grid(BTreeMap<String, String>),
    /// `repeat`: the answers of each instance, by inner question id.
    Repeat(Vec<Answers>),
}

/// Answers by question id.
pub type Answers = BTreeMap<String, Answer>;

/// What a respondent sends: a submission id made on their device (so that a
/// retry is recognised) and the answers by question id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub submission_id: String,
    /// The survey version the respondent saw; the current one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    pub answers: Map<String, Value>,
}

/// Answers that passed [`validate`] for one survey. The only way to make one
/// is to validate, so holding one is proof.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidResponse {
    answers: Answers,
}

impl ValidResponse {
    pub(crate) fn new(answers: Answers) -> ValidResponse {
        ValidResponse { answers }
    }

    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    pub fn into_answers(self) -> Answers {
        self.answers
    }
}

/// One reason a response was refused, tied to the question it concerns
/// (for the "other, please specify" text: `<id>_other`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerError {
    pub question: String,
    pub problem: AnswerProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerProblem {
    /// The survey has no question with this id.
    UnknownQuestion,
    /// A required question got no answer.
    Required,
    /// A required question got no answer; the survey's own message.
    RequiredCustom {
        message: Text,
    },
    /// The JSON value has the wrong shape for the question type.
    WrongType {
        expected: &'static str,
    },
    /// A choice id that the question does not offer.
    UnknownChoice {
        choice: String,
    },
    /// An option the question has, but does not offer for the earlier
    /// answers (its `relevant` is false: cascading selects).
    ChoiceNotOffered {
        choice: String,
    },
    /// The same choice ticked twice.
    RepeatedChoice {
        choice: String,
    },
    /// Integer and rating bounds.
    BelowMin {
        min: i64,
    },
    AboveMax {
        max: i64,
    },
    /// Longer than the question allows, in characters.
    TooLong {
        max: u32,
    },
    /// A note takes no answer.
    NotAnswerable,
    /// Decimal bounds, written as in the survey file.
    BelowMinNumber {
        min: String,
    },
    AboveMaxNumber {
        max: String,
    },
    DateTooEarly {
        min: Date,
    },
    DateTooLate {
        max: Date,
    },
    TooFewSelected {
        min: u32,
    },
    TooManySelected {
        max: u32,
    },
    /// A repeat with fewer instances than its `min`.
    TooFewInstances {
        min: u32,
    },
    /// A repeat with more instances than its `max` (or than its `count`).
    TooManyInstances {
        max: u32,
    },
    /// An option such as "none of these" chosen together with others.
    ExclusiveCombined {
        choice: String,
    },
    /// A ranking must order exactly `n` options.
    WrongRankCount {
        n: u32,
    },
    /// A grid statement the question does not have.
    UnknownStatement {
        statement: String,
    },
    /// A required grid with statements left unanswered.
    IncompleteGrid,
    /// A required consent box left unticked.
    ConsentNeeded,
    /// "Other" chosen, but the text saying what it is is missing
    /// (reported on `<id>_other`).
    OtherTextMissing,
    /// The answer breaks the question's `constraint`.
    Constraint {
        message: Option<Text>,
    },
    /// The survey definition itself is broken (its logic does not check);
    /// nothing can be accepted for it.
    InvalidSurvey {
        detail: String,
    },
}

impl AnswerProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AnswerProblem::UnknownQuestion => "unknown_question",
            AnswerProblem::Required | AnswerProblem::RequiredCustom { .. } => "required",
            AnswerProblem::WrongType { .. } => "wrong_type",
            AnswerProblem::UnknownChoice { .. } => "unknown_choice",
            AnswerProblem::ChoiceNotOffered { .. } => "choice_not_offered",
            AnswerProblem::RepeatedChoice { .. } => "repeated_choice",
            AnswerProblem::BelowMin { .. } | AnswerProblem::BelowMinNumber { .. } => "below_min",
            AnswerProblem::AboveMax { .. } | AnswerProblem::AboveMaxNumber { .. } => "above_max",
            AnswerProblem::TooLong { .. } => "too_long",
            AnswerProblem::NotAnswerable => "not_answerable",
            AnswerProblem::DateTooEarly { .. } => "date_too_early",
            AnswerProblem::DateTooLate { .. } => "date_too_late",
            AnswerProblem::TooFewSelected { .. } => "too_few_selected",
            AnswerProblem::TooManySelected { .. } => "too_many_selected",
            AnswerProblem::TooFewInstances { .. } => "too_few_instances",
            AnswerProblem::TooManyInstances { .. } => "too_many_instances",
            AnswerProblem::ExclusiveCombined { .. } => "exclusive_combined",
            AnswerProblem::WrongRankCount { .. } => "wrong_rank_count",
            AnswerProblem::UnknownStatement { .. } => "unknown_statement",
            AnswerProblem::IncompleteGrid => "incomplete_grid",
            AnswerProblem::ConsentNeeded => "consent_needed",
            AnswerProblem::OtherTextMissing => "other_text_missing",
            AnswerProblem::Constraint { .. } => "constraint",
            AnswerProblem::InvalidSurvey { .. } => "invalid_survey",
        }
    }

    /// A message for the respondent in `lang` (English when not translated).
    /// The survey's own `required_message` / `constraint_message` when it has
    /// one in `lang`, else the runner's words.
    pub fn message(&self, lang: &str) -> String {
        let t = |k| i18n::ui(lang, k);
        let own = |m: &Option<Text>| {
            m.as_ref()
                .filter(|m| m.has(lang))
                .map(|m| m.0[lang].clone())
        };
        match self {
            AnswerProblem::UnknownQuestion => t(Ui::ErrUnknownQuestion).to_string(),
            AnswerProblem::Required => t(Ui::ErrRequired).to_string(),
            AnswerProblem::RequiredCustom { message } => {
                own(&Some(message.clone())).unwrap_or_else(|| t(Ui::ErrRequired).to_string())
            }
            AnswerProblem::WrongType { expected } => {
                format!("{} ({expected})", t(Ui::ErrWrongType))
            }
            AnswerProblem::UnknownChoice { choice } => {
                format!("{}: {choice}", t(Ui::ErrUnknownChoice))
            }
            AnswerProblem::ChoiceNotOffered { choice } => {
                format!("{}: {choice}", t(Ui::ErrChoiceNotOffered))
            }
            AnswerProblem::RepeatedChoice { choice } => {
                format!("{}: {choice}", t(Ui::ErrRepeatedChoice))
            }
            AnswerProblem::BelowMin { min } => {
                t(Ui::ErrBelowMin).replace("{min}", &min.to_string())
            }
            AnswerProblem::AboveMax { max } => {
                t(Ui::ErrAboveMax).replace("{max}", &max.to_string())
            }
            AnswerProblem::BelowMinNumber { min } => t(Ui::ErrBelowMin).replace("{min}", min),
            AnswerProblem::AboveMaxNumber { max } => t(Ui::ErrAboveMax).replace("{max}", max),
            AnswerProblem::TooLong { max } => t(Ui::ErrTooLong).replace("{max}", &max.to_string()),
            AnswerProblem::NotAnswerable => t(Ui::ErrNotAnswerable).to_string(),
            AnswerProblem::DateTooEarly { min } => {
                t(Ui::ErrDateTooEarly).replace("{date}", &min.to_string())
            }
            AnswerProblem::DateTooLate { max } => {
                t(Ui::ErrDateTooLate).replace("{date}", &max.to_string())
            }
            AnswerProblem::TooFewSelected { min } => {
                t(Ui::ErrTooFewSelected).replace("{min}", &min.to_string())
            }
            AnswerProblem::TooManySelected { max } => {
                t(Ui::ErrTooManySelected).replace("{max}", &max.to_string())
            }
            AnswerProblem::TooFewInstances { min } => {
                t(Ui::ErrTooFewInstances).replace("{min}", &min.to_string())
            }
            AnswerProblem::TooManyInstances { max } => {
                t(Ui::ErrTooManyInstances).replace("{max}", &max.to_string())
            }
            AnswerProblem::ExclusiveCombined { .. } => t(Ui::ErrExclusive).to_string(),
            AnswerProblem::WrongRankCount { n } => {
                t(Ui::ErrRankCount).replace("{n}", &n.to_string())
            }
            AnswerProblem::UnknownStatement { statement } => {
                format!("{}: {statement}", t(Ui::ErrUnknownStatement))
            }
            AnswerProblem::IncompleteGrid => t(Ui::ErrIncompleteGrid).to_string(),
            AnswerProblem::ConsentNeeded => t(Ui::ErrConsentNeeded).to_string(),
            AnswerProblem::OtherTextMissing => t(Ui::ErrOtherMissing).to_string(),
            AnswerProblem::Constraint { message } => {
                own(message).unwrap_or_else(|| t(Ui::ErrConstraint).to_string())
            }
            AnswerProblem::InvalidSurvey { .. } => t(Ui::ErrInvalidSurvey).to_string(),
        }
    }
}

/// Checks `answers` against `survey` and returns either the typed answers or
/// every problem found, in question order (unknown question ids last).
///
/// * `null`, `""` (after trimming), `[]`, `{}` and an unticked consent
///   (`false`) count as "not answered" and are not stored.
/// * Answers to questions that are not relevant (their own `relevant`, or
///   their section's) are dropped silently, whatever they are.
/// * Values sent for `calculate` questions are ignored: the engine computes
///   and stores them. A value sent for a relevant `note` is refused.
/// * `<id>_other` is stored when `other` is chosen in `id` (and then
///   required), and dropped otherwise.
///
/// `today` is the respondent's day (UTC), for `today()` in expressions and
/// date bounds. This compiles the survey's logic on each call; to validate
/// many responses, build an [`Engine`] once and call [`Engine::validate`].
pub fn validate(
    survey: &Survey,
    answers: &Map<String, Value>,
    today: Date,
) -> Result<ValidResponse, Vec<AnswerError>> {
    match Engine::new(survey) {
        Ok(engine) => engine.validate(answers, today),
        Err(problems) => Err(problems
            .into_iter()
            .map(|p| AnswerError {
                question: p.place,
                problem: AnswerProblem::InvalidSurvey { detail: p.message },
            })
            .collect()),
    }
}

/// Not answered: `null`, blank text, `[]`, `{}`, `false` (an unticked box).
pub(crate) fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_blank),
        _ => false,
    }
}

fn whole_number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        // Forms send what the user typed; accept a plain decimal integer.
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

fn choice_list(
    items: &[Value],
    offered: &dyn Fn(&str) -> bool,
    problems: &mut Vec<AnswerProblem>,
) -> Vec<String> {
    let mut picked: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(id) = item else {
            problems.push(AnswerProblem::WrongType {
                expected: "a list of choice ids",
            });
            continue;
        };
        if !offered(id) {
            problems.push(AnswerProblem::UnknownChoice { choice: id.clone() });
        } else if picked.contains(id) {
            problems.push(AnswerProblem::RepeatedChoice { choice: id.clone() });
        } else {
            picked.push(id.clone());
        }
    }
    picked
}

/// The typed answer to one question from a non-blank value, or every
/// problem with it. `Ok(None)`: nothing answered after all (a grid of
/// blanks).
pub(crate) fn check_value(
    kind: &QuestionKind,
    value: &Value,
    today: Date,
) -> Result<Option<Answer>, Vec<AnswerProblem>> {
    let wrong = |expected| vec![AnswerProblem::WrongType { expected }];
    let one = |p| Err(vec![p]);
    match kind {
        QuestionKind::SingleChoice { choices, other, .. } => {
            let Value::String(id) = value else {
                return Err(wrong("one choice id as a string"));
            };
            if choices.iter().any(|c| &c.id == id) || (*other && id == "other") {
                Ok(Some(Answer::Text(id.clone())))
            } else {
                one(AnswerProblem::UnknownChoice { choice: id.clone() })
            }
        }
        QuestionKind::MultipleChoice {
            choices,
            other,
            min_selected,
            max_selected,
            ..
        } => {
            let Value::Array(items) = value else {
                return Err(wrong("a list of choice ids"));
            };
            let mut problems = Vec::new();
            let offered =
                |id: &str| choices.iter().any(|c| c.id == id) || (*other && id == "other");
            let picked = choice_list(items, &offered, &mut problems);
            if !problems.is_empty() {
                return Err(problems);
            }
            if picked.len() > 1
                && let Some(c) = choices
                    .iter()
                    .find(|c| c.exclusive && picked.contains(&c.id))
            {
                problems.push(AnswerProblem::ExclusiveCombined {
                    choice: c.id.clone(),
                });
            }
            let n = picked.len() as u32;
            if let Some(min) = min_selected
                && n < *min
            {
                problems.push(AnswerProblem::TooFewSelected { min: *min });
            }
            if let Some(max) = max_selected
                && n > *max
            {
                problems.push(AnswerProblem::TooManySelected { max: *max });
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            // Stored in the survey's order ("other" last), whatever order
            // they were ticked in. Picked out in that order rather than
            // sorted: a sort is kilobytes of the browser's wasm.
            let mut ordered = Vec::with_capacity(picked.len());
            for c in choices {
                ordered.extend(picked.iter().filter(|id| **id == c.id).cloned());
            }
            ordered.extend(
                picked
                    .into_iter()
                    .filter(|id| !choices.iter().any(|c| c.id == *id)),
            );
            Ok(Some(Answer::Choices(ordered)))
        }
        QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length } => {
            let Value::String(s) = value else {
                return Err(wrong("text"));
            };
            let s = s.trim();
            if s.chars().count() > *max_length as usize {
                return one(AnswerProblem::TooLong { max: *max_length });
            }
            Ok(Some(Answer::Text(s.to_string())))
        }
        QuestionKind::Integer { min, max } => {
            let Some(n) = whole_number(value) else {
                return Err(wrong("a whole number"));
            };
            if let Some(lo) = min
                && n < *lo
            {
                return one(AnswerProblem::BelowMin { min: *lo });
            }
            if let Some(hi) = max
                && n > *hi
            {
                return one(AnswerProblem::AboveMax { max: *hi });
            }
            Ok(Some(Answer::Integer(n)))
        }
        QuestionKind::Decimal { min, max } => {
            let x = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => crate::num::parse_f64(s.trim()),
                _ => None,
            };
            let Some(x) = x.filter(|x| x.is_finite()) else {
                return Err(wrong("a number"));
            };
            if let Some(lo) = min
                && x < *lo
            {
                return one(AnswerProblem::BelowMinNumber {
                    min: crate::num::format_f64(*lo),
                });
            }
            if let Some(hi) = max
                && x > *hi
            {
                return one(AnswerProblem::AboveMaxNumber {
                    max: crate::num::format_f64(*hi),
                });
            }
            Ok(Some(Answer::Decimal(x)))
        }
        QuestionKind::Date { min, max } => {
            let Some(d) = value.as_str().and_then(|s| s.trim().parse::<Date>().ok()) else {
                return Err(wrong("a date, YYYY-MM-DD"));
            };
            let bound = |b: &Option<String>| match b.as_deref() {
                Some("today") => Some(today),
                Some(s) => s.parse::<Date>().ok(),
                None => None,
            };
            if let Some(lo) = bound(min)
                && d < lo
            {
                return one(AnswerProblem::DateTooEarly { min: lo });
            }
            if let Some(hi) = bound(max)
                && d > hi
            {
                return one(AnswerProblem::DateTooLate { max: hi });
            }
            Ok(Some(Answer::Text(d.to_string())))
        }
        QuestionKind::Rating { scale, .. } => {
            let Some(n) = whole_number(value) else {
                return Err(wrong("a whole number"));
            };
            if n < 1 {
                return one(AnswerProblem::BelowMin { min: 1 });
            }
            if n > i64::from(*scale) {
                return one(AnswerProblem::AboveMax {
                    max: i64::from(*scale),
                });
            }
            Ok(Some(Answer::Integer(n)))
        }
        QuestionKind::Grid { statements, scale } => {
            let Value::Object(map) = value else {
                return Err(wrong("an object of statement ids to scale choice ids"));
            };
            let mut problems = Vec::new();
            let mut out = BTreeMap::new();
            for (statement, v) in map {
                if is_blank(v) {
                    continue;
                }
                if !statements.iter().any(|s| &s.id == statement) {
                    problems.push(AnswerProblem::UnknownStatement {
                        statement: statement.clone(),
                    });
                    continue;
                }
                let Value::String(choice) = v else {
                    problems.push(AnswerProblem::WrongType {
                        expected: "a scale choice id for each statement",
                    });
                    continue;
                };
                if scale.iter().any(|c| &c.id == choice) {
                    out.insert(statement.clone(), choice.clone());
                } else {
                    problems.push(AnswerProblem::UnknownChoice {
                        choice: choice.clone(),
                    });
                }
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            Ok((!out.is_empty()).then_some(Answer::Grid(out)))
        }
        QuestionKind::Ranking { choices, rank, .. } => {
            let Value::Array(items) = value else {
                return Err(wrong("a list of choice ids in rank order"));
            };
            let mut problems = Vec::new();
            let offered = |id: &str| choices.iter().any(|c| c.id == id);
            let picked = choice_list(items, &offered, &mut problems);
            if !problems.is_empty() {
                return Err(problems);
            }
            let n = rank.unwrap_or(choices.len() as u32);
            if picked.len() != n as usize {
                return one(AnswerProblem::WrongRankCount { n });
            }
            Ok(Some(Answer::Choices(picked)))
        }
        QuestionKind::Consent => match value {
            Value::Bool(true) => Ok(Some(Answer::Bool(true))),
            _ => Err(wrong("true (the box ticked)")),
        },
        QuestionKind::Note | QuestionKind::Calculate { .. } => one(AnswerProblem::NotAnswerable),
        // Walked instance by instance by the engine, never here.
        QuestionKind::Repeat { .. } => Err(wrong("a list of instances")),
    }
}

/// The value of a stored answer inside expressions.
pub(crate) fn answer_value(kind: &QuestionKind, a: &Answer) -> expr::Value {
    use expr::Value as V;
    match (kind, a) {
        (QuestionKind::Date { .. }, Answer::Text(s)) => s.parse().map(V::Date).unwrap_or(V::Empty),
        (QuestionKind::Calculate { .. }, Answer::Text(s)) => V::Text(s.clone()),
        (_, Answer::Bool(b)) => V::Bool(*b),
        (_, Answer::Integer(n)) => V::Number(*n as f64),
        (_, Answer::Decimal(x)) => V::Number(*x),
        (_, Answer::Text(s)) => V::Text(s.clone()),
        (_, Answer::Choices(c)) => V::Choices(c.clone()),
        (_, Answer::Grid(g)) => V::Choices(g.keys().cloned().collect()),
        (_, Answer::Repeat(items)) => V::List(vec![V::Bool(true); items.len()]),
    }
}

/// A calculated value as stored; `None` for empty.
pub(crate) fn value_answer(v: &expr::Value) -> Option<Answer> {
    use expr::Value as V;
    Some(match v {
        V::Empty => return None,
        V::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Answer::Integer(*n as i64),
        V::Number(n) => Answer::Decimal(*n),
        V::Text(s) => Answer::Text(s.clone()),
        V::Bool(b) => Answer::Bool(*b),
        V::Date(d) => Answer::Text(d.to_string()),
        V::Choices(c) => Answer::Choices(c.clone()),
        V::List(_) => return None,
    })
}
