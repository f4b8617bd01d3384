//! Raw-data exports for researchers and their codebook.
//!
//! One row per response, one column per answer value: a multiple-choice
//! question becomes one 0/1 column per option (`q__option`), a ranking one
//! column per rank position (`q__rank1`…), a grid one column per statement
//! (`q__statement`), the "other, please specify" text its own column
//! (`q_other`); notes have no column. [`columns`] decides the columns once,
//! and the CSV, the JSON Lines and the codebook all follow it, so the
//! codebook lists exactly the export's columns in the same order.
//!
//! Rows are read from SQLite and written one at a time
//! ([`store::for_each_response`]); an export of a million responses never holds
//! more than one response in memory.
//!
//! CSV follows RFC 4180 (comma, CRLF, fields with a comma, quote or line
//! break in double quotes, quotes doubled), UTF-8 with an optional BOM for
//! Excel. Text that a spreadsheet would run as a formula — a cell starting
//! with `=`, `+`, `-`, `@`, tab or carriage return — gets a leading `'`
//! (OWASP's advice against CSV injection). Only text cells are guarded;
//! numbers Chorus writes itself (a negative integer answer) stay numbers.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use surveys::{Answer, Answers, Choice, Question, QuestionKind, Survey, Text};

use crate::opening::Opener;
use crate::store::{self, Store};

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV.
    Csv,
    /// JSON Lines: one JSON object per response, keys = column names.
    JsonLines,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "json" | "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/x-ndjson; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }
}

/// Codebook file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodebookFormat {
    Csv,
    Markdown,
}

impl CodebookFormat {
    pub fn parse(s: &str) -> Option<CodebookFormat> {
        match s {
            "csv" => Some(CodebookFormat::Csv),
            "md" | "markdown" => Some(CodebookFormat::Markdown),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            CodebookFormat::Csv => "text/csv; charset=utf-8",
            CodebookFormat::Markdown => "text/markdown; charset=utf-8",
        }
    }
}

/// How to write an export.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    /// Language of labels (in cells with `labels`, and in the codebook).
    pub lang: String,
    /// Write option labels instead of option codes.
    pub labels: bool,
    /// Start a CSV with a UTF-8 byte-order mark (for Excel).
    pub bom: bool,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the export: {0}")]
    Io(#[from] io::Error),
    #[error("stored response {submission_id} cannot be read: {message}")]
    Corrupt {
        submission_id: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(
        "a CSV export of `{survey}` writes {wanted} repeat file(s) beside the main one, \
         but {given} writer(s) were given"
    )]
    RepeatFiles {
        survey: String,
        wanted: usize,
        given: usize,
    },
}

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    SubmissionId,
    SurveyVersion,
    ReceivedDay,
    /// The answer itself (single choice, text, numbers, date, consent, calculate).
    Value,
    /// The "other, please specify" text, stored under `<question>_other`.
    OtherText,
    /// 1 when this option is ticked.
    Option(String),
    /// The option put at this (1-based) rank.
    Rank(usize),
    /// The scale choice given to this statement.
    Statement(String),
    /// A repeat's column in the main file: how many instances the response
    /// gives (0 when none). In JSON Lines, the instances themselves.
    Instances,
    /// In a repeat's file: the instance's 1-based position in its response.
    Instance,
}

/// One column of an export.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The question it comes from; `None` for the submission's own fields.
    pub question: Option<String>,
    source: Source,
}

const OTHER: &str = "other";

/// The label of the implicit `other` option, when the file does not list one.
fn other_label(lang: &str) -> &'static str {
    match lang {
        "ru" => "Другое",
        "uk" => "Інше",
        _ => "Other",
    }
}

/// An option as the codebook tells it: id, label (`None`: the implicit
/// "other"), and the condition under which it is offered.
type OptionInfo<'a> = (String, Option<&'a Text>, Option<&'a str>);

/// The options of a choice question, with the implicit `other` appended when
/// the question has `other = true` and does not list it.
fn options_of(choices: &[Choice], other: bool) -> Vec<OptionInfo<'_>> {
    let mut out: Vec<OptionInfo> = choices
        .iter()
        .map(|c| (c.id.clone(), Some(&c.label), c.relevant.as_deref()))
        .collect();
    if other && !choices.iter().any(|c| c.id == OTHER) {
        out.push((OTHER.to_string(), None, None));
    }
    out
}

/// " (offered when …)" for an option with a `relevant`.
fn offered_when(relevant: Option<&str>) -> String {
    relevant.map_or_else(String::new, |r| format!(" (offered when {r})"))
}

/// The columns of `survey`'s main file (one row per response), in order.
/// A repeat has one column here, the number of instances; its questions'
/// columns are in [`repeat_columns`].
pub fn columns(survey: &Survey) -> Vec<Column> {
    let mut cols = vec![
        fixed("submission_id", Source::SubmissionId),
        fixed("survey_version", Source::SurveyVersion),
        fixed("received_day", Source::ReceivedDay),
    ];
    for q in &survey.questions {
        question_columns(q, &mut cols);
    }
    cols
}

/// The repeats of `survey`, in its order: each has a file of its own in a
/// CSV export, and the order of the writers [`write_rows`] takes.
pub fn repeats(survey: &Survey) -> Vec<&Question> {
    survey
        .questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Repeat { .. }))
        .collect()
}

/// The columns of a repeat's file (one row per instance, in long format):
/// `submission_id` and `instance` (from 1), then the inner questions'
/// columns, laid out as the main file lays out a question.
pub fn repeat_columns(repeat: &Question) -> Vec<Column> {
    let mut cols = vec![
        fixed("submission_id", Source::SubmissionId),
        fixed("instance", Source::Instance),
    ];
    for q in repeat.kind.inner() {
        question_columns(q, &mut cols);
    }
    cols
}

/// Where a CSV export writes the instances of `repeat` when its main file
/// is `out`: next to it, the repeat's id before the extension
/// (`answers.csv` → `answers.incidents.csv`; `answers` →
/// `answers.incidents.csv`).
pub fn repeat_path(out: &Path, repeat: &str) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || std::ffi::OsString::from("export"),
        std::ffi::OsStr::to_os_string,
    );
    let mut name = stem;
    name.push(".");
    name.push(repeat);
    name.push(".");
    name.push(out.extension().unwrap_or(Format::Csv.extension().as_ref()));
    out.with_file_name(name)
}

fn fixed(name: &str, source: Source) -> Column {
    Column {
        name: name.to_string(),
        question: None,
        source,
    }
}

