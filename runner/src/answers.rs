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
/// read as one is sent as typed, so that validation names the problem.
pub fn answers_json(
    survey: &Survey,
    drafts: &BTreeMap<String, Draft>,
    vis: &Visibility,
) -> Map<String, Value> {
    let mut out = Map::new();
    let nonblank = |s: &String| (!s.trim().is_empty()).then(|| s.clone());
    for q in &survey.questions {
        if !vis.asks(q) {
            continue;
        }
        let Some(draft) = drafts.get(&q.id) else {
            continue;
        };
        let other_text = || match drafts.get(&other_key(&q.id)) {
            Some(Draft::Text(t)) => nonblank(t),
            _ => None,
        };
        let value = match (&q.kind, draft) {
            (QuestionKind::SingleChoice { other, .. }, Draft::Choice(c)) => {
                if !vis.offers(&q.id, c) {
                    continue; // an earlier answer took this option away
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
                let ticked: Vec<&String> = ticked.iter().filter(|c| vis.offers(&q.id, c)).collect();
                if ticked.is_empty() {
                    continue;
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
                None => continue,
            },
            (QuestionKind::Integer { .. }, Draft::Text(s))
            | (QuestionKind::Rating { .. }, Draft::Choice(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                match s.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::String(s.to_string()),
                }
            }
            (QuestionKind::Decimal { .. }, Draft::Text(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                decimal_value(s)
            }
            (QuestionKind::Grid { .. }, Draft::Grid(picked)) => {
                if picked.is_empty() {
                    continue;
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
                    continue;
                }
                Value::Array(ranked)
            }
            (QuestionKind::Consent, Draft::Checked(true)) => Value::Bool(true),
            // Nothing entered, or a draft of a shape the fields cannot make.
            _ => continue,
        };
        out.insert(q.id.clone(), value);
    }
    out
}
