//! Building and running the collector: load surveys, open the database,
//! start the writer, bind the port. Tests build it on port 0.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use surveys::Survey;

use crate::assets::Assets;
use crate::ratelimit::RateLimiter;
use crate::routes::{self, IndexPage, State};
use crate::store::{self, Location, Store, StoreError};
use crate::submit::Catalog;
use crate::writer::{Writer, WriterThread};

/// Where the collector listens and what it serves.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// `--db`: a SQLite file or a PostgreSQL database.
    pub db: Location,
    /// A folder of survey files (`*.toml`); every one must check clean.
    pub surveys: PathBuf,
    /// Trunk's output folder; `None` serves the API only.
    pub dist: Option<PathBuf>,
    /// Submissions accepted per client and minute; 0 turns the limit off.
    pub rate_limit: u32,
    /// Where the runners' quick exit goes (`--exit-url`): a neutral page.
    pub exit_url: String,
    /// The installed runner's name on a home screen (`--app-name`).
    pub app_name: String,
    /// Its icon (`--app-icon`: a PNG of at least 192×192 or an SVG);
    /// `None`: a plain note.
    pub app_icon: Option<PathBuf>,
    /// Timeouts and the connection cap against slow and hostile clients.
    pub limits: crate::serve::Limits,
}

/// Submissions per client and minute unless configured otherwise: room
/// for a device sending a day's queued answers, or a few people behind one
/// address (a Tor exit, a drop-in centre's network).
pub const DEFAULT_RATE_LIMIT: u32 = 60;

/// How long open requests may take to finish after shutdown is asked for;
/// then the server stops waiting for them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Config {
    /// A configuration with the default rate limit.
    pub fn new(
        addr: SocketAddr,
        db: impl Into<Location>,
        surveys: PathBuf,
        dist: Option<PathBuf>,
    ) -> Config {
        Config {
            addr,
            db: db.into(),
            surveys,
            dist,
            rate_limit: DEFAULT_RATE_LIMIT,
            exit_url: crate::pages::DEFAULT_EXIT_URL.to_string(),
            app_name: crate::install::DEFAULT_APP_NAME.to_string(),
            app_icon: None,
            limits: crate::serve::Limits::default(),
        }
    }
}

