//! `chorus bench-publish`: how long a publication takes on a large survey.
//! Not a test: it prints figures.
//!
//! 1. Writes a 30-question survey file (single and multiple choice, rating,
//!    grid, ranking, integers) whose plan has 30 tables and 5 cross-tabs.
//! 2. Writes N synthetic responses straight into a fresh SQLite database
//!    with `collector::store::Store::insert_responses`, in large transactions.
//! 3. Times the publication on the same code path as `chorus publish`
//!    (plan, budget check and charge, reading every response, noise,
//!    rendering, storing the release) and prints the time and the peak
//!    resident memory of that phase (VmHWM, reset before it starts).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use collector::store::{self, NewResponse, Store};

#[derive(Args, Debug)]
pub struct BenchPublishArgs {
    /// Synthetic responses to generate.
    #[arg(long, default_value_t = 1_000_000)]
    responses: usize,
    /// Folder for the benchmark's survey and database (a fresh subfolder is
    /// made and removed).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

const COUNTRIES: usize = 12;

/// The survey file: 30 questions and a plan of 30 tables plus 5 cross-tabs.
fn survey_toml() -> String {
    let mut s = String::from(
        "id = \"bench\"\nversion = 1\nlanguages = [\"ru\", \"en\"]\nprivacy_budget = 10\n\
         title = { ru = \"Тест\", en = \"Benchmark\" }\n",
    );
    let choices = |n: usize| {
        (0..n)
            .map(|i| format!("{{ id = \"o{i}\", label = {{ ru = \"В{i}\", en = \"O{i}\" }} }}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut plan = String::from("[publication]\n");
    let mut table = |id: &str, q: &str, stat: &str, extra: &str| {
        let _ = write!(
            plan,
            "[[publication.tables]]\nid = \"{id}\"\nquestion = \"{q}\"\nstatistic = \"{stat}\"\nepsilon = 0.05\n{extra}\n"
        );
    };
    for q in 0..30 {
        let id = format!("q{q}");
        let _ = write!(
            s,
            "\n[[questions]]\nid = \"{id}\"\nlabel = {{ ru = \"Вопрос {q}\", en = \"Question {q}\" }}\n"
        );
        match q {
            0..=4 => {
                let _ = writeln!(
                    s,
                    "type = \"single_choice\"\nchoices = [{}]",
                    choices(COUNTRIES)
                );
                table(&id, &id, "counts", "");
            }
            5..=14 => {
                let _ = writeln!(s, "type = \"single_choice\"\nchoices = [{}]", choices(5));
                table(&id, &id, "counts", "");
            }
            15..=22 => {
                let _ = writeln!(
                    s,
                    "type = \"multiple_choice\"\nmax_selected = 3\nchoices = [{}]",
                    choices(8)
                );
                table(&id, &id, "counts", "");
            }
            23..=25 => {
                let _ = writeln!(s, "type = \"rating\"\nscale = 5");
                table(&id, &id, "counts", "");
            }
            26 => {
                let _ = writeln!(
                    s,
                    "type = \"grid\"\nstatements = [{}]\nscale = [{}]",
                    choices(4),
                    choices(5)
                );
                table(&id, &id, "counts", "");
            }
            27 => {
                let _ = writeln!(
                    s,
                    "type = \"ranking\"\nrank = 3\nchoices = [{}]",
                    choices(6)
                );
                table(&id, &id, "first_choice", "");
            }
            _ => {
                let _ = writeln!(s, "type = \"integer\"\nmin = 0\nmax = 100");
                table(&id, &id, "mean", "lower = 0\nupper = 100");
            }
        }
    }
    for (i, (q, by)) in [
        ("q5", "[\"q0\"]"),
        ("q15", "[\"q0\"]"),
        ("q6", "[\"q0\", \"q1\"]"),
        ("q23", "[\"q2\"]"),
        ("q16", "[\"q3\", \"q4\"]"),
    ]
    .into_iter()
    .enumerate()
    {
        table(&format!("cross{i}"), q, "counts", &format!("by = {by}"));
    }
    s.push('\n');
    s.push_str(&plan);
    s
}

/// A small, fast generator for synthetic answers (not for noise).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn answers(r: &mut XorShift, out: &mut String) {
    out.clear();
    out.push('{');
    for q in 0..30 {
        if q > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"q{q}\":");
        match q {
            0..=4 => {
                let _ = write!(out, "\"o{}\"", r.below(COUNTRIES));
            }
            5..=14 => {
                let _ = write!(out, "\"o{}\"", r.below(5));
            }
            15..=22 => {
                let a = r.below(8);
                let b = (a + 1 + r.below(7)) % 8;
                let _ = write!(out, "[\"o{}\",\"o{}\"]", a.min(b), a.max(b));
            }
            23..=25 => {
                let _ = write!(out, "{}", 1 + r.below(5));
            }
            26 => {
                out.push('{');
                for s in 0..4 {
                    if s > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "\"o{s}\":\"o{}\"", r.below(5));
                }
                out.push('}');
            }
            27 => {
                let a = r.below(6);
                let b = (a + 1 + r.below(5)) % 6;
                let mut c = r.below(6);
                while c == a || c == b {
                    c = (c + 1) % 6;
                }
                let _ = write!(out, "[\"o{a}\",\"o{b}\",\"o{c}\"]");
            }
            _ => {
                let _ = write!(out, "{}", r.below(101));
            }
        }
    }
    out.push('}');
}

pub fn run(args: BenchPublishArgs) -> Result<ExitCode> {
    let work = tempfile_dir(&args.dir)?;
    let result = run_in(&work, args.responses);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn tempfile_dir(parent: &std::path::Path) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!(
        "chorus-bench-publish-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn run_in(work: &std::path::Path, n: usize) -> Result<ExitCode> {
    let file = work.join("bench.toml");
    std::fs::write(&file, survey_toml())?;
    let survey = surveys::load_file(&file).map_err(|e| anyhow!("{e}"))?;
    println!(
        "survey: {} questions, a plan of {} tables ({} cross-tabs)",
        survey.questions.len(),
        survey.publication.tables.len(),
        survey
            .publication
            .tables
            .iter()
            .filter(|t| !t.by.is_empty())
            .count()
    );

    let mut conn = Store::open(&work.join("bench.db").into())?;
    let started = Instant::now();
    let mut r = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut json = String::with_capacity(512);
    let mut i = 0;
    while i < n {
        let end = (i + 100_000).min(n);
        let mut group = Vec::with_capacity(end - i);
        for k in i..end {
            answers(&mut r, &mut json);
            group.push(NewResponse {
                submission_id: format!("00000000-0000-4000-8000-{k:012x}"),
                survey_id: survey.id.clone(),
                survey_version: survey.version,
                received_day: "2026-11-29".into(),
                body: store::Body::Plain(json.clone()),
            });
        }
        conn.insert_responses(&group)?;
        i = end;
    }
    println!(
        "generated {n} responses in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Measure the publication's own peak: reset the high-water mark.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = crate::bench::peak_rss_mib(std::process::id());
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the noise generator: {e}"))?;
    let started = Instant::now();
    let published = collector::publish::publish_release(
        &mut conn,
        &survey,
        None,
        &store::today(),
        &mut collector::opening::Opener::new(&survey, &[], Vec::new()),
        &mut rng,
    )?;
    let secs = started.elapsed().as_secs_f64();
    let peak = crate::bench::peak_rss_mib(std::process::id());
    println!(
        "publish: {} tables, ε = {}, {} bytes of JSON, {} HTML pages, {} CSV files",
        published.report.tables.len(),
        published.report.epsilon,
        published.release.json.len(),
        published.pages.len(),
        published.csvs.len()
    );
    println!("publish time: {secs:.2} s for {n} responses");
    match (before, peak) {
        (Some(b), Some(p)) => println!(
            "peak memory (VmHWM) during publish: {p:.0} MB (after generation, before publish: {b:.0} MB)"
        ),
        _ => println!("peak memory: /proc/self/status not available"),
    }
    Ok(ExitCode::SUCCESS)
}
