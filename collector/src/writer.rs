//! The one writer: a thread that owns the write connection and commits
//! submissions in groups, on either backend.
//!
//! Handlers send a job and wait for its reply. The thread takes every job
//! that is waiting (up to [`MAX_BATCH`]), inserts them in one transaction,
//! commits (durable: SQLite's WAL with `synchronous = FULL`, PostgreSQL's
//! `COMMIT` with `synchronous_commit = on`), and only then replies to
//! each. Under load many submissions share one fsync; when idle a lone
//! submission is committed at once.
//!
//! On SQLite the writer checkpoints the WAL itself, once a batch has been
//! answered ([`Store::after_group`]), so the clients of the batch that
//! crossed the mark send their next requests while the checkpoint runs.
//!
//! Several collectors on one PostgreSQL each have their own writer; the
//! database serialises what they insert (a retry landing on another
//! collector is a duplicate, never a second row).
//!
//! A commit that fails (disk full, I/O error, a file made read-only) fails
//! every job of its batch: each handler answers 503 `storage_unavailable`
//! and nothing of the batch is stored, so nothing is acknowledged that is
//! not on disk. [`Writer::shutdown`] asks the thread to commit what is
//! queued and stop, even while request handlers still hold a [`Writer`].

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::store::responses::Pending;
use crate::store::{InsertOutcome, NewResponse, Store, StoreError};

/// Most submissions committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// Most submissions waiting for the writer before new ones are refused (503).
pub const QUEUE_CAPACITY: usize = 8192;
/// How long a batch waits for another connection's write (a `chorus
/// publish` reads every answer inside its transaction: seconds for a million)
/// before its submissions are refused with 503.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

type Reply = oneshot::Sender<Result<InsertOutcome, StoreError>>;

struct Job {
    response: NewResponse,
    /// Whether the survey's file has closed it (its `closes` day passed).
    closed_by_file: bool,
    reply: Reply,
}

enum Msg {
    Job(Job),
    /// Commit what is queued before this and stop.
    Shutdown,
}

/// Why a submission could not be handed to the writer.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the collector is busy; please retry in a moment")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Handle to the writer thread. Cloning shares the same thread.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: SyncSender<Msg>,
}

/// Joins the writer thread once every [`Writer`] handle is dropped.
#[derive(Debug)]
pub struct WriterThread(JoinHandle<()>);

impl WriterThread {
    /// Waits until the queue is drained and the last batch committed.
    pub fn join(self) {
        // A panic in the writer thread has already been reported on stderr.
        let _ = self.0.join();
    }
}

impl Writer {
    /// Starts the writer thread on `store`.
    /// The connection is made the writer's on the thread itself (its
    /// client may block, which an async thread must not); a failure there
    /// is returned here and no thread is left running.
    pub fn start(mut store: Store) -> std::io::Result<(Writer, WriterThread)> {
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let handle = std::thread::Builder::new()
            .name("chorus-writer".into())
            .spawn(move || {
                let ready = store.prepare_writer(LOCK_WAIT);
                let ok = ready.is_ok();
                let _ = ready_tx.send(ready);
                if ok {
                    run(store, rx);
                }
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = handle.join();
                return Err(std::io::Error::other(e));
            }
            Err(_) => {
                let _ = handle.join();
                return Err(std::io::Error::other("the writer thread stopped at start"));
            }
        }
        Ok((Writer { tx }, WriterThread(handle)))
    }

    /// Stores `response` unless its survey is closed (by its file, as the
    /// caller found, or by command as recorded in the database); resolves
    /// once it is durably committed (or refused).
    pub async fn submit(
        &self,
        response: NewResponse,
        closed_by_file: bool,
    ) -> Result<InsertOutcome, SubmitError> {
        let (reply, wait) = oneshot::channel();
        let job = Job {
            response,
            closed_by_file,
            reply,
        };
        match self.tx.try_send(Msg::Job(job)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(SubmitError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(StoreError::Closed.into()),
        }
        match wait.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Closed.into()),
        }
    }

    /// Asks the thread to commit every job queued so far and stop. Jobs sent
    /// after this are answered "shutting down" (503), never acknowledged.
    /// Blocks while the queue is full, so call it off the async threads.
    pub fn shutdown(&self) {
        // A closed channel means the thread has already stopped.
        let _ = self.tx.send(Msg::Shutdown);
    }
}

