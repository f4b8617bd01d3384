//! `chorus bench`: the load benchmark. Not a test: it prints figures.
//!
//! 1. Starts `chorus serve` as a child process on a loopback port with a
//!    fresh database (rate limit off).
//! 2. Throughput: many keep-alive connections, driven from one client
//!    thread (async, like `wrk`), send valid submissions as fast as answers
//!    come back, in several rounds. Prints each round and the median round's
//!    submissions/s, p50/p99 latency and CPU per submission.
//! 3. HTTP floor: the same requests to a survey that does not exist, which
//!    the collector refuses before parsing: its HTTP cost alone.
//! 4. The server's peak RSS (VmHWM from /proc), and the writer's own count
//!    of submissions and transactions (its log line at stop).
//! 5. Sealed ingest, on a fresh server that holds the survey and a sealed
//!    copy of it (`ost-hiv-access-sealed`): rounds that alternate
//!    plaintext submissions, envelopes as base64url in JSON, and envelopes
//!    as bytes (`application/vnd.chorus.envelope`), so the three meet the
//!    same machine (a shared one's speed moves within a run); the median
//!    round of each, and each sealed form's rate as a share of plaintext's.
//! 6. Bare HTTP: hyper alone (`chorus bench-bare-http`, a constant 404) under
//!    the same client, with the CPU time one exchange costs.
//! 7. Fixed rate, on a fresh server: submissions scheduled at a steady rate
//!    (open loop); latency is measured from each submission's scheduled
//!    time, so a stall is not hidden by the clients waiting (no coordinated
//!    omission).
//! 8. The ceiling: raw SQLite inserts into a fresh database with the same
//!    settings (WAL, synchronous = FULL) and insert, one commit per row, per
//!    the writer's real group size, per connection count and per the
//!    writer's largest group; with each, the CPU-time bound on what any
//!    server doing a bare HTTP exchange plus that insert could reach.
//! 9. Export: N generated responses exported by `chorus export` as a child
//!    process; time and peak RSS.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use collector::store::{self, NewResponse, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Concurrent keep-alive connections in the throughput phase.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Submissions in each round of the throughput phase.
    #[arg(long, default_value_t = 50_000)]
    requests: usize,
    /// Sealed submissions (envelopes made before the phase) in the sealed
    /// ingest phase, to a sealed copy of the survey; 0 skips it.
    #[arg(long, default_value_t = 50_000)]
    sealed_requests: usize,
    /// Rounds of the throughput phase; the median round is the figure (a
    /// shared machine's throughput moves between runs).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Submissions per second in the fixed-rate phase.
    #[arg(long, default_value_t = 500)]
    rate: usize,
    /// Length of the fixed-rate phase, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Rows inserted for the raw SQLite ceiling.
    #[arg(long, default_value_t = 200_000)]
    raw_rows: usize,
    /// Rows generated and exported for the export figure (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: usize,
    /// Folder for the benchmark's databases (a fresh subfolder is made and
    /// removed); put it on the disk the real database would live on.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Folder of survey files (must hold `ost-hiv-access`).
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
    /// A PostgreSQL database (URL, no password in it) to compare the
    /// backends instead: one collector on SQLite, then one and two
    /// collectors on this database, in the same run. It fills with
    /// synthetic responses: give it a database made for the benchmark.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The password file for --db (else CHORUS_DB_PASSWORD_FILE, PGPASSWORD).
    #[arg(long, value_name = "FILE")]
    db_password_file: Option<PathBuf>,
}

const SURVEY: &str = "ost-hiv-access";
/// The sealed copy of [`SURVEY`] that the sealed phase adds beside it.
const SEALED_SURVEY: &str = "ost-hiv-access-sealed";

/// A unique version-4-shaped UUID: a per-run random half and a counter.
fn uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::OnceLock;
    use std::sync::atomic::AtomicU64;
    static RUN: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let run = *RUN.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        run >> 32,
        (run >> 16) & 0xffff,
        run & 0xfff,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

const COUNTRIES: [&str; 6] = ["ua", "kz", "ge", "md", "kg", "am"];

fn answers(i: usize) -> String {
    format!(
        r#"{{"country":"{}","services_used":["ost"]}}"#,
        COUNTRIES[i % COUNTRIES.len()]
    )
}

/// A keep-alive HTTP/1.1 connection that posts submissions. Many of these
/// run as tasks on one client thread (as a load generator such as `wrk`
/// does), so the client takes as little as it can of the two cores it
/// shares with the server.
struct Client {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
    request: Vec<u8>,
}

