//! `chorus bench-open`: how fast the researcher's side opens sealed
//! answers. Not a test: it prints figures.
//!
//! 1. Makes a key and a sealed copy of the bundled `ost-hiv-access` survey.
//! 2. Seals N synthetic answer sets (on every core) and writes the
//!    envelopes straight into a fresh database, as the collector stores
//!    them.
//! 3. Times `chorus export --key`'s path on them: read every row, open the
//!    envelope, check its payload, validate it with the engine, write the
//!    CSV row — and prints envelopes per second.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use collector::export;
use collector::opening::Opener;
use collector::store::{self, NewResponse, Store};
use serde_json::{Map, Value, json};

#[derive(Args, Debug)]
pub struct BenchOpenArgs {
    /// Sealed responses to generate and open.
    #[arg(long, default_value_t = 1_000_000)]
    responses: usize,
    /// Folder for the benchmark's files (a fresh subfolder is made and removed).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Folder of survey files (must hold `ost-hiv-access`).
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
}

const SURVEY: &str = "ost-hiv-access";
const COUNTRIES: [&str; 6] = ["ua", "kz", "ge", "md", "kg", "am"];

fn answers(i: usize) -> Map<String, Value> {
    let v = json!({
        "country": COUNTRIES[i % COUNTRIES.len()],
        "services_used": ["ost"],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn run(args: BenchOpenArgs) -> Result<ExitCode> {
    if cfg!(debug_assertions) {
        println!(
            "warning: this is a debug build; run `cargo run --release -- bench-open` for real figures"
        );
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let work = args
        .dir
        .join(format!("chorus-bench-open-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let result = run_in(&work, &args);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run_in(work: &Path, args: &BenchOpenArgs) -> Result<ExitCode> {
    let key = seal::SecretKey::generate();
    let text = std::fs::read_to_string(args.surveys.join(format!("{SURVEY}.toml")))
        .with_context(|| format!("no {SURVEY}.toml in {}", args.surveys.display()))?;
    let sealed = format!("public_keys = [\"{}\"]\n{text}", key.public());
    let survey = surveys::parse_survey(&sealed).map_err(|e| anyhow!("{e}"))?;
    let public = surveys::sealing::sealing_key(&survey)?;
    let n = args.responses;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());

    let mut conn = Store::open(&work.join("bench.db").into())?;
    let started = Instant::now();
    let mut i = 0;
    let mut bucket = 0;
    while i < n {
        let end = (i + 20_000).min(n);
        // Seal this batch on every core.
        let chunk = (end - i).div_ceil(cores);
        let rows: Vec<NewResponse> = std::thread::scope(|scope| {
            let handles: Vec<_> = (i..end)
                .step_by(chunk.max(1))
                .map(|from| {
                    let (survey, public) = (&survey, &public);
                    scope.spawn(move || {
                        (from..(from + chunk).min(end))
                            .map(|k| {
                                let id = format!("00000000-0000-4000-8000-{k:012x}");
                                let s = surveys::sealing::seal_answers(
                                    survey,
                                    public,
                                    &id,
                                    &answers(k),
                                )?;
                                let envelope = seal::decode(&s.envelope)
                                    .ok_or_else(|| anyhow!("sealed text is not base64url"))?;
                                Ok(NewResponse {
                                    submission_id: id,
                                    survey_id: survey.id.clone(),
                                    survey_version: survey.version,
                                    received_day: "2026-11-29".into(),
                                    body: store::Body::Sealed {
                                        key_id: public.id().to_string(),
                                        envelope,
                                    },
                                })
                            })
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("a sealing thread panicked"))?)
                .collect::<Result<Vec<Vec<_>>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        if bucket == 0
            && let Some(store::Body::Sealed { envelope, .. }) = rows.first().map(|r| &r.body)
        {
            bucket = envelope.len();
        }
        conn.insert_responses(&rows)?;
        i = end;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sealed and stored {n} envelopes ({bucket} bytes each) in {secs:.1} s: {:.0} seals/s on {cores} cores",
        n as f64 / secs
    );

    let options = export::Options {
        format: export::Format::Csv,
        lang: survey.default_language.clone(),
        labels: false,
        bom: false,
    };
    let mut read = Store::open_read_only(&work.join("bench.db").into())?;
    let out_path = work.join("export.csv");
    let mut out = BufWriter::with_capacity(256 * 1024, std::fs::File::create(&out_path)?);
    let mut opener = Opener::new(&survey, std::slice::from_ref(&survey), vec![key]);
    let started = Instant::now();
    // The benchmark's survey has no repeats: one file.
    let rows = export::write_export(&mut read, &survey, &options, &mut opener, &mut out, &mut [])?
        .responses;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "opened, validated and exported {rows} envelopes in {secs:.2} s: {:.0} envelopes/s (target ≥ 20 000/s); {} quarantined",
        rows as f64 / secs,
        opener.quarantined().len()
    );
    Ok(ExitCode::SUCCESS)
}
