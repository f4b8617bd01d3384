//! Sealed surveys against a real collector: what the server checks of an
//! envelope, what it refuses, what it stores (no answer's bytes), and
//! `chorus export --key` / `chorus publish --key` opening, validating and
//! quarantining on the researcher's side. Also: the collector loads survey
//! files through exactly the check `chorus check` runs.

use std::path::{Path, PathBuf};

use collector::store::{Body, Location};
use serde_json::{Map, Value, json};

use crate::helpers::{chorus, fresh_db, get, library, new_id, post, post_bytes, spawn_app_with};

pub const SURVEY_ID: &str = "sealed-demo";

/// A small survey with a free-text account; `keys` go into `public_keys`.
pub fn survey_text(keys: &[&seal::PublicKey], version: u32) -> String {
    let keys: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        r#"public_keys = [{}]
id = "{SURVEY_ID}"
version = {version}
languages = ["en", "ru"]
title = {{ en = "Sealed", ru = "Запечатано" }}
privacy_budget = 1

[[questions]]
id = "country"
type = "single_choice"
required = true
label = {{ en = "Country", ru = "Страна" }}
choices = [
  {{ id = "ua", label = {{ en = "Ukraine", ru = "Украина" }} }},
  {{ id = "canaryland", label = {{ en = "Canaryland", ru = "Канарейка" }} }},
]

[[questions]]
id = "story"
type = "long_text"
label = {{ en = "What happened?", ru = "Что случилось?" }}

[publication]
small_cell_threshold = 0

[[publication.tables]]
id = "by_country"
question = "country"
statistic = "counts"
epsilon = 0.5
"#,
        keys.join(", ")
    )
}

/// A key pair and its key file (a cheap argon2id cost: tests only).
pub struct TestKey {
    pub secret: seal::SecretKey,
    pub file: PathBuf,
    pub passphrase_file: PathBuf,
}

pub fn test_key(dir: &Path, name: &str) -> TestKey {
    let secret = seal::SecretKey::generate();
    let cheap = seal::keyfile::Cost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };
    let text = seal::keyfile::lock(&secret, b"test passphrase", cheap).expect("lock");
    let file = dir.join(format!("{name}.key"));
    std::fs::write(&file, text).expect("write key");
    let passphrase_file = dir.join(format!("{name}.pass"));
    std::fs::write(&passphrase_file, "test passphrase\n").expect("write passphrase");
    TestKey {
        secret,
        file,
        passphrase_file,
    }
}

/// A folder with the sealed survey in it.
pub fn survey_folder(keys: &[&seal::PublicKey], version: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(format!("{SURVEY_ID}.toml")),
        survey_text(keys, version),
    )
    .expect("write survey");
    dir
}

fn survey(folder: &Path) -> surveys::Survey {
    surveys::load_file(&folder.join(format!("{SURVEY_ID}.toml"))).expect("survey")
}

fn answers(country: &str, story: &str) -> Map<String, Value> {
    let v = json!({"country": country, "story": story});
    v.as_object().expect("object").clone()
}

/// The body a browser sends for `answers` sealed to `key`.
pub fn sealed_body(
    survey: &surveys::Survey,
    key: &seal::PublicKey,
    submission_id: &str,
    answers: &Map<String, Value>,
) -> String {
    let sealed = surveys::sealing::seal_answers(survey, key, submission_id, answers).expect("seal");
    serde_json::to_string(&sealed).expect("json")
}

fn responses_url(app: &crate::helpers::TestApp) -> String {
    app.url(&format!("/api/surveys/{SURVEY_ID}/responses"))
}

