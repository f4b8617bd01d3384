//! Slow and hostile clients against `chorus serve` (the real binary, real
//! TCP): 3,000 half-sent headers are all closed after `--header-timeout`; at
//! `--max-connections` a flood of them cannot keep an honest request out;
//! a body that does not arrive within `--request-timeout` gets 408; and a
//! client that goes away is not an error in the log.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::helpers::{ServeChild, get, serve_child};

fn serve(extra: &[&str]) -> (tempfile::TempDir, ServeChild) {
    let dir = tempfile::tempdir().expect("tempdir");
    let child = serve_child(dir.path().join("chorus.db"), extra, &[]);
    (dir, child)
}

/// A connection that sends half a request header and then nothing.
fn half_header(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /api/surveys HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        .expect("send half a header");
    s
}

/// Whether the server has closed `s` (waiting at most `wait`).
fn closed(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            // Whatever it said before closing (hyper may answer 408).
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn half_sent_headers_are_closed_after_the_header_timeout() {
    let (_dir, app) = serve(&["--header-timeout", "1"]);
    // Still open well inside the timeout…
    let mut first = half_header(app.addr);
    assert!(!closed(&mut first, Duration::from_millis(200)));
    let mut slow: Vec<TcpStream> = (0..3000).map(|_| half_header(app.addr)).collect();
    // …and every one closed soon after it.
    for (i, s) in slow.iter_mut().enumerate() {
        assert!(
            closed(s, Duration::from_secs(5)),
            "connection {i} still open"
        );
    }
    assert!(closed(&mut first, Duration::from_secs(5)));
    // The collector still answers.
    assert_eq!(get(&app.url("/api/surveys")).status, 200);
    let (status, output) = app.terminate();
    assert!(status.success(), "{output}");
    assert!(!output.contains("ERROR"), "{output}");
}

#[test]
fn at_the_connection_cap_idle_connections_make_room_for_an_honest_request() {
    let (_dir, app) = serve(&["--max-connections", "50", "--header-timeout", "120"]);
    let mut slow: Vec<TcpStream> = (0..300).map(|_| half_header(app.addr)).collect();
    // The honest request comes through at once, cap or not.
    let started = Instant::now();
    assert_eq!(get(&app.url("/api/surveys")).status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    // At most the cap is still open (the newest ones); the rest were closed
    // to make room, long before their header timeout.
    std::thread::sleep(Duration::from_millis(300));
    let mut open = 0;
    for s in &mut slow {
        if !closed(s, Duration::from_millis(20)) {
            open += 1;
        }
    }
    assert!(open <= 50, "{open} of the slow connections are still open");
    assert!(
        open >= 40,
        "only {open} open: the cap closes more than it must"
    );
    let (status, output) = app.terminate();
    assert!(status.success(), "{output}");
}

#[test]
fn a_body_that_does_not_arrive_gets_408_and_a_client_that_leaves_is_no_error() {
    let (_dir, app) = serve(&["--request-timeout", "1"]);
    let mut s = TcpStream::connect(app.addr).expect("connect");
    write!(
        s,
        "POST /api/surveys/ost-hiv-access/responses HTTP/1.1\r\nHost: test\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"submi"
    )
    .expect("send");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("request_timeout"), "{reply}");

    // Gone in the middle of a body, and in the middle of a header.
    let mut gone = TcpStream::connect(app.addr).expect("connect");
    write!(
        gone,
        "POST /api/surveys/ost-hiv-access/responses HTTP/1.1\r\nHost: test\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"sub"
    )
    .expect("send");
    drop(gone);
    drop(half_header(app.addr));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&app.url("/api/surveys")).status, 200);
    let (status, output) = app.terminate();
    assert!(status.success(), "{output}");
    assert!(!output.contains("ERROR"), "{output}");
}

#[test]
fn the_defences_take_no_nonsense_settings() {
    for (flag, value) in [
        ("--header-timeout", "0"),
        ("--request-timeout", "soon"),
        ("--max-connections", "0"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(["serve", flag, value])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
}

/// A client still writing a body over the limit reads the 413, not a
/// connection reset: the collector drains what it sends (bounded) before
/// closing.
#[test]
fn a_client_writing_a_body_over_the_limit_reads_the_413() {
    let (_dir, app) = serve(&[]);
    let mut s = TcpStream::connect(app.addr).expect("connect");
    write!(
        s,
        "POST /api/surveys/ost-hiv-access/responses HTTP/1.1\r\nHost: test\r\n\
         Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
    )
    .expect("send headers");
    // The reply comes at once; the client goes on writing for a while.
    std::thread::sleep(Duration::from_millis(200));
    let chunk = [b'x'; 16 * 1024];
    for i in 0..32 {
        s.write_all(&chunk)
            .unwrap_or_else(|e| panic!("chunk {i} refused by a reset: {e}"));
        std::thread::sleep(Duration::from_millis(10));
    }
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("body_too_large"), "{reply}");
    let (status, output) = app.terminate();
    assert!(status.success(), "{output}");
}
