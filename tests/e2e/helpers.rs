//! Shared test helpers: a collector on its own port and database — a
//! SQLite file, or with `CHORUS_TEST_BACKEND=postgres` a new database on
//! the test PostgreSQL server ([`crate::pg`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use collector::store::{Location, OwnedResponse, Store, StoreError};
use serde_json::Value;

pub const SURVEY: &str = "ost-hiv-access";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn library() -> PathBuf {
    repo_root().join("surveys").join("library")
}

/// A running collector with a fresh database (and a temporary folder).
pub struct TestApp {
    pub addr: SocketAddr,
    /// Its database as `--db` takes it: a file path or a PostgreSQL URL.
    pub db: String,
    pub location: Location,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The database, opened through Chorus's storage interface as a
    /// command would open it.
    pub fn store(&self) -> Store {
        Store::open(&self.location).expect("open the test database")
    }

    /// The SQLite file, for the tests that look at the bytes on disk.
    pub fn db_path(&self) -> &Path {
        self.location
            .sqlite_path()
            .expect("this test reads the SQLite file itself")
    }

    /// Every stored response, survey by survey, each in stored order.
    pub fn rows(&self) -> Vec<(String, OwnedResponse)> {
        stored_rows(&mut self.store())
    }

    /// The answers of the first stored response (a plaintext survey's).
    pub fn first_answers(&self) -> Value {
        let rows = self.rows();
        let (_, row) = rows.first().expect("a stored response");
        let collector::store::Body::Plain(answers) = &row.body else {
            panic!("stored sealed: {row:?}");
        };
        serde_json::from_str(answers).expect("json")
    }

    pub fn responses(&self) -> usize {
        self.rows().len()
    }

    /// How many releases are stored, over every survey.
    pub fn releases(&self) -> usize {
        let mut store = self.store();
        let surveys = store.surveys_with_releases().expect("surveys");
        surveys
            .iter()
            .map(|s| store.list_releases(s).expect("releases").len())
            .sum()
    }
}

/// Every response in `store`, survey by survey, each in stored order.
pub fn stored_rows(store: &mut Store) -> Vec<(String, OwnedResponse)> {
    let mut out = Vec::new();
    for survey in store.surveys_with_responses().expect("surveys") {
        store
            .for_each_batch::<StoreError>(&survey, |batch| {
                out.extend(batch.into_iter().map(|r| (survey.clone(), r)));
                Ok(())
            })
            .expect("read responses");
    }
    out
}

/// A fresh database for a test collector: a file in `dir`, or a new
/// PostgreSQL database when this run uses PostgreSQL.
pub fn fresh_db(dir: &Path) -> (String, Location) {
    if crate::pg::selected() {
        let url = crate::pg::cluster().database();
        let location = Location::parse(&url, None).expect("test URL");
        (url, location)
    } else {
        let path = dir.join("chorus.db");
        (path.display().to_string(), Location::Sqlite(path))
    }
}

impl TestApp {
    /// Stops the collector (the writer commits and stops) and hands back
    /// its folder, database included.
    pub fn into_dir(mut self) -> tempfile::TempDir {
        self.shutdown();
        let placeholder = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, placeholder)
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts a collector on 127.0.0.1:0 serving the bundled surveys and, when
/// `with_frontend`, the built frontend in `dist/`.
/// The rate limit is off; see [`spawn_app_with`].
pub fn spawn_app(with_frontend: bool) -> TestApp {
    spawn_app_with(with_frontend, library(), 0)
}

/// A collector serving the surveys in `surveys`, allowing `rate_limit`
/// submissions per client and minute (0: no limit).
pub fn spawn_app_with(with_frontend: bool, surveys: PathBuf, rate_limit: u32) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, db) = fresh_db(dir.path());
    try_spawn_app_on(dir, db, with_frontend, surveys, rate_limit).expect("collector starts")
}

/// A collector serving the bundled surveys (the rate limit off) whose quick
/// exit goes to `exit_url` (the operator's `--exit-url`).
pub fn spawn_app_exit(with_frontend: bool, exit_url: &str) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, db) = fresh_db(dir.path());
    let config = collector::Config {
        exit_url: exit_url.to_string(),
        ..config(&db, with_frontend, library(), 0)
    };
    try_spawn_config(dir, db, config).expect("collector starts")
}

fn config(
    db: &Location,
    with_frontend: bool,
    surveys: PathBuf,
    rate_limit: u32,
) -> collector::Config {
    let dist = with_frontend.then(|| repo_root().join("dist"));
    collector::Config {
        rate_limit,
        ..collector::Config::new(
            "127.0.0.1:0".parse().expect("addr"),
            db.clone(),
            surveys,
            dist,
        )
    }
}

/// A collector on the database `db` (which may already hold data), or why
/// it did not start.
pub fn try_spawn_app_on(
    dir: tempfile::TempDir,
    db: impl Into<Location>,
    with_frontend: bool,
    surveys: PathBuf,
    rate_limit: u32,
) -> Result<TestApp, collector::StartError> {
    let db = db.into();
    let config = config(&db, with_frontend, surveys, rate_limit);
    try_spawn_config(dir, db, config)
}

