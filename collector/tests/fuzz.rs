//! Fuzzing the two places where untrusted text enters: the submission path
//! (request bytes → a stored response or a 4xx refusal) and the survey-file
//! loader. Property: no panic, no hang, and every refusal of a submission is
//! a 4xx with a message.
//!
//! `cargo test -p collector --test fuzz` runs 256 cases per property;
//! `CHORUS_FUZZ_CASES=100000 cargo test --release -p collector --test fuzz`
//! runs a long campaign (see README, "Fuzzing").

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use collector::store::Body;
use collector::submit::{Catalog, EnvelopeRequest, check_envelope_submission, check_submission};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value};
use surveys::{Date, Survey};

fn cases() -> u32 {
    std::env::var("CHORUS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Longest one case may run before it counts as a hang:
/// `CHORUS_FUZZ_CASE_MS`, 10 s by default (unoptimised builds are slow).
fn case_limit() -> Duration {
    Duration::from_millis(
        std::env::var("CHORUS_FUZZ_CASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000),
    )
}

/// Runs one case on its own thread and fails it if it does not finish
/// within `limit`: a hang is reported as a failure with its input, instead
/// of a test run that never ends.
fn within<T: Send + 'static>(
    limit: Duration,
    case: impl FnOnce() -> Result<T, TestCaseError> + Send + 'static,
) -> Result<T, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(case());
    });
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(TestCaseError::fail(format!(
            "the case ran longer than {limit:?}: a hang"
        ))),
        Err(RecvTimeoutError::Disconnected) => Err(TestCaseError::fail("the case panicked")),
    }
}

fn config() -> Config {
    Config {
        cases: cases(),
        // Failures are shown in the output; no files are written.
        failure_persistence: None,
        ..Config::default()
    }
}

fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("surveys")
        .join("library")
}

struct Fixture {
    /// The sealed survey's key, and one envelope sealed to it.
    key: seal::SecretKey,
    envelope: Vec<u8>,
    catalog: Catalog,
    ids: Vec<String>,
    /// Question ids, choice ids and other words the surveys use, so random
    /// answers often reach deep into validation.
    vocabulary: Vec<String>,
    files: Vec<String>,
}

/// A sealed copy of the bundled `ost-hiv-access`, to fuzz envelopes.
const SEALED: &str = "sealed-ost";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut surveys = collector::load_surveys(&library()).expect("the library loads");
        let key = seal::SecretKey::derive(b"fuzz");
        let text = std::fs::read_to_string(library().join("ost-hiv-access.toml")).expect("read");
        let text = format!("public_keys = [\"{}\"]\n{}", key.public(), text).replacen(
            "id = \"ost-hiv-access\"",
            &format!("id = \"{SEALED}\""),
            1,
        );
        let sealed = surveys::parse_survey(&text).expect("the sealed copy loads");
        let envelope = surveys::sealing::seal_answers(
            &sealed,
            key.public(),
            "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
            &Map::new(),
        )
        .expect("seal")
        .envelope;
        surveys.insert(SEALED.into(), sealed);
        let mut catalog = Catalog::default();
        let mut vocabulary = vec![
            "other".to_string(),
            "2026-11-29".into(),
            "1900-01-01".into(),
            "true".into(),
        ];
        for s in surveys.values() {
            // An older version with one question fewer, to fuzz `version`.
            let mut older: Survey = s.clone();
            older.version = s.version + 1000;
            older.questions.pop();
            catalog.insert(s, &[older]).expect("compiles");
            for q in &s.questions {
                vocabulary.push(q.id.clone());
                vocabulary.push(format!("{}_other", q.id));
                if let Some(choices) = q.kind.choices() {
                    vocabulary.extend(choices.iter().map(|c| c.id.clone()));
                }
                if let surveys::QuestionKind::Grid { statements, scale } = &q.kind {
                    vocabulary.extend(statements.iter().map(|c| c.id.clone()));
                    vocabulary.extend(scale.iter().map(|c| c.id.clone()));
                }
            }
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(library()).expect("library") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(std::fs::read_to_string(path).expect("read"));
            }
        }
        files.sort();
        Fixture {
            key,
            envelope: seal::decode(&envelope).expect("base64url"),
            ids: surveys.keys().cloned().collect(),
            catalog,
            vocabulary,
            files,
        }
    })
}

