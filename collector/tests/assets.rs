//! The frontend's files over real HTTP: each coding a client asks for comes
//! back with its headers, and decodes to exactly the file in `dist/`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A collector on 127.0.0.1:0 serving `dist`, stopped on drop.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn surveys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../surveys/library")
}

fn spawn(dist: &Path) -> Server {
    spawn_with(Some(dist), collector::install::DEFAULT_APP_NAME)
}

/// A collector serving `dist` (or no frontend) under the app name `name`.
fn spawn_with(dist: Option<&Path>, name: &str) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = collector::Config {
        app_name: name.to_string(),
        ..collector::Config::new(
            "127.0.0.1:0".parse().expect("addr"),
            dir.path().join("chorus.db"),
            surveys(),
            dist.map(Path::to_path_buf),
        )
    };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = collector::Application::build(config)
                .await
                .expect("collector starts");
            addr_tx.send(app.addr()).expect("send addr");
            app.run_until(async {
                let _ = stop_rx.await;
            })
            .await;
        });
    });
    let addr = addr_rx.recv().expect("collector reported its address");
    Server {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
        _dir: dir,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    /// Lower-case names; repeated fields joined with ", ".
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One HTTP/1.1 request on its own connection, read to the end: the bytes
/// exactly as sent, nothing decoded.
fn request(addr: SocketAddr, method: &str, path: &str, accept_encoding: Option<&str>) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(ae) = accept_encoding {
        req.push_str(&format!("Accept-Encoding: {ae}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the header");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII header");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').expect("header field");
        headers
            .entry(k.trim().to_ascii_lowercase())
            .and_modify(|old| {
                old.push_str(", ");
                old.push_str(v.trim());
            })
            .or_insert_with(|| v.trim().to_string());
    }
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Text that compresses as a real bundle does (repeated shapes, varied
/// names and numbers), not a run of one byte. Deterministic.
fn bundle(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words = [
        "survey", "question", "answer", "render", "state", "value", "choice", "submit", "queue",
        "length", "wasm", "bindgen", "closure", "element", "option",
    ];
    let mut out = String::new();
    while out.len() < len {
        let a = words[(next() % 15) as usize];
        let b = words[(next() % 15) as usize];
        let n = next() % 100_000;
        out.push_str(&format!(
            "function {a}_{b}_{n:x}(arg0, arg1) {{ const ret = getObject(arg0).{b}(arg1 >>> {}); return addHeapObject(ret); }}\n",
            n % 32
        ));
    }
    out.truncate(len);
    out.into_bytes()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

const WASM: &str = "frontend-3f2a9c41d0e7.wasm";
const JS: &str = "frontend-3f2a9c41d0e7.js";
const CSS: &str = "style-8b1d2e.css";
const INDEX: &str = "index.html";
const TINY: &str = "tiny-0a.js";
const LONG: &str = "public, max-age=31536000, immutable";

fn dist() -> (tempfile::TempDir, BTreeMap<&'static str, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(bundle(120_000));
    let index = format!(
        "<!doctype html><html><head><link rel=\"stylesheet\" href=\"/{CSS}\">\
         <script type=\"module\">import init from '/{JS}'; init('/{WASM}');</script>\
         </head><body>{}</body></html>",
        "<p>Chorus</p>".repeat(40)
    );
    let files = BTreeMap::from([
        (WASM, wasm),
        (JS, bundle(30_000)),
        (CSS, bundle(6_000)),
        (INDEX, index.into_bytes()),
        (TINY, b"x".to_vec()),
    ]);
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    // Not servable: a dot-file and a folder.
    std::fs::write(dir.path().join(".secret"), "no").expect("write");
    std::fs::create_dir(dir.path().join("snippets")).expect("mkdir");
    std::fs::write(dir.path().join("snippets").join("a.js"), "no").expect("write");
    (dir, files)
}

#[test]
fn each_coding_decodes_to_the_file_with_its_headers() {
    let (dir, files) = dist();
    let app = spawn(dir.path());
    let cases: &[(Option<&str>, Option<&str>)] = &[
        (None, None),
        (Some("gzip"), Some("gzip")),
        (Some("br"), Some("br")),
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("br;q=0.5, gzip;q=0.9"), Some("gzip")),
        (Some("*"), Some("br")),
        (Some("identity"), None),
        (Some("*;q=0"), None),
    ];
    for name in [WASM, JS, CSS, INDEX] {
        let original = &files[name];
        let mut sizes = BTreeMap::new();
        for &(accept, want) in cases {
            let r = request(app.addr, "GET", &format!("/{name}"), accept);
            let what = format!("{name} with Accept-Encoding {accept:?}");
            assert_eq!(r.status, 200, "{what}");
            assert_eq!(r.header("content-encoding"), want, "{what}");
            assert_eq!(r.header("vary"), Some("accept-encoding"), "{what}");
            assert_eq!(r.header("transfer-encoding"), None, "{what}");
            assert_eq!(
                r.header("content-length"),
                Some(r.body.len().to_string().as_str()),
                "{what}"
            );
            let cache = if name == INDEX { "no-cache" } else { LONG };
            assert_eq!(r.header("cache-control"), Some(cache), "{what}");
            let decoded = match want {
                None => r.body.clone(),
                Some("gzip") => gunzip(&r.body),
                Some("br") => unbrotli(&r.body),
                Some(other) => panic!("unexpected coding {other}"),
            };
            assert!(decoded == *original, "{what}: decodes to the file");
            sizes.insert(want.unwrap_or("identity"), r.body.len());
        }
        // Compression is worth it, and brotli beats gzip.
        assert!(sizes["gzip"] < original.len() / 3, "{name}: {sizes:?}");
        assert!(sizes["br"] < sizes["gzip"], "{name}: {sizes:?}");
    }
    let types = [
        (WASM, "application/wasm"),
        (JS, "text/javascript; charset=utf-8"),
        (CSS, "text/css; charset=utf-8"),
        (INDEX, "text/html; charset=utf-8"),
    ];
    for (name, mime) in types {
        let r = request(app.addr, "GET", &format!("/{name}"), Some("br"));
        assert_eq!(r.header("content-type"), Some(mime), "{name}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{name}"
        );
    }
}

#[test]
fn head_has_the_headers_of_get_without_the_body() {
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    for accept in [None, Some("gzip"), Some("br")] {
        let get = request(app.addr, "GET", &format!("/{WASM}"), accept);
        let head = request(app.addr, "HEAD", &format!("/{WASM}"), accept);
        assert_eq!(head.status, 200, "{accept:?}");
        assert!(head.body.is_empty(), "{accept:?}: HEAD has no body");
        assert!(!get.body.is_empty());
        for h in [
            "content-encoding",
            "content-length",
            "content-type",
            "cache-control",
            "vary",
        ] {
            assert_eq!(head.header(h), get.header(h), "{accept:?}: {h}");
        }
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str())
        );
    }
}

#[test]
fn a_file_that_does_not_shrink_is_sent_as_it_is() {
    let (dir, files) = dist();
    let app = spawn(dir.path());
    let r = request(app.addr, "GET", &format!("/{TINY}"), Some("br, gzip"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);
    // Nothing to vary on: there is only one form.
    assert_eq!(r.header("vary"), None);
    assert_eq!(r.header("content-length"), Some("1"));
    assert_eq!(r.body, files[TINY]);
}

#[test]
fn only_plain_file_names_are_served() {
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    for path in [
        "/.secret",
        "/snippets/a.js",
        "/snippets",
        "/nothing-1.js",
        "/..%2F.secret",
    ] {
        let r = request(app.addr, "GET", path, Some("br"));
        assert_eq!(r.status, 404, "{path}");
    }
}

#[test]
fn a_missing_dist_serves_the_api_without_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn(&dir.path().join("not-built"));
    assert_eq!(request(app.addr, "GET", "/api/surveys", None).status, 200);
    assert_eq!(
        request(app.addr, "GET", "/style-1.css", Some("br")).status,
        404
    );
}

/// `GET /api/surveys/{id}` and `GET /api/surveys` are compressed once at
/// start too: each coding decodes to the same JSON (the definition is the
/// survey file's own), and nothing of it may be kept in a browser's cache.
#[test]
fn survey_definitions_and_the_list_are_served_compressed_and_never_cached() {
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    for path in ["/api/surveys/network-priorities", "/api/surveys"] {
        let plain = request(app.addr, "GET", path, None);
        assert_eq!(plain.status, 200, "{path}");
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert_eq!(plain.header("cache-control"), Some("no-store"), "{path}");
        for (accept, want) in [("br", "br"), ("gzip", "gzip"), ("gzip, br", "br")] {
            let what = format!("{path} with {accept}");
            let r = request(app.addr, "GET", path, Some(accept));
            assert_eq!(r.status, 200, "{what}");
            assert_eq!(r.header("content-encoding"), Some(want), "{what}");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
            assert_eq!(r.header("vary"), Some("accept-encoding"), "{what}");
            assert!(
                r.body.len() < plain.body.len() / 2,
                "{what}: {}",
                r.body.len()
            );
            let decoded = if want == "br" {
                unbrotli(&r.body)
            } else {
                gunzip(&r.body)
            };
            assert!(decoded == plain.body, "{what}: decodes to the JSON");
        }
    }
    let plain = request(app.addr, "GET", "/api/surveys/network-priorities", None);
    let survey: surveys::Survey = serde_json::from_slice(&plain.body).expect("definition");
    let file = surveys::load_file(&surveys().join("network-priorities.toml")).expect("loads");
    assert_eq!(survey, file);
    let list: Vec<surveys::SurveySummary> =
        serde_json::from_slice(&request(app.addr, "GET", "/api/surveys", None).body).expect("list");
    assert!(list.iter().any(|s| s == &file.summary()), "{list:?}");
    let missing = request(app.addr, "GET", "/api/surveys/nope", Some("br"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-encoding"), None);
}

/// A form page the WASM runner takes over preloads the definition the
/// runner will fetch (same URL, the runner's credentials mode); the list
/// and the pages no runner takes over do not.
#[test]
fn a_form_page_preloads_its_survey_definition() {
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    let preload = |id: &str| {
        format!(
            "<link rel=\"preload\" href=\"/api/surveys/{id}\" as=\"fetch\" crossorigin=\"anonymous\">"
        )
    };
    let page = request(app.addr, "GET", "/s/network-priorities", None);
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).expect("utf-8");
    assert!(html.contains(&preload("network-priorities")), "{html}");
    let head_end = html.find("</head>").expect("head");
    assert!(html.find("rel=\"preload\" href=\"/api/").expect("preload") < head_end);
    let list = request(app.addr, "GET", "/", None);
    let html = String::from_utf8(list.body).expect("utf-8");
    assert!(!html.contains("href=\"/api/surveys/"), "{html}");
}

/// The WASM runner carries only English: a page it takes over carries the
/// runner's words in the page's language, and `GET /api/ui/{lang}` serves
/// any of its languages (compressed once, never cached), in the order of
/// `Ui::ALL`.
#[test]
fn the_runner_gets_its_words_from_the_page_and_the_api() {
    use surveys::i18n::{UI_LANGUAGES, Ui, words};
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    for &(lang, _) in UI_LANGUAGES {
        let path = format!("/api/ui/{lang}");
        let plain = request(app.addr, "GET", &path, None);
        assert_eq!(plain.status, 200, "{path}");
        assert_eq!(plain.header("cache-control"), Some("no-store"), "{path}");
        let sent: Vec<String> = serde_json::from_slice(&plain.body).expect("JSON");
        assert_eq!(sent, words(lang), "{path}");
        assert_eq!(sent.len(), Ui::ALL.len());
        let br = request(app.addr, "GET", &path, Some("br"));
        assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
        assert!(
            unbrotli(&br.body) == plain.body,
            "{path}: decodes to the JSON"
        );
    }
    let unknown = request(app.addr, "GET", "/api/ui/tg", None);
    assert_eq!(unknown.status, 404);
    let body: serde_json::Value = serde_json::from_slice(&unknown.body).expect("JSON");
    assert_eq!(body["error"], "unknown_language");

    let block = |html: &str| -> Option<(String, Vec<String>)> {
        let open = html.find("<script type=\"application/json\" id=\"chorus-words\"")?;
        let rest = &html[open..];
        let lang_at = rest.find("data-lang=\"")? + "data-lang=\"".len();
        let lang = rest[lang_at..].split('"').next()?.to_string();
        let json = &rest[rest.find('>')? + 1..rest.find("</script>")?];
        assert!(!json.contains('<'), "every < is escaped: {json}");
        Some((lang, serde_json::from_str(json).expect("the block is JSON")))
    };
    for (path, lang) in [
        ("/s/network-priorities?lang=ky", "ky"),
        ("/?lang=ka", "ka"),
        ("/s/network-priorities?lang=en", "en"),
    ] {
        let page = request(app.addr, "GET", path, None);
        let html = String::from_utf8(page.body).expect("utf-8");
        let (got, sent) = block(&html).unwrap_or_else(|| panic!("{path}: no words: {html}"));
        assert_eq!(got, lang, "{path}");
        assert_eq!(sent, words(lang), "{path}");
        assert!(html.find("chorus-words").expect("block") < html.find("</head>").expect("head"));
    }
    // A page no runner takes over carries none.
    let problem = request(app.addr, "GET", "/s/nope", None);
    assert_eq!(problem.status, 404);
    let html = String::from_utf8(problem.body).expect("utf-8");
    assert!(block(&html).is_none(), "{html}");
}

/// The list of surveys is compressed for each response (it is made per
/// request) and decodes to the page sent to a client that asks for none.
#[test]
fn the_list_page_is_compressed_per_response_and_decodes_to_the_page() {
    let (dir, _files) = dist();
    let app = spawn(dir.path());
    let plain = request(app.addr, "GET", "/?lang=ru", None);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    for (accept, want) in [("br", "br"), ("gzip", "gzip"), ("gzip, br", "br")] {
        let r = request(app.addr, "GET", "/?lang=ru", Some(accept));
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(r.header("content-encoding"), Some(want), "{accept}");
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{accept}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{accept}");
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{accept}"
        );
        assert!(r.body.len() < plain.body.len() / 2, "{accept}");
        let decoded = if want == "br" {
            unbrotli(&r.body)
        } else {
            gunzip(&r.body)
        };
        assert!(decoded == plain.body, "{accept}: decodes to the page");
    }
}

/// `VERSION` and `SHELL` of a served `/sw.js`.
fn worker_constants(app: &Server) -> (String, Vec<String>, String) {
    let res = request(app.addr, "GET", "/sw.js", None);
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    let script = String::from_utf8(res.body).expect("UTF-8");
    let constant = |name: &str| -> serde_json::Value {
        let line = script
            .lines()
            .find_map(|l| l.strip_prefix(&format!("const {name} = ")))
            .unwrap_or_else(|| panic!("no {name} in the script"));
        serde_json::from_str(line.trim_end_matches(';')).expect("a JSON literal")
    };
    let version = constant("VERSION").as_str().expect("a string").to_string();
    let shell = serde_json::from_value(constant("SHELL")).expect("strings");
    (version, shell, script)
}

/// The service worker keeps exactly the runner's files, the manifest, the
/// icon and the words; a new frontend or another app name is a new
/// version (so browsers update), the same inputs the same version.
#[test]
fn the_service_worker_lists_the_runner_and_changes_with_it() {
    let (dir, files) = dist();
    let app = spawn(dir.path());
    let (version, shell, script) = worker_constants(&app);
    assert_eq!(version.len(), 16);
    let mut expected: Vec<String> = files.keys().map(|n| format!("/{n}")).collect();
    expected.push("/manifest.webmanifest".into());
    expected.push("/app-icon".into());
    expected.push("/quick-exit.js".into());
    for (lang, _) in surveys::i18n::UI_LANGUAGES {
        expected.push(format!("/api/ui/{lang}"));
    }
    assert_eq!(shell, expected);
    for path in &shell {
        assert_eq!(request(app.addr, "GET", path, None).status, 200, "{path}");
    }
    assert!(script.contains("addEventListener(\"fetch\""));
    // HEAD like every file; compressed once, decoding to the same script.
    let head = request(app.addr, "HEAD", "/sw.js", None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    assert!(head.body.is_empty());
    let packed = request(app.addr, "GET", "/sw.js", Some("br"));
    assert_eq!(packed.header("content-encoding"), Some("br"));
    assert_eq!(packed.header("cache-control"), Some("no-cache"));
    assert!(unbrotli(&packed.body) == script.as_bytes(), "decodes to it");
    // The offline shell runs its inline loader: its policy names it.
    let shell_page = request(app.addr, "GET", "/index.html", None);
    let csp = shell_page
        .header("content-security-policy")
        .expect("a policy");
    assert!(csp.contains("'wasm-unsafe-eval' 'sha256-"), "{csp}");

    assert_eq!(
        worker_constants(&spawn(dir.path())).0,
        version,
        "same inputs"
    );
    let renamed = spawn_with(Some(dir.path()), "Notes");
    assert_ne!(worker_constants(&renamed).0, version, "another name");
    std::fs::write(dir.path().join(CSS), b"body{color:red}").expect("rebuild");
    assert_ne!(
        worker_constants(&spawn(dir.path())).0,
        version,
        "another build"
    );

    let without = spawn_with(None, collector::install::DEFAULT_APP_NAME);
    assert_eq!(request(without.addr, "GET", "/sw.js", None).status, 404);
}

/// The script as served is JavaScript that Node.js can parse.
#[test]
fn the_service_worker_parses_as_javascript() {
    let (dir, _) = dist();
    let (_, _, script) = worker_constants(&spawn(dir.path()));
    let file = dir.path().join("sw-check.js");
    std::fs::write(&file, script).expect("write");
    let out = std::process::Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): scripts/setup.sh installs Node.js"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
