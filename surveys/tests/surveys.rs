//! Data-driven tests: survey text → the exact list of problems, and answers →
//! the exact list of refusals.

use serde_json::{Value, json};
use surveys::{Answer, AnswerProblem, Epsilon, QuestionKind, parse_survey, validate};

const HEAD: &str = r#"
id = "s"
version = 1
languages = ["ru", "en"]
privacy_budget = 1
title = { ru = "Опрос", en = "Survey" }
"#;

/// Parses `HEAD + body` and compares the problems, one `place: message` per line.
fn check(body: &str, expected: &[&str]) {
    let text = format!("{HEAD}{body}");
    match parse_survey(&text) {
        Ok(_) => assert!(
            expected.is_empty(),
            "expected problems {expected:#?}, got none"
        ),
        Err(e) => {
            let got: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
            assert_eq!(got, expected, "\n{text}");
        }
    }
}

#[test]
fn a_clean_survey_loads() {
    check(
        r#"
[[questions]]
id = "age"
type = "integer"
min = 18
max = 99
label = { ru = "Возраст", en = "Age" }
"#,
        &[],
    );
}

#[test]
fn every_problem_is_reported_with_its_question() {
    check(
        r#"
[[questions]]
id = "q1"
type = "single_choice"
label = { ru = "Вопрос", en = "Question" }

[[questions]]
id = "q1"
type = "integer"
min = 10
max = 1
label = { ru = "Вопрос" }

[[questions]]
id = "q3"
type = "essay"
label = { ru = "Вопрос", en = "Question" }

[[questions]]
id = "q4"
type = "multiple_choice"
label = { ru = "Вопрос", en = "Question" }
choices = [
  { id = "a", label = { ru = "А", en = "A" } },
  { id = "a", label = { ru = "Б", en = "B" } },
  { id = "c", label = { en = "C" } },
]

[[questions]]
id = "Bad Id"
type = "short_text"
max_length = 0
colour = "red"
label = { ru = "Вопрос", en = "Question", de = "Frage" }
"#,
        &[
            "question `q1`: a choice question needs at least one entry in `choices`",
            "question `q1`: duplicate question id",
            "question `q1`: `label` is missing its `en` text",
            "question `q1`: `min` (10) is greater than `max` (1)",
            "question `q3`: unknown type `essay` (one of: single_choice, multiple_choice, short_text, long_text, integer, decimal, date, rating, grid, ranking, note, consent, calculate, repeat)",
            "question `q4`, choice `a`: duplicate choice id",
            "question `q4`, choice `c`: `label` is missing its `ru` text",
            "question `Bad Id`: the id must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
            "question `Bad Id`: unknown key `colour` (known keys: id, type, label, hint, section, required, required_message, relevant, constraint, constraint_message, max_length)",
            "question `Bad Id`: `label` has a text in `de`, which is not in the survey's `languages`",
            "question `Bad Id`: `max_length` must be a whole number from 1 to 2000",
        ],
    );
}

/// The browser bundle reads a definition's numbers without serde_json's
/// exact reader: a decimal bound must be one it reads exactly too.
#[test]
fn a_decimal_bound_the_browser_could_read_otherwise_is_refused() {
    check(
        r#"
[[questions]]
id = "dose"
type = "decimal"
min = 0.1
max = 99.75
label = { ru = "Доза", en = "Dose" }

[[questions]]
id = "ratio"
type = "decimal"
min = 0.30000000000000004
max = 1e30
label = { ru = "Доля", en = "Ratio" }
"#,
        &[
            "question `ratio`: `min` (0.30000000000000004) has too many digits for browsers to read it exactly as the collector does: at most 15 significant digits, and a power of ten within ±22",
            "question `ratio`: `max` (1000000000000000000000000000000) has too many digits for browsers to read it exactly as the collector does: at most 15 significant digits, and a power of ten within ±22",
        ],
    );
}

