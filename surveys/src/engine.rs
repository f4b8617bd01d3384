//! The logic engine: one walk through a survey in order, deciding for each
//! section and question whether it is asked (relevant) and must be answered
//! (required), checking each answer and its constraint, and computing each
//! calculation. The same walk serves [`Engine::validate`] (collector and
//! browser, before sending) and [`Engine::evaluate`] (the runner, live, to
//! hide and show questions as the member answers).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::Date;
use crate::answers::{
    AnswerError, AnswerProblem, Answers, ValidResponse, answer_value, check_value, is_blank,
    value_answer,
};
use crate::expr::{self, Compiled, LogicSource, Scope, SectionSource, check_logic, parse_logic};
use crate::load::Problem;
use crate::model::{QuestionKind, Requirement, SHORT_TEXT_DEFAULT_MAX, Survey};

/// A survey with its logic parsed and checked: build once per survey
/// version, validate many responses.
#[derive(Clone, Debug)]
pub struct Engine {
    survey: Survey,
    compiled: Compiled,
    /// For each question, the index of its (declared) section.
    section_of: Vec<Option<usize>>,
    /// Every key an answer may have: question ids, and `<id>_other` for
    /// questions that offer "Other".
    known_keys: BTreeSet<String>,
}

/// Parses (and perhaps checks) a survey's expressions: `check_logic` or
/// `parse_logic`.
type CompileLogic = fn(&[SectionSource], &[LogicSource]) -> (Compiled, Vec<Problem>);

/// How an "other, please specify" text is checked: as a short text.
const OTHER_TEXT: QuestionKind = QuestionKind::ShortText {
    max_length: SHORT_TEXT_DEFAULT_MAX,
};

/// What the logic says about a set of answers right now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Sections asked now.
    pub sections: BTreeSet<String>,
    /// Questions asked now (their section and they themselves relevant),
    /// notes and calculations included.
    pub relevant: BTreeSet<String>,
    /// Relevant questions that must be answered now.
    pub required: BTreeSet<String>,
    /// For relevant questions with options that have a `relevant`: the
    /// options not offered now. A question none of whose options is
    /// offered (and that has no "other") is not asked at all.
    pub excluded: BTreeMap<String, BTreeSet<String>>,
    /// What would be stored: valid answers to relevant questions, the
    /// `<id>_other` texts that go with them, and the calculated values.
    pub answers: Answers,
    /// Every problem, in question order (unknown question ids last).
    pub errors: Vec<AnswerError>,
}

impl Evaluation {
    pub fn is_relevant(&self, question: &str) -> bool {
        self.relevant.contains(question)
    }

    pub fn is_required(&self, question: &str) -> bool {
        self.required.contains(question)
    }

    pub fn section_relevant(&self, section: &str) -> bool {
        self.sections.contains(section)
    }

    /// Is option `choice` of `question` offered now? (Every option of a
    /// question whose options have no `relevant`.)
    pub fn offers(&self, question: &str, choice: &str) -> bool {
        self.excluded
            .get(question)
            .is_none_or(|x| !x.contains(choice))
    }
}

impl Engine {
    /// Parses and checks the survey's expressions. A survey that came from
    /// [`crate::load`] always succeeds; the problems are those `chorus
    /// check` would report.
    pub fn new(survey: &Survey) -> Result<Engine, Vec<Problem>> {
        Engine::build(survey, check_logic)
    }

    /// For a survey that was checked where it came from (the collector
    /// serves only surveys [`Engine::new`] accepts): parses its expressions
    /// without checking their references, types and cycles again. The
    /// browser's runner uses this, so the checker is not in its wasm. The
    /// problems are syntax errors only.
    pub fn for_checked(survey: &Survey) -> Result<Engine, Vec<Problem>> {
        Engine::build(survey, parse_logic)
    }

