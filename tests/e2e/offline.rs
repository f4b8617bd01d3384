//! The offline outbox in headless Chromium: a survey answered with no
//! network (DevTools network emulation) or with the collector stopped waits
//! on the device, sealed, and is stored exactly once when the collector can
//! be reached again — under the survey version it was made for, across an
//! update of the app — or, refused for good, is shown and then removed.
//!
//! "Offline" is DevTools' network emulation for the page together with the
//! collector stopped: the emulation does not reach the service worker's
//! own requests, a stopped collector does.
//!
//! Each browser has a fresh profile: its service worker, Cache Storage and
//! IndexedDB start empty. A collector stopped and started again keeps its
//! port, so the browser sees the same origin.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use surveys::i18n::{Ui, ui};

use crate::helpers::{TestApp, repo_root, respawn};
use crate::sealed::{SURVEY_ID, survey_folder, test_key};
use crate::webdriver::{Driver, wait_gone};

const CANARY: &str = "canary-offline-5531: they took my phone in Balti";

fn assert_built() {
    assert!(
        repo_root().join("dist").join("index.html").is_file(),
        "the frontend is not built: run `trunk build --release` (scripts/test.sh does)"
    );
}

/// DevTools' offline switch for the page (and what it fetches).
fn offline(browser: &Driver, off: bool) {
    browser.cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": off, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    );
}

