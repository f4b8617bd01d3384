//! The public HTTP API against a real collector.

use collector::store::Body;
use serde_json::json;

use crate::helpers::{SURVEY, get, new_id, post, post_head_only, spawn_app};

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

    let rows = app.rows();
    let [(survey, row)] = rows.as_slice() else {
        panic!("one stored response: {rows:?}");
    };
    assert_eq!(survey, SURVEY);
    let Body::Plain(answers) = &row.body else {
        panic!("stored as plain answers: {row:?}");
    };
    let (day, version) = (&row.received_day, row.survey_version);
    let answers: serde_json::Value = serde_json::from_str(answers).expect("json");
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
    let app = spawn_app(false);
    let reply = post_head_only(
        app.addr,
        &format!("/api/surveys/{SURVEY}/responses"),
        "application/json",
        100_000,
    );
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains(r#""error":"body_too_large""#), "{reply}");
    assert_eq!(app.responses(), 0);
}

#[test]
fn plaintext_answers_over_64_kib_are_refused_though_an_envelope_may_be_larger() {
    let app = spawn_app(false);
    let body = json!({
        "submission_id": new_id(),
        "answers": {"comment": "x".repeat(70_000)}
    })
    .to_string();
    let r = post(&app.url(&format!("/api/surveys/{SURVEY}/responses")), &body);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["error"], "body_too_large");
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

