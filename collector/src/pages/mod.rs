//! The server-rendered runner: the same surveys as the WASM runner, as
//! plain HTML pages and form posts, for members whose browsers run no
//! scripts (Tor Browser at Safest, privacy setups, old phones). With scripts
//! on, the same pages load the WASM runner, which takes over without losing
//! what was typed (see `frontend/src/takeover.rs`).
//!
//! * `GET /` — the open surveys;
//! * `GET /s/{id}` — the first page of a survey's form, with a fresh
//!   submission id;
//! * `POST /s/{id}` — a step: the form's fields carry every answer so far
//!   (nothing is kept on the server between steps), read by
//!   [`runner::fields`] and checked by the same [`runner::Form`] the WASM
//!   runner drives. The last step sends the answers through the one
//!   submission path of the JSON API ([`crate::routes`]), sealed first, in
//!   memory, when the survey is sealed.
//!
//! Every page is `no-store`, sets no cookie, and has the quick exit first
//! after the skip link.

mod lang;
pub mod render;

use std::sync::Arc;

use runner::{ErrorText, FieldError, Form};
use surveys::i18n::{UI_LANGUAGES, Ui, ui};
use surveys::sealing::{seal_answers, sealing_key};
use surveys::{Survey, SurveySummary};
use warp::http::{HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;
use crate::routes::{State, Stored, get_or_head, store, with_state};
use render::{Chrome, Notices};

/// Largest form post taken, in bytes: every answer of a long survey,
/// percent-encoded (Cyrillic text triples in size).
pub const MAX_FORM_BYTES: u64 = 256 * 1024;

/// The operator's neutral address for the quick exit unless set.
pub const DEFAULT_EXIT_URL: &str = "https://www.google.com/";

/// The script that makes the quick exit replace the page (so that Back does
/// not return to it) and answers Escape pressed twice. Served from the
/// collector itself; without scripts the quick exit is a plain link.
pub(crate) const QUICK_EXIT_JS: &str = include_str!("quick-exit.js");

/// The runner's routes: `/`, `/s/{id}` (GET and POST), `/quick-exit.js`.
pub fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone {
    let list = warp::path::end()
        .and(get_or_head())
        .and(query())
        .and(accept_language())
        .and(crate::assets::accepted_encoding())
        .and(with_state(state.clone()))
        .map(
            |q: Vec<(String, String)>,
             accept: Option<String>,
             encoding: Option<String>,
             s: Arc<State>| {
                let packing = Packing::Compress(encoding);
                list_page(&s, param(&q, "lang"), accept.as_deref(), packing)
            },
        );
    let start = warp::path!("s" / String)
        .and(get_or_head())
        .and(query())
        .and(accept_language())
        .and(crate::assets::accepted_encoding())
        .and(with_state(state.clone()))
        .map(
            |id: String,
             q: Vec<(String, String)>,
             accept: Option<String>,
             encoding: Option<String>,
             s: Arc<State>| {
                let packing = Packing::Compress(encoding);
                start_page(&s, &id, param(&q, "lang"), accept.as_deref(), packing)
            },
        );
    let step = warp::path!("s" / String)
        .and(warp::post())
        .and(warp::body::content_length_limit(MAX_FORM_BYTES))
        .and(warp::body::bytes())
        .and(accept_language())
        .and(crate::serve::peer())
        .and(with_state(state))
        .and_then(
            |id: String,
             body: Bytes,
             accept: Option<String>,
             addr: Option<std::net::SocketAddr>,
             s: Arc<State>| async move {
                Ok::<_, Rejection>(step(&s, &id, &body, accept.as_deref(), addr).await)
            },
        );
    let script = warp::path!("quick-exit.js")
        .and(get_or_head())
        .and(crate::assets::accepted_encoding())
        .map(|encoding: Option<String>| {
            // Compressed once, on the first request.
            static SCRIPT: std::sync::OnceLock<crate::assets::Asset> = std::sync::OnceLock::new();
            let script = SCRIPT.get_or_init(|| {
                crate::assets::Asset::packed(
                    "quick-exit.js",
                    "text/javascript; charset=utf-8",
                    "no-cache",
                    QUICK_EXIT_JS.as_bytes().to_vec(),
                    crate::assets::Settings::default(),
                )
            });
            script.response(encoding.as_deref())
        });
    list.or(start).unify().or(step).unify().or(script).unify()
}

fn query()
-> impl Filter<Extract = (Vec<(String, String)>,), Error = std::convert::Infallible> + Clone {
    warp::query::raw()
        .map(|raw: String| {
            form_urlencoded::parse(raw.as_bytes())
                .into_owned()
                .collect()
        })
        .or(warp::any().map(Vec::new))
        .unify()
}

fn accept_language()
-> impl Filter<Extract = (Option<String>,), Error = std::convert::Infallible> + Clone {
    warp::header::optional::<String>("accept-language")
        .or(warp::any().map(|| None))
        .unify()
}

fn param<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn ui_codes() -> Vec<&'static str> {
    UI_LANGUAGES.iter().map(|(c, _)| *c).collect()
}

