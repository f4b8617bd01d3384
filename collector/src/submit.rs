//! The submission path without HTTP: from the bytes of a request body to a
//! response ready for the writer, or a specific refusal.
//!
//! [`check_submission`] is a pure function (no I/O, no clock: `today` is
//! passed in), so it is fuzzed directly (`collector/tests/fuzz.rs`). The
//! order of checks is cheapest first, and each refusal says what, where and
//! how to fix:
//!
//! | check | status | `error` |
//! |---|---|---|
//! | survey exists | 404 | `unknown_survey` |
//! | the survey's `closes` day has not passed | 410 | `survey_closed` (in the writer, so a retry of a stored answer still gets `duplicate`) |
//! | JSON nesting ≤ [`MAX_DEPTH`] (a byte scan before parsing) | 400 | `too_deep` |
//! | the body is JSON of the submission's shape | 400 | `bad_json` |
//! | `submission_id` is a UUID | 400 | `bad_submission_id` |
//! | `version` is one this collector has served | 409 | `unknown_version` |
//! | a sealed version gets an envelope, never plaintext answers | 400 | `plaintext_refused` |
//! | an unsealed version gets answers, not an envelope | 400 | `not_sealed` |
//! | sealed: `version` is given (the envelope is bound to it) | 400 | `version_required` |
//! | sealed: the envelope is base64url of a format-1 envelope whose ciphertext fills a size bucket | 400 | `bad_envelope` |
//! | sealed: the envelope is at most `seal::MAX_ENVELOPE` bytes | 413 | `envelope_too_large` |
//! | sealed: the envelope names a key this version lists | 422 | `unknown_key` |
//! | plaintext: the body is at most [`MAX_PLAIN_BODY_BYTES`] | 413 | `body_too_large` |
//! | at most 2 × questions + 8 answers (a question and its "other" text each) | 422 | `too_many_answers` |
//! | no string longer than the survey allows (≤ [`MAX_STRING_CHARS`]) | 422 | `string_too_long` |
//! | the answers fit that version of the survey | 422 | `invalid_answers` |
//!
//! A sealed submission stops after the envelope checks: the collector
//! cannot read the answers, so it stores the envelope as it came. The
//! body size limit for both (413 `body_too_large`,
//! [`crate::routes::MAX_BODY_BYTES`]) is enforced by the route before a
//! byte is read; a survey closed by command is refused in the writer's
//! transaction (410 `survey_closed`).
//!
//! A sealed submission may also come as the envelope's own bytes
//! ([`ENVELOPE_MEDIA_TYPE`], checked by [`check_envelope_submission`]):
//! no JSON, no base64url, the submission id and version in the
//! [`SUBMISSION_ID_HEADER`] and [`VERSION_HEADER`] headers. It gets the
//! same checks in the same order, and the same refusals, less the JSON
//! ones (`too_deep`, `bad_json`) and plus one: a version header that is
//! not a number is 400 `bad_version`. A missing submission id header is
//! `bad_submission_id`, a missing version header `version_required`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Map;
use serde_json::Value;
use surveys::model::{LONG_TEXT_LIMIT, SHORT_TEXT_DEFAULT_MAX};
use surveys::{Date, Engine, QuestionKind, Survey};
use warp::http::StatusCode;

use crate::error::{ApiError, Detail};
use crate::store::{Body, NewResponse};

/// Deepest JSON nesting accepted. A submission is an object (1) holding
/// `answers` (2) holding a grid answer (3) holding strings: 8 is room to
/// spare, and far below `serde_json`'s own recursion limit of 128.
pub const MAX_DEPTH: usize = 8;
/// No string in a submission may be longer than this, in characters,
/// whatever the survey says (the longest long-text answer a survey may allow).
pub const MAX_STRING_CHARS: usize = LONG_TEXT_LIMIT as usize;
/// Largest body of plaintext answers, in bytes.
pub const MAX_PLAIN_BODY_BYTES: usize = 64 * 1024;
/// The media type of a sealed submission sent as the envelope's bytes
/// (`docs/sealing.md`), instead of base64url inside JSON.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.chorus.envelope";
/// With [`ENVELOPE_MEDIA_TYPE`]: the submission id, as in JSON's
/// `submission_id`. A header, not the query string, so that a proxy's
/// access log does not put it beside an address.
pub const SUBMISSION_ID_HEADER: &str = "chorus-submission-id";
/// With [`ENVELOPE_MEDIA_TYPE`]: the survey version, as in JSON's `version`.
pub const VERSION_HEADER: &str = "chorus-version";

