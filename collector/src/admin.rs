//! The researchers' API under `/api/admin/…`, behind bearer tokens.
//!
//! A token is `chorus_` followed by 64 hex digits: 256 bits from the
//! operating system's generator, shown once by `chorus token create` and
//! stored only as its SHA-256. A request's token is hashed, looked up by
//! hash, and the stored hash compared in constant time. Two roles:
//! *viewers* see which surveys exist, whether they are open and how many
//! responses each holds; *researchers* also export raw data, read the
//! codebook, open and close surveys, and publish from their own computer:
//! they fetch the stored rows (`/sealed`, envelopes the collector cannot
//! open) and the served versions, have the collector charge a release to
//! the survey's budget (`POST /releases`: the charge is resolved here, from
//! the collector's own survey file, and recorded atomically with the
//! budget check), and upload the release they built with the private key
//! that never leaves their computer (`PUT /releases/{release_id}`).
//!
//! Refusals: 401 `unauthorized` (with `WWW-Authenticate: Bearer`) saying
//! whether the token is missing, malformed, or unknown/revoked; 403
//! `forbidden` when the role lacks the right. Every answer is `no-store`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warp::http::{HeaderValue, StatusCode, header};
use warp::hyper::body::Bytes;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;
use crate::export::{self, CodebookFormat, Format};
use crate::opening::Opener;
use crate::routes::{State, with_state};
use crate::store::{self, Store, StoreError};

/// Every token starts with this, so a leaked one is recognisable (and
/// secret scanners can be taught to find it).
pub const TOKEN_PREFIX: &str = "chorus_";
/// Random bytes in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// Every admin route, as `(method, path)` with `{id}` for a survey id.
pub const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/admin/surveys"),
    ("GET", "/api/admin/surveys/{id}/count"),
    ("GET", "/api/admin/surveys/{id}/export"),
    ("GET", "/api/admin/surveys/{id}/codebook"),
    ("POST", "/api/admin/surveys/{id}/close"),
    ("POST", "/api/admin/surveys/{id}/open"),
    ("GET", "/api/admin/surveys/{id}/sealed"),
    ("GET", "/api/admin/surveys/{id}/versions"),
    ("POST", "/api/admin/surveys/{id}/releases"),
    ("PUT", "/api/admin/surveys/{id}/releases/{release_id}"),
];

/// Largest body of `POST /api/admin/surveys/{id}/releases` (`{"epsilon": …}`).
pub const MAX_CHARGE_BODY_BYTES: u64 = 4 * 1024;

/// Largest body of `PUT /api/admin/surveys/{id}/releases/{release_id}`: a
/// report's JSON and its default-language page, each as a JSON string.
pub const MAX_RELEASE_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// What a token allows. Researchers can do everything viewers can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Researcher,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Researcher => "researcher",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "researcher" => Some(Role::Researcher),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token just created: the only moment its text exists outside the
/// holder's hands.
#[derive(Debug)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot draw random bytes from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let d = |c: u8| char::from(c).to_digit(16);
            u8::try_from(d(p[0])? * 16 + d(p[1])?).ok()
        })
        .collect()
}

/// SHA-256 of a token. Tokens carry 256 random bits, so a fast hash is
/// enough: there is nothing to guess, unlike a password (see ARCHITECTURE.md).
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Does `token` have the shape of a Chorus token?
fn well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == TOKEN_BYTES * 2 && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Makes a token with 256 bits from the operating system's generator and
/// stores its hash. The returned text is shown once and never stored.
pub fn create_token(
    conn: &mut Store,
    role: Role,
    label: &str,
    day: &str,
) -> Result<NewToken, TokenError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| TokenError::Random(e.to_string()))?;
    let token = format!("{TOKEN_PREFIX}{}", hex(&bytes));
    let id = conn.insert_token(&hex(&hash_token(&token)), role.as_str(), label, day)?;
    Ok(NewToken { id, token })
}

/// Why a request was not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    UnknownOrRevoked,
}

