//! Reading the `survey`, `choices` and `settings` sheets of a workbook —
//! .xlsx (Office Open XML), .xls (BIFF, Excel 97–2003) or .ods
//! (OpenDocument) — into rows of trimmed text, keeping each row's number as
//! the spreadsheet shows it.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, Ods, Reader, Xls, Xlsx};

/// A column header, split into its base name and its language part:
/// `label::Русский (ru)` → base `label`, language `Русский (ru)`.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The header as written.
    pub raw: String,
    /// Lower-case, spaces as `_`, aliases resolved (`jr:constraintMsg` → `constraint_message`).
    pub base: String,
    pub lang: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// The row number shown by the spreadsheet (1 is the header).
    pub number: u32,
    pub cells: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Sheet {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// The cell of `row` in the column `base` without a language part.
    pub fn get<'r>(&self, row: &'r Row, base: &str) -> &'r str {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.base == base && c.lang.is_none())
            .find_map(|(i, _)| row.cells.get(i).filter(|v| !v.is_empty()))
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn has_column(&self, base: &str) -> bool {
        self.columns.iter().any(|c| c.base == base)
    }
}

/// The columns of a sheet from its header row. As pyxform does, a sheet
/// none of whose headers has `::` is read with `:` in its place (the
/// spelling of older forms: `label:English`, `bind:relevant`), keeping `jr:`
/// with the name it starts (`bind:jr:constraintMsg` is `bind` and
/// `jr:constraintMsg`). In a sheet that uses `::`, a single `:` is part of
/// the name.
pub(crate) fn columns(headers: &[String]) -> Vec<Column> {
    let double = headers.iter().any(|h| h.contains("::"));
    headers.iter().map(|h| header(h, double)).collect()
}

/// A header split into its parts and its base name resolved: pyxform's
/// `bind::` and `control::` (`body::`) prefixes name the plain column
/// (`bind::relevant` is `relevant`, `control::appearance` is `appearance`),
/// and what follows the name is the language.
fn header(raw: &str, double: bool) -> Column {
    let raw = raw.trim().to_string();
    let mut parts: Vec<String> = if double {
        raw.split("::").map(|p| p.trim().to_string()).collect()
    } else {
        let pieces: Vec<&str> = raw.split(':').map(str::trim).collect();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < pieces.len() {
            if pieces[i].eq_ignore_ascii_case("jr") && i + 1 < pieces.len() {
                parts.push(format!("{}:{}", pieces[i], pieces[i + 1]));
                i += 2;
            } else {
                parts.push(pieces[i].to_string());
                i += 1;
            }
        }
        parts
    };
    let first = snake(&parts.remove(0));
    let base = match first.as_str() {
        "bind" | "control" | "body" if !parts.is_empty() => {
            let name = snake(&parts.remove(0));
            match alias(&name) {
                known if SURVEY_ATTRIBUTES.contains(&known) => known.to_string(),
                _ => format!("{first}::{name}"),
            }
        }
        _ => alias(&first).to_string(),
    };
    let lang = Some(parts.join("::")).filter(|l| !l.is_empty());
    Column { raw, base, lang }
}

/// The plain columns that pyxform also reads under a `bind::` or
/// `control::` prefix.
const SURVEY_ATTRIBUTES: &[&str] = &[
    "relevant",
    "constraint",
    "required",
    "calculation",
    "readonly",
    "constraint_message",
    "required_message",
    "appearance",
    "jr:count",
];

/// Lower case, spaces as `_`: `List Name` → `list_name`.
fn snake(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

/// The column a spelling means: pyxform's other names of the columns that
/// are converted (`jr:constraintMsg` → `constraint_message`).
fn alias(base: &str) -> &str {
    match base {
        "jr:constraintmsg" | "constraint_msg" | "constraint-msg" | "constraining_message" => {
            "constraint_message"
        }
        "jr:requiredmsg" | "requiredmsg" | "required_msg" => "required_message",
        "relevance" => "relevant",
        "calculate" => "calculation",
        "read_only" => "readonly",
        "list" => "list_name",
        "caption" => "label",
        _ => base,
    }
}

/// The `survey` sheet's own spellings of its columns: the number of a
/// repeat's instances is `repeat_count`, and pyxform takes `count`,
/// `jr:count` and `control::jr:count` for it too. (Only here: in the
/// `choices` sheet, `count` may be a column a filter reads.)
fn survey_aliases(mut s: Sheet) -> Sheet {
    for c in &mut s.columns {
        if matches!(c.base.as_str(), "count" | "jr:count") && c.lang.is_none() {
            c.base = "repeat_count".into();
        }
    }
    s
}

/// The `settings` sheet's older spellings, which pyxform still reads:
/// `title` and `set form title` for `form_title`, `id_string` and `set form
/// id` for `form_id`.
fn settings_aliases(mut s: Sheet) -> Sheet {
    for c in &mut s.columns {
        let base = match c.base.as_str() {
            "title" | "set_form_title" => "form_title",
            "id_string" | "set_form_id" => "form_id",
            _ => continue,
        };
        c.base = base.into();
    }
    s
}

/// Text of a cell as a researcher reads it: numbers without a trailing `.0`,
/// dates as `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An Excel serial day number (1900 system) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    if !(1.0..2_958_466.0).contains(&serial) {
        return float_text(serial);
    }
    // Excel's day 25569 is 1970-01-01.
    surveys::Date::from_days_since_epoch(serial.floor() as i64 - 25_569).to_string()
}

