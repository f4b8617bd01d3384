//! Unfinished answers kept on the phone (a survey with `drafts = true`),
//! in headless Chromium: nothing is kept until the member chooses a
//! passphrase; then the draft is locked (no answer's text in IndexedDB),
//! survives a browser restart, opens only with its passphrase, continues
//! where the member stopped, and is deleted on Submit, by the member's own
//! control and by the quick exit — which keeps answers waiting to be sent.

use std::time::{Duration, Instant};

use serde_json::json;
use surveys::i18n::{Ui, ui};

use crate::helpers::TestApp;
use crate::offline::{contains, idb_values, wait_until};
use crate::sealed::{SURVEY_ID, survey_text, test_key};
use crate::webdriver::{Driver, wait_gone};

const DRAFTS_ID: &str = "long-needs";
const CANARY: &str = "canary-draft-8817: beaten at the station in Osh";
const PASSPHRASE: &str = "river-bread-41";

/// A sealed survey of two pages that allows drafts.
fn drafts_survey(key: &seal::PublicKey) -> String {
    format!(
        r#"public_keys = ["{key}"]
id = "{DRAFTS_ID}"
version = 1
languages = ["en", "ru"]
title = {{ en = "Long needs", ru = "Долгий опрос" }}
privacy_budget = 1
drafts = true

[[sections]]
id = "where"
title = {{ en = "Where", ru = "Где" }}

[[sections]]
id = "what"
title = {{ en = "What happened", ru = "Что случилось" }}

[[questions]]
id = "country"
section = "where"
type = "single_choice"
required = true
label = {{ en = "Country", ru = "Страна" }}
choices = [
  {{ id = "kg", label = {{ en = "Kyrgyzstan", ru = "Кыргызстан" }} }},
  {{ id = "canarystan", label = {{ en = "Canarystan", ru = "Канарейстан" }} }},
]

[[questions]]
id = "story"
section = "what"
type = "long_text"
label = {{ en = "What happened?", ru = "Что случилось?" }}
"#
    )
}

struct Setup {
    _keys: tempfile::TempDir,
    _folder: tempfile::TempDir,
    app: TestApp,
}

/// A collector with the drafts survey and the plain sealed one (no drafts).
fn setup() -> Setup {
    assert!(
        crate::helpers::repo_root()
            .join("dist")
            .join("index.html")
            .is_file(),
        "the frontend is not built: run `trunk build --release` (scripts/test.sh does)"
    );
    let keys = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys.path(), "team");
    let folder = tempfile::tempdir().expect("tempdir");
    let public = key.secret.public();
    std::fs::write(
        folder.path().join(format!("{DRAFTS_ID}.toml")),
        drafts_survey(public),
    )
    .expect("write");
    std::fs::write(
        folder.path().join(format!("{SURVEY_ID}.toml")),
        survey_text(&[public], 1),
    )
    .expect("write");
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    Setup {
        _keys: keys,
        _folder: folder,
        app,
    }
}

