//! The public HTTP API against a real collector.

use serde_json::json;

use crate::helpers::{SURVEY, get, new_id, post, spawn_app};

fn submit_url(app: &crate::helpers::TestApp) -> String {
    app.url(&format!("/api/surveys/{SURVEY}/responses"))
}

#[test]
fn lists_and_serves_the_bundled_survey() {
    let app = spawn_app(false);
    let list = get(&app.url("/api/surveys"));
    assert_eq!(list.status, 200);
    let list = list.json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(&SURVEY), "{ids:?}");

    let one = get(&app.url(&format!("/api/surveys/{SURVEY}")));
    assert_eq!(one.status, 200);
    assert_eq!(one.header("cache-control"), Some("no-store"));
    let survey: surveys::Survey = serde_json::from_str(&one.body).expect("a Survey");
    assert_eq!(survey.id, SURVEY);
    assert_eq!(
        survey.title.get("ru", "ru"),
        "Доступ к ОЗТ и услугам по ВИЧ: оценка потребностей"
    );

    let missing = get(&app.url("/api/surveys/no-such-survey"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "unknown_survey");
}

#[test]
fn a_valid_submission_is_stored_once_however_often_it_is_sent() {
    let app = spawn_app(false);
    let body = json!({
        "submission_id": new_id(),
        "answers": {"country": "kz", "services_used": ["ost", "naloxone"], "travel_minutes": 40}
    })
    .to_string();

    let first = post(&submit_url(&app), &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json()["status"], "stored");
    assert_eq!(app.responses(), 1);

    let again = post(&submit_url(&app), &body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["status"], "duplicate");
    assert_eq!(app.responses(), 1);

    let (answers, day, version): (String, String, i64) = app
        .conn()
        .query_row(
            "SELECT answers, received_day, survey_version FROM responses",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row");
    let answers: serde_json::Value = serde_json::from_str(&answers).expect("json");
    assert_eq!(
        answers,
        json!({"country": "kz", "services_used": ["ost", "naloxone"], "travel_minutes": 40})
    );
    assert_eq!(day.len(), 10, "day granularity only: {day}");
    assert_eq!(version, 1);
}

#[test]
fn bad_input_gets_a_specific_error_and_stores_nothing() {
    let app = spawn_app(false);
    let url = submit_url(&app);
    let valid_answers = json!({"country": "ge"});

    let cases: Vec<(&str, String, String, u16, &str)> = vec![
        (
            "not json",
            url.clone(),
            "{not json".to_string(),
            400,
            "bad_json",
        ),
        (
            "missing answers",
            url.clone(),
            json!({"submission_id": new_id()}).to_string(),
            400,
            "bad_json",
        ),
        (
            "bad submission id",
            url.clone(),
            json!({"submission_id": "42", "answers": valid_answers}).to_string(),
            400,
            "bad_submission_id",
        ),
        (
            "unknown survey",
            app.url("/api/surveys/no-such-survey/responses"),
            json!({"submission_id": new_id(), "answers": valid_answers}).to_string(),
            404,
            "unknown_survey",
        ),
    ];
    for (name, url, body, status, code) in cases {
        let r = post(&url, &body);
        assert_eq!(r.status, status, "{name}: {}", r.body);
        let j = r.json();
        assert_eq!(j["error"], code, "{name}");
        assert!(
            !j["message"].as_str().unwrap_or("").is_empty(),
            "{name}: a message"
        );
        assert!(j["details"].is_array(), "{name}: details");
    }
    assert_eq!(app.responses(), 0);
}

#[test]
fn a_body_over_the_limit_is_refused_before_it_is_read() {
    use std::io::{Read, Write};
    let app = spawn_app(false);
    // The server answers from the headers alone, so send only the headers:
    // a client writing the whole body could see the connection close first.
    let mut stream = std::net::TcpStream::connect(app.addr).expect("connect");
    write!(
        stream,
        "POST /api/surveys/{SURVEY}/responses HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 70000\r\nConnection: close\r\n\r\n"
    )
    .expect("send headers");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read reply");
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains(r#""error":"body_too_large""#), "{reply}");
    assert_eq!(app.responses(), 0);
}

#[test]
fn invalid_answers_list_every_problem_by_question() {
    let app = spawn_app(false);
    let body = json!({
        "submission_id": new_id(),
        "answers": {
            "age_band": "100_plus",
            "services_used": "ost",
            "travel_minutes": -5,
            "shoe_size": 44
        }
    })
    .to_string();
    let r = post(&submit_url(&app), &body);
    assert_eq!(r.status, 422, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "invalid_answers");
    let details: Vec<(String, String)> = j["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["question"].as_str().unwrap_or("").to_string(),
                d["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("country", "required"),
        ("age_band", "unknown_choice"),
        ("services_used", "wrong_type"),
        ("travel_minutes", "below_min"),
        ("shoe_size", "unknown_question"),
    ]
    .iter()
    .map(|(q, c)| (q.to_string(), c.to_string()))
    .collect();
    assert_eq!(details, expected);
    assert_eq!(app.responses(), 0);
}

#[test]
fn unknown_routes_and_methods_are_json_errors() {
    let app = spawn_app(false);
    let r = get(&app.url("/api/nothing-here"));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not_found");
    let r = get(&app.url(&format!("/results/{SURVEY}")));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "no_results");
    for h in [
        "referrer-policy",
        "x-content-type-options",
        "permissions-policy",
    ] {
        assert!(r.header(h).is_some(), "missing {h}");
    }
}
