//! Exact counts and their sensitivity. Private to the crate: exact counts
//! never leave it; [`crate::report`] adds noise before anything is published.
//!
//! Counting is *stable*: whatever a response holds, it adds at most 1 to any
//! one cell, and to at most one cell of a single-choice table. Answers of the
//! wrong shape, unknown choice ids and repeated ticks are ignored. So the
//! sensitivity bound holds even for responses that did not pass
//! `surveys::validate`.

use std::collections::BTreeMap;

use surveys::{Answer, Answers, Choice, Question, QuestionKind, Survey};

/// The counts for one published question.
#[derive(Debug)]
pub(crate) struct QuestionTally<'s> {
    pub question: &'s Question,
    pub choices: &'s [Choice],
    pub multiple: bool,
    pub counts: Vec<u64>,
    index: BTreeMap<&'s str, usize>,
    /// Scratch space: which cells this response has already ticked.
    ticked: Vec<bool>,
}

impl QuestionTally<'_> {
    /// L1 sensitivity under adding or removing one respondent: 1 for single
    /// choice, the number of options for multiple choice.
    pub fn sensitivity(&self) -> u64 {
        if self.multiple {
            u64::try_from(self.choices.len()).unwrap_or(u64::MAX)
        } else {
            1
        }
    }

    fn add(&mut self, answer: &Answer) {
        match (self.multiple, answer) {
            (false, Answer::Text(id)) => {
                if let Some(&i) = self.index.get(id.as_str()) {
                    self.counts[i] = self.counts[i].saturating_add(1);
                }
            }
            (true, Answer::Choices(ids)) => {
                self.ticked.iter_mut().for_each(|t| *t = false);
                for id in ids {
                    if let Some(&i) = self.index.get(id.as_str())
                        && !self.ticked[i]
                    {
                        self.ticked[i] = true;
                        self.counts[i] = self.counts[i].saturating_add(1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Counts for every publishable question of a survey: the single- and
/// multiple-choice questions that have at least one option.
#[derive(Debug)]
pub(crate) struct Tally<'s> {
    pub questions: Vec<QuestionTally<'s>>,
}

impl<'s> Tally<'s> {
    pub fn new(survey: &'s Survey) -> Tally<'s> {
        let questions = survey
            .questions
            .iter()
            .filter_map(|q| {
                let (choices, multiple) = match &q.kind {
                    QuestionKind::SingleChoice { choices, .. } => (choices, false),
                    QuestionKind::MultipleChoice { choices, .. } => (choices, true),
                    _ => return None,
                };
                if choices.is_empty() {
                    return None;
                }
                Some(QuestionTally {
                    question: q,
                    choices,
                    multiple,
                    counts: vec![0; choices.len()],
                    index: choices
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.id.as_str(), i))
                        .collect(),
                    ticked: vec![false; choices.len()],
                })
            })
            .collect();
        Tally { questions }
    }

    /// Counts one response.
    pub fn add(&mut self, answers: &Answers) {
        for q in &mut self.questions {
            if let Some(answer) = answers.get(&q.question.id) {
                q.add(answer);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SURVEY: &str = r#"
id = "t"
version = 1
languages = ["en"]
title = { en = "T" }
privacy_budget = 1

[[questions]]
id = "one"
type = "single_choice"
label = { en = "One" }
choices = [{ id = "a", label = { en = "A" } }, { id = "b", label = { en = "B" } }]

[[questions]]
id = "many"
type = "multiple_choice"
label = { en = "Many" }
choices = [
  { id = "x", label = { en = "X" } },
  { id = "y", label = { en = "Y" } },
  { id = "z", label = { en = "Z" } },
]

[[questions]]
id = "note"
type = "short_text"
label = { en = "Note" }
"#;

    #[test]
    fn counts_are_stable_under_malformed_answers() {
        let survey = surveys::parse_survey(SURVEY).unwrap();
        let mut tally = Tally::new(&survey);
        assert_eq!(tally.questions.len(), 2);
        assert_eq!(tally.questions[0].sensitivity(), 1);
        assert_eq!(tally.questions[1].sensitivity(), 3);

        let mut a = Answers::new();
        a.insert("one".into(), Answer::Text("a".into()));
        a.insert(
            "many".into(),
            Answer::Choices(vec!["x".into(), "x".into(), "nope".into(), "z".into()]),
        );
        a.insert("note".into(), Answer::Text("a".into()));
        tally.add(&a);
        let mut b = Answers::new();
        b.insert("one".into(), Answer::Choices(vec!["b".into()]));
        b.insert("many".into(), Answer::Text("y".into()));
        tally.add(&b);

        assert_eq!(tally.questions[0].counts, [1, 0]);
        assert_eq!(tally.questions[1].counts, [1, 0, 1]);
    }
}
