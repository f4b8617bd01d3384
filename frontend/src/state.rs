//! The runner's state and every change to it, as a pure reducer.
//!
//! Nothing here touches the DOM or the network: the components dispatch
//! [`Action`]s, effects in `main.rs` perform the requests and dispatch their
//! outcomes. The page logic — pages, relevance, drafts, the checks on Next,
//! the review — is the `runner` crate's, shared with the collector's
//! server-rendered runner; the rules on answers are `surveys::validate`'s.
//! This module keeps track of the screen, the language and sending.
//!
//! One step is not pure: for a sealed survey, [`Action::Submit`] on the
//! review seals the answers it would have sent (`surveys::sealing`, with the
//! generator's randomness), and only that envelope is sent.

use std::ops::Deref;
use std::rc::Rc;

use runner::outbox;
use serde::{Serialize, Serializer};
use surveys::i18n::{Ui, ui};
use surveys::sealing::{SealedSubmission, SealingError, seal_answers, sealing_key};
use surveys::{Submission, Survey};
use yew::Reducible;

pub use runner::ids::{MAIN_HEADING_ID, SECTION_TITLE_ID};
pub use runner::{Draft, Edit, ErrorText, FieldError};

/// The language the runner starts in.
pub const INITIAL_LANGUAGE: &str = "ru";

/// One entry of `GET /api/surveys` (the type is shared with the collector).
pub use surveys::SurveySummary;

/// The list of open surveys.
#[derive(Clone, Debug, PartialEq)]
pub enum Catalogue {
    Loading,
    Loaded(Vec<SurveySummary>),
    Failed,
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

    /// What the member is told. Nothing was sent, and the answers are
    /// still on the page.
    pub fn message(self, lang: &str) -> &'static str {
        ui(
            lang,
            match self {
                SealFailure::TooLarge => Ui::SealTooLarge,
                SealFailure::Unusable => Ui::SealUnusable,
            },
        )
    }
}

/// What came back from `POST /api/surveys/{id}/responses`.
#[derive(Clone, Debug, PartialEq)]
pub enum SendOutcome {
    /// Stored now, or stored before (a retry of the same submission).
    Stored,
    /// No usable answer: offline, timeout, server error, something not ours.
    NetworkError,
    /// No usable answer, but the submission is kept on the device, in the
    /// outbox, and will be sent from there (`crate::queue`).
    Saved,
    /// A 4xx refusal: the message, and `(question, message)` per answer.
    Refused {
        message: String,
        details: Vec<(Option<String>, String)>,
    },
}

/// A form being filled in, and where sending it stands. The page logic is
/// [`runner::Form`]'s (reached through `Deref`).
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    core: runner::Form,
    pub status: SendStatus,
    /// Counts attempts to send; a new value starts a request.
    pub attempt: u32,
    /// Counts refusals (here or by the collector); a new value moves focus
    /// to the first error.
    pub refusals: u32,
    /// For a sealed survey, the envelope of the latest attempt to send:
    /// sealed when Submit passes validation, so that the request (and the
    /// effect that makes it) stays the same while it is under way. Every
    /// attempt seals afresh, with the same submission id.
    sealed: Option<Rc<SealedSubmission>>,
    /// Kept on this phone, locked with the member's passphrase, and saved
    /// as it changes (a survey with `drafts = true`; see `crate::drafts`).
    pub kept: bool,
}

impl Deref for Form {
    type Target = runner::Form;

    fn deref(&self) -> &runner::Form {
        &self.core
    }
}

/// A request to send, for the effect that performs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub survey_id: String,
    /// The survey version the answers were made (and sealed) for.
    pub version: u32,
    pub body: Body,
    pub attempt: u32,
}

impl Outgoing {
    /// The outbox item for this request, due at `now`: the body exactly as
    /// it is sent — the envelope's bytes for a sealed survey, the JSON
    /// submission otherwise. `None` only for an envelope that does not
    /// decode (the runner encoded it, so not reached).
    pub fn item(&self, now: u64) -> Option<outbox::Item> {
        let body = match &self.body {
            Body::Plain(s) => outbox::Body::Plain(serde_json::to_string(s).ok()?),
            Body::Sealed(s) => outbox::Body::Sealed(seal::decode(&s.envelope)?),
        };
        Some(outbox::Item::new(
            self.survey_id.clone(),
            self.version,
            self.body.submission_id().to_string(),
            body,
            now,
        ))
    }
}