/// Which requests a client sends.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// Valid submissions to the benchmark survey: the real work.
    Survey,
    /// The same requests to a survey that does not exist: refused (404)
    /// before the body is parsed, so nothing but the HTTP exchange.
    Nowhere,
    /// Envelopes to the sealed copy of the survey: [`SEALED_BODIES`] from
    /// the `first`, in JSON (base64url) or as bytes
    /// (`application/vnd.chorus.envelope`).
    Sealed { binary: bool, first: usize },
}

/// One sealed submission, in both of the forms a device may send it.
struct SealedBody {
    /// `{"submission_id", "version", "envelope"}`.
    json: String,
    submission_id: String,
    version: u32,
    envelope: Vec<u8>,
}

/// The bodies of the sealed phase, sealed before it starts (sealing is the
/// member's device's work, not the collector's).
static SEALED_BODIES: std::sync::OnceLock<Vec<SealedBody>> = std::sync::OnceLock::new();

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(1024),
            request: Vec::with_capacity(512),
        })
    }

    /// Sends one submission; returns the status.
    async fn submit(&mut self, target: Target, i: usize) -> Result<u16> {
        self.request.clear();
        match target {
            Target::Survey | Target::Nowhere => {
                let survey = match target {
                    Target::Nowhere => "no-such-survey",
                    _ => SURVEY,
                };
                let body = format!(
                    r#"{{"submission_id":"{}","answers":{}}}"#,
                    uuid(),
                    answers(i)
                );
                write!(
                    self.request,
                    "POST /api/surveys/{survey}/responses HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )?;
            }
            Target::Sealed { binary, first } => {
                let sealed = SEALED_BODIES
                    .get()
                    .and_then(|b| b.get(first + i))
                    .ok_or_else(|| anyhow!("no sealed body {}", first + i))?;
                if binary {
                    write!(
                        self.request,
                        "POST /api/surveys/{SEALED_SURVEY}/responses HTTP/1.1\r\nHost: bench\r\nContent-Type: {}\r\nChorus-Submission-Id: {}\r\nChorus-Version: {}\r\nContent-Length: {}\r\n\r\n",
                        collector::submit::ENVELOPE_MEDIA_TYPE,
                        sealed.submission_id,
                        sealed.version,
                        sealed.envelope.len()
                    )?;
                    self.request.extend_from_slice(&sealed.envelope);
                } else {
                    write!(
                        self.request,
                        "POST /api/surveys/{SEALED_SURVEY}/responses HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                        sealed.json.len(),
                        sealed.json
                    )?;
                }
            }
        }
        self.stream.write_all(&self.request).await?;
        let response = tokio::time::timeout(Duration::from_secs(30), self.read_response())
            .await
            .map_err(|_| anyhow!("no answer within 30 s"))??;
        Ok(response)
    }

    /// Reads one whole response (head and `Content-Length` body).
    async fn read_response(&mut self) -> Result<u16> {
        loop {
            if let Some((status, len)) = parse_head(&self.buf)?
                && self.buf.len() >= len
            {
                self.buf.drain(..len);
                return Ok(status);
            }
            let mut chunk = [0u8; 2048];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The status and whole length (head and body) of the response at the start
/// of `buf`, once its head has arrived.
fn parse_head(buf: &[u8]) -> Result<Option<(u16, usize)>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).context("a response head that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line: {status_line:?}"))?;
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse()?;
        }
    }
    Ok(Some((status, end + 4 + length)))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Peak resident set (VmHWM) of a process, in MiB.
pub(crate) fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

struct Server {
    child: Child,
    addr: SocketAddr,
    /// Drains the server's log; yields the writer's line at stop.
    log: std::thread::JoinHandle<Option<WriterStats>>,
}

/// What the writer said when it stopped: how well group commit worked.
#[derive(Debug, Clone, Copy)]
struct WriterStats {
    submissions: u64,
    commits: u64,
}

impl WriterStats {
    /// Reads `writer stopped submissions=… commits=…` from a log line.
    fn parse(line: &str) -> Option<WriterStats> {
        if !line.contains("writer stopped") {
            return None;
        }
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
        };
        Some(WriterStats {
            submissions: field("submissions")?,
            commits: field("commits")?,
        })
    }

    fn mean_batch(self) -> f64 {
        self.submissions as f64 / self.commits.max(1) as f64
    }
}

