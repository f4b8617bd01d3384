//! Shared test helpers: a collector on its own port and database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use serde_json::Value;

pub const SURVEY: &str = "ost-hiv-access";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn library() -> PathBuf {
    repo_root().join("surveys").join("library")
}

/// A running collector with a fresh database in a temporary folder.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Opens the database as a test would look at it from outside.
    pub fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open test database")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.conn()
            .query_row(sql, [], |r| r.get(0))
            .expect("count query")
    }

    pub fn responses(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM responses")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a collector on 127.0.0.1:0 serving the bundled surveys and, when
/// `with_frontend`, the built frontend in `dist/`.
pub fn spawn_app(with_frontend: bool) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("chorus.db");
    let dist = with_frontend.then(|| repo_root().join("dist"));
    let config = collector::Config {
        addr: "127.0.0.1:0".parse().expect("addr"),
        db: db.clone(),
        surveys: library(),
        dist,
    };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = collector::Application::build(config)
                .await
                .expect("collector starts");
            addr_tx.send(app.addr()).expect("send addr");
            app.run_until(async {
                let _ = stop_rx.await;
            })
            .await;
        });
    });
    let addr = addr_rx.recv().expect("collector reported its address");
    TestApp {
        addr,
        db,
        dir,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
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

fn collect(result: Result<ureq::Response, ureq::Error>) -> Resp {
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

pub fn get(url: &str) -> Resp {
    collect(ureq::get(url).call())
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
