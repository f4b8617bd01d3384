//! Nothing that points to a respondent is logged or stored: the real
//! `chorus serve` at the most verbose log level, submissions sent with
//! distinctive headers, then the logs and the raw database files searched.

use std::path::Path;

use collector::store::Store;
use serde_json::json;

use crate::helpers::{SURVEY, fresh_db, get, new_id, post_with, serve_child, stored_rows};

const UA: &str = "UA-CANARY-5f1e0c Mozilla/5.0";
const FORWARDED: &str = "203.0.113.77";
const REFERER: &str = "https://canary.example/REFERER-CANARY-77a1";
const COOKIE: &str = "canary=COOKIE-CANARY-9b2d";
const ANSWER: &str = "ANSWER-CANARY-3c4d";
/// What would point to a respondent: neither logged nor stored.
const IDENTIFYING: [&str; 6] = [
    "UA-CANARY",
    FORWARDED,
    "REFERER-CANARY",
    "canary.example",
    "COOKIE-CANARY",
    "Mozilla",
];

#[test]
fn logs_and_database_hold_no_trace_of_who_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, location) = fresh_db(dir.path());
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
    for canary in IDENTIFYING.into_iter().chain([ANSWER]) {
        assert!(!logs.contains(canary), "the logs carry {canary}:\n{logs}");
    }

    // Log lines are dated, not timed: no hh:mm:ss anywhere.
    let timed = logs.as_bytes().windows(8).any(|w| {
        w[2] == b':' && w[5] == b':' && [0, 1, 3, 4, 6, 7].iter().all(|&i| w[i].is_ascii_digit())
    });
    assert!(!timed, "a log line carries a time of day:\n{logs}");

    // The database and its journal files, byte by byte. (The PostgreSQL
    // data files are scanned separately.)
    if let Some(path) = location.sqlite_path() {
        let mut stored = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            if let Ok(bytes) = std::fs::read(&name) {
                stored.extend_from_slice(&bytes);
            }
        }
        let stored = String::from_utf8_lossy(&stored);
        for canary in IDENTIFYING {
            assert!(!stored.contains(canary), "the database holds {canary}");
        }
        assert!(stored.contains(ANSWER), "the answer itself is stored");

        // A response is stored in these columns and no others.
        assert_eq!(
            sqlite_columns(path, "responses"),
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

    let rows = stored_rows(&mut Store::open(&location).expect("open the database"));
    assert_eq!(rows.len(), 5);
    for (_, row) in rows {
        let day = row.received_day;
        let b = day.as_bytes();
        assert!(
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && day.chars().filter(char::is_ascii_digit).count() == 8,
            "received time at day granularity only: {day}"
        );
    }
}

/// The columns of `table` as the schema in the SQLite file at `path` lists
/// them, read from the file itself (the schema table's b-tree, from page 1)
/// so that the test needs no SQLite library.
fn sqlite_columns(path: &Path, table: &str) -> Vec<String> {
    let file = std::fs::read(path).expect("read the database file");
    assert!(
        file.starts_with(b"SQLite format 3\0"),
        "{} is not a SQLite file",
        path.display()
    );
    let page_size = match u16::from_be_bytes([file[16], file[17]]) {
        1 => 65_536,
        n => usize::from(n),
    };
    let usable = page_size - usize::from(file[20]);
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let mut sql = Vec::new();
    let mut pages = vec![1];
    while let Some(number) = pages.pop() {
        let page = &file[(number - 1) * page_size..number * page_size];
        let h = if number == 1 { 100 } else { 0 };
        let interior = match page[h] {
            0x05 => true,
            0x0d => false,
            kind => panic!("page {number} of the schema has type {kind:#x}"),
        };
        let cells = usize::from(u16::from_be_bytes([page[h + 3], page[h + 4]]));
        let pointers = h + if interior { 12 } else { 8 };
        if interior {
            pages.push(be32(&page[h + 8..]));
        }
        for i in 0..cells {
            let at = pointers + 2 * i;
            let mut p = usize::from(u16::from_be_bytes([page[at], page[at + 1]]));
            if interior {
                pages.push(be32(&page[p..]));
                continue;
            }
            let (len, n) = varint(&page[p..]);
            p += n;
            let (_rowid, n) = varint(&page[p..]);
            p += n;
            // The payload, and its overflow pages when it is too large
            // for the page (the file format's rule).
            let len = len as usize;
            let most = usable - 35;
            let least = (usable - 12) * 32 / 255 - 23;
            let local = if len <= most {
                len
            } else {
                let k = least + (len - least) % (usable - 4);
                if k <= most { k } else { least }
            };
            let mut payload = page[p..p + local].to_vec();
            let mut next = if local < len {
                be32(&page[p + local..])
            } else {
                0
            };
            while payload.len() < len {
                let over = &file[(next - 1) * page_size..next * page_size];
                let take = (len - payload.len()).min(usable - 4);
                payload.extend_from_slice(&over[4..4 + take]);
                next = be32(over);
            }
            let fields = record_texts(&payload);
            if fields.first().map(String::as_str) == Some("table")
                && fields.get(1).map(String::as_str) == Some(table)
            {
                sql.push(fields.get(4).cloned().unwrap_or_default());
            }
        }
    }
    let [sql] = sql.as_slice() else {
        panic!("the schema holds {} tables named {table}", sql.len());
    };
    // The column definitions: the parts of the body, between commas
    // outside parentheses, that are not table constraints.
    let start = sql.find('(').expect("a column list") + 1;
    let end = sql.rfind(')').expect("a column list");
    let body: Vec<&str> = sql[start..end]
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect();
    let body = body.join("\n");
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for c in body.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("a part").push(c);
    }
    parts
        .iter()
        .filter_map(|part| {
            let name = part.split_whitespace().next()?.trim_matches(['"', '`']);
            let constraint = ["CHECK", "PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT"]
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k));
            (!constraint).then(|| name.to_string())
        })
        .collect()
}

/// A SQLite varint and its length in bytes.
fn varint(b: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(9) {
        if i == 8 {
            return ((v << 8) | u64::from(byte), 9);
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    panic!("a truncated varint")
}

/// The fields of a SQLite record, text as text and every other value as
/// an empty string.
fn record_texts(payload: &[u8]) -> Vec<String> {
    let (header_len, mut h) = varint(payload);
    let mut body = header_len as usize;
    let mut out = Vec::new();
    while h < header_len as usize {
        let (serial, n) = varint(&payload[h..]);
        h += n;
        let size = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            s if s >= 12 => (s as usize - 12) / 2,
            s => panic!("a record field of serial type {s}"),
        };
        let value = &payload[body..body + size];
        out.push(if serial >= 13 && serial % 2 == 1 {
            String::from_utf8_lossy(value).into_owned()
        } else {
            String::new()
        });
        body += size;
    }
    out
}
