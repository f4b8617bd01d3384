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
use crate::model::{Question, QuestionKind, Requirement, SHORT_TEXT_DEFAULT_MAX, Survey};

/// A survey with its logic parsed and checked: build once per survey
/// version, validate many responses.
#[derive(Clone, Debug)]
pub struct Engine {
    survey: Survey,
    compiled: Compiled,
    /// For each question, the index of its (declared) section.
    section_of: Vec<Option<usize>>,
    /// For each question, the index of its logic in `compiled` (a repeat's
    /// inner questions follow it there).
    first: Vec<usize>,
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
    /// For each repeat asked: how many instances it has now (its `count`,
    /// else as many as were sent). Inside a repeat, the sets above name a
    /// question of instance 2 as `incidents[2].date`.
    pub instances: BTreeMap<String, usize>,
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
        // The questions of a repeat follow it: one flat list, in order.
        let mut sources: Vec<LogicSource> = Vec::new();
        let mut first = Vec::with_capacity(survey.questions.len());
        for q in &survey.questions {
            first.push(sources.len());
            let at = sources.len();
            sources.push(logic_source(q, None));
            for inner in q.kind.inner() {
                sources.push(logic_source(inner, Some(at)));
            }
        }
        let sections: Vec<SectionSource> = survey
            .sections
            .iter()
            .map(|s| SectionSource {
                id: &s.id,
                relevant: s.relevant.as_deref(),
                first_question: survey
                    .questions
                    .iter()
                    .position(|q| q.section.as_deref() == Some(&s.id))
                    .map(|i| first[i]),
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
        Ok(Engine {
            survey: survey.clone(),
            compiled,
            section_of,
            first,
            known_keys: keys_of(&survey.questions),
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
        let mut walk = Walk {
            today,
            ev: Evaluation::default(),
            errors: Vec::new(),
        };
        let mut values: BTreeMap<String, expr::Value> = BTreeMap::new();
        let mut stored = Answers::new();
        // Each section's relevance, worked out at its first question.
        let mut section_seen: Vec<Option<bool>> = vec![None; self.compiled.sections.len()];

        for (i, q) in self.survey.questions.iter().enumerate() {
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
                walk.ev.sections.insert(s.clone());
            }
            if section_ok {
                let at = Place {
                    flat: self.first[i],
                    prefix: "",
                    position: None,
                };
                self.question(&mut walk, q, &at, answers, &mut values, &mut stored);
            }
        }

        for id in answers.keys() {
            if !self.known_keys.contains(id) {
                walk.err(id, AnswerProblem::UnknownQuestion);
            }
        }
        walk.ev.answers = stored;
        walk.ev.errors = walk.errors;
        walk.ev
    }

    /// One question (its section asked): relevance, requirement, the
    /// answer's checks and constraint, "other", and what is stored in `out`.
    /// Inside a repeat, `at.prefix` (`incidents[2].`) names the instance in
    /// the evaluation's sets and errors, and `answers`, `out` are the
    /// instance's own.
    fn question(
        &self,
        walk: &mut Walk,
        q: &Question,
        at: &Place,
        answers: &Map<String, Value>,
        values: &mut BTreeMap<String, expr::Value>,
        out: &mut Answers,
    ) {
        let logic = &self.compiled.questions[at.flat];
        let today = walk.today;
        let key = format!("{}{}", at.prefix, q.id);
        let holds = |e: &Option<expr::Expr>, values: &BTreeMap<String, expr::Value>| {
            let scope = Scope::new(today)
                .with_values(values)
                .at_position(at.position);
            e.as_ref().is_some_and(|e| expr::eval(e, &scope).is_true())
        };
        if logic.relevant.is_some() && !holds(&logic.relevant, values) {
            return; // its answer, if any, is dropped
        }
        // Options offered now (cascading selects).
        let mut excluded = BTreeSet::new();
        if !logic.choices.is_empty() {
            let options = q.kind.choices().unwrap_or_default();
            let scope = Scope::new(today)
                .with_values(values)
                .at_position(at.position);
            for (c, e) in &logic.choices {
                if !expr::eval(e, &scope).is_true() {
                    excluded.insert(options[*c].id.clone());
                }
            }
            if excluded.len() == options.len() && !q.kind.has_other() {
                return; // nothing to choose from: not asked
            }
        }
        walk.ev.relevant.insert(key.clone());
        if !excluded.is_empty() {
            walk.ev.excluded.insert(key.clone(), excluded.clone());
        }
        let raw = answers.get(&q.id).filter(|v| !is_blank(v));
        match &q.kind {
            QuestionKind::Calculate { .. } => {
                // A sent value is ignored: the engine computes it.
                let scope = Scope::new(today)
                    .with_values(values)
                    .at_position(at.position);
                let v = logic
                    .calculate
                    .as_ref()
                    .map(|e| expr::eval(e, &scope))
                    .unwrap_or(expr::Value::Empty);
                if let Some(a) = value_answer(&v) {
                    out.insert(q.id.clone(), a);
                    values.insert(q.id.clone(), v);
                }
                return;
            }
            QuestionKind::Note => {
                if raw.is_some() {
                    walk.err(&key, AnswerProblem::NotAnswerable);
                }
                return;
            }
            QuestionKind::Repeat {
                questions,
                max,
                min,
                ..
            } => {
                self.repeat(walk, q, questions, (*min, *max), at, raw, values, out);
                return;
            }
            _ => {}
        }
        let required = match &q.required {
            Requirement::Fixed(b) => *b,
            Requirement::When(_) => holds(&logic.required, values),
        };
        if required {
            walk.ev.required.insert(key.clone());
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
                    walk.err(&key, missing());
                }
                return;
            }
            Some(Err(problems)) => {
                for p in problems {
                    walk.err(&key, p);
                }
                return;
            }
            Some(Ok(Some(a))) => a,
        };
        let not_offered: Vec<&String> = match &answer {
            crate::Answer::Text(id) if excluded.contains(id) => vec![id],
            crate::Answer::Choices(ids) => ids.iter().filter(|c| excluded.contains(*c)).collect(),
            _ => Vec::new(),
        };
        if !not_offered.is_empty() {
            for c in not_offered {
                walk.err(&key, AnswerProblem::ChoiceNotOffered { choice: c.clone() });
            }
            return;
        }
        if required
            && let (QuestionKind::Grid { statements, .. }, crate::Answer::Grid(g)) =
                (&q.kind, &answer)
            && g.len() < statements.len()
        {
            walk.err(&key, AnswerProblem::IncompleteGrid);
            return;
        }
        let value = answer_value(&q.kind, &answer);
        if let (Some(c), Some(e)) = (&q.constraint, &logic.constraint) {
            let scope = Scope::new(today)
                .with_values(values)
                .with_dot(&value)
                .at_position(at.position);
            if !expr::eval(e, &scope).is_true() {
                walk.err(
                    &key,
                    AnswerProblem::Constraint {
                        message: c.message.clone(),
                    },
                );
                return;
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
            let other = format!("{}_other", q.id);
            let other_key = format!("{}{other}", at.prefix);
            match answers.get(&other).filter(|v| !is_blank(v)) {
                None => walk.err(&other_key, AnswerProblem::OtherTextMissing),
                Some(v) => match check_value(&OTHER_TEXT, v, today) {
                    Ok(Some(a)) => {
                        out.insert(other, a);
                    }
                    // Not blank (filtered above), so never `Ok(None)`.
                    Ok(None) => {}
                    Err(problems) => {
                        for p in problems {
                            walk.err(&other_key, p);
                        }
                    }
                },
            }
        }
        out.insert(q.id.clone(), answer);
        values.insert(q.id.clone(), value);
    }

    /// A repeat (relevant): how many instances (its `count`, else as many
    /// as were sent, between `min` and `max`), then each instance's
    /// questions, seeing that instance's earlier answers and those before
    /// the repeat. Afterwards the logic sees the repeat as the list of its
    /// instances and each inner question as the list of its answers.
    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        walk: &mut Walk,
        q: &Question,
        inner: &[Question],
        (min, max): (u32, u32),
        at: &Place,
        raw: Option<&Value>,
        values: &mut BTreeMap<String, expr::Value>,
        out: &mut Answers,
    ) {
        let logic = &self.compiled.questions[at.flat];
        let key = format!("{}{}", at.prefix, q.id);
        let fixed = logic.count.as_ref().map(|e| {
            let scope = Scope::new(walk.today).with_values(values);
            match expr::eval(e, &scope) {
                expr::Value::Number(n) if n >= 1.0 => {
                    (n.trunc() as u64).min(u64::from(max)) as usize
                }
                _ => 0,
            }
        });
        let empty = Vec::new();
        let sent = match raw {
            None => &empty,
            Some(Value::Array(items)) => items,
            Some(_) => {
                walk.err(
                    &key,
                    AnswerProblem::WrongType {
                        expected: "a list of instances, one object of answers each",
                    },
                );
                return;
            }
        };
        let limit = fixed.unwrap_or(max as usize);
        if sent.len() > limit {
            let max = u32::try_from(limit).unwrap_or(max);
            walk.err(&key, AnswerProblem::TooManyInstances { max });
        }
        // The instances within the limit are still evaluated, so that a
        // runner whose count just went down still learns what is asked in
        // those that stay (the response is refused all the same).
        let n = fixed.unwrap_or(sent.len().min(limit));
        if fixed.is_none() && n < min as usize {
            walk.err(&key, AnswerProblem::TooFewInstances { min });
        }
        walk.ev.instances.insert(key.clone(), n);
        let known = keys_of(inner);
        let no_answers = Map::new();
        let mut instances = Vec::with_capacity(n);
        let mut columns: Vec<Vec<expr::Value>> = vec![Vec::with_capacity(n); inner.len()];
        for k in 1..=n {
            let prefix = format!("{key}[{k}].");
            let answers = match sent.get(k - 1) {
                None => &no_answers,
                Some(Value::Object(m)) => m,
                Some(_) => {
                    walk.err(
                        &format!("{key}[{k}]"),
                        AnswerProblem::WrongType {
                            expected: "an object of answers by question id",
                        },
                    );
                    &no_answers
                }
            };
            let mut seen = values.clone();
            let mut stored = Answers::new();
            for (j, iq) in inner.iter().enumerate() {
                let place = Place {
                    flat: at.flat + 1 + j,
                    prefix: &prefix,
                    position: Some(k),
                };
                self.question(walk, iq, &place, answers, &mut seen, &mut stored);
                columns[j].push(seen.get(&iq.id).cloned().unwrap_or(expr::Value::Empty));
            }
            for id in answers.keys() {
                if !known.contains(id) {
                    walk.err(&format!("{prefix}{id}"), AnswerProblem::UnknownQuestion);
                }
            }
            instances.push(stored);
        }
        for (iq, column) in inner.iter().zip(columns) {
            values.insert(iq.id.clone(), expr::Value::List(column));
        }
        values.insert(
            q.id.clone(),
            expr::Value::List(vec![expr::Value::Bool(true); n]),
        );
        if !instances.is_empty() {
            out.insert(q.id.clone(), crate::Answer::Repeat(instances));
        }
    }
}

/// Where a question is evaluated: its index among the compiled logic, and
/// inside a repeat the instance (`incidents[2].`, and its number).
struct Place<'p> {
    flat: usize,
    prefix: &'p str,
    position: Option<usize>,
}

/// What one evaluation gathers as it walks.
struct Walk {
    today: Date,
    ev: Evaluation,
    errors: Vec<AnswerError>,
}

impl Walk {
    fn err(&mut self, question: &str, problem: AnswerProblem) {
        self.errors.push(AnswerError {
            question: question.to_string(),
            problem,
        });
    }
}

/// The logic of question `q` as written; `repeat` is the index of the
/// repeat it is inside.
fn logic_source(q: &Question, repeat: Option<usize>) -> LogicSource<'_> {
    LogicSource {
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
        count: match &q.kind {
            QuestionKind::Repeat { count, .. } => count.as_deref(),
            _ => None,
        },
        repeat,
    }
}

/// Every key an answer (or an instance of a repeat) may have: question
/// ids, and `<id>_other` for questions that offer "Other".
fn keys_of(questions: &[Question]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for q in questions {
        keys.insert(q.id.clone());
        if q.kind.has_other() {
            keys.insert(format!("{}_other", q.id));
        }
    }
    keys
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
