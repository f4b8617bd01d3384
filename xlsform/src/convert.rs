//! The mapping from XLSForm sheets to a Chorus survey, collecting notes.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::{self, Doc, Kind, ListOut, OutChoice, OutQuestion, OutSection, Req, Text};
use crate::lang;
use crate::sheet::{self, Row, Sheet};
use crate::xpath::{self, ChoiceFilter, Condition, ForChoice, Names, RefInfo, Scope, ValueKind};
use crate::{Conversion, DEFAULT_REPEAT_MAX, Note, Severity};

/// Question types that track a respondent, with what they record.
const TRACKING: &[(&str, &str)] = &[
    ("deviceid", "the phone's device identifier (IMEI)"),
    ("imei", "the phone's device identifier (IMEI)"),
    ("phonenumber", "the phone number"),
    (
        "phone_number",
        "a phone number typed into the form (it identifies a person, and Chorus never asks for contact details)",
    ),
    ("subscriberid", "the SIM subscriber identifier (IMSI)"),
    ("simserial", "the SIM card's serial number"),
    ("username", "the account name of whoever fills the form"),
    ("email", "the e-mail address of whoever fills the form"),
    (
        "audit",
        "an audit log of how the form was filled (times, and optionally locations and identities)",
    ),
    ("start-geopoint", "the location where the form was opened"),
    ("background-geopoint", "locations in the background"),
    ("geopoint", "a location"),
    ("geotrace", "a path of locations"),
    ("geoshape", "an area drawn on a map"),
    (
        "osm",
        "a place, as a feature tagged on an OpenStreetMap map",
    ),
    ("background-audio", "a sound recording in the background"),
    (
        "image",
        "a photo (faces, places, tattoos and photo metadata can identify a person)",
    ),
    (
        "photo",
        "a photo (faces, places and photo metadata can identify a person)",
    ),
    ("audio", "a voice recording (a voice identifies a person)"),
    (
        "video",
        "a video (faces, voices and places identify a person)",
    ),
    (
        "file",
        "an uploaded file (its content and metadata can identify a person)",
    ),
    (
        "barcode",
        "a scanned code (ID cards, prescriptions and medicine packs carry identifying numbers)",
    ),
];

/// Metadata types dropped with a note.
const METADATA: &[(&str, &str)] = &[
    ("start", "the time the form was opened"),
    ("end", "the time the form was finished"),
    ("today", "the day the form was filled"),
];

/// Appearances that change only the look: dropped without a note.
const SILENT_APPEARANCES: &[&str] = &[
    "likert",
    "minimal",
    "quick",
    "quickcompact",
    "horizontal",
    "horizontal-compact",
    "compact",
    "columns",
    "columns-pack",
    "columns-1",
    "columns-2",
    "columns-3",
    "columns-4",
    "columns-5",
    "no-buttons",
    "autocomplete",
    "field-list",
    "label",
    "list-nolabel",
    "list",
    "no-calendar",
    "numbers",
    "w1",
    "w2",
    "w3",
    "w4",
    "w5",
    "w6",
    "w7",
    "w8",
    "w9",
    "w10",
];

/// Survey-sheet columns that are converted.
const SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "choice_filter",
    "appearance",
    "parameters",
    "repeat_count",
    "readonly",
];

/// Columns of a `begin_repeat` row that a Chorus repeat does not take.
const NOT_ON_A_REPEAT: &[&str] = &[
    "required",
    "readonly",
    "constraint",
    "calculation",
    "default",
    "choice_filter",
    "parameters",
];

const SURVEY: Option<&str> = Some("survey");
const CHOICES: Option<&str> = Some("choices");
const SETTINGS: Option<&str> = Some("settings");

pub(crate) fn convert(bytes: &[u8], file_name: &str) -> Conversion {
    convert_workbook(sheet::read(bytes), file_name)
}

/// Converts a workbook as read (or the reason it could not be read).
fn convert_workbook(workbook: Result<sheet::Workbook, String>, file_name: &str) -> Conversion {
    let mut cx = Cx::default();
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name)
        .to_string();
    let fallback_id = normalise_id(&stem, IdKind::Survey);
    let doc = match workbook {
        Ok(wb) => cx.workbook(wb, &fallback_id),
        Err(e) => {
            cx.note(Severity::Error, None, None, None, e);
            None
        }
    };
    let (survey_id, questions) = doc
        .as_ref()
        .map(|d| {
            let inner: usize = d.questions.iter().map(|q| q.inner.len()).sum();
            (d.id.clone(), d.questions.len() + inner)
        })
        .unwrap_or((fallback_id, 0));
    let mut blocked = cx.notes.iter().any(|n| n.severity >= Severity::Error);
    if let Some(d) = doc
        .as_ref()
        .filter(|d| !blocked && !shows_anything(&d.questions))
    {
        let why = if d.questions.is_empty() {
            let rows_noted = cx
                .notes
                .iter()
                .any(|n| n.sheet == SURVEY && n.row.is_some());
            if rows_noted {
                "every row of the survey sheet is left out (see the notes on its rows)"
            } else {
                "the survey sheet has no question rows"
            }
        } else {
            "what is left only computes values (calculations)"
        };
        cx.note(
            Severity::Error,
            SURVEY,
            None,
            None,
            format!(
                "no question could be converted: {why}, so the survey would have nothing to show or ask"
            ),
        );
        blocked = true;
    }
    if !blocked && doc.is_some() {
        cx.note(
            Severity::Warning,
            SETTINGS,
            None,
            None,
            "XLSForm has no privacy budget: privacy_budget is set to 1, a conservative total ε; review it before publishing",
        );
    }
    // Notes in the order a researcher reads the workbook: sheet by sheet, row by row.
    let rank = |n: &Note| match n.sheet {
        None => 0,
        Some("settings") => 1,
        Some("survey") => 2,
        _ => 3,
    };
    cx.notes.sort_by_key(|n| (rank(n), n.row.unwrap_or(0)));
    let toml = match doc {
        Some(d) if !blocked => Some(emit::write(&d, file_name, &cx.notes)),
        _ => None,
    };
    Conversion {
        toml,
        notes: cx.notes,
        survey_id,
        questions,
    }
}

