//! Chorus on PostgreSQL (a real server, [`crate::pg`]): what only this
//! backend has — several collectors on one database, logins, `chorus
//! migrate` — and the privacy scan of what the server stores. The shared
//! suites run on it too (`CHORUS_TEST_BACKEND=postgres`, scripts/test.sh).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use collector::store::{Location, Store};
use serde_json::json;

use crate::helpers::{
    SURVEY, chorus, get, library, new_id, post, post_with, serve_child, stored_rows,
    try_spawn_app_on, wait_for_exit,
};
use crate::pg::{PASSWORD, PASSWORD_ROLE, cluster};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn open(url: &str) -> Store {
    Store::open(&Location::parse(url, None).expect("url")).expect("open")
}

fn answer(id: &str, i: usize) -> String {
    let country = ["ua", "ge", "kz", "md"][i % 4];
    json!({
        "submission_id": id,
        "answers": {"country": country, "travel_minutes": i % 600}
    })
    .to_string()
}

/// `chorus serve` on `db` with `extra` arguments and `env`, expected to
/// refuse to start: exit code 1 and what it printed.
fn refused(db: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--db", db])
        .arg("--surveys")
        .arg(library())
        .args(extra)
        .env_remove("PGPASSWORD")
        .env_remove("CHORUS_DB_PASSWORD_FILE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start chorus");
    let Some(status) = wait_for_exit(&mut child, Duration::from_secs(30)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chorus serve started on {db}");
    };
    let output = child.wait_with_output().expect("output");
    let out = text(&output);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(!out.contains("panicked"), "{out}");
    out
}

#[test]
fn a_database_it_cannot_use_is_refused_with_the_reason_and_exit_code_1() {
    let pg = cluster();
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let out = refused(&format!("postgres://chorus@127.0.0.1:{closed}/x"), &[], &[]);
    assert!(out.contains("cannot connect"), "{out}");

    // A password on the command line is refused before anything is tried.
    let db = pg.new_database();
    let out = refused(
        &format!(
            "postgres://{PASSWORD_ROLE}:{PASSWORD}@127.0.0.1:{}/{db}",
            pg.port
        ),
        &[],
        &[],
    );
    assert!(out.contains("--db-password-file"), "{out}");
    assert!(
        !out.contains(PASSWORD),
        "the password is never echoed: {out}"
    );

    // Wrong credentials, from a file and from the environment.
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the password\n").expect("write");
    let url = format!("postgres://{PASSWORD_ROLE}@127.0.0.1:{}/{db}", pg.port);
    let out = refused(
        &url,
        &["--db-password-file", wrong.to_str().expect("utf-8")],
        &[],
    );
    assert!(out.contains("password authentication failed"), "{out}");
    let out = refused(&url, &[], &[("PGPASSWORD", "nope")]);
    assert!(out.contains("password authentication failed"), "{out}");

    // A database that does not exist.
    let out = refused(
        &format!("postgres://chorus@127.0.0.1:{}/no_such_db", pg.port),
        &[],
        &[],
    );
    assert!(out.contains("does not exist"), "{out}");

    // A schema from a newer Chorus.
    let newer = pg.database();
    drop(open(&newer));
    let name = newer.rsplit('/').next().expect("name");
    pg.psql(name, "UPDATE chorus_schema SET version = 99");
    let out = refused(&newer, &[], &[]);
    assert!(out.contains("newer Chorus"), "{out}");
    // And nothing was changed by the refusals.
    assert_eq!(pg.psql(name, "SELECT version FROM chorus_schema"), "99");
}

