//! The form fields that carry drafts: the names and values a page's inputs
//! post (`application/x-www-form-urlencoded`), and back.
//!
//! Both runners name their inputs this way, so that the server-rendered
//! runner can read a form post, and the WASM runner can take over a page
//! the server rendered without losing what was typed:
//!
//! | question | field name | value |
//! |---|---|---|
//! | single choice, rating | `<id>` | the option id, the point |
//! | multiple choice | `<id>`, once per ticked option | the option id |
//! | text, number, date | `<id>` | as typed |
//! | "other, please specify" text | `<id>_other` | as typed |
//! | grid | `<id>.<statement>` | the scale option id |
//! | ranking | `<id>.rank.<option>` | the rank from 1, or empty |
//! | consent | `<id>` | `true` when ticked |
//!
//! Question ids never contain `.` and never start with `_`: names that start
//! with `_` are the runner's own (page, language, submission id) and are
//! left to the caller.

use std::collections::BTreeMap;

use surveys::{QuestionKind, Survey};

use crate::answers::{Draft, other_key, ranks_asked};

/// Longest value of one field, in bytes: far above any text a question
/// takes (the survey's own limits are validate's to check and report).
pub const MAX_FIELD_BYTES: usize = 32 * 1024;

/// A form post that no page of this survey could have made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldsError {
    /// A field that names no question, statement or option of the survey.
    UnknownField(String),
    /// A field of which a page has one, sent more than once.
    Repeated(String),
    /// A value longer than [`MAX_FIELD_BYTES`].
    TooLong(String),
    /// A value that the field's kind cannot hold (a consent that is not
    /// `true`, a rank that is not a number in range).
    BadValue(String),
}

impl std::fmt::Display for FieldsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldsError::UnknownField(n) => {
                write!(f, "the field `{n}` is not a question of this survey")
            }
            FieldsError::Repeated(n) => write!(f, "the field `{n}` was sent more than once"),
            FieldsError::TooLong(n) => {
                write!(f, "the field `{n}` is longer than {MAX_FIELD_BYTES} bytes")
            }
            FieldsError::BadValue(n) => write!(f, "the field `{n}` has a value it cannot take"),
        }
    }
}

impl std::error::Error for FieldsError {}

/// The fields that carry `drafts` (for example as hidden inputs), in the
/// order of the drafts' keys. A consent not ticked and an empty list carry
/// nothing: reading them back gives no draft, which answers the same.
pub fn encode(drafts: &BTreeMap<String, Draft>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, draft) in drafts {
        match draft {
            Draft::Choice(c) => out.push((key.clone(), c.clone())),
            Draft::Choices(list) => out.extend(list.iter().map(|c| (key.clone(), c.clone()))),
            Draft::Text(t) => out.push((key.clone(), t.clone())),
            Draft::Grid(picked) => out.extend(
                picked
                    .iter()
                    .map(|(s, c)| (format!("{key}.{s}"), c.clone())),
            ),
            Draft::Ranks(slots) => out.extend(slots.iter().enumerate().filter_map(|(i, c)| {
                c.as_ref()
                    .map(|c| (format!("{key}.rank.{c}"), (i + 1).to_string()))
            })),
            Draft::Checked(true) => out.push((key.clone(), "true".to_string())),
            Draft::Checked(false) => {}
        }
    }
    out
}

