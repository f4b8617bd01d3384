//! Answers: storing a response (the writer's group commit), counting and
//! reading them back for exports and publications.

use surveys::Answers;

use super::{Store, StoreError, Txn};

/// A validated response ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub submission_id: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub received_day: String,
    pub body: Body,
}

/// What a response holds: answers the collector validated, or an envelope
/// it can only store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The answers as a JSON object (a survey without public keys).
    Plain(String),
    /// An envelope sealed to the key `key_id` (16 hex digits).
    Sealed { key_id: String, envelope: Vec<u8> },
}

/// What storing a response did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Stored,
    /// The submission id was already stored for this survey: a retry.
    Duplicate,
    /// The submission id is already used by another survey.
    Conflict,
    /// The survey is closed; nothing was stored.
    Closed,
}

/// What inserting `r` did, given whether the insert stored it: a
/// repeated submission id changes nothing and is a `Duplicate` (same
/// survey) or a `Conflict` (another survey).
fn outcome(tx: &mut dyn Txn, r: &NewResponse, inserted: bool) -> Result<InsertOutcome, StoreError> {
    if inserted {
        return Ok(InsertOutcome::Stored);
    }
    Ok(already_stored(tx, r)?.unwrap_or(InsertOutcome::Conflict))
}

/// `Duplicate` when `r`'s submission id is stored for its survey,
/// `Conflict` when for another, `None` when it is not stored.
fn already_stored(tx: &mut dyn Txn, r: &NewResponse) -> Result<Option<InsertOutcome>, StoreError> {
    Ok(tx.owner(&r.submission_id)?.map(|owner| {
        if owner == r.survey_id {
            InsertOutcome::Duplicate
        } else {
            InsertOutcome::Conflict
        }
    }))
}

/// A response waiting in the writer's queue.
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    pub response: &'a NewResponse,
    /// Whether the survey's file has closed it (its `closes` day passed).
    pub closed_by_file: bool,
}

impl Store {
    /// The writer's group commit: every pending response in one
    /// transaction, acknowledged (the outcomes returned) only once it is
    /// committed. Whether each survey is closed by command is looked up
    /// once per group.
    pub fn commit_group(
        &mut self,
        group: &[Pending<'_>],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let rows: Vec<(&NewResponse, bool)> = group
            .iter()
            .map(|p| (p.response, p.closed_by_file))
            .collect();
        // On PostgreSQL the insert is the group's one statement and its own
        // transaction, committed when it returns; what was not inserted is
        // looked up after it (rare: retries and closed surveys), which is
        // sound because a stored response never changes or goes.
        self.write_statement(|tx| {
            let inserted = tx.insert_open_responses(&rows)?;
            rows.iter()
                .zip(inserted)
                .map(|(&(r, _), stored)| {
                    if stored {
                        Ok(InsertOutcome::Stored)
                    } else {
                        // Not inserted and stored by nobody: its survey is closed.
                        Ok(already_stored(tx, r)?.unwrap_or(InsertOutcome::Closed))
                    }
                })
                .collect()
        })
    }

    /// Stores responses in one transaction, closed or not (bulk loads:
    /// benchmarks, tests, `chorus migrate`).
    pub fn insert_responses(
        &mut self,
        rs: &[NewResponse],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let refs: Vec<&NewResponse> = rs.iter().collect();
        self.write(|tx| {
            let inserted = tx.insert_responses(&refs)?;
            if inserted.len() != rs.len() {
                return Err(StoreError::Corrupt {
                    survey: rs.first().map(|r| r.survey_id.clone()).unwrap_or_default(),
                    message: "the database answered fewer inserts than it was sent".into(),
                });
            }
            rs.iter()
                .zip(inserted)
                .map(|(r, stored)| outcome(tx, r, stored))
                .collect()
        })
    }

    /// Number of stored responses to a survey (for researchers, never published).
    pub fn response_count(&mut self, survey_id: &str) -> Result<u64, StoreError> {
        self.read(|tx| tx.response_count(survey_id))
    }

    /// Calls `each` for every stored response of a survey in the order they
    /// were stored, all from one snapshot: an export never holds the
    /// survey in memory. Stops at the first error `each` returns.
    pub fn for_each_response<E>(
        &mut self,
        survey_id: &str,
        mut each: impl FnMut(StoredResponse<'_>) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
    {
        self.for_each_batch(survey_id, |batch| {
            batch.iter().try_for_each(|r| each(r.as_stored()))
        })
    }

    /// As [`Store::for_each_response`], [`OPEN_BATCH`] responses at a time
    /// (to open them together on every core); returns how many there were.
    pub fn for_each_batch<E>(
        &mut self,
        survey_id: &str,
        mut each: impl FnMut(Vec<OwnedResponse>) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
    {
        self.read(|tx| {
            let mut n = 0;
            let mut batches = Batches::new(survey_id);
            while let Some(batch) = batches.next(tx)? {
                n += batch.len() as u64;
                each(batch)?;
            }
            Ok(n)
        })
    }
}

/// Reads a survey's responses in stored order, a batch at a time.
#[derive(Debug)]
pub(crate) struct Batches<'a> {
    survey_id: &'a str,
    after: i64,
    done: bool,
}

impl<'a> Batches<'a> {
    pub(crate) fn new(survey_id: &'a str) -> Self {
        Batches {
            survey_id,
            after: i64::MIN,
            done: false,
        }
    }

    /// The next batch, or `None` after the last.
    pub(crate) fn next(
        &mut self,
        tx: &mut dyn Txn,
    ) -> Result<Option<Vec<OwnedResponse>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let rows = tx.responses_after(self.survey_id, self.after, OPEN_BATCH)?;
        if rows.len() < OPEN_BATCH {
            self.done = true;
        }
        if rows.is_empty() {
            return Ok(None);
        }
        self.after = rows.last().map_or(self.after, |(at, _)| *at);
        Ok(Some(rows.into_iter().map(|(_, r)| r).collect()))
    }
}

/// One stored response as exports see it.
#[derive(Debug, Clone, Copy)]
pub struct StoredResponse<'a> {
    pub submission_id: &'a str,
    pub survey_version: i64,
    pub received_day: &'a str,
    pub body: StoredBody<'a>,
}

impl StoredResponse<'_> {
    /// A copy that outlives the database row (for opening in batches).
    pub fn to_owned(&self) -> OwnedResponse {
        OwnedResponse {
            submission_id: self.submission_id.to_string(),
            survey_version: self.survey_version,
            received_day: self.received_day.to_string(),
            body: match self.body {
                StoredBody::Plain(text) => Body::Plain(text.to_string()),
                StoredBody::Sealed { key_id, envelope } => Body::Sealed {
                    key_id: key_id.to_string(),
                    envelope: envelope.to_vec(),
                },
            },
        }
    }
}