#[test]
fn the_password_comes_from_a_file_or_the_environment() {
    let pg = cluster();
    let db = pg.new_database();
    let url = format!("postgres://{PASSWORD_ROLE}@127.0.0.1:{}/{db}", pg.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
    let server = serve_child(
        &url,
        &["--db-password-file", file.to_str().expect("utf-8")],
        &[],
    );
    assert!(
        server.output.lock().expect("lock").contains("(PostgreSQL)"),
        "the start line names the backend"
    );
    let r = post(
        &server.url(&format!("/api/surveys/{SURVEY}/responses")),
        &answer(&new_id(), 1),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let (status, output) = server.terminate();
    assert!(status.success(), "{output}");
    assert!(!output.contains(PASSWORD), "{output}");

    // The CLI, with the password in the environment.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["token", "create", "--role", "viewer", "--db", &url])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out));
    // And with CHORUS_DB and CHORUS_DB_PASSWORD_FILE alone.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["token", "list"])
        .env("CHORUS_DB", &url)
        .env("CHORUS_DB_PASSWORD_FILE", &file)
        .env_remove("PGPASSWORD")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("viewer"), "{}", text(&out));
}

#[test]
fn two_collectors_on_one_database_lose_nothing_when_one_is_killed() {
    let url = cluster().database();
    let a = serve_child(&url, &[], &[]);
    let b = serve_child(&url, &[], &[]);
    let urls = [
        a.url(&format!("/api/surveys/{SURVEY}/responses")),
        b.url(&format!("/api/surveys/{SURVEY}/responses")),
    ];
    // Eight clients, each alternating between the two collectors.
    let plans: Vec<Vec<String>> = (0..8)
        .map(|_| (0..150).map(|_| new_id()).collect())
        .collect();
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = plans
        .iter()
        .cloned()
        .enumerate()
        .map(|(c, ids)| {
            let (urls, acked, count) = (urls.clone(), acked.clone(), count.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .build();
                for (i, id) in ids.iter().enumerate() {
                    let to = &urls[(c + i) % 2];
                    match agent
                        .post(to)
                        .set("Content-Type", "application/json")
                        .send_string(&answer(id, i))
                    {
                        Ok(r) if r.status() == 201 => {
                            acked.lock().expect("lock").insert(id.clone());
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        // Collector A is gone: this client keeps to B.
                        Err(_) => {}
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(Ordering::SeqCst) < 300 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    a.kill9();
    for t in threads {
        t.join().expect("client");
    }
    let acked = acked.lock().expect("lock").clone();
    let all: BTreeSet<String> = plans.iter().flatten().cloned().collect();
    assert!(acked.len() < all.len(), "A was killed mid-stream");

    let stored_ids = || -> Vec<String> {
        stored_rows(&mut open(&url))
            .into_iter()
            .map(|(_, r)| r.submission_id)
            .collect()
    };
    let present = stored_ids();
    let unique: BTreeSet<String> = present.iter().cloned().collect();
    assert_eq!(unique.len(), present.len(), "a duplicate row");
    let lost: Vec<&String> = acked.difference(&unique).collect();
    assert!(lost.is_empty(), "acknowledged answers lost: {lost:?}");

    // Every id sent again, all to B: stored or duplicate, never twice.
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    for (c, ids) in plans.iter().enumerate() {
        for (i, id) in ids.iter().enumerate() {
            let r = agent
                .post(&urls[1])
                .set("Content-Type", "application/json")
                .send_string(&answer(id, i))
                .unwrap_or_else(|e| panic!("client {c}: {e}"));
            let word = r.into_json::<serde_json::Value>().expect("json")["status"].clone();
            assert!(word == "stored" || word == "duplicate", "{word}");
        }
    }
    let present = stored_ids();
    let unique: BTreeSet<String> = present.iter().cloned().collect();
    assert_eq!(unique.len(), present.len(), "a duplicate row");
    assert_eq!(unique, all, "every submission exactly once");

    // Closing the survey through one is seen by the other.
    let c = serve_child(&url, &[], &[]);
    let out = chorus(
        &[
            "survey",
            "close",
            SURVEY,
            "--db",
            &url,
            "--surveys",
            library().to_str().expect("utf-8"),
        ],
        std::path::Path::new("."),
    );
    assert!(out.status.success(), "{}", text(&out));
    for to in [
        &urls[1],
        &c.url(&format!("/api/surveys/{SURVEY}/responses")),
    ] {
        let r = post(to, &answer(&new_id(), 0));
        assert_eq!(r.status, 410, "{}", r.body);
    }
    let (status, output) = b.terminate();
    assert!(status.success(), "{output}");
    let (status, output) = c.terminate();
    assert!(status.success(), "{output}");
}

#[test]
fn publishes_racing_from_two_processes_never_overspend() {
    let url = cluster().database();
    let server = serve_child(&url, &[], &[]);
    let submit = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    for i in 0..30 {
        assert_eq!(post(&submit, &answer(&new_id(), i)).status, 201);
    }
    // The survey's budget is 3; two processes each ask for ε = 1 twice.
    let lib = library().to_str().expect("utf-8").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let runs: Vec<_> = (0..2)
        .map(|p| {
            let (url, lib, out) = (url.clone(), lib.clone(), dir.path().join(format!("out{p}")));
            std::thread::spawn(move || {
                (0..2)
                    .map(|_| {
                        std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
                            .args(["publish", SURVEY, "--epsilon", "1", "--db", &url])
                            .args(["--surveys", &lib, "--out"])
                            .arg(&out)
                            .output()
                            .expect("run publish")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let outputs: Vec<std::process::Output> = runs
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let passed = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        passed,
        3,
        "{}",
        outputs.iter().map(text).collect::<Vec<_>>().join("\n---\n")
    );
    for o in outputs.iter().filter(|o| !o.status.success()) {
        assert!(text(o).contains("budget"), "{}", text(o));
    }
    let mut store = open(&url);
    assert_eq!(
        store.spent(SURVEY).expect("spent"),
        surveys::Epsilon::from_integer(3)
    );
    assert_eq!(store.list_releases(SURVEY).expect("releases").len(), 3);
    // Served by the collector that did none of the publishing.
    let listed = get(&server.url(&format!("/results/{SURVEY}")));
    assert_eq!(listed.status, 200);
    let (status, output) = server.terminate();
    assert!(status.success(), "{output}");
}

#[test]
fn migrate_copies_a_whole_sqlite_collector_and_exports_stay_identical() {
    // The source is SQLite whichever backend this run's helpers use.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = dir.path().join("chorus.db");
    let app = try_spawn_app_on(dir, sqlite.clone(), false, library(), 0).expect("starts");
    let submit = app.url(&format!("/api/surveys/{SURVEY}/responses"));
    for i in 0..120 {
        assert_eq!(post(&submit, &answer(&new_id(), i)).status, 201);
    }
    let lib = library().to_str().expect("utf-8").to_string();
    let db = sqlite.to_str().expect("utf-8").to_string();
    let cwd = app.dir.path().to_path_buf();
    let out_dir = cwd.join("out");
    let published = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args([
            "publish",
            SURVEY,
            "--epsilon",
            "1/2",
            "--db",
            &db,
            "--surveys",
            &lib,
        ])
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("publish");
    assert!(published.status.success(), "{}", text(&published));
    let token = chorus(
        &[
            "token",
            "create",
            "--role",
            "researcher",
            "--label",
            "team",
            "--db",
            &db,
        ],
        &cwd,
    );
    assert!(token.status.success(), "{}", text(&token));
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let revoked = chorus(&["token", "create", "--role", "viewer", "--db", &db], &cwd);
    assert!(revoked.status.success());
    assert!(
        chorus(&["token", "revoke", "2", "--db", &db], &cwd)
            .status
            .success()
    );
    let closed = chorus(
        &["survey", "close", SURVEY, "--db", &db, "--surveys", &lib],
        &cwd,
    );
    assert!(closed.status.success(), "{}", text(&closed));
    // Stopped, its folder kept.
    let _dir = app.into_dir();

    let export = |db: &str, name: &str| -> String {
        let file = cwd.join(name);
        let out = chorus(
            &[
                "export",
                SURVEY,
                "--db",
                db,
                "--surveys",
                &lib,
                "--out",
                file.to_str().expect("utf-8"),
            ],
            &cwd,
        );
        assert!(out.status.success(), "{}", text(&out));
        std::fs::read_to_string(file).expect("export")
    };
    let before = export(&db, "before.csv");
    assert_eq!(before.lines().count(), 121, "a header and 120 rows");

    let url = cluster().database();
    let migrated = chorus(&["migrate", "--from", &db, "--to", &url], &cwd);
    assert!(migrated.status.success(), "{}", text(&migrated));
    let said = text(&migrated);
    assert!(
        said.contains("120 responses")
            && said.contains("1 releases")
            && said.contains("2 admin tokens"),
        "{said}"
    );
    assert_eq!(export(&url, "after.csv"), before, "identical exports");

    // A second copy into the same database is refused, and changes nothing.
    let again = chorus(&["migrate", "--from", &db, "--to", &url], &cwd);
    assert!(!again.status.success());
    assert!(text(&again).contains("empty"), "{}", text(&again));
    assert_eq!(open(&url).response_count(SURVEY).expect("count"), 120);

    // The ledger, the release, the lifecycle and the tokens came along:
    // a collector on the copy serves them.
    let server = serve_child(&url, &[], &[]);
    let mut store = open(&url);
    assert_eq!(
        store.spent(SURVEY).expect("spent"),
        surveys::Epsilon::new(1, 2).expect("ε")
    );
    assert!(store.closed_day(SURVEY).expect("closed").is_some());
    let tokens = store.list_tokens().expect("tokens");
    assert_eq!(tokens.len(), 2);
    assert!(tokens[1].revoked_day.is_some());
    let list = ureq::get(&server.url("/api/admin/surveys"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("the copied token works");
    assert_eq!(list.status(), 200);
    let results = get(&server.url(&format!("/results/{SURVEY}")));
    assert_eq!(results.status, 200);
    assert!(results.body.contains(".1"), "the release is listed");
    let r = post(
        &server.url(&format!("/api/surveys/{SURVEY}/responses")),
        &answer(&new_id(), 0),
    );
    assert_eq!(r.status, 410, "still closed: {}", r.body);
    // A token made after the copy gets a new number.
    let fresh = chorus(&["token", "create", "--role", "viewer", "--db", &url], &cwd);
    assert!(text(&fresh).contains("token 3"), "{}", text(&fresh));
    let (status, output) = server.terminate();
    assert!(status.success(), "{output}");
}

#[test]
fn postgresql_stores_no_trace_of_who_answered() {
    const UA: &str = "UA-PGCANARY-81c2 Mozilla/5.0";
    const FORWARDED: &str = "198.51.100.23";
    const REFERER: &str = "https://pgcanary.example/REFERER-PGCANARY";
    const ANSWER: &str = "ANSWER-PGCANARY-55e1";
    let pg = cluster();
    let url = pg.database();
    let server = serve_child(&url, &[], &[("RUST_LOG", "trace")]);
    let submit = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    let headers = [
        ("User-Agent", UA),
        ("X-Forwarded-For", FORWARDED),
        ("Forwarded", "for=198.51.100.23"),
        ("Referer", REFERER),
    ];
    for i in 0..5 {
        let body = json!({
            "submission_id": new_id(),
            "answers": {"country": "ge", "comment": format!("{ANSWER} {i}")}
        });
        let r = post_with(&submit, &body.to_string(), &headers);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    // Force what the server holds in memory onto disk, then read every
    // file of the cluster: tables, write-ahead log, its own log.
    pg.psql("postgres", "CHECKPOINT");
    let mut stored = Vec::new();
    for file in pg.data_files() {
        if let Ok(bytes) = std::fs::read(&file) {
            stored.extend_from_slice(&bytes);
        }
    }
    if let Ok(log) = std::fs::read(pg.dir.join("server.log")) {
        stored.extend_from_slice(&log);
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains(ANSWER), "the scan reads what is stored");
    for canary in [
        "UA-PGCANARY",
        FORWARDED,
        "REFERER-PGCANARY",
        "pgcanary.example",
    ] {
        assert!(!stored.contains(canary), "PostgreSQL holds {canary}");
        assert!(!logs.contains(canary), "the collector logged {canary}");
    }
    assert!(!logs.contains(ANSWER), "the collector logged an answer");
    let name = url.rsplit('/').next().expect("name");
    let columns = pg.psql(
        name,
        "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'responses'",
    );
    assert_eq!(
        columns,
        "seq,submission_id,survey_id,survey_version,received_day,answers,key_id,envelope"
    );
    let days = pg.psql(name, "SELECT DISTINCT length(received_day) FROM responses");
    assert_eq!(days, "10", "received at day granularity only");
}