#[test]
fn a_sealed_survey_stores_envelopes_and_refuses_plaintext() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);
    // The choice id is in the stored definition; answers must not add to it.
    let choice_ids_before = occurrences(app.db_path(), "canaryland");
    assert!(choice_ids_before > 0);

    // Listed as sealed, and the definition carries the key to seal to.
    let list = get(&app.url("/api/surveys")).json();
    assert_eq!(list[0]["sealed"], json!(true), "{list}");
    let def = get(&app.url(&format!("/api/surveys/{SURVEY_ID}"))).json();
    assert_eq!(
        def["public_keys"][0],
        json!(key.secret.public().to_string())
    );

    let id = new_id();
    let body = sealed_body(
        &s,
        key.secret.public(),
        &id,
        &answers("canaryland", "canary-story-5521"),
    );
    let r = post(&url, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let again = post(&url, &body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["status"], "duplicate");

    // Plaintext to a sealed survey: refused, nothing stored.
    let plain = json!({"submission_id": new_id(), "version": 1, "answers": {"country": "ua"}});
    let r = post(&url, &plain.to_string());
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "plaintext_refused");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("seals answers")
    );
    assert_eq!(app.responses(), 1);

    // The stored row is the envelope, with its key id; no answer text.
    let rows = app.rows();
    let [(_, row)] = rows.as_slice() else {
        panic!("one stored response: {rows:?}");
    };
    let Body::Sealed { key_id, envelope } = &row.body else {
        panic!("stored with its answers in the open: {row:?}");
    };
    assert_eq!(*key_id, key.secret.public().id().to_string());
    assert_eq!(seal::Envelope::parse(envelope).map(|e| e.bucket), Ok(1024));

    for i in 0..20 {
        let body = sealed_body(
            &s,
            key.secret.public(),
            &new_id(),
            &answers("canaryland", &format!("canary-story-5521 {i}")),
        );
        assert_eq!(post(&url, &body).status, 201);
    }
    let db = app.db_path().to_path_buf();
    let dir = app.into_dir();
    assert_eq!(
        occurrences(&db, "canary-story-5521"),
        0,
        "the story is stored"
    );
    assert_eq!(
        occurrences(&db, "canaryland"),
        choice_ids_before,
        "answers added the choice id to the database"
    );
    drop(dir);
}

/// How often `needle` occurs in the bytes of the database and its WAL.
fn occurrences(db: &Path, needle: &str) -> usize {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db.to_path_buf(), PathBuf::from(wal)]
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|bytes| {
            bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count()
        })
        .sum()
}

#[test]
fn envelopes_the_collector_can_tell_are_wrong_get_specific_refusals() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let stranger = seal::SecretKey::generate();
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);
    let id = new_id();
    let good: Value = serde_json::from_str(&sealed_body(
        &s,
        key.secret.public(),
        &id,
        &answers("ua", "x"),
    ))
    .expect("json");
    let envelope = seal::decode(good["envelope"].as_str().expect("text")).expect("bytes");
    let with = |env: Value, version: Value| {
        json!({"submission_id": new_id(), "version": version, "envelope": env}).to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        (with(json!("***"), json!(1)), 400, "bad_envelope"),
        (
            with(
                json!(seal::encode(&envelope[..envelope.len() - 1])),
                json!(1),
            ),
            400,
            "bad_envelope",
        ),
        (
            with(json!(seal::encode(&envelope[..500])), json!(1)),
            400,
            "bad_envelope",
        ),
        (
            with(
                json!(seal::encode(&[b"XXXX".as_slice(), &envelope[4..]].concat())),
                json!(1),
            ),
            400,
            "bad_envelope",
        ),
        (
            with(
                json!(
                    surveys::sealing::seal_answers(
                        &s,
                        stranger.public(),
                        &new_id(),
                        &answers("ua", "x")
                    )
                    .expect("seal")
                    .envelope
                ),
                json!(1),
            ),
            422,
            "unknown_key",
        ),
        (
            with(good["envelope"].clone(), json!(7)),
            409,
            "unknown_version",
        ),
        (
            json!({"submission_id": new_id(), "envelope": good["envelope"]}).to_string(),
            400,
            "version_required",
        ),
        (
            json!({"submission_id": "nope", "version": 1, "envelope": good["envelope"]})
                .to_string(),
            400,
            "bad_submission_id",
        ),
    ];
    for (body, status, code) in cases {
        let r = post(&url, &body);
        assert_eq!(r.status, status, "{code}: {}", r.body);
        assert_eq!(r.json()["error"], code, "{}", r.body);
        assert!(!r.json()["message"].as_str().unwrap_or("").is_empty());
    }
    // An envelope over the largest bucket.
    let mut huge = envelope.clone();
    huge.resize(seal::MAX_ENVELOPE + 1024, 0);
    let r = post(&url, &with(json!(seal::encode(&huge)), json!(1)));
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(app.responses(), 0);

    // An envelope to an unsealed survey.
    let plain_app = spawn_app_with(false, library(), 0);
    let r = post(
        &plain_app.url("/api/surveys/ost-hiv-access/responses"),
        &with(good["envelope"].clone(), json!(1)),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "not_sealed");
}

