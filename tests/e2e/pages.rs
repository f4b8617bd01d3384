//! The server-rendered runner over real HTTP, as a browser without scripts
//! uses it: form posts page by page, errors next to questions, the review,
//! the submission through the API's one path, and everything it must
//! refuse. Also: the JSON API and the runner store the same responses for
//! the same answers, and a sealed survey's answers reach the database only
//! sealed.

use std::collections::BTreeMap;

use collector::store::Body;
use runner::Draft;
use serde_json::{Value, json};

use crate::helpers::{Resp, collect, get, post, post_head_only, spawn_app_with};

const WALK: &str = r#"id = "walk"
version = 1
languages = ["en", "ru"]
title = { en = "Report a violation", ru = "Сообщить о нарушении" }
browser_title = { en = "Notes", ru = "Заметки" }
privacy_budget = 1

[[sections]]
id = "what"
title = { en = "What happened", ru = "Что случилось" }

[[sections]]
id = "more"
title = { en = "More", ru = "Ещё" }

[[questions]]
id = "country"
section = "what"
type = "single_choice"
required = true
other = true
label = { en = "Country", ru = "Страна" }
choices = [
  { id = "ua", label = { en = "Ukraine", ru = "Украина" } },
  { id = "ge", label = { en = "Georgia", ru = "Грузия" } },
]

[[questions]]
id = "detained"
section = "what"
type = "single_choice"
label = { en = "Were you detained?", ru = "Вас задержали?" }
choices = [
  { id = "yes", label = { en = "Yes", ru = "Да" } },
  { id = "no", label = { en = "No", ru = "Нет" } },
]

[[questions]]
id = "account"
section = "what"
type = "long_text"
required = true
relevant = "selected(detained, 'yes')"
label = { en = "What happened?", ru = "Что произошло?" }

[[questions]]
id = "acts"
section = "more"
type = "multiple_choice"
label = { en = "Acts", ru = "Действия" }
choices = [
  { id = "beaten", label = { en = "Beaten", ru = "Избиение" } },
  { id = "threat", label = { en = "Threatened", ru = "Угрозы" } },
  { id = "none", label = { en = "None", ru = "Ничего" }, exclusive = true },
]

[[questions]]
id = "age"
section = "more"
type = "integer"
min = 16
max = 99
label = { en = "Age", ru = "Возраст" }

[[questions]]
id = "amount"
section = "more"
type = "decimal"
label = { en = "Fine paid", ru = "Штраф" }

[[questions]]
id = "when"
section = "more"
type = "date"
max = "today"
label = { en = "When", ru = "Когда" }

[[questions]]
id = "safety"
section = "more"
type = "rating"
scale = 5
label = { en = "Safety", ru = "Безопасность" }

[[questions]]
id = "trust"
section = "more"
type = "grid"
label = { en = "Trust", ru = "Доверие" }
statements = [
  { id = "police", label = { en = "Police", ru = "Полиция" } },
  { id = "clinic", label = { en = "Clinic", ru = "Клиника" } },
]
scale = [
  { id = "low", label = { en = "Low", ru = "Низкое" } },
  { id = "high", label = { en = "High", ru = "Высокое" } },
]

[[questions]]
id = "needs"
section = "more"
type = "ranking"
rank = 2
label = { en = "Needs", ru = "Нужды" }
choices = [
  { id = "lawyer", label = { en = "Lawyer", ru = "Юрист" } },
  { id = "doctor", label = { en = "Doctor", ru = "Врач" } },
  { id = "shelter", label = { en = "Shelter", ru = "Убежище" } },
]

[[questions]]
id = "consent"
section = "more"
type = "consent"
required = true
label = { en = "I agree", ru = "Согласен" }
"#;

fn walk_app() -> (crate::helpers::TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("walk.toml"), WALK).expect("write survey");
    let app = spawn_app_with(false, dir.path().to_path_buf(), 0);
    (app, dir)
}

/// Posts a form the way a browser does.
fn post_form(url: &str, fields: &[(String, String)]) -> Resp {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    collect(
        ureq::post(url)
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(&body),
    )
}

/// The value of an attribute in one tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Every hidden input of a page, as `(name, value)`.
fn hidden(page: &str) -> Vec<(String, String)> {
    page.split('<')
        .filter(|t| t.starts_with("input type=\"hidden\""))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect()
}

