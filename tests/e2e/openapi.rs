//! `docs/openapi.json` against the real server: the documented routes are
//! exactly the routes served, each answers with a documented status, and
//! JSON bodies fit their documented schemas.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::admin::{call, token};
use crate::helpers::{Resp, SURVEY, TestApp, collect, new_id, repo_root, spawn_app};

fn spec() -> Value {
    let path = repo_root().join("docs").join("openapi.json");
    let text = std::fs::read_to_string(&path).expect("docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = spec
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved $ref {r}"));
            resolve(spec, target)
        }
        None => schema,
    }
}

fn type_fits(ty: &str, v: &Value) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown schema type {other}"),
    }
}

/// A small JSON Schema check: `$ref`, `type`, `enum`, `required`,
/// `properties`, `additionalProperties`, `items`, `oneOf`. Returns the
/// problems found, each with where.
fn check(spec: &Value, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = options.iter().any(|o| {
            let mut p = Vec::new();
            check(spec, o, v, at, &mut p);
            p.is_empty()
        });
        if !fits {
            problems.push(format!("{at}: fits none of oneOf: {v}"));
        }
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_fits(t, v)) {
        problems.push(format!("{at}: expected {types:?}, got {v}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        problems.push(format!("{at}: {v} is not one of {allowed:?}"));
    }
    if let Value::Object(obj) = v {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(r) {
                problems.push(format!("{at}: missing required `{r}`"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(spec, s, val, &format!("{at}.{k}"), problems),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        problems.push(format!("{at}: undocumented property `{k}`"))
                    }
                    Some(s @ Value::Object(_)) => {
                        check(spec, s, val, &format!("{at}.{k}"), problems)
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(spec, s, item, &format!("{at}[{i}]"), problems);
        }
    }
}

/// Every (method, path) the document describes.
fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete", "head", "options"]
                .contains(&method.as_str())
            {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn served() -> BTreeSet<(String, String)> {
    collector::routes::API_ROUTES
        .iter()
        .chain(collector::admin::ADMIN_ROUTES)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

/// Checks a real response against the operation's documented responses.
fn conforms(spec: &Value, method: &str, path: &str, r: &Resp) {
    let op = &spec["paths"][path][method.to_ascii_lowercase()];
    let documented = &op["responses"][r.status.to_string()];
    assert!(
        documented.is_object(),
        "{method} {path} answered {} which is not documented: {}",
        r.status,
        r.body
    );
    let mime = r
        .header("content-type")
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .to_string();
    let content = &documented["content"];
    assert!(
        content.get(&mime).is_some(),
        "{method} {path} {}: content type {mime} not documented",
        r.status
    );
    if mime == "application/json" {
        let mut problems = Vec::new();
        check(
            spec,
            &content[&mime]["schema"],
            &r.json(),
            &format!("{method} {path} {}", r.status),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

fn real_call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> Resp {
    let url = app.url(&path.replace("{id}", SURVEY).replace("{lang}", "ru"));
    if path.ends_with("/responses") {
        let body = json!({"submission_id": new_id(), "answers": {"country": "ua", "services_used": ["ost"]}});
        return collect(
            ureq::post(&url)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
        );
    }
    if path.ends_with("/releases") {
        // A charge needs an ε: the bundled survey has no plan.
        return charge(&url, token);
    }
    if path.ends_with("/releases/{release_id}") {
        return upload(app, token);
    }
    call(method, &url, token)
}

/// `POST …/releases` with `{"epsilon": "1"}`.
fn charge(url: &str, token: Option<&str>) -> Resp {
    let mut req = ureq::post(url).set("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    collect(req.send_string(r#"{"epsilon": "1"}"#))
}

/// A release charged with `POST …/releases`, built here and uploaded;
/// without a token, an upload that is refused before anything is read.
fn upload(app: &TestApp, token: Option<&str>) -> Resp {
    let base = app.url(&format!("/api/admin/surveys/{SURVEY}/releases"));
    let Some(t) = token else {
        return collect(
            ureq::put(&format!("{base}/2026-01-01.1"))
                .set("Content-Type", "application/json")
                .send_string("{}"),
        );
    };
    let charged = charge(&base, Some(t));
    assert_eq!(charged.status, 201, "{}", charged.body);
    let charged = charged.json();
    let (release_id, day) = (
        charged["release_id"].as_str().expect("release_id"),
        charged["day"].as_str().expect("day"),
    );
    let surveys = collector::load_surveys(&crate::helpers::library()).expect("library");
    let survey = &surveys[SURVEY];
    let plan = analysis::prepare(survey, Some(surveys::Epsilon::from_integer(1))).expect("plan");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let (release, _) = collector::publish::build_release(
        survey,
        plan,
        release_id,
        day,
        std::iter::empty(),
        &mut rng,
    )
    .expect("report");
    collect(
        ureq::put(&format!("{base}/{release_id}"))
            .set("Authorization", &format!("Bearer {t}"))
            .send_json(json!({"json": release.json, "html": release.html})),
    )
}

#[test]
fn the_document_is_openapi_3_and_every_reference_resolves() {
    let spec = spec();
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        spec["openapi"]
    );
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match (k.as_str(), val) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(val, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(!found.is_empty());
    for r in found {
        assert!(
            r.starts_with("#/") && spec.pointer(&r[1..]).is_some(),
            "unresolved $ref {r}"
        );
    }
}

#[test]
fn the_document_lists_exactly_the_routes_the_server_serves() {
    let spec = spec();
    let doc = documented(&spec);
    let real = served();
    let undocumented: Vec<_> = real.difference(&doc).collect();
    let imaginary: Vec<_> = doc.difference(&real).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(
        imaginary.is_empty(),
        "documented but not served: {imaginary:?}"
    );
}

#[test]
fn every_documented_route_answers_as_documented() {
    let spec = spec();
    let app = spawn_app(false);
    let researcher = token(&app, "researcher");
    // In document order, so `close` is followed by `open`.
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            ops.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    for (method, path) in &ops {
        let secured = spec["paths"][path][method.to_ascii_lowercase()]
            .get("security")
            .is_some();
        let r = real_call(&app, method, path, secured.then_some(researcher.as_str()));
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path} is documented but answers {}: {}",
            r.status,
            r.body
        );
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.body);
        conforms(&spec, method, path, &r);
        if secured {
            // Without a token: the documented 401 with the Error body.
            let r = real_call(&app, method, path, None);
            assert_eq!(r.status, 401, "{method} {path}");
            conforms(&spec, method, path, &r);
        }
    }
    // A documented refusal, checked against its schema too.
    let r = real_call(&app, "GET", "/api/surveys/no-such-survey", None);
    conforms(&spec, "GET", "/api/surveys/{id}", &r);
}

#[test]
fn the_schema_check_catches_a_wrong_body() {
    let spec = spec();
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut problems = Vec::new();
    check(
        &spec,
        &error,
        &json!({"error": 1, "details": []}),
        "t",
        &mut problems,
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    let mut problems = Vec::new();
    let stored = json!({"$ref": "#/components/schemas/Stored"});
    check(
        &spec,
        &stored,
        &json!({"status": "lost"}),
        "t",
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}