/// Whether any of `questions` (or of a repeat's questions) is shown to the
/// respondent: a calculation only computes a value. (A survey of notes
/// alone shows them, and `chorus check` takes it.)
fn shows_anything(questions: &[OutQuestion]) -> bool {
    questions.iter().any(|q| match q.kind {
        Kind::Calculate { .. } => false,
        Kind::Repeat { .. } => shows_anything(&q.inner),
        _ => true,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IdKind {
    Survey,
    Question,
    Choice,
}

/// Cyrillic letters of the region's languages in Latin letters, for names.
pub(crate) fn translit(c: char) -> Option<&'static str> {
    Some(match c {
        'а' | 'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'ғ' => "gh",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' => "i",
        'ї' => "yi",
        'й' | 'ы' => "y",
        'к' | 'қ' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'ң' => "ng",
        'о' | 'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ү' | 'ұ' | 'ў' => "u",
        'ф' => "f",
        'х' | 'һ' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// A valid Chorus id made from an XLSForm name: lower case, Cyrillic
/// transliterated, anything else outside `a-z 0-9 _ -` as `_`.
fn normalise_id(raw: &str, kind: IdKind) -> String {
    let mut s = String::new();
    for c in raw.trim().to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            s.push(c);
        } else if let Some(t) = translit(c) {
            s.push_str(t);
        } else {
            s.push('_');
        }
    }
    let ok_first = |c: Option<char>| match kind {
        IdKind::Choice => c.is_some_and(|c| c.is_ascii_alphanumeric()),
        _ => c.is_some_and(|c| c.is_ascii_lowercase()),
    };
    if !ok_first(s.chars().next()) {
        let prefix = match kind {
            IdKind::Survey => "form",
            IdKind::Question => "q",
            IdKind::Choice => "c",
        };
        let sep = if s.starts_with(['_', '-']) || s.is_empty() {
            ""
        } else {
            "_"
        };
        s = format!("{prefix}{sep}{s}");
    }
    s.truncate(60);
    s
}

/// Makes `id` unique in `taken` by appending `_2`, `_3`, ….
fn unique(id: String, taken: &mut BTreeSet<String>) -> String {
    if taken.insert(id.clone()) {
        return id;
    }
    let mut n = 2;
    loop {
        let candidate = format!("{id}_{n}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

#[derive(Default)]
struct Cx {
    notes: Vec<Note>,
    languages: Vec<String>,
    default_language: String,
    /// Language part of a column header → language code.
    lang_of: BTreeMap<String, String>,
}

/// A choice list from the `choices` sheet.
struct List {
    id: String,
    choices: Vec<OutChoice>,
    /// Each choice's cells by column (lower-case base name), for filters.
    columns: Vec<BTreeMap<String, String>>,
    /// Each choice's row in the choices sheet.
    rows: Vec<u32>,
    mapping: BTreeMap<String, String>,
}

/// A question after the first pass, before its expressions are translated.
struct Q {
    row: u32,
    xls_name: String,
    out: OutQuestion,
    list: Option<String>,
    raw_relevant: String,
    raw_required: String,
    raw_constraint: String,
    raw_calculation: String,
    /// The options left by a `choice_filter`.
    filtered: Option<Filtered>,
    /// Relevance of enclosing inner groups, flattened into the question.
    group_relevants: Vec<(u32, String)>,
    /// The section as an index into the sections.
    section: Option<usize>,
    /// The repeat the question is inside, as an index into the questions.
    repeat: Option<usize>,
    /// A repeat's `repeat_count` when it is an expression, to translate.
    raw_count: String,
    /// A repeat whose `max` is [`DEFAULT_REPEAT_MAX`], for want of one in
    /// the form.
    default_max: bool,
}

/// The options a `choice_filter` leaves a question.
struct Filtered {
    /// The filter as written.
    raw: String,
    kept: Vec<Kept>,
}

/// An option a `choice_filter` keeps.
struct Kept {
    choice: OutChoice,
    /// Its name in the choices sheet, and its row there.
    name: String,
    row: u32,
    /// The part of the filter that depends on earlier answers, with the
    /// choice's cells written in: offered only while it holds. Translated
    /// into the choice's `relevant` once every question is known.
    when: Option<Condition>,
}

struct Sec {
    out: OutSection,
    row: u32,
    raw_relevant: String,
    generated: bool,
}

enum Frame {
    Group {
        row: u32,
        raw_relevant: String,
    },
    /// A repeat that converts; `q` is its index among the questions.
    Repeat {
        name: String,
        q: usize,
    },
    /// A repeat or loop that is not converted, and everything inside it: a
    /// loop, a repeat inside a repeat (`why` says so when it is closed), or
    /// one inside a block that is skipped already, or whose row is already
    /// an error (`why` is `None`).
    Skipped {
        row: u32,
        name: String,
        block: Block,
        why: Option<String>,
        rows: Vec<u32>,
    },
}

/// The kinds of block a [`Frame::Skipped`] can be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Repeat,
    /// pyxform's `begin loop over L` … `end loop`.
    Loop,
}

impl Block {
    fn word(self) -> &'static str {
        match self {
            Block::Repeat => "repeat",
            Block::Loop => "loop",
        }
    }

    /// The canonical type of the row that closes it.
    fn end(self) -> &'static str {
        match self {
            Block::Repeat => "end_repeat",
            Block::Loop => "end_loop",
        }
    }

    /// How the closing row is written in a note.
    fn end_written(self) -> &'static str {
        match self {
            Block::Repeat => "end_repeat",
            Block::Loop => "end loop",
        }
    }
}

impl Cx {
    fn note(
        &mut self,
        severity: Severity,
        sheet: Option<&'static str>,
        row: Option<u32>,
        column: Option<&str>,
        message: impl Into<String>,
    ) {
        self.notes.push(Note {
            severity,
            sheet,
            row,
            column: column.map(str::to_string),
            message: message.into(),
        });
    }

    fn warn(
        &mut self,
        sheet: Option<&'static str>,
        row: u32,
        column: Option<&str>,
        m: impl Into<String>,
    ) {
        self.note(Severity::Warning, sheet, Some(row), column, m);
    }

    fn error(
        &mut self,
        sheet: Option<&'static str>,
        row: u32,
        column: Option<&str>,
        m: impl Into<String>,
    ) {
        self.note(Severity::Error, sheet, Some(row), column, m);
    }

    fn workbook(&mut self, wb: sheet::Workbook, fallback_id: &str) -> Option<Doc> {
        let Some(survey) = wb.survey else {
            self.note(
                Severity::Error,
                None,
                None,
                None,
                "the workbook has no `survey` sheet; is it an XLSForm?",
            );
            return None;
        };
        if let Some(name) = &wb.survey_from {
            self.note(
                Severity::Warning,
                SURVEY,
                None,
                None,
                format!("the workbook has no sheet called `survey`, so its only sheet, `{name}`, is read as the survey sheet (as pyxform does); rename it `survey`"),
            );
        }
        if !survey.has_column("type") || !survey.has_column("name") {
            self.note(
                Severity::Error,
                SURVEY,
                None,
                None,
                "the `survey` sheet needs `type` and `name` columns in its first row",
            );
            return None;
        }
        let settings_row = wb.settings.as_ref().and_then(|s| s.rows.first().cloned());
        let setting = |key: &str| -> String {
            match (&wb.settings, &settings_row) {
                (Some(s), Some(r)) => s.get(r, key).to_string(),
                _ => String::new(),
            }
        };

        self.languages(
            &survey,
            wb.choices.as_ref(),
            wb.settings.as_ref(),
            &setting("default_language"),
        );

        // Settings.
        let srow = settings_row.as_ref().map(|r| r.number).unwrap_or(2);
        let form_id = setting("form_id");
        let id = if form_id.is_empty() {
            self.note(
                Severity::Warning,
                SETTINGS,
                None,
                Some("form_id"),
                format!("no form_id; the survey id `{fallback_id}` comes from the file name"),
            );
            fallback_id.to_string()
        } else {
            let id = normalise_id(&form_id, IdKind::Survey);
            if id != form_id {
                self.warn(SETTINGS, srow, Some("form_id"), format!("form_id `{form_id}` became the survey id `{id}` (a-z first, then a-z, 0-9, _ and -)"));
            }
            id
        };
        let raw_version = setting("version");
        let version = match raw_version.trim().parse::<u32>() {
            Ok(v) if v >= 1 => v,
            _ if raw_version.is_empty() => {
                self.note(
                    Severity::Warning,
                    SETTINGS,
                    None,
                    Some("version"),
                    "no version; the survey starts at version 1",
                );
                1
            }
            _ => {
                self.warn(SETTINGS, srow, Some("version"), format!("version `{raw_version}` is not a whole number from 1 to 4294967295; the survey starts at version 1 (raise it whenever the questions change)"));
                1
            }
        };
        let title = match (&wb.settings, &settings_row) {
            (Some(s), Some(r)) => self.text(s, SETTINGS, r, "form_title"),
            _ => None,
        };
        let title = title.unwrap_or_else(|| {
            self.note(
                Severity::Warning,
                SETTINGS,
                None,
                Some("form_title"),
                format!("no form_title; the title is the survey id `{id}` — write a real one"),
            );
            self.same_text(&id)
        });
        if let Some(s) = &wb.settings {
            let known = ["form_id", "version", "default_language", "form_title"];
            let cols: Vec<String> = s
                .columns
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    !known.contains(&c.base.as_str())
                        && settings_row
                            .as_ref()
                            .is_some_and(|r| r.cells.get(*i).is_some_and(|v| !v.is_empty()))
                })
                .map(|(_, c)| format!("`{}`", c.raw))
                .collect();
            if !cols.is_empty() {
                self.warn(
                    SETTINGS,
                    srow,
                    None,
                    format!("not converted: {}", cols.join(", ")),
                );
            }
        }

        let lists = match &wb.choices {
            Some(c) => self.lists(c),
            None => BTreeMap::new(),
        };
        let (questions, sections, dropped) = self.survey_rows(&survey, &lists, &title);
        let mut questions = questions;
        let mut sections = sections;
        self.expressions(&mut questions, &mut sections, &lists, &dropped);
        Some(self.assemble(id, version, title, questions, sections, &lists))
    }

    /// Decides the survey's languages and the code of every language column.
    fn languages(
        &mut self,
        survey: &Sheet,
        choices: Option<&Sheet>,
        settings: Option<&Sheet>,
        default_setting: &str,
    ) {
        let text_bases = [
            "label",
            "hint",
            "required_message",
            "constraint_message",
            "form_title",
        ];
        let mut found: Vec<String> = Vec::new();
        for (name, s) in [
            (SURVEY, Some(survey)),
            (CHOICES, choices),
            (SETTINGS, settings),
        ] {
            let Some(s) = s else { continue };
            for c in &s.columns {
                let (Some(l), true) = (&c.lang, text_bases.contains(&c.base.as_str())) else {
                    continue;
                };
                if self.lang_of.contains_key(l) {
                    continue;
                }
                match lang::parse(l) {
                    Some(p) => {
                        match &p {
                            lang::Parsed::ByName(code) => self.note(Severity::Warning, name, None, Some(&c.raw), format!("language `{l}` taken as `{code}`; write it as `{l} ({code})` to be sure")),
                            lang::Parsed::Private(code) => self.note(Severity::Warning, name, None, Some(&c.raw), format!("language `{l}` is not a name Chorus knows, so it gets the private tag `{code}`; write the column as `{}::{l} (xx)` with its ISO 639 code if it has one", c.base)),
                            lang::Parsed::Code(_) => {}
                        }
                        self.lang_of.insert(l.clone(), p.code().to_string());
                        if !found.contains(&p.code().to_string()) {
                            found.push(p.code().to_string());
                        }
                    }
                    None => {
                        self.note(Severity::Error, name, None, Some(&c.raw), format!("cannot tell the language code of `{l}`; write the column as `{}::{l} (xx)` with its ISO 639 code", c.base));
                    }
                }
            }
        }
        // Do bare text columns hold anything?
        let bare_texts: Vec<&str> = [(Some(survey)), choices]
            .into_iter()
            .flatten()
            .flat_map(|s| {
                s.columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.lang.is_none() && text_bases.contains(&c.base.as_str()))
                    .flat_map(|(i, _)| s.rows.iter().filter_map(move |r| r.cells.get(i)))
                    .filter(|v| !v.is_empty())
                    .map(String::as_str)
            })
            .collect();
        let default = if !default_setting.is_empty() {
            match lang::parse(default_setting) {
                Some(p) => {
                    let code = p.code();
                    let message = match &p {
                        lang::Parsed::ByName(_) => Some(format!(
                            "default_language `{default_setting}` taken as `{code}`"
                        )),
                        lang::Parsed::Private(_) => Some(format!(
                            "default_language `{default_setting}` is not a name Chorus knows, so it gets the private tag `{code}`"
                        )),
                        lang::Parsed::Code(_) => None,
                    };
                    if let Some(message) = message {
                        self.note(
                            Severity::Warning,
                            SETTINGS,
                            None,
                            Some("default_language"),
                            message,
                        );
                    }
                    code.to_string()
                }
                None => {
                    self.note(Severity::Error, SETTINGS, None, Some("default_language"), format!("cannot tell the language code of default_language `{default_setting}`; write it like `Русский (ru)`"));
                    "und".to_string()
                }
            }
        } else if !bare_texts.is_empty() {
            let g = lang::guess(&bare_texts).to_string();
            self.note(Severity::Warning, SETTINGS, None, Some("default_language"), format!("the form does not say the language of its `label` column; taken as `{g}` from its script — set default_language in the settings sheet (e.g. `Русский (ru)`) if that is wrong"));
            g
        } else if let Some(first) = found.first() {
            first.clone()
        } else {
            "en".to_string()
        };
        self.languages = std::iter::once(default.clone())
            .chain(found.into_iter().filter(|c| *c != default))
            .collect();
        self.default_language = default;
    }

    fn same_text(&self, s: &str) -> Text {
        self.languages
            .iter()
            .map(|l| (l.clone(), s.to_string()))
            .collect()
    }

    /// The text of `base` columns in `row`, in every language; a language
    /// without text falls back to the default language's text, with a note.
    fn text(
        &mut self,
        s: &Sheet,
        sheet: Option<&'static str>,
        row: &Row,
        base: &str,
    ) -> Option<Text> {
        let mut by_lang: BTreeMap<String, String> = BTreeMap::new();
        for (i, c) in s.columns.iter().enumerate() {
            if c.base != base {
                continue;
            }
            let Some(v) = row.cells.get(i).filter(|v| !v.is_empty()) else {
                continue;
            };
            match &c.lang {
                None => {
                    by_lang
                        .entry(self.default_language.clone())
                        .or_insert_with(|| v.clone());
                }
                Some(l) => {
                    if let Some(code) = self.lang_of.get(l) {
                        by_lang.insert(code.clone(), v.clone());
                    }
                }
            }
        }
        if by_lang.is_empty() {
            return None;
        }
        let shown = answers_shown(by_lang.values().map(String::as_str));
        if !shown.is_empty() {
            let col = s
                .columns
                .iter()
                .enumerate()
                .find(|(i, c)| {
                    c.base == base && row.cells.get(*i).is_some_and(|v| v.contains("${"))
                })
                .map(|(_, c)| c.raw.clone())
                .unwrap_or_else(|| base.to_string());
            let names: Vec<String> = shown.iter().map(|q| format!("`{q}`")).collect();
            let (what, names) = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    ("answers", format!("{} and {last}", rest.join(", ")))
                }
                _ => ("answer", names.concat()),
            };
            self.warn(
                sheet,
                row.number,
                Some(&col),
                format!("{base} shows the {what} to {names}, which Chorus does not do: the text is kept as written"),
            );
        }
        let (from, fallback) = match by_lang.get(&self.default_language) {
            Some(t) => (self.default_language.clone(), t.clone()),
            None => by_lang
                .iter()
                .next()
                .map(|(l, t)| (l.clone(), t.clone()))
                .unwrap_or_default(),
        };
        let mut out = Vec::new();
        for l in self.languages.clone() {
            match by_lang.get(&l) {
                Some(t) => out.push((l, t.clone())),
                None => {
                    // The column that should hold it, when the sheet has one.
                    let col = s
                        .columns
                        .iter()
                        .find(|c| {
                            c.base == base
                                && match &c.lang {
                                    Some(cl) => self.lang_of.get(cl) == Some(&l),
                                    None => l == self.default_language,
                                }
                        })
                        .map(|c| c.raw.clone())
                        .unwrap_or_else(|| format!("{base}::… ({l})"));
                    self.warn(
                        sheet,
                        row.number,
                        Some(&col),
                        format!("no `{l}` text; the `{from}` text is used: {fallback:?}"),
                    );
                    out.push((l, fallback.clone()));
                }
            }
        }
        Some(out)
    }

    fn lists(&mut self, s: &Sheet) -> BTreeMap<String, List> {
        let mut lists: BTreeMap<String, List> = BTreeMap::new();
        let mut list_ids = BTreeSet::new();
        let mut raw_seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut taken: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let media: Vec<&str> = s
            .columns
            .iter()
            .filter(|c| {
                c.base.starts_with("media")
                    || ["image", "audio", "video", "big-image"].contains(&c.base.as_str())
            })
            .map(|c| c.raw.as_str())
            .collect();
        if !media.is_empty() {
            self.note(
                Severity::Warning,
                CHOICES,
                None,
                None,
                format!("media columns are not converted: {}", media.join(", ")),
            );
        }
        for row in &s.rows {
            let list_name = s.get(row, "list_name").to_string();
            let name = s.get(row, "name").to_string();
            if list_name.is_empty() {
                self.warn(
                    CHOICES,
                    row.number,
                    Some("list_name"),
                    "no list_name; the row is skipped",
                );
                continue;
            }
            if name.is_empty() {
                self.error(
                    CHOICES,
                    row.number,
                    Some("name"),
                    format!("a choice of list `{list_name}` has no name"),
                );
                continue;
            }
            if !raw_seen
                .entry(list_name.clone())
                .or_default()
                .insert(name.clone())
            {
                self.error(
                    CHOICES,
                    row.number,
                    Some("name"),
                    format!("list `{list_name}` has the choice `{name}` twice"),
                );
                continue;
            }
            lists.entry(list_name.clone()).or_insert_with(|| List {
                id: unique(normalise_id(&list_name, IdKind::Question), &mut list_ids),
                choices: Vec::new(),
                columns: Vec::new(),
                rows: Vec::new(),
                mapping: BTreeMap::new(),
            });
            let base_id = normalise_id(&name, IdKind::Choice);
            let id = unique(base_id, taken.entry(list_name.clone()).or_default());
            if id != name {
                self.warn(CHOICES, row.number, Some("name"), format!("choice `{name}` of list `{list_name}` became `{id}` (choice ids use a-z, 0-9, _ and -)"));
            }
            let label = match self.text(s, CHOICES, row, "label") {
                Some(t) => t,
                None => {
                    self.warn(
                        CHOICES,
                        row.number,
                        Some("label"),
                        format!("choice `{name}` has no label; its name is used"),
                    );
                    self.same_text(&name)
                }
            };
            // A filter names a column by its base (`country`), or a column
            // with a language by its header as written (`label::English`).
            let mut cols = BTreeMap::new();
            for (i, c) in s.columns.iter().enumerate() {
                let key = match c.lang {
                    None => c.base.clone(),
                    Some(_) => c.raw.to_lowercase(),
                };
                cols.insert(key, row.cells.get(i).cloned().unwrap_or_default());
            }
            cols.insert("name".into(), name.clone());
            let list = lists.get_mut(&list_name).expect("inserted above");
            list.mapping.insert(name, id.clone());
            list.choices.push(OutChoice {
                id,
                label,
                relevant: None,
            });
            list.columns.push(cols);
            list.rows.push(row.number);
        }
        lists
    }

    /// The first pass over the `survey` sheet: types, texts, groups.
    #[allow(clippy::too_many_lines)]
    fn survey_rows(
        &mut self,
        s: &Sheet,
        lists: &BTreeMap<String, List>,
        title: &Text,
    ) -> (Vec<Q>, Vec<Sec>, BTreeMap<String, String>) {
        let mut questions: Vec<Q> = Vec::new();
        let mut sections: Vec<Sec> = Vec::new();
        let mut dropped: BTreeMap<String, String> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        let mut section_ids = BTreeSet::new();
        let mut names_seen = BTreeSet::new();
        let mut frames: Vec<Frame> = Vec::new();
        let mut current: Option<usize> = None;
        let has_groups = s.rows.iter().any(|r| {
            matches!(
                type_words(s.get(r, "type")).first().map(String::as_str),
                Some("begin_group")
            )
        });

        for row in &s.rows {
            let n = row.number;
            let raw_type = s.get(row, "type");
            let words = type_words(raw_type);
            let name = s.get(row, "name").to_string();
            let Some(base) = words.first().cloned() else {
                if !name.is_empty() {
                    self.error(SURVEY, n, Some("type"), format!("`{name}` has no type"));
                }
                continue;
            };

            // Inside a repeat that is not converted, nothing is: the rows
            // are only followed, to find where it ends.
            if let Some(i) = frames
                .iter()
                .position(|f| matches!(f, Frame::Skipped { .. }))
            {
                let last = i + 1 == frames.len();
                let closes_it = last
                    && matches!(&frames[i], Frame::Skipped { block, .. } if base == block.end());
                if !closes_it {
                    if let Frame::Skipped {
                        rows,
                        name: rname,
                        row: rrow,
                        block,
                        ..
                    } = &mut frames[i]
                    {
                        rows.push(n);
                        if !name.is_empty() {
                            dropped.insert(
                                name.clone(),
                                format!(
                                    "is inside the {} `{rname}` (row {rrow}), which is not converted",
                                    block.word()
                                ),
                            );
                        }
                    }
                    let skipped = |block| Frame::Skipped {
                        row: n,
                        name: name.clone(),
                        block,
                        why: None,
                        rows: Vec::new(),
                    };
                    match base.as_str() {
                        "begin_group" => frames.push(Frame::Group {
                            row: n,
                            raw_relevant: String::new(),
                        }),
                        "begin_repeat" => frames.push(skipped(Block::Repeat)),
                        "begin_loop" => frames.push(skipped(Block::Loop)),
                        // The skipped block itself closes only with its own end.
                        "end_group" | "end_repeat" | "end_loop" if !last => {
                            frames.pop();
                        }
                        _ => {}
                    }
                    continue;
                }
            }
            // The repeat the row is inside, and where its frame is.
            let in_repeat = frames.iter().enumerate().rev().find_map(|(i, f)| match f {
                Frame::Repeat { name, q } => Some((i, name.clone(), *q)),
                _ => None,
            });

            match base.as_str() {
                "begin_group" => {
                    let relevant = s.get(row, "relevant").to_string();
                    self.group_appearance(s, row);
                    if frames.is_empty() {
                        let gid = if name.is_empty() {
                            format!("section_{}", sections.len() + 1)
                        } else {
                            normalise_id(&name, IdKind::Question)
                        };
                        let gid = unique(gid, &mut section_ids);
                        let title = match self.text(s, SURVEY, row, "label") {
                            Some(t) => t,
                            None => {
                                self.warn(SURVEY, n, Some("label"), format!("group `{name}` has no label; the section `{gid}` is titled with its name"));
                                self.same_text(if name.is_empty() { &gid } else { &name })
                            }
                        };
                        sections.push(Sec {
                            out: OutSection {
                                id: gid,
                                title,
                                relevant: None,
                            },
                            row: n,
                            raw_relevant: relevant,
                            generated: false,
                        });
                        current = Some(sections.len() - 1);
                        frames.push(Frame::Group {
                            row: n,
                            raw_relevant: String::new(),
                        });
                    } else {
                        if self.text_quiet(s, row, "label") {
                            let into = match &in_repeat {
                                Some((_, _, q)) => {
                                    format!("the repeat `{}`", questions[*q].out.id)
                                }
                                None => format!(
                                    "the section `{}`",
                                    current
                                        .map(|i| sections[i].out.id.clone())
                                        .unwrap_or_default()
                                ),
                            };
                            self.warn(SURVEY, n, Some("label"), format!("the nested group `{name}` is flattened into {into}; its label is not shown"));
                        }
                        frames.push(Frame::Group {
                            row: n,
                            raw_relevant: relevant,
                        });
                    }
                    continue;
                }
                "end_group" => {
                    match frames.pop() {
                        Some(Frame::Group { .. }) => {}
                        Some(f) => {
                            frames.push(f);
                            self.error(
                                SURVEY,
                                n,
                                Some("type"),
                                "end_group closes a repeat; use end_repeat",
                            );
                        }
                        None => {
                            self.error(SURVEY, n, Some("type"), "end_group without a begin_group")
                        }
                    }
                    if frames.is_empty() {
                        current = None;
                    }
                    continue;
                }
                "begin_repeat" => {
                    if let Some((_, outer, q)) = &in_repeat {
                        let why = format!(
                            "repeat `{name}` is inside the repeat `{outer}` (row {}), and Chorus does not support a repeat inside a repeat: ask its questions in `{outer}` itself, or in a repeat of its own after it",
                            questions[*q].row
                        );
                        if !name.is_empty() {
                            dropped.insert(
                                name.clone(),
                                format!("is a repeat inside the repeat `{outer}`, which is not converted"),
                            );
                        }
                        frames.push(Frame::Skipped {
                            row: n,
                            name: name.clone(),
                            block: Block::Repeat,
                            why: Some(why),
                            rows: Vec::new(),
                        });
                        continue;
                    }
                    match self.repeat_row(s, row, &name, &mut names_seen, &mut ids, &questions) {
                        Some(mut q) => {
                            if has_groups && frames.is_empty() {
                                current = Some(generated_section(
                                    &mut sections,
                                    current,
                                    &mut section_ids,
                                    title,
                                    n,
                                ));
                            }
                            q.section = current;
                            q.group_relevants = relevants_of(&frames);
                            let q_name = q.xls_name.clone();
                            questions.push(q);
                            frames.push(Frame::Repeat {
                                name: q_name,
                                q: questions.len() - 1,
                            });
                        }
                        None => frames.push(Frame::Skipped {
                            row: n,
                            name: name.clone(),
                            block: Block::Repeat,
                            why: None,
                            rows: Vec::new(),
                        }),
                    }
                    continue;
                }
                "begin_loop" => {
                    let list = words.get(1).map(String::as_str).unwrap_or("…");
                    let why = format!(
                        "`{raw_type}` asks its questions once for each choice of the list `{list}`, and Chorus has no such loop: write it as a repeat (begin_repeat … end_repeat, one instance per item), or as one group per item"
                    );
                    if !name.is_empty() {
                        dropped.insert(name.clone(), "is a loop, which is not converted".into());
                    }
                    frames.push(Frame::Skipped {
                        row: n,
                        name: name.clone(),
                        block: Block::Loop,
                        why: Some(why),
                        rows: Vec::new(),
                    });
                    continue;
                }
                "end_repeat" | "end_loop" => {
                    let block = if base == "end_loop" {
                        Block::Loop
                    } else {
                        Block::Repeat
                    };
                    match frames.pop() {
                        Some(Frame::Repeat { .. }) if block == Block::Repeat => {}
                        // Only the block's own end reaches here (see above).
                        Some(Frame::Skipped { row, why, rows, .. }) => {
                            if let Some(why) = why {
                                let inner = match (rows.first(), rows.last()) {
                                    (Some(a), Some(b)) if a == b => {
                                        format!(" (row {a} inside it is not converted)")
                                    }
                                    (Some(a), Some(b)) => {
                                        format!(" (rows {a}–{b} inside it are not converted)")
                                    }
                                    _ => String::new(),
                                };
                                self.error(SURVEY, row, Some("type"), format!("{why}{inner}"));
                            }
                        }
                        Some(f) => {
                            let (open, close) = match f {
                                Frame::Repeat { .. } => ("a repeat", "end_repeat"),
                                _ => ("a group", "end_group"),
                            };
                            frames.push(f);
                            self.error(
                                SURVEY,
                                n,
                                Some("type"),
                                format!("{} closes {open}; use {close}", block.end_written()),
                            );
                        }
                        None => self.error(
                            SURVEY,
                            n,
                            Some("type"),
                            match block {
                                Block::Repeat => "end_repeat without a begin_repeat",
                                Block::Loop => "end loop without a begin loop",
                            },
                        ),
                    }
                    if frames.is_empty() {
                        current = None;
                    }
                    continue;
                }
                _ => {}
            }

            if let Some((_, what)) = TRACKING.iter().find(|(t, _)| *t == base) {
                self.note(
                    Severity::Refused,
                    SURVEY,
                    Some(n),
                    Some("type"),
                    format!("`{raw_type}` (`{name}`) records {what}"),
                );
                if !name.is_empty() {
                    dropped.insert(name, "is refused (it tracks the respondent)".into());
                }
                continue;
            }
            if let Some((_, what)) = METADATA.iter().find(|(t, _)| *t == base) {
                self.warn(SURVEY, n, Some("type"), format!("`{base}` (`{name}`) records {what}; left out, because Chorus does not record when a respondent answers"));
                if !name.is_empty() {
                    dropped.insert(
                        name,
                        format!("is the `{base}` metadata field, which Chorus does not record"),
                    );
                }
                continue;
            }

            // A question.
            let mut name = name;
            if name.is_empty() {
                name = format!("row{n}");
                self.warn(
                    SURVEY,
                    n,
                    Some("name"),
                    format!(
                        "no name; the question is called `{}`",
                        normalise_id(&name, IdKind::Question)
                    ),
                );
            }
            if !names_seen.insert(name.clone()) {
                self.error(
                    SURVEY,
                    n,
                    Some("name"),
                    format!("the name `{name}` is used twice"),
                );
                continue;
            }
            let appearance: Vec<String> = s
                .get(row, "appearance")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let params = parameters(s.get(row, "parameters"));
            let Some((kind, list)) = self.kind(
                row,
                raw_type,
                &words,
                &appearance,
                &params,
                lists,
                &mut dropped,
                &name,
            ) else {
                continue;
            };

            let id = unique(normalise_id(&name, IdKind::Question), &mut ids);
            if id != name {
                self.warn(
                    SURVEY,
                    n,
                    Some("name"),
                    format!(
                        "`{name}` became the question id `{id}` (a-z first, then a-z, 0-9, _ and -)"
                    ),
                );
            }
            let is_calc = matches!(kind, Kind::Calculate { .. });
            let label = if is_calc {
                None
            } else {
                Some(match self.text(s, SURVEY, row, "label") {
                    Some(t) => t,
                    None => {
                        self.warn(
                            SURVEY,
                            n,
                            Some("label"),
                            format!("`{name}` has no label; its name is used"),
                        );
                        self.same_text(&name)
                    }
                })
            };
            let hint = if is_calc {
                None
            } else {
                self.text(s, SURVEY, row, "hint")
            };

            // Columns that do not convert.
            if !s.get(row, "default").is_empty() {
                self.warn(
                    SURVEY,
                    n,
                    Some("default"),
                    format!(
                        "default `{}` is not converted: Chorus questions start empty",
                        s.get(row, "default")
                    ),
                );
            }
            if !is_calc && !s.get(row, "calculation").is_empty() {
                self.warn(SURVEY, n, Some("calculation"), format!("a calculation on a `{base}` question (a computed default) is not converted: `{}`", s.get(row, "calculation")));
            }
            let readonly = s.get(row, "readonly");
            let shows_only = matches!(kind, Kind::Note | Kind::Calculate { .. });
            if !readonly.is_empty() && !shows_only && constant(readonly, true) != Some(false) {
                self.warn(
                    SURVEY,
                    n,
                    Some("readonly"),
                    format!("readonly `{readonly}` is not converted: Chorus has no read-only questions, so the question can be answered"),
                );
            }
            if !s.get(row, "repeat_count").is_empty() {
                self.warn(
                    SURVEY,
                    n,
                    Some("repeat_count"),
                    format!(
                        "repeat_count `{}` belongs on a begin_repeat row; ignored",
                        s.get(row, "repeat_count")
                    ),
                );
            }
            self.unknown_columns(s, row);

            // Ungrouped questions of a form with groups go to a generated section.
            if has_groups && frames.is_empty() {
                current = Some(generated_section(
                    &mut sections,
                    current,
                    &mut section_ids,
                    title,
                    n,
                ));
            }
            // Inside a repeat, groups fold into each question; outside, into
            // the question or repeat, below its section's group.
            let group_relevants = match &in_repeat {
                Some((at, _, _)) => relevants_of(&frames[at + 1..]),
                None => relevants_of(&frames),
            };
            let ranking = matches!(kind, Kind::Choice { ty: "ranking", .. });
            let filtered = self.choice_filter(
                s.get(row, "choice_filter"),
                n,
                list.as_deref(),
                lists,
                ranking,
            );
            let required_message = self.text(s, SURVEY, row, "required_message");
            let constraint_message = self.text(s, SURVEY, row, "constraint_message");
            let raw_calculation = if is_calc {
                s.get(row, "calculation").to_string()
            } else {
                String::new()
            };
            questions.push(Q {
                row: n,
                xls_name: name,
                out: OutQuestion {
                    id,
                    row: n,
                    xls_type: raw_type.to_string(),
                    kind,
                    section: None,
                    label,
                    hint,
                    required: Req::Fixed(false),
                    required_message,
                    relevant: None,
                    constraint: None,
                    constraint_message,
                    choices: emit::ChoicesOut::None,
                    inner: Vec::new(),
                },
                filtered,
                list,
                raw_relevant: s.get(row, "relevant").to_string(),
                raw_required: s.get(row, "required").to_string(),
                raw_constraint: s.get(row, "constraint").to_string(),
                raw_calculation,
                group_relevants,
                section: if in_repeat.is_some() { None } else { current },
                repeat: in_repeat.map(|(_, _, q)| q),
                raw_count: String::new(),
                default_max: false,
            });
        }
        for f in frames {
            match f {
                Frame::Group { row, .. } => self.error(
                    SURVEY,
                    row,
                    Some("type"),
                    "begin_group without an end_group",
                ),
                Frame::Repeat { name, q } => self.error(
                    SURVEY,
                    questions[q].row,
                    Some("type"),
                    format!("begin_repeat `{name}` without an end_repeat"),
                ),
                Frame::Skipped {
                    row,
                    name,
                    block,
                    why,
                    ..
                } => self.error(
                    SURVEY,
                    row,
                    Some("type"),
                    match (why, block) {
                        (Some(why), _) => {
                            format!("{why}; it is never closed with an {}", block.end_written())
                        }
                        (None, Block::Repeat) => {
                            format!("begin_repeat `{name}` without an end_repeat")
                        }
                        (None, Block::Loop) => format!("begin loop `{name}` without an end loop"),
                    },
                ),
            }
        }
        (questions, sections, dropped)
    }

    /// Notes on a group's (or repeat's) appearance: `field-list` and the
    /// like change only the look.
    fn group_appearance(&mut self, s: &Sheet, row: &Row) {
        let n = row.number;
        for a in s.get(row, "appearance").split_whitespace() {
            if a == "table-list" {
                self.warn(SURVEY, n, Some("appearance"), "table-list: the questions of the group are kept as separate questions (a Chorus `grid` could ask them together)");
            } else if !SILENT_APPEARANCES.contains(&a) {
                self.warn(
                    SURVEY,
                    n,
                    Some("appearance"),
                    format!("appearance `{a}` has no Chorus equivalent; ignored"),
                );
            }
        }
    }

    /// Notes on the columns of `row` that are not converted at all.
    fn unknown_columns(&mut self, s: &Sheet, row: &Row) {
        for (i, c) in s.columns.iter().enumerate() {
            let v = row.cells.get(i).map(String::as_str).unwrap_or("");
            if !v.is_empty() && !SURVEY_COLUMNS.contains(&c.base.as_str()) {
                self.warn(
                    SURVEY,
                    row.number,
                    Some(&c.raw),
                    format!(
                        "column `{}` has no Chorus equivalent; `{v}` is ignored",
                        c.raw
                    ),
                );
            }
        }
    }

    /// A `begin_repeat` row (not inside another repeat) as a Chorus repeat:
    /// its name, label, hint, and how many instances. `before` are the
    /// questions so far. `None`, with an error, when it cannot be one.
    fn repeat_row(
        &mut self,
        s: &Sheet,
        row: &Row,
        name: &str,
        names_seen: &mut BTreeSet<String>,
        ids: &mut BTreeSet<String>,
        before: &[Q],
    ) -> Option<Q> {
        let n = row.number;
        let mut name = name.to_string();
        if name.is_empty() {
            name = format!("row{n}");
            self.warn(
                SURVEY,
                n,
                Some("name"),
                format!(
                    "no name; the repeat is called `{}`",
                    normalise_id(&name, IdKind::Question)
                ),
            );
        }
        if !names_seen.insert(name.clone()) {
            self.error(
                SURVEY,
                n,
                Some("name"),
                format!("the name `{name}` is used twice"),
            );
            return None;
        }
        let id = unique(normalise_id(&name, IdKind::Question), ids);
        if id != name {
            self.warn(
                SURVEY,
                n,
                Some("name"),
                format!("`{name}` became the repeat id `{id}` (a-z first, then a-z, 0-9, _ and -)"),
            );
        }
        let label = match self.text(s, SURVEY, row, "label") {
            Some(t) => t,
            None => {
                self.warn(
                    SURVEY,
                    n,
                    Some("label"),
                    format!("repeat `{name}` has no label; its name is used"),
                );
                self.same_text(&name)
            }
        };
        let hint = self.text(s, SURVEY, row, "hint");
        self.group_appearance(s, row);
        for col in NOT_ON_A_REPEAT {
            let v = s.get(row, col);
            // `required = no` asks for nothing, and so does `readonly = no`.
            let nothing =
                matches!(*col, "required" | "readonly") && constant(v, true) == Some(false);
            if v.is_empty() || nothing {
                continue;
            }
            let also = if *col == "required" {
                " (for at least one instance, set `min = 1` on the repeat in the survey file)"
            } else {
                ""
            };
            self.warn(
                SURVEY,
                n,
                Some(col),
                format!("`{col}` does not apply to a Chorus repeat, only to its questions; `{v}` is ignored{also}"),
            );
        }
        self.unknown_columns(s, row);

        let raw = s.get(row, "repeat_count").trim().to_string();
        let (max, count, raw_count, default_max) = if raw.is_empty() {
            (DEFAULT_REPEAT_MAX, None, String::new(), true)
        } else if let Ok(k) = raw.parse::<f64>() {
            let limit = surveys::load::REPEAT_LIMIT;
            let why = if k.fract() != 0.0 {
                Some(format!("repeat_count `{raw}` is not a whole number"))
            } else if k < 1.0 {
                Some(format!(
                    "repeat_count `{raw}` asks for no instance at all; remove the repeat, or give a count of at least 1"
                ))
            } else if k > f64::from(limit) {
                Some(format!(
                    "repeat_count `{raw}` is more instances than a Chorus repeat may have (at most {limit})"
                ))
            } else {
                None
            };
            match why {
                Some(why) => {
                    self.error(SURVEY, n, Some("repeat_count"), why);
                    (DEFAULT_REPEAT_MAX, None, String::new(), false)
                }
                None => {
                    let k = k as u32;
                    (k, Some(k.to_string()), String::new(), false)
                }
            }
        } else {
            // `${n}` of an integer question with a range: its end bounds the count.
            let bound = match xpath::parse(&raw) {
                Ok(xpath::Expr::Ref(x)) => {
                    before
                        .iter()
                        .find(|q| q.xls_name == x)
                        .and_then(|q| match q.out.kind {
                            Kind::Integer { max: Some(m), .. }
                                if (1..=i64::from(surveys::load::REPEAT_LIMIT)).contains(&m) =>
                            {
                                u32::try_from(m).ok()
                            }
                            _ => None,
                        })
                }
                _ => None,
            };
            (
                bound.unwrap_or(DEFAULT_REPEAT_MAX),
                None,
                raw.clone(),
                bound.is_none(),
            )
        };
        Some(Q {
            row: n,
            xls_name: name,
            out: OutQuestion {
                id,
                row: n,
                xls_type: s.get(row, "type").to_string(),
                kind: Kind::Repeat { max, count },
                section: None,
                label: Some(label),
                hint,
                required: Req::Fixed(false),
                required_message: None,
                relevant: None,
                constraint: None,
                constraint_message: None,
                choices: emit::ChoicesOut::None,
                inner: Vec::new(),
            },
            list: None,
            raw_relevant: s.get(row, "relevant").to_string(),
            raw_required: String::new(),
            raw_constraint: String::new(),
            raw_calculation: String::new(),
            filtered: None,
            group_relevants: Vec::new(),
            section: None,
            repeat: None,
            raw_count,
            default_max,
        })
    }

    /// The options a `choice_filter` leaves, choice by choice: decided here
    /// where the filter depends only on columns of the choices sheet, and
    /// kept with a condition (for the choice's `relevant`) where it depends
    /// on earlier answers. `None`, with a note, when every option is offered.
    fn choice_filter(
        &mut self,
        raw: &str,
        n: u32,
        list: Option<&str>,
        lists: &BTreeMap<String, List>,
        ranking: bool,
    ) -> Option<Filtered> {
        if raw.is_empty() {
            return None;
        }
        let col = Some("choice_filter");
        let Some(list) = list.and_then(|l| lists.get(l)) else {
            self.warn(
                SURVEY,
                n,
                col,
                format!("choice_filter `{raw}` on a question without a choice list is ignored"),
            );
            return None;
        };
        let filter = match ChoiceFilter::new(raw) {
            Ok(f) => f,
            Err(why) => {
                self.warn(
                    SURVEY,
                    n,
                    col,
                    format!(
                        "choice_filter `{raw}` is not converted: {why}; every option is offered"
                    ),
                );
                return None;
            }
        };
        if ranking && let Some(q) = filter.depends_on() {
            self.warn(SURVEY, n, col, format!("choice_filter `{raw}` depends on the answer to `${{{q}}}`, and Chorus narrows by earlier answers only the options of single and multiple choice questions (a ranking orders every option it shows); every option is offered"));
            return None;
        }
        let mut kept = Vec::new();
        for ((choice, cols), row) in list.choices.iter().zip(&list.columns).zip(&list.rows) {
            let when = match filter.for_choice(&|k: &str| cols.get(&k.to_lowercase()).cloned()) {
                Ok(ForChoice::Keep) => None,
                Ok(ForChoice::Drop) => continue,
                Ok(ForChoice::When(c)) => Some(c),
                Err(why) => {
                    self.warn(
                        SURVEY,
                        n,
                        col,
                        format!(
                            "choice_filter `{raw}` is not converted: {why}; every option is offered"
                        ),
                    );
                    return None;
                }
            };
            kept.push(Kept {
                choice: choice.clone(),
                name: cols.get("name").cloned().unwrap_or_default(),
                row: *row,
                when,
            });
        }
        if kept.is_empty() {
            self.warn(SURVEY, n, col, format!("choice_filter `{raw}` keeps no option; it is not applied and every option is offered"));
            return None;
        }
        Some(Filtered {
            raw: raw.to_string(),
            kept,
        })
    }

    /// Whether `base` columns hold any text in `row`.
    fn text_quiet(&self, s: &Sheet, row: &Row, base: &str) -> bool {
        s.columns
            .iter()
            .enumerate()
            .any(|(i, c)| c.base == base && row.cells.get(i).is_some_and(|v| !v.is_empty()))
    }

    /// The Chorus kind of a question row, or `None` (with a note) when it has none.
    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn kind(
        &mut self,
        row: &Row,
        cell: &str,
        words: &[String],
        appearance: &[String],
        params: &[(String, String)],
        lists: &BTreeMap<String, List>,
        dropped: &mut BTreeMap<String, String>,
        name: &str,
    ) -> Option<(Kind, Option<String>)> {
        let n = row.number;
        let base = words[0].as_str();
        let raw_type = words.join(" ");
        let mut used_appearance: BTreeSet<&str> = BTreeSet::new();
        let mut used_params: BTreeSet<&str> = BTreeSet::new();
        let result = match base {
            "select_one" | "select_multiple" | "rank" => {
                let Some(list_name) = words.get(1) else {
                    self.error(
                        SURVEY,
                        n,
                        Some("type"),
                        format!("`{raw_type}` names no choice list"),
                    );
                    return None;
                };
                let mut other = false;
                match words.get(2).map(String::as_str) {
                    None => {}
                    Some("or_other") if base != "rank" => other = true,
                    Some(extra) => self.warn(
                        SURVEY,
                        n,
                        Some("type"),
                        format!("`{extra}` after the list name is not understood; ignored"),
                    ),
                }
                let Some(list) = lists.get(list_name) else {
                    self.error(
                        SURVEY,
                        n,
                        Some("type"),
                        format!("the choice list `{list_name}` is not in the choices sheet"),
                    );
                    dropped.insert(name.to_string(), "could not be converted".into());
                    return None;
                };
                if other && list.mapping.values().any(|v| v == "other") {
                    self.warn(SURVEY, n, Some("type"), format!("list `{list_name}` already has a choice `other`, so or_other is not converted (Chorus adds its own `other`)"));
                    other = false;
                }
                let randomize = params
                    .iter()
                    .any(|(k, v)| k == "randomize" && v.eq_ignore_ascii_case("true"));
                used_params.insert("randomize");
                let ty = match base {
                    "select_one" => "single_choice",
                    "select_multiple" => "multiple_choice",
                    _ => "ranking",
                };
                Some((
                    Kind::Choice {
                        ty,
                        other,
                        randomize,
                    },
                    Some(list_name.clone()),
                ))
            }
            "select_one_from_file"
            | "select_multiple_from_file"
            | "select_one_external"
            | "select_multiple_external" => {
                self.error(SURVEY, n, Some("type"), format!("`{raw_type}` reads its choices from an external file, which Chorus does not do; copy the choices into the choices sheet and use select_one/select_multiple"));
                dropped.insert(name.to_string(), "could not be converted".into());
                return None;
            }
            "text" | "string" => {
                used_appearance.insert("multiline");
                if appearance.iter().any(|a| a == "multiline") {
                    Some((Kind::LongText, None))
                } else {
                    Some((Kind::ShortText, None))
                }
            }
            "integer" | "int" => Some((
                Kind::Integer {
                    min: None,
                    max: None,
                },
                None,
            )),
            "decimal" => Some((
                Kind::Decimal {
                    min: None,
                    max: None,
                },
                None,
            )),
            "date" => {
                for a in appearance {
                    if a == "month-year" || a == "year" {
                        used_appearance.insert(if a == "year" { "year" } else { "month-year" });
                        self.warn(SURVEY, n, Some("appearance"), format!("appearance `{a}`: Chorus asks for a full date (a coarse date is kinder to respondents: consider a select_one of periods)"));
                    }
                }
                Some((Kind::Date, None))
            }
            "note" => Some((Kind::Note, None)),
            "acknowledge" | "trigger" => Some((Kind::Consent, None)),
            "calculate" => Some((
                Kind::Calculate {
                    expression: String::new(),
                },
                None,
            )),
            "range" => {
                for k in ["start", "end", "step"] {
                    used_params.insert(k);
                }
                let get = |k: &str, d: f64| -> Result<f64, String> {
                    match params.iter().find(|(key, _)| key == k) {
                        None => Ok(d),
                        Some((_, v)) => v
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .ok_or_else(|| v.clone()),
                    }
                };
                let (start, end, step) =
                    match (get("start", 1.0), get("end", 10.0), get("step", 1.0)) {
                        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
                        _ => {
                            self.error(
                                SURVEY,
                                n,
                                Some("parameters"),
                                "range parameters start, end and step must be numbers",
                            );
                            dropped.insert(name.to_string(), "could not be converted".into());
                            return None;
                        }
                    };
                let whole = |f: f64| f.fract() == 0.0 && f.abs() < 1e12;
                let (lo, hi) = if start <= end {
                    (start, end)
                } else {
                    (end, start)
                };
                if start == 1.0 && step == 1.0 && whole(end) && (2.0..=10.0).contains(&end) {
                    Some((Kind::Rating { scale: end as u8 }, None))
                } else if whole(start) && whole(end) && whole(step) {
                    if step.abs() != 1.0 {
                        self.warn(SURVEY, n, Some("parameters"), format!("range step {step} is not enforced: any whole number from {lo} to {hi} is accepted"));
                    }
                    Some((
                        Kind::Integer {
                            min: Some(lo as i64),
                            max: Some(hi as i64),
                        },
                        None,
                    ))
                } else {
                    self.warn(SURVEY, n, Some("parameters"), format!("range with step {step} becomes a decimal question from {lo} to {hi}; the step is not enforced"));
                    Some((
                        Kind::Decimal {
                            min: Some(lo),
                            max: Some(hi),
                        },
                        None,
                    ))
                }
            }
            "time" | "datetime" | "datetime-local" => {
                self.error(SURVEY, n, Some("type"), format!("`{base}`: Chorus has no time-of-day questions (an exact time can help identify a person); ask for a date, or a select_one of periods such as morning/evening"));
                dropped.insert(name.to_string(), "could not be converted".into());
                return None;
            }
            "hidden" | "xml-external" | "csv-external" => {
                self.warn(
                    SURVEY,
                    n,
                    Some("type"),
                    format!("`{base}` has no Chorus equivalent; left out"),
                );
                dropped.insert(
                    name.to_string(),
                    format!("is a `{base}` field, which is not converted"),
                );
                return None;
            }
            "include" => {
                self.error(SURVEY, n, Some("type"), format!("`{}` (`{name}`): pyxform's old inclusion of the rows of another workbook is not supported; copy those rows into this form", cell.trim()));
                dropped.insert(name.to_string(), "could not be converted".into());
                return None;
            }
            _ => {
                self.error(
                    SURVEY,
                    n,
                    Some("type"),
                    format!("unknown question type `{}`", cell.trim()),
                );
                dropped.insert(name.to_string(), "could not be converted".into());
                return None;
            }
        };
        for a in appearance {
            if !used_appearance.contains(a.as_str()) && !SILENT_APPEARANCES.contains(&a.as_str()) {
                self.warn(
                    SURVEY,
                    n,
                    Some("appearance"),
                    format!("appearance `{a}` has no Chorus equivalent; ignored"),
                );
            }
        }
        for (k, v) in params {
            if !used_params.contains(k.as_str()) {
                self.warn(
                    SURVEY,
                    n,
                    Some("parameters"),
                    format!("parameter `{k}={v}` has no Chorus equivalent; ignored"),
                );
            }
        }
        result
    }

    /// The second pass: translates every expression, now that every name is known.
    fn expressions(
        &mut self,
        qs: &mut [Q],
        sections: &mut [Sec],
        lists: &BTreeMap<String, List>,
        dropped: &BTreeMap<String, String>,
    ) {
        let mut dropped = dropped.clone();
        // Calculations first, until none more fails: a calculation that
        // cannot be translated takes its question out, and expressions that
        // use it must know. A repeat left without questions goes too.
        loop {
            let mut changed = false;
            for i in 0..qs.len() {
                if !matches!(qs[i].out.kind, Kind::Calculate { .. })
                    || dropped.contains_key(&qs[i].xls_name)
                {
                    continue;
                }
                let raw = qs[i].raw_calculation.clone();
                let result = if raw.is_empty() {
                    Err("the calculation is empty".to_string())
                } else if let Some(b) = constant(&raw, false) {
                    Ok(b.to_string())
                } else {
                    let names = FormNames {
                        qs,
                        lists,
                        dropped: &dropped,
                    };
                    xpath::translate(&raw, &names.scope(i, None))
                };
                match result {
                    Ok(e) => qs[i].out.kind = Kind::Calculate { expression: e },
                    Err(why) => {
                        let (row, name) = (qs[i].row, qs[i].xls_name.clone());
                        self.warn(SURVEY, row, Some("calculation"), format!("`{raw}` is not converted ({why}), so the calculate `{name}` is left out"));
                        dropped.insert(name, "is a calculate that could not be converted".into());
                        changed = true;
                    }
                }
            }
            for r in 0..qs.len() {
                if !matches!(qs[r].out.kind, Kind::Repeat { .. })
                    || dropped.contains_key(&qs[r].xls_name)
                {
                    continue;
                }
                let kept = qs
                    .iter()
                    .any(|q| q.repeat == Some(r) && !dropped.contains_key(&q.xls_name));
                if !kept {
                    let (row, name) = (qs[r].row, qs[r].xls_name.clone());
                    self.warn(
                        SURVEY,
                        row,
                        Some("type"),
                        format!(
                            "the repeat `{name}` has no question that converts, so it is left out"
                        ),
                    );
                    dropped.insert(name, "is a repeat without questions that convert".into());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.repeat_counts(qs, lists, &dropped);
        self.choice_relevants(qs, lists, &dropped);
        let names = FormNames {
            qs,
            lists,
            dropped: &dropped,
        };
        let mut results: Vec<(usize, Translated)> = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            if dropped.contains_key(&q.xls_name) {
                continue;
            }
            let mut t = Translated::default();
            let mut parts = Vec::new();
            // A `relevant` that is false (`no`, `FALSE`, `0`) hides the
            // question for good; one that is true drops out.
            let mut never = false;
            let scope = names.scope(i, None);
            for (row, raw) in &q.group_relevants {
                match constant(raw, true) {
                    Some(true) => continue,
                    Some(false) => {
                        never = true;
                        continue;
                    }
                    None => {}
                }
                match xpath::translate(raw, &scope) {
                    Ok(e) => parts.push(e),
                    Err(why) => t.notes.push((
                        *row,
                        "relevant",
                        format!(
                            "the group's relevant `{raw}` is not converted for `{}`: {why}",
                            q.xls_name
                        ),
                    )),
                }
            }
            let own = constant(&q.raw_relevant, true);
            never |= own == Some(false);
            if !q.raw_relevant.is_empty() && own.is_none() {
                match xpath::translate(&q.raw_relevant, &scope) {
                    Ok(e) => parts.push(e),
                    Err(why) => t.notes.push((
                        q.row,
                        "relevant",
                        format!(
                            "`{}` is not converted, so the question is always asked: {why}",
                            q.raw_relevant
                        ),
                    )),
                }
            }
            t.relevant = match parts.len() {
                _ if never => Some("false".to_string()),
                0 => None,
                1 => parts.pop(),
                _ => Some(
                    parts
                        .iter()
                        .map(|p| format!("({p})"))
                        .collect::<Vec<_>>()
                        .join(" and "),
                ),
            };
            let takes_answer = !matches!(q.out.kind, Kind::Note | Kind::Calculate { .. });
            let req = q.raw_required.trim();
            let fixed = match req.to_ascii_lowercase().as_str() {
                "" | "n" => Some(false),
                "y" => Some(true),
                _ => constant(req, true),
            };
            t.required = match fixed {
                Some(b) => Req::Fixed(b),
                None => match xpath::translate(req, &scope) {
                    Ok(e) => Req::When(e),
                    Err(why) => {
                        t.notes.push((
                            q.row,
                            "required",
                            format!("`{req}` is not converted, so the question is optional: {why}"),
                        ));
                        Req::Fixed(false)
                    }
                },
            };
            if !takes_answer {
                t.required = Req::Fixed(false);
            }
            let constraint = constant(&q.raw_constraint, true);
            if constraint == Some(false) && takes_answer {
                t.constraint = Some("false".to_string());
                t.notes.push((
                    q.row,
                    "constraint",
                    format!(
                        "constraint `{}` is false, so every answer is rejected (as in the form): the question can only be left unanswered",
                        q.raw_constraint
                    ),
                ));
            } else if !q.raw_constraint.is_empty() && constraint.is_none() && takes_answer {
                let dot = names.resolve(&q.xls_name).ok();
                match xpath::translate(&q.raw_constraint, &names.scope(i, dot)) {
                    Ok(e) => t.constraint = Some(e),
                    Err(why) => t.notes.push((
                        q.row,
                        "constraint",
                        format!(
                            "`{}` is not converted, so the answer is not checked: {why}",
                            q.raw_constraint
                        ),
                    )),
                }
            }
            results.push((i, t));
        }
        let mut section_results = Vec::new();
        for (i, sec) in sections.iter().enumerate() {
            match constant(&sec.raw_relevant, true) {
                _ if sec.raw_relevant.is_empty() => continue,
                Some(true) => continue,
                Some(false) => {
                    section_results.push((i, Ok("false".to_string())));
                    continue;
                }
                None => {}
            }
            match xpath::translate(&sec.raw_relevant, &Scope::new(&names)) {
                Ok(e) => section_results.push((i, Ok(e))),
                Err(why) => section_results.push((i, Err(why))),
            }
        }
        for (i, r) in section_results {
            match r {
                Ok(e) => sections[i].out.relevant = Some(e),
                Err(why) => {
                    let row = sections[i].row;
                    let raw = sections[i].raw_relevant.clone();
                    self.warn(
                        SURVEY,
                        row,
                        Some("relevant"),
                        format!("`{raw}` is not converted, so the section is always shown: {why}"),
                    );
                }
            }
        }
        for (i, t) in results {
            for (row, col, m) in t.notes {
                self.warn(SURVEY, row, Some(col), m);
            }
            let q = &mut qs[i].out;
            q.relevant = t.relevant;
            q.required = t.required;
            q.constraint = t.constraint;
            if q.constraint.is_none() {
                q.constraint_message = None;
            }
            if q.required == Req::Fixed(false) {
                q.required_message = None;
            }
        }
        // Mark dropped calculations for assembly.
        for q in qs.iter_mut() {
            if dropped.contains_key(&q.xls_name) {
                q.section = None;
                q.out.id.clear();
            }
        }
    }

    /// The number of instances of each repeat whose `repeat_count` is an
    /// expression, translated now that every name is known; and the note
    /// that asks for the real maximum where the form gives none.
    fn repeat_counts(
        &mut self,
        qs: &mut [Q],
        lists: &BTreeMap<String, List>,
        dropped: &BTreeMap<String, String>,
    ) {
        let names = FormNames { qs, lists, dropped };
        let mut results = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            if !matches!(q.out.kind, Kind::Repeat { .. }) || dropped.contains_key(&q.xls_name) {
                continue;
            }
            let counted = (!q.raw_count.is_empty())
                .then(|| xpath::translate(&q.raw_count, &Scope::new(&names)));
            results.push((i, counted));
        }
        for (i, counted) in results {
            let (row, name, raw) = (qs[i].row, qs[i].xls_name.clone(), qs[i].raw_count.clone());
            let Kind::Repeat { max, count } = &mut qs[i].out.kind else {
                continue;
            };
            let max = *max;
            match counted {
                Some(Ok(e)) => *count = Some(e),
                Some(Err(why)) => self.warn(
                    SURVEY,
                    row,
                    Some("repeat_count"),
                    format!("`{raw}` is not converted, so the member chooses how many instances to give (at most {max}): {why}"),
                ),
                None => {}
            }
            if qs[i].default_max {
                let fixed = matches!(&qs[i].out.kind, Kind::Repeat { count: Some(_), .. });
                let how = if fixed {
                    format!(
                        "its repeat_count gives the number of instances, but XLSForm sets no maximum, so `max = {max}` is written and a count above {max} gives only {max} instances"
                    )
                } else {
                    format!(
                        "the member chooses how many instances to give, and XLSForm sets no maximum, so `max = {max}` is written"
                    )
                };
                self.warn(
                    SURVEY,
                    row,
                    None,
                    format!("repeat `{name}`: {how}; set the real maximum (at most {}) in the survey file, because it bounds how much one response can weigh in a publication", surveys::load::REPEAT_LIMIT),
                );
            }
        }
    }

    /// Writes the conditions a `choice_filter` left on options (cascading
    /// selects) as their `relevant`s. When one cannot be written, the filter
    /// is not applied: every option of the question is offered, with a note.
    fn choice_relevants(
        &mut self,
        qs: &mut [Q],
        lists: &BTreeMap<String, List>,
        dropped: &BTreeMap<String, String>,
    ) {
        let names = FormNames { qs, lists, dropped };
        let mut results = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            let Some(f) = &q.filtered else { continue };
            let scope = names.scope(i, None);
            let relevants: Result<Vec<Option<String>>, String> = f
                .kept
                .iter()
                .map(|k| match &k.when {
                    None => Ok(None),
                    Some(c) => c.translate(&scope).map(Some).map_err(|why| {
                        format!(
                            "choice_filter `{}` is not converted (for the choice `{}`, choices row {}): {why}; every option is offered",
                            f.raw, k.name, k.row
                        )
                    }),
                })
                .collect();
            results.push((i, relevants));
        }
        for (i, r) in results {
            match r {
                Ok(relevants) => {
                    if let Some(f) = &mut qs[i].filtered {
                        for (k, r) in f.kept.iter_mut().zip(relevants) {
                            k.choice.relevant = r;
                        }
                    }
                }
                Err(m) => {
                    self.warn(SURVEY, qs[i].row, Some("choice_filter"), m);
                    qs[i].filtered = None;
                }
            }
        }
    }

    fn assemble(
        &mut self,
        id: String,
        version: u32,
        title: Text,
        qs: Vec<Q>,
        mut sections: Vec<Sec>,
        lists: &BTreeMap<String, List>,
    ) -> Doc {
        let mut qs: Vec<Q> = qs.into_iter().filter(|q| !q.out.id.is_empty()).collect();
        // A generated section holding only calculations would be an empty
        // page: its calculations join the previous section (or the next).
        for si in 0..sections.len() {
            if !sections[si].generated {
                continue;
            }
            let members: Vec<usize> = (0..qs.len())
                .filter(|&i| qs[i].section == Some(si))
                .collect();
            if members
                .iter()
                .all(|&i| matches!(qs[i].out.kind, Kind::Calculate { .. }))
            {
                let target = (0..si)
                    .rev()
                    .chain(si + 1..sections.len())
                    .find(|&t| qs.iter().any(|q| q.section == Some(t)));
                for &i in &members {
                    qs[i].section = target;
                }
            }
        }
        // Sections that hold no question are left out.
        let mut keep = Vec::new();
        for (si, sec) in sections.iter_mut().enumerate() {
            if qs.iter().any(|q| q.section == Some(si)) {
                keep.push(si);
            } else if !sec.generated {
                self.warn(
                    SURVEY,
                    sec.row,
                    None,
                    format!(
                        "the group `{}` has no question that converts; no section is made for it",
                        sec.out.id
                    ),
                );
            }
        }
        // Choice lists: shared when several questions use them.
        let mut uses: BTreeMap<String, usize> = BTreeMap::new();
        for q in &qs {
            if let (Some(l), None) = (&q.list, &q.filtered) {
                *uses.entry(l.clone()).or_default() += 1;
            }
        }
        let mut shared = Vec::new();
        for (name, list) in lists {
            if uses.get(name).copied().unwrap_or(0) >= 2 {
                shared.push(ListOut {
                    id: list.id.clone(),
                    choices: list.choices.clone(),
                });
            }
        }
        let mut out_questions: Vec<OutQuestion> = Vec::new();
        for mut q in qs {
            if let Some(f) = q.filtered.take() {
                q.out.choices =
                    emit::ChoicesOut::Inline(f.kept.into_iter().map(|k| k.choice).collect());
            } else if let Some(l) = &q.list {
                let list = &lists[l];
                q.out.choices = if uses.get(l).copied().unwrap_or(0) >= 2 {
                    emit::ChoicesOut::List(list.id.clone())
                } else {
                    emit::ChoicesOut::Inline(list.choices.clone())
                };
            }
            q.out.section = q.section.map(|s| sections[s].out.id.clone());
            // A repeat's questions follow it, and survive only with it.
            match (q.repeat, out_questions.last_mut()) {
                (Some(_), Some(repeat)) if matches!(repeat.kind, Kind::Repeat { .. }) => {
                    repeat.inner.push(q.out);
                }
                _ => out_questions.push(q.out),
            }
        }
        Doc {
            id,
            version,
            languages: self.languages.clone(),
            default_language: self.default_language.clone(),
            title,
            choice_lists: shared,
            sections: keep.into_iter().map(|i| sections[i].out.clone()).collect(),
            questions: out_questions,
        }
    }
}

