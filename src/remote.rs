//! `--from URL --token TOKEN`: `chorus export` and `chorus publish` against a
//! remote collector's admin API, with the private key staying on this
//! computer.
//!
//! The collector hands over what it stores — envelopes it cannot open
//! (`GET /api/admin/surveys/{id}/sealed`, JSON Lines, streamed) and the
//! survey versions they were given to (`…/versions`) — and this side opens,
//! validates and quarantines them with [`collector::opening::Opener`], as
//! for a local database. A publication is charged by the collector from
//! its own survey file (`POST …/releases`: budget check and ledger entry in
//! one transaction), built here with the release id and day of that charge,
//! and uploaded (`PUT …/releases/{release_id}`). Nothing sent carries the
//! key, its file or its passphrase: requests carry the bearer token, an ε,
//! and the finished (noised) report.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use collector::opening::Opener;
use collector::store::{Body, OwnedResponse};
use serde::Deserialize;
use surveys::{Answers, Epsilon, Survey};

/// The environment variable read for the token when `--token` is not given.
pub const TOKEN_ENV: &str = "CHORUS_TOKEN";

/// Longest line of `/sealed` accepted: far above the largest envelope
/// (`seal::MAX_ENVELOPE`, in base64url) or plaintext answers.
const MAX_LINE_BYTES: u64 = 4 * 1024 * 1024;

/// `--from` and `--token`, for the commands that read a collector's answers.
#[derive(Args, Debug, Clone, Default)]
pub struct RemoteArgs {
    /// Work against the collector at URL over its admin API (e.g.
    /// https://collector.example.org) instead of a local --db: its answers
    /// are fetched as stored and opened here; the key never leaves this computer.
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub from: Option<String>,
    /// A researcher token for --from (`chorus token create --role researcher`
    /// on the collector). Read from the CHORUS_TOKEN environment variable when
    /// not given, which keeps it out of the process list.
    #[arg(long, value_name = "TOKEN", requires = "from")]
    pub token: Option<String>,
}

impl RemoteArgs {
    /// The collector to talk to, or `None` without `--from`.
    pub fn connect(&self) -> Result<Option<Remote>> {
        let Some(from) = &self.from else {
            return Ok(None);
        };
        let token = match &self.token {
            Some(t) => t.trim().to_string(),
            None => std::env::var(TOKEN_ENV)
                .map(|t| t.trim().to_string())
                .unwrap_or_default(),
        };
        if token.is_empty() {
            bail!(
                "--from needs a researcher token: pass --token TOKEN or set {TOKEN_ENV} \
                 (make one on the collector with `chorus token create --role researcher`)"
            );
        }
        Remote::new(from, token).map(Some)
    }
}

/// A collector's admin API.
pub struct Remote {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Remote {
    /// Never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A survey as `GET /api/admin/surveys` lists it (the fields used here).
#[derive(Debug, Clone, Deserialize)]
pub struct RemoteSurvey {
    pub id: String,
    pub version: u32,
    #[serde(default)]
    pub sealed: bool,
}

/// A charge recorded by the collector (`POST …/releases`).
#[derive(Debug, Clone, Deserialize)]
pub struct Charged {
    pub release_id: String,
    pub day: String,
    pub epsilon: Epsilon,
    pub delta: f64,
    pub description: String,
    /// ε spent on the survey, this charge included.
    pub spent: Epsilon,
}

/// A refusal as the collector words it.
#[derive(Debug, Deserialize)]
struct ApiErrorBody {
    error: String,
    message: String,
}

impl Remote {
    /// `url` is the collector's address, `http://` or `https://`.
    pub fn new(url: &str, token: String) -> Result<Remote> {
        let base = url.trim().trim_end_matches('/').to_string();
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !scheme_ok || base.len() <= "https://".len() {
            bail!(
                "--from {url}: give the collector's address, such as https://collector.example.org"
            );
        }
        if base.starts_with("https://") && !cfg!(feature = "https") {
            bail!(
                "--from {url}: this chorus was built without TLS support, so it cannot reach https:// addresses"
            );
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(30))
            // Per read, not for the whole body: a long list of rows streams.
            .timeout_read(Duration::from_secs(300))
            .timeout_write(Duration::from_secs(300))
            // Never send the token on to another host.
            .redirects(0)
            .build();
        Ok(Remote { base, token, agent })
    }

