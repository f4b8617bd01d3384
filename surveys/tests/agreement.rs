//! The agreement property: the engine that runs in the browser (wasm32) and
//! in the collector must agree. Over many random answer maps for every
//! library survey (valid and invalid), with a fixed seed:
//!
//! * validation never panics;
//! * what it accepts, serialised to JSON and validated again, is accepted
//!   and stored identically (what the server stores, the browser accepts,
//!   and the other way round);
//! * no answer to a question that is not asked survives;
//! * the cached [`Engine`] and the one-shot [`surveys::validate`] agree;
//! * every outcome (what was stored, or which problems were found) hashes to
//!   the digest in `agreement.digest`, the same natively and on wasm32 — the
//!   test script runs this file both ways (wasm32 under Node.js with
//!   `wasm-bindgen-test-runner`), so browser and server agree case by case.
//!
//! After an intended change to the engine or the library, regenerate the
//! digest natively with `UPDATE_DIGEST=1 cargo test -p surveys --test agreement`.

use serde_json::{Map, Value, json};
use surveys::{Engine, QuestionKind, Survey};

/// xorshift64*: small, deterministic, good enough to explore inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn text(rng: &mut Rng) -> String {
    const PARTS: &[&str] = &["а", "b", " ", "ж", "ქ", "ü", "7", "\n", "ё", "'", "\""];
    let n = if rng.chance(3) { 6000 } else { rng.below(12) };
    (0..n).map(|_| *rng.pick(PARTS)).collect()
}

fn junk(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => json!(rng.below(1000) as i64 - 500),
        1 => json!(true),
        2 => json!("zzz"),
        3 => json!([1, 2]),
        4 => json!({"x": 1}),
        5 => json!(1.5),
        _ => Value::Null,
    }
}

fn ids(choices: &[surveys::Choice]) -> Vec<String> {
    choices.iter().map(|c| c.id.clone()).collect()
}

fn subset(rng: &mut Rng, from: &[String], n: usize) -> Vec<String> {
    let mut pool = from.to_vec();
    let mut out = Vec::new();
    for _ in 0..n.min(pool.len()) {
        let i = rng.below(pool.len());
        out.push(pool.remove(i));
    }
    out
}

/// A plausible answer for `kind`, often valid, sometimes just off.
fn plausible(rng: &mut Rng, kind: &QuestionKind) -> Value {
    match kind {
        QuestionKind::SingleChoice { choices, other, .. } => {
            let mut ids = ids(choices);
            if *other {
                ids.push("other".into());
            }
            if rng.chance(5) {
                ids.push("nope".into());
            }
            json!(rng.pick(&ids))
        }
        QuestionKind::MultipleChoice { choices, other, .. } => {
            let mut ids = ids(choices);
            if *other {
                ids.push("other".into());
            }
            let n = 1 + rng.below(3);
            json!(subset(rng, &ids, n))
        }
        QuestionKind::ShortText { .. } | QuestionKind::LongText { .. } => json!(text(rng)),
        QuestionKind::Integer { min, max } => {
            let lo = min.unwrap_or(-5) - 2;
            let hi = max.unwrap_or(50) + 2;
            let n = lo + rng.below((hi - lo + 1) as usize) as i64;
            if rng.chance(20) {
                json!(n.to_string())
            } else {
                json!(n)
            }
        }
        QuestionKind::Decimal { min, max } => {
            let lo = min.unwrap_or(-5.0) - 1.0;
            let hi = max.unwrap_or(50.0) + 1.0;
            let x = lo + (rng.below(((hi - lo) * 4.0) as usize + 1) as f64) / 4.0;
            json!(x)
        }
        QuestionKind::Date { .. } => {
            // 2014-01-01 .. 2027-12-31
            let d = surveys::Date::from_days_since_epoch(16_071 + rng.below(5_113) as i64);
            json!(d.to_string())
        }
        QuestionKind::Rating { scale, .. } => json!(rng.below(usize::from(*scale) + 2)),
        QuestionKind::Grid { statements, scale } => {
            let mut m = Map::new();
            for s in statements {
                if rng.chance(85) {
                    m.insert(s.id.clone(), json!(rng.pick(&ids(scale))));
                }
            }
            if rng.chance(5) {
                m.insert("nope".into(), json!("1"));
            }
            Value::Object(m)
        }
        QuestionKind::Ranking { choices, rank, .. } => {
            let n = rank.map_or(choices.len(), |r| r as usize);
            let n = if rng.chance(10) { n + 1 } else { n };
            json!(subset(rng, &ids(choices), n))
        }
        QuestionKind::Consent => json!(rng.chance(90)),
        QuestionKind::Note => json!("a note takes no answer"),
        QuestionKind::Calculate { .. } => json!(rng.below(10)),
        QuestionKind::Repeat { questions, max, .. } => {
            let n = rng.below(*max as usize + 2);
            let instances: Vec<Value> = (0..n)
                .map(|_| Value::Object(random_answers_of(rng, questions)))
                .collect();
            json!(instances)
        }
    }
}