/// A submission as it arrives: plaintext answers (`surveys::Submission`)
/// or an envelope (`surveys::sealing::SealedSubmission`); which one a
/// survey version takes is checked after the version is known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Incoming {
    submission_id: String,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    answers: Option<Map<String, Value>>,
    #[serde(default)]
    envelope: Option<String>,
}

/// Every survey the collector takes answers for, with every version of each
/// it has served, compiled once.
#[derive(Debug, Default)]
pub struct Catalog {
    surveys: BTreeMap<String, Versions>,
}

#[derive(Debug)]
struct Versions {
    current: Limits,
    /// Versions served before (or after, if a file went back), by number.
    others: BTreeMap<u32, Limits>,
}

/// One version, compiled, with the input limits it implies.
#[derive(Debug)]
struct Limits {
    engine: Arc<Engine>,
    max_answers: usize,
    max_string: usize,
    /// The keys envelopes to this version may be sealed to; empty when its
    /// answers are plaintext.
    keys: Vec<seal::KeyId>,
}

impl Limits {
    fn new(survey: &Survey) -> Result<Limits, String> {
        let engine = Engine::new(survey).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| format!("{}: {}", p.place, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok(Limits {
            max_answers: answer_limit(survey),
            max_string: string_limit(survey),
            keys: surveys::sealing::key_ids(survey),
            engine: Arc::new(engine),
        })
    }
}

/// Most keys an `answers` object may have: one per question plus one
/// "other, please specify" text per question, with a little slack.
fn answer_limit(survey: &Survey) -> usize {
    survey.questions.len() * 2 + 8
}

/// Longest string (in characters) any answer to `survey` can need.
fn string_limit(survey: &Survey) -> usize {
    let longest = survey
        .questions
        .iter()
        .filter_map(|q| match q.kind {
            QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length } => {
                Some(max_length as usize)
            }
            _ => None,
        })
        .max()
        .unwrap_or(0);
    longest
        .max(SHORT_TEXT_DEFAULT_MAX as usize)
        .min(MAX_STRING_CHARS)
}

impl Catalog {
    /// Adds a survey's current version and the other versions it has
    /// served. Fails when a definition's logic does not compile.
    pub fn insert(&mut self, current: &Survey, others: &[Survey]) -> Result<(), String> {
        let mut versions = Versions {
            current: Limits::new(current)
                .map_err(|e| format!("survey `{}` v{}: {e}", current.id, current.version))?,
            others: BTreeMap::new(),
        };
        for old in others.iter().filter(|o| o.version != current.version) {
            match Limits::new(old) {
                Ok(l) => {
                    versions.others.insert(old.version, l);
                }
                // An old definition this build can no longer compile: late
                // answers to it are refused as an unknown version.
                Err(e) => tracing::warn!(
                    survey = %old.id,
                    version = old.version,
                    problem = %e,
                    "a stored survey version cannot be used to validate late answers"
                ),
            }
        }
        self.surveys.insert(current.id.clone(), versions);
        Ok(())
    }

    /// The definition of version `version` of survey `id` (`None`: the
    /// current one), when it is served.
    pub fn survey(&self, id: &str, version: Option<u32>) -> Option<&Survey> {
        self.engine(id, version).map(|e| e.survey())
    }

    /// The compiled logic of that version (`None`: the current one), shared
    /// by every form the server-rendered runner builds for it.
    pub fn engine(&self, id: &str, version: Option<u32>) -> Option<&Arc<Engine>> {
        let v = self.surveys.get(id)?;
        let limits = match version {
            None => &v.current,
            Some(n) if n == v.current.engine.survey().version => &v.current,
            Some(n) => v.others.get(&n)?,
        };
        Some(&limits.engine)
    }