fn drafts_kept(browser: &Driver) -> Vec<Vec<u8>> {
    idb_values(browser, "chorus-drafts", "drafts")
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn open_list(browser: &Driver, app: &TestApp) {
    browser.goto(&app.url("/"));
    wait_gone(browser, "#ssr");
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text("h1", ui("en", Ui::OpenSurveys));
}

/// Sets a password field's value (cleared first).
fn set(browser: &Driver, css: &str, text: &str) {
    browser.run(
        "document.querySelector(arguments[0]).value = '';",
        json!([css]),
    );
    browser.type_into(css, text);
}

/// From the list: the drafts survey started, its first page answered, and
/// the answers kept with [`PASSPHRASE`] — after the refusals of a short
/// passphrase and of two that differ.
fn start_and_keep(browser: &Driver) {
    browser.click(&format!(r#"button[data-survey="{DRAFTS_ID}"]"#));
    browser.wait_text("h1", "Long needs");
    browser.click("#q-country-canarystan");
    browser.wait_text("#keep h2", ui("en", Ui::KeepHeading));
    assert!(
        drafts_kept(browser).is_empty(),
        "nothing before a passphrase"
    );

    set(browser, "#keep-passphrase", "short");
    set(browser, "#keep-passphrase-again", "short");
    browser.click("#keep-answers");
    browser.wait_text("#keep-note", ui("en", Ui::PassphraseShort));
    set(browser, "#keep-passphrase", PASSPHRASE);
    set(browser, "#keep-passphrase-again", "river-bread-42");
    browser.click("#keep-answers");
    browser.wait_text("#keep-note", ui("en", Ui::PassphraseDiffers));
    assert!(drafts_kept(browser).is_empty());

    set(browser, "#keep-passphrase-again", PASSPHRASE);
    browser.click("#keep-answers");
    browser.wait_text("#kept-note", ui("en", Ui::KeptNote));
    assert_eq!(drafts_kept(browser).len(), 1);
}

/// Kept, continued on the next page, the browser closed: the phone holds
/// one locked draft and none of the answers' text; the passphrase (not
/// another) opens it on the page where the member stopped, with what they
/// typed; Submit stores it once and deletes the draft.
#[test]
fn a_kept_draft_is_locked_survives_a_restart_and_is_deleted_on_submit() {
    let s = setup();
    let browser = Driver::start();
    open_list(&browser, &s.app);
    assert!(browser.try_find("#unfinished").is_none());
    start_and_keep(&browser);
    browser.click("button#next");
    browser.wait_text("h2#section-title", "What happened");
    let before = drafts_kept(&browser);
    browser.type_into("textarea#q-story", CANARY);
    // Saved a moment after the change.
    wait_for("the draft saved again", || drafts_kept(&browser) != before);

    let kept = drafts_kept(&browser);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].starts_with(b"CHD1"));
    for needle in [CANARY, "canarystan", DRAFTS_ID, PASSPHRASE] {
        assert!(!contains(&kept[0], needle), "the draft shows `{needle}`");
    }
    assert!(
        idb_values(&browser, "chorus", "outbox").is_empty(),
        "nothing waits to be sent"
    );

    let browser = browser.restart();
    open_list(&browser, &s.app);
    browser.wait_text(
        "#unfinished h2",
        &ui("en", Ui::UnfinishedHeading).replace("{n}", "1"),
    );
    set(&browser, "#unfinished-passphrase", "river-bread-40");
    browser.click("#continue-unfinished");
    browser.wait_text("#unfinished-note", ui("en", Ui::WrongPassphrase));
    set(&browser, "#unfinished-passphrase", PASSPHRASE);
    browser.click("#continue-unfinished");
    browser.wait_text("h2#section-title", "What happened");
    assert_eq!(
        browser.run(
            "return document.querySelector('textarea#q-story').value;",
            json!([])
        ),
        json!(CANARY)
    );
    browser.wait_text("#kept-note", ui("en", Ui::KeptNote));
    browser.click("button#back");
    assert_eq!(
        browser.run(
            "return document.querySelector('#q-country-canarystan').checked;",
            json!([])
        ),
        json!(true)
    );

    browser.click("button#next");
    browser.wait_text("h2#section-title", "What happened");
    browser.click("button#next");
    browser.wait_text("h2#section-title", ui("en", Ui::ReviewHeading));
    browser.click("button#submit");
    browser.wait_text("#confirmation", "Thank");
    assert_eq!(s.app.responses(), 1);
    wait_for("the draft deleted", || drafts_kept(&browser).is_empty());
    open_list(&browser, &s.app);
    assert!(browser.try_find("#unfinished").is_none());
}

/// The member's own control on the list deletes the draft; the quick exit
/// deletes a draft too, but keeps an answer waiting to be sent. A survey
/// without `drafts` offers nothing.
#[test]
fn drafts_are_deleted_by_the_member_and_by_the_quick_exit_which_keeps_waiting_answers() {
    let s = setup();
    let browser = Driver::start();
    open_list(&browser, &s.app);

    // No drafts for the survey that does not allow them.
    browser.click(&format!(r#"button[data-survey="{SURVEY_ID}"]"#));
    browser.wait_text("h1", "Sealed");
    assert!(browser.try_find("#keep").is_none());
    browser.click("#leave");

    // Kept, left for the list, deleted there (after a confirmation).
    browser.wait_text("h1", ui("en", Ui::OpenSurveys));
    start_and_keep(&browser);
    browser.click("#leave");
    browser.wait_text(
        "#unfinished h2",
        &ui("en", Ui::UnfinishedHeading).replace("{n}", "1"),
    );
    browser.click("#delete-unfinished");
    browser.wait_text(
        "#delete-unfinished-question",
        ui("en", Ui::DeleteKeptConfirm),
    );
    browser.click("#delete-unfinished-confirm");
    wait_gone(&browser, "#unfinished");
    assert!(drafts_kept(&browser).is_empty());

    // A new draft; then an answer to the other survey submitted while the
    // collector is down (it waits on the phone); then the quick exit, on
    // the runner reopened offline.
    start_and_keep(&browser);
    browser.click("#leave");
    browser.click(&format!(r#"button[data-survey="{SURVEY_ID}"]"#));
    browser.wait_text("h1", "Sealed");
    browser.click("#q-country-canaryland");
    browser.click("button#next");
    browser.wait_text("h2#section-title", ui("en", Ui::ReviewHeading));
    let Setup {
        app,
        _folder: folder,
        _keys: keys,
    } = s;
    let addr = app.addr;
    let dir = app.into_dir();
    browser.click("button#submit");
    browser.wait_text("#saved h1", ui("en", Ui::SavedHeading));
    // Reopened with the collector down: the runner's shell, from the
    // service worker, offers the draft — and its quick exit deletes it.
    wait_until(
        &browser,
        "the service worker controls the page",
        "const done = arguments[0];\
         navigator.serviceWorker.ready.then(() => done(!!navigator.serviceWorker.controller));",
    );
    browser.goto(&format!("http://{addr}/"));
    browser.wait_text(
        "#unfinished h2",
        &ui("en", Ui::UnfinishedHeading).replace("{n}", "1"),
    );
    assert!(
        browser.try_find("#ssr").is_none(),
        "not the collector's page"
    );
    browser.click("#quick-exit");
    wait_for("left the runner", || {
        !browser
            .run("return location.href;", json!([]))
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("http://{addr}/"))
    });

    // Looked at from a page of the origin where no runner runs.
    let app = crate::helpers::respawn(dir, addr, folder.path(), None);
    browser.goto(&app.url("/api/surveys"));
    assert!(drafts_kept(&browser).is_empty(), "the draft is gone");
    assert_eq!(
        idb_values(&browser, "chorus", "outbox").len(),
        1,
        "the waiting answer is kept"
    );
    // Back in the runner the waiting answer is sent; no draft is offered.
    open_list(&browser, &app);
    browser.wait_text("#outbox-received", ui("en", Ui::QueueReceived));
    assert!(browser.try_find("#unfinished").is_none());
    assert_eq!(app.responses(), 1);
    drop(keys);
}
