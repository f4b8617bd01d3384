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

use crate::answers::{
    Draft, OTHER, answers_json, instance_key, other_key, question_at, ranks_asked,
    split_instance_key,
};
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

    /// Whether it concerns question `q` (its answer or its "other" text;
    /// for a repeat, also any of its instances' questions).
    pub fn concerns(&self, q: &Question) -> bool {
        self.question == q.id
            || (q.kind.has_other() && self.question == other_key(&q.id))
            || (q.kind.is_repeat()
                && split_instance_key(&self.question).is_some_and(|(r, ..)| r == q.id))
    }

    /// Whether it concerns the field keyed `key` (`incidents[2].by`): its
    /// answer or its "other" text.
    pub fn is_at(&self, key: &str) -> bool {
        self.question == key || self.question == other_key(key)
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
    /// How many instances each repeat asked has now (the engine's count;
    /// empty before the logic ran, when the drafts say).
    instances: BTreeMap<String, usize>,
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
            instances: BTreeMap::new(),
        }
    }

    /// Is question `q`, keyed `key` (`incidents[2].when` inside a repeat,
    /// else its id), shown and its answer sent? Never for a `calculate`.
    /// (Inside a repeat, the repeat's own section decides the rest.)
    pub fn asks_at(&self, q: &Question, key: &str) -> bool {
        !matches!(q.kind, QuestionKind::Calculate { .. }) && !self.hidden.contains(key)
    }

    /// Must the question keyed `key` be answered now?
    pub fn requires_at(&self, key: &str) -> bool {
        self.required.contains(key)
    }

    /// How many instances repeat `q` has now: the engine's count once the
    /// logic ran, else as many as the drafts hold.
    pub fn instances_of(&self, q: &Question, drafts: &BTreeMap<String, Draft>) -> usize {
        match self.instances.get(&q.id) {
            Some(&n) => n,
            None => drafted_instances(q, drafts),
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
        // Inside each repeat asked: the questions of each instance that
        // are not asked, and (for a repeat whose count gives no instance
        // now) the repeat itself.
        for q in self.survey.questions.iter().filter(|q| q.kind.is_repeat()) {
            let n = ev.instances.get(&q.id).copied().unwrap_or(0);
            if n == 0 && q.kind.repeat_count().is_some() {
                hidden.insert(q.id.clone());
            }
            for k in 1..=n {
                for iq in q.kind.inner() {
                    let key = instance_key(&q.id, k, &iq.id);
                    if !ev.is_relevant(&key) {
                        hidden.insert(key);
                    }
                }
            }
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
            instances: ev.instances,
        }
    }

    /// How many instances repeat `q` has now (see [`Visibility::instances_of`]).
    pub fn instances(&self, q: &Question, vis: &Visibility) -> usize {
        vis.instances_of(q, &self.drafts)
    }

    /// The keys of what question `q` shows now: its id, and for a repeat
    /// the key of each question asked in each of its instances
    /// (`incidents[2].when`).
    pub fn shown_keys(&self, q: &Question, vis: &Visibility) -> Vec<String> {
        let mut keys = vec![q.id.clone()];
        for k in 1..=self.instances(q, vis) {
            for iq in q.kind.inner() {
                let key = instance_key(&q.id, k, &iq.id);
                if vis.asks_at(iq, &key) {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// What an error of question `q` is about, as a list of errors names
    /// it: the question's label, or inside a repeat the repeat's label, the
    /// instance's number and the question's label ("Incidents 2: When did
    /// it happen?").
    pub fn error_label(&self, q: &Question, error: &FieldError, lang: &str) -> String {
        let survey = &self.survey;
        if let Some((_, k, rest)) = split_instance_key(&error.question) {
            let id = rest.strip_suffix("_other").unwrap_or(rest);
            if let Some(iq) = q
                .kind
                .inner()
                .iter()
                .find(|iq| iq.id == id || iq.id == rest)
            {
                return format!(
                    "{} {k}: {}",
                    survey.tr(&q.label, lang),
                    survey.tr(&iq.label, lang)
                );
            }
        }
        survey.tr(&q.label, lang).to_string()
    }

    /// May the member add an instance to repeat `q` now? Only to a repeat
    /// without a `count`, below its `max`.
    pub fn can_add_instance(&self, q: &Question, vis: &Visibility) -> bool {
        q.kind.is_repeat()
            && q.kind.repeat_count().is_none()
            && self.instances(q, vis) < q.kind.max_instances()
    }

    /// "Add another": a new, empty instance at the end of repeat `repeat`
    /// (`false`, and nothing changes, when it cannot take one).
    pub fn add_instance(&mut self, repeat: &str) -> bool {
        let survey = Rc::clone(&self.survey);
        let Some(q) = survey.question(repeat) else {
            return false;
        };
        let vis = self.visible();
        if !self.can_add_instance(q, &vis) {
            return false;
        }
        let n = self.instances(q, &vis);
        self.drafts.insert(q.id.clone(), Draft::Instances(n + 1));
        self.errors.retain(|e| e.question != q.id);
        self.reviewing = false;
        true
    }

    /// "Remove": takes instance `k` (from 1) out of repeat `repeat`, with
    /// its answers; the instances after it move up one. `false`, and
    /// nothing changes, when there is no such instance or the number of
    /// instances is not the member's to choose.
    pub fn remove_instance(&mut self, repeat: &str, k: usize) -> bool {
        let survey = Rc::clone(&self.survey);
        let Some(q) = survey.question(repeat) else {
            return false;
        };
        let n = drafted_instances(q, &self.drafts);
        if q.kind.repeat_count().is_some() || k == 0 || k > n {
            return false;
        }
        let old = std::mem::take(&mut self.drafts);
        for (key, draft) in old {
            match split_instance_key(&key) {
                Some((r, j, rest)) if r == q.id => {
                    if j > k {
                        self.drafts.insert(instance_key(r, j - 1, rest), draft);
                    } else if j < k {
                        self.drafts.insert(key, draft);
                    }
                }
                _ => {
                    self.drafts.insert(key, draft);
                }
            }
        }
        if n > 1 {
            self.drafts.insert(q.id.clone(), Draft::Instances(n - 1));
        } else {
            self.drafts.remove(&q.id);
        }
        // The errors of its instances named them by number: they go, and
        // the checks on Next find what is still wrong.
        self.errors.retain(|e| !e.concerns(q));
        self.reviewing = false;
        true
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
        self.choices_offered_at(q, &q.id, vis)
    }

    /// The same for question `q` keyed `key` (inside a repeat's instance).
    pub fn choices_offered_at<'a>(
        &'a self,
        q: &'a Question,
        key: &str,
        vis: &Visibility,
    ) -> Vec<&'a Choice> {
        let mut shown = self.choices_in_order(q);
        shown.retain(|c| vis.offers(key, &c.id));
        shown
    }

    /// Questions on the current page with a draft that picks an option not
    /// offered now: an answer on this page (or before) changed the options.
    pub fn picks_not_offered(&self, vis: &Visibility) -> bool {
        let picked_away = |key: &str| match self.drafts.get(key) {
            Some(Draft::Choice(c)) => !vis.offers(key, c),
            Some(Draft::Choices(ticked)) => ticked.iter().any(|c| !vis.offers(key, c)),
            _ => false,
        };
        self.page_questions(vis).iter().any(|q| {
            if q.kind.is_repeat() {
                (1..=self.instances(q, vis)).any(|k| {
                    q.kind.inner().iter().any(|iq| {
                        let key = instance_key(&q.id, k, &iq.id);
                        vis.asks_at(iq, &key) && picked_away(&key)
                    })
                })
            } else {
                picked_away(&q.id)
            }
        })
    }

    pub fn errors_for<'a>(&'a self, q: &'a Question) -> impl Iterator<Item = &'a FieldError> {
        self.errors.iter().filter(move |e| e.concerns(q))
    }

    /// The errors of the field keyed `key` alone (`incidents[2].by`; for a
    /// repeat's id, those of the repeat itself, such as too few instances).
    pub fn errors_at<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a FieldError> {
        self.errors.iter().filter(move |e| e.is_at(key))
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
        if error.question == q.id {
            return self.first_field_id(q);
        }
        // An instance's question: its first field (or its "other" text).
        if let Some(iq) = question_at(&self.survey, &error.question)
            && split_instance_key(&error.question).is_some()
        {
            return self.first_field_id_at(iq, &error.question);
        }
        field_dom_id(&error.question)
    }

    /// The id of the first field of a question, as rendered (of a repeat:
    /// the group of its instances).
    pub fn first_field_id(&self, q: &Question) -> String {
        self.first_field_id_at(q, &q.id)
    }

    /// The id of the first field of question `q` keyed `key`.
    pub fn first_field_id_at(&self, q: &Question, key: &str) -> String {
        match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. } => self
                .choices_offered_at(q, key, &self.visible())
                .first()
                .map(|c| choice_dom_id(key, &c.id))
                .unwrap_or_else(|| choice_dom_id(key, OTHER)),
            QuestionKind::Rating { .. } => choice_dom_id(key, "1"),
            QuestionKind::Grid { statements, scale } => match (statements.first(), scale.first()) {
                (Some(s), Some(c)) => grid_dom_id(key, &s.id, &c.id),
                _ => field_dom_id(key),
            },
            QuestionKind::Ranking { .. } => match self.choices_in_order(q).first() {
                Some(c) => rank_dom_id(key, &c.id),
                None => field_dom_id(key),
            },
            _ => field_dom_id(key),
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
                let options = question_at(&survey, &question)
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
                let k = question_at(&self.survey, &question).map_or(0, |q| ranks_asked(&q.kind));
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
            .filter(|b| question_at(&self.survey, b).is_some())
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

/// How many instances the drafts hold for repeat `q`: as many as the
/// member added, or (for a repeat with a `count`) up to the last instance
/// with a draft; never more than its `max`.
fn drafted_instances(q: &Question, drafts: &BTreeMap<String, Draft>) -> usize {
    let n = if q.kind.repeat_count().is_some() {
        let prefix = format!("{}[", q.id);
        drafts
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter_map(|(key, _)| split_instance_key(key))
            .filter(|(r, ..)| *r == q.id)
            .map(|(_, k, _)| k)
            .max()
            .unwrap_or(0)
    } else {
        match drafts.get(&q.id) {
            Some(Draft::Instances(n)) => *n,
            _ => 0,
        }
    };
    n.min(q.kind.max_instances())
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

    /// The engine's repeat fixture: incidents, up to 3, chosen by the member.
    fn incidents() -> Form {
        let survey = surveys::parse_survey(include_str!("../../surveys/tests/repeat.toml"))
            .expect("the repeat fixture loads");
        Form::new(survey, "sub-1".into())
    }

    fn set(form: &mut Form, key: &str, text: &str) {
        form.edit(Edit::SetText {
            question: key.into(),
            text: text.into(),
        });
    }

    fn tick(form: &mut Form, key: &str, choice: &str) {
        form.edit(Edit::Tick {
            question: key.into(),
            choice: choice.into(),
            ticked: true,
        });
    }

    #[test]
    fn instances_are_added_answered_each_with_its_own_logic_and_sent_as_a_list() {
        let mut form = incidents();
        choose(&mut form, "country", "ua");
        let repeat = form.survey.question("incidents").expect("repeat").clone();
        let vis = form.visible();
        assert_eq!(form.instances(&repeat, &vis), 0);
        assert!(form.can_add_instance(&repeat, &vis));
        assert!(!form.answers().contains_key("incidents"));

        assert!(form.add_instance("incidents"));
        assert!(form.add_instance("incidents"));
        let vis = form.visible();
        assert_eq!(form.instances(&repeat, &vis), 2);
        let inner = |id: &str| {
            repeat
                .kind
                .inner()
                .iter()
                .find(|q| q.id == id)
                .expect("inner")
        };
        // `injured` is asked where police did it; `same_place` from the
        // second instance on.
        assert!(!vis.asks_at(inner("injured"), "incidents[1].injured"));
        assert!(!vis.asks_at(inner("same_place"), "incidents[1].same_place"));
        assert!(vis.asks_at(inner("same_place"), "incidents[2].same_place"));
        assert!(vis.requires_at("incidents[1].when"));
        tick(&mut form, "incidents[1].by", "police");
        set(&mut form, "incidents[1].when", "2026-03-01");
        set(&mut form, "incidents[1].injured", "2");
        set(&mut form, "incidents[2].when", "2026-04-01");
        set(&mut form, "incidents[2].injured", "9"); // not asked there: not sent
        let vis = form.visible();
        assert!(vis.asks_at(inner("injured"), "incidents[1].injured"));
        assert_eq!(
            form.answers()["incidents"],
            serde_json::json!([
                {"when": "2026-03-01", "by": ["police"], "injured": 2},
                {"when": "2026-04-01"}
            ])
        );
        assert!(form.problems(&vis).is_empty(), "{:?}", form.problems(&vis));

        // At most `max` (3).
        assert!(form.add_instance("incidents"));
        assert!(!form.add_instance("incidents"));
        assert_eq!(form.instances(&repeat, &form.visible()), 3);
        // The third, added but not filled in, misses its date.
        let problems = form.problems(&form.visible());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].question, "incidents[3].when");
        assert!(problems[0].concerns(&repeat));
        assert_eq!(
            form.error_target(&repeat, &problems[0]),
            "q-incidents[3].when"
        );
        assert_eq!(
            form.error_label(&repeat, &problems[0], "en"),
            "Incidents 3: When did it happen?"
        );
    }

    #[test]
    fn removing_an_instance_moves_the_later_ones_up_with_their_answers() {
        let mut form = incidents();
        for _ in 0..3 {
            form.add_instance("incidents");
        }
        for (k, day) in [(1, "2026-01-01"), (2, "2026-02-02"), (3, "2026-03-03")] {
            set(&mut form, &format!("incidents[{k}].when"), day);
        }
        tick(&mut form, "incidents[3].by", "police");
        assert!(!form.remove_instance("incidents", 4));
        assert!(!form.remove_instance("incidents", 0));
        assert!(form.remove_instance("incidents", 2));
        assert_eq!(
            form.answers()["incidents"],
            serde_json::json!([
                {"when": "2026-01-01"},
                {"when": "2026-03-03", "by": ["police"]}
            ])
        );
        assert!(!form.drafts.contains_key("incidents[3].when"));
        assert!(form.remove_instance("incidents", 1));
        assert!(form.remove_instance("incidents", 1));
        assert!(!form.drafts.contains_key("incidents"), "{:?}", form.drafts);
        assert!(!form.answers().contains_key("incidents"));
    }

    #[test]
    fn a_repeat_with_a_count_has_as_many_instances_as_the_answer_says() {
        let toml = r#"
id = "d"
version = 1
languages = ["en"]
privacy_budget = 1
title = { en = "D" }

[[questions]]
id = "times"
type = "integer"
min = 0
max = 5
label = { en = "How many times?" }

[[questions]]
id = "detention"
type = "repeat"
max = 5
count = "${times}"
label = { en = "Detention" }

[[questions.questions]]
id = "hours"
type = "integer"
required = true
label = { en = "Hours held" }
"#;
        let survey = surveys::parse_survey(toml).expect("loads");
        let mut form = Form::new(survey, "sub-2".into());
        let repeat = form.survey.question("detention").expect("repeat").clone();
        // No count yet: the repeat is not asked at all.
        assert!(!form.visible().asks(&repeat));
        set(&mut form, "times", "2");
        let vis = form.visible();
        assert!(vis.asks(&repeat));
        assert_eq!(form.instances(&repeat, &vis), 2);
        assert!(!form.can_add_instance(&repeat, &vis));
        assert!(!form.add_instance("detention"));
        assert!(!form.remove_instance("detention", 1));
        set(&mut form, "detention[1].hours", "3");
        set(&mut form, "detention[2].hours", "4");
        assert_eq!(
            form.answers()["detention"],
            serde_json::json!([{"hours": 3}, {"hours": 4}])
        );
        // The count goes down: the second instance is no longer sent (its
        // draft stays, and comes back with the count).
        set(&mut form, "times", "1");
        assert_eq!(
            form.answers()["detention"],
            serde_json::json!([{"hours": 3}])
        );
        assert!(form.problems(&form.visible()).is_empty());
        set(&mut form, "times", "2");
        assert_eq!(form.answers()["detention"][1]["hours"], 4);
    }
}
