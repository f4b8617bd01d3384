use surveys::i18n::{Ui, ui};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfirmDeleteProps {
    pub lang: &'static str,
    /// The button's id; the question, Delete and Cancel are
    /// `{id}-question`, `{id}-confirm` and `{id}-cancel`.
    pub id: &'static str,
    /// The button's words.
    pub label: Ui,
    /// The question asked before anything is deleted.
    pub question: Ui,
    pub on_delete: Callback<()>,
}

/// A member's own "delete … from this phone": a button, then a question
/// with Delete and Cancel. Nothing is deleted before Delete.
#[function_component]
pub fn ConfirmDelete(props: &ConfirmDeleteProps) -> Html {
    let t = |k| ui(props.lang, k);
    let confirming = use_state(|| false);
    let set = |to: bool| {
        let confirming = confirming.clone();
        move |_| confirming.set(to)
    };
    let id = props.id;
    if !*confirming {
        return html! {
            <div class="actions">
                <button type="button" id={id} class="secondary" onclick={set(true)}>
                    { t(props.label) }
                </button>
            </div>
        };
    }
    let yes = {
        let (confirming, on_delete) = (confirming.clone(), props.on_delete.clone());
        move |_| {
            on_delete.emit(());
            confirming.set(false);
        }
    };
    let question = format!("{id}-question");
    html! {
        <div class="actions" role="group" aria-labelledby={question.clone()}>
            <p id={question}>{ t(props.question) }</p>
            <button type="button" id={format!("{id}-confirm")} class="secondary danger" onclick={yes}>
                { t(Ui::DeleteYes) }
            </button>
            <button type="button" id={format!("{id}-cancel")} class="secondary" onclick={set(false)}>
                { t(Ui::Cancel) }
            </button>
        </div>
    }
}