fn today() -> Date {
    Date::from_unix_seconds(1_795_910_400) // 2026-11-29
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..24).prop_map(|v| v.into_iter().collect()),
        proptest::sample::select(fixture().vocabulary.clone()),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Something shaped like a submission, often valid in parts.
fn submission() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        any::<u128>().prop_map(|n| Value::String(uuid::Uuid::from_u128(n).to_string())),
        json(),
    ];
    let version = prop_oneof![
        Just(None),
        (0u64..3).prop_map(|v| Some(Value::from(v))),
        Just(Some(Value::from(1001u64))),
        json().prop_map(Some),
    ];
    let answers = prop_oneof![
        proptest::collection::vec((text(), json()), 0..12)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        json(),
    ];
    (id, version, answers, any::<bool>()).prop_map(|(id, version, answers, extra)| {
        let mut m = Map::new();
        m.insert("submission_id".into(), id);
        if let Some(v) = version {
            m.insert("version".into(), v);
        }
        m.insert("answers".into(), answers);
        if extra {
            m.insert("extra".into(), Value::Null);
        }
        Value::Object(m)
    })
}

/// Something shaped like a sealed submission: a real envelope cut,
/// flipped or replaced, under a random or real version and id.
fn sealed_submission() -> impl Strategy<Value = Value> {
    let envelope = prop_oneof![
        (0usize..5000, any::<u8>()).prop_map(|(at, bit)| {
            let mut e = fixture().envelope.clone();
            let i = at % e.len();
            e[i] ^= 1 << (bit % 8);
            Value::String(seal::encode(&e))
        }),
        (0usize..5000).prop_map(|len| {
            let e = &fixture().envelope;
            Value::String(seal::encode(&e[..len.min(e.len())]))
        }),
        proptest::collection::vec(any::<u8>(), 0..3000)
            .prop_map(|b| Value::String(seal::encode(&b))),
        json(),
    ];
    let version = prop_oneof![Just(Value::from(1u64)), json()];
    (envelope, version).prop_map(|(envelope, version)| {
        serde_json::json!({
            "submission_id": "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
            "version": version,
            "envelope": envelope,
        })
    })
}

fn survey_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(fixture().ids.clone()),
        1 => text(),
    ]
}

/// Runs the submission path, within the time limit, and checks its promise
/// for any input.
fn submit_holds(survey: String, body: Vec<u8>) -> Result<(), TestCaseError> {
    within(case_limit(), move || submit_checked(&survey, &body))
}

fn submit_checked(survey: &str, body: &[u8]) -> Result<(), TestCaseError> {
    let f = fixture();
    match check_submission(&f.catalog, survey, body, today()) {
        Ok(checked) => {
            let r = checked.response;
            prop_assert_eq!(&r.survey_id, survey);
            prop_assert_eq!(r.received_day.as_str(), "2026-11-29");
            prop_assert!(f.catalog.versions(survey).contains(&r.survey_version));
            prop_assert!(uuid::Uuid::parse_str(&r.submission_id).is_ok());
            match &r.body {
                Body::Plain(json) => {
                    let stored: Result<surveys::Answers, _> = serde_json::from_str(json);
                    prop_assert!(stored.is_ok(), "stored answers read back");
                    prop_assert_ne!(survey, SEALED);
                }
                Body::Sealed { key_id, envelope } => {
                    // Only an envelope that parses, to a key the survey lists.
                    prop_assert_eq!(survey, SEALED);
                    let parsed = seal::Envelope::parse(envelope);
                    prop_assert!(parsed.is_ok());
                    prop_assert_eq!(key_id, &f.key.public().id().to_string());
                }
            }
        }
        Err(e) => {
            prop_assert!(e.status.is_client_error(), "{} {}", e.status, e.message);
            prop_assert!(!e.message.is_empty());
        }
    }
    Ok(())
}

/// An envelope as bytes: the fixture's, cut, flipped or replaced.
fn envelope_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(fixture().envelope.clone()),
        (0usize..5000, any::<u8>()).prop_map(|(at, bit)| {
            let mut e = fixture().envelope.clone();
            let i = at % e.len();
            e[i] ^= 1 << (bit % 8);
            e
        }),
        (0usize..5000).prop_map(|len| {
            let e = &fixture().envelope;
            e[..len.min(e.len())].to_vec()
        }),
        proptest::collection::vec(any::<u8>(), 0..3000),
    ]
}