/// The section an ungrouped question (or repeat) of a form with groups
/// joins: the current one when it is generated, else a new `part_N`
/// titled like the form.
fn generated_section(
    sections: &mut Vec<Sec>,
    current: Option<usize>,
    section_ids: &mut BTreeSet<String>,
    title: &Text,
    row: u32,
) -> usize {
    if let Some(c) = current.filter(|&c| sections[c].generated) {
        return c;
    }
    let gid = unique(format!("part_{}", sections.len() + 1), section_ids);
    sections.push(Sec {
        out: OutSection {
            id: gid,
            title: title.clone(),
            relevant: None,
        },
        row,
        raw_relevant: String::new(),
        generated: true,
    });
    sections.len() - 1
}

/// The `relevant`s of the groups among `frames` that have one, outermost
/// first (a section's group keeps its own as the section's).
fn relevants_of(frames: &[Frame]) -> Vec<(u32, String)> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Group { row, raw_relevant } if !raw_relevant.is_empty() => {
                Some((*row, raw_relevant.clone()))
            }
            _ => None,
        })
        .collect()
}

#[derive(Default)]
struct Translated {
    relevant: Option<String>,
    required: Req,
    constraint: Option<String>,
    notes: Vec<(u32, &'static str, String)>,
}

struct FormNames<'a> {
    qs: &'a [Q],
    lists: &'a BTreeMap<String, List>,
    dropped: &'a BTreeMap<String, String>,
}