    /// The collector's address, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn survey_path(id: &str, rest: &str) -> String {
        format!("/api/admin/surveys/{}{rest}", surveys::path_segment(id))
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        self.agent
            .request(method, &self.url(path))
            .set("Authorization", &format!("Bearer {}", self.token))
    }

    /// A response, or the collector's refusal with its `message`.
    fn answer(
        &self,
        what: &str,
        result: std::result::Result<ureq::Response, ureq::Error>,
    ) -> Result<ureq::Response> {
        match result {
            Ok(r) if (300..400).contains(&r.status()) => Err(anyhow!(
                "the collector at {} answered {what} with a redirect (HTTP {}) to {}; \
                 give that address with --from (the token is never sent on)",
                self.base,
                r.status(),
                r.header("location").unwrap_or("nowhere")
            )),
            Ok(r) => Ok(r),
            Err(ureq::Error::Status(status, r)) => {
                let text = r.into_string().unwrap_or_default();
                match serde_json::from_str::<ApiErrorBody>(&text) {
                    Ok(body) => Err(anyhow!(
                        "the collector at {} refused {what}: {} (HTTP {status} {})",
                        self.base,
                        body.message,
                        body.error
                    )),
                    Err(_) => Err(anyhow!(
                        "the collector at {} refused {what} with HTTP {status}",
                        self.base
                    )),
                }
            }
            Err(ureq::Error::Transport(t)) => Err(anyhow!(
                "cannot reach the collector at {} ({what}): {t}",
                self.base
            )),
        }
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, what: &str, path: &str) -> Result<T> {
        let r = self.answer(what, self.request("GET", path).call())?;
        r.into_json()
            .with_context(|| format!("the collector's answer to {what} is not what Chorus sends"))
    }

    /// The survey `id` as the collector serves it.
    pub fn survey(&self, id: &str) -> Result<RemoteSurvey> {
        let list: Vec<RemoteSurvey> = self.get_json("the list of surveys", "/api/admin/surveys")?;
        let known: Vec<String> = list.iter().map(|s| s.id.clone()).collect();
        list.into_iter().find(|s| s.id == id).ok_or_else(|| {
            anyhow!(
                "the collector at {} has no survey `{id}` (it has: {})",
                self.base,
                known.join(", ")
            )
        })
    }

    /// Every version of survey `id` the collector has served.
    pub fn versions(&self, id: &str) -> Result<Vec<Survey>> {
        self.get_json(
            &format!("the versions of `{id}`"),
            &Self::survey_path(id, "/versions"),
        )
    }

    /// The stored rows of survey `id`, read as they arrive.
    pub fn rows(&self, id: &str) -> Result<RowReader> {
        let what = format!("the stored answers of `{id}`");
        let r = self.answer(
            &what,
            self.request("GET", &Self::survey_path(id, "/sealed"))
                .call(),
        )?;
        Ok(RowReader {
            reader: BufReader::with_capacity(256 * 1024, Box::new(r.into_reader())),
            line: String::new(),
            number: 0,
        })
    }

    /// Has the collector charge a release of `id` to its budget.
    pub fn charge(&self, id: &str, epsilon: Option<Epsilon>) -> Result<Charged> {
        let body = match epsilon {
            Some(e) => serde_json::json!({ "epsilon": e.to_string() }),
            None => serde_json::json!({}),
        };
        let what = format!("to charge a release of `{id}`");
        let r = self.answer(
            &what,
            self.request("POST", &Self::survey_path(id, "/releases"))
                .send_json(body),
        )?;
        r.into_json()
            .with_context(|| format!("the collector's answer {what} is not what Chorus sends"))
    }

    /// Uploads the release built for the charge `release_id`.
    pub fn upload(&self, id: &str, release_id: &str, json: &str, html: &str) -> Result<()> {
        let path = Self::survey_path(
            id,
            &format!("/releases/{}", surveys::path_segment(release_id)),
        );
        let what = format!("the upload of release `{release_id}`");
        self.answer(
            &what,
            self.request("PUT", &path)
                .send_json(serde_json::json!({ "json": json, "html": html })),
        )?;
        Ok(())
    }
}

/// One line of `/sealed`.
#[derive(Debug, Deserialize)]
struct Line {
    submission_id: String,
    survey_version: i64,
    received_day: String,
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    envelope: Option<String>,
    #[serde(default)]
    answers: Option<serde_json::Value>,
}

/// The rows of `/sealed`, one at a time.
pub struct RowReader {
    reader: BufReader<Box<dyn Read + Send>>,
    line: String,
    number: u64,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("line", &self.number)
            .finish()
    }
}

