#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use surveys::{Answer, Answers, Epsilon, Survey};

use super::*;

const SURVEY: &str = r#"
id = "ost-test"
version = 2
languages = ["ru", "en"]
default_language = "ru"
privacy_budget = 3
title = { ru = "Проверка <b>доступа</b>", en = "Access check <b>" }

[[questions]]
id = "country"
type = "single_choice"
required = true
label = { ru = "Страна?", en = "Country?" }
choices = [
  { id = "ge", label = { ru = "Грузия", en = "Georgia" } },
  { id = "kz", label = { ru = "Казахстан", en = "Kazakhstan" } },
  { id = "md", label = { ru = "Молдова", en = "Moldova" } },
  { id = "other", label = { ru = "<script>alert('x')</script>", en = "<script>alert(\"x\")</script> & co" } },
]

[[questions]]
id = "age"
type = "integer"
min = 16
label = { ru = "Возраст?", en = "Age?" }

[[questions]]
id = "services"
type = "multiple_choice"
label = { ru = "Услуги?", en = "Services?" }
choices = [
  { id = "ost", label = { ru = "ОЗТ", en = "OST" } },
  { id = "hiv_test", label = { ru = "Тест на ВИЧ", en = "HIV test" } },
  { id = "naloxone", label = { ru = "Налоксон", en = "Naloxone" } },
]

[[questions]]
id = "comment"
type = "short_text"
label = { ru = "Комментарий", en = "Comment" }
"#;

fn survey() -> Survey {
    surveys::parse_survey(SURVEY).unwrap()
}

fn eps(s: &str) -> Epsilon {
    s.parse().unwrap()
}

fn meta(epsilon: &str) -> ReleaseMeta {
    ReleaseMeta {
        release_id: "2025-1".into(),
        published: "2025-03-01".into(),
        epsilon: eps(epsilon),
    }
}

fn response(country: &str, services: &[&str], comment: &str) -> Answers {
    let mut a = Answers::new();
    a.insert("country".into(), Answer::Text(country.into()));
    a.insert("age".into(), Answer::Integer(30));
    if !services.is_empty() {
        a.insert(
            "services".into(),
            Answer::Choices(services.iter().map(|s| s.to_string()).collect()),
        );
    }
    a.insert("comment".into(), Answer::Text(comment.into()));
    a
}

/// Ten responses: ge ×5, kz ×4, other ×1, md ×0; services ost ×9,
/// hiv_test ×3, naloxone ×0.
fn responses() -> Vec<Answers> {
    let mut out = Vec::new();
    for i in 0..5 {
        out.push(response("ge", &["ost"], &format!("secret comment {i}")));
    }
    for _ in 0..3 {
        out.push(response("kz", &["ost", "hiv_test"], "SECRET-TEXT"));
    }
    out.push(response("kz", &[], "SECRET-TEXT"));
    out.push(response("other", &["ost"], "SECRET-TEXT"));
    out
}

fn report(epsilon: &str, seed: u64) -> Report {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    build_report(&survey(), responses(), meta(epsilon), &mut rng).unwrap()
}

#[test]
fn every_option_has_a_cell_and_the_epsilons_add_up() {
    let r = report("1", 1);
    assert_eq!(r.schema, "chorus.report/1");
    assert_eq!(r.mechanism, "discrete_laplace");
    assert_eq!((r.survey_id.as_str(), r.survey_version), ("ost-test", 2));
    assert_eq!(r.epsilon, eps("1"));

    // Only the choice questions, in survey order: no text, no integer.
    let ids: Vec<&str> = r.tables.iter().map(|t| t.question.as_str()).collect();
    assert_eq!(ids, ["country", "services"]);

    let survey = survey();
    for table in &r.tables {
        let q = survey.question(&table.question).unwrap();
        let choices: Vec<&str> = q
            .kind
            .choices()
            .unwrap()
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let cells: Vec<&str> = table.cells.iter().map(|c| c.choice.as_str()).collect();
        assert_eq!(cells, choices, "{}", table.question);
        assert_eq!(table.label, q.label);
        for cell in &table.cells {
            assert_eq!(cell.value, u64::try_from(cell.noisy.max(0)).unwrap());
        }
    }

    let sum = r
        .tables
        .iter()
        .try_fold(Epsilon::ZERO, |acc, t| acc.checked_add(t.epsilon))
        .unwrap();
    assert_eq!(sum, r.epsilon);
    assert_eq!(r.tables[0].epsilon, eps("0.5"));

    // Sensitivity: 1 for single choice, the number of options for multiple.
    assert_eq!(r.tables[0].sensitivity, 1);
    assert_eq!(r.tables[1].sensitivity, 3);
    assert_eq!(r.tables[0].scale, "2");
    assert_eq!(r.tables[1].scale, "6");
    assert_eq!(
        r.tables[0].margin95,
        DiscreteLaplace::new(2, 1).unwrap().margin95()
    );
    assert_eq!(
        r.tables[1].margin95,
        DiscreteLaplace::new(6, 1).unwrap().margin95()
    );
}

