//! The HTTP routes. Handlers parse, call the `surveys` engine and the store,
//! and reply; every refusal is an [`ApiError`] turned into JSON by
//! [`crate::error::recover`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use surveys::Survey;
use warp::http::{StatusCode, header};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::assets::{Asset, Assets};
use crate::error::ApiError;
use crate::ratelimit::{Decision, RateLimiter};
use crate::store::{self, InsertOutcome, Store};
use crate::submit::{self, Catalog};
use crate::writer::{SubmitError, Writer};

/// Largest request body accepted, in bytes: room for the largest sealed
/// envelope (`seal::MAX_ENVELOPE`, base64url in JSON). Plaintext answers
/// are held to [`submit::MAX_PLAIN_BODY_BYTES`].
pub const MAX_BODY_BYTES: u64 = 96 * 1024;

/// Every public API route, as `(method, path)` with `{id}` for a survey id.
/// The admin routes are [`crate::admin::ADMIN_ROUTES`]; `docs/openapi.json`
/// documents both, and a test holds the three together.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/surveys"),
    ("GET", "/api/surveys/{id}"),
    ("POST", "/api/surveys/{id}/responses"),
    ("GET", "/api/ui/{lang}"),
];

/// What every handler shares.
#[derive(Debug)]
pub struct State {
    pub surveys: BTreeMap<String, Survey>,
    pub writer: Writer,
    /// A connection for serving results and admin look-ups (SQLite's WAL
    /// lets it read while the writer writes).
    pub reader: Mutex<Store>,
    /// The database, for the admin routes that open their own connection
    /// (an export, a charge, closing a survey).
    pub db: store::Location,
    /// Trunk's output (`index.html`, the wasm, its JS glue, the styles),
    /// read and compressed once at start; `None` when not built.
    pub assets: Option<Assets>,
    /// `index.html` and its Content-Security-Policy, read once at start.
    pub index: Option<IndexPage>,
    /// Every version of every survey that answers are accepted for,
    /// compiled once.
    pub catalog: Catalog,
    /// Submissions per client and minute; `None` when off.
    pub rate_limit: Option<RateLimiter>,
    /// Where the quick exit goes: a neutral page the operator chose.
    pub exit_url: String,
    /// `GET /api/surveys/{id}`: each survey's definition as JSON, made and
    /// compressed once at start (see [`definitions`]).
    pub definitions: BTreeMap<String, Asset>,
    /// `GET /api/surveys`: the list, made and compressed once at start.
    pub catalogue: Asset,
    /// The WASM runner's own words in each of its languages (see
    /// [`ui_words`]).
    pub words: Vec<Words>,
    /// The web app manifest and its icon (`crate::install`).
    pub install: crate::install::Install,
    /// The service worker, when the frontend is served (`crate::worker`).
    pub worker: Option<crate::worker::Worker>,
}

/// The runner's own words in one language, in the order of
/// `surveys::i18n::Ui::ALL`: the wasm carries only English, and gets a
/// member's language from the page it takes over (`embedded`) or from
/// `GET /api/ui/{lang}` (`asset`) when the member switches.
#[derive(Debug)]
pub struct Words {
    pub lang: &'static str,
    pub asset: Asset,
    /// The JSON array, safe inside a `<script type="application/json">`
    /// data block (every `<` escaped).
    pub embedded: String,
}

impl State {
    /// `lang`'s words, when it is one of the runner's languages.
    pub(crate) fn words(&self, lang: &str) -> Option<&Words> {
        self.words.iter().find(|w| w.lang == lang)
    }
}

/// [`Words`] for every language of the runner, made and compressed once.
/// These words name no survey; they are still `no-store`, like every
/// response of the runner.
pub fn ui_words() -> Vec<Words> {
    surveys::i18n::UI_LANGUAGES
        .iter()
        .map(|&(lang, _)| {
            let json = serde_json::to_string(&surveys::i18n::words(lang)).unwrap_or_default();
            Words {
                lang,
                embedded: json.replace('<', "\\u003c"),
                asset: json_asset(json.into_bytes()),
            }
        })
        .collect()
}

/// `GET /api/surveys`'s body, compressed once.
pub fn catalogue(surveys: &BTreeMap<String, Survey>) -> Asset {
    let list: Vec<surveys::SurveySummary> = surveys.values().map(Survey::summary).collect();
    json_asset(serde_json::to_vec(&list).unwrap_or_default())
}