/// An envelope's bytes as a device may send them instead of JSON:
/// `application/vnd.chorus.envelope`, the binding in headers (`None`
/// leaves a header out).
fn post_envelope(
    url: &str,
    id: Option<&str>,
    version: Option<&str>,
    envelope: &[u8],
) -> crate::helpers::Resp {
    let mut headers = Vec::new();
    if let Some(id) = id {
        headers.push(("Chorus-Submission-Id", id));
    }
    if let Some(v) = version {
        headers.push(("Chorus-Version", v));
    }
    post_bytes(url, "application/vnd.chorus.envelope", &headers, envelope)
}

/// The envelope's bytes of `answers` sealed to `key` for `id`.
fn envelope_bytes(
    survey: &surveys::Survey,
    key: &seal::PublicKey,
    id: &str,
    answers: &Map<String, Value>,
) -> Vec<u8> {
    let sealed = surveys::sealing::seal_answers(survey, key, id, answers).expect("seal");
    seal::decode(&sealed.envelope).expect("base64url")
}

#[test]
fn envelopes_sent_as_bytes_are_stored_as_the_json_ones_are() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);

    let id = new_id();
    let bytes = envelope_bytes(
        &s,
        key.secret.public(),
        &id,
        &answers("ua", "canary-bytes-7730"),
    );
    let r = post_envelope(&url, Some(&id), Some("1"), &bytes);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "stored");
    // A retry, as bytes or as JSON, is a duplicate and stores nothing.
    let again = post_envelope(&url, Some(&id.to_uppercase()), Some("1"), &bytes);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["status"], "duplicate");
    let as_json = json!({"submission_id": id, "version": 1, "envelope": seal::encode(&bytes)});
    assert_eq!(post(&url, &as_json.to_string()).status, 200);
    // The JSON form still works beside it; its media type may carry
    // parameters, and any other type is read as JSON as before.
    let other = sealed_body(&s, key.secret.public(), &new_id(), &answers("ua", "x"));
    assert_eq!(post(&url, &other).status, 201);
    assert_eq!(app.responses(), 2);

    // The row is the envelope as it came, with its key id and the
    // submission id in its stored form.
    let rows = app.rows();
    let (_, first) = rows.first().expect("a stored response");
    assert_eq!(first.submission_id, id);
    assert_eq!(first.survey_version, 1);
    let Body::Sealed { key_id, envelope } = &first.body else {
        panic!("stored with its answers in the open: {first:?}");
    };
    assert_eq!(*key_id, key.secret.public().id().to_string());
    assert_eq!(*envelope, bytes);

    // And it opens on the researchers' side like any other.
    let db = app.db_path().to_path_buf();
    let dir = app.into_dir();
    let out = tempfile::tempdir().expect("tempdir");
    let csv = out.path().join("out.csv");
    let mut args: Vec<String> = vec![
        "export".into(),
        SURVEY_ID.into(),
        "--db".into(),
        db.display().to_string(),
        "--surveys".into(),
        folder.path().display().to_string(),
        "--out".into(),
        csv.display().to_string(),
    ];
    args.extend(key_args(&key));
    let o = run(&args, out.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.contains("canary-bytes-7730"), "{text}");
    assert_eq!(
        occurrences(&db, "canary-bytes-7730"),
        0,
        "the story is stored in plaintext"
    );
    drop(dir);
}

