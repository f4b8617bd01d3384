//! `chorus`: thin glue over the crates. Parses flags, calls into `surveys`,
//! `collector` and `analysis`, prints what happened.

mod admin;
mod bench;
mod import;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use collector::db;
use surveys::Epsilon;

#[derive(Parser, Debug)]
#[command(
    name = "chorus",
    version,
    about = "Surveys and community consultations that protect the people who answer",
    long_about = "Chorus collects survey answers without storing anything that identifies a \
                  respondent, and publishes only aggregated numbers with differential-privacy \
                  noise under a per-survey privacy budget."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the collector: the form runner, the API and published results.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// SQLite database file (created if missing).
        #[arg(long, default_value = "chorus.db")]
        db: PathBuf,
        /// Folder of survey files (*.toml) to serve.
        #[arg(long, default_value = "surveys/library")]
        surveys: PathBuf,
        /// The built frontend (Trunk's output folder).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Submissions accepted per client (IP address) and minute, counted in
        /// memory only; 0 turns the limit off (behind a reverse proxy, limit there).
        #[arg(long, default_value_t = collector::app::DEFAULT_RATE_LIMIT)]
        rate_limit: u32,
    },
    /// Check survey files and list every problem in them.
    Check {
        /// Survey files, or folders of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Publish noised counts of a survey's choice questions, charging its privacy budget.
    Publish {
        /// The survey's id (as in its file).
        survey: String,
        /// Privacy loss ε to spend on this publication, e.g. 1, 0.5 or 1/3.
        #[arg(long)]
        epsilon: String,
        /// SQLite database file holding the responses.
        #[arg(long, default_value = "chorus.db")]
        db: PathBuf,
        /// Folder of survey files.
        #[arg(long, default_value = "surveys/library")]
        surveys: PathBuf,
        /// Folder to write the report into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Admin tokens for /api/admin: create, list, revoke.
    Token {
        #[command(subcommand)]
        action: admin::TokenCommand,
    },
    /// Close a survey to new answers, or open it again.
    Survey {
        #[command(subcommand)]
        action: admin::SurveyCommand,
    },
    /// Export a survey's raw responses (CSV or JSON Lines) and its codebook.
    Export(admin::ExportArgs),
    /// Load benchmark: a collector child process driven over loopback, and the raw SQLite ceiling.
    Bench(bench::BenchArgs),
    /// Convert an XLSForm (.xlsx) into a survey file; notes on what did not convert go to stderr.
    Import {
        /// The XLSForm workbook (survey, choices and settings sheets).
        form: PathBuf,
        /// Write the survey file here instead of printing it.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            addr,
            db,
            surveys,
            dist,
            rate_limit,
        } => serve(addr, db, surveys, dist, rate_limit),
        Command::Check { paths } => check(&paths),
        Command::Publish {
            survey,
            epsilon,
            db,
            surveys,
            out,
        } => publish(&survey, &epsilon, &db, &surveys, &out),
        Command::Token { action } => admin::token(action),
        Command::Survey { action } => admin::survey(action),
        Command::Export(args) => admin::export(args),
        Command::Bench(args) => bench::run(args),
        Command::Import {
            form,
            output,
            force,
        } => import::run(&form, output.as_deref(), force),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    addr: SocketAddr,
    db: PathBuf,
    surveys: PathBuf,
    dist: PathBuf,
    rate_limit: u32,
) -> Result<ExitCode> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // RUST_LOG chooses the detail, but only Chorus's own crates may log below
    // `warn`: the HTTP libraries' debug and trace output can carry request
    // headers (addresses, user agents, cookies), so it is never let through.
    let ceiling = tracing_subscriber::filter::Targets::new()
        .with_default(tracing_subscriber::filter::LevelFilter::WARN)
        .with_target("chorus", tracing_subscriber::filter::LevelFilter::TRACE)
        .with_target("collector", tracing_subscriber::filter::LevelFilter::TRACE)
        .with_target("surveys", tracing_subscriber::filter::LevelFilter::TRACE)
        .with_target("analysis", tracing_subscriber::filter::LevelFilter::TRACE);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,warp=warn,hyper=warn".into()),
        )
        .with_target(false)
        .with_timer(DayTimer)
        .finish()
        .with(ceiling)
        .init();
    let dist = dist.join("index.html").is_file().then_some(dist);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let config = collector::Config {
            rate_limit,
            ..collector::Config::new(addr, db.clone(), surveys, dist.clone())
        };
        let app = collector::Application::build(config).await?;
        println!(
            "Chorus collector on http://{} — database {}, surveys: {}",
            app.addr(),
            db.display(),
            app.survey_ids().join(", ")
        );
        if dist.is_none() {
            println!("note: no built frontend found; serving the API only (run scripts/run.sh to build it)");
        }
        app.run_until(shutdown_signal()).await;
        println!("Chorus collector stopped; every acknowledged answer is committed.");
        Ok::<_, anyhow::Error>(())
    })?;
    // The writer has committed and stopped; do not wait on stray tasks
    // (a client reading an export slowly) for long.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}