/// Why the collector did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the survey folder {path}: {source}")]
    SurveyDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Survey(#[from] surveys::LoadError),
    #[error("two files define the survey `{0}`")]
    DuplicateSurvey(String),
    #[error("no survey files (*.toml) in {0}")]
    NoSurveys(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the writer thread: {0}")]
    Thread(std::io::Error),
    #[error("{0}")]
    Logic(String),
    #[error(transparent)]
    Install(#[from] crate::install::InstallError),
}

/// Reads and checks one survey file exactly as `chorus check` does: every
/// rule of the loader, and then the publication plan's real charge (a plan
/// with discrete-Gaussian tables costs more than its declared ε, so only
/// analysis can tell whether it fits the budget). The collector loads its
/// surveys through this too, so it never serves one that can never be
/// published.
pub fn check_survey_file(path: &Path) -> Result<Survey, surveys::LoadError> {
    let survey = surveys::load_file(path)?;
    if survey.publication.tables.is_empty() {
        return Ok(survey);
    }
    match analysis::report::prepare(&survey, None) {
        Ok(_) => Ok(survey),
        Err(e) => Err(surveys::LoadError {
            file: Some(path.display().to_string()),
            problems: vec![surveys::Problem {
                place: "publication".into(),
                message: e.to_string(),
            }],
        }),
    }
}

/// Loads every `*.toml` survey in `dir`, reporting every problem of every file.
pub fn load_surveys(dir: &Path) -> Result<BTreeMap<String, Survey>, StartError> {
    let path = dir.display().to_string();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| StartError::SurveyDir {
            path: path.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(StartError::NoSurveys(path));
    }
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for file in files {
        match check_survey_file(&file) {
            Ok(s) => {
                if out.contains_key(&s.id) {
                    return Err(StartError::DuplicateSurvey(s.id));
                }
                out.insert(s.id.clone(), s);
            }
            Err(e) => problems.push(e),
        }
    }
    if let Some(first) = problems.into_iter().reduce(|mut a, b| {
        // One error listing every problem of every file.
        for p in b.problems {
            a.problems.push(surveys::Problem {
                place: format!("{}: {}", b.file.as_deref().unwrap_or("?"), p.place),
                message: p.message,
            });
        }
        a
    }) {
        return Err(first.into());
    }
    Ok(out)
}

/// A collector bound to its port, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: Arc<State>,
    writer_thread: WriterThread,
    limits: crate::serve::Limits,
}

impl Application {
    /// Loads surveys, opens and migrates the database, starts the writer and
    /// binds the address. Must run inside a Tokio runtime.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let surveys = load_surveys(&config.surveys)?;
        // Off the async threads: PostgreSQL's client blocks.
        let (write_conn, read_conn, served, surveys) = {
            let db = config.db.clone();
            tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
                let mut write_conn = Store::open(&db)?;
                // Record each survey's version; refuse a changed survey
                // whose version was not raised; keep the other served
                // versions for validating late answers.
                let served = write_conn.register_versions(surveys.values(), &store::today())?;
                let read_conn = Store::open_read_only(&db)?;
                Ok((write_conn, read_conn, served, surveys))
            })
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??
        };
        let mut catalog = Catalog::default();
        for (id, others) in &served {
            if let Some(current) = surveys.get(id) {
                catalog.insert(current, others).map_err(StartError::Logic)?;
            }
        }
        let (writer, writer_thread) = Writer::start(write_conn).map_err(StartError::Thread)?;
        let install = crate::install::Install::new(&config.app_name, config.app_icon.as_deref())?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let assets = config.dist.as_deref().and_then(|dir| {
            Assets::load(dir)
                .inspect_err(|e| tracing::warn!(error = %e, "the frontend files are not served"))
                .ok()
        });
        let words = crate::routes::ui_words();
        let worker = assets
            .as_ref()
            .map(|a| crate::worker::Worker::new(a, &words, &install));
        let state = Arc::new(State {
            definitions: crate::routes::definitions(&surveys),
            catalogue: crate::routes::catalogue(&surveys),
            words,
            surveys,
            writer,
            reader: Mutex::new(read_conn),
            db: config.db.clone(),
            index: config.dist.as_deref().and_then(IndexPage::load),
            assets,
            worker,
            catalog,
            rate_limit: (config.rate_limit > 0).then(|| RateLimiter::new(config.rate_limit)),
            exit_url: config.exit_url,
            install,
        });
        Ok(Application {
            listener,
            addr,
            state,
            writer_thread,
            limits: config.limits,
        })
    }

    /// The bound address (with the real port when built on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Which database the collector stores answers in.
    pub fn backend(&self) -> store::Backend {
        self.state.db.backend()
    }

    pub fn survey_ids(&self) -> Vec<String> {
        self.state.surveys.keys().cloned().collect()
    }

    /// The surveys whose answers this collector stores in plaintext (they
    /// list no public key).
    pub fn plaintext_survey_ids(&self) -> Vec<String> {
        self.state
            .surveys
            .values()
            .filter(|s| !s.is_sealed())
            .map(|s| s.id.clone())
            .collect()
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets open
    /// requests finish (for at most [`SHUTDOWN_GRACE`]), has the writer
    /// commit what it holds, and returns. Never waits forever: requests
    /// still open after the grace period are cut off, and whatever they had
    /// not handed to the writer is not acknowledged.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let Application {
            listener,
            state,
            writer_thread,
            limits,
            ..
        } = self;
        let writer = state.writer.clone();
        let (asked_tx, asked_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            let _ = asked_tx.send(());
        };
        let service = warp::service(routes::routes(state));
        let server = crate::serve::run(listener, service, limits, signal);
        let grace = async move {
            if asked_rx.await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            () = server => {}
            () = grace => {
                tracing::warn!(
                    seconds = SHUTDOWN_GRACE.as_secs(),
                    "requests still open after the grace period; stopping without them"
                );
            }
        }
        // Handlers may still hold the state (and a Writer), so ask the
        // writer to stop rather than wait for the last handle to drop.
        tokio::task::spawn_blocking(move || {
            writer.shutdown();
            drop(writer);
            writer_thread.join();
        })
        .await
        .ok();
    }
}