/// A stored response, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedResponse {
    pub submission_id: String,
    pub survey_version: i64,
    pub received_day: String,
    pub body: Body,
}

impl OwnedResponse {
    pub fn as_stored(&self) -> StoredResponse<'_> {
        StoredResponse {
            submission_id: &self.submission_id,
            survey_version: self.survey_version,
            received_day: &self.received_day,
            body: match &self.body {
                Body::Plain(text) => StoredBody::Plain(text),
                Body::Sealed { key_id, envelope } => StoredBody::Sealed { key_id, envelope },
            },
        }
    }
}

/// How many stored responses are read before they are opened together.
pub const OPEN_BATCH: usize = 2048;

/// A stored response's answers, or its envelope.
#[derive(Debug, Clone, Copy)]
pub enum StoredBody<'a> {
    /// The answers as stored (a JSON object).
    Plain(&'a str),
    /// An envelope and the key id it names.
    Sealed { key_id: &'a str, envelope: &'a [u8] },
}

/// Decodes stored answers: the same result as
/// `serde_json::from_str::<Answers>`, several times faster. (`Answer` is an
/// untagged enum, and serde builds a formatted error for every variant it
/// tries and rejects; a publication reads every stored answer.)
pub fn decode_answers(text: &str) -> Result<Answers, String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    decode_map(map)
}

/// The answers of one response, or of one instance of a repeat.
fn decode_map(map: serde_json::Map<String, serde_json::Value>) -> Result<Answers, String> {
    use serde_json::Value;
    use surveys::Answer;
    let bad = |key: &str| format!("the stored answer to `{key}` has an unknown shape");
    let mut out = Answers::new();
    for (key, value) in map {
        let answer = match value {
            Value::Bool(b) => Answer::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Answer::Integer(i),
                (None, Some(f)) => Answer::Decimal(f),
                _ => return Err(bad(&key)),
            },
            Value::String(t) => Answer::Text(t),
            // A repeat: one object per instance (serde tries the list of
            // choice ids first, so `[]` is an empty list of choices).
            Value::Array(items) if items.first().is_some_and(Value::is_object) => Answer::Repeat(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::Object(instance) => decode_map(instance),
                        _ => Err(bad(&key)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Array(items) => Answer::Choices(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(t) => Ok(t),
                        _ => Err(bad(&key)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(items) => Answer::Grid(
                items
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(t) => Ok((k, t)),
                        _ => Err(bad(&key)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Value::Null => return Err(bad(&key)),
        };
        out.insert(key, answer);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn decode_answers_agrees_with_serde() {
        for text in [
            r#"{"a":"x","b":["p","q"],"c":3,"d":-2.5,"e":true,"f":{"s":"1"},"g":[],"h":{}}"#,
            r#"{"n":18446744073709551615,"m":1e300,"k":-9223372036854775808}"#,
            r#"{"a":null}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{"s":2}}"#,
            r#"[1]"#,
            r#"{"a":"x","a":"y"}"#,
            r#"{"r":[{"when":"2026-03-01","by":["police"],"n":2},{"ok":true}],"c":"ua"}"#,
            r#"{"r":[{"when":"2026-03-01"},"x"]}"#,
            r#"{"r":[{"when":null}]}"#,
            r#"{"r":[{"g":{"s":"a"}}]}"#,
            "{}",
        ] {
            let ours = super::decode_answers(text).ok();
            let serde = serde_json::from_str::<super::Answers>(text).ok();
            assert_eq!(ours, serde, "{text}");
        }
    }

    #[test]
    fn civil_dates() {
        let day = |d: i64| surveys::Date::from_unix_seconds(d * 86_400).to_string();
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(11_016), "2000-02-29");
        assert_eq!(day(20_786), "2026-11-29");
        assert_eq!(day(20_819), "2027-01-01");
    }
}
