//! Lose nothing: the real `chorus serve` killed with SIGKILL mid-stream,
//! stopped with SIGTERM, and started on databases it cannot use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use collector::store::Store;
use serde_json::json;

use crate::helpers::{SURVEY, library, new_id, serve_child, stored_rows, wait_for_exit};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 150;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

fn body(id: &str, i: usize) -> String {
    json!({
        "submission_id": id,
        "answers": {"country": "kz", "travel_minutes": i % 600, "comment": format!("answer {i}")}
    })
    .to_string()
}

/// Sends `ids` one after another; returns the ids that got a 2xx, stopping at
/// the first failure (the server went away).
fn send_all(url: &str, ids: &[String], acked: &AtomicUsize) -> Vec<String> {
    let agent = agent();
    let mut ok = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match agent
            .post(url)
            .set("Content-Type", "application/json")
            .send_string(&body(id, i))
        {
            Ok(r) if (200..300).contains(&r.status()) => {
                ok.push(id.clone());
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) => panic!("unexpected status {}", r.status()),
            Err(ureq::Error::Status(503, _)) | Err(ureq::Error::Transport(_)) => break,
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    ok
}

/// How many times each submission id is stored.
fn stored(db: &Path) -> Vec<(String, i64)> {
    let mut store = Store::open_read_only(&db.into()).expect("open");
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (_, row) in stored_rows(&mut store) {
        *counts.entry(row.submission_id).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Clients send concurrently; once `stop_after` are acknowledged, `stop` is
/// called on the server. Returns every id each client meant to send and the
/// ids acknowledged.
fn stream_then(
    url: &str,
    stop_after: usize,
    stop: impl FnOnce(),
) -> (Vec<Vec<String>>, BTreeSet<String>) {
    let plans: Vec<Vec<String>> = (0..CLIENTS)
        .map(|_| (0..PER_CLIENT).map(|_| new_id()).collect())
        .collect();
    let acked_count = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let threads: Vec<_> = plans
        .iter()
        .cloned()
        .map(|ids| {
            let url = url.to_string();
            let acked_count = acked_count.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                let ok = send_all(&url, &ids, &acked_count);
                acked.lock().expect("lock").extend(ok);
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked_count.load(Ordering::SeqCst) < stop_after {
        assert!(Instant::now() < deadline, "the clients made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    stop();
    for t in threads {
        t.join().expect("client thread");
    }
    let acked = acked.lock().expect("lock").clone();
    (plans, acked)
}

#[test]
fn a_killed_collector_keeps_every_acknowledged_answer_and_retries_do_not_duplicate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("chorus.db");
    let server = serve_child(&db, &[], &[]);
    let url = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    let pid = server.child.id();
    let server = Mutex::new(Some(server));
    let (plans, acked) = stream_then(&url, 200, || {
        if let Some(s) = server.lock().expect("lock").take() {
            s.kill9();
        }
    });
    let all: BTreeSet<String> = plans.iter().flatten().cloned().collect();
    assert!(
        acked.len() >= 200 && acked.len() < all.len(),
        "killed mid-stream (pid {pid}): {} of {} acknowledged",
        acked.len(),
        all.len()
    );

    // Restart on the same file: every acknowledged answer is there, once.
    let server = serve_child(&db, &[], &[]);
    let counts = stored(&db);
    assert!(counts.iter().all(|(_, n)| *n == 1), "a duplicate row");
    let present: BTreeSet<String> = counts.into_iter().map(|(id, _)| id).collect();
    let lost: Vec<&String> = acked.difference(&present).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged answers lost: {lost:?}",
        lost.len()
    );

    // Every client sends everything again with the same ids.
    let url = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    let retried = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = plans
        .into_iter()
        .map(|ids| {
            let url = url.clone();
            let retried = retried.clone();
            std::thread::spawn(move || {
                let agent = agent();
                for (i, id) in ids.iter().enumerate() {
                    let r = agent
                        .post(&url)
                        .set("Content-Type", "application/json")
                        .send_string(&body(id, i))
                        .expect("retry accepted");
                    let word = r.into_json::<serde_json::Value>().expect("json")["status"].clone();
                    assert!(word == "stored" || word == "duplicate", "{word}");
                    retried.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("retry thread");
    }
    assert_eq!(retried.load(Ordering::SeqCst), all.len());
    let counts = stored(&db);
    assert!(counts.iter().all(|(_, n)| *n == 1), "a duplicate row");
    let present: BTreeSet<String> = counts.into_iter().map(|(id, _)| id).collect();
    assert_eq!(present, all, "every submission exactly once");
    let (status, output) = server.terminate();
    assert!(status.success(), "{status:?}\n{output}");
}

#[test]
fn sigterm_drains_the_writer_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("chorus.db");
    let server = serve_child(&db, &[], &[]);
    let url = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    let addr = server.addr;
    let result = Mutex::new(None);
    let (_plans, acked) = stream_then(&url, 100, || {
        let s = server;
        *result.lock().expect("lock") = Some(s.terminate());
    });
    let (status, output) = result.into_inner().expect("lock").expect("terminated");
    assert!(
        status.success(),
        "exit 0 after SIGTERM: {status:?}\n{output}"
    );
    assert!(output.contains("stopped"), "{output}");
    // Stopped accepting.
    assert!(std::net::TcpStream::connect(addr).is_err());
    let present: BTreeSet<String> = stored(&db).into_iter().map(|(id, _)| id).collect();
    let lost: Vec<&String> = acked.difference(&present).collect();
    assert!(lost.is_empty(), "{} acknowledged answers lost", lost.len());
    assert!(acked.len() >= 100);
}

/// Runs `chorus serve` on `db`, expecting it to refuse to start.
fn refuses_to_start(db: &Path) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--surveys")
        .arg(library())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start chorus");
    let status = wait_for_exit(&mut child, Duration::from_secs(20));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chorus serve started on {}", db.display());
    };
    let output = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!status.success(), "{text}");
    assert_eq!(
        status.code(),
        Some(1),
        "a plain failure, not a crash: {text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn unusable_databases_stop_the_start_with_a_clear_message() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database, only text ".repeat(200)).expect("write");
    let text = refuses_to_start(&junk);
    assert!(
        text.contains("not a Chorus database, or it is damaged"),
        "{text}"
    );

    let missing = dir.path().join("no-such-folder").join("chorus.db");
    let text = refuses_to_start(&missing);
    assert!(text.contains("does not exist"), "{text}");

    // A real database, made read-only.
    let ro_file = dir.path().join("ro.db");
    drop(Store::open(&ro_file.clone().into()).expect("create"));
    assert!(ro_file.is_file(), "the database was created");
    std::fs::set_permissions(&ro_file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let text = refuses_to_start(&ro_file);
    assert!(text.contains("read-only"), "{text}");

    let ro_dir = dir.path().join("ro-dir");
    std::fs::create_dir(&ro_dir).expect("mkdir");
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let text = refuses_to_start(&ro_dir.join("chorus.db"));
    assert!(
        text.contains("folder") && text.contains("read-only"),
        "{text}"
    );
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}
