//! The runner's state and every change to it, as a pure reducer.
//!
//! Nothing here touches the DOM or the network: the components dispatch
//! [`Action`]s, effects in `main.rs` perform the requests and dispatch their
//! outcomes. The rules on answers are not here either: [`Action::Submit`] and
//! [`Action::NextPage`] ask [`surveys::validate`], which questions are asked
//! comes from one place, [`Form::visible`], and this module only turns what
//! the respondent entered into the JSON the collector expects and keeps track
//! of the page shown.
//!
//! One step is not pure: for a sealed survey, [`Action::Submit`] seals the
//! answers it would have sent (`surveys::sealing`, with the generator's
//! randomness), and only that envelope is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::{Serialize, Serializer};
use serde_json::{Map, Number, Value};
use surveys::i18n::UI_LANGUAGES;
use surveys::sealing::{SealedSubmission, SealingError, seal_answers, sealing_key};
use surveys::{
    AnswerProblem, Choice, Engine, Question, QuestionKind, Submission, Survey, validate,
};
use yew::Reducible;

/// The language the runner starts in.
pub const INITIAL_LANGUAGE: &str = "ru";

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

/// One entry of `GET /api/surveys` (the type is shared with the collector).
pub use surveys::SurveySummary;

/// The list of open surveys.
#[derive(Clone, Debug, PartialEq)]
pub enum Catalogue {
    Loading,
    Loaded(Vec<SurveySummary>),
    Failed,
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

/// Where sending stands.
#[derive(Clone, Debug, PartialEq)]
pub enum SendStatus {
    Editing,
    Sending,
    /// The request did not get a usable answer; sending again is safe.
    NetworkError,
    /// The collector refused the submission as a whole, with its message.
    Refused(String),
    /// The answers of a sealed survey could not be sealed: nothing was sent.
    SealFailed(SealFailure),
}

/// Why the answers of a sealed survey could not be sealed on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealFailure {
    /// They do not fit in the largest envelope (`seal::MAX_PLAINTEXT`
    /// bytes of JSON): the member can shorten their texts.
    TooLarge,
    /// The survey's key cannot be read, the device has no random generator,
    /// or the encryption failed: nothing the member can change.
    Unusable,
}

impl SealFailure {
    fn of(error: &SealingError) -> SealFailure {
        match error {
            SealingError::Seal(seal::SealError::TooLarge(_)) => SealFailure::TooLarge,
            SealingError::NotSealed(_)
            | SealingError::BadKey { .. }
            | SealingError::SubmissionId(_)
            | SealingError::Seal(seal::SealError::Hpke) => SealFailure::Unusable,
        }
    }

    /// What the member is told, in one of [`UI_LANGUAGES`] (English for
    /// any other). Nothing was sent, and the answers are still on the page.
    // These belong in `surveys::i18n` as `Ui` phrases; kept here until then.
    pub fn message(self, lang: &str) -> &'static str {
        match (self, lang) {
            (SealFailure::TooLarge, "ru") => {
                "Ваши ответы слишком длинные, чтобы их зашифровать и отправить. Сократите самые длинные текстовые ответы и попробуйте ещё раз. Ничего не отправлено."
            }
            (SealFailure::TooLarge, "uk") => {
                "Ваші відповіді задовгі, щоб їх зашифрувати й надіслати. Скоротіть найдовші текстові відповіді та спробуйте ще раз. Нічого не надіслано."
            }
            (SealFailure::TooLarge, "ka") => {
                "თქვენი პასუხები ძალიან გრძელია დასაშიფრად და გასაგზავნად. შეამოკლეთ ყველაზე გრძელი წერილობითი პასუხები და სცადეთ ხელახლა. არაფერი გაგზავნილა."
            }
            (SealFailure::TooLarge, "kk") => {
                "Жауаптарыңыз шифрлап жіберу үшін тым ұзын. Ең ұзын мәтіндік жауаптарыңызды қысқартып, қайталап көріңіз. Ештеңе жіберілген жоқ."
            }
            (SealFailure::TooLarge, "ky") => {
                "Жоопторуңуз шифрлеп жөнөтүү үчүн өтө узун. Эң узун тексттик жоопторуңузду кыскартып, кайра аракет кылыңыз. Эч нерсе жөнөтүлгөн жок."
            }
            (SealFailure::TooLarge, _) => {
                "Your answers are too long to be encrypted and sent. Please shorten your longest written answers and try again. Nothing has been sent."
            }
            (SealFailure::Unusable, "ru") => {
                "Не удалось зашифровать ответы на этом устройстве, поэтому они не отправлены. Ваши ответы сохранены на странице. Сообщите об этом организаторам опроса; может помочь другой браузер."
            }
            (SealFailure::Unusable, "uk") => {
                "Не вдалося зашифрувати відповіді на цьому пристрої, тому їх не надіслано. Ваші відповіді залишилися на сторінці. Повідомте про це організаторів опитування; може допомогти інший браузер."
            }
            (SealFailure::Unusable, "ka") => {
                "პასუხების დაშიფვრა ამ მოწყობილობაზე ვერ მოხერხდა, ამიტომ ისინი არ გაიგზავნა. თქვენი პასუხები ისევ აქ არის. გთხოვთ, აცნობოთ გამოკითხვის ორგანიზატორებს; შესაძლოა, სხვა ბრაუზერი დაგეხმაროთ."
            }
            (SealFailure::Unusable, "kk") => {
                "Жауаптарды бұл құрылғыда шифрлау мүмкін болмады, сондықтан олар жіберілген жоқ. Жауаптарыңыз бетте сақталды. Бұл туралы сауалнаманы ұйымдастырушыларға хабарлаңыз; басқа браузер көмектесуі мүмкін."
            }
            (SealFailure::Unusable, "ky") => {
                "Жоопторду бул түзмөктө шифрлөө мүмкүн болбоду, ошондуктан алар жөнөтүлгөн жок. Жоопторуңуз бетте сакталды. Бул тууралуу сурамжылоону уюштуруучуларга кабарлаңыз; башка браузер жардам бериши мүмкүн."
            }
            (SealFailure::Unusable, _) => {
                "Your answers could not be encrypted on this device, so they were not sent. Your answers are still here. Please tell the survey's organisers; another browser may work."
            }
        }
    }
}

/// What came back from `POST /api/surveys/{id}/responses`.
#[derive(Clone, Debug, PartialEq)]
pub enum SendOutcome {
    /// Stored now, or stored before (a retry of the same submission).
    Stored,
    /// No usable answer: offline, timeout, server error, something not ours.
    NetworkError,
    /// A 4xx refusal: the message, and `(question, message)` per answer.
    Refused {
        message: String,
        details: Vec<(Option<String>, String)>,
    },
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
}

impl Visibility {
    /// Every question asked; required where `required = true`.
    pub fn everything(survey: &Survey) -> Visibility {
        Visibility {
            hidden: BTreeSet::new(),
            hidden_sections: BTreeSet::new(),
            required: survey
                .questions
                .iter()
                .filter(|q| q.required.is_always())
                .map(|q| q.id.clone())
                .collect(),
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

    pub fn section_shown(&self, id: &str) -> bool {
        !self.hidden_sections.contains(id)
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

/// A form being filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub survey: Rc<Survey>,
    /// Made once when the form opens, reused by every attempt to send it, so
    /// that the collector recognises a retry.
    pub submission_id: String,
    pub drafts: BTreeMap<String, Draft>,
    pub errors: Vec<FieldError>,
    pub status: SendStatus,
    /// Counts attempts to send; a new value starts a request.
    pub attempt: u32,
    /// Counts refusals (here or by the collector); a new value moves focus
    /// to the first error.
    pub refusals: u32,
    pages: Rc<Vec<Page>>,
    /// The page the respondent is on: an index in `pages`. When that page is
    /// no longer asked, [`Form::current_page`] shows the nearest one.
    page: usize,
    /// Option orders (indexes in the question's choices) of questions with
    /// `randomize`, fixed when the form opens.
    orders: Rc<BTreeMap<String, Vec<usize>>>,
    /// The survey's logic, parsed once when the form opens.
    logic: Logic,
    /// For a sealed survey, the envelope of the latest attempt to send:
    /// sealed when Submit passes validation, so that the request (and the
    /// effect that makes it) stays the same while it is under way. Every
    /// attempt seals afresh, with the same submission id.
    sealed: Option<Rc<SealedSubmission>>,
}

/// The `surveys` logic engine of a form; `None` when the survey's logic does
/// not check (the collector serves only surveys that check, so this is a
/// safety net: every question is then asked, and validate reports it).
#[derive(Clone, Debug)]
struct Logic(Option<Rc<Engine>>);

impl PartialEq for Logic {
    fn eq(&self, other: &Logic) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// A request to send, for the effect that performs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub survey_id: String,
    pub body: Body,
    pub attempt: u32,
}

/// The JSON body of `POST /api/surveys/{id}/responses`.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A survey without keys: the answers themselves.
    Plain(Submission),
    /// A sealed survey: only the envelope of the answers leaves the device.
    Sealed(Rc<SealedSubmission>),
}

impl Body {
    pub fn submission_id(&self) -> &str {
        match self {
            Body::Plain(s) => &s.submission_id,
            Body::Sealed(s) => &s.submission_id,
        }
    }
}

/// Exactly the serde form of the submission or of the sealed submission.
impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Plain(s) => s.serialize(serializer),
            Body::Sealed(s) => s.serialize(serializer),
        }
    }
}

