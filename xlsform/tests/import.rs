//! XLSForm import on real workbooks — .xlsx, and .xls and .ods for one form —
//! written by `fixtures/make_fixtures.py`.
//!
//! Row numbers are the spreadsheet's (the header is row 1).

use std::path::PathBuf;

use toml::{Table, Value};
use xlsform::{Conversion, Severity, convert_file};

fn fixture(name: &str) -> Conversion {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    convert_file(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The converted TOML, which must exist and be valid TOML.
fn converted(c: &Conversion) -> (String, Table) {
    let notes: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
    let text = c
        .toml
        .clone()
        .unwrap_or_else(|| panic!("no TOML; notes:\n{}", notes.join("\n")));
    let table: Table = text
        .parse()
        .unwrap_or_else(|e| panic!("not valid TOML: {e}\n{text}"));
    (text, table)
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

fn s<'t>(t: &'t Table, key: &str) -> &'t str {
    t.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string `{key}` in {t:?}"))
}

fn rows(c: &Conversion, severity: Severity) -> Vec<u32> {
    c.notes_of(severity).filter_map(|n| n.row).collect()
}

/// The note about `row` (and column) in the survey sheet, as displayed.
fn note_at(c: &Conversion, row: u32, column: &str) -> String {
    c.notes
        .iter()
        .find(|n| {
            n.sheet == Some("survey") && n.row == Some(row) && n.column.as_deref() == Some(column)
        })
        .map(ToString::to_string)
        .unwrap_or_else(|| {
            let all: Vec<String> = c.notes.iter().map(ToString::to_string).collect();
            panic!(
                "no note at survey row {row}, column {column}; notes:\n{}",
                all.join("\n")
            )
        })
}

fn assert_checks_clean(c: &Conversion) {
    let (text, _) = converted(c);
    if let Err(e) = surveys::parse_survey(&text) {
        panic!("the converted survey does not check clean:\n{e}\n\n{text}");
    }
}

#[test]
fn ost_hiv_needs_assessment_maps_types_languages_and_logic() {
    let c = fixture("ost_hiv_needs.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);
    assert_eq!(s(&t, "id"), "ost_hiv_needs_2024");
    assert_eq!(t["version"].as_integer(), Some(2_024_031_501));
    assert_eq!(t["languages"], Value::Array(vec!["ru".into(), "en".into()]));
    assert_eq!(s(&t, "default_language"), "ru");
    assert_eq!(t["privacy_budget"].as_integer(), Some(1));
    assert_eq!(
        s(t["title"].as_table().expect("title"), "en"),
        "Access to OST and HIV services"
    );

    // Groups become sections; a group's relevant becomes the section's.
    let sections: Vec<&str> = t["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|x| x["id"].as_str().expect("id"))
        .collect();
    assert_eq!(sections, ["about", "ost", "hiv"]);
    let ost = t["sections"][1].as_table().expect("section");
    assert_eq!(s(ost, "relevant"), "selected(services_used, 'ost')");

    let types = [
        ("intro", "note"),
        ("country", "single_choice"),
        ("services_used", "multiple_choice"),
        ("ost_current", "single_choice"),
        ("ost_months", "integer"),
        ("ost_years", "calculate"),
        ("hiv_barriers", "multiple_choice"),
        ("comment", "long_text"),
    ];
    for (id, ty) in types {
        assert_eq!(s(question(&t, id), "type"), ty, "{id}");
    }
    let country = question(&t, "country");
    assert_eq!(country["required"].as_bool(), Some(true));
    assert_eq!(s(country, "section"), "about");
    assert_eq!(
        s(country["label"].as_table().expect("label"), "ru"),
        "В какой стране вы живёте?"
    );

    let months = question(&t, "ost_months");
    assert_eq!(s(months, "relevant"), "ost_current = 'yes'");
    assert_eq!(s(months, "required"), "ost_current = 'yes'");
    assert_eq!(s(months, "constraint"), ". >= 0 and . <= 600");
    assert_eq!(
        s(
            months["constraint_message"].as_table().expect("message"),
            "en"
        ),
        "At most 600 months"
    );
    assert_eq!(
        s(question(&t, "ost_years"), "expression"),
        "int(ost_months / 12)"
    );
    assert_eq!(
        s(question(&t, "take_home"), "relevant"),
        "ost_current = 'yes' and ost_years >= 1"
    );
    assert_eq!(
        s(question(&t, "services_used"), "constraint"),
        "not (selected(., 'none') and count_selected(.) > 1)"
    );
    assert_eq!(
        question(&t, "hiv_barriers")["randomize"].as_bool(),
        Some(true)
    );

    // yes_no serves three questions: one shared list.
    let lists = t["choice_lists"].as_table().expect("choice_lists");
    assert_eq!(lists.keys().collect::<Vec<_>>(), ["yes_no"]);
    for id in ["ost_current", "take_home", "hiv_tested"] {
        assert_eq!(s(question(&t, id), "choice_list"), "yes_no");
    }
    assert_eq!(
        question(&t, "country")["choices"].as_array().map(Vec::len),
        Some(6)
    );

    // The missing English hint falls back to Russian, with a note naming the row.
    let hint = question(&t, "services_used")["hint"]
        .as_table()
        .expect("hint");
    assert_eq!(s(hint, "en"), "Отметьте всё, что подходит.");
    assert!(note_at(&c, 6, "hint::English (en)").contains("no `en` text"));
    // Only warnings: the hint and the privacy budget.
    assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
    assert!(c.notes.iter().any(|n| n.message.contains("privacy_budget")));
}

#[test]
fn russian_only_form_with_or_other_and_ranges() {
    let c = fixture("ru_short.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);
    assert_eq!(s(&t, "id"), "shpritsy-2024");
    assert_eq!(t["version"].as_integer(), Some(3));
    assert_eq!(t["languages"], Value::Array(vec!["ru".into()]));
    assert_eq!(s(&t, "default_language"), "ru");
    assert!(
        t.get("sections").is_none(),
        "a form without groups has no sections"
    );

    let place = question(&t, "place");
    assert_eq!(s(place, "type"), "single_choice");
    assert_eq!(place["other"].as_bool(), Some(true));
    let stigma = question(&t, "stigma");
    assert_eq!(
        (s(stigma, "type"), stigma["scale"].as_integer()),
        ("rating", Some(5))
    );
    let visits = question(&t, "visits");
    assert_eq!(s(visits, "type"), "integer");
    assert_eq!(
        (visits["min"].as_integer(), visits["max"].as_integer()),
        (Some(0), Some(30))
    );
    assert_eq!(s(question(&t, "agree"), "type"), "consent");
    assert_eq!(s(question(&t, "last_test"), "type"), "date");
    assert_eq!(s(question(&t, "last_test"), "constraint"), ". <= today()");

    // Choice names that are not ids are normalised, and expressions follow.
    let ids: Vec<&str> = question(&t, "need_help")["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["da", "net"]);
    assert_eq!(s(question(&t, "help_kind"), "relevant"), "need_help = 'da'");
    let choice_rows: Vec<u32> = c
        .notes
        .iter()
        .filter(|n| n.sheet == Some("choices"))
        .filter_map(|n| n.row)
        .collect();
    assert_eq!(choice_rows, [5, 6, 7, 8, 9]);
    assert!(
        c.notes
            .iter()
            .any(|n| n.message.contains("`Да` of list `da_net` became `da`"))
    );
}

#[test]
fn tracking_types_are_refused_row_by_row() {
    let c = fixture("tracking.xlsx");
    assert!(c.refused());
    assert!(c.toml.is_none(), "a refused form yields no survey");
    assert_eq!(rows(&c, Severity::Refused), [4, 5, 7]);
    let lines: Vec<String> = c
        .notes_of(Severity::Refused)
        .map(ToString::to_string)
        .collect();
    assert!(
        lines[0].contains("row 4")
            && lines[0].contains("deviceid")
            && lines[0].contains("device identifier")
    );
    assert!(lines[1].contains("row 5") && lines[1].contains("phone number"));
    assert!(lines[2].contains("row 7") && lines[2].contains("location"));
    // start and end are dropped with a note, not refused.
    assert_eq!(rows(&c, Severity::Warning), [2, 3]);
    assert!(note_at(&c, 2, "type").contains("does not record when a respondent answers"));
    assert!(xlsform::TRACKING_EXPLANATION.contains("legal risk"));
}

#[test]
fn unsupported_bits_are_named_row_by_row() {
    let c = fixture("unsupported.xlsx");
    // The photo question alone refuses the form…
    assert!(c.refused());
    assert_eq!(rows(&c, Severity::Refused), [11]);
    assert!(note_at(&c, 11, "type").contains("photo"));
    // …and the repeat converts (with a note on the maximum it was given),
    // so nothing is an error.
    assert_eq!(rows(&c, Severity::Error), Vec::<u32>::new());
    assert!(
        c.notes
            .iter()
            .any(|n| n.row == Some(6) && n.message.contains("`max = 10` is written"))
    );
    // Everything else is named with its row, column and original text.
    assert!(note_at(&c, 5, "default").contains("default `0`"));
    assert!(note_at(&c, 5, "constraint").contains("`${kids} mod 1 = 0`"));
    assert!(note_at(&c, 5, "constraint").contains("remainder"));
    assert!(note_at(&c, 9, "relevant").contains("inside the repeat `child`"));
    assert!(note_at(&c, 9, "appearance").contains("spinner"));
    assert!(note_at(&c, 10, "calculation").contains("now()"));
    // The filter on an answer (row 3, cascading selects) and the static one
    // (row 4) are applied, so they need no note.
    assert!(
        !c.notes
            .iter()
            .any(|n| matches!(n.row, Some(3 | 4)) && n.sheet == Some("survey"))
    );
    // A version that is not a number is noted.
    assert!(
        c.notes
            .iter()
            .any(|n| n.column.as_deref() == Some("version") && n.message.contains("2024-03-15"))
    );
    // Notes come sheet by sheet, row by row.
    let survey_rows: Vec<u32> = c
        .notes
        .iter()
        .filter(|n| n.sheet == Some("survey"))
        .filter_map(|n| n.row)
        .collect();
    let mut sorted = survey_rows.clone();
    sorted.sort_unstable();
    assert_eq!(survey_rows, sorted);
}

#[test]
fn kobo_export_with_bare_labels_and_nested_groups() {
    let c = fixture("kobo_bare_label.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);
    assert_eq!(t["languages"], Value::Array(vec!["en".into(), "ru".into()]));
    assert_eq!(s(&t, "default_language"), "en");
    // Ungrouped questions get generated sections; the nested group is flattened.
    let sections: Vec<&str> = t["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|x| x["id"].as_str().expect("id"))
        .collect();
    assert_eq!(sections, ["part_1", "health", "part_3"]);
    assert_eq!(s(question(&t, "consent_given"), "section"), "part_1");
    assert_eq!(s(question(&t, "hcv_treated"), "section"), "health");
    assert_eq!(
        s(question(&t, "hcv_treated"), "relevant"),
        "selected(tests, 'hcv')"
    );
    assert_eq!(s(question(&t, "adult"), "section"), "part_3");
    assert_eq!(
        s(question(&t, "adult"), "expression"),
        "if(age >= 18, 1, 0)"
    );
    assert!(note_at(&c, 5, "label").contains("flattened"));
    // The static choice filter `offered = 'yes'` keeps two of three tests.
    let ids: Vec<&str> = question(&t, "tests")["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["hiv", "hcv"]);
    assert_eq!(s(question(&t, "tests"), "type"), "multiple_choice");
}

#[test]
fn not_a_workbook_is_an_error_not_a_panic() {
    let c = xlsform::convert_bytes(b"id = \"not a workbook\"", "x.xlsx");
    assert!(c.has_errors() && c.toml.is_none());
    assert!(
        c.notes[0].to_string().contains("not a spreadsheet"),
        "{}",
        c.notes[0]
    );
    // Damaged workbooks of each kind name their kind.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (file, kind) in [
        ("legacy.xlsx", "not a readable .xlsx workbook"),
        ("legacy.xls", "not a readable .xls (Excel 97–2003) workbook"),
        ("legacy.ods", "not a readable .ods (OpenDocument) workbook"),
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("fixture");
        let c = xlsform::convert_bytes(&bytes[..bytes.len() / 3], file);
        assert!(c.has_errors() && c.toml.is_none(), "{file}");
        let first = c.notes[0].to_string();
        assert!(first.contains(kind), "{file}: {first}");
    }
}

#[test]
fn xls_xlsx_and_ods_workbooks_convert_alike() {
    let xlsx = fixture("legacy.xlsx");
    // The first line names the file; the rest must be the same.
    let body = |c: &Conversion| {
        let (text, _) = converted(c);
        text.split_once('\n').map(|(_, rest)| rest.to_string())
    };
    let text = body(&xlsx);
    for other in ["legacy.xls", "legacy.ods"] {
        let c = fixture(other);
        assert!(
            converted(&c)
                .0
                .starts_with(&format!("# Imported from the XLSForm `{other}`"))
        );
        assert_eq!(body(&c), text, "{other} differs from legacy.xlsx");
        assert_eq!(c.notes, xlsx.notes, "{other}");
    }
    assert_checks_clean(&xlsx);
}

#[test]
fn language_names_and_old_type_spellings() {
    let c = fixture("legacy.xlsx");
    let (_, t) = converted(&c);
    // `English` is the default (from the settings), `Русский` is `ru`, and
    // `Lezgi`, which Chorus does not know, gets a private-use tag.
    assert_eq!(s(&t, "default_language"), "en");
    let languages: Vec<&str> = t["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(languages, ["en", "ru", "qaa-x-lezgi", "zh"]);
    let warnings: Vec<String> = c
        .notes_of(Severity::Warning)
        .map(ToString::to_string)
        .collect();
    for expected in [
        "language `English` taken as `en`",
        "language `Русский` taken as `ru`",
        "language `chinese` taken as `zh`",
        "language `Lezgi` is not a name Chorus knows, so it gets the private tag `qaa-x-lezgi`",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(expected)),
            "no warning {expected:?} in {warnings:#?}"
        );
    }
    assert_eq!(c.notes_of(Severity::Error).count(), 0);
    let consent = question(&t, "consent");
    assert_eq!(s(consent, "type"), "single_choice");
    assert_eq!(s(question(&t, "country"), "type"), "single_choice");
    assert_eq!(s(question(&t, "age"), "type"), "integer");
    assert_eq!(s(question(&t, "services"), "type"), "multiple_choice");
    assert_eq!(s(question(&t, "thanks"), "type"), "note");
    assert_eq!(c.questions, 5);
}

/// The ids of a question's inline choices, each with its `relevant` (or "").
fn inline_choices<'t>(t: &'t Table, id: &str) -> Vec<(&'t str, &'t str)> {
    question(t, id)["choices"]
        .as_array()
        .unwrap_or_else(|| panic!("{id} has no inline choices"))
        .iter()
        .map(|c| {
            let c = c.as_table().expect("choice");
            (
                s(c, "id"),
                c.get("relevant").and_then(Value::as_str).unwrap_or(""),
            )
        })
        .collect()
}

#[test]
fn cascading_selects_become_choice_relevants() {
    let c = fixture("cascade.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);
    // country → region: each region is offered for its country.
    assert_eq!(
        inline_choices(&t, "region"),
        [
            ("kyiv", "country = 'ua'"),
            ("lviv", "country = 'ua'"),
            ("tbilisi", "country = 'ge'"),
        ]
    );
    // The static side of `region = ${region} and active = 'yes'` is decided
    // at import: the inactive Brovary is gone, the rest keep the dynamic side.
    assert_eq!(
        inline_choices(&t, "city"),
        [
            ("kyiv_city", "region = 'kyiv'"),
            ("lviv_city", "region = 'lviv'"),
            ("rustavi", "region = 'tbilisi'"),
        ]
    );
    // ODK's filters on the choice's own name.
    assert_eq!(
        inline_choices(&t, "main_service"),
        [
            ("ost", "selected(services_used, 'ost')"),
            ("nsp", "selected(services_used, 'nsp')"),
            ("hiv_test", "selected(services_used, 'hiv_test')"),
        ]
    );
    assert_eq!(s(question(&t, "wanted"), "type"), "multiple_choice");
    assert_eq!(
        inline_choices(&t, "wanted"),
        [
            ("ost", "main_service != 'ost'"),
            ("nsp", "main_service != 'nsp'"),
            ("hiv_test", "main_service != 'hiv_test'"),
        ]
    );
    // Number cells compared with a select of number names: choice ids, as
    // texts; the `Zone` column is found whatever its case.
    assert_eq!(
        inline_choices(&t, "district"),
        [
            ("d1", "zone = '1'"),
            ("d2", "zone = '2'"),
            ("d3", "zone = '1'")
        ]
    );

    // A missing column, a ranking and an unknown reference offer every
    // option, each with a note naming its row and filter.
    let missing = note_at(&c, 8, "choice_filter");
    assert!(
        missing.contains("`country = ${country} and province = 'west'`")
            && missing.contains("no column `province`")
            && missing.contains("every option is offered"),
        "{missing}"
    );
    let rank = note_at(&c, 9, "choice_filter");
    assert!(
        rank.contains("`selected(${services_used}, name)`")
            && rank.contains("only the options of single and multiple choice questions"),
        "{rank}"
    );
    let unknown = note_at(&c, 12, "choice_filter");
    assert!(
        unknown.contains("`country = ${birth_country}`")
            && unknown.contains("choice `kyiv`, choices row 4")
            && unknown.contains("not a question of the form"),
        "{unknown}"
    );
    assert_eq!(
        c.notes
            .iter()
            .filter(|n| n.sheet == Some("survey"))
            .filter_map(|n| n.row)
            .collect::<Vec<_>>(),
        [8, 9, 12]
    );
    // Questions whose filter is not applied share their lists; filtered
    // ones have their own options inline.
    for (id, list) in [
        ("home_region", "regions"),
        ("birth_region", "regions"),
        ("services_used", "services"),
        ("ranking", "services"),
    ] {
        assert_eq!(s(question(&t, id), "choice_list"), list, "{id}");
    }
    let lists = t["choice_lists"].as_table().expect("choice_lists");
    assert_eq!(lists.keys().collect::<Vec<_>>(), ["regions", "services"]);
    assert!(
        lists["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .all(|c| c.get("relevant").is_none())
    );
}

#[test]
fn cascading_selects_check_clean() {
    assert_checks_clean(&fixture("cascade.xlsx"));
}

// These wait on the `surveys` loader accepting the full v2 format
// (sections, relevant, constraint, calculate, rating, …).

#[test]
fn ost_hiv_needs_assessment_checks_clean() {
    assert_checks_clean(&fixture("ost_hiv_needs.xlsx"));
}

#[test]
fn russian_only_form_checks_clean() {
    assert_checks_clean(&fixture("ru_short.xlsx"));
}

#[test]
fn kobo_export_checks_clean() {
    assert_checks_clean(&fixture("kobo_bare_label.xlsx"));
}

/// The questions of the repeat `id`, in order.
fn inner_ids<'t>(t: &'t Table, id: &str) -> Vec<&'t str> {
    question(t, id)["questions"]
        .as_array()
        .expect("inner questions")
        .iter()
        .filter_map(|q| q.get("id").and_then(Value::as_str))
        .collect()
}

fn inner<'t>(t: &'t Table, repeat: &str, id: &str) -> &'t Table {
    question(t, repeat)["questions"]
        .as_array()
        .expect("inner questions")
        .iter()
        .filter_map(Value::as_table)
        .find(|q| q["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no question {id} in {repeat}"))
}

/// The note at `row` (any column) in the survey sheet.
fn row_note(c: &Conversion, row: u32) -> String {
    c.notes
        .iter()
        .filter(|n| n.sheet == Some("survey") && n.row == Some(row))
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn rights_violations_repeats_convert_with_their_logic() {
    let c = fixture("rights_violations.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);

    // One instance per incident, as many as the member gives, inside the
    // group that only asks when a violation is reported.
    let incidents = question(&t, "incidents");
    assert_eq!(s(incidents, "type"), "repeat");
    assert_eq!(s(incidents, "section"), "report");
    assert_eq!(incidents["max"].as_integer(), Some(10));
    assert!(incidents.get("count").is_none());
    assert!(row_note(&c, 5).contains("set the real maximum"));
    // Its questions, with the nested group `care` flattened into it (and its
    // relevant carried onto `medical`).
    assert_eq!(
        inner_ids(&t, "incidents"),
        [
            "when",
            "by",
            "injured",
            "same_place",
            "region",
            "medical",
            "police_flag"
        ]
    );
    assert_eq!(
        s(inner(&t, "incidents", "injured"), "relevant"),
        "selected(by, 'police')"
    );
    assert_eq!(
        s(inner(&t, "incidents", "same_place"), "relevant"),
        "position() > 1"
    );
    assert_eq!(
        s(inner(&t, "incidents", "medical"), "relevant"),
        "injured > 0"
    );
    assert!(note_at(&c, 11, "label").contains("flattened into the repeat `incidents`"));
    // The cascading select inside the repeat filters on the earlier country.
    let regions = inner(&t, "incidents", "region")["choices"]
        .as_array()
        .expect("choices");
    assert_eq!(regions[2]["relevant"].as_str(), Some("country = 'kz'"));

    // Outside: sum() and count() of the repeat.
    assert_eq!(
        s(question(&t, "total_injured"), "expression"),
        "sum(injured)"
    );
    assert_eq!(
        s(question(&t, "police_incidents"), "expression"),
        "sum(police_flag)"
    );
    assert_eq!(
        s(question(&t, "reported"), "relevant"),
        "count(incidents) > 0"
    );

    // A count from an earlier answer (the `begin repeat` spelling) and a
    // literal one, which is also the maximum.
    let detention = question(&t, "detention");
    assert_eq!(s(detention, "count"), "detentions");
    assert_eq!(s(detention, "relevant"), "detentions > 0");
    assert!(row_note(&c, 21).contains("a count above 10 gives only 10 instances"));
    let witnesses = question(&t, "witnesses");
    assert_eq!(s(witnesses, "count"), "2");
    assert_eq!(witnesses["max"].as_integer(), Some(2));

    // An answer inside a repeat used outside it is named, not guessed at.
    assert!(question(&t, "comment").get("relevant").is_none());
    assert!(note_at(&c, 28, "relevant").contains("`${injured}` is inside the repeat `incidents`"));
}

#[test]
fn repeat_counts_and_untranslatable_repeat_logic_are_noted_row_by_row() {
    let c = fixture("repeat_counts.xlsx");
    assert!(!c.refused() && !c.has_errors(), "{:?}", c.notes);
    let (_, t) = converted(&c);
    // `jr:count` from a range of 0 to 5 bounds the repeat at 5; the relevant
    // of the group around it moves onto it.
    let visit = question(&t, "visit");
    assert_eq!(s(visit, "count"), "visits");
    assert_eq!(visit["max"].as_integer(), Some(5));
    assert_eq!(s(visit, "relevant"), "visits > 0");
    assert_eq!(inner_ids(&t, "visit"), ["refused", "wait_days"]);
    assert_eq!(
        s(question(&t, "total_wait"), "expression"),
        "sum(wait_days)"
    );

    assert!(note_at(&c, 5, "required").contains("set `min = 1`"));
    assert!(note_at(&c, 7, "relevant").contains("count() of the repeat `visit` from inside it"));
    assert!(note_at(&c, 8, "calculation").contains("indexed-repeat()"));
    assert!(note_at(&c, 12, "relevant").contains("not inside a repeat"));
    assert!(note_at(&c, 14, "constraint").contains("`${wait_days}` is inside the repeat `visit`"));
    assert!(note_at(&c, 15, "calculation").contains("not a number question"));
    assert!(note_at(&c, 16, "repeat_count").contains("no remainder operator"));
    // What did not convert is left out, never half-written.
    let ids: Vec<&str> = t["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q.get("id").and_then(Value::as_str))
        .collect();
    assert_eq!(
        ids,
        [
            "visits",
            "visit",
            "first_wait",
            "total_wait",
            "again",
            "others"
        ]
    );
    assert!(question(&t, "others").get("count").is_none());
    assert!(c.notes_of(Severity::Error).next().is_none());
}

#[test]
fn repeats_chorus_cannot_hold_are_errors_with_their_rows() {
    let c = fixture("repeat_nested.xlsx");
    assert!(c.has_errors());
    assert!(c.toml.is_none(), "a form with errors yields no survey");
    assert_eq!(rows(&c, Severity::Error), [4, 8, 11, 14]);
    assert!(note_at(&c, 4, "type").contains("repeat inside a repeat"));
    assert!(note_at(&c, 4, "type").contains("row 5 inside it is not converted"));
    assert!(note_at(&c, 8, "repeat_count").contains("at most 100"));
    assert!(note_at(&c, 11, "repeat_count").contains("no instance at all"));
    assert!(note_at(&c, 14, "type").contains("without an end_repeat"));
}

#[test]
fn rights_violations_checks_clean() {
    assert_checks_clean(&fixture("rights_violations.xlsx"));
}

#[test]
fn repeat_counts_checks_clean() {
    assert_checks_clean(&fixture("repeat_counts.xlsx"));
}
