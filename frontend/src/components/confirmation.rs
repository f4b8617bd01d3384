use std::rc::Rc;

use surveys::Survey;
use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use crate::state::MAIN_HEADING_ID;

#[derive(Properties, PartialEq)]
pub struct ConfirmationProps {
    pub lang: &'static str,
    pub survey: Rc<Survey>,
    pub on_back: Callback<()>,
}

/// Shown once the collector has stored the answers.
#[function_component]
pub fn Confirmation(props: &ConfirmationProps) -> Html {
    let lang = props.lang;
    let survey = &props.survey;
    let on_back = props.on_back.clone();
    html! {
        <section id="confirmation" class="confirmation">
            <p class="survey-name" lang={lang_attr(survey.language(lang), lang)}>
                { survey.tr(&survey.title, lang) }
            </p>
            <h1 id={MAIN_HEADING_ID} tabindex="-1">{ ui(lang, Ui::ThankYou) }</h1>
            <p>{ ui(lang, Ui::Stored) }</p>
            <div class="actions">
                <button type="button" class="primary" onclick={move |_| on_back.emit(())}>
                    { ui(lang, Ui::AnotherSurvey) }
                </button>
            </div>
        </section>
    }
}

/// Shown when the answers could not be sent and wait on the device: they
/// go by themselves once there is a connection (`crate::queue`), and the
/// outbox panel under this says how many wait and when they arrive.
#[function_component]
pub fn Saved(props: &ConfirmationProps) -> Html {
    let lang = props.lang;
    let survey = &props.survey;
    let on_back = props.on_back.clone();
    html! {
        <section id="saved" class="confirmation">
            <p class="survey-name" lang={lang_attr(survey.language(lang), lang)}>
                { survey.tr(&survey.title, lang) }
            </p>
            <h1 id={MAIN_HEADING_ID} tabindex="-1">{ ui(lang, Ui::SavedHeading) }</h1>
            <p>{ ui(lang, Ui::SavedNote) }</p>
            <div class="actions">
                <button type="button" class="secondary" onclick={move |_| on_back.emit(())}>
                    { ui(lang, Ui::AnotherSurvey) }
                </button>
            </div>
        </section>
    }
}