fn json_asset(json: Vec<u8>) -> Asset {
    Asset::packed(
        "api.json",
        "application/json",
        "no-store",
        json,
        crate::assets::Settings::default(),
    )
}

/// Every survey's definition as its API serves it, compressed once.
/// `no-store`: a browser's cache is left nothing that names a survey a
/// member opened (the runner fetches it once per page load).
pub fn definitions(surveys: &BTreeMap<String, Survey>) -> BTreeMap<String, Asset> {
    surveys
        .iter()
        .map(|(id, survey)| {
            let json = serde_json::to_vec(survey).unwrap_or_default();
            (id.clone(), json_asset(json))
        })
        .collect()
}

/// The runner's page, with a policy that names its inline loader by hash.
#[derive(Debug)]
pub struct IndexPage {
    csp: warp::http::HeaderValue,
    /// What of its `<head>` every server-rendered page takes, with the
    /// WASM runner's loader and without (see `pages::trunk_head`).
    head_with_app: String,
    head_without_app: String,
}

impl IndexPage {
    /// Reads `index.html` from `dist`; `None` when the frontend is not built.
    pub fn load(dist: &std::path::Path) -> Option<IndexPage> {
        let html = std::fs::read_to_string(dist.join("index.html")).ok()?;
        let csp = warp::http::HeaderValue::from_str(&crate::headers::csp_for_page(&html)).ok()?;
        Some(IndexPage {
            head_with_app: crate::pages::trunk_head(&html, true),
            head_without_app: crate::pages::trunk_head(&html, false),
            csp,
        })
    }

    /// The head a server-rendered page takes, read once at start.
    pub(crate) fn head(&self, app: bool) -> &str {
        if app {
            &self.head_with_app
        } else {
            &self.head_without_app
        }
    }

    /// Its policy, which names its inline loader by hash.
    pub(crate) fn csp(&self) -> &warp::http::HeaderValue {
        &self.csp
    }
}

/// `GET`, or `HEAD` (the same answer without its body: hyper leaves the
/// body out), for every public page and file.
pub fn get_or_head() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::get().or(warp::head()).unify()
}

impl State {
    /// Runs `f` on the shared read connection, off the async threads; a
    /// store error is a 503 `storage_unavailable`.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<State>,
        f: impl FnOnce(&mut Store) -> Result<T, store::StoreError> + Send + 'static,
    ) -> Result<T, Rejection> {
        let st = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = st.reader.lock().unwrap_or_else(|p| p.into_inner());
            // A PostgreSQL server that restarted closed this connection.
            conn.reconnect_if_broken();
            f(&mut conn)
        })
        .await
        .map_err(|_| ApiError::storage_unavailable("the database reader stopped").reject())?
        .map_err(|e| ApiError::storage_unavailable(e).reject())
    }
}

