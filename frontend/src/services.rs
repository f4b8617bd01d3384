//! The collector's HTTP API, same origin. Requests carry no cookies: they
//! are sent with `credentials: omit`, except the survey's definition (see
//! [`get_survey`]), and the collector never sets a cookie.

use gloo_net::http::{Request, RequestBuilder};
use runner::outbox::{Item, Verdict};
use serde::Deserialize;
use surveys::{Survey, path_segment};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

use crate::state::SurveySummary;

/// A request that got no usable answer. Why does not matter to the
/// respondent: the message and the remedy (try again) are the same.
#[derive(Debug)]
pub struct Unavailable;

fn get(url: &str) -> RequestBuilder {
    Request::get(url).credentials(RequestCredentials::Omit)
}

async fn fetch_json<T: for<'de> Deserialize<'de>>(
    request: RequestBuilder,
) -> Result<T, Unavailable> {
    let resp = request.send().await.map_err(|_| Unavailable)?;
    if !resp.ok() {
        return Err(Unavailable);
    }
    resp.json().await.map_err(|_| Unavailable)
}

/// `GET /api/surveys`
pub async fn list_surveys() -> Result<Vec<SurveySummary>, Unavailable> {
    fetch_json(get("/api/surveys")).await
}

/// `GET /api/surveys/{id}`. The server's form page preloads it with
/// `crossorigin="anonymous"` so that it arrives with the wasm, not after
/// it; the browser hands that response over only to a request in the same
/// credentials mode, `same-origin` (the default), so this request does
/// not ask for `omit`. On the collector's own origin the two differ only
/// by cookies, and it sets none.
pub async fn get_survey(id: &str) -> Result<Survey, Unavailable> {
    fetch_json(Request::get(&format!("/api/surveys/{}", path_segment(id)))).await
}

/// `GET /api/ui/{lang}`: the runner's own words in `lang`, installed for
/// [`surveys::i18n::ui`] (the wasm carries only English).
pub async fn load_words(lang: &str) -> Result<&'static str, Unavailable> {
    let words: Vec<String> = fetch_json(get(&format!("/api/ui/{}", path_segment(lang)))).await?;
    surveys::i18n::install(lang, words).map_err(|_| Unavailable)
}

/// Where a survey's published results are.
pub fn results_url(id: &str) -> String {
    format!("/results/{}", path_segment(id))
}

/// How long one attempt to send may take before it counts as failed (and
/// is tried again later): a request stuck on a dead connection must not
/// hold its answers "in flight" for ever.
const SEND_TIMEOUT_MS: i32 = 60_000;

/// `POST /api/surveys/{id}/responses` for an outbox item, exactly as the
/// item describes it (`runner::outbox::Item::request`): the JSON answers,
/// or for a sealed survey the envelope's own bytes
/// (`application/vnd.chorus.envelope`, its binding in headers: a quarter
/// smaller than base64 in JSON). The reply is read by the outbox's rules
/// ([`Verdict::from_response`]): only the collector's own acknowledgement
/// counts as stored, a refusal needs the collector's message, and anything
/// else — no answer, a timeout, a proxy's page — may be sent again.
pub async fn send(item: &Item) -> Verdict {
    let r = item.request();
    let abort = web_sys::AbortController::new().ok();
    let mut builder = Request::post(&r.url)
        .credentials(RequestCredentials::Omit)
        .header("Content-Type", r.content_type)
        .abort_signal(abort.as_ref().map(|a| a.signal()).as_ref());
    for (name, value) in &r.headers {
        builder = builder.header(name, value);
    }
    let Ok(request) = builder.body(js_sys::Uint8Array::from(r.body)) else {
        return Verdict::Retry;
    };
    let timer = abort.and_then(|abort| {
        let window = web_sys::window()?;
        let stop = wasm_bindgen::closure::Closure::once_into_js(move || abort.abort());
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                stop.unchecked_ref(),
                SEND_TIMEOUT_MS,
            )
            .ok()
    });
    let verdict = match request.send().await {
        Ok(resp) => match resp.binary().await {
            Ok(body) => Verdict::from_response(resp.status(), &body),
            Err(_) => Verdict::Retry,
        },
        Err(_) => Verdict::Retry,
    };
    if let (Some(timer), Some(window)) = (timer, web_sys::window()) {
        window.clear_timeout_with_handle(timer);
    }
    verdict
}

/// Registers the service worker (`/sw.js`, the collector's own), which
/// keeps the runner and the open surveys' definitions for use offline.
/// Where there is none (scripts on but no service workers: some private
/// windows, insecure origins) the runner works online as before.
pub fn register_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        // A failed registration leaves the runner as it is; nothing to tell.
        let _ = navigator.service_worker().register("/sw.js");
    }
}

/// Asks the browser to keep this origin's storage (the outbox) when space
/// runs low: `navigator.storage.persist()`. `None` where it cannot be
/// asked.
pub async fn persist_storage() -> Option<bool> {
    let navigator = web_sys::window()?.navigator();
    if !js_sys::Reflect::has(&navigator, &"storage".into()).unwrap_or(false) {
        return None;
    }
    let granted = JsFuture::from(navigator.storage().persist().ok()?)
        .await
        .ok()?;
    granted.as_bool()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_links_encode_the_survey_id() {
        assert_eq!(results_url("ост"), "/results/%D0%BE%D1%81%D1%82");
    }
}