/// A page's hidden fields with `more` and `_go=go`.
fn step(page: &str, more: &[(&str, &str)], go: &str) -> Vec<(String, String)> {
    let mut fields = hidden(page);
    fields.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    fields.push(("_go".into(), go.into()));
    fields
}

/// The answers of every stored response, in stored order (plaintext only).
fn stored_answers(app: &crate::helpers::TestApp) -> Vec<Value> {
    app.rows()
        .into_iter()
        .map(|(_, r)| match r.body {
            Body::Plain(a) => serde_json::from_str(&a).expect("answers JSON"),
            Body::Sealed { .. } => panic!("a sealed response: {}", r.submission_id),
        })
        .collect()
}

fn assert_runner_headers(r: &Resp) {
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "{:?}",
        r.headers
    );
    assert!(
        r.header("set-cookie").is_none(),
        "no cookie: {:?}",
        r.headers
    );
    let csp = r.header("content-security-policy").expect("a policy");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!r.body.contains(" style=\""), "no inline style");
}

#[test]
fn a_member_answers_page_by_page_without_scripts() {
    let (app, _dir) = walk_app();
    let url = app.url("/s/walk");

    let list = collect(
        ureq::get(&app.url("/"))
            .set("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
            .call(),
    );
    assert_eq!(list.status, 200);
    assert_runner_headers(&list);
    assert!(
        list.body.contains("<html lang=\"ru\""),
        "the browser's language"
    );
    assert!(
        list.body.contains("href=\"/s/walk?lang=ru\""),
        "{}",
        list.body
    );
    // The skip link, then the quick exit before anything else focusable.
    let skip = list.body.find("class=\"skip-link\"").expect("skip link");
    let exit = list.body.find("id=\"quick-exit\"").expect("quick exit");
    let first_other = list.body[skip + 1..]
        .find("<a ")
        .map(|i| i + skip + 1)
        .expect("links");
    assert!(skip < exit && exit <= first_other + 3, "order");
    assert!(list.body.contains(">Быстрый выход</a>"));

    let first = get(&format!("{url}?lang=en"));
    assert_eq!(first.status, 200);
    assert_runner_headers(&first);
    assert!(
        first.body.contains("<title>Notes — Chorus</title>"),
        "browser_title"
    );
    assert!(
        !first.body.contains("<title>Report"),
        "the real title stays out of the tab"
    );
    assert!(first.body.contains(">Quick exit</a>"));
    let sid = hidden(&first.body)
        .into_iter()
        .find(|(k, _)| k == "_sid")
        .expect("a submission id")
        .1;

    // Next without the required country: the page again, the error by it.
    let r = post_form(&url, &step(&first.body, &[], "next"));
    assert_eq!(r.status, 200);
    assert_runner_headers(&r);
    assert!(r.body.contains("id=\"err-country\""), "{}", r.body);
    assert!(r.body.contains("id=\"form-errors\""));
    assert!(
        r.body.contains("href=\"#q-country-"),
        "the summary links to the field"
    );
    assert!(r.body.contains("Page 1 of 2"));

    // "Yes, detained" makes a required question of this page relevant:
    // the page comes again with it, and without an error for it yet.
    let r = post_form(
        &url,
        &step(
            &r.body,
            &[
                ("country", "other"),
                ("country_other", "Moldova"),
                ("detained", "yes"),
            ],
            "next",
        ),
    );
    assert!(r.body.contains("name=\"account\""), "{}", r.body);
    assert!(r.body.contains("class=\"notice\" role=\"status\""));
    assert!(!r.body.contains("id=\"err-account\""));
    assert!(r.body.contains("Page 1 of 2"));

    // The page's fields are posted again as the browser would.
    let page1 = [
        ("country", "other"),
        ("country_other", "Moldova"),
        ("detained", "yes"),
        ("account", "Taken to the station <b>at night</b>"),
    ];
    let r = post_form(&url, &step(&r.body, &page1, "next"));
    assert!(r.body.contains("Page 2 of 2"), "{}", r.body);
    assert!(r.body.contains("More</h2>"));

    // Back keeps what was entered on page 1 (carried in the form).
    let back = post_form(&url, &step(&r.body, &[("age", "34")], "back"));
    assert!(back.body.contains("Page 1 of 2"));
    assert!(back.body.contains("value=\"other\" checked"));
    assert!(
        back.body
            .contains("Taken to the station &lt;b&gt;at night&lt;/b&gt;</textarea>")
    );
    assert!(
        back.body.contains("value=\"34\""),
        "page 2's answer is carried: {}",
        back.body
    );
    let r = post_form(&url, &step(&back.body, &page1, "next"));

    let page2 = [
        ("acts", "beaten"),
        ("acts", "threat"),
        ("age", "34"),
        ("amount", "12,5"),
        ("when", "2026-01-15"),
        ("safety", "2"),
        ("trust.police", "low"),
        ("trust.clinic", "high"),
        ("needs.rank.lawyer", "1"),
        ("needs.rank.doctor", ""),
        ("needs.rank.shelter", "2"),
    ];
    // Without the required consent: an error, still page 2.
    let r2 = post_form(&url, &step(&r.body, &page2, "next"));
    assert!(r2.body.contains("id=\"err-consent\""), "{}", r2.body);
    let mut with_consent = page2.to_vec();
    with_consent.push(("consent", "true"));
    let review = post_form(&url, &step(&r2.body, &with_consent, "next"));
    assert!(
        review.body.contains("Check your answers"),
        "{}",
        review.body
    );
    assert!(review.body.contains("Other, please specify: Moldova"));
    assert!(review.body.contains("1. Lawyer; 2. Shelter"));
    assert_eq!(app.responses(), 0, "nothing is stored before Submit");

    let done = post_form(&url, &step(&review.body, &[], "send"));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_runner_headers(&done);
    assert!(done.body.contains("id=\"confirmation\""), "{}", done.body);
    let expected = json!({
        "country": "other", "country_other": "Moldova", "detained": "yes",
        "account": "Taken to the station <b>at night</b>",
        "acts": ["beaten", "threat"], "age": 34, "amount": 12.5, "when": "2026-01-15",
        "safety": 2, "trust": {"clinic": "high", "police": "low"},
        "needs": ["lawyer", "shelter"], "consent": true
    });
    assert_eq!(stored_answers(&app), [expected]);
    let stored_sid = app.rows().first().expect("row").1.submission_id.clone();
    assert_eq!(stored_sid, sid, "the id made when the form was first shown");

    // Submitting again (Back and resend, a double tap) stores nothing new.
    let again = post_form(&url, &step(&review.body, &[], "send"));
    assert!(again.body.contains("id=\"confirmation\""));
    assert_eq!(app.responses(), 1);

    // The language switch keeps the answers.
    let ru = post_form(&url, &step(&review.body, &[], "lang.ru"));
    assert!(ru.body.contains("<html lang=\"ru\""));
    assert!(ru.body.contains("Проверьте ваши ответы"));
    assert!(ru.body.contains("<title>Заметки — Chorus</title>"));
}

/// Only a page that holds nothing the member entered (the list, a form's
/// first page) is compressed: the length of a compressed page that echoes
/// answers would tell an observer of the encrypted traffic how alike they
/// are to the rest of the page (as in BREACH).
#[test]
fn only_pages_without_answers_are_compressed() {
    let (app, _dir) = walk_app();
    let url = app.url("/s/walk?lang=en");
    let coding = |r: Result<ureq::Response, ureq::Error>| {
        let r = r.expect("a 200");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        r.header("content-encoding").map(String::from)
    };
    for (accept, want) in [
        ("br, gzip", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        for page in [app.url("/"), url.clone()] {
            let got = coding(ureq::get(&page).set("Accept-Encoding", accept).call());
            assert_eq!(got.as_deref(), want, "{page} with {accept}");
        }
    }
    // A step that echoes an answer back (the page again, with an error and
    // the account typed so far), asked for with brotli: sent as it is.
    let first = get(&url);
    let canary = "Held overnight in the station cellar";
    let fields = step(
        &first.body,
        &[("detained", "yes"), ("account", canary)],
        "next",
    );
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let r = collect(
        ureq::post(&url)
            .set("Content-Type", "application/x-www-form-urlencoded")
            .set("Accept-Encoding", "br, gzip")
            .send_string(&body),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None, "{:?}", r.headers);
    assert!(r.body.contains(canary), "the page holds the answer");
}

#[test]
fn forged_and_malformed_posts_are_refused_and_store_nothing() {
    let (app, _dir) = walk_app();
    let url = app.url("/s/walk");
    let first = get(&format!("{url}?lang=en")).body;

    type Case<'a> = (Vec<(String, String)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (step(&first, &[("nickname", "x")], "next"), 400, "nickname"),
        (
            step(&first, &[("country", "ua"), ("country", "ge")], "next"),
            400,
            "more than once",
        ),
        (step(&first, &[("consent", "yes")], "next"), 400, "consent"),
        (
            step(&first, &[("needs.rank.lawyer", "7")], "next"),
            400,
            "needs.rank.lawyer",
        ),
        (
            step(&first, &[("trust.army", "low")], "next"),
            400,
            "trust.army",
        ),
        (step(&first, &[], "jump"), 400, "jump"),
        (
            hidden(&first)
                .into_iter()
                .filter(|(k, _)| k != "_sid")
                .collect(),
            400,
            "_sid",
        ),
    ];
    for (fields, status, says) in cases {
        let r = post_form(&url, &fields);
        assert_eq!(r.status, status, "{fields:?}: {}", r.body);
        assert!(
            r.body.contains(says),
            "{fields:?} should say {says}: {}",
            r.body
        );
        assert_runner_headers(&r);
    }
    let unknown = post_form(&app.url("/s/nope"), &step(&first, &[], "next"));
    assert_eq!(unknown.status, 404);

    // A forged final post that skips page 1: the member is sent back to it.
    let mut forged: Vec<(String, String)> = hidden(&first)
        .into_iter()
        .filter(|(k, _)| k != "_page" && k != "_shown")
        .collect();
    forged.extend([
        ("_review".to_string(), "1".to_string()),
        ("consent".to_string(), "true".to_string()),
        ("_go".to_string(), "send".to_string()),
    ]);
    let r = post_form(&url, &forged);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"err-country\""), "{}", r.body);
    // A choice the question does not offer is named next to it.
    let r = post_form(&url, &step(&first, &[("country", "atlantis")], "next"));
    assert!(r.body.contains("id=\"err-country\""), "{}", r.body);

    // A form over the limit is refused from its headers alone.
    let reply = post_head_only(
        app.addr,
        "/s/walk",
        "application/x-www-form-urlencoded",
        300 * 1024,
    );
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(app.responses(), 0);
}