impl Server {
    /// `chorus serve` on a fresh database, rate limit off.
    fn collector(exe: &Path, db: &Path, surveys: &Path, dir: &Path) -> Result<Server> {
        Server::collector_on(exe, db.as_os_str(), None, surveys, dir)
    }

    /// `chorus serve` on `db` (a file or a URL), rate limit off.
    fn collector_on(
        exe: &Path,
        db: &std::ffi::OsStr,
        password_file: Option<&Path>,
        surveys: &Path,
        dir: &Path,
    ) -> Result<Server> {
        let mut cmd = Command::new(exe);
        cmd.arg("serve");
        if let Some(file) = password_file {
            cmd.arg("--db-password-file").arg(file);
        }
        cmd.arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--db")
            .arg(db)
            .arg("--surveys")
            .arg(surveys)
            .arg("--dist")
            .arg(dir.join("no-frontend"))
            .args(["--rate-limit", "0"]);
        Server::spawn(cmd)
    }

    /// The bare hyper server of [`bare_http`], in its own process.
    fn bare(exe: &Path) -> Result<Server> {
        let mut cmd = Command::new(exe);
        cmd.args(["bench-bare-http", "--addr", "127.0.0.1:0"]);
        Server::spawn(cmd)
    }

    /// Starts a server that prints `… http://ADDR …` as its first line.
    fn spawn(mut cmd: Command) -> Result<Server> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {cmd:?}"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from the server"))?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| anyhow!("the server did not say where it listens: {first:?}"))?;
        // Keep draining the server's log so it never blocks on a full pipe.
        let log = std::thread::spawn(move || {
            let mut stats = None;
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                stats = WriterStats::parse(&line).or(stats);
                line.clear();
            }
            stats
        });
        Ok(Server { child, addr, log })
    }

    /// Stops the server (SIGTERM: it drains and exits); returns what its
    /// writer reported.
    fn stop(mut self) -> Result<Option<WriterStats>> {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if !term.is_ok_and(|s| s.success()) {
            self.child.kill()?;
        }
        self.child.wait()?;
        self.log
            .join()
            .map_err(|_| anyhow!("the log reader panicked"))
    }
}

/// What one closed-loop phase measured.
struct Run {
    elapsed: Duration,
    /// Each request's latency, sorted.
    latencies: Vec<Duration>,
    /// CPU time the client thread used (`None` without /proc).
    client_cpu: Option<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sends `total` requests over `connections` connections as fast as they
/// are answered, all from one client thread.
fn closed_loop(addr: SocketAddr, connections: usize, total: usize, target: Target) -> Result<Run> {
    let expected = match target {
        Target::Survey | Target::Sealed { .. } => 201,
        Target::Nowhere => 404,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut clients = Vec::with_capacity(connections);
        for _ in 0..connections {
            clients.push(Client::connect(addr).await?);
        }
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let cpu_start = thread_cpu();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|mut client| {
                let next = next.clone();
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(total / connections + 1);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let t = Instant::now();
                        let status = client.submit(target, i).await?;
                        lat.push(t.elapsed());
                        if status != expected {
                            bail!("a request answered {status}, expected {expected}");
                        }
                    }
                    Ok::<_, anyhow::Error>(lat)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total);
        for t in tasks {
            all.extend(t.await??);
        }
        let elapsed = start.elapsed();
        let client_cpu = thread_cpu()
            .zip(cpu_start)
            .map(|(end, start)| end.saturating_sub(start));
        all.sort_unstable();
        Ok(Run {
            elapsed,
            latencies: all,
            client_cpu,
        })
    })
}

/// CPU time the calling thread has used (from /proc; `None` elsewhere).
fn thread_cpu() -> Option<Duration> {
    schedstat_cpu(Path::new("/proc/thread-self/schedstat"))
}

/// CPU time every thread of process `pid` has used so far.
fn process_cpu(pid: u32) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        total += schedstat_cpu(&task.ok()?.path().join("schedstat"))?;
    }
    Some(total)
}

