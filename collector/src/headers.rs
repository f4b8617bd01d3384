//! Security headers on every response, and the Content-Security-Policy of
//! the form runner.
//!
//! The policy allows scripts from the collector itself, WebAssembly
//! compilation (`'wasm-unsafe-eval'`), and — instead of `'unsafe-inline'` —
//! exactly the inline scripts in the served `index.html`, by their SHA-256
//! (Trunk writes one small `<script type="module">` that loads the wasm).
//! No other origin appears anywhere: no CDN, no fonts, no analytics.

use sha2::{Digest, Sha256};
use warp::http::{HeaderMap, HeaderValue, header};

/// The policy of every response that does not set its own. `script-src`
/// gains the hashes of `index.html`'s inline scripts on that page.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy for an HTML page whose inline scripts are `page`'s.
pub fn csp_for_page(page: &str) -> String {
    let hashes: String = inline_scripts(page)
        .map(|s| format!(" 'sha256-{}'", base64(&Sha256::digest(s.as_bytes()))))
        .collect();
    CSP.replacen(
        "script-src 'self' 'wasm-unsafe-eval'",
        &format!("script-src 'self' 'wasm-unsafe-eval'{hashes}"),
        1,
    )
}

/// The text of every `<script>` without a `src` attribute, exactly as the
/// browser hashes it (between the tags).
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    let mut rest = page;
    std::iter::from_fn(move || {
        loop {
            let open = find_ci(rest, "<script")?;
            let after_name = &rest[open + "<script".len()..];
            let tag_end = after_name.find('>')?;
            let attrs = &after_name[..tag_end];
            let body_start = &after_name[tag_end + 1..];
            let close = find_ci(body_start, "</script")?;
            let body = &body_start[..close];
            rest = &body_start[close..];
            if !attrs.to_ascii_lowercase().contains("src=") {
                return Some(body);
            }
        }
    })
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Standard base64 with padding (what CSP hashes use).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Adds the headers every response carries, keeping any a route set itself:
/// no referrer leaves a page, nothing may frame it, no content sniffing, no
/// camera, microphone or location, the strict policy, and `no-store` unless
/// the route chose its own caching.
pub fn apply(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::CACHE_CONTROL, "no-store");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn only_inline_scripts_are_hashed() {
        let page = "<html><SCRIPT type=\"module\">alert(1)</script>\
                    <script src=\"/a.js\"></script><script>x</script></html>";
        let found: Vec<&str> = inline_scripts(page).collect();
        assert_eq!(found, ["alert(1)", "x"]);
        let csp = csp_for_page(page);
        // sha256("alert(1)"), as browsers compute it.
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
    }
}
