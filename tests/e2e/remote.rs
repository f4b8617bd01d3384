//! `chorus export --from` and `chorus publish --from`: a researcher's
//! computer working against a remote collector over the admin API, with the
//! private key staying on that computer. The CLI talks to the collector
//! through a recording proxy, and nothing it sends may carry the key.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use collector::store::Body;
use serde_json::{Map, Value, json};

use crate::admin::{call, token};
use crate::helpers::{Resp, TestApp, collect, get, new_id, post, spawn_app_with};

const SEALED: &str = "remote-sealed";
const PLAIN: &str = "remote-plain";
const PASSPHRASE: &str = "remote test passphrase";

/// A survey whose plan costs ε = 3/4 of a budget of 1: one release fits,
/// a second does not. Sealed to `key` when given.
fn survey_toml(id: &str, key: Option<&str>) -> String {
    let keys = key.map_or(String::new(), |k| format!("public_keys = [\"{k}\"]\n"));
    format!(
        r#"{keys}id = "{id}"
version = 1
languages = ["en", "ru"]
default_language = "en"
title = {{ en = "Remote publishing", ru = "Удалённая публикация" }}
privacy_budget = 1

[[questions]]
id = "country"
type = "single_choice"
required = true
label = {{ en = "Country", ru = "Страна" }}
choices = [
  {{ id = "ua", label = {{ en = "Ukraine", ru = "Украина" }} }},
  {{ id = "ge", label = {{ en = "Georgia", ru = "Грузия" }} }},
  {{ id = "md", label = {{ en = "Moldova", ru = "Молдова" }} }},
]

[[questions]]
id = "services"
type = "multiple_choice"
label = {{ en = "Services used", ru = "Услуги" }}
choices = [
  {{ id = "ost", label = {{ en = "OST", ru = "ОЗТ" }} }},
  {{ id = "hiv_test", label = {{ en = "HIV test", ru = "Тест на ВИЧ" }} }},
  {{ id = "naloxone", label = {{ en = "Naloxone", ru = "Налоксон" }} }},
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

[[publication.tables]]
id = "by_service"
question = "services"
statistic = "counts"
epsilon = 0.25
"#
    )
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs the `chorus` binary in `cwd` with `env` set (and no CHORUS_TOKEN
/// from outside).
fn chorus_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"));
    cmd.args(args).current_dir(cwd).env_remove("CHORUS_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run chorus")
}

/// A TCP proxy on 127.0.0.1 port 0 in front of `target`, keeping a copy of
/// every byte each client sent (one buffer per connection).
/// What the client sent, one buffer per connection.
type Recorded = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

struct RecordingProxy {
    addr: SocketAddr,
    sent: Recorded,
    stop: Arc<AtomicBool>,
    /// While set, a request starting with `PUT ` closes its connection
    /// unsent: an upload that cannot get through.
    refuse_puts: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RecordingProxy {
    fn start(target: SocketAddr) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let sent: Recorded = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let refuse_puts = Arc::new(AtomicBool::new(false));
        let (all, stopping, refusing) = (sent.clone(), stop.clone(), refuse_puts.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let record = Arc::new(Mutex::new(Vec::new()));
                all.lock().expect("lock").push(record.clone());
                let refusing = refusing.clone();
                let (mut from_client, mut to_server) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        match from_client.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(_)
                                if refusing.load(Ordering::SeqCst) && buf.starts_with(b"PUT ") =>
                            {
                                let _ = from_client.shutdown(Shutdown::Both);
                                break;
                            }
                            Ok(n) => {
                                record.lock().expect("lock").extend_from_slice(&buf[..n]);
                                if to_server.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = to_server.shutdown(Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
            }
        });
        RecordingProxy {
            addr,
            sent,
            stop,
            refuse_puts,
            thread: Some(thread),
        }
    }

    /// Whether uploads (`PUT`) are cut off from now on.
    fn refuse_puts(&self, refuse: bool) {
        self.refuse_puts.store(refuse, Ordering::SeqCst);
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What each connection's client sent, so far.
    fn requests(&self) -> Vec<Vec<u8>> {
        self.sent
            .lock()
            .expect("lock")
            .iter()
            .map(|r| r.lock().expect("lock").clone())
            .collect()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A researcher's folder: the key file made by `chorus keygen`, its
/// passphrase file, and the surveys (one sealed to that key, one not).
struct Researcher {
    dir: tempfile::TempDir,
    key_file: PathBuf,
    pass_file: PathBuf,
    surveys: PathBuf,
    public: seal::PublicKey,
}

impl Researcher {
    fn new() -> Researcher {
        let dir = tempfile::tempdir().expect("tempdir");
        let pass_file = dir.path().join("pass.txt");
        std::fs::write(&pass_file, format!("{PASSPHRASE}\n")).expect("write passphrase");
        let out = chorus_env(
            &[
                "keygen",
                "--out",
                "team.key",
                "--passphrase-file",
                "pass.txt",
            ],
            dir.path(),
            &[],
        );
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let public = seal::PublicKey::parse(stdout.lines().next().expect("public key line"))
            .expect("the first line is the public key");
        let surveys = dir.path().join("surveys");
        std::fs::create_dir(&surveys).expect("mkdir");
        std::fs::write(
            surveys.join(format!("{SEALED}.toml")),
            survey_toml(SEALED, Some(&public.to_string())),
        )
        .expect("write survey");
        std::fs::write(
            surveys.join(format!("{PLAIN}.toml")),
            survey_toml(PLAIN, None),
        )
        .expect("write survey");
        Researcher {
            key_file: dir.path().join("team.key"),
            pass_file,
            surveys,
            public,
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn survey(&self, id: &str) -> surveys::Survey {
        surveys::load_file(&self.surveys.join(format!("{id}.toml"))).expect("survey")
    }

    /// `chorus <args> --surveys … [--key … --passphrase-file …]`.
    fn run(&self, args: &[&str], with_key: bool, env: &[(&str, &str)]) -> std::process::Output {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--surveys".into(), self.surveys.display().to_string()]);
        if with_key {
            all.extend([
                "--key".into(),
                self.key_file.display().to_string(),
                "--passphrase-file".into(),
                self.pass_file.display().to_string(),
            ]);
        }
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        chorus_env(&refs, self.dir.path(), env)
    }
}

/// One answer set: what was sent, and the export row it must come back as.
fn answers(i: usize) -> Map<String, Value> {
    let country = ["ua", "ge", "md"][i % 3];
    let mut a = Map::new();
    a.insert("country".into(), json!(country));
    if !i.is_multiple_of(4) {
        let all = ["ost", "hiv_test", "naloxone"];
        let picked: Vec<&str> = all
            .iter()
            .enumerate()
            .filter(|(k, _)| (i >> k) & 1 == 1)
            .map(|(_, s)| *s)
            .collect();
        if !picked.is_empty() {
            a.insert("services".into(), json!(picked));
        }
    }
    if i % 5 == 2 {
        a.insert(
            "story".into(),
            json!(format!("account {i}, with a comma\nand a line")),
        );
    }
    a
}

fn expected_row(id: &str, day: &str, a: &Map<String, Value>) -> Value {
    let services: Vec<&str> = a
        .get("services")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let option = |o: &str| {
        if a.contains_key("services") {
            json!(i64::from(services.contains(&o)))
        } else {
            Value::Null
        }
    };
    json!({
        "submission_id": id,
        "survey_version": 1,
        "received_day": day,
        "country": a["country"],
        "services__ost": option("ost"),
        "services__hiv_test": option("hiv_test"),
        "services__naloxone": option("naloxone"),
        "story": a.get("story").cloned().unwrap_or(Value::Null),
    })
}

/// Submits `n` answer sets to `survey` over HTTP, sealed on this side to
/// `key` when given; returns `(submission id, answers)` in the order sent.
fn submit(
    app: &TestApp,
    survey: &surveys::Survey,
    key: Option<&seal::PublicKey>,
    n: usize,
) -> Vec<(String, Map<String, Value>)> {
    let url = app.url(&format!("/api/surveys/{}/responses", survey.id));
    (0..n)
        .map(|i| {
            let id = new_id();
            let a = answers(i);
            let body = match key {
                Some(k) => serde_json::to_string(
                    &surveys::sealing::seal_answers(survey, k, &id, &a).expect("seal"),
                )
                .expect("json"),
                None => json!({"submission_id": id, "version": 1, "answers": a}).to_string(),
            };
            let r = post(&url, &body);
            assert_eq!(r.status, 201, "{}", r.body);
            (id, a)
        })
        .collect()
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A survey's charges, oldest first: release id and ε as
/// numerator/denominator.
fn ledger(app: &TestApp, survey: &str) -> Vec<(String, u64, u64)> {
    app.store()
        .ledger(survey)
        .expect("ledger")
        .into_iter()
        .map(|e| (e.release_id, e.epsilon.numerator(), e.epsilon.denominator()))
        .collect()
}

fn today() -> String {
    collector::store::today()
}

#[test]
fn export_and_publish_from_a_remote_collector_never_send_the_key() {
    let me = Researcher::new();
    let app = spawn_app_with(false, me.surveys.clone(), 0);
    let researcher = token(&app, "researcher");
    let proxy = RecordingProxy::start(app.addr);
    let sealed = me.survey(SEALED);
    let plain = me.survey(PLAIN);
    let sent = submit(&app, &sealed, Some(&me.public), 40);
    let sent_plain = submit(&app, &plain, None, 7);
    // The collector stored envelopes only.
    let stored_sealed = app
        .rows()
        .into_iter()
        .filter(|(survey, r)| {
            survey == SEALED
                && matches!(&r.body, Body::Sealed { envelope, .. } if !envelope.is_empty())
        })
        .count();
    assert_eq!(stored_sealed, 40);

    // The admin list says how each survey stores its answers.
    let list = call("GET", &app.url("/api/admin/surveys"), Some(&researcher)).json();
    let by_id: BTreeMap<&str, &Value> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|s| (s["id"].as_str().expect("id"), s))
        .collect();
    assert_eq!(by_id[SEALED]["sealed"], json!(true), "{list}");
    assert_eq!(by_id[SEALED]["storage"], json!("sealed"), "{list}");
    assert_eq!(by_id[PLAIN]["sealed"], json!(false), "{list}");
    assert_eq!(by_id[PLAIN]["storage"], json!("plaintext"), "{list}");
    assert_eq!(
        by_id[SEALED]["responses"],
        json!(40),
        "old fields kept: {list}"
    );

    let token_env = [("CHORUS_TOKEN", researcher.as_str())];
    let from = proxy.url();
    let day = today();

    // Remote export of the sealed survey (token from the environment):
    // exactly the answers sent, in the order stored.
    let out = me.run(
        &[
            "export",
            SEALED,
            "--from",
            &from,
            "--format",
            "json",
            "--out",
            &me.path("sealed.jsonl"),
        ],
        true,
        &token_env,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("exported 40 responses"),
        "{}",
        text(&out)
    );
    let rows = json_lines(&me.dir.path().join("sealed.jsonl"));
    let expected: Vec<Value> = sent
        .iter()
        .map(|(id, a)| expected_row(id, &day, a))
        .collect();
    assert_eq!(rows, expected);

    // CSV with labels, a codebook, the token as a flag: the same bytes as
    // the export of the collector's own database with the key.
    let out = me.run(
        &[
            "export",
            SEALED,
            "--from",
            &from,
            "--token",
            &researcher,
            "--labels",
            "--lang",
            "ru",
            "--out",
            &me.path("remote.csv"),
            "--codebook",
            &me.path("remote.md"),
        ],
        true,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let db = app.db.clone();
    let out = me.run(
        &[
            "export",
            SEALED,
            "--db",
            &db,
            "--labels",
            "--lang",
            "ru",
            "--out",
            &me.path("local.csv"),
            "--codebook",
            &me.path("local.md"),
        ],
        true,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    for (a, b) in [("remote.csv", "local.csv"), ("remote.md", "local.md")] {
        assert_eq!(
            std::fs::read(me.dir.path().join(a)).expect("read"),
            std::fs::read(me.dir.path().join(b)).expect("read"),
            "{a} differs from {b}"
        );
    }

    // A plaintext survey exports remotely without a key.
    let out = me.run(
        &[
            "export",
            PLAIN,
            "--from",
            &from,
            "--format",
            "json",
            "--out",
            &me.path("plain.jsonl"),
        ],
        false,
        &token_env,
    );
    assert!(out.status.success(), "{}", text(&out));
    let rows = json_lines(&me.dir.path().join("plain.jsonl"));
    let expected: Vec<Value> = sent_plain
        .iter()
        .map(|(id, a)| expected_row(id, &day, a))
        .collect();
    assert_eq!(rows, expected);

    // Without the key, a sealed survey is refused before anything is written.
    let out = me.run(
        &[
            "export",
            SEALED,
            "--from",
            &from,
            "--out",
            &me.path("nokey.csv"),
        ],
        false,
        &token_env,
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--key"), "{}", text(&out));

    // Remote publish: charged once, on the collector, from its own file.
    let out_dir = me.path("reports");
    let out = me.run(
        &["publish", SEALED, "--from", &from, "--out", &out_dir],
        true,
        &token_env,
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let release = format!("{day}.1");
    assert!(
        t.contains(&format!(
            "published {SEALED} release {release} with ε = 0.75; budget spent 0.75 of 1, 0.25 remains"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!("{from}/results/{SEALED}/{release}")),
        "{t}"
    );
    assert_eq!(ledger(&app, SEALED), [(release.clone(), 3, 4)]);
    let budget = me.run(&["budget", SEALED, "--db", &db], false, &[]);
    assert!(
        String::from_utf8_lossy(&budget.stdout).contains("spent 0.75, 0.25 remains"),
        "{}",
        text(&budget)
    );

    // The same files as a local publish, and the collector serves them.
    let folder = PathBuf::from(&out_dir).join(SEALED);
    let json_file = std::fs::read_to_string(folder.join(format!("{release}.json"))).expect("json");
    for f in [
        format!("{release}.en.html"),
        format!("{release}.ru.html"),
        format!("{release}/by_country.csv"),
        format!("{release}/by_service.csv"),
    ] {
        assert!(folder.join(&f).is_file(), "{f} not written");
    }
    let report: analysis::Report = serde_json::from_str(&json_file).expect("a report");
    assert_eq!(report.release_id, release);
    assert_eq!(report.survey_id, SEALED);
    assert_eq!(report.published, day);
    let served = get(&app.url(&format!("/results/{SEALED}/{release}.json")));
    assert_eq!(served.status, 200);
    assert_eq!(served.body, json_file);
    let page = get(&app.url(&format!("/results/{SEALED}/{release}?lang=ru")));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.body,
        std::fs::read_to_string(folder.join(format!("{release}.ru.html"))).expect("page")
    );
    let csv = get(&app.url(&format!("/results/{SEALED}/{release}/by_country.csv")));
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.body,
        std::fs::read_to_string(folder.join(format!("{release}/by_country.csv"))).expect("csv")
    );
    let index = get(&app.url(&format!("/results/{SEALED}")));
    assert_eq!(index.status, 200);
    assert!(index.body.contains(&release), "{}", index.body);

    // A second release would overspend: refused, nothing charged or stored.
    let out = me.run(
        &[
            "publish",
            SEALED,
            "--from",
            &from,
            "--out",
            &me.path("again"),
        ],
        true,
        &token_env,
    );
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("would exceed the survey's privacy budget"),
        "{t}"
    );
    assert!(t.contains("nothing was charged"), "{t}");
    assert!(t.contains("budget_exceeded"), "{t}");
    assert_eq!(ledger(&app, SEALED), [(release.clone(), 3, 4)]);
    assert_eq!(app.releases(), 1);
    assert!(!me.dir.path().join("again").exists());

    // The key never left this computer: no request through the proxy
    // carries the key file, its sealed seed, the passphrase or the seed.
    let key_text = std::fs::read_to_string(&me.key_file).expect("key file");
    let key_json: Value = serde_json::from_str(&key_text).expect("key file JSON");
    let sealed_seed = key_json["sealed_seed"].as_str().expect("sealed_seed");
    let secret = seal::keyfile::unlock(&key_text, PASSPHRASE.as_bytes()).expect("unlock");
    let seed = secret.seed();
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let b64url = seal::encode(&seed);
    let b64 = b64url.replace('-', "+").replace('_', "/");
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("the key file", key_text.trim().as_bytes().to_vec()),
        ("the sealed seed", sealed_seed.as_bytes().to_vec()),
        ("the passphrase", PASSPHRASE.as_bytes().to_vec()),
        ("the seed", seed.to_vec()),
        ("the seed in hex", hex.as_bytes().to_vec()),
        ("the seed in HEX", hex.to_uppercase().into_bytes()),
        ("the seed in base64url", b64url.as_bytes().to_vec()),
        ("the seed in base64", b64.as_bytes().to_vec()),
    ];
    let requests = proxy.requests();
    let everything: Vec<u8> = requests.concat();
    // The proxy saw the work: row fetches, a charge and an upload.
    for seen in [
        format!("GET /api/admin/surveys/{SEALED}/sealed "),
        format!("GET /api/admin/surveys/{SEALED}/versions "),
        format!("POST /api/admin/surveys/{SEALED}/releases "),
        format!("PUT /api/admin/surveys/{SEALED}/releases/{release} "),
    ] {
        assert!(
            contains(&everything, seen.as_bytes()),
            "no {seen:?} through the proxy"
        );
    }
    for (i, request) in requests.iter().enumerate() {
        for (what, bytes) in &secrets {
            assert!(
                !contains(request, bytes),
                "connection {i} sent {what} to the collector"
            );
        }
    }
}

#[test]
fn an_upload_that_failed_after_the_charge_is_sent_again_without_a_second_charge() {
    let me = Researcher::new();
    let app = spawn_app_with(false, me.surveys.clone(), 0);
    let researcher = token(&app, "researcher");
    let proxy = RecordingProxy::start(app.addr);
    let sealed = me.survey(SEALED);
    submit(&app, &sealed, Some(&me.public), 12);
    let token_env = [("CHORUS_TOKEN", researcher.as_str())];
    let from = proxy.url();
    let out_dir = me.path("reports");
    let release = format!("{}.1", today());

    // The collector charges, the report is built and written, the upload
    // is cut off: the error says what was charged and how to upload.
    proxy.refuse_puts(true);
    let out = me.run(
        &["publish", SEALED, "--from", &from, "--out", &out_dir],
        true,
        &token_env,
    );
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains(&format!("Release {release} of `{SEALED}` is charged")),
        "{t}"
    );
    let hint = format!("chorus publish {SEALED} --from {from} --out {out_dir} --upload {release}");
    assert!(t.contains(&hint), "{t}");
    assert_eq!(ledger(&app, SEALED), [(release.clone(), 3, 4)]);
    assert_eq!(app.releases(), 0);
    let written = PathBuf::from(&out_dir)
        .join(SEALED)
        .join(format!("{release}.json"));
    let json_file = std::fs::read_to_string(&written).expect("the report was written");
    assert_eq!(
        get(&app.url(&format!("/results/{SEALED}/{release}.json"))).status,
        404
    );

    // Bad `--upload` arguments are refused before anything is sent.
    proxy.refuse_puts(false);
    let before = proxy.requests().len();
    for (args, expected) in [
        (
            vec![
                "publish", SEALED, "--from", &from, "--out", &out_dir, "--upload", "../x",
            ],
            "takes a release id",
        ),
        (
            vec![
                "publish",
                SEALED,
                "--from",
                &from,
                "--out",
                "elsewhere",
                "--upload",
                &release,
            ],
            "cannot read",
        ),
        (
            vec!["publish", SEALED, "--out", &out_dir, "--upload", &release],
            "give --from URL",
        ),
        (
            vec![
                "publish",
                SEALED,
                "--from",
                &from,
                "--out",
                &out_dir,
                "--upload",
                &release,
                "--epsilon",
                "1",
            ],
            "--epsilon does not apply",
        ),
    ] {
        let out = me.run(&args, false, &token_env);
        let t = text(&out);
        assert!(!out.status.success(), "{args:?}: {t}");
        assert!(t.contains(expected), "{args:?}: {t}");
    }
    assert_eq!(
        proxy.requests().len(),
        before,
        "a refused --upload sent something"
    );

    // Uploaded without the key and without a second charge, then served.
    let args = [
        "publish", SEALED, "--from", &from, "--out", &out_dir, "--upload", &release,
    ];
    let out = me.run(&args, false, &token_env);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains(&format!("uploaded {SEALED} release {release}")),
        "{t}"
    );
    assert_eq!(ledger(&app, SEALED), [(release.clone(), 3, 4)]);
    let served = get(&app.url(&format!("/results/{SEALED}/{release}.json")));
    assert_eq!(served.status, 200);
    assert_eq!(served.body, json_file);

    // A release is uploaded once.
    let out = me.run(&args, false, &token_env);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("already_uploaded"), "{t}");
    assert_eq!(app.releases(), 1);
}

#[test]
fn remote_flags_are_checked_before_anything_is_sent() {
    let me = Researcher::new();
    // --from and --db together: refused by the parser.
    let out = me.run(
        &[
            "export",
            SEALED,
            "--from",
            "http://127.0.0.1:9",
            "--db",
            "x.db",
            "--out",
            "x.csv",
        ],
        false,
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot be used with"), "{}", text(&out));
    let out = me.run(
        &[
            "publish",
            SEALED,
            "--from",
            "http://127.0.0.1:9",
            "--db",
            "x.db",
            "--out",
            "r",
        ],
        false,
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // No token at all.
    let out = me.run(
        &[
            "publish",
            SEALED,
            "--from",
            "http://127.0.0.1:9",
            "--out",
            "r",
        ],
        true,
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("CHORUS_TOKEN"), "{}", text(&out));
}

#[test]
fn a_survey_file_that_differs_from_the_collectors_is_refused_before_charging() {
    let me = Researcher::new();
    let app = spawn_app_with(false, me.surveys.clone(), 0);
    let researcher = token(&app, "researcher");
    // The researcher's copy is edited (a different title) without a new version.
    let file = me.surveys.join(format!("{SEALED}.toml"));
    let edited = std::fs::read_to_string(&file)
        .expect("read")
        .replace("Remote publishing", "Remote publishing, edited");
    std::fs::write(&file, edited).expect("write");
    let out = me.run(
        &[
            "publish",
            SEALED,
            "--from",
            &app.url(""),
            "--out",
            &me.path("r"),
        ],
        true,
        &[("CHORUS_TOKEN", researcher.as_str())],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("differs from version 1"),
        "{}",
        text(&out)
    );
    assert!(ledger(&app, SEALED).is_empty());
}

fn admin_url(app: &TestApp, survey: &str, rest: &str) -> String {
    app.url(&format!("/api/admin/surveys/{survey}{rest}"))
}

fn send(method: &str, url: &str, token: Option<&str>, body: &str) -> Resp {
    let mut req = ureq::request(method, url).set("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    collect(req.send_string(body))
}

/// A release of `survey` for a charge, built here (no responses: this is
/// about what the collector checks).
fn built(survey: &surveys::Survey, release_id: &str, day: &str) -> collector::store::Release {
    let plan = analysis::prepare(survey, None).expect("plan");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    collector::publish::build_release(survey, plan, release_id, day, std::iter::empty(), &mut rng)
        .expect("report")
        .0
}

#[test]
fn the_release_routes_charge_from_the_collectors_file_and_check_uploads() {
    let me = Researcher::new();
    let app = spawn_app_with(false, me.surveys.clone(), 0);
    let researcher = token(&app, "researcher");
    let viewer = token(&app, "viewer");
    let r = Some(researcher.as_str());
    let plain = me.survey(PLAIN);
    let sent = submit(&app, &plain, None, 3);

    // Rows as stored, one JSON line each; versions as served.
    let rows = call("GET", &admin_url(&app, PLAIN, "/sealed"), r);
    assert_eq!(rows.status, 200, "{}", rows.body);
    assert!(
        rows.header("content-type")
            .is_some_and(|c| c.starts_with("application/x-ndjson")),
        "{:?}",
        rows.headers
    );
    assert_eq!(rows.header("cache-control"), Some("no-store"));
    let lines: Vec<Value> = rows
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(lines.len(), 3);
    for (line, (id, a)) in lines.iter().zip(&sent) {
        assert_eq!(line["submission_id"], json!(id));
        assert_eq!(line["answers"], Value::Object(a.clone()));
        assert_eq!(line["received_day"], json!(today()));
    }
    let versions = call("GET", &admin_url(&app, PLAIN, "/versions"), r);
    assert_eq!(versions.status, 200, "{}", versions.body);
    let served: Vec<surveys::Survey> = serde_json::from_str(&versions.body).expect("surveys");
    assert_eq!(served, std::slice::from_ref(&plain));

    // Sealed rows carry the envelope exactly as the device sent it.
    let sealed = me.survey(SEALED);
    let id = new_id();
    let envelope =
        surveys::sealing::seal_answers(&sealed, &me.public, &id, &answers(1)).expect("seal");
    let stored = post(
        &app.url(&format!("/api/surveys/{SEALED}/responses")),
        &serde_json::to_string(&envelope).expect("json"),
    );
    assert_eq!(stored.status, 201, "{}", stored.body);
    let rows = call("GET", &admin_url(&app, SEALED, "/sealed"), r);
    let line: Value = serde_json::from_str(rows.body.trim()).expect("one line");
    assert_eq!(line["submission_id"], json!(id));
    assert_eq!(line["envelope"], json!(envelope.envelope));
    assert_eq!(line["key_id"], json!(me.public.id().to_string()));
    assert!(line.get("answers").is_none(), "{line}");

    // The charge is the collector's plan: an ε that differs is refused.
    let charges = admin_url(&app, PLAIN, "/releases");
    let wrong = send("POST", &charges, r, r#"{"epsilon": "0.1"}"#);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(wrong.json()["error"], "epsilon_mismatch");
    let bad = send("POST", &charges, r, r#"{"epsilon": "lots"}"#);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"], "bad_epsilon");
    let bad = send("POST", &charges, r, r#"{"charge": "0.001"}"#);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"], "bad_json");
    assert!(ledger(&app, PLAIN).is_empty());

    let charged = send("POST", &charges, r, "{}");
    assert_eq!(charged.status, 201, "{}", charged.body);
    let c = charged.json();
    let release_id = c["release_id"].as_str().expect("id").to_string();
    assert_eq!(release_id, format!("{}.1", today()));
    assert_eq!(c["day"], json!(today()));
    assert_eq!(c["epsilon"], json!("0.75"));
    assert_eq!(c["delta"], json!(0.0));
    assert_eq!(c["spent"], json!("0.75"));
    assert_eq!(c["budget"], json!("1"));
    assert_eq!(ledger(&app, PLAIN), [(release_id.clone(), 3, 4)]);
    // Charged and not uploaded: nothing is served yet.
    assert_eq!(
        get(&app.url(&format!("/results/{PLAIN}/{release_id}"))).status,
        404
    );

    // Over budget: refused, nothing charged.
    let over = send("POST", &charges, r, r#"{"epsilon": "3/4"}"#);
    assert_eq!(over.status, 409, "{}", over.body);
    assert_eq!(over.json()["error"], "budget_exceeded");
    assert!(
        over.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("would exceed") && m.contains("nothing was charged")),
        "{}",
        over.body
    );
    assert_eq!(ledger(&app, PLAIN).len(), 1);

    // Uploads: for no charge, not a report, not this charge, then once.
    let upload = |release: &str, body: &Value| {
        send(
            "PUT",
            &admin_url(&app, PLAIN, &format!("/releases/{release}")),
            r,
            &body.to_string(),
        )
    };
    let good = built(&plain, &release_id, &today());
    let body = json!({"json": good.json, "html": good.html});
    let none = upload("2020-01-01.1", &body);
    assert_eq!(
        none.status, 422,
        "release id in the report differs: {}",
        none.body
    );
    let other = built(&plain, "2020-01-01.1", "2020-01-01");
    let none = upload(
        "2020-01-01.1",
        &json!({"json": other.json, "html": other.html}),
    );
    assert_eq!(none.status, 404, "{}", none.body);
    assert_eq!(none.json()["error"], "no_such_charge");
    let junk = upload(&release_id, &json!({"json": "{\"n\": 1}", "html": "<p>"}));
    assert_eq!(junk.status, 422, "{}", junk.body);
    assert_eq!(junk.json()["error"], "not_a_report");
    let shape = upload(&release_id, &json!({"report": "x"}));
    assert_eq!(shape.status, 400, "{}", shape.body);
    assert_eq!(shape.json()["error"], "bad_json");
    let mut cheaper: analysis::Report = serde_json::from_str(&good.json).expect("report");
    cheaper.epsilon = surveys::Epsilon::new(1, 4).expect("ε");
    let cheaper = upload(
        &release_id,
        &json!({"json": analysis::render_json(&cheaper), "html": good.html}),
    );
    assert_eq!(cheaper.status, 422, "{}", cheaper.body);
    assert_eq!(cheaper.json()["error"], "report_mismatch");
    let other_day = built(&plain, &release_id, "2020-01-01");
    let other_day = upload(
        &release_id,
        &json!({"json": other_day.json, "html": other_day.html}),
    );
    assert_eq!(other_day.status, 422, "{}", other_day.body);
    assert_eq!(other_day.json()["error"], "report_mismatch");
    assert_eq!(app.releases(), 0);

    let stored = upload(&release_id, &body);
    assert_eq!(stored.status, 201, "{}", stored.body);
    assert_eq!(
        stored.json()["url"],
        json!(format!("/results/{PLAIN}/{release_id}"))
    );
    let again = upload(&release_id, &body);
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["error"], "already_uploaded");
    let served = get(&app.url(&format!("/results/{PLAIN}/{release_id}.json")));
    assert_eq!(served.status, 200);
    assert_eq!(served.body, good.json);
    let page = get(&app.url(&format!("/results/{PLAIN}/{release_id}")));
    assert_eq!(page.status, 200);
    assert_eq!(page.body, good.html);
    assert_eq!(
        get(&app.url(&format!("/results/{PLAIN}/{release_id}?lang=ru"))).status,
        200
    );

    // Who may: a viewer gets 403, a bad token 401, an unknown survey 404.
    let routes: [(&str, String, &str); 4] = [
        ("GET", "/sealed".into(), ""),
        ("GET", "/versions".into(), ""),
        ("POST", "/releases".into(), "{}"),
        ("PUT", format!("/releases/{release_id}"), "{}"),
    ];
    let unknown = format!("chorus_{}", "0".repeat(64));
    for (method, rest, body) in &routes {
        let url = admin_url(&app, PLAIN, rest);
        let v = send(method, &url, Some(&viewer), body);
        assert_eq!(v.status, 403, "{method} {rest}: {}", v.body);
        assert_eq!(v.json()["error"], "forbidden");
        for bad in ["chorus_not-a-token", unknown.as_str()] {
            let b = send(method, &url, Some(bad), body);
            assert_eq!(b.status, 401, "{method} {rest}: {}", b.body);
            assert_eq!(b.json()["error"], "unauthorized");
            assert!(b.header("www-authenticate").is_some());
        }
        let none = send(method, &url, None, body);
        assert_eq!(none.status, 401, "{method} {rest}: {}", none.body);
        let missing = send(method, &admin_url(&app, "no-such-survey", rest), r, body);
        assert_eq!(missing.status, 404, "{method} {rest}: {}", missing.body);
        assert_eq!(missing.json()["error"], "unknown_survey");
    }
    // Nothing more was charged or stored by any of that.
    assert_eq!(ledger(&app, PLAIN).len(), 1);
    assert_eq!(app.releases(), 1);
}