#[test]
fn survey_level_problems_are_all_reported() {
    let text = r#"
id = "Survey!"
languages = ["ru", "ru", "english"]
default_language = "en"
privacy_budget = 0
title = { ru = "Опрос" }
questions = []
"#;
    let e = parse_survey(text).expect_err("broken survey");
    let got: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "survey: id `Survey!` must start with a-z and use only a-z, 0-9, `_` and `-` (at most 64)",
            "survey: missing `version` (start at 1 and raise it whenever the survey changes)",
            "survey: language `ru` is listed twice",
            "survey: `english` is not a language code (use ISO 639 codes such as ru, en, uk, ka, kk, ky)",
            "survey: `default_language` `en` is not one of `languages`",
            "survey: `privacy_budget` must be greater than 0",
            "survey: the survey has no questions",
        ]
    );
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let e = parse_survey("id = \"x\"\nversion = = 1\n").expect_err("bad toml");
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].place, "line 2");
    assert!(
        e.problems[0].message.starts_with("not valid TOML"),
        "{}",
        e.problems[0]
    );
}

#[test]
fn privacy_budget_is_read_exactly() {
    for (written, expected) in [
        ("2", "2"),
        ("0.5", "0.5"),
        ("\"1/3\"", "1/3"),
        ("0.1", "0.1"),
    ] {
        let text = format!(
            "id = \"s\"\nversion = 1\nlanguages = [\"en\"]\nprivacy_budget = {written}\ntitle = {{ en = \"S\" }}\n\
             [[questions]]\nid = \"q\"\ntype = \"short_text\"\nlabel = {{ en = \"Q\" }}\n"
        );
        let s = parse_survey(&text).expect("loads");
        assert_eq!(
            s.privacy_budget,
            expected.parse::<Epsilon>().expect("eps"),
            "{written}"
        );
    }
}

#[test]
fn bundled_library_surveys_load_and_are_bilingual() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/library");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("library dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = surveys::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(s.languages.iter().any(|l| l == "ru"), "{}", s.id);
            assert!(s.languages.iter().any(|l| l == "en"), "{}", s.id);
            n += 1;
        }
    }
    assert!(n >= 1, "no surveys in {dir}");
}

fn library_survey() -> surveys::Survey {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/library/ost-hiv-access.toml");
    surveys::load_file(std::path::Path::new(path)).expect("bundled survey loads")
}

fn today() -> surveys::Date {
    "2026-11-29".parse().expect("date")
}

fn answers(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().expect("object").clone()
}

#[test]
fn valid_answers_are_typed_and_blanks_dropped() {
    let s = library_survey();
    let ok = validate(
        &s,
        &answers(json!({
            "country": "ge",
            "services_used": ["hiv_test", "ost"],
            "barriers": [],
            "travel_minutes": "45",
            "comment": "  ",
            "age_band": null,
        })),
        today(),
    )
    .expect("valid");
    let a = ok.answers();
    assert_eq!(a.get("country"), Some(&Answer::Text("ge".into())));
    // Stored in the survey's order.
    assert_eq!(
        a.get("services_used"),
        Some(&Answer::Choices(vec!["ost".into(), "hiv_test".into()]))
    );
    assert_eq!(a.get("travel_minutes"), Some(&Answer::Integer(45)));
    assert_eq!(a.len(), 3, "blank answers are not stored: {a:?}");
}

#[test]
fn every_refusal_is_listed_by_question() {
    let s = library_survey();
    let errs = validate(
        &s,
        &answers(json!({
            "age_band": "teenager",
            "services_used": ["ost", "ost", 3],
            "ost_status": ["current"],
            "travel_minutes": 601,
            "comment": "x".repeat(1001),
            "favourite_colour": "blue",
        })),
        today(),
    )
    .expect_err("invalid");
    let got: Vec<(String, AnswerProblem)> =
        errs.into_iter().map(|e| (e.question, e.problem)).collect();
    let expected = vec![
        ("country".to_string(), AnswerProblem::Required),
        (
            "age_band".into(),
            AnswerProblem::UnknownChoice {
                choice: "teenager".into(),
            },
        ),
        (
            "services_used".into(),
            AnswerProblem::RepeatedChoice {
                choice: "ost".into(),
            },
        ),
        (
            "services_used".into(),
            AnswerProblem::WrongType {
                expected: "a list of choice ids",
            },
        ),
        (
            "ost_status".into(),
            AnswerProblem::WrongType {
                expected: "one choice id as a string",
            },
        ),
        (
            "travel_minutes".into(),
            AnswerProblem::AboveMax { max: 600 },
        ),
        ("comment".into(), AnswerProblem::TooLong { max: 1000 }),
        ("favourite_colour".into(), AnswerProblem::UnknownQuestion),
    ];
    assert_eq!(got, expected);
}