impl Form {
    pub fn new(survey: Survey, submission_id: String) -> Form {
        let orders = shuffled_orders(&survey, &submission_id);
        let logic = Logic(Engine::new(&survey).ok().map(Rc::new));
        Form {
            pages: Rc::new(pages(&survey)),
            survey: Rc::new(survey),
            submission_id,
            drafts: BTreeMap::new(),
            errors: Vec::new(),
            status: SendStatus::Editing,
            attempt: 0,
            refusals: 0,
            page: 0,
            orders: Rc::new(orders),
            logic,
            sealed: None,
        }
    }

    /// Which questions and sections are asked now, and which must be
    /// answered. The one place relevance comes from: the `surveys` engine
    /// evaluates the survey's logic over everything entered (it treats the
    /// answers of questions it finds not relevant as empty).
    pub fn visible(&self) -> Visibility {
        let Some(engine) = &self.logic.0 else {
            return Visibility::everything(&self.survey);
        };
        let everything = Visibility::everything(&self.survey);
        let entered = answers_json(&self.survey, &self.drafts, &everything);
        let ev = engine.evaluate(&entered, today());
        Visibility {
            hidden: self
                .survey
                .questions
                .iter()
                .filter(|q| !ev.is_relevant(&q.id))
                .map(|q| q.id.clone())
                .collect(),
            hidden_sections: self
                .survey
                .sections
                .iter()
                .filter(|s| !ev.section_relevant(&s.id))
                .map(|s| s.id.clone())
                .collect(),
            required: ev.required,
        }
    }

    /// The answers as the collector takes them: those of asked questions
    /// only. See [`answers_json`].
    pub fn answers(&self) -> Map<String, Value> {
        answers_json(&self.survey, &self.drafts, &self.visible())
    }

