//! The offline outbox's logic: what the browser runner sends, when it
//! tries again, and what it deletes. No clock, no storage, no HTTP: the
//! caller (the IndexedDB glue, frontend/src/queue.rs) supplies the time, the
//! jitter and the collector's replies, and stores the bytes
//! [`Item::encode`] gives.
//!
//! On Submit the runner makes an [`Item`] — the request exactly as it will
//! be sent, under the submission id made on the device — and
//! [`Outbox::push`]es it. From then on:
//!
//! 1. store `item.encode()` under its submission id (IndexedDB `put`);
//! 2. at start, [`Item::decode`] every stored value and push it; a value
//!    that does not decode is **kept**, not deleted (it may hold a
//!    member's answers, written by another version of the app);
//! 3. for each item of [`Outbox::due`]: [`Outbox::mark_in_flight`], send
//!    [`Item::request`], turn the reply into a [`Verdict`]
//!    ([`Verdict::from_response`], or [`Verdict::Retry`] when the fetch
//!    itself failed or timed out) and [`Outbox::record`] it; then store the
//!    item again if [`Outbox::get`] still has it, or delete it if not;
//! 4. sleep until [`Outbox::next_wake`]; on the browser's `online` event or
//!    the member's "Try again", call [`Outbox::online`];
//! 5. show [`Outbox::refused`]; once the member has seen a refusal,
//!    [`Outbox::seen`] and delete it from storage;
//! 6. let a new version of the app take over only when
//!    [`Outbox::can_update_app`].
//!
//! Exactly once: an item's survey, version, submission id and body are
//! fixed when it is made (private fields, no setter), so every retry is the
//! same request and the collector, which deduplicates on the submission id,
//! stores it at most once. An item leaves the outbox in two ways only: the
//! collector acknowledged it ([`Verdict::Stored`]), or it was refused and
//! the member has seen the refusal.
//!
//! For a sealed survey the item holds only the envelope's bytes, never the
//! answers in plaintext.

use std::fmt;

use serde::Deserialize;
use surveys::path_segment;

/// The media type of an envelope sent as its own bytes (docs/sealing.md).
pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.chorus.envelope";
/// The media type of plaintext answers.
pub const JSON_MEDIA_TYPE: &str = "application/json";
/// With an envelope's bytes: the submission id (docs/openapi.json).
pub const SUBMISSION_ID_HEADER: &str = "Chorus-Submission-Id";
/// With an envelope's bytes: the survey version the envelope is bound to.
pub const VERSION_HEADER: &str = "Chorus-Version";

/// The wait after the first failed attempt, in ms; it doubles with each
/// further failure.
pub const BASE_DELAY_MS: u64 = 2_000;
/// The longest wait between two attempts, in ms (5 minutes).
pub const MAX_DELAY_MS: u64 = 300_000;

/// A refusal's details: `(question, message)` per problem, `question`
/// `None` for a problem with the submission as a whole — the shape of the
/// frontend's `SendOutcome::Refused`.
pub type Details = Vec<(Option<String>, String)>;

/// What is sent: the request body, fixed when the item is made.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// A sealed survey: the envelope's bytes, sent as
    /// [`ENVELOPE_MEDIA_TYPE`] with the binding in headers.
    Sealed(Vec<u8>),
    /// A survey without keys: the JSON submission, sent as
    /// [`JSON_MEDIA_TYPE`].
    Plain(String),
}

impl Body {
    /// The `Content-Type` the body is sent with.
    pub fn media_type(&self) -> &'static str {
        match self {
            Body::Sealed(_) => ENVELOPE_MEDIA_TYPE,
            Body::Plain(_) => JSON_MEDIA_TYPE,
        }
    }

    /// The bytes sent.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Sealed(b) => b,
            Body::Plain(s) => s.as_bytes(),
        }
    }
}

/// Only the kind and the length: a body holds a member's answers (or their
/// envelope), and debug output ends up in logs.
impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Body::Sealed(_) => "Sealed",
            Body::Plain(_) => "Plain",
        };
        write!(f, "{kind}({} bytes)", self.bytes().len())
    }
}

/// What the collector's reply to one attempt means for the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Stored now, or stored before (a retry): the item is done.
    Stored,
    /// Nothing was stored, or nothing can be told: send it again later.
    Retry,
    /// The collector refused it for good (the survey closed, the answers
    /// are not valid for its version, …): sending it again would not help.
    Refused { message: String, details: Details },
}

impl Verdict {
    /// Reads the collector's reply to `POST /api/surveys/{id}/responses`,
    /// the one place that does (the WASM runner reads every reply here,
    /// `send` in frontend/src/services.rs):
    ///
    /// * `200` or `201` with a JSON object whose `status` is `"stored"` or
    ///   `"duplicate"`: [`Verdict::Stored`]. Any other 2xx, or a 200/201
    ///   with another body (a captive portal's or a proxy's page), is
    ///   [`Verdict::Retry`]: only the collector's acknowledgement says the
    ///   answers were stored.
    /// * `408` (a timeout on the way) and `429` (too many submissions from
    ///   this network for now): [`Verdict::Retry`], nothing was stored.
    /// * Any other 4xx whose body is the collector's error, a JSON object
    ///   with a string `message` and optionally `details`, an array of
    ///   objects with an optional string-or-null `question` and an optional
    ///   string `message`: [`Verdict::Refused`] with them. A 4xx with any
    ///   other body is not the collector's (some proxy on the way):
    ///   [`Verdict::Retry`].
    /// * Everything else (5xx, 1xx, 3xx): [`Verdict::Retry`]; server
    ///   trouble stores nothing, and sending again is safe.
    ///
    /// A 4xx JSON object *without* `message` is a retry, not a refusal: a
    /// refusal deletes the answers once the member has seen it, and every
    /// refusal of the collector has a message.
    pub fn from_response(status: u16, body: &[u8]) -> Verdict {
        match status {
            200 | 201 if acknowledged(body) => Verdict::Stored,
            408 | 429 => Verdict::Retry,
            400..=499 => refusal(body).unwrap_or(Verdict::Retry),
            _ => Verdict::Retry,
        }
    }
}

/// The collector's acknowledgement, `{"status": …}` (other fields ignored).
#[derive(Deserialize)]
struct Ack {
    status: String,
}

/// The collector's error, `{"message": …, "details": [{"question", "message"}]}`
/// (other fields ignored). Plain structs rather than `serde_json::Value`:
/// the browser bundle needs no `Value` reader for them (some 2 KB).
#[derive(Deserialize)]
struct Refusal {
    message: String,
    #[serde(default)]
    details: Vec<RefusalDetail>,
}

#[derive(Deserialize)]
struct RefusalDetail {
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    message: String,
}

