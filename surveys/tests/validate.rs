//! Validation: every question type, relevance, requirement, constraints,
//! calculations. Answers (JSON) → stored answers or the exact refusals.

use serde_json::{Value, json};
use surveys::{Answer, AnswerProblem, Engine, Survey, Text, parse_survey};

const SURVEY: &str = r#"
id = "v"
version = 1
languages = ["ru", "en"]
privacy_budget = 1
title = { ru = "Проверка", en = "Validation" }

[choice_lists]
agree = [
  { id = "1", label = { ru = "Не согласен", en = "Disagree" } },
  { id = "2", label = { ru = "Согласен", en = "Agree" } },
]

[[sections]]
id = "start"
title = { ru = "Начало", en = "Start" }

[[sections]]
id = "police"
title = { ru = "Полиция", en = "Police" }
relevant = "selected(who, 'police')"

[[sections]]
id = "rest"
title = { ru = "Остальное", en = "The rest" }

[[questions]]
id = "consent"
type = "consent"
section = "start"
required = true
label = { ru = "Согласие", en = "Consent" }

[[questions]]
id = "intro"
type = "note"
section = "start"
label = { ru = "Пояснение", en = "Note" }

[[questions]]
id = "who"
type = "multiple_choice"
section = "start"
other = true
max_selected = 3
label = { ru = "Кто", en = "Who" }
choices = [
  { id = "police", label = { ru = "Полиция", en = "Police" } },
  { id = "clinic", label = { ru = "Клиника", en = "Clinic" } },
  { id = "employer", label = { ru = "Работодатель", en = "Employer" } },
  { id = "nobody", label = { ru = "Никто", en = "Nobody" }, exclusive = true },
]

[[questions]]
id = "detained"
type = "single_choice"
section = "police"
required = true
label = { ru = "Задержали?", en = "Detained?" }
choices = [
  { id = "yes", label = { ru = "Да", en = "Yes" } },
  { id = "no", label = { ru = "Нет", en = "No" } },
]

[[questions]]
id = "hours"
type = "integer"
section = "police"
min = 0
max = 720
relevant = "detained = 'yes'"
required = "detained = 'yes'"
required_message = { ru = "Сколько часов?", en = "How many hours?" }
constraint = ". != 13"
constraint_message = { ru = "Не 13", en = "Not 13" }
label = { ru = "Часы", en = "Hours" }

[[questions]]
id = "when"
type = "date"
section = "rest"
min = "2020-01-01"
max = "today"
label = { ru = "Когда", en = "When" }

[[questions]]
id = "cost"
type = "decimal"
section = "rest"
min = 0
max = 99.5
constraint = ". > 0.5"
label = { ru = "Сумма", en = "Amount" }

[[questions]]
id = "stars"
type = "rating"
section = "rest"
scale = 5
label = { ru = "Оценка", en = "Rating" }

[[questions]]
id = "views"
type = "grid"
section = "rest"
required = "count_selected(who) > 1"
scale = "agree"
statements = [
  { id = "a", label = { ru = "А", en = "A" } },
  { id = "b", label = { ru = "Б", en = "B" } },
]
label = { ru = "Мнения", en = "Views" }

[[questions]]
id = "top"
type = "ranking"
section = "rest"
rank = 2
label = { ru = "Приоритеты", en = "Priorities" }
choices = [
  { id = "x", label = { ru = "Икс", en = "X" } },
  { id = "y", label = { ru = "Игрек", en = "Y" } },
  { id = "z", label = { ru = "Зет", en = "Z" } },
]

[[questions]]
id = "story"
type = "long_text"
section = "rest"
max_length = 20
label = { ru = "Рассказ", en = "Story" }

[[questions]]
id = "code"
type = "short_text"
section = "rest"
max_length = 5
constraint = "length(.) >= 2"
label = { ru = "Код", en = "Code" }

[[questions]]
id = "score"
type = "calculate"
section = "rest"
expression = "if(answered(hours), hours * 2, -1) + count_selected(who)"

[[questions]]
id = "days_ago"
type = "calculate"
section = "rest"
expression = "today() - when"
"#;

