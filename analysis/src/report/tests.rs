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

/// The same survey with a plan of every kind of table.
const PLAN: &str = r#"
[publication]
small_cell_threshold = 3

[[publication.tables]]
id = "n"
statistic = "total"
epsilon = 0.25

[[publication.tables]]
id = "services_by_country"
question = "services"
statistic = "counts"
by = ["country"]
epsilon = 0.5

[[publication.tables]]
id = "age_mean"
question = "age"
statistic = "mean"
lower = 16
upper = 80
epsilon = 0.5

[[publication.tables]]
id = "age_bins"
question = "age"
statistic = "quantiles"
edges = [16, 25, 35, 50, 80]
epsilon = 0.5

[[publication.tables]]
id = "country_gauss"
question = "country"
statistic = "counts"
epsilon = 0.1
mechanism = "gaussian"
"#;

fn survey() -> Survey {
    surveys::parse_survey(SURVEY).unwrap()
}

fn planned(budget: &str) -> Survey {
    let text = format!("{SURVEY}{PLAN}")
        .replace("privacy_budget = 3", &format!("privacy_budget = {budget}"));
    surveys::parse_survey(&text).unwrap()
}

fn eps(s: &str) -> Epsilon {
    s.parse().unwrap()
}

fn meta() -> ReleaseMeta {
    ReleaseMeta {
        release_id: "2025-03-01.1".into(),
        published: "2025-03-01".into(),
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
    let s = survey();
    let plan = prepare(&s, Some(eps(epsilon))).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    build_report(plan, responses(), meta(), &mut rng).unwrap()
}

#[test]
fn default_plan_has_a_cell_per_option_and_the_epsilons_add_up() {
    let r = report("1", 1);
    assert_eq!(r.schema, "chorus.report/2");
    assert_eq!(r.mechanism, "discrete_laplace");
    assert_eq!(r.plan, "default");
    assert_eq!((r.survey_id.as_str(), r.survey_version), ("ost-test", 2));
    assert_eq!(r.epsilon, eps("1"));
    assert_eq!(r.delta, 0.0);

    let ids: Vec<&str> = r.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["country", "services"]);
    let survey = survey();
    for table in &r.tables {
        let q = survey.question(table.question.as_deref().unwrap()).unwrap();
        let choices: Vec<&str> = q
            .kind
            .choices()
            .unwrap()
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let cells: Vec<&str> = table.cells.iter().map(|c| c.choice.as_str()).collect();
        assert_eq!(cells, choices, "{}", table.id);
        assert_eq!(table.label, q.label);
        for cell in &table.cells {
            assert_eq!(cell.value, u64::try_from(cell.noisy.max(0)).unwrap());
            assert_eq!(cell.suppressed, cell.noisy < 10);
        }
    }
    assert_eq!(r.tables[0].epsilon, eps("0.5"));
    assert_eq!(r.tables[0].parts[0].sensitivity_l1, 1);
    assert_eq!(r.tables[1].parts[0].sensitivity_l1, 3);
    assert_eq!(r.tables[0].parts[0].scale.as_deref(), Some("2"));
    assert_eq!(r.tables[1].parts[0].scale.as_deref(), Some("6"));
    assert_eq!(
        r.tables[0].margin95,
        DiscreteLaplace::new(2, 1).unwrap().margin95()
    );
    // Single choice: a total consistent with the cells shown.
    let total = &r.tables[0].totals[0];
    assert_eq!(total.over, "columns");
    assert_eq!(
        total.value,
        r.tables[0].cells.iter().map(|c| c.value).sum::<u64>()
    );
    // Multiple choice: no sum over options (one person ticks several).
    assert!(r.tables[1].totals.is_empty());
}