#[test]
fn thirds_split_exactly() {
    let r = report("1/3", 2);
    assert!(r.tables.iter().all(|t| t.epsilon == eps("1/6")));
    assert_eq!(r.tables[0].scale, "6");
    assert_eq!(r.tables[1].scale, "18");
}

#[test]
fn zero_counts_get_noise_too() {
    // md and naloxone have no answers. Across seeds their noisy values vary,
    // which could not happen if empty cells were skipped or left at 0.
    let zero_cells: Vec<(i64, i64)> = (0..20)
        .map(|seed| {
            let r = report("1", seed);
            (r.tables[0].cells[2].noisy, r.tables[1].cells[2].noisy)
        })
        .collect();
    assert!(zero_cells.iter().any(|(md, _)| *md != 0));
    assert!(zero_cells.iter().any(|(_, nal)| *nal != 0));
    assert!(zero_cells.iter().any(|(md, _)| *md < 0));
}

#[test]
fn counts_are_right_under_negligible_noise() {
    // ε = 1000: scale 1/500 and 3/500; P(noise ≠ 0) ≈ 2·e^−166, never.
    let text = SURVEY.replace("privacy_budget = 3", "privacy_budget = 1000");
    let survey = surveys::parse_survey(&text).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut rs = responses();
    // A malformed response cannot count twice in a cell.
    let mut bad = Answers::new();
    bad.insert(
        "services".into(),
        Answer::Choices(vec!["ost".into(), "ost".into(), "nope".into()]),
    );
    bad.insert("country".into(), Answer::Text("atlantis".into()));
    rs.push(bad);
    let r = build_report(&survey, rs, meta("1000"), &mut rng).unwrap();
    let values = |t: &Table| t.cells.iter().map(|c| c.noisy).collect::<Vec<_>>();
    assert_eq!(values(&r.tables[0]), [5, 4, 0, 1]);
    assert_eq!(values(&r.tables[1]), [10, 3, 0]);
    assert!(r.tables.iter().all(|t| t.margin95 == 0));
}

#[test]
fn same_seed_same_report() {
    assert_eq!(report("1", 9), report("1", 9));
    assert_ne!(report("1", 9), report("1", 10));
}

#[test]
fn json_round_trips_and_holds_no_exact_total_or_text() {
    let r = report("1", 4);
    let json = render_json(&r);
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);

    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "schema",
        "survey_id",
        "survey_version",
        "title",
        "languages",
        "default_language",
        "release_id",
        "published",
        "epsilon",
        "mechanism",
        "tables",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    let table_keys: Vec<&str> = value["tables"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        table_keys.len(),
        8,
        "unexpected table fields: {table_keys:?}"
    );
    assert_eq!(value["epsilon"], "1");
    assert_eq!(value["tables"][1]["type"], "multiple_choice");
    assert!(!json.contains("SECRET") && !json.contains("secret"));
    assert!(!json.contains("\"age\""));
}

#[test]
fn html_is_self_contained_escaped_and_complete() {
    let r = report("1", 5);
    for lang in ["en", "ru", "uk"] {
        let html = render_html(&r, lang);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{lang}"
        );
        assert!(!html.contains("<script"), "{lang}: unescaped script");
        assert!(!html.contains("<b>"), "{lang}: unescaped title");
        assert!(!html.contains("src=") && !html.contains("@import") && !html.contains("url("));
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("role=\"img\"").count(), 2);
        assert_eq!(html.matches("<table").count(), 2);
        assert_eq!(html.matches("<title>").count(), 3, "page title + 2 charts");
        assert!(html.contains("viewBox=\"0 0 360 "));
        assert!(html.contains("2025-03-01") && html.contains("2025-1"));
        assert!(html.contains("ε = 1"));
        assert!(!html.contains("SECRET") && !html.contains("Age?") && !html.contains("Comment"));
        // Every cell is in the table with the table's margin.
        for table in &r.tables {
            for cell in &table.cells {
                assert!(
                    html.contains(&format!(
                        "<td>{}</td><td>± {}</td>",
                        cell.value, table.margin95
                    )),
                    "{lang}: {}",
                    cell.choice
                );
            }
        }
    }
    let en = render_html(&r, "en");
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
    assert!(en.contains("Access check &lt;b&gt;"));
    assert!(en.contains("About these numbers") && en.contains("How to cite"));
    assert!(en.contains("95% of the time"));

    let ru = render_html(&r, "ru");
    assert!(ru.contains("<html lang=\"ru\">"));
    assert!(ru.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(ru.contains("Об этих числах") && ru.contains("Как цитировать"));
    assert!(ru.contains("Грузия"));

    // A language the survey lacks: its texts in the default (ru), and the
    // page's words follow them.
    let uk = render_html(&r, "uk");
    assert!(uk.contains("<html lang=\"ru\">") && uk.contains("Об этих числах"));
    assert!(!uk.contains(" lang=\"en\""));

    // A survey language the page has no words for: marked as English.
    let mut r2 = r.clone();
    r2.languages.push("ka".into());
    for t in &mut r2.tables {
        t.label.0.insert("ka".into(), "კითხვა".into());
    }
    let ka = render_html(&r2, "ka");
    assert!(ka.contains("<html lang=\"ka\">") && ka.contains(" lang=\"en\""));
    assert!(ka.contains("კითხვა") && ka.contains("About these numbers"));
}

