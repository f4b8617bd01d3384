//! The researchers' side: tokens, the admin API, lifecycle commands and
//! exports, against a real collector and the real `chorus` binary.

use collector::store::{Body, InsertOutcome, NewResponse};
use serde_json::{Value, json};

use crate::helpers::{
    Resp, SURVEY, TestApp, chorus, collect, get, library, new_id, post, spawn_app,
};

/// Makes a token with `chorus token create` on the app's database.
pub fn token(app: &TestApp, role: &str) -> String {
    let db = app.db.as_str();
    let out = chorus(
        &[
            "token", "create", "--role", role, "--label", "test", "--db", db,
        ],
        app.dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// An HTTP call with an optional bearer token.
pub fn call(method: &str, url: &str, token: Option<&str>) -> Resp {
    let mut req = ureq::request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let result = if method == "POST" {
        req.send_string("")
    } else {
        req.call()
    };
    collect(result)
}

fn submit(app: &TestApp, answers: Value) {
    let r = post(
        &app.url(&format!("/api/surveys/{SURVEY}/responses")),
        &json!({"submission_id": new_id(), "answers": answers}).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

fn admin(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/admin{path}"))
}

#[test]
fn admin_routes_refuse_without_a_valid_token_and_say_why() {
    let app = spawn_app(false);
    let url = admin(&app, "/surveys");

    let missing = call("GET", &url, None);
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(missing.json()["error"], "unauthorized");
    assert!(
        missing.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("missing bearer token"),
        "{}",
        missing.body
    );
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer")),
        "{:?}",
        missing.headers
    );
    assert_eq!(missing.header("cache-control"), Some("no-store"));

    let malformed = call("GET", &url, Some("letmein"));
    assert_eq!(malformed.status, 401);
    assert!(
        malformed.body.contains("malformed bearer token"),
        "{}",
        malformed.body
    );

    let unknown = call("GET", &url, Some(&format!("chorus_{}", "ab".repeat(32))));
    assert_eq!(unknown.status, 401);
    assert!(
        unknown.body.contains("unknown or revoked token"),
        "{}",
        unknown.body
    );

    // A real token works until it is revoked.
    let t = token(&app, "viewer");
    assert!(t.starts_with("chorus_") && t.len() == 7 + 64, "{t}");
    assert_eq!(call("GET", &url, Some(&t)).status, 200);
    let list = chorus(&["token", "list", "--db", app.db.as_str()], app.dir.path());
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains("viewer") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(&t[7..]),
        "the token itself is never listed"
    );
    let stored = app.store().list_tokens().expect("tokens");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        !stored[0].token_hash.contains(&t[7..]),
        "only a hash is stored"
    );

    let revoke = chorus(
        &["token", "revoke", "1", "--db", app.db.as_str()],
        app.dir.path(),
    );
    assert!(revoke.status.success());
    let revoked = call("GET", &url, Some(&t));
    assert_eq!(revoked.status, 401);
    assert!(
        revoked.body.contains("unknown or revoked token"),
        "{}",
        revoked.body
    );
}

#[test]
fn viewers_see_counts_and_researchers_can_also_export_and_close() {
    let app = spawn_app(false);
    submit(&app, json!({"country": "ua"}));
    submit(&app, json!({"country": "kz"}));
    let viewer = token(&app, "viewer");
    let researcher = token(&app, "researcher");

    let list = call("GET", &admin(&app, "/surveys"), Some(&viewer));
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.header("cache-control"), Some("no-store"));
    let entry = list
        .json()
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["id"] == SURVEY)
        .cloned()
        .expect("the bundled survey is listed");
    assert_eq!(entry["responses"], 2);
    assert_eq!(entry["open"], true);
    assert_eq!(entry["versions"], json!([1]));

    let count = call(
        "GET",
        &admin(&app, &format!("/surveys/{SURVEY}/count")),
        Some(&viewer),
    );
    assert_eq!(count.status, 200);
    assert_eq!(count.json(), json!({"survey": SURVEY, "responses": 2}));

    for (method, path) in [
        ("GET", format!("/surveys/{SURVEY}/export")),
        ("GET", format!("/surveys/{SURVEY}/codebook")),
        ("POST", format!("/surveys/{SURVEY}/close")),
        ("POST", format!("/surveys/{SURVEY}/open")),
    ] {
        let r = call(method, &admin(&app, &path), Some(&viewer));
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        assert_eq!(r.json()["error"], "forbidden");
        assert!(r.body.contains("researcher token"), "{}", r.body);
        let r = call(method, &admin(&app, &path), Some(&researcher));
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }

    let missing = call(
        "GET",
        &admin(&app, "/surveys/no-such-survey/count"),
        Some(&viewer),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "unknown_survey");
}

