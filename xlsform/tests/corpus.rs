//! The importer measured on real XLSForms (issue 13): every workbook under
//! `tests/corpus/` is converted, and what converts is checked with the loader
//! `chorus check` uses. Each workbook's outcome is pinned in [`EXPECTED`], so
//! a change in what the importer does with a real form — better or worse —
//! fails here and the table (and the figures in `docs/xlsform-import.md`)
//! must be updated with it. A workbook added to the corpus without a row in
//! the table fails too.
//!
//! `cargo test -p xlsform --test corpus -- --nocapture` prints the
//! measurement: each file, its outcome and the reasons.
//!
//! The workbooks come from pyxform's test suite (BSD-2-Clause; see
//! `tests/corpus/pyxform/README.md` and its `LICENSE`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xlsform::{Conversion, Note, Severity, convert_file};

/// What a workbook is expected to give.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Converts, and the survey file passes `chorus check`.
    Clean,
    /// Converts and passes `chorus check` (shown as `lossy`), but loses
    /// something the form means: something Chorus does not have (an answer
    /// shown in a label), or a converter gap. Each string is found in a
    /// warning or in the survey file; when the loss goes, this row fails and
    /// becomes `Clean`.
    Lossy(&'static [&'static str]),
    /// Converts, but `chorus check` rejects the survey file with a problem
    /// containing this (a converter bug). No form of the corpus does today.
    #[allow(dead_code)]
    CheckFails(&'static str),
    /// Refused: the form asks for something that tracks a respondent. These
    /// are the reasons (see [`reason`]) of all its refusals and errors.
    Refused(&'static [&'static str]),
    /// Not converted because of errors, without a refusal: the reasons of all
    /// its errors.
    Errors(&'static [&'static str]),
}

use Expect::{CheckFails, Clean, Errors, Lossy, Refused};