fn run(mut store: Store, rx: Receiver<Msg>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut stats = Stats::default();
    let mut stopping = false;
    while !stopping {
        // Block for the first job; the channel closing ends the thread.
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Shutdown) => break,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => batch.push(job),
                Ok(Msg::Shutdown) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let jobs = batch.len();
        if commit_batch(&mut store, &mut batch) {
            stats.commits += 1;
            stats.submissions += jobs;
        } else {
            // The batch was refused (503); a PostgreSQL connection that
            // the server closed is opened again for the next one.
            store.reconnect_if_broken();
        }
        // The batch is answered: now is when a checkpoint delays no one
        // already waiting for an answer.
        store.after_group();
    }
    // Jobs still queued (sent after the shutdown) are dropped here with
    // their reply channels, so their handlers answer 503: none is
    // acknowledged.
    drop(rx);
    store.on_stop();
    tracing::info!(
        submissions = stats.submissions,
        commits = stats.commits,
        mean_batch = format_args!("{:.1}", stats.mean_batch()),
        "writer stopped"
    );
}

/// What the writer committed since it started: how well group commit
/// worked (`chorus bench` reads it from the log line at stop).
#[derive(Debug, Default)]
struct Stats {
    /// Jobs answered from committed transactions (stored, duplicate, closed…).
    submissions: usize,
    commits: usize,
}

impl Stats {
    fn mean_batch(&self) -> f64 {
        if self.commits == 0 {
            0.0
        } else {
            self.submissions as f64 / self.commits as f64
        }
    }
}