/// The language of a survey's pages: one the survey is written in or the
/// runner speaks, asked for by the parameter or the browser; else the
/// survey's default.
fn survey_lang<'a>(survey: &'a Survey, param: Option<&str>, accept: Option<&str>) -> &'a str {
    let mut offered: Vec<&str> = survey.languages.iter().map(String::as_str).collect();
    for code in ui_codes() {
        if !offered.contains(&code) {
            offered.push(code);
        }
    }
    lang::choose(param, accept, &offered, &survey.default_language)
}

/// Whether a page may be compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Packing {
    /// As the request's `Accept-Encoding` asks: only for a page that holds
    /// nothing the member entered.
    Compress(Option<String>),
    /// Never: the page holds answers (a step, the review, a refusal of
    /// them). Its length already follows what was typed; compressed, it
    /// would also follow how alike the answers are to the page's other
    /// text, which an observer of the encrypted traffic could measure (as
    /// in the BREACH attack).
    Plain,
}

/// Which runner a page is taken over by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner<'a> {
    /// None: the page stays the server's (the confirmation, refusals).
    Server,
    /// The WASM runner's list of surveys.
    List,
    /// The WASM runner's form of this survey, whose definition it fetches
    /// alongside the wasm (`<link rel=preload>`).
    Form(&'a str),
}

/// The whole document: Trunk's head (its stylesheet, and for a WASM
/// runner its loader), the quick-exit script, and `body`.
/// The id of the data block with the runner's words (read by the WASM
/// runner's `takeover`).
pub const WORDS_ID: &str = "chorus-words";

fn document(
    state: &State,
    status: StatusCode,
    lang: &str,
    title: &str,
    body: &str,
    runner: Runner,
    packing: Packing,
) -> warp::reply::Response {
    let app = runner != Runner::Server;
    let (head, csp) = match state.index.as_ref() {
        Some(index) => {
            let mut head = index.head(app).to_string();
            if let Runner::Form(id) = runner {
                // The runner needs the definition as soon as the wasm has
                // started: fetched with it, not after it. `anonymous` is
                // the credentials mode of the runner's own fetch.
                head.push_str(&format!(
                    "<link rel=\"preload\" href=\"/api/surveys/{}\" as=\"fetch\" crossorigin=\"anonymous\">",
                    render::esc(&surveys::path_segment(id))
                ));
            }
            if app && let Some(words) = state.words(lang) {
                // The runner's words in this page's language: the wasm
                // carries only English. A data block, never run (so the
                // policy's script hashes do not concern it).
                head.push_str(&format!(
                    "<script type=\"application/json\" id=\"{}\" data-lang=\"{}\">{}</script>",
                    WORDS_ID, words.lang, words.embedded
                ));
            }
            let csp = if app {
                index.csp().clone()
            } else {
                HeaderValue::from_static(crate::headers::CSP)
            };
            (head, csp)
        }
        None => (String::new(), HeaderValue::from_static(crate::headers::CSP)),
    };
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex, nofollow\">\
         <meta name=\"color-scheme\" content=\"light\"><meta name=\"chorus-exit-url\" content=\"{}\">\
         <title>{}</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"manifest\" href=\"/manifest.webmanifest\">{head}\
         <script src=\"/quick-exit.js\" defer></script></head>\
         <body><div id=\"ssr\">{body}</div></body></html>",
        render::esc(lang),
        render::esc(&state.exit_url),
        render::esc(title),
    );
    let mut res = match packing {
        Packing::Plain => warp::reply::with_status(warp::reply::html(html), status).into_response(),
        Packing::Compress(accept) => {
            let mut res = crate::assets::page_response(html.into_bytes(), accept.as_deref());
            *res.status_mut() = status;
            res
        }
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    res
}