    /// The versions of a survey that answers are accepted for, ascending.
    pub fn versions(&self, id: &str) -> Vec<u32> {
        let Some(v) = self.surveys.get(id) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = v.others.keys().copied().collect();
        out.push(v.current.engine.survey().version);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A submission that passed every check, ready for the writer.
#[derive(Debug, Clone)]
pub struct Checked {
    pub response: NewResponse,
    /// The day the survey's file closes it, when that day has passed: the
    /// writer refuses the answer unless it is a retry of one already stored.
    pub closed_since: Option<String>,
}

/// Parses and validates one submission body for `survey_id`; see the
/// module documentation for the order of checks and their refusals.
pub fn check_submission(
    catalog: &Catalog,
    survey_id: &str,
    body: &[u8],
    today: Date,
) -> Result<Checked, ApiError> {
    let Some(versions) = catalog.surveys.get(survey_id) else {
        return Err(ApiError::unknown_survey(survey_id));
    };
    let today_text = today.to_string();
    let closed_since = versions.closed_since(&today_text);

    if let Some(depth) = exceeds_depth(body, MAX_DEPTH) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_deep",
            format!(
                "the JSON body is nested deeper than {MAX_DEPTH} levels (at byte {depth}); a submission needs only a few"
            ),
        ));
    }
    let submission: Incoming = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!(
                "the body must be JSON like {{\"submission_id\": \"<uuid>\", \"version\": 1, \"answers\": {{…}}}} (or, for a sealed survey, \"envelope\": \"<base64url>\" instead of \"answers\"): {e}"
            ),
        )
    })?;
    let submission_id = parse_submission_id(&submission.submission_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_submission_id",
            "`submission_id` must be a UUID made on the device, such as 7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
        )
    })?;
    let limits = versions.limits(catalog, survey_id, submission.version)?;

    let survey = limits.engine.survey();
    let answers = match (
        limits.keys.is_empty(),
        submission.answers,
        submission.envelope,
    ) {
        (false, _, Some(text)) => {
            let version = require_version(submission.version)?;
            let bytes = seal::decode(&text).ok_or_else(|| {
                bad_envelope("`envelope` must be base64url without padding".into())
            })?;
            return sealed(
                limits,
                submission_id,
                version,
                bytes,
                today_text,
                closed_since,
            );
        }
        (false, _, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "plaintext_refused",
                format!(
                    "survey `{survey_id}` v{} seals answers on the device, so this collector never holds them in plaintext; send {{\"submission_id\", \"version\", \"envelope\"}} (reload the form to get the runner that seals)",
                    survey.version
                ),
            ));
        }
        (true, _, Some(_)) => return Err(not_sealed(survey)),
        (true, None, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                "the body must have `answers`: an object of answers by question id",
            ));
        }
        (true, Some(answers), None) => answers,
    };
    if body.len() > MAX_PLAIN_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is larger than {MAX_PLAIN_BODY_BYTES} bytes, the most plaintext answers may take"
            ),
        ));
    }

    if answers.len() > limits.max_answers {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_answers",
            format!(
                "{} answers sent; survey `{survey_id}` takes at most {}",
                answers.len(),
                limits.max_answers
            ),
        ));
    }
    let long: Vec<Detail> = answers
        .iter()
        .filter(|(k, v)| too_long(k, limits.max_string) || has_long_string(v, limits.max_string))
        .map(|(k, _)| Detail {
            question: Some(clip(k, 100)),
            code: "string_too_long".into(),
            message: format!(
                "a text in this answer is longer than {} characters",
                limits.max_string
            ),
        })
        .collect();
    if !long.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "string_too_long",
            format!(
                "no text in an answer to `{survey_id}` may be longer than {} characters; see details",
                limits.max_string
            ),
        )
        .with_details(long));
    }

    let valid = limits.engine.validate(&answers, today).map_err(|errors| {
        let details = errors
            .into_iter()
            .map(|e| Detail {
                message: e.problem.message("en"),
                code: e.problem.code().to_string(),
                question: Some(e.question),
            })
            .collect();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_answers",
            "some answers do not fit the survey; see details",
        )
        .with_details(details)
    })?;
    let answers_json = serde_json::to_string(valid.answers()).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("could not encode answers: {e}"),
        )
    })?;
    Ok(Checked {
        response: NewResponse {
            submission_id,
            survey_id: survey.id.clone(),
            survey_version: survey.version,
            received_day: today_text,
            body: Body::Plain(answers_json),
        },
        closed_since,
    })
}

/// Checks a sealed submission sent as the envelope's bytes
/// ([`ENVELOPE_MEDIA_TYPE`]), with the submission id and version from its
/// headers; see the module documentation for the order of checks.
pub fn check_envelope_submission(
    catalog: &Catalog,
    survey_id: &str,
    request: EnvelopeRequest<'_>,
    today: Date,
) -> Result<Checked, ApiError> {
    let Some(versions) = catalog.surveys.get(survey_id) else {
        return Err(ApiError::unknown_survey(survey_id));
    };
    let today_text = today.to_string();
    let closed_since = versions.closed_since(&today_text);
    let submission_id = request
        .submission_id
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(parse_submission_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_submission_id",
                "send the submission id in the `Chorus-Submission-Id` header: a UUID made on the device, such as 7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
            )
        })?;
    let version = match request.version {
        None => None,
        Some(text) => Some(parse_version(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_version",
                "the `Chorus-Version` header must be the survey version the envelope is bound to: a whole number such as 3",
            )
        })?),
    };
    let limits = versions.limits(catalog, survey_id, version)?;
    if limits.keys.is_empty() {
        return Err(not_sealed(limits.engine.survey()));
    }
    let version = require_version(version)?;
    sealed(
        limits,
        submission_id,
        version,
        request.envelope.to_vec(),
        today_text,
        closed_since,
    )
}