/// Whether `body` is a JSON object (derived readers would also take an
/// array for a struct).
fn is_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn acknowledged(body: &[u8]) -> bool {
    is_object(body)
        && matches!(
            serde_json::from_slice::<Ack>(body),
            Ok(Ack { status }) if status == "stored" || status == "duplicate"
        )
}

fn refusal(body: &[u8]) -> Option<Verdict> {
    if !is_object(body) {
        return None;
    }
    let reply: Refusal = serde_json::from_slice(body).ok()?;
    Some(Verdict::Refused {
        message: reply.message,
        details: reply
            .details
            .into_iter()
            .map(|d| (d.question, d.message))
            .collect(),
    })
}

/// Where an item stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// To be sent, at [`Item::next_attempt`].
    Waiting,
    /// Refused for good: kept, not sent again, until the member has seen
    /// the collector's message ([`Outbox::seen`]).
    Refused { message: String, details: Details },
}

/// One submission waiting on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    survey_id: String,
    version: u32,
    submission_id: String,
    body: Body,
    attempts: u32,
    next_attempt: u64,
    state: State,
}

/// One HTTP request to make for an item, described for the caller's
/// `fetch` (no cookies: `credentials: omit`, as every submission).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// `POST` to this path, on the collector's origin.
    pub url: String,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// Further headers: the binding of an envelope's bytes; none for JSON.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: &'a [u8],
}

impl Item {
    /// A new item for a submission, due at once (`now`, ms since the
    /// epoch), never attempted. `version` is the survey version the body
    /// was made for (`surveys::Survey::version`); `body` is what is sent,
    /// as it is sent, each time.
    pub fn new(
        survey_id: String,
        version: u32,
        submission_id: String,
        body: Body,
        now: u64,
    ) -> Item {
        Item {
            survey_id,
            version,
            submission_id,
            body,
            attempts: 0,
            next_attempt: now,
            state: State::Waiting,
        }
    }

    pub fn survey_id(&self) -> &str {
        &self.survey_id
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn submission_id(&self) -> &str {
        &self.submission_id
    }

    pub fn body(&self) -> &Body {
        &self.body
    }

    /// How many attempts got a verdict (a retry or a refusal).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When to send it next, in ms since the epoch (a waiting item).
    pub fn next_attempt(&self) -> u64 {
        self.next_attempt
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The request to send, the same at every attempt: `POST
    /// /api/surveys/{id}/responses`; an envelope as its bytes with the
    /// submission id and version in headers, or the JSON submission.
    pub fn request(&self) -> Request<'_> {
        let headers = match self.body {
            Body::Sealed(_) => vec![
                (SUBMISSION_ID_HEADER, self.submission_id.clone()),
                (VERSION_HEADER, self.version.to_string()),
            ],
            Body::Plain(_) => Vec::new(),
        };
        Request {
            url: format!("/api/surveys/{}/responses", path_segment(&self.survey_id)),
            content_type: self.body.media_type(),
            headers,
            body: self.body.bytes(),
        }
    }
}

/// The format [`Item::encode`] writes. An app reads every format up to its
/// own, for ever (see [`Outbox::can_update_app`]).
pub const FORMAT: u8 = 1;
const MAGIC: &[u8; 4] = b"CHOB";
const SEALED: u8 = 1;
const PLAIN: u8 = 2;
const WAITING: u8 = 1;
const REFUSED: u8 = 2;

/// Why stored bytes are not an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with the outbox's magic `CHOB`.
    NotAnItem,
    /// An item in a format this app does not know (written by a newer one).
    UnknownFormat(u8),
    /// The bytes end inside this field.
    Truncated(&'static str),
    /// This text field is not UTF-8.
    NotText(&'static str),
    /// This field's tag is none of the known ones.
    BadTag { field: &'static str, tag: u8 },
    /// Bytes after the end of the item.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotAnItem => f.write_str("not an outbox item (no CHOB magic)"),
            DecodeError::UnknownFormat(v) => write!(
                f,
                "outbox item in format {v}; this app reads formats 1 to {FORMAT}"
            ),
            DecodeError::Truncated(field) => write!(f, "outbox item cut short in its {field}"),
            DecodeError::NotText(field) => write!(f, "outbox item's {field} is not UTF-8"),
            DecodeError::BadTag { field, tag } => {
                write!(f, "outbox item's {field} has the unknown tag {tag}")
            }
            DecodeError::TrailingBytes(n) => {
                write!(f, "{n} bytes after the end of an outbox item")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// # Serialisation
///
/// A small binary format, not JSON: IndexedDB stores a `Uint8Array` as it
/// is, so an envelope is kept as its own bytes (JSON would need base64,
/// a third larger — 2172 bytes become about 2900 — and its decoding), and
/// reading it back takes a few dozen lines with no dependency. Integers are
/// little-endian; a text or byte string is its length (u32) then its bytes.
///
/// ```text
/// "CHOB"            4 bytes, magic: a Chorus outbox item
/// format            u8, 1 (FORMAT)
/// survey id         string (UTF-8)
/// version           u32
/// submission id     string (UTF-8)
/// attempts          u32
/// next attempt      u64, ms since the epoch
/// body              u8 tag: 1 sealed, 2 plain (UTF-8); then string
/// state             u8 tag: 1 waiting; 2 refused, then
///                     message string, detail count u32, and per detail:
///                     u8 0 (no question) or 1 then question string;
///                     message string
/// ```
///
/// Nothing follows. Tags start at 1 so that zeroed bytes are refused.
impl Item {
    /// The item as bytes to store; [`Item::decode`] reads them back.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.body.bytes().len());
        out.extend_from_slice(MAGIC);
        out.push(FORMAT);
        put_bytes(&mut out, self.survey_id.as_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        put_bytes(&mut out, self.submission_id.as_bytes());
        out.extend_from_slice(&self.attempts.to_le_bytes());
        out.extend_from_slice(&self.next_attempt.to_le_bytes());
        out.push(match self.body {
            Body::Sealed(_) => SEALED,
            Body::Plain(_) => PLAIN,
        });
        put_bytes(&mut out, self.body.bytes());
        match &self.state {
            State::Waiting => out.push(WAITING),
            State::Refused { message, details } => {
                out.push(REFUSED);
                put_bytes(&mut out, message.as_bytes());
                put_len(&mut out, details.len());
                for (question, message) in details {
                    match question {
                        None => out.push(0),
                        Some(q) => {
                            out.push(1);
                            put_bytes(&mut out, q.as_bytes());
                        }
                    }
                    put_bytes(&mut out, message.as_bytes());
                }
            }
        }
        out
    }

    /// Reads bytes [`Item::encode`] wrote, in any format up to [`FORMAT`].
    /// Damaged bytes give the error of the first field that does not read;
    /// this never panics.
    pub fn decode(bytes: &[u8]) -> Result<Item, DecodeError> {
        let mut r = Reader { rest: bytes };
        if r.take(MAGIC.len(), "magic")? != MAGIC {
            return Err(DecodeError::NotAnItem);
        }
        let format = r.u8("format")?;
        if format != FORMAT {
            return Err(DecodeError::UnknownFormat(format));
        }
        let survey_id = r.text("survey id")?;
        let version = r.u32("version")?;
        let submission_id = r.text("submission id")?;
        let attempts = r.u32("attempts")?;
        let next_attempt = r.u64("next attempt")?;
        let body = match r.u8("body")? {
            SEALED => Body::Sealed(r.bytes("body")?.to_vec()),
            PLAIN => Body::Plain(r.text("body")?),
            tag => return Err(DecodeError::BadTag { field: "body", tag }),
        };
        let state = match r.u8("state")? {
            WAITING => State::Waiting,
            REFUSED => {
                let message = r.text("refusal message")?;
                let count = r.u32("refusal details")?;
                // No capacity from the count: damaged bytes could claim
                // billions; each detail takes at least five bytes, so the
                // loop ends when the bytes do.
                let mut details = Vec::new();
                for _ in 0..count {
                    let question = match r.u8("refusal detail")? {
                        0 => None,
                        1 => Some(r.text("refusal detail question")?),
                        tag => {
                            return Err(DecodeError::BadTag {
                                field: "refusal detail",
                                tag,
                            });
                        }
                    };
                    details.push((question, r.text("refusal detail message")?));
                }
                State::Refused { message, details }
            }
            tag => {
                return Err(DecodeError::BadTag {
                    field: "state",
                    tag,
                });
            }
        };
        if !r.rest.is_empty() {
            return Err(DecodeError::TrailingBytes(r.rest.len()));
        }
        Ok(Item {
            survey_id,
            version,
            submission_id,
            body,
            attempts,
            next_attempt,
            state,
        })
    }
}

pub(crate) fn put_len(out: &mut Vec<u8>, len: usize) {
    // Nothing stored comes near 4 GiB (a body is at most 64 KiB); saturate
    // rather than wrap, so that such an item would fail to decode instead of
    // decoding as something else.
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
}

/// A byte string as the outbox's and the locked draft's layouts write it:
/// its length (u32 LE), then its bytes.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Reads what [`put_bytes`] and little-endian integers wrote.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated(field));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let mut b = [0; 4];
        b.copy_from_slice(self.take(4, field)?);
        Ok(u32::from_le_bytes(b))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let mut b = [0; 8];
        b.copy_from_slice(self.take(8, field)?);
        Ok(u64::from_le_bytes(b))
    }

    pub(crate) fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(field)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated(field))?;
        self.take(len, field)
    }

    pub(crate) fn text(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let bytes = self.bytes(field)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(DecodeError::NotText(field)),
        }
    }
}