    fn build(survey: &Survey, compile: CompileLogic) -> Result<Engine, Vec<Problem>> {
        let sources: Vec<LogicSource> = survey
            .questions
            .iter()
            .map(|q| LogicSource {
                id: &q.id,
                kind: Some(&q.kind),
                relevant: q.relevant.as_deref(),
                required: match &q.required {
                    Requirement::When(e) => Some(e),
                    Requirement::Fixed(_) => None,
                },
                constraint: q.constraint.as_ref().map(|c| c.expression.as_str()),
                calculate: match &q.kind {
                    QuestionKind::Calculate { expression } => Some(expression),
                    _ => None,
                },
            })
            .collect();
        let sections: Vec<SectionSource> = survey
            .sections
            .iter()
            .map(|s| SectionSource {
                id: &s.id,
                relevant: s.relevant.as_deref(),
                first_question: survey
                    .questions
                    .iter()
                    .position(|q| q.section.as_deref() == Some(&s.id)),
            })
            .collect();
        let (compiled, problems) = compile(&sections, &sources);
        if !problems.is_empty() {
            return Err(problems);
        }
        // Inserted, not collected: collecting sorts, and each sort is
        // kilobytes of the browser's wasm.
        let mut section_index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, s) in survey.sections.iter().enumerate() {
            section_index.insert(&s.id, i);
        }
        let section_of = survey
            .questions
            .iter()
            .map(|q| {
                q.section
                    .as_deref()
                    .and_then(|s| section_index.get(s).copied())
            })
            .collect();
        let mut known_keys = BTreeSet::new();
        for q in &survey.questions {
            known_keys.insert(q.id.clone());
            if q.kind.has_other() {
                known_keys.insert(format!("{}_other", q.id));
            }
        }
        Ok(Engine {
            survey: survey.clone(),
            compiled,
            section_of,
            known_keys,
        })
    }

    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// See [`crate::validate`].
    pub fn validate(
        &self,
        answers: &Map<String, Value>,
        today: Date,
    ) -> Result<ValidResponse, Vec<AnswerError>> {
        let ev = self.evaluate(answers, today);
        if ev.errors.is_empty() {
            Ok(ValidResponse::new(ev.answers))
        } else {
            Err(ev.errors)
        }
    }

    /// Runs the logic over `answers` (as the browser would send them) and
    /// says what is asked, what is required, what would be stored and what
    /// is wrong. Never fails: a bad answer is an error and counts as
    /// unanswered for the logic after it.
    pub fn evaluate(&self, answers: &Map<String, Value>, today: Date) -> Evaluation {
        let mut ev = Evaluation::default();
        let mut values: BTreeMap<String, expr::Value> = BTreeMap::new();
        // Each section's relevance, worked out at its first question.
        let mut section_seen: Vec<Option<bool>> = vec![None; self.compiled.sections.len()];
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<AnswerError>, q: &str, problem| {
            errors.push(AnswerError {
                question: q.to_string(),
                problem,
            })
        };

        for (i, q) in self.survey.questions.iter().enumerate() {
            let logic = &self.compiled.questions[i];
            let section_ok = match self.section_of[i] {
                None => true,
                Some(s) => *section_seen[s].get_or_insert_with(|| {
                    let scope = Scope::new(today).with_values(&values);
                    self.compiled.sections[s]
                        .as_ref()
                        .is_none_or(|e| expr::eval(e, &scope).is_true())
                }),
            };
            if section_ok && let Some(s) = &q.section {
                ev.sections.insert(s.clone());
            }
            let relevant = section_ok && {
                let scope = Scope::new(today).with_values(&values);
                logic
                    .relevant
                    .as_ref()
                    .is_none_or(|e| expr::eval(e, &scope).is_true())
            };
            if !relevant {
                continue; // its answer, if any, is dropped
            }
            // Options offered now (cascading selects).
            let mut excluded = BTreeSet::new();
            if !logic.choices.is_empty() {
                let options = q.kind.choices().unwrap_or_default();
                let scope = Scope::new(today).with_values(&values);
                for (c, e) in &logic.choices {
                    if !expr::eval(e, &scope).is_true() {
                        excluded.insert(options[*c].id.clone());
                    }
                }
                if excluded.len() == options.len() && !q.kind.has_other() {
                    continue; // nothing to choose from: not asked
                }
            }
            ev.relevant.insert(q.id.clone());
            if !excluded.is_empty() {
                ev.excluded.insert(q.id.clone(), excluded.clone());
            }
            let raw = answers.get(&q.id).filter(|v| !is_blank(v));
            match &q.kind {
                QuestionKind::Calculate { .. } => {
                    // A sent value is ignored: the engine computes it.
                    let scope = Scope::new(today).with_values(&values);
                    let v = logic
                        .calculate
                        .as_ref()
                        .map(|e| expr::eval(e, &scope))
                        .unwrap_or(expr::Value::Empty);
                    if let Some(a) = value_answer(&v) {
                        ev.answers.insert(q.id.clone(), a);
                        values.insert(q.id.clone(), v);
                    }
                    continue;
                }
                QuestionKind::Note => {
                    if raw.is_some() {
                        err(&mut errors, &q.id, AnswerProblem::NotAnswerable);
                    }
                    continue;
                }
                _ => {}
            }
            let required = match &q.required {
                Requirement::Fixed(b) => *b,
                Requirement::When(_) => {
                    let scope = Scope::new(today).with_values(&values);
                    logic
                        .required
                        .as_ref()
                        .is_some_and(|e| expr::eval(e, &scope).is_true())
                }
            };
            if required {
                ev.required.insert(q.id.clone());
            }
            let missing = || match (&q.kind, &q.required_message) {
                (_, Some(message)) => AnswerProblem::RequiredCustom {
                    message: message.clone(),
                },
                (QuestionKind::Consent, None) => AnswerProblem::ConsentNeeded,
                _ => AnswerProblem::Required,
            };
            let answer = match raw.map(|v| check_value(&q.kind, v, today)) {
                None | Some(Ok(None)) => {
                    if required {
                        err(&mut errors, &q.id, missing());
                    }
                    continue;
                }
                Some(Err(problems)) => {
                    for p in problems {
                        err(&mut errors, &q.id, p);
                    }
                    continue;
                }
                Some(Ok(Some(a))) => a,
            };
            let not_offered: Vec<&String> = match &answer {
                crate::Answer::Text(id) if excluded.contains(id) => vec![id],
                crate::Answer::Choices(ids) => {
                    ids.iter().filter(|c| excluded.contains(*c)).collect()
                }
                _ => Vec::new(),
            };
            if !not_offered.is_empty() {
                for c in not_offered {
                    err(
                        &mut errors,
                        &q.id,
                        AnswerProblem::ChoiceNotOffered { choice: c.clone() },
                    );
                }
                continue;
            }
            if required
                && let (QuestionKind::Grid { statements, .. }, crate::Answer::Grid(g)) =
                    (&q.kind, &answer)
                && g.len() < statements.len()
            {
                err(&mut errors, &q.id, AnswerProblem::IncompleteGrid);
                continue;
            }
            let value = answer_value(&q.kind, &answer);
            if let (Some(c), Some(e)) = (&q.constraint, &logic.constraint) {
                let scope = Scope::new(today).with_values(&values).with_dot(&value);
                if !expr::eval(e, &scope).is_true() {
                    err(
                        &mut errors,
                        &q.id,
                        AnswerProblem::Constraint {
                            message: c.message.clone(),
                        },
                    );
                    continue;
                }
            }
            // "Other, please specify".
            let chose_other = match (&q.kind, &answer) {
                (QuestionKind::SingleChoice { other: true, .. }, crate::Answer::Text(id)) => {
                    id == "other"
                }
                (QuestionKind::MultipleChoice { other: true, .. }, crate::Answer::Choices(c)) => {
                    c.iter().any(|c| c == "other")
                }
                _ => false,
            };
            if chose_other {
                let key = format!("{}_other", q.id);
                match answers.get(&key).filter(|v| !is_blank(v)) {
                    None => err(&mut errors, &key, AnswerProblem::OtherTextMissing),
                    Some(v) => match check_value(&OTHER_TEXT, v, today) {
                        Ok(Some(a)) => {
                            ev.answers.insert(key, a);
                        }
                        // Not blank (filtered above), so never `Ok(None)`.
                        Ok(None) => {}
                        Err(problems) => {
                            for p in problems {
                                err(&mut errors, &key, p);
                            }
                        }
                    },
                }
            }
            ev.answers.insert(q.id.clone(), answer);
            values.insert(q.id.clone(), value);
        }

        for id in answers.keys() {
            if !self.known_keys.contains(id) {
                err(&mut errors, id, AnswerProblem::UnknownQuestion);
            }
        }
        ev.errors = errors;
        ev
    }
}

/// The questions asked now, for a runner that only hides and shows.
/// (Builds an [`Engine`] each call; a survey whose logic does not check
/// gives every question.)
pub fn relevant_questions(
    survey: &Survey,
    answers: &Map<String, Value>,
    today: Date,
) -> BTreeSet<String> {
    match Engine::new(survey) {
        Ok(e) => e.evaluate(answers, today).relevant,
        Err(_) => survey.questions.iter().map(|q| q.id.clone()).collect(),
    }
}