/// A sealed submission as bytes: the envelope is the body, and what it is
/// bound to comes in headers, given here as received (absent: `None`).
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeRequest<'a> {
    /// The [`SUBMISSION_ID_HEADER`]'s value.
    pub submission_id: Option<&'a [u8]>,
    /// The [`VERSION_HEADER`]'s value.
    pub version: Option<&'a [u8]>,
    pub envelope: &'a [u8],
}

/// Whether a `Content-Type` value names [`ENVELOPE_MEDIA_TYPE`] (in any
/// case; parameters are ignored).
pub fn is_envelope_media_type(value: &[u8]) -> bool {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(ENVELOPE_MEDIA_TYPE.as_bytes())
}

impl Versions {
    /// The day the survey's file closed it, when that day has passed.
    fn closed_since(&self, today: &str) -> Option<String> {
        self.current
            .engine
            .survey()
            .closes
            .as_ref()
            .filter(|closes| today > closes.as_str())
            .cloned()
    }

    /// The version a submission names (`None`: the current one), or 409
    /// `unknown_version`.
    fn limits(
        &self,
        catalog: &Catalog,
        survey_id: &str,
        version: Option<u32>,
    ) -> Result<&Limits, ApiError> {
        let current_version = self.current.engine.survey().version;
        match version {
            None => Ok(&self.current),
            Some(v) if v == current_version => Ok(&self.current),
            Some(v) => self.others.get(&v).ok_or_else(|| {
                let served = catalog
                    .versions(survey_id)
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "unknown_version",
                    format!(
                        "survey `{survey_id}` has no version {v} on this collector (versions accepted: {served}); reload the form to get version {current_version}"
                    ),
                )
            }),
        }
    }
}

/// A UUID in its hyphenated lower-case form, as stored.
fn parse_submission_id(text: &str) -> Option<String> {
    let id = uuid::Uuid::parse_str(text).ok()?;
    Some(id.hyphenated().to_string())
}

/// A version header: ASCII digits that fit a `u32`.
fn parse_version(text: &[u8]) -> Option<u32> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn require_version(version: Option<u32>) -> Result<u32, ApiError> {
    version.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "version_required",
            "a sealed submission must say its `version` (with an envelope's bytes: the `Chorus-Version` header): the envelope is bound to it",
        )
    })
}

fn not_sealed(survey: &Survey) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "not_sealed",
        format!(
            "survey `{}` v{} lists no public key, so it takes plaintext `answers`, not an `envelope`",
            survey.id, survey.version
        ),
    )
}

fn bad_envelope(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_envelope", message)
}

/// What the collector can check of an envelope's bytes without a key:
/// that they are a format-1 envelope whose ciphertext fills one of the
/// padding buckets, and that it names a key this version lists. Then the
/// response to store, with the key id (16 hex digits) and the bytes.
fn sealed(
    limits: &Limits,
    submission_id: String,
    version: u32,
    envelope: Vec<u8>,
    received_day: String,
    closed_since: Option<String>,
) -> Result<Checked, ApiError> {
    let survey = limits.engine.survey();
    let parsed = seal::Envelope::parse(&envelope).map_err(|e| match e {
        seal::EnvelopeError::TooLarge(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "envelope_too_large",
            e.to_string(),
        ),
        e => bad_envelope(e.to_string()),
    })?;
    if !limits.keys.contains(&parsed.key_id) {
        let known: Vec<String> = limits.keys.iter().map(seal::KeyId::fingerprint).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_key",
            format!(
                "the envelope is sealed to key {}; survey `{}` v{} takes envelopes sealed to {} (reload the form to get its keys)",
                parsed.key_id.fingerprint(),
                survey.id,
                survey.version,
                known.join(", ")
            ),
        ));
    }
    let key_id = parsed.key_id.to_string();
    Ok(Checked {
        response: NewResponse {
            submission_id,
            survey_id: survey.id.clone(),
            survey_version: version,
            received_day,
            body: Body::Sealed { key_id, envelope },
        },
        closed_since,
    })
}