/// Every workbook under `tests/corpus/`, by path relative to it, with what
/// it gives today. Non-clean rows say why.
const EXPECTED: &[(&str, Expect)] = &[
    // ----- pyxform/tests/example_xls -----
    // Its `label:English` (pyxform's single-colon `label::English`) is read.
    ("pyxform/example_xls/allow_comment_rows_test.xls", Clean),
    // By design: `time`, `datetime`; geopoint, barcode, image, audio, video,
    // deviceid, simserial, phonenumber (the spec's full test form).
    (
        "pyxform/example_xls/attribute_columns_test.xlsx",
        Refused(&["time of day", "tracking"]),
    ),
    // pyxform's deliberately invalid calculation (`because pyxform doesn't
    // know what to do`): the calculate is dropped with a warning, which
    // leaves no question, an error.
    (
        "pyxform/example_xls/bad_calc.xlsx",
        Errors(&["nothing to show or ask"]),
    ),
    // By design: the note's label `2+2 = ${calculate_test}` is kept as
    // written, with a warning: Chorus does not put answers into labels.
    (
        "pyxform/example_xls/calculate.xls",
        Lossy(&["label shows the answer to `calculate_test`"]),
    ),
    (
        "pyxform/example_xls/cascading_select_test_equivalent.xls",
        Clean,
    ),
    // By design: `select_one_external`, and `osm` (an OpenStreetMap feature
    // tagged on a map: it records a place).
    (
        "pyxform/example_xls/case_insensitivity.xls",
        Refused(&["external choices", "tracking"]),
    ),
    (
        "pyxform/example_xls/case_insensitivity.xlsx",
        Refused(&["external choices", "tracking"]),
    ),
    // `allow_choice_duplicates = yes`: `king` is a county of Washington and
    // of Texas. Chorus choice ids are unique in a list.
    (
        "pyxform/example_xls/choice_filter_test.xlsx",
        Errors(&["duplicate choice name"]),
    ),
    // By design: `select_one_external`.
    (
        "pyxform/example_xls/choice_name_as_type.xls",
        Errors(&["external choices"]),
    ),
    (
        "pyxform/example_xls/choice_name_same_as_select_name.xls",
        Clean,
    ),
    // By design: its only question is a `time`.
    (
        "pyxform/example_xls/default_time_demo.xls",
        Errors(&["time of day"]),
    ),
    ("pyxform/example_xls/extra_columns.xlsx", Clean),
    ("pyxform/example_xls/extra_sheet_names.xlsx", Clean),
    ("pyxform/example_xls/field-list.xlsx", Clean),
    // By design, as attribute_columns_test.xlsx.
    (
        "pyxform/example_xls/flat_xlsform_test.xlsx",
        Refused(&["time of day", "tracking"]),
    ),
    // By design: `gps`.
    ("pyxform/example_xls/gps.xls", Refused(&["tracking"])),
    // By design: `phone number` (pyxform's text question for a phone
    // number) asks for contact details.
    ("pyxform/example_xls/group.xls", Refused(&["tracking"])),
    ("pyxform/example_xls/group.xlsx", Refused(&["tracking"])),
    // Its only row is a `hidden` field, left out with a warning, which
    // leaves no question, an error.
    (
        "pyxform/example_xls/hidden.xls",
        Errors(&["nothing to show or ask"]),
    ),
    // pyxform's old `include` of another workbook: not supported.
    ("pyxform/example_xls/include.xls", Errors(&["include"])),
    ("pyxform/example_xls/include.xlsx", Errors(&["include"])),
    ("pyxform/example_xls/include_json.xls", Errors(&["include"])),
    (
        "pyxform/example_xls/include_json.xlsx",
        Errors(&["include"]),
    ),
    // `begin loop over L` … `end loop` (questions asked once per choice of
    // L) is not supported: the error suggests a repeat or a group per item.
    (
        "pyxform/example_xls/loop.xls",
        Errors(&["loop over a list"]),
    ),
    (
        "pyxform/example_xls/loop.xlsx",
        Errors(&["loop over a list"]),
    ),
    // Its filter `pastel=yes` compares two columns (`yes` is not quoted);
    // the importer offers every option, with a warning.
    ("pyxform/example_xls/or_other.xlsx", Clean),
    // By design: `pulldata()` (an external file) is dropped, and the label
    // `The fruit ${fruit} …` is kept as written, with a warning. What is left
    // is a note.
    (
        "pyxform/example_xls/pull_data.xlsx",
        Lossy(&["label shows the answer to `fruit`"]),
    ),
    ("pyxform/example_xls/repeat_date_test.xls", Clean),
    (
        "pyxform/example_xls/simple_loop.xls",
        Errors(&["loop over a list"]),
    ),
    // By design: image, geopoint, phonenumber, imei.
    ("pyxform/example_xls/sms_info.xls", Refused(&["tracking"])),
    // `select one from sexes or specify other` is pyxform's old spelling of
    // `or_other`.
    ("pyxform/example_xls/specify_other.xls", Clean),
    ("pyxform/example_xls/specify_other.xlsx", Clean),
    // Its settings are spelt `id_string` and `title` (pyxform's own names).
    ("pyxform/example_xls/style_settings.xls", Clean),
    // Its only sheet is `Sheet1`, read as the survey sheet (as pyxform
    // does), with a warning.
    ("pyxform/example_xls/survey_no_name.xlsx", Clean),
    ("pyxform/example_xls/table-list.xls", Clean),
    ("pyxform/example_xls/text_and_integer.xls", Clean),
    ("pyxform/example_xls/text_and_integer.xlsx", Clean),
    // pyxform's tutorial: its skip logic and constraints are in
    // `bind:relevant` and `bind:constraint` columns (pyxform's single-colon
    // `bind::relevant`, the same as `relevant`).
    ("pyxform/example_xls/tutorial.xls", Clean),
    // By design: get device id, subscriber id, sim id, phone number, gps,
    // picture. Not by design: `set form title`, `set form id` (pyxform does
    // not know them either) and the type `unknown`.
    (
        "pyxform/example_xls/unknown_question_type.xls",
        Refused(&[
            "tracking",
            "unknown type `set form title`",
            "unknown type `set form id`",
            "unknown type `unknown`",
        ]),
    ),
    // By design: `time`, `dateTime`; geopoint, barcode, image, audio, video.
    (
        "pyxform/example_xls/widgets.xls",
        Refused(&["time of day", "tracking"]),
    ),
    // By design, as attribute_columns_test.xlsx.
    (
        "pyxform/example_xls/xlsform_spec_test.xlsx",
        Refused(&["time of day", "tracking"]),
    ),
    // By design: the label `${a} < ${b}` is kept as written, with a warning.
    (
        "pyxform/example_xls/xml_escaping.xls",
        Lossy(&["label shows the answers to `a` and `b`"]),
    ),
    ("pyxform/example_xls/yes_or_no_question.xls", Clean),
    ("pyxform/example_xls/yes_or_no_question.xlsx", Clean),
    // ----- pyxform/tests/bug_example_xls (inputs for pyxform's error and
    // edge-case tests) -----
    // By design: `phone number`, as group.xls.
    (
        "pyxform/bug_example_xls/ODKValidateWarnings.xlsx",
        Refused(&["tracking"]),
    ),
    // By design: select_one_from_file, a repeat in a repeat, geopoint,
    // image, deviceid.
    (
        "pyxform/bug_example_xls/UCL_Biomass_Plot_Form.xlsx",
        Refused(&["external choices", "repeat inside a repeat", "tracking"]),
    ),
    // Its `bind:relevant` is read (as tutorial.xls).
    (
        "pyxform/bug_example_xls/badly_named_choices_sheet.xls",
        Clean,
    ),
    ("pyxform/bug_example_xls/blank_second_row.xls", Clean),
    // By design, as attribute_columns_test.xlsx (pyxform's own error, the
    // calculate without calculation at row 34, is a warning here).
    (
        "pyxform/bug_example_xls/calculate_without_calculation.xls",
        Refused(&["time of day", "tracking"]),
    ),
    // By design, as attribute_columns_test.xlsx (pyxform's own error, the
    // two `label` columns, is not noted here).
    (
        "pyxform/bug_example_xls/duplicate_columns.xlsx",
        Refused(&["time of day", "tracking"]),
    ),
    // By design: deviceid (the workbook is an .xlsm with macros).
    (
        "pyxform/bug_example_xls/excel_with_macros.xlsm",
        Refused(&["tracking"]),
    ),
    // A junk row `party like it's 19999` at row 19999.
    (
        "pyxform/bug_example_xls/extra_columns.xls",
        Errors(&["unknown type `party like it's 19999`"]),
    ),
    // By design: `phone number`, as group.xls (pyxform's own error, the
    // group without a name at row 3, is not noted here).
    (
        "pyxform/bug_example_xls/group_name_test.xls",
        Refused(&["tracking"]),
    ),
    ("pyxform/bug_example_xls/ict_survey_fails.xls", Clean),
    // Its `bind:constraint` and `bind:jr:constraintMsg` are read; its
    // filter `true()` keeps every option. (A `default` is dropped, by
    // design.)
    (
        "pyxform/bug_example_xls/spaces_in_choices_header.xls",
        Clean,
    ),
    // `relevant` is `0` (false, as XPath's boolean() has it): the question
    // is never asked, `relevant = "false"`. The filter `label::English !=
    // ''` reads the choices' `label::English` column and keeps every
    // option. By design: the choice labels `${name1}` … are kept as
    // written, with a warning.
    (
        "pyxform/bug_example_xls/xl_date_ambiguous.xlsx",
        Lossy(&["label shows the answer to `name1`"]),
    ),
    // By design: choice labels `${name1}` …, as xl_date_ambiguous.xlsx.
    (
        "pyxform/bug_example_xls/xl_date_ambiguous_v1.xlsx",
        Lossy(&["label shows the answer to `name1`"]),
    ),
];

