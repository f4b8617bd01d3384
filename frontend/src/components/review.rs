use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use crate::state::{Action, Form, MAIN_HEADING_ID, SECTION_TITLE_ID, SendStatus, State};
use runner::ids::ERROR_SUMMARY_ID;

#[derive(Properties, PartialEq)]
pub struct ReviewProps {
    pub lang: &'static str,
    pub form: Form,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Every answer before sending, page by page, with "Change", Submit and
/// Back (the markup of the server-rendered review).
#[function_component]
pub fn Review(props: &ReviewProps) -> Html {
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
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::PreviousPage))
    };
    let pages = runner::review::review(form, lang).into_iter().map(|page| {
        let dispatch = props.dispatch.clone();
        let target = page.page;
        let onclick =
            Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::ChangePage(target)));
        html! {
            <section class="review-page" key={page.page}>
                if let Some(title) = page.title {
                    <h3 lang={text_lang.clone()}>{ title }</h3>
                }
                <dl class="review-answers">
                    { for page.answers.iter().map(|(label, answer)| html! {
                        <>
                            <dt lang={text_lang.clone()}>{ label }</dt>
                            <dd>{ answer }</dd>
                        </>
                    }) }
                </dl>
                <button type="button" class="secondary change" {onclick}>{ t(Ui::Change) }</button>
            </section>
        }
    });
    let status = super::survey_form::send_status(&form.status, lang);
    let stray: Vec<String> = form.stray_errors().map(|e| e.message(lang)).collect();
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
            <h2 id={SECTION_TITLE_ID} tabindex="-1">{ t(Ui::ReviewHeading) }</h2>
            <p class="notice">{ t(Ui::ReviewNote) }</p>
            if !stray.is_empty() {
                <div id={ERROR_SUMMARY_ID} class="error-summary" role="alert" tabindex="-1">
                    <p>{ t(Ui::FixErrors) }</p>
                    { for stray.iter().map(|m| html! { <p>{ m }</p> }) }
                </div>
            }
            { for pages }
            <div class="send-status" role="status" aria-live="polite">{ status }</div>
            <div class="actions">
                <button id="submit" type="submit" class="primary" aria-disabled={sending.then_some("true")}>
                    { if sending { t(Ui::Sending) } else { t(Ui::Submit) } }
                </button>
                <button id="back" type="button" class="secondary" onclick={on_back}>
                    { t(Ui::Back) }
                </button>
            </div>
        </form>
    }
}