fn survey() -> Survey {
    parse_survey(SURVEY).unwrap_or_else(|e| panic!("{e}"))
}

fn today() -> surveys::Date {
    "2026-11-29".parse().expect("date")
}

fn run(v: Value) -> Result<surveys::Answers, Vec<(String, AnswerProblem)>> {
    let map = v.as_object().expect("object").clone();
    surveys::validate(&survey(), &map, today())
        .map(|r| r.into_answers())
        .map_err(|e| e.into_iter().map(|e| (e.question, e.problem)).collect())
}

/// `expected`: the refusals, one `(question, code)` a pair.
fn refused(v: Value, expected: &[(&str, AnswerProblem)]) {
    let got = run(v.clone()).expect_err("refused");
    let expected: Vec<(String, AnswerProblem)> = expected
        .iter()
        .map(|(q, p)| (q.to_string(), p.clone()))
        .collect();
    assert_eq!(got, expected, "for {v}");
}

fn text(s: &str) -> Answer {
    Answer::Text(s.into())
}

#[test]
fn every_type_is_typed_and_stored() {
    let a = run(json!({
        "consent": true,
        "who": ["employer", "police", "other"],
        "who_other": "  сосед ",
        "detained": "yes",
        "hours": "36",
        "when": "2026-11-19",
        "cost": "12.5",
        "stars": 4,
        "views": {"a": "2", "b": "1"},
        "top": ["z", "x"],
        "story": " Было так. ",
        "code": "ab",
        "score": 999,
    }))
    .expect("valid");
    let expected: surveys::Answers = [
        ("consent", Answer::Bool(true)),
        (
            "who",
            Answer::Choices(vec!["police".into(), "employer".into(), "other".into()]),
        ),
        ("who_other", text("сосед")),
        ("detained", text("yes")),
        ("hours", Answer::Integer(36)),
        ("when", text("2026-11-19")),
        ("cost", Answer::Decimal(12.5)),
        ("stars", Answer::Integer(4)),
        (
            "views",
            Answer::Grid([("a".to_string(), "2".to_string()), ("b".into(), "1".into())].into()),
        ),
        ("top", Answer::Choices(vec!["z".into(), "x".into()])),
        ("story", text("Было так.")),
        ("code", text("ab")),
        // Computed, whatever was sent: 36 * 2 + 3 options.
        ("score", Answer::Integer(75)),
        ("days_ago", Answer::Integer(10)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(a, expected);
}

#[test]
fn every_type_refuses_what_it_cannot_take() {
    refused(
        json!({
            "consent": "yes",
            "intro": "hello",
            "who": ["police", "nobody"],
            "detained": "maybe",
            "when": "2026-12-01",
            "cost": 100,
            "stars": 6,
            "views": {"a": "3", "c": "1", "b": 2},
            "top": ["x", "x", "q"],
            "story": "x".repeat(21),
            "code": "a",
        }),
        &[
            (
                "consent",
                AnswerProblem::WrongType {
                    expected: "true (the box ticked)",
                },
            ),
            ("intro", AnswerProblem::NotAnswerable),
            (
                "who",
                AnswerProblem::ExclusiveCombined {
                    choice: "nobody".into(),
                },
            ),
            ("when", AnswerProblem::DateTooLate { max: today() }),
            ("cost", AnswerProblem::AboveMaxNumber { max: "99.5".into() }),
            ("stars", AnswerProblem::AboveMax { max: 5 }),
            ("views", AnswerProblem::UnknownChoice { choice: "3".into() }),
            (
                "views",
                AnswerProblem::WrongType {
                    expected: "a scale choice id for each statement",
                },
            ),
            (
                "views",
                AnswerProblem::UnknownStatement {
                    statement: "c".into(),
                },
            ),
            ("top", AnswerProblem::RepeatedChoice { choice: "x".into() }),
            ("top", AnswerProblem::UnknownChoice { choice: "q".into() }),
            ("story", AnswerProblem::TooLong { max: 20 }),
            ("code", AnswerProblem::Constraint { message: None }),
        ],
    );
    refused(
        json!({
            "consent": true,
            "who": ["police", "clinic", "employer", "other"],
            "when": "19.11.2026",
            "cost": "0.25",
            "stars": 0,
            "top": ["x"],
            "code": 12,
        }),
        &[
            ("who", AnswerProblem::TooManySelected { max: 3 }),
            (
                "when",
                AnswerProblem::WrongType {
                    expected: "a date, YYYY-MM-DD",
                },
            ),
            ("cost", AnswerProblem::Constraint { message: None }),
            ("stars", AnswerProblem::BelowMin { min: 1 }),
            ("top", AnswerProblem::WrongRankCount { n: 2 }),
            ("code", AnswerProblem::WrongType { expected: "text" }),
        ],
    );
    refused(
        json!({"consent": true, "when": "2019-12-31", "cost": -1}),
        &[
            (
                "when",
                AnswerProblem::DateTooEarly {
                    min: "2020-01-01".parse().expect("date"),
                },
            ),
            ("cost", AnswerProblem::BelowMinNumber { min: "0".into() }),
        ],
    );
}

#[test]
fn answers_to_questions_not_asked_are_dropped_silently() {
    // `who` lacks police: the whole police section is skipped, its answers
    // (even invalid ones) dropped.
    let a = run(json!({
        "consent": true,
        "who": ["clinic"],
        "detained": "maybe",
        "hours": "lots",
    }))
    .expect("valid");
    assert_eq!(a.get("detained"), None);
    assert_eq!(a.get("hours"), None);
    // `hours` is asked only when detained.
    let a = run(json!({
        "consent": true,
        "who": ["police"],
        "detained": "no",
        "hours": 5,
    }))
    .expect("valid");
    assert_eq!(a.get("detained"), Some(&text("no")));
    assert_eq!(a.get("hours"), None);
    assert_eq!(a.get("score"), Some(&Answer::Integer(0)), "-1 + 1 option");
}

#[test]
fn required_can_depend_on_answers_and_bring_its_own_message() {
    refused(
        json!({"consent": true, "who": ["police"], "detained": "yes"}),
        &[(
            "hours",
            AnswerProblem::RequiredCustom {
                message: Text(
                    [
                        ("ru".to_string(), "Сколько часов?".to_string()),
                        ("en".into(), "How many hours?".into()),
                    ]
                    .into(),
                ),
            },
        )],
    );
    let errs = run(json!({"consent": true, "who": ["police"], "detained": "yes"})).expect_err("x");
    assert_eq!(errs[0].1.message("ru"), "Сколько часов?");
    assert_eq!(errs[0].1.message("en"), "How many hours?");
    // No text in the respondent's language: the runner's own words.
    assert_eq!(errs[0].1.message("ka"), "ეს კითხვა სავალდებულოა.");
    assert_eq!(errs[0].1.code(), "required");
    // The police section (and `detained`, required) needs police chosen.
    refused(
        json!({"consent": true, "who": ["police"]}),
        &[("detained", AnswerProblem::Required)],
    );
    // The grid is required when two or more are chosen: all statements.
    refused(
        json!({"consent": true, "who": ["clinic", "employer"], "views": {"a": "1"}}),
        &[("views", AnswerProblem::IncompleteGrid)],
    );
    refused(
        json!({"consent": true, "who": ["clinic", "employer"]}),
        &[("views", AnswerProblem::Required)],
    );
    // An unticked consent is no consent.
    refused(
        json!({"consent": false}),
        &[("consent", AnswerProblem::ConsentNeeded)],
    );
}

#[test]
fn constraint_messages_come_from_the_survey_in_the_respondents_language() {
    let errs = run(json!({"consent": true, "who": ["police"], "detained": "yes", "hours": 13}))
        .expect_err("13 is refused");
    assert_eq!(errs.len(), 1);
    let (q, p) = &errs[0];
    assert_eq!(q, "hours");
    assert_eq!(p.code(), "constraint");
    assert_eq!(p.message("ru"), "Не 13");
    assert_eq!(p.message("en"), "Not 13");
    assert_eq!(
        p.message("kk"),
        "Бұл жауап мұнда сәйкес келмейді. Тексеріп шығыңыз."
    );
    let no_message = AnswerProblem::Constraint { message: None };
    assert_eq!(
        no_message.message("ru"),
        "Этот ответ здесь не подходит. Проверьте его."
    );
}

#[test]
fn other_text_is_required_with_other_and_dropped_without() {
    refused(
        json!({"consent": true, "who": ["other"]}),
        &[("who_other", AnswerProblem::OtherTextMissing)],
    );
    let a = run(json!({"consent": true, "who": ["clinic"], "who_other": "сосед"})).expect("ok");
    assert_eq!(a.get("who_other"), None);
    refused(
        json!({"consent": true, "detained_other": "x", "nonsense": 1}),
        &[
            ("detained_other", AnswerProblem::UnknownQuestion),
            ("nonsense", AnswerProblem::UnknownQuestion),
        ],
    );
}

#[test]
fn evaluate_tells_the_runner_what_to_show_now() {
    let engine = Engine::new(&survey()).expect("checks");
    let answers = |v: Value| v.as_object().expect("object").clone();
    let ev = engine.evaluate(&answers(json!({"who": ["clinic"]})), today());
    assert!(!ev.section_relevant("police"));
    assert!(ev.section_relevant("rest"));
    assert!(!ev.is_relevant("detained"));
    assert!(ev.is_relevant("intro"));
    assert!(ev.is_required("consent"));
    assert!(!ev.is_required("views"));
    assert_eq!(ev.answers.get("score"), Some(&Answer::Integer(0)));

    let ev = engine.evaluate(
        &answers(json!({"who": ["police", "clinic"], "detained": "yes"})),
        today(),
    );
    assert!(ev.is_relevant("hours") && ev.is_required("hours"));
    assert!(ev.is_required("views"));
    assert_eq!(
        surveys::relevant_questions(&survey(), &answers(json!({})), today()).len(),
        ev.relevant.len() - 2,
        "without police: neither `detained` nor `hours`"
    );
}

#[test]
fn a_survey_whose_logic_does_not_check_accepts_nothing() {
    let mut s = survey();
    s.questions[4].relevant = Some("nobody = 1".into());
    let map = json!({"consent": true})
        .as_object()
        .expect("object")
        .clone();
    let errs = surveys::validate(&s, &map, today()).expect_err("broken survey");
    assert_eq!(errs[0].problem.code(), "invalid_survey");
    assert!(Engine::new(&s).is_err());
}

/// `for_checked` (the browser's) parses without checking: it agrees with
/// `new` on a survey that checks, builds one whose references do not
/// check (which the collector would never serve), and still refuses a
/// syntax error.
#[test]
fn for_checked_parses_without_repeating_the_checks() {
    let answers = |v: Value| v.as_object().expect("object").clone();
    let checked = Engine::new(&survey()).expect("checks");
    let trusted = Engine::for_checked(&survey()).expect("parses");
    for a in [
        json!({}),
        json!({"who": ["clinic"]}),
        json!({"who": ["police", "clinic"], "detained": "yes"}),
        json!({"consent": true, "who": ["police"], "detained": "no", "views": "x"}),
    ] {
        assert_eq!(
            checked.evaluate(&answers(a.clone()), today()),
            trusted.evaluate(&answers(a.clone()), today()),
            "{a}"
        );
        assert_eq!(
            checked.validate(&answers(a.clone()), today()),
            trusted.validate(&answers(a.clone()), today()),
            "{a}"
        );
    }
    let mut unknown = survey();
    unknown.questions[4].relevant = Some("${nobody} = 1".into());
    assert!(Engine::new(&unknown).is_err());
    assert!(Engine::for_checked(&unknown).is_ok());
    let mut broken = survey();
    broken.questions[4].relevant = Some("(1 = ".into());
    let problems = Engine::for_checked(&broken).expect_err("syntax error");
    assert!(problems[0].place.contains("relevant"), "{problems:?}");
}

/// A cascading select: the regions offered follow the country answered
/// before; services are a multiple choice filtered the same way.
const CASCADE: &str = include_str!("cascade.toml");
#[test]
fn cascading_options_follow_earlier_answers() {
    let survey = parse_survey(CASCADE).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(&survey).expect("checks");
    let ev = |v: Value| {
        let Value::Object(m) = v else { panic!() };
        engine.evaluate(&m, today())
    };
    let check = |v: Value| {
        let Value::Object(m) = v else { panic!() };
        engine
            .validate(&m, today())
            .map(|r| r.answers().clone())
            .map_err(|e| {
                e.into_iter()
                    .map(|e| (e.question, e.problem))
                    .collect::<Vec<_>>()
            })
    };

    // Georgia: its two regions; OST and needles, naloxone only in Tbilisi.
    let e = ev(json!({ "country": "ge" }));
    let offered = |e: &surveys::Evaluation, q: &str| -> Vec<String> {
        survey
            .question(q)
            .and_then(|q| q.kind.choices())
            .unwrap_or_default()
            .iter()
            .filter(|c| e.offers(q, &c.id))
            .map(|c| c.id.clone())
            .collect()
    };
    assert_eq!(offered(&e, "region"), ["tbilisi", "batumi"]);
    assert_eq!(offered(&e, "services"), ["ost", "needles"]);
    let e = ev(json!({ "country": "ge", "region": "tbilisi" }));
    assert_eq!(offered(&e, "services"), ["ost", "needles", "naloxone"]);
    let e = ev(json!({ "country": "ua" }));
    assert_eq!(offered(&e, "region"), ["kyiv"]);
    assert!(e.is_required("region"));

    // A region of another country is refused, naming it; nothing is stored.
    assert_eq!(
        check(json!({ "country": "ge", "region": "kyiv" })),
        Err(vec![(
            "region".into(),
            AnswerProblem::ChoiceNotOffered {
                choice: "kyiv".into()
            }
        )])
    );
    // So is a ticked service not offered; "other" is always offered.
    assert_eq!(
        check(
            json!({ "country": "ge", "region": "batumi", "services": ["needles", "naloxone", "ost"] })
        ),
        Err(vec![(
            "services".into(),
            AnswerProblem::ChoiceNotOffered {
                choice: "naloxone".into()
            }
        )])
    );
    let ok = check(json!({
        "country": "ge", "region": "batumi",
        "services": ["needles", "other"], "services_other": "clinic"
    }))
    .expect("accepted");
    assert_eq!(ok["region"], text("batumi"));

    // The refused region counts as unanswered for the logic after it.
    let e = ev(json!({ "country": "ge", "region": "kyiv" }));
    assert!(!e.is_relevant("after"));
    let e = ev(json!({ "country": "ua", "region": "kyiv" }));
    assert!(e.is_relevant("after"));

    // No region to offer (Russia, or no country yet): the question is not
    // asked, so its requirement does not hold and an answer is dropped.
    for answers in [json!({ "country": "ru" }), json!({})] {
        let e = ev(answers.clone());
        assert!(!e.is_relevant("region"), "{answers}");
        assert!(!e.is_required("region"), "{answers}");
        assert!(check(answers).is_ok());
    }
    let ok = check(json!({ "country": "ru", "region": "kyiv" })).expect("dropped");
    assert!(!ok.contains_key("region"));
    // Services keep "other" for Russia: still asked, with needles.
    let e = ev(json!({ "country": "ru" }));
    assert_eq!(offered(&e, "services"), ["needles"]);
    assert_eq!(
        AnswerProblem::ChoiceNotOffered {
            choice: "kyiv".into()
        }
        .code(),
        "choice_not_offered"
    );
}

const REPEAT: &str = include_str!("repeat.toml");

#[test]
fn a_repeat_is_answered_instance_by_instance() {
    let survey = parse_survey(REPEAT).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(&survey).expect("checks");
    let check = |v: Value| {
        let Value::Object(m) = v else { panic!() };
        engine
            .validate(&m, today())
            .map(|r| r.answers().clone())
            .map_err(|e| {
                e.into_iter()
                    .map(|e| (e.question, e.problem.code().to_string()))
                    .collect::<Vec<_>>()
            })
    };

    // Two incidents: the second sees position() > 1, the first does not;
    // `injured` is asked only where police were named; the calculation and
    // the question after see every instance.
    let stored = check(json!({
        "country": "ua",
        "incidents": [
            {"when": "2026-03-01", "by": ["police", "other"], "by_other": "guards", "injured": 2},
            {"when": "2026-04-01", "by": ["medics"], "injured": 7, "same_place": true}
        ],
        "reported": "no"
    }))
    .expect("valid");
    let Some(Answer::Repeat(instances)) = stored.get("incidents") else {
        panic!("{stored:?}");
    };
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[0]["injured"], Answer::Integer(2));
    assert_eq!(instances[0]["by_other"], Answer::Text("guards".into()));
    assert!(
        !instances[1].contains_key("injured"),
        "not asked: no police"
    );
    assert_eq!(instances[1]["same_place"], Answer::Bool(true));
    assert_eq!(stored["total_injured"], Answer::Integer(2));
    assert_eq!(stored["reported"], Answer::Text("no".into()));

    // No incident at all: nothing stored for the repeat, nothing after it
    // that needs one, and the sum is 0.
    let stored = check(json!({"country": "kz", "reported": "no"})).expect("valid");
    assert!(!stored.contains_key("incidents"));
    assert!(!stored.contains_key("reported"), "count(incidents) is 0");
    assert_eq!(stored["total_injured"], Answer::Integer(0));

    // Every problem, each named by its instance (`same_place` of the first
    // instance is not asked there, so its answer is dropped, as anywhere).
    let errors = check(json!({
        "country": "ua",
        "incidents": [
            {"by": ["police"], "injured": 99, "same_place": true},
            {"when": "2026-04-01", "shoe_size": 44},
            "not an instance"
        ]
    }))
    .expect_err("invalid");
    assert_eq!(
        errors,
        [
            ("incidents[1].when".to_string(), "required".to_string()),
            ("incidents[1].injured".into(), "above_max".into()),
            ("incidents[2].shoe_size".into(), "unknown_question".into()),
            ("incidents[3]".into(), "wrong_type".into()),
            ("incidents[3].when".into(), "required".into()),
        ]
    );
    // More than `max`; not a list.
    let four = vec![json!({"when": "2026-01-01"}); 4];
    assert_eq!(
        check(json!({"country": "ua", "incidents": four})).expect_err("too many"),
        [("incidents".to_string(), "too_many_instances".to_string())]
    );
    assert_eq!(
        check(json!({"country": "ua", "incidents": {"when": "2026-01-01"}})).expect_err("shape"),
        [("incidents".to_string(), "wrong_type".to_string())]
    );
}

#[test]
fn a_repeat_with_count_has_as_many_instances_as_it_gives() {
    let text = REPEAT
        .replace(
            "[[questions]]\nid = \"incidents\"",
            "[[questions]]\nid = \"how_many\"\ntype = \"integer\"\nmin = 0\nlabel = { en = \"How many?\", ru = \"Сколько?\" }\n\n[[questions]]\nid = \"incidents\"\ncount = \"${how_many}\"",
        );
    let survey = parse_survey(&text).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(&survey).expect("checks");
    let ev = |v: Value| {
        let Value::Object(m) = v else { panic!() };
        engine.evaluate(&m, today())
    };
    let e = ev(json!({"country": "ua", "how_many": 2}));
    assert_eq!(e.instances["incidents"], 2);
    assert!(e.is_relevant("incidents[2].when"));
    assert!(e.is_required("incidents[2].when"));
    assert!(e.is_relevant("incidents[2].same_place"));
    assert!(!e.is_relevant("incidents[1].same_place"));
    let codes: Vec<(String, &str)> = e
        .errors
        .iter()
        .map(|e| (e.question.clone(), e.problem.code()))
        .collect();
    assert_eq!(
        codes,
        [
            ("incidents[1].when".to_string(), "required"),
            ("incidents[2].when".to_string(), "required"),
        ],
        "the instances the count asks for are there, unanswered"
    );
    // The count is capped by `max`; more instances than it gives are refused.
    assert_eq!(
        ev(json!({"country": "ua", "how_many": 40})).instances["incidents"],
        3
    );
    let e = ev(
        json!({"country": "ua", "how_many": 1, "incidents": [{"when": "2026-01-01"}, {"when": "2026-01-02"}]}),
    );
    assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
    assert_eq!(
        e.errors[0].problem,
        AnswerProblem::TooManyInstances { max: 1 }
    );
}