impl FormNames<'_> {
    /// Where the expressions of question `i` stand: inside its repeat, if
    /// it has one; `dot` for its constraint.
    fn scope(&self, i: usize, dot: Option<RefInfo>) -> Scope<'_> {
        Scope {
            names: self,
            dot,
            repeat: self.qs[i].repeat.map(|r| self.qs[r].out.id.clone()),
        }
    }
}

impl Names for FormNames<'_> {
    fn resolve(&self, name: &str) -> Result<RefInfo, String> {
        if let Some(why) = self.dropped.get(name) {
            return Err(format!("it refers to `${{{name}}}`, which {why}"));
        }
        let Some(q) = self.qs.iter().find(|q| q.xls_name == name) else {
            return Err(format!(
                "it refers to `${{{name}}}`, which is not a question of the form"
            ));
        };
        let kind = match &q.out.kind {
            Kind::Choice {
                ty: "single_choice",
                ..
            } => ValueKind::SingleChoice,
            Kind::Choice {
                ty: "multiple_choice",
                ..
            } => ValueKind::MultipleChoice,
            Kind::Choice { .. } => ValueKind::Ranking,
            Kind::ShortText | Kind::LongText => ValueKind::Text,
            Kind::Integer { .. } | Kind::Decimal { .. } | Kind::Rating { .. } => ValueKind::Number,
            Kind::Date => ValueKind::Date,
            Kind::Note => ValueKind::Note,
            Kind::Consent => ValueKind::Consent,
            Kind::Calculate { .. } => ValueKind::Calculated,
            Kind::Repeat { .. } => ValueKind::Repeat,
        };
        let mut choices = q
            .list
            .as_ref()
            .and_then(|l| self.lists.get(l))
            .map(|l| l.mapping.clone())
            .unwrap_or_default();
        if let Some(f) = &q.filtered {
            choices.retain(|_, id| f.kept.iter().any(|k| k.choice.id == *id));
        }
        if matches!(q.out.kind, Kind::Choice { other: true, .. }) {
            choices.insert("other".into(), "other".into());
        }
        Ok(RefInfo {
            id: q.out.id.clone(),
            kind,
            choices,
            repeat: q.repeat.map(|r| self.qs[r].out.id.clone()),
        })
    }
}

