//! The `chorus` command as a researcher runs it.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::helpers::{SURVEY, chorus, get, library, new_id, post, repo_root, spawn_app};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn check_passes_the_bundled_library() {
    let out = chorus(
        &["check", library().to_str().expect("utf-8 path")],
        &repo_root(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no problems"), "{}", text(&out));
}

#[test]
fn check_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"
id = "bad"
version = 1
languages = ["ru", "en"]
privacy_budget = 1
title = { ru = "Плохой опрос" }

[[questions]]
id = "a"
type = "single_choice"
label = { ru = "А", en = "A" }

[[questions]]
id = "a"
type = "integer"
min = 5
max = 1
label = { ru = "Б", en = "B" }
"#,
    )
    .expect("write");
    let out = chorus(&["check", bad.to_str().expect("utf-8")], dir.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for expected in [
        "survey: `title` is missing its `en` text",
        "question `a`: a choice question needs at least one entry in `choices`",
        "question `a`: duplicate question id",
        "question `a`: `min` (5) is greater than `max` (1)",
        "4 problems in 1 of 1 file",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in\n{t}");
    }
    assert!(t.contains("bad.toml"), "names the file:\n{t}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["serve", "check", "publish", "budget"] {
        let out = chorus(&[sub, "--help"], &repo_root());
        assert!(out.status.success(), "{sub}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{sub}"
        );
    }
}