/// The refusal for a survey that takes no more answers.
pub fn survey_closed(survey_id: &str, since: Option<&str>) -> ApiError {
    let when = since
        .map(|d| format!(" (its last day was {d})"))
        .unwrap_or_default();
    ApiError::new(
        StatusCode::GONE,
        "survey_closed",
        format!(
            "survey `{survey_id}` is closed and takes no more answers{when}; nothing was stored"
        ),
    )
}

fn too_long(s: &str, max: usize) -> bool {
    // Bytes ≥ characters, so most strings need no count.
    s.len() > max && s.trim().chars().count() > max
}

fn has_long_string(v: &Value, max: usize) -> bool {
    match v {
        Value::String(s) => too_long(s, max),
        Value::Array(items) => items.iter().any(|i| has_long_string(i, max)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| too_long(k, max) || has_long_string(v, max)),
        _ => false,
    }
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Scans JSON text for nesting deeper than `max` without parsing it;
/// returns the byte offset where the limit is passed. Brackets inside
/// strings do not count. Malformed JSON is left for the parser to refuse.
///
/// Strings are skipped eight bytes at a time: most of a sealed body is
/// one long string (the envelope), which a byte-by-byte scan took 3.7 µs
/// to cross.
pub fn exceeds_depth(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            // An unterminated string: nothing after it counts.
            b'"' => i = string_end(bytes, i + 1)?,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset of the quote that closes the string whose text starts at
/// `from`, skipping escaped characters; `None` when it is not closed.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        from += quote_or_backslash(bytes.get(from..)?)?;
        if bytes[from] == b'"' {
            return Some(from);
        }
        // A backslash and the byte it escapes.
        from += 2;
    }
}

/// The offset of the first `"` or `\` in `text`, eight bytes at a time:
/// in a word XORed with the byte sought, `(w - 0x01…) & !w & 0x80…` marks
/// the zero bytes, and its lowest mark is the first of them.
fn quote_or_backslash(text: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut chunks = text.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        assert_eq!(exceeds_depth(br#"{"a":[[["x"]]]}"#, 4), None);
        assert_eq!(exceeds_depth(br#"{"a":[[[["x"]]]]}"#, 4), Some(8));
        assert_eq!(exceeds_depth(br#"{"a":"[[[[[[[[[[\"[[[[["}"#, 2), None);
        assert_eq!(exceeds_depth(b"]]]]{", 1), None);
    }

    /// The scan as it was first written, a byte at a time: the reference
    /// the fast one must agree with.
    fn exceeds_depth_bytewise(bytes: &[u8], max: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for (i, &b) in bytes.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn the_fast_depth_scan_agrees_with_the_bytewise_one(
            text in proptest::collection::vec(
                proptest::sample::select(b"\"\\[]{}a\x80\xff".to_vec()),
                0..200,
            ),
            max in 0usize..6,
        ) {
            proptest::prop_assert_eq!(exceeds_depth(&text, max), exceeds_depth_bytewise(&text, max));
        }
    }

    #[test]
    fn quotes_and_backslashes_are_found_in_any_of_eight_places() {
        for len in 0..40 {
            for at in 0..len {
                for needle in [b'"', b'\\'] {
                    let mut text = vec![b'x'; len];
                    text[at] = needle;
                    assert_eq!(quote_or_backslash(&text), Some(at), "{len} {at}");
                }
            }
            assert_eq!(quote_or_backslash(&vec![0x80; len]), None);
        }
        let body = format!(r#"{{"envelope":"{}","a":[[["x"]]]}}"#, "A".repeat(2900));
        assert_eq!(exceeds_depth(body.as_bytes(), 3), Some(body.len() - 8));
    }

    #[test]
    fn envelope_media_type_is_matched_in_any_case_without_parameters() {
        assert!(is_envelope_media_type(b"application/vnd.chorus.envelope"));
        assert!(is_envelope_media_type(
            b"Application/VND.Chorus.Envelope; q=1"
        ));
        assert!(!is_envelope_media_type(b"application/json"));
        assert!(!is_envelope_media_type(b"application/vnd.chorus.envelopes"));
        assert!(!is_envelope_media_type(b""));
    }

    #[test]
    fn version_headers_are_whole_numbers() {
        assert_eq!(parse_version(b"3"), Some(3));
        assert_eq!(parse_version(b"4294967295"), Some(u32::MAX));
        for bad in [
            &b""[..],
            b"+3",
            b"-1",
            b"3.0",
            b" 3",
            b"4294967296",
            b"three",
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clip_keeps_short_text() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("абвгд", 2), "аб…");
    }
}