/// Commits one batch and answers each job; `false` when the commit failed
/// (every job of the batch then answered 503, nothing stored).
fn commit_batch(store: &mut Store, batch: &mut Vec<Job>) -> bool {
    let group: Vec<Pending<'_>> = batch
        .iter()
        .map(|job| Pending {
            response: &job.response,
            closed_by_file: job.closed_by_file,
        })
        .collect();
    let outcomes = store.commit_group(&group);
    drop(group);
    match outcomes {
        Ok(outcomes) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                // The client may have gone; its answer is stored all the same.
                let _ = job.reply.send(Ok(outcome));
            }
            true
        }
        Err(e) => {
            tracing::error!(error = %e, batch = batch.len(), "could not commit submissions");
            let message = e.to_string();
            for job in batch.drain(..) {
                let _ = job
                    .reply
                    .send(Err(StoreError::Unavailable(message.clone())));
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(id: &str) -> NewResponse {
        NewResponse {
            submission_id: id.into(),
            survey_id: "s".into(),
            survey_version: 1,
            received_day: "2026-11-29".into(),
            body: crate::store::Body::Plain("{}".into()),
        }
    }

    fn open(path: &std::path::Path) -> Store {
        Store::open(&crate::store::Location::Sqlite(path.to_path_buf())).expect("open")
    }

    fn sqlite(store: &Store) -> &crate::store::sqlite::Sqlite {
        match store {
            Store::Sqlite(s) => s,
            Store::Postgres(_) => unreachable!("these tests use SQLite"),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_failed_commit_is_a_refusal_not_an_acknowledgement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (writer, thread) = Writer::start(open(&path)).expect("start");
        // Break the store under the writer: every insert now fails.
        sqlite(&open(&path)).execute_batch("DROP TABLE responses");
        let outcome = runtime().block_on(writer.submit(response("a"), false));
        assert!(
            matches!(outcome, Err(SubmitError::Store(StoreError::Unavailable(_)))),
            "{outcome:?}"
        );
        drop(writer);
        thread.join();
    }

    #[test]
    fn a_full_database_refuses_with_the_reason_and_keeps_what_it_acknowledged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let conn = open(&path);
        // SQLite answers SQLITE_FULL past this size, as on a full disk.
        let pages = sqlite(&conn).query_i64("PRAGMA page_count");
        sqlite(&conn).execute_batch(&format!("PRAGMA max_page_count = {}", pages + 8));
        let (writer, thread) = Writer::start(conn).expect("start");
        let rt = runtime();
        let big = |i: usize| NewResponse {
            body: crate::store::Body::Plain(format!("{{\"comment\":\"{}\"}}", "x".repeat(3000))),
            ..response(&format!("00000000-0000-4000-8000-{i:012}"))
        };
        let mut acknowledged = Vec::new();
        let mut refusal = None;
        for i in 0..100 {
            match rt.block_on(writer.submit(big(i), false)) {
                Ok(InsertOutcome::Stored) => acknowledged.push(i),
                Ok(other) => panic!("unexpected {other:?}"),
                Err(e) => {
                    refusal = Some(e);
                    break;
                }
            }
        }
        let refusal = refusal.expect("the cap is reached within 100 answers");
        assert!(
            matches!(&refusal, SubmitError::Store(StoreError::Unavailable(m)) if m.contains("full")),
            "{refusal:?}"
        );
        assert!(!acknowledged.is_empty());
        // The writer is still there: a small answer may fit, and a failed
        // one is answered, never dropped.
        let later = rt.block_on(writer.submit(response("small"), false));
        assert!(
            matches!(
                later,
                Ok(InsertOutcome::Stored) | Err(SubmitError::Store(StoreError::Unavailable(_)))
            ),
            "{later:?}"
        );
        drop(writer);
        thread.join();
        let mut stored: Vec<String> = Vec::new();
        open(&path)
            .for_each_response::<StoreError>("s", |r| {
                if r.submission_id.starts_with("0000") {
                    stored.push(r.submission_id.to_string());
                }
                Ok(())
            })
            .expect("read");
        stored.sort();
        let expected: Vec<String> = acknowledged
            .iter()
            .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
            .collect();
        assert_eq!(
            stored, expected,
            "exactly the acknowledged answers are stored"
        );
    }

    #[test]
    fn another_writer_holding_the_lock_delays_answers_but_does_not_fail_them() {
        // `chorus publish`, `survey close` and token commands write through
        // their own connections. The writer must wait for them, not lose
        // its batch to a snapshot they made stale.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (writer, thread) = Writer::start(open(&path)).expect("start");
        let other = open(&path);
        sqlite(&other).execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO survey_state (survey_id, closed_day) VALUES ('other', NULL);",
        );
        let submitting = {
            let writer = writer.clone();
            std::thread::spawn(move || runtime().block_on(writer.submit(response("a"), false)))
        };
        // Let the writer start its transaction and wait on the lock.
        std::thread::sleep(Duration::from_millis(200));
        sqlite(&other).execute_batch("COMMIT");
        let outcome = submitting.join().expect("thread");
        assert_eq!(outcome.expect("stored"), InsertOutcome::Stored);
        drop(writer);
        thread.join();
    }

    #[test]
    fn the_writer_checkpoints_the_wal_so_it_does_not_grow() {
        // SQLite's own auto-checkpoint is replaced by the writer's: without
        // it these envelopes would leave every page in the WAL (2 000+).
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (writer, thread) = Writer::start(open(&path)).expect("start");
        let rt = runtime();
        let envelope = |i: usize| NewResponse {
            body: crate::store::Body::Sealed {
                key_id: "0123456789abcdef".into(),
                envelope: vec![7; 2172],
            },
            ..response(&format!("00000000-0000-4000-8000-{i:012}"))
        };
        let outcomes = rt.block_on(async {
            let tasks: Vec<_> = (0..6000)
                .map(|i| {
                    let writer = writer.clone();
                    tokio::spawn(async move { writer.submit(envelope(i), false).await })
                })
                .collect();
            let mut outcomes = Vec::new();
            for task in tasks {
                outcomes.push(task.await.expect("task").expect("stored"));
            }
            outcomes
        });
        assert!(outcomes.iter().all(|o| *o == InsertOutcome::Stored));
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_bytes = std::fs::metadata(&wal).expect("wal").len();
        // At most the threshold and one batch (512 rows) past it.
        let frame = u64::from(crate::store::sqlite::PAGE_SIZE) + 24;
        let bound = (crate::store::sqlite::CHECKPOINT_PAGES as u64 + 400) * frame;
        assert!(wal_bytes <= bound, "the WAL holds {wal_bytes} bytes");
        drop(writer);
        thread.join();
        assert_eq!(open(&path).response_count("s").expect("count"), 6000);
    }

    #[test]
    fn shutdown_commits_what_is_queued_and_refuses_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (writer, thread) = Writer::start(open(&path)).expect("start");
        let rt = runtime();
        assert_eq!(
            rt.block_on(writer.submit(response("a"), false))
                .expect("stored"),
            InsertOutcome::Stored
        );
        writer.shutdown();
        // A handle is still held, yet the thread stops.
        thread.join();
        let late = rt.block_on(writer.submit(response("b"), false));
        assert!(
            matches!(late, Err(SubmitError::Store(StoreError::Closed))),
            "{late:?}"
        );
        assert_eq!(open(&path).response_count("s").expect("count"), 1);
    }

    #[test]
    fn a_closed_survey_refuses_new_answers_but_recognises_retries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (writer, thread) = Writer::start(open(&path)).expect("start");
        let rt = runtime();
        let stored = rt.block_on(writer.submit(response("a"), false));
        assert_eq!(stored.expect("stored"), InsertOutcome::Stored);
        open(&path)
            .set_closed("s", true, "2026-11-30")
            .expect("close");
        let retry = rt.block_on(writer.submit(response("a"), false));
        assert_eq!(retry.expect("retry"), InsertOutcome::Duplicate);
        let new = rt.block_on(writer.submit(response("b"), false));
        assert_eq!(new.expect("closed"), InsertOutcome::Closed);
        open(&path)
            .set_closed("s", false, "2026-12-01")
            .expect("open");
        let by_file = rt.block_on(writer.submit(response("c"), true));
        assert_eq!(by_file.expect("closed"), InsertOutcome::Closed);
        drop(writer);
        thread.join();
        assert_eq!(open(&path).response_count("s").expect("count"), 1);
    }
}