/// The three sheets of an XLSForm, by name (case-insensitive).
#[derive(Debug)]
pub(crate) struct Workbook {
    pub survey: Option<Sheet>,
    pub choices: Option<Sheet>,
    pub settings: Option<Sheet>,
    /// The name of the workbook's only sheet when, as pyxform does, it is
    /// taken for the survey sheet for want of one called `survey`.
    pub survey_from: Option<String>,
}

impl Workbook {
    /// The workbook of these sheets, each with its own spellings of its
    /// columns resolved.
    pub fn new(survey: Option<Sheet>, choices: Option<Sheet>, settings: Option<Sheet>) -> Workbook {
        Workbook {
            survey: survey.map(survey_aliases),
            choices,
            settings: settings.map(settings_aliases),
            survey_from: None,
        }
    }
}

impl Sheet {
    /// A sheet from its rows as read, the first being the header; rows
    /// without any text are left out.
    pub fn from_rows(rows: impl IntoIterator<Item = Row>) -> Sheet {
        let mut rows = rows.into_iter();
        let Some(head) = rows.next() else {
            return Sheet {
                columns: Vec::new(),
                rows: Vec::new(),
            };
        };
        Sheet {
            columns: columns(&head.cells),
            rows: rows
                .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
                .collect(),
        }
    }
}

/// The kinds of workbook an XLSForm comes in, told by their first bytes
/// rather than by the file's name (a form mailed around is often renamed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// A ZIP of Office Open XML parts.
    Xlsx,
    /// An OLE2 compound file holding a BIFF8 workbook.
    Xls,
    /// A ZIP whose first entry is `mimetype`, naming an OpenDocument spreadsheet.
    Ods,
}

impl Format {
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        const ZIP: &[u8] = b"PK\x03\x04";
        // OpenDocument stores `mimetype` first and uncompressed, so its
        // content follows the 30-byte local header and the 8-byte name.
        const ODS: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet";
        if bytes.starts_with(OLE2) {
            Some(Format::Xls)
        } else if bytes.starts_with(ZIP) {
            if bytes.get(30..30 + ODS.len()) == Some(ODS) {
                Some(Format::Ods)
            } else {
                Some(Format::Xlsx)
            }
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Xlsx => ".xlsx",
            Format::Xls => ".xls (Excel 97–2003)",
            Format::Ods => ".ods (OpenDocument)",
        }
    }
}

/// Reads a workbook from its bytes, whichever of the three formats it is.
pub(crate) fn read(bytes: &[u8]) -> Result<Workbook, String> {
    let format = Format::detect(bytes).ok_or_else(|| {
        "not a spreadsheet: an XLSForm is an .xlsx, .xls or .ods workbook \
         (a CSV or a PDF export of one cannot be read)"
            .to_string()
    })?;
    let unreadable = |e: &dyn std::fmt::Display| {
        format!(
            "not a readable {} workbook: {e}{}",
            format.name(),
            if format == Format::Xls {
                " (a workbook protected by a password cannot be read; save it without one)"
            } else {
                ""
            }
        )
    };
    let cursor = Cursor::new(bytes);
    match format {
        Format::Xlsx => sheets(Xlsx::new(cursor).map_err(|e| unreadable(&e))?),
        Format::Xls => sheets(Xls::new(cursor).map_err(|e| unreadable(&e))?),
        Format::Ods => sheets(Ods::new(cursor).map_err(|e| unreadable(&e))?),
    }
}

