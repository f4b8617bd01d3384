//! The server-rendered runner in headless Chromium, with JavaScript off and
//! on: a member answers without any script; the WASM runner takes over a
//! page without losing what was typed; the quick exit is first after the
//! skip link, speaks the page's language and (with scripts) leaves no way
//! back; every screen of both runners passes axe-core's WCAG 2.1 A and AA
//! rules, fits a 320 px screen, is `no-store` and sets no cookie.
//!
//! Reuses [`Driver`] from `webdriver.rs` (W3C WebDriver against Debian's
//! chromedriver). axe-core is installed into `.tools/` by `scripts/test.sh`
//! (`need_axe` in `scripts/setup.sh`) and injected with WebDriver's
//! `execute`, which Chromium runs outside the page's Content-Security-Policy
//! and whether or not the page may run scripts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use surveys::i18n::{Ui, ui};
use surveys::{Survey, Text};

use crate::helpers::{Resp, TestApp, collect, get, library, repo_root, spawn_app, spawn_app_exit};
use crate::webdriver::{Chrome, Driver, throttle, value, wait_gone, wd};

const CONSULTATION: &str = "network-priorities";
const SHORT: &str = "ost-hiv-access";

fn assert_built() {
    assert!(
        repo_root().join("dist").join("index.html").is_file(),
        "the frontend is not built: run `trunk build --release --offline` (scripts/test.sh does)"
    );
}

fn consultation() -> Survey {
    surveys::load_file(&library().join(format!("{CONSULTATION}.toml")))
        .expect("the consultation loads")
}

/// What this file asks of the browser beyond `webdriver.rs`.
impl Driver {
    fn current_url(&self) -> String {
        value(wd("GET", &self.url("/url"), None), "url")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the checkbox, radio button or option `css` is checked.
    fn selected(&self, css: &str) -> bool {
        let e = self.find(css);
        value(
            wd("GET", &self.url(&format!("/element/{e}/selected")), None),
            css,
        )
        .as_bool()
        .unwrap_or(false)
    }

    /// A DOM property of `css` (`value` of a field, say).
    fn property(&self, css: &str, name: &str) -> Value {
        let e = self.find(css);
        value(
            wd(
                "GET",
                &self.url(&format!("/element/{e}/property/{name}")),
                None,
            ),
            css,
        )
    }

    fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css);
        value(
            wd(
                "GET",
                &self.url(&format!("/element/{e}/attribute/{name}")),
                None,
            ),
            css,
        )
        .as_str()
        .map(str::to_string)
    }

    fn count(&self, css: &str) -> usize {
        let r = wd(
            "POST",
            &self.url("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        );
        value(r, css).as_array().map_or(0, Vec::len)
    }

    fn script_timeout(&self, limit: Duration) {
        let r = wd(
            "POST",
            &self.url("/timeouts"),
            Some(json!({ "script": limit.as_millis() as u64 })),
        );
        value(r, "timeouts");
    }

    fn resize(&self, width: u32, height: u32) {
        let r = wd(
            "POST",
            &self.url("/window/rect"),
            Some(json!({ "width": width, "height": height })),
        );
        value(r, "window rect");
    }

    /// Clicks `css` once scrolled to the middle of the window (WebDriver
    /// scrolls it only to the bottom edge, where the quick exit, fixed in
    /// the corner, would take the click).
    fn tap_on(&self, css: &str) {
        let e = self.find(css);
        self.run(
            "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
            json!([{ crate::webdriver::ELEMENT: e }]),
        );
        self.click(css);
    }

    /// Presses and releases each key in turn (WebDriver key codes, such as
    /// `"\u{E004}"` for Tab).
    fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        let r = wd(
            "POST",
            &self.url("/actions"),
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        value(r, "actions");
    }

    /// Waits (polling, bounded) until `ok` holds.
    fn wait_until(&self, what: &str, ok: impl Fn(&Driver) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every field of the page's form as a click on the button `_go=go`
    /// would post it.
    fn form_body(&self, go: &str) -> String {
        self.run(
            "const d = new FormData(document.getElementById('survey-form'));\
             d.append('_go', arguments[0]);\
             return new URLSearchParams(d).toString();",
            json!([go]),
        )
        .as_str()
        .expect("the form's body")
        .to_string()
    }
}

const TAB: &str = "\u{E004}";
const ESCAPE: &str = "\u{E00C}";

/// The text `ui` has in `lang`, checked to be the language's own (not a
/// fallback to English).
fn own(lang: &str, key: Ui) -> &'static str {
    let t = ui(lang, key);
    if lang != "en" {
        assert_ne!(t, ui("en", key), "{key:?} has no {lang} text");
    }
    t
}

fn page_of(lang: &str, x: usize, y: usize) -> String {
    ui(lang, Ui::PageXOfY)
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string())
}

fn tr<'a>(survey: &'a Survey, text: &'a Text, lang: &str) -> &'a str {
    survey.tr(text, lang)
}

/// The page is the collector's own, not taken over by the WASM runner.
fn assert_server_page(b: &Driver, what: &str) {
    assert!(
        b.try_find("#ssr").is_some(),
        "{what}: the server's page was replaced (scripts ran?)"
    );
}