/// `chorus publish` of `survey` from the folder `surveys` on the test app's
/// database, writing into `out`; `extra` adds flags such as `--epsilon`.
fn publish(
    app: &crate::helpers::TestApp,
    survey: &str,
    surveys: &str,
    out: &str,
    extra: &[&str],
) -> std::process::Output {
    let db = app.db.as_str();
    let mut args = vec![
        "publish",
        survey,
        "--db",
        db,
        "--surveys",
        surveys,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    chorus(&args, app.dir.path())
}

/// Every charge in the ledger (over every survey) as ε = numerator/denominator.
fn ledger_total(app: &crate::helpers::TestApp) -> Vec<(u64, u64)> {
    ledger(app)
        .iter()
        .map(|e| (e.epsilon.numerator(), e.epsilon.denominator()))
        .collect()
}

/// Every charge in the ledger, survey by survey, each oldest first.
fn ledger(app: &crate::helpers::TestApp) -> Vec<collector::store::LedgerEntry> {
    let mut store = app.store();
    let surveys = store
        .read(|tx| tx.ledger_surveys())
        .expect("surveys with charges");
    surveys
        .iter()
        .flat_map(|s| store.ledger(s).expect("ledger"))
        .collect()
}

#[test]
fn publish_writes_a_noised_report_and_refuses_to_overspend() {
    let app = spawn_app(false);
    let url = app.url(&format!("/api/surveys/{SURVEY}/responses"));
    let countries = ["ua", "ge", "kz", "md"];
    for i in 0..40 {
        let body = json!({
            "submission_id": new_id(),
            "answers": {
                "country": countries[i % countries.len()],
                "services_used": if i % 2 == 0 { json!(["ost", "hiv_test"]) } else { json!(["nsp"]) },
                "comment": "my private words"
            }
        });
        assert_eq!(post(&url, &body.to_string()).status, 201);
    }
    let out_dir = app.dir.path().join("out");
    let db = app.db.clone();
    let lib = library().to_str().expect("utf-8").to_string();
    let out = publish(
        &app,
        SURVEY,
        &lib,
        out_dir.to_str().expect("utf-8"),
        &["--epsilon", "1"],
    );
    assert!(out.status.success(), "{}", text(&out));

    // The JSON report: a cell for every option of every choice question.
    // The folder mirrors /results/{survey}/.
    let survey_dir = out_dir.join(SURVEY);
    let json_file = std::fs::read_dir(&survey_dir)
        .expect("out dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON report");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).expect("read")).expect("json");
    let survey = surveys::load_file(&library().join("ost-hiv-access.toml")).expect("survey");
    let tables = report["tables"].as_array().expect("tables");
    let choice_questions: Vec<&surveys::Question> = survey
        .questions
        .iter()
        .filter(|q| q.kind.choices().is_some())
        .collect();
    assert_eq!(tables.len(), choice_questions.len());
    for (table, q) in tables.iter().zip(&choice_questions) {
        assert_eq!(table["question"], q.id.as_str());
        let cells = table["cells"].as_array().expect("cells");
        let options = q.kind.choices().expect("choices");
        assert_eq!(cells.len(), options.len(), "{}", q.id);
        assert!(
            table["margin95"].as_u64().is_some_and(|m| m > 0),
            "{}",
            q.id
        );
    }
    let html_files: Vec<PathBuf> = std::fs::read_dir(&survey_dir)
        .expect("out dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(html_files.len(), survey.languages.len());
    // Every link a page makes to its JSON and CSV files opens from disk.
    for page in &html_files {
        let html = std::fs::read_to_string(page).expect("read");
        let links: Vec<&str> = html
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|l| l.ends_with(".json") || l.ends_with(".csv"))
            .collect();
        assert_eq!(links.len(), 1 + tables.len(), "{}", page.display());
        for link in links {
            assert!(
                survey_dir.join(link).is_file(),
                "{} links {link}, which is not beside it",
                page.display()
            );
        }
    }
    let all = std::fs::read_to_string(&json_file).expect("read");
    assert!(
        !all.contains("my private words"),
        "free text must never be published"
    );

    // Spent 1 of 3; the collector serves it.
    assert_eq!(ledger_total(&app), vec![(1, 1)]);
    let release = report["release_id"].as_str().expect("release id");
    let list = get(&app.url(&format!("/results/{SURVEY}?lang=en")));
    assert_eq!(list.status, 200);
    assert!(list.body.contains(release), "lists the release");
    assert!(list.body.contains("ledger"), "shows the ledger");
    for lang in &survey.languages {
        let page = get(&app.url(&format!("/results/{SURVEY}/{release}?lang={lang}")));
        assert_eq!(page.status, 200);
        assert!(page.body.contains("<svg"), "a chart");
        assert!(page.body.contains(&format!("<html lang=\"{lang}\">")));
        assert!(!page.body.contains("my private words"));
    }
    let served = get(&app.url(&format!("/results/{SURVEY}/{release}.json")));
    assert_eq!(served.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&served.body).expect("json"),
        report
    );
    let csv = get(&app.url(&format!("/results/{SURVEY}/{release}/country.csv")));
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("kind,choice,label,value,margin95"));
    let csv_files = std::fs::read_dir(survey_dir.join(release))
        .expect("out dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .count();
    assert_eq!(csv_files, tables.len(), "a CSV per table");
    let budget = chorus(
        &["budget", SURVEY, "--db", &db, "--surveys", &lib],
        app.dir.path(),
    );
    assert!(budget.status.success(), "{}", text(&budget));
    assert!(
        text(&budget).contains("spent 1, 2 remains"),
        "{}",
        text(&budget)
    );
    assert!(text(&budget).contains(release), "{}", text(&budget));

    // 1 + 2.5 > 3: refused, nothing written, nothing charged.
    let out2 = app.dir.path().join("out2");
    let refused = publish(
        &app,
        SURVEY,
        &lib,
        out2.to_str().expect("utf-8"),
        &["--epsilon", "2.5"],
    );
    assert!(!refused.status.success(), "{}", text(&refused));
    let t = text(&refused);
    assert!(t.contains("budget"), "explains the refusal: {t}");
    assert!(!out2.exists(), "nothing written on refusal");
    assert_eq!(ledger_total(&app), vec![(1, 1)]);
    assert_eq!(app.releases(), 1);

    // Exactly the rest of the budget still fits.
    let out3 = app.dir.path().join("out3");
    let rest = publish(
        &app,
        SURVEY,
        &lib,
        out3.to_str().expect("utf-8"),
        &["--epsilon", "2"],
    );
    assert!(rest.status.success(), "{}", text(&rest));
    assert_eq!(ledger_total(&app), vec![(1, 1), (2, 1)]);
}