/// A header's value as received: often right, sometimes anything.
fn header_value(right: &'static str) -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        3 => Just(Some(right.as_bytes().to_vec())),
        1 => Just(None),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Some),
        1 => text().prop_map(|t| Some(t.into_bytes())),
    ]
}

/// The bytes form of a sealed submission: stored with what its headers
/// say, or refused with a 4xx; and where the headers are well formed, the
/// same outcome as the same submission in JSON.
fn envelope_submission_holds(
    survey: String,
    id: Option<Vec<u8>>,
    version: Option<Vec<u8>>,
    envelope: Vec<u8>,
) -> Result<(), TestCaseError> {
    within(case_limit(), move || {
        let f = fixture();
        let request = EnvelopeRequest {
            submission_id: id.as_deref(),
            version: version.as_deref(),
            envelope: &envelope,
        };
        let outcome = check_envelope_submission(&f.catalog, &survey, request, today());
        match &outcome {
            Ok(checked) => {
                let r = &checked.response;
                prop_assert_eq!(&r.survey_id, &survey);
                prop_assert_eq!(survey.as_str(), SEALED);
                prop_assert_eq!(
                    Some(r.survey_version.to_string().into_bytes()),
                    version.clone()
                );
                prop_assert!(uuid::Uuid::parse_str(&r.submission_id).is_ok());
                match &r.body {
                    Body::Sealed {
                        key_id,
                        envelope: stored,
                    } => {
                        prop_assert_eq!(stored, &envelope);
                        prop_assert_eq!(key_id, &f.key.public().id().to_string());
                    }
                    Body::Plain(_) => prop_assert!(false, "plaintext from an envelope"),
                }
            }
            Err(e) => {
                prop_assert!(e.status.is_client_error(), "{} {}", e.status, e.message);
                prop_assert!(!e.message.is_empty());
            }
        }
        let id_text = id.as_deref().and_then(|b| std::str::from_utf8(b).ok());
        let version_number = version
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u32>().ok());
        if let (Some(id_text), Some(v)) = (id_text, version_number) {
            let json = serde_json::json!({
                "submission_id": id_text,
                "version": v,
                "envelope": seal::encode(&envelope),
            });
            let as_json =
                check_submission(&f.catalog, &survey, json.to_string().as_bytes(), today());
            match (&outcome, &as_json) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a.response.submission_id, &b.response.submission_id);
                    prop_assert_eq!(&a.response.body, &b.response.body);
                }
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.code, b.code, "{} / {}", a.message, b.message)
                }
                _ => prop_assert!(false, "the two forms disagree"),
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn envelopes_as_bytes_are_stored_or_refused_like_json(
        survey in prop_oneof![4 => Just(SEALED.to_string()), 1 => survey_id()],
        id in header_value("7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10"),
        version in prop_oneof![header_value("1"), header_value("1001"), header_value("7")],
        envelope in envelope_bytes(),
    ) {
        envelope_submission_holds(survey, id, version, envelope)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(survey in survey_id(), body in proptest::collection::vec(any::<u8>(), 0..512)) {
        submit_holds(survey, body)?;
    }

    #[test]
    fn arbitrary_json_never_panics(survey in survey_id(), body in json()) {
        submit_holds(survey, body.to_string().into_bytes())?;
    }

    #[test]
    fn submission_shaped_json_is_stored_or_refused_with_a_4xx(survey in survey_id(), body in submission()) {
        submit_holds(survey, body.to_string().into_bytes())?;
    }

    #[test]
    fn sealed_submissions_are_stored_or_refused_with_a_4xx(body in sealed_submission()) {
        submit_holds(SEALED.into(), body.to_string().into_bytes())?;
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion(depth in 0usize..100_000, open in prop_oneof![Just('['), Just('{')]) {
        let mut body = String::from("{\"submission_id\":\"7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10\",\"answers\":{\"x\":");
        body.extend(std::iter::repeat_n(open, depth));
        submit_holds("ost-hiv-access".into(), body.into_bytes())?;
    }

    #[test]
    fn arbitrary_survey_text_never_panics(text in proptest::collection::vec(any::<char>(), 0..400)) {
        let text: String = text.into_iter().collect();
        within(case_limit(), move || {
            let _ = surveys::parse_survey(&text);
            Ok(())
        })?;
    }

    #[test]
    fn mutated_library_files_never_panic(
        file in 0usize..16,
        edits in proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), 0usize..64, text(), json()), 1..6),
    ) {
        let f = fixture();
        let mut src = f.files[file % f.files.len()].clone();
        for (kind, at, len, words, value) in edits {
            let cut = |s: &str, i: usize| {
                let mut i = i.min(s.len());
                while !s.is_char_boundary(i) { i -= 1; }
                i
            };
            let pos = cut(&src, at.index(src.len() + 1));
            let end = cut(&src, pos + len);
            let end = end.max(pos);
            match kind {
                0 => src.replace_range(pos..end, ""),
                1 => src.insert_str(pos, &words),
                // A line a survey file might hold, with an odd value.
                2 => src.insert_str(pos, &format!("\n{} = {}\n", words.replace(['\n', '='], ""), value)),
                _ => {
                    let exprs = ["relevant", "constraint", "required", "expression"];
                    src.insert_str(pos, &format!("\n{} = {:?}\n", exprs[len % 4], words));
                }
            }
        }
        within(case_limit(), move || {
            if let Ok(survey) = surveys::parse_survey(&src) {
                // A file that loads must be usable: compile it and run answers through.
                let mut catalog = Catalog::default();
                if catalog.insert(&survey, &[]).is_ok() {
                    let body = serde_json::json!({
                        "submission_id": "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10",
                        "answers": {}
                    });
                    let _ = check_submission(&catalog, &survey.id, body.to_string().as_bytes(), today());
                }
            }
            Ok(())
        })?;
    }
}