/// Whether the device can keep answers waiting to be sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Storage {
    /// Not known yet (the outbox is being opened).
    #[default]
    Unknown,
    /// IndexedDB works: an answer that cannot be sent waits on the device.
    Available,
    /// No IndexedDB (some private windows): answers are sent online only.
    Unavailable,
}

/// A submission the collector refused for good while it waited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub submission_id: String,
    pub survey_id: String,
    /// The collector's message.
    pub message: String,
}

/// What the outbox on the device holds, for the screens (`crate::queue`
/// keeps the outbox itself).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waiting {
    pub storage: Storage,
    /// `navigator.storage.persist()`'s answer, once asked (when an answer
    /// is first kept on the device).
    pub persistent: Option<bool>,
    /// Submissions still to be sent.
    pub count: usize,
    /// Refused while waiting: shown until the member has read them.
    pub refused: Vec<Refusal>,
    /// Submissions that waited and have been stored since the page opened.
    pub received: u32,
}

/// The unfinished answers locked on this phone (`crate::drafts` keeps
/// them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kept {
    /// The drafts' database opened: a survey that allows drafts may offer
    /// to keep the answers.
    pub available: bool,
    /// Locked drafts on the phone.
    pub count: usize,
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
        Form::from_core(runner::Form::new(survey, submission_id))
    }

    /// A form whose drafts and page were read from a page the server
    /// rendered (the takeover).
    pub fn from_core(core: runner::Form) -> Form {
        Form {
            core,
            status: SendStatus::Editing,
            attempt: 0,
            refusals: 0,
            sealed: None,
            kept: false,
        }
    }

    /// What a locked draft of this form holds, while it is kept.
    pub fn unfinished(&self) -> Option<runner::unfinished::Unfinished> {
        self.kept
            .then(|| runner::unfinished::Unfinished::of(&self.core))
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
            version: self.survey.version,
            body,
            attempt: self.attempt,
        })
    }

    /// Seals the answers of [`runner::Form::submission`] to the survey's
    /// first key.
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

    /// Submit on the review: every answer is checked again; when they pass
    /// they are sent (sealed first for a sealed survey), else every problem
    /// is shown from the first page that has one.
    fn send(&mut self) {
        if !self.core.check_all() {
            self.status = SendStatus::Editing;
            self.refusals += 1;
            return;
        }
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
    }

    /// The actions on a form's answers and pages.
    fn apply(&mut self, action: Action) {
        let edit = match action {
            Action::Choose { question, choice } => Edit::Choose { question, choice },
            Action::Tick {
                question,
                choice,
                ticked,
            } => Edit::Tick {
                question,
                choice,
                ticked,
            },
            Action::SetText { question, text } => Edit::SetText { question, text },
            Action::Grade {
                question,
                statement,
                choice,
            } => Edit::Grade {
                question,
                statement,
                choice,
            },
            Action::Rank {
                question,
                choice,
                rank,
            } => Edit::Rank {
                question,
                choice,
                rank,
            },
            Action::Check { question, checked } => Edit::Check { question, checked },
            Action::Clear { question } => Edit::Clear { question },
            Action::AddInstance(repeat) => {
                self.core.add_instance(&repeat);
                return;
            }
            Action::RemoveInstance(repeat, k) => {
                self.core.remove_instance(&repeat, k);
                return;
            }
            Action::NextPage | Action::PreviousPage | Action::Submit | Action::ChangePage(_)
                if self.status == SendStatus::Sending =>
            {
                return;
            }
            Action::NextPage => {
                if !self.core.next_page() {
                    self.refusals += 1;
                }
                return;
            }
            Action::PreviousPage => {
                self.core.previous_page();
                return;
            }
            Action::ChangePage(n) => {
                let vis = self.visible();
                if self.shown_pages(&vis).contains(&n) {
                    self.core.reviewing = false;
                    self.core.set_page(n);
                }
                return;
            }
            // On a page: Next (the last page's opens the review); on the
            // review: send.
            Action::Submit => {
                if self.core.reviewing {
                    self.send();
                } else if !self.core.next_page() {
                    self.refusals += 1;
                }
                return;
            }
            // Handled by the state.
            Action::SetLanguage(_)
            | Action::CatalogueLoaded(_)
            | Action::CatalogueFailed
            | Action::ReloadCatalogue
            | Action::Open(_)
            | Action::Opened { .. }
            | Action::OpenFailed(_)
            | Action::Sent { .. }
            | Action::Waiting(_)
            | Action::Kept(_)
            | Action::Keeping(_)
            | Action::Resumed(_)
            | Action::BackToList => return,
        };
        self.core.edit(edit);
        if matches!(
            self.status,
            SendStatus::Refused(_) | SendStatus::SealFailed(_)
        ) {
            self.status = SendStatus::Editing;
        }
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
    /// Submitted without a connection: the answers wait on the device.
    Saved {
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
    /// The outbox on the device.
    pub waiting: Waiting,
    /// Unfinished answers locked on the device.
    pub kept: Kept,
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
            waiting: Waiting::default(),
            kept: Kept::default(),
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
    /// "Add another": a new, empty instance at the end of a repeat.
    AddInstance(String),
    /// Take instance `k` (from 1) out of a repeat, with its answers.
    RemoveInstance(String, usize),
    /// Check this page and go to the next page asked.
    NextPage,
    /// Go to the page asked before this one.
    PreviousPage,
    /// On a page, the same as [`Action::NextPage`] (the last page's opens
    /// the review); on the review, send.
    Submit,
    /// From the review to page `n` (an index in the form's pages).
    ChangePage(usize),
    /// The collector's answer to the attempt of `submission_id`.
    Sent {
        submission_id: String,
        outcome: SendOutcome,
    },
    /// What the outbox on the device holds now.
    Waiting(Waiting),
    /// What the drafts' store holds now.
    Kept(Kept),
    /// The open form is now kept on the phone, locked (or no longer is:
    /// the member deleted it from the phone).
    Keeping(bool),
    /// A locked draft opened with its passphrase, on its survey's current
    /// definition: the form continues where it stopped, kept.
    Resumed(Box<runner::Form>),
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
            Screen::Saved { survey } => format!("saved/{}", survey.id),
        }
    }

    /// Names the screen and page, with the id of the heading to focus when
    /// it changes: the page's section title on a form past its first page.
    pub fn heading(&self) -> (String, &'static str) {
        match &self.screen {
            Screen::Form(f) if f.reviewing => {
                (format!("{}/review", self.screen_key()), SECTION_TITLE_ID)
            }
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
                if let Some(code) = surveys::i18n::ui_language(&lang) {
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
            Action::Waiting(waiting) => self.waiting = waiting,
            Action::Kept(kept) => self.kept = kept,
            Action::Keeping(on) => {
                if let Screen::Form(f) = &mut self.screen
                    && f.survey.drafts
                {
                    f.kept = on;
                }
            }
            Action::Resumed(core) if matches!(self.screen, Screen::List { .. }) => {
                let mut form = Form::from_core(*core);
                form.kept = form.survey.drafts;
                self.screen = Screen::Form(form);
            }
            Action::Resumed(_) => {}
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
            SendOutcome::Saved => {
                self.screen = Screen::Saved {
                    survey: f.survey.clone(),
                };
            }
            SendOutcome::NetworkError => f.status = SendStatus::NetworkError,
            SendOutcome::Refused { message, details } => {
                f.core.errors = details
                    .into_iter()
                    .map(|(question, message)| FieldError {
                        question: question.unwrap_or_default(),
                        text: ErrorText::Server(message),
                    })
                    .collect();
                f.status = if f.core.errors.is_empty() {
                    SendStatus::Refused(message)
                } else {
                    SendStatus::Editing
                };
                f.refusals += 1;
                let vis = f.visible();
                if f.shown_pages(&vis).iter().any(|&p| {
                    f.questions_on(p, &vis)
                        .iter()
                        .any(|q| f.errors_for(q).next().is_some())
                }) {
                    f.core.reviewing = false;
                    f.core.show_first_error_page(&vis);
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use surveys::i18n::UI_LANGUAGES;

    use runner::{UNREADABLE_NUMBER, Visibility, answers_json, date_bound, ranks_asked};
    use serde_json::{Value, json};
    use surveys::{Choice, QuestionKind};

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
            [
                choose("ge"),
                tick("art", true),
                Action::Submit,
                Action::Submit,
            ],
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
                // The review, then send.
                Action::Submit,
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
        assert!(form(&s).reviewing, "the last page's Next opens the review");
        assert_eq!(
            s.heading(),
            ("form/paged/review".to_string(), SECTION_TITLE_ID)
        );
        assert_eq!(
            s.outgoing(),
            None,
            "nothing is sent before Submit on the review"
        );
        let s = reduce(s, [Action::Submit]);
        assert_eq!(
            Value::Object(plain(&s.outgoing().expect("sending")).answers.clone()),
            json!({"country": "kg", "years": 7, "comment": "ok"})
        );
        // Next on the last page goes nowhere.
        let s = reduce(s, [Action::NextPage]);
        assert_eq!(page_title(&s), "Third");
    }

    #[test]
    fn the_review_shows_every_answer_and_change_goes_back_to_its_page() {
        let s = reduce(
            open(paged()),
            [
                on("country", |question| Action::Choose {
                    question,
                    choice: "kg".into(),
                }),
                Action::NextPage,
                text("years", "7"),
                Action::NextPage,
                text("comment", "ok"),
                Action::NextPage,
            ],
        );
        let f = form(&s);
        assert!(f.reviewing);
        let review = runner::review::review(f, "en");
        let pages: Vec<usize> = review.iter().map(|p| p.page).collect();
        assert_eq!(pages, [0, 1, 3]);
        assert_eq!(review[1].answers[0].1, "7");
        // Back: the last page; Change: that page, answers kept.
        let back = reduce(s.clone(), [Action::PreviousPage]);
        assert!(!form(&back).reviewing);
        assert_eq!(page_title(&back), "Third");
        let changed = reduce(s, [Action::ChangePage(1)]);
        assert!(!form(&changed).reviewing);
        assert_eq!(page_title(&changed), "Second");
        assert_eq!(form(&changed).drafts["years"], Draft::Text("7".into()));
        // A page that is not asked cannot be changed to.
        let nowhere = reduce(
            changed.clone(),
            [Action::NextPage, Action::NextPage, Action::ChangePage(2)],
        );
        assert!(form(&nowhere).reviewing);
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
        let vis = Visibility::everything(&survey);
        assert_eq!(
            Value::Object(answers_json(&survey, &drafts, &vis)),
            json!({"gender": "other", "gender_other": "x", "story": "private"})
        );
        let vis = vis.hiding_question("gender");
        assert_eq!(
            Value::Object(answers_json(&survey, &drafts, &vis)),
            json!({"story": "private"})
        );

        // A hidden section hides its questions, and its page.
        let survey = paged();
        let mut drafts = BTreeMap::new();
        drafts.insert("years".to_string(), Draft::Text("5".into()));
        drafts.insert("comment".to_string(), Draft::Text("c".into()));
        let vis = Visibility::everything(&survey).hiding_section("p2");
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
                relevant: None,
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
        let s = reduce(s, [Action::Submit, Action::Submit]);
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
            [
                text("story", &full),
                text("story2", &full),
                Action::Submit,
                Action::Submit,
            ],
        );
        let f = form(&s);
        assert_eq!(f.status, SendStatus::SealFailed(SealFailure::TooLarge));
        assert_eq!(f.refusals, 1);
        assert_eq!(s.outgoing(), None);
        assert_eq!(f.drafts["story"], Draft::Text(full.clone()), "answers kept");

        // Shortening one text clears the message, and then it goes.
        let s = reduce(s, [text("story2", "коротко")]);
        assert_eq!(form(&s).status, SendStatus::Editing);
        let s = reduce(s, [Action::Submit, Action::Submit]);
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
                [text("story", CANARY), Action::Submit, Action::Submit],
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

    /// The outbox keeps the request exactly as the runner sends it: the
    /// JSON submission, or only the envelope's bytes under its binding.
    #[test]
    fn the_outbox_item_is_the_request_as_sent() {
        let s = reduce(open_as(every_type(), SEALED_ID), filled());
        let out = s.outgoing().expect("sending");
        let item = out.item(42).expect("an item");
        assert_eq!(
            (item.survey_id(), item.version(), item.submission_id()),
            ("all", 2, SEALED_ID)
        );
        assert_eq!(item.next_attempt(), 42);
        let outbox::Body::Plain(json) = item.body() else {
            panic!("a survey without keys keeps its JSON submission");
        };
        assert_eq!(
            serde_json::from_str::<Value>(json).expect("json"),
            serde_json::to_value(&out.body).expect("json")
        );

        let key = seal::SecretKey::generate();
        let survey = with_keys(every_type(), &[key.public().to_string()]);
        let s = reduce(open_as(survey.clone(), SEALED_ID), filled());
        let out = s.outgoing().expect("sending");
        let item = out.item(7).expect("an item");
        let outbox::Body::Sealed(bytes) = item.body() else {
            panic!("a sealed survey keeps only its envelope");
        };
        let sealed = sealed_body(&out);
        assert_eq!(Some(bytes.clone()), seal::decode(&sealed.envelope));
        assert!(
            !item
                .encode()
                .windows(CANARY.len())
                .any(|w| w == CANARY.as_bytes())
        );
        let request = item.request();
        assert_eq!(request.content_type, outbox::ENVELOPE_MEDIA_TYPE);
        assert_eq!(
            request.headers,
            [
                (outbox::SUBMISSION_ID_HEADER, SEALED_ID.to_string()),
                (outbox::VERSION_HEADER, "2".to_string())
            ]
        );
    }

    /// Kept on the device: the form is left (its answers are in the outbox
    /// now, not on the screen), and a later reply changes nothing.
    #[test]
    fn answers_kept_on_the_device_leave_the_form_for_the_saved_screen() {
        let s = reduce(open_as(every_type(), SEALED_ID), filled());
        let sent = |outcome| Action::Sent {
            submission_id: SEALED_ID.into(),
            outcome,
        };
        let s = reduce(s, [sent(SendOutcome::Saved)]);
        assert_eq!(s.screen_key(), "saved/all");
        assert_eq!(s.form(), None);
        let s = reduce(s, [sent(SendOutcome::Stored)]);
        assert_eq!(s.screen_key(), "saved/all");

        let waiting = Waiting {
            storage: Storage::Available,
            persistent: Some(false),
            count: 1,
            refused: Vec::new(),
            received: 0,
        };
        let s = reduce(s, [Action::Waiting(waiting.clone()), Action::BackToList]);
        assert_eq!(s.screen_key(), "list");
        assert_eq!(s.waiting, waiting);
    }

    fn with_drafts() -> Survey {
        Survey {
            drafts: true,
            ..survey()
        }
    }

    /// Keeping a form on the phone: only for a survey that allows drafts,
    /// and what is locked is the form as it stands.
    #[test]
    fn a_form_is_kept_only_when_its_survey_allows_drafts() {
        let s = reduce(open_form(), [Action::Keeping(true)]);
        assert!(!form(&s).kept);
        assert_eq!(form(&s).unfinished(), None);

        let s = reduce(
            State::default(),
            [
                Action::Open("s1".into()),
                Action::Opened {
                    survey: Box::new(with_drafts()),
                    submission_id: "id-1".into(),
                },
                Action::Choose {
                    question: "country".into(),
                    choice: "ge".into(),
                },
                Action::Keeping(true),
            ],
        );
        assert!(form(&s).kept);
        let unfinished = form(&s).unfinished().expect("kept");
        assert_eq!(unfinished.submission_id, "id-1");
        assert_eq!(unfinished.fields, vec![("country".into(), "ge".into())]);
        let s = reduce(s, [Action::Keeping(false)]);
        assert_eq!(form(&s).unfinished(), None);
    }

    /// A draft opened on the list continues, kept; on any other screen
    /// (a late reply) it changes nothing.
    #[test]
    fn a_resumed_draft_opens_its_form_kept_from_the_list_only() {
        let mut core = runner::Form::new(with_drafts(), "id-9".into());
        core.drafts
            .insert("years".into(), runner::Draft::Text("7".into()));
        let s = reduce(State::default(), [Action::Resumed(Box::new(core.clone()))]);
        assert!(form(&s).kept);
        assert_eq!(form(&s).submission_id, "id-9");
        assert_eq!(form(&s).answers()["years"], json!(7));

        let s = reduce(open_form(), [Action::Resumed(Box::new(core))]);
        assert_eq!(form(&s).submission_id, "id-1");
        assert!(!form(&s).kept);
    }
}
