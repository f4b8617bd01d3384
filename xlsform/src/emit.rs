//! Writing the converted survey as a Chorus TOML file, laid out as a person
//! would write it (`docs/survey-format.md`): texts as inline tables, one
//! `[[questions]]` table per question, a comment naming each question's row.

use std::fmt::Write as _;

use crate::{Note, Severity};

/// A text in every language, in the survey's language order.
pub(crate) type Text = Vec<(String, String)>;

#[derive(Clone, Debug)]
pub(crate) struct OutChoice {
    pub id: String,
    pub label: Text,
    /// Offered only while this expression holds (a `choice_filter` on
    /// earlier answers).
    pub relevant: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct ListOut {
    pub id: String,
    pub choices: Vec<OutChoice>,
}

#[derive(Clone, Debug)]
pub(crate) struct OutSection {
    pub id: String,
    pub title: Text,
    pub relevant: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Req {
    Fixed(bool),
    When(String),
}

impl Default for Req {
    fn default() -> Self {
        Req::Fixed(false)
    }
}

#[derive(Clone, Debug)]
pub(crate) enum ChoicesOut {
    None,
    Inline(Vec<OutChoice>),
    List(String),
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Choice {
        ty: &'static str,
        other: bool,
        randomize: bool,
    },
    ShortText,
    LongText,
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Decimal {
        min: Option<f64>,
        max: Option<f64>,
    },
    Date,
    Rating {
        scale: u8,
    },
    Note,
    Consent,
    Calculate {
        expression: String,
    },
    /// A repeat: its questions are the question's `inner`.
    Repeat {
        max: u32,
        /// The number of instances, when earlier answers (or a literal) fix it.
        count: Option<String>,
    },
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Choice { ty, .. } => ty,
            Kind::ShortText => "short_text",
            Kind::LongText => "long_text",
            Kind::Integer { .. } => "integer",
            Kind::Decimal { .. } => "decimal",
            Kind::Date => "date",
            Kind::Rating { .. } => "rating",
            Kind::Note => "note",
            Kind::Consent => "consent",
            Kind::Calculate { .. } => "calculate",
            Kind::Repeat { .. } => "repeat",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct OutQuestion {
    pub id: String,
    pub row: u32,
    pub xls_type: String,
    pub kind: Kind,
    pub section: Option<String>,
    pub label: Option<Text>,
    pub hint: Option<Text>,
    pub required: Req,
    pub required_message: Option<Text>,
    pub relevant: Option<String>,
    pub constraint: Option<String>,
    pub constraint_message: Option<Text>,
    pub choices: ChoicesOut,
    /// A repeat's questions, in order; empty for every other kind.
    pub inner: Vec<OutQuestion>,
}

#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub id: String,
    pub version: u32,
    pub languages: Vec<String>,
    pub default_language: String,
    pub title: Text,
    pub choice_lists: Vec<ListOut>,
    pub sections: Vec<OutSection>,
    pub questions: Vec<OutQuestion>,
}

/// A TOML basic string, escaped.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key, bare when TOML allows it.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        string(k)
    }
}