/// Polls an asynchronous script until it returns `true`.
pub(crate) fn wait_until(browser: &Driver, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.run_async(script, json!([])) != json!(true) {
        assert!(Instant::now() < deadline, "never true: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens the runner online and waits until its service worker controls
/// the page and has kept the survey's definition for use offline.
fn open_online(browser: &Driver, app: &TestApp) {
    browser.goto(&app.url("/"));
    wait_gone(browser, "#ssr");
    wait_until(
        browser,
        "the service worker controls the page",
        "const done = arguments[0];\
         navigator.serviceWorker.ready.then(() => done(!!navigator.serviceWorker.controller));",
    );
    wait_until(
        browser,
        "the definition is kept",
        &format!(
            "const done = arguments[0];\
             caches.match('/api/surveys/{SURVEY_ID}').then(r => done(!!r), () => done(false));"
        ),
    );
}

/// The values of an IndexedDB database's one store, as bytes (`[]` when
/// the database or store does not exist: asking creates neither).
pub(crate) fn idb_values(browser: &Driver, database: &str, store: &str) -> Vec<Vec<u8>> {
    let v = browser.run_async(
        "const [database, store, done] = arguments;\
         const open = indexedDB.open(database);\
         open.onupgradeneeded = () => open.transaction.abort();\
         open.onerror = () => done([]);\
         open.onsuccess = () => {\
           const db = open.result;\
           if (!db.objectStoreNames.contains(store)) { db.close(); return done([]); }\
           const all = db.transaction(store).objectStore(store).getAll();\
           all.onsuccess = () => { db.close(); done(all.result.map(v => Array.from(v))); };\
           all.onerror = () => done('error');\
         };",
        json!([database, store]),
    );
    serde_json::from_value(v.clone()).unwrap_or_else(|_| panic!("{database} values: {v}"))
}

/// The values of the runner's outbox in IndexedDB, as bytes.
fn outbox_values(browser: &Driver) -> Vec<Vec<u8>> {
    idb_values(browser, "chorus", "outbox")
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every body in the service worker's caches, as text.
fn cached_texts(browser: &Driver) -> Vec<String> {
    let v = browser.run_async(
        "const done = arguments[0];\
         (async () => {\
           const out = [];\
           for (const name of await caches.keys()) {\
             const cache = await caches.open(name);\
             for (const req of await cache.keys()) {\
               out.push(await (await cache.match(req)).text());\
             }\
           }\
           return out;\
         })().then(done, e => done(String(e)));",
        json!([]),
    );
    serde_json::from_value(v.clone()).unwrap_or_else(|_| panic!("cache texts: {v}"))
}

/// In English, from the list: the sealed survey answered up to its review.
fn answer_to_review(browser: &Driver) {
    browser.click(r#"button[data-lang="en"]"#);
    browser.click(&format!(r#"button[data-survey="{SURVEY_ID}"]"#));
    browser.wait_text("h1", "Sealed");
    browser.click("#q-country-canaryland");
    browser.type_into("textarea#q-story", CANARY);
    browser.click("button#next");
    browser.wait_text("h2#section-title", ui("en", Ui::ReviewHeading));
}

fn saved(browser: &Driver) {
    browser.wait_text("#saved h1", ui("en", Ui::SavedHeading));
    browser.wait_text(
        "#waiting-count",
        &ui("en", Ui::WaitingToSend).replace("{n}", "1"),
    );
}

fn stored_versions(app: &TestApp) -> Vec<i64> {
    app.rows().iter().map(|(_, r)| r.survey_version).collect()
}

fn keys_dir() -> (tempfile::TempDir, crate::sealed::TestKey) {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys.path(), "team");
    (keys, key)
}

/// Open online, go offline, reload from the service worker, answer,
/// submit: "waiting"; reload again, close the browser and open it again; go
/// online: stored exactly once and the
/// outbox empty. What waits is the envelope: neither IndexedDB nor the
/// caches hold the answers' text.
#[test]
fn an_answer_submitted_offline_waits_sealed_on_the_device_and_is_stored_once_online() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);

    // No network: DevTools' offline switch for the page, and the collector
    // stopped (the switch does not reach the service worker's own fetches).
    offline(&browser, true);
    let (addr, dir) = stop(app);
    // A phone set to Kyrgyz.
    let agent = browser.run("return navigator.userAgent;", json!([]));
    browser.cdp(
        "Network.setUserAgentOverride",
        json!({"userAgent": agent, "acceptLanguage": "ky-KG,ky;q=0.9"}),
    );
    browser.goto(&format!("http://{addr}/"));
    // The runner's shell from the service worker, not the collector's page
    // (which carries the words in a data block), in the phone's language:
    // its words were kept too.
    browser.wait_text("h1", ui("ky", Ui::OpenSurveys));
    assert_eq!(
        browser.run("return document.getElementById('chorus-words');", json!([])),
        Value::Null
    );
    answer_to_review(&browser);
    browser.click("button#submit");
    saved(&browser);

    let values = outbox_values(&browser);
    assert_eq!(values.len(), 1, "one item waits");
    assert!(values[0].starts_with(b"CHOB"));
    assert!(!contains(&values[0], CANARY) && !contains(&values[0], "canaryland"));
    for text in cached_texts(&browser) {
        assert!(!text.contains(CANARY), "a cache holds the answer");
    }

    // Reloaded offline, the answer still waits; and after the browser was
    // closed and opened again.
    browser.goto(&format!("http://{addr}/"));
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text(
        "#waiting-count",
        &ui("en", Ui::WaitingToSend).replace("{n}", "1"),
    );
    let browser = browser.restart();
    offline(&browser, true);
    browser.goto(&format!("http://{addr}/"));
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text(
        "#waiting-count",
        &ui("en", Ui::WaitingToSend).replace("{n}", "1"),
    );

    // Online again: sent without the member doing anything.
    let app = respawn(dir, addr, folder.path(), None);
    assert_eq!(app.responses(), 0);
    offline(&browser, false);
    browser.wait_text("#outbox-received", ui("en", Ui::QueueReceived));
    assert_eq!(app.responses(), 1);
    assert!(outbox_values(&browser).is_empty(), "nothing is left");
    // Once: "Send now" is gone with the answer; a reload sends nothing.
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(app.responses(), 1);
}

/// Stops the collector and hands back what starts it again on the same
/// port and database.
fn stop(app: TestApp) -> (std::net::SocketAddr, tempfile::TempDir) {
    let addr = app.addr;
    (addr, app.into_dir())
}

/// The collector stopped while the member submits, started again later:
/// stored exactly once ("Send now" and the back-off both sending the same
/// request is harmless: one submission id).
#[test]
fn an_answer_sent_while_the_collector_is_down_is_stored_once_it_is_back() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);
    answer_to_review(&browser);
    let (addr, dir) = stop(app);

    browser.click("button#submit");
    saved(&browser);
    // The quick exit hides; it does not delete what waits.
    browser.click("#quick-exit");
    let app = respawn(dir, addr, folder.path(), None);
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text("#outbox-received", ui("en", Ui::QueueReceived));
    assert_eq!(app.responses(), 1);
    assert!(outbox_values(&browser).is_empty());
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(app.responses(), 1);
}

/// A survey version raised, and a new app (another service worker: the
/// operator renamed it) while an answer waits: the answer is sent as it was
/// made and stored under its version; the new worker waits its turn.
#[test]
fn a_waiting_answer_is_stored_under_its_version_across_a_survey_and_app_update() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);
    answer_to_review(&browser);
    let (addr, dir) = stop(app);
    browser.click("button#submit");
    saved(&browser);

    let raised = survey_folder(&[key.secret.public()], 2);
    let app = respawn(dir, addr, raised.path(), Some("Notes"));
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    wait_until(
        &browser,
        "the new service worker is installed beside the old one",
        "const done = arguments[0];\
         navigator.serviceWorker.getRegistration().then(r => r && r.update().then(\
           () => done(!!(r.waiting || r.installing)), () => done(false)));",
    );
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text("#outbox-received", ui("en", Ui::QueueReceived));
    assert_eq!(stored_versions(&app), [1]);
    assert!(outbox_values(&browser).is_empty());
}