#[test]
fn placeholders_in_survey_text_are_not_expanded() {
    let mut r = report("1", 6);
    r.title.0.insert("en".into(), "Survey {date} {eps}".into());
    r.release_id = "{title}".into();
    let html = render_html(&r, "en");
    assert!(html.contains("Survey {date} {eps}. Survey"));
    assert!(html.contains("Chorus release {title}, published"));
}

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("Грузия"), "Грузия");
}

/// An iterator that fails the test if anyone reads it.
fn untouchable() -> impl Iterator<Item = Answers> {
    std::iter::from_fn(|| panic!("responses were read before the checks"))
}

#[test]
fn refusals_come_before_any_response_is_read() {
    let s = survey();
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let mut check = |m: ReleaseMeta| build_report(&s, untouchable(), m, &mut rng).unwrap_err();

    assert_eq!(
        check(meta("0")),
        AnalysisError::Budget(BudgetError::ZeroEpsilon)
    );
    let err = check(meta("4"));
    assert_eq!(
        err,
        AnalysisError::ExceedsBudget {
            requested: eps("4"),
            total: eps("3")
        }
    );
    assert_eq!(
        err.to_string(),
        "ε = 4 is more than the survey's whole privacy budget of 3"
    );
    for bad in [
        "2025-02-30",
        "2025-13-01",
        "25-03-01",
        "2025-3-1",
        "",
        "2025-03-01x",
    ] {
        let m = ReleaseMeta {
            published: bad.into(),
            ..meta("1")
        };
        assert_eq!(check(m), AnalysisError::BadDate(bad.into()));
    }
    for bad in ["", "a\nb"] {
        let m = ReleaseMeta {
            release_id: bad.into(),
            ..meta("1")
        };
        assert_eq!(check(m), AnalysisError::BadReleaseId(bad.into()));
    }
    let m = ReleaseMeta {
        epsilon: Epsilon::new(1, u64::MAX).unwrap(),
        ..meta("1")
    };
    assert!(matches!(
        check(m),
        AnalysisError::EpsilonSplit { tables: 2, .. }
    ));
    // Splits fine (1/2^62 over 2), but sensitivity 3 × 2^63 overflows.
    let m = ReleaseMeta {
        epsilon: Epsilon::new(1, 1 << 62).unwrap(),
        ..meta("1")
    };
    assert!(matches!(
        check(m),
        AnalysisError::Scale { ref question, sensitivity: 3, .. } if question == "services"
    ));

    let text_only = surveys::parse_survey(
        r#"
id = "t"
version = 1
languages = ["en"]
title = { en = "T" }
privacy_budget = 1
[[questions]]
id = "note"
type = "short_text"
label = { en = "Note" }
[[questions]]
id = "n"
type = "integer"
label = { en = "N" }
"#,
    )
    .unwrap();
    let err = build_report(&text_only, untouchable(), meta("1"), &mut rng).unwrap_err();
    assert_eq!(err, AnalysisError::NothingToPublish);
    assert!(err.to_string().contains("nothing to publish"));
}

#[test]
fn leap_days() {
    assert!(is_date("2024-02-29"));
    assert!(is_date("2000-02-29"));
    assert!(!is_date("1900-02-29"));
    assert!(!is_date("2025-02-29"));
    assert!(!is_date("2025-04-31"));
    assert!(!is_date("2025-00-10"));
    assert!(!is_date("2025-01-00"));
}

#[test]
fn bundled_survey_publishes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../surveys/library/ost-hiv-access.toml");
    let survey = surveys::load_file(&path).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let r = build_report(&survey, Vec::new(), meta("1"), &mut rng).unwrap();
    assert!(!r.tables.is_empty());
    let html = render_html(&r, "ru");
    assert!(!html.contains("http://") && !html.contains("https://"));
}
