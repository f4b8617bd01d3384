//! A small W3C WebDriver client for headless Chromium, spoken over plain
//! HTTP to Debian's chromedriver (started on a free port for each
//! [`Driver`]), with a fresh browser profile each time.
//!
//! Shared by the browser tests (`browser.rs`, `nojs.rs`) and the network
//! benchmark (`benches/network.rs`, which includes this file with
//! `#[path]`): it depends on nothing else in the tests.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Driver {
    child: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn wd(method: &str, url: &str, body: Option<Value>) -> Value {
    let req = ureq::request(method, url);
    let res = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let res = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("webdriver transport error on {url}: {e}"),
    };
    res.into_json().expect("webdriver JSON")
}

/// The value of a WebDriver answer, or a panic with its error.
pub(crate) fn value(r: Value, what: &str) -> Value {
    if let Some(e) = r["value"]["error"].as_str() {
        panic!(
            "{what}: {e}: {}",
            r["value"]["message"].as_str().unwrap_or_default()
        );
    }
    r["value"].clone()
}

/// How Chromium is started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chrome {
    /// JavaScript on (else off for every site, as a Chromium policy would
    /// switch it off; WebDriver's own scripts still run).
    pub javascript: bool,
    /// The WebDriver page load strategy: `normal` waits for the `load`
    /// event (which waits for the preloaded WASM), `eager` only for the
    /// document to be parsed.
    pub page_load: &'static str,
}

impl Default for Chrome {
    fn default() -> Chrome {
        Chrome {
            javascript: true,
            page_load: "normal",
        }
    }
}

impl Driver {
    pub(crate) fn start() -> Driver {
        Driver::start_with(Chrome::default())
    }

    /// Chromium with JavaScript off.
    pub(crate) fn start_without_javascript() -> Driver {
        Driver::start_with(Chrome {
            javascript: false,
            ..Chrome::default()
        })
    }

    pub(crate) fn start_with(chrome: Chrome) -> Driver {
        Driver::start_in(chrome, tempfile::tempdir().expect("profile dir"))
    }

    /// Quits the browser and starts it again on the same profile — its
    /// service workers, caches and IndexedDB — as after a phone was
    /// switched off and on.
    pub(crate) fn restart(mut self) -> Driver {
        let profile = std::mem::replace(&mut self._profile, tempfile::tempdir().expect("tempdir"));
        drop(self);
        // Chromium removes its lock when it has written the profile and quit.
        let lock = profile.path().join("SingletonLock");
        let deadline = Instant::now() + Duration::from_secs(20);
        while lock.symlink_metadata().is_ok() {
            assert!(Instant::now() < deadline, "Chromium did not quit");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver::start_in(Chrome::default(), profile)
    }

    fn start_in(chrome: Chrome, profile: tempfile::TempDir) -> Driver {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {chromedriver} ({e}); scripts/test.sh installs chromium-driver"
                )
            });
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=360,800",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        });
        if !chrome.javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": chrome.page_load,
            "goog:chromeOptions": options
        }}});
        let session = wd("POST", &format!("{base}/session"), Some(caps));
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_string();
        Driver {
            child,
            base,
            session: id,
            _profile: profile,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    pub(crate) fn goto(&self, url: &str) {
        wd("POST", &self.url("/url"), Some(json!({ "url": url })));
    }

    pub(crate) fn try_find(&self, css: &str) -> Option<String> {
        let r = wd(
            "POST",
            &self.url("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        r["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// Waits (polling, bounded) until `css` matches, then returns the element.
    pub(crate) fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            assert!(Instant::now() < deadline, "no element matches {css}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn click(&self, css: &str) {
        let e = self.find(css);
        let r = wd(
            "POST",
            &self.url(&format!("/element/{e}/click")),
            Some(json!({})),
        );
        assert!(r["value"].is_null(), "click {css}: {r}");
    }

    pub(crate) fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        let r = wd(
            "POST",
            &self.url(&format!("/element/{e}/value")),
            Some(json!({ "text": text })),
        );
        assert!(r["value"].is_null(), "type into {css}: {r}");
    }

    pub(crate) fn text(&self, css: &str) -> String {
        let e = self.find(css);
        wd("GET", &self.url(&format!("/element/{e}/text")), None)["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until the text of `css` contains `needle`.
    pub(crate) fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let t = self.text(css);
            if t.contains(needle) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}; last: {t:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub(crate) fn run(&self, script: &str, args: Value) -> Value {
        let r = wd(
            "POST",
            &self.url("/execute/sync"),
            Some(json!({ "script": script, "args": args })),
        );
        value(r, "execute")
    }

    /// Runs an asynchronous `script` in the page: it ends by calling its
    /// last argument (after `args`) with the result.
    pub(crate) fn run_async(&self, script: &str, args: Value) -> Value {
        let r = wd(
            "POST",
            &self.url("/execute/async"),
            Some(json!({ "script": script, "args": args })),
        );
        value(r, "execute async")
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub(crate) fn cdp(&self, cmd: &str, params: Value) -> Value {
        let r = wd(
            "POST",
            &self.url("/goog/cdp/execute"),
            Some(json!({ "cmd": cmd, "params": params })),
        );
        value(r, cmd)
    }
}

/// Waits (polling, bounded) until nothing matches `css`.
pub(crate) fn wait_gone(browser: &Driver, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.try_find(css).is_some() {
        assert!(Instant::now() < deadline, "{css} is still there");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Chrome DevTools network emulation for this browser's page: `latency_ms`
/// added to every request (before its response headers), and downloads and
/// uploads limited to the given bytes per second (`-1`: no limit).
pub(crate) fn emulate_network(b: &Driver, latency_ms: f64, down: f64, up: f64) {
    b.cdp(
        "Network.emulateNetworkConditions",
        json!({
            "offline": false,
            "latency": latency_ms,
            "downloadThroughput": down,
            "uploadThroughput": up,
        }),
    );
}

/// Slows every download to `bytes_per_second` (`None`: full speed again).
pub(crate) fn throttle(b: &Driver, bytes_per_second: Option<f64>) {
    let rate = bytes_per_second.unwrap_or(-1.0);
    emulate_network(b, 0.0, rate, rate);
}
