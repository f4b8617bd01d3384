//! A per-client limit on submissions, kept in memory only.
//!
//! A client is known by a keyed hash of its IP address: SHA-256 over a
//! 256-bit random key and the address, cut to 64 bits. The key comes from the
//! operating system's generator, is replaced every [`KEY_LIFETIME`], and is
//! never logged or written anywhere; the address itself is never kept. After
//! a rotation, or after the process stops, nothing links a counter to an
//! address.
//!
//! Fixed one-minute windows: at most `per_minute` submissions per client
//! per window; all counters are dropped when a window ends, so memory holds
//! at most one window of clients, and at most [`MAX_CLIENTS`] of those.
//! When that many distinct clients are seen within one minute the limiter
//! stops counting new ones until the window ends (it fails open: a flood
//! from very many addresses is for a proxy in front to handle, and real
//! respondents must not be locked out by it).
//!
//! Behind a reverse proxy every request comes from the proxy's address, so
//! all respondents would share one counter: there, limit at the proxy and
//! run `chorus serve --rate-limit 0`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// How long one hashing key is used.
pub const KEY_LIFETIME: Duration = Duration::from_secs(3600);
/// Length of a counting window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Most clients counted within one window.
pub const MAX_CLIENTS: usize = 100_000;

/// Whether a request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; the client may try again after this many seconds.
    Limited {
        retry_after: u64,
    },
}

/// The limiter shared by all request handlers.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    inner: Mutex<Inner>,
}

struct Inner {
    key: [u8; 32],
    key_born: Instant,
    window_start: Instant,
    counts: HashMap<u64, u32>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key or the hashes.
        f.debug_struct("Inner")
            .field("clients", &self.counts.len())
            .finish_non_exhaustive()
    }
}

fn fresh_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if rand::rngs::OsRng.try_fill_bytes(&mut key).is_err() {
        // No OS randomness: fall back to std's per-process random hasher
        // keys, still never written anywhere.
        use std::hash::{BuildHasher, Hasher};
        for chunk in key.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(0);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    key
}

impl RateLimiter {
    /// A limiter allowing `per_minute` submissions per client and minute.
    pub fn new(per_minute: u32) -> RateLimiter {
        let now = Instant::now();
        RateLimiter {
            per_minute,
            inner: Mutex::new(Inner {
                key: fresh_key(),
                key_born: now,
                window_start: now,
                counts: HashMap::new(),
            }),
        }
    }

    /// Counts one request from `addr` at `now` and decides.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Decision {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if now.duration_since(inner.key_born) >= KEY_LIFETIME {
            inner.key = fresh_key();
            inner.key_born = now;
            inner.counts.clear();
        }
        let elapsed = now.duration_since(inner.window_start);
        if elapsed >= WINDOW {
            inner.counts.clear();
            // Keep windows aligned to the first one; skip empty ones.
            let windows = elapsed.as_secs() / WINDOW.as_secs();
            inner.window_start += WINDOW * u32::try_from(windows).unwrap_or(u32::MAX);
        }
        let id = client_id(&inner.key, addr);
        let full = inner.counts.len() >= MAX_CLIENTS;
        let count = match inner.counts.get_mut(&id) {
            Some(c) => c,
            None if full => return Decision::Allow,
            None => inner.counts.entry(id).or_insert(0),
        };
        if *count >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(inner.window_start));
            return Decision::Limited {
                retry_after: left.as_secs().max(1),
            };
        }
        *count += 1;
        Decision::Allow
    }

    /// Clients counted in the current window (for tests).
    pub fn clients(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .counts
            .len()
    }
}

fn client_id(key: &[u8; 32], addr: IpAddr) -> u64 {
    let mut h = Sha256::new();
    h.update(key);
    match addr {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn each_client_gets_its_own_allowance_per_window() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip(1), t0), Decision::Allow);
        }
        let refused = limiter.check(ip(1), t0 + Duration::from_secs(20));
        // The window began when the limiter was made, just before t0.
        assert!(
            matches!(
                refused,
                Decision::Limited {
                    retry_after: 39 | 40
                }
            ),
            "{refused:?}"
        );
        assert_eq!(limiter.check(ip(2), t0), Decision::Allow);
        // The next window starts afresh, and the old counters are gone.
        assert_eq!(
            limiter.check(ip(1), t0 + Duration::from_secs(61)),
            Decision::Allow
        );
        assert_eq!(limiter.clients(), 1);
    }

    #[test]
    fn the_key_rotates_and_nothing_survives_it() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        let key_before = limiter.inner.lock().expect("lock").key;
        assert_eq!(limiter.check(ip(1), t0), Decision::Allow);
        let later = t0 + KEY_LIFETIME + Duration::from_secs(1);
        assert_eq!(limiter.check(ip(1), later), Decision::Allow);
        assert_ne!(limiter.inner.lock().expect("lock").key, key_before);
        assert_eq!(limiter.clients(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 10) {
            let a = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(limiter.check(a, t0), Decision::Allow);
        }
        assert_eq!(limiter.clients(), MAX_CLIENTS);
    }
}