/// Checks a presented token against the store: its role when it is known
/// and not revoked.
pub fn check_token(
    conn: &mut Store,
    presented: &str,
) -> Result<Result<Role, AuthFailure>, StoreError> {
    if !well_formed(presented) {
        return Ok(Err(AuthFailure::Malformed));
    }
    let digest = hash_token(presented);
    let Some(record) = conn.find_token(&hex(&digest))? else {
        return Ok(Err(AuthFailure::UnknownOrRevoked));
    };
    // The row was found by its hash; compare the hash bytes again in
    // constant time so no early-exit comparison of secret-derived bytes
    // happens in our code.
    let stored = unhex(&record.token_hash).unwrap_or_default();
    let same: bool = stored.as_slice().ct_eq(digest.as_slice()).into();
    if !same || record.revoked_day.is_some() {
        return Ok(Err(AuthFailure::UnknownOrRevoked));
    }
    Ok(Role::parse(&record.role).ok_or(AuthFailure::UnknownOrRevoked))
}

fn unauthorized(why: AuthFailure) -> ApiError {
    let message = match why {
        AuthFailure::Missing => {
            "missing bearer token: send `Authorization: Bearer chorus_…` with a token from `chorus token create`"
        }
        AuthFailure::Malformed => {
            "malformed bearer token: a Chorus token is `chorus_` followed by 64 hex digits"
        }
        AuthFailure::UnknownOrRevoked => "unknown or revoked token",
    };
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "viewers can see counts; exporting and publishing need a researcher token",
    )
}

/// The role of the caller, already checked against the store.
#[derive(Debug, Clone, Copy)]
struct Caller(Role);

impl Caller {
    fn require(self, need: Role) -> Result<(), Rejection> {
        if self.0 >= need {
            Ok(())
        } else {
            Err(forbidden().reject())
        }
    }
}

fn caller(state: Arc<State>) -> impl Filter<Extract = (Caller,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization").and_then(move |auth: Option<String>| {
        let state = state.clone();
        async move {
            let Some(auth) = auth else {
                return Err(unauthorized(AuthFailure::Missing).reject());
            };
            let token = match auth.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
                    rest.trim().to_string()
                }
                _ => return Err(unauthorized(AuthFailure::Malformed).reject()),
            };
            match state.read(move |conn| check_token(conn, &token)).await? {
                Ok(role) => Ok(Caller(role)),
                Err(why) => Err(unauthorized(why).reject()),
            }
        }
    })
}

type Query = BTreeMap<String, String>;

/// The admin routes. Mounted by [`crate::routes::routes`].
pub fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone {
    let list = warp::path!("api" / "admin" / "surveys")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(list);
    let count = warp::path!("api" / "admin" / "surveys" / String / "count")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(count);
    let export = warp::path!("api" / "admin" / "surveys" / String / "export")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(warp::query::<Query>())
        .and(with_state(state.clone()))
        .and_then(export);
    let codebook = warp::path!("api" / "admin" / "surveys" / String / "codebook")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(warp::query::<Query>())
        .and(with_state(state.clone()))
        .and_then(codebook);
    let close = warp::path!("api" / "admin" / "surveys" / String / "close")
        .and(warp::post())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(|id, c, s| lifecycle(id, c, s, true));
    let open = warp::path!("api" / "admin" / "surveys" / String / "open")
        .and(warp::post())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(|id, c, s| lifecycle(id, c, s, false));
    let sealed = warp::path!("api" / "admin" / "surveys" / String / "sealed")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(sealed_rows);
    let versions = warp::path!("api" / "admin" / "surveys" / String / "versions")
        .and(warp::get())
        .and(caller(state.clone()))
        .and(with_state(state.clone()))
        .and_then(versions);
    let charge = warp::path!("api" / "admin" / "surveys" / String / "releases")
        .and(warp::post())
        .and(caller(state.clone()))
        .and(limited_body(MAX_CHARGE_BODY_BYTES))
        .and(with_state(state.clone()))
        .and_then(charge_release);
    let upload = warp::path!("api" / "admin" / "surveys" / String / "releases" / String)
        .and(warp::put())
        .and(caller(state.clone()))
        .and(limited_body(MAX_RELEASE_BODY_BYTES))
        .and(with_state(state))
        .and_then(upload_release);
    list.or(count)
        .unify()
        .or(export)
        .unify()
        .or(codebook)
        .unify()
        .or(close)
        .unify()
        .or(open)
        .unify()
        .or(sealed)
        .unify()
        .or(versions)
        .unify()
        .or(charge)
        .unify()
        .or(upload)
        .unify()
        .map(no_store)
        .recover(admin_errors)
        .unify()
}

