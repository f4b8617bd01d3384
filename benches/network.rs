//! A member on a slow network: headless Chromium opens a survey's first page
//! (`/s/<survey>`) on a real collector, with an empty cache and Chrome
//! DevTools network emulation (400 kbit/s down and up, 400 ms round trip),
//! and this prints how long until the server-rendered form is painted
//! (usable without the wasm), how long until the WASM runner has taken
//! over, and the bytes of the first visit; then the same without emulation.
//!
//! ```sh
//! cargo bench --bench network             # 5 runs of each
//! cargo bench --bench network -- --runs 3
//! ```
//!
//! Needs Debian's chromium and chromium-driver and a release frontend in
//! `dist/` (`trunk build --release --offline`). Every figure is read in the
//! page, relative to its navigation start (`performance.timeOrigin`):
//! first-contentful-paint from the paint timing entries, DOMContentLoaded
//! and the document's responseEnd from its navigation entry, and the
//! takeover from a MutationObserver that a DevTools
//! `Page.addScriptToEvaluateOnNewDocument` puts in place before any of the
//! page's scripts: it notes `performance.now()` when the server's `#ssr`
//! element is removed (`frontend/src/takeover.rs`). The bytes are each
//! entry's `transferSize` (headers included) and `encodedBodySize`.

#[allow(dead_code)]
#[path = "../tests/e2e/webdriver.rs"]
mod webdriver;
// `serve_child`: `chorus serve` as a child process, as the tests start it.
#[allow(dead_code)]
#[path = "../tests/e2e/helpers.rs"]
mod helpers;
// What `helpers` starts a collector on under `CHORUS_TEST_BACKEND=postgres`.
#[allow(dead_code)]
#[path = "../tests/e2e/pg.rs"]
mod pg;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use webdriver::{Chrome, Driver, emulate_network};

/// The emulated link: 400 kbit/s each way, 400 ms round trip.
const KBIT_PER_S: f64 = 400.0;
const RTT_MS: f64 = 400.0;
/// Targets: the server's form usable, and the WASM runner in charge.
const TARGET_USABLE_MS: f64 = 2_000.0;
const TARGET_TAKEOVER_MS: f64 = 5_000.0;
/// How long a run may wait for the takeover.
const TAKEOVER_LIMIT: Duration = Duration::from_secs(120);

/// Put in every new document before its own scripts: records (in
/// `window.__chorusBench`, times from `performance.now()`) when the form
/// of the server's page is first in the DOM, its first contentful paint,
/// and when `#ssr` is removed.
const PROBE: &str = r#"
(() => {
  const probe = window.__chorusBench = {};
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) {
        if (e.name === 'first-contentful-paint' && probe.fcp === undefined) probe.fcp = e.startTime;
      }
    }).observe({type: 'paint', buffered: true});
  } catch (e) { probe.error = String(e); }
  new MutationObserver(records => {
    const t = performance.now();
    if (probe.form === undefined && document.querySelector('#ssr form#survey-form')) probe.form = t;
    if (probe.takeover !== undefined) return;
    for (const r of records) {
      for (const n of r.removedNodes) {
        if (n.nodeType === 1 && (n.id === 'ssr' || n.querySelector('#ssr'))) {
          probe.takeover = t;
          return;
        }
      }
    }
  }).observe(document, {childList: true, subtree: true});
})();
"#;

/// What the page knows once the runner has taken over and the network is
/// quiet.
const COLLECT: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const paint = performance.getEntriesByType('paint');
const fcp = paint.find(e => e.name === 'first-contentful-paint');
const entry = e => ({
  url: e.name, kind: e.initiatorType || 'navigation', transfer: e.transferSize,
  encoded: e.encodedBodySize, decoded: e.decodedBodySize,
  start: e.startTime, end: e.responseEnd,
});
return {
  probe: window.__chorusBench || null,
  fcp: fcp ? fcp.startTime : null,
  dcl: nav.domContentLoadedEventStart,
  response_end: nav.responseEnd,
  entries: [entry(nav), ...performance.getEntriesByType('resource').map(entry)],
};
"#;