#[test]
fn envelopes_sent_as_bytes_get_the_same_specific_refusals() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let stranger = seal::SecretKey::generate();
    let folder = survey_folder(&[key.secret.public()], 1);
    // A plaintext survey beside it, for an id that survey already holds.
    std::fs::copy(
        library().join("ost-hiv-access.toml"),
        folder.path().join("ost-hiv-access.toml"),
    )
    .expect("copy");
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);
    let plain_id = new_id();
    let plain =
        json!({"submission_id": plain_id, "answers": {"country": "ua", "services_used": ["ost"]}});
    let r = post(
        &app.url("/api/surveys/ost-hiv-access/responses"),
        &plain.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let id = new_id();
    let good = envelope_bytes(&s, key.secret.public(), &id, &answers("ua", "x"));
    let foreign = envelope_bytes(&s, stranger.public(), &id, &answers("ua", "x"));
    let mut magic = good.clone();
    magic[..4].copy_from_slice(b"XXXX");
    let mut over = good.clone();
    over.resize(seal::MAX_ENVELOPE + 1, 0);
    // (Chorus-Submission-Id, Chorus-Version, body, status, error)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a [u8], u16, &'a str);
    let cases: Vec<Case> = vec![
        (None, Some("1"), &good, 400, "bad_submission_id"),
        (Some("nope"), Some("1"), &good, 400, "bad_submission_id"),
        (Some(&id), None, &good, 400, "version_required"),
        (Some(&id), Some("one"), &good, 400, "bad_version"),
        (Some(&id), Some("-1"), &good, 400, "bad_version"),
        (Some(&id), Some("7"), &good, 409, "unknown_version"),
        (Some(&id), Some("1"), b"", 400, "bad_envelope"),
        (Some(&id), Some("1"), &good[..500], 400, "bad_envelope"),
        (
            Some(&id),
            Some("1"),
            &good[..good.len() - 1],
            400,
            "bad_envelope",
        ),
        (Some(&id), Some("1"), &magic, 400, "bad_envelope"),
        (Some(&id), Some("1"), &over, 413, "envelope_too_large"),
        (Some(&id), Some("1"), &foreign, 422, "unknown_key"),
        (
            Some(&plain_id),
            Some("1"),
            &good,
            409,
            "submission_id_in_use",
        ),
    ];
    for (sid, version, body, status, code) in cases {
        let r = post_envelope(&url, sid, version, body);
        assert_eq!(r.status, status, "{code}: {}", r.body);
        assert_eq!(r.json()["error"], code, "{}", r.body);
        assert!(!r.json()["message"].as_str().unwrap_or("").is_empty());
    }
    // To a survey that does not exist, or that is not sealed.
    let r = post_envelope(
        &app.url("/api/surveys/nowhere/responses"),
        Some(&id),
        Some("1"),
        &good,
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (404, json!("unknown_survey"))
    );
    let r = post_envelope(
        &app.url("/api/surveys/ost-hiv-access/responses"),
        Some(&new_id()),
        Some("1"),
        &good,
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("not_sealed")),
        "{}",
        r.body
    );
    // A body over the route's limit is refused from its headers alone.
    let reply = crate::helpers::post_head_only(
        app.addr,
        &format!("/api/surveys/{SURVEY_ID}/responses"),
        "application/vnd.chorus.envelope",
        100 * 1024,
    );
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("body_too_large"), "{reply}");
    assert_eq!(app.responses(), 1, "only the plaintext answer is stored");

    // Closed by command: refused, but a retry of a stored one is a duplicate.
    let stored = post_envelope(&url, Some(&id), Some("1"), &good);
    assert_eq!(stored.status, 201, "{}", stored.body);
    app.store()
        .set_closed(SURVEY_ID, true, "2026-12-01")
        .expect("close");
    let late = new_id();
    let r = post_envelope(
        &url,
        Some(&late),
        Some("1"),
        &envelope_bytes(&s, key.secret.public(), &late, &answers("ua", "x")),
    );
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (410, json!("survey_closed")),
        "{}",
        r.body
    );
    assert_eq!(post_envelope(&url, Some(&id), Some("1"), &good).status, 200);
    assert_eq!(app.responses(), 2);
}