fn random_answers(rng: &mut Rng, survey: &Survey) -> Map<String, Value> {
    let mut m = random_answers_of(rng, &survey.questions);
    if rng.chance(5) {
        m.insert("not_a_question".into(), json!(1));
    }
    m
}

fn random_answers_of(rng: &mut Rng, questions: &[surveys::Question]) -> Map<String, Value> {
    let mut m = Map::new();
    for q in questions {
        let skip = match q.kind {
            QuestionKind::Note | QuestionKind::Calculate { .. } => 95,
            _ => 15,
        };
        if rng.chance(skip) {
            continue;
        }
        let v = if rng.chance(7) {
            junk(rng)
        } else {
            plausible(rng, &q.kind)
        };
        m.insert(q.id.clone(), v);
        if rng.chance(50) {
            m.insert(format!("{}_other", q.id), json!(text(rng)));
        }
    }
    m
}

/// The library, compiled in so that the test also runs on wasm32, which has
/// no file system.
const LIBRARY: &[(&str, &str)] = &[
    (
        "network-priorities.toml",
        include_str!("../library/network-priorities.toml"),
    ),
    (
        "ost-hiv-access.toml",
        include_str!("../library/ost-hiv-access.toml"),
    ),
    (
        "rights-violation-report.toml",
        include_str!("../library/rights-violation-report.toml"),
    ),
];

/// Surveys that are not in the library but whose logic must agree too.
const FIXTURES: &[(&str, &str)] = &[
    ("cascade.toml", include_str!("cascade.toml")),
    ("repeat.toml", include_str!("repeat.toml")),
];

const DIGEST: &str = include_str!("agreement.digest");