/// Clicks the label of the input `id` (as a member taps the text).
fn tap(b: &Driver, id: &str) {
    b.tap_on(&format!(r#"label[for="{id}"]"#));
}

/// 1. No scripts at all: a member answers the consultation in Kyrgyz, page
///    by page, by form posts alone.
#[test]
fn a_member_answers_in_kyrgyz_with_javascript_off() {
    assert_built();
    let app = spawn_app(true);
    let b = Driver::start_without_javascript();
    let survey = consultation();
    let ky = "ky";
    let section = |i: usize| tr(&survey, &survey.sections[i].title, ky).to_string();
    let label = |q: &str| tr(&survey, &survey.question(q).expect("question").label, ky).to_string();

    // The list, in Kyrgyz.
    b.goto(&app.url("/?lang=ky"));
    b.wait_text("h1#main-heading", own(ky, Ui::OpenSurveys));
    assert_eq!(b.attribute("html", "lang").as_deref(), Some("ky"));
    assert_server_page(&b, "the list");
    assert_eq!(
        b.text(&format!("#title-{CONSULTATION}")),
        tr(&survey, &survey.title, ky)
    );
    let start = format!(r#"a[data-survey="{CONSULTATION}"]"#);
    assert_eq!(b.text(&start), own(ky, Ui::Start));

    // Its link opens the form's first page.
    b.tap_on(&start);
    b.wait_text("h1#main-heading", tr(&survey, &survey.title, ky));
    assert!(
        b.current_url()
            .ends_with(&format!("/s/{CONSULTATION}?lang=ky")),
        "{}",
        b.current_url()
    );
    b.wait_text("#page-indicator", &page_of(ky, 1, 4));
    assert_eq!(b.text("h2#section-title"), section(0));
    assert!(
        b.try_find("#ssr form#survey-form input[type=hidden][name=_sid]")
            .is_some(),
        "the form is the server's"
    );

    // Consent given, the required country skipped: the error is next to
    // its question, in Kyrgyz, and the summary links to it.
    tap(&b, "q-consent");
    assert_eq!(b.text("button#next"), own(ky, Ui::Next));
    b.tap_on("button#next");
    b.find("#err-country");
    assert_server_page(&b, "the page with errors");
    assert_eq!(b.text("#err-country"), own(ky, Ui::ErrRequired));
    assert!(
        b.try_find(r#"fieldset[data-question="country"][aria-invalid="true"] > #err-country"#)
            .is_some(),
        "the error is inside the country's fieldset, which is aria-invalid"
    );
    let described = b
        .attribute(r#"fieldset[data-question="country"]"#, "aria-describedby")
        .unwrap_or_default();
    assert!(
        described.split(' ').any(|id| id == "err-country"),
        "aria-describedby={described:?}"
    );
    assert!(b.try_find("#err-consent").is_none(), "consent was given");
    assert!(b.selected("#q-consent"), "the consent tick is kept");
    let summary = b.text("#form-errors");
    assert!(
        summary.contains(own(ky, Ui::FixErrors)),
        "summary: {summary:?}"
    );
    assert_eq!(b.count("#form-errors li a"), 1, "one error: {summary:?}");
    let link = b
        .attribute("#form-errors li a", "href")
        .expect("the summary links");
    let target = link.rsplit('#').next().unwrap_or_default().to_string();
    assert!(
        target.starts_with("q-country-"),
        "the summary links to the country's first option: {link}"
    );
    b.find(&format!("#{target}"));
    let link_text = b.text("#form-errors li a");
    assert!(
        link_text.contains(&label("country")) && link_text.contains(own(ky, Ui::ErrRequired)),
        "{link_text:?}"
    );
    b.wait_text("#page-indicator", &page_of(ky, 1, 4));

    tap(&b, "q-country-kg");
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of(ky, 2, 4));
    assert_eq!(b.text("h2#section-title"), section(1));

    // Ranking: a rank select per option.
    b.tap_on(r#"select#q-top_priorities-rank-registry option[value="1"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-decrim option[value="2"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-naloxone option[value="3"]"#);
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of(ky, 3, 4));
    assert_eq!(b.text("h2#section-title"), section(2));

    // The grid.
    tap(&b, "q-positions-police_away-5");
    tap(&b, "q-positions-peers_paid-4");
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of(ky, 4, 4));
    assert_eq!(b.text("h2#section-title"), section(3));

    // Skip logic (`relevant = "represented <= 2"`): without scripts the
    // follow-up appears once the low rating is posted.
    assert!(
        b.try_find(r#"[data-question="why_not_represented"]"#)
            .is_none()
    );
    tap(&b, "q-represented-2");
    let comment = "Региондордо көбүрөөк жолугушуулар керек.";
    b.type_into("textarea#q-comment", comment);
    assert_eq!(b.text("button#next"), own(ky, Ui::Review));
    b.tap_on("button#next");
    b.find(r#"[data-question="why_not_represented"]"#);
    assert_server_page(&b, "page 4 again");
    assert_eq!(
        b.text(".notice[role=status]"),
        own(ky, Ui::MoreQuestions),
        "the page says why it is shown again"
    );
    assert_eq!(b.text("#page-indicator"), page_of(ky, 4, 4));
    assert!(b.selected("#q-represented-2"));
    assert_eq!(b.property("textarea#q-comment", "value"), json!(comment));
    tap(&b, "q-why_not_represented-language");
    tap(&b, "q-why_not_represented-unsafe");

    // Back once: the grid's answers are still there, and so are this
    // page's.
    b.tap_on("button#back");
    b.wait_text("#page-indicator", &page_of(ky, 3, 4));
    assert!(b.selected("#q-positions-police_away-5"));
    assert!(b.selected("#q-positions-peers_paid-4"));
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of(ky, 4, 4));
    assert!(b.selected("#q-represented-2"));
    assert!(b.selected("#q-why_not_represented-language"));
    assert!(b.selected("#q-why_not_represented-unsafe"));
    assert!(!b.selected("#q-why_not_represented-capital_only"));
    assert_eq!(b.property("textarea#q-comment", "value"), json!(comment));

    // The review, then Submit.
    b.tap_on("button#next");
    b.find(r#"form#survey-form[data-review="1"]"#);
    assert_server_page(&b, "the review");
    assert_eq!(b.text("h2#section-title"), own(ky, Ui::ReviewHeading));
    let review = b.text("main");
    for shown in [comment, "Кыргызстан"] {
        assert!(
            review.contains(shown),
            "the review shows {shown:?}: {review}"
        );
    }
    assert_eq!(b.text("button#submit"), own(ky, Ui::Submit));
    assert_eq!(app.responses(), 0, "nothing is stored before Submit");
    b.tap_on("button#submit");
    b.wait_text("#confirmation", own(ky, Ui::ThankYou));
    assert_server_page(&b, "the confirmation");

    assert_eq!(app.responses(), 1);
    assert_eq!(
        app.first_answers(),
        json!({
            "consent": true,
            "country": "kg",
            "top_priorities": ["registry", "decrim", "naloxone"],
            "positions": {"police_away": "5", "peers_paid": "4"},
            "represented": 2,
            "why_not_represented": ["language", "unsafe"],
            "comment": comment
        })
    );
}

/// The size of the runner's WASM as this browser downloads it (compressed
/// as Chromium asks), in bytes.
fn wasm_download_size(app: &TestApp) -> usize {
    let index = std::fs::read_to_string(repo_root().join("dist").join("index.html"))
        .expect("dist/index.html");
    let name = index
        .split(['\'', '"'])
        .find(|s| s.ends_with("_bg.wasm"))
        .expect("index.html names the wasm")
        .trim_start_matches('/')
        .to_string();
    let res = ureq::get(&app.url(&format!("/{name}")))
        .set("Accept-Encoding", "gzip, deflate, br, zstd")
        .call()
        .expect("the wasm");
    let mut bytes = Vec::new();
    res.into_reader()
        .read_to_end(&mut bytes)
        .expect("wasm body");
    bytes.len()
}

/// 2. With scripts on, what was typed on the server's page before the WASM
///    runner arrived is what the runner shows and sends. The WASM download
///    is slowed (Chrome DevTools network emulation) so that the server's
///    page is there long enough to answer on it.
#[test]
fn the_wasm_runner_takes_over_without_losing_what_was_typed() {
    assert_built();
    let app = spawn_app(true);
    let b = Driver::start_with(Chrome {
        javascript: true,
        page_load: "eager",
    });
    b.cdp("Network.enable", json!({}));
    b.cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}));
    // Every visit as the first: the service worker the runner registers
    // would serve the wasm at once from its cache on the second.
    b.cdp("Network.setBypassServiceWorker", json!({"bypass": true}));
    // The WASM takes about 15 s to arrive; a page of the form well under 1 s.
    let rate = (wasm_download_size(&app) as f64 / 15.0).max(8_000.0);
    let start = app.url(&format!("/s/{CONSULTATION}?lang=en"));

    // Part one: the first page, ticked before the runner starts: one box
    // by a click, one set by a script (no event at all, as some autofill
    // does).
    throttle(&b, Some(rate));
    b.goto(&start);
    b.find("#ssr form#survey-form");
    tap(&b, "q-consent");
    b.run(
        "document.getElementById('q-country-ua').checked = true;",
        json!([]),
    );
    assert_server_page(&b, "page 1 (answered before the runner came)");
    throttle(&b, None);
    wait_gone(&b, "#ssr");
    b.wait_text("#page-indicator", &page_of("en", 1, 4));
    // The definition came once, by the page's preload alongside the wasm:
    // the runner's own request was answered from it.
    let fetched = b.run(
        "return performance.getEntriesByType('resource')\
           .filter(e => new URL(e.name).pathname === arguments[0])\
           .map(e => e.initiatorType);",
        json!([format!("/api/surveys/{CONSULTATION}")]),
    );
    assert_eq!(fetched, json!(["link"]), "the definition's requests");
    assert!(
        b.try_find("input[name=_sid]").is_none(),
        "the runner's own page has no hidden fields"
    );
    assert!(b.selected("#q-consent"), "the consent tick survived");
    assert!(b.selected("#q-country-ua"), "the country survived");
    // Both are required: Next moves on only with them.
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("en", 2, 4));
    assert!(b.try_find("#form-errors").is_none());
    assert_eq!(b.current_url(), start, "the runner posted nothing");

    // Part two: three pages answered by form posts, the fourth typed into;
    // the runner arrives only then.
    throttle(&b, Some(rate));
    b.goto(&start);
    b.find("#ssr form#survey-form");
    let sid = b
        .attribute("#ssr input[name=_sid]", "value")
        .expect("the form's submission id");
    tap(&b, "q-consent");
    tap(&b, "q-country-ua");
    b.tap_on("button#next");
    b.wait_text("#ssr #page-indicator", &page_of("en", 2, 4));
    b.tap_on(r#"select#q-top_priorities-rank-prison option[value="1"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-women option[value="2"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-funding option[value="3"]"#);
    b.tap_on("button#next");
    b.wait_text("#ssr #page-indicator", &page_of("en", 3, 4));
    tap(&b, "q-positions-drug_checking-4");
    b.tap_on("button#next");
    b.wait_text("#ssr #page-indicator", &page_of("en", 4, 4));
    tap(&b, "q-represented-1");
    let comment = "Typed before the runner arrived: more meetings outside the capitals.";
    b.type_into("textarea#q-comment", comment);
    assert!(
        b.try_find(r#"[data-question="why_not_represented"]"#)
            .is_none(),
        "without scripts the follow-up waits for a post"
    );
    assert_server_page(&b, "page 4 (typed into before the runner came)");
    throttle(&b, None);
    wait_gone(&b, "#ssr");
    let here = b.current_url();

    // The runner's page 4: the same answers, and the follow-up the low
    // rating asks for, at once.
    b.wait_text("#page-indicator", &page_of("en", 4, 4));
    assert!(b.selected("#q-represented-1"));
    assert_eq!(b.property("textarea#q-comment", "value"), json!(comment));
    b.find(r#"[data-question="why_not_represented"]"#);
    tap(&b, "q-why_not_represented-capital_only");
    // The earlier pages' answers came along in the hidden fields.
    b.tap_on("button#back");
    b.wait_text("#page-indicator", &page_of("en", 3, 4));
    assert!(b.selected("#q-positions-drug_checking-4"));
    b.tap_on("button#back");
    b.wait_text("#page-indicator", &page_of("en", 2, 4));
    assert_eq!(
        b.property("select#q-top_priorities-rank-prison", "value"),
        json!("1")
    );
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("en", 3, 4));
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("en", 4, 4));
    b.tap_on("button#next");
    b.find("button#submit");
    b.tap_on("button#submit");
    b.wait_text("#confirmation", "Thank");
    assert_eq!(b.current_url(), here, "the runner sent with the API");

    assert_eq!(app.responses(), 1);
    let stored_sid = app.rows().first().expect("row").1.submission_id.clone();
    assert_eq!(stored_sid, sid, "the server's submission id was kept");
    assert_eq!(
        app.first_answers(),
        json!({
            "consent": true,
            "country": "ua",
            "top_priorities": ["prison", "women", "funding"],
            "positions": {"drug_checking": "4"},
            "represented": 1,
            "why_not_represented": ["capital_only"],
            "comment": comment
        })
    );
}

/// A neutral page for the quick exit to go to, on its own port: every
/// request's head is kept.
struct ExitPage {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const EXIT_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>Weather</title></head><body><h1 id=\"weather\">The weather today</h1></body></html>";

impl ExitPage {
    fn start() -> ExitPage {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let r = r.clone();
                std::thread::spawn(move || serve_exit(stream, &r));
            }
        });
        ExitPage {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/weather", self.addr)
    }

    /// The heads of the requests for the exit page itself.
    fn page_requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|h| h.starts_with("GET /weather "))
            .cloned()
            .collect()
    }
}

