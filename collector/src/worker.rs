//! The runner's service worker, `GET /sw.js`: what lets a member who opened
//! the runner once open it again with no network, answer, and have the
//! answers wait on the device (the outbox itself is the page's, in
//! IndexedDB: `frontend/src/queue.rs`).
//!
//! The logic is plain JavaScript (`worker.js`, its rules in its comments);
//! the collector writes two constants above it at start:
//!
//! ```text
//! const VERSION = "<16 hex digits>";
//! const SHELL = ["/index.html", "/frontend-….js", …];
//! ```
//!
//! `SHELL` is every file of the built frontend, the manifest, the icon, the
//! quick exit's script and the runner's words in each language: what the runner needs to start
//! offline. `VERSION` is a SHA-256 of those paths and bytes, so a rebuilt
//! frontend, another `--app-name` or `--app-icon` or new words give a new
//! worker, which browsers install beside the old one (byte-for-byte
//! comparison of the script) and switch to once no page of the old one is
//! open. Served `no-cache`: a browser asks again at each visit.

use sha2::{Digest, Sha256};

use crate::assets::{Asset, Assets, Encoding, Settings};
use crate::install::Install;
use crate::routes::Words;

/// The worker's logic, below the generated constants.
const LOGIC: &str = include_str!("worker.js");

/// The script, made and compressed once at start.
#[derive(Debug)]
pub struct Worker {
    pub script: Asset,
    /// The `VERSION` written into it.
    pub version: String,
    /// The `SHELL` written into it.
    pub shell: Vec<String>,
}

impl Worker {
    /// The worker for the frontend in `assets`, with the runner's `words`
    /// and the `install` manifest and icon.
    pub fn new(assets: &Assets, words: &[Words], install: &Install) -> Worker {
        let mut files: Vec<(String, &[u8])> = assets
            .iter()
            .map(|(name, asset)| (format!("/{name}"), identity(asset)))
            .collect();
        files.sort();
        files.push(("/manifest.webmanifest".into(), identity(&install.manifest)));
        files.push(("/app-icon".into(), identity(&install.icon)));
        // Trunk's page loads it: the quick exit works offline too.
        files.push((
            "/quick-exit.js".into(),
            crate::pages::QUICK_EXIT_JS.as_bytes(),
        ));
        for w in words {
            files.push((format!("/api/ui/{}", w.lang), identity(&w.asset)));
        }
        let version = version(&files);
        let shell: Vec<String> = files.into_iter().map(|(path, _)| path).collect();
        let script = format!("{}{}", header(&version, &shell), logic());
        Worker {
            script: Asset::packed(
                "sw.js",
                "text/javascript; charset=utf-8",
                "no-cache",
                script.into_bytes(),
                Settings::default(),
            ),
            version,
            shell,
        }
    }
}

/// `worker.js` as served: without its comment lines and blank lines (its
/// comments are for maintainers; every member downloads the script).
/// Whole lines only, so nothing inside code or a string is touched.
fn logic() -> String {
    let mut out = String::with_capacity(LOGIC.len());
    for line in LOGIC.lines() {
        let code = line.trim_start();
        if !code.is_empty() && !code.starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn identity(asset: &Asset) -> &[u8] {
    asset.bytes(Encoding::Identity).map_or(&[], |b| &b[..])
}

/// The first 8 bytes of a SHA-256 over every path and its bytes, each
/// length-prefixed, in hex.
fn version(files: &[(String, &[u8])]) -> String {
    let mut hash = Sha256::new();
    for (path, bytes) in files {
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The constants above the logic, as JavaScript (a JSON string is a
/// JavaScript string; serialising strings cannot fail).
fn header(version: &str, shell: &[String]) -> String {
    format!(
        "const VERSION = {};\nconst SHELL = {};\n",
        serde_json::to_string(version).unwrap_or_default(),
        serde_json::to_string(shell).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_javascript_literals() {
        let h = header("0123456789abcdef", &["/a\"b.js".into(), "/ü\n.css".into()]);
        assert_eq!(
            h,
            "const VERSION = \"0123456789abcdef\";\nconst SHELL = [\"/a\\\"b.js\",\"/ü\\n.css\"];\n"
        );
    }

    #[test]
    fn the_version_follows_every_path_and_byte() {
        let a = version(&[("/x.js".into(), b"one"), ("/y.css".into(), b"two")]);
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            a,
            version(&[("/x.js".into(), b"one"), ("/y.css".into(), b"two")])
        );
        assert_ne!(
            a,
            version(&[("/x.js".into(), b"one"), ("/y.css".into(), b"twO")])
        );
        assert_ne!(
            a,
            version(&[("/x.js".into(), b"on"), ("/ey.css".into(), b"two")])
        );
    }
}
