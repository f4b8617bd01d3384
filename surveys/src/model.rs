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
    #[serde(default)]
    pub description: Text,
    /// Total ε that all publications of this survey together may spend.
    pub privacy_budget: Epsilon,
    pub questions: Vec<Question>,
}

impl Survey {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

/// The answer a question takes, with the rules on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one of `choices`.
    SingleChoice { choices: Vec<Choice> },
    /// Any subset of `choices`.
    MultipleChoice { choices: Vec<Choice> },
    /// One line of free text, at most `max_length` characters. Never published.
    ShortText { max_length: u32 },
    /// A whole number within the optional bounds.
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
}

impl QuestionKind {
    /// The name used in survey files (`single_choice`, …).
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::ShortText { .. } => "short_text",
            QuestionKind::Integer { .. } => "integer",
        }
    }

    /// The options of a choice question, or `None`.
    pub fn choices(&self) -> Option<&[Choice]> {
        match self {
            QuestionKind::SingleChoice { choices } | QuestionKind::MultipleChoice { choices } => {
                Some(choices)
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Text,
}

/// Default and largest length of a short text answer, in characters.
pub const SHORT_TEXT_DEFAULT_MAX: u32 = 500;
pub const SHORT_TEXT_LIMIT: u32 = 2000;