#[test]
fn surveys_close_and_open_by_command_and_by_api() {
    let app = spawn_app(false);
    let researcher = token(&app, "researcher");
    let db = app.db.as_str().to_string();
    let lib = library().to_str().expect("utf-8").to_string();
    let closed_day = || -> Option<String> { app.store().closed_day(SURVEY).expect("closed day") };

    let out = chorus(
        &["survey", "close", SURVEY, "--db", &db, "--surveys", &lib],
        app.dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(closed_day().map(|d| d.len()), Some(10));
    let listed = call("GET", &admin(&app, "/surveys"), Some(&researcher)).json();
    let entry = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["id"] == SURVEY)
        .cloned()
        .expect("listed");
    assert_eq!(entry["open"], false);

    let out = chorus(
        &["survey", "open", SURVEY, "--db", &db, "--surveys", &lib],
        app.dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(closed_day(), None);

    let r = call(
        "POST",
        &admin(&app, &format!("/surveys/{SURVEY}/close")),
        Some(&researcher),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["open"], false);
    assert!(closed_day().is_some());
    let r = call(
        "POST",
        &admin(&app, &format!("/surveys/{SURVEY}/open")),
        Some(&researcher),
    );
    assert_eq!(r.json()["open"], true);
    assert_eq!(closed_day(), None);

    let unknown = chorus(
        &[
            "survey",
            "close",
            "no-such-survey",
            "--db",
            &db,
            "--surveys",
            &lib,
        ],
        app.dir.path(),
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no survey `no-such-survey`"));
}

#[test]
fn public_routes_reveal_no_response_counts() {
    let app = spawn_app(false);
    for _ in 0..3 {
        submit(&app, json!({"country": "ge"}));
    }
    fn keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    for path in ["/api/surveys".to_string(), format!("/api/surveys/{SURVEY}")] {
        let r = get(&app.url(&path));
        assert_eq!(r.status, 200);
        let mut found = Vec::new();
        keys(&r.json(), &mut found);
        for k in &found {
            let k = k.to_ascii_lowercase();
            assert!(
                !(k.contains("count") || k.contains("responses") || k.contains("total")),
                "{path} reveals `{k}`"
            );
        }
    }
}

/// Parses an RFC 4180 document (enough for the tests: quoted fields with
/// doubled quotes, CRLF records).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn export_has_a_row_per_response_and_a_column_per_option() {
    let app = spawn_app(false);
    let researcher = token(&app, "researcher");
    submit(
        &app,
        json!({"country": "ua", "services_used": ["ost", "naloxone"], "travel_minutes": 40,
               "comment": "=cmd|' /C calc'!A0, \"quoted\""}),
    );
    submit(&app, json!({"country": "kz"}));

    let r = call(
        "GET",
        &admin(&app, &format!("/surveys/{SURVEY}/export?format=csv")),
        Some(&researcher),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.contains("attachment")),
        "{:?}",
        r.headers
    );
    let rows = parse_csv(&r.body);
    assert_eq!(rows.len(), 3, "{}", r.body);
    let header = &rows[0];
    assert_eq!(
        &header[..4],
        &["submission_id", "survey_version", "received_day", "country"]
    );
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let first = &rows[1];
    assert_eq!(first[col("country")], "ua");
    assert_eq!(first[col("services_used__ost")], "1");
    assert_eq!(first[col("services_used__naloxone")], "1");
    assert_eq!(first[col("services_used__nsp")], "0");
    assert_eq!(first[col("travel_minutes")], "40");
    assert_eq!(first[col("survey_version")], "1");
    // Formula injection defused, quoting intact.
    assert_eq!(first[col("comment")], "'=cmd|' /C calc'!A0, \"quoted\"");
    let second = &rows[2];
    assert_eq!(second[col("country")], "kz");
    assert_eq!(
        second[col("services_used__ost")],
        "",
        "not answered ≠ not ticked"
    );
    assert!(rows.iter().all(|row| row.len() == header.len()));

    // Labels in Russian, with a BOM for Excel.
    let r = call(
        "GET",
        &admin(
            &app,
            &format!("/surveys/{SURVEY}/export?format=csv&lang=ru&labels=true&bom=true"),
        ),
        Some(&researcher),
    );
    assert!(r.body.starts_with('\u{feff}'));
    let rows = parse_csv(r.body.trim_start_matches('\u{feff}'));
    assert_eq!(rows[1][col("country")], "Украина");

    // JSON Lines: the same columns as keys, numbers as numbers.
    let r = call(
        "GET",
        &admin(
            &app,
            &format!("/surveys/{SURVEY}/export?format=json&lang=en&labels=1"),
        ),
        Some(&researcher),
    );
    assert_eq!(r.status, 200);
    let lines: Vec<Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["country"], "Ukraine");
    assert_eq!(lines[0]["travel_minutes"], 40);
    assert_eq!(lines[0]["services_used__ost"], 1);
    assert_eq!(lines[1]["services_used__ost"], Value::Null);
    let keys: Vec<&String> = lines[0].as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), header.len());

    for bad in ["format=xls", "lang=tlh", "labels=maybe", "colour=red"] {
        let r = call(
            "GET",
            &admin(&app, &format!("/surveys/{SURVEY}/export?{bad}")),
            Some(&researcher),
        );
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"], "bad_parameter");
    }
}