/// The three sheets of an open workbook, found by name.
fn sheets<RS, W>(mut wb: W) -> Result<Workbook, String>
where
    RS: Read + Seek,
    W: Reader<RS>,
    W::Error: std::fmt::Display,
{
    let names = wb.sheet_names().to_vec();
    let mut read = |name: &str| -> Result<Sheet, String> {
        let range = wb
            .worksheet_range(name)
            .map_err(|e| format!("cannot read the `{name}` sheet: {e}"))?;
        let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c).unwrap_or(0) as usize;
        Ok(Sheet::from_rows(range.rows().enumerate().map(
            |(i, cells)| {
                let mut texts: Vec<String> = vec![String::new(); first_col];
                texts.extend(cells.iter().map(cell_text));
                Row {
                    number: first_row + i as u32 + 1,
                    cells: texts,
                }
            },
        )))
    };
    let mut sheet = |wanted: &str| -> Result<Option<Sheet>, String> {
        names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(wanted))
            .map(|name| read(name))
            .transpose()
    };
    let (survey, choices, settings) = (sheet("survey")?, sheet("choices")?, sheet("settings")?);
    // pyxform reads a workbook's only sheet as its survey sheet, whatever
    // its name.
    if survey.is_none()
        && let [only] = names.as_slice()
    {
        return Ok(Workbook {
            survey_from: Some(only.clone()),
            ..Workbook::new(Some(read(only)?), None, None)
        });
    }
    Ok(Workbook::new(survey, choices, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each header of one header row as (base, language).
    fn read(headers: &[&str]) -> Vec<(String, Option<String>)> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        columns(&headers)
            .into_iter()
            .map(|c| (c.base, c.lang))
            .collect()
    }

    fn col(base: &str, lang: Option<&str>) -> (String, Option<String>) {
        (base.to_string(), lang.map(str::to_string))
    }

    #[test]
    fn headers() {
        assert_eq!(
            read(&["label::Русский (ru)", "jr:constraintMsg::English (en)"]),
            [
                col("label", Some("Русский (ru)")),
                col("constraint_message", Some("English (en)"))
            ]
        );
        assert_eq!(
            read(&["List Name", " Required ", "read only", "caption"]),
            [
                col("list_name", None),
                col("required", None),
                col("readonly", None),
                col("label", None)
            ]
        );
        let survey = survey_aliases(Sheet {
            columns: columns(
                &[
                    "repeat_count",
                    "count",
                    "jr:count",
                    "control::jr:count",
                    "label::ru",
                ]
                .map(String::from),
            ),
            rows: Vec::new(),
        });
        let bases: Vec<(&str, Option<&str>)> = survey
            .columns
            .iter()
            .map(|c| (c.base.as_str(), c.lang.as_deref()))
            .collect();
        assert_eq!(
            bases,
            [
                ("repeat_count", None),
                ("repeat_count", None),
                ("repeat_count", None),
                ("repeat_count", None),
                ("label", Some("ru"))
            ]
        );
    }

    #[test]
    fn single_colon_headers_when_the_sheet_has_no_double_colon() {
        // pyxform's older spelling: `:` for `::`, with `jr:` kept whole.
        assert_eq!(
            read(&[
                "label:English (en)",
                "caption:english",
                "hint: Русский",
                "bind:relevant",
                "bind: constraint",
                "bind:required",
                "bind:calculate",
                "bind:readonly",
                "bind:jr:constraintMsg",
                "bind:jr:requiredMsg:English",
                "control:appearance",
                "media:image:english",
                "bind:saveIncomplete",
            ]),
            [
                col("label", Some("English (en)")),
                col("label", Some("english")),
                col("hint", Some("Русский")),
                col("relevant", None),
                col("constraint", None),
                col("required", None),
                col("calculation", None),
                col("readonly", None),
                col("constraint_message", None),
                col("required_message", Some("English")),
                col("appearance", None),
                col("media", Some("image::english")),
                col("bind::saveincomplete", None),
            ]
        );
        // The same columns spelt with `::`.
        assert_eq!(
            read(&[
                "bind::relevant",
                "bind::jr:constraintMsg::English (en)",
                "control::appearance",
                "body::appearance"
            ]),
            [
                col("relevant", None),
                col("constraint_message", Some("English (en)")),
                col("appearance", None),
                col("appearance", None),
            ]
        );
        // Once one header has `::`, a single `:` is part of the name, as in
        // pyxform: `label:English` is then a column of its own.
        assert_eq!(
            read(&["label::ru", "label:English", "jr:constraintMsg"]),
            [
                col("label", Some("ru")),
                col("label:english", None),
                col("constraint_message", None),
            ]
        );
    }

    #[test]
    fn old_settings_spellings() {
        let settings = settings_aliases(Sheet {
            columns: columns(&["id_string", "title", "set form id", "version"].map(String::from)),
            rows: Vec::new(),
        });
        let bases: Vec<&str> = settings.columns.iter().map(|c| c.base.as_str()).collect();
        assert_eq!(bases, ["form_id", "form_title", "form_id", "version"]);
    }

    #[test]
    fn cells() {
        assert_eq!(cell_text(&Data::Float(2024031501.0)), "2024031501");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(excel_date(45366.0), "2024-03-15");
        assert_eq!(excel_date(25569.0), "1970-01-01");
    }
}