struct Options {
    runs: usize,
    survey: String,
    lang: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench --bench network [-- [--runs N] [--survey ID] [--lang CODE]]\n\
         \n  --runs N      runs of each measurement, each in a fresh browser (default 5)\
         \n  --survey ID   a survey of surveys/library/ (default network-priorities)\
         \n  --lang CODE   the page's language, ?lang= (default ru)"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut o = Options {
        runs: 5,
        survey: "network-priorities".into(),
        lang: "ru".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "--runs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => o.runs = n,
                _ => usage(),
            },
            "--survey" => o.survey = args.next().unwrap_or_else(|| usage()),
            "--lang" => o.lang = args.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    o
}

/// One resource of the first visit.
#[derive(Debug, Clone)]
struct Entry {
    url: String,
    kind: String,
    transfer: f64,
    encoded: f64,
    decoded: f64,
    start: f64,
    end: f64,
}

/// One first visit, times in ms from the navigation start.
#[derive(Debug, Clone)]
struct Visit {
    response_end: f64,
    dcl: f64,
    fcp: f64,
    form: f64,
    takeover: f64,
    entries: Vec<Entry>,
}

impl Visit {
    fn transfer(&self) -> f64 {
        self.entries.iter().map(|e| e.transfer).sum()
    }

    fn encoded(&self) -> f64 {
        self.entries.iter().map(|e| e.encoded).sum()
    }
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("the page did not record {what}: {v}"))
}