fn no_store(mut res: warp::reply::Response) -> warp::reply::Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Admin refusals as JSON, `no-store`, and with the Bearer challenge on a
/// 401. Anything else (another route's rejection) passes on untouched.
async fn admin_errors(rejection: Rejection) -> Result<warp::reply::Response, Rejection> {
    let Some(e) = rejection.find::<ApiError>() else {
        return Err(rejection);
    };
    let mut res = no_store(e.clone().into_response());
    if e.status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"chorus-admin\""),
        );
    }
    Ok(res)
}

fn unknown_survey(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_survey",
        format!("there is no survey `{id}` on this collector"),
    )
}

fn survey<'a>(state: &'a State, id: &str) -> Result<&'a surveys::Survey, Rejection> {
    state
        .surveys
        .get(id)
        .ok_or_else(|| unknown_survey(id).reject())
}

/// A survey as researchers and viewers see it.
#[derive(Debug, Serialize)]
struct AdminSurvey {
    id: String,
    version: u32,
    title: surveys::Text,
    open: bool,
    /// Day it was closed by command; `null` when not closed by command.
    closed_day: Option<String>,
    /// Last day of answers set in the survey file.
    #[serde(skip_serializing_if = "Option::is_none")]
    closes: Option<String>,
    responses: u64,
    /// Versions served so far (and the current one).
    versions: Vec<u32>,
    /// Whether the current version lists `public_keys`: answers arrive
    /// sealed on the member's device.
    sealed: bool,
    /// `sealed` (envelopes this collector cannot open) or `plaintext`
    /// (answers readable by whoever holds the database).
    storage: &'static str,
}

fn describe(conn: &mut Store, s: &surveys::Survey, today: &str) -> Result<AdminSurvey, StoreError> {
    let closed_day = conn.closed_day(&s.id)?;
    let past_close = s.closes.as_deref().is_some_and(|c| today > c);
    let mut versions = conn.served_versions(&s.id)?;
    if !versions.contains(&s.version) {
        versions.push(s.version);
        versions.sort_unstable();
    }
    Ok(AdminSurvey {
        id: s.id.clone(),
        version: s.version,
        title: s.title.clone(),
        open: closed_day.is_none() && !past_close,
        closed_day,
        closes: s.closes.clone(),
        responses: conn.response_count(&s.id)?,
        versions,
        sealed: s.is_sealed(),
        storage: if s.is_sealed() { "sealed" } else { "plaintext" },
    })
}

async fn list(caller: Caller, state: Arc<State>) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Viewer)?;
    let st = state.clone();
    let out = state
        .read(move |conn| {
            let today = store::today();
            st.surveys
                .values()
                .map(|s| describe(conn, s, &today))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(warp::reply::json(&out).into_response())
}

async fn count(
    id: String,
    caller: Caller,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Viewer)?;
    survey(&state, &id)?;
    let sid = id.clone();
    let n = state.read(move |conn| conn.response_count(&sid)).await?;
    Ok(warp::reply::json(&serde_json::json!({ "survey": id, "responses": n })).into_response())
}

async fn lifecycle(
    id: String,
    caller: Caller,
    state: Arc<State>,
    close: bool,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    survey(&state, &id)?;
    let db = state.db.clone();
    let st = state.clone();
    let described = tokio::task::spawn_blocking(move || {
        let mut conn = Store::open(&db)?;
        let today = store::today();
        conn.set_closed(&id, close, &today)?;
        let s = st
            .surveys
            .get(&id)
            .ok_or_else(|| StoreError::Unavailable(format!("survey `{id}` vanished")))?;
        describe(&mut conn, s, &today)
    })
    .await
    .map_err(|_| ApiError::storage_unavailable("the database task stopped").reject())?
    .map_err(|e| ApiError::storage_unavailable(e).reject())?;
    Ok(warp::reply::json(&described).into_response())
}