/// A 410 for a closed survey: the member sees the collector's message, and
/// the answer is removed once they have read it — not before.
#[test]
fn a_waiting_answer_refused_for_good_is_shown_then_removed() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);
    answer_to_review(&browser);
    let (addr, dir) = stop(app);
    browser.click("button#submit");
    saved(&browser);

    close_survey(&dir.path().join("chorus.db"));
    let app = respawn(dir, addr, folder.path(), None);
    browser.click("#send-now");
    let refusal = browser.wait_text(".refusal", ui("en", Ui::QueueRefused));
    assert!(refusal.contains("closed"), "{refusal}");
    assert_eq!(outbox_values(&browser).len(), 1, "kept until read");
    browser.click(".refusal .refusal-seen");
    wait_gone(&browser, ".refusal");
    assert!(outbox_values(&browser).is_empty());
    assert_eq!(app.responses(), 0);
}

fn close_survey(db: &Path) {
    collector::store::Store::open(&db.into())
        .expect("open")
        .set_closed(SURVEY_ID, true, "2026-01-01")
        .expect("close");
}

/// The member's own control deletes what waits; nothing is sent later.
#[test]
fn the_member_can_delete_what_waits_on_the_phone() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);
    answer_to_review(&browser);
    let (addr, dir) = stop(app);
    browser.click("button#submit");
    saved(&browser);
    browser.click("#delete-waiting");
    browser.wait_text(
        "#delete-waiting-question",
        ui("en", Ui::DeleteWaitingConfirm),
    );
    browser.click("#delete-waiting-confirm");
    wait_gone(&browser, "#waiting-count");
    assert!(outbox_values(&browser).is_empty());

    let app = respawn(dir, addr, folder.path(), None);
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(app.responses(), 0);
}

/// Where the browser has no IndexedDB (some private windows) the member is
/// told before starting, a failed Submit keeps the answers on the form as
/// before, and sending again once the collector is back works.
#[test]
fn without_indexeddb_the_member_is_told_and_answers_are_sent_online_only() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    browser.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "Object.defineProperty(window, 'indexedDB', {value: null});"}),
    );
    browser.goto(&app.url("/"));
    wait_gone(&browser, "#ssr");
    browser.click(r#"button[data-lang="en"]"#);
    browser.wait_text("#storage-unavailable", ui("en", Ui::NoDeviceStorage));
    answer_to_review(&browser);
    let (addr, dir) = stop(app);
    browser.click("button#submit");
    browser.wait_text("main", ui("en", Ui::NetworkError));
    assert!(browser.try_find("#saved").is_none());

    let app = respawn(dir, addr, folder.path(), None);
    browser.click("button#submit");
    browser.wait_text("#confirmation", "Thank");
    assert_eq!(app.responses(), 1);
}

/// Background Sync (Chromium): an answer saved while the collector was
/// down is sent by the service worker's `sync` handler with no page of the
/// runner open (the page is moved to `about:blank`), and deleted from the
/// device once stored. The browser fires the sync it was asked for as soon
/// as it is online — here while the collector is still down, so that
/// attempt fails and the browser would try again minutes later; the test
/// fires the retry itself, as DevTools' "Sync" button does
/// (`ServiceWorker.dispatchSyncEvent`).
#[test]
fn the_service_worker_sends_what_waits_with_no_page_of_the_runner_open() {
    assert_built();
    let (_keys, key) = keys_dir();
    let folder = survey_folder(&[key.secret.public()], 1);
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let browser = Driver::start();
    open_online(&browser, &app);
    answer_to_review(&browser);
    let (addr, dir) = stop(app);
    browser.click("button#submit");
    saved(&browser);
    wait_until(
        &browser,
        "the page asked for a sync",
        "const done = arguments[0];\
         navigator.serviceWorker.ready.then(r => r.sync.getTags()).then(\
           t => done(t.includes('chorus-outbox')), () => done(false));",
    );
    browser.goto("about:blank");
    let app = respawn(dir, addr, folder.path(), None);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        app.responses(),
        0,
        "nothing sends with no page open but the sync"
    );
    browser.cdp("ServiceWorker.enable", json!({}));
    // The profile's one registration, the first made in it: id 0.
    browser.cdp(
        "ServiceWorker.dispatchSyncEvent",
        json!({"origin": format!("http://{addr}"), "registrationId": "0", "tag": "chorus-outbox", "lastChance": false}),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.responses() == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker never sent the answer"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Looked at from a page of the origin where no runner runs.
    browser.goto(&app.url("/api/surveys"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !outbox_values(&browser).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the stored answer is still on the device"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(app.responses(), 1);
}