/// How long to wait after an item's `failures`-th failed attempt, in ms.
///
/// The wait `d` is [`BASE_DELAY_MS`] doubled for each failure after the
/// first, at most [`MAX_DELAY_MS`]: 2 s, 4 s, 8 s, … 256 s, then 5 min.
/// The wait returned is `d/2 + jitter·d/2`, in `[d/2, d)` for `jitter` in
/// `[0, 1)` ("equal jitter"): phones that lost the same Wi-Fi at the same
/// moment do not all come back at once, and no wait is shorter than half
/// the back-off. A `jitter` outside `[0, 1]` is clamped (NaN counts as 0).
/// `failures` 0 counts as 1.
pub fn backoff_ms(failures: u32, jitter: f64) -> u64 {
    let doublings = failures.saturating_sub(1).min(16);
    let d = (BASE_DELAY_MS << doublings).min(MAX_DELAY_MS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = d / 2;
    // `half` is below 2^53, so it and the product are exact enough; the
    // cast truncates toward zero and cannot go past `half`.
    half + (half as f64 * jitter) as u64
}

#[derive(Clone, Debug)]
struct Slot {
    item: Item,
    /// A request for it has been sent and its verdict not recorded yet.
    /// Not stored: after a restart nothing is in flight.
    in_flight: bool,
}

/// The submissions waiting on the device, at most one per submission id,
/// in the order they were pushed. A handful at most, so a plain `Vec`
/// searched from the start.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    slots: Vec<Slot>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox::default()
    }

    fn position(&self, submission_id: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.item.submission_id == submission_id)
    }

    fn slot_mut(&mut self, submission_id: &str) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.item.submission_id == submission_id)
    }

    /// Adds an item (on Submit, or read back from storage at start). If
    /// one with the same submission id is there already, that one stays as
    /// it is (with its attempts and state) and this returns false: one
    /// submission, one item.
    pub fn push(&mut self, item: Item) -> bool {
        if self.position(&item.submission_id).is_some() {
            return false;
        }
        self.slots.push(Slot {
            item,
            in_flight: false,
        });
        true
    }

    /// The item with this submission id.
    pub fn get(&self, submission_id: &str) -> Option<&Item> {
        self.slots
            .iter()
            .find(|s| s.item.submission_id == submission_id)
            .map(|s| &s.item)
    }

    /// Every item, in the order pushed.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.slots.iter().map(|s| &s.item)
    }

    /// How many items there are, waiting or refused.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The items to send now: waiting, not in flight, next attempt not
    /// after `now`; in the order pushed, so the oldest goes first.
    pub fn due(&self, now: u64) -> Vec<&Item> {
        self.slots
            .iter()
            .filter(|s| is_due(s, now))
            .map(|s| &s.item)
            .collect()
    }

    /// The caller is sending this item now. False, and nothing changes, if
    /// there is no such item, it is refused, or a request for it is already
    /// in flight: at most one request per item at a time.
    pub fn mark_in_flight(&mut self, submission_id: &str) -> bool {
        match self.slot_mut(submission_id) {
            Some(s) if !s.in_flight && s.item.state == State::Waiting => {
                s.in_flight = true;
                true
            }
            _ => false,
        }
    }

    /// Applies the verdict on an attempt at `now` (ms since the epoch):
    ///
    /// * [`Verdict::Stored`]: the item is deleted;
    /// * [`Verdict::Retry`]: one more attempt counted, the next one after
    ///   [`backoff_ms`]`(attempts, jitter)`;
    /// * [`Verdict::Refused`]: one more attempt counted, the item is kept
    ///   as refused with the collector's message until [`Outbox::seen`].
    ///
    /// The item is no longer in flight. False, and nothing changes, if
    /// there is no such item or it is refused already (a refused item is
    /// not sent, so no verdict on it is expected). Afterwards the caller
    /// stores [`Outbox::get`]'s item again, or deletes it if it is gone.
    pub fn record(&mut self, submission_id: &str, verdict: Verdict, now: u64, jitter: f64) -> bool {
        let Some(i) = self.position(submission_id) else {
            return false;
        };
        let slot = &mut self.slots[i];
        if slot.item.state != State::Waiting {
            return false;
        }
        slot.in_flight = false;
        match verdict {
            Verdict::Stored => {
                self.slots.remove(i);
            }
            Verdict::Retry => {
                let item = &mut slot.item;
                item.attempts = item.attempts.saturating_add(1);
                item.next_attempt = now.saturating_add(backoff_ms(item.attempts, jitter));
            }
            Verdict::Refused { message, details } => {
                let item = &mut slot.item;
                item.attempts = item.attempts.saturating_add(1);
                item.state = State::Refused { message, details };
            }
        }
        true
    }

    /// The member has seen this item's refusal: it is deleted. False, and
    /// nothing changes, if there is no such item or it is not refused (a
    /// waiting item is never deleted here).
    pub fn seen(&mut self, submission_id: &str) -> bool {
        match self.position(submission_id) {
            Some(i) if self.slots[i].item.state != State::Waiting => {
                self.slots.remove(i);
                true
            }
            _ => false,
        }
    }

    /// The device is online again, or the member asked to try again: every
    /// waiting item not in flight is due at `now`. The attempts are kept, so
    /// if this fails too the back-off goes on from where it was. Returns
    /// how many items were brought forward.
    pub fn online(&mut self, now: u64) -> usize {
        let mut n = 0;
        for s in &mut self.slots {
            if !s.in_flight && s.item.state == State::Waiting && s.item.next_attempt > now {
                s.item.next_attempt = now;
                n += 1;
            }
        }
        n
    }

    /// How many items are still to be sent (in flight or not).
    pub fn waiting_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.item.state == State::Waiting)
            .count()
    }

    /// The refused items, for the member to see, in the order pushed.
    pub fn refused(&self) -> Vec<&Item> {
        self.slots
            .iter()
            .filter(|s| s.item.state != State::Waiting)
            .map(|s| &s.item)
            .collect()
    }

    /// When to look at the outbox again (ms since the epoch, never before
    /// `now`): the earliest next attempt of a waiting item not in flight.
    /// `None` when there is nothing to wait for — no waiting item, or only
    /// items in flight, whose verdicts will schedule them.
    pub fn next_wake(&self, now: u64) -> Option<u64> {
        self.slots
            .iter()
            .filter(|s| !s.in_flight && s.item.state == State::Waiting)
            .map(|s| s.item.next_attempt.max(now))
            .min()
    }

    /// Whether a new version of the app (a new service worker) may take
    /// over now. The rule: **only when no request is in flight**; waiting
    /// and refused items never hold an update back.
    ///
    /// Waiting items are not stranded by an update, because an item is
    /// the request itself: route, headers and the body made for its survey
    /// version, which is sent as it is — the new app neither seals nor
    /// validates it again against a newer version, and the collector keeps
    /// every version. What the new app must do is read the old bytes: each
    /// app decodes every [`FORMAT`] up to its own, for ever (the golden-bytes
    /// test pins format 1), and keeps what it cannot decode. What an update
    /// must not do is happen mid-request: the in-flight mark lives in the
    /// old worker's memory, so the new one would send the same item again
    /// while the first request runs, two requests for one item, and the
    /// old worker's verdict would be lost. The collector's deduplication
    /// would keep that safe; waiting for the verdict keeps it tidy.
    pub fn can_update_app(&self) -> bool {
        !self.slots.iter().any(|s| s.in_flight)
    }
}