fn bad_parameter(message: String) -> Rejection {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message).reject()
}

fn flag(query: &Query, name: &str) -> Result<bool, Rejection> {
    match query.get(name).map(String::as_str) {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes" | "") => Ok(true),
        Some(other) => Err(bad_parameter(format!(
            "`{name}` must be true or false, not `{other}`"
        ))),
    }
}

fn language(survey: &surveys::Survey, query: &Query) -> Result<String, Rejection> {
    match query.get("lang") {
        None => Ok(survey.default_language.clone()),
        Some(l) if survey.languages.contains(l) => Ok(l.clone()),
        Some(l) => Err(bad_parameter(format!(
            "survey `{}` is not written in `{l}`; it has {}",
            survey.id,
            survey.languages.join(", ")
        ))),
    }
}

fn only_known(query: &Query, known: &[&str]) -> Result<(), Rejection> {
    match query.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(bad_parameter(format!(
            "unknown parameter `{k}`; this address takes {}",
            known.join(", ")
        ))),
    }
}

/// Sends what the export writes as body chunks of about 64 KiB. A full
/// channel blocks the writer (back-pressure: a slow client never makes the
/// server buffer the export); a gone client ends the export.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The receiving end as the body stream of a response.
struct ChunkStream(tokio::sync::mpsc::Receiver<Result<Bytes, io::Error>>);

impl warp::Stream for ChunkStream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

async fn export(
    id: String,
    caller: Caller,
    query: Query,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    let s = survey(&state, &id)?;
    if s.is_sealed() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "sealed",
            format!(
                "the answers to `{id}` are sealed to the researchers' key, which this collector does not hold; \
                 export them on your own computer with `chorus export {id} --key FILE --from URL --token TOKEN`"
            ),
        )
        .reject());
    }
    only_known(&query, &["format", "lang", "labels", "bom", "repeat"])?;
    let format = match query.get("format") {
        None => Format::Csv,
        Some(f) => Format::parse(f)
            .ok_or_else(|| bad_parameter(format!("`format` must be csv or json, not `{f}`")))?,
    };
    // A CSV export is one file per response and one per repeat (its
    // instances, in long format); `repeat` asks for a repeat's file.
    let repeats: Vec<&str> = export::repeats(s).iter().map(|q| q.id.as_str()).collect();
    let repeat = match query.get("repeat") {
        None => None,
        Some(_) if format == Format::JsonLines => {
            return Err(bad_parameter(
                "`repeat` asks for one repeat's CSV file; JSON Lines has no such file: \
                 each line holds its response's instances"
                    .to_string(),
            ));
        }
        Some(r) => match repeats.iter().position(|x| x == r) {
            Some(i) => Some(i),
            None if repeats.is_empty() => {
                return Err(bad_parameter(format!(
                    "survey `{id}` has no repeats, so no `repeat` file (asked for `{r}`)"
                )));
            }
            None => {
                return Err(bad_parameter(format!(
                    "survey `{id}` has no repeat `{r}`; its repeats are {}",
                    repeats.join(", ")
                )));
            }
        },
    };
    let csv_repeats = match format {
        Format::Csv => repeats.len(),
        Format::JsonLines => 0,
    };
    let filename = match repeat {
        Some(i) => format!("{id}-{}.{}.csv", store::today(), repeats[i]),
        None => format!("{id}-{}.{}", store::today(), format.extension()),
    };
    let options = export::Options {
        format,
        lang: language(s, &query)?,
        labels: flag(&query, "labels")?,
        bom: flag(&query, "bom")?,
    };
    // Open first, so a database that cannot be read is a 503, not a cut body.
    let mut conn = read_only_conn(&state).await?;

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let st = state.clone();
    let sid = id.clone();
    tokio::task::spawn_blocking(move || {
        let Some(survey) = st.surveys.get(&sid) else {
            return;
        };
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let mut opener = Opener::new(survey, &[], Vec::new());
        // The main file and each repeat's; the one asked for is sent, the
        // others are dropped.
        let mut sinks: Vec<io::Sink> = (0..=csv_repeats).map(|_| io::sink()).collect();
        let mut outs: Vec<&mut dyn Write> = sinks.iter_mut().map(|s| s as &mut dyn Write).collect();
        outs[repeat.map_or(0, |i| i + 1)] = &mut out;
        let Some((main, repeat_outs)) = outs.split_first_mut() else {
            return;
        };
        if let Err(e) =
            export::write_export(&mut conn, survey, &options, &mut opener, main, repeat_outs)
        {
            let gone =
                matches!(&e, export::ExportError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe);
            if !gone {
                tracing::error!(error = %e, "export stopped");
                // An error in the body makes the server cut the response,
                // so the client cannot take a partial export for a whole one.
                let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    });

    let mut res = warp::reply::stream(ChunkStream(rx)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

async fn codebook(
    id: String,
    caller: Caller,
    query: Query,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    let s = survey(&state, &id)?;
    only_known(&query, &["format", "lang", "bom"])?;
    let format = match query.get("format") {
        None => CodebookFormat::Csv,
        Some(f) => CodebookFormat::parse(f)
            .ok_or_else(|| bad_parameter(format!("`format` must be csv or md, not `{f}`")))?,
    };
    let lang = language(s, &query)?;
    let mut body = Vec::new();
    export::write_codebook(s, &lang, format, flag(&query, "bom")?, &mut body)
        .map_err(|e| ApiError::storage_unavailable(e).reject())?;
    let mut res = warp::reply::Response::new(body.into());
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(res)
}

/// A request body of at most `limit` bytes (with `Content-Length`), or a
/// 413 that names this route's limit.
fn limited_body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::bytes())
        .or_else(move |rejection: Rejection| async move {
            if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!(
                        "the request body is larger than {limit} bytes, the most this address takes"
                    ),
                )
                .reject());
            }
            if rejection.find::<warp::reject::LengthRequired>().is_some() {
                return Err(ApiError::new(
                    StatusCode::LENGTH_REQUIRED,
                    "length_required",
                    "send a Content-Length header with the body",
                )
                .reject());
            }
            Err(rejection)
        })
}

