//! Loading survey files (TOML) into checked [`Survey`] values.
//!
//! The loader walks the parsed TOML by hand instead of deriving
//! `Deserialize`, so that it can report **every** problem in a file at once,
//! each with the question (and choice) it concerns, rather than stopping at
//! the first.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use toml::{Table, Value};

use crate::Epsilon;
use crate::model::{
    Choice, Question, QuestionKind, SHORT_TEXT_DEFAULT_MAX, SHORT_TEXT_LIMIT, Survey, Text,
};

/// One problem in a survey file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file: `survey`, `question \`age\``, `question \`age\`, choice \`x\``.
    pub place: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Every problem found in one survey file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file, when loading from disk.
    pub file: Option<String>,
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("<survey>");
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{file}: {p}")?;
        }
        Ok(())
    }
}

/// Reads and checks the survey file at `path`.
pub fn load_file(path: &Path) -> Result<Survey, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: Some(file.clone()),
        problems: vec![Problem {
            place: "file".into(),
            message: format!("cannot read: {e}"),
        }],
    })?;
    parse_survey(&text).map_err(|mut e| {
        e.file = Some(file);
        e
    })
}

/// Parses and checks a survey from TOML text.
pub fn parse_survey(text: &str) -> Result<Survey, LoadError> {
    let table: Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            let place = match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                }
                None => "file".to_string(),
            };
            return Err(LoadError {
                file: None,
                problems: vec![Problem {
                    place,
                    message: format!("not valid TOML: {}", e.message()),
                }],
            });
        }
    };
    let mut cx = Checker::default();
    let survey = cx.survey(&table);
    match survey {
        Some(s) if cx.problems.is_empty() => Ok(s),
        _ => Err(LoadError {
            file: None,
            problems: cx.problems,
        }),
    }
}

/// Is `id` usable as a survey, question or choice id? Lower-case ASCII letter
/// first, then letters, digits, `_` or `-`, at most 64 bytes: safe as a file
/// name, a URL segment and a CSV column.
pub fn is_valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && id.len() <= 64
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Choice ids may also start with a digit, as XLSForm choice names often do
/// (`1`, `2`, `25_34`).
pub fn is_valid_choice_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
        && id.as_bytes()[0].is_ascii_alphanumeric()
}

fn is_valid_language(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

const SURVEY_KEYS: &[&str] = &[
    "id",
    "version",
    "languages",
    "default_language",
    "title",
    "description",
    "privacy_budget",
    "questions",
];
const QUESTION_KEYS: &[&str] = &[
    "id",
    "type",
    "label",
    "hint",
    "required",
    "choices",
    "min",
    "max",
    "max_length",
];
const QUESTION_TYPES: &[&str] = &["single_choice", "multiple_choice", "short_text", "integer"];

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    languages: Vec<String>,
}