/// Appends the columns of question `q`: the one place that decides how a
/// question type is laid out, in the main file and in a repeat's file.
fn question_columns(q: &Question, cols: &mut Vec<Column>) {
    let col = |name: String, source| Column {
        name,
        question: Some(q.id.clone()),
        source,
    };
    match &q.kind {
        QuestionKind::Note => {}
        // The number of instances; the instances go to a file of their own.
        QuestionKind::Repeat { .. } => cols.push(col(q.id.clone(), Source::Instances)),
        QuestionKind::SingleChoice { other, .. } => {
            cols.push(col(q.id.clone(), Source::Value));
            if *other {
                cols.push(col(format!("{}_other", q.id), Source::OtherText));
            }
        }
        QuestionKind::MultipleChoice { choices, other, .. } => {
            for (id, ..) in options_of(choices, *other) {
                cols.push(col(format!("{}__{id}", q.id), Source::Option(id)));
            }
            if *other {
                cols.push(col(format!("{}_other", q.id), Source::OtherText));
            }
        }
        QuestionKind::Ranking { choices, rank, .. } => {
            let k = rank.map_or(choices.len(), |r| r as usize);
            for pos in 1..=k {
                cols.push(col(format!("{}__rank{pos}", q.id), Source::Rank(pos)));
            }
        }
        QuestionKind::Grid { statements, .. } => {
            for s in statements {
                cols.push(col(
                    format!("{}__{}", q.id, s.id),
                    Source::Statement(s.id.clone()),
                ));
            }
        }
        QuestionKind::ShortText { .. }
        | QuestionKind::LongText { .. }
        | QuestionKind::Integer { .. }
        | QuestionKind::Decimal { .. }
        | QuestionKind::Date { .. }
        | QuestionKind::Rating { .. }
        | QuestionKind::Consent
        | QuestionKind::Calculate { .. } => cols.push(col(q.id.clone(), Source::Value)),
    }
}

/// The question `id`, at the top level or inside a repeat.
fn find_question<'a>(survey: &'a Survey, id: &str) -> Option<&'a Question> {
    survey.questions.iter().find_map(|q| {
        if q.id == id {
            Some(q)
        } else {
            q.kind.inner().iter().find(|i| i.id == id)
        }
    })
}

/// A cell: missing, a number Chorus wrote, or text.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Missing,
    Int(i64),
    Float(f64),
    Text(String),
}

/// Computes each column's cell for one response, or for one instance of a
/// repeat.
struct RowMaker<'a> {
    survey: &'a Survey,
    columns: Vec<Column>,
    /// Each column's question type, looked up once rather than per row.
    kinds: Vec<Option<&'a QuestionKind>>,
    lang: &'a str,
    labels: bool,
}

impl<'a> RowMaker<'a> {
    fn new(survey: &'a Survey, columns: Vec<Column>, lang: &'a str, labels: bool) -> Self {
        let kinds = columns
            .iter()
            .map(|c| {
                let q = c.question.as_deref()?;
                find_question(survey, q).map(|q| &q.kind)
            })
            .collect();
        RowMaker {
            survey,
            columns,
            kinds,
            lang,
            labels,
        }
    }

    fn choice_cell(&self, choices: &[Choice], id: &str) -> Cell {
        if self.labels {
            if let Some(c) = choices.iter().find(|c| c.id == id) {
                return Cell::Text(self.survey.tr(&c.label, self.lang).to_string());
            }
            if id == OTHER {
                return Cell::Text(other_label(self.lang).to_string());
            }
        }
        Cell::Text(id.to_string())
    }

    /// The cells of `answers`: a response's, or those of its `instance`th
    /// instance of a repeat (counted from 1; 0 for the main file).
    fn cells(
        &self,
        row: &store::StoredResponse<'_>,
        answers: &Answers,
        instance: usize,
    ) -> Vec<Cell> {
        self.columns
            .iter()
            .zip(&self.kinds)
            .map(|(col, kind)| self.cell(col, *kind, row, answers, instance))
            .collect()
    }

    fn cell(
        &self,
        col: &Column,
        kind: Option<&QuestionKind>,
        row: &store::StoredResponse<'_>,
        answers: &Answers,
        instance: usize,
    ) -> Cell {
        let qid = match (&col.source, &col.question) {
            (Source::SubmissionId, _) => return Cell::Text(row.submission_id.to_string()),
            (Source::SurveyVersion, _) => return Cell::Int(row.survey_version),
            (Source::ReceivedDay, _) => return Cell::Text(row.received_day.to_string()),
            (Source::Instance, _) => return Cell::Int(instance as i64),
            (_, Some(q)) => q.as_str(),
            (_, None) => return Cell::Missing,
        };
        if col.source == Source::OtherText {
            // The column is named after the key the text is stored under.
            return match answers.get(&col.name) {
                Some(a) => plain(a),
                None => Cell::Missing,
            };
        }
        if col.source == Source::Instances {
            // A repeat without instances is not stored: 0, not missing.
            return match answers.get(qid) {
                Some(a) => plain(a),
                None => Cell::Int(0),
            };
        }
        let Some(answer) = answers.get(qid) else {
            return Cell::Missing;
        };
        match (&col.source, kind, answer) {
            (Source::Option(opt), _, Answer::Choices(ids)) => {
                Cell::Int(i64::from(ids.iter().any(|i| i == opt)))
            }
            (
                Source::Rank(pos),
                Some(QuestionKind::Ranking { choices, .. }),
                Answer::Choices(ids),
            ) => match ids.get(pos - 1) {
                Some(id) => self.choice_cell(choices, id),
                None => Cell::Missing,
            },
            (Source::Statement(st), Some(QuestionKind::Grid { scale, .. }), Answer::Grid(map)) => {
                match map.get(st) {
                    Some(id) => self.choice_cell(scale, id),
                    None => Cell::Missing,
                }
            }
            (Source::Value, Some(QuestionKind::SingleChoice { choices, .. }), Answer::Text(id)) => {
                self.choice_cell(choices, id)
            }
            // The stored shape does not fit the column (an answer kept from
            // another version of the survey): write what is there, as text.
            (_, _, a) => plain(a),
        }
    }
}

