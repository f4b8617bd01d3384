//! The few things done to the page outside the component tree.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Sets `<html lang>` so that screen readers and hyphenation follow the runner.
pub fn set_lang(lang: &str) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        // Cannot fail for a valid attribute name.
        let _ = root.set_attribute("lang", lang);
    }
}

pub fn set_title(title: &str) {
    if let Some(d) = document() {
        d.set_title(title);
    }
}

/// Moves keyboard and screen-reader focus to the element with this id.
pub fn focus(id: &str) {
    let element = document()
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    if let Some(e) = element {
        // Cannot fail; a hidden element just does not take focus.
        let _ = e.focus();
    }
}

/// Where the quick exit goes: the collector names it in the page's
/// `<meta name="chorus-exit-url">` (the operator's `--exit-url`).
pub fn exit_url() -> String {
    document()
        .and_then(|d| {
            d.query_selector("meta[name=\"chorus-exit-url\"]")
                .ok()
                .flatten()
        })
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_else(|| "about:blank".to_string())
}

/// Waits `ms` milliseconds (and lets the page paint meanwhile).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