fn is_due(s: &Slot, now: u64) -> bool {
    !s.in_flight && s.item.state == State::Waiting && s.item.next_attempt <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const ID: &str = "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10";

    fn sealed(id: &str, now: u64) -> Item {
        Item::new(
            "rights-violation-report".to_owned(),
            3,
            id.to_owned(),
            Body::Sealed(b"CHE1\x00\xffenvelope".to_vec()),
            now,
        )
    }

    fn plain(id: &str, now: u64) -> Item {
        let body = format!(r#"{{"submission_id":"{id}","answers":{{"q1":"yes"}}}}"#);
        Item::new(
            "ost-hiv-access".to_owned(),
            2,
            id.to_owned(),
            Body::Plain(body),
            now,
        )
    }

    fn refused(message: &str, details: Details) -> Verdict {
        Verdict::Refused {
            message: message.to_owned(),
            details,
        }
    }

    // --- Verdict::from_response ---

    #[test]
    fn the_collectors_acknowledgements_are_stored() {
        assert_eq!(
            Verdict::from_response(201, br#"{"status":"stored"}"#),
            Verdict::Stored
        );
        assert_eq!(
            Verdict::from_response(200, br#"{"status":"duplicate"}"#),
            Verdict::Stored
        );
        assert_eq!(
            Verdict::from_response(200, b" {\"status\": \"stored\", \"more\": 1}\n"),
            Verdict::Stored
        );
    }

    #[test]
    fn a_2xx_that_is_not_the_collectors_acknowledgement_is_retried() {
        let portal = b"<!doctype html><title>Welcome to FreeWiFi</title><form>Accept</form>";
        assert_eq!(Verdict::from_response(200, portal), Verdict::Retry);
        assert_eq!(Verdict::from_response(201, b""), Verdict::Retry);
        assert_eq!(
            Verdict::from_response(200, br#"{"status":"ok"}"#),
            Verdict::Retry
        );
        assert_eq!(Verdict::from_response(200, br#"{}"#), Verdict::Retry);
        assert_eq!(Verdict::from_response(200, br#""stored""#), Verdict::Retry);
        // Only 200 and 201 acknowledge.
        assert_eq!(
            Verdict::from_response(202, br#"{"status":"stored"}"#),
            Verdict::Retry
        );
        assert_eq!(
            Verdict::from_response(204, br#"{"status":"stored"}"#),
            Verdict::Retry
        );
    }

    #[test]
    fn timeouts_rate_limits_and_server_errors_are_retried() {
        let body = br#"{"error":"rate_limited","message":"Too many","details":[]}"#;
        for status in [408, 429, 500, 502, 503, 504, 301, 0, 100] {
            assert_eq!(
                Verdict::from_response(status, body),
                Verdict::Retry,
                "{status}"
            );
        }
        assert_eq!(Verdict::from_response(503, b""), Verdict::Retry);
    }

    #[test]
    fn a_closed_survey_is_refused_with_the_collectors_message() {
        let body = br#"{"error":"closed","message":"This survey is closed.","details":[]}"#;
        assert_eq!(
            Verdict::from_response(410, body),
            refused("This survey is closed.", vec![])
        );
        // `details` may be left out.
        assert_eq!(
            Verdict::from_response(410, br#"{"message":"Closed"}"#),
            refused("Closed", vec![])
        );
    }

    #[test]
    fn invalid_answers_are_refused_with_their_details() {
        let body = br#"{"error":"invalid_answers","message":"Some answers are not valid.",
            "details":[{"question":"q1","message":"Choose one option."},
                       {"question":null,"message":"Unknown field."},
                       {"message":"No question."},
                       {"question":"q2"}]}"#;
        assert_eq!(
            Verdict::from_response(400, body),
            refused(
                "Some answers are not valid.",
                vec![
                    (Some("q1".to_owned()), "Choose one option.".to_owned()),
                    (None, "Unknown field.".to_owned()),
                    (None, "No question.".to_owned()),
                    (Some("q2".to_owned()), String::new()),
                ]
            )
        );
    }

    #[test]
    fn a_4xx_that_is_not_the_collectors_error_is_retried() {
        let html = b"<html><body><h1>404 Not Found</h1><hr>nginx</body></html>";
        assert_eq!(Verdict::from_response(404, html), Verdict::Retry);
        assert_eq!(Verdict::from_response(403, b""), Verdict::Retry);
        for body in [
            &br#"{}"#[..],
            br#"{"error":"x"}"#,
            br#"{"message":3}"#,
            br#"["message"]"#,
            br#"{"message":"m","details":{"question":"q1"}}"#,
            br#"{"message":"m","details":null}"#,
            br#"{"message":"m","details":["q1"]}"#,
            br#"{"message":"m","details":[{"question":1,"message":"x"}]}"#,
            br#"{"message":"m","details":[{"question":"q1","message":false}]}"#,
            br#"{"message":"m"} trailing"#,
        ] {
            assert_eq!(
                Verdict::from_response(400, body),
                Verdict::Retry,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    // --- requests ---

    #[test]
    fn a_sealed_item_is_sent_as_the_envelopes_bytes_with_the_binding_in_headers() {
        let item = sealed(ID, 0);
        let r = item.request();
        assert_eq!(r.url, "/api/surveys/rights-violation-report/responses");
        assert_eq!(r.content_type, "application/vnd.chorus.envelope");
        assert_eq!(
            r.headers,
            vec![
                ("Chorus-Submission-Id", ID.to_owned()),
                ("Chorus-Version", "3".to_owned())
            ]
        );
        assert_eq!(r.body, b"CHE1\x00\xffenvelope");
    }

    #[test]
    fn a_plain_item_is_sent_as_json_to_an_encoded_path() {
        let mut item = plain(ID, 0);
        item.survey_id = "ост/1".to_owned();
        let r = item.request();
        assert_eq!(r.url, "/api/surveys/%D0%BE%D1%81%D1%82%2F1/responses");
        assert_eq!(r.content_type, "application/json");
        assert!(r.headers.is_empty());
        assert_eq!(r.body, item.body().bytes());
    }

    #[test]
    fn debug_output_shows_no_answers() {
        let shown = format!("{:?}", plain(ID, 0));
        assert!(!shown.contains("yes"), "{shown}");
        assert!(shown.contains("Plain("), "{shown}");
    }

    // --- back-off ---

    #[test]
    fn the_backoff_doubles_from_two_seconds_up_to_five_minutes() {
        // With jitter 0 the wait is half the back-off; just below 1, all of it.
        let half: Vec<u64> = (1..=11).map(|n| backoff_ms(n, 0.0)).collect();
        assert_eq!(
            half,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000,
                150_000
            ]
        );
        assert_eq!(backoff_ms(1, 0.999_999), 1_999);
        assert_eq!(backoff_ms(8, 0.999_999), 255_999);
        assert_eq!(backoff_ms(9, 0.999_999), 299_999);
        assert_eq!(backoff_ms(u32::MAX, 0.5), 225_000);
        assert_eq!(backoff_ms(0, 0.0), backoff_ms(1, 0.0));
    }

    #[test]
    fn jitter_keeps_the_wait_between_half_and_all_of_the_backoff() {
        for failures in 1..=12 {
            let d = (BASE_DELAY_MS << (failures - 1)).min(MAX_DELAY_MS);
            let mut prev = 0;
            for k in 0..1000 {
                let jitter = f64::from(k) / 1000.0;
                let wait = backoff_ms(failures, jitter);
                assert!((d / 2..d).contains(&wait), "{failures} {jitter} {wait}");
                assert!(wait >= prev, "the wait grows with the jitter");
                prev = wait;
            }
        }
        // Out of range or not a number: clamped, never past the back-off.
        assert_eq!(backoff_ms(1, -3.0), 1_000);
        assert_eq!(backoff_ms(1, f64::NAN), 1_000);
        assert_eq!(backoff_ms(1, f64::INFINITY), 1_000);
        assert_eq!(backoff_ms(1, 7.0), 2_000);
    }

    #[test]
    fn each_retry_waits_longer_and_the_outbox_wakes_for_it() {
        let mut outbox = Outbox::new();
        outbox.push(sealed(ID, 1_000));
        let mut now = 1_000;
        let mut waits = Vec::new();
        for _ in 0..10 {
            assert_eq!(outbox.due(now).len(), 1);
            assert!(outbox.mark_in_flight(ID));
            assert!(outbox.due(now).is_empty());
            assert_eq!(outbox.next_wake(now), None);
            assert!(outbox.record(ID, Verdict::Retry, now, 0.5));
            let next = outbox.get(ID).map(Item::next_attempt).unwrap_or(0);
            waits.push(next - now);
            assert!(outbox.due(next - 1).is_empty());
            assert_eq!(outbox.next_wake(now), Some(next));
            assert_eq!(outbox.next_wake(next + 5), Some(next + 5));
            now = next;
        }
        assert_eq!(
            waits,
            [
                1_500, 3_000, 6_000, 12_000, 24_000, 48_000, 96_000, 192_000, 225_000, 225_000
            ]
        );
        assert_eq!(outbox.get(ID).map(Item::attempts), Some(10));
    }

    #[test]
    fn online_brings_waiting_items_forward_and_keeps_their_attempts() {
        let mut outbox = Outbox::new();
        outbox.push(sealed("a", 0));
        outbox.push(sealed("b", 0));
        outbox.push(sealed("c", 0));
        outbox.mark_in_flight("a");
        outbox.record("a", Verdict::Retry, 0, 0.0);
        outbox.mark_in_flight("b");
        outbox.record("b", refused("Closed", vec![]), 0, 0.0);
        outbox.mark_in_flight("c");
        assert!(outbox.due(10).is_empty());
        assert_eq!(outbox.online(10), 1);
        let due: Vec<&str> = outbox.due(10).iter().map(|i| i.submission_id()).collect();
        assert_eq!(due, ["a"]);
        assert_eq!(outbox.get("a").map(Item::attempts), Some(1));
        outbox.mark_in_flight("a");
        outbox.record("a", Verdict::Retry, 10, 0.0);
        assert_eq!(outbox.get("a").map(Item::next_attempt), Some(10 + 2_000));
        assert_eq!(outbox.online(2_000), 1);
        // Nothing later than now to bring forward any more.
        assert_eq!(outbox.online(2_000), 0);
        assert_eq!(outbox.get("a").map(Item::next_attempt), Some(2_000));
    }

    // --- exactly once ---

    #[test]
    fn the_same_submission_pushed_twice_is_one_item() {
        let mut outbox = Outbox::new();
        assert!(outbox.push(sealed(ID, 0)));
        assert!(outbox.mark_in_flight(ID));
        assert!(outbox.record(ID, Verdict::Retry, 0, 0.0));
        let mut again = sealed(ID, 50);
        again.body = Body::Sealed(b"another".to_vec());
        assert!(!outbox.push(again));
        assert_eq!(outbox.len(), 1);
        let kept = outbox.get(ID);
        assert_eq!(kept.map(Item::attempts), Some(1));
        assert_eq!(
            kept.map(|i| i.body().bytes().to_vec()),
            Some(b"CHE1\x00\xffenvelope".to_vec())
        );
        assert!(outbox.push(sealed("other", 0)));
        assert_eq!(outbox.len(), 2);
    }

    #[test]
    fn a_stored_verdict_deletes_the_item_and_only_it() {
        let mut outbox = Outbox::new();
        outbox.push(sealed("a", 0));
        outbox.push(plain("b", 0));
        assert!(outbox.mark_in_flight("a"));
        assert!(outbox.record("a", Verdict::Stored, 5, 0.0));
        assert_eq!(outbox.get("a"), None);
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox.waiting_count(), 1);
        // A second verdict for it finds nothing.
        assert!(!outbox.record("a", Verdict::Stored, 6, 0.0));
        assert!(!outbox.mark_in_flight("a"));
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn a_retry_sends_the_same_submission_id_and_body() {
        let mut outbox = Outbox::new();
        outbox.push(plain(ID, 0));
        let first = outbox.get(ID).map(|i| i.request().body.to_vec());
        let first_headers = outbox.get(ID).map(|i| i.request().headers);
        let mut now = 0;
        for verdict in [408, 429, 500, 503] {
            let item = outbox.due(now)[0];
            assert_eq!(item.submission_id(), ID);
            assert!(outbox.mark_in_flight(ID));
            let v = Verdict::from_response(verdict, b"");
            assert!(outbox.record(ID, v, now, 0.3));
            now = outbox.get(ID).map(Item::next_attempt).unwrap_or(u64::MAX);
            assert_eq!(outbox.get(ID).map(|i| i.request().body.to_vec()), first);
            assert_eq!(outbox.get(ID).map(|i| i.request().headers), first_headers);
        }
        assert_eq!(outbox.get(ID).map(Item::attempts), Some(4));
    }

    #[test]
    fn one_request_in_flight_per_item() {
        let mut outbox = Outbox::new();
        outbox.push(sealed(ID, 0));
        assert!(outbox.mark_in_flight(ID));
        assert!(!outbox.mark_in_flight(ID));
        assert!(outbox.due(u64::MAX).is_empty());
        assert_eq!(outbox.online(0), 0);
        assert!(!outbox.can_update_app());
        assert_eq!(outbox.waiting_count(), 1);
        assert!(outbox.record(ID, Verdict::Retry, 0, 0.0));
        assert!(outbox.can_update_app());
        assert!(outbox.mark_in_flight(ID));
    }

    #[test]
    fn a_refusal_is_kept_until_the_member_has_seen_it() {
        let mut outbox = Outbox::new();
        outbox.push(plain(ID, 0));
        outbox.push(sealed("b", 0));
        // A waiting item is not deleted by `seen`.
        assert!(!outbox.seen(ID));
        assert_eq!(outbox.len(), 2);
        assert!(outbox.mark_in_flight(ID));
        let details = vec![(Some("q1".to_owned()), "Choose one option.".to_owned())];
        let body = br#"{"error":"invalid_answers","message":"Not valid.","details":[{"question":"q1","message":"Choose one option."}]}"#;
        assert!(outbox.record(ID, Verdict::from_response(400, body), 7, 0.0));
        let item = outbox.get(ID);
        assert_eq!(
            item.map(Item::state),
            Some(&State::Refused {
                message: "Not valid.".to_owned(),
                details
            })
        );
        assert_eq!(outbox.waiting_count(), 1);
        let refused_ids: Vec<&str> = outbox.refused().iter().map(|i| i.submission_id()).collect();
        assert_eq!(refused_ids, [ID]);
        // Not sent again, no verdict taken, no wake for it, no update held.
        let due: Vec<&str> = outbox
            .due(u64::MAX)
            .iter()
            .map(|i| i.submission_id())
            .collect();
        assert_eq!(due, ["b"]);
        assert!(!outbox.mark_in_flight(ID));
        assert!(!outbox.record(ID, Verdict::Stored, 8, 0.0));
        assert!(outbox.get(ID).is_some());
        assert_eq!(outbox.next_wake(0), Some(0));
        assert!(outbox.can_update_app());
        // Seen: deleted, the other item untouched.
        assert!(outbox.seen(ID));
        assert_eq!(outbox.get(ID), None);
        assert!(!outbox.seen(ID));
        assert!(outbox.refused().is_empty());
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn unknown_submission_ids_change_nothing() {
        let mut outbox = Outbox::new();
        outbox.push(sealed(ID, 0));
        let before = outbox.get(ID).cloned();
        assert!(!outbox.mark_in_flight("nope"));
        assert!(!outbox.record("nope", Verdict::Stored, 0, 0.0));
        assert!(!outbox.record("nope", Verdict::Retry, 0, 0.0));
        assert!(!outbox.seen("nope"));
        assert_eq!(outbox.get("nope"), None);
        assert_eq!(outbox.get(ID).cloned(), before);
        assert_eq!(outbox.len(), 1);
        assert!(outbox.can_update_app());
    }

    #[test]
    fn an_empty_outbox_has_nothing_to_do() {
        let outbox = Outbox::new();
        assert!(outbox.is_empty());
        assert!(outbox.due(u64::MAX).is_empty());
        assert_eq!(outbox.next_wake(0), None);
        assert_eq!(outbox.waiting_count(), 0);
        assert!(outbox.refused().is_empty());
        assert!(outbox.can_update_app());
    }

    #[test]
    fn times_near_the_end_of_u64_saturate() {
        let mut outbox = Outbox::new();
        outbox.push(sealed(ID, u64::MAX - 1));
        assert!(outbox.mark_in_flight(ID));
        assert!(outbox.record(ID, Verdict::Retry, u64::MAX - 1, 0.9));
        assert_eq!(outbox.get(ID).map(Item::next_attempt), Some(u64::MAX));
    }

    // --- serialisation ---

    fn refused_item() -> Item {
        let mut item = plain(ID, 12);
        item.attempts = 3;
        item.state = State::Refused {
            message: "Réponses non valides.".to_owned(),
            details: vec![
                (Some("q1".to_owned()), "Choisissez une option.".to_owned()),
                (None, String::new()),
            ],
        };
        item
    }

    #[test]
    fn both_kinds_of_body_and_both_states_come_back_as_they_were() {
        let mut big = sealed(ID, 1_700_000_000_000);
        big.body = Body::Sealed((0..=255u8).cycle().take(2172).collect());
        big.attempts = u32::MAX;
        big.next_attempt = u64::MAX;
        for item in [
            sealed(ID, 1_700_000_000_000),
            plain(ID, 5),
            refused_item(),
            big,
        ] {
            let bytes = item.encode();
            assert_eq!(Item::decode(&bytes), Ok(item.clone()));
            // The body is kept as its bytes (no base64): a waiting item is
            // its body, its ids and 35 bytes of framing.
            if item.state() == &State::Waiting {
                let ids = item.survey_id().len() + item.submission_id().len();
                assert_eq!(bytes.len(), item.body().bytes().len() + ids + 35);
            }
        }
    }

    #[test]
    fn format_1_bytes_stay_readable() {
        // Pinned: an update that can no longer read these would strand
        // items stored by the previous app.
        let mut item = Item::new(
            "s".to_owned(),
            3,
            "id".to_owned(),
            Body::Sealed(vec![0xAB, 0xCD]),
            0x0102,
        );
        item.attempts = 2;
        let bytes: &[u8] = &[
            b'C', b'H', b'O', b'B', 1, // magic, format
            1, 0, 0, 0, b's', // survey id
            3, 0, 0, 0, // version
            2, 0, 0, 0, b'i', b'd', // submission id
            2, 0, 0, 0, // attempts
            0x02, 0x01, 0, 0, 0, 0, 0, 0, // next attempt
            1, 2, 0, 0, 0, 0xAB, 0xCD, // sealed body
            1,    // waiting
        ];
        assert_eq!(item.encode(), bytes);
        assert_eq!(Item::decode(bytes), Ok(item));
        let refused_bytes = [
            &b"CHOB\x01"[..],
            &[0; 4 + 4 + 4 + 4 + 8], // empty ids, version 0, attempts 0, time 0
            &[2, 1, 0, 0, 0, b'{'],  // plain body "{"
            &[2, 1, 0, 0, 0, b'm'],  // refused, message "m"
            &[2, 0, 0, 0],           // two details
            &[1, 2, 0, 0, 0, b'q', b'1', 1, 0, 0, 0, b'x'], // ("q1", "x")
            &[0, 0, 0, 0, 0],        // (None, "")
        ]
        .concat();
        assert_eq!(
            Item::decode(&refused_bytes).map(|i| i.state),
            Ok(State::Refused {
                message: "m".to_owned(),
                details: vec![
                    (Some("q1".to_owned()), "x".to_owned()),
                    (None, String::new())
                ]
            })
        );
    }

    #[test]
    fn every_truncation_is_reported_as_truncated() {
        for item in [sealed(ID, 9), refused_item()] {
            let bytes = item.encode();
            for n in 0..bytes.len() {
                match Item::decode(&bytes[..n]) {
                    Err(DecodeError::Truncated(_)) => {}
                    other => panic!("cut at {n} of {}: {other:?}", bytes.len()),
                }
            }
        }
        let bytes = sealed(ID, 9).encode();
        assert_eq!(
            Item::decode(&bytes[..bytes.len() - 2]),
            Err(DecodeError::Truncated("body"))
        );
        assert_eq!(
            Item::decode(&bytes[..7]),
            Err(DecodeError::Truncated("survey id"))
        );
    }

    #[test]
    fn damaged_bytes_get_a_specific_error() {
        assert_eq!(
            Item::decode(b"<html>not ours</html>"),
            Err(DecodeError::NotAnItem)
        );
        assert_eq!(Item::decode(&[0; 64]), Err(DecodeError::NotAnItem));
        let good = sealed(ID, 9).encode();

        let mut future = good.clone();
        future[4] = 2;
        assert_eq!(Item::decode(&future), Err(DecodeError::UnknownFormat(2)));
        future[4] = 0;
        assert_eq!(Item::decode(&future), Err(DecodeError::UnknownFormat(0)));

        let mut longer = good.clone();
        longer.extend_from_slice(b"xyz");
        assert_eq!(Item::decode(&longer), Err(DecodeError::TrailingBytes(3)));

        let mut not_text = good.clone();
        not_text[9] = 0xFF; // first byte of the survey id
        assert_eq!(
            Item::decode(&not_text),
            Err(DecodeError::NotText("survey id"))
        );

        // The body tag sits after magic, format, survey id, version,
        // submission id, attempts and next attempt.
        let at = 5 + 4 + "rights-violation-report".len() + 4 + 4 + ID.len() + 4 + 8;
        let mut bad_body = good.clone();
        bad_body[at] = 9;
        assert_eq!(
            Item::decode(&bad_body),
            Err(DecodeError::BadTag {
                field: "body",
                tag: 9
            })
        );
        let mut bad_state = good.clone();
        let last = bad_state.len() - 1;
        bad_state[last] = 0;
        assert_eq!(
            Item::decode(&bad_state),
            Err(DecodeError::BadTag {
                field: "state",
                tag: 0
            })
        );
        // A length claiming more than there is.
        let mut huge = good.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Item::decode(&huge),
            Err(DecodeError::Truncated("survey id"))
        );
        // A plain body must be text.
        let mut plain_bytes = plain(ID, 0).encode();
        let at = 5 + 4 + "ost-hiv-access".len() + 4 + 4 + ID.len() + 4 + 8;
        plain_bytes[at + 5] = 0xC0;
        assert_eq!(
            Item::decode(&plain_bytes),
            Err(DecodeError::NotText("body"))
        );
        // A refusal claiming billions of details ends with the bytes.
        let mut many = refused_item().encode();
        let count_at = many.len() - (4 + 1 + 4 + 2 + 4 + "Choisissez une option.".len() + 1 + 4);
        many[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Item::decode(&many),
            Err(DecodeError::Truncated("refusal detail"))
        );
        let shown = DecodeError::UnknownFormat(2).to_string();
        assert!(shown.contains("format 2"), "{shown}");
    }

    #[test]
    fn random_bytes_never_panic_the_decoder() {
        let mut rng = Rng(7);
        let good = refused_item().encode();
        for _ in 0..20_000 {
            let mut bytes = good.clone();
            for _ in 0..=rng.below(4) {
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] = rng.next() as u8;
            }
            let cut = rng.below(bytes.len() as u64 + 1) as usize;
            if let Ok(item) = Item::decode(&bytes[..cut]) {
                assert_eq!(item.encode(), &bytes[..cut]);
            }
        }
    }

    // --- property-style: any sequence of events ---

    /// SplitMix64: a fixed, seedable sequence.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }

        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// What the model expects of one submission id.
    #[derive(Debug, PartialEq)]
    enum Expect {
        Waiting,
        Refused,
    }

    #[test]
    fn no_sequence_of_events_duplicates_alters_or_loses_an_item() {
        let ids = ["a", "b", "c", "d", "e"];
        let replies: [(u16, &[u8]); 8] = [
            (201, br#"{"status":"stored"}"#),
            (200, br#"{"status":"duplicate"}"#),
            (200, b"<html>portal</html>"),
            (503, b""),
            (429, b""),
            (404, b"<h1>Not Found</h1>"),
            (410, br#"{"message":"Closed"}"#),
            (
                400,
                br#"{"message":"Bad","details":[{"question":"q1","message":"x"}]}"#,
            ),
        ];
        for seed in 0..200 {
            let mut rng = Rng(seed);
            let mut outbox = Outbox::new();
            let mut model: HashMap<&str, Expect> = HashMap::new();
            let mut first_body: HashMap<&str, Vec<u8>> = HashMap::new();
            let mut in_flight: Vec<&str> = Vec::new();
            let mut now: u64 = 1_000;
            for step in 0..300 {
                now += rng.below(20_000);
                let id = ids[rng.below(ids.len() as u64) as usize];
                let ctx = format!("seed {seed} step {step} id {id}");
                match rng.below(6) {
                    0 => {
                        // Push, sometimes with another body under the same id.
                        let mut item = if rng.below(2) == 0 {
                            sealed(id, now)
                        } else {
                            plain(id, now)
                        };
                        if rng.below(3) == 0 {
                            item.body = Body::Sealed(rng.next().to_le_bytes().to_vec());
                        }
                        let body = item.body().bytes().to_vec();
                        let added = outbox.push(item);
                        assert_eq!(added, !model.contains_key(id), "{ctx}");
                        if added {
                            model.insert(id, Expect::Waiting);
                            first_body.insert(id, body);
                        }
                    }
                    1 => {
                        let was_due = outbox.due(now).iter().any(|i| i.submission_id() == id);
                        let marked = outbox.mark_in_flight(id);
                        let free = !in_flight.contains(&id);
                        assert_eq!(
                            marked,
                            model.get(id) == Some(&Expect::Waiting) && free,
                            "{ctx}"
                        );
                        if was_due {
                            assert!(marked, "{ctx}");
                        }
                        if marked {
                            in_flight.push(id);
                            assert!(
                                !outbox.due(u64::MAX).iter().any(|i| i.submission_id() == id),
                                "{ctx}: in flight yet due"
                            );
                        }
                    }
                    2 | 3 => {
                        let (status, body) = replies[rng.below(replies.len() as u64) as usize];
                        let verdict = Verdict::from_response(status, body);
                        let jitter = rng.unit();
                        let recorded = outbox.record(id, verdict.clone(), now, jitter);
                        assert_eq!(recorded, model.get(id) == Some(&Expect::Waiting), "{ctx}");
                        if recorded {
                            in_flight.retain(|f| *f != id);
                            match verdict {
                                Verdict::Stored => {
                                    model.remove(id);
                                }
                                Verdict::Refused { .. } => {
                                    model.insert(id, Expect::Refused);
                                }
                                Verdict::Retry => {
                                    let item = outbox.get(id);
                                    let next = item.map(Item::next_attempt).unwrap_or(0);
                                    let attempts = item.map(Item::attempts).unwrap_or(0);
                                    let d = (BASE_DELAY_MS << (attempts.saturating_sub(1)).min(16))
                                        .min(MAX_DELAY_MS);
                                    assert!(
                                        (now + d / 2..now + d).contains(&next),
                                        "{ctx}: {next} {now} {d}"
                                    );
                                }
                            }
                        }
                    }
                    4 => {
                        let seen = outbox.seen(id);
                        assert_eq!(seen, model.get(id) == Some(&Expect::Refused), "{ctx}");
                        if seen {
                            model.remove(id);
                        }
                    }
                    _ => {
                        outbox.online(now);
                    }
                }

                // The outbox holds exactly the model's items, once each,
                // each with its own id and first body, readable after a
                // round trip through storage.
                assert_eq!(outbox.len(), model.len(), "{ctx}");
                for (n, item) in outbox.items().enumerate() {
                    let sid = item.submission_id();
                    assert_eq!(
                        outbox.items().filter(|i| i.submission_id() == sid).count(),
                        1,
                        "{ctx}"
                    );
                    let expect = model.get(sid);
                    let state_matches = match item.state() {
                        State::Waiting => expect == Some(&Expect::Waiting),
                        State::Refused { .. } => expect == Some(&Expect::Refused),
                    };
                    assert!(state_matches, "{ctx}: item {n} {sid} {expect:?}");
                    assert_eq!(Some(&item.body().bytes().to_vec()), first_body.get(sid));
                    if let Body::Sealed(_) = item.body() {
                        let r = item.request();
                        assert_eq!(r.headers[0], (SUBMISSION_ID_HEADER, sid.to_owned()));
                    }
                    assert_eq!(Item::decode(&item.encode()).as_ref(), Ok(item), "{ctx}");
                }
                assert_eq!(outbox.can_update_app(), in_flight.is_empty(), "{ctx}");
                let waiting = model.values().filter(|e| **e == Expect::Waiting).count();
                assert_eq!(outbox.waiting_count(), waiting, "{ctx}");
                assert_eq!(outbox.refused().len(), model.len() - waiting, "{ctx}");
                for item in outbox.due(now) {
                    assert!(item.next_attempt() <= now, "{ctx}");
                    assert_eq!(item.state(), &State::Waiting, "{ctx}");
                }
                if let Some(wake) = outbox.next_wake(now) {
                    assert!(wake >= now, "{ctx}");
                    assert!(!outbox.due(wake).is_empty(), "{ctx}");
                }
            }
        }
    }
}
