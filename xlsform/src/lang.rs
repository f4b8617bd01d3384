//! Language codes from XLSForm language names: `English (en)` → `en`.

/// Names of languages — in English and in the language itself — for
/// columns written without a `(code)`: the region's languages (Eastern
/// Europe, the Caucasus and Central Asia), the six UN languages and others
/// that forms in the region use. Compared lower-cased, so `Russian`,
/// `russian` and `RUSSIAN` are one name.
const NAMES: &[(&str, &str)] = &[
    // The UN languages.
    ("arabic", "ar"),
    ("العربية", "ar"),
    ("chinese", "zh"),
    ("mandarin", "zh"),
    ("中文", "zh"),
    ("汉语", "zh"),
    ("漢語", "zh"),
    ("普通话", "zh"),
    ("english", "en"),
    ("french", "fr"),
    ("français", "fr"),
    ("francais", "fr"),
    ("russian", "ru"),
    ("русский", "ru"),
    ("русский язык", "ru"),
    ("spanish", "es"),
    ("español", "es"),
    ("espanol", "es"),
    ("castellano", "es"),
    // Eastern Europe.
    ("ukrainian", "uk"),
    ("українська", "uk"),
    ("українська мова", "uk"),
    ("belarusian", "be"),
    ("belarusan", "be"),
    ("беларуская", "be"),
    ("romanian", "ro"),
    ("moldovan", "ro"),
    ("moldavian", "ro"),
    ("română", "ro"),
    ("romana", "ro"),
    ("moldovenească", "ro"),
    ("polish", "pl"),
    ("polski", "pl"),
    ("lithuanian", "lt"),
    ("lietuvių", "lt"),
    ("latvian", "lv"),
    ("latviešu", "lv"),
    ("estonian", "et"),
    ("eesti", "et"),
    ("bulgarian", "bg"),
    ("български", "bg"),
    ("serbian", "sr"),
    ("српски", "sr"),
    ("srpski", "sr"),
    ("croatian", "hr"),
    ("hrvatski", "hr"),
    ("bosnian", "bs"),
    ("bosanski", "bs"),
    ("montenegrin", "cnr"),
    ("crnogorski", "cnr"),
    ("macedonian", "mk"),
    ("македонски", "mk"),
    ("albanian", "sq"),
    ("shqip", "sq"),
    ("hungarian", "hu"),
    ("magyar", "hu"),
    ("czech", "cs"),
    ("čeština", "cs"),
    ("slovak", "sk"),
    ("slovenčina", "sk"),
    ("slovenian", "sl"),
    ("slovene", "sl"),
    ("slovenščina", "sl"),
    ("greek", "el"),
    ("ελληνικά", "el"),
    ("german", "de"),
    ("deutsch", "de"),
    ("romani", "rom"),
    ("yiddish", "yi"),
    ("ייִדיש", "yi"),
    // The Caucasus.
    ("georgian", "ka"),
    ("ქართული", "ka"),
    ("armenian", "hy"),
    ("հայերեն", "hy"),
    ("azerbaijani", "az"),
    ("azeri", "az"),
    ("azərbaycan", "az"),
    ("azərbaycanca", "az"),
    ("azərbaycan dili", "az"),
    ("abkhaz", "ab"),
    ("abkhazian", "ab"),
    ("аҧсуа", "ab"),
    ("ossetian", "os"),
    ("ирон", "os"),
    ("chechen", "ce"),
    ("нохчийн", "ce"),
    // Central Asia.
    ("kazakh", "kk"),
    ("қазақша", "kk"),
    ("қазақ", "kk"),
    ("қазақ тілі", "kk"),
    ("kyrgyz", "ky"),
    ("kirghiz", "ky"),
    ("кыргызча", "ky"),
    ("кыргыз", "ky"),
    ("uzbek", "uz"),
    ("o'zbek", "uz"),
    ("oʻzbek", "uz"),
    ("o‘zbek", "uz"),
    ("o'zbekcha", "uz"),
    ("ўзбек", "uz"),
    ("ўзбекча", "uz"),
    ("tajik", "tg"),
    ("тоҷикӣ", "tg"),
    ("тоҷики", "tg"),
    ("turkmen", "tk"),
    ("türkmen", "tk"),
    ("türkmençe", "tk"),
    ("karakalpak", "kaa"),
    ("qaraqalpaq", "kaa"),
    ("қарақалпақ", "kaa"),
    ("tatar", "tt"),
    ("татар", "tt"),
    ("bashkir", "ba"),
    ("башҡорт", "ba"),
    ("mongolian", "mn"),
    ("монгол", "mn"),
    ("uyghur", "ug"),
    ("uighur", "ug"),
    ("ئۇيغۇرچە", "ug"),
    ("dari", "prs"),
    ("دری", "prs"),
    ("pashto", "ps"),
    ("پښتو", "ps"),
    ("persian", "fa"),
    ("farsi", "fa"),
    ("فارسی", "fa"),
    ("turkish", "tr"),
    ("türkçe", "tr"),
    ("hebrew", "he"),
    ("עברית", "he"),
    ("hindi", "hi"),
    ("हिन्दी", "hi"),
    ("portuguese", "pt"),
    ("português", "pt"),
    ("italian", "it"),
    ("italiano", "it"),
];

