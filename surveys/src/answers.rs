//! Answers and their validation against a survey.
//!
//! The browser runs [`validate`] before it sends, the collector runs it before
//! it stores: the same function, so what one accepts the other accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::i18n::{self, Ui};
use crate::model::{QuestionKind, Survey};

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
    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    pub fn into_answers(self) -> Answers {
        self.answers
    }
}

/// One reason a response was refused, tied to the question it concerns.
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
    /// The JSON value has the wrong shape for the question type.
    WrongType {
        expected: &'static str,
    },
    /// A choice id that the question does not offer.
    UnknownChoice {
        choice: String,
    },
    /// The same choice ticked twice.
    RepeatedChoice {
        choice: String,
    },
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
}

impl AnswerProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AnswerProblem::UnknownQuestion => "unknown_question",
            AnswerProblem::Required => "required",
            AnswerProblem::WrongType { .. } => "wrong_type",
            AnswerProblem::UnknownChoice { .. } => "unknown_choice",
            AnswerProblem::RepeatedChoice { .. } => "repeated_choice",
            AnswerProblem::BelowMin { .. } => "below_min",
            AnswerProblem::AboveMax { .. } => "above_max",
            AnswerProblem::TooLong { .. } => "too_long",
        }
    }

    /// A message for the respondent in `lang` (English when not translated).
    pub fn message(&self, lang: &str) -> String {
        let t = |k| i18n::ui(lang, k);
        match self {
            AnswerProblem::UnknownQuestion => t(Ui::ErrUnknownQuestion).to_string(),
            AnswerProblem::Required => t(Ui::ErrRequired).to_string(),
            AnswerProblem::WrongType { expected } => {
                format!("{} ({expected})", t(Ui::ErrWrongType))
            }
            AnswerProblem::UnknownChoice { choice } => {
                format!("{}: {choice}", t(Ui::ErrUnknownChoice))
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
            AnswerProblem::TooLong { max } => t(Ui::ErrTooLong).replace("{max}", &max.to_string()),
        }
    }
}

/// Checks `answers` against `survey` and returns either the typed answers or
/// every problem found, in question order (unknown question ids last).
///
/// `null`, `""` (after trimming) and `[]` count as "not answered" and are not
/// stored.
///
/// `today` is the respondent's day (UTC), for `today()` in expressions and
/// date bounds.
pub fn validate(
    survey: &Survey,
    answers: &Map<String, Value>,
    today: crate::Date,
) -> Result<ValidResponse, Vec<AnswerError>> {
    let _ = today;
    let mut errors = Vec::new();
    let mut out = Answers::new();
    for q in &survey.questions {
        let value = answers.get(&q.id).filter(|v| !is_blank(v));
        let Some(value) = value else {
            if q.required == crate::model::Requirement::Fixed(true) {
                errors.push(AnswerError {
                    question: q.id.clone(),
                    problem: AnswerProblem::Required,
                });
            }
            continue;
        };
        match check_value(&q.kind, value) {
            Ok(answer) => {
                out.insert(q.id.clone(), answer);
            }
            Err(problems) => errors.extend(problems.into_iter().map(|problem| AnswerError {
                question: q.id.clone(),
                problem,
            })),
        }
    }
    for id in answers.keys() {
        if survey.question(id).is_none() {
            errors.push(AnswerError {
                question: id.clone(),
                problem: AnswerProblem::UnknownQuestion,
            });
        }
    }
    if errors.is_empty() {
        Ok(ValidResponse { answers: out })
    } else {
        Err(errors)
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn check_value(kind: &QuestionKind, value: &Value) -> Result<Answer, Vec<AnswerProblem>> {
    let wrong = |expected| vec![AnswerProblem::WrongType { expected }];
    match kind {
        QuestionKind::SingleChoice { choices, .. } => {
            let Value::String(id) = value else {
                return Err(wrong("one choice id as a string"));
            };
            if choices.iter().any(|c| &c.id == id) {
                Ok(Answer::Text(id.clone()))
            } else {
                Err(vec![AnswerProblem::UnknownChoice { choice: id.clone() }])
            }
        }
        QuestionKind::MultipleChoice { choices, .. } => {
            let Value::Array(items) = value else {
                return Err(wrong("a list of choice ids"));
            };
            let mut picked: Vec<String> = Vec::with_capacity(items.len());
            let mut problems = Vec::new();
            for item in items {
                let Value::String(id) = item else {
                    problems.push(AnswerProblem::WrongType {
                        expected: "a list of choice ids",
                    });
                    continue;
                };
                if !choices.iter().any(|c| &c.id == id) {
                    problems.push(AnswerProblem::UnknownChoice { choice: id.clone() });
                } else if picked.contains(id) {
                    problems.push(AnswerProblem::RepeatedChoice { choice: id.clone() });
                } else {
                    picked.push(id.clone());
                }
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            // Stored in the survey's order, whatever order they were ticked in.
            picked.sort_by_key(|id| choices.iter().position(|c| &c.id == id));
            Ok(Answer::Choices(picked))
        }
        QuestionKind::ShortText { max_length } => {
            let Value::String(s) = value else {
                return Err(wrong("text"));
            };
            let s = s.trim();
            if s.chars().count() > *max_length as usize {
                return Err(vec![AnswerProblem::TooLong { max: *max_length }]);
            }
            Ok(Answer::Text(s.to_string()))
        }
        QuestionKind::Integer { min, max } => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                // Forms send what the user typed; accept a plain decimal integer.
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let Some(n) = n else {
                return Err(wrong("a whole number"));
            };
            if let Some(lo) = min
                && n < *lo
            {
                return Err(vec![AnswerProblem::BelowMin { min: *lo }]);
            }
            if let Some(hi) = max
                && n > *hi
            {
                return Err(vec![AnswerProblem::AboveMax { max: *hi }]);
            }
            Ok(Answer::Integer(n))
        }
        // Interim: the new question types are checked by the logic engine
        // (issue 3); until then they are refused rather than stored unchecked.
        _ => Err(wrong("a question type this version cannot check yet")),
    }
}
