//! The HTTP routes. Handlers parse, call the `surveys` engine and the store,
//! and reply; every refusal is an [`ApiError`] turned into JSON by
//! [`crate::error::recover`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use surveys::{Submission, Survey};
use warp::http::{StatusCode, header};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::db::{self, InsertOutcome, NewResponse};
use crate::error::{ApiError, Detail};
use crate::writer::{SubmitError, Writer};

/// Largest request body accepted, in bytes. A full answer set of the
/// longest bundled survey is well under 16 KiB.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// Every public API route, as `(method, path)` with `{id}` for a survey id.
/// The admin routes are [`crate::admin::ADMIN_ROUTES`]; `docs/openapi.json`
/// documents both, and a test holds the three together.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/surveys"),
    ("GET", "/api/surveys/{id}"),
    ("POST", "/api/surveys/{id}/responses"),
];

/// What every handler shares.
#[derive(Debug)]
pub struct State {
    pub surveys: BTreeMap<String, Survey>,
    pub writer: Writer,
    /// A read-only connection for serving results (WAL lets it read while
    /// the writer writes).
    pub reader: Mutex<Connection>,
    /// Trunk's output: `index.html`, the wasm and its JS glue.
    pub dist: Option<PathBuf>,
}

fn with_state(
    state: Arc<State>,
) -> impl Filter<Extract = (Arc<State>,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// All routes, with error recovery, security headers and request logging.
pub fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (impl Reply,), Error = std::convert::Infallible> + Clone {
    let list = warp::path!("api" / "surveys")
        .and(warp::get())
        .and(with_state(state.clone()))
        .map(|s: Arc<State>| {
            let list: Vec<surveys::SurveySummary> =
                s.surveys.values().map(Survey::summary).collect();
            no_store(warp::reply::json(&list))
        });

    let one = warp::path!("api" / "surveys" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(|id: String, s: Arc<State>| async move {
            match s.surveys.get(&id) {
                Some(survey) => Ok(no_store(warp::reply::json(survey))),
                None => Err(warp::reject::custom(ApiError::unknown_survey(&id))),
            }
        });

    let submit = warp::path!("api" / "surveys" / String / "responses")
        .and(warp::post())
        .and(warp::body::content_length_limit(MAX_BODY_BYTES))
        .and(warp::body::bytes())
        .and(with_state(state.clone()))
        .and_then(submit);

    let results = warp::path!("results" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(results);

    let admin = crate::admin::routes(state.clone());
    let app = frontend(state);

    list.map(Reply::into_response)
        .or(one.map(Reply::into_response))
        .unify()
        .or(submit)
        .unify()
        .or(results)
        .unify()
        .or(admin)
        .unify()
        .or(app)
        .unify()
        .recover(crate::error::recover)
        .unify()
        .map(security_headers)
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

/// Headers on every response: no referrer leaves a page, nothing embeds it,
/// no content sniffing, no access to camera, microphone or location.
fn security_headers(mut res: warp::reply::Response) -> warp::reply::Response {
    let h = res.headers_mut();
    let set = |h: &mut warp::http::HeaderMap, k: &'static str, v: &'static str| {
        if !h.contains_key(k) {
            h.insert(k, warp::http::HeaderValue::from_static(v));
        }
    };
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "content-security-policy",
        "frame-ancestors 'none'; base-uri 'none'",
    );
    res
}

async fn submit(
    survey_id: String,
    body: Bytes,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    let Some(survey) = state.surveys.get(&survey_id) else {
        return Err(warp::reject::custom(ApiError::unknown_survey(&survey_id)));
    };
    let submission: Submission = serde_json::from_slice(&body).map_err(|e| {
        warp::reject::custom(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!(
                "the body must be JSON like {{\"submission_id\": \"<uuid>\", \"answers\": {{…}}}}: {e}"
            ),
        ))
    })?;
    let submission_id = uuid::Uuid::parse_str(&submission.submission_id)
        .map_err(|_| {
            warp::reject::custom(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_submission_id",
                "`submission_id` must be a UUID made on the device, such as 7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
            ))
        })?
        .hyphenated()
        .to_string();
    let valid =
        surveys::validate(survey, &submission.answers, db::today_date()).map_err(|errors| {
            let details = errors
                .into_iter()
                .map(|e| Detail {
                    message: e.problem.message("en"),
                    code: e.problem.code().to_string(),
                    question: Some(e.question),
                })
                .collect();
            warp::reject::custom(
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_answers",
                    "some answers do not fit the survey; see details",
                )
                .with_details(details),
            )
        })?;
    let answers_json = serde_json::to_string(valid.answers()).map_err(|e| {
        warp::reject::custom(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("could not encode answers: {e}"),
        ))
    })?;
    let response = NewResponse {
        submission_id,
        survey_id: survey.id.clone(),
        survey_version: survey.version,
        received_day: db::today(),
        answers_json,
    };
    let outcome = state.writer.submit(response).await.map_err(|e| {
        let code = match e {
            SubmitError::Busy => "busy",
            SubmitError::Store(_) => "storage_unavailable",
        };
        warp::reject::custom(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            e.to_string(),
        ))
    })?;
    let (status, word) = match outcome {
        InsertOutcome::Stored => (StatusCode::CREATED, "stored"),
        InsertOutcome::Duplicate => (StatusCode::OK, "duplicate"),
        InsertOutcome::Conflict => {
            return Err(warp::reject::custom(ApiError::new(
                StatusCode::CONFLICT,
                "submission_id_in_use",
                "this submission id belongs to another survey; make a new one",
            )));
        }
    };
    Ok(no_store(warp::reply::with_status(
        warp::reply::json(&serde_json::json!({ "status": word })),
        status,
    )))
}

