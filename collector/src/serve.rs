//! The HTTP server loop: accepts connections, serves each with hyper's
//! HTTP/1, and defends the collector against slow and hostile clients.
//!
//! * **Header timeout** (`--header-timeout`, default 10 s): a connection
//!   that has not sent a whole request header in that time is closed — on
//!   its first request and between keep-alive requests alike (hyper's
//!   `header_read_timeout`).
//! * **Request timeout** (`--request-timeout`, default 60 s): from the
//!   complete header to the response, body upload included. A body sent
//!   slower than that gets `408` and the connection is closed; a survey's
//!   answers are a few kilobytes, so an honest client on 2G finishes in
//!   seconds.
//! * **Connection cap** (`--max-connections`, default 1024): at the cap, a
//!   new connection closes the **idle** connection that has waited longest
//!   — one that is reading a request header or between keep-alive requests,
//!   never one whose request is being handled or whose response is still
//!   being sent — so a flood of half-sent
//!   headers cannot keep honest members out: each of them takes the place
//!   of an idle one at once. Only when every connection is busy with a
//!   request is the new one closed straight away (the outbox sends it again
//!   later).
//!
//! * **Lingering close**: when hyper closes a connection whose request
//!   body it did not read (a `413` for a body over the limit, say), the
//!   collector first stops sending, then reads and discards what the client
//!   is still sending — at most [`LINGER_BYTES`] for at most
//!   [`LINGER_TIME`], and only while bytes keep coming (a pause of
//!   [`LINGER_QUIET`] ends it, so an idle client costs nothing) — so that the client reads the reply instead of a
//!   connection reset (as nginx's lingering close does).
//!
//! The peer's address reaches the routes as a request extension ([`Peer`])
//! for the in-memory rate limiter only; it is never logged or stored. A
//! client that goes away mid-request is not an error (logged at `debug`,
//! without its address).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use warp::Filter;

/// The most a closing connection reads and discards ([`Lingering`]).
pub const LINGER_BYTES: usize = 1 << 20;
/// The longest a closing connection waits for the client's last bytes.
pub const LINGER_TIME: Duration = Duration::from_secs(5);
/// A pause this long in what the client sends ends the wait.
pub const LINGER_QUIET: Duration = Duration::from_millis(500);

/// A closing connection's wait: bytes left to read, the overall deadline,
/// the pause that ends it.
struct Drain {
    left: usize,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    quiet: std::pin::Pin<Box<tokio::time::Sleep>>,
}

/// A connection's socket that, asked to shut down, first ends its own
/// sending and then drains what the client still sends (bounded), before
/// it is dropped: closing a socket with unread bytes makes the kernel
/// send a reset, which can reach the client before the reply does.
struct Lingering {
    stream: tokio::net::TcpStream,
    /// While draining.
    drain: Option<Drain>,
}

impl Lingering {
    fn new(stream: tokio::net::TcpStream) -> Lingering {
        Lingering {
            stream,
            drain: None,
        }
    }
}

