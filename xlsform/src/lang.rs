//! Language codes from XLSForm language names: `English (en)` → `en`.

/// Common names (in English and in the language itself) of the region's
/// languages and a few others, for columns written without a `(code)`.
const NAMES: &[(&str, &str)] = &[
    ("english", "en"),
    ("russian", "ru"),
    ("русский", "ru"),
    ("ukrainian", "uk"),
    ("українська", "uk"),
    ("georgian", "ka"),
    ("ქართული", "ka"),
    ("kazakh", "kk"),
    ("қазақша", "kk"),
    ("қазақ", "kk"),
    ("kyrgyz", "ky"),
    ("кыргызча", "ky"),
    ("uzbek", "uz"),
    ("o'zbek", "uz"),
    ("tajik", "tg"),
    ("тоҷикӣ", "tg"),
    ("romanian", "ro"),
    ("română", "ro"),
    ("armenian", "hy"),
    ("հայերեն", "hy"),
    ("azerbaijani", "az"),
    ("azərbaycan", "az"),
    ("belarusian", "be"),
    ("беларуская", "be"),
    ("french", "fr"),
    ("german", "de"),
    ("spanish", "es"),
];

/// How a language name was understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// From `(code)` or a bare code: certain.
    Code(String),
    /// From a known language name: worth a note.
    ByName(String),
}

impl Parsed {
    pub fn code(&self) -> &str {
        match self {
            Parsed::Code(c) | Parsed::ByName(c) => c,
        }
    }
}

/// The code of an XLSForm language name, or `None` when it cannot be told.
pub(crate) fn parse(name: &str) -> Option<Parsed> {
    let name = name.trim();
    if let (Some(open), true) = (name.rfind('('), name.ends_with(')')) {
        let inner = name[open + 1..name.len() - 1].trim();
        let code = normalise_code(inner);
        return surveys::load::is_valid_language(&code).then_some(Parsed::Code(code));
    }
    let code = normalise_code(name);
    if surveys::load::is_valid_language(&code) && (name.len() <= 3 || name.contains('-')) {
        return Some(Parsed::Code(code));
    }
    let lower = name.to_lowercase();
    NAMES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, c)| Parsed::ByName(c.to_string()))
}

/// `EN` → `en`, `pt_BR` → `pt-BR` (subtags keep their case).
fn normalise_code(code: &str) -> String {
    let code = code.replace('_', "-");
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("").to_ascii_lowercase();
    std::iter::once(first)
        .chain(parts.map(str::to_string))
        .collect::<Vec<_>>()
        .join("-")
}

/// A guess of the language of some texts from their script, for forms that do
/// not say: Cyrillic → `ru`, Georgian → `ka`, Armenian → `hy`, else `en`.
pub(crate) fn guess(texts: &[&str]) -> &'static str {
    let (mut cyr, mut geo, mut arm, mut lat) = (0usize, 0usize, 0usize, 0usize);
    for c in texts.iter().flat_map(|t| t.chars()) {
        match c {
            '\u{0400}'..='\u{04FF}' => cyr += 1,
            '\u{10A0}'..='\u{10FF}' => geo += 1,
            '\u{0530}'..='\u{058F}' => arm += 1,
            'a'..='z' | 'A'..='Z' => lat += 1,
            _ => {}
        }
    }
    let max = cyr.max(geo).max(arm).max(lat);
    if max == 0 || max == lat {
        "en"
    } else if max == cyr {
        "ru"
    } else if max == geo {
        "ka"
    } else {
        "hy"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse("English (en)"), Some(Parsed::Code("en".into())));
        assert_eq!(parse("Русский (ru)"), Some(Parsed::Code("ru".into())));
        assert_eq!(
            parse("Português (pt_BR)"),
            Some(Parsed::Code("pt-BR".into()))
        );
        assert_eq!(parse("ky"), Some(Parsed::Code("ky".into())));
        assert_eq!(parse("Russian"), Some(Parsed::ByName("ru".into())));
        assert_eq!(parse("Кыргызча"), Some(Parsed::ByName("ky".into())));
        assert_eq!(parse("Klingon"), None);
        assert_eq!(parse("Klingon (Klingon)"), None);
        assert_eq!(guess(&["Сколько вам лет?"]), "ru");
        assert_eq!(guess(&["How old?"]), "en");
    }
}