/// The spellings of XLSForm types that pyxform accepts besides the
/// canonical one, as words (the cell is lower-cased and its spaces
/// collapsed first), each with the canonical type it means. Longer spellings
/// come before their prefixes. For selects the list name follows.
const TYPE_ALIASES: &[(&[&str], &str)] = &[
    // Selects. The `from file` spellings before `select one from`.
    (&["select", "one", "from", "file"], "select_one_from_file"),
    (
        &["select", "multiple", "from", "file"],
        "select_multiple_from_file",
    ),
    (&["add", "select", "one", "prompt", "using"], "select_one"),
    (
        &["add", "select", "multiple", "prompt", "using"],
        "select_multiple",
    ),
    (
        &["select", "all", "that", "apply", "from"],
        "select_multiple",
    ),
    (&["select", "all", "that", "apply"], "select_multiple"),
    (&["select", "one", "external"], "select_one_external"),
    (&["select", "one", "from"], "select_one"),
    (&["select", "one", "using"], "select_one"),
    (&["select", "one"], "select_one"),
    (&["select", "multiple", "from"], "select_multiple"),
    (&["select", "multiple", "using"], "select_multiple"),
    (&["select", "multiple"], "select_multiple"),
    (&["select1"], "select_one"),
    (&["q", "select1"], "select_one"),
    (&["q", "select"], "select_multiple"),
    // Groups and repeats (`lgroup` and `looped group` are old names of a repeat).
    (&["begin", "group"], "begin_group"),
    (&["end", "group"], "end_group"),
    (&["begin", "repeat"], "begin_repeat"),
    (&["end", "repeat"], "end_repeat"),
    (&["begin", "looped", "group"], "begin_repeat"),
    (&["end", "looped", "group"], "end_repeat"),
    (&["begin", "lgroup"], "begin_repeat"),
    (&["end", "lgroup"], "end_repeat"),
    (&["begin_lgroup"], "begin_repeat"),
    (&["end_lgroup"], "end_repeat"),
    // pyxform's loop over the choices of a list (not supported).
    (&["begin", "loop", "over"], "begin_loop"),
    (&["begin", "loop"], "begin_loop"),
    (&["begin_loop", "over"], "begin_loop"),
    (&["end", "loop"], "end_loop"),
    // Old prompt spellings of the plain types.
    (&["add", "text", "prompt"], "text"),
    (&["q", "string"], "text"),
    (&["add", "integer", "prompt"], "integer"),
    (&["q", "int"], "integer"),
    (&["add", "decimal", "prompt"], "decimal"),
    (&["q", "decimal"], "decimal"),
    (&["add", "date", "prompt"], "date"),
    (&["q", "date"], "date"),
    (&["add", "note", "prompt"], "note"),
    (&["q", "note"], "note"),
    (&["add", "acknowledge", "prompt"], "acknowledge"),
    (&["q", "acknowledge"], "acknowledge"),
    (&["add", "calculate", "prompt"], "calculate"),
    (&["q", "calculate"], "calculate"),
    (&["add", "date", "time", "prompt"], "datetime"),
    (&["add", "datetime", "prompt"], "datetime"),
    (&["q", "date", "time"], "datetime"),
    (&["q", "datetime"], "datetime"),
    (&["date", "time"], "datetime"),
    (&["add", "time", "prompt"], "time"),
    // Metadata.
    (&["get", "start", "time"], "start"),
    (&["start", "time"], "start"),
    (&["get", "end", "time"], "end"),
    (&["end", "time"], "end"),
    (&["get", "today"], "today"),
    // Types that track a respondent, under their old names too, so that
    // every spelling is refused with its reason.
    (&["add", "image", "prompt"], "image"),
    (&["add", "photo", "prompt"], "photo"),
    (&["q", "picture"], "image"),
    (&["q", "image"], "image"),
    (&["add", "audio", "prompt"], "audio"),
    (&["q", "audio"], "audio"),
    (&["add", "video", "prompt"], "video"),
    (&["q", "video"], "video"),
    (&["add", "file", "prompt"], "file"),
    (&["add", "barcode", "prompt"], "barcode"),
    (&["q", "barcode"], "barcode"),
    (&["add", "location", "prompt"], "geopoint"),
    (&["q", "location"], "geopoint"),
    (&["q", "geopoint"], "geopoint"),
    (&["location"], "geopoint"),
    (&["gps"], "geopoint"),
    (&["get", "device", "id"], "deviceid"),
    (&["device", "id"], "deviceid"),
    (&["uri:deviceid"], "deviceid"),
    (&["get", "phone", "number"], "phonenumber"),
    (&["uri:phonenumber"], "phonenumber"),
    (&["get", "subscriber", "id"], "subscriberid"),
    (&["subscriber", "id"], "subscriberid"),
    (&["uri:subscriberid"], "subscriberid"),
    (&["get", "sim", "id"], "simserial"),
    (&["sim", "id"], "simserial"),
    (&["uri:simserial"], "simserial"),
    (&["uri:username"], "username"),
    (&["uri:email"], "email"),
    // pyxform's text question for a phone number (refused like `phonenumber`).
    (&["phone", "number"], "phone_number"),
];