fn bad_json(message: String) -> Rejection {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_json", message).reject()
}

/// Opens the collector's database for reading, off the async threads; a
/// database that cannot be read is a 503 before any body is sent.
async fn read_only_conn(state: &State) -> Result<Store, Rejection> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || Store::open_read_only(&db))
        .await
        .map_err(|_| ApiError::storage_unavailable("the database task stopped").reject())?
        .map_err(|e| ApiError::storage_unavailable(e).reject())
}

/// Runs `f` on a new write connection to the collector's database, off the
/// async threads.
async fn with_write_conn<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&mut Store) -> Result<T, Rejection> + Send + 'static,
) -> Result<T, Rejection> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = Store::open(&db).map_err(|e| ApiError::storage_unavailable(e).reject())?;
        f(&mut conn)
    })
    .await
    .map_err(|_| ApiError::storage_unavailable("the database task stopped").reject())?
}

/// One line of `/sealed` for an envelope.
#[derive(Serialize)]
struct SealedLine<'a> {
    submission_id: &'a str,
    survey_version: i64,
    received_day: &'a str,
    key_id: &'a str,
    envelope: String,
}

/// The fields of a `/sealed` line that precede a plaintext row's answers.
#[derive(Serialize)]
struct PlainHead<'a> {
    submission_id: &'a str,
    survey_version: i64,
    received_day: &'a str,
}