/// Reads the drafts back from a form's fields (names starting with `_` are
/// skipped). A question none of whose fields was sent has no draft: an
/// unticked box, an empty group of radio buttons.
///
/// What a page could not have sent is refused as a whole: an unknown name,
/// a second value for a one-value field, a value too long, a consent other
/// than `true`, a rank out of range. A choice the question does not offer
/// is kept, so that validation names it next to the question.
pub fn decode(
    survey: &Survey,
    fields: &[(String, String)],
) -> Result<BTreeMap<String, Draft>, FieldsError> {
    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    // Ranks as given, per ranking: (option, rank), in the fields' order.
    let mut ranks: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (name, value) in fields {
        if name.starts_with('_') {
            continue;
        }
        if value.len() > MAX_FIELD_BYTES {
            return Err(FieldsError::TooLong(name.clone()));
        }
        let unknown = || FieldsError::UnknownField(name.clone());
        let once = |drafts: &BTreeMap<String, Draft>, key: &str| {
            if drafts.contains_key(key) {
                Err(FieldsError::Repeated(name.clone()))
            } else {
                Ok(())
            }
        };
        if let Some((id, rest)) = name.split_once('.') {
            let q = survey.question(id).ok_or_else(unknown)?;
            match (&q.kind, rest.strip_prefix("rank.")) {
                (QuestionKind::Grid { statements, .. }, _) => {
                    if !statements.iter().any(|s| s.id == rest) {
                        return Err(unknown());
                    }
                    let entry = drafts
                        .entry(id.to_string())
                        .or_insert_with(|| Draft::Grid(BTreeMap::new()));
                    if let Draft::Grid(picked) = entry
                        && picked.insert(rest.to_string(), value.clone()).is_some()
                    {
                        return Err(FieldsError::Repeated(name.clone()));
                    }
                }
                (QuestionKind::Ranking { choices, .. }, Some(option)) => {
                    if !choices.iter().any(|c| c.id == option) {
                        return Err(unknown());
                    }
                    let given = ranks.entry(id.to_string()).or_default();
                    if given.iter().any(|(c, _)| c == option) {
                        return Err(FieldsError::Repeated(name.clone()));
                    }
                    if value.is_empty() {
                        continue;
                    }
                    let k = ranks_asked(&q.kind);
                    let rank = value
                        .parse::<usize>()
                        .ok()
                        .filter(|r| (1..=k).contains(r))
                        .ok_or_else(|| FieldsError::BadValue(name.clone()))?;
                    given.push((option.to_string(), rank));
                }
                _ => return Err(unknown()),
            }
            continue;
        }
        if let Some(q) = survey.question(name) {
            match &q.kind {
                QuestionKind::MultipleChoice { .. } => {
                    let entry = drafts
                        .entry(name.clone())
                        .or_insert_with(|| Draft::Choices(Vec::new()));
                    if let Draft::Choices(list) = entry {
                        if list.contains(value) {
                            return Err(FieldsError::Repeated(name.clone()));
                        }
                        list.push(value.clone());
                    }
                }
                QuestionKind::SingleChoice { .. } | QuestionKind::Rating { .. } => {
                    once(&drafts, name)?;
                    drafts.insert(name.clone(), Draft::Choice(value.clone()));
                }
                QuestionKind::Consent => {
                    once(&drafts, name)?;
                    if value != "true" {
                        return Err(FieldsError::BadValue(name.clone()));
                    }
                    drafts.insert(name.clone(), Draft::Checked(true));
                }
                QuestionKind::ShortText { .. }
                | QuestionKind::LongText { .. }
                | QuestionKind::Integer { .. }
                | QuestionKind::Decimal { .. }
                | QuestionKind::Date { .. } => {
                    once(&drafts, name)?;
                    drafts.insert(name.clone(), Draft::Text(value.clone()));
                }
                QuestionKind::Grid { .. }
                | QuestionKind::Ranking { .. }
                | QuestionKind::Note
                | QuestionKind::Calculate { .. }
                | QuestionKind::Repeat { .. } => return Err(unknown()),
            }
            continue;
        }
        let base = name.strip_suffix("_other").ok_or_else(unknown)?;
        match survey.question(base) {
            Some(q) if q.kind.has_other() && other_key(base) == *name => {
                once(&drafts, name)?;
                drafts.insert(name.clone(), Draft::Text(value.clone()));
            }
            _ => return Err(unknown()),
        }
    }
    for (id, given) in ranks {
        let k = survey.question(&id).map_or(0, |q| ranks_asked(&q.kind));
        let mut slots = vec![None; k];
        // Two options given the same rank: the first keeps it, the other
        // stays unranked, and validation asks for the missing rank.
        for (option, rank) in given {
            if slots[rank - 1].is_none() {
                slots[rank - 1] = Some(option);
            }
        }
        if slots.iter().any(Option::is_some) {
            drafts.insert(id, Draft::Ranks(slots));
        }
    }
    Ok(drafts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn survey() -> Survey {
        serde_json::from_value(json!({
            "id": "s", "version": 1, "languages": ["en"], "default_language": "en",
            "title": {"en": "S"}, "privacy_budget": "1",
            "questions": [
                {"id": "one", "type": "single_choice", "other": true, "label": {"en": "1"},
                 "choices": [{"id": "a", "label": {"en": "A"}}, {"id": "b", "label": {"en": "B"}}]},
                {"id": "many", "type": "multiple_choice", "label": {"en": "2"},
                 "choices": [{"id": "a", "label": {"en": "A"}}, {"id": "b", "label": {"en": "B"}}]},
                {"id": "n", "type": "integer", "label": {"en": "3"}},
                {"id": "g", "type": "grid", "label": {"en": "4"},
                 "statements": [{"id": "x", "label": {"en": "X"}}, {"id": "y", "label": {"en": "Y"}}],
                 "scale": [{"id": "lo", "label": {"en": "Lo"}}, {"id": "hi", "label": {"en": "Hi"}}]},
                {"id": "r", "type": "ranking", "rank": 2, "label": {"en": "5"},
                 "choices": [{"id": "a", "label": {"en": "A"}}, {"id": "b", "label": {"en": "B"}},
                             {"id": "c", "label": {"en": "C"}}]},
                {"id": "ok", "type": "consent", "label": {"en": "6"}},
                {"id": "note", "type": "note", "label": {"en": "7"}}
            ]
        }))
        .expect("test survey")
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_kind_of_field_reads_back_as_written() {
        let s = survey();
        let fields = pairs(&[
            ("_page", "0"),
            ("one", "other"),
            ("one_other", "mine"),
            ("many", "b"),
            ("many", "a"),
            ("n", "1e"),
            ("g.y", "hi"),
            ("r.rank.c", "1"),
            ("r.rank.a", ""),
            ("r.rank.b", "2"),
            ("ok", "true"),
        ]);
        let drafts = decode(&s, &fields).expect("decodes");
        assert_eq!(drafts["one"], Draft::Choice("other".into()));
        assert_eq!(drafts["one_other"], Draft::Text("mine".into()));
        assert_eq!(drafts["many"], Draft::Choices(vec!["b".into(), "a".into()]));
        assert_eq!(
            drafts["n"],
            Draft::Text("1e".into()),
            "as typed, for validation to name"
        );
        assert_eq!(
            drafts["g"],
            Draft::Grid([("y".to_string(), "hi".to_string())].into())
        );
        assert_eq!(
            drafts["r"],
            Draft::Ranks(vec![Some("c".into()), Some("b".into())])
        );
        assert_eq!(drafts["ok"], Draft::Checked(true));
        assert_eq!(decode(&s, &encode(&drafts)), Ok(drafts));
        // Nothing sent for a question: no draft (an unticked box, no pick).
        assert!(
            decode(&s, &pairs(&[("_x", "1")]))
                .expect("decodes")
                .is_empty()
        );
    }

    #[test]
    fn what_no_page_could_send_is_refused() {
        let s = survey();
        let refused = |p: &[(&str, &str)]| decode(&s, &pairs(p)).expect_err("refused");
        assert_eq!(
            refused(&[("nope", "1")]),
            FieldsError::UnknownField("nope".into())
        );
        assert_eq!(
            refused(&[("note", "1")]),
            FieldsError::UnknownField("note".into())
        );
        assert_eq!(
            refused(&[("many_other", "x")]),
            FieldsError::UnknownField("many_other".into())
        );
        assert_eq!(
            refused(&[("g.z", "lo")]),
            FieldsError::UnknownField("g.z".into())
        );
        assert_eq!(
            refused(&[("n.x", "1")]),
            FieldsError::UnknownField("n.x".into())
        );
        assert_eq!(
            refused(&[("r.rank.d", "1")]),
            FieldsError::UnknownField("r.rank.d".into())
        );
        assert_eq!(
            refused(&[("one", "a"), ("one", "b")]),
            FieldsError::Repeated("one".into())
        );
        assert_eq!(
            refused(&[("many", "a"), ("many", "a")]),
            FieldsError::Repeated("many".into())
        );
        assert_eq!(
            refused(&[("g.x", "lo"), ("g.x", "hi")]),
            FieldsError::Repeated("g.x".into())
        );
        assert_eq!(
            refused(&[("ok", "yes")]),
            FieldsError::BadValue("ok".into())
        );
        assert_eq!(
            refused(&[("r.rank.a", "3")]),
            FieldsError::BadValue("r.rank.a".into())
        );
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        assert_eq!(refused(&[("n", &long)]), FieldsError::TooLong("n".into()));
        // A choice not offered is kept, for validation to name.
        let d = decode(&s, &pairs(&[("one", "zzz")])).expect("decodes");
        assert_eq!(d["one"], Draft::Choice("zzz".into()));
    }

    #[test]
    fn two_options_given_one_rank_leave_the_second_unranked() {
        let s = survey();
        let d = decode(&s, &pairs(&[("r.rank.a", "1"), ("r.rank.b", "1")])).expect("decodes");
        assert_eq!(d["r"], Draft::Ranks(vec![Some("a".into()), None]));
    }
}