/// The words of a `type` cell with its spelling made canonical:
/// `begin group` → `begin_group`, `select all that apply from x` →
/// `select_multiple x`, `Select One yes_no` → `select_one yes_no`.
fn type_words(raw: &str) -> Vec<String> {
    let lower = raw.trim().to_lowercase();
    let mut words: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    if let Some((alias, canonical)) = TYPE_ALIASES
        .iter()
        .filter(|(alias, _)| words.len() >= alias.len() && words[..alias.len()] == **alias)
        .max_by_key(|(alias, _)| alias.len())
    {
        words.splice(0..alias.len(), [canonical.to_string()]);
    }
    // `select_one list or_other` may also be written `select_one list or
    // other`, or in pyxform's old spelling `… or specify other`.
    let other = |tail: &[String]| tail == ["or", "other"] || tail == ["or", "specify", "other"];
    if words.len() > 2 && other(&words[2..]) {
        words.truncate(2);
        words.push("or_other".into());
    }
    words
}

/// The names of the answers that texts show (`${q}`, ODK's way of putting
/// an answer into a label), each once, in order.
fn answers_shown<'t>(texts: impl Iterator<Item = &'t str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for text in texts {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end].trim().to_string();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
            rest = &after[end + 1..];
        }
    }
    names
}

/// A logic cell that pyxform reads as a constant: `yes`, `true` (in any
/// case) and `true()` are true; `no`, `false` and `false()` are false. In a
/// column that must give a boolean (`relevant`, `required`, `constraint`,
/// `readonly`: `numbers`), a bare number is one too, true unless it is zero,
/// as XPath's `boolean()` has it. `None` for anything else.
fn constant(raw: &str, numbers: bool) -> Option<bool> {
    let v = raw.trim().to_ascii_lowercase();
    match v.as_str() {
        "yes" | "true" | "true()" => Some(true),
        "no" | "false" | "false()" => Some(false),
        _ if numbers => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f != 0.0),
        _ => None,
    }
}

