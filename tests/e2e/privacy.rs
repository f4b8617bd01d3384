//! Nothing that points to a respondent is logged or stored: the real
//! `chorus serve` at the most verbose log level, submissions sent with
//! distinctive headers, then the logs and the raw database files searched.

use serde_json::json;

use crate::helpers::{SURVEY, get, new_id, post_with, serve_child};

const UA: &str = "UA-CANARY-5f1e0c Mozilla/5.0";
const FORWARDED: &str = "203.0.113.77";
const REFERER: &str = "https://canary.example/REFERER-CANARY-77a1";
const COOKIE: &str = "canary=COOKIE-CANARY-9b2d";
const ANSWER: &str = "ANSWER-CANARY-3c4d";

#[test]
fn logs_and_database_hold_no_trace_of_who_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("chorus.db");
    let server = serve_child(&db, &[], &[("RUST_LOG", "trace")]);
    let url = server.url(&format!("/api/surveys/{SURVEY}/responses"));
    let headers = [
        ("User-Agent", UA),
        ("X-Forwarded-For", FORWARDED),
        ("X-Real-IP", FORWARDED),
        ("Forwarded", "for=203.0.113.77"),
        ("Referer", REFERER),
        ("Cookie", COOKIE),
    ];
    for i in 0..5 {
        let body = json!({
            "submission_id": new_id(),
            "answers": {"country": "ge", "comment": format!("{ANSWER} {i}")}
        })
        .to_string();
        let r = post_with(&url, &body, &headers);
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(
            r.header("set-cookie").is_none(),
            "no cookies for respondents"
        );
    }
    // Refusals must not log what was sent either.
    let refused = post_with(
        &url,
        &json!({"submission_id": new_id(), "answers": {"country": ANSWER}}).to_string(),
        &headers,
    );
    assert_eq!(refused.status, 422);
    let refused = post_with(&url, &format!("{{\"{ANSWER}\": 1"), &headers);
    assert_eq!(refused.status, 400);
    assert_eq!(get(&server.url("/api/surveys")).status, 200);

    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");

    // The logs are there (so the scan means something), and carry method,
    // path, status and duration.
    assert!(logs.contains("request"), "no request lines:\n{logs}");
    assert!(logs.contains("POST") && logs.contains("201"), "{logs}");
    for canary in [
        "UA-CANARY",
        FORWARDED,
        "REFERER-CANARY",
        "canary.example",
        "COOKIE-CANARY",
        ANSWER,
        "Mozilla",
    ] {
        assert!(!logs.contains(canary), "the logs carry {canary}:\n{logs}");
    }

    // Log lines are dated, not timed: no hh:mm:ss anywhere.
    let timed = logs.as_bytes().windows(8).any(|w| {
        w[2] == b':' && w[5] == b':' && [0, 1, 3, 4, 6, 7].iter().all(|&i| w[i].is_ascii_digit())
    });
    assert!(!timed, "a log line carries a time of day:\n{logs}");

    // The database and its journal files, byte by byte.
    let mut stored = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = dir.path().join(format!("chorus.db{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            stored.extend_from_slice(&bytes);
        }
    }
    let stored = String::from_utf8_lossy(&stored);
    for canary in [
        "UA-CANARY",
        FORWARDED,
        "REFERER-CANARY",
        "canary.example",
        "COOKIE-CANARY",
        "Mozilla",
    ] {
        assert!(!stored.contains(canary), "the database holds {canary}");
    }
    assert!(stored.contains(ANSWER), "the answer itself is stored");

    let conn = rusqlite::Connection::open(&db).expect("open");
    let days: Vec<String> = conn
        .prepare("SELECT received_day FROM responses")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(days.len(), 5);
    for day in days {
        let b = day.as_bytes();
        assert!(
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && day.chars().filter(char::is_ascii_digit).count() == 8,
            "received time at day granularity only: {day}"
        );
    }
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('responses')")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        columns,
        [
            "submission_id",
            "survey_id",
            "survey_version",
            "received_day",
            "answers",
            "key_id",
            "envelope"
        ]
    );
}