/// Writes one stored row as a line of JSON into `line` (cleared first).
fn row_line(
    row: &store::StoredResponse<'_>,
    line: &mut Vec<u8>,
) -> Result<(), export::ExportError> {
    line.clear();
    match row.body {
        store::StoredBody::Sealed { key_id, envelope } => {
            serde_json::to_writer(
                &mut *line,
                &SealedLine {
                    submission_id: row.submission_id,
                    survey_version: row.survey_version,
                    received_day: row.received_day,
                    key_id,
                    envelope: seal::encode(envelope),
                },
            )
            .map_err(io::Error::other)?;
        }
        store::StoredBody::Plain(answers) => {
            serde_json::to_writer(
                &mut *line,
                &PlainHead {
                    submission_id: row.submission_id,
                    survey_version: row.survey_version,
                    received_day: row.received_day,
                },
            )
            .map_err(io::Error::other)?;
            // `{…}` becomes `{…,"answers":<the stored object>}`. The stored
            // text is the compact JSON the collector wrote; text spread over
            // lines is re-serialised, so that one line stays one response.
            line.pop();
            line.extend_from_slice(b",\"answers\":");
            if answers.contains(['\n', '\r']) {
                let value: serde_json::Value =
                    serde_json::from_str(answers).map_err(|e| export::ExportError::Corrupt {
                        submission_id: row.submission_id.to_string(),
                        message: e.to_string(),
                    })?;
                serde_json::to_writer(&mut *line, &value).map_err(io::Error::other)?;
            } else {
                line.extend_from_slice(answers.as_bytes());
            }
            line.push(b'}');
        }
    }
    line.push(b'\n');
    Ok(())
}

/// `GET /api/admin/surveys/{id}/sealed`: every stored row of the survey as
/// stored (envelopes in base64url, plaintext answers as an object), one
/// JSON line each in storage order, streamed like the export.
async fn sealed_rows(
    id: String,
    caller: Caller,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    survey(&state, &id)?;
    let mut conn = read_only_conn(&state).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let mut line = Vec::with_capacity(4096);
        let result = conn
            .for_each_response::<export::ExportError>(&id, |row| {
                row_line(&row, &mut line)?;
                out.write_all(&line)?;
                Ok(())
            })
            .and_then(|_| out.flush().map_err(export::ExportError::from));
        if let Err(e) = result {
            let gone =
                matches!(&e, export::ExportError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe);
            if !gone {
                tracing::error!(error = %e, "sealed rows stopped");
                // Cut the body, so a partial list is never taken for a whole one.
                let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    });
    let mut res = warp::reply::stream(ChunkStream(rx)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    Ok(res)
}

/// `GET /api/admin/surveys/{id}/versions`: every served definition.
async fn versions(
    id: String,
    caller: Caller,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    survey(&state, &id)?;
    let definitions = state.read(move |conn| conn.survey_definitions(&id)).await?;
    Ok(warp::reply::json(&definitions).into_response())
}

/// ε as a client may send it: `"1/2"`, `"0.5"` or `0.5`.
#[derive(Deserialize)]
#[serde(untagged)]
enum EpsilonValue {
    Text(String),
    Number(serde_json::Number),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeRequest {
    #[serde(default)]
    epsilon: Option<EpsilonValue>,
}

/// What `POST /releases` answers.
#[derive(Serialize)]
struct Charged {
    release_id: String,
    day: String,
    epsilon: surveys::Epsilon,
    delta: f64,
    description: String,
    /// ε spent on the survey, this charge included.
    spent: surveys::Epsilon,
    /// The survey's whole privacy budget.
    budget: surveys::Epsilon,
}

fn cannot_publish(e: &analysis::AnalysisError) -> Rejection {
    use analysis::AnalysisError as A;
    let (status, code) = match e {
        A::EpsilonNeeded => (StatusCode::UNPROCESSABLE_ENTITY, "epsilon_needed"),
        A::EpsilonMismatch { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "epsilon_mismatch"),
        A::ExceedsBudget { .. } | A::Budget(analysis::BudgetError::Overspend { .. }) => {
            (StatusCode::CONFLICT, "budget_exceeded")
        }
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "cannot_publish"),
    };
    ApiError::new(status, code, format!("{e}; nothing was charged")).reject()
}

fn bad_epsilon(message: String) -> Rejection {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_epsilon", message).reject()
}

/// `POST /api/admin/surveys/{id}/releases`: resolves the release's plan
/// and charge from this collector's own survey file, exactly as a local
/// publish does, and in one write transaction checks the budget and
/// records the charge.
async fn charge_release(
    id: String,
    caller: Caller,
    body: Bytes,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    let s = survey(&state, &id)?;
    let request: ChargeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ChargeRequest { epsilon: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            bad_json(format!(
                "the body must be {{\"epsilon\": \"1/2\"}} or {{}}: {e}"
            ))
        })?
    };
    let epsilon = match request.epsilon {
        None => None,
        Some(v) => {
            let text = match v {
                EpsilonValue::Text(t) => t,
                EpsilonValue::Number(n) => n.to_string(),
            };
            let e: surveys::Epsilon = text
                .parse()
                .map_err(|e| bad_epsilon(format!("`epsilon` {text:?}: {e}")))?;
            if e.is_zero() {
                return Err(bad_epsilon("`epsilon` must be greater than 0".into()));
            }
            Some(e)
        }
    };
    // The plan and its charge come from the collector's survey file: a
    // client cannot ask to be charged less than the release costs.
    let plan = analysis::prepare(s, epsilon).map_err(|e| cannot_publish(&e))?;
    let charge = plan.charge();
    let description = plan.describe();
    drop(plan);
    let budget = s.privacy_budget;
    let day = store::today();
    let sid = id.clone();
    let charged = with_write_conn(&state, move |conn| {
        let cx = conn
            .charge::<Refusal>(
                &sid,
                store::Charge {
                    epsilon: charge.epsilon,
                    delta: charge.delta,
                },
                &day,
                &description,
                |spent| {
                    analysis::check_spend(budget, spent, charge.epsilon)
                        .map(|_| ())
                        .map_err(Refusal::Budget)
                },
            )
            .map_err(|e| match e {
                Refusal::Budget(b) => ApiError::new(
                    StatusCode::CONFLICT,
                    "budget_exceeded",
                    format!("{b}; nothing was charged"),
                )
                .reject(),
                Refusal::Store(e) => ApiError::storage_unavailable(e).reject(),
            })?;
        let spent = cx
            .spent_before
            .checked_add(charge.epsilon)
            .unwrap_or(budget);
        Ok(Charged {
            release_id: cx.release_id,
            day: cx.day,
            epsilon: charge.epsilon,
            delta: charge.delta,
            description,
            spent,
            budget,
        })
    })
    .await?;
    Ok(warp::reply::with_status(warp::reply::json(&charged), StatusCode::CREATED).into_response())
}

