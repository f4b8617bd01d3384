//! The built frontend (Trunk's `dist/`), held in memory and compressed once.
//!
//! At start every servable file is read and its text-like ones (wasm, JS,
//! CSS, HTML, SVG, JSON) are compressed with brotli and gzip, or their
//! compressed forms taken from `dist/.compressed/` when an earlier start
//! made them ([`CACHE_DIR`]); a compressed form is kept only when it is
//! smaller. A request is then answered from
//! memory in the coding its `Accept-Encoding` prefers ([`negotiate`]):
//! nothing is compressed, or read from disk, per request. A rebuilt
//! frontend is served after a restart (as `index.html` already was).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use warp::http::{HeaderMap, HeaderValue, header};
use warp::hyper::body::Bytes;

/// A content coding the collector can send, ordered from least to most
/// preferred when a client weighs two alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The token in `Content-Encoding`; `None` for identity (no header).
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// How hard to compress at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Brotli quality, 0–11.
    pub brotli_quality: i32,
    /// Largest brotli window, as log2 of its bytes (10–24); a smaller file
    /// gets a window just large enough for it.
    pub brotli_max_lgwin: i32,
    /// Gzip (deflate) level, 0–9.
    pub gzip_level: u32,
}

impl Default for Settings {
    /// Brotli 11 and gzip 9. Brotli 11 makes the runner's wasm 3% smaller
    /// than brotli 10 (184.9 KB against 191.0 KB in December 2026: 0.12 s
    /// less on a 400 kbit/s link) but takes 3–4 s of one core for it, so
    /// the forms made are kept in [`CACHE_DIR`] and a later start only
    /// checks them (about 10 ms). Brotli 9 would be 10% larger again.
    fn default() -> Settings {
        Settings {
            brotli_quality: 11,
            brotli_max_lgwin: 22,
            gzip_level: 9,
        }
    }
}

/// Why the frontend could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the frontend file {path}: {source}")]
pub struct LoadError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// One file of `dist/` in every coding worth sending.
#[derive(Clone)]
pub struct Asset {
    mime: &'static str,
    cache: &'static str,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

impl fmt::Debug for Asset {
    // Sizes, not the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asset")
            .field("mime", &self.mime)
            .field("identity", &self.identity.len())
            .field("gzip", &self.gzip.as_ref().map(Bytes::len))
            .field("brotli", &self.brotli.as_ref().map(Bytes::len))
            .finish()
    }
}

impl Asset {
    /// The file's bytes in `encoding`, if that form is kept.
    pub fn bytes(&self, encoding: Encoding) -> Option<&Bytes> {
        match encoding {
            Encoding::Identity => Some(&self.identity),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Brotli => self.brotli.as_ref(),
        }
    }

    /// The compressed forms kept (each smaller than the file itself).
    pub fn offered(&self) -> Vec<Encoding> {
        [Encoding::Brotli, Encoding::Gzip]
            .into_iter()
            .filter(|&e| self.bytes(e).is_some())
            .collect()
    }

    pub fn content_type(&self) -> &'static str {
        self.mime
    }

    /// A response body made at start (a survey's definition, say), held
    /// with its compressed forms; `name` gives the compressor's mode.
    pub fn packed(
        name: &str,
        mime: &'static str,
        cache: &'static str,
        bytes: Vec<u8>,
        settings: Settings,
    ) -> Asset {
        let keep = |e: Encoding| {
            compress(name, &bytes, e, settings)
                .filter(|p| p.len() < bytes.len())
                .map(Bytes::from)
        };
        Asset {
            mime,
            cache,
            gzip: keep(Encoding::Gzip),
            brotli: keep(Encoding::Brotli),
            identity: Bytes::from(bytes),
        }
    }

    /// The answer to a `GET` (or `HEAD`) of this file from a client whose
    /// `Accept-Encoding` is `accept_encoding`.
    pub fn response(&self, accept_encoding: Option<&str>) -> warp::reply::Response {
        let offered = self.offered();
        let encoding = negotiate(accept_encoding, &offered);
        let body = self.bytes(encoding).unwrap_or(&self.identity).clone();
        let mut res = encoded_response(body, self.mime, encoding, !offered.is_empty());
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache));
        res
    }
}

