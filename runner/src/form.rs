//! A form being filled in: its pages, what is asked now, the drafts, and
//! the checks on Next and on Submit. No UI library, no network, no clock
//! but [`today`]: both runners drive it.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{Map, Value};
use surveys::{
    AnswerError, AnswerProblem, Choice, Engine, Problem, Question, QuestionKind, Submission, Survey,
};

use crate::answers::{Draft, OTHER, answers_json, other_key, ranks_asked};
use crate::ids::{ERROR_SUMMARY_ID, choice_dom_id, field_dom_id, grid_dom_id, rank_dom_id};
use crate::order::shuffled_orders;

/// Why an answer was refused, ready to be shown.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorText {
    /// Found by [`surveys::validate`] here; translated when shown.
    Problem(AnswerProblem),
    /// Sent by the collector (in its own words).
    Server(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// The question it concerns (or its `<id>_other` text); may name no
    /// question of the survey when the collector reports it.
    pub question: String,
    pub text: ErrorText,
}

impl FieldError {
    pub fn message(&self, lang: &str) -> String {
        match &self.text {
            ErrorText::Problem(p) => p.message(lang),
            ErrorText::Server(m) => m.clone(),
        }
    }

    /// Whether it concerns question `q` (its answer or its "other" text).
    pub fn concerns(&self, q: &Question) -> bool {
        self.question == q.id || (q.kind.has_other() && self.question == other_key(&q.id))
    }
}

/// Which questions and pages are asked now, and which questions must be
/// answered. Made by [`Form::visible`] only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visibility {
    /// Questions not relevant now.
    hidden: BTreeSet<String>,
    /// Sections not relevant now (with every question on them).
    hidden_sections: BTreeSet<String>,
    /// Questions that must be answered now.
    required: BTreeSet<String>,
    /// Options not offered now, by question (cascading selects).
    excluded: BTreeMap<String, BTreeSet<String>>,
}

impl Visibility {
    /// Every question asked; required where `required = true`.
    pub fn everything(survey: &Survey) -> Visibility {
        // Inserted, not collected (see `Form::visible`).
        let mut required = BTreeSet::new();
        for q in survey.questions.iter().filter(|q| q.required.is_always()) {
            required.insert(q.id.clone());
        }
        Visibility {
            hidden: BTreeSet::new(),
            hidden_sections: BTreeSet::new(),
            required,
            excluded: BTreeMap::new(),
        }
    }

    /// Is `q` shown (and its answer sent)? Never for a `calculate`.
    pub fn asks(&self, q: &Question) -> bool {
        !matches!(q.kind, QuestionKind::Calculate { .. })
            && !self.hidden.contains(&q.id)
            && q.section
                .as_ref()
                .is_none_or(|s| !self.hidden_sections.contains(s))
    }

    /// The same, with question `id` not asked as well.
    pub fn hiding_question(mut self, id: &str) -> Visibility {
        self.hidden.insert(id.to_string());
        self
    }

    /// The same, with section `id` (and its questions) not asked as well.
    pub fn hiding_section(mut self, id: &str) -> Visibility {
        self.hidden_sections.insert(id.to_string());
        self
    }

    pub fn section_shown(&self, id: &str) -> bool {
        !self.hidden_sections.contains(id)
    }

    /// Is option `choice` of question `question` offered now? An option
    /// whose `relevant` is false for the answers before it is not shown,
    /// and a draft that picked it is not sent.
    pub fn offers(&self, question: &str, choice: &str) -> bool {
        self.excluded
            .get(question)
            .is_none_or(|x| !x.contains(choice))
    }

    /// Must `q` be answered now? (Marks the question; the rule is validate's.)
    pub fn requires(&self, q: &Question) -> bool {
        self.required.contains(&q.id)
    }
}

/// One page of the form: a section, or the whole survey when it has none.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Its index in `survey.sections`; `None` for a survey without sections.
    pub section: Option<usize>,
    /// Indexes in `survey.questions`, in order; `calculate` left out.
    pub questions: Vec<usize>,
}