fn serve_exit(mut stream: TcpStream, requests: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(String::from_utf8_lossy(&head).into_owned());
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{EXIT_PAGE}",
        EXIT_PAGE.len()
    );
}

impl Drop for ExitPage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The focusable elements in document order (what Tab walks through, as
/// no element has a positive tabindex): id, class and text of the first
/// `n`, and how many have a positive tabindex.
const FOCUSABLE: &str = r#"
const all = [...document.querySelectorAll(
  'a[href], area[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable]'
)].filter(e => !e.disabled && e.type !== 'hidden' && e.tabIndex >= 0 && !e.closest('[inert]')
  && e.getClientRects().length > 0);
return {
  first: all.slice(0, arguments[0]).map(e => ({id: e.id, class: e.className, text: e.textContent.trim()})),
  positive: all.filter(e => e.tabIndex > 0).length
};
"#;

/// The quick exit on the screen shown: first after the skip link, in the
/// page's language, to the operator's address, with no referrer.
fn check_quick_exit(b: &Driver, lang: &str, exit_url: &str, where_: &str) {
    let order = b.run(FOCUSABLE, json!([2]));
    assert_eq!(order["positive"], json!(0), "{where_}: a positive tabindex");
    let first = &order["first"];
    assert_eq!(
        first[0]["class"], "skip-link",
        "{where_}: the skip link is the first focusable element: {first}"
    );
    assert_eq!(
        first[1]["id"], "quick-exit",
        "{where_}: the quick exit comes right after the skip link: {first}"
    );
    let text = b.text("#quick-exit");
    assert_eq!(text, own(lang, Ui::QuickExit), "{where_}");
    match lang {
        "ru" => assert_eq!(text, "Быстрый выход", "{where_}"),
        "en" => assert_eq!(text, "Quick exit", "{where_}"),
        _ => {}
    }
    assert_eq!(
        b.attribute("html", "lang").as_deref(),
        Some(lang),
        "{where_}"
    );
    assert_eq!(
        b.attribute("#quick-exit", "href").as_deref(),
        Some(exit_url),
        "{where_}"
    );
    assert!(
        b.attribute("#quick-exit", "rel")
            .unwrap_or_default()
            .contains("noreferrer"),
        "{where_}"
    );
    assert!(
        b.attribute("#quick-exit", "class")
            .unwrap_or_default()
            .split(' ')
            .any(|c| c == "quick-exit"),
        "{where_}"
    );
}

/// On a freshly loaded page: Tab reaches the skip link, then the quick exit.
fn check_tab_order(b: &Driver, where_: &str) {
    let active = "const a = document.activeElement; return {id: a.id, class: a.className};";
    b.press(&[TAB]);
    let first = b.run(active, json!([]));
    assert_eq!(first["class"], "skip-link", "{where_}: first Tab: {first}");
    b.press(&[TAB]);
    let second = b.run(active, json!([]));
    assert_eq!(second["id"], "quick-exit", "{where_}: second Tab: {second}");
}

fn wait_for_exit(b: &Driver, exit_url: &str, where_: &str) {
    b.wait_until(&format!("{where_}: the exit page"), |b| {
        b.current_url() == exit_url
    });
    b.find("#weather");
}

/// Without scripts the quick exit is a plain link: first after the skip
/// link, in the page's language, to the operator's address.
#[test]
fn the_quick_exit_without_javascript() {
    assert_built();
    let exit = ExitPage::start();
    let exit_url = exit.url();
    let app = spawn_app_exit(true, &exit_url);
    let b = Driver::start_without_javascript();
    let mut exits = 0;
    let mut leave = |b: &Driver, lang: &str, where_: &str| {
        assert_server_page(b, where_);
        check_quick_exit(b, lang, &exit_url, where_);
        b.tap_on("#quick-exit");
        wait_for_exit(b, &exit_url, where_);
        exits += 1;
        let seen = exit.page_requests();
        assert_eq!(seen.len(), exits, "{where_}: {seen:?}");
        let last = seen.last().expect("a request").to_ascii_lowercase();
        assert!(
            !last.contains("\nreferer:"),
            "{where_}: the exit page learnt where the member came from: {last}"
        );
    };

    b.goto(&app.url("/?lang=ru"));
    b.find(&format!(r#"a[data-survey="{SHORT}"]"#));
    check_tab_order(&b, "the list");
    leave(&b, "ru", "the list");

    b.goto(&app.url(&format!("/s/{SHORT}?lang=en")));
    b.find("#survey-form");
    check_tab_order(&b, "a form page");
    leave(&b, "en", "a form page");

    b.goto(&app.url(&format!("/s/{SHORT}?lang=ru")));
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.find(r#"form[data-review="1"]"#);
    check_tab_order(&b, "the review");
    leave(&b, "ru", "the review");

    b.goto(&app.url(&format!("/s/{SHORT}?lang=en")));
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.tap_on("button#submit");
    b.find("#confirmation");
    check_tab_order(&b, "the confirmation");
    leave(&b, "en", "the confirmation");
    assert_eq!(app.responses(), 1);
}

/// With scripts the quick exit replaces the page (Back does not return to
/// the survey), on every screen of the WASM runner; Escape twice as well.
#[test]
fn the_quick_exit_with_javascript_leaves_no_way_back() {
    assert_built();
    let exit = ExitPage::start();
    let exit_url = exit.url();
    let app = spawn_app_exit(true, &exit_url);
    let b = Driver::start();
    let collector = app.url("/");
    let fresh = |url: &str| {
        b.goto("about:blank");
        b.goto(url);
        // The runner has taken over the server's page.
        wait_gone(&b, "#ssr");
    };
    let history = |b: &Driver| b.run("return history.length", json!([])).as_u64();
    let leave = |b: &Driver, lang: &str, where_: &str, how: &dyn Fn(&Driver)| {
        check_quick_exit(b, lang, &exit_url, where_);
        let before = history(b);
        how(b);
        wait_for_exit(b, &exit_url, where_);
        assert_eq!(
            history(b),
            before,
            "{where_}: the exit page replaced the survey's in the history"
        );
        b.run("history.back()", json!([]));
        std::thread::sleep(Duration::from_millis(500));
        b.wait_until(&format!("{where_}: Back"), |b| b.current_url() != exit_url);
        let back = b.current_url();
        assert!(
            !back.starts_with(&collector),
            "{where_}: Back returned to the survey: {back}"
        );
        let seen = exit.page_requests();
        let last = seen.last().expect("a request").to_ascii_lowercase();
        assert!(!last.contains("\nreferer:"), "{where_}: {last}");
    };
    let click = |b: &Driver| b.tap_on("#quick-exit");

    fresh(&app.url("/?lang=ru"));
    b.find(&format!(r#"button[data-survey="{SHORT}"]"#));
    check_tab_order(&b, "the list");
    leave(&b, "ru", "the list", &click);

    fresh(&app.url(&format!("/s/{SHORT}?lang=en")));
    b.find("#survey-form");
    check_tab_order(&b, "a form page");
    leave(&b, "en", "a form page", &click);

    // Reached with the runner's own buttons, from the list.
    fresh(&app.url("/?lang=ru"));
    b.tap_on(&format!(r#"button[data-survey="{SHORT}"]"#));
    b.find("#survey-form");
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.find("button#submit");
    leave(&b, "ru", "the review", &click);

    fresh(&app.url(&format!("/s/{SHORT}?lang=en")));
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.tap_on("button#submit");
    b.find("#confirmation");
    leave(&b, "en", "the confirmation", &click);
    assert_eq!(app.responses(), 1);

    // Escape pressed twice does the same.
    fresh(&app.url(&format!("/s/{SHORT}?lang=ru")));
    tap(&b, "q-country-ge");
    leave(&b, "ru", "Escape twice on a form page", &|b: &Driver| {
        b.press(&[ESCAPE, ESCAPE]);
    });
}

/// Runs axe-core's WCAG 2.0 and 2.1 A and AA rules on the page; the
/// violations, readably.
///
/// With JavaScript off Chromium runs WebDriver's scripts and their promise
/// callbacks but no timer, and axe-core waits on `setTimeout` between its
/// steps: for the run, `setTimeout` queues a promise callback instead.
fn axe(b: &Driver, axe_source: &str, screen: &str) -> Vec<String> {
    let loaded = b.run("return typeof window.axe;", json!([]));
    if loaded != json!("object") {
        let kind = b.run(
            &format!("{axe_source}\nreturn typeof window.axe;"),
            json!([]),
        );
        assert_eq!(kind, json!("object"), "axe-core did not load on {screen}");
    }
    let result = b.run_async(AXE_RUN, json!([]));
    if let Some(e) = result["error"].as_str() {
        panic!("axe-core failed on {screen}: {e}");
    }
    eprintln!(
        "axe [{screen}]: {} rules passed, {} violated, to review by hand: {}",
        result["passes"],
        result["violations"].as_array().map_or(0, Vec::len),
        result["incomplete"]
    );
    let mut out = Vec::new();
    for v in result["violations"].as_array().into_iter().flatten() {
        let mut s = format!(
            "[{screen}] {} ({}): {}",
            v["id"].as_str().unwrap_or_default(),
            v["impact"].as_str().unwrap_or_default(),
            v["help"].as_str().unwrap_or_default()
        );
        for n in v["nodes"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "\n    at {}\n      {}\n      {}",
                n["target"].as_str().unwrap_or_default(),
                n["html"].as_str().unwrap_or_default(),
                n["summary"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', "\n      ")
            ));
        }
        out.push(s);
    }
    out
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
const timers = {set: window.setTimeout, clear: window.clearTimeout};
const cancelled = new Set();
let next = 0;
window.setTimeout = (f, _ms, ...args) => {
  const id = ++next;
  Promise.resolve().then(() => { if (!cancelled.has(id) && typeof f === 'function') f(...args); });
  return id;
};
window.clearTimeout = id => cancelled.add(id);
const restore = () => { window.setTimeout = timers.set; window.clearTimeout = timers.clear; };
axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  resultTypes: ['violations']
}).then(r => { restore(); done({passes: r.passes.length, incomplete: r.incomplete.map(v => v.id + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')),
  violations: r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary}))
}))}); }, e => { restore(); done({error: String(e)}); });
"#;

/// axe-core finds a faint text put on the page (and the page is as it was
/// afterwards): the check can fail.
fn axe_can_fail(b: &Driver, axe_source: &str) {
    b.run(
        "const p = document.createElement('p'); p.id = 'faint'; p.textContent = 'faint';\
         p.style.color = '#bbbbbb'; document.getElementById('main').append(p);",
        json!([]),
    );
    let found = axe(b, axe_source, "a faint text put there");
    b.run("document.getElementById('faint').remove();", json!([]));
    assert!(
        found
            .iter()
            .any(|v| v.contains("color-contrast") && v.contains("#faint")),
        "axe-core did not see the faint text: {found:?}"
    );
}

fn axe_source() -> String {
    let path = repo_root()
        .join(".tools")
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} ({e}): scripts/test.sh installs axe-core (need_axe)",
            path.display()
        )
    })
}

