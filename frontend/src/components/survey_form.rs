use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use super::question::QuestionView;
use crate::state::{Action, ERROR_SUMMARY_ID, Form, SendStatus, State};

#[derive(Properties, PartialEq)]
pub struct SurveyFormProps {
    pub lang: &'static str,
    pub form: Form,
    pub dispatch: UseReducerDispatcher<State>,
}

/// All questions of a survey on one page, with the send button.
#[function_component]
pub fn SurveyForm(props: &SurveyFormProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let form = &props.form;
    let survey = &form.survey;
    let text_lang = lang_attr(survey.language(lang), lang);
    let sending = form.status == SendStatus::Sending;

    let onsubmit = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatch.dispatch(Action::Submit);
        })
    };
    let on_back = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::BackToList))
    };

    let questions = survey.questions.iter().enumerate().map(|(index, q)| {
        html! {
            <QuestionView
                key={q.id.clone()}
                {lang}
                survey={survey.clone()}
                {index}
                draft={form.drafts.get(&q.id).cloned()}
                errors={form.errors_for(&q.id).map(|e| e.message(lang)).collect::<Vec<_>>()}
                dispatch={props.dispatch.clone()}
            />
        }
    });

    let summary = if form.errors.is_empty() {
        Html::default()
    } else {
        html! {
            <div id={ERROR_SUMMARY_ID} class="error-summary" role="alert" tabindex="-1">
                <p>{ t(Ui::FixErrors) }</p>
                { for form.stray_errors().map(|e| html! { <p>{ e.message(lang) }</p> }) }
            </div>
        }
    };

    let status = match &form.status {
        SendStatus::Editing => Html::default(),
        SendStatus::Sending => html! { <p class="notice">{ t(Ui::Sending) }</p> },
        SendStatus::NetworkError => {
            html! { <p class="notice problem">{ t(Ui::NetworkError) }</p> }
        }
        SendStatus::Refused(message) => html! { <p class="notice problem">{ message }</p> },
    };
    let description = survey.tr(&survey.description, lang);

    html! {
        <form
            id="survey-form"
            class="survey-form"
            novalidate=true
            autocomplete="off"
            aria-busy={sending.then_some("true")}
            {onsubmit}
        >
            <h1 id="main-heading" tabindex="-1" lang={text_lang.clone()}>
                { survey.tr(&survey.title, lang) }
            </h1>
            if !description.is_empty() {
                <p class="description" lang={text_lang}>{ description }</p>
            }
            <p class="privacy">{ t(Ui::PrivacyNote) }</p>
            { summary }
            { for questions }
            <div class="send-status" role="status" aria-live="polite">{ status }</div>
            <div class="actions">
                <button
                    id="submit"
                    type="submit"
                    class="primary"
                    aria-disabled={sending.then_some("true")}
                >
                    { if sending { t(Ui::Sending) } else { t(Ui::Submit) } }
                </button>
                <button type="button" class="secondary" onclick={on_back}>{ t(Ui::Back) }</button>
            </div>
        </form>
    }
}