pub(crate) fn with_state(
    state: Arc<State>,
) -> impl Filter<Extract = (Arc<State>,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// All routes, with error recovery, security headers and request logging.
pub fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (impl Reply,), Error = std::convert::Infallible> + Clone {
    let list = warp::path!("api" / "surveys")
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .map(|s: Arc<State>, accept: Option<String>| s.catalogue.response(accept.as_deref()));

    let one = warp::path!("api" / "surveys" / String)
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .and_then(
            |id: String, s: Arc<State>, accept: Option<String>| async move {
                match s.definitions.get(&id) {
                    Some(definition) => Ok(definition.response(accept.as_deref())),
                    None => Err(warp::reject::custom(ApiError::unknown_survey(&id))),
                }
            },
        );

    let words = warp::path!("api" / "ui" / String)
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .and_then(
            |lang: String, s: Arc<State>, accept: Option<String>| async move {
                match s.words(&lang) {
                    Some(words) => Ok(words.asset.response(accept.as_deref())),
                    None => Err(warp::reject::custom(ApiError::new(
                        StatusCode::NOT_FOUND,
                        "unknown_language",
                        format!("the runner has no words in `{lang}`"),
                    ))),
                }
            },
        );

    let manifest = warp::path!("manifest.webmanifest")
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .map(|s: Arc<State>, accept: Option<String>| {
            s.install.manifest.response(accept.as_deref())
        });
    let icon = warp::path!("app-icon")
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .map(|s: Arc<State>, accept: Option<String>| s.install.icon.response(accept.as_deref()));

    let worker = warp::path!("sw.js")
        .and(get_or_head())
        .and(with_state(state.clone()))
        .and(crate::assets::accepted_encoding())
        .and_then(|s: Arc<State>, accept: Option<String>| async move {
            match &s.worker {
                Some(worker) => Ok(worker.script.response(accept.as_deref())),
                None => Err(warp::reject::not_found()),
            }
        });

    let submit = warp::path!("api" / "surveys" / String / "responses")
        .and(warp::post())
        .and(rate_limited(state.clone()))
        .and(warp::body::content_length_limit(MAX_BODY_BYTES))
        .and(envelope_headers())
        .and(warp::body::bytes())
        .and(with_state(state.clone()))
        .and_then(submit);

    let results = crate::results::routes(state.clone());

    let admin = crate::admin::routes(state.clone());
    let pages = crate::pages::routes(state.clone());
    let app = frontend(state);

    list.map(Reply::into_response)
        .or(one.map(Reply::into_response))
        .unify()
        .or(words)
        .unify()
        .or(manifest)
        .unify()
        .or(icon)
        .unify()
        .or(worker)
        .unify()
        .or(submit)
        .unify()
        .or(results)
        .unify()
        .or(admin)
        .unify()
        .or(pages)
        .unify()
        .or(app)
        .unify()
        .recover(crate::error::recover)
        .unify()
        .map(|mut res: warp::reply::Response| {
            crate::headers::apply(res.headers_mut());
            res
        })
        .with(warp::log::custom(log_request))
}

/// Logs method, path, status and duration — never addresses, agents or bodies.
fn log_request(info: warp::log::Info<'_>) {
    tracing::info!(
        method = %info.method(),
        path = info.path(),
        status = info.status().as_u16(),
        ms = info.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
}

fn no_store(reply: impl Reply) -> warp::reply::Response {
    warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store").into_response()
}

/// Refuses a submission (429 `rate_limited`, with `Retry-After`) when its
/// client has sent too many this minute. The peer address is only hashed
/// with a rotating in-memory key (see [`crate::ratelimit`]); it is never
/// logged or stored.
pub(crate) fn rate_limited(
    state: Arc<State>,
) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    crate::serve::peer()
        .and(with_state(state))
        .and_then(
            |addr: Option<std::net::SocketAddr>, s: Arc<State>| async move {
                let (Some(limiter), Some(addr)) = (s.rate_limit.as_ref(), addr) else {
                    return Ok(());
                };
                match limiter.check(addr.ip(), std::time::Instant::now()) {
                    Decision::Allow => Ok(()),
                    Decision::Limited { retry_after } => Err(warp::reject::custom(
                        ApiError::new(
                            StatusCode::TOO_MANY_REQUESTS,
                            "rate_limited",
                            format!(
                                "too many submissions from this connection; wait {retry_after} s and send again (answers waiting on the device are kept)"
                            ),
                        )
                        .with_retry_after(retry_after),
                    )),
                }
            },
        )
        .untuple_one()
}

/// The headers of a sealed submission sent as the envelope's bytes:
/// `Some` when `Content-Type` is [`submit::ENVELOPE_MEDIA_TYPE`] (any
/// other body is read as JSON, as before that type existed).
#[derive(Debug)]
struct EnvelopeHeaders {
    submission_id: Option<warp::http::HeaderValue>,
    version: Option<warp::http::HeaderValue>,
}

fn envelope_headers()
-> impl Filter<Extract = (Option<EnvelopeHeaders>,), Error = std::convert::Infallible> + Copy {
    warp::filters::header::headers_cloned().map(|headers: warp::http::HeaderMap| {
        let sealed = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| submit::is_envelope_media_type(v.as_bytes()));
        sealed.then(|| EnvelopeHeaders {
            submission_id: headers.get(submit::SUBMISSION_ID_HEADER).cloned(),
            version: headers.get(submit::VERSION_HEADER).cloned(),
        })
    })
}