/// `randomize=true seed=3` (spaces, commas or semicolons between) → pairs.
fn parameters(raw: &str) -> Vec<(String, String)> {
    raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_lowercase(), v.trim().to_string()),
            None => (p.trim().to_lowercase(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(normalise_id("Age", IdKind::Question), "age");
        assert_eq!(normalise_id("_hidden", IdKind::Question), "q_hidden");
        assert_eq!(normalise_id("1st", IdKind::Question), "q_1st");
        assert_eq!(normalise_id("возраст", IdKind::Question), "vozrast");
        assert_eq!(
            normalise_id("Needle Exchange", IdKind::Choice),
            "needle_exchange"
        );
        assert_eq!(normalise_id("25-34", IdKind::Choice), "25-34");
        assert_eq!(normalise_id("_x", IdKind::Choice), "c_x");
        assert_eq!(normalise_id("OST/HIV 2024", IdKind::Survey), "ost_hiv_2024");
        let mut taken = BTreeSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a_2");
    }

    #[test]
    fn types() {
        assert_eq!(type_words("begin group"), ["begin_group"]);
        assert_eq!(type_words("select_one  yes_no"), ["select_one", "yes_no"]);
        assert_eq!(
            type_words("select all that apply svc"),
            ["select_multiple", "svc"]
        );
        assert_eq!(
            type_words("select_one c or other"),
            ["select_one", "c", "or_other"]
        );
        // pyxform's old spelling of or_other.
        assert_eq!(
            type_words("select one from sexes or specify other"),
            ["select_one", "sexes", "or_other"]
        );
        assert_eq!(
            type_words("select all that apply from t or specify other"),
            ["select_multiple", "t", "or_other"]
        );
        for (spelling, canonical) in [
            ("select one from yes_no", "select_one yes_no"),
            ("Select One From  yes_no", "select_one yes_no"),
            ("select all that apply from svc", "select_multiple svc"),
            ("add select one prompt using yes_no", "select_one yes_no"),
            ("select1 yes_no", "select_one yes_no"),
            (
                "select one from file places.csv",
                "select_one_from_file places.csv",
            ),
            (
                "select multiple from file a.csv",
                "select_multiple_from_file a.csv",
            ),
            ("SELECT_ONE yes_no", "select_one yes_no"),
            ("begin looped group", "begin_repeat"),
            ("end lgroup", "end_repeat"),
            ("add integer prompt", "integer"),
            ("q note", "note"),
            ("date time", "datetime"),
            ("dateTime", "datetime"),
            ("get device id", "deviceid"),
            ("gps", "geopoint"),
            ("Begin Group", "begin_group"),
            ("begin loop over toilet_type", "begin_loop toilet_type"),
            ("end loop", "end_loop"),
            ("phone number", "phone_number"),
            ("get phone number", "phonenumber"),
        ] {
            assert_eq!(type_words(spelling).join(" "), canonical, "{spelling}");
        }
        assert_eq!(
            parameters("start=0 end=10;step=2"),
            [
                ("start".into(), "0".into()),
                ("end".into(), "10".into()),
                ("step".into(), "2".into())
            ]
        );
    }
}

