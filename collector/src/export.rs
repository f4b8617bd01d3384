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

use surveys::{Answer, Answers, Choice, QuestionKind, Survey, Text};

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

/// The columns of `survey`'s export, in order.
pub fn columns(survey: &Survey) -> Vec<Column> {
    let fixed = |name: &str, source| Column {
        name: name.to_string(),
        question: None,
        source,
    };
    let mut cols = vec![
        fixed("submission_id", Source::SubmissionId),
        fixed("survey_version", Source::SurveyVersion),
        fixed("received_day", Source::ReceivedDay),
    ];
    for q in &survey.questions {
        let col = |name: String, source| Column {
            name,
            question: Some(q.id.clone()),
            source,
        };
        match &q.kind {
            // Repeats go to files of their own (see `repeat_files`).
            QuestionKind::Note | QuestionKind::Repeat { .. } => {}
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
    cols
}

/// A cell: missing, a number Chorus wrote, or text.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Missing,
    Int(i64),
    Float(f64),
    Text(String),
}

/// Computes each column's cell for one response.
struct RowMaker<'a> {
    survey: &'a Survey,
    columns: &'a [Column],
    /// Each column's question type, looked up once rather than per row.
    kinds: Vec<Option<&'a QuestionKind>>,
    lang: &'a str,
    labels: bool,
}

impl RowMaker<'_> {
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

    fn cells(&self, row: &store::StoredResponse<'_>, answers: &Answers) -> Vec<Cell> {
        self.columns
            .iter()
            .zip(&self.kinds)
            .map(|(col, kind)| self.cell(col, *kind, row, answers))
            .collect()
    }

    fn cell(
        &self,
        col: &Column,
        kind: Option<&QuestionKind>,
        row: &store::StoredResponse<'_>,
        answers: &Answers,
    ) -> Cell {
        let qid = match (&col.source, &col.question) {
            (Source::SubmissionId, _) => return Cell::Text(row.submission_id.to_string()),
            (Source::SurveyVersion, _) => return Cell::Int(row.survey_version),
            (Source::ReceivedDay, _) => return Cell::Text(row.received_day.to_string()),
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

fn write_json_row(out: &mut impl Write, columns: &[Column], cells: &[Cell]) -> io::Result<()> {
    let mut obj = serde_json::Map::with_capacity(columns.len());
    for (col, cell) in columns.iter().zip(cells) {
        let v = match cell {
            Cell::Missing => serde_json::Value::Null,
            Cell::Int(n) => serde_json::Value::from(*n),
            Cell::Float(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Cell::Text(t) => serde_json::Value::String(t.clone()),
        };
        obj.insert(col.name.clone(), v);
    }
    serde_json::to_writer(&mut *out, &obj).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes every stored response of `survey` to `out`, row by row, each
/// turned into answers by `opener` (which decodes plaintext rows, opens
/// sealed ones with the keys it holds and quarantines what fails); returns
/// the number of rows written. The caller buffers `out`.
pub fn write_export(
    conn: &mut Store,
    survey: &Survey,
    options: &Options,
    opener: &mut Opener,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    write_rows(survey, options, out, |emit| {
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

/// Writes the header, then calls `rows` with a function that writes one
/// response; `rows` returns how many it wrote. The rows may come from a
/// database or, opened on the researcher's computer, from a remote
/// collector.
pub fn write_rows<W: Write>(
    survey: &Survey,
    options: &Options,
    out: &mut W,
    rows: impl FnOnce(
        &mut dyn FnMut(&store::StoredResponse<'_>, &Answers) -> Result<(), ExportError>,
    ) -> Result<u64, ExportError>,
) -> Result<u64, ExportError> {
    let columns = columns(survey);
    let lang = survey.language(&options.lang);
    let maker = RowMaker {
        survey,
        columns: &columns,
        kinds: columns
            .iter()
            .map(|c| {
                let q = c.question.as_deref()?;
                survey.question(q).map(|q| &q.kind)
            })
            .collect(),
        lang,
        labels: options.labels,
    };
    if options.format == Format::Csv {
        if options.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        write_csv_record(out, columns.iter().map(|c| (c.name.as_str(), false)))?;
    }
    let n = rows(&mut |row, answers| {
        let cells = maker.cells(row, answers);
        match options.format {
            Format::Csv => write_csv_row(out, &cells)?,
            Format::JsonLines => write_json_row(out, &columns, &cells)?,
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(n)
}

/// One line of the codebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodebookEntry {
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

/// The codebook: one entry per export column, in the export's order.
pub fn codebook(survey: &Survey, lang: &str) -> Vec<CodebookEntry> {
    let lang = survey.language(lang);
    columns(survey)
        .into_iter()
        .map(|col| {
            let Some(qid) = col.question.clone() else {
                let (text, kind, notes) = match col.source {
                    Source::SubmissionId => (
                        "Submission id, made on the respondent's device",
                        "text",
                        "random UUID; links to nothing outside this file",
                    ),
                    Source::SurveyVersion => (
                        "Version of the survey the respondent answered",
                        "integer",
                        "",
                    ),
                    _ => (
                        "Day the answer was received (UTC)",
                        "date",
                        "YYYY-MM-DD; no finer time is kept",
                    ),
                };
                return CodebookEntry {
                    column: col.name,
                    question: String::new(),
                    text: text.into(),
                    kind: kind.into(),
                    values: String::new(),
                    notes: notes.into(),
                };
            };
            let Some(q) = survey.question(&qid) else {
                return CodebookEntry {
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
                (
                    _,
                    QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length },
                ) => (
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
                _ => (label, String::new(), MISSING_NOTE.to_string()),
            };
            CodebookEntry {
                column: col.name,
                question: qid,
                text,
                kind,
                values,
                notes,
            }
        })
        .collect()
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

/// Writes the codebook of `survey` in `lang`.
pub fn write_codebook(
    survey: &Survey,
    lang: &str,
    format: CodebookFormat,
    bom: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let entries = codebook(survey, lang);
    match format {
        CodebookFormat::Csv => {
            if bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            write_csv_record(out, CODEBOOK_HEADER.iter().map(|h| (*h, false)))?;
            for e in &entries {
                write_csv_record(
                    out,
                    [
                        (e.column.as_str(), true),
                        (e.question.as_str(), true),
                        (e.text.as_str(), true),
                        (e.kind.as_str(), true),
                        (e.values.as_str(), true),
                        (e.notes.as_str(), true),
                    ],
                )?;
            }
        }
        CodebookFormat::Markdown => {
            let title = survey.tr(&survey.title, survey.language(lang));
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
            writeln!(out, "| {} |", CODEBOOK_HEADER.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(CODEBOOK_HEADER.len()))?;
            for e in &entries {
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
        }
    }
    out.flush()
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
                    &mut out
                )
                .expect("export"),
                1
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

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b\nc"), "a\\|b c");
    }
}
