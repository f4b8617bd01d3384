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
//! | repeat without a `count` | `<id>` | how many instances the member added |
//! | a question of instance `k` of a repeat | `<repeat>[k].` and its name as above | as above |
//!
//! Question ids never contain `.` or `[` and never start with `_`: names
//! that start with `_` are the runner's own (page, language, submission id)
//! and are left to the caller.

use std::collections::BTreeMap;

use surveys::{Question, QuestionKind, Survey};

use crate::answers::{Draft, other_key, question_at, ranks_asked, split_instance_key};

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
            Draft::Instances(n) => out.push((key.clone(), n.to_string())),
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
    let mut read = Reader {
        drafts: BTreeMap::new(),
        ranks: BTreeMap::new(),
    };
    for (name, value) in fields {
        if name.starts_with('_') {
            continue;
        }
        if value.len() > MAX_FIELD_BYTES {
            return Err(FieldsError::TooLong(name.clone()));
        }
        match split_instance_key(name) {
            // A question of one instance of a repeat: read against the
            // repeat's questions, keyed with the instance.
            Some((repeat, k, rest)) => {
                let q = survey
                    .question(repeat)
                    .filter(|q| q.kind.is_repeat() && k <= q.kind.max_instances())
                    .ok_or_else(|| FieldsError::UnknownField(name.clone()))?;
                let prefix = &name[..name.len() - rest.len()];
                if *prefix != crate::answers::instance_key(repeat, k, "") {
                    return Err(FieldsError::UnknownField(name.clone())); // `[02]`
                }
                read.field(q.kind.inner(), prefix, name, rest, value)?;
            }
            None => read.field(&survey.questions, "", name, name, value)?,
        }
    }
    let Reader { mut drafts, ranks } = read;
    for (key, given) in ranks {
        let k = question_at(survey, &key).map_or(0, |q| ranks_asked(&q.kind));
        let mut slots = vec![None; k];
        // Two options given the same rank: the first keeps it, the other
        // stays unranked, and validation asks for the missing rank.
        for (option, rank) in given {
            if slots[rank - 1].is_none() {
                slots[rank - 1] = Some(option);
            }
        }
        if slots.iter().any(Option::is_some) {
            drafts.insert(key, Draft::Ranks(slots));
        }
    }
    Ok(drafts)
}

/// The drafts read so far, and the ranks given per ranking (option, rank),
/// in the fields' order.
struct Reader {
    drafts: BTreeMap<String, Draft>,
    ranks: BTreeMap<String, Vec<(String, usize)>>,
}

