//! The Chorus form runner: lists the open surveys, shows one as a form,
//! checks the answers with `surveys::validate` and sends them to the
//! collector.
//!
//! * `state` — the state and a pure reducer (tested natively);
//! * `services` — the collector's HTTP API;
//! * `components` — the screens;
//! * `dom` — the page outside the component tree (lang, title, focus);
//! * `takeover` — starting on a page the collector rendered, keeping what
//!   was typed before the runner arrived;
//! * `queue` and `idb` — the outbox on the device: every Submit is kept
//!   there until the collector has stored it;
//! * `drafts` — unfinished answers kept on the phone, locked with the
//!   member's passphrase, for a survey that allows drafts.

mod components;
mod dom;
mod drafts;
mod idb;
mod queue;
mod services;
mod state;
mod takeover;

use std::rc::Rc;

use surveys::i18n::{Ui, has_words, ui};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use components::{
    Confirmation, Header, KeepPanel, OutboxPanel, Review, Saved, SurveyForm, SurveyList,
    UnfinishedPanel,
};
use state::{Action, Screen, State};

#[derive(Properties, PartialEq)]
struct AppProps {
    /// The state to start in: the list, or a form taken over.
    initial: State,
}

#[function_component]
fn App(props: &AppProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || initial);
    let dispatcher = state.dispatcher();
    let lang = state.lang;

    // The list of surveys, loaded again after a failure.
    {
        let d = dispatcher.clone();
        use_effect_with(state.catalogue_load, move |_| {
            spawn_local(async move {
                d.dispatch(match services::list_surveys().await {
                    Ok(list) => Action::CatalogueLoaded(list),
                    Err(_) => Action::CatalogueFailed,
                });
            });
        });
    }

    // The outbox on the device: opened once, sending what waits.
    {
        let d = dispatcher.clone();
        use_effect_with((), move |_| {
            queue::start(Callback::from(move |w| d.dispatch(Action::Waiting(w))));
        });
    }

    // Unfinished answers locked on the device: counted once; the open
    // form, when kept, saved after each change; the key forgotten when
    // the form is left.
    {
        let d = dispatcher.clone();
        use_effect_with((), move |_| {
            drafts::start(Callback::from(move |k| d.dispatch(Action::Kept(k))));
        });
    }
    use_effect_with(
        state.form().and_then(state::Form::unfinished),
        |now| match now.clone() {
            Some(now) => drafts::save(now),
            None => drafts::forget(),
        },
    );

    // Sending: each new attempt of the reducer's making is one request,
    // through the outbox.
    {
        let d = dispatcher.clone();
        use_effect_with(state.outgoing(), move |out| {
            if let Some(out) = out.clone() {
                spawn_local(async move {
                    let outcome = queue::submit(&out).await;
                    // In the outbox or stored: the locked draft goes.
                    if matches!(
                        outcome,
                        state::SendOutcome::Stored | state::SendOutcome::Saved
                    ) {
                        drafts::discard();
                    }
                    d.dispatch(Action::Sent {
                        submission_id: out.body.submission_id().to_string(),
                        outcome,
                    });
                });
            }
        });
    }

    use_effect_with(lang, |lang| dom::set_lang(lang));
    use_effect_with(page_title(&state), |title| dom::set_title(title));

    // On a new screen or page, focus its heading (not on the first one).
    // Declared before the refusal effect: when both run, the error wins.
    {
        let first = use_mut_ref(|| true);
        use_effect_with(state.heading(), move |(_, target)| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                dom::focus(target);
            }
        });
    }

    // After a refusal, focus the first question with an error.
    {
        // The target is found only when a refusal came in, not on every
        // render (it evaluates the survey's logic).
        let refusals = state.form().map(|f| (f.submission_id.clone(), f.refusals));
        let state = state.clone();
        use_effect_with(refusals, move |r| {
            if let Some((_, n)) = r
                && *n > 0
                && let Some(form) = state.form()
            {
                dom::focus(&form.first_error_target());
            }
        });
    }

    // Another language: its words first (from the collector, once), then
    // the switch. If they cannot come, the runner stays as it is.
    let on_lang = {
        let d = dispatcher.clone();
        Callback::from(move |code: &'static str| {
            let d = d.clone();
            spawn_local(async move {
                if has_words(code) || services::load_words(code).await.is_ok() {
                    d.dispatch(Action::SetLanguage(code.into()));
                }
            });
        })
    };
    let on_open = {
        let d = dispatcher.clone();
        Callback::from(move |id: String| {
            d.dispatch(Action::Open(id.clone()));
            let d = d.clone();
            spawn_local(async move {
                d.dispatch(match services::get_survey(&id).await {
                    Ok(survey) => Action::Opened {
                        survey: Box::new(survey),
                        // One id per filled form: every retry reuses it.
                        submission_id: uuid::Uuid::new_v4().to_string(),
                    },
                    Err(_) => Action::OpenFailed(id),
                });
            });
        })
    };
    let on_retry = {
        let d = dispatcher.clone();
        Callback::from(move |()| d.dispatch(Action::ReloadCatalogue))
    };
    let on_back = {
        let d = dispatcher.clone();
        Callback::from(move |()| d.dispatch(Action::BackToList))
    };

    let screen = match &state.screen {
        Screen::List {
            opening,
            open_failed,
        } => html! {
            <SurveyList
                {lang}
                catalogue={state.catalogue.clone()}
                opening={opening.clone()}
                open_failed={*open_failed}
                {on_open}
                {on_retry}
                online_only={state.waiting.storage == state::Storage::Unavailable}
            />
        },
        Screen::Form(form) if form.reviewing => html! {
            <Review {lang} form={form.clone()} dispatch={dispatcher.clone()} />
        },
        Screen::Form(form) => html! {
            <SurveyForm {lang} form={form.clone()} dispatch={dispatcher.clone()} />
        },
        Screen::Done { survey } => html! {
            <Confirmation {lang} survey={Rc::clone(survey)} {on_back} />
        },
        Screen::Saved { survey } => html! {
            <Saved {lang} survey={Rc::clone(survey)} {on_back} />
        },
    };
    // Not on a form: its answers are not waiting yet.
    let outbox = (state.form().is_none()).then(|| {
        html! {
            <OutboxPanel {lang} waiting={state.waiting.clone()} catalogue={state.catalogue.clone()} />
        }
    });
    let kept = match &state.screen {
        Screen::List { .. } => html! {
            <UnfinishedPanel {lang} kept={state.kept} dispatch={dispatcher.clone()} />
        },
        Screen::Form(form) if form.survey.drafts && state.kept.available => html! {
            <KeepPanel {lang} form={form.clone()} dispatch={dispatcher.clone()} />
        },
        _ => html! {},
    };

    html! {
        <>
            <Header {lang} {on_lang} />
            <main id="main" class="wrap">{ screen }{ kept }{ outbox }</main>
        </>
    }
}

