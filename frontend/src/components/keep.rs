//! Unfinished answers kept on the phone, locked with the member's
//! passphrase: the offer on a form of a survey that allows drafts, and the
//! way back in from the list. The work is `crate::drafts`'s.

use surveys::i18n::{Ui, ui};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::confirm::ConfirmDelete;
use crate::drafts::{self, Failure};
use crate::services;
use crate::state::{Action, Form, Kept, State};

fn failure_text(lang: &'static str, f: Failure) -> &'static str {
    ui(
        lang,
        match f {
            Failure::ShortPassphrase => Ui::PassphraseShort,
            Failure::WrongPassphrase => Ui::WrongPassphrase,
            Failure::Storage => Ui::KeepFailed,
        },
    )
}

fn value(input: &NodeRef) -> String {
    input
        .cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn clear(inputs: &[&NodeRef]) {
    for input in inputs {
        if let Some(i) = input.cast::<HtmlInputElement>() {
            i.set_value("");
        }
    }
}

/// A labelled passphrase field; `new` marks one being chosen (its
/// shortest length).
fn passphrase(id: &'static str, label: &'static str, node: &NodeRef, new: bool) -> Html {
    let minlength = new.then(|| runner::unfinished::MIN_PASSPHRASE_CHARS.to_string());
    html! {
        <>
            <label for={id}>{ label }</label>
            <input type="password" id={id} class="other-text" ref={node.clone()} autocomplete="off" {minlength} />
        </>
    }
}

/// What a panel shows under its inputs.
#[derive(Clone, Copy, PartialEq)]
enum Note {
    None,
    Working,
    Problem(&'static str),
}

fn note_html(lang: &'static str, note: Note, id: &'static str) -> Html {
    match note {
        Note::None => html! {},
        Note::Working => html! {
            <p id={id} class="notice" role="status">{ ui(lang, Ui::PleaseWait) }</p>
        },
        Note::Problem(text) => html! {
            <p id={id} class="notice problem" role="alert">{ text }</p>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct KeepPanelProps {
    pub lang: &'static str,
    pub form: Form,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Under a form of a survey with `drafts = true`: choose a passphrase to
/// keep the answers on this phone; once kept, how it is kept and the
/// member's own "delete my answers from this phone".
#[function_component]
pub fn KeepPanel(props: &KeepPanelProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let note = use_state(|| Note::None);
    let first = use_node_ref();
    let again = use_node_ref();
    if props.form.kept {
        let dispatch = props.dispatch.clone();
        let delete = move |_| {
            drafts::discard();
            dispatch.dispatch(Action::Keeping(false));
        };
        return html! {
            <section id="keep" class="outbox" aria-labelledby="keep-heading">
                <h2 id="keep-heading">{ t(Ui::KeepHeading) }</h2>
                <p id="kept-note" class="notice" role="status">{ t(Ui::KeptNote) }</p>
                <div class="actions">
                    <button type="button" id="delete-kept" class="secondary danger" onclick={delete}>
                        { t(Ui::DeleteKept) }
                    </button>
                </div>
            </section>
        };
    }
    let on_keep = {
        let (note, first, again) = (note.clone(), first.clone(), again.clone());
        let dispatch = props.dispatch.clone();
        let core = props.form.clone();
        move |_| {
            let passphrase = value(&first);
            if passphrase.chars().count() < runner::unfinished::MIN_PASSPHRASE_CHARS {
                note.set(Note::Problem(t(Ui::PassphraseShort)));
                return;
            }
            if passphrase != value(&again) {
                note.set(Note::Problem(t(Ui::PassphraseDiffers)));
                return;
            }
            note.set(Note::Working);
            let (note, dispatch) = (note.clone(), dispatch.clone());
            let (first, again) = (first.clone(), again.clone());
            let now = runner::unfinished::Unfinished::of(&core);
            wasm_bindgen_futures::spawn_local(async move {
                match drafts::keep(passphrase, now).await {
                    Ok(()) => {
                        clear(&[&first, &again]);
                        note.set(Note::None);
                        dispatch.dispatch(Action::Keeping(true));
                    }
                    Err(f) => note.set(Note::Problem(failure_text(lang, f))),
                }
            });
        }
    };
    html! {
        <section id="keep" class="outbox" aria-labelledby="keep-heading">
            <h2 id="keep-heading">{ t(Ui::KeepHeading) }</h2>
            <p class="outbox-note">{ t(Ui::KeepNote) }</p>
            { passphrase("keep-passphrase", t(Ui::Passphrase), &first, true) }
            { passphrase("keep-passphrase-again", t(Ui::PassphraseAgain), &again, false) }
            { note_html(lang, *note, "keep-note") }
            <div class="actions">
                <button
                    type="button"
                    id="keep-answers"
                    class="secondary"
                    disabled={*note == Note::Working}
                    onclick={on_keep}
                >
                    { t(Ui::KeepAnswers) }
                </button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct UnfinishedPanelProps {
    pub lang: &'static str,
    pub kept: Kept,
    pub dispatch: UseReducerDispatcher<State>,
}

/// On the list, when the phone keeps locked unfinished answers: the
/// passphrase opens them where the member stopped; or delete them all.
#[function_component]
pub fn UnfinishedPanel(props: &UnfinishedPanelProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let note = use_state(|| Note::None);
    let input = use_node_ref();
    if props.kept.count == 0 {
        return html! {};
    }
    let on_continue = {
        let (note, input) = (note.clone(), input.clone());
        let dispatch = props.dispatch.clone();
        move |_| {
            let passphrase = value(&input);
            note.set(Note::Working);
            let (note, dispatch, input) = (note.clone(), dispatch.clone(), input.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let unfinished = match drafts::open(passphrase).await {
                    Ok(u) => u,
                    Err(f) => return note.set(Note::Problem(failure_text(lang, f))),
                };
                clear(&[&input]);
                let survey = services::get_survey(&unfinished.survey_id).await.ok();
                match survey.and_then(|s| unfinished.restore(s)) {
                    Some(core) => dispatch.dispatch(Action::Resumed(Box::new(core))),
                    None => {
                        // Its survey cannot be had now: the draft stays.
                        drafts::forget();
                        note.set(Note::Problem(ui(lang, Ui::NetworkError)));
                    }
                }
            });
        }
    };
    html! {
        <section id="unfinished" class="outbox" aria-labelledby="unfinished-heading">
            <h2 id="unfinished-heading">
                { t(Ui::UnfinishedHeading).replace("{n}", &props.kept.count.to_string()) }
            </h2>
            <p class="outbox-note">{ t(Ui::UnfinishedNote) }</p>
            { passphrase("unfinished-passphrase", t(Ui::Passphrase), &input, false) }
            { note_html(lang, *note, "unfinished-note") }
            <div class="actions">
                <button
                    type="button"
                    id="continue-unfinished"
                    class="primary"
                    disabled={*note == Note::Working}
                    onclick={on_continue}
                >
                    { t(Ui::Continue) }
                </button>
            </div>
            <ConfirmDelete
                {lang}
                id="delete-unfinished"
                label={Ui::DeleteKept}
                question={Ui::DeleteKeptConfirm}
                on_delete={Callback::from(|()| drafts::delete_all())}
            />
        </section>
    }
}