/// `body` in `encoding`, with its type and length, and `Vary:
/// Accept-Encoding` when another request could get another coding.
fn encoded_response(
    body: Bytes,
    mime: &'static str,
    encoding: Encoding,
    vary: bool,
) -> warp::reply::Response {
    let len = body.len();
    let mut res = warp::reply::Response::new(body.into());
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(token) = encoding.token() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

/// The request's `Accept-Encoding` values as one list (see
/// [`accept_encoding`]), for a route.
pub fn accepted_encoding()
-> impl warp::Filter<Extract = (Option<String>,), Error = std::convert::Infallible> + Clone {
    use warp::Filter;
    warp::header::headers_cloned().map(|headers: HeaderMap| accept_encoding(&headers))
}

/// A server-rendered page that holds nothing a member entered (the list of
/// surveys, a form's first page), compressed for this response in the
/// coding `accept_encoding` prefers. These pages differ per request (each
/// form gets its own submission id), so they cannot be compressed once;
/// brotli 5 takes well under a millisecond for them. Pages that carry
/// answers are never compressed (see `pages::document`).
pub fn page_response(html: Vec<u8>, accept_encoding: Option<&str>) -> warp::reply::Response {
    const PAGE: Settings = Settings {
        brotli_quality: 5,
        brotli_max_lgwin: 18,
        gzip_level: 6,
    };
    let encoding = negotiate(accept_encoding, &[Encoding::Brotli, Encoding::Gzip]);
    let (body, encoding) = match compress("page.html", &html, encoding, PAGE) {
        Some(packed) if packed.len() < html.len() => (Bytes::from(packed), encoding),
        _ => (Bytes::from(html), Encoding::Identity),
    };
    encoded_response(body, "text/html; charset=utf-8", encoding, true)
}

/// Every servable file of a `dist/` folder, by file name.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    files: BTreeMap<String, Asset>,
}

impl Assets {
    /// Reads and compresses every servable file directly in `dist` (plain
    /// names only; folders and dot-files are left out) with the default
    /// [`Settings`].
    pub fn load(dist: &Path) -> Result<Assets, LoadError> {
        Assets::load_with(dist, Settings::default())
    }

    /// [`Assets::load`] with chosen compression settings.
    pub fn load_with(dist: &Path, settings: Settings) -> Result<Assets, LoadError> {
        let started = Instant::now();
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LoadError { path, source }
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dist).map_err(err(dist))? {
            let entry = entry.map_err(err(dist))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_servable_name(&name) || !entry.file_type().map_err(err(dist))?.is_file() {
                continue;
            }
            let path = entry.path();
            let bytes = std::fs::read(&path).map_err(err(&path))?;
            files.push((name, bytes));
        }
        let assets = Assets::compress_all(files, settings, Some(&dist.join(CACHE_DIR)));
        let total = |e: Encoding| -> usize {
            assets
                .files
                .values()
                .map(|a| a.bytes(e).unwrap_or(&a.identity).len())
                .sum()
        };
        tracing::info!(
            files = assets.files.len(),
            identity_bytes = total(Encoding::Identity),
            gzip_bytes = total(Encoding::Gzip),
            brotli_bytes = total(Encoding::Brotli),
            brotli_quality = settings.brotli_quality,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "frontend loaded and compressed"
        );
        Ok(assets)
    }

    /// The store for these `(file name, bytes)`, compressed with `settings`
    /// (in parallel, biggest files first). Names that are not servable are
    /// left out.
    pub fn from_files(files: Vec<(String, Vec<u8>)>, settings: Settings) -> Assets {
        Assets::compress_all(files, settings, None)
    }

    /// [`Assets::from_files`], taking each compressed form from `cache`
    /// when it holds one that decompresses to the file, and keeping there
    /// each one it has to make (see [`CACHE_DIR`]).
    fn compress_all(
        files: Vec<(String, Vec<u8>)>,
        settings: Settings,
        cache: Option<&Path>,
    ) -> Assets {
        let files: Vec<(String, Bytes)> = files
            .into_iter()
            .filter(|(name, _)| is_servable_name(name))
            .map(|(name, bytes)| (name, Bytes::from(bytes)))
            .collect();
        // One job per file and coding, largest first so that the wasm's
        // brotli starts at once and the small files fill in around it.
        let mut jobs: Vec<(usize, Encoding)> = files
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| compressible(name))
            .flat_map(|(i, _)| [(i, Encoding::Brotli), (i, Encoding::Gzip)])
            .collect();
        jobs.sort_by_key(|&(i, e)| std::cmp::Reverse((files[i].1.len(), e)));
        let queue = Mutex::new(jobs.into_iter());
        let done = Mutex::new(Vec::new());
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                        let Some((i, encoding)) = next else { break };
                        let (name, bytes) = &files[i];
                        let packed = match cache {
                            Some(dir) => cached_or_compress(dir, name, bytes, encoding, settings),
                            None => compress(name, bytes, encoding, settings),
                        };
                        done.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((i, encoding, packed));
                    }
                });
            }
        });
        let mut assets: Vec<Asset> = files
            .iter()
            .map(|(name, bytes)| Asset {
                mime: mime_of(name),
                cache: cache_of(name),
                identity: bytes.clone(),
                gzip: None,
                brotli: None,
            })
            .collect();
        for (i, encoding, packed) in done.into_inner().unwrap_or_else(|p| p.into_inner()) {
            // Kept only when it saves something.
            let Some(packed) = packed.filter(|p| p.len() < files[i].1.len()) else {
                continue;
            };
            let slot = match encoding {
                Encoding::Gzip => &mut assets[i].gzip,
                Encoding::Brotli => &mut assets[i].brotli,
                Encoding::Identity => continue,
            };
            *slot = Some(Bytes::from(packed));
        }
        Assets {
            files: files.into_iter().map(|(n, _)| n).zip(assets).collect(),
        }
    }

    /// The file called `name`, if it is held.
    pub fn get(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    /// Every file held, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Asset)> {
        self.files.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// The answer to a `GET` (or `HEAD`) of the file `name` from a client
    /// whose `Accept-Encoding` is `accept_encoding`; `None` when there is
    /// no such servable file. Hashed asset names are cached for a year,
    /// others revalidated (`no-cache`).
    pub fn response(
        &self,
        name: &str,
        accept_encoding: Option<&str>,
    ) -> Option<warp::reply::Response> {
        if !is_servable_name(name) {
            return None;
        }
        Some(self.files.get(name)?.response(accept_encoding))
    }
}