/// An answer written as it is: numbers as numbers, yes/no as 1/0, lists
/// joined with spaces.
fn plain(a: &Answer) -> Cell {
    match a {
        Answer::Bool(b) => Cell::Int(i64::from(*b)),
        Answer::Integer(n) => Cell::Int(*n),
        Answer::Decimal(x) => Cell::Float(*x),
        Answer::Text(t) => Cell::Text(t.clone()),
        Answer::Choices(ids) => Cell::Text(ids.join(" ")),
        Answer::Grid(map) => Cell::Text(
            map.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        // The number of instances; their answers are in the repeat's file.
        Answer::Repeat(instances) => Cell::Int(instances.len() as i64),
    }
}

/// Writes one RFC 4180 field. `guard` prefixes text a spreadsheet would
/// evaluate as a formula with `'`.
fn write_csv_field(out: &mut impl Write, value: &str, guard: bool) -> io::Result<()> {
    let risky = guard && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = risky || value.contains([',', '"', '\r', '\n']);
    if quote {
        out.write_all(b"\"")?;
    }
    if risky {
        out.write_all(b"'")?;
    }
    if quote {
        let mut parts = value.split('"');
        if let Some(first) = parts.next() {
            out.write_all(first.as_bytes())?;
        }
        for part in parts {
            out.write_all(b"\"\"")?;
            out.write_all(part.as_bytes())?;
        }
        out.write_all(b"\"")
    } else {
        out.write_all(value.as_bytes())
    }
}

fn write_csv_record<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = (&'a str, bool)>,
) -> io::Result<()> {
    for (i, (value, guard)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_field(out, value, guard)?;
    }
    out.write_all(b"\r\n")
}

fn float_text(x: f64) -> String {
    // Rust prints f64 without exponent and with the shortest exact digits.
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn write_csv_row(out: &mut impl Write, cells: &[Cell]) -> io::Result<()> {
    let texts: Vec<(String, bool)> = cells
        .iter()
        .map(|c| match c {
            Cell::Missing => (String::new(), false),
            Cell::Int(n) => (n.to_string(), false),
            Cell::Float(x) => (float_text(*x), false),
            Cell::Text(t) => (t.clone(), true),
        })
        .collect();
    write_csv_record(out, texts.iter().map(|(t, g)| (t.as_str(), *g)))
}

/// Cells as JSON values: numbers as numbers, missing as `null`.
fn json_value(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Missing => serde_json::Value::Null,
        Cell::Int(n) => serde_json::Value::from(*n),
        Cell::Float(x) => serde_json::Number::from_f64(*x)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Cell::Text(t) => serde_json::Value::String(t.clone()),
    }
}

/// A JSON object keyed by column name.
fn json_object<'c>(
    pairs: impl Iterator<Item = (&'c Column, &'c Cell)>,
) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .map(|(col, cell)| (col.name.clone(), json_value(cell)))
        .collect()
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Responses: rows of the main file, lines of JSON Lines.
    pub responses: u64,
    /// Instances of each repeat, in the order of [`repeats`]: rows of its
    /// file in CSV, objects in its lists in JSON Lines.
    pub instances: Vec<u64>,
}

/// Writes every stored response of `survey` to `out` (and, in CSV, each
/// repeat's instances to its writer in `repeat_outs`, one per
/// [`repeats`]), row by row, each turned into answers by `opener` (which
/// decodes plaintext rows, opens sealed ones with the keys it holds and
/// quarantines what fails). The caller buffers the writers.
pub fn write_export(
    conn: &mut Store,
    survey: &Survey,
    options: &Options,
    opener: &mut Opener,
    out: &mut impl Write,
    repeat_outs: &mut [&mut dyn Write],
) -> Result<Exported, ExportError> {
    write_rows(survey, options, out, repeat_outs, |emit| {
        let mut written = 0;
        // Rows are opened a batch at a time (on every core), then written
        // in their stored order.
        conn.for_each_batch::<ExportError>(&survey.id, |batch| {
            for (row, answers) in batch.iter().zip(opener.open_batch(&batch)?) {
                if let Some(answers) = answers {
                    emit(&row.as_stored(), &answers)?;
                    written += 1;
                }
            }
            Ok(())
        })?;
        Ok(written)
    })
}

/// A repeat's file: its id and how its rows are made.
struct RepeatTable<'a> {
    id: &'a str,
    maker: RowMaker<'a>,
}

impl RepeatTable<'_> {
    /// The instances a response gives (none when the repeat is not stored,
    /// or is stored in another shape by another version of the survey).
    fn instances<'b>(&self, answers: &'b Answers) -> &'b [Answers] {
        match answers.get(self.id) {
            Some(Answer::Repeat(instances)) => instances,
            _ => &[],
        }
    }
}