/// A short, stable name for why a note stops the conversion.
fn reason(n: &Note) -> String {
    let m = &n.message;
    if n.severity == Severity::Refused {
        "tracking".into()
    } else if m.contains("no time-of-day questions") {
        "time of day".into()
    } else if m.contains("from an external file") {
        "external choices".into()
    } else if let Some(ty) = m.strip_prefix("unknown question type ") {
        format!("unknown type {ty}")
    } else if m.contains("does not support a repeat inside a repeat") {
        "repeat inside a repeat".into()
    } else if m.contains("has no `survey` sheet") {
        "no survey sheet".into()
    } else if m.contains("twice") {
        "duplicate choice name".into()
    } else if m.contains("pyxform's old inclusion") {
        "include".into()
    } else if m.contains("once for each choice of the list") {
        "loop over a list".into()
    } else if m.starts_with("no question could be converted") {
        "nothing to show or ask".into()
    } else {
        m.clone()
    }
}

/// The first `quoted` word of a note: the type as written, for the summary.
fn first_quoted(m: &str) -> &str {
    m.split('`').nth(1).unwrap_or("")
}

/// What converting and checking one workbook gave.
struct Measured {
    outcome: &'static str,
    /// The reasons of the refusals and errors.
    reasons: BTreeSet<String>,
    /// For the summary: each reason with the types and rows behind it, or
    /// the check's problems.
    detail: String,
    /// The warnings and the survey file, where `Lossy` looks.
    text: String,
}