/// The pages of a survey: one per section (in the survey's order), or one
/// page with every question. A question naming no known section stays on
/// the page of the question before it.
pub fn pages(survey: &Survey) -> Vec<Page> {
    let shown = |q: &Question| !matches!(q.kind, QuestionKind::Calculate { .. });
    if survey.sections.is_empty() {
        return vec![Page {
            section: None,
            questions: (0..survey.questions.len())
                .filter(|&i| shown(&survey.questions[i]))
                .collect(),
        }];
    }
    let mut pages: Vec<Page> = (0..survey.sections.len())
        .map(|i| Page {
            section: Some(i),
            questions: Vec::new(),
        })
        .collect();
    let mut page = 0;
    for (i, q) in survey.questions.iter().enumerate() {
        if let Some(p) = q
            .section
            .as_ref()
            .and_then(|s| survey.sections.iter().position(|x| x.id == *s))
        {
            page = p;
        }
        if shown(q) {
            pages[page].questions.push(i);
        }
    }
    pages
}

/// The `surveys` logic engine of a form, or why the survey's expressions
/// do not parse (the collector serves only surveys that check, so this is a
/// safety net: every question is then asked, and sending is refused with
/// the reason).
#[derive(Clone, Debug)]
struct Logic(Result<Arc<Engine>, Arc<[Problem]>>);

