use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use super::question::QuestionView;
use crate::state::{Action, Draft, Form, MAIN_HEADING_ID, SECTION_TITLE_ID, SendStatus, State};
use runner::ids::ERROR_SUMMARY_ID;
use runner::other_key;

#[derive(Properties, PartialEq)]
pub struct SurveyFormProps {
    pub lang: &'static str,
    pub form: Form,
    pub dispatch: UseReducerDispatcher<State>,
}

/// One page of a survey (a section, or every question when it has none),
/// with Back, Next or Submit.
#[function_component]
pub fn SurveyForm(props: &SurveyFormProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let form = &props.form;
    let survey = &form.survey;
    let text_lang = lang_attr(survey.language(lang), lang);
    let sending = form.status == SendStatus::Sending;
    let vis = form.visible();
    let (page, pages) = form.position(&vis);
    let last = form.on_last_page(&vis);

    // Next and Submit are the form's submit button (so Enter in a field
    // presses it).
    let onsubmit = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatch.dispatch(Action::NextPage);
        })
    };
    let on_leave = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::BackToList))
    };
    let on_previous = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::PreviousPage))
    };

    let questions = form.page_questions(&vis).into_iter().map(|q| {
        let index = survey
            .questions
            .iter()
            .position(|x| x.id == q.id)
            .unwrap_or_default();
        let other_text = match form.drafts.get(&other_key(&q.id)) {
            Some(Draft::Text(t)) => Some(t.clone()),
            _ => None,
        };
        html! {
            <QuestionView
                key={q.id.clone()}
                {lang}
                survey={survey.clone()}
                {index}
                options={form.choices_offered(q, &vis).into_iter().cloned().collect::<Vec<_>>()}
                draft={form.drafts.get(&q.id).cloned()}
                {other_text}
                required={vis.requires(q)}
                errors={form.errors_for(q).map(|e| e.message(lang)).collect::<Vec<_>>()}
                dispatch={props.dispatch.clone()}
            />
        }
    });

    let summary = if form.shows_errors(&vis) {
        html! {
            <div id={ERROR_SUMMARY_ID} class="error-summary" role="alert" tabindex="-1">
                <p>{ t(Ui::FixErrors) }</p>
                { for form.stray_errors().map(|e| html! { <p>{ e.message(lang) }</p> }) }
            </div>
        }
    } else {
        Html::default()
    };

    let status = send_status(&form.status, lang);
    let description = survey.tr(&survey.description, lang);
    let section = form.section(&vis);

    html! {
        <form
            id="survey-form"
            class="survey-form"
            novalidate=true
            autocomplete="off"
            aria-busy={sending.then_some("true")}
            {onsubmit}
        >
            <h1 id={MAIN_HEADING_ID} tabindex="-1" lang={text_lang.clone()}>
                { survey.tr(&survey.title, lang) }
            </h1>
            if page == 1 {
                if !description.is_empty() {
                    <p class="description" lang={text_lang.clone()}>{ description }</p>
                }
                <p class="privacy">{ t(Ui::PrivacyNote) }</p>
            }
            if pages > 1 {
                <p id="page-indicator" class="page-indicator">
                    { t(Ui::PageXOfY).replace("{x}", &page.to_string()).replace("{y}", &pages.to_string()) }
                </p>
            }
            if let Some(section) = section {
                <h2 id={SECTION_TITLE_ID} tabindex="-1" lang={text_lang}>
                    { survey.tr(&section.title, lang) }
                </h2>
            }
            { summary }
            { for questions }
            <div class="send-status" role="status" aria-live="polite">{ status }</div>
            <div class="actions">
                <button id="next" type="submit" class="primary">
                    { if last { t(Ui::Review) } else { t(Ui::Next) } }
                </button>
                if page > 1 {
                    <button id="back" type="button" class="secondary" onclick={on_previous}>
                        { t(Ui::Back) }
                    </button>
                } else {
                    <button id="leave" type="button" class="secondary" onclick={on_leave}>
                        { t(Ui::AnotherSurvey) }
                    </button>
                }
            </div>
        </form>
    }
}

/// Where sending stands, as the notice under the form (the review's too).
pub fn send_status(status: &SendStatus, lang: &'static str) -> Html {
    let t = |k| ui(lang, k);
    match status {
        SendStatus::Editing => Html::default(),
        SendStatus::Sending => html! { <p class="notice">{ t(Ui::Sending) }</p> },
        SendStatus::NetworkError => {
            html! { <p class="notice problem">{ t(Ui::NetworkError) }</p> }
        }
        SendStatus::Refused(message) => html! { <p class="notice problem">{ message }</p> },
        SendStatus::SealFailed(failure) => {
            html! { <p class="notice problem">{ failure.message(lang) }</p> }
        }
    }
}