fn answer(extra: serde_json::Value) -> String {
    let mut body = json!({"submission_id": new_id(), "answers": {"country": "kz"}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body.to_string()
}

#[test]
fn oversized_and_overdeep_input_is_refused_specifically() {
    let app = spawn_app(false);
    let url = submit_url(&app);
    let deep = json!({"submission_id": new_id(), "answers": {"country": [[[[[[[["kz"]]]]]]]]}});
    let many: serde_json::Map<String, serde_json::Value> =
        (0..600).map(|i| (format!("q{i}"), json!("x"))).collect();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("too deep", deep.to_string(), 400, "too_deep"),
        (
            "too many answers",
            json!({"submission_id": new_id(), "answers": many}).to_string(),
            422,
            "too_many_answers",
        ),
        (
            "a string over every limit",
            json!({"submission_id": new_id(), "answers": {"country": "kz", "comment": "я".repeat(20_001)}})
                .to_string(),
            422,
            "string_too_long",
        ),
        (
            "a text longer than the longest question allows",
            json!({"submission_id": new_id(), "answers": {"country": "kz", "comment": "x".repeat(1001)}})
                .to_string(),
            422,
            "string_too_long",
        ),
        (
            "a wrong type",
            json!({"submission_id": new_id(), "answers": {"country": 7}}).to_string(),
            422,
            "invalid_answers",
        ),
        (
            "an unknown field",
            json!({"submission_id": new_id(), "answers": {}, "ip": "203.0.113.1"}).to_string(),
            400,
            "bad_json",
        ),
        (
            "a version never served",
            json!({"submission_id": new_id(), "version": 99, "answers": {"country": "kz"}})
                .to_string(),
            409,
            "unknown_version",
        ),
    ];
    for (name, body, status, code) in cases {
        let r = post(&url, &body);
        assert_eq!(r.status, status, "{name}: {}", r.body);
        let j = r.json();
        assert_eq!(j["error"], code, "{name}: {}", r.body);
        assert!(!j["message"].as_str().unwrap_or("").is_empty(), "{name}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{name}");
    }
    let r = post(&url, &answer(json!({"version": 1})));
    assert_eq!(
        r.status, 201,
        "the current version named explicitly: {}",
        r.body
    );
    assert_eq!(app.responses(), 1);
}

#[test]
fn a_survey_closed_by_command_refuses_new_answers_but_confirms_retries() {
    let app = spawn_app(false);
    let url = submit_url(&app);
    let early = answer(json!({}));
    assert_eq!(post(&url, &early).status, 201);
    app.store()
        .set_closed(SURVEY, true, "2026-01-01")
        .expect("close");

    let late = post(&url, &answer(json!({})));
    assert_eq!(late.status, 410, "{}", late.body);
    let j = late.json();
    assert_eq!(j["error"], "survey_closed");
    assert!(
        j["message"].as_str().unwrap_or("").contains("closed"),
        "{j}"
    );
    // A device that lost the first acknowledgement learns its answer is safe.
    let retry = post(&url, &early);
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(retry.json()["status"], "duplicate");
    assert_eq!(app.responses(), 1);
}

#[test]
fn a_survey_past_its_closing_day_refuses_answers() {
    let folder = crate::helpers::survey_folder(
        "ost-hiv-access.toml",
        &[(
            "privacy_budget = 3",
            "privacy_budget = 3\ncloses = \"2001-01-01\"",
        )],
    );
    let app = crate::helpers::spawn_app_with(false, folder.path().to_path_buf(), 0);
    let r = post(&submit_url(&app), &answer(json!({})));
    assert_eq!(r.status, 410, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "survey_closed");
    assert!(
        j["message"].as_str().unwrap_or("").contains("2001-01-01"),
        "{j}"
    );
    assert_eq!(app.responses(), 0);
}

#[test]
fn each_answer_is_validated_against_the_version_it_answered() {
    // Version 1 is served and answered…
    let v1 = crate::helpers::survey_folder("ost-hiv-access.toml", &[]);
    let first = crate::helpers::spawn_app_with(false, v1.path().to_path_buf(), 0);
    assert_eq!(post(&submit_url(&first), &answer(json!({}))).status, 201);
    let db = first.location.clone();
    let keep = stop(first).dir;

    // …then version 2 renames the comment question.
    let v2 = crate::helpers::survey_folder(
        "ost-hiv-access.toml",
        &[
            ("version = 1", "version = 2"),
            ("id = \"comment\"", "id = \"remarks\""),
        ],
    );
    let app = crate::helpers::try_spawn_app_on(keep, db.clone(), false, v2.path().to_path_buf(), 0)
        .unwrap_or_else(|e| panic!("v2 starts: {e}"));
    let url = submit_url(&app);
    let late_v1 = post(
        &url,
        &answer(json!({"version": 1, "answers": {"country": "kz", "comment": "старая форма"}})),
    );
    assert_eq!(late_v1.status, 201, "a late answer to v1: {}", late_v1.body);
    let v1_to_v2 = post(
        &url,
        &answer(json!({"answers": {"country": "kz", "comment": "x"}})),
    );
    assert_eq!(v1_to_v2.status, 422, "{}", v1_to_v2.body);
    assert_eq!(v1_to_v2.json()["details"][0]["code"], "unknown_question");
    let v2_answer = post(
        &url,
        &answer(json!({"version": 2, "answers": {"country": "kz", "remarks": "новая"}})),
    );
    assert_eq!(v2_answer.status, 201, "{}", v2_answer.body);
    let unknown = post(&url, &answer(json!({"version": 3})));
    assert_eq!(unknown.status, 409, "{}", unknown.body);
    assert_eq!(unknown.json()["error"], "unknown_version");
    assert!(
        unknown.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("1, 2"),
        "{}",
        unknown.body
    );
    let versions: Vec<i64> = app.rows().iter().map(|(_, r)| r.survey_version).collect();
    assert_eq!(versions, [1, 1, 2]);
    let keep = stop(app).dir;

    // A survey changed without raising its version is refused at start.
    let sneaky = crate::helpers::survey_folder(
        "ost-hiv-access.toml",
        &[
            ("version = 1", "version = 2"),
            ("id = \"comment\"", "id = \"notes\""),
        ],
    );
    let refused = crate::helpers::try_spawn_app_on(keep, db, false, sneaky.path().to_path_buf(), 0);
    let message = match refused {
        Ok(_) => panic!("a changed survey with the same version must not be served"),
        Err(e) => e.to_string(),
    };
    assert!(
        message.contains("ost-hiv-access") && message.contains("raise `version`"),
        "{message}"
    );
}

struct TestAppParts {
    dir: tempfile::TempDir,
}

/// Stops a collector and keeps its folder.
fn stop(app: crate::helpers::TestApp) -> TestAppParts {
    TestAppParts {
        dir: app.into_dir(),
    }
}

#[test]
fn submissions_beyond_the_rate_limit_get_429_and_store_nothing() {
    let app = crate::helpers::spawn_app_with(false, crate::helpers::library(), 3);
    let url = submit_url(&app);
    for _ in 0..3 {
        assert_eq!(post(&url, &answer(json!({}))).status, 201);
    }
    let r = post(&url, &answer(json!({})));
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["error"], "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    // Reading surveys is not limited.
    assert_eq!(get(&app.url("/api/surveys")).status, 200);
    assert_eq!(app.responses(), 3);
}

const STRICT_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[test]
fn every_route_carries_the_security_headers_and_its_caching() {
    let app = spawn_app(true);
    let dist = crate::helpers::repo_root().join("dist");
    let asset = std::fs::read_dir(&dist)
        .expect("dist/ is built")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".wasm"))
        .expect("a wasm file in dist/");
    let routes: Vec<(&str, crate::helpers::Resp, &str)> = vec![
        ("index", get(&app.url("/")), "no-store"),
        (
            "hashed asset",
            get(&app.url(&format!("/{asset}"))),
            "public, max-age=31536000, immutable",
        ),
        ("survey list", get(&app.url("/api/surveys")), "no-store"),
        (
            "survey",
            get(&app.url(&format!("/api/surveys/{SURVEY}"))),
            "no-store",
        ),
        (
            "submission",
            post(&submit_url(&app), &answer(json!({}))),
            "no-store",
        ),
        ("refusal", post(&submit_url(&app), "{"), "no-store"),
        (
            "no results",
            get(&app.url(&format!("/results/{SURVEY}"))),
            "no-store",
        ),
        ("unknown", get(&app.url("/nothing/here")), "no-store"),
        (
            "admin without token",
            get(&app.url("/api/admin/surveys")),
            "no-store",
        ),
    ];
    for (name, r, cache) in routes {
        assert_eq!(r.header("cache-control"), Some(cache), "{name}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{name}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{name}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{name}");
        let pp = r.header("permissions-policy").unwrap_or_default();
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(pp.contains(feature), "{name}: {pp}");
        }
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(!csp.contains("unsafe-inline"), "{name}: {csp}");
        assert!(!csp.contains("http"), "{name}: no other origin: {csp}");
        if name == "index" {
            // The inline loader Trunk writes is allowed by its hash only.
            let with_hash = csp.replace(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
                "script-src 'self' 'wasm-unsafe-eval'\0",
            );
            assert!(with_hash.contains('\0'), "{csp}");
            // (Trunk's minifier drops the quotes.)
            assert!(
                r.body.contains("<script type=\"module\">")
                    || r.body.contains("<script type=module>"),
                "Trunk's loader"
            );
        } else {
            assert_eq!(csp, STRICT_CSP, "{name}");
        }
        assert!(r.header("set-cookie").is_none(), "{name}: no cookies");
    }
}