/// Drafts a member could enter on the walk survey, from a seed: valid and
/// invalid ones (a missing consent, an age out of range, a bad decimal…).
fn drafts(seed: u64) -> BTreeMap<String, Draft> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut d = BTreeMap::new();
    let pick = |i: u64, from: &[&str]| from[i as usize % from.len()].to_string();
    if next(8) > 0 {
        d.insert(
            "country".into(),
            Draft::Choice(pick(next(3), &["ua", "ge", "other"])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "country_other".into(),
            Draft::Text(pick(next(2), &["Moldova", " "])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "detained".into(),
            Draft::Choice(pick(next(2), &["yes", "no"])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "account".into(),
            Draft::Text(pick(next(3), &["A story", "", "Ночью"])),
        );
    }
    if next(2) == 0 {
        let acts = ["beaten", "threat", "none"];
        let n = next(3) as usize + 1;
        d.insert(
            "acts".into(),
            Draft::Choices(
                (0..n)
                    .map(|i| acts[(i + next(3) as usize) % 3].to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            ),
        );
    }
    if next(2) == 0 {
        d.insert(
            "age".into(),
            Draft::Text(pick(next(5), &["34", "15", "100", "abc", "17"])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "amount".into(),
            Draft::Text(pick(next(4), &["12,5", "0.25", "x", "-3"])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "when".into(),
            Draft::Text(pick(next(3), &["2026-01-15", "2099-01-01", "yesterday"])),
        );
    }
    if next(2) == 0 {
        d.insert(
            "safety".into(),
            Draft::Choice(pick(next(6), &["1", "2", "3", "4", "5", "9"])),
        );
    }
    if next(2) == 0 {
        let mut g = BTreeMap::new();
        g.insert("police".to_string(), pick(next(2), &["low", "high"]));
        if next(2) == 0 {
            g.insert("clinic".to_string(), pick(next(2), &["low", "high"]));
        }
        d.insert("trust".into(), Draft::Grid(g));
    }
    if next(2) == 0 {
        let opts = ["lawyer", "doctor", "shelter"];
        let a = next(3) as usize;
        let second = (next(2) == 0).then(|| opts[(a + 1) % 3].to_string());
        d.insert(
            "needs".into(),
            Draft::Ranks(vec![Some(opts[a].to_string()), second]),
        );
    }
    if next(5) > 0 {
        d.insert("consent".into(), Draft::Checked(true));
    }
    d
}

/// For many generated answer sets, the JSON API (given what the WASM
/// runner's `runner::Form` sends for the drafts) and the server-rendered
/// runner (given the drafts as form fields) store the same response, or
/// both refuse.
#[test]
fn the_api_and_the_server_rendered_runner_agree() {
    let (app, dir) = walk_app();
    let survey = collector::app::check_survey_file(&dir.path().join("walk.toml")).expect("checks");
    let url = app.url("/s/walk");
    let (mut stored, mut refused) = (0, 0);
    for seed in 0..120u64 {
        let drafts = drafts(seed);
        let mut form = runner::Form::new(survey.clone(), uuid::Uuid::new_v4().to_string());
        form.drafts = drafts.clone();
        let api_body = serde_json::to_string(&form.submission()).expect("JSON");
        let before = app.responses();
        let api = post(&app.url("/api/surveys/walk/responses"), &api_body);
        let api_ok = api.status == 201;

        let mut fields = runner::fields::encode(&drafts);
        fields.extend([
            ("_sid".to_string(), uuid::Uuid::new_v4().to_string()),
            ("_v".to_string(), "1".to_string()),
            ("_lang".to_string(), "en".to_string()),
            ("_review".to_string(), "1".to_string()),
            ("_go".to_string(), "send".to_string()),
        ]);
        let ssr = post_form(&url, &fields);
        let ssr_ok = ssr.body.contains("id=\"confirmation\"");
        assert_eq!(
            api_ok, ssr_ok,
            "seed {seed}: API {} {}, runner {}",
            api.status, api.body, ssr.body
        );
        if api_ok {
            let rows = stored_answers(&app);
            assert_eq!(rows.len(), before + 2);
            assert_eq!(rows[rows.len() - 2], rows[rows.len() - 1], "seed {seed}");
            stored += 1;
        } else {
            assert_eq!(app.responses(), before, "seed {seed}: nothing stored");
            refused += 1;
        }
    }
    assert!(
        stored > 10 && refused > 10,
        "both kinds were generated: {stored} stored, {refused} refused"
    );
}

#[test]
fn a_sealed_survey_is_sealed_on_arrival_and_no_plaintext_reaches_the_disk() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = crate::sealed::test_key(keys.path(), "team");
    let folder = crate::sealed::survey_folder(&[key.secret.public()], 1);
    let app = spawn_app_with(false, folder.path().to_path_buf(), 0);
    let url = app.url(&format!("/s/{}", crate::sealed::SURVEY_ID));
    let first = get(&format!("{url}?lang=en")).body;
    let canary = "CANARY-7f3e detained by officer Petrov";
    let mut fields = hidden(&first)
        .into_iter()
        .filter(|(k, _)| k != "_page" && k != "_shown")
        .collect::<Vec<_>>();
    fields.extend([
        ("country".to_string(), "canaryland".to_string()),
        ("story".to_string(), canary.to_string()),
        ("_review".to_string(), "1".to_string()),
        ("_go".to_string(), "send".to_string()),
    ]);
    let done = post_form(&url, &fields);
    assert!(done.body.contains("id=\"confirmation\""), "{}", done.body);
    assert_eq!(app.responses(), 1);
    let rows = app.rows();
    let (_, row) = rows.first().expect("row");
    let Body::Sealed { envelope, .. } = &row.body else {
        panic!("only the envelope is stored: {row:?}");
    };
    let sid = &row.submission_id;
    let opened =
        surveys::sealing::open_answers(&key.secret, crate::sealed::SURVEY_ID, 1, sid, envelope)
            .expect("the researcher's key opens it");
    assert_eq!(
        Value::Object(opened),
        json!({"country": "canaryland", "story": canary})
    );
    let dir = app.into_dir();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        // ("canaryland" is a choice of the survey, whose definition the
        // database keeps; the account is the member's own words.)
        for needle in [canary.as_bytes(), b"officer Petrov".as_slice()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "plaintext in {}",
                path.display()
            );
        }
    }
}