impl tokio::io::AsyncRead for Lingering {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Lingering {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let this = &mut *self;
        if this.drain.is_none() {
            std::task::ready!(std::pin::Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.drain = Some(Drain {
                left: LINGER_BYTES,
                deadline: Box::pin(tokio::time::sleep(LINGER_TIME)),
                quiet: Box::pin(tokio::time::sleep(LINGER_QUIET)),
            });
        }
        let Some(drain) = this.drain.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        loop {
            if drain.left == 0
                || drain.deadline.as_mut().poll(cx).is_ready()
                || drain.quiet.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(Ok(()));
            }
            let mut buf = tokio::io::ReadBuf::new(&mut scratch);
            match tokio::io::AsyncRead::poll_read(
                std::pin::Pin::new(&mut this.stream),
                cx,
                &mut buf,
            ) {
                // The client has finished (or the socket failed): done.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    drain.left = drain.left.saturating_sub(buf.filled().len());
                    drain
                        .quiet
                        .as_mut()
                        .reset(tokio::time::Instant::now() + LINGER_QUIET);
                }
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The defences' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// The client's address, for the rate limiter (see the module's notes).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The peer's address, as `warp::addr::remote()` gives it under warp's own
/// server.
pub fn peer()
-> impl Filter<Extract = (Option<SocketAddr>,), Error = std::convert::Infallible> + Clone {
    warp::ext::optional::<Peer>().map(|p: Option<Peer>| p.map(|p| p.0))
}

/// One open connection, as the cap sees it.
struct Open {
    /// A request of it is being handled (not reading a header, not idle).
    busy: Arc<AtomicBool>,
    /// Closes it.
    close: Arc<Notify>,
}

/// The open connections, oldest first (ids only grow).
#[derive(Default)]
struct Registry {
    next: u64,
    open: BTreeMap<u64, Open>,
}

impl Registry {
    /// Makes room for one more connection under `max`: closes the idle one
    /// that has waited longest. `false` when every one is busy.
    fn make_room(&mut self, max: usize) -> bool {
        if self.open.len() < max {
            return true;
        }
        let idle = self
            .open
            .iter()
            .find(|(_, c)| !c.busy.load(Ordering::Acquire))
            .map(|(id, _)| *id);
        match idle.and_then(|id| self.open.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `service` (the routes, as `warp::service(filter)`) on
/// `listener` until `shutdown` completes; then stops accepting and waits
/// for the open requests to finish (the caller bounds how long).
pub async fn run<S>(
    listener: TcpListener,
    service: S,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: tower_service::Service<
            hyper::Request<Incoming>,
            Response = warp::reply::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let registry = Arc::new(Mutex::new(Registry::default()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let busy = Arc::new(AtomicBool::new(false));
        let close = Arc::new(Notify::new());
        let id = {
            let mut r = registry.lock().unwrap_or_else(|e| e.into_inner());
            if !r.make_room(limits.max_connections) {
                drop(stream);
                continue;
            }
            let id = r.next;
            r.next += 1;
            r.open.insert(
                id,
                Open {
                    busy: Arc::clone(&busy),
                    close: Arc::clone(&close),
                },
            );
            id
        };
        let service = hyper::service::service_fn({
            let filtered = service.clone();
            let busy = Arc::clone(&busy);
            move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(Peer(addr));
                // Busy from the complete header until the response's body
                // has been sent (a streamed export too), or dropped.
                busy.store(true, Ordering::Release);
                let guard = Busy(Arc::clone(&busy));
                let reply = tower_service::Service::call(&mut filtered.clone(), req);
                async move {
                    let reply = tokio::time::timeout(limits.request_timeout, reply).await;
                    let response = match reply {
                        Ok(Ok(response)) => response,
                        Ok(Err(never)) => match never {},
                        Err(_) => timed_out(),
                    };
                    Ok::<_, std::convert::Infallible>(
                        response.map(|body| Tracked { body, _busy: guard }),
                    )
                }
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(Lingering::new(stream)), service);
        let conn = graceful.watch(conn);
        let registry = Arc::clone(&registry);
        tokio::spawn(async move {
            tokio::select! {
                done = conn => {
                    if let Err(e) = done {
                        // A client that went away, a header too slow or
                        // malformed: the client's business, not an error of
                        // the collector's.
                        tracing::debug!("connection ended: {e}");
                    }
                }
                () = close.notified() => {}
            }
            registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .open
                .remove(&id);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Marks its connection idle again when dropped.
struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A response body that keeps its connection busy until it is dropped
/// (hyper drops it once it is sent, or when the connection ends).
struct Tracked<B> {
    body: B,
    _busy: Busy,
}

impl<B: http_body::Body + Unpin> http_body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// `408`: the request's body did not arrive in time. The connection is
/// closed after it (the rest of a half-sent body cannot be told from the
/// next request).
fn timed_out() -> warp::reply::Response {
    let body = crate::error::ApiError::new(
        warp::http::StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request did not arrive in time; send it again",
    );
    let mut response = warp::Reply::into_response(body);
    response.headers_mut().insert(
        warp::http::header::CONNECTION,
        warp::http::HeaderValue::from_static("close"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(busy: bool) -> (Open, Arc<Notify>) {
        let close = Arc::new(Notify::new());
        (
            Open {
                busy: Arc::new(AtomicBool::new(busy)),
                close: Arc::clone(&close),
            },
            close,
        )
    }

    #[test]
    fn a_connection_stays_busy_until_its_response_body_is_dropped() {
        let busy = Arc::new(AtomicBool::new(true));
        let body = Tracked {
            body: String::from("a streamed export"),
            _busy: Busy(Arc::clone(&busy)),
        };
        assert!(busy.load(Ordering::Acquire), "busy while the body is sent");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(17));
        drop(body);
        assert!(!busy.load(Ordering::Acquire), "idle once it is gone");
    }

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room_never_a_busy_one() {
        let mut r = Registry::default();
        let (a, _) = open(true);
        let (b, _) = open(false);
        let (c, _) = open(false);
        r.open.insert(0, a);
        r.open.insert(1, b);
        r.open.insert(2, c);
        assert!(r.make_room(4), "under the cap nothing closes");
        assert_eq!(r.open.len(), 3);
        assert!(r.make_room(3));
        assert_eq!(r.open.keys().copied().collect::<Vec<_>>(), [0, 2]);
        assert!(r.make_room(2));
        assert_eq!(r.open.keys().copied().collect::<Vec<_>>(), [0]);
        assert!(
            !r.make_room(1),
            "the busy one stays; the newcomer does not fit"
        );
        assert_eq!(r.open.len(), 1);
    }
}
