//! The outbox in the browser: `runner::outbox`'s rules (what to send, when
//! to try again, what to delete — tested natively) over IndexedDB
//! ([`crate::idb`]) and `fetch` ([`crate::services::send`]).
//!
//! Every Submit goes through here. The item — the request exactly as it
//! will be sent, under the submission id made on the device — is written
//! to the device first, then sent; a reply that is not the collector's
//! acknowledgement or refusal leaves it waiting, and the member is told it
//! is saved ([`SendOutcome::Saved`]). Waiting items are sent again after
//! the back-off, when the browser says it is online again, when the member
//! presses "Send now", and whenever the runner starts: answers survive a
//! closed tab, a reload and a phone switched off. They are sent while some
//! page of the runner is open; no script runs for them otherwise (the
//! service worker only keeps files).
//!
//! Where IndexedDB is unavailable (some private windows) nothing is
//! written: a failed attempt is a [`SendOutcome::NetworkError`] as before,
//! the answers stay on the form, and the list says so before the member
//! starts.
//!
//! Two tabs of the runner may both send the same waiting item: each is the
//! same request, and the collector stores a submission id once.

use std::cell::RefCell;
use std::rc::Rc;

use runner::outbox::{Item, Outbox, State as ItemState, Verdict};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

use crate::idb::Store;
use crate::services;
use crate::state::{Outgoing, Refusal, SendOutcome, Storage, Waiting};

#[derive(Default)]
struct Queue {
    outbox: Outbox,
    /// The open database, when there is one.
    store: Option<Rc<Store>>,
    storage: Storage,
    persistent: Option<bool>,
    received: u32,
    /// Told of every change, for the screens.
    listener: Option<Callback<Waiting>>,
    /// The pending `setTimeout` for the next attempt.
    timer: Option<i32>,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::new(Queue::default());
}