#[test]
fn a_large_export_streams_and_the_command_writes_the_same_file() {
    let app = spawn_app(false);
    let researcher = token(&app, "researcher");
    const N: usize = 2_000;
    {
        let rows: Vec<NewResponse> = (0..N)
            .map(|i| {
                let country = ["ua", "kz", "ge", "md"][i % 4];
                let answers = json!({
                    "country": country,
                    "services_used": if i % 3 == 0 { json!(["ost"]) } else { json!(["nsp", "art"]) },
                    "travel_minutes": i % 120,
                });
                NewResponse {
                    submission_id: new_id(),
                    survey_id: SURVEY.to_string(),
                    survey_version: 1,
                    received_day: "2026-01-15".to_string(),
                    body: Body::Plain(answers.to_string()),
                }
            })
            .collect();
        let outcomes = app.store().insert_responses(&rows).expect("insert");
        assert!(
            outcomes.iter().all(|o| *o == InsertOutcome::Stored),
            "every row is stored"
        );
    }

    let http = call(
        "GET",
        &admin(&app, &format!("/surveys/{SURVEY}/export?format=csv")),
        Some(&researcher),
    );
    assert_eq!(http.status, 200);
    // Streamed: chunked, no Content-Length.
    assert!(
        http.header("content-length").is_none(),
        "{:?}",
        http.headers
    );
    let rows = parse_csv(&http.body);
    assert_eq!(rows.len(), N + 1);

    let out = app.dir.path().join("export.csv");
    let book = app.dir.path().join("codebook.md");
    let run = chorus(
        &[
            "export",
            SURVEY,
            "--db",
            app.db.as_str(),
            "--surveys",
            library().to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--codebook",
            book.to_str().expect("utf-8"),
        ],
        app.dir.path(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains(&format!("exported {N} responses")));
    let file = std::fs::read_to_string(&out).expect("export file");
    assert_eq!(
        file, http.body,
        "the command and the API write the same export"
    );
    let md = std::fs::read_to_string(&book).expect("codebook");
    assert!(md.contains("| `services_used__ost` |"), "{md}");
}

#[test]
fn the_codebook_lists_every_export_column_in_order() {
    let app = spawn_app(false);
    let researcher = token(&app, "researcher");
    submit(&app, json!({"country": "am"}));
    let export = call(
        "GET",
        &admin(&app, &format!("/surveys/{SURVEY}/export")),
        Some(&researcher),
    );
    let header = parse_csv(&export.body)[0].clone();

    let book = call(
        "GET",
        &admin(
            &app,
            &format!("/surveys/{SURVEY}/codebook?format=csv&lang=en"),
        ),
        Some(&researcher),
    );
    assert_eq!(book.status, 200, "{}", book.body);
    let rows = parse_csv(&book.body);
    assert_eq!(
        rows[0],
        ["column", "question", "text", "type", "values", "notes"]
    );
    let columns: Vec<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(columns, header.iter().collect::<Vec<_>>());
    let country = rows
        .iter()
        .find(|r| r[0] == "country")
        .expect("country row");
    assert_eq!(country[2], "Which country do you live in now?");
    assert!(country[4].contains("ua = Ukraine"), "{country:?}");
    let ost = rows
        .iter()
        .find(|r| r[0] == "services_used__ost")
        .expect("option row");
    assert!(ost[4].contains("1 = ticked"), "{ost:?}");
    let comment = rows
        .iter()
        .find(|r| r[0] == "comment")
        .expect("comment row");
    assert!(comment[5].contains("never published"), "{comment:?}");

    let md = call(
        "GET",
        &admin(
            &app,
            &format!("/surveys/{SURVEY}/codebook?format=md&lang=ru"),
        ),
        Some(&researcher),
    );
    assert_eq!(md.status, 200);
    assert!(
        md.header("content-type")
            .is_some_and(|t| t.starts_with("text/markdown"))
    );
    assert!(
        md.body.contains("В какой стране вы живёте сейчас?"),
        "{}",
        md.body
    );
}