async fn submit(
    survey_id: String,
    envelope: Option<EnvelopeHeaders>,
    body: Bytes,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    let stored = match envelope {
        Some(headers) => store_envelope(&state, &survey_id, &headers, &body).await,
        None => store(&state, &survey_id, &body).await,
    };
    let (status, body) = match stored {
        Ok(Stored::New) => (StatusCode::CREATED, r#"{"status":"stored"}"#),
        Ok(Stored::Duplicate) => (StatusCode::OK, r#"{"status":"duplicate"}"#),
        Err(e) => return Err(warp::reject::custom(e)),
    };
    Ok(no_store(warp::reply::with_header(
        warp::reply::with_status(body, status),
        header::CONTENT_TYPE,
        "application/json",
    )))
}

/// A submission the collector holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Stored now.
    New,
    /// Stored before: a retry of the same submission.
    Duplicate,
}

/// The one submission path, for the JSON API and the server-rendered
/// runner alike: every check of [`submit::check_submission`], then the
/// writer (acknowledged once committed).
pub(crate) async fn store(
    state: &Arc<State>,
    survey_id: &str,
    body: &[u8],
) -> Result<Stored, ApiError> {
    let checked = submit::check_submission(&state.catalog, survey_id, body, store::today_date())?;
    commit(state, survey_id, checked).await
}

/// A sealed submission sent as the envelope's bytes: every check of
/// [`submit::check_envelope_submission`], then the writer.
async fn store_envelope(
    state: &Arc<State>,
    survey_id: &str,
    headers: &EnvelopeHeaders,
    envelope: &[u8],
) -> Result<Stored, ApiError> {
    let request = submit::EnvelopeRequest {
        submission_id: headers.submission_id.as_ref().map(|v| v.as_bytes()),
        version: headers.version.as_ref().map(|v| v.as_bytes()),
        envelope,
    };
    let checked =
        submit::check_envelope_submission(&state.catalog, survey_id, request, store::today_date())?;
    commit(state, survey_id, checked).await
}

/// Hands a checked submission to the writer; answers once it is committed.
async fn commit(
    state: &Arc<State>,
    survey_id: &str,
    checked: submit::Checked,
) -> Result<Stored, ApiError> {
    let closed_since = checked.closed_since;
    let outcome = state
        .writer
        .submit(checked.response, closed_since.is_some())
        .await
        .map_err(|e| {
            let code = match e {
                SubmitError::Busy => "busy",
                SubmitError::Store(_) => "storage_unavailable",
            };
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code,
                format!("{e}; nothing was stored, send again later"),
            )
        })?;
    match outcome {
        InsertOutcome::Stored => Ok(Stored::New),
        InsertOutcome::Duplicate => Ok(Stored::Duplicate),
        InsertOutcome::Conflict => Err(ApiError::new(
            StatusCode::CONFLICT,
            "submission_id_in_use",
            "this submission id belongs to another survey; make a new one",
        )),
        InsertOutcome::Closed => Err(submit::survey_closed(survey_id, closed_since.as_deref())),
    }
}

/// The built frontend's files (`/` is the server-rendered runner's, see
/// [`crate::pages`]), from memory in the coding the client prefers (see [`crate::assets`]).
fn frontend(
    state: Arc<State>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone {
    get_or_head()
        .and(with_state(state))
        .and(warp::path::tail())
        .and(warp::header::headers_cloned())
        .and_then(
            |s: Arc<State>, tail: warp::path::Tail, headers: warp::http::HeaderMap| async move {
                let mut res = serve_file(s.assets.as_ref(), tail.as_str(), &headers)?;
                // Trunk's page (the service worker's offline shell) runs
                // its inline loader: its policy names it by hash.
                if tail.as_str() == "index.html"
                    && let Some(index) = &s.index
                {
                    res.headers_mut().insert(
                        warp::http::header::CONTENT_SECURITY_POLICY,
                        index.csp().clone(),
                    );
                }
                Ok::<_, Rejection>(res)
            },
        )
}

/// One file of the frontend, compressed as `Accept-Encoding` asks; 404
/// for anything that is not a file Trunk wrote.
fn serve_file(
    assets: Option<&Assets>,
    tail: &str,
    headers: &warp::http::HeaderMap,
) -> Result<warp::reply::Response, Rejection> {
    let accept = crate::assets::accept_encoding(headers);
    assets
        .and_then(|a| a.response(tail, accept.as_deref()))
        .ok_or_else(warp::reject::not_found)
}