/// Writes the headers, then calls `rows` with a function that writes one
/// response; `rows` returns how many it wrote. The rows may come from a
/// database or, opened on the researcher's computer, from a remote
/// collector.
///
/// In CSV, `out` gets one row per response and `repeat_outs` — exactly one
/// writer per repeat of the survey, in the order of [`repeats`] — one row
/// per instance. JSON Lines nests the instances in their response's line,
/// so `repeat_outs` must be empty.
pub fn write_rows<W: Write>(
    survey: &Survey,
    options: &Options,
    out: &mut W,
    repeat_outs: &mut [&mut dyn Write],
    rows: impl FnOnce(
        &mut dyn FnMut(&store::StoredResponse<'_>, &Answers) -> Result<(), ExportError>,
    ) -> Result<u64, ExportError>,
) -> Result<Exported, ExportError> {
    let lang = survey.language(&options.lang);
    let main = RowMaker::new(survey, columns(survey), lang, options.labels);
    let tables: Vec<RepeatTable> = repeats(survey)
        .into_iter()
        .map(|q| RepeatTable {
            id: &q.id,
            maker: RowMaker::new(survey, repeat_columns(q), lang, options.labels),
        })
        .collect();
    let wanted = match options.format {
        Format::Csv => tables.len(),
        Format::JsonLines => 0,
    };
    if repeat_outs.len() != wanted {
        return Err(ExportError::RepeatFiles {
            survey: survey.id.clone(),
            wanted,
            given: repeat_outs.len(),
        });
    }
    if options.format == Format::Csv {
        let header = |out: &mut dyn Write, columns: &[Column]| {
            if options.bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            write_csv_record(
                &mut &mut *out,
                columns.iter().map(|c| (c.name.as_str(), false)),
            )
        };
        header(out, &main.columns)?;
        for (table, o) in tables.iter().zip(repeat_outs.iter_mut()) {
            header(&mut **o, &table.maker.columns)?;
        }
    }
    let mut instances = vec![0; tables.len()];
    let responses = rows(&mut |row, answers| {
        let cells = main.cells(row, answers, 0);
        match options.format {
            Format::Csv => {
                write_csv_row(out, &cells)?;
                for ((table, o), count) in tables
                    .iter()
                    .zip(repeat_outs.iter_mut())
                    .zip(&mut instances)
                {
                    for (i, instance) in table.instances(answers).iter().enumerate() {
                        write_csv_row(o, &table.maker.cells(row, instance, i + 1))?;
                        *count += 1;
                    }
                }
            }
            Format::JsonLines => {
                let mut obj = json_object(main.columns.iter().zip(&cells));
                for (table, count) in tables.iter().zip(&mut instances) {
                    if !matches!(answers.get(table.id), None | Some(Answer::Repeat(_))) {
                        // Another version's answer of another shape: as written.
                        continue;
                    }
                    // Each instance as an object keyed like the repeat's
                    // CSV columns, without the two that link the files.
                    let list: Vec<serde_json::Value> = table
                        .instances(answers)
                        .iter()
                        .enumerate()
                        .map(|(i, instance)| {
                            let cells = table.maker.cells(row, instance, i + 1);
                            let pairs = table.maker.columns.iter().zip(&cells);
                            serde_json::Value::Object(json_object(
                                pairs.filter(|(c, _)| c.question.is_some()),
                            ))
                        })
                        .collect();
                    *count += list.len() as u64;
                    obj.insert(table.id.to_string(), serde_json::Value::Array(list));
                }
                serde_json::to_writer(&mut *out, &obj).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    for o in repeat_outs.iter_mut() {
        o.flush()?;
    }
    Ok(Exported {
        responses,
        instances,
    })
}

/// One line of the codebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodebookEntry {
    /// The repeat whose file holds the column; `None`: the main file.
    pub repeat: Option<String>,
    pub column: String,
    pub question: String,
    pub text: String,
    pub kind: String,
    pub values: String,
    pub notes: String,
}

const MISSING_NOTE: &str = "empty = not answered or not asked";

fn codes(survey: &Survey, choices: &[OptionInfo], lang: &str) -> String {
    choices
        .iter()
        .map(|(id, label, relevant)| {
            let label = label.map_or(other_label(lang), |t| survey.tr(t, lang));
            format!("{id} = {label}{}", offered_when(*relevant))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The codebook: one entry per export column, in the export's order: the
/// main file's, then each repeat's file's (`repeat` names it).
pub fn codebook(survey: &Survey, lang: &str) -> Vec<CodebookEntry> {
    let lang = survey.language(lang);
    let has_repeats = !repeats(survey).is_empty();
    let mut entries: Vec<CodebookEntry> = columns(survey)
        .into_iter()
        .map(|col| entry(survey, lang, col, None, has_repeats))
        .collect();
    for r in repeats(survey) {
        entries.extend(
            repeat_columns(r)
                .into_iter()
                .map(|col| entry(survey, lang, col, Some(r), has_repeats)),
        );
    }
    entries
}

/// How many instances a repeat takes, in words.
fn instance_rule(max: u32, min: u32, count: Option<&str>) -> String {
    match count {
        Some(c) => format!("as many instances as `{c}` gives, at most {max}"),
        None if min > 0 => format!("at least {min} and at most {max} instances when asked"),
        None => format!("at most {max} instances"),
    }
}

/// The codebook entry of `col`, a column of the main file or (`repeat`)
/// of that repeat's file.
fn entry(
    survey: &Survey,
    lang: &str,
    col: Column,
    repeat: Option<&Question>,
    has_repeats: bool,
) -> CodebookEntry {
    let file = repeat.map(|r| r.id.clone());
    let Some(qid) = col.question.clone() else {
        let max = match repeat.map(|r| &r.kind) {
            Some(QuestionKind::Repeat { max, .. }) => *max,
            _ => 0,
        };
        let (text, kind, values, notes) = match (&col.source, repeat) {
            (Source::SubmissionId, Some(_)) => (
                "Submission id of the response this instance belongs to".to_string(),
                "text",
                String::new(),
                "the row of the main file with the same submission_id".to_string(),
            ),
            (Source::SubmissionId, None) if has_repeats => (
                "Submission id, made on the respondent's device".to_string(),
                "text",
                String::new(),
                "random UUID; links this file to the repeats' files, and to nothing else"
                    .to_string(),
            ),
            (Source::SubmissionId, None) => (
                "Submission id, made on the respondent's device".to_string(),
                "text",
                String::new(),
                "random UUID; links to nothing outside this file".to_string(),
            ),
            (Source::Instance, _) => (
                "Instance number within its response".to_string(),
                "integer",
                format!("1 to {max}"),
                "1 = the first instance; submission_id and instance identify the row".to_string(),
            ),
            (Source::SurveyVersion, _) => (
                "Version of the survey the respondent answered".to_string(),
                "integer",
                String::new(),
                String::new(),
            ),
            _ => (
                "Day the answer was received (UTC)".to_string(),
                "date",
                String::new(),
                "YYYY-MM-DD; no finer time is kept".to_string(),
            ),
        };
        return CodebookEntry {
            repeat: file,
            column: col.name,
            question: String::new(),
            text,
            kind: kind.into(),
            values,
            notes,
        };
    };
    let Some(q) = find_question(survey, &qid) else {
        return CodebookEntry {
            repeat: file,
            column: col.name,
            question: qid,
            text: String::new(),
            kind: String::new(),
            values: String::new(),
            notes: String::new(),
        };
    };
    let label = survey.tr(&q.label, lang).to_string();
    let kind = q.kind.name().to_string();
    let (text, values, notes) = match (&col.source, &q.kind) {
        (Source::OtherText, _) => (
            format!("{label} — other, please specify"),
            String::new(),
            format!("free text — private, never published; {MISSING_NOTE}"),
        ),
        (Source::Option(opt), QuestionKind::MultipleChoice { choices, other, .. }) => {
            let opts = options_of(choices, *other);
            let found = opts.iter().find(|(id, ..)| id == opt);
            let opt_label = found
                .map(|(_, l, _)| l.map_or(other_label(lang), |t| survey.tr(t, lang)))
                .unwrap_or("");
            let when = offered_when(found.and_then(|(.., r)| *r));
            (
                format!("{label} — {opt_label}"),
                "1 = ticked; 0 = not ticked".to_string(),
                format!("option `{opt}`{when}; {MISSING_NOTE}"),
            )
        }
        (Source::Rank(pos), QuestionKind::Ranking { choices, .. }) => (
            format!("{label} — rank {pos}"),
            codes(survey, &options_of(choices, false), lang),
            format!("the option put at position {pos}; {MISSING_NOTE}"),
        ),
        (Source::Statement(st), QuestionKind::Grid { statements, scale }) => {
            let st_label = statements
                .iter()
                .find(|s| &s.id == st)
                .map(|s| survey.tr(&s.label, lang))
                .unwrap_or("");
            (
                format!("{label} — {st_label}"),
                codes(survey, &options_of(scale, false), lang),
                format!("statement `{st}`; {MISSING_NOTE}"),
            )
        }
        (_, QuestionKind::SingleChoice { choices, other, .. }) => (
            label,
            codes(survey, &options_of(choices, *other), lang),
            MISSING_NOTE.to_string(),
        ),
        (_, QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length }) => (
            label,
            format!("text, at most {max_length} characters"),
            format!("free text — private, never published; {MISSING_NOTE}"),
        ),
        (_, QuestionKind::Integer { min, max }) => (
            label,
            range(
                min.map(|v| v.to_string()),
                max.map(|v| v.to_string()),
                "whole number",
            ),
            MISSING_NOTE.to_string(),
        ),
        (_, QuestionKind::Decimal { min, max }) => (
            label,
            range(
                min.map(|v| v.to_string()),
                max.map(|v| v.to_string()),
                "number",
            ),
            MISSING_NOTE.to_string(),
        ),
        (_, QuestionKind::Date { min, max }) => (
            label,
            range(min.clone(), max.clone(), "date YYYY-MM-DD"),
            MISSING_NOTE.to_string(),
        ),
        (
            _,
            QuestionKind::Rating {
                scale,
                low_label,
                high_label,
            },
        ) => {
            let mut values = format!("1 to {scale}");
            if let Some(l) = low_label {
                values.push_str(&format!("; 1 = {}", survey.tr(l, lang)));
            }
            if let Some(h) = high_label {
                values.push_str(&format!("; {scale} = {}", survey.tr(h, lang)));
            }
            (label, values, MISSING_NOTE.to_string())
        }
        (_, QuestionKind::Consent) => {
            (label, "1 = consented".to_string(), MISSING_NOTE.to_string())
        }
        (_, QuestionKind::Calculate { expression }) => (
            label,
            "computed; yes/no as 1/0".to_string(),
            format!("calculated from other answers: {expression}"),
        ),
        (
            Source::Instances,
            QuestionKind::Repeat {
                max, min, count, ..
            },
        ) => (
            label,
            format!("number of instances, 0 to {max}"),
            format!(
                "0 = none (a repeat without instances is not stored: none given, or not asked); \
                 {}; the instances are in the file of repeat `{qid}`, one row each, \
                 linked by submission_id (in JSON Lines: a list of objects)",
                instance_rule(*max, *min, count.as_deref())
            ),
        ),
        _ => (label, String::new(), MISSING_NOTE.to_string()),
    };
    CodebookEntry {
        repeat: file,
        column: col.name,
        question: qid,
        text,
        kind,
        values,
        notes,
    }
}

fn range(min: Option<String>, max: Option<String>, what: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{what}, {a} to {b}"),
        (Some(a), None) => format!("{what}, at least {a}"),
        (None, Some(b)) => format!("{what}, at most {b}"),
        (None, None) => what.to_string(),
    }
}

const CODEBOOK_HEADER: [&str; 6] = ["column", "question", "text", "type", "values", "notes"];

/// Writes the codebook of `survey` in `lang`. The CSV form of a survey
/// with repeats has a last column, `repeat`: empty for the main file's
/// columns, the repeat's id for those of its file. The Markdown form has a
/// table per file.
pub fn write_codebook(
    survey: &Survey,
    lang: &str,
    format: CodebookFormat,
    bom: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let entries = codebook(survey, lang);
    let has_repeats = !repeats(survey).is_empty();
    match format {
        CodebookFormat::Csv => {
            if bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let repeat_header = has_repeats.then_some(("repeat", false));
            write_csv_record(
                out,
                CODEBOOK_HEADER
                    .iter()
                    .map(|h| (*h, false))
                    .chain(repeat_header),
            )?;
            for e in &entries {
                let repeat = has_repeats.then(|| (e.repeat.as_deref().unwrap_or(""), true));
                write_csv_record(
                    out,
                    [
                        (e.column.as_str(), true),
                        (e.question.as_str(), true),
                        (e.text.as_str(), true),
                        (e.kind.as_str(), true),
                        (e.values.as_str(), true),
                        (e.notes.as_str(), true),
                    ]
                    .into_iter()
                    .chain(repeat),
                )?;
            }
        }
        CodebookFormat::Markdown => {
            let lang = survey.language(lang);
            let title = survey.tr(&survey.title, lang);
            writeln!(
                out,
                "# Codebook: {} (`{}`, version {})\n",
                md(title),
                survey.id,
                survey.version
            )?;
            writeln!(
                out,
                "One row per response; columns in this order. Empty cell = not answered or not asked.\n"
            )?;
            md_table(out, entries.iter().filter(|e| e.repeat.is_none()))?;
            for r in repeats(survey) {
                let QuestionKind::Repeat {
                    max, min, count, ..
                } = &r.kind
                else {
                    continue;
                };
                writeln!(
                    out,
                    "\n## Repeat `{id}`: {label}\n\n\
                     One row per instance, in the file `<export>.{id}.csv` beside the main one \
                     (over the admin API: `export?repeat={id}`), linked to the main file by \
                     `submission_id`; {rule}. In the main file, column `{id}` is the number of \
                     instances (0 = none). In JSON Lines, `{id}` is the list of the instances, \
                     each an object keyed by these columns but `submission_id` and `instance`.\n",
                    id = r.id,
                    label = md(survey.tr(&r.label, lang)),
                    rule = instance_rule(*max, *min, count.as_deref()),
                )?;
                md_table(
                    out,
                    entries
                        .iter()
                        .filter(|e| e.repeat.as_deref() == Some(r.id.as_str())),
                )?;
            }
        }
    }
    out.flush()
}

/// One Markdown table of codebook entries.
fn md_table<'e>(
    out: &mut impl Write,
    entries: impl Iterator<Item = &'e CodebookEntry>,
) -> io::Result<()> {
    writeln!(out, "| {} |", CODEBOOK_HEADER.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(CODEBOOK_HEADER.len()))?;
    for e in entries {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            e.column,
            md(&e.question),
            md(&e.text),
            md(&e.kind),
            md(&e.values),
            md(&e.notes)
        )?;
    }
    Ok(())
}

/// Text safe inside a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(value: &str, guard: bool) -> String {
        let mut out = Vec::new();
        write_csv_field(&mut out, value, guard).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn csv_fields_are_quoted_per_rfc_4180() {
        assert_eq!(csv("plain", true), "plain");
        assert_eq!(csv("a,b", true), "\"a,b\"");
        assert_eq!(csv("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("two\nlines", true), "\"two\nlines\"");
        assert_eq!(csv("", true), "");
    }

    #[test]
    fn formulas_in_text_are_defused_but_numbers_are_not() {
        assert_eq!(csv("=HYPERLINK(\"x\")", true), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv("+1", true), "\"'+1\"");
        assert_eq!(csv("@SUM(A1)", true), "\"'@SUM(A1)\"");
        let mut out = Vec::new();
        write_csv_row(&mut out, &[Cell::Int(-5), Cell::Text("-5".into())]).expect("write");
        assert_eq!(String::from_utf8(out).expect("utf-8"), "-5,\"'-5\"\r\n");
    }

    fn every_type() -> Survey {
        let t = |en: &str| serde_json::json!({"en": en, "ru": format!("ru:{en}")});
        let c = |id: &str| serde_json::json!({"id": id, "label": t(id)});
        serde_json::from_value(serde_json::json!({
            "id": "all", "version": 2, "languages": ["en", "ru"], "default_language": "en",
            "title": t("All"), "privacy_budget": "1",
            "questions": [
                {"id": "intro", "type": "note", "label": t("Hello")},
                {"id": "ok", "type": "consent", "label": t("Agree?")},
                {"id": "one", "type": "single_choice", "label": t("One"),
                 "choices": [c("a"), c("b")], "other": true},
                {"id": "many", "type": "multiple_choice", "label": t("Many"),
                 "choices": [c("x"), c("y")], "other": true},
                {"id": "name", "type": "short_text", "max_length": 50, "label": t("Say")},
                {"id": "story", "type": "long_text", "max_length": 500, "label": t("Tell")},
                {"id": "n", "type": "integer", "min": -10, "label": t("N")},
                {"id": "x", "type": "decimal", "label": t("X")},
                {"id": "d", "type": "date", "label": t("D")},
                {"id": "r", "type": "rating", "scale": 5, "label": t("R")},
                {"id": "g", "type": "grid", "label": t("G"),
                 "statements": [c("s1"), c("s2")], "scale": [c("agree"), c("disagree")]},
                {"id": "rk", "type": "ranking", "label": t("Rank"),
                 "choices": [c("p"), c("q"), c("z")], "rank": 2},
                {"id": "calc", "type": "calculate", "expression": "${n} * 2"}
            ]
        }))
        .expect("a survey of every type")
    }

    #[test]
    fn the_codebook_says_when_an_option_is_offered() {
        let t = |en: &str| serde_json::json!({"en": en});
        let survey: Survey = serde_json::from_value(serde_json::json!({
            "id": "c", "version": 1, "languages": ["en"], "default_language": "en",
            "title": t("C"), "privacy_budget": "1",
            "questions": [
                {"id": "country", "type": "single_choice", "label": t("Country"),
                 "choices": [{"id": "ge", "label": t("Georgia")}, {"id": "ua", "label": t("Ukraine")}]},
                {"id": "region", "type": "single_choice", "label": t("Region"), "other": true,
                 "choices": [{"id": "kyiv", "label": t("Kyiv"), "relevant": "country = 'ua'"},
                             {"id": "any", "label": t("Anywhere")}]},
                {"id": "help", "type": "multiple_choice", "label": t("Help"),
                 "choices": [{"id": "ost", "label": t("OST"), "relevant": "country != 'ge'"}]}
            ]
        }))
        .expect("a survey");
        let book = codebook(&survey, "en");
        let entry = |c: &str| book.iter().find(|e| e.column == c).expect(c);
        assert_eq!(
            entry("region").values,
            "kyiv = Kyiv (offered when country = 'ua'); any = Anywhere; other = Other"
        );
        assert_eq!(
            entry("help__ost").notes,
            format!("option `ost` (offered when country != 'ge'); {MISSING_NOTE}")
        );
    }

    #[test]
    fn every_question_type_has_its_columns_and_the_codebook_follows() {
        let survey = every_type();
        let names: Vec<String> = columns(&survey).into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "submission_id",
                "survey_version",
                "received_day",
                "ok",
                "one",
                "one_other",
                "many__x",
                "many__y",
                "many__other",
                "many_other",
                "name",
                "story",
                "n",
                "x",
                "d",
                "r",
                "g__s1",
                "g__s2",
                "rk__rank1",
                "rk__rank2",
                "calc",
            ]
        );
        let book: Vec<String> = codebook(&survey, "ru")
            .into_iter()
            .map(|e| e.column)
            .collect();
        assert_eq!(book, names);

        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Store::open(&dir.path().join("t.db").into()).expect("open");
        let answers = serde_json::json!({
            "ok": true, "one": "other", "one_other": "+mine", "many": ["y", "other"],
            "many_other": "theirs", "name": "a,b", "n": -3, "x": 2.5, "d": "2026-01-02",
            "r": 4, "g": {"s1": "agree"}, "rk": ["z", "p"], "calc": -6
        });
        conn.insert_responses(&[store::NewResponse {
            submission_id: "id-1".into(),
            survey_id: "all".into(),
            survey_version: 2,
            received_day: "2026-01-03".into(),
            body: store::Body::Plain(answers.to_string()),
        }])
        .expect("insert");

        let mut export = |labels: bool, format: Format| {
            let mut out = Vec::new();
            let options = Options {
                format,
                lang: "ru".into(),
                labels,
                bom: false,
            };
            assert_eq!(
                write_export(
                    &mut conn,
                    &survey,
                    &options,
                    &mut Opener::new(&survey, &[], Vec::new()),
                    &mut out,
                    &mut []
                )
                .expect("export"),
                Exported {
                    responses: 1,
                    instances: Vec::new()
                }
            );
            String::from_utf8(out).expect("utf-8")
        };
        let csv = export(false, Format::Csv);
        let row = csv.split("\r\n").nth(1).expect("a row");
        assert_eq!(
            row,
            "id-1,2,2026-01-03,1,other,\"'+mine\",0,1,1,theirs,\"a,b\",,-3,2.5,2026-01-02,4,agree,,z,p,-6"
        );
        let labelled = export(true, Format::Csv);
        let row = labelled.split("\r\n").nth(1).expect("a row");
        assert!(row.contains(",Другое,"), "{row}");
        assert!(row.contains(",ru:agree,,ru:z,ru:p,"), "{row}");

        let json = export(false, Format::JsonLines);
        let v: serde_json::Value = serde_json::from_str(json.trim()).expect("json line");
        assert_eq!(v["n"], -3);
        assert_eq!(v["x"], 2.5);
        assert_eq!(v["story"], serde_json::Value::Null);
        assert_eq!(v["g__s2"], serde_json::Value::Null);
        assert_eq!(v["one_other"], "+mine", "JSON needs no formula guard");
    }

    const REPEAT: &str = include_str!("../../surveys/tests/repeat.toml");

    fn repeat_survey() -> Survey {
        surveys::parse_survey(REPEAT).unwrap_or_else(|e| panic!("{e}"))
    }

    const ID1: &str = "00000000-0000-4000-8000-000000000001";
    const ID2: &str = "00000000-0000-4000-8000-000000000002";
    const ID3: &str = "00000000-0000-4000-8000-000000000003";

    /// Three responses, validated by the engine as the collector does: two
    /// incidents, none, one.
    fn repeat_answers(survey: &Survey) -> Vec<(&'static str, Answers)> {
        let engine = surveys::Engine::new(survey).expect("the fixture checks");
        let today = surveys::Date::from_ymd(2026, 5, 1).expect("a day");
        [
            (
                ID1,
                serde_json::json!({
                    "country": "ua",
                    "incidents": [
                        {"when": "2026-03-01", "by": ["police", "other"],
                         "by_other": "guards, night", "injured": 2, "same_place": true},
                        {"when": "2026-04-01", "by": ["medics"], "injured": 7, "same_place": true}
                    ],
                    "reported": "no"
                }),
            ),
            (ID2, serde_json::json!({"country": "kz", "reported": "no"})),
            (
                ID3,
                serde_json::json!({
                    "country": "ua",
                    "incidents": [{"when": "2026-02-10", "by": ["police", "other"],
                                   "by_other": "=evil", "injured": 0}],
                    "reported": "yes"
                }),
            ),
        ]
        .into_iter()
        .map(|(id, v)| {
            let serde_json::Value::Object(map) = v else {
                panic!("an object")
            };
            let valid = engine.validate(&map, today).expect("valid answers");
            (id, valid.answers().clone())
        })
        .collect()
    }

    /// A store holding `rows`.
    fn store_with(dir: &std::path::Path, rows: Vec<store::NewResponse>) -> Store {
        let mut conn = Store::open(&dir.join("t.db").into()).expect("open");
        conn.insert_responses(&rows).expect("insert");
        conn
    }

    fn plain_rows(survey: &Survey) -> Vec<store::NewResponse> {
        repeat_answers(survey)
            .into_iter()
            .map(|(id, answers)| store::NewResponse {
                submission_id: id.into(),
                survey_id: survey.id.clone(),
                survey_version: survey.version,
                received_day: "2026-05-01".into(),
                body: store::Body::Plain(serde_json::to_string(&answers).expect("json")),
            })
            .collect()
    }

    /// The main file and each repeat's file (CSV), or the lines (JSON).
    fn export_all(
        conn: &mut Store,
        survey: &Survey,
        opener: &mut Opener,
        format: Format,
        labels: bool,
    ) -> (String, Vec<String>, Exported) {
        let options = Options {
            format,
            lang: "ru".into(),
            labels,
            bom: false,
        };
        let n = match format {
            Format::Csv => repeats(survey).len(),
            Format::JsonLines => 0,
        };
        let mut out = Vec::new();
        let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); n];
        let mut outs: Vec<&mut dyn Write> = bufs.iter_mut().map(|b| b as &mut dyn Write).collect();
        let written =
            write_export(conn, survey, &options, opener, &mut out, &mut outs).expect("export");
        drop(outs);
        let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
        (text(out), bufs.into_iter().map(text).collect(), written)
    }

    const MAIN_CSV: &str = "submission_id,survey_version,received_day,country,incidents,total_injured,reported\r\n\
        00000000-0000-4000-8000-000000000001,1,2026-05-01,ua,2,2,no\r\n\
        00000000-0000-4000-8000-000000000002,1,2026-05-01,kz,0,0,\r\n\
        00000000-0000-4000-8000-000000000003,1,2026-05-01,ua,1,0,yes\r\n";

    const INCIDENTS_CSV: &str = "submission_id,instance,when,by__police,by__medics,by__other,by_other,injured,same_place\r\n\
        00000000-0000-4000-8000-000000000001,1,2026-03-01,1,0,1,\"guards, night\",2,\r\n\
        00000000-0000-4000-8000-000000000001,2,2026-04-01,0,1,0,,,1\r\n\
        00000000-0000-4000-8000-000000000003,1,2026-02-10,1,0,1,\"'=evil\",0,\r\n";

    #[test]
    fn a_repeat_is_one_column_here_and_a_file_of_its_own() {
        let survey = repeat_survey();
        let names = |cols: Vec<Column>| cols.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names(columns(&survey)),
            [
                "submission_id",
                "survey_version",
                "received_day",
                "country",
                "incidents",
                "total_injured",
                "reported"
            ]
        );
        let found: Vec<&str> = repeats(&survey).iter().map(|q| q.id.as_str()).collect();
        assert_eq!(found, ["incidents"]);
        assert_eq!(
            names(repeat_columns(repeats(&survey)[0])),
            [
                "submission_id",
                "instance",
                "when",
                "by__police",
                "by__medics",
                "by__other",
                "by_other",
                "injured",
                "same_place"
            ]
        );
    }

    #[test]
    fn the_instances_are_written_one_row_each_linked_by_submission_id() {
        let survey = repeat_survey();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = store_with(dir.path(), plain_rows(&survey));
        let mut opener = Opener::new(&survey, &[], Vec::new());
        let (main, files, written) =
            export_all(&mut conn, &survey, &mut opener, Format::Csv, false);
        assert_eq!(main, MAIN_CSV);
        assert_eq!(files, [INCIDENTS_CSV]);
        assert_eq!(
            written,
            Exported {
                responses: 3,
                instances: vec![3]
            }
        );
        // Labels change the main file's choices, not the 0/1 columns.
        let (main, files, _) = export_all(&mut conn, &survey, &mut opener, Format::Csv, true);
        assert!(main.contains(",Украина,2,2,Нет\r\n"), "{main}");
        assert_eq!(files, [INCIDENTS_CSV]);
        assert!(opener.quarantined().is_empty());
    }

    #[test]
    fn json_lines_nest_the_instances_keyed_like_the_repeat_file() {
        let survey = repeat_survey();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = store_with(dir.path(), plain_rows(&survey));
        let mut opener = Opener::new(&survey, &[], Vec::new());
        let (json, files, written) =
            export_all(&mut conn, &survey, &mut opener, Format::JsonLines, true);
        assert!(files.is_empty());
        assert_eq!(written.instances, [3]);
        let lines: Vec<serde_json::Value> = json
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(
            lines,
            [
                serde_json::json!({
                    "submission_id": ID1, "survey_version": 1, "received_day": "2026-05-01",
                    "country": "Украина", "total_injured": 2, "reported": "Нет",
                    "incidents": [
                        {"when": "2026-03-01", "by__police": 1, "by__medics": 0, "by__other": 1,
                         "by_other": "guards, night", "injured": 2, "same_place": null},
                        {"when": "2026-04-01", "by__police": 0, "by__medics": 1, "by__other": 0,
                         "by_other": null, "injured": null, "same_place": 1}
                    ]
                }),
                serde_json::json!({
                    "submission_id": ID2, "survey_version": 1, "received_day": "2026-05-01",
                    "country": "Казахстан", "total_injured": 0, "reported": null,
                    "incidents": []
                }),
                serde_json::json!({
                    "submission_id": ID3, "survey_version": 1, "received_day": "2026-05-01",
                    "country": "Украина", "total_injured": 0, "reported": "Да",
                    "incidents": [
                        {"when": "2026-02-10", "by__police": 1, "by__medics": 0, "by__other": 1,
                         "by_other": "=evil", "injured": 0, "same_place": null}
                    ]
                }),
            ]
        );
    }

    #[test]
    fn sealed_answers_with_repeats_export_as_plaintext_ones_do() {
        let mut survey = repeat_survey();
        let key = seal::SecretKey::generate();
        survey.public_keys = vec![key.public().to_string()];
        let rows = repeat_answers(&survey)
            .into_iter()
            .map(|(id, answers)| {
                let sealed = surveys::sealing::seal_answers(
                    &survey,
                    key.public(),
                    id,
                    &surveys::sealing::answers_object(&answers),
                )
                .expect("sealed");
                store::NewResponse {
                    submission_id: id.into(),
                    survey_id: survey.id.clone(),
                    survey_version: survey.version,
                    received_day: "2026-05-01".into(),
                    body: store::Body::Sealed {
                        key_id: key.public().id().to_string(),
                        envelope: seal::decode(&sealed.envelope).expect("base64url"),
                    },
                }
            })
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = store_with(dir.path(), rows);
        let mut opener = Opener::new(&survey, &[], vec![key]);
        let (main, files, _) = export_all(&mut conn, &survey, &mut opener, Format::Csv, false);
        assert!(
            opener.quarantined().is_empty(),
            "{:?}",
            opener.quarantined()
        );
        assert_eq!(main, MAIN_CSV);
        assert_eq!(files, [INCIDENTS_CSV]);
    }

    #[test]
    fn a_writer_per_repeat_is_needed_in_csv_and_none_in_json() {
        let survey = repeat_survey();
        let mut options = Options {
            format: Format::Csv,
            lang: "en".into(),
            labels: false,
            bom: false,
        };
        let mut out = Vec::new();
        let err = write_rows(&survey, &options, &mut out, &mut [], |_| Ok(0))
            .expect_err("a repeat file is missing");
        assert_eq!(
            err.to_string(),
            "a CSV export of `incidents` writes 1 repeat file(s) beside the main one, but 0 writer(s) were given"
        );
        assert!(out.is_empty(), "nothing written");
        options.format = Format::JsonLines;
        let mut extra = Vec::new();
        let err = write_rows(&survey, &options, &mut out, &mut [&mut extra], |_| Ok(0))
            .expect_err("JSON Lines has no repeat file");
        assert!(matches!(
            err,
            ExportError::RepeatFiles {
                wanted: 0,
                given: 1,
                ..
            }
        ));
        assert!(out.is_empty() && extra.is_empty());
    }

    #[test]
    fn a_repeat_file_is_named_after_the_main_file_and_the_repeat() {
        let path = |out: &str| repeat_path(Path::new(out), "incidents");
        assert_eq!(
            path("out/answers.csv"),
            PathBuf::from("out/answers.incidents.csv")
        );
        assert_eq!(path("answers"), PathBuf::from("answers.incidents.csv"));
        assert_eq!(path("a.b.txt"), PathBuf::from("a.b.incidents.txt"));
    }

    #[test]
    fn the_codebook_lists_a_repeats_questions_under_it() {
        let survey = repeat_survey();
        let book = codebook(&survey, "en");
        let in_file = |repeat: Option<&str>| {
            book.iter()
                .filter(|e| e.repeat.as_deref() == repeat)
                .map(|e| e.column.clone())
                .collect::<Vec<_>>()
        };
        let names = |cols: Vec<Column>| cols.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(in_file(None), names(columns(&survey)));
        assert_eq!(
            in_file(Some("incidents")),
            names(repeat_columns(repeats(&survey)[0]))
        );
        let entry = |repeat: Option<&str>, c: &str| {
            book.iter()
                .find(|e| e.repeat.as_deref() == repeat && e.column == c)
                .unwrap_or_else(|| panic!("{c}"))
        };
        let count = entry(None, "incidents");
        assert_eq!(
            (count.kind.as_str(), count.values.as_str()),
            ("repeat", "number of instances, 0 to 3")
        );
        assert_eq!(
            count.notes,
            "0 = none (a repeat without instances is not stored: none given, or not asked); \
             at most 3 instances; the instances are in the file of repeat `incidents`, one row \
             each, linked by submission_id (in JSON Lines: a list of objects)"
        );
        assert_eq!(
            entry(Some("incidents"), "by__police").text,
            "Who did it? — Police"
        );
        assert_eq!(entry(Some("incidents"), "instance").values, "1 to 3");

        let mut csv = Vec::new();
        write_codebook(&survey, "en", CodebookFormat::Csv, false, &mut csv).expect("write");
        let csv = String::from_utf8(csv).expect("utf-8");
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "column,question,text,type,values,notes,repeat");
        assert!(lines.contains(&"country,country,Country,single_choice,ua = Ukraine; kz = Kazakhstan,empty = not answered or not asked,"), "{csv}");
        assert!(lines.contains(&"instance,,Instance number within its response,integer,1 to 3,1 = the first instance; submission_id and instance identify the row,incidents"), "{csv}");
        assert!(lines.contains(&"injured,injured,How many people were hurt?,integer,\"whole number, 0 to 50\",empty = not answered or not asked,incidents"), "{csv}");

        let mut md = Vec::new();
        write_codebook(&survey, "en", CodebookFormat::Markdown, false, &mut md).expect("write");
        let md = String::from_utf8(md).expect("utf-8");
        let section = md
            .split_once("\n## Repeat `incidents`: Incidents\n\n")
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("{md}"));
        assert!(
            section.starts_with(
                "One row per instance, in the file `<export>.incidents.csv` beside the main one \
                 (over the admin API: `export?repeat=incidents`), linked to the main file by \
                 `submission_id`; at most 3 instances. "
            ),
            "{section}"
        );
        assert!(
            section.contains("\n| `when` | when | When did it happen? |"),
            "{section}"
        );
        let (main_table, _) = md.split_once("\n## Repeat").expect("a section");
        assert!(!main_table.contains("| `when` |"), "{main_table}");
    }

    #[test]
    fn a_survey_without_repeats_keeps_its_codebook_columns() {
        let mut csv = Vec::new();
        write_codebook(&every_type(), "en", CodebookFormat::Csv, false, &mut csv).expect("write");
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(
            csv.starts_with(
                "column,question,text,type,values,notes\r\n\
                 submission_id,,\"Submission id, made on the respondent's device\",text,,random UUID; links to nothing outside this file\r\n"
            ),
            "{csv}"
        );
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b\nc"), "a\\|b c");
    }
}