/// What of Trunk's `<head>` a page takes: its stylesheets, and with `app`
/// everything else too (the preloads and the inline module that starts the
/// WASM runner), but never its own `<title>` or meta tags.
pub(crate) fn trunk_head(index: &str, app: bool) -> String {
    // Everything before `<body`: a minified page has no `<head>` tags.
    let lower = index.to_ascii_lowercase();
    let start = lower.find("<head>").map_or(0, |h| h + "<head>".len());
    let end = lower
        .find("</head>")
        .or_else(|| lower.find("<body"))
        .unwrap_or(index.len())
        .max(start);
    let head = &index[start..end];
    let mut out = String::new();
    let mut rest = head;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let tag_end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..tag_end];
        let low = tag.to_ascii_lowercase();
        if low.starts_with("<!--") {
            let close = rest.find("-->").map_or(rest.len(), |c| c + "-->".len());
            rest = &rest[close..];
            continue;
        }
        if low.starts_with("<script") {
            let close = rest
                .to_ascii_lowercase()
                .find("</script>")
                .map_or(rest.len(), |c| c + "</script>".len());
            if app {
                out.push_str(&rest[..close]);
            }
            rest = &rest[close..];
            continue;
        }
        if low.starts_with("<title") {
            let close = rest
                .to_ascii_lowercase()
                .find("</title>")
                .map_or(rest.len(), |c| c + "</title>".len());
            rest = &rest[close..];
            continue;
        }
        let stylesheet = low.starts_with("<link") && low.contains("stylesheet");
        let preload = low.starts_with("<link") && !stylesheet;
        if stylesheet || (app && preload) {
            out.push_str(tag);
        }
        rest = &rest[tag_end..];
    }
    out
}

fn chrome<'a>(state: &'a State, lang: &'a str) -> Chrome<'a> {
    Chrome {
        lang,
        exit_url: &state.exit_url,
        lang_links: None,
    }
}

fn app_title(lang: &str, what: Option<&str>) -> String {
    let app = ui(lang, Ui::AppName);
    match what {
        Some(w) => format!("{w} — {app}"),
        None => app.to_string(),
    }
}

/// The tab's title for a survey: its neutral `browser_title` when set.
fn survey_title(survey: &Survey, lang: &str) -> String {
    let shown = match &survey.browser_title {
        Some(t) => survey.tr(t, lang),
        None => survey.tr(&survey.title, lang),
    };
    app_title(lang, Some(shown))
}

fn list_page(
    state: &State,
    param: Option<&str>,
    accept: Option<&str>,
    packing: Packing,
) -> warp::reply::Response {
    let codes = ui_codes();
    let lang = lang::choose(param, accept, &codes, INITIAL_LANGUAGE);
    let summaries: Vec<SurveySummary> = state.surveys.values().map(Survey::summary).collect();
    let link = |code: &str| format!("/?lang={code}");
    let c = Chrome {
        lang_links: Some(&link),
        ..chrome(state, lang)
    };
    let body = format!(
        "{}<main id=\"main\" class=\"wrap\">{}</main>",
        render::header(&c),
        render::list(&c, &summaries)
    );
    document(
        state,
        StatusCode::OK,
        lang,
        &app_title(lang, None),
        &body,
        Runner::List,
        packing,
    )
}

