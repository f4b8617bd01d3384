//! Loading survey files (TOML) into checked [`Survey`] values.
//!
//! The loader walks the parsed TOML by hand instead of deriving
//! `Deserialize`, so that it can report **every** problem in a file at once,
//! each with the question (and choice) it concerns, rather than stopping at
//! the first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use toml::{Table, Value};

use crate::expr::{LogicSource, SectionSource, check_logic};
use crate::model::{
    COUNTS_OVER_INSTANCES, Choice, Constraint, LONG_TEXT_DEFAULT_MAX, LONG_TEXT_LIMIT, Mechanism,
    PlannedTable, Publication, Question, QuestionKind, Requirement, SHORT_TEXT_DEFAULT_MAX,
    SHORT_TEXT_LIMIT, Section, Statistic, Survey, Text,
};
use crate::{Date, Epsilon};

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

/// Is `code` a language code a survey may use (`ru`, `en`, `pt-BR`…)?
pub fn is_valid_language(code: &str) -> bool {
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
    "browser_title",
    "description",
    "privacy_budget",
    "closes",
    "public_keys",
    "drafts",
    "choice_lists",
    "sections",
    "questions",
    "publication",
];
/// The type names of [`crate::QuestionKind`], as written in `type`.
pub(crate) const QUESTION_TYPES: &[&str] = &[
    "single_choice",
    "multiple_choice",
    "short_text",
    "long_text",
    "integer",
    "decimal",
    "date",
    "rating",
    "grid",
    "ranking",
    "note",
    "consent",
    "calculate",
    "repeat",
];
const COMMON_KEYS: &[&str] = &[
    "id",
    "type",
    "label",
    "hint",
    "section",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
];

/// The keys a question of type `ty` takes.
fn keys_of(ty: &str) -> Vec<&'static str> {
    let common: &[&str] = match ty {
        "note" => &["id", "type", "label", "hint", "section", "relevant"],
        "repeat" => &["id", "type", "label", "hint", "section", "relevant"],
        "calculate" => &["id", "type", "label", "section", "relevant"],
        "consent" => &[
            "id",
            "type",
            "label",
            "hint",
            "section",
            "required",
            "required_message",
            "relevant",
        ],
        _ => COMMON_KEYS,
    };
    let own: &[&str] = match ty {
        "single_choice" => &["choices", "choice_list", "other", "randomize"],
        "multiple_choice" => &[
            "choices",
            "choice_list",
            "other",
            "randomize",
            "min_selected",
            "max_selected",
        ],
        "short_text" | "long_text" => &["max_length"],
        "integer" | "decimal" | "date" => &["min", "max"],
        "rating" => &["scale", "low_label", "high_label"],
        "grid" => &["statements", "scale"],
        "ranking" => &["choices", "choice_list", "rank", "randomize"],
        "calculate" => &["expression"],
        "repeat" => &["questions", "max", "min", "count"],
        _ => &[],
    };
    common.iter().chain(own).copied().collect()
}

const TABLE_KEYS: &[&str] = &[
    "id",
    "question",
    "statistic",
    "lower",
    "upper",
    "edges",
    "degree",
    "by",
    "epsilon",
    "mechanism",
];
/// The kinds of [`crate::Statistic`], as written in `kind`.
pub(crate) const STATISTICS: &[&str] = &[
    "total",
    "counts",
    "instances",
    "mean",
    "histogram",
    "quantiles",
    "first_choice",
    "mean_rank",
    "rds_proportion",
];

/// The largest upper bound of an `rds_proportion`'s `degree` question: the
/// weights are kept in units of 1/(1000·max), which must stay small enough
/// for exact noise.
pub const RDS_DEGREE_LIMIT: i64 = 1_000_000;

/// The bounds `[min, max]` of the network-size question `id` of an
/// `rds_proportion`, or why it cannot be one: it must be an integer
/// question with both bounds declared, `min` at least 1 and `max` at most
/// [`RDS_DEGREE_LIMIT`]. (`chorus check` and `chorus publish` give the same
/// message.)
pub fn rds_degree_range(id: &str, kind: &QuestionKind) -> Result<(i64, i64), String> {
    let QuestionKind::Integer { min, max } = kind else {
        return Err(format!(
            "`degree` must be an integer question (each respondent's network size); `{id}` is {}",
            kind.name()
        ));
    };
    let (Some(min), Some(max)) = (*min, *max) else {
        return Err(format!(
            "the degree question `{id}` needs both `min` and `max`: the weights 1/degree, and so the noise, are bounded by its range"
        ));
    };
    if min < 1 {
        return Err(format!(
            "the degree question `{id}` has `min = {min}`; it must be at least 1 (a respondent weighs 1/degree, and one respondent's largest weight, 1/min, sizes the noise)"
        ));
    }
    if max > RDS_DEGREE_LIMIT {
        return Err(format!(
            "the degree question `{id}` has `max = {max}`; for `rds_proportion` it must be at most {RDS_DEGREE_LIMIT}"
        ));
    }
    if min > max {
        return Err(format!("the degree question `{id}` has `min` above `max`"));
    }
    Ok((min, max))
}

/// `a, b or c`.
fn or_list(items: &[&str]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A question table as read, kept for the checks that span questions.
struct Read<'t> {
    id: Option<String>,
    table: &'t Table,
    kind: Option<QuestionKind>,
    section: Option<String>,
    /// A repeat's questions, as read (also when the repeat is broken).
    inner: Vec<Read<'t>>,
}