const NARROW: u32 = 320;

/// What every screen must be: accessible (axe), no wider than a 320 px
/// screen, with no cookie and nothing in the browser's storage.
fn check_screen(b: &Driver, axe_source: &str, screen: &str, problems: &mut Vec<String>) {
    problems.extend(axe(b, axe_source, screen));
    let m = b.run(
        "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,\
         cookie: document.cookie, local: localStorage.length, session: sessionStorage.length};",
        json!([]),
    );
    assert_eq!(
        m["inner"],
        json!(NARROW),
        "{screen}: the window is not {NARROW} px wide: {m}"
    );
    if m["scroll"].as_u64().unwrap_or(u64::MAX) > u64::from(NARROW) {
        let wide = b.run(
            "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > arguments[0] + 0.5)\
             .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' right=' + Math.round(e.getBoundingClientRect().right));",
            json!([NARROW]),
        );
        problems.push(format!(
            "[{screen}] horizontal scroll at {NARROW} px: scrollWidth {}; wider: {wide}",
            m["scroll"]
        ));
    }
    if m["cookie"] != json!("") {
        problems.push(format!("[{screen}] document.cookie = {}", m["cookie"]));
    }
    if m["local"] != json!(0) || m["session"] != json!(0) {
        problems.push(format!(
            "[{screen}] storage: localStorage {} sessionStorage {}",
            m["local"], m["session"]
        ));
    }
}