#[test]
fn publish_follows_the_survey_plan_and_budget_shows_the_ledger() {
    let app = spawn_app(false);
    let db = app.db.clone();
    let lib = library().to_str().expect("utf-8").to_string();
    let out = app.dir.path().join("out");
    let o = out.to_str().expect("utf-8");
    let survey = "network-priorities";
    // --epsilon that is not the plan's cost is refused, naming the cost.
    let wrong = publish(&app, survey, &lib, o, &["--epsilon", "1"]);
    assert!(!wrong.status.success());
    assert!(
        text(&wrong).contains("give exactly 1.8"),
        "{}",
        text(&wrong)
    );
    assert!(ledger_total(&app).is_empty());
    // Without --epsilon: the plan's tables, charged their sum.
    let run = publish(&app, survey, &lib, o, &[]);
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(ledger_total(&app), vec![(9, 5)]);
    let json = std::fs::read_dir(out.join(survey))
        .expect("out")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("json");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("read")).expect("json");
    assert_eq!(report["schema"], "chorus.report/2");
    assert_eq!(report["plan"], "declared");
    let ids: Vec<&str> = report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "members",
            "first_priority",
            "priority_rank",
            "positions",
            "represented"
        ]
    );
    // Every cell noised even with no answers at all: 12 countries, 8 options, …
    assert_eq!(
        report["tables"][0]["cells"]
            .as_array()
            .expect("cells")
            .len(),
        12
    );
    assert_eq!(
        report["tables"][3]["cells"]
            .as_array()
            .expect("cells")
            .len(),
        30
    );
    // 0.2 remains; the next release of the plan (1.8) is refused.
    let again = publish(&app, survey, &lib, o, &[]);
    assert!(!again.status.success());
    assert!(text(&again).contains("0.2 remains"), "{}", text(&again));
    let budget = chorus(
        &["budget", survey, "--db", &db, "--surveys", &lib],
        app.dir.path(),
    );
    let t = text(&budget);
    assert!(budget.status.success(), "{t}");
    assert!(
        t.contains("spent 1.8, 0.2 remains") && t.contains("5 planned tables"),
        "{t}"
    );
    assert!(t.contains("more than remains"), "{t}");
}

#[test]
fn publish_refuses_bad_arguments_clearly() {
    let app = spawn_app(false);
    let db = app.db.clone();
    let lib = library().to_str().expect("utf-8").to_string();
    let out = app.dir.path().join("out");
    let o = out.to_str().expect("utf-8");
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "publish",
                SURVEY,
                "--epsilon",
                "lots",
                "--db",
                &db,
                "--surveys",
                &lib,
                "--out",
                o,
            ],
            "--epsilon",
        ),
        (
            &[
                "publish",
                SURVEY,
                "--epsilon",
                "0",
                "--db",
                &db,
                "--surveys",
                &lib,
                "--out",
                o,
            ],
            "greater than 0",
        ),
        (
            &[
                "publish",
                "nope",
                "--epsilon",
                "1",
                "--db",
                &db,
                "--surveys",
                &lib,
                "--out",
                o,
            ],
            "no survey `nope`",
        ),
    ];
    for (args, expected) in cases {
        let r = chorus(args, app.dir.path());
        assert!(!r.status.success());
        assert!(text(&r).contains(expected), "{expected}: {}", text(&r));
    }
    assert!(!out.exists());
    assert!(ledger_total(&app).is_empty());
}

/// Runs `chorus import` on an XLSForm fixture into a fresh folder.
fn import(fixture: &str) -> (std::process::Output, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let form = repo_root().join("xlsform/tests/fixtures").join(fixture);
    let out = dir.path().join("imported.toml");
    let run = chorus(
        &[
            "import",
            form.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ],
        dir.path(),
    );
    (run, out, dir)
}