/// Opens `url` in a fresh Chromium (new profile, cache disabled), with the
/// network emulated or not, and waits for the takeover and a quiet network.
fn visit(url: &str, emulate: bool) -> Visit {
    let b = Driver::start_with(Chrome {
        javascript: true,
        page_load: "eager",
    });
    b.cdp("Network.enable", json!({}));
    b.cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}));
    if emulate {
        let bytes_per_s = KBIT_PER_S * 1000.0 / 8.0;
        emulate_network(&b, RTT_MS, bytes_per_s, bytes_per_s);
    }
    b.cdp("Page.enable", json!({}));
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": PROBE }),
    );
    b.goto(url);

    let deadline = Instant::now() + TAKEOVER_LIMIT;
    loop {
        let done = b.run(
            "const p = window.__chorusBench;\
             return !!p && p.takeover !== undefined && document.readyState === 'complete';",
            json!([]),
        );
        if done == json!(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the WASM runner did not take over {url} within {TAKEOVER_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Whatever the runner fetches after taking over, until nothing new has
    // come for longer than a round trip.
    let count =
        "return performance.getEntriesByType('resource').filter(e => e.responseEnd > 0).length;";
    let mut seen = b.run(count, json!([]));
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(1_500) {
        std::thread::sleep(Duration::from_millis(100));
        let now = b.run(count, json!([]));
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }

    let r = b.run(COLLECT, json!([]));
    let probe = &r["probe"];
    if let Some(e) = probe["error"].as_str() {
        panic!("the probe failed in the page: {e}");
    }
    let entries = r["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| Entry {
            url: e["url"].as_str().unwrap_or_default().to_string(),
            kind: e["kind"].as_str().unwrap_or_default().to_string(),
            transfer: e["transfer"].as_f64().unwrap_or(0.0),
            encoded: e["encoded"].as_f64().unwrap_or(0.0),
            decoded: e["decoded"].as_f64().unwrap_or(0.0),
            start: e["start"].as_f64().unwrap_or(0.0),
            end: e["end"].as_f64().unwrap_or(0.0),
        })
        .collect();
    Visit {
        response_end: number(&r["response_end"], "the document's responseEnd"),
        dcl: number(&r["dcl"], "DOMContentLoaded"),
        fcp: number(&r["fcp"], "a first contentful paint"),
        form: number(&probe["form"], "the server's form in the DOM"),
        takeover: number(&probe["takeover"], "the takeover"),
        entries,
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Thousands separated by thin spaces, as the README writes them.
fn grouped(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Which encoding Chromium got for `url`, from the length of its body
/// fetched again in each encoding the collector sends (or the status of a
/// response that is no 200).
fn encoding(url: &str, encoded: f64) -> String {
    for (ask, name) in [("br", "br"), ("gzip", "gzip"), ("identity", "none")] {
        let res = match ureq::get(url).set("Accept-Encoding", ask).call() {
            Ok(res) => res,
            Err(ureq::Error::Status(status, _)) => return status.to_string(),
            Err(_) => continue,
        };
        let sent = res
            .header("Content-Encoding")
            .unwrap_or("identity")
            .to_string();
        let mut body = Vec::new();
        if res.into_reader().read_to_end(&mut body).is_ok()
            && body.len() as f64 == encoded
            && (sent == ask || name == "none")
        {
            return name.to_string();
        }
    }
    "?".to_string()
}

fn print_runs(label: &str, target: Option<f64>, xs: &[f64], unit: &str) {
    let target = match target {
        Some(t) => format!("≤ {}", grouped(t)),
        None => String::new(),
    };
    let runs: Vec<String> = xs.iter().map(|x| grouped(*x)).collect();
    println!(
        "  {label:<34} {target:>9} {:>9} {:>9}  {unit}  [{}]",
        grouped(median(xs)),
        grouped(max(xs)),
        runs.join(", ")
    );
}

fn report(title: &str, visits: &[Visit], targets: bool) {
    let col = |f: fn(&Visit) -> f64| visits.iter().map(f).collect::<Vec<f64>>();
    let t = |x: f64| targets.then_some(x);
    println!("{title}");
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        "measure", "target", "median", "max"
    );
    print_runs("document responseEnd", None, &col(|v| v.response_end), "ms");
    print_runs("DOMContentLoaded", None, &col(|v| v.dcl), "ms");
    print_runs("server's form in the DOM", None, &col(|v| v.form), "ms");
    print_runs(
        "first contentful paint (usable)",
        t(TARGET_USABLE_MS),
        &col(|v| v.fcp),
        "ms",
    );
    print_runs(
        "WASM runner took over (#ssr gone)",
        t(TARGET_TAKEOVER_MS),
        &col(|v| v.takeover),
        "ms",
    );
    print_runs(
        "bytes transferred (transferSize)",
        None,
        &col(Visit::transfer),
        "B",
    );
    print_runs("bodies (encodedBodySize)", None, &col(Visit::encoded), "B");
    if targets {
        let fcp = median(&col(|v| v.fcp));
        let takeover = median(&col(|v| v.takeover));
        let met = |x: f64, t: f64| if x <= t { "met" } else { "NOT met" };
        println!(
            "  targets (medians): usable ≤ 2 s {}, taken over ≤ 5 s {}",
            met(fcp, TARGET_USABLE_MS),
            met(takeover, TARGET_TAKEOVER_MS)
        );
    }
    println!();
}

/// The resources of one visit, as the page saw them.
fn breakdown(root: &Path, base: &str, v: &Visit) {
    println!("the first visit, resource by resource (the emulated run at the median takeover):");
    println!(
        "  {:<44} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "resource", "kind", "transfer", "body", "decoded", "start", "end"
    );
    for e in &v.entries {
        let path = e.url.strip_prefix(base).unwrap_or(&e.url);
        let path = if path.chars().count() > 34 {
            format!("{}…", path.chars().take(33).collect::<String>())
        } else {
            path.to_string()
        };
        let name = format!("{path} ({})", encoding(&e.url, e.encoded));
        println!(
            "  {:<44} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8}",
            name,
            e.kind,
            grouped(e.transfer),
            grouped(e.encoded),
            grouped(e.decoded),
            grouped(e.start),
            grouped(e.end)
        );
    }
    let dist = dist_files(root);
    let in_dist = |e: &Entry| {
        let name = e.url.rsplit('/').next().unwrap_or_default();
        dist.iter().any(|f| f == name)
    };
    let sum = |f: &dyn Fn(&Entry) -> bool| -> f64 {
        v.entries.iter().filter(|e| f(e)).map(|e| e.encoded).sum()
    };
    println!(
        "  bodies: the page {} B, Trunk's files from dist/ (wasm, JS glue, CSS) {} B, \
         the collector's other files {} B, API JSON {} B; total {} B",
        grouped(sum(&|e| e.kind == "navigation")),
        grouped(sum(&|e| in_dist(e))),
        grouped(sum(&|e| {
            e.kind != "navigation" && !in_dist(e) && !e.url.contains("/api/")
        })),
        grouped(sum(&|e| e.url.contains("/api/"))),
        grouped(v.encoded())
    );
    println!();
}

/// The names of the files Trunk built.
fn dist_files(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("dist"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn main() {
    let o = options();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !root.join("dist").join("index.html").is_file() {
        eprintln!(
            "network bench: no built frontend in {}.\n\
             Build it first (release, as the collector serves it):\n\
             \n    trunk build --release --offline\n\
             \nor `bash -c 'source scripts/setup.sh; build_frontend'` (scripts/setup.sh installs trunk).",
            root.join("dist").display()
        );
        std::process::exit(1);
    }
    for (tool, var, default) in [
        ("chromium", "CHROMIUM", "/usr/bin/chromium"),
        ("chromedriver", "CHROMEDRIVER", "/usr/bin/chromedriver"),
    ] {
        let path = std::env::var(var).unwrap_or_else(|_| default.into());
        if !Path::new(&path).is_file() {
            eprintln!(
                "network bench: no {tool} at {path} (set {var}); \
                 `apt-get install chromium chromium-driver` (scripts/test.sh does)"
            );
            std::process::exit(1);
        }
    }

    let db_dir = tempfile::tempdir().expect("a temporary folder");
    let dist = root.join("dist").display().to_string();
    let collector = helpers::serve_child(db_dir.path().join("bench.db"), &["--dist", &dist], &[]);
    let base = collector.url("");
    let url = format!("{base}/s/{}?lang={}", o.survey, o.lang);
    let check = ureq::get(&url).call();
    if !matches!(&check, Ok(r) if r.status() == 200) {
        eprintln!(
            "network bench: {url} is not a survey page ({:?}); surveys in surveys/library/:\n{}",
            check.map(|r| r.status()).map_err(|e| e.to_string()),
            collector.output.lock().unwrap_or_else(|p| p.into_inner())
        );
        std::process::exit(1);
    }
    println!(
        "network bench: GET /s/{}?lang={} on {}, {} run(s) each, every run in a fresh \
         headless Chromium (new profile, Network.setCacheDisabled)",
        o.survey, o.lang, base, o.runs
    );
    println!(
        "emulated link: {KBIT_PER_S} kbit/s down and up, {RTT_MS} ms latency per request \
         (Network.emulateNetworkConditions); times in ms from navigation start"
    );
    println!();

    let visits = |label: &str, emulate: bool| -> Vec<Visit> {
        (1..=o.runs)
            .map(|i| {
                let v = visit(&url, emulate);
                eprintln!(
                    "  {label} run {i}: FCP {:.0} ms, takeover {:.0} ms, {} B",
                    v.fcp,
                    v.takeover,
                    grouped(v.transfer())
                );
                v
            })
            .collect()
    };
    let slow = visits("emulated", true);
    let fast = visits("reference", false);
    eprintln!();

    report(
        &format!("emulated: {KBIT_PER_S} kbit/s, {RTT_MS} ms RTT"),
        &slow,
        true,
    );
    report("reference: no emulation (loopback)", &fast, false);
    let mut by_takeover = slow.clone();
    by_takeover.sort_by(|a, b| a.takeover.total_cmp(&b.takeover));
    breakdown(&root, &base, &by_takeover[by_takeover.len() / 2]);
}