/// Why a charge was not recorded.
#[derive(Debug)]
enum Refusal {
    Budget(analysis::BudgetError),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    json: String,
    html: String,
}

fn not_a_report(message: String) -> Rejection {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_a_report", message).reject()
}

fn report_mismatch(message: String) -> Rejection {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "report_mismatch", message).reject()
}

/// Compares a report with the charge it is uploaded for.
fn matches_charge(report: &analysis::Report, entry: &store::LedgerEntry) -> Result<(), String> {
    let mut wrong = Vec::new();
    if report.epsilon != entry.epsilon {
        wrong.push(format!(
            "ε = {} (charged {})",
            report.epsilon, entry.epsilon
        ));
    }
    if report.delta != entry.delta {
        wrong.push(format!(
            "δ = {} (charged {})",
            store::delta_text(report.delta),
            store::delta_text(entry.delta)
        ));
    }
    if report.published != entry.charged_day {
        wrong.push(format!(
            "published {} (charged {})",
            report.published, entry.charged_day
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the report does not match the charge of release `{}`: it says {}",
            entry.release_id,
            wrong.join(", ")
        ))
    }
}

/// `PUT /api/admin/surveys/{id}/releases/{release_id}`: stores, once, a
/// release built on the researcher's computer for a charge made by
/// [`charge_release`]. Served from then on as a locally published one.
async fn upload_release(
    id: String,
    release_id: String,
    caller: Caller,
    body: Bytes,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    caller.require(Role::Researcher)?;
    survey(&state, &id)?;
    let upload: UploadRequest = serde_json::from_slice(&body).map_err(|e| {
        bad_json(format!(
            "the body must be {{\"json\": \"<report>\", \"html\": \"<page>\"}}: {e}"
        ))
    })?;
    drop(body);
    let report: analysis::Report = serde_json::from_str(&upload.json)
        .map_err(|e| not_a_report(format!("`json` is not a Chorus report: {e}")))?;
    if report.schema != analysis::report::SCHEMA {
        return Err(not_a_report(format!(
            "`json` is a report of schema `{}`; this collector takes `{}`",
            report.schema,
            analysis::report::SCHEMA
        )));
    }
    if upload.html.trim().is_empty() {
        return Err(not_a_report("`html` is empty".into()));
    }
    if report.survey_id != id || report.release_id != release_id {
        return Err(report_mismatch(format!(
            "the report is release `{}` of survey `{}`, not release `{release_id}` of `{id}`",
            report.release_id, report.survey_id
        )));
    }
    let release = store::Release {
        release_id: release_id.clone(),
        json: upload.json,
        html: upload.html,
    };
    let (sid, rid) = (id.clone(), release_id.clone());
    let entry = with_write_conn(&state, move |conn| {
        conn.store_charged_release(&sid, &release, |entry| matches_charge(&report, entry))
            .map_err(|e| match e {
                store::UploadError::NoCharge { .. } => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_such_charge",
                    format!(
                        "survey `{sid}` has no charge for release `{rid}`; charge one first with POST /api/admin/surveys/{sid}/releases"
                    ),
                )
                .reject(),
                store::UploadError::AlreadyStored { .. } => ApiError::new(
                    StatusCode::CONFLICT,
                    "already_uploaded",
                    format!("release `{rid}` is already stored; a release is uploaded once"),
                )
                .reject(),
                store::UploadError::Refused(message) => report_mismatch(message),
                store::UploadError::Store(e) => ApiError::storage_unavailable(e).reject(),
            })
    })
    .await?;
    let body = serde_json::json!({
        "survey": id,
        "release_id": release_id,
        "day": entry.charged_day,
        "url": format!(
            "/results/{}/{}",
            surveys::path_segment(&id),
            surveys::path_segment(&release_id)
        ),
    });
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = Store::open(&dir.path().join("t.db").into()).expect("open");
        (dir, conn)
    }

    #[test]
    fn a_token_is_stored_only_as_its_hash_and_checks_by_role() {
        let (_dir, mut conn) = conn();
        let t = create_token(&mut conn, Role::Viewer, "field team", "2026-01-02").expect("create");
        assert!(well_formed(&t.token), "{}", t.token);
        let stored = conn.list_tokens().expect("tokens")[0].token_hash.clone();
        assert_ne!(stored, t.token);
        assert!(!stored.contains(&t.token[TOKEN_PREFIX.len()..]));
        assert_eq!(
            check_token(&mut conn, &t.token).expect("check"),
            Ok(Role::Viewer)
        );

        let other = format!("{TOKEN_PREFIX}{}", "0".repeat(64));
        assert_eq!(
            check_token(&mut conn, &other).expect("check"),
            Err(AuthFailure::UnknownOrRevoked)
        );
        assert_eq!(
            check_token(&mut conn, "hunter2").expect("check"),
            Err(AuthFailure::Malformed)
        );

        assert!(conn.revoke_token(t.id, "2026-01-03").expect("revoke"));
        assert_eq!(
            check_token(&mut conn, &t.token).expect("check"),
            Err(AuthFailure::UnknownOrRevoked)
        );
    }

    #[test]
    fn two_tokens_differ() {
        let (_dir, mut conn) = conn();
        let a = create_token(&mut conn, Role::Researcher, "a", "2026-01-02").expect("a");
        let b = create_token(&mut conn, Role::Researcher, "b", "2026-01-02").expect("b");
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn closing_and_reopening_is_recorded() {
        let (_dir, mut conn) = conn();
        assert_eq!(conn.closed_day("s").expect("read"), None);
        conn.set_closed("s", true, "2026-03-04").expect("close");
        assert_eq!(
            conn.closed_day("s").expect("read").as_deref(),
            Some("2026-03-04")
        );
        conn.set_closed("s", false, "2026-03-05").expect("open");
        assert_eq!(conn.closed_day("s").expect("read"), None);
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff"), Some(bytes.to_vec()));
        assert_eq!(unhex("0g"), None);
    }
}