/// The first field of a `schedstat` file: nanoseconds spent on a CPU.
fn schedstat_cpu(path: &Path) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Sends submissions at `rate` per second for `seconds`; latency counts
/// from each submission's scheduled time. Each connection has its own
/// thread, which sleeps to the microsecond (the async timer's millisecond
/// steps would add up to a millisecond to every figure).
fn open_loop(addr: SocketAddr, rate: usize, seconds: u64) -> Result<Vec<Duration>> {
    let total = rate * seconds as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // Enough connections that a slow answer never delays the schedule.
    let connections = 32;
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let next = next.clone();
            std::thread::spawn(move || -> Result<Vec<Duration>> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let mut client = runtime.block_on(Client::connect(addr))?;
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let due = start + interval * u32::try_from(i)?;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let status = runtime.block_on(client.submit(Target::Survey, i))?;
                    lat.push(due.elapsed());
                    if status != 201 {
                        bail!("submission answered {status}, expected 201");
                    }
                }
                Ok(lat)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for t in threads {
        all.extend(
            t.join()
                .map_err(|_| anyhow!("a client thread panicked"))??,
        );
    }
    all.sort_unstable();
    Ok(all)
}

/// The raw SQLite rate at one batch size.
struct Raw {
    rows_per_second: f64,
    /// CPU time per row (waiting for the disk not counted).
    cpu_per_row: Option<Duration>,
}

