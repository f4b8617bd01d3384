//! Unfinished answers kept on the phone for a survey that allows drafts,
//! locked with the member's passphrase: `runner::unfinished`'s lock (tested
//! natively) over IndexedDB ([`crate::idb::DRAFTS`]).
//!
//! Nothing is kept until the member chooses a passphrase. From then on the
//! form is saved, locked, a moment after each change and when the page is
//! hidden; the key derived from the passphrase lives only in this page's
//! memory, while the form is open. A draft is deleted when its answers are
//! submitted (stored, or handed to the outbox), by the member's "delete my
//! answers from this phone", and by the quick exit, which deletes the whole
//! database (`collector/src/pages/quick-exit.js`).

use std::cell::RefCell;
use std::rc::Rc;

use runner::unfinished::{DRAFT_COST, DraftError, DraftKey, Unfinished};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

use crate::idb::{DRAFTS, Store};
use crate::state::Kept;

/// Wait after a change before saving, so typing is not one write per key.
const SAVE_AFTER_MS: i32 = 700;

#[derive(Default)]
struct Drafts {
    store: Option<Rc<Store>>,
    kept: Kept,
    /// The open form's draft, while it is kept: its record and key.
    current: Option<(String, Rc<DraftKey>)>,
    /// The latest state of the open form, not yet saved.
    pending: Option<Unfinished>,
    timer: Option<i32>,
    listener: Option<Callback<Kept>>,
}

thread_local! {
    static DRAFTS_NOW: RefCell<Drafts> = RefCell::new(Drafts::default());
}

fn with<T>(f: impl FnOnce(&mut Drafts) -> T) -> T {
    DRAFTS_NOW.with(|d| f(&mut d.borrow_mut()))
}

/// Why keeping or opening failed, for the screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    ShortPassphrase,
    WrongPassphrase,
    /// The browser refused to store, or no random numbers.
    Storage,
}

impl From<DraftError> for Failure {
    fn from(e: DraftError) -> Failure {
        match e {
            DraftError::ShortPassphrase => Failure::ShortPassphrase,
            DraftError::WrongPassphrase | DraftError::Damaged(_) | DraftError::Cost(_) => {
                Failure::WrongPassphrase
            }
            DraftError::TooLarge(_) | DraftError::Random => Failure::Storage,
        }
    }
}

/// Opens the drafts' database and counts what it keeps; `listener` is told
/// after every change. Saves what is pending when the page is hidden.
pub fn start(listener: Callback<Kept>) {
    with(|d| d.listener = Some(listener));
    if let Some(window) = web_sys::window() {
        let hidden = Closure::<dyn Fn()>::new(|| {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.hidden());
            if hidden {
                flush();
            }
        });
        let _ = window
            .add_event_listener_with_callback("visibilitychange", hidden.as_ref().unchecked_ref());
        let _ =
            window.add_event_listener_with_callback("pagehide", hidden.as_ref().unchecked_ref());
        hidden.forget();
    }
    spawn_local(async {
        if let Ok(store) = Store::open(&DRAFTS).await {
            with(|d| {
                d.store = Some(Rc::new(store));
                d.kept.available = true;
            });
        }
        recount().await;
    });
}

async fn recount() {
    let store = with(|d| d.store.clone());
    if let Some(store) = store {
        let count = store.count().await.unwrap_or(0);
        with(|d| d.kept.count = count);
    }
    notify();
}

fn notify() {
    let (listener, kept) = with(|d| (d.listener.clone(), d.kept));
    if let Some(listener) = listener {
        listener.emit(kept);
    }
}

/// Lets the page paint ("please wait") before argon2 holds the thread.
async fn yield_to_paint() {
    crate::dom::sleep(30).await;
}

/// Starts keeping the open form: a key from `passphrase`, the first save.
pub async fn keep(passphrase: String, now: Unfinished) -> Result<(), Failure> {
    let store = with(|d| d.store.clone()).ok_or(Failure::Storage)?;
    yield_to_paint().await;
    let key = DraftKey::new(&passphrase, DRAFT_COST)?;
    let bytes = now.lock(&key)?;
    let id = uuid::Uuid::new_v4().to_string();
    store.put(&id, &bytes).await.map_err(|_| Failure::Storage)?;
    with(|d| d.current = Some((id, Rc::new(key))));
    recount().await;
    Ok(())
}

/// Opens the draft `passphrase` unlocks (trying each kept one); it becomes
/// the open form's.
pub async fn open(passphrase: String) -> Result<Unfinished, Failure> {
    let store = with(|d| d.store.clone()).ok_or(Failure::Storage)?;
    let entries = store.entries().await.map_err(|_| Failure::Storage)?;
    yield_to_paint().await;
    for (id, bytes) in entries {
        if let Ok((key, unfinished)) = Unfinished::open(&passphrase, &bytes) {
            with(|d| d.current = Some((id, Rc::new(key))));
            return Ok(unfinished);
        }
    }
    Err(Failure::WrongPassphrase)
}

/// The open form changed: saved (locked) a moment later, if it is kept.
pub fn save(now: Unfinished) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let kept = with(|d| {
        if let Some(timer) = d.timer.take() {
            window.clear_timeout_with_handle(timer);
        }
        d.current.is_some()
    });
    if !kept {
        return;
    }
    with(|d| d.pending = Some(now));
    let fire = Closure::once_into_js(|| {
        with(|d| d.timer = None);
        flush();
    });
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), SAVE_AFTER_MS)
        .ok();
    with(|d| d.timer = timer);
}

/// Saves what is pending now.
fn flush() {
    let job = with(|d| {
        let pending = d.pending.take()?;
        let (id, key) = d.current.clone()?;
        Some((d.store.clone()?, id, pending.lock(&key).ok()?))
    });
    if let Some((store, id, bytes)) = job {
        spawn_local(async move {
            let _ = store.put(&id, &bytes).await;
        });
    }
}

/// The form was left for the list: what is pending is saved, the key is
/// forgotten; the draft stays, for the passphrase to open again.
pub fn forget() {
    flush();
    with(|d| d.current = None);
}

/// The open form's draft is deleted (submitted, or the member's "delete").
pub fn discard() {
    let Some((store, id)) = with(|d| {
        d.pending = None;
        let (id, _) = d.current.take()?;
        Some((d.store.clone()?, id))
    }) else {
        return;
    };
    spawn_local(async move {
        let _ = store.delete(&id).await;
        recount().await;
    });
}

/// Deletes every draft kept on this phone.
pub fn delete_all() {
    let store = with(|d| {
        d.pending = None;
        d.current = None;
        d.store.clone()
    });
    spawn_local(async move {
        if let Some(store) = store {
            let _ = store.clear().await;
        }
        recount().await;
    });
}