#[test]
fn messages_come_in_the_respondents_language() {
    assert_eq!(
        AnswerProblem::Required.message("ru"),
        "Это обязательный вопрос."
    );
    assert_eq!(
        AnswerProblem::BelowMin { min: 0 }.message("en"),
        "Please enter a number of at least 0."
    );
    assert_eq!(
        AnswerProblem::AboveMax { max: 600 }.message("ru"),
        "Введите число не больше 600."
    );
}

#[test]
fn the_json_wire_format_round_trips() {
    let s = library_survey();
    let json = serde_json::to_string(&s).expect("serialises");
    let back: surveys::Survey = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, s);
    let q = back.question("travel_minutes").expect("question");
    assert_eq!(
        q.kind,
        QuestionKind::Integer {
            min: Some(0),
            max: Some(600)
        }
    );
}

#[test]
fn every_bundled_survey_round_trips_through_json() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/library");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("library") {
        let path = entry.expect("entry").path();
        let s = surveys::load_file(&path).expect("bundled survey loads");
        let json = serde_json::to_string(&s).expect("serialises");
        let back: surveys::Survey = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, s, "{}", path.display());
        n += 1;
    }
    assert!(n >= 3, "only {n} bundled surveys");
}

/// Every question type and every statistic, with each optional field both
/// present and absent, reads back as it was written.
#[test]
fn every_question_type_and_statistic_round_trips_through_json() {
    use surveys::{Choice, Constraint, Question, Requirement, Statistic, Text};
    let text = |s: &str| Text([("en".to_string(), s.to_string())].into());
    let choice = |id: &str, exclusive, fixed| Choice {
        id: id.into(),
        label: text(id),
        exclusive,
        fixed,
        relevant: fixed.then(|| "1 = 1".to_string()),
    };
    let choices = vec![choice("a", false, false), choice("b", true, true)];
    let kinds = vec![
        QuestionKind::SingleChoice {
            choices: choices.clone(),
            other: false,
            randomize: false,
        },
        QuestionKind::SingleChoice {
            choices: choices.clone(),
            other: true,
            randomize: true,
        },
        QuestionKind::MultipleChoice {
            choices: choices.clone(),
            other: true,
            randomize: false,
            min_selected: Some(1),
            max_selected: Some(2),
        },
        QuestionKind::MultipleChoice {
            choices: choices.clone(),
            other: false,
            randomize: true,
            min_selected: None,
            max_selected: None,
        },
        QuestionKind::ShortText { max_length: 500 },
        QuestionKind::LongText { max_length: 5000 },
        QuestionKind::Integer {
            min: Some(-3),
            max: Some(i64::MAX),
        },
        QuestionKind::Integer {
            min: None,
            max: None,
        },
        QuestionKind::Decimal {
            min: Some(0.0),
            max: Some(2.5),
        },
        QuestionKind::Decimal {
            min: Some(-1e300),
            max: None,
        },
        QuestionKind::Date {
            min: Some("2020-01-01".into()),
            max: Some("today".into()),
        },
        QuestionKind::Date {
            min: None,
            max: None,
        },
        QuestionKind::Rating {
            scale: 5,
            low_label: Some(text("low")),
            high_label: Some(text("high")),
        },
        QuestionKind::Rating {
            scale: 10,
            low_label: None,
            high_label: None,
        },
        QuestionKind::Grid {
            statements: choices.clone(),
            scale: vec![
                choice("agree", false, false),
                choice("disagree", false, false),
            ],
        },
        QuestionKind::Ranking {
            choices: choices.clone(),
            rank: Some(1),
            randomize: true,
        },
        QuestionKind::Ranking {
            choices,
            rank: None,
            randomize: false,
        },
        QuestionKind::Note,
        QuestionKind::Consent,
        QuestionKind::Calculate {
            expression: "${a} + 1".into(),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let full = i % 2 == 0;
        let q = Question {
            id: format!("q{i}"),
            label: text("label"),
            hint: full.then(|| text("hint")),
            section: full.then(|| "s1".to_string()),
            required: match i % 3 {
                0 => Requirement::Fixed(true),
                1 => Requirement::Fixed(false),
                _ => Requirement::When("${x} = 'yes'".into()),
            },
            required_message: full.then(|| text("needed")),
            relevant: full.then(|| "${x} != 'no'".to_string()),
            constraint: full.then(|| Constraint {
                expression: ". != ''".into(),
                message: (i % 4 == 0).then(|| text("bad")),
            }),
            kind,
        };
        let json = serde_json::to_string(&q).expect("serialises");
        let back: Question = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, q, "{json}");
    }
    for statistic in [
        Statistic::Total,
        Statistic::Counts,
        Statistic::Instances,
        Statistic::Mean {
            lower: 0.0,
            upper: 120.5,
        },
        Statistic::Histogram {
            edges: vec![0.0, 1.0, 10.0],
        },
        Statistic::Quantiles {
            edges: vec![-1.0, 1.0],
        },
        Statistic::FirstChoice,
        Statistic::MeanRank,
        Statistic::RdsProportion {
            degree: "network".into(),
        },
    ] {
        let json = serde_json::to_string(&statistic).expect("serialises");
        let back: Statistic = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, statistic, "{json}");
    }
}

