//! The collector's log lines, written off the request path.
//!
//! Every handled request logs one line (method, route, status, duration).
//! Written straight to stdout that is one `write` system call per request,
//! which `chorus bench` measured at about a fifth of the collector's
//! throughput. Here each line is handed to one thread that writes whatever
//! has gathered in a single call: one system call for many requests when
//! busy, a line at once when idle.
//!
//! Nothing is dropped while the process runs: when [`CAPACITY`] lines are
//! waiting, loggers wait for the thread (back-pressure, like a slow
//! terminal). Dropping the [`FlushGuard`] writes every line logged before
//! it, so the last lines of a stopping collector are not lost; a killed
//! process loses only what the thread had not yet written.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender};

use tracing_subscriber::fmt::MakeWriter;

/// Lines that may wait for the writing thread before loggers block.
pub const CAPACITY: usize = 16 * 1024;
/// Bytes gathered before they are written even if more lines wait.
const CHUNK: usize = 64 * 1024;

enum Msg {
    Line(Vec<u8>),
    /// Write everything before this, then answer.
    Flush(SyncSender<()>),
}

/// A `tracing` writer that hands each formatted line to the log thread.
#[derive(Debug, Clone)]
pub struct Lines {
    tx: SyncSender<Msg>,
}

/// Writes every line logged so far when dropped (or [`FlushGuard::flush`]ed).
#[derive(Debug)]
pub struct FlushGuard {
    tx: SyncSender<Msg>,
}

/// Starts the log thread writing to stdout.
pub fn to_stdout() -> std::io::Result<(Lines, FlushGuard)> {
    start(std::io::stdout)
}

/// Starts the log thread; `out` gives the writer for each batch of lines
/// (stdout is not held locked between batches, so `println!` still works).
fn start<W, F>(out: F) -> std::io::Result<(Lines, FlushGuard)>
where
    W: Write,
    F: FnMut() -> W + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(CAPACITY);
    std::thread::Builder::new()
        .name("chorus-log".into())
        .spawn(move || run(&rx, out))?;
    Ok((Lines { tx: tx.clone() }, FlushGuard { tx }))
}

fn run<W: Write>(rx: &Receiver<Msg>, mut out: impl FnMut() -> W) {
    let mut buf = Vec::with_capacity(CHUNK);
    let mut waiting: Vec<SyncSender<()>> = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Line(line) => buf.extend_from_slice(&line),
                Msg::Flush(done) => waiting.push(done),
            }
            next = if buf.len() < CHUNK {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !buf.is_empty() {
            let mut w = out();
            // A closed stdout loses the log, never an answer: keep serving.
            let _ = w.write_all(&buf).and_then(|()| w.flush());
            buf.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

impl FlushGuard {
    /// Waits until every line logged before this call is written.
    pub fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// One event's writer: `tracing` formats a whole line, then writes it once.
#[derive(Debug)]
pub struct LineWriter<'a> {
    tx: &'a SyncSender<Msg>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx.send(Msg::Line(buf.to_vec())).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "log thread stopped")
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter { tx: &self.tx }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records each `write_all` batch the log thread makes.
    #[derive(Clone, Default)]
    struct Batches(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Batches {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_whole_in_order_and_flush_waits_for_them() {
        let batches = Batches::default();
        let sink = batches.clone();
        let (lines, guard) = start(move || sink.clone()).expect("start");
        for i in 0..1000 {
            writeln!(lines.make_writer(), "line {i}").expect("write");
        }
        guard.flush();
        let written: Vec<u8> = batches.0.lock().expect("lock").concat();
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(written).expect("utf-8"), expected);
    }

    #[test]
    fn lines_waiting_together_are_written_in_one_call() {
        // The thread is held up by its first write while lines queue behind.
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().expect("lock");
        let batches = Batches::default();
        let sink = batches.clone();
        let thread_gate = gate.clone();
        let (lines, guard) = start(move || {
            drop(thread_gate.lock().expect("gate"));
            sink.clone()
        })
        .expect("start");
        for i in 0..100 {
            writeln!(lines.make_writer(), "line {i}").expect("write");
        }
        drop(held);
        guard.flush();
        let calls = batches.0.lock().expect("lock").len();
        assert!(
            calls <= 2,
            "100 queued lines took {calls} writes; expected them gathered"
        );
    }

    #[test]
    fn dropping_the_guard_writes_what_is_queued() {
        let batches = Batches::default();
        let sink = batches.clone();
        let (lines, guard) = start(move || sink.clone()).expect("start");
        writeln!(lines.make_writer(), "last words").expect("write");
        drop(guard);
        assert_eq!(batches.0.lock().expect("lock").concat(), b"last words\n");
    }
}