#[test]
fn import_converts_an_xlsform_that_then_checks_clean() {
    let (run, out, dir) = import("ost_hiv_needs.xlsx");
    assert!(run.status.success(), "{}", text(&run));
    let check = chorus(&["check", out.to_str().expect("utf-8")], dir.path());
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn import_reads_xls_and_ods_workbooks_too() {
    for form in ["legacy.xls", "legacy.ods"] {
        let (run, out, dir) = import(form);
        let t = text(&run);
        assert!(run.status.success(), "{form}: {t}");
        assert!(t.contains("legacy_form v5 (5 questions)"), "{form}: {t}");
        let check = chorus(&["check", out.to_str().expect("utf-8")], dir.path());
        assert!(check.status.success(), "{form}: {}", text(&check));
    }
}

#[test]
fn import_refuses_a_form_that_tracks_respondents() {
    let (run, out, _dir) = import("tracking.xlsx");
    let t = text(&run);
    assert!(!run.status.success(), "{t}");
    assert!(
        t.contains("deviceid") || t.contains("geopoint"),
        "names the tracking type: {t}"
    );
    assert!(!out.exists(), "nothing written for a refused form");
}

#[test]
fn check_refuses_a_plan_whose_real_charge_exceeds_the_budget() {
    // Declared ε 0.5 fits a budget of 1, but a discrete-Gaussian table is
    // charged its (ε, δ) conversion, which is far more.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("gauss.toml");
    std::fs::write(
        &file,
        r#"
id = "gauss"
version = 1
languages = ["en"]
privacy_budget = 1
title = { en = "Gaussian plan" }

[[questions]]
id = "q"
type = "single_choice"
label = { en = "Q" }
choices = [{ id = "a", label = { en = "A" } }, { id = "b", label = { en = "B" } }]

[[publication.tables]]
id = "q_counts"
question = "q"
statistic = "counts"
epsilon = 0.5
mechanism = "gaussian"
"#,
    )
    .expect("write");
    let out = chorus(&["check", file.to_str().expect("utf-8")], dir.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("publication:"), "{t}");
}

#[test]
fn a_gaussian_release_records_its_delta_in_the_public_ledger() {
    let folder = crate::helpers::survey_folder(
        "network-priorities.toml",
        &[
            ("privacy_budget = 2", "privacy_budget = 5"),
            (
                "statistic = \"total\"\nby = [\"country\"]\nepsilon = 0.2",
                "statistic = \"total\"\nby = [\"country\"]\nepsilon = 0.2\nmechanism = \"gaussian\"",
            ),
        ],
    );
    let app = crate::helpers::spawn_app_with(false, folder.path().to_path_buf(), 0);
    let db = app.db.clone();
    let surveys = folder.path().to_str().expect("utf-8").to_string();
    let out = app.dir.path().join("out");
    let survey = "network-priorities";
    let run = publish(&app, survey, &surveys, out.to_str().expect("utf-8"), &[]);
    assert!(run.status.success(), "{}", text(&run));
    let charges = ledger(&app);
    let [charge] = charges.as_slice() else {
        panic!("one charge: {charges:?}");
    };
    let delta = charge.delta;
    assert_eq!(delta, 1e-6);

    let budget = chorus(
        &["budget", survey, "--db", &db, "--surveys", &surveys],
        app.dir.path(),
    );
    assert!(budget.status.success(), "{}", text(&budget));
    assert!(text(&budget).contains("δ spent 1e-6"), "{}", text(&budget));
    assert!(text(&budget).contains("δ = 1e-6"), "{}", text(&budget));

    let page = get(&app.url(&format!("/results/{survey}?lang=en")));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<th scope=\"col\">δ</th>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td class=\"n\">1e-6</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Spent in all: δ = 1e-6."),
        "{}",
        page.body
    );
}