#[test]
fn envelopes_sent_as_bytes_are_rate_limited_and_need_a_length() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 2);
    let url = responses_url(&app);
    for _ in 0..2 {
        let id = new_id();
        let bytes = envelope_bytes(&s, key.secret.public(), &id, &answers("ua", "x"));
        assert_eq!(
            post_envelope(&url, Some(&id), Some("1"), &bytes).status,
            201
        );
    }
    let id = new_id();
    let bytes = envelope_bytes(&s, key.secret.public(), &id, &answers("ua", "x"));
    let r = post_envelope(&url, Some(&id), Some("1"), &bytes);
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"], "rate_limited");
    assert!(r.header("retry-after").is_some());

    // Without Content-Length (chunked): 411, from the head alone. Only the
    // head is sent: the collector answers and closes without reading a
    // body, so a client still writing one could get a broken pipe (or a
    // reset) instead of the answer.
    let open = spawn_app_with(false, folder.path().to_path_buf(), 0);
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(open.addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "POST /api/surveys/{SURVEY_ID}/responses HTTP/1.1\r\nHost: test\r\nContent-Type: application/vnd.chorus.envelope\r\nChorus-Submission-Id: {id}\r\nChorus-Version: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    assert!(reply.starts_with("HTTP/1.1 411"), "{reply}");
    assert!(reply.contains("length_required"), "{reply}");
    assert_eq!(open.responses(), 0);
    assert_eq!(app.responses(), 2);
}

fn key_args(key: &TestKey) -> Vec<String> {
    vec![
        "--key".into(),
        key.file.display().to_string(),
        "--passphrase-file".into(),
        key.passphrase_file.display().to_string(),
    ]
}

fn run(args: &[String], cwd: &Path) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    chorus(&refs, cwd)
}