/// How a language name was understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// From `(code)` or a bare code: certain.
    Code(String),
    /// From a known language name: worth a note.
    ByName(String),
    /// A name that is not known: a private-use tag made from it (ISO 639's
    /// local-use code `qaa` with the name as a private subtag,
    /// `Klingon` → `qaa-x-klingon`), worth a warning.
    Private(String),
}

impl Parsed {
    pub fn code(&self) -> &str {
        match self {
            Parsed::Code(c) | Parsed::ByName(c) | Parsed::Private(c) => c,
        }
    }
}

/// The code of an XLSForm language name: from its `(code)`, a bare code, a
/// known name, or else a private-use tag. `None` only for a `(code)` that is
/// not a language code, or a name with no letter or digit to make a tag of.
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
    let lower = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Some(Parsed::ByName(c.to_string()));
    }
    private_tag(&lower).map(Parsed::Private)
}

/// `qaa-x-…` from a name's letters and digits (Cyrillic transliterated), in
/// subtags of at most eight; `None` when nothing is left.
fn private_tag(lower: &str) -> Option<String> {
    let ascii: String = lower
        .chars()
        .flat_map(|c| match crate::convert::translit(c) {
            Some(latin) => latin.chars().collect::<Vec<_>>(),
            None if c.is_ascii_alphanumeric() => vec![c],
            None => Vec::new(),
        })
        .collect();
    if ascii.is_empty() {
        return None;
    }
    let subtags: Vec<String> = ascii
        .as_bytes()
        .chunks(8)
        .take(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Some(format!("qaa-x-{}", subtags.join("-")))
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
        assert_eq!(parse("CHINESE"), Some(Parsed::ByName("zh".into())));
        assert_eq!(parse("中文"), Some(Parsed::ByName("zh".into())));
        assert_eq!(parse("Español"), Some(Parsed::ByName("es".into())));
        assert_eq!(parse("العربية"), Some(Parsed::ByName("ar".into())));
        assert_eq!(parse("Тоҷикӣ"), Some(Parsed::ByName("tg".into())));
        assert_eq!(parse("  Türkmen "), Some(Parsed::ByName("tk".into())));
        assert_eq!(
            parse("Klingon"),
            Some(Parsed::Private("qaa-x-klingon".into()))
        );
        assert_eq!(
            parse("Lezgian dialect"),
            Some(Parsed::Private("qaa-x-lezgiand-ialect".into()))
        );
        assert_eq!(parse("Лезги"), Some(Parsed::Private("qaa-x-lezgi".into())));
        assert_eq!(parse("ⵜⴰⵎⴰⵣⵉⵖⵜ"), None);
        assert_eq!(parse("Klingon (Klingon)"), None);
        for (_, code) in NAMES {
            assert!(surveys::load::is_valid_language(code), "{code}");
        }
        for tag in ["qaa-x-klingon", "qaa-x-lezgiand-ialect"] {
            assert!(surveys::load::is_valid_language(tag), "{tag}");
        }
        assert_eq!(guess(&["Сколько вам лет?"]), "ru");
        assert_eq!(guess(&["How old?"]), "en");
    }
}
