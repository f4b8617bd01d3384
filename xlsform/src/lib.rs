//! XLSForm import: converts an XLSForm workbook (.xlsx, .xls or .ods, as
//! written for KoboToolbox and ODK) into a Chorus survey file (TOML, see
//! `docs/survey-format.md`), and names — row by row — everything it could not
//! convert.
//!
//! * The `survey`, `choices` and `settings` sheets are read; groups become
//!   sections, `${name}` expressions are translated into the Chorus
//!   expression language ([`xpath`]).
//! * Question types that track a respondent (device ids, phone numbers,
//!   locations, audit logs, photos and recordings, …) are **refused**: the
//!   form is not converted, and every such row is listed with the reason.
//! * What is dropped or adapted is a [`Severity::Warning`]; what makes a
//!   faithful conversion impossible (a repeat inside a repeat, an unknown
//!   type, a missing choice list, no question left to ask) is a
//!   [`Severity::Error`]. Only a conversion without refusals and errors
//!   yields TOML.
//!
//! See `docs/xlsform-import.md` for the complete mapping.

use std::fmt;
use std::path::Path;

mod convert;
mod emit;
mod lang;
mod sheet;
pub mod xpath;

/// How serious a conversion note is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something was dropped or adapted; the survey was still converted.
    Warning,
    /// The form cannot be converted faithfully; no survey is produced.
    Error,
    /// The form asks for something that tracks a respondent; it is refused.
    Refused,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Refused => "refused",
        })
    }
}

/// One thing the conversion could not carry over as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub severity: Severity,
    /// `survey`, `choices` or `settings`; `None` for the workbook as a whole.
    pub sheet: Option<&'static str>,
    /// The row number the spreadsheet shows.
    pub row: Option<u32>,
    /// The column header as written.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.severity)?;
        match (self.sheet, self.row) {
            (Some(s), Some(r)) => write!(f, "{s} row {r}")?,
            (Some(s), None) => write!(f, "{s} sheet")?,
            (None, _) => f.write_str("workbook")?,
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The `max` of a converted repeat when the form gives none: XLSForm has no
/// maximum number of instances, and Chorus needs one, because it bounds how
/// much one response can weigh in a publication. Ten covers the usual
/// "each incident in the last year" repeat; the conversion notes ask the
/// researcher to set the real one.
pub const DEFAULT_REPEAT_MAX: u32 = 10;

/// Why Chorus refuses question types that track a respondent.
pub const TRACKING_EXPLANATION: &str = "Chorus never records device identifiers, phone numbers, \
SIM or account names, e-mail addresses, locations, audit logs, photos, recordings or files, \
because answers tied to a person can put members at legal risk: drug use is criminalised, and \
police have seized phones and servers. Remove these rows (a location can often be asked as a \
country or region in a select_one) and import the form again.";

/// The result of converting one workbook.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// The Chorus survey file; `None` when the form was refused or has errors.
    pub toml: Option<String>,
    /// Everything not converted as written, in sheet and row order.
    pub notes: Vec<Note>,
    /// The survey id chosen (from `form_id`, else the file name).
    pub survey_id: String,
    /// How many questions the survey file has.
    pub questions: usize,
}

impl Conversion {
    /// The form asks for something that tracks a respondent.
    pub fn refused(&self) -> bool {
        self.notes.iter().any(|n| n.severity == Severity::Refused)
    }

    /// The form cannot be converted faithfully.
    pub fn has_errors(&self) -> bool {
        self.notes.iter().any(|n| n.severity == Severity::Error)
    }

    pub fn notes_of(&self, severity: Severity) -> impl Iterator<Item = &Note> {
        self.notes.iter().filter(move |n| n.severity == severity)
    }
}

/// Converts the XLSForm workbook at `path`.
pub fn convert_file(path: &Path) -> std::io::Result<Conversion> {
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "form.xlsx".into());
    Ok(convert_bytes(&bytes, &name))
}

/// Converts an XLSForm workbook from its bytes; `file_name` names it in the
/// output and gives the survey id when the form has no `form_id`.
pub fn convert_bytes(bytes: &[u8], file_name: &str) -> Conversion {
    convert::convert(bytes, file_name)
}