impl Checker {
    fn problem(&mut self, place: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            place: place.to_string(),
            message: message.into(),
        });
    }

    fn unknown_keys(&mut self, place: &str, table: &Table, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                self.problem(
                    place,
                    format!("unknown key `{key}` (known keys: {})", known.join(", ")),
                );
            }
        }
    }

    fn survey(&mut self, t: &Table) -> Option<Survey> {
        let place = "survey";
        self.unknown_keys(place, t, SURVEY_KEYS);

        let id = match t.get("id") {
            Some(Value::String(s)) if is_valid_id(s) => Some(s.clone()),
            Some(Value::String(s)) => {
                self.problem(place, format!("id `{s}` must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)"));
                None
            }
            Some(_) => {
                self.problem(place, "`id` must be a string");
                None
            }
            None => {
                self.problem(place, "missing `id`");
                None
            }
        };

        let version = match t.get("version") {
            Some(Value::Integer(v)) if (1..=i64::from(u32::MAX)).contains(v) => {
                u32::try_from(*v).ok()
            }
            Some(_) => {
                self.problem(place, "`version` must be a whole number of at least 1");
                None
            }
            None => {
                self.problem(
                    place,
                    "missing `version` (start at 1 and raise it whenever the survey changes)",
                );
                None
            }
        };

        self.languages = self.languages(t);
        let default_language = match t.get("default_language") {
            Some(Value::String(l)) if self.languages.contains(l) => Some(l.clone()),
            Some(Value::String(l)) => {
                self.problem(
                    place,
                    format!("`default_language` `{l}` is not one of `languages`"),
                );
                None
            }
            Some(_) => {
                self.problem(place, "`default_language` must be a language code");
                None
            }
            None => self.languages.first().cloned(),
        };

        let title = self.text(place, "title", t.get("title"), true);
        let description = match t.get("description") {
            Some(v) => self.text(place, "description", Some(v), true),
            None => Some(Text::default()),
        };

        let privacy_budget = match t.get("privacy_budget") {
            None => {
                self.problem(place, "missing `privacy_budget`: the total ε all publications of this survey may spend (for example 2)");
                None
            }
            Some(v) => match epsilon_value(v) {
                Ok(e) if e.is_zero() => {
                    self.problem(place, "`privacy_budget` must be greater than 0");
                    None
                }
                Ok(e) => Some(e),
                Err(msg) => {
                    self.problem(place, format!("`privacy_budget`: {msg}"));
                    None
                }
            },
        };

        let questions = match t.get("questions") {
            Some(Value::Array(items)) if !items.is_empty() => Some(self.questions(items)),
            Some(Value::Array(_)) => {
                self.problem(place, "the survey has no questions");
                None
            }
            Some(_) => {
                self.problem(place, "`questions` must be a list of [[questions]] tables");
                None
            }
            None => {
                self.problem(place, "missing [[questions]]");
                None
            }
        };

        Some(Survey {
            id: id?,
            version: version?,
            languages: self.languages.clone(),
            default_language: default_language?,
            title: title?,
            description: description?,
            privacy_budget: privacy_budget?,
            closes: None,
            sections: Vec::new(),
            questions: questions?,
            publication: crate::model::Publication::default(),
        })
    }

    fn languages(&mut self, t: &Table) -> Vec<String> {
        let place = "survey";
        let Some(value) = t.get("languages") else {
            self.problem(place, "missing `languages`, for example [\"ru\", \"en\"]");
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.problem(place, "`languages` must be a list of language codes");
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            match item.as_str() {
                Some(code) if !is_valid_language(code) => self.problem(
                    place,
                    format!("`{code}` is not a language code (use ISO 639 codes such as ru, en, uk, ka, kk, ky)"),
                ),
                Some(code) if out.iter().any(|c| c == code) => {
                    self.problem(place, format!("language `{code}` is listed twice"))
                }
                Some(code) => out.push(code.to_string()),
                None => self.problem(place, "`languages` must hold only strings"),
            }
        }
        if items.is_empty() {
            self.problem(place, "`languages` is empty; list at least one");
        }
        out
    }

    /// A per-language text. `required`: absent is a problem.
    fn text(&mut self, place: &str, key: &str, v: Option<&Value>, required: bool) -> Option<Text> {
        let Some(v) = v else {
            if required {
                self.problem(place, format!("missing `{key}`"));
            }
            return None;
        };
        let Value::Table(t) = v else {
            self.problem(
                place,
                format!("`{key}` must be a table of texts by language, like {key} = {{ ru = \"…\", en = \"…\" }}"),
            );
            return None;
        };
        let mut text = Text::default();
        let mut ok = true;
        for (lang, value) in t {
            if !self.languages.contains(lang) {
                self.problem(
                    place,
                    format!(
                        "`{key}` has a text in `{lang}`, which is not in the survey's `languages`"
                    ),
                );
                ok = false;
                continue;
            }
            match value.as_str() {
                Some(s) => {
                    text.0.insert(lang.clone(), s.to_string());
                }
                None => {
                    self.problem(place, format!("`{key}.{lang}` must be a string"));
                    ok = false;
                }
            }
        }
        for lang in self.languages.clone() {
            if !text.has(&lang) {
                self.problem(place, format!("`{key}` is missing its `{lang}` text"));
                ok = false;
            }
        }
        ok.then_some(text)
    }

    fn questions(&mut self, items: &[Value]) -> Vec<Question> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::Table(t) = item else {
                self.problem(&format!("question #{}", i + 1), "must be a table");
                continue;
            };
            let id = t.get("id").and_then(Value::as_str);
            let place = match id {
                Some(id) => format!("question `{id}`"),
                None => format!("question #{}", i + 1),
            };
            match id {
                None => self.problem(&place, "missing `id`"),
                Some(id) if !is_valid_id(id) => self.problem(
                    &place,
                    "the id must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
                ),
                Some(id) if !seen.insert(id.to_string()) => {
                    self.problem(&place, "duplicate question id")
                }
                Some(_) => {}
            }
            if let Some(q) = self.question(&place, id, t) {
                out.push(q);
            }
        }
        out
    }

    fn question(&mut self, place: &str, id: Option<&str>, t: &Table) -> Option<Question> {
        self.unknown_keys(place, t, QUESTION_KEYS);
        let label = self.text(place, "label", t.get("label"), true);
        let hint = match t.get("hint") {
            Some(v) => self.text(place, "hint", Some(v), false).map(Some),
            None => Some(None),
        };
        let required = match t.get("required") {
            None => Some(false),
            Some(Value::Boolean(b)) => Some(*b),
            Some(_) => {
                self.problem(place, "`required` must be true or false");
                None
            }
        };
        let kind = match t.get("type") {
            None => {
                self.problem(
                    place,
                    format!("missing `type` (one of: {})", QUESTION_TYPES.join(", ")),
                );
                None
            }
            Some(Value::String(ty)) => self.kind(place, ty, t),
            Some(_) => {
                self.problem(place, "`type` must be a string");
                None
            }
        };
        Some(Question {
            id: id?.to_string(),
            label: label?,
            hint: hint?,
            section: None,
            required: crate::model::Requirement::Fixed(required?),
            required_message: None,
            relevant: None,
            constraint: None,
            kind: kind?,
        })
    }

    fn kind(&mut self, place: &str, ty: &str, t: &Table) -> Option<QuestionKind> {
        let is_choice = matches!(ty, "single_choice" | "multiple_choice");
        if !is_choice && t.contains_key("choices") {
            self.problem(place, format!("a `{ty}` question takes no `choices`"));
        }
        if ty != "integer" {
            for key in ["min", "max"] {
                if t.contains_key(key) {
                    self.problem(place, format!("`{key}` applies only to integer questions"));
                }
            }
        }
        if ty != "short_text" && t.contains_key("max_length") {
            self.problem(place, "`max_length` applies only to short_text questions");
        }
        match ty {
            "single_choice" => Some(QuestionKind::SingleChoice {
                choices: self.choices(place, t)?,
                other: false,
                randomize: false,
            }),
            "multiple_choice" => Some(QuestionKind::MultipleChoice {
                choices: self.choices(place, t)?,
                other: false,
                randomize: false,
                min_selected: None,
                max_selected: None,
            }),
            "short_text" => {
                let max_length = match t.get("max_length") {
                    None => Some(SHORT_TEXT_DEFAULT_MAX),
                    Some(Value::Integer(n)) if (1..=i64::from(SHORT_TEXT_LIMIT)).contains(n) => {
                        u32::try_from(*n).ok()
                    }
                    Some(_) => {
                        self.problem(
                            place,
                            format!(
                                "`max_length` must be a whole number from 1 to {SHORT_TEXT_LIMIT}"
                            ),
                        );
                        None
                    }
                };
                Some(QuestionKind::ShortText {
                    max_length: max_length?,
                })
            }
            "integer" => {
                let mut bound = |key: &str| match t.get(key) {
                    None => Some(None),
                    Some(Value::Integer(n)) => Some(Some(*n)),
                    Some(_) => {
                        self.problem(place, format!("`{key}` must be a whole number"));
                        None
                    }
                };
                let (min, max) = (bound("min")?, bound("max")?);
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    self.problem(place, format!("`min` ({lo}) is greater than `max` ({hi})"));
                    return None;
                }
                Some(QuestionKind::Integer { min, max })
            }
            other => {
                self.problem(
                    place,
                    format!(
                        "unknown type `{other}` (one of: {})",
                        QUESTION_TYPES.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn choices(&mut self, place: &str, t: &Table) -> Option<Vec<Choice>> {
        let items = match t.get("choices") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            Some(Value::Array(_)) | None => {
                self.problem(
                    place,
                    "a choice question needs at least one entry in `choices`",
                );
                return None;
            }
            Some(_) => {
                self.problem(place, "`choices` must be a list of { id, label } tables");
                return None;
            }
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let Value::Table(c) = item else {
                self.problem(
                    place,
                    format!("choice #{} must be a table {{ id, label }}", i + 1),
                );
                ok = false;
                continue;
            };
            let id = c.get("id").and_then(Value::as_str);
            let cplace = match id {
                Some(id) => format!("{place}, choice `{id}`"),
                None => format!("{place}, choice #{}", i + 1),
            };
            for key in c.keys() {
                if key != "id" && key != "label" {
                    self.problem(
                        &cplace,
                        format!("unknown key `{key}` (known keys: id, label)"),
                    );
                    ok = false;
                }
            }
            match id {
                None => {
                    self.problem(&cplace, "missing `id`");
                    ok = false;
                }
                Some(id) if !is_valid_choice_id(id) => {
                    self.problem(&cplace, "the id must start with a-z or 0-9 and use only a-z, 0-9, `_` and `-` (at most 64)");
                    ok = false;
                }
                Some(id) if !seen.insert(id.to_string()) => {
                    self.problem(&cplace, "duplicate choice id");
                    ok = false;
                }
                Some(_) => {}
            }
            let label = self.text(&cplace, "label", c.get("label"), true);
            if let (Some(id), Some(label)) = (id, label) {
                out.push(Choice {
                    id: id.to_string(),
                    label,
                    exclusive: false,
                    fixed: false,
                });
            }
        }
        ok.then_some(out).filter(|v| v.len() == items.len())
    }
}

/// An ε written as a TOML integer, float or string.
fn epsilon_value(v: &Value) -> Result<Epsilon, String> {
    let text = match v {
        Value::Integer(i) if *i >= 0 => i.to_string(),
        // Display gives the shortest text that reads back as the same f64,
        // which is what the researcher typed.
        Value::Float(f) if f.is_finite() && *f >= 0.0 => f.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err("must be a positive number like 2, 0.5 or \"1/3\"".into()),
    };
    text.parse::<Epsilon>().map_err(|e| e.to_string())
}