/// The runner installs under the operator's neutral name and icon: the
/// manifest and icon are served from the collector itself, every runner
/// page links the manifest, and the policy allows only this origin's. A
/// name or icon that cannot be used stops `chorus serve` with the reason.
#[test]
fn the_runner_installs_under_the_operators_neutral_name_and_icon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let icon = dir.path().join("notes.svg");
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><rect width=\"8\" height=\"8\"/></svg>";
    std::fs::write(&icon, svg).expect("write icon");
    let icon_arg = icon.display().to_string();
    let (db, _) = crate::helpers::fresh_db(dir.path());
    let app = crate::helpers::serve_child(
        &db,
        &["--app-name", "Заметки", "--app-icon", &icon_arg],
        &[],
    );
    let manifest = get(&app.url("/manifest.webmanifest"));
    assert_eq!(manifest.status, 200);
    assert_eq!(
        manifest.header("content-type"),
        Some("application/manifest+json")
    );
    let m = manifest.json();
    assert_eq!(m["name"], "Заметки");
    assert_eq!(m["short_name"], "Заметки");
    assert_eq!(m["start_url"], "/");
    assert_eq!(m["display"], "standalone");
    assert_eq!(
        m["icons"],
        json!([{"src": "/app-icon", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}])
    );
    let served = get(&app.url("/app-icon"));
    assert_eq!(served.header("content-type"), Some("image/svg+xml"));
    assert_eq!(served.body, svg);
    for page in ["/", "/s/ost-hiv-access"] {
        let r = get(&app.url(page));
        assert!(
            r.body
                .contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">"),
            "{page}"
        );
        let csp = r.header("content-security-policy").expect("a policy");
        assert!(csp.contains("manifest-src 'self'"), "{page}: {csp}");
    }
    drop(app);

    let refused = chorus(&["serve", "--app-name", "<b>Report</b>"], dir.path());
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("the app name must be 1 to 30 characters"),
        "{}",
        text(&refused)
    );
    let small = dir.path().join("tiny.txt");
    std::fs::write(&small, "not an icon").expect("write");
    let surveys = library().display().to_string();
    let refused = chorus(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--surveys",
            &surveys,
            "--app-icon",
            &small.display().to_string(),
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("must be a PNG of at least 192×192 pixels or an SVG file"),
        "{}",
        text(&refused)
    );
}

/// A folder of survey files holding only the repeat fixture (`incidents`).
fn repeat_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo_root().join("surveys/tests/repeat.toml"),
        dir.path().join("incidents.toml"),
    )
    .expect("copy the fixture");
    dir
}