#[test]
fn a_case_that_hangs_fails_instead_of_stalling_the_run() {
    let slow = within(Duration::from_millis(50), || {
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    });
    let message = format!("{:?}", slow.expect_err("a hang is a failure"));
    assert!(message.contains("a hang"), "{message}");
    let quick = within(Duration::from_secs(5), || Ok(7));
    assert_eq!(quick.expect("finishes"), 7);
}

/// A form field name the server-rendered runner might be sent: a question,
/// a grid line or a rank of the surveys' own words, or anything.
fn field_name() -> impl Strategy<Value = String> {
    let word = || proptest::sample::select(fixture().vocabulary.clone());
    prop_oneof![
        4 => word(),
        2 => (word(), word()).prop_map(|(a, b)| format!("{a}.{b}")),
        2 => (word(), word()).prop_map(|(a, b)| format!("{a}.rank.{b}")),
        1 => text(),
        1 => Just("_page".to_string()),
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text(),
        1 => (0u32..12).prop_map(|n| n.to_string()),
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// The form decoder of the server-rendered runner: any post decodes
    /// or is refused without a panic, and what it decodes, written back as
    /// fields, decodes to the same drafts.
    #[test]
    fn arbitrary_form_posts_decode_or_are_refused(
        survey in proptest::sample::select(fixture().ids.clone()),
        fields in proptest::collection::vec((field_name(), field_value()), 0..24),
    ) {
        within(case_limit(), move || {
            let survey = fixture().catalog.survey(&survey, None).expect("served").clone();
            if let Ok(drafts) = runner::fields::decode(&survey, &fields) {
                let again = runner::fields::decode(&survey, &runner::fields::encode(&drafts));
                prop_assert_eq!(again, Ok(drafts.clone()));
                // And the runner can build its page from it.
                let mut form = runner::Form::new(survey.clone(), "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10".into());
                form.drafts = drafts;
                let _ = form.answers();
                let _ = runner::review::review(&form, "ru");
            }
            Ok(())
        })?;
    }

    /// Raw bytes as a form body: parsed as the collector parses it.
    #[test]
    fn arbitrary_form_bytes_never_panic(
        survey in proptest::sample::select(fixture().ids.clone()),
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        within(case_limit(), move || {
            let survey = fixture().catalog.survey(&survey, None).expect("served").clone();
            let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            let _ = runner::fields::decode(&survey, &fields);
            Ok(())
        })?;
    }
}