impl Reader {
    /// One field, `name` in full; `rest` is the part after `prefix`
    /// (`incidents[2].` inside a repeat, else empty), read against
    /// `questions` (the survey's, or the repeat's).
    fn field(
        &mut self,
        questions: &[Question],
        prefix: &str,
        name: &str,
        rest: &str,
        value: &str,
    ) -> Result<(), FieldsError> {
        let drafts = &mut self.drafts;
        let unknown = || FieldsError::UnknownField(name.to_string());
        let repeated = || FieldsError::Repeated(name.to_string());
        let find = |id: &str| questions.iter().find(|q| q.id == id);
        let key = |id: &str| format!("{prefix}{id}");
        let once = |drafts: &BTreeMap<String, Draft>, key: &str| {
            if drafts.contains_key(key) {
                Err(repeated())
            } else {
                Ok(())
            }
        };
        if let Some((id, part)) = rest.split_once('.') {
            let q = find(id).ok_or_else(unknown)?;
            match (&q.kind, part.strip_prefix("rank.")) {
                (QuestionKind::Grid { statements, .. }, _) => {
                    if !statements.iter().any(|s| s.id == part) {
                        return Err(unknown());
                    }
                    let entry = drafts
                        .entry(key(id))
                        .or_insert_with(|| Draft::Grid(BTreeMap::new()));
                    if let Draft::Grid(picked) = entry
                        && picked.insert(part.to_string(), value.to_string()).is_some()
                    {
                        return Err(repeated());
                    }
                }
                (QuestionKind::Ranking { choices, .. }, Some(option)) => {
                    if !choices.iter().any(|c| c.id == option) {
                        return Err(unknown());
                    }
                    let given = self.ranks.entry(key(id)).or_default();
                    if given.iter().any(|(c, _)| c == option) {
                        return Err(repeated());
                    }
                    if value.is_empty() {
                        return Ok(());
                    }
                    let k = ranks_asked(&q.kind);
                    let rank = value
                        .parse::<usize>()
                        .ok()
                        .filter(|r| (1..=k).contains(r))
                        .ok_or_else(|| FieldsError::BadValue(name.to_string()))?;
                    given.push((option.to_string(), rank));
                }
                _ => return Err(unknown()),
            }
            return Ok(());
        }
        let full = key(rest);
        if let Some(q) = find(rest) {
            match &q.kind {
                QuestionKind::MultipleChoice { .. } => {
                    let entry = drafts
                        .entry(full)
                        .or_insert_with(|| Draft::Choices(Vec::new()));
                    if let Draft::Choices(list) = entry {
                        if list.iter().any(|c| c == value) {
                            return Err(repeated());
                        }
                        list.push(value.to_string());
                    }
                }
                QuestionKind::SingleChoice { .. } | QuestionKind::Rating { .. } => {
                    once(drafts, &full)?;
                    drafts.insert(full, Draft::Choice(value.to_string()));
                }
                QuestionKind::Consent => {
                    once(drafts, &full)?;
                    if value != "true" {
                        return Err(FieldsError::BadValue(name.to_string()));
                    }
                    drafts.insert(full, Draft::Checked(true));
                }
                QuestionKind::ShortText { .. }
                | QuestionKind::LongText { .. }
                | QuestionKind::Integer { .. }
                | QuestionKind::Decimal { .. }
                | QuestionKind::Date { .. } => {
                    once(drafts, &full)?;
                    drafts.insert(full, Draft::Text(value.to_string()));
                }
                // How many instances the member added (a repeat whose
                // count an earlier answer gives takes none).
                QuestionKind::Repeat { max, count, .. } => {
                    once(drafts, &full)?;
                    let n = value
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| count.is_none() && n <= *max as usize)
                        .ok_or_else(|| FieldsError::BadValue(name.to_string()))?;
                    if n > 0 {
                        drafts.insert(full, Draft::Instances(n));
                    }
                }
                QuestionKind::Grid { .. }
                | QuestionKind::Ranking { .. }
                | QuestionKind::Note
                | QuestionKind::Calculate { .. } => return Err(unknown()),
            }
            return Ok(());
        }
        let base = rest.strip_suffix("_other").ok_or_else(unknown)?;
        match find(base) {
            Some(q) if q.kind.has_other() && other_key(base) == rest => {
                once(drafts, &full)?;
                drafts.insert(full, Draft::Text(value.to_string()));
                Ok(())
            }
            _ => Err(unknown()),
        }
    }
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

    fn incidents() -> Survey {
        surveys::parse_survey(include_str!("../../surveys/tests/repeat.toml"))
            .expect("the repeat fixture loads")
    }

    #[test]
    fn instances_and_their_fields_read_back_as_written() {
        let s = incidents();
        let fields = pairs(&[
            ("incidents", "2"),
            ("incidents[1].when", "2026-03-01"),
            ("incidents[1].by", "police"),
            ("incidents[1].by", "other"),
            ("incidents[1].by_other", "guards"),
            ("incidents[2].same_place", "true"),
        ]);
        let drafts = decode(&s, &fields).expect("decodes");
        assert_eq!(drafts["incidents"], Draft::Instances(2));
        assert_eq!(
            drafts["incidents[1].when"],
            Draft::Text("2026-03-01".into())
        );
        assert_eq!(
            drafts["incidents[1].by"],
            Draft::Choices(vec!["police".into(), "other".into()])
        );
        assert_eq!(
            drafts["incidents[1].by_other"],
            Draft::Text("guards".into())
        );
        assert_eq!(drafts["incidents[2].same_place"], Draft::Checked(true));
        assert_eq!(decode(&s, &encode(&drafts)), Ok(drafts));
    }

    #[test]
    fn instance_fields_no_page_could_send_are_refused() {
        let s = incidents();
        let refused = |p: &[(&str, &str)]| decode(&s, &pairs(p)).expect_err("refused");
        let unknown = |n: &str| FieldsError::UnknownField(n.into());
        // Beyond the repeat's max (3), numbered from 0 or with a leading
        // zero, a question of another repeat or of the survey itself.
        assert_eq!(
            refused(&[("incidents[4].when", "x")]),
            unknown("incidents[4].when")
        );
        assert_eq!(
            refused(&[("incidents[0].when", "x")]),
            unknown("incidents[0].when")
        );
        assert_eq!(
            refused(&[("incidents[01].when", "x")]),
            unknown("incidents[01].when")
        );
        assert_eq!(
            refused(&[("incidents[1].country", "ua")]),
            unknown("incidents[1].country")
        );
        assert_eq!(
            refused(&[("country[1].when", "x")]),
            unknown("country[1].when")
        );
        assert_eq!(
            refused(&[("incidents[1].when", "a"), ("incidents[1].when", "b")]),
            FieldsError::Repeated("incidents[1].when".into())
        );
        // The number of instances: a number up to max.
        assert_eq!(
            refused(&[("incidents", "4")]),
            FieldsError::BadValue("incidents".into())
        );
        assert_eq!(
            refused(&[("incidents", "two")]),
            FieldsError::BadValue("incidents".into())
        );
        assert!(
            decode(&s, &pairs(&[("incidents", "0")]))
                .expect("decodes")
                .is_empty()
        );
    }
}
