//! The runner's state and every change to it, as a pure reducer.
//!
//! Nothing here touches the DOM or the network: the components dispatch
//! [`Action`]s, effects in `main.rs` perform the requests and dispatch their
//! outcomes. The rules on answers are not here either: [`Action::Submit`] asks
//! [`surveys::validate`], and this module only turns what the respondent
//! entered into the JSON the collector expects.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::{Map, Value};
use surveys::i18n::UI_LANGUAGES;
use surveys::{AnswerProblem, QuestionKind, Submission, Survey, Text, validate};
use yew::Reducible;

/// The language the runner starts in.
pub const INITIAL_LANGUAGE: &str = "ru";

/// What a number field holds when the browser could not read it (the
/// respondent typed something like `1e`). It is not a whole number, so
/// validation reports it instead of the field silently counting as blank.
pub const UNREADABLE_NUMBER: &str = "?";

/// One entry of `GET /api/surveys`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SurveySummary {
    pub id: String,
    pub version: u32,
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub languages: Vec<String>,
    pub default_language: String,
}

impl SurveySummary {
    pub fn tr<'a>(&'a self, text: &'a Text, lang: &str) -> &'a str {
        text.get(lang, &self.default_language)
    }

    /// The language its texts are shown in when the runner speaks `lang`.
    pub fn language<'a>(&'a self, lang: &'a str) -> &'a str {
        if self.languages.iter().any(|l| l == lang) {
            lang
        } else {
            &self.default_language
        }
    }
}

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
    /// A single choice: the id of the picked option.
    Choice(String),
    /// A multiple choice: the ids of the ticked options, in ticking order.
    Choices(Vec<String>),
    /// A short text, or a number field's text.
    Text(String),
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
    /// The question it concerns; may name no question of the survey when the
    /// collector reports it.
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
    /// Counts refusals; a new value moves focus to the first error.
    pub refusals: u32,
}

/// A request to send, for the effect that performs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub survey_id: String,
    pub submission: Submission,
    pub attempt: u32,
}

impl Form {
    pub fn new(survey: Survey, submission_id: String) -> Form {
        Form {
            survey: Rc::new(survey),
            submission_id,
            drafts: BTreeMap::new(),
            errors: Vec::new(),
            status: SendStatus::Editing,
            attempt: 0,
            refusals: 0,
        }
    }

    /// The answers as the collector takes them. See [`answers_json`].
    pub fn answers(&self) -> Map<String, Value> {
        answers_json(&self.survey, &self.drafts)
    }

    pub fn errors_for<'a>(&'a self, question: &'a str) -> impl Iterator<Item = &'a FieldError> {
        self.errors.iter().filter(move |e| e.question == question)
    }

    /// Errors about no question of this survey (reported by the collector).
    pub fn stray_errors(&self) -> impl Iterator<Item = &FieldError> {
        self.errors
            .iter()
            .filter(|e| self.survey.question(&e.question).is_none())
    }

    /// The element id to focus after a refusal: the first field of the first
    /// question with an error, else the error summary.
    pub fn first_error_target(&self) -> String {
        self.survey
            .questions
            .iter()
            .find(|q| self.errors.iter().any(|e| e.question == q.id))
            .map(|q| match q.kind.choices().and_then(|c| c.first()) {
                Some(first) => choice_dom_id(&q.id, &first.id),
                None => field_dom_id(&q.id),
            })
            .unwrap_or_else(|| ERROR_SUMMARY_ID.to_string())
    }

    /// The request to send while sending, else `None`.
    pub fn outgoing(&self) -> Option<Outgoing> {
        (self.status == SendStatus::Sending).then(|| Outgoing {
            survey_id: self.survey.id.clone(),
            submission: Submission {
                submission_id: self.submission_id.clone(),
                version: Some(self.survey.version),
                answers: self.answers(),
            },
            attempt: self.attempt,
        })
    }

    fn edit(&mut self, question: &str) {
        self.errors.retain(|e| e.question != question);
        if matches!(self.status, SendStatus::Refused(_)) {
            self.status = SendStatus::Editing;
        }
    }

    fn submit(&mut self) {
        if self.status == SendStatus::Sending {
            return;
        }
        match validate(&self.survey, &self.answers(), today()) {
            Ok(_) => {
                self.errors.clear();
                self.status = SendStatus::Sending;
                self.attempt += 1;
            }
            Err(errors) => {
                self.errors = errors
                    .into_iter()
                    .map(|e| FieldError {
                        question: e.question,
                        text: ErrorText::Problem(e.problem),
                    })
                    .collect();
                self.status = SendStatus::Editing;
                self.refusals += 1;
            }
        }
    }
}

/// The id of the error summary at the top of the form.
pub const ERROR_SUMMARY_ID: &str = "form-errors";

/// The id of a question's own field (number, text).
pub fn field_dom_id(question: &str) -> String {
    format!("q-{question}")
}