/// A collector with `config` (whose database is `db`), or why it did not
/// start.
fn try_spawn_config(
    dir: tempfile::TempDir,
    db: Location,
    config: collector::Config,
) -> Result<TestApp, collector::StartError> {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = match collector::Application::build(config).await {
                Ok(app) => app,
                Err(e) => {
                    let _ = addr_tx.send(Err(e));
                    return;
                }
            };
            addr_tx.send(Ok(app.addr())).expect("send addr");
            app.run_until(async {
                let _ = stop_rx.await;
            })
            .await;
        });
    });
    let addr = match addr_rx.recv().expect("collector reported its address") {
        Ok(addr) => addr,
        Err(e) => {
            let _ = thread.join();
            return Err(e);
        }
    };
    Ok(TestApp {
        addr,
        db: db.display(),
        location: db,
        dir,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// The collector started again on `addr` (the same origin for a browser)
/// and the database in `dir` (from [`TestApp::into_dir`]), with the
/// frontend, serving `surveys`, named `app_name` when given.
pub fn respawn(
    dir: tempfile::TempDir,
    addr: SocketAddr,
    surveys: &Path,
    app_name: Option<&str>,
) -> TestApp {
    let db = Location::Sqlite(dir.path().join("chorus.db"));
    let mut config = config(&db, true, surveys.to_path_buf(), 0);
    config.addr = addr;
    if let Some(name) = app_name {
        config.app_name = name.to_string();
    }
    try_spawn_config(dir, db, config).expect("the collector starts again")
}

/// A folder holding a copy of the bundled survey `file` (e.g.
/// `ost-hiv-access.toml`) with each `(from, to)` replacement made once.
pub fn survey_folder(file: &str, edits: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = std::fs::read_to_string(library().join(file)).expect("read survey");
    for (from, to) in edits {
        assert!(text.contains(from), "{file} has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    std::fs::write(dir.path().join(file), text).expect("write survey");
    dir
}

/// POSTs `body` with extra request headers.
pub fn post_with(url: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = ureq::post(url).set("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.set(k, v);
    }
    collect(req.send_string(body))
}

/// An HTTP response as the tests see it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response as the tests see it, whatever its status.
pub fn collect(result: Result<ureq::Response, ureq::Error>) -> Resp {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let body = resp.into_string().expect("body");
    Resp {
        status,
        body,
        headers,
    }
}

/// Sends only the head of a POST that announces `length` bytes of body and
/// returns the raw reply. The collector refuses an oversized body from its
/// headers alone and closes the connection; a client that went on writing the
/// body could see a broken pipe instead of the answer, so tests of the size
/// limits send no body at all.
pub fn post_head_only(addr: SocketAddr, path: &str, content_type: &str, length: usize) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .expect("send headers");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read reply");
    reply
}

pub fn get(url: &str) -> Resp {
    collect(ureq::get(url).call())
}

/// POSTs raw `body` bytes as `content_type`, with extra request headers.
pub fn post_bytes(url: &str, content_type: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut req = ureq::post(url).set("Content-Type", content_type);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    collect(req.send_bytes(body))
}

pub fn post(url: &str, body: &str) -> Resp {
    collect(
        ureq::post(url)
            .set("Content-Type", "application/json")
            .send_string(body),
    )
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs the `chorus` binary.
pub fn chorus(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run chorus")
}

/// `chorus serve` running as a child process, its output captured.
pub struct ServeChild {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    /// Everything the server printed (stdout and stderr), as it arrives.
    pub output: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// Starts `chorus serve` on a free loopback port with the database `db`, the
/// bundled surveys, the rate limit off, `extra` arguments and `env`; returns
/// once it says where it listens.
pub fn serve_child(
    db: impl AsRef<std::ffi::OsStr>,
    extra: &[&str],
    env: &[(&str, &str)],
) -> ServeChild {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let library = library();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chorus"));
    cmd.arg("serve")
        .args(["--addr", "127.0.0.1:0", "--rate-limit", "0", "--db"])
        .arg(db)
        .arg("--surveys")
        .arg(&library)
        .args(extra)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start chorus serve");
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let out = output.clone();
    let err_reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
            o.push_str(&line);
            o.push('\n');
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            let _ = child.wait();
            let _ = err_reader.join();
            panic!(
                "chorus serve stopped before listening:\n{}",
                output.lock().unwrap_or_else(|p| p.into_inner())
            );
        }
        output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&line);
        addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse::<SocketAddr>().ok());
    }
    let out = output.clone();
    let out_reader = std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
            o.push_str(&line);
            o.push('\n');
        }
    });
    ServeChild {
        child,
        addr: addr.expect("address"),
        output,
        readers: vec![err_reader, out_reader],
    }
}

impl ServeChild {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no chance to clean up, as in a crash or power loss.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    /// SIGTERM, then waits (at most 30 s) for the exit; returns its status
    /// and everything the server printed.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let status = wait_for_exit(&mut self.child, std::time::Duration::from_secs(30))
            .expect("the server stops within 30 s of SIGTERM");
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let output = self
            .output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (status, output)
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for `child` to exit, for at most `limit`; `None` if it has not.
pub fn wait_for_exit(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
