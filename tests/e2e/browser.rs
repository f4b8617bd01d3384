//! A member's path in headless Chromium: open the page, switch to Russian,
//! answer the bundled survey, submit, and find the row in the database.
//!
//! Speaks the W3C WebDriver protocol to Debian's chromedriver over plain
//! HTTP (the driver is in `webdriver.rs`); `scripts/test.sh` installs
//! chromium and chromium-driver and builds the frontend into `dist/` before
//! the tests run.

use serde_json::{Value, json};

use crate::helpers::{SURVEY, repo_root, spawn_app};
use crate::webdriver::{Driver, wait_gone};

#[test]
fn a_member_answers_in_russian_and_the_answer_is_stored() {
    assert!(
        repo_root().join("dist").join("index.html").is_file(),
        "the frontend is not built: run `trunk build --release` (scripts/test.sh does)"
    );
    let app = spawn_app(true);
    let browser = Driver::start();
    browser.goto(&app.url("/"));

    browser.click(r#"button[data-lang="ru"]"#);
    browser.wait_text("body", "Открытые опросы");
    browser.click(&format!(r#"button[data-survey="{SURVEY}"]"#));
    browser.wait_text("h1", "Доступ к ОЗТ");

    // Going on without the required country shows the message in Russian.
    browser.click("button#next");
    browser.wait_text("#err-country", "Это обязательный вопрос.");
    assert_eq!(app.responses(), 0);

    browser.click("#q-country-ge");
    browser.click("#q-services_used-ost");
    browser.click("#q-services_used-hiv_test");
    browser.click("#q-barriers-police");
    browser.type_into("#q-travel_minutes", "35");
    // The last page's button opens the review; Submit there sends.
    browser.click("button#next");
    browser.wait_text("h2#section-title", "Проверьте ваши ответы");
    browser.click("button#submit");
    browser.wait_text("#confirmation", "Спасибо");

    assert_eq!(app.responses(), 1);
    let answers = app.first_answers();
    assert_eq!(
        answers,
        json!({
            "country": "ge",
            "services_used": ["ost", "hiv_test"],
            "barriers": ["police"],
            "travel_minutes": 35
        })
    );
}

/// Neither empty nor written in Latin letters.
fn non_latin(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.chars().any(|c| c.is_ascii_alphabetic())
}

#[test]
fn a_member_walks_the_consultation_in_kyrgyz_with_skip_logic_and_pages() {
    use surveys::i18n::{Ui, ui};
    const CONSULTATION: &str = "network-priorities";
    assert!(
        repo_root().join("dist").join("index.html").is_file(),
        "the frontend is not built: run `trunk build --release` (scripts/test.sh does)"
    );
    let app = spawn_app(true);
    let browser = Driver::start();
    browser.goto(&app.url("/"));

    // The runner and the survey both speak Kyrgyz.
    let survey = surveys::load_file(&crate::helpers::library().join("network-priorities.toml"))
        .expect("the consultation loads");
    assert!(
        survey.languages.iter().any(|l| l == "ky"),
        "the consultation has Kyrgyz texts"
    );
    let section = |i: usize| survey.sections[i].title.get("ky", "ru").to_string();
    browser.click(r#"button[data-lang="ky"]"#);
    browser.wait_text("body", ui("ky", Ui::OpenSurveys));
    browser.click(&format!(r#"button[data-survey="{CONSULTATION}"]"#));
    browser.wait_text("h1", survey.title.get("ky", "ru"));
    let page = |x: usize, y: usize| {
        ui("ky", Ui::PageXOfY)
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    };
    browser.wait_text("#page-indicator", &page(1, 4));
    let title = browser.wait_text("h2#section-title", &section(0));
    assert!(non_latin(&title), "section title {title:?}");
    assert_eq!(browser.text("button#next"), ui("ky", Ui::Next));

    // Next checks this page only: consent and country are required.
    browser.click("button#next");
    browser.wait_text("#err-consent", "");
    assert!(browser.try_find("#err-country").is_some());
    browser.click("#q-consent");
    browser.click("#q-country-kg");
    browser.click("button#next");
    browser.wait_text("h2#section-title", &section(1));
    browser.wait_text("#page-indicator", &page(2, 4));

    // Ranking without drag and drop: a rank select per option.
    browser.click(r#"select#q-top_priorities-rank-registry option[value="1"]"#);
    browser.click(r#"select#q-top_priorities-rank-decrim option[value="2"]"#);
    browser.click(r#"select#q-top_priorities-rank-naloxone option[value="3"]"#);
    browser.click("button#next");
    browser.wait_text("h2#section-title", &section(2));

    // The grid: one group of radios per statement.
    browser.click("#q-positions-police_away-5");
    browser.click("button#next");
    browser.wait_text("h2#section-title", &section(3));
    browser.wait_text("#page-indicator", &page(4, 4));

    // Skip logic: a low rating asks why; a higher one takes it away.
    assert!(
        browser
            .try_find(r#"[data-question="why_not_represented"]"#)
            .is_none()
    );
    browser.click("#q-represented-2");
    browser.click("#q-why_not_represented-unsafe");
    browser.click("#q-represented-4");
    wait_gone(&browser, r#"[data-question="why_not_represented"]"#);
    browser.type_into("textarea#q-comment", "Больше встреч в регионах.");

    // Back keeps the answers; the last page leads to the review, which sends.
    browser.click("button#back");
    browser.wait_text("h2#section-title", &section(2));
    browser.click("button#next");
    browser.wait_text("h2#section-title", &section(3));
    browser.click("button#next");
    browser.wait_text("h2#section-title", "Жоопторуңузду текшериңиз");
    browser.click("button#submit");
    browser.wait_text("#confirmation", "Рахмат");

    assert_eq!(app.responses(), 1);
    let answers = app.first_answers();
    // The hidden follow-up's tick was not sent.
    assert_eq!(
        answers,
        json!({
            "consent": true,
            "country": "kg",
            "top_priorities": ["registry", "decrim", "naloxone"],
            "positions": {"police_away": "5"},
            "represented": 4,
            "comment": "Больше встреч в регионах."
        })
    );
}

/// A sealed survey answered in the browser: the collector stores only the
/// envelope (no canary of the answers in the database or its WAL), and
/// `chorus export --key` on the researcher's side gives back exactly the
/// answers.
#[test]
fn a_sealed_survey_answered_in_the_browser_opens_only_with_the_key() {
    use crate::sealed::{SURVEY_ID, survey_folder, test_key};
    assert!(
        repo_root().join("dist").join("index.html").is_file(),
        "the frontend is not built: run `trunk build --release` (scripts/test.sh does)"
    );
    let keys = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    browser.goto(&app.url("/"));

    browser.click(r#"button[data-lang="en"]"#);
    browser.click(&format!(r#"button[data-survey="{SURVEY_ID}"]"#));
    browser.wait_text("h1", "Sealed");
    browser.click("#q-country-canaryland");
    let story = "canary-browser-8812: they took my phone, Kyiv district";
    browser.type_into("textarea#q-story", story);
    browser.click("button#next");
    browser.wait_text("h2#section-title", "Check your answers");
    browser.click("button#submit");
    browser.wait_text("#confirmation", "Thank");
    assert_eq!(app.responses(), 1);

    let out = app.dir.path().join("export.json");
    let export = crate::helpers::chorus(
        &[
            "export",
            SURVEY_ID,
            "--format",
            "json",
            "--db",
            &app.db,
            "--surveys",
            &folder.path().display().to_string(),
            "--out",
            &out.display().to_string(),
            "--key",
            &key.file.display().to_string(),
            "--passphrase-file",
            &key.passphrase_file.display().to_string(),
        ],
        app.dir.path(),
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let row: Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .expect("export")
            .lines()
            .next()
            .expect("one row"),
    )
    .expect("json");
    assert_eq!(row["country"], json!("canaryland"));
    assert_eq!(row["story"], json!(story));

    let db = app.db_path().to_path_buf();
    let dir = app.into_dir();
    for path in [db.clone(), db.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("canary-browser-8812"),
                "{} holds the free text",
                path.display()
            );
        }
    }
    drop(dir);
}

/// The wasm carries only English: the runner takes the words of the page's
/// language from the page itself (no request), and fetches another
/// language once, when the member first switches to it.
#[test]
fn the_runner_takes_its_words_from_the_page_and_fetches_another_language_once() {
    use surveys::i18n::{Ui, ui};
    let app = spawn_app(true);
    let browser = Driver::start();
    browser.goto(&app.url("/?lang=ka"));
    wait_gone(&browser, "#ssr");
    browser.wait_text("body", ui("ka", Ui::OpenSurveys));
    let requests = |lang: &str| {
        browser.run(
            "return performance.getEntriesByType('resource')\
               .filter(e => new URL(e.name).pathname === arguments[0]).length;",
            json!([format!("/api/ui/{lang}")]),
        )
    };
    assert_eq!(requests("ka"), json!(0), "Georgian came with the page");
    browser.click(r#"button[data-lang="kk"]"#);
    browser.wait_text("body", ui("kk", Ui::OpenSurveys));
    // (Hidden until focused: its text is read from the DOM.)
    assert_eq!(
        browser.run(
            "return document.querySelector('.skip-link').textContent;",
            json!([])
        ),
        json!(ui("kk", Ui::SkipToContent))
    );
    browser.click(r#"button[data-lang="ka"]"#);
    browser.wait_text("body", ui("ka", Ui::OpenSurveys));
    browser.click(r#"button[data-lang="kk"]"#);
    browser.wait_text("body", ui("kk", Ui::OpenSurveys));
    assert_eq!(requests("kk"), json!(1), "Kazakh was fetched once");
    assert_eq!(requests("ka"), json!(0));
}