impl PartialEq for Logic {
    fn eq(&self, other: &Logic) -> bool {
        match (&self.0, &other.0) {
            (Ok(a), Ok(b)) => Arc::ptr_eq(a, b),
            (Err(a), Err(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The respondent's day (UTC), for date rules and `today()`.
pub fn today() -> surveys::Date {
    #[cfg(target_arch = "wasm32")]
    let secs = (js_sys::Date::now() / 1000.0) as i64;
    #[cfg(not(target_arch = "wasm32"))]
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    surveys::Date::from_unix_seconds(secs)
}

/// A change the respondent makes to an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Pick an option of a single choice, or a point of a rating.
    Choose { question: String, choice: String },
    /// Tick or untick an option of a multiple choice. Ticking an exclusive
    /// option unticks the others, and ticking another unticks it.
    Tick {
        question: String,
        choice: String,
        ticked: bool,
    },
    /// The text of a text, number or date field, or of an "other" text
    /// (`question` is then `<id>_other`).
    SetText { question: String, text: String },
    /// Pick a scale choice for one statement of a grid.
    Grade {
        question: String,
        statement: String,
        choice: String,
    },
    /// Give an option of a ranking a rank (from 1), or take its rank away.
    /// The option that had that rank takes the moved option's old one.
    Rank {
        question: String,
        choice: String,
        rank: Option<u32>,
    },
    /// Tick or untick a consent box.
    Check { question: String, checked: bool },
    /// Un-answer a question (and its "other" text).
    Clear { question: String },
}

impl Edit {
    /// The question (or `<id>_other` text) it changes.
    pub fn question(&self) -> &str {
        match self {
            Edit::Choose { question, .. }
            | Edit::Tick { question, .. }
            | Edit::SetText { question, .. }
            | Edit::Grade { question, .. }
            | Edit::Rank { question, .. }
            | Edit::Check { question, .. }
            | Edit::Clear { question } => question,
        }
    }
}

/// A form being filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub survey: Rc<Survey>,
    /// Made once when the form opens, reused by every attempt to send it, so
    /// that the collector recognises a retry.
    pub submission_id: String,
    pub drafts: BTreeMap<String, Draft>,
    pub errors: Vec<FieldError>,
    /// On the review of every answer, after the last page passed its checks.
    pub reviewing: bool,
    pages: Rc<Vec<Page>>,
    /// The page the respondent is on: an index in `pages`. When that page is
    /// no longer asked, [`Form::current_page`] shows the nearest one.
    page: usize,
    /// Option orders (indexes in the question's choices) of questions with
    /// `randomize`, fixed when the form opens.
    orders: Rc<BTreeMap<String, Vec<usize>>>,
    /// The survey's logic, parsed once when the form opens.
    logic: Logic,
}

impl Form {
    /// A form of a survey that was checked where it came from (the
    /// collector serves only surveys that check): its logic is parsed, not
    /// checked again (see [`Engine::for_checked`]).
    pub fn new(survey: Survey, submission_id: String) -> Form {
        let logic = Logic(
            Engine::for_checked(&survey)
                .map(Arc::new)
                .map_err(Arc::from),
        );
        Form::with_logic(survey, submission_id, logic)
    }

    /// A form of the survey `engine` was built for, sharing it: the
    /// collector's server-rendered runner compiles each survey version once.
    pub fn with_engine(engine: Arc<Engine>, submission_id: String) -> Form {
        let survey = engine.survey().clone();
        Form::with_logic(survey, submission_id, Logic(Ok(engine)))
    }

    fn with_logic(survey: Survey, submission_id: String, logic: Logic) -> Form {
        let orders = shuffled_orders(&survey, &submission_id);
        Form {
            pages: Rc::new(pages(&survey)),
            survey: Rc::new(survey),
            submission_id,
            drafts: BTreeMap::new(),
            errors: Vec::new(),
            reviewing: false,
            page: 0,
            orders: Rc::new(orders),
            logic,
        }
    }

    /// Which questions and sections are asked now, and which must be
    /// answered. The one place relevance comes from: the `surveys` engine
    /// evaluates the survey's logic over everything entered (it treats the
    /// answers of questions it finds not relevant as empty).
    pub fn visible(&self) -> Visibility {
        let Ok(engine) = &self.logic.0 else {
            return Visibility::everything(&self.survey);
        };
        let everything = Visibility::everything(&self.survey);
        let entered = answers_json(&self.survey, &self.drafts, &everything);
        let ev = engine.evaluate(&entered, today());
        // Inserted one by one, not collected: collecting into a set sorts,
        // and each sort is kilobytes of the browser's wasm.
        let mut hidden = BTreeSet::new();
        for q in self
            .survey
            .questions
            .iter()
            .filter(|q| !ev.is_relevant(&q.id))
        {
            hidden.insert(q.id.clone());
        }
        let mut hidden_sections = BTreeSet::new();
        for s in self
            .survey
            .sections
            .iter()
            .filter(|s| !ev.section_relevant(&s.id))
        {
            hidden_sections.insert(s.id.clone());
        }
        Visibility {
            hidden,
            hidden_sections,
            required: ev.required,
            excluded: ev.excluded,
        }
    }

    /// The answers as the collector takes them: those of asked questions
    /// only. See [`answers_json`].
    pub fn answers(&self) -> Map<String, Value> {
        answers_json(&self.survey, &self.drafts, &self.visible())
    }

    /// The submission as it is sent in plaintext.
    pub fn submission(&self) -> Submission {
        Submission {
            submission_id: self.submission_id.clone(),
            version: Some(self.survey.version),
            answers: self.answers(),
        }
    }

    /// Every page, asked or not.
    pub fn pages(&self) -> &[Page] {
        &self.pages
    }

    /// The respondent's page as set (see [`Form::current_page`] for the
    /// page shown).
    pub fn page_index(&self) -> usize {
        self.page
    }

    /// Puts the respondent on page `page` (an index in [`Form::pages`]).
    pub fn set_page(&mut self, page: usize) {
        self.page = page.min(self.pages.len().saturating_sub(1));
    }

    /// The pages asked now (indexes in [`Form::pages`]): in a relevant
    /// section and with at least one question asked.
    pub fn shown_pages(&self, vis: &Visibility) -> Vec<usize> {
        let survey = &self.survey;
        self.pages
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.section
                    .is_none_or(|s| vis.section_shown(&survey.sections[s].id))
                    && p.questions.iter().any(|&i| vis.asks(&survey.questions[i]))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The page shown: the respondent's, or when it is no longer asked the
    /// next one asked (else the one before). `None` when nothing is asked.
    pub fn current_page(&self, vis: &Visibility) -> Option<usize> {
        let shown = self.shown_pages(vis);
        shown
            .iter()
            .copied()
            .find(|&p| p >= self.page)
            .or_else(|| shown.last().copied())
    }

    /// "Page x of y" among the pages asked now (both from 1; 1 of 1 when
    /// nothing is asked).
    pub fn position(&self, vis: &Visibility) -> (usize, usize) {
        let shown = self.shown_pages(vis);
        let current = self.current_page(vis);
        let x = shown
            .iter()
            .position(|&p| Some(p) == current)
            .map_or(1, |i| i + 1);
        (x, shown.len().max(1))
    }

    /// The questions asked on page `page`.
    pub fn questions_on<'a>(&'a self, page: usize, vis: &Visibility) -> Vec<&'a Question> {
        self.pages
            .get(page)
            .map(|p| {
                p.questions
                    .iter()
                    .map(|&i| &self.survey.questions[i])
                    .filter(|q| vis.asks(q))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The questions shown on the current page.
    pub fn page_questions(&self, vis: &Visibility) -> Vec<&Question> {
        self.current_page(vis)
            .map(|p| self.questions_on(p, vis))
            .unwrap_or_default()
    }

    /// The section of the current page, if the survey has sections.
    pub fn section(&self, vis: &Visibility) -> Option<&surveys::Section> {
        let p = self.current_page(vis)?;
        self.pages[p].section.map(|s| &self.survey.sections[s])
    }

    /// The options of a choice or ranking question in the order shown.
    pub fn choices_in_order<'a>(&'a self, q: &'a Question) -> Vec<&'a Choice> {
        let choices = match &q.kind {
            QuestionKind::Grid { scale, .. } => scale.as_slice(),
            kind => kind.choices().unwrap_or_default(),
        };
        match self.orders.get(&q.id) {
            Some(order) if order.len() == choices.len() => {
                order.iter().map(|&i| &choices[i]).collect()
            }
            _ => choices.iter().collect(),
        }
    }

    /// The options of a single or multiple choice shown now: in the order
    /// shown, without those the earlier answers do not offer.
    pub fn choices_offered<'a>(&'a self, q: &'a Question, vis: &Visibility) -> Vec<&'a Choice> {
        let mut shown = self.choices_in_order(q);
        shown.retain(|c| vis.offers(&q.id, &c.id));
        shown
    }

    /// Questions on the current page with a draft that picks an option not
    /// offered now: an answer on this page (or before) changed the options.
    pub fn picks_not_offered(&self, vis: &Visibility) -> bool {
        self.page_questions(vis)
            .iter()
            .any(|q| match self.drafts.get(&q.id) {
                Some(Draft::Choice(c)) => !vis.offers(&q.id, c),
                Some(Draft::Choices(ticked)) => ticked.iter().any(|c| !vis.offers(&q.id, c)),
                _ => false,
            })
    }

    pub fn errors_for<'a>(&'a self, q: &'a Question) -> impl Iterator<Item = &'a FieldError> {
        self.errors.iter().filter(move |e| e.concerns(q))
    }

    /// Errors about no question of this survey (reported by the collector).
    pub fn stray_errors(&self) -> impl Iterator<Item = &FieldError> {
        self.errors
            .iter()
            .filter(|e| !self.survey.questions.iter().any(|q| e.concerns(q)))
    }

    /// Whether the error summary is shown: some error is on this page, or
    /// concerns no question.
    pub fn shows_errors(&self, vis: &Visibility) -> bool {
        self.stray_errors().next().is_some()
            || self
                .page_questions(vis)
                .iter()
                .any(|q| self.errors_for(q).next().is_some())
    }

    /// The element id to focus after a refusal: the first field of the first
    /// question on this page with an error, else the error summary.
    pub fn first_error_target(&self) -> String {
        let vis = self.visible();
        self.page_questions(&vis)
            .into_iter()
            .find_map(|q| {
                let mut errors = self.errors_for(q).peekable();
                let first = errors.peek()?;
                Some(self.error_target(q, first))
            })
            .unwrap_or_else(|| ERROR_SUMMARY_ID.to_string())
    }

    /// The element id an error of question `q` points at: its "other" text,
    /// or the question's first field.
    pub fn error_target(&self, q: &Question, error: &FieldError) -> String {
        if error.question != q.id {
            field_dom_id(&error.question)
        } else {
            self.first_field_id(q)
        }
    }

    /// The id of the first field of a question, as rendered.
    pub fn first_field_id(&self, q: &Question) -> String {
        match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. } => self
                .choices_offered(q, &self.visible())
                .first()
                .map(|c| choice_dom_id(&q.id, &c.id))
                .unwrap_or_else(|| choice_dom_id(&q.id, OTHER)),
            QuestionKind::Rating { .. } => choice_dom_id(&q.id, "1"),
            QuestionKind::Grid { statements, scale } => match (statements.first(), scale.first()) {
                (Some(s), Some(c)) => grid_dom_id(&q.id, &s.id, &c.id),
                _ => field_dom_id(&q.id),
            },
            QuestionKind::Ranking { .. } => match self.choices_in_order(q).first() {
                Some(c) => rank_dom_id(&q.id, &c.id),
                None => field_dom_id(&q.id),
            },
            _ => field_dom_id(&q.id),
        }
    }

    /// Is the current page the last one asked?
    pub fn on_last_page(&self, vis: &Visibility) -> bool {
        let (x, y) = self.position(vis);
        x >= y
    }

    /// Applies one change to the answers; the errors of that question go,
    /// and so does the review.
    pub fn edit(&mut self, edit: Edit) {
        self.forget_errors_of(edit.question());
        self.reviewing = false;
        match edit {
            Edit::Choose { question, choice } => {
                self.drafts.insert(question, Draft::Choice(choice));
            }
            Edit::Tick {
                question,
                choice,
                ticked,
            } => {
                let survey = Rc::clone(&self.survey);
                let options = survey
                    .question(&question)
                    .and_then(|q| q.kind.choices())
                    .unwrap_or_default();
                let exclusive = |id: &str| options.iter().any(|c| c.id == id && c.exclusive);
                let entry = self
                    .drafts
                    .entry(question)
                    .or_insert_with(|| Draft::Choices(Vec::new()));
                if !matches!(entry, Draft::Choices(_)) {
                    *entry = Draft::Choices(Vec::new());
                }
                if let Draft::Choices(list) = entry {
                    list.retain(|c| *c != choice);
                    if ticked {
                        if exclusive(&choice) {
                            list.clear();
                        } else {
                            list.retain(|c| !exclusive(c));
                        }
                        list.push(choice);
                    }
                }
            }
            Edit::SetText { question, text } => {
                self.drafts.insert(question, Draft::Text(text));
            }
            Edit::Grade {
                question,
                statement,
                choice,
            } => {
                let entry = self
                    .drafts
                    .entry(question)
                    .or_insert_with(|| Draft::Grid(BTreeMap::new()));
                if !matches!(entry, Draft::Grid(_)) {
                    *entry = Draft::Grid(BTreeMap::new());
                }
                if let Draft::Grid(picked) = entry {
                    picked.insert(statement, choice);
                }
            }
            Edit::Rank {
                question,
                choice,
                rank,
            } => {
                let k = self
                    .survey
                    .question(&question)
                    .map_or(0, |q| ranks_asked(&q.kind));
                let entry = self
                    .drafts
                    .entry(question)
                    .or_insert_with(|| Draft::Ranks(vec![None; k]));
                if !matches!(entry, Draft::Ranks(s) if s.len() == k) {
                    *entry = Draft::Ranks(vec![None; k]);
                }
                if let Draft::Ranks(slots) = entry {
                    let old = slots.iter().position(|s| s.as_ref() == Some(&choice));
                    let new = rank
                        .and_then(|r| usize::try_from(r).ok())
                        .filter(|r| (1..=k).contains(r))
                        .map(|r| r - 1);
                    if let Some(old) = old {
                        slots[old] = None;
                    }
                    if let Some(new) = new {
                        // Whoever had that rank takes the old one (or none).
                        let displaced = slots[new].replace(choice);
                        if let (Some(old), Some(d)) = (old, displaced) {
                            slots[old] = Some(d);
                        }
                    }
                }
            }
            Edit::Check { question, checked } => {
                self.drafts.insert(question, Draft::Checked(checked));
            }
            Edit::Clear { question } => {
                self.drafts.remove(&other_key(&question));
                self.drafts.remove(&question);
            }
        }
    }

    /// A change to question `question` (or its "other" text): its errors go.
    fn forget_errors_of(&mut self, question: &str) {
        let base = question
            .strip_suffix("_other")
            .filter(|b| self.survey.question(b).is_some())
            .unwrap_or(question)
            .to_string();
        let other = other_key(&base);
        self.errors
            .retain(|e| e.question != base && e.question != other);
    }

    /// Problems `validate` finds with the answers as they would be sent.
    pub fn problems(&self, vis: &Visibility) -> Vec<FieldError> {
        let answers = answers_json(&self.survey, &self.drafts, vis);
        let checked = match &self.logic.0 {
            Ok(engine) => engine.validate(&answers, today()),
            Err(problems) => Err(problems
                .iter()
                .map(|p| AnswerError {
                    question: p.place.clone(),
                    problem: AnswerProblem::InvalidSurvey {
                        detail: p.message.clone(),
                    },
                })
                .collect()),
        };
        match checked {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| FieldError {
                    question: e.question,
                    text: ErrorText::Problem(e.problem),
                })
                .collect(),
        }
    }

    /// Next: checks this page's answers and goes on only when they pass
    /// (`true`); else this page's errors are shown (`false`). On the last
    /// page asked, passing opens the review.
    pub fn next_page(&mut self) -> bool {
        let vis = self.visible();
        let Some(current) = self.current_page(&vis) else {
            return true;
        };
        let on_page: Vec<&Question> = self.pages[current]
            .questions
            .iter()
            .map(|&i| &self.survey.questions[i])
            .collect();
        let concerns_page = |e: &FieldError| on_page.iter().any(|q| e.concerns(q));
        let found: Vec<FieldError> = self
            .problems(&vis)
            .into_iter()
            .filter(concerns_page)
            .collect();
        // This page's errors are replaced; those of other pages stay.
        let mut errors = std::mem::take(&mut self.errors);
        errors.retain(|e| !concerns_page(e));
        let passed = found.is_empty();
        errors.extend(found);
        self.errors = errors;
        if passed {
            match self.shown_pages(&vis).into_iter().find(|&p| p > current) {
                Some(next) => self.page = next,
                None => return self.review(),
            }
        }
        passed
    }

    /// Back: from the review to the last page, else the page asked before
    /// this one; nothing is checked or lost.
    pub fn previous_page(&mut self) {
        if std::mem::take(&mut self.reviewing) {
            return;
        }
        let vis = self.visible();
        let Some(current) = self.current_page(&vis) else {
            return;
        };
        if let Some(prev) = self
            .shown_pages(&vis)
            .into_iter()
            .rev()
            .find(|&p| p < current)
        {
            self.page = prev;
        }
    }

    /// Checks every answer: `true` when all pass (the errors are cleared),
    /// else every problem is kept and the form shows the first page that
    /// has one.
    pub fn check_all(&mut self) -> bool {
        let vis = self.visible();
        let found = self.problems(&vis);
        if found.is_empty() {
            self.errors.clear();
            return true;
        }
        self.errors = found;
        self.reviewing = false;
        self.show_first_error_page(&vis);
        false
    }

    /// Opens the review of every answer when they all pass.
    pub fn review(&mut self) -> bool {
        self.reviewing = self.check_all();
        self.reviewing
    }

    /// Moves to the first page asked that shows one of the errors.
    pub fn show_first_error_page(&mut self, vis: &Visibility) {
        let survey = &self.survey;
        let errors = &self.errors;
        if let Some(p) = self.shown_pages(vis).into_iter().find(|&p| {
            self.pages[p].questions.iter().any(|&i| {
                let q = &survey.questions[i];
                vis.asks(q) && errors.iter().any(|e| e.concerns(q))
            })
        }) {
            self.page = p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's cascading-select fixture: regions follow the country.
    fn cascade() -> Form {
        let survey = surveys::parse_survey(include_str!("../../surveys/tests/cascade.toml"))
            .expect("the cascade fixture loads");
        Form::new(survey, "sub-1".into())
    }

    fn choose(form: &mut Form, question: &str, choice: &str) {
        form.edit(Edit::Choose {
            question: question.into(),
            choice: choice.into(),
        });
    }

    fn offered(form: &Form, question: &str) -> Vec<String> {
        let vis = form.visible();
        let q = form.survey.question(question).expect("question");
        form.choices_offered(q, &vis)
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    #[test]
    fn the_options_offered_follow_the_earlier_answers() {
        let mut form = cascade();
        // Nothing chosen: `${country} = 'ge'` is false, so no region is
        // offered and (having no "other") the question is not asked.
        assert!(
            !form
                .visible()
                .asks(form.survey.question("region").expect("region"))
        );
        choose(&mut form, "country", "ge");
        assert_eq!(offered(&form, "region"), ["tbilisi", "batumi"]);
        assert_eq!(offered(&form, "services"), ["ost", "needles"]);
        choose(&mut form, "region", "tbilisi");
        assert_eq!(offered(&form, "services"), ["ost", "needles", "naloxone"]);
        choose(&mut form, "country", "ua");
        assert_eq!(offered(&form, "region"), ["kyiv"]);
    }

    #[test]
    fn a_pick_no_longer_offered_is_flagged_and_not_sent() {
        let mut form = cascade();
        choose(&mut form, "country", "ge");
        choose(&mut form, "region", "batumi");
        form.edit(Edit::Tick {
            question: "services".into(),
            choice: "ost".into(),
            ticked: true,
        });
        form.edit(Edit::Tick {
            question: "services".into(),
            choice: "needles".into(),
            ticked: true,
        });
        assert!(!form.picks_not_offered(&form.visible()));
        assert_eq!(form.answers()["region"], "batumi");

        // Changing the country takes Batumi away (and OST for Russia).
        choose(&mut form, "country", "ru");
        assert!(form.picks_not_offered(&form.visible()));
        let answers = form.answers();
        assert!(!answers.contains_key("region"), "{answers:?}");
        assert_eq!(answers["services"], serde_json::json!(["needles"]));
        // The draft stays, so going back to Georgia brings Batumi back.
        choose(&mut form, "country", "ge");
        assert_eq!(form.answers()["region"], "batumi");
        assert!(form.problems(&form.visible()).is_empty());
    }
}