#[test]
fn thirds_split_exactly() {
    let r = report("1/3", 2);
    assert!(r.tables.iter().all(|t| t.epsilon == eps("1/6")));
    assert_eq!(r.tables[0].parts[0].scale.as_deref(), Some("6"));
    assert_eq!(r.tables[1].parts[0].scale.as_deref(), Some("18"));
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

/// Builds `survey`'s plan over `rs` with noise from `draw`.
fn with_noise(survey: &Survey, rs: Vec<Answers>, draw: &mut dyn FnMut(&Noise) -> i64) -> Report {
    let plan = prepare(survey, None).unwrap();
    build_with(plan, rs, meta(), draw).unwrap()
}

#[test]
fn planned_tables_are_exact_under_zero_noise() {
    let s = planned("5");
    let mut rs = responses();
    // A malformed response counts nowhere twice.
    let mut bad = Answers::new();
    bad.insert(
        "services".into(),
        Answer::Choices(vec!["ost".into(), "ost".into(), "nope".into()]),
    );
    bad.insert("country".into(), Answer::Text("atlantis".into()));
    bad.insert("age".into(), Answer::Decimal(f64::NAN));
    rs.push(bad);
    let r = with_noise(&s, rs, &mut |_| 0);
    assert_eq!(r.plan, "declared");
    assert_eq!(r.mechanism, "mixed");
    let t = |id: &str| r.tables.iter().find(|t| t.id == id).unwrap();
    assert_eq!(t("n").cells[0].noisy, 11);
    // services by country: ge, kz, md, other × ost, hiv_test, naloxone.
    let cross: Vec<i64> = t("services_by_country")
        .cells
        .iter()
        .map(|c| c.noisy)
        .collect();
    assert_eq!(cross, [5, 0, 0, 3, 3, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(t("services_by_country").cells[3].group, ["kz"]);
    // Column totals over the countries; no row totals for multiple choice.
    let totals: Vec<(&str, u64)> = t("services_by_country")
        .totals
        .iter()
        .map(|x| (x.choice.as_deref().unwrap(), x.value))
        .collect();
    assert_eq!(totals, [("ost", 9), ("hiv_test", 3), ("naloxone", 0)]);
    let mean = &t("age_mean").means[0];
    assert_eq!(mean.noisy_count, 10);
    assert!((mean.mean.unwrap() - 30.0).abs() < 1e-9, "{mean:?}");
    assert!(mean.low95 <= 30.0 && mean.high95 >= 30.0);
    let bins: Vec<i64> = t("age_bins").cells.iter().map(|c| c.noisy).collect();
    assert_eq!(bins, [0, 10, 0, 0]);
    let q = &t("age_bins").quantiles[0];
    assert_eq!((q.q1, q.median, q.q3), (Some(27.5), Some(30.0), Some(32.5)));
    let g = t("country_gauss");
    assert_eq!(g.mechanism, "discrete_gaussian");
    assert_eq!(g.rho, Some(eps("1/200")));
    // σ² = Δ₂²/ε² = 1/0.01 = 100.
    assert_eq!(g.parts[0].sigma2.as_deref(), Some("100"));
}

#[test]
fn the_charge_converts_gaussian_tables_and_is_confirmed_by_epsilon() {
    let s = planned("5");
    let plan = prepare(&s, None).unwrap();
    let c = plan.charge();
    assert_eq!(c.laplace, eps("1.75"));
    assert_eq!(c.rho, Some(eps("1/200")));
    // ρ = 0.005: ε′ = 0.005 + 2√(0.005·ln 10⁶) ≈ 0.530743 (rounded up).
    let g = c.gaussian_epsilon.unwrap();
    let exact = 0.005 + 2.0 * (0.005 * 1e6f64.ln()).sqrt();
    assert!(g.to_f64() >= exact && g.to_f64() < exact + 3e-6, "{g}");
    assert_eq!(c.epsilon, c.laplace.checked_add(g).unwrap());
    assert_eq!(c.delta, 1e-6);
    // --epsilon confirms the charge, or is refused.
    assert!(prepare(&s, Some(c.epsilon)).is_ok());
    let err = prepare(&s, Some(eps("1.75"))).unwrap_err();
    assert!(
        matches!(err, AnalysisError::EpsilonMismatch { .. }),
        "{err}"
    );
    // A budget that the converted charge exceeds.
    let err = prepare(&planned("2"), None).unwrap_err();
    assert!(matches!(err, AnalysisError::ExceedsBudget { .. }), "{err}");
    // Without a plan, --epsilon is needed.
    assert_eq!(
        prepare(&survey(), None).unwrap_err(),
        AnalysisError::EpsilonNeeded
    );
}

#[test]
fn suppression_sees_only_noisy_values() {
    // Two datasets whose true counts differ a lot. The stub noise (which a
    // real sampler would draw without seeing the data) is chosen so that
    // both give the same noisy values; then everything published — values,
    // suppression flags, pages — is the same: the decision cannot depend on
    // the true counts.
    let s = survey();
    let few = responses();
    let mut many = responses();
    for _ in 0..40 {
        many.push(response("md", &["naloxone"], "x"));
    }
    let target = [2i64, 50, 9, 10, 1, 0, 30];
    let exact_few = [5i64, 4, 0, 1, 9, 3, 0];
    let exact_many = [5i64, 4, 40, 1, 9, 3, 40];
    let run = |rs: Vec<Answers>, exact: [i64; 7]| {
        let mut i = 0;
        let plan = prepare(&s, Some(eps("1"))).unwrap();
        build_with(plan, rs, meta(), &mut |_| {
            let noise = target[i] - exact[i];
            i += 1;
            noise
        })
        .unwrap()
    };
    let a = run(few, exact_few);
    let b = run(many, exact_many);
    assert_eq!(a, b);
    let flags: Vec<bool> = a
        .tables
        .iter()
        .flat_map(|t| t.cells.iter().map(|c| c.suppressed))
        .collect();
    assert_eq!(flags, [true, false, true, false, true, true, false]);
    for lang in ["en", "ru"] {
        let html = render_html(&a, lang);
        assert_eq!(html, render_html(&b, lang));
        assert!(html.contains("<td>&lt; 10</td>"));
        assert!(!html.contains("<td>9</td>") && !html.contains("<td>2</td>"));
    }
    let csv = render_csv(&a, &a.tables[0]);
    assert!(csv.contains("count,md,Молдова,< 10,"), "{csv}");
    // The JSON keeps the raw noisy value of a suppressed cell.
    assert!(render_json(&a).contains("\"noisy\": 9"));
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
    assert_eq!(value["epsilon"], "1");
    assert_eq!(value["tables"][1]["type"], "multiple_choice");
    assert!(!json.contains("SECRET") && !json.contains("secret"));
    assert!(!json.contains("\"age\""));
}

/// The fixed-seed report of the full plan, compared with the committed
/// `tests/snapshots/full-report.json`; `UPDATE_SNAPSHOTS=1` rewrites it.
#[test]
fn full_report_snapshot() {
    let s = planned("5");
    let plan = prepare(&s, None).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2025);
    let r = build_report(plan, responses(), meta(), &mut rng).unwrap();
    let json = render_json(&r);
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/full-report.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &json).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", path.display()));
    assert_eq!(
        json, expected,
        "the report changed; if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    );
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
        assert!(html.contains("2025-03-01") && html.contains("2025-03-01.1"));
        assert!(html.contains("ε = 1"));
        assert!(!html.contains("SECRET") && !html.contains("Age?") && !html.contains("Comment"));
        for table in &r.tables {
            for cell in &table.cells {
                let shown = if cell.suppressed {
                    "&lt; 10".to_string()
                } else {
                    cell.value.to_string()
                };
                assert!(
                    html.contains(&format!("<td>{shown}</td><td>± {}</td>", table.margin95)),
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
    assert!(ru.contains("Об этих числах") && ru.contains("Как цитировать"));
    assert!(ru.contains("Грузия"));

    // A language the survey lacks: its texts in the default (ru).
    let uk = render_html(&r, "uk");
    assert!(uk.contains("<html lang=\"ru\">") && uk.contains("Об этих числах"));

    // A survey language the page has no words for: Russian words (the survey
    // is also in Russian), marked as such, with a note saying so.
    let mut r2 = r.clone();
    r2.languages.push("ka".into());
    for t in &mut r2.tables {
        t.label.0.insert("ka".into(), "კითხვა".into());
    }
    let ka = render_html(&r2, "ka");
    assert!(ka.contains("<html lang=\"ka\">") && ka.contains(" lang=\"ru\""));
    assert!(ka.contains("კითხვა") && ka.contains("Об этих числах"));
    assert!(ka.contains("грузинский"));
}

#[test]
fn planned_report_renders_every_kind() {
    let s = planned("5");
    let plan = prepare(&s, None).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let r = build_report(plan, responses(), meta(), &mut rng).unwrap();
    for lang in ["en", "ru"] {
        let html = render_html(&r, lang);
        assert_eq!(html.matches("<svg").count(), r.tables.len(), "{lang}");
        assert!(html.contains("δ = 10⁻⁶"));
        assert!(!html.contains("NaN") && !html.contains("inf"));
    }
    let en = render_html(&r, "en");
    assert!(en.contains("discrete Gaussian") && en.contains("Respondents (with noise)"));
    assert!(en.contains("Services? — by Country?"));
    for t in &r.tables {
        let csv = render_csv(&r, t);
        assert!(csv.starts_with("kind,"), "{csv}");
    }
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
}

/// An iterator that fails the test if anyone reads it.
fn untouchable() -> impl Iterator<Item = Answers> {
    std::iter::from_fn(|| panic!("responses were read before the checks"))
}

#[test]
fn refusals_come_before_any_response_is_read() {
    let s = survey();
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    assert_eq!(
        prepare(&s, Some(eps("0"))).unwrap_err(),
        AnalysisError::Budget(BudgetError::ZeroEpsilon)
    );
    let err = prepare(&s, Some(eps("4"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ε = 4 is more than the survey's whole privacy budget of 3"
    );
    for bad in ["2025-02-30", "2025-13-01", "25-03-01", ""] {
        let plan = prepare(&s, Some(eps("1"))).unwrap();
        let m = ReleaseMeta {
            published: bad.into(),
            ..meta()
        };
        let err = build_report(plan, untouchable(), m, &mut rng).unwrap_err();
        assert_eq!(err, AnalysisError::BadDate(bad.into()));
    }
    for bad in ["", "a\nb"] {
        let plan = prepare(&s, Some(eps("1"))).unwrap();
        let m = ReleaseMeta {
            release_id: bad.into(),
            ..meta()
        };
        let err = build_report(plan, untouchable(), m, &mut rng).unwrap_err();
        assert_eq!(err, AnalysisError::BadReleaseId(bad.into()));
    }
    assert!(matches!(
        prepare(&s, Some(Epsilon::new(1, u64::MAX).unwrap())).unwrap_err(),
        AnalysisError::EpsilonSplit { tables: 2, .. }
    ));
    assert!(matches!(
        prepare(&s, Some(Epsilon::new(1, 1 << 62).unwrap())).unwrap_err(),
        AnalysisError::Scale { ref table, sensitivity: 3, .. } if table == "services"
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
"#,
    )
    .unwrap();
    let err = prepare(&text_only, Some(eps("1"))).unwrap_err();
    assert_eq!(err, AnalysisError::NothingToPublish);
    // Free text named in a plan (the loader refuses it; so does analysis).
    let mut sneaky = survey();
    sneaky.publication.tables.push(surveys::PlannedTable {
        id: "c".into(),
        question: Some("comment".into()),
        statistic: surveys::Statistic::Counts,
        by: vec![],
        epsilon: eps("0.1"),
        mechanism: surveys::Mechanism::Laplace,
    });
    let err = prepare(&sneaky, None).unwrap_err();
    assert!(err.to_string().contains("free text"), "{err}");
}

#[test]
fn leap_days() {
    assert!(is_date("2024-02-29"));
    assert!(is_date("2000-02-29"));
    assert!(!is_date("1900-02-29"));
    assert!(!is_date("2025-02-29"));
    assert!(!is_date("2025-04-31"));
}

#[test]
fn bundled_surveys_publish() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../surveys/library");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let survey = surveys::load_file(&path).unwrap();
        let epsilon = survey.publication.tables.is_empty().then(|| eps("1"));
        let plan = prepare(&survey, epsilon).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let r = build_report(plan, Vec::new(), meta(), &mut rng).unwrap();
        assert!(!r.tables.is_empty());
        for lang in &survey.languages {
            let html = render_html(&r, lang);
            assert!(!html.contains("http://") && !html.contains("https://"));
        }
    }
}

/// The test survey with one quartiles table on `age` at `epsilon`, and no
/// small-cell threshold.
fn quartile_survey(epsilon: &str) -> Survey {
    let text = format!(
        "{SURVEY}
[publication]
small_cell_threshold = 0

[[publication.tables]]
id = \"age_q\"
question = \"age\"
statistic = \"quantiles\"
edges = [16, 25, 35, 50, 80]
epsilon = {epsilon}
"
    )
    .replace("privacy_budget = 3", "privacy_budget = 10");
    surveys::parse_survey(&text).unwrap()
}

/// 200 ages spread over 16‥79.
fn ages() -> Vec<Answers> {
    (0..200)
        .map(|i| {
            let mut a = Answers::new();
            a.insert("age".into(), Answer::Integer(16 + i * 64 / 200));
            a
        })
        .collect()
}

fn quartile_release(epsilon: &str, rng: &mut ChaCha20Rng) -> QuantileRow {
    let s = quartile_survey(epsilon);
    let plan = prepare(&s, None).unwrap();
    let r = build_report(plan, ages(), meta(), rng).unwrap();
    r.tables[0].quantiles[0].clone()
}

fn margins(q: &QuantileRow) -> [f64; 3] {
    [
        q.q1_margin95_approx.unwrap(),
        q.median_margin95_approx.unwrap(),
        q.q3_margin95_approx.unwrap(),
    ]
}

#[test]
fn quartile_margins_are_nonzero_and_grow_as_epsilon_shrinks() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mean_margins = |epsilon: &str, rng: &mut ChaCha20Rng| {
        let mut sum = [0.0; 3];
        for _ in 0..5 {
            let q = quartile_release(epsilon, rng);
            assert_eq!(q.margin95_approx_method, BOOTSTRAP_METHOD);
            for (s, m) in sum.iter_mut().zip(margins(&q)) {
                assert!(m > 0.0, "ε = {epsilon}: {q:?}");
                *s += m;
            }
        }
        sum
    };
    let wide = mean_margins("0.1", &mut rng);
    let mid = mean_margins("0.5", &mut rng);
    let narrow = mean_margins("2", &mut rng);
    for i in 0..3 {
        assert!(
            wide[i] > mid[i] && mid[i] > narrow[i],
            "{wide:?} {mid:?} {narrow:?}"
        );
    }
    assert!(BOOTSTRAP_METHOD.contains(&BOOTSTRAP_RUNS.to_string()));
}

#[test]
fn quartile_margins_cover_about_95_percent() {
    // The target is what the estimator reads from the exact histogram (the
    // margin covers the noise only); for these evenly spread ages it is
    // close to the data's own quartiles (31.68, 47.5, 63.68 → 32, 48, 64).
    let s = quartile_survey("0.5");
    let exact = build_with(prepare(&s, None).unwrap(), ages(), meta(), &mut |_| 0).unwrap();
    let exact = exact.tables[0].quantiles[0].clone();
    let truth = [exact.q1.unwrap(), exact.median.unwrap(), exact.q3.unwrap()];
    for (t, data) in truth.iter().zip([32.0, 48.0, 64.0]) {
        assert!((t - data).abs() < 1.5, "{truth:?}");
    }
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let runs = 200;
    let mut covered = [0usize; 3];
    for _ in 0..runs {
        let q = quartile_release("0.5", &mut rng);
        let est = [q.q1.unwrap(), q.median.unwrap(), q.q3.unwrap()];
        for (((c, e), m), t) in covered.iter_mut().zip(est).zip(margins(&q)).zip(truth) {
            if (e - t).abs() <= m {
                *c += 1;
            }
        }
    }
    for c in covered {
        assert!(c * 100 >= runs * 85, "coverage {covered:?} of {runs}");
    }
}

#[test]
fn html_links_the_json_and_each_tables_csv() {
    let r = report("1", 5);
    for lang in ["en", "ru"] {
        let html = render_html(&r, lang);
        // Relative to /results/{survey}/{release}.
        assert!(html.contains("<a href=\"2025-03-01.1.json\""), "{lang}");
        for t in &r.tables {
            assert!(
                html.contains(&format!("<a href=\"2025-03-01.1/{}.csv\"", t.id)),
                "{lang}: {}",
                t.id
            );
        }
    }
    let mut odd = r.clone();
    odd.release_id = "a b:c/ü".into();
    odd.tables[0].id = "x&y".into();
    let html = render_html(&odd, "en");
    assert!(html.contains("href=\"a%20b%3Ac%2F%C3%BC.json\""));
    assert!(html.contains("href=\"a%20b%3Ac%2F%C3%BC/x%26y.csv\""));
}

/// A report of incidents: up to 4 per respondent, counted over instances.
const INCIDENTS: &str = r#"
id = "incidents"
version = 1
languages = ["en", "ru"]
privacy_budget = 10
title = { en = "Incidents", ru = "Случаи" }

[[questions]]
id = "country"
type = "single_choice"
label = { en = "Country?", ru = "Страна?" }
choices = [
  { id = "ge", label = { en = "Georgia", ru = "Грузия" } },
  { id = "kz", label = { en = "Kazakhstan", ru = "Казахстан" } },
]

[[questions]]
id = "incidents"
type = "repeat"
label = { en = "Incidents", ru = "Случаи" }
max = 4

[[questions.questions]]
id = "by"
type = "multiple_choice"
max_selected = 2
label = { en = "Who did it?", ru = "Кто это сделал?" }
choices = [
  { id = "police", label = { en = "Police", ru = "Полиция" } },
  { id = "medics", label = { en = "Medical staff", ru = "Медики" } },
  { id = "other", label = { en = "Someone else", ru = "Другие" } },
]

[[questions.questions]]
id = "where"
type = "single_choice"
label = { en = "Where?", ru = "Где?" }
choices = [
  { id = "street", label = { en = "Street", ru = "Улица" } },
  { id = "clinic", label = { en = "Clinic", ru = "Клиника" } },
]

[publication]
small_cell_threshold = 0

[[publication.tables]]
id = "country"
question = "country"
statistic = "counts"
epsilon = 1

[[publication.tables]]
id = "incidents"
question = "incidents"
statistic = "instances"
by = ["country"]
epsilon = 1

[[publication.tables]]
id = "where"
question = "where"
statistic = "counts"
epsilon = 1

[[publication.tables]]
id = "by"
question = "by"
statistic = "counts"
mechanism = "gaussian"
epsilon = 0.5
"#;

fn incident(by: &[&str], place: &str) -> Answers {
    Answers::from([
        (
            "by".to_string(),
            Answer::Choices(by.iter().map(|s| s.to_string()).collect()),
        ),
        ("where".to_string(), Answer::Text(place.into())),
    ])
}

fn incidents_responses() -> Vec<Answers> {
    let reply = |country: &str, incidents: Vec<Answers>| {
        Answers::from([
            ("country".to_string(), Answer::Text(country.into())),
            ("incidents".to_string(), Answer::Repeat(incidents)),
        ])
    };
    vec![
        reply("ge", vec![incident(&["police"], "street")]),
        reply(
            "ge",
            vec![
                incident(&["police", "medics"], "clinic"),
                incident(&["medics", "other", "police"], "clinic"),
            ],
        ),
        // Six instances stored (validation would refuse them): four count.
        reply("kz", vec![incident(&["police"], "street"); 6]),
        reply("kz", vec![]),
    ]
}

#[test]
fn tables_over_instances_publish_with_noise_scaled_by_max() {
    let s = surveys::parse_survey(INCIDENTS).unwrap();
    let plan = prepare(&s, None).unwrap();
    let r = build_with(plan, incidents_responses(), meta(), &mut |_| 0).unwrap();
    let t = |id: &str| r.tables.iter().find(|t| t.id == id).unwrap();
    let noisy = |id: &str| t(id).cells.iter().map(|c| c.noisy).collect::<Vec<_>>();
    assert_eq!(noisy("country"), [2, 2]);
    assert_eq!(noisy("incidents"), [3, 4]);
    assert_eq!(noisy("where"), [5, 2]);
    assert_eq!(noisy("by"), [6, 2, 1]);
    // Sensitivity and noise: Δ₁ = max = 4 (Laplace scale 4/ε = 4), against
    // 1 for the respondents' own question.
    assert!(t("country").over_instances.is_none());
    assert_eq!(t("country").parts[0].scale.as_deref(), Some("1"));
    let over = t("where").over_instances.as_ref().unwrap();
    assert_eq!((over.repeat.as_str(), over.max), ("incidents", 4));
    assert_eq!(
        (
            t("where").parts[0].sensitivity_l1,
            t("where").parts[0].sensitivity_l2_squared
        ),
        (4, 16)
    );
    assert_eq!(t("where").parts[0].scale.as_deref(), Some("4"));
    assert_eq!(t("incidents").parts[0].scale.as_deref(), Some("4"));
    assert!(
        t("where").margin95 > 3 * t("country").margin95,
        "the margin grows with max"
    );
    // Gaussian, two ticks per instance: Δ₂² = 4²·2 = 32, σ² = Δ₂²/ε² = 128.
    assert_eq!(t("by").parts[0].sensitivity_l2_squared, 32);
    assert_eq!(t("by").parts[0].sigma2.as_deref(), Some("128"));

    // The report says what was counted, with the bound, in each language.
    let json = render_json(&r);
    assert!(json.contains("\"over_instances\""), "{json}");
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let en = render_html(&r, "en");
    assert!(en.contains("Where? — counted per “Incidents”"), "{en}");
    assert!(en.contains("Incidents — number of instances"), "{en}");
    assert!(
        en.contains("not of people: one person could give up to 4 (only their first 4 are counted), so the noise is scaled up 4-fold"),
        "{en}"
    );
    assert!(en.contains("Some tables count instances"), "{en}");
    assert_eq!(
        en.matches("not of people").count(),
        3,
        "one note per table over instances"
    );
    let ru = render_html(&r, "ru");
    assert!(ru.contains("один человек мог указать до 4"), "{ru}");
    assert!(
        ru.contains("Некоторые таблицы считают не людей, а записи"),
        "{ru}"
    );
    // A release with no table over instances has neither.
    let plain = with_noise(&planned("5"), responses(), &mut |_| 0);
    let html = render_html(&plain, "en");
    assert!(!html.contains("Some tables count instances") && !html.contains("not of people"));
    assert!(!render_json(&plain).contains("over_instances"));
}

/// The charge of a plan over instances is its declared ε, like any other:
/// the larger sensitivity is paid for in noise, not in budget.
#[test]
fn tables_over_instances_cost_their_declared_epsilon() {
    let s = surveys::parse_survey(INCIDENTS).unwrap();
    let c = prepare(&s, None).unwrap().charge();
    assert_eq!(c.laplace, eps("3"));
    assert_eq!(c.rho, Some(eps("1/8")));
}

/// A respondent-driven sample: the network size is in 1..=10, so weights
/// are in units of 1/10 000 (unit = 1000 · 10) and one respondent weighs at
/// most 10 000 units.
const RDS: &str = r#"
id = "rds"
version = 1
languages = ["en", "ru"]
title = { en = "RDS", ru = "RDS" }
privacy_budget = 10

[[questions]]
id = "group"
type = "single_choice"
label = { en = "Main drug", ru = "Основное вещество" }
choices = [
  { id = "a", label = { en = "Opioids", ru = "Опиоиды" } },
  { id = "b", label = { en = "Stimulants", ru = "Стимуляторы" } },
  { id = "c", label = { en = "Other", ru = "Другое" } },
]

[[questions]]
id = "area"
type = "single_choice"
label = { en = "Area", ru = "Район" }
choices = [{ id = "n", label = { en = "North", ru = "Север" } }, { id = "s", label = { en = "South", ru = "Юг" } }]

[[questions]]
id = "network"
type = "integer"
min = 1
max = 10
label = { en = "People you know", ru = "Сколько людей вы знаете" }

[publication]
small_cell_threshold = 1
[[publication.tables]]
id = "drug"
question = "group"
statistic = "rds_proportion"
degree = "network"
epsilon = 1
[[publication.tables]]
id = "drug_by"
question = "group"
statistic = "rds_proportion"
degree = "network"
by = ["area"]
mechanism = "gaussian"
epsilon = 1
"#;

fn rds_responses() -> Vec<Answers> {
    let r = |group: &str, area: &str, network: Option<i64>| {
        let mut a = Answers::from([
            ("group".to_string(), Answer::Text(group.into())),
            ("area".to_string(), Answer::Text(area.into())),
        ]);
        if let Some(d) = network {
            a.insert("network".into(), Answer::Integer(d));
        }
        a
    };
    vec![
        r("a", "n", Some(1)),
        r("a", "s", Some(2)),
        r("b", "n", Some(4)),
        r("b", "n", Some(5)),
        r("b", "s", Some(10)),
        r("c", "s", Some(3)),
        // No network size: in no cell.
        r("c", "n", None),
    ]
}

/// With no noise the published share is the RDS-II estimate
/// p_k = Σ_{i∈k} 1/dᵢ / Σᵢ 1/dᵢ. By hand, with degrees a: 1, 2; b: 4, 5,
/// 10; c: 3 (the respondent without a degree is left out):
/// Σ 1/d = 1.5 for a, 0.25 + 0.2 + 0.1 = 0.55 for b, 1/3 for c, 2.38333 in
/// all, so p = 0.629371, 0.230769, 0.139860. In units of 1/10 000 the cells
/// are 10 000 + 5 000 = 15 000, 2 500 + 2 000 + 1 000 = 5 500 and
/// round(3 333.3) = 3 333, 23 833 in all: p = 15 000/23 833 = 0.629379,
/// 0.230772, 0.139848. Each weight is off by at most 1/2000 of itself (half
/// a unit of 1/(1000·max)), so each share by at most 1/1000 of itself.
#[test]
fn rds_shares_are_the_rds_ii_estimate_under_zero_noise() {
    let s = surveys::parse_survey(RDS).unwrap();
    let r = with_noise(&s, rds_responses(), &mut |_| 0);
    let t = &r.tables[0];
    assert_eq!(t.statistic, "rds_proportion");
    let noisy: Vec<i64> = t.cells.iter().map(|c| c.noisy).collect();
    assert_eq!(noisy, [15_000, 5_500, 3_333]);
    let rds = t.rds.as_ref().unwrap();
    assert_eq!(
        (
            rds.degree.as_str(),
            rds.degree_min,
            rds.degree_max,
            rds.unit
        ),
        ("network", 1, 10, 10_000)
    );
    // Δ₁ = round(10 000 / 1); Laplace scale Δ₁/ε.
    assert_eq!(
        (t.parts[0].name.as_str(), t.parts[0].sensitivity_l1),
        ("weight", 10_000)
    );
    assert_eq!(t.parts[0].scale.as_deref(), Some("10000"));
    let exact = [1.5, 0.55, 1.0 / 3.0];
    let all: f64 = exact.iter().sum();
    for ((p, e), w) in t
        .proportions
        .iter()
        .zip(exact)
        .zip([15_000.0, 5_500.0, 3_333.0])
    {
        let got = p.proportion.unwrap();
        assert_eq!(got, w / 23_833.0);
        assert!(
            (got - e / all).abs() <= e / all / 1000.0,
            "{got} vs {}",
            e / all
        );
        // No noise to simulate: the bootstrap moves nothing.
        assert_eq!(p.margin95_approx, Some(0.0));
    }
    // Threshold 1: hidden below one respondent of the smallest degree.
    assert_eq!(rds.suppressed_below, 10_000);
    let hidden: Vec<bool> = t.proportions.iter().map(|p| p.suppressed).collect();
    assert_eq!(hidden, [false, true, true]);
    // The total is the denominator.
    assert_eq!(t.totals[0].noisy, 23_833);
    // By area: north a 10 000, b 2 500 + 2 000; south a 5 000, b 1 000, c 3 333.
    let by = &r.tables[1];
    let noisy: Vec<i64> = by.cells.iter().map(|c| c.noisy).collect();
    assert_eq!(noisy, [10_000, 4_500, 0, 5_000, 1_000, 3_333]);
    let shares: Vec<f64> = by
        .proportions
        .iter()
        .map(|p| p.proportion.unwrap())
        .collect();
    assert_eq!(shares[..3], [10_000.0 / 14_500.0, 4_500.0 / 14_500.0, 0.0]);
    assert_eq!(by.parts[0].sensitivity_l2_squared, 100_000_000);
    assert_eq!(by.parts[0].sigma2.as_deref(), Some("100000000"));
}

/// Whatever the noise, each share is its released cell (negative taken as
/// 0) over the sum of its group's, and nothing else.
#[test]
fn rds_shares_are_ratios_of_the_released_cells() {
    let s = surveys::parse_survey(RDS).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let plan = prepare(&s, None).unwrap();
    let r = build_report(plan, rds_responses(), meta(), &mut rng).unwrap();
    for t in &r.tables {
        let k = t.columns.len();
        assert_eq!(t.proportions.len(), t.cells.len());
        for (cells, props) in t.cells.chunks(k).zip(t.proportions.chunks(k)) {
            let shown: Vec<f64> = cells.iter().map(|c| c.noisy.max(0) as f64).collect();
            let sum: f64 = shown.iter().sum();
            for ((c, p), v) in cells.iter().zip(props).zip(&shown) {
                assert_eq!((&p.group, &p.choice), (&c.group, &c.choice));
                assert_eq!(p.proportion, (sum > 0.0).then(|| v / sum));
                assert_eq!(p.suppressed, c.noisy < 10_000);
                if p.proportion.is_some() {
                    let m = p.margin95_approx.unwrap();
                    assert!(m > 0.0 && m <= 1.0, "{m}");
                }
            }
        }
    }
    // A stub whose noise sends one cell below zero: it counts as 0.
    let mut n = 0;
    let r = with_noise(&s, rds_responses(), &mut |_| {
        n += 1;
        if n == 2 { -9_000 } else { 0 }
    });
    let shares: Vec<Option<f64>> = r.tables[0]
        .proportions
        .iter()
        .map(|p| p.proportion)
        .collect();
    assert_eq!(r.tables[0].cells[1].noisy, 5_500 - 9_000);
    assert_eq!(
        shares,
        [
            Some(15_000.0 / 18_333.0),
            Some(0.0),
            Some(3_333.0 / 18_333.0)
        ]
    );
}

#[test]
fn rds_shares_are_published_in_json_html_and_csv() {
    let s = surveys::parse_survey(RDS).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let r = build_report(
        prepare(&s, None).unwrap(),
        rds_responses(),
        meta(),
        &mut rng,
    )
    .unwrap();
    let json = render_json(&r);
    for key in [
        "\"rds\"",
        "\"proportions\"",
        "\"margin95_approx\"",
        "\"suppressed_below\"",
    ] {
        assert!(json.contains(key), "{key}: {json}");
    }
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let en = render_html(&r, "en");
    assert!(
        en.contains("Main drug — estimated shares (respondent-driven sampling)"),
        "{en}"
    );
    assert!(
        en.contains("Weighted by the inverse of reported network size (RDS-II)"),
        "{en}"
    );
    assert!(
        en.contains("(“People you know”, taken between 1 and 10)"),
        "{en}"
    );
    assert!(en.contains("Estimated share (RDS-II)"), "{en}");
    assert!(
        en.contains("the RDS-II estimator of Volz and Heckathorn"),
        "{en}"
    );
    let ru = render_html(&r, "ru");
    assert!(
        ru.contains("Взвешено обратно пропорционально названному размеру сети знакомств (RDS-II)"),
        "{ru}"
    );
    assert!(ru.contains("оценка RDS-II Вольца и Хекаторна"), "{ru}");
    let plain = render_html(&with_noise(&planned("5"), responses(), &mut |_| 0), "en");
    assert!(!plain.contains("RDS-II"));
    let zero = with_noise(&s, rds_responses(), &mut |_| 0);
    let csv = render_csv(&zero, &zero.tables[0]);
    assert!(csv.contains("weight,a,Opioids,15000,"), "{csv}");
    assert!(csv.contains("weight,b,Stimulants,< 10000,"), "{csv}");
    assert!(csv.contains("share,a,Opioids,0.6294,0.0000,"), "{csv}");
    assert!(csv.contains("share,b,Stimulants,weight < 10000,"), "{csv}");
}