/// Whole conversions of small workbooks held in memory, for what the
/// pyxform corpus (`tests/corpus.rs`) found: each sheet is rows of cells,
/// the header first, numbered as a spreadsheet shows them.
#[cfg(test)]
mod forms {
    use super::*;
    use toml::{Table, Value};

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet::from_rows(rows.iter().zip(1..).map(|(cells, number)| Row {
            number,
            cells: cells.iter().map(|c| c.to_string()).collect(),
        }))
    }

    fn form_with(survey: &[&[&str]], choices: &[&[&str]], settings: &[&[&str]]) -> Conversion {
        let some = |rows: &[&[&str]]| (!rows.is_empty()).then(|| sheet(rows));
        let wb = sheet::Workbook::new(Some(sheet(survey)), some(choices), some(settings));
        convert_workbook(Ok(wb), "form.xlsx")
    }

    fn form(survey: &[&[&str]], choices: &[&[&str]]) -> Conversion {
        form_with(survey, choices, &[])
    }

    /// The survey file, which must pass the checks of `chorus check`.
    fn checked(c: &Conversion) -> Table {
        let notes: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
        let text = c
            .toml
            .clone()
            .unwrap_or_else(|| panic!("no survey file; notes:\n{}", notes.join("\n")));
        if let Err(e) = surveys::parse_survey(&text) {
            panic!("the survey file does not check clean:\n{e}\n\n{text}");
        }
        text.parse().expect("TOML")
    }

    fn question<'t>(t: &'t Table, id: &str) -> &'t Table {
        t["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .filter_map(Value::as_table)
            .find(|q| q["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no question {id}"))
    }

    fn get<'t>(q: &'t Table, key: &str) -> Option<&'t str> {
        q.get(key).and_then(Value::as_str)
    }

    /// Every note at `row` of the survey sheet, as shown.
    fn at(c: &Conversion, sheet: &str, row: u32) -> Vec<String> {
        c.notes
            .iter()
            .filter(|n| n.sheet == Some(sheet) && n.row == Some(row))
            .map(ToString::to_string)
            .collect()
    }

    fn errors(c: &Conversion) -> Vec<String> {
        c.notes_of(Severity::Error)
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn single_colon_headers_carry_labels_and_logic() {
        let c = form(
            &[
                &[
                    "type",
                    "name",
                    "label:English (en)",
                    "bind:relevant",
                    "bind:constraint",
                    "bind:jr:constraintMsg:English (en)",
                    "bind:required",
                    "control:appearance",
                ],
                &[
                    "integer",
                    "age",
                    "Your age?",
                    "",
                    ". <= 120",
                    "At most 120",
                    "yes",
                    "",
                ],
                &[
                    "text",
                    "story",
                    "Tell us",
                    "${age} >= 18",
                    "",
                    "",
                    "",
                    "multiline",
                ],
                &[
                    "select one from yn or specify other",
                    "ok",
                    "All right?",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
            &[
                &["list name", "name", "label:English (en)"],
                &["yn", "yes", "Yes"],
                &["yn", "no", "No"],
            ],
        );
        let t = checked(&c);
        let age = question(&t, "age");
        assert_eq!(
            get(age["label"].as_table().expect("label"), "en"),
            Some("Your age?")
        );
        assert_eq!(get(age, "constraint"), Some(". <= 120"));
        assert_eq!(
            get(age["constraint_message"].as_table().expect("message"), "en"),
            Some("At most 120")
        );
        assert_eq!(age["required"].as_bool(), Some(true));
        let story = question(&t, "story");
        assert_eq!(get(story, "type"), Some("long_text"));
        assert_eq!(get(story, "relevant"), Some("age >= 18"));
        // `or specify other` is pyxform's old spelling of `or_other`.
        let ok = question(&t, "ok");
        assert_eq!(ok["other"].as_bool(), Some(true));
        assert_eq!(ok["choices"][0]["label"]["en"].as_str(), Some("Yes"));
        // Nothing is lost, so only the settings are noted.
        let survey_notes: Vec<String> = c
            .notes
            .iter()
            .filter(|n| n.sheet != Some("settings"))
            .map(ToString::to_string)
            .collect();
        assert_eq!(survey_notes, Vec::<String>::new());
    }

    #[test]
    fn old_settings_spellings_give_the_id_and_title() {
        let c = form_with(
            &[&["type", "name", "label"], &["text", "a", "A?"]],
            &[],
            &[&["id_string", "title"], &["needs_2024", "Needs 2024"]],
        );
        let t = checked(&c);
        assert_eq!(get(&t, "id"), Some("needs_2024"));
        assert_eq!(
            get(t["title"].as_table().expect("title"), "en"),
            Some("Needs 2024")
        );
    }

    #[test]
    fn phone_number_and_osm_are_refused_and_unknown_types_quoted_whole() {
        let c = form(
            &[
                &["type", "name", "label"],
                &["phone number", "phone", "Your phone number?"],
                &["osm buildings", "building", "Which building?"],
                &["party like it's 1999", "party", "Party?"],
            ],
            &[],
        );
        assert!(c.refused() && c.toml.is_none());
        let refused: Vec<(Option<u32>, String)> = c
            .notes_of(Severity::Refused)
            .map(|n| (n.row, n.message.clone()))
            .collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].0, Some(2));
        assert!(
            refused[0]
                .1
                .contains("`phone number` (`phone`) records a phone number")
        );
        assert_eq!(refused[1].0, Some(3));
        assert!(refused[1].1.contains("OpenStreetMap"));
        assert_eq!(
            errors(&c),
            ["error: survey row 4, column `type`: unknown question type `party like it's 1999`"]
        );
    }

    #[test]
    fn loops_over_a_list_are_errors_with_a_hint() {
        let c = form(
            &[
                &["type", "name", "label"],
                &["select_multiple toilets", "have", "Which toilets?"],
                &["begin loop over toilets", "each", ""],
                &["integer", "number", "How many %(label)s?"],
                &["end loop", "", ""],
                &["text", "after", "Anything else?"],
            ],
            &[
                &["list_name", "name", "label"],
                &["toilets", "pit", "Pit latrine"],
                &["toilets", "flush", "Flush toilet"],
            ],
        );
        assert_eq!(
            errors(&c),
            [
                "error: survey row 3, column `type`: `begin loop over toilets` asks its questions once for each choice of the list `toilets`, and Chorus has no such loop: write it as a repeat (begin_repeat … end_repeat, one instance per item), or as one group per item (row 4 inside it is not converted)"
            ]
        );
        // A loop never closed says so.
        let c = form(
            &[
                &["type", "name", "label"],
                &["begin loop over toilets", "each", ""],
                &["integer", "number", "How many?"],
            ],
            &[&["list_name", "name", "label"], &["toilets", "pit", "Pit"]],
        );
        let errors = errors(&c);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with("; it is never closed with an end loop"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_survey_left_without_questions_is_an_error() {
        // Every row left out: a `hidden` field, a calculation that does not
        // translate.
        for survey in [
            &[
                &["type", "name", "label", "calculation"][..],
                &["hidden", "h", "", ""],
            ][..],
            &[
                &["type", "name", "label", "calculation"],
                &["calculate", "c", "", "because pyxform does not know"],
            ],
            // Only a calculation left: nothing to show.
            &[
                &["type", "name", "label", "calculation"],
                &["calculate", "c", "", "2 + 2"],
            ],
        ] {
            let c = form(survey, &[]);
            assert!(c.toml.is_none(), "{:?}", c.notes);
            let errors = errors(&c);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].starts_with("error: survey sheet: no question could be converted: "),
                "{errors:?}"
            );
        }
        // A survey of a note shows it: `chorus check` takes it.
        let c = form(
            &[&["type", "name", "label"], &["note", "hello", "Hello"]],
            &[],
        );
        checked(&c);
    }

    #[test]
    fn yes_no_true_false_and_numbers_in_logic_columns() {
        let c = form(
            &[
                &[
                    "type",
                    "name",
                    "label",
                    "relevant",
                    "required",
                    "constraint",
                    "calculation",
                ],
                &["text", "never", "Never asked", "FALSE", "", "", ""],
                &[
                    "text",
                    "always",
                    "Always asked",
                    "yes",
                    "TRUE",
                    "true()",
                    "",
                ],
                &["text", "zero", "Zero", "0", "0", "", ""],
                &["integer", "two", "Two", "2", "1", "no", ""],
                &["calculate", "flag", "", "", "", "", "Yes"],
                &["begin group", "g", "Group", "No", "", "", ""],
                &["text", "inside", "Inside", "", "", "", ""],
                &["end group", "", "", "", "", "", ""],
            ],
            &[],
        );
        let t = checked(&c);
        assert_eq!(get(question(&t, "never"), "relevant"), Some("false"));
        let always = question(&t, "always");
        assert_eq!(
            (get(always, "relevant"), get(always, "constraint")),
            (None, None)
        );
        assert_eq!(always["required"].as_bool(), Some(true));
        let zero = question(&t, "zero");
        assert_eq!(get(zero, "relevant"), Some("false"));
        assert_eq!(zero.get("required"), None);
        let two = question(&t, "two");
        assert_eq!(get(two, "relevant"), None);
        assert_eq!(two["required"].as_bool(), Some(true));
        assert_eq!(get(two, "constraint"), Some("false"));
        assert!(
            at(&c, "survey", 5)
                .iter()
                .any(|n| n.contains("constraint `no` is false, so every answer is rejected")),
            "{:?}",
            at(&c, "survey", 5)
        );
        assert_eq!(get(question(&t, "flag"), "expression"), Some("true"));
        // The group's `No` hides its section; the ungrouped questions are in `part_1`.
        let sections: Vec<(&str, Option<&str>)> = t["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().expect("id"),
                    s.get("relevant").and_then(Value::as_str),
                )
            })
            .collect();
        assert_eq!(sections, [("part_1", None), ("g", Some("false"))]);
    }

    #[test]
    fn readonly_is_noted_only_when_it_is_set() {
        let c = form(
            &[
                &["type", "name", "label", "read_only"],
                &["text", "a", "A", "yes"],
                &["text", "b", "B", "no"],
                &["note", "n", "N", "true"],
            ],
            &[],
        );
        checked(&c);
        assert_eq!(
            at(&c, "survey", 2),
            [
                "warning: survey row 2, column `readonly`: readonly `yes` is not converted: Chorus has no read-only questions, so the question can be answered"
            ]
        );
        assert_eq!(at(&c, "survey", 3), Vec::<String>::new());
        assert_eq!(at(&c, "survey", 4), Vec::<String>::new());
    }

    #[test]
    fn answers_shown_in_texts_are_noted_row_by_row() {
        let c = form(
            &[
                &["type", "name", "label::English (en)", "hint::English (en)"],
                &["text", "name", "Your name?", ""],
                &[
                    "integer",
                    "age",
                    "${name}, how old are you?",
                    "Not ${ name } or ${age}",
                ],
                &["select_one people", "who", "Who?", ""],
            ],
            &[
                &["list_name", "name", "label::English (en)"],
                &["people", "me", "${name}"],
                &["people", "other", "Someone else"],
            ],
        );
        checked(&c);
        assert_eq!(
            at(&c, "survey", 3),
            [
                "warning: survey row 3, column `label::English (en)`: label shows the answer to `name`, which Chorus does not do: the text is kept as written",
                "warning: survey row 3, column `hint::English (en)`: hint shows the answers to `name` and `age`, which Chorus does not do: the text is kept as written",
            ]
        );
        assert_eq!(
            at(&c, "choices", 2),
            [
                "warning: choices row 2, column `label::English (en)`: label shows the answer to `name`, which Chorus does not do: the text is kept as written"
            ]
        );
        assert_eq!(at(&c, "choices", 3), Vec::<String>::new());
    }

    #[test]
    fn a_choice_filter_reads_a_column_with_a_language() {
        let c = form(
            &[
                &["type", "name", "label::English", "choice_filter"],
                &["select_one names", "who", "Who?", "label::English != ''"],
            ],
            &[
                &["list_name", "name", "label::English"],
                &["names", "a", "A"],
                &["names", "b", "B"],
            ],
        );
        let t = checked(&c);
        assert_eq!(
            question(&t, "who")["choices"].as_array().map(Vec::len),
            Some(2)
        );
        assert!(
            !c.notes
                .iter()
                .any(|n| n.column.as_deref() == Some("choice_filter")),
            "{:?}",
            c.notes
        );
    }
}