/// Inserts `rows` responses in transactions of `batch` with the
/// collector's own settings and insert, on this thread.
fn raw_sqlite(path: &Path, rows: usize, batch: usize) -> Result<Raw> {
    let mut conn = Store::open(&path.into())?;
    let start = Instant::now();
    let cpu_start = thread_cpu();
    let mut i = 0;
    let mut group = Vec::with_capacity(batch);
    while i < rows {
        group.clear();
        for _ in 0..batch.min(rows - i) {
            group.push(NewResponse {
                submission_id: uuid(),
                survey_id: SURVEY.into(),
                survey_version: 1,
                received_day: store::today(),
                body: store::Body::Plain(answers(i)),
            });
            i += 1;
        }
        conn.insert_responses(&group)?;
    }
    let elapsed = start.elapsed();
    let cpu = thread_cpu()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start));
    Ok(Raw {
        rows_per_second: rows as f64 / elapsed.as_secs_f64(),
        cpu_per_row: cpu.map(|c| c / u32::try_from(rows).unwrap_or(u32::MAX)),
    })
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the chorus binary")?;
    let dir = bench_dir(&args.dir)?;
    let surveys = args
        .surveys
        .canonicalize()
        .with_context(|| format!("no survey folder at {}", args.surveys.display()))?;
    if cfg!(debug_assertions) {
        println!(
            "warning: this is a debug build; run `cargo run --release -- bench` for real figures"
        );
    }
    println!(
        "chorus bench — {} CPU(s)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    if let Some(url) = &args.db {
        storage_figure(&exe, &dir, &surveys, &args, url)?;
        std::fs::remove_dir_all(&dir).ok();
        return Ok(ExitCode::SUCCESS);
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server = Server::collector(&exe, &dir.join("bench.db"), &surveys, &dir)?;
    println!(
        "server: chorus serve on {} (pid {})",
        server.addr,
        server.child.id()
    );
    // Warm-up: connections, caches, the WAL file.
    closed_loop(server.addr, args.connections.min(8), 1_000, Target::Survey)?;

    let mut rounds = Vec::with_capacity(args.rounds.max(1));
    for round in 1..=args.rounds.max(1) {
        let server_cpu_start = process_cpu(server.child.id());
        let run = closed_loop(server.addr, args.connections, args.requests, Target::Survey)?;
        let server_cpu = process_cpu(server.child.id())
            .zip(server_cpu_start)
            .map(|(end, start)| end.saturating_sub(start));
        // CPU per submission, client and server together.
        let cpu = run.client_cpu.zip(server_cpu).map(|(client, server)| {
            (client + server) / u32::try_from(args.requests).unwrap_or(u32::MAX)
        });
        println!(
            "  round {round}: {} submissions over {} connections in {:.2} s = {:.0}/s; p50 {}, p99 {}{}",
            args.requests,
            args.connections,
            run.elapsed.as_secs_f64(),
            run.rate(),
            ms(percentile(&run.latencies, 0.50)),
            ms(percentile(&run.latencies, 0.99)),
            cpu.map(|c| format!("; {} of CPU per submission", us(c)))
                .unwrap_or_default()
        );
        rounds.push((run, cpu));
    }
    rounds.sort_by(|a, b| a.0.rate().total_cmp(&b.0.rate()));
    let (run, cpu) = &rounds[rounds.len() / 2];
    let throughput = run.rate();
    println!(
        "throughput (median of {} rounds): {throughput:.0} durable submissions/s; latency p50 {}, p99 {}{}",
        rounds.len(),
        ms(percentile(&run.latencies, 0.50)),
        ms(percentile(&run.latencies, 0.99)),
        cpu.map(|c| format!("; {} of CPU per submission (client and server)", us(c)))
            .unwrap_or_default()
    );

    // The floor: the same client, connections and request bodies, but to a
    // survey that does not exist, refused before the body is parsed. What
    // HTTP on loopback costs here, with no validation and no storage.
    let floor = closed_loop(
        server.addr,
        args.connections,
        args.requests,
        Target::Nowhere,
    )?
    .rate();
    println!(
        "HTTP floor: the same requests to an unknown survey (404 before parsing, nothing stored): {floor:.0} requests/s — the collector's throughput is {:.0} % of this",
        throughput / floor * 100.0
    );
    match peak_rss_mib(server.child.id()) {
        Some(m) => println!("server peak RSS (VmHWM): {m:.1} MiB"),
        None => println!("server peak RSS: unavailable (no /proc)"),
    }
    let stats = server.stop()?;
    if let Some(w) = stats {
        println!(
            "group commit: {} submissions in {} transactions, {:.1} per transaction (warm-up included)",
            w.submissions,
            w.commits,
            w.mean_batch()
        );
    }

    if args.sealed_requests > 0 {
        sealed_figure(&exe, &dir, &surveys, &args, throughput)?;
    }

    // The least any HTTP server can cost here: hyper alone, same client.
    let bare = Server::bare(&exe)?;
    let bare_run = closed_loop(bare.addr, args.connections, args.requests, Target::Nowhere)?;
    let bare_cpu = process_cpu(bare.child.id());
    bare.stop()?;
    // CPU per exchange, client and server together.
    let exchange_cpu = bare_run.client_cpu.zip(bare_cpu).map(|(client, server)| {
        (client + server) / u32::try_from(args.requests).unwrap_or(u32::MAX)
    });
    println!(
        "bare HTTP: hyper alone answering every request with a constant 404 (no routing, headers, logging, validation or storage): {:.0} requests/s{}",
        bare_run.rate(),
        exchange_cpu
            .map(|c| format!(", {} of CPU per exchange (client and server)", us(c)))
            .unwrap_or_default()
    );

    // A fresh server, so the throughput phase's figures above are its own.
    let server = Server::collector(&exe, &dir.join("fixed.db"), &surveys, &dir)?;
    let fixed = open_loop(server.addr, args.rate, args.seconds)?;
    println!(
        "fixed rate: {} submissions/s for {} s: p50 {}, p99 {}, max {}",
        args.rate,
        args.seconds,
        ms(percentile(&fixed, 0.50)),
        ms(percentile(&fixed, 0.99)),
        ms(fixed.last().copied().unwrap_or_default()),
    );
    server.stop()?;

    // The writer commits whatever is waiting, up to MAX_BATCH. The batch it
    // really made is the like-for-like ceiling; with N connections at most N
    // submissions can wait, so N is the best it could have made, and
    // MAX_BATCH the absolute ceiling.
    println!(
        "ceiling: raw SQLite inserts into a fresh database, WAL + synchronous=FULL, the collector's own insert, on one thread:"
    );
    let mut batches = vec![1];
    if let Some(w) = stats {
        batches.push(w.mean_batch().round().max(1.0) as usize);
    }
    batches.extend([args.connections, collector::writer::MAX_BATCH]);
    batches.sort_unstable();
    batches.dedup();
    for (k, batch) in batches.into_iter().enumerate() {
        let rows = if batch == 1 {
            (args.raw_rows / 100).max(500)
        } else {
            args.raw_rows
        };
        let raw = raw_sqlite(&dir.join(format!("raw{k}.db")), rows, batch)?;
        let rate = raw.rows_per_second;
        print!(
            "  {batch:>4} per transaction: {rate:>7.0} rows/s ({} CPU per row) — the collector is {:>3.0} % of this",
            raw.cpu_per_row.map_or_else(|| "?".into(), us),
            throughput / rate * 100.0
        );
        match exchange_cpu.zip(raw.cpu_per_row) {
            Some((exchange, insert)) => {
                let bound = cpu_bound(cores, exchange + insert);
                println!(
                    "; bare HTTP plus this insert allow at most {bound:.0}/s ({:.0} %)",
                    bound / rate * 100.0
                );
            }
            None => println!(),
        }
    }

    if args.export_rows > 0 {
        export_figure(&exe, &dir, &surveys, args.export_rows)?;
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(ExitCode::SUCCESS)
}

/// The backends side by side, in one run: durable submissions/s, p99 and
/// the writers' mean group over the same client and connections, for one
/// collector on SQLite, one on PostgreSQL, and two on PostgreSQL (each
/// with half the connections, driven at once).
fn storage_figure(
    exe: &Path,
    dir: &Path,
    surveys: &Path,
    args: &BenchArgs,
    url: &str,
) -> Result<()> {
    // Refuse a bad URL or password here, with the collector's own message.
    store::Location::parse(url, args.db_password_file.as_deref())?;
    let sqlite = dir.join("storage.db");
    let setups: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        ("SQLite, one collector", vec![sqlite.as_os_str()]),
        ("PostgreSQL, one collector", vec![url.as_ref()]),
        (
            "PostgreSQL, two collectors",
            vec![url.as_ref(), url.as_ref()],
        ),
    ];
    let mut rates = Vec::new();
    for (name, dbs) in setups {
        let servers = dbs
            .iter()
            .map(|db| Server::collector_on(exe, db, args.db_password_file.as_deref(), surveys, dir))
            .collect::<Result<Vec<_>>>()?;
        let n = servers.len();
        for s in &servers {
            closed_loop(
                s.addr,
                (args.connections / n).clamp(1, 8),
                1_000,
                Target::Survey,
            )?;
        }
        let mut rounds = Vec::new();
        for _ in 0..args.rounds.max(1) {
            let runs = std::thread::scope(|scope| {
                let handles: Vec<_> = servers
                    .iter()
                    .map(|s| {
                        let addr = s.addr;
                        scope.spawn(move || {
                            closed_loop(
                                addr,
                                (args.connections / n).max(1),
                                args.requests / n,
                                Target::Survey,
                            )
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().map_err(|_| anyhow!("a client thread panicked"))?)
                    .collect::<Result<Vec<Run>>>()
            })?;
            let elapsed = runs.iter().map(|r| r.elapsed).max().unwrap_or_default();
            let mut latencies: Vec<Duration> = runs.into_iter().flat_map(|r| r.latencies).collect();
            latencies.sort_unstable();
            rounds.push(Run {
                elapsed,
                latencies,
                client_cpu: None,
            });
        }
        rounds.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        let run = &rounds[rounds.len() / 2];
        let (mut submissions, mut commits) = (0, 0);
        for s in servers {
            if let Some(w) = s.stop()? {
                submissions += w.submissions;
                commits += w.commits;
            }
        }
        let group = WriterStats {
            submissions,
            commits,
        }
        .mean_batch();
        println!(
            "{name} (median of {} rounds): {:.0} durable submissions/s; p50 {}, p99 {}; mean group {group:.1} per commit",
            rounds.len(),
            run.rate(),
            ms(percentile(&run.latencies, 0.50)),
            ms(percentile(&run.latencies, 0.99)),
        );
        rates.push(run.rate());
    }
    if let [sqlite, _, two] = rates[..] {
        println!(
            "two collectors on PostgreSQL are {:.0} % of one collector on SQLite (target ≥ 100 %)",
            two / sqlite * 100.0
        );
    }
    Ok(())
}

/// Sealed ingest: the same client and connections, envelopes to a sealed
/// copy of the survey (the collector checks the envelope's header and
/// bucket instead of validating answers, and stores ~2 KiB per row), in
/// rounds that alternate with plaintext ones on the same server.
fn sealed_figure(
    exe: &Path,
    dir: &Path,
    surveys: &Path,
    args: &BenchArgs,
    plaintext: f64,
) -> Result<()> {
    const WARM_UP: usize = 1_000;
    let rounds = args.rounds.max(1);
    let per_round = (args.sealed_requests / rounds).max(1);
    let folder = dir.join("sealed-surveys");
    std::fs::create_dir_all(&folder)?;
    let key = seal::SecretKey::generate();
    let text = std::fs::read_to_string(surveys.join(format!("{SURVEY}.toml")))?;
    std::fs::write(folder.join(format!("{SURVEY}.toml")), &text)?;
    let text = format!("public_keys = [\"{}\"]\n{text}", key.public()).replacen(
        &format!("id = \"{SURVEY}\""),
        &format!("id = \"{SEALED_SURVEY}\""),
        1,
    );
    std::fs::write(folder.join(format!("{SEALED_SURVEY}.toml")), &text)?;
    let survey = surveys::parse_survey(&text).map_err(|e| anyhow!("{e}"))?;
    if survey.id != SEALED_SURVEY {
        bail!("the sealed copy of {SURVEY} did not get its own id");
    }
    let public = surveys::sealing::sealing_key(&survey)?;
    // Every envelope has its own submission id: the warm-up's, then each
    // round's, for each form.
    let total = WARM_UP + 2 * rounds * per_round;
    let started = Instant::now();
    let seal_one = |i: usize| -> Result<SealedBody> {
        let a = serde_json::from_str(&answers(i))?;
        let submission_id = uuid();
        let sealed = surveys::sealing::seal_answers(&survey, &public, &submission_id, &a)?;
        Ok(SealedBody {
            json: serde_json::to_string(&sealed)?,
            envelope: seal::decode(&sealed.envelope)
                .ok_or_else(|| anyhow!("an envelope that is not base64url"))?,
            submission_id,
            version: survey.version,
        })
    };
    // Sealing is the devices' work: done on every core, before the phase.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = total.div_ceil(cores);
    let bodies: Vec<SealedBody> = std::thread::scope(|scope| {
        let parts: Vec<_> = (0..cores)
            .map(|c| {
                let seal_one = &seal_one;
                scope.spawn(move || {
                    (c * chunk..((c + 1) * chunk).min(total))
                        .map(seal_one)
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(total);
        for part in parts {
            all.extend(
                part.join()
                    .map_err(|_| anyhow!("a sealing thread panicked"))??,
            );
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    println!(
        "sealed ingest: {total} envelopes of {} bytes ({} as base64url in JSON) sealed beforehand in {:.1} s",
        bodies[0].envelope.len(),
        bodies[0].json.len(),
        started.elapsed().as_secs_f64()
    );
    SEALED_BODIES
        .set(bodies)
        .map_err(|_| anyhow!("the sealed bodies were already made"))?;

    let server = Server::collector(exe, &dir.join("sealed.db"), &folder, dir)?;
    let warm = args.connections.min(8);
    closed_loop(server.addr, warm, WARM_UP, Target::Survey)?;
    closed_loop(
        server.addr,
        warm,
        WARM_UP,
        Target::Sealed {
            binary: false,
            first: 0,
        },
    )?;
    println!(
        "sealed ingest: {rounds} rounds on one server holding both surveys, each of {per_round} plaintext submissions, then {per_round} envelopes in JSON, then {per_round} as bytes:"
    );
    // (rate, CPU per submission) of each round, for each form.
    let mut figures: [Vec<(f64, Option<Duration>)>; 3] = Default::default();
    let forms = ["plaintext", "sealed, JSON", "sealed, bytes"];
    for round in 0..rounds {
        let mut line = Vec::new();
        for (k, figure) in figures.iter_mut().enumerate() {
            let target = match k {
                0 => Target::Survey,
                _ => Target::Sealed {
                    binary: k == 2,
                    first: WARM_UP + (2 * round + k - 1) * per_round,
                },
            };
            let server_cpu_start = process_cpu(server.child.id());
            let run = closed_loop(server.addr, args.connections, per_round, target)?;
            let server_cpu = process_cpu(server.child.id())
                .zip(server_cpu_start)
                .map(|(end, start)| end.saturating_sub(start));
            let cpu = run.client_cpu.zip(server_cpu).map(|(client, server)| {
                (client + server) / u32::try_from(per_round).unwrap_or(u32::MAX)
            });
            line.push(format!(
                "{} {:.0}/s (p50 {}, p99 {}{})",
                forms[k],
                run.rate(),
                ms(percentile(&run.latencies, 0.50)),
                ms(percentile(&run.latencies, 0.99)),
                cpu.map(|c| format!(", {} CPU", us(c))).unwrap_or_default()
            ));
            figure.push((run.rate(), cpu));
        }
        println!("  round {}: {}", round + 1, line.join("; "));
    }
    server.stop()?;
    let median = |v: &mut Vec<(f64, Option<Duration>)>| {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v[v.len() / 2]
    };
    let [plain, json, bytes] = &mut figures;
    let (plain, plain_cpu) = median(plain);
    let cpu_text = |cpu: Option<Duration>| {
        cpu.map(|c| format!(", {} of CPU per submission", us(c)))
            .unwrap_or_default()
    };
    for (name, (rate, cpu)) in [("JSON", median(json)), ("bytes", median(bytes))] {
        println!(
            "sealed ingest, {name} (median of {rounds} rounds): {rate:.0} envelopes/s{} — {:.0} % of plaintext in the same rounds ({plain:.0}/s{}), {:.0} % of the throughput phase's {plaintext:.0}/s",
            cpu_text(cpu),
            rate / plain * 100.0,
            cpu_text(plain_cpu),
            rate / plaintext * 100.0
        );
    }
    Ok(())
}

fn export_figure(exe: &Path, dir: &Path, surveys: &Path, rows: usize) -> Result<()> {
    let path = dir.join("export.db");
    {
        // One transaction: one commit, one fsync.
        let all: Vec<NewResponse> = (0..rows)
            .map(|i| NewResponse {
                submission_id: uuid(),
                survey_id: SURVEY.into(),
                survey_version: 1,
                received_day: store::today(),
                body: store::Body::Plain(format!(
                    r#"{{"country":"{}","services_used":["ost","nsp"],"travel_minutes":{},"comment":"row {i}, with a comma"}}"#,
                    COUNTRIES[i % COUNTRIES.len()],
                    i % 180
                )),
            })
            .collect();
        Store::open(&path.as_path().into())?.insert_responses(&all)?;
    }
    let out = dir.join("export.csv");
    let start = Instant::now();
    let mut child = Command::new(exe)
        .arg("export")
        .arg(SURVEY)
        .arg("--db")
        .arg(&path)
        .arg("--surveys")
        .arg(surveys)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start `chorus export`")?;
    let mut peak = 0.0f64;
    let status = loop {
        if let Some(m) = peak_rss_mib(child.id()) {
            peak = peak.max(m);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("chorus export failed: {status}");
    }
    let size = std::fs::metadata(&out)?.len() as f64 / (1024.0 * 1024.0);
    println!(
        "export: {rows} responses to CSV ({size:.0} MiB) in {:.2} s ({:.0} rows/s); peak RSS {peak:.1} MiB",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// The most requests per second `cores` CPUs allow when each costs `cpu`
/// of CPU time: a bound for any server whose every submission needs at
/// least a bare HTTP exchange and one raw insert. Real submissions also
/// route, parse, validate and log, so the bound is generous; time spent
/// waiting for the disk is not CPU time and is left out.
fn cpu_bound(cores: usize, cpu: Duration) -> f64 {
    cores as f64 / cpu.as_secs_f64()
}

/// `chorus bench-bare-http`: the cheapest HTTP server this stack can be,
/// for the bench's lower bound. hyper alone on a multi-thread Tokio runtime
/// (as `chorus serve` runs): reads each request's body and answers a
/// constant 404 JSON, with no routing, headers, logging or storage.
pub fn bare_http(addr: SocketAddr) -> Result<ExitCode> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::{Bytes, Incoming};

    async fn answer(
        req: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
        req.into_body().collect().await?;
        let mut res = hyper::Response::new(Full::new(Bytes::from_static(
            br#"{"error":"unknown_survey"}"#,
        )));
        *res.status_mut() = hyper::StatusCode::NOT_FOUND;
        Ok(res)
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("bare HTTP server on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, hyper::service::service_fn(answer))
                    .await;
            });
        }
    })
}

/// A fresh folder inside `parent`.
fn bench_dir(parent: &Path) -> Result<PathBuf> {
    let dir = parent.join(format!(".chorus-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_writers_figures_from_its_log_line() {
        let line =
            "2026-11-29  INFO writer stopped submissions=447706 commits=59788 mean_batch=7.5\n";
        let stats = WriterStats::parse(line).expect("parsed");
        assert_eq!((stats.submissions, stats.commits), (447_706, 59_788));
        assert!((stats.mean_batch() - 7.488).abs() < 0.001);
        assert!(WriterStats::parse("2026-11-29  INFO request method=POST status=201").is_none());
        assert!(WriterStats::parse("2026-11-29  INFO writer stopped").is_none());
    }

    #[test]
    fn the_bound_is_cores_over_cpu_time() {
        // 20 µs of CPU per submission on two cores: 100 000 per second.
        let bound = cpu_bound(2, Duration::from_micros(20));
        assert!((bound - 100_000.0).abs() < 1e-6, "{bound}");
    }

    #[test]
    fn response_heads_give_status_and_whole_length() {
        let head = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 19\r\n\r\n{\"status\":\"stored\"}";
        assert_eq!(parse_head(head).expect("parsed"), Some((201, head.len())));
        assert_eq!(
            parse_head(b"HTTP/1.1 201 Created\r\ncontent-le").expect("partial"),
            None
        );
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }
}