/// The most instances a repeat may declare.
pub const REPEAT_LIMIT: u32 = 100;

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
    languages: Vec<String>,
    /// Shared choice lists; `None` for a list with problems (already reported).
    lists: BTreeMap<String, Option<Vec<Choice>>>,
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

    /// A boolean key, `false` when absent.
    fn flag(&mut self, place: &str, t: &Table, key: &str) -> bool {
        match t.get(key) {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(_) => {
                self.problem(place, format!("`{key}` must be true or false"));
                false
            }
        }
    }

    /// An optional string key.
    fn string<'t>(&mut self, place: &str, t: &'t Table, key: &str) -> Option<&'t str> {
        match t.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.problem(place, format!("`{key}` must be a string"));
                None
            }
        }
    }

    /// An optional whole number in `range`.
    fn whole(
        &mut self,
        place: &str,
        t: &Table,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ()> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::Integer(n)) if range.contains(n) => Ok(Some(*n)),
            Some(_) => {
                let (lo, hi) = (range.start(), range.end());
                let what = if *hi == i64::MAX {
                    format!("a whole number of at least {lo}")
                } else {
                    format!("a whole number from {lo} to {hi}")
                };
                self.problem(place, format!("`{key}` must be {what}"));
                Err(())
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
        let browser_title = match t.get("browser_title") {
            Some(v) => self.text(place, "browser_title", Some(v), true).map(Some),
            None => Some(None),
        };
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

        let closes = match self.string(place, t, "closes") {
            Some(s) if s.parse::<Date>().is_err() => {
                self.problem(
                    place,
                    format!("`closes` `{s}` is not a date in the form YYYY-MM-DD"),
                );
                None
            }
            s => s.map(str::to_string),
        };

        let public_keys = self.public_keys(t.get("public_keys"));
        let drafts = match t.get("drafts") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(_) => {
                self.problem(
                    place,
                    "`drafts` must be true (members may keep an unfinished answer on their phone, locked with a passphrase) or false",
                );
                false
            }
        };
        self.choice_lists(t.get("choice_lists"));
        let sections = self.sections(t.get("sections"));

        let read = match t.get("questions") {
            Some(Value::Array(items)) if !items.is_empty() => {
                self.questions(items, None, &mut BTreeSet::new())
            }
            Some(Value::Array(_)) => {
                self.problem(place, "the survey has no questions");
                Vec::new()
            }
            Some(_) => {
                self.problem(place, "`questions` must be a list of [[questions]] tables");
                Vec::new()
            }
            None => {
                self.problem(place, "missing [[questions]]");
                Vec::new()
            }
        };
        let (read, questions): (Vec<Read>, Vec<Option<Question>>) = read.into_iter().unzip();

        self.section_order(&sections, &read);
        self.other_clashes(&read);
        self.logic(&sections, &read);
        let publication = self.publication(t.get("publication"), &read, privacy_budget);

        let questions: Option<Vec<Question>> = questions.into_iter().collect();
        let questions = questions.filter(|q| !q.is_empty());
        Some(Survey {
            id: id?,
            version: version?,
            languages: self.languages.clone(),
            default_language: default_language?,
            title: title?,
            browser_title: browser_title?,
            description: description?,
            privacy_budget: privacy_budget?,
            closes,
            sections: sections.into_iter().collect::<Option<Vec<_>>>()?,
            questions: questions?,
            publication: publication?,
            public_keys,
            drafts,
        })
    }

    /// `public_keys = ["chorus-pk1:…", …]`: each must be a key as
    /// `chorus keygen` prints it, none twice.
    fn public_keys(&mut self, value: Option<&Value>) -> Vec<String> {
        let place = "survey";
        let Some(value) = value else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.problem(
                place,
                "`public_keys` must be a list of keys, as `chorus keygen` prints them",
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.problem(place, "`public_keys` is empty: list the researchers' key, or leave `public_keys` out to store answers in plaintext");
        }
        let mut seen = BTreeSet::new();
        let mut keys = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            let Value::String(text) = item else {
                self.problem(place, format!("`public_keys` entry {n} must be a string"));
                continue;
            };
            match seal::PublicKey::parse(text) {
                Ok(key) if !seen.insert(key.id()) => self.problem(
                    place,
                    format!(
                        "`public_keys` entry {n} repeats key {}",
                        key.id().fingerprint()
                    ),
                ),
                Ok(_) => keys.push(text.trim().to_string()),
                Err(e) => self.problem(place, format!("`public_keys` entry {n}: {e}")),
            }
        }
        keys
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

    /// An optional text: `Some(None)` when absent, `None` when broken.
    fn optional_text(&mut self, place: &str, key: &str, t: &Table) -> Option<Option<Text>> {
        match t.get(key) {
            Some(v) => self.text(place, key, Some(v), false).map(Some),
            None => Some(None),
        }
    }

    fn choice_lists(&mut self, v: Option<&Value>) {
        let Some(v) = v else { return };
        let Value::Table(t) = v else {
            self.problem(
                "survey",
                "`choice_lists` must be a table of lists: [choice_lists] name = [ { id, label }, … ]",
            );
            return;
        };
        for (name, items) in t {
            let place = format!("choice list `{name}`");
            if !is_valid_id(name) {
                self.problem(
                    &place,
                    "the name must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
                );
            }
            let list = match items {
                Value::Array(items) if !items.is_empty() => self.choice_items(&place, items, true),
                _ => {
                    self.problem(&place, "must be a non-empty list of { id, label } tables");
                    None
                }
            };
            self.lists.insert(name.clone(), list);
        }
    }

    /// The id of the `i`-th `kind` table and the place to report it by,
    /// reporting a missing, malformed or repeated id.
    fn entry_id<'t>(
        &mut self,
        kind: &str,
        i: usize,
        t: &'t Table,
        seen: &mut BTreeSet<String>,
    ) -> (Option<&'t str>, String) {
        let id = t.get("id").and_then(Value::as_str);
        let place = match id {
            Some(id) => format!("{kind} `{id}`"),
            None => format!("{kind} #{}", i + 1),
        };
        match id {
            None => self.problem(&place, "missing `id`"),
            Some(id) if !is_valid_id(id) => self.problem(
                &place,
                "the id must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
            ),
            Some(id) if !seen.insert(id.to_string()) => {
                self.problem(&place, format!("duplicate {kind} id"))
            }
            Some(_) => {}
        }
        (id, place)
    }

    fn sections(&mut self, v: Option<&Value>) -> Vec<Option<Section>> {
        let Some(v) = v else { return Vec::new() };
        let Value::Array(items) = v else {
            self.problem("survey", "`sections` must be a list of [[sections]] tables");
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::Table(t) = item else {
                self.problem(&format!("section #{}", i + 1), "must be a table");
                out.push(None);
                continue;
            };
            let (id, place) = self.entry_id("section", i, t, &mut seen);
            self.unknown_keys(&place, t, &["id", "title", "relevant"]);
            let title = self.text(&place, "title", t.get("title"), true);
            let relevant = self.string(&place, t, "relevant").map(str::to_string);
            // A broken title is reported; the section still takes part in
            // the checks of the questions (the survey is refused anyway).
            out.push(id.map(|id| Section {
                id: id.to_string(),
                title: title.unwrap_or_default(),
                relevant,
            }));
        }
        out
    }

    /// The questions of the survey, or (`repeat` naming it) of a repeat;
    /// `seen` holds every question id so far, inner ones included.
    fn questions<'t>(
        &mut self,
        items: &'t [Value],
        repeat: Option<&str>,
        seen: &mut BTreeSet<String>,
    ) -> Vec<(Read<'t>, Option<Question>)> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::Table(t) = item else {
                let place = match repeat {
                    Some(r) => format!("question #{} of repeat `{r}`", i + 1),
                    None => format!("question #{}", i + 1),
                };
                self.problem(&place, "must be a table");
                continue;
            };
            let (id, place) = self.entry_id("question", i, t, seen);
            if let Some(r) = repeat {
                if t.contains_key("section") {
                    self.problem(
                        &place,
                        format!("a question inside a repeat is on the repeat's page: it takes no `section` (`{r}` has it)"),
                    );
                }
                if t.get("type").and_then(Value::as_str) == Some("repeat") {
                    self.problem(
                        &place,
                        format!("a repeat inside a repeat (`{r}`) is not supported: ask its questions in `{r}` or in a repeat of its own"),
                    );
                    continue;
                }
            }
            out.push(self.question(&place, id, t, seen));
        }
        out
    }

    /// A repeat: its questions (`[[questions.questions]]`), `max`, `min`
    /// and `count`. The questions are read even when the rest is broken.
    fn repeat<'t>(
        &mut self,
        place: &str,
        id: Option<&str>,
        t: &'t Table,
        seen: &mut BTreeSet<String>,
    ) -> (Vec<Read<'t>>, Option<QuestionKind>) {
        let name = id.unwrap_or("?");
        let (reads, questions) = match t.get("questions") {
            Some(Value::Array(items)) if !items.is_empty() => {
                let (reads, qs): (Vec<Read>, Vec<Option<Question>>) =
                    self.questions(items, Some(name), seen).into_iter().unzip();
                (reads, qs.into_iter().collect::<Option<Vec<_>>>())
            }
            Some(Value::Array(_)) | None => {
                self.problem(
                    place,
                    "a repeat needs its questions, as [[questions.questions]] tables after it",
                );
                (Vec::new(), None)
            }
            Some(_) => {
                self.problem(place, "`questions` must be a list of question tables");
                (Vec::new(), None)
            }
        };
        let max = match self.whole(place, t, "max", 1..=i64::from(REPEAT_LIMIT)) {
            Ok(Some(m)) => u32::try_from(m).ok(),
            Ok(None) => {
                self.problem(
                    place,
                    format!("missing `max`: the most instances a member may give (at most {REPEAT_LIMIT}); it also bounds how much one response weighs in a publication"),
                );
                None
            }
            Err(()) => None,
        };
        let min = self
            .whole(place, t, "min", 0..=i64::from(REPEAT_LIMIT))
            .ok()
            .map(|m| m.and_then(|m| u32::try_from(m).ok()).unwrap_or(0));
        let count = self.string(place, t, "count").map(str::to_string);
        if count.is_some() && t.contains_key("min") {
            self.problem(
                place,
                "a repeat with `count` has as many instances as it gives: it takes no `min`",
            );
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            self.problem(place, format!("`min` ({lo}) is more than `max` ({hi})"));
            return (reads, None);
        }
        let kind = (|| {
            Some(QuestionKind::Repeat {
                questions: questions?,
                max: max?,
                min: min?,
                count,
            })
        })();
        (reads, kind)
    }

    fn question<'t>(
        &mut self,
        place: &str,
        id: Option<&str>,
        t: &'t Table,
        seen: &mut BTreeSet<String>,
    ) -> (Read<'t>, Option<Question>) {
        let ty = match t.get("type") {
            None => {
                self.problem(
                    place,
                    format!("missing `type` (one of: {})", QUESTION_TYPES.join(", ")),
                );
                None
            }
            Some(Value::String(ty)) if QUESTION_TYPES.contains(&ty.as_str()) => Some(ty.as_str()),
            Some(Value::String(_)) => None, // reported with the kind
            Some(_) => {
                self.problem(place, "`type` must be a string");
                None
            }
        };
        // Keys: those of another type get a specific message.
        match ty {
            Some(ty) => {
                let known = keys_of(ty);
                for key in t.keys() {
                    if known.contains(&key.as_str()) {
                        continue;
                    }
                    let elsewhere = COMMON_KEYS.contains(&key.as_str())
                        || QUESTION_TYPES
                            .iter()
                            .any(|o| keys_of(o).contains(&key.as_str()))
                        || key == "expression";
                    if elsewhere {
                        self.problem(place, format!("a `{ty}` question takes no `{key}`"));
                    } else {
                        self.problem(
                            place,
                            format!("unknown key `{key}` (known keys: {})", known.join(", ")),
                        );
                    }
                }
            }
            None => {
                let mut all: Vec<&str> = COMMON_KEYS.to_vec();
                for o in QUESTION_TYPES {
                    for k in keys_of(o) {
                        if !all.contains(&k) {
                            all.push(k);
                        }
                    }
                }
                self.unknown_keys(place, t, &all);
            }
        }

        let is_calc = ty == Some("calculate");
        let label = match t.get("label") {
            None if is_calc => Some(Text::default()),
            v => self.text(place, "label", v, true),
        };
        let hint = self.optional_text(place, "hint", t);
        let section = self.string(place, t, "section").map(str::to_string);
        let required = match t.get("required") {
            None => Some(Requirement::Fixed(false)),
            Some(Value::Boolean(b)) => Some(Requirement::Fixed(*b)),
            Some(Value::String(e)) => Some(Requirement::When(e.clone())),
            Some(_) => {
                self.problem(
                    place,
                    "`required` must be true, false or an expression in quotes",
                );
                None
            }
        };
        let required_message = self.optional_text(place, "required_message", t);
        if t.contains_key("required_message") && matches!(required, Some(Requirement::Fixed(false)))
        {
            self.problem(
                place,
                "`required_message` is given but the question is not `required`",
            );
        }
        let relevant = self.string(place, t, "relevant").map(str::to_string);
        let constraint_expr = self.string(place, t, "constraint").map(str::to_string);
        let constraint_message = self.optional_text(place, "constraint_message", t);
        if t.contains_key("constraint_message") && !t.contains_key("constraint") {
            self.problem(
                place,
                "`constraint_message` is given without a `constraint`",
            );
        }
        let mut inner = Vec::new();
        let kind = match t.get("type") {
            Some(Value::String(ty)) if ty == "repeat" => {
                let (reads, kind) = self.repeat(place, id, t, seen);
                inner = reads;
                kind
            }
            Some(Value::String(ty)) => self.kind(place, ty, t),
            _ => None,
        };
        let question = (|| {
            Some(Question {
                id: id?.to_string(),
                label: label?,
                hint: hint?,
                section: section.clone(),
                required: required?,
                required_message: required_message?,
                relevant,
                constraint: match constraint_expr {
                    Some(expression) => Some(Constraint {
                        expression,
                        message: constraint_message?,
                    }),
                    None => None,
                },
                kind: kind.clone()?,
            })
        })();
        (
            Read {
                id: id.map(str::to_string),
                table: t,
                kind,
                section,
                inner,
            },
            question,
        )
    }

    fn kind(&mut self, place: &str, ty: &str, t: &Table) -> Option<QuestionKind> {
        match ty {
            "single_choice" => {
                let other = self.flag(place, t, "other");
                let randomize = self.flag(place, t, "randomize");
                let choices = self.choice_source(place, t, other)?;
                Some(QuestionKind::SingleChoice {
                    choices,
                    other,
                    randomize,
                })
            }
            "multiple_choice" => {
                let other = self.flag(place, t, "other");
                let randomize = self.flag(place, t, "randomize");
                let min = self.whole(place, t, "min_selected", 0..=i64::from(u32::MAX));
                let max = self.whole(place, t, "max_selected", 1..=i64::from(u32::MAX));
                let choices = self.choice_source(place, t, other);
                let (min, max) = (min.ok()?, max.ok()?);
                let n = choices.as_ref().map(|c| c.len() as i64 + i64::from(other));
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    self.problem(
                        place,
                        format!("`min_selected` ({lo}) is greater than `max_selected` ({hi})"),
                    );
                    return None;
                }
                if let (Some(lo), Some(n)) = (min, n)
                    && lo > n
                {
                    self.problem(
                        place,
                        format!("`min_selected` ({lo}) is more than the {n} options"),
                    );
                    return None;
                }
                let choices = choices?;
                if min.is_some() && choices.iter().any(|c| c.relevant.is_some()) {
                    self.problem(
                        place,
                        "`min_selected` cannot be used with options that have `relevant`: how many are offered depends on earlier answers",
                    );
                    return None;
                }
                Some(QuestionKind::MultipleChoice {
                    choices,
                    other,
                    randomize,
                    min_selected: min.and_then(|v| u32::try_from(v).ok()),
                    max_selected: max.and_then(|v| u32::try_from(v).ok()),
                })
            }
            "short_text" | "long_text" => {
                let (default, limit) = if ty == "short_text" {
                    (SHORT_TEXT_DEFAULT_MAX, SHORT_TEXT_LIMIT)
                } else {
                    (LONG_TEXT_DEFAULT_MAX, LONG_TEXT_LIMIT)
                };
                let max_length = self
                    .whole(place, t, "max_length", 1..=i64::from(limit))
                    .ok()?
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(default);
                Some(if ty == "short_text" {
                    QuestionKind::ShortText { max_length }
                } else {
                    QuestionKind::LongText { max_length }
                })
            }
            "integer" => {
                let (min, max) = self.bounds(place, t, "a whole number", |v| match v {
                    Value::Integer(n) => Some(*n),
                    _ => None,
                })?;
                Some(QuestionKind::Integer { min, max })
            }
            "decimal" => {
                let (min, max) = self.bounds(place, t, "a number", |v| match v {
                    Value::Integer(n) => Some(*n as f64),
                    Value::Float(f) if f.is_finite() => Some(*f),
                    _ => None,
                })?;
                let mut exact = true;
                for (key, bound) in [("min", min), ("max", max)] {
                    if let Some(x) = bound
                        && !crate::num::exact_in_browser(x)
                    {
                        self.problem(
                            place,
                            format!(
                                "`{key}` ({x}) has too many digits for browsers to read it exactly as the collector does: at most 15 significant digits, and a power of ten within ±22"
                            ),
                        );
                        exact = false;
                    }
                }
                if !exact {
                    return None;
                }
                Some(QuestionKind::Decimal { min, max })
            }
            "date" => {
                let mut bound = |key: &str| match t.get(key) {
                    None => Some(None),
                    Some(Value::String(s)) if s == "today" || s.parse::<Date>().is_ok() => {
                        Some(Some(s.clone()))
                    }
                    Some(_) => {
                        self.problem(
                            place,
                            format!(
                                "`{key}` must be a date in quotes, \"YYYY-MM-DD\", or \"today\""
                            ),
                        );
                        None
                    }
                };
                let (min, max) = (bound("min"), bound("max"));
                let (min, max) = (min?, max?);
                if let (Some(lo), Some(hi)) = (&min, &max)
                    && let (Ok(a), Ok(b)) = (lo.parse::<Date>(), hi.parse::<Date>())
                    && a > b
                {
                    self.problem(place, format!("`min` ({lo}) is after `max` ({hi})"));
                    return None;
                }
                Some(QuestionKind::Date { min, max })
            }
            "rating" => {
                let scale = match self.whole(place, t, "scale", 2..=10) {
                    Ok(Some(n)) => u8::try_from(n).ok(),
                    Ok(None) => {
                        self.problem(place, "missing `scale`: the number of points, 2 to 10");
                        None
                    }
                    Err(()) => None,
                };
                let low = self.optional_text(place, "low_label", t);
                let high = self.optional_text(place, "high_label", t);
                Some(QuestionKind::Rating {
                    scale: scale?,
                    low_label: low?,
                    high_label: high?,
                })
            }
            "grid" => {
                let statements = match t.get("statements") {
                    Some(Value::Array(items)) if !items.is_empty() => {
                        self.choice_items(&format!("{place}, statement"), items, false)
                    }
                    _ => {
                        self.problem(
                            place,
                            "a grid needs `statements`: a list of { id, label } tables",
                        );
                        None
                    }
                };
                let scale = match t.get("scale") {
                    Some(Value::Array(items)) if !items.is_empty() => {
                        self.choice_items(place, items, true)
                    }
                    Some(Value::String(name)) => self.list(place, name),
                    _ => {
                        self.problem(
                            place,
                            "a grid needs a `scale`: a list of choices or the name of a choice list",
                        );
                        None
                    }
                };
                let scale = scale?;
                self.no_choice_relevant(
                    place,
                    &scale,
                    "every statement of a grid has the same scale",
                )?;
                Some(QuestionKind::Grid {
                    statements: statements?,
                    scale,
                })
            }
            "ranking" => {
                let randomize = self.flag(place, t, "randomize");
                let rank = self.whole(place, t, "rank", 1..=i64::from(u32::MAX));
                let choices = self.choice_source(place, t, false)?;
                self.no_choice_relevant(place, &choices, "a ranking orders every option it shows")?;
                let rank = rank.ok()?.and_then(|r| u32::try_from(r).ok());
                if let Some(r) = rank
                    && r as usize > choices.len()
                {
                    self.problem(
                        place,
                        format!("`rank` ({r}) is more than the {} options", choices.len()),
                    );
                    return None;
                }
                Some(QuestionKind::Ranking {
                    choices,
                    rank,
                    randomize,
                })
            }
            "note" => Some(QuestionKind::Note),
            "consent" => Some(QuestionKind::Consent),
            "calculate" => match t.get("expression") {
                Some(Value::String(e)) => Some(QuestionKind::Calculate {
                    expression: e.clone(),
                }),
                Some(_) => {
                    self.problem(place, "`expression` must be a string");
                    None
                }
                None => {
                    self.problem(place, "missing `expression`: what to calculate");
                    None
                }
            },
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

    /// A shared list by name.
    /// Reads the optional `min` and `max` of a number question with `read`,
    /// reporting a bound of the wrong kind and `min > max`.
    fn bounds<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        place: &str,
        t: &Table,
        what: &str,
        read: impl Fn(&Value) -> Option<T>,
    ) -> Option<(Option<T>, Option<T>)> {
        let mut ok = true;
        let mut bound = |key: &str| {
            let v = t.get(key)?;
            let b = read(v);
            if b.is_none() {
                self.problem(place, format!("`{key}` must be {what}"));
                ok = false;
            }
            b
        };
        let (min, max) = (bound("min"), bound("max"));
        if !ok {
            return None;
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            self.problem(place, format!("`min` ({lo}) is greater than `max` ({hi})"));
            return None;
        }
        Some((min, max))
    }

    fn list(&mut self, place: &str, name: &str) -> Option<Vec<Choice>> {
        match self.lists.get(name) {
            Some(list) => list.clone(),
            None => {
                let names: Vec<&str> = self.lists.keys().map(String::as_str).collect();
                self.problem(
                    place,
                    if names.is_empty() {
                        format!("unknown choice list `{name}`: the survey has no [choice_lists]")
                    } else {
                        format!("unknown choice list `{name}` (lists: {})", names.join(", "))
                    },
                );
                None
            }
        }
    }

    /// `choices` or `choice_list`. With `other`, the id `other` is reserved.
    fn choice_source(&mut self, place: &str, t: &Table, other: bool) -> Option<Vec<Choice>> {
        let choices = match (t.get("choices"), t.get("choice_list")) {
            (Some(_), Some(_)) => {
                self.problem(place, "give either `choices` or `choice_list`, not both");
                return None;
            }
            (None, Some(Value::String(name))) => self.list(place, name)?,
            (None, Some(_)) => {
                self.problem(
                    place,
                    "`choice_list` must be the name of a list in [choice_lists]",
                );
                return None;
            }
            (Some(Value::Array(items)), None) if !items.is_empty() => {
                self.choice_items(place, items, true)?
            }
            (Some(Value::Array(_)) | None, None) => {
                self.problem(
                    place,
                    "a choice question needs at least one entry in `choices`",
                );
                return None;
            }
            (Some(_), None) => {
                self.problem(place, "`choices` must be a list of { id, label } tables");
                return None;
            }
        };
        if other && choices.iter().any(|c| c.id == "other") {
            self.problem(
                place,
                "with `other = true` the choice id `other` is reserved: rename that choice or drop `other`",
            );
            return None;
        }
        Some(choices)
    }

    /// Refuses options with `relevant` where every option must be shown
    /// (`why`): the scale of a grid, a ranking.
    fn no_choice_relevant(&mut self, place: &str, choices: &[Choice], why: &str) -> Option<()> {
        let mut ok = true;
        for c in choices.iter().filter(|c| c.relevant.is_some()) {
            self.problem(
                &format!("{place}, choice `{}`", c.id),
                format!("`relevant` on an option is for single_choice and multiple_choice questions: {why}"),
            );
            ok = false;
        }
        ok.then_some(())
    }

    /// Choices (`full`: with `exclusive`, `fixed` and `relevant`) or grid statements.
    fn choice_items(&mut self, place: &str, items: &[Value], full: bool) -> Option<Vec<Choice>> {
        let what = if full { "choice" } else { "statement" };
        // `place` of statements already ends in ", statement".
        let base = place.strip_suffix(", statement").unwrap_or(place);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let Value::Table(c) = item else {
                self.problem(
                    base,
                    format!("{what} #{} must be a table {{ id, label }}", i + 1),
                );
                ok = false;
                continue;
            };
            let id = c.get("id").and_then(Value::as_str);
            let cplace = match id {
                Some(id) => format!("{base}, {what} `{id}`"),
                None => format!("{base}, {what} #{}", i + 1),
            };
            let known: &[&str] = if full {
                &["id", "label", "exclusive", "fixed", "relevant"]
            } else {
                &["id", "label"]
            };
            let before = self.problems.len();
            self.unknown_keys(&cplace, c, known);
            ok &= self.problems.len() == before;
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
                    self.problem(&cplace, format!("duplicate {what} id"));
                    ok = false;
                }
                Some(_) => {}
            }
            let (exclusive, fixed) = if full {
                (
                    self.flag(&cplace, c, "exclusive"),
                    self.flag(&cplace, c, "fixed"),
                )
            } else {
                (false, false)
            };
            let relevant = if full {
                self.string(&cplace, c, "relevant").map(str::to_string)
            } else {
                None
            };
            let label = self.text(&cplace, "label", c.get("label"), true);
            if let (Some(id), Some(label)) = (id, label) {
                out.push(Choice {
                    id: id.to_string(),
                    label,
                    exclusive,
                    fixed,
                    relevant,
                });
            }
        }
        ok.then_some(out).filter(|v| v.len() == items.len())
    }

    /// Every question in a declared section; a section's questions together
    /// and in the order of [[sections]]; no empty section.
    fn section_order(&mut self, sections: &[Option<Section>], read: &[Read]) {
        let declared: Vec<&str> = sections.iter().flatten().map(|s| s.id.as_str()).collect();
        if sections.is_empty() {
            for r in read {
                if let (Some(id), Some(s)) = (&r.id, &r.section) {
                    self.problem(
                        &format!("question `{id}`"),
                        format!("unknown section `{s}`: the survey declares no [[sections]]"),
                    );
                }
            }
            return;
        }
        let mut last: Option<usize> = None;
        let mut used = BTreeSet::new();
        for r in read {
            let Some(id) = &r.id else { continue };
            let place = format!("question `{id}`");
            let Some(s) = &r.section else {
                self.problem(
                    &place,
                    format!(
                        "missing `section`: this survey has sections, so every question names one ({})",
                        declared.join(", ")
                    ),
                );
                continue;
            };
            let Some(pos) = declared.iter().position(|d| d == s) else {
                if sections.iter().all(Option::is_some) {
                    self.problem(
                        &place,
                        format!("unknown section `{s}` (sections: {})", declared.join(", ")),
                    );
                }
                continue;
            };
            if let Some(prev) = last {
                if pos < prev && used.contains(&pos) {
                    self.problem(
                        &place,
                        format!(
                            "the questions of section `{s}` must stand together, but section `{}` comes between them",
                            declared[prev]
                        ),
                    );
                } else if pos < prev {
                    self.problem(
                        &place,
                        format!(
                            "section `{s}` is declared before section `{}`, so its questions must come first",
                            declared[prev]
                        ),
                    );
                }
            }
            used.insert(pos);
            last = Some(last.map_or(pos, |l| l.max(pos)));
        }
        for (i, s) in declared.iter().enumerate() {
            if !used.contains(&i) {
                self.problem(&format!("section `{s}`"), "no question is in this section");
            }
        }
    }

    /// `<id>_other` is the text of `id`'s "other" option: no question may
    /// take that id.
    fn other_clashes(&mut self, read: &[Read]) {
        let all: Vec<&Read> = read
            .iter()
            .flat_map(|r| std::iter::once(r).chain(&r.inner))
            .collect();
        for r in &all {
            let (Some(id), Some(kind)) = (&r.id, &r.kind) else {
                continue;
            };
            let other = kind.has_other();
            let clash = format!("{id}_other");
            if other && all.iter().any(|q| q.id.as_deref() == Some(&clash)) {
                self.problem(
                    &format!("question `{clash}`"),
                    format!("this id is taken by the “other, please specify” text of `{id}`: rename the question"),
                );
            }
        }
    }

    fn logic(&mut self, sections: &[Option<Section>], read: &[Read]) {
        fn source<'r>(r: &'r Read, repeat: Option<usize>) -> Option<LogicSource<'r>> {
            let t = r.table;
            let s = |k: &str| t.get(k).and_then(Value::as_str);
            Some(LogicSource {
                id: r.id.as_deref()?,
                kind: r.kind.as_ref(),
                relevant: s("relevant"),
                required: s("required"),
                constraint: s("constraint"),
                calculate: match &r.kind {
                    Some(QuestionKind::Calculate { expression }) => Some(expression.as_str()),
                    _ => None,
                },
                count: s("count"),
                repeat,
            })
        }
        // A repeat's questions follow it, as the engine lays them out.
        let mut sources: Vec<LogicSource> = Vec::new();
        let mut first: Vec<(Option<&str>, usize)> = Vec::new();
        for r in read {
            let Some(src) = source(r, None) else { continue };
            let at = sources.len();
            first.push((r.section.as_deref(), at));
            sources.push(src);
            sources.extend(r.inner.iter().filter_map(|i| source(i, Some(at))));
        }
        let section_sources: Vec<SectionSource> = sections
            .iter()
            .flatten()
            .map(|s| SectionSource {
                id: &s.id,
                relevant: s.relevant.as_deref(),
                first_question: first
                    .iter()
                    .find(|(sec, _)| *sec == Some(s.id.as_str()))
                    .map(|(_, at)| *at),
            })
            .collect();
        let (_, problems) = check_logic(&section_sources, &sources);
        self.problems.extend(problems);
    }

    fn publication(
        &mut self,
        v: Option<&Value>,
        read: &[Read],
        budget: Option<Epsilon>,
    ) -> Option<Publication> {
        let Some(v) = v else {
            return Some(Publication::default());
        };
        let place = "publication";
        let Value::Table(t) = v else {
            self.problem(place, "[publication] must be a table");
            return None;
        };
        self.unknown_keys(place, t, &["small_cell_threshold", "tables"]);
        let threshold = self
            .whole(place, t, "small_cell_threshold", 0..=1000)
            .ok()?
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(Publication::default().small_cell_threshold);
        let items: &[Value] = match t.get("tables") {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.problem(place, "`tables` must be a list of [[publication.tables]]");
                return None;
            }
        };
        let mut seen = BTreeSet::new();
        let mut tables = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let before = self.problems.len();
            let table = self.planned_table(i, item, read, &mut seen);
            ok &= self.problems.len() == before;
            tables.extend(table);
        }
        if ok && let Some(budget) = budget {
            let total = tables
                .iter()
                .try_fold(Epsilon::ZERO, |sum, t| sum.checked_add(t.epsilon));
            match total {
                Some(total) if total > budget => self.problem(
                    place,
                    format!(
                        "the tables spend ε = {total} in all, more than the privacy_budget of {budget}"
                    ),
                ),
                None => self.problem(place, "the tables' ε values are too large to add up"),
                _ => {}
            }
        }
        ok.then_some(Publication {
            small_cell_threshold: threshold,
            tables,
        })
    }

    fn planned_table(
        &mut self,
        i: usize,
        item: &Value,
        read: &[Read],
        seen: &mut BTreeSet<String>,
    ) -> Option<PlannedTable> {
        let Value::Table(t) = item else {
            self.problem(&format!("publication table #{}", i + 1), "must be a table");
            return None;
        };
        let id = t.get("id").and_then(Value::as_str);
        let place = match id {
            Some(id) => format!("publication table `{id}`"),
            None => format!("publication table #{}", i + 1),
        };
        let place = place.as_str();
        match id {
            None => self.problem(place, "missing `id`"),
            Some(id) if !is_valid_id(id) => self.problem(
                place,
                "the id must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
            ),
            Some(id) if !seen.insert(id.to_string()) => self.problem(place, "duplicate table id"),
            Some(_) => {}
        }
        self.unknown_keys(place, t, TABLE_KEYS);
        let stat_name = match t.get("statistic") {
            Some(Value::String(s)) if STATISTICS.contains(&s.as_str()) => Some(s.as_str()),
            Some(_) => {
                self.problem(
                    place,
                    format!("`statistic` must be one of: {}", STATISTICS.join(", ")),
                );
                None
            }
            None => {
                self.problem(
                    place,
                    format!("missing `statistic` (one of: {})", STATISTICS.join(", ")),
                );
                None
            }
        };
        // A question outside repeats (`None`), or inside the repeat named.
        let find = |q: &str| {
            read.iter().find_map(|r| {
                if r.id.as_deref() == Some(q) {
                    return Some((r, None));
                }
                let repeat = r.id.as_deref().unwrap_or("?");
                r.inner
                    .iter()
                    .find(|i| i.id.as_deref() == Some(q))
                    .map(|i| (i, Some(repeat)))
            })
        };
        let question = self.string(place, t, "question");
        // The question and whether the statistic fits it.
        match (stat_name, question) {
            (Some("total"), Some(_)) => {
                self.problem(place, "`total` counts respondents and takes no `question`")
            }
            (Some(s), None) if s != "total" && !t.contains_key("question") => self.problem(
                place,
                format!("missing `question`: the question `{s}` is computed on"),
            ),
            (_, Some(q)) => match find(q) {
                None => self.problem(place, format!("unknown question `{q}`")),
                Some((r, repeat)) => {
                    if let Some(kind) = &r.kind {
                        match repeat {
                            None => self.statistic_fits(place, q, kind, stat_name),
                            Some(rep) => self.fits_over_instances(place, q, rep, kind, stat_name),
                        }
                    }
                }
            },
            _ => {}
        }
        let statistic = match stat_name? {
            "total" => Some(Statistic::Total),
            "counts" => Some(Statistic::Counts),
            "instances" => Some(Statistic::Instances),
            "first_choice" => Some(Statistic::FirstChoice),
            "mean_rank" => Some(Statistic::MeanRank),
            "rds_proportion" => match t.get("degree") {
                None => {
                    self.problem(
                        place,
                        "missing `degree`: the integer question asking each respondent's network size (how many people of the population they know), by whose inverse they are weighted",
                    );
                    None
                }
                Some(Value::String(d)) => match find(d) {
                    None => {
                        self.problem(place, format!("unknown question `{d}` in `degree`"));
                        None
                    }
                    Some((_, Some(rep))) => {
                        self.problem(
                            place,
                            format!(
                                "`degree` takes a question outside repeats (one network size per respondent); `{d}` is inside the repeat `{rep}`"
                            ),
                        );
                        None
                    }
                    // A broken question: its problems are already reported.
                    Some((Read { kind: None, .. }, None)) => None,
                    Some((Read { kind: Some(k), .. }, None)) => match rds_degree_range(d, k) {
                        Ok(_) => Some(Statistic::RdsProportion { degree: d.clone() }),
                        Err(why) => {
                            self.problem(place, why);
                            None
                        }
                    },
                },
                Some(_) => {
                    self.problem(place, "`degree` must be a question id");
                    None
                }
            },
            "mean" => {
                let mut num = |key: &str| match t.get(key) {
                    Some(Value::Integer(n)) => Some(*n as f64),
                    Some(Value::Float(f)) if f.is_finite() => Some(*f),
                    Some(_) => {
                        self.problem(place, format!("`{key}` must be a number"));
                        None
                    }
                    None => {
                        self.problem(
                            place,
                            format!("missing `{key}`: a mean needs `lower` and `upper` bounds fixed in advance"),
                        );
                        None
                    }
                };
                let (lower, upper) = (num("lower"), num("upper"));
                let (lower, upper) = (lower?, upper?);
                if lower >= upper {
                    self.problem(
                        place,
                        format!("`lower` ({lower}) must be less than `upper` ({upper})"),
                    );
                    None
                } else {
                    Some(Statistic::Mean { lower, upper })
                }
            }
            s => {
                let edges = match t.get("edges") {
                    Some(Value::Array(items)) => {
                        let nums: Option<Vec<f64>> = items
                            .iter()
                            .map(|v| match v {
                                Value::Integer(n) => Some(*n as f64),
                                Value::Float(f) if f.is_finite() => Some(*f),
                                _ => None,
                            })
                            .collect();
                        match nums {
                            Some(e) if e.len() < 2 => {
                                self.problem(place, "`edges` needs at least two numbers");
                                None
                            }
                            Some(e) if e.windows(2).any(|w| w[0] >= w[1]) => {
                                self.problem(place, "`edges` must be strictly ascending");
                                None
                            }
                            Some(e) => Some(e),
                            None => {
                                self.problem(place, "`edges` must be a list of numbers");
                                None
                            }
                        }
                    }
                    Some(_) => {
                        self.problem(place, "`edges` must be a list of numbers");
                        None
                    }
                    None => {
                        self.problem(
                            place,
                            format!("missing `edges`: the bin edges of the {s}, fixed in advance"),
                        );
                        None
                    }
                };
                let edges = edges?;
                Some(if s == "histogram" {
                    Statistic::Histogram { edges }
                } else {
                    Statistic::Quantiles { edges }
                })
            }
        };
        let s = stat_name?;
        if s != "mean" {
            for key in ["lower", "upper"] {
                if t.contains_key(key) {
                    self.problem(place, format!("`{key}` applies only to a `mean`"));
                }
            }
        }
        if s != "rds_proportion" && t.contains_key("degree") {
            self.problem(place, "`degree` applies only to an `rds_proportion`");
        }
        if !matches!(s, "histogram" | "quantiles") && t.contains_key("edges") {
            self.problem(
                place,
                "`edges` applies only to a `histogram` or `quantiles`",
            );
        }

        let by = match t.get("by") {
            None => Some(Vec::new()),
            Some(Value::Array(items)) => {
                let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                match names {
                    None => {
                        self.problem(place, "`by` must be a list of question ids");
                        None
                    }
                    Some(names) => {
                        if names.len() > 2 {
                            self.problem(
                                place,
                                format!("`by` takes at most two questions, not {}", names.len()),
                            );
                        }
                        let mut out = Vec::new();
                        for (k, b) in names.iter().enumerate() {
                            if names[..k].contains(b) {
                                self.problem(place, format!("`{b}` is listed twice in `by`"));
                            } else if Some(*b) == question {
                                self.problem(
                                    place,
                                    format!(
                                        "a table cannot be broken down by its own question `{b}`"
                                    ),
                                );
                            } else {
                                match find(b).map(|(r, rep)| (&r.kind, rep)) {
                                    None => self
                                        .problem(place, format!("unknown question `{b}` in `by`")),
                                    Some((_, Some(rep))) => self.problem(
                                        place,
                                        format!(
                                            "`by` takes questions outside repeats (a respondent is in one group); `{b}` is inside the repeat `{rep}`"
                                        ),
                                    ),
                                    Some((Some(QuestionKind::SingleChoice { .. }) | None, None)) => {}
                                    Some((Some(k), None)) => self.problem(
                                        place,
                                        format!(
                                            "`by` takes single_choice questions; `{b}` is {}",
                                            k.name()
                                        ),
                                    ),
                                }
                            }
                            out.push(b.to_string());
                        }
                        Some(out)
                    }
                }
            }
            Some(_) => {
                self.problem(place, "`by` must be a list of question ids");
                None
            }
        };
        let epsilon = match t.get("epsilon") {
            None => {
                self.problem(place, "missing `epsilon`: the share of ε this table spends");
                None
            }
            Some(v) => match epsilon_value(v) {
                Ok(e) if e.is_zero() => {
                    self.problem(place, "`epsilon` must be greater than 0");
                    None
                }
                Ok(e) => Some(e),
                Err(msg) => {
                    self.problem(place, format!("`epsilon`: {msg}"));
                    None
                }
            },
        };
        let mechanism = match t.get("mechanism").map(Value::as_str) {
            None => Some(Mechanism::Laplace),
            Some(Some("laplace")) => Some(Mechanism::Laplace),
            Some(Some("gaussian")) => Some(Mechanism::Gaussian),
            Some(_) => {
                self.problem(place, "`mechanism` must be \"laplace\" or \"gaussian\"");
                None
            }
        };
        Some(PlannedTable {
            id: id?.to_string(),
            question: question.map(str::to_string),
            statistic: statistic?,
            by: by?,
            epsilon: epsilon?,
            mechanism: mechanism?,
        })
    }

    fn statistic_fits(&mut self, place: &str, q: &str, kind: &QuestionKind, stat: Option<&str>) {
        if kind.is_free_text() {
            self.problem(
                place,
                format!("`{q}` is free text, which is never published: remove this table"),
            );
            return;
        }
        let Some(stat) = stat else { return };
        let fits: &[&str] = match stat {
            "counts" => &["single_choice", "multiple_choice", "rating", "grid"],
            "instances" => &["repeat"],
            "mean" | "histogram" | "quantiles" => &["integer", "decimal", "rating"],
            "first_choice" | "mean_rank" => &["ranking"],
            "rds_proportion" => &["single_choice"],
            _ => return,
        };
        if !fits.contains(&kind.name()) {
            let repeat = if matches!(kind, QuestionKind::Repeat { .. }) {
                format!(
                    "; of a repeat, `instances` counts its instances, and `counts` of a {} question inside it counts the instances giving each option",
                    or_list(COUNTS_OVER_INSTANCES)
                )
            } else {
                String::new()
            };
            self.problem(
                place,
                format!(
                    "`{stat}` does not apply to `{q}`, a {} question (it applies to {}{repeat})",
                    kind.name(),
                    fits.join(", ")
                ),
            );
        }
    }

    /// A table on question `q`, which is inside the repeat `repeat`: it is
    /// computed over the instances, so only `counts` of the types in
    /// [`COUNTS_OVER_INSTANCES`] is published.
    fn fits_over_instances(
        &mut self,
        place: &str,
        q: &str,
        repeat: &str,
        kind: &QuestionKind,
        stat: Option<&str>,
    ) {
        if kind.is_free_text() {
            self.statistic_fits(place, q, kind, stat);
            return;
        }
        let Some(stat) = stat else { return };
        if stat == "instances" {
            self.problem(
                place,
                format!(
                    "`instances` counts the instances of a repeat and takes the repeat itself: `{q}` is inside the repeat `{repeat}`, so write question = \"{repeat}\""
                ),
            );
        } else if stat != "counts" {
            self.problem(
                place,
                format!(
                    "`{stat}` is not published over a repeat's instances: `{q}` is inside the repeat `{repeat}`, and over instances only `counts` (of a {} question) is published; `instances` on `{repeat}` counts the instances themselves",
                    or_list(COUNTS_OVER_INSTANCES)
                ),
            );
        } else if !kind.counts_over_instances() {
            self.problem(
                place,
                format!(
                    "`counts` does not apply to `{q}`, a {} question inside the repeat `{repeat}` (over a repeat's instances it applies to {})",
                    kind.name(),
                    COUNTS_OVER_INSTANCES.join(", ")
                ),
            );
        }
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