/// Every `Accept-Encoding` value of a request as one list (a client may
/// send the field more than once); `None` when it sent none.
pub fn accept_encoding(headers: &HeaderMap) -> Option<String> {
    let mut values = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    Some(values.fold(first.to_owned(), |mut all, v| {
        all.push_str(", ");
        all.push_str(v);
        all
    }))
}

/// The coding to send, out of identity and the compressed forms `offered`,
/// for a request whose `Accept-Encoding` is `accept` (RFC 9110 §12.5.3).
///
/// Each offered coding weighs the q-value of its own entry (the highest if
/// it is named twice), else that of `*`; a coding with weight 0 is refused.
/// The heaviest wins; between equal weights brotli beats gzip beats
/// identity. Identity competes only with a weight of its own (`identity`
/// or `*`): `gzip;q=0.5` still gets gzip. When nothing offered is
/// acceptable — no header, an empty one, `*;q=0` — the answer is identity,
/// which every client can read. Entries with a malformed q-value are
/// ignored; `x-gzip` is gzip.
pub fn negotiate(accept: Option<&str>, offered: &[Encoding]) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    // Weights in thousandths; `None`: not named.
    let mut named: [Option<u16>; 3] = [None; 3];
    let mut star: Option<u16> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = parse_q(v.trim());
            }
        }
        let Some(q) = q else { continue };
        let slot = if coding == "*" {
            &mut star
        } else if coding.eq_ignore_ascii_case("br") {
            &mut named[2]
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut named[1]
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut named[0]
        } else {
            continue;
        };
        *slot = Some(slot.map_or(q, |old| old.max(q)));
    }
    let weight = |e: Encoding| -> u16 {
        let i = match e {
            Encoding::Identity => 0,
            Encoding::Gzip => 1,
            Encoding::Brotli => 2,
        };
        named[i].or(star).unwrap_or(0)
    };
    std::iter::once(Encoding::Identity)
        .chain(offered.iter().copied().filter(|&e| e != Encoding::Identity))
        .map(|e| (weight(e), e))
        .filter(|&(w, _)| w > 0)
        // Heaviest, then the smaller coding (Brotli > Gzip > Identity).
        .max()
        .map_or(Encoding::Identity, |(_, e)| e)
}

/// A qvalue (`0`, `0.5`, `1.000`, at most three decimals) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Only plain file names that Trunk writes: no folders, no dot-files.
pub fn is_servable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, ext)| ext)
}

