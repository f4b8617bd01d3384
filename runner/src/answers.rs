//! What the respondent entered ([`Draft`]) and the answers sent for it.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use surveys::{QuestionKind, Survey};

use crate::Visibility;

/// What a number field holds when the browser could not read it (the
/// respondent typed something like `1e`). It is not a number, so validation
/// reports it instead of the field silently counting as blank.
pub const UNREADABLE_NUMBER: &str = "?";

/// The id of the "Other, please specify" option of a choice question.
pub const OTHER: &str = "other";

/// The answer key of the text that goes with "Other, please specify".
pub fn other_key(question: &str) -> String {
    format!("{question}_other")
}

/// What the respondent has entered for one question, as entered.
#[derive(Clone, Debug, PartialEq)]
pub enum Draft {
    /// A single choice: the id of the picked option; a rating: the point
    /// (`"1"` to the scale).
    Choice(String),
    /// A multiple choice: the ids of the ticked options, in ticking order.
    Choices(Vec<String>),
    /// A text, a number or date field's text, the "other" text.
    Text(String),
    /// A grid: the scale choice by statement.
    Grid(BTreeMap<String, String>),
    /// A ranking: the option at each rank (rank 1 first), `None` where no
    /// option has that rank yet. As long as the number of ranks asked for.
    Ranks(Vec<Option<String>>),
    /// A consent box.
    Checked(bool),
    /// A repeat whose member chooses how many instances to give: how many
    /// they have added. The drafts of instance `k` (from 1) are keyed
    /// `<repeat>[k].<question>` (see [`instance_key`]).
    Instances(usize),
}

/// The key of question `question` in instance `k` (from 1) of repeat
/// `repeat`: `incidents[2].when`, as the engine names it in its
/// evaluation and errors, and as drafts, form fields and element ids are
/// keyed.
pub fn instance_key(repeat: &str, k: usize, question: &str) -> String {
    format!("{repeat}[{k}].{question}")
}

/// The repeat, instance (from 1) and rest of an instance key:
/// `incidents[2].when` → `("incidents", 2, "when")`. `None` for a key
/// outside a repeat.
pub fn split_instance_key(key: &str) -> Option<(&str, usize, &str)> {
    let (repeat, rest) = key.split_once('[')?;
    let (k, rest) = rest.split_once("].")?;
    let k: usize = k.parse().ok().filter(|&k| k >= 1)?;
    (!repeat.is_empty() && !rest.is_empty()).then_some((repeat, k, rest))
}

/// The question a draft key (or element key) names: a question of the
/// survey, or a question inside one of its repeats (`incidents[2].when`).
pub fn question_at<'a>(survey: &'a Survey, key: &str) -> Option<&'a surveys::Question> {
    match split_instance_key(key) {
        None => survey.question(key),
        Some((repeat, _, inner)) => survey
            .question(repeat)?
            .kind
            .inner()
            .iter()
            .find(|q| q.id == inner),
    }
}

/// How many options a ranking asks to order.
pub fn ranks_asked(kind: &QuestionKind) -> usize {
    match kind {
        QuestionKind::Ranking { choices, rank, .. } => rank
            .map_or(choices.len(), |r| r as usize)
            .min(choices.len()),
        _ => 0,
    }
}

/// A date bound as the browser takes it (`today` is the respondent's day).
pub fn date_bound(bound: &str, today: surveys::Date) -> String {
    if bound == "today" {
        today.to_string()
    } else {
        bound.to_string()
    }
}

/// A decimal as typed (`1,5` or `1.5`) as a JSON number; what does not read
/// as one is kept as text so that validation names the problem.
///
/// Read with serde_json's number parser, already in the bundle, rather than
/// `str::parse::<f64>`, which would add its own.
pub(crate) fn decimal_value(s: &str) -> Value {
    let mut normalised = s.replace(',', ".");
    if let Some(rest) = normalised.strip_prefix('.') {
        normalised = format!("0.{rest}");
    } else if let Some(rest) = normalised.strip_prefix("-.") {
        normalised = format!("-0.{rest}");
    }
    if normalised.ends_with('.') {
        normalised.pop();
    }
    serde_json::from_str::<f64>(&normalised)
        .ok()
        .filter(|x| x.is_finite())
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(s.to_string()), Value::Number)
}