/// A runner response must not be kept by any cache nor set a cookie (and
/// is a 200).
fn check_headers(resp: &Resp, what: &str, problems: &mut Vec<String>) {
    check_headers_of(resp, 200, what, problems);
}

fn check_headers_of(resp: &Resp, status: u16, what: &str, problems: &mut Vec<String>) {
    let cache = resp.header("cache-control").unwrap_or_default();
    if !cache.split(',').any(|d| d.trim() == "no-store") {
        problems.push(format!("[{what}] Cache-Control: {cache:?}, not no-store"));
    }
    if let Some(c) = resp.header("set-cookie") {
        problems.push(format!("[{what}] Set-Cookie: {c}"));
    }
    if resp.status != status {
        problems.push(format!("[{what}] status {}", resp.status));
    }
}

fn post_form(url: &str, body: &str) -> Resp {
    collect(
        ureq::post(url)
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(body),
    )
}

fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// 4–6 without scripts: every screen of the server-rendered runner passes
/// axe-core, fits 320 px, and each response (fetched again alongside with
/// ureq) is `no-store` without a cookie.
#[test]
fn every_server_rendered_screen_is_accessible_narrow_and_kept_nowhere() {
    assert_built();
    let axe_source = axe_source();
    let app = spawn_app(true);
    let b = Driver::start_without_javascript();
    b.resize(NARROW, 800);
    b.script_timeout(Duration::from_secs(120));
    let mut problems = Vec::new();
    let post_url = app.url(&format!("/s/{CONSULTATION}"));
    // Clicks the button `_go=go` and fetches the same post with ureq.
    let step = |b: &Driver, go: &str, css: &str, what: &str, problems: &mut Vec<String>| {
        let body = b.form_body(go);
        b.tap_on(css);
        check_headers(&post_form(&post_url, &body), what, problems);
    };

    let list = app.url("/?lang=ru");
    b.goto(&list);
    b.find(&format!(r#"a[data-survey="{CONSULTATION}"]"#));
    check_headers(&get(&list), "the list", &mut problems);
    axe_can_fail(&b, &axe_source);
    check_screen(&b, &axe_source, "the list", &mut problems);

    b.tap_on(&format!(r#"a[data-survey="{CONSULTATION}"]"#));
    b.wait_text("#page-indicator", &page_of("ru", 1, 4));
    check_headers(
        &get(&app.url(&format!("/s/{CONSULTATION}?lang=ru"))),
        "page 1",
        &mut problems,
    );
    check_screen(&b, &axe_source, "page 1", &mut problems);

    step(
        &b,
        "next",
        "button#next",
        "page 1 with errors",
        &mut problems,
    );
    b.find("#err-consent");
    b.find("#form-errors");
    check_screen(&b, &axe_source, "page 1 with errors", &mut problems);

    tap(&b, "q-consent");
    tap(&b, "q-country-ge");
    step(&b, "next", "button#next", "page 2", &mut problems);
    b.wait_text("#page-indicator", &page_of("ru", 2, 4));
    check_screen(&b, &axe_source, "page 2 (ranking)", &mut problems);

    b.tap_on(r#"select#q-top_priorities-rank-naloxone option[value="1"]"#);
    step(
        &b,
        "next",
        "button#next",
        "page 2 with errors",
        &mut problems,
    );
    b.find("#err-top_priorities");
    check_screen(&b, &axe_source, "page 2 with errors", &mut problems);
    b.tap_on(r#"select#q-top_priorities-rank-women option[value="2"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-prison option[value="3"]"#);
    step(&b, "next", "button#next", "page 3", &mut problems);
    b.wait_text("#page-indicator", &page_of("ru", 3, 4));
    check_screen(&b, &axe_source, "page 3 (grid)", &mut problems);

    tap(&b, "q-positions-speak_publicly-3");
    step(&b, "next", "button#next", "page 4", &mut problems);
    b.wait_text("#page-indicator", &page_of("ru", 4, 4));
    check_screen(&b, &axe_source, "page 4 (rating, text)", &mut problems);

    tap(&b, "q-represented-1");
    step(&b, "next", "button#next", "page 4 again", &mut problems);
    b.find(r#"[data-question="why_not_represented"]"#);
    check_screen(&b, &axe_source, "page 4 with the follow-up", &mut problems);
    tap(&b, "q-why_not_represented-other");
    b.type_into("#q-why_not_represented_other", "Нет денег на дорогу");

    step(&b, "next", "button#next", "the review", &mut problems);
    b.find(r#"form[data-review="1"]"#);
    check_screen(&b, &axe_source, "the review", &mut problems);

    step(
        &b,
        "send",
        "button#submit",
        "the confirmation",
        &mut problems,
    );
    b.find("#confirmation");
    check_screen(&b, &axe_source, "the confirmation", &mut problems);
    assert_server_page(&b, "the confirmation");
    assert_eq!(app.responses(), 1, "the second post was a duplicate");

    // A page the collector cannot serve is no different.
    let unknown = app.url("/s/no-such-survey?lang=ru");
    b.goto(&unknown);
    b.find(".problem-page");
    check_headers_of(&get(&unknown), 404, "unknown survey", &mut problems);
    check_screen(&b, &axe_source, "an unknown survey", &mut problems);

    report(&problems);
}

/// 4–6 with scripts: every screen of the WASM runner (after it took over,
/// moving on with its own buttons) passes axe-core and fits 320 px; every
/// response the page fetched is without a cookie, and the documents and
/// API answers are `no-store`; at the end the browser holds no cookie and
/// nothing in its storage.
#[test]
fn every_screen_of_the_wasm_runner_is_accessible_narrow_and_kept_nowhere() {
    assert_built();
    let axe_source = axe_source();
    let app = spawn_app(true);
    let b = Driver::start();
    b.resize(NARROW, 800);
    b.script_timeout(Duration::from_secs(120));
    let mut problems = Vec::new();

    b.goto(&app.url("/?lang=ru"));
    wait_gone(&b, "#ssr");
    let start = format!(r#"button[data-survey="{CONSULTATION}"]"#);
    b.find(&start);
    axe_can_fail(&b, &axe_source);
    check_screen(&b, &axe_source, "the list", &mut problems);

    b.tap_on(&start);
    b.wait_text("#page-indicator", &page_of("ru", 1, 4));
    // The consultation allows drafts: its offer is checked with each page.
    b.wait_text("#keep h2", ui("ru", Ui::KeepHeading));
    check_screen(&b, &axe_source, "page 1", &mut problems);

    b.tap_on("button#next");
    b.find("#err-consent");
    b.find("#form-errors");
    check_screen(&b, &axe_source, "page 1 with errors", &mut problems);
    // The offer refusing a short passphrase, as the member sees it.
    b.type_into("#keep-passphrase", "short");
    b.tap_on("#keep-answers");
    b.wait_text("#keep-note", ui("ru", Ui::PassphraseShort));
    check_screen(&b, &axe_source, "the offer to keep, refused", &mut problems);

    tap(&b, "q-consent");
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("ru", 2, 4));
    check_screen(&b, &axe_source, "page 2 (ranking)", &mut problems);

    b.tap_on(r#"select#q-top_priorities-rank-naloxone option[value="1"]"#);
    b.tap_on("button#next");
    b.find("#err-top_priorities");
    check_screen(&b, &axe_source, "page 2 with errors", &mut problems);
    b.tap_on(r#"select#q-top_priorities-rank-women option[value="2"]"#);
    b.tap_on(r#"select#q-top_priorities-rank-prison option[value="3"]"#);
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("ru", 3, 4));
    check_screen(&b, &axe_source, "page 3 (grid)", &mut problems);

    tap(&b, "q-positions-speak_publicly-3");
    b.tap_on("button#next");
    b.wait_text("#page-indicator", &page_of("ru", 4, 4));
    check_screen(&b, &axe_source, "page 4 (rating, text)", &mut problems);

    tap(&b, "q-represented-1");
    b.find(r#"[data-question="why_not_represented"]"#);
    tap(&b, "q-why_not_represented-other");
    b.type_into("#q-why_not_represented_other", "Нет денег на дорогу");
    check_screen(&b, &axe_source, "page 4 with the follow-up", &mut problems);

    b.tap_on("button#next");
    b.find("button#submit");
    check_screen(&b, &axe_source, "the review", &mut problems);

    b.tap_on("button#submit");
    b.find("#confirmation");
    check_screen(&b, &axe_source, "the confirmation", &mut problems);
    assert_eq!(app.responses(), 1);

    // Everything the page fetched, fetched again alongside.
    let fetched = b.run(
        "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]\
         .map(e => ({url: e.name, kind: e.initiatorType || 'navigation'}));",
        json!([]),
    );
    let mut api = 0;
    for entry in fetched.as_array().into_iter().flatten() {
        let url = entry["url"].as_str().unwrap_or_default();
        let kind = entry["kind"].as_str().unwrap_or_default();
        let Some(path) = url.strip_prefix(&app.url("")) else {
            problems.push(format!("[fetched] another origin: {url}"));
            continue;
        };
        let what = format!("{kind} {path}");
        eprintln!("fetched by the page: {what}");
        if path.ends_with("/responses") {
            // The submission, sent again: the same answer (a duplicate).
            let rows = app.rows();
            let (_, row) = rows.first().expect("row");
            let body = json!({
                "submission_id": row.submission_id,
                "version": row.survey_version,
                "answers": app.first_answers(),
            });
            let resp = crate::helpers::post(url, &body.to_string());
            check_headers(&resp, &what, &mut problems);
            api += 1;
        } else if path == "/favicon.ico" {
            // Chromium's own request; the collector has none.
            check_headers_of(&get(url), 404, &what, &mut problems);
        } else if path.starts_with("/api/") || kind == "navigation" {
            check_headers(&get(url), &what, &mut problems);
            api += usize::from(path.starts_with("/api/"));
        } else {
            // The runner's own files: cached (they hold no answer), but
            // never with a cookie.
            let resp = get(url);
            if let Some(c) = resp.header("set-cookie") {
                problems.push(format!("[{what}] Set-Cookie: {c}"));
            }
            if resp.status != 200 {
                problems.push(format!("[{what}] status {}", resp.status));
            }
        }
    }
    assert!(
        api >= 3,
        "the list, the survey and the submission were fetched: {fetched}"
    );
    let end = b.run(
        "return {cookie: document.cookie, local: localStorage.length, session: sessionStorage.length};",
        json!([]),
    );
    assert_eq!(
        end,
        json!({"cookie": "", "local": 0, "session": 0}),
        "the browser keeps nothing"
    );

    report(&problems);
}

/// A folder serving the engine's cascading-select fixture (regions follow
/// the country; OST is not offered in Russia).
fn cascade_folder() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo_root().join("surveys/tests/cascade.toml"),
        folder.path().join("cascade.toml"),
    )
    .expect("copy the fixture");
    folder
}

/// Cascading selects in both runners: the options of a question follow the
/// earlier answers — by form posts without scripts (the page is shown again,
/// saying why), live in the WASM runner — and a pick that a changed answer
/// no longer offers is never sent.
#[test]
fn the_options_offered_follow_the_earlier_answers_in_both_runners() {
    assert_built();
    let folder = cascade_folder();
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let start = app.url("/s/cascade?lang=en");
    let shown = |b: &Driver, id: &str| b.try_find(&format!("#{id}")).is_some();

    // Without scripts.
    let b = Driver::start_without_javascript();
    b.goto(&start);
    b.find("#ssr form#survey-form");
    assert!(!shown(&b, "q-region-tbilisi"), "no country, no region");
    assert!(shown(&b, "q-services-needles"));
    assert!(!shown(&b, "q-services-ost"), "OST needs a country");
    tap(&b, "q-country-ge");
    b.tap_on("button#next");
    b.find("#q-region-tbilisi");
    assert_eq!(b.text(".notice[role=status]"), own("en", Ui::MoreQuestions));
    assert!(shown(&b, "q-region-batumi"));
    assert!(!shown(&b, "q-region-kyiv"), "Kyiv is not in Georgia");
    assert!(shown(&b, "q-services-ost"));
    assert!(!shown(&b, "q-services-naloxone"), "only in Tbilisi");
    tap(&b, "q-region-batumi");
    tap(&b, "q-services-ost");
    // The country changes: Batumi goes, and the page says so.
    tap(&b, "q-country-ua");
    b.tap_on("button#next");
    b.find("#q-region-kyiv");
    assert_server_page(&b, "the page shown again");
    assert_eq!(
        b.text(".notice[role=status]"),
        own("en", Ui::OptionsChanged)
    );
    assert!(!shown(&b, "q-region-batumi"));
    assert!(!b.selected("#q-region-kyiv"), "nothing is picked for them");
    assert!(
        b.selected("#q-services-ost"),
        "OST is offered in Ukraine too"
    );
    assert!(shown(&b, "q-services-naloxone"));
    tap(&b, "q-region-kyiv");
    b.tap_on("button#next");
    b.find("#q-after"); // asked only for Kyiv
    b.type_into("#q-after", "3");
    b.tap_on("button#next");
    b.find(r#"form#survey-form[data-review="1"]"#);
    b.tap_on("button#submit");
    b.wait_text("#confirmation", own("en", Ui::ThankYou));
    assert_eq!(
        app.first_answers(),
        json!({"country": "ua", "region": "kyiv", "services": ["ost"], "after": 3})
    );
    drop(b);

    // The WASM runner: the options change as the member taps.
    let b = Driver::start();
    b.goto(&start);
    wait_gone(&b, "#ssr");
    b.find("#q-country-ge");
    assert!(!shown(&b, "q-region-tbilisi"));
    tap(&b, "q-country-ge");
    b.find("#q-region-batumi");
    assert!(!shown(&b, "q-region-kyiv"));
    tap(&b, "q-region-batumi");
    tap(&b, "q-services-needles");
    tap(&b, "q-country-ru");
    // Russia has no region listed: the question goes, and OST with it.
    wait_gone(&b, "#q-region-batumi");
    assert!(!shown(&b, "q-services-ost"));
    assert!(b.selected("#q-services-needles"));
    b.tap_on("button#next");
    b.find("button#submit");
    let review = b.text("main");
    assert!(!review.contains("Batumi"), "the review: {review}");
    b.tap_on("button#submit");
    b.wait_text("#confirmation", own("en", Ui::ThankYou));
    let rows = app.rows();
    assert_eq!(rows.len(), 2);
    let collector::store::Body::Plain(answers) = &rows[1].1.body else {
        panic!("stored sealed: {:?}", rows[1]);
    };
    let answers: Value = serde_json::from_str(answers).expect("json");
    assert_eq!(answers, json!({"country": "ru", "services": ["needles"]}));
}

/// A report with a repeat the member fills in instance by instance: what
/// happened (required), who did it, and how many were hurt when police did.
const REPEAT_SURVEY: &str = r#"
id = "report"
version = 1
languages = ["en", "ru"]
privacy_budget = 1
title = { en = "Report", ru = "Сообщение" }

[[questions]]
id = "country"
type = "single_choice"
required = true
label = { en = "Country", ru = "Страна" }
choices = [
  { id = "ua", label = { en = "Ukraine", ru = "Украина" } },
  { id = "kz", label = { en = "Kazakhstan", ru = "Казахстан" } },
]

[[questions]]
id = "incidents"
type = "repeat"
max = 3
label = { en = "Incident", ru = "Случай" }

[[questions.questions]]
id = "what"
type = "short_text"
required = true
label = { en = "What happened?", ru = "Что случилось?" }

[[questions.questions]]
id = "by"
type = "multiple_choice"
label = { en = "Who did it?", ru = "Кто это сделал?" }
choices = [
  { id = "police", label = { en = "Police", ru = "Полиция" } },
  { id = "medics", label = { en = "Medical staff", ru = "Медики" } },
]

[[questions.questions]]
id = "injured"
type = "integer"
min = 0
relevant = "selected(${by}, 'police')"
label = { en = "How many people were hurt?", ru = "Сколько человек пострадало?" }
"#;

/// The element `id` (ids inside a repeat hold `[`, `]` and `.`).
fn by_id(id: &str) -> String {
    format!(r#"[id="{id}"]"#)
}

/// Repeats in both runners: the member adds instances ("Add another"),
/// answers each with its own logic, removes one (the later ones move up
/// with their answers), is told which instance misses an answer, and the
/// collector stores the instances as a list — by form posts without
/// scripts, live in the WASM runner. Each screen passes axe-core.
#[test]
fn members_add_answer_and_remove_instances_of_a_repeat_in_both_runners() {
    assert_built();
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::write(folder.path().join("report.toml"), REPEAT_SURVEY).expect("write the survey");
    let app = crate::helpers::spawn_app_with(true, folder.path().to_path_buf(), 0);
    let start = app.url("/s/report?lang=en");
    let axe_source = axe_source();
    let mut problems = Vec::new();
    let shown = |b: &Driver, id: &str| b.try_find(&by_id(id)).is_some();
    let typed = |b: &Driver, id: &str| {
        b.run(
            "return document.getElementById(arguments[0]).value;",
            json!([id]),
        )
    };

    // Without scripts: every step is a form post.
    let b = Driver::start_without_javascript();
    b.resize(NARROW, 800);
    b.script_timeout(Duration::from_secs(120));
    b.goto(&start);
    b.find("#ssr form#survey-form");
    assert!(
        b.text("#add-incidents")
            .starts_with(own("en", Ui::AddInstance))
    );
    assert!(!shown(&b, "q-incidents[1].what"));
    tap(&b, "q-country-ua");
    b.tap_on("#add-incidents");
    b.find(&by_id("q-incidents[1].what"));
    assert_server_page(&b, "after Add");
    assert!(b.selected("#q-country-ua"), "the page's answers are kept");
    b.type_into(&by_id("q-incidents[1].what"), "searched in the street");
    tap(&b, "q-incidents[1].by-police");
    b.tap_on("#add-incidents"); // now "Add another"
    b.find(&by_id("q-incidents[2].what"));
    // Police did it in the first: how many were hurt is asked there only.
    assert!(shown(&b, "q-incidents[1].injured"));
    assert!(!shown(&b, "q-incidents[2].injured"));
    b.type_into(&by_id("q-incidents[1].injured"), "2");
    b.type_into(&by_id("q-incidents[2].what"), "refused methadone");
    tap(&b, "q-incidents[2].by-medics");
    b.tap_on("#add-incidents");
    b.find(&by_id("q-incidents[3].what"));
    assert!(b.try_find("#add-incidents").is_none(), "at most 3");
    check_screen(&b, &axe_source, "a repeat without scripts", &mut problems);
    // The third is left empty: Next names it.
    b.tap_on("button#next");
    b.find("#form-errors");
    let summary = b.text("#form-errors");
    assert!(summary.contains("Incident 3: What happened?"), "{summary}");
    // Remove the first: the second moves up with its answers.
    b.tap_on(r#"button.remove[value="remove.incidents.1"]"#);
    b.find(&by_id("q-incidents[2].what"));
    assert!(!shown(&b, "q-incidents[3].what"));
    assert_eq!(typed(&b, "q-incidents[1].what"), "refused methadone");
    assert!(b.selected(&by_id("q-incidents[1].by-medics")));
    b.type_into(&by_id("q-incidents[2].what"), "detained overnight");
    b.tap_on("button#next");
    b.find(r#"form#survey-form[data-review="1"]"#);
    let review = b.text("main");
    assert!(
        review.contains("Incident 2: What happened?") && review.contains("detained overnight"),
        "{review}"
    );
    assert!(!review.contains("searched in the street"), "{review}");
    b.tap_on("button#submit");
    b.wait_text("#confirmation", own("en", Ui::ThankYou));
    assert_eq!(
        app.first_answers(),
        json!({"country": "ua", "incidents": [
            {"what": "refused methadone", "by": ["medics"]},
            {"what": "detained overnight"}
        ]})
    );
    drop(b);

    // The WASM runner: the same, live.
    let b = Driver::start();
    b.resize(NARROW, 800);
    b.script_timeout(Duration::from_secs(120));
    b.goto(&start);
    wait_gone(&b, "#ssr");
    b.find("#q-country-kz");
    tap(&b, "q-country-kz");
    b.tap_on("#add-incidents");
    b.find(&by_id("q-incidents[1].what"));
    b.type_into(&by_id("q-incidents[1].what"), "beaten at the station");
    tap(&b, "q-incidents[1].by-police");
    b.find(&by_id("q-incidents[1].injured"));
    b.type_into(&by_id("q-incidents[1].injured"), "1");
    b.tap_on("#add-incidents");
    b.find(&by_id("q-incidents[2].what"));
    assert!(!shown(&b, "q-incidents[2].injured"));
    check_screen(
        &b,
        &axe_source,
        "a repeat in the WASM runner",
        &mut problems,
    );
    b.tap_on("button#next");
    b.find(".has-error");
    assert!(
        b.text(&by_id("instance-incidents-2"))
            .contains(ui("en", Ui::Required))
    );
    b.tap_on(&format!("{} button.remove", by_id("instance-incidents-2")));
    wait_gone(&b, &by_id("q-incidents[2].what"));
    b.tap_on("button#next");
    b.find("button#submit");
    b.tap_on("button#submit");
    b.wait_text("#confirmation", own("en", Ui::ThankYou));
    let rows = app.rows();
    assert_eq!(rows.len(), 2);
    let collector::store::Body::Plain(answers) = &rows[1].1.body else {
        panic!("stored sealed: {:?}", rows[1]);
    };
    let answers: Value = serde_json::from_str(answers).expect("json");
    assert_eq!(
        answers,
        json!({"country": "kz", "incidents": [
            {"what": "beaten at the station", "by": ["police"], "injured": 1}
        ]})
    );
    report(&problems);
}