fn mime_of(name: &str) -> &'static str {
    match extension(name) {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Trunk puts a content hash in asset names, so they can be cached long.
fn cache_of(name: &str) -> &'static str {
    if name.contains('-') && name != "index.html" {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn compressible(name: &str) -> bool {
    matches!(
        extension(name),
        "wasm" | "js" | "css" | "html" | "svg" | "json"
    )
}

/// Where, inside `dist/`, the compressed forms of its files are kept once
/// made: the first start after a build compresses (brotli 11 takes seconds
/// for the wasm), later starts only check them. A dot-folder, so it is
/// never served; Trunk's next build replaces `dist/` and the folder with
/// it. When `dist/` is read-only, every start compresses again.
pub const CACHE_DIR: &str = ".compressed";

/// The cache file of `name` in `encoding` under `settings` (the settings
/// are in the name, so that other settings never reuse it).
fn cache_name(name: &str, encoding: Encoding, settings: Settings) -> Option<String> {
    match encoding {
        Encoding::Identity => None,
        Encoding::Gzip => Some(format!("{name}.{}.gz", settings.gzip_level)),
        Encoding::Brotli => Some(format!(
            "{name}.{}-{}.br",
            settings.brotli_quality, settings.brotli_max_lgwin
        )),
    }
}

/// `bytes` in `encoding`, from the cache in `dir` when the file there
/// decompresses to exactly `bytes`; else compressed now and written there
/// (atomically, by rename; a failure to write only costs the next start).
fn cached_or_compress(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    encoding: Encoding,
    settings: Settings,
) -> Option<Vec<u8>> {
    let file = dir.join(cache_name(name, encoding, settings)?);
    if let Ok(packed) = std::fs::read(&file)
        && decompress(&packed, encoding, bytes.len()).is_some_and(|d| d == bytes)
    {
        return Some(packed);
    }
    let packed = compress(name, bytes, encoding, settings)?;
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, &packed))
        .and_then(|()| std::fs::rename(&tmp, &file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!(file = name, error = %e, "compressed form not kept on disk");
    }
    Some(packed)
}

/// `packed` decoded, reading at most one byte past `limit`; `None` when it
/// does not decode.
fn decompress(packed: &[u8], encoding: Encoding, limit: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(limit);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let read = match encoding {
        Encoding::Identity => return None,
        Encoding::Gzip => flate2::read::GzDecoder::new(packed)
            .take(cap)
            .read_to_end(&mut out),
        Encoding::Brotli => brotli::Decompressor::new(packed, 4096)
            .take(cap)
            .read_to_end(&mut out),
    };
    read.ok().map(|_| out)
}

/// `bytes` in `encoding`; `None` if the encoder failed (then the file is
/// served as it is).
fn compress(name: &str, bytes: &[u8], encoding: Encoding, settings: Settings) -> Option<Vec<u8>> {
    let packed = match encoding {
        Encoding::Identity => return None,
        Encoding::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 2),
                flate2::Compression::new(settings.gzip_level.min(9)),
            );
            enc.write_all(bytes).and_then(|()| enc.finish())
        }
        Encoding::Brotli => {
            use brotli::enc::backward_references::BrotliEncoderMode;
            // A window just covering the file: the same output, less memory.
            let fits = usize::BITS - bytes.len().max(1).leading_zeros();
            let lgwin = i32::try_from(fits)
                .unwrap_or(24)
                .clamp(10, settings.brotli_max_lgwin.clamp(10, 24));
            let params = brotli::enc::BrotliEncoderParams {
                quality: settings.brotli_quality.clamp(0, 11),
                lgwin,
                size_hint: bytes.len(),
                mode: if extension(name) == "wasm" {
                    BrotliEncoderMode::BROTLI_MODE_GENERIC
                } else {
                    BrotliEncoderMode::BROTLI_MODE_TEXT
                },
                ..Default::default()
            };
            let mut out = Vec::with_capacity(bytes.len() / 2);
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).map(|_| out)
        }
    };
    match packed {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(file = name, error = %e, ?encoding, "compression failed; serving the file uncompressed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Encoding::{Brotli, Gzip, Identity};
    use super::*;

    const BOTH: &[Encoding] = &[Brotli, Gzip];

    #[track_caller]
    fn check(accept: Option<&str>, offered: &[Encoding], want: Encoding) {
        assert_eq!(
            negotiate(accept, offered),
            want,
            "Accept-Encoding: {accept:?}"
        );
    }

    #[test]
    fn no_header_or_an_empty_one_gets_identity() {
        check(None, BOTH, Identity);
        check(Some(""), BOTH, Identity);
        check(Some(" , ,"), BOTH, Identity);
    }

    #[test]
    fn brotli_is_preferred_when_both_are_acceptable() {
        check(Some("gzip, deflate, br, zstd"), BOTH, Brotli);
        check(Some("gzip, br"), BOTH, Brotli);
        check(Some("gzip;q=0.5, br;q=0.5"), BOTH, Brotli);
        check(Some("gzip"), BOTH, Gzip);
        check(Some("br"), BOTH, Brotli);
        check(Some("deflate"), BOTH, Identity);
    }

    #[test]
    fn q_values_are_honoured() {
        check(Some("br;q=0.5, gzip;q=0.8"), BOTH, Gzip);
        check(Some("br;q=0.801, gzip;q=0.8"), BOTH, Brotli);
        check(Some("br;q=0.001"), BOTH, Brotli);
        check(Some("gzip;q=1.000, br;q=0.999"), BOTH, Gzip);
        check(Some("br;q=0, gzip"), BOTH, Gzip);
        check(Some("br;q=0.000, gzip;q=0"), BOTH, Identity);
        check(Some("gzip ; Q=0.3 , br;q=0.2"), BOTH, Gzip);
        // Named twice: the higher weight counts.
        check(Some("gzip;q=0.1, br;q=0.2, gzip"), BOTH, Gzip);
    }

    #[test]
    fn malformed_q_values_drop_their_entry() {
        check(Some("br;q=2, gzip"), BOTH, Gzip);
        check(Some("br;q=1.5, gzip;q=0.1"), BOTH, Gzip);
        check(Some("br;q=0.0001, gzip;q=0.1"), BOTH, Gzip);
        check(Some("br;q=abc"), BOTH, Identity);
        check(Some("br;q=, gzip;q=-1"), BOTH, Identity);
    }

    #[test]
    fn star_weighs_every_coding_not_named() {
        check(Some("*"), BOTH, Brotli);
        check(Some("*, br;q=0"), BOTH, Gzip);
        check(Some("*;q=0.5, gzip"), BOTH, Gzip);
        check(Some("*;q=0.9, br;q=0.2"), BOTH, Gzip);
        check(Some("*;q=0"), BOTH, Identity);
        check(Some("*;q=0, identity;q=0"), BOTH, Identity);
        check(Some("*;q=0.5, identity"), BOTH, Identity);
    }

    #[test]
    fn identity_competes_only_with_its_own_weight() {
        check(Some("identity"), BOTH, Identity);
        check(Some("identity;q=1, br;q=0.5"), BOTH, Identity);
        check(Some("identity, br"), BOTH, Brotli);
        // Not named: gzip at any weight beats the implicit identity.
        check(Some("gzip;q=0.5"), BOTH, Gzip);
        check(Some("identity;q=0, gzip"), BOTH, Gzip);
        // Nothing acceptable: identity all the same.
        check(Some("identity;q=0"), BOTH, Identity);
    }

    #[test]
    fn only_offered_codings_are_chosen() {
        check(Some("br, gzip"), &[Gzip], Gzip);
        check(Some("br"), &[Gzip], Identity);
        check(Some("br, gzip"), &[], Identity);
        check(Some("*"), &[Gzip], Gzip);
    }

    #[test]
    fn codings_are_case_insensitive_and_x_gzip_is_gzip() {
        check(Some("BR"), BOTH, Brotli);
        check(Some("GZip"), BOTH, Gzip);
        check(Some("x-gzip"), BOTH, Gzip);
        check(Some("Identity;q=0, X-GZIP;q=0.4"), BOTH, Gzip);
    }

    #[test]
    fn q_values_parse_to_thousandths() {
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("0."), Some(0));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0.123"), Some(123));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("1.001"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q(".5"), None);
        assert_eq!(parse_q("2"), None);
        assert_eq!(parse_q(""), None);
    }

    #[test]
    fn repeated_headers_are_one_list() {
        let mut h = HeaderMap::new();
        assert_eq!(accept_encoding(&h), None);
        h.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(accept_encoding(&h).as_deref(), Some("gzip"));
        h.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br;q=0.5"),
        );
        assert_eq!(accept_encoding(&h).as_deref(), Some("gzip, br;q=0.5"));
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("function f{}(x) {{ return x * {}; }}\n", i % 97, i % 13))
            .collect::<String>()
            .into_bytes()
    }

    fn store() -> Assets {
        Assets::from_files(
            vec![
                ("frontend-1a2b.js".into(), text(400)),
                ("index.html".into(), text(50)),
                ("tiny.js".into(), b"x".to_vec()),
                ("logo.png".into(), text(100)),
                (".hidden.js".into(), text(10)),
                ("a/b.js".into(), text(10)),
            ],
            Settings {
                brotli_quality: 5,
                ..Settings::default()
            },
        )
    }

    #[test]
    fn compressed_forms_are_kept_only_when_smaller() {
        let assets = store();
        let names: Vec<&str> = assets.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["frontend-1a2b.js", "index.html", "logo.png", "tiny.js"]
        );
        let js = assets.get("frontend-1a2b.js").expect("js");
        assert_eq!(js.offered(), [Brotli, Gzip]);
        for e in [Brotli, Gzip] {
            assert!(
                js.bytes(e).expect("kept").len() < js.identity.len() / 4,
                "{e:?}"
            );
        }
        // One byte does not shrink; a PNG is not compressed again.
        assert_eq!(assets.get("tiny.js").expect("tiny").offered(), []);
        assert_eq!(assets.get("logo.png").expect("png").offered(), []);
    }

    #[test]
    fn a_response_has_the_chosen_coding_and_its_headers() {
        let assets = store();
        let res = assets
            .response("frontend-1a2b.js", Some("gzip, br"))
            .expect("served");
        let h = res.headers();
        assert_eq!(h[header::CONTENT_ENCODING], "br");
        assert_eq!(h[header::VARY], "accept-encoding");
        assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let br_len = assets
            .get("frontend-1a2b.js")
            .and_then(|a| a.bytes(Brotli))
            .map(Bytes::len);
        assert_eq!(
            h[header::CONTENT_LENGTH].to_str().ok(),
            br_len.map(|n| n.to_string()).as_deref()
        );

        let res = assets.response("index.html", None).expect("served");
        let h = res.headers();
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(h[header::VARY], "accept-encoding");
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");

        let res = assets.response("tiny.js", Some("br")).expect("served");
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(res.headers().get(header::VARY).is_none());
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");

        for missing in ["", ".hidden.js", "a/b.js", "../index.html", "nothing.js"] {
            assert!(assets.response(missing, Some("br")).is_none(), "{missing}");
        }
    }

    /// The first load keeps each compressed form in `dist/.compressed`;
    /// the next takes them from there; a cached form that does not decode
    /// to its file (damaged, or the file rebuilt in place) is made again.
    #[test]
    fn compressed_forms_are_kept_on_disk_and_checked_before_reuse() {
        let dist = tempfile::tempdir().expect("tempdir");
        std::fs::write(dist.path().join("app-1.js"), text(400)).expect("write");
        std::fs::write(dist.path().join("index.html"), text(60)).expect("write");
        let settings = Settings {
            brotli_quality: 5,
            ..Settings::default()
        };
        let first = Assets::load_with(dist.path(), settings).expect("loads");
        let cache = dist.path().join(CACHE_DIR);
        let br = cache.join("app-1.js.5-22.br");
        let gz = cache.join("app-1.js.9.gz");
        let kept = std::fs::read(&br).expect("brotli form kept");
        assert_eq!(
            Some(&Bytes::from(kept)),
            first.get("app-1.js").and_then(|a| a.bytes(Brotli))
        );
        assert!(gz.is_file() && cache.join("index.html.5-22.br").is_file());
        // The cache folder is never served.
        assert!(first.get(CACHE_DIR).is_none());

        // A damaged form and a stale one (the page rebuilt in place).
        std::fs::write(&br, b"not brotli").expect("damage");
        std::fs::write(dist.path().join("index.html"), text(70)).expect("rebuild");
        let second = Assets::load_with(dist.path(), settings).expect("loads");
        let js = second.get("app-1.js").expect("js");
        let decoded = decompress(js.bytes(Brotli).expect("br"), Brotli, 1 << 20).expect("decodes");
        assert_eq!(decoded, text(400));
        assert_ne!(std::fs::read(&br).expect("rewritten"), b"not brotli");
        let page = second.get("index.html").expect("page");
        let decoded = decompress(page.bytes(Gzip).expect("gz"), Gzip, 1 << 20).expect("decodes");
        assert_eq!(decoded, text(70));

        // Other settings never take these files.
        let other = Settings {
            brotli_quality: 6,
            ..settings
        };
        Assets::load_with(dist.path(), other).expect("loads");
        assert!(cache.join("app-1.js.6-22.br").is_file());
    }
}