/// Turns the drafts into the `answers` object of a submission.
///
/// Only questions that `vis` asks are sent, and only those with something
/// entered. A single choice is its id (with `<id>_other` when "other" is
/// chosen and its text given), a multiple choice the list of ids (in the
/// survey's order), a text the text, an integer or rating a JSON integer, a
/// decimal a JSON number, a date `YYYY-MM-DD`, a grid `{statement: choice}`,
/// a ranking the ids in rank order, a consent `true`. A number that does not
/// read as one is sent as typed, so that validation names the problem. A
/// repeat is the list of its instances (as many as [`Visibility`] counts),
/// each an object of its asked questions' answers, made the same way from
/// the drafts keyed `<repeat>[k].<question>`.
pub fn answers_json(
    survey: &Survey,
    drafts: &BTreeMap<String, Draft>,
    vis: &Visibility,
) -> Map<String, Value> {
    let mut out = Map::new();
    for q in &survey.questions {
        if !vis.asks(q) {
            continue;
        }
        if q.kind.is_repeat() {
            // One object per instance, each keyed like a response.
            let n = vis.instances_of(q, drafts);
            if n == 0 {
                continue;
            }
            let instances = (1..=n)
                .map(|k| {
                    let mut one = Map::new();
                    for iq in q.kind.inner() {
                        let key = instance_key(&q.id, k, &iq.id);
                        if vis.asks_at(iq, &key) {
                            insert_answer(&mut one, iq, &key, drafts, vis);
                        }
                    }
                    Value::Object(one)
                })
                .collect();
            out.insert(q.id.clone(), Value::Array(instances));
            continue;
        }
        insert_answer(&mut out, q, &q.id, drafts, vis);
    }
    out
}

/// Puts into `out`, under `q.id`, the answer the draft keyed `key` gives
/// question `q` (and its `<id>_other` text), when something was entered.
fn insert_answer(
    out: &mut Map<String, Value>,
    q: &surveys::Question,
    key: &str,
    drafts: &BTreeMap<String, Draft>,
    vis: &Visibility,
) {
    let nonblank = |s: &String| (!s.trim().is_empty()).then(|| s.clone());
    let Some(draft) = drafts.get(key) else {
        return;
    };
    let other_text = || match drafts.get(&other_key(key)) {
        Some(Draft::Text(t)) => nonblank(t),
        _ => None,
    };
    let value = match (&q.kind, draft) {
        (QuestionKind::SingleChoice { other, .. }, Draft::Choice(c)) => {
            if !vis.offers(key, c) {
                return; // an earlier answer took this option away
            }
            if *other
                && c == OTHER
                && let Some(t) = other_text()
            {
                out.insert(other_key(&q.id), Value::String(t));
            }
            Value::String(c.clone())
        }
        (QuestionKind::MultipleChoice { choices, other, .. }, Draft::Choices(ticked)) => {
            let ticked: Vec<&String> = ticked.iter().filter(|c| vis.offers(key, c)).collect();
            if ticked.is_empty() {
                return;
            }
            if *other
                && ticked.iter().any(|c| *c == OTHER)
                && let Some(t) = other_text()
            {
                out.insert(other_key(&q.id), Value::String(t));
            }
            let in_order = choices
                .iter()
                .filter(|c| ticked.contains(&&c.id))
                .map(|c| Value::String(c.id.clone()));
            // "other", and anything not offered (validation reports it).
            let others = ticked
                .iter()
                .filter(|t| !choices.iter().any(|c| c.id == ***t))
                .map(|t| Value::String((*t).clone()));
            Value::Array(in_order.chain(others).collect())
        }
        (
            QuestionKind::ShortText { .. }
            | QuestionKind::LongText { .. }
            | QuestionKind::Date { .. },
            Draft::Text(s),
        ) => match nonblank(s) {
            Some(s) => Value::String(s),
            None => return,
        },
        (QuestionKind::Integer { .. }, Draft::Text(s))
        | (QuestionKind::Rating { .. }, Draft::Choice(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return;
            }
            match s.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(s.to_string()),
            }
        }
        (QuestionKind::Decimal { .. }, Draft::Text(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return;
            }
            decimal_value(s)
        }
        (QuestionKind::Grid { .. }, Draft::Grid(picked)) => {
            if picked.is_empty() {
                return;
            }
            // Inserted one by one, not collected: collecting into a map
            // sorts, and each sort is kilobytes of the browser's wasm.
            let mut grid = Map::new();
            for (s, c) in picked {
                grid.insert(s.clone(), Value::String(c.clone()));
            }
            Value::Object(grid)
        }
        (QuestionKind::Ranking { .. }, Draft::Ranks(slots)) => {
            let ranked: Vec<Value> = slots
                .iter()
                .flatten()
                .map(|c| Value::String(c.clone()))
                .collect();
            if ranked.is_empty() {
                return;
            }
            Value::Array(ranked)
        }
        (QuestionKind::Consent, Draft::Checked(true)) => Value::Bool(true),
        // Nothing entered, or a draft of a shape the fields cannot make.
        _ => return,
    };
    out.insert(q.id.clone(), value);
}
