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

fn header(raw: &str) -> Column {
    let raw = raw.trim().to_string();
    let (base, lang) = match raw.split_once("::") {
        Some((b, l)) => (b, Some(l.trim().to_string()).filter(|l| !l.is_empty())),
        None => (raw.as_str(), None),
    };
    let mut base = base
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_");
    base = match base.as_str() {
        "jr:constraintmsg" | "constraint_msg" => "constraint_message".into(),
        "jr:requiredmsg" => "required_message".into(),
        "relevance" => "relevant".into(),
        "calculate" => "calculation".into(),
        "list" => "list_name".into(),
        "caption" => "label".into(),
        _ => base,
    };
    Column {
        raw: raw.clone(),
        base,
        lang,
    }
}

/// The `survey` sheet's own spellings of its columns: the number of a
/// repeat's instances is `repeat_count`, and pyxform takes `count`,
/// `jr:count` and `control::jr:count` for it too. (Only here: in the
/// `choices` sheet, `count` may be a column a filter reads.)
fn survey_aliases(mut s: Sheet) -> Sheet {
    for c in &mut s.columns {
        let jr_count = match (c.base.as_str(), c.lang.as_deref()) {
            ("count" | "jr:count", None) => true,
            ("control", Some(l)) => l.trim().eq_ignore_ascii_case("jr:count"),
            _ => false,
        };
        if jr_count {
            c.base = "repeat_count".into();
            c.lang = None;
        }
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
    let mut sheet = |wanted: &str| -> Result<Option<Sheet>, String> {
        let Some(name) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted)) else {
            return Ok(None);
        };
        let range = wb
            .worksheet_range(name)
            .map_err(|e| format!("cannot read the `{name}` sheet: {e}"))?;
        let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c).unwrap_or(0) as usize;
        let mut rows = range.rows().enumerate().map(|(i, cells)| {
            let mut texts: Vec<String> = vec![String::new(); first_col];
            texts.extend(cells.iter().map(cell_text));
            Row {
                number: first_row + i as u32 + 1,
                cells: texts,
            }
        });
        let Some(head) = rows.next() else {
            return Ok(Some(Sheet {
                columns: Vec::new(),
                rows: Vec::new(),
            }));
        };
        let columns = head.cells.iter().map(|c| header(c)).collect();
        let rows = rows
            .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
            .collect();
        Ok(Some(Sheet { columns, rows }))
    };
    Ok(Workbook {
        survey: sheet("survey")?.map(survey_aliases),
        choices: sheet("choices")?,
        settings: sheet("settings")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let c = header("label::Русский (ru)");
        assert_eq!(
            (c.base.as_str(), c.lang.as_deref()),
            ("label", Some("Русский (ru)"))
        );
        assert_eq!(
            header("jr:constraintMsg::English (en)").base,
            "constraint_message"
        );
        assert_eq!(header("List Name").base, "list_name");
        assert_eq!(header(" Required ").base, "required");
        let survey = survey_aliases(Sheet {
            columns: [
                "repeat_count",
                "count",
                "jr:count",
                "control::jr:count",
                "label::ru",
            ]
            .into_iter()
            .map(header)
            .collect(),
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
    fn cells() {
        assert_eq!(cell_text(&Data::Float(2024031501.0)), "2024031501");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(excel_date(45366.0), "2024-03-15");
        assert_eq!(excel_date(25569.0), "1970-01-01");
    }
}
