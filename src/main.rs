//! `chorus`: thin glue over the crates. Parses flags, calls into `surveys`,
//! `collector` and `analysis`, prints what happened.

mod admin;
mod bench;
mod bench_open;
mod bench_publish;
mod database;
mod import;
mod keys;
mod logs;
mod publish;
mod rds;
// `--from URL`: export and publish against a remote collector's admin API.
mod remote;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use collector::store;

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
        #[command(flatten)]
        db: database::DbArgs,
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
        /// Where the runners' quick exit goes: a neutral public page that
        /// replaces the survey (an http or https address).
        #[arg(long, default_value = collector::pages::DEFAULT_EXIT_URL, value_parser = exit_url)]
        exit_url: String,
        /// The runner's name when a member installs it on a home screen:
        /// something neutral, seen by whoever holds the phone.
        #[arg(long, default_value = collector::install::DEFAULT_APP_NAME, value_parser = app_name)]
        app_name: String,
        /// Its icon: a PNG of at least 192×192 pixels or an SVG file (by
        /// default a plain note).
        #[arg(long)]
        app_icon: Option<PathBuf>,
        /// Seconds a client may take to send a whole request header (on a
        /// new connection and between keep-alive requests); then it is
        /// closed.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: u64,
        /// Seconds from a request's header to its response, body upload
        /// included; a slower request gets 408.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        request_timeout: u64,
        /// Open connections at most. At the cap a new connection closes the
        /// idle one that waited longest (never one whose request is being
        /// handled). Keep it under the open-files limit (`ulimit -n`).
        #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: u64,
    },
    /// Check survey files and list every problem in them.
    Check {
        /// Survey files, or folders of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Publish a survey's planned tables with differential-privacy noise, charging its privacy budget.
    Publish(publish::PublishArgs),
    /// Show a survey's privacy-budget ledger: every release, its ε, its day, and what remains.
    Budget(publish::BudgetArgs),
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
    /// Copy a collector's whole database into a new one (SQLite to PostgreSQL, as a deployment grows), then count both.
    Migrate(MigrateArgs),
    /// Export a survey's raw responses (CSV or JSON Lines) and its codebook.
    Export(admin::ExportArgs),
    /// Make the researchers' key pair: a passphrase-protected private key file, and the public key for survey files.
    Keygen(keys::KeygenArgs),
    /// Load benchmark: a collector child process driven over loopback, and the raw SQLite ceiling; with --db postgres://…, SQLite beside one and two collectors on PostgreSQL.
    Bench(bench::BenchArgs),
    /// Publish benchmark: 1 000 000 synthetic responses to a 30-question survey, then time `publish`.
    BenchPublish(bench_publish::BenchPublishArgs),
    /// Opening benchmark: 1 000 000 sealed responses opened, validated and exported as with `export --key`.
    BenchOpen(bench_open::BenchOpenArgs),
    /// For `chorus bench` only: a bare hyper server answering a constant 404.
    #[command(hide = true)]
    BenchBareHttp {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
    },
    /// Convert an XLSForm (.xlsx, .xls or .ods) into a survey file; notes on what did not convert go to stderr.
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
    /// Respondent-driven sampling: estimate a variable's population proportions from a recruitment file (RDS-I, RDS-II).
    Rds {
        #[command(subcommand)]
        action: rds::RdsCommand,
    },
}

#[derive(clap::Args, Debug)]
struct MigrateArgs {
    /// The database to copy: a SQLite file or a PostgreSQL URL. It is only read.
    #[arg(long, value_name = "FILE|URL")]
    from: String,
    /// A password file for --from, when it is PostgreSQL.
    #[arg(long, value_name = "FILE")]
    from_password_file: Option<PathBuf>,
    /// The new, empty database: a PostgreSQL URL (or a new SQLite file).
    #[arg(long, value_name = "URL|FILE")]
    to: String,
    /// A password file for --to (else CHORUS_DB_PASSWORD_FILE, then PGPASSWORD).
    #[arg(long, value_name = "FILE")]
    to_password_file: Option<PathBuf>,
}

