//! What an installed runner is on a phone's home screen: the web app
//! manifest (`GET /manifest.webmanifest`) and its icon (`GET /app-icon`).
//!
//! An icon on a home screen is seen by whoever holds the phone, so both are
//! neutral and the operator's to choose (`--app-name`, `--app-icon`): the
//! default name is "Chorus" and the default icon a plain note, neither
//! naming a survey, a topic or the network. Survey titles never appear
//! here (a survey's own neutral `browser_title` names its tab).

use std::path::Path;

use crate::assets::{Asset, Settings};

/// The installed runner's name unless the operator sets one.
pub const DEFAULT_APP_NAME: &str = "Chorus";

/// The longest name accepted: a home screen shows about twelve characters.
pub const MAX_APP_NAME_CHARS: usize = 30;

/// A plain note on a dark square: nothing that says what is on it.
const DEFAULT_ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 96 96\"><rect width=\"96\" height=\"96\" rx=\"20\" fill=\"#2f4858\"/><rect x=\"24\" y=\"20\" width=\"48\" height=\"56\" rx=\"6\" fill=\"#fff\"/><path d=\"M34 38h28M34 48h28M34 58h18\" stroke=\"#2f4858\" stroke-width=\"5\" stroke-linecap=\"round\"/></svg>\n";

/// The manifest and the icon, made and compressed once at start.
#[derive(Debug)]
pub struct Install {
    pub manifest: Asset,
    pub icon: Asset,
}

/// Why an operator's name or icon was not taken.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "the app name must be 1 to {MAX_APP_NAME_CHARS} characters of text, without control characters or `<`, `>`, `\"`"
    )]
    Name,
    #[error("cannot read the app icon {path}: {source}")]
    IconUnreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the app icon {0} must be a PNG of at least 192×192 pixels or an SVG file")]
    IconKind(String),
}

/// Checks an operator's `--app-name`.
pub fn check_name(name: &str) -> Result<(), InstallError> {
    let chars = name.chars().count();
    let fine = (1..=MAX_APP_NAME_CHARS).contains(&chars)
        && !name.trim().is_empty()
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | '"'));
    if fine {
        Ok(())
    } else {
        Err(InstallError::Name)
    }
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

impl Install {
    /// The manifest for `name` and the icon in `icon` (a PNG of at least
    /// 192×192 pixels, or an SVG), else the plain default icon.
    pub fn new(name: &str, icon: Option<&Path>) -> Result<Install, InstallError> {
        check_name(name)?;
        let (bytes, mime, sizes) = match icon {
            None => (
                DEFAULT_ICON.as_bytes().to_vec(),
                "image/svg+xml",
                "any".to_string(),
            ),
            Some(path) => {
                let shown = path.display().to_string();
                let bytes = std::fs::read(path).map_err(|source| InstallError::IconUnreadable {
                    path: shown.clone(),
                    source,
                })?;
                if let Some((w, h)) = png_size(&bytes) {
                    if w < 192 || h < 192 {
                        return Err(InstallError::IconKind(shown));
                    }
                    (bytes, "image/png", format!("{w}x{h}"))
                } else if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
                    && std::str::from_utf8(&bytes).is_ok_and(|t| t.contains("<svg"))
                {
                    (bytes, "image/svg+xml", "any".to_string())
                } else {
                    return Err(InstallError::IconKind(shown));
                }
            }
        };
        let manifest = serde_json::json!({
            "name": name,
            "short_name": name,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#2f4858",
            "icons": [{ "src": "/app-icon", "sizes": sizes, "type": mime, "purpose": "any" }],
        });
        Ok(Install {
            manifest: Asset::packed(
                "manifest.json",
                "application/manifest+json",
                "no-cache",
                manifest.to_string().into_bytes(),
                Settings::default(),
            ),
            icon: Asset::packed(
                if mime == "image/png" {
                    "icon.png"
                } else {
                    "icon.svg"
                },
                mime,
                "no-cache",
                bytes,
                Settings::default(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_plain_text() {
        for good in ["Chorus", "Заметки", "ჩანაწერები", "Notes 2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let long = "x".repeat(MAX_APP_NAME_CHARS + 1);
        for bad in ["", "   ", "a\nb", "<b>", "say \"hi\"", long.as_str()] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_png_icon_gives_its_size_and_a_small_one_is_refused() {
        let png = |w: u32, h: u32| {
            let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
            b.extend_from_slice(&w.to_be_bytes());
            b.extend_from_slice(&h.to_be_bytes());
            b.extend_from_slice(&[8, 6, 0, 0, 0]);
            b
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.png");
        std::fs::write(&big, png(512, 512)).expect("write");
        let install = Install::new("Notes", Some(&big)).expect("a 512×512 PNG");
        let manifest: serde_json::Value = serde_json::from_slice(
            install
                .manifest
                .bytes(crate::assets::Encoding::Identity)
                .expect("identity"),
        )
        .expect("JSON");
        assert_eq!(manifest["icons"][0]["sizes"], "512x512");
        assert_eq!(manifest["icons"][0]["type"], "image/png");
        let small = dir.path().join("small.png");
        std::fs::write(&small, png(64, 64)).expect("write");
        assert!(matches!(
            Install::new("Notes", Some(&small)),
            Err(InstallError::IconKind(_))
        ));
        let text = dir.path().join("icon.txt");
        std::fs::write(&text, "not an image").expect("write");
        assert!(matches!(
            Install::new("Notes", Some(&text)),
            Err(InstallError::IconKind(_))
        ));
        assert!(matches!(
            Install::new("Notes", Some(&dir.path().join("missing.png"))),
            Err(InstallError::IconUnreadable { .. })
        ));
    }
}