/// The id of one option's radio button or checkbox.
pub fn choice_dom_id(question: &str, choice: &str) -> String {
    format!("q-{question}-{choice}")
}

/// Turns the drafts into the `answers` object of a submission.
///
/// Questions with nothing entered are left out. A single choice is its id, a
/// multiple choice the list of ids (in the survey's order), a short text the
/// text, a number a JSON number when it reads as a whole number and otherwise
/// the text as entered, so that validation names the problem.
pub fn answers_json(survey: &Survey, drafts: &BTreeMap<String, Draft>) -> Map<String, Value> {
    let mut out = Map::new();
    for q in &survey.questions {
        let Some(draft) = drafts.get(&q.id) else {
            continue;
        };
        let value = match (&q.kind, draft) {
            (QuestionKind::SingleChoice { .. }, Draft::Choice(c)) => Value::String(c.clone()),
            (QuestionKind::MultipleChoice { choices, .. }, Draft::Choices(ticked)) => {
                if ticked.is_empty() {
                    continue;
                }
                let in_order = choices
                    .iter()
                    .filter(|c| ticked.contains(&c.id))
                    .map(|c| Value::String(c.id.clone()));
                // Anything not offered is kept too: validation reports it.
                let others = ticked
                    .iter()
                    .filter(|t| !choices.iter().any(|c| &c.id == *t))
                    .map(|t| Value::String(t.clone()));
                Value::Array(in_order.chain(others).collect())
            }
            (QuestionKind::ShortText { .. }, Draft::Text(s)) => {
                if s.trim().is_empty() {
                    continue;
                }
                Value::String(s.clone())
            }
            (QuestionKind::Integer { .. }, Draft::Text(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                match s.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::String(s.to_string()),
                }
            }
            // A draft of the wrong shape cannot come from the form's fields.
            _ => continue,
        };
        out.insert(q.id.clone(), value);
    }
    out
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
    /// The respondent pressed Start on a survey.
    Open(String),
    /// The survey arrived; `submission_id` is fresh for this form.
    Opened {
        survey: Survey,
        submission_id: String,
    },
    OpenFailed(String),
    /// Pick an option of a single choice.
    Choose {
        question: String,
        choice: String,
    },
    /// Tick or untick an option of a multiple choice.
    Tick {
        question: String,
        choice: String,
        ticked: bool,
    },
    /// The text of a short text or number field.
    SetText {
        question: String,
        text: String,
    },
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

    fn apply(&mut self, action: Action) {
        match action {
            Action::SetLanguage(lang) => {
                if let Some((code, _)) = UI_LANGUAGES.iter().find(|(code, _)| *code == lang) {
                    self.lang = code;
                }
            }
            Action::CatalogueLoaded(list) => self.catalogue = Catalogue::Loaded(list),
            Action::CatalogueFailed => self.catalogue = Catalogue::Failed,
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
                    self.screen = Screen::Form(Form::new(survey, submission_id));
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
            Action::Choose { question, choice } => {
                if let Screen::Form(f) = &mut self.screen {
                    f.edit(&question);
                    f.drafts.insert(question, Draft::Choice(choice));
                }
            }
            Action::Tick {
                question,
                choice,
                ticked,
            } => {
                if let Screen::Form(f) = &mut self.screen {
                    f.edit(&question);
                    let entry = f
                        .drafts
                        .entry(question)
                        .or_insert_with(|| Draft::Choices(Vec::new()));
                    if !matches!(entry, Draft::Choices(_)) {
                        *entry = Draft::Choices(Vec::new());
                    }
                    if let Draft::Choices(list) = entry {
                        list.retain(|c| *c != choice);
                        if ticked {
                            list.push(choice);
                        }
                    }
                }
            }
            Action::SetText { question, text } => {
                if let Screen::Form(f) = &mut self.screen {
                    f.edit(&question);
                    f.drafts.insert(question, Draft::Text(text));
                }
            }
            Action::Submit => {
                if let Screen::Form(f) = &mut self.screen {
                    f.submit();
                }
            }
            Action::Sent {
                submission_id,
                outcome,
            } => {
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
                    }
                }
            }
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
                    survey: survey(),
                    submission_id: "id-1".into(),
                },
            ],
        )
    }

    fn form(state: &State) -> &Form {
        state.form().expect("a form is open")
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
                    survey: survey(),
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
        assert_eq!(out.submission.submission_id, "id-1");
        assert_eq!(
            Value::Object(out.submission.answers.clone()),
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
        assert_eq!(again.submission, out.submission);

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
        assert_eq!(f.errors_for("country").count(), 1);
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
    fn leaving_after_a_failed_catalogue_loads_it_again() {
        let s = reduce(State::default(), [Action::CatalogueFailed]);
        let load = s.catalogue_load;
        let s = reduce(s, [Action::BackToList]);
        assert_eq!(s.catalogue, Catalogue::Loading);
        assert_eq!(s.catalogue_load, load + 1);
    }
}