/// `chorus migrate`: everything copied in one transaction, then counted.
fn migrate(args: MigrateArgs) -> Result<ExitCode> {
    let from =
        store::Location::parse(&args.from, args.from_password_file.as_deref())?.existing()?;
    let to = store::Location::parse(&args.to, args.to_password_file.as_deref())?;
    if from == to {
        bail!("--from and --to are the same database");
    }
    let mut source = store::Store::open_read_only(&from)?;
    let mut target = store::Store::open(&to)?;
    let copied = store::copy::copy(&mut source, &mut target)?;
    println!(
        "copied {} from {} to {}; both counted again and equal",
        store::copy::describe(&copied),
        from,
        to
    );
    Ok(ExitCode::SUCCESS)
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
            exit_url,
            app_name,
            app_icon,
            header_timeout,
            request_timeout,
            max_connections,
        } => serve(
            addr,
            db,
            surveys,
            dist,
            rate_limit,
            Install {
                exit_url,
                app_name,
                app_icon,
            },
            collector::serve::Limits {
                header_timeout: std::time::Duration::from_secs(header_timeout),
                request_timeout: std::time::Duration::from_secs(request_timeout),
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            },
        ),
        Command::Check { paths } => check(&paths),
        Command::Publish(args) => publish::run(args),
        Command::Budget(args) => publish::budget(args),
        Command::Token { action } => admin::token(action),
        Command::Survey { action } => admin::survey(action),
        Command::Export(args) => admin::export(args),
        Command::Migrate(args) => migrate(args),
        Command::Keygen(args) => keys::keygen(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchPublish(args) => bench_publish::run(args),
        Command::BenchOpen(args) => bench_open::run(args),
        Command::BenchBareHttp { addr } => bench::bare_http(addr),
        Command::Import {
            form,
            output,
            force,
        } => import::run(&form, output.as_deref(), force),
        Command::Rds { action } => rds::run(action),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--exit-url`: an absolute http(s) address, nothing a page could run.
fn exit_url(s: &str) -> Result<String, String> {
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not an http or https address such as https://www.example.org/"
        ))
    }
}

/// `--app-name`: short plain text.
fn app_name(s: &str) -> Result<String, String> {
    collector::install::check_name(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// What members see of the collector outside a survey: where the quick
/// exit goes, and what an installed runner is called and looks like.
struct Install {
    exit_url: String,
    app_name: String,
    app_icon: Option<PathBuf>,
}

fn serve(
    addr: SocketAddr,
    db: database::DbArgs,
    surveys: PathBuf,
    dist: PathBuf,
    rate_limit: u32,
    install: Install,
    limits: collector::serve::Limits,
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
    // Written by one thread, many lines per system call; `flush` writes
    // what is left on every way out of this function.
    let (lines, flush) = logs::to_stdout().context("cannot start the log writer")?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,warp=warn,hyper=warn".into()),
        )
        .with_target(false)
        // Colour only on a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_timer(DayTimer)
        .with_writer(lines)
        .finish()
        .with(ceiling)
        .init();
    let dist = dist.join("index.html").is_file().then_some(dist);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let location = db.location()?;
    runtime.block_on(async move {
        let config = collector::Config {
            rate_limit,
            exit_url: install.exit_url,
            app_name: install.app_name,
            app_icon: install.app_icon,
            limits,
            ..collector::Config::new(addr, location.clone(), surveys, dist.clone())
        };
        let app = collector::Application::build(config).await?;
        println!(
            "Chorus collector on http://{} — database {} ({}), surveys: {}",
            app.addr(),
            location,
            app.backend().name(),
            app.survey_ids().join(", ")
        );
        for id in app.plaintext_survey_ids() {
            println!("{PLAINTEXT_NOTE_PREFIX}{id}{PLAINTEXT_NOTE}");
        }
        if dist.is_none() {
            println!("note: no built frontend found; serving the API only (run scripts/run.sh to build it)");
        }
        app.run_until(shutdown_signal()).await;
        flush.flush();
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
        write!(w, "{}", store::today())
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

/// Said of every survey without `public_keys`, by `chorus check` and at the
/// collector's start.
const PLAINTEXT_NOTE_PREFIX: &str = "warning: survey `";
const PLAINTEXT_NOTE: &str = "` stores answers in PLAINTEXT: whoever holds the collector's \
     database can read them; add `public_keys` (see `chorus keygen`) to seal them on the device";

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = survey_files(paths)?;
    if files.is_empty() {
        bail!("no survey files (*.toml) found");
    }
    let mut problems = 0;
    let mut bad_files = 0;
    let mut clean = Vec::new();
    let mut plaintext = Vec::new();
    for file in &files {
        match collector::check_survey_file(file) {
            Ok(s) => {
                if !s.is_sealed() {
                    plaintext.push(s.id.clone());
                }
                clean.push(format!(
                    "{} v{} ({} questions{})",
                    s.id,
                    s.version,
                    s.questions.len(),
                    if s.is_sealed() { ", sealed" } else { "" }
                ));
            }
            Err(e) => {
                println!("{e}");
                problems += e.problems.len();
                bad_files += 1;
            }
        }
    }
    for id in &plaintext {
        println!("{PLAINTEXT_NOTE_PREFIX}{id}{PLAINTEXT_NOTE}");
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