async fn results(survey_id: String, state: Arc<State>) -> Result<warp::reply::Response, Rejection> {
    if !state.surveys.contains_key(&survey_id) {
        return Err(warp::reject::custom(ApiError::unknown_survey(&survey_id)));
    }
    let st = state.clone();
    let id = survey_id.clone();
    let html = tokio::task::spawn_blocking(move || {
        let conn = st.reader.lock().unwrap_or_else(|p| p.into_inner());
        db::latest_release_html(&conn, &id)
    })
    .await
    .map_err(|_| warp::reject::custom(unavailable("the results reader stopped")))?
    .map_err(|e| warp::reject::custom(unavailable(&e.to_string())))?;
    let Some(html) = html else {
        return Err(warp::reject::custom(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_results",
            format!("nothing has been published for `{survey_id}` yet"),
        )));
    };
    let reply = warp::reply::html(html);
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "public, max-age=300");
    // A report is a static document: no scripts at all, its own styles only.
    let reply = warp::reply::with_header(
        reply,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    Ok(reply.into_response())
}

fn unavailable(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        why.to_string(),
    )
}

/// The built frontend: `/` is `index.html`, other files as they are.
fn frontend(
    state: Arc<State>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone {
    let dist = state.dist.clone();
    let index = warp::path::end()
        .and(warp::get())
        .and(with_state(state))
        .and_then(|s: Arc<State>| async move {
            let Some(dir) = s.dist.as_ref() else {
                return Ok::<_, Rejection>(not_built());
            };
            match tokio::fs::read(dir.join("index.html")).await {
                Ok(bytes) => Ok(no_store(warp::reply::html(bytes))),
                Err(_) => Ok(not_built()),
            }
        });
    let files = warp::get()
        .and(warp::any().map(move || dist.clone()))
        .and(warp::path::tail())
        .and_then(|dist: Option<PathBuf>, tail: warp::path::Tail| async move {
            serve_file(dist, tail.as_str()).await
        });
    index.or(files).unify()
}

async fn serve_file(dist: Option<PathBuf>, tail: &str) -> Result<warp::reply::Response, Rejection> {
    let Some(dir) = dist else {
        return Err(warp::reject::not_found());
    };
    // Only plain file names that Trunk writes: no directories, no dot-files.
    let ok = !tail.is_empty()
        && !tail.contains('/')
        && !tail.starts_with('.')
        && tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(warp::reject::not_found());
    }
    let bytes = tokio::fs::read(dir.join(tail))
        .await
        .map_err(|_| warp::reject::not_found())?;
    let mime = match tail.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    // Trunk puts a content hash in asset names, so they can be cached long.
    let cache = if tail.contains('-') && tail != "index.html" {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = warp::reply::Response::new(bytes.into());
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static(mime),
    );
    h.insert(
        header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static(cache),
    );
    Ok(res)
}

fn not_built() -> warp::reply::Response {
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Chorus</title>\
        <p>The Chorus frontend has not been built. Run <code>scripts/run.sh</code>, \
        or <code>trunk build --release</code> and restart the collector.</p>\
        <p>The API is available under <code>/api/surveys</code>.</p></html>";
    warp::reply::with_status(warp::reply::html(page), StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
}