impl RowReader {
    /// The next stored row; `None` at the end of the list.
    fn next_row(&mut self) -> Result<Option<OwnedResponse>> {
        self.line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE_BYTES)
            .read_line(&mut self.line)
            .context("the list of stored answers was cut off (the connection or the collector failed); nothing from it is used")?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        if !self.line.ends_with('\n') {
            bail!(
                "line {} of the stored answers is cut off or longer than {MAX_LINE_BYTES} bytes",
                self.number
            );
        }
        let line: Line = serde_json::from_str(&self.line).with_context(|| {
            format!(
                "line {} of the stored answers is not what Chorus sends",
                self.number
            )
        })?;
        let body = match (line.key_id, line.envelope, line.answers) {
            (Some(key_id), Some(envelope), None) => Body::Sealed {
                key_id,
                envelope: seal::decode(&envelope).ok_or_else(|| {
                    anyhow!("the envelope of {} is not base64url", line.submission_id)
                })?,
            },
            (None, None, Some(answers @ serde_json::Value::Object(_))) => {
                Body::Plain(answers.to_string())
            }
            _ => bail!(
                "line {} of the stored answers ({}) holds neither an envelope nor answers",
                self.number,
                line.submission_id
            ),
        };
        Ok(Some(OwnedResponse {
            submission_id: line.submission_id,
            survey_version: line.survey_version,
            received_day: line.received_day,
            body,
        }))
    }
}

/// The rows of a [`RowReader`] opened by an [`Opener`] a batch at a time
/// (sealed ones on every core), in their stored order, quarantined ones
/// left out. At most one batch is held. A failure (the list cut off, a
/// row that does not read) ends the iteration and is kept: check
/// [`Opened::finish`] before using what was read.
#[derive(Debug)]
pub struct Opened<'a> {
    rows: RowReader,
    opener: &'a mut Opener,
    ready: VecDeque<(OwnedResponse, Answers)>,
    done: bool,
    failure: Option<anyhow::Error>,
}

impl<'a> Opened<'a> {
    pub fn new(rows: RowReader, opener: &'a mut Opener) -> Opened<'a> {
        Opened {
            rows,
            opener,
            ready: VecDeque::new(),
            done: false,
            failure: None,
        }
    }

    /// `Ok` when every row was read; the failure that ended the rows otherwise.
    pub fn finish(self) -> Result<()> {
        match self.failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn fill(&mut self) -> Result<()> {
        let mut batch = Vec::with_capacity(collector::store::OPEN_BATCH);
        while batch.len() < collector::store::OPEN_BATCH {
            match self.rows.next_row()? {
                Some(row) => batch.push(row),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        let opened = self.opener.open_batch(&batch)?;
        for (row, answers) in batch.into_iter().zip(opened) {
            if let Some(answers) = answers {
                self.ready.push_back((row, answers));
            }
        }
        Ok(())
    }
}

impl Iterator for Opened<'_> {
    type Item = (OwnedResponse, Answers);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done || self.failure.is_some() {
                return None;
            }
            if let Err(e) = self.fill() {
                self.failure = Some(e);
            }
        }
    }
}

/// Checks that the survey file here is the version the collector serves
/// now, word for word: the collector charges a release from its own file,
/// and the report is built from this one.
pub fn same_as_served(survey: &Survey, remote: &RemoteSurvey, served: &[Survey]) -> Result<()> {
    if remote.version != survey.version {
        bail!(
            "the collector serves version {} of `{}`, but the file here is version {}; \
             publish with the survey file the collector serves",
            remote.version,
            survey.id,
            survey.version
        );
    }
    match served.iter().find(|s| s.version == survey.version) {
        Some(s) if s == survey => Ok(()),
        Some(_) => bail!(
            "the survey file here differs from version {} of `{}` as the collector serves it; \
             publish with the survey file the collector serves",
            survey.version,
            survey.id
        ),
        None => bail!(
            "the collector has no stored definition of version {} of `{}`",
            survey.version,
            survey.id
        ),
    }
}