#[test]
fn export_writes_each_repeat_to_a_file_of_its_own_in_long_format() {
    use crate::admin::{call, token};

    let surveys = repeat_folder();
    let surveys_arg = surveys.path().to_str().expect("utf-8");
    let app = crate::helpers::spawn_app_with(false, surveys.path().to_path_buf(), 0);
    let ids = [new_id(), new_id(), new_id()];
    let answers = [
        json!({"country": "ua", "reported": "no", "incidents": [
            {"when": "2026-03-01", "by": ["police", "other"], "by_other": "guards, night", "injured": 2},
            {"when": "2026-04-01", "by": ["medics"], "same_place": true}]}),
        json!({"country": "kz"}),
        json!({"country": "ua", "reported": "yes", "incidents": [
            {"when": "2026-02-10", "by": ["police"], "injured": 0}]}),
    ];
    for (id, a) in ids.iter().zip(&answers) {
        let r = post(
            &app.url("/api/surveys/incidents/responses"),
            &json!({"submission_id": id, "answers": a}).to_string(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let day = collector::store::today();
    let db = app.db.as_str();
    let dir = app.dir.path();
    let path = |name: &str| dir.join(name).to_str().expect("utf-8").to_string();
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "incidents", "--db", db, "--surveys", surveys_arg];
        args.extend_from_slice(extra);
        chorus(&args, dir)
    };

    // CSV: the main file, and the repeat's beside it.
    let run = export(&[
        "--out",
        &path("answers.csv"),
        "--codebook",
        &path("book.csv"),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!(
            "exported 3 responses of incidents to {}\n\
             exported 3 instances of repeat `incidents` to {}\n\
             wrote the codebook to {}\n",
            path("answers.csv"),
            path("answers.incidents.csv"),
            path("book.csv")
        )
    );
    let main = std::fs::read_to_string(dir.join("answers.csv")).expect("main file");
    assert_eq!(
        main,
        format!(
            "submission_id,survey_version,received_day,country,incidents,total_injured,reported\r\n\
             {},1,{day},ua,2,2,no\r\n\
             {},1,{day},kz,0,0,\r\n\
             {},1,{day},ua,1,0,yes\r\n",
            ids[0], ids[1], ids[2]
        )
    );
    let long = std::fs::read_to_string(dir.join("answers.incidents.csv")).expect("repeat file");
    assert_eq!(
        long,
        format!(
            "submission_id,instance,when,by__police,by__medics,by__other,by_other,injured,same_place\r\n\
             {0},1,2026-03-01,1,0,1,\"guards, night\",2,\r\n\
             {0},2,2026-04-01,0,1,0,,,1\r\n\
             {1},1,2026-02-10,1,0,0,,0,\r\n",
            ids[0], ids[2]
        )
    );
    let book = std::fs::read_to_string(dir.join("book.csv")).expect("codebook");
    assert!(
        book.starts_with("column,question,text,type,values,notes,repeat\r\n"),
        "{book}"
    );
    assert!(
        book.contains("\r\nwhen,when,When did it happen?,date,\"date YYYY-MM-DD, at most today\",empty = not answered or not asked,incidents\r\n"),
        "{book}"
    );

    // The admin API serves the same two files.
    let researcher = token(&app, "researcher");
    let api = |query: &str| {
        call(
            "GET",
            &app.url(&format!("/api/admin/surveys/incidents/export?{query}")),
            Some(&researcher),
        )
    };
    assert_eq!(api("format=csv").body, main);
    let r = api("format=csv&repeat=incidents");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, long);
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.ends_with(&format!("incidents-{day}.incidents.csv\""))),
        "{:?}",
        r.headers
    );
    for (bad, says) in [
        (
            "repeat=witnesses",
            "has no repeat `witnesses`; its repeats are incidents",
        ),
        (
            "format=json&repeat=incidents",
            "JSON Lines has no such file",
        ),
    ] {
        let r = api(bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"], "bad_parameter");
        assert!(r.body.contains(says), "{bad}: {}", r.body);
    }

    // JSON Lines: one file, the instances nested in their response's line.
    let run = export(&["--format", "json", "--out", &path("answers.jsonl")]);
    assert!(run.status.success(), "{}", text(&run));
    assert!(!dir.join("answers.incidents.jsonl").exists());
    let lines: Vec<Value> = std::fs::read_to_string(dir.join("answers.jsonl"))
        .expect("json lines")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0]["incidents"],
        json!([
            {"when": "2026-03-01", "by__police": 1, "by__medics": 0, "by__other": 1,
             "by_other": "guards, night", "injured": 2, "same_place": null},
            {"when": "2026-04-01", "by__police": 0, "by__medics": 1, "by__other": 0,
             "by_other": null, "injured": null, "same_place": 1}
        ])
    );
    assert_eq!(lines[1]["incidents"], json!([]));

    // Refused before anything is written: an --out that is not a file (the
    // repeat's file would go beside it), a codebook where the repeat's
    // file goes.
    let run = export(&["--out", "/dev/stdout", "--codebook", &path("never.csv")]);
    assert!(!run.status.success());
    let said = text(&run);
    assert!(
        said.contains("--out /dev/stdout is not a file")
            && said.contains("/dev/stdout.incidents.csv")
            && said.contains("--format json"),
        "{said}"
    );
    assert!(!dir.join("never.csv").exists());
    let run = export(&[
        "--out",
        &path("other.csv"),
        "--codebook",
        &path("other.incidents.csv"),
    ]);
    assert!(!run.status.success());
    assert!(
        text(&run).contains("is where the export writes the instances of repeat `incidents`"),
        "{}",
        text(&run)
    );
    assert!(!dir.join("other.csv").exists() && !dir.join("other.incidents.csv").exists());
}
