use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::confirm::ConfirmDelete;
use super::lang_attr;
use crate::queue;
use crate::state::{Catalogue, Storage, Waiting};

#[derive(Properties, PartialEq)]
pub struct OutboxPanelProps {
    pub lang: &'static str,
    pub waiting: Waiting,
    /// For the titles of refused surveys.
    pub catalogue: Catalogue,
}

/// What waits on this device: how many answers, "Send now", the refusals
/// to read, and the member's own control to delete what was not sent.
/// Its buttons act on the outbox itself (`crate::queue`).
#[function_component]
pub fn OutboxPanel(props: &OutboxPanelProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let w = &props.waiting;
    if w.storage == Storage::Unavailable {
        // Nothing can wait here; the list says so.
        return html! {};
    }
    if w.count == 0 && w.refused.is_empty() {
        return html! {
            if w.received > 0 {
                <section id="outbox" class="outbox">
                    <p id="outbox-received" class="notice" role="status">{ t(Ui::QueueReceived) }</p>
                </section>
            }
        };
    }
    let title = |survey_id: &str| {
        match &props.catalogue {
            Catalogue::Loaded(list) => list.iter().find(|s| s.id == survey_id).map(|s| {
                (
                    s.tr(&s.title, lang).to_string(),
                    lang_attr(s.language(lang), lang),
                )
            }),
            _ => None,
        }
        .unwrap_or_else(|| (survey_id.to_string(), None))
    };
    html! {
        <section id="outbox" class="outbox" aria-live="polite">
            if w.count > 0 {
                <p id="waiting-count" class="notice">
                    { t(Ui::WaitingToSend).replace("{n}", &w.count.to_string()) }
                </p>
                if w.persistent == Some(false) {
                    <p id="storage-not-persistent" class="outbox-note">{ t(Ui::MayBeDeleted) }</p>
                }
                <div class="actions">
                    <button type="button" id="send-now" class="primary" onclick={|_| queue::send_now()}>
                        { t(Ui::SendNow) }
                    </button>
                </div>
            }
            if !w.refused.is_empty() {
                <ul class="refusals">
                    { for w.refused.iter().map(|r| {
                        let (name, name_lang) = title(&r.survey_id);
                        let id = r.submission_id.clone();
                        html! {
                            <li class="refusal notice problem" key={r.submission_id.clone()} role="alert">
                                <p>{ t(Ui::QueueRefused) }</p>
                                <p><strong lang={name_lang}>{ name }</strong></p>
                                <p class="server-message">{ r.message.clone() }</p>
                                <button
                                    type="button"
                                    class="secondary refusal-seen"
                                    onclick={move |_| queue::seen(id.clone())}
                                >
                                    { t(Ui::RefusalSeen) }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
            <ConfirmDelete
                {lang}
                id="delete-waiting"
                label={Ui::DeleteWaiting}
                question={Ui::DeleteWaitingConfirm}
                on_delete={Callback::from(|()| queue::discard_all())}
            />
        </section>
    }
}