/// The language the list starts in when neither the parameter nor the
/// browser names one the runner speaks (as the WASM runner).
const INITIAL_LANGUAGE: &str = "ru";

fn start_page(
    state: &State,
    id: &str,
    param: Option<&str>,
    accept: Option<&str>,
    packing: Packing,
) -> warp::reply::Response {
    let Some(engine) = state.catalog.engine(id, None) else {
        return unknown_survey(state, param, accept, id);
    };
    let lang = survey_lang(engine.survey(), param, accept);
    let form = Form::with_engine(engine.clone(), uuid::Uuid::new_v4().to_string());
    // The first page holds nothing entered yet.
    form_response(
        state,
        &form,
        lang,
        &Notices::default(),
        StatusCode::OK,
        packing,
    )
}

fn unknown_survey(
    state: &State,
    param: Option<&str>,
    accept: Option<&str>,
    id: &str,
) -> warp::reply::Response {
    let codes = ui_codes();
    let lang = lang::choose(param, accept, &codes, INITIAL_LANGUAGE);
    problem(
        state,
        StatusCode::NOT_FOUND,
        lang,
        ui(lang, Ui::NoSurveys),
        Some(&ApiError::unknown_survey(id).message),
    )
}

fn problem(
    state: &State,
    status: StatusCode,
    lang: &str,
    message: &str,
    detail: Option<&str>,
) -> warp::reply::Response {
    let c = chrome(state, lang);
    let body = format!(
        "{}<main id=\"main\" class=\"wrap\">{}</main>",
        render::header(&c),
        render::problem(&c, message, detail)
    );
    document(
        state,
        status,
        lang,
        &app_title(lang, None),
        &body,
        Runner::Server,
        Packing::Plain,
    )
}

/// The page the form is on: a question page, or the review.
fn form_response(
    state: &State,
    form: &Form,
    lang: &str,
    notices: &Notices,
    status: StatusCode,
    packing: Packing,
) -> warp::reply::Response {
    let c = chrome(state, lang);
    let main = if form.reviewing {
        render::review(&c, form, notices)
    } else {
        render::form_page(&c, form, &form.visible(), notices)
    };
    let body = format!(
        "{}<main id=\"main\" class=\"wrap\">{main}</main>",
        render::header(&c)
    );
    document(
        state,
        status,
        lang,
        &survey_title(&form.survey, lang),
        &body,
        Runner::Form(&form.survey.id),
        packing,
    )
}

/// What a form post asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Go {
    Next,
    Back,
    Send,
    /// From the review to page `n` (an index in the form's pages).
    Change(usize),
    /// The same page in another language.
    Lang(String),
    /// "Add another" instance to a repeat (`add.<repeat>`).
    Add(String),
    /// Remove instance `k` of a repeat (`remove.<repeat>.<k>`).
    Remove(String, usize),
}

impl Go {
    fn parse(s: &str) -> Option<Go> {
        Some(match s {
            "next" => Go::Next,
            "back" => Go::Back,
            "send" => Go::Send,
            _ => {
                if let Some(n) = s.strip_prefix("change.") {
                    Go::Change(n.parse().ok()?)
                } else if let Some(l) = s.strip_prefix("lang.") {
                    Go::Lang(l.to_string())
                } else if let Some(r) = s.strip_prefix("add.") {
                    Go::Add(r.to_string())
                } else if let Some(rest) = s.strip_prefix("remove.") {
                    let (r, k) = rest.rsplit_once('.')?;
                    Go::Remove(r.to_string(), k.parse().ok()?)
                } else {
                    return None;
                }
            }
        })
    }
}

/// A form post, read and checked as far as it can be without the survey's
/// rules: every field a page of this survey could have sent, and nothing
/// else.
struct Post {
    form: Form,
    lang: String,
    go: Go,
    /// The questions the posted page showed (`_shown`).
    shown: Vec<String>,
}