/// Log lines are dated to the day (UTC), never timed: a precise time beside
/// a submission's log line could point to the person who sent it.
struct DayTimer;

impl tracing_subscriber::fmt::time::FormatTime for DayTimer {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", db::today())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn survey_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = survey_files(paths)?;
    if files.is_empty() {
        bail!("no survey files (*.toml) found");
    }
    let mut problems = 0;
    let mut bad_files = 0;
    let mut clean = Vec::new();
    for file in &files {
        match surveys::load_file(file) {
            Ok(s) => clean.push(format!(
                "{} v{} ({} questions)",
                s.id,
                s.version,
                s.questions.len()
            )),
            Err(e) => {
                println!("{e}");
                problems += e.problems.len();
                bad_files += 1;
            }
        }
    }
    if problems > 0 {
        println!(
            "{problems} problem{} in {bad_files} of {} file{}",
            if problems == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "{} survey file{} checked, no problems: {}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        clean.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// Why a publish failed: a refusal from analysis or a database problem.
#[derive(Debug, thiserror::Error)]
enum PublishError {
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    #[error(transparent)]
    Budget(#[from] analysis::budget::BudgetError),
    #[error(transparent)]
    Store(#[from] db::StoreError),
}

fn publish(
    survey_id: &str,
    epsilon: &str,
    db_path: &Path,
    surveys_dir: &Path,
    out: &Path,
) -> Result<ExitCode> {
    let epsilon: Epsilon = epsilon.parse().map_err(|e| anyhow!("--epsilon: {e}"))?;
    if epsilon.is_zero() {
        bail!("--epsilon must be greater than 0");
    }
    let surveys = collector::load_surveys(surveys_dir)?;
    let survey = surveys.get(survey_id).ok_or_else(|| {
        anyhow!(
            "no survey `{survey_id}` in {} (known: {})",
            surveys_dir.display(),
            surveys.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })?;
    if !db_path.is_file() {
        bail!(
            "no database at {}; run `chorus serve --db {}` first",
            db_path.display(),
            db_path.display()
        );
    }
    let mut conn = db::open(db_path)?;
    let day = db::today();
    // ChaCha12 seeded from the operating system: a cryptographically secure generator.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the noise generator from the operating system: {e}"))?;
    let html_languages: Vec<String> = survey.languages.clone();
    let mut pages: Vec<(String, String)> = Vec::new();
    let release = db::publish::<PublishError>(
        &mut conn,
        &survey.id,
        epsilon,
        &day,
        "counts of every choice question (discrete Laplace)",
        |spent| {
            analysis::budget::check_spend(survey.privacy_budget, spent, epsilon)?;
            Ok(())
        },
        |cx, responses| {
            let meta = analysis::report::ReleaseMeta {
                release_id: cx.release_id.clone(),
                published: cx.day.clone(),
                epsilon,
            };
            let report = analysis::report::build_report(survey, responses, meta, &mut rng)?;
            for lang in &html_languages {
                pages.push((lang.clone(), analysis::report::render_html(&report, lang)));
            }
            Ok(db::Release {
                release_id: cx.release_id.clone(),
                json: analysis::report::render_json(&report),
                html: analysis::report::render_html(&report, &survey.default_language),
            })
        },
    )?;

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let stem = format!("{}-{}", survey.id, release.release_id);
    let json_path = out.join(format!("{stem}.json"));
    std::fs::write(&json_path, &release.json)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    let mut written = vec![json_path.display().to_string()];
    for (lang, html) in pages {
        let p = out.join(format!("{stem}.{lang}.html"));
        std::fs::write(&p, html).with_context(|| format!("cannot write {}", p.display()))?;
        written.push(p.display().to_string());
    }
    let spent = db::spent(&conn, &survey.id)?;
    let remaining = survey
        .privacy_budget
        .checked_sub(spent)
        .unwrap_or(Epsilon::ZERO);
    println!(
        "published {} release {} with ε = {epsilon}; budget spent {spent} of {}, {remaining} remains",
        survey.id, release.release_id, survey.privacy_budget
    );
    for w in written {
        println!("  wrote {w}");
    }
    println!("  served at /results/{}", survey.id);
    Ok(ExitCode::SUCCESS)
}