fn text(t: &Text) -> String {
    let parts: Vec<String> = t
        .iter()
        .map(|(l, s)| format!("{} = {}", key(l), string(s)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn float(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// One line of a comment: no line breaks inside.
fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn choices(out: &mut String, list: &[OutChoice]) {
    out.push_str("[\n");
    for c in list {
        let relevant = c
            .relevant
            .as_ref()
            .map(|r| format!(", relevant = {}", string(r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {{ id = {}, label = {}{relevant} }},",
            string(&c.id),
            text(&c.label)
        );
    }
    out.push(']');
}

/// One question table, under `header` (`[[questions]]`, or
/// `[[questions.questions]]` for a repeat's questions).
fn question(o: &mut String, q: &OutQuestion, header: &str) {
    let _ = writeln!(o, "\n# survey row {}: {}", q.row, comment(&q.xls_type));
    let _ = writeln!(o, "{header}");
    let _ = writeln!(o, "id = {}", string(&q.id));
    let _ = writeln!(o, "type = {}", string(q.kind.name()));
    if let Some(s) = &q.section {
        let _ = writeln!(o, "section = {}", string(s));
    }
    if let Some(t) = &q.label {
        let _ = writeln!(o, "label = {}", text(t));
    }
    if let Some(t) = &q.hint {
        let _ = writeln!(o, "hint = {}", text(t));
    }
    match &q.required {
        Req::Fixed(true) => o.push_str("required = true\n"),
        Req::When(e) => {
            let _ = writeln!(o, "required = {}", string(e));
        }
        Req::Fixed(false) => {}
    }
    if let (Some(t), Req::Fixed(true) | Req::When(_)) = (&q.required_message, &q.required) {
        let _ = writeln!(o, "required_message = {}", text(t));
    }
    if let Some(r) = &q.relevant {
        let _ = writeln!(o, "relevant = {}", string(r));
    }
    if let Some(c) = &q.constraint {
        let _ = writeln!(o, "constraint = {}", string(c));
        if let Some(t) = &q.constraint_message {
            let _ = writeln!(o, "constraint_message = {}", text(t));
        }
    }
    match &q.kind {
        Kind::Choice {
            other, randomize, ..
        } => {
            if *other {
                o.push_str("other = true\n");
            }
            if *randomize {
                o.push_str("randomize = true\n");
            }
        }
        Kind::Integer { min, max } => {
            if let Some(v) = min {
                let _ = writeln!(o, "min = {v}");
            }
            if let Some(v) = max {
                let _ = writeln!(o, "max = {v}");
            }
        }
        Kind::Decimal { min, max } => {
            if let Some(v) = min {
                let _ = writeln!(o, "min = {}", float(*v));
            }
            if let Some(v) = max {
                let _ = writeln!(o, "max = {}", float(*v));
            }
        }
        Kind::Rating { scale } => {
            let _ = writeln!(o, "scale = {scale}");
        }
        Kind::Calculate { expression } => {
            let _ = writeln!(o, "expression = {}", string(expression));
        }
        Kind::Repeat { max, count } => {
            let _ = writeln!(o, "max = {max}");
            if let Some(c) = count {
                let _ = writeln!(o, "count = {}", string(c));
            }
        }
        _ => {}
    }
    match &q.choices {
        ChoicesOut::None => {}
        ChoicesOut::List(l) => {
            let _ = writeln!(o, "choice_list = {}", string(l));
        }
        ChoicesOut::Inline(list) => {
            o.push_str("choices = ");
            choices(o, list);
            o.push('\n');
        }
    }
}

pub(crate) fn write(doc: &Doc, file_name: &str, notes: &[Note]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Imported from the XLSForm `{}` by `chorus import`.",
        comment(file_name)
    );
    o.push_str("# Review it, then run `chorus check` on this file.\n");
    let warnings: Vec<&Note> = notes
        .iter()
        .filter(|n| n.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        o.push_str("#\n# Not converted as written:\n");
        for n in warnings {
            let _ = writeln!(o, "# - {}", comment(&n.to_string()));
        }
    }
    o.push('\n');
    let _ = writeln!(o, "id = {}", string(&doc.id));
    let _ = writeln!(o, "version = {}", doc.version);
    let langs: Vec<String> = doc.languages.iter().map(|l| string(l)).collect();
    let _ = writeln!(o, "languages = [{}]", langs.join(", "));
    let _ = writeln!(o, "default_language = {}", string(&doc.default_language));
    o.push_str("# XLSForm has no privacy budget: 1 is a conservative default. Review it.\n");
    o.push_str("privacy_budget = 1\n");
    let _ = writeln!(o, "title = {}", text(&doc.title));

    if !doc.choice_lists.is_empty() {
        o.push_str("\n[choice_lists]\n");
        for l in &doc.choice_lists {
            let _ = write!(o, "{} = ", key(&l.id));
            choices(&mut o, &l.choices);
            o.push('\n');
        }
    }

    for s in &doc.sections {
        o.push_str("\n[[sections]]\n");
        let _ = writeln!(o, "id = {}", string(&s.id));
        let _ = writeln!(o, "title = {}", text(&s.title));
        if let Some(r) = &s.relevant {
            let _ = writeln!(o, "relevant = {}", string(r));
        }
    }

    for q in &doc.questions {
        question(&mut o, q, "[[questions]]");
        for inner in &q.inner {
            question(&mut o, inner, "[[questions.questions]]");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(string("Сколько?"), "\"Сколько?\"");
        assert_eq!(key("ru"), "ru");
        assert_eq!(key("a b"), "\"a b\"");
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(0.5), "0.5");
    }

    #[test]
    fn choice_relevant_is_written_escaped() {
        let mut out = String::new();
        let label = vec![("en".to_string(), "Kyiv".to_string())];
        choices(
            &mut out,
            &[
                OutChoice {
                    id: "kyiv".into(),
                    label: label.clone(),
                    relevant: Some("country = 'ua' or comment = \"it's\"".into()),
                },
                OutChoice {
                    id: "all".into(),
                    label,
                    relevant: None,
                },
            ],
        );
        assert_eq!(
            out,
            "[\n  { id = \"kyiv\", label = { en = \"Kyiv\" }, relevant = \"country = 'ua' or comment = \\\"it's\\\"\" },\n  { id = \"all\", label = { en = \"Kyiv\" } },\n]"
        );
    }
}
