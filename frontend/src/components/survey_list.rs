use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use crate::services::results_url;
use crate::state::{Catalogue, MAIN_HEADING_ID, SurveySummary};

#[derive(Properties, PartialEq)]
pub struct SurveyListProps {
    pub lang: &'static str,
    pub catalogue: Catalogue,
    /// The survey being fetched after its Start button was pressed.
    pub opening: Option<String>,
    pub open_failed: bool,
    pub on_open: Callback<String>,
    /// Load the list again after a failure.
    pub on_retry: Callback<()>,
    /// This browser cannot keep answers waiting (no IndexedDB): said
    /// before the member starts.
    pub online_only: bool,
}

/// The open surveys, each with a Start button and a link to its results.
#[function_component]
pub fn SurveyList(props: &SurveyListProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let body = match &props.catalogue {
        Catalogue::Loading => html! { <p class="notice" role="status">{ t(Ui::Loading) }</p> },
        Catalogue::Failed => {
            let on_retry = props.on_retry.clone();
            html! {
                <>
                    <p class="notice problem" role="alert">{ t(Ui::LoadFailed) }</p>
                    <div class="actions">
                        <button
                            type="button"
                            id="try-again"
                            class="primary"
                            onclick={move |_| on_retry.emit(())}
                        >
                            { t(Ui::TryAgain) }
                        </button>
                    </div>
                </>
            }
        }
        Catalogue::Loaded(list) if list.is_empty() => {
            html! { <p class="notice">{ t(Ui::NoSurveys) }</p> }
        }
        Catalogue::Loaded(list) => html! {
            <ul class="surveys">
                { for list.iter().map(|s| card(s, props)) }
            </ul>
        },
    };
    html! {
        <section class="survey-list">
            <h1 id={MAIN_HEADING_ID} tabindex="-1">{ t(Ui::OpenSurveys) }</h1>
            <p class="privacy">{ t(Ui::PrivacyNote) }</p>
            if props.online_only {
                <p id="storage-unavailable" class="notice problem">{ t(Ui::NoDeviceStorage) }</p>
            }
            if props.open_failed {
                <p class="notice problem" role="alert">{ t(Ui::NetworkError) }</p>
            }
            { body }
        </section>
    }
}

fn card(s: &SurveySummary, props: &SurveyListProps) -> Html {
    let lang = props.lang;
    let text_lang = lang_attr(s.language(lang), lang);
    let title_id = format!("title-{}", s.id);
    let description = s.tr(&s.description, lang);
    let busy = props.opening.as_deref() == Some(s.id.as_str());
    let waiting = props.opening.is_some();
    let onclick = {
        let on_open = props.on_open.clone();
        let id = s.id.clone();
        move |_| on_open.emit(id.clone())
    };
    html! {
        <li class="card" key={s.id.clone()}>
            <h2 id={title_id.clone()} lang={text_lang.clone()}>{ s.tr(&s.title, lang) }</h2>
            if !description.is_empty() {
                <p lang={text_lang}>{ description }</p>
            }
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    data-survey={s.id.clone()}
                    aria-describedby={title_id}
                    aria-disabled={waiting.then_some("true")}
                    aria-busy={busy.then_some("true")}
                    {onclick}
                >
                    { if busy { ui(lang, Ui::Loading) } else { ui(lang, Ui::Start) } }
                </button>
                <a class="results" href={results_url(&s.id)}>{ ui(lang, Ui::Results) }</a>
            </div>
        </li>
    }
}