#[test]
fn export_with_the_key_opens_validates_and_quarantines() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);

    let good = [
        (new_id(), answers("ua", "пришли ночью, забрали телефон")),
        (new_id(), answers("canaryland", "a comma, and \"quotes\"")),
    ];
    for (id, a) in &good {
        let r = post(&url, &sealed_body(&s, key.secret.public(), id, a));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // Sealed for one submission id, sent under another: the server cannot
    // tell; the researcher's side can.
    let moved_id = new_id();
    let moved: Value = serde_json::from_str(&sealed_body(
        &s,
        key.secret.public(),
        &new_id(),
        &answers("ua", "moved"),
    ))
    .expect("json");
    let r = post(
        &url,
        &json!({"submission_id": moved_id, "version": 1, "envelope": moved["envelope"]})
            .to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Sealed by a device that skipped validation: not a choice of the survey.
    let invalid_id = new_id();
    let r = post(
        &url,
        &sealed_body(
            &s,
            key.secret.public(),
            &invalid_id,
            &answers("atlantis", ""),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let out = app.dir.path().join("export.json");
    let db = app.db.clone();
    let mut args: Vec<String> = vec![
        "export".into(),
        SURVEY_ID.into(),
        "--format".into(),
        "json".into(),
        "--db".into(),
        db.clone(),
        "--surveys".into(),
        folder.path().display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    // Without the key: a clear refusal.
    let no_key = run(&args, app.dir.path());
    assert!(!no_key.status.success());
    let stderr = String::from_utf8_lossy(&no_key.stderr);
    assert!(
        stderr.contains("sealed") && stderr.contains("--key"),
        "{stderr}"
    );

    args.extend(key_args(&key));
    let done = run(&args, app.dir.path());
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(stdout.contains("exported 2 responses"), "{stdout}");
    assert!(stderr.contains("quarantined 2 responses"), "{stderr}");
    assert!(
        stderr.contains(&moved_id) && stderr.contains("does not open"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&invalid_id) && stderr.contains("do not fit"),
        "{stderr}"
    );

    let rows: Vec<Value> = std::fs::read_to_string(&out)
        .expect("export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 2);
    for ((id, a), row) in good.iter().zip(&rows) {
        assert_eq!(row["submission_id"], json!(id));
        assert_eq!(row["country"], a["country"]);
        assert_eq!(row["story"], a["story"]);
    }

    // Wrong passphrase: refused with the reason.
    std::fs::write(&key.passphrase_file, "not it\n").expect("write");
    let wrong = run(&args, app.dir.path());
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

/// Starts a collector on `db` with the surveys in `folder`, sends one
/// sealed answer, and stops it.
fn send_once(
    db: &Location,
    folder: &Path,
    survey: &surveys::Survey,
    key: &seal::PublicKey,
    submission_id: &str,
    answers: &Map<String, Value>,
) {
    let app = crate::helpers::try_spawn_app_on(
        tempfile::tempdir().expect("tempdir"),
        db.clone(),
        false,
        folder.to_path_buf(),
        0,
    )
    .expect("starts");
    let r = post(
        &responses_url(&app),
        &sealed_body(survey, key, submission_id, answers),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn envelopes_under_two_keys_both_open_after_a_rotation() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let old = test_key(keys_dir.path(), "old");
    let new = test_key(keys_dir.path(), "new");
    // Version 1 seals to the old key; version 2 lists the new key first
    // and still accepts the old one.
    let folder = survey_folder(&[old.secret.public()], 1);
    let s1 = survey(folder.path());
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, location) = fresh_db(dir.path());
    let first_id = new_id();
    send_once(
        &location,
        folder.path(),
        &s1,
        old.secret.public(),
        &first_id,
        &answers("ua", "before"),
    );
    std::fs::write(
        folder.path().join(format!("{SURVEY_ID}.toml")),
        survey_text(&[new.secret.public(), old.secret.public()], 2),
    )
    .expect("rotate");
    let s2 = survey(folder.path());
    assert_eq!(
        surveys::sealing::sealing_key(&s2).map(|k| k.id()),
        Ok(new.secret.public().id())
    );
    let second_id = new_id();
    send_once(
        &location,
        folder.path(),
        &s2,
        new.secret.public(),
        &second_id,
        &answers("canaryland", "after"),
    );
    let out = dir.path().join("export.json");
    let mut args: Vec<String> = vec![
        "export".into(),
        SURVEY_ID.into(),
        "--format".into(),
        "json".into(),
        "--db".into(),
        db,
        "--surveys".into(),
        folder.path().display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(key_args(&old));
    args.extend(key_args(&new));
    let done = run(&args, dir.path());
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(!stderr.contains("quarantined"), "{stderr}");
    let text = std::fs::read_to_string(&out).expect("export");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0]["submission_id"], json!(first_id));
    assert_eq!(rows[0]["survey_version"], json!(1));
    assert_eq!(rows[0]["story"], json!("before"));
    assert_eq!(rows[1]["survey_version"], json!(2));
    assert_eq!(rows[1]["story"], json!("after"));
}

#[test]
fn publish_with_the_key_counts_only_what_opens_and_validates() {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let key = test_key(keys_dir.path(), "team");
    let folder = survey_folder(&[key.secret.public()], 1);
    let s = survey(folder.path());
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = responses_url(&app);
    for i in 0..5 {
        let country = if i < 3 { "ua" } else { "canaryland" };
        let r = post(
            &url,
            &sealed_body(&s, key.secret.public(), &new_id(), &answers(country, "")),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = post(
        &url,
        &sealed_body(&s, key.secret.public(), &new_id(), &answers("atlantis", "")),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let out = app.dir.path().join("reports");
    let mut args: Vec<String> = vec![
        "publish".into(),
        SURVEY_ID.into(),
        "--db".into(),
        app.db.clone(),
        "--surveys".into(),
        folder.path().display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    let no_key = run(&args, app.dir.path());
    assert!(!no_key.status.success());
    assert!(
        String::from_utf8_lossy(&no_key.stderr).contains("--key"),
        "{}",
        String::from_utf8_lossy(&no_key.stderr)
    );
    // The refused publish spent nothing.
    let budget = run(
        &[
            "budget".into(),
            SURVEY_ID.into(),
            "--db".into(),
            app.db.clone(),
            "--surveys".into(),
            folder.path().display().to_string(),
        ],
        app.dir.path(),
    );
    assert!(
        String::from_utf8_lossy(&budget.stdout).contains("nothing published yet"),
        "{}",
        String::from_utf8_lossy(&budget.stdout)
    );

    args.extend(key_args(&key));
    let done = run(&args, app.dir.path());
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(stderr.contains("quarantined 1 response"), "{stderr}");
    let report: Value = std::fs::read_dir(out.join(SURVEY_ID))
        .expect("reports")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json"))
        .expect("a JSON report");
    let text = report.to_string();
    assert!(text.contains("by_country"), "{text}");
    assert!(!text.contains("atlantis"), "{text}");
}

/// `chorus check FILE` and the collector's loader give every file the
/// same verdict: the library, and files made to fail each kind of check
/// (a Gaussian plan over its budget among them).
#[test]
fn check_and_serve_agree_on_every_survey_file() {
    let key = seal::SecretKey::generate();
    let mut files: Vec<(String, String)> = std::fs::read_dir(library())
        .expect("library")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("read"),
            )
        })
        .collect();
    let sealed = survey_text(&[key.public()], 1);
    files.push(("sealed.toml".into(), sealed.clone()));
    files.push((
        "gaussian-over-budget.toml".into(),
        sealed.replace(
            "epsilon = 0.5\n",
            "epsilon = 0.9\nmechanism = \"gaussian\"\n",
        ),
    ));
    files.push((
        "bad-key.toml".into(),
        sealed.replacen("chorus-pk1:", "chorus-pk1:A", 1),
    ));
    files.push(("syntax.toml".into(), "id = \"x\nversion = 1".into()));
    let mut refused = Vec::new();
    for (name, text) in &files {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let check = chorus(&["check", &path.display().to_string()], dir.path());
        let served = collector::load_surveys(dir.path());
        assert_eq!(
            check.status.success(),
            served.is_ok(),
            "{name}: check says {}, the collector {:?}",
            String::from_utf8_lossy(&check.stdout),
            served.err().map(|e| e.to_string())
        );
        if !check.status.success() {
            refused.push(name.as_str());
        }
    }
    assert_eq!(
        refused,
        ["gaussian-over-budget.toml", "bad-key.toml", "syntax.toml"]
    );
}

#[test]
fn check_and_the_collector_say_when_answers_are_stored_in_plaintext() {
    let check = chorus(
        &["check", &library().display().to_string()],
        &crate::helpers::repo_root(),
    );
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{stdout}");
    assert!(
        stdout.contains("survey `ost-hiv-access` stores answers in PLAINTEXT"),
        "{stdout}"
    );
    let key = seal::SecretKey::generate();
    let folder = survey_folder(&[key.public()], 1);
    let check = chorus(
        &["check", &folder.path().display().to_string()],
        folder.path(),
    );
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(!stdout.contains("PLAINTEXT"), "{stdout}");
    assert!(stdout.contains("sealed"), "{stdout}");
}