/// Why a post cannot be taken as a step of this survey's form.
fn bad_post(why: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_form", why)
}

fn read_post(state: &State, id: &str, body: &[u8], accept: Option<&str>) -> Result<Post, ApiError> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let control = |name: &str| param(&fields, name);
    let version = match control("_v") {
        Some(v) => Some(
            v.parse::<u32>()
                .map_err(|_| bad_post("`_v` must be the survey's version number"))?,
        ),
        None => None,
    };
    let engine =
        state
            .catalog
            .engine(id, version)
            .ok_or_else(|| match state.surveys.contains_key(id) {
                true => bad_post(format!(
                    "survey `{id}` has no version {} on this collector; start again",
                    version.unwrap_or_default()
                )),
                false => ApiError::unknown_survey(id),
            })?;
    let sid = control("_sid").ok_or_else(|| bad_post("the form has no `_sid`"))?;
    let sid = uuid::Uuid::parse_str(sid)
        .map_err(|_| bad_post("`_sid` must be the form's submission id (a UUID)"))?
        .hyphenated()
        .to_string();
    let go = match control("_go") {
        Some(g) => Go::parse(g).ok_or_else(|| bad_post(format!("`_go={g}` is not a step")))?,
        // Enter pressed in a browser that sends no button: Next.
        None => Go::Next,
    };
    let survey = engine.survey();
    let drafts = runner::fields::decode(survey, &fields).map_err(|e| bad_post(e.to_string()))?;
    let mut form = Form::with_engine(engine.clone(), sid);
    form.drafts = drafts;
    let reviewing = control("_review") == Some("1");
    if reviewing {
        let last = form
            .shown_pages(&form.visible())
            .last()
            .copied()
            .unwrap_or(0);
        form.set_page(last);
    } else {
        let page = control("_page")
            .ok_or_else(|| bad_post("the form has no `_page`"))?
            .parse::<usize>()
            .ok()
            .filter(|&p| p < form.pages().len())
            .ok_or_else(|| bad_post("`_page` is not a page of this survey"))?;
        form.set_page(page);
    }
    form.reviewing = reviewing;
    let shown = control("_shown")
        .map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let lang = match &go {
        Go::Lang(l) => survey_lang(survey, Some(l), accept),
        _ => survey_lang(survey, control("_lang"), accept),
    }
    .to_string();
    Ok(Post {
        form,
        lang,
        go,
        shown,
    })
}

/// Errors about pages asked before the one posted: a post that skipped a
/// step (or a page whose answers a later answer made wrong).
fn earlier_problems(form: &Form) -> Vec<FieldError> {
    let vis = form.visible();
    let Some(current) = form.current_page(&vis) else {
        return Vec::new();
    };
    let earlier: Vec<&surveys::Question> = form
        .shown_pages(&vis)
        .into_iter()
        .filter(|&p| p < current)
        .flat_map(|p| form.questions_on(p, &vis))
        .collect();
    form.problems(&vis)
        .into_iter()
        .filter(|e| earlier.iter().any(|q| e.concerns(q)))
        .collect()
}

/// The envelope or the answers to send, as the JSON API takes them.
fn body_to_send(form: &Form) -> Result<Vec<u8>, ApiError> {
    let submission = form.submission();
    let json = if form.survey.is_sealed() {
        // Sealed here, in memory, on arrival: the plaintext goes no further.
        let key = sealing_key(&form.survey).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "seal_failed",
                e.to_string(),
            )
        })?;
        let sealed = seal_answers(
            &form.survey,
            &key,
            &submission.submission_id,
            &submission.answers,
        )
        .map_err(|e| match e {
            surveys::sealing::SealingError::Seal(seal::SealError::TooLarge(_)) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
            }
            e => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "seal_failed",
                e.to_string(),
            ),
        })?;
        serde_json::to_vec(&sealed)
    } else {
        serde_json::to_vec(&submission)
    };
    json.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "encode", e.to_string()))
}