fn page_title(state: &State) -> String {
    let app = ui(state.lang, Ui::AppName);
    let survey = match &state.screen {
        Screen::List { .. } => None,
        Screen::Form(f) => Some(&f.survey),
        Screen::Done { survey } | Screen::Saved { survey } => Some(survey),
    };
    match survey {
        Some(s) => format!("{} — {app}", s.tr(&s.title, state.lang)),
        None => app.to_string(),
    }
}

fn main() {
    // The page says "loading" (or shows the collector's own page) until the
    // app takes over.
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    takeover::install_page_words();
    match takeover::rendered() {
        // Trunk's page (the shell the service worker opens offline): the
        // browser's first language the runner speaks, as the collector's
        // pages choose by `Accept-Language`.
        takeover::Rendered::Nothing => spawn_local(async move {
            let lang = with_words(browser_language()).await;
            start(State {
                lang,
                ..State::default()
            });
        }),
        takeover::Rendered::List { lang } => spawn_local(async move {
            let lang = with_words(lang).await;
            start(State {
                lang,
                ..State::default()
            });
        }),
        takeover::Rendered::Form { lang, survey_id } => spawn_local(async move {
            let lang = with_words(lang).await;
            // The server's page stays usable while the definition comes;
            // if it cannot come, or the page is of another version, the
            // server's page simply stays.
            if let Ok(survey) = services::get_survey(&survey_id).await
                && let Some(state) = takeover::form_state(survey, lang)
            {
                start(state);
            }
        }),
    }
}

/// The first of `navigator.languages` (region left out: `ru-RU` is `ru`)
/// that the runner speaks; else [`state::INITIAL_LANGUAGE`].
fn browser_language() -> &'static str {
    let wanted = web_sys::window()
        .map(|w| w.navigator().languages().to_vec())
        .unwrap_or_default();
    wanted
        .iter()
        .filter_map(|l| l.as_string())
        .find_map(|l| {
            surveys::i18n::ui_language(&l.split('-').next().unwrap_or("").to_ascii_lowercase())
        })
        .unwrap_or(state::INITIAL_LANGUAGE)
}

/// `lang` once its words are here (usually from the page itself), else
/// English, which the wasm carries.
async fn with_words(lang: &'static str) -> &'static str {
    if has_words(lang) || services::load_words(lang).await.is_ok() {
        lang
    } else {
        "en"
    }
}

fn start(initial: State) {
    takeover::remove_server_page();
    services::register_worker();
    yew::Renderer::<App>::with_props(AppProps { initial }).render();
}
