//! The one writer: a thread that owns the write connection and commits
//! submissions in groups.
//!
//! Handlers send a job and wait for its reply. The thread takes every job
//! that is waiting (up to [`MAX_BATCH`]), inserts them in one transaction,
//! commits (durable: WAL + `synchronous = FULL`), and only then replies to
//! each. Under load many submissions share one fsync; when idle a lone
//! submission is committed at once.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::db::{self, InsertOutcome, NewResponse, StoreError};

/// Most submissions committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// Most submissions waiting for the writer before new ones are refused (503).
pub const QUEUE_CAPACITY: usize = 8192;

type Reply = oneshot::Sender<Result<InsertOutcome, StoreError>>;

struct Job {
    response: NewResponse,
    reply: Reply,
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
    tx: SyncSender<Job>,
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
    /// Starts the writer thread on `conn`.
    pub fn start(conn: Connection) -> std::io::Result<(Writer, WriterThread)> {
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let handle = std::thread::Builder::new()
            .name("chorus-writer".into())
            .spawn(move || run(conn, rx))?;
        Ok((Writer { tx }, WriterThread(handle)))
    }

    /// Stores `response`; resolves once it is durably committed (or refused).
    pub async fn submit(&self, response: NewResponse) -> Result<InsertOutcome, SubmitError> {
        let (reply, wait) = oneshot::channel();
        match self.tx.try_send(Job { response, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(SubmitError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(StoreError::Closed.into()),
        }
        match wait.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Closed.into()),
        }
    }
}

fn run(mut conn: Connection, rx: Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    loop {
        // Block for the first job; the channel closing ends the thread.
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(job) => batch.push(job),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, &mut batch);
    }
    // Leave a clean WAL behind; failure here loses nothing.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

fn commit_batch(conn: &mut Connection, batch: &mut Vec<Job>) {
    let outcomes: Result<Vec<InsertOutcome>, StoreError> = (|| {
        let tx = conn.transaction()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for job in batch.iter() {
            outcomes.push(db::insert_response(&tx, &job.response)?);
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    match outcomes {
        Ok(outcomes) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                // The client may have gone; its answer is stored all the same.
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, batch = batch.len(), "could not commit submissions");
            let message = e.to_string();
            for job in batch.drain(..) {
                let _ = job
                    .reply
                    .send(Err(StoreError::Unavailable(message.clone())));
            }
        }
    }
}