fn with<T>(f: impl FnOnce(&mut Queue) -> T) -> T {
    QUEUE.with(|q| f(&mut q.borrow_mut()))
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

/// Opens the outbox, reads back what waits from an earlier visit, sends
/// what is due, and listens for the browser coming online. `listener` is
/// told what the outbox holds after every change.
pub fn start(listener: Callback<Waiting>) {
    with(|q| q.listener = Some(listener));
    if let Some(window) = web_sys::window() {
        let online = Closure::<dyn Fn()>::new(send_now);
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        // Listens as long as the page lives.
        online.forget();
    }
    spawn_local(async {
        match Store::open(&crate::idb::OUTBOX).await {
            Ok(store) => {
                let values = store.all().await.unwrap_or_default();
                let kept = with(|q| {
                    // A value that does not decode (another app's format)
                    // is left in the store, never deleted: it may hold a
                    // member's answers.
                    for item in values.iter().filter_map(|v| Item::decode(v).ok()) {
                        q.outbox.push(item);
                    }
                    q.store = Some(Rc::new(store));
                    q.storage = Storage::Available;
                    !q.outbox.is_empty()
                });
                if kept {
                    ask_to_persist();
                }
            }
            Err(_) => with(|q| q.storage = Storage::Unavailable),
        }
        notify();
        pump();
    });
}

/// Sends a Submit: stored first when the device can keep it, then sent.
pub async fn submit(out: &Outgoing) -> SendOutcome {
    let Some(item) = out.item(now()) else {
        return SendOutcome::NetworkError;
    };
    let id = item.submission_id().to_string();
    // The store opens in milliseconds at start; a Submit can only come
    // sooner on a page taken over at its review.
    for _ in 0..40 {
        if with(|q| q.storage != Storage::Unknown) {
            break;
        }
        crate::dom::sleep(50).await;
    }
    let store = with(|q| q.store.clone());
    let kept = match &store {
        Some(store) => store.put(&id, &item.encode()).await.is_ok(),
        None => false,
    };
    if !kept {
        // Online only: the answers stay on the form for another try.
        return match services::send(&item).await {
            Verdict::Stored => SendOutcome::Stored,
            Verdict::Retry => SendOutcome::NetworkError,
            Verdict::Refused { message, details } => SendOutcome::Refused { message, details },
        };
    }
    let ours = with(|q| {
        // Pushed and marked in one step: no background send can take it.
        q.outbox.push(item.clone());
        q.outbox.mark_in_flight(&id)
    });
    if !ours {
        // The same submission waits already (another tab): it is on its way.
        notify();
        return SendOutcome::Saved;
    }
    let verdict = services::send(&item).await;
    let outcome = match &verdict {
        Verdict::Stored => SendOutcome::Stored,
        Verdict::Retry => SendOutcome::Saved,
        Verdict::Refused { message, details } => SendOutcome::Refused {
            message: message.clone(),
            details: details.clone(),
        },
    };
    with(|q| {
        q.outbox.record(&id, verdict, now(), js_sys::Math::random());
        // The member reads a refusal on the form now, not later.
        q.outbox.seen(&id);
    });
    write_back(&id).await;
    if outcome == SendOutcome::Saved {
        ask_to_persist();
    }
    notify();
    schedule();
    outcome
}

/// Sends every waiting item now (the browser is online again, or the
/// member pressed "Send now").
pub fn send_now() {
    with(|q| q.outbox.online(now()));
    pump();
}

/// The member has read the refusal of `submission_id`: it is deleted.
pub fn seen(submission_id: String) {
    if with(|q| q.outbox.seen(&submission_id)) {
        spawn_local(async move {
            write_back(&submission_id).await;
            notify();
        });
    }
}

/// Deletes every answer waiting on the device (the member's own "delete
/// my answers from this phone"; the quick exit keeps them). One already on
/// its way may still arrive.
pub fn discard_all() {
    let store = with(|q| {
        q.outbox = Outbox::new();
        q.store.clone()
    });
    spawn_local(async move {
        if let Some(store) = store {
            let _ = store.clear().await;
        }
        notify();
    });
}

/// Starts a request for every item due now.
fn pump() {
    let due: Vec<Item> = with(|q| {
        let due: Vec<Item> = q.outbox.due(now()).into_iter().cloned().collect();
        for item in &due {
            q.outbox.mark_in_flight(item.submission_id());
        }
        due
    });
    for item in due {
        spawn_local(async move {
            let verdict = services::send(&item).await;
            let id = item.submission_id();
            let stored = verdict == Verdict::Stored;
            let recorded = with(|q| q.outbox.record(id, verdict, now(), js_sys::Math::random()));
            if recorded {
                if stored {
                    with(|q| q.received += 1);
                }
                write_back(id).await;
            }
            notify();
            schedule();
        });
    }
    schedule();
}

/// Writes the outbox's view of one item to the device: its bytes again if
/// it is still there, else deletes it.
async fn write_back(submission_id: &str) {
    let (store, bytes) = with(|q| {
        let bytes = q.outbox.get(submission_id).map(Item::encode);
        (q.store.clone(), bytes)
    });
    let Some(store) = store else {
        return;
    };
    // A failed write leaves the older bytes, which are the same request:
    // at worst it is sent once more and the collector says "duplicate".
    let _ = match bytes {
        Some(bytes) => store.put(submission_id, &bytes).await,
        None => store.delete(submission_id).await,
    };
}

/// Sets the timer for the next attempt the outbox asks for.
fn schedule() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let at = with(|q| {
        if let Some(timer) = q.timer.take() {
            window.clear_timeout_with_handle(timer);
        }
        q.outbox.next_wake(now())
    });
    if let Some(at) = at {
        let wait = at.saturating_sub(now()).min(i32::MAX as u64) as i32;
        let fire = Closure::once_into_js(|| {
            with(|q| q.timer = None);
            pump();
        });
        let timer = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), wait)
            .ok();
        with(|q| q.timer = timer);
    }
}

/// Asks once per page for persistent storage, and remembers the answer.
fn ask_to_persist() {
    if with(|q| q.persistent.is_some()) {
        return;
    }
    spawn_local(async {
        let granted = services::persist_storage().await;
        with(|q| q.persistent = Some(granted.unwrap_or(false)));
        notify();
    });
}

/// Tells the screens what the outbox holds now.
fn notify() {
    let (listener, waiting) = with(|q| {
        let refused = q
            .outbox
            .refused()
            .into_iter()
            .map(|item| Refusal {
                submission_id: item.submission_id().to_string(),
                survey_id: item.survey_id().to_string(),
                message: match item.state() {
                    ItemState::Refused { message, .. } => message.clone(),
                    ItemState::Waiting => String::new(),
                },
            })
            .collect();
        let waiting = Waiting {
            storage: q.storage,
            persistent: q.persistent,
            count: q.outbox.waiting_count(),
            refused,
            received: q.received,
        };
        (q.listener.clone(), waiting)
    });
    if let Some(listener) = listener {
        listener.emit(waiting);
    }
}