fn library() -> Vec<Survey> {
    let mut out: Vec<Survey> = LIBRARY
        .iter()
        .chain(FIXTURES)
        .map(|(name, text)| surveys::parse_survey(text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Drops the answer an error names: `q`, or inside a repeat `r[2].q`
/// (the second instance's `q`) or `r[2]` (that whole instance).
fn forget(answers: &mut Map<String, Value>, key: &str) {
    let Some((repeat, rest)) = key.split_once('[') else {
        answers.remove(key);
        return;
    };
    let (n, inner) = rest.split_once(']').expect("r[n]");
    let n: usize = n.parse().expect("instance number");
    let Some(Value::Array(instances)) = answers.get_mut(repeat) else {
        return;
    };
    match (instances.get_mut(n - 1), inner.strip_prefix('.')) {
        (Some(Value::Object(instance)), Some(q)) => {
            instance.remove(q);
        }
        (Some(slot), _) => *slot = json!({}),
        (None, _) => {}
    }
}

/// FNV-1a, 64 bits: a stable digest with no dependencies.
struct Digest(u64);

impl Digest {
    fn add(&mut self, s: &str) {
        for b in s.bytes().chain([0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_compiled_in_library_is_the_whole_library() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/library");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("library")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let listed: Vec<&str> = LIBRARY.iter().map(|(n, _)| *n).collect();
    assert_eq!(files, listed, "add new library surveys to LIBRARY");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn browser_and_server_agree_on_random_answers() {
    let mut digest = Digest(0xcbf2_9ce4_8422_2325);
    let today: surveys::Date = "2026-11-29".parse().expect("date");
    let mut rng = Rng(0x00C0_FFEE_D00D_F00D);
    for survey in library() {
        let engine = Engine::new(&survey).expect("library logic checks");
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..3000 {
            let mut answers = random_answers(&mut rng, &survey);
            // Repair a little, as a member would: drop what was refused.
            // This reaches valid responses deep in the skip logic.
            let mut result = engine.validate(&answers, today);
            for _ in 0..4 {
                let Err(errors) = &result else { break };
                for e in errors {
                    forget(&mut answers, &e.question);
                }
                result = engine.validate(&answers, today);
            }
            assert_eq!(
                surveys::validate(&survey, &answers, today),
                result,
                "one-shot validate and Engine disagree"
            );
            let valid = match result {
                Ok(valid) => valid,
                Err(errors) => {
                    refused += 1;
                    for e in &errors {
                        digest.add(&e.question);
                        digest.add(e.problem.code());
                    }
                    continue;
                }
            };
            accepted += 1;
            let stored = valid.answers();

            // Round trip through the wire format.
            let wire = serde_json::to_string(stored).expect("serialise");
            digest.add(&wire);
            let back: Map<String, Value> = serde_json::from_str(&wire).expect("parse");
            let again = engine
                .validate(&back, today)
                .unwrap_or_else(|e| panic!("stored answers refused: {e:?}\n{wire}"));
            assert_eq!(again.answers(), stored, "{wire}");

            // Nothing survives for a question not asked.
            let ev = engine.evaluate(&answers, today);
            for id in stored.keys() {
                let base = match survey.question(id) {
                    Some(_) => id.as_str(),
                    None => id.strip_suffix("_other").expect("an other text"),
                };
                assert!(ev.is_relevant(base), "{id} stored but not asked: {wire}");
                // Inside a repeat, instance by instance.
                if let Some(surveys::Answer::Repeat(instances)) = stored.get(id) {
                    for (k, instance) in instances.iter().enumerate() {
                        for inner in instance.keys() {
                            let inner = inner.strip_suffix("_other").unwrap_or(inner);
                            let path = format!("{id}[{}].{inner}", k + 1);
                            assert!(ev.is_relevant(&path), "{path} stored but not asked: {wire}");
                        }
                    }
                }
            }
            // And what is asked and answered validly was kept.
            for (id, v) in &answers {
                if ev.is_relevant(id)
                    && survey.question(id).is_some_and(|q| q.kind.takes_answer())
                    && !v.is_null()
                    && !stored.contains_key(id)
                {
                    let blank = match v {
                        Value::String(s) => s.trim().is_empty(),
                        Value::Array(a) => a.is_empty(),
                        Value::Object(o) => o.values().all(Value::is_null),
                        Value::Bool(b) => !b,
                        _ => false,
                    };
                    assert!(blank, "{id} = {v} asked, accepted, but not stored");
                }
            }
        }
        // The test means something only if both outcomes are common.
        eprintln!("{}: {accepted} accepted, {refused} refused", survey.id);
        assert!(accepted >= 150, "{}: only {accepted} accepted", survey.id);
        assert!(refused >= 100, "{}: only {refused} refused", survey.id);
    }
    let got = format!("{:016x}", digest.0);
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("UPDATE_DIGEST").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/agreement.digest");
        std::fs::write(path, format!("{got}\n")).expect("write digest");
        return;
    }
    assert_eq!(
        got,
        DIGEST.trim(),
        "the outcomes changed (or differ between native and wasm32); if the change is intended, regenerate natively with UPDATE_DIGEST=1"
    );
}

/// A decimal typed as text is read as the standard library reads it, in
/// the browser too (where `surveys` reads numbers with JavaScript's
/// `parseFloat`, not serde_json's exact reader): random digits, points and
/// exponents, hard cases among them, stored as the same f64 bits.
#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn decimals_typed_as_text_are_read_exactly_everywhere() {
    let survey = surveys::parse_survey(
        r#"
id = "numbers"
version = 1
languages = ["en"]
privacy_budget = 1
title = { en = "Numbers" }

[[questions]]
id = "x"
type = "decimal"
label = { en = "A number" }
"#,
    )
    .expect("the survey loads");
    let engine = Engine::new(&survey).expect("no logic");
    let today: surveys::Date = "2026-11-29".parse().expect("date");
    let mut texts: Vec<String> = [
        "0.1",
        "0.30000000000000004",
        "2.2250738585072011e-308",
        "4.9406564584124654e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "9007199254740993",
        "123456789012345678901234567890",
        "1e-400",
        "-0.0",
        "1.00000000000000011102230246251565404236316680908203125",
    ]
    .map(String::from)
    .to_vec();
    let mut rng = Rng(0x0DEC_1A1A_5EED_0001);
    for _ in 0..5000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(20) {
            s.push(char::from(b'0' + rng.below(10) as u8));
        }
        if rng.chance(70) {
            s.insert(rng.below(s.len() + 1), '.');
            if s.ends_with('.') {
                s.push('5');
            }
        }
        if rng.chance(30) {
            s.push_str(&format!("e{}", rng.below(60) as i64 - 30));
        }
        texts.push(s);
    }
    let mut compared = 0;
    for text in texts {
        let Ok(expected) = text.parse::<f64>() else {
            continue;
        };
        let mut answers = Map::new();
        answers.insert("x".into(), json!(text));
        match engine.validate(&answers, today) {
            Ok(stored) => {
                let got = stored
                    .answers()
                    .get("x")
                    .and_then(|a| serde_json::to_value(a).ok())
                    .and_then(|v| v.as_f64());
                if expected.is_finite() {
                    assert_eq!(got.map(f64::to_bits), Some(expected.to_bits()), "{text}");
                    compared += 1;
                }
            }
            Err(e) => assert!(!expected.is_finite(), "{text}: {e:?}"),
        }
    }
    assert!(compared > 4000, "only {compared} compared");
}