/// What a step leads to, decided without awaiting (the form is not `Send`).
enum Next {
    Page(warp::reply::Response),
    Send {
        body: Vec<u8>,
        lang: String,
        survey: Box<Survey>,
    },
}

fn decide(state: &State, post: Post) -> Next {
    let Post {
        mut form,
        lang,
        go,
        shown,
    } = post;
    let page = |form: &Form, notices: &Notices| {
        Next::Page(form_response(
            state,
            form,
            &lang,
            notices,
            StatusCode::OK,
            Packing::Plain,
        ))
    };
    match go {
        Go::Lang(_) => page(&form, &Notices::default()),
        // Nothing is checked: the member is still filling this page in.
        Go::Add(repeat) => {
            if !form.add_instance(&repeat) {
                return Next::Page(problem(
                    state,
                    StatusCode::BAD_REQUEST,
                    &lang,
                    ui(&lang, Ui::FormUnreadable),
                    Some(&format!("no instance can be added to `{repeat}` now")),
                ));
            }
            page(&form, &Notices::default())
        }
        Go::Remove(repeat, k) => {
            if !form.remove_instance(&repeat, k) {
                return Next::Page(problem(
                    state,
                    StatusCode::BAD_REQUEST,
                    &lang,
                    ui(&lang, Ui::FormUnreadable),
                    Some(&format!("`{repeat}` has no instance {k} to remove")),
                ));
            }
            page(&form, &Notices::default())
        }
        Go::Back => {
            form.previous_page();
            page(&form, &Notices::default())
        }
        Go::Change(n) => {
            let vis = form.visible();
            if form.shown_pages(&vis).contains(&n) {
                form.reviewing = false;
                form.set_page(n);
            }
            page(&form, &Notices::default())
        }
        Go::Next | Go::Send if !form.reviewing || go == Go::Next => {
            let skipped = earlier_problems(&form);
            if !skipped.is_empty() {
                form.errors = skipped;
                form.reviewing = false;
                let vis = form.visible();
                form.show_first_error_page(&vis);
                return page(&form, &Notices::default());
            }
            if form.reviewing {
                // Next on the review (Enter): the same as Submit.
                return decide_send(state, form, lang);
            }
            // Answers on this page made more of its questions relevant:
            // show it again with them, checking only what was shown.
            let vis = form.visible();
            let now: Vec<String> = form
                .page_questions(&vis)
                .iter()
                .flat_map(|q| form.shown_keys(q, &vis))
                .collect();
            let more_questions = now.iter().any(|q| !shown.contains(q));
            let options_changed = form.picks_not_offered(&vis);
            if more_questions || options_changed {
                let mut errors = form.problems(&vis);
                errors.retain(|e| shown.iter().any(|s| e.is_at(s)));
                form.errors = errors;
                return page(
                    &form,
                    &Notices {
                        more_questions,
                        options_changed,
                        ..Notices::default()
                    },
                );
            }
            form.next_page();
            page(&form, &Notices::default())
        }
        Go::Next | Go::Send => decide_send(state, form, lang),
    }
}

fn decide_send(state: &State, mut form: Form, lang: String) -> Next {
    if !form.check_all() {
        return Next::Page(form_response(
            state,
            &form,
            &lang,
            &Notices::default(),
            StatusCode::OK,
            Packing::Plain,
        ));
    }
    match body_to_send(&form) {
        Ok(body) => Next::Send {
            body,
            lang,
            survey: Box::new((*form.survey).clone()),
        },
        Err(e) => Next::Page(problem(
            state,
            e.status,
            &lang,
            ui(&lang, Ui::ErrInvalidSurvey),
            Some(&e.message),
        )),
    }
}