#[test]
fn head_gives_a_pages_headers_without_its_body() {
    let app = spawn_app(true);
    for path in [
        "/".to_string(),
        format!("/api/surveys/{SURVEY}"),
        format!("/results/{SURVEY}"),
    ] {
        let got = get(&app.url(&path));
        let head = crate::helpers::collect(ureq::head(&app.url(&path)).call());
        assert_eq!(head.status, got.status, "{path}");
        assert!(!got.body.is_empty(), "{path}: GET has a body");
        assert!(head.body.is_empty(), "{path}: HEAD has none");
        for h in ["content-type", "content-security-policy", "cache-control"] {
            assert_eq!(head.header(h), got.header(h), "{path}: {h}");
        }
    }
}

#[test]
fn an_option_the_earlier_answers_do_not_offer_is_refused_by_name() {
    // The engine's cascading-select fixture: regions follow the country.
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        crate::helpers::repo_root().join("surveys/tests/cascade.toml"),
        folder.path().join("cascade.toml"),
    )
    .expect("copy the fixture");
    let app = crate::helpers::spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = app.url("/api/surveys/cascade/responses");
    let send = |answers: serde_json::Value| {
        post(
            &url,
            &json!({"submission_id": new_id(), "answers": answers}).to_string(),
        )
    };

    // Batumi is a region of Georgia, not of Ukraine.
    let r = send(json!({"country": "ua", "region": "batumi", "services": ["needles"]}));
    assert_eq!(r.status, 422, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "invalid_answers");
    let details = j["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "{j}");
    assert_eq!(details[0]["question"], "region");
    assert_eq!(details[0]["code"], "choice_not_offered");
    assert!(
        details[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("batumi"),
        "{j}"
    );
    // OST is not offered in Russia, whatever else is ticked.
    let r = send(json!({"country": "ru", "services": ["needles", "ost"]}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["details"][0]["code"], "choice_not_offered");
    assert_eq!(app.responses(), 0);

    let r = send(json!({"country": "ua", "region": "kyiv", "services": ["ost", "naloxone"]}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.responses(), 1);
}

#[test]
fn a_repeat_is_validated_instance_by_instance_and_stored_as_sent() {
    let folder = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        crate::helpers::repo_root().join("surveys/tests/repeat.toml"),
        folder.path().join("repeat.toml"),
    )
    .expect("copy the fixture");
    let app = crate::helpers::spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = app.url("/api/surveys/incidents/responses");
    let send = |answers: serde_json::Value| {
        post(
            &url,
            &json!({"submission_id": new_id(), "answers": answers}).to_string(),
        )
    };
    // The survey's definition, as both runners get it, holds the repeat.
    let def = get(&app.url("/api/surveys/incidents"));
    assert_eq!(def.status, 200, "{}", def.body);
    assert_eq!(def.json()["questions"][1]["type"], "repeat");

    // Every problem is named with its instance.
    let r = send(json!({"country": "ua", "incidents": [
        {"when": "2026-03-01", "by": ["police"], "injured": 2},
        {"by": ["medics"], "injured": 1}]}));
    assert_eq!(r.status, 422, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "invalid_answers");
    let places: Vec<&str> = j["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["question"].as_str())
        .collect();
    // Instance 2 misses its date, and `injured` is not asked there (not
    // police), so it is dropped rather than refused.
    assert_eq!(places, ["incidents[2].when"], "{}", r.body);

    let r = send(json!({"country": "ua", "incidents": [{}, {}, {}, {}]}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("too_many_instances"), "{}", r.body);

    let r = send(json!({"country": "ua", "reported": "no", "incidents": [
        {"when": "2026-03-01", "by": ["police"], "injured": 2},
        {"when": "2026-04-01", "by": ["medics"], "same_place": true}]}));
    assert_eq!(r.status, 201, "{}", r.body);
}