/// What the wire format refuses: the message names the field or type.
#[test]
fn malformed_questions_on_the_wire_are_refused_with_the_reason() {
    for (json, needle) in [
        (
            json!({"id": "q", "type": "slider"}),
            "unknown variant `slider`",
        ),
        (json!({"id": "q"}), "missing field `type`"),
        (
            json!({"id": "q", "type": "single_choice"}),
            "missing field `choices`",
        ),
        (
            json!({"id": "q", "type": "short_text"}),
            "missing field `max_length`",
        ),
        (
            json!({"id": "q", "type": "integer", "min": 1.5}),
            "`min` must be an integer",
        ),
        (
            json!({"id": "q", "type": "decimal", "max": "x"}),
            "`max` must be a number",
        ),
        (
            json!({"id": "q", "type": "date", "min": 3}),
            "`min` must be a string",
        ),
        (
            json!({"id": "q", "type": "rating", "scale": 300}),
            "at most 255",
        ),
        (
            json!({"id": "q", "type": "rating", "scale": []}),
            "must be a number",
        ),
        (
            json!({"id": "q", "type": "grid", "statements": [], "scale": 5}),
            "must be a list of options",
        ),
        (
            json!({"id": "q", "type": "note", "required": 1}),
            "true, false or an expression",
        ),
    ] {
        let err = serde_json::from_value::<surveys::Question>(json.clone())
            .expect_err(&json.to_string())
            .to_string();
        assert!(err.contains(needle), "{json}: {err}");
    }
    let err = serde_json::from_value::<surveys::Statistic>(json!({"kind": "mean", "lower": 0}))
        .expect_err("no upper")
        .to_string();
    assert!(err.contains("missing field `upper`"), "{err}");
    let err = serde_json::from_value::<surveys::Statistic>(json!({"kind": "mode"}))
        .expect_err("unknown kind")
        .to_string();
    assert!(err.contains("unknown variant `mode`"), "{err}");
    // A decimal bound written as an integer is a number all the same.
    let q: surveys::Question =
        serde_json::from_value(json!({"id": "q", "type": "decimal", "min": 0})).expect("parses");
    assert_eq!(
        q.kind,
        QuestionKind::Decimal {
            min: Some(0.0),
            max: None
        }
    );
}