    #[cfg(test)]
    pub fn pages(&self) -> &[Page] {
        &self.pages
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

    /// The questions shown on the current page.
    pub fn page_questions(&self, vis: &Visibility) -> Vec<&Question> {
        self.current_page(vis)
            .map(|p| {
                self.pages[p]
                    .questions
                    .iter()
                    .map(|&i| &self.survey.questions[i])
                    .filter(|q| vis.asks(q))
                    .collect()
            })
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
                Some(if first.question != q.id {
                    field_dom_id(&first.question)
                } else {
                    self.first_field_id(q)
                })
            })
            .unwrap_or_else(|| ERROR_SUMMARY_ID.to_string())
    }

    /// The id of the first field of a question, as rendered.
    pub fn first_field_id(&self, q: &Question) -> String {
        match &q.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. } => self
                .choices_in_order(q)
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

    /// The request to send while sending, else `None`. For a sealed
    /// survey only its envelope, never the answers.
    pub fn outgoing(&self) -> Option<Outgoing> {
        if self.status != SendStatus::Sending {
            return None;
        }
        let body = if self.survey.is_sealed() {
            Body::Sealed(Rc::clone(self.sealed.as_ref()?))
        } else {
            Body::Plain(self.submission())
        };
        Some(Outgoing {
            survey_id: self.survey.id.clone(),
            body,
            attempt: self.attempt,
        })
    }

    /// The submission as it is sent in plaintext.
    fn submission(&self) -> Submission {
        Submission {
            submission_id: self.submission_id.clone(),
            version: Some(self.survey.version),
            answers: self.answers(),
        }
    }

    /// Seals the answers of [`Form::submission`] to the survey's first key.
    fn seal(&self) -> Result<SealedSubmission, SealFailure> {
        // hpke panics when the generator fails; ask it first.
        if getrandom::fill(&mut [0; 1]).is_err() {
            return Err(SealFailure::Unusable);
        }
        let submission = self.submission();
        sealing_key(&self.survey)
            .and_then(|key| {
                seal_answers(
                    &self.survey,
                    &key,
                    &submission.submission_id,
                    &submission.answers,
                )
            })
            .map_err(|e| SealFailure::of(&e))
    }

    /// Is the current page the last one asked?
    pub fn on_last_page(&self, vis: &Visibility) -> bool {
        let (x, y) = self.position(vis);
        x >= y
    }

    /// A change to question `question` (or its "other" text): its errors go.
    fn edit(&mut self, question: &str) {
        let base = question
            .strip_suffix("_other")
            .filter(|b| self.survey.question(b).is_some())
            .unwrap_or(question)
            .to_string();
        let other = other_key(&base);
        self.errors
            .retain(|e| e.question != base && e.question != other);
        if matches!(
            self.status,
            SendStatus::Refused(_) | SendStatus::SealFailed(_)
        ) {
            self.status = SendStatus::Editing;
        }
    }

    /// Problems `validate` finds with the answers as they would be sent.
    fn problems(&self, vis: &Visibility) -> Vec<FieldError> {
        let answers = answers_json(&self.survey, &self.drafts, vis);
        // The form's compiled engine; `validate` (which compiles the logic
        // again, and reports why it cannot) only when there is none.
        let checked = match &self.logic.0 {
            Some(engine) => engine.validate(&answers, today()),
            None => validate(&self.survey, &answers, today()),
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

    /// Next: checks this page's answers and goes on only when they pass.
    fn next_page(&mut self) {
        if self.status == SendStatus::Sending {
            return;
        }
        let vis = self.visible();
        let Some(current) = self.current_page(&vis) else {
            return;
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
            if let Some(next) = self.shown_pages(&vis).into_iter().find(|&p| p > current) {
                self.page = next;
            }
        } else {
            self.refusals += 1;
        }
    }

    /// Back: the page asked before this one; nothing is checked or lost.
    fn previous_page(&mut self) {
        if self.status == SendStatus::Sending {
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

    /// Submit (or Enter in a field): on a page before the last it is Next;
    /// on the last, every answer is checked and every problem shown, from
    /// the first page that has one.
    fn submit(&mut self) {
        if self.status == SendStatus::Sending {
            return;
        }
        let vis = self.visible();
        if !self.on_last_page(&vis) {
            self.next_page();
            return;
        }
        let found = self.problems(&vis);
        if found.is_empty() {
            self.errors.clear();
            if self.survey.is_sealed() {
                match self.seal() {
                    Ok(sealed) => self.sealed = Some(Rc::new(sealed)),
                    Err(failure) => {
                        self.sealed = None;
                        self.status = SendStatus::SealFailed(failure);
                        self.refusals += 1;
                        return;
                    }
                }
            }
            self.status = SendStatus::Sending;
            self.attempt += 1;
            return;
        }
        self.errors = found;
        self.status = SendStatus::Editing;
        self.refusals += 1;
        self.show_first_error_page(&vis);
    }

    /// Moves to the first page asked that shows one of the errors.
    fn show_first_error_page(&mut self, vis: &Visibility) {
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

/// The id of the error summary at the top of the form.
pub const ERROR_SUMMARY_ID: &str = "form-errors";

/// The id of a question's own field (number, text, date, consent), or of
/// the "other" text (`q-<id>_other`).
pub fn field_dom_id(question: &str) -> String {
    format!("q-{question}")
}

/// The id of one option's radio button or checkbox; of a rating point.
pub fn choice_dom_id(question: &str, choice: &str) -> String {
    format!("q-{question}-{choice}")
}

/// The id of one radio button of a grid.
pub fn grid_dom_id(question: &str, statement: &str, choice: &str) -> String {
    format!("q-{question}-{statement}-{choice}")
}

/// The id of the rank select of one option of a ranking.
pub fn rank_dom_id(question: &str, choice: &str) -> String {
    format!("q-{question}-rank-{choice}")
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
fn decimal_value(s: &str) -> Value {
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
                if *other
                    && c == OTHER
                    && let Some(t) = other_text()
                {
                    out.insert(other_key(&q.id), Value::String(t));
                }
                Value::String(c.clone())
            }
            (QuestionKind::MultipleChoice { choices, other, .. }, Draft::Choices(ticked)) => {
                if ticked.is_empty() {
                    continue;
                }
                if *other
                    && ticked.iter().any(|c| c == OTHER)
                    && let Some(t) = other_text()
                {
                    out.insert(other_key(&q.id), Value::String(t));
                }
                let in_order = choices
                    .iter()
                    .filter(|c| ticked.contains(&c.id))
                    .map(|c| Value::String(c.id.clone()));
                // "other", and anything not offered (validation reports it).
                let others = ticked
                    .iter()
                    .filter(|t| !choices.iter().any(|c| &c.id == *t))
                    .map(|t| Value::String(t.clone()));
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
                Value::Object(
                    picked
                        .iter()
                        .map(|(s, c)| (s.clone(), Value::String(c.clone())))
                        .collect(),
                )
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

/// The option orders of the questions with `randomize`, drawn from the
/// submission id (random per form), so that they stay put while the form is
/// open. Options marked `fixed` keep their places.
fn shuffled_orders(survey: &Survey, seed: &str) -> BTreeMap<String, Vec<usize>> {
    survey
        .questions
        .iter()
        .filter_map(|q| {
            let choices = match &q.kind {
                QuestionKind::SingleChoice {
                    choices,
                    randomize: true,
                    ..
                }
                | QuestionKind::MultipleChoice {
                    choices,
                    randomize: true,
                    ..
                }
                | QuestionKind::Ranking {
                    choices,
                    randomize: true,
                    ..
                } => choices,
                _ => return None,
            };
            let mut rng = SplitMix(fnv1a(&[seed.as_bytes(), b"\xff", q.id.as_bytes()]));
            Some((q.id.clone(), shuffle(choices, &mut rng)))
        })
        .collect()
}

fn shuffle(choices: &[Choice], rng: &mut SplitMix) -> Vec<usize> {
    let free: Vec<usize> = (0..choices.len()).filter(|&i| !choices[i].fixed).collect();
    let mut moved = free.clone();
    for i in (1..moved.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        moved.swap(i, j);
    }
    let mut order: Vec<usize> = (0..choices.len()).collect();
    for (&place, item) in free.iter().zip(moved) {
        order[place] = item;
    }
    order
}

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.iter()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64: enough to shuffle options; nothing secret depends on it.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The screen shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// The list of surveys; `opening` is the survey being fetched, and
    /// `open_failed` says the last fetch failed.
    List {
        opening: Option<String>,
        open_failed: bool,
    },
    Form(Form),
    /// Submitted: the confirmation.
    Done {
        survey: Rc<Survey>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// One of [`UI_LANGUAGES`].
    pub lang: &'static str,
    pub catalogue: Catalogue,
    /// Counts loads of the catalogue; a new value starts a request.
    pub catalogue_load: u32,
    pub screen: Screen,
}

impl Default for State {
    fn default() -> State {
        State {
            lang: INITIAL_LANGUAGE,
            catalogue: Catalogue::Loading,
            catalogue_load: 1,
            screen: Screen::List {
                opening: None,
                open_failed: false,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the runner's language; ignored unless it is one of [`UI_LANGUAGES`].
    SetLanguage(String),
    CatalogueLoaded(Vec<SurveySummary>),
    CatalogueFailed,
    /// Try loading the list of surveys again.
    ReloadCatalogue,
    /// The respondent pressed Start on a survey.
    Open(String),
    /// The survey arrived; `submission_id` is fresh for this form. (Boxed:
    /// a survey is much larger than every other action.)
    Opened {
        survey: Box<Survey>,
        submission_id: String,
    },
    OpenFailed(String),
    /// Pick an option of a single choice, or a point of a rating.
    Choose {
        question: String,
        choice: String,
    },
    /// Tick or untick an option of a multiple choice. Ticking an exclusive
    /// option unticks the others, and ticking another unticks it.
    Tick {
        question: String,
        choice: String,
        ticked: bool,
    },
    /// The text of a text, number or date field, or of an "other" text
    /// (`question` is then `<id>_other`).
    SetText {
        question: String,
        text: String,
    },
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
    Check {
        question: String,
        checked: bool,
    },
    /// Un-answer a question (and its "other" text).
    Clear {
        question: String,
    },
    /// Check this page and go to the next page asked.
    NextPage,
    /// Go to the page asked before this one.
    PreviousPage,
    /// Send (on the last page; before it, the same as [`Action::NextPage`]).
    Submit,
    /// The collector's answer to the attempt of `submission_id`.
    Sent {
        submission_id: String,
        outcome: SendOutcome,
    },
    /// Leave the form or the confirmation, forgetting the answers.
    BackToList,
}

impl State {
    pub fn form(&self) -> Option<&Form> {
        match &self.screen {
            Screen::Form(f) => Some(f),
            _ => None,
        }
    }

    /// What is being sent now, for the effect that sends it.
    pub fn outgoing(&self) -> Option<Outgoing> {
        self.form().and_then(Form::outgoing)
    }

    /// Names the screen and its survey; a change moves focus to its heading.
    pub fn screen_key(&self) -> String {
        match &self.screen {
            Screen::List { .. } => "list".to_string(),
            Screen::Form(f) => format!("form/{}", f.survey.id),
            Screen::Done { survey } => format!("done/{}", survey.id),
        }
    }

    /// Names the screen and page, with the id of the heading to focus when
    /// it changes: the page's section title on a form past its first page.
    pub fn heading(&self) -> (String, &'static str) {
        match &self.screen {
            Screen::Form(f) => {
                let vis = f.visible();
                let (x, _) = f.position(&vis);
                let key = format!("{}/{x}", self.screen_key());
                if x > 1 && f.section(&vis).is_some() {
                    (key, SECTION_TITLE_ID)
                } else {
                    (key, MAIN_HEADING_ID)
                }
            }
            _ => (self.screen_key(), MAIN_HEADING_ID),
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::SetLanguage(lang) => {
                if let Some((code, _)) = UI_LANGUAGES.iter().find(|(code, _)| *code == lang) {
                    self.lang = code;
                }
            }
            Action::CatalogueLoaded(list) => self.catalogue = Catalogue::Loaded(list),
            Action::CatalogueFailed => self.catalogue = Catalogue::Failed,
            Action::ReloadCatalogue => {
                if self.catalogue == Catalogue::Failed {
                    self.catalogue = Catalogue::Loading;
                    self.catalogue_load += 1;
                }
            }
            Action::Open(id) => {
                if let Screen::List { opening: None, .. } = self.screen {
                    self.screen = Screen::List {
                        opening: Some(id),
                        open_failed: false,
                    };
                }
            }
            Action::Opened {
                survey,
                submission_id,
            } => {
                if matches!(&self.screen, Screen::List { opening: Some(id), .. } if *id == survey.id)
                {
                    self.screen = Screen::Form(Form::new(*survey, submission_id));
                }
            }
            Action::OpenFailed(id) => {
                if matches!(&self.screen, Screen::List { opening: Some(o), .. } if *o == id) {
                    self.screen = Screen::List {
                        opening: None,
                        open_failed: true,
                    };
                }
            }
            Action::Sent {
                submission_id,
                outcome,
            } => self.sent(submission_id, outcome),
            Action::BackToList => {
                self.screen = Screen::List {
                    opening: None,
                    open_failed: false,
                };
                if self.catalogue == Catalogue::Failed {
                    self.catalogue = Catalogue::Loading;
                    self.catalogue_load += 1;
                }
            }
            action => {
                if let Screen::Form(f) = &mut self.screen {
                    f.apply(action);
                }
            }
        }
    }

    fn sent(&mut self, submission_id: String, outcome: SendOutcome) {
        let Screen::Form(f) = &mut self.screen else {
            return;
        };
        if f.submission_id != submission_id || f.status != SendStatus::Sending {
            return;
        }
        match outcome {
            SendOutcome::Stored => {
                self.screen = Screen::Done {
                    survey: f.survey.clone(),
                };
            }
            SendOutcome::NetworkError => f.status = SendStatus::NetworkError,
            SendOutcome::Refused { message, details } => {
                f.errors = details
                    .into_iter()
                    .map(|(question, message)| FieldError {
                        question: question.unwrap_or_default(),
                        text: ErrorText::Server(message),
                    })
                    .collect();
                f.status = if f.errors.is_empty() {
                    SendStatus::Refused(message)
                } else {
                    SendStatus::Editing
                };
                f.refusals += 1;
                let vis = f.visible();
                f.show_first_error_page(&vis);
            }
        }
    }
}

impl Form {
    /// The actions on a form's answers and pages.
    fn apply(&mut self, action: Action) {
        match action {
            Action::Choose { question, choice } => {
                self.edit(&question);
                self.drafts.insert(question, Draft::Choice(choice));
            }
            Action::Tick {
                question,
                choice,
                ticked,
            } => {
                self.edit(&question);
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
            Action::SetText { question, text } => {
                self.edit(&question);
                self.drafts.insert(question, Draft::Text(text));
            }
            Action::Grade {
                question,
                statement,
                choice,
            } => {
                self.edit(&question);
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
            Action::Rank {
                question,
                choice,
                rank,
            } => {
                self.edit(&question);
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
            Action::Check { question, checked } => {
                self.edit(&question);
                self.drafts.insert(question, Draft::Checked(checked));
            }
            Action::Clear { question } => {
                self.edit(&question);
                self.drafts.remove(&other_key(&question));
                self.drafts.remove(&question);
            }
            Action::NextPage => self.next_page(),
            Action::PreviousPage => self.previous_page(),
            Action::Submit => self.submit(),
            // Handled by the state.
            Action::SetLanguage(_)
            | Action::CatalogueLoaded(_)
            | Action::CatalogueFailed
            | Action::ReloadCatalogue
            | Action::Open(_)
            | Action::Opened { .. }
            | Action::OpenFailed(_)
            | Action::Sent { .. }
            | Action::BackToList => {}
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// The page's main heading (the survey title on a form).
pub const MAIN_HEADING_ID: &str = "main-heading";

/// The heading of the page's section.
pub const SECTION_TITLE_ID: &str = "section-title";

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn survey() -> Survey {
        serde_json::from_value(json!({
            "id": "s1",
            "version": 1,
            "languages": ["ru", "en"],
            "default_language": "ru",
            "title": {"ru": "Опрос", "en": "Survey"},
            "privacy_budget": "1",
            "questions": [
                {"id": "country", "type": "single_choice", "required": true,
                 "label": {"ru": "Страна", "en": "Country"},
                 "choices": [{"id": "ge", "label": {"ru": "Грузия", "en": "Georgia"}},
                             {"id": "md", "label": {"ru": "Молдова", "en": "Moldova"}}]},
                {"id": "services", "type": "multiple_choice",
                 "label": {"ru": "Услуги", "en": "Services"},
                 "choices": [{"id": "ost", "label": {"ru": "ОЗТ", "en": "OST"}},
                             {"id": "nsp", "label": {"ru": "Шприцы", "en": "Syringes"}},
                             {"id": "art", "label": {"ru": "АРТ", "en": "ART"}}]},
                {"id": "years", "type": "integer", "min": 0, "max": 60,
                 "label": {"ru": "Лет", "en": "Years"}},
                {"id": "comment", "type": "short_text", "max_length": 5,
                 "label": {"ru": "Комментарий", "en": "Comment"}}
            ]
        }))
        .expect("test survey parses")
    }

    fn reduce(state: State, actions: impl IntoIterator<Item = Action>) -> State {
        let mut s = Rc::new(state);
        for a in actions {
            s = s.reduce(a);
        }
        Rc::unwrap_or_clone(s)
    }

    fn open_form() -> State {
        reduce(
            State::default(),
            [
                Action::Open("s1".into()),
                Action::Opened {
                    survey: Box::new(survey()),
                    submission_id: "id-1".into(),
                },
            ],
        )
    }

    fn form(state: &State) -> &Form {
        state.form().expect("a form is open")
    }

    /// The plaintext submission of an unsealed survey's request.
    fn plain(out: &Outgoing) -> &Submission {
        match &out.body {
            Body::Plain(s) => s,
            Body::Sealed(_) => panic!("a survey without keys sends its answers"),
        }
    }

    fn tick(choice: &str, ticked: bool) -> Action {
        Action::Tick {
            question: "services".into(),
            choice: choice.into(),
            ticked,
        }
    }

    fn text(question: &str, text: &str) -> Action {
        Action::SetText {
            question: question.into(),
            text: text.into(),
        }
    }

    fn choose(choice: &str) -> Action {
        Action::Choose {
            question: "country".into(),
            choice: choice.into(),
        }
    }

    #[test]
    fn starts_in_russian_on_the_list() {
        let s = State::default();
        assert_eq!(s.lang, "ru");
        assert_eq!(s.catalogue, Catalogue::Loading);
        assert_eq!(s.screen_key(), "list");
    }

    #[test]
    fn only_runner_languages_can_be_chosen() {
        let s = reduce(State::default(), [Action::SetLanguage("en".into())]);
        assert_eq!(s.lang, "en");
        let s = reduce(s, [Action::SetLanguage("xx".into())]);
        assert_eq!(s.lang, "en");
    }

    #[test]
    fn a_survey_that_arrives_after_leaving_is_ignored() {
        let s = reduce(
            State::default(),
            [
                Action::Open("s1".into()),
                Action::BackToList,
                Action::Opened {
                    survey: Box::new(survey()),
                    submission_id: "x".into(),
                },
            ],
        );
        assert_eq!(s.screen_key(), "list");
    }

    #[test]
    fn ticking_and_unticking_a_multiple_choice() {
        let s = reduce(
            open_form(),
            [tick("nsp", true), tick("ost", true), tick("nsp", true)],
        );
        assert_eq!(
            form(&s).drafts["services"],
            Draft::Choices(vec!["ost".into(), "nsp".into()])
        );
        // Sent in the survey's order, not the ticking order.
        assert_eq!(form(&s).answers()["services"], json!(["ost", "nsp"]));

        let s = reduce(s, [tick("ost", false), tick("nsp", false)]);
        assert!(!form(&s).answers().contains_key("services"));
    }

    #[test]
    fn single_choice_keeps_the_last_pick() {
        let s = reduce(open_form(), [choose("ge"), choose("md")]);
        assert_eq!(form(&s).answers()["country"], json!("md"));
        assert_eq!(form(&s).answers().len(), 1);
    }

    #[test]
    fn answers_json_leaves_out_blanks_and_types_numbers() {
        let s = reduce(
            open_form(),
            [choose("ge"), text("years", " 12 "), text("comment", "   ")],
        );
        assert_eq!(
            Value::Object(form(&s).answers()),
            json!({"country": "ge", "years": 12})
        );

        let s = reduce(s, [text("years", "1.5"), text("comment", "ok")]);
        assert_eq!(
            Value::Object(form(&s).answers()),
            json!({"country": "ge", "years": "1.5", "comment": "ok"})
        );

        let s = reduce(s, [text("years", "")]);
        assert!(!form(&s).answers().contains_key("years"));
    }

    #[test]
    fn submit_reports_every_problem_from_validate_and_focuses_the_first() {
        let s = reduce(
            open_form(),
            [
                text("years", "99"),
                text("comment", "far too long"),
                Action::Submit,
            ],
        );
        let f = form(&s);
        let found: Vec<(&str, &str)> = f
            .errors
            .iter()
            .map(|e| match &e.text {
                ErrorText::Problem(p) => (e.question.as_str(), p.code()),
                ErrorText::Server(_) => (e.question.as_str(), "server"),
            })
            .collect();
        assert_eq!(
            found,
            [
                ("country", "required"),
                ("years", "above_max"),
                ("comment", "too_long")
            ]
        );
        assert_eq!(f.status, SendStatus::Editing);
        assert_eq!(f.refusals, 1);
        assert_eq!(f.first_error_target(), "q-country-ge");
        assert_eq!(s.outgoing(), None);
        assert_eq!(
            f.errors[1].message("en"),
            "Please enter a number of at most 60."
        );

        // Answering a question clears its errors only.
        let s = reduce(s, [choose("md")]);
        assert_eq!(form(&s).errors.len(), 2);
        assert_eq!(form(&s).first_error_target(), "q-years");
    }

    #[test]
    fn an_unreadable_number_is_refused_not_dropped() {
        let s = reduce(
            open_form(),
            [
                choose("ge"),
                text("years", UNREADABLE_NUMBER),
                Action::Submit,
            ],
        );
        assert_eq!(form(&s).errors.len(), 1);
        assert_eq!(form(&s).errors[0].question, "years");
    }

    #[test]
    fn a_valid_form_is_sent_once_and_retried_with_the_same_id() {
        let s = reduce(
            open_form(),
            [choose("ge"), tick("art", true), Action::Submit],
        );
        let out = s.outgoing().expect("sending");
        assert_eq!(out.survey_id, "s1");
        assert_eq!(out.attempt, 1);
        assert_eq!(plain(&out).submission_id, "id-1");
        assert_eq!(
            Value::Object(plain(&out).answers.clone()),
            json!({"country": "ge", "services": ["art"]})
        );

        // A second press while sending does nothing.
        let s = reduce(s, [Action::Submit]);
        assert_eq!(s.outgoing().map(|o| o.attempt), Some(1));

        // The network fails: the answers stay, and the retry reuses the id.
        let s = reduce(
            s,
            [Action::Sent {
                submission_id: "id-1".into(),
                outcome: SendOutcome::NetworkError,
            }],
        );
        assert_eq!(form(&s).status, SendStatus::NetworkError);
        assert_eq!(s.outgoing(), None);
        let s = reduce(s, [Action::Submit]);
        let again = s.outgoing().expect("sending again");
        assert_eq!(again.attempt, 2);
        assert_eq!(again.body, out.body);

        let s = reduce(
            s,
            [Action::Sent {
                submission_id: "id-1".into(),
                outcome: SendOutcome::Stored,
            }],
        );
        assert_eq!(s.screen_key(), "done/s1");
    }

    #[test]
    fn refusals_from_the_collector_are_shown_by_question() {
        let s = reduce(
            open_form(),
            [
                choose("ge"),
                Action::Submit,
                Action::Sent {
                    submission_id: "id-1".into(),
                    outcome: SendOutcome::Refused {
                        message: "invalid answers".into(),
                        details: vec![
                            (Some("country".into()), "no longer offered".into()),
                            (None, "something else".into()),
                        ],
                    },
                },
            ],
        );
        let f = form(&s);
        assert_eq!(f.status, SendStatus::Editing);
        assert_eq!(
            f.errors.iter().filter(|e| e.question == "country").count(),
            1
        );
        assert_eq!(f.stray_errors().count(), 1);
        assert_eq!(f.first_error_target(), "q-country-ge");

        // A refusal without details is shown as a whole.
        let s = reduce(
            s,
            [
                Action::Submit,
                Action::Sent {
                    submission_id: "id-1".into(),
                    outcome: SendOutcome::Refused {
                        message: "survey closed".into(),
                        details: vec![],
                    },
                },
            ],
        );
        assert_eq!(form(&s).status, SendStatus::Refused("survey closed".into()));
    }

    #[test]
    fn a_late_answer_for_another_form_changes_nothing() {
        let s = reduce(open_form(), [choose("ge"), Action::Submit]);
        let before = s.clone();
        let s = reduce(
            s,
            [Action::Sent {
                submission_id: "other".into(),
                outcome: SendOutcome::Stored,
            }],
        );
        assert_eq!(s, before);
    }

    #[test]
    fn try_again_reloads_a_failed_catalogue_only() {
        let s = reduce(State::default(), [Action::ReloadCatalogue]);
        assert_eq!(s.catalogue_load, 1);
        let s = reduce(s, [Action::CatalogueFailed, Action::ReloadCatalogue]);
        assert_eq!(s.catalogue, Catalogue::Loading);
        assert_eq!(s.catalogue_load, 2);
    }

    #[test]
    fn leaving_after_a_failed_catalogue_loads_it_again() {
        let s = reduce(State::default(), [Action::CatalogueFailed]);
        let load = s.catalogue_load;
        let s = reduce(s, [Action::BackToList]);
        assert_eq!(s.catalogue, Catalogue::Loading);
        assert_eq!(s.catalogue_load, load + 1);
    }

    // ---- the whole survey language ----

    fn every_type() -> Survey {
        serde_json::from_value(json!({
            "id": "all",
            "version": 2,
            "languages": ["ru", "en"],
            "default_language": "ru",
            "title": {"ru": "Все", "en": "All"},
            "privacy_budget": "1",
            "questions": [
                {"id": "consent", "type": "consent", "label": {"ru": "Согласие", "en": "Consent"}},
                {"id": "intro", "type": "note", "label": {"ru": "Заметка", "en": "Note"}},
                {"id": "gender", "type": "single_choice", "other": true,
                 "label": {"ru": "Пол", "en": "Gender"},
                 "choices": [{"id": "f", "label": {"ru": "Ж", "en": "F"}},
                             {"id": "m", "label": {"ru": "М", "en": "M"}}]},
                {"id": "drugs", "type": "multiple_choice", "other": true,
                 "label": {"ru": "Вещества", "en": "Drugs"},
                 "choices": [{"id": "opioids", "label": {"ru": "Опиоиды", "en": "Opioids"}},
                             {"id": "stims", "label": {"ru": "Стимуляторы", "en": "Stimulants"}},
                             {"id": "none", "exclusive": true,
                              "label": {"ru": "Ничего", "en": "None"}}]},
                {"id": "dose", "type": "decimal", "label": {"ru": "Доза", "en": "Dose"}},
                {"id": "since", "type": "date", "max": "today",
                 "label": {"ru": "С", "en": "Since"}},
                {"id": "score", "type": "rating", "scale": 5,
                 "label": {"ru": "Оценка", "en": "Score"}},
                {"id": "agree", "type": "grid", "label": {"ru": "Согласие", "en": "Agreement"},
                 "statements": [{"id": "a", "label": {"ru": "А", "en": "A"}},
                                {"id": "b", "label": {"ru": "Б", "en": "B"}}],
                 "scale": [{"id": "yes", "label": {"ru": "Да", "en": "Yes"}},
                           {"id": "no", "label": {"ru": "Нет", "en": "No"}}]},
                {"id": "top", "type": "ranking", "rank": 2,
                 "label": {"ru": "Главное", "en": "Priorities"},
                 "choices": [{"id": "x", "label": {"ru": "X", "en": "X"}},
                             {"id": "y", "label": {"ru": "Y", "en": "Y"}},
                             {"id": "z", "label": {"ru": "Z", "en": "Z"}}]},
                {"id": "story", "type": "long_text", "max_length": 5000,
                 "label": {"ru": "История", "en": "Story"}},
                {"id": "total", "type": "calculate", "expression": "1 + 1"}
            ]
        }))
        .expect("every-type survey parses")
    }

    fn paged() -> Survey {
        serde_json::from_value(json!({
            "id": "paged",
            "version": 1,
            "languages": ["ru", "en"],
            "default_language": "ru",
            "title": {"ru": "Страницы", "en": "Pages"},
            "privacy_budget": "1",
            "sections": [
                {"id": "p1", "title": {"ru": "Первая", "en": "First"}},
                {"id": "p2", "title": {"ru": "Вторая", "en": "Second"}},
                {"id": "empty", "title": {"ru": "Пустая", "en": "Empty"}},
                {"id": "p3", "title": {"ru": "Третья", "en": "Third"}}
            ],
            "questions": [
                {"id": "country", "type": "single_choice", "required": true, "section": "p1",
                 "label": {"ru": "Страна", "en": "Country"},
                 "choices": [{"id": "ge", "label": {"ru": "Грузия", "en": "Georgia"}},
                             {"id": "kg", "label": {"ru": "Кыргызстан", "en": "Kyrgyzstan"}}]},
                {"id": "years", "type": "integer", "max": 60, "required": true, "section": "p2",
                 "label": {"ru": "Лет", "en": "Years"}},
                {"id": "comment", "type": "short_text", "max_length": 50, "section": "p3",
                 "label": {"ru": "Комментарий", "en": "Comment"}}
            ]
        }))
        .expect("paged survey parses")
    }

    fn open(survey: Survey) -> State {
        let id = survey.id.clone();
        reduce(
            State::default(),
            [
                Action::Open(id),
                Action::Opened {
                    survey: Box::new(survey),
                    submission_id: "sub-1".into(),
                },
            ],
        )
    }

    fn on(question: &str, a: impl Fn(String) -> Action) -> Action {
        a(question.to_string())
    }

    fn codes(f: &Form) -> Vec<(String, String)> {
        f.errors
            .iter()
            .map(|e| {
                let code = match &e.text {
                    ErrorText::Problem(p) => p.code().to_string(),
                    ErrorText::Server(m) => m.clone(),
                };
                (e.question.clone(), code)
            })
            .collect()
    }

    fn page_title(s: &State) -> String {
        let f = form(s);
        let vis = f.visible();
        f.section(&vis)
            .map(|sec| f.survey.tr(&sec.title, "en").to_string())
            .unwrap_or_default()
    }

    #[test]
    fn sections_are_pages_and_empty_ones_are_skipped() {
        let s = open(paged());
        let f = form(&s);
        let vis = f.visible();
        assert_eq!(f.pages().len(), 4);
        assert_eq!(f.shown_pages(&vis), [0, 1, 3]);
        assert_eq!(f.position(&vis), (1, 3));
        assert_eq!(page_title(&s), "First");
        let ids: Vec<&str> = f
            .page_questions(&vis)
            .iter()
            .map(|q| q.id.as_str())
            .collect();
        assert_eq!(ids, ["country"]);
        assert!(!f.on_last_page(&vis));
        assert_eq!(s.heading(), ("form/paged/1".to_string(), MAIN_HEADING_ID));

        // A survey without sections is one page, calculations left out.
        let s = open(every_type());
        let f = form(&s);
        let vis = f.visible();
        assert_eq!(f.position(&vis), (1, 1));
        assert!(f.on_last_page(&vis));
        assert!(f.section(&vis).is_none());
        assert_eq!(f.page_questions(&vis).len(), 10);
    }

    #[test]
    fn next_checks_only_this_page_and_back_keeps_the_answers() {
        let s = reduce(open(paged()), [Action::NextPage]);
        // Only page 1's problem, although `years` (page 2) is required too.
        assert_eq!(codes(form(&s)), [("country".into(), "required".into())]);
        assert_eq!(form(&s).refusals, 1);
        assert_eq!(form(&s).first_error_target(), "q-country-ge");
        assert_eq!(page_title(&s), "First");

        let s = reduce(
            s,
            [
                on("country", |question| Action::Choose {
                    question,
                    choice: "kg".into(),
                }),
                Action::NextPage,
            ],
        );
        assert!(form(&s).errors.is_empty());
        assert_eq!(page_title(&s), "Second");
        assert_eq!(form(&s).position(&form(&s).visible()), (2, 3));
        assert_eq!(s.heading(), ("form/paged/2".to_string(), SECTION_TITLE_ID));

        // Enter in a field (Submit) before the last page is Next.
        let s = reduce(s, [text("years", "70"), Action::Submit]);
        assert_eq!(codes(form(&s)), [("years".into(), "above_max".into())]);
        assert_eq!(form(&s).status, SendStatus::Editing);
        assert_eq!(s.outgoing(), None);
        assert_eq!(page_title(&s), "Second");

        let s = reduce(s, [Action::PreviousPage]);
        assert_eq!(page_title(&s), "First");
        assert_eq!(form(&s).drafts["country"], Draft::Choice("kg".into()));
        let s = reduce(s, [Action::PreviousPage]);
        assert_eq!(page_title(&s), "First");

        let s = reduce(
            s,
            [
                Action::NextPage,
                text("years", "7"),
                Action::NextPage,
                // Skips the section without questions.
            ],
        );
        assert_eq!(page_title(&s), "Third");
        assert!(form(&s).on_last_page(&form(&s).visible()));
        let s = reduce(s, [text("comment", "ok"), Action::Submit]);
        assert_eq!(
            Value::Object(plain(&s.outgoing().expect("sending")).answers.clone()),
            json!({"country": "kg", "years": 7, "comment": "ok"})
        );
        // Next on the last page goes nowhere.
        let s = reduce(s, [Action::NextPage]);
        assert_eq!(page_title(&s), "Third");
    }

    #[test]
    fn a_refusal_goes_to_the_first_page_with_an_error() {
        let s = reduce(
            open(paged()),
            [
                on("country", |question| Action::Choose {
                    question,
                    choice: "ge".into(),
                }),
                Action::NextPage,
                text("years", "3"),
                Action::NextPage,
                Action::Submit,
                Action::Sent {
                    submission_id: "sub-1".into(),
                    outcome: SendOutcome::Refused {
                        message: "invalid".into(),
                        details: vec![(Some("country".into()), "closed for Georgia".into())],
                    },
                },
            ],
        );
        assert_eq!(page_title(&s), "First");
        let f = form(&s);
        assert!(f.shows_errors(&f.visible()));
        assert_eq!(f.first_error_target(), "q-country-ge");
    }

    #[test]
    fn an_exclusive_option_unticks_the_others_and_the_other_way_round() {
        let t = |choice: &str, ticked: bool| Action::Tick {
            question: "drugs".into(),
            choice: choice.into(),
            ticked,
        };
        let s = reduce(open(every_type()), [t("opioids", true), t("stims", true)]);
        assert_eq!(
            form(&s).drafts["drugs"],
            Draft::Choices(vec!["opioids".into(), "stims".into()])
        );
        let s = reduce(s, [t("none", true)]);
        assert_eq!(
            form(&s).drafts["drugs"],
            Draft::Choices(vec!["none".into()])
        );
        let s = reduce(s, [t("other", true)]);
        assert_eq!(
            form(&s).drafts["drugs"],
            Draft::Choices(vec!["other".into()])
        );
        let s = reduce(s, [t("stims", true), t("none", false)]);
        assert_eq!(
            form(&s).answers()["drugs"],
            json!(["stims", "other"]),
            "the survey's order, other last"
        );
    }

    #[test]
    fn ranks_move_and_swap() {
        let r = |choice: &str, rank: Option<u32>| Action::Rank {
            question: "top".into(),
            choice: choice.into(),
            rank,
        };
        let s = reduce(open(every_type()), [r("z", Some(1))]);
        assert_eq!(
            form(&s).drafts["top"],
            Draft::Ranks(vec![Some("z".into()), None])
        );
        assert_eq!(form(&s).answers()["top"], json!(["z"]));

        // x takes rank 1: z, which had no other rank to give, loses its rank.
        let s = reduce(s, [r("y", Some(2)), r("x", Some(1))]);
        assert_eq!(form(&s).answers()["top"], json!(["x", "y"]));
        // y moves to rank 1: x takes y's old rank 2.
        let s = reduce(s, [r("y", Some(1))]);
        assert_eq!(form(&s).answers()["top"], json!(["y", "x"]));
        // Out of range and taking a rank away.
        let s = reduce(s, [r("z", Some(3)), r("y", None)]);
        assert_eq!(
            form(&s).drafts["top"],
            Draft::Ranks(vec![None, Some("x".into())])
        );
        let s = reduce(s, [r("x", None)]);
        assert!(!form(&s).answers().contains_key("top"));
    }

    #[test]
    fn answers_json_for_every_type() {
        let s = reduce(
            open(every_type()),
            [
                Action::Check {
                    question: "consent".into(),
                    checked: true,
                },
                Action::Choose {
                    question: "gender".into(),
                    choice: "other".into(),
                },
                text("gender_other", " небинарн "),
                Action::Tick {
                    question: "drugs".into(),
                    choice: "opioids".into(),
                    ticked: true,
                },
                text("drugs_other", "unused: other not ticked"),
                text("dose", "1,5"),
                text("since", "2024-02-29"),
                Action::Choose {
                    question: "score".into(),
                    choice: "4".into(),
                },
                Action::Grade {
                    question: "agree".into(),
                    statement: "b".into(),
                    choice: "no".into(),
                },
                Action::Grade {
                    question: "agree".into(),
                    statement: "a".into(),
                    choice: "yes".into(),
                },
                Action::Grade {
                    question: "agree".into(),
                    statement: "b".into(),
                    choice: "yes".into(),
                },
                Action::Rank {
                    question: "top".into(),
                    choice: "y".into(),
                    rank: Some(1),
                },
                Action::Rank {
                    question: "top".into(),
                    choice: "z".into(),
                    rank: Some(2),
                },
                text("story", "Это случилось в 2023.\nПолиция."),
                // Notes and calculations never take an answer.
                text("intro", "x"),
                text("total", "2"),
            ],
        );
        assert_eq!(
            Value::Object(form(&s).answers()),
            json!({
                "consent": true,
                "gender": "other",
                "gender_other": " небинарн ",
                "drugs": ["opioids"],
                "dose": 1.5,
                "since": "2024-02-29",
                "score": 4,
                "agree": {"a": "yes", "b": "yes"},
                "top": ["y", "z"],
                "story": "Это случилось в 2023.\nПолиция."
            })
        );

        // Unticked consent, a blank other text, odd numbers, blank fields.
        let s = reduce(
            s,
            [
                Action::Check {
                    question: "consent".into(),
                    checked: false,
                },
                text("gender_other", "  "),
                text("dose", "1.2.3"),
                text("since", ""),
                text("story", " "),
            ],
        );
        let a = form(&s).answers();
        assert!(!a.contains_key("consent"));
        assert!(!a.contains_key("gender_other"));
        assert_eq!(a["gender"], json!("other"));
        assert_eq!(a["dose"], json!("1.2.3"), "kept for validation to name");
        assert!(!a.contains_key("since"));
        assert!(!a.contains_key("story"));

        for (typed, sent) in [
            ("-0,25", json!(-0.25)),
            (".5", json!(0.5)),
            ("-.5", json!(-0.5)),
            ("3.", json!(3.0)),
            ("2", json!(2.0)),
            ("1e400", json!("1e400")),
            ("12abc", json!("12abc")),
        ] {
            let s = reduce(s.clone(), [text("dose", typed)]);
            assert_eq!(form(&s).answers()["dose"], sent, "{typed}");
        }
    }

    #[test]
    fn clearing_un_answers_a_question_and_its_other_text() {
        let s = reduce(
            open(every_type()),
            [
                Action::Choose {
                    question: "gender".into(),
                    choice: "other".into(),
                },
                text("gender_other", "x"),
                Action::Choose {
                    question: "score".into(),
                    choice: "2".into(),
                },
                Action::Clear {
                    question: "gender".into(),
                },
                Action::Clear {
                    question: "score".into(),
                },
            ],
        );
        assert!(form(&s).answers().is_empty());
        assert!(form(&s).drafts.is_empty());
    }

    #[test]
    fn questions_not_asked_are_not_sent() {
        let survey = every_type();
        let mut drafts = BTreeMap::new();
        drafts.insert("gender".to_string(), Draft::Choice("other".into()));
        drafts.insert("gender_other".to_string(), Draft::Text("x".into()));
        drafts.insert("story".to_string(), Draft::Text("private".into()));
        drafts.insert("total".to_string(), Draft::Text("2".into()));
        let mut vis = Visibility::everything(&survey);
        assert_eq!(
            Value::Object(answers_json(&survey, &drafts, &vis)),
            json!({"gender": "other", "gender_other": "x", "story": "private"})
        );
        vis.hidden.insert("gender".into());
        assert_eq!(
            Value::Object(answers_json(&survey, &drafts, &vis)),
            json!({"story": "private"})
        );

        // A hidden section hides its questions, and its page.
        let survey = paged();
        let mut drafts = BTreeMap::new();
        drafts.insert("years".to_string(), Draft::Text("5".into()));
        drafts.insert("comment".to_string(), Draft::Text("c".into()));
        let mut vis = Visibility::everything(&survey);
        vis.hidden_sections.insert("p2".into());
        assert_eq!(
            Value::Object(answers_json(&survey, &drafts, &vis)),
            json!({"comment": "c"})
        );
        let f = Form::new(survey, "id".into());
        assert_eq!(f.shown_pages(&vis), [0, 3]);
    }

    #[test]
    fn options_are_shuffled_per_form_with_fixed_ones_in_place() {
        let mut survey = every_type();
        let choices: Vec<Choice> = (0..8)
            .map(|i| Choice {
                id: format!("c{i}"),
                label: surveys::Text::default(),
                exclusive: false,
                fixed: i == 7,
            })
            .collect();
        survey.questions[3].kind = QuestionKind::MultipleChoice {
            choices,
            other: false,
            randomize: true,
            min_selected: None,
            max_selected: None,
        };
        let order = |seed: &str| -> Vec<String> {
            let f = Form::new(survey.clone(), seed.into());
            let q = &f.survey.questions[3];
            f.choices_in_order(q).iter().map(|c| c.id.clone()).collect()
        };
        let first = order("a");
        assert_eq!(first, order("a"), "stable for one form");
        assert_eq!(first[7], "c7", "fixed stays last");
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).map(|i| format!("c{i}")).collect::<Vec<_>>());
        let orders: BTreeSet<Vec<String>> = (0..20).map(|i| order(&format!("seed-{i}"))).collect();
        assert!(orders.len() > 10, "orders differ between forms");

        // Without `randomize` the survey's order.
        let f = Form::new(every_type(), "a".into());
        let q = &f.survey.questions[3];
        let ids: Vec<&str> = f
            .choices_in_order(q)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["opioids", "stims", "none"]);
    }

    #[test]
    fn first_fields_and_date_bounds() {
        let f = Form::new(every_type(), "a".into());
        let id = |q: &str| f.first_field_id(f.survey.question(q).expect("question"));
        assert_eq!(id("gender"), "q-gender-f");
        assert_eq!(id("score"), "q-score-1");
        assert_eq!(id("agree"), "q-agree-a-yes");
        assert_eq!(id("top"), "q-top-rank-x");
        assert_eq!(id("since"), "q-since");
        assert_eq!(id("consent"), "q-consent");
        let day = surveys::Date::from_unix_seconds(1_764_374_400);
        assert_eq!(date_bound("today", day), day.to_string());
        assert_eq!(date_bound("2020-01-01", day), "2020-01-01");
        assert_eq!(ranks_asked(&f.survey.questions[8].kind), 2);
    }

    #[test]
    fn an_error_on_the_other_text_points_at_it() {
        let s = reduce(
            open(every_type()),
            [Action::Choose {
                question: "gender".into(),
                choice: "other".into(),
            }],
        );
        // Sending, whatever validate makes of this survey today.
        let mut s = s;
        if let Screen::Form(f) = &mut s.screen {
            f.status = SendStatus::Sending;
        }
        let s = reduce(
            s,
            [Action::Sent {
                submission_id: "sub-1".into(),
                outcome: SendOutcome::Refused {
                    message: "invalid".into(),
                    details: vec![(Some("gender_other".into()), "say what".into())],
                },
            }],
        );
        let f = form(&s);
        assert_eq!(f.stray_errors().count(), 0);
        let gender = f.survey.question("gender").expect("gender");
        assert_eq!(f.errors_for(gender).count(), 1);
        assert_eq!(f.first_error_target(), "q-gender_other");
        let s = reduce(s, [text("gender_other", "x")]);
        assert!(form(&s).errors.is_empty());
    }

    fn with_logic() -> Survey {
        serde_json::from_value(json!({
            "id": "logic",
            "version": 1,
            "languages": ["en"],
            "default_language": "en",
            "title": {"en": "Logic"},
            "privacy_budget": "1",
            "sections": [
                {"id": "what", "title": {"en": "What happened"}},
                {"id": "police", "title": {"en": "Police"},
                 "relevant": "selected(who, 'police')"},
                {"id": "end", "title": {"en": "End"}}
            ],
            "questions": [
                {"id": "who", "type": "multiple_choice", "section": "what", "required": true,
                 "label": {"en": "Who?"},
                 "choices": [{"id": "police", "label": {"en": "Police"}},
                             {"id": "clinic", "label": {"en": "Clinic"}}]},
                {"id": "clinic_kind", "type": "short_text", "max_length": 100, "section": "what",
                 "relevant": "selected(who, 'clinic')", "required": true,
                 "label": {"en": "Which clinic service?"}},
                {"id": "detained", "type": "single_choice", "section": "police",
                 "label": {"en": "Detained?"},
                 "choices": [{"id": "yes", "label": {"en": "Yes"}},
                             {"id": "no", "label": {"en": "No"}}]},
                {"id": "comment", "type": "long_text", "max_length": 1000, "section": "end",
                 "label": {"en": "Anything else?"}}
            ]
        }))
        .expect("logic survey parses")
    }

    #[test]
    fn skip_logic_comes_from_the_engine_and_hidden_answers_are_not_sent() {
        let tick = |choice: &str, ticked: bool| Action::Tick {
            question: "who".into(),
            choice: choice.into(),
            ticked,
        };
        let asked = |s: &State| -> Vec<String> {
            let f = form(s);
            let vis = f.visible();
            f.page_questions(&vis)
                .iter()
                .map(|q| q.id.clone())
                .collect()
        };
        let s = open(with_logic());
        assert_eq!(asked(&s), ["who"]);
        assert_eq!(form(&s).position(&form(&s).visible()), (1, 2));

        // Ticking "clinic" shows a required follow-up on the same page.
        let s = reduce(s, [tick("clinic", true)]);
        assert_eq!(asked(&s), ["who", "clinic_kind"]);
        let f = form(&s);
        let kind = f.survey.question("clinic_kind").expect("question");
        assert!(f.visible().requires(kind));
        let s = reduce(s, [Action::NextPage]);
        assert_eq!(codes(form(&s)), [("clinic_kind".into(), "required".into())]);

        // "police" brings in the police page; "clinic" untick hides the
        // follow-up, whose text is then not sent.
        let s = reduce(
            s,
            [
                text("clinic_kind", "OST site"),
                tick("police", true),
                tick("clinic", false),
            ],
        );
        assert_eq!(asked(&s), ["who"]);
        assert_eq!(form(&s).position(&form(&s).visible()), (1, 3));
        let s = reduce(s, [Action::NextPage]);
        assert_eq!(page_title(&s), "Police");
        let s = reduce(
            s,
            [
                Action::Choose {
                    question: "detained".into(),
                    choice: "yes".into(),
                },
                Action::NextPage,
                text("comment", "x"),
            ],
        );
        assert_eq!(page_title(&s), "End");
        assert_eq!(
            Value::Object(form(&s).answers()),
            json!({"who": ["police"], "detained": "yes", "comment": "x"})
        );

        // Back, untick police: the police page goes, and its answer with it.
        let s = reduce(
            s,
            [
                Action::PreviousPage,
                Action::PreviousPage,
                tick("clinic", true),
                tick("police", false),
            ],
        );
        assert_eq!(page_title(&s), "What happened");
        assert_eq!(
            Value::Object(form(&s).answers()),
            json!({"who": ["clinic"], "clinic_kind": "OST site", "comment": "x"})
        );
        let s = reduce(s, [Action::NextPage]);
        assert_eq!(page_title(&s), "End", "the police page is skipped");
        let s = reduce(s, [Action::Submit]);
        assert!(s.outgoing().is_some());
    }

    // ---- sealed surveys ----

    const SEALED_ID: &str = "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10";
    const CANARY: &str = "canary-7731-ostrov-zhizni";

    fn with_keys(mut survey: Survey, keys: &[String]) -> Survey {
        survey.public_keys = keys.to_vec();
        survey
    }

    fn open_as(survey: Survey, submission_id: &str) -> State {
        let id = survey.id.clone();
        reduce(
            State::default(),
            [
                Action::Open(id),
                Action::Opened {
                    survey: Box::new(survey),
                    submission_id: submission_id.into(),
                },
            ],
        )
    }

    fn sealed_body(out: &Outgoing) -> Rc<SealedSubmission> {
        match &out.body {
            Body::Sealed(s) => Rc::clone(s),
            Body::Plain(_) => panic!("a sealed survey sends only its envelope"),
        }
    }

    fn opened(key: &seal::SecretKey, survey: &Survey, sealed: &SealedSubmission) -> Value {
        let bytes = seal::decode(&sealed.envelope).expect("base64url");
        let answers = surveys::sealing::open_answers(
            key,
            &survey.id,
            survey.version,
            &sealed.submission_id,
            &bytes,
        )
        .expect("the envelope opens");
        Value::Object(answers)
    }

    fn filled() -> Vec<Action> {
        vec![
            Action::Choose {
                question: "gender".into(),
                choice: "other".into(),
            },
            text("gender_other", "небинарн"),
            text("dose", "1,5"),
            Action::Grade {
                question: "agree".into(),
                statement: "a".into(),
                choice: "yes".into(),
            },
            text("story", CANARY),
            Action::Submit,
        ]
    }

    #[test]
    fn a_survey_without_keys_sends_the_same_body_as_before() {
        let s = reduce(open_as(every_type(), SEALED_ID), filled());
        let out = s.outgoing().expect("sending");
        assert_eq!(
            serde_json::to_value(&out.body).expect("json"),
            json!({
                "submission_id": SEALED_ID,
                "version": 2,
                "answers": {"gender": "other", "gender_other": "небинарн", "dose": 1.5,
                            "agree": {"a": "yes"}, "story": CANARY}
            })
        );
    }

    #[test]
    fn a_sealed_survey_sends_only_the_envelope_of_the_same_answers() {
        let key = seal::SecretKey::generate();
        let survey = with_keys(every_type(), &[key.public().to_string()]);
        let plaintext = reduce(open_as(every_type(), SEALED_ID), filled());
        let answers = Value::Object(
            plain(&plaintext.outgoing().expect("sending"))
                .answers
                .clone(),
        );

        let s = reduce(open_as(survey.clone(), SEALED_ID), filled());
        let out = s.outgoing().expect("sending");
        assert_eq!((out.survey_id.as_str(), out.attempt), ("all", 1));
        assert_eq!(out.body.submission_id(), SEALED_ID);
        let body = serde_json::to_value(&out.body).expect("json");
        let fields: Vec<&str> = body
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["envelope", "submission_id", "version"]);
        assert_eq!(body["submission_id"], json!(SEALED_ID));
        assert_eq!(body["version"], json!(2));
        assert!(!body.to_string().contains(CANARY));
        let first = sealed_body(&out);
        assert_eq!(opened(&key, &survey, &first), answers);
        // Stable while the request is under way (the effect keys on it).
        assert_eq!(s.outgoing(), Some(out));

        // A retry seals afresh under the same submission id and version.
        let s = reduce(
            s,
            [Action::Sent {
                submission_id: SEALED_ID.into(),
                outcome: SendOutcome::NetworkError,
            }],
        );
        assert_eq!(s.outgoing(), None);
        let s = reduce(s, [Action::Submit]);
        let again = s.outgoing().expect("sending again");
        assert_eq!(again.attempt, 2);
        let second = sealed_body(&again);
        assert_eq!(second.submission_id, SEALED_ID);
        assert_eq!(second.version, 2);
        assert_ne!(second.envelope, first.envelope, "fresh encapsulation");
        assert_eq!(opened(&key, &survey, &second), answers);

        let s = reduce(
            s,
            [Action::Sent {
                submission_id: SEALED_ID.into(),
                outcome: SendOutcome::Stored,
            }],
        );
        assert_eq!(s.screen_key(), "done/all");
    }

    #[test]
    fn a_sealed_survey_checks_the_answers_before_sealing() {
        let key = seal::SecretKey::generate();
        let mut survey = with_keys(every_type(), &[key.public().to_string()]);
        survey.questions[4].kind = QuestionKind::Integer {
            min: None,
            max: Some(3),
        };
        let s = reduce(
            open_as(survey, SEALED_ID),
            [text("dose", "9"), Action::Submit],
        );
        assert_eq!(codes(form(&s)), [("dose".into(), "above_max".into())]);
        assert_eq!(form(&s).status, SendStatus::Editing);
        assert_eq!(s.outgoing(), None);
    }

    #[test]
    fn answers_too_large_to_seal_are_kept_and_the_member_told() {
        let key = seal::SecretKey::generate();
        let mut survey = with_keys(every_type(), &[key.public().to_string()]);
        survey.questions[9].kind = QuestionKind::LongText {
            max_length: surveys::model::LONG_TEXT_LIMIT,
        };
        let mut second = survey.questions[9].clone();
        second.id = "story2".into();
        survey.questions.push(second);
        // Two texts at the limit in Cyrillic: 80 000 bytes of JSON.
        let full = "я".repeat(surveys::model::LONG_TEXT_LIMIT as usize);
        let s = reduce(
            open_as(survey, SEALED_ID),
            [text("story", &full), text("story2", &full), Action::Submit],
        );
        let f = form(&s);
        assert_eq!(f.status, SendStatus::SealFailed(SealFailure::TooLarge));
        assert_eq!(f.refusals, 1);
        assert_eq!(s.outgoing(), None);
        assert_eq!(f.drafts["story"], Draft::Text(full.clone()), "answers kept");

        // Shortening one text clears the message, and then it goes.
        let s = reduce(s, [text("story2", "коротко")]);
        assert_eq!(form(&s).status, SendStatus::Editing);
        let s = reduce(s, [Action::Submit]);
        assert_eq!(form(&s).status, SendStatus::Sending);
        assert!(matches!(
            s.outgoing().map(|o| o.body),
            Some(Body::Sealed(_))
        ));
    }

    #[test]
    fn a_key_that_cannot_seal_sends_nothing() {
        let good = seal::SecretKey::generate().public().to_string();
        for (keys, id) in [
            (vec!["chorus-pk1:AAAA".to_string()], SEALED_ID),
            (vec![good], "not-a-uuid"),
        ] {
            let s = reduce(
                open_as(with_keys(every_type(), &keys), id),
                [text("story", CANARY), Action::Submit],
            );
            let f = form(&s);
            assert_eq!(f.status, SendStatus::SealFailed(SealFailure::Unusable));
            assert_eq!(s.outgoing(), None);
            // Pressing Submit again tries again, and fails the same way.
            let s = reduce(s, [Action::Submit]);
            assert_eq!(form(&s).refusals, 2);
            assert_eq!(s.outgoing(), None);
        }
    }

    #[test]
    fn sealing_failures_are_told_in_every_runner_language() {
        for failure in [SealFailure::TooLarge, SealFailure::Unusable] {
            let texts: BTreeSet<&str> = UI_LANGUAGES
                .iter()
                .map(|(lang, _)| failure.message(lang))
                .collect();
            assert_eq!(texts.len(), UI_LANGUAGES.len(), "{failure:?}");
            assert_eq!(failure.message("xx"), failure.message("en"));
        }
        assert_ne!(
            SealFailure::TooLarge.message("ru"),
            SealFailure::Unusable.message("ru")
        );
    }
}