fn measure(c: &Conversion) -> Measured {
    let stops: Vec<&Note> = c
        .notes
        .iter()
        .filter(|n| n.severity != Severity::Warning)
        .collect();
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &stops {
        let what = match (first_quoted(&n.message), n.row) {
            ("", Some(r)) => format!("row {r}"),
            ("", None) => String::new(),
            (w, Some(r)) => format!("`{w}` row {r}"),
            (w, None) => format!("`{w}`"),
        };
        by_reason.entry(reason(n)).or_default().push(what);
    }
    let mut text: String = c
        .notes_of(Severity::Warning)
        .map(|n| n.to_string() + "\n")
        .collect();
    let (outcome, detail) = if c.refused() || c.has_errors() {
        let detail = by_reason
            .iter()
            .map(|(r, w)| format!("{r} ({})", w.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        (if c.refused() { "refused" } else { "errors" }, detail)
    } else {
        let toml = c
            .toml
            .as_deref()
            .expect("a conversion without errors has TOML");
        text.push_str(toml);
        // `chorus check` runs `surveys::load_file` (this parse, on the file's
        // text) and then the publication plan, which an imported survey does
        // not have.
        match surveys::parse_survey(toml) {
            Ok(s) => {
                assert!(
                    s.publication.tables.is_empty(),
                    "an imported survey has a publication plan; check it like `chorus check` does"
                );
                let n = c.questions;
                let plural = if n == 1 { "" } else { "s" };
                ("clean", format!("{n} question{plural}"))
            }
            Err(e) => {
                let problems = e
                    .problems
                    .iter()
                    .map(|p| format!("{}: {}", p.place, p.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                ("check fails", problems)
            }
        }
    };
    Measured {
        outcome,
        reasons: by_reason.into_keys().collect(),
        detail,
        text,
    }
}

/// Why `m` is not what `e` expects, if it is not.
fn differs(e: Expect, m: &Measured) -> Option<String> {
    let set = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    match e {
        Clean if m.outcome == "clean" => {
            // A `Lossy` row that no longer loses anything is `Clean`; a
            // `Clean` row is not checked for losses (it may warn).
            None
        }
        Lossy(needles) if m.outcome == "clean" => {
            let missing: Vec<&str> = needles
                .iter()
                .copied()
                .filter(|n| !m.text.contains(n))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "converts, but no longer shows {missing:?}: make it `Clean` if nothing is lost"
                )
            })
        }
        CheckFails(needle) if m.outcome == "check fails" && m.detail.contains(needle) => None,
        Refused(r) if m.outcome == "refused" && m.reasons == set(r) => None,
        Errors(r) if m.outcome == "errors" && m.reasons == set(r) => None,
        _ => Some(format!(
            "expected {e:?}, got {} with reasons {:?}: {}",
            m.outcome, m.reasons, m.detail
        )),
    }
}

/// Every workbook under `dir`, as paths relative to `root` with `/`.
fn workbooks(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            workbooks(root, &path, out);
            continue;
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if matches!(ext.as_str(), "xls" | "xlsx" | "xlsm" | "ods") {
            let rel = path.strip_prefix(root).expect("under the corpus");
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

#[test]
fn every_corpus_form_gives_its_expected_outcome() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    workbooks(&root, &root, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no workbooks in {}", root.display());

    let expected: BTreeMap<&str, Expect> = EXPECTED.iter().copied().collect();
    assert_eq!(
        expected.len(),
        EXPECTED.len(),
        "a file is twice in EXPECTED"
    );

    let mut failures = Vec::new();
    let mut summary = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut forms_by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let c =
            convert_file(&root.join(file)).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
        let m = measure(&c);
        let (outcome, detail) = match expected.get(file.as_str()) {
            Some(Lossy(lost)) if m.outcome == "clean" => {
                ("lossy", format!("{}; loses: {}", m.detail, lost.join("; ")))
            }
            _ => (m.outcome, m.detail.clone()),
        };
        *counts.entry(outcome).or_default() += 1;
        for r in &m.reasons {
            *forms_by_reason.entry(r.clone()).or_default() += 1;
        }
        summary.push(format!("{file:<58} {outcome:<12} {detail}"));
        match expected.get(file.as_str()) {
            None => failures.push(format!(
                "{file}: not in EXPECTED (it gives {} {:?}); add a row",
                m.outcome, m.reasons
            )),
            Some(&e) => {
                if let Some(why) = differs(e, &m) {
                    failures.push(format!("{file}: {why}"));
                }
            }
        }
    }
    for name in expected.keys() {
        if !files.iter().any(|f| f == name) {
            failures.push(format!("{name}: in EXPECTED but not in tests/corpus/"));
        }
    }

    eprintln!("\nXLSForm corpus: {} workbooks", files.len());
    eprintln!("{:<58} {:<12} reasons / result", "file", "outcome");
    for line in &summary {
        eprintln!("{line}");
    }
    let totals: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    eprintln!("totals: {}", totals.join(", "));
    let reasons: Vec<String> = forms_by_reason
        .iter()
        .map(|(r, n)| format!("{r}: {n}"))
        .collect();
    eprintln!("forms not converted, by reason: {}\n", reasons.join(", "));

    assert!(
        failures.is_empty(),
        "{} workbook(s) differ from EXPECTED:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