async fn step(
    state: &Arc<State>,
    id: &str,
    body: &[u8],
    accept: Option<&str>,
    addr: Option<std::net::SocketAddr>,
) -> warp::reply::Response {
    let post = match read_post(state, id, body, accept) {
        Ok(p) => p,
        Err(e) => {
            let codes = ui_codes();
            let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
            let lang = lang::choose(param(&fields, "_lang"), accept, &codes, INITIAL_LANGUAGE);
            return problem(
                state,
                e.status,
                lang,
                ui(lang, Ui::FormUnreadable),
                Some(&e.message),
            );
        }
    };
    let (json, lang, survey) = match decide(state, post) {
        Next::Page(res) => return res,
        Next::Send { body, lang, survey } => (body, lang, survey),
    };
    if let (Some(limiter), Some(addr)) = (state.rate_limit.as_ref(), addr)
        && let crate::ratelimit::Decision::Limited { retry_after } =
            limiter.check(addr.ip(), std::time::Instant::now())
    {
        let mut res = problem(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            &lang,
            ui(&lang, Ui::NetworkError),
            Some(&format!(
                "too many submissions from this connection; wait {retry_after} s and send again"
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    match store(state, id, &json).await {
        Ok(Stored::New | Stored::Duplicate) => {
            let c = chrome(state, &lang);
            let page = format!(
                "{}<main id=\"main\" class=\"wrap\">{}</main>",
                render::header(&c),
                render::confirmation(&c, &survey)
            );
            document(
                state,
                StatusCode::OK,
                &lang,
                &survey_title(&survey, &lang),
                &page,
                Runner::Server,
                Packing::Plain,
            )
        }
        Err(e) if !e.details.is_empty() => {
            // Refusals by question: the form again, each next to its question.
            let Ok(post) = read_post(state, id, body, accept) else {
                return problem(state, e.status, &lang, &e.message, None);
            };
            let mut form = post.form;
            form.errors = e
                .details
                .iter()
                .map(|d| FieldError {
                    question: d.question.clone().unwrap_or_default(),
                    text: ErrorText::Server(d.message.clone()),
                })
                .collect();
            form.reviewing = false;
            let vis = form.visible();
            form.show_first_error_page(&vis);
            form_response(
                state,
                &form,
                &lang,
                &Notices::default(),
                e.status,
                Packing::Plain,
            )
        }
        Err(e) => {
            let message = match e.status {
                StatusCode::SERVICE_UNAVAILABLE => ui(&lang, Ui::NetworkError),
                _ => ui(&lang, Ui::ErrInvalidSurvey),
            };
            problem(state, e.status, &lang, message, Some(&e.message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "<script type=module>import init from '/frontend-1.js';await init('/frontend-1_bg.wasm')</script>";

    #[test]
    fn trunk_head_keeps_styles_and_with_the_app_its_loader() {
        let full = format!(
            "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Chorus</title>\
             <!-- a <link rel=stylesheet href=/x.css> in a comment -->\
             <link rel=\"stylesheet\" href=\"/style-1.css\"><link rel=\"modulepreload\" href=\"/frontend-1.js\">\
             {SCRIPT}</head><body><noscript>x</noscript></body></html>"
        );
        // What Trunk's minifier writes: no <head>, unquoted attributes.
        let minified = format!(
            "<!doctype html><html lang=ru><meta charset=utf-8><title>Chorus</title>\
             <link href=/style-1.css rel=stylesheet><link href=/frontend-1.js rel=modulepreload>{SCRIPT}<body><noscript>x</noscript>"
        );
        for page in [full.as_str(), minified.as_str()] {
            let with_app = trunk_head(page, true);
            assert!(with_app.contains("/style-1.css"), "{page}: {with_app}");
            assert!(with_app.contains("modulepreload"), "{with_app}");
            assert!(
                with_app.contains(SCRIPT),
                "the loader, byte for byte: {with_app}"
            );
            assert!(!with_app.contains("<title") && !with_app.contains("<meta"));
            assert!(!with_app.contains("noscript") && !with_app.contains("/x.css"));
            let without = trunk_head(page, false);
            assert!(without.contains("/style-1.css"));
            assert!(!without.contains("<script") && !without.contains("modulepreload"));
        }
    }
}
